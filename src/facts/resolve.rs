//! From what the user typed to module names, in the order modprobe looks:
//! modprobe.d aliases, loaded and known module names (dashes read as
//! underscores), `install`/`remove` commands, modules.alias, then aliases of
//! built-in modules.

use super::name::normalize;
use super::parse::alias::fnmatch;
use super::system::System;
use crate::root::{ReadError, child};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Name,
    Dashed,
    Alias { source: String },
}

impl Via {
    pub fn as_str(&self) -> &'static str {
        match self {
            Via::Name => "name",
            Via::Dashed => "dashed",
            Via::Alias { .. } => "alias",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Resolved {
    pub query: String,
    pub name: String,
    pub via: Via,
    /// When nothing matched: the reads that failed while looking, which are
    /// why "not found" cannot be said with confidence.
    pub unchecked: Vec<ReadError>,
}

impl Resolved {
    /// A module asked for by its own name.
    pub fn direct(name: &str, via: Via) -> Resolved {
        Resolved {
            query: name.to_string(),
            name: name.to_string(),
            via,
            unchecked: Vec::new(),
        }
    }
}

/// The modules `query` names, in the order modprobe would find them; when
/// nothing matches, the name itself (so the verdict can say not-found),
/// carrying the reads that failed while looking.
pub fn resolve(sys: &System, query: &str) -> Vec<Resolved> {
    // `bridge.ko`, `bridge.ko.xz`: the module named by its file, as kmod reads it.
    let name_part = super::name::strip_module_suffix(query).unwrap_or(query);
    let norm = normalize(name_part);
    let direct = |name: &str| Resolved {
        query: query.to_string(),
        name: name.to_string(),
        via: if name_part == name {
            Via::Name
        } else {
            Via::Dashed
        },
        unchecked: Vec::new(),
    };
    let aliased = |name: String, source: String| Resolved {
        query: query.to_string(),
        name,
        via: Via::Alias { source },
        unchecked: Vec::new(),
    };
    let mut unchecked = Vec::new();

    let conf_hits: Vec<Resolved> = sys
        .modprobe_conf()
        .aliases()
        .filter(|(p, _, _)| alias_matches(p, &norm))
        .map(|(_, m, o)| aliased(m.to_string(), o.to_string()))
        .collect();
    if !conf_hits.is_empty() {
        return dedup(conf_hits);
    }

    let plain = is_plain_name(&norm);
    if plain {
        match sys.proc_modules() {
            Ok(Some(_)) if sys.loaded_entry(&norm).is_some() => {
                return vec![direct(&norm)];
            }
            Ok(_) => {}
            Err(e) => unchecked.push(e.clone()),
        }
        match sys.moddep() {
            Ok(d) if d.get(&norm).is_some() => return vec![direct(&norm)],
            Ok(_) => {}
            Err(e) => unchecked.push(e.clone()),
        }
        if let Some(dir) = child("/sys/module", &norm)
            && sys.root.exists(&dir)
        {
            return vec![direct(&norm)];
        }
        let conf = sys.modprobe_conf();
        if conf.remove_command(&norm).is_some() || conf.install_command(&norm).is_some() {
            return vec![direct(&norm)];
        }
    }

    match sys.aliases() {
        Ok(list) => {
            let hits: Vec<Resolved> = list
                .iter()
                .filter(|a| alias_matches(&a.pattern, &norm))
                .map(|a| {
                    let src = sys.modules_file("modules.alias").unwrap_or_default();
                    aliased(a.module.clone(), format!("{src}:{}", a.line))
                })
                .collect();
            if !hits.is_empty() {
                return dedup(hits);
            }
        }
        Err(e) => unchecked.push(e.clone()),
    }

    match sys.builtin_modinfo() {
        Ok(info) => {
            let mut hits: Vec<Resolved> = info
                .iter()
                .filter(|(_, fields)| {
                    fields
                        .get("alias")
                        .is_some_and(|al| al.iter().any(|p| alias_matches(p, &norm)))
                })
                .map(|(m, _)| {
                    let src = sys
                        .modules_file("modules.builtin.modinfo")
                        .unwrap_or_default();
                    aliased(m.clone(), src)
                })
                .collect();
            hits.sort_by(|a, b| a.name.cmp(&b.name));
            if !hits.is_empty() {
                return dedup(hits);
            }
        }
        Err(e) => unchecked.push(e.clone()),
    }

    if plain
        && let Ok(b) = sys.builtin()
        && b.contains_key(&norm)
    {
        return vec![direct(&norm)];
    }
    // Nothing matched: check the name itself so the verdict can say not-found.
    let mut itself = direct(&norm);
    itself.unchecked = unchecked;
    vec![itself]
}

/// modprobe compares aliases with dashes read as underscores, except inside
/// bracket expressions.
fn alias_matches(pattern: &str, norm_query: &str) -> bool {
    fnmatch(normalize_alias(pattern).as_bytes(), norm_query.as_bytes())
}

fn normalize_alias(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_bracket = false;
    for c in s.chars() {
        match c {
            '[' => in_bracket = true,
            ']' => in_bracket = false,
            _ => {}
        }
        out.push(if c == '-' && !in_bracket { '_' } else { c });
    }
    out
}

fn is_plain_name(n: &str) -> bool {
    super::name::is_valid_module_name(n)
}

fn dedup(mut v: Vec<Resolved>) -> Vec<Resolved> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|r| seen.insert(r.name.clone()));
    v
}
