//! The holder / dependency / device picture of a module: who holds it (above),
//! what it drives, who uses it and what it depends on (below), each marked
//! with what it means for the removal. Built from a finished
//! [`Report`](crate::verdict::Report) plus the module graph in /proc/modules
//! and modules.dep; `render::tree` draws it as text and `render::mermaid` as a
//! Mermaid diagram. Nothing here decides a verdict.

use crate::facts::System;
use crate::facts::parse::proc_modules::ModuleEntry;
use crate::verdict::{Report, Verdict};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Module,
    Device,
    Process,
    Mount,
    Swap,
    Loop,
    Interface,
    Card,
    Console,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Module => "module",
            Kind::Device => "device",
            Kind::Process => "process",
            Kind::Mount => "mount",
            Kind::Swap => "swap",
            Kind::Loop => "loop",
            Kind::Interface => "interface",
            Kind::Card => "card",
            Kind::Console => "console",
        }
    }
}

/// What a node means for the removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The kernel refuses the removal while it is there.
    Blocks,
    /// Something the system depends on goes down with it.
    Danger,
    /// Goes away with it, worth knowing.
    Caution,
    /// `modprobe -r` removes it too.
    RemovedToo,
    /// Stays loaded (still used by others).
    Stays,
}

impl Status {
    /// The verdict whose symbol marks this status, if any.
    pub fn verdict(self) -> Option<Verdict> {
        match self {
            Status::Blocks => Some(Verdict::Blocked),
            Status::Danger => Some(Verdict::Danger),
            Status::Caution => Some(Verdict::Caution),
            Status::RemovedToo | Status::Stays => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Blocks => "blocks",
            Status::Danger => "danger",
            Status::Caution => "caution",
            Status::RemovedToo => "removed-too",
            Status::Stays => "stays",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub kind: Kind,
    /// The name as shown (module, `pci:0000:00:03.0`, `/mnt/data`, ...).
    pub label: String,
    pub status: Status,
    /// A few words on why it has that status.
    pub note: String,
    /// Already drawn elsewhere in the same tree (cargo tree's `(*)`); its
    /// children are not repeated.
    pub repeat: bool,
    pub children: Vec<Node>,
}

/// A labelled group of nodes under the module (`devices`, `depends on`...).
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub title: String,
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Picture {
    pub module: String,
    pub verdict: Verdict,
    /// `refcount 1`, `live`, `[permanent]`.
    pub detail: String,
    /// Modules that hold it; each node's children are the modules holding
    /// that one (drawn above the module).
    pub holders: Vec<Node>,
    /// Drawn below the module: devices, users, dependencies.
    pub below: Vec<Group>,
}

impl Picture {
    /// Every node, depth first, with its depth and the group it is in
    /// (`None` for holders).
    pub fn walk(&self) -> Vec<(Option<&str>, usize, &Node)> {
        fn rec<'a>(
            g: Option<&'a str>,
            d: usize,
            n: &'a Node,
            out: &mut Vec<(Option<&'a str>, usize, &'a Node)>,
        ) {
            out.push((g, d, n));
            for c in &n.children {
                rec(g, d + 1, c, out);
            }
        }
        let mut out = Vec::new();
        for n in &self.holders {
            rec(None, 0, n, &mut out);
        }
        for g in &self.below {
            for n in &g.nodes {
                rec(Some(&g.title), 0, n, &mut out);
            }
        }
        out
    }
}

/// Pictures for reports of loaded modules; `None` for the others (a module
/// that is not loaded has nothing to draw).
pub fn for_reports(sys: &System, reports: &[Report]) -> Vec<Option<Picture>> {
    reports.iter().map(|r| build(sys, r)).collect()
}

/// The picture of one report, when its module is loaded.
pub fn build(sys: &System, r: &Report) -> Option<Picture> {
    if r.module_info.loaded != Some(true) {
        return None;
    }
    let mods: HashMap<&str, &ModuleEntry> = match sys.proc_modules() {
        Ok(Some(list)) => list.iter().map(|e| (e.name.as_str(), e)).collect(),
        _ => HashMap::new(),
    };
    let mi = &r.module_info;

    // Above: holders, and who holds them.
    let mut seen = BTreeSet::from([r.module.clone()]);
    let holders = holders_of(&mi.holders, &r.module, &mods, &mut seen, 0);

    let mut below = Vec::new();
    if !mi.bound_devices.is_empty() {
        below.push(Group {
            title: "devices".into(),
            nodes: mi
                .bound_devices
                .iter()
                .map(|d| leaf(Kind::Device, d, Status::Caution, "loses its driver"))
                .collect(),
        });
    }
    let users = users(r);
    if !users.is_empty() {
        below.push(Group {
            title: "users".into(),
            nodes: users,
        });
    }
    let deps = dependencies(sys, r, &mods);
    if !deps.is_empty() {
        below.push(Group {
            title: "depends on".into(),
            nodes: deps,
        });
    }

    let mut detail = Vec::new();
    if let Some(s) = &mi.state
        && s != "live"
    {
        detail.push(s.clone());
    }
    if let Some(n) = mi.refcount {
        detail.push(format!("refcount {n}"));
    }
    if mi.permanent == Some(true) {
        detail.push("[permanent]".into());
    }
    Some(Picture {
        module: r.module.clone(),
        verdict: r.verdict,
        detail: detail.join(", "),
        holders,
        below,
    })
}

fn leaf(kind: Kind, label: &str, status: Status, note: &str) -> Node {
    Node {
        kind,
        label: label.to_string(),
        status,
        note: note.to_string(),
        repeat: false,
        children: Vec::new(),
    }
}

/// Levels drawn above or below the module; deeper chains are cut (a real
/// system has a handful).
const MAX_DEPTH: usize = 16;

/// Holders of `of`, and theirs. A whole level is marked seen before any of
/// it is expanded, so a module drawn as a direct holder is not repeated in
/// full deeper down (and cycles end).
fn holders_of(
    names: &[String],
    of: &str,
    mods: &HashMap<&str, &ModuleEntry>,
    seen: &mut BTreeSet<String>,
    depth: usize,
) -> Vec<Node> {
    let fresh: Vec<bool> = names.iter().map(|h| seen.insert(h.clone())).collect();
    names
        .iter()
        .zip(fresh)
        .map(|(h, fresh)| {
            let mut n = leaf(
                Kind::Module,
                h,
                Status::Blocks,
                &format!("holds {of}: remove it first"),
            );
            if !fresh {
                n.repeat = true;
            } else if depth < MAX_DEPTH
                && let Some(e) = mods.get(h.as_str())
            {
                n.children = holders_of(&e.holders, h, mods, seen, depth + 1);
            }
            n
        })
        .collect()
}

/// Users found by the facts, marked as the user rules judge them.
fn users(r: &Report) -> Vec<Node> {
    let u = &r.users;
    let mut out = Vec::new();
    for p in &u.processes {
        out.push(leaf(
            Kind::Process,
            p,
            Status::Danger,
            "has its device open",
        ));
    }
    for m in &u.mounts {
        let (status, note) = if u.critical_mounts.contains(m) {
            (Status::Danger, "mounted, and the system cannot lose it")
        } else {
            (Status::Danger, "mounted: unmount first")
        };
        out.push(leaf(Kind::Mount, m, status, note));
    }
    for m in &u.critical_mounts {
        if !u.mounts.contains(m) {
            out.push(leaf(
                Kind::Mount,
                m,
                Status::Danger,
                "mounted, and the system cannot lose it",
            ));
        }
    }
    for s in &u.swaps {
        out.push(leaf(Kind::Swap, s, Status::Danger, "active swap"));
    }
    for l in &u.loop_devices {
        out.push(leaf(Kind::Loop, l, Status::Caution, "attached to a file"));
    }
    for i in &u.interfaces {
        let (status, note) = if u.ssh_interfaces.contains(i) {
            (Status::Danger, "carries this SSH session")
        } else if u.default_route_interfaces.contains(i) {
            (Status::Danger, "carries the default route")
        } else if u.up_interfaces.contains(i) {
            (Status::Caution, "up: goes away with it")
        } else {
            (Status::Caution, "goes away with it")
        };
        out.push(leaf(Kind::Interface, i, status, note));
    }
    for c in &u.drm_cards {
        out.push(leaf(Kind::Card, c, Status::Caution, "display goes away"));
    }
    if u.console == Some(true) {
        out.push(leaf(
            Kind::Console,
            "framebuffer console",
            Status::Danger,
            "the console runs on it",
        ));
    }
    out
}

/// The dependency tree from modules.dep: each line there is a full closure,
/// so the direct dependencies of M are those not already needed by another
/// dependency of M.
fn dependencies(sys: &System, r: &Report, mods: &HashMap<&str, &ModuleEntry>) -> Vec<Node> {
    if sys.dep_lookup(&r.module).is_err() {
        return Vec::new();
    }
    let closure = |m: &str| -> Vec<String> {
        sys.dep_lookup(m)
            .ok()
            .and_then(|a| a.value)
            .map(|e| e.deps)
            .unwrap_or_default()
    };
    let direct = |m: &str| -> Vec<String> {
        let all = closure(m);
        let indirect: BTreeSet<String> = all.iter().flat_map(|d| closure(d)).collect();
        all.into_iter().filter(|d| !indirect.contains(d)).collect()
    };
    let removed: BTreeSet<&str> = r
        .module_info
        .would_also_remove
        .iter()
        .map(String::as_str)
        .collect();
    struct Ctx<'a> {
        target: &'a str,
        direct: &'a dyn Fn(&str) -> Vec<String>,
        removed: &'a BTreeSet<&'a str>,
        mods: &'a HashMap<&'a str, &'a ModuleEntry>,
    }
    fn level(c: &Ctx, names: &[String], seen: &mut BTreeSet<String>, depth: usize) -> Vec<Node> {
        let fresh: Vec<bool> = names.iter().map(|d| seen.insert(d.clone())).collect();
        names
            .iter()
            .zip(fresh)
            .map(|(name, fresh)| {
                let (status, note) = if c.removed.contains(name.as_str()) {
                    (Status::RemovedToo, "modprobe -r removes it too".to_string())
                } else {
                    match c.mods.get(name.as_str()) {
                        Some(e) => {
                            let others: Vec<&str> = e
                                .holders
                                .iter()
                                .map(String::as_str)
                                .filter(|h| *h != c.target && !c.removed.contains(h))
                                .collect();
                            if others.is_empty() {
                                (Status::Stays, "stays loaded".to_string())
                            } else {
                                (
                                    Status::Stays,
                                    format!("stays: also used by {}", short_list(&others)),
                                )
                            }
                        }
                        None => (Status::Stays, "not loaded as a module".to_string()),
                    }
                };
                let mut n = leaf(Kind::Module, name, status, &note);
                if !fresh {
                    n.repeat = true;
                } else if depth < MAX_DEPTH {
                    n.children = level(c, &(c.direct)(name), seen, depth + 1);
                }
                n
            })
            .collect()
    }
    let ctx = Ctx {
        target: &r.module,
        direct: &direct,
        removed: &removed,
        mods,
    };
    let mut seen = BTreeSet::from([r.module.clone()]);
    level(&ctx, &direct(&r.module), &mut seen, 0)
}

/// `a, b, c` or `a, b, c and 4 more`.
fn short_list(items: &[&str]) -> String {
    if items.len() <= 3 {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..3].join(", "), items.len() - 3)
    }
}
