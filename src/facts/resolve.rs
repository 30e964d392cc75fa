//! From what the user typed to module names, in the order modprobe looks:
//! modprobe.d aliases, loaded and known module names (dashes read as
//! underscores), `install`/`remove` commands, modules.alias, then aliases of
//! built-in modules.

use super::lookup::alias_matches;
use super::name::normalize;
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
        match sys.dep_lookup(&norm) {
            Ok(a) if a.value.is_some() => return vec![direct(&norm)],
            Ok(_) => {}
            Err(e) => unchecked.push(e),
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

    match sys.alias_lookup(&norm) {
        Ok(a) => {
            let hits: Vec<Resolved> = a
                .value
                .into_iter()
                .map(|(m, src)| aliased(m, src))
                .collect();
            if !hits.is_empty() {
                return dedup(hits);
            }
        }
        Err(e) => unchecked.push(e),
    }

    match sys.builtin_alias_lookup(&norm) {
        Ok(a) => {
            let src = a.source.clone();
            let hits: Vec<Resolved> = a
                .value
                .into_iter()
                .map(|m| aliased(m, src.clone()))
                .collect();
            if !hits.is_empty() {
                return dedup(hits);
            }
        }
        Err(e) => unchecked.push(e),
    }

    if plain
        && let Ok(b) = sys.builtin_lookup(&norm)
        && b.value.is_some()
    {
        return vec![direct(&norm)];
    }
    // Nothing matched: check the name itself so the verdict can say not-found.
    let mut itself = direct(&norm);
    itself.unchecked = unchecked;
    vec![itself]
}

fn is_plain_name(n: &str) -> bool {
    super::name::is_valid_module_name(n)
}

fn dedup(mut v: Vec<Resolved>) -> Vec<Resolved> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|r| seen.insert(r.name.clone()));
    v
}
