//! Hostile or broken input: bad module names, broken roots, malformed site
//! rules, names from /proc that would be unsafe in a shell. The tool must
//! answer with a clear message and the documented exit code, never a panic.

use crate::common::*;

fn assert_no_panic(out: &Out) {
    assert!(
        !out.stderr.contains("panicked") && !out.stderr.contains("RUST_BACKTRACE"),
        "panic: {}",
        out.stderr
    );
    assert_ne!(out.code, 101, "exit 101 is a panic: {}", out.stderr);
}

// ------------------------------------------------------------ module names

#[test]
fn invalid_module_names_are_usage_errors() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    let long = "a".repeat(300);
    let cases: &[(&str, &str)] = &[
        ("../x", "'/'"),
        ("a/b", "'/'"),
        ("a b", "whitespace"),
        ("a\nb", "whitespace"),
        ("a\tb", "whitespace"),
        ("$(reboot)", "'$'"),
        ("`reboot`", "'`'"),
        ("x;reboot", "';'"),
        ("a\u{1b}[31m", "control character"),
        ("..", "only dots"),
        ("", "empty"),
        (&long, "longer than"),
    ];
    for (name, why) in cases {
        for fmt in ["text", "json"] {
            let out = env.run(&["check", "--format", fmt, name]);
            assert_no_panic(&out);
            assert_eq!(out.code, 2, "{name:?}: {}", out.stderr);
            assert!(
                out.stdout.is_empty(),
                "{name:?}: nothing on stdout, got {}",
                out.stdout
            );
            assert!(
                out.stderr.starts_with("kmod-doctor: "),
                "{name:?}: {}",
                out.stderr
            );
            assert!(
                out.stderr.contains("module name"),
                "{name:?}: {}",
                out.stderr
            );
            assert!(
                out.stderr.contains(why),
                "{name:?}: expected {why:?} in {}",
                out.stderr
            );
            // The message must not echo control characters raw.
            assert!(
                !out.stderr.trim_end().contains(['\n', '\u{1b}']),
                "{name:?}: raw control in {:?}",
                out.stderr
            );
        }
    }
}

#[test]
fn one_invalid_name_fails_the_whole_call() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    let out = env.run(&["check", "--format", "json", "dummy", "a/b"]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn names_that_look_like_options_are_not_modules() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    let out = env.run(&["check", "--frobnicate", "dummy"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    // Even after `--`, a leading dash is refused: no module name starts
    // with one, and printed steps must never turn it into an option.
    let root = env.path().to_str().unwrap();
    let out = run_raw(&["--root", root, "check", "--format", "json", "--", "-dummy"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("leading '-'"), "{}", out.stderr);
}

#[test]
fn alias_style_queries_are_accepted() {
    let env = TestEnv::new();
    for q in [
        "pci:v00008086d*",
        "char-major-10-238",
        "fs-ext4",
        "net-pf-1",
        "a+b",
        "x@y",
    ] {
        let out = env.run(&["check", "--format", "json", q]);
        assert_no_panic(&out);
        assert_eq!(out.code, 16, "{q}: {}", out.stderr);
    }
}

#[test]
fn usage_errors() {
    let env = TestEnv::new();
    for args in [
        &["check"][..],
        &["frobnicate"],
        &["check", "--format", "yaml", "x"],
        &["check", "--color", "sometimes", "x"],
        &["check", "-S", "../x", "x"],
        &["check", "-S", "", "x"],
    ] {
        let out = env.run(args);
        assert_no_panic(&out);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(!out.stderr.is_empty(), "{args:?}: no message");
    }
}

#[test]
fn help_and_version_exit_zero() {
    let out = run_raw(&["--help"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("Exit status"), "{}", out.stdout);
    let out = run_raw(&["--version"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains(env!("CARGO_PKG_VERSION")));
}

// ------------------------------------------------------------------ roots

#[test]
fn missing_root_is_a_tool_failure() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-root");
    let out = run_in(&missing, &["check", "dummy"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.starts_with("kmod-doctor: "), "{}", out.stderr);
    assert!(
        out.stderr.contains("no-such-root"),
        "message should name the root: {}",
        out.stderr
    );
    assert!(out.stderr.contains("not found"), "{}", out.stderr);
}

#[test]
fn root_that_is_a_plain_file_is_a_tool_failure() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("root.txt");
    std::fs::write(&f, "not a root").unwrap();
    let out = run_in(&f, &["check", "dummy"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("root.txt"), "{}", out.stderr);
}

#[test]
fn corrupt_snapshot_archive_is_a_tool_failure() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("snap.tar.gz");
    std::fs::write(&f, b"\x1f\x8b\x08\x00garbage").unwrap();
    let out = run_in(&f, &["check", "dummy"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("snap.tar.gz"), "{}", out.stderr);
}

#[test]
fn empty_root_never_says_safe() {
    // Issue 12: an empty directory is not a Linux root; it is refused (exit 1)
    // rather than read as a kernel without module support.
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["check", "--format", "json", "dummy"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("not a Linux root"), "{}", out.stderr);
}

#[test]
fn hostile_files_do_not_panic() {
    // Odd bytes and shapes in every file the tool parses: an answer, never a panic.
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    let lm = format!("/lib/modules/{RELEASE}");
    env.write_bytes(
        &format!("{lm}/modules.alias"),
        b"alias\nalias a\xffb dummy\n",
    );
    env.write_bytes(&format!("{lm}/modules.builtin"), b"\xff\xfe\n");
    env.write_bytes(
        &format!("{lm}/modules.builtin.modinfo"),
        b"no-equals\0\xff=\0",
    );
    env.write_bytes("/proc/sys/kernel/tainted", b"-1\n");
    env.write_bytes(
        "/proc/sys/kernel/osrelease",
        format!("{RELEASE}\n").as_bytes(),
    );
    env.write_bytes(
        "/etc/modprobe.d/bad.conf",
        b"softdep\nremove\ninstall x\n\xff\xfe\nalias\n\\",
    );
    env.write_bytes("/sys/module/dummy/refcnt", b"lots\n");
    for m in ["dummy", "pci:v*", "nosuch"] {
        let out = env.run(&["check", "--format", "json", m]);
        assert_no_panic(&out);
        assert!(
            matches!(out.code, 0 | 10..=16),
            "{m}: exit {} {}",
            out.code,
            out.stderr
        );
        serde_json::from_str::<serde_json::Value>(&out.stdout)
            .unwrap_or_else(|e| panic!("{m}: {e}: {}", out.stdout));
    }
}

#[test]
fn osrelease_with_a_slash_is_not_followed() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.write("/proc/sys/kernel/osrelease", "../../etc\n");
    let out = env.run(&["check", "--format", "json", "dummy"]);
    assert_no_panic(&out);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(v["kernel"]["release"].is_null(), "{}", out.stdout);
    assert_ne!(v["verdict"], "safe", "{}", out.stdout);
}

// ------------------------------------------------------------ site rules

fn site_rules(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(d.path().join(name), text).unwrap();
    }
    d
}

fn with_rules(env: &TestEnv, dir: &tempfile::TempDir, extra: &[&str]) -> Out {
    let mut args = vec!["--rules-dir", dir.path().to_str().unwrap()];
    args.extend_from_slice(extra);
    env.run(&args)
}

const FLEET: &str = r#"# Fleet rules
[[rule]]
id = "fleet-critical"
severity = "critical"
verdict = "danger"
summary = "Carries the fleet's storage"
when = "module.name == \"mpt3sas\""
message = "{module.name} drives the SAS disks every host boots from."

[[rule.steps]]
phase = 10
command = "fleetctl drain {module.name}"
why = "Drain the host before touching {module.name}."
"#;

#[test]
fn site_rule_adds_a_danger() {
    let mut env = TestEnv::new();
    env.dep("mpt3sas", &[])
        .idle("mpt3sas")
        .dep("dummy", &[])
        .idle("dummy");
    let d = site_rules(&[("fleet.toml", FLEET)]);
    let out = with_rules(&env, &d, &["check", "--format", "json", "mpt3sas"]);
    assert_eq!(out.code, 13, "{}{}", out.stdout, out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "danger");
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "fleet-critical")
        .expect("fired");
    assert_eq!(f["severity"], "critical");
    assert_eq!(
        f["message"],
        "mpt3sas drives the SAS disks every host boots from."
    );
    let cmds: Vec<&str> = v["next_steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["command"].as_str().unwrap())
        .collect();
    assert_eq!(cmds[0], "fleetctl drain mpt3sas", "{cmds:?}");

    // Other modules are untouched.
    let out = with_rules(&env, &d, &["check", "--format", "json", "dummy"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    // A blocked module stays blocked: danger does not outrank a refusal.
    let mut env = TestEnv::new();
    env.dep("mpt3sas", &[]).loaded("mpt3sas", 4, "-", "Live");
    let out = with_rules(&env, &d, &["check", "--format", "json", "mpt3sas"]);
    assert_eq!(out.code, 14, "{}", out.stdout);
}

#[test]
fn site_rule_with_a_builtin_id_replaces_it() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.modprobe_conf("bl.conf", "blacklist dummy\n");
    let retuned = r#"[[rule]]
id = "blacklisted"
severity = "warning"
verdict = "caution"
summary = "Blacklisted modules are being phased out on this fleet"
when = "module.blacklisted"
message = "{module.name} is blacklisted: ask #kernel before unloading it."
"#;
    let d = site_rules(&[("50-retune.toml", retuned)]);
    let out = with_rules(&env, &d, &["check", "--format", "json", "dummy"]);
    assert_eq!(out.code, 11, "{}{}", out.stdout, out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "caution");
    let found: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "blacklisted")
        .collect();
    assert_eq!(
        found.len(),
        1,
        "the built-in must be replaced, not duplicated: {}",
        out.stdout
    );
    assert_eq!(found[0]["severity"], "warning");
    assert_eq!(
        found[0]["message"],
        "dummy is blacklisted: ask #kernel before unloading it."
    );

    let listing = with_rules(&env, &d, &["rules", "--format", "json"]);
    // The listing carries the same envelope as every JSON document.
    let rules_of = |stdout: &str| -> Vec<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_str(stdout).unwrap();
        assert_eq!(v["schema_version"], 1);
        v["rules"].as_array().unwrap().clone()
    };
    let rules = rules_of(&listing.stdout);
    let builtin = rules_of(&run_raw(&["rules", "--format", "json"]).stdout);
    assert_eq!(rules.len(), builtin.len(), "replacing must not add a rule");
    let r = rules.iter().find(|r| r["id"] == "blacklisted").unwrap();
    assert!(
        r["origin"].as_str().unwrap().ends_with("50-retune.toml"),
        "{r}"
    );
    assert_eq!(
        r["summary"],
        "Blacklisted modules are being phased out on this fleet"
    );
}

/// A malformed rule file: exit 1, and the message names the file and line.
fn assert_rule_error(text: &str, line: usize, what: &str) {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    let d = site_rules(&[("10-ok.toml", FLEET), ("20-bad.toml", text)]);
    for cmd in [&["check", "dummy"][..], &["rules"]] {
        let out = with_rules(&env, &d, cmd);
        assert_no_panic(&out);
        assert_eq!(out.code, 1, "{cmd:?} {text:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        let want = format!("20-bad.toml:{line}:");
        assert!(
            out.stderr.contains(&want),
            "expected {want:?} in {:?}",
            out.stderr
        );
        assert!(
            out.stderr.contains(what),
            "expected {what:?} in {:?}",
            out.stderr
        );
    }
}

#[test]
fn malformed_toml_names_file_and_line() {
    assert_rule_error(
        "[[rule]]\nid = \"x\"\nseverity = \"info\nsummary = \"s\"\n",
        3,
        "",
    );
}

#[test]
fn unknown_fact_names_file_and_line() {
    assert_rule_error(
        "# c\n[[rule]]\nid = \"x\"\nseverity = \"info\"\nsummary = \"s\"\nwhen = \"module.nope\"\nmessage = \"m\"\n",
        6,
        "module.nope",
    );
}

#[test]
fn bad_severity_names_file_and_line() {
    assert_rule_error(
        "[[rule]]\nid = \"x\"\nseverity = \"fatal\"\nsummary = \"s\"\nwhen = \"module.loaded\"\nmessage = \"m\"\n",
        3,
        "fatal",
    );
}

#[test]
fn bad_template_names_file_and_line() {
    assert_rule_error(
        "[[rule]]\nid = \"x\"\nseverity = \"info\"\nsummary = \"s\"\nwhen = \"module.loaded\"\nmessage = \"{module.nope}\"\n",
        6,
        "module.nope",
    );
}

#[test]
fn bad_rule_id_names_file_and_line() {
    assert_rule_error(
        "[[rule]]\nid = \"Bad Id\"\nseverity = \"info\"\nsummary = \"s\"\nwhen = \"module.loaded\"\nmessage = \"m\"\n",
        2,
        "Bad Id",
    );
}

#[test]
fn unknown_field_names_file_and_line() {
    assert_rule_error(
        "[[rule]]\nid = \"x\"\nseverity = \"info\"\nsummary = \"s\"\nwhen = \"module.loaded\"\nmessage = \"m\"\nwhenn = \"x\"\n",
        7,
        "whenn",
    );
}

#[test]
fn duplicate_id_in_one_file_names_file_and_line() {
    let one = "[[rule]]\nid = \"dup\"\nseverity = \"info\"\nsummary = \"s\"\nwhen = \"module.loaded\"\nmessage = \"m\"\n";
    assert_rule_error(&format!("{one}\n{one}"), 9, "dup");
}

#[test]
fn missing_rules_dir_is_a_tool_failure() {
    let env = TestEnv::new();
    let out = env.run(&["--rules-dir", "/nonexistent/kmod-doctor-rules", "rules"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("/nonexistent/kmod-doctor-rules"),
        "{}",
        out.stderr
    );
}

#[test]
fn non_toml_files_in_rules_dir_are_ignored() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    let d = site_rules(&[("README", "not toml [[["), ("fleet.toml.bak", "[[[")]);
    let out = with_rules(&env, &d, &["check", "--format", "json", "dummy"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

// ------------------------------------------------------------ shell safety

/// True when `cmd` is a sequence of words that are either made of characters
/// no shell interprets, or single-quoted (with `'\''` splices).
fn shell_safe(cmd: &str) -> bool {
    const SAFE: &[u8] = b"_@%+=:,./-";
    let b = cmd.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' {
            match cmd[i + 1..].find('\'') {
                Some(end) => {
                    if cmd[i + 1..i + 1 + end].chars().any(|c| c.is_control()) {
                        return false;
                    }
                    i += end + 2;
                }
                None => return false,
            }
        } else if c == b'\\' && b.get(i + 1) == Some(&b'\'') {
            i += 2;
        } else if c == b' ' || c.is_ascii_alphanumeric() || SAFE.contains(&c) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

#[test]
fn shell_safe_checker_itself() {
    assert!(shell_safe("modprobe --remove br_netfilter"));
    assert!(shell_safe("modprobe --remove 'a b'"));
    assert!(shell_safe("echo 'it'\\''s'"));
    assert!(!shell_safe("modprobe --remove $(reboot)"));
    assert!(!shell_safe("modprobe --remove a;b"));
    assert!(!shell_safe("modprobe --remove 'open"));
    assert!(!shell_safe("a `b`"));
}

/// Holders with the oddest names /proc/modules can carry.
fn odd_holders_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("core", &[]);
    env.proc_line("core 16384 4 a.b,x-y,9p,Z_z, Live 0x0");
    for h in ["a.b", "x-y", "9p", "Z_z"] {
        env.proc_line(&format!("{h} 16384 0 - Live 0x0"));
    }
    env
}

#[test]
fn next_steps_of_a_blocked_module_are_shell_safe() {
    let env = odd_holders_env();
    let c = check1(&env, "core");
    assert_eq!(c.verdict(), "blocked", "{}", c.why());
    let cmds = c.commands();
    assert!(cmds.len() >= 5, "{cmds:?}");
    for cmd in &cmds {
        assert!(shell_safe(cmd), "unsafe command {cmd:?}");
    }
    // None of the holders is in modules.dep: modprobe cannot find them, so
    // the plan removes them with rmmod.
    for h in ["a.b", "x-y", "9p", "Z_z"] {
        assert!(
            cmds.iter().any(|c| c == &format!("rmmod {h}")),
            "{h}: {cmds:?}"
        );
    }
}

#[test]
fn hostile_sysfs_holder_names_stay_out_of_commands_and_terminals() {
    let mut env = TestEnv::new();
    env.dep("bridge", &[]).dep("br_netfilter", &["bridge"]);
    env.idle("br_netfilter")
        .loaded("bridge", 1, "br_netfilter,", "Live");
    env.symlink("/sys/module/bridge/holders/$(reboot)", "../../br_netfilter");
    env.symlink(
        "/sys/module/bridge/holders/evil\u{1b}[2J\n",
        "../../br_netfilter",
    );
    let c = check1(&env, "bridge");
    assert_eq!(c.verdict(), "blocked", "{}", c.why());
    for cmd in c.commands() {
        assert!(shell_safe(&cmd), "unsafe command {cmd:?}");
        assert!(!cmd.contains("reboot"), "{cmd:?}");
    }
    for fmt in ["text", "markdown"] {
        let out = env.run(&["check", "--format", fmt, "--color", "never", "bridge"]);
        assert!(
            !out.stdout.contains('\u{1b}'),
            "{fmt}: raw escape reached the output: {:?}",
            out.stdout
        );
    }
}

#[test]

fn holder_named_like_an_option_is_not_an_option() {
    // A hostile snapshot can put any valid-looking name in /proc/modules; a
    // holder called `-f` must not turn `modprobe --remove {item}` into a
    // forced removal.
    let mut env = TestEnv::new();
    env.dep("core", &[]);
    env.proc_line("core 16384 2 -f,--force, Live 0x0");
    env.proc_line("-f 16384 0 - Live 0x0");
    env.proc_line("--force 16384 0 - Live 0x0");
    let out = env.run(&["check", "--format", "json", "core"]);
    assert_no_panic(&out);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let options = [
        "--remove",
        "--dry-run",
        "--verbose",
        "--show-depends",
        "--level=err,warn",
        "--",
    ];
    for s in v["next_steps"].as_array().into_iter().flatten() {
        let cmd = s["command"].as_str().unwrap();
        let mut after_dashdash = false;
        for w in cmd.split_whitespace() {
            if w == "--" {
                after_dashdash = true;
            }
            assert!(
                after_dashdash || !w.starts_with('-') || options.contains(&w),
                "{cmd:?}: a module name is read as option {w:?}"
            );
        }
    }
}

// ------------------------------------------------- hostile snapshot shapes

#[test]
fn holder_cycle_does_not_hang() {
    let mut env = TestEnv::new();
    env.dep("a", &[]).dep("b", &[]);
    env.proc_line("a 16384 1 b, Live 0x0")
        .proc_line("b 16384 1 a, Live 0x0");
    let c = check1(&env, "a");
    assert_eq!(c.verdict(), "blocked", "{}", c.why());
    assert_eq!(c.list("/module_info/removal_order"), vec!["b"]);
}

#[test]
fn long_holder_chain_is_fine() {
    let env = TestEnv::new();
    let n = 2000;
    let mut text = String::new();
    for i in 0..n {
        let used_by = if i + 1 < n {
            format!("m{},", i + 1)
        } else {
            "-".into()
        };
        text.push_str(&format!(
            "m{i} 16384 {} {used_by} Live 0x0\n",
            usize::from(i + 1 < n)
        ));
    }
    env.proc_modules_bytes(text.as_bytes());
    let c = check1(&env, "m0");
    assert_eq!(c.verdict(), "blocked", "{}", c.why());
    let order = c.list("/module_info/removal_order");
    assert_eq!(order.len(), n - 1);
    assert_eq!(order[0], format!("m{}", n - 1), "deepest first");
}

/// A snapshot can carry any /proc/modules: a chain of holders deep enough to
/// exhaust the stack of a recursive walk must still get an answer.
#[test]

fn very_deep_holder_chain_does_not_overflow_the_stack() {
    let env = TestEnv::new();
    let n = 150_000;
    let mut text = String::with_capacity(n * 32);
    for i in 0..n {
        if i + 1 < n {
            text.push_str(&format!("m{i} 1 1 m{}, Live 0x0\n", i + 1));
        } else {
            text.push_str(&format!("m{i} 1 0 - Live 0x0\n"));
        }
    }
    env.proc_modules_bytes(text.as_bytes());
    let out = env.run(&["check", "--format", "json", "m0"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 14, "{}", out.stderr);
}

/// Block devices stacked in a cycle through `slaves/` (impossible on a real
/// kernel, easy in a hostile snapshot).
#[test]

fn block_slaves_cycle_does_not_overflow_the_stack() {
    let mut env = TestEnv::new();
    env.dep("dm_mod", &[]).loaded("dm_mod", 1, "-", "Live");
    env.write(
        "/proc/self/mountinfo",
        "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/dm-0 rw\n",
    );
    env.mkdir("/sys/devices/virtual/block/dm-0/slaves");
    env.mkdir("/sys/devices/virtual/block/dm-1/slaves");
    env.symlink("/sys/devices/virtual/block/dm-0/slaves/dm-1", "../../dm-1");
    env.symlink("/sys/devices/virtual/block/dm-1/slaves/dm-0", "../../dm-0");
    env.symlink("/sys/dev/block/254:1", "../../devices/virtual/block/dm-0");
    let out = env.run(&["check", "--format", "json", "dm_mod"]);
    assert_no_panic(&out);
    assert!(
        matches!(out.code, 11..=14),
        "exit {}: {}",
        out.code,
        out.stderr
    );
}

// --------------------------------------------------------- Markdown tables

/// Cells in a GFM table row: `|` separators not escaped with a backslash
/// (a `|` inside a code span still splits the cell in GFM).
fn gfm_cells(row: &str) -> usize {
    let b = row.as_bytes();
    let seps = (0..b.len())
        .filter(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
        .count();
    seps.saturating_sub(1)
}

#[test]

fn markdown_tables_survive_pipes_in_evidence() {
    // A pipe in a modprobe.d remove command is ordinary; one in a sysfs name is hostile.
    let mut env = TestEnv::new();
    env.dep("bridge", &[]).dep("br_netfilter", &["bridge"]);
    env.idle("br_netfilter")
        .loaded("bridge", 1, "br_netfilter,", "Live");
    env.modprobe_conf(
        "x.conf",
        "remove bridge /sbin/modprobe -r br_netfilter | true\n",
    );
    env.symlink("/sys/module/bridge/holders/a|b", "../../br_netfilter");
    let out = env.run(&["check", "--format", "markdown", "bridge"]);
    for row in out
        .stdout
        .lines()
        .filter(|l| l.starts_with("| `") && !l.starts_with("| `6.1"))
    {
        assert_eq!(gfm_cells(row), 4, "a findings row must have 4 cells: {row}");
    }
}

#[test]
fn markdown_tables_have_four_cells() {
    let mut env = TestEnv::new();
    env.dep("bridge", &[]).dep("br_netfilter", &["bridge"]);
    env.idle("br_netfilter")
        .loaded("bridge", 1, "br_netfilter,", "Live");
    env.modprobe_conf("x.conf", "remove bridge /bin/echo <b>*x*</b> `y`\n");
    let out = env.run(&["check", "--format", "markdown", "bridge"]);
    let rows: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("| `"))
        .collect();
    assert!(rows.len() >= 3, "{}", out.stdout);
    for row in rows.iter().filter(|r| !r.starts_with("| `6.1")) {
        assert_eq!(gfm_cells(row), 4, "{row}");
        assert!(!row.contains("<b>*x*</b> `y`|"), "{row}");
    }
}
