#![no_main]
use kmod_doctor::facts::parse::{proc_devices, routes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(r) = routes::parse_v4(&text, "/proc/net/route") {
        let _ = routes::route_iface(&r, 0x0202000A);
    }
    let _ = routes::parse_v6_defaults(&text, "/proc/net/ipv6_route");
    let _ = proc_devices::parse(&text);
});
