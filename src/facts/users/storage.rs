//! Storage users: mounts on a module's block devices or of a filesystem type
//! it provides, swap areas on its devices, loop devices attached to a file.

use super::Tally;
use super::devices::block_dev_of;
use crate::facts::devmap;
use crate::facts::parse::{mountinfo, swaps};
use crate::facts::system::{Loaded, System};
use crate::facts::table::{Evidence, FactTable};
use crate::root::{DevKind, DevNum, ReadError, ReadErrorKind, child};
use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap};

/// The system-wide storage tables, each read once per run and only when asked.
#[derive(Default)]
pub struct Storage {
    mounts: OnceCell<Loaded<Vec<mountinfo::Mount>>>,
    swaps: OnceCell<Loaded<Vec<swaps::Swap>>>,
    loops: OnceCell<Vec<(String, DevNum, Evidence)>>,
    blocks: OnceCell<Result<Vec<(String, DevNum)>, ReadError>>,
    stacks: OnceCell<Option<Vec<Stack>>>,
    /// Module → its block devices, each with the evidence of the tie.
    blocks_by_module: OnceCell<HashMap<String, Vec<(String, Evidence)>>>,
    btrfs: OnceCell<Vec<(String, Vec<String>)>>,
    foreign: OnceCell<Vec<(mountinfo::Mount, String)>>,
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

    /// Mounts of other mount namespaces (containers, services with private
    /// mounts) whose filesystem is not mounted here too: one process per
    /// namespace is read, and a filesystem seen here (same device number) is
    /// left out. Each comes with the pid whose namespace holds it.
    pub fn foreign_mounts(&self, sys: &System) -> &Vec<(mountinfo::Mount, String)> {
        self.foreign.get_or_init(|| {
            let Ok(own) = self.mounts(sys) else {
                return Vec::new();
            };
            let own_ns = sys
                .root
                .read_link("/proc/self/ns/mnt")
                .or_else(|_| sys.root.read_link("/proc/1/ns/mnt"))
                .ok();
            let mut seen_ns = BTreeSet::new();
            let mut seen_dev: BTreeSet<(u32, u32)> =
                own.iter().map(|m| (m.major, m.minor)).collect();
            let mut out = Vec::new();
            for pid in sys.root.read_dir("/proc").unwrap_or_default() {
                if !pid.bytes().all(|b| b.is_ascii_digit()) {
                    continue;
                }
                let Ok(ns) = sys.root.read_link(&format!("/proc/{pid}/ns/mnt")) else {
                    continue;
                };
                if Some(&ns) == own_ns.as_ref() || !seen_ns.insert(ns) {
                    continue;
                }
                let p = format!("/proc/{pid}/mountinfo");
                let Ok(list) = sys
                    .root
                    .read_to_string(&p)
                    .and_then(|t| mountinfo::parse(&t, &p))
                else {
                    continue;
                };
                for m in list {
                    if seen_dev.insert((m.major, m.minor)) {
                        out.push((m, pid.clone()));
                    }
                }
            }
            out
        })
    }

    /// btrfs filesystems: UUID and member device names (/sys/fs/btrfs/UUID/devices/).
    fn btrfs(&self, sys: &System) -> &Vec<(String, Vec<String>)> {
        self.btrfs.get_or_init(|| {
            let mut out = Vec::new();
            for uuid in sys.root.read_dir("/sys/fs/btrfs").unwrap_or_default() {
                let Some(d) = child("/sys/fs/btrfs", &uuid) else {
                    continue;
                };
                if let Ok(devs) = sys.root.read_dir(&format!("{d}/devices")) {
                    out.push((uuid, devs));
                }
            }
            out
        })
    }

    /// Block devices beneath a mount whose device number is not its disk
    /// (btrfs's anonymous 0:N, a device-mapper name): the source device
    /// and, for btrfs, every member device.
    fn source_devices(&self, sys: &System, m: &mountinfo::Mount) -> Vec<(DevNum, Evidence)> {
        let Some(src) = m.source.strip_prefix("/dev/") else {
            return Vec::new();
        };
        let name = match src.strip_prefix("mapper/") {
            Some(dm) => match dm_by_name(sys, dm) {
                Some(n) => n,
                None => return Vec::new(),
            },
            None => src.to_string(),
        };
        let mut names = vec![(
            name.clone(),
            Evidence::new("/proc/self/mountinfo", &m.source),
        )];
        if m.fs_type == "btrfs" {
            for (uuid, devs) in self.btrfs(sys) {
                if devs.contains(&name) {
                    names = devs
                        .iter()
                        .map(|d| {
                            (
                                d.clone(),
                                Evidence::new(
                                    format!("/sys/fs/btrfs/{uuid}/devices/{d}"),
                                    format!("member of btrfs {uuid} mounted on {}", m.mount_point),
                                ),
                            )
                        })
                        .collect();
                }
            }
        }
        names
            .into_iter()
            .filter_map(|(n, ev)| block_dev_of(sys, &n).map(|d| (d, ev)))
            .collect()
    }

    /// Every entry of /sys/class/block (disks, partitions, loop, dm, md)
    /// with its device number; a missing directory is none at all.
    fn blocks(&self, sys: &System) -> &Result<Vec<(String, DevNum)>, ReadError> {
        self.blocks.get_or_init(|| {
            let names = match sys.root.read_dir("/sys/class/block") {
                Ok(n) => n,
                Err(e) if e.kind == ReadErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(e),
            };
            Ok(names
                .into_iter()
                .filter_map(|b| block_dev_of(sys, &b).map(|d| (b, d)))
                .collect())
        })
    }

    /// Block devices with something stacked on them, read once per run (a
    /// `scan` asks for every module: reading each disk's `holders/` per module
    /// was quadratic). `None` when `/sys/class/block` cannot be listed.
    fn stacks(&self, sys: &System) -> &Option<Vec<Stack>> {
        self.stacks.get_or_init(|| {
            let blocks = sys.root.read_dir("/sys/class/block").ok()?;
            Some(
                blocks
                    .into_iter()
                    .filter_map(|b| {
                        let holders = holders_of(sys, &b);
                        if holders.is_empty() {
                            return None;
                        }
                        // A device itself stacked (dm-0 on vdb) is not its disk:
                        // what holds it holds the stacking driver, not this one.
                        let stacked_itself = child("/sys/class/block", &b)
                            .and_then(|p| sys.root.read_dir(&format!("{p}/slaves")).ok())
                            .is_some_and(|s| !s.is_empty());
                        let dev = block_dev_of(sys, &b).filter(|_| !stacked_itself)?;
                        Some(Stack {
                            disk: b,
                            dev,
                            holders,
                        })
                    })
                    .collect(),
            )
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
    block_devices(sys, u, name, t);
    stacked(sys, u, name, t, tally);
}

/// Named in the accounting when `/sys/class/block` could be listed.
pub const CHECKED_HOLDERS: &str = "devices stacked on its disks (sysfs holders/)";

/// A disk (or partition) with devices stacked on it.
struct Stack {
    disk: String,
    dev: DevNum,
    holders: Vec<String>,
}

/// The devices stacked on a block device (`holders/`: dm, md, bcache).
fn holders_of(sys: &System, dev: &str) -> Vec<String> {
    child("/sys/class/block", dev)
        .and_then(|p| sys.root.read_dir(&format!("{p}/holders")).ok())
        .unwrap_or_default()
}

/// Devices stacked on its disks and partitions (device-mapper, md): each
/// holder opened the disk, one reference on its driver. Listed with what is
/// stacked on them in turn, topmost first, the order they come apart.
fn stacked(sys: &System, u: &super::Users, name: &str, t: &mut FactTable, tally: &mut Tally) {
    let Some(stacks) = u.storage.stacks(sys) else {
        for k in [
            "users.stacked_devices",
            "users.stacked_dm_names",
            "users.stacked_md_devices",
        ] {
            t.set(k, Vec::<String>::new(), vec![]);
        }
        return;
    };
    tally.checked.push(CHECKED_HOLDERS);
    let mut ev = Vec::new();
    let mut order: Vec<String> = Vec::new();
    for s in stacks {
        if u.devices.owners(sys, s.dev).nearest() != Some(name) {
            continue;
        }
        tally.classes.insert("storage".to_string());
        for h in &s.holders {
            tally.attributed += 1;
            ev.push(Evidence::new(
                format!("/sys/class/block/{}/holders/{h}", s.disk),
                format!("{h} is stacked on {}", s.disk),
            ));
            stack_above(sys, h, &mut order, 0);
        }
    }
    let (mut shown, mut dm, mut md) = (Vec::new(), Vec::new(), Vec::new());
    for d in order {
        let dm_name = child("/sys/class/block", &d)
            .and_then(|p| sys.root.read_attr(&format!("{p}/dm/name")).ok())
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        match dm_name {
            Some(n) => {
                shown.push(format!("{d} ({n})"));
                dm.push(n);
            }
            None => {
                if d.starts_with("md") {
                    md.push(format!("/dev/{d}"));
                }
                shown.push(d);
            }
        }
    }
    t.set("users.stacked_devices", shown, ev.clone());
    t.set("users.stacked_dm_names", dm, ev.clone());
    t.set("users.stacked_md_devices", md, ev);
}

/// `dev` after everything stacked on it (a corrupt tree's cycles and depth
/// are cut off).
fn stack_above(sys: &System, dev: &str, order: &mut Vec<String>, depth: usize) {
    if depth > 16 || order.iter().any(|d| d == dev) {
        return;
    }
    for h in holders_of(sys, dev) {
        stack_above(sys, &h, order, depth + 1);
    }
    if !order.iter().any(|d| d == dev) {
        order.push(dev.to_string());
    }
}

/// Every block device that goes with the module: those its drivers bind,
/// those stacked on them, and those of its /proc/devices major (an
/// unattached loop0 is still deleted with `loop`). Not a reference: the
/// kernel deletes them on unload without asking.
fn block_devices(sys: &System, u: &super::Users, name: &str, t: &mut FactTable) {
    let list = match u.storage.blocks(sys) {
        Ok(l) => l,
        Err(e) => return t.unread("users.block_devices", e.clone()),
    };
    // Indexed once per run: `scan` asks for every module, and going through
    // every disk for each was quadratic.
    let index = u.storage.blocks_by_module.get_or_init(|| {
        let mut m: HashMap<String, Vec<(String, Evidence)>> = HashMap::new();
        for (b, dev) in list {
            let o = u.devices.owners(sys, *dev);
            for (i, module) in o.modules.iter().enumerate() {
                if o.modules[..i].contains(module) {
                    continue;
                }
                // The evidence of the tie that names this module (a driver
                // link, a slaves/ entry, a major), else the device number.
                let why = o
                    .evidence
                    .get(i)
                    .filter(|e| !e.path.is_empty())
                    .cloned()
                    .unwrap_or_else(|| {
                        Evidence::new(format!("/sys/class/block/{b}/dev"), dev.to_string())
                    });
                m.entry(module.clone()).or_default().push((b.clone(), why));
            }
        }
        m
    });
    let (out, ev): (Vec<String>, Vec<Evidence>) = index
        .get(name)
        .map(|v| v.iter().cloned().unzip())
        .unwrap_or_default();
    t.set("users.block_devices", out, ev);
}

/// The device-mapper device (`dm-0`) called `name` (/sys/block/dm-N/dm/name).
fn dm_by_name(sys: &System, name: &str) -> Option<String> {
    sys.root
        .read_dir("/sys/block")
        .ok()?
        .into_iter()
        .filter(|b| b.starts_with("dm-"))
        .find(|b| {
            child("/sys/block", b)
                .and_then(|d| sys.root.read_attr(&format!("{d}/dm/name")).ok())
                .is_some_and(|n| n.trim() == name)
        })
}

/// The mount a path lives on: the longest mount point that contains it.
pub fn containing_mount<'m>(
    mounts: &'m [mountinfo::Mount],
    path: &str,
) -> Option<&'m mountinfo::Mount> {
    mounts
        .iter()
        .filter(|m| {
            m.mount_point == "/"
                || path == m.mount_point
                || path.starts_with(&format!("{}/", m.mount_point))
        })
        .max_by_key(|m| m.mount_point.len())
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
            t.unread("users.other_ns_mounts", e.clone());
            return;
        }
    };
    let mut on = Vec::new();
    let mut crit = Vec::new();
    let mut ev = Vec::new();
    // Mounts of other namespaces are judged the same way, shown with the
    // namespace they are in, and never offered to a plain `umount`.
    let foreign = u.storage.foreign_mounts(sys);
    let mut elsewhere = Vec::new();
    let mut elsewhere_ev = Vec::new();
    for (m, pid) in foreign {
        let hit = fs_types.contains(m.fs_type.split('.').next().unwrap_or_default())
            || (m.major != 0
                && u.devices
                    .owners(
                        sys,
                        DevNum {
                            kind: DevKind::Block,
                            major: m.major,
                            minor: m.minor,
                        },
                    )
                    .has(name));
        if hit {
            tally.attributed += 1;
            elsewhere.push(format!("{} (mount namespace of pid {pid})", m.mount_point));
            elsewhere_ev.push(Evidence::new(
                format!("/proc/{pid}/mountinfo:{}", m.line),
                format!(
                    "{} on {} type {} ({}:{})",
                    m.source, m.mount_point, m.fs_type, m.major, m.minor
                ),
            ));
        }
    }
    t.set("users.other_ns_mounts", elsewhere, elsewhere_ev);
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
                    // Say so when the tie is inferred (a library's device ops).
                    if let Some(e) = o
                        .evidence
                        .first()
                        .filter(|e| e.value.starts_with("inferred:"))
                    {
                        ev.push(e.clone());
                    }
                }
            }
        } else {
            // Anonymous device number: follow the source (btrfs members,
            // /dev/mapper names) to the disks beneath.
            for (dev, sev) in u.storage.source_devices(sys, m) {
                let o = u.devices.owners(sys, dev);
                if o.has(name) {
                    hit = true;
                    tally.classes.insert("storage".to_string());
                    if o.nearest() == Some(name) {
                        tally.attributed += 1;
                    }
                    ev.push(sev);
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
    // Overlays on a filesystem that goes: their lower, upper and work
    // directories live there (no reference of their own on the module).
    for m in mounts.iter().filter(|m| m.fs_type == "overlay") {
        if on.contains(&m.mount_point) {
            continue;
        }
        let dirs = m
            .super_options
            .iter()
            .filter(|(k, _)| matches!(k.as_str(), "lowerdir" | "upperdir" | "workdir"))
            .flat_map(|(k, v)| v.split(':').map(move |d| (k, d)));
        for (k, d) in dirs {
            if let Some(under) = containing_mount(mounts, d)
                && under.mount_point != m.mount_point
                && on.contains(&under.mount_point)
            {
                ev.push(Evidence::new(
                    format!("/proc/self/mountinfo:{}", m.line),
                    format!(
                        "overlay on {} has {k}={d} on {}",
                        m.mount_point, under.mount_point
                    ),
                ));
                if map.mounts.critical.contains(&m.mount_point) {
                    crit.push(m.mount_point.clone());
                }
                on.push(m.mount_point.clone());
                break;
            }
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
        let dev = s
            .filename
            .strip_prefix("/dev/")
            .and_then(|d| block_dev_of(sys, d));
        let mut via = Vec::new();
        let Some(dev) = dev.or_else(|| swap_file_device(sys, u, &s.filename, &mut via)) else {
            continue;
        };
        let o = u.devices.owners(sys, dev);
        if o.has(name) {
            // A swap file holds its filesystem, not the disk: no reference
            // of its own on the disk's driver.
            if o.nearest() == Some(name) && via.is_empty() {
                tally.attributed += 1;
            }
            on.push(s.filename.clone());
            ev.push(Evidence::new(
                format!("/proc/swaps:{}", s.line),
                format!("{} {}", s.filename, s.kind),
            ));
            ev.extend(via);
        }
    }
    t.set("users.swaps", on, ev);
}

/// The disk a swap file lives on: the device of the mount holding it, or the
/// devices beneath that mount's source.
fn swap_file_device(
    sys: &System,
    u: &super::Users,
    file: &str,
    ev: &mut Vec<Evidence>,
) -> Option<DevNum> {
    let mounts = u.storage.mounts(sys).as_ref().ok()?;
    let m = containing_mount(mounts, file)?;
    let dev = if m.major != 0 {
        Some(DevNum {
            kind: DevKind::Block,
            major: m.major,
            minor: m.minor,
        })
    } else {
        u.storage
            .source_devices(sys, m)
            .into_iter()
            .next()
            .map(|(d, _)| d)
    }?;
    ev.push(Evidence::new(
        format!("/proc/self/mountinfo:{}", m.line),
        format!("swap file {file} lives on {} ({})", m.mount_point, m.source),
    ));
    Some(dev)
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
