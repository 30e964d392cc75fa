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

pub fn text(s: &Scan, style: Style) -> String {
    let mut out = String::new();
    let cells: Vec<[String; 5]> = s
        .modules
        .iter()
        .map(|r| {
            [
                sanitize(&r.module),
                r.size.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
                used_by(r),
                class(r),
                format!("{} {}", symbol(r.verdict), r.verdict.as_str()),
            ]
        })
        .collect();
    let head = ["Module", "Size", "Used by", "Class", "Verdict"];
    let mut w = head.map(|h| h.chars().count());
    for c in &cells {
        for (i, v) in c.iter().enumerate() {
            w[i] = w[i].max(v.chars().count());
        }
    }
    if !cells.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            style.heading(&format!(
                "{:<w0$}  {:>w1$}  {:<w2$}  {:<w3$}  {:<w4$}  Reason",
                head[0],
                head[1],
                head[2],
                head[3],
                head[4],
                w0 = w[0],
                w1 = w[1],
                w2 = w[2],
                w3 = w[3],
                w4 = w[4],
            ))
        );
    }
    for (r, c) in s.modules.iter().zip(&cells) {
        let pad = w[4].saturating_sub(c[4].chars().count());
        let _ = writeln!(
            out,
            "{:<w0$}  {:>w1$}  {:<w2$}  {:<w3$}  {}{:pad$}  {}",
            c[0],
            c[1],
            c[2],
            c[3],
            style.verdict(r.verdict, &c[4]),
            "",
            sanitize(&r.reason),
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3],
        );
    }
    if !cells.is_empty() {
        out.push('\n');
    } else if s.total > 0 {
        out.push_str("No module matches.\n\n");
    }
    let _ = writeln!(out, "{}", style.dim(&summary(s)));
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
