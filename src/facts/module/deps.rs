//! The module graph: whether modules.dep knows it, what it depends on, who
//! holds it (in removal order) and what `modprobe -r` takes with it.

use super::proc_line;
use crate::facts::parse::proc_modules::ModuleEntry;
use crate::facts::system::System;
use crate::facts::table::{Evidence, FactTable};
use std::collections::BTreeSet;

pub(super) fn known(sys: &System, name: &str, t: &mut FactTable) {
    match sys.dep_lookup(name) {
        Ok(a) => {
            let fallback = a.fallback_evidence();
            match a.value {
                Some(e) => {
                    let mut ev = vec![e.evidence];
                    ev.extend(fallback);
                    t.set("module.known", true, ev.clone());
                    t.set("module.path", e.path.as_str(), ev.clone());
                    t.set("module.dependencies", e.deps, ev);
                }
                None => {
                    let mut ev = vec![Evidence::new(&a.source, format!("does not list {name}"))];
                    ev.extend(fallback);
                    t.set("module.known", false, ev);
                    // A loaded module missing from modules.dep (a cut file, a
                    // module inserted from elsewhere): its dependencies are the
                    // modules whose used-by column names it, transitively.
                    match holder_graph_deps(sys, name) {
                        Some((deps, ev)) => t.set("module.dependencies", deps, ev),
                        None => t.set("module.dependencies", Vec::<String>::new(), vec![]),
                    }
                }
            }
        }
        Err(e) => {
            t.unread("module.known", e.clone());
            t.unread("module.dependencies", e);
        }
    }
}
/// Dependencies of a loaded module read from /proc/modules itself: every
/// module whose used-by column lists it, and theirs in turn.
pub(super) fn holder_graph_deps(sys: &System, name: &str) -> Option<(Vec<String>, Vec<Evidence>)> {
    sys.loaded_entry(name)?;
    let mut deps: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut ev = Vec::new();
    let mut queue = vec![name];
    while let Some(m) = queue.pop() {
        for e in sys.held_by(m) {
            if e.name != name && seen.insert(e.name.as_str()) {
                deps.push(e.name.clone());
                ev.push(proc_line(e));
                queue.push(e.name.as_str());
            }
        }
    }
    Some((deps, ev))
}
/// Loaded modules by name, for walking holder and dependency graphs.
pub(super) fn table<'a>(sys: &'a System) -> impl Fn(&str) -> Option<&'a ModuleEntry> + 'a {
    move |n: &str| sys.loaded_entry(n)
}
/// Every module holding `name`, directly or through others, deepest first so
/// that each can be removed in turn.
pub(super) fn removal_order(sys: &System, name: &str, t: &mut FactTable) {
    let mods = table(sys);
    // Post-order over the holder graph with an explicit stack: a snapshot can
    // hold chains far deeper than the call stack.
    let mut order = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::from([name]);
    let mut stack: Vec<(&str, usize)> = vec![(name, 0)];
    while let Some((n, i)) = stack.pop() {
        let holders = mods(n).map(|e| e.holders.as_slice()).unwrap_or(&[]);
        match holders.get(i) {
            Some(h) => {
                stack.push((n, i + 1));
                if seen.insert(h.as_str()) {
                    stack.push((h.as_str(), 0));
                }
            }
            None if n != name => order.push(n.to_string()),
            None => {}
        }
    }
    let ev = order
        .iter()
        .filter_map(|h| mods(h.as_str()).map(proc_line))
        .collect();
    t.set("module.removal_order", order, ev);
}
/// What `modprobe -r` takes out besides the module, computed as kmod does
/// (see [`super::removal`]).
pub(super) fn would_also_remove(sys: &System, name: &str, t: &mut FactTable) {
    if let Err(e) = sys.dep_lookup(name) {
        t.unread("module.would_also_remove", e);
        return;
    }
    let mods = table(sys);
    let out: Vec<String> = crate::facts::removal::removal_set(sys, name)
        .into_iter()
        .filter(|m| m.module != name && m.command.is_none())
        .map(|m| m.module)
        .collect();
    let ev = out
        .iter()
        .filter_map(|m| mods(m.as_str()).map(proc_line))
        .collect();
    t.set("module.would_also_remove", out, ev);
}
