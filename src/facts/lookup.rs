//! Name, alias, dependency and built-in lookups as modprobe answers them: from
//! kmod's binary indexes (`modules.dep.bin`, `modules.alias.bin`,
//! `modules.builtin.bin`, `modules.builtin.alias.bin`) when they are present
//! and readable, else from the text files. The evidence names the file that
//! answered; when an index was present but unusable, its error is kept so the
//! report can say why the text file was read instead.

use super::kmod_index::{Index, Load};
use super::name::normalize;
use super::parse::moddep;
use super::system::{Loaded, System};
use super::table::Evidence;
use crate::root::{ReadError, ReadErrorKind};
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;

/// How index files are read: a lookup touches a few pages of modules.dep.bin,
/// so pages are read at offsets (see `scripts/bench-index` for the numbers).
pub const LOAD: Load = Load::Paged;

#[derive(Debug)]
enum Slot {
    Absent,
    Broken(ReadError),
    Open(Box<Index>),
}

/// The indexes of one run, opened on first use, plus the per-device alias
/// answers the modalias check shares between modules.
#[derive(Debug, Default)]
pub struct Indexes {
    slots: RefCell<HashMap<&'static str, Slot>>,
    device_modules: OnceCell<Option<Loaded<DeviceModules>>>,
    /// The index's `fs_TYPE` aliases as (TYPE, module), walked once per run;
    /// `None` without a usable index.
    fs_aliases: OnceCell<Option<Vec<(String, String)>>>,
}

/// Every device with a modalias, and the modules whose aliases match it.
#[derive(Debug, Clone)]
pub struct DeviceModules {
    pub source: String,
    /// Devices with a modalias, matched or not.
    pub total: usize,
    pub devices: Vec<(String, String, Vec<String>)>,
    /// Module → its entries in `devices`, so each module's question costs
    /// its own hits, not a walk over every device.
    by_module: HashMap<String, Vec<usize>>,
}

impl DeviceModules {
    /// The (device, modalias, modules) entries that map to `module`.
    pub fn of(&self, module: &str) -> Vec<&(String, String, Vec<String>)> {
        self.by_module
            .get(module)
            .map(|v| v.iter().map(|i| &self.devices[*i]).collect())
            .unwrap_or_default()
    }
}

enum Use<T> {
    /// No index file: the text file answers, nothing to report.
    Absent,
    /// An index is there but unreadable or corrupt.
    Broken(ReadError),
    Used(T, String),
}

impl<T> Use<T> {
    /// The index's answer, or why the text file answers instead (`None`:
    /// there is no index; `Some`: a broken one, reported beside the answer).
    fn answer(self) -> Result<Answer<T>, Option<ReadError>> {
        match self {
            Use::Used(value, source) => Ok(Answer {
                value,
                source,
                index_error: None,
            }),
            Use::Absent => Err(None),
            Use::Broken(e) => Err(Some(e)),
        }
    }
}

/// The entry of one module in modules.dep(.bin).
#[derive(Debug, Clone)]
pub struct DepHit {
    pub path: String,
    pub deps: Vec<String>,
    pub evidence: Evidence,
}

/// An answer and where it came from.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    pub value: T,
    /// The file that answered (`/lib/modules/R/modules.dep.bin`, or the text
    /// file).
    pub source: String,
    /// Why an index that was present was not used.
    pub index_error: Option<ReadError>,
}

impl<T> Answer<T> {
    /// Evidence that the index was passed over, to add beside the answer's.
    pub fn fallback_evidence(&self) -> Option<Evidence> {
        self.index_error.as_ref().map(|e| {
            Evidence::new(
                &e.path,
                format!("not used: {}; read {} instead", e.reason(), self.source),
            )
        })
    }
}

impl System<'_> {
    fn with_index<T>(
        &self,
        file: &'static str,
        f: impl FnOnce(&mut Index, &str) -> Result<T, ReadError>,
    ) -> Use<T> {
        let Ok(path) = self.modules_file(file) else {
            return Use::Absent;
        };
        let mut slots = self.kmod_indexes().slots.borrow_mut();
        let slot = slots
            .entry(file)
            .or_insert_with(|| match Index::open(self.root, &path, LOAD) {
                Ok(i) => Slot::Open(Box::new(i)),
                Err(e) if e.kind == ReadErrorKind::NotFound => Slot::Absent,
                Err(e) => Slot::Broken(e),
            });
        match slot {
            Slot::Absent => Use::Absent,
            Slot::Broken(e) => Use::Broken(e.clone()),
            Slot::Open(idx) => match f(idx, &path) {
                Ok(v) => Use::Used(v, path),
                Err(e) => {
                    // Corrupt somewhere: no answer from it for the rest of the run.
                    *slot = Slot::Broken(e.clone());
                    Use::Broken(e)
                }
            },
        }
    }

    /// Opens every index a check may use, so that a snapshot carries them.
    pub fn touch_indexes(&self) {
        for f in [
            "modules.dep.bin",
            "modules.alias.bin",
            "modules.builtin.bin",
            "modules.builtin.alias.bin",
        ] {
            let _ = self.with_index(f, |_, _| Ok(()));
        }
    }

    /// The modules.dep entry of `name` (dashes read as underscores).
    pub fn dep_lookup(&self, name: &str) -> Loaded<Answer<Option<DepHit>>> {
        let name = normalize(name);
        let used = self.with_index("modules.dep.bin", |idx, path| {
            let Some(line) = idx.lookup(&name)? else {
                return Ok(None);
            };
            // The value is the modules.dep line itself.
            let parsed = moddep::parse(&line, path)?;
            let e = parsed.by_name.into_values().next().ok_or_else(|| {
                ReadError::new(
                    path,
                    ReadErrorKind::Malformed(format!("empty entry for {name}")),
                )
            })?;
            Ok(Some(DepHit {
                evidence: Evidence::new(path, e.path.clone()),
                path: e.path,
                deps: e.deps,
            }))
        });
        let index_error = match used.answer() {
            Ok(a) => return Ok(a),
            Err(e) => e,
        };
        let source = self.modules_file("modules.dep")?;
        let d = self.moddep().as_ref().map_err(Clone::clone)?;
        Ok(Answer {
            value: d.get(&name).map(|e| DepHit {
                path: e.path.clone(),
                deps: e.deps.clone(),
                evidence: Evidence::new(format!("{source}:{}", e.line), e.path.clone()),
            }),
            source,
            index_error,
        })
    }

    /// Whether `name` is built into the kernel, with the evidence line when
    /// it is.
    pub fn builtin_lookup(&self, name: &str) -> Loaded<Answer<Option<Evidence>>> {
        let name = normalize(name);
        let used = self.with_index("modules.builtin.bin", |idx, path| {
            Ok(idx
                .lookup(&name)?
                .map(|_| Evidence::new(path, name.clone())))
        });
        let index_error = match used.answer() {
            Ok(a) => return Ok(a),
            Err(e) => e,
        };
        let source = self.modules_file("modules.builtin")?;
        let b = self.builtin().as_ref().map_err(Clone::clone)?;
        Ok(Answer {
            value: b
                .get(&name)
                .map(|line| Evidence::new(format!("{source}:{line}"), format!("{name}.ko"))),
            source,
            index_error,
        })
    }

    /// Modules whose modules.alias patterns match `query` (already
    /// normalized), in modprobe's order, each with the evidence path.
    pub fn alias_lookup(&self, query: &str) -> Loaded<Answer<Vec<(String, String)>>> {
        let used = self.with_index("modules.alias.bin", |idx, path| {
            Ok(idx
                .search_wild(query)?
                .into_iter()
                .map(|v| (normalize(&v.value), path.to_string()))
                .collect())
        });
        let index_error = match used.answer() {
            Ok(a) => return Ok(a),
            Err(e) => e,
        };
        let source = self.modules_file("modules.alias")?;
        let list = self.aliases().as_ref().map_err(Clone::clone)?;
        Ok(Answer {
            value: list
                .iter()
                .filter(|a| alias_matches(&a.pattern, query))
                .map(|a| (a.module.clone(), format!("{source}:{}", a.line)))
                .collect(),
            source,
            index_error,
        })
    }

    /// Built-in modules whose aliases match `query`, sorted by name.
    pub fn builtin_alias_lookup(&self, query: &str) -> Loaded<Answer<Vec<String>>> {
        let used = self.with_index("modules.builtin.alias.bin", |idx, _| {
            Ok(idx
                .search_wild(query)?
                .into_iter()
                .map(|v| normalize(&v.value))
                .collect::<Vec<_>>())
        });
        let (mut value, source, index_error) = match used {
            Use::Used(v, s) => (v, s, None),
            other => {
                let index_error = match other {
                    Use::Broken(e) => Some(e),
                    _ => None,
                };
                let source = self.modules_file("modules.builtin.modinfo")?;
                let info = self.builtin_modinfo().as_ref().map_err(Clone::clone)?;
                let v = info
                    .iter()
                    .filter(|(_, fields)| {
                        fields
                            .get("alias")
                            .is_some_and(|al| al.iter().any(|p| alias_matches(p, query)))
                    })
                    .map(|(m, _)| m.clone())
                    .collect();
                (v, source, index_error)
            }
        };
        value.sort();
        value.dedup();
        Ok(Answer {
            value,
            source,
            index_error,
        })
    }

    /// Filesystem types `name` provides: its `fs-TYPE` aliases, as
    /// `users::fs_types_of` reads them from modules.alias. From the index,
    /// where depmod stored `fs-TYPE` as `fs_TYPE`: a `_` in TYPE may have
    /// been either, so both spellings are given (an extra spelling can only
    /// find more mounts, never hide one); more than four `_` read the text.
    pub fn fs_types(&self, name: &str) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        let fs_aliases = self.kmod_indexes().fs_aliases.get_or_init(|| {
            match self.with_index("modules.alias.bin", |idx, _| idx.with_prefix("fs_")) {
                Use::Used(list, _) => Some(
                    list.into_iter()
                        .map(|(k, v)| (k[3..].to_string(), normalize(&v.value)))
                        .collect(),
                ),
                _ => None,
            }
        });
        if let Some(list) = fs_aliases {
            let mine: Vec<&str> = list
                .iter()
                .filter(|(_, m)| m == name)
                .map(|(t, _)| t.as_str())
                .collect();
            if mine.iter().all(|t| t.matches('_').count() <= 4) {
                for t in mine {
                    out.extend(spellings(t));
                }
                return out;
            }
        }
        if let Ok(aliases) = self.aliases_of(name) {
            for a in aliases {
                if let Some(fs) = a.pattern.strip_prefix("fs-") {
                    out.insert(fs.to_string());
                }
            }
        }
        out
    }

    /// Link kinds and their modules: the `rtnl-link-KIND` aliases without a
    /// wildcard, kind spelled with `-` read as `_` (depmod stores aliases so
    /// in modules.alias.bin; the caller compares kinds the same way). From the
    /// index with one prefix walk, else from the text file.
    pub fn link_kinds(&self) -> Vec<(String, String, Evidence)> {
        let literal = |k: &str| !k.is_empty() && !k.contains(['*', '?', '[']);
        if let Use::Used(list, path) =
            self.with_index("modules.alias.bin", |idx, _| idx.with_prefix("rtnl_link_"))
        {
            return list
                .into_iter()
                .filter(|(k, _)| literal(&k["rtnl_link_".len()..]))
                .map(|(k, v)| {
                    let module = normalize(&v.value);
                    let ev = Evidence::new(&path, format!("alias {k} {module}"));
                    (k["rtnl_link_".len()..].to_string(), module, ev)
                })
                .collect();
        }
        let (Ok(list), Ok(src)) = (self.aliases(), self.modules_file("modules.alias")) else {
            return Vec::new();
        };
        list.iter()
            .filter_map(|a| {
                let k = a.pattern.strip_prefix("rtnl-link-")?;
                literal(k).then(|| {
                    (
                        k.replace('-', "_"),
                        a.module.clone(),
                        Evidence::new(
                            format!("{src}:{}", a.line),
                            format!("alias {} {}", a.pattern, a.module),
                        ),
                    )
                })
            })
            .collect()
    }

    /// Devices whose modalias the alias index maps to a module: one index
    /// search per device, shared by every module checked. `None` when there
    /// is no usable alias index (the caller matches the text file's patterns).
    pub fn device_modules(&self) -> Option<&Loaded<DeviceModules>> {
        self.kmod_indexes()
            .device_modules
            .get_or_init(|| {
                // Only with an index: without one, matching each module's own
                // patterns is cheaper than asking every device.
                if !matches!(
                    self.with_index("modules.alias.bin", |_, _| Ok(())),
                    Use::Used(..)
                ) {
                    return None;
                }
                let devices = match self.modaliases() {
                    Ok(d) => d,
                    Err(e) => return Some(Err(e.clone())),
                };
                let mut out = Vec::new();
                let source = self.modules_file("modules.alias.bin").ok()?;
                // Many devices share a modalias (ACPI bridges, virtio queues):
                // each distinct one is searched once.
                let mut searched: HashMap<String, Vec<String>> = HashMap::new();
                for (dev, alias) in devices {
                    let q = normalize(alias);
                    let mods = match searched.get(&q) {
                        Some(m) => m.clone(),
                        None => match self
                            .with_index("modules.alias.bin", |idx, _| idx.search_wild(&q))
                        {
                            Use::Used(vals, _) => {
                                let m: Vec<String> =
                                    vals.into_iter().map(|v| normalize(&v.value)).collect();
                                searched.insert(q, m.clone());
                                m
                            }
                            // Broke on the way: fall back for everything.
                            _ => return None,
                        },
                    };
                    if !mods.is_empty() {
                        out.push((dev.clone(), alias.clone(), mods));
                    }
                }
                let mut by_module: HashMap<String, Vec<usize>> = HashMap::new();
                for (i, (_, _, mods)) in out.iter().enumerate() {
                    for m in mods {
                        let v = by_module.entry(m.clone()).or_default();
                        if v.last() != Some(&i) {
                            v.push(i);
                        }
                    }
                }
                Some(Ok(DeviceModules {
                    source,
                    total: devices.len(),
                    devices: out,
                    by_module,
                }))
            })
            .as_ref()
    }
}

/// Every way to spell `t` with each `_` read as `_` or `-`.
fn spellings(t: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for c in t.chars() {
        if c == '_' {
            out = out
                .into_iter()
                .flat_map(|s| [format!("{s}_"), format!("{s}-")])
                .collect();
        } else {
            out.iter_mut().for_each(|s| s.push(c));
        }
    }
    out
}

/// modprobe compares aliases with dashes read as underscores, except inside
/// bracket expressions.
pub fn alias_matches(pattern: &str, norm_query: &str) -> bool {
    super::parse::alias::fnmatch(normalize_alias(pattern).as_bytes(), norm_query.as_bytes())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fs_type_spellings() {
        assert_eq!(spellings("ext4"), ["ext4"]);
        assert_eq!(spellings("binfmt_misc"), ["binfmt_misc", "binfmt-misc"]);
        assert_eq!(spellings("a_b_c").len(), 4);
    }

    #[test]
    fn alias_normalization_matches_resolve() {
        assert!(alias_matches("fs-ext4", "fs_ext4"));
        assert!(alias_matches("a[x-z]b", "ayb"));
        assert!(!alias_matches("a[x-z]b", "a_b"));
    }
}
