//! Every built-in rule has a fixture that fires it and a near miss that must
//! not. `every_builtin_rule_is_covered` reads the rule ids from the binary, so
//! a rule added to rules/*.toml without tests here fails CI.

use crate::common::*;

/// Rule ids with a `fires_*` and a `quiet_*` test below. Add to it only
/// together with both tests.
const COVERED: &[&str] = &[
    "not-found",
    "builtin",
    "builtin-unknown-to-modprobe",
    "builtin-bound-devices",
    "did-you-mean",
    "not-loaded",
    "held-by-modules",
    "in-use",
    "permanent",
    "not-live",
    "unload-compiled-out",
    "modules-disabled",
    "unused-dependencies",
    "remove-command",
    "bound-devices",
    "reloaded-by-udev",
    "idle",
    "force-is-not-a-fix",
    "resolved-alias",
    "resolved-dashed",
    "no-module-support",
    "no-kernel-config",
    "softdeps",
    "install-command",
    "outside-index",
    "blacklisted",
    "kernel-tainted",
    "module-tainted",
    "no-cap-sys-module",
    // rules/users.toml
    "process-users",
    "mounted-filesystems",
    "critical-mounts",
    "active-swap",
    "loop-attached",
    "block-devices-vanish",
    "default-route",
    "ssh-session",
    "interfaces-vanish",
    "active-console",
    "display-cards",
    "processes-not-inspected",
    "unexplained-refs",
    "peer-in-other-namespace",
    "interface-kinds-unread",
    "other-netns-not-inspected",
    "kernel-references",
    "crypto-in-use",
    "network-filesystem-over-interface",
    "other-namespace-mounts",
    "stacked-devices",
    "netfilter-references",
];

fn builtin_rule_ids() -> Vec<String> {
    let out = run_raw(&["rules", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_builtin_rule_is_covered() {
    let ids = builtin_rule_ids();
    assert!(!ids.is_empty());
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !COVERED.contains(&id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "built-in rules without tests in tests/it/rules_coverage.rs: {missing:?} \
         (write a fires_* and a quiet_* test, then add the id to COVERED)"
    );
    let stale: Vec<&&str> = COVERED
        .iter()
        .filter(|c| !ids.iter().any(|id| id == *c))
        .collect();
    assert!(
        stale.is_empty(),
        "COVERED lists rules the binary no longer has: {stale:?}"
    );
}

fn fires(c: &Checked, id: &str) {
    assert!(
        c.has(id),
        "rule {id} should fire; fired {:?}\n{}",
        c.fired(),
        c.why()
    );
}

fn quiet(c: &Checked, id: &str) {
    assert!(
        !c.has(id),
        "rule {id} must not fire; fired {:?}\n{}",
        c.fired(),
        c.why()
    );
    // Not firing because it was not evaluated would hide the rule too.
    assert!(
        !c.unchecked().iter().any(|u| u == id),
        "rule {id} not evaluated: {:?}\n{}",
        c.unchecked(),
        c.why()
    );
}

fn idle_env(name: &str) -> TestEnv {
    let mut env = TestEnv::new();
    env.mkdir("/sys/devices");
    env.dep(name, &[]).idle(name);
    env
}

// ------------------------------------------------------------- not-found

#[test]
fn fires_not_found() {
    let env = idle_env("dummy");
    let c = check1(&env, "nosuchmod");
    fires(&c, "not-found");
    assert_eq!(c.verdict(), "not-found");
}

#[test]
fn quiet_not_found() {
    let mut env = idle_env("dummy");
    env.dep("absent", &[]).alias("char-major-10-238", "absent");
    for m in ["dummy", "absent", "char-major-10-238"] {
        quiet(&check1(&env, m), "not-found");
    }
}

#[test]
fn quiet_not_found_when_the_aliases_cannot_be_read() {
    // "No alias resolves to it" cannot be said when modules.alias is unreadable.
    let env = idle_env("dummy");
    env.write_bytes(
        &format!("/lib/modules/{RELEASE}/modules.alias"),
        &[b'a', b'l', 0xff, 0xfe, b'\n'],
    );
    let c = check1(&env, "no_such_thing");
    assert!(!c.has("not-found"), "{}", c.why());
    assert!(c.unchecked().contains(&"not-found".to_string()));
    assert_eq!(c.verdict(), "unknown", "{}", c.why());
    assert!(
        c.missing_paths()
            .iter()
            .any(|p| p.ends_with("modules.alias")),
        "{:?}",
        c.missing_paths()
    );
}

// --------------------------------------------------------------- builtin

#[test]
fn fires_builtin() {
    let mut env = TestEnv::new();
    env.builtin("unix");
    fires(&check1(&env, "unix"), "builtin");
}

#[test]
fn quiet_builtin() {
    // A loaded module has a /sys/module entry too, but with initstate.
    let env = idle_env("dummy");
    let c = check1(&env, "dummy");
    quiet(&c, "builtin");
    assert_eq!(c.json["module_info"]["builtin"], false);
}

// --------------------------------------------- builtin-unknown-to-modprobe

#[test]
fn fires_builtin_unknown_to_modprobe() {
    // Built-in code with parameters shows in /sys/module; modules.builtin
    // does not list it, so modprobe answers "not found".
    let env = TestEnv::new();
    env.mkdir("/sys/module/loop/parameters");
    let c = check1(&env, "loop");
    assert_eq!(c.verdict(), "builtin", "{}", c.why());
    fires(&c, "builtin-unknown-to-modprobe");
    let msg = finding_message(&c, "builtin-unknown-to-modprobe");
    assert!(msg.contains("\"Module loop not found.\""), "{msg}");
    let builtin = finding_message(&c, "builtin");
    assert!(!builtin.contains("is builtin"), "{builtin}");
}

#[test]
fn quiet_builtin_unknown_to_modprobe() {
    let mut env = TestEnv::new();
    env.builtin("unix");
    let c = check1(&env, "unix");
    fires(&c, "builtin");
    quiet(&c, "builtin-unknown-to-modprobe");
    assert_eq!(c.json["module_info"]["builtin"], true);
}

// --------------------------------------------------- builtin-bound-devices

/// virtio_net built in (no `module` link, as virtio drivers have none),
/// bound to virtio2, which carries eth0.
fn builtin_net_env() -> TestEnv {
    let env = TestEnv::new();
    env.mkdir("/sys/module/virtio_net/parameters");
    env.mkdir("/sys/devices/pci0000:00/0000:00:03.0/virtio2");
    let drv = "/sys/bus/virtio/drivers/virtio_net";
    for f in ["bind", "unbind", "uevent"] {
        env.write(&format!("{drv}/{f}"), "");
    }
    env.symlink(
        &format!("{drv}/virtio2"),
        "../../../../devices/pci0000:00/0000:00:03.0/virtio2",
    );
    env.symlink(
        "/sys/devices/pci0000:00/0000:00:03.0/virtio2/driver",
        "../../../../bus/virtio/drivers/virtio_net",
    );
    env.class_device("net", "eth0", "pci0000:00/0000:00:03.0/virtio2/net/eth0");
    env.write(
        "/sys/devices/pci0000:00/0000:00:03.0/virtio2/net/eth0/flags",
        "0x1003\n",
    );
    env
}

#[test]
fn fires_builtin_bound_devices() {
    let env = builtin_net_env();
    routes(&env, &[DEFAULT_VIA_ETH0]);
    let c = check1(&env, "virtio_net");
    assert_eq!(c.verdict(), "builtin", "{}", c.why());
    assert_eq!(c.code(), 15);
    fires(&c, "builtin-bound-devices");
    // What unbinding takes down, judged as for a loaded module.
    fires(&c, "default-route");
    fires(&c, "interfaces-vanish");
    assert_eq!(c.list("/module_info/bound_devices"), ["virtio:virtio2"]);
    assert!(
        c.commands()
            .contains(&"echo virtio2 > /sys/bus/virtio/drivers/virtio_net/unbind".to_string()),
        "{:?}",
        c.commands()
    );
    // Never a modprobe step for built-in code.
    assert!(
        !c.commands().iter().any(|s| s.starts_with("modprobe")),
        "{:?}",
        c.commands()
    );
}

#[test]
fn quiet_builtin_bound_devices() {
    // Built in, no bound device: nothing to unbind, no users gathered.
    let env = TestEnv::new();
    env.mkdir("/sys/module/loop/parameters");
    env.mkdir("/sys/bus/virtio/drivers/virtio_net");
    let c = check1(&env, "loop");
    quiet(&c, "builtin-bound-devices");
    quiet(&c, "default-route");
    // The driver exists but has no device bound.
    let env = builtin_net_env();
    env.remove("/sys/bus/virtio/drivers/virtio_net/virtio2");
    let c = check1(&env, "virtio_net");
    quiet(&c, "builtin-bound-devices");
    quiet(&c, "interfaces-vanish");
    // A loaded module with bound devices is the bound-devices rule's.
    let c = check1(&net_env(), "e1000");
    quiet(&c, "builtin-bound-devices");
}

// ------------------------------------------------------------ did-you-mean

#[test]
fn fires_did_you_mean() {
    let env = bridge_env();
    for typo in ["brdge", "Bridge", "bridg", "brigde"] {
        let c = check1(&env, typo);
        assert_eq!(c.verdict(), "not-found", "{typo}: {}", c.why());
        fires(&c, "did-you-mean");
        assert!(
            c.commands()
                .contains(&"kmod-doctor check bridge".to_string()),
            "{typo}: {:?}",
            c.commands()
        );
    }
}

#[test]
fn quiet_did_you_mean() {
    let env = bridge_env();
    // Found modules, and names nothing is close to.
    for m in ["bridge", "stp", "zzzzzzzzzz"] {
        quiet(&check1(&env, m), "did-you-mean");
    }
}

// ------------------------------------------------------------ not-loaded

#[test]
fn fires_not_loaded() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]);
    fires(&check1(&env, "dummy"), "not-loaded");
}

#[test]
fn quiet_not_loaded() {
    let mut env = idle_env("dummy");
    env.builtin("unix");
    quiet(&check1(&env, "dummy"), "not-loaded");
    quiet(&check1(&env, "unix"), "not-loaded");
}

// ------------------------------------------------------- held-by-modules

#[test]
fn fires_held_by_modules() {
    let env = bridge_env();
    for m in ["bridge", "stp", "llc"] {
        fires(&check1(&env, m), "held-by-modules");
    }
}

#[test]
fn quiet_held_by_modules() {
    let env = bridge_env();
    quiet(&check1(&env, "br_netfilter"), "held-by-modules");
}

// ---------------------------------------------------------------- in-use

#[test]
fn fires_in_use() {
    let mut env = TestEnv::new();
    env.dep("loop", &[]).loaded("loop", 3, "-", "Live");
    fires(&check1(&env, "loop"), "in-use");
}

#[test]
fn fires_in_use_beside_holders() {
    // Two references, one of them a module: one is unexplained.
    let mut env = TestEnv::new();
    env.dep("a", &[])
        .dep("b", &["a"])
        .idle("b")
        .loaded("a", 2, "b,", "Live");
    let c = check1(&env, "a");
    fires(&c, "in-use");
    assert_eq!(c.json["module_info"]["unexplained_refs"], 1);
}

#[test]
fn quiet_in_use() {
    // Every reference is explained by a holder.
    let env = bridge_env();
    quiet(&check1(&env, "bridge"), "in-use");
    quiet(&check1(&env, "llc"), "in-use");
}

// ------------------------------------------------------------- permanent

#[test]
fn fires_permanent() {
    let mut env = TestEnv::new();
    env.dep("ext4", &[])
        .loaded("ext4", 0, "[permanent],", "Live");
    fires(&check1(&env, "ext4"), "permanent");
}

#[test]
fn quiet_permanent() {
    quiet(&check1(&idle_env("dummy"), "dummy"), "permanent");
}

// -------------------------------------------------------------- not-live

#[test]
fn fires_not_live() {
    let mut env = TestEnv::new();
    env.dep("a", &[])
        .dep("b", &[])
        .loaded("a", 0, "-", "Loading")
        .loaded("b", 0, "-", "Unloading");
    fires(&check1(&env, "a"), "not-live");
    fires(&check1(&env, "b"), "not-live");
}

#[test]
fn quiet_not_live() {
    quiet(&check1(&idle_env("dummy"), "dummy"), "not-live");
}

// --------------------------------------------------- unload-compiled-out

#[test]
fn fires_unload_compiled_out() {
    let mut env = TestEnv::new();
    env.dep("loop", &[])
        .proc_line("loop 32768 - - Live 0xffffffffc0401000");
    env.write("/sys/module/loop/initstate", "live\n");
    env.no_config();
    fires(&check1(&env, "loop"), "unload-compiled-out");
}

#[test]
fn quiet_unload_compiled_out() {
    quiet(&check1(&idle_env("dummy"), "dummy"), "unload-compiled-out");
    // Without a config, a /proc/modules with refcounts shows unloading is built in.
    let env = idle_env("dummy");
    env.no_config();
    quiet(&check1(&env, "dummy"), "unload-compiled-out");
    // Not loaded: nothing to unload, whatever the kernel.
    let mut env = TestEnv::new();
    env.dep("other", &[])
        .dep("loop", &[])
        .proc_line("other 32768 - - Live 0x0");
    env.no_config();
    quiet(&check1(&env, "loop"), "unload-compiled-out");
}

// ------------------------------------------------------ modules-disabled

#[test]
fn fires_modules_disabled() {
    let env = idle_env("dummy");
    env.write("/proc/sys/kernel/modules_disabled", "1\n");
    fires(&check1(&env, "dummy"), "modules-disabled");
}

#[test]
fn quiet_modules_disabled() {
    quiet(&check1(&idle_env("dummy"), "dummy"), "modules-disabled");
    let mut env = TestEnv::new();
    env.dep("absent", &[]);
    env.write("/proc/sys/kernel/modules_disabled", "1\n");
    quiet(&check1(&env, "absent"), "modules-disabled");
}

// --------------------------------------------------- unused-dependencies

#[test]
fn fires_unused_dependencies() {
    let mut env = TestEnv::new();
    env.dep("a", &["b"])
        .dep("b", &[])
        .idle("a")
        .loaded("b", 1, "a,", "Live");
    let c = check1(&env, "a");
    fires(&c, "unused-dependencies");
    assert_eq!(c.list("/module_info/would_also_remove"), vec!["b"]);
}

#[test]
fn quiet_unused_dependencies() {
    let mut env = TestEnv::new();
    env.dep("a", &["b"]).dep("b", &[]).dep("c", &["b"]);
    env.idle("a").idle("c").loaded("b", 2, "a,c,", "Live");
    let c = check1(&env, "a");
    quiet(&c, "unused-dependencies");
    assert!(c.list("/module_info/would_also_remove").is_empty());
    // A dependency that is not loaded is not removed either.
    let mut env = TestEnv::new();
    env.dep("a", &["b"]).dep("b", &[]).idle("a");
    quiet(&check1(&env, "a"), "unused-dependencies");
}

// -------------------------------------------------------- remove-command

#[test]
fn fires_remove_command() {
    let env = idle_env("dummy");
    env.modprobe_conf("d.conf", "remove dummy /bin/echo bye\n");
    fires(&check1(&env, "dummy"), "remove-command");
}

#[test]
fn quiet_remove_command() {
    let env = idle_env("dummy");
    env.modprobe_conf(
        "d.conf",
        "remove other /bin/echo bye\n# remove dummy /bin/false\n",
    );
    quiet(&check1(&env, "dummy"), "remove-command");
}

// --------------------------------------------------------- bound-devices

#[test]
fn fires_bound_devices() {
    let env = idle_env("e1000");
    env.bound_device("e1000", "pci", "e1000", "pci0000:00", "0000:00:03.0");
    fires(&check1(&env, "e1000"), "bound-devices");
}

#[test]
fn quiet_bound_devices() {
    let env = idle_env("e1000");
    env.symlink(
        "/sys/module/e1000/drivers/pci:e1000",
        "../../../bus/pci/drivers/e1000",
    );
    env.write("/sys/bus/pci/drivers/e1000/uevent", "")
        .write("/sys/bus/pci/drivers/e1000/new_id", "");
    quiet(&check1(&env, "e1000"), "bound-devices");
}

// ------------------------------------------------------ reloaded-by-udev

#[test]
fn fires_reloaded_by_udev() {
    let mut env = idle_env("virtio_net");
    env.alias("virtio:d00000001v*", "virtio_net");
    env.modalias_device(
        "pci0000:00/0000:00:03.0/virtio0",
        "virtio:d00000001v00001AF4",
    );
    fires(&check1(&env, "virtio_net"), "reloaded-by-udev");
}

#[test]
fn quiet_reloaded_by_udev() {
    let mut env = idle_env("virtio_net");
    env.alias("virtio:d00000001v*", "virtio_net");
    env.modalias_device(
        "pci0000:00/0000:00:04.0/virtio1",
        "virtio:d00000002v00001AF4",
    );
    quiet(&check1(&env, "virtio_net"), "reloaded-by-udev");
}

#[test]
fn quiet_reloaded_by_udev_when_blacklisted() {
    // A blacklist stops udev's load by alias: the device no longer brings it back.
    let mut env = idle_env("virtio_net");
    env.alias("virtio:d00000001v*", "virtio_net");
    env.modalias_device(
        "pci0000:00/0000:00:03.0/virtio0",
        "virtio:d00000001v00001AF4",
    );
    env.modprobe_conf("bl.conf", "blacklist virtio_net\n");
    let c = check1(&env, "virtio_net");
    quiet(&c, "reloaded-by-udev");
    fires(&c, "blacklisted");
}

// ------------------------------------------------------------------ idle

#[test]
fn fires_idle() {
    let c = check1(&idle_env("dummy"), "dummy");
    fires(&c, "idle");
    assert_eq!(c.verdict(), "safe");
}

#[test]
fn quiet_idle() {
    let mut env = TestEnv::new();
    env.dep("loop", &[]).loaded("loop", 1, "-", "Live");
    quiet(&check1(&env, "loop"), "idle");
    quiet(&check1(&bridge_env(), "bridge"), "idle");
}

// ---------------------------------------------------- force-is-not-a-fix

#[test]
fn fires_force_is_not_a_fix() {
    let c = check1(&bridge_env(), "bridge");
    fires(&c, "force-is-not-a-fix");
    // bridge has module holders: force cannot get past them at all.
    assert!(
        c.message("force-is-not-a-fix")
            .contains("cannot beat module holders"),
        "{}",
        c.message("force-is-not-a-fix")
    );
    // It explains; it never suggests forcing.
    assert!(
        !c.commands()
            .iter()
            .any(|c| c.contains("-f") || c.contains("force")),
        "{:?}",
        c.commands()
    );
}

#[test]
fn quiet_force_is_not_a_fix() {
    quiet(&check1(&idle_env("dummy"), "dummy"), "force-is-not-a-fix");
}

// -------------------------------------------------------- resolved-alias

#[test]
fn fires_resolved_alias() {
    let mut env = idle_env("vhost_net");
    env.alias("char-major-10-238", "vhost_net");
    fires(&check1(&env, "char-major-10-238"), "resolved-alias");
}

#[test]
fn quiet_resolved_alias() {
    let mut env = idle_env("vhost_net");
    env.alias("char-major-10-238", "vhost_net");
    quiet(&check1(&env, "vhost_net"), "resolved-alias");
}

// ------------------------------------------------------- resolved-dashed

#[test]
fn fires_resolved_dashed() {
    fires(
        &check1(&idle_env("vhost_net"), "vhost-net"),
        "resolved-dashed",
    );
}

#[test]
fn quiet_resolved_dashed() {
    quiet(
        &check1(&idle_env("vhost_net"), "vhost_net"),
        "resolved-dashed",
    );
}

// ----------------------------------------------------- no-module-support

/// A kernel built without CONFIG_MODULES: no /proc/modules, no
/// modules_disabled sysctl, no module tree; built-in code with parameters
/// still shows in /sys/module.
fn no_modules_env() -> TestEnv {
    let env = TestEnv::new();
    env.remove("/proc/modules")
        .remove("/proc/sys/kernel/modules_disabled")
        .remove("/lib/modules");
    env.write(
        &format!("/boot/config-{RELEASE}"),
        "# CONFIG_MODULES is not set\n",
    );
    env.write("/sys/module/printk/parameters/time", "Y\n");
    env
}

#[test]
fn fires_no_module_support() {
    let c = check1(&no_modules_env(), "printk");
    fires(&c, "no-module-support");
    assert_eq!(c.verdict(), "builtin", "{}", c.why());
    assert_eq!(c.json["kernel"]["module_support"], false);
}

#[test]
fn quiet_no_module_support() {
    let c = check1(&idle_env("dummy"), "dummy");
    quiet(&c, "no-module-support");
    assert_eq!(c.json["kernel"]["module_support"], true);
}

// ------------------------------------------------------ no-kernel-config

#[test]
fn fires_no_kernel_config() {
    let env = idle_env("dummy");
    env.no_config();
    fires(&check1(&env, "dummy"), "no-kernel-config");
}

#[test]
fn quiet_no_kernel_config() {
    quiet(&check1(&idle_env("dummy"), "dummy"), "no-kernel-config");
    let env = idle_env("dummy");
    env.no_config();
    env.write_bytes(
        "/proc/config.gz",
        &gzip("CONFIG_MODULES=y\nCONFIG_MODULE_UNLOAD=y\n"),
    );
    quiet(&check1(&env, "dummy"), "no-kernel-config");
}

// --------------------------------------------------------------- softdeps

#[test]
fn fires_softdeps() {
    let env = idle_env("bochs");
    env.modprobe_conf("b.conf", "softdep bochs pre: drm_kms_helper\n");
    fires(&check1(&env, "bochs"), "softdeps");
    let env = idle_env("bochs");
    env.modprobe_conf("b.conf", "softdep bochs post: fbcon\n");
    fires(&check1(&env, "bochs"), "softdeps");
}

#[test]
fn quiet_softdeps() {
    let env = idle_env("bochs");
    env.modprobe_conf("b.conf", "softdep other pre: bochs\n");
    quiet(&check1(&env, "bochs"), "softdeps");
}

// -------------------------------------------------------- install-command

#[test]
fn fires_install_command() {
    let env = idle_env("fuse");
    env.modprobe_conf(
        "f.conf",
        "install fuse /sbin/modprobe --ignore-install fuse && echo loaded\n",
    );
    fires(&check1(&env, "fuse"), "install-command");
}

#[test]
fn quiet_install_command() {
    let env = idle_env("fuse");
    env.modprobe_conf("f.conf", "install other /bin/true\noptions fuse x=1\n");
    quiet(&check1(&env, "fuse"), "install-command");
}

// ------------------------------------------------------------ blacklisted

#[test]
fn fires_blacklisted() {
    let env = idle_env("pcspkr");
    env.modprobe_conf("bl.conf", "blacklist pcspkr\n");
    fires(&check1(&env, "pcspkr"), "blacklisted");
}

#[test]
fn quiet_blacklisted() {
    let env = idle_env("pcspkr");
    env.modprobe_conf("bl.conf", "blacklist pcspkr2\n# blacklist pcspkr\n");
    quiet(&check1(&env, "pcspkr"), "blacklisted");
}

// --------------------------------------------------------- kernel-tainted

#[test]
fn fires_kernel_tainted() {
    let env = idle_env("dummy");
    env.write("/proc/sys/kernel/tainted", "8\n");
    let c = check1(&env, "dummy");
    fires(&c, "kernel-tainted");
    assert_eq!(c.json["kernel"]["taint_flags"], "R");
}

#[test]
fn quiet_kernel_tainted() {
    quiet(&check1(&idle_env("dummy"), "dummy"), "kernel-tainted");
}

// --------------------------------------------------------- module-tainted

#[test]
fn fires_module_tainted() {
    let mut env = TestEnv::new();
    env.dep("zfs", &[])
        .proc_line("zfs 3805184 0 - Live 0x0000000000000000 (PO)");
    fires(&check1(&env, "zfs"), "module-tainted");
}

#[test]
fn quiet_module_tainted() {
    let mut env = TestEnv::new();
    env.dep("zfs", &[])
        .proc_line("zfs 3805184 0 - Live 0x0000000000000000");
    quiet(&check1(&env, "zfs"), "module-tainted");
}

// ===================================================== rules/users.toml

/// vhost_net with /dev/vhost-net known from modules.devname, refcount `refs`.
fn vhost_env(refs: i64) -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("vhost_net", &[])
        .loaded("vhost_net", refs, "-", "Live");
    env.devname("vhost_net vhost-net c10:238");
    env
}

// --------------------------------------------------------- process-users

#[test]
fn fires_process_users() {
    let env = vhost_env(1);
    env.process_holding(
        4242,
        "qemu-system-x86",
        Some("vm1.service"),
        7,
        "vhost-net",
        'c',
        10,
        238,
    );
    env.process_holding(4343, "vhost-probe", None, 3, "vhost-net", 'c', 10, 238);
    let c = check1(&env, "vhost_net");
    fires(&c, "process-users");
    assert_eq!(
        c.verdict(),
        "blocked",
        "in use by a process: the kernel refuses\n{}",
        c.why()
    );
    let cmds = c.commands();
    assert!(
        cmds.contains(&"systemctl stop -- vm1.service".to_string()),
        "{cmds:?}"
    );
    assert!(cmds.contains(&"kill -- 4343".to_string()), "{cmds:?}");
    // Users are stopped before the removal is attempted.
    let stop = cmds
        .iter()
        .position(|c| c.starts_with("systemctl stop"))
        .unwrap();
    let remove = cmds
        .iter()
        .position(|c| c == "modprobe --remove vhost_net")
        .unwrap();
    assert!(stop < remove, "{cmds:?}");
}

#[test]
fn user_manager_units_are_stopped_through_that_manager() {
    let env = vhost_env(1);
    env.process_holding(
        2225,
        "pipewire",
        Some("user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service"),
        7,
        "vhost-net",
        'c',
        10,
        238,
    );
    env.process_holding(
        2300,
        "gnome-shell",
        Some("user.slice/user-1000.slice/user@1000.service/session.slice/org.gnome.Shell@wayland.service"),
        9,
        "vhost-net",
        'c',
        10,
        238,
    );
    let c = check1(&env, "vhost_net");
    fires(&c, "process-users");
    let cmds = c.commands();
    for unit in ["pipewire.service", "org.gnome.Shell@wayland.service"] {
        assert!(
            cmds.contains(&format!(
                "systemctl --user --machine=1000@.host stop -- {unit}"
            )),
            "{cmds:?}"
        );
    }
    assert!(
        !cmds.iter().any(|c| c.starts_with("systemctl stop")),
        "{cmds:?}"
    );
    assert!(!cmds.iter().any(|c| c.starts_with("kill")), "{cmds:?}");
    assert!(
        c.message("process-users")
            .contains("pid 2225 (pipewire, pipewire.service of user 1000)"),
        "{}",
        c.message("process-users")
    );
}

#[test]
fn quiet_process_users() {
    // A process with another device open (/dev/null) is not a user.
    let env = vhost_env(0);
    env.process_holding(4242, "cat", None, 0, "null", 'c', 1, 3);
    let c = check1(&env, "vhost_net");
    quiet(&c, "process-users");
    assert_eq!(c.verdict(), "safe", "{}", c.why());
}

// --------------------------------------------------- mounted-filesystems

fn vfat_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("vfat", &[])
        .loaded("vfat", 1, "-", "Live")
        .alias("fs-vfat", "vfat");
    env
}

#[test]
fn fires_mounted_filesystems() {
    let env = vfat_env();
    env.append(
        "/proc/self/mountinfo",
        "40 22 8:17 / /media/usb rw,relatime - vfat /dev/sdb1 rw",
    );
    let c = check1(&env, "vfat");
    fires(&c, "mounted-filesystems");
    assert_eq!(c.verdict(), "blocked", "{}", c.why());
    assert!(
        c.commands().contains(&"umount -- /media/usb".to_string()),
        "{:?}",
        c.commands()
    );
}

#[test]
fn quiet_mounted_filesystems() {
    let mut env = TestEnv::new();
    env.dep("vfat", &[]).idle("vfat").alias("fs-vfat", "vfat");
    quiet(&check1(&env, "vfat"), "mounted-filesystems");
}

// ------------------------------------------------------- critical-mounts

#[test]
fn fires_critical_mounts() {
    // TestEnv mounts / as ext4.
    let mut env = TestEnv::new();
    env.dep("ext4", &[])
        .loaded("ext4", 1, "-", "Live")
        .alias("fs-ext4", "ext4");
    let c = check1(&env, "ext4");
    fires(&c, "critical-mounts");
    assert_eq!(c.verdict(), "blocked", "{}", c.why());
    assert!(
        c.commands().contains(&"findmnt -- /".to_string()),
        "{:?}",
        c.commands()
    );
}

#[test]

fn critical_mounts_are_never_unmounted_in_next_steps() {
    let mut env = TestEnv::new();
    env.dep("ext4", &[])
        .loaded("ext4", 1, "-", "Live")
        .alias("fs-ext4", "ext4");
    let c = check1(&env, "ext4");
    fires(&c, "critical-mounts");
    assert!(
        !c.commands()
            .iter()
            .any(|c| c == "umount /" || c == "umount -- /"),
        "never suggest unmounting /: {:?}",
        c.commands()
    );
}

#[test]
fn quiet_critical_mounts() {
    let env = vfat_env();
    env.append(
        "/proc/self/mountinfo",
        "40 22 8:17 / /media/usb rw,relatime - vfat /dev/sdb1 rw",
    );
    let c = check1(&env, "vfat");
    quiet(&c, "critical-mounts");
    fires(&c, "mounted-filesystems");
}

// ----------------------------------------------------------- active-swap

fn zram_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("zram", &[]).loaded("zram", 1, "-", "Live");
    env.write(
        "/proc/devices",
        "Character devices:\n  1 mem\n\nBlock devices:\n252 zram\n254 virtblk\n",
    );
    env.block_dev("zram0", 252, 0).block_dev("vda2", 254, 2);
    env
}

#[test]
fn fires_active_swap() {
    let env = zram_env();
    env.append(
        "/proc/swaps",
        "/dev/zram0                              partition\t1048572\t\t0\t\t100",
    );
    let c = check1(&env, "zram");
    fires(&c, "active-swap");
    assert!(
        c.commands().contains(&"swapoff -- /dev/zram0".to_string()),
        "{:?}",
        c.commands()
    );
}

#[test]
fn quiet_active_swap() {
    let env = zram_env();
    env.append(
        "/proc/swaps",
        "/dev/vda2                               partition\t1048572\t\t0\t\t-2",
    );
    quiet(&check1(&env, "zram"), "active-swap");
}

// --------------------------------------------------------- loop-attached

fn loop_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("loop", &[]).loaded("loop", 1, "-", "Live");
    env.write(
        "/proc/devices",
        "Character devices:\n  1 mem\n\nBlock devices:\n  7 loop\n",
    );
    env.block_dev("loop0", 7, 0).block_dev("loop1", 7, 1);
    env.mkdir("/sys/block/loop0/loop").mkdir("/sys/block/loop1");
    env
}

#[test]
fn fires_loop_attached() {
    let env = loop_env();
    env.write("/sys/block/loop0/loop/backing_file", "/srv/disk.img\n");
    let c = check1(&env, "loop");
    fires(&c, "loop-attached");
    assert!(
        c.commands()
            .contains(&"losetup --detach -- /dev/loop0".to_string()),
        "{:?}",
        c.commands()
    );
}

#[test]
fn quiet_loop_attached() {
    let c = check1(&loop_env(), "loop");
    quiet(&c, "loop-attached");
}

// --------------------------------------------------- block-devices-vanish

#[test]
fn fires_block_devices_vanish() {
    // Unattached loop devices go with `loop` (found through its major).
    let c = check1(&loop_env(), "loop");
    fires(&c, "block-devices-vanish");
    assert_eq!(c.list("/users/block_devices"), vec!["loop0", "loop1"]);
    // ... and with a module whose removal takes loop along (softdep post).
    let mut env = TestEnv::new();
    env.dep("loop", &[])
        .idle("loop")
        .dep("dummy", &[])
        .idle("dummy");
    env.write("/proc/devices", "Block devices:\n  7 loop\n");
    env.block_dev("loop0", 7, 0).block_dev("loop1", 7, 1);
    env.modprobe_conf("kd.conf", "softdep dummy post: loop\n");
    let c = check1(&env, "dummy");
    assert_eq!(c.verdict(), "caution", "{}", c.why());
    let f = c.finding("block-devices-vanish");
    assert_eq!(f["caused_by"], "loop", "{f}");
    assert!(f["message"].as_str().unwrap().contains("loop1"), "{f}");
}

#[test]
fn quiet_block_devices_vanish() {
    // Another module's block devices are not its own.
    let mut env = loop_env();
    env.dep("dummy", &[]).idle("dummy");
    quiet(&check1(&env, "dummy"), "block-devices-vanish");
    // A loaded loop with no device of its major.
    let mut env = TestEnv::new();
    env.dep("loop", &[]).idle("loop");
    env.write("/proc/devices", "Block devices:\n  7 loop\n");
    env.block_dev("vda", 253, 0);
    quiet(&check1(&env, "loop"), "block-devices-vanish");
}

// ----------------------------------------- network: interfaces, routes, SSH

const ROUTE_HEADER: &str =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

/// e1000 driving eth0 (up) at 0000:00:03.0, and a bridge br0 (up).
fn net_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("e1000", &[]).loaded("e1000", 0, "-", "Live");
    env.dep("bridge", &[]).loaded("bridge", 0, "-", "Live");
    env.bound_device("e1000", "pci", "e1000", "pci0000:00", "0000:00:03.0");
    env.class_device("net", "eth0", "pci0000:00/0000:00:03.0/net/eth0");
    env.write(
        "/sys/devices/pci0000:00/0000:00:03.0/net/eth0/flags",
        "0x1003\n",
    );
    env.class_device("net", "br0", "virtual/net/br0");
    env.mkdir("/sys/devices/virtual/net/br0/bridge");
    env.write("/sys/devices/virtual/net/br0/flags", "0x1003\n");
    env
}

fn routes(env: &TestEnv, lines: &[&str]) {
    let mut t = ROUTE_HEADER.to_string();
    for l in lines {
        t.push_str(l);
        t.push('\n');
    }
    env.write("/proc/net/route", &t);
}

const DEFAULT_VIA_ETH0: &str = "eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0";
const LAN_VIA_ETH0: &str = "eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0";
const LAN_VIA_BR0: &str = "br0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0";
const DEFAULT_VIA_BR0: &str = "br0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0";

#[test]
fn fires_interfaces_vanish() {
    let env = net_env();
    let c = check1(&env, "e1000");
    fires(&c, "interfaces-vanish");
    assert!(
        c.commands()
            .contains(&"ip link set dev eth0 down".to_string()),
        "{:?}",
        c.commands()
    );
    fires(&check1(&env, "bridge"), "interfaces-vanish");
}

#[test]
fn quiet_interfaces_vanish() {
    let mut env = net_env();
    env.dep("dummy", &[]).idle("dummy");
    quiet(&check1(&env, "dummy"), "interfaces-vanish");
}

#[test]
fn fires_default_route() {
    let env = net_env();
    routes(&env, &[DEFAULT_VIA_ETH0, LAN_VIA_ETH0]);
    let c = check1(&env, "e1000");
    fires(&c, "default-route");
    assert_eq!(c.verdict(), "danger", "{}", c.why());
}

#[test]
fn quiet_default_route() {
    let env = net_env();
    routes(&env, &[DEFAULT_VIA_ETH0, LAN_VIA_BR0]);
    let c = check1(&env, "bridge");
    quiet(&c, "default-route");
    fires(&c, "interfaces-vanish");
}

#[test]
fn fires_ssh_session() {
    let env = net_env();
    routes(&env, &[DEFAULT_VIA_BR0, LAN_VIA_BR0]);
    env.write(
        "/kmod-doctor-snapshot/session",
        "SSH_CONNECTION=192.168.1.10 50022 192.168.1.2 22\n",
    );
    let c = check1(&env, "bridge");
    fires(&c, "ssh-session");
    assert_eq!(c.verdict(), "danger", "{}", c.why());
}

#[test]
fn quiet_ssh_session() {
    // The client is on the LAN behind eth0; only the default route uses br0.
    let env = net_env();
    routes(&env, &[DEFAULT_VIA_BR0, LAN_VIA_ETH0]);
    env.write(
        "/kmod-doctor-snapshot/session",
        "SSH_CONNECTION=192.168.1.10 50022 192.168.1.2 22\n",
    );
    let c = check1(&env, "bridge");
    quiet(&c, "ssh-session");
    fires(&c, "default-route");
}

const V6_LAN_VIA_BR0: &str = "20010db8000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 br0";
const V6_DEFAULT_VIA_ETH0: &str = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0";

fn ssh_from(env: &TestEnv, client: &str) {
    env.write(
        "/kmod-doctor-snapshot/session",
        &format!("SSH_CONNECTION={client} 50022 2001:db8::2 22\n"),
    );
}

#[test]
fn fires_ssh_session_over_ipv6() {
    let env = net_env();
    routes(&env, &[LAN_VIA_ETH0]);
    env.write(
        "/proc/net/ipv6_route",
        &format!("{V6_LAN_VIA_BR0}\n{V6_DEFAULT_VIA_ETH0}\n"),
    );
    ssh_from(&env, "2001:db8::10");
    let c = check1(&env, "bridge");
    fires(&c, "ssh-session");
    assert!(
        c.evidence_paths("ssh-session")
            .contains(&"/proc/net/ipv6_route:1".to_string()),
        "{}",
        c.why()
    );
    // A client on another prefix goes out by the default route over eth0.
    ssh_from(&env, "2001:db9::10");
    quiet(&check1(&env, "bridge"), "ssh-session");
    fires(&check1(&env, "e1000"), "ssh-session");
}

#[test]
fn fires_ssh_session_for_an_ipv4_mapped_client() {
    let env = net_env();
    routes(&env, &[DEFAULT_VIA_ETH0, LAN_VIA_BR0]);
    ssh_from(&env, "::ffff:192.168.1.10");
    fires(&check1(&env, "bridge"), "ssh-session");
    quiet(&check1(&env, "e1000"), "ssh-session");
}

// -------------------------------------------------- display and console

/// bochs driving the PCI display 0000:00:02.0 with card0 and fb0.
fn display_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("bochs", &[]).loaded("bochs", 0, "-", "Live");
    env.bound_device("bochs", "pci", "bochs-drm", "pci0000:00", "0000:00:02.0");
    env.class_device("drm", "card0", "pci0000:00/0000:00:02.0/drm/card0");
    env.class_device("graphics", "fb0", "pci0000:00/0000:00:02.0/graphics/fb0");
    env.write("/sys/class/vtconsole/vtcon0/name", "(S) dummy device\n");
    env.write("/sys/class/vtconsole/vtcon0/bind", "0\n");
    env.write(
        "/sys/class/vtconsole/vtcon1/name",
        "(M) frame buffer device\n",
    );
    env
}

#[test]
fn fires_display_cards() {
    let env = display_env();
    env.write("/sys/class/vtconsole/vtcon1/bind", "0\n");
    fires(&check1(&env, "bochs"), "display-cards");
}

#[test]
fn quiet_display_cards() {
    let mut env = display_env();
    env.dep("virtio_gpu", &[]).idle("virtio_gpu");
    env.write("/sys/class/vtconsole/vtcon1/bind", "0\n");
    quiet(&check1(&env, "virtio_gpu"), "display-cards");
}

#[test]
fn fires_active_console() {
    let env = display_env();
    env.write("/sys/class/vtconsole/vtcon1/bind", "1\n");
    let c = check1(&env, "bochs");
    fires(&c, "active-console");
    assert_eq!(c.verdict(), "danger", "{}", c.why());
    assert!(
        c.commands()
            .contains(&"echo 0 > /sys/class/vtconsole/vtcon1/bind".to_string()),
        "{:?}",
        c.commands()
    );
}

#[test]
fn console_step_unbinds_the_vtcon_the_evidence_names() {
    // fbcon on vtcon0 (no dummy console before it): the step must not say vtcon1.
    let mut env = TestEnv::new();
    env.dep("bochs", &[]).loaded("bochs", 0, "-", "Live");
    env.bound_device("bochs", "pci", "bochs-drm", "pci0000:00", "0000:00:02.0");
    env.class_device("graphics", "fb0", "pci0000:00/0000:00:02.0/graphics/fb0");
    env.write(
        "/sys/class/vtconsole/vtcon0/name",
        "(M) frame buffer device\n",
    );
    env.write("/sys/class/vtconsole/vtcon0/bind", "1\n");
    let c = check1(&env, "bochs");
    fires(&c, "active-console");
    assert!(
        c.evidence_paths("active-console")
            .contains(&"/sys/class/vtconsole/vtcon0/name".to_string())
    );
    let cmds = c.commands();
    assert!(
        cmds.contains(&"echo 0 > /sys/class/vtconsole/vtcon0/bind".to_string()),
        "{cmds:?}"
    );
    assert!(!cmds.iter().any(|c| c.contains("vtcon1")), "{cmds:?}");
}

#[test]
fn quiet_active_console() {
    // fbcon registered but not bound.
    let env = display_env();
    env.write("/sys/class/vtconsole/vtcon1/bind", "0\n");
    quiet(&check1(&env, "bochs"), "active-console");
}

// ----------------------------------------------- processes-not-inspected

#[test]
fn fires_processes_not_inspected() {
    // Processes are scanned when a process could hold one of its devices:
    // references beyond holders, or devices bound to its drivers.
    for (module, refs, bound) in [("loop", 1, false), ("e1000", 0, true)] {
        let mut env = TestEnv::new();
        env.dep(module, &[]).loaded(module, refs, "-", "Live");
        if bound {
            env.bound_device(module, "pci", module, "pci0000:00", "0000:00:03.0");
        }
        env.write("/proc/999/comm", "secret\n");
        env.symlink("/proc/999/fd", "fd2")
            .symlink("/proc/999/fd2", "fd");
        let c = check1(&env, module);
        fires(&c, "processes-not-inspected");
        assert_ne!(
            c.verdict(),
            "safe",
            "uninspected processes must not allow safe\n{}",
            c.why()
        );
        assert!(!c.has("idle"), "{}", c.why());
    }
}

#[test]
fn quiet_processes_not_inspected() {
    // The scan runs (a reference beyond holders) and every process is readable.
    let mut env = TestEnv::new();
    env.dep("loop", &[]).loaded("loop", 1, "-", "Live");
    env.write("/proc/998/comm", "bash\n").mkdir("/proc/998/fd");
    env.symlink("/proc/998/fd/0", "/dev/pts/0");
    // A snapshot records the number of every device a process holds.
    env.append(
        "/kmod-doctor-snapshot/devices.tsv",
        "/proc/998/fd/0\tc\t136:0",
    );
    // A process that exited while being read is not uninspectable.
    env.write("/proc/997/comm", "gone\n");
    let c = check1(&env, "loop");
    quiet(&c, "processes-not-inspected");
    fires(&c, "in-use");
}

#[test]

fn quiet_processes_not_inspected_for_modules_not_loaded() {
    let mut env = TestEnv::new();
    env.dep("absent", &[]).builtin("unix");
    for m in ["absent", "unix", "nosuch"] {
        quiet(&check1(&env, m), "processes-not-inspected");
    }
}

// ------------------------------------------------------ unexplained-refs

#[test]
fn fires_unexplained_refs() {
    let mut env = TestEnv::new();
    env.dep("loop", &[]).loaded("loop", 2, "-", "Live");
    let c = check1(&env, "loop");
    fires(&c, "unexplained-refs");
    assert_eq!(c.json["module_info"]["unexplained_refs"], 2);
}

#[test]
fn quiet_unexplained_refs() {
    // The one reference is the process holding /dev/vhost-net.
    let env = vhost_env(1);
    env.process_holding(
        4242,
        "qemu-system-x86",
        Some("vm1.service"),
        7,
        "vhost-net",
        'c',
        10,
        238,
    );
    let c = check1(&env, "vhost_net");
    quiet(&c, "unexplained-refs");
    assert_eq!(c.json["module_info"]["unexplained_refs"], 0);
    // Holders explain references too.
    quiet(&check1(&bridge_env(), "bridge"), "unexplained-refs");
}

/// The message of the finding `id`.
fn finding_message(c: &Checked, id: &str) -> String {
    c.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == id)
        .and_then(|f| f["message"].as_str())
        .unwrap_or_default()
        .to_string()
}

// ------------------------------------- interfaces of rtnetlink link kinds

/// dummy and veth loaded and idle, providing the kinds their aliases name,
/// with one interface `NAME` and what netlink recorded (`None`: nothing).
fn kinds_env(name: &str, links: Option<&str>) -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).dep("veth", &[]);
    env.alias("rtnl-link-dummy", "dummy")
        .alias("rtnl-link-veth", "veth");
    env.idle("dummy").idle("veth");
    env.virtual_iface(name, true);
    if let Some(l) = links {
        env.write(
            "/kmod-doctor-snapshot/links.tsv",
            &format!("netns\tnet:[4026531840]\nlink\t1\tlo\t\t\t\n{l}"),
        );
    }
    env
}

#[test]
fn fires_peer_in_other_namespace() {
    let env = kinds_env("veth0", Some("link\t5\tveth0\tveth\t\t1\n"));
    let c = check1(&env, "veth");
    fires(&c, "peer-in-other-namespace");
    assert_eq!(c.verdict(), "danger");
    assert!(
        c.commands()
            .contains(&"ip -details link show dev veth0".to_string())
    );
}

#[test]
fn quiet_peer_in_other_namespace() {
    // Both ends here: no link netns id.
    let env = kinds_env("veth0", Some("link\t5\tveth0\tveth\t\t\n"));
    let c = check1(&env, "veth");
    quiet(&c, "peer-in-other-namespace");
    fires(&c, "interfaces-vanish");
}

#[test]
fn fires_interface_kinds_unread() {
    let env = kinds_env("dummy0", None);
    let c = check1(&env, "dummy");
    fires(&c, "interface-kinds-unread");
    assert_ne!(c.verdict(), "safe");
}

#[test]
fn quiet_interface_kinds_unread() {
    // Recorded: the kind is known and the interface is dummy's.
    let env = kinds_env("dummy0", Some("link\t3\tdummy0\tdummy\t\t\n"));
    quiet(&check1(&env, "dummy"), "interface-kinds-unread");
    // Not recorded, but the interface is tied by sysfs (bridge marker).
    let env = kinds_env("br0", None);
    env.mkdir("/sys/devices/virtual/net/br0/bridge");
    quiet(&check1(&env, "dummy"), "interface-kinds-unread");
}

#[test]
fn fires_other_netns_not_inspected() {
    let env = kinds_env("dummy0", Some("link\t3\tdummy0\tdummy\t\t\n"));
    env.symlink("/proc/1/ns/net", "net:[4026531840]");
    env.symlink("/proc/900/ns/net", "net:[4026532500]");
    let c = check1(&env, "veth");
    fires(&c, "other-netns-not-inspected");
    assert_eq!(c.verdict(), "caution");
}

#[test]
fn quiet_other_netns_not_inspected() {
    let env = kinds_env("dummy0", Some("link\t3\tdummy0\tdummy\t\t\n"));
    env.symlink("/proc/1/ns/net", "net:[4026531840]");
    env.symlink("/proc/900/ns/net", "net:[4026531840]");
    quiet(&check1(&env, "veth"), "other-netns-not-inspected");
    // Another namespace exists, but sctp provides no link kind.
    let mut env = kinds_env("dummy0", None);
    env.symlink("/proc/900/ns/net", "net:[4026532500]");
    env.dep("sctp", &[]).idle("sctp");
    quiet(&check1(&env, "sctp"), "other-netns-not-inspected");
}

// ----------------------------------------- references the kernel holds

#[test]
fn fires_kernel_references() {
    let mut env = TestEnv::new();
    env.dep("tcp_bbr", &[]).loaded("tcp_bbr", 1, "-", "Live");
    env.write("/proc/sys/net/ipv4/tcp_congestion_control", "bbr\n");
    let c = check1(&env, "tcp_bbr");
    fires(&c, "kernel-references");
    assert!(
        c.commands()
            .contains(&"sysctl -w net.ipv4.tcp_congestion_control=cubic".to_string()),
        "{:?}",
        c.commands()
    );
}

#[test]
fn quiet_kernel_references() {
    let mut env = TestEnv::new();
    env.dep("tcp_bbr", &[]).idle("tcp_bbr");
    env.write("/proc/sys/net/ipv4/tcp_congestion_control", "cubic\n");
    quiet(&check1(&env, "tcp_bbr"), "kernel-references");
}

#[test]
fn fires_crypto_in_use() {
    let mut env = TestEnv::new();
    env.dep("aesni_intel", &[])
        .loaded("aesni_intel", 2, "-", "Live");
    env.write(
        "/proc/crypto",
        "name         : xts(aes)\ndriver       : xts-aes-aesni\nmodule       : aesni_intel\nrefcnt       : 3\n\n",
    );
    let c = check1(&env, "aesni_intel");
    fires(&c, "crypto-in-use");
    assert!(
        c.commands()
            .contains(&"dmsetup table --target crypt".to_string())
    );
}

#[test]
fn quiet_crypto_in_use() {
    let mut env = TestEnv::new();
    env.dep("aesni_intel", &[]).idle("aesni_intel");
    // Registered, unused: refcnt 1 is the registration itself.
    env.write(
        "/proc/crypto",
        "name         : xts(aes)\ndriver       : xts-aes-aesni\nmodule       : aesni_intel\nrefcnt       : 1\n\n",
    );
    quiet(&check1(&env, "aesni_intel"), "crypto-in-use");
}

// ------------------------------------ network-filesystem-over-interface

const NFS_MOUNT: &str = "40 22 0:53 / /srv/share rw - nfs4 192.168.1.10:/export rw,vers=4.2,hard,proto=tcp,addr=192.168.1.10,clientaddr=192.168.1.2";

#[test]
fn fires_network_filesystem_over_interface() {
    let env = net_env();
    routes(&env, &[LAN_VIA_ETH0]);
    env.append("/proc/self/mountinfo", NFS_MOUNT);
    let c = check1(&env, "e1000");
    fires(&c, "network-filesystem-over-interface");
    assert_eq!(c.verdict(), "danger", "{}", c.why());
    assert!(c.commands().contains(&"umount -- /srv/share".to_string()));
}

#[test]
fn quiet_network_filesystem_over_interface() {
    let env = net_env();
    // The server is reached through br0, not e1000's eth0.
    routes(&env, &[LAN_VIA_BR0]);
    env.append("/proc/self/mountinfo", NFS_MOUNT);
    quiet(&check1(&env, "e1000"), "network-filesystem-over-interface");
}

// ---------------------------------------------- other-namespace-mounts

fn ns_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("xfs", &[])
        .loaded("xfs", 1, "-", "Live")
        .alias("fs-xfs", "xfs");
    env.symlink("/proc/self/ns/mnt", "mnt:[4026531841]");
    env.symlink("/proc/1/ns/mnt", "mnt:[4026531841]");
    env.symlink("/proc/3100/ns/mnt", "mnt:[4026532600]");
    env.symlink("/proc/3101/ns/mnt", "mnt:[4026532600]");
    env
}

#[test]
fn fires_other_namespace_mounts() {
    let env = ns_env();
    env.write(
        "/proc/3100/mountinfo",
        "500 400 259:3 / /var/lib/db rw - xfs /dev/nvme0n1p3 rw\n501 400 254:1 / / rw - ext4 /dev/vda1 rw\n",
    );
    let c = check1(&env, "xfs");
    fires(&c, "other-namespace-mounts");
    assert_eq!(
        c.list("/users/mounts"),
        Vec::<String>::new(),
        "not offered to a plain umount"
    );
    assert!(
        c.why()
            .contains("/var/lib/db (mount namespace of pid 3100)"),
        "{}",
        c.why()
    );
    // Its one superblock is the reference: nothing unexplained.
    assert_eq!(c.json["module_info"]["unexplained_refs"], 0, "{}", c.why());
}

#[test]
fn quiet_other_namespace_mounts() {
    let env = ns_env();
    // The same filesystem is mounted here too: counted once, here.
    env.append(
        "/proc/self/mountinfo",
        "40 22 259:3 / /srv rw - xfs /dev/nvme0n1p3 rw",
    );
    env.write(
        "/proc/3100/mountinfo",
        "500 400 259:3 / /var/lib/db rw - xfs /dev/nvme0n1p3 rw\n",
    );
    let c = check1(&env, "xfs");
    quiet(&c, "other-namespace-mounts");
    assert_eq!(c.json["module_info"]["unexplained_refs"], 0, "{}", c.why());
}

#[test]
fn fires_outside_index() {
    let mut env = TestEnv::new();
    env.idle("stray");
    let c = check1(&env, "stray");
    fires(&c, "outside-index");
    assert!(
        c.commands().contains(&"rmmod stray".to_string()),
        "{:?}",
        c.commands()
    );
}

#[test]
fn quiet_outside_index() {
    let c = check1(&idle_env("dummy"), "dummy");
    quiet(&c, "outside-index");
    assert!(
        c.commands()
            .contains(&"modprobe --remove dummy".to_string()),
        "{:?}",
        c.commands()
    );
}

// ------------------------------------------------ devices stacked on disks

#[test]
fn fires_stacked_devices() {
    let env = crate::users_kinds::disks_env(&["vda"], 1);
    env.write(
        "/proc/self/mountinfo",
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n",
    );
    crate::users_kinds::stack_on(&env, "vda", "md0", None, "9:0");
    let c = check1(&env, "virtio_blk");
    fires(&c, "stacked-devices");
    assert!(
        c.commands().contains(&"mdadm --stop /dev/md0".to_string()),
        "{:?}",
        c.commands()
    );
}

#[test]
fn quiet_stacked_devices() {
    let env = crate::users_kinds::disks_env(&["vda"], 0);
    env.write(
        "/proc/self/mountinfo",
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n",
    );
    quiet(&check1(&env, "virtio_blk"), "stacked-devices");
}

// ------------------------------------------------------------- netfilter

#[test]
fn fires_netfilter_references() {
    let mut env = TestEnv::new();
    env.dep("nft_ct", &[]).alias("nft-expr-ct", "nft_ct");
    env.loaded("nft_ct", 1, "-", "Live");
    env.write(
        "/kmod-doctor-snapshot/nftables.tsv",
        "table\t1\tt\nchain\t1\tt\tc\tfilter\nrule\t1\tt\tc\t5\tct,cmp,immediate\n",
    );
    let c = check1(&env, "nft_ct");
    fires(&c, "netfilter-references");
    assert!(
        c.commands()
            .contains(&"nft delete rule inet t c handle 5".to_string()),
        "{:?}",
        c.commands()
    );
}

#[test]
fn quiet_netfilter_references() {
    let mut env = TestEnv::new();
    env.dep("nft_ct", &[]).alias("nft-expr-ct", "nft_ct");
    env.idle("nft_ct");
    env.write(
        "/kmod-doctor-snapshot/nftables.tsv",
        "table\t1\tt\nchain\t1\tt\tc\tfilter\nrule\t1\tt\tc\t5\tmeta,cmp,immediate\n",
    );
    quiet(&check1(&env, "nft_ct"), "netfilter-references");
}

// ------------------------------------------- scan's one-line reasons

fn scan_reason(env: &TestEnv, module: &str) -> String {
    let out = env.run(&["scan", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    v["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["module"] == module)
        .unwrap_or_else(|| panic!("{module} not in scan: {v}"))["reason"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn scan_reasons_name_what_is_specific() {
    let env = vhost_env(1);
    env.process_holding(2225, "sleep", None, 3, "vhost-net", 'c', 10, 238);
    assert_eq!(
        scan_reason(&env, "vhost_net"),
        "pid 2225 (sleep) holds /dev/vhost-net"
    );
    let env = net_env();
    routes(&env, &[DEFAULT_VIA_ETH0, LAN_VIA_ETH0]);
    assert_eq!(scan_reason(&env, "e1000"), "eth0 carries the default route");
    assert_eq!(scan_reason(&bridge_env(), "bridge"), "held by br_netfilter");
    // Held by a module and carrying the default route: the holder is what
    // blocks it.
    let env = bridge_env();
    env.class_device("net", "br0", "virtual/net/br0");
    env.mkdir("/sys/devices/virtual/net/br0/bridge");
    env.write("/sys/devices/virtual/net/br0/flags", "0x1003\n");
    routes(&env, &[DEFAULT_VIA_BR0, LAN_VIA_BR0]);
    let c = check1(&env, "bridge");
    assert!(c.has("default-route"), "{}", c.why());
    assert_eq!(c.verdict(), "blocked");
    assert_eq!(scan_reason(&env, "bridge"), "held by br_netfilter");
    // A rule without a reason template falls back to its summary.
    let mut env = TestEnv::new();
    env.dep("x", &[]).proc_line("x 16384 0 - Unloading 0x0");
    assert_eq!(scan_reason(&env, "x"), "state unloading");
}

// ------------------------------------------------------ no-cap-sys-module

#[test]
fn fires_no_cap_sys_module() {
    // Docker's default bounding set.
    let env = idle_env("dummy");
    env.write(
        "/proc/self/status",
        "CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\n",
    );
    let c = check1(&env, "dummy");
    fires(&c, "no-cap-sys-module");
    assert!(c.message("no-cap-sys-module").contains("EPERM"));
    // A user namespace: the capability means nothing to delete_module.
    let env = idle_env("dummy");
    env.write("/proc/self/uid_map", "         0     100000      65536\n");
    fires(&check1(&env, "dummy"), "no-cap-sys-module");
}

#[test]
fn quiet_no_cap_sys_module() {
    // Root on the host (the TestEnv default) and a user without sudo yet:
    // the effective set does not decide, the bounding set does.
    let env = idle_env("dummy");
    quiet(&check1(&env, "dummy"), "no-cap-sys-module");
    env.write(
        "/proc/self/status",
        "CapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n",
    );
    quiet(&check1(&env, "dummy"), "no-cap-sys-module");
}
