//! `kmod-doctor scan`: every loaded module with its verdict, like `lsmod`
//! with a verdict column. One [`System`] serves every module, so the
//! system-wide reads (module tree, modprobe.d, processes, mounts, interfaces)
//! happen once per run, not once per module.
//!
//! Exit status: 0 whatever the verdicts (scan reports, it does not judge the
//! machine), 1 when /proc/modules cannot be read, 2 for a usage error.

use crate::cli::CmdError;
use crate::cli::args::{Format, ScanSort};
use crate::cli::config::Config;
use crate::exit::Exit;
use crate::facts::resolve::{Resolved, Via};
use crate::facts::{self, System};
use crate::render;
use crate::rules::RuleSet;
use crate::verdict::{self, Report, Verdict};
use serde::Serialize;

pub struct Options {
    pub sort: ScanSort,
    pub reverse: bool,
    /// Verdict names to keep (empty: all).
    pub verdicts: Vec<String>,
    /// Classes to keep (empty: all); `none` matches modules without a class.
    pub classes: Vec<String>,
}

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
    /// One line: the summary of the rule that decided the verdict.
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

/// Facts, rules and a verdict for every loaded module, with one shared
/// [`System`].
pub fn scan(cfg: &Config) -> Result<Scan, CmdError> {
    let sys = System::new(&cfg.root, cfg.release.as_deref());
    let names: Vec<String> = match sys.proc_modules() {
        Ok(Some(list)) => list.iter().map(|e| e.name.clone()).collect(),
        Ok(None) => Vec::new(),
        Err(e) => return Err(CmdError::failure(e.to_string())),
    };
    let module_support = matches!(sys.proc_modules(), Ok(Some(_)));
    let mut rows = Vec::with_capacity(names.len());
    for name in names {
        // Straight from /proc/modules: no alias may stand in for it.
        let r = Resolved {
            query: name.clone(),
            name,
            via: Via::Name,
        };
        let table = facts::gather(&sys, &r);
        let report = verdict::evaluate(&cfg.rules, &table);
        rows.push(row(&cfg.rules, &report));
    }
    let mut counts: Vec<Count> = Vec::new();
    let mut order: Vec<Verdict> = Verdict::ALL.to_vec();
    order.sort_by_key(|v| std::cmp::Reverse(v.rank()));
    for v in order {
        let n = rows.iter().filter(|r| r.verdict == v).count();
        if n > 0 {
            counts.push(Count {
                verdict: v,
                count: n,
            });
        }
    }
    Ok(Scan {
        kernel_release: sys.release().as_ref().ok().map(|(r, _)| r.clone()),
        module_support,
        total: rows.len(),
        counts,
        modules: rows,
    })
}

fn summary_of(rules: &RuleSet, id: &str) -> Option<String> {
    rules
        .rules
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.summary.clone())
}

/// A report reduced to a row: the reason is the summary of the first rule
/// that gave the final verdict (or, for `unknown`, the first rule that could
/// not be checked).
pub fn row(rules: &RuleSet, r: &Report) -> Row {
    let decisive = r.findings.iter().find(|f| f.verdict == Some(r.verdict));
    let reason = match decisive {
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

/// Keeps the rows the options ask for, in the order they ask.
pub fn select(mut rows: Vec<Row>, o: &Options) -> Vec<Row> {
    let classes: Vec<String> = o.classes.iter().map(|c| c.trim().to_lowercase()).collect();
    rows.retain(|r| {
        (o.verdicts.is_empty() || o.verdicts.iter().any(|v| v == r.verdict.as_str()))
            && (classes.is_empty()
                || classes.iter().any(|c| {
                    r.classes.iter().any(|rc| rc == c) || (c == "none" && r.classes.is_empty())
                }))
    });
    rows.sort_by(|a, b| {
        let key = match o.sort {
            ScanSort::Name => std::cmp::Ordering::Equal,
            ScanSort::Size => b.size.cmp(&a.size),
            ScanSort::Refcount => b.refcount.cmp(&a.refcount),
            ScanSort::Verdict => b.verdict.rank().cmp(&a.verdict.rank()),
        };
        key.then_with(|| a.module.cmp(&b.module))
    });
    if o.reverse {
        rows.reverse();
    }
    rows
}

pub fn run(cfg: &Config, o: &Options) -> Result<Exit, CmdError> {
    let mut s = scan(cfg)?;
    s.modules = select(std::mem::take(&mut s.modules), o);
    let out = match cfg.format {
        Format::Text => render::scan::text(&s, cfg.style),
        Format::Json => render::scan::json(&s),
        Format::Markdown => render::scan::markdown(&s),
    };
    super::emit(&out)?;
    Ok(Exit::Safe)
}
