//! `{fact}` placeholders in messages and commands.
//!
//! In commands every substituted value is shell-quoted (a list becomes several
//! quoted words), so a module, device or process name can never inject shell
//! syntax into a step the user pastes. In messages values are shown as text
//! with control characters escaped, so a hostile name cannot forge lines or
//! terminal escapes.

use crate::facts::{FactTable, Value, keys};
use crate::shell::{sanitize, shell_quote};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Fact(&'static str),
    Item,
    /// `{item.N}`: the Nth space-separated field of the item (1-based; the
    /// highest N the template uses takes the rest of the item).
    ItemField(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(pub Vec<Piece>);

/// How many fields `{item.N}` can name.
const MAX_FIELDS: usize = 4;

impl Template {
    /// `allow_item` permits `{item}`, valid only in steps with `for_each`.
    pub fn parse(src: &str, allow_item: bool) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut rest = src;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_string()));
            }
            let close = rest[open..].find('}').ok_or("unclosed '{' in template")? + open;
            let name = &rest[open + 1..close];
            if name == "item" || name.starts_with("item.") {
                if !allow_item {
                    return Err("{item} is only allowed in steps with for_each".into());
                }
                match name.strip_prefix("item.") {
                    None => pieces.push(Piece::Item),
                    Some(n) => match n.parse::<usize>() {
                        Ok(i @ 1..=MAX_FIELDS) => pieces.push(Piece::ItemField(i)),
                        _ => {
                            return Err(format!(
                                "{{{name}}}: only {{item.1}} to {{item.{MAX_FIELDS}}} exist"
                            ));
                        }
                    },
                }
            } else {
                let k = keys::lookup(name)
                    .ok_or_else(|| format!("unknown fact {{{name}}} in template"))?;
                pieces.push(Piece::Fact(k.name));
            }
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        Ok(Template(pieces))
    }

    pub fn facts(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().filter_map(|p| match p {
            Piece::Fact(f) => Some(*f),
            _ => None,
        })
    }

    /// Text for people.
    pub fn message(&self, facts: &FactTable, item: Option<&str>) -> String {
        self.render(facts, item, |v| sanitize(&v.display()), sanitize)
    }

    /// A command to paste into a shell.
    pub fn command(&self, facts: &FactTable, item: Option<&str>) -> String {
        self.render(
            facts,
            item,
            |v| match v {
                Value::List(l) => l
                    .iter()
                    .map(|s| shell_quote(s))
                    .collect::<Vec<_>>()
                    .join(" "),
                other => shell_quote(&other.display()),
            },
            shell_quote,
        )
    }

    fn render(
        &self,
        facts: &FactTable,
        item: Option<&str>,
        value: impl Fn(&Value) -> String,
        item_fmt: impl Fn(&str) -> String,
    ) -> String {
        let mut out = String::new();
        let last = self
            .0
            .iter()
            .filter_map(|p| match p {
                Piece::ItemField(n) => Some(*n),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        for p in &self.0 {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Item => out.push_str(&item_fmt(item.unwrap_or(""))),
                Piece::ItemField(n) => {
                    let it = item.unwrap_or("");
                    let field = if *n == last {
                        it.splitn(last, ' ').nth(n - 1)
                    } else {
                        it.split(' ').nth(n - 1)
                    };
                    out.push_str(&item_fmt(field.unwrap_or("")));
                }
                Piece::Fact(f) => match facts.value(f) {
                    Some(v) => out.push_str(&value(v)),
                    None => out.push_str("(unknown)"),
                },
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_quote_and_messages_escape() {
        let mut t = FactTable::default();
        t.set("module.name", "x$(reboot)", vec![]);
        t.set(
            "module.holders",
            vec!["a b".to_string(), "c".to_string()],
            vec![],
        );
        let c = Template::parse("modprobe -r {module.name} {module.holders}", false).unwrap();
        assert_eq!(c.command(&t, None), "modprobe -r 'x$(reboot)' 'a b' c");
        t.set("module.name", "evil\n\u{1b}[2J", vec![]);
        let m = Template::parse("{module.name} is held", false).unwrap();
        assert_eq!(m.message(&t, None), "evil\\n\\x1b[2J is held");
        assert!(Template::parse("{nope}", false).is_err());
        assert!(Template::parse("{item}", false).is_err());
        assert!(Template::parse("{module.name", false).is_err());
        let u = Template::parse("echo {item.1} > {item.2}", true).unwrap();
        assert_eq!(
            u.command(&t, Some("a;b /sys/bus/x y/unbind")),
            "echo 'a;b' > '/sys/bus/x y/unbind'"
        );
        let f = Template::parse(
            "tc filter del dev {item.1} parent {item.2} prio {item.3}",
            true,
        )
        .unwrap();
        assert_eq!(
            f.command(&t, Some("eth0 ffff:fff2 1 x y")),
            "tc filter del dev eth0 parent ffff:fff2 prio '1 x y'"
        );
        assert!(Template::parse("{item.5}", true).is_err());
        assert!(Template::parse("{item.1}", false).is_err());
    }
}
