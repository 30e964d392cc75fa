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

/// Live listings by `getdents64` give what `std::fs::read_dir` gives, on this
/// machine's own /proc and /sys, and the same errors for what is not a directory.
#[test]
fn live_listing_agrees_with_read_dir() {
    let live = Root::open(Path::new("/")).unwrap();
    for dir in [
        "/proc/self/fd",
        "/proc/self",
        "/sys/class",
        "/sys/devices",
        "/usr/bin",
    ] {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut want: Vec<String> = rd.map(|e| os_to_string(e.unwrap().file_name())).collect();
        want.sort();
        let mut got = live.read_dir(dir).unwrap();
        // /proc/self/fd changes with the descriptors open while listing.
        if dir == "/proc/self/fd" {
            got.retain(|n| n.parse::<u32>().is_ok_and(|n| n < 3));
            want.retain(|n| n.parse::<u32>().is_ok_and(|n| n < 3));
        }
        assert_eq!(got, want, "{dir}");
        let subdirs = live.read_subdirs(dir).unwrap();
        let want_dirs: Vec<&String> = want
            .iter()
            .filter(|n| std::fs::symlink_metadata(format!("{dir}/{n}")).is_ok_and(|m| m.is_dir()))
            .collect();
        if dir != "/proc/self/fd" {
            assert_eq!(subdirs.iter().collect::<Vec<_>>(), want_dirs, "{dir}");
        }
    }
    assert_eq!(
        live.read_dir("/nonexistent-kd").unwrap_err().kind,
        ReadErrorKind::NotFound
    );
    assert!(live.read_dir("/proc/self/status").is_err());
    assert!(live.read_subdirs("/nonexistent-kd").is_err());
}

/// The remembering live canonicalisation agrees with realpath(3) on this
/// machine's own links, and keeps its errors.
#[test]
fn live_canonical_agrees_with_realpath() {
    let live = Root::open(Path::new("/")).unwrap();
    let mut paths: Vec<String> = vec![
        "/proc/self".into(),
        "/proc/self/cwd".into(),
        "/proc/self/../self/exe".into(),
        "/usr/bin/../lib".into(),
        "/".into(),
        "/./usr//bin/".into(),
    ];
    for class in ["/sys/class", "/sys/bus"] {
        for sub in std::fs::read_dir(class)
            .into_iter()
            .flatten()
            .flatten()
            .take(12)
        {
            let p = sub.path();
            let devices = if class == "/sys/bus" {
                p.join("devices")
            } else {
                p
            };
            for d in std::fs::read_dir(&devices)
                .into_iter()
                .flatten()
                .flatten()
                .take(5)
            {
                paths.push(d.path().display().to_string());
                paths.push(format!("{}/subsystem/..", d.path().display()));
            }
        }
    }
    // Twice: the second round answers from what the first remembered.
    for _ in 0..2 {
        for p in &paths {
            let want = std::fs::canonicalize(p).map(|c| c.display().to_string());
            match (live.canonical(p), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{p}"),
                (Err(_), Err(_)) => {}
                (got, want) => panic!("{p}: {got:?} against realpath {want:?}"),
            }
        }
    }
    for bad in ["/nonexistent-kd", "/proc/self/status/x"] {
        assert_eq!(
            live.canonical(bad).unwrap_err().kind,
            ReadErrorKind::NotFound,
            "{bad}"
        );
    }
}

/// Subdirectories under a root are real directories only: a symlink to a
/// directory (a sysfs `subsystem` or `driver` link) is not one.
#[test]
fn subdirs_leave_out_links_and_files() {
    let (t, r) = tree();
    std::fs::create_dir_all(t.path().join("sys/devices/x/net")).unwrap();
    symlink("../../class/net", t.path().join("sys/devices/x/subsystem")).unwrap();
    assert_eq!(r.read_subdirs("/sys/devices/x").unwrap(), vec!["net"]);
    assert_eq!(
        r.read_subdirs("/sys/class/net/eth0").unwrap(),
        vec!["net"],
        "the directory itself may be reached through a link"
    );
}
