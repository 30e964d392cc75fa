//! Snapshot archives from strangers (issue 6): absolute paths, `..`,
//! symlinks out of the destination, hard links, device nodes and
//! decompression bombs are refused or neutralised with a clear error, and
//! nothing is ever written outside the destination.
//!
//! Archives are written byte by byte (`Tar` below) because the `tar` crate's
//! builder refuses to produce most of these members.

use kmod_doctor::root::archive::{MAX_MEMBER, unpack};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

// ----------------------------------------------------------- tar writer

/// A ustar/GNU tar stream with raw member names.
#[derive(Default)]
struct Tar {
    bytes: Vec<u8>,
}

fn octal(field: &mut [u8], v: u64) {
    let s = format!("{:0w$o}\0", v, w = field.len() - 1);
    field.copy_from_slice(s.as_bytes());
}

impl Tar {
    fn header(&mut self, name: &[u8], size: u64, kind: u8, link: &[u8], mode: u32) {
        let mut h = [0u8; 512];
        let n = name.len().min(100);
        h[..n].copy_from_slice(&name[..n]);
        octal(&mut h[100..108], mode as u64);
        octal(&mut h[108..116], 0);
        octal(&mut h[116..124], 0);
        octal(&mut h[124..136], size);
        octal(&mut h[136..148], 0);
        h[148..156].copy_from_slice(b"        ");
        h[156] = kind;
        let l = link.len().min(100);
        h[157..157 + l].copy_from_slice(&link[..l]);
        h[257..265].copy_from_slice(b"ustar  \0");
        if kind == b'3' || kind == b'4' {
            octal(&mut h[329..337], 1);
            octal(&mut h[337..345], 3);
        }
        let sum: u32 = h.iter().map(|b| *b as u32).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        self.bytes.extend_from_slice(&h);
    }

    fn data(&mut self, data: &[u8]) {
        self.bytes.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.bytes.extend(std::iter::repeat_n(0u8, pad));
    }

    fn file(mut self, name: &[u8], data: &[u8]) -> Tar {
        self.header(name, data.len() as u64, b'0', b"", 0o644);
        self.data(data);
        self
    }

    fn file_mode(mut self, name: &[u8], data: &[u8], mode: u32) -> Tar {
        self.header(name, data.len() as u64, b'0', b"", mode);
        self.data(data);
        self
    }

    fn dir(mut self, name: &[u8]) -> Tar {
        self.header(name, 0, b'5', b"", 0o755);
        self
    }

    fn symlink(mut self, name: &[u8], target: &[u8]) -> Tar {
        self.header(name, 0, b'2', target, 0o777);
        self
    }

    fn hardlink(mut self, name: &[u8], target: &[u8]) -> Tar {
        self.header(name, 0, b'1', target, 0o644);
        self
    }

    fn special(mut self, name: &[u8], kind: u8) -> Tar {
        self.header(name, 0, kind, b"", 0o644);
        self
    }

    /// A GNU long-name member (`././@LongLink`, type `L`) for the next member.
    fn long_name(mut self, name: &[u8]) -> Tar {
        self.header(b"././@LongLink", name.len() as u64 + 1, b'L', b"", 0o644);
        let mut d = name.to_vec();
        d.push(0);
        self.data(&d);
        self
    }

    /// A PAX extended header (type `x`) setting `path` for the next member.
    fn pax_path(mut self, path: &[u8]) -> Tar {
        let mut rec = Vec::new();
        let body_len = b" path=".len() + path.len() + 1;
        let mut len = body_len + 1;
        while format!("{len}").len() + body_len != len {
            len = format!("{len}").len() + body_len;
        }
        rec.extend_from_slice(format!("{len} path=").as_bytes());
        rec.extend_from_slice(path);
        rec.push(b'\n');
        self.header(b"PaxHeader", rec.len() as u64, b'x', b"", 0o644);
        self.data(&rec);
        self
    }

    fn finish(mut self) -> Vec<u8> {
        self.bytes.extend(std::iter::repeat_n(0u8, 1024));
        gz(&self.bytes)
    }
}

/// A gzip stream built piece by piece, where a repeated piece is
/// compressed once: after a full flush deflate output is byte-aligned and
/// the window is reset, so the same input gives the same bytes every time.
/// Makes bombs of hundreds of MiB in milliseconds, even in debug builds.
/// The trailer is not computed (readers stop at their bound first).
struct Gz {
    c: flate2::Compress,
    out: Vec<u8>,
}

impl Gz {
    fn new() -> Gz {
        Gz {
            c: flate2::Compress::new(flate2::Compression::new(1), false),
            out: vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff],
        }
    }

    fn deflate(&mut self, data: &[u8], flush: flate2::FlushCompress) -> Vec<u8> {
        let mut buf = Vec::with_capacity(data.len() / 2 + 1024);
        let before = self.c.total_in();
        loop {
            let consumed = (self.c.total_in() - before) as usize;
            if buf.capacity() - buf.len() < 64 {
                buf.reserve(buf.capacity() + 1024);
            }
            self.c
                .compress_vec(&data[consumed..], &mut buf, flush)
                .unwrap();
            let done = (self.c.total_in() - before) as usize == data.len();
            if done && buf.capacity() - buf.len() >= 64 {
                break;
            }
        }
        buf
    }

    fn push(mut self, data: &[u8]) -> Gz {
        let b = self.deflate(data, flate2::FlushCompress::Full);
        self.out.extend_from_slice(&b);
        self
    }

    fn push_repeated(mut self, data: &[u8], times: u64) -> Gz {
        let b = self.deflate(data, flate2::FlushCompress::Full);
        for _ in 0..times {
            self.out.extend_from_slice(&b);
        }
        self
    }

    fn finish(mut self) -> Vec<u8> {
        let b = self.deflate(&[], flate2::FlushCompress::Finish);
        self.out.extend_from_slice(&b);
        self.out.extend_from_slice(&[0; 8]);
        self.out
    }
}

fn gz(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

// ------------------------------------------------------------- harness

/// A sandbox: `dest` is where the archive is unpacked, `outside` is a
/// sibling that must never change, with a file a hostile archive might try
/// to overwrite.
struct Sandbox {
    _t: tempfile::TempDir,
    dest: PathBuf,
    outside: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("dest");
        let outside = t.path().join("outside");
        std::fs::create_dir(&dest).unwrap();
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("victim"), "original\n").unwrap();
        Sandbox {
            _t: t,
            dest,
            outside,
        }
    }

    fn unpack(&self, archive: &[u8]) -> Result<kmod_doctor::root::archive::UnpackReport, String> {
        unpack(archive, &self.dest)
    }

    /// Everything under the sandbox outside `dest` is as it was.
    fn assert_outside_untouched(&self) {
        let entries: Vec<_> = std::fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(entries, vec![std::ffi::OsString::from("victim")]);
        assert_eq!(
            std::fs::read_to_string(self.outside.join("victim")).unwrap(),
            "original\n"
        );
        let parent: Vec<_> = std::fs::read_dir(self.dest.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let mut parent = parent;
        parent.sort();
        assert_eq!(parent, vec!["dest", "outside"]);
    }

    /// Every path under `dest`, relative, with its kind.
    fn listing(&self) -> Vec<String> {
        let mut v: Vec<String> = walkdir::WalkDir::new(&self.dest)
            .min_depth(1)
            .into_iter()
            .map(|e| {
                let e = e.unwrap();
                let rel = e
                    .path()
                    .strip_prefix(&self.dest)
                    .unwrap()
                    .display()
                    .to_string();
                let ft = e.file_type();
                let k = if ft.is_symlink() {
                    "l"
                } else if ft.is_dir() {
                    "d"
                } else if ft.is_file() {
                    "f"
                } else {
                    "?"
                };
                format!("{k} {rel}")
            })
            .collect();
        v.sort();
        v
    }
}

fn no_control_bytes(s: &str) -> bool {
    !s.chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{202e}')
}

// ------------------------------------------------------- path escapes

#[test]
fn absolute_member_is_refused() {
    let sb = Sandbox::new();
    let target = sb.outside.join("owned");
    let a = Tar::default()
        .file(b"proc/modules", b"")
        .file(target.to_str().unwrap().as_bytes(), b"pwned")
        .finish();
    let e = sb.unpack(&a).unwrap_err();
    assert!(e.contains("escapes the destination"), "{e}");
    assert!(e.contains("owned"), "the message names the member: {e}");
    sb.assert_outside_untouched();
}

#[test]
fn dot_dot_members_are_refused() {
    for name in [
        &b"../outside/owned"[..],
        b"a/../../outside/owned",
        b"./../outside/owned",
        b"proc/../../outside/owned",
        b"..",
    ] {
        let sb = Sandbox::new();
        let a = Tar::default().file(name, b"pwned").finish();
        let e = sb.unpack(&a).unwrap_err();
        assert!(e.contains("escapes"), "{name:?}: {e}");
        sb.assert_outside_untouched();
        assert!(sb.listing().is_empty(), "{name:?}: {:?}", sb.listing());
    }
}

#[test]
fn dot_dot_in_long_names_and_pax_paths_is_refused() {
    let sb = Sandbox::new();
    let long = format!("{}/../../outside/owned", "a/".repeat(60));
    let a = Tar::default()
        .long_name(long.as_bytes())
        .file(b"placeholder", b"pwned")
        .finish();
    assert!(sb.unpack(&a).unwrap_err().contains("escapes"));
    sb.assert_outside_untouched();

    let sb = Sandbox::new();
    let abs = sb.outside.join("owned");
    let a = Tar::default()
        .pax_path(abs.to_str().unwrap().as_bytes())
        .file(b"placeholder", b"pwned")
        .finish();
    assert!(sb.unpack(&a).unwrap_err().contains("escapes"));
    sb.assert_outside_untouched();
}

#[test]
fn writing_through_a_symlink_is_refused() {
    let cases: Vec<(Vec<u8>, &[u8])> = vec![
        // Absolute link to a directory outside, then a file below it.
        (b"ABS".to_vec(), b"link/owned"),
        // Relative link climbing out.
        (b"../outside".to_vec(), b"link/owned"),
        // Link deeper in the tree.
        (b"../../outside".to_vec(), b"link/owned"),
        // The link itself replaced by a regular file: must not follow it.
        (b"ABS/victim".to_vec(), b"link"),
    ];
    for (target, member) in cases {
        let sb = Sandbox::new();
        let target = if target.starts_with(b"ABS") {
            let mut t = sb.outside.to_str().unwrap().as_bytes().to_vec();
            t.extend_from_slice(&target[3..]);
            t
        } else {
            target
        };
        let name: &[u8] = if member.starts_with(b"link/") && target.starts_with(b"../../") {
            b"sub/link"
        } else {
            b"link"
        };
        let member: Vec<u8> = if name == b"sub/link" {
            [b"sub/".as_slice(), member].concat()
        } else {
            member.to_vec()
        };
        let a = Tar::default()
            .dir(b"sub")
            .symlink(name, &target)
            .file(&member, b"pwned")
            .finish();
        let r = sb.unpack(&a);
        assert!(
            r.is_err(),
            "{:?} -> {:?} then {:?}: {r:?}",
            String::from_utf8_lossy(name),
            String::from_utf8_lossy(&target),
            String::from_utf8_lossy(&member)
        );
        sb.assert_outside_untouched();
    }
}

#[test]
fn directory_member_through_a_symlink_is_refused() {
    let sb = Sandbox::new();
    let a = Tar::default()
        .symlink(b"link", sb.outside.to_str().unwrap().as_bytes())
        .dir(b"link/newdir")
        .finish();
    assert!(sb.unpack(&a).is_err());
    sb.assert_outside_untouched();
}

/// Symlinks themselves are kept verbatim (reads resolve them inside the
/// root), so an outward link is harmless: reading through it finds nothing.
#[test]
fn outward_symlinks_are_kept_but_reads_stay_inside() {
    let sb = Sandbox::new();
    let victim = sb.outside.join("victim");
    let a = Tar::default()
        .file(b"proc/sys/kernel/osrelease", b"6.1.0-test\n")
        .symlink(b"proc/modules", victim.to_str().unwrap().as_bytes())
        .symlink(b"etc/modprobe.d/x.conf", b"../../../../outside/victim")
        .finish();
    sb.unpack(&a).unwrap();
    let root = kmod_doctor::root::Root::open(&sb.dest).unwrap();
    let e = root.read_to_string("/proc/modules").unwrap_err();
    assert_eq!(e.kind, kmod_doctor::root::ReadErrorKind::NotFound, "{e}");
    assert!(root.read_to_string("/etc/modprobe.d/x.conf").is_err());
    sb.assert_outside_untouched();
}

// ---------------------------------------------- links, nodes, modes

#[test]
fn hard_links_and_device_nodes_are_skipped_with_a_reason() {
    let sb = Sandbox::new();
    let victim = sb.outside.join("victim");
    let a = Tar::default()
        .file(b"proc/modules", b"")
        .hardlink(b"hl-out", victim.to_str().unwrap().as_bytes())
        .hardlink(b"hl-in", b"proc/modules")
        .special(b"dev/sda", b'4')
        .special(b"dev/mem", b'3')
        .special(b"dev/fifo", b'6')
        .finish();
    let r = sb.unpack(&a).unwrap();
    assert_eq!(r.files, 1);
    assert_eq!(r.skipped.len(), 5, "{:?}", r.skipped);
    for name in ["hl-out", "hl-in", "dev/sda", "dev/mem", "dev/fifo"] {
        assert!(
            r.skipped.iter().any(|s| s.starts_with(name)),
            "{name} not reported: {:?}",
            r.skipped
        );
    }
    assert_eq!(sb.listing(), vec!["d proc", "f proc/modules"]);
    // The victim was not linked (its link count is still 1).
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&victim).unwrap().nlink(), 1);
    sb.assert_outside_untouched();
}

#[test]
fn modes_are_not_applied() {
    let sb = Sandbox::new();
    let a = Tar::default()
        .file_mode(b"setuid", b"#!/bin/sh\n", 0o4777)
        .file_mode(b"unreadable", b"x", 0o000)
        .finish();
    sb.unpack(&a).unwrap();
    for f in ["setuid", "unreadable"] {
        let m = std::fs::metadata(sb.dest.join(f))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(m & 0o7000, 0, "{f}: {m:o}");
        assert_ne!(m & 0o400, 0, "{f}: {m:o}");
    }
}

#[test]
fn duplicate_members_do_not_overwrite() {
    let sb = Sandbox::new();
    let a = Tar::default()
        .file(b"proc/modules", b"first\n")
        .file(b"proc/modules", b"second\n")
        .finish();
    let e = sb.unpack(&a).unwrap_err();
    assert!(e.contains("proc/modules"), "{e}");
    assert_eq!(
        std::fs::read_to_string(sb.dest.join("proc/modules")).unwrap(),
        "first\n"
    );
}

#[test]
fn non_utf8_member_names_do_not_panic() {
    let sb = Sandbox::new();
    let a = Tar::default()
        .file(b"proc/\xff\xfe", b"x")
        .dir(b"sys/module/\xc3(")
        .finish();
    sb.unpack(&a).unwrap();
    // proc, proc/<name>, sys, sys/module, sys/module/<name>
    assert_eq!(sb.listing().len(), 5, "{:?}", sb.listing());
}

// ------------------------------------------------------------- bombs

#[test]
fn member_larger_than_the_limit_is_refused_before_reading() {
    let sb = Sandbox::new();
    let mut t = Tar::default();
    // Header only: the size alone must stop it, before a byte is written.
    t.header(b"proc/modules", MAX_MEMBER + 1, b'0', b"", 0o644);
    let a = gz(&t.bytes);
    let e = sb.unpack(&a).unwrap_err();
    assert!(e.contains("larger than"), "{e}");
    assert!(e.contains("proc/modules"), "{e}");
    assert!(!sb.dest.join("proc/modules").exists());
}

#[test]
fn garbage_and_truncated_archives_are_errors() {
    let good = Tar::default().file(b"proc/modules", &[b'a'; 5000]).finish();
    for (what, bytes) in [
        ("empty", Vec::new()),
        ("not gzip", b"hello, world".to_vec()),
        ("gzip of garbage", gz(&[0x55; 3000])),
        ("truncated", good[..good.len() / 2].to_vec()),
    ] {
        let sb = Sandbox::new();
        let r = sb.unpack(&bytes);
        // A truncated stream may fail on the member or on the end marker;
        // either way it must not panic, and an empty archive is no root.
        if what != "empty" {
            assert!(r.is_err(), "{what}: {r:?}");
        }
        sb.assert_outside_untouched();
    }
}

/// MAX_TOTAL is enforced across members: members each under the member
/// limit stop once together they pass the total, and what was written
/// stays under it.
#[test]
fn total_size_is_bounded() {
    use kmod_doctor::root::archive::MAX_TOTAL;
    let sb = Sandbox::new();
    let half = MAX_MEMBER / 2;
    let mut g = Gz::new();
    for i in 0..(MAX_TOTAL / half + 2) {
        let mut h = Tar::default();
        h.header(format!("f{i}").as_bytes(), half, b'0', b"", 0o644);
        g = g.push(&h.bytes).push_repeated(&[0u8; 1 << 20], half >> 20);
    }
    let e = sb.unpack(&g.finish()[..]).unwrap_err();
    assert!(e.contains("more than"), "{e}");
    let written: u64 = walkdir::WalkDir::new(&sb.dest)
        .into_iter()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    assert!(written <= MAX_TOTAL, "{written} bytes written");
}

/// Peak RSS (KiB) and exit status of the binary run on an archive root.
fn run_archive(archive: &Path, tmpdir: &Path) -> (Option<i32>, i64, String) {
    let err_path = tmpdir.join("stderr");
    let child = Command::new(env!("CARGO_BIN_EXE_kmod-doctor"))
        .args(["check", "--format", "json", "--root"])
        .arg(archive)
        .arg("loop")
        .env("TMPDIR", tmpdir)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let mut status = 0;
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: waits for our own child; `child` is not waited on again.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    assert_eq!(r, pid);
    drop(child);
    let code = if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else {
        None
    };
    let mut err = String::new();
    use std::io::Read;
    std::fs::File::open(&err_path)
        .unwrap()
        .take(1 << 20)
        .read_to_string(&mut err)
        .ok();
    let _ = std::fs::remove_file(&err_path);
    (code, ru.ru_maxrss, err)
}

/// A GNU long name (or PAX header) is read whole into memory by the `tar`
/// crate before `unpack` sees the member, so MAX_MEMBER alone does not
/// bound it. Regression: before the whole stream was bounded, a 1 MiB
/// archive declaring a 1 GiB name took 36 s, 6.3 GB of memory, and printed
/// the 1 GiB name on stderr. Now the read stops at the total bound; the
/// name declared here is a little over it.
#[test]
fn long_name_bomb_is_bounded() {
    use kmod_doctor::root::archive::MAX_TOTAL;
    let t = tempfile::tempdir().unwrap();
    for kind in [b'L', b'x'] {
        let size: u64 = (MAX_TOTAL + MAX_TOTAL / 4 + (1 << 20)) & !((1 << 20) - 1);
        let mut tar = Tar::default();
        tar.header(b"././@LongLink", size, kind, b"", 0o644);
        let mut tail = Tar::default().file(b"x", b"").bytes;
        tail.extend(std::iter::repeat_n(0u8, 1024));
        let bytes = Gz::new()
            .push(&tar.bytes)
            .push_repeated(&[b'a'; 1 << 20], size >> 20)
            .push(&tail)
            .finish();
        let archive = t.path().join(format!("bomb-{}.tar.gz", kind as char));
        std::fs::write(&archive, bytes).unwrap();

        let (code, rss_kib, err) = run_archive(&archive, t.path());
        assert_eq!(code, Some(1), "{}", &err[..err.len().min(300)]);
        // Bounded by the limit, not by what the archive declares.
        assert!(
            (rss_kib as u64) * 1024 < 2 * MAX_TOTAL + (48 << 20),
            "type {}: peak RSS {rss_kib} KiB for a {} KiB archive",
            kind as char,
            std::fs::metadata(&archive).unwrap().len() / 1024
        );
        assert!(err.len() < 4096, "stderr is {} bytes", err.len());
        // Stopped by the bound, not by a broken stream.
        assert!(err.contains("more than"), "{err}");
    }
}

// ------------------------------------------------- through the binary

fn tmp_is_clean(tmp: &Path) {
    let left: Vec<_> = std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("kmod-doctor-root"))
        .collect();
    assert!(left.is_empty(), "temporary roots left behind: {left:?}");
}

#[test]
fn hostile_archives_fail_with_a_clear_message_through_the_binary() {
    let t = tempfile::tempdir().unwrap();
    let tmp = t.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let outside = t.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let abs = outside.join("owned");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "absolute",
            Tar::default()
                .file(abs.to_str().unwrap().as_bytes(), b"x")
                .finish(),
            "escapes",
        ),
        (
            "dotdot",
            Tar::default().file(b"../outside/owned", b"x").finish(),
            "escapes",
        ),
        (
            "through-link",
            Tar::default()
                .symlink(b"l", outside.to_str().unwrap().as_bytes())
                .file(b"l/owned", b"x")
                .finish(),
            "symlink",
        ),
        ("garbage", b"\x1f\x8b garbage".to_vec(), ""),
    ];
    for (name, bytes, why) in cases {
        let archive = t.path().join(format!("{name}.tar.gz"));
        std::fs::write(&archive, bytes).unwrap();
        let (code, _, err) = run_archive(&archive, &tmp);
        assert_eq!(code, Some(1), "{name}: {err}");
        assert!(
            err.contains(&archive.display().to_string()),
            "{name}: the message names the archive: {err}"
        );
        assert!(err.contains(why), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(!abs.exists(), "{name}: wrote outside");
        tmp_is_clean(&tmp);
    }
}

/// A valid archive still works, and its temporary root is removed after.
#[test]
fn valid_archive_root_is_read_and_cleaned_up() {
    let env = crate::common::TestEnv::new();
    let t = tempfile::tempdir().unwrap();
    let tmp = t.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let archive = t.path().join("snap.tar.gz");
    {
        let f = std::fs::File::create(&archive).unwrap();
        let mut b = tar::Builder::new(flate2::write::GzEncoder::new(
            f,
            flate2::Compression::fast(),
        ));
        b.follow_symlinks(false);
        b.append_dir_all(".", env.path()).unwrap();
        b.into_inner().unwrap().finish().unwrap();
    }
    let (code, _, err) = run_archive(&archive, &tmp);
    // loop is not loaded in an empty TestEnv: not-found.
    assert_eq!(code, Some(16), "{err}");
    tmp_is_clean(&tmp);
}

/// Member names are printed in messages; they must not carry terminal
/// escapes or fake lines into the analyst's terminal (regression: they were
/// printed raw).
#[test]
fn member_names_in_messages_are_sanitized() {
    let t = tempfile::tempdir().unwrap();
    let tmp = t.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let evil = b"proc/\x1b]0;owned\x07\x1b[2J\nkmod-doctor: all modules are safe\r";
    for (i, archive) in [
        // A skipped FIFO: the notice names it.
        Tar::default()
            .file(b"proc/sys/kernel/osrelease", b"6.1\n")
            .special(evil, b'6')
            .finish(),
        // A refused member (a duplicate): the error names it.
        Tar::default().file(evil, b"1").file(evil, b"2").finish(),
    ]
    .into_iter()
    .enumerate()
    {
        let path = t.path().join(format!("evil{i}.tar.gz"));
        std::fs::write(&path, archive).unwrap();
        let (_, _, err) = run_archive(&path, &tmp);
        assert!(err.contains("owned"), "case {i}: member not named: {err:?}");
        assert!(
            no_control_bytes(&err),
            "case {i}: raw control bytes: {err:?}"
        );
        assert!(
            !err.lines()
                .any(|l| l.starts_with("kmod-doctor: all modules")),
            "case {i}: forged line: {err:?}"
        );
    }
}
