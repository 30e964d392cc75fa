//! The live system's sysfs walk, by directory descriptor: each directory is
//! opened relative to its parent and listed with `getdents64`, and the files
//! looked for are read relative to their directory. A walk by path costs the
//! kernel a lookup of every component for every open (sysfs paths run ten
//! deep) and glibc an `fstat` per `opendir`; on the walk of `/sys/devices`
//! that every check makes, those were most of the time.
//!
//! Live only: under a root, paths are resolved by hand (see `Root::resolve`).

use super::{ReadError, ReadErrorKind};
use std::ffi::CString;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A file found by [`files_named`]: its path and its contents (or why not).
pub type Found = (String, Result<Vec<u8>, ReadError>);

/// Every regular file called `name` below `dir` (at most `max_depth` levels
/// down, never entering a directory called like one of `skip`, never
/// following symlinks), each read with at most `limit` bytes.
pub fn files_named(
    dir: &str,
    name: &str,
    max_depth: usize,
    skip: &[&str],
    limit: u64,
) -> Result<Vec<Found>, ReadError> {
    let c = CString::new(dir)
        .map_err(|_| ReadError::new(dir, ReadErrorKind::Malformed("contains NUL".into())))?;
    let top = open_dir(libc::AT_FDCWD, &c).map_err(|e| ReadError::io(dir, &e))?;
    let want = CString::new(name)
        .map_err(|_| ReadError::new(name, ReadErrorKind::Malformed("contains NUL".into())))?;
    let mut walk = Walk {
        want,
        max_depth,
        skip,
        limit,
        buf: vec![0u8; 32 * 1024],
        out: Vec::new(),
    };
    walk.dir(&top, dir.trim_end_matches('/'), 0);
    Ok(walk.out)
}

/// The entries of `dir` (following it if it is a symlink, as `opendir` does)
/// with their type as the listing gives it (`DT_*`, `DT_UNKNOWN` when the
/// filesystem does not say), `.` and `..` left out. No `fstat`, unlike
/// glibc's `opendir`: the checks list hundreds of sysfs and procfs directories.
pub fn list(dir: &str) -> std::io::Result<Vec<(Vec<u8>, u8)>> {
    let c =
        CString::new(dir).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;
    // SAFETY: a NUL-terminated name; the descriptor returned is owned here.
    let raw = unsafe { libc::openat(libc::AT_FDCWD, c.as_ptr(), flags) };
    if raw < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: raw is a fresh, open descriptor nobody else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let mut buf = vec![0u8; 32 * 1024];
    let mut out = Vec::new();
    match for_each_entry(&fd, &mut buf, |name, ty| out.push((name.to_vec(), ty))) {
        Ok(()) => Ok(out),
        Err(Stop::Io(e)) => Err(e),
        Err(Stop::BadRecord) => Err(std::io::Error::from(std::io::ErrorKind::InvalidData)),
    }
}

/// Why a listing stopped early.
enum Stop {
    Io(std::io::Error),
    /// A record that does not fit its own length: the rest cannot be read.
    BadRecord,
}

/// Calls `f(name, type)` for every entry of `fd` but `.` and `..`.
fn for_each_entry(fd: &OwnedFd, buf: &mut [u8], mut f: impl FnMut(&[u8], u8)) -> Result<(), Stop> {
    loop {
        // SAFETY: the buffer is ours and its length is passed.
        let n = unsafe {
            libc::syscall(
                libc::SYS_getdents64,
                fd.as_raw_fd(),
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        if n == 0 {
            return Ok(());
        }
        if n < 0 {
            return Err(Stop::Io(std::io::Error::last_os_error()));
        }
        let n = n as usize;
        let mut off = 0usize;
        while off + 19 <= n {
            // struct linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name NUL.
            let reclen = usize::from(u16::from_ne_bytes([buf[off + 16], buf[off + 17]]));
            if reclen < 20 || off + reclen > n {
                return Err(Stop::BadRecord);
            }
            let ty = buf[off + 18];
            let raw = &buf[off + 19..off + reclen];
            let entry = &raw[..raw.iter().position(|b| *b == 0).unwrap_or(raw.len())];
            off += reclen;
            if entry != b"." && entry != b".." {
                f(entry, ty);
            }
        }
    }
}

struct Walk<'a> {
    want: CString,
    max_depth: usize,
    skip: &'a [&'a str],
    limit: u64,
    buf: Vec<u8>,
    out: Vec<Found>,
}

impl Walk<'_> {
    /// Lists `fd` (at `path`, `depth` below the top) completely before going
    /// down, so that at most one descriptor per level is open.
    fn dir(&mut self, fd: &OwnedFd, path: &str, depth: usize) {
        let mut subdirs: Vec<CString> = Vec::new();
        let mut has_file = false;
        let (want, max_depth, skip) = (&self.want, self.max_depth, self.skip);
        let listed = for_each_entry(fd, &mut self.buf, |entry, ty| {
            let ty = if ty == libc::DT_UNKNOWN {
                type_at(fd, entry)
            } else {
                ty
            };
            if ty == libc::DT_REG && entry == want.as_bytes() {
                has_file = true;
            } else if ty == libc::DT_DIR
                && depth + 1 < max_depth
                && !std::str::from_utf8(entry).is_ok_and(|e| skip.contains(&e))
                && let Ok(c) = CString::new(entry)
            {
                subdirs.push(c);
            }
        });
        if let Err(Stop::BadRecord) = listed {
            return; // a record we cannot read: leave this directory
        }
        if has_file {
            let file_path = format!("{path}/{}", self.want.to_string_lossy());
            let got = read_at(fd, &self.want, self.limit)
                .map_err(|e| ReadError::io(&file_path, &e))
                .and_then(|b| {
                    if b.len() as u64 > self.limit {
                        Err(ReadError::new(
                            &file_path,
                            ReadErrorKind::TooLarge { limit: self.limit },
                        ))
                    } else {
                        Ok(b)
                    }
                });
            self.out.push((file_path, got));
        }
        for s in subdirs {
            if let Ok(sub) = open_dir(fd.as_raw_fd(), &s) {
                let sub_path = format!("{path}/{}", s.to_string_lossy());
                self.dir(&sub, &sub_path, depth + 1);
            }
        }
    }
}

fn open_dir(at: libc::c_int, name: &CString) -> std::io::Result<OwnedFd> {
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: a NUL-terminated name; the descriptor returned is owned here.
    let fd = unsafe { libc::openat(at, name.as_ptr(), flags) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh, open descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The type of `name` in `dir` for a filesystem that does not say it in the
/// listing.
fn type_at(dir: &OwnedFd, name: &[u8]) -> u8 {
    let Ok(c) = CString::new(name) else {
        return libc::DT_UNKNOWN;
    };
    // SAFETY: stat is plain old data, filled by the call.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: valid descriptor, NUL-terminated name, a stat buffer of ours.
    let rc = unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            c.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc != 0 {
        return libc::DT_UNKNOWN;
    }
    match st.st_mode & libc::S_IFMT {
        libc::S_IFDIR => libc::DT_DIR,
        libc::S_IFREG => libc::DT_REG,
        _ => libc::DT_UNKNOWN,
    }
}

/// Reads `name` in `dir`: at most `limit + 1` bytes, so a caller can tell a
/// file over the limit.
fn read_at(dir: &OwnedFd, name: &CString, limit: u64) -> std::io::Result<Vec<u8>> {
    let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;
    // SAFETY: valid descriptor and NUL-terminated name.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd is fresh and owned by the File from here on.
    let file = unsafe { std::fs::File::from_raw_fd(fd) };
    let mut buf = Vec::with_capacity(4096);
    file.take(limit + 1).read_to_end(&mut buf)?;
    Ok(buf)
}
