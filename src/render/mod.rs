//! Output. Renderers lay out a finished [`Report`](crate::verdict::Report);
//! they decide nothing.

pub mod explain;
pub mod json;
pub mod markdown;
pub mod mermaid;
pub mod rules;
pub mod scan;
pub mod style;
pub mod text;
pub mod ticket;
pub mod tree;

use crate::explain::Explanation;
use crate::rules::RuleSet;
use crate::verdict::picture::Picture;
use crate::verdict::scan::Scan;
use crate::verdict::ticket::Ticket;
use crate::verdict::{Report, Verdict};
use style::Style;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

/// Everything a command can print, already decided.
pub enum Document<'a> {
    /// `check`: one report per module, with its picture (text and Markdown draw it).
    Reports {
        reports: &'a [Report],
        pictures: &'a [Option<Picture>],
        /// Text only: the verdict, its deciding reason and the steps.
        brief: bool,
    },
    /// `explain`: what the message meant, then the check of the modules it names.
    Explained {
        explanations: &'a [Explanation],
        reports: &'a [Report],
        pictures: &'a [Option<Picture>],
    },
    Scan(&'a Scan),
    Ticket(&'a Ticket),
    Rules(&'a RuleSet),
}

/// The output format and style, chosen once per run.
#[derive(Debug, Clone, Copy)]
pub struct Renderer {
    pub format: Format,
    pub style: Style,
}

impl Renderer {
    /// Whether the pictures (trees, Mermaid) are drawn: JSON leaves them out
    /// of `check`, so they need not be computed.
    pub fn draws_pictures(&self) -> bool {
        self.format != Format::Json
    }

    pub fn render(&self, doc: &Document) -> String {
        let out = self.render_utf8(doc);
        if self.style.ascii && self.format == Format::Text {
            style::to_ascii(&out)
        } else {
            out
        }
    }

    fn render_utf8(&self, doc: &Document) -> String {
        match (self.format, doc) {
            (Format::Json, Document::Reports { reports, .. }) => json::reports(reports),
            (
                Format::Text,
                Document::Reports {
                    reports,
                    brief: true,
                    ..
                },
            ) => text::brief(reports, self.style),
            (
                Format::Text,
                Document::Reports {
                    reports, pictures, ..
                },
            ) => text::render_with(reports, pictures, self.style),
            (
                Format::Markdown,
                Document::Reports {
                    reports, pictures, ..
                },
            ) => markdown::render_with(reports, pictures),
            (
                format,
                Document::Explained {
                    explanations,
                    reports,
                    pictures,
                },
            ) => match format {
                Format::Text => explain::text(explanations, reports, pictures, self.style),
                Format::Markdown => explain::markdown(explanations, reports, pictures),
                Format::Json => json::explained(explanations, reports, pictures),
            },
            (Format::Text, Document::Scan(s)) => scan::text(s, self.style),
            (Format::Json, Document::Scan(s)) => json::scan(s),
            (Format::Markdown, Document::Scan(s)) => scan::markdown(s),
            (Format::Json, Document::Ticket(t)) => json::ticket(t),
            (Format::Markdown, Document::Ticket(t)) => ticket::render(t),
            (Format::Text, Document::Ticket(t)) => ticket::text(t, self.style),
            (Format::Json, Document::Rules(r)) => json::rules(r),
            (Format::Text, Document::Rules(r)) => rules::text(r, self.style.width),
            (Format::Markdown, Document::Rules(r)) => rules::markdown(r),
        }
    }
}

/// The word and symbol for a verdict, shared by text and Markdown.
pub fn symbol(v: Verdict) -> &'static str {
    match v {
        Verdict::Safe => "✔",
        Verdict::Caution => "⚠",
        Verdict::Danger => "‼",
        Verdict::Blocked => "✖",
        Verdict::Builtin => "■",
        Verdict::NotLoaded => "○",
        Verdict::NotFound => "∅",
        Verdict::Unknown => "?",
    }
}

/// The mark in front of a finding, shared by every renderer.
pub fn severity_mark(s: crate::verdict::Severity) -> &'static str {
    use crate::verdict::Severity;
    match s {
        Severity::Critical => "‼",
        Severity::Error => "✖",
        Severity::Warning => "⚠",
        Severity::Info => "•",
    }
}

pub fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

/// Greedy word wrap for prose; words longer than the width stay whole.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// One line on what a step alone does: its verdict, what it removes and what
/// it takes down.
pub(crate) fn step_verdict(s: &crate::verdict::NextStep, v: crate::verdict::Verdict) -> String {
    let mut line = format!(
        "{}this step: {}",
        if s.critical { "CRITICAL: " } else { "" },
        v.as_str()
    );
    if s.removes.len() > 1 {
        line.push_str(&format!("; removes {}", s.removes.join(", ")));
    }
    let takes: Vec<String> = s
        .consequences
        .iter()
        .map(|c| format!("{} ({})", c.rule, c.module))
        .collect();
    if !takes.is_empty() {
        line.push_str(&format!("; takes {}", takes.join(", ")));
    }
    crate::shell::sanitize(&line)
}

#[cfg(test)]
mod tests {
    #[test]
    fn wraps_at_width() {
        let l = super::wrap("aaa bbb ccc ddd", 7);
        assert_eq!(l, vec!["aaa bbb", "ccc ddd"]);
        assert_eq!(super::wrap("", 10), Vec::<String>::new());
    }
}
