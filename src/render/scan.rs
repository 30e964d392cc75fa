//! `scan` output: an lsmod-like table with class, verdict and reason columns.

use super::markdown::{cell, code};
use super::style::Style;
use super::symbol;
use crate::shell::sanitize;
use crate::verdict::scan::{Row, Scan};
use std::fmt::Write;

const USED_BY_MAX: usize = 28;

fn used_by(r: &Row) -> String {
    let n = r
        .refcount
        .map(|n| n.to_string())
        .unwrap_or_else(|| "-".into());
    let h = sanitize(&r.holders.join(","));
    let s = if h.is_empty() { n } else { format!("{n} {h}") };
    clip(&s, USED_BY_MAX)
}

fn class(r: &Row) -> String {
    if r.classes.is_empty() {
        "-".into()
    } else {
        sanitize(&r.classes.join(","))
    }
}

fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut c: String = s.chars().take(width.saturating_sub(1)).collect();
    c.push('…');
    c
}

/// `12 modules: 3 blocked, 1 danger, 8 safe`.
pub fn summary(s: &Scan) -> String {
    if !s.module_support {
        return "No loadable module support: nothing is loaded, every driver is built in.".into();
    }
    let counts: Vec<String> = s
        .counts
        .iter()
        .map(|c| format!("{} {}", c.count, c.verdict.as_str()))
        .collect();
    let shown = if s.modules.len() == s.total {
        String::new()
    } else {
        format!(" ({} shown)", s.modules.len())
    };
    if s.total == 0 {
        return "No module is loaded.".into();
    }
    format!(
        "{} module{} loaded: {}{shown}.",
        s.total,
        if s.total == 1 { "" } else { "s" },
        counts.join(", ")
    )
}

const HEAD: [&str; 5] = ["Module", "Size", "Used by", "Class", "Verdict"];
/// The reason gets at least this much before columns are dropped.
const MIN_REASON: usize = 24;
const ANY: usize = usize::MAX;

/// Which columns show, how wide each may be, and how wide the reason is
/// (`None`: whole).
struct Layout {
    show: [bool; 5],
    widths: [usize; 5],
    reason: Option<usize>,
}

/// Under a terminal, the first of these layouts that leaves the reason
/// [`MIN_REASON`] columns: narrower Used by and Class, then without Class,
/// then without Size, then without Used by.
fn layout(cells: &[[String; 6]], width: Option<usize>) -> Layout {
    let natural = |i: usize, cap: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .chain([HEAD[i].chars().count()])
            .max()
            .unwrap_or(0)
            .min(cap)
            .max(HEAD[i].chars().count().min(cap))
    };
    let fit = |show: [bool; 5], caps: [usize; 5]| {
        let widths: [usize; 5] =
            std::array::from_fn(|i| if show[i] { natural(i, caps[i]) } else { 0 });
        let used: usize = (0..5).filter(|&i| show[i]).map(|i| widths[i] + 2).sum();
        (widths, used)
    };
    let Some(width) = width else {
        let (widths, _) = fit([true; 5], [ANY, ANY, USED_BY_MAX, ANY, ANY]);
        return Layout {
            show: [true; 5],
            widths,
            reason: None,
        };
    };
    let tries: [([bool; 5], [usize; 5]); 4] = [
        ([true; 5], [ANY, ANY, USED_BY_MAX, 16, ANY]),
        ([true, true, true, false, true], [ANY, ANY, 16, 0, ANY]),
        ([true, false, true, false, true], [ANY, 0, 16, 0, ANY]),
        ([true, false, false, false, true], [24, 0, 0, 0, ANY]),
    ];
    let mut last = None;
    for (show, caps) in tries {
        let (widths, used) = fit(show, caps);
        if width >= used + MIN_REASON {
            return Layout {
                show,
                widths,
                reason: Some(width - used),
            };
        }
        last = Some((show, widths, used));
    }
    let (show, widths, used) = last.expect("four layouts tried");
    Layout {
        show,
        widths,
        reason: Some(width.saturating_sub(used).max(8)),
    }
}

pub fn text(s: &Scan, style: Style) -> String {
    let mut out = String::new();
    let cells: Vec<[String; 6]> = s
        .modules
        .iter()
        .map(|r| {
            [
                sanitize(&r.module),
                r.size.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
                used_by(r),
                class(r),
                format!("{} {}", symbol(r.verdict), r.verdict.as_str()),
                sanitize(&r.reason),
            ]
        })
        .collect();
    let l = layout(&cells, style.width);
    let reason = |t: &str| match l.reason {
        Some(w) => clip(t, w),
        None => t.to_string(),
    };
    // Columns before the verdict, padded; Size is right-aligned.
    let lead = |c: &[String]| {
        let mut line = String::new();
        for (i, cell) in c.iter().enumerate().take(4) {
            if !l.show[i] {
                continue;
            }
            let v = clip(cell, l.widths[i]);
            let pad = l.widths[i].saturating_sub(v.chars().count());
            if i == 1 {
                let _ = write!(line, "{:pad$}{v}  ", "");
            } else {
                let _ = write!(line, "{v}{:pad$}  ", "");
            }
        }
        line
    };
    if !cells.is_empty() {
        let head: Vec<String> = HEAD.iter().map(|h| h.to_string()).collect();
        let pad = l.widths[4].saturating_sub(HEAD[4].chars().count());
        let line = format!(
            "{}{}{:pad$}  {}",
            lead(&head),
            HEAD[4],
            "",
            reason("Reason")
        );
        let _ = writeln!(out, "{}", style.heading(&line));
    }
    for (r, c) in s.modules.iter().zip(&cells) {
        let pad = l.widths[4].saturating_sub(c[4].chars().count());
        let _ = writeln!(
            out,
            "{}{}{:pad$}  {}",
            lead(c),
            style.verdict(r.verdict, &c[4]),
            "",
            reason(&c[5]),
        );
    }
    if !cells.is_empty() {
        out.push('\n');
    } else if s.total > 0 {
        out.push_str("No module matches.\n\n");
    }
    for line in match style.width {
        Some(w) => super::wrap(&summary(s), w.max(20)),
        None => vec![summary(s)],
    } {
        let _ = writeln!(out, "{}", style.dim(&line));
    }
    out
}

pub fn markdown(s: &Scan) -> String {
    let mut out = format!(
        "## kmod-doctor scan — kernel {}\n\n",
        code(s.kernel_release.as_deref().unwrap_or("unknown"))
    );
    if !s.modules.is_empty() {
        out.push_str("| Module | Size | Used by | Class | Verdict | Reason |\n");
        out.push_str("|---|--:|---|---|---|---|\n");
        for r in &s.modules {
            let holders: Vec<String> = r
                .holders
                .iter()
                .map(|h| code(h).replace('|', "\\|"))
                .collect();
            let used = format!(
                "{}{}{}",
                r.refcount
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "-".into()),
                if holders.is_empty() { "" } else { " " },
                holders.join(", ")
            );
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} {} | {} |",
                code(&r.module).replace('|', "\\|"),
                r.size.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
                used,
                cell(&class(r)),
                symbol(r.verdict),
                r.verdict.as_str(),
                cell(&r.reason)
            );
        }
        out.push('\n');
    } else if s.total > 0 {
        out.push_str("No module matches.\n\n");
    }
    let _ = writeln!(out, "{}", summary(s));
    out
}
