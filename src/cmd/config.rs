//! The validated configuration every command runs with (built by `cli`).

use crate::render::Renderer;
use crate::root::Root;
use crate::rules::RuleSet;

pub struct Config {
    pub root: Root,
    /// `--root` as given, when it was (for commands that repeat the command line).
    pub root_arg: Option<std::path::PathBuf>,
    pub release: Option<String>,
    pub renderer: Renderer,
    pub rules: RuleSet,
    /// Keeps an unpacked snapshot alive for the run.
    pub _unpacked: Option<tempfile::TempDir>,
}
