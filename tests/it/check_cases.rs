//! `kmod-doctor check` on fixture roots: one test per situation a sysadmin
//! meets, asserting the verdict, the exit code and the rules that fired.

use crate::common::*;

fn assert_case(c: &Checked, verdict: &str, code: i32, must_fire: &[&str], must_not_fire: &[&str]) {
    assert_eq!(c.verdict(), verdict, "{}", c.why());
    assert_eq!(c.code(), code, "{}", c.why());
    for r in must_fire {
        assert!(
            c.has(r),
            "rule {r} should fire; fired {:?}\n{}",
            c.fired(),
            c.why()
        );
    }
    for r in must_not_fire {
        assert!(
            !c.has(r),
            "rule {r} must not fire; fired {:?}\n{}",
            c.fired(),
            c.why()
        );
    }
}

// -------------------------------------------------------------------- safe

#[test]
fn idle_loaded_module_is_safe() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    let c = check1(&env, "dummy");
    assert_case(
        &c,
        "safe",
        0,
        &["idle"],
        &["in-use", "held-by-modules", "force-is-not-a-fix"],
    );
    assert!(
        c.json["unchecked"].as_array().unwrap().is_empty(),
        "{}",
        c.why()
    );
    assert_eq!(
        c.commands(),
        vec![
            "modprobe --dry-run --verbose --remove dummy",
            "modprobe --remove dummy"
        ],
        "{}",
        c.why()
    );
    assert_eq!(c.json["module"], "dummy");
    assert!(c.json["resolved_from"].is_null());
    assert_eq!(c.json["module_info"]["loaded"], true);
    assert_eq!(c.json["module_info"]["refcount"], 0);
    assert_eq!(c.json["module_info"]["state"], "live");
    assert_eq!(c.json["kernel"]["release"], RELEASE);
    assert_eq!(
        c.json["kernel"]["config_source"],
        format!("/boot/config-{RELEASE}")
    );
}

// ----------------------------------------------------------------- blocked

#[test]
fn held_by_holders_is_blocked_holders_first() {
    let env = bridge_env();
    let c = check1(&env, "bridge");
    assert_case(
        &c,
        "blocked",
        14,
        &["held-by-modules", "force-is-not-a-fix"],
        &["idle", "in-use"],
    );
    assert_eq!(c.list("/module_info/holders"), vec!["br_netfilter"]);
    assert_eq!(c.list("/module_info/removal_order"), vec!["br_netfilter"]);
    assert_eq!(
        c.commands(),
        vec![
            // br_netfilter's removal takes bridge too (and stp, llc): the
            // plan needs no preview or removal of bridge after it.
            "modprobe --remove br_netfilter",
        ],
        "{}",
        c.why()
    );
}

#[test]
fn holders_are_removed_deepest_first() {
    let env = bridge_env();
    let c = check1(&env, "llc");
    assert_case(&c, "blocked", 14, &["held-by-modules"], &["idle"]);
    assert_eq!(c.list("/module_info/holders"), vec!["bridge", "stp"]);
    // br_netfilter holds bridge, bridge holds stp: each goes before what it holds.
    assert_eq!(
        c.list("/module_info/removal_order"),
        vec!["br_netfilter", "bridge", "stp"]
    );
    // The plan is the removal order, but `modprobe --remove br_netfilter`
    // already takes bridge, stp and llc (their counts reach 0 in turn), so
    // the steps for bridge and stp are folded into it.
    let cmds = c.commands();
    assert_eq!(cmds[0], "modprobe --remove br_netfilter", "{}", c.why());
    let first = &c.json["next_steps"][0]["removes"];
    assert_eq!(
        first,
        &serde_json::json!(["br_netfilter", "bridge", "stp", "llc"]),
        "{}",
        c.why()
    );
    assert!(!cmds.contains(&"modprobe --remove bridge".to_string()));
    // ... and llc itself: nothing more to remove after it.
    assert!(
        !cmds.contains(&"modprobe --remove llc".to_string()),
        "{cmds:?}"
    );
    assert!(
        !cmds
            .iter()
            .any(|c| c.contains(" -f") || c.contains("--force")),
        "{cmds:?}"
    );
}

#[test]
fn refcount_without_holders_is_in_use() {
    let mut env = TestEnv::new();
    env.dep("loop", &[]).loaded("loop", 2, "-", "Live");
    let c = check1(&env, "loop");
    assert_case(
        &c,
        "blocked",
        14,
        &["in-use", "force-is-not-a-fix"],
        &["held-by-modules", "idle"],
    );
    assert_eq!(c.json["module_info"]["unexplained_refs"], 2);
    assert!(c.list("/module_info/holders").is_empty());
}

#[test]
fn permanent_is_blocked_and_not_a_holder() {
    let mut env = TestEnv::new();
    env.dep("ext4", &[])
        .loaded("ext4", 0, "[permanent],", "Live");
    let c = check1(&env, "ext4");
    assert_case(
        &c,
        "blocked",
        14,
        &["permanent", "force-is-not-a-fix"],
        &["held-by-modules", "in-use", "idle"],
    );
    assert_eq!(c.json["module_info"]["permanent"], true);
    let holders = c.list("/module_info/holders");
    assert!(
        holders.is_empty(),
        "[permanent] read as a holder: {holders:?}"
    );
    assert!(c.list("/module_info/removal_order").is_empty());
    assert!(
        !c.out.stdout.contains("--remove [permanent]"),
        "{}",
        c.why()
    );
}

#[test]
fn permanent_with_real_holders_lists_only_the_holders() {
    let mut env = TestEnv::new();
    env.dep("ext4", &[]).dep("foo", &["ext4"]);
    env.idle("foo")
        .loaded("ext4", 1, "foo,[permanent],", "Live");
    let c = check1(&env, "ext4");
    assert_case(
        &c,
        "blocked",
        14,
        &["permanent", "held-by-modules"],
        &["in-use", "idle"],
    );
    assert_eq!(c.list("/module_info/holders"), vec!["foo"]);
    assert_eq!(c.list("/module_info/removal_order"), vec!["foo"]);
}

#[test]
fn loading_module_is_not_live() {
    let mut env = TestEnv::new();
    env.dep("slow", &[]).loaded("slow", 0, "-", "Loading");
    let c = check1(&env, "slow");
    assert_case(&c, "blocked", 14, &["not-live"], &["idle"]);
    assert_eq!(c.json["module_info"]["state"], "loading");
    assert!(
        c.commands().contains(&"dmesg --level=err,warn".to_string()),
        "{}",
        c.why()
    );
}

#[test]
fn unloading_module_is_not_live() {
    let mut env = TestEnv::new();
    env.dep("slow", &[]).loaded("slow", 0, "-", "Unloading");
    let c = check1(&env, "slow");
    assert_case(&c, "blocked", 14, &["not-live"], &["idle"]);
    assert_eq!(c.json["module_info"]["state"], "unloading");
}

#[test]
fn unload_compiled_out_is_inferred_from_proc_modules() {
    let mut env = TestEnv::new();
    env.dep("loop", &[])
        .proc_line("loop 32768 - - Live 0xffffffffc0401000");
    env.mkdir("/sys/module/loop")
        .write("/sys/module/loop/initstate", "live\n");
    env.no_config();
    let c = check1(&env, "loop");
    assert_case(
        &c,
        "blocked",
        14,
        &["unload-compiled-out", "no-kernel-config"],
        &["idle"],
    );
    assert_eq!(c.json["kernel"]["unload_supported"], false, "{}", c.why());
    assert!(c.json["kernel"]["config_source"].is_null());
    assert!(c.json["kernel"]["force_unload_supported"].is_null());
    let paths = c.evidence_paths("unload-compiled-out");
    assert!(
        paths.iter().any(|p| p == "/proc/modules:1"),
        "evidence should quote /proc/modules: {paths:?}"
    );
}

#[test]
fn unload_compiled_out_from_config() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.write(
        &format!("/boot/config-{RELEASE}"),
        "CONFIG_MODULES=y\n# CONFIG_MODULE_UNLOAD is not set\n",
    );
    let c = check1(&env, "dummy");
    assert_case(
        &c,
        "blocked",
        14,
        &["unload-compiled-out"],
        &["idle", "no-kernel-config"],
    );
    assert_eq!(c.json["kernel"]["unload_supported"], false);
    assert_eq!(c.json["kernel"]["force_unload_supported"], false);
}

#[test]
fn modules_disabled_blocks() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.write("/proc/sys/kernel/modules_disabled", "1\n");
    let c = check1(&env, "dummy");
    assert_case(&c, "blocked", 14, &["modules-disabled"], &["idle"]);
    assert_eq!(c.json["kernel"]["modules_disabled"], true);
}

// -------------------------------------------------------- classification

#[test]
fn builtin_via_modules_builtin() {
    let mut env = TestEnv::new();
    env.builtin("unix");
    let c = check1(&env, "unix");
    assert_case(
        &c,
        "builtin",
        15,
        &["builtin"],
        &["not-found", "not-loaded", "idle"],
    );
    assert_eq!(c.json["module_info"]["builtin"], true);
    assert_eq!(c.json["module_info"]["loaded"], false);
    assert_eq!(c.commands(), vec!["modinfo unix"], "{}", c.why());
}

#[test]
fn builtin_via_sysfs_without_initstate() {
    let env = TestEnv::new();
    env.mkdir("/sys/module/printk/parameters")
        .write("/sys/module/printk/parameters/time", "Y\n");
    let c = check1(&env, "printk");
    assert_case(
        &c,
        "builtin",
        15,
        &["builtin"],
        &["not-found", "not-loaded", "idle"],
    );
    let paths = c.evidence_paths("builtin");
    assert!(
        paths.iter().any(|p| p == "/sys/module/printk"),
        "evidence should name /sys/module/printk: {paths:?}"
    );
}

#[test]
fn installed_but_not_loaded() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]);
    let c = check1(&env, "dummy");
    assert_case(
        &c,
        "not-loaded",
        10,
        &["not-loaded"],
        &["not-found", "builtin", "idle"],
    );
    assert_eq!(
        c.json["module_info"]["path"],
        "kernel/drivers/misc/dummy.ko"
    );
    assert!(
        c.commands().is_empty(),
        "nothing to run for a module that is not loaded: {:?}",
        c.commands()
    );
}

#[test]
fn not_found() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    let c = check1(&env, "nosuchmod");
    assert_case(
        &c,
        "not-found",
        16,
        &["not-found"],
        &["not-loaded", "builtin", "idle"],
    );
    assert_eq!(c.commands(), vec!["modprobe --show-depends nosuchmod"]);
}

// ------------------------------------------------------------- resolution

#[test]
fn dashed_name_resolves_to_underscores() {
    let mut env = TestEnv::new();
    env.dep("br_netfilter", &[]).idle("br_netfilter");
    let c = check1(&env, "br-netfilter");
    assert_case(
        &c,
        "safe",
        0,
        &["idle", "resolved-dashed"],
        &["resolved-alias", "not-found"],
    );
    assert_eq!(c.json["module"], "br_netfilter");
    assert_eq!(c.json["resolved_from"]["via"], "dashed");
    assert_eq!(c.json["resolved_from"]["query"], "br-netfilter");
    // Steps name the resolved module.
    assert_eq!(
        c.commands().last().unwrap(),
        "modprobe --remove br_netfilter"
    );
}

#[test]
fn alias_from_modules_alias() {
    let mut env = TestEnv::new();
    env.mkdir("/sys/devices");
    env.dep("vhost_net", &[]).idle("vhost_net");
    env.alias("devname:vhost-net", "vhost_net")
        .alias("char-major-10-238", "vhost_net");
    let c = check1(&env, "char-major-10-238");
    assert_case(
        &c,
        "safe",
        0,
        &["idle", "resolved-alias"],
        &["resolved-dashed", "not-found"],
    );
    assert_eq!(c.json["module"], "vhost_net");
    assert_eq!(c.json["resolved_from"]["via"], "alias");
    assert_eq!(c.json["resolved_from"]["query"], "char-major-10-238");
    // Line 1 is the header comment, then devname:, then char-major.
    assert_eq!(
        c.json["resolved_from"]["source"],
        format!("/lib/modules/{RELEASE}/modules.alias:3"),
        "{}",
        c.why()
    );
}

#[test]
fn alias_from_modprobe_d() {
    let mut env = TestEnv::new();
    env.dep("vhost_net", &[]).idle("vhost_net");
    env.modprobe_conf(
        "local.conf",
        "# site aliases\noptions loop max_loop=8\nalias my-vhost vhost_net\n",
    );
    let c = check1(&env, "my-vhost");
    assert_case(&c, "safe", 0, &["idle", "resolved-alias"], &["not-found"]);
    assert_eq!(c.json["module"], "vhost_net");
    assert_eq!(c.json["resolved_from"]["via"], "alias");
    assert_eq!(
        c.json["resolved_from"]["source"],
        "/etc/modprobe.d/local.conf:3",
        "{}",
        c.why()
    );
}

#[test]
fn alias_matching_several_modules_gives_one_report_each() {
    let mut env = TestEnv::new();
    env.mkdir("/sys/devices");
    env.dep("snd_a", &[]).dep("snd_b", &[]).idle("snd_a");
    env.alias("sound-card-*", "snd_a")
        .alias("sound-card-*", "snd_b");
    let c = check1(&env, "sound-card-0");
    let arr = c
        .json
        .as_array()
        .unwrap_or_else(|| panic!("expected an array: {}", c.why()));
    let names: Vec<&str> = arr.iter().map(|r| r["module"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["snd_a", "snd_b"]);
    assert_eq!(arr[0]["verdict"], "safe");
    assert_eq!(arr[1]["verdict"], "not-loaded");
    assert_eq!(c.code(), 10);
}

// ----------------------------------------------------------------- kernel

#[test]
fn no_kernel_config_anywhere() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.no_config();
    let c = check1(&env, "dummy");
    assert!(c.has("no-kernel-config"), "{}", c.why());
    assert!(c.json["kernel"]["config_source"].is_null(), "{}", c.why());
    assert!(
        c.json["kernel"]["force_unload_supported"].is_null(),
        "{}",
        c.why()
    );
    // Unloading is inferred from the /proc/modules format: refcount present.
    assert_eq!(c.json["kernel"]["unload_supported"], true, "{}", c.why());
    assert_case(
        &c,
        "safe",
        0,
        &["idle", "no-kernel-config"],
        &["unload-compiled-out"],
    );
}

#[test]
fn config_from_proc_config_gz() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.no_config();
    env.write_bytes(
        "/proc/config.gz",
        &gzip("#\n# Automatically generated file; DO NOT EDIT.\nCONFIG_MODULES=y\nCONFIG_MODULE_UNLOAD=y\n# CONFIG_MODULE_FORCE_UNLOAD is not set\n"),
    );
    let c = check1(&env, "dummy");
    assert_case(&c, "safe", 0, &["idle"], &["no-kernel-config"]);
    assert_eq!(c.json["kernel"]["config_source"], "/proc/config.gz");
    assert_eq!(c.json["kernel"]["unload_supported"], true);
    assert_eq!(c.json["kernel"]["force_unload_supported"], false);
}

#[test]
fn proc_config_gz_wins_over_boot_config() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.write_bytes(
        "/proc/config.gz",
        &gzip("CONFIG_MODULES=y\nCONFIG_MODULE_UNLOAD=y\n"),
    );
    let c = check1(&env, "dummy");
    assert_eq!(c.json["kernel"]["config_source"], "/proc/config.gz");
    // A config that does not mention CONFIG_MODULE_FORCE_UNLOAD may be
    // truncated: that is unknown, not "no" (the kernel writes an explicit
    // `# ... is not set` line for options that are off).
    assert_eq!(
        c.json["kernel"]["force_unload_supported"],
        serde_json::Value::Null
    );
}

#[test]
fn config_under_lib_modules() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.no_config();
    env.write(
        &format!("/lib/modules/{RELEASE}/config"),
        "CONFIG_MODULES=y\nCONFIG_MODULE_UNLOAD=y\n",
    );
    let c = check1(&env, "dummy");
    assert_eq!(
        c.json["kernel"]["config_source"],
        format!("/lib/modules/{RELEASE}/config")
    );
    assert!(!c.has("no-kernel-config"));
}

#[test]
fn kernel_tainted_letters() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.write("/proc/sys/kernel/tainted", "4097\n");
    let c = check1(&env, "dummy");
    assert_case(&c, "safe", 0, &["kernel-tainted", "idle"], &[]);
    assert_eq!(c.json["kernel"]["tainted"], 4097);
    assert_eq!(c.json["kernel"]["taint_flags"], "PO");
}

#[test]
fn module_taint_from_proc_modules() {
    let mut env = TestEnv::new();
    env.dep("nvidia", &[])
        .proc_line("nvidia 56000512 0 - Live 0x0000000000000000 (POE)");
    let c = check1(&env, "nvidia");
    assert_case(&c, "safe", 0, &["module-tainted", "idle"], &[]);
    assert_eq!(c.json["module_info"]["taint"], "POE");
}

#[test]
fn loading_marker_is_not_a_taint_letter() {
    let mut env = TestEnv::new();
    env.dep("vboxdrv", &[])
        .proc_line("vboxdrv 696320 0 - Unloading 0x0000000000000000 (OE-)");
    let c = check1(&env, "vboxdrv");
    assert_eq!(c.json["module_info"]["taint"], "OE");
    assert!(c.has("not-live"), "{}", c.why());
    let mut env = TestEnv::new();
    env.dep("x", &[]).proc_line("x 16384 0 - Loading 0x0 (+)");
    let c = check1(&env, "x");
    assert!(!c.has("module-tainted"), "{}", c.why());
}

// ---------------------------------------------------------------- caution

#[test]
fn remove_command_is_caution() {
    let mut env = TestEnv::new();
    env.dep("nvidia", &[]).idle("nvidia");
    env.modprobe_conf(
        "nvidia.conf",
        "remove nvidia /sbin/modprobe -r nvidia_drm; /sbin/modprobe -r --ignore-remove nvidia\n",
    );
    let c = check1(&env, "nvidia");
    assert_case(&c, "caution", 11, &["remove-command", "idle"], &[]);
    let msg = c.message("remove-command");
    assert!(msg.contains("/sbin/modprobe -r nvidia_drm"), "{msg}");
    let paths = c.evidence_paths("remove-command");
    assert!(
        paths.iter().any(|p| p == "/etc/modprobe.d/nvidia.conf:1"),
        "{paths:?}"
    );
}

#[test]
fn unused_dependencies_would_also_go() {
    let env = bridge_env();
    let c = check1(&env, "br_netfilter");
    assert_case(
        &c,
        "caution",
        11,
        &["unused-dependencies", "idle"],
        &["held-by-modules"],
    );
    let mut also = c.list("/module_info/would_also_remove");
    also.sort();
    assert_eq!(also, vec!["bridge", "llc", "stp"], "{}", c.why());
}

#[test]
fn dependency_with_another_holder_is_not_removed() {
    let mut env = TestEnv::new();
    env.dep("a", &["shared", "mine"])
        .dep("b", &["shared"])
        .dep("shared", &[])
        .dep("mine", &[]);
    env.idle("a").idle("b");
    env.loaded("shared", 2, "a,b,", "Live")
        .loaded("mine", 1, "a,", "Live");
    let c = check1(&env, "a");
    assert_case(&c, "caution", 11, &["unused-dependencies"], &[]);
    assert_eq!(
        c.list("/module_info/would_also_remove"),
        vec!["mine"],
        "{}",
        c.why()
    );
}

#[test]
fn dependency_with_other_references_is_not_removed() {
    let mut env = TestEnv::new();
    env.dep("a", &["dep"]).dep("dep", &[]);
    env.idle("a").loaded("dep", 2, "a,", "Live");
    let c = check1(&env, "a");
    assert_case(&c, "safe", 0, &["idle"], &["unused-dependencies"]);
    assert!(c.list("/module_info/would_also_remove").is_empty());
}

#[test]
fn bound_devices_are_caution() {
    let mut env = TestEnv::new();
    env.dep("e1000", &[]).idle("e1000");
    env.bound_device("e1000", "pci", "e1000", "pci0000:00", "0000:00:03.0");
    let c = check1(&env, "e1000");
    assert_case(&c, "caution", 11, &["bound-devices", "idle"], &[]);
    assert_eq!(c.list("/module_info/drivers"), vec!["pci:e1000"]);
    assert_eq!(
        c.list("/module_info/bound_devices"),
        vec!["pci:0000:00:03.0"],
        "{}",
        c.why()
    );
}

#[test]
fn driver_without_devices_is_safe() {
    let mut env = TestEnv::new();
    env.dep("e1000", &[]).idle("e1000");
    env.symlink(
        "/sys/module/e1000/drivers/pci:e1000",
        "../../../bus/pci/drivers/e1000",
    );
    env.write("/sys/bus/pci/drivers/e1000/bind", "")
        .write("/sys/bus/pci/drivers/e1000/uevent", "");
    env.symlink(
        "/sys/bus/pci/drivers/e1000/module",
        "../../../../module/e1000",
    );
    let c = check1(&env, "e1000");
    assert_case(&c, "safe", 0, &["idle"], &["bound-devices"]);
    assert_eq!(c.list("/module_info/drivers"), vec!["pci:e1000"]);
    assert!(
        c.list("/module_info/bound_devices").is_empty(),
        "{}",
        c.why()
    );
}

#[test]
fn modalias_devices_would_reload_it() {
    let mut env = TestEnv::new();
    env.dep("virtio_net", &[]).idle("virtio_net");
    env.alias("virtio:d00000001v*", "virtio_net");
    env.modalias_device(
        "pci0000:00/0000:00:03.0/virtio0",
        "virtio:d00000001v00001AF4",
    );
    env.modalias_device(
        "pci0000:00/0000:00:04.0/virtio1",
        "virtio:d00000002v00001AF4",
    );
    let c = check1(&env, "virtio_net");
    assert_case(&c, "caution", 11, &["reloaded-by-udev", "idle"], &[]);
    let msg = c.message("reloaded-by-udev");
    assert!(msg.contains("pci0000:00/0000:00:03.0/virtio0"), "{msg}");
    assert!(!msg.contains("virtio1"), "{msg}");
}

// ------------------------------------------------------------------- info

#[test]
fn softdep_install_blacklist_are_informative() {
    let mut env = TestEnv::new();
    env.dep("bochs", &[]).idle("bochs");
    env.modprobe_conf(
        "bochs.conf",
        "softdep bochs pre: drm_kms_helper post: fbcon\ninstall bochs /sbin/modprobe --ignore-install bochs\nblacklist bochs\n",
    );
    let c = check1(&env, "bochs");
    assert_case(
        &c,
        "safe",
        0,
        &["idle", "softdeps", "install-command", "blacklisted"],
        &["remove-command"],
    );
}

#[test]
fn install_and_blacklist_also_apply_to_modules_not_loaded() {
    let mut env = TestEnv::new();
    env.dep("pcspkr", &[]);
    env.modprobe_conf(
        "bl.conf",
        "blacklist pcspkr\ninstall pcspkr /bin/true\nsoftdep pcspkr pre: x\n",
    );
    let c = check1(&env, "pcspkr");
    assert_case(
        &c,
        "not-loaded",
        10,
        &["not-loaded", "blacklisted", "install-command"],
        &["softdeps"],
    );
}

// ------------------------------------------------------- several modules

#[test]
fn several_modules_in_one_call() {
    let mut env = bridge_env();
    env.dep("dummy", &[]).idle("dummy").dep("absent", &[]);
    env.builtin("unix");
    let c = check_json(&env, &["dummy", "bridge", "absent", "unix"]);
    let arr = c
        .json
        .as_array()
        .unwrap_or_else(|| panic!("expected an array: {}", c.why()));
    let got: Vec<(&str, &str)> = arr
        .iter()
        .map(|r| {
            (
                r["module"].as_str().unwrap(),
                r["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("dummy", "safe"),
            ("bridge", "blocked"),
            ("absent", "not-loaded"),
            ("unix", "builtin")
        ]
    );
    assert_eq!(c.code(), 15, "{}", c.why());
    for r in arr {
        assert_eq!(r["schema_version"], 1);
    }
}

#[test]
fn exit_code_is_the_most_severe() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[])
        .idle("dummy")
        .dep("absent", &[])
        .dep("loop", &[])
        .loaded("loop", 1, "-", "Live");
    env.dep("nv", &[]).idle("nv");
    env.modprobe_conf("nv.conf", "remove nv /bin/true\n");
    let cases: &[(&[&str], i32)] = &[
        (&["dummy"], 0),
        (&["dummy", "absent"], 10),
        (&["absent", "dummy"], 10),
        (&["dummy", "nv", "absent"], 11),
        (&["nv", "loop", "dummy"], 14),
        (&["loop", "nosuch"], 16),
        (&["nosuch", "dummy"], 16),
    ];
    for (mods, code) in cases {
        let c = check_json(&env, mods);
        assert_eq!(c.code(), *code, "{mods:?}: {}", c.why());
        let reports = match c.json.as_array() {
            Some(a) => a.clone(),
            None => vec![c.json.clone()],
        };
        let order: Vec<&str> = reports
            .iter()
            .map(|r| r["module"].as_str().unwrap())
            .collect();
        let want: Vec<String> = mods.iter().map(|m| m.replace('-', "_")).collect();
        assert_eq!(order, want, "order must follow the command line");
    }
}

/// Issue 12: the same module asked for twice (or by name and by file name)
/// is one module, reported once.
#[test]
fn same_module_twice_gives_one_report() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    for args in [&["dummy", "dummy"][..], &["dummy", "dummy.ko"]] {
        let c = check_json(&env, args);
        assert!(c.json.is_object(), "{args:?}: {}", c.why());
        assert_eq!(c.json["module"], "dummy");
    }
    // Two different modules stay two reports, in order.
    env.dep("loop", &[]).idle("loop");
    let c = check_json(&env, &["loop", "dummy", "loop"]);
    let names: Vec<&str> = c
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["module"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["loop", "dummy"]);
}

// ----------------------------------------------- unreadable evidence

#[test]
fn proc_modules_is_a_directory_gives_unknown() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.remove("/proc/modules").mkdir("/proc/modules");
    let c = check1(&env, "dummy");
    assert_eq!(c.verdict(), "unknown", "{}", c.why());
    assert_eq!(c.code(), 12);
    assert!(!c.has("idle"), "{}", c.why());
    assert!(
        c.missing_paths().iter().any(|p| p == "/proc/modules"),
        "{:?}",
        c.missing_paths()
    );
    assert!(
        c.commands()
            .contains(&"sudo kmod-doctor check dummy".to_string()),
        "unknown should suggest a rerun as root: {:?}",
        c.commands()
    );
}

#[test]
fn proc_modules_symlink_loop_gives_unknown() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.remove("/proc/modules");
    env.symlink("/proc/modules", "modules.loop")
        .symlink("/proc/modules.loop", "modules");
    let c = check1(&env, "dummy");
    assert_eq!(c.verdict(), "unknown", "{}", c.why());
    assert_eq!(c.code(), 12);
    assert!(
        c.missing_paths().iter().any(|p| p == "/proc/modules"),
        "{:?}",
        c.missing_paths()
    );
}

/// What could not be read must say why: `/proc/modules: symlink loop`, not
/// `not found`, when /proc/modules exists but cannot be parsed or followed.
#[test]

fn proc_modules_symlink_loop_reason_is_reported() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.remove("/proc/modules");
    env.symlink("/proc/modules", "modules.loop")
        .symlink("/proc/modules.loop", "modules");
    let c = check1(&env, "dummy");
    assert!(c.out.stdout.contains("symlink loop"), "{}", c.why());
    assert!(
        !c.out.stdout.contains("\"value\": \"not found\""),
        "{}",
        c.why()
    );
}

#[test]
fn proc_modules_unreadable_and_module_held_is_still_blocked() {
    // The refusal is proved by sysfs alone; missing /proc/modules must not hide it.
    let env = bridge_env();
    env.remove("/proc/modules").mkdir("/proc/modules");
    let c = check1(&env, "bridge");
    assert_case(&c, "blocked", 14, &["held-by-modules"], &["idle"]);
    assert!(
        !c.json["unchecked"].as_array().unwrap().is_empty(),
        "{}",
        c.why()
    );
}

#[test]
fn modules_disabled_missing_gives_unknown() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.remove("/proc/sys/kernel/modules_disabled");
    let c = check1(&env, "dummy");
    assert_eq!(c.verdict(), "unknown", "{}", c.why());
    assert_eq!(c.code(), 12);
    assert!(
        c.unchecked().contains(&"modules-disabled".to_string()),
        "{:?}",
        c.unchecked()
    );
    assert!(
        c.missing_paths()
            .iter()
            .any(|p| p == "/proc/sys/kernel/modules_disabled"),
        "{:?}",
        c.missing_paths()
    );
    assert!(c.json["kernel"]["modules_disabled"].is_null());
}

#[test]
fn modules_disabled_garbage_gives_unknown() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.write("/proc/sys/kernel/modules_disabled", "maybe\n");
    let c = check1(&env, "dummy");
    assert_eq!(c.verdict(), "unknown", "{}", c.why());
    assert!(
        c.missing_paths()
            .iter()
            .any(|p| p == "/proc/sys/kernel/modules_disabled")
    );
}

#[test]
fn non_utf8_proc_modules_gives_unknown() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.proc_modules_bytes(b"dummy 16384 0 - Live 0xffffffffc0400000\n\xff\xfe 1 0 - Live 0x0\n");
    let c = check1(&env, "dummy");
    assert_eq!(c.verdict(), "unknown", "{}", c.why());
    assert_eq!(c.code(), 12);
    assert!(
        c.missing_paths().iter().any(|p| p == "/proc/modules"),
        "{:?}",
        c.missing_paths()
    );
}

#[test]

fn non_utf8_proc_modules_reason_is_reported() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.proc_modules_bytes(b"dummy 16384 0 - Live 0xffffffffc0400000\n\xff\xfe 1 0 - Live 0x0\n");
    let c = check1(&env, "dummy");
    assert!(
        c.out.stdout.contains("line 2: not valid UTF-8"),
        "{}",
        c.why()
    );
}

#[test]
fn malformed_proc_modules_line_gives_unknown() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.proc_line("garbage here");
    let c = check1(&env, "dummy");
    assert_eq!(c.verdict(), "unknown", "{}", c.why());
    assert_eq!(c.code(), 12);
    assert!(!c.has("idle"));
    assert!(
        c.missing_paths().iter().any(|p| p == "/proc/modules"),
        "{:?}",
        c.missing_paths()
    );
}

#[test]
fn malformed_proc_modules_falls_back_to_sysfs() {
    // A loaded module always has /sys/module/M: without it, sysfs alone proves
    // the module is not loaded even when /proc/modules cannot be parsed.
    let mut env = TestEnv::new();
    env.dep("dummy", &[])
        .proc_line("dummy 16384 0 - Live 0xffffffffc0400000");
    env.proc_line("garbage here");
    let c = check1(&env, "dummy");
    assert_case(&c, "not-loaded", 10, &["not-loaded"], &["idle"]);
}

#[test]
fn malformed_proc_modules_line_is_named_when_sysfs_is_unreadable() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.remove("/sys/module/dummy/initstate");
    env.symlink("/sys/module/dummy/initstate", "initstate2")
        .symlink("/sys/module/dummy/initstate2", "initstate");
    env.proc_line("garbage here");
    let text = env.run(&["check", "dummy"]);
    assert_eq!(text.code, 12, "{}", text.stdout);
    assert!(
        text.stdout.contains("/proc/modules: line 2"),
        "{}",
        text.stdout
    );
}

#[test]

fn malformed_proc_modules_line_is_named() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.proc_line("garbage here");
    let text = env.run(&["check", "dummy"]);
    assert_eq!(text.code, 12);
    assert!(
        text.stdout.contains("/proc/modules: line 2"),
        "{}",
        text.stdout
    );
    assert!(
        !text.stdout.contains("/proc/modules: not found"),
        "{}",
        text.stdout
    );
}

#[test]
fn missing_modules_dep_never_says_not_found() {
    let env = TestEnv::new();
    env.remove(&format!("/lib/modules/{RELEASE}/modules.dep"));
    let c = check1(&env, "dummy");
    assert_eq!(c.verdict(), "unknown", "{}", c.why());
    assert!(
        c.missing_paths()
            .iter()
            .any(|p| p == &format!("/lib/modules/{RELEASE}/modules.dep")),
        "{:?}",
        c.missing_paths()
    );
}

#[test]
fn sysfs_symlink_loop_in_module_dir() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.remove("/sys/module/dummy/holders");
    env.symlink("/sys/module/dummy/holders", "holders2")
        .symlink("/sys/module/dummy/holders2", "holders");
    let c = check1(&env, "dummy");
    // /proc/modules still says who holds it: the verdict stands.
    assert_eq!(c.verdict(), "safe", "{}", c.why());
}

#[test]
fn sysfs_module_dir_is_a_symlink_loop() {
    let env = TestEnv::new();
    env.symlink("/sys/module/ghost", "ghost2")
        .symlink("/sys/module/ghost2", "ghost");
    let c = check1(&env, "ghost");
    assert_ne!(c.verdict(), "safe", "{}", c.why());
    assert!(matches!(c.code(), 12 | 16), "{}", c.why());
}

// ------------------------------------------------------------ more cases

#[test]
fn alias_of_a_builtin_module_via_modinfo() {
    let mut env = TestEnv::new();
    env.builtin("unix");
    env.write(
        &format!("/lib/modules/{RELEASE}/modules.builtin.modinfo"),
        "unix.file=net/unix/unix\0unix.license=GPL\0unix.alias=net-pf-1\0",
    );
    let c = check1(&env, "net-pf-1");
    assert_case(
        &c,
        "builtin",
        15,
        &["builtin", "resolved-alias"],
        &["not-found"],
    );
    assert_eq!(c.json["module"], "unix");
    assert_eq!(c.json["resolved_from"]["via"], "alias");
    assert_eq!(
        c.json["resolved_from"]["source"],
        format!("/lib/modules/{RELEASE}/modules.builtin.modinfo")
    );
}

#[test]
fn kernel_release_override_reads_that_module_tree() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.write(
        "/lib/modules/6.12.0-next/modules.dep",
        "kernel/drivers/net/newdrv.ko:\n",
    );
    env.write("/lib/modules/6.12.0-next/modules.builtin", "");
    let root = env.path().to_str().unwrap();
    let out = run_raw(&[
        "--root",
        root,
        "check",
        "-S",
        "6.12.0-next",
        "--format",
        "json",
        "newdrv",
    ]);
    let v: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stderr));
    assert_eq!(v["kernel"]["release"], "6.12.0-next");
    assert_eq!(v["verdict"], "not-loaded", "{}", out.stdout);
    assert_eq!(out.code, 10);
    // Without -S the running kernel's tree does not know it.
    assert_eq!(check1(&env, "newdrv").verdict(), "not-found");
}

#[test]
fn unused_softdeps_would_also_go() {
    let mut env = TestEnv::new();
    env.dep("bochs", &[])
        .dep("drm_kms_helper", &[])
        .idle("bochs")
        .idle("drm_kms_helper");
    env.modprobe_conf("bochs.conf", "softdep bochs pre: drm_kms_helper\n");
    let c = check1(&env, "bochs");
    assert_case(&c, "caution", 11, &["softdeps", "unused-dependencies"], &[]);
    assert_eq!(
        c.list("/module_info/would_also_remove"),
        vec!["drm_kms_helper"]
    );
}

#[test]
fn aliases_that_are_not_device_aliases_need_no_device_tree() {
    // char-major-10-238 can never match a `bus:...` modalias.
    let mut env = TestEnv::new();
    env.dep("vhost_net", &[]).idle("vhost_net");
    env.alias("char-major-10-238", "vhost_net");
    let c = check1(&env, "vhost_net");
    assert_eq!(c.verdict(), "safe", "{}", c.why());
}

#[test]
fn unreadable_device_tree_never_gives_safe() {
    // virtio_net has a device alias, so whether a device would load it again
    // matters; without /sys/devices that cannot be checked.
    let mut env = TestEnv::new();
    env.dep("virtio_net", &[]).idle("virtio_net");
    env.alias("virtio:d00000001v*", "virtio_net");
    let c = check1(&env, "virtio_net");
    assert_eq!(c.verdict(), "unknown", "{}", c.why());
    assert_eq!(c.code(), 12);
    assert!(
        c.unchecked().contains(&"reloaded-by-udev".to_string()),
        "{:?}",
        c.unchecked()
    );
    assert!(
        c.missing_paths().iter().any(|p| p == "/sys/devices"),
        "{:?}",
        c.missing_paths()
    );
}

#[test]
fn snapshot_archive_gives_the_same_answer_as_the_directory() {
    let mut env = TestEnv::new();
    env.dep("br_netfilter", &["bridge"]).dep("bridge", &[]);
    env.idle("br_netfilter")
        .loaded("bridge", 1, "br_netfilter,", "Live");
    let dir = tempfile::tempdir().unwrap();
    let tgz = dir.path().join("snap.tar.gz");
    {
        let f = std::fs::File::create(&tgz).unwrap();
        let gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        tar.follow_symlinks(false);
        tar.append_dir_all(".", env.path()).unwrap();
        tar.into_inner().unwrap().finish().unwrap();
    }
    for m in ["bridge", "br_netfilter", "nosuch"] {
        let from_dir = check1(&env, m);
        let out = run_in(&tgz, &["check", "--format", "json", m]);
        assert_eq!(out.code, from_dir.code(), "{m}: {}", out.stderr);
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(v["verdict"], from_dir.json["verdict"], "{m}");
        assert_eq!(v["findings"], from_dir.json["findings"], "{m}");
        assert_eq!(v["next_steps"], from_dir.json["next_steps"], "{m}");
    }
}
