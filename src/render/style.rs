//! Colour, decided once from `--color`, NO_COLOR, CLICOLOR_FORCE and whether
//! stdout is a terminal.

use crate::verdict::Verdict;
use owo_colors::OwoColorize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn plain() -> Style {
        Style { color: false }
    }

    pub fn verdict(&self, v: Verdict, s: &str) -> String {
        if !self.color {
            return s.to_string();
        }
        match v {
            Verdict::Safe => s.green().bold().to_string(),
            Verdict::Caution => s.yellow().bold().to_string(),
            Verdict::Danger => s.bright_red().bold().to_string(),
            Verdict::Blocked => s.red().bold().to_string(),
            Verdict::Builtin => s.cyan().bold().to_string(),
            Verdict::NotLoaded => s.blue().bold().to_string(),
            Verdict::NotFound => s.magenta().bold().to_string(),
            Verdict::Unknown => s.yellow().bold().to_string(),
        }
    }

    pub fn heading(&self, s: &str) -> String {
        if self.color {
            s.bold().to_string()
        } else {
            s.to_string()
        }
    }

    pub fn dim(&self, s: &str) -> String {
        if self.color {
            s.dimmed().to_string()
        } else {
            s.to_string()
        }
    }

    pub fn command(&self, s: &str) -> String {
        if self.color {
            s.cyan().to_string()
        } else {
            s.to_string()
        }
    }
}

/// `--color` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// `auto`: NO_COLOR (non-empty) turns colour off, CLICOLOR_FORCE (non-empty,
/// not 0) turns it on, otherwise colour only on a terminal.
pub fn decide(
    choice: ColorChoice,
    no_color: Option<&str>,
    force: Option<&str>,
    is_tty: bool,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if no_color.is_some_and(|v| !v.is_empty()) {
                false
            } else if force.is_some_and(|v| !v.is_empty() && v != "0") {
                true
            } else {
                is_tty
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_decision() {
        assert!(!decide(ColorChoice::Auto, Some("1"), Some("1"), true));
        assert!(decide(ColorChoice::Auto, None, Some("1"), false));
        assert!(!decide(ColorChoice::Auto, None, Some("0"), false));
        assert!(decide(ColorChoice::Auto, Some(""), None, true));
        assert!(!decide(ColorChoice::Auto, None, None, false));
        assert!(decide(ColorChoice::Always, Some("1"), None, false));
        assert!(!decide(ColorChoice::Never, None, Some("1"), true));
    }
}
