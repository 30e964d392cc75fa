//! Default routes and route lookups from `/proc/net/route` (IPv4, hex in
//! host byte order) and `/proc/net/ipv6_route`.

use crate::root::ReadError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route4 {
    pub iface: String,
    pub dest: u32,
    pub mask: u32,
    pub gateway: u32,
    pub up: bool,
    pub line: usize,
}

impl Route4 {
    pub fn is_default(&self) -> bool {
        self.dest == 0 && self.mask == 0
    }
}

pub fn parse_v4(text: &str, path: &str) -> Result<Vec<Route4>, ReadError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 || line.trim().is_empty() {
            continue;
        }
        let c: Vec<&str> = line.split_whitespace().collect();
        let bad = |what: &str| ReadError::at_line(path, i + 1, what.to_string());
        if c.len() < 8 {
            return Err(bad(
                "expected Iface Destination Gateway Flags RefCnt Use Metric Mask",
            ));
        }
        let hex = |s: &str| u32::from_str_radix(s, 16).map_err(|_| bad("bad hex field"));
        let flags = u16::from_str_radix(c[3], 16).map_err(|_| bad("bad flags"))?;
        out.push(Route4 {
            iface: c[0].to_string(),
            dest: hex(c[1])?,
            gateway: hex(c[2])?,
            mask: hex(c[7])?,
            up: flags & 1 != 0,
            line: i + 1,
        });
    }
    Ok(out)
}

/// Interfaces with an IPv6 default route (`::/0`).
pub fn parse_v6_defaults(text: &str, path: &str) -> Result<Vec<(String, usize)>, ReadError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let c: Vec<&str> = line.split_whitespace().collect();
        if c.len() < 10 {
            return Err(ReadError::at_line(path, i + 1, "expected 10 columns"));
        }
        if c[0].bytes().all(|b| b == b'0') && c[1] == "00" && c[9] != "lo" {
            out.push((c[9].to_string(), i + 1));
        }
    }
    Ok(out)
}

/// The interface the kernel would use to reach `addr` (longest prefix match
/// over the IPv4 table). Addresses in /proc/net/route are little-endian hex
/// as stored in memory; `addr` is given in the same representation.
pub fn route_iface(routes: &[Route4], addr: u32) -> Option<&Route4> {
    routes
        .iter()
        .filter(|r| r.up && (addr & r.mask) == (r.dest & r.mask))
        .max_by_key(|r| r.mask.count_ones())
}

/// `10.0.2.15` → the representation used in /proc/net/route on this host.
pub fn ipv4_as_proc(s: &str) -> Option<u32> {
    let ip: std::net::Ipv4Addr = s.parse().ok()?;
    Some(u32::from_ne_bytes(ip.octets()))
}

/// One line of `/proc/net/ipv6_route`: destination, prefix length, device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route6 {
    pub iface: String,
    pub dest: u128,
    pub plen: u32,
    pub line: usize,
}

const RTF_UP: u32 = 0x0001;
const RTF_REJECT: u32 = 0x0200;

/// Every usable route (up, not a reject route) of `/proc/net/ipv6_route`.
pub fn parse_v6(text: &str, path: &str) -> Result<Vec<Route6>, ReadError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let c: Vec<&str> = line.split_whitespace().collect();
        let bad = |what: &str| ReadError::at_line(path, i + 1, what.to_string());
        if c.len() < 10 {
            return Err(bad("expected 10 columns"));
        }
        let dest = u128::from_str_radix(c[0], 16).map_err(|_| bad("bad destination"))?;
        let plen = u32::from_str_radix(c[1], 16)
            .ok()
            .filter(|p| *p <= 128)
            .ok_or_else(|| bad("bad prefix length"))?;
        let flags = u32::from_str_radix(c[8], 16).map_err(|_| bad("bad flags"))?;
        if flags & RTF_UP != 0 && flags & RTF_REJECT == 0 {
            out.push(Route6 {
                iface: c[9].to_string(),
                dest,
                plen,
                line: i + 1,
            });
        }
    }
    Ok(out)
}

/// The interface the kernel would use to reach `addr` (longest prefix match;
/// a zone, as in `fe80::1%eth0`, names the interface outright).
pub fn route6_iface<'a>(
    routes: &'a [Route6],
    addr: u128,
    zone: Option<&str>,
) -> Option<&'a Route6> {
    let mask = |plen: u32| {
        if plen == 0 {
            0
        } else {
            u128::MAX << (128 - plen)
        }
    };
    routes
        .iter()
        .filter(|r| zone.is_none_or(|z| r.iface == z))
        .filter(|r| addr & mask(r.plen) == r.dest & mask(r.plen))
        .max_by_key(|r| r.plen)
}

/// An SSH client address: IPv4, IPv4-mapped IPv6 (`::ffff:10.0.2.2`, reached
/// over IPv4) or IPv6 with an optional `%zone`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Client {
    V4(u32),
    V6(u128, Option<String>),
}

pub fn client(s: &str) -> Option<Client> {
    if let Some(a) = ipv4_as_proc(s) {
        return Some(Client::V4(a));
    }
    let (addr, zone) = match s.split_once('%') {
        Some((a, z)) => (a, Some(z.to_string())),
        None => (s, None),
    };
    let ip: std::net::Ipv6Addr = addr.parse().ok()?;
    match ip.to_ipv4_mapped() {
        Some(v4) => Some(Client::V4(u32::from_ne_bytes(v4.octets()))),
        None => Some(Client::V6(u128::from(ip), zone)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_lookup_and_clients() {
        let t = "\
20010db8000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 br0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0
fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth0
fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 br0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200 lo
";
        let r = parse_v6(t, "/proc/net/ipv6_route").unwrap();
        assert_eq!(r.len(), 4, "the reject route is no way out");
        let at = |s: &str| match client(s).unwrap() {
            Client::V6(a, z) => route6_iface(&r, a, z.as_deref()).map(|r| r.iface.clone()),
            Client::V4(_) => panic!("{s} is IPv6"),
        };
        assert_eq!(at("2001:db8::7").as_deref(), Some("br0"));
        assert_eq!(at("2001:db9::7").as_deref(), Some("eth0"));
        assert_eq!(at("fe80::1%br0").as_deref(), Some("br0"));
        assert_eq!(
            client("::ffff:192.0.2.7"),
            Some(Client::V4(ipv4_as_proc("192.0.2.7").unwrap()))
        );
        assert_eq!(client("nonsense"), None);
        assert!(parse_v6("0 40 x", "/p").is_err());
    }

    #[test]
    fn default_and_lookup() {
        let t = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                 eth0\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
                 eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
        let r = parse_v4(t, "/proc/net/route").unwrap();
        assert!(r[0].is_default() && !r[1].is_default());
        let a = ipv4_as_proc("10.0.2.2").unwrap();
        assert_eq!(route_iface(&r, a).unwrap().line, 3);
        let v6 = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0\n";
        assert_eq!(
            parse_v6_defaults(v6, "/p").unwrap(),
            vec![("eth0".to_string(), 1)]
        );
    }
}
