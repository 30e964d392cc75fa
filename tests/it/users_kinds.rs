//! Users that have no driver link in sysfs, one class at a time: interfaces
//! of rtnetlink link kinds, namespaces not inspected, kernel references.
//! Hand-built trees stand for cases a test kernel will not produce on demand.

use crate::common::*;

fn dummy_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).dep("veth", &[]);
    env.alias("rtnl-link-dummy", "dummy")
        .alias("rtnl-link-veth", "veth");
    env.idle("dummy").idle("veth");
    env.virtual_iface("dummy0", true);
    env
}

const LINKS_HEAD: &str = "netns\tnet:[4026531840]\nlink\t1\tlo\t\t\t\n";

#[test]
fn dummy_interface_recorded_by_netlink_is_caution_with_delete_step() {
    let env = dummy_env();
    env.write(
        "/kmod-doctor-snapshot/links.tsv",
        &format!("{LINKS_HEAD}link\t3\tdummy0\tdummy\t\t\n"),
    );
    let c = check1(&env, "dummy");
    assert_eq!(c.verdict(), "caution", "{}", c.why());
    assert!(c.has("interfaces-vanish"));
    assert!(!c.has("idle") || c.verdict() != "safe");
    assert!(!c.has("interface-kinds-unread"));
    assert_eq!(c.list("/users/interfaces"), vec!["dummy0"]);
    assert_eq!(c.list("/users/up_interfaces"), vec!["dummy0"]);
    assert!(
        c.commands()
            .contains(&"ip link delete dev dummy0".to_string()),
        "{:?}",
        c.commands()
    );
    // The evidence names the alias and the recorded kind.
    let why = c.why();
    assert!(why.contains("rtnl-link-dummy"), "{why}");
    // veth provides no interface here: it stays safe.
    let v = check1(&env, "veth");
    assert_eq!(v.verdict(), "safe", "{}", v.why());
}

#[test]
fn interface_names_are_quoted_in_delete_steps() {
    let env = dummy_env();
    env.virtual_iface("d$x", false);
    env.write(
        "/kmod-doctor-snapshot/links.tsv",
        &format!("{LINKS_HEAD}link\t3\tdummy0\tdummy\t\t\nlink\t4\td$x\tdummy\t\t\n"),
    );
    let c = check1(&env, "dummy");
    assert!(
        c.commands()
            .contains(&"ip link delete dev 'd$x'".to_string()),
        "{:?}",
        c.commands()
    );
}

#[test]
fn without_recorded_kinds_an_unowned_interface_is_not_safe() {
    let env = dummy_env();
    let c = check1(&env, "dummy");
    assert_eq!(c.verdict(), "caution", "{}", c.why());
    assert!(c.has("interface-kinds-unread"));
    assert!(c.why().contains("dummy0"), "{}", c.why());
    assert!(
        c.commands()
            .contains(&"ip -details link show dev dummy0".to_string())
    );
}

#[test]
fn unowned_interfaces_do_not_concern_modules_without_link_kinds() {
    let mut env = dummy_env();
    env.dep("sctp", &[]);
    env.idle("sctp");
    let c = check1(&env, "sctp");
    assert_eq!(c.verdict(), "safe", "{}", c.why());
    assert!(!c.has("interface-kinds-unread"));
}

#[test]
fn recorded_kind_of_another_module_leaves_this_one_safe() {
    let env = dummy_env();
    env.write(
        "/kmod-doctor-snapshot/links.tsv",
        &format!("{LINKS_HEAD}link\t3\tdummy0\tdummy\t\t\n"),
    );
    let c = check1(&env, "veth");
    assert_eq!(c.verdict(), "safe", "{}", c.why());
    assert!(!c.has("interface-kinds-unread"));
    assert!(!c.has("interfaces-vanish"));
}

#[test]
fn veth_with_peer_in_a_container_is_danger() {
    let env = dummy_env();
    env.virtual_iface("veth0", true);
    env.write(
        "/kmod-doctor-snapshot/links.tsv",
        &format!("{LINKS_HEAD}link\t3\tdummy0\tdummy\t\t\nlink\t5\tveth0\tveth\t\t1\n"),
    );
    let c = check1(&env, "veth");
    assert_eq!(c.verdict(), "danger", "{}", c.why());
    assert!(c.has("peer-in-other-namespace"));
    assert_eq!(c.list("/users/interfaces"), vec!["veth0"]);
    // dummy's own interface has no peer elsewhere.
    let d = check1(&env, "dummy");
    assert!(!d.has("peer-in-other-namespace"));
}

#[test]
fn a_bridge_over_a_dummy_goes_with_it() {
    let env = dummy_env();
    env.virtual_iface("br0", true);
    env.mkdir("/sys/devices/virtual/net/br0/bridge");
    env.symlink("/sys/devices/virtual/net/dummy0/upper_br0", "../br0");
    env.write(
        "/kmod-doctor-snapshot/links.tsv",
        &format!("{LINKS_HEAD}link\t3\tdummy0\tdummy\tbridge\t\nlink\t4\tbr0\tbridge\t\t\n"),
    );
    let c = check1(&env, "dummy");
    assert_eq!(c.list("/users/interfaces"), vec!["br0", "dummy0"]);
}

#[test]
fn other_network_namespaces_are_named_not_ignored() {
    let env = dummy_env();
    env.write("/kmod-doctor-snapshot/links.tsv", LINKS_HEAD);
    // dummy0 exists but is not in the record: remove it from sysfs too.
    env.remove("/sys/class/net/dummy0");
    env.symlink("/proc/1/ns/net", "net:[4026531840]");
    env.symlink("/proc/4242/ns/net", "net:[4026532999]");
    env.write("/run/netns/blue", "");
    let c = check1(&env, "dummy");
    assert_eq!(c.verdict(), "caution", "{}", c.why());
    assert!(c.has("other-netns-not-inspected"));
    let why = c.why();
    assert!(why.contains("net:[4026532999] (pid 4242)"), "{why}");
    assert!(why.contains("/run/netns/blue"), "{why}");
    assert!(c.commands().contains(&"lsns --type net".to_string()));
}

#[test]
fn a_single_namespace_leaves_an_unused_kind_safe() {
    let env = dummy_env();
    env.write("/kmod-doctor-snapshot/links.tsv", LINKS_HEAD);
    env.remove("/sys/class/net/dummy0");
    env.symlink("/proc/1/ns/net", "net:[4026531840]");
    env.symlink("/proc/77/ns/net", "net:[4026531840]");
    let c = check1(&env, "dummy");
    assert_eq!(c.verdict(), "safe", "{}", c.why());
    assert!(!c.has("other-netns-not-inspected"));
}

#[test]
fn bonding_masters_is_not_an_interface() {
    let mut env = TestEnv::new();
    env.dep("bonding", &[]);
    env.alias("rtnl-link-bond", "bonding");
    env.idle("bonding");
    env.write("/sys/class/net/bonding_masters", "bond0\n");
    env.virtual_iface("bond0", true);
    env.mkdir("/sys/devices/virtual/net/bond0/bonding");
    let c = check1(&env, "bonding");
    assert_eq!(c.verdict(), "caution", "{}", c.why());
    assert!(c.unchecked().is_empty(), "{:?}", c.unchecked());
    assert_eq!(c.list("/users/interfaces"), vec!["bond0"]);
}

#[test]
fn a_malformed_links_record_names_file_and_line() {
    let env = dummy_env();
    env.write(
        "/kmod-doctor-snapshot/links.tsv",
        "netns\tnet:[1]\nlink\tNaN\tdummy0\tdummy\t\t\n",
    );
    let c = check1(&env, "dummy");
    assert_eq!(c.verdict(), "unknown", "{}", c.why());
    assert!(
        c.unchecked()
            .contains(&"interface-kinds-unread".to_string()),
        "{:?}",
        c.unchecked()
    );
    let why = c.why();
    assert!(why.contains("links.tsv") && why.contains("line 2"), "{why}");
}

/// Runs SETUP in a fresh network namespace, then `snapshot --dir` of MODULE there, and returns
/// the recording FILE. `None` (the test is skipped, saying WHAT was missing) where namespaces or
/// what SETUP makes cannot be had on this kernel.
fn snapshot_in_new_netns(setup: &str, module: &str, file: &str, what: &str) -> Option<String> {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("snap");
    let script = format!(
        "{setup} && exec {:?} snapshot --dir {:?} {module}",
        env!("CARGO_BIN_EXE_kmod-doctor"),
        dir.display()
    );
    let Ok(r) = std::process::Command::new("unshare")
        .args(["--net", "sh", "-c", &script])
        .output()
    else {
        eprintln!("unshare missing: skipped");
        return None;
    };
    if !dir.exists() {
        eprintln!(
            "{what}: skipped ({})",
            String::from_utf8_lossy(&r.stderr).trim()
        );
        return None;
    }
    Some(std::fs::read_to_string(dir.join("kmod-doctor-snapshot").join(file)).unwrap())
}

/// The live read for real: in a fresh network namespace with a veth pair and
/// a bridge (built into most kernels), `snapshot` records their kinds from
/// netlink. Skipped where namespaces or these kinds cannot be made.
#[test]
fn snapshot_records_link_kinds_read_from_netlink() {
    let Some(tsv) = snapshot_in_new_netns(
        "ip link add kdv0 type veth peer name kdv1 && ip link add kdbr0 type bridge \
         && ip link set kdv0 master kdbr0 && ip link set kdbr0 up",
        "veth",
        "links.tsv",
        "no network namespace with veth/bridge here",
    ) else {
        return;
    };
    let kind_of = |name: &str| {
        tsv.lines()
            .find(|l| l.split('\t').nth(2) == Some(name))
            .map(|l| l.split('\t').map(str::to_string).collect::<Vec<_>>())
            .unwrap_or_else(|| panic!("{name} not in {tsv}"))
    };
    assert_eq!(kind_of("kdv0")[3], "veth");
    assert_eq!(kind_of("kdv0")[4], "bridge", "port kind: {tsv}");
    assert_eq!(kind_of("kdv1")[3], "veth");
    assert_eq!(kind_of("kdbr0")[3], "bridge");
    assert_eq!(kind_of("lo")[3], "");
    assert!(tsv.lines().any(|l| l.starts_with("netns\tnet:[")), "{tsv}");
}

// ------------------------------------ device nodes without a driver link

fn nvidia_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("nvidia", &[]).dep("nvidia_uvm", &["nvidia"]);
    env.loaded("nvidia_uvm", 1, "-", "Live")
        .loaded("nvidia", 2, "nvidia_uvm,", "Live");
    env.write(
        "/proc/devices",
        "Character devices:\n  1 mem\n195 nvidia-frontend\n236 nvidia-uvm\n\nBlock devices:\n",
    );
    env.process_holding(4100, "python3", None, 7, "nvidia-uvm", 'c', 236, 0);
    env.process_holding(
        900,
        "nvidia-persiste",
        Some("nvidia-persistenced.service"),
        3,
        "nvidiactl",
        'c',
        195,
        255,
    );
    env
}

#[test]
fn nvidia_nodes_name_their_processes_through_proc_devices() {
    let env = nvidia_env();
    let uvm = check1(&env, "nvidia_uvm");
    assert!(uvm.has("process-users"), "{}", uvm.why());
    let procs = uvm.list("/users/processes").join("\n");
    assert!(procs.contains("pid 4100 (python3"), "{procs}");
    assert!(!procs.contains("persiste"), "{procs}");
    assert_eq!(uvm.list("/users/pids"), vec!["4100"]);
    let nv = check1(&env, "nvidia");
    let procs = nv.list("/users/processes").join("\n");
    assert!(procs.contains("nvidia-persiste"), "{procs}");
    assert!(!procs.contains("python3"), "{procs}");
    assert_eq!(nv.list("/users/units"), vec!["nvidia-persistenced.service"]);
    assert!(nv.why().contains("195 nvidia-frontend"), "{}", nv.why());
}

#[test]
fn misc_device_without_driver_link_is_tied_by_name() {
    let mut env = TestEnv::new();
    env.dep("zfs", &[]).loaded("zfs", 1, "-", "Live");
    env.write(
        "/proc/devices",
        "Character devices:\n 10 misc\n\nBlock devices:\n",
    );
    env.class_device("misc", "zfs", "virtual/misc/zfs");
    env.symlink("/sys/dev/char/10:249", "../../devices/virtual/misc/zfs");
    env.process_holding(77, "zed", Some("zfs-zed.service"), 5, "zfs", 'c', 10, 249);
    let c = check1(&env, "zfs");
    assert!(c.has("process-users"), "{}", c.why());
    assert_eq!(c.list("/users/units"), vec!["zfs-zed.service"]);
    // Another misc device is not zfs's.
    let mut env = TestEnv::new();
    env.dep("zfs", &[]).loaded("zfs", 1, "-", "Live");
    env.class_device("misc", "kvm", "virtual/misc/kvm");
    env.symlink("/sys/dev/char/10:232", "../../devices/virtual/misc/kvm");
    env.process_holding(78, "qemu", None, 5, "kvm", 'c', 10, 232);
    let c = check1(&env, "zfs");
    assert!(c.list("/users/processes").is_empty(), "{}", c.why());
}

// ------------------------------------------ references the kernel holds

#[test]
fn default_congestion_control_is_attributed_and_released_by_sysctl() {
    let mut env = TestEnv::new();
    env.dep("tcp_bbr", &[]).loaded("tcp_bbr", 3, "-", "Live");
    env.write("/proc/sys/net/ipv4/tcp_congestion_control", "bbr\n");
    let c = check1(&env, "tcp_bbr");
    assert!(c.has("kernel-references"), "{}", c.why());
    // 3 references: 1 the default, 2 left (sockets using bbr do not show).
    let v = &c.json;
    assert_eq!(v["module_info"]["unexplained_refs"], 2);
    assert_eq!(v["users"]["attributed_refs"], 1);
    let why = c.why();
    assert!(
        why.contains("/proc/sys/net/ipv4/tcp_congestion_control"),
        "{why}"
    );
    // The remainder names what was checked.
    assert!(why.contains("TCP congestion control (sysctl)"), "{why}");
}

#[test]
fn qdiscs_from_netlink_are_attributed_with_their_release() {
    let mut env = TestEnv::new();
    env.dep("sch_ingress", &[])
        .loaded("sch_ingress", 2, "-", "Live");
    env.dep("sch_fq", &[]).loaded("sch_fq", 2, "-", "Live");
    env.class_device("net", "eth0", "pci0000:00/0000:00:03.0/net/eth0");
    env.write(
        "/kmod-doctor-snapshot/links.tsv",
        "netns\tnet:[1]\nlink\t1\tlo\t\t\t\nlink\t2\teth0\t\t\t\n\
         qdisc\t2\tclsact\tffff:\nqdisc\t2\tingress\tffff:\nqdisc\t2\tfq\t8001:\n",
    );
    env.write("/proc/sys/net/core/default_qdisc", "fq\n");
    let c = check1(&env, "sch_ingress");
    let v = &c.json;
    assert_eq!(v["module_info"]["unexplained_refs"], 0, "{}", c.why());
    let cmds = c.commands();
    assert!(
        cmds.contains(&"tc qdisc del dev eth0 clsact".to_string()),
        "{cmds:?}"
    );
    assert!(
        cmds.contains(&"tc qdisc del dev eth0 ingress".to_string()),
        "{cmds:?}"
    );
    let f = check1(&env, "sch_fq");
    let v = &f.json;
    assert_eq!(v["module_info"]["unexplained_refs"], 0, "{}", f.why());
    let cmds = f.commands();
    assert!(
        cmds.contains(&"tc qdisc del dev eth0 root".to_string()),
        "{cmds:?}"
    );
    assert!(
        cmds.contains(&"sysctl -w net.core.default_qdisc=pfifo_fast".to_string()),
        "{cmds:?}"
    );
}

/// eth0 with a clsact qdisc: a u32 filter on ingress carrying a mirred
/// action (bound), a bpf filter on egress, and a standalone mirred action, as
/// `snapshot` records them from RTM_GETTFILTER and RTM_GETACTION.
fn tc_env(links_tail: &str) -> TestEnv {
    let mut env = TestEnv::new();
    for m in ["cls_u32", "cls_bpf", "act_mirred", "act_gact"] {
        env.dep(m, &[]);
    }
    env.loaded("cls_u32", 1, "-", "Live")
        .loaded("cls_bpf", 1, "-", "Live")
        .loaded("act_mirred", 2, "-", "Live")
        .loaded("act_gact", 0, "-", "Live");
    env.class_device("net", "eth0", "pci0000:00/0000:00:03.0/net/eth0");
    env.write(
        "/kmod-doctor-snapshot/links.tsv",
        &format!(
            "netns\tnet:[1]\nlink\t1\tlo\t\t\t\nlink\t2\teth0\t\t\t\n\
             qdisc\t2\tclsact\tffff:\n{links_tail}"
        ),
    );
    env
}

const TC_RECORDS: &str = "filter\t2\tffff:fff2\t0\t1\t0x0800\tu32\tmirred\n\
     filter\t2\tffff:fff3\t0\t3\t0x0003\tbpf\t\n\
     action\tmirred\t1\tyes\naction\tmirred\t7\tno\n";

#[test]
fn tc_classifiers_are_attributed_with_a_filter_delete_step() {
    let env = tc_env(TC_RECORDS);
    let c = check1(&env, "cls_u32");
    assert!(c.has("kernel-references"), "{}", c.why());
    assert_eq!(c.json["module_info"]["unexplained_refs"], 0, "{}", c.why());
    assert_eq!(c.json["users"]["attributed_refs"], 1);
    let cmds = c.commands();
    assert!(
        cmds.contains(&"tc filter del dev eth0 parent ffff:fff2 chain 0 prio 1".to_string()),
        "{cmds:?}"
    );
    // Not the bpf filter: another classifier's.
    assert!(!cmds.iter().any(|c| c.contains("prio 3")), "{cmds:?}");
    assert!(c.why().contains("u32 filter on eth0"), "{}", c.why());
    let b = check1(&env, "cls_bpf");
    assert_eq!(b.json["module_info"]["unexplained_refs"], 0, "{}", b.why());
    assert!(
        b.commands()
            .contains(&"tc filter del dev eth0 parent ffff:fff3 chain 0 prio 3".to_string()),
        "{:?}",
        b.commands()
    );
}

#[test]
fn tc_actions_bound_and_standalone_are_attributed_and_released() {
    let env = tc_env(TC_RECORDS);
    let c = check1(&env, "act_mirred");
    assert_eq!(c.json["module_info"]["unexplained_refs"], 0, "{}", c.why());
    assert_eq!(c.json["users"]["attributed_refs"], 2);
    let cmds = c.commands();
    // The bound one goes with its filter, the standalone one by a flush,
    // after the filter.
    let del = cmds
        .iter()
        .position(|c| c == "tc filter del dev eth0 parent ffff:fff2 chain 0 prio 1")
        .unwrap_or_else(|| panic!("{cmds:?}"));
    let flush = cmds
        .iter()
        .position(|c| c == "tc actions flush action mirred")
        .unwrap_or_else(|| panic!("{cmds:?}"));
    assert!(del < flush, "{cmds:?}");
    let why = c.why();
    assert!(why.contains("action mirred index 7 (standalone)"), "{why}");
}

#[test]
fn tc_stays_quiet_without_filters_or_actions_of_the_module() {
    let env = tc_env(TC_RECORDS);
    let g = check1(&env, "act_gact");
    assert!(!g.has("kernel-references"), "{}", g.why());
    assert!(
        !g.commands().iter().any(|c| c.starts_with("tc ")),
        "{:?}",
        g.commands()
    );
    // Nothing recorded: cls_u32's reference stays unexplained, and the
    // remainder still names the classifier dump as checked.
    let env = tc_env("");
    let c = check1(&env, "cls_u32");
    assert!(!c.has("kernel-references"), "{}", c.why());
    assert_eq!(c.json["module_info"]["unexplained_refs"], 1);
    assert!(
        c.why().contains("tc classifiers (netlink RTM_GETTFILTER)"),
        "{}",
        c.why()
    );
    // A failed dump is not claimed as checked.
    let env = tc_env("tcerror\tOperation not permitted\n");
    let c = check1(&env, "cls_u32");
    assert!(!c.why().contains("RTM_GETTFILTER"), "{}", c.why());
}

/// The live read for real: a clsact qdisc on `lo` of a fresh network
/// namespace with a u32 filter carrying a mirred action and a standalone
/// mirred action; `snapshot` records them. Skipped where the kernel lacks
/// clsact, u32 or mirred (or namespaces cannot be made).
#[test]
fn snapshot_records_tc_filters_and_actions_read_from_netlink() {
    let Some(tsv) = snapshot_in_new_netns(
        "ip link set lo up && tc qdisc add dev lo clsact \
         && tc filter add dev lo ingress prio 1 protocol ip u32 match ip dst 10.0.0.1/32 \
            action mirred egress redirect dev lo \
         && tc actions add action mirred egress mirror dev lo index 7",
        "lo",
        "links.tsv",
        "no clsact/u32/mirred in a new network namespace here",
    ) else {
        return;
    };
    let rows: Vec<&str> = tsv.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(
        rows.contains(&"filter\t1\tffff:fff2\t0\t1\t0x0800\tu32\tmirred"),
        "{tsv}"
    );
    assert!(rows.contains(&"action\tmirred\t1\tyes"), "{tsv}");
    assert!(rows.contains(&"action\tmirred\t7\tno"), "{tsv}");
    assert!(!rows.iter().any(|r| r.starts_with("tcerror")), "{tsv}");
}

#[test]
fn a_mounted_binfmt_misc_is_attributed_with_its_umount() {
    let mut env = TestEnv::new();
    env.dep("binfmt_misc", &[])
        .loaded("binfmt_misc", 1, "-", "Live")
        .alias("fs-binfmt_misc", "binfmt_misc");
    env.write(
        "/proc/self/mountinfo",
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n\
         40 25 0:45 / /proc/sys/fs/binfmt_misc rw,nosuid,nodev,noexec,relatime - binfmt_misc binfmt_misc rw\n",
    );
    let c = check1(&env, "binfmt_misc");
    assert_eq!(c.json["module_info"]["unexplained_refs"], 0, "{}", c.why());
    assert_eq!(c.list("/users/mounts"), vec!["/proc/sys/fs/binfmt_misc"]);
    assert!(
        c.commands()
            .contains(&"umount -- /proc/sys/fs/binfmt_misc".to_string()),
        "{:?}",
        c.commands()
    );
    assert!(c.why().contains("/proc/self/mountinfo:2"), "{}", c.why());
    // Not mounted: its reference stays unexplained.
    env.write(
        "/proc/self/mountinfo",
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n",
    );
    let c = check1(&env, "binfmt_misc");
    assert!(c.list("/users/mounts").is_empty(), "{}", c.why());
    assert_eq!(c.json["module_info"]["unexplained_refs"], 1);
}

#[test]
fn nls_tables_of_a_vfat_mount_are_attributed() {
    let mut env = TestEnv::new();
    env.dep("nls_cp437", &[])
        .loaded("nls_cp437", 1, "-", "Live");
    env.dep("nls_ascii", &[])
        .loaded("nls_ascii", 1, "-", "Live");
    env.dep("nls_utf8", &[]).idle("nls_utf8");
    env.append(
        "/proc/self/mountinfo",
        "27 22 254:16 / /boot/efi rw,relatime - vfat /dev/vdb rw,fmask=0022,dmask=0022,codepage=437,iocharset=ascii,shortname=mixed,utf8,errors=remount-ro",
    );
    for m in ["nls_cp437", "nls_ascii"] {
        let c = check1(&env, m);
        assert!(c.has("kernel-references"), "{m}: {}", c.why());
        assert!(!c.has("unexplained-refs"), "{m}: {}", c.why());
        assert!(
            c.commands().contains(&"umount -- /boot/efi".to_string()),
            "{m}: {:?}",
            c.commands()
        );
    }
    let u = check1(&env, "nls_utf8");
    assert!(!u.has("kernel-references"), "{}", u.why());
}

#[test]
fn crypto_users_are_inferred_from_refcnt() {
    let mut env = TestEnv::new();
    env.dep("aesni_intel", &[])
        .loaded("aesni_intel", 3, "-", "Live");
    env.write(
        "/proc/crypto",
        "name         : xts(aes)\ndriver       : xts-aes-aesni\nmodule       : aesni_intel\nrefcnt       : 3\n\n\
         name         : aes\ndriver       : aes-aesni\nmodule       : aesni_intel\nrefcnt       : 2\n\n\
         name         : sha256\ndriver       : sha256-generic\nmodule       : kernel\nrefcnt       : 9\n",
    );
    let c = check1(&env, "aesni_intel");
    let v = &c.json;
    assert_eq!(v["users"]["attributed_refs"], 3, "{}", c.why());
    assert_eq!(v["module_info"]["unexplained_refs"], 0);
    assert!(c.why().contains("inferred"), "{}", c.why());
}

/// Filters on a class of a classful qdisc are read too (RTM_GETTCLASS, then
/// RTM_GETTFILTER on each class). Skipped where htb or u32 is missing.
#[test]
fn snapshot_records_filters_on_classes() {
    let Some(tsv) = snapshot_in_new_netns(
        "ip link set lo up && tc qdisc add dev lo root handle 1: htb default 10 \
         && tc class add dev lo parent 1: classid 1:10 htb rate 1mbit \
         && tc filter add dev lo parent 1:10 prio 4 protocol ip u32 match ip dst 10.0.0.3/32 flowid 1:10",
        "lo",
        "links.tsv",
        "no htb/u32 in a new network namespace here",
    ) else {
        return;
    };
    assert!(
        tsv.lines()
            .any(|l| l == "filter\t1\t1:10\t0\t4\t0x0800\tu32\t"),
        "{tsv}"
    );
}

// ---------------------------------------------------------- netfilter

/// nf_tables modules as a Debian kernel builds them, with the kernel's own
/// aliases, and an nftables.tsv as `snapshot` records it: an inet filter
/// chain with a ct rule, an ip nat chain with masquerade, and iptables-nft's
/// conntrack match and MASQUERADE target.
fn nft_env(tsv: &str) -> TestEnv {
    let mut env = TestEnv::new();
    for m in [
        "nft_ct",
        "nft_masq",
        "nft_chain_nat",
        "nft_compat",
        "xt_conntrack",
        "xt_MASQUERADE",
        "nft_log",
    ] {
        env.dep(m, &[]);
    }
    env.alias("nft-expr-ct", "nft_ct")
        .alias("nft-expr-masq", "nft_masq")
        .alias("nft-chain-2-nat", "nft_chain_nat")
        .alias("nft-chain-10-nat", "nft_chain_nat")
        .alias("nft-expr-match", "nft_compat")
        .alias("nft-expr-target", "nft_compat")
        .alias("ipt_conntrack", "xt_conntrack")
        .alias("ip6t_conntrack", "xt_conntrack")
        .alias("nft-expr-log", "nft_log");
    env.loaded("nft_ct", 1, "-", "Live")
        .loaded("nft_masq", 1, "-", "Live")
        .loaded("nft_chain_nat", 2, "-", "Live")
        .loaded("nft_compat", 3, "-", "Live")
        .loaded("xt_conntrack", 1, "-", "Live")
        .loaded("xt_MASQUERADE", 1, "-", "Live")
        .loaded("nft_log", 0, "-", "Live");
    env.write("/kmod-doctor-snapshot/nftables.tsv", tsv);
    env
}

const NFT_RULESET: &str = "table\t1\tt\ntable\t2\tn\ntable\t2\tnat\n\
    chain\t1\tt\tc\tfilter\nchain\t2\tn\tpost\tnat\nchain\t2\tnat\tPOSTROUTING\tnat\n\
    rule\t1\tt\tc\t2\tct,bitwise,cmp,counter,immediate\n\
    rule\t2\tn\tpost\t2\tmasq\n\
    rule\t2\tnat\tPOSTROUTING\t3\tmatch:conntrack,counter,target:MASQUERADE\n";

#[test]
fn nft_expressions_are_attributed_through_their_aliases() {
    let env = nft_env(NFT_RULESET);
    let c = check1(&env, "nft_ct");
    assert!(c.has("netfilter-references"), "{}", c.why());
    assert_eq!(c.json["module_info"]["unexplained_refs"], 0, "{}", c.why());
    assert!(
        c.commands()
            .contains(&"nft delete rule inet t c handle 2".to_string()),
        "{:?}",
        c.commands()
    );
    assert!(
        c.why().contains("expression ct of inet t c rule handle 2"),
        "{}",
        c.why()
    );
    let m = check1(&env, "nft_masq");
    assert_eq!(m.json["module_info"]["unexplained_refs"], 0, "{}", m.why());
    assert!(
        m.commands()
            .contains(&"nft delete rule ip n post handle 2".to_string())
    );
}

#[test]
fn nft_base_chains_hold_their_chain_type() {
    let env = nft_env(NFT_RULESET);
    let c = check1(&env, "nft_chain_nat");
    assert_eq!(c.json["module_info"]["unexplained_refs"], 0, "{}", c.why());
    assert_eq!(c.json["users"]["attributed_refs"], 2);
    let cmds = c.commands();
    assert!(
        cmds.contains(&"nft delete chain ip n post".to_string()),
        "{cmds:?}"
    );
    assert!(
        cmds.contains(&"nft delete chain ip nat POSTROUTING".to_string()),
        "{cmds:?}"
    );
    // Its chains hold no reference on the filter chain's module.
    assert!(!cmds.iter().any(|c| c.contains(" t c")), "{cmds:?}");
}

#[test]
fn iptables_nft_matches_hold_nft_compat_and_the_xt_module() {
    let env = nft_env(NFT_RULESET);
    let c = check1(&env, "nft_compat");
    // One match and one target expression; the third reference is not
    // explained by anything recorded.
    assert_eq!(c.json["users"]["attributed_refs"], 2, "{}", c.why());
    assert_eq!(c.json["module_info"]["unexplained_refs"], 1);
    let why = c.why();
    assert!(why.contains("nf_tables rules and chains"), "{why}");
    // Found through the ipt_ alias, and through the module's own name.
    for m in ["xt_conntrack", "xt_MASQUERADE"] {
        let x = check1(&env, m);
        assert_eq!(
            x.json["module_info"]["unexplained_refs"],
            0,
            "{m}: {}",
            x.why()
        );
        assert!(
            x.commands()
                .contains(&"nft delete rule ip nat POSTROUTING handle 3".to_string()),
            "{m}: {:?}",
            x.commands()
        );
    }
}

#[test]
fn netfilter_stays_quiet_for_modules_no_rule_uses() {
    let env = nft_env(NFT_RULESET);
    let l = check1(&env, "nft_log");
    assert!(!l.has("netfilter-references"), "{}", l.why());
    assert!(!l.commands().iter().any(|c| c.starts_with("nft ")));
    // A failed dump attributes nothing and is not named as checked.
    let env = nft_env("error\tOperation not permitted\n");
    let c = check1(&env, "nft_ct");
    assert!(!c.has("netfilter-references"), "{}", c.why());
    assert_eq!(c.json["module_info"]["unexplained_refs"], 1);
    assert!(
        !c.why().contains("nf_tables rules and chains"),
        "{}",
        c.why()
    );
}

#[test]
fn legacy_iptables_tables_are_inferred() {
    let mut env = TestEnv::new();
    env.dep("iptable_filter", &[]).dep("iptable_nat", &[]);
    env.loaded("iptable_filter", 1, "-", "Live")
        .loaded("iptable_nat", 0, "-", "Live");
    env.write("/proc/net/ip_tables_names", "nat\nfilter\n");
    let c = check1(&env, "iptable_filter");
    assert!(c.has("netfilter-references"), "{}", c.why());
    assert_eq!(c.json["module_info"]["unexplained_refs"], 0, "{}", c.why());
    assert!(c.why().contains("inferred"), "{}", c.why());
    assert!(
        c.commands().contains(&"iptables -t filter -F".to_string()),
        "{:?}",
        c.commands()
    );
    // No reference held: nothing is claimed for it.
    let n = check1(&env, "iptable_nat");
    assert!(!n.has("netfilter-references"), "{}", n.why());
}

/// The live read for real: an inet filter chain with a ct rule in a fresh
/// network namespace, recorded by `snapshot`. Skipped where nft or
/// namespaces are missing.
#[test]
fn snapshot_records_nftables_read_from_netlink() {
    let Some(tsv) = snapshot_in_new_netns(
        "nft add table inet kd && nft add chain inet kd c '{ type filter hook input priority 0; }' \
         && nft add rule inet kd c ct state established accept",
        "lo",
        "nftables.tsv",
        "no nft in a new network namespace here",
    ) else {
        return;
    };
    let rows: Vec<&str> = tsv.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(rows.contains(&"table\t1\tkd"), "{tsv}");
    assert!(rows.contains(&"chain\t1\tkd\tc\tfilter"), "{tsv}");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("rule\t1\tkd\tc\t") && r.ends_with("\tct,bitwise,cmp,immediate")),
        "{tsv}"
    );
}

// ------------------------------------------- filesystems by their source

/// virtio_blk loaded (one reference per open disk) with disks `names`
/// (major 254, minor 16·i) on virtio devices, as sysfs links them.
pub fn disks_env(names: &[&str], refcnt: i64) -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("virtio_blk", &[])
        .dep("btrfs", &[])
        .dep("overlay", &[]);
    env.loaded("virtio_blk", refcnt, "-", "Live");
    env.loaded("btrfs", 1, "-", "Live")
        .alias("fs-btrfs", "btrfs");
    env.write(
        "/proc/devices",
        "Character devices:\n  1 mem\n\nBlock devices:\n254 virtblk\n",
    );
    for (i, n) in names.iter().enumerate() {
        let dev = format!("virtio{}", i + 3);
        env.bound_device(
            "virtio_blk",
            "virtio",
            "virtio_blk",
            &format!("pci0000:00/0000:00:0{}.0", i + 5),
            &dev,
        );
        let dir = format!("pci0000:00/0000:00:0{}.0/{dev}/block/{n}", i + 5);
        env.class_device("block", n, &dir);
        let num = format!("254:{}", 16 * i);
        env.write(&format!("/sys/devices/{dir}/dev"), &format!("{num}\n"));
        env.symlink(
            &format!("/sys/dev/block/{num}"),
            &format!("../../devices/{dir}"),
        );
    }
    env
}

/// A virtual block device `dev` (a dm device when `dm_name` is given, an md
/// array otherwise) with number `num`, stacked on `lower` (a name under
/// /sys/class/block): `holders/` of the lower, `slaves/` of the upper.
pub fn stack_on(env: &TestEnv, lower: &str, dev: &str, dm_name: Option<&str>, num: &str) {
    let dir = format!("/sys/devices/virtual/block/{dev}");
    if std::fs::symlink_metadata(env.path().join(format!("sys/class/block/{dev}"))).is_err() {
        env.class_device("block", dev, &format!("virtual/block/{dev}"));
        env.write(&format!("{dir}/dev"), &format!("{num}\n"));
        env.symlink(
            &format!("/sys/dev/block/{num}"),
            &format!("../../devices/virtual/block/{dev}"),
        );
        if let Some(n) = dm_name {
            env.write(&format!("{dir}/dm/name"), &format!("{n}\n"));
        }
    }
    env.symlink(
        &format!("/sys/class/block/{lower}/holders/{dev}"),
        &format!("../../{dev}"),
    );
    env.symlink(
        &format!("{dir}/slaves/{lower}"),
        &format!("../../../../../class/block/{lower}"),
    );
}

#[test]
fn devices_stacked_on_the_drivers_disk_are_attributed_topmost_first() {
    let env = disks_env(&["vda", "vdb"], 2);
    env.write(
        "/proc/self/mountinfo",
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n",
    );
    // vdb holds dm-0 (cr-data) and md0; dm-1 (vg-lv) is on dm-0.
    stack_on(&env, "vdb", "dm-0", Some("cr-data"), "253:0");
    stack_on(&env, "vdb", "md0", None, "9:0");
    stack_on(&env, "dm-0", "dm-1", Some("vg-lv"), "253:1");
    let c = check1(&env, "virtio_blk");
    assert!(c.has("stacked-devices"), "{}", c.why());
    // The kernel refuses the removal while they hold vdb open.
    assert_eq!(c.verdict(), "blocked", "{}", c.why());
    // Two holders opened vdb: both references explained.
    assert_eq!(c.json["module_info"]["unexplained_refs"], 0, "{}", c.why());
    assert_eq!(c.json["users"]["attributed_refs"], 2);
    let cmds = c.commands();
    let at = |x: &str| {
        cmds.iter()
            .position(|c| c == x)
            .unwrap_or_else(|| panic!("{x}: {cmds:?}"))
    };
    assert!(
        at("dmsetup remove vg-lv") < at("dmsetup remove cr-data"),
        "{cmds:?}"
    );
    at("mdadm --stop /dev/md0");
    assert!(
        c.why().contains("/sys/class/block/vdb/holders/dm-0"),
        "{}",
        c.why()
    );
}

#[test]
fn a_critical_root_stacked_on_the_drivers_disk_is_danger() {
    let env = disks_env(&["vda"], 1);
    stack_on(&env, "vda", "dm-0", Some("vg-root"), "253:0");
    env.write(
        "/proc/self/mountinfo",
        "22 1 253:0 / / rw - ext4 /dev/mapper/vg-root rw\n",
    );
    let c = check1(&env, "virtio_blk");
    assert!(c.has("stacked-devices"), "{}", c.why());
    // / on it is a danger finding, under the blocked verdict the open
    // reference gives.
    assert_eq!(c.finding("critical-mounts")["verdict"], "danger");
    assert_eq!(c.list("/users/critical_mounts"), vec!["/"]);
    assert_eq!(c.verdict(), "blocked", "{}", c.why());
}

#[test]
fn devices_stacked_on_another_drivers_disk_are_not_this_drivers() {
    let env = disks_env(&["vda"], 0);
    env.write(
        "/proc/self/mountinfo",
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n",
    );
    env.class_device("block", "sda", "pci0000:00/0000:00:09.0/host0/block/sda");
    env.write(
        "/sys/devices/pci0000:00/0000:00:09.0/host0/block/sda/dev",
        "8:0\n",
    );
    stack_on(&env, "sda", "dm-0", Some("other"), "253:0");
    let c = check1(&env, "virtio_blk");
    assert!(!c.has("stacked-devices"), "{}", c.why());
    assert!(
        !c.commands().iter().any(|x| x.starts_with("dmsetup")),
        "{:?}",
        c.commands()
    );
}

#[test]
fn btrfs_root_on_the_checked_disk_driver_is_critical() {
    let env = disks_env(&["vda", "vdb"], 2);
    // / is btrfs on vda+vdb: mountinfo shows the anonymous 0:27.
    env.write(
        "/proc/self/mountinfo",
        "22 1 0:27 /@ / rw,relatime shared:1 - btrfs /dev/vda rw,space_cache=v2,subvolid=256,subvol=/@\n",
    );
    for d in ["vda", "vdb"] {
        env.symlink(
            &format!("/sys/fs/btrfs/0f1e-uuid/devices/{d}"),
            &format!(
                "../../../../devices/pci0000:00/0000:00:0{}.0/virtio{}/block/{d}",
                if d == "vda" { 5 } else { 6 },
                if d == "vda" { 3 } else { 4 }
            ),
        );
    }
    env.mkdir("/sys/fs/btrfs/features");
    let c = check1(&env, "virtio_blk");
    assert!(c.has("critical-mounts"), "{}", c.why());
    assert_eq!(c.list("/users/critical_mounts"), vec!["/"]);
    // Both member devices hold a reference: nothing unexplained.
    assert_eq!(c.json["module_info"]["unexplained_refs"], 0, "{}", c.why());
    assert!(
        c.why().contains("/sys/fs/btrfs/0f1e-uuid/devices/vdb"),
        "{}",
        c.why()
    );
}

#[test]
fn btrfs_on_another_driver_disk_is_not_this_drivers() {
    let env = disks_env(&["vda"], 0);
    env.write(
        "/proc/self/mountinfo",
        "22 1 254:0 / / rw - ext4 /dev/vda rw\n30 22 0:27 / /data rw - btrfs /dev/sdb rw\n",
    );
    env.mkdir("/sys/fs/btrfs/aa-uuid/devices/sdb");
    let c = check1(&env, "virtio_blk");
    assert_eq!(c.list("/users/mounts"), vec!["/"]);
}

#[test]
fn overlay_on_a_lost_filesystem_goes_too() {
    let env = disks_env(&["vda", "vdb"], 1);
    env.write(
        "/proc/self/mountinfo",
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n\
         30 22 254:16 / /srv rw - ext4 /dev/vdb rw\n\
         31 22 0:40 / /var/lib/app/merged rw - overlay overlay rw,lowerdir=/srv/lower,upperdir=/srv/upper,workdir=/srv/work\n\
         32 22 0:41 / /other rw - overlay overlay rw,lowerdir=/opt/lower,upperdir=/opt/upper,workdir=/opt/work\n",
    );
    let c = check1(&env, "virtio_blk");
    assert_eq!(
        c.list("/users/mounts"),
        vec!["/var/lib/app/merged", "/srv"],
        "{}",
        c.why()
    );
    // Deepest first: the overlay is unmounted before /srv.
    let cmds = c.commands();
    let a = cmds
        .iter()
        .position(|x| x == "umount -- /var/lib/app/merged");
    let b = cmds.iter().position(|x| x == "umount -- /srv");
    assert!(a.is_some() && b.is_some() && a < b, "{cmds:?}");
}

#[test]
fn swap_file_on_the_drivers_disk_is_active_swap() {
    let env = disks_env(&["vda", "vdb"], 1);
    env.write(
        "/proc/self/mountinfo",
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n30 22 254:16 / /srv rw - ext4 /dev/vdb rw\n",
    );
    env.append(
        "/proc/swaps",
        "/srv/swapfile                           file\t1048572\t\t0\t\t-2",
    );
    let c = check1(&env, "virtio_blk");
    assert!(c.has("active-swap"), "{}", c.why());
    assert!(
        c.commands()
            .contains(&"swapoff -- /srv/swapfile".to_string())
    );
    assert!(
        c.why().contains("swap file /srv/swapfile lives on /srv"),
        "{}",
        c.why()
    );
    // A swap file on another disk is not this driver's.
    let env = disks_env(&["vda"], 0);
    env.append(
        "/proc/swaps",
        "/swapfile                               file\t1048572\t\t0\t\t-2",
    );
    env.write(
        "/proc/self/mountinfo",
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n",
    );
    let c = check1(&env, "virtio_blk");
    assert!(!c.has("active-swap"), "{}", c.why());
}

#[test]
fn mapper_name_leads_to_the_disk_beneath() {
    let env = disks_env(&["vda"], 1);
    // /dev/mapper/vg-data is dm-0 on vda; mountinfo shows 0:50 (a bind of it, say).
    env.write("/sys/block/dm-0/dm/name", "vg-data\n");
    env.write("/sys/class/block/dm-0/dev", "253:0\n");
    env.mkdir("/sys/devices/virtual/block/dm-0/slaves");
    env.symlink("/sys/dev/block/253:0", "../../devices/virtual/block/dm-0");
    env.symlink(
        "/sys/devices/virtual/block/dm-0/slaves/vda",
        "../../../../pci0000:00/0000:00:05.0/virtio3/block/vda",
    );
    env.write(
        "/proc/self/mountinfo",
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n30 22 0:50 / /data rw - xfs /dev/mapper/vg-data rw\n",
    );
    let c = check1(&env, "virtio_blk");
    assert_eq!(c.list("/users/mounts"), vec!["/data"], "{}", c.why());
}

#[test]
fn ninep_transport_of_a_mount_is_attributed() {
    let mut env = TestEnv::new();
    env.dep("9pnet_virtio", &[])
        .loaded("9pnet_virtio", 1, "-", "Live");
    env.dep("9pnet_rdma", &[]).idle("9pnet_rdma");
    env.append(
        "/proc/self/mountinfo",
        "40 22 0:60 / /mnt/host rw - 9p hostshare rw,access=client,trans=virtio",
    );
    let c = check1(&env, "9pnet_virtio");
    assert!(c.has("kernel-references"), "{}", c.why());
    assert_eq!(c.json["module_info"]["unexplained_refs"], 0, "{}", c.why());
    assert!(c.commands().contains(&"umount -- /mnt/host".to_string()));
    let r = check1(&env, "9pnet_rdma");
    assert_eq!(r.verdict(), "safe", "{}", r.why());
}

// --------------------------- library modules owning their holders' devices

#[test]
fn a_mounted_nvme_namespace_pins_nvme_core_inferred() {
    let mut env = TestEnv::new();
    env.dep("nvme_core", &[]).dep("nvme", &["nvme_core"]);
    env.loaded("nvme", 0, "-", "Live")
        .loaded("nvme_core", 2, "nvme,", "Live");
    env.bound_device("nvme", "pci", "nvme", "pci0000:00", "0000:01:00.0");
    let dir = "pci0000:00/0000:01:00.0/nvme/nvme0/nvme0n1";
    env.class_device("block", "nvme0n1", dir);
    env.write(&format!("/sys/devices/{dir}/dev"), "259:0\n");
    env.symlink("/sys/dev/block/259:0", &format!("../../devices/{dir}"));
    env.append(
        "/proc/self/mountinfo",
        "40 22 259:0 / /var/lib/data rw - ext4 /dev/nvme0n1 rw",
    );
    let core = check1(&env, "nvme_core");
    assert_eq!(
        core.list("/users/mounts"),
        vec!["/var/lib/data"],
        "{}",
        core.why()
    );
    assert_eq!(
        core.json["module_info"]["unexplained_refs"],
        0,
        "{}",
        core.why()
    );
    assert!(
        core.why().contains("inferred: nvme's devices"),
        "{}",
        core.why()
    );
    // nvme loses the disk too, but holds no reference for it.
    let nvme = check1(&env, "nvme");
    assert_eq!(nvme.list("/users/mounts"), vec!["/var/lib/data"]);
    assert!(nvme.has("mounted-filesystems"), "{}", nvme.why());
    assert_eq!(nvme.json["users"]["attributed_refs"], 0, "{}", nvme.why());
}

/// dummy loaded with insmod from outside the module tree: no index has its
/// rtnl-link-dummy alias, yet the kernel deletes dummy0 with it. The kind is
/// tied to the loaded module of that name, so it is caution, never safe.
#[test]
fn link_kind_without_alias_is_tied_to_the_loaded_module_of_that_name() {
    let mut env = TestEnv::new();
    env.dep("veth", &[]).idle("veth").idle("dummy");
    env.virtual_iface("dummy0", true);
    env.write(
        "/kmod-doctor-snapshot/links.tsv",
        &format!("{LINKS_HEAD}link\t3\tdummy0\tdummy\t\t\n"),
    );
    let c = check1(&env, "dummy");
    assert_eq!(c.verdict(), "caution", "{}", c.why());
    assert_eq!(c.list("/users/interfaces"), vec!["dummy0"]);
    assert!(c.why().contains("no rtnl-link-dummy alias"), "{}", c.why());
    assert!(
        c.commands().contains(&"rmmod dummy".to_string()),
        "{:?}",
        c.commands()
    );
    // A kind nothing is loaded for stays unowned.
    let v = check1(&env, "veth");
    assert!(!v.has("interfaces-vanish"), "{}", v.why());
}
