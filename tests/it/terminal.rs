//! Fitting the terminal and the locale: COLUMNS (else the terminal, else
//! whole lines for a pipe) and ASCII marks when the locale is not UTF-8.

use crate::common::*;

const VM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/scan/debian-6.1-vm-probe.tar.gz"
);
const VM_RELEASE: &str = "6.1.0-56-amd64";

fn vm(args: &[&str], envs: &[(&str, &str)]) -> Out {
    let mut r = kd().root(std::path::Path::new(VM)).args(["-S", VM_RELEASE]);
    r = r.args(args);
    for (k, v) in envs {
        r = r.env(k, v);
    }
    r.run()
}

fn too_wide(text: &str, width: usize) -> Vec<String> {
    text.lines()
        .filter(|l| l.chars().count() > width)
        .map(str::to_string)
        .collect()
}

/// A step's command stays whole (it is pasted), however long: the only lines
/// `check` lets run past the width.
fn is_command(line: &str) -> bool {
    let t = line.trim_start();
    t.split_once(". ")
        .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

#[test]
fn scan_fits_80_columns_and_a_pipe_gets_whole_lines() {
    let out = vm(&["scan"], &[("COLUMNS", "80")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(too_wide(&out.stdout, 80), Vec::<String>::new());
    // Truncated, with an ellipsis, not cut silently.
    assert!(out.stdout.contains('…'), "{}", out.stdout);
    assert!(
        out.stdout.contains("held by 9pnet_virtio"),
        "{}",
        out.stdout
    );
    let whole = vm(&["scan"], &[]);
    assert!(
        whole
            .stdout
            .contains("held by drm_kms_helper, drm_shmem_helper, drm_ttm_helper, ttm, virtio_gpu"),
        "{}",
        whole.stdout
    );
    assert!(!too_wide(&whole.stdout, 80).is_empty());
    // Narrower still: columns are dropped, the module and verdict stay.
    let narrow = vm(&["scan"], &[("COLUMNS", "60")]);
    assert_eq!(too_wide(&narrow.stdout, 60), Vec::<String>::new());
    assert!(
        narrow.stdout.contains("virtio_pci_modern_dev"),
        "{}",
        narrow.stdout
    );
    assert!(narrow.stdout.contains("✖ blocked"), "{}", narrow.stdout);
}

#[test]
fn rules_listing_wraps_at_80_columns() {
    let out = kd().arg("rules").env("COLUMNS", "80").run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(too_wide(&out.stdout, 80), Vec::<String>::new());
    assert!(out.stdout.contains("not-found"), "{}", out.stdout);
    let whole = kd().arg("rules").run();
    assert!(!too_wide(&whole.stdout, 80).is_empty());
}

/// The lines of TEXT wider than WIDTH that are not step commands (those stay whole, to paste).
fn wide_prose(text: &str, width: usize) -> Vec<String> {
    too_wide(text, width)
        .into_iter()
        .filter(|l| !is_command(l))
        .collect()
}

#[test]
fn check_prose_fits_80_columns() {
    for m in ["virtio_net", "drm", "9pnet", "bridge"] {
        let out = vm(&["check", m], &[("COLUMNS", "80")]);
        assert_eq!(
            wide_prose(&out.stdout, 80),
            Vec::<String>::new(),
            "{m}:\n{}",
            out.stdout
        );
    }
    // A narrower terminal narrows the prose too.
    let out = vm(&["check", "virtio_net"], &[("COLUMNS", "60")]);
    assert_eq!(
        wide_prose(&out.stdout, 60),
        Vec::<String>::new(),
        "{}",
        out.stdout
    );
    // A wide terminal still wraps prose at 80.
    let out = vm(&["check", "virtio_net"], &[("COLUMNS", "200")]);
    assert_eq!(
        wide_prose(&out.stdout, 80),
        Vec::<String>::new(),
        "{}",
        out.stdout
    );
}

#[test]
fn ascii_marks_when_the_locale_is_not_utf8() {
    let env = bridge_env();
    let utf8 = env.run(&["check", "bridge"]);
    assert!(utf8.stdout.contains("✖ BLOCKED"), "{}", utf8.stdout);
    for envs in [
        vec![("LC_ALL", "C")],
        vec![("LC_ALL", "C"), ("LANG", "en_US.UTF-8")],
        vec![("LC_CTYPE", "POSIX")],
        vec![("LANG", "en_US.ISO-8859-1")],
    ] {
        let mut r = kd().root(env.path()).args(["check", "bridge"]);
        for (k, v) in &envs {
            r = r.env(k, v);
        }
        let out = r.run();
        assert!(out.stdout.is_ascii(), "{envs:?}:\n{}", out.stdout);
        assert!(
            out.stdout.contains("x BLOCKED"),
            "{envs:?}:\n{}",
            out.stdout
        );
    }
    // LC_ALL wins over LANG, and a UTF-8 LC_CTYPE over a C LANG.
    let out = kd()
        .root(env.path())
        .args(["scan"])
        .env("LC_CTYPE", "de_DE.utf8")
        .env("LANG", "C")
        .run();
    assert!(out.stdout.contains("✖ blocked"), "{}", out.stdout);
    let out = vm(&["scan"], &[("LC_ALL", "C"), ("COLUMNS", "80")]);
    assert!(out.stdout.is_ascii(), "{}", out.stdout);
    assert_eq!(too_wide(&out.stdout, 80), Vec::<String>::new());
    // JSON is data, never transliterated.
    let out = vm(&["scan", "--format", "json"], &[("LC_ALL", "C")]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(v["modules"].is_array());
}

#[test]
fn shared_evidence_is_printed_once() {
    let out = vm(&["check", "drm"], &[]);
    let line = "/proc/modules:30: drm 618496 6";
    assert_eq!(out.stdout.matches(line).count(), 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("Evidence for several findings above:"),
        "{}",
        out.stdout
    );
    // Evidence of one finding alone stays under it.
    assert!(
        out.stdout.contains("accounting: refcount 6"),
        "{}",
        out.stdout
    );
}

#[test]
fn brief_check_is_verdict_reason_and_steps() {
    let env = bridge_env();
    let full = env.run(&["check", "bridge"]);
    let brief = env.run(&["check", "--brief", "bridge"]);
    assert_eq!(brief.code, full.code);
    let lines: Vec<&str> = brief.stdout.lines().collect();
    assert!(
        lines[0].contains("BLOCKED") && lines[0].contains("bridge"),
        "{}",
        brief.stdout
    );
    assert_eq!(lines[1].trim(), "held by br_netfilter", "{}", brief.stdout);
    assert!(!brief.stdout.contains("Findings"), "{}", brief.stdout);
    assert!(brief.stdout.contains("Next steps"), "{}", brief.stdout);
    assert!(
        brief.stdout.contains("modprobe --remove br_netfilter"),
        "{}",
        brief.stdout
    );
    assert!(
        lines.len() < full.stdout.lines().count() / 2,
        "{}",
        brief.stdout
    );
    // JSON is the contract, whatever --brief says.
    let j = env.run(&["check", "--brief", "--format", "json", "bridge"]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert!(v.is_array() || v.is_object());
}

/// README examples are real output: every ```text block after an
/// `<!-- example: ARGS -->` marker is what `kmod-doctor ARGS` prints
/// (`head=N tail=M`: its first N and last M lines around a `...` line).
/// `scripts/readme-examples` (UPDATE_README=1) rewrites them.
#[test]
fn readme_examples_are_true() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let path = format!("{dir}/README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let mut fresh = String::new();
    let mut rest = readme.as_str();
    let mut stale = Vec::new();
    let mut seen = 0;
    while let Some(i) = rest.find("<!-- example") {
        let end = i + rest[i..].find("-->\n").expect("marker closes with -->") + 4;
        let marker = &rest[i..end];
        let (spec, args) = marker["<!-- example".len()..marker.len() - 4]
            .split_once(':')
            .expect("<!-- example[ head=N tail=M]: ARGS -->");
        let num = |k: &str| {
            spec.split_whitespace()
                .find_map(|w| w.strip_prefix(k)?.parse::<usize>().ok())
        };
        let open = "```text\n";
        assert!(
            rest[end..].starts_with(open),
            "no ```text block after {marker}"
        );
        let body_start = end + open.len();
        let body_end = body_start + rest[body_start..].find("```\n").expect("block closes");
        let args: Vec<String> = args
            .split_whitespace()
            .map(|a| {
                if a.starts_with("tests/") {
                    format!("{dir}/{a}")
                } else {
                    a.to_string()
                }
            })
            .collect();
        let out = kd().args(&args).run();
        let lines: Vec<&str> = out.stdout.trim_end().lines().collect();
        let shown = match (num("head="), num("tail=")) {
            (Some(h), Some(t)) if h + t < lines.len() => {
                let mut v: Vec<&str> = lines[..h].to_vec();
                v.push("...");
                v.extend(&lines[lines.len() - t..]);
                v
            }
            _ => lines,
        };
        let body = format!("{}\n", shown.join("\n"));
        if rest[body_start..body_end] != body {
            stale.push(marker.trim().to_string());
        }
        fresh.push_str(&rest[..body_start]);
        fresh.push_str(&body);
        rest = &rest[body_end..];
        seen += 1;
    }
    fresh.push_str(rest);
    assert!(seen >= 3, "README lost its example markers");
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    assert!(
        stale.is_empty(),
        "README examples differ from the real output: {stale:#?}\nrun scripts/readme-examples and commit README.md"
    );
}
