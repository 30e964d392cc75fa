//! Property tests for every pure parser (issue 6): arbitrary bytes never
//! panic, errors name the file and a line that exists, and where the format
//! allows it, what we format the way the kernel (or depmod, or modprobe.d's
//! author) writes it parses back to the same values.
//!
//! Case counts are modest so `cargo test` stays fast; `scripts/fuzz` is where
//! long runs go. Set `PROPTEST_CASES` to run more.

use kmod_doctor::facts::parse::{
    alias, builtin, devname, kconfig, moddep, modprobe_d, proc_modules,
};
use kmod_doctor::facts::system::gunzip_bounded;
use kmod_doctor::root::{DevKind, ReadErrorKind};
use kmod_doctor::rules::{RuleSet, condition, template::Template};
use proptest::prelude::*;
use std::collections::HashMap;

fn cfg() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        // Shrinking a failure is useful; hundreds of thousands of shrink
        // steps on a slow parser are not.
        max_shrink_iters: 2048,
        // Failures are turned into named regression tests by hand rather
        // than saved in files next to the sources.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ------------------------------------------------------------ generators

/// Bytes that are mostly printable with the separators the formats use, so
/// that random input reaches past the first column check.
fn messy_text() -> impl Strategy<Value = String> {
    prop_oneof![
        // Raw bytes, lossily decoded (what a corrupt file read as text gives).
        proptest::collection::vec(any::<u8>(), 0..512)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        // Arbitrary Unicode.
        any::<String>(),
        // Lines of tokens taken from the formats themselves.
        proptest::collection::vec(line_of_tokens(), 0..12).prop_map(|l| l.join("\n")),
    ]
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("-".to_string()),
        Just("[permanent],".to_string()),
        Just("Live".to_string()),
        Just("Loading".to_string()),
        Just("Unloading".to_string()),
        Just("alias".to_string()),
        Just("options".to_string()),
        Just("install".to_string()),
        Just("remove".to_string()),
        Just("blacklist".to_string()),
        Just("softdep".to_string()),
        Just("pre:".to_string()),
        Just("post:".to_string()),
        Just("#".to_string()),
        Just("\\".to_string()),
        Just(":".to_string()),
        Just("=".to_string()),
        Just("CONFIG_MODULES=y".to_string()),
        Just("# CONFIG_X is not set".to_string()),
        Just("kernel/fs/fuse/fuse.ko:".to_string()),
        Just("x.ko.xz".to_string()),
        Just("c10:238".to_string()),
        Just("b8:0".to_string()),
        Just("0xffffffffc0400000".to_string()),
        Just("(POE)".to_string()),
        Just("(".to_string()),
        Just("é".to_string()),
        Just("\u{0}".to_string()),
        Just("\r".to_string()),
        chars("abcdefghijklmnopqrstuvwxyz_", 1..9),
        chars(DIGITS, 1..23),
        (any::<bool>(), chars(DIGITS, 1..21)).prop_map(|(neg, d)| if neg {
            format!("-{d}")
        } else {
            d
        }),
        proptest::collection::vec(chars(LOWER, 1..7), 1..5).prop_map(|v| v.join(",") + ","),
        chars(PRINTABLE, 0..11),
    ]
}

fn line_of_tokens() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(token(), 0..9),
        prop_oneof![Just(" "), Just("\t"), Just("  "), Just(" \t ")],
    )
        .prop_map(|(t, sep)| t.join(sep))
}

/// A string of `len` characters from `set` (cheaper than a regex strategy,
/// which is slow in debug builds).
fn chars(set: &'static str, len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    let set: Vec<char> = set.chars().collect();
    proptest::collection::vec(proptest::sample::select(set), len)
        .prop_map(|v| v.into_iter().collect())
}

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const NAME: &str = "abcdefghijklmnopqrstuvwxyz0123456789_";
const DIGITS: &str = "0123456789";
const PRINTABLE: &str = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

fn module_name() -> impl Strategy<Value = String> {
    (chars(LOWER, 1..2), chars(NAME, 0..31)).prop_map(|(a, b)| a + &b)
}

/// `a/b/c`: one to four path components.
fn rel_dir() -> impl Strategy<Value = String> {
    proptest::collection::vec(chars(NAME, 1..7), 1..5).prop_map(|v| v.join("/"))
}

/// The `line N` a parse error names, if any.
fn error_line(msg: &str) -> Option<usize> {
    let i = msg.find("line ")?;
    msg[i + 5..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// A parse error must name the file and a line that exists.
fn assert_names_path_and_line(err: &kmod_doctor::root::ReadError, path: &str, text: &str) {
    assert_eq!(err.path, path);
    let shown = err.to_string();
    assert!(shown.starts_with(path), "{shown}");
    if let Some(n) = error_line(&shown) {
        let lines = text.lines().count().max(1);
        assert!(n >= 1 && n <= lines, "line {n} of {lines}: {shown}");
    }
}

// --------------------------------------------------------- /proc/modules

#[derive(Debug, Clone)]
struct KModule {
    name: String,
    size: u64,
    refcount: Option<i64>,
    holders: Vec<String>,
    permanent: bool,
    state: proc_modules::ModState,
    address: String,
    taint: Option<String>,
}

fn kmodule() -> impl Strategy<Value = KModule> {
    (
        module_name(),
        any::<u64>(),
        proptest::option::weighted(0.9, 0i64..100_000),
        proptest::collection::vec(module_name(), 0..6),
        any::<bool>(),
        prop_oneof![
            Just(proc_modules::ModState::Live),
            Just(proc_modules::ModState::Loading),
            Just(proc_modules::ModState::Unloading),
        ],
        any::<u64>().prop_map(|a| format!("0x{a:016x}")),
        proptest::option::of(chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1..6)),
    )
        .prop_map(
            |(name, size, refcount, holders, permanent, state, address, taint)| KModule {
                name,
                size,
                refcount,
                // Without CONFIG_MODULE_UNLOAD there is no used-by column.
                holders: if refcount.is_some() { holders } else { vec![] },
                permanent: permanent && refcount.is_some(),
                state,
                address,
                taint,
            },
        )
}

/// As `m_show` in kernel/module/procfs.c prints it.
fn kernel_line(m: &KModule) -> String {
    let mut s = format!("{} {}", m.name, m.size);
    match m.refcount {
        None => s.push_str(" - -"),
        Some(rc) => {
            s.push_str(&format!(" {rc} "));
            let mut used = String::new();
            for h in &m.holders {
                used.push_str(h);
                used.push(',');
            }
            if m.permanent {
                used.push_str("[permanent],");
            }
            if used.is_empty() {
                used.push('-');
            }
            s.push_str(&used);
        }
    }
    let state = match m.state {
        proc_modules::ModState::Live => "Live",
        proc_modules::ModState::Loading => "Loading",
        proc_modules::ModState::Unloading => "Unloading",
    };
    s.push_str(&format!(" {state} {}", m.address));
    if let Some(t) = &m.taint {
        s.push_str(&format!(" ({t})"));
    }
    s
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn proc_modules_never_panics(text in messy_text()) {
        match proc_modules::parse(&text, "/proc/modules") {
            Ok(list) => for e in list {
                prop_assert!(kmod_doctor::facts::name::is_valid_module_name(&e.name));
                for h in &e.holders {
                    prop_assert!(kmod_doctor::facts::name::is_valid_module_name(h));
                }
            },
            Err(e) => assert_names_path_and_line(&e, "/proc/modules", &text),
        }
    }

    #[test]
    fn proc_modules_round_trips(mods in proptest::collection::vec(kmodule(), 0..20)) {
        let text: String = mods.iter().map(|m| kernel_line(m) + "\n").collect();
        let parsed = proc_modules::parse(&text, "/proc/modules").unwrap();
        prop_assert_eq!(parsed.len(), mods.len());
        for (i, (m, e)) in mods.iter().zip(&parsed).enumerate() {
            prop_assert_eq!(&e.name, &m.name);
            prop_assert_eq!(e.size, m.size);
            prop_assert_eq!(e.refcount, m.refcount);
            prop_assert_eq!(&e.holders, &m.holders);
            prop_assert_eq!(e.permanent, m.permanent);
            prop_assert_eq!(&e.state, &m.state);
            prop_assert_eq!(e.address.as_deref(), Some(m.address.as_str()));
            prop_assert_eq!(&e.taint, &m.taint);
            prop_assert_eq!(e.line, i + 1);
            prop_assert_eq!(&e.raw, &kernel_line(m));
        }
    }

    /// One corrupt line among good ones: the error names exactly that line.
    #[test]
    fn proc_modules_error_names_the_bad_line(
        mods in proptest::collection::vec(kmodule(), 1..10),
        at in any::<prop::sample::Index>(),
        bad in prop_oneof![
            Just("x".to_string()),
            Just("x 1 0 - Zombie 0x0".to_string()),
            Just("../evil 1 0 - Live 0x0".to_string()),
            Just("x 1 0 a/b, Live 0x0".to_string()),
            Just("x nan 0 - Live 0x0".to_string()),
            Just("x 1 0 - Live 0x0 (P) extra".to_string()),
            module_name().prop_map(|m| format!("{m} 1 1 $({m}), Live 0x0")),
        ],
    ) {
        let mut lines: Vec<String> = mods.iter().map(kernel_line).collect();
        let k = at.index(lines.len() + 1);
        lines.insert(k, bad);
        let text = lines.join("\n") + "\n";
        let e = proc_modules::parse(&text, "/proc/modules").unwrap_err();
        prop_assert_eq!(error_line(&e.to_string()), Some(k + 1), "{}", e);
    }
}

// ------------------------------------------------------------ modules.dep

fn ko_path(name: &str, dir: &str, ext: &str) -> String {
    format!("kernel/{dir}/{name}{ext}")
}

fn ko_ext() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(".ko"), Just(".ko.xz"), Just(".ko.zst"), Just(".ko.gz")]
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn moddep_never_panics(text in messy_text()) {
        if let Err(e) = moddep::parse(&text, "/lib/modules/r/modules.dep") {
            assert_names_path_and_line(&e, "/lib/modules/r/modules.dep", &text);
        }
    }

    #[test]
    fn moddep_round_trips(
        entries in proptest::collection::vec(
            (module_name(), rel_dir(), ko_ext(),
             proptest::collection::vec((module_name(), ko_ext()), 0..6)),
            0..30),
        comments in proptest::collection::vec(any::<bool>(), 30),
    ) {
        let mut text = String::new();
        let mut want: HashMap<String, (Vec<String>, usize, String)> = HashMap::new();
        let mut line = 0;
        for (i, (name, dir, ext, deps)) in entries.iter().enumerate() {
            if comments[i] {
                text.push_str("# comment: line ignored\n\n");
                line += 2;
            }
            let path = ko_path(name, dir, ext);
            let dep_paths: Vec<String> =
                deps.iter().map(|(d, e)| ko_path(d, "dep", e)).collect();
            text.push_str(&format!("{path}: {}\n", dep_paths.join(" ")));
            line += 1;
            // depmod order: the first line for a name wins.
            want.entry(name.clone()).or_insert((
                deps.iter().map(|(d, _)| d.clone()).collect(),
                line,
                path,
            ));
        }
        let d = moddep::parse(&text, "/m").unwrap();
        prop_assert_eq!(d.by_name.len(), want.len());
        for (name, (deps, line, path)) in &want {
            let e = d.get(name).unwrap();
            prop_assert_eq!(&e.deps, deps);
            prop_assert_eq!(e.line, *line);
            prop_assert_eq!(&e.path, path);
            // Lookups read dashes as underscores.
            prop_assert!(d.get(&name.replace('_', "-")).is_some());
        }
    }
}

// ----------------------------------------------------------- modules.alias

/// A straightforward recursive glob matcher, written independently of the
/// iterative one in the crate, to compare against on small inputs.
fn reference_fnmatch(p: &[u8], s: &[u8]) -> bool {
    fn class(p: &[u8], c: u8) -> Option<(bool, usize)> {
        // p[0] == b'['
        let mut j = 1;
        let neg = matches!(p.get(j), Some(b'!') | Some(b'^'));
        if neg {
            j += 1;
        }
        let start = j;
        let mut hit = false;
        loop {
            let &x = p.get(j)?;
            if x == b']' && j > start {
                return Some((hit != neg, j + 1));
            }
            if p.get(j + 1) == Some(&b'-') && p.get(j + 2).is_some_and(|&y| y != b']') {
                if x <= c && c <= p[j + 2] {
                    hit = true;
                }
                j += 3;
            } else {
                if x == c {
                    hit = true;
                }
                j += 1;
            }
        }
    }
    fn go(p: &[u8], s: &[u8], memo: &mut HashMap<(usize, usize), bool>) -> bool {
        let key = (p.len(), s.len());
        if let Some(v) = memo.get(&key) {
            return *v;
        }
        let r = match p.first() {
            None => s.is_empty(),
            Some(b'*') => go(&p[1..], s, memo) || (!s.is_empty() && go(p, &s[1..], memo)),
            Some(_) if s.is_empty() => false,
            Some(b'?') => go(&p[1..], &s[1..], memo),
            Some(b'[') => match class(p, s[0]) {
                Some((true, n)) => go(&p[n..], &s[1..], memo),
                Some((false, _)) => false,
                None => s[0] == b'[' && go(&p[1..], &s[1..], memo),
            },
            Some(&c) => c == s[0] && go(&p[1..], &s[1..], memo),
        };
        memo.insert(key, r);
        r
    }
    go(p, s, &mut HashMap::new())
}

fn glob_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            4 => Just(b'a'), 3 => Just(b'b'), 1 => Just(b'c'), 1 => Just(b'-'),
            3 => Just(b'*'), 2 => Just(b'?'), 2 => Just(b'['), 2 => Just(b']'),
            1 => Just(b'!'), 1 => Just(b'^'), 1 => any::<u8>(),
        ],
        0..14,
    )
}

fn subject_bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            4 => Just(b'a'), 3 => Just(b'b'), 1 => Just(b'c'), 1 => Just(b'-'),
            1 => Just(b'['), 1 => Just(b']'), 1 => Just(b'*'), 1 => any::<u8>(),
        ],
        0..14,
    )
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn alias_never_panics(text in messy_text()) {
        if let Err(e) = alias::parse(&text, "/a") {
            assert_names_path_and_line(&e, "/a", &text);
        }
    }

    #[test]
    fn alias_round_trips(
        entries in proptest::collection::vec(("[!-~]{1,40}", "[a-z][a-z0-9_-]{0,20}"), 0..30)
    ) {
        let mut text = String::from("# Aliases extracted from modules themselves.\n");
        for (p, m) in &entries {
            text.push_str(&format!("alias {p} {m}\n"));
        }
        let a = alias::parse(&text, "/a").unwrap();
        prop_assert_eq!(a.len(), entries.len());
        for (i, ((p, m), got)) in entries.iter().zip(&a).enumerate() {
            prop_assert_eq!(&got.pattern, p);
            prop_assert_eq!(&got.module, &m.replace('-', "_"));
            prop_assert_eq!(got.line, i + 2);
        }
    }

    #[test]
    fn fnmatch_agrees_with_reference(p in glob_bytes(), s in subject_bytes()) {
        prop_assert_eq!(
            alias::fnmatch(&p, &s),
            reference_fnmatch(&p, &s),
            "pattern {:?} subject {:?}",
            String::from_utf8_lossy(&p),
            String::from_utf8_lossy(&s)
        );
    }

    #[test]
    fn fnmatch_literal_and_wildcards(s in "[a-zA-Z0-9:_-]{0,40}", cut in any::<prop::sample::Index>()) {
        let b = s.as_bytes();
        prop_assert!(alias::fnmatch(b, b));
        prop_assert!(alias::fnmatch(b"*", b));
        let k = cut.index(b.len() + 1);
        let mut prefix = b[..k].to_vec();
        prefix.push(b'*');
        prop_assert!(alias::fnmatch(&prefix, b));
        let q: Vec<u8> = b.iter().map(|_| b'?').collect();
        prop_assert!(alias::fnmatch(&q, b));
        let mut longer = q.clone();
        longer.push(b'?');
        prop_assert!(!alias::fnmatch(&longer, b));
    }

    /// Hostile patterns cost at most pattern × subject steps: no exponential
    /// backtracking, no recursion.
    #[test]
    fn fnmatch_is_fast_on_hostile_patterns(n in 1usize..200, m in 1usize..2000) {
        let mut p = b"*a".repeat(n);
        p.push(b'b');
        let s = vec![b'a'; m];
        let t = std::time::Instant::now();
        prop_assert!(!alias::fnmatch(&p, &s));
        prop_assert!(t.elapsed() < std::time::Duration::from_secs(1));
    }
}

// ------------------------------------------- modules.builtin(.modinfo)

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn builtin_list_never_panics(text in messy_text()) {
        if let Err(e) = builtin::parse_list(&text, "/b") {
            assert_names_path_and_line(&e, "/b", &text);
        }
    }

    #[test]
    fn builtin_list_round_trips(
        entries in proptest::collection::vec((module_name(), rel_dir()), 0..40)
    ) {
        let text: String = entries
            .iter()
            .map(|(n, d)| format!("kernel/{d}/{n}.ko\n"))
            .collect();
        let l = builtin::parse_list(&text, "/b").unwrap();
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (i, (n, _)) in entries.iter().enumerate() {
            first.entry(n.as_str()).or_insert(i + 1);
        }
        prop_assert_eq!(l.len(), first.len());
        for (n, line) in first {
            prop_assert_eq!(l.get(n), Some(&line));
        }
    }

    #[test]
    fn builtin_modinfo_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        if let Err(e) = builtin::parse_modinfo(&bytes, "/bm") {
            prop_assert_eq!(&e.path, "/bm");
            let n = error_line(&e.to_string()).unwrap();
            prop_assert!(n >= 1 && n <= bytes.split(|b| *b == 0).count());
        }
    }

    #[test]
    fn builtin_modinfo_round_trips(
        recs in proptest::collection::vec(
            (module_name(), "[a-z_][a-z_.]{0,12}", "[^\u{0}]{0,40}"), 0..40)
    ) {
        let mut bytes = Vec::new();
        for (m, f, v) in &recs {
            bytes.extend_from_slice(format!("{m}.{f}={v}").as_bytes());
            bytes.push(0);
        }
        let info = builtin::parse_modinfo(&bytes, "/bm").unwrap();
        let mut want: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
        for (m, f, v) in &recs {
            want.entry((m, f)).or_default().push(v);
        }
        for ((m, f), vs) in want {
            prop_assert_eq!(&info[m][f], &vs);
        }
    }
}

// --------------------------------------------------------- modules.devname

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn devname_never_panics(text in messy_text()) {
        if let Err(e) = devname::parse(&text, "/d") {
            assert_names_path_and_line(&e, "/d", &text);
        }
    }

    #[test]
    fn devname_round_trips(
        entries in proptest::collection::vec(
            ("[a-z][a-z0-9_-]{0,15}", "[a-z][a-z0-9/_-]{0,20}", any::<bool>(), any::<u32>(), any::<u32>()),
            0..30)
    ) {
        let mut text = String::from("# Device nodes to trigger on-demand module loading.\n");
        for (m, node, block, ma, mi) in &entries {
            let k = if *block { 'b' } else { 'c' };
            text.push_str(&format!("{m} {node} {k}{ma}:{mi}\n"));
        }
        let d = devname::parse(&text, "/d").unwrap();
        prop_assert_eq!(d.len(), entries.len());
        for ((m, node, block, ma, mi), got) in entries.iter().zip(&d) {
            prop_assert_eq!(&got.module, &m.replace('-', "_"));
            prop_assert_eq!(&got.node, node);
            prop_assert_eq!(got.dev.kind, if *block { DevKind::Block } else { DevKind::Char });
            prop_assert_eq!((got.dev.major, got.dev.minor), (*ma, *mi));
        }
    }
}

// ---------------------------------------------------- kernel config (+ gz)

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn kconfig_never_panics(text in messy_text()) {
        let c = kconfig::parse(&text);
        for (k, (_, line)) in &c.values {
            prop_assert!(k.starts_with("CONFIG_"));
            prop_assert!(*line >= 1 && *line <= text.lines().count());
        }
    }

    #[test]
    fn kconfig_round_trips(
        syms in proptest::collection::btree_map(
            "CONFIG_[A-Z0-9_]{1,30}",
            prop_oneof![
                Just("y".to_string()), Just("m".to_string()), Just("n".to_string()),
                "[0-9]{1,6}", "0x[0-9a-f]{1,8}", "\"[a-z ./-]{0,20}\"",
            ],
            0..40),
        // `#` then no space: never an "is not set" line.
        noise in proptest::collection::vec("#[!-~][ -~]{0,30}", 40),
    ) {
        let mut text = String::from("#\n# Automatically generated file; DO NOT EDIT.\n#\n");
        let mut lines = HashMap::new();
        for (i, (k, v)) in syms.iter().enumerate() {
            // Comments that are not "is not set" lines must be ignored.
            text.push_str(&noise[i]);
            text.push('\n');
            if v == "n" {
                text.push_str(&format!("# {k} is not set\n"));
            } else {
                text.push_str(&format!("{k}={v}\n"));
            }
            lines.insert(k.clone(), text.lines().count());
        }
        let c = kconfig::parse(&text);
        for (k, v) in &syms {
            let (on, line, val) = c.enabled(k).unwrap();
            let v = v.trim_matches('"');
            prop_assert_eq!(val.as_str(), v);
            prop_assert_eq!(on, v == "y" || v == "m");
            prop_assert_eq!(line, lines[k]);
        }
        prop_assert_eq!(c.values.len(), syms.len());
    }

    /// The search in memory answers what the line-by-line read answers, on
    /// texts made of wanted, near-miss and noise lines, with stray bytes.
    #[test]
    fn kconfig_search_in_memory_agrees_with_the_line_reader(
        lines in proptest::collection::vec(prop_oneof![
            Just("CONFIG_MODULES=y".to_string()),
            Just("CONFIG_MODULES=n".to_string()),
            Just("# CONFIG_MODULES is not set".to_string()),
            Just("CONFIG_MODULE_UNLOAD=y".to_string()),
            Just("  CONFIG_MODULE_UNLOAD=m ".to_string()),
            Just("# CONFIG_MODULE_FORCE_UNLOAD is not set".to_string()),
            Just("CONFIG_MODULE_FORCE_UNLOAD=y".to_string()),
            Just("CONFIG_MODULE_SIG=y".to_string()),
            Just("CONFIG_MODULESX=y".to_string()),
            Just("xCONFIG_MODULES=y CONFIG_MODULES=y".to_string()),
            Just("\u{e9}CONFIG_X=\u{e9}".to_string()),
            "[ -~]{0,30}",
        ], 0..30),
        bad in proptest::option::of(0usize..30),
    ) {
        let mut bytes = lines.join("\n").into_bytes();
        if let Some(at) = bad.filter(|at| *at < bytes.len()) {
            bytes.insert(at, 0xff);
        }
        let fast = kconfig::parse_wanted(&bytes, kconfig::WANTED);
        let slow = kconfig::parse_until(&bytes[..], kconfig::WANTED);
        match (fast, slow) {
            (Ok(a), Ok(b)) => {
                for w in kconfig::WANTED {
                    prop_assert_eq!(a.enabled(w), b.enabled(w));
                }
            }
            (a, b) => prop_assert_eq!(a.err(), b.err()),
        }
    }

    #[test]
    fn config_gz_round_trips(text in "[ -~\n]{0,1000}") {
        let gz = gzip(text.as_bytes());
        prop_assert_eq!(gunzip_bounded(&gz, "/proc/config.gz").unwrap(), text);
    }

    #[test]
    fn config_gz_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        // Raw garbage, and a valid stream cut short or with a flipped byte.
        let _ = gunzip_bounded(&bytes, "/proc/config.gz");
        let gz = gzip(&bytes);
        if !gz.is_empty() {
            let cut = bytes.len() % gz.len();
            let e = gunzip_bounded(&gz[..cut], "/proc/config.gz");
            if let Err(e) = e {
                prop_assert_eq!(&e.path, "/proc/config.gz");
            }
            let mut flipped = gz.clone();
            let at = bytes.first().copied().unwrap_or(0) as usize % flipped.len();
            flipped[at] ^= 0x55;
            let _ = gunzip_bounded(&flipped, "/proc/config.gz");
        }
    }
}

#[test]
fn config_gz_bomb_stops_at_the_limit() {
    // 17 MiB of zeros compresses to ~17 KiB; the decoder must stop at 16 MiB.
    let zeros = vec![0u8; 17 << 20];
    let gz = gzip(&zeros);
    assert!(gz.len() < 1 << 20);
    let t = std::time::Instant::now();
    let e = gunzip_bounded(&gz, "/proc/config.gz").unwrap_err();
    assert!(matches!(e.kind, ReadErrorKind::TooLarge { .. }), "{e}");
    assert!(e.to_string().starts_with("/proc/config.gz"));
    assert!(t.elapsed() < std::time::Duration::from_secs(10));
}

// -------------------------------------------------------------- modprobe.d

#[derive(Debug, Clone)]
enum Dir {
    Alias(String, String),
    Blacklist(String),
    Install(String, String),
    Remove(String, String),
    Options(String, Vec<String>),
    Softdep(String, Vec<String>, Vec<String>),
}

fn directive() -> impl Strategy<Value = Dir> {
    let m = || "[a-z][a-z0-9_-]{0,15}";
    let cmd = || "/[a-z/]{1,15}( [!-~&&[^\\\\#]]{1,10}){0,4}";
    prop_oneof![
        (("[!-~&&[^#\\\\]]{1,20}"), m()).prop_map(|(p, m)| Dir::Alias(p, m)),
        m().prop_map(Dir::Blacklist),
        (m(), cmd()).prop_map(|(m, c)| Dir::Install(m, c)),
        (m(), cmd()).prop_map(|(m, c)| Dir::Remove(m, c)),
        (
            m(),
            proptest::collection::vec("[a-z_]{1,8}=[a-z0-9,]{1,6}", 0..4)
        )
            .prop_map(|(m, o)| Dir::Options(m, o)),
        (
            m(),
            proptest::collection::vec(m(), 0..3),
            proptest::collection::vec(m(), 0..3)
        )
            .prop_map(|(m, a, b)| Dir::Softdep(m, a, b)),
    ]
}

fn directive_words(d: &Dir) -> Vec<String> {
    let mut w: Vec<String> = Vec::new();
    match d {
        Dir::Alias(p, m) => w.extend(["alias".into(), p.clone(), m.clone()]),
        Dir::Blacklist(m) => w.extend(["blacklist".into(), m.clone()]),
        Dir::Install(m, c) => {
            w.extend(["install".into(), m.clone()]);
            w.extend(c.split(' ').map(String::from));
        }
        Dir::Remove(m, c) => {
            w.extend(["remove".into(), m.clone()]);
            w.extend(c.split(' ').map(String::from));
        }
        Dir::Options(m, o) => {
            w.extend(["options".into(), m.clone()]);
            w.extend(o.iter().cloned());
        }
        Dir::Softdep(m, a, b) => {
            w.extend(["softdep".into(), m.clone(), "pre:".into()]);
            w.extend(a.iter().cloned());
            w.push("post:".into());
            w.extend(b.iter().cloned());
        }
    }
    w
}

fn expected(d: &Dir) -> modprobe_d::Directive {
    let n = |s: &str| s.replace('-', "_");
    match d {
        Dir::Alias(p, m) => modprobe_d::Directive::Alias {
            pattern: p.clone(),
            module: n(m),
        },
        Dir::Blacklist(m) => modprobe_d::Directive::Blacklist { module: n(m) },
        Dir::Install(m, c) => modprobe_d::Directive::Install {
            module: n(m),
            command: c.clone(),
        },
        Dir::Remove(m, c) => modprobe_d::Directive::Remove {
            module: n(m),
            command: c.clone(),
        },
        Dir::Options(m, o) => modprobe_d::Directive::Options {
            module: n(m),
            options: o.join(" "),
        },
        Dir::Softdep(m, a, b) => modprobe_d::Directive::Softdep {
            module: n(m),
            pre: a.iter().map(|x| n(x)).collect(),
            post: b.iter().map(|x| n(x)).collect(),
        },
    }
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn modprobe_d_never_panics(text in messy_text()) {
        let mut c = modprobe_d::ModprobeConf::default();
        c.parse_file(&text, "/etc/modprobe.d/x.conf");
        let lines = text.lines().count();
        let origins = c.directives.iter().map(|(_, o)| o).chain(c.warnings.iter().map(|(_, o)| o));
        for o in origins {
            prop_assert_eq!(&o.path, "/etc/modprobe.d/x.conf");
            prop_assert!(o.line >= 1 && o.line <= lines, "line {} of {}", o.line, lines);
        }
    }

    /// Directives written one per line, or split over continuation lines
    /// (`\` at the end of a line), parse back to the same directives with
    /// the line where each starts.
    #[test]
    fn modprobe_d_round_trips(
        dirs in proptest::collection::vec((directive(), proptest::collection::vec(any::<bool>(), 12), any::<bool>()), 0..20)
    ) {
        let mut text = String::new();
        let mut starts = Vec::new();
        let mut line = 1;
        for (d, splits, comment) in &dirs {
            if *comment {
                text.push_str("# a comment\n\n");
                line += 2;
            }
            starts.push(line);
            let words = directive_words(d);
            for (i, w) in words.iter().enumerate() {
                if i > 0 {
                    if splits[i % splits.len()] {
                        text.push_str(" \\\n  ");
                        line += 1;
                    } else {
                        text.push(' ');
                    }
                }
                text.push_str(w);
            }
            text.push('\n');
            line += 1;
        }
        let mut c = modprobe_d::ModprobeConf::default();
        c.parse_file(&text, "/etc/modprobe.d/t.conf");
        prop_assert!(c.warnings.is_empty(), "{:?}\n{}", c.warnings, text);
        prop_assert_eq!(c.directives.len(), dirs.len());
        for (((d, _, _), (got, origin)), start) in dirs.iter().zip(&c.directives).zip(&starts) {
            let want = expected(d);
            match (&want, got) {
                // A command split over lines keeps its words; the spacing
                // around a continuation is not preserved.
                (modprobe_d::Directive::Install { module: a, command: x },
                 modprobe_d::Directive::Install { module: b, command: y })
                | (modprobe_d::Directive::Remove { module: a, command: x },
                   modprobe_d::Directive::Remove { module: b, command: y }) => {
                    prop_assert_eq!(a, b);
                    prop_assert_eq!(
                        x.split_whitespace().collect::<Vec<_>>(),
                        y.split_whitespace().collect::<Vec<_>>()
                    );
                }
                _ => prop_assert_eq!(&want, got),
            }
            prop_assert_eq!(origin.line, *start, "{}", text);
        }
    }
}

// ------------------------------------------- rule conditions and rule files

proptest! {
    // TOML parsing is slow in debug builds: fewer cases here.
    #![proptest_config(ProptestConfig { cases: cfg().cases / 2, ..cfg() })]

    #[test]
    fn condition_never_panics(src in prop_oneof![
        messy_text(),
        proptest::collection::vec(prop_oneof![
            Just("module.loaded"), Just("module.refcount"), Just("module.holders"),
            Just("module.state"), Just("count("), Just("("), Just(")"), Just("and"),
            Just("or"), Just("not"), Just("=="), Just("!="), Just("<"), Just(">="),
            Just("contains"), Just("\"live\""), Just("\""), Just("-"), Just("0"),
            Just("99999999999999999999"), Just("true"), Just("false"), Just("="),
            Just("!"), Just("é"), Just("nope.fact"),
        ], 0..30).prop_map(|t| t.join(" ")),
    ]) {
        let _ = condition::parse(&src);
    }

    #[test]
    fn template_never_panics(src in prop_oneof![
        messy_text(),
        proptest::collection::vec(prop_oneof![
            Just("{"), Just("}"), Just("{module.name}"), Just("{item}"), Just("{nope}"),
            Just("text "), Just("é"), Just("{{"), Just("}}"),
        ], 0..20).prop_map(|t| t.concat()),
    ], item in any::<bool>()) {
        let _ = Template::parse(&src, item);
    }

    #[test]
    fn rule_files_never_panic(text in prop_oneof![
        messy_text(),
        rule_file(),
    ]) {
        let mut set = RuleSet::default();
        if let Err(e) = set.add_file("/site/x.toml", &text) {
            prop_assert_eq!(&e.file, "/site/x.toml");
            prop_assert!(e.line <= text.lines().count() + 1, "{} for\n{}", e, text);
        }
    }
}

/// TOML shaped like a rule file, with values that are sometimes wrong.
fn rule_file() -> impl Strategy<Value = String> {
    let val = || {
        prop_oneof![
            Just("\"x\"".to_string()),
            Just("\"module.loaded\"".to_string()),
            Just("\"module.loaded and module.refcount > 0\"".to_string()),
            Just("\"count(module.holders) > \"".to_string()),
            Just("\"{module.name} {item}\"".to_string()),
            Just("\"{\"".to_string()),
            Just("\"info\"".to_string()),
            Just("\"blocked\"".to_string()),
            Just("\"unknown\"".to_string()),
            Just("\"module.removal_order\"".to_string()),
            Just("\"bad id!\"".to_string()),
            Just("[\"safe\", \"nope\"]".to_string()),
            Just("10".to_string()),
            Just("-1".to_string()),
            Just("true".to_string()),
            Just("\"é\"".to_string()),
        ]
    };
    let key = || {
        prop_oneof![
            Just("id"),
            Just("severity"),
            Just("verdict"),
            Just("summary"),
            Just("when"),
            Just("message"),
            Just("phase"),
            Just("for_each"),
            Just("command"),
            Just("why"),
            Just("verdicts"),
            Just("bogus"),
        ]
    };
    let table = || {
        prop_oneof![
            Just("[[rule]]"),
            Just("[[rule.steps]]"),
            Just("[[verdict_step]]"),
            Just("[rule]"),
            Just("[[nope]]"),
        ]
    };
    proptest::collection::vec(
        (table(), proptest::collection::vec((key(), val()), 0..8)),
        0..5,
    )
    .prop_map(|tables| {
        let mut s = String::new();
        for (t, kv) in tables {
            s.push_str(t);
            s.push('\n');
            for (k, v) in kv {
                s.push_str(&format!("{k} = {v}\n"));
            }
        }
        s
    })
}

#[test]
fn rule_file_valid_example_loads() {
    let mut set = RuleSet::default();
    set.add_file(
        "/site/ok.toml",
        "[[rule]]\nid = \"site-x\"\nseverity = \"warning\"\nverdict = \"caution\"\nsummary = \"s\"\nwhen = \"module.loaded and count(module.holders) > 0\"\nmessage = \"{module.name}\"\n[[rule.steps]]\nphase = 30\nfor_each = \"module.removal_order\"\ncommand = \"modprobe -r {item}\"\nwhy = \"{item}\"\n",
    )
    .unwrap();
    assert_eq!(set.rules.len(), 1);
}

/// Nesting is bounded: deep parentheses and `not` chains are refused with an
/// error, not a stack overflow.
#[test]
fn condition_nesting_is_bounded() {
    for depth in [33, 100, 10_000] {
        let src = format!("{}module.loaded{}", "(".repeat(depth), ")".repeat(depth));
        assert!(condition::parse(&src).is_err(), "depth {depth}");
        let src = format!("{}module.loaded", "not ".repeat(depth));
        assert!(condition::parse(&src).is_err(), "not × {depth}");
    }
}

// ------------------------------------- mountinfo, swaps, routes, devices

mod live_users {
    use super::*;
    use kmod_doctor::facts::parse::{mountinfo, proc_devices, routes, swaps};

    /// The kernel's `mangle()` for mountinfo and swaps: space, tab, newline
    /// and backslash as `\ooo`.
    fn mangle(s: &str) -> String {
        let mut out = String::new();
        for c in s.chars() {
            match c {
                ' ' | '\t' | '\n' | '\\' => out.push_str(&format!("\\{:03o}", c as u32)),
                c => out.push(c),
            }
        }
        out
    }

    /// Regression: unescape sliced `&s[i + 1..i + 4]` inside a multi-byte
    /// character and panicked.
    #[test]
    fn unescape_backslash_then_multibyte() {
        // `\` then two 2-byte characters: byte i + 4 falls inside the second.
        assert_eq!(mountinfo::unescape("\\éé"), "\\éé");
    }

    #[test]
    fn mountinfo_and_swaps_with_hostile_names_do_not_panic() {
        let line = "36 25 8:1 / /mnt/\\éé rw - ext4 /dev/sda1 rw\n";
        assert!(
            std::panic::catch_unwind(|| mountinfo::parse(line, "/proc/self/mountinfo")).is_ok()
        );
        let swaps = "Filename Type Size Used Priority\n/swap\\éé file 1 0 -2\n";
        assert!(std::panic::catch_unwind(|| swaps::parse(swaps, "/proc/swaps")).is_ok());
    }

    /// Paths with the characters the kernel escapes, and non-ASCII.
    fn path() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                6 => chars(NAME, 1..8),
                1 => Just(" ".to_string()),
                1 => Just("\t".to_string()),
                1 => Just("\n".to_string()),
                1 => Just("\\".to_string()),
                1 => Just("é".to_string()),
                1 => Just("日本".to_string()),
            ],
            0..6,
        )
        .prop_map(|v| format!("/{}", v.join("/")))
    }

    #[derive(Debug, Clone)]
    struct M {
        id: u32,
        parent: u32,
        major: u32,
        minor: u32,
        root: String,
        mount_point: String,
        opts: String,
        optional: Vec<String>,
        fs_type: String,
        source: String,
        super_opts: String,
    }

    fn mount() -> impl Strategy<Value = M> {
        (
            // Mount ids are printed with %i.
            (
                0u32..i32::MAX as u32,
                0u32..i32::MAX as u32,
                0u32..4096,
                0u32..1 << 20,
            ),
            (path(), path()),
            prop_oneof![Just("rw,relatime"), Just("ro,nosuid,nodev"), Just("rw")],
            proptest::collection::vec(
                prop_oneof![
                    (1u32..999).prop_map(|n| format!("shared:{n}")),
                    (1u32..999).prop_map(|n| format!("master:{n}")),
                    Just("unbindable".to_string()),
                ],
                0..3,
            ),
            prop_oneof![
                Just("ext4"),
                Just("xfs"),
                Just("fuse.sshfs"),
                Just("tmpfs"),
                Just("nfs4")
            ],
            prop_oneof![
                path(),
                Just("tmpfs".to_string()),
                Just("server:/export".to_string())
            ],
            prop_oneof![Just("rw"), Just("rw,errors=remount-ro"), Just("ro,size=1k")],
        )
            .prop_map(
                |((id, parent, major, minor), (root, mp), opts, optional, fs, source, sup)| M {
                    id,
                    parent,
                    major,
                    minor,
                    root,
                    mount_point: mp,
                    opts: opts.to_string(),
                    optional,
                    fs_type: fs.to_string(),
                    source,
                    super_opts: sup.to_string(),
                },
            )
    }

    /// As `show_mountinfo` in fs/proc_namespace.c prints it.
    fn mountinfo_line(m: &M) -> String {
        let mut s = format!(
            "{} {} {}:{} {} {} {}",
            m.id,
            m.parent,
            m.major,
            m.minor,
            mangle(&m.root),
            mangle(&m.mount_point),
            m.opts
        );
        for o in &m.optional {
            s.push(' ');
            s.push_str(o);
        }
        s.push_str(&format!(
            " - {} {} {}",
            m.fs_type,
            mangle(&m.source),
            m.super_opts
        ));
        s
    }

    proptest! {
        #![proptest_config(cfg())]

        #[test]
        fn unescape_never_panics(s in prop_oneof![
            any::<String>(),
            proptest::collection::vec(prop_oneof![
                Just("\\"), Just("0"), Just("4"), Just("7"), Just("8"), Just("é"),
                Just("日"), Just("a"), Just("\\040"), Just("\\1"),
            ], 0..12).prop_map(|v| v.concat()),
        ]) {
            let _ = mountinfo::unescape(&s);
        }

        #[test]
        fn unescape_inverts_mangle(s in any::<String>()) {
            prop_assert_eq!(mountinfo::unescape(&mangle(&s)), s);
        }

        #[test]
        fn mountinfo_never_panics(text in messy_text()) {
            if let Err(e) = mountinfo::parse(&text, "/proc/self/mountinfo") {
                assert_names_path_and_line(&e, "/proc/self/mountinfo", &text);
            }
        }

        #[test]
        fn mountinfo_round_trips(ms in proptest::collection::vec(mount(), 0..20)) {
            let text: String = ms.iter().map(|m| mountinfo_line(m) + "\n").collect();
            let got = mountinfo::parse(&text, "/proc/self/mountinfo").unwrap();
            prop_assert_eq!(got.len(), ms.len());
            for (i, (m, g)) in ms.iter().zip(&got).enumerate() {
                prop_assert_eq!(&g.mount_point, &m.mount_point);
                prop_assert_eq!(&g.fs_type, &m.fs_type);
                prop_assert_eq!(&g.source, &m.source);
                prop_assert_eq!((g.major, g.minor), (m.major, m.minor));
                prop_assert_eq!(g.line, i + 1);
            }
        }

        #[test]
        fn swaps_never_panics(text in messy_text()) {
            if let Err(e) = swaps::parse(&text, "/proc/swaps") {
                assert_names_path_and_line(&e, "/proc/swaps", &text);
            }
        }

        #[test]
        fn swaps_round_trip(
            entries in proptest::collection::vec(
                (path(), any::<bool>(), any::<u32>(), any::<u32>(), -5i32..100), 0..10)
        ) {
            // swap_show(): header, then name padded to 40 columns.
            let mut text = String::from("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
            for (p, file, size, used, prio) in &entries {
                let name = mangle(p);
                let pad = 40usize.saturating_sub(name.chars().count()).max(1);
                let kind = if *file { "file\t" } else { "partition" };
                text.push_str(&format!(
                    "{name}{:pad$}{kind}\t{size}\t{used}\t{prio}\n", ""
                ));
            }
            let got = swaps::parse(&text, "/proc/swaps").unwrap();
            prop_assert_eq!(got.len(), entries.len());
            for (i, ((p, file, ..), g)) in entries.iter().zip(&got).enumerate() {
                prop_assert_eq!(&g.filename, p);
                prop_assert_eq!(g.kind.as_str(), if *file { "file" } else { "partition" });
                prop_assert_eq!(g.line, i + 2);
            }
        }

        #[test]
        fn routes_never_panic(text in messy_text()) {
            if let Err(e) = routes::parse_v4(&text, "/proc/net/route") {
                assert_names_path_and_line(&e, "/proc/net/route", &text);
            }
            if let Err(e) = routes::parse_v6_defaults(&text, "/proc/net/ipv6_route") {
                assert_names_path_and_line(&e, "/proc/net/ipv6_route", &text);
            }
            let _ = routes::ipv4_as_proc(&text);
        }

        #[test]
        fn routes_v4_round_trip(
            rs in proptest::collection::vec(
                (chars(NAME, 1..16), any::<u32>(), any::<u32>(), any::<u16>(), 0u32..33), 0..20),
            probe in any::<u32>(),
        ) {
            // rt_show / fib_route_seq_show: fixed-width columns, tabs.
            let mut text = String::from(
                "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n",
            );
            for (ifc, dest, gw, flags, bits) in &rs {
                let mask = if *bits == 0 { 0 } else { u32::MAX << (32 - bits) };
                text.push_str(&format!(
                    "{ifc}\t{dest:08X}\t{gw:08X}\t{flags:04X}\t0\t0\t0\t{mask:08X}\t0\t0\t0\n"
                ));
            }
            let got = routes::parse_v4(&text, "/proc/net/route").unwrap();
            prop_assert_eq!(got.len(), rs.len());
            for (i, ((ifc, dest, gw, flags, bits), g)) in rs.iter().zip(&got).enumerate() {
                let mask = if *bits == 0 { 0 } else { u32::MAX << (32 - bits) };
                prop_assert_eq!(&g.iface, ifc);
                prop_assert_eq!((g.dest, g.gateway, g.mask), (*dest, *gw, mask));
                prop_assert_eq!(g.up, flags & 1 != 0);
                prop_assert_eq!(g.is_default(), *dest == 0 && mask == 0);
                prop_assert_eq!(g.line, i + 2);
            }
            // The chosen route matches the probe and no longer prefix does.
            if let Some(r) = routes::route_iface(&got, probe) {
                prop_assert!(r.up && probe & r.mask == r.dest & r.mask);
                for o in got.iter().filter(|o| o.up && probe & o.mask == o.dest & o.mask) {
                    prop_assert!(o.mask.count_ones() <= r.mask.count_ones());
                }
            }
        }

        #[test]
        fn routes_v6_defaults_round_trip(
            rs in proptest::collection::vec((chars(NAME, 1..16), any::<u128>(), 0u8..129), 0..20)
        ) {
            let mut text = String::new();
            let mut want = Vec::new();
            for (i, (ifc, dest, plen)) in rs.iter().enumerate() {
                text.push_str(&format!(
                    "{dest:032x} {plen:02x} 00000000000000000000000000000000 00 \
                     00000000000000000000000000000000 00000400 00000001 00000000 00000003 {ifc:>8}\n"
                ));
                if *dest == 0 && *plen == 0 && ifc != "lo" {
                    want.push((ifc.clone(), i + 1));
                }
            }
            prop_assert_eq!(routes::parse_v6_defaults(&text, "/p").unwrap(), want);
        }

        #[test]
        fn proc_devices_never_panics(text in messy_text()) {
            let _ = proc_devices::parse(&text);
        }
    }
}

/// A long flat chain (`a and a and ...`) is not nested, so the depth limit
/// does not see it, but `check`, `eval` and `Drop` of the left-deep `Expr`
/// recurse once per term. Regression: a 1.3 MB site rule file (under the
/// 4 MiB limit) overflowed the stack and aborted the process; conditions
/// are now capped in length. Run in a child process, since an overflow
/// cannot be caught.
#[test]
fn long_condition_chain_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let when = vec!["true"; 150_000].join(" and ");
    std::fs::write(
        dir.path().join("deep.toml"),
        format!(
            "[[rule]]\nid = \"deep\"\nseverity = \"info\"\nsummary = \"s\"\nmessage = \"m\"\nwhen = \"{when}\"\n"
        ),
    )
    .unwrap();
    let out = crate::common::kd()
        .args(["rules", "--rules-dir"])
        .arg(dir.path())
        .run();
    let stderr = &out.stderr;
    assert!(out.code >= 0, "killed by a signal: {}\n{stderr}", out.code);
    assert!(stderr.contains("deep.toml"), "{stderr}");
}

/// A malformed mountinfo line is reported as one plain line naming the file
/// and line, not as procfs's internal error (which spans lines and names
/// the build machine's cargo registry: "Internal error: bug at
/// /root/.cargo/registry/.../mount.rs:158 (please report this procfs bug)").
#[test]
fn mountinfo_errors_are_one_plain_line() {
    use kmod_doctor::facts::parse::mountinfo;
    for bad in [
        "36 25 8:1 / /mnt rw shared:x - ext4 /dev/sda1 rw",
        "36 25 8:1 / /mnt rw",
        "x 25 8:1 / /mnt rw - ext4 /dev/sda1 rw",
        "36 25 8:1 / /mnt rw master - ext4 /dev/sda1 rw",
    ] {
        let text = format!("22 1 254:1 / / rw - ext4 /dev/vda1 rw\n{bad}\n");
        let e = mountinfo::parse(&text, "/proc/self/mountinfo").unwrap_err();
        let m = e.to_string();
        assert!(m.starts_with("/proc/self/mountinfo: line 2:"), "{m}");
        assert!(!m.contains('\n'), "{bad}: multi-line: {m:?}");
        assert!(
            !m.contains(".cargo") && !m.contains("procfs bug"),
            "{bad}: internals: {m:?}"
        );
    }
}

proptest! {
    #![proptest_config(cfg())]

    /// The search for one module's device aliases answers what the parsed
    /// list answers, whatever the spelling
    /// (`-`/`_`), the spacing and names hidden inside other patterns.
    #[test]
    fn device_alias_search_agrees_with_the_parsed_list(
        lines in proptest::collection::vec(
            (
                prop::sample::select(vec!["pci:v*", "virtio:d1", "fs-ext4", "net-pf-10", "snd_x:a", "a-b", "x:snd-x"]),
                prop::sample::select(vec!["snd_x", "snd-x", "a_b", "a-b", "ab", "x"]),
                prop::sample::select(vec![" ", "  ", "\t"]),
            ),
            0..12,
        ),
        probe in prop::sample::select(vec!["snd_x", "a_b", "ab", "x", "pci", "absent"]),
    ) {
        let text: String = lines
            .iter()
            .map(|(p, m, sep)| format!("alias{sep}{p}{sep}{m}\n"))
            .collect();
        let list = alias::parse(&text, "modules.alias").unwrap();
        let want = list.iter().any(|a| a.module == probe && a.pattern.contains(':'));
        prop_assert_eq!(alias::has_device_alias(text.as_bytes(), probe), want);
    }
}
