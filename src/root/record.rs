//! What a run read, so `snapshot` can copy exactly that and nothing else.

use super::DevNum;
use std::cell::RefCell;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Recorded {
    /// Only existence was tested.
    Exists,
    Link,
    Dir,
    File,
}

#[derive(Debug, Default)]
pub struct Recorder {
    paths: RefCell<BTreeMap<String, Recorded>>,
    devices: RefCell<BTreeMap<String, DevNum>>,
    net_view: RefCell<Option<super::NetView>>,
    nft_view: RefCell<Option<super::NftView>>,
}

impl Recorder {
    pub(super) fn note(&self, path: &str, what: Recorded) {
        let mut p = self.paths.borrow_mut();
        let e = p.entry(path.to_string()).or_insert(what);
        if what > *e {
            *e = what;
        }
    }

    pub(super) fn note_device(&self, fd_link: &str, target: &str, num: DevNum) {
        let mut d = self.devices.borrow_mut();
        d.insert(fd_link.to_string(), num);
        if target.starts_with("/dev/") {
            d.insert(target.to_string(), num);
        }
    }

    pub(super) fn note_net_view(&self, v: super::NetView) {
        *self.net_view.borrow_mut() = Some(v);
    }

    /// The rtnetlink view read during the run, if one was.
    pub fn net_view(&self) -> Option<super::NetView> {
        self.net_view.borrow().clone()
    }

    pub(super) fn note_nft_view(&self, v: super::NftView) {
        *self.nft_view.borrow_mut() = Some(v);
    }

    /// The nf_tables view read during the run, if one was.
    pub fn nft_view(&self) -> Option<super::NftView> {
        self.nft_view.borrow().clone()
    }

    pub fn paths(&self) -> BTreeMap<String, Recorded> {
        self.paths.borrow().clone()
    }

    pub fn devices(&self) -> BTreeMap<String, DevNum> {
        self.devices.borrow().clone()
    }
}
