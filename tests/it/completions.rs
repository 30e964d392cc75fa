//! `kmod-doctor completions bash|zsh|fish`: each script is produced and
//! parses; bash (always) and zsh/fish (when installed) complete module names
//! from `complete-modules` under the `--root` of the command line.

use crate::common::*;
use std::path::Path;
use std::process::Command;

fn env() -> TestEnv {
    let mut env = TestEnv::new();
    env.dep("bridge", &["stp"])
        .dep("stp", &[])
        .dep("loop", &[])
        .dep("br_netfilter", &["bridge", "stp"]);
    env.idle("br_netfilter")
        .loaded("bridge", 1, "br_netfilter,", "Live");
    env
}

fn script(shell: &str) -> String {
    let out = run_raw(&["completions", shell]);
    assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
    assert!(out.stderr.is_empty(), "{shell}: {}", out.stderr);
    out.stdout
}

fn bin_dir() -> String {
    Path::new(env!("CARGO_BIN_EXE_kmod-doctor"))
        .parent()
        .unwrap()
        .display()
        .to_string()
}

fn path_with_bin() -> String {
    format!(
        "{}:{}",
        bin_dir(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn has(shell: &str) -> bool {
    Command::new(shell)
        .arg("-c")
        .arg("exit 0")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn write_script(shell: &str) -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), script(shell)).unwrap();
    f
}

#[test]
fn each_shell_gets_a_script() {
    let bash = script("bash");
    assert!(bash.contains("complete -F _kmod_doctor_modules"));
    assert!(bash.contains("kmod-doctor complete-modules"));
    let zsh = script("zsh");
    assert!(zsh.starts_with("#compdef kmod-doctor"));
    assert!(
        zsh.contains(":_kmod_doctor_modules'"),
        "module arguments not hooked"
    );
    let fish = script("fish");
    assert!(fish.contains("complete -c kmod-doctor"));
    assert!(fish.contains("__kmod_doctor_modules"));
    // The helper is hidden from every shell's subcommand list.
    for s in [&bash, &zsh, &fish] {
        assert!(
            !s.contains("complete-modules:"),
            "hidden subcommand offered"
        );
    }
    let out = run_raw(&["completions", "powershell"]);
    assert_eq!(out.code, 2);
}

#[test]
fn bash_script_is_valid() {
    let f = write_script("bash");
    let out = Command::new("bash")
        .arg("-n")
        .arg(f.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn zsh_and_fish_scripts_parse_when_the_shells_exist() {
    for shell in ["zsh", "fish"] {
        if !has(shell) {
            eprintln!("{shell} not installed: syntax not checked");
            continue;
        }
        let f = write_script(shell);
        let out = Command::new(shell)
            .arg("-n")
            .arg(f.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{shell} -n: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn complete_modules_lists_loaded_then_known() {
    let e = env();
    let out = e.run(&["complete-modules"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let names: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(names, vec!["br_netfilter", "bridge", "loop", "stp"]);
    // Nothing readable: nothing printed, no error (completion stays quiet).
    let empty = tempfile::tempdir().unwrap();
    let out = run_in(empty.path(), &["complete-modules"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "");
}

/// Runs the bash completion function for `words` (the last is the word
/// being completed) and returns COMPREPLY.
fn bash_complete(script: &Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words
        .iter()
        .map(|w| format!("'{}'", w.replace('\'', "'\\''")))
        .collect();
    let cword = words.len() - 1;
    let prog = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={cword}\n_kmod_doctor_modules kmod-doctor {} {}\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        quoted[cword],
        quoted[cword - 1],
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(prog)
        .env("PATH", path_with_bin())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_module_names_under_root() {
    let e = env();
    let root = e.path().display().to_string();
    let f = write_script("bash");
    let got = bash_complete(f.path(), &["kmod-doctor", "--root", &root, "check", "br"]);
    assert_eq!(got, vec!["br_netfilter", "bridge"]);
    let got = bash_complete(f.path(), &["kmod-doctor", "report", "--root", &root, "l"]);
    assert_eq!(got, vec!["loop"]);
    let got = bash_complete(
        f.path(),
        &[
            "kmod-doctor",
            "explain",
            &format!("--root={root}"),
            "-m",
            "s",
        ],
    );
    assert_eq!(got, vec!["stp"]);
    // Not after an option that takes a value, and not for other commands.
    let got = bash_complete(f.path(), &["kmod-doctor", "check", "--format", ""]);
    assert_eq!(got, vec!["text", "json", "markdown"]);
    let got = bash_complete(f.path(), &["kmod-doctor", "--root", &root, "scan", "--so"]);
    assert_eq!(got, vec!["--sort"]);
    let got = bash_complete(f.path(), &["kmod-doctor", "comp"]);
    assert_eq!(got, vec!["completions"]);
}

#[test]
fn zsh_and_fish_complete_module_names_when_the_shells_exist() {
    let e = env();
    let root = e.path().display().to_string();
    if has("zsh") {
        let f = write_script("zsh");
        let prog = format!(
            "autoload -U compinit; compinit -u -D; source '{}'; _describe() {{ print -l -- ${{(P)${{@[-1]}}}} }}; words=(kmod-doctor --root '{root}' check br); CURRENT=5; _kmod_doctor_modules",
            f.path().display()
        );
        let out = Command::new("zsh")
            .args(["-f", "-c", &prog])
            .env("PATH", path_with_bin())
            .output()
            .unwrap();
        let got = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            got.lines().collect::<Vec<_>>(),
            vec!["br_netfilter", "bridge", "loop", "stp"],
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    if has("fish") {
        let f = write_script("fish");
        let prog = format!(
            "source '{}'; complete -C 'kmod-doctor --root {root} check br'",
            f.path().display()
        );
        let out = Command::new("fish")
            .args(["--no-config", "-c", &prog])
            .env("PATH", path_with_bin())
            .output()
            .unwrap();
        let got = String::from_utf8_lossy(&out.stdout);
        let mut names: Vec<&str> = got.lines().map(|l| l.split('\t').next().unwrap()).collect();
        names.sort();
        assert_eq!(
            names,
            vec!["br_netfilter", "bridge"],
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
