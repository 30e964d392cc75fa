#![no_main]
//! kmod's binary index reader on arbitrary bytes: every lookup ends without a
//! panic, and an error names the file. Half the inputs get a valid header
//! (root offset from the input) so that the fuzzer reaches the trie itself.
use kmod_doctor::facts::kmod_index::{Index, MAGIC};
use libfuzzer_sys::fuzz_target;

const PATH: &str = "/lib/modules/r/modules.alias.bin";

fuzz_target!(|data: &[u8]| {
    let bytes = match data.split_first() {
        Some((0, rest)) if rest.len() >= 4 => {
            let mut b = MAGIC.to_be_bytes().to_vec();
            b.extend_from_slice(&0x0002_0001u32.to_be_bytes());
            b.extend_from_slice(rest);
            b
        }
        _ => data.to_vec(),
    };
    let check = |r: Result<(), kmod_doctor::root::ReadError>| {
        if let Err(e) = r {
            assert!(e.to_string().starts_with(PATH));
        }
    };
    let Ok(mut idx) = Index::from_bytes(PATH, bytes) else {
        return;
    };
    for q in [
        "virtio_net",
        "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00",
        "fs_ext4",
        "",
    ] {
        check(idx.lookup(q).map(drop));
        check(idx.search_wild(q).map(drop));
    }
    check(idx.with_prefix("rtnl_link_").map(drop));
    check(idx.with_prefix("fs_").map(drop));
    check(idx.dump().map(drop));
});
