//! Colour, decided once from `--color`, NO_COLOR, CLICOLOR_FORCE and whether
//! stdout is a terminal; the width to fit (COLUMNS, else the terminal); and
//! whether the locale can show UTF-8 marks.

use crate::verdict::Verdict;
use owo_colors::OwoColorize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    /// Columns to fit; `None` (a pipe) gets whole lines.
    pub width: Option<usize>,
    /// The locale is not UTF-8: marks are drawn in ASCII.
    pub ascii: bool,
}

/// Prose never runs wider than this, however wide the terminal.
pub const PROSE_MAX: usize = 80;

impl Style {
    pub fn plain() -> Style {
        Style {
            color: false,
            width: None,
            ascii: false,
        }
    }

    /// The width prose wraps at: the terminal's, at most [`PROSE_MAX`].
    pub fn prose_width(&self) -> usize {
        self.width.map_or(PROSE_MAX, |w| w.clamp(40, PROSE_MAX))
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

/// COLUMNS (a positive number) wins, else the terminal's width, else none.
pub fn width(columns: Option<&str>, terminal: Option<usize>) -> Option<usize> {
    columns
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or(terminal.filter(|&c| c > 0))
}

/// Whether the locale's character set is UTF-8: the first of LC_ALL,
/// LC_CTYPE and LANG that is set and not empty decides, as setlocale does;
/// none set is the C locale, which is ASCII.
pub fn utf8_locale(lc_all: Option<&str>, lc_ctype: Option<&str>, lang: Option<&str>) -> bool {
    [lc_all, lc_ctype, lang]
        .into_iter()
        .flatten()
        .find(|v| !v.is_empty())
        .is_some_and(|v| {
            let charset = v.split_once('.').map_or("", |(_, c)| c);
            let charset = charset.split('@').next().unwrap_or("").to_ascii_lowercase();
            charset == "utf-8" || charset == "utf8"
        })
}

/// The same text with every mark, box-drawing line and ellipsis replaced by
/// one ASCII character (so columns stay aligned), and any other non-ASCII
/// character by `?`.
pub fn to_ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            c if c.is_ascii() => c,
            '✔' => '+',
            '⚠' => '!',
            '‼' => '#',
            '✖' => 'x',
            '■' => '=',
            '○' => 'o',
            '∅' => '-',
            '•' => '*',
            '·' => '-',
            '…' => '~',
            '├' | '│' | '┤' => '|',
            '└' => '`',
            '┌' => ',',
            '─' | '−' | '—' | '–' | '→' => '-',
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_and_locale() {
        assert_eq!(width(Some("80"), Some(200)), Some(80));
        assert_eq!(width(Some("x"), Some(120)), Some(120));
        assert_eq!(width(Some("0"), None), None);
        assert_eq!(width(None, None), None);
        assert!(!utf8_locale(Some("C"), None, Some("en_US.UTF-8")));
        assert!(utf8_locale(None, Some("de_DE.utf8"), Some("C")));
        assert!(utf8_locale(Some(""), None, Some("C.UTF-8")));
        assert!(!utf8_locale(None, Some("POSIX"), Some("C.UTF-8")));
        assert!(utf8_locale(None, None, Some("sr_RS.UTF-8@latin")));
        assert!(!utf8_locale(None, None, None));
        assert!(!utf8_locale(None, None, Some("en_US.ISO-8859-1")));
        assert_eq!(to_ascii("✖ blocked ├── a…"), "x blocked |-- a~");
    }

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
