#![no_main]
//! Kernel config, plain and through the bounded gunzip (raw input as gzip);
//! the search in memory must answer what the line reader answers.
use kmod_doctor::facts::{parse::kconfig, system::gunzip_bounded};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let c = kconfig::parse(&String::from_utf8_lossy(data));
    let _ = c.enabled("CONFIG_MODULES");
    match (
        kconfig::parse_wanted(data, kconfig::WANTED),
        kconfig::parse_until(data, kconfig::WANTED),
    ) {
        (Ok(a), Ok(b)) => {
            for w in kconfig::WANTED {
                assert_eq!(a.enabled(w), b.enabled(w));
            }
        }
        (a, b) => assert_eq!(a.err(), b.err()),
    }
    if let Ok(text) = gunzip_bounded(data, "/proc/config.gz") {
        let _ = kconfig::parse(&text);
    }
});
