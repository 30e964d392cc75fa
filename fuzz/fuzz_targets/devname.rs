#![no_main]
use kmod_doctor::facts::parse::devname;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = devname::parse(&String::from_utf8_lossy(data), "/d");
});
