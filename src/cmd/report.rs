//! `kmod-doctor report MODULE...`: everything a support engineer needs in
//! one paste, as Markdown (JSON with `--format json`): tool version, kernel
//! and taint, the verdict with evidence, the holder/dependency/device
//! picture, users found, next steps, and the exact `snapshot` command to
//! attach. Nothing secret goes in: no environment, no command lines (process
//! users are shown by pid and name only), and the SSH client address is
//! replaced.
//!
//! Exit status: as `check` (the most severe verdict).

use crate::cli::CmdError;
use crate::cli::args::Format;
use crate::cli::config::Config;
use crate::exit::Exit;
use crate::explain::picture::{self, Picture};
use crate::facts::System;
use crate::render;
use crate::render::quote::shell_quote;
use crate::verdict::Report;
use serde::Serialize;

/// What the report was read from.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// True for the running system, false for a snapshot (`--root`).
    pub live: bool,
    /// For a snapshot: the tool version and kernel release its manifest names.
    pub snapshot_tool_version: Option<String>,
    pub snapshot_kernel_release: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub tool_version: &'static str,
    pub source: Source,
    /// `kmod-doctor report ...` as it can be run again.
    pub command: String,
    /// The command whose archive to attach.
    pub snapshot_command: String,
    pub reports: Vec<Report>,
    pub pictures: Vec<Option<Picture>>,
}

/// Replaces the SSH client address (from `SSH_CONNECTION` evidence) wherever
/// it appears: a ticket leaves the organisation.
pub fn redact(r: &mut Report) {
    const MARK: &str = "[ssh client]";
    let mut clients: Vec<String> = Vec::new();
    for f in &r.findings {
        for e in &f.evidence {
            if e.path == "SSH_CONNECTION"
                && let Some(c) = e.value.split_whitespace().next()
                && !c.is_empty()
                && !clients.contains(&c.to_string())
            {
                clients.push(c.to_string());
            }
        }
    }
    let scrub = |s: &mut String| {
        for c in &clients {
            if s.contains(c.as_str()) {
                *s = s.replace(c.as_str(), MARK);
            }
        }
    };
    for f in &mut r.findings {
        scrub(&mut f.message);
        for e in &mut f.evidence {
            if e.path == "SSH_CONNECTION" {
                e.value = format!("{MARK} (the rest of the variable is not shown)");
            }
            scrub(&mut e.value);
        }
    }
    for s in &mut r.next_steps {
        scrub(&mut s.command);
        scrub(&mut s.why);
    }
}

fn source(cfg: &Config) -> Source {
    let mut s = Source {
        live: cfg.root.is_live(),
        snapshot_tool_version: None,
        snapshot_kernel_release: None,
    };
    if !s.live
        && let Ok(text) = cfg
            .root
            .read_to_string("/kmod-doctor-snapshot/manifest.json")
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
    {
        let clean = |v: &serde_json::Value| {
            v.as_str()
                .filter(|s| s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic()))
                .map(str::to_string)
        };
        s.snapshot_tool_version = clean(&v["version"]);
        s.snapshot_kernel_release = clean(&v["kernel_release"]);
    }
    s
}

pub fn ticket(cfg: &Config, modules: &[String]) -> Result<Ticket, CmdError> {
    let mut reports = super::check::reports(cfg, modules)?;
    for r in &mut reports {
        redact(r);
    }
    let sys = System::new(&cfg.root, cfg.release.as_deref());
    let pictures = picture::for_reports(&sys, &reports);
    let names: Vec<String> = modules.iter().map(|m| shell_quote(m)).collect();
    let release = match &cfg.release {
        Some(r) => format!(" -S {}", shell_quote(r)),
        None => String::new(),
    };
    Ok(Ticket {
        tool_version: env!("CARGO_PKG_VERSION"),
        source: source(cfg),
        command: format!("kmod-doctor report{release} {}", names.join(" ")),
        snapshot_command: format!(
            "sudo kmod-doctor snapshot{release} -o kmod-doctor-snapshot.tar.gz {}",
            names.join(" ")
        ),
        reports,
        pictures,
    })
}

pub fn run(cfg: &Config, modules: &[String]) -> Result<Exit, CmdError> {
    let t = ticket(cfg, modules)?;
    let out = match cfg.format {
        Format::Json => {
            let v = serde_json::json!({
                "schema_version": render::json::SCHEMA_VERSION,
                "tool": { "name": "kmod-doctor", "version": t.tool_version },
                "report": &t,
            });
            serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
        }
        // A ticket is Markdown; text output is the same Markdown.
        Format::Text | Format::Markdown => render::ticket::render(&t),
    };
    super::emit(&out)?;
    Ok(Exit::worst(t.reports.iter().map(|r| r.verdict)))
}
