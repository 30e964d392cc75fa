//! `explain`: from a pasted error message to what was refused, by whom and
//! why, in plain words; and the picture of a module (holders, devices, users,
//! dependencies) that `explain`, `report` and the renderers draw.
//!
//! The explanation is decided here; renderers only lay it out.

pub mod message;

use message::{Errno, Line, Said, Source};
use serde::Serialize;

/// Who turned the removal down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefusedBy {
    /// The tool checked sysfs first and did not ask the kernel.
    Tool,
    /// The kernel answered `delete_module` with an error.
    Kernel,
}

/// One module's refusal, explained.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The module the message names (`None` if it names none).
    pub module: Option<String>,
    /// The program that printed it (`rmmod`, `modprobe`), if the line says.
    pub tool: Option<String>,
    pub source: Source,
    pub refused_by: RefusedBy,
    /// Who refused, in words: `kmod's rmmod, before asking the kernel`.
    pub refused_by_words: String,
    /// The most telling of the lines about this module.
    pub said: Said,
    /// The kernel's errno, when a line quotes one.
    pub errno: Option<Errno>,
    /// One line: what was refused.
    pub summary: String,
    /// Plain words: who refused, what it means, what to look at.
    pub explanation: Vec<String>,
    /// The lines recognised, verbatim.
    pub lines: Vec<String>,
}

/// How informative a line is: the richest one leads the explanation.
fn weight(s: &Said) -> u8 {
    match s {
        Said::InUseBy { .. } => 7,
        Said::Builtin => 6,
        Said::NotFound => 5,
        Said::InUse => 4,
        Said::NotLoaded => 3,
        Said::UnloadUnsupported => 2,
        Said::Errno { .. } => 1,
    }
}

/// Explains every refusal in `input`, one per module in order of first
/// mention. Empty when nothing in it is a message we know.
pub fn explain(input: &str) -> Vec<Explanation> {
    explain_for(input, None)
}

/// As [`explain`], with the module the user named (`explain -m MOD`) taking
/// the lines that name none (`delete_module: Device or resource busy`).
pub fn explain_for(input: &str, module: Option<&str>) -> Vec<Explanation> {
    let lines = message::parse(input);
    if lines.is_empty() {
        return Vec::new();
    }
    let mut named: Vec<String> = Vec::new();
    for l in &lines {
        if let Some(m) = &l.module
            && !named.contains(m)
        {
            named.push(m.clone());
        }
    }
    // A line that names no module belongs to the only module named, or to
    // the one a sysfs path in the input points at.
    let fallback = match (module, named.as_slice()) {
        (Some(m), _) => Some(crate::facts::name::normalize(m)),
        (None, [one]) => Some(one.clone()),
        (None, []) => message::sysfs_hints(input).into_iter().next(),
        _ => None,
    };
    let mut groups: Vec<(Option<String>, Vec<&Line>)> = Vec::new();
    for l in &lines {
        let key = l.module.clone().or_else(|| fallback.clone());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(l),
            None => groups.push((key, vec![l])),
        }
    }
    groups
        .into_iter()
        .map(|(module, ls)| build(module, &ls))
        .collect()
}

fn build(module: Option<String>, ls: &[&Line]) -> Explanation {
    let w = ls.iter().map(|l| weight(&l.said)).max().unwrap_or(0);
    let lead = ls
        .iter()
        .find(|l| weight(&l.said) == w)
        .copied()
        .unwrap_or(ls[0]);
    let errno = ls.iter().find_map(|l| match l.said {
        Said::Errno { errno } => Some(errno),
        _ => None,
    });
    let m = module.as_deref().unwrap_or("the module");
    let tool = lead.tool.clone();
    let who = tool_phrase(lead);
    let mut paras = Vec::new();
    let refused_by = match lead.said {
        Said::Errno { .. } => RefusedBy::Kernel,
        _ => RefusedBy::Tool,
    };
    let summary = match &lead.said {
        Said::InUseBy { holders } => {
            let list = holders.join(", ");
            let (verb, dep) = if holders.len() == 1 {
                ("is", "depends")
            } else {
                ("are", "depend")
            };
            paras.push(format!(
                "{who} did not ask the kernel at all: it read /sys/module/{m}/holders and found that {list} {verb} loaded and {dep} on {m}. The kernel never unloads a module that another loaded module uses (it would answer EAGAIN), so {list} must go first, deepest holder first."
            ));
            format!("{m} is in use by {list}: other loaded modules depend on it")
        }
        Said::InUse => {
            paras.push(format!(
                "{who} checked the reference count of {m} (/sys/module/{m}/refcnt) before asking the kernel and found it above zero. Something holds {m}: a module that depends on it, an open device node, a mounted filesystem, an active network interface or another kernel user. The message does not say which; the check below looks."
            ));
            format!("{m} is in use: its reference count is above zero")
        }
        Said::Builtin => {
            paras.push(format!(
                "{m} is compiled into the kernel image (modules.builtin lists it); it was never loaded as a module. There is nothing to unload, and neither rmmod -f nor anything else can remove it. Its effect can only be undone by unbinding its devices, by kernel command-line parameters, or by booting a kernel that builds it as a module."
            ));
            format!("{m} is built into the kernel: it cannot be unloaded")
        }
        Said::NotLoaded => {
            paras.push(format!(
                "{who} found no loaded module called {m} (no /sys/module/{m}/initstate): there is nothing to remove. It may have been removed already, it may be built into the kernel (kmod says \"not currently loaded\" for built-in modules when modules.builtin does not list them), or the loaded module has another name (rmmod takes the exact module name; modprobe -r also understands aliases)."
            ));
            format!("{m} is not loaded: there is nothing to unload")
        }
        Said::NotFound => {
            paras.push(format!(
                "{who} found no module called {m} for the running kernel: no file in modules.dep, no alias in modules.alias or modprobe.d, and no entry in modules.builtin. The name is misspelt, or the modules of the running kernel are not installed (compare uname -r with the directories in /lib/modules)."
            ));
            format!("no module called {m} is known to modprobe")
        }
        Said::UnloadUnsupported => {
            paras.push(format!(
                "Older kmod rmmod prints this when /sys/module/{m}/refcnt does not exist. Either the kernel was built without CONFIG_MODULE_UNLOAD, so no module can be unloaded until a reboot into another kernel; or /sys is not the host's (inside a container); or {m} is built in."
            ));
            "module unloading is not supported here".to_string()
        }
        Said::Errno { errno } => {
            paras.push(errno_words(lead.source, &who, m, *errno));
            format!(
                "the kernel refused to unload {m}: {} ({})",
                errno.name, errno.text
            )
        }
    };
    // The tool's own check came first, but the kernel was asked too.
    if refused_by == RefusedBy::Tool
        && let Some(e) = errno
    {
        paras.push(format!(
            "The kernel was asked too, and refused. {}",
            errno_words(Source::Syscall, "The kernel", m, e)
        ));
    }
    let refused_by_words = match (refused_by, &lead.said) {
        (RefusedBy::Kernel, Said::Errno { errno }) => format!(
            "the kernel: delete_module failed with {} (errno {})",
            errno.name, errno.number
        ),
        // Mid-sentence ("Refused by the removal tool, ..."): no capital.
        _ if lead.tool.is_none() => "the removal tool, before asking the kernel".to_string(),
        _ => format!("{who}, before asking the kernel"),
    };
    Explanation {
        module,
        tool,
        source: lead.source,
        refused_by,
        refused_by_words,
        said: lead.said.clone(),
        errno,
        summary,
        explanation: paras,
        lines: ls.iter().map(|l| l.text.clone()).collect(),
    }
}

/// `kmod's rmmod`, `busybox modprobe`, `The removal tool`.
fn tool_phrase(l: &Line) -> String {
    match (&l.tool, l.source) {
        (Some(t), Source::Kmod) => format!("kmod's {t}"),
        (Some(t), Source::Busybox) => format!("busybox {t}"),
        (Some(t), Source::ModuleInitTools) => format!("module-init-tools' {t}"),
        (Some(t), Source::Syscall) => t.clone(),
        (None, _) => "The removal tool".to_string(),
    }
}

/// What the kernel meant by `errno` when asked to delete `m`.
fn errno_words(source: Source, who: &str, m: &str, e: Errno) -> String {
    let asked = match source {
        Source::Busybox => format!(
            "{who} asks the kernel directly (it checks nothing itself), and the kernel refused delete_module(\"{m}\")"
        ),
        Source::Syscall => format!("The kernel refused delete_module(\"{m}\")"),
        _ => format!("{who} asked the kernel, which refused delete_module(\"{m}\")"),
    };
    let why = match e.name {
        "EAGAIN" => format!(
            "{m} is in use. Either another loaded module depends on it, or its reference count is not zero: an open device node, a mounted filesystem, an active interface or another kernel user holds it. Removal tools ask for a non-blocking removal, so the kernel refuses at once instead of waiting for the users to go."
        ),
        "EBUSY" => format!(
            "{m} is not live (it is still initialising, or already being removed), or it has no exit function ([permanent] in /proc/modules) and only a forced removal, which skips its cleanup, could take it out."
        ),
        "EPERM" => format!(
            "the caller may not remove modules at all: it lacks CAP_SYS_MODULE (not root, or a container that drops the capability), or /proc/sys/kernel/modules_disabled is 1, which forbids loading and unloading any module until the next boot. Nothing about {m} itself was checked."
        ),
        "ENOENT" => format!(
            "no module called {m} is loaded. It is not loaded, or it is built into the kernel: the kernel answers the same for both, and only a look at modules.builtin tells them apart."
        ),
        "ENOSYS" => "this kernel was built without CONFIG_MODULE_UNLOAD: the delete_module system call does not exist and no module can be unloaded until a reboot into another kernel.".to_string(),
        "EINTR" => "a signal interrupted the wait for the kernel's module lock; nothing was removed, and trying again is harmless.".to_string(),
        _ => format!(
            "the call itself was malformed, which points at the tool, not at {m}."
        ),
    };
    format!("{asked} with {} ({}): {why}", e.name, e.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_lines_by_module() {
        let e = explain(
            "rmmod: ERROR: ../libkmod/libkmod-module.c:856 kmod_module_remove_module() could not remove 'bridge': Resource temporarily unavailable\nrmmod: ERROR: could not remove module bridge: Resource temporarily unavailable\n",
        );
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].module.as_deref(), Some("bridge"));
        assert_eq!(e[0].refused_by, RefusedBy::Kernel);
        assert_eq!(e[0].errno.unwrap().name, "EAGAIN");
        assert_eq!(e[0].lines.len(), 2);
    }

    #[test]
    fn richest_line_leads() {
        let e = explain(
            "rmmod: ERROR: could not remove module bridge: Resource temporarily unavailable\nrmmod: ERROR: Module bridge is in use by: br_netfilter\n",
        );
        assert_eq!(e.len(), 1);
        assert!(matches!(e[0].said, Said::InUseBy { .. }));
        assert_eq!(e[0].refused_by, RefusedBy::Tool);
        assert_eq!(e[0].explanation.len(), 2);
    }

    #[test]
    fn several_modules_and_hints() {
        let e = explain(
            "modprobe: FATAL: Module a is in use.\nmodprobe: FATAL: Module b is builtin.\n",
        );
        assert_eq!(e.len(), 2);
        let e = explain(
            "rmmod: ERROR: ../libkmod/libkmod-module.c:1941 kmod_module_get_holders() could not open '/sys/module/bridge/holders': No such file or directory\nrmmod: ERROR: Module unloading is not supported\n",
        );
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].module.as_deref(), Some("bridge"));
        assert!(explain("hello\n").is_empty());
    }
}
