//! cli → config → command.

pub mod args;
pub mod config;

use crate::exit::Exit;
use args::{Args, Command};
use clap::Parser;
use config::{Config, ConfigError};

pub fn run() -> Exit {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => Exit::Safe,
                _ => Exit::Usage,
            };
        }
    };
    let cfg = match Config::from_args(&args.global) {
        Ok(c) => c,
        Err(ConfigError::Usage(m)) => {
            eprintln!("kmod-doctor: {m}");
            return Exit::Usage;
        }
        Err(ConfigError::Failure(m)) => {
            eprintln!("kmod-doctor: {m}");
            return Exit::Failure;
        }
    };
    let result = match &args.command {
        Command::Check { modules } => crate::cmd::check::run(&cfg, modules),
        Command::Rules => crate::cmd::rules::run(&cfg),
        Command::Snapshot { output, dir, modules } => {
            let dest = match (output, dir) {
                (_, Some(d)) => crate::cmd::snapshot::Dest::Dir(d.clone()),
                (Some(o), None) => crate::cmd::snapshot::Dest::Archive(o.clone()),
                (None, None) => crate::cmd::snapshot::Dest::Archive("kmod-doctor-snapshot.tar.gz".into()),
            };
            crate::cmd::snapshot::run(&cfg, modules, dest)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kmod-doctor: {}", e.message);
            e.exit
        }
    }
}

/// A failure a command reports: what to print and which exit code.
#[derive(Debug)]
pub struct CmdError {
    pub exit: Exit,
    pub message: String,
}

impl CmdError {
    pub fn usage(m: impl Into<String>) -> CmdError {
        CmdError { exit: Exit::Usage, message: m.into() }
    }
    pub fn failure(m: impl Into<String>) -> CmdError {
        CmdError { exit: Exit::Failure, message: m.into() }
    }
}
