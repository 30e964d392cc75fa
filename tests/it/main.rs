//! Every integration test in one binary: one compile of the shared helpers
//! and one link, instead of one per file (2 cores).

mod archive_hostile;
mod bad_input;
mod check_basic;
mod check_cases;
mod common;
mod completions;
mod corruption;
mod explain;
mod first_contact;
mod kmod_index;
mod kmod_index_facts;
mod kmod_index_hostile;
mod lazy_reads;
mod man_page;
mod maps_users;
mod outputs;
mod prop_parsers;
mod readonly;
mod removal;
mod report;
mod rules_coverage;
mod scan;
mod schema;
mod shell_safety;
mod terminal;
mod users_kinds;
mod vm_fixtures;
