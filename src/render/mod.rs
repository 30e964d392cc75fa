//! Output. Renderers lay out a finished [`Report`](crate::verdict::Report);
//! they decide nothing.

pub mod explain;
pub mod json;
pub mod markdown;
pub mod mermaid;
pub mod quote;
pub mod scan;
pub mod style;
pub mod text;
pub mod ticket;
pub mod tree;

use crate::verdict::Verdict;

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

#[cfg(test)]
mod tests {
    #[test]
    fn wraps_at_width() {
        let l = super::wrap("aaa bbb ccc ddd", 7);
        assert_eq!(l, vec!["aaa bbb", "ccc ddd"]);
        assert_eq!(super::wrap("", 10), Vec::<String>::new());
    }
}
