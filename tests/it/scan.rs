//! `kmod-doctor scan`: every loaded module with a verdict, on a fixture root
//! and on a real capture from the VM (tests/fixtures/scan/).

use crate::common::*;

const VM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/scan/debian-6.1-vm-probe.tar.gz"
);
const VM_RELEASE: &str = "6.1.0-56-amd64";

fn vm(args: &[&str]) -> Out {
    let mut a = args.to_vec();
    a.extend(["-S", VM_RELEASE]);
    run_in(std::path::Path::new(VM), &a)
}

/// dummy idle (safe), bridge held by br_netfilter (blocked), br_netfilter
/// (caution: modprobe -r takes bridge, stp and llc with it).
fn env() -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("br_netfilter", &["bridge", "stp", "llc"])
        .dep("bridge", &["stp", "llc"])
        .dep("stp", &["llc"])
        .dep("llc", &[])
        .dep("dummy", &[]);
    env.idle("dummy")
        .idle("br_netfilter")
        .loaded("bridge", 1, "br_netfilter,", "Live")
        .loaded("stp", 1, "bridge,", "Live")
        .loaded("llc", 2, "bridge,stp,", "Live");
    env
}

fn json(out: &Out) -> serde_json::Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", out.stdout, out.stderr))
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["module"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn text_is_pinned_and_exit_is_zero_whatever_the_verdicts() {
    let out = env().run(&["scan"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    insta::assert_snapshot!("fixture_text", out.stdout);
}

#[test]
fn verdicts_and_reasons_match_check() {
    let e = env();
    let v = json(&e.run(&["scan", "--format", "json"]));
    assert_eq!(v["total"], 5);
    for m in v["modules"].as_array().unwrap() {
        let name = m["module"].as_str().unwrap();
        let c = check1(&e, name);
        assert_eq!(m["verdict"], c.verdict(), "{name}");
        assert!(!m["reason"].as_str().unwrap().is_empty());
    }
    let bridge = v["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["module"] == "bridge")
        .unwrap();
    assert_eq!(bridge["holders"][0], "br_netfilter");
    assert_eq!(bridge["refcount"], 1);
    assert_eq!(bridge["reason"], "held by br_netfilter");
}

#[test]
fn what_can_i_unload_right_now() {
    let v = json(&env().run(&["scan", "--format", "json", "--verdict", "safe"]));
    assert_eq!(names(&v), vec!["dummy"]);
    let v = json(&env().run(&["scan", "--format", "json", "--verdict", "caution,blocked"]));
    assert_eq!(names(&v), vec!["br_netfilter", "bridge", "llc", "stp"]);
    let v = json(&env().run(&[
        "scan",
        "--format",
        "json",
        "--verdict",
        "safe",
        "--verdict",
        "caution",
    ]));
    assert_eq!(names(&v), vec!["br_netfilter", "dummy"]);
}

#[test]
fn sorting() {
    let e = env();
    let v = json(&e.run(&["scan", "--format", "json", "--sort", "refcount"]));
    assert_eq!(names(&v)[0], "llc");
    let v = json(&e.run(&["scan", "--format", "json", "--sort", "verdict"]));
    let verdicts: Vec<&str> = v["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(
        verdicts,
        vec!["blocked", "blocked", "blocked", "caution", "safe"]
    );
    let v = json(&e.run(&["scan", "--format", "json", "--sort", "verdict", "-r"]));
    assert_eq!(names(&v)[0], "dummy");
    let v = json(&vm(&["scan", "--format", "json", "--sort", "size"]));
    let sizes: Vec<i64> = v["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["size"].as_i64().unwrap())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    assert_eq!(names(&v)[0], "kvm");
}

#[test]
fn usage_errors() {
    let out = env().run(&["scan", "--verdict", "fine"]);
    assert_eq!(out.code, 2);
    let out = env().run(&["scan", "--sort", "colour"]);
    assert_eq!(out.code, 2);
}

#[test]
fn no_module_support_and_nothing_loaded() {
    let e = TestEnv::new();
    let out = e.run(&["scan"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("No module is loaded."),
        "{}",
        out.stdout
    );
    e.remove("/proc/modules");
    let out = e.run(&["scan"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("No loadable module support"),
        "{}",
        out.stdout
    );
    let v = json(&e.run(&["scan", "--format", "json"]));
    assert_eq!(v["module_support"], false);
    assert_eq!(v["modules"].as_array().unwrap().len(), 0);
}

#[test]
fn unreadable_module_list_is_a_failure() {
    let e = TestEnv::new();
    e.remove("/proc/modules");
    e.mkdir("/proc/modules");
    let out = e.run(&["scan"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("/proc/modules"), "{}", out.stderr);
}

// ------------------------------------------------------- the real capture

#[test]
fn real_capture_text_and_markdown_are_pinned() {
    let out = vm(&["scan"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    insta::assert_snapshot!("vm_text", out.stdout);
    let md = vm(&["scan", "--format", "markdown", "--verdict", "blocked"]);
    assert_eq!(md.code, 0);
    insta::assert_snapshot!("vm_markdown_blocked", md.stdout);
}

#[test]
fn real_capture_classes_come_from_facts() {
    let v = json(&vm(&["scan", "--format", "json", "--class", "network"]));
    let n = names(&v);
    assert!(n.contains(&"virtio_net".to_string()), "{n:?}");
    for m in v["modules"].as_array().unwrap() {
        assert!(
            m["classes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "network"),
            "{m}"
        );
    }
    assert_eq!(v["total"], 30);
    let none = json(&vm(&["scan", "--format", "json", "--class", "none"]));
    assert!(names(&none).contains(&"llc".to_string()));
    assert!(!names(&none).contains(&"virtio_net".to_string()));
}

#[test]
fn counts_add_up() {
    let v = json(&vm(&["scan", "--format", "json"]));
    let sum: u64 = v["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, 30);
    assert_eq!(v["kernel_release"], VM_RELEASE);
    assert_eq!(v["schema_version"], 1);
}

/// System-wide facts are gathered once for all modules: scanning many
/// modules costs little more than checking one.
#[test]
fn many_modules_scan_quickly() {
    let mut e = TestEnv::new();
    for i in 0..300 {
        let n = format!("m{i}");
        e.dep(&n, &[]);
        e.idle(&n);
    }
    let t = std::time::Instant::now();
    let out = e.run(&["scan", "--format", "json"]);
    let took = t.elapsed();
    assert_eq!(out.code, 0);
    assert_eq!(json(&out)["total"], 300);
    assert!(took.as_secs() < 20, "300 modules took {took:?}");
}
