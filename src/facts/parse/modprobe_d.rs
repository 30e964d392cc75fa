//! modprobe.d configuration (`man modprobe.d`): `alias`, `blacklist`, `install`,
//! `remove`, `options`, `softdep M pre: a b post: c`. Lines ending in `\`
//! continue. Unknown commands are kept as warnings rather than errors, as kmod
//! does, so that one odd site file does not hide the rest.

use crate::facts::name::normalize;

/// Where a directive came from, for evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub path: String,
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.path, self.line)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    Alias {
        pattern: String,
        module: String,
    },
    Blacklist {
        module: String,
    },
    Install {
        module: String,
        command: String,
    },
    Remove {
        module: String,
        command: String,
    },
    Options {
        module: String,
        options: String,
    },
    Softdep {
        module: String,
        pre: Vec<String>,
        post: Vec<String>,
    },
}

#[derive(Debug, Clone, Default)]
pub struct ModprobeConf {
    pub directives: Vec<(Directive, Origin)>,
    /// Lines kmod would ignore with a warning.
    pub warnings: Vec<(String, Origin)>,
}

impl ModprobeConf {
    pub fn parse_file(&mut self, text: &str, path: &str) {
        let mut logical = String::new();
        let mut start = 0usize;
        for (i, raw) in text.lines().enumerate() {
            if logical.is_empty() {
                start = i + 1;
            }
            if let Some(cont) = raw.strip_suffix('\\') {
                logical.push_str(cont);
                logical.push(' ');
                continue;
            }
            logical.push_str(raw);
            let line = std::mem::take(&mut logical);
            self.parse_line(
                &line,
                Origin {
                    path: path.to_string(),
                    line: start,
                },
            );
        }
        if !logical.is_empty() {
            self.parse_line(
                &logical,
                Origin {
                    path: path.to_string(),
                    line: start,
                },
            );
        }
    }

    fn parse_line(&mut self, line: &str, origin: Origin) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return;
        }
        let mut words = line.split_whitespace();
        let cmd = words.next().unwrap_or_default();
        let rest: Vec<&str> = words.collect();
        let d = match (cmd, rest.as_slice()) {
            ("alias", [p, m]) => Directive::Alias {
                pattern: p.to_string(),
                module: normalize(m),
            },
            ("blacklist", [m]) => Directive::Blacklist {
                module: normalize(m),
            },
            ("install", [m, cmd @ ..]) if !cmd.is_empty() => Directive::Install {
                module: normalize(m),
                command: command_text(line, 2),
            },
            ("remove", [m, cmd @ ..]) if !cmd.is_empty() => Directive::Remove {
                module: normalize(m),
                command: command_text(line, 2),
            },
            ("options", [m, opts @ ..]) => Directive::Options {
                module: normalize(m),
                options: opts.join(" "),
            },
            ("softdep", [m, spec @ ..]) => {
                let (mut pre, mut post) = (Vec::new(), Vec::new());
                let mut into_post: Option<bool> = None;
                for w in spec {
                    match *w {
                        "pre:" => into_post = Some(false),
                        "post:" => into_post = Some(true),
                        m => match into_post {
                            Some(false) => pre.push(normalize(m)),
                            Some(true) => post.push(normalize(m)),
                            None => {
                                self.warnings
                                    .push((format!("softdep: {m:?} before pre:/post:"), origin));
                                return;
                            }
                        },
                    }
                }
                Directive::Softdep {
                    module: normalize(m),
                    pre,
                    post,
                }
            }
            _ => {
                self.warnings
                    .push((format!("ignored line: {line}"), origin));
                return;
            }
        };
        self.directives.push((d, origin));
    }

    pub fn remove_command(&self, module: &str) -> Option<(&str, &Origin)> {
        self.directives.iter().find_map(|(d, o)| match d {
            Directive::Remove { module: m, command } if m == module => Some((command.as_str(), o)),
            _ => None,
        })
    }

    pub fn install_command(&self, module: &str) -> Option<(&str, &Origin)> {
        self.directives.iter().find_map(|(d, o)| match d {
            Directive::Install { module: m, command } if m == module => Some((command.as_str(), o)),
            _ => None,
        })
    }

    pub fn blacklisted(&self, module: &str) -> Option<&Origin> {
        self.directives.iter().find_map(|(d, o)| match d {
            Directive::Blacklist { module: m } if m == module => Some(o),
            _ => None,
        })
    }

    /// All softdeps of a module merged, with the first origin.
    pub fn softdeps(&self, module: &str) -> Option<(Vec<String>, Vec<String>, &Origin)> {
        let mut found: Option<(Vec<String>, Vec<String>, &Origin)> = None;
        for (d, o) in &self.directives {
            if let Directive::Softdep {
                module: m,
                pre,
                post,
            } = d
                && m == module
            {
                let e = found.get_or_insert_with(|| (Vec::new(), Vec::new(), o));
                e.0.extend(pre.iter().cloned());
                e.1.extend(post.iter().cloned());
            }
        }
        found
    }

    pub fn aliases(&self) -> impl Iterator<Item = (&str, &str, &Origin)> {
        self.directives.iter().filter_map(|(d, o)| match d {
            Directive::Alias { pattern, module } => Some((pattern.as_str(), module.as_str(), o)),
            _ => None,
        })
    }
}

/// The command text after the first `skip` words, spacing preserved.
fn command_text(line: &str, skip: usize) -> String {
    let mut rest = line.trim_start();
    for _ in 0..skip {
        rest = rest.trim_start();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = &rest[end..];
    }
    rest.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_directives() {
        let mut c = ModprobeConf::default();
        c.parse_file(
            "# x\nremove nvidia /sbin/modprobe -r nvidia_drm;  /sbin/modprobe -r --ignore-remove nvidia\nblacklist pcspkr\nsoftdep bochs pre: drm post: a-b c\ninstall fuse /bin/true\nalias my-net virtio-net\noptions loop max_loop=8\nsoftdep x bad\nwhatever\nremove multi \\\n  /bin/echo hi\n",
            "/etc/modprobe.d/t.conf",
        );
        let (cmd, o) = c.remove_command("nvidia").unwrap();
        assert_eq!(
            cmd,
            "/sbin/modprobe -r nvidia_drm;  /sbin/modprobe -r --ignore-remove nvidia"
        );
        assert_eq!(o.to_string(), "/etc/modprobe.d/t.conf:2");
        assert!(c.blacklisted("pcspkr").is_some());
        let (pre, post, _) = c.softdeps("bochs").unwrap();
        assert_eq!(
            (pre, post),
            (
                vec!["drm".to_string()],
                vec!["a_b".to_string(), "c".to_string()]
            )
        );
        assert!(c.install_command("fuse").is_some());
        assert_eq!(c.aliases().next().unwrap().1, "virtio_net");
        assert_eq!(c.warnings.len(), 2);
        let (cmd, o) = c.remove_command("multi").unwrap();
        assert_eq!((cmd, o.line), ("/bin/echo hi", 10));
    }
}
