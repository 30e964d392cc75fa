//! A support ticket as renderers get it, with what must not leave the
//! machine (the SSH client address) already removed.

use super::Report;
use super::picture::Picture;
use serde::Serialize;

/// What the report was read from.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// True for the running system, false for a snapshot (`--root`).
    pub live: bool,
    /// For a snapshot: the tool version and kernel release its manifest names.
    pub snapshot_tool_version: Option<String>,
    pub snapshot_kernel_release: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub tool_version: &'static str,
    pub source: Source,
    /// `kmod-doctor report ...` as it can be run again.
    pub command: String,
    /// The command whose archive to attach.
    pub snapshot_command: String,
    pub reports: Vec<Report>,
    pub pictures: Vec<Option<Picture>>,
}

/// Replaces the SSH client address (from `SSH_CONNECTION` evidence) wherever
/// it appears: a ticket leaves the organisation.
pub fn redact(r: &mut Report) {
    const MARK: &str = "[ssh client]";
    let mut clients: Vec<String> = Vec::new();
    for f in &r.findings {
        for e in &f.evidence {
            if e.path == "SSH_CONNECTION"
                && let Some(c) = e.value.split_whitespace().next()
                && !c.is_empty()
                && !clients.contains(&c.to_string())
            {
                clients.push(c.to_string());
            }
        }
    }
    let scrub = |s: &mut String| {
        for c in &clients {
            if s.contains(c.as_str()) {
                *s = s.replace(c.as_str(), MARK);
            }
        }
    };
    for f in &mut r.findings {
        scrub(&mut f.message);
        for e in &mut f.evidence {
            if e.path == "SSH_CONNECTION" {
                e.value = format!("{MARK} (the rest of the variable is not shown)");
            }
            scrub(&mut e.value);
        }
    }
    for s in &mut r.next_steps {
        scrub(&mut s.command);
        scrub(&mut s.why);
    }
}
