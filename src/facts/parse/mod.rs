//! Pure parsers: text in, typed facts or a `ReadError` naming file and line out.
//! None of them reads files, so they can be property-tested and fuzzed alone.

pub mod alias;
pub mod builtin;
pub mod devname;
pub mod kconfig;
pub mod moddep;
pub mod modprobe_d;
pub mod proc_modules;
