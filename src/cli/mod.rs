//! cli → config → command.

pub mod args;
pub mod config;

use crate::cmd;
use crate::exit::Exit;
use args::{Args, Command};
use clap::{CommandFactory, FromArgMatches};
use config::ConfigError;

pub fn run() -> Exit {
    let parsed = Args::command()
        .try_get_matches()
        .and_then(|m| Ok((Args::from_arg_matches(&m)?, format_given(&m))));
    let args = match parsed {
        Ok((mut a, given)) => {
            // A ticket is Markdown unless another format is asked for.
            if matches!(a.command, Command::Report { .. }) && !given {
                a.global.format = crate::render::Format::Markdown;
            }
            a
        }
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    Exit::Safe
                }
                _ => Exit::Usage,
            };
        }
    };
    let cfg = match config::from_args(&args.global) {
        Ok(c) => c,
        // Completion stays quiet whatever is typed after --root.
        Err(_) if matches!(args.command, Command::CompleteModules) => return Exit::Safe,
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
        Command::Check { modules, brief } => cmd::check::run(&cfg, modules, *brief),
        Command::Rules => cmd::rules::run(&cfg),
        Command::Snapshot {
            output,
            force,
            dir,
            modules,
        } => {
            let dest = match (output, dir) {
                (_, Some(d)) => cmd::snapshot::Dest::Dir(d.clone()),
                (Some(o), None) => cmd::snapshot::Dest::Archive(o.clone(), *force),
                (None, None) => {
                    cmd::snapshot::Dest::Archive(cmd::snapshot::DEFAULT_ARCHIVE.into(), *force)
                }
            };
            cmd::snapshot::run(&cfg, modules, dest)
        }
        Command::Explain { message, module } => cmd::explain::run(&cfg, message, module.as_deref()),
        Command::Scan {
            sort,
            reverse,
            verdict,
            class,
        } => cmd::scan::run(
            &cfg,
            &cmd::scan::Options {
                sort: *sort,
                reverse: *reverse,
                verdicts: verdict.clone(),
                classes: class.clone(),
            },
        ),
        Command::Report { modules } => cmd::report::run(&cfg, modules),
        Command::Completions { shell } => cmd::completions::run(*shell, &Args::command()),
        Command::CompleteModules => cmd::completions::modules(&cfg),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kmod-doctor: {e}");
            e.exit()
        }
    }
}

/// The variables the tool reads, for the man page.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "NO_COLOR",
        "When set and not empty, text output has no colour (with --color auto).",
    ),
    (
        "CLICOLOR_FORCE",
        "When set, not empty and not 0, text output is coloured even when stdout is not a terminal (with --color auto, unless NO_COLOR is set).",
    ),
    (
        "COLUMNS",
        "The width text output fits (scan narrows and drops columns, rules wraps, check wraps its prose at most 80). Without it the terminal's width is used; a pipe gets whole lines.",
    ),
    (
        "LC_ALL, LC_CTYPE, LANG",
        "The first one set decides the character set: when it is not UTF-8 (LC_ALL=C, for one) text output draws its marks in ASCII.",
    ),
    (
        "SSH_CONNECTION",
        "The SSH session the tool runs in: its client address tells which interface carries the session. snapshot records it.",
    ),
];

/// The man page, generated from the clap definition so it cannot drift.
pub fn man_page() -> Vec<u8> {
    let cmd = Args::command();
    let man = clap_mangen::Man::new(cmd.clone()).section("8");
    let mut out = Vec::new();
    let _ = man.render_title(&mut out);
    let _ = man.render_name_section(&mut out);
    // clap_mangen's synopsis leaves out the value names.
    out.extend_from_slice(b".SH SYNOPSIS\n\\fBkmod\\-doctor\\fR");
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let Some(long) = arg.get_long() else { continue };
        let value = arg
            .get_value_names()
            .and_then(|v| v.first())
            .filter(|_| arg.get_action().takes_values())
            .map(|v| format!(" \\fI<{}>\\fR", roff_escape(v.as_str())))
            .unwrap_or_default();
        let name = match arg.get_short() {
            Some(c) => format!("\\-{c}|\\-\\-{}", roff_escape(long)),
            None => format!("\\-\\-{}", roff_escape(long)),
        };
        out.extend_from_slice(format!(" [\\fB{name}\\fR{value}]").as_bytes());
    }
    out.extend_from_slice(b" \\fICOMMAND\\fR [\\fIARGS\\fR]\n");
    let _ = man.render_description_section(&mut out);
    let _ = man.render_options_section(&mut out);
    // One page: the subcommands are sections below, not pages of their own
    // (clap_mangen's list would name kmod-doctor-check(8) and others).
    out.extend_from_slice(b".SH SUBCOMMANDS\n");
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        out.extend_from_slice(format!(".TP\n\\fB{}\\fR\n", sub.get_name()).as_bytes());
        if let Some(a) = sub.get_about() {
            out.extend_from_slice(format!("{}\n", roff_escape(&a.to_string())).as_bytes());
        }
    }
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        out.extend_from_slice(
            format!(
                ".SH \"{}\"\n",
                format!("kmod-doctor {}", sub.get_name()).to_uppercase()
            )
            .as_bytes(),
        );
        if let Some(a) = sub.get_about() {
            out.extend_from_slice(format!("{}\n", roff_escape(&a.to_string())).as_bytes());
        }
        for arg in sub.get_arguments() {
            let names: Vec<String> = arg
                .get_short()
                .map(|s| format!("\\-{s}"))
                .into_iter()
                .chain(arg.get_long().map(|l| format!("\\-\\-{l}")))
                .collect();
            let value = arg
                .get_value_names()
                .and_then(|v| v.first())
                .map(|v| roff_escape(v.as_str()))
                .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
            let takes_value = arg.get_action().takes_values();
            let label = if names.is_empty() {
                format!("\\fI<{value}>\\fR")
            } else if takes_value {
                format!("\\fB{}\\fR \\fI<{value}>\\fR", names.join("\\fR, \\fB"))
            } else {
                format!("\\fB{}\\fR", names.join("\\fR, \\fB"))
            };
            out.extend_from_slice(format!(".TP\n{label}\n").as_bytes());
            if let Some(h) = arg.get_help() {
                out.extend_from_slice(format!("{}\n", roff_escape(&h.to_string())).as_bytes());
            }
        }
        if let Some(h) = sub.get_after_help() {
            out.extend_from_slice(
                format!(".PP\n.nf\n{}\n.fi\n", roff_escape(&h.to_string())).as_bytes(),
            );
        }
    }
    out.extend_from_slice(b".SH \"EXIT STATUS\"\n");
    for (code, meaning) in crate::exit::Exit::TABLE {
        out.extend_from_slice(
            format!(".TP\n\\fB{code}\\fR\n{}\n", roff_escape(meaning)).as_bytes(),
        );
    }
    out.extend_from_slice(
        b".PP\nWith several modules the most severe verdict wins (the largest code).\n",
    );
    out.extend_from_slice(b".SH ENVIRONMENT\n");
    for (var, meaning) in ENVIRONMENT {
        out.extend_from_slice(format!(".TP\n\\fB{var}\\fR\n{}\n", roff_escape(meaning)).as_bytes());
    }
    out.extend_from_slice(
        b".SH FILES\nEverything is read under \\fB\\-\\-root\\fR: /proc/modules, /proc/sys/kernel/{osrelease,tainted,modules_disabled}, /proc/config.gz, /sys/module, /sys/bus, /sys/devices, /lib/modules/RELEASE/modules.{dep,alias,builtin,builtin.modinfo,devname}, /etc/modprobe.d, /run/modprobe.d, /usr/lib/modprobe.d, /lib/modprobe.d, /boot/config\\-RELEASE.\n",
    );
    out.extend_from_slice(
        b".SH \"SEE ALSO\"\nmodprobe(8), rmmod(8), lsmod(8), modinfo(8), modprobe.d(5)\n",
    );
    let _ = man.render_version_section(&mut out);
    out
}

fn roff_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('-', "\\-")
        .lines()
        .map(|l| {
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `--format` was on the command line (before or after the subcommand).
fn format_given(m: &clap::ArgMatches) -> bool {
    let given = |m: &clap::ArgMatches| {
        m.value_source("format") == Some(clap::parser::ValueSource::CommandLine)
    };
    given(m) || m.subcommand().is_some_and(|(_, s)| given(s))
}
