//! Recognising what modprobe, rmmod and the kernel said when a removal failed.
//!
//! The shapes come from real runs (tests/fixtures/messages/ names the source of
//! each): kmod's `modprobe`/`rmmod` (`FATAL:`/`ERROR:` prefixes, libkmod's
//! `could not remove 'X': ...`), busybox's modutils (`can't unload module 'X':
//! ...`, `module X is builtin`), module-init-tools' older `rmmod`
//! (`ERROR: Removing 'X': ...`) and the `delete_module` system call as strace
//! shows it. Parsing is line by line and never guesses a module name from free
//! text: a name is only taken from a position where these tools print one, and
//! only if it is a valid module name.

use crate::facts::name::{is_valid_module_name, module_name_from_path, normalize, validate_query};
use serde::Serialize;

/// Which implementation printed the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// kmod's modprobe/rmmod (and libkmod inside them).
    Kmod,
    /// busybox modprobe/rmmod.
    Busybox,
    /// module-init-tools, the predecessor of kmod.
    ModuleInitTools,
    /// The `delete_module` system call itself (strace, or an errno quoted alone).
    Syscall,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Kmod => "kmod",
            Source::Busybox => "busybox",
            Source::ModuleInitTools => "module-init-tools",
            Source::Syscall => "delete_module(2)",
        }
    }
}

/// What the line says was refused, before interpretation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Said {
    /// `Module X is in use by: a b` — the tool listed the holders.
    InUseBy { holders: Vec<String> },
    /// `Module X is in use` — the tool saw a reference count above zero.
    InUse,
    /// `Module X is builtin`.
    Builtin,
    /// `Module X is not currently loaded` / `is not in kernel`.
    NotLoaded,
    /// `Module X not found` — no such module or alias for this kernel.
    NotFound,
    /// The kernel's answer to `delete_module`, as an errno.
    Errno { errno: Errno },
    /// `Module unloading is not supported` (older kmod rmmod, when
    /// `/sys/module/X/refcnt` is missing).
    UnloadUnsupported,
}

/// An errno `delete_module` can return, with the glibc text and the number on
/// x86-64 (the numbers are the same on every Linux architecture for these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Errno {
    pub name: &'static str,
    pub number: i32,
    pub text: &'static str,
}

/// name, number, glibc strerror, other spellings (musl, kernel comments).
const ERRNOS: &[(&str, i32, &str, &[&str])] = &[
    ("EPERM", 1, "Operation not permitted", &[]),
    ("ENOENT", 2, "No such file or directory", &[]),
    ("EINTR", 4, "Interrupted system call", &[]),
    (
        "EAGAIN",
        11,
        "Resource temporarily unavailable",
        &["EWOULDBLOCK", "Operation would block", "Try again"],
    ),
    ("EFAULT", 14, "Bad address", &[]),
    ("EBUSY", 16, "Device or resource busy", &["Resource busy"]),
    ("EINVAL", 22, "Invalid argument", &[]),
    ("ENOSYS", 38, "Function not implemented", &[]),
];

impl Errno {
    /// From an errno name (`EAGAIN`, `EWOULDBLOCK`) or its text
    /// (`Resource temporarily unavailable`), case-insensitively for the text.
    pub fn parse(s: &str) -> Option<Errno> {
        let s = s.trim().trim_end_matches('.');
        ERRNOS.iter().find_map(|(name, number, text, other)| {
            let hit = s == *name
                || s.eq_ignore_ascii_case(text)
                || other
                    .iter()
                    .any(|o| s == *o || (o.contains(' ') && s.eq_ignore_ascii_case(o)));
            hit.then_some(Errno {
                name,
                number: *number,
                text,
            })
        })
    }

    /// The first errno name (`EAGAIN`) or text found anywhere in `s`.
    fn find_in(s: &str) -> Option<Errno> {
        for word in s.split(|c: char| !c.is_ascii_alphanumeric()) {
            if word.len() > 2
                && word.starts_with('E')
                && word.bytes().all(|b| b.is_ascii_uppercase())
                && let Some(e) = Errno::parse(word)
            {
                return Some(e);
            }
        }
        let lower = s.to_ascii_lowercase();
        ERRNOS.iter().find_map(|(name, number, text, other)| {
            let found = lower.contains(&text.to_ascii_lowercase())
                || other
                    .iter()
                    .filter(|o| o.contains(' '))
                    .any(|o| lower.contains(&o.to_ascii_lowercase()));
            found.then_some(Errno {
                name,
                number: *number,
                text,
            })
        })
    }
}

/// One recognised line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// The line as given (trailing whitespace removed).
    pub text: String,
    /// `modprobe`, `rmmod`, or `None` when the line carries no program name.
    pub tool: Option<String>,
    pub source: Source,
    /// The module named, normalised (`br-netfilter` → `br_netfilter`).
    pub module: Option<String>,
    pub said: Said,
}

const TOOLS: &[&str] = &["modprobe", "rmmod", "insmod", "kmod", "busybox"];

/// Every line of `input` that is a known refusal, in order. Other lines
/// (a sudo prompt, `modprobe -v` progress, shell noise) are skipped.
pub fn parse(input: &str) -> Vec<Line> {
    input.lines().filter_map(parse_line).collect()
}

/// A module name from a position where a tool prints one: trailing `.`/`:`
/// and quotes removed, a path reduced to its module name. `None` unless the
/// result is a valid module name.
fn module_name(raw: &str) -> Option<String> {
    let s = raw
        .trim()
        .trim_matches(|c| c == '\'' || c == '"')
        .trim_end_matches(['.', ':', ',']);
    if s.contains('/') || s.ends_with(".ko") || s.contains(".ko.") {
        return module_name_from_path(s);
    }
    let n = normalize(s);
    if is_valid_module_name(&n) {
        return Some(n);
    }
    // modprobe echoes an alias as given (`Module pci:v00008086d* not found.`).
    (s.contains(':') && validate_query(s).is_ok()).then(|| s.to_string())
}

/// Splits `tool: rest` where `tool` (optionally `tool[pid]`) is one of
/// [`TOOLS`] and stands at the start of the line or after whitespace (log
/// timestamps and syslog prefixes come before it).
fn split_tool(line: &str) -> (Option<String>, &str) {
    let mut best: Option<(usize, String, usize)> = None;
    for tool in TOOLS {
        let mut from = 0;
        while let Some(i) = line[from..].find(tool) {
            let start = from + i;
            from = start + tool.len();
            let before_ok = start == 0
                || line[..start]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_whitespace() || c == '/');
            if !before_ok {
                continue;
            }
            let mut rest = &line[start + tool.len()..];
            if let Some(r) = rest.strip_prefix('[') {
                let Some(close) = r.find(']') else { continue };
                if !r[..close].bytes().all(|b| b.is_ascii_digit()) {
                    continue;
                }
                rest = &r[close + 1..];
            }
            if let Some(r) = rest.strip_prefix(": ") {
                let body_at = line.len() - r.len();
                if best.as_ref().is_none_or(|(s, _, _)| start < *s) {
                    best = Some((start, tool.to_string(), body_at));
                }
                break;
            }
        }
    }
    match best {
        Some((_, tool, at)) => (Some(tool), &line[at..]),
        None => (None, line),
    }
}

fn parse_line(raw: &str) -> Option<Line> {
    let text = raw.trim_end().to_string();
    let line = text.trim_start();
    if line.is_empty() || line.len() > 4096 {
        return None;
    }
    if let Some(l) = syscall(line, &text) {
        return Some(l);
    }
    let (tool, body) = split_tool(line);
    let (kmod_prefix, body) = ["FATAL: ", "ERROR: ", "WARNING: "]
        .iter()
        .find_map(|p| body.strip_prefix(p).map(|b| (true, b)))
        .unwrap_or((false, body));
    let body = body.trim();
    let mk = |source: Source, module: Option<String>, said: Said| {
        Some(Line {
            text: text.clone(),
            tool: tool.clone(),
            source,
            module,
            said,
        })
    };
    // kmod wording; without a FATAL/ERROR prefix and with a program name it
    // is busybox, whose messages start with a lower-case `module`.
    let kmod_src = if kmod_prefix || tool.is_none() {
        Source::Kmod
    } else {
        Source::Busybox
    };

    // libkmod: `[../libkmod/libkmod-module.c:856 kmod_module_remove_module() ]could not remove 'X': E`
    if let Some(i) = body.find("could not remove '") {
        let rest = &body[i + "could not remove '".len()..];
        let (name, err) = rest.split_once("': ")?;
        return mk(
            Source::Kmod,
            Some(module_name(name)?),
            Said::Errno {
                errno: Errno::parse(err)?,
            },
        );
    }
    // kmod rmmod: `could not remove module X: E`
    if let Some(rest) = body.strip_prefix("could not remove module ") {
        let (name, err) = rest.rsplit_once(": ")?;
        return mk(
            Source::Kmod,
            Some(module_name(name)?),
            Said::Errno {
                errno: Errno::parse(err)?,
            },
        );
    }
    // busybox: `can't unload module 'X': E` (older: `can't unload 'X': E`)
    for p in ["can't unload module '", "can't unload '"] {
        if let Some(rest) = body.strip_prefix(p) {
            let (name, err) = rest.split_once("': ")?;
            return mk(
                Source::Busybox,
                Some(module_name(name)?),
                Said::Errno {
                    errno: Errno::parse(err)?,
                },
            );
        }
    }
    // module-init-tools rmmod: `ERROR: Removing 'X': E`
    if let Some(rest) = body.strip_prefix("Removing '") {
        let (name, err) = rest.split_once("': ")?;
        return mk(
            Source::ModuleInitTools,
            Some(module_name(name)?),
            Said::Errno {
                errno: Errno::parse(err)?,
            },
        );
    }
    if body.trim_end_matches('.') == "Module unloading is not supported" {
        return mk(Source::Kmod, None, Said::UnloadUnsupported);
    }
    // `Module X ...` (kmod) and `module X ...` (busybox).
    let (src, rest) = if let Some(r) = body.strip_prefix("Module ") {
        (kmod_src, r)
    } else if let Some(r) = body.strip_prefix("module ") {
        (Source::Busybox, r)
    } else {
        return None;
    };
    let (name, tail) = rest.split_once(' ')?;
    let module = module_name(name)?;
    let tail = tail.trim();
    let said = if let Some(h) = tail
        .strip_prefix("is in use by:")
        .or_else(|| tail.strip_prefix("is in use by"))
    {
        // module-init-tools printed `is in use by a,b` without the colon.
        let holders: Vec<String> = h
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|s| !s.is_empty())
            .filter_map(module_name)
            .collect();
        if holders.is_empty() {
            Said::InUse
        } else {
            Said::InUseBy { holders }
        }
    } else {
        match tail.trim_end_matches('.') {
            "is in use" => Said::InUse,
            "is builtin" => Said::Builtin,
            "is not currently loaded" | "is not in kernel" => Said::NotLoaded,
            t if t == "not found"
                || t == "not found in modules.dep"
                || t.starts_with("not found in directory ") =>
            {
                Said::NotFound
            }
            _ => return None,
        }
    };
    mk(src, Some(module), said)
}

/// `delete_module("bridge", O_NONBLOCK) = -1 EAGAIN (Resource temporarily
/// unavailable)` (strace), or `delete_module(bridge): EBUSY`.
fn syscall(line: &str, text: &str) -> Option<Line> {
    let i = line.find("delete_module")?;
    let after = &line[i + "delete_module".len()..];
    // `delete_module: Device or resource busy` (perror style): no module named.
    if let Some(rest) = after.strip_prefix(':') {
        let errno = Errno::find_in(rest)?;
        return Some(Line {
            text: text.to_string(),
            tool: None,
            source: Source::Syscall,
            module: None,
            said: Said::Errno { errno },
        });
    }
    let args = after.strip_prefix('(')?;
    let close = args.find(')')?;
    let first = args[..close].split(',').next()?.trim();
    let module = module_name(first)?;
    let errno = Errno::find_in(&args[close..])?;
    Some(Line {
        text: text.to_string(),
        tool: None,
        source: Source::Syscall,
        module: Some(module),
        said: Said::Errno { errno },
    })
}

/// Module names mentioned as `/sys/module/NAME/...` in a line (libkmod's
/// `could not open '/sys/module/bridge/holders'`): a hint for lines that name
/// no module.
pub fn sysfs_hints(input: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in input.lines() {
        let mut rest = line;
        while let Some(i) = rest.find("/sys/module/") {
            rest = &rest[i + "/sys/module/".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            if let Some(n) = module_name(&name)
                && !out.contains(&n)
            {
                out.push(n);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Line {
        let mut v = parse(s);
        assert_eq!(v.len(), 1, "{s:?} → {v:?}");
        v.remove(0)
    }

    #[test]
    fn kmod_lines() {
        let l = one("rmmod: ERROR: Module bridge is in use by: br_netfilter");
        assert_eq!(l.tool.as_deref(), Some("rmmod"));
        assert_eq!(l.source, Source::Kmod);
        assert_eq!(l.module.as_deref(), Some("bridge"));
        assert_eq!(
            l.said,
            Said::InUseBy {
                holders: vec!["br_netfilter".into()]
            }
        );
        assert_eq!(
            one("modprobe: FATAL: Module bridge is in use.").said,
            Said::InUse
        );
        assert_eq!(one("rmmod: ERROR: Module loop is in use").said, Said::InUse);
        assert_eq!(
            one("modprobe: FATAL: Module unix is builtin.").said,
            Said::Builtin
        );
        assert_eq!(
            one("rmmod: ERROR: Module dummy is not currently loaded").said,
            Said::NotLoaded
        );
        assert_eq!(
            one("modprobe: FATAL: Module notamodule not found.").said,
            Said::NotFound
        );
        let l = one(
            "rmmod: ERROR: ../libkmod/libkmod-module.c:856 kmod_module_remove_module() could not remove 'bridge': Resource temporarily unavailable",
        );
        assert_eq!(l.module.as_deref(), Some("bridge"));
        assert!(matches!(l.said, Said::Errno { errno } if errno.name == "EAGAIN"));
        let l = one("rmmod: ERROR: could not remove module bridge: Operation not permitted");
        assert!(matches!(l.said, Said::Errno { errno } if errno.name == "EPERM"));
        let l = one("rmmod: ERROR: Module unloading is not supported");
        assert_eq!(l.said, Said::UnloadUnsupported);
        assert_eq!(l.module, None);
    }

    #[test]
    fn busybox_lines() {
        let l = one("rmmod: can't unload module 'bridge': Resource temporarily unavailable");
        assert_eq!(l.source, Source::Busybox);
        assert!(matches!(l.said, Said::Errno { errno } if errno.number == 11));
        let l = one("modprobe: module unix is builtin");
        assert_eq!((l.source, l.said), (Source::Busybox, Said::Builtin));
        let l = one("modprobe: module notamodule not found in modules.dep");
        assert_eq!((l.source, l.said), (Source::Busybox, Said::NotFound));
        let l = one("rmmod: can't unload module 'x': Resource busy");
        assert!(matches!(l.said, Said::Errno { errno } if errno.name == "EBUSY"));
    }

    #[test]
    fn prefixes_and_noise() {
        let l = one("  10.891 rmmod: ERROR: Module bridge is in use by: br_netfilter");
        assert_eq!(l.tool.as_deref(), Some("rmmod"));
        let l = one("Nov 25 host modprobe[123]: FATAL: Module x is in use.");
        assert_eq!(l.tool.as_deref(), Some("modprobe"));
        assert_eq!(l.module.as_deref(), Some("x"));
        let l = one("FATAL: Module nvidia is in use.");
        assert_eq!((l.tool, l.said), (None, Said::InUse));
        assert!(parse("[sudo] password for admin:\nrmmod bridge\nhello\n").is_empty());
        // A name only where the tools print one, and a valid one.
        assert!(parse("rmmod: ERROR: Module $(reboot) is in use").is_empty());
        assert!(parse("xrmmod: ERROR: Module a is in use by: b").is_empty());
        assert_eq!(
            one("rmmod: ERROR: could not remove module /lib/modules/6.1/kernel/x/br-netfilter.ko.xz: Device or resource busy")
                .module
                .as_deref(),
            Some("br_netfilter")
        );
    }

    #[test]
    fn aliases_as_modprobe_echoes_them() {
        let l = one("modprobe: FATAL: Module char-major-10-238 not found.");
        assert_eq!(l.module.as_deref(), Some("char_major_10_238"));
        let l = one("modprobe: FATAL: Module pci:v00008086d00001234sv* not found.");
        assert_eq!(l.module.as_deref(), Some("pci:v00008086d00001234sv*"));
        assert!(parse("modprobe: FATAL: Module a:$(x) not found.").is_empty());
    }

    #[test]
    fn syscall_lines() {
        let l = one(
            "delete_module(\"vhost_net\", O_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)",
        );
        assert_eq!(l.source, Source::Syscall);
        assert_eq!(l.module.as_deref(), Some("vhost_net"));
        assert!(matches!(l.said, Said::Errno { errno } if errno.name == "EAGAIN"));
        let l = one("delete_module: Device or resource busy");
        assert_eq!((l.source, l.module.as_deref()), (Source::Syscall, None));
        assert!(matches!(l.said, Said::Errno { errno } if errno.name == "EBUSY"));
        let l = one("delete_module(ext4): EWOULDBLOCK");
        assert!(matches!(l.said, Said::Errno { errno } if errno.name == "EAGAIN"));
        assert!(parse("delete_module(\"x\", 0) = 0").is_empty());
    }

    #[test]
    fn errnos() {
        assert_eq!(Errno::parse("EWOULDBLOCK").unwrap().name, "EAGAIN");
        assert_eq!(Errno::parse("Function not implemented").unwrap().number, 38);
        assert!(Errno::parse("Success").is_none());
    }

    #[test]
    fn hints() {
        assert_eq!(
            sysfs_hints(
                "rmmod: ERROR: ../libkmod/libkmod-module.c:1941 kmod_module_get_holders() could not open '/sys/module/bridge/holders': No such file or directory"
            ),
            vec!["bridge"]
        );
    }
}
