//! The command line as typed (stage one). Validation happens in `config`.

use crate::render::style::ColorChoice;
use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

const AFTER_HELP: &str = "\
Examples:
  kmod-doctor check nvidia_drm           Can nvidia_drm be unloaded now? Why not?
  kmod-doctor check br-netfilter bridge  Several modules; dashes and aliases work
  kmod-doctor check --format json loop   For scripts: one JSON object per module
  kmod-doctor check --root ./snap loop   Analyse a snapshot taken on another machine
  kmod-doctor rules                      List the rules behind the verdicts

kmod-doctor never loads, unloads or writes anything; it prints commands for you to run.
Exit status: 0 safe, 10 not-loaded, 11 caution, 12 danger, 13 unknown, 14 blocked,
15 builtin, 16 not-found (the most severe module wins), 1 tool failure, 2 usage error.";

#[derive(Debug, Parser)]
#[command(
    name = "kmod-doctor",
    version,
    about = "Tells whether a kernel module can be unloaded safely, and if not, why and what to do first",
    long_about = "kmod-doctor reads /proc, /sys, the module tree and modprobe.d (under --root, default /) and \
explains whether a kernel module can be unloaded now: who holds it, what would go down with it, and the \
exact commands to run, in order. It never unloads anything itself.",
    after_help = AFTER_HELP
)]
pub struct Args {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, ClapArgs)]
pub struct GlobalArgs {
    /// Read the system under DIR (a snapshot directory or .tar.gz) instead of /
    #[arg(long, global = true, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// Kernel release whose module tree to read (default: the running kernel's, as modprobe -S)
    #[arg(
        short = 'S',
        long = "kernel-release",
        global = true,
        value_name = "VER"
    )]
    pub kernel_release: Option<String>,
    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Colour in text output: auto honours NO_COLOR, CLICOLOR_FORCE and whether stdout is a terminal
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Add site rules (*.toml) on top of the built-in ones; same id replaces a built-in rule
    #[arg(long = "rules-dir", global = true, value_name = "DIR")]
    pub rules_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explain whether each MODULE can be unloaded now, with evidence and next steps
    Check {
        /// Module names or aliases (dashes and underscores are the same)
        #[arg(required = true, value_name = "MODULE")]
        modules: Vec<String>,
    },
    /// List every rule: id, severity, verdict effect and summary
    Rules,
    /// Capture what the verdict reads into a root that --root accepts (for support tickets)
    Snapshot {
        /// Write a .tar.gz archive here
        #[arg(
            short = 'o',
            long = "output",
            value_name = "FILE.tar.gz",
            conflicts_with = "dir"
        )]
        output: Option<PathBuf>,
        /// Write an unpacked tree into this (new or empty) directory instead
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Modules to capture facts for (default: every loaded module)
        #[arg(value_name = "MODULE")]
        modules: Vec<String>,
    },
}
