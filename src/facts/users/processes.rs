//! Processes holding a module's device nodes: open descriptors, and device
//! nodes mapped into memory (a mapping keeps the device open after its
//! descriptor is closed), named with their command and systemd unit.

use super::Tally;
use super::devices::{Devices, class_of};
use crate::facts::devmap;
use crate::facts::system::System;
use crate::facts::table::{Evidence, FactTable};
use crate::root::{DevNum, ReadError, ReadErrorKind};
use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap};

/// A process holding a device node open.
#[derive(Debug, Clone)]
pub struct FdUse {
    pub pid: u32,
    pub comm: String,
    pub unit: Option<Unit>,
    pub fd_path: String,
    pub target: String,
    pub dev: DevNum,
}

#[derive(Debug, Default)]
pub struct Procs {
    pub uses: Vec<FdUse>,
    /// Processes whose descriptors could not be listed, with the path that failed.
    pub uninspectable: Vec<ReadError>,
    pub total: usize,
}

/// The process scans, each done once per run and only when asked.
#[derive(Default)]
pub struct Processes {
    procs: OnceCell<Procs>,
    uses_by_module: OnceCell<HashMap<String, Vec<usize>>>,
    maps: OnceCell<Vec<FdUse>>,
}

impl Processes {
    pub fn procs(&self, sys: &System) -> &Procs {
        self.procs.get_or_init(|| scan_procs(sys))
    }

    /// The open device nodes that concern `module` (it owns the device or
    /// drives something below it), from an index built once per run so that
    /// `scan` does not walk every descriptor for every module.
    pub fn uses_of(&self, sys: &System, devs: &Devices, module: &str) -> Vec<&FdUse> {
        let procs = self.procs(sys);
        let index = self.uses_by_module.get_or_init(|| {
            let mut m: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, f) in procs.uses.iter().enumerate() {
                for owner in &devs.owners(sys, f.dev).modules {
                    m.entry(owner.clone()).or_default().push(i);
                }
            }
            m
        });
        index
            .get(module)
            .map(|v| v.iter().map(|i| &procs.uses[*i]).collect())
            .unwrap_or_default()
    }

    /// Device nodes mapped into memory (`/proc/PID/maps`). Read only when open
    /// descriptors do not explain a module's references.
    pub fn maps(&self, sys: &System) -> &Vec<FdUse> {
        self.maps.get_or_init(|| scan_maps(sys))
    }
}

fn scan_procs(sys: &System) -> Procs {
    let mut procs = Procs::default();
    let Ok(entries) = sys.root.read_dir("/proc") else {
        return procs;
    };
    for e in entries {
        let Ok(pid) = e.parse::<u32>() else { continue };
        procs.total += 1;
        let fd_dir = format!("/proc/{pid}/fd");
        let fds = match sys.root.read_links(&fd_dir) {
            Ok(f) => f,
            Err(err) if err.kind == ReadErrorKind::NotFound => continue,
            Err(err) => {
                procs.uninspectable.push(err);
                continue;
            }
        };
        let mut found = Vec::new();
        let mut lost: Option<ReadError> = None;
        for (fd, target) in fds {
            if !target.starts_with("/dev/") {
                continue;
            }
            let fd_path = format!("{fd_dir}/{fd}");
            match sys.root.device_of(&fd_path, &target) {
                Some(dev) => found.push((fd_path, target, dev)),
                // Live, a /dev path that is no device (a file in /dev/shm) is
                // simply not a user. In a snapshot the number should have been
                // recorded: without it the process cannot be judged.
                None if !sys.root.is_live() => {
                    lost.get_or_insert_with(|| {
                        ReadError::new(
                            crate::root::DEVICES_TSV,
                            ReadErrorKind::Malformed(format!(
                                "no device number for {fd_path} -> {target}"
                            )),
                        )
                    });
                }
                None => {}
            }
        }
        if let Some(e) = lost {
            procs.uninspectable.push(e);
        }
        if found.is_empty() {
            continue;
        }
        let (comm, unit) = identity(sys, pid);
        for (fd_path, target, dev) in found {
            procs.uses.push(FdUse {
                pid,
                comm: comm.clone(),
                unit: unit.clone(),
                fd_path,
                target,
                dev,
            });
        }
    }
    procs
}

/// A process's command name and systemd unit, for naming it in a report.
fn identity(sys: &System, pid: u32) -> (String, Option<Unit>) {
    let comm = sys
        .root
        .read_attr(&format!("/proc/{pid}/comm"))
        .unwrap_or_else(|_| "?".into());
    let unit = sys
        .root
        .read_to_string(&format!("/proc/{pid}/cgroup"))
        .ok()
        .and_then(|t| unit_of(&t));
    (comm, unit)
}

fn scan_maps(sys: &System) -> Vec<FdUse> {
    let mut out = Vec::new();
    let Ok(entries) = sys.root.read_dir("/proc") else {
        return out;
    };
    for e in entries {
        let Ok(pid) = e.parse::<u32>() else { continue };
        let maps_path = format!("/proc/{pid}/maps");
        let Ok(text) = sys.root.read_to_string(&maps_path) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for line in text.lines() {
            // address perms offset dev inode path; the path may contain spaces.
            let Some(path) = line.splitn(6, ' ').nth(5).map(str::trim) else {
                continue;
            };
            let path = path.trim_end_matches(" (deleted)");
            if !path.starts_with("/dev/") || !seen.insert(path.to_string()) {
                continue;
            }
            if let Some(dev) = sys.root.device_of(path, path) {
                let (comm, unit) = identity(sys, pid);
                out.push(FdUse {
                    pid,
                    comm,
                    unit,
                    fd_path: maps_path.clone(),
                    target: path.to_string(),
                    dev,
                });
            }
        }
    }
    out
}

/// A systemd unit, of the system manager or of the user manager of `user`
/// (`user@UID.service`): each manager only stops its own units.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unit {
    pub name: String,
    pub user: Option<u32>,
}

/// The systemd unit from `/proc/<pid>/cgroup` (v2 `0::/system.slice/x.service`
/// or the `name=systemd` v1 line). User sessions (`session-3.scope`) are not
/// units one should stop, so only services and non-session scopes count. A
/// unit below `user@UID.service` belongs to that user's manager.
pub fn unit_of(cgroup: &str) -> Option<Unit> {
    use procfs::FromBufRead;
    let groups = procfs::ProcessCGroups::from_buf_read(cgroup.as_bytes()).ok()?;
    let path = groups
        .0
        .iter()
        .find(|g| g.hierarchy == 0 || g.controllers.iter().any(|c| c == "name=systemd"))?
        .pathname
        .clone();
    let comps: Vec<&str> = path.split('/').collect();
    let i = comps
        .iter()
        .rposition(|c| c.ends_with(".service") || c.ends_with(".scope"))?;
    let last = comps[i];
    if last.starts_with("session-") || last.starts_with("user@") || last == "init.scope" {
        return None;
    }
    let user = comps[..i].iter().find_map(|c| {
        c.strip_prefix("user@")?
            .strip_suffix(".service")?
            .parse()
            .ok()
    });
    Some(Unit {
        name: last.to_string(),
        user,
    })
}

/// Opening a device node takes a reference on the module that owns it, so
/// when every reference is accounted for by holders and the module drives no
/// bus device (below which other modules' nodes could sit), no process can be
/// using it and the full /proc scan is skipped.
pub fn gather(sys: &System, u: &super::Users, name: &str, t: &mut FactTable, tally: &mut Tally) {
    let refs_beyond_holders = t
        .int("module.refcount")
        .is_none_or(|rc| rc > t.list("module.holders").len() as i64);
    let drives_devices = !matches!(
        t.value("module.bound_devices"),
        Some(crate::facts::Value::List(l)) if l.is_empty()
    );
    if !refs_beyond_holders && !drives_devices {
        let why = vec![Evidence::new(
            "/proc/*/fd",
            "not scanned: no non-module references and no bound devices",
        )];
        t.set("users.processes", Vec::<String>::new(), why.clone());
        t.set("users.units", Vec::<String>::new(), why.clone());
        t.set("users.user_units", Vec::<String>::new(), why.clone());
        t.set("users.pids", Vec::<String>::new(), why.clone());
        t.set("users.uninspectable", 0usize, why);
        return;
    }
    let devs = &u.devices;
    let map = devmap::load();
    let procs = u.processes.procs(sys);
    let mut lines = Vec::new();
    let mut units = BTreeSet::new();
    let mut user_units = BTreeSet::new();
    let mut pids = BTreeSet::new();
    let mut ev = Vec::new();
    let mine = |f: &FdUse| devs.owners(sys, f.dev).has(name);
    let mut uses: Vec<&FdUse> = u.processes.uses_of(sys, devs, name);
    let unexplained = t.int("module.refcount").is_some_and(|rc| {
        let nearest = uses
            .iter()
            .filter(|f| devs.owners(sys, f.dev).nearest() == Some(name))
            .count() as i64;
        rc - t.list("module.holders").len() as i64 - tally.attributed - nearest > 0
    });
    if unexplained {
        let held: BTreeSet<(u32, &str)> = uses.iter().map(|f| (f.pid, f.target.as_str())).collect();
        uses.extend(
            u.processes
                .maps(sys)
                .iter()
                .filter(|f| mine(f) && !held.contains(&(f.pid, f.target.as_str()))),
        );
    }
    for f in uses {
        let o = devs.owners(sys, f.dev);
        if !o.has(name) {
            continue;
        }
        if o.nearest() == Some(name) {
            tally.attributed += 1;
        }
        if let Some(c) = class_of(&o, &f.target, map) {
            tally.classes.insert(c);
        }
        let who = match &f.unit {
            Some(Unit {
                name: unit,
                user: None,
            }) => format!("pid {} ({}, {unit})", f.pid, f.comm),
            Some(Unit {
                name: unit,
                user: Some(uid),
            }) => format!("pid {} ({}, {unit} of user {uid})", f.pid, f.comm),
            None => format!("pid {} ({})", f.pid, f.comm),
        };
        let how = if f.fd_path.ends_with("/maps") {
            "maps"
        } else {
            "holds"
        };
        lines.push(format!("{who} {how} {}", f.target));
        match &f.unit {
            Some(Unit { name, user: None }) => {
                units.insert(name.clone());
            }
            Some(Unit {
                name,
                user: Some(uid),
            }) => {
                user_units.insert(format!("{uid} {name}"));
            }
            None => {
                pids.insert(f.pid.to_string());
            }
        }
        ev.push(Evidence::new(
            &f.fd_path,
            format!("{} ({})", f.target, f.dev),
        ));
        ev.extend(o.evidence.iter().take(1).cloned());
    }
    t.set("users.processes", lines, ev.clone());
    t.set(
        "users.units",
        units.into_iter().collect::<Vec<_>>(),
        ev.clone(),
    );
    t.set(
        "users.user_units",
        user_units.into_iter().collect::<Vec<_>>(),
        ev.clone(),
    );
    t.set("users.pids", pids.into_iter().collect::<Vec<_>>(), ev);
    let un_ev: Vec<Evidence> = procs
        .uninspectable
        .iter()
        .take(5)
        .map(|e| Evidence::new(&e.path, e.reason()))
        .collect();
    t.set("users.uninspectable", procs.uninspectable.len(), un_ev);
}

#[cfg(test)]
mod tests {
    use super::{Unit, unit_of};

    #[test]
    fn units_of_user_managers_name_their_user() {
        let u = |name: &str, user| {
            Some(Unit {
                name: name.to_string(),
                user,
            })
        };
        assert_eq!(
            unit_of("0::/system.slice/vm1.service\n"),
            u("vm1.service", None)
        );
        assert_eq!(
            unit_of(
                "0::/user.slice/user-1000.slice/user@1000.service/session.slice/org.gnome.Shell@wayland.service\n"
            ),
            u("org.gnome.Shell@wayland.service", Some(1000))
        );
        assert_eq!(
            unit_of(
                "0::/user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service\n"
            ),
            u("pipewire.service", Some(1000))
        );
        assert_eq!(
            unit_of("0::/user.slice/user-1000.slice/session-3.scope\n"),
            None
        );
        assert_eq!(
            unit_of("0::/user.slice/user-1000.slice/user@1000.service/init.scope\n"),
            None
        );
    }
}
