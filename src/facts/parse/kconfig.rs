//! Kernel `.config` text (`CONFIG_X=y`, `# CONFIG_X is not set`).

use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct KernelConfig {
    /// Symbol → (value, line). `n` for "is not set".
    pub values: HashMap<String, (String, usize)>,
}

impl KernelConfig {
    /// `Some(true)` for `y`/`m`, `Some(false)` for `n` or absent-from-a-real-config.
    pub fn enabled(&self, sym: &str) -> Option<(bool, usize, String)> {
        self.values
            .get(sym)
            .map(|(v, l)| (v == "y" || v == "m", *l, v.clone()))
    }
}

/// Lenient by design: a config is mostly comments, and one odd line must not hide
/// the symbols we need. Lines that are neither assignments nor `is not set`
/// comments are ignored.
pub fn parse(text: &str) -> KernelConfig {
    let mut values = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("# ") {
            if let Some(sym) = rest.strip_suffix(" is not set")
                && sym.starts_with("CONFIG_")
                && !sym.contains(' ')
            {
                values.insert(sym.to_string(), ("n".to_string(), i + 1));
            }
            continue;
        }
        if let Some((k, v)) = line.split_once('=')
            && k.starts_with("CONFIG_")
            && !k.contains(' ')
        {
            values.insert(k.to_string(), (v.trim_matches('"').to_string(), i + 1));
        }
    }
    KernelConfig { values }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_set_and_unset() {
        let c = parse(
            "#\n# CONFIG_MODULES is not set\nCONFIG_MODULE_UNLOAD=y\ngarbage\nCONFIG_X=\"s\"\n",
        );
        assert_eq!(c.enabled("CONFIG_MODULES").map(|x| x.0), Some(false));
        assert_eq!(
            c.enabled("CONFIG_MODULE_UNLOAD"),
            Some((true, 3, "y".into()))
        );
        assert_eq!(c.enabled("CONFIG_NOPE"), None);
    }
}
