//! Markdown for tickets: renders on GitHub and GitLab, pastes cleanly.

use super::{symbol, yes_no};
use crate::shell::sanitize;
use crate::verdict::Report;
use crate::verdict::picture::Picture;
use std::fmt::Write;

pub fn render(reports: &[Report]) -> String {
    render_with(reports, &[])
}

/// As [`render`], with the picture of each module (same order as `reports`)
/// as a Mermaid diagram before the next steps.
pub fn render_with(reports: &[Report], pictures: &[Option<Picture>]) -> String {
    let mut out = String::new();
    for (i, r) in reports.iter().enumerate() {
        if i > 0 {
            out.push_str("\n---\n\n");
        }
        one(&mut out, r, pictures.get(i).and_then(Option::as_ref));
    }
    out
}

/// Text inside a table cell: no pipes, no line breaks, no HTML.
pub fn cell(s: &str) -> String {
    sanitize(s)
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One "not checked" line: the rule, what it checks, and each path that
/// could not be read with the reason.
pub fn unchecked_item(u: &crate::verdict::Unchecked) -> String {
    let miss: Vec<String> = u
        .missing
        .iter()
        .map(|m| format!("{} ({})", code(&m.path), cell(&m.value)))
        .collect();
    format!(
        "- {} — {}: {}",
        code(&u.rule),
        cell(&u.summary),
        miss.join(", ")
    )
}

/// A code span that survives backticks inside.
pub fn code(s: &str) -> String {
    let s = sanitize(s);
    let mut ticks = 1;
    while s.contains(&"`".repeat(ticks)) {
        ticks += 1;
    }
    let fence = "`".repeat(ticks);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn one(out: &mut String, r: &Report, picture: Option<&Picture>) {
    let _ = writeln!(
        out,
        "## kmod-doctor: {} — {} **{}**\n",
        code(&r.module),
        symbol(r.verdict),
        r.verdict.as_str()
    );
    let _ = writeln!(out, "> {}\n", r.headline);
    if let Some(rf) = &r.resolved_from {
        let how = match rf.via.as_str() {
            "alias" => format!("an alias ({})", code(rf.source.as_deref().unwrap_or("?"))),
            _ => "the same name with dashes read as underscores".to_string(),
        };
        let _ = writeln!(out, "Asked for {}: {how}.\n", code(&rf.query));
    }
    let k = &r.kernel;
    let _ = writeln!(
        out,
        "| Kernel | Tool | Unload | Force-unload | modules_disabled | Tainted |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    let _ = writeln!(
        out,
        "| {} | kmod-doctor {} | {} | {} | {} | {} |\n",
        code(k.release.as_deref().unwrap_or("unknown")),
        env!("CARGO_PKG_VERSION"),
        yes_no(k.unload_supported),
        yes_no(k.force_unload_supported),
        yes_no(k.modules_disabled),
        match (&k.tainted, &k.taint_flags) {
            (Some(0), _) => "no".to_string(),
            (Some(n), Some(f)) => format!("{} ({n})", cell(f)),
            (Some(n), None) => n.to_string(),
            (None, _) => "unknown".to_string(),
        }
    );

    if !r.findings.is_empty() {
        let _ = writeln!(out, "### Findings\n");
        let _ = writeln!(out, "| Rule | Severity | Finding | Evidence |");
        let _ = writeln!(out, "|---|---|---|---|");
        for f in &r.findings {
            let ev: Vec<String> = f
                .evidence
                .iter()
                // GFM splits cells at `|` even inside code spans.
                .map(|e| format!("{}: {}", code(&e.path), code(&e.value)).replace('|', "\\|"))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                code(&f.rule),
                f.severity.as_str(),
                cell(&f.message),
                ev.join("<br>")
            );
        }
        out.push('\n');
    }
    if !r.unchecked.is_empty() {
        let _ = writeln!(out, "### Not checked\n");
        for u in &r.unchecked {
            let _ = writeln!(out, "{}", unchecked_item(u));
        }
        out.push('\n');
    }
    if let Some(p) = picture.filter(|p| super::tree::worth_drawing(p)) {
        let _ = writeln!(out, "### Holders, devices, users and dependencies\n");
        out.push_str(&super::mermaid::render(p));
        out.push('\n');
    }
    if !r.next_steps.is_empty() {
        let _ = writeln!(out, "### Next steps\n");
        for (i, s) in r.next_steps.iter().enumerate() {
            let _ = writeln!(out, "{}. {} — {}", i + 1, code(&s.command), cell(&s.why));
            if let Some(v) = s.verdict {
                let _ = writeln!(out, "   {}", cell(&super::step_verdict(s, v)));
            }
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(cell("a|b<script>\n"), "a\\|b&lt;script&gt;\\n");
    }
}
