//! Opening `--root`: a directory, or a snapshot archive (.tar.gz) unpacked
//! into a temporary directory.
//!
//! Opening an archive from a stranger must be safe: members with absolute
//! paths or `..` are refused, nothing is written through a symlink, device
//! nodes, FIFOs and hard links are skipped, and sizes are bounded so a
//! decompression bomb stops early.

use super::Root;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Largest single member and largest total we unpack.
pub const MAX_MEMBER: u64 = 32 * 1024 * 1024;
pub const MAX_TOTAL: u64 = 64 * 1024 * 1024;
pub const MAX_ENTRIES: usize = 500_000;

/// How a `--root` file is packed, from its first bytes (names lie: `.TGZ`,
/// `.tar`, a snapshot renamed by a mail client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    Gzip,
    Tar,
    /// Compressed or archived in a way we do not unpack, named for the message.
    Other(&'static str),
    Unknown,
}

/// Sniffs the first bytes of a file.
pub fn packing(head: &[u8]) -> Packing {
    if head.starts_with(&[0x1f, 0x8b]) {
        Packing::Gzip
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Packing::Tar
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Packing::Other("is compressed with xz")
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Packing::Other("is compressed with zstd")
    } else if head.starts_with(b"BZh") {
        Packing::Other("is compressed with bzip2")
    } else if head.starts_with(b"PK\x03\x04") {
        Packing::Other("is a zip archive")
    } else if head.starts_with(&[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]) {
        Packing::Other("is a 7z archive")
    } else {
        Packing::Unknown
    }
}

/// Opens `--root`: a directory, or a snapshot archive (.tar.gz, .tgz or a
/// plain .tar, recognised by content whatever the extension) unpacked into a
/// temporary directory that lives as long as the returned guard. A directory
/// (or archive) that is not a Linux root is refused with what was expected.
pub fn open_root(path: &Path) -> Result<(Root, Option<tempfile::TempDir>), String> {
    let shown = crate::shell::sanitize(&path.display().to_string());
    if path.is_file() {
        return open_archive(path, &shown);
    }
    let root = Root::open(path).map_err(|e| format!("--root {shown}: {}", e.reason()))?;
    if !super::shape::is_linux_root(&root) {
        return Err(format!("--root {}", super::shape::refusal(&shown, path)));
    }
    Ok((root, None))
}

fn open_archive(path: &Path, shown: &str) -> Result<(Root, Option<tempfile::TempDir>), String> {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(512).read_to_end(&mut head))
        .map_err(|e| format!("--root {shown}: {e}"))?;
    let kind = packing(&head);
    let expected = "--root takes a directory or a snapshot archive (.tar.gz, .tgz or .tar)";
    match kind {
        Packing::Gzip | Packing::Tar => {}
        Packing::Other(what) => {
            return Err(format!(
                "--root {shown} {what}, which kmod-doctor does not unpack. {expected}: unpack it first and pass the directory, or repack it as .tar.gz."
            ));
        }
        Packing::Unknown if head.is_empty() => {
            return Err(format!("--root {shown}: an empty file. {expected}."));
        }
        Packing::Unknown => {
            return Err(format!(
                "--root {shown}: a file that is neither a directory nor a tar or gzip archive. {expected}."
            ));
        }
    }
    let tmp = tempfile::Builder::new()
        .prefix("kmod-doctor-root.")
        .tempdir()
        .map_err(|e| format!("creating a temporary directory: {e}"))?;
    let file = std::fs::File::open(path).map_err(|e| format!("--root {shown}: {e}"))?;
    let report = match kind {
        Packing::Gzip => unpack(file, tmp.path()),
        _ => unpack_tar(file, tmp.path()),
    }
    .map_err(|e| format!("--root {shown}: cannot open this archive: {e}"))?;
    for w in &report.skipped {
        eprintln!("kmod-doctor: {shown}: skipped {w}");
    }
    let root = Root::open(tmp.path()).map_err(|e| e.to_string())?;
    if super::shape::is_linux_root(&root) {
        return Ok((root, Some(tmp)));
    }
    // `tar czf snap.tar.gz snap/` puts the root one level down: use it when
    // it is the only one, and say so.
    let below = super::shape::roots_below(tmp.path());
    if let [one] = below.as_slice() {
        let root = Root::open(&tmp.path().join(one)).map_err(|e| e.to_string())?;
        eprintln!(
            "kmod-doctor: {shown}: reading the root inside its {} directory",
            crate::shell::sanitize(one)
        );
        return Ok((root, Some(tmp)));
    }
    let what = if report.files == 0 {
        "it holds no files".to_string()
    } else {
        format!("it holds {} at its top", super::shape::LACKS)
    };
    Err(format!(
        "--root {shown} is not a Linux root: {what}. Expected {}.",
        super::shape::EXPECTED
    ))
}

/// A tar or gzip failure in plain words: what is wrong with the archive,
/// not the parser's internals ("numeric field was not a number").
fn plain(e: &std::io::Error, member: usize) -> String {
    let m = e.to_string();
    let at = if member == 0 {
        "at its start".to_string()
    } else {
        format!("after {member} members")
    };
    if m.contains("more than") {
        return m;
    }
    if e.kind() == std::io::ErrorKind::UnexpectedEof || m.contains("unexpected end") {
        return format!(
            "it ends too early ({at}): the file is truncated or damaged, e.g. by an interrupted copy or download"
        );
    }
    if m.contains("deflate") || m.contains("gzip") || m.contains("invalid gzip header") {
        return format!("its gzip data is damaged ({at}): the file is corrupt or truncated");
    }
    if m.contains("cksum") || m.contains("checksum") || m.contains("numeric field") {
        return format!(
            "a tar header is damaged ({at}): the file is corrupt, truncated, or not a tar archive"
        );
    }
    format!("it is damaged ({at}): {}", crate::shell::sanitize(&m))
}

struct Bounded<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other(format!(
                "archive unpacks to more than {MAX_TOTAL} bytes"
            )));
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[derive(Debug, Default)]
pub struct UnpackReport {
    pub files: usize,
    pub bytes: u64,
    /// Members neutralised rather than unpacked, with the reason.
    pub skipped: Vec<String>,
}

/// Unpacks a gzip'd tar under `dest` safely.
pub fn unpack(reader: impl Read, dest: &Path) -> Result<UnpackReport, String> {
    unpack_tar(flate2::read::GzDecoder::new(reader), dest)
}

/// Unpacks a plain tar stream under `dest` safely.
pub fn unpack_tar(reader: impl Read, dest: &Path) -> Result<UnpackReport, String> {
    // Bounds everything tar reads, headers and long names included, so a
    // bomb hidden in PAX or GNU long-name records stops too.
    let gz = Bounded {
        inner: reader,
        left: MAX_TOTAL + MAX_TOTAL / 8,
    };
    let mut ar = tar::Archive::new(gz);
    let mut report = UnpackReport::default();
    let entries = ar.entries().map_err(|e| plain(&e, 0))?;
    for (i, entry) in entries.enumerate() {
        if i >= MAX_ENTRIES {
            return Err(format!("more than {MAX_ENTRIES} members"));
        }
        let mut entry = entry.map_err(|e| plain(&e, i))?;
        let raw = entry
            .path()
            .map_err(|e| format!("member {i}: bad path: {e}"))?
            .into_owned();
        let rel = safe_relative(&raw).ok_or_else(|| {
            format!(
                "member {:?} escapes the destination (absolute or ..)",
                crate::shell::sanitize(&raw.display().to_string())
            )
        })?;
        if rel.as_os_str().is_empty() {
            continue;
        }
        let target = dest.join(&rel);
        if !parents_are_real_dirs(dest, &rel) {
            return Err(format!(
                "member {:?} would be written through a symlink",
                crate::shell::sanitize(&raw.display().to_string())
            ));
        }
        let kind = entry.header().entry_type();
        match kind {
            tar::EntryType::Directory => {
                std::fs::create_dir_all(&target).map_err(|e| {
                    format!(
                        "{}: {e}",
                        crate::shell::sanitize(&rel.display().to_string())
                    )
                })?;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let size = entry.header().size().unwrap_or(u64::MAX);
                if size > MAX_MEMBER {
                    return Err(format!(
                        "member {:?} is larger than {MAX_MEMBER} bytes",
                        crate::shell::sanitize(&raw.display().to_string())
                    ));
                }
                if report.bytes + size > MAX_TOTAL {
                    return Err(format!("archive unpacks to more than {MAX_TOTAL} bytes"));
                }
                if let Some(p) = target.parent() {
                    std::fs::create_dir_all(p).map_err(|e| {
                        format!(
                            "{}: {e}",
                            crate::shell::sanitize(&rel.display().to_string())
                        )
                    })?;
                }
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&target)
                    .map_err(|e| {
                        format!(
                            "{}: {e}",
                            crate::shell::sanitize(&rel.display().to_string())
                        )
                    })?;
                let n =
                    std::io::copy(&mut (&mut entry).take(MAX_MEMBER + 1), &mut f).map_err(|e| {
                        format!(
                            "reading member {}: {}",
                            crate::shell::sanitize(&rel.display().to_string()),
                            plain(&e, i)
                        )
                    })?;
                if n > size {
                    return Err(format!(
                        "member {:?} is longer than its header says",
                        crate::shell::sanitize(&raw.display().to_string())
                    ));
                }
                report.bytes += n;
                report.files += 1;
            }
            tar::EntryType::Symlink => {
                let link = entry
                    .link_name()
                    .map_err(|e| {
                        format!(
                            "{}: {e}",
                            crate::shell::sanitize(&rel.display().to_string())
                        )
                    })?
                    .ok_or_else(|| {
                        format!(
                            "symlink {:?} without a target",
                            crate::shell::sanitize(&raw.display().to_string())
                        )
                    })?;
                if let Some(p) = target.parent() {
                    std::fs::create_dir_all(p).map_err(|e| {
                        format!(
                            "{}: {e}",
                            crate::shell::sanitize(&rel.display().to_string())
                        )
                    })?;
                }
                // Kept verbatim: reads resolve links inside the root, so even
                // an absolute or climbing target cannot reach outside.
                std::os::unix::fs::symlink(&link, &target).map_err(|e| {
                    format!(
                        "{}: {e}",
                        crate::shell::sanitize(&rel.display().to_string())
                    )
                })?;
            }
            other => report.skipped.push(format!(
                "{} ({other:?} members are not unpacked)",
                crate::shell::sanitize(&rel.display().to_string())
            )),
        }
    }
    Ok(report)
}

/// The member path as a clean relative path, or `None` if it is absolute or
/// climbs with `..`.
pub fn safe_relative(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// Every existing ancestor of `dest/rel` below `dest` is a real directory, so
/// writing the member cannot follow a symlink planted by an earlier member.
fn parents_are_real_dirs(dest: &Path, rel: &Path) -> bool {
    let mut cur = dest.to_path_buf();
    let comps: Vec<_> = rel.components().collect();
    for c in &comps[..comps.len().saturating_sub(1)] {
        cur.push(c);
        match std::fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_symlink() || !m.is_dir() => return false,
            _ => {}
        }
    }
    // The member itself must not replace an existing symlink either.
    !matches!(std::fs::symlink_metadata(dest.join(rel)), Ok(m) if m.file_type().is_symlink())
}
