//! Everything a renderer prints, already decided. Renderers only lay it out.

use super::{Severity, Verdict};
use crate::facts::Evidence;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    /// The verdict this finding pushes towards, if any.
    pub verdict: Option<Verdict>,
    pub message: String,
    /// The rule's one-line `reason` filled from the facts, for `scan`
    /// (internal: the JSON has the message).
    #[serde(skip)]
    pub reason: Option<String>,
    pub evidence: Vec<Evidence>,
    /// The other module of the removal set whose removal causes it; absent
    /// when the finding is about the module asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caused_by: Option<String>,
}

/// A rule that could not be evaluated because facts it needs were unreadable.
#[derive(Debug, Clone, Serialize)]
pub struct Unchecked {
    pub rule: String,
    pub summary: String,
    pub verdict: Option<Verdict>,
    /// The paths that could not be read and why.
    pub missing: Vec<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextStep {
    pub command: String,
    pub why: String,
    /// For a step that removes, unbinds, stops or unmounts something: what
    /// that step alone would do (absent for steps that only look).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// What that step takes down, module by module (caution and worse).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consequences: Vec<Consequence>,
    /// For a module removal: every module it removes, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removes: Vec<String>,
    /// The step takes something critical down (its verdict is danger).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub critical: bool,
    /// The rule that asked for the step (internal: shows which finding a
    /// stop/unmount step answers).
    #[serde(skip)]
    pub rule: Option<String>,
}

impl NextStep {
    pub fn new(command: String, why: String) -> NextStep {
        NextStep {
            command,
            why,
            verdict: None,
            consequences: Vec::new(),
            removes: Vec::new(),
            critical: false,
            rule: None,
        }
    }
}

/// One consequence of a step or of a member of the removal set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consequence {
    /// The module whose removal causes it.
    pub module: String,
    pub rule: String,
    pub severity: Severity,
    pub verdict: Option<Verdict>,
    pub message: String,
}

/// One module `modprobe -r` (or `rmmod`, for a module modprobe cannot find)
/// takes, in order, with that module's own verdict.
#[derive(Debug, Clone, Serialize)]
pub struct RemovalMember {
    pub module: String,
    /// `target`, `softdep-post`, `dependency` or `softdep-pre`.
    pub reason: String,
    /// The module it belongs to (for all but the target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub of: Option<String>,
    /// The modprobe.d `remove` command that runs instead of unloading it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Its own verdict, judged alone.
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResolvedFrom {
    /// What the user typed.
    pub query: String,
    /// `dashed` or `alias`.
    pub via: String,
    /// For aliases, the file and line that define it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

// The three sections below are filled from the fact list
// (`facts::keys`, each key naming its JSON field), never by hand: a field
// here must have a key there, which a test checks.

/// Kernel-wide facts every report carries. `None` is "could not be read".
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelInfo {
    pub release: Option<String>,
    pub module_support: Option<bool>,
    pub unload_supported: Option<bool>,
    pub force_unload_supported: Option<bool>,
    pub modules_disabled: Option<bool>,
    pub tainted: Option<i64>,
    pub taint_flags: Option<String>,
    /// The kernel config file read, `None` when none was found.
    pub config_source: Option<String>,
}

/// The module's own numbers, for tables and scripts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleInfo {
    pub loaded: Option<bool>,
    pub builtin: Option<bool>,
    pub state: Option<String>,
    pub refcount: Option<i64>,
    pub holders: Vec<String>,
    pub unexplained_refs: Option<i64>,
    pub permanent: Option<bool>,
    pub size: Option<i64>,
    pub taint: Option<String>,
    pub path: Option<String>,
    pub dependencies: Vec<String>,
    pub would_also_remove: Vec<String>,
    pub removal_order: Vec<String>,
    pub modprobe_finds: Option<bool>,
    pub removal_set: Vec<String>,
    pub drivers: Vec<String>,
    pub bound_devices: Vec<String>,
    pub classes: Vec<String>,
}

/// Who uses the module right now (schema 1, added fields).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsersInfo {
    pub processes: Vec<String>,
    pub units: Vec<String>,
    pub pids: Vec<String>,
    pub uninspectable_processes: Option<i64>,
    pub mounts: Vec<String>,
    pub critical_mounts: Vec<String>,
    pub swaps: Vec<String>,
    pub loop_devices: Vec<String>,
    pub block_devices: Vec<String>,
    pub interfaces: Vec<String>,
    pub up_interfaces: Vec<String>,
    pub default_route_interfaces: Vec<String>,
    pub ssh_interfaces: Vec<String>,
    pub drm_cards: Vec<String>,
    pub console: Option<bool>,
    pub attributed_refs: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub module: String,
    pub resolved_from: Option<ResolvedFrom>,
    pub verdict: Verdict,
    pub headline: String,
    pub findings: Vec<Finding>,
    pub unchecked: Vec<Unchecked>,
    pub next_steps: Vec<NextStep>,
    /// What the removal command takes, in order (empty when nothing is loaded).
    pub removal: Vec<RemovalMember>,
    pub kernel: KernelInfo,
    pub module_info: ModuleInfo,
    pub users: UsersInfo,
}

impl Report {
    /// The finding that decided the verdict: the most severe one giving it
    /// (findings are sorted most severe first). A module blocked by
    /// references but by no module holder is usually blocked by the users a
    /// danger finding names (a process, a mount), which says why more
    /// specifically than the bare reference count. `None` for `unknown`.
    pub fn decisive(&self) -> Option<&Finding> {
        let by_references = self.verdict == Verdict::Blocked && self.module_info.holders.is_empty();
        let explains = |v: Option<Verdict>| {
            v == Some(self.verdict) || (by_references && v == Some(Verdict::Danger))
        };
        self.findings.iter().find(|f| explains(f.verdict))
    }

    /// One line on why: the decisive finding's reason, else its message.
    pub fn reason_line(&self) -> Option<&str> {
        self.decisive()
            .map(|f| f.reason.as_deref().unwrap_or(&f.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::keys::KEYS;
    use std::collections::BTreeSet;

    fn fields_of(v: impl Serialize) -> BTreeSet<String> {
        match serde_json::to_value(v).unwrap() {
            serde_json::Value::Object(m) => m.keys().cloned().collect(),
            other => panic!("not an object: {other}"),
        }
    }

    fn listed(section: &str) -> BTreeSet<String> {
        KEYS.iter()
            .filter_map(|k| k.json.filter(|j| j.section == section))
            .map(|j| j.field.to_string())
            .collect()
    }

    /// Every JSON field of a section is named by exactly one fact, and every
    /// fact that names a field has it: the JSON is the fact list, not a copy.
    #[test]
    fn sections_are_the_fact_list() {
        assert_eq!(fields_of(KernelInfo::default()), listed("kernel"));
        assert_eq!(fields_of(ModuleInfo::default()), listed("module_info"));
        assert_eq!(fields_of(UsersInfo::default()), listed("users"));
        let mut seen = BTreeSet::new();
        for k in KEYS {
            if let Some(j) = k.json {
                assert!(
                    seen.insert((j.section, j.field)),
                    "{}.{} named twice",
                    j.section,
                    j.field
                );
                assert!(
                    ["kernel", "module_info", "users"].contains(&j.section),
                    "{}: unknown section {}",
                    k.name,
                    j.section
                );
            }
        }
    }

    /// The README's schema names every field the fact list puts in JSON.
    #[test]
    fn readme_schema_names_every_field() {
        let readme = include_str!("../../README.md");
        let start = readme.find("## JSON schema").expect("schema section");
        let schema = &readme[start..];
        let schema = &schema[..schema[3..].find("\n## ").map_or(schema.len(), |i| i + 3)];
        for k in KEYS {
            if let Some(j) = k.json {
                assert!(
                    schema.contains(&format!("`{}`", j.field)),
                    "README's JSON schema does not name {}.{} ({})",
                    j.section,
                    j.field,
                    k.name
                );
            }
        }
    }
}
