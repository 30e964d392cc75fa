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
    for c in q.chars() {
        let ok = c.is_ascii_alphanumeric() || "_-.:*?[]!,+=@^".contains(c);
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

/// `kernel/net/bridge/br_netfilter.ko.xz` → `br_netfilter`.
pub fn module_name_from_path(path: &str) -> Option<String> {
    let base = path.rsplit('/').next()?;
    let stem = [".ko.xz", ".ko.zst", ".ko.gz", ".ko"]
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
        ] {
            assert!(validate_query(good).is_ok(), "{good}");
        }
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
