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
//! ```
//!
//! `link` columns: ifindex, name, kind (empty when the kernel gives none),
//! port kind (the kind of its master, e.g. `bridge`), link netns id (veth
//! peers in another namespace; empty when none). `qdisc` columns: ifindex,
//! kind, handle. Lines starting with `#` are comments.

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

/// The rtnetlink view of one network namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetView {
    /// `net:[INODE]` of the namespace that was read.
    pub netns: String,
    pub links: Vec<LinkRecord>,
    pub qdiscs: Vec<QdiscRecord>,
    /// Where it came from, for evidence (`netlink RTM_GETLINK` or the file).
    pub source: String,
}

impl NetView {
    pub fn to_tsv(&self) -> String {
        let mut s = String::from(
            "# netns\tnet:[INODE]\n# link\tifindex\tname\tkind\tport_kind\tlink_netnsid\n# qdisc\tifindex\tkind\thandle\n",
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
        s
    }

    pub fn parse(text: &str, path: &str) -> Result<NetView, ReadError> {
        let mut v = NetView {
            source: path.to_string(),
            ..Default::default()
        };
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
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
                _ => {
                    return Err(ReadError::at_line(
                        path,
                        n,
                        "expected `netns`, `link` (6 columns) or `qdisc` (4 columns)",
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
        let mut v = dump()?;
        v.netns = std::fs::read_link("/proc/self/ns/net")
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        if let Some(rec) = &self.recorder {
            rec.note_net_view(v.clone());
        }
        Ok(Some(v))
    }
}

const SOURCE: &str = "netlink RTM_GETLINK/RTM_GETQDISC";

fn err(what: impl std::fmt::Display) -> ReadError {
    ReadError::new(SOURCE, ReadErrorKind::Io(what.to_string()))
}

/// One read-only dump of links and qdiscs over `NETLINK_ROUTE`.
fn dump() -> Result<NetView, ReadError> {
    use netlink_packet_core::{NLM_F_DUMP, NLM_F_REQUEST, NetlinkMessage, NetlinkPayload};
    use netlink_packet_route::RouteNetlinkMessage;
    use netlink_packet_route::link::{LinkAttribute, LinkInfo, LinkMessage};
    use netlink_packet_route::tc::{TcAttribute, TcMessage};
    use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

    let mut socket = Socket::new(NETLINK_ROUTE).map_err(err)?;
    socket.bind_auto().map_err(err)?;
    socket.connect(&SocketAddr::new(0, 0)).map_err(err)?;
    let mut view = NetView {
        source: SOURCE.to_string(),
        ..Default::default()
    };
    let requests = [
        RouteNetlinkMessage::GetLink(LinkMessage::default()),
        RouteNetlinkMessage::GetQueueDiscipline(TcMessage::default()),
    ];
    for (seq, req) in requests.into_iter().enumerate() {
        let mut packet = NetlinkMessage::from(req);
        packet.header.flags = NLM_F_DUMP | NLM_F_REQUEST;
        packet.header.sequence_number = seq as u32 + 1;
        packet.finalize();
        let mut buf = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut buf[..]);
        socket.send(&buf[..], 0).map_err(err)?;
        'recv: loop {
            let (data, _) = socket.recv_from_full().map_err(err)?;
            let mut off = 0usize;
            while off < data.len() {
                let msg: NetlinkMessage<RouteNetlinkMessage> =
                    NetlinkMessage::deserialize(&data[off..]).map_err(err)?;
                let len = msg.header.length as usize;
                match msg.payload {
                    NetlinkPayload::Done(_) => break 'recv,
                    NetlinkPayload::Error(e) => return Err(err(format!("{e:?}"))),
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => {
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
                    }
                    NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewQueueDiscipline(q)) => {
                        let kind = q.attributes.iter().find_map(|a| match a {
                            TcAttribute::Kind(k) => Some(k.clone()),
                            _ => None,
                        });
                        view.qdiscs.push(QdiscRecord {
                            ifindex: q.header.index as u32,
                            kind: kind.unwrap_or_default(),
                            handle: format!("{:x}:", q.header.handle.major),
                        });
                    }
                    _ => {}
                }
                if len == 0 {
                    break;
                }
                off += len;
            }
        }
    }
    Ok(view)
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
            source: "x".into(),
        };
        let back = NetView::parse(&v.to_tsv(), "x").unwrap();
        assert_eq!(back, v);
    }

    /// The real dump on this machine's kernel: every namespace has `lo`, and
    /// rtnetlink gives it no link kind.
    #[test]
    fn live_dump_sees_loopback() {
        let v = match dump() {
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
        let e = NetView::parse("garbage\n", LINKS_TSV).unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
    }
}
