//! Pinned output: text, JSON and Markdown for representative verdicts, colour
//! handling, and the `rules` listing.

use crate::common::*;

/// Snapshots the three formats of `check MODULE` and returns the JSON report.
fn pin(name: &str, env: &TestEnv, module: &str, code: i32) -> serde_json::Value {
    let text = env.run(&["check", module]);
    assert_eq!(
        text.code, code,
        "{name} text: {}{}",
        text.stdout, text.stderr
    );
    assert!(
        text.stderr.is_empty(),
        "{name}: unexpected stderr {}",
        text.stderr
    );
    insta::assert_snapshot!(format!("{name}_text"), text.stdout);

    let json = env.run(&["check", "--format", "json", module]);
    assert_eq!(json.code, code, "{name} json");
    insta::assert_snapshot!(format!("{name}_json"), redact_version(&json.stdout));

    let md = env.run(&["check", "--format", "markdown", module]);
    assert_eq!(md.code, code, "{name} markdown");
    insta::assert_snapshot!(format!("{name}_markdown"), redact_version(&md.stdout));

    serde_json::from_str(&json.stdout).unwrap()
}

#[test]
fn idle_outputs() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    let v = pin("idle", &env, "dummy", 0);
    assert_eq!(v["verdict"], "safe");
}

#[test]
fn held_outputs() {
    let env = bridge_env();
    let v = pin("held", &env, "bridge", 14);
    assert_eq!(v["verdict"], "blocked");
}

#[test]

fn builtin_outputs() {
    let mut env = TestEnv::new();
    env.builtin("unix");
    let v = pin("builtin", &env, "unix", 15);
    assert_eq!(v["verdict"], "builtin");
}

#[test]

fn not_found_outputs() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    let v = pin("not_found", &env, "nosuchmod", 16);
    assert_eq!(v["verdict"], "not-found");
}

#[test]
fn alias_outputs() {
    let mut env = TestEnv::new();
    env.mkdir("/sys/devices");
    env.dep("vhost_net", &[]).idle("vhost_net");
    env.alias("devname:vhost-net", "vhost_net")
        .alias("char-major-10-238", "vhost_net");
    let v = pin("alias", &env, "char-major-10-238", 0);
    assert_eq!(v["resolved_from"]["via"], "alias");
}

#[test]
fn unknown_outputs() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.remove("/proc/sys/kernel/modules_disabled");
    let v = pin("unknown", &env, "dummy", 12);
    assert_eq!(v["verdict"], "unknown");
}

#[test]
fn several_modules_markdown_and_text_are_separated() {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy").dep("absent", &[]);
    let md = env.run(&["check", "--format", "markdown", "dummy", "absent"]);
    assert_eq!(md.code, 10);
    assert_eq!(
        md.stdout.matches("## kmod-doctor: ").count(),
        2,
        "{}",
        md.stdout
    );
    assert!(md.stdout.contains("\n---\n"), "{}", md.stdout);
    let text = env.run(&["check", "dummy", "absent"]);
    let a = text.stdout.find("SAFE  dummy").expect("dummy first");
    let b = text
        .stdout
        .find("NOT-LOADED  absent")
        .expect("absent second");
    assert!(a < b, "{}", text.stdout);
}

#[test]
fn text_fits_80_columns() {
    let mut env = TestEnv::new();
    env.dep("br_netfilter", &["bridge"]).dep("bridge", &[]);
    env.idle("br_netfilter")
        .loaded("bridge", 3, "br_netfilter,", "Live");
    env.modprobe_conf(
        "x.conf",
        "softdep bridge pre: a b c d e f g post: h i j k l m n o p\nblacklist bridge\n",
    );
    env.write("/proc/sys/kernel/tainted", "12289\n");
    for m in ["bridge", "br_netfilter", "nosuch"] {
        let out = env.run(&["check", m]);
        for l in out.stdout.lines() {
            assert!(
                l.chars().count() <= 80,
                "line longer than 80 columns: {l:?}"
            );
        }
    }
}

// ----------------------------------------------------------------- colour

const ESC: char = '\u{1b}';

fn colour_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env
}

#[test]
fn color_always_colours_text() {
    let env = colour_env();
    let out = env.run(&["check", "--color", "always", "dummy"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains(ESC), "{:?}", out.stdout);
}

#[test]
fn color_never_is_plain() {
    let env = colour_env();
    let out = run_in_env(
        env.path(),
        &["check", "--color", "never", "dummy"],
        &[("CLICOLOR_FORCE", "1")],
    );
    assert_eq!(out.code, 0);
    assert!(!out.stdout.contains(ESC), "{:?}", out.stdout);
}

#[test]
fn json_and_markdown_never_colour() {
    let env = colour_env();
    for fmt in ["json", "markdown"] {
        let out = run_in_env(
            env.path(),
            &["check", "--format", fmt, "--color", "always", "dummy"],
            &[("CLICOLOR_FORCE", "1")],
        );
        assert_eq!(out.code, 0, "{fmt}");
        assert!(!out.stdout.contains(ESC), "{fmt}: {:?}", out.stdout);
    }
    let out = env.run(&["check", "--format", "json", "--color", "always", "dummy"]);
    serde_json::from_str::<serde_json::Value>(&out.stdout)
        .expect("JSON stays parsable with --color always");
}

#[test]
fn no_color_turns_auto_off() {
    let env = colour_env();
    let out = run_in_env(env.path(), &["check", "dummy"], &[("NO_COLOR", "1")]);
    assert!(!out.stdout.contains(ESC), "{:?}", out.stdout);
    // NO_COLOR wins over CLICOLOR_FORCE.
    let out = run_in_env(
        env.path(),
        &["check", "dummy"],
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
    );
    assert!(!out.stdout.contains(ESC), "{:?}", out.stdout);
}

#[test]
fn clicolor_force_turns_auto_on_through_a_pipe() {
    let env = colour_env();
    let out = run_in_env(env.path(), &["check", "dummy"], &[("CLICOLOR_FORCE", "1")]);
    assert!(out.stdout.contains(ESC), "{:?}", out.stdout);
    let out = run_in_env(
        env.path(),
        &["check", "--color", "auto", "dummy"],
        &[("CLICOLOR_FORCE", "1")],
    );
    assert!(out.stdout.contains(ESC), "{:?}", out.stdout);
}

#[test]
fn auto_through_a_pipe_is_plain() {
    let env = colour_env();
    let out = env.run(&["check", "dummy"]);
    assert!(!out.stdout.contains(ESC), "{:?}", out.stdout);
    let out = run_in_env(env.path(), &["check", "dummy"], &[("CLICOLOR_FORCE", "0")]);
    assert!(!out.stdout.contains(ESC), "{:?}", out.stdout);
}

#[test]
fn colour_stripped_equals_plain() {
    let env = colour_env();
    let plain = env.run(&["check", "--color", "never", "dummy"]).stdout;
    let coloured = env.run(&["check", "--color", "always", "dummy"]).stdout;
    assert_eq!(strip_ansi(&coloured), plain);
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == ESC && it.peek() == Some(&'[') {
            it.next();
            for d in it.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ------------------------------------------------------------------ rules

fn rules_json() -> Vec<serde_json::Value> {
    let out = run_raw(&["rules", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["schema_version"], 1, "the common envelope");
    v["rules"].as_array().unwrap().clone()
}

#[test]
fn rules_json_has_id_severity_summary() {
    let rules = rules_json();
    assert!(rules.len() >= 20, "only {} rules", rules.len());
    let mut ids = Vec::new();
    for r in &rules {
        let id = r["id"].as_str().expect("id");
        assert!(
            !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{id}"
        );
        let sev = r["severity"].as_str().expect("severity");
        assert!(
            ["info", "warning", "error", "critical"].contains(&sev),
            "{id}: {sev}"
        );
        assert!(!r["summary"].as_str().expect("summary").is_empty(), "{id}");
        assert!(!r["when"].as_str().expect("when").is_empty(), "{id}");
        assert!(r["verdict"].is_null() || r["verdict"].is_string(), "{id}");
        let origin = r["origin"].as_str().expect("origin");
        assert!(
            origin.starts_with("rules/") && origin.ends_with(".toml"),
            "{id}: {origin}"
        );
        ids.push(id.to_string());
    }
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate rule ids");
}

#[test]
fn rules_text_lists_every_rule() {
    let out = run_raw(&["rules"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rules = rules_json();
    assert_eq!(out.stdout.lines().count(), rules.len(), "{}", out.stdout);
    for r in &rules {
        let id = r["id"].as_str().unwrap();
        let line = out
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("rule {id} missing from `rules`:\n{}", out.stdout));
        assert!(line.contains(r["severity"].as_str().unwrap()), "{line}");
        assert!(line.contains(r["summary"].as_str().unwrap()), "{line}");
        let verdict = r["verdict"].as_str().unwrap_or("-");
        assert!(line.split_whitespace().any(|w| w == verdict), "{line}");
    }
}

#[test]
fn rules_markdown_lists_every_rule() {
    let out = run_raw(&["rules", "--format", "markdown"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rules = rules_json();
    assert_eq!(
        out.stdout.lines().count(),
        rules.len() + 2,
        "{}",
        out.stdout
    );
    for r in &rules {
        let id = r["id"].as_str().unwrap();
        assert!(
            out.stdout
                .contains(&format!("| `{id}` | {} |", r["severity"].as_str().unwrap())),
            "{id}"
        );
    }
}

#[test]
fn rules_with_root_and_rules_dir() {
    let env = TestEnv::new();
    let site = tempfile::tempdir().unwrap();
    std::fs::write(
        site.path().join("fleet.toml"),
        "[[rule]]\nid = \"fleet-critical\"\nseverity = \"critical\"\nverdict = \"danger\"\nsummary = \"Fleet storage driver\"\nwhen = \"module.name == \\\"mpt3sas\\\"\"\nmessage = \"{module.name} carries the fleet's disks.\"\n",
    )
    .unwrap();
    let out = env.run(&[
        "rules",
        "--format",
        "json",
        "--rules-dir",
        site.path().to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let r = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "fleet-critical")
        .expect("site rule listed");
    assert_eq!(r["severity"], "critical");
    assert_eq!(r["verdict"], "danger");
    assert!(r["origin"].as_str().unwrap().ends_with("fleet.toml"));
    assert_eq!(v["rules"].as_array().unwrap().len(), rules_json().len() + 1);
}
