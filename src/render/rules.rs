//! `rules` as a table: what the verdicts are made of.

use crate::rules::RuleSet;
use std::fmt::Write;

pub fn markdown(set: &RuleSet) -> String {
    let mut s = String::from("| Rule | Severity | Verdict | Summary |\n|---|---|---|---|\n");
    for r in &set.rules {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} |",
            r.id,
            r.severity.as_str(),
            r.verdict.map(|v| v.as_str()).unwrap_or("—"),
            super::markdown::cell(&r.summary)
        );
    }
    s
}

pub fn text(set: &RuleSet) -> String {
    let w = set.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut s = String::new();
    for r in &set.rules {
        let _ = writeln!(
            s,
            "{:w$}  {:8}  {:10}  {}",
            r.id,
            r.severity.as_str(),
            r.verdict.map(|v| v.as_str()).unwrap_or("-"),
            r.summary
        );
    }
    s
}
