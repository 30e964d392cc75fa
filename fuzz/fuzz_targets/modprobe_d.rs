#![no_main]
use kmod_doctor::facts::parse::modprobe_d::ModprobeConf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut c = ModprobeConf::default();
    c.parse_file(&String::from_utf8_lossy(data), "/etc/modprobe.d/x.conf");
    let _ = c.remove_command("x");
    let _ = c.softdeps("x");
    let _ = c.aliases().count();
});
