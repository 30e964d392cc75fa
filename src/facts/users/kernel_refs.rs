//! References the kernel itself holds on a module, which no process, mount or
//! device node shows: the default TCP congestion control, the default and the
//! attached queueing disciplines, NLS tables of mounted filesystems, crypto
//! algorithms in use. Which module each kind belongs to is data
//! (`rules/kernel-refs.toml`); every reference found says where it was read.

use super::Tally;
use crate::facts::system::System;
use crate::facts::table::{Evidence, FactTable};
use crate::root::NetView;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefMap {
    pub congestion_fallback: String,
    pub qdisc_fallback: String,
    pub congestion: BTreeMap<String, String>,
    pub qdiscs: BTreeMap<String, String>,
    pub classifiers: BTreeMap<String, String>,
    pub actions: BTreeMap<String, String>,
    pub nls: BTreeMap<String, String>,
    pub transports: BTreeMap<String, String>,
    pub legacy_tables: Vec<LegacyTables>,
}

/// A legacy xtables family: the file naming its tables, the prefix of its
/// table modules, the command that manages it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyTables {
    pub names: String,
    pub prefix: String,
    pub command: String,
}

pub fn map() -> &'static RefMap {
    static MAP: std::sync::OnceLock<RefMap> = std::sync::OnceLock::new();
    // Embedded and checked by a test: a parse failure is a build defect.
    MAP.get_or_init(|| {
        crate::baked::from_tree(crate::baked::tree("rules/kernel-refs.toml"))
            .expect("rules/kernel-refs.toml is valid")
    })
}

impl RefMap {
    /// The module of a congestion control, `None` when built in.
    pub fn congestion_module(&self, cc: &str) -> Option<String> {
        match self.congestion.get(cc) {
            Some(m) if m.is_empty() => None,
            Some(m) => Some(m.clone()),
            None => Some(format!("tcp_{cc}")),
        }
    }

    pub fn qdisc_module(&self, kind: &str) -> Option<String> {
        by_kind(&self.qdiscs, "sch_", kind)
    }

    /// The module of a tc classifier kind (`u32` → cls_u32).
    pub fn classifier_module(&self, kind: &str) -> Option<String> {
        by_kind(&self.classifiers, "cls_", kind)
    }

    /// The module of a tc action kind (`mirred` → act_mirred).
    pub fn action_module(&self, kind: &str) -> Option<String> {
        by_kind(&self.actions, "act_", kind)
    }

    /// The NLS module a mount option names (`iocharset=ascii` → nls_ascii,
    /// `codepage=437` → nls_cp437).
    pub fn nls_module(&self, opt: &str, value: &str) -> Option<String> {
        let table = match opt {
            "iocharset" => value.to_string(),
            "codepage" => format!("cp{value}"),
            _ => return None,
        };
        if value.is_empty()
            || !table
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return None;
        }
        match self.nls.get(&table) {
            Some(m) if m.is_empty() => None,
            Some(m) => Some(m.clone()),
            None => Some(format!("nls_{}", table.replace('-', "_"))),
        }
    }
}

/// A kind's module from its table: listed (empty: built in), else PREFIX + kind.
fn by_kind(table: &BTreeMap<String, String>, prefix: &str, kind: &str) -> Option<String> {
    match table.get(kind) {
        Some(m) if m.is_empty() => None,
        Some(m) => Some(m.clone()),
        None if kind.is_empty() => None,
        None => Some(format!("{prefix}{kind}")),
    }
}

/// One block of /proc/crypto that names its module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoAlg<'a> {
    pub name: &'a str,
    pub driver: &'a str,
    pub module: &'a str,
    pub refcnt: i64,
    pub line: usize,
}

pub fn parse_crypto(text: &str) -> Vec<CryptoAlg<'_>> {
    let mut out = Vec::new();
    let mut cur: Option<CryptoAlg> = None;
    for (i, line) in text.lines().enumerate() {
        let Some((k, v)) = line.split_once(':') else {
            if let Some(c) = cur.take() {
                out.push(c);
            }
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        let c = cur.get_or_insert_with(|| CryptoAlg {
            name: "",
            driver: "",
            module: "",
            refcnt: 0,
            line: i + 1,
        });
        match k {
            "name" => c.name = v,
            "driver" => c.driver = v,
            "module" => c.module = v,
            "refcnt" => c.refcnt = v.parse().unwrap_or(0),
            _ => {}
        }
    }
    out.extend(cur);
    out
}

// Every source this part reads, named in the accounting when it was read.
pub const CHECKED_CONGESTION: &str = "TCP congestion control (sysctl)";
pub const CHECKED_DEFAULT_QDISC: &str = "default qdisc (sysctl)";
pub const CHECKED_QDISCS: &str = "queueing disciplines (netlink)";
pub const CHECKED_TC_FILTERS: &str = "tc classifiers (netlink RTM_GETTFILTER)";
pub const CHECKED_TC_ACTIONS: &str = "tc actions (netlink RTM_GETACTION)";
pub const CHECKED_MOUNT_OPTIONS: &str = "NLS tables and transports of mounts (mount options)";
pub const CHECKED_CRYPTO: &str = "crypto algorithms (/proc/crypto)";

pub fn gather(sys: &System, u: &super::Users, name: &str, t: &mut FactTable, tally: &mut Tally) {
    let map = map();
    let mut refs: Vec<String> = Vec::new();
    let mut ev: Vec<Evidence> = Vec::new();
    let mut checked: Vec<String> = tally.checked.iter().map(|c| c.to_string()).collect();

    // Default congestion control: one reference (per namespace; this one).
    let mut cc_sysctls = Vec::new();
    let p = "/proc/sys/net/ipv4/tcp_congestion_control";
    if let Ok(cc) = sys.read_shared_attr(p) {
        checked.push(CHECKED_CONGESTION.to_string());
        let cc = cc.trim();
        if map.congestion_module(cc).as_deref() == Some(name) {
            refs.push(format!("default TCP congestion control {cc} ({p})"));
            ev.push(Evidence::new(p, cc));
            cc_sysctls.push(format!(
                "net.ipv4.tcp_congestion_control={}",
                map.congestion_fallback
            ));
            tally.attributed += 1;
        }
    }
    t.set("users.congestion_sysctls", cc_sysctls, vec![]);

    // Default qdisc: one reference.
    let mut dq = Vec::new();
    let p = "/proc/sys/net/core/default_qdisc";
    if let Ok(q) = sys.read_shared_attr(p) {
        checked.push(CHECKED_DEFAULT_QDISC.to_string());
        let q = q.trim();
        if map.qdisc_module(q).as_deref() == Some(name) {
            refs.push(format!("default qdisc {q} ({p})"));
            ev.push(Evidence::new(p, q));
            dq.push(format!("net.core.default_qdisc={}", map.qdisc_fallback));
            tally.attributed += 1;
        }
    }
    t.set("users.default_qdisc_sysctls", dq, vec![]);

    if let Ok(Some(view)) = u.network.view(sys) {
        checked.push(CHECKED_QDISCS.to_string());
        tc(view, name, &mut refs, &mut ev, &mut checked, t, tally);
    } else {
        for k in [
            "users.qdisc_interfaces",
            "users.ingress_qdisc_interfaces",
            "users.clsact_qdisc_interfaces",
            "users.tc_filters",
            "users.tc_action_kinds",
        ] {
            t.set(k, Vec::<String>::new(), vec![]);
        }
    }

    // NLS tables named by the options of mounted filesystems.
    let mut nls_mounts = Vec::new();
    if let Ok(mounts) = u.storage.mounts(sys) {
        checked.push(CHECKED_MOUNT_OPTIONS.to_string());
        for m in mounts {
            for (k, v) in &m.super_options {
                let transport = map.transports.get(&format!("{}:{k}={v}", m.fs_type));
                if map.nls_module(k, v).as_deref() == Some(name)
                    || transport.map(String::as_str) == Some(name)
                {
                    refs.push(format!("{k}={v} of {} ({})", m.mount_point, m.fs_type));
                    ev.push(Evidence::new(
                        format!("/proc/self/mountinfo:{}", m.line),
                        format!("{} {} {k}={v}", m.mount_point, m.fs_type),
                    ));
                    tally.attributed += 1;
                    if !nls_mounts.contains(&m.mount_point) {
                        nls_mounts.push(m.mount_point.clone());
                    }
                }
            }
        }
    }
    t.set("users.nls_mounts", nls_mounts, vec![]);

    // Crypto algorithms: each user of an algorithm (a tfm) holds a reference
    // on the algorithm and on its module; the registration holds the first
    // count of refcnt. Inferred from the counts, not from the users.
    let mut algs = Vec::new();
    let p = "/proc/crypto";
    if let Ok(text) = sys.read_shared(p) {
        checked.push(CHECKED_CRYPTO.to_string());
        // Parsed only when the name appears at all: `scan` asks for every
        // loaded module, and most own no algorithm.
        let listed = if text.contains(name) {
            parse_crypto(&text)
        } else {
            Vec::new()
        };
        for a in listed.into_iter().filter(|a| a.module == name) {
            let users = a.refcnt - 1;
            if users > 0 {
                refs.push(format!(
                    "crypto {} ({}) in use {users}× (inferred from {p} refcnt {})",
                    a.name, a.driver, a.refcnt
                ));
                ev.push(Evidence::new(
                    format!("{p}:{}", a.line),
                    format!("{} {} refcnt {}", a.name, a.driver, a.refcnt),
                ));
                tally.attributed += users;
                algs.push(format!("{} ({})", a.name, a.driver));
            }
        }
    }
    t.set("users.crypto_algorithms", algs, vec![]);
    t.set("users.kernel_refs", refs, ev);
    t.set("users.kernel_refs_checked", checked, vec![]);
}

/// Attached qdiscs, classifier instances and actions: one reference each.
fn tc(
    view: &NetView,
    name: &str,
    refs: &mut Vec<String>,
    ev: &mut Vec<Evidence>,
    checked: &mut Vec<String>,
    t: &mut FactTable,
    tally: &mut Tally,
) {
    let map = map();
    let (mut root_if, mut ingress_if, mut clsact_if) = (Vec::new(), Vec::new(), Vec::new());
    for q in &view.qdiscs {
        if map.qdisc_module(&q.kind).as_deref() != Some(name) {
            continue;
        }
        let dev = view.iface_name(q.ifindex);
        refs.push(format!(
            "qdisc {} {} on {dev} ({})",
            q.kind, q.handle, view.source
        ));
        ev.push(Evidence::new(
            &view.source,
            format!("qdisc {} {} dev {dev}", q.kind, q.handle),
        ));
        tally.attributed += 1;
        let list = match q.kind.as_str() {
            "ingress" => &mut ingress_if,
            "clsact" => &mut clsact_if,
            _ => &mut root_if,
        };
        if !list.contains(&dev) {
            list.push(dev);
        }
    }
    t.set("users.qdisc_interfaces", root_if, vec![]);
    t.set("users.ingress_qdisc_interfaces", ingress_if, vec![]);
    t.set("users.clsact_qdisc_interfaces", clsact_if, vec![]);

    // Filters to delete: those of its classifier, and those carrying its
    // actions (a bound action goes with its filter).
    let mut filters = Vec::new();
    let mut flush = Vec::new();
    if view.tc_error.is_none() {
        checked.push(CHECKED_TC_FILTERS.to_string());
        checked.push(CHECKED_TC_ACTIONS.to_string());
    }
    for f in &view.filters {
        let own = map.classifier_module(&f.kind).as_deref() == Some(name);
        let carries = f
            .actions
            .iter()
            .any(|a| map.action_module(a).as_deref() == Some(name));
        if !own && !carries {
            continue;
        }
        let dev = view.iface_name(f.ifindex);
        let what = format!(
            "{} filter on {dev} parent {} chain {} prio {} protocol {:#06x}",
            f.kind, f.parent, f.chain, f.prio, f.protocol
        );
        if own {
            refs.push(format!("{what} ({})", view.source));
            ev.push(Evidence::new(&view.source, &what));
            tally.attributed += 1;
        }
        let item = format!("{dev} {} {} {}", f.parent, f.chain, f.prio);
        if !filters.contains(&item) {
            filters.push(item);
        }
    }
    for a in &view.actions {
        if map.action_module(&a.kind).as_deref() != Some(name) {
            continue;
        }
        let index = match a.index {
            0 => String::new(),
            i => format!(" index {i}"),
        };
        let state = match a.bound {
            Some(true) => "bound to a filter",
            Some(false) => "standalone",
            None => "in the action table",
        };
        let what = format!("action {}{index} ({state})", a.kind);
        refs.push(format!("{what} ({})", view.source));
        ev.push(Evidence::new(&view.source, &what));
        tally.attributed += 1;
        if a.bound != Some(true) && !flush.contains(&a.kind) {
            flush.push(a.kind.clone());
        }
    }
    t.set("users.tc_filters", filters, vec![]);
    t.set("users.tc_action_kinds", flush, vec![]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_map_parses_and_maps() {
        let m = map();
        assert_eq!(m.congestion_module("bbr").as_deref(), Some("tcp_bbr"));
        assert_eq!(m.congestion_module("reno"), None);
        assert_eq!(m.qdisc_module("clsact").as_deref(), Some("sch_ingress"));
        assert_eq!(m.qdisc_module("fq_codel").as_deref(), Some("sch_fq_codel"));
        assert_eq!(m.qdisc_module("pfifo_fast"), None);
        assert_eq!(m.classifier_module("u32").as_deref(), Some("cls_u32"));
        assert_eq!(m.action_module("mirred").as_deref(), Some("act_mirred"));
        assert_eq!(m.action_module(""), None);
        assert_eq!(
            m.nls_module("codepage", "437").as_deref(),
            Some("nls_cp437")
        );
        assert_eq!(
            m.nls_module("iocharset", "iso8859-1").as_deref(),
            Some("nls_iso8859_1")
        );
        assert_eq!(m.nls_module("iocharset", "../x"), None);
        assert_eq!(m.nls_module("uid", "0"), None);
        assert_eq!(m.transports["9p:trans=virtio"], "9pnet_virtio");
    }

    #[test]
    fn crypto_blocks() {
        let t = "name         : xts(aes)\ndriver       : xts-aes-aesni\nmodule       : aesni_intel\nrefcnt       : 3\n\nname         : crc32c\ndriver       : crc32c-generic\nmodule       : kernel\nrefcnt       : 1\n";
        let a = parse_crypto(t);
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].module, "aesni_intel");
        assert_eq!(a[0].refcnt, 3);
        assert_eq!(a[0].line, 1);
        assert_eq!(a[1].line, 6);
    }
}
