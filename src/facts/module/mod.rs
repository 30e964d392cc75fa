//! Facts about one module: what the kernel says about it now (loaded, state,
//! references, holders), what the module tree says (builtin, known,
//! dependencies), what modprobe.d would do, and what it drives.

use super::parse::proc_modules::ModuleEntry;
use super::resolve::{Resolved, Via};
use super::system::System;
use super::table::{Evidence, FactTable};
use crate::root::{ReadError, ReadErrorKind, child};
use std::collections::BTreeSet;

mod builtin;
mod deps;
mod devices;

use builtin::*;
use deps::*;
use devices::*;

/// What sysfs says about `/sys/module/M`.
pub(crate) struct Sysfs {
    dir: String,
    exists: Result<bool, ReadError>,
    initstate: Result<Option<String>, ReadError>,
}

fn sysfs(sys: &System, name: &str) -> Sysfs {
    let dir = child("/sys/module", name).unwrap_or_else(|| "/sys/module/?".into());
    let exists = sys.root.probe(&dir);
    let initstate = match sys.root.read_attr(&format!("{dir}/initstate")) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind == ReadErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    };
    Sysfs {
        dir,
        exists,
        initstate,
    }
}

pub fn gather(sys: &System, r: &Resolved, t: &mut FactTable) {
    let name = r.name.as_str();
    t.set("module.query", r.query.as_str(), vec![]);
    t.set("module.name", name, vec![]);
    t.set("module.resolved_via", r.via.as_str(), vec![]);
    let alias_source = match &r.via {
        Via::Alias { source } => source.clone(),
        _ => String::new(),
    };
    t.set("module.alias_source", alias_source, vec![]);
    // "No alias resolves to it" holds only if every alias source was read.
    match r.unchecked.first() {
        None => t.set("module.aliases_checked", true, vec![]),
        Some(e) => t.unread("module.aliases_checked", e.clone()),
    }

    let sysfs = sysfs(sys, name);
    let proc = sys.proc_modules();
    let entry: Option<&ModuleEntry> = sys.loaded_entry(name);

    // Loaded: /proc/modules decides; sysfs initstate is the fallback.
    let loaded: Result<(bool, Vec<Evidence>), ReadError> = match (proc, entry) {
        (Ok(Some(_)), Some(e)) => Ok((true, vec![proc_line(e)])),
        (Ok(Some(_)), None) => Ok((
            false,
            vec![Evidence::new(
                "/proc/modules",
                format!("no line for {name}"),
            )],
        )),
        (Ok(None), _) => Ok((
            false,
            vec![Evidence::new(
                "/proc/modules",
                "absent: no loadable module support",
            )],
        )),
        (Err(pe), _) => match &sysfs.initstate {
            Ok(Some(s)) => Ok((
                true,
                vec![Evidence::new(format!("{}/initstate", sysfs.dir), s.clone())],
            )),
            Ok(None) if matches!(sysfs.exists, Ok(false)) => {
                Ok((false, vec![Evidence::new(&sysfs.dir, "absent")]))
            }
            _ => Err(pe.clone()),
        },
    };
    let is_loaded = matches!(loaded, Ok((true, _)));
    t.set_result("module.loaded", loaded);

    builtin(sys, name, &sysfs, is_loaded, t);
    builtin_listed(sys, name, t);
    known(sys, name, t);

    if is_loaded {
        loaded_facts(sys, name, entry, &sysfs, t);
        t.set("module.unbindable", false, vec![]);
    } else if t.bool("module.builtin") == Some(false) {
        t.set("module.unbindable", false, vec![]);
    } else {
        // Built in, or not known either way: bound drivers decide.
        builtin_drivers(sys, name, &sysfs.dir, t);
        let bound_ev = match t.get("module.bound_devices") {
            Some(super::table::Fact::Known { evidence, .. }) => Ok(evidence.clone()),
            Some(super::table::Fact::Unread(e)) => Err(e.clone()),
            None => Ok(Vec::new()),
        };
        let n = t.list("module.bound_devices").len();
        match (bound_ev, t.bool("module.builtin")) {
            (Err(e), _) => t.unread("module.unbindable", e),
            (Ok(ev), _) if n == 0 => t.set("module.unbindable", false, ev),
            (Ok(ev), Some(true)) => t.set("module.unbindable", true, ev),
            (Ok(_), _) => {
                let e = match t.get("module.builtin") {
                    Some(super::table::Fact::Unread(e)) => e.clone(),
                    _ => ReadError::new("module.builtin", ReadErrorKind::NotFound),
                };
                t.unread("module.unbindable", e);
            }
        }
    }
    let nowhere = !is_loaded
        && t.bool("module.builtin") != Some(true)
        && t.bool("module.known") != Some(true);
    if nowhere && !matches!(r.via, Via::Alias { .. }) {
        let (names, ev) = super::suggest::suggestions(sys, name);
        t.set("module.suggestions", names, ev);
    } else {
        t.set("module.suggestions", Vec::<String>::new(), vec![]);
    }
    config_facts(sys, name, t);
    super::removal::gather(sys, name, t);
}

/// The driver facts together: one unreadable listing leaves all three unknown.
pub(crate) fn unread_drivers(t: &mut FactTable, e: ReadError) {
    t.unread("module.drivers", e.clone());
    t.unread("module.unbind", e.clone());
    t.unread("module.bound_devices", e);
}

pub(crate) fn proc_line(e: &ModuleEntry) -> Evidence {
    Evidence::new(format!("/proc/modules:{}", e.line), e.raw.clone())
}

fn loaded_facts(
    sys: &System,
    name: &str,
    entry: Option<&ModuleEntry>,
    sysfs: &Sysfs,
    t: &mut FactTable,
) {
    let dir = &sysfs.dir;
    // State.
    match (entry, &sysfs.initstate) {
        (Some(e), _) => t.set("module.state", e.state.as_str(), vec![proc_line(e)]),
        (None, Ok(Some(s))) => {
            let st = match s.as_str() {
                "live" => "live",
                "coming" => "loading",
                "going" => "unloading",
                _ => "unknown",
            };
            t.set(
                "module.state",
                st,
                vec![Evidence::new(format!("{dir}/initstate"), s.clone())],
            );
        }
        (None, Ok(None)) => t.unread(
            "module.state",
            ReadError::new(&format!("{dir}/initstate"), ReadErrorKind::NotFound),
        ),
        (None, Err(e)) => t.unread("module.state", e.clone()),
    }

    // Holders: the used-by column, checked against /sys/module/M/holders.
    let holders_dir = format!("{dir}/holders");
    let sys_holders = sys.root.read_dir(&holders_dir);
    let holders: Result<(Vec<String>, Vec<Evidence>), ReadError> = match (entry, &sys_holders) {
        (Some(e), Ok(sh)) => {
            let mut all: BTreeSet<String> = e.holders.iter().cloned().collect();
            all.extend(sh.iter().cloned());
            let mut ev = vec![proc_line(e)];
            ev.push(Evidence::new(
                &holders_dir,
                if sh.is_empty() {
                    "empty".into()
                } else {
                    sh.join(" ")
                },
            ));
            Ok((all.into_iter().collect(), ev))
        }
        (Some(e), Err(_)) => Ok((e.holders.clone(), vec![proc_line(e)])),
        (None, Ok(sh)) => Ok((
            sh.clone(),
            vec![Evidence::new(
                &holders_dir,
                if sh.is_empty() {
                    "empty".into()
                } else {
                    sh.join(" ")
                },
            )],
        )),
        (None, Err(e)) => Err(e.clone()),
    };
    let n_holders = holders.as_ref().map(|(h, _)| h.len()).ok();
    t.set_result("module.holders", holders);

    // Reference count.
    let refcount: Result<(i64, Vec<Evidence>), ReadError> = match entry
        .and_then(|e| e.refcount.map(|r| (e, r)))
    {
        Some((e, r)) => Ok((r, vec![proc_line(e)])),
        None => {
            let p = format!("{dir}/refcnt");
            sys.root.read_attr(&p).and_then(|v| {
                v.trim()
                    .parse::<i64>()
                    .map(|n| (n, vec![Evidence::new(&p, v.trim())]))
                    .map_err(|_| {
                        ReadError::new(&p, ReadErrorKind::Malformed(format!("not a number: {v:?}")))
                    })
            })
        }
    };
    if let (Ok((rc, ev)), Some(nh)) = (&refcount, n_holders) {
        t.set(
            "module.unexplained_refs",
            (*rc - nh as i64).max(0),
            ev.clone(),
        );
    }
    t.set_result("module.refcount", refcount);

    if let Some(e) = entry {
        t.set("module.permanent", e.permanent, vec![proc_line(e)]);
        t.set(
            "module.size",
            i64::try_from(e.size).unwrap_or(i64::MAX),
            vec![proc_line(e)],
        );
        t.set(
            "module.taint",
            e.taint.clone().unwrap_or_default(),
            vec![proc_line(e)],
        );
    } else {
        // Without /proc/modules the permanent marker is not visible anywhere else.
        let why = match sys.proc_modules() {
            Err(e) => e.clone(),
            _ => ReadError::new("/proc/modules", ReadErrorKind::NotFound),
        };
        t.unread("module.permanent", why);
        let p = format!("{dir}/taint");
        match sys.root.read_attr(&p) {
            Ok(v) => t.set("module.taint", v.clone(), vec![Evidence::new(p, v)]),
            Err(e) => t.unread("module.taint", e),
        }
    }

    drivers(sys, dir, t);
    modalias_devices(sys, name, t);
    removal_order(sys, name, t);
    would_also_remove(sys, name, t);
}

fn config_facts(sys: &System, name: &str, t: &mut FactTable) {
    let conf = sys.modprobe_conf();
    let origin_ev =
        |o: &super::parse::modprobe_d::Origin, v: &str| vec![Evidence::new(o.to_string(), v)];
    match super::removal::remove_command(conf, name) {
        Some((cmd, o)) => t.set("module.remove_command", cmd, origin_ev(o, cmd)),
        None => t.set("module.remove_command", "", vec![]),
    }
    match super::removal::install_command(conf, name) {
        Some((cmd, o)) => t.set("module.install_command", cmd, origin_ev(o, cmd)),
        None => t.set("module.install_command", "", vec![]),
    }
    match super::removal::softdeps(conf, name) {
        Some((pre, post, o)) => {
            let text = format!(
                "softdep {name} pre: {} post: {}",
                pre.join(" "),
                post.join(" ")
            );
            t.set("module.softdep_pre", pre.to_vec(), origin_ev(o, &text));
            t.set("module.softdep_post", post.to_vec(), origin_ev(o, &text));
        }
        None => {
            t.set("module.softdep_pre", Vec::<String>::new(), vec![]);
            t.set("module.softdep_post", Vec::<String>::new(), vec![]);
        }
    }
    match conf.blacklisted(name) {
        Some(o) => t.set(
            "module.blacklisted",
            true,
            origin_ev(o, &format!("blacklist {name}")),
        ),
        None if super::removal::cmdline_blacklist(sys)
            .iter()
            .any(|b| b == name) =>
        {
            t.set(
                "module.blacklisted",
                true,
                vec![Evidence::new(
                    "/proc/cmdline",
                    format!("modprobe.blacklist= names {name}"),
                )],
            )
        }
        None => t.set("module.blacklisted", false, vec![]),
    }
}
