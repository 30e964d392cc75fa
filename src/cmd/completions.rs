//! `kmod-doctor completions bash|zsh|fish`: clap_complete's script for the
//! options and subcommands, plus a small hook that completes module names by
//! calling the hidden `kmod-doctor complete-modules` (loaded modules first,
//! then every module in modules.dep), honouring `--root` and `-S` on the
//! command line being completed where the shell makes that easy (bash, zsh).

use super::{CmdError, Config};
use crate::exit::Exit;
use crate::facts::System;

/// `completions SHELL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

pub const BIN: &str = "kmod-doctor";

/// Subcommands whose positional arguments are module names.
pub const MODULE_SUBCOMMANDS: &[&str] = &["check", "snapshot", "report"];

/// Options that take a value: the word after them is not a module name.
const VALUE_OPTIONS: &[&str] = &[
    "--root",
    "-S",
    "--kernel-release",
    "--format",
    "--color",
    "--rules-dir",
    "-o",
    "--output",
    "--dir",
    "--sort",
    "--verdict",
    "--class",
    "-m",
];

/// Module names for completion: loaded modules, then the rest of modules.dep,
/// each once, one per line. Unreadable sources are skipped silently (a
/// completion must never print errors into the command line).
pub fn module_names(sys: &System) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    if let Ok(Some(list)) = sys.proc_modules() {
        for e in list {
            if seen.insert(e.name.clone()) {
                out.push(e.name.clone());
            }
        }
    }
    if let Ok(dep) = sys.moddep() {
        let mut rest: Vec<&String> = dep.by_name.keys().filter(|n| !seen.contains(*n)).collect();
        rest.sort();
        out.extend(rest.into_iter().cloned());
    }
    out
}

pub fn modules(cfg: &Config) -> Result<Exit, CmdError> {
    let sys = System::new(&cfg.root, cfg.release.as_deref());
    let mut s = module_names(&sys).join("\n");
    if !s.is_empty() {
        s.push('\n');
    }
    super::emit(&s)?;
    Ok(Exit::Safe)
}

/// The command line as completions see it: the hidden helper left out
/// (clap_complete lists hidden subcommands too).
fn visible_command(full: &clap::Command) -> clap::Command {
    let mut cmd = clap::Command::new(BIN)
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned())
        .subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    if let Some(a) = full.get_about() {
        cmd = cmd.about(a.clone());
    }
    cmd
}

/// The whole script for `shell`, for the command line `full` defines.
pub fn script(shell: CompletionShell, full: &clap::Command) -> String {
    let mut cmd = visible_command(full);
    let mut buf = Vec::new();
    let sh = match shell {
        CompletionShell::Bash => clap_complete::Shell::Bash,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
        CompletionShell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(sh, &mut cmd, BIN, &mut buf);
    let generated = String::from_utf8_lossy(&buf).into_owned();
    match shell {
        CompletionShell::Bash => {
            // clap_complete spells the case arms of a hyphenated binary
            // `kmod__subcmd__doctor__subcmd__check` but the dispatch loop
            // `kmod__doctor__subcmd__check`, so no subcommand option ever
            // completes (clap-rs/clap#6421). Spell the arms like the loop.
            let generated = generated.replace("kmod__subcmd__doctor", "kmod__doctor");
            // clap_complete's function for the options (`_kmod__doctor`).
            let inner = generated
                .lines()
                .find_map(|l| l.trim().strip_prefix("complete -F "))
                .and_then(|l| l.split_whitespace().next())
                .unwrap_or("_kmod__doctor")
                .to_string();
            format!("{generated}\n{}", bash_hook(&inner))
        }
        CompletionShell::Zsh => zsh(&generated),
        CompletionShell::Fish => format!("{generated}\n{}", fish_hook()),
    }
}

pub fn run(shell: CompletionShell, full: &clap::Command) -> Result<Exit, CmdError> {
    super::emit(&script(shell, full))?;
    Ok(Exit::Safe)
}

fn bash_hook(inner: &str) -> String {
    let subs_pat = format!("@({})", MODULE_SUBCOMMANDS.join("|"));
    let opts_pat = format!("@({})", VALUE_OPTIONS.join("|"));
    format!(
        r#"# kmod-doctor: complete module names after check, snapshot, report and
# explain --module, from the loaded modules and modules.dep (under --root and
# -S when the command line gives them).
_kmod_doctor_modules() {{
    local cur prev sub="" i w
    local -a extra=()
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${{COMP_WORDS[i]}}"
        case "$w" in
            --root|-S|--kernel-release) extra+=("$w" "${{COMP_WORDS[i+1]}}") ;;
            --root=*|--kernel-release=*) extra+=("$w") ;;
        esac
        if [[ -z "$sub" && ( "$w" == {subs_pat} ) ]]; then
            sub="$w"
        fi
    done
    if [[ "$prev" == "-m" || "$prev" == "--module" ]] ||
        [[ -n "$sub" && "$cur" != -* && ! ( "$prev" == {opts_pat} ) ]]; then
        COMPREPLY=($(compgen -W "$({bin} complete-modules "${{extra[@]}}" 2>/dev/null)" -- "$cur"))
        return 0
    fi
    {inner} "$@"
}}
if [[ "${{BASH_VERSINFO[0]}}" -eq 4 && "${{BASH_VERSINFO[1]}}" -ge 4 || "${{BASH_VERSINFO[0]}}" -gt 4 ]]; then
    complete -F _kmod_doctor_modules -o nosort -o bashdefault -o default {bin}
else
    complete -F _kmod_doctor_modules -o bashdefault -o default {bin}
fi
"#,
        bin = BIN,
    )
}

fn fish_hook() -> String {
    format!(
        r#"# kmod-doctor: module names from the loaded modules and modules.dep (under
# --root and -S when the command line gives them).
function __kmod_doctor_modules
    set -l tokens (commandline -opc)
    set -l n (count $tokens)
    set -l extra
    for i in (seq $n)
        switch $tokens[$i]
            case --root -S --kernel-release
                if test $i -lt $n
                    set -a extra $tokens[$i] $tokens[(math $i + 1)]
                end
            case '--root=*' '--kernel-release=*'
                set -a extra $tokens[$i]
        end
    end
    {BIN} complete-modules $extra 2>/dev/null
end
complete -c {BIN} -n "__fish_seen_subcommand_from {subs}" -f -a "(__kmod_doctor_modules)"
complete -c {BIN} -n "__fish_seen_subcommand_from explain" -s m -l module -x -a "(__kmod_doctor_modules)"
"#,
        subs = MODULE_SUBCOMMANDS.join(" ")
    )
}

/// zsh: clap_complete leaves module positionals to `_default` (file names);
/// point them at a function that asks kmod-doctor instead.
fn zsh(generated: &str) -> String {
    let mut out = String::new();
    for line in generated.lines() {
        let is_module_arg =
            (line.contains("::modules") || line.contains("-m+[") || line.contains("--module=["))
                && line.contains(":_default");
        if is_module_arg {
            out.push_str(&line.replace(":_default", ":_kmod_doctor_modules"));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    let hook = format!(
        r#"
# kmod-doctor: module names from the loaded modules and modules.dep (under
# --root and -S when the command line gives them).
(( $+functions[_kmod_doctor_modules] )) ||
_kmod_doctor_modules() {{
    local -a mods extra
    local i
    for (( i = 2; i < CURRENT; i++ )); do
        case "${{words[i]}}" in
            --root|-S|--kernel-release) extra+=("${{words[i]}}" "${{words[i+1]}}") ;;
            --root=*|--kernel-release=*) extra+=("${{words[i]}}") ;;
        esac
    done
    mods=(${{(f)"$({BIN} complete-modules "${{extra[@]}}" 2>/dev/null)"}})
    _describe -t modules 'module' mods
}}
"#
    );
    // The hook must be defined before the final `_kmod-doctor "$@"` call that
    // runs when the file is sourced as an autoload function.
    match out.rfind("\nif [ \"$funcstack[1]\" = \"_kmod-doctor\" ]") {
        Some(i) => {
            out.insert_str(i + 1, hook.trim_start());
            out
        }
        None => out + &hook,
    }
}
