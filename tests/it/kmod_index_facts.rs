//! `check` answers the same from kmod's binary indexes as from the text files
//! (the real modules.* files of Debian's 6.1 cloud kernel, with the .bin
//! indexes depmod made for them), names the file it read, falls back to the
//! text when an index is corrupt, and `snapshot` carries the indexes it read.

use crate::common::{RELEASE, TestEnv, run_in};
use serde_json::Value;
use std::path::Path;

const FIXTURE: &str = "tests/fixtures/kmod-index/6.1.0-57-cloud-amd64.tar.gz";
const BINS: &[&str] = &[
    "modules.dep.bin",
    "modules.alias.bin",
    "modules.builtin.bin",
    "modules.builtin.alias.bin",
    "modules.symbols.bin",
];

/// A system with virtio_net loaded and a virtio network device whose
/// modalias names it, a second device nothing claims, and the real module
/// tree; `bins` keeps the indexes.
fn system(bins: bool) -> TestEnv {
    system_with(bins, &[])
}

/// [`system`] with more idle modules (set before the real module files are
/// unpacked: the test tree rewrites its own lists on every change).
fn system_with(bins: bool, idle: &[&str]) -> TestEnv {
    let mut env = TestEnv::new();
    env.idle("virtio_net");
    for m in idle {
        env.idle(m);
    }
    env.write(
        "/sys/devices/pci0000:00/0000:00:03.0/virtio0/modalias",
        "virtio:d00000001v00001AF4\n",
    );
    env.write(
        "/sys/devices/platform/nothing/modalias",
        "platform:no-such-driver\n",
    );
    let dir = env.path().join("lib/modules").join(RELEASE);
    let f = std::fs::File::open(FIXTURE).unwrap();
    tar::Archive::new(flate2::read::GzDecoder::new(f))
        .unpack(&dir)
        .unwrap();
    if !bins {
        for b in BINS {
            std::fs::remove_file(dir.join(b)).unwrap();
        }
    }
    env
}

fn lm(file: &str) -> String {
    format!("/lib/modules/{RELEASE}/{file}")
}

fn check(root: &Path, q: &str) -> Value {
    let out = run_in(root, &["check", "--format", "json", q]);
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {q}: {} {}", out.stdout, out.stderr))
}

/// Evidence paths in a report.
fn paths(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(p)) = m.get("path") {
                    out.push(p.clone());
                }
                if let Some(Value::String(p)) = m.get("source") {
                    out.push(p.clone());
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(v, &mut out);
    out
}

/// What must not depend on which file answered.
fn meaning(v: &Value) -> Value {
    let rules: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["rule"])
        .collect();
    serde_json::json!({
        "verdict": v["verdict"],
        "module": v["module"],
        "module_info": v["module_info"],
        "via": v["resolved_from"]["via"],
        "rules": rules,
        "unchecked": v["unchecked"],
    })
}

const QUERIES: &[&str] = &[
    "dummy",
    "virtio_net",
    "virtio-net",
    "unix",
    "virtio:d00000001v00001AF4",
    "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00",
    "net-pf-1",
    "nosuchmodule",
];

#[test]
fn same_answers_from_indexes_and_text() {
    let (with, without) = (system(true), system(false));
    for q in QUERIES {
        let (a, b) = (check(with.path(), q), check(without.path(), q));
        assert_eq!(meaning(&a), meaning(&b), "{q}");
        let (pa, pb) = (paths(&a), paths(&b));
        assert!(pb.iter().all(|p| !p.ends_with(".bin")), "{q}: {pb:?}");
        // Whatever came from the module tree came from an index.
        assert!(
            pa.iter()
                .all(|p| !p.starts_with(&lm("modules.dep")) || p == &lm("modules.dep.bin")),
            "{q}: {pa:?}"
        );
    }
    // The evidence names the file read.
    let a = check(with.path(), "dummy");
    assert!(paths(&a).contains(&lm("modules.dep.bin")), "{a}");
    let b = check(without.path(), "dummy");
    assert!(
        paths(&b)
            .iter()
            .any(|p| p.starts_with(&format!("{}:", lm("modules.dep")))),
        "{b}"
    );
    let a = check(with.path(), "virtio:d00000001v00001AF4");
    assert_eq!(a["module"], "virtio_net");
    assert_eq!(a["resolved_from"]["source"], lm("modules.alias.bin"));
    let a = check(with.path(), "net-pf-1");
    assert_eq!(a["module"], "unix");
    assert_eq!(
        a["resolved_from"]["source"],
        lm("modules.builtin.alias.bin")
    );
    let a = check(with.path(), "unix");
    assert!(paths(&a).contains(&lm("modules.builtin.bin")), "{a}");
}

#[test]
fn udev_reload_rule_from_the_alias_index() {
    let (with, without) = (system(true), system(false));
    for env in [&with, &without] {
        let v = check(env.path(), "virtio_net");
        let f = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "reloaded-by-udev")
            .unwrap_or_else(|| panic!("no udev finding: {v}"));
        let ev = f["evidence"].to_string();
        assert!(ev.contains("virtio0/modalias"), "{ev}");
        assert!(!ev.contains("nothing"), "{ev}");
    }
    // A module no device asks for: no reload warning either way.
    for bins in [true, false] {
        let mut env = system(bins);
        env.idle("dummy");
        let v = check(env.path(), "dummy");
        assert!(!v.to_string().contains("load it again"), "{v}");
    }
}

#[test]
fn corrupt_indexes_fall_back_to_text() {
    let text = system(false);
    let env = system(true);
    let dir = env.path().join("lib/modules").join(RELEASE);
    // A good header whose root lies past the end, a truncated trie, garbage.
    let mut hdr = 0xB007_F457u32.to_be_bytes().to_vec();
    hdr.extend_from_slice(&0x0002_0001u32.to_be_bytes());
    hdr.extend_from_slice(&0x8000_9999u32.to_be_bytes());
    std::fs::write(dir.join("modules.dep.bin"), &hdr).unwrap();
    let alias = std::fs::read(dir.join("modules.alias.bin")).unwrap();
    std::fs::write(dir.join("modules.alias.bin"), &alias[..alias.len() / 3]).unwrap();
    std::fs::write(dir.join("modules.builtin.bin"), b"garbage, not an index").unwrap();
    for q in QUERIES {
        let (a, b) = (check(env.path(), q), check(text.path(), q));
        assert_eq!(meaning(&a), meaning(&b), "{q}");
    }
    let a = check(env.path(), "dummy");
    let s = a.to_string();
    assert!(
        s.contains("modules.dep.bin") && s.contains("not used"),
        "{s}"
    );
    assert!(
        paths(&a)
            .iter()
            .any(|p| p.starts_with(&format!("{}:", lm("modules.dep"))))
    );
    let a = check(env.path(), "unix");
    assert!(a.to_string().contains("magic"), "{a}");
}

#[test]
fn snapshot_carries_the_indexes() {
    let env = system(true);
    let out = tempfile::tempdir().unwrap();
    let snap = out.path().join("snap");
    let r = run_in(
        env.path(),
        &[
            "snapshot",
            "--dir",
            snap.to_str().unwrap(),
            "virtio_net",
            "dummy",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = snap.join("lib/modules").join(RELEASE);
    for b in [
        "modules.dep.bin",
        "modules.alias.bin",
        "modules.builtin.bin",
        "modules.builtin.alias.bin",
    ] {
        assert_eq!(
            std::fs::read(dir.join(b)).unwrap(),
            std::fs::read(env.path().join("lib/modules").join(RELEASE).join(b)).unwrap(),
            "{b}"
        );
    }
    for q in ["virtio_net", "dummy", "virtio:d00000001v00001AF4"] {
        let (a, b) = (check(&snap, q), check(env.path(), q));
        assert_eq!(meaning(&a), meaning(&b), "{q}");
        assert_eq!(paths(&a), paths(&b), "{q}");
    }
}

#[test]
fn link_kinds_from_the_alias_index_without_the_text_file() {
    let links = "netns\tnet:[4026531840]\nlink\t1\tlo\t\t\t\nlink\t3\tdummy0\tdummy\t\t\n";
    for bins in [true, false] {
        let mut env = system(bins);
        env.idle("dummy");
        env.virtual_iface("dummy0", true);
        env.write("/kmod-doctor-snapshot/links.tsv", links);
        if bins {
            // The 1.3 MB text file is not needed once the index answers.
            env.remove(&lm("modules.alias"));
        } else {
            // The test tree's own text files replace the real ones.
            env.dep("dummy", &[]).alias("rtnl-link-dummy", "dummy");
        }
        let v = check(env.path(), "dummy");
        assert_eq!(v["verdict"], "caution", "{bins}: {v}");
        assert_eq!(v["users"]["interfaces"][0], "dummy0", "{bins}: {v}");
        let s = v.to_string();
        let (from, not) = if bins {
            (
                "modules.alias.bin: alias rtnl_link_dummy dummy",
                "modules.alias:",
            )
        } else {
            ("alias rtnl-link-dummy dummy", "modules.alias.bin")
        };
        assert!(s.contains(from) && !s.contains(not), "{bins}: {s}");
    }
}

/// With the alias index too, a module whose aliases no device can carry
/// (dummy: `rtnl-link-dummy`) is judged without reading the device tree at
/// all, so a missing one costs it nothing; a module with a device alias
/// still needs it, and without it is not called safe.
#[test]
fn no_device_alias_needs_no_device_tree_with_the_index() {
    for bins in [true, false] {
        let env = system_with(bins, &["dummy"]);
        env.remove("/sys/devices");
        let v = check(env.path(), "dummy");
        assert_eq!(v["verdict"], "safe", "{bins}: {v}");
        let v = check(env.path(), "virtio_net");
        assert_eq!(v["verdict"], "unknown", "{bins}: {v}");
    }
}

/// However many modules a run judges, one without a device alias is never
/// left unknown for want of the device tree: once the tree cannot be read,
/// its aliases are asked instead.
#[test]
fn many_modules_without_device_aliases_need_no_device_tree() {
    let mods = ["dummy", "veth", "vxlan", "geneve", "nlmon", "vrf"];
    let env = system_with(true, &mods);
    env.remove("/sys/devices");
    let mut args = vec!["check", "--format", "json"];
    args.extend(mods);
    let out = run_in(env.path(), &args);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(!out.stdout.contains("\"unknown\""), "{}", out.stdout);
}
