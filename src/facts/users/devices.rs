//! Which modules are responsible for a device: the drivers bound to it or to
//! one of its ancestors (so `virtio_pci` answers for everything below its PCI
//! functions), block stacks through `slaves/`, and for virtual devices with no
//! driver link `modules.devname`, `/proc/devices` majors and `rules/devices.toml`.

use crate::facts::devmap;
use crate::facts::parse::{devname, proc_devices};
use crate::facts::system::System;
use crate::facts::table::Evidence;
use crate::root::{DevKind, DevNum, child};
use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

/// Every module a device depends on, nearest driver first.
#[derive(Debug, Clone, Default)]
pub struct Owners {
    pub modules: Vec<String>,
    pub evidence: Vec<Evidence>,
    /// Canonical sysfs path of the device, when sysfs knows it.
    pub sys_path: Option<String>,
}

impl Owners {
    pub fn nearest(&self) -> Option<&str> {
        self.modules.first().map(String::as_str)
    }
    pub fn has(&self, m: &str) -> bool {
        self.modules.iter().any(|x| x == m)
    }
}

/// Device ownership, resolved once per device per run (devices share ancestors).
#[derive(Default)]
pub struct Devices {
    majors: OnceCell<Vec<(DevKind, u32, String)>>,
    devnames: OnceCell<Vec<devname::DevName>>,
    drivers: RefCell<HashMap<String, Option<(String, Evidence)>>>,
    owners: RefCell<HashMap<DevNum, Rc<Owners>>>,
    path_owners: RefCell<HashMap<String, Owners>>,
}

impl Devices {
    fn majors(&self, sys: &System) -> &Vec<(DevKind, u32, String)> {
        self.majors.get_or_init(|| {
            sys.root
                .read_to_string("/proc/devices")
                .map(|t| proc_devices::parse(&t))
                .unwrap_or_default()
        })
    }

    fn devnames(&self, sys: &System) -> &Vec<devname::DevName> {
        self.devnames.get_or_init(|| {
            let Ok(p) = sys.modules_file("modules.devname") else {
                return Vec::new();
            };
            sys.root
                .read_to_string(&p)
                .ok()
                .and_then(|t| devname::parse(&t, &p).ok())
                .unwrap_or_default()
        })
    }

    /// Modules responsible for a device number. Shared, not copied: a
    /// `scan` asks about the same devices for every module.
    pub fn owners(&self, sys: &System, dev: DevNum) -> Rc<Owners> {
        if let Some(o) = self.owners.borrow().get(&dev) {
            return Rc::clone(o);
        }
        let mut o = match sys.root.canonical(&dev.sys_dev_path()) {
            Ok(p) => self.path_owners(sys, &p),
            Err(_) => Owners::default(),
        };
        if o.modules.is_empty()
            && let Some(d) = self.devnames(sys).iter().find(|d| d.dev == dev)
        {
            o.modules.push(d.module.clone());
            let src = sys.modules_file("modules.devname").unwrap_or_default();
            o.evidence.push(Evidence::new(
                format!("{src}:{}", d.line),
                format!("{} {} {}", d.module, d.node, dev),
            ));
        }
        // A misc device (major 10) with no driver link: its name in
        // /sys/devices/virtual/misc/NAME says whose it is (/dev/zfs).
        if o.modules.is_empty()
            && let Some(node) = o
                .sys_path
                .as_deref()
                .and_then(|p| p.strip_prefix("/sys/devices/virtual/misc/"))
            && let Some(m) = devmap::load().misc.get(node)
        {
            o.modules.push(m.clone());
            o.evidence.push(Evidence::new(
                format!("/sys/devices/virtual/misc/{node}"),
                format!("misc device {node} (rules/devices.toml: {m})"),
            ));
        }
        if o.modules.is_empty() {
            let map = devmap::load();
            if let Some((_, _, name)) = self
                .majors(sys)
                .iter()
                .find(|(k, m, _)| *k == dev.kind && *m == dev.major)
                && let Some(m) = map.majors.get(name)
            {
                o.modules.push(m.clone());
                o.evidence.push(Evidence::new(
                    "/proc/devices",
                    format!("{} {name}", dev.major),
                ));
            }
        }
        // A library module owning the device operations of its holder's
        // devices (nvme_core for nvme's disks): opening the node pins the
        // library, so it is the nearest owner. Inferred from data.
        if let Some(lib) = o
            .nearest()
            .and_then(|m| devmap::load().device_ops.get(m))
            .cloned()
            && !o.has(&lib)
        {
            let holder = o.nearest().unwrap_or_default().to_string();
            o.modules.insert(0, lib.clone());
            o.evidence.insert(
                0,
                Evidence::new(
                    "rules/devices.toml",
                    format!("inferred: {holder}'s devices ({dev}) use {lib}'s device operations"),
                ),
            );
        }
        let o = Rc::new(o);
        self.owners.borrow_mut().insert(dev, Rc::clone(&o));
        o
    }

    /// The module of the driver bound to the device directory `dir`, cached:
    /// devices share ancestors (a PCI function, a virtio bus).
    fn driver_module(&self, sys: &System, dir: &str) -> Option<(String, Evidence)> {
        if let Some(hit) = self.drivers.borrow().get(dir) {
            return hit.clone();
        }
        let found = sys
            .root
            .canonical(&format!("{dir}/driver"))
            .ok()
            .and_then(|drv| {
                let Ok(m) = sys.root.canonical(&format!("{drv}/module")) else {
                    return builtin_driver(sys, dir, &drv);
                };
                let name = m.rsplit('/').next().unwrap_or_default().to_string();
                (!name.is_empty()).then(|| {
                    (
                        name.clone(),
                        Evidence::new(format!("{dir}/driver"), format!("{drv} (module {name})")),
                    )
                })
            });
        self.drivers
            .borrow_mut()
            .insert(dir.to_string(), found.clone());
        found
    }

    /// Modules whose drivers are bound to the device at `path` or any of its
    /// ancestors, nearest first; block stacks follow `slaves/`.
    pub fn path_owners(&self, sys: &System, path: &str) -> Owners {
        self.path_owners_in(sys, path, &mut BTreeSet::new())
    }

    /// `seen` guards against `slaves/` cycles that a corrupt snapshot can hold.
    fn path_owners_in(&self, sys: &System, path: &str, seen: &mut BTreeSet<String>) -> Owners {
        if let Some(o) = self.path_owners.borrow().get(path) {
            return o.clone();
        }
        if !seen.insert(path.to_string()) || seen.len() > 64 {
            return Owners::default();
        }
        let mut o = Owners {
            sys_path: Some(path.to_string()),
            ..Owners::default()
        };
        let mut cur = path.to_string();
        while cur.starts_with("/sys/devices/") {
            if let Some((name, ev)) = self.driver_module(sys, &cur)
                && !o.has(&name)
            {
                o.evidence.push(ev);
                o.modules.push(name);
            }
            match cur.rfind('/') {
                Some(i) => cur.truncate(i),
                None => break,
            }
        }
        if let Ok(slaves) = sys.root.read_dir(&format!("{path}/slaves")) {
            for s in slaves {
                if let Ok(sp) = sys.root.canonical(&format!("{path}/slaves/{s}"))
                    && sp != path
                {
                    let so = self.path_owners_in(sys, &sp, seen);
                    for (m, e) in so.modules.into_iter().zip(
                        so.evidence
                            .into_iter()
                            .chain(std::iter::repeat(Evidence::new("", ""))),
                    ) {
                        if !o.has(&m) {
                            o.modules.push(m);
                            o.evidence.push(e);
                        }
                    }
                }
            }
        }
        self.path_owners
            .borrow_mut()
            .insert(path.to_string(), o.clone());
        o
    }
}

/// A driver without a `module` link is built-in code (virtio drivers never
/// get the link): it answers for its devices under its own name when that
/// name is a built-in module (modules.builtin, or /sys/module/NAME without
/// initstate), so `check virtio_net` on a kernel that builds it in finds eth0.
fn builtin_driver(sys: &System, dir: &str, drv: &str) -> Option<(String, Evidence)> {
    let name = crate::facts::name::normalize(drv.rsplit('/').next()?);
    let listed = sys.builtin().as_ref().is_ok_and(|b| b.contains_key(&name));
    let in_sysfs = || {
        child("/sys/module", &name)
            .is_some_and(|m| sys.root.exists(&m) && !sys.root.exists(&format!("{m}/initstate")))
    };
    (listed || in_sysfs()).then(|| {
        (
            name.clone(),
            Evidence::new(format!("{dir}/driver"), format!("{drv} (built in: {name})")),
        )
    })
}

/// The block device number of `/dev/NAME` through `/sys/class/block/NAME/dev`.
pub fn block_dev_of(sys: &System, name: &str) -> Option<DevNum> {
    let p = child("/sys/class/block", name)?;
    let v = sys.root.read_attr(&format!("{p}/dev")).ok()?;
    DevNum::parse("b", v.trim())
}

/// The reported class of a device: from the sysfs class in its path, or from
/// the node name.
pub fn class_of(o: &Owners, target: &str, map: &devmap::DevMap) -> Option<String> {
    let node = target.trim_start_matches("/dev/");
    let first = node.split('/').next().unwrap_or(node);
    if let Some(c) = map.nodes.get(node).or_else(|| map.nodes.get(first)) {
        return Some(c.clone());
    }
    let p = o.sys_path.as_deref()?;
    let mut comps: Vec<&str> = p.split('/').collect();
    comps.pop();
    let class = comps.iter().rev().find(|c| map.classes.contains_key(**c))?;
    map.classes.get(*class).cloned()
}
