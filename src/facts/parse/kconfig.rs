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
        if take(&mut c, wanted, &buf, n)? {
            return Ok(c);
        }
    }
}

/// One line of a config for [`parse_until`]: kept when it sets a wanted
/// symbol; `true` once every wanted symbol has been seen.
fn take(
    c: &mut KernelConfig,
    wanted: &[&str],
    line: &[u8],
    n: usize,
) -> Result<bool, ConfigReadError> {
    let line = std::str::from_utf8(line).map_err(|_| ConfigReadError::NotUtf8 { line: n })?;
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
    {
        return Ok(c.values.len() == wanted.len());
    }
    Ok(false)
}

/// [`parse_until`] for a config already in memory, with the same answers:
/// the lines that can name a wanted symbol are found by a substring search
/// for what the symbols share (`CONFIG_MODULE`) rather than by reading the
/// thousand lines before them one by one; the text up to the last line used
/// must be UTF-8, else the line-by-line read names the first bad line.
pub fn parse_wanted(bytes: &[u8], wanted: &[&str]) -> Result<KernelConfig, ConfigReadError> {
    let common = wanted
        .iter()
        .fold(wanted.first().copied().unwrap_or(""), |acc, w| {
            let n = acc
                .bytes()
                .zip(w.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            &acc[..n]
        });
    if common.is_empty() {
        return parse_until(bytes, wanted);
    }
    let mut c = KernelConfig::default();
    let (mut counted_to, mut line_no, mut used_to) = (0usize, 1usize, 0usize);
    let mut last_line = None;
    for pos in memchr::memmem::find_iter(bytes, common.as_bytes()) {
        let start = memchr::memrchr(b'\n', &bytes[..pos]).map_or(0, |i| i + 1);
        if last_line == Some(start) {
            continue; // a second hit on the line just read
        }
        last_line = Some(start);
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
        line_no += memchr::memchr_iter(b'\n', &bytes[counted_to..start]).count();
        counted_to = start;
        // Not UTF-8 (here or before): the careful read says where.
        let Ok(line) = std::str::from_utf8(&bytes[start..end]) else {
            return parse_until(bytes, wanted);
        };
        // As the line reader does: a symbol set again before the last one
        // is seen takes the later value (kconfig's own rule), and reading
        // stops at the first time all are known.
        if let Some((k, v)) = assignment(line)
            && wanted.contains(&k)
        {
            let fresh = c
                .values
                .insert(k.to_string(), (v.to_string(), line_no))
                .is_none();
            used_to = end;
            if fresh && c.values.len() == wanted.len() {
                break;
            }
        }
    }
    // Every wanted symbol found: what came before must be text too. Some
    // missing: the whole file was read, so all of it must be.
    let checked = if c.values.len() == wanted.len() {
        used_to
    } else {
        bytes.len()
    };
    if std::str::from_utf8(&bytes[..checked]).is_err() {
        return parse_until(bytes, wanted);
    }
    Ok(c)
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
    fn the_search_in_memory_agrees_with_the_line_by_line_read() {
        let cases: &[&[u8]] = &[
            b"#\n# CONFIG_MODULES is not set\nCONFIG_MODULE_UNLOAD=y\ngarbage\nCONFIG_X=\"s\"\n",
            b"CONFIG_MODULE_SIG=y\nCONFIG_MODULES=y\n  CONFIG_MODULE_UNLOAD=m  \n# CONFIG_MODULE_FORCE_UNLOAD is not set\nCONFIG_MODULES=n\n",
            b"CONFIG_MODULES=y\n\xff\nCONFIG_MODULE_UNLOAD=y\n",
            b"CONFIG_MODULES=y\n\xff\nCONFIG_MODULE_UNLOAD=y\nCONFIG_MODULE_FORCE_UNLOAD=y\n",
            b"CONFIG_MODULES=y\nCONFIG_MODULE_UNLOAD=\xff\nCONFIG_MODULE_FORCE_UNLOAD=y\n",
            b"CONFIG_MODULES=y\nCONFIG_MODULE_UNLOAD=y\nCONFIG_MODULE_FORCE_UNLOAD=n\n\xff\n",
            b"",
            b"CONFIG_MODULESX=y\n#  CONFIG_MODULES is not set\nxCONFIG_MODULES=y\nCONFIG_MODULES=m",
        ];
        for text in cases {
            let fast = parse_wanted(text, WANTED);
            let slow = parse_until(*text, WANTED);
            match (fast, slow) {
                (Ok(a), Ok(b)) => {
                    for w in WANTED {
                        assert_eq!(a.enabled(w), b.enabled(w), "{w} in {text:?}");
                    }
                }
                (a, b) => assert_eq!(a.err(), b.err(), "{text:?}"),
            }
        }
        let c = parse_wanted(cases[1], WANTED).unwrap();
        assert_eq!(c.enabled("CONFIG_MODULES"), Some((true, 2, "y".into())));
        assert_eq!(
            c.enabled("CONFIG_MODULE_UNLOAD"),
            Some((true, 3, "m".into()))
        );
        assert_eq!(
            c.enabled("CONFIG_MODULE_FORCE_UNLOAD"),
            Some((false, 4, "n".into()))
        );
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
