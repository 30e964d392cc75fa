//! `kmod-doctor explain`: every message in tests/fixtures/messages/ (verbatim
//! from kmod and busybox runs in the VM suite, or from their source where the
//! VM cannot provoke them) is recognised as its `# expect:` line says; every
//! removal error the VM suite captured is recognised; and the command runs
//! the check on the module named, with pinned output.

use crate::common::*;
use kmod_doctor::explain::{self, Explanation};
use std::path::Path;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

struct Case {
    file: String,
    source: String,
    expect: Vec<(String, String)>,
    message: String,
}

fn cases() -> Vec<Case> {
    let dir = Path::new(FIXTURES).join("messages");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for block in text.split("\n\n") {
            let mut c = Case {
                file: f.file_name().unwrap().to_string_lossy().into_owned(),
                source: String::new(),
                expect: Vec::new(),
                message: String::new(),
            };
            for line in block.lines() {
                if let Some(s) = line.strip_prefix("# source: ") {
                    c.source = s.to_string();
                } else if let Some(e) = line.strip_prefix("# expect: ") {
                    c.expect = e
                        .split_whitespace()
                        .map(|kv| {
                            let (k, v) = kv.split_once('=').unwrap();
                            (k.to_string(), v.to_string())
                        })
                        .collect();
                } else if !line.starts_with('#') && !line.trim().is_empty() {
                    c.message.push_str(line);
                    c.message.push('\n');
                }
            }
            if !c.message.is_empty() {
                assert!(!c.source.is_empty(), "{}: a block without # source", c.file);
                assert!(!c.expect.is_empty(), "{}: a block without # expect", c.file);
                out.push(c);
            }
        }
    }
    out
}

fn field(e: &Explanation, k: &str) -> String {
    let v = serde_json::to_value(e).unwrap();
    let s = match k {
        "module" => v["module"].as_str().map(str::to_string),
        "said" => v["said"]["kind"].as_str().map(str::to_string),
        "refused_by" => v["refused_by"].as_str().map(str::to_string),
        "errno" => v["errno"]["name"].as_str().map(str::to_string),
        "tool" => v["tool"].as_str().map(str::to_string),
        "impl" => v["source"].as_str().map(str::to_string),
        "holders" => v["said"]["holders"].as_array().map(|a| {
            a.iter()
                .map(|h| h.as_str().unwrap())
                .collect::<Vec<_>>()
                .join(",")
        }),
        other => panic!("unknown expect key {other}"),
    };
    s.unwrap_or_else(|| "-".into())
}

#[test]
fn every_fixture_message_is_explained_as_expected() {
    let cases = cases();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    for c in &cases {
        let ex = explain::explain(&c.message);
        assert_eq!(ex.len(), 1, "{} ({}): {:?}", c.file, c.source, c.message);
        let e = &ex[0];
        for (k, want) in &c.expect {
            assert_eq!(
                &field(e, k),
                want,
                "{} ({}): {k} of {:?}",
                c.file,
                c.source,
                c.message
            );
        }
        assert!(!e.summary.is_empty() && !e.explanation.is_empty());
        assert!(!e.lines.is_empty() && e.lines.len() <= c.message.lines().count());
    }
}

/// Every message listed in the issue has a case.
#[test]
fn the_issue_list_is_covered() {
    let all: String = cases().iter().map(|c| c.message.clone()).collect();
    for needle in [
        "FATAL: ",
        "ERROR: ",
        "is in use.",
        "is in use by: ",
        "is builtin",
        "is not currently loaded",
        "not found.",
        "could not remove 'bridge': Resource temporarily unavailable",
        "Operation not permitted",
        "Device or resource busy",
        "No such file or directory",
        "Module unloading is not supported",
        "can't unload module '",
        "delete_module(",
    ] {
        assert!(
            all.contains(needle),
            "no fixture message contains {needle:?}"
        );
    }
}

/// Every stderr line of every removal the VM suite ran (both kernels) is
/// recognised, and names the module the command removed.
#[test]
fn every_vm_removal_message_is_recognised() {
    let dir = Path::new(FIXTURES).join("vm-messages");
    let mut checked = 0;
    for f in std::fs::read_dir(&dir).unwrap().flatten() {
        let text = std::fs::read_to_string(f.path()).unwrap();
        for block in text.split("\n\n") {
            let Some(cmd) = block.lines().find_map(|l| l.strip_prefix("$ ")) else {
                continue;
            };
            let words: Vec<&str> = cmd.split_whitespace().collect();
            let removes = words.iter().any(|w| w.ends_with("rmmod"))
                || (words.iter().any(|w| w.ends_with("modprobe"))
                    && words.iter().any(|w| *w == "-r" || *w == "--remove"));
            if !removes {
                continue;
            }
            let stderr: String = block
                .lines()
                .filter(|l| {
                    !l.starts_with('#')
                        && !l.starts_with("$ ")
                        && !l.starts_with("[rc=")
                        && !l.starts_with("stdout|")
                        && !l.trim().is_empty()
                })
                .map(|l| format!("{l}\n"))
                .collect();
            if stderr.is_empty() {
                continue;
            }
            // The module names on the command line (after the program).
            let named: Vec<String> = words
                .iter()
                .skip_while(|w| !(w.ends_with("rmmod") || w.ends_with("modprobe")))
                .skip(1)
                .filter(|w| !w.starts_with('-'))
                .map(|w| w.replace('-', "_"))
                .collect();
            let ex = explain::explain(&stderr);
            assert!(
                !ex.is_empty(),
                "{}: `{cmd}` said {stderr:?}, which explain does not recognise",
                f.path().display()
            );
            assert!(
                ex.iter()
                    .any(|e| e.module.as_ref().is_some_and(|m| named.contains(m))),
                "{}: `{cmd}`: explained {:?}",
                f.path().display(),
                ex.iter().map(|e| &e.module).collect::<Vec<_>>()
            );
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} VM messages");
}

// ------------------------------------------------------------- the command

fn run_stdin(root: &Path, args: &[&str], input: &[u8]) -> Out {
    kd().args(args).root(root).stdin(input).run()
}

/// bridge held by br_netfilter, as in the VM's bridge-held scenario.
fn bridge_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("br_netfilter", &["bridge", "stp", "llc"])
        .dep("bridge", &["stp", "llc"])
        .dep("stp", &["llc"])
        .dep("llc", &[])
        .dep("dummy", &[])
        .dep("sctp", &[]);
    env.idle("dummy")
        .idle("br_netfilter")
        .loaded("bridge", 1, "br_netfilter,", "Live")
        .loaded("stp", 1, "bridge,", "Live")
        .loaded("llc", 2, "bridge,stp,", "Live");
    env.builtin("unix");
    env
}

const HELD: &str = "rmmod: ERROR: Module bridge is in use by: br_netfilter";

/// Splits out the section of `s` that starts at `start` and ends just
/// before `end`: (section, the rest).
fn cut(s: &str, start: &str, end: &str) -> (String, String) {
    let a = s
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in {s}"));
    let b = a + s[a..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} in {s}"));
    (s[a..b].to_string(), format!("{}{}", &s[..a], &s[b..]))
}

/// explain = the explanation, then exactly `check`'s output (which draws
/// the picture too). The explanation and the picture are pinned here; the
/// rest of the check's output is pinned by the check tests.
#[test]
fn held_module_text_is_pinned() {
    let env = bridge_env();
    let out = env.run(&["explain", HELD]);
    assert_eq!(out.code, 14, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let (said, found) = out
        .stdout
        .split_once("\nWhat kmod-doctor finds now\n\n")
        .unwrap();
    insta::assert_snapshot!("held_text", said);
    let (tree, _) = cut(found, "Tree\n", "Next steps\n");
    insta::assert_snapshot!("held_text_tree", tree);
    assert_eq!(found, env.run(&["check", "bridge"]).stdout);
}

#[test]
fn held_module_markdown_and_json_are_pinned() {
    let env = bridge_env();
    let md = env.run(&["explain", "--format", "markdown", HELD]);
    assert_eq!(md.code, 14);
    let (said, found) = md
        .stdout
        .split_once("## What kmod-doctor finds now\n\n")
        .unwrap();
    insta::assert_snapshot!("held_markdown", said);
    let (picture, _) = cut(
        found,
        "### Holders, devices, users and dependencies",
        "### Next steps",
    );
    assert!(picture.contains("```mermaid"));
    insta::assert_snapshot!("held_markdown_mermaid", picture);
    assert_eq!(
        found,
        env.run(&["check", "--format", "markdown", "bridge"]).stdout
    );
    let js = env.run(&["explain", "--format", "json", HELD]);
    assert_eq!(js.code, 14);
    let v: serde_json::Value = serde_json::from_str(&js.stdout).unwrap();
    assert_eq!(v["explanations"][0]["module"], "bridge");
    assert_eq!(v["explanations"][0]["said"]["kind"], "in-use-by");
    assert_eq!(v["reports"][0]["verdict"], "blocked");
    assert_eq!(
        v["pictures"][0]["holders"][0]["label"], "br_netfilter",
        "{}",
        js.stdout
    );
    // The reports are check's JSON, pinned by the check tests.
    let mine = serde_json::json!({
        "explanations": v["explanations"],
        "pictures": v["pictures"],
    });
    insta::assert_snapshot!("held_json", serde_json::to_string_pretty(&mine).unwrap());
}

#[test]
fn reads_standard_input_like_a_pipe_from_modprobe() {
    let env = bridge_env();
    let input = b"[sudo] password for admin: \nmodprobe: FATAL: Module bridge is in use.\n";
    let out = run_stdin(env.path(), &["explain"], input);
    assert_eq!(out.code, 14, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("modprobe: FATAL: Module bridge is in use.")
    );
    assert!(out.stdout.contains("BLOCKED"));
    // The same as the argument form.
    let arg = env.run(&["explain", "modprobe: FATAL: Module bridge is in use."]);
    assert_eq!(arg.stdout, out.stdout);
}

#[test]
fn unquoted_words_are_one_message() {
    let env = bridge_env();
    let words: Vec<&str> = HELD.split(' ').collect();
    let mut args = vec!["explain"];
    args.extend(&words);
    let out = env.run(&args);
    assert_eq!(out.code, 14, "{}", out.stderr);
    assert_eq!(out.stdout, env.run(&["explain", HELD]).stdout);
}

#[test]
fn exit_code_is_the_checks() {
    let env = bridge_env();
    for (msg, code) in [
        ("modprobe: FATAL: Module unix is builtin.", 15),
        ("modprobe: FATAL: Module notamodule not found.", 16),
        (
            "rmmod: can't unload module 'sctp': No such file or directory",
            10,
        ),
        ("rmmod: ERROR: Module dummy is in use", 0),
        ("rmmod: ERROR: Module br_netfilter is in use", 11),
        (
            "rmmod: ERROR: could not remove module bridge: Resource temporarily unavailable",
            14,
        ),
    ] {
        let out = env.run(&["explain", msg]);
        assert_eq!(out.code, code, "{msg}: {}{}", out.stdout, out.stderr);
    }
}

#[test]
fn several_modules_are_all_checked_and_the_worst_wins() {
    let env = bridge_env();
    let out = env.run(&[
        "explain",
        "--format",
        "json",
        "modprobe: FATAL: Module unix is builtin.\nrmmod: ERROR: Module bridge is in use by: br_netfilter\n",
    ]);
    assert_eq!(out.code, 15, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["explanations"].as_array().unwrap().len(), 2);
    assert_eq!(v["reports"][0]["module"], "unix");
    assert_eq!(v["reports"][1]["module"], "bridge");
}

#[test]
fn unparseable_text_is_a_usage_error() {
    let env = bridge_env();
    for input in [
        "hello world",
        "rmmod: ERROR: Module $(reboot) is in use",
        "modprobe: FATAL: Module \u{1b}[2Jx is in use.",
        "bash: rmmod: command not found",
    ] {
        let out = env.run(&["explain", input]);
        assert_eq!(out.code, 2, "{input:?}: {}", out.stdout);
        assert!(out.stdout.is_empty(), "{input:?}: {}", out.stdout);
        assert!(
            out.stderr
                .contains("no modprobe, rmmod or delete_module error recognised"),
            "{}",
            out.stderr
        );
    }
    let out = run_stdin(env.path(), &["explain"], b"");
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("nothing to explain"), "{}", out.stderr);
}

#[test]
fn a_message_without_a_module_needs_one() {
    let env = bridge_env();
    let out = env.run(&["explain", "rmmod: ERROR: Module unloading is not supported"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stdout.contains("CONFIG_MODULE_UNLOAD"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("--module"), "{}", out.stderr);
    let out = env.run(&[
        "explain",
        "--module",
        "dummy",
        "rmmod: ERROR: Module unloading is not supported",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("SAFE  dummy"), "{}", out.stdout);
}

#[test]
fn standard_input_is_bounded() {
    let env = bridge_env();
    let mut input = format!("{HELD}\n").into_bytes();
    input.resize(1024 * 1024 + 4096, b'x');
    let out = run_stdin(env.path(), &["explain"], &input);
    assert_eq!(out.code, 14, "{}", out.stderr);
    assert!(out.stderr.contains("only the first"), "{}", out.stderr);
}

#[test]
fn verbatim_lines_are_sanitised_in_every_format() {
    let env = bridge_env();
    let msg = "\u{1b}]0;owned\u{7} rmmod: ERROR: Module bridge is in use by: br_netfilter";
    for fmt in ["text", "markdown", "json"] {
        let out = env.run(&["explain", "--format", fmt, msg]);
        assert_eq!(out.code, 14, "{fmt}: {}", out.stderr);
        assert!(!out.stdout.contains('\u{1b}'), "{fmt}: raw escape");
        assert!(!out.stdout.contains('\u{7}'), "{fmt}: raw bell");
    }
}

// ------------------------------------------------------- the real capture

const VM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/scan/debian-6.1-vm-probe.tar.gz"
);

/// The VM's own message about virtio_ring, explained against the capture of
/// the same VM: six holders, one of which (virtio) is held by five of them.
#[test]
fn real_capture_nested_holders_are_drawn_above() {
    let out = run_in(
        Path::new(VM),
        &[
            "explain",
            "-S",
            "6.1.0-56-amd64",
            "rmmod: ERROR: Module virtio_ring is in use by: 9pnet_virtio virtio_gpu virtio_pci virtio_blk virtio virtio_net",
        ],
    );
    assert_eq!(out.code, 14, "{}", out.stderr);
    let found = out
        .stdout
        .split_once("\nWhat kmod-doctor finds now\n\n")
        .unwrap()
        .1;
    let (tree, _) = cut(found, "Tree\n", "Next steps\n");
    insta::assert_snapshot!("vm_virtio_ring_tree", tree);
}
