//! The one path every command takes from a system to what it prints:
//! facts → rules → verdict → picture, over one [`Host`] per run, so that a
//! report and the picture beside it describe the same reading of the system.

use super::CmdError;
use crate::facts::resolve::{Resolved, Via};
use crate::facts::{Host, System, name, resolve};
use crate::root::Root;
use crate::rules::RuleSet;
use crate::verdict::picture::{self, Picture};
use crate::verdict::scan::{self, Scan};
use crate::verdict::{self, Report};

pub struct Pipeline<'r> {
    host: Host<'r>,
    rules: &'r RuleSet,
}

impl<'r> Pipeline<'r> {
    pub fn new(root: &'r Root, release: Option<&str>, rules: &'r RuleSet) -> Pipeline<'r> {
        Pipeline {
            host: Host::new(root, release),
            rules,
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
                    out.push(self.judge(r));
                }
            }
        }
        Ok(out)
    }

    /// Facts, rules and verdict for one resolved module.
    pub fn judge(&self, r: &Resolved) -> Report {
        verdict::evaluate(self.rules, &self.host.gather(r))
    }

    /// Every loaded module, straight from /proc/modules.
    pub fn scan(&self) -> Result<Scan, CmdError> {
        let sys = &self.host.sys;
        let list = match sys.proc_modules() {
            Ok(Some(list)) => list.as_slice(),
            Ok(None) => &[],
            Err(e) => return Err(e.clone().into()),
        };
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
