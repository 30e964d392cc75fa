//! `kmod-doctor rules`: what the verdicts are made of.

use crate::cli::CmdError;
use crate::cli::args::Format;
use crate::cli::config::Config;
use crate::exit::Exit;
use std::fmt::Write;

pub fn run(cfg: &Config) -> Result<Exit, CmdError> {
    let rules = &cfg.rules.rules;
    let out = match cfg.format {
        Format::Json => {
            let v: Vec<serde_json::Value> = rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "severity": r.severity,
                        "verdict": r.verdict,
                        "summary": r.summary,
                        "when": r.when_src,
                        "origin": r.origin,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
        }
        Format::Markdown => {
            let mut s =
                String::from("| Rule | Severity | Verdict | Summary |\n|---|---|---|---|\n");
            for r in rules {
                let _ = writeln!(
                    s,
                    "| `{}` | {} | {} | {} |",
                    r.id,
                    r.severity.as_str(),
                    r.verdict.map(|v| v.as_str()).unwrap_or("—"),
                    crate::render::markdown::cell(&r.summary)
                );
            }
            s
        }
        Format::Text => {
            let w = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let mut s = String::new();
            for r in rules {
                let _ = writeln!(
                    s,
                    "{:w$}  {:8}  {:10}  {}",
                    r.id,
                    r.severity.as_str(),
                    r.verdict.map(|v| v.as_str()).unwrap_or("-"),
                    r.summary
                );
            }
            s
        }
    };
    super::emit(&out)?;
    Ok(Exit::Safe)
}
