//! Facts about the whole system, read once per run and only when first needed,
//! then shared by every module checked (`check a b c`, `scan`).

use super::parse::{alias, builtin, kconfig, moddep, modprobe_d, proc_modules};
use super::table::Evidence;
use crate::root::{ReadError, ReadErrorKind, Root};
use std::cell::OnceCell;
use std::collections::HashMap;

/// modprobe.d directories, highest priority first: a file name in an earlier
/// directory hides the same name in later ones (kmod's rule).
pub const MODPROBE_D_DIRS: &[&str] = &[
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/usr/lib/modprobe.d",
    "/lib/modprobe.d",
];

pub type Loaded<T> = Result<T, ReadError>;

/// Modules a run asks about with one search of modules.alias each before it
/// just reads the devices (a check, its dependencies and a few more).
const DEVICE_ALIAS_SEARCHES: u32 = 4;

/// How many searches [`System::has_device_alias`] may make in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Searches {
    /// A few, to spare the devices' walk ([`DEVICE_ALIAS_SEARCHES`]).
    Few,
    /// Any number: the devices could not be read, only the aliases can tell.
    Any,
}

/// Kernel build configuration as far as it matters for unloading.
#[derive(Debug, Clone, Default)]
pub struct ConfigFacts {
    /// The file read, or `None` when no config was found.
    pub source: Option<String>,
    pub config: kconfig::KernelConfig,
    /// Paths tried and why each failed, for the report.
    pub tried: Vec<ReadError>,
}

impl ConfigFacts {
    /// The value of `sym` with its evidence. A symbol the file does not
    /// mention is unknown (`None`): a truncated or damaged config is no proof
    /// that an option is off. The one inference made: a symbol that depends on
    /// an option the file explicitly turns off is off too (FORCE_UNLOAD needs
    /// MODULE_UNLOAD, which needs MODULES).
    pub fn symbol(&self, sym: &str) -> Option<(bool, Evidence)> {
        let src = self.source.as_deref()?;
        if let Some((on, line, v)) = self.config.enabled(sym) {
            let text = if v == "n" {
                format!("# {sym} is not set")
            } else {
                format!("{sym}={v}")
            };
            return Some((on, Evidence::new(format!("{src}:{line}"), text)));
        }
        let parent = match sym {
            "CONFIG_MODULE_FORCE_UNLOAD" => "CONFIG_MODULE_UNLOAD",
            "CONFIG_MODULE_UNLOAD" => "CONFIG_MODULES",
            _ => return None,
        };
        match self.symbol(parent) {
            Some((false, ev)) => Some((
                false,
                Evidence::new(ev.path, format!("{} ({sym} depends on it)", ev.value)),
            )),
            _ => None,
        }
    }
}

pub struct System<'r> {
    pub root: &'r Root,
    release: Loaded<(String, Evidence)>,
    proc_modules: OnceCell<Loaded<Option<Vec<proc_modules::ModuleEntry>>>>,
    moddep: OnceCell<Loaded<moddep::ModulesDep>>,
    aliases: OnceCell<Loaded<Vec<alias::Alias>>>,
    builtin: OnceCell<Loaded<HashMap<String, usize>>>,
    builtin_modinfo: OnceCell<Loaded<builtin::Modinfo>>,
    modprobe_conf: OnceCell<modprobe_d::ModprobeConf>,
    config: OnceCell<ConfigFacts>,
    modaliases: OnceCell<Loaded<Vec<(String, String)>>>,
    device_alias_asked: std::cell::Cell<u32>,
    device_alias_budget: std::cell::Cell<u32>,
    module_index: OnceCell<HashMap<String, usize>>,
    /// Loaded module → the loaded modules it holds (whose used-by column
    /// names it), so a removal does not scan the table per module it takes.
    held_index: OnceCell<HashMap<String, Vec<usize>>>,
    /// Removal sets by target: the facts and the pipeline ask for the same
    /// module's set more than once per run.
    removal_sets: std::cell::RefCell<HashMap<String, Vec<super::removal::Member>>>,
    alias_index: OnceCell<HashMap<String, Vec<usize>>>,
    kmod_indexes: super::lookup::Indexes,
    /// Kernel-wide facts, the same for every module of the run.
    kernel_facts: OnceCell<super::table::FactTable>,
    /// Small system-wide files (sysctls, /proc/cmdline, /proc/crypto) that
    /// every module's facts consult: read once per run.
    shared: std::cell::RefCell<HashMap<String, Loaded<String>>>,
}

impl<'r> System<'r> {
    /// `release` overrides the running kernel's release, as `modprobe -S` does.
    pub fn new(root: &'r Root, release: Option<&str>) -> System<'r> {
        let release = match release {
            Some(r) => Ok((r.to_string(), Evidence::new("--kernel-release", r))),
            None => root.read_attr("/proc/sys/kernel/osrelease").and_then(|r| {
                // A release names a directory under /lib/modules: one short
                // line of the characters kernels use, nothing else.
                let sane = !r.is_empty()
                    && r.len() <= 64
                    && r != "."
                    && r != ".."
                    && r.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._+~-".contains(&b));
                if !sane {
                    let shown: String = r.chars().take(40).collect();
                    Err(ReadError::new(
                        "/proc/sys/kernel/osrelease",
                        ReadErrorKind::Malformed(format!(
                            "not a kernel release ({} bytes, starting {:?})",
                            r.len(),
                            shown
                        )),
                    ))
                } else {
                    Ok((r.clone(), Evidence::new("/proc/sys/kernel/osrelease", r)))
                }
            }),
        };
        System {
            root,
            release,
            proc_modules: OnceCell::new(),
            moddep: OnceCell::new(),
            aliases: OnceCell::new(),
            builtin: OnceCell::new(),
            builtin_modinfo: OnceCell::new(),
            modprobe_conf: OnceCell::new(),
            config: OnceCell::new(),
            modaliases: OnceCell::new(),
            device_alias_asked: Default::default(),
            device_alias_budget: std::cell::Cell::new(DEVICE_ALIAS_SEARCHES),
            module_index: OnceCell::new(),
            held_index: OnceCell::new(),
            removal_sets: Default::default(),
            alias_index: OnceCell::new(),
            kmod_indexes: Default::default(),
            kernel_facts: OnceCell::new(),
            shared: Default::default(),
        }
    }

    /// kmod's binary indexes, opened on first use (see [`super::lookup`]).
    pub(crate) fn kmod_indexes(&self) -> &super::lookup::Indexes {
        &self.kmod_indexes
    }

    /// The kernel-wide facts ([`super::kernel::gather`]), gathered once.
    pub fn kernel_facts(&self) -> &super::table::FactTable {
        self.kernel_facts.get_or_init(|| {
            let mut t = super::table::FactTable::default();
            super::kernel::gather(self, &mut t);
            t
        })
    }

    /// A system-wide file's text, read once per run (every module's facts
    /// consult the same sysctls and tables).
    pub fn read_shared(&self, path: &str) -> Loaded<String> {
        if let Some(hit) = self.shared.borrow().get(path) {
            return hit.clone();
        }
        let got = self.root.read_to_string(path);
        self.shared
            .borrow_mut()
            .insert(path.to_string(), got.clone());
        got
    }

    /// [`Self::read_shared`] of an attribute file, its newline trimmed.
    pub fn read_shared_attr(&self, path: &str) -> Loaded<String> {
        self.read_shared(path)
            .map(|v| v.trim_end_matches(['\n', '\r']).to_string())
    }

    pub fn release(&self) -> &Loaded<(String, Evidence)> {
        &self.release
    }

    /// `/lib/modules/<release>/<file>`.
    pub fn modules_file(&self, file: &str) -> Loaded<String> {
        match &self.release {
            Ok((r, _)) => Ok(format!("/lib/modules/{r}/{file}")),
            Err(e) => Err(e.clone()),
        }
    }

    /// `None` when the file does not exist: the kernel has no module support.
    pub fn proc_modules(&self) -> &Loaded<Option<Vec<proc_modules::ModuleEntry>>> {
        self.proc_modules
            .get_or_init(|| match self.root.read_to_string("/proc/modules") {
                Ok(text) => proc_modules::parse(&text, "/proc/modules").map(Some),
                Err(e) if e.kind == ReadErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            })
    }

    /// The /proc/modules line of a loaded module, by name, without a scan of
    /// the table per question (scan asks for every module).
    pub fn loaded_entry(&self, name: &str) -> Option<&proc_modules::ModuleEntry> {
        let Ok(Some(list)) = self.proc_modules() else {
            return None;
        };
        let index = self.module_index.get_or_init(|| {
            list.iter()
                .enumerate()
                .map(|(i, e)| (e.name.clone(), i))
                .collect()
        });
        index.get(name).map(|i| &list[*i])
    }

    /// The loaded modules `name` holds: those whose used-by column names it.
    pub fn held_by(&self, name: &str) -> Vec<&proc_modules::ModuleEntry> {
        let Ok(Some(list)) = self.proc_modules() else {
            return Vec::new();
        };
        let index = self.held_index.get_or_init(|| {
            let mut m: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, e) in list.iter().enumerate() {
                for h in &e.holders {
                    let v = m.entry(h.clone()).or_default();
                    if v.last() != Some(&i) {
                        v.push(i);
                    }
                }
            }
            m
        });
        index
            .get(name)
            .map(|v| v.iter().map(|i| &list[*i]).collect())
            .unwrap_or_default()
    }

    /// `compute`'s removal set of `target`, computed once per run.
    pub(crate) fn removal_set_memo(
        &self,
        target: &str,
        compute: impl FnOnce() -> Vec<super::removal::Member>,
    ) -> Vec<super::removal::Member> {
        if let Some(set) = self.removal_sets.borrow().get(target) {
            return set.clone();
        }
        let set = compute();
        self.removal_sets
            .borrow_mut()
            .insert(target.to_string(), set.clone());
        set
    }

    /// modules.alias entries of one module.
    pub fn aliases_of(&self, module: &str) -> Loaded<Vec<&alias::Alias>> {
        let list = self.aliases().as_ref().map_err(Clone::clone)?;
        let index = self.alias_index.get_or_init(|| {
            let mut m: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, a) in list.iter().enumerate() {
                m.entry(a.module.clone()).or_default().push(i);
            }
            m
        });
        Ok(index
            .get(module)
            .map(|v| v.iter().map(|i| &list[*i]).collect())
            .unwrap_or_default())
    }

    /// Whether `module` has an alias a device can carry, and the file that
    /// says so; `None` when modules.alias cannot be read, or when enough
    /// modules asked already: one search of the text (a block at a time,
    /// stopping at the first such alias) is cheap next to the walk of the
    /// devices for a check and its dependencies, but a run that judges many
    /// modules (scan) reads the devices for one of them anyway.
    pub fn has_device_alias(&self, module: &str, searches: Searches) -> Option<(bool, String)> {
        let p = self.modules_file("modules.alias").ok()?;
        if let Some(list) = self.aliases.get() {
            let list = list.as_ref().ok()?;
            let any = list
                .iter()
                .any(|a| a.module == module && a.pattern.contains(':'));
            return Some((any, p));
        }
        let asked = self.device_alias_asked.get() + 1;
        self.device_alias_asked.set(asked);
        if searches == Searches::Few && asked > self.device_alias_budget.get() {
            return None;
        }
        let mut found = false;
        self.scan_lines(&p, |lines| {
            found = alias::has_device_alias(lines, module);
            found
        })?;
        Some((found, p))
    }

    /// The run judges every loaded module (scan): one of them surely has
    /// its devices read, so none searches modules.alias to spare it.
    pub fn judging_all_modules(&self) {
        self.device_alias_budget.set(0);
    }

    /// `f` over runs of whole lines of `path` (see [`crate::root::RangedFile::lines`]).
    fn scan_lines(&self, path: &str, f: impl FnMut(&[u8]) -> bool) -> Option<()> {
        self.root.open_ranged(path).ok()?.lines(64 * 1024, f).ok()
    }

    pub fn moddep(&self) -> &Loaded<moddep::ModulesDep> {
        self.moddep.get_or_init(|| {
            let p = self.modules_file("modules.dep")?;
            moddep::parse(&self.root.read_to_string(&p)?, &p)
        })
    }

    pub fn aliases(&self) -> &Loaded<Vec<alias::Alias>> {
        self.aliases.get_or_init(|| {
            let p = self.modules_file("modules.alias")?;
            alias::parse(&self.root.read_to_string(&p)?, &p)
        })
    }

    pub fn builtin(&self) -> &Loaded<HashMap<String, usize>> {
        self.builtin.get_or_init(|| {
            let p = self.modules_file("modules.builtin")?;
            builtin::parse_list(&self.root.read_to_string(&p)?, &p)
        })
    }

    pub fn builtin_modinfo(&self) -> &Loaded<builtin::Modinfo> {
        self.builtin_modinfo.get_or_init(|| {
            let p = self.modules_file("modules.builtin.modinfo")?;
            builtin::parse_modinfo(&self.root.read_bytes(&p)?, &p)
        })
    }

    /// All modprobe.d files, merged in kmod's order. Unreadable files become
    /// warnings: configuration is advisory for our verdict.
    pub fn modprobe_conf(&self) -> &modprobe_d::ModprobeConf {
        self.modprobe_conf.get_or_init(|| {
            let mut seen = std::collections::BTreeMap::<String, String>::new();
            // kmod reads the module tree's modules.softdep as one more
            // configuration file, sorted among the others by name.
            if let Ok(p) = self.modules_file("modules.softdep")
                && self.root.exists(&p)
            {
                seen.insert("modules.softdep".into(), p);
            }
            for dir in MODPROBE_D_DIRS {
                let Ok(names) = self.root.read_dir(dir) else {
                    continue;
                };
                for n in names.into_iter().filter(|n| n.ends_with(".conf")) {
                    if let Some(p) = crate::root::child(dir, &n) {
                        seen.entry(n).or_insert(p);
                    }
                }
            }
            let mut conf = modprobe_d::ModprobeConf::default();
            for path in seen.values() {
                match self.root.read_to_string(path) {
                    Ok(text) => conf.parse_file(&text, path),
                    Err(e) => conf.warnings.push((
                        e.reason(),
                        modprobe_d::Origin {
                            path: path.clone(),
                            line: 0,
                        },
                    )),
                }
            }
            conf
        })
    }

    /// Config from `/proc/config.gz`, else `/boot/config-R`, else
    /// `/lib/modules/R/config`.
    pub fn config(&self) -> &ConfigFacts {
        self.config.get_or_init(|| {
            let mut facts = ConfigFacts::default();
            let mut candidates = vec!["/proc/config.gz".to_string()];
            if let Ok((r, _)) = &self.release {
                candidates.push(format!("/boot/config-{r}"));
                candidates.push(format!("/lib/modules/{r}/config"));
            }
            for path in candidates {
                // Parsing (and for config.gz, decompressing) stops once the
                // symbols the verdict reads have been seen.
                let parsed = self.root.read_bytes(&path).and_then(|bytes| {
                    let gz = path.ends_with(".gz");
                    let r = if gz {
                        use std::io::Read;
                        let dec = flate2::read::GzDecoder::new(&bytes[..]).take(GUNZIP_LIMIT);
                        kconfig::parse_until(std::io::BufReader::new(dec), kconfig::WANTED)
                    } else {
                        kconfig::parse_wanted(&bytes, kconfig::WANTED)
                    };
                    r.map_err(|e| {
                        let what = match (e, gz) {
                            (kconfig::ConfigReadError::Io(m), _) => format!("gzip: {m}"),
                            (kconfig::ConfigReadError::NotUtf8 { line }, true) => {
                                format!("line {line}: not UTF-8 after gunzip")
                            }
                            (kconfig::ConfigReadError::NotUtf8 { line }, false) => {
                                format!("line {line}: not UTF-8")
                            }
                        };
                        ReadError::new(&path, ReadErrorKind::Malformed(what))
                    })
                });
                match parsed {
                    Ok(c) => {
                        facts.config = c;
                        facts.source = Some(path);
                        break;
                    }
                    Err(e) => facts.tried.push(e),
                }
            }
            facts
        })
    }

    /// Whether [`Self::modaliases`] was already read this run: asking a
    /// module's aliases first then saves nothing.
    pub fn modaliases_read(&self) -> bool {
        matches!(self.modaliases.get(), Some(Ok(_)))
    }

    /// Every device's modalias, as (device path, modalias): what udev matches
    /// against modules.alias when a device appears.
    pub fn modaliases(&self) -> &Loaded<Vec<(String, String)>> {
        self.modaliases.get_or_init(|| {
            let files = self.root.read_attrs_named(
                "/sys/devices",
                "modalias",
                12,
                SYSFS_ATTRIBUTE_GROUPS,
            )?;
            let mut out = Vec::new();
            for (f, v) in files {
                if let Ok(v) = v
                    && !v.is_empty()
                {
                    let dev = f.trim_end_matches("/modalias").to_string();
                    out.push((dev, v));
                }
            }
            // Sorted by modalias, so a pattern's literal prefix narrows the
            // candidates to a range (thousands of devices, hundreds of drivers).
            out.sort_by(|a, b| a.1.cmp(&b.1));
            Ok(out)
        })
    }

    pub fn read_flag(&self, path: &str) -> Loaded<(bool, Evidence)> {
        let v = self.root.read_attr(path)?;
        match v.trim() {
            "0" => Ok((false, Evidence::new(path, "0"))),
            "1" => Ok((true, Evidence::new(path, "1"))),
            other => Err(ReadError::new(
                path,
                ReadErrorKind::Malformed(format!("expected 0 or 1, found {other:?}")),
            )),
        }
    }
}

/// Directories sysfs makes for attribute groups of a device, never for a
/// device: no modalias lives below them, so the walk does not enter them
/// (`power/` alone is under every device).
pub const SYSFS_ATTRIBUTE_GROUPS: &[&str] = &[
    "power",
    "statistics",
    "queue",
    "queues",
    "mq",
    "msi_irqs",
    "integrity",
    "trace",
    "holders",
    "slaves",
];

/// Most a compressed config may expand to.
pub const GUNZIP_LIMIT: u64 = 16 * 1024 * 1024;

/// Decompresses with a bound, so a gzip bomb posing as a kernel config cannot
/// exhaust memory.
pub fn gunzip_bounded(bytes: &[u8], path: &str) -> Loaded<String> {
    use std::io::Read;
    const LIMIT: u64 = GUNZIP_LIMIT;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(LIMIT + 1)
        .read_to_end(&mut out)
        .map_err(|e| ReadError::new(path, ReadErrorKind::Malformed(format!("gzip: {e}"))))?;
    if out.len() as u64 > LIMIT {
        return Err(ReadError::new(
            path,
            ReadErrorKind::TooLarge { limit: LIMIT },
        ));
    }
    String::from_utf8(out).map_err(|_| {
        ReadError::new(
            path,
            ReadErrorKind::Malformed("not UTF-8 after gunzip".into()),
        )
    })
}
