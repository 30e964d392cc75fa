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
    for needle in ["EXIT STATUS", "KMOD-DOCTOR CHECK", "\\-\\-root", "16"] {
        assert!(text.contains(needle), "man page lacks {needle}");
    }
}
