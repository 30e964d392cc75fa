//! Lookups: exact, every value of a key, wildcard search (kmod's
//! `index_searchwild`: every pattern that matches, by priority), prefix walks.

use super::*;

/// A node still to visit: the node, its parent's key length, and the byte
/// and offset it was reached by (`None` for where the walk starts).
type Pending = (Node, usize, Option<(u8, u32)>);

impl Index {
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
            if !key[i..].starts_with(self.prefix(&node)) {
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
            for j in 0..node.prefix.len() {
                let ch = self.prefix(&node)[j];
                if matches!(ch, b'*' | b'?' | b'[') {
                    let pattern = self.prefix(&node)[j..].to_vec();
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
                    pattern.extend_from_slice(self.prefix(&c));
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

    fn visit(&self, seen: &mut Seen, off: u32) -> Result<(), ReadError> {
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
        let mut seen = Seen::default();
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
        seen: &mut Seen,
        f: &mut Visitor<'_>,
    ) -> Result<(), ReadError> {
        // One key buffer for the whole walk: each stacked node carries the
        // length of its parent's key and the byte that leads to it, and the
        // buffer is cut back to that length when the node is reached (the
        // parent's key is still in front: siblings only write after it).
        let mut buf = key;
        let mut stack: Vec<Pending> = vec![(start, 0, None)];
        while let Some((node, parent_len, edge)) = stack.pop() {
            if let Some((ch, coff)) = edge {
                buf.truncate(parent_len);
                buf.push(ch);
                buf.extend_from_slice(self.prefix(&node));
                if buf.len() > MAX_KEY {
                    return Err(
                        self.err(u64::from(coff), format!("key longer than {MAX_KEY} bytes"))
                    );
                }
            }
            if !f(self, &buf, &node)? || node.first > node.last {
                continue;
            }
            let len = buf.len();
            for ch in (node.first..=node.last).rev() {
                if let Some((coff, c)) = self.child(&node, ch)? {
                    self.visit(seen, coff)?;
                    stack.push((c, len, Some((ch, coff))));
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
            let node_prefix = self.prefix(&node);
            if node_prefix.len() >= rest.len() {
                if !node_prefix.starts_with(rest) {
                    return Ok(out);
                }
                let mut k = want[..i].to_vec();
                k.extend_from_slice(node_prefix);
                break k;
            }
            if !rest.starts_with(node_prefix) {
                return Ok(out);
            }
            i += node.prefix.len();
            match self.child(&node, want[i])? {
                Some((_, c)) => node = c,
                None => return Ok(out),
            }
            i += 1;
        };
        let mut seen = Seen::default();
        out.extend(self.collect(node, key, &mut seen)?);
        Ok(out)
    }

    /// Every (key, value) in the index, keys in byte order: what
    /// `modprobe --show-config`-style dumps print. For tests and tools.
    pub fn dump(&mut self) -> Result<Vec<(String, Value)>, ReadError> {
        let mut out = Vec::new();
        let mut seen = Seen::default();
        let Some((off, root)) = self.root()? else {
            return Ok(out);
        };
        self.visit(&mut seen, off)?;
        let prefix = self.prefix(&root).to_vec();
        out.extend(self.collect(root, prefix, &mut seen)?);
        Ok(out)
    }

    /// Every (key, value) at or below `node`, whose key is `key`.
    fn collect(
        &mut self,
        node: Node,
        key: Vec<u8>,
        seen: &mut Seen,
    ) -> Result<Vec<(String, Value)>, ReadError> {
        let mut out = Vec::new();
        self.walk(node, key, seen, &mut |idx, key, node| {
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
