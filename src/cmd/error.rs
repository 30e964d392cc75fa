//! What can make a command fail, each kind with its exit code.

use crate::exit::Exit;
use crate::facts::name::NameError;
use crate::root::ReadError;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum CmdError {
    /// A module name the tool refuses to look up (exit 2).
    #[error(transparent)]
    Name(#[from] NameError),
    /// Arguments or input that cannot be used as given (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The inspected system could not be read where the command needs it (exit 1).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// A file of the tool's own (input, snapshot output) failed (exit 1).
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// Standard output went away mid-write, other than a closed pipe (exit 1).
    #[error("writing output: {0}")]
    Output(#[source] std::io::Error),
}

impl CmdError {
    pub fn usage(m: impl Into<String>) -> CmdError {
        CmdError::Usage(m.into())
    }

    /// An I/O error on `path`, named in the message.
    pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CmdError + '_ {
        move |source| CmdError::Io {
            what: path.display().to_string(),
            source,
        }
    }

    /// An I/O error while doing `what`.
    pub fn doing(what: &str) -> impl FnOnce(std::io::Error) -> CmdError + '_ {
        move |source| CmdError::Io {
            what: what.to_string(),
            source,
        }
    }

    pub fn exit(&self) -> Exit {
        match self {
            CmdError::Name(_) | CmdError::Usage(_) => Exit::Usage,
            CmdError::Read(_) | CmdError::Io { .. } | CmdError::Output(_) => Exit::Failure,
        }
    }
}
