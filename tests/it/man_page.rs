//! The committed man page must match the clap definition. Regenerate with
//! `UPDATE_MAN=1 cargo test --test man_page`.

#[test]
fn man_page_is_up_to_date() {
    let fresh = kmod_doctor::cli::man_page();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/man/kmod-doctor.8");
    if std::env::var_os("UPDATE_MAN").is_some() {
        std::fs::write(path, &fresh).unwrap();
    }
    let committed = std::fs::read(path).unwrap_or_default();
    assert!(
        committed == fresh,
        "man/kmod-doctor.8 is out of date: run `UPDATE_MAN=1 cargo test --test man_page` and commit it"
    );
    let text = String::from_utf8(fresh).unwrap();
    for needle in [
        "EXIT STATUS",
        "KMOD-DOCTOR CHECK",
        "\\-\\-root",
        "16",
        "ENVIRONMENT",
    ] {
        assert!(text.contains(needle), "man page lacks {needle}");
    }
}

/// The page as man shows it (groff, ASCII), pinned: a change to the clap
/// definition shows here as it reads.
#[test]
fn rendered_man_page_is_pinned() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/man/kmod-doctor.8");
    let out = std::process::Command::new("groff")
        .args(["-man", "-Tascii", "-P-cbou", "-rLL=78n", path])
        .env("LC_ALL", "C")
        .output()
        .expect("groff (groff-base) is a test prerequisite: apt-get install groff-base");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // No page we do not ship is referenced.
    for sub in [
        "check",
        "rules",
        "snapshot",
        "explain",
        "scan",
        "report",
        "completions",
        "help",
    ] {
        assert!(
            !text.contains(&format!("kmod-doctor-{sub}(")),
            "reference to a page we do not ship: kmod-doctor-{sub}"
        );
    }
    for needle in [
        "ENVIRONMENT",
        "NO_COLOR",
        "CLICOLOR_FORCE",
        "COLUMNS",
        "LC_ALL",
        "--output <FILE.tar.gz>",
        "--module <MODULE>",
        "--verdict <VERDICT>",
    ] {
        assert!(
            text.contains(needle),
            "rendered page lacks {needle}:\n{text}"
        );
    }
    // One exit code per item: the closing sentence is a paragraph of its own.
    assert!(
        !text.contains("no such module or alias With several"),
        "{text}"
    );
    let stable = crate::common::redact_version(&text);
    insta::assert_snapshot!("man_rendered", stable);
}
