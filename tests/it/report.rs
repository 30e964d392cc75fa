//! `kmod-doctor report`: one Markdown paste for a ticket, with the verdict,
//! evidence, picture, users, next steps and the snapshot command; nothing
//! secret in it.

use crate::common::*;

const VM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/scan/debian-6.1-vm-probe.tar.gz"
);

/// bridge held by br_netfilter and providing br0, which is up, carries the
/// default route and this SSH session.
fn env() -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("br_netfilter", &["bridge", "stp", "llc"])
        .dep("bridge", &["stp", "llc"])
        .dep("stp", &["llc"])
        .dep("llc", &[]);
    env.idle("br_netfilter")
        .loaded("bridge", 1, "br_netfilter,", "Live")
        .loaded("stp", 1, "bridge,", "Live")
        .loaded("llc", 2, "bridge,stp,", "Live");
    env.write("/sys/class/net/br0/bridge/forward_delay", "1500\n")
        .write("/sys/class/net/br0/flags", "0x1003\n")
        .write("/sys/class/net/br0/uevent", "DEVTYPE=bridge\nINTERFACE=br0\n")
        .write(
            "/proc/net/route",
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\nbr0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n",
        )
        .write(
            "/kmod-doctor-snapshot/session",
            "SSH_CONNECTION=192.0.2.7 50022 192.0.2.1 22\n",
        );
    env
}

#[test]
fn markdown_report_is_pinned() {
    let e = env();
    let out = e.run(&["report", "bridge"]);
    assert_eq!(out.code, 14, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    // The Command row repeats --root, a temporary directory here.
    let stable = out.stdout.replace(&e.path().display().to_string(), "ROOT");
    insta::assert_snapshot!("bridge_markdown", redact_version(&stable));
}

#[test]
fn everything_a_ticket_needs() {
    let out = env().run(&["report", "bridge"]);
    let md = &out.stdout;
    for needle in [
        "# kmod-doctor report: `bridge` ✖ blocked",
        &format!("| Tool | kmod-doctor {} |", env!("CARGO_PKG_VERSION")),
        "| Kernel | `6.1.0-test-amd64` |",
        "| Tainted | no |",
        "| Read from | a snapshot (--root) |",
        "## Verdict",
        "## Why",
        "<summary>Evidence: ",
        "`held-by-modules`",
        "```mermaid",
        "mod_br__netfilter -->|holds| mod_bridge",
        "<details><summary>The same as text</summary>",
        "## Users found",
        "`br0`",
        "## Next steps",
        "`modprobe --remove br_netfilter`",
        "## Attach a snapshot",
        "sudo kmod-doctor snapshot -o kmod-doctor-snapshot.tar.gz bridge",
        "<details><summary>Module details: bridge</summary>",
    ] {
        assert!(md.contains(needle), "no {needle:?} in\n{md}");
    }
    // Folded sections are balanced.
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    // Fences are balanced.
    assert_eq!(md.matches("```").count() % 2, 0);
}

#[test]
fn nothing_secret_leaks() {
    let e = env();
    // The check itself names the SSH client as evidence...
    let check = e.run(&["check", "--format", "json", "bridge"]);
    assert!(
        check.stdout.contains("192.0.2.7"),
        "fixture no longer exercises the SSH rule: {}",
        check.stdout
    );
    // ...the ticket does not.
    for fmt in ["markdown", "json"] {
        let out = e.run(&["report", "--format", fmt, "bridge"]);
        assert_eq!(out.code, 14, "{fmt}: {}", out.stderr);
        assert!(!out.stdout.contains("192.0.2.7"), "{fmt}:\n{}", out.stdout);
        assert!(
            out.stdout.contains("[ssh client]"),
            "{fmt}:\n{}",
            out.stdout
        );
        assert!(!out.stdout.contains("50022"), "{fmt}");
    }
}

#[test]
fn process_users_show_pid_and_name_only() {
    let mut e = TestEnv::new();
    e.dep("vhost_net", &[]).loaded("vhost_net", 1, "-", "Live");
    // What the VM's vhost-net-open scenario looks like: a process holding
    // /dev/vhost-net, with a secret on its command line.
    e.write("/proc/devices", "Character devices:\n 10 misc\n")
        .write(
            "/lib/modules/6.1.0-test-amd64/modules.devname",
            "vhost_net vhost-net c10:238\n",
        )
        .write("/proc/2464/comm", "qemu-system-x86\n")
        .write("/proc/2464/cmdline", "qemu\0-password\0hunter2\0")
        .write("/proc/2464/cgroup", "0::/user.slice\n")
        .symlink("/proc/2464/fd/7", "/dev/vhost-net")
        .write(
            "/kmod-doctor-snapshot/devices.tsv",
            "# path\tkind\tmajor:minor\n/proc/2464/fd/7\tc\t10:238\n/dev/vhost-net\tc\t10:238\n",
        );
    let out = e.run(&["report", "vhost_net"]);
    assert!(!out.stdout.contains("hunter2"), "{}", out.stdout);
    assert!(!out.stdout.contains("-password"), "{}", out.stdout);
    let check = check1(&e, "vhost_net");
    assert_eq!(
        check.list("/users/processes"),
        vec!["pid 2464 (qemu-system-x86) holds /dev/vhost-net"],
        "the fixture no longer finds the process"
    );
    assert!(
        out.stdout
            .contains("`pid 2464 (qemu-system-x86) holds /dev/vhost-net`"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("process: pid 2464"), "{}", out.stdout);
}

#[test]
fn json_report_carries_the_same() {
    let out = env().run(&["report", "--format", "json", "bridge"]);
    assert_eq!(out.code, 14);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1);
    let r = &v["report"];
    assert_eq!(r["reports"][0]["verdict"], "blocked");
    assert_eq!(r["pictures"][0]["holders"][0]["label"], "br_netfilter");
    assert_eq!(
        r["snapshot_command"],
        "sudo kmod-doctor snapshot -o kmod-doctor-snapshot.tar.gz bridge"
    );
    assert_eq!(r["source"]["live"], false);
}

#[test]
fn several_modules_and_a_kernel_release() {
    let e = env();
    let out = e.run(&["report", "-S", "6.1.0-test-amd64", "br-netfilter", "llc"]);
    assert_eq!(out.code, 14, "{}", out.stderr);
    let md = &out.stdout;
    // Removing br_netfilter takes bridge, which carries the default route.
    assert!(md.contains("## `br_netfilter` — ‼ danger"), "{md}");
    assert!(
        md.contains("through bridge that the same command removes"),
        "{md}"
    );
    assert!(md.contains("## `llc` — ✖ blocked"), "{md}");
    assert!(md.contains("Asked for `br-netfilter`"), "{md}");
    assert!(
        md.contains(
            "sudo kmod-doctor snapshot -S 6.1.0-test-amd64 -o kmod-doctor-snapshot.tar.gz br-netfilter llc"
        ),
        "{md}"
    );
}

#[test]
fn hostile_names_are_refused_before_any_output() {
    let out = env().run(&["report", "$(reboot)"]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
}

#[test]
fn real_capture_report_is_pinned() {
    let out = run_in(
        std::path::Path::new(VM),
        &["report", "-S", "6.1.0-56-amd64", "virtio_net"],
    );
    assert_eq!(
        out.code,
        i32::from(kmod_doctor::exit::Exit::Unknown.code()),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout
            .contains("mod_virtio__net -->|needs| mod_net__failover")
    );
    let stable = out.stdout.replace(env!("CARGO_MANIFEST_DIR"), "SRC");
    insta::assert_snapshot!("vm_virtio_net", redact_version(&stable));
}

#[test]
fn not_loaded_module_has_no_picture_or_users() {
    let mut e = TestEnv::new();
    e.dep("sctp", &[]);
    let out = e.run(&["report", "sctp"]);
    assert_eq!(out.code, 10, "{}", out.stderr);
    assert!(!out.stdout.contains("```mermaid"));
    assert!(!out.stdout.contains("## Users found"));
    assert!(out.stdout.contains("## Attach a snapshot"));
}

#[test]
fn holder_cycles_and_long_chains_are_drawn_finitely() {
    let mut e = TestEnv::new();
    e.dep("a", &[]).dep("b", &[]);
    e.proc_line("a 16384 1 b, Live 0x0")
        .proc_line("b 16384 1 a, Live 0x0");
    let out = e.run(&["report", "a"]);
    assert_eq!(out.code, 14, "{}", out.stderr);
    assert!(out.stdout.contains("a (*)"), "{}", out.stdout);

    let mut e = TestEnv::new();
    let n = 500;
    for i in 0..n {
        let used_by = if i + 1 < n {
            format!("m{},", i + 1)
        } else {
            "-".to_string()
        };
        e.proc_line(&format!("m{i} 16384 1 {used_by} Live 0x0"));
    }
    let out = e.run(&["report", "m0"]);
    assert_eq!(out.code, 14, "{}", out.stderr);
    // Cut at a fixed depth: the picture stays small.
    assert!(out.stdout.contains("m16 "), "{}", out.stdout);
    assert!(!out.stdout.contains("m30 "), "too deep");
}

#[test]
fn text_report_is_text_and_names_the_root() {
    let env = bridge_env();
    let out = env.run(&["report", "--format", "text", "bridge"]);
    assert_eq!(out.code, 14, "{}", out.stderr);
    for md in ["|---", "## ", "```", "<details>", "**"] {
        assert!(
            !out.stdout.contains(md),
            "Markdown {md:?} in text:\n{}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("✖ BLOCKED  bridge"), "{}", out.stdout);
    let root = env.path().display().to_string();
    assert!(
        out.stdout.contains(&format!(
            "Command           kmod-doctor report --root {root} bridge"
        )),
        "{}",
        out.stdout
    );
    let md = env.run(&["report", "bridge"]);
    assert!(
        md.stdout.contains(&format!(
            "| Command | `kmod-doctor report --root {root} bridge` |"
        )),
        "{}",
        md.stdout
    );
}
