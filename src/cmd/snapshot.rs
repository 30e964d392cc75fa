//! `kmod-doctor snapshot`: a root captured for another machine, as a
//! directory or .tar.gz (opened again by `root::archive`).

use super::{CmdError, Config, Pipeline};
use crate::exit::Exit;
use crate::facts::resolve::{Resolved, Via};
use crate::root::{DEVICES_TSV, LINKS_TSV, NFTABLES_TSV, Root};
use std::path::{Path, PathBuf};

/// Where `snapshot` writes without `-o` or `--dir`.
pub const DEFAULT_ARCHIVE: &str = "kmod-doctor-snapshot.tar.gz";

/// Where `snapshot` writes: an archive (replaced only with `--force`), or a
/// new or empty directory.
pub enum Dest {
    Archive(PathBuf, bool),
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
veth, bridge; port kind; peer namespace id), their queueing disciplines, tc
filters and the tc action table, which sysfs does not show; see its header lines.
nftables.tsv keeps what nf_tables said over netlink: tables, chains with their type,
and the expressions of each rule (or why it could not be read).
manifest.json names the tool version, the kernel release and the modules asked for.
";

/// Captures what `check` reads for `modules` (all loaded modules when none
/// are given) into `dest`. Reads only; writes nothing but the destination.
pub fn run(cfg: &Config, modules: &[String], dest: Dest) -> Result<Exit, CmdError> {
    // Refused before anything is read, as --dir refuses a non-empty directory.
    if let Dest::Archive(a, false) = &dest
        && std::fs::symlink_metadata(a).is_ok()
    {
        return Err(CmdError::usage(format!(
            "{}: exists; pass --force to replace it, or -o another file",
            crate::shell::sanitize(&a.display().to_string())
        )));
    }
    let live = Root::open(cfg.root.base())?.with_recorder();
    let mut names: Vec<String> = modules.to_vec();
    let release;
    {
        let p = Pipeline::new(&live, cfg.release.as_deref(), &cfg.rules);
        let sys = p.sys();
        // What check reads for these modules is what the snapshot keeps.
        if names.is_empty() {
            names = every_module(&live, sys);
            sys.judging_all_modules();
            // Names from the module lists themselves: judged as named, without
            // the alias search a typed name needs (the alias files are kept
            // whole below, so a later check resolves the same way).
            for n in &names {
                p.judge(&Resolved::direct(n, Via::Name));
            }
        } else {
            p.check(&names)?;
        }
        release = sys.release().as_ref().map(|(r, _)| r.clone()).ok();
        // The module tree and configuration are read even when no module
        // needed them, so the snapshot answers other questions too.
        let _ = sys.moddep();
        let _ = sys.aliases();
        let _ = sys.builtin();
        let _ = sys.builtin_modinfo();
        sys.touch_indexes();
        let _ = sys.modprobe_conf();
        let _ = sys.config();
        // The interfaces' link kinds, qdiscs, filters and actions come from netlink, which a
        // copy of /sys cannot carry: read them even when no check needed them.
        let _ = live.net_view();
        let _ = live.nft_view(crate::facts::users::netfilter::may_ask(sys));
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
        Dest::Archive(..) => {
            let t =
                tempfile::tempdir().map_err(CmdError::doing("creating a temporary directory"))?;
            (t.path().to_path_buf(), Some(t))
        }
    };

    let mut counts = live.export_recorded(&dir).map_err(|e| CmdError::Io {
        what: e.path.display().to_string(),
        source: e.source,
    })?;
    let meta_dir = dir.join("kmod-doctor-snapshot");
    std::fs::create_dir_all(&meta_dir).map_err(CmdError::io(&meta_dir))?;
    let mut tsv = String::from("# path\tkind\tmajor:minor\n");
    for (p, d) in rec.devices() {
        tsv.push_str(&format!(
            "{p}\t{}\t{}:{}\n",
            d.kind_letter(),
            d.major,
            d.minor
        ));
        counts.devices += 1;
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
    if let Some(v) = rec.nft_view() {
        write(
            Path::new(NFTABLES_TSV)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("nftables.tsv"),
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
        Dest::Archive(a, _) => {
            pack(&dir, a)?;
            (
                a.display().to_string(),
                std::fs::metadata(a).map(|m| m.len()).unwrap_or(0),
            )
        }
    };
    eprintln!(
        "kmod-doctor: captured {} files, {} symlinks, {} device numbers into {where_} ({size} bytes)",
        counts.files, counts.links, counts.devices
    );
    Ok(Exit::Safe)
}

/// What a snapshot without module names captures: every module a later
/// `check` or `scan` could ask about with an answer beyond "not found" —
/// the loaded ones, the built-in ones (modules.builtin, and /sys/module
/// entries, which is all a kernel without module support has), and every
/// bus driver's name (built-in drivers bound to devices).
fn every_module(root: &Root, sys: &crate::facts::System) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |n: &str| {
        let n = crate::facts::name::normalize(n);
        if crate::facts::name::is_valid_module_name(&n) && !names.contains(&n) {
            names.push(n);
        }
    };
    if let Ok(Some(list)) = sys.proc_modules() {
        list.iter().for_each(|e| add(&e.name));
    }
    if let Ok(b) = sys.builtin() {
        let mut b: Vec<&String> = b.keys().collect();
        b.sort();
        b.into_iter().for_each(|n| add(n));
    }
    for n in root.read_dir("/sys/module").unwrap_or_default() {
        add(&n);
    }
    for bus in root.read_dir("/sys/bus").unwrap_or_default() {
        let Some(dir) = crate::root::child("/sys/bus", &bus) else {
            continue;
        };
        for d in root.read_dir(&format!("{dir}/drivers")).unwrap_or_default() {
            add(&d);
        }
    }
    names
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
