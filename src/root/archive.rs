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

/// Opens `--root`: a directory, or a snapshot archive unpacked into a
/// temporary directory that lives as long as the returned guard.
pub fn open_root(path: &Path) -> Result<(Root, Option<tempfile::TempDir>), String> {
    let is_archive = path.is_file()
        && path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".tar.gz") || n.ends_with(".tgz"));
    if is_archive {
        let tmp = tempfile::Builder::new()
            .prefix("kmod-doctor-root.")
            .tempdir()
            .map_err(|e| format!("creating a temporary directory: {e}"))?;
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let report = unpack(file, tmp.path()).map_err(|e| format!("{}: {e}", path.display()))?;
        for w in &report.skipped {
            eprintln!("kmod-doctor: {}: skipped {w}", path.display());
        }
        let root = Root::open(tmp.path()).map_err(|e| e.to_string())?;
        return Ok((root, Some(tmp)));
    }
    let root =
        Root::open(path).map_err(|e| format!("--root {}: {}", path.display(), e.reason()))?;
    Ok((root, None))
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
    // Bounds everything tar reads, headers and long names included, so a
    // bomb hidden in PAX or GNU long-name records stops too.
    let gz = Bounded {
        inner: flate2::read::GzDecoder::new(reader),
        left: MAX_TOTAL + MAX_TOTAL / 8,
    };
    let mut ar = tar::Archive::new(gz);
    let mut report = UnpackReport::default();
    let entries = ar
        .entries()
        .map_err(|e| format!("not a tar.gz archive: {e}"))?;
    for (i, entry) in entries.enumerate() {
        if i >= MAX_ENTRIES {
            return Err(format!("more than {MAX_ENTRIES} members"));
        }
        let mut entry = entry.map_err(|e| format!("corrupt archive: {e}"))?;
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
                            "{}: {e}",
                            crate::shell::sanitize(&rel.display().to_string())
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
