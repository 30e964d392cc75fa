//! Stage two: the validated configuration every command runs with.

use super::args::{Format, GlobalArgs};
use crate::render::style::{self, Style};
use crate::root::Root;
use crate::rules::RuleSet;
use std::io::IsTerminal;

pub struct Config {
    pub root: Root,
    pub release: Option<String>,
    pub format: Format,
    pub style: Style,
    pub rules: RuleSet,
    /// Keeps an unpacked snapshot alive for the run.
    pub _unpacked: Option<tempfile::TempDir>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Failure(String),
}

impl Config {
    pub fn from_args(g: &GlobalArgs) -> Result<Config, ConfigError> {
        if let Some(r) = &g.kernel_release
            && (r.is_empty()
                || r.contains('/')
                || r == "."
                || r == ".."
                || r.chars().any(char::is_control))
        {
            return Err(ConfigError::Usage(format!("invalid kernel release {r:?}")));
        }
        let (root, unpacked) =
            crate::cmd::snapshot::open_root(&g.root).map_err(ConfigError::Failure)?;
        let mut rules =
            RuleSet::builtin().map_err(|e| ConfigError::Failure(format!("built-in rules: {e}")))?;
        if let Some(dir) = &g.rules_dir {
            rules
                .add_dir(dir)
                .map_err(|e| ConfigError::Failure(format!("site rules: {e}")))?;
        }
        let color = g.format == Format::Text
            && style::decide(
                g.color,
                std::env::var("NO_COLOR").ok().as_deref(),
                std::env::var("CLICOLOR_FORCE").ok().as_deref(),
                std::io::stdout().is_terminal(),
            );
        Ok(Config {
            root,
            release: g.kernel_release.clone(),
            format: g.format,
            style: Style { color },
            rules,
            _unpacked: unpacked,
        })
    }
}
