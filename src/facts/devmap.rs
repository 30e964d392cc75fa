//! The device-to-module data in `rules/devices.toml`.

use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevMap {
    pub classes: BTreeMap<String, String>,
    pub nodes: BTreeMap<String, String>,
    pub majors: BTreeMap<String, String>,
    pub net_markers: BTreeMap<String, String>,
    pub net_devtypes: BTreeMap<String, String>,
    #[serde(default)]
    pub device_ops: BTreeMap<String, String>,
    #[serde(default)]
    pub misc: BTreeMap<String, String>,
    #[serde(default)]
    pub network_filesystems: Vec<String>,
    #[serde(default)]
    pub net_controls: Vec<String>,
    #[serde(default)]
    pub link_kinds: BTreeMap<String, String>,
    pub mounts: Mounts,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mounts {
    pub critical: Vec<String>,
}

pub fn load() -> &'static DevMap {
    static MAP: std::sync::OnceLock<DevMap> = std::sync::OnceLock::new();
    // The file is embedded and checked by a test, so a parse failure is a
    // build defect, not input.
    MAP.get_or_init(|| {
        crate::baked::from_tree(crate::baked::tree("rules/devices.toml"))
            .expect("rules/devices.toml is valid")
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn embedded_map_parses() {
        let m = super::load();
        assert_eq!(m.classes["net"], "network");
        assert_eq!(m.majors["loop"], "loop");
        assert!(m.mounts.critical.contains(&"/".to_string()));
    }
}
