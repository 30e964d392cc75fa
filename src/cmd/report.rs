//! `kmod-doctor report MODULE...`: everything a support engineer needs in
//! one paste, as Markdown (JSON with `--format json`): tool version, kernel
//! and taint, the verdict with evidence, the holder/dependency/device
//! picture, users found, next steps, and the exact `snapshot` command to
//! attach. Nothing secret goes in: no environment, no command lines (process
//! users are shown by pid and name only), and the SSH client address is
//! replaced.
//!
//! Exit status: as `check` (the most severe verdict).

use super::{CmdError, Config, Pipeline};
use crate::exit::Exit;
use crate::render::Document;
use crate::shell::shell_quote;
use crate::verdict::ticket::{Source, Ticket, redact};

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
    let p = Pipeline::new(&cfg.root, cfg.release.as_deref(), &cfg.rules);
    let mut reports = p.check(modules)?;
    for r in &mut reports {
        redact(r);
    }
    let pictures = p.pictures(&reports);
    let names: Vec<String> = modules.iter().map(|m| shell_quote(m)).collect();
    let release = match &cfg.release {
        Some(r) => format!(" -S {}", shell_quote(r)),
        None => String::new(),
    };
    let root = match &cfg.root_arg {
        Some(r) => format!(" --root {}", shell_quote(&r.to_string_lossy())),
        None => String::new(),
    };
    Ok(Ticket {
        tool_version: env!("CARGO_PKG_VERSION"),
        source: source(cfg),
        command: format!("kmod-doctor report{root}{release} {}", names.join(" ")),
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
    super::emit(&cfg.renderer.render(&Document::Ticket(&t)))?;
    Ok(Exit::worst(t.reports.iter().map(|r| r.verdict)))
}
