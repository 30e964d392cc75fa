//! A scan as renderers get it: every loaded module reduced to one row.

use super::{Finding, Report, Verdict};
use crate::rules::RuleSet;
use serde::Serialize;

/// One line of the scan.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub module: String,
    pub size: Option<i64>,
    pub refcount: Option<i64>,
    pub holders: Vec<String>,
    /// What it serves (the `module.classes` fact); empty when nothing tells.
    pub classes: Vec<String>,
    pub verdict: Verdict,
    /// One line: the `reason` of the rule that decided the verdict, filled
    /// from this module's facts (its summary when the rule has none).
    pub reason: String,
    /// Rules that fired with a verdict effect.
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Count {
    pub verdict: Verdict,
    pub count: usize,
}

/// The whole scan, as renderers get it.
#[derive(Debug, Clone, Serialize)]
pub struct Scan {
    pub kernel_release: Option<String>,
    /// False when the kernel has no loadable module support.
    pub module_support: bool,
    /// Modules loaded, before filtering.
    pub total: usize,
    /// How many loaded modules got each verdict, most severe first.
    pub counts: Vec<Count>,
    pub modules: Vec<Row>,
}

fn summary_of(rules: &RuleSet, id: &str) -> Option<String> {
    rules
        .rules
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.summary.clone())
}

/// A report reduced to a row: the reason is the filled `reason` (else the
/// summary) of the first rule that gave the final verdict (or, for
/// `unknown`, the first rule that could not be checked). Findings are sorted
/// most severe first.
pub fn row(rules: &RuleSet, r: &Report) -> Row {
    let decisive = r.decisive();
    let reason = match decisive {
        Some(Finding {
            reason: Some(reason),
            ..
        }) => reason.clone(),
        Some(f) => summary_of(rules, &f.rule).unwrap_or_else(|| f.rule.clone()),
        None => match r.unchecked.first() {
            Some(u) if r.verdict == Verdict::Unknown => {
                let what: Vec<&str> = u.missing.iter().map(|m| m.path.as_str()).take(2).collect();
                format!("could not read {}", what.join(", "))
            }
            _ => r.headline.clone(),
        },
    };
    Row {
        module: r.module.clone(),
        size: r.module_info.size,
        refcount: r.module_info.refcount,
        holders: r.module_info.holders.clone(),
        classes: r.module_info.classes.clone(),
        verdict: r.verdict,
        reason,
        rules: r
            .findings
            .iter()
            .filter(|f| f.verdict.is_some())
            .map(|f| f.rule.clone())
            .collect(),
    }
}

/// How many rows got each verdict, most severe first.
pub fn counts(rows: &[Row]) -> Vec<Count> {
    let mut order: Vec<Verdict> = Verdict::ALL.to_vec();
    order.sort_by_key(|v| std::cmp::Reverse(v.rank()));
    order
        .into_iter()
        .map(|v| Count {
            verdict: v,
            count: rows.iter().filter(|r| r.verdict == v).count(),
        })
        .filter(|c| c.count > 0)
        .collect()
}
