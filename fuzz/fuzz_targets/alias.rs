#![no_main]
//! modules.alias, and fnmatch over every pattern against a subject taken
//! from the same input.
use kmod_doctor::facts::parse::alias;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(list) = alias::parse(&text, "/a") {
        let subject = text.lines().last().unwrap_or_default();
        let _ = alias::resolve(&list, subject);
    }
});
