//! What is true about the system and a module, read through a [`Root`](crate::root::Root).
//! Facts know nothing of rules or output.

pub mod caller;
pub mod devmap;
pub mod kernel;
pub mod keys;
pub mod kmod_index;
pub mod lookup;
pub mod module;
pub mod name;
pub mod parse;
pub mod removal;
pub mod resolve;
pub mod suggest;
pub mod system;
pub mod table;
pub mod users;

pub use resolve::Resolved;
pub use system::System;
pub use table::{Evidence, Fact, FactTable, Value};

use crate::root::Root;

/// One run's view of a system: the system-wide facts, and the user indexes
/// built on them, shared by every module the run asks about.
pub struct Host<'r> {
    pub sys: System<'r>,
    pub users: users::Users,
}

impl<'r> Host<'r> {
    /// `release` overrides the running kernel's release, as `modprobe -S` does.
    pub fn new(root: &'r Root, release: Option<&str>) -> Host<'r> {
        Host {
            sys: System::new(root, release),
            users: users::Users::default(),
        }
    }

    /// All facts for one resolved module.
    pub fn gather(&self, r: &Resolved) -> FactTable {
        let mut t = self.sys.kernel_facts().clone();
        module::gather(&self.sys, r, &mut t);
        // Only a loaded module, or built-in code with bound devices, has
        // users; the others never pay for the scans.
        if t.bool("module.loaded") == Some(true) || t.bool("module.unbindable") == Some(true) {
            caller::gather(&self.sys, &mut t);
            users::gather(&self.sys, &self.users, &r.name, &mut t);
        }
        t
    }
}
