//! Snapshots: a root captured for another machine, as a directory or .tar.gz.
//!
//! Opening an archive from a stranger must be safe: members with absolute
//! paths or `..` are refused, nothing is written through a symlink, device
//! nodes, FIFOs and hard links are skipped, and sizes are bounded so a
//! decompression bomb stops early.

use crate::root::Root;
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
                crate::render::quote::sanitize(&raw.display().to_string())
            )
        })?;
        if rel.as_os_str().is_empty() {
            continue;
        }
        let target = dest.join(&rel);
        if !parents_are_real_dirs(dest, &rel) {
            return Err(format!(
                "member {:?} would be written through a symlink",
                crate::render::quote::sanitize(&raw.display().to_string())
            ));
        }
        let kind = entry.header().entry_type();
        match kind {
            tar::EntryType::Directory => {
                std::fs::create_dir_all(&target).map_err(|e| {
                    format!(
                        "{}: {e}",
                        crate::render::quote::sanitize(&rel.display().to_string())
                    )
                })?;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let size = entry.header().size().unwrap_or(u64::MAX);
                if size > MAX_MEMBER {
                    return Err(format!(
                        "member {:?} is larger than {MAX_MEMBER} bytes",
                        crate::render::quote::sanitize(&raw.display().to_string())
                    ));
                }
                if report.bytes + size > MAX_TOTAL {
                    return Err(format!("archive unpacks to more than {MAX_TOTAL} bytes"));
                }
                if let Some(p) = target.parent() {
                    std::fs::create_dir_all(p).map_err(|e| {
                        format!(
                            "{}: {e}",
                            crate::render::quote::sanitize(&rel.display().to_string())
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
                            crate::render::quote::sanitize(&rel.display().to_string())
                        )
                    })?;
                let n =
                    std::io::copy(&mut (&mut entry).take(MAX_MEMBER + 1), &mut f).map_err(|e| {
                        format!(
                            "{}: {e}",
                            crate::render::quote::sanitize(&rel.display().to_string())
                        )
                    })?;
                if n > size {
                    return Err(format!(
                        "member {:?} is longer than its header says",
                        crate::render::quote::sanitize(&raw.display().to_string())
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
                            crate::render::quote::sanitize(&rel.display().to_string())
                        )
                    })?
                    .ok_or_else(|| {
                        format!(
                            "symlink {:?} without a target",
                            crate::render::quote::sanitize(&raw.display().to_string())
                        )
                    })?;
                if let Some(p) = target.parent() {
                    std::fs::create_dir_all(p).map_err(|e| {
                        format!(
                            "{}: {e}",
                            crate::render::quote::sanitize(&rel.display().to_string())
                        )
                    })?;
                }
                // Kept verbatim: reads resolve links inside the root, so even
                // an absolute or climbing target cannot reach outside.
                std::os::unix::fs::symlink(&link, &target).map_err(|e| {
                    format!(
                        "{}: {e}",
                        crate::render::quote::sanitize(&rel.display().to_string())
                    )
                })?;
            }
            other => report.skipped.push(format!(
                "{} ({other:?} members are not unpacked)",
                crate::render::quote::sanitize(&rel.display().to_string())
            )),
        }
    }
    Ok(report)
}

/// The member path as a clean relative path, or `None` if it is absolute or
/// climbs with `..`.
fn safe_relative(p: &Path) -> Option<PathBuf> {
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

// ------------------------------------------------------------------ capture

use crate::cli::CmdError;
use crate::cli::config::Config;
use crate::exit::Exit;
use crate::facts::System;
use crate::root::{DEVICES_TSV, Recorded};

/// Where `snapshot` writes.
pub enum Dest {
    Archive(PathBuf),
    Dir(PathBuf),
}

const SNAPSHOT_README: &str = "\
This directory was written by `kmod-doctor snapshot`. The rest of the tree mirrors
the absolute paths of the system it was taken on (proc/, sys/, lib/modules/, etc/,
boot/), holding only what kmod-doctor read, with sysfs symlinks kept as they were.
Open it with `kmod-doctor check --root <this tree or its .tar.gz> MODULE`.

devices.tsv keeps what a copy of /proc loses: the device numbers of the files that
processes hold open. One line per descriptor or device node, tab-separated:
    /proc/<pid>/fd/<n>  c|b  MAJOR:MINOR
manifest.json names the tool version, the kernel release and the modules asked for.
";

/// Captures what `check` reads for `modules` (all loaded modules when none
/// are given) into `dest`. Reads only; writes nothing but the destination.
pub fn run(cfg: &Config, modules: &[String], dest: Dest) -> Result<Exit, CmdError> {
    let live = Root::open(cfg.root.base())
        .map_err(|e| CmdError::failure(e.to_string()))?
        .with_recorder();
    let mut names: Vec<String> = modules.to_vec();
    {
        let sys = System::new(&live, cfg.release.as_deref());
        if names.is_empty()
            && let Ok(Some(list)) = sys.proc_modules()
        {
            names = list.iter().map(|e| e.name.clone()).collect();
        }
        for m in &names {
            let q = crate::facts::name::validate_query(m)
                .map_err(|e| CmdError::usage(e.to_string()))?;
            let (resolved, _) = crate::facts::resolve::resolve(&sys, &q);
            for r in &resolved {
                let table = crate::facts::gather(&sys, r);
                let _ = crate::verdict::evaluate(&cfg.rules, &table);
            }
        }
        // The module tree and configuration are read even when no module
        // needed them, so the snapshot answers other questions too.
        let _ = sys.moddep();
        let _ = sys.aliases();
        let _ = sys.builtin();
        let _ = sys.builtin_modinfo();
        sys.touch_indexes();
        let _ = sys.modprobe_conf();
        let _ = sys.config();
        if let Ok(p) = sys.modules_file("modules.devname") {
            let _ = live.read_bytes(&p);
        }
    }
    let rec = live.recorder().expect("recording root");

    let (dir, _tmp) = match &dest {
        Dest::Dir(d) => {
            if d.exists()
                && std::fs::read_dir(d)
                    .map(|mut r| r.next().is_some())
                    .unwrap_or(true)
            {
                return Err(CmdError::usage(format!(
                    "{}: exists and is not an empty directory",
                    d.display()
                )));
            }
            std::fs::create_dir_all(d)
                .map_err(|e| CmdError::failure(format!("{}: {e}", d.display())))?;
            (d.clone(), None)
        }
        Dest::Archive(_) => {
            let t = tempfile::tempdir().map_err(|e| CmdError::failure(e.to_string()))?;
            (t.path().to_path_buf(), Some(t))
        }
    };

    let mut counts = (0usize, 0usize, 0usize);
    for (path, what) in rec.paths() {
        let Some(rel) = safe_relative(Path::new(path.trim_start_matches('/'))) else {
            continue;
        };
        if rel.as_os_str().is_empty() {
            continue;
        }
        let out = dir.join(&rel);
        let host = live.base().join(&rel);
        let meta = match std::fs::symlink_metadata(&host) {
            Ok(m) => m,
            Err(_) => continue,
        };
        if let Some(p) = out.parent() {
            mkdirs(&dir, p)?;
        }
        if meta.file_type().is_symlink() {
            copy_link(&host, &out)?;
            counts.1 += 1;
            continue;
        }
        match what {
            Recorded::File => {
                let bytes = live
                    .read_bytes(&path)
                    .map_err(|e| CmdError::failure(e.to_string()))?;
                std::fs::write(&out, bytes)
                    .map_err(|e| CmdError::failure(format!("{}: {e}", out.display())))?;
                counts.0 += 1;
            }
            Recorded::Dir => {
                mkdirs(&dir, &out)?;
                // Keep the symlinks and subdirectories a listing showed
                // (holders/, drivers/, fd/): their presence is the fact.
                // Files that mattered were read and are copied on their own;
                // nothing else is touched (/proc/kmsg must never be read).
                if let Ok(rd) = std::fs::read_dir(&host) {
                    for e in rd.flatten() {
                        let Ok(ft) = e.file_type() else { continue };
                        let o = out.join(e.file_name());
                        if ft.is_symlink() {
                            if std::fs::symlink_metadata(&o).is_err() {
                                copy_link(&e.path(), &o)?;
                                counts.1 += 1;
                            }
                        } else if ft.is_dir() {
                            mkdirs(&dir, &o)?;
                        }
                    }
                }
            }
            Recorded::Exists | Recorded::Link => {
                if meta.is_dir() {
                    mkdirs(&dir, &out)?;
                } else if std::fs::symlink_metadata(&out).is_err() {
                    let _ = std::fs::write(&out, b"");
                }
            }
        }
    }
    let meta_dir = dir.join("kmod-doctor-snapshot");
    mkdirs(&dir, &meta_dir)?;
    let mut tsv = String::from("# path\tkind\tmajor:minor\n");
    for (p, d) in rec.devices() {
        tsv.push_str(&format!(
            "{p}\t{}\t{}:{}\n",
            d.kind_letter(),
            d.major,
            d.minor
        ));
        counts.2 += 1;
    }
    let write = |name: &str, body: &str| {
        std::fs::write(meta_dir.join(name), body)
            .map_err(|e| CmdError::failure(format!("{name}: {e}")))
    };
    write(
        Path::new(DEVICES_TSV)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("devices.tsv"),
        &tsv,
    )?;
    write("README", SNAPSHOT_README)?;
    // Only this one value of the session's environment is kept.
    write(
        "session",
        &format!(
            "SSH_CONNECTION={}\n",
            live.ssh_connection().unwrap_or_default()
        ),
    )?;
    let release = System::new(&live, cfg.release.as_deref())
        .release()
        .as_ref()
        .map(|(r, _)| r.clone())
        .ok();
    let manifest = serde_json::json!({
        "tool": "kmod-doctor",
        "version": env!("CARGO_PKG_VERSION"),
        "kernel_release": release,
        "modules": names,
        "format": 1,
    });
    write(
        "manifest.json",
        &(serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n"),
    )?;

    let (where_, size) = match &dest {
        Dest::Dir(d) => (d.display().to_string(), dir_size(d)),
        Dest::Archive(a) => {
            pack(&dir, a)?;
            (
                a.display().to_string(),
                std::fs::metadata(a).map(|m| m.len()).unwrap_or(0),
            )
        }
    };
    eprintln!(
        "kmod-doctor: captured {} files, {} symlinks, {} device numbers into {where_} ({size} bytes)",
        counts.0, counts.1, counts.2
    );
    Ok(Exit::Safe)
}

fn mkdirs(base: &Path, p: &Path) -> Result<(), CmdError> {
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
    std::fs::create_dir_all(p).map_err(|e| CmdError::failure(format!("{}: {e}", p.display())))
}

fn copy_link(from: &Path, to: &Path) -> Result<(), CmdError> {
    let target = std::fs::read_link(from)
        .map_err(|e| CmdError::failure(format!("{}: {e}", from.display())))?;
    if std::fs::symlink_metadata(to).is_ok() {
        return Ok(());
    }
    std::os::unix::fs::symlink(target, to)
        .map_err(|e| CmdError::failure(format!("{}: {e}", to.display())))
}

fn dir_size(d: &Path) -> u64 {
    walkdir::WalkDir::new(d)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

fn pack(dir: &Path, archive: &Path) -> Result<(), CmdError> {
    let f = std::fs::File::create(archive)
        .map_err(|e| CmdError::failure(format!("{}: {e}", archive.display())))?;
    let gz = flate2::write::GzEncoder::new(f, flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    b.follow_symlinks(false);
    b.append_dir_all(".", dir)
        .map_err(|e| CmdError::failure(format!("{}: {e}", archive.display())))?;
    let gz = b
        .into_inner()
        .map_err(|e| CmdError::failure(e.to_string()))?;
    gz.finish().map_err(|e| CmdError::failure(e.to_string()))?;
    Ok(())
}
