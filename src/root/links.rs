//! What rtnetlink says about the network namespace the tool runs in: the
//! interfaces with their link kind (`IFLA_INFO_KIND`: dummy, veth, bridge...)
//! and the queueing disciplines attached to them. sysfs shows neither for
//! interfaces made through rtnetlink link types, so the live system is asked
//! over a read-only `NETLINK_ROUTE` dump; a snapshot keeps the answer in
//! `kmod-doctor-snapshot/links.tsv`, one record a line, tab-separated:
//!
//! ```text
//! netns <TAB> net:[4026531840]
//! link <TAB> 3 <TAB> dummy0 <TAB> dummy <TAB> <TAB>
//! qdisc <TAB> 3 <TAB> ingress <TAB> ffff:
//! filter <TAB> 3 <TAB> ffff:fff2 <TAB> 0 <TAB> 1 <TAB> 0x0800 <TAB> u32 <TAB> mirred
//! action <TAB> mirred <TAB> 1 <TAB> yes
//! ```
//!
//! `link` columns: ifindex, name, kind (empty when the kernel gives none),
//! port kind (the kind of its master, e.g. `bridge`), link netns id (veth
//! peers in another namespace; empty when none). `qdisc` columns: ifindex,
//! kind, handle. `filter` (one classifier instance, `RTM_GETTFILTER` on each
//! qdisc, class and clsact/ingress block): ifindex, parent, chain, priority,
//! protocol, classifier kind, the kinds of the actions attached (comma-separated).
//! `action` (the action table, `RTM_GETACTION` per kind of a loaded `act_*`
//! module): kind, index (0: not said), bound to a filter (`yes`, `no`, empty:
//! not said). `tcerror`: why the filters or actions could not be
//! read. Lines starting with `#` are comments.

use super::{ReadError, ReadErrorKind, Root};

pub const LINKS_TSV: &str = "/kmod-doctor-snapshot/links.tsv";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRecord {
    pub ifindex: u32,
    pub name: String,
    /// `IFLA_INFO_KIND`, empty for interfaces of bus drivers (eth0 of virtio_net).
    pub kind: String,
    /// `IFLA_INFO_PORT_KIND`: what it is enslaved to.
    pub port_kind: String,
    /// `IFLA_LINK_NETNSID`: its peer or lower device lives in another namespace.
    pub link_netnsid: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QdiscRecord {
    pub ifindex: u32,
    pub kind: String,
    pub handle: String,
}

/// One classifier instance (`struct tcf_proto`): a block's chain, priority
/// and protocol. Each holds one reference on its classifier's module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterRecord {
    pub ifindex: u32,
    /// `tc`'s notation: `1:`, `1:10`, `ffff:fff2` (clsact/ingress), `ffff:fff3` (egress).
    pub parent: String,
    pub chain: u32,
    pub prio: u16,
    pub protocol: u16,
    pub kind: String,
    /// Kinds of the actions its filters carry.
    pub actions: Vec<String>,
}

/// One entry of the action table; each holds one reference on its module,
/// whether bound to a filter or standalone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRecord {
    pub kind: String,
    /// 0 when the kernel's answer did not say (it assigns indexes from 1).
    pub index: u32,
    /// Bound to a filter (released with it), when the answer said.
    pub bound: Option<bool>,
}

/// The rtnetlink view of one network namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetView {
    /// `net:[INODE]` of the namespace that was read.
    pub netns: String,
    pub links: Vec<LinkRecord>,
    pub qdiscs: Vec<QdiscRecord>,
    pub filters: Vec<FilterRecord>,
    pub actions: Vec<ActionRecord>,
    /// Why filters and actions are not known (a failed dump), `None` when read.
    pub tc_error: Option<String>,
    /// Where it came from, for evidence (`netlink RTM_GETLINK` or the file).
    pub source: String,
}

impl NetView {
    /// The name of an interface of this view, `ifindex N` when it has none.
    pub fn iface_name(&self, ifindex: u32) -> String {
        self.links
            .iter()
            .find(|l| l.ifindex == ifindex)
            .map(|l| l.name.clone())
            .unwrap_or_else(|| format!("ifindex {ifindex}"))
    }

    pub fn to_tsv(&self) -> String {
        let mut s = String::from(
            "# netns\tnet:[INODE]\n# link\tifindex\tname\tkind\tport_kind\tlink_netnsid\n# qdisc\tifindex\tkind\thandle\n# filter\tifindex\tparent\tchain\tprio\tprotocol\tkind\tactions\n# action\tkind\tindex\tbound\n# tcerror\tmessage\n",
        );
        s.push_str(&format!("netns\t{}\n", clean(&self.netns)));
        for l in &self.links {
            s.push_str(&format!(
                "link\t{}\t{}\t{}\t{}\t{}\n",
                l.ifindex,
                clean(&l.name),
                clean(&l.kind),
                clean(&l.port_kind),
                l.link_netnsid.map(|n| n.to_string()).unwrap_or_default()
            ));
        }
        for q in &self.qdiscs {
            s.push_str(&format!(
                "qdisc\t{}\t{}\t{}\n",
                q.ifindex,
                clean(&q.kind),
                clean(&q.handle)
            ));
        }
        for f in &self.filters {
            s.push_str(&format!(
                "filter\t{}\t{}\t{}\t{}\t{:#06x}\t{}\t{}\n",
                f.ifindex,
                clean(&f.parent),
                f.chain,
                f.prio,
                f.protocol,
                clean(&f.kind),
                clean(&f.actions.join(","))
            ));
        }
        for a in &self.actions {
            let bound = match a.bound {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            };
            s.push_str(&format!(
                "action\t{}\t{}\t{bound}\n",
                clean(&a.kind),
                a.index
            ));
        }
        if let Some(e) = &self.tc_error {
            s.push_str(&format!("tcerror\t{}\n", clean(e)));
        }
        s
    }

    pub fn parse(text: &str, path: &str) -> Result<NetView, ReadError> {
        let mut v = NetView {
            source: path.to_string(),
            ..Default::default()
        };
        for (n, cols) in super::tsv::records(text) {
            let idx = |c: &str| {
                c.parse::<u32>()
                    .map_err(|_| ReadError::at_line(path, n, format!("bad ifindex {c:?}")))
            };
            match cols.as_slice() {
                ["netns", ns] => v.netns = ns.to_string(),
                ["link", ix, name, kind, port, nsid] => {
                    let link_netnsid = if nsid.is_empty() {
                        None
                    } else {
                        Some(nsid.parse::<i32>().map_err(|_| {
                            ReadError::at_line(path, n, format!("bad netns id {nsid:?}"))
                        })?)
                    };
                    if name.is_empty() {
                        return Err(ReadError::at_line(path, n, "empty interface name"));
                    }
                    v.links.push(LinkRecord {
                        ifindex: idx(ix)?,
                        name: name.to_string(),
                        kind: kind.to_string(),
                        port_kind: port.to_string(),
                        link_netnsid,
                    });
                }
                ["qdisc", ix, kind, handle] => v.qdiscs.push(QdiscRecord {
                    ifindex: idx(ix)?,
                    kind: kind.to_string(),
                    handle: handle.to_string(),
                }),
                ["filter", ix, parent, chain, prio, proto, kind, acts] => {
                    let num = |c: &str, what: &str| {
                        c.parse::<u32>()
                            .map_err(|_| ReadError::at_line(path, n, format!("bad {what} {c:?}")))
                    };
                    let protocol = u16::from_str_radix(proto.trim_start_matches("0x"), 16)
                        .map_err(|_| {
                            ReadError::at_line(path, n, format!("bad protocol {proto:?}"))
                        })?;
                    v.filters.push(FilterRecord {
                        ifindex: idx(ix)?,
                        parent: parent.to_string(),
                        chain: num(chain, "chain")?,
                        prio: u16::try_from(num(prio, "priority")?).map_err(|_| {
                            ReadError::at_line(path, n, format!("bad priority {prio:?}"))
                        })?,
                        protocol,
                        kind: kind.to_string(),
                        actions: acts
                            .split(',')
                            .filter(|a| !a.is_empty())
                            .map(str::to_string)
                            .collect(),
                    });
                }
                ["action", kind, index, bound] => v.actions.push(ActionRecord {
                    kind: kind.to_string(),
                    index: index.parse().map_err(|_| {
                        ReadError::at_line(path, n, format!("bad action index {index:?}"))
                    })?,
                    bound: match *bound {
                        "yes" => Some(true),
                        "no" => Some(false),
                        "" => None,
                        b => {
                            return Err(ReadError::at_line(
                                path,
                                n,
                                format!("bad bound {b:?} (yes, no or empty)"),
                            ));
                        }
                    },
                }),
                ["tcerror", msg] => v.tc_error = Some(msg.to_string()),
                _ => {
                    return Err(ReadError::at_line(
                        path,
                        n,
                        "expected `netns`, `link` (6 columns), `qdisc` (4), `filter` (8), `action` (4) or `tcerror` (2)",
                    ));
                }
            }
        }
        Ok(v)
    }
}

/// Tabs and newlines cannot appear in a record's columns.
fn clean(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

impl Root {
    /// The rtnetlink view: live, a netlink dump of this namespace (recorded
    /// for `snapshot`); in a snapshot, `links.tsv`, or `None` when the
    /// snapshot has none (taken before it was recorded, or a hand-made tree).
    pub fn net_view(&self) -> Result<Option<NetView>, ReadError> {
        if !self.live {
            return match self.read_to_string(LINKS_TSV) {
                Ok(t) => NetView::parse(&t, LINKS_TSV).map(Some),
                Err(e) if e.kind == ReadErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            };
        }
        // The action table is dumped one kind at a time: the kinds of the
        // loaded act_* modules.
        let act_kinds: Vec<String> = self
            .read_to_string("/proc/modules")
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                l.split(' ')
                    .next()?
                    .strip_prefix("act_")
                    .map(str::to_string)
            })
            .collect();
        let mut v = dump(&act_kinds)?;
        v.netns = std::fs::read_link("/proc/self/ns/net")
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        if let Some(rec) = &self.recorder {
            rec.note_net_view(v.clone());
        }
        Ok(Some(v))
    }
}

const SOURCE: &str = "netlink RTM_GETLINK/RTM_GETQDISC/RTM_GETTFILTER/RTM_GETACTION";

fn err(what: impl std::fmt::Display) -> ReadError {
    ReadError::new(SOURCE, ReadErrorKind::Io(what.to_string()))
}

use netlink_packet_route::RouteNetlinkMessage;

/// A read-only `NETLINK_ROUTE` socket that answers dump requests.
struct Dumper {
    socket: netlink_sys::Socket,
    seq: u32,
}

impl Dumper {
    fn new() -> Result<Dumper, ReadError> {
        use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};
        let mut socket = Socket::new(NETLINK_ROUTE).map_err(err)?;
        socket.bind_auto().map_err(err)?;
        socket.connect(&SocketAddr::new(0, 0)).map_err(err)?;
        Ok(Dumper { socket, seq: 0 })
    }

    /// Sends one dump request and hands every answer to `each`.
    fn dump(
        &mut self,
        req: RouteNetlinkMessage,
        mut each: impl FnMut(RouteNetlinkMessage),
    ) -> Result<(), ReadError> {
        use netlink_packet_core::{NLM_F_DUMP, NLM_F_REQUEST, NetlinkMessage, NetlinkPayload};
        self.seq += 1;
        let mut packet = NetlinkMessage::from(req);
        packet.header.flags = NLM_F_DUMP | NLM_F_REQUEST;
        packet.header.sequence_number = self.seq;
        packet.finalize();
        let mut buf = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut buf[..]);
        self.socket.send(&buf[..], 0).map_err(err)?;
        loop {
            let (data, _) = self.socket.recv_from_full().map_err(err)?;
            let mut off = 0usize;
            while off < data.len() {
                let msg: NetlinkMessage<RouteNetlinkMessage> =
                    NetlinkMessage::deserialize(&data[off..]).map_err(err)?;
                let len = msg.header.length as usize;
                match msg.payload {
                    NetlinkPayload::Done(_) => return Ok(()),
                    NetlinkPayload::Error(e) => return Err(err(format!("{e:?}"))),
                    NetlinkPayload::InnerMessage(m) => each(m),
                    _ => {}
                }
                if len == 0 {
                    break;
                }
                off += len;
            }
        }
    }
}

/// `tc`'s notation of a handle: `1:`, `1:10`, `ffff:fff2`.
fn handle_str(major: u16, minor: u16) -> String {
    if minor == 0 {
        format!("{major:x}:")
    } else {
        format!("{major:x}:{minor:x}")
    }
}

/// One read-only dump of links and qdiscs, then of the classifiers and
/// actions, over `NETLINK_ROUTE`. `act_kinds`: the action kinds whose table
/// is read (the kernel dumps actions one kind at a time).
fn dump(act_kinds: &[String]) -> Result<NetView, ReadError> {
    use netlink_packet_route::link::{LinkAttribute, LinkInfo, LinkMessage};
    use netlink_packet_route::tc::{TcAttribute, TcMessage};

    let mut d = Dumper::new()?;
    let mut view = NetView {
        source: SOURCE.to_string(),
        ..Default::default()
    };
    d.dump(RouteNetlinkMessage::GetLink(LinkMessage::default()), |m| {
        let RouteNetlinkMessage::NewLink(l) = m else {
            return;
        };
        let mut r = LinkRecord {
            ifindex: l.header.index,
            name: String::new(),
            kind: String::new(),
            port_kind: String::new(),
            link_netnsid: None,
        };
        for a in &l.attributes {
            match a {
                LinkAttribute::IfName(n) => r.name = n.clone(),
                LinkAttribute::LinkNetNsId(n) => r.link_netnsid = Some(*n),
                LinkAttribute::LinkInfo(infos) => {
                    for i in infos {
                        match i {
                            LinkInfo::Kind(k) => r.kind = k.to_string(),
                            LinkInfo::PortKind(k) => r.port_kind = k.to_string(),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        view.links.push(r);
    })?;
    let mut raw_qdiscs = Vec::new();
    d.dump(
        RouteNetlinkMessage::GetQueueDiscipline(TcMessage::default()),
        |m| {
            let RouteNetlinkMessage::NewQueueDiscipline(q) = m else {
                return;
            };
            let kind = q.attributes.iter().find_map(|a| match a {
                TcAttribute::Kind(k) => Some(k.clone()),
                _ => None,
            });
            raw_qdiscs.push((q.header.index as u32, q.header.handle.major));
            view.qdiscs.push(QdiscRecord {
                ifindex: q.header.index as u32,
                kind: kind.unwrap_or_default(),
                handle: format!("{:x}:", q.header.handle.major),
            });
        },
    )?;
    if let Err(e) = dump_tc(&mut d, &mut view, &raw_qdiscs, act_kinds) {
        view.filters.clear();
        view.actions.clear();
        view.tc_error = Some(e.to_string());
    }
    Ok(view)
}

/// The common parameters (index, bind count) of the action kinds the netlink
/// crate decodes; other kinds keep them in a layout of their own.
fn action_generic(
    o: &netlink_packet_route::tc::TcActionOption,
) -> Option<netlink_packet_route::tc::TcActionGeneric> {
    use netlink_packet_route::tc::{
        TcActionMirrorOption, TcActionNatOption, TcActionOption, TcActionTunnelKeyOption,
    };
    match o {
        TcActionOption::Mirror(TcActionMirrorOption::Parms(p)) => Some(p.generic),
        TcActionOption::Nat(TcActionNatOption::Parms(p)) => Some(p.generic),
        TcActionOption::TunnelKey(TcActionTunnelKeyOption::Parms(p)) => Some(p.generic),
        _ => None,
    }
}

/// The blocks a filter can hang on: each qdisc and each class (`1:`,
/// `1:10`), and the ingress and egress blocks of clsact/ingress.
fn dump_tc(
    d: &mut Dumper,
    view: &mut NetView,
    qdiscs: &[(u32, u16)],
    act_kinds: &[String],
) -> Result<(), ReadError> {
    use netlink_packet_route::tc::{
        TcAction, TcActionAttribute, TcActionMessage, TcActionMessageAttribute, TcAttribute,
        TcHandle, TcMessage, TcOption,
    };
    const CLSACT: u16 = 0xffff;
    const MIN_INGRESS: u16 = 0xfff2;
    const MIN_EGRESS: u16 = 0xfff3;

    let mut parents: Vec<(u32, u16, u16)> = Vec::new();
    for &(ix, major) in qdiscs {
        if major == CLSACT {
            for min in [MIN_INGRESS, MIN_EGRESS] {
                parents.push((ix, CLSACT, min));
            }
        } else if major != 0 {
            parents.push((ix, major, 0));
        }
    }
    // Classes hang only under a qdisc with a handle of its own.
    let mut ifaces: Vec<u32> = qdiscs
        .iter()
        .filter(|&&(_, major)| major != 0 && major != CLSACT)
        .map(|&(ix, _)| ix)
        .collect();
    ifaces.sort_unstable();
    ifaces.dedup();
    for ix in ifaces {
        let mut req = TcMessage::default();
        req.header.index = ix as i32;
        d.dump(RouteNetlinkMessage::GetTrafficClass(req), |m| {
            if let RouteNetlinkMessage::NewTrafficClass(c) = m
                && c.header.handle.minor != 0
            {
                parents.push((ix, c.header.handle.major, c.header.handle.minor));
            }
        })?;
    }
    parents.sort_unstable();
    parents.dedup();

    let tc_actions = |acts: &[TcAction], out: &mut Vec<String>| {
        for a in acts {
            for at in &a.attributes {
                if let TcActionAttribute::Kind(k) = at
                    && !out.contains(k)
                {
                    out.push(k.clone());
                }
            }
        }
    };
    for (ix, major, minor) in parents {
        let mut req = TcMessage::default();
        req.header.index = ix as i32;
        req.header.parent = TcHandle { major, minor };
        let parent = handle_str(major, minor);
        let mut found: Vec<FilterRecord> = Vec::new();
        d.dump(RouteNetlinkMessage::GetTrafficFilter(req), |m| {
            let RouteNetlinkMessage::NewTrafficFilter(f) = m else {
                return;
            };
            let (mut kind, mut chain, mut acts) = (String::new(), 0, Vec::new());
            for a in &f.attributes {
                match a {
                    TcAttribute::Kind(k) => kind = k.clone(),
                    TcAttribute::Chain(c) => chain = *c,
                    TcAttribute::Options(opts) => {
                        for o in opts {
                            match o {
                                TcOption::U32(
                                    netlink_packet_route::tc::TcFilterU32Option::Action(a),
                                )
                                | TcOption::MatchAll(
                                    netlink_packet_route::tc::TcFilterMatchAllOption::Action(a),
                                )
                                | TcOption::Flower(
                                    netlink_packet_route::tc::TcFilterFlowerOption::Actions(a),
                                ) => tc_actions(a, &mut acts),
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
            let prio = (f.header.info >> 16) as u16;
            // The kernel keeps the protocol in network byte order.
            let protocol = u16::from_be((f.header.info & 0xffff) as u16);
            match found
                .iter_mut()
                .find(|r| r.chain == chain && r.prio == prio && r.protocol == protocol)
            {
                Some(r) => {
                    for a in acts {
                        if !r.actions.contains(&a) {
                            r.actions.push(a);
                        }
                    }
                }
                None => found.push(FilterRecord {
                    ifindex: ix,
                    parent: parent.clone(),
                    chain,
                    prio,
                    protocol,
                    kind,
                    actions: acts,
                }),
            }
        })?;
        view.filters.extend(found);
    }

    let mut kinds: Vec<String> = act_kinds.to_vec();
    for f in &view.filters {
        kinds.extend(f.actions.iter().cloned());
    }
    kinds.sort();
    kinds.dedup();
    for kind in kinds {
        let mut a = TcAction::default();
        a.attributes.push(TcActionAttribute::Kind(kind.clone()));
        let mut req = TcActionMessage::default();
        req.attributes
            .push(TcActionMessageAttribute::Actions(vec![a]));
        let mut handle = |acts: &[TcAction]| {
            for a in acts {
                let k = a.attributes.iter().find_map(|x| match x {
                    TcActionAttribute::Kind(k) => Some(k.clone()),
                    _ => None,
                });
                let generic = a.attributes.iter().find_map(|x| match x {
                    TcActionAttribute::Options(o) => o.iter().find_map(action_generic),
                    _ => None,
                });
                view.actions.push(ActionRecord {
                    kind: k.unwrap_or_else(|| kind.clone()),
                    index: generic.as_ref().map(|g| g.index).unwrap_or(0),
                    bound: generic.map(|g| g.bindcnt > 0),
                });
            }
        };
        d.dump(RouteNetlinkMessage::GetTrafficAction(req), |m| {
            // The kernel answers an action dump with the request's type,
            // RTM_GETACTION; RTM_NEWACTION is what notifications use.
            let (RouteNetlinkMessage::GetTrafficAction(r)
            | RouteNetlinkMessage::NewTrafficAction(r)) = m
            else {
                return;
            };
            for at in &r.attributes {
                if let TcActionMessageAttribute::Actions(acts) = at {
                    handle(acts);
                }
            }
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_round_trips() {
        let v = NetView {
            netns: "net:[4026531840]".into(),
            links: vec![
                LinkRecord {
                    ifindex: 3,
                    name: "dummy0".into(),
                    kind: "dummy".into(),
                    port_kind: String::new(),
                    link_netnsid: None,
                },
                LinkRecord {
                    ifindex: 4,
                    name: "veth0".into(),
                    kind: "veth".into(),
                    port_kind: "bridge".into(),
                    link_netnsid: Some(0),
                },
            ],
            qdiscs: vec![QdiscRecord {
                ifindex: 3,
                kind: "ingress".into(),
                handle: "ffff:".into(),
            }],
            filters: vec![FilterRecord {
                ifindex: 3,
                parent: "ffff:fff2".into(),
                chain: 0,
                prio: 1,
                protocol: 0x0800,
                kind: "u32".into(),
                actions: vec!["mirred".into(), "gact".into()],
            }],
            actions: vec![
                ActionRecord {
                    kind: "mirred".into(),
                    index: 1,
                    bound: Some(true),
                },
                ActionRecord {
                    kind: "gact".into(),
                    index: 0,
                    bound: None,
                },
            ],
            tc_error: Some("denied".into()),
            source: "x".into(),
        };
        let back = NetView::parse(&v.to_tsv(), "x").unwrap();
        assert_eq!(back, v);
    }

    /// The real dump on this machine's kernel: every namespace has `lo`, and
    /// rtnetlink gives it no link kind.
    #[test]
    fn live_dump_sees_loopback() {
        let v = match dump(&[]) {
            Ok(v) => v,
            // A sandbox without netlink: nothing to test against.
            Err(e) => {
                eprintln!("netlink unavailable, skipped: {e}");
                return;
            }
        };
        let lo = v.links.iter().find(|l| l.name == "lo").expect("lo in dump");
        assert_eq!(lo.kind, "");
        assert!(v.links.iter().all(|l| l.ifindex > 0 && !l.name.is_empty()));
    }

    #[test]
    fn bad_lines_name_the_line() {
        let e = NetView::parse("netns\tnet:[1]\nlink\tx\td\tdummy\t\t\n", LINKS_TSV).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = NetView::parse("filter\t3\tffff:fff2\t0\t70000\t0x0800\tu32\t\n", LINKS_TSV)
            .unwrap_err();
        assert!(e.to_string().contains("priority"), "{e}");
        let e = NetView::parse("action\tgact\t-1\t\n", LINKS_TSV).unwrap_err();
        assert!(e.to_string().contains("action index"), "{e}");
        let e = NetView::parse("garbage\n", LINKS_TSV).unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
    }
}
