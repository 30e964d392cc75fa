//! The picture of a module as a text tree, drawn the way `cargo tree` draws
//! crates: the holders above the module (an upside-down tree, so the holder
//! to remove first is at the top), then the module, then its devices, users
//! and dependencies below, each marked with what it means for the removal.

use super::style::Style;
use super::symbol;
use crate::shell::sanitize;
use crate::verdict::picture::{Node, Picture, Status};

/// The mark before a node's note.
pub fn mark(s: Status) -> &'static str {
    match s.verdict() {
        Some(v) => symbol(v),
        None => match s {
            Status::RemovedToo => "−",
            _ => "·",
        },
    }
}

/// The legend for the marks a picture uses, in a fixed order.
pub fn legend(p: &Picture) -> String {
    let used: Vec<Status> = p.walk().iter().map(|(_, _, n)| n.status).collect();
    [
        (Status::Blocks, "blocks the removal"),
        (Status::Danger, "something needed goes down"),
        (Status::Caution, "goes away with it"),
        (Status::RemovedToo, "removed too"),
        (Status::Stays, "stays"),
    ]
    .iter()
    .filter(|(s, _)| used.contains(s))
    .map(|(s, w)| format!("{} {w}", mark(*s)))
    .collect::<Vec<_>>()
    .join("  ")
}

/// One drawn line: the tree-drawing prefix and the node.
struct Row<'a> {
    prefix: String,
    node: &'a Node,
}

fn rows<'a>(nodes: &'a [Node], indent: &str, out: &mut Vec<Row<'a>>) {
    for (i, n) in nodes.iter().enumerate() {
        let last = i + 1 == nodes.len();
        out.push(Row {
            prefix: format!("{indent}{}", if last { "└── " } else { "├── " }),
            node: n,
        });
        let next = format!("{indent}{}", if last { "    " } else { "│   " });
        rows(&n.children, &next, out);
    }
}

fn line(prefix: &str, n: &Node, width: usize, style: Style) -> String {
    let label = sanitize(&n.label);
    let rep = if n.repeat { " (*)" } else { "" };
    let head = format!("{prefix}{label}{rep}");
    let m = mark(n.status);
    let used = head.chars().count() + 2 + m.chars().count() + 1;
    let room = width.saturating_sub(used);
    let note = clip(&sanitize(&n.note), room.max(12));
    let tail = format!("{m} {note}");
    let tail = match n.status.verdict() {
        Some(v) => style.verdict(v, &tail),
        None => style.dim(&tail),
    };
    format!("{head}  {tail}")
}

fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut c: String = s.chars().take(width.saturating_sub(1)).collect();
    c.push('…');
    c
}

/// The tree as lines (no trailing newline), at most `width` columns where
/// names allow.
pub fn render(p: &Picture, width: usize, style: Style) -> Vec<String> {
    let mut out = Vec::new();
    // Above: draw the holders as a normal tree, then turn it upside down.
    let mut up = Vec::new();
    rows(&p.holders, "", &mut up);
    for r in up.iter().rev() {
        let prefix = r.prefix.replace('└', "┌");
        out.push(line(&prefix, r.node, width, style));
    }
    let detail = if p.detail.is_empty() {
        String::new()
    } else {
        format!(" ({})", sanitize(&p.detail))
    };
    out.push(format!(
        "{}  {}",
        style.heading(&sanitize(&p.module)),
        style.verdict(
            p.verdict,
            &format!("{} {}{detail}", symbol(p.verdict), p.verdict.as_str())
        )
    ));
    for (gi, g) in p.below.iter().enumerate() {
        let last = gi + 1 == p.below.len();
        out.push(format!(
            "{}{}",
            if last { "└── " } else { "├── " },
            style.dim(&g.title)
        ));
        let mut rs = Vec::new();
        rows(&g.nodes, if last { "    " } else { "│   " }, &mut rs);
        for r in &rs {
            out.push(line(&r.prefix, r.node, width, style));
        }
    }
    out
}

/// True when the picture shows more than the module alone.
pub fn worth_drawing(p: &Picture) -> bool {
    !p.holders.is_empty() || !p.below.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Verdict;
    use crate::verdict::picture::{Group, Kind};

    fn n(label: &str, status: Status, children: Vec<Node>) -> Node {
        Node {
            kind: Kind::Module,
            label: label.into(),
            status,
            note: "note".into(),
            repeat: false,
            children,
        }
    }

    #[test]
    fn holders_above_and_groups_below() {
        let p = Picture {
            module: "llc".into(),
            verdict: Verdict::Blocked,
            detail: "refcount 2".into(),
            holders: vec![
                n(
                    "stp",
                    Status::Blocks,
                    vec![n("bridge", Status::Blocks, vec![])],
                ),
                n("bridge", Status::Blocks, vec![]),
            ],
            below: vec![Group {
                title: "devices".into(),
                nodes: vec![n("pci:0000:00:03.0", Status::Caution, vec![])],
            }],
        };
        let lines = render(&p, 80, Style::plain());
        assert_eq!(
            lines,
            vec![
                "┌── bridge  ✖ note",
                "│   ┌── bridge  ✖ note",
                "├── stp  ✖ note",
                "llc  ✖ blocked (refcount 2)",
                "└── devices",
                "    └── pci:0000:00:03.0  ⚠ note",
            ]
        );
        assert_eq!(legend(&p), "✖ blocks the removal  ⚠ goes away with it");
    }

    #[test]
    fn hostile_labels_are_escaped() {
        let p = Picture {
            module: "m".into(),
            verdict: Verdict::Caution,
            detail: String::new(),
            holders: vec![],
            below: vec![Group {
                title: "users".into(),
                nodes: vec![n("a\x1b[2Jb", Status::Danger, vec![])],
            }],
        };
        let l = render(&p, 80, Style::plain());
        assert!(l[2].contains("a\\x1b[2Jb"), "{l:?}");
    }
}
