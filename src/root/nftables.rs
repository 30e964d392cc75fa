//! What nf_tables says about the network namespace the tool runs in: its
//! tables, chains and the expressions of each rule. Each expression holds a
//! reference on the module of its type (`ct`, `nat`, `match`...), each base
//! chain one on the module of its chain type (`nat`). No crate reads
//! nf_tables over netlink, so the few messages are taken apart here: a
//! read-only `NETLINK_NETFILTER` dump (`NFT_MSG_GETTABLE`, `GETCHAIN`,
//! `GETRULE` with `NLM_F_DUMP`). A snapshot keeps the answer in
//! `kmod-doctor-snapshot/nftables.tsv`, one record a line, tab-separated:
//!
//! ```text
//! table <TAB> 1 <TAB> filter
//! chain <TAB> 1 <TAB> filter <TAB> input <TAB> filter
//! rule <TAB> 1 <TAB> filter <TAB> input <TAB> 4 <TAB> ct,counter,immediate,match:conntrack
//! error <TAB> Operation not permitted
//! ```
//!
//! Columns: the family as the kernel numbers it (`NFPROTO_*`: 1 inet, 2 ip,
//! 3 arp, 5 netdev, 7 bridge, 10 ip6), table, chain, then for a chain its
//! type (empty for a chain that is not a base chain), for a rule its handle
//! and its expressions in order (`match:NAME` and `target:NAME` for
//! iptables-nft's xtables extensions). `error`: why the dump failed. Lines
//! starting with `#` are comments.

use super::{ReadError, ReadErrorKind, Root};

pub const NFTABLES_TSV: &str = "/kmod-doctor-snapshot/nftables.tsv";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NftChain {
    pub family: u8,
    pub table: String,
    pub name: String,
    /// The chain type of a base chain (`filter`, `nat`, `route`), empty otherwise.
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NftRule {
    pub family: u8,
    pub table: String,
    pub chain: String,
    pub handle: u64,
    /// Expression names in order; `match:NAME` / `target:NAME` for xtables ones.
    pub exprs: Vec<String>,
}

/// The nf_tables view of one network namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NftView {
    pub tables: Vec<(u8, String)>,
    pub chains: Vec<NftChain>,
    pub rules: Vec<NftRule>,
    /// Why nothing could be read, `None` when the dump succeeded.
    pub error: Option<String>,
    /// Where it came from, for evidence.
    pub source: String,
}

/// `nft`'s name of a family number.
pub fn family_name(f: u8) -> Option<&'static str> {
    Some(match f {
        1 => "inet",
        2 => "ip",
        3 => "arp",
        5 => "netdev",
        7 => "bridge",
        10 => "ip6",
        _ => return None,
    })
}

fn clean(s: &str) -> String {
    s.replace(['\t', '\n', '\r', ','], " ")
}

impl NftView {
    pub fn to_tsv(&self) -> String {
        let mut s = String::from(
            "# table\tfamily\tname\n# chain\tfamily\ttable\tname\ttype\n# rule\tfamily\ttable\tchain\thandle\texpressions\n# error\tmessage\n",
        );
        for (f, t) in &self.tables {
            s.push_str(&format!("table\t{f}\t{}\n", clean(t)));
        }
        for c in &self.chains {
            s.push_str(&format!(
                "chain\t{}\t{}\t{}\t{}\n",
                c.family,
                clean(&c.table),
                clean(&c.name),
                clean(&c.kind)
            ));
        }
        for r in &self.rules {
            let exprs: Vec<String> = r.exprs.iter().map(|e| clean(e)).collect();
            s.push_str(&format!(
                "rule\t{}\t{}\t{}\t{}\t{}\n",
                r.family,
                clean(&r.table),
                clean(&r.chain),
                r.handle,
                exprs.join(",")
            ));
        }
        if let Some(e) = &self.error {
            s.push_str(&format!("error\t{}\n", clean(e)));
        }
        s
    }

    pub fn parse(text: &str, path: &str) -> Result<NftView, ReadError> {
        let mut v = NftView {
            source: path.to_string(),
            ..Default::default()
        };
        for (n, cols) in super::tsv::records(text) {
            let fam = |c: &str| {
                c.parse::<u8>()
                    .map_err(|_| ReadError::at_line(path, n, format!("bad family {c:?}")))
            };
            match cols.as_slice() {
                ["table", f, name] => v.tables.push((fam(f)?, name.to_string())),
                ["chain", f, table, name, kind] => v.chains.push(NftChain {
                    family: fam(f)?,
                    table: table.to_string(),
                    name: name.to_string(),
                    kind: kind.to_string(),
                }),
                ["rule", f, table, chain, handle, exprs] => v.rules.push(NftRule {
                    family: fam(f)?,
                    table: table.to_string(),
                    chain: chain.to_string(),
                    handle: handle.parse().map_err(|_| {
                        ReadError::at_line(path, n, format!("bad rule handle {handle:?}"))
                    })?,
                    exprs: exprs
                        .split(',')
                        .filter(|e| !e.is_empty())
                        .map(str::to_string)
                        .collect(),
                }),
                ["error", msg] => v.error = Some(msg.to_string()),
                _ => {
                    return Err(ReadError::at_line(
                        path,
                        n,
                        "expected `table` (3 columns), `chain` (5), `rule` (6) or `error` (2)",
                    ));
                }
            }
        }
        Ok(v)
    }
}

impl Root {
    /// The nf_tables view: live, a netlink dump of this namespace (recorded
    /// for `snapshot`; a failed dump is kept as its error); in a snapshot,
    /// `nftables.tsv`, or `None` when the snapshot has none. `may_ask`: the
    /// caller knows nf_tables is in the kernel already. Asking otherwise
    /// would make the kernel load nfnetlink and nf_tables, so it is not done.
    pub fn nft_view(&self, may_ask: bool) -> Result<Option<NftView>, ReadError> {
        if !self.live {
            return match self.read_to_string(NFTABLES_TSV) {
                Ok(t) => NftView::parse(&t, NFTABLES_TSV).map(Some),
                Err(e) if e.kind == ReadErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            };
        }
        let asked = if may_ask {
            dump()
        } else {
            Err(NOT_ASKED.to_string())
        };
        let v = asked.unwrap_or_else(|e| NftView {
            error: Some(e),
            source: SOURCE.to_string(),
            ..Default::default()
        });
        if let Some(rec) = &self.recorder {
            rec.note_nft_view(v.clone());
        }
        Ok(Some(v))
    }
}

const SOURCE: &str = "netlink NFT_MSG_GETTABLE/GETCHAIN/GETRULE";

/// Why a live system's ruleset was not asked for.
pub const NOT_ASKED: &str =
    "not asked: nf_tables is neither loaded nor known to be built in (asking would load it)";

// include/uapi/linux/netfilter/nfnetlink.h and nf_tables.h.
const NFNL_SUBSYS_NFTABLES: u16 = 10;
const NFT_MSG_GETTABLE: u16 = 1;
const NFT_MSG_NEWTABLE: u16 = 0;
const NFT_MSG_GETCHAIN: u16 = 4;
const NFT_MSG_NEWCHAIN: u16 = 3;
const NFT_MSG_GETRULE: u16 = 7;
const NFT_MSG_NEWRULE: u16 = 6;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const NFTA_TABLE_NAME: u16 = 1;
const NFTA_CHAIN_TABLE: u16 = 1;
const NFTA_CHAIN_NAME: u16 = 3;
const NFTA_CHAIN_TYPE: u16 = 7;
const NFTA_RULE_TABLE: u16 = 1;
const NFTA_RULE_CHAIN: u16 = 2;
const NFTA_RULE_HANDLE: u16 = 3;
const NFTA_RULE_EXPRESSIONS: u16 = 4;
const NFTA_LIST_ELEM: u16 = 1;
const NFTA_EXPR_NAME: u16 = 1;
const NFTA_EXPR_DATA: u16 = 2;
// NFTA_MATCH_NAME and NFTA_TARGET_NAME.
const NFTA_XT_NAME: u16 = 1;
const NLA_TYPE_MASK: u16 = 0x3fff;

/// The attributes of a netlink attribute stream: (type, payload). A
/// malformed length ends the stream.
fn attrs(mut buf: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while buf.len() >= 4 {
        let len = u16::from_ne_bytes([buf[0], buf[1]]) as usize;
        let ty = u16::from_ne_bytes([buf[2], buf[3]]) & NLA_TYPE_MASK;
        if len < 4 || len > buf.len() {
            break;
        }
        out.push((ty, &buf[4..len]));
        let next = (len + 3) & !3;
        buf = buf.get(next..).unwrap_or_default();
    }
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b.split(|&c| c == 0).next().unwrap_or_default()).into_owned()
}

fn find<'a>(list: &[(u16, &'a [u8])], ty: u16) -> Option<&'a [u8]> {
    list.iter().find(|(t, _)| *t == ty).map(|(_, v)| *v)
}

/// One expression's name; xtables extensions carry the match or target's.
fn expr_name(elem: &[u8]) -> Option<String> {
    let a = attrs(elem);
    let name = text(find(&a, NFTA_EXPR_NAME)?);
    if (name == "match" || name == "target")
        && let Some(x) = find(&a, NFTA_EXPR_DATA).and_then(|d| find(&attrs(d), NFTA_XT_NAME))
    {
        return Some(format!("{name}:{}", text(x)));
    }
    Some(name)
}

/// One message of a dump: (family, attributes' bytes).
fn dump_msgs(
    sock: &netlink_sys::Socket,
    seq: u32,
    msg: u16,
    answer: u16,
    mut each: impl FnMut(u8, &[u8]),
) -> Result<(), String> {
    let ty = (NFNL_SUBSYS_NFTABLES << 8) | msg;
    let mut req = Vec::with_capacity(20);
    req.extend_from_slice(&20u32.to_ne_bytes());
    req.extend_from_slice(&ty.to_ne_bytes());
    req.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    req.extend_from_slice(&seq.to_ne_bytes());
    req.extend_from_slice(&0u32.to_ne_bytes());
    // struct nfgenmsg: every family, version 0, resource id 0.
    req.extend_from_slice(&[0, 0, 0, 0]);
    sock.send(&req, 0).map_err(|e| e.to_string())?;
    loop {
        let (data, _) = sock.recv_from_full().map_err(|e| e.to_string())?;
        let mut off = 0usize;
        while off + 16 <= data.len() {
            let h = &data[off..];
            let len = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]) as usize;
            let mtype = u16::from_ne_bytes([h[4], h[5]]);
            if len < 16 || off + len > data.len() {
                return Err("malformed netlink message".into());
            }
            let body = &h[16..len];
            match mtype {
                NLMSG_DONE => return Ok(()),
                NLMSG_ERROR => {
                    let code = body
                        .get(..4)
                        .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                        .unwrap_or(0);
                    if code != 0 {
                        return Err(std::io::Error::from_raw_os_error(-code).to_string());
                    }
                }
                t if t == (NFNL_SUBSYS_NFTABLES << 8) | answer && body.len() >= 4 => {
                    each(body[0], &body[4..]);
                }
                _ => {}
            }
            off += (len + 3) & !3;
        }
    }
}

fn dump() -> Result<NftView, String> {
    use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_NETFILTER};
    let mut sock = Socket::new(NETLINK_NETFILTER).map_err(|e| e.to_string())?;
    sock.bind_auto().map_err(|e| e.to_string())?;
    sock.connect(&SocketAddr::new(0, 0))
        .map_err(|e| e.to_string())?;
    let mut v = NftView {
        source: SOURCE.to_string(),
        ..Default::default()
    };
    dump_msgs(&sock, 1, NFT_MSG_GETTABLE, NFT_MSG_NEWTABLE, |f, b| {
        if let Some(n) = find(&attrs(b), NFTA_TABLE_NAME) {
            v.tables.push((f, text(n)));
        }
    })?;
    dump_msgs(&sock, 2, NFT_MSG_GETCHAIN, NFT_MSG_NEWCHAIN, |f, b| {
        let a = attrs(b);
        v.chains.push(NftChain {
            family: f,
            table: find(&a, NFTA_CHAIN_TABLE).map(text).unwrap_or_default(),
            name: find(&a, NFTA_CHAIN_NAME).map(text).unwrap_or_default(),
            kind: find(&a, NFTA_CHAIN_TYPE).map(text).unwrap_or_default(),
        });
    })?;
    dump_msgs(&sock, 3, NFT_MSG_GETRULE, NFT_MSG_NEWRULE, |f, b| {
        let a = attrs(b);
        let handle = find(&a, NFTA_RULE_HANDLE)
            .and_then(|h| <[u8; 8]>::try_from(h).ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0);
        let exprs = find(&a, NFTA_RULE_EXPRESSIONS)
            .map(|e| {
                attrs(e)
                    .into_iter()
                    .filter(|(t, _)| *t == NFTA_LIST_ELEM)
                    .filter_map(|(_, el)| expr_name(el))
                    .collect()
            })
            .unwrap_or_default();
        v.rules.push(NftRule {
            family: f,
            table: find(&a, NFTA_RULE_TABLE).map(text).unwrap_or_default(),
            chain: find(&a, NFTA_RULE_CHAIN).map(text).unwrap_or_default(),
            handle,
            exprs,
        });
    })?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_round_trips() {
        let v = NftView {
            tables: vec![(1, "filter".into())],
            chains: vec![NftChain {
                family: 1,
                table: "filter".into(),
                name: "input".into(),
                kind: "filter".into(),
            }],
            rules: vec![NftRule {
                family: 1,
                table: "filter".into(),
                chain: "input".into(),
                handle: 4,
                exprs: vec!["ct".into(), "match:conntrack".into()],
            }],
            error: Some("denied".into()),
            source: "x".into(),
        };
        assert_eq!(NftView::parse(&v.to_tsv(), "x").unwrap(), v);
    }

    #[test]
    fn bad_lines_name_the_line() {
        let e = NftView::parse("table\t1\tt\nrule\t1\tt\tc\tx\tct\n", NFTABLES_TSV).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = NftView::parse("table\t999\tt\n", NFTABLES_TSV).unwrap_err();
        assert!(e.to_string().contains("family"), "{e}");
    }

    #[test]
    fn attributes_stop_at_a_bad_length() {
        // One good attribute (type 1, "ab"), then a length past the end.
        let b = [7, 0, 1, 0, b'a', b'b', 0, 0, 200, 0, 2, 0];
        let a = attrs(&b);
        assert_eq!(a.len(), 1);
        assert_eq!(text(a[0].1), "ab");
    }
}
