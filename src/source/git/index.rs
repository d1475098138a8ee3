//! The git index file (`.git/index`), read directly: its stage-0 entries (path,
//! mode, blob id) and its cache-tree extension (the tree id of each folder whose
//! entries are unchanged since the tree was written). With the cache tree, the
//! staged change is found without reading the folders that it does not touch,
//! which is how git itself keeps `git diff --cached` fast on large repositories.
//!
//! Versions 2, 3 and 4 are read. What this reader does not handle (a split or
//! sparse index, conflicts, a malformed file) makes it return `None`, and the
//! caller falls back to libgit2.

use std::collections::HashMap;

use git2::Oid;

pub struct Entry {
    pub path: Vec<u8>,
    pub mode: u32,
    pub id: Oid,
}

pub struct Index {
    /// Sorted by path, as git writes them.
    pub entries: Vec<Entry>,
    /// Folder path (`a/b`, root `""`) -> tree id, for the valid cache-tree nodes.
    pub trees: HashMap<Vec<u8>, Oid>,
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// Parses an index file; `None` for anything this reader does not handle.
pub fn parse(d: &[u8]) -> Option<Index> {
    if d.get(..4)? != b"DIRC" {
        return None;
    }
    let version = be32(d, 4)?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let n = be32(d, 8)? as usize;
    let mut at = 12;
    let mut entries = Vec::with_capacity(n);
    let mut prev: Vec<u8> = Vec::new();
    for _ in 0..n {
        let start = at;
        let mode = be32(d, start + 24)?;
        let id = Oid::from_bytes(d.get(start + 40..start + 60)?).ok()?;
        let flags = u16::from_be_bytes(d.get(start + 60..start + 62)?.try_into().ok()?);
        let mut p = start + 62;
        let mut skip = false;
        if version >= 3 && flags & 0x4000 != 0 {
            let ext = u16::from_be_bytes(d.get(p..p + 2)?.try_into().ok()?);
            // Intent-to-add entries are not staged content.
            skip = ext & 0x2000 != 0;
            p += 2;
        }
        if (flags >> 12) & 3 != 0 {
            return None; // a conflict: let libgit2 say what it thinks
        }
        let path = if version == 4 {
            // Varint: bytes to drop from the previous path, then a NUL-ended suffix.
            let mut strip: usize = 0;
            loop {
                let b = *d.get(p)?;
                p += 1;
                strip = (strip << 7) | usize::from(b & 0x7f);
                if b & 0x80 == 0 {
                    break;
                }
                strip += 1;
            }
            let end = p + memchr::memchr(0, d.get(p..)?)?;
            let keep = prev.len().checked_sub(strip)?;
            let mut path = prev[..keep].to_vec();
            path.extend_from_slice(&d[p..end]);
            at = end + 1;
            path
        } else {
            let end = p + memchr::memchr(0, d.get(p..)?)?;
            let path = d[p..end].to_vec();
            // Entries are NUL-padded to a multiple of eight bytes.
            at = start + ((end - start + 8) & !7);
            path
        };
        prev.clone_from(&path);
        if !skip {
            entries.push(Entry { path, mode, id });
        }
    }
    // Extensions, up to the trailing 20-byte checksum.
    let mut trees = HashMap::new();
    while at + 8 <= d.len().checked_sub(20)? {
        let sig = d.get(at..at + 4)?;
        let size = be32(d, at + 4)? as usize;
        let body = d.get(at + 8..at + 8 + size)?;
        match sig {
            b"TREE" => {
                let mut pos = 0;
                read_tree(body, &mut pos, b"", &mut trees)?;
            }
            // A split or sparse index: entries live elsewhere or are folded.
            b"link" | b"sdir" => return None,
            _ => {}
        }
        at += 8 + size;
    }
    Some(Index { entries, trees })
}

/// One cache-tree node and its subtrees: `name NUL count SP subtrees LF [id]`.
fn read_tree(
    b: &[u8],
    pos: &mut usize,
    parent: &[u8],
    out: &mut HashMap<Vec<u8>, Oid>,
) -> Option<()> {
    let nul = *pos + memchr::memchr(0, b.get(*pos..)?)?;
    let name = &b[*pos..nul];
    let lf = nul + memchr::memchr(b'\n', b.get(nul..)?)?;
    let counts = std::str::from_utf8(&b[nul + 1..lf]).ok()?;
    let (count, subtrees) = counts.split_once(' ')?;
    let count: i64 = count.parse().ok()?;
    let subtrees: usize = subtrees.parse().ok()?;
    *pos = lf + 1;
    let mut path = parent.to_vec();
    if !name.is_empty() {
        if !path.is_empty() {
            path.push(b'/');
        }
        path.extend_from_slice(name);
    }
    if count >= 0 {
        let id = Oid::from_bytes(b.get(*pos..*pos + 20)?).ok()?;
        *pos += 20;
        out.insert(path.clone(), id);
    }
    for _ in 0..subtrees {
        read_tree(b, pos, &path, out)?;
    }
    Some(())
}
