//! kmod's binary indexes against the text files depmod wrote beside them, on a
//! real Debian kernel tree (tests/fixtures/kmod-index: the modules.* files of
//! linux-image-6.1.0-57-cloud-amd64, indexes made by `depmod -b`, kmod 30).
//!
//! Every key of modules.dep, modules.alias, modules.symbols, modules.builtin
//! and the aliases of modules.builtin.modinfo is looked up in its index and
//! compared with the answer the text file gives. More trees (a full
//! distribution kernel) can be compared by setting KMOD_DOCTOR_INDEX_TREES to
//! a colon-separated list of `/lib/modules/R` directories.

use kmod_doctor::facts::kmod_index::{Index, Load, normalize_alias};
use kmod_doctor::facts::name::{module_name_from_path, normalize};
use kmod_doctor::facts::parse::alias::fnmatch;
use kmod_doctor::root::Root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const FIXTURE: &str = "tests/fixtures/kmod-index/6.1.0-57-cloud-amd64.tar.gz";
const RELEASE: &str = "6.1.0-57-cloud-amd64";

/// Unpacks the fixture as a root: `<tmp>/lib/modules/<R>/modules.*`.
fn fixture_root() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("lib/modules").join(RELEASE);
    std::fs::create_dir_all(&dir).unwrap();
    let f = std::fs::File::open(FIXTURE).unwrap();
    tar::Archive::new(flate2::read::GzDecoder::new(f))
        .unpack(&dir)
        .unwrap();
    (t, dir)
}

fn trees() -> Vec<(Option<tempfile::TempDir>, PathBuf)> {
    let (t, dir) = fixture_root();
    let mut out = vec![(Some(t), dir)];
    if let Ok(list) = std::env::var("KMOD_DOCTOR_INDEX_TREES") {
        for d in list.split(':').filter(|d| !d.is_empty()) {
            out.push((None, PathBuf::from(d)));
        }
    }
    out
}

/// Opens `<dir>/<file>` in both read modes through a Root at `dir`.
fn open_both(dir: &Path, file: &str) -> (Index, Index) {
    let root = Root::open(dir).unwrap();
    let p = format!("/{file}");
    (
        Index::open(&root, &p, Load::Whole).unwrap(),
        Index::open(&root, &p, Load::Paged).unwrap(),
    )
}

fn text(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

/// `alias PATTERN MODULE` lines, in file order.
fn alias_lines(s: &str) -> Vec<(String, String)> {
    s.lines()
        .filter(|l| l.starts_with("alias "))
        .map(|l| {
            let mut c = l.split_whitespace().skip(1);
            (c.next().unwrap().to_string(), c.next().unwrap().to_string())
        })
        .collect()
}

/// A string the pattern matches: each `*` spelled as `fill`, `?` as `X`, a
/// bracket expression as its first member.
fn instance(pattern: &str, fill: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str(fill),
            '?' => out.push('X'),
            '[' => {
                let mut first = None;
                for d in chars.by_ref() {
                    if d == ']' && first.is_some() {
                        break;
                    }
                    if first.is_none() && d != '!' && d != '^' {
                        first = Some(d);
                    }
                }
                out.push(first.unwrap_or('X'));
            }
            c => out.push(c),
        }
    }
    out
}

/// The text file's patterns as kmod compares them: dashes read as
/// underscores outside brackets (depmod drops unmatched brackets).
fn normalized(lines: &[(String, String)]) -> Vec<(String, String)> {
    lines
        .iter()
        .filter_map(|(p, m)| Some((normalize_alias(p)?, m.clone())))
        .collect()
}

/// Modules the text file names for `query` (fnmatch over the normalized
/// patterns), first occurrence first.
fn text_answer(lines: &[(String, String)], query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (np, m) in lines {
        if fnmatch(np.as_bytes(), query.as_bytes()) && !out.contains(m) {
            out.push(m.clone());
        }
    }
    out
}

fn index_answer(idx: &mut Index, query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in idx.search_wild(query).unwrap() {
        if !out.contains(&v.value) {
            out.push(v.value);
        }
    }
    out
}

#[test]
fn modules_dep_every_module() {
    for (_t, dir) in trees() {
        let (mut whole, mut paged) = open_both(&dir, "modules.dep.bin");
        let dep = text(&dir, "modules.dep");
        let mut first: BTreeMap<String, String> = BTreeMap::new();
        for line in dep.lines().filter(|l| !l.is_empty()) {
            let (path, _) = line.split_once(':').unwrap();
            let name = module_name_from_path(path).unwrap();
            first.entry(name).or_insert_with(|| line.to_string());
        }
        assert!(first.len() > 1000, "{} modules", first.len());
        for (name, line) in &first {
            assert_eq!(whole.lookup(name).unwrap().as_deref(), Some(line.as_str()));
            assert_eq!(paged.lookup(name).unwrap().as_deref(), Some(line.as_str()));
            // Names are stored with underscores only.
            if name.contains('_') {
                assert_eq!(whole.lookup(&name.replace('_', "-")).unwrap(), None);
            }
        }
        for absent in ["", "nosuchmodule", "virtio_ne", "virtio_nett"] {
            assert_eq!(whole.lookup(absent).unwrap(), None, "{absent}");
        }
        // The dump holds exactly the text file's modules.
        let keys: BTreeSet<String> = whole.dump().unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, first.keys().cloned().collect());
    }
}

#[test]
fn modules_alias_every_alias() {
    for (_t, dir) in trees() {
        let (mut whole, mut paged) = open_both(&dir, "modules.alias.bin");
        let lines = alias_lines(&text(&dir, "modules.alias"));
        let norm = normalized(&lines);
        assert!(lines.len() > 2000);
        // Same (key, module) pairs as the text file, keys spelled as depmod does.
        let from_text: BTreeSet<(String, String)> = lines
            .iter()
            .filter_map(|(p, m)| Some((normalize_alias(p)?, m.clone())))
            .collect();
        let from_index: BTreeSet<(String, String)> = whole
            .dump()
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, v.value))
            .collect();
        assert_eq!(from_index, from_text);
        // Text answers cost a pass over every pattern, so on big trees every
        // k-th pattern is queried (KMOD_DOCTOR_INDEX_STRIDE=1: all of them).
        let stride = std::env::var("KMOD_DOCTOR_INDEX_STRIDE")
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(lines.len() / 3000)
            .max(1);
        let mut compared = 0;
        for (p, _) in lines.iter().step_by(stride) {
            for q in [
                normalize(&instance(p, "")),
                normalize(&instance(p, "00")),
                normalize(p),
            ] {
                let want = text_answer(&norm, &q);
                assert_eq!(index_answer(&mut whole, &q), want, "query {q:?}");
                assert_eq!(index_answer(&mut paged, &q), want, "query {q:?}");
                compared += 1;
            }
        }
        assert!(compared >= 3 * lines.len() / stride);
        for q in ["", "nothing:at:all", "pci:", "*"] {
            assert_eq!(index_answer(&mut whole, q), text_answer(&norm, q), "{q:?}");
        }
    }
}

#[test]
fn modules_symbols_every_symbol() {
    for (_t, dir) in trees() {
        let (mut whole, _) = open_both(&dir, "modules.symbols.bin");
        let lines = alias_lines(&text(&dir, "modules.symbols"));
        assert!(lines.len() > 1000);
        let mut first: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (s, m) in &lines {
            first.entry(s.as_str()).or_default().push(m.as_str());
        }
        for (sym, mods) in &first {
            let got: Vec<String> = whole
                .search_wild(sym)
                .unwrap()
                .into_iter()
                .map(|v| v.value)
                .collect();
            let mut want: Vec<String> = mods.iter().map(|m| m.to_string()).collect();
            let mut got_sorted = got.clone();
            got_sorted.sort();
            want.sort();
            assert_eq!(got_sorted, want, "{sym}");
        }
    }
}

#[test]
fn modules_builtin_every_module_and_alias() {
    for (_t, dir) in trees() {
        let (mut whole, mut paged) = open_both(&dir, "modules.builtin.bin");
        let names: BTreeSet<String> = text(&dir, "modules.builtin")
            .lines()
            .filter_map(module_name_from_path)
            .collect();
        assert!(names.len() > 50);
        for n in &names {
            assert_eq!(whole.lookup(n).unwrap().as_deref(), Some(""), "{n}");
            assert_eq!(paged.lookup(n).unwrap().as_deref(), Some(""), "{n}");
        }
        assert_eq!(whole.lookup("virtio_net").unwrap(), None);
        let keys: BTreeSet<String> = whole.dump().unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, names);

        // modules.builtin.alias.bin against the aliases in modules.builtin.modinfo.
        let (mut balias, _) = open_both(&dir, "modules.builtin.alias.bin");
        let modinfo = std::fs::read(dir.join("modules.builtin.modinfo")).unwrap();
        let mut lines = Vec::new();
        for rec in modinfo.split(|b| *b == 0) {
            let rec = String::from_utf8_lossy(rec);
            if let Some((key, v)) = rec.split_once('=')
                && let Some((m, "alias")) = key.split_once('.')
            {
                lines.push((v.to_string(), m.to_string()));
            }
        }
        assert!(!lines.is_empty());
        let norm = normalized(&lines);
        for (p, _) in &lines {
            for q in [normalize(&instance(p, "")), normalize(&instance(p, "ab"))] {
                assert_eq!(
                    index_answer(&mut balias, &q),
                    text_answer(&norm, &q),
                    "{q:?}"
                );
            }
        }
    }
}

#[test]
fn paged_exact_lookup_reads_few_pages() {
    let (_t, dir) = fixture_root();
    let (_, mut paged) = open_both(&dir, "modules.dep.bin");
    let size = std::fs::metadata(dir.join("modules.dep.bin"))
        .unwrap()
        .len();
    assert!(paged.lookup("virtio_net").unwrap().is_some());
    let pages = paged.pages_read();
    assert!(
        pages > 0 && (pages as u64) * 4096 * 4 < size,
        "{pages} pages of a {size}-byte file"
    );
}

#[test]
fn fs_types_from_the_index_cover_the_text() {
    use kmod_doctor::facts::System;
    let (t, dir) = fixture_root();
    let lines = alias_lines(&text(&dir, "modules.alias"));
    let mut by_module: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (p, m) in &lines {
        if let Some(fs) = p.strip_prefix("fs-") {
            by_module
                .entry(normalize(m))
                .or_default()
                .insert(fs.to_string());
        }
    }
    assert!(by_module.len() > 20, "{}", by_module.len());
    let with = Root::open(t.path()).unwrap();
    let sys = System::new(&with, Some(RELEASE));
    // The same tree without indexes: the text answer.
    let plain = tempfile::tempdir().unwrap();
    let pdir = plain.path().join("lib/modules").join(RELEASE);
    std::fs::create_dir_all(&pdir).unwrap();
    std::fs::copy(dir.join("modules.alias"), pdir.join("modules.alias")).unwrap();
    let without = Root::open(plain.path()).unwrap();
    let tsys = System::new(&without, Some(RELEASE));
    for (m, want) in &by_module {
        let got = sys.fs_types(m);
        assert_eq!(&tsys.fs_types(m), want, "{m}");
        assert!(want.is_subset(&got), "{m}: {want:?} ⊄ {got:?}");
        for g in &got {
            assert!(
                want.iter().any(|w| normalize(w) == normalize(g)),
                "{m}: extra {g}"
            );
        }
    }
    assert!(sys.fs_types("virtio_net").is_empty());
}
