//! `report`: one Markdown paste for a support ticket. Long sections fold in
//! `<details>`, which GitHub and GitLab render closed.

use super::explain::fence_for;
use super::markdown::{cell, code};
use super::style::Style;
use super::{symbol, yes_no};
use crate::shell::sanitize;
use crate::verdict::Report;
use crate::verdict::picture::Picture;
use crate::verdict::ticket::Ticket;
use std::fmt::Write;

/// A code span inside a table cell: GFM splits cells at `|` even there.
fn tcode(s: &str) -> String {
    code(s).replace('|', "\\|")
}

/// Sections longer than this many rows fold.
const FOLD: usize = 4;

fn details(out: &mut String, summary: &str, body: &str) {
    let _ = writeln!(
        out,
        "<details><summary>{}</summary>\n\n{}\n</details>\n",
        cell(summary),
        body.trim_end()
    );
}

fn maybe_fold(out: &mut String, rows: usize, summary: &str, body: &str) {
    if rows > FOLD {
        details(out, summary, body);
    } else {
        out.push_str(body.trim_end());
        out.push_str("\n\n");
    }
}

pub fn render(t: &Ticket) -> String {
    let mut out = String::new();
    let title: Vec<String> = t
        .reports
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                code(&r.module),
                symbol(r.verdict),
                r.verdict.as_str()
            )
        })
        .collect();
    let _ = writeln!(out, "# kmod-doctor report: {}\n", title.join(", "));
    header(&mut out, t);
    for (i, r) in t.reports.iter().enumerate() {
        let pic = t.pictures.get(i).and_then(Option::as_ref);
        module(&mut out, r, pic, t.reports.len() > 1);
    }
    let _ = writeln!(out, "## Attach a snapshot\n");
    let _ = writeln!(
        out,
        "Run this on the machine the report is about and attach the archive: it lets support see exactly what kmod-doctor saw.\n"
    );
    let _ = writeln!(out, "```sh\n{}\n```\n", sanitize(&t.snapshot_command));
    let _ = writeln!(
        out,
        "The archive holds only what the verdict reads (/proc/modules, /sys/module, the module tree, modprobe.d, the device numbers of open files) and the session's SSH_CONNECTION; no other environment and no command lines. List it with `tar tzf kmod-doctor-snapshot.tar.gz` before sending. `kmod-doctor check --root kmod-doctor-snapshot.tar.gz MODULE` reproduces the verdict.\n"
    );
    let _ = writeln!(
        out,
        "<sub>kmod-doctor {} · {}</sub>",
        t.tool_version,
        code(&t.command)
    );
    out
}

/// `report --format text`: the same ticket as plain text: the header as
/// `Field: value` lines, each module as `check` prints it, then the snapshot
/// command.
pub fn text(t: &Ticket, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.heading("kmod-doctor report"));
    for (k, v) in header_fields(t) {
        let _ = writeln!(out, "  {k:<17} {}", sanitize(&v));
    }
    out.push('\n');
    out.push_str(&super::text::render_with(&t.reports, &t.pictures, style));
    let _ = writeln!(out, "\n{}", style.heading("Attach a snapshot"));
    let _ = writeln!(out, "  {}", style.command(&sanitize(&t.snapshot_command)));
    for l in super::wrap(
        "Run it on the machine the report is about and attach the archive: `kmod-doctor check --root kmod-doctor-snapshot.tar.gz MODULE` reproduces the verdict.",
        style.prose_width() - 2,
    ) {
        let _ = writeln!(out, "  {l}");
    }
    out
}

/// The header's rows, as text; Markdown sets them in a table with code spans.
fn header_fields(t: &Ticket) -> Vec<(&'static str, String)> {
    let mut rows = vec![("Tool", format!("kmod-doctor {}", t.tool_version))];
    let from = if t.source.live {
        "this system, live".to_string()
    } else {
        let mut s = "a snapshot (--root)".to_string();
        if let Some(v) = &t.source.snapshot_tool_version {
            let _ = write!(s, ", taken by kmod-doctor {v}");
        }
        if let Some(k) = &t.source.snapshot_kernel_release {
            let _ = write!(s, " on kernel {k}");
        }
        s
    };
    rows.push(("Read from", from));
    if let Some(r) = t.reports.first() {
        let k = &r.kernel;
        rows.push((
            "Kernel",
            k.release.clone().unwrap_or_else(|| "unknown".into()),
        ));
        let taint = match (&k.tainted, &k.taint_flags) {
            (Some(0), _) => "no".to_string(),
            (Some(n), Some(f)) if !f.is_empty() => format!("{f} ({n})"),
            (Some(n), _) => n.to_string(),
            (None, _) => "unknown".to_string(),
        };
        rows.push(("Tainted", taint));
        rows.push((
            "Module unloading",
            format!(
                "{} · forced: {} · modules_disabled: {}",
                yes_no(k.unload_supported),
                yes_no(k.force_unload_supported),
                yes_no(k.modules_disabled)
            ),
        ));
        if let Some(c) = &k.config_source {
            rows.push(("Kernel config", c.clone()));
        }
    }
    rows.push(("Command", t.command.clone()));
    rows
}

fn header(out: &mut String, t: &Ticket) {
    let _ = writeln!(out, "| | |\n|---|---|");
    for (k, v) in header_fields(t) {
        let v = match k {
            "Kernel" | "Kernel config" | "Command" => tcode(&v),
            _ => cell(&v),
        };
        let _ = writeln!(out, "| {k} | {v} |");
    }
    out.push('\n');
}

fn module(out: &mut String, r: &Report, pic: Option<&Picture>, several: bool) {
    let h = if several { "###" } else { "##" };
    if several {
        let _ = writeln!(
            out,
            "## {} — {} {}\n",
            code(&r.module),
            symbol(r.verdict),
            r.verdict.as_str()
        );
    }
    let _ = writeln!(out, "{h} Verdict\n");
    let _ = writeln!(
        out,
        "**{} {}** — {}.\n",
        symbol(r.verdict),
        r.verdict.as_str(),
        cell(&r.headline)
    );
    if let Some(rf) = &r.resolved_from {
        let how = match rf.via.as_str() {
            "alias" => format!("an alias ({})", code(rf.source.as_deref().unwrap_or("?"))),
            _ => "the same name with dashes read as underscores".to_string(),
        };
        let _ = writeln!(
            out,
            "Asked for {}, which is {}: {how}.\n",
            code(&rf.query),
            code(&r.module)
        );
    }

    if !r.findings.is_empty() {
        let _ = writeln!(out, "{h} Why\n");
        for f in &r.findings {
            let mark = super::severity_mark(f.severity);
            let _ = writeln!(out, "- {mark} {} — {}", code(&f.rule), cell(&f.message));
        }
        out.push('\n');
        let mut t = String::from("| Rule | Evidence |\n|---|---|\n");
        for f in &r.findings {
            let ev: Vec<String> = f
                .evidence
                .iter()
                .map(|e| format!("{}: {}", tcode(&e.path), tcode(&e.value)))
                .collect();
            let _ = writeln!(t, "| {} | {} |", tcode(&f.rule), ev.join("<br>"));
        }
        let n: usize = r.findings.iter().map(|f| f.evidence.len()).sum();
        maybe_fold(out, n, &format!("Evidence: {n} files and values read"), &t);
    }

    if let Some(p) = pic.filter(|p| super::tree::worth_drawing(p)) {
        let _ = writeln!(out, "{h} Holders, devices, users and dependencies\n");
        out.push_str(&super::mermaid::render(p));
        out.push('\n');
        let lines = super::tree::render(p, 100, Style::plain()).join("\n");
        let legend = super::tree::legend(p);
        let body = format!("{legend}\n\n{lines}");
        let fence = fence_for(&body);
        details(
            out,
            "The same as text",
            &format!("{fence}text\n{body}\n{fence}"),
        );
    }

    if r.module_info.loaded == Some(true) {
        let _ = writeln!(out, "{h} Users found\n");
        let u = &r.users;
        let mut rows: Vec<(String, &Vec<String>)> = vec![
            ("Processes with its devices open".into(), &u.processes),
            ("Mounts".into(), &u.mounts),
            ("Mounts the system cannot lose".into(), &u.critical_mounts),
            ("Swap".into(), &u.swaps),
            ("Loop devices".into(), &u.loop_devices),
            ("Network interfaces".into(), &u.interfaces),
            ("… with a default route".into(), &u.default_route_interfaces),
            ("… carrying this SSH session".into(), &u.ssh_interfaces),
            ("Display cards".into(), &u.drm_cards),
        ];
        rows.retain(|(_, v)| !v.is_empty());
        let n: usize = rows.iter().map(|(_, v)| v.len()).sum();
        let mut body = String::new();
        for (what, v) in &rows {
            let items: Vec<String> = v.iter().map(|s| code(s)).collect();
            let _ = writeln!(body, "- {what}: {}", items.join(", "));
        }
        if u.console == Some(true) {
            let _ = writeln!(body, "- The framebuffer console runs on it");
        }
        if let Some(n) = u.uninspectable_processes.filter(|n| *n > 0) {
            let _ = writeln!(
                body,
                "- {n} processes could not be inspected (run as root to see them)"
            );
        }
        if body.is_empty() {
            body.push_str("None found: no process has its devices open, nothing is mounted, swapped or attached on them, and it provides no network interface or display.\n");
        }
        maybe_fold(out, n, &format!("{n} users"), &body);
    }

    if !r.next_steps.is_empty() {
        let _ = writeln!(out, "{h} Next steps\n");
        for (i, s) in r.next_steps.iter().enumerate() {
            let _ = writeln!(out, "{}. {} — {}", i + 1, code(&s.command), cell(&s.why));
        }
        out.push('\n');
    }

    if !r.unchecked.is_empty() {
        let mut body = String::new();
        for u in &r.unchecked {
            let _ = writeln!(body, "{}", super::markdown::unchecked_item(u));
        }
        details(
            out,
            &format!(
                "Not checked: {} rules could not be evaluated",
                r.unchecked.len()
            ),
            &body,
        );
    }

    let mi = &r.module_info;
    let mut body = String::from("| | |\n|---|---|\n");
    // Every value is escaped here: cell() for words, code() for names.
    let opt = |v: Option<String>| cell(&v.unwrap_or_else(|| "unknown".into()));
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter().map(|s| tcode(s)).collect::<Vec<_>>().join(", ")
        }
    };
    let rows = [
        ("Loaded", yes_no(mi.loaded).to_string()),
        ("Built in", yes_no(mi.builtin).to_string()),
        ("State", opt(mi.state.clone())),
        ("Reference count", opt(mi.refcount.map(|n| n.to_string()))),
        ("Holders", list(&mi.holders)),
        ("Size", opt(mi.size.map(|n| format!("{n} bytes")))),
        (
            "Taint",
            mi.taint
                .as_deref()
                .map(tcode)
                .unwrap_or_else(|| "none".into()),
        ),
        (
            "File",
            mi.path
                .as_deref()
                .map(tcode)
                .unwrap_or_else(|| "unknown".into()),
        ),
        ("Depends on", list(&mi.dependencies)),
        ("modprobe -r also removes", list(&mi.would_also_remove)),
        ("Drivers", list(&mi.drivers)),
        ("Bound devices", list(&mi.bound_devices)),
        ("Classes", list(&mi.classes)),
    ];
    for (k, v) in rows {
        let _ = writeln!(body, "| {k} | {v} |");
    }
    details(
        out,
        &format!("Module details: {}", sanitize(&r.module)),
        &body,
    );
}
