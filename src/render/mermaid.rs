//! The picture of a module as a Mermaid flowchart, which GitHub and GitLab
//! render in Markdown: holders above the module, devices, users and
//! dependencies below, coloured by what they mean for the removal.

use super::symbol;
use crate::shell::sanitize;
use crate::verdict::Verdict;
use crate::verdict::picture::{Kind, Node, Picture, Status};
use std::collections::BTreeSet;
use std::fmt::Write;

/// A Mermaid node id: ASCII letters, digits and `_` only. Other bytes are
/// written as `_xx` (hex) and `_` as `__`, so distinct names (`a:b`, `a.b`,
/// `a_3ab`) never share an id.
pub fn node_id(kind: Kind, name: &str) -> String {
    let mut id = String::from(match kind {
        Kind::Module => "mod_",
        Kind::Device => "dev_",
        Kind::Process => "proc_",
        Kind::Mount => "mnt_",
        Kind::Swap => "swap_",
        Kind::Loop => "loop_",
        Kind::Interface => "if_",
        Kind::Card => "card_",
        Kind::Console => "con_",
    });
    for b in name.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => id.push(b as char),
            b'_' => id.push_str("__"),
            _ => {
                let _ = write!(id, "_{b:02x}");
            }
        }
    }
    id
}

/// Text inside a quoted Mermaid label: no quotes, no HTML, no backticks that
/// could close the Markdown fence, no line breaks.
pub fn label(s: &str) -> String {
    let mut out = String::new();
    for c in sanitize(s).chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            c => out.push(c),
        }
    }
    out
}

fn class(s: Status) -> &'static str {
    match s {
        Status::Blocks => "blocks",
        Status::Danger => "danger",
        Status::Caution => "caution",
        Status::RemovedToo => "removed",
        Status::Stays => "stays",
    }
}

fn mark(s: Status) -> &'static str {
    super::tree::mark(s)
}

struct Out {
    lines: Vec<String>,
    declared: BTreeSet<String>,
    classes: Vec<(String, &'static str)>,
}

impl Out {
    fn node(&mut self, n: &Node) -> String {
        let id = node_id(n.kind, &n.label);
        if self.declared.insert(id.clone()) {
            let what = if n.kind == Kind::Module {
                String::new()
            } else {
                format!("{}: ", n.kind.as_str())
            };
            self.lines.push(format!(
                "  {id}[\"{} {what}{}<br/>{}\"]",
                mark(n.status),
                label(&n.label),
                label(&n.note)
            ));
            self.classes.push((id.clone(), class(n.status)));
        }
        id
    }
}

/// The fenced ```mermaid block, ready to paste into Markdown.
pub fn render(p: &Picture) -> String {
    let mut o = Out {
        lines: Vec::new(),
        declared: BTreeSet::new(),
        classes: Vec::new(),
    };
    let root = node_id(Kind::Module, &p.module);
    o.declared.insert(root.clone());
    let detail = if p.detail.is_empty() {
        String::new()
    } else {
        format!(" · {}", label(&p.detail))
    };
    o.lines.push(format!(
        "  {root}[\"<b>{}</b><br/>{} {}{detail}\"]",
        label(&p.module),
        symbol(p.verdict),
        p.verdict.as_str()
    ));
    let mut edges = Vec::new();
    // Holders point down at what they hold.
    fn up(o: &mut Out, edges: &mut Vec<String>, n: &Node, held: &str) {
        let id = o.node(n);
        let e = format!("  {id} -->|holds| {held}");
        if !edges.contains(&e) {
            edges.push(e);
        }
        if !n.repeat {
            for c in &n.children {
                up(o, edges, c, &id);
            }
        }
    }
    for h in &p.holders {
        up(&mut o, &mut edges, h, &root);
    }
    fn down(o: &mut Out, edges: &mut Vec<String>, n: &Node, from: &str, verb: &str) {
        let id = o.node(n);
        let e = format!("  {from} -->|{verb}| {id}");
        if !edges.contains(&e) {
            edges.push(e);
        }
        if !n.repeat {
            for c in &n.children {
                down(o, edges, c, &id, verb);
            }
        }
    }
    for g in &p.below {
        let verb = match g.title.as_str() {
            "devices" => "drives",
            "users" => "used by",
            "depends on" => "needs",
            _ => "",
        };
        for n in &g.nodes {
            down(&mut o, &mut edges, n, &root, verb);
        }
    }
    let mut s = String::from("```mermaid\nflowchart TD\n");
    for l in o.lines.iter().chain(edges.iter()) {
        s.push_str(l);
        s.push('\n');
    }
    s.push_str("  classDef blocks fill:#f8d7da,stroke:#b00020,color:#000\n");
    s.push_str("  classDef danger fill:#fde0c5,stroke:#c45500,color:#000\n");
    s.push_str("  classDef caution fill:#fff3cd,stroke:#9a7400,color:#000\n");
    s.push_str("  classDef removed fill:#eeeeee,stroke:#888,stroke-dasharray:4 3,color:#000\n");
    s.push_str("  classDef stays fill:#ffffff,stroke:#888,color:#000\n");
    s.push_str("  classDef safe fill:#d4edda,stroke:#1e7e34,color:#000\n");
    s.push_str("  classDef target stroke-width:3px\n");
    for c in ["blocks", "danger", "caution", "removed", "stays"] {
        let ids: Vec<&str> = o
            .classes
            .iter()
            .filter(|(_, k)| *k == c)
            .map(|(i, _)| i.as_str())
            .collect();
        if !ids.is_empty() {
            let _ = writeln!(s, "  class {} {c}", ids.join(","));
        }
    }
    let root_class = match p.verdict {
        Verdict::Blocked => "blocks",
        Verdict::Danger => "danger",
        Verdict::Caution | Verdict::Unknown => "caution",
        Verdict::Safe => "safe",
        _ => "stays",
    };
    let _ = writeln!(s, "  class {root} {root_class}");
    let _ = writeln!(s, "  class {root} target");
    s.push_str("```\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_safe_and_distinct() {
        let a = node_id(Kind::Device, "pci:0000:00:03.0");
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        assert_ne!(node_id(Kind::Device, "a:b"), node_id(Kind::Device, "a.b"));
        assert_ne!(node_id(Kind::Device, "a_3ab"), node_id(Kind::Device, "a:b"));
        assert_ne!(node_id(Kind::Module, "x"), node_id(Kind::Device, "x"));
    }

    #[test]
    fn labels_cannot_break_out() {
        let l = label("a\"]; click x \"<script>`\n");
        assert!(!l.contains('"') && !l.contains('<') && !l.contains('`') && !l.contains('\n'));
    }
}
