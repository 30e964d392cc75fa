#![no_main]
//! Kernel config, plain and through the bounded gunzip (raw input as gzip).
use kmod_doctor::facts::{parse::kconfig, system::gunzip_bounded};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let c = kconfig::parse(&String::from_utf8_lossy(data));
    let _ = c.enabled("CONFIG_MODULES");
    if let Ok(text) = gunzip_bounded(data, "/proc/config.gz") {
        let _ = kconfig::parse(&text);
    }
});
