//! Names close to one that matched nothing: `brdge`, `Bridge` or `bridg`
//! → `bridge`, among the loaded, built-in and installed modules.

use super::system::System;
use super::table::Evidence;

/// At most this many suggestions, closest first.
pub const MAX: usize = 3;

/// Edit distance (insertions, deletions, substitutions, adjacent
/// transpositions), case folded and with `-` read as `_`.
pub fn distance(a: &str, b: &str) -> usize {
    let fold = |s: &str| -> Vec<char> {
        s.chars()
            .map(|c| {
                if c == '-' {
                    '_'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    };
    let (a, b) = (fold(a), fold(b));
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

/// How far a candidate may be from the query: one edit for names up to 7
/// characters, one more per 4 characters after that, at most 3.
fn limit(query: &str) -> usize {
    (query.chars().count() / 4).clamp(1, 3)
}

/// The closest module names to `query` that exist on the system, with where
/// each was found. Empty when nothing is close.
pub fn suggestions(sys: &System, query: &str) -> (Vec<String>, Vec<Evidence>) {
    // (name, where found); the first source of a name wins.
    let mut cands: Vec<(String, String)> = Vec::new();
    let mut push = |n: &str, src: &str| {
        if !cands.iter().any(|(c, _)| c == n) {
            cands.push((n.to_string(), src.to_string()));
        }
    };
    if let Ok(Some(list)) = sys.proc_modules() {
        for e in list {
            push(&e.name, "/proc/modules");
        }
    }
    if let Ok(b) = sys.builtin() {
        let src = sys.modules_file("modules.builtin").unwrap_or_default();
        for n in b.keys() {
            push(n, &src);
        }
    }
    if let Ok(names) = sys.root.read_dir("/sys/module") {
        for n in names {
            push(&n, "/sys/module");
        }
    }
    if let Ok(d) = sys.moddep() {
        let src = sys.modules_file("modules.dep").unwrap_or_default();
        for n in d.by_name.keys() {
            push(n, &src);
        }
    }
    let max = limit(query);
    let mut close: Vec<(usize, String, String)> = cands
        .into_iter()
        .filter(|(n, _)| n != query)
        .filter_map(|(n, src)| {
            let d = distance(query, &n);
            (d <= max).then_some((d, n, src))
        })
        .collect();
    close.sort();
    close.truncate(MAX);
    let ev = close
        .iter()
        .map(|(d, n, src)| {
            Evidence::new(
                src.clone(),
                format!("{n} ({d} edit{} away)", if *d == 1 { "" } else { "s" }),
            )
        })
        .collect();
    (close.into_iter().map(|(_, n, _)| n).collect(), ev)
}

#[cfg(test)]
mod tests {
    use super::distance;

    #[test]
    fn distances() {
        assert_eq!(distance("brdge", "bridge"), 1);
        assert_eq!(distance("Bridge", "bridge"), 0);
        assert_eq!(distance("brigde", "bridge"), 1);
        assert_eq!(distance("br-netfilter", "br_netfilter"), 0);
        assert_eq!(distance("loop", "bridge"), 6);
    }
}
