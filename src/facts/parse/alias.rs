//! `modules.alias` (`alias pci:v00001AF4d00001000sv*sd*bc*sc*i* virtio_net`) and
//! the glob matching modprobe uses for it (fnmatch: `*`, `?`, `[...]`).

use crate::facts::name::normalize;
use crate::root::ReadError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub pattern: String,
    pub module: String,
    pub line: usize,
}

pub fn parse(text: &str, path: &str) -> Result<Vec<Alias>, ReadError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cols = line.split_whitespace();
        match (cols.next(), cols.next(), cols.next(), cols.next()) {
            (Some("alias"), Some(p), Some(m), None) => out.push(Alias {
                pattern: p.to_string(),
                module: normalize(m),
                line: n,
            }),
            _ => {
                return Err(ReadError::at_line(
                    path,
                    n,
                    "expected `alias PATTERN MODULE`",
                ));
            }
        }
    }
    Ok(out)
}

/// Whether the text of a `modules.alias` gives `module` an alias a device can
/// carry: a pattern with a `:` (a device modalias is always `bus:...`). Only
/// the lines that mention the longest part of the name between `-` and `_`
/// are read (any spelling of the name contains it), each exactly as
/// [`parse`] reads it. A line that is not UTF-8 answers yes: nothing is
/// ruled out on what could not be read.
pub fn has_device_alias(text: &[u8], module: &str) -> bool {
    let part = module
        .split(['-', '_'])
        .max_by_key(|s| s.len())
        .unwrap_or(module);
    let mut next_line = 0usize;
    for pos in memchr::memmem::find_iter(text, part.as_bytes()) {
        if pos < next_line {
            continue; // a line already read
        }
        let start = memchr::memrchr(b'\n', &text[..pos]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i);
        next_line = end;
        let Ok(line) = std::str::from_utf8(&text[start..end]) else {
            return true;
        };
        let mut cols = line.split_whitespace();
        if let (Some("alias"), Some(p), Some(m), None) =
            (cols.next(), cols.next(), cols.next(), cols.next())
            && p.contains(':')
            && normalize(m) == module
        {
            return true;
        }
    }
    false
}

/// Modules whose alias patterns match `name`, in file order, without duplicates.
pub fn resolve(aliases: &[Alias], name: &str) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for a in aliases {
        if fnmatch(a.pattern.as_bytes(), name.as_bytes())
            && !out.iter().any(|(m, _)| *m == a.module)
        {
            out.push((a.module.clone(), a.line));
        }
    }
    out
}

/// Shell-style glob match without path semantics, iterative so that hostile
/// patterns (`*a*a*a*...`) cannot recurse or explode.
pub fn fnmatch(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star = Some((p, i));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    i += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = class(pat, p, s[i]) {
                        if matched {
                            p = next;
                            i += 1;
                            continue;
                        }
                    } else if s[i] == b'[' {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
                c if c == s[i] => {
                    p += 1;
                    i += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, si)) => {
                p = sp + 1;
                i = si + 1;
                star = Some((sp, si + 1));
            }
            None => return false,
        }
    }
    while p < pat.len() && pat[p] == b'*' {
        p += 1;
    }
    p == pat.len()
}

/// Matches `c` against the bracket expression at `pat[p]`. Returns whether it
/// matched and the index after `]`, or `None` if the bracket is not closed.
fn class(pat: &[u8], p: usize, c: u8) -> Option<(bool, usize)> {
    let mut j = p + 1;
    let negate = j < pat.len() && (pat[j] == b'!' || pat[j] == b'^');
    if negate {
        j += 1;
    }
    let mut matched = false;
    let mut first = true;
    while j < pat.len() && (first || pat[j] != b']') {
        first = false;
        if j + 2 < pat.len() && pat[j + 1] == b'-' && pat[j + 2] != b']' {
            if pat[j] <= c && c <= pat[j + 2] {
                matched = true;
            }
            j += 3;
        } else {
            if pat[j] == c {
                matched = true;
            }
            j += 1;
        }
    }
    if j >= pat.len() {
        return None;
    }
    Some((matched != negate, j + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# Aliases extracted from modules themselves.\n\
alias fs-ext4 ext4\n\
alias ext3 ext4\n\
alias rtnl-link-dummy dummy\n\
alias virtio:d00000001v* virtio_net\n\
alias pci:v00008086d*sv*sd*bc*sc*i* snd-hda-intel\n\
alias net-pf-10 ipv6\n\
alias  cpu:type:x86,ven*fam*mod*:feature:*0099*\taesni_intel";

    /// The search answers as the parsed list does, for
    /// modules with device aliases, without, with a dashed spelling, absent,
    /// and when the name appears only inside another module's pattern.
    #[test]
    fn device_aliases_as_the_parsed_list_says() {
        let list = parse(TEXT, "modules.alias").unwrap();
        for m in [
            "ext4",
            "dummy",
            "virtio_net",
            "snd_hda_intel",
            "ipv6",
            "aesni_intel",
            "virtio",
            "absent",
            "pci",
            "x86",
        ] {
            let want = list
                .iter()
                .any(|a| a.module == m && a.pattern.contains(':'));
            assert_eq!(has_device_alias(TEXT.as_bytes(), m), want, "{m}");
        }
        assert!(has_device_alias(TEXT.as_bytes(), "snd_hda_intel"));
        assert!(!has_device_alias(TEXT.as_bytes(), "dummy"));
        // What cannot be read rules nothing out.
        let mut bad = TEXT.as_bytes().to_vec();
        bad.extend_from_slice(b"\nalias \xff:x dummy\n");
        assert!(has_device_alias(&bad, "dummy"));
    }

    #[test]
    fn globbing() {
        assert!(fnmatch(
            b"pci:v00001AF4d00001000sv*sd*bc*sc*i*",
            b"pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00"
        ));
        assert!(fnmatch(b"char-major-10-238", b"char-major-10-238"));
        assert!(!fnmatch(b"char-major-10-238", b"char-major-10-2389"));
        assert!(fnmatch(b"a?c", b"abc"));
        assert!(fnmatch(b"[a-c]x", b"bx"));
        assert!(!fnmatch(b"[!a-c]x", b"bx"));
        assert!(fnmatch(b"[", b"["));
        // Backtracking stays linear-ish: these finish instantly.
        assert!(fnmatch(&b"*a".repeat(40), &[b'a'; 60]));
        let mut p = b"*a".repeat(40);
        p.push(b'b');
        assert!(!fnmatch(&p, &[b'a'; 60]));
    }

    #[test]
    fn resolves_in_order() {
        let a = parse("# c\nalias net-pf-7 bluetooth\nalias devname:vhost-net vhost_net\nalias char-major-10-238 vhost_net\n", "/a").unwrap();
        assert_eq!(
            resolve(&a, "char-major-10-238"),
            vec![("vhost_net".to_string(), 4)]
        );
        assert!(parse("alias x\n", "/a").is_err());
    }
}
