//! `modules.builtin` (one `kernel/net/unix/unix.ko` per line) and
//! `modules.builtin.modinfo` (NUL-separated `unix.alias=net-pf-1` records).

use crate::facts::name::{module_name_from_path, normalize};
use crate::root::ReadError;
use std::collections::{BTreeMap, HashMap};

pub fn parse_list(text: &str, path: &str) -> Result<HashMap<String, usize>, ReadError> {
    let mut out = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name = module_name_from_path(line).ok_or_else(|| {
            ReadError::at_line(path, i + 1, format!("{line:?} is not a module path"))
        })?;
        out.entry(name).or_insert(i + 1);
    }
    Ok(out)
}

/// Per module, per key, the values in file order (a key such as `alias` or
/// `parm` repeats).
pub type Modinfo = HashMap<String, BTreeMap<String, Vec<String>>>;

pub fn parse_modinfo(bytes: &[u8], path: &str) -> Result<Modinfo, ReadError> {
    let mut out: Modinfo = HashMap::new();
    for (i, rec) in bytes.split(|b| *b == 0).enumerate() {
        if rec.is_empty() {
            continue;
        }
        let rec = std::str::from_utf8(rec)
            .map_err(|_| ReadError::at_line(path, i + 1, "record is not valid UTF-8"))?;
        let (key, value) = rec
            .split_once('=')
            .ok_or_else(|| ReadError::at_line(path, i + 1, format!("record {rec:?} has no '='")))?;
        let (module, field) = key.split_once('.').ok_or_else(|| {
            ReadError::at_line(path, i + 1, format!("key {key:?} is not module.field"))
        })?;
        out.entry(normalize(module))
            .or_default()
            .entry(field.to_string())
            .or_default()
            .push(value.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_and_modinfo() {
        let l = parse_list(
            "kernel/net/unix/unix.ko\nkernel/drivers/tty/serial/8250/8250.ko\n",
            "/b",
        )
        .unwrap();
        assert!(l.contains_key("unix") && l.contains_key("8250"));
        let m = parse_modinfo(
            b"unix.alias=net-pf-1\0unix.license=GPL\08250.parm=nr_uarts:x\08250.parm=y:z\0",
            "/m",
        )
        .unwrap();
        assert_eq!(m["unix"]["alias"], vec!["net-pf-1"]);
        assert_eq!(m["8250"]["parm"].len(), 2);
        // Records numbered from 1 so "line" means record here.
        assert!(
            parse_modinfo(b"ok.a=b\0broken\0", "/m")
                .unwrap_err()
                .to_string()
                .contains("line 2")
        );
    }
}
