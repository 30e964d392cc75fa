#![no_main]
//! Snapshot archives: unpack into a fresh directory; nothing may appear
//! outside it.
use kmod_doctor::root::archive::unpack;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let t = tempfile::tempdir().unwrap();
    let dest = t.path().join("dest");
    std::fs::create_dir(&dest).unwrap();
    let _ = unpack(data, &dest);
    let names: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("dest")],
        "wrote outside the destination"
    );
});
