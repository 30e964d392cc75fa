//! What is true about the system and a module, read through a [`Root`](crate::root::Root).
//! Facts know nothing of rules or output.

pub mod devmap;
pub mod kernel;
pub mod keys;
pub mod kmod_index;
pub mod lookup;
pub mod module;
pub mod name;
pub mod parse;
pub mod resolve;
pub mod system;
pub mod table;
pub mod users;

pub use resolve::Resolved;
pub use system::System;
pub use table::{Evidence, Fact, FactTable, Value};

/// All facts for one resolved module.
pub fn gather(sys: &System, r: &Resolved) -> FactTable {
    let mut t = FactTable::default();
    kernel::gather(sys, &mut t);
    module::gather(sys, r, &mut t);
    t
}
