//! Facts about one module: what the kernel says about it now (loaded, state,
//! references, holders), what the module tree says (builtin, known,
//! dependencies), what modprobe.d would do, and what it drives.

use super::parse::proc_modules::ModuleEntry;
use super::resolve::{Resolved, Via};
use super::system::System;
use super::table::{Evidence, FactTable};
use crate::root::{ReadError, ReadErrorKind, child};
use std::collections::BTreeSet;

/// What sysfs says about `/sys/module/M`.
struct Sysfs {
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

/// Whether modules.builtin lists it: only then does modprobe know it is
/// built in ("Module M is builtin."); otherwise modprobe answers "not found"
/// even when /sys/module shows built-in code.
fn builtin_listed(sys: &System, name: &str, t: &mut FactTable) {
    let path = sys.modules_file("modules.builtin").unwrap_or_default();
    match sys.builtin() {
        Ok(l) => match l.get(name) {
            Some(line) => t.set(
                "module.builtin_listed",
                true,
                vec![Evidence::new(
                    format!("{path}:{line}"),
                    format!("{name}.ko"),
                )],
            ),
            None => t.set(
                "module.builtin_listed",
                false,
                vec![Evidence::new(path, format!("does not list {name}"))],
            ),
        },
        // No module tree at all: modprobe has no list to find it in either.
        Err(e) if e.kind == ReadErrorKind::NotFound => t.set(
            "module.builtin_listed",
            false,
            vec![Evidence::new(&e.path, "absent")],
        ),
        Err(e) => t.unread("module.builtin_listed", e.clone()),
    }
}

/// The drivers of built-in code: `/sys/module/M/drivers` where the kernel
/// made it, and drivers named like the module on any bus
/// (`/sys/bus/virtio/drivers/virtio_net`), unless their `module` link names
/// another module.
fn builtin_drivers(sys: &System, name: &str, dir: &str, t: &mut FactTable) {
    let mut pairs: BTreeSet<(String, String)> = BTreeSet::new();
    let mut ev = Vec::new();
    let ddir = format!("{dir}/drivers");
    match sys.root.read_dir(&ddir) {
        Ok(names) => {
            for n in &names {
                if let Some((bus, drv)) = n.split_once(':') {
                    pairs.insert((bus.to_string(), drv.to_string()));
                }
            }
            if !names.is_empty() {
                ev.push(Evidence::new(&ddir, names.join(" ")));
            }
        }
        Err(e) if e.kind == ReadErrorKind::NotFound => {}
        Err(e) => {
            t.unread("module.drivers", e.clone());
            t.unread("module.unbind", e.clone());
            t.unread("module.bound_devices", e);
            return;
        }
    }
    let buses = match sys.root.read_dir("/sys/bus") {
        Ok(b) => b,
        Err(e) if e.kind == ReadErrorKind::NotFound => Vec::new(),
        Err(e) => {
            t.unread("module.drivers", e.clone());
            t.unread("module.unbind", e.clone());
            t.unread("module.bound_devices", e);
            return;
        }
    };
    for bus in &buses {
        let Some(bus_dir) = child("/sys/bus", bus) else {
            continue;
        };
        let Ok(drvs) = sys.root.read_dir(&format!("{bus_dir}/drivers")) else {
            continue;
        };
        for d in drvs.iter().filter(|d| super::name::normalize(d) == name) {
            let Some(drv_dir) = child(&format!("{bus_dir}/drivers"), d) else {
                continue;
            };
            let owner = sys
                .root
                .read_link(&format!("{drv_dir}/module"))
                .ok()
                .and_then(|l| l.rsplit('/').next().map(str::to_string));
            if owner.as_deref().is_some_and(|o| o != name) {
                continue;
            }
            if pairs.insert((bus.clone(), d.clone())) {
                ev.push(Evidence::new(&drv_dir, "a driver named like the module"));
            }
        }
    }
    let names: Vec<String> = pairs.iter().map(|(b, d)| format!("{b}:{d}")).collect();
    if names.is_empty() {
        ev.push(Evidence::new(
            "/sys/bus/*/drivers",
            format!("no driver of {name}"),
        ));
    }
    let (devices, dev_ev, unbind) = bound(sys, &pairs);
    t.set("module.drivers", names, ev);
    t.set("module.unbind", unbind, dev_ev.clone());
    t.set("module.bound_devices", devices, dev_ev);
}

/// Devices bound to each `(bus, driver)`, as `bus:device`, with the links
/// that show it and `DEVICE /sys/bus/BUS/drivers/DRV/unbind` for each.
fn bound(
    sys: &System,
    pairs: &BTreeSet<(String, String)>,
) -> (Vec<String>, Vec<Evidence>, Vec<String>) {
    let mut devices = Vec::new();
    let mut dev_ev = Vec::new();
    let mut unbind = Vec::new();
    for (bus, drv) in pairs {
        let Some(bus_dir) = child("/sys/bus", bus) else {
            continue;
        };
        let Some(drv_dir) = child(&format!("{bus_dir}/drivers"), drv) else {
            continue;
        };
        let Ok(entries) = sys.root.read_dir(&drv_dir) else {
            continue;
        };
        for e in entries {
            if matches!(
                e.as_str(),
                "module" | "bind" | "unbind" | "new_id" | "remove_id" | "uevent"
            ) {
                continue;
            }
            let Some(p) = child(&drv_dir, &e) else {
                continue;
            };
            if let Ok(target) = sys.root.read_link(&p) {
                devices.push(format!("{bus}:{e}"));
                unbind.push(format!("{e} {drv_dir}/unbind"));
                dev_ev.push(Evidence::new(p, target));
            }
        }
    }
    (devices, dev_ev, unbind)
}

fn proc_line(e: &ModuleEntry) -> Evidence {
    Evidence::new(format!("/proc/modules:{}", e.line), e.raw.clone())
}

fn builtin(sys: &System, name: &str, sysfs: &Sysfs, loaded: bool, t: &mut FactTable) {
    let list = sys.builtin_lookup(name);
    if let Ok(a) = &list
        && let Some(ev) = &a.value
    {
        let mut ev = vec![ev.clone()];
        ev.extend(a.fallback_evidence());
        t.set("module.builtin", true, ev);
        return;
    }
    // A /sys/module entry without initstate belongs to built-in code that has
    // parameters or a version.
    if let (Ok(true), Ok(None)) = (&sysfs.exists, &sysfs.initstate)
        && !loaded
    {
        t.set(
            "module.builtin",
            true,
            vec![Evidence::new(
                &sysfs.dir,
                "present without initstate/refcnt/holders",
            )],
        );
        return;
    }
    match list {
        Ok(a) => {
            let mut ev = vec![Evidence::new(&a.source, format!("does not list {name}"))];
            ev.extend(a.fallback_evidence());
            t.set("module.builtin", false, ev);
        }
        Err(_) if loaded => t.set(
            "module.builtin",
            false,
            vec![Evidence::new("/proc/modules", "loaded as a module")],
        ),
        Err(e) => t.unread("module.builtin", e),
    }
}

fn known(sys: &System, name: &str, t: &mut FactTable) {
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
fn holder_graph_deps(sys: &System, name: &str) -> Option<(Vec<String>, Vec<Evidence>)> {
    let Ok(Some(list)) = sys.proc_modules() else {
        return None;
    };
    sys.loaded_entry(name)?;
    // Who each module holds, indexed once: chains can be long.
    let mut held: std::collections::HashMap<&str, Vec<&ModuleEntry>> =
        std::collections::HashMap::new();
    for e in list {
        for h in &e.holders {
            held.entry(h.as_str()).or_default().push(e);
        }
    }
    let mut deps: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut ev = Vec::new();
    let mut queue = vec![name];
    while let Some(m) = queue.pop() {
        for e in held.get(m).into_iter().flatten() {
            if e.name != name && seen.insert(e.name.as_str()) {
                deps.push(e.name.clone());
                ev.push(proc_line(e));
                queue.push(e.name.as_str());
            }
        }
    }
    Some((deps, ev))
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

fn drivers(sys: &System, dir: &str, t: &mut FactTable) {
    let ddir = format!("{dir}/drivers");
    let names = match sys.root.read_dir(&ddir) {
        Ok(n) => n,
        // Only modules that register a bus driver have drivers/.
        Err(e) if e.kind == ReadErrorKind::NotFound => Vec::new(),
        Err(e) => {
            t.unread("module.drivers", e.clone());
            t.unread("module.unbind", e.clone());
            t.unread("module.bound_devices", e);
            return;
        }
    };
    let pairs: BTreeSet<(String, String)> = names
        .iter()
        .filter_map(|n| n.split_once(':'))
        .map(|(b, d)| (b.to_string(), d.to_string()))
        .collect();
    let (devices, dev_ev, unbind) = bound(sys, &pairs);
    let ev = if names.is_empty() {
        vec![Evidence::new(&ddir, "absent or empty")]
    } else {
        vec![Evidence::new(&ddir, names.join(" "))]
    };
    t.set("module.drivers", names, ev);
    t.set("module.unbind", unbind, dev_ev.clone());
    t.set("module.bound_devices", devices, dev_ev);
}

/// Devices whose modalias matches one of the module's aliases: udev would load
/// the module again for them on the next uevent.
fn modalias_devices(sys: &System, name: &str, t: &mut FactTable) {
    let key = "module.modalias_devices";
    // With kmod's alias index, each device's modalias is looked up once per
    // run (as udev does) instead of matching this module's patterns.
    if let Some(found) = sys.device_modules() {
        return match found {
            Ok(d) => {
                let mut hits: Vec<&(String, String, Vec<String>)> = d
                    .devices
                    .iter()
                    .filter(|(_, _, m)| m.iter().any(|m| m == name))
                    .collect();
                hits.sort();
                let found: Vec<String> = hits
                    .iter()
                    .map(|(dev, _, _)| dev.trim_start_matches("/sys/devices/").to_string())
                    .collect();
                let mut ev: Vec<Evidence> = hits
                    .iter()
                    .map(|(dev, alias, _)| Evidence::new(format!("{dev}/modalias"), alias.clone()))
                    .collect();
                if ev.is_empty() {
                    ev.push(Evidence::new(
                        &d.source,
                        format!("{} devices, none mapped to {name}", d.total),
                    ));
                }
                t.set(key, found, ev)
            }
            Err(e) => t.unread(key, e.clone()),
        };
    }
    // A device modalias is always `bus:...`; aliases without a ':' (fs-ext4,
    // rtnl-link-dummy, char-major-10-238) can never match one, so modules
    // with only such aliases skip the walk over /sys/devices.
    let patterns: Vec<&str> = match sys.aliases_of(name) {
        Ok(a) => a
            .iter()
            .filter(|a| a.pattern.contains(':'))
            .map(|a| a.pattern.as_str())
            .collect(),
        Err(e) => return t.unread(key, e.clone()),
    };
    if patterns.is_empty() {
        let src = sys.modules_file("modules.alias").unwrap_or_default();
        return t.set(
            key,
            Vec::<String>::new(),
            vec![Evidence::new(
                src,
                format!("no device aliases (bus:...) for {name}"),
            )],
        );
    }
    let devices = match sys.modaliases() {
        Ok(d) => d,
        Err(e) => return t.unread(key, e.clone()),
    };
    let mut found = Vec::new();
    let mut ev = Vec::new();
    let mut hits: Vec<&(String, String)> = Vec::new();
    for p in &patterns {
        let literal = &p[..p.find(['*', '?', '[']).unwrap_or(p.len())];
        let lo = devices.partition_point(|(_, a)| a.as_str() < literal);
        for d in devices[lo..]
            .iter()
            .take_while(|(_, a)| a.starts_with(literal))
        {
            if super::parse::alias::fnmatch(p.as_bytes(), d.1.as_bytes()) && !hits.contains(&d) {
                hits.push(d);
            }
        }
    }
    hits.sort();
    for (dev, alias) in hits {
        found.push(dev.trim_start_matches("/sys/devices/").to_string());
        ev.push(Evidence::new(format!("{dev}/modalias"), alias.clone()));
    }
    if ev.is_empty() {
        ev.push(Evidence::new(
            "/sys/devices/**/modalias",
            format!("{} devices, none matching", devices.len()),
        ));
    }
    t.set(key, found, ev);
}

/// Loaded modules by name, for walking holder and dependency graphs.
fn table<'a>(sys: &'a System) -> impl Fn(&str) -> Option<&'a ModuleEntry> + 'a {
    move |n: &str| sys.loaded_entry(n)
}

/// Every module holding `name`, directly or through others, deepest first so
/// that each can be removed in turn.
fn removal_order(sys: &System, name: &str, t: &mut FactTable) {
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
fn would_also_remove(sys: &System, name: &str, t: &mut FactTable) {
    if let Err(e) = sys.moddep() {
        t.unread("module.would_also_remove", e.clone());
        return;
    }
    let mods = table(sys);
    let out: Vec<String> = super::removal::removal_set(sys, name)
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
