//! Bounded reads at offsets, for files that are looked up rather than parsed
//! whole (kmod's binary indexes): a lookup reads the few pages it needs.

use super::{ReadError, ReadErrorKind, Recorded, Root};
use std::os::unix::fs::FileExt;

/// A regular file opened through a [`Root`], read in ranges.
#[derive(Debug)]
pub struct RangedFile {
    file: std::fs::File,
    len: u64,
    path: String,
}

impl Root {
    /// Opens a regular file for [`RangedFile::read_at`]. The same checks as
    /// [`Root::read_bytes`] apply (inside the root, a regular file, no larger
    /// than the read limit), and the file is recorded as read, so a snapshot
    /// carries all of it.
    pub fn open_ranged(&self, path: &str) -> Result<RangedFile, ReadError> {
        let host = self.resolve(path, true)?;
        if !self.live {
            // Before opening: a FIFO would block, a device node read hardware.
            let meta = std::fs::metadata(&host).map_err(|e| ReadError::io(path, &e))?;
            if !meta.is_file() {
                return Err(ReadError::new(
                    path,
                    ReadErrorKind::Malformed("not a regular file".into()),
                ));
            }
        }
        let file = std::fs::File::open(&host).map_err(|e| ReadError::io(path, &e))?;
        let meta = file.metadata().map_err(|e| ReadError::io(path, &e))?;
        if !meta.is_file() {
            return Err(ReadError::new(
                path,
                ReadErrorKind::Malformed("not a regular file".into()),
            ));
        }
        if meta.len() > self.read_limit {
            return Err(ReadError::new(
                path,
                ReadErrorKind::TooLarge {
                    limit: self.read_limit,
                },
            ));
        }
        self.note(&host, Recorded::File);
        Ok(RangedFile {
            file,
            len: meta.len(),
            path: path.to_string(),
        })
    }
}

impl RangedFile {
    /// Size when opened; reads beyond it are refused.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Fills `buf` from `offset`. A range past the size seen at open, or a
    /// file that shrank meanwhile, is an error naming the offset.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let n = buf.len();
        let short = || {
            ReadError::new(
                &self.path,
                ReadErrorKind::Malformed(format!(
                    "offset {offset}: {n} bytes past the end of the file"
                )),
            )
        };
        match offset.checked_add(n as u64) {
            Some(end) if end <= self.len => {}
            _ => return Err(short()),
        }
        self.file.read_exact_at(buf, offset).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                short()
            } else {
                ReadError::io(&self.path, &e)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranged_reads_are_bounded() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("f"), b"0123456789").unwrap();
        let mut r = Root::open(t.path()).unwrap();
        let f = r.open_ranged("/f").unwrap();
        let mut b = [0u8; 3];
        f.read_at(7, &mut b).unwrap();
        assert_eq!(&b, b"789");
        let e = f.read_at(8, &mut b).unwrap_err();
        assert!(e.to_string().contains("/f: offset 8"), "{e}");
        assert!(f.read_at(u64::MAX, &mut b).is_err());
        std::fs::create_dir(t.path().join("d")).unwrap();
        assert!(r.open_ranged("/d").is_err());
        r.set_read_limit(5);
        assert!(matches!(
            r.open_ranged("/f").unwrap_err().kind,
            ReadErrorKind::TooLarge { .. }
        ));
    }
}
