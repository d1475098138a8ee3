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

#[cfg(test)]
use std::collections::HashMap;

use git2::Oid;

pub struct Entry {
    pub path: Vec<u8>,
    pub mode: u32,
    pub id: Oid,
}

/// The mode of a sparse directory entry (path ending in `/`, id a tree).
pub const SPARSE_DIR: u32 = 0o040000;

pub struct Index {
    /// Sorted by path, as git writes them.
    pub entries: Vec<Entry>,
    /// Folder path (`a/b`, root `""`) -> tree id, for the valid cache-tree nodes.
    pub trees: CacheTree,
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

/// The valid nodes of the cache tree: folder paths in one buffer, with their tree
/// ids, sorted by a keyed hash of the path. (A hash map of owned paths, or nodes
/// sorted by path, cost a third of a hook run's index reading; a hook looks up
/// a few folders. The hash is std's randomly keyed one, so crafted paths cannot
/// pile into one hash.)
#[derive(Default)]
pub struct CacheTree {
    bytes: Vec<u8>,
    /// (hash, start and end of the path in `bytes`, tree id).
    nodes: Vec<(u64, usize, usize, Oid)>,
    keys: std::hash::RandomState,
}

impl CacheTree {
    fn hash(&self, path: &[u8]) -> u64 {
        std::hash::BuildHasher::hash_one(&self.keys, path)
    }

    /// The tree of folder `path`; of a path given twice, the last.
    pub fn get(&self, path: &[u8]) -> Option<&Oid> {
        let h = self.hash(path);
        let from = self.nodes.partition_point(|n| n.0 < h);
        self.nodes[from..]
            .iter()
            .take_while(|n| n.0 == h)
            .find(|n| &self.bytes[n.1..n.2] == path)
            .map(|n| &n.3)
    }

    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Oid)> {
        self.nodes.iter().map(|n| (&self.bytes[n.1..n.2], &n.3))
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn insert(&mut self, path: &[u8], id: Oid) {
        let from = self.bytes.len();
        self.bytes.extend_from_slice(path);
        self.nodes
            .push((self.hash(path), from, self.bytes.len(), id));
    }

    /// Sorts the nodes by hash, the later of equal ones first.
    fn finish(&mut self) {
        self.nodes
            .sort_unstable_by_key(|n| (n.0, std::cmp::Reverse(n.1)));
    }
}

/// Deepest cache tree that libgit2 is given to read (git's own default limit on
/// tree depth, `core.maxTreeDepth`); it was measured to read 10,000 levels on a
/// 2 MiB stack and to crash at 20,000.
const LIBGIT2_MAX_TREE_DEPTH: usize = 4096;

impl Index {
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
/// and the folder paths of the cache tree may expand to this many times the
/// file's size; what goes beyond is crafted, not a repository.
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
pub fn parse(file: &[u8]) -> Result<Index, Error> {
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
    if !(2..=4).contains(&version) {
        return Ok(Index {
            entries: Vec::new(),
            trees: CacheTree::default(),
            sparse: false,
            unsupported: Some("an index version other than 2, 3 and 4"),
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
    let mut path_bytes = 0usize;
    let path_budget = EXPANSION.saturating_mul(file.len());
    let mut at = 12;
    let mut prev: Vec<u8> = Vec::new();
    let mut dirs = false;
    for k in 0..n {
        let cut = || bad(format!("entry {} of {n} is cut short", k + 1));
        let start = at;
        let mode = be32(d, start + 24).ok_or_else(cut)?;
        let id =
            Oid::from_bytes(d.get(start + 40..start + 60).ok_or_else(cut)?).map_err(|_| cut())?;
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
        let path = if version == 4 {
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
            let mut path = Vec::with_capacity(keep + (nul - q));
            path.extend_from_slice(&prev[..keep]);
            path.extend_from_slice(&d[q..nul]);
            at = nul + 1;
            path
        } else {
            let nul = p + memchr::memchr(0, d.get(p..).unwrap_or_default()).ok_or_else(cut)?;
            // Entries are NUL-padded to a multiple of eight bytes.
            at = start + ((nul - start + 8) & !7);
            if at > d.len() {
                return Err(cut());
            }
            d[p..nul].to_vec()
        };
        path_bytes += path.len();
        if path_bytes > path_budget {
            return Err(bad(format!(
                "its paths expand to more than {EXPANSION} times its size"
            )));
        }
        // A path that starts with `/` (an empty first name) would make the
        // comparison with HEAD take a folder for its parent; other empty names
        // (`a//b`) only name files that HEAD cannot have.
        let name = path.strip_suffix(b"/").unwrap_or(&path);
        if name.first().is_none_or(|&b| b == b'/') || name.last() == Some(&b'/') {
            return Err(bad(format!(
                "entry {} has an invalid path: {:?}",
                k + 1,
                shown(&path)
            )));
        }
        // Strictly increasing paths (a conflict repeats a path, in stage order).
        if k > 0 && path <= prev && !(path == prev && unsupported.is_some()) {
            return Err(bad(format!(
                "entry {} ({}) is out of order",
                k + 1,
                shown(&path)
            )));
        }
        if prev.last() == Some(&b'/') && path.starts_with(&prev) {
            return Err(bad(format!(
                "entry {} ({}) lies inside a sparse directory entry",
                k + 1,
                shown(&path)
            )));
        }
        if (mode == SPARSE_DIR) != (path.last() == Some(&b'/')) {
            return Err(bad(format!(
                "entry {} ({}): mode {mode:o} with a path that {} in /",
                k + 1,
                shown(&path),
                if mode == SPARSE_DIR {
                    "does not end"
                } else {
                    "ends"
                }
            )));
        }
        dirs |= mode == SPARSE_DIR;
        prev.clone_from(&path);
        if !skip {
            entries.push(Entry { path, mode, id });
        }
    }
    // Extensions, up to the checksum.
    let mut trees = CacheTree::default();
    let mut tree_depth = 0;
    // Shared by every TREE extension, should a file hold several.
    let mut tree_budget = EXPANSION.saturating_mul(file.len());
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
        let body = &d[at + 8..at + 8 + size];
        match sig {
            b"TREE" => {
                let depth = read_tree(body, &mut tree_budget, &mut trees)?;
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
    trees.finish();
    if dirs && !sparse {
        return Err(bad(
            "a directory entry in an index without the sparse-index extension",
        ));
    }
    Ok(Index {
        entries,
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

/// Reads the cache tree, nodes in pre-order: `name NUL count SP subtrees LF
/// [id]`, each node followed by its subtrees. Iterative: `open` holds, for each
/// node whose subtrees are being read, the length of its parent's path and how
/// many subtrees remain. Folder paths are kept while their bytes stay within
/// `budget`, which this uses up (past it the cache tree is only an optimisation
/// lost, not an error).
/// Returns the deepest nesting.
fn read_tree(b: &[u8], budget: &mut usize, out: &mut CacheTree) -> Result<usize, Error> {
    let cut = || bad("the cache tree (TREE) is cut short");
    let mut pos = 0;
    let mut path: Vec<u8> = Vec::new();
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
        let name = &b[pos..nul];
        pos = lf + 1;
        // Each subtree takes at least 4 bytes (`NUL-1 0LF` less its name).
        if subtrees > (b.len() - pos) / 4 {
            return Err(malformed());
        }
        let parent = path.len();
        if !open.is_empty() {
            if name.is_empty() || name.contains(&b'/') {
                return Err(malformed());
            }
            if parent > 0 {
                path.push(b'/');
            }
            path.extend_from_slice(name);
        }
        deepest = deepest.max(open.len());
        if valid {
            let id = b.get(pos..pos + 20).ok_or_else(cut)?;
            let id = Oid::from_bytes(id).map_err(|_| cut())?;
            pos += 20;
            if let Some(left) = budget.checked_sub(path.len() + 20) {
                *budget = left;
                out.insert(&path, id);
            }
        }
        if subtrees > 0 {
            open.push((parent, subtrees));
            continue;
        }
        // This node is done: so is each parent whose last subtree it was.
        path.truncate(parent);
        loop {
            let Some((parent, left)) = open.last_mut() else {
                return Ok(deepest);
            };
            *left -= 1;
            if *left > 0 {
                break;
            }
            path.truncate(*parent);
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

    fn parsed(dir: &Path) -> Index {
        parse(&std::fs::read(dir.join(".git/index")).unwrap()).unwrap()
    }

    fn rows(index: &Index) -> Vec<(u32, Oid, Vec<u8>)> {
        index
            .entries
            .iter()
            .map(|e| (e.mode, e.id, e.path.clone()))
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
        for (path, id) in index.trees.iter() {
            assert_eq!(
                want.get(path),
                Some(id),
                "{}",
                String::from_utf8_lossy(path)
            );
        }
        assert!(index.trees.get(b"").is_some());
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
        let mut t = CacheTree::default();
        t.insert(b"", a);
        t.insert(b"x/y", a);
        t.insert(b"x/y", b);
        t.finish();
        assert_eq!(t.get(b""), Some(&a));
        assert_eq!(t.get(b"x/y"), Some(&b), "the last of a path given twice");
        assert_eq!(t.get(b"x"), None);
    }

    /// Versions 2, 3 (intent-to-add) and 4 (compressed paths), as git writes them.
    #[test]
    fn agrees_with_git_on_versions_2_3_and_4() {
        let tmp = repo();
        let dir = tmp.path();
        let v2 = parsed(dir);
        assert_eq!(rows(&v2), listed(dir));
        assert_trees_match_head(dir, &v2);
        assert!(v2.unsupported.is_none() && !v2.sparse && v2.libgit2_can_read());
        assert_eq!(v2.tree_depth, 3);
        // Intent-to-add makes it version 3; that entry is not staged content.
        std::fs::write(dir.join("in/new.txt"), "n").unwrap();
        git(dir, &["add", "-N", "in/new.txt"]);
        let v3 = parsed(dir);
        assert_eq!(std::fs::read(dir.join(".git/index")).unwrap()[7], 3);
        let mut want = listed(dir);
        want.retain(|e| e.2 != b"in/new.txt");
        assert_eq!(rows(&v3), want);
        git(dir, &["rm", "-q", "--cached", "in/new.txt"]);
        git(dir, &["update-index", "--index-version", "4"]);
        let v4 = parsed(dir);
        assert_eq!(std::fs::read(dir.join(".git/index")).unwrap()[7], 4);
        assert_eq!(rows(&v4), listed(dir));
        assert!(v4.unsupported.is_none());
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
        let index = parsed(dir);
        assert!(index.sparse && !index.libgit2_can_read());
        assert!(index.unsupported.is_none());
        assert_eq!(rows(&index), listed(dir));
        let dirs: Vec<&[u8]> = index
            .entries
            .iter()
            .filter(|e| e.mode == SPARSE_DIR)
            .map(|e| &e.path[..])
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
        let index = parse(&with_checksum(d)).unwrap();
        assert_eq!(index.tree_depth, depth);
        assert!(!index.libgit2_can_read());
        assert!(index.trees.is_empty());
    }

    /// Valid cache-tree nodes with long paths, in four TREE extensions: what is
    /// kept stays within one budget (the paths of a deep chain grow
    /// quadratically).
    #[test]
    fn cache_tree_paths_are_bounded() {
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
        let kept: usize = index.trees.iter().map(|(k, _)| k.len() + 20).sum();
        assert!(kept <= EXPANSION * d.len(), "{kept}");
        assert!(kept > EXPANSION * d.len() / 2, "{kept}");
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
        let conflict = entry(0o100644, b"a", 0x1000);
        let index = parse(&index_of(2, &[conflict.clone(), conflict], b"")).unwrap();
        assert_eq!(index.unsupported, Some("a conflict"));
        let index = parse(&index_of(2, &[f(b"a")], b"link\0\0\0\0")).unwrap();
        assert_eq!(index.unsupported, Some("a split index"));
        let index = parse(&index_of(2, &[f(b"a")], b"abcd\0\0\0\0")).unwrap();
        assert!(index.unsupported.is_some());
        let index = parse(&index_of(2, &[f(b"a")], b"ABCD\0\0\0\x01x")).unwrap();
        assert!(index.unsupported.is_none());
        assert_eq!(
            parse(&index_of(5, &[], b""))
                .unwrap()
                .unsupported
                .map(|_| ()),
            Some(())
        );
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
            parse(&index_of(4, &entries, b""))
        };
        let ok = v4(&[(&[0], b"abc"), (&[1], b"d"), (&[0], b"b")]).unwrap();
        let paths: Vec<&[u8]> = ok.entries.iter().map(|e| &e.path[..]).collect();
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
            let paths: usize = index.entries.iter().map(|e| e.path.len()).sum();
            prop_assert!(paths <= EXPANSION * d.len());
            let kept: usize = index.trees.iter().map(|(k, _)| k.len() + 20).sum();
            prop_assert!(kept <= EXPANSION * d.len());
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
