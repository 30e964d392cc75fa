//! Who uses a module right now: processes holding its device nodes, mounts
//! and swap on its devices, interfaces it provides and whether they carry the
//! default route or this SSH session, the display it drives.
//!
//! Devices are tied to modules through sysfs: a device belongs to every module
//! whose driver is bound to it or to one of its ancestors (so `virtio_pci` is
//! responsible for everything below its PCI functions). Virtual devices with
//! no driver link fall back to `modules.devname`, `/proc/devices` majors and
//! the markers in `rules/devices.toml`.

use super::devmap;
use super::parse::{devname, mountinfo, proc_devices, routes, swaps};
use super::system::{Loaded, System};
use super::table::{Evidence, FactTable};
use crate::root::{DevKind, DevNum, ReadError, child};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

/// A process holding a device node open.
#[derive(Debug, Clone)]
pub struct FdUse {
    pub pid: u32,
    pub comm: String,
    pub unit: Option<String>,
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

/// Every device a module owns or is responsible for, nearest driver first.
#[derive(Debug, Clone, Default)]
pub struct Owners {
    pub modules: Vec<String>,
    pub evidence: Vec<Evidence>,
    /// Canonical sysfs path of the device, when sysfs knows it.
    pub sys_path: Option<String>,
}

impl Owners {
    fn nearest(&self) -> Option<&str> {
        self.modules.first().map(String::as_str)
    }
    fn has(&self, m: &str) -> bool {
        self.modules.iter().any(|x| x == m)
    }
}

/// A network interface as the whole run sees it: the modules that provide it
/// (each with the evidence), the interfaces stacked on it, whether it is up.
#[derive(Debug, Clone)]
pub struct NetIf {
    pub name: String,
    pub dir: String,
    pub owners: Vec<(String, Evidence)>,
    pub uppers: Vec<String>,
    pub up: Option<Evidence>,
}

/// Class devices that do not depend on the module asked about, resolved once
/// per run (`scan` asks for every module).
#[derive(Debug, Default)]
struct Display {
    cards: Vec<(String, Owners)>,
    /// Evidence that fbcon is bound, and the framebuffers with their owners.
    fbcon: Vec<Evidence>,
    fbs: Vec<(String, String, Owners)>,
}

/// System-wide user facts, each read once per run and only when asked.
#[derive(Default)]
pub struct Users {
    procs: std::cell::OnceCell<Procs>,
    uses_by_module: std::cell::OnceCell<HashMap<String, Vec<usize>>>,
    maps: std::cell::OnceCell<Vec<FdUse>>,
    mounts: std::cell::OnceCell<Loaded<Vec<mountinfo::Mount>>>,
    swaps: std::cell::OnceCell<Loaded<Vec<swaps::Swap>>>,
    routes4: std::cell::OnceCell<Loaded<Vec<routes::Route4>>>,
    v6_defaults: std::cell::OnceCell<Loaded<Vec<(String, usize)>>>,
    majors: std::cell::OnceCell<Vec<(DevKind, u32, String)>>,
    devnames: std::cell::OnceCell<Vec<devname::DevName>>,
    net: std::cell::OnceCell<Result<Vec<NetIf>, ReadError>>,
    display: std::cell::OnceCell<Display>,
    loops: std::cell::OnceCell<Vec<(String, DevNum, Evidence)>>,
    drivers: RefCell<HashMap<String, Option<(String, Evidence)>>>,
    owners: RefCell<HashMap<DevNum, Owners>>,
    path_owners: RefCell<HashMap<String, Owners>>,
}

impl Users {
    pub fn procs(&self, sys: &System) -> &Procs {
        self.procs.get_or_init(|| scan_procs(sys))
    }

    /// The open device nodes that concern `module` (it owns the device or
    /// drives something below it), from an index built once per run so that
    /// `scan` does not walk every descriptor for every module.
    pub fn uses_of(&self, sys: &System, module: &str) -> Vec<&FdUse> {
        let procs = self.procs(sys);
        let index = self.uses_by_module.get_or_init(|| {
            let mut m: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, f) in procs.uses.iter().enumerate() {
                for owner in self.owners(sys, f.dev).modules {
                    m.entry(owner).or_default().push(i);
                }
            }
            m
        });
        index
            .get(module)
            .map(|v| v.iter().map(|i| &procs.uses[*i]).collect())
            .unwrap_or_default()
    }

    /// Device nodes mapped into memory (`/proc/PID/maps`). A mapping keeps
    /// the device open after its descriptor is closed. Read only when open
    /// descriptors do not explain a module's references.
    pub fn maps(&self, sys: &System) -> &Vec<FdUse> {
        self.maps.get_or_init(|| scan_maps(sys))
    }

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

    fn routes4(&self, sys: &System) -> &Loaded<Vec<routes::Route4>> {
        self.routes4.get_or_init(|| {
            let p = "/proc/net/route";
            routes::parse_v4(&sys.root.read_to_string(p)?, p)
        })
    }

    fn v6_defaults(&self, sys: &System) -> &Loaded<Vec<(String, usize)>> {
        self.v6_defaults.get_or_init(|| {
            let p = "/proc/net/ipv6_route";
            match sys.root.read_to_string(p) {
                Ok(t) => routes::parse_v6_defaults(&t, p),
                // IPv6 disabled: no IPv6 routes at all.
                Err(e) if e.kind == crate::root::ReadErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        })
    }

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

    /// Modules responsible for a device number.
    pub fn owners(&self, sys: &System, dev: DevNum) -> Owners {
        if let Some(o) = self.owners.borrow().get(&dev) {
            return o.clone();
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
        self.owners.borrow_mut().insert(dev, o.clone());
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
                let m = sys.root.canonical(&format!("{drv}/module")).ok()?;
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

    /// Every interface with its providers, uppers and state.
    pub fn net(&self, sys: &System) -> &Result<Vec<NetIf>, ReadError> {
        self.net.get_or_init(|| {
            let map = devmap::load();
            let names = match sys.root.read_dir("/sys/class/net") {
                Ok(i) => i,
                Err(e) if e.kind == crate::root::ReadErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(e),
            };
            let mut out = Vec::new();
            for i in names {
                // The loopback device is built into every kernel: no module
                // provides it, whatever its sysfs entry looks like.
                if i == "lo" {
                    continue;
                }
                let Some(dir) = child("/sys/class/net", &i) else {
                    continue;
                };
                let mut owners: Vec<(String, Evidence)> = Vec::new();
                // An interface whose link cannot be followed cannot be tied to
                // any module: which module loses it is then unknown, and the
                // answer must say so rather than skip it.
                let canon = match sys.root.canonical(&dir) {
                    // A link into /sys/devices, or (hand-made trees) the
                    // interface directory itself; anything else is damage.
                    Ok(p) if p.starts_with("/sys/devices/") || sys.root.read_dir(&p).is_ok() => p,
                    Ok(p) => {
                        return Err(ReadError::new(
                            &dir,
                            crate::root::ReadErrorKind::Malformed(format!(
                                "leads to {}, not to a device directory",
                                crate::render::quote::sanitize(&p)
                            )),
                        ));
                    }
                    Err(e) => return Err(e),
                };
                {
                    let p = canon;
                    let o = self.path_owners(sys, &p);
                    for (k, m) in o.modules.iter().enumerate() {
                        let ev = o
                            .evidence
                            .get(k)
                            .cloned()
                            .unwrap_or_else(|| Evidence::new(&p, "device"));
                        owners.push((m.clone(), ev));
                    }
                }
                for (marker, m) in &map.net_markers {
                    if sys.root.exists(&format!("{dir}/{marker}")) {
                        owners.push((
                            m.clone(),
                            Evidence::new(format!("{dir}/{marker}"), "present"),
                        ));
                    }
                }
                if let Ok(ue) = sys.root.read_to_string(&format!("{dir}/uevent"))
                    && let Some(dt) = ue.lines().find_map(|l| l.strip_prefix("DEVTYPE="))
                    && let Some(m) = map.net_devtypes.get(dt)
                {
                    owners.push((
                        m.clone(),
                        Evidence::new(format!("{dir}/uevent"), format!("DEVTYPE={dt}")),
                    ));
                }
                let mut uppers = Vec::new();
                if let Ok(target) = sys.root.read_link(&format!("{dir}/master")) {
                    uppers.push(target.rsplit('/').next().unwrap_or_default().to_string());
                }
                if let Ok(entries) = sys.root.read_dir(&dir) {
                    uppers.extend(
                        entries
                            .iter()
                            .filter_map(|n| n.strip_prefix("upper_").map(str::to_string)),
                    );
                }
                uppers.retain(|u| !u.is_empty());
                let up = sys
                    .root
                    .read_attr(&format!("{dir}/flags"))
                    .ok()
                    .and_then(|f| {
                        let flags =
                            u32::from_str_radix(f.trim().trim_start_matches("0x"), 16).unwrap_or(0);
                        (flags & 1 != 0).then(|| Evidence::new(format!("{dir}/flags"), f))
                    });
                out.push(NetIf {
                    name: i,
                    dir,
                    owners,
                    uppers,
                    up,
                });
            }
            Ok(out)
        })
    }

    fn display(&self, sys: &System) -> &Display {
        self.display.get_or_init(|| {
            let mut d = Display::default();
            for c in sys.root.read_dir("/sys/class/drm").unwrap_or_default() {
                if !c.starts_with("card") || c.contains('-') {
                    continue;
                }
                let Some(p) = child("/sys/class/drm", &c) else {
                    continue;
                };
                if let Ok(canon) = sys.root.canonical(&p) {
                    d.cards.push((c, self.path_owners(sys, &canon)));
                }
            }
            for v in sys
                .root
                .read_dir("/sys/class/vtconsole")
                .unwrap_or_default()
            {
                let dir = format!("/sys/class/vtconsole/{v}");
                let bound = sys
                    .root
                    .read_attr(&format!("{dir}/bind"))
                    .is_ok_and(|b| b.trim() == "1");
                let fb = sys
                    .root
                    .read_attr(&format!("{dir}/name"))
                    .is_ok_and(|n| n.contains("frame buffer"));
                if bound && fb {
                    d.fbcon.push(Evidence::new(
                        format!("{dir}/name"),
                        "frame buffer device, bound",
                    ));
                }
            }
            if !d.fbcon.is_empty() {
                for fb in sys.root.read_dir("/sys/class/graphics").unwrap_or_default() {
                    if !fb.starts_with("fb") {
                        continue;
                    }
                    let p = format!("/sys/class/graphics/{fb}");
                    if let Ok(canon) = sys.root.canonical(&p) {
                        let o = self.path_owners(sys, &canon);
                        d.fbs.push((p, canon, o));
                    }
                }
            }
            d
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
            Err(err) if err.kind == crate::root::ReadErrorKind::NotFound => continue,
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
                            crate::root::ReadErrorKind::Malformed(format!(
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
fn identity(sys: &System, pid: u32) -> (String, Option<String>) {
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

/// The systemd unit from `/proc/<pid>/cgroup` (v2 `0::/system.slice/x.service`
/// or the `name=systemd` v1 line). User sessions (`session-3.scope`) are not
/// units one should stop, so only services and non-session scopes count.
pub fn unit_of(cgroup: &str) -> Option<String> {
    use procfs::FromBufRead;
    let groups = procfs::ProcessCGroups::from_buf_read(cgroup.as_bytes()).ok()?;
    let path = groups
        .0
        .iter()
        .find(|g| g.hierarchy == 0 || g.controllers.iter().any(|c| c == "name=systemd"))?
        .pathname
        .clone();
    let last = path
        .rsplit('/')
        .find(|c| c.ends_with(".service") || c.ends_with(".scope"))?;
    if last.starts_with("session-") || last.starts_with("user@") || last == "init.scope" {
        return None;
    }
    Some(last.to_string())
}

pub fn gather(sys: &System, name: &str, t: &mut FactTable) {
    let u = sys.users();
    let map = devmap::load();
    let mut attributed = 0i64;
    let mut classes = BTreeSet::new();

    // Mounts: filesystems on its block devices, or of a type it provides.
    let fs_types = fs_types_of(sys, name);
    match u.mounts(sys) {
        Ok(mounts) => {
            let mut on = Vec::new();
            let mut crit = Vec::new();
            let mut ev = Vec::new();
            for m in mounts {
                let mut hit = fs_types.contains(m.fs_type.split('.').next().unwrap_or_default());
                if hit {
                    attributed += 1;
                } else if m.major != 0 {
                    let o = u.owners(
                        sys,
                        DevNum {
                            kind: DevKind::Block,
                            major: m.major,
                            minor: m.minor,
                        },
                    );
                    if o.has(name) {
                        hit = true;
                        classes.insert("storage".to_string());
                        if o.nearest() == Some(name) {
                            attributed += 1;
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
            let releasable: Vec<String> =
                on.iter().filter(|m| !crit.contains(m)).cloned().collect();
            t.set("users.releasable_mounts", releasable, ev.clone());
            t.set("users.mounts", on, ev.clone());
            t.set("users.critical_mounts", crit, ev);
        }
        Err(e) => {
            t.unread("users.mounts", e.clone());
            t.unread("users.critical_mounts", e.clone());
            t.unread("users.releasable_mounts", e.clone());
        }
    }

    // Swap areas on its devices.
    match u.swaps(sys) {
        Ok(list) => {
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
                let o = u.owners(sys, dev);
                if o.has(name) {
                    if o.nearest() == Some(name) {
                        attributed += 1;
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
        Err(e) => t.unread("users.swaps", e.clone()),
    }

    // Loop devices with a backing file.
    let mut loops = Vec::new();
    let mut lev = Vec::new();
    for (dev_path, dev, ev) in u.loops(sys) {
        let o = u.owners(sys, *dev);
        if o.has(name) {
            if o.nearest() == Some(name) {
                attributed += 1;
            }
            classes.insert("storage".to_string());
            loops.push(dev_path.clone());
            lev.push(ev.clone());
        }
    }
    t.set("users.loop_devices", loops, lev);

    // Processes holding its device nodes. Opening a device node takes a
    // reference on the module that owns it, so when every reference is
    // accounted for by holders and the module drives no bus device (below
    // which other modules' nodes could sit), no process can be using it and
    // the full /proc scan is skipped.
    let refs_beyond_holders = t
        .int("module.refcount")
        .is_none_or(|rc| rc > t.list("module.holders").len() as i64);
    let drives_devices =
        !matches!(t.value("module.bound_devices"), Some(super::Value::List(l)) if l.is_empty());
    if !refs_beyond_holders && !drives_devices {
        let why = vec![Evidence::new(
            "/proc/*/fd",
            "not scanned: no non-module references and no bound devices",
        )];
        t.set("users.processes", Vec::<String>::new(), why.clone());
        t.set("users.units", Vec::<String>::new(), why.clone());
        t.set("users.pids", Vec::<String>::new(), why.clone());
        t.set("users.uninspectable", 0usize, why);
    } else {
        processes(sys, name, t, &mut attributed, &mut classes);
    }

    network(sys, name, t, &mut classes);
    display(sys, name, t, &mut classes);

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
        let mut dirs = vec![canon.clone()];
        if let Ok(kids) = sys.root.read_dir(&canon) {
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
                    classes.insert(c.clone());
                }
            }
        }
    }
    let refcount = t.int("module.refcount");
    let holders = t.list("module.holders").len() as i64;
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
        classes.into_iter().collect::<Vec<_>>(),
        vec![],
    );
}

fn processes(
    sys: &System,
    name: &str,
    t: &mut FactTable,
    attributed: &mut i64,
    classes: &mut BTreeSet<String>,
) {
    let u = sys.users();
    let map = devmap::load();
    let procs = u.procs(sys);
    let mut lines = Vec::new();
    let mut units = BTreeSet::new();
    let mut pids = BTreeSet::new();
    let mut ev = Vec::new();
    let mine = |f: &FdUse| u.owners(sys, f.dev).has(name);
    let mut uses: Vec<&FdUse> = u.uses_of(sys, name);
    let unexplained = t.int("module.refcount").is_some_and(|rc| {
        let nearest = uses
            .iter()
            .filter(|f| u.owners(sys, f.dev).nearest() == Some(name))
            .count() as i64;
        rc - t.list("module.holders").len() as i64 - *attributed - nearest > 0
    });
    if unexplained {
        let held: BTreeSet<(u32, &str)> = uses.iter().map(|f| (f.pid, f.target.as_str())).collect();
        uses.extend(
            u.maps(sys)
                .iter()
                .filter(|f| mine(f) && !held.contains(&(f.pid, f.target.as_str()))),
        );
    }
    for f in uses {
        let o = u.owners(sys, f.dev);
        if !o.has(name) {
            continue;
        }
        if o.nearest() == Some(name) {
            *attributed += 1;
        }
        if let Some(c) = class_of(&o, &f.target, map) {
            classes.insert(c);
        }
        let who = match &f.unit {
            Some(unit) => format!("pid {} ({}, {unit})", f.pid, f.comm),
            None => format!("pid {} ({})", f.pid, f.comm),
        };
        let how = if f.fd_path.ends_with("/maps") {
            "maps"
        } else {
            "holds"
        };
        lines.push(format!("{who} {how} {}", f.target));
        match &f.unit {
            Some(unit) => {
                units.insert(unit.clone());
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
    t.set("users.pids", pids.into_iter().collect::<Vec<_>>(), ev);
    let un_ev: Vec<Evidence> = procs
        .uninspectable
        .iter()
        .take(5)
        .map(|e| Evidence::new(&e.path, e.reason()))
        .collect();
    t.set("users.uninspectable", procs.uninspectable.len(), un_ev);
}

/// The block device number of `/dev/NAME` through `/sys/class/block/NAME/dev`.
fn block_dev_of(sys: &System, name: &str) -> Option<DevNum> {
    let p = child("/sys/class/block", name)?;
    let v = sys.root.read_attr(&format!("{p}/dev")).ok()?;
    DevNum::parse("b", v.trim())
}

/// The reported class of a device: from the sysfs class in its path, or from
/// the node name.
fn class_of(o: &Owners, target: &str, map: &devmap::DevMap) -> Option<String> {
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

/// Filesystem types the module provides: its own name, and `fs-TYPE` aliases.
fn fs_types_of(sys: &System, name: &str) -> BTreeSet<String> {
    sys.fs_types(name)
}

fn network(sys: &System, name: &str, t: &mut FactTable, classes: &mut BTreeSet<String>) {
    let u = sys.users();
    let ifaces = match u.net(sys) {
        Ok(i) => i,
        Err(e) => {
            for k in [
                "users.interfaces",
                "users.up_interfaces",
                "users.route_interfaces",
                "users.ssh_interfaces",
            ] {
                t.unread(k, e.clone());
            }
            return;
        }
    };
    let by_name: HashMap<&str, &NetIf> = ifaces.iter().map(|i| (i.name.as_str(), i)).collect();
    let mut affected = BTreeSet::new();
    let mut ev = Vec::new();
    let mut queue = Vec::new();
    for i in ifaces {
        if let Some((_, e)) = i.owners.iter().find(|(m, _)| m == name) {
            affected.insert(i.name.clone());
            ev.push(e.clone());
            queue.push(i.name.clone());
        }
    }
    // Interfaces stacked on top (bridges, bonds, VLANs) go down with their lower devices.
    while let Some(i) = queue.pop() {
        let Some(nif) = by_name.get(i.as_str()) else {
            continue;
        };
        for up in &nif.uppers {
            if affected.insert(up.clone()) {
                ev.push(Evidence::new(
                    format!("{}/upper_{up}", nif.dir),
                    format!("{up} is stacked on {i}"),
                ));
                queue.push(up.clone());
            }
        }
    }
    if !affected.is_empty() {
        classes.insert("network".to_string());
    }
    let mut up = Vec::new();
    let mut up_ev = Vec::new();
    for i in &affected {
        if let Some(e) = by_name.get(i.as_str()).and_then(|n| n.up.clone()) {
            up.push(i.clone());
            up_ev.push(e);
        }
    }
    t.set(
        "users.interfaces",
        affected.iter().cloned().collect::<Vec<_>>(),
        ev,
    );
    t.set("users.up_interfaces", up, up_ev);

    // Default routes and the SSH session through those interfaces.
    let mut route_if = BTreeSet::new();
    let mut rev = Vec::new();
    let r4 = u.routes4(sys);
    match r4 {
        Ok(rs) => {
            for r in rs
                .iter()
                .filter(|r| r.is_default() && r.up && affected.contains(&r.iface))
            {
                route_if.insert(r.iface.clone());
                rev.push(Evidence::new(
                    format!("/proc/net/route:{}", r.line),
                    format!(
                        "default via {} dev {}",
                        std::net::Ipv4Addr::from(r.gateway.to_ne_bytes()),
                        r.iface
                    ),
                ));
            }
        }
        Err(e) => {
            t.unread("users.route_interfaces", e.clone());
        }
    }
    if let Ok(v6) = u.v6_defaults(sys) {
        for (i, line) in v6.iter().filter(|(i, _)| affected.contains(i)) {
            route_if.insert(i.clone());
            rev.push(Evidence::new(
                format!("/proc/net/ipv6_route:{line}"),
                format!("default dev {i}"),
            ));
        }
    }
    if r4.is_ok() {
        t.set(
            "users.route_interfaces",
            route_if.into_iter().collect::<Vec<_>>(),
            rev,
        );
    }

    let mut ssh = Vec::new();
    let mut sev = Vec::new();
    if let (Some(conn), Ok(rs)) = (sys.root.ssh_connection(), r4) {
        let client = conn
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        if let Some(r) = routes::ipv4_as_proc(&client).and_then(|a| routes::route_iface(rs, a))
            && affected.contains(&r.iface)
        {
            ssh.push(r.iface.clone());
            sev.push(Evidence::new("SSH_CONNECTION", conn.clone()));
            sev.push(Evidence::new(
                format!("/proc/net/route:{}", r.line),
                format!("{client} is reached through {}", r.iface),
            ));
        }
    }
    t.set("users.ssh_interfaces", ssh, sev);
}

fn display(sys: &System, name: &str, t: &mut FactTable, classes: &mut BTreeSet<String>) {
    let d = sys.users().display(sys);
    let mut cards = Vec::new();
    let mut ev = Vec::new();
    for (c, o) in &d.cards {
        if o.has(name) {
            cards.push(c.clone());
            ev.extend(o.evidence.first().cloned());
        }
    }
    if !cards.is_empty() {
        classes.insert("display".to_string());
    }
    t.set("users.drm_cards", cards, ev);

    // The text console runs on a framebuffer; if fbcon is bound and one of
    // the framebuffers is this module's, unloading it takes the console.
    let mut cev = d.fbcon.clone();
    let mut console = false;
    for (p, canon, o) in &d.fbs {
        if o.has(name) {
            console = true;
            cev.push(Evidence::new(p, canon));
        }
    }
    if console {
        classes.insert("display".to_string());
    }
    t.set("users.console", console, if console { cev } else { vec![] });
}
