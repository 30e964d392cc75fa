#![no_main]
use kmod_doctor::facts::parse::mountinfo;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = mountinfo::unescape(&text);
    let _ = mountinfo::parse(&text, "/proc/self/mountinfo");
});
