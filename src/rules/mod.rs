//! Rules are data: `rules/*.toml` (embedded at build time) plus site rules from
//! `--rules-dir`. Each names a condition over the facts, the verdict it implies,
//! what to tell the admin and which commands to suggest.

pub mod condition;
pub mod template;

use crate::model::{Severity, Verdict};
use condition::Expr;
use serde::Deserialize;
use template::Template;

/// Built-in rule files, embedded so the binary is self-contained (parsed at
/// build time: `crate::baked`).
pub const BUILTIN: &[&str] = &["rules/core.toml", "rules/users.toml"];

#[derive(Debug, Clone)]
pub struct Step {
    pub phase: u32,
    pub for_each: Option<&'static str>,
    pub command: Template,
    pub why: Template,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub severity: Severity,
    /// `None` for findings that inform without changing the verdict.
    pub verdict: Option<Verdict>,
    pub summary: String,
    pub when: Expr,
    pub when_src: String,
    pub message: Template,
    /// One line for `scan`, naming what this module's facts say (the summary
    /// when absent).
    pub reason: Option<Template>,
    pub steps: Vec<Step>,
    /// `file` for the listing: where the rule came from.
    pub origin: String,
}

/// Steps added once per report depending on the final verdict (the preview
/// and the removal itself, after whatever the rules asked for first).
#[derive(Debug, Clone)]
pub struct VerdictStep {
    pub verdicts: Vec<Verdict>,
    /// Optional extra condition; the step is added only when it is true.
    pub when: Option<Expr>,
    pub step: Step,
}

#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub verdict_steps: Vec<VerdictStep>,
}

#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct RuleError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<RawRule>,
    #[serde(default)]
    verdict_step: Vec<RawVerdictStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: toml::Spanned<String>,
    severity: toml::Spanned<String>,
    #[serde(default)]
    verdict: Option<toml::Spanned<String>>,
    summary: String,
    when: toml::Spanned<String>,
    message: toml::Spanned<String>,
    #[serde(default)]
    reason: Option<toml::Spanned<String>>,
    #[serde(default)]
    steps: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    phase: u32,
    #[serde(default)]
    for_each: Option<toml::Spanned<String>>,
    command: toml::Spanned<String>,
    why: toml::Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVerdictStep {
    verdicts: Vec<toml::Spanned<String>>,
    #[serde(default)]
    when: Option<toml::Spanned<String>>,
    phase: u32,
    command: toml::Spanned<String>,
    why: toml::Spanned<String>,
}

impl RuleSet {
    /// The built-in rules.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        for (file, tree, text) in crate::baked::FILES {
            if BUILTIN.contains(file) {
                let raw = crate::baked::from_tree(tree).map_err(|e| RuleError {
                    file: file.to_string(),
                    line: e.span.map_or(0, |(start, _)| line_at(text, start)),
                    message: e.message,
                })?;
                set.add_raw(file, text, raw)?;
            }
        }
        Ok(set)
    }

    /// Adds every `*.toml` in `dir` (sorted by name). A site rule with the id
    /// of an existing rule replaces it, so a fleet can retune a built-in.
    pub fn add_dir(&mut self, dir: &std::path::Path) -> Result<(), RuleError> {
        let err = |m: String| RuleError {
            file: dir.display().to_string(),
            line: 0,
            message: m,
        };
        let mut files: Vec<std::path::PathBuf> = walkdir::WalkDir::new(dir)
            .max_depth(1)
            .into_iter()
            .filter_map(|e| e.ok())
            .map(|e| e.into_path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        if !dir.is_dir() {
            return Err(err("not a directory".into()));
        }
        files.sort();
        for f in files {
            let name = f.display().to_string();
            let meta = std::fs::metadata(&f).map_err(|e| err(format!("{name}: {e}")))?;
            if meta.len() > 4 * 1024 * 1024 {
                return Err(RuleError {
                    file: name,
                    line: 0,
                    message: "rule file larger than 4 MiB".into(),
                });
            }
            let bytes = std::fs::read(&f).map_err(|e| RuleError {
                file: name.clone(),
                line: 0,
                message: e.to_string(),
            })?;
            let text = String::from_utf8(bytes).map_err(|_| RuleError {
                file: name.clone(),
                line: 0,
                message: "not valid UTF-8".into(),
            })?;
            self.add_file(&name, &text)?;
        }
        Ok(())
    }

    pub fn add_file(&mut self, file: &str, text: &str) -> Result<(), RuleError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| RuleError {
            file: file.to_string(),
            line: e.span().map_or(0, |s| line_at(text, s.start)),
            message: e.message().to_string(),
        })?;
        self.add_raw(file, text, raw)
    }

    /// The rules of one file, read from its text or from its baked tree;
    /// `text` gives errors their line.
    fn add_raw(&mut self, file: &str, text: &str, raw: RawFile) -> Result<(), RuleError> {
        let fail = |span: std::ops::Range<usize>, message: String| RuleError {
            file: file.to_string(),
            line: line_at(text, span.start),
            message,
        };
        for r in raw.rule {
            let id = r.id.get_ref().clone();
            if id.is_empty()
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(fail(
                    r.id.span(),
                    format!("rule id {id:?} must be lowercase letters, digits and dashes"),
                ));
            }
            let severity = Severity::parse(r.severity.get_ref()).ok_or_else(|| {
                fail(
                    r.severity.span(),
                    format!(
                        "severity {:?}: expected info, warning, error or critical",
                        r.severity.get_ref()
                    ),
                )
            })?;
            let verdict = match &r.verdict {
                None => None,
                Some(v) => Some(
                    Verdict::parse(v.get_ref())
                        .filter(|v| *v != Verdict::Unknown)
                        .ok_or_else(|| {
                            fail(
                                v.span(),
                                format!("verdict {:?} is not one a rule can set", v.get_ref()),
                            )
                        })?,
                ),
            };
            let when = condition::parse(r.when.get_ref())
                .map_err(|m| fail(r.when.span(), format!("condition: {m}")))?;
            let message = Template::parse(r.message.get_ref(), false)
                .map_err(|m| fail(r.message.span(), m))?;
            let reason = match &r.reason {
                None => None,
                Some(t) => {
                    Some(Template::parse(t.get_ref(), false).map_err(|m| fail(t.span(), m))?)
                }
            };
            let steps = r
                .steps
                .into_iter()
                .map(|s| step(s, &fail))
                .collect::<Result<Vec<_>, _>>()?;
            let rule = Rule {
                id: id.clone(),
                severity,
                verdict,
                summary: r.summary,
                when,
                when_src: r.when.into_inner(),
                message,
                reason,
                steps,
                origin: file.to_string(),
            };
            match self.rules.iter_mut().find(|x| x.id == id) {
                Some(existing) if existing.origin != file => *existing = rule,
                Some(_) => return Err(fail(r.id.span(), format!("duplicate rule id {id:?}"))),
                None => self.rules.push(rule),
            }
        }
        for vs in raw.verdict_step {
            let mut verdicts = Vec::new();
            for v in &vs.verdicts {
                verdicts.push(
                    Verdict::parse(v.get_ref()).ok_or_else(|| {
                        fail(v.span(), format!("unknown verdict {:?}", v.get_ref()))
                    })?,
                );
            }
            let when = match &vs.when {
                None => None,
                Some(w) => Some(
                    condition::parse(w.get_ref())
                        .map_err(|m| fail(w.span(), format!("condition: {m}")))?,
                ),
            };
            let raw = RawStep {
                phase: vs.phase,
                for_each: None,
                command: vs.command,
                why: vs.why,
            };
            self.verdict_steps.push(VerdictStep {
                verdicts,
                when,
                step: step(raw, &fail)?,
            });
        }
        Ok(())
    }
}

/// The 1-based line of byte `offset` of `text`.
fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn step(
    s: RawStep,
    fail: &dyn Fn(std::ops::Range<usize>, String) -> RuleError,
) -> Result<Step, RuleError> {
    let for_each = match &s.for_each {
        None => None,
        Some(f) => {
            let k = crate::facts::keys::lookup(f.get_ref())
                .filter(|k| k.ty == crate::facts::keys::Ty::List)
                .ok_or_else(|| {
                    fail(
                        f.span(),
                        format!("for_each {:?} must name a list fact", f.get_ref()),
                    )
                })?;
            Some(k.name)
        }
    };
    let allow_item = for_each.is_some();
    Ok(Step {
        phase: s.phase,
        for_each,
        command: Template::parse(s.command.get_ref(), allow_item)
            .map_err(|m| fail(s.command.span(), m))?,
        why: Template::parse(s.why.get_ref(), allow_item).map_err(|m| fail(s.why.span(), m))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_load() {
        let set = RuleSet::builtin().unwrap();
        assert!(set.rules.iter().any(|r| r.id == "idle"));
    }

    #[test]
    fn every_fact_is_documented_in_rules_readme() {
        let readme = include_str!("../../rules/README.md");
        for k in crate::facts::keys::KEYS {
            assert!(
                readme.contains(&format!("`{}`", k.name)),
                "rules/README.md does not document {}",
                k.name
            );
        }
    }

    #[test]
    fn malformed_rule_names_file_and_line() {
        let mut set = RuleSet::default();
        let e = set
            .add_file("site.toml", "[[rule]]\nid = \"x\"\nseverity = \"info\"\nsummary = \"s\"\nwhen = \"module.nope\"\nmessage = \"m\"\n")
            .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("site.toml", 5));
        let e = set.add_file("bad.toml", "[[rule]]\nid = 3\n").unwrap_err();
        assert_eq!(e.line, 2);
    }
}
