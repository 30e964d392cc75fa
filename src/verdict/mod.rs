//! From fired rules to a verdict, findings and ordered next steps.

mod evaluate;
pub mod picture;
mod report;
pub mod scan;
pub mod ticket;

pub use evaluate::evaluate;
pub use report::{
    Consequence, Finding, KernelInfo, ModuleInfo, NextStep, RemovalMember, Report, ResolvedFrom,
    Unchecked, UsersInfo,
};

pub use crate::model::{Severity, Verdict};
