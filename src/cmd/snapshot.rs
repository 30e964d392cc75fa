//! `kmod-doctor snapshot`: a root captured for another machine, as a
//! directory or .tar.gz (opened again by `root::archive`).

use super::{CmdError, Config, Pipeline};
use crate::exit::Exit;
use crate::root::archive::safe_relative;
use crate::root::{DEVICES_TSV, LINKS_TSV, Recorded, Root};
use std::path::{Path, PathBuf};

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
links.tsv keeps what rtnetlink said about the interfaces (link kind such as dummy,
veth, bridge; port kind; peer namespace id) and their queueing disciplines, which
sysfs does not show; see its header lines.
manifest.json names the tool version, the kernel release and the modules asked for.
";

/// Captures what `check` reads for `modules` (all loaded modules when none
/// are given) into `dest`. Reads only; writes nothing but the destination.
pub fn run(cfg: &Config, modules: &[String], dest: Dest) -> Result<Exit, CmdError> {
    let live = Root::open(cfg.root.base())?.with_recorder();
    let mut names: Vec<String> = modules.to_vec();
    let release;
    {
        let p = Pipeline::new(&live, cfg.release.as_deref(), &cfg.rules);
        let sys = p.sys();
        if names.is_empty()
            && let Ok(Some(list)) = sys.proc_modules()
        {
            names = list.iter().map(|e| e.name.clone()).collect();
        }
        // What check reads for these modules is what the snapshot keeps.
        p.check(&names)?;
        release = sys.release().as_ref().map(|(r, _)| r.clone()).ok();
        // The module tree and configuration are read even when no module
        // needed them, so the snapshot answers other questions too.
        let _ = sys.moddep();
        let _ = sys.aliases();
        let _ = sys.builtin();
        let _ = sys.builtin_modinfo();
        let _ = sys.modprobe_conf();
        let _ = sys.config();
        // The interfaces' link kinds and qdiscs come from netlink, which a
        // copy of /sys cannot carry: read them even when no check needed them.
        let _ = live.net_view();
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
            std::fs::create_dir_all(d).map_err(CmdError::io(d))?;
            (d.clone(), None)
        }
        Dest::Archive(_) => {
            let t =
                tempfile::tempdir().map_err(CmdError::doing("creating a temporary directory"))?;
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
                let bytes = live.read_bytes(&path)?;
                std::fs::write(&out, bytes).map_err(CmdError::io(&out))?;
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
        std::fs::write(meta_dir.join(name), body).map_err(CmdError::doing(name))
    };
    write(
        Path::new(DEVICES_TSV)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("devices.tsv"),
        &tsv,
    )?;
    if let Some(v) = rec.net_view() {
        write(
            Path::new(LINKS_TSV)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("links.tsv"),
            &v.to_tsv(),
        )?;
    }
    write("README", SNAPSHOT_README)?;
    // Only this one value of the session's environment is kept.
    write(
        "session",
        &format!(
            "SSH_CONNECTION={}\n",
            live.ssh_connection().unwrap_or_default()
        ),
    )?;
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
    std::fs::create_dir_all(p).map_err(CmdError::io(p))
}

fn copy_link(from: &Path, to: &Path) -> Result<(), CmdError> {
    let target = std::fs::read_link(from).map_err(CmdError::io(from))?;
    if std::fs::symlink_metadata(to).is_ok() {
        return Ok(());
    }
    std::os::unix::fs::symlink(target, to).map_err(CmdError::io(to))
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
    let f = std::fs::File::create(archive).map_err(CmdError::io(archive))?;
    let gz = flate2::write::GzEncoder::new(f, flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    b.follow_symlinks(false);
    b.append_dir_all(".", dir).map_err(CmdError::io(archive))?;
    let gz = b.into_inner().map_err(CmdError::io(archive))?;
    gz.finish().map_err(CmdError::io(archive))?;
    Ok(())
}
