//! Making untrusted text safe to paste and safe to print.

/// POSIX shell quoting: safe words stay bare, everything else goes in single
/// quotes with embedded quotes spliced as `'\''`. Control characters cannot
/// be expressed safely in single quotes across shells, so words containing
/// them are written with `$'...'`-free escaping: we refuse to print them raw
/// and replace them with `?`, which no real module or device name contains.
pub fn shell_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".to_string();
    }
    let safe = s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&b));
    if safe {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("'\\''"),
            c if c.is_control() || is_bidi(c) => out.push('?'),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Text for a terminal or a ticket: control characters and bidirectional
/// overrides become visible escapes so a name cannot move the cursor, clear
/// the screen or fake extra lines.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if is_bidi(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("loop"), "loop");
        assert_eq!(shell_quote("br-netfilter"), "br-netfilter");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(shell_quote("a\nb"), "'a?b'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn sanitizing() {
        assert_eq!(sanitize("a\nb\x1b[31m"), "a\\nb\\x1b[31m");
        assert_eq!(sanitize("x\u{202e}y"), "x\\u{202e}y");
    }
}
