//! Whoever runs the tool (or, under a snapshot, whoever captured it): can
//! it remove modules at all? `delete_module` needs CAP_SYS_MODULE in the
//! initial user namespace; inside most containers the bounding set lacks it,
//! or the process is in a user namespace where it means nothing to the
//! kernel, and every removal answers EPERM.

use crate::facts::system::System;
use crate::facts::table::{Evidence, FactTable};

const CAP_SYS_MODULE: u32 = 16;
const STATUS: &str = "/proc/self/status";
const UID_MAP: &str = "/proc/self/uid_map";

/// The capability field of `/proc/self/status` (`CapBnd:\t000001ffffffffff`).
fn cap_field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

fn has_cap(hex: &str, cap: u32) -> Option<bool> {
    u64::from_str_radix(hex, 16)
        .ok()
        .map(|v| v & (1 << cap) != 0)
}

/// The initial user namespace maps every uid to itself: `0 0 4294967295`.
fn initial_userns(uid_map: &str) -> bool {
    let lines: Vec<Vec<&str>> = uid_map
        .lines()
        .map(|l| l.split_whitespace().collect())
        .filter(|c: &Vec<&str>| !c.is_empty())
        .collect();
    lines.len() == 1 && lines[0] == ["0", "0", "4294967295"]
}

/// `caller.cap_sys_module`: the bounding set holds CAP_SYS_MODULE and the
/// process is in the initial user namespace. The effective set is evidence
/// only: an unprivileged user on the host gets the capability through sudo.
pub fn gather(sys: &System, t: &mut FactTable) {
    let status = match sys.read_shared(STATUS) {
        Ok(s) => s,
        Err(e) => return t.unread("caller.cap_sys_module", e),
    };
    let Some(bnd) = cap_field(&status, "CapBnd") else {
        return t.unread(
            "caller.cap_sys_module",
            crate::root::ReadError::new(
                STATUS,
                crate::root::ReadErrorKind::Malformed("no CapBnd line".into()),
            ),
        );
    };
    let Some(in_bounding) = has_cap(bnd, CAP_SYS_MODULE) else {
        return t.unread(
            "caller.cap_sys_module",
            crate::root::ReadError::new(
                STATUS,
                crate::root::ReadErrorKind::Malformed(format!("CapBnd {bnd:?} is not hex")),
            ),
        );
    };
    let mut ev = vec![Evidence::new(format!("{STATUS}: CapBnd"), bnd)];
    if let Some(eff) = cap_field(&status, "CapEff") {
        ev.push(Evidence::new(format!("{STATUS}: CapEff"), eff));
    }
    let initial = match sys.read_shared(UID_MAP) {
        Ok(m) => {
            let initial = initial_userns(&m);
            ev.push(Evidence::new(
                UID_MAP,
                if initial {
                    "0 0 4294967295 (the initial user namespace)".to_string()
                } else {
                    format!(
                        "{} (a user namespace)",
                        m.split_whitespace().collect::<Vec<_>>().join(" ")
                    )
                },
            ));
            initial
        }
        Err(e) => return t.unread("caller.cap_sys_module", e),
    };
    t.set("caller.cap_sys_module", in_bounding && initial, ev);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_and_namespace() {
        let s = "Name:\tx\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n";
        assert_eq!(cap_field(s, "CapBnd"), Some("000001ffffffffff"));
        assert_eq!(has_cap("000001ffffffffff", CAP_SYS_MODULE), Some(true));
        // Docker's default bounding set: no CAP_SYS_MODULE.
        assert_eq!(has_cap("00000000a80425fb", CAP_SYS_MODULE), Some(false));
        assert!(initial_userns("         0          0 4294967295\n"));
        assert!(!initial_userns("         0     100000      65536\n"));
    }
}
