//! Writing what a recording root read into a snapshot tree. This is the one
//! place that copies from the inspected system: every path comes from the
//! recorder, so the snapshot holds exactly what a verdict read.

use super::Root;
use super::archive::safe_relative;
use super::record::Recorded;
use std::path::{Path, PathBuf};

/// What was copied.
#[derive(Debug, Default, Clone, Copy)]
pub struct Exported {
    pub files: usize,
    pub links: usize,
    pub devices: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct ExportError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

fn err(p: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError {
        path: p.to_path_buf(),
        source,
    }
}

impl Root {
    /// Copies every path this (recording) root read into `dir`, which exists
    /// and is empty; symlinks are kept as links, listed directories keep the
    /// links and subdirectories they showed. Without a recorder, nothing.
    pub fn export_recorded(&self, dir: &Path) -> Result<Exported, ExportError> {
        let mut counts = Exported::default();
        let Some(rec) = self.recorder() else {
            return Ok(counts);
        };
        for (path, what) in rec.paths() {
            let Some(rel) = safe_relative(Path::new(path.trim_start_matches('/'))) else {
                continue;
            };
            if rel.as_os_str().is_empty() {
                continue;
            }
            let out = dir.join(&rel);
            let host = self.base().join(&rel);
            let meta = match std::fs::symlink_metadata(&host) {
                Ok(m) => m,
                Err(_) => continue,
            };
            if let Some(p) = out.parent() {
                mkdirs(dir, p)?;
            }
            if meta.file_type().is_symlink() {
                copy_link(&host, &out)?;
                counts.links += 1;
                continue;
            }
            match what {
                Recorded::File => {
                    let bytes = self.read_bytes(&path).map_err(|e| ExportError {
                        path: host.clone(),
                        source: std::io::Error::other(e.to_string()),
                    })?;
                    std::fs::write(&out, bytes).map_err(err(&out))?;
                    counts.files += 1;
                }
                Recorded::Dir => {
                    mkdirs(dir, &out)?;
                    // Keep the symlinks and subdirectories a listing showed
                    // (holders/, drivers/, fd/): their presence is the fact.
                    // Files that mattered were read and are copied on their own;
                    // nothing else is touched (/proc/kmsg must never be read).
                    if let Ok(rd) = std::fs::read_dir(&host) {
                        for e in rd.flatten() {
                            let Ok(ft) = e.file_type() else { continue };
                            let o = out.join(e.file_name());
                            if ft.is_symlink() {
                                // A link the listing shows but that cannot be
                                // read (another process's fd under a sandbox)
                                // was not read by the check either: leave it out.
                                if std::fs::symlink_metadata(&o).is_err()
                                    && std::fs::read_link(e.path()).is_ok()
                                {
                                    copy_link(&e.path(), &o)?;
                                    counts.links += 1;
                                }
                            } else if ft.is_dir() {
                                mkdirs(dir, &o)?;
                            }
                        }
                    }
                }
                Recorded::Exists | Recorded::Link => {
                    if meta.is_dir() {
                        mkdirs(dir, &out)?;
                    } else if std::fs::symlink_metadata(&out).is_err() {
                        let _ = std::fs::write(&out, b"");
                    }
                }
            }
        }
        Ok(counts)
    }
}

fn mkdirs(base: &Path, p: &Path) -> Result<(), ExportError> {
    // Never create through a symlink we wrote ourselves.
    if let Ok(rel) = p.strip_prefix(base) {
        let mut cur = base.to_path_buf();
        for c in rel.components() {
            cur.push(c);
            if let Ok(m) = std::fs::symlink_metadata(&cur)
                && m.file_type().is_symlink()
            {
                return Ok(());
            }
        }
    }
    std::fs::create_dir_all(p).map_err(err(p))
}

fn copy_link(from: &Path, to: &Path) -> Result<(), ExportError> {
    let target = std::fs::read_link(from).map_err(err(from))?;
    if std::fs::symlink_metadata(to).is_ok() {
        return Ok(());
    }
    std::os::unix::fs::symlink(target, to).map_err(err(to))
}
