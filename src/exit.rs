//! Exit codes: the contract with scripts. Documented in the README and the man
//! page. Never renumber; add new codes only.

use crate::model::Verdict;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Exit {
    /// Every module checked is safe to unload.
    Safe = 0,
    /// The tool itself failed (unreadable root, malformed rules, I/O error on output).
    Failure = 1,
    /// Bad command line or input the tool cannot interpret.
    Usage = 2,
    NotLoaded = 10,
    Caution = 11,
    Unknown = 12,
    Danger = 13,
    Blocked = 14,
    Builtin = 15,
    NotFound = 16,
}

impl Exit {
    pub fn from_verdict(v: Verdict) -> Exit {
        match v {
            Verdict::Safe => Exit::Safe,
            Verdict::NotLoaded => Exit::NotLoaded,
            Verdict::Caution => Exit::Caution,
            Verdict::Danger => Exit::Danger,
            Verdict::Unknown => Exit::Unknown,
            Verdict::Blocked => Exit::Blocked,
            Verdict::Builtin => Exit::Builtin,
            Verdict::NotFound => Exit::NotFound,
        }
    }

    /// With several modules the most severe verdict wins; verdict codes are
    /// numbered so that a larger code is more severe.
    pub fn worst(verdicts: impl IntoIterator<Item = Verdict>) -> Exit {
        verdicts
            .into_iter()
            .map(Exit::from_verdict)
            .max()
            .unwrap_or(Exit::Safe)
    }

    pub fn code(self) -> u8 {
        self as u8
    }

    /// (code, meaning) for the README and the man page.
    pub const TABLE: &'static [(u8, &'static str)] = &[
        (
            0,
            "safe: every module checked can be unloaded and nothing uses it",
        ),
        (
            1,
            "the tool failed (unreadable root, malformed rule file, output error)",
        ),
        (
            2,
            "usage error: bad option, invalid module name, unparsable input",
        ),
        (10, "not-loaded: nothing to unload"),
        (11, "caution: can be unloaded, with side effects"),
        (
            12,
            "unknown: evidence needed for a verdict could not be read",
        ),
        (
            13,
            "danger: the kernel would accept, but something in use goes down",
        ),
        (14, "blocked: the kernel will refuse the removal now"),
        (15, "builtin: compiled into the kernel, cannot be unloaded"),
        (16, "not-found: no such module or alias"),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_wins_and_codes_are_distinct() {
        assert_eq!(
            Exit::worst([Verdict::Safe, Verdict::Blocked, Verdict::Caution]),
            Exit::Blocked
        );
        assert_eq!(
            Exit::worst([Verdict::NotLoaded, Verdict::Safe]),
            Exit::NotLoaded
        );
        let mut codes: Vec<u8> = Verdict::ALL
            .iter()
            .map(|v| Exit::from_verdict(*v).code())
            .collect();
        codes.extend([Exit::Failure.code(), Exit::Usage.code()]);
        let n = codes.len();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), n);
        for (c, _) in Exit::TABLE {
            assert!(codes.contains(c));
        }
    }
}
