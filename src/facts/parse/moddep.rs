//! `modules.dep`: `kernel/drivers/net/dummy.ko:` and
//! `kernel/net/bridge/br_netfilter.ko: kernel/net/bridge/bridge.ko kernel/net/802/stp.ko ...`.
//! Each line already lists the full dependency closure, as depmod writes it.

use crate::facts::name::{module_name_from_path, normalize};
use crate::root::ReadError;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepEntry {
    pub path: String,
    pub deps: Vec<String>,
    pub line: usize,
}

#[derive(Debug, Clone, Default)]
pub struct ModulesDep {
    pub by_name: HashMap<String, DepEntry>,
}

impl ModulesDep {
    pub fn get(&self, name: &str) -> Option<&DepEntry> {
        self.by_name.get(&normalize(name))
    }
}

pub fn parse(text: &str, path: &str) -> Result<ModulesDep, ReadError> {
    let mut by_name = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (file, rest) = line
            .split_once(':')
            .ok_or_else(|| ReadError::at_line(path, n, "expected `module.ko: dependencies`"))?;
        let name = module_name_from_path(file).ok_or_else(|| {
            ReadError::at_line(path, n, format!("{file:?} is not a module file name"))
        })?;
        let mut deps = Vec::new();
        for d in rest.split_whitespace() {
            deps.push(module_name_from_path(d).ok_or_else(|| {
                ReadError::at_line(path, n, format!("{d:?} is not a module file name"))
            })?);
        }
        // depmod keeps the first of duplicate names (search order); so do we.
        by_name.entry(name).or_insert(DepEntry {
            path: file.to_string(),
            deps,
            line: n,
        });
    }
    Ok(ModulesDep { by_name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_closure_and_compressed_names() {
        let d = parse(
            "kernel/net/bridge/br_netfilter.ko.xz: kernel/net/bridge/bridge.ko.xz kernel/net/802/stp.ko.xz kernel/net/llc/llc.ko.xz\nkernel/drivers/net/dummy.ko:\n",
            "/lib/modules/x/modules.dep",
        )
        .unwrap();
        assert_eq!(
            d.get("br-netfilter").unwrap().deps,
            vec!["bridge", "stp", "llc"]
        );
        assert!(d.get("dummy").unwrap().deps.is_empty());
    }

    #[test]
    fn garbage_names_line() {
        let e = parse("a.ko:\nnonsense\n", "/m").unwrap_err();
        assert!(e.to_string().contains("line 2"));
    }
}
