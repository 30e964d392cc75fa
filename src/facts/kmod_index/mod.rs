//! kmod's binary indexes: `modules.dep.bin`, `modules.alias.bin`,
//! `modules.symbols.bin`, `modules.builtin.bin`, `modules.builtin.alias.bin`.
//!
//! The format, as depmod writes it (big-endian 32-bit integers):
//!
//! ```text
//! header:  magic 0xB007F457, version (major 2 in the high 16 bits), root node offset
//! node at (offset & 0x0FFFFFFF), its fields present by the offset's flag bits:
//!   0x80000000  prefix: NUL-terminated label (path compression)
//!   0x20000000  children: first byte, last byte, (last - first + 1) child offsets
//!   0x40000000  values: count, then count × (priority, NUL-terminated value)
//! ```
//!
//! Keys are strings spelled by the path from the root (each child adds its
//! label byte, then its prefix); a node with values ends a key. Values at a
//! node are stored in priority order (the module's place in modules.order).
//!
//! Two lookups, as modprobe does them:
//! - [`Index::lookup`]: exact key, first value (modules.dep.bin: module name →
//!   `path: deps...`; modules.builtin.bin: module name → "").
//! - [`Index::search_wild`]: the stored keys are glob patterns (aliases), the
//!   query is a plain string; every value whose pattern matches, ordered by
//!   priority. It descends literally until a stored key has a wildcard (`*`,
//!   `?`, `[`), and only then walks the subtree and matches with fnmatch, so a
//!   lookup touches the nodes on its path and the wildcard subtrees beside it.
//!
//! The file is hostile input like any other: every offset is bounds-checked,
//! strings are bounded, a traversal refuses to visit a node twice (a cycle or
//! a shared subtree is corruption; depmod writes a tree), and every error names
//! the file and the offset. Nothing here panics on any input.
//!
//! Reads go through [`Root`]: either the whole file at once
//! ([`Load::Whole`]) or 4 KiB pages at offsets on demand ([`Load::Paged`]),
//! which keeps an exact lookup in a 1 MiB index to a handful of pages.

use crate::facts::parse::alias::fnmatch;
use crate::root::{RangedFile, ReadError, ReadErrorKind, Root};

/// Node offsets seen by a walk (which refuses to see one twice). Hashed by a
/// multiply rather than SipHash: a wildcard search sees hundreds of nodes,
/// and the offsets come from the file, not from anyone who could aim them.
type Seen = std::collections::HashSet<u32, std::hash::BuildHasherDefault<OffsetHasher>>;

#[derive(Default)]
struct OffsetHasher(u64);

impl std::hash::Hasher for OffsetHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u32(u32::from(*b) ^ (self.0 as u32));
        }
    }
    fn write_u32(&mut self, n: u32) {
        let h = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }
}

mod search;

pub const MAGIC: u32 = 0xB007_F457;
pub const VERSION_MAJOR: u32 = 2;
const FLAG_PREFIX: u32 = 0x8000_0000;
const FLAG_VALUES: u32 = 0x4000_0000;
const FLAG_CHILDS: u32 = 0x2000_0000;
const OFFSET_MASK: u32 = 0x0FFF_FFFF;
const HEADER_LEN: u64 = 12;
/// depmod refuses bytes ≥ 128 in keys, so a child table never reaches past 127.
const CHILD_MAX: u8 = 128;
/// Longest key (kmod bounds keys by PATH_MAX).
pub const MAX_KEY: usize = 4096;
/// Longest value: a modules.dep line lists a module's whole dependency closure.
pub const MAX_VALUE: usize = 1 << 20;
/// Page size for paged reads.
pub const PAGE: u64 = 4096;

/// How an index file is brought into memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Load {
    /// One bounded read of the whole file.
    Whole,
    /// Pages read at offsets when a lookup first touches them.
    Paged,
}

/// One value stored under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub priority: u32,
    pub value: String,
}

/// An open index.
#[derive(Debug)]
pub struct Index {
    path: String,
    len: u64,
    root_offset: u32,
    data: Vec<u8>,
    /// Per page, whether `data` holds it yet (all true for [`Load::Whole`]).
    loaded: Vec<bool>,
    file: Option<RangedFile>,
    pages_read: usize,
}

/// What a walk calls for each node: the index, the node's full key, the node.
type Visitor<'a> = dyn FnMut(&mut Index, &[u8], &Node) -> Result<bool, ReadError> + 'a;

#[derive(Debug, Clone)]
struct Node {
    /// Where the prefix's bytes are in `Index::data` (see [`Index::prefix`]):
    /// not copied out, as a wildcard search reads hundreds of nodes.
    prefix: std::ops::Range<usize>,
    first: u8,
    last: u8,
    children_at: u64,
    value_count: u32,
    values_at: u64,
}

impl Index {
    /// Opens `path` under `root` and checks the header. A missing file is a
    /// `NotFound` error, so callers can tell "no index" from "bad index".
    pub fn open(root: &Root, path: &str, load: Load) -> Result<Index, ReadError> {
        match load {
            Load::Whole => Index::from_bytes(path, root.read_bytes(path)?),
            Load::Paged => {
                let file = root.open_ranged(path)?;
                let len = file.len();
                let pages = len.div_ceil(PAGE) as usize;
                let mut idx = Index {
                    path: path.to_string(),
                    len,
                    root_offset: 0,
                    data: vec![0; len as usize],
                    loaded: vec![false; pages],
                    file: Some(file),
                    pages_read: 0,
                };
                idx.read_header()?;
                Ok(idx)
            }
        }
    }

    /// An index held in memory; `path` names it in errors.
    pub fn from_bytes(path: &str, data: Vec<u8>) -> Result<Index, ReadError> {
        let len = data.len() as u64;
        let pages = len.div_ceil(PAGE) as usize;
        let mut idx = Index {
            path: path.to_string(),
            len,
            root_offset: 0,
            data,
            loaded: vec![true; pages],
            file: None,
            pages_read: 0,
        };
        idx.read_header()?;
        Ok(idx)
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Pages read from disk so far (paged mode), for tests and benchmarks.
    pub fn pages_read(&self) -> usize {
        self.pages_read
    }

    fn err(&self, offset: u64, what: impl Into<String>) -> ReadError {
        ReadError::new(
            &self.path,
            ReadErrorKind::Malformed(format!("offset {offset}: {}", what.into())),
        )
    }

    fn read_header(&mut self) -> Result<(), ReadError> {
        if self.len < HEADER_LEN {
            return Err(self.err(
                0,
                format!("{} bytes, shorter than the 12-byte index header", self.len),
            ));
        }
        let magic = self.u32_at(0)?;
        if magic != MAGIC {
            return Err(self.err(
                0,
                format!("magic {magic:#010x}, not a kmod index ({MAGIC:#010x})"),
            ));
        }
        let version = self.u32_at(4)?;
        if version >> 16 != VERSION_MAJOR {
            return Err(self.err(
                4,
                format!(
                    "index format version {}.{}, only {VERSION_MAJOR}.x is known",
                    version >> 16,
                    version & 0xffff
                ),
            ));
        }
        self.root_offset = self.u32_at(8)?;
        Ok(())
    }

    /// Makes `[off, off + n)` available in `data`; errors past the end.
    fn ensure(&mut self, off: u64, n: u64, what: &str) -> Result<(), ReadError> {
        let end = off
            .checked_add(n)
            .filter(|e| *e <= self.len)
            .ok_or_else(|| {
                self.err(
                    off,
                    format!(
                        "{what} ({n} bytes) runs past the end of the file ({} bytes)",
                        self.len
                    ),
                )
            })?;
        if n == 0 {
            return Ok(());
        }
        let (p0, p1) = (off / PAGE, (end - 1) / PAGE);
        for p in p0..=p1 {
            if self.loaded[p as usize] {
                continue;
            }
            let start = p * PAGE;
            let stop = (start + PAGE).min(self.len);
            let file = self
                .file
                .as_ref()
                .ok_or_else(|| self.err(start, "page not loaded"))?;
            file.read_at(start, &mut self.data[start as usize..stop as usize])?;
            self.loaded[p as usize] = true;
            self.pages_read += 1;
        }
        Ok(())
    }

    fn u32_at(&mut self, off: u64) -> Result<u32, ReadError> {
        self.ensure(off, 4, "a 32-bit integer")?;
        let o = off as usize;
        Ok(u32::from_be_bytes([
            self.data[o],
            self.data[o + 1],
            self.data[o + 2],
            self.data[o + 3],
        ]))
    }

    fn u8_at(&mut self, off: u64) -> Result<u8, ReadError> {
        self.ensure(off, 1, "a byte")?;
        Ok(self.data[off as usize])
    }

    /// A NUL-terminated string at `off`, at most `max` bytes before the NUL.
    /// Returns the bytes and the offset after the NUL.
    fn cstr_at(
        &mut self,
        off: u64,
        max: usize,
        what: &str,
    ) -> Result<(std::ops::Range<usize>, u64), ReadError> {
        let mut pos = off;
        loop {
            if pos >= self.len {
                return Err(self.err(
                    off,
                    format!("{what} is not NUL-terminated before the end of the file"),
                ));
            }
            let page_end = ((pos / PAGE + 1) * PAGE).min(self.len);
            self.ensure(pos, page_end - pos, what)?;
            let chunk = &self.data[pos as usize..page_end as usize];
            match chunk.iter().position(|b| *b == 0) {
                Some(i) => {
                    let end = pos + i as u64;
                    if end - off > max as u64 {
                        break;
                    }
                    return Ok((off as usize..end as usize, end + 1));
                }
                None => {
                    if page_end - off > max as u64 {
                        break;
                    }
                    pos = page_end;
                }
            }
        }
        Err(self.err(off, format!("{what} longer than {max} bytes")))
    }

    /// The bytes of a node's prefix (loaded when the node was read).
    fn prefix(&self, n: &Node) -> &[u8] {
        &self.data[n.prefix.clone()]
    }

    /// Reads the node that `raw` (an offset with flag bits) points at; `None`
    /// for offset 0, which depmod never uses for a node (the header is there).
    fn node(&mut self, raw: u32) -> Result<Option<Node>, ReadError> {
        let off = u64::from(raw & OFFSET_MASK);
        if off == 0 {
            return Ok(None);
        }
        if off < HEADER_LEN || off >= self.len {
            return Err(self.err(
                off,
                format!(
                    "node offset outside the file's nodes (file is {} bytes)",
                    self.len
                ),
            ));
        }
        let mut pos = off;
        let prefix = if raw & FLAG_PREFIX != 0 {
            let (p, next) = self.cstr_at(pos, MAX_KEY, "node prefix")?;
            pos = next;
            p
        } else {
            0..0
        };
        let (mut first, mut last, mut children_at) = (CHILD_MAX, 0u8, 0u64);
        if raw & FLAG_CHILDS != 0 {
            first = self.u8_at(pos)?;
            last = self.u8_at(pos + 1)?;
            if first > last || last >= CHILD_MAX {
                return Err(self.err(
                    pos,
                    format!("child range {first}..={last} is not within 0..128"),
                ));
            }
            children_at = pos + 2;
            let n = u64::from(last - first) + 1;
            self.ensure(children_at, 4 * n, "child table")?;
            pos = children_at + 4 * n;
        }
        let (mut value_count, mut values_at) = (0u32, 0u64);
        if raw & FLAG_VALUES != 0 {
            value_count = self.u32_at(pos)?;
            values_at = pos + 4;
            // Each value takes at least 5 bytes (priority and NUL).
            let room = self.len.saturating_sub(values_at);
            if u64::from(value_count) * 5 > room {
                return Err(self.err(
                    pos,
                    format!("{value_count} values cannot fit in the {room} bytes left"),
                ));
            }
        }
        Ok(Some(Node {
            prefix,
            first,
            last,
            children_at,
            value_count,
            values_at,
        }))
    }

    fn child(&mut self, n: &Node, ch: u8) -> Result<Option<(u32, Node)>, ReadError> {
        if ch < n.first || ch > n.last {
            return Ok(None);
        }
        let raw = self.u32_at(n.children_at + 4 * u64::from(ch - n.first))?;
        Ok(self.node(raw)?.map(|c| (raw & OFFSET_MASK, c)))
    }

    fn values(&mut self, n: &Node) -> Result<Vec<Value>, ReadError> {
        let mut out = Vec::with_capacity(n.value_count.min(64) as usize);
        let mut pos = n.values_at;
        for _ in 0..n.value_count {
            let priority = self.u32_at(pos)?;
            let (v, next) = self.cstr_at(pos + 4, MAX_VALUE, "value")?;
            let value = String::from_utf8(self.data[v].to_vec())
                .map_err(|_| self.err(pos + 4, "value is not UTF-8"))?;
            out.push(Value { priority, value });
            pos = next;
        }
        Ok(out)
    }

    fn root(&mut self) -> Result<Option<(u32, Node)>, ReadError> {
        let raw = self.root_offset;
        Ok(self.node(raw)?.map(|n| (raw & OFFSET_MASK, n)))
    }
}

/// Whether `pat` ends inside a bracket expression (a `[` with no closing
/// `]`, the first member excepted, after it), as a trie path cut between two
/// nodes can.
fn open_bracket(pat: &[u8]) -> bool {
    let Some(open) = pat.iter().rposition(|b| *b == b'[') else {
        return false;
    };
    let mut j = open + 1;
    if matches!(pat.get(j), Some(b'!' | b'^')) {
        j += 1;
    }
    // A `]` right after `[` (or `[!`) is a member, not the end.
    j += 1;
    !pat.get(j..).is_some_and(|rest| rest.contains(&b']'))
}

fn sorted(mut v: Vec<Value>) -> Vec<Value> {
    v.sort_by_key(|v| v.priority);
    v
}

/// kmod's key spelling for aliases: dashes become underscores except inside
/// bracket expressions. `None` for an unmatched bracket (depmod skips those).
pub fn normalize_alias(alias: &str) -> Option<String> {
    let mut out = String::with_capacity(alias.len());
    let mut in_bracket = false;
    for c in alias.chars() {
        match c {
            '[' if !in_bracket => in_bracket = true,
            ']' if in_bracket => in_bracket = false,
            ']' => return None,
            _ => {}
        }
        out.push(if c == '-' && !in_bracket { '_' } else { c });
    }
    if in_bracket { None } else { Some(out) }
}

#[cfg(test)]
mod tests;
