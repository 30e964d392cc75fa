#![no_main]
//! shell_quote gives one POSIX shell word that means the input, with control
//! and bidi characters replaced by `?`; sanitize leaves no control character.
use kmod_doctor::shell::{sanitize, shell_quote};
use libfuzzer_sys::fuzz_target;

const BARE: &[u8] = b"_@%+=:,./-";

/// Reads one shell word as POSIX sh would, accepting only bare safe
/// characters or single-quoted pieces joined by `\'`.
fn unquote(w: &str) -> Option<String> {
    if !w.is_empty()
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || BARE.contains(&b))
    {
        return Some(w.to_string());
    }
    let mut out = String::new();
    let mut chars = w.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => out.push(c),
                }
            },
            '\\' => out.push(chars.next()?),
            _ => return None,
        }
    }
    Some(out)
}

fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let q = shell_quote(&s);
    let want: String = s.chars().map(|c| if hidden(c) { '?' } else { c }).collect();
    let got = unquote(&q).unwrap_or_else(|| panic!("not one shell word: {q:?}"));
    assert_eq!(got, want, "{s:?} -> {q:?}");
    assert!(!q.chars().any(hidden), "{q:?}");
    assert!(!sanitize(&s).chars().any(char::is_control));
});
