//! A process that maps a device node keeps it open after closing the
//! descriptor: /proc/PID/maps is read when descriptors do not explain the
//! module's references, and not otherwise.

use crate::common::*;

fn env_with_map(refs: i64, also_fd: bool) -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("vhost_net", &[])
        .loaded("vhost_net", refs, "-", "Live");
    env.devname("vhost_net vhost-net c10:238");
    env.write("/proc/777/comm", "mapper\n");
    env.write("/proc/777/cgroup", "0::/system.slice/mapper.service\n");
    env.mkdir("/proc/777/fd");
    env.write(
        "/proc/777/maps",
        "7f00a000-7f00b000 rw-s 00000000 00:05 17 /dev/vhost-net\n7f00c000-7f00d000 r-xp 00000000 fe:01 42 /usr/lib/libc.so.6\n",
    );
    env.append(
        "/kmod-doctor-snapshot/devices.tsv",
        "/dev/vhost-net\tc\t10:238",
    );
    if also_fd {
        env.process_holding(888, "opener", None, 4, "vhost-net", 'c', 10, 238);
    }
    env
}

fn processes(out: &Out) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    v["users"]["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_mapping_explains_a_reference() {
    let env = env_with_map(1, false);
    let out = env.run(&["check", "--format", "json", "vhost_net"]);
    assert_eq!(out.code, 14, "{}", out.stdout);
    assert_eq!(
        processes(&out),
        vec!["pid 777 (mapper, mapper.service) maps /dev/vhost-net"]
    );
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["module_info"]["unexplained_refs"], 0);
    let cmds: Vec<&str> = v["next_steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["command"].as_str().unwrap())
        .collect();
    assert!(
        cmds.contains(&"systemctl stop -- mapper.service"),
        "{cmds:?}"
    );
}

#[test]
fn maps_are_not_read_when_descriptors_explain_everything() {
    let env = env_with_map(1, true);
    let out = env.run(&["check", "--format", "json", "vhost_net"]);
    assert_eq!(
        processes(&out),
        vec!["pid 888 (opener) holds /dev/vhost-net"]
    );
}
