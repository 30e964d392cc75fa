//! `explain` output: what the pasted message means, then the check of the
//! module it names (laid out by the text and Markdown renderers).

use super::markdown::code;
use super::style::Style;
use super::wrap;
use crate::explain::Explanation;
use crate::shell::sanitize;
use crate::verdict::Report;
use crate::verdict::picture::Picture;
use std::fmt::Write;

pub fn text(
    explanations: &[Explanation],
    reports: &[Report],
    pictures: &[Option<Picture>],
    style: Style,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.heading("What the message says"));
    if explanations.is_empty() {
        let _ = writeln!(
            out,
            "  (no modprobe, rmmod or delete_module error recognised)"
        );
    }
    for (i, e) in explanations.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for l in &e.lines {
            // Verbatim, unclipped: the errno is at the end of the longest lines.
            let _ = writeln!(out, "  {}", style.dim(&sanitize(l.trim())));
        }
        for (j, l) in wrap(&sanitize(&e.summary), style.prose_width() - 4)
            .iter()
            .enumerate()
        {
            let lead = if j == 0 { "  → " } else { "    " };
            let _ = writeln!(out, "{lead}{}", style.heading(l));
        }
        for l in wrap(
            &format!("Refused by {}.", e.refused_by_words),
            style.prose_width() - 4,
        ) {
            let _ = writeln!(out, "    {l}");
        }
        for p in &e.explanation {
            out.push('\n');
            for l in wrap(&sanitize(p), style.prose_width() - 4) {
                let _ = writeln!(out, "    {l}");
            }
        }
    }
    if !reports.is_empty() {
        let _ = writeln!(out, "\n{}\n", style.heading("What kmod-doctor finds now"));
        out.push_str(&super::text::render_with(reports, pictures, style));
    }
    out
}

pub fn markdown(
    explanations: &[Explanation],
    reports: &[Report],
    pictures: &[Option<Picture>],
) -> String {
    let mut out = String::from("## What the message says\n\n");
    for e in explanations {
        let body: Vec<String> = e.lines.iter().map(|l| sanitize(l.trim())).collect();
        let body = body.join("\n");
        let fence = fence_for(&body);
        let _ = writeln!(out, "{fence}text\n{body}\n{fence}\n");
        let _ = writeln!(out, "**{}**\n", super::markdown::cell(&e.summary));
        let _ = writeln!(
            out,
            "Refused by {}.\n",
            super::markdown::cell(&e.refused_by_words)
        );
        for p in &e.explanation {
            let _ = writeln!(out, "{}\n", super::markdown::cell(p));
        }
        if let Some(m) = &e.module {
            let _ = writeln!(out, "Module: {}\n", code(m));
        }
    }
    if !reports.is_empty() {
        out.push_str("## What kmod-doctor finds now\n\n");
        out.push_str(&super::markdown::render_with(reports, pictures));
    }
    out
}

/// A code fence longer than any run of backticks in `body`.
pub fn fence_for(body: &str) -> String {
    let mut n = 3;
    while body.contains(&"`".repeat(n)) {
        n += 1;
    }
    "`".repeat(n)
}
