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
