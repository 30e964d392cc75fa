//! JSON for scripts and fleets. The schema is documented in the README and
//! versioned: fields are added, never renamed or removed, within a version.

use crate::verdict::Report;
use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Doc<'a> {
    schema_version: u32,
    tool: Tool,
    #[serde(flatten)]
    report: &'a Report,
}

fn doc(r: &Report) -> Doc<'_> {
    Doc {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "kmod-doctor",
            version: env!("CARGO_PKG_VERSION"),
        },
        report: r,
    }
}

/// One module → an object; several → an array of objects.
pub fn render(reports: &[Report]) -> String {
    let v = if reports.len() == 1 {
        serde_json::to_value(doc(&reports[0]))
    } else {
        serde_json::to_value(reports.iter().map(doc).collect::<Vec<_>>())
    };
    let mut s =
        serde_json::to_string_pretty(&v.unwrap_or(serde_json::Value::Null)).unwrap_or_default();
    s.push('\n');
    s
}
