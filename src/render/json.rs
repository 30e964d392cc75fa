//! JSON for scripts and fleets. Every document has the same envelope:
//! `schema_version` and `tool` beside the payload's own fields. The schema is
//! documented in the README and versioned: fields are added, never renamed or
//! removed, within a version.

use crate::explain::Explanation;
use crate::rules::RuleSet;
use crate::verdict::Report;
use crate::verdict::picture::Picture;
use crate::verdict::scan::Scan;
use crate::verdict::ticket::Ticket;
use serde::Serialize;
use serde_json::{Map, Value, json};

pub const SCHEMA_VERSION: u32 = 1;

/// The payload's fields (it must serialize to an object) with the envelope
/// added; keys come out sorted.
fn envelope(payload: impl Serialize) -> Value {
    let mut m = match serde_json::to_value(payload) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    m.insert("schema_version".into(), json!(SCHEMA_VERSION));
    m.insert(
        "tool".into(),
        json!({"name": "kmod-doctor", "version": env!("CARGO_PKG_VERSION")}),
    );
    Value::Object(m)
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// `check`: one module → an object; several → an array of objects.
pub fn reports(reports: &[Report]) -> String {
    match reports {
        [one] => pretty(&envelope(one)),
        many => pretty(&Value::Array(many.iter().map(envelope).collect())),
    }
}

pub fn explained(
    explanations: &[Explanation],
    reports: &[Report],
    pictures: &[Option<Picture>],
) -> String {
    pretty(&envelope(json!({
        "explanations": explanations,
        "reports": reports,
        "pictures": pictures,
    })))
}

pub fn scan(s: &Scan) -> String {
    pretty(&envelope(s))
}

pub fn ticket(t: &Ticket) -> String {
    pretty(&envelope(json!({ "report": t })))
}

pub fn rules(set: &RuleSet) -> String {
    let rules: Vec<Value> = set
        .rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "severity": r.severity,
                "verdict": r.verdict,
                "summary": r.summary,
                "when": r.when_src,
                "origin": r.origin,
            })
        })
        .collect();
    pretty(&envelope(json!({ "rules": rules })))
}
