//! Storage users: mounts on a module's block devices or of a filesystem type
//! it provides, swap areas on its devices, loop devices attached to a file.

use super::Tally;
use super::devices::block_dev_of;
use crate::facts::devmap;
use crate::facts::parse::{mountinfo, swaps};
use crate::facts::system::{Loaded, System};
use crate::facts::table::{Evidence, FactTable};
use crate::root::{DevKind, DevNum, child};
use std::cell::OnceCell;

/// The system-wide storage tables, each read once per run and only when asked.
#[derive(Default)]
pub struct Storage {
    mounts: OnceCell<Loaded<Vec<mountinfo::Mount>>>,
    swaps: OnceCell<Loaded<Vec<swaps::Swap>>>,
    loops: OnceCell<Vec<(String, DevNum, Evidence)>>,
}

impl Storage {
    pub fn mounts(&self, sys: &System) -> &Loaded<Vec<mountinfo::Mount>> {
        self.mounts.get_or_init(|| {
            let p = "/proc/self/mountinfo";
            mountinfo::parse(&sys.root.read_to_string(p)?, p)
        })
    }

    fn swaps(&self, sys: &System) -> &Loaded<Vec<swaps::Swap>> {
        self.swaps.get_or_init(|| {
            let p = "/proc/swaps";
            swaps::parse(&sys.root.read_to_string(p)?, p)
        })
    }

    /// Loop devices attached to a backing file.
    fn loops(&self, sys: &System) -> &Vec<(String, DevNum, Evidence)> {
        self.loops.get_or_init(|| {
            let mut out = Vec::new();
            for b in sys.root.read_dir("/sys/block").unwrap_or_default() {
                if !b.starts_with("loop") {
                    continue;
                }
                let Some(bf) = child("/sys/block", &b).map(|d| format!("{d}/loop/backing_file"))
                else {
                    continue;
                };
                if let (Ok(file), Some(dev)) = (sys.root.read_attr(&bf), block_dev_of(sys, &b)) {
                    out.push((format!("/dev/{b}"), dev, Evidence::new(bf, file)));
                }
            }
            out
        })
    }
}

pub fn gather(sys: &System, u: &super::Users, name: &str, t: &mut FactTable, tally: &mut Tally) {
    mounts(sys, u, name, t, tally);
    swap_areas(sys, u, name, t, tally);
    loop_devices(sys, u, name, t, tally);
}

/// Filesystems on its block devices, or of a type it provides.
fn mounts(sys: &System, u: &super::Users, name: &str, t: &mut FactTable, tally: &mut Tally) {
    let map = devmap::load();
    // Filesystem types the module provides: its own name, and `fs-TYPE` aliases.
    let fs_types = sys.fs_types(name);
    let mounts = match u.storage.mounts(sys) {
        Ok(m) => m,
        Err(e) => {
            t.unread("users.mounts", e.clone());
            t.unread("users.critical_mounts", e.clone());
            t.unread("users.releasable_mounts", e.clone());
            return;
        }
    };
    let mut on = Vec::new();
    let mut crit = Vec::new();
    let mut ev = Vec::new();
    for m in mounts {
        let mut hit = fs_types.contains(m.fs_type.split('.').next().unwrap_or_default());
        if hit {
            tally.attributed += 1;
        } else if m.major != 0 {
            let o = u.devices.owners(
                sys,
                DevNum {
                    kind: DevKind::Block,
                    major: m.major,
                    minor: m.minor,
                },
            );
            if o.has(name) {
                hit = true;
                tally.classes.insert("storage".to_string());
                if o.nearest() == Some(name) {
                    tally.attributed += 1;
                }
            }
        }
        if hit {
            ev.push(Evidence::new(
                format!("/proc/self/mountinfo:{}", m.line),
                format!(
                    "{} on {} type {} ({}:{})",
                    m.source, m.mount_point, m.fs_type, m.major, m.minor
                ),
            ));
            if map.mounts.critical.contains(&m.mount_point) {
                crit.push(m.mount_point.clone());
            }
            on.push(m.mount_point.clone());
        }
    }
    // Deepest mount first so they can be unmounted in order.
    on.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    on.dedup();
    let releasable: Vec<String> = on.iter().filter(|m| !crit.contains(m)).cloned().collect();
    t.set("users.releasable_mounts", releasable, ev.clone());
    t.set("users.mounts", on, ev.clone());
    t.set("users.critical_mounts", crit, ev);
}

/// Swap areas on its devices.
fn swap_areas(sys: &System, u: &super::Users, name: &str, t: &mut FactTable, tally: &mut Tally) {
    let list = match u.storage.swaps(sys) {
        Ok(l) => l,
        Err(e) => return t.unread("users.swaps", e.clone()),
    };
    let mut on = Vec::new();
    let mut ev = Vec::new();
    for s in list {
        let Some(dev) = s
            .filename
            .strip_prefix("/dev/")
            .and_then(|d| block_dev_of(sys, d))
        else {
            continue;
        };
        let o = u.devices.owners(sys, dev);
        if o.has(name) {
            if o.nearest() == Some(name) {
                tally.attributed += 1;
            }
            on.push(s.filename.clone());
            ev.push(Evidence::new(
                format!("/proc/swaps:{}", s.line),
                format!("{} {}", s.filename, s.kind),
            ));
        }
    }
    t.set("users.swaps", on, ev);
}

/// Loop devices with a backing file on its devices.
fn loop_devices(sys: &System, u: &super::Users, name: &str, t: &mut FactTable, tally: &mut Tally) {
    let mut loops = Vec::new();
    let mut lev = Vec::new();
    for (dev_path, dev, ev) in u.storage.loops(sys) {
        let o = u.devices.owners(sys, *dev);
        if o.has(name) {
            if o.nearest() == Some(name) {
                tally.attributed += 1;
            }
            tally.classes.insert("storage".to_string());
            loops.push(dev_path.clone());
            lev.push(ev.clone());
        }
    }
    t.set("users.loop_devices", loops, lev);
}
