//! `kmod-doctor check MODULE...`

use crate::cli::CmdError;
use crate::cli::args::Format;
use crate::cli::config::Config;
use crate::exit::Exit;
use crate::facts::{self, System, name};
use crate::render;
use crate::verdict::{self, Report};

/// Facts, rules and verdicts for every module asked, in order. An alias that
/// resolves to several modules gives one report each.
pub fn reports(cfg: &Config, modules: &[String]) -> Result<Vec<Report>, CmdError> {
    reports_in(
        &System::new(&cfg.root, cfg.release.as_deref()),
        cfg,
        modules,
    )
}

/// As [`reports`], on a `System` the caller keeps for more questions.
pub fn reports_in(sys: &System, cfg: &Config, modules: &[String]) -> Result<Vec<Report>, CmdError> {
    let mut valid = Vec::new();
    for m in modules {
        valid.push(name::validate_query(m).map_err(|e| CmdError::usage(e.to_string()))?);
    }
    let mut out = Vec::new();
    for q in &valid {
        let (resolved, _unchecked) = facts::resolve::resolve(sys, q);
        for r in &resolved {
            let table = facts::gather(sys, r);
            out.push(verdict::evaluate(&cfg.rules, &table));
        }
    }
    Ok(out)
}

pub fn run(cfg: &Config, modules: &[String]) -> Result<Exit, CmdError> {
    let sys = System::new(&cfg.root, cfg.release.as_deref());
    let reports = reports_in(&sys, cfg, modules)?;
    let text = match cfg.format {
        Format::Json => render::json::render(&reports),
        Format::Text => {
            let pictures = crate::explain::picture::for_reports(&sys, &reports);
            render::text::render_with(&reports, &pictures, cfg.style)
        }
        Format::Markdown => {
            let pictures = crate::explain::picture::for_reports(&sys, &reports);
            render::markdown::render_with(&reports, &pictures)
        }
    };
    super::emit(&text)?;
    Ok(Exit::worst(reports.iter().map(|r| r.verdict)))
}
