//! `/proc/modules`, as printed by the kernel's `m_show`:
//!
//! ```text
//! bridge 319488 1 br_netfilter, Live 0xffffffffc0421000
//! nvidia 56000512 42 nvidia_uvm,nvidia_modeset, Live 0x0000000000000000 (POE)
//! ext4 1019904 2 [permanent], Live 0x0
//! loop 32768 - - Live 0xffffffffc0401000
//! ```
//!
//! The used-by column lists holders with a trailing comma, `[permanent],` when the
//! module has an init but no exit function (it can only be forced out), or `-`.
//! ` - -` replaces refcount and used-by when the kernel was built without
//! CONFIG_MODULE_UNLOAD. Generic parsers treat `[permanent]` as a holder name;
//! this one does not.

use crate::facts::name::is_valid_module_name;
use crate::root::ReadError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModState {
    Live,
    Loading,
    Unloading,
}

impl ModState {
    pub fn as_str(&self) -> &'static str {
        match self {
            ModState::Live => "live",
            ModState::Loading => "loading",
            ModState::Unloading => "unloading",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleEntry {
    pub name: String,
    pub size: u64,
    /// `None` when unloading is compiled out (` - -`).
    pub refcount: Option<i64>,
    pub holders: Vec<String>,
    pub permanent: bool,
    pub state: ModState,
    pub address: Option<String>,
    /// Taint letters without parentheses, e.g. `POE`. The kernel appends
    /// `+` (loading) or `-` (unloading) inside the same parentheses; those
    /// are state markers (the state column says the same), not taint letters.
    pub taint: Option<String>,
    /// 1-based line in the file, for evidence.
    pub line: usize,
    /// The line as the kernel printed it.
    pub raw: String,
}

impl ModuleEntry {
    pub fn unload_compiled_out(&self) -> bool {
        self.refcount.is_none()
    }
}

pub fn parse(text: &str, path: &str) -> Result<Vec<ModuleEntry>, ReadError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        out.push(parse_line(line, n).map_err(|why| ReadError::at_line(path, n, why))?);
    }
    Ok(out)
}

fn parse_line(line: &str, n: usize) -> Result<ModuleEntry, String> {
    let cols: Vec<&str> = line.split_whitespace().collect();
    if cols.len() < 5 {
        return Err(format!("expected at least 5 columns, found {}", cols.len()));
    }
    let name = cols[0];
    if !is_valid_module_name(name) {
        return Err(format!("invalid module name {name:?}"));
    }
    let size: u64 = cols[1]
        .parse()
        .map_err(|_| format!("size {:?} is not a number", cols[1]))?;
    let (refcount, holders, permanent) = if cols[2] == "-" && cols[3] == "-" {
        (None, Vec::new(), false)
    } else {
        let rc: i64 = cols[2]
            .parse()
            .map_err(|_| format!("refcount {:?} is not a number", cols[2]))?;
        let (holders, permanent) = parse_used_by(cols[3])?;
        (Some(rc), holders, permanent)
    };
    let state = match cols[4] {
        "Live" => ModState::Live,
        "Loading" => ModState::Loading,
        "Unloading" => ModState::Unloading,
        other => return Err(format!("unknown state {other:?}")),
    };
    let address = cols.get(5).map(|s| s.to_string());
    let taint = match cols.get(6) {
        None => None,
        Some(t) if t.starts_with('(') && t.ends_with(')') && t.len() >= 2 => {
            let letters = t[1..t.len() - 1].trim_end_matches(['+', '-']);
            (!letters.is_empty()).then(|| letters.to_string())
        }
        Some(t) => {
            return Err(format!(
                "unexpected column {t:?} (taint flags are written as (XYZ))"
            ));
        }
    };
    if cols.len() > 7 {
        return Err(format!("unexpected extra column {:?}", cols[7]));
    }
    Ok(ModuleEntry {
        name: name.to_string(),
        size,
        refcount,
        holders,
        permanent,
        state,
        address,
        taint,
        line: n,
        raw: line.to_string(),
    })
}

fn parse_used_by(col: &str) -> Result<(Vec<String>, bool), String> {
    if col == "-" {
        return Ok((Vec::new(), false));
    }
    let mut holders = Vec::new();
    let mut permanent = false;
    for item in col.split(',').filter(|s| !s.is_empty()) {
        if item == "[permanent]" {
            permanent = true;
        } else if is_valid_module_name(item) {
            holders.push(item.to_string());
        } else {
            return Err(format!("invalid holder name {item:?} in used-by column"));
        }
    }
    Ok((holders, permanent))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> ModuleEntry {
        parse(line, "/proc/modules").unwrap().remove(0)
    }

    #[test]
    fn real_lines_from_debian_6_1() {
        let e = one("bridge 319488 1 br_netfilter, Live 0xffffffffc0421000");
        assert_eq!(e.refcount, Some(1));
        assert_eq!(e.holders, vec!["br_netfilter"]);
        assert!(!e.permanent);
        let e = one(
            "virtio 20480 5 virtio_blk,9pnet_virtio,virtio_gpu,virtio_net,virtio_pci, Live 0xffffffffc039e000",
        );
        assert_eq!(e.holders.len(), 5);
        let e = one("dummy 12288 0 - Live 0xffffffffc0401000");
        assert!(e.holders.is_empty());
        assert_eq!(e.state, ModState::Live);
    }

    #[test]
    fn permanent_is_not_a_holder() {
        let e = one("ext4 1019904 2 [permanent], Live 0x0000000000000000");
        assert!(e.permanent);
        assert!(e.holders.is_empty());
        let e = one("foo 1 1 bar,[permanent], Live 0x0");
        assert_eq!(e.holders, vec!["bar"]);
        assert!(e.permanent);
    }

    #[test]
    fn unload_compiled_out_and_taint() {
        let e = one("loop 32768 - - Live 0xffffffffc0401000");
        assert!(e.unload_compiled_out());
        let e = one("nvidia 56000512 42 nvidia_uvm, Live 0x0000000000000000 (POE)");
        assert_eq!(e.taint.as_deref(), Some("POE"));
        assert_eq!(one("x 1 0 - Unloading 0x0").state, ModState::Unloading);
        assert_eq!(one("x 1 0 - Loading 0x0").state, ModState::Loading);
        // `+`/`-` mark loading/unloading, not taint.
        let e = one("x 1 0 - Loading 0x0 (OE+)");
        assert_eq!(e.taint.as_deref(), Some("OE"));
        assert_eq!(e.state, ModState::Loading);
        assert_eq!(
            one("x 1 0 - Unloading 0x0 (OE-)").taint.as_deref(),
            Some("OE")
        );
        assert_eq!(one("x 1 0 - Unloading 0x0 (-)").taint, None);
    }

    #[test]
    fn malformed_lines_name_file_and_line() {
        for bad in [
            "x",
            "x y 0 - Live",
            "x 1 z - Live",
            "x 1 0 - Zombie",
            "../x 1 0 - Live",
            "x 1 0 a/b, Live",
            "x 1 0 - Live 0x0 POE",
        ] {
            let text = format!("dummy 1 0 - Live 0x0\n{bad}\n");
            let e = parse(&text, "/proc/modules").unwrap_err();
            assert!(
                e.to_string().starts_with("/proc/modules: line 2:"),
                "{bad}: {e}"
            );
        }
    }
}
