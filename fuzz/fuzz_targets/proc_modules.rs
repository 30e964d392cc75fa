#![no_main]
//! /proc/modules: never panics; a parsed entry keeps valid names.
use kmod_doctor::facts::{name::is_valid_module_name, parse::proc_modules};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(list) = proc_modules::parse(&text, "/proc/modules") {
        for e in list {
            assert!(is_valid_module_name(&e.name));
            assert!(e.holders.iter().all(|h| is_valid_module_name(h)));
        }
    }
});
