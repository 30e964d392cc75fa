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

/// One line per rule; under a terminal (`width`) the summary wraps below its
/// column, or below the rule when the column would be too narrow.
pub fn text(set: &RuleSet, width: Option<usize>) -> String {
    let w = set.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let lead = w + 2 + 8 + 2 + 10 + 2;
    let mut s = String::new();
    for r in &set.rules {
        let head = format!(
            "{:w$}  {:8}  {:10}  ",
            r.id,
            r.severity.as_str(),
            r.verdict.map(|v| v.as_str()).unwrap_or("-"),
        );
        let Some(width) = width else {
            let _ = writeln!(s, "{head}{}", r.summary);
            continue;
        };
        let (first, indent) = if width >= lead + 24 {
            (head.clone(), lead)
        } else {
            let _ = writeln!(s, "{}", head.trim_end());
            (" ".repeat(4), 4)
        };
        for (i, line) in super::wrap(&r.summary, width.saturating_sub(indent).max(20))
            .iter()
            .enumerate()
        {
            if i == 0 {
                let _ = writeln!(s, "{first}{line}");
            } else {
                let _ = writeln!(s, "{:indent$}{line}", "");
            }
        }
    }
    s
}
