//! Corruption suite on captured real roots (issue 6).
//!
//! The roots are the snapshots the VM suite captured on Debian kernels
//! (`tests/fixtures/vm/<kernel>/<scenario>.tar.gz`, with the verdict the
//! real kernel agreed with in `<scenario>.expected.json`). Each file the
//! verdict reads is broken in turn: deleted, emptied, cut in half, replaced
//! with garbage or non-UTF-8 bytes, replaced by a directory, by a symlink
//! loop, by a symlink out of the root (absolute and climbing), by a 100 MB
//! file, by a file whose one line is 1 MiB long. Names that are not UTF-8
//! are planted in listed directories. For every case:
//!
//! * no panic, no signal, an exit status from the documented table;
//! * no hang (each run has a deadline; reads are bounded);
//! * nothing from outside the root shows up in the output;
//! * a changed verdict names the broken path (or its directory);
//! * never `safe` unless the intact root was `safe` too, and never `safe`
//!   when every source of a fact the verdict needs is gone.
//!
//! "Unreadable" cannot be made with `chmod 000` here (tests run as root),
//! so it is covered by running the binary as `nobody` on a copy whose files
//! are mode 000 (when `setpriv` and the `nobody` user exist), by directories
//! in place of files and by symlink loops.
//!
//! By default a representative subset runs on slimmed roots (the module
//! tree reduced to the lines about loaded modules; the verdict is checked to
//! be unchanged). `KMOD_DOCTOR_CORRUPTION=full` runs every fixture, every
//! file and every mutation (`=fuse` or `=6.1/` only the fixtures whose name
//! contains it); `KMOD_DOCTOR_BIN=target/release/kmod-doctor` makes that
//! fast:
//!
//! ```text
//! cargo build --release
//! KMOD_DOCTOR_CORRUPTION=6.1/ KMOD_DOCTOR_BIN=target/release/kmod-doctor \
//!     cargo test --test corruption -- --nocapture corrupted_inputs
//! ```

use std::collections::BTreeSet;
use std::io::Read;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);
/// Exit statuses in the documented table.
const CODES: &[i32] = &[0, 1, 2, 10, 11, 12, 13, 14, 15, 16];
const SECRET: &str = "KMOD-DOCTOR-SECRET-OUTSIDE-THE-ROOT";

fn bin() -> PathBuf {
    std::env::var_os("KMOD_DOCTOR_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kmod-doctor")))
}

/// `KMOD_DOCTOR_CORRUPTION=full` (every fixture) or `=NAME` (fixtures whose
/// name contains NAME, e.g. `6.1/` or `fuse`): every file, every mutation.
fn full() -> bool {
    std::env::var("KMOD_DOCTOR_CORRUPTION").is_ok_and(|v| !v.is_empty())
}

fn full_filter() -> Option<String> {
    std::env::var("KMOD_DOCTOR_CORRUPTION")
        .ok()
        .filter(|v| !v.is_empty() && v != "full")
}

// ------------------------------------------------------------- fixtures

struct Fixture {
    name: String,
    archive: PathBuf,
    module: String,
    verdict: String,
}

fn fixtures() -> Vec<Fixture> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vm");
    let mut out = Vec::new();
    let Ok(kernels) = std::fs::read_dir(&base) else {
        return out;
    };
    let mut kernels: Vec<_> = kernels.flatten().map(|e| e.path()).collect();
    kernels.sort();
    for k in kernels {
        let mut files: Vec<_> = std::fs::read_dir(&k)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            let Some(stem) = f
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".expected.json"))
            else {
                continue;
            };
            let archive = k.join(format!("{stem}.tar.gz"));
            if !archive.exists() {
                continue;
            }
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
            out.push(Fixture {
                name: format!("{}/{stem}", k.file_name().unwrap().to_string_lossy()),
                archive,
                module: v["module"].as_str().unwrap().to_string(),
                verdict: v["verdict"].as_str().unwrap().to_string(),
            });
        }
    }
    out
}

fn unpack(archive: &Path, dest: &Path) {
    let f = std::fs::File::open(archive).unwrap();
    let mut a = tar::Archive::new(flate2::read::GzDecoder::new(f));
    a.set_preserve_permissions(false);
    a.unpack(dest).unwrap();
}

/// Reduces the module tree and kernel config to what concerns the loaded
/// modules and the one checked, so a debug build reads it quickly.
fn slim(root: &Path, module: &str) {
    let loaded: BTreeSet<String> = std::fs::read_to_string(root.join("proc/modules"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .chain([module.replace('-', "_")])
        .collect();
    let keep_mod = |m: &str| loaded.contains(&m.replace('-', "_"));
    let Ok(rels) = std::fs::read_dir(root.join("lib/modules")) else {
        return;
    };
    for rel in rels.flatten() {
        let d = rel.path();
        let filter = |file: &str, keep: &dyn Fn(&str) -> bool| {
            let p = d.join(file);
            if let Ok(t) = std::fs::read_to_string(&p) {
                let kept: String = t
                    .lines()
                    .filter(|l| keep(l))
                    .map(|l| format!("{l}\n"))
                    .collect();
                std::fs::write(&p, kept).unwrap();
            }
        };
        filter("modules.alias", &|l: &str| {
            l.starts_with('#') || l.split_whitespace().nth(2).is_some_and(keep_mod)
        });
        filter("modules.dep", &|l: &str| {
            l.split(':')
                .next()
                .and_then(|p| p.rsplit('/').next())
                .and_then(|b| b.split(".ko").next())
                .is_some_and(keep_mod)
        });
    }
    if let Ok(boots) = std::fs::read_dir(root.join("boot")) {
        for b in boots.flatten() {
            if let Ok(t) = std::fs::read_to_string(b.path()) {
                let kept: String = t
                    .lines()
                    .filter(|l| l.contains("MODULE") || l.starts_with('#') && l.len() < 3)
                    .map(|l| format!("{l}\n"))
                    .collect();
                std::fs::write(b.path(), kept).unwrap();
            }
        }
    }
}

// -------------------------------------------------------------- running

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    timed_out: bool,
}

impl Run {
    fn verdict(&self) -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(&self.stdout).ok()?;
        v["verdict"].as_str().map(str::to_string)
    }
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

fn run_with(cmd: &mut Command) -> Run {
    let t = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = (&mut out).take(16 << 20).read_to_end(&mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = (&mut err).take(16 << 20).read_to_end(&mut s);
        s
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t.elapsed() > DEADLINE {
            timed_out = true;
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&o.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&e.join().unwrap()).into_owned(),
        elapsed: t.elapsed(),
        timed_out,
    }
}

fn check(root: &Path, module: &str) -> Run {
    run_with(
        Command::new(bin())
            .args(["check", "--format", "json", "--color", "never", "--root"])
            .arg(root)
            .arg(module),
    )
}

// ------------------------------------------------------------ mutations

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mutation {
    Delete,
    Empty,
    Half,
    Garbage,
    NonUtf8,
    Directory,
    SelfLoop,
    PairLoop,
    OutsideAbsolute,
    OutsideClimbing,
    Huge,
    LongLine,
}

const ALL: &[Mutation] = &[
    Mutation::Delete,
    Mutation::Empty,
    Mutation::Half,
    Mutation::Garbage,
    Mutation::NonUtf8,
    Mutation::Directory,
    Mutation::SelfLoop,
    Mutation::PairLoop,
    Mutation::OutsideAbsolute,
    Mutation::OutsideClimbing,
    Mutation::Huge,
    Mutation::LongLine,
];

/// Host path of a file outside every root, whose content must never show up.
fn secret() -> PathBuf {
    static S: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("secret");
        std::fs::write(&p, format!("{SECRET}\n{SECRET} 1 0 - Live 0x0\n")).unwrap();
        (t, p)
    })
    .1
    .clone()
}

fn remove(p: &Path) {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(p).unwrap(),
        Ok(_) => std::fs::remove_file(p).unwrap(),
        Err(_) => {}
    }
}

/// The bytes of a regular file; nothing for anything else. Never follows a
/// symlink: captured fd links point at host devices such as /dev/console.
fn content_of(p: &Path) -> Vec<u8> {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_file() => std::fs::read(p).unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn loop_sibling(p: &Path) -> PathBuf {
    p.with_file_name(format!("{}.loop", p.file_name().unwrap().to_string_lossy()))
}

/// Puts a broken entry at `p` (whatever was there is removed first);
/// `content` is what the file held.
fn mutate(root: &Path, p: &Path, m: Mutation, content: &[u8]) {
    match m {
        Mutation::Delete => remove(p),
        Mutation::Empty => {
            remove(p);
            std::fs::write(p, b"").unwrap();
        }
        Mutation::Half => {
            remove(p);
            std::fs::write(p, &content[..content.len() / 2]).unwrap();
        }
        Mutation::Garbage => {
            remove(p);
            let g: Vec<u8> = (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect();
            std::fs::write(p, g).unwrap();
        }
        Mutation::NonUtf8 => {
            remove(p);
            let mut c = content.to_vec();
            let at = c.len() / 2;
            c.splice(at..at, [0xff, 0xfe, b'\n', 0xc3, 0x28]);
            std::fs::write(p, c).unwrap();
        }
        Mutation::Directory => {
            remove(p);
            std::fs::create_dir(p).unwrap();
            std::fs::write(p.join("inside"), b"1\n").unwrap();
        }
        Mutation::SelfLoop => {
            remove(p);
            symlink(p.file_name().unwrap(), p).unwrap();
        }
        Mutation::PairLoop => {
            remove(p);
            let other =
                p.with_file_name(format!("{}.loop", p.file_name().unwrap().to_string_lossy()));
            remove(&other);
            symlink(other.file_name().unwrap(), p).unwrap();
            symlink(p.file_name().unwrap(), &other).unwrap();
        }
        Mutation::OutsideAbsolute => {
            remove(p);
            symlink(secret(), p).unwrap();
        }
        Mutation::OutsideClimbing => {
            remove(p);
            let depth = p.strip_prefix(root).unwrap().components().count() + 3;
            let target = format!(
                "{}{}",
                "../".repeat(depth),
                secret().to_str().unwrap().trim_start_matches('/')
            );
            symlink(target, p).unwrap();
        }
        Mutation::Huge => {
            remove(p);
            let f = std::fs::File::create(p).unwrap();
            // Sparse: 100 MB that take no disk.
            f.set_len(100 << 20).unwrap();
        }
        Mutation::LongLine => {
            remove(p);
            let mut c = content.to_vec();
            c.extend(std::iter::repeat_n(b'x', 1 << 20));
            std::fs::write(p, c).unwrap();
        }
    }
}

/// Paths in the root worth breaking: what the verdict reads, not the
/// snapshot's own notes. In the default run, only the main inputs.
fn targets(root: &Path, module: &str) -> Vec<PathBuf> {
    let m = module.replace('-', "_");
    let mut out = Vec::new();
    let mut pids = BTreeSet::new();
    for e in walkdir::WalkDir::new(root)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
    {
        let e = e.unwrap();
        let rel = e
            .path()
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rel.starts_with("kmod-doctor-snapshot/") && !rel.ends_with("devices.tsv") {
            continue;
        }
        let ft = e.file_type();
        let main_input = rel == "proc/modules"
            || rel.starts_with("proc/sys/kernel/")
            || rel.starts_with("lib/modules/") && rel.contains("/modules.")
            || rel.starts_with("boot/config")
            || rel.starts_with("etc/modprobe.d/")
            || rel.starts_with(&format!("sys/module/{m}/"))
            || rel == format!("sys/module/{m}")
            || rel.ends_with("devices.tsv")
            || rel.ends_with("/mountinfo")
            || rel == "proc/swaps"
            || rel.ends_with("/net/route")
            || rel == "proc/devices"
            || (rel.starts_with("proc/") && (rel.ends_with("/fd") || rel.ends_with("/comm")));
        // Per process, only the first three processes in the default run.
        let pid = rel
            .strip_prefix("proc/")
            .and_then(|r| r.split('/').next())
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()));
        if let Some(pid) = pid
            && !full()
        {
            if pids.len() >= 3 && !pids.contains(pid) {
                continue;
            }
            pids.insert(pid.to_string());
        }
        if (full() || main_input)
            && (ft.is_file() || ft.is_symlink() || (ft.is_dir() && main_input))
        {
            out.push(e.path().to_path_buf());
        }
    }
    out
}

struct Case {
    fixture: String,
    path: String,
    mutation: Mutation,
    original: String,
}

/// Everything wrong with one run, empty when it is fine.
fn judge(c: &Case, r: &Run) -> Vec<String> {
    let mut bad = Vec::new();
    let what = format!("{} {} {:?}", c.fixture, c.path, c.mutation);
    if r.timed_out {
        bad.push(format!("{what}: no answer after {DEADLINE:?}"));
        return bad;
    }
    match r.code {
        None => bad.push(format!("{what}: killed by a signal\n{}", r.stderr)),
        Some(code) if !CODES.contains(&code) => bad.push(format!(
            "{what}: exit {code} not in the table\n{}",
            r.stderr
        )),
        _ => {}
    }
    if r.all().contains("panicked") || r.all().contains("RUST_BACKTRACE") {
        bad.push(format!("{what}: panic\n{}", r.stderr));
    }
    if r.all().contains(SECRET) {
        bad.push(format!("{what}: read a file outside the root"));
    }
    let verdict = r.verdict();
    if r.code != Some(1) && r.code != Some(2) && verdict.is_none() {
        bad.push(format!("{what}: exit {:?} without a JSON verdict", r.code));
    }
    if let Some(v) = &verdict {
        if v == "safe" && c.original != "safe" {
            bad.push(format!(
                "{what}: safe, but the intact root is {}",
                c.original
            ));
        }
        if *v != c.original {
            // The changed verdict is explained by naming what was broken.
            // The path, its directory, or the same file reached through a
            // symlink (/proc/net/route is /proc/<pid>/net/route on disk).
            let p = Path::new(&c.path);
            let tail: Vec<&str> = c.path.rsplit('/').take(2).collect();
            let tail = format!("/{}/{}", tail[1], tail[0]);
            let named = p
                .ancestors()
                .take(3)
                .filter(|a| a.as_os_str().len() > 1)
                .any(|a| r.all().contains(a.to_str().unwrap()))
                || r.all().contains(&tail);
            if !named {
                bad.push(format!(
                    "{what}: verdict {} → {v} without naming {}",
                    c.original, c.path
                ));
            }
        }
    }
    if r.code == Some(1) && !r.stderr.contains("kmod-doctor") {
        bad.push(format!("{what}: failure without a message: {:?}", r.stderr));
    }
    bad
}

/// Runs every (path, mutation) over a pool of threads. Each thread works
/// on its own copy of the root: the entry is moved aside, broken, checked,
/// and put back.
fn sweep(
    fx: &Fixture,
    pristine: &Path,
    original: &str,
    work: Vec<(PathBuf, Mutation)>,
) -> (usize, Vec<String>) {
    let n = work.len();
    let work = std::sync::Mutex::new(work);
    let failures = std::sync::Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let t = tempfile::tempdir().unwrap();
                let root = t.path().join("root");
                let aside = t.path().join("aside");
                copy_tree(pristine, &root);
                loop {
                    let Some((rel, m)) = work.lock().unwrap().pop() else {
                        break;
                    };
                    let target = root.join(&rel);
                    let content = content_of(&target);
                    std::fs::rename(&target, &aside).unwrap();
                    mutate(&root, &target, m, &content);
                    let r = check(&root, &fx.module);
                    remove(&target);
                    remove(&loop_sibling(&target));
                    std::fs::rename(&aside, &target).unwrap();
                    let c = Case {
                        fixture: fx.name.clone(),
                        path: format!("/{}", rel.display()),
                        mutation: m,
                        original: original.to_string(),
                    };
                    failures.lock().unwrap().extend(judge(&c, &r));
                }
            });
        }
    });
    (n, failures.into_inner().unwrap())
}

/// `cp -a` without following symlinks.
fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from).min_depth(1).follow_links(false) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        let ft = e.file_type();
        if ft.is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else if ft.is_symlink() {
            symlink(std::fs::read_link(e.path()).unwrap(), &dest).unwrap();
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// A fixture unpacked (and slimmed unless running in full) with its
/// verdict on the intact root.
fn prepared(fx: &Fixture) -> (tempfile::TempDir, String) {
    let t = tempfile::tempdir().unwrap();
    unpack(&fx.archive, t.path());
    let intact = check(t.path(), &fx.module).verdict().unwrap_or_default();
    if !full() {
        let s = tempfile::tempdir().unwrap();
        copy_tree(t.path(), s.path());
        slim(s.path(), &fx.module);
        let slim_v = check(s.path(), &fx.module).verdict().unwrap_or_default();
        if slim_v == intact {
            return (s, intact);
        }
    }
    (t, intact)
}

fn chosen() -> Vec<Fixture> {
    let all = fixtures();
    if full() {
        return match full_filter() {
            Some(f) => all.into_iter().filter(|x| x.name.contains(&f)).collect(),
            None => all,
        };
    }
    // One per kind of evidence: idle, processes, mounts, holders, network.
    let want = [
        "6.1/fuse-idle",
        "6.1/fuse-open",
        "6.12/fs-ext4",
        "6.1/bridge-held",
        "6.12/virtio-net-route",
    ];
    all.into_iter()
        .filter(|f| want.contains(&f.name.as_str()))
        .collect()
}

#[test]
fn corrupted_inputs_never_panic_hang_leak_or_claim_safe() {
    let fxs = chosen();
    if fxs.is_empty() {
        eprintln!("corruption: no fixtures under tests/fixtures/vm; nothing to do");
        return;
    }
    let t = Instant::now();
    let mut total = 0;
    let mut failures = Vec::new();
    for fx in &fxs {
        let (root, intact) = prepared(fx);
        assert!(
            !intact.is_empty(),
            "{}: no verdict on the intact root",
            fx.name
        );
        let paths = targets(root.path(), &fx.module);
        let mut work = Vec::new();
        for (i, p) in paths.iter().enumerate() {
            let rel = p.strip_prefix(root.path()).unwrap().to_path_buf();
            if full() {
                work.extend(ALL.iter().map(|m| (rel.clone(), *m)));
            } else {
                // Two mutations per path, rotating, so that every mutation
                // meets every kind of input across the fixtures.
                let f = fxs.iter().position(|f| f.name == fx.name).unwrap();
                for k in 0..2 {
                    work.push((rel.clone(), ALL[(i * 2 + k + f * 5) % ALL.len()]));
                }
            }
        }
        let (n, bad) = sweep(fx, root.path(), &intact, work);
        total += n;
        failures.extend(bad);
    }
    eprintln!(
        "corruption: {total} corrupted roots in {:.1}s, {} problems",
        t.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The recorded verdicts still hold on the intact captures (so the sweep
/// starts from the truth), well within the deadline.
#[test]
fn intact_captures_give_their_recorded_verdict() {
    for fx in chosen() {
        let t = tempfile::tempdir().unwrap();
        unpack(&fx.archive, t.path());
        let r = check(t.path(), &fx.module);
        assert_eq!(
            r.verdict().as_deref(),
            Some(fx.verdict.as_str()),
            "{}: {}",
            fx.name,
            r.stderr
        );
        assert!(r.elapsed < DEADLINE / 2, "{}: {:?}", fx.name, r.elapsed);
    }
}

// ---------------------------------------------- targeted: lost evidence

/// A module that was safe is not safe once every source of a fact the
/// verdict needs is destroyed, whichever way it is destroyed.
#[test]
fn lost_evidence_is_never_safe() {
    let Some(fx) = fixtures().into_iter().find(|f| f.name == "6.1/fuse-idle") else {
        return;
    };
    let (root, intact) = prepared(&fx);
    assert_eq!(intact, "safe");
    let m = &fx.module;
    // Each group destroys every place a needed fact comes from.
    let groups: Vec<(&str, Vec<String>)> = vec![
        (
            "loaded/refcount/holders",
            vec!["proc/modules".into(), format!("sys/module/{m}")],
        ),
        (
            "modules_disabled",
            vec!["proc/sys/kernel/modules_disabled".into()],
        ),
        (
            "unload support",
            vec![
                "proc/modules".into(),
                "boot".into(),
                format!("sys/module/{m}"),
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (what, paths) in &groups {
        for mutation in [
            Mutation::Delete,
            Mutation::Garbage,
            Mutation::SelfLoop,
            Mutation::Huge,
        ] {
            let t = tempfile::tempdir().unwrap();
            copy_tree(root.path(), t.path());
            for p in paths {
                let host = t.path().join(p);
                if std::fs::symlink_metadata(&host).is_ok() {
                    let content = content_of(&host);
                    mutate(t.path(), &host, mutation, &content);
                }
            }
            let r = check(t.path(), m);
            if r.verdict().as_deref() == Some("safe") {
                failures.push(format!("{what} via {mutation:?}: still safe"));
            }
            let c = Case {
                fixture: fx.name.clone(),
                path: format!("/{}", paths[0]),
                mutation,
                original: intact.clone(),
            };
            failures.extend(
                judge(&c, &r)
                    .into_iter()
                    .filter(|f| !f.contains("without naming")),
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A truncated kernel config is not evidence that CONFIG_MODULE_UNLOAD is
/// off: cutting the file before that line must not make the tool claim the
/// kernel cannot unload modules (a confident `blocked`), since /proc/modules
/// shows the refcount column that only exists with unloading compiled in.
/// Regression: an emptied or garbage config gave `unload-compiled-out`.
#[test]
fn truncated_config_is_not_proof_of_no_unload() {
    let Some(fx) = fixtures().into_iter().find(|f| f.name == "6.1/fuse-idle") else {
        return;
    };
    let (root, intact) = prepared(&fx);
    assert_eq!(intact, "safe");
    for mutation in [Mutation::Empty, Mutation::Garbage] {
        let t = tempfile::tempdir().unwrap();
        copy_tree(root.path(), t.path());
        for b in std::fs::read_dir(t.path().join("boot")).unwrap().flatten() {
            let content = content_of(&b.path());
            mutate(t.path(), &b.path(), mutation, &content);
        }
        let r = check(t.path(), &fx.module);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let fired: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["rule"].as_str())
            .collect();
        assert!(
            !fired.contains(&"unload-compiled-out"),
            "{mutation:?}: config damage reported as a kernel without unloading: {}",
            r.stdout
        );
    }
}

// -------------------------------------------------- hangs and special files

/// A FIFO where a file should be: reads must not block forever (snapshots
/// are directories from strangers; `tar x` as root recreates FIFOs and
/// device nodes). Regression: `Root::read_bytes` opened before checking the
/// type, and opening a FIFO for reading blocks until a writer appears.
#[test]
fn fifo_in_place_of_a_file_does_not_hang() {
    let Some(fx) = fixtures().into_iter().find(|f| f.name == "6.1/fuse-idle") else {
        return;
    };
    let (root, _) = prepared(&fx);
    for p in ["proc/modules", "proc/sys/kernel/modules_disabled"] {
        let t = tempfile::tempdir().unwrap();
        copy_tree(root.path(), t.path());
        let host = t.path().join(p);
        remove(&host);
        let c = std::ffi::CString::new(host.to_str().unwrap()).unwrap();
        // SAFETY: plain mkfifo(3) on a path we own.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let r = check(t.path(), &fx.module);
        assert!(!r.timed_out, "{p}: hung (killed after {DEADLINE:?})");
        assert!(
            r.all().contains(&format!("/{p}")),
            "{p}: not named: {}",
            r.all()
        );
        assert_ne!(r.verdict().as_deref(), Some("safe"), "{p}");
    }
}

/// The device table of a snapshot (`kmod-doctor-snapshot/devices.tsv`) is
/// the only way to tie a process's descriptor to a device. When it is
/// missing or damaged, the processes holding the module's devices vanish
/// from the report without a word (`users.processes` empty,
/// `uninspectable_processes` 0), although src/root/devices.rs promises
/// they are "reported as not inspectable". The verdict survives on the
/// refcount here, but the admin loses who holds the module, and nothing
/// names the damaged file.
#[test]
fn lost_device_table_is_reported() {
    let Some(fx) = fixtures().into_iter().find(|f| f.name == "6.1/fuse-open") else {
        return;
    };
    let (root, intact) = prepared(&fx);
    let r = check(root.path(), &fx.module);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        !v["users"]["processes"].as_array().unwrap().is_empty(),
        "the intact capture shows the process"
    );
    for mutation in [
        Mutation::Delete,
        Mutation::Garbage,
        Mutation::NonUtf8,
        Mutation::Huge,
    ] {
        let t = tempfile::tempdir().unwrap();
        copy_tree(root.path(), t.path());
        let p = t.path().join("kmod-doctor-snapshot/devices.tsv");
        let content = content_of(&p);
        mutate(t.path(), &p, mutation, &content);
        let r = check(t.path(), &fx.module);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_ne!(v["verdict"], "safe");
        let users = &v["users"];
        let reported = users["uninspectable_processes"].as_i64().unwrap_or(0) > 0
            || r.all().contains("devices.tsv");
        assert!(
            reported,
            "{mutation:?}: process users lost silently (verdict {} was {intact}): {users}",
            v["verdict"]
        );
    }
}

// ------------------------------------- findings of the full-depth sweep
//
// `KMOD_DOCTOR_CORRUPTION=6.1/` (23,268 corrupted roots) found these; each
// is pinned here on the smallest root that shows it.

/// A bridge carrying the default route: `danger` (the network goes down
/// with it), although the module holds no reference. When the interface's
/// sysfs link cannot be followed (a loop, garbage, a link out of the root),
/// the interface is silently dropped from `users.interfaces`, no rule is
/// left unchecked, and the verdict becomes `safe`. The same drop turns the
/// captured virtio_net root (6.1/virtio-net-route) from `danger` into
/// `caution` without naming /sys/class/net/eth0.
#[test]
fn unresolvable_interface_is_not_ignored() {
    let mut env = crate::common::TestEnv::new();
    env.idle("bridge").dep("bridge", &[]);
    env.mkdir("/sys/devices/virtual/net/br0/bridge");
    env.write("/sys/devices/virtual/net/br0/flags", "0x1003\n");
    env.write(
        "/sys/devices/virtual/net/br0/uevent",
        "DEVTYPE=bridge\nINTERFACE=br0\n",
    );
    env.symlink("/sys/class/net/br0", "../../devices/virtual/net/br0");
    env.write(
        "/proc/net/route",
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
         br0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n",
    );
    env.write("/proc/net/ipv6_route", "");
    env.write(
        "/proc/self/mountinfo",
        "22 1 254:1 / / rw - ext4 /dev/vda1 rw\n",
    );
    env.write("/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
    let intact = check(env.path(), "bridge");
    assert_eq!(
        intact.verdict().as_deref(),
        Some("danger"),
        "{}",
        intact.stdout
    );
    let link = env.path().join("sys/class/net/br0");
    for mutation in [
        Mutation::SelfLoop,
        Mutation::PairLoop,
        Mutation::Garbage,
        Mutation::OutsideAbsolute,
    ] {
        mutate(env.path(), &link, mutation, &[]);
        let r = check(env.path(), "bridge");
        remove(&link);
        remove(&loop_sibling(&link));
        symlink("../../devices/virtual/net/br0", &link).unwrap();
        assert_ne!(
            r.verdict().as_deref(),
            Some("safe"),
            "{mutation:?}: {}",
            r.stdout
        );
        assert!(
            r.all().contains("/sys/class/net/br0"),
            "{mutation:?}: the broken interface is not named"
        );
    }
}

/// An empty (or cut) modules.dep was read as "this module has no
/// dependencies": br_netfilter, whose removal takes bridge, stp and llc with
/// it (`caution`), became a silent `safe`. A loaded module that modules.dep
/// does not list is one modprobe cannot find: the answer must say so
/// (`outside-index`) and plan `rmmod`, which removes it alone.
#[test]
fn empty_modules_dep_is_not_proof_of_no_dependencies() {
    let Some(fx) = fixtures()
        .into_iter()
        .find(|f| f.name == "6.1/dashed-br-netfilter")
    else {
        return;
    };
    let (root, intact) = prepared(&fx);
    assert_eq!(intact, "caution");
    let rel = std::fs::read_dir(root.path().join("lib/modules"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let dep = rel.join("modules.dep");
    let full_dep = std::fs::read(&dep).unwrap();
    for mutation in [Mutation::Empty, Mutation::Half] {
        mutate(root.path(), &dep, mutation, &full_dep);
        let r = check(root.path(), &fx.module);
        std::fs::write(&dep, &full_dep).unwrap();
        if r.verdict().as_deref() == Some("safe") {
            assert!(
                r.stdout.contains("\"outside-index\"")
                    && r.stdout.contains("\"rmmod br_netfilter\""),
                "{mutation:?}: safe without saying modprobe cannot find it: {}",
                r.stdout
            );
        }
    }
}

/// /proc/sys/kernel/osrelease is one short line. A release with a newline
/// and a 1 MiB tail is accepted as is: every path built from it and every
/// message repeats it (10 MB of JSON for one module), and the changed
/// verdict does not name osrelease as the cause.
#[test]
fn hostile_osrelease_is_refused_and_named() {
    let Some(fx) = fixtures()
        .into_iter()
        .find(|f| f.name == "6.1/not-loaded-sctp")
    else {
        return;
    };
    let (root, _) = prepared(&fx);
    let p = root.path().join("proc/sys/kernel/osrelease");
    let content = content_of(&p);
    for mutation in [Mutation::LongLine, Mutation::Garbage] {
        mutate(root.path(), &p, mutation, &content);
        let r = check(root.path(), &fx.module);
        std::fs::write(&p, &content).unwrap();
        assert!(
            r.stdout.len() < 256 * 1024,
            "{mutation:?}: {} bytes of output",
            r.stdout.len()
        );
        assert!(
            r.all().contains("/proc/sys/kernel/osrelease"),
            "{mutation:?}: the cause is not named"
        );
    }
}

/// Names that are not UTF-8 in listed directories (holders, modprobe.d,
/// /proc, fd tables) do not panic and do not reach the output raw.
#[test]
fn non_utf8_names_in_listed_directories() {
    use std::os::unix::ffi::OsStrExt;
    for name in ["6.1/bridge-held", "6.1/fuse-open"] {
        let Some(fx) = fixtures().into_iter().find(|f| f.name == name) else {
            continue;
        };
        let (root, intact) = prepared(&fx);
        let t = tempfile::tempdir().unwrap();
        copy_tree(root.path(), t.path());
        let bad = std::ffi::OsStr::from_bytes(b"\xff\xfe\x1b[31mx");
        let m = fx.module.replace('-', "_");
        for dir in [
            format!("sys/module/{m}/holders"),
            "etc/modprobe.d".to_string(),
            "proc".to_string(),
            "sys/class/net".to_string(),
        ] {
            let d = t.path().join(&dir);
            std::fs::create_dir_all(&d).unwrap();
            let p = d.join(bad);
            std::fs::write(&p, b"1\n").unwrap();
        }
        let conf = t
            .path()
            .join("etc/modprobe.d")
            .join(std::ffi::OsStr::from_bytes(b"\xff.conf"));
        std::fs::write(conf, b"blacklist \xff\xfe\n").unwrap();
        for format in ["json", "text", "markdown"] {
            let r = run_with(
                Command::new(bin())
                    .args(["check", "--color", "never", "--format", format, "--root"])
                    .arg(t.path())
                    .arg(&fx.module),
            );
            assert!(!r.timed_out && r.code.is_some(), "{name} {format}");
            assert!(
                !r.all().contains("panicked"),
                "{name} {format}: {}",
                r.stderr
            );
            assert!(
                !r.stdout.contains('\u{1b}'),
                "{name} {format}: raw escape in output"
            );
            if format == "json" {
                assert_ne!(
                    r.verdict().as_deref(),
                    Some("safe").filter(|_| intact != "safe"),
                    "{name}"
                );
            }
        }
    }
}

// ------------------------------------------------------------ unreadable

fn nobody_can_run() -> bool {
    Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

/// Files mode 000 read as `nobody`: permission denied must become an
/// `unknown` (or worse) naming the path, never `safe`.
#[test]
fn unreadable_files_as_an_unprivileged_user() {
    if !nobody_can_run() {
        eprintln!("unreadable: setpriv or the nobody user is missing; skipped");
        return;
    }
    let Some(fx) = fixtures().into_iter().find(|f| f.name == "6.1/fuse-idle") else {
        return;
    };
    let (root, intact) = prepared(&fx);
    assert_eq!(intact, "safe");
    // The binary may live under a directory nobody cannot enter: copy it.
    let t = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        t.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let exe = t.path().join("kmod-doctor");
    std::fs::copy(bin(), &exe).unwrap();
    let m = fx.module.replace('-', "_");
    for p in [
        "proc/modules".to_string(),
        "proc/sys/kernel/modules_disabled".to_string(),
        format!("sys/module/{m}/holders"),
    ] {
        let r = t.path().join("root");
        remove(&r);
        copy_tree(root.path(), &r);
        make_world_readable(&r);
        let host = r.join(&p);
        std::fs::set_permissions(&host, std::os::unix::fs::PermissionsExt::from_mode(0o000))
            .unwrap();
        let run = run_with(
            Command::new("setpriv")
                .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(&exe)
                .args(["check", "--format", "json", "--root"])
                .arg(&r)
                .arg(&fx.module),
        );
        assert!(!run.timed_out, "{p}");
        let v = run.verdict();
        if p.ends_with("/holders") {
            // The used-by column of /proc/modules is the kernel's own list:
            // safe may stand on it, but not on a listing it could not read.
            assert!(
                !run.stdout.contains(&format!(
                    "\"path\": \"/{p}\",\n          \"value\": \"empty\""
                )),
                "{p}: claims an unreadable directory is empty: {}",
                run.stdout
            );
            continue;
        }
        assert_ne!(v.as_deref(), Some("safe"), "{p}: {}", run.stdout);
        if p == "proc/modules" || p.contains("modules_disabled") {
            assert!(
                run.all().contains(&format!("/{p}")),
                "{p} not named: {}",
                run.all()
            );
            assert!(
                run.all().contains("permission denied"),
                "{p}: reason not given: {}",
                run.all()
            );
        }
    }
}

fn make_world_readable(root: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for e in walkdir::WalkDir::new(root).follow_links(false) {
        let e = e.unwrap();
        if e.file_type().is_symlink() {
            continue;
        }
        let mode = if e.file_type().is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let mut p = root.parent();
    while let Some(d) = p {
        if d == Path::new("/") || d == std::env::temp_dir() {
            break;
        }
        let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755));
        p = d.parent();
    }
}
