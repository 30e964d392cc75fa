//! `kmod-doctor scan`: every loaded module with its verdict, like `lsmod`
//! with a verdict column. One [`Pipeline`] serves every module, so the
//! system-wide reads (module tree, modprobe.d, processes, mounts, interfaces)
//! happen once per run, not once per module.
//!
//! Exit status: 0 whatever the verdicts (scan reports, it does not judge the
//! machine), 1 when /proc/modules cannot be read, 2 for a usage error.

use super::{CmdError, Config, Pipeline};
use crate::exit::Exit;
use crate::render::Document;
use crate::verdict::scan::Row;

/// `scan --sort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScanSort {
    Name,
    Size,
    Refcount,
    Verdict,
}

pub struct Options {
    pub sort: ScanSort,
    pub reverse: bool,
    /// Verdict names to keep (empty: all).
    pub verdicts: Vec<String>,
    /// Classes to keep (empty: all); `none` matches modules without a class.
    pub classes: Vec<String>,
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

/// Every class a module can have (rules/devices.toml), and `none`.
pub fn known_classes() -> Vec<String> {
    let map = crate::facts::devmap::load();
    let mut v: Vec<String> = map
        .classes
        .values()
        .chain(map.nodes.values())
        .cloned()
        .chain(["none".to_string()])
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Refuses a class no module can have (`--class netwrk`), as clap refuses
/// an unknown `--verdict`: exit 2, with the closest class and the list.
pub fn check_classes(classes: &[String]) -> Result<(), CmdError> {
    let known = known_classes();
    for c in classes {
        let c = c.trim().to_lowercase();
        if known.contains(&c) {
            continue;
        }
        let close = known
            .iter()
            .map(|k| (crate::facts::suggest::distance(&c, k), k))
            .filter(|(d, _)| *d <= 2)
            .min()
            .map(|(_, k)| format!(" Did you mean {k}?"))
            .unwrap_or_default();
        return Err(CmdError::usage(format!(
            "invalid value {:?} for '--class <CLASS>'.{close} Possible values: {}.",
            crate::shell::sanitize(&c),
            known.join(", ")
        )));
    }
    Ok(())
}

pub fn run(cfg: &Config, o: &Options) -> Result<Exit, CmdError> {
    check_classes(&o.classes)?;
    let mut s = Pipeline::new(&cfg.root, cfg.release.as_deref(), &cfg.rules).scan()?;
    s.modules = select(std::mem::take(&mut s.modules), o);
    super::emit(&cfg.renderer.render(&Document::Scan(&s)))?;
    Ok(Exit::Safe)
}
