//! Stage two: from the arguments as typed to the validated configuration
//! every command runs with.

use super::args::GlobalArgs;
use crate::cmd::Config;
use crate::render::style::{self, Style};
use crate::render::{Format, Renderer};
use crate::rules::RuleSet;
use std::io::IsTerminal;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Failure(String),
}

/// Validates the global options, opens the root and loads the rules.
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
        crate::root::archive::open_root(&g.root).map_err(ConfigError::Failure)?;
    if let Some(r) = &g.kernel_release {
        let tree = format!("/lib/modules/{r}");
        if !matches!(root.probe(&tree), Ok(true)) {
            // Not fatal (modprobe -S goes on too), but every answer about
            // installed modules will be "not found" or "unknown".
            eprintln!(
                "kmod-doctor: warning: -S {}: {tree} does not exist{}, so no installed module of that release can be found",
                crate::shell::sanitize(r),
                if root.is_live() {
                    String::new()
                } else {
                    " under --root".to_string()
                },
            );
        }
    }
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
    let var = |k: &str| std::env::var(k).ok();
    let terminal = terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0 as usize);
    let style = Style {
        color,
        width: style::width(var("COLUMNS").as_deref(), terminal),
        ascii: !style::utf8_locale(
            var("LC_ALL").as_deref(),
            var("LC_CTYPE").as_deref(),
            var("LANG").as_deref(),
        ),
    };
    Ok(Config {
        root,
        root_arg: (g.root != std::path::Path::new("/")).then(|| g.root.clone()),
        release: g.kernel_release.clone(),
        renderer: Renderer {
            format: g.format,
            style,
        },
        rules,
        _unpacked: unpacked,
    })
}
