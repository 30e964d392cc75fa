use super::Verdict;
use super::report::*;
use crate::facts::{Evidence, Fact, FactTable};
use crate::rules::condition::{Tri, eval};
use crate::rules::{RuleSet, Step};

/// Runs every rule over the facts of one module.
pub fn evaluate(rules: &RuleSet, facts: &FactTable) -> Report {
    let mut findings = Vec::new();
    let mut unchecked = Vec::new();
    let mut steps: Vec<(u32, NextStep)> = Vec::new();

    for rule in &rules.rules {
        let mut used = Vec::new();
        match eval(&rule.when, facts, &mut used) {
            Tri::True => {
                findings.push(Finding {
                    rule: rule.id.clone(),
                    severity: rule.severity,
                    verdict: rule.verdict,
                    message: rule.message.message(facts, None),
                    reason: rule.reason.as_ref().map(|t| t.message(facts, None)),
                    evidence: evidence(facts, &used),
                    caused_by: None,
                });
                for s in &rule.steps {
                    expand(s, facts, Some(&rule.id), &mut steps);
                }
            }
            Tri::Unknown => unchecked.push(Unchecked {
                rule: rule.id.clone(),
                summary: rule.summary.clone(),
                verdict: rule.verdict,
                missing: missing(facts, &used),
            }),
            Tri::False => {}
        }
    }

    let verdict = decide(&findings, &unchecked);
    // Most severe first; rule order within a severity.
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for vs in &rules.verdict_steps {
        let applies = vs
            .when
            .as_ref()
            .is_none_or(|w| eval(w, facts, &mut Vec::new()) == Tri::True);
        if vs.verdicts.contains(&verdict) && applies {
            expand(&vs.step, facts, None, &mut steps);
        }
    }
    steps.sort_by_key(|(phase, _)| *phase);
    let mut seen = std::collections::HashSet::new();
    let next_steps: Vec<NextStep> = steps
        .into_iter()
        .map(|(_, s)| s)
        .filter(|s| seen.insert(s.command.clone()))
        .collect();

    Report {
        module: facts.str("module.name").unwrap_or_default().to_string(),
        resolved_from: resolved_from(facts),
        verdict,
        headline: verdict.headline().to_string(),
        findings,
        unchecked,
        next_steps,
        removal: Vec::new(),
        kernel: section(facts, "kernel"),
        module_info: section(facts, "module_info"),
        users: section(facts, "users"),
    }
}

/// A report section from the fact list; a section the list cannot fill is a
/// programming error that the tests catch, shown as empty rather than a panic.
fn section<T: serde::de::DeserializeOwned + Default>(facts: &FactTable, name: &str) -> T {
    let map = crate::facts::keys::json_section(facts, name);
    let filled = serde_json::from_value(serde_json::Value::Object(map));
    debug_assert!(
        filled.is_ok(),
        "section {name}: {filled:?}",
        filled = filled.as_ref().err()
    );
    filled.unwrap_or_default()
}

/// The verdict of the most precedent finding; `unknown` when a rule that could
/// have given a more severe answer could not be evaluated, unless the finding
/// already proves a refusal or a danger (that keeps its severity and the
/// report lists what was not checked).
fn decide(findings: &[Finding], unchecked: &[Unchecked]) -> Verdict {
    let fired = findings
        .iter()
        .filter_map(|f| f.verdict)
        .max_by_key(|v| v.rank());
    let worst_unchecked = unchecked
        .iter()
        .filter_map(|u| u.verdict)
        .max_by_key(|v| v.rank());
    match (fired, worst_unchecked) {
        (None, _) => Verdict::Unknown,
        (Some(v), None) => v,
        (Some(v), Some(_)) if matches!(v, Verdict::Blocked | Verdict::Danger) => v,
        (Some(v), Some(u)) if u.rank() > v.rank() => Verdict::Unknown,
        (Some(v), Some(_)) => v,
    }
}

fn expand(s: &Step, facts: &FactTable, rule: Option<&str>, out: &mut Vec<(u32, NextStep)>) {
    let step = |item: Option<&str>| {
        let mut n = NextStep::new(s.command.command(facts, item), s.why.message(facts, item));
        n.rule = rule.map(str::to_string);
        n
    };
    match s.for_each {
        None => out.push((s.phase, step(None))),
        Some(key) => {
            for item in facts.list(key) {
                out.push((s.phase, step(Some(item))));
            }
        }
    }
}

fn evidence(facts: &FactTable, used: &[&'static str]) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = Vec::new();
    for k in used {
        if let Some(Fact::Known { evidence, .. }) = facts.get(k) {
            for e in evidence {
                if !out.contains(e) {
                    out.push(e.clone());
                }
            }
        }
    }
    out
}

fn missing(facts: &FactTable, used: &[&'static str]) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = Vec::new();
    for k in used {
        let e = match facts.get(k) {
            Some(Fact::Unread(err)) => Evidence::new(&err.path, err.reason()),
            Some(Fact::Known { .. }) => continue,
            None => Evidence::new(*k, "not gathered"),
        };
        if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

fn resolved_from(facts: &FactTable) -> Option<ResolvedFrom> {
    let via = facts.str("module.resolved_via")?;
    if via == "name" {
        return None;
    }
    Some(ResolvedFrom {
        query: facts.str("module.query").unwrap_or_default().to_string(),
        via: via.to_string(),
        source: facts
            .str("module.alias_source")
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    })
}
