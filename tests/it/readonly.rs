//! Read-only proof (issue 6): every command run on a root leaves it exactly
//! as it was, and writes nowhere else but where it was asked to (stdout, a
//! snapshot destination, a temporary directory it removes).
//!
//! Three independent checks, because tests run as root and `chmod` alone
//! proves nothing:
//!
//! 1. a manifest of the whole tree (type, mode, owner, size, mtime, ctime,
//!    content hash, link target) is identical before and after: any write,
//!    chmod, rename or link would change a ctime;
//! 2. the same runs on a read-only bind mount of the root (inside a private
//!    mount namespace, when `unshare -m` is allowed), and as `nobody` on a
//!    copy made read-only, must give the same answers as on the writable
//!    root: a hidden write would fail there;
//! 3. under `strace`, no system call opens for writing, creates, removes,
//!    renames, links or changes anything outside the allowed places.

use crate::common::TestEnv;
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A root with something for every command to read: loaded modules with
/// holders, a driver bound to a device, a process holding a device node,
/// mounts, swap, routes, an interface, modprobe.d.
fn rich_root() -> TestEnv {
    let mut env = TestEnv::new();
    env.loaded("snd", 2, "snd_pcm,", "Live")
        .loaded("snd_pcm", 1, "-", "Live")
        .idle("dummy")
        .loaded("virtio_net", 1, "-", "Live")
        .dep("snd", &[])
        .dep("snd_pcm", &["snd"])
        .dep("dummy", &[])
        .dep("virtio_net", &[])
        .alias("pci:v00001AF4d00001000sv*sd*bc*sc*i*", "virtio_net")
        .alias("char-major-116-*", "snd");
    env.modprobe_conf(
        "x.conf",
        "options dummy numdummies=2\nsoftdep snd_pcm pre: snd\n",
    );
    env.bound_device(
        "virtio_net",
        "virtio",
        "virtio_net",
        "pci0000:00/0000:00:03.0",
        "virtio0",
    );
    env.modalias_device(
        "pci0000:00/0000:00:03.0",
        "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00",
    );
    env.mkdir("/sys/devices/pci0000:00/0000:00:03.0/virtio0/net/eth0");
    env.write(
        "/sys/devices/pci0000:00/0000:00:03.0/virtio0/net/eth0/flags",
        "0x1003\n",
    );
    env.symlink(
        "/sys/class/net/eth0",
        "../../devices/pci0000:00/0000:00:03.0/virtio0/net/eth0",
    );
    env.write(
        "/proc/net/route",
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
         eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n",
    );
    env.write("/proc/net/ipv6_route", "");
    env.write(
        "/proc/self/mountinfo",
        "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n",
    );
    env.write(
        "/proc/swaps",
        "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n",
    );
    env.write("/proc/4242/comm", "aplay\n");
    env.write("/proc/4242/cgroup", "0::/system.slice/audio.service\n");
    env.symlink("/proc/4242/fd/3", "/dev/snd/pcmC0D0p");
    env.symlink("/proc/4242/fd/4", "socket:[1234]");
    env.write(
        "/kmod-doctor-snapshot/devices.tsv",
        "# path\tkind\tmajor:minor\n/dev/snd/pcmC0D0p\tc\t116:16\n",
    );
    env
}

// -------------------------------------------------------------- manifest

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    kind: char,
    mode: u32,
    uid: u32,
    gid: u32,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    content: u64,
    link: Option<PathBuf>,
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x100000001b3)
    })
}

/// Every entry under `dir` (and `dir` itself), without following links.
fn manifest(dir: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut m = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).follow_links(false) {
        let e = e.unwrap();
        let meta = e.path().symlink_metadata().unwrap();
        let ft = meta.file_type();
        let kind = if ft.is_symlink() {
            'l'
        } else if ft.is_dir() {
            'd'
        } else if ft.is_file() {
            'f'
        } else {
            '?'
        };
        m.insert(
            e.path().strip_prefix(dir).unwrap().to_path_buf(),
            Entry {
                kind,
                mode: meta.mode(),
                uid: meta.uid(),
                gid: meta.gid(),
                size: meta.len(),
                mtime: (meta.mtime(), meta.mtime_nsec()),
                ctime: (meta.ctime(), meta.ctime_nsec()),
                content: if kind == 'f' {
                    fnv(&std::fs::read(e.path()).unwrap())
                } else {
                    0
                },
                link: if kind == 'l' {
                    Some(std::fs::read_link(e.path()).unwrap())
                } else {
                    None
                },
            },
        );
    }
    m
}

fn assert_same(before: &BTreeMap<PathBuf, Entry>, after: &BTreeMap<PathBuf, Entry>, what: &str) {
    let mut diffs = Vec::new();
    for (p, e) in before {
        match after.get(p) {
            None => diffs.push(format!("removed {}", p.display())),
            Some(a) if a != e => diffs.push(format!("changed {}: {e:?} → {a:?}", p.display())),
            _ => {}
        }
    }
    for p in after.keys().filter(|p| !before.contains_key(*p)) {
        diffs.push(format!("created {}", p.display()));
    }
    assert!(diffs.is_empty(), "{what}:\n{}", diffs.join("\n"));
}

// --------------------------------------------------------------- running

/// Every command that reads a root, with arguments (the root comes last).
fn commands(module: &str) -> Vec<Vec<String>> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let mut out = vec![
        s(&["check", module]),
        s(&["check", "--format", "json", module, "dummy", "virtio_net"]),
        s(&["check", "--format", "markdown", module]),
        s(&["check", "--color", "always", module]),
        s(&["rules"]),
    ];
    for (cmd, extra) in [
        ("scan", vec![]),
        ("scan", vec!["--format", "json"]),
        ("report", vec![module]),
        (
            "explain",
            vec!["rmmod: ERROR: Module snd is in use by: snd_pcm"],
        ),
        ("completions", vec!["bash"]),
    ] {
        if has_command(cmd) {
            let mut v = vec![cmd.to_string()];
            v.extend(extra.iter().map(|x| x.to_string()));
            out.push(v);
        }
    }
    out
}

fn has_command(name: &str) -> bool {
    crate::common::kd().args([name, "--help"]).run().code == 0
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `prefix... kmod-doctor ARGS --root ROOT` in an empty working
/// directory with an empty HOME and TMPDIR.
fn run(prefix: &[&str], exe: &Path, args: &[String], root: &Path, sandbox: &Path) -> Ran {
    let (cmd, rest) = match prefix.split_first() {
        Some((c, r)) => (PathBuf::from(c), r.to_vec()),
        None => (exe.to_path_buf(), vec![]),
    };
    let mut c = Command::new(cmd);
    c.args(rest);
    if !prefix.is_empty() {
        c.arg(exe);
    }
    let out = c
        .args(args)
        .arg("--root")
        .arg(root)
        .current_dir(sandbox.join("cwd"))
        .env("HOME", sandbox.join("home"))
        .env("TMPDIR", sandbox.join("tmp"))
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn sandbox() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    for d in ["cwd", "home", "tmp"] {
        std::fs::create_dir(t.path().join(d)).unwrap();
    }
    t
}

fn assert_sandbox_empty(sb: &Path, what: &str) {
    for d in ["cwd", "home", "tmp"] {
        let left: Vec<_> = std::fs::read_dir(sb.join(d))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "{what}: left {left:?} in {d}");
    }
}

// ----------------------------------------------------------------- tests

#[test]
fn no_command_changes_the_root_or_writes_elsewhere() {
    let env = rich_root();
    let sb = sandbox();
    let before = manifest(env.path());
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_kmod-doctor"));
    for args in commands("snd") {
        let r = run(&[], &exe, &args, env.path(), sb.path());
        assert!(r.code.is_some(), "{args:?}: signal");
        assert!(!r.stderr.contains("panicked"), "{args:?}: {}", r.stderr);
        assert_same(&before, &manifest(env.path()), &format!("{args:?}"));
        assert_sandbox_empty(sb.path(), &format!("{args:?}"));
    }
}

/// `snapshot` writes only its destination (a new directory outside the
/// root, or an archive), and reading that snapshot back changes nothing.
#[test]
fn snapshot_writes_only_its_destination() {
    let env = rich_root();
    let sb = sandbox();
    let before = manifest(env.path());
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_kmod-doctor"));
    let out_dir = sb.path().join("snap-dir");
    let out_tgz = sb.path().join("snap.tar.gz");
    let r = run(
        &[],
        &exe,
        &[
            "snapshot".into(),
            "--dir".into(),
            out_dir.display().to_string(),
            "snd".into(),
        ],
        env.path(),
        sb.path(),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let r = run(
        &[],
        &exe,
        &[
            "snapshot".into(),
            "-o".into(),
            out_tgz.display().to_string(),
            "snd".into(),
        ],
        env.path(),
        sb.path(),
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_same(&before, &manifest(env.path()), "snapshot");
    assert_sandbox_empty(sb.path(), "snapshot");

    // Reading the snapshots (directory and archive) changes neither.
    let snap_before = manifest(&out_dir);
    let tgz_before = std::fs::read(&out_tgz).unwrap();
    for root in [&out_dir, &out_tgz] {
        for args in commands("snd") {
            let r = run(&[], &exe, &args, root, sb.path());
            assert!(
                r.code.is_some() && !r.stderr.contains("panicked"),
                "{args:?}"
            );
            assert_sandbox_empty(sb.path(), &format!("{args:?} on {}", root.display()));
        }
    }
    assert_same(&snap_before, &manifest(&out_dir), "snapshot directory");
    assert_eq!(std::fs::read(&out_tgz).unwrap(), tgz_before);
}

/// The same answers on a read-only bind mount: a write the manifest could
/// not see (then undone) would fail there and change the outcome.
#[test]
fn same_answers_on_a_read_only_mount() {
    let probe = Command::new("unshare")
        .args(["-m", "sh", "-c", "mount --bind -o ro /tmp /tmp"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!("read-only mount: unshare -m or mount not permitted here; skipped");
        return;
    }
    let env = rich_root();
    let sb = sandbox();
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_kmod-doctor"));
    let root = env.path().display().to_string();
    for args in commands("snd") {
        let plain = run(&[], &exe, &args, env.path(), sb.path());
        let script = format!("mount --bind -o ro '{root}' '{root}' && exec \"$0\" \"$@\"");
        let ro = run(
            &["unshare", "-m", "sh", "-c", &script],
            &exe,
            &args,
            env.path(),
            sb.path(),
        );
        assert_eq!(ro.code, plain.code, "{args:?}: {}", ro.stderr);
        assert_eq!(ro.stdout, plain.stdout, "{args:?}");
        assert!(
            !ro.stderr.contains("Read-only file system"),
            "{args:?} tried to write: {}",
            ro.stderr
        );
    }
}

/// As `nobody` on a copy where nothing is writable by anyone.
#[test]
fn same_answers_as_nobody_on_a_read_only_copy() {
    use std::os::unix::fs::PermissionsExt;
    let ok = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("nobody: setpriv or the nobody user is missing; skipped");
        return;
    }
    let env = rich_root();
    let t = tempfile::tempdir().unwrap();
    std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let exe = t.path().join("kmod-doctor");
    std::fs::copy(env!("CARGO_BIN_EXE_kmod-doctor"), &exe).unwrap();
    let sb = t.path().join("sb");
    for d in ["cwd", "home", "tmp"] {
        std::fs::create_dir_all(sb.join(d)).unwrap();
        std::fs::set_permissions(sb.join(d), std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    std::fs::set_permissions(&sb, std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = t.path().join("root");
    let cp = Command::new("cp")
        .arg("-a")
        .arg(env.path())
        .arg(&root)
        .status()
        .unwrap();
    assert!(cp.success());
    for e in walkdir::WalkDir::new(&root).follow_links(false) {
        let e = e.unwrap();
        if e.file_type().is_symlink() {
            continue;
        }
        let mode = if e.file_type().is_dir() { 0o555 } else { 0o444 };
        std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let before = manifest(&root);
    let asroot = sandbox();
    for args in commands("snd") {
        let plain = run(&[], &exe, &args, env.path(), asroot.path());
        let ro = run(
            &[
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
            ],
            &exe,
            &args,
            &root,
            &sb,
        );
        assert_eq!(ro.code, plain.code, "{args:?}: {}", ro.stderr);
        // The root path differs between the two runs; the rest must not.
        let norm = |s: &str, r: &Path| s.replace(&r.display().to_string(), "<root>");
        assert_eq!(
            norm(&ro.stdout, &root),
            norm(&plain.stdout, env.path()),
            "{args:?}"
        );
    }
    assert_same(&before, &manifest(&root), "as nobody");
    // Let the temporary directory be removed.
    for e in walkdir::WalkDir::new(&root).follow_links(false) {
        let e = e.unwrap();
        if e.file_type().is_dir() {
            std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
}

/// No system call that writes, creates, removes, renames, links or changes
/// permissions, except on stdout/stderr and the temporary directory of an
/// archive root.
#[test]
fn no_writing_system_calls() {
    let ok = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("strace: not available or not permitted; skipped");
        return;
    }
    let env = rich_root();
    let sb = sandbox();
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_kmod-doctor"));
    let trace = sb.path().join("trace");
    let mut violations = Vec::new();
    for args in commands("snd") {
        let r = run(
            &[
                "strace",
                "-f",
                "-qq",
                "-o",
                trace.to_str().unwrap(),
                "-e",
                "trace=%file,%desc,%process",
                "-e",
                "signal=none",
            ],
            &exe,
            &args,
            env.path(),
            sb.path(),
        );
        assert!(r.code.is_some(), "{args:?}");
        let text = std::fs::read_to_string(&trace).unwrap();
        std::fs::remove_file(&trace).unwrap();
        // The trace is real: it saw the tool read the root.
        if args[0] != "rules" && args[0] != "completions" {
            assert!(text.contains("modules\""), "{args:?}: empty trace?\n{text}");
        }
        for line in text.lines() {
            if let Some(v) = writes(line) {
                violations.push(format!("{args:?}: {v}"));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// The offending call in one strace line, if it changes the filesystem.
fn writes(line: &str) -> Option<String> {
    // "PID syscall(args) = ret"
    let call = line
        .split_once(' ')
        .map(|(_, c)| c.trim_start())
        .unwrap_or(line);
    let name = call.split('(').next().unwrap_or_default();
    let failed = call.contains(") = -1");
    const MUTATING: &[&str] = &[
        "mkdir",
        "mkdirat",
        "rmdir",
        "unlink",
        "unlinkat",
        "rename",
        "renameat",
        "renameat2",
        "link",
        "linkat",
        "symlink",
        "symlinkat",
        "chmod",
        "fchmod",
        "fchmodat",
        "fchmodat2",
        "chown",
        "fchown",
        "fchownat",
        "lchown",
        "truncate",
        "ftruncate",
        "utimensat",
        "utimes",
        "mknod",
        "mknodat",
        "creat",
        "setxattr",
        "lsetxattr",
        "fsetxattr",
        "removexattr",
        "mount",
        "umount2",
    ];
    if MUTATING.contains(&name) && !failed {
        return Some(call.to_string());
    }
    if (name == "open" || name == "openat" || name == "openat2")
        && ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"]
            .iter()
            .any(|f| call.contains(f))
    {
        return Some(call.to_string());
    }
    if (name == "write" || name == "pwrite64" || name == "writev")
        && !(call.starts_with("write(1,")
            || call.starts_with("write(2,")
            || call.starts_with("writev(1,")
            || call.starts_with("writev(2,"))
    {
        return Some(call.to_string());
    }
    None
}

/// The checks above can fail: a write is seen by each of them.
#[test]
fn the_checks_catch_writes() {
    let env = rich_root();
    let before = manifest(env.path());
    std::fs::write(env.path().join("proc/4242/comm"), "aplay\n").unwrap();
    let after = manifest(env.path());
    assert_ne!(
        before, after,
        "rewriting a file with the same bytes changes its ctime"
    );
    assert!(
        writes(r#"1234 openat(AT_FDCWD, "/x", O_WRONLY|O_CREAT|O_CLOEXEC, 0666) = 3"#).is_some()
    );
    assert!(writes(r#"1234 unlink("/x") = 0"#).is_some());
    assert!(writes(r#"1234 write(3, "x", 1) = 1"#).is_some());
    assert!(writes(r#"1234 openat(AT_FDCWD, "/proc/modules", O_RDONLY|O_CLOEXEC) = 3"#).is_none());
    assert!(writes(r#"1234 write(1, "ok\n", 3) = 3"#).is_none());
}
