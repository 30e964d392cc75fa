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
    let mut c = KernelConfig::default();
    for (i, line) in text.lines().enumerate() {
        if let Some((k, v)) = assignment(line) {
            c.values.insert(k.to_string(), (v.to_string(), i + 1));
        }
    }
    c
}

/// The symbols the verdict reads from a config.
pub const WANTED: &[&str] = &[
    "CONFIG_MODULES",
    "CONFIG_MODULE_UNLOAD",
    "CONFIG_MODULE_FORCE_UNLOAD",
];

/// Like [`parse`], line by line from a reader, stopping once every symbol in
/// `wanted` has been seen: a generated config (`/proc/config.gz`,
/// `/boot/config-R`) names each symbol once, near the top for these. A line
/// that is not UTF-8 before that point is an error naming it.
pub fn parse_until(
    mut r: impl std::io::BufRead,
    wanted: &[&str],
) -> Result<KernelConfig, ConfigReadError> {
    let mut c = KernelConfig::default();
    let mut buf = Vec::new();
    let mut n = 0usize;
    loop {
        buf.clear();
        match r.read_until(b'\n', &mut buf) {
            Ok(0) => return Ok(c),
            Ok(_) => {}
            Err(e) => return Err(ConfigReadError::Io(e.to_string())),
        }
        n += 1;
        let line = std::str::from_utf8(&buf).map_err(|_| ConfigReadError::NotUtf8 { line: n })?;
        // Only the wanted symbols are kept: a config has thousands of lines
        // before them, and parsing each into a map was most of the cost.
        let t = line.trim_start();
        let body = t.strip_prefix("# ").unwrap_or(t);
        let names_wanted = wanted.iter().any(|w| {
            body.strip_prefix(w)
                .is_some_and(|r| r.starts_with(['=', ' ']))
        });
        if names_wanted
            && let Some((k, v)) = assignment(line)
            && wanted.contains(&k)
            && c.values.insert(k.to_string(), (v.to_string(), n)).is_none()
            && c.values.len() == wanted.len()
        {
            return Ok(c);
        }
    }
}

/// Why [`parse_until`] stopped short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigReadError {
    NotUtf8 { line: usize },
    Io(String),
}

/// `CONFIG_X=v` → (`CONFIG_X`, `v` unquoted); `# CONFIG_X is not set` →
/// (`CONFIG_X`, `n`); anything else → `None`.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("# ") {
        let sym = rest.strip_suffix(" is not set")?;
        return (sym.starts_with("CONFIG_") && !sym.contains(' ')).then_some((sym, "n"));
    }
    let (k, v) = line.split_once('=')?;
    (k.starts_with("CONFIG_") && !k.contains(' ')).then(|| (k, v.trim_matches('"')))
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

    #[test]
    fn stops_once_the_wanted_symbols_are_seen() {
        let text: &[u8] = b"CONFIG_A=y\n# CONFIG_MODULES is not set\nCONFIG_B=m\n\xff\xfe\n";
        let c = parse_until(text, &["CONFIG_A", "CONFIG_MODULES"]).unwrap();
        assert_eq!(c.enabled("CONFIG_MODULES"), Some((false, 2, "n".into())));
        // Never read: line 3 and the bad bytes on line 4.
        assert_eq!(c.enabled("CONFIG_B"), None);
        let bytes = b"CONFIG_A=y\n\xff\n";
        assert_eq!(
            parse_until(&bytes[..], &["CONFIG_X"]).unwrap_err(),
            ConfigReadError::NotUtf8 { line: 2 }
        );
        // Only the wanted symbols are kept; one that is missing means the
        // whole file is read.
        let c = parse_until(
            "CONFIG_A=y\nCONFIG_B=n\n".as_bytes(),
            &["CONFIG_B", "CONFIG_X"],
        )
        .unwrap();
        assert_eq!(c.enabled("CONFIG_A"), None);
        assert_eq!(c.enabled("CONFIG_B"), Some((false, 2, "n".into())));
    }
}
