#![no_main]
use kmod_doctor::facts::parse::moddep;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = moddep::parse(&String::from_utf8_lossy(data), "/lib/modules/r/modules.dep");
});
