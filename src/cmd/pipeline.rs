//! The one path every command takes from a system to what it prints:
//! facts → rules → verdict → picture, over one [`Host`] per run, so that a
//! report and the picture beside it describe the same reading of the system.

use super::CmdError;
use crate::facts::resolve::{Resolved, Via};
use crate::facts::{Host, System, name, removal, resolve};
use crate::root::Root;
use crate::rules::RuleSet;
use crate::verdict::picture::{self, Picture};
use crate::verdict::scan::{self, Scan};
use crate::verdict::{self, Report, Verdict};
use crate::verdict::{Consequence, Finding, NextStep, RemovalMember};
use std::cell::RefCell;
use std::collections::HashMap;

pub struct Pipeline<'r> {
    host: Host<'r>,
    rules: &'r RuleSet,
    /// Reports of modules judged by name, and of their whole removals: the
    /// removal set's members and each plan step ask about the same modules
    /// again, and the system does not change within a run.
    judged: RefCell<HashMap<String, Report>>,
    removals: RefCell<HashMap<String, Report>>,
}

impl<'r> Pipeline<'r> {
    pub fn new(root: &'r Root, release: Option<&str>, rules: &'r RuleSet) -> Pipeline<'r> {
        Pipeline {
            host: Host::new(root, release),
            rules,
            judged: RefCell::default(),
            removals: RefCell::default(),
        }
    }

    pub fn sys(&self) -> &System<'r> {
        &self.host.sys
    }

    /// One report per module the queries resolve to, in order. Every query
    /// is validated before anything is read.
    pub fn check(&self, queries: &[String]) -> Result<Vec<Report>, CmdError> {
        let valid = queries
            .iter()
            .map(|q| name::validate_query(q))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::new();
        // `check bridge bridge.ko` asks about one module: one report.
        let mut seen = std::collections::HashSet::new();
        for q in &valid {
            for r in &resolve::resolve(&self.host.sys, q) {
                if seen.insert(r.name.clone()) {
                    let mut rep = self.judge_removal(r);
                    self.judge_steps(&mut rep);
                    out.push(rep);
                }
            }
        }
        Ok(out)
    }

    /// Facts, rules and verdict for one resolved module.
    pub fn judge(&self, r: &Resolved) -> Report {
        verdict::evaluate(self.rules, &self.host.gather(r))
    }

    /// [`Self::judge`] of a module by its own name, once per run.
    fn judge_name(&self, m: &str) -> Report {
        if let Some(rep) = self.judged.borrow().get(m) {
            return rep.clone();
        }
        let rep = self.judge(&Resolved::direct(m, Via::Name));
        self.judged.borrow_mut().insert(m.to_string(), rep.clone());
        rep
    }

    /// [`Self::judge_removal`] of a module by its own name, once per run.
    fn judge_removal_name(&self, m: &str) -> Report {
        if let Some(rep) = self.removals.borrow().get(m) {
            return rep.clone();
        }
        let rep = self.judge_removal(&Resolved::direct(m, Via::Name));
        self.removals
            .borrow_mut()
            .insert(m.to_string(), rep.clone());
        rep
    }

    /// The report for what removing the module does: its own findings, plus
    /// those (caution and worse) of every other module its removal takes,
    /// each attributed to that module; the verdict is the worst of them.
    pub fn judge_removal(&self, r: &Resolved) -> Report {
        let mut rep = if r.via == Via::Name && r.query == r.name && r.unchecked.is_empty() {
            self.judge_name(&r.name)
        } else {
            self.judge(r)
        };
        let set = removal::removal_set(&self.host.sys, &rep.module);
        let mut folded: Vec<Finding> = Vec::new();
        for m in &set {
            let verdict = if m.module == rep.module {
                rep.verdict
            } else {
                let sub = self.judge_name(&m.module);
                let how = match m.reason.of() {
                    Some(of) => format!("{} of {of}", m.reason.as_str()),
                    None => m.reason.as_str().to_string(),
                };
                for f in sub.findings.into_iter().filter(folds) {
                    folded.push(Finding {
                        message: format!(
                            "{} goes too ({how}, removed by the same command): {}",
                            m.module, f.message
                        ),
                        reason: f.reason.as_ref().map(|r| format!("{}: {r}", m.module)),
                        caused_by: Some(m.module.clone()),
                        ..f
                    });
                }
                sub.verdict
            };
            rep.removal.push(RemovalMember {
                module: m.module.clone(),
                reason: m.reason.as_str().to_string(),
                of: m.reason.of().map(str::to_string),
                command: m.command.clone(),
                verdict,
            });
        }
        let worst = folded
            .iter()
            .filter_map(|f| f.verdict)
            .max_by_key(|v| v.rank());
        if let Some(w) = worst
            && matches!(
                rep.verdict,
                Verdict::Safe | Verdict::Caution | Verdict::Danger | Verdict::Unknown
            )
            && w.rank() > rep.verdict.rank()
        {
            rep.verdict = w;
            rep.headline = format!(
                "{} (through {} that the same command removes)",
                w.headline(),
                names_causing(&folded, w)
            );
        }
        rep.findings.extend(folded);
        rep.findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        rep
    }

    /// Gives every step that removes, stops or unmounts something its own
    /// verdict and consequences; a step that takes something critical is
    /// marked, the preparation its own report asks for goes before it, and
    /// the headline says so.
    pub fn judge_steps(&self, rep: &mut Report) {
        let steps = std::mem::take(&mut rep.next_steps);
        let mut out: Vec<NextStep> = Vec::new();
        let mut critical: Vec<String> = Vec::new();
        // Each judged step is a whole removal judged again; a plan longer
        // than this keeps its later steps unjudged rather than take minutes.
        const JUDGED_STEPS: usize = 24;
        let mut judged = 0usize;
        // Modules an earlier step already removes (a set: plans can be long).
        let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
        for mut s in steps {
            let mut before: Vec<NextStep> = Vec::new();
            let target = removal_target(&s.command).map(|(t, m)| (t, m.to_string()));
            // A holder an earlier step already takes needs no step of its own;
            // once an earlier step takes the module itself (its holder's
            // `modprobe --remove` drops it to 0), its own preview and removal
            // would only fail ("not in kernel").
            let preview_of_target = s.command.starts_with("modprobe --dry-run")
                && s.command.rsplit(' ').next().map(|w| w.trim_matches('\''))
                    == Some(rep.module.as_str());
            if let Some((_, m)) = &target
                && taken.contains(m)
            {
                continue;
            }
            if preview_of_target && taken.contains(&rep.module) {
                continue;
            }
            let of_holder = target.as_ref().is_some_and(|(_, m)| m != &rep.module);
            if target.is_some() {
                judged += 1;
                if judged > JUDGED_STEPS {
                    out.push(s);
                    continue;
                }
            }
            match target {
                Some((tool, m)) => {
                    let m = m.as_str();
                    let sub = if m == rep.module && tool == Tool::Modprobe {
                        None
                    } else {
                        Some(if tool == Tool::Modprobe {
                            self.judge_removal_name(m)
                        } else {
                            self.judge_name(m)
                        })
                    };
                    let sub = sub.as_ref().unwrap_or(rep);
                    // A holder modprobe cannot find is removed with rmmod.
                    if tool == Tool::Modprobe
                        && sub.module_info.modprobe_finds == Some(false)
                        && m != rep.module
                    {
                        s.command = format!("rmmod {}", crate::shell::shell_quote(m));
                    }
                    s.verdict = Some(if tool == Tool::Rmmod {
                        rmmod_verdict(sub)
                    } else {
                        let (v, why) = after_earlier_steps(sub, &taken);
                        if let Some(why) = why {
                            s.why = format!("{} {why}", s.why);
                        }
                        v
                    });
                    s.removes = if tool == Tool::Rmmod {
                        vec![m.to_string()]
                    } else {
                        sub.removal.iter().map(|x| x.module.clone()).collect()
                    };
                    s.consequences = sub
                        .findings
                        .iter()
                        .filter(|f| folds(f))
                        .map(|f| Consequence {
                            module: f.caused_by.clone().unwrap_or_else(|| sub.module.clone()),
                            rule: f.rule.clone(),
                            severity: f.severity,
                            verdict: f.verdict,
                            message: f.message.clone(),
                        })
                        .collect();
                    if m != rep.module && sub.verdict == Verdict::Danger {
                        before = sub
                            .next_steps
                            .iter()
                            .filter(|p| {
                                removal_target(&p.command).is_none()
                                    && !p.command.starts_with("modprobe --dry-run")
                                    && !out.iter().any(|o| o.command == p.command)
                            })
                            .map(|p| {
                                let mut p = p.clone();
                                p.why = format!("Before `{}`: {}", s.command, p.why);
                                p
                            })
                            .collect();
                    }
                }
                None if is_acting(&s.command) => {
                    s.verdict = Some(Verdict::Caution);
                    if let Some(f) = s
                        .rule
                        .as_ref()
                        .and_then(|id| rep.findings.iter().find(|f| &f.rule == id))
                    {
                        s.consequences.push(Consequence {
                            module: f.caused_by.clone().unwrap_or_else(|| rep.module.clone()),
                            rule: f.rule.clone(),
                            severity: f.severity,
                            verdict: f.verdict,
                            message: f.message.clone(),
                        });
                    }
                }
                None => {}
            }
            if s.verdict == Some(Verdict::Danger)
                && s.command != format!("modprobe --remove {}", rep.module)
            {
                s.critical = true;
                let what = s
                    .consequences
                    .iter()
                    .find(|c| c.verdict == Some(Verdict::Danger))
                    .map(|c| format!("{} ({})", c.rule, c.module))
                    .unwrap_or_else(|| "something critical".into());
                critical.push(format!("`{}` takes {what}", s.command));
            }
            if of_holder && s.removes.contains(&rep.module) {
                s.why = format!(
                    "{} It takes {} too: no further step is needed for it.",
                    s.why, rep.module
                );
            }
            // Only holders' steps run before the module's own: what the
            // narrow alternative would take does not count.
            if of_holder {
                taken.extend(s.removes.iter().cloned());
            }
            out.extend(before);
            out.push(s);
        }
        if !critical.is_empty() && rep.verdict == Verdict::Blocked {
            rep.headline = format!("{}; freeing it: {}", rep.headline, critical.join("; "));
        }
        rep.next_steps = out;
    }

    /// Every loaded module, straight from /proc/modules.
    pub fn scan(&self) -> Result<Scan, CmdError> {
        let sys = &self.host.sys;
        let list = match sys.proc_modules() {
            Ok(Some(list)) => list.as_slice(),
            Ok(None) => &[],
            Err(e) => return Err(e.clone().into()),
        };
        sys.judging_all_modules();
        let rows: Vec<scan::Row> = list
            .iter()
            .map(|e| {
                // Straight from /proc/modules: no alias may stand in for it.
                let r = Resolved::direct(&e.name, Via::Name);
                scan::row(self.rules, &self.judge(&r))
            })
            .collect();
        Ok(Scan {
            kernel_release: sys.release().as_ref().ok().map(|(r, _)| r.clone()),
            module_support: matches!(sys.proc_modules(), Ok(Some(_))),
            total: rows.len(),
            counts: scan::counts(&rows),
            modules: rows,
        })
    }

    pub fn pictures(&self, reports: &[Report]) -> Vec<Option<Picture>> {
        picture::for_reports(&self.host.sys, reports)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tool {
    Modprobe,
    Rmmod,
}

/// The module a step removes: `modprobe --remove M` or `rmmod M`.
fn removal_target(command: &str) -> Option<(Tool, &str)> {
    let (tool, rest) = if let Some(r) = command.strip_prefix("modprobe --remove ") {
        (Tool::Modprobe, r)
    } else if let Some(r) = command.strip_prefix("rmmod ") {
        (Tool::Rmmod, r)
    } else {
        return None;
    };
    let m = rest.trim_matches('\'');
    name::is_valid_module_name(m).then_some((tool, m))
}

/// Steps that stop, unmount, detach or take down something.
fn is_acting(command: &str) -> bool {
    [
        "systemctl stop ",
        "systemctl --user ",
        "kill ",
        "umount ",
        "swapoff ",
        "losetup --detach ",
        "ip link set ",
    ]
    .iter()
    .any(|p| command.starts_with(p))
}

/// Findings of another member that belong in the target's report: what its
/// removal takes down (caution and worse), not what modprobe does with it.
fn folds(f: &Finding) -> bool {
    matches!(f.verdict, Some(Verdict::Caution | Verdict::Danger)) && f.rule != "unused-dependencies"
}

fn names_causing(folded: &[Finding], v: Verdict) -> String {
    let mut names: Vec<&str> = folded
        .iter()
        .filter(|f| f.verdict == Some(v))
        .filter_map(|f| f.caused_by.as_deref())
        .collect();
    names.dedup();
    names.join(", ")
}

/// What `rmmod M` alone does: the module's own verdict, less what only
/// `modprobe --remove` would add (the dependencies it takes too).
fn rmmod_verdict(sub: &Report) -> Verdict {
    if sub.verdict != Verdict::Caution {
        return sub.verdict;
    }
    let own = sub
        .findings
        .iter()
        .filter(|f| f.rule != "unused-dependencies" && f.caused_by.is_none())
        .filter_map(|f| f.verdict)
        .max_by_key(|v| v.rank());
    match own {
        Some(v) => v,
        None => Verdict::Caution,
    }
}

/// A removal judged as it will run: after the steps before it. A module
/// blocked only by holders that those steps remove is no longer blocked
/// then; what remains is what it takes down. If it also keeps references
/// that no user explains, nobody knows whether they are gone by then: the
/// step is `unknown`, with the reason (second value) to add to its why. A
/// user that was found keeps it blocked.
fn after_earlier_steps(
    sub: &Report,
    taken: &std::collections::HashSet<String>,
) -> (Verdict, Option<String>) {
    let holders = &sub.module_info.holders;
    if sub.verdict != Verdict::Blocked
        || holders.is_empty()
        || !holders.iter().all(|h| taken.contains(h))
    {
        return (sub.verdict, None);
    }
    let mut unexplained = false;
    for f in sub
        .findings
        .iter()
        .filter(|f| f.verdict == Some(Verdict::Blocked))
    {
        match f.rule.as_str() {
            "held-by-modules" => {}
            // The count beyond the holders: blocking only while no user is found.
            "in-use" if sub.users.attributed_refs.unwrap_or(0) == 0 => unexplained = true,
            _ => return (Verdict::Blocked, None),
        }
    }
    if unexplained {
        let refs = match sub.module_info.unexplained_refs {
            Some(1) => {
                "1 reference no user explains: the kernel may refuse until it is".to_string()
            }
            Some(n) => {
                format!("{n} references no user explains: the kernel may refuse until they are")
            }
            None => "references no user explains: the kernel may refuse until they are".to_string(),
        };
        return (
            Verdict::Unknown,
            Some(format!(
                "Once the earlier steps have removed its holders, {} still keeps {refs} released.",
                sub.module
            )),
        );
    }
    let v = sub
        .findings
        .iter()
        .filter_map(|f| f.verdict)
        .filter(|v| matches!(v, Verdict::Danger | Verdict::Unknown | Verdict::Caution))
        .max_by_key(|v| v.rank())
        .unwrap_or(Verdict::Safe);
    (v, None)
}
