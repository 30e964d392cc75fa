//! What `--root` must look like: a directory laid out like `/` of a Linux
//! system. Anything else (an empty directory, the folder an unpacked
//! snapshot sits in, a kernel source tree) is refused with what was expected,
//! instead of being read as a kernel without modules.

use super::Root;
use std::path::Path;

/// System paths of which at least one exists in every root the tool can
/// answer for: a live system, a `snapshot` tree, a hand-built test tree, a
/// chroot or a mounted image. A snapshot of a module that was not found can
/// hold nothing but /proc and the module tree, so each one alone suffices.
pub const MARKERS: &[&str] = &[
    "/proc/sys/kernel/osrelease",
    "/proc/modules",
    "/sys/module",
    "/lib/modules",
    "/usr/lib/modules",
    "/kmod-doctor-snapshot",
];

/// What a root is expected to hold, for messages.
pub const EXPECTED: &str = "a directory laid out like / of a Linux system (with proc/sys/kernel/osrelease, proc/modules, sys/module/ or lib/modules/), or a snapshot written by `kmod-doctor snapshot` (a directory or .tar.gz)";

/// What a refused directory lacks, for messages.
pub const LACKS: &str =
    "none of proc/sys/kernel/osrelease, proc/modules, sys/module/ or lib/modules/";

/// Whether the opened root has any of the [`MARKERS`], resolved inside it.
pub fn is_linux_root(root: &Root) -> bool {
    root.is_live() || MARKERS.iter().any(|m| matches!(root.probe(m), Ok(true)))
}

/// Subdirectories of `dir` (one level down) that are Linux roots themselves:
/// the snapshot a user unpacked into a folder of its own.
pub fn roots_below(dir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = rd
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| {
            Root::open(&e.path())
                .map(|r| is_linux_root(&r))
                .unwrap_or(false)
        })
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    out.sort();
    out
}

/// Why `dir` is refused: what it holds instead of a root, and where the
/// root probably is.
pub fn refusal(shown: &str, dir: &Path) -> String {
    let below = roots_below(dir);
    let empty = std::fs::read_dir(dir).is_ok_and(|mut r| r.next().is_none());
    let what = if empty {
        "it is empty".to_string()
    } else if dir.join("Makefile").is_file() && dir.join("Kconfig").is_file() {
        "it looks like a kernel source tree".to_string()
    } else {
        format!("it has {LACKS}")
    };
    let mut m = format!("{shown} is not a Linux root: {what}. Expected {EXPECTED}.");
    match below.as_slice() {
        [] => {}
        [one] => m.push_str(&format!(
            " Did you mean {}?",
            crate::shell::sanitize(&format!("{}/{one}", shown.trim_end_matches('/')))
        )),
        many => m.push_str(&format!(
            " Did you mean one of {}?",
            many.iter()
                .map(|s| crate::shell::sanitize(&format!("{}/{s}", shown.trim_end_matches('/'))))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
    m
}
