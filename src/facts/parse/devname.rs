//! `modules.devname`: `vhost_net vhost-net c10:238` — the device nodes that
//! load a module on first open.

use crate::facts::name::normalize;
use crate::root::{DevKind, DevNum, ReadError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevName {
    pub module: String,
    pub node: String,
    pub dev: DevNum,
    pub line: usize,
}

pub fn parse(text: &str, path: &str) -> Result<Vec<DevName>, ReadError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        let bad = || ReadError::at_line(path, n, "expected `module node cMAJ:MIN`");
        if cols.len() != 3 || cols[2].len() < 2 {
            return Err(bad());
        }
        let kind = match cols[2].as_bytes()[0] {
            b'c' => DevKind::Char,
            b'b' => DevKind::Block,
            _ => return Err(bad()),
        };
        let (ma, mi) = cols[2][1..].split_once(':').ok_or_else(bad)?;
        let dev = DevNum {
            kind,
            major: ma.parse().map_err(|_| bad())?,
            minor: mi.parse().map_err(|_| bad())?,
        };
        out.push(DevName {
            module: normalize(cols[0]),
            node: cols[1].to_string(),
            dev,
            line: n,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_lines() {
        let d = parse("# Device nodes to trigger on-demand module loading.\nfuse fuse c10:229\nloop loop-control c10:237\n", "/d").unwrap();
        assert_eq!(d[1].node, "loop-control");
        assert_eq!(d[1].dev.minor, 237);
        assert!(parse("x y z9:1\n", "/d").is_err());
    }
}
