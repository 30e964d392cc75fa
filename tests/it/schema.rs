//! schema/kmod-doctor.schema.json (JSON Schema, draft 2020-12) describes every
//! document `--format json` prints. Validated here against every pinned JSON
//! snapshot (tests/it/snapshots/*json*.snap) and against fresh output of `check`,
//! `scan`, `explain`, `report` and `rules` on the VM fixtures and on built
//! roots. The schema lists every field with `additionalProperties: false`, so
//! a field added to the output without being added to the schema fails here.

use crate::common::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/schema/kmod-doctor.schema.json"
);

fn schema() -> Value {
    let text = std::fs::read_to_string(SCHEMA).expect("schema/kmod-doctor.schema.json");
    serde_json::from_str(&text).expect("the schema is JSON")
}

/// A validator for the whole schema (`None`) or one of its `$defs`, such as
/// `check` or `scan`: the root's `anyOf` is replaced by a reference to it.
fn validator(def: Option<&str>) -> jsonschema::Validator {
    let mut s = schema();
    if let Some(name) = def {
        assert!(
            s["$defs"].get(name).is_some(),
            "the schema has no $defs/{name}"
        );
        let o = s.as_object_mut().unwrap();
        o.remove("anyOf");
        o.insert("$ref".into(), json!(format!("#/$defs/{name}")));
    }
    jsonschema::draft202012::new(&s).expect("the schema compiles")
}

#[track_caller]
fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("  at {}: {e}", e.instance_path()))
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match the schema:\n{}",
        errors.join("\n")
    );
}

fn parse(out: &Out, what: &str) -> Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}{}", out.stdout, out.stderr))
}

#[test]
fn schema_is_a_valid_draft_2020_12_schema() {
    let s = schema();
    assert_eq!(
        s["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "the schema names its draft"
    );
    if let Err(e) = jsonschema::draft202012::meta::validate(&s) {
        panic!("schema/kmod-doctor.schema.json is not a valid draft 2020-12 schema: {e}");
    }
    for def in ["check", "scan", "explain", "report_command", "rules"] {
        assert!(s["$defs"].get(def).is_some(), "$defs/{def} is missing");
    }
}

/// The JSON body of an insta snapshot: everything after the second `---`.
fn snapshot_body(text: &str) -> &str {
    let rest = text.strip_prefix("---\n").expect("insta header");
    let end = rest.find("\n---\n").expect("end of insta header");
    &rest[end + 5..]
}

#[test]
fn every_pinned_json_snapshot_matches_the_schema() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(".snap") && n.contains("json")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no JSON snapshots in {}", dir.display());
    let all = validator(None);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let doc: Value = serde_json::from_str(snapshot_body(&text))
            .unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
        if name.starts_with("it__explain__") {
            // tests/explain.rs pins only the explanations and pictures (the
            // reports are check's JSON, pinned above): validate those parts.
            let keys: Vec<&String> = doc.as_object().expect("an object").keys().collect();
            assert_eq!(keys, ["explanations", "pictures"], "{name}: pinned parts");
            let explanation = validator(Some("explanation"));
            let picture = validator(Some("picture"));
            let explanations = doc["explanations"].as_array().expect("explanations");
            assert!(!explanations.is_empty(), "{name}: no explanation");
            for e in explanations {
                assert_valid(&explanation, e, &format!("{name}: explanation"));
            }
            for p in doc["pictures"].as_array().expect("pictures") {
                if !p.is_null() {
                    assert_valid(&picture, p, &format!("{name}: picture"));
                }
            }
        } else {
            assert_valid(&all, &doc, &name);
            assert_valid(&validator(Some("check")), &doc, &format!("{name} as check"));
        }
    }
}

/// Every VM fixture (6.1 and 6.12) with the module its scenario is about.
fn vm_fixtures() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for kernel in ["6.1", "6.12"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/vm")
            .join(kernel);
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".expected.json"))
            .collect();
        names.sort();
        for expected in names {
            let v: Value =
                serde_json::from_str(&std::fs::read_to_string(&expected).unwrap()).unwrap();
            let module = v["module"].as_str().expect("module in expected.json");
            let archive = PathBuf::from(
                expected
                    .to_string_lossy()
                    .replace(".expected.json", ".tar.gz"),
            );
            assert!(archive.exists(), "{} is missing", archive.display());
            out.push((archive, module.to_string()));
        }
    }
    out
}

#[test]
fn fresh_output_on_every_vm_fixture_matches_the_schema() {
    let fixtures = vm_fixtures();
    assert!(fixtures.len() >= 2, "VM fixtures not found");
    let check = validator(Some("check"));
    let scan = validator(Some("scan"));
    let explain = validator(Some("explain"));
    let report = validator(Some("report_command"));
    let all = validator(None);
    let mut verdicts = std::collections::BTreeSet::new();
    // Every fixture through check; a few, on both kernels, through all the
    // other commands (each run unpacks the archive: keep the test quick).
    const DEEP: [&str; 4] = [
        "bridge-held",
        "virtio-net-route",
        "drm-holders",
        "builtin-unix",
    ];
    let mut deep = 0;
    for (archive, module) in &fixtures {
        let name = archive.file_name().unwrap().to_string_lossy().into_owned();
        let kernel = archive
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy();
        let name = format!("{kernel}/{name}");

        let out = run_in(archive, &["check", "--format", "json", module]);
        let doc = parse(&out, &format!("check {module} on {name}"));
        assert_valid(&check, &doc, &format!("check {module} on {name}"));
        assert_valid(&all, &doc, &format!("check {module} on {name}"));
        verdicts.insert(doc["verdict"].as_str().unwrap().to_string());

        if !DEEP.iter().any(|d| name.ends_with(&format!("/{d}.tar.gz"))) {
            continue;
        }
        deep += 1;

        let out = run_in(archive, &["scan", "--format", "json"]);
        let doc = parse(&out, &format!("scan on {name}"));
        assert_valid(&scan, &doc, &format!("scan on {name}"));
        assert_valid(&all, &doc, &format!("scan on {name}"));

        let out = run_in(archive, &["report", "--format", "json", module]);
        let doc = parse(&out, &format!("report {module} on {name}"));
        assert_valid(&report, &doc, &format!("report {module} on {name}"));
        assert_valid(&all, &doc, &format!("report {module} on {name}"));

        for message in [
            format!("rmmod: ERROR: Module {module} is in use"),
            format!("rmmod: ERROR: could not remove '{module}': Resource temporarily unavailable"),
        ] {
            let out = run_in(archive, &["explain", "--format", "json", &message]);
            let doc = parse(&out, &format!("explain {message:?} on {name}"));
            assert_valid(&explain, &doc, &format!("explain {message:?} on {name}"));
            assert_valid(&all, &doc, &format!("explain {message:?} on {name}"));
        }
    }
    assert_eq!(deep, 2 * DEEP.len(), "deep fixtures missing");
    // The fixtures cover many verdicts; the schema has seen them.
    assert!(
        verdicts.len() >= 5,
        "only verdicts {verdicts:?} were seen on the VM fixtures"
    );
}

#[test]
fn several_modules_an_alias_and_unreadable_facts_match_the_schema() {
    let check = validator(Some("check"));
    let env = bridge_env();
    // Several modules: an array of documents.
    let out = env.run(&["check", "--format", "json", "bridge", "br-netfilter", "stp"]);
    let doc = parse(&out, "check bridge br-netfilter stp");
    assert_eq!(doc.as_array().map(Vec::len), Some(3), "{doc}");
    assert_valid(&check, &doc, "check with three modules");
    assert!(
        doc.as_array().unwrap()[1]["resolved_from"]["via"] == "dashed",
        "br-netfilter resolves from a dashed name: {doc}"
    );

    // An alias, with the file and line that define it.
    let mut env = TestEnv::new();
    env.dep("dummy", &[])
        .idle("dummy")
        .alias("netdev-dummy0", "dummy");
    let out = env.run(&["check", "--format", "json", "netdev-dummy0"]);
    let doc = parse(&out, "check netdev-dummy0");
    assert_valid(&check, &doc, "check through an alias");
    assert_eq!(doc["resolved_from"]["via"], "alias", "{doc}");

    // Unreadable facts: unchecked rules with what is missing.
    let mut env = TestEnv::new();
    env.dep("dummy", &[]).idle("dummy");
    env.remove("/proc/self/mountinfo");
    let out = env.run(&["check", "--format", "json", "dummy"]);
    let doc = parse(&out, "check with mountinfo missing");
    assert_valid(&check, &doc, "check with mountinfo missing");

    // Scan of a built root.
    let env = bridge_env();
    let out = env.run(&["scan", "--format", "json"]);
    assert_valid(
        &validator(Some("scan")),
        &parse(&out, "scan"),
        "scan of the bridge root",
    );
}

#[test]
fn rules_listing_matches_the_schema() {
    let out = run_raw(&["rules", "--format", "json"]);
    let doc = parse(&out, "rules");
    assert!(
        doc["rules"].as_array().is_some_and(|a| !a.is_empty()),
        "{doc}"
    );
    assert_valid(&validator(Some("rules")), &doc, "rules");
    assert_valid(&validator(None), &doc, "rules");
}

type Mutation = Box<dyn Fn(&mut Value)>;

/// The schema must be able to say no: a validator that accepts anything
/// would make every test above pass.
#[test]
fn the_schema_rejects_what_the_tool_never_prints() {
    let env = bridge_env();
    let out = env.run(&["check", "--format", "json", "bridge"]);
    let good = parse(&out, "check bridge");
    let check = validator(Some("check"));
    let all = validator(None);
    assert_valid(&check, &good, "check bridge");

    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "an unknown verdict",
            Box::new(|d| d["verdict"] = json!("maybe")),
        ),
        (
            "a renamed field",
            Box::new(|d| {
                let o = d.as_object_mut().unwrap();
                let v = o.remove("next_steps").unwrap();
                o.insert("nextSteps".into(), v);
            }),
        ),
        (
            "a field the schema does not name",
            Box::new(|d| d["module_info"]["colour"] = json!("blue")),
        ),
        (
            "a missing field",
            Box::new(|d| {
                d["users"].as_object_mut().unwrap().remove("mounts");
            }),
        ),
        (
            "a wrong type",
            Box::new(|d| d["module_info"]["refcount"] = json!("1")),
        ),
        (
            "another schema version",
            Box::new(|d| d["schema_version"] = json!(2)),
        ),
        (
            "an unknown severity",
            Box::new(|d| d["findings"][0]["severity"] = json!("fatal")),
        ),
    ];
    for (what, mutate) in mutations {
        let mut bad = good.clone();
        mutate(&mut bad);
        assert!(!check.is_valid(&bad), "the check schema accepts {what}");
        assert!(!all.is_valid(&bad), "the whole schema accepts {what}");
    }
}

/// The README's prose schema and the file name the same fields: every
/// backquoted word of the README's "JSON schema" section that looks like a
/// field is a property somewhere in the schema.
#[test]
fn the_readme_schema_section_names_only_fields_of_the_schema() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme
        .find("## JSON schema")
        .expect("README has a JSON schema section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let text = serde_json::to_string(&schema()).unwrap();
    let mut named = 0;
    for (i, word) in section.split('`').enumerate() {
        // Odd pieces are inside backquotes.
        if i % 2 == 0 || word.is_empty() {
            continue;
        }
        if !word
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
        {
            continue;
        }
        named += 1;
        let as_property = format!("\"{word}\":");
        let as_value = format!("\"{word}\"");
        assert!(
            text.contains(&as_property) || text.contains(&as_value),
            "the README's JSON schema section names `{word}`, the schema file does not"
        );
    }
    assert!(
        named > 20,
        "only {named} field names found in the README section"
    );
}

/// The schema's `kernel`, `module_info` and `users` sections name exactly the
/// fields the fact list (`facts::keys`, where the JSON is built from) gives
/// them: one place names each field, the schema follows it.
#[test]
fn report_sections_follow_the_fact_list() {
    let s = schema();
    for section in ["kernel", "module_info", "users"] {
        let in_schema: std::collections::BTreeSet<String> = s["$defs"][section]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("$defs/{section} has no properties"))
            .keys()
            .cloned()
            .collect();
        let in_facts: std::collections::BTreeSet<String> = kmod_doctor::facts::keys::KEYS
            .iter()
            .filter_map(|k| k.json.filter(|j| j.section == section))
            .map(|j| j.field.to_string())
            .collect();
        assert_eq!(
            in_schema, in_facts,
            "schema $defs/{section} vs the fact list"
        );
    }
}
