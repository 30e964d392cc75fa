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
        sysfs: is_sysfs(&top),
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
    match for_each_entry(&fd, &mut buf, false, |name, ty| {
        out.push((name.to_vec(), ty))
    }) {
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

/// The position sysfs (kernfs) gives a directory listed to its end; its
/// entries' positions are name hashes kept below it (`kernfs_name_hash`).
const KERNFS_END: i64 = i32::MAX as i64;

/// Whether `fd` is on sysfs.
fn is_sysfs(fd: &OwnedFd) -> bool {
    // SAFETY: statfs is plain old data, filled by the call.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid descriptor and a buffer of ours.
    let rc = unsafe { libc::fstatfs(fd.as_raw_fd(), &mut st) };
    // f_type's type differs between architectures: compare as i64.
    #[allow(clippy::unnecessary_cast)]
    let is = rc == 0 && st.f_type as i64 == libc::SYSFS_MAGIC as i64;
    is
}

/// Calls `f(name, type)` for every entry of `fd` but `.` and `..`.
///
/// A listing ends with a `getdents64` that returns nothing, one more system
/// call per directory. On sysfs (`kernfs_end`) the last entry's position
/// already says it: getdents64 gives it the directory's position after the
/// call, which kernfs sets to its end marker only once every entry was
/// given (a full buffer or a pending signal stop it earlier, at an entry's
/// hash). A walk of /sys/devices lists hundreds of directories.
fn for_each_entry(
    fd: &OwnedFd,
    buf: &mut [u8],
    kernfs_end: bool,
    mut f: impl FnMut(&[u8], u8),
) -> Result<(), Stop> {
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
        let mut last_pos = 0i64;
        while off + 19 <= n {
            // struct linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name NUL.
            let reclen = usize::from(u16::from_ne_bytes([buf[off + 16], buf[off + 17]]));
            if reclen < 20 || off + reclen > n {
                return Err(Stop::BadRecord);
            }
            let mut pos = [0u8; 8];
            pos.copy_from_slice(&buf[off + 8..off + 16]);
            last_pos = i64::from_ne_bytes(pos);
            let ty = buf[off + 18];
            let raw = &buf[off + 19..off + reclen];
            let entry = &raw[..raw.iter().position(|b| *b == 0).unwrap_or(raw.len())];
            off += reclen;
            if entry != b"." && entry != b".." {
                f(entry, ty);
            }
        }
        if kernfs_end && last_pos == KERNFS_END {
            return Ok(());
        }
    }
}

struct Walk<'a> {
    /// The tree is sysfs, whose listings say when they are complete.
    sysfs: bool,
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
        let listed = for_each_entry(fd, &mut self.buf, self.sysfs, |entry, ty| {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &str) -> Option<OwnedFd> {
        open_dir(libc::AT_FDCWD, &CString::new(dir).ok()?).ok()
    }

    fn names(dir: &str, buf_len: usize, kernfs_end: bool) -> Vec<Vec<u8>> {
        let fd = open(dir).unwrap();
        let mut buf = vec![0u8; buf_len];
        let mut out = Vec::new();
        for_each_entry(&fd, &mut buf, kernfs_end, |n, _| out.push(n.to_vec()))
            .ok()
            .unwrap();
        out.sort();
        out
    }

    /// On this machine's own sysfs: stopping at kernfs's end marker lists
    /// exactly what listing until an empty getdents64 does, also when the
    /// buffer holds only a few entries per call (each call then stops at an
    /// entry's hash, never at the marker, until the last).
    #[test]
    fn sysfs_listings_end_at_the_marker() {
        let Some(top) = open("/sys/devices") else {
            return; // no sysfs here
        };
        assert!(is_sysfs(&top));
        let mut dirs = vec!["/sys/devices".to_string(), "/sys/module".to_string()];
        for d in std::fs::read_dir("/sys/devices/system/cpu")
            .into_iter()
            .flatten()
            .flatten()
        {
            dirs.push(d.path().display().to_string());
        }
        for dir in dirs.iter().take(20) {
            let Some(fd) = open(dir) else { continue };
            if !is_sysfs(&fd) {
                continue;
            }
            let full = names(dir, 32 * 1024, false);
            for buf_len in [64, 300, 32 * 1024] {
                assert_eq!(
                    names(dir, buf_len, true),
                    full,
                    "{dir} with {buf_len} bytes"
                );
            }
        }
        // Elsewhere the marker is never trusted.
        if let Some(fd) = open("/proc/self") {
            assert!(!is_sysfs(&fd));
        }
    }
}
