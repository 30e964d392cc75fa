//! The vocabulary every layer shares: the verdict, how severe a finding is,
//! and the evidence behind a fact (the path read and what it said). A leaf:
//! it imports nothing from the crate.

use serde::Serialize;

/// The answer, in order of precedence (see [`Verdict::rank`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    NotFound,
    Builtin,
    NotLoaded,
    Blocked,
    Danger,
    Caution,
    Safe,
    Unknown,
}

impl Verdict {
    pub const ALL: [Verdict; 8] = [
        Verdict::NotFound,
        Verdict::Builtin,
        Verdict::NotLoaded,
        Verdict::Blocked,
        Verdict::Danger,
        Verdict::Unknown,
        Verdict::Caution,
        Verdict::Safe,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::NotFound => "not-found",
            Verdict::Builtin => "builtin",
            Verdict::NotLoaded => "not-loaded",
            Verdict::Blocked => "blocked",
            Verdict::Danger => "danger",
            Verdict::Caution => "caution",
            Verdict::Safe => "safe",
            Verdict::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Precedence when several rules fire: the classification of the module
    /// first (not-found, builtin, not-loaded), then what the kernel would
    /// refuse, then what would hurt, then side effects. `unknown` sits between
    /// danger and caution: missing evidence can never be outranked by a
    /// milder finding, but does not hide a refusal or a danger we did prove.
    pub fn rank(self) -> u8 {
        match self {
            Verdict::NotFound => 8,
            Verdict::Builtin => 7,
            Verdict::NotLoaded => 6,
            Verdict::Blocked => 5,
            Verdict::Danger => 4,
            Verdict::Unknown => 3,
            Verdict::Caution => 2,
            Verdict::Safe => 1,
        }
    }

    /// One line a sysadmin reads first.
    pub fn headline(self) -> &'static str {
        match self {
            Verdict::NotFound => {
                "no such module: not loaded, not built in, not in modules.dep or any alias"
            }
            Verdict::Builtin => "built into the kernel: it cannot be unloaded",
            Verdict::NotLoaded => "not loaded: there is nothing to unload",
            Verdict::Blocked => "the kernel will refuse to unload it now",
            Verdict::Danger => {
                "the kernel would unload it, but something the system depends on would go down"
            }
            Verdict::Caution => "it can be unloaded, with side effects worth knowing",
            Verdict::Safe => "it can be unloaded: nothing uses it",
            Verdict::Unknown => "cannot decide: evidence needed for a verdict could not be read",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
    Critical,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }
}

/// What was read and where: `/sys/module/loop/refcnt` said `1`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Evidence {
    pub path: String,
    pub value: String,
}

impl Evidence {
    pub fn new(path: impl Into<String>, value: impl Into<String>) -> Evidence {
        Evidence {
            path: path.into(),
            value: value.into(),
        }
    }
}
