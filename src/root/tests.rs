//! Resolution under a root: links inside, escapes, loops, bounds.

use super::*;
use std::os::unix::fs::symlink;

fn tree() -> (tempfile::TempDir, Root) {
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("sys/devices/x")).unwrap();
    std::fs::create_dir_all(t.path().join("sys/class/net")).unwrap();
    std::fs::write(t.path().join("sys/devices/x/attr"), "v\n").unwrap();
    symlink("../../devices/x", t.path().join("sys/class/net/eth0")).unwrap();
    symlink("/etc/passwd", t.path().join("sys/class/net/abs")).unwrap();
    symlink(
        "../../../../../../../../etc/passwd",
        t.path().join("sys/class/net/up"),
    )
    .unwrap();
    symlink("loop2", t.path().join("sys/class/net/loop1")).unwrap();
    symlink("loop1", t.path().join("sys/class/net/loop2")).unwrap();
    let r = Root::open(t.path()).unwrap();
    (t, r)
}

#[test]
fn relative_links_resolve_inside_root() {
    let (_t, r) = tree();
    assert_eq!(r.read_attr("/sys/class/net/eth0/attr").unwrap(), "v");
    assert_eq!(
        r.canonical("/sys/class/net/eth0").unwrap(),
        "/sys/devices/x"
    );
    assert_eq!(
        r.read_link("/sys/class/net/eth0").unwrap(),
        "../../devices/x"
    );
}

#[test]
fn links_cannot_escape() {
    let (_t, r) = tree();
    // Both resolve to <root>/etc/passwd, which does not exist in the tree.
    assert_eq!(
        r.read_to_string("/sys/class/net/abs").unwrap_err().kind,
        ReadErrorKind::NotFound
    );
    assert_eq!(
        r.read_to_string("/sys/class/net/up").unwrap_err().kind,
        ReadErrorKind::NotFound
    );
    assert_eq!(
        r.read_to_string("/../../etc/passwd").unwrap_err().kind,
        ReadErrorKind::NotFound
    );
}

#[test]
fn loops_are_errors() {
    let (_t, r) = tree();
    let e = r.read_to_string("/sys/class/net/loop1").unwrap_err();
    assert_eq!(e.kind, ReadErrorKind::SymlinkLoop);
    assert!(e.to_string().contains("/sys/class/net/loop1"));
}

#[test]
fn reads_are_bounded() {
    let (t, mut r) = tree();
    std::fs::write(t.path().join("big"), vec![b'a'; 100]).unwrap();
    r.set_read_limit(10);
    assert!(matches!(
        r.read_bytes("/big").unwrap_err().kind,
        ReadErrorKind::TooLarge { .. }
    ));
}

#[test]
fn non_utf8_names_the_line() {
    let (t, r) = tree();
    std::fs::write(t.path().join("bad"), b"ok\nok\n\xff\n").unwrap();
    assert_eq!(
        r.read_to_string("/bad").unwrap_err().kind,
        ReadErrorKind::NotUtf8 { line: 3 }
    );
}

#[test]
fn child_refuses_traversal() {
    assert_eq!(
        child("/sys/module", "loop").as_deref(),
        Some("/sys/module/loop")
    );
    for bad in ["", ".", "..", "a/b", "a\0"] {
        assert!(child("/sys/module", bad).is_none(), "{bad:?}");
    }
}

/// A directory read as a file is refused with the same words in a tree
/// (checked with fstat) and live (told by read() itself, without the fstat).
#[test]
fn a_directory_is_not_read_as_a_file() {
    let (_t, r) = tree();
    let e = r.read_bytes("/sys/devices/x").unwrap_err();
    assert_eq!(e.kind, ReadErrorKind::Malformed("is a directory".into()));
    let live = Root::open(Path::new("/")).unwrap();
    assert!(live.live);
    let e = live.read_bytes("/usr").unwrap_err();
    assert_eq!(e.kind, ReadErrorKind::Malformed("is a directory".into()));
    assert_eq!(e.path, "/usr");
}

/// The live walk by directory descriptor finds and reads what the walk by
/// path does, on this machine's own /sys: same files, same values.
#[test]
fn live_walk_by_descriptor_agrees_with_the_walk_by_path() {
    let live = Root::open(Path::new("/")).unwrap();
    if !live.exists("/sys/devices") {
        return; // no sysfs here: nothing to compare
    }
    let skip: &[&str] = &["power", "queue", "holders", "slaves"];
    let fast = live
        .read_attrs_named("/sys/devices", "modalias", 12, skip)
        .unwrap();
    let by_path: Vec<(String, Result<String, ReadError>)> = live
        .find_named("/sys/devices", "modalias", 12, skip)
        .unwrap()
        .into_iter()
        .map(|p| {
            let v = live.read_attr(&p);
            (p, v)
        })
        .collect();
    assert_eq!(fast.len(), by_path.len());
    for ((a, va), (b, vb)) in fast.iter().zip(&by_path) {
        assert_eq!(a, b);
        assert_eq!(va.as_ref().ok(), vb.as_ref().ok(), "{a}");
    }
    // Depth and skip are honoured the same way.
    let shallow = live
        .read_attrs_named("/sys/devices", "uevent", 2, &[])
        .unwrap();
    let shallow_paths = live.find_named("/sys/devices", "uevent", 2, &[]).unwrap();
    let names: Vec<&String> = shallow.iter().map(|(p, _)| p).collect();
    assert_eq!(names, shallow_paths.iter().collect::<Vec<_>>());
    assert!(
        live.read_attrs_named("/nonexistent-kd", "x", 3, &[])
            .is_err()
    );
}
