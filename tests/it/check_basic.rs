use crate::common::*;

#[test]
fn idle_module_is_safe() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    let out = env.run(&["check", "--format", "json", "dummy"]);
    assert_eq!(verdict(&out), "safe", "{}", out.stdout);
    assert_eq!(out.code, 0);
    insta::assert_snapshot!("idle_text", env.run(&["check", "dummy"]).stdout);
}

#[test]
fn held_module_is_blocked_with_holders_first() {
    let mut env = TestEnv::new();
    env.dep("br_netfilter", &["bridge", "stp", "llc"])
        .dep("bridge", &["stp", "llc"]);
    env.idle("br_netfilter")
        .loaded("bridge", 1, "br_netfilter,", "Live");
    env.loaded("stp", 1, "bridge,", "Live")
        .loaded("llc", 2, "bridge,stp,", "Live");
    let out = env.run(&["check", "--format", "json", "bridge"]);
    assert_eq!(verdict(&out), "blocked");
    assert_eq!(out.code, 14);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let cmds: Vec<&str> = v["next_steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["command"].as_str().unwrap())
        .collect();
    assert_eq!(cmds[0], "modprobe --remove br_netfilter");
    // br_netfilter's removal takes bridge too (its count drops to 0):
    // no further step is planned for it.
    assert!(!cmds.contains(&"modprobe --remove bridge"), "{cmds:?}");
    assert!(!cmds.iter().any(|c| c.contains("-f")));
}
