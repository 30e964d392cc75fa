//! Text for people: the verdict first, then why, then what to do. Prose
//! wraps at the terminal's width, at most 80 columns.

use super::style::Style;
use super::{symbol, wrap, yes_no};
use crate::facts::Evidence;
use crate::shell::sanitize;
use crate::verdict::Report;
use crate::verdict::picture::Picture;
use std::fmt::Write;

pub fn render(reports: &[Report], style: Style) -> String {
    render_with(reports, &[], style)
}

/// As [`render`], with the picture of each module (same order as `reports`;
/// missing or `None` entries draw nothing) as a tree before the next steps.
pub fn render_with(reports: &[Report], pictures: &[Option<Picture>], style: Style) -> String {
    let mut out = String::new();
    for (i, r) in reports.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        one(&mut out, r, pictures.get(i).and_then(Option::as_ref), style);
    }
    out
}

/// `check --brief`: the verdict, the one reason that decided it, the steps.
pub fn brief(reports: &[Report], style: Style) -> String {
    let mut out = String::new();
    for (i, r) in reports.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        verdict_line(&mut out, r, style);
        let why = match (r.reason_line(), r.unchecked.first()) {
            (Some(reason), _) => reason.to_string(),
            (None, Some(u)) => format!("not checked: {} ({})", u.summary, u.rule),
            (None, None) => r.headline.clone(),
        };
        para(&mut out, &why, 3, style);
        steps(&mut out, r, style);
    }
    out
}

fn verdict_line(out: &mut String, r: &Report, style: Style) {
    let word = r.verdict.as_str().to_uppercase();
    let head = format!("{} {word}", symbol(r.verdict));
    let _ = writeln!(
        out,
        "{}  {}",
        style.verdict(r.verdict, &head),
        style.heading(&sanitize(&r.module))
    );
}

fn steps(out: &mut String, r: &Report, style: Style) {
    if r.next_steps.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", style.heading("Next steps"));
    for (i, s) in r.next_steps.iter().enumerate() {
        let n = format!("{:>3}.", i + 1);
        let _ = writeln!(out, "{n} {}", style.command(&s.command));
        para(out, &s.why, 6, style);
        if let Some(v) = s.verdict {
            para(out, &super::step_verdict(s, v), 6, style);
        }
    }
}

fn para(out: &mut String, text: &str, indent: usize, style: Style) {
    for line in wrap(text, style.prose_width() - indent) {
        let _ = writeln!(out, "{:indent$}{line}", "");
    }
}

fn one(out: &mut String, r: &Report, picture: Option<&Picture>, style: Style) {
    verdict_line(out, r, style);
    para(out, &r.headline, 3, style);
    if let Some(rf) = &r.resolved_from {
        let how = match rf.via.as_str() {
            "alias" => format!("alias from {}", rf.source.as_deref().unwrap_or("?")),
            _ => "dashes read as underscores".to_string(),
        };
        para(
            out,
            &format!("(you asked for {}: {how})", sanitize(&rf.query)),
            3,
            style,
        );
    }

    if !r.findings.is_empty() {
        let _ = writeln!(out, "\n{}", style.heading("Findings"));
        // Evidence under more than one finding (the module's /proc/modules
        // line, typically) is printed once, after them.
        let all: Vec<&Evidence> = r.findings.iter().flat_map(|f| &f.evidence).collect();
        let mut shared: Vec<&Evidence> = Vec::new();
        for e in &all {
            if all.iter().filter(|x| *x == e).count() > 1 && !shared.contains(e) {
                shared.push(e);
            }
        }
        let evidence = |out: &mut String, e: &Evidence| {
            let line = format!("{}: {}", sanitize(&e.path), sanitize(&e.value));
            let _ = writeln!(
                out,
                "      {}",
                style.dim(&clip(&line, style.prose_width() - 6))
            );
        };
        for f in &r.findings {
            let mark = super::severity_mark(f.severity);
            let _ = writeln!(
                out,
                "  {mark} {} {}",
                f.rule,
                style.dim(&format!("[{}]", f.severity.as_str()))
            );
            para(out, &f.message, 4, style);
            for e in f.evidence.iter().filter(|e| !shared.contains(e)) {
                evidence(out, e);
            }
        }
        if !shared.is_empty() {
            let _ = writeln!(
                out,
                "    {}",
                style.dim("Evidence for several findings above:")
            );
            for e in shared {
                evidence(out, e);
            }
        }
    }

    if !r.unchecked.is_empty() {
        let _ = writeln!(out, "\n{}", style.heading("Not checked (could not read)"));
        for u in &r.unchecked {
            let _ = writeln!(out, "  ? {}", u.rule);
            para(out, &u.summary, 4, style);
            for m in &u.missing {
                let line = format!("{}: {}", sanitize(&m.path), sanitize(&m.value));
                let _ = writeln!(
                    out,
                    "      {}",
                    style.dim(&clip(&line, style.prose_width() - 6))
                );
            }
        }
    }

    if let Some(p) = picture.filter(|p| super::tree::worth_drawing(p)) {
        let _ = writeln!(out, "\n{}", style.heading("Tree"));
        let _ = writeln!(out, "  {}", style.dim(&super::tree::legend(p)));
        for l in super::tree::render(p, style.prose_width() - 2, style) {
            let _ = writeln!(out, "  {l}");
        }
    }

    steps(out, r, style);

    let k = &r.kernel;
    let kline = format!(
        "Kernel {} · unload {} · force-unload {} · modules_disabled {} · tainted {}",
        k.release
            .as_deref()
            .map(sanitize)
            .unwrap_or_else(|| "unknown".into()),
        yes_no(k.unload_supported),
        yes_no(k.force_unload_supported),
        yes_no(k.modules_disabled),
        match (&k.tainted, &k.taint_flags) {
            (Some(0), _) => "no".to_string(),
            (Some(n), Some(f)) => format!("{f} ({n})"),
            (Some(n), None) => n.to_string(),
            (None, _) => "unknown".to_string(),
        }
    );
    let _ = writeln!(out);
    for l in wrap(&kline, style.prose_width()) {
        let _ = writeln!(out, "{}", style.dim(&l));
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
