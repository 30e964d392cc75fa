//! Hostile kmod index files: truncated, cyclic, huge counts and lengths,
//! random bytes. Every lookup ends, never panics, and an error names the file
//! and the offset.

use kmod_doctor::facts::kmod_index::{Index, Load, MAGIC};
use kmod_doctor::root::Root;
use proptest::prelude::*;

const FIXTURE: &str = "tests/fixtures/kmod-index/6.1.0-57-cloud-amd64.tar.gz";
const PATH: &str = "/lib/modules/r/modules.alias.bin";

const PREFIX: u32 = 0x8000_0000;
const VALUES: u32 = 0x4000_0000;
const CHILDS: u32 = 0x2000_0000;

/// One real index from the fixture.
fn real(name: &str) -> Vec<u8> {
    let f = std::fs::File::open(FIXTURE).unwrap();
    let mut a = tar::Archive::new(flate2::read::GzDecoder::new(f));
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_str() == Some(name) {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut v).unwrap();
            return v;
        }
    }
    panic!("{name} not in fixture");
}

fn header(root: u32) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&MAGIC.to_be_bytes());
    b.extend_from_slice(&0x0002_0001u32.to_be_bytes());
    b.extend_from_slice(&root.to_be_bytes());
    b
}

/// Every operation on `bytes`: must not panic; errors must name the file.
fn exercise(bytes: Vec<u8>, queries: &[&str]) -> Vec<String> {
    let mut errors = Vec::new();
    let mut note = |r: Result<(), kmod_doctor::root::ReadError>| {
        if let Err(e) = r {
            let s = e.to_string();
            assert!(s.starts_with(PATH), "{s}");
            errors.push(s);
        }
    };
    match Index::from_bytes(PATH, bytes) {
        Err(e) => note(Err(e)),
        Ok(mut idx) => {
            for q in queries {
                note(idx.lookup(q).map(drop));
                note(idx.search_wild(q).map(drop));
            }
            // The prefix walks every loaded module's check makes.
            note(idx.with_prefix("rtnl_link_").map(drop));
            note(idx.with_prefix("fs_").map(drop));
            note(idx.dump().map(drop));
        }
    }
    errors
}

const QUERIES: &[&str] = &[
    "virtio_net",
    "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00",
    "fs_ext4",
    "",
    "a*b",
];

#[test]
fn truncated_real_index_never_panics() {
    let full = real("modules.alias.bin");
    let mut failures = 0;
    // Every length near the start (header, root node), then a stride.
    let lens = (0..64).chain((64..full.len()).step_by(997));
    for n in lens {
        if !exercise(full[..n].to_vec(), QUERIES).is_empty() {
            failures += 1;
        }
    }
    assert!(failures > 50, "truncation went unnoticed ({failures})");
    assert!(exercise(full, QUERIES).is_empty());
}

#[test]
fn short_and_foreign_headers() {
    for (bytes, want) in [
        (vec![], "offset 0: 0 bytes"),
        (vec![0xB0, 0x07], "offset 0: 2 bytes"),
        (b"not an index at all".to_vec(), "magic"),
        (
            {
                let mut h = header(12);
                h[4] = 0;
                h[5] = 1;
                h
            },
            "version 1",
        ),
    ] {
        let e = Index::from_bytes(PATH, bytes).unwrap_err().to_string();
        assert!(e.contains(PATH) && e.contains(want), "{e}");
    }
}

#[test]
fn offsets_outside_the_file() {
    // Root beyond the end, and inside the header.
    for root in [1000 | PREFIX, 4 | PREFIX, 0x0FFF_FFFF | CHILDS] {
        let errs = exercise(header(root), QUERIES);
        assert!(!errs.is_empty());
        assert!(errs.iter().all(|e| e.contains("offset ")), "{errs:?}");
    }
    // Root 0: an empty index, no answers, no error.
    let mut idx = Index::from_bytes(PATH, header(0)).unwrap();
    assert!(idx.search_wild("x").unwrap().is_empty());
    assert_eq!(idx.lookup("x").unwrap(), None);
}

#[test]
fn huge_counts_and_unterminated_strings() {
    // 4 billion values.
    let mut b = header(12 | VALUES);
    b.extend_from_slice(&u32::MAX.to_be_bytes());
    b.extend_from_slice(&[0, 0, 0, 0, b'x', 0]);
    let e = Index::from_bytes(PATH, b)
        .unwrap()
        .lookup("")
        .unwrap_err()
        .to_string();
    assert!(e.contains("offset 12") && e.contains("cannot fit"), "{e}");

    // A prefix that never ends.
    let mut b = header(12 | PREFIX);
    b.extend(std::iter::repeat_n(b'a', 10_000));
    let e = Index::from_bytes(PATH, b)
        .unwrap()
        .search_wild("aaa")
        .unwrap_err()
        .to_string();
    assert!(e.contains("offset 12") && e.contains("prefix"), "{e}");

    // A child table claiming 0..=127 in a 2-byte tail.
    let mut b = header(12 | CHILDS);
    b.extend_from_slice(&[0, 127]);
    let e = Index::from_bytes(PATH, b)
        .unwrap()
        .lookup("a")
        .unwrap_err()
        .to_string();
    assert!(e.contains("child table"), "{e}");

    // first > last, and bytes ≥ 128.
    for (f, l) in [(b'z', b'a'), (0x80, 0xff)] {
        let mut b = header(12 | CHILDS);
        b.extend_from_slice(&[f, l, 0, 0, 0, 0]);
        let e = Index::from_bytes(PATH, b)
            .unwrap()
            .lookup("a")
            .unwrap_err()
            .to_string();
        assert!(e.contains("child range"), "{e}");
    }

    // A value that is not UTF-8.
    let mut b = header(12 | VALUES);
    b.extend_from_slice(&1u32.to_be_bytes());
    b.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xfe, 0]);
    let e = Index::from_bytes(PATH, b)
        .unwrap()
        .lookup("")
        .unwrap_err()
        .to_string();
    assert!(e.contains("UTF-8"), "{e}");
}

#[test]
fn cyclic_offsets_end() {
    // Node A at 12: children '*'..='b' → '*' points to B, 'a' and 'b' to A.
    // Node B: children '*'..='*' pointing back to A.
    let a = 12u32 | CHILDS;
    let mut b = header(a);
    let b_off = 12 + 2 + 4 * (u32::from(b'b' - b'*') + 1);
    b.extend_from_slice(b"*b");
    for ch in b'*'..=b'b' {
        let o = match ch {
            b'*' => b_off | CHILDS,
            b'a' | b'b' => a,
            _ => 0,
        };
        b.extend_from_slice(&o.to_be_bytes());
    }
    b.extend_from_slice(b"**");
    b.extend_from_slice(&a.to_be_bytes());
    let mut idx = Index::from_bytes(PATH, b).unwrap();
    let e = idx.search_wild("abab").unwrap_err().to_string();
    assert!(e.contains("reached twice"), "{e}");
    assert!(
        idx.dump()
            .unwrap_err()
            .to_string()
            .contains("reached twice")
    );
    // The exact lookup walks the a/b self-loop once per key byte and stops.
    let long = "ab".repeat(2000);
    assert_eq!(idx.lookup(&long).unwrap(), None);
}

#[test]
fn deep_chain_is_bounded() {
    // A chain of 5000 nodes 'a' → 'a' → ... (no cycle): keys pass MAX_KEY.
    let n = 5000u32;
    let node_len = 2 + 4;
    let mut b = header(12 | CHILDS);
    for i in 0..n {
        let next = if i + 1 < n {
            (12 + (i + 1) * node_len) | CHILDS
        } else {
            0
        };
        b.extend_from_slice(b"**");
        b.extend_from_slice(&next.to_be_bytes());
    }
    let mut idx = Index::from_bytes(PATH, b).unwrap();
    let e = idx.dump().unwrap_err().to_string();
    assert!(e.contains("longer than"), "{e}");
    assert!(idx.search_wild("x").is_err());
}

#[test]
fn paged_reads_of_a_file_that_shrinks() {
    let full = real("modules.dep.bin");
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("lib/modules/r")).unwrap();
    let p = t.path().join("lib/modules/r/modules.dep.bin");
    std::fs::write(&p, &full).unwrap();
    let root = Root::open(t.path()).unwrap();
    let mut idx = Index::open(&root, "/lib/modules/r/modules.dep.bin", Load::Paged).unwrap();
    // Cut it under the open index: later pages cannot be read.
    std::fs::write(&p, &full[..4096]).unwrap();
    let mut errors = 0;
    for m in ["virtio_net", "zram", "ext4", "xfs", "bridge", "a", "z"] {
        if let Err(e) = idx.lookup(m) {
            assert!(e.to_string().contains("modules.dep.bin"), "{e}");
            errors += 1;
        }
    }
    assert!(errors > 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Random bytes after a valid header.
    #[test]
    fn random_bodies(root in any::<u32>(), body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut b = header(root);
        b.extend(body);
        exercise(b, QUERIES);
    }

    /// A real index with bytes overwritten at random places.
    #[test]
    fn flipped_real_bytes(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16)) {
        thread_local! {
            static REAL: Vec<u8> = real("modules.alias.bin");
        }
        let mut b = REAL.with(|r| r.clone());
        for (i, v) in flips {
            let at = i.index(b.len());
            b[at] = v;
        }
        exercise(b, QUERIES);
    }
}
