#![no_main]
//! modules.builtin (text) and modules.builtin.modinfo (NUL records).
use kmod_doctor::facts::parse::builtin;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = builtin::parse_list(&String::from_utf8_lossy(data), "/b");
    let _ = builtin::parse_modinfo(data, "/bm");
});
