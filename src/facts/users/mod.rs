//! Who uses a module right now, one part per kind of user: processes holding
//! its device nodes, storage (mounts, swap, loop devices), network interfaces
//! and routes, the display. Each part reads its system-wide tables once per
//! run; the facts derived from all of them (classes, unexplained references)
//! are computed in one place, [`derive`], after every part has gathered.

pub mod devices;
pub mod display;
pub mod kernel_refs;
pub mod netfilter;
pub mod network;
pub mod processes;
pub mod storage;

use super::devmap;
use super::system::System;
use super::table::{Evidence, FactTable};
use crate::root::child;
use std::collections::BTreeSet;

pub use devices::Owners;
pub use processes::unit_of;

/// The per-run caches of every part, kept beside the [`System`] they read.
#[derive(Default)]
pub struct Users {
    pub devices: devices::Devices,
    pub processes: processes::Processes,
    pub storage: storage::Storage,
    pub network: network::Network,
    pub netfilter: netfilter::Netfilter,
    pub display: display::Display,
}

/// What the parts found that derived facts are computed from.
#[derive(Default)]
pub struct Tally {
    /// References explained by users the parts attributed to this module.
    pub attributed: i64,
    /// What the module serves, as seen from its users.
    pub classes: BTreeSet<String>,
    /// Sources of references a part read (named constants), for the
    /// accounting of what was checked.
    pub checked: Vec<&'static str>,
}

pub fn gather(sys: &System, u: &Users, name: &str, t: &mut FactTable) {
    let mut tally = Tally::default();
    storage::gather(sys, u, name, t, &mut tally);
    processes::gather(sys, u, name, t, &mut tally);
    network::gather(sys, u, name, t, &mut tally);
    display::gather(sys, u, name, t, &mut tally);
    netfilter::gather(sys, u, name, t, &mut tally);
    kernel_refs::gather(sys, u, name, t, &mut tally);
    derive(sys, tally, t);
}

/// `module.classes` (from users and from what its bound devices carry) and the
/// reference accounting `module.unexplained_refs`.
fn derive(sys: &System, mut tally: Tally, t: &mut FactTable) {
    let map = devmap::load();
    // Classes of what its bound devices carry (virtio3/block/vda, 0000:00:02.0/drm/card0).
    for d in t.list("module.bound_devices").to_vec() {
        let Some((bus, dev)) = d.split_once(':') else {
            continue;
        };
        let Some(p) = child(&format!("/sys/bus/{bus}/devices"), dev) else {
            continue;
        };
        let Ok(canon) = sys.root.canonical(&p) else {
            continue;
        };
        // Child devices are real directories: the device's attributes and its
        // links (`subsystem`, `driver`, `firmware_node`) are not listed.
        let mut dirs = vec![canon.clone()];
        if let Ok(kids) = sys.root.read_subdirs(&canon) {
            dirs.extend(
                kids.iter()
                    .filter(|k| !map.classes.contains_key(*k))
                    .map(|k| format!("{canon}/{k}")),
            );
        }
        for dir in dirs {
            for k in sys.root.read_dir(&dir).unwrap_or_default() {
                if let Some(c) = map.classes.get(&k)
                    && c != "other"
                {
                    tally.classes.insert(c.clone());
                }
            }
        }
    }
    let refcount = t.int("module.refcount");
    let holders = t.list("module.holders").len() as i64;
    let attributed = tally.attributed;
    t.set("users.attributed_refs", attributed, vec![]);
    if let Some(rc) = refcount {
        let ev = vec![Evidence::new(
            "accounting",
            format!("refcount {rc} − holders {holders} − attributed users {attributed}"),
        )];
        t.set(
            "module.unexplained_refs",
            (rc - holders - attributed).max(0),
            ev,
        );
    }
    t.set(
        "module.classes",
        tally.classes.into_iter().collect::<Vec<_>>(),
        vec![],
    );
}
