//! What `modprobe -r M` takes, as kmod computes it, and how the verdict and
//! the plan account for every module it takes.

use crate::common::*;

fn removal(c: &Checked) -> Vec<(String, String)> {
    c.json["removal"]
        .as_array()
        .unwrap_or_else(|| panic!("no removal in {}", c.why()))
        .iter()
        .map(|m| {
            (
                m["module"].as_str().unwrap().to_string(),
                m["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn names(c: &Checked) -> Vec<String> {
    c.list("/module_info/removal_set")
}

fn step<'a>(c: &'a Checked, command: &str) -> &'a serde_json::Value {
    c.json["next_steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["command"] == command)
        .unwrap_or_else(|| panic!("no step {command:?} in {:?}", c.commands()))
}

#[test]
fn dependencies_reaching_zero_go_in_modules_dep_order() {
    let c = check1(&bridge_env(), "br_netfilter");
    assert_eq!(
        names(&c),
        ["br_netfilter", "bridge", "stp", "llc"],
        "{}",
        c.why()
    );
    assert_eq!(removal(&c)[1].1, "dependency");
    assert_eq!(
        c.list("/module_info/would_also_remove"),
        ["bridge", "stp", "llc"]
    );
}

#[test]
fn one_pass_in_file_order_leaves_a_dependency_listed_before_its_user() {
    // kmod checks each dependency once, in modules.dep order: llc listed
    // before stp still has stp's reference when it is checked.
    let mut env = TestEnv::new();
    env.dep("top", &["llc", "stp"])
        .dep("stp", &["llc"])
        .dep("llc", &[]);
    env.idle("top")
        .loaded("stp", 1, "top,", "Live")
        .loaded("llc", 2, "top,stp,", "Live");
    let c = check1(&env, "top");
    assert_eq!(names(&c), ["top", "stp"], "{}", c.why());
}

#[test]
fn dependencies_still_used_stay() {
    // psnap still uses llc: llc stays.
    let mut env2 = TestEnv::new();
    env2.dep("br_netfilter", &["bridge", "stp", "llc"])
        .dep("bridge", &["stp", "llc"])
        .dep("stp", &["llc"])
        .dep("llc", &[])
        .dep("psnap", &["llc"]);
    env2.idle("br_netfilter")
        .loaded("bridge", 1, "br_netfilter,", "Live")
        .loaded("stp", 1, "bridge,", "Live")
        .loaded("llc", 3, "bridge,stp,psnap,", "Live")
        .idle("psnap");
    let c = check1(&env2, "br_netfilter");
    assert_eq!(names(&c), ["br_netfilter", "bridge", "stp"], "{}", c.why());
}

#[test]
fn softdeps_from_modprobe_d_post_first_pre_last() {
    let mut env = TestEnv::new();
    env.dep("m", &[]).dep("a", &[]).dep("b", &[]).dep("c", &[]);
    env.idle("m").idle("a").idle("b").idle("c");
    env.modprobe_conf("m.conf", "softdep m pre: a b post: c\n");
    let c = check1(&env, "m");
    assert_eq!(
        removal(&c),
        [
            ("c".to_string(), "softdep-post".to_string()),
            ("m".into(), "target".into()),
            ("b".into(), "softdep-pre".into()),
            ("a".into(), "softdep-pre".into()),
        ],
        "{}",
        c.why()
    );
}

#[test]
fn softdeps_from_modules_softdep_and_first_match_wins() {
    let mut env = TestEnv::new();
    env.dep("m", &[]).dep("a", &[]).dep("z", &[]);
    env.idle("m").idle("a").idle("z");
    env.write(
        &format!("/lib/modules/{RELEASE}/modules.softdep"),
        "# Soft dependencies extracted from modules themselves.\nsoftdep m pre: a\n",
    );
    let c = check1(&env, "m");
    assert_eq!(names(&c), ["m", "a"], "{}", c.why());
    // zz.conf sorts after modules.softdep: its line for m is never read.
    env.modprobe_conf("zz.conf", "softdep m pre: z\n");
    assert_eq!(names(&check1(&env, "m")), ["m", "a"]);
    // aa.conf sorts before it and wins.
    env.modprobe_conf("aa.conf", "softdep m* pre: z\n");
    assert_eq!(names(&check1(&env, "m")), ["m", "z"]);
}

#[test]
fn softdeps_in_use_or_not_loaded_are_skipped() {
    let mut env = TestEnv::new();
    env.dep("m", &[])
        .dep("a", &[])
        .dep("b", &[])
        .dep("n", &["a"]);
    env.idle("m").loaded("a", 1, "n,", "Live").idle("n");
    env.modprobe_conf("m.conf", "softdep m pre: a b\n");
    let c = check1(&env, "m");
    assert_eq!(names(&c), ["m"], "{}", c.why());
}

#[test]
fn remove_command_replaces_the_unload_and_skips_dependencies() {
    let mut env = TestEnv::new();
    env.dep("m", &["d"]).dep("d", &[]);
    env.idle("m").loaded("d", 1, "m,", "Live");
    env.modprobe_conf("m.conf", "remove m /bin/true\n");
    let c = check1(&env, "m");
    assert_eq!(names(&c), ["m"], "{}", c.why());
    assert_eq!(c.json["removal"][0]["command"], "/bin/true");
    assert!(c.has("remove-command"));
}

#[test]
fn blacklist_does_not_change_the_removal() {
    let mut env = TestEnv::new();
    env.dep("m", &[]).dep("a", &[]);
    env.idle("m").idle("a");
    env.modprobe_conf("m.conf", "softdep m post: a\nblacklist a\n");
    env.write("/proc/cmdline", "root=/dev/vda1 modprobe.blacklist=m\n");
    let c = check1(&env, "m");
    assert_eq!(names(&c), ["a", "m"], "{}", c.why());
    assert!(c.has("blacklisted"), "cmdline blacklist: {:?}", c.fired());
}

#[test]
fn a_module_outside_the_index_is_removed_with_rmmod() {
    let mut env = TestEnv::new();
    env.dep("d", &[])
        .idle("stray")
        .loaded("d", 1, "stray,", "Live");
    let c = check1(&env, "stray");
    assert!(c.has("outside-index"), "{:?}", c.fired());
    assert_eq!(c.json["module_info"]["modprobe_finds"], false);
    let cmds = c.commands();
    assert!(cmds.contains(&"rmmod stray".to_string()), "{cmds:?}");
    assert!(!cmds.iter().any(|s| s.starts_with("modprobe")), "{cmds:?}");
    assert_eq!(names(&c), ["stray"]);
    assert_eq!(c.verdict(), "safe", "the kernel's side: {}", c.why());
}

#[test]
fn a_holder_outside_the_index_is_removed_with_rmmod_in_the_plan() {
    let mut env = TestEnv::new();
    env.dep("d", &[])
        .idle("stray")
        .loaded("d", 1, "stray,", "Live");
    let c = check1(&env, "d");
    assert_eq!(c.verdict(), "blocked");
    assert!(
        c.commands().contains(&"rmmod stray".to_string()),
        "{:?}",
        c.commands()
    );
}

#[test]
fn a_dependency_carrying_the_default_route_makes_it_danger() {
    let env = bridge_env();
    env.class_device("net", "br0", "virtual/net/br0");
    env.mkdir("/sys/devices/virtual/net/br0/bridge");
    env.write("/sys/devices/virtual/net/br0/flags", "0x1003\n");
    env.write(
        "/proc/net/route",
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\nbr0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n",
    );
    let c = check1(&env, "br_netfilter");
    assert_eq!(c.verdict(), "danger", "{}", c.why());
    let f = c.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "default-route")
        .unwrap_or_else(|| panic!("{:?}", c.fired()));
    assert_eq!(f["caused_by"], "bridge");
    // The narrow alternative is offered and judged on its own.
    let narrow = step(&c, "rmmod br_netfilter");
    assert_eq!(narrow["verdict"], "safe", "{}", c.why());
    assert_eq!(
        step(&c, "modprobe --remove br_netfilter")["verdict"],
        "danger"
    );
    // Without the route the same set is only caution.
    env.write(
        "/proc/net/route",
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n",
    );
    assert_eq!(check1(&env, "br_netfilter").verdict(), "caution");
}

#[test]
fn the_preview_says_the_dry_run_shows_only_the_target() {
    let c = check1(&bridge_env(), "br_netfilter");
    let why = step(&c, "modprobe --dry-run --verbose --remove br_netfilter")["why"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(why.contains("only `rmmod br_netfilter`"), "{why}");
    assert!(why.contains("br_netfilter, bridge, stp, llc"), "{why}");
}

#[test]
fn plan_steps_carry_their_own_verdict() {
    let env = bridge_env();
    env.class_device("net", "br0", "virtual/net/br0");
    env.mkdir("/sys/devices/virtual/net/br0/bridge");
    env.write("/sys/devices/virtual/net/br0/flags", "0x1003\n");
    let c = check1(&env, "stp");
    assert_eq!(c.verdict(), "blocked");
    // `modprobe --remove br_netfilter` takes bridge (and stp, llc) with it:
    // the step carries bridge's consequences, and bridge needs no step of its own.
    assert!(
        !c.commands()
            .contains(&"modprobe --remove bridge".to_string())
    );
    let s = step(&c, "modprobe --remove br_netfilter");
    assert_eq!(s["verdict"], "caution", "{}", c.why());
    assert!(
        s["consequences"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["rule"] == "interfaces-vanish" && x["module"] == "bridge"),
        "{s}"
    );
    let removes: Vec<&str> = s["removes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(removes.contains(&"bridge"), "{removes:?}");
}

#[test]
fn drm_holders_plan_marks_the_console_step() {
    let fixture = format!(
        "{}/tests/fixtures/vm/6.12/drm-holders.tar.gz",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = run_raw(&["--root", &fixture, "check", "--format", "json", "drm"]);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["verdict"], "blocked");
    let steps = json["next_steps"].as_array().unwrap();
    let i = steps
        .iter()
        .position(|s| s["command"] == "modprobe --remove bochs")
        .expect("bochs step");
    assert_eq!(steps[i]["verdict"], "danger");
    assert_eq!(steps[i]["critical"], true);
    assert!(
        steps[i]["consequences"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["rule"] == "active-console"),
        "{}",
        steps[i]
    );
    // Its outage preparation comes first.
    assert!(
        steps[..i].iter().any(|s| s["why"]
            .as_str()
            .unwrap()
            .starts_with("Before `modprobe --remove bochs`")),
        "{steps:?}"
    );
    let headline = json["headline"].as_str().unwrap();
    assert!(
        headline.contains("freeing it") && headline.contains("bochs"),
        "{headline}"
    );
    // The same answer `check bochs` gives.
    let out = run_raw(&["--root", &fixture, "check", "--format", "json", "bochs"]);
    let b: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(b["verdict"], "danger");
}

/// `top` holds `mid`, which also keeps a reference of its own. Once
/// `modprobe --remove top` has run, mid's holder is gone but that reference
/// stays: with no user found for it the step is unknown (and says why); with
/// a user found (a mount of its filesystem) it stays blocked.
fn held_with_a_reference_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("top", &["mid"]).dep("mid", &[]);
    env.idle("top").loaded("mid", 2, "top,", "Live");
    env
}

#[test]
fn a_later_step_with_unexplained_references_is_unknown_not_blocked() {
    let c = check1(&held_with_a_reference_env(), "mid");
    assert_eq!(c.verdict(), "blocked", "{}", c.why());
    let s = step(&c, "modprobe --remove mid");
    assert_eq!(s["verdict"], "unknown", "{s}");
    let why = s["why"].as_str().unwrap();
    assert!(why.contains("1 reference no user explains"), "{why}");
}

#[test]
fn a_later_step_whose_user_was_found_stays_blocked() {
    let mut env = held_with_a_reference_env();
    env.alias("fs-mid", "mid");
    env.append(
        "/proc/self/mountinfo",
        "40 22 0:40 / /srv rw - mid none rw\n",
    );
    let c = check1(&env, "mid");
    assert_eq!(c.verdict(), "blocked", "{}", c.why());
    let s = step(&c, "modprobe --remove mid");
    assert_eq!(s["verdict"], "blocked", "{s}");
}
