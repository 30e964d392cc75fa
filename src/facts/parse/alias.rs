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
