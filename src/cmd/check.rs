//! `kmod-doctor check MODULE...`

use super::{CmdError, Config, Pipeline};
use crate::exit::Exit;
use crate::render::Document;

pub fn run(cfg: &Config, modules: &[String], brief: bool) -> Result<Exit, CmdError> {
    let p = Pipeline::new(&cfg.root, cfg.release.as_deref(), &cfg.rules);
    let reports = p.check(modules)?;
    let pictures = if cfg.renderer.draws_pictures() && !brief {
        p.pictures(&reports)
    } else {
        Vec::new()
    };
    super::emit(&cfg.renderer.render(&Document::Reports {
        reports: &reports,
        pictures: &pictures,
        brief,
    }))?;
    Ok(Exit::worst(reports.iter().map(|r| r.verdict)))
}
