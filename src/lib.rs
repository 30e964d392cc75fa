//! kmod-doctor: root (reads) → facts (what is true) → rules (what it means) →
//! verdict (findings and next steps) → render (text, JSON, Markdown).

pub mod baked;
pub mod cli;
pub mod cmd;
pub mod exit;
pub mod explain;
pub mod facts;
pub mod layers;
pub mod model;
pub mod render;
pub mod root;
pub mod rules;
pub mod shell;
pub mod verdict;
