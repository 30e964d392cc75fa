//! What `modprobe -r M` removes, computed the way kmod 30 (Debian 12) and
//! kmod 34 (Debian 13) do; both versions behave alike here (`tools/modprobe.c`,
//! `rmmod_do_module`). For a module modprobe finds, with no `remove` command:
//!
//! 1. its softdep `post:` modules, last first, each removed the same way as
//!    the target (their own softdeps, dependencies), skipped silently when not
//!    loaded, built in or in use (errors are not fatal);
//! 2. the module itself, once its reference count is 0;
//! 3. every module in its modules.dep line, in that order, in ONE pass, whose
//!    reference count is 0 at that moment (kmod reads `refcnt` only, never
//!    `holders`), with a plain delete_module: no softdeps, no commands, no
//!    recursion;
//! 4. its softdep `pre:` modules, last first, as in step 1.
//!
//! A `remove` command (first modprobe.d pattern matching the name, by
//! fnmatch) replaces step 2 and skips step 3. Softdeps come from the first
//! `softdep` line whose pattern matches, over the configuration files in
//! kmod's order: modprobe.d `*.conf` and the module tree's `modules.softdep`,
//! sorted by file name. Blacklists (modprobe.d, `modprobe.blacklist=`) never
//! filter a removal: kmod applies them only when loading.
//!
//! A module modprobe cannot find (not in modules.dep, no command: loaded with
//! insmod from elsewhere, an uninstalled DKMS module, a missing module tree)
//! gets "Module X not found" from modprobe -r; only `rmmod X` removes it, and
//! that removes X alone.
//!
//! The set is computed as if the target itself were free (its own holders and
//! users already gone): that is when the removal can happen at all.

use super::parse::alias::fnmatch;
use super::parse::modprobe_d::{Directive, ModprobeConf, Origin};
use super::parse::proc_modules::ModState;
use super::system::System;
use super::table::{Evidence, FactTable};
use std::collections::{BTreeMap, BTreeSet};

/// Why a module is in the removal set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Target,
    /// A softdep `post:` module of `of`, removed before it.
    SoftdepPost {
        of: String,
    },
    /// A dependency of `of` whose reference count reached 0.
    Dependency {
        of: String,
    },
    /// A softdep `pre:` module of `of`, removed after it.
    SoftdepPre {
        of: String,
    },
}

impl Reason {
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::Target => "target",
            Reason::SoftdepPost { .. } => "softdep-post",
            Reason::Dependency { .. } => "dependency",
            Reason::SoftdepPre { .. } => "softdep-pre",
        }
    }

    pub fn of(&self) -> Option<&str> {
        match self {
            Reason::Target => None,
            Reason::SoftdepPost { of } | Reason::Dependency { of } | Reason::SoftdepPre { of } => {
                Some(of)
            }
        }
    }
}

/// One module the removal takes, in the order it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub module: String,
    pub reason: Reason,
    /// The `remove` command that runs instead of unloading it, if any.
    pub command: Option<String>,
}

/// First `remove` command whose pattern matches `name` (kmod: fnmatch, first wins).
pub fn remove_command<'c>(conf: &'c ModprobeConf, name: &str) -> Option<(&'c str, &'c Origin)> {
    conf.directives.iter().find_map(|(d, o)| match d {
        Directive::Remove { module, command } if matches(module, name) => {
            Some((command.as_str(), o))
        }
        _ => None,
    })
}

/// First `install` command whose pattern matches `name`.
pub fn install_command<'c>(conf: &'c ModprobeConf, name: &str) -> Option<(&'c str, &'c Origin)> {
    conf.directives.iter().find_map(|(d, o)| match d {
        Directive::Install { module, command } if matches(module, name) => {
            Some((command.as_str(), o))
        }
        _ => None,
    })
}

/// The softdeps of `name`: the FIRST `softdep` line whose pattern matches
/// (kmod does not merge several lines).
pub fn softdeps<'c>(
    conf: &'c ModprobeConf,
    name: &str,
) -> Option<(&'c [String], &'c [String], &'c Origin)> {
    conf.directives.iter().find_map(|(d, o)| match d {
        Directive::Softdep { module, pre, post } if matches(module, name) => {
            Some((pre.as_slice(), post.as_slice(), o))
        }
        _ => None,
    })
}

fn matches(pattern: &str, name: &str) -> bool {
    fnmatch(pattern.as_bytes(), name.as_bytes())
}

/// `modprobe.blacklist=a,b` on /proc/cmdline (kmod adds these to its
/// blacklist). Empty when /proc/cmdline cannot be read.
pub fn cmdline_blacklist(sys: &System) -> Vec<String> {
    let Ok(text) = sys.read_shared("/proc/cmdline") else {
        return Vec::new();
    };
    text.split_whitespace()
        .filter_map(|w| w.strip_prefix("modprobe.blacklist="))
        .flat_map(|v| v.split(','))
        .filter(|n| !n.is_empty())
        .map(super::name::normalize)
        .collect()
}

/// The modules kmod's lookup (`kmod_module_new_from_lookup`) finds for a
/// name, in its order: modprobe.d aliases, modules.dep, install/remove
/// commands, modules.alias, modules.builtin, aliases of built-in modules.
/// Unlike our own resolution it never looks at /proc/modules or /sys/module:
/// a loaded module outside the index is "not found" for modprobe.
/// (`symbol:` lookups through modules.symbols are not modelled.)
pub fn modprobe_lookup(sys: &System, query: &str) -> Vec<String> {
    let norm = super::name::normalize(query);
    let conf = sys.modprobe_conf();
    let hits: Vec<String> = conf
        .aliases()
        .filter(|(p, _, _)| matches(&super::name::normalize(p), &norm))
        .map(|(_, m, _)| m.to_string())
        .collect();
    if !hits.is_empty() {
        return dedup(hits);
    }
    if let Ok(a) = sys.dep_lookup(&norm)
        && a.value.is_some()
    {
        return vec![norm];
    }
    // kmod_lookup_alias_from_commands compares names exactly.
    let has_cmd = conf.directives.iter().any(|(d, _)| match d {
        Directive::Install { module, .. } | Directive::Remove { module, .. } => *module == norm,
        _ => false,
    });
    if has_cmd {
        return vec![norm];
    }
    if let Ok(a) = sys.alias_lookup(&norm)
        && !a.value.is_empty()
    {
        return dedup(a.value.into_iter().map(|(m, _)| m).collect());
    }
    if let Ok(a) = sys.builtin_lookup(&norm)
        && a.value.is_some()
    {
        return vec![norm];
    }
    match sys.builtin_alias_lookup(&norm) {
        Ok(a) => dedup(a.value),
        Err(_) => Vec::new(),
    }
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    v.retain(|m| seen.insert(m.clone()));
    v
}

/// Whether modprobe finds the module under its own name.
pub fn modprobe_finds(sys: &System, name: &str) -> bool {
    modprobe_lookup(sys, name).iter().any(|m| m == name)
}

/// The simulation's view of the kernel: reference counts as they drop.
struct Sim<'a, 's> {
    sys: &'a System<'s>,
    /// References dropped so far, by module: counts are read from the
    /// table only for the modules the removal touches.
    dropped: BTreeMap<String, i64>,
    removed: BTreeSet<String>,
    visiting: BTreeSet<String>,
    out: Vec<Member>,
}

impl Sim<'_, '_> {
    fn loaded_live(&self, m: &str) -> bool {
        !self.removed.contains(m)
            && self
                .sys
                .loaded_entry(m)
                .is_some_and(|e| e.state == ModState::Live && !e.permanent)
    }

    /// The reference count of a loaded module now, in the simulation.
    fn refcnt(&self, m: &str) -> Option<i64> {
        let rc = self.sys.loaded_entry(m)?.refcount?;
        Some(rc - self.dropped.get(m).copied().unwrap_or(0))
    }

    /// The module leaves the kernel: every module it held loses one reference.
    fn unload(&mut self, m: &str, reason: Reason) {
        self.removed.insert(m.to_string());
        for e in self.sys.held_by(m) {
            if e.refcount.is_some() {
                *self.dropped.entry(e.name.clone()).or_default() += 1;
            }
        }
        self.out.push(Member {
            module: m.to_string(),
            reason,
            command: None,
        });
    }

    fn softdep_list(&self, names: &[String]) -> Vec<String> {
        names
            .iter()
            .flat_map(|n| modprobe_lookup(self.sys, n))
            .collect()
    }

    /// kmod's rmmod_do_module; `target` is the module asked about, which is
    /// taken as free.
    fn module(&mut self, m: &str, reason: Reason) {
        let target = reason == Reason::Target;
        if !self.visiting.insert(m.to_string()) {
            return;
        }
        let conf = self.sys.modprobe_conf();
        let (pre, post) = softdeps(conf, m)
            .map(|(pre, post, _)| (self.softdep_list(pre), self.softdep_list(post)))
            .unwrap_or_default();
        let cmd = remove_command(conf, m).map(|(c, _)| c.to_string());
        if cmd.is_none() && !self.loaded_live(m) {
            // Not loaded, built in, already gone: nothing happens (an error
            // only for the target, which the verdict reports itself).
            return;
        }
        for p in post.iter().rev() {
            self.module(p, Reason::SoftdepPost { of: m.to_string() });
        }
        if cmd.is_none() && !target && self.refcnt(m).unwrap_or(1) > 0 {
            return; // "Module X is in use": skipped, not fatal for a softdep.
        }
        match cmd {
            Some(c) => self.out.push(Member {
                module: m.to_string(),
                reason,
                command: Some(c),
            }),
            None => {
                self.unload(m, reason);
                let deps = self
                    .sys
                    .dep_lookup(m)
                    .ok()
                    .and_then(|a| a.value)
                    .map(|e| e.deps)
                    .unwrap_or_default();
                for d in deps {
                    if self.loaded_live(&d) && self.refcnt(&d) == Some(0) {
                        self.unload(&d, Reason::Dependency { of: m.to_string() });
                    }
                }
            }
        }
        for p in pre.iter().rev() {
            self.module(p, Reason::SoftdepPre { of: m.to_string() });
        }
    }
}

/// Everything `modprobe -r target` removes, in kmod's order; for a module
/// modprobe cannot find, what `rmmod target` removes (the target alone).
pub fn removal_set(sys: &System, target: &str) -> Vec<Member> {
    sys.removal_set_memo(target, || compute_removal_set(sys, target))
}

fn compute_removal_set(sys: &System, target: &str) -> Vec<Member> {
    if sys.loaded_entry(target).is_none() {
        return Vec::new();
    }
    if !modprobe_finds(sys, target) {
        return vec![Member {
            module: target.to_string(),
            reason: Reason::Target,
            command: None,
        }];
    }
    let mut sim = Sim {
        sys,
        dropped: BTreeMap::new(),
        removed: BTreeSet::new(),
        visiting: BTreeSet::new(),
        out: Vec::new(),
    };
    sim.module(target, Reason::Target);
    sim.out
}

/// The facts: `module.modprobe_finds`, `module.removal_set` and, for each
/// member, why it goes.
pub fn gather(sys: &System, name: &str, t: &mut FactTable) {
    let finds = modprobe_finds(sys, name);
    let dep = sys.dep_lookup(name);
    let dep_path = match &dep {
        Ok(a) => a.source.clone(),
        Err(_) => sys.modules_file("modules.dep").unwrap_or_default(),
    };
    let finds_ev = if finds {
        vec![]
    } else {
        vec![Evidence::new(
            &dep_path,
            format!(
                "no entry, alias or command for {name}: modprobe answers \"Module {name} not found\""
            ),
        )]
    };
    match dep {
        Ok(_) => t.set("module.modprobe_finds", finds, finds_ev),
        // Without modules.dep modprobe finds nothing but commands and aliases
        // of built-in modules; say what we can.
        Err(e) if !finds => t.set(
            "module.modprobe_finds",
            false,
            vec![Evidence::new(&e.path, e.reason())],
        ),
        Err(_) => t.set("module.modprobe_finds", true, vec![]),
    }
    let set = removal_set(sys, name);
    let ev: Vec<Evidence> = set
        .iter()
        .map(|m| {
            let why = match (&m.reason, &m.command) {
                (_, Some(c)) => format!("remove command runs instead: {c}"),
                (Reason::Target, None) => "the target".to_string(),
                (r, None) => format!("{} of {}", r.as_str(), r.of().unwrap_or_default()),
            };
            Evidence::new(format!("removal:{}", m.module), why)
        })
        .collect();
    let names: Vec<String> = set.iter().map(|m| m.module.clone()).collect();
    let others: Vec<String> = names.iter().filter(|n| *n != name).cloned().collect();
    t.set("module.removal_set", names, ev.clone());
    t.set("module.removal_others", others, ev);
}
