#![no_main]
//! Rule files (TOML), conditions and templates.
use kmod_doctor::rules::{RuleSet, condition, template::Template};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = condition::parse(&text);
    let _ = Template::parse(&text, true);
    let mut set = RuleSet::default();
    let _ = set.add_file("/site/x.toml", &text);
});
