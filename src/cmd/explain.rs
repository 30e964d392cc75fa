//! `kmod-doctor explain [MESSAGE]`: what a modprobe/rmmod/delete_module error
//! means, then the same check as `check` on the module it names.
//!
//! Exit status: the check's (the most severe verdict), or 2 when the input
//! holds no message we recognise or names no module to check.

use super::{CmdError, Config, Pipeline};
use crate::exit::Exit;
use crate::explain::{self, Explanation};
use crate::render::Document;
use std::io::{IsTerminal, Read};

/// Standard input is read up to this many bytes; the rest is ignored.
pub const MAX_INPUT: u64 = 1024 * 1024;

const EXAMPLE: &str =
    "kmod-doctor explain \"rmmod: ERROR: Module bridge is in use by: br_netfilter\"";

/// The message from the arguments (joined with spaces, so an unquoted paste
/// works) or, when there are none, from standard input.
pub fn input(message: &[String]) -> Result<String, CmdError> {
    if !message.is_empty() {
        return Ok(message.join(" "));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("kmod-doctor: paste the error message, then press Ctrl-D");
    }
    read_bounded(stdin.lock())
}

/// Reads at most [`MAX_INPUT`] bytes; invalid UTF-8 is replaced, not refused.
pub fn read_bounded(r: impl Read) -> Result<String, CmdError> {
    let mut buf = Vec::new();
    r.take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .map_err(CmdError::doing("reading standard input"))?;
    if buf.len() as u64 > MAX_INPUT {
        buf.truncate(MAX_INPUT as usize);
        eprintln!(
            "kmod-doctor: input longer than {MAX_INPUT} bytes: only the first {MAX_INPUT} are read"
        );
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

pub fn run(cfg: &Config, message: &[String], module: Option<&str>) -> Result<Exit, CmdError> {
    let text = input(message)?;
    if text.trim().is_empty() {
        return Err(CmdError::usage(format!(
            "nothing to explain: the input is empty (did the command succeed?). Pass the message as an argument or on standard input, e.g. {EXAMPLE}"
        )));
    }
    let explanations = explain::explain_for(&text, module);
    if explanations.is_empty() {
        let what = "no modprobe, rmmod or delete_module error recognised in the input";
        // The user named the module: check it anyway, and say why the
        // message itself is not explained.
        if module.is_none() {
            return Err(CmdError::usage(format!(
                "{what}. Paste the whole message as printed, e.g. {EXAMPLE}"
            )));
        }
        eprintln!("kmod-doctor: {what}; checking the module given with --module");
    }
    let modules: Vec<String> = match module {
        Some(m) => vec![m.to_string()],
        None => {
            let mut v: Vec<String> = Vec::new();
            for e in &explanations {
                if let Some(m) = &e.module
                    && !v.contains(m)
                {
                    v.push(m.clone());
                }
            }
            v
        }
    };
    if modules.is_empty() {
        super::emit(&render_all(cfg, &explanations, &[], &[]))?;
        return Err(CmdError::usage(
            "the message names no module: add --module NAME to check one",
        ));
    }
    let p = Pipeline::new(&cfg.root, cfg.release.as_deref(), &cfg.rules);
    let reports = p.check(&modules)?;
    let pictures = p.pictures(&reports);
    super::emit(&render_all(cfg, &explanations, &reports, &pictures))?;
    Ok(Exit::worst(reports.iter().map(|r| r.verdict)))
}

fn render_all(
    cfg: &Config,
    explanations: &[Explanation],
    reports: &[crate::verdict::Report],
    pictures: &[Option<crate::verdict::picture::Picture>],
) -> String {
    cfg.renderer.render(&Document::Explained {
        explanations,
        reports,
        pictures,
    })
}
