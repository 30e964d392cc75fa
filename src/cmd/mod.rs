//! One module per subcommand: each turns a validated config into output
//! through the [`Pipeline`] and a [`Renderer`](crate::render::Renderer).

pub mod check;
pub mod completions;
pub mod config;
pub mod error;
pub mod explain;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod scan;
pub mod snapshot;

pub use config::Config;
pub use error::CmdError;
pub use pipeline::Pipeline;

use std::io::Write;

/// Writes the whole output; a closed pipe (`| head`) is not an error.
pub fn emit(s: &str) -> Result<(), CmdError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CmdError::Output(e)),
    }
}
