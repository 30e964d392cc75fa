//! Built-in code: whether the module tree lists it, and the bus drivers
//! (with their bound devices) it registers although it cannot be unloaded.

use super::{Sysfs, unread_drivers};
use crate::facts::system::System;
use crate::facts::table::{Evidence, FactTable};
use crate::root::{ReadErrorKind, child};
use std::collections::BTreeSet;

/// Whether modules.builtin lists it: only then does modprobe know it is
/// built in ("Module M is builtin."); otherwise modprobe answers "not found"
/// even when /sys/module shows built-in code.
pub(super) fn builtin_listed(sys: &System, name: &str, t: &mut FactTable) {
    // The same lookup modprobe makes: modules.builtin.bin, else the text list.
    match sys.builtin_lookup(name) {
        Ok(a) => {
            let listed = a.value.is_some();
            let mut ev = vec![
                a.value
                    .clone()
                    .unwrap_or_else(|| Evidence::new(&a.source, format!("does not list {name}"))),
            ];
            ev.extend(a.fallback_evidence());
            t.set("module.builtin_listed", listed, ev)
        }
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
pub(super) fn builtin_drivers(sys: &System, name: &str, dir: &str, t: &mut FactTable) {
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
            return unread_drivers(t, e);
        }
    }
    let buses = match sys.root.read_dir("/sys/bus") {
        Ok(b) => b,
        Err(e) if e.kind == ReadErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return unread_drivers(t, e);
        }
    };
    for bus in &buses {
        let Some(bus_dir) = child("/sys/bus", bus) else {
            continue;
        };
        let Ok(drvs) = sys.root.read_dir(&format!("{bus_dir}/drivers")) else {
            continue;
        };
        for d in drvs
            .iter()
            .filter(|d| crate::facts::name::normalize(d) == name)
        {
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
pub(super) fn bound(
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
pub(super) fn builtin(sys: &System, name: &str, sysfs: &Sysfs, loaded: bool, t: &mut FactTable) {
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
