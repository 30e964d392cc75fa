#![no_main]
//! The glob matcher on raw bytes: never panics, `*` matches all, a literal
//! without metacharacters matches itself.
use kmod_doctor::facts::parse::alias::fnmatch;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cut = data.first().copied().unwrap_or(0) as usize % (data.len().max(1));
    let (p, s) = data.split_at(cut);
    let _ = fnmatch(p, s);
    assert!(fnmatch(b"*", s));
    if !s.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
        assert!(fnmatch(s, s));
    }
});
