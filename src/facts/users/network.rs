//! Network users: the interfaces a module provides, those stacked on them,
//! whether they are up, carry a default route, or carry this SSH session.

use super::Tally;
use crate::facts::devmap;
use crate::facts::parse::routes;
use crate::facts::system::{Loaded, System};
use crate::facts::table::{Evidence, FactTable};
use crate::root::{NetView, ReadError, ReadErrorKind, child};
use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap};

/// A network interface as the whole run sees it: the modules that provide it
/// (each with the evidence), the interfaces stacked on it, whether it is up.
#[derive(Debug, Clone)]
pub struct NetIf {
    pub name: String,
    pub dir: String,
    pub owners: Vec<(String, Evidence)>,
    pub uppers: Vec<String>,
    pub up: Option<Evidence>,
    /// The rtnetlink link kind (`dummy`, `veth`, ...): `Some("")` for an
    /// interface netlink showed without one, `None` when netlink was not read.
    pub kind: Option<String>,
    /// Its veth peer (or lower device) lives in another network namespace.
    pub foreign_peer: Option<Evidence>,
}

/// Interfaces and routes, each read once per run and only when asked.
#[derive(Default)]
pub struct Network {
    net: OnceCell<Result<Vec<NetIf>, ReadError>>,
    routes4: OnceCell<Loaded<Vec<routes::Route4>>>,
    v6_defaults: OnceCell<Loaded<Vec<(String, usize)>>>,
    routes6: OnceCell<Loaded<Vec<routes::Route6>>>,
    view: OnceCell<Result<Option<NetView>, ReadError>>,
    kinds: OnceCell<HashMap<String, (String, Evidence)>>,
    /// Interface positions by name and by providing module, built once per
    /// run so each module's question does not walk every interface.
    by_name: OnceCell<HashMap<String, usize>>,
    by_owner: OnceCell<HashMap<String, Vec<usize>>>,
    netns: OnceCell<Vec<(String, Evidence)>>,
}

impl Network {
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
                Err(e) if e.kind == ReadErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        })
    }

    fn routes6(&self, sys: &System) -> &Loaded<Vec<routes::Route6>> {
        self.routes6.get_or_init(|| {
            let p = "/proc/net/ipv6_route";
            match sys.root.read_to_string(p) {
                Ok(t) => routes::parse_v6(&t, p),
                Err(e) if e.kind == ReadErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        })
    }

    /// The rtnetlink view (live dump or the snapshot's links.tsv), read once.
    pub fn view(&self, sys: &System) -> &Result<Option<NetView>, ReadError> {
        self.view.get_or_init(|| sys.root.net_view())
    }

    /// Link kind → the module providing it: the `rtnl-link-KIND` aliases of
    /// modules.alias, then the `link_kinds` table of rules/devices.toml for
    /// kinds whose module has no such alias (tun).
    pub fn kind_modules(&self, sys: &System) -> &HashMap<String, (String, Evidence)> {
        self.kinds.get_or_init(|| {
            let mut m = HashMap::new();
            for (k, module) in &devmap::load().link_kinds {
                m.insert(
                    k.replace('-', "_"),
                    (
                        module.clone(),
                        Evidence::new("rules/devices.toml", format!("link kind {k} → {module}")),
                    ),
                );
            }
            for (k, module, ev) in sys.link_kinds() {
                m.insert(k, (module, ev));
            }
            m
        })
    }

    fn indexes<'a>(
        &'a self,
        ifaces: &'a [NetIf],
    ) -> (&'a HashMap<String, usize>, &'a HashMap<String, Vec<usize>>) {
        let by_name = self.by_name.get_or_init(|| {
            ifaces
                .iter()
                .enumerate()
                .map(|(i, n)| (n.name.clone(), i))
                .collect()
        });
        let by_owner = self.by_owner.get_or_init(|| {
            let mut m: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, n) in ifaces.iter().enumerate() {
                for (o, _) in &n.owners {
                    let v = m.entry(o.clone()).or_default();
                    if v.last() != Some(&i) {
                        v.push(i);
                    }
                }
            }
            m
        });
        (by_name, by_owner)
    }

    /// Network namespaces other than the inspected one: the distinct
    /// `/proc/PID/ns/net` of processes, then the names in /run/netns (a
    /// named namespace that also has processes appears twice).
    pub fn other_netns(&self, sys: &System) -> &Vec<(String, Evidence)> {
        self.netns.get_or_init(|| {
            let own = match self.view(sys) {
                Ok(Some(v)) if !v.netns.is_empty() => Some(v.netns.clone()),
                _ => sys.root.read_link("/proc/1/ns/net").ok(),
            };
            let mut seen: std::collections::BTreeMap<String, Vec<String>> = Default::default();
            for p in sys.root.read_dir("/proc").unwrap_or_default() {
                if !p.bytes().all(|b| b.is_ascii_digit()) {
                    continue;
                }
                if let Ok(ns) = sys.root.read_link(&format!("/proc/{p}/ns/net"))
                    && Some(&ns) != own.as_ref()
                {
                    seen.entry(ns).or_default().push(p);
                }
            }
            let mut out: Vec<(String, Evidence)> = seen
                .into_iter()
                .map(|(ns, pids)| {
                    let shown: Vec<&str> = pids.iter().take(3).map(String::as_str).collect();
                    let more = if pids.len() > 3 { ", ..." } else { "" };
                    (
                        format!("{ns} (pid {}{more})", shown.join(", ")),
                        Evidence::new(format!("/proc/{}/ns/net", pids[0]), ns),
                    )
                })
                .collect();
            for n in sys.root.read_dir("/run/netns").unwrap_or_default() {
                if let Some(p) = child("/run/netns", &n) {
                    let _ = sys.root.probe(&p);
                    out.push((p.clone(), Evidence::new(p, "named network namespace")));
                }
            }
            out
        })
    }

    /// Every interface with its providers, uppers and state.
    pub fn interfaces(
        &self,
        sys: &System,
        devs: &super::devices::Devices,
    ) -> &Result<Vec<NetIf>, ReadError> {
        self.net.get_or_init(|| {
            let map = devmap::load();
            let names = match sys.root.read_dir("/sys/class/net") {
                Ok(i) => i,
                Err(e) if e.kind == ReadErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(e),
            };
            let view = self.view(sys).as_ref().ok().and_then(|v| v.as_ref());
            let kinds = self.kind_modules(sys);
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
                // bonding_masters is a control file, not an interface; any
                // other regular file here is damage and still an error below.
                if map.net_controls.contains(&i)
                    && sys.root.read_link(&dir).is_err()
                    && sys.root.read_dir(&dir).is_err()
                {
                    continue;
                }
                let mut owners: Vec<(String, Evidence)> = Vec::new();
                let link = view.and_then(|v| v.links.iter().find(|l| l.name == i));
                let kind = view.map(|_| link.map(|l| l.kind.clone()).unwrap_or_default());
                let mut foreign_peer = None;
                if let (Some(v), Some(l)) = (view, link) {
                    if let Some((m, ev)) = kinds.get(&l.kind.replace('-', "_")) {
                        owners.push((
                            m.clone(),
                            Evidence::new(
                                &v.source,
                                format!("{i}: link kind {} ({}: {})", l.kind, ev.path, ev.value),
                            ),
                        ));
                    } else if let Some(m) = kind_named_module(sys, &l.kind) {
                        // No index lists the kind (a module loaded with insmod
                        // from outside the tree): the kernel registers link
                        // kinds under the module's own name as a rule.
                        owners.push((
                            m.clone(),
                            Evidence::new(
                                &v.source,
                                format!(
                                    "{i}: link kind {}, no rtnl-link-{} alias: the loaded module {m}",
                                    l.kind, l.kind
                                ),
                            ),
                        ));
                    }
                    if let Some(id) = l.link_netnsid {
                        foreign_peer = Some(Evidence::new(
                            &v.source,
                            format!("{i}: its peer is in network namespace id {id}"),
                        ));
                    }
                }
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
                            ReadErrorKind::Malformed(format!(
                                "leads to {}, not to a device directory",
                                crate::shell::sanitize(&p)
                            )),
                        ));
                    }
                    Err(e) => return Err(e),
                };
                let o = devs.path_owners(sys, &canon);
                for (k, m) in o.modules.iter().enumerate() {
                    let ev = o
                        .evidence
                        .get(k)
                        .cloned()
                        .unwrap_or_else(|| Evidence::new(&canon, "device"));
                    owners.push((m.clone(), ev));
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
                    kind,
                    foreign_peer,
                });
            }
            Ok(out)
        })
    }
}

/// The loaded module named like a link kind no alias maps.
fn kind_named_module(sys: &System, kind: &str) -> Option<String> {
    if kind.is_empty() {
        return None;
    }
    let name = crate::facts::name::normalize(kind);
    sys.loaded_entry(&name).map(|_| name)
}

const KEYS: [&str; 8] = [
    "users.netfs_mounts",
    "users.link_kind_interfaces",
    "users.interfaces",
    "users.up_interfaces",
    "users.route_interfaces",
    "users.ssh_interfaces",
    "users.unknown_kind_interfaces",
    "users.peer_namespace_interfaces",
];

pub fn gather(sys: &System, u: &super::Users, name: &str, t: &mut FactTable, tally: &mut Tally) {
    let net = &u.network;
    // The link kinds it provides: interfaces of those kinds carry no device
    // link in sysfs, so without netlink's answer they cannot be told apart.
    let mut my_kinds: Vec<String> = net
        .kind_modules(sys)
        .iter()
        .filter(|(_, (m, _))| m == name)
        .map(|(k, _)| k.clone())
        .collect();
    my_kinds.sort();
    let kinds_ev: Vec<Evidence> = my_kinds
        .iter()
        .filter_map(|k| net.kind_modules(sys).get(k).map(|(_, e)| e.clone()))
        .collect();
    t.set("module.link_kinds", my_kinds.clone(), kinds_ev);
    let others = net.other_netns(sys);
    t.set(
        "users.other_netns",
        others.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
        others.iter().map(|(_, e)| e.clone()).collect(),
    );
    let ifaces = match net.interfaces(sys, &u.devices) {
        Ok(i) => i,
        Err(e) => {
            for k in KEYS {
                t.unread(k, e.clone());
            }
            return;
        }
    };
    let (names, owned) = net.indexes(ifaces);
    let by_name = |n: &str| names.get(n).map(|i| &ifaces[*i]);
    let mut affected = BTreeSet::new();
    let mut ev = Vec::new();
    let mut queue = Vec::new();
    let mut peers = Vec::new();
    let mut peers_ev = Vec::new();
    for i in owned.get(name).into_iter().flatten().map(|i| &ifaces[*i]) {
        if let Some((_, e)) = i.owners.iter().find(|(m, _)| m == name) {
            affected.insert(i.name.clone());
            ev.push(e.clone());
            queue.push(i.name.clone());
            if let Some(e) = &i.foreign_peer {
                peers.push(i.name.clone());
                peers_ev.push(e.clone());
            }
        }
    }
    t.set("users.peer_namespace_interfaces", peers, peers_ev);
    // Most modules provide no link kind: they skip the walk.
    let kinded = if my_kinds.is_empty() { &[][..] } else { ifaces };
    let by_kind: Vec<String> = kinded
        .iter()
        .filter(|i| {
            i.kind
                .as_ref()
                .is_some_and(|k| !k.is_empty() && my_kinds.contains(&k.replace('-', "_")))
        })
        .map(|i| i.name.clone())
        .collect();
    t.set("users.link_kind_interfaces", by_kind, vec![]);

    match net.view(sys) {
        Err(e) if !my_kinds.is_empty() => t.unread("users.unknown_kind_interfaces", e.clone()),
        _ => {
            let mut unknown = Vec::new();
            let mut uev = Vec::new();
            if !my_kinds.is_empty() {
                for i in ifaces
                    .iter()
                    .filter(|i| i.owners.is_empty() && i.kind.is_none())
                {
                    unknown.push(i.name.clone());
                    uev.push(Evidence::new(
                        &i.dir,
                        "no device link, no kind marker, and no recorded link kind",
                    ));
                }
            }
            t.set("users.unknown_kind_interfaces", unknown, uev);
        }
    }
    // Interfaces stacked on top (bridges, bonds, VLANs) go down with their lower devices.
    while let Some(i) = queue.pop() {
        let Some(nif) = by_name(i.as_str()) else {
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
        tally.classes.insert("network".to_string());
    }
    let mut up = Vec::new();
    let mut up_ev = Vec::new();
    for i in &affected {
        if let Some(e) = by_name(i.as_str()).and_then(|n| n.up.clone()) {
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
    let r4 = net.routes4(sys);
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
    if let Ok(v6) = net.v6_defaults(sys) {
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
    if let Some(conn) = sys.root.ssh_connection() {
        let client = conn
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        // (interface, the route table line that reaches the client)
        let via = match routes::client(&client) {
            Some(routes::Client::V4(a)) => r4.as_ref().ok().and_then(|rs| {
                routes::route_iface(rs, a)
                    .map(|r| (r.iface.clone(), format!("/proc/net/route:{}", r.line)))
            }),
            Some(routes::Client::V6(a, zone)) => net.routes6(sys).as_ref().ok().and_then(|rs| {
                routes::route6_iface(rs, a, zone.as_deref())
                    .map(|r| (r.iface.clone(), format!("/proc/net/ipv6_route:{}", r.line)))
            }),
            None => None,
        };
        if let Some((iface, line)) = via
            && affected.contains(&iface)
        {
            sev.push(Evidence::new("SSH_CONNECTION", conn.clone()));
            sev.push(Evidence::new(
                line,
                format!("{client} is reached through {iface}"),
            ));
            ssh.push(iface);
        }
    }
    t.set("users.ssh_interfaces", ssh, sev);

    // Network filesystems whose server is reached through these interfaces.
    let netfs = devmap::load();
    let mut nm = Vec::new();
    let mut nev = Vec::new();
    match (u.storage.mounts(sys), r4) {
        _ if affected.is_empty() => t.set("users.netfs_mounts", Vec::<String>::new(), vec![]),
        (Ok(mounts), Ok(rs)) => {
            for m in mounts {
                if !netfs.network_filesystems.contains(&m.fs_type) {
                    continue;
                }
                let Some((_, addr)) = m.super_options.iter().find(|(k, _)| k == "addr") else {
                    continue;
                };
                if let Some(r) = routes::ipv4_as_proc(addr).and_then(|a| routes::route_iface(rs, a))
                    && affected.contains(&r.iface)
                {
                    nm.push(m.mount_point.clone());
                    nev.push(Evidence::new(
                        format!("/proc/self/mountinfo:{}", m.line),
                        format!(
                            "{} on {} type {} addr={addr}",
                            m.source, m.mount_point, m.fs_type
                        ),
                    ));
                    nev.push(Evidence::new(
                        format!("/proc/net/route:{}", r.line),
                        format!("{addr} is reached through {}", r.iface),
                    ));
                }
            }
            nm.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
            nm.dedup();
            t.set("users.netfs_mounts", nm, nev);
        }
        (Err(e), _) | (_, Err(e)) => t.unread("users.netfs_mounts", e.clone()),
    }
}
