//! Kernel-wide facts: release, module support, unload support, lockdown, taint.

use super::system::System;
use super::table::{Evidence, FactTable};
use crate::root::ReadErrorKind;

/// Taint bits in the order the kernel prints them (`kernel/panic.c`).
const TAINT_LETTERS: &[(u32, char)] = &[
    (0, 'P'),
    (1, 'F'),
    (2, 'S'),
    (3, 'R'),
    (4, 'M'),
    (5, 'B'),
    (6, 'U'),
    (7, 'D'),
    (8, 'A'),
    (9, 'W'),
    (10, 'C'),
    (11, 'I'),
    (12, 'O'),
    (13, 'E'),
    (14, 'L'),
    (15, 'K'),
    (16, 'X'),
    (17, 'T'),
    (18, 'N'),
];

pub fn taint_letters(mask: u64) -> String {
    TAINT_LETTERS
        .iter()
        .filter(|(bit, _)| mask & (1u64 << bit) != 0)
        .map(|(_, c)| *c)
        .collect()
}

pub fn gather(sys: &System, t: &mut FactTable) {
    match sys.release() {
        Ok((r, ev)) => t.set("kernel.release", r.as_str(), vec![ev.clone()]),
        Err(e) => t.unread("kernel.release", e.clone()),
    }

    let config = sys.config();
    let config_tried: Vec<Evidence> = config
        .tried
        .iter()
        .map(|e| Evidence::new(&e.path, e.reason()))
        .collect();
    t.set(
        "kernel.config_source",
        config.source.clone().unwrap_or_default(),
        config_tried,
    );

    let proc = sys.proc_modules();
    match proc {
        Ok(Some(_)) => t.set(
            "kernel.module_support",
            true,
            vec![Evidence::new("/proc/modules", "present")],
        ),
        Ok(None) => {
            let mut ev = vec![Evidence::new("/proc/modules", "absent")];
            if let Some((on, e)) = config.symbol("CONFIG_MODULES")
                && !on
            {
                ev.push(e);
            }
            t.set("kernel.module_support", false, ev)
        }
        Err(e) => match config.symbol("CONFIG_MODULES") {
            Some((on, ev)) => t.set("kernel.module_support", on, vec![ev]),
            None => t.unread("kernel.module_support", e.clone()),
        },
    }

    // Unload support: the config says it outright; otherwise the /proc/modules
    // format gives it away (` - -` only appears without CONFIG_MODULE_UNLOAD).
    match config.symbol("CONFIG_MODULE_UNLOAD") {
        Some((on, ev)) => t.set("kernel.unload_supported", on, vec![ev]),
        None => match proc {
            Ok(Some(list)) if !list.is_empty() => {
                let first = &list[0];
                let on = !first.unload_compiled_out();
                t.set(
                    "kernel.unload_supported",
                    on,
                    vec![Evidence::new(
                        format!("/proc/modules:{}", first.line),
                        first.raw.clone(),
                    )],
                );
            }
            Ok(Some(_)) | Ok(None) => {
                let (path, why) = match (&config.source, config.tried.last()) {
                    (Some(src), _) => (
                        src.clone(),
                        "does not mention CONFIG_MODULE_UNLOAD, and no loaded module shows it",
                    ),
                    (None, Some(last)) => (
                        last.path.clone(),
                        "no kernel config found, and no loaded module shows CONFIG_MODULE_UNLOAD",
                    ),
                    (None, None) => (
                        "/proc/config.gz".to_string(),
                        "no kernel config found, and no loaded module shows CONFIG_MODULE_UNLOAD",
                    ),
                };
                t.unread(
                    "kernel.unload_supported",
                    crate::root::ReadError::new(&path, ReadErrorKind::Malformed(why.into())),
                )
            }
            Err(e) => t.unread("kernel.unload_supported", e.clone()),
        },
    }
    match config.symbol("CONFIG_MODULE_FORCE_UNLOAD") {
        Some((on, ev)) => t.set("kernel.force_unload_supported", on, vec![ev]),
        None => {
            let (path, why) = match &config.source {
                Some(src) => (
                    src.clone(),
                    "does not mention CONFIG_MODULE_FORCE_UNLOAD".to_string(),
                ),
                None => (
                    "/proc/config.gz".to_string(),
                    "no kernel config found".to_string(),
                ),
            };
            t.unread(
                "kernel.force_unload_supported",
                crate::root::ReadError::new(&path, ReadErrorKind::Malformed(why)),
            )
        }
    }

    match sys.read_flag("/proc/sys/kernel/modules_disabled") {
        Ok((v, ev)) => t.set("kernel.modules_disabled", v, vec![ev]),
        // Kernels without module support have no such sysctl: nothing to disable.
        Err(e) if e.kind == ReadErrorKind::NotFound && matches!(proc, Ok(None)) => t.set(
            "kernel.modules_disabled",
            false,
            vec![Evidence::new(&e.path, "absent")],
        ),
        Err(e) => t.unread("kernel.modules_disabled", e),
    }

    let path = "/proc/sys/kernel/tainted";
    match sys.root.read_attr(path) {
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(mask) => {
                let ev = vec![Evidence::new(path, v.trim())];
                t.set(
                    "kernel.tainted",
                    i64::try_from(mask).unwrap_or(i64::MAX),
                    ev.clone(),
                );
                t.set("kernel.taint_flags", taint_letters(mask), ev);
            }
            Err(_) => {
                let e = crate::root::ReadError::new(
                    path,
                    ReadErrorKind::Malformed(format!("not a number: {v:?}")),
                );
                t.unread("kernel.tainted", e.clone());
                t.unread("kernel.taint_flags", e);
            }
        },
        Err(e) => {
            t.unread("kernel.tainted", e.clone());
            t.unread("kernel.taint_flags", e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taint_letters_match_the_kernel() {
        assert_eq!(taint_letters(0), "");
        assert_eq!(taint_letters(8), "R");
        assert_eq!(taint_letters(4097), "PO");
        assert_eq!(taint_letters(1 | (1 << 12) | (1 << 13)), "POE");
    }
}
