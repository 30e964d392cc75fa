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

impl RangedFile {
    /// Calls `f` with runs of whole lines, `block` bytes at a time into one
    /// buffer, until it returns true. A multi-megabyte list then costs one
    /// small buffer instead of its size in fresh memory (each page of which
    /// is a fault to fill). A line longer than the buffer grows it.
    pub fn lines(&self, block: usize, mut f: impl FnMut(&[u8]) -> bool) -> Result<(), ReadError> {
        let mut buf = vec![0u8; block.max(1)];
        let mut off = 0u64;
        while off < self.len {
            let n = (self.len - off).min(buf.len() as u64) as usize;
            self.read_at(off, &mut buf[..n])?;
            let whole = if off + n as u64 == self.len {
                n
            } else if let Some(i) = memchr::memrchr(b'\n', &buf[..n]) {
                i + 1
            } else {
                let grown = buf.len() * 2;
                buf.resize(grown, 0);
                continue;
            };
            if f(&buf[..whole]) {
                return Ok(());
            }
            off += whole as u64;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs of whole lines, whatever the block: together they are the file,
    /// each ends at a line end (but the last), and a stop stops.
    #[test]
    fn lines_come_whole() {
        let t = tempfile::tempdir().unwrap();
        let text = "alias a x\n\nalias a-much-longer-line-than-the-block y\nlast";
        std::fs::write(t.path().join("f"), text).unwrap();
        let root = Root::open(t.path()).unwrap();
        let file = root.open_ranged("/f").unwrap();
        for block in [1, 3, 8, 64, 4096] {
            let mut got = Vec::new();
            file.lines(block, |run| {
                assert!(
                    run.ends_with(b"\n") || run.ends_with(b"last"),
                    "{block}: {run:?}"
                );
                got.extend_from_slice(run);
                false
            })
            .unwrap();
            assert_eq!(got, text.as_bytes(), "{block}");
            let mut calls = 0;
            file.lines(block, |_| {
                calls += 1;
                true
            })
            .unwrap();
            assert_eq!(calls, 1);
        }
    }

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
