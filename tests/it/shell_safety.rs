//! Printed next steps stay safe to paste whatever the module, device,
//! process, unit, mount, swap or interface names contain (issue 6): spaces,
//! quotes, `$()`, backticks, `;`, `|`, redirections, newlines, ANSI escapes,
//! bidi overrides, and leading dashes.
//!
//! The commands are not only inspected, they are *run*, by a real `sh`, in
//! which every command name they use (modprobe, umount, kill, systemctl, ip,
//! ...) is a shell function that records its arguments; functions override
//! regular builtins such as `kill`, and PATH points nowhere, so nothing real
//! runs. Every hostile name carries a canary: if any part of it were
//! interpreted as shell syntax, a file named CANARY would appear. Then:
//!
//! * no CANARY, no unknown command run;
//! * each hostile name arrives as exactly one argument, intact (control
//!   characters shown as `?`), and never as an option (a name starting with
//!   `-` follows `--` or a keyword such as `dev`);
//! * text and Markdown output carry no raw control characters (no ANSI
//!   escape, carriage return or forged line), and JSON strings decode to
//!   the same sanitized text.

use crate::common::{TestEnv, kd};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Shell syntax that would create ./CANARY if interpreted. No `/` (names
/// in sysfs and /proc cannot contain one) and no whitespace in the ones that
/// must survive whitespace-split files.
const INJECT: &[&str] = &[
    "$(echo${IFS}x>>CANARY)",
    "`echo${IFS}x>>CANARY`",
    "x;echo${IFS}x>>CANARY",
    "x|tee${IFS}CANARY",
    "x&&echo${IFS}x>CANARY",
    ">CANARY",
    "'\"x\"'",
    "$IFS\\$HOME",
];

/// Names that may also carry spaces, newlines and escapes (directory
/// entries, comm, cgroup paths, escaped mountinfo fields).
const WILD: &[&str] = &[
    "a b $(echo x>>CANARY)",
    "q'uote\"d `echo x>>CANARY`",
    "line\nrm -rf / #",
    "esc\u{1b}[2J\u{1b}]0;title\u{7}",
    "cr\rfake",
    "bidi\u{202e}txt.sh",
    "-a",
    "--all",
];

/// Names of the commands next steps use; each becomes a recording function
/// (not `printf` and `echo`: the recorder and the canary use them).
const COMMANDS: &[&str] = &[
    "modprobe",
    "rmmod",
    "modinfo",
    "umount",
    "findmnt",
    "swapoff",
    "losetup",
    "kill",
    "systemctl",
    "ip",
    "dmesg",
    "cat",
    "perf",
    "sudo",
    "kmod-doctor",
    "udevadm",
    "fuser",
    "lsof",
];

// ------------------------------------------------------------- the root

/// A sound driver `snd_evil` bound to a PCI function, whose PCM device node
/// processes hold open (with hostile comm and unit names); a filesystem
/// module `evilfs` with hostile mount points; a block driver `blk_evil`
/// with a hostile swap file; a network driver `net_evil` with hostile
/// interface names; modules reached through hostile alias names.
fn hostile_root() -> TestEnv {
    let mut env = TestEnv::new();
    let nprocs = WILD.len() + INJECT.len();
    env.loaded("snd_evil", nprocs as i64, "-", "Live")
        .loaded("evilfs", 0, "-", "Live")
        .loaded("blk_evil", 1, "-", "Live")
        .loaded("net_evil", 0, "-", "Live")
        .dep("snd_evil", &[])
        .dep("evilfs", &[])
        .dep("blk_evil", &[])
        .dep("net_evil", &[])
        .alias("fs-evilfs", "evilfs");
    // Modules named by hostile aliases (modules.alias and modprobe.d).
    let mut conf = String::new();
    for (i, n) in INJECT.iter().enumerate() {
        env.alias(&format!("evil-alias-{i}"), n);
        conf.push_str(&format!("alias conf-alias-{i} {n}\n"));
    }
    env.modprobe_conf("evil.conf", &conf);

    // Sound: driver, device, node, and processes holding it.
    let pci = "/sys/devices/pci0000:00/0000:00:1b.0";
    let drv = "/sys/bus/pci/drivers/snd_evil";
    env.symlink(
        &format!("{pci}/driver"),
        "../../../bus/pci/drivers/snd_evil",
    );
    env.symlink(&format!("{drv}/module"), "../../../../module/snd_evil");
    env.symlink(
        &format!("{drv}/0000:00:1b.0"),
        "../../../../devices/pci0000:00/0000:00:1b.0",
    );
    env.write(&format!("{drv}/bind"), "");
    env.symlink(
        "/sys/module/snd_evil/drivers/pci:snd_evil",
        "../../../bus/pci/drivers/snd_evil",
    );
    let pcm = format!("{pci}/sound/card0/pcmC0D0p");
    env.write(&format!("{pcm}/dev"), "116:16\n");
    env.symlink(
        "/sys/dev/char/116:16",
        "../../devices/pci0000:00/0000:00:1b.0/sound/card0/pcmC0D0p",
    );
    let mut tsv = String::from("# path\tkind\tmajor:minor\n/dev/snd/pcmC0D0p\tc\t116:16\n");
    let names: Vec<&str> = WILD.iter().chain(INJECT).copied().collect();
    for (i, n) in names.iter().enumerate() {
        let pid = 1000 + i;
        env.write(&format!("/proc/{pid}/comm"), &format!("{n}\n"));
        // Half run in a hostile systemd unit, half outside any unit (their
        // pids are listed instead).
        if i % 2 == 0 {
            env.write(
                &format!("/proc/{pid}/cgroup"),
                &format!("0::/system.slice/{}.service\n", n.replace('\n', " ")),
            );
        } else {
            env.write(
                &format!("/proc/{pid}/cgroup"),
                "0::/user.slice/session-1.scope\n",
            );
        }
        env.symlink(&format!("/proc/{pid}/fd/3"), "/dev/snd/pcmC0D0p");
    }

    // Filesystem: mount points escaped the way the kernel writes them.
    let mut mi = String::from("22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n");
    for (i, n) in names.iter().enumerate() {
        let mp = if n.starts_with('-') {
            n.to_string()
        } else {
            format!("/mnt/{n}")
        };
        mi.push_str(&format!(
            "{} 22 0:{} / {} rw - evilfs evil{i} rw\n",
            100 + i,
            50 + i,
            mangle(&mp)
        ));
    }
    env.write("/proc/self/mountinfo", &mi);

    // Block: a swap file on a disk the driver owns.
    let vd = "/sys/devices/pci0000:00/0000:00:05.0";
    env.symlink(&format!("{vd}/driver"), "../../../bus/pci/drivers/blk_evil");
    env.symlink(
        "/sys/bus/pci/drivers/blk_evil/module",
        "../../../../module/blk_evil",
    );
    let mut swaps = String::from("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
    for (i, n) in INJECT.iter().enumerate() {
        let name = format!("vd{n}");
        let blk = format!("{vd}/block/vd{i}");
        env.write(&format!("{blk}/dev"), &format!("254:{}\n", 16 * i));
        env.symlink(
            &format!("/sys/dev/block/254:{}", 16 * i),
            &format!("../../devices/pci0000:00/0000:00:05.0/block/vd{i}"),
        );
        env.write(
            &format!("/sys/class/block/{name}/dev"),
            &format!("254:{}\n", 16 * i),
        );
        swaps.push_str(&format!(
            "/dev/{}\tpartition\t1048572\t0\t-2\n",
            mangle(&name)
        ));
    }
    env.write("/proc/swaps", &swaps);

    // Network: interfaces with hostile names, up, one with the default route.
    let nd = "/sys/devices/pci0000:00/0000:00:03.0";
    env.symlink(&format!("{nd}/driver"), "../../../bus/pci/drivers/net_evil");
    env.symlink(
        "/sys/bus/pci/drivers/net_evil/module",
        "../../../../module/net_evil",
    );
    let mut route = String::from(
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n",
    );
    for (i, n) in names.iter().filter(|n| !n.contains('\n')).enumerate() {
        let dir = format!("{nd}/net/if{i}");
        env.write(&format!("{dir}/flags"), "0x1003\n");
        env.symlink(
            &format!("/sys/class/net/{n}"),
            &format!("../../devices/pci0000:00/0000:00:03.0/net/if{i}"),
        );
        if i == 0 && !n.contains(char::is_whitespace) {
            route.push_str(&format!(
                "{n}\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
            ));
        }
    }
    env.write("/proc/net/route", &route);
    env.write("/proc/net/ipv6_route", "");
    env.write(
        "/kmod-doctor-snapshot/session",
        "SSH_CONNECTION=10.0.2.2 50000 10.0.2.15 22\n",
    );
    env.write("/kmod-doctor-snapshot/devices.tsv", &{
        tsv.push('\n');
        tsv
    });
    env
}

/// The kernel's escaping of mountinfo and swaps fields.
fn mangle(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            ' ' | '\t' | '\n' | '\\' => out.push_str(&format!("\\{:03o}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

// ------------------------------------------------------------ execution

/// What a hostile name looks like once quoted: control and bidi characters
/// become `?`.
fn as_shown(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
            {
                '?'
            } else {
                c
            }
        })
        .collect()
}

/// Runs each command in `sh` with recording functions; returns the argv of
/// every call (first element the command name) and what else happened.
fn execute(commands: &[String]) -> (Vec<Vec<String>>, Vec<String>) {
    let t = tempfile::tempdir().unwrap();
    let log = t.path().join("argv.log");
    let mut prelude = String::from("PATH=/nonexistent\n");
    for c in COMMANDS {
        let f = c.replace('-', "_");
        prelude.push_str(&format!(
            "{f}() {{ printf '%s\\0' '{c}' \"$@\" >> '{}'; printf '\\n\\0' >> '{}'; }}\n",
            log.display(),
            log.display()
        ));
        if f != *c {
            prelude.push_str(&format!("alias {c}={f}\n"));
        }
    }
    let mut problems = Vec::new();
    for cmd in commands {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("{prelude}{cmd}\n"))
            .current_dir(t.path())
            .env_clear()
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("not found") || err.contains("Syntax error") || err.contains("syntax error")
        {
            problems.push(format!("{cmd:?}: {err}"));
        }
        if t.path().join("CANARY").exists() {
            problems.push(format!("{cmd:?}: INJECTED (CANARY created)"));
            std::fs::remove_file(t.path().join("CANARY")).unwrap();
        }
    }
    let raw = std::fs::read(&log).unwrap_or_default();
    let mut calls = Vec::new();
    let mut cur = Vec::new();
    for part in raw.split(|b| *b == 0) {
        if part == b"\n" {
            calls.push(std::mem::take(&mut cur));
        } else if !part.is_empty() || !cur.is_empty() {
            cur.push(String::from_utf8_lossy(part).into_owned());
        }
    }
    (calls, problems)
}

fn json(env: &TestEnv, args: &[&str]) -> (serde_json::Value, String) {
    let out = kd()
        .args(args)
        .args(["--format", "json", "--color", "never"])
        .root(env.path())
        .run();
    let (stdout, stderr) = (out.stdout, out.stderr);
    assert!(out.code >= 0, "{args:?}: signal");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    let v = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}\nstdout {stdout}\nstderr {stderr}"));
    (v, stderr)
}

/// Every `command` string anywhere in a JSON value.
fn commands_in(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if k == "command"
                    && let Some(s) = x.as_str()
                {
                    out.push(s.to_string());
                }
                commands_in(x, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| commands_in(x, out)),
        _ => {}
    }
}

/// Every query worth checking: the modules with hostile users, and every
/// hostile alias.
fn queries() -> Vec<String> {
    let mut q: Vec<String> = ["snd_evil", "evilfs", "blk_evil", "net_evil"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for i in 0..INJECT.len() {
        q.push(format!("evil-alias-{i}"));
        q.push(format!("conf-alias-{i}"));
    }
    q
}

/// All next-step commands of `check` on every query (JSON).
fn all_commands(env: &TestEnv) -> Vec<String> {
    let mut cmds = Vec::new();
    for q in queries() {
        let (v, _) = json(env, &["check", &q]);
        commands_in(&v, &mut cmds);
    }
    cmds.sort();
    cmds.dedup();
    cmds
}

// ----------------------------------------------------------------- tests

#[test]
fn next_steps_run_in_a_shell_do_only_what_they_say() {
    let env = hostile_root();
    let cmds = all_commands(&env);
    assert!(!cmds.is_empty());
    let (calls, problems) = execute(&cmds);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(!calls.is_empty(), "nothing recorded");
    // Every argument that contains part of a hostile name is exactly one
    // of the names (as shown), never a fragment.
    let shown: BTreeSet<String> = WILD
        .iter()
        .chain(INJECT)
        .flat_map(|n| {
            let s = as_shown(n);
            [
                s.clone(),
                format!("/mnt/{s}"),
                format!("/dev/vd{s}"),
                format!("{s}.service"),
                format!("vd{s}"),
            ]
        })
        .collect();
    let mut fragments = Vec::new();
    for call in &calls {
        for a in &call[1..] {
            let suspicious =
                a.contains("CANARY") || a.contains("echo${IFS}") || a.contains("rm -rf");
            if suspicious && !shown.contains(a) {
                fragments.push(format!("{call:?}: argument {a:?} is a fragment of a name"));
            }
        }
    }
    assert!(fragments.is_empty(), "{}", fragments.join("\n"));
}

/// The hostile names do reach the commands (otherwise the test above would
/// prove nothing): units, mounts, swaps and interfaces appear.
#[test]
fn hostile_names_reach_the_commands() {
    let env = hostile_root();
    let cmds = all_commands(&env);
    let (calls, _) = execute(&cmds);
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for call in &calls {
        for a in &call[1..] {
            if a.contains("CANARY") || a.contains("quote") || a.contains("a b") {
                seen.insert(call[0].as_str());
            }
        }
    }
    for want in ["modprobe", "systemctl", "umount"] {
        assert!(
            seen.contains(want),
            "no hostile name reached `{want}`: {seen:?}\n{}",
            cmds.join("\n")
        );
    }
}

/// A name starting with `-` is never an option: `umount -a` would unmount
/// every filesystem, `swapoff --all` every swap area, `ip link set -x`.
/// Regression: a mount point named `-a` in mountinfo gave `umount -a`.
#[test]
fn dashed_names_are_not_options() {
    let env = hostile_root();
    let cmds = all_commands(&env);
    let (calls, _) = execute(&cmds);
    let mut bad = Vec::new();
    for call in &calls {
        let dashdash = call.iter().position(|a| a == "--");
        for (i, a) in call.iter().enumerate().skip(1) {
            let ours = WILD.iter().any(|w| w.starts_with('-') && a == w);
            let protected = dashdash.is_some_and(|d| d < i) || (i > 0 && call[i - 1] == "dev");
            if ours && !protected {
                bad.push(format!("{call:?}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "names taken as options:\n{}",
        bad.join("\n")
    );
}

/// Text and Markdown: no raw control characters at all (colour off), so a
/// name cannot move the cursor, retitle the terminal, or forge a line.
#[test]
fn text_and_markdown_carry_no_control_characters() {
    let env = hostile_root();
    let mut bad = Vec::new();
    for q in queries() {
        for format in ["text", "markdown"] {
            let out = kd()
                .args(["check", "--color", "never", "--format", format])
                .root(env.path())
                .arg(&q)
                .run();
            for (stream, s) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                if let Some(c) = s.chars().find(|c| {
                    (c.is_control() && *c != '\n' && *c != '\t')
                        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
                }) {
                    bad.push(format!("{q} {format} {stream}: raw {c:?}"));
                }
                if s.lines().any(|l| l.trim_start().starts_with("rm -rf /")) {
                    bad.push(format!("{q} {format} {stream}: forged line"));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Commands in Markdown are inside code spans or blocks that a hostile name
/// cannot close (backticks in names).
#[test]
fn markdown_code_is_not_broken_out_of() {
    let env = hostile_root();
    for q in queries() {
        let out = kd()
            .args(["check", "--color", "never", "--format", "markdown"])
            .root(env.path())
            .arg(&q)
            .run();
        let md = &out.stdout;
        // Fences balance: an odd count would mean a name closed a block.
        let fences = md
            .lines()
            .filter(|l| l.trim_start().starts_with("```"))
            .count();
        assert_eq!(fences % 2, 0, "{q}: unbalanced code fences\n{md}");
    }
}

/// shell_quote on its own, through a real shell, for names of every kind.
#[test]
fn shell_quote_round_trips_through_sh() {
    use kmod_doctor::shell::shell_quote;
    let names: Vec<String> = WILD
        .iter()
        .chain(INJECT)
        .map(|s| s.to_string())
        .chain(
            [
                "", "plain", "é日本", "a\tb", "\\", "'", "''", "\"", "$", "!", "*", "~", "#x",
            ]
            .map(String::from),
        )
        .collect();
    let t = tempfile::tempdir().unwrap();
    for n in names {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s' {}", shell_quote(&n)))
            .current_dir(t.path())
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            as_shown(&n),
            "{n:?} quoted as {}",
            shell_quote(&n)
        );
        assert!(!Path::new(&t.path().join("CANARY")).exists(), "{n:?}");
    }
}

/// The harness itself: an unquoted name is caught, a quoted one recorded
/// as one argument, and builtins such as `kill` are never reached.
#[test]
fn the_harness_detects_injection() {
    let (calls, problems) = execute(&["modprobe --remove $(echo x>>CANARY)".to_string()]);
    assert!(
        problems.iter().any(|p| p.contains("INJECTED")),
        "{problems:?}"
    );
    assert_eq!(
        calls,
        vec![vec!["modprobe".to_string(), "--remove".to_string()]]
    );
    let (calls, problems) = execute(&["umount '/mnt/a b' && kill 1".to_string()]);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        calls,
        vec![
            vec!["umount".to_string(), "/mnt/a b".to_string()],
            vec!["kill".to_string(), "1".to_string()]
        ]
    );
    let (_, problems) = execute(&["nosuchcommand x".to_string()]);
    assert!(!problems.is_empty(), "unknown commands are reported");
}
