//! Module names as modprobe sees them.

/// The kernel's MODULE_NAME_LEN is 64 including the NUL and padding; 56 is the
/// longest a real name can be on 64-bit. Queries (which may be aliases such as
/// `pci:v00008086d...`) get more room.
pub const MAX_MODULE_NAME: usize = 56;
pub const MAX_QUERY: usize = 256;

/// `-` and `_` are the same in module names; modprobe compares the `_` form.
pub fn normalize(name: &str) -> String {
    name.replace('-', "_")
}

/// A name as it appears in `/proc/modules` or `/sys/module`: printable, no path
/// separators, nothing that could turn into a path component other than itself.
pub fn is_valid_module_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name.len() <= MAX_MODULE_NAME
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

/// Why a name given on the command line is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("module name is empty")]
    Empty,
    #[error("module name is longer than {MAX_QUERY} bytes")]
    TooLong,
    #[error("module name {0} contains {1}, which no module or alias name can contain")]
    BadChar(String, String),
    #[error(
        "module name {0} contains '/': it is a file path, not a module name; give the name alone (bridge for .../bridge.ko), as modprobe takes it"
    )]
    Path(String),
}

/// Validates a module name or alias given by the user before it is ever joined to
/// a path. Aliases may contain glob characters and `:`; nothing may contain `/`,
/// NUL, whitespace, control characters or shell metacharacters.
pub fn validate_query(q: &str) -> Result<String, NameError> {
    if q.is_empty() {
        return Err(NameError::Empty);
    }
    if q.len() > MAX_QUERY {
        return Err(NameError::TooLong);
    }
    if q.starts_with('-') {
        return Err(NameError::BadChar(
            format!("{q:?}"),
            "a leading '-' (it would read as an option)".into(),
        ));
    }
    if q == "." || q == ".." {
        return Err(NameError::BadChar(format!("{q:?}"), "only dots".into()));
    }
    // A '/' belongs to aliases such as devname:net/tun (modules.alias), always
    // after a `prefix:`; anything else with one is a file path.
    let slash_ok = q.contains('/')
        && q.find(':').is_some_and(|c| c < q.find('/').unwrap_or(0))
        && !q.ends_with('/')
        && q.split('/').all(|p| !p.is_empty() && p != "." && p != "..");
    if q.contains('/') && !slash_ok {
        return Err(NameError::Path(format!("{q:?}")));
    }
    for c in q.chars() {
        let ok =
            c.is_ascii_alphanumeric() || "_-.:*?[]!,+=@^".contains(c) || (c == '/' && slash_ok);
        if !ok {
            let what = match c {
                '/' => "'/'".to_string(),
                '\0' => "a NUL byte".to_string(),
                c if c.is_whitespace() => format!("whitespace ({c:?})"),
                c if c.is_control() => format!("a control character ({c:?})"),
                c => format!("{c:?}"),
            };
            return Err(NameError::BadChar(format!("{q:?}"), what));
        }
    }
    Ok(q.to_string())
}

/// The file suffixes kmod reads past in a module name (`bridge.ko.xz`).
pub const MODULE_SUFFIXES: [&str; 4] = [".ko.xz", ".ko.zst", ".ko.gz", ".ko"];

/// `bridge.ko`, `br-netfilter.ko.zst` → `bridge`, `br-netfilter`: a module
/// named by its file, as kmod accepts it. `None` when there is no suffix or
/// what is left is not a module name.
pub fn strip_module_suffix(q: &str) -> Option<&str> {
    let stem = MODULE_SUFFIXES.iter().find_map(|ext| q.strip_suffix(ext))?;
    is_valid_module_name(stem).then_some(stem)
}

/// `kernel/net/bridge/br_netfilter.ko.xz` → `br_netfilter`.
pub fn module_name_from_path(path: &str) -> Option<String> {
    let base = path.rsplit('/').next()?;
    let stem = MODULE_SUFFIXES
        .iter()
        .find_map(|ext| base.strip_suffix(ext))?;
    let n = normalize(stem);
    is_valid_module_name(&n).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_dashes() {
        assert_eq!(normalize("br-netfilter"), "br_netfilter");
    }

    #[test]
    fn rejects_hostile_queries() {
        for bad in [
            "",
            "../x",
            "a/b",
            "a b",
            "a\nb",
            "a\0b",
            "$(reboot)",
            "a;b",
            "`x`",
            "..",
            "\u{1b}[31m",
        ] {
            assert!(validate_query(bad).is_err(), "{bad:?}");
        }
        assert!(validate_query(&"a".repeat(300)).is_err());
        for good in [
            "loop",
            "br-netfilter",
            "pci:v00008086d*",
            "char-major-10-238",
            "net-pf-1",
            "fs-ext4",
            "devname:net/tun",
            "devname:mapper/control",
        ] {
            assert!(validate_query(good).is_ok(), "{good}");
        }
        for path in [
            "/lib/modules/x/bridge.ko",
            "./bridge.ko",
            "kernel/net/bridge.ko",
            "devname:net/../x",
            "devname:net/",
            "devname:a//b",
        ] {
            assert!(validate_query(path).is_err(), "{path}");
        }
        assert!(matches!(
            validate_query("./bridge.ko"),
            Err(NameError::Path(_))
        ));
        assert_eq!(strip_module_suffix("bridge.ko"), Some("bridge"));
        assert_eq!(
            strip_module_suffix("br-netfilter.ko.zst"),
            Some("br-netfilter")
        );
        assert_eq!(strip_module_suffix("bridge"), None);
        assert_eq!(strip_module_suffix(".ko"), None);
    }

    #[test]
    fn names_from_paths() {
        assert_eq!(
            module_name_from_path("kernel/fs/fuse/fuse.ko.xz").as_deref(),
            Some("fuse")
        );
        assert_eq!(
            module_name_from_path("kernel/x/kvm-intel.ko").as_deref(),
            Some("kvm_intel")
        );
        assert_eq!(module_name_from_path("kernel/x/readme.txt"), None);
    }
}
