//! Real kernels, replayed: every scenario of the VM suite (tests/vm/) on Debian's 6.1, 6.12 and
//! sid (7.x, usr-merged) kernels left behind the snapshot kmod-doctor took of itself in the VM
//! (`tests/fixtures/vm/<kernel>/<scenario>.tar.gz`) and the live truth
//! (`<scenario>.expected.json`: the verdict and finding rule ids of the live `check`, and what a
//! real `modprobe -r` did right after). `check --root <snapshot>` must give the live verdict and
//! findings, and that verdict must match what the kernel did, by the agreement rule of
//! tests/vm/compare.py, and name everything the real removal made vanish (`vanished`: the
//! consequence rule of compare.py; a scenario in compare.py's KNOWN_GAPS is recorded as
//! `known_gap` and tolerated, until its replay agrees: then the gap is fixed and must be removed).
//!
//! Refresh the fixtures with `tests/vm/run --update-fixtures` (as root, ~4 min), then
//! `cargo insta review` for the three pinned text outputs.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_kmod-doctor");
const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vm");
const SCENARIOS_SH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vm/scenarios.sh");
const KERNELS: [&str; 3] = ["6.1", "6.12", "sid"];

struct Fixture {
    /// `6.1/bridge-held`
    name: String,
    archive: PathBuf,
    expected: Value,
}

impl Fixture {
    fn module(&self) -> &str {
        self.expected["module"].as_str().unwrap()
    }
    fn verdict(&self) -> &str {
        self.expected["verdict"].as_str().unwrap()
    }
    fn rules(&self) -> Vec<String> {
        strings(&self.expected["rules"])
    }
    /// The round trip recorded by the VM suite: `None` when the snapshot gave the live
    /// verdict and findings, else what the snapshot gave (a known gap in the snapshot).
    fn gap(&self) -> Option<(&str, Vec<String>, &str)> {
        let rt = &self.expected["round_trip"];
        if rt["same"].as_bool().unwrap_or(true) {
            return None;
        }
        Some((
            rt["snapshot_verdict"].as_str().unwrap_or("?"),
            strings(&rt["snapshot_rules"]),
            rt["detail"].as_str().unwrap_or(""),
        ))
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    for k in KERNELS {
        let dir = Path::new(DIR).join(k);
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_str().is_some_and(|s| s.ends_with(".expected.json")))
            .collect();
        names.sort();
        for p in names {
            let file = p.file_name().unwrap().to_str().unwrap();
            let scenario = file.trim_end_matches(".expected.json");
            let archive = dir.join(format!("{scenario}.tar.gz"));
            assert!(archive.is_file(), "{} has no snapshot", p.display());
            let expected: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            out.push(Fixture {
                name: format!("{k}/{scenario}"),
                archive,
                expected,
            });
        }
    }
    assert!(!out.is_empty(), "no fixtures under {DIR}");
    out
}

struct Out {
    stdout: String,
    stderr: String,
    code: i32,
}

fn check(archive: &Path, module: &str, format: &str) -> Out {
    let o = Command::new(BIN)
        .args(["check", "--format", format, "--color", "never", "--root"])
        .arg(archive)
        .arg(module)
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap();
    Out {
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        code: o.status.code().unwrap_or(-1),
    }
}

/// `check --format json` on every fixture, a few at a time.
fn check_all(fx: &[Fixture]) -> Vec<Out> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let chunk = fx.len().div_ceil(workers);
    std::thread::scope(|s| {
        let handles: Vec<_> = fx
            .chunks(chunk)
            .map(|c| {
                s.spawn(move || {
                    c.iter()
                        .map(|f| check(&f.archive, f.module(), "json"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

/// The agreement rule of tests/vm/compare.py (`judge`), on the first line of modprobe's
/// stderr (where "not found" and "builtin" are).
fn agrees(verdict: &str, e: &Value) -> bool {
    let rc = e["modprobe_r"]["rc"].as_i64().expect("modprobe_r.rc");
    let stderr = e["modprobe_r"]["stderr_first_line"].as_str().unwrap_or("");
    let before = e["present_before"].as_str().unwrap_or("?");
    let after = e["present_after"].as_str().unwrap_or("?");
    let still_there = after == "yes" || stderr.contains("builtin");
    match verdict {
        "blocked" | "builtin" => rc != 0 && still_there,
        "safe" | "caution" | "danger" => rc == 0 && after == "no",
        "not-loaded" => rc == 0 && before == "no",
        "not-found" => rc != 0 && stderr.contains("not found"),
        _ => false,
    }
}

/// Every string and key under `findings`, `users` and `module_info` of each document: where a
/// verdict names what goes (as `verdict_texts` in compare.py).
fn verdict_texts(docs: &[Value]) -> String {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    out.push(k.clone());
                    walk(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Null => {}
            Value::String(s) => out.push(s.clone()),
            other => out.push(other.to_string()),
        }
    }
    let mut out = Vec::new();
    for d in docs {
        for key in ["findings", "users", "module_info"] {
            walk(&d[key], &mut out);
        }
    }
    out.join("\n")
}

/// NAME appears in TEXT as a whole word (as `named` in compare.py: not inside a longer name).
fn named(name: &str, text: &str) -> bool {
    let before = |c: char| c.is_ascii_alphanumeric() || "_.:-".contains(c);
    let after = |c: char| c.is_ascii_alphanumeric() || "_:-".contains(c);
    text.match_indices(name).any(|(i, _)| {
        !text[..i].chars().next_back().is_some_and(before)
            && !text[i + name.len()..].chars().next().is_some_and(after)
    })
}

/// The consequence rule of compare.py (`judge_consequences`): `Err` names what is wrong.
fn consequences(verdict: &str, docs: &[Value], vanished: &Value) -> Result<(), String> {
    let items = vanished.as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        return Ok(());
    }
    let what = |v: &Value| {
        format!(
            "{} {}",
            v["kind"].as_str().unwrap_or("?"),
            v["item"].as_str().unwrap_or("?")
        )
    };
    if verdict == "caution" || verdict == "danger" {
        let text = verdict_texts(docs);
        let missing: Vec<String> = items
            .iter()
            .filter(|v| !strings(&v["names"]).iter().any(|n| named(n, &text)))
            .map(what)
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        return Err(format!("{verdict} does not name: {}", missing.join(", ")));
    }
    Err(format!(
        "{verdict} while vanished: {}",
        items.iter().map(what).collect::<Vec<_>>().join(", ")
    ))
}

fn docs_of(out: &Out) -> Vec<Value> {
    match serde_json::from_str::<Value>(&out.stdout) {
        Ok(Value::Array(a)) => a,
        Ok(v) => vec![v],
        Err(_) => Vec::new(),
    }
}

fn verdict_and_rules(out: &Out) -> Result<(String, Vec<String>), String> {
    let v: Value = serde_json::from_str(&out.stdout)
        .map_err(|e| format!("no JSON ({e}), rc={}: {}", out.code, out.stderr.trim()))?;
    let v = if v.is_array() { v[0].clone() } else { v };
    let verdict = v["verdict"].as_str().ok_or("no .verdict")?.to_string();
    let mut rules: Vec<String> = v["findings"]
        .as_array()
        .ok_or("no .findings")?
        .iter()
        .filter_map(|f| f["rule"].as_str().map(String::from))
        .collect();
    rules.sort();
    rules.dedup();
    Ok((verdict, rules))
}

#[test]
fn every_snapshot_gives_the_live_verdict_and_findings_and_the_kernel_agrees() {
    let fx = fixtures();
    let outs = check_all(&fx);
    let mut bad = Vec::new();
    let mut gaps = Vec::new();
    for (f, out) in fx.iter().zip(&outs) {
        let (verdict, rules) = match verdict_and_rules(out) {
            Ok(x) => x,
            Err(e) => {
                bad.push(format!("{}: {e}", f.name));
                continue;
            }
        };
        if !out.stderr.is_empty() {
            bad.push(format!("{}: stderr: {}", f.name, out.stderr.trim()));
        }
        // What the snapshot must give: the live truth, or the gap the VM suite recorded (so
        // that a known gap cannot silently grow; see known_round_trip_gaps_are_closed).
        let (want_verdict, want_rules) = match f.gap() {
            None => (f.verdict().to_string(), f.rules()),
            Some((v, r, detail)) => {
                gaps.push(format!("{}: {detail}", f.name));
                (v.to_string(), r)
            }
        };
        if verdict != want_verdict {
            bad.push(format!(
                "{}: verdict {verdict}, live VM said {want_verdict}",
                f.name
            ));
        }
        if rules != want_rules {
            bad.push(format!(
                "{}: rules {rules:?}, live VM said {want_rules:?}",
                f.name
            ));
        }
        if let Some(rc) = f.expected["check_rc"].as_i64()
            && verdict == f.verdict()
            && i64::from(out.code) != rc
        {
            bad.push(format!(
                "{}: exit code {}, live VM exited {rc}",
                f.name, out.code
            ));
        }
        if !agrees(&verdict, &f.expected) && f.expected["known_gap"].is_string() {
            eprintln!(
                "KNOWN GAP {}: verdict {verdict} but modprobe -r: {} [{}]",
                f.name, f.expected["reality"], f.expected["known_gap"]
            );
        } else if !agrees(&verdict, &f.expected) {
            bad.push(format!(
                "{}: verdict {verdict} but modprobe -r really did: rc={} {:?} (present {} -> {})",
                f.name,
                f.expected["modprobe_r"]["rc"],
                f.expected["modprobe_r"]["stderr_first_line"],
                f.expected["present_before"],
                f.expected["present_after"],
            ));
        }
        if f.expected["agree"] != Value::Bool(agrees(f.verdict(), &f.expected)) {
            bad.push(format!(
                "{}: the agreement rule here and in tests/vm/compare.py differ",
                f.name
            ));
        }
    }
    for g in &gaps {
        eprintln!("known round-trip gap (snapshot lacks what live check read): {g}");
    }
    assert!(
        bad.is_empty(),
        "{} of {} fixtures disagree:\n{}",
        bad.len(),
        fx.len(),
        bad.join("\n")
    );
}

/// The consequence rule on replay: what the real `modprobe -r` made vanish (interfaces, block
/// devices, mounts, routes, sound and DRM cards; `vanished` in expected.json) must be named by a
/// `caution`/`danger` verdict, and a `safe` (or any other) verdict with something vanished
/// disagrees. A scenario in compare.py's KNOWN_GAPS (`known_gap`) may disagree; once its replay
/// agrees on every kernel the gap is fixed and this test fails until it is removed from the list
/// and the fixtures are refreshed.
#[test]
fn every_replay_names_what_the_real_removal_made_vanish() {
    let fx = fixtures();
    let outs = check_all(&fx);
    let mut bad = Vec::new();
    let mut known: std::collections::BTreeMap<String, (String, bool)> = Default::default();
    let mut recorded = 0;
    for (f, out) in fx.iter().zip(&outs) {
        let Some(vanished) = f.expected.get("vanished") else {
            bad.push(format!(
                "{}: no `vanished` recorded: refresh with tests/vm/run --update-fixtures",
                f.name
            ));
            continue;
        };
        recorded += vanished.as_array().map_or(0, Vec::len);
        let docs = docs_of(out);
        let Ok((verdict, _)) = verdict_and_rules(out) else {
            bad.push(format!("{}: no verdict", f.name));
            continue;
        };
        let res = consequences(&verdict, &docs, vanished);
        let scenario = f.name.split_once('/').map_or("", |x| x.1).to_string();
        if let Some(gap) = f.expected["known_gap"].as_str() {
            let e = known.entry(scenario).or_insert((gap.to_string(), true));
            let agrees_fully = res.is_ok() && agrees(&verdict, &f.expected);
            e.1 &= agrees_fully;
            if let Err(e) = res {
                eprintln!("KNOWN GAP {}: {e} [{gap}]", f.name);
            }
            continue;
        }
        if let Err(e) = res {
            bad.push(format!("{}: {e}", f.name));
        }
        // the live verdict was judged by compare.py: the same rule must give the same answer
        if verdict == f.verdict() && f.expected["consequences_agree"] == Value::Bool(false) {
            bad.push(format!(
                "{}: compare.py recorded a consequence disagreement that is not a known gap",
                f.name
            ));
        }
    }
    for (scenario, (gap, fixed)) in &known {
        if *fixed {
            bad.push(format!(
                "known gap fixed: remove {scenario:?} from KNOWN_GAPS in tests/vm/compare.py and refresh the fixtures ({gap})"
            ));
        }
    }
    assert!(
        recorded > 0,
        "no fixture records anything vanished: the rule is not exercised"
    );
    assert!(
        bad.is_empty(),
        "{} of {} fixtures disagree:\n{}",
        bad.len(),
        fx.len(),
        bad.join("\n")
    );
}

/// Every fixture's snapshot gave the live verdict and findings when it was
/// captured: no round-trip gap is recorded. (The DRM case once lost the
/// directories behind `/sys/class/drm/card0` and `/sys/class/graphics/fb0`;
/// `Root::canonical` now records link targets.)
#[test]
fn no_round_trip_gap_is_recorded() {
    let gaps: Vec<String> = fixtures()
        .into_iter()
        .filter(|f| f.gap().is_some())
        .map(|f| f.name.clone())
        .collect();
    assert!(
        gaps.is_empty(),
        "fixtures with a recorded round-trip gap: {gaps:?}"
    );
}

#[test]
fn fixtures_cover_every_scenario_of_every_kernel() {
    let text = std::fs::read_to_string(SCENARIOS_SH).unwrap();
    let scenarios: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("run_scenario")).then(|| (w.next().unwrap(), w.next().unwrap()))
        })
        .collect();
    assert!(
        scenarios.len() >= 10,
        "run_scenario lines in {SCENARIOS_SH}"
    );
    let fx = fixtures();
    let mut missing = Vec::new();
    for k in KERNELS {
        for (name, module) in &scenarios {
            let want = format!("{k}/{name}");
            match fx.iter().find(|f| f.name == want) {
                Some(f) if f.module() == *module && f.expected["kernel"] == *k => {}
                Some(f) => missing.push(format!("{want}: fixture is for {:?}", f.module())),
                None => missing.push(want),
            }
        }
    }
    assert_eq!(
        fx.len(),
        scenarios.len() * KERNELS.len(),
        "stale fixtures: {:?}",
        fx.iter().map(|f| &f.name).collect::<Vec<_>>()
    );
    assert!(
        missing.is_empty(),
        "no fixture for {missing:?}: run tests/vm/run --update-fixtures"
    );
}

/// Text output pinned for one fixture per verdict that matters: blocked, danger, safe.
#[test]
fn text_of_representative_fixtures_is_pinned() {
    let cases = [
        ("6.1", "bridge-held", "vm_6_1_bridge_held_text", "blocked"),
        (
            "6.1",
            "virtio-net-route",
            "vm_6_1_virtio_net_route_text",
            "danger",
        ),
        ("6.1", "dummy-idle", "vm_6_1_dummy_idle_text", "caution"),
    ];
    let outs: Vec<(Out, &str, Value)> = std::thread::scope(|s| {
        let hs: Vec<_> = cases
            .iter()
            .map(|(k, scenario, snap, verdict)| {
                s.spawn(move || {
                    let f = Path::new(DIR).join(k);
                    let e: Value = serde_json::from_str(
                        &std::fs::read_to_string(f.join(format!("{scenario}.expected.json")))
                            .unwrap(),
                    )
                    .unwrap();
                    assert_eq!(e["verdict"], *verdict, "{k}/{scenario}");
                    let module = e["module"].as_str().unwrap().to_string();
                    (
                        check(&f.join(format!("{scenario}.tar.gz")), &module, "text"),
                        *snap,
                        e,
                    )
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (out, snap, e) in outs {
        // the exit code the live check gave in the VM
        assert_eq!(
            Some(i64::from(out.code)),
            e["check_rc"].as_i64(),
            "{snap}: {}",
            out.stderr
        );
        assert!(out.stderr.is_empty(), "{snap}: {}", out.stderr);
        insta::assert_snapshot!(snap, out.stdout);
    }
}
