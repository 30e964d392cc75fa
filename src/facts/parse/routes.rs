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

#[cfg(test)]
mod tests {
    use super::*;

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
