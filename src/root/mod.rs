//! The only code that reads the inspected system (and, in `export`, copies
//! what it read into a snapshot). The tool's own files are the exceptions:
//! site rules (`--rules-dir`), the archive `--root` names, a snapshot's
//! destination and standard input.
//!
//! Every path the tool reads is an absolute *system* path (`/proc/modules`,
//! `/sys/module/loop/refcnt`) resolved under a root directory. The live system is
//! the root `/`; a test tree or an unpacked snapshot is any other directory. Symlinks
//! are followed inside the root and can never escape it, the way a chroot would see
//! them, so a hostile snapshot cannot make us read the analyst's own files.

pub mod archive;
mod devices;
mod dirwalk;
mod error;
pub mod export;
mod links;
mod nftables;
mod ranged;
mod record;
pub mod shape;
mod tsv;

pub use devices::{DEVICES_TSV, DevKind, DevNum};
pub use links::{LINKS_TSV, LinkRecord, NetView, QdiscRecord};
pub use nftables::{NFTABLES_TSV, NOT_ASKED, NftChain, NftRule, NftView, family_name};

/// Where a snapshot keeps the session facts a copy cannot carry.
pub const SESSION_FILE: &str = "/kmod-doctor-snapshot/session";
pub use error::{ReadError, ReadErrorKind};
pub use ranged::RangedFile;
pub use record::{Recorded, Recorder};

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Component, Path, PathBuf};

/// Symlink hops allowed while resolving one path (Linux uses 40 too).
const MAX_SYMLINK_HOPS: usize = 40;
/// Largest file we agree to read. The biggest legitimate input (modules.alias on a
/// distribution kernel) is a few MiB; anything far beyond is corrupt or hostile.
pub const DEFAULT_READ_LIMIT: u64 = 32 * 1024 * 1024;

/// A directory that mirrors the absolute paths of a system.
#[derive(Debug)]
pub struct Root {
    base: PathBuf,
    live: bool,
    read_limit: u64,
    devices: devices::DeviceTable,
    recorder: Option<Recorder>,
    /// Resolved directories (system path → host path).
    dirs: std::cell::RefCell<std::collections::HashMap<String, PathBuf>>,
    /// Live canonical paths already resolved (path → canonical path).
    canon: std::cell::RefCell<std::collections::HashMap<String, String>>,
    /// The SSH session, looked up once: live, it walks the parent processes.
    ssh: std::cell::OnceCell<Option<String>>,
}

impl Root {
    /// Opens `dir` as a root. `/` is the live system.
    pub fn open(dir: &Path) -> Result<Root, ReadError> {
        let meta =
            std::fs::metadata(dir).map_err(|e| ReadError::io(&dir.display().to_string(), &e))?;
        if !meta.is_dir() {
            return Err(ReadError::new(
                &dir.display().to_string(),
                ReadErrorKind::Malformed("not a directory".into()),
            ));
        }
        let base = std::fs::canonicalize(dir)
            .map_err(|e| ReadError::io(&dir.display().to_string(), &e))?;
        let live = base == Path::new("/");
        let mut root = Root {
            base,
            live,
            read_limit: DEFAULT_READ_LIMIT,
            devices: devices::DeviceTable::default(),
            recorder: None,
            dirs: Default::default(),
            canon: Default::default(),
            ssh: Default::default(),
        };
        if !live {
            root.devices = devices::DeviceTable::load(&root);
        }
        Ok(root)
    }

    /// Starts recording every path read, for `snapshot`.
    pub fn with_recorder(mut self) -> Root {
        self.recorder = Some(Recorder::default());
        self
    }

    pub fn recorder(&self) -> Option<&Recorder> {
        self.recorder.as_ref()
    }

    pub fn set_read_limit(&mut self, limit: u64) {
        self.read_limit = limit;
    }

    pub fn is_live(&self) -> bool {
        self.live
    }

    pub fn base(&self) -> &Path {
        &self.base
    }

    /// Reads a whole file as text. Invalid UTF-8 is an error naming the line.
    pub fn read_to_string(&self, path: &str) -> Result<String, ReadError> {
        text(path, self.read_bytes(path)?)
    }

    /// Reads a small attribute file (sysfs/procfs style) and trims the newline.
    pub fn read_attr(&self, path: &str) -> Result<String, ReadError> {
        Ok(attr(self.read_to_string(path)?))
    }

    /// Every file called `name` below `dir` (as [`Self::find_named`] finds
    /// them), each read as an attribute ([`Self::read_attr`]). Live, by
    /// directory descriptor (`dirwalk`): the walk every check makes of
    /// `/sys/devices` for modaliases then pays no path lookup per open and no
    /// `fstat` per directory.
    pub fn read_attrs_named(
        &self,
        dir: &str,
        name: &str,
        max_depth: usize,
        skip: &[&str],
    ) -> Result<Vec<Attr>, ReadError> {
        if self.live && self.recorder.is_none() && dir.starts_with('/') {
            let mut out: Vec<Attr> =
                dirwalk::files_named(dir, name, max_depth, skip, self.read_limit)?
                    .into_iter()
                    .map(|(p, got)| {
                        let v = got.and_then(|b| text(&p, b)).map(attr);
                        (p, v)
                    })
                    .collect();
            out.sort_by(|a, b| a.0.cmp(&b.0));
            return Ok(out);
        }
        Ok(self
            .find_named(dir, name, max_depth, skip)?
            .into_iter()
            .map(|p| {
                let v = self.read_attr(&p);
                (p, v)
            })
            .collect())
    }

    /// Reads a whole file, refusing anything larger than the read limit.
    pub fn read_bytes(&self, path: &str) -> Result<Vec<u8>, ReadError> {
        let host = self.resolve(path, true)?;
        if !self.live {
            // Check before opening: opening a FIFO blocks until a writer
            // appears, and a device node would read the analyst's hardware.
            let meta = std::fs::metadata(&host).map_err(|e| ReadError::io(path, &e))?;
            if !meta.is_file() && !meta.is_dir() {
                return Err(ReadError::new(
                    path,
                    ReadErrorKind::Malformed("not a regular file".into()),
                ));
            }
        }
        let file = std::fs::File::open(&host).map_err(|e| ReadError::io(path, &e))?;
        let is_dir = || ReadError::new(path, ReadErrorKind::Malformed("is a directory".into()));
        // Room for a whole sysfs or procfs attribute (a page) from the start:
        // an empty buffer is filled by reads of 32, 32, 64... bytes.
        let mut capacity = 4096;
        if !self.live {
            let meta = file.metadata().map_err(|e| ReadError::io(path, &e))?;
            capacity = capacity.max(meta.len().min(self.read_limit) as usize + 1);
            if meta.is_dir() {
                return Err(is_dir());
            }
            if !meta.is_file() {
                // A FIFO or device node in a snapshot would block or read the analyst's hardware.
                return Err(ReadError::new(
                    path,
                    ReadErrorKind::Malformed("not a regular file".into()),
                ));
            }
        }
        let mut buf = Vec::with_capacity(capacity);
        // procfs and sysfs report size 0, so the bound is enforced while reading.
        // Live, a directory is told by read() itself (EISDIR): no fstat per
        // attribute, of which a check reads hundreds.
        file.take(self.read_limit + 1)
            .read_to_end(&mut buf)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::EISDIR) => is_dir(),
                _ => ReadError::io(path, &e),
            })?;
        if buf.len() as u64 > self.read_limit {
            return Err(ReadError::new(
                path,
                ReadErrorKind::TooLarge {
                    limit: self.read_limit,
                },
            ));
        }
        self.note(&host, Recorded::File);
        Ok(buf)
    }

    /// Names in a directory, sorted for stable output.
    pub fn read_dir(&self, path: &str) -> Result<Vec<String>, ReadError> {
        if self.fast_live() {
            let mut names: Vec<String> =
                self.list_live(path)?.into_iter().map(|(n, _)| n).collect();
            names.sort();
            return Ok(names);
        }
        let host = self.resolve(path, true)?;
        let rd = std::fs::read_dir(&host).map_err(|e| ReadError::io(path, &e))?;
        let mut names = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| ReadError::io(path, &e))?;
            names.push(os_to_string(entry.file_name()));
        }
        names.sort();
        self.note(&host, Recorded::Dir);
        Ok(names)
    }

    /// Names of the real directories in a directory (symlinks to directories
    /// left out), sorted: the child devices and groups of a sysfs device,
    /// without opening each of its attributes to find out.
    pub fn read_subdirs(&self, path: &str) -> Result<Vec<String>, ReadError> {
        let mut names = Vec::new();
        if self.fast_live() {
            for (name, ty) in self.list_live(path)? {
                let is_dir = match ty {
                    libc::DT_DIR => true,
                    libc::DT_UNKNOWN => child(path, &name)
                        .and_then(|p| std::fs::symlink_metadata(p).ok())
                        .is_some_and(|m| m.is_dir()),
                    _ => false,
                };
                if is_dir {
                    names.push(name);
                }
            }
        } else {
            let host = self.resolve(path, true)?;
            let rd = std::fs::read_dir(&host).map_err(|e| ReadError::io(path, &e))?;
            for entry in rd {
                let entry = entry.map_err(|e| ReadError::io(path, &e))?;
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    names.push(os_to_string(entry.file_name()));
                }
            }
            self.note(&host, Recorded::Dir);
        }
        names.sort();
        Ok(names)
    }

    /// Live without recording: the kernel resolves paths, nothing is noted.
    fn fast_live(&self) -> bool {
        self.live && self.recorder.is_none()
    }

    /// A live directory's entries and their `DT_*` types, by `getdents64`.
    fn list_live(&self, path: &str) -> Result<Vec<(String, u8)>, ReadError> {
        // Checked like any path (absolute, no NUL) before the kernel sees it.
        self.resolve(path, true)?;
        Ok(dirwalk::list(path)
            .map_err(|e| ReadError::io(path, &e))?
            .into_iter()
            .map(|(n, ty)| (bytes_to_string(n), ty))
            .collect())
    }

    /// The symlinks in a directory and their raw targets, resolving the
    /// directory once: entries are direct children, so each costs one
    /// `readlink` (the fd table of a process, thousands of times per run).
    /// Entries that are not symlinks, or vanish meanwhile, are left out.
    pub fn read_links(&self, dir: &str) -> Result<Vec<(String, String)>, ReadError> {
        if self.fast_live() {
            let mut out = Vec::new();
            for (name, ty) in self.list_live(dir)? {
                if (ty == libc::DT_LNK || ty == libc::DT_UNKNOWN)
                    && let Some(p) = child(dir, &name)
                    && let Ok(target) = std::fs::read_link(&p)
                {
                    out.push((name, os_to_string(target.into_os_string())));
                }
            }
            out.sort();
            return Ok(out);
        }
        let host = self.resolve(dir, true)?;
        let rd = std::fs::read_dir(&host).map_err(|e| ReadError::io(dir, &e))?;
        self.note(&host, Recorded::Dir);
        let mut out = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| ReadError::io(dir, &e))?;
            let p = entry.path();
            if let Ok(target) = std::fs::read_link(&p) {
                self.note(&p, Recorded::Link);
                out.push((
                    os_to_string(entry.file_name()),
                    os_to_string(target.into_os_string()),
                ));
            }
        }
        out.sort();
        Ok(out)
    }

    /// The raw target of a symlink, not followed.
    pub fn read_link(&self, path: &str) -> Result<String, ReadError> {
        let host = self.resolve(path, false)?;
        let target = std::fs::read_link(&host).map_err(|e| ReadError::io(path, &e))?;
        self.note(&host, Recorded::Link);
        Ok(os_to_string(target.into_os_string()))
    }

    /// Whether the path exists (following symlinks inside the root).
    pub fn exists(&self, path: &str) -> bool {
        let found = match self.resolve(path, true) {
            Ok(host) => host.exists(),
            Err(_) => false,
        };
        if found && let Ok(host) = self.resolve(path, true) {
            self.note(&host, Recorded::Exists);
        }
        found
    }

    /// Whether the path exists, distinguishing "absent" from "could not look".
    pub fn probe(&self, path: &str) -> Result<bool, ReadError> {
        let host = match self.resolve(path, true) {
            Ok(h) => h,
            Err(e) if e.kind == ReadErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        match std::fs::symlink_metadata(&host) {
            Ok(_) => {
                self.note(&host, Recorded::Exists);
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(ReadError::io(path, &e)),
        }
    }

    /// Canonical system path of `path` after following symlinks inside the root,
    /// e.g. `/sys/class/net/eth0` → `/sys/devices/pci0000:00/.../net/eth0`.
    pub fn canonical(&self, path: &str) -> Result<String, ReadError> {
        if self.fast_live() {
            self.resolve(path, true)?;
            let mut hops = 0;
            return self
                .canonical_from(String::from("/"), path, &mut hops)
                .map_err(|e| match e.raw_os_error() {
                    Some(libc::ENOENT) | Some(libc::ENOTDIR) => {
                        ReadError::new(path, ReadErrorKind::NotFound)
                    }
                    _ => ReadError::io(path, &e),
                });
        }
        let mut host = self.resolve(path, true)?;
        if std::fs::symlink_metadata(&host).is_err() {
            return Err(ReadError::new(path, ReadErrorKind::NotFound));
        }
        // A snapshot must hold the target too, or the links recorded on the way dangle.
        self.note(&host, Recorded::Exists);
        if self.live && self.recorder.is_none() {
            // The fast live path leaves resolution to the kernel, so ask it.
            host = std::fs::canonicalize(&host).map_err(|e| ReadError::io(path, &e))?;
        }
        Ok(self.system_path(&host))
    }

    /// `rel` followed from the canonical directory `start`, as realpath(3)
    /// does but remembering every step: realpath asks `readlink` of every
    /// prefix again (`/sys`, `/sys/devices`, ...) on each call, and a check
    /// canonicalises hundreds of sysfs paths that share them.
    fn canonical_from(
        &self,
        mut cur: String,
        rel: &str,
        hops: &mut usize,
    ) -> std::io::Result<String> {
        for comp in rel.split('/') {
            match comp {
                "" | "." => {}
                ".." => {
                    let cut = cur.rfind('/').unwrap_or(0);
                    cur.truncate(cut.max(1));
                }
                name => cur = self.canonical_step(&cur, name, hops)?,
            }
        }
        Ok(cur)
    }

    /// The canonical path of `name` in the canonical directory `dir`.
    fn canonical_step(&self, dir: &str, name: &str, hops: &mut usize) -> std::io::Result<String> {
        let cand = if dir == "/" {
            format!("/{name}")
        } else {
            format!("{dir}/{name}")
        };
        if let Some(c) = self.canon.borrow().get(&cand) {
            return Ok(c.clone());
        }
        let out = match std::fs::read_link(&cand) {
            Ok(target) => {
                *hops += 1;
                if *hops > MAX_SYMLINK_HOPS {
                    return Err(std::io::Error::from_raw_os_error(libc::ELOOP));
                }
                let target = target
                    .into_os_string()
                    .into_string()
                    .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidData))?;
                let start = if target.starts_with('/') { "/" } else { dir };
                self.canonical_from(start.to_string(), &target, hops)?
            }
            // Not a symlink, and it exists.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => cand.clone(),
            Err(e) => return Err(e),
        };
        self.canon.borrow_mut().insert(cand, out.clone());
        Ok(out)
    }

    /// Device number of the file a process descriptor points at (`/proc/P/fd/N`),
    /// or of a device node path. On a snapshot the number comes from the table the
    /// snapshot recorded, since device nodes are not copied.
    pub fn device_of(&self, fd_link: &str, target: &str) -> Option<DevNum> {
        if self.live {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::metadata(fd_link).ok()?;
            let ft = meta.file_type();
            let kind = if ft.is_char_device() {
                DevKind::Char
            } else if ft.is_block_device() {
                DevKind::Block
            } else {
                return None;
            };
            let rdev = meta.rdev();
            let num = DevNum {
                kind,
                major: libc::major(rdev),
                minor: libc::minor(rdev),
            };
            if let Some(rec) = &self.recorder {
                rec.note_device(fd_link, target, num);
            }
            Some(num)
        } else {
            let num = self.devices.lookup(fd_link, target)?;
            if let Some(rec) = &self.recorder {
                rec.note_device(fd_link, target, num);
            }
            Some(num)
        }
    }

    /// `SSH_CONNECTION` of the session that runs the tool (`client_ip
    /// client_port server_ip server_port`). Live: from our environment or,
    /// under sudo, the nearest ancestor that has it. In a snapshot: the value
    /// the snapshot recorded in `kmod-doctor-snapshot/session`. Environments
    /// are never recorded into snapshots, only this one value.
    pub fn ssh_connection(&self) -> Option<String> {
        self.ssh.get_or_init(|| self.find_ssh_connection()).clone()
    }

    fn find_ssh_connection(&self) -> Option<String> {
        if !self.live {
            let text = self.read_to_string(SESSION_FILE).ok()?;
            return text
                .lines()
                .find_map(|l| l.strip_prefix("SSH_CONNECTION="))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty());
        }
        if let Ok(v) = std::env::var("SSH_CONNECTION") {
            return Some(v);
        }
        let mut pid = std::process::id();
        for _ in 0..64 {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The command name can contain spaces and parentheses; ppid follows the last ')'.
            let ppid: u32 = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            if ppid <= 1 {
                return None;
            }
            if let Ok(env) = std::fs::read(format!("/proc/{ppid}/environ"))
                && let Some(v) = env
                    .split(|b| *b == 0)
                    .find_map(|kv| kv.strip_prefix(b"SSH_CONNECTION="))
            {
                return Some(String::from_utf8_lossy(v).into_owned());
            }
            pid = ppid;
        }
        None
    }

    /// System paths of every file called `name` below `dir`, without following
    /// symlinks (sysfs is full of cycles), at most `max_depth` levels down,
    /// never entering a directory called like one of `skip`.
    pub fn find_named(
        &self,
        dir: &str,
        name: &str,
        max_depth: usize,
        skip: &[&str],
    ) -> Result<Vec<String>, ReadError> {
        let host = self.resolve(dir, true)?;
        std::fs::symlink_metadata(&host).map_err(|e| ReadError::io(dir, &e))?;
        // By hand rather than with walkdir: walkdir opens a directory before
        // its filter can skip it, and sysfs has a `power/` (and more groups)
        // in every device: three wasted system calls each, most of a walk.
        let mut out = Vec::new();
        let mut stack: Vec<(PathBuf, usize)> = vec![(host, 0)];
        while let Some((dir, depth)) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let Ok(ty) = entry.file_type() else { continue };
                let file_name = entry.file_name();
                if ty.is_file() && file_name == name {
                    out.push(self.system_path(&entry.path()));
                } else if ty.is_dir()
                    && depth + 1 < max_depth
                    && !file_name.to_str().is_some_and(|n| skip.contains(&n))
                {
                    stack.push((entry.path(), depth + 1));
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Records a read under its canonical system path; the symlinks crossed on
    /// the way were recorded during resolution.
    fn note(&self, host: &Path, what: Recorded) {
        if let Some(rec) = &self.recorder {
            rec.note(&self.system_path(host), what);
        }
    }

    /// Host path for a system path whose last component is a plain child of an
    /// already-resolved directory: used by hot loops (fd tables) to avoid
    /// re-resolving the same prefix for every entry.
    pub fn resolve_dir(&self, path: &str) -> Result<PathBuf, ReadError> {
        self.resolve(path, true)
    }

    /// Maps a system path to a host path, following symlinks inside the root.
    fn resolve(&self, path: &str, follow_final: bool) -> Result<PathBuf, ReadError> {
        if !path.starts_with('/') {
            return Err(ReadError::new(
                path,
                ReadErrorKind::Malformed("not an absolute path".into()),
            ));
        }
        if path.as_bytes().contains(&0) {
            return Err(ReadError::new(
                path,
                ReadErrorKind::Malformed("contains NUL".into()),
            ));
        }
        if self.live && self.recorder.is_none() {
            // The kernel resolves for us; `/` cannot be escaped. When recording
            // we resolve by hand so that every symlink crossed is captured.
            return Ok(PathBuf::from(path));
        }
        // The parent directory is resolved once and remembered: the same
        // directories (/proc/N, /sys/devices/...) are crossed thousands of
        // times per run, and each crossing would cost a stat per component.
        if let Some((parent, last)) = path.rsplit_once('/')
            && !last.is_empty()
            && last != "."
            && last != ".."
            && !parent.is_empty()
            && parent.matches('/').count() < 64
        {
            // Errors name the path asked for, not the directory that failed.
            let dir = self
                .resolve_dir_cached(parent)
                .map_err(|e| ReadError::new(path, e.kind))?;
            return self.walk(path, dir, vec![OsString::from(last)], follow_final);
        }
        let mut pending: Vec<OsString> = components(Path::new(path));
        pending.reverse();
        self.walk(path, self.base.clone(), pending, follow_final)
    }

    /// Host directory for a system directory, following symlinks, cached.
    fn resolve_dir_cached(&self, dir: &str) -> Result<PathBuf, ReadError> {
        if let Some(h) = self.dirs.borrow().get(dir) {
            return Ok(h.clone());
        }
        let h = self.resolve(dir, true)?;
        match std::fs::symlink_metadata(&h) {
            Ok(m) if m.is_dir() => {
                self.dirs.borrow_mut().insert(dir.to_string(), h.clone());
                Ok(h)
            }
            Ok(_) => Err(ReadError::new(dir, ReadErrorKind::NotFound)),
            Err(e) => Err(ReadError::io(dir, &e)),
        }
    }

    /// Follows `pending` components (last first on the stack) from `cur`.
    fn walk(
        &self,
        path: &str,
        mut cur: PathBuf,
        mut pending: Vec<OsString>,
        follow_final: bool,
    ) -> Result<PathBuf, ReadError> {
        let mut hops = 0usize;
        while let Some(comp) = pending.pop() {
            if comp == ".." {
                if cur != self.base {
                    cur.pop();
                }
                continue;
            }
            let cand = cur.join(&comp);
            let is_last = pending.is_empty();
            let meta = match std::fs::symlink_metadata(&cand) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    if is_last {
                        return Ok(cand);
                    }
                    return Err(ReadError::new(path, ReadErrorKind::NotFound));
                }
                Err(e) => return Err(ReadError::io(path, &e)),
            };
            if meta.file_type().is_symlink() && (!is_last || follow_final) {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(ReadError::new(path, ReadErrorKind::SymlinkLoop));
                }
                let target = std::fs::read_link(&cand).map_err(|e| ReadError::io(path, &e))?;
                if let Some(rec) = &self.recorder {
                    rec.note(&self.system_path(&cand), Recorded::Link);
                }
                if self.live && target.to_str().is_some_and(|t| t.contains(":[")) {
                    // A magic link such as socket:[123] leads nowhere in a tree.
                    return Err(ReadError::new(path, ReadErrorKind::NotFound));
                }
                let mut tcomps = components(&target);
                if target.is_absolute() {
                    cur = self.base.clone();
                }
                tcomps.reverse();
                pending.extend(tcomps);
                continue;
            }
            cur = cand;
        }
        Ok(cur)
    }

    /// System path (`/sys/...`) of a host path under the base.
    fn system_path(&self, host: &Path) -> String {
        match host.strip_prefix(&self.base) {
            Ok(rel) => format!("/{}", rel.display()),
            Err(_) => host.display().to_string(),
        }
    }
}

/// A file's path and its value as an attribute, or why it could not be read.
pub type Attr = (String, Result<String, ReadError>);

/// File contents as text; an error names the first line that is not UTF-8.
fn text(path: &str, bytes: Vec<u8>) -> Result<String, ReadError> {
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        ReadError::new(path, ReadErrorKind::NotUtf8 { line })
    })
}

/// An attribute's value: its text without the trailing newline.
fn attr(text: String) -> String {
    text.trim_end_matches(['\n', '\r']).to_string()
}

fn components(p: &Path) -> Vec<OsString> {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

/// Names are shown to people and matched as text; bytes that are not UTF-8 are
/// kept visible as escapes rather than dropped.
pub fn os_to_string(s: OsString) -> String {
    bytes_to_string(s.into_vec())
}

fn bytes_to_string(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Joins a trusted directory and one untrusted name, refusing names that would
/// change the directory (`..`, `/`, NUL, empty).
pub fn child(dir: &str, name: &str) -> Option<String> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
        return None;
    }
    Some(format!("{}/{}", dir.trim_end_matches('/'), name))
}

#[cfg(test)]
mod tests;
