use std::fmt;

/// Why a path could not be read. Kept small and comparable so that facts can
/// carry it into an `unknown` verdict and tests can assert on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadErrorKind {
    NotFound,
    PermissionDenied,
    SymlinkLoop,
    TooLarge {
        limit: u64,
    },
    NotUtf8 {
        line: usize,
    },
    /// The content (or the path itself) is not what the format allows.
    Malformed(String),
    Io(String),
}

/// A read that failed, naming the system path (not the host path) so the message
/// means the same on a live system and on a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub path: String,
    pub kind: ReadErrorKind,
}

impl ReadError {
    pub fn new(path: &str, kind: ReadErrorKind) -> ReadError {
        ReadError {
            path: path.to_string(),
            kind,
        }
    }

    pub fn io(path: &str, e: &std::io::Error) -> ReadError {
        let kind = match e.kind() {
            std::io::ErrorKind::NotFound => ReadErrorKind::NotFound,
            std::io::ErrorKind::PermissionDenied => ReadErrorKind::PermissionDenied,
            _ if e.raw_os_error() == Some(libc::ELOOP) => ReadErrorKind::SymlinkLoop,
            _ if e.raw_os_error() == Some(libc::ENOTDIR) => ReadErrorKind::NotFound,
            _ => ReadErrorKind::Io(e.to_string()),
        };
        ReadError::new(path, kind)
    }

    /// A malformed line in a file, named as `path:line`.
    pub fn at_line(path: &str, line: usize, what: impl Into<String>) -> ReadError {
        ReadError::new(
            path,
            ReadErrorKind::Malformed(format!("line {line}: {}", what.into())),
        )
    }

    /// Short reason without the path, for evidence tables.
    pub fn reason(&self) -> String {
        match &self.kind {
            ReadErrorKind::NotFound => "not found".into(),
            ReadErrorKind::PermissionDenied => "permission denied".into(),
            ReadErrorKind::SymlinkLoop => "symlink loop".into(),
            ReadErrorKind::TooLarge { limit } => format!("larger than the {limit}-byte read limit"),
            ReadErrorKind::NotUtf8 { line } => format!("line {line}: not valid UTF-8"),
            ReadErrorKind::Malformed(m) => m.clone(),
            ReadErrorKind::Io(m) => m.clone(),
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason())
    }
}

impl std::error::Error for ReadError {}
