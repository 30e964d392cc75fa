use super::*;

/// A minimal depmod-style writer, for tests: builds the trie and writes it
/// with children after their parent.
pub(crate) fn build(entries: &[(&str, &str, u32)]) -> Vec<u8> {
    #[derive(Default)]
    struct N {
        children: std::collections::BTreeMap<u8, N>,
        values: Vec<(u32, String)>,
    }
    let mut root = N::default();
    for (k, v, p) in entries {
        let mut n = &mut root;
        for b in k.bytes() {
            n = n.children.entry(b).or_default();
        }
        n.values.push((*p, v.to_string()));
        n.values.sort_by_key(|x| x.0);
    }
    // Compress chains into prefixes and serialize.
    fn write(n: &N, prefix: Vec<u8>, out: &mut Vec<u8>) -> u32 {
        // Follow single-child, valueless chains.
        let mut n = n;
        let mut prefix = prefix;
        while n.values.is_empty() && n.children.len() == 1 {
            let (b, c) = n.children.iter().next().unwrap();
            prefix.push(*b);
            n = c;
        }
        let child_offs: Vec<(u8, u32)> = n
            .children
            .iter()
            .map(|(b, c)| (*b, write(c, Vec::new(), out)))
            .collect();
        let off = out.len() as u32;
        let mut flags = 0;
        if !prefix.is_empty() {
            flags |= FLAG_PREFIX;
            out.extend_from_slice(&prefix);
            out.push(0);
        }
        if !child_offs.is_empty() {
            flags |= FLAG_CHILDS;
            let first = child_offs[0].0;
            let last = child_offs.last().unwrap().0;
            out.push(first);
            out.push(last);
            for ch in first..=last {
                let o = child_offs
                    .iter()
                    .find(|(b, _)| *b == ch)
                    .map(|x| x.1)
                    .unwrap_or(0);
                out.extend_from_slice(&o.to_be_bytes());
            }
        }
        if !n.values.is_empty() {
            flags |= FLAG_VALUES;
            out.extend_from_slice(&(n.values.len() as u32).to_be_bytes());
            for (p, v) in &n.values {
                out.extend_from_slice(&p.to_be_bytes());
                out.extend_from_slice(v.as_bytes());
                out.push(0);
            }
        }
        off | flags
    }
    let mut out = vec![0u8; 12];
    let root_off = write(&root, Vec::new(), &mut out);
    out[0..4].copy_from_slice(&MAGIC.to_be_bytes());
    out[4..8].copy_from_slice(&0x0002_0001u32.to_be_bytes());
    out[8..12].copy_from_slice(&root_off.to_be_bytes());
    out
}

#[test]
fn exact_and_wild() {
    let bytes = build(&[
        ("ask", "m1", 1),
        ("ate", "m2", 2),
        ("on", "m3", 3),
        ("once", "m4", 4),
        ("one", "m5", 0),
        ("one", "m6", 7),
        ("o*", "star", 9),
        ("pci:v*d0001*", "p1", 5),
        ("pci:v0000AAAAd*", "p2", 6),
        ("pci:v[0-9]*", "p3", 8),
    ]);
    let mut idx = Index::from_bytes("/t.bin", bytes).unwrap();
    assert_eq!(idx.lookup("one").unwrap().as_deref(), Some("m5"));
    assert_eq!(idx.lookup_all("one").unwrap().len(), 2);
    assert_eq!(idx.lookup("on").unwrap().as_deref(), Some("m3"));
    assert_eq!(idx.lookup("o").unwrap(), None);
    assert_eq!(idx.lookup("onex").unwrap(), None);
    let names = |v: Vec<Value>| v.into_iter().map(|v| v.value).collect::<Vec<_>>();
    assert_eq!(names(idx.search_wild("one").unwrap()), ["m5", "m6", "star"]);
    assert_eq!(names(idx.search_wild("oxx").unwrap()), ["star"]);
    assert_eq!(
        names(idx.search_wild("pci:v0000AAAAd00010000").unwrap()),
        ["p1", "p2", "p3"]
    );
    assert_eq!(names(idx.search_wild("pci:vZ000d0001").unwrap()), ["p1"]);
    assert!(idx.search_wild("zzz").unwrap().is_empty());
    let all = idx.dump().unwrap();
    assert_eq!(all.len(), 10);
    let pci: Vec<String> = idx
        .with_prefix("pci:v0")
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(pci, ["pci:v0000AAAAd*"]);
    assert_eq!(idx.with_prefix("o").unwrap().len(), 5);
    assert_eq!(idx.with_prefix("").unwrap().len(), 10);
    assert!(idx.with_prefix("onex").unwrap().is_empty());
    let keys: Vec<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
    let mut sorted_keys = keys.clone();
    sorted_keys.sort();
    assert_eq!(keys, sorted_keys);
}

#[test]
fn header_errors_name_file_and_offset() {
    let e = Index::from_bytes("/x.bin", vec![1, 2, 3]).unwrap_err();
    assert!(
        e.to_string().contains("/x.bin") && e.to_string().contains("offset 0"),
        "{e}"
    );
    let mut b = build(&[("a", "b", 0)]);
    b[0] = 0;
    assert!(
        Index::from_bytes("/x.bin", b.clone())
            .unwrap_err()
            .to_string()
            .contains("magic")
    );
    let mut b = build(&[("a", "b", 0)]);
    b[5] = 3;
    assert!(
        Index::from_bytes("/x.bin", b)
            .unwrap_err()
            .to_string()
            .contains("version 3")
    );
}

#[test]
fn cycles_end_with_an_error() {
    // Root: prefix "", children '*'..='*' pointing back at the root.
    let mut b = vec![0u8; 12];
    b[0..4].copy_from_slice(&MAGIC.to_be_bytes());
    b[4..8].copy_from_slice(&0x0002_0001u32.to_be_bytes());
    let root = 12u32 | FLAG_CHILDS;
    b[8..12].copy_from_slice(&root.to_be_bytes());
    b.extend_from_slice(b"**");
    b.extend_from_slice(&root.to_be_bytes());
    let mut idx = Index::from_bytes("/c.bin", b).unwrap();
    let e = idx.search_wild("abc").unwrap_err();
    assert!(e.to_string().contains("reached twice"), "{e}");
    assert!(idx.dump().is_err());
    // Exact lookups consume the key, so they end too.
    assert_eq!(idx.lookup("****").unwrap(), None);
}

#[test]
fn alias_normalization() {
    assert_eq!(normalize_alias("fs-ext4").as_deref(), Some("fs_ext4"));
    assert_eq!(normalize_alias("a-[x-z]-b").as_deref(), Some("a_[x-z]_b"));
    assert_eq!(normalize_alias("a]"), None);
    assert_eq!(normalize_alias("a[b"), None);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

    /// The trie search (literal descent, wildcard subtrees, pruning)
    /// finds exactly the stored patterns that fnmatch says match,
    /// brackets cut across nodes included.
    #[test]
    fn wild_search_is_fnmatch_over_all_keys(
        keys in proptest::collection::vec("[ab*?\\[\\]!-]{0,7}", 1..24),
        queries in proptest::collection::vec("[ab\\]!-]{0,8}", 1..8),
    ) {
        let entries: Vec<(&str, String, u32)> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_str(), format!("v{i}"), i as u32))
            .collect();
        let refs: Vec<(&str, &str, u32)> =
            entries.iter().map(|(k, v, p)| (*k, v.as_str(), *p)).collect();
        let mut idx = Index::from_bytes("/p.bin", build(&refs)).unwrap();
        for q in &queries {
            let mut want: Vec<String> = entries
                .iter()
                .filter(|(k, _, _)| fnmatch(k.as_bytes(), q.as_bytes()))
                .map(|(_, v, _)| v.clone())
                .collect();
            let mut got: Vec<String> =
                idx.search_wild(q).unwrap().into_iter().map(|v| v.value).collect();
            want.sort();
            got.sort();
            proptest::prop_assert_eq!(got, want, "query {:?} keys {:?}", q, keys);
        }
    }
}
