//! `kmod-doctor rules`: what the verdicts are made of.

use super::{CmdError, Config};
use crate::exit::Exit;
use crate::render::Document;

pub fn run(cfg: &Config) -> Result<Exit, CmdError> {
    super::emit(&cfg.renderer.render(&Document::Rules(&cfg.rules)))?;
    Ok(Exit::Safe)
}
