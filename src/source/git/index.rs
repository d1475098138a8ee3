//! The git index file (`.git/index`), read directly: its stage-0 entries (path,
//! mode, blob id) and its cache-tree extension (the tree id of each folder whose
//! entries are unchanged since the tree was written). With the cache tree, the
//! staged change is found without reading the folders that it does not touch,
//! which is how git itself keeps `git diff --cached` fast on large repositories.
//!
//! Versions 2, 3 and 4 are read, and the sparse index (`sdir`): a folder outside
//! the sparse-checkout cone is one entry, mode 040000, path ending in `/`, id its
//! tree. What this reader leaves to libgit2 (a split index, conflicts, a mandatory
//! extension it does not know) is named in [`Index::unsupported`].
//!
//! The file is untrusted input: every count is checked against the bytes that
//! remain before anything is allocated for it, the cache tree is read with an
//! explicit stack (never recursion on its depth), and what the cache tree and the
//! version 4 path compression can expand to is bounded by the file's size. A file
//! that breaks the format is an [`Error`], never a panic or an abort.

use std::borrow::Cow;
#[cfg(test)]
use std::collections::HashMap;
use std::ops::Range;

use git2::Oid;

/// An index entry, in 16 bytes: offsets are 32 bits, as the files read are
/// under 4 GiB. (A hook run reads every entry of the index, and 32-byte entries
/// were some twenty more pages to fault in for rust-lang/cargo's 3,072.)
pub struct Entry {
    /// Where its path lies in the index's path bytes (start, length): see
    /// [`Index::path`].
    path: (u32, u32),
    pub mode: u32,
    /// Where its 20-byte id lies in the file: see [`Index::id`]. (An [`Oid`] for
    /// each entry was a foreign call each, for the few entries a hook compares.)
    id: u32,
}

/// An entry's stat data: what git recorded of the file when it staged it, each
/// field cut to 32 bits as git stores it. Times are (seconds, nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub ctime: (u32, u32),
    pub mtime: (u32, u32),
    pub dev: u32,
    pub ino: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u32,
}

/// The mode of a sparse directory entry (path ending in `/`, id a tree).
pub const SPARSE_DIR: u32 = 0o040000;

/// An index file read: entries and the cache tree point into the file's bytes
/// (a hook run maps the file and copies none of it).
pub struct Index<'a> {
    /// Sorted by path, as git writes them.
    pub entries: Vec<Entry>,
    /// What the entries' paths lie in: the file itself, or the paths written out
    /// (version 4 stores each path as a suffix of the one before).
    paths: Cow<'a, [u8]>,
    /// The file's bytes, where the entries' ids lie.
    file: &'a [u8],
    /// The folders whose tree id the index still knows.
    pub trees: CacheTree<'a>,
    /// A sparse index: some entries are folders ([`SPARSE_DIR`]). libgit2 cannot
    /// read one (`sdir` is a mandatory extension to it).
    pub sparse: bool,
    /// What makes this index one for libgit2 to read rather than this reader.
    pub unsupported: Option<&'static str>,
    /// Deepest nesting of the cache tree. libgit2 reads the cache tree
    /// recursively, and one nested some 20,000 folders deep overflows a 2 MiB
    /// thread stack: see [`Index::libgit2_can_read`].
    pub tree_depth: usize,
}

/// The cache tree as git writes it: folder nodes in pre-order, each followed by
/// its subfolders'. A walk from the root asks each folder for its subfolders
/// ([`CacheTree::children`]), so it costs the nodes it visits: no path is built,
/// hashed or sorted. (Paths kept in a map cost a third of a hook run's index
/// reading, for the few folders that a hook looks up.)
#[derive(Default)]
pub struct CacheTree<'a> {
    file: &'a [u8],
    nodes: Vec<Node>,
}

/// A cache-tree node, in 20 bytes (the file is under 4 GiB).
struct Node {
    /// Where its name lies in the file (start, length).
    name: (u32, u32),
    /// Where its tree id lies in the file; 0 (the signature's place) for a node
    /// that is not valid.
    id: u32,
    /// The node after its subfolders' nodes.
    end: u32,
    /// Index entries in its folder, when it is valid.
    count: u32,
}

impl Node {
    fn name<'a>(&self, file: &'a [u8]) -> &'a [u8] {
        let start = self.name.0 as usize;
        &file[start..start + self.name.1 as usize]
    }
}

impl<'a> CacheTree<'a> {
    /// The root folder's node, unless the index has no cache tree.
    pub fn root(&self) -> Option<usize> {
        (!self.nodes.is_empty()).then_some(0)
    }

    /// The tree of `node`'s folder, when the cache tree says that the index holds
    /// it unchanged.
    pub fn id(&self, node: usize) -> Option<Oid> {
        let at = self.nodes.get(node)?.id as usize;
        (at > 0)
            .then(|| Oid::from_bytes(&self.file[at..at + 20]).ok())
            .flatten()
    }

    /// How many index entries the folder of `node` holds, when the cache tree
    /// says (a node that is valid).
    pub fn count(&self, node: usize) -> Option<usize> {
        let n = self.nodes.get(node)?;
        (n.id > 0).then_some(n.count as usize)
    }

    /// The subfolders of `node`: (name, node), in the file's order.
    pub fn children(&self, node: usize) -> impl Iterator<Item = (&'a [u8], usize)> + '_ {
        let end = self.nodes.get(node).map_or(0, |n| n.end as usize);
        let mut i = node + 1;
        std::iter::from_fn(move || {
            let n = self.nodes.get(i).filter(|_| i < end)?;
            let at = i;
            // `end` is past the node itself: the walk always moves on.
            i = n.end as usize;
            Some((n.name(self.file), at))
        })
    }

    /// The node of folder `path` (`a/b`, root `""`): at each level the last
    /// subfolder of that name, as the hook's walk finds it.
    #[cfg(test)]
    pub fn get(&self, path: &[u8]) -> Option<Oid> {
        let mut node = self.root()?;
        for name in path.split(|&b| b == b'/').filter(|n| !n.is_empty()) {
            node = self.children(node).filter(|c| c.0 == name).last()?.1;
        }
        self.id(node)
    }

    /// Every valid node, as (folder path, tree id).
    #[cfg(test)]
    pub fn iter(&self) -> Vec<(Vec<u8>, Oid)> {
        let mut out = Vec::new();
        // (end of the subtree, length of the path before this folder's name).
        let mut open: Vec<(usize, usize)> = Vec::new();
        let mut path = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            while open.last().is_some_and(|o| o.0 <= i) {
                path.truncate(open.pop().unwrap().1);
            }
            open.push((n.end as usize, path.len()));
            if i > 0 {
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(n.name(self.file));
            }
            if let Some(id) = self.id(i) {
                out.push((path.clone(), id));
            }
        }
        out
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.nodes.len()
    }
}

/// Deepest cache tree that libgit2 is given to read (git's own default limit on
/// tree depth, `core.maxTreeDepth`); it was measured to read 10,000 levels on a
/// 2 MiB stack and to crash at 20,000.
const LIBGIT2_MAX_TREE_DEPTH: usize = 4096;

impl Index<'_> {
    /// The path of entry `e`.
    pub fn path(&self, e: &Entry) -> &[u8] {
        let start = e.path.0 as usize;
        &self.paths[start..start + e.path.1 as usize]
    }

    /// The id of entry `e`.
    pub fn id(&self, e: &Entry) -> Oid {
        // Twenty bytes, checked when read: `from_bytes` takes any twenty.
        Oid::from_bytes(self.id_bytes(e)).unwrap_or(Oid::ZERO_SHA1)
    }

    /// The raw id of entry `e`, to compare without making an [`Oid`].
    pub fn id_bytes(&self, e: &Entry) -> &[u8] {
        let id = e.id as usize;
        &self.file[id..id + 20]
    }

    /// What git recorded of entry `e`'s file when it staged it, unless git is
    /// told not to trust that (assume-unchanged) or the entry has extended flags
    /// (skip-worktree, intent-to-add).
    pub fn stat(&self, e: &Entry) -> Option<Stat> {
        let id = e.id as usize;
        let d = self.file.get(id.checked_sub(40)?..id + 22)?;
        if d[60] & 0xc0 != 0 {
            return None;
        }
        let w = |at: usize| u32::from_be_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]]);
        Some(Stat {
            ctime: (w(0), w(4)),
            mtime: (w(8), w(12)),
            dev: w(16),
            ino: w(20),
            uid: w(28),
            gid: w(32),
            size: w(36),
        })
    }

    /// Whether libgit2 may read this index file: not a sparse index (which it
    /// refuses) and not a cache tree deep enough to overflow its stack.
    pub fn libgit2_can_read(&self) -> bool {
        !self.sparse && self.tree_depth <= LIBGIT2_MAX_TREE_DEPTH
    }
}

/// Why an index file is not a valid one: a one-line reason that names the culprit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn bad(why: impl Into<String>) -> Error {
    Error(why.into())
}

/// Bytes of an entry before its path: times, device, inode, mode, owner, size,
/// id and flags.
const ENTRY_FIXED: usize = 62;
/// Fewest bytes an entry takes: the fixed part, a one-byte path and its NUL.
const ENTRY_MIN: usize = ENTRY_FIXED + 2;
/// Bytes of the trailing checksum (SHA-1).
const CHECKSUM: usize = 20;
/// The paths of a version 4 index (each stored as a suffix of the one before)
/// may expand to this many times the file's size; what goes beyond is crafted,
/// not a repository.
const EXPANSION: usize = 16;

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(
        d.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        d.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn shown(path: &[u8]) -> String {
    String::from_utf8_lossy(&path[..path.len().min(200)]).into_owned()
}

/// Parses an index file.
pub fn parse(file: &[u8]) -> Result<Index<'_>, Error> {
    if file.len() < 12 + CHECKSUM {
        return Err(bad(format!(
            "{} bytes, fewer than a header and a checksum",
            file.len()
        )));
    }
    if &file[..4] != b"DIRC" {
        return Err(bad("not an index file (no DIRC signature)"));
    }
    // Entries and extensions; the checksum is not part of either.
    let d = &file[..file.len() - CHECKSUM];
    let version = be32(d, 4).unwrap_or(0);
    let mut unsupported = None;
    let other = match version {
        2..=4 if u32::try_from(file.len()).is_ok() => None,
        2..=4 => Some("an index file of 4 GiB or more"),
        _ => Some("an index version other than 2, 3 and 4"),
    };
    if other.is_some() {
        return Ok(Index {
            entries: Vec::new(),
            paths: Cow::Borrowed(&[]),
            file,
            trees: CacheTree::default(),
            sparse: false,
            unsupported: other,
            tree_depth: 0,
        });
    }
    let n = be32(d, 8).unwrap_or(0) as usize;
    let most = (d.len() - 12) / ENTRY_MIN;
    if n > most {
        return Err(bad(format!(
            "it claims {n} entries, but its {} bytes hold at most {most}",
            file.len()
        )));
    }
    let mut entries = Vec::with_capacity(n);
    // Version 4's paths, written out; the others' lie in the file.
    let mut written: Vec<u8> = Vec::new();
    // Offsets into the written paths are 32 bits too.
    let path_budget = EXPANSION.saturating_mul(file.len()).min(u32::MAX as usize);
    let mut at = 12;
    let mut prev = 0..0;
    let mut dirs = false;
    for k in 0..n {
        let cut = || bad(format!("entry {} of {n} is cut short", k + 1));
        let start = at;
        let mode = be32(d, start + 24).ok_or_else(cut)?;
        d.get(start + 40..start + 60).ok_or_else(cut)?;
        let id = start + 40;
        let flags = be16(d, start + 60).ok_or_else(cut)?;
        let mut p = start + ENTRY_FIXED;
        let mut skip = false;
        if version >= 3 && flags & 0x4000 != 0 {
            let ext = be16(d, p).ok_or_else(cut)?;
            // Intent-to-add entries are not staged content.
            skip = ext & 0x2000 != 0;
            p += 2;
        }
        if (flags >> 12) & 3 != 0 {
            // A conflict: libgit2 says what it thinks. The rest is still read,
            // so that a crafted cache tree is never handed to libgit2.
            unsupported.get_or_insert("a conflict");
        }
        let range = if version == 4 {
            // Bytes to drop from the previous path (git's varint), then the rest
            // of the path, NUL-ended.
            let overflow = || bad(format!("entry {}: its path prefix overflows", k + 1));
            let mut q = p;
            let mut strip: usize = 0;
            loop {
                let b = *d.get(q).ok_or_else(cut)?;
                q += 1;
                strip = strip.checked_mul(128).ok_or_else(overflow)? | usize::from(b & 0x7f);
                if b & 0x80 == 0 {
                    break;
                }
                strip = strip.checked_add(1).ok_or_else(overflow)?;
            }
            let nul = q + memchr::memchr(0, &d[q..]).ok_or_else(cut)?;
            let keep = prev.len().checked_sub(strip).ok_or_else(|| {
                bad(format!(
                    "entry {} drops {strip} bytes of a {}-byte path",
                    k + 1,
                    prev.len()
                ))
            })?;
            if written.len() + keep + (nul - q) > path_budget {
                return Err(bad(format!(
                    "its paths expand to more than {EXPANSION} times its size, or 4 GiB"
                )));
            }
            let from = written.len();
            written.extend_from_within(prev.start..prev.start + keep);
            written.extend_from_slice(&d[q..nul]);
            at = nul + 1;
            from..written.len()
        } else {
            // The path's length is in the flags (below 0xFFF), as git reads it:
            // no search for its NUL.
            let len = usize::from(flags & 0xfff);
            let nul = match d.get(p + len) {
                Some(0) if len < 0xfff => p + len,
                _ => p + memchr::memchr(0, d.get(p..).unwrap_or_default()).ok_or_else(cut)?,
            };
            // Entries are NUL-padded to a multiple of eight bytes.
            at = start + ((nul - start + 8) & !7);
            if at > d.len() {
                return Err(cut());
            }
            p..nul
        };
        let all: &[u8] = if version == 4 { &written } else { d };
        let (path, before) = (&all[range.clone()], &all[prev.clone()]);
        // A path that starts with `/` (an empty first name) would make the
        // comparison with HEAD take a folder for its parent; other empty names
        // (`a//b`) only name files that HEAD cannot have.
        let name = path.strip_suffix(b"/").unwrap_or(path);
        if name.first().is_none_or(|&b| b == b'/') || name.last() == Some(&b'/') {
            return Err(bad(format!(
                "entry {} has an invalid path: {:?}",
                k + 1,
                shown(path)
            )));
        }
        // Strictly increasing paths (a conflict repeats a path, in stage order).
        if k > 0 && path <= before && !(path == before && unsupported.is_some()) {
            return Err(bad(format!(
                "entry {} ({}) is out of order",
                k + 1,
                shown(path)
            )));
        }
        if before.last() == Some(&b'/') && path.starts_with(before) {
            return Err(bad(format!(
                "entry {} ({}) lies inside a sparse directory entry",
                k + 1,
                shown(path)
            )));
        }
        if (mode == SPARSE_DIR) != (path.last() == Some(&b'/')) {
            return Err(bad(format!(
                "entry {} ({}): mode {mode:o} with a path that {} in /",
                k + 1,
                shown(path),
                if mode == SPARSE_DIR {
                    "does not end"
                } else {
                    "ends"
                }
            )));
        }
        dirs |= mode == SPARSE_DIR;
        prev = range.clone();
        if !skip {
            // Below 2^32: the file is, and so are the written paths.
            entries.push(Entry {
                path: (range.start as u32, range.len() as u32),
                mode,
                id: id as u32,
            });
        }
    }
    // Extensions, up to the checksum.
    let mut trees = CacheTree::default();
    let mut tree_depth = 0;
    let mut sparse = false;
    while at + 8 <= d.len() {
        let sig = &d[at..at + 4];
        let size = be32(d, at + 4).unwrap_or(0) as usize;
        let left = d.len() - (at + 8);
        if size > left {
            return Err(bad(format!(
                "extension {} claims {size} bytes, but {left} remain",
                String::from_utf8_lossy(sig).escape_debug()
            )));
        }
        match sig {
            b"TREE" => {
                // Of several, the last (as git reads them).
                trees = CacheTree {
                    file: d,
                    nodes: Vec::new(),
                };
                let depth = read_tree(at + 8..at + 8 + size, &mut trees)?;
                tree_depth = tree_depth.max(depth);
            }
            b"sdir" => sparse = true,
            b"link" => {
                unsupported.get_or_insert("a split index");
            }
            // Upper case: optional, skipped (REUC, UNTR, FSMN, EOIE, IEOT…).
            [b'A'..=b'Z', ..] => {}
            _ => {
                unsupported.get_or_insert("a mandatory extension this reader does not know");
            }
        }
        at += 8 + size;
    }
    if dirs && !sparse {
        return Err(bad(
            "a directory entry in an index without the sparse-index extension",
        ));
    }
    Ok(Index {
        entries,
        paths: if version == 4 {
            Cow::Owned(written)
        } else {
            Cow::Borrowed(d)
        },
        file,
        trees,
        sparse,
        unsupported,
        tree_depth,
    })
}

/// A decimal number with an optional sign, as (negative, magnitude); `None` unless
/// it fits an `i64`.
fn decimal(b: &[u8]) -> Option<(bool, u64)> {
    let (negative, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    (n <= i64::MAX as u64 + u64::from(negative)).then_some((negative, n))
}

/// Reads the cache tree in `body` (a range of `out.file`), nodes in pre-order:
/// `name NUL count SP subtrees LF [id]`, each node followed by its subtrees.
/// Iterative: `open` holds, for each node whose subtrees are being read, its
/// place in `out.nodes` and how many subtrees remain. Each node takes at least 5
/// bytes, so the nodes kept are bounded by the file's size.
/// Returns the deepest nesting.
fn read_tree(body: Range<usize>, out: &mut CacheTree) -> Result<usize, Error> {
    let cut = || bad("the cache tree (TREE) is cut short");
    let (file, base) = (out.file, body.start);
    let b = &file[body];
    out.nodes.reserve((b.len() / 32).min(1 << 16));
    let mut pos = 0;
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut deepest = 0;
    loop {
        let nul = pos + memchr::memchr(0, &b[pos..]).ok_or_else(cut)?;
        let lf = nul + memchr::memchr(b'\n', &b[nul..]).ok_or_else(cut)?;
        let counts = &b[nul + 1..lf];
        let malformed = || {
            bad(format!(
                "the cache tree (TREE) has a malformed node: {:?}",
                String::from_utf8_lossy(&counts[..counts.len().min(40)])
            ))
        };
        // `ENTRIES SP SUBTREES`: ENTRIES is -1 for a node that is not valid.
        let sp = memchr::memchr(b' ', counts).ok_or_else(malformed)?;
        let (negative, entries) = decimal(&counts[..sp]).ok_or_else(malformed)?;
        let valid = !negative || entries == 0;
        let subtrees = match decimal(&counts[sp + 1..]) {
            Some((false, n)) => usize::try_from(n).map_err(|_| malformed())?,
            _ => return Err(malformed()),
        };
        let name = pos..nul;
        pos = lf + 1;
        // Each subtree takes at least 4 bytes (`NUL-1 0LF` less its name).
        if subtrees > (b.len() - pos) / 4 {
            return Err(malformed());
        }
        if !open.is_empty() && (name.is_empty() || b[name.clone()].contains(&b'/')) {
            return Err(malformed());
        }
        deepest = deepest.max(open.len());
        let mut id = 0;
        if valid {
            b.get(pos..pos + 20).ok_or_else(cut)?;
            id = base + pos;
            pos += 20;
        }
        // Offsets below 2^32: the file is (checked by `parse`); so is the
        // number of nodes, each at least 4 bytes of it.
        out.nodes.push(Node {
            name: ((base + name.start) as u32, name.len() as u32),
            id: id as u32,
            end: out.nodes.len() as u32 + 1,
            count: if valid {
                u32::try_from(entries).unwrap_or(0)
            } else {
                0
            },
        });
        if subtrees > 0 {
            open.push((out.nodes.len() - 1, subtrees));
            continue;
        }
        // This node is done: so is each parent whose last subtree it was.
        loop {
            let Some((node, left)) = open.last_mut() else {
                return Ok(deepest);
            };
            *left -= 1;
            if *left > 0 {
                break;
            }
            out.nodes[*node].end = out.nodes.len() as u32;
            open.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::OnceLock;

    use proptest::prelude::*;

    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .current_dir(dir)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "A")
            .env("GIT_AUTHOR_EMAIL", "a@example.com")
            .env("GIT_COMMITTER_NAME", "C")
            .env("GIT_COMMITTER_EMAIL", "c@example.com")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// A committed repository: nested folders, an executable, a symbolic link,
    /// folders `in/` (kept) and `out/…` (outside a sparse cone).
    fn repo() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q", "-b", "main"]);
        for (path, text) in [
            ("root.txt", "r"),
            ("in/a.txt", "a"),
            ("in/deep/er/b.txt", "b"),
            ("out/c.txt", "c"),
            ("out/d/e.txt", "e"),
            ("outer.txt", "o"),
            ("z/run.sh", "#!/bin/sh"),
        ] {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        std::os::unix::fs::symlink("root.txt", dir.join("z/link")).unwrap();
        git(dir, &["update-index", "--add", "--chmod=+x", "z/run.sh"]);
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", "one"]);
        tmp
    }

    /// (mode, id, path) of each stage-0 entry, as `git ls-files --sparse -s` lists them.
    fn listed(dir: &Path) -> Vec<(u32, Oid, Vec<u8>)> {
        git(dir, &["ls-files", "--sparse", "-s"])
            .lines()
            .map(|l| {
                let (meta, path) = l.split_once('\t').unwrap();
                let f: Vec<&str> = meta.split(' ').collect();
                (
                    u32::from_str_radix(f[0], 8).unwrap(),
                    Oid::from_str(f[1]).unwrap(),
                    path.as_bytes().to_vec(),
                )
            })
            .collect()
    }

    fn file(dir: &Path) -> Vec<u8> {
        std::fs::read(dir.join(".git/index")).unwrap()
    }

    fn rows(index: &Index) -> Vec<(u32, Oid, Vec<u8>)> {
        index
            .entries
            .iter()
            .map(|e| (e.mode, index.id(e), index.path(e).to_vec()))
            .collect()
    }

    /// The cache tree agrees with HEAD's folders after a commit.
    fn assert_trees_match_head(dir: &Path, index: &Index) {
        let mut want = HashMap::new();
        want.insert(
            Vec::new(),
            Oid::from_str(git(dir, &["rev-parse", "HEAD^{tree}"]).trim()).unwrap(),
        );
        for l in git(dir, &["ls-tree", "-r", "-d", "HEAD"]).lines() {
            let (meta, path) = l.split_once('\t').unwrap();
            let id = Oid::from_str(meta.split(' ').nth(2).unwrap()).unwrap();
            want.insert(path.as_bytes().to_vec(), id);
        }
        let kept = index.trees.iter();
        for (path, id) in &kept {
            assert_eq!(
                want.get(path),
                Some(id),
                "{}",
                String::from_utf8_lossy(path)
            );
            assert_eq!(index.trees.get(path).as_ref(), Some(id));
        }
        assert!(kept.iter().any(|(p, _)| p.is_empty()));
        assert!(kept.len() > 1);
    }

    #[test]
    fn numbers_and_lookups_of_the_cache_tree() {
        assert_eq!(decimal(b"-1"), Some((true, 1)));
        assert_eq!(decimal(b"+12"), Some((false, 12)));
        assert_eq!(decimal(b"-9223372036854775808"), Some((true, 1 << 63)));
        for bad in [&b""[..], b"-", b"1a", b" 1", b"9223372036854775808"] {
            assert_eq!(decimal(bad), None, "{bad:?}");
        }
        let (a, b) = (
            Oid::from_bytes(&[1; 20]).unwrap(),
            Oid::from_bytes(&[2; 20]).unwrap(),
        );
        // Root (valid), `x` (not) holding `y` (valid, id a), then `x` again
        // holding `y` (id b) and `z` (valid, id a).
        let mut body = b"\x003 2\n".to_vec();
        body.extend_from_slice(&[1; 20]);
        body.extend_from_slice(b"x\0-1 1\ny\x001 0\n");
        body.extend_from_slice(&[1; 20]);
        body.extend_from_slice(b"x\0-1 2\ny\x001 0\n");
        body.extend_from_slice(&[2; 20]);
        body.extend_from_slice(b"z\x001 0\n");
        body.extend_from_slice(&[1; 20]);
        let mut d = header(2, 0);
        d.extend(tree_ext(&body));
        let d = with_checksum(d);
        let t = parse(&d).unwrap().trees;
        assert_eq!(t.get(b""), Some(a));
        assert_eq!(t.get(b"x/y"), Some(b), "the last of a folder given twice");
        assert_eq!(t.get(b"x/z"), Some(a));
        assert_eq!(t.get(b"x"), None);
        let root = t.root().unwrap();
        let names: Vec<&[u8]> = t.children(root).map(|c| c.0).collect();
        assert_eq!(names, [b"x", b"x"]);
        let second = t.children(root).last().unwrap().1;
        let names: Vec<&[u8]> = t.children(second).map(|c| c.0).collect();
        assert_eq!(names, [b"y", b"z"]);
    }

    /// Versions 2, 3 (intent-to-add) and 4 (compressed paths), as git writes them.
    #[test]
    fn agrees_with_git_on_versions_2_3_and_4() {
        let tmp = repo();
        let dir = tmp.path();
        let v2_file = file(dir);
        let v2 = parse(&v2_file).unwrap();
        assert_eq!(rows(&v2), listed(dir));
        assert_trees_match_head(dir, &v2);
        assert!(v2.unsupported.is_none() && !v2.sparse && v2.libgit2_can_read());
        assert_eq!(v2.tree_depth, 3);
        // Intent-to-add makes it version 3; that entry is not staged content.
        std::fs::write(dir.join("in/new.txt"), "n").unwrap();
        git(dir, &["add", "-N", "in/new.txt"]);
        let v3_file = file(dir);
        let v3 = parse(&v3_file).unwrap();
        assert_eq!(std::fs::read(dir.join(".git/index")).unwrap()[7], 3);
        let mut want = listed(dir);
        want.retain(|e| e.2 != b"in/new.txt");
        assert_eq!(rows(&v3), want);
        git(dir, &["rm", "-q", "--cached", "in/new.txt"]);
        git(dir, &["update-index", "--index-version", "4"]);
        let v4_file = file(dir);
        let v4 = parse(&v4_file).unwrap();
        assert_eq!(std::fs::read(dir.join(".git/index")).unwrap()[7], 4);
        assert_eq!(rows(&v4), listed(dir));
        assert!(v4.unsupported.is_none());
    }

    /// Stat data as libgit2 reads it, in versions 2 and 4; none for an entry
    /// git is told not to trust (assume-unchanged, skip-worktree).
    #[test]
    fn stat_data_agrees_with_libgit2() {
        let tmp = repo();
        let dir = tmp.path();
        let check = |untrusted: &[&[u8]]| {
            let bytes = file(dir);
            let ix = parse(&bytes).unwrap();
            let theirs = git2::Index::open(&dir.join(".git/index")).unwrap();
            for e in &ix.entries {
                let t = theirs.get_path(Path::new(std::str::from_utf8(ix.path(e)).unwrap()), 0);
                let t = t.unwrap();
                let want = Stat {
                    ctime: (t.ctime.seconds() as u32, t.ctime.nanoseconds()),
                    mtime: (t.mtime.seconds() as u32, t.mtime.nanoseconds()),
                    dev: t.dev,
                    ino: t.ino,
                    uid: t.uid,
                    gid: t.gid,
                    size: t.file_size,
                };
                let trusted = !untrusted.contains(&ix.path(e));
                assert_eq!(ix.stat(e), trusted.then_some(want));
                assert!(want.size > 0 && want.mtime.0 > 0 && want.ino > 0);
            }
        };
        check(&[]);
        git(dir, &["update-index", "--assume-unchanged", "root.txt"]);
        git(dir, &["update-index", "--skip-worktree", "in/a.txt"]);
        check(&[b"root.txt", b"in/a.txt"]);
        git(dir, &["update-index", "--no-skip-worktree", "in/a.txt"]);
        git(dir, &["update-index", "--index-version", "4"]);
        check(&[b"root.txt"]);
    }

    /// A sparse index: folders outside the cone are single entries, and the
    /// cache tree still names HEAD's trees.
    #[test]
    fn reads_the_sparse_index() {
        let tmp = repo();
        let dir = tmp.path();
        git(dir, &["sparse-checkout", "init", "--cone"]);
        git(dir, &["config", "index.sparse", "true"]);
        git(dir, &["sparse-checkout", "set", "in"]);
        let index_file = file(dir);
        let index = parse(&index_file).unwrap();
        assert!(index.sparse && !index.libgit2_can_read());
        assert!(index.unsupported.is_none());
        assert_eq!(rows(&index), listed(dir));
        let dirs: Vec<&[u8]> = index
            .entries
            .iter()
            .filter(|e| e.mode == SPARSE_DIR)
            .map(|e| index.path(e))
            .collect();
        assert_eq!(dirs, [&b"out/"[..], b"z/"]);
        assert_trees_match_head(dir, &index);
    }

    /// A real index (version 2 with a cache tree) for the crafted cases below.
    fn real_index() -> &'static [u8] {
        static INDEX: OnceLock<Vec<u8>> = OnceLock::new();
        INDEX.get_or_init(|| {
            let tmp = repo();
            std::fs::read(tmp.path().join(".git/index")).unwrap()
        })
    }

    fn header(version: u32, count: u32) -> Vec<u8> {
        let mut d = b"DIRC".to_vec();
        d.extend_from_slice(&version.to_be_bytes());
        d.extend_from_slice(&count.to_be_bytes());
        d
    }

    fn with_checksum(mut d: Vec<u8>) -> Vec<u8> {
        d.extend_from_slice(&[0; CHECKSUM]);
        d
    }

    fn tree_ext(body: &[u8]) -> Vec<u8> {
        let mut d = b"TREE".to_vec();
        d.extend_from_slice(&(body.len() as u32).to_be_bytes());
        d.extend_from_slice(body);
        d
    }

    /// The crafted headers of issue 11: four billion entries claimed by 12 or
    /// 32 bytes are refused before anything is allocated for them.
    #[test]
    fn claimed_counts_are_checked_against_the_size() {
        let e = parse(&header(2, u32::MAX)).err().unwrap();
        assert_eq!(
            e.to_string(),
            "12 bytes, fewer than a header and a checksum"
        );
        let e = parse(&with_checksum(header(2, u32::MAX))).err().unwrap();
        assert_eq!(
            e.to_string(),
            "it claims 4294967295 entries, but its 32 bytes hold at most 0"
        );
        let mut d = real_index().to_vec();
        d[8..12].copy_from_slice(&1_000u32.to_be_bytes());
        assert!(
            parse(&d)
                .err()
                .unwrap()
                .to_string()
                .contains("claims 1000 entries")
        );
    }

    /// Every prefix of a real index is an error or an index, never a panic.
    #[test]
    fn every_truncation_returns() {
        let d = real_index();
        assert!(parse(d).is_ok());
        let mut errors = 0;
        for n in 0..d.len() {
            errors += usize::from(parse(&d[..n]).is_err());
        }
        assert!(errors > d.len() / 2, "{errors} of {}", d.len());
    }

    /// A cache tree nested a million folders deep is read without recursion,
    /// and marked as one that libgit2 must not be given.
    #[test]
    fn deep_cache_tree_is_read_iteratively() {
        let depth = 1_000_000;
        let mut body = b"\0-1 1\n".to_vec();
        for _ in 1..depth {
            body.extend_from_slice(b"a\0-1 1\n");
        }
        body.extend_from_slice(b"a\0-1 0\n");
        let mut d = header(2, 0);
        d.extend(tree_ext(&body));
        let d = with_checksum(d);
        let index = parse(&d).unwrap();
        assert_eq!(index.tree_depth, depth);
        assert!(!index.libgit2_can_read());
        assert_eq!(index.trees.len(), depth + 1);
        assert!(index.trees.iter().is_empty());
        // The walk from the root goes down one folder at a time.
        let (mut node, mut levels) = (index.trees.root().unwrap(), 0);
        while let Some((name, next)) = index.trees.children(node).next() {
            assert_eq!(name, b"a");
            (node, levels) = (next, levels + 1);
        }
        assert_eq!(levels, depth);
    }

    /// Valid cache-tree nodes with long names, nested 2,000 deep, in four TREE
    /// extensions: nothing is expanded (the paths of such a chain grow
    /// quadratically), and the last extension is the cache tree.
    #[test]
    fn cache_tree_is_not_expanded() {
        let mut d = header(2, 0);
        for letter in *b"nopq" {
            let mut body = b"\0-1 1\n".to_vec();
            for i in 0..2000 {
                body.extend_from_slice(&[letter; 300]);
                body.extend_from_slice(if i < 1999 { b"\x001 1\n" } else { b"\x001 0\n" });
                body.extend_from_slice(&[7; 20]);
            }
            d.extend(tree_ext(&body));
        }
        let d = with_checksum(d);
        let index = parse(&d).unwrap();
        assert_eq!(index.trees.len(), 2001);
        assert_eq!(index.tree_depth, 2000);
        let deepest = vec![vec![b'q'; 300]; 2000].join(&b'/');
        assert_eq!(index.trees.get(&deepest), Oid::from_bytes(&[7; 20]).ok());
        assert_eq!(index.trees.get(&[b'n'; 300]), None);
    }

    /// Hand-made entries, version 2 unless said: one entry, path `path`.
    fn entry(mode: u32, path: &[u8], flags_extra: u16) -> Vec<u8> {
        let mut e = vec![0u8; 24];
        e.extend_from_slice(&mode.to_be_bytes());
        e.extend_from_slice(&[0; 12]);
        e.extend_from_slice(&[9; 20]);
        e.extend_from_slice(&(flags_extra | path.len().min(0xfff) as u16).to_be_bytes());
        e.extend_from_slice(path);
        let len = (e.len() + 8) & !7;
        e.resize(len, 0);
        e
    }

    fn index_of(version: u32, entries: &[Vec<u8>], ext: &[u8]) -> Vec<u8> {
        let mut d = header(version, entries.len() as u32);
        for e in entries {
            d.extend_from_slice(e);
        }
        d.extend_from_slice(ext);
        with_checksum(d)
    }

    #[test]
    fn malformed_entries_are_named() {
        let f = |p: &[u8]| entry(0o100644, p, 0);
        let err = |d: Vec<u8>| parse(&d).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(parse(&index_of(2, &[f(b"a"), f(b"b/c")], b"")).is_ok());
        assert_eq!(
            err(index_of(2, &[f(b"b"), f(b"a")], b"")),
            "entry 2 (a) is out of order"
        );
        assert!(err(index_of(2, &[f(b"/a")], b"")).contains("invalid path"));
        assert!(
            err(index_of(2, &[f(b"a/")], b"")).contains("mode 100644 with a path that ends in /")
        );
        let dir = entry(SPARSE_DIR, b"d/", 0);
        assert!(
            err(index_of(2, std::slice::from_ref(&dir), b"")).contains("without the sparse-index")
        );
        assert!(
            parse(&index_of(2, std::slice::from_ref(&dir), b"sdir\0\0\0\0"))
                .unwrap()
                .sparse
        );
        assert!(
            err(index_of(2, &[dir, f(b"d/x")], b"sdir\0\0\0\0"))
                .contains("inside a sparse directory")
        );
        assert!(err(index_of(2, &[f(b"a")], b"TREE\0\0\0\x50")).contains("claims 80 bytes"));
        // A conflict, a split index, an unknown mandatory extension: libgit2's.
        let unsupported = |d: Vec<u8>| parse(&d).unwrap().unsupported;
        let conflict = entry(0o100644, b"a", 0x1000);
        assert_eq!(
            unsupported(index_of(2, &[conflict.clone(), conflict], b"")),
            Some("a conflict")
        );
        assert_eq!(
            unsupported(index_of(2, &[f(b"a")], b"link\0\0\0\0")),
            Some("a split index")
        );
        assert!(unsupported(index_of(2, &[f(b"a")], b"abcd\0\0\0\0")).is_some());
        assert!(unsupported(index_of(2, &[f(b"a")], b"ABCD\0\0\0\x01x")).is_none());
        assert!(unsupported(index_of(5, &[], b"")).is_some());
    }

    /// Version 4: a prefix length that overflows, or drops more than the
    /// previous path has, is an error.
    #[test]
    fn version_4_prefixes_are_checked() {
        let v4 = |paths: &[(&[u8], &[u8])]| {
            let entries: Vec<Vec<u8>> = paths
                .iter()
                .map(|(varint, suffix)| {
                    let mut e = entry(0o100644, b"", 0)[..ENTRY_FIXED].to_vec();
                    e.extend_from_slice(varint);
                    e.extend_from_slice(suffix);
                    e.push(0);
                    e
                })
                .collect();
            let d = index_of(4, &entries, b"");
            parse(&d).map(|ix| {
                let paths: Vec<Vec<u8>> = ix.entries.iter().map(|e| ix.path(e).to_vec()).collect();
                paths
            })
        };
        let paths = v4(&[(&[0], b"abc"), (&[1], b"d"), (&[0], b"b")]).unwrap();
        assert_eq!(paths, [&b"abc"[..], b"abd", b"abdb"]);
        assert!(v4(&[(&[0], b"a"), (&[5], b"b")]).is_err());
        assert!(
            v4(&[(&[0xff; 12], b"a")])
                .err()
                .unwrap()
                .to_string()
                .contains("overflows")
        );
        // 0x80 0x00 is 128 in git's varint: more than the previous path has.
        assert!(v4(&[(&[0x80, 0], b"a")]).is_err());
    }

    /// What an index's parse may hold, whatever the input: no more entries than
    /// the bytes can hold, paths and cache-tree paths within the expansion bound.
    fn assert_bounded(d: &[u8]) -> Result<(), TestCaseError> {
        if let Ok(index) = parse(d) {
            prop_assert!(index.entries.capacity() <= d.len() / ENTRY_MIN);
            let paths: usize = index.entries.iter().map(|e| index.path(e).len()).sum();
            prop_assert!(paths <= EXPANSION * d.len());
            prop_assert!(index.trees.len() <= d.len() / 5);
        }
        Ok(())
    }

    proptest! {
        /// Arbitrary bytes after a plausible header: no panic, bounded results.
        #[test]
        fn any_index_returns(
            version in 1u32..6,
            count in prop_oneof![0u32..8, Just(u32::MAX), any::<u32>()],
            body in proptest::collection::vec(any::<u8>(), 0..2048),
        ) {
            let mut d = header(version, count);
            d.extend_from_slice(&body);
            assert_bounded(&d)?;
            assert_bounded(&body)?;
        }

        /// A real index with bytes overwritten and cut: no panic, bounded results.
        #[test]
        fn mutated_real_index_returns(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
            v4 in any::<bool>(),
        ) {
            let mut d = real_index().to_vec();
            if v4 {
                d[7] = 4;
            }
            for (at, byte) in edits {
                let i = at.index(d.len());
                d[i] = byte;
            }
            assert_bounded(&d)?;
            let n = cut.index(d.len());
            assert_bounded(&d[..n])?;
        }

        /// Arbitrary cache trees: no panic, bounded results.
        #[test]
        fn any_cache_tree_returns(
            nodes in proptest::collection::vec(("[a-c]{0,3}", -2i64..3, 0usize..4, any::<bool>()), 0..64),
        ) {
            let mut body = Vec::new();
            for (name, count, subtrees, id) in nodes {
                body.extend_from_slice(name.as_bytes());
                body.extend_from_slice(format!("\0{count} {subtrees}\n").as_bytes());
                if id {
                    body.extend_from_slice(&[3; 20]);
                }
            }
            let mut d = header(2, 0);
            d.extend(tree_ext(&body));
            assert_bounded(&with_checksum(d))?;
        }
    }
}
