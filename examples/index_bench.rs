//! Microbenchmark: the text module files against kmod's binary indexes, in
//! the same run, on a real module tree (`scripts/bench-index` runs it).
//!
//!     cargo run --release --example index_bench -- ROOT RELEASE [QUERIES [MODALIASES]]
//!
//! ROOT holds `lib/modules/RELEASE/` with the text files and the .bin
//! indexes; MODALIASES is a file of device modaliases, one a line (e.g. this
//! machine's `/sys/devices/**/modalias`). Prints medians and ratios (text ÷
//! index).

use kmod_doctor::facts::kmod_index::{Index, Load};
use kmod_doctor::facts::lookup::alias_matches;
use kmod_doctor::facts::name::normalize;
use kmod_doctor::facts::parse::{alias, moddep};
use kmod_doctor::root::Root;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Median of `runs` timings of `f`.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    black_box(f());
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.1}×", a.as_secs_f64() / b.as_secs_f64().max(1e-9))
}

/// A string the pattern matches (`*` → "", `?` → X, `[..]` → first member).
fn instance(p: &str) -> String {
    let mut out = String::new();
    let mut it = p.chars();
    while let Some(c) = it.next() {
        match c {
            '*' => {}
            '?' => out.push('X'),
            '[' => {
                let mut first = None;
                for d in it.by_ref() {
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

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(root_dir), Some(release)) = (args.first(), args.get(1)) else {
        eprintln!("usage: index_bench ROOT RELEASE [QUERIES [MODALIASES]]");
        std::process::exit(2);
    };
    let nq: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(200);
    let root = Root::open(Path::new(root_dir)).expect("root");
    let lm = format!("/lib/modules/{release}");
    let (alias_txt, alias_bin) = (
        format!("{lm}/modules.alias"),
        format!("{lm}/modules.alias.bin"),
    );
    let (dep_txt, dep_bin) = (format!("{lm}/modules.dep"), format!("{lm}/modules.dep.bin"));

    let text = root.read_to_string(&alias_txt).expect("modules.alias");
    let list = alias::parse(&text, &alias_txt).expect("parse");
    let step = (list.len() / nq).max(1);
    let queries: Vec<String> = list
        .iter()
        .step_by(step)
        .take(nq)
        .map(|a| normalize(&instance(&a.pattern)))
        .collect();
    println!(
        "tree {root_dir}{lm}: {} aliases ({} KiB text, {} KiB index), {} queries",
        list.len(),
        text.len() / 1024,
        std::fs::metadata(format!("{root_dir}{alias_bin}"))
            .map(|m| m.len() / 1024)
            .unwrap_or(0),
        queries.len()
    );

    // Same answers, or the timings mean nothing.
    let mut idx = Index::open(&root, &alias_bin, Load::Whole).unwrap();
    for q in &queries {
        let mut a: Vec<String> = list
            .iter()
            .filter(|x| alias_matches(&x.pattern, q))
            .map(|x| x.module.clone())
            .collect();
        let mut b: Vec<String> = idx
            .search_wild(q)
            .unwrap()
            .into_iter()
            .map(|v| v.value)
            .collect();
        a.sort();
        a.dedup();
        b.sort();
        b.dedup();
        assert_eq!(a, b, "{q}");
    }

    let runs = 15;
    // One alias resolution as a run pays it: read (+ parse) + one query.
    let one_q = &queries[queries.len() / 2];
    let text_one = time(runs, || {
        let t = root.read_to_string(&alias_txt).unwrap();
        let l = alias::parse(&t, &alias_txt).unwrap();
        l.iter()
            .filter(|x| alias_matches(&x.pattern, one_q))
            .count()
    });
    let whole_one = time(runs, || {
        let mut i = Index::open(&root, &alias_bin, Load::Whole).unwrap();
        i.search_wild(one_q).unwrap().len()
    });
    let paged_one = time(runs, || {
        let mut i = Index::open(&root, &alias_bin, Load::Paged).unwrap();
        i.search_wild(one_q).unwrap().len()
    });
    println!("\n## one alias resolution (open/read + lookup), median of {runs}");
    println!(
        "| text (read, parse, match all) | index, whole read | index, paged | text ÷ whole | text ÷ paged |"
    );
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | {} | {} |",
        us(text_one),
        us(whole_one),
        us(paged_one),
        ratio(text_one, whole_one),
        ratio(text_one, paged_one)
    );

    // Per query once loaded (scan-like workloads: many queries per run).
    let text_many = time(5, || {
        queries
            .iter()
            .map(|q| list.iter().filter(|x| alias_matches(&x.pattern, q)).count())
            .sum::<usize>()
    });
    let mut idx = Index::open(&root, &alias_bin, Load::Whole).unwrap();
    let idx_many = time(5, || {
        queries
            .iter()
            .map(|q| idx.search_wild(q).unwrap().len())
            .sum::<usize>()
    });
    let n = queries.len() as u32;
    println!(
        "\n## per alias query, files already loaded ({} queries)",
        queries.len()
    );
    println!("| text (match every pattern) | index | text ÷ index |");
    println!("|---:|---:|---:|");
    println!(
        "| {} | {} | {} |",
        us(text_many / n),
        us(idx_many / n),
        ratio(text_many, idx_many)
    );

    // One dependency lookup as a run pays it.
    let dtext = root.read_to_string(&dep_txt).unwrap();
    let d = moddep::parse(&dtext, &dep_txt).unwrap();
    let name = d.by_name.keys().min().cloned().unwrap();
    let dep_text = time(runs, || {
        let t = root.read_to_string(&dep_txt).unwrap();
        moddep::parse(&t, &dep_txt).unwrap().get(&name).is_some()
    });
    let dep_whole = time(runs, || {
        let mut i = Index::open(&root, &dep_bin, Load::Whole).unwrap();
        i.lookup(&name).unwrap().is_some()
    });
    let mut pages = 0;
    let dep_paged = time(runs, || {
        let mut i = Index::open(&root, &dep_bin, Load::Paged).unwrap();
        let r = i.lookup(&name).unwrap().is_some();
        pages = i.pages_read();
        r
    });
    println!("\n## one dependency lookup ({name}: open/read + lookup), median of {runs}");
    println!(
        "| text (read, parse) | index, whole read | index, paged ({pages} pages) | text ÷ whole | text ÷ paged |"
    );
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | {} | {} |",
        us(dep_text),
        us(dep_whole),
        us(dep_paged),
        ratio(dep_text, dep_whole),
        ratio(dep_text, dep_paged)
    );

    // The "reloaded by udev" check: every device's modalias asked of the
    // index once per run, against reading and parsing the text file (which
    // the pattern-matching path pays before it matches anything).
    if let Some(f) = args.get(3) {
        let devs: Vec<String> = std::fs::read_to_string(f)
            .unwrap()
            .lines()
            .filter(|l| !l.is_empty())
            .map(normalize)
            .collect();
        let parse_only = time(runs, || {
            let t = root.read_to_string(&alias_txt).unwrap();
            alias::parse(&t, &alias_txt).unwrap().len()
        });
        let per_device = time(runs, || {
            let mut i = Index::open(&root, &alias_bin, Load::Paged).unwrap();
            devs.iter()
                .map(|d| i.search_wild(d).unwrap().len())
                .sum::<usize>()
        });
        println!(
            "\n## modalias check: {} devices asked of the index vs parsing modules.alias",
            devs.len()
        );
        println!(
            "| text (read, parse) | index (open, one search per device) | text ÷ index | per device |"
        );
        println!("|---:|---:|---:|---:|");
        println!(
            "| {} | {} | {} | {} |",
            us(parse_only),
            us(per_device),
            ratio(parse_only, per_device),
            us(per_device / devs.len().max(1) as u32)
        );
    }
}
