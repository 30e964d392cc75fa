//! The command line as typed (stage one). Validation happens in `config`.

use crate::cmd::completions::CompletionShell;
use crate::cmd::scan::ScanSort;
use crate::render::Format;
use crate::render::style::ColorChoice;
use clap::{Args as ClapArgs, Parser, Subcommand};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Examples:
  kmod-doctor check nvidia_drm           Can nvidia_drm be unloaded now? Why not?
  kmod-doctor check br-netfilter bridge  Several modules; dashes and aliases work
  kmod-doctor check --format json loop   For scripts: one JSON object per module
  kmod-doctor check --root ./snap loop   Analyse a snapshot taken on another machine
  kmod-doctor rules                      List the rules behind the verdicts
  kmod-doctor scan --verdict safe        What can I unload right now?
  modprobe -r nvidia 2>&1 | kmod-doctor explain   What did modprobe mean?
  kmod-doctor report nvidia > ticket.md  Everything a support ticket needs

kmod-doctor never loads, unloads or writes anything; it prints commands for you to run.
Exit status: 0 safe, 10 not-loaded, 11 caution, 12 unknown, 13 danger, 14 blocked,
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
    /// Read the system under DIR (a root tree or snapshot directory, or a .tar.gz, .tgz or .tar snapshot) instead of /
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
        /// Text: only the verdict, the one reason that decided it and the next steps
        #[arg(long)]
        brief: bool,
    },
    /// List every rule: id, severity, verdict effect and summary
    Rules,
    /// Capture what the verdict reads into a root that --root accepts (for support tickets)
    Snapshot {
        /// Write a .tar.gz archive here (default: ./kmod-doctor-snapshot.tar.gz; an existing file is kept unless --force)
        #[arg(
            short = 'o',
            long = "output",
            value_name = "FILE.tar.gz",
            conflicts_with = "dir"
        )]
        output: Option<PathBuf>,
        /// Replace the archive if it exists
        #[arg(long, conflicts_with = "dir")]
        force: bool,
        /// Write an unpacked tree into this (new or empty) directory instead
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Modules to capture facts for (default: every loaded module)
        #[arg(value_name = "MODULE")]
        modules: Vec<String>,
    },
    /// Explain a modprobe, rmmod or delete_module error in plain words, then check the module it names
    #[command(
        after_help = "Examples:\n  sudo modprobe -r nvidia 2>&1 | kmod-doctor explain\n  kmod-doctor explain \"rmmod: ERROR: Module bridge is in use by: br_netfilter\"\n\nExit status: the check's (as for check), 2 when no known message is found."
    )]
    Explain {
        /// The message as printed (read from standard input when absent, up to 1 MiB)
        #[arg(value_name = "MESSAGE")]
        message: Vec<String>,
        /// Check this module (when the message names none, or another one)
        #[arg(short = 'm', long = "module", value_name = "MODULE")]
        module: Option<String>,
    },
    /// Every loaded module with its verdict, like lsmod with a verdict column
    #[command(
        after_help = "Examples:\n  kmod-doctor scan --verdict safe        What can I unload right now?\n  kmod-doctor scan --verdict danger,blocked --sort size\n  kmod-doctor scan --class network --format json\n\nExit status: 0 (whatever the verdicts), 1 when the module list cannot be read, 2 usage error."
    )]
    Scan {
        /// Sort by this column
        #[arg(long, value_enum, default_value_t = ScanSort::Name)]
        sort: ScanSort,
        /// Reverse the order
        #[arg(short = 'r', long)]
        reverse: bool,
        /// Only modules with these verdicts (repeat or separate with commas)
        #[arg(long, value_name = "VERDICT", value_delimiter = ',', value_parser = ["safe", "caution", "danger", "unknown", "blocked"])]
        verdict: Vec<String>,
        /// Only modules of these classes: network, storage, display, virtualization, input, sound, other; none for modules without one
        #[arg(long, value_name = "CLASS", value_delimiter = ',')]
        class: Vec<String>,
    },
    /// Everything a support ticket needs about MODULE, in Markdown (text or JSON with --format)
    #[command(
        after_help = "Examples:\n  kmod-doctor report nvidia > ticket.md\n  kmod-doctor report --root snapshot.tar.gz bridge\n\nExit status: as for check."
    )]
    Report {
        /// Module names or aliases
        #[arg(required = true, value_name = "MODULE")]
        modules: Vec<String>,
    },
    /// Print a shell completion script (module names complete from the loaded modules and modules.dep)
    #[command(
        after_help = "Install:\n  bash: kmod-doctor completions bash > /etc/bash_completion.d/kmod-doctor\n  zsh:  kmod-doctor completions zsh > \"${fpath[1]}/_kmod-doctor\"\n  fish: kmod-doctor completions fish > ~/.config/fish/completions/kmod-doctor.fish"
    )]
    Completions {
        /// bash, zsh or fish
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Module names for shell completion: loaded modules, then modules.dep
    #[command(hide = true)]
    CompleteModules,
}
