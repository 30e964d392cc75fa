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
use std::collections::HashSet;

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
    prefix: Vec<u8>,
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
    fn cstr_at(&mut self, off: u64, max: usize, what: &str) -> Result<(Vec<u8>, u64), ReadError> {
        let mut out = Vec::new();
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
                    out.extend_from_slice(&chunk[..i]);
                    if out.len() > max {
                        break;
                    }
                    return Ok((out, pos + i as u64 + 1));
                }
                None => {
                    out.extend_from_slice(chunk);
                    if out.len() > max {
                        break;
                    }
                    pos = page_end;
                }
            }
        }
        Err(self.err(off, format!("{what} longer than {max} bytes")))
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
            Vec::new()
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
            let value =
                String::from_utf8(v).map_err(|_| self.err(pos + 4, "value is not UTF-8"))?;
            out.push(Value { priority, value });
            pos = next;
        }
        Ok(out)
    }

    fn root(&mut self) -> Result<Option<(u32, Node)>, ReadError> {
        let raw = self.root_offset;
        Ok(self.node(raw)?.map(|n| (raw & OFFSET_MASK, n)))
    }

    /// The first (lowest-priority-number) value stored under exactly `key`.
    pub fn lookup(&mut self, key: &str) -> Result<Option<String>, ReadError> {
        Ok(self.lookup_all(key)?.into_iter().next().map(|v| v.value))
    }

    /// Every value stored under exactly `key`, in stored order. Each step
    /// down consumes a byte of the key, so even a cyclic file ends.
    pub fn lookup_all(&mut self, key: &str) -> Result<Vec<Value>, ReadError> {
        let key = key.as_bytes();
        let Some((_, mut node)) = self.root()? else {
            return Ok(Vec::new());
        };
        let mut i = 0usize;
        loop {
            if !key[i..].starts_with(&node.prefix) {
                return Ok(Vec::new());
            }
            i += node.prefix.len();
            let Some(&ch) = key.get(i) else {
                return self.values(&node);
            };
            match self.child(&node, ch)? {
                Some((_, c)) => node = c,
                None => return Ok(Vec::new()),
            }
            i += 1;
        }
    }

    /// Every value whose stored key, read as a glob pattern, matches `key`,
    /// ordered by priority (ties in the order found).
    pub fn search_wild(&mut self, key: &str) -> Result<Vec<Value>, ReadError> {
        let key = key.as_bytes();
        if key.len() > MAX_KEY {
            return Err(self.err(0, format!("query longer than {MAX_KEY} bytes")));
        }
        let mut out = Vec::new();
        let Some((_, mut node)) = self.root()? else {
            return Ok(out);
        };
        // The descent consumes a byte of the key per step, so it ends even
        // on a cyclic file; each wildcard subtree walk refuses to see a node
        // twice. (A query that itself holds `*` walks a `*` child both as a
        // pattern subtree and literally, as kmod does: not corruption.)
        let mut i = 0usize;
        loop {
            // Literal part of the prefix; a wildcard in it makes the rest of
            // this subtree patterns to match against the rest of the key.
            for (j, &ch) in node.prefix.iter().enumerate() {
                if matches!(ch, b'*' | b'?' | b'[') {
                    let pattern = node.prefix[j..].to_vec();
                    self.match_subtree(&node, pattern, &key[i + j..], &mut out)?;
                    return Ok(sorted(out));
                }
                if key.get(i + j) != Some(&ch) {
                    return Ok(sorted(out));
                }
            }
            i += node.prefix.len();
            for w in [b'*', b'?', b'['] {
                if let Some((_, c)) = self.child(&node, w)? {
                    let mut pattern = vec![w];
                    pattern.extend_from_slice(&c.prefix);
                    self.match_subtree(&c, pattern, &key[i..], &mut out)?;
                }
            }
            let Some(&ch) = key.get(i) else {
                out.extend(self.values(&node)?);
                return Ok(sorted(out));
            };
            match self.child(&node, ch)? {
                Some((_, c)) => node = c,
                None => return Ok(sorted(out)),
            }
            i += 1;
        }
    }

    fn visit(&self, seen: &mut HashSet<u32>, off: u32) -> Result<(), ReadError> {
        if seen.insert(off) {
            Ok(())
        } else {
            Err(self.err(
                u64::from(off),
                "node reached twice (an offset cycle or shared subtree)",
            ))
        }
    }

    /// Walks the subtree under `top` (whose own prefix is already in
    /// `pattern`), matching every key that ends there against `subkey`.
    /// Iterative, so a deep file cannot exhaust the stack.
    ///
    /// A subtree is skipped when its key so far, `P`, matches no prefix of
    /// `subkey` (`P*` does not match): every key below is `P` followed by
    /// more, and none of them can match either. Not done while `P` ends
    /// inside a bracket expression, where `P*` would not mean that. The
    /// answer is the same as walking everything (kmod walks everything);
    /// `acpi*:` and `cpu:type:*` subtrees make the difference.
    fn match_subtree(
        &mut self,
        top: &Node,
        pattern: Vec<u8>,
        subkey: &[u8],
        out: &mut Vec<Value>,
    ) -> Result<(), ReadError> {
        let mut seen = HashSet::new();
        let mut probe = Vec::new();
        self.walk(top.clone(), pattern, &mut seen, &mut |idx, pat, node| {
            if node.value_count > 0 && fnmatch(pat, subkey) {
                out.extend(idx.values(node)?);
            }
            if node.first > node.last || open_bracket(pat) {
                return Ok(true);
            }
            probe.clear();
            probe.extend_from_slice(pat);
            probe.push(b'*');
            Ok(fnmatch(&probe, subkey))
        })
    }

    /// Depth-first walk from `start`, whose key so far is `key`; `f` sees
    /// every node with its full key and says whether to go below it.
    fn walk(
        &mut self,
        start: Node,
        key: Vec<u8>,
        seen: &mut HashSet<u32>,
        f: &mut Visitor<'_>,
    ) -> Result<(), ReadError> {
        // Stack of (node, its full key).
        let mut stack: Vec<(Node, Vec<u8>)> = vec![(start, key)];
        while let Some((node, key)) = stack.pop() {
            if !f(self, &key, &node)? || node.first > node.last {
                continue;
            }
            for ch in (node.first..=node.last).rev() {
                if let Some((coff, c)) = self.child(&node, ch)? {
                    self.visit(seen, coff)?;
                    let mut k = Vec::with_capacity(key.len() + 1 + c.prefix.len());
                    k.extend_from_slice(&key);
                    k.push(ch);
                    k.extend_from_slice(&c.prefix);
                    if k.len() > MAX_KEY {
                        return Err(
                            self.err(u64::from(coff), format!("key longer than {MAX_KEY} bytes"))
                        );
                    }
                    stack.push((c, k));
                }
            }
        }
        Ok(())
    }

    /// Every (key, value) whose key starts with `prefix` (taken literally),
    /// keys in byte order: a reverse lookup limited to one corner of the
    /// trie, such as the `fs_` aliases.
    pub fn with_prefix(&mut self, prefix: &str) -> Result<Vec<(String, Value)>, ReadError> {
        let want = prefix.as_bytes();
        let mut out = Vec::new();
        let Some((_, mut node)) = self.root()? else {
            return Ok(out);
        };
        let mut i = 0usize;
        // Descend while the prefix lasts; each step consumes a byte of it.
        let key = loop {
            let rest = &want[i..];
            if node.prefix.len() >= rest.len() {
                if !node.prefix.starts_with(rest) {
                    return Ok(out);
                }
                let mut k = want[..i].to_vec();
                k.extend_from_slice(&node.prefix);
                break k;
            }
            if !rest.starts_with(&node.prefix) {
                return Ok(out);
            }
            i += node.prefix.len();
            match self.child(&node, want[i])? {
                Some((_, c)) => node = c,
                None => return Ok(out),
            }
            i += 1;
        };
        let mut seen = HashSet::new();
        self.walk(node, key, &mut seen, &mut |idx, key, node| {
            if node.value_count > 0 {
                let k = String::from_utf8_lossy(key).into_owned();
                for v in idx.values(node)? {
                    out.push((k.clone(), v));
                }
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// Every (key, value) in the index, keys in byte order: what
    /// `modprobe --show-config`-style dumps print. For tests and tools.
    pub fn dump(&mut self) -> Result<Vec<(String, Value)>, ReadError> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let Some((off, root)) = self.root()? else {
            return Ok(out);
        };
        self.visit(&mut seen, off)?;
        let prefix = root.prefix.clone();
        self.walk(root, prefix, &mut seen, &mut |idx, key, node| {
            if node.value_count > 0 {
                let k = String::from_utf8_lossy(key).into_owned();
                for v in idx.values(node)? {
                    out.push((k.clone(), v));
                }
            }
            Ok(true)
        })?;
        Ok(out)
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
mod tests {
    use super::*;

    /// A minimal depmod-style writer, for tests: builds the trie and writes it
    /// with children after their parent.
    pub(crate) fn build(entries: &[(&str, &str, u32)]) -> Vec<u8> {
        #[derive(Default)]
        struct N {
            children: std::collections::BTreeMap<u8, N>,
            values: Vec<(u32, String)>,
        }
        let mut root = N::default();
        for (k, v, p) in entries {
            let mut n = &mut root;
            for b in k.bytes() {
                n = n.children.entry(b).or_default();
            }
            n.values.push((*p, v.to_string()));
            n.values.sort_by_key(|x| x.0);
        }
        // Compress chains into prefixes and serialize.
        fn write(n: &N, prefix: Vec<u8>, out: &mut Vec<u8>) -> u32 {
            // Follow single-child, valueless chains.
            let mut n = n;
            let mut prefix = prefix;
            while n.values.is_empty() && n.children.len() == 1 {
                let (b, c) = n.children.iter().next().unwrap();
                prefix.push(*b);
                n = c;
            }
            let child_offs: Vec<(u8, u32)> = n
                .children
                .iter()
                .map(|(b, c)| (*b, write(c, Vec::new(), out)))
                .collect();
            let off = out.len() as u32;
            let mut flags = 0;
            if !prefix.is_empty() {
                flags |= FLAG_PREFIX;
                out.extend_from_slice(&prefix);
                out.push(0);
            }
            if !child_offs.is_empty() {
                flags |= FLAG_CHILDS;
                let first = child_offs[0].0;
                let last = child_offs.last().unwrap().0;
                out.push(first);
                out.push(last);
                for ch in first..=last {
                    let o = child_offs
                        .iter()
                        .find(|(b, _)| *b == ch)
                        .map(|x| x.1)
                        .unwrap_or(0);
                    out.extend_from_slice(&o.to_be_bytes());
                }
            }
            if !n.values.is_empty() {
                flags |= FLAG_VALUES;
                out.extend_from_slice(&(n.values.len() as u32).to_be_bytes());
                for (p, v) in &n.values {
                    out.extend_from_slice(&p.to_be_bytes());
                    out.extend_from_slice(v.as_bytes());
                    out.push(0);
                }
            }
            off | flags
        }
        let mut out = vec![0u8; 12];
        let root_off = write(&root, Vec::new(), &mut out);
        out[0..4].copy_from_slice(&MAGIC.to_be_bytes());
        out[4..8].copy_from_slice(&0x0002_0001u32.to_be_bytes());
        out[8..12].copy_from_slice(&root_off.to_be_bytes());
        out
    }

    #[test]
    fn exact_and_wild() {
        let bytes = build(&[
            ("ask", "m1", 1),
            ("ate", "m2", 2),
            ("on", "m3", 3),
            ("once", "m4", 4),
            ("one", "m5", 0),
            ("one", "m6", 7),
            ("o*", "star", 9),
            ("pci:v*d0001*", "p1", 5),
            ("pci:v0000AAAAd*", "p2", 6),
            ("pci:v[0-9]*", "p3", 8),
        ]);
        let mut idx = Index::from_bytes("/t.bin", bytes).unwrap();
        assert_eq!(idx.lookup("one").unwrap().as_deref(), Some("m5"));
        assert_eq!(idx.lookup_all("one").unwrap().len(), 2);
        assert_eq!(idx.lookup("on").unwrap().as_deref(), Some("m3"));
        assert_eq!(idx.lookup("o").unwrap(), None);
        assert_eq!(idx.lookup("onex").unwrap(), None);
        let names = |v: Vec<Value>| v.into_iter().map(|v| v.value).collect::<Vec<_>>();
        assert_eq!(names(idx.search_wild("one").unwrap()), ["m5", "m6", "star"]);
        assert_eq!(names(idx.search_wild("oxx").unwrap()), ["star"]);
        assert_eq!(
            names(idx.search_wild("pci:v0000AAAAd00010000").unwrap()),
            ["p1", "p2", "p3"]
        );
        assert_eq!(names(idx.search_wild("pci:vZ000d0001").unwrap()), ["p1"]);
        assert!(idx.search_wild("zzz").unwrap().is_empty());
        let all = idx.dump().unwrap();
        assert_eq!(all.len(), 10);
        let pci: Vec<String> = idx
            .with_prefix("pci:v0")
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(pci, ["pci:v0000AAAAd*"]);
        assert_eq!(idx.with_prefix("o").unwrap().len(), 5);
        assert_eq!(idx.with_prefix("").unwrap().len(), 10);
        assert!(idx.with_prefix("onex").unwrap().is_empty());
        let keys: Vec<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
        let mut sorted_keys = keys.clone();
        sorted_keys.sort();
        assert_eq!(keys, sorted_keys);
    }

    #[test]
    fn header_errors_name_file_and_offset() {
        let e = Index::from_bytes("/x.bin", vec![1, 2, 3]).unwrap_err();
        assert!(
            e.to_string().contains("/x.bin") && e.to_string().contains("offset 0"),
            "{e}"
        );
        let mut b = build(&[("a", "b", 0)]);
        b[0] = 0;
        assert!(
            Index::from_bytes("/x.bin", b.clone())
                .unwrap_err()
                .to_string()
                .contains("magic")
        );
        let mut b = build(&[("a", "b", 0)]);
        b[5] = 3;
        assert!(
            Index::from_bytes("/x.bin", b)
                .unwrap_err()
                .to_string()
                .contains("version 3")
        );
    }

    #[test]
    fn cycles_end_with_an_error() {
        // Root: prefix "", children '*'..='*' pointing back at the root.
        let mut b = vec![0u8; 12];
        b[0..4].copy_from_slice(&MAGIC.to_be_bytes());
        b[4..8].copy_from_slice(&0x0002_0001u32.to_be_bytes());
        let root = 12u32 | FLAG_CHILDS;
        b[8..12].copy_from_slice(&root.to_be_bytes());
        b.extend_from_slice(b"**");
        b.extend_from_slice(&root.to_be_bytes());
        let mut idx = Index::from_bytes("/c.bin", b).unwrap();
        let e = idx.search_wild("abc").unwrap_err();
        assert!(e.to_string().contains("reached twice"), "{e}");
        assert!(idx.dump().is_err());
        // Exact lookups consume the key, so they end too.
        assert_eq!(idx.lookup("****").unwrap(), None);
    }

    #[test]
    fn alias_normalization() {
        assert_eq!(normalize_alias("fs-ext4").as_deref(), Some("fs_ext4"));
        assert_eq!(normalize_alias("a-[x-z]-b").as_deref(), Some("a_[x-z]_b"));
        assert_eq!(normalize_alias("a]"), None);
        assert_eq!(normalize_alias("a[b"), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

        /// The trie search (literal descent, wildcard subtrees, pruning)
        /// finds exactly the stored patterns that fnmatch says match,
        /// brackets cut across nodes included.
        #[test]
        fn wild_search_is_fnmatch_over_all_keys(
            keys in proptest::collection::vec("[ab*?\\[\\]!-]{0,7}", 1..24),
            queries in proptest::collection::vec("[ab\\]!-]{0,8}", 1..8),
        ) {
            let entries: Vec<(&str, String, u32)> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| (k.as_str(), format!("v{i}"), i as u32))
                .collect();
            let refs: Vec<(&str, &str, u32)> =
                entries.iter().map(|(k, v, p)| (*k, v.as_str(), *p)).collect();
            let mut idx = Index::from_bytes("/p.bin", build(&refs)).unwrap();
            for q in &queries {
                let mut want: Vec<String> = entries
                    .iter()
                    .filter(|(k, _, _)| fnmatch(k.as_bytes(), q.as_bytes()))
                    .map(|(_, v, _)| v.clone())
                    .collect();
                let mut got: Vec<String> =
                    idx.search_wild(q).unwrap().into_iter().map(|v| v.value).collect();
                want.sort();
                got.sort();
                proptest::prop_assert_eq!(got, want, "query {:?} keys {:?}", q, keys);
            }
        }
    }
}
