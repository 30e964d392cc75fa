//! Pure parsers: text in, typed facts or a `ReadError` naming file and line out.
//! None of them reads files, so they can be property-tested and fuzzed alone.

pub mod alias;
pub mod builtin;
pub mod devname;
pub mod kconfig;
pub mod moddep;
pub mod modprobe_d;
pub mod mountinfo;
pub mod proc_modules;
pub mod routes;
pub mod swaps;

/// `/proc/devices`: majors by name, per section (`Character devices:`,
/// `Block devices:`).
pub mod proc_devices {
    use crate::root::DevKind;

    pub fn parse(text: &str) -> Vec<(DevKind, u32, String)> {
        let mut kind = DevKind::Char;
        let mut out = Vec::new();
        for line in text.lines() {
            let l = line.trim();
            if l.starts_with("Character") {
                kind = DevKind::Char;
            } else if l.starts_with("Block") {
                kind = DevKind::Block;
            } else if let Some((maj, name)) = l.split_once(char::is_whitespace)
                && let Ok(m) = maj.parse()
            {
                out.push((kind, m, name.trim().to_string()));
            }
        }
        out
    }
}
