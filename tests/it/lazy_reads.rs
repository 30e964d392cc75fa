//! Reads stop at what the verdict needs: the kernel config is parsed (and
//! /proc/config.gz decompressed) only up to the symbols the rules read.

use crate::common::{RELEASE, TestEnv, check1, gzip};

#[test]
fn config_read_stops_after_the_wanted_symbols() {
    let mut env = TestEnv::new();
    env.idle("dummy");
    // The symbols first, then bytes that would make the file unreadable.
    let mut cfg =
        b"CONFIG_MODULES=y\nCONFIG_MODULE_UNLOAD=y\n# CONFIG_MODULE_FORCE_UNLOAD is not set\n"
            .to_vec();
    cfg.extend_from_slice(b"CONFIG_LATER=\xff\xfe\n");
    env.write_bytes(&format!("/boot/config-{RELEASE}"), &cfg);
    let c = check1(&env, "dummy");
    assert_eq!(
        c.json["kernel"]["config_source"],
        format!("/boot/config-{RELEASE}"),
        "{}",
        c.why()
    );
    assert_eq!(
        c.json["kernel"]["force_unload_supported"],
        false,
        "{}",
        c.why()
    );

    // Bad bytes before the symbols: the file is refused, naming the line.
    env.write_bytes(
        &format!("/boot/config-{RELEASE}"),
        b"# x\n\xff\nCONFIG_MODULES=y\nCONFIG_MODULE_UNLOAD=y\n",
    );
    let c = check1(&env, "dummy");
    assert_eq!(
        c.json["kernel"]["config_source"],
        serde_json::Value::Null,
        "{}",
        c.why()
    );
    assert!(c.out.stdout.contains("line 2: not UTF-8"), "{}", c.why());

    // config.gz: a stream cut after the symbols still answers.
    let gz = gzip(&format!(
        "CONFIG_MODULES=y\nCONFIG_MODULE_UNLOAD=y\nCONFIG_MODULE_FORCE_UNLOAD=y\n{}",
        "# CONFIG_FILLER is not set\n".repeat(20_000)
    ));
    env.write_bytes("/proc/config.gz", &gz[..gz.len() / 2]);
    let c = check1(&env, "dummy");
    assert_eq!(
        c.json["kernel"]["config_source"],
        "/proc/config.gz",
        "{}",
        c.why()
    );
    assert_eq!(
        c.json["kernel"]["force_unload_supported"],
        true,
        "{}",
        c.why()
    );
}
