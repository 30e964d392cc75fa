#![no_main]
use kmod_doctor::facts::parse::swaps;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = swaps::parse(&String::from_utf8_lossy(data), "/proc/swaps");
});
