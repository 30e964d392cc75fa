//! Device numbers that a plain copy of `/proc` loses.
//!
//! `/proc/<pid>/fd/<n>` is a magic link: on the live system `stat` through it
//! reaches the open file and gives its device number. A snapshot cannot keep
//! that, so `snapshot` writes the numbers into `kmod-doctor-snapshot/devices.tsv`
//! inside the root, one line per descriptor or device node:
//!
//! ```text
//! /proc/252/fd/0 <TAB> c <TAB> 226:0
//! /dev/dri/card0 <TAB> c <TAB> 226:0
//! ```
//!
//! Lines starting with `#` are comments. Lookups try the descriptor first, then
//! the path it points to.

use super::Root;
use std::collections::HashMap;
use std::fmt;

pub const DEVICES_TSV: &str = "/kmod-doctor-snapshot/devices.tsv";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DevKind {
    Char,
    Block,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DevNum {
    pub kind: DevKind,
    pub major: u32,
    pub minor: u32,
}

impl DevNum {
    pub fn kind_letter(&self) -> char {
        match self.kind {
            DevKind::Char => 'c',
            DevKind::Block => 'b',
        }
    }

    /// `/sys/dev/char/M:N` or `/sys/dev/block/M:N`.
    pub fn sys_dev_path(&self) -> String {
        let class = match self.kind {
            DevKind::Char => "char",
            DevKind::Block => "block",
        };
        format!("/sys/dev/{class}/{}:{}", self.major, self.minor)
    }

    /// Parses the kind (`c`/`b`) and `226:0` columns.
    pub fn parse(kind: &str, num: &str) -> Option<DevNum> {
        let kind = match kind {
            "c" => DevKind::Char,
            "b" => DevKind::Block,
            _ => return None,
        };
        let (ma, mi) = num.split_once(':')?;
        Some(DevNum {
            kind,
            major: ma.parse().ok()?,
            minor: mi.parse().ok()?,
        })
    }
}

impl fmt::Display for DevNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}:{}", self.kind_letter(), self.major, self.minor)
    }
}

#[derive(Debug, Default)]
pub(super) struct DeviceTable {
    by_path: HashMap<String, DevNum>,
}

impl DeviceTable {
    /// Loads the table if the root has one; a root without it simply has no
    /// device numbers (processes are then reported as not inspectable).
    pub(super) fn load(root: &Root) -> DeviceTable {
        let mut t = DeviceTable::default();
        if let Ok(text) = root.read_to_string(DEVICES_TSV) {
            t.by_path = parse_table(&text);
        }
        t
    }

    pub(super) fn lookup(&self, fd_link: &str, target: &str) -> Option<DevNum> {
        self.by_path
            .get(fd_link)
            .or_else(|| self.by_path.get(target))
            .copied()
    }
}

pub(super) fn parse_table(text: &str) -> HashMap<String, DevNum> {
    let mut map = HashMap::new();
    for (_, cols) in super::tsv::records(text) {
        let [path, kind, num, ..] = cols[..] else {
            continue;
        };
        if let Some(d) = DevNum::parse(kind, num.trim()) {
            map.insert(path.to_string(), d);
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_skips_garbage() {
        let m = parse_table(
            "# c\n/proc/1/fd/0\tc\t10:238\n/dev/vda\tb\t254:0\nbad\n/x\tz\t1:2\n/y\tc\tq:1\n",
        );
        assert_eq!(m.len(), 2);
        assert_eq!(
            m["/proc/1/fd/0"],
            DevNum {
                kind: DevKind::Char,
                major: 10,
                minor: 238
            }
        );
        assert_eq!(m["/dev/vda"].sys_dev_path(), "/sys/dev/block/254:0");
    }
}
