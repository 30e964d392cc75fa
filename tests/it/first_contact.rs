//! Issue 12, "first contact": what a new user trips over first. A `--root`
//! that is not a Linux root is refused with what was expected; archives are
//! recognised by content; typos get suggestions; `scan --class`, `explain -m`
//! and `-S` behave; built-in drivers report what unbinding takes down; and a
//! snapshot taken without module names answers like the live system.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A tar (optionally gzip'd) of everything under `dir`, with member names
/// below `prefix` (`""` for the top).
fn pack(dir: &Path, prefix: &str, gz: bool) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    b.follow_symlinks(false);
    b.append_dir_all(if prefix.is_empty() { "." } else { prefix }, dir)
        .unwrap();
    let bytes = b.into_inner().unwrap();
    if !gz {
        return bytes;
    }
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&bytes).unwrap();
    e.finish().unwrap()
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn refused(out: &Out) {
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.starts_with("kmod-doctor: "), "{}", out.stderr);
    assert!(
        !out.stderr.contains("no loadable module support"),
        "{}",
        out.stderr
    );
}

// ------------------------------------------------------------------ roots

#[test]
fn empty_directory_is_not_a_root() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["check", "dummy"][..],
        &["scan"],
        &["check", "--format", "json", "x"],
    ] {
        let out = run_in(dir.path(), args);
        refused(&out);
        assert!(out.stderr.contains("is not a Linux root"), "{}", out.stderr);
        assert!(out.stderr.contains("it is empty"), "{}", out.stderr);
        assert!(
            out.stderr.contains("Expected a directory laid out like /"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("Did you mean"), "{}", out.stderr);
    }
}

#[test]
fn container_image_without_kernel_files_is_not_a_root() {
    // An exported container filesystem: empty proc/ and sys/, no modules.
    let dir = tempfile::tempdir().unwrap();
    for d in ["proc", "sys", "etc", "usr/lib", "dev"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    let out = run_in(dir.path(), &["check", "loop"]);
    refused(&out);
    assert!(
        out.stderr.contains(
            "it has none of proc/sys/kernel/osrelease, proc/modules, sys/module/ or lib/modules/"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn parent_of_an_unpacked_root_suggests_the_subdirectory() {
    let env = bridge_env();
    let parent = tempfile::tempdir().unwrap();
    let snap = parent.path().join("snap");
    std::fs::rename(env.path(), &snap).unwrap();
    std::fs::create_dir(env.path()).unwrap(); // for the TempDir's cleanup
    std::fs::write(parent.path().join("notes.txt"), "from the customer\n").unwrap();
    let out = run_in(parent.path(), &["check", "bridge"]);
    refused(&out);
    let want = format!("Did you mean {}?", snap.display());
    assert!(out.stderr.contains(&want), "{want} in {}", out.stderr);
    // And the suggestion works.
    assert_eq!(run_in(&snap, &["check", "bridge"]).code, 14);
}

#[test]
fn kernel_source_tree_is_not_a_root() {
    let src = tempfile::tempdir().unwrap();
    for f in [
        "Makefile",
        "Kconfig",
        "kernel/module/main.c",
        "drivers/net/dummy.c",
    ] {
        let p = src.path().join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "").unwrap();
    }
    let out = run_in(src.path(), &["check", "dummy"]);
    refused(&out);
    assert!(out.stderr.contains("kernel source tree"), "{}", out.stderr);
    // The same tree as a tarball, as downloaded.
    let t = tempfile::tempdir().unwrap();
    let tgz = write_file(
        t.path(),
        "linux-6.1.tar.gz",
        &pack(src.path(), "linux-6.1", true),
    );
    let out = run_in(&tgz, &["check", "dummy"]);
    refused(&out);
    assert!(
        out.stderr.contains("linux-6.1.tar.gz is not a Linux root"),
        "{}",
        out.stderr
    );
}

#[test]
fn archives_are_recognised_by_content_whatever_the_extension() {
    let env = bridge_env();
    let t = tempfile::tempdir().unwrap();
    let cases = [
        ("snap.tar", pack(env.path(), "", false)),
        ("SNAP.TAR", pack(env.path(), "", false)),
        ("snap.tgz", pack(env.path(), "", true)),
        ("SNAP.TGZ", pack(env.path(), "", true)),
        ("Snap.Tar.Gz", pack(env.path(), "", true)),
        ("snapshot-from-mail.bin", pack(env.path(), "", true)),
    ];
    for (name, bytes) in cases {
        let p = write_file(t.path(), name, &bytes);
        let out = run_in(&p, &["check", "--format", "json", "bridge"]);
        assert_eq!(out.code, 14, "{name}: {}", out.stderr);
        let v: Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(v["verdict"], "blocked", "{name}");
    }
}

#[test]
fn archive_of_a_snapshot_directory_opens_its_root() {
    // `tar czf snap.tar.gz snap/`: the root is one level down.
    let env = bridge_env();
    let t = tempfile::tempdir().unwrap();
    let p = write_file(t.path(), "nested.tar.gz", &pack(env.path(), "snap", true));
    let out = run_in(&p, &["check", "bridge"]);
    assert_eq!(out.code, 14, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("reading the root inside its snap directory"),
        "{}",
        out.stderr
    );
}

#[test]
fn corrupt_archives_are_named_in_plain_words() {
    let env = bridge_env();
    let t = tempfile::tempdir().unwrap();
    let good = pack(env.path(), "", true);
    let mut junk_tar = vec![b'x'; 2048];
    junk_tar[257..262].copy_from_slice(b"ustar");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.tar.gz",
            good[..good.len() / 2].to_vec(),
            "truncated",
        ),
        (
            "garbage.tar.gz",
            b"\x1f\x8b\x08\x00garbage".to_vec(),
            "truncated or damaged",
        ),
        ("header.tar", junk_tar, "tar header is damaged"),
        ("empty.tar.gz", Vec::new(), "an empty file"),
        (
            "notes.txt",
            b"hello\n".to_vec(),
            "neither a directory nor a tar or gzip archive",
        ),
    ];
    for (name, bytes, words) in cases {
        let p = write_file(t.path(), name, &bytes);
        let out = run_in(&p, &["check", "bridge"]);
        refused(&out);
        assert!(out.stderr.contains(name), "{name}: {}", out.stderr);
        assert!(
            out.stderr.contains(words),
            "{name}: {words:?} in {}",
            out.stderr
        );
        for internal in ["numeric field", "cksum", "os error"] {
            assert!(!out.stderr.contains(internal), "{name}: {}", out.stderr);
        }
    }
}

#[test]
fn archives_we_do_not_unpack_are_named() {
    let t = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 3] = [
        ("snap.tar.xz", b"\xfd7zXZ\x00\x00\x04", "compressed with xz"),
        (
            "snap.tar.zst",
            b"\x28\xb5\x2f\xfd\x00",
            "compressed with zstd",
        ),
        ("snap.zip", b"PK\x03\x04\x14\x00", "a zip archive"),
    ];
    for (name, bytes, words) in cases {
        let p = write_file(t.path(), name, bytes);
        let out = run_in(&p, &["check", "bridge"]);
        refused(&out);
        assert!(out.stderr.contains(words), "{name}: {}", out.stderr);
        assert!(
            out.stderr.contains(".tar.gz, .tgz or .tar"),
            "{name}: {}",
            out.stderr
        );
    }
}

#[test]
fn every_kind_of_root_we_ship_or_build_is_accepted() {
    // The live root (this machine may lack /proc/modules: no module support).
    let out = run_raw(&["check", "--format", "json", "loop"]);
    assert_ne!(out.code, 1, "{}", out.stderr);
    serde_json::from_str::<Value>(&out.stdout).unwrap();
    // A test tree without osrelease still has /sys/module and /lib/modules.
    let env = TestEnv::new();
    env.remove("/proc/sys/kernel/osrelease");
    assert_ne!(env.run(&["check", "dummy"]).code, 1);
    // A snapshot of a module that was not found: /proc and the module tree only.
    let env = TestEnv::new();
    env.remove("/sys");
    env.remove("/etc");
    assert_eq!(env.run(&["check", "nosuch"]).code, 16);
    // Captured VM fixtures: the smallest kind (a module not found) here;
    // vm_fixtures opens every one of them.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vm");
    for k in ["6.1", "6.12"] {
        let p = dir.join(k).join("not-found.tar.gz");
        let out = run_in(&p, &["check", "--format", "json", "loop"]);
        assert!(
            !matches!(out.code, 1 | 2),
            "{}: {}",
            p.display(),
            out.stderr
        );
    }
}

#[test]
fn snapshot_follows_modprobe_d_aliases_of_listed_names() {
    // `alias bridge mybridge` in modprobe.d: a later `check bridge` asks
    // about mybridge, on the snapshot as live (modprobe.d and the module
    // tree are kept whole).
    let mut env = bridge_env();
    env.dep("mybridge", &[]);
    env.modprobe_conf("local.conf", "alias bridge mybridge\n");
    let live = check1(&env, "bridge");
    assert_eq!(live.json["module"], "mybridge");
    let t = tempfile::tempdir().unwrap();
    let snap = t.path().join("s.tar.gz");
    assert_eq!(env.run(&["snapshot", "-o", snap.to_str().unwrap()]).code, 0);
    let out = run_in(&snap, &["check", "--format", "json", "bridge"]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["module"], "mybridge");
    assert_eq!(v["verdict"], live.json["verdict"]);
}

// ------------------------------------------------------------------ names

#[test]
fn file_names_of_modules_are_accepted_as_kmod_does() {
    let env = bridge_env();
    for q in ["bridge.ko", "bridge.ko.xz", "bridge.ko.zst", "bridge.ko.gz"] {
        let c = check1(&env, q);
        assert_eq!(c.json["module"], "bridge", "{q}: {}", c.why());
        assert_eq!(c.verdict(), "blocked", "{q}");
    }
    let c = check1(&env, "br-netfilter.ko");
    assert_eq!(c.json["module"], "br_netfilter", "{}", c.why());
}

#[test]
fn paths_are_refused_with_the_name_to_give_instead() {
    let env = bridge_env();
    for q in [
        "/lib/modules/6.1/kernel/net/bridge/bridge.ko",
        "./bridge.ko",
        "net/bridge",
    ] {
        let out = env.run(&["check", q]);
        assert_eq!(out.code, 2, "{q}: {}", out.stderr);
        assert!(out.stderr.contains("file path"), "{q}: {}", out.stderr);
    }
}

#[test]
fn aliases_with_a_slash_resolve() {
    let mut env = TestEnv::new();
    env.dep("tun", &[]).alias("devname:net/tun", "tun");
    env.dep("dm_mod", &[])
        .alias("devname:mapper/control", "dm_mod");
    let c = check1(&env, "devname:net/tun");
    assert_eq!(c.json["module"], "tun", "{}", c.why());
    assert_eq!(c.verdict(), "not-loaded");
    assert!(c.has("resolved-alias"), "{}", c.why());
    assert_eq!(
        check1(&env, "devname:mapper/control").json["module"],
        "dm_mod"
    );
    // A slash outside an alias, or one that climbs, is still refused.
    for q in ["devname:net/../x", "devname:net/", "a/b"] {
        assert_eq!(env.run(&["check", q]).code, 2, "{q}");
    }
}

#[test]
fn typos_get_the_closest_names() {
    let mut env = bridge_env();
    env.builtin("unix");
    env.dep("ddbridge", &[]);
    let cases: [(&str, &[&str]); 4] = [
        ("brdge", &["bridge"]),
        ("Bridge", &["bridge"]),
        ("br_netfiltr", &["br_netfilter"]),
        ("unx", &["unix"]),
    ];
    for (typo, want) in cases {
        let c = check1(&env, typo);
        assert_eq!(c.verdict(), "not-found", "{typo}");
        assert_eq!(c.code(), 16);
        let msg = c.json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "did-you-mean")
            .map(|f| f["message"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{typo}: {}", c.why()));
        for w in want {
            assert!(msg.contains(w), "{typo}: {msg}");
        }
        assert!(!msg.contains("ddbridge"), "{typo}: too far: {msg}");
    }
    // The text output shows the hint too.
    let out = env.run(&["check", "brdge"]);
    assert!(
        out.stdout.contains("Close names on this system: bridge."),
        "{}",
        out.stdout
    );
}

#[test]
fn the_same_module_twice_is_reported_once() {
    let env = bridge_env();
    let out = env.run(&["check", "--color", "never", "bridge", "bridge", "bridge.ko"]);
    assert_eq!(out.code, 14);
    assert_eq!(
        out.stdout.matches("BLOCKED  bridge").count(),
        1,
        "{}",
        out.stdout
    );
}

// ------------------------------------------------------ scan, explain, -S

#[test]
fn unknown_scan_class_is_a_usage_error() {
    let env = bridge_env();
    let out = env.run(&["scan", "--class", "netwrk"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("Did you mean network?"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("storage"), "{}", out.stderr);
    // Like an unknown --verdict.
    assert_eq!(env.run(&["scan", "--verdict", "safer"]).code, 2);
    for ok in ["network", "NONE", "storage,none"] {
        assert_eq!(env.run(&["scan", "--class", ok]).code, 0, "{ok}");
    }
}

#[test]
fn explain_honours_module_when_the_text_is_not_recognised() {
    let env = bridge_env();
    let out = env.run(&[
        "explain",
        "--color",
        "never",
        "-m",
        "bridge",
        "it did not work",
    ]);
    assert_eq!(out.code, 14, "{}", out.stderr);
    assert!(out.stdout.contains("BLOCKED  bridge"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("checking the module given with --module"),
        "{}",
        out.stderr
    );
    // Without -m it is still a usage error.
    assert_eq!(env.run(&["explain", "it did not work"]).code, 2);
}

#[test]
fn explain_reads_perror_style_delete_module_lines() {
    let env = bridge_env();
    let msg = "delete_module: Device or resource busy";
    let out = env.run(&["explain", "--format", "json", "-m", "bridge", msg]);
    assert_eq!(out.code, 14, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let e = &v["explanations"][0];
    assert_eq!(e["module"], "bridge");
    assert_eq!(e["errno"]["name"], "EBUSY");
    assert_eq!(e["refused_by"], "kernel");
    // Without -m: explained, then asks for the module (exit 2).
    let out = env.run(&["explain", "--color", "never", msg]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stdout.contains("EBUSY"), "{}", out.stdout);
    assert!(out.stderr.contains("--module"), "{}", out.stderr);
}

#[test]
fn refused_by_the_removal_tool_is_not_capitalised_mid_sentence() {
    let env = bridge_env();
    let out = env.run(&[
        "explain",
        "--color",
        "never",
        "ERROR: Module bridge is in use by: br_netfilter",
    ]);
    assert!(
        out.stdout.contains("Refused by the removal tool"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("by The removal tool"),
        "{}",
        out.stdout
    );
}

#[test]
fn release_without_a_module_tree_warns() {
    let env = bridge_env();
    let out = env.run(&["-S", "9.9.9-nosuch", "check", "bridge"]);
    assert!(
        out.stderr
            .contains("warning: -S 9.9.9-nosuch: /lib/modules/9.9.9-nosuch does not exist"),
        "{}",
        out.stderr
    );
    let out = env.run(&["-S", RELEASE, "check", "bridge"]);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
}

// ------------------------------------------------ built-in bound devices

#[test]
fn builtin_driver_found_through_sys_module_drivers() {
    // 8250 registers serial8250 (not named like it): /sys/module/8250/drivers
    // says which.
    let mut env = TestEnv::new();
    env.builtin("8250");
    env.bound_device("8250", "platform", "serial8250", "platform", "serial8250");
    let c = check1(&env, "8250");
    assert_eq!(c.verdict(), "builtin", "{}", c.why());
    assert_eq!(c.list("/module_info/drivers"), ["platform:serial8250"]);
    assert_eq!(
        c.list("/module_info/bound_devices"),
        ["platform:serial8250"]
    );
    assert!(
        c.commands()
            .contains(&"echo serial8250 > /sys/bus/platform/drivers/serial8250/unbind".to_string()),
        "{:?}",
        c.commands()
    );
    assert!(c.has("builtin-bound-devices"), "{}", c.why());
}

#[test]
fn builtin_disk_driver_under_the_root_filesystem_is_critical() {
    let env = TestEnv::new();
    env.mkdir("/sys/module/virtio_blk/parameters");
    let dev = "pci0000:00/0000:00:02.0/virtio1";
    env.mkdir(&format!("/sys/devices/{dev}"));
    let drv = "/sys/bus/virtio/drivers/virtio_blk";
    env.write(&format!("{drv}/unbind"), "");
    env.symlink(
        &format!("{drv}/virtio1"),
        &format!("../../../../devices/{dev}"),
    );
    env.symlink(
        &format!("/sys/devices/{dev}/driver"),
        "../../../../bus/virtio/drivers/virtio_blk",
    );
    // vda under virtio1, mounted on / (TestEnv's mountinfo says 254:1).
    env.mkdir(&format!("/sys/devices/{dev}/block/vda/vda1"));
    env.write(&format!("/sys/devices/{dev}/block/vda/vda1/dev"), "254:1\n");
    env.symlink(
        "/sys/dev/block/254:1",
        &format!("../../devices/{dev}/block/vda/vda1"),
    );
    env.block_dev("vda1", 254, 1);
    let c = check1(&env, "virtio_blk");
    assert_eq!(c.verdict(), "builtin", "{}", c.why());
    assert!(c.has("critical-mounts"), "{}", c.why());
    assert_eq!(c.list("/users/critical_mounts"), ["/"]);
    assert!(
        c.commands()
            .contains(&"echo virtio1 > /sys/bus/virtio/drivers/virtio_blk/unbind".to_string()),
        "{:?}",
        c.commands()
    );
}

#[test]
fn unbind_steps_are_shell_quoted() {
    let env = TestEnv::new();
    env.mkdir("/sys/module/evil/parameters");
    let drv = "/sys/bus/platform/drivers/evil";
    env.write(&format!("{drv}/unbind"), "");
    env.mkdir("/sys/devices/platform/x;reboot");
    env.symlink(
        &format!("{drv}/x;reboot"),
        "../../../../devices/platform/x;reboot",
    );
    let c = check1(&env, "evil");
    assert!(
        c.commands()
            .contains(&"echo 'x;reboot' > /sys/bus/platform/drivers/evil/unbind".to_string()),
        "{:?}",
        c.commands()
    );
}

// ---------------------------------------------- what modprobe really says

/// Every modprobe/rmmod message a built-in rule quotes must be one that
/// modprobe prints: checked against the messages captured from real kmod
/// (tests/fixtures/vm-messages) and the Debian 6.1 probe log.
#[test]
fn quoted_modprobe_messages_are_real() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut real = String::new();
    for k in ["6.1", "6.12"] {
        real.push_str(
            &std::fs::read_to_string(root.join(format!("tests/fixtures/vm-messages/{k}.txt")))
                .unwrap(),
        );
    }
    let reference = root.join("../shared/reference/debian-6.1-vm-probe.log");
    if let Ok(t) = std::fs::read_to_string(reference) {
        real.push_str(&t);
    }
    let rules = std::fs::read_to_string(root.join("rules/core.toml")).unwrap();
    let mut quoted = 0;
    for (i, _) in rules.match_indices("answers \\\"") {
        let rest = &rules[i + "answers \\\"".len()..];
        let q = &rest[..rest.find("\\\"").unwrap()];
        quoted += 1;
        // {module.name} stands for any module of the captures.
        let found = ["unix", "8250", "notamodule", "dummy", "bridge"]
            .iter()
            .any(|m| real.contains(&q.replace("{module.name}", m)));
        assert!(
            found,
            "rules/core.toml quotes {q:?}, which modprobe never printed"
        );
    }
    assert!(quoted > 0, "no quoted modprobe message found to check");
    // And the builtin rule no longer claims "is builtin" unconditionally.
    let out = run_raw(&["rules", "--format", "json"]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let builtin = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "builtin")
        .unwrap();
    assert!(!builtin.to_string().contains("is builtin"), "{builtin}");
}

// ------------------------------------------------ snapshot round trip

/// Verdict and finding rule ids of every report of `check --format json`.
fn verdicts(root: &Path, modules: &[String]) -> Vec<(String, String, Vec<String>)> {
    let mut args = vec!["check", "--format", "json"];
    args.extend(modules.iter().map(String::as_str));
    let out = run_in(root, &args);
    let v: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: {e}: {}", root.display(), out.stderr));
    let list = match v {
        Value::Array(a) => a,
        one => vec![one],
    };
    list.iter()
        .map(|r| {
            let mut rules: Vec<String> = r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["rule"].as_str().unwrap().to_string())
                .collect();
            rules.sort();
            (
                r["module"].as_str().unwrap().to_string(),
                r["verdict"].as_str().unwrap().to_string(),
                rules,
            )
        })
        .collect()
}

/// Modules to compare on `root`: what `scan` lists, what /sys/module holds
/// (built-in code), `loop`, and a typo.
fn modules_of(root: &Path) -> Vec<String> {
    let out = run_in(root, &["scan", "--format", "json"]);
    let mut names: Vec<String> = match serde_json::from_str::<Value>(&out.stdout) {
        Ok(v) => v["modules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["module"].as_str().unwrap().to_string())
            .collect(),
        Err(_) => Vec::new(),
    };
    if let Ok(rd) = std::fs::read_dir(root.join("sys/module")) {
        let mut sysmod: Vec<String> = rd
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        sysmod.sort();
        names.extend(sysmod);
    }
    names.extend(["loop".to_string(), "brdge".to_string()]);
    names.sort();
    names.dedup();
    names
}

fn round_trip(root: &Path, what: &str) {
    let t = tempfile::tempdir().unwrap();
    let snap = t.path().join("snap.tar.gz");
    let out = run_in(root, &["snapshot", "-o", snap.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{what}: {}", out.stderr);
    let names = modules_of(root);
    let live = verdicts(root, &names);
    let again = verdicts(&snap, &names);
    assert_eq!(live.len(), again.len(), "{what}");
    let diff: Vec<String> = live
        .iter()
        .zip(&again)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("{} live {} {:?}, snapshot {} {:?}", a.0, a.1, a.2, b.1, b.2))
        .collect();
    assert!(
        diff.is_empty(),
        "{what}: snapshot differs:\n{}",
        diff.join("\n")
    );
}

#[test]
fn snapshot_of_the_live_root_answers_like_the_live_root() {
    round_trip(Path::new("/"), "live /");
}

#[test]
fn snapshot_of_test_roots_answers_like_them() {
    let mut env = bridge_env();
    env.builtin("unix");
    env.mkdir("/sys/module/loop/parameters");
    round_trip(env.path(), "bridge_env");
}

#[test]
fn snapshot_of_captured_fixtures_answers_like_them() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vm");
    for k in ["6.1", "6.12"] {
        // Every loaded module of the VM (scan), and built-in code.
        for s in ["virtio-net-route", "builtin-8250"] {
            let archive = dir.join(k).join(format!("{s}.tar.gz"));
            let t = tempfile::tempdir().unwrap();
            let f = std::fs::File::open(&archive).unwrap();
            tar::Archive::new(flate2::read::GzDecoder::new(f))
                .unpack(t.path())
                .unwrap();
            round_trip(t.path(), &format!("{k}/{s}"));
        }
    }
}

#[test]
fn snapshot_keeps_an_existing_archive_unless_forced() {
    let env = bridge_env();
    let t = tempfile::tempdir().unwrap();
    let out_path = t.path().join("snap.tar.gz");
    std::fs::write(&out_path, b"precious").unwrap();
    let o = out_path.to_str().unwrap();
    let out = env.run(&["snapshot", "-o", o, "bridge"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    assert_eq!(std::fs::read(&out_path).unwrap(), b"precious");
    let out = env.run(&["snapshot", "--force", "-o", o, "bridge"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(run_in(&out_path, &["check", "bridge"]).code, 14);
    // The default name is documented where the option is.
    let help = run_raw(&["snapshot", "--help"]);
    assert!(
        help.stdout.contains("kmod-doctor-snapshot.tar.gz"),
        "{}",
        help.stdout
    );
    assert!(help.stdout.contains("--force"), "{}", help.stdout);
}
