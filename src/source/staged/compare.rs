//! The comparison of the index with HEAD's tree, folder by folder, that finds
//! the staged changes (see the [parent module](super)).

use std::cmp::Ordering;
use std::ops::Range;

use anyhow::{Result, anyhow, bail};
use git2::{Delta, DiffOptions, Oid, Repository};

use super::{Change, Changes, Odb, env_index};
use crate::source::git::git_msg;
use crate::source::git::index as git_index;
use crate::source::git::tree_entries;
use crate::source::git::worktree::{self, Worktree};

/// The staged changes found from the index file and its cache tree; `None` when
/// libgit2 must do it (an index this reader leaves to libgit2, or files both
/// deleted and added: perhaps renames, which need similarity detection). An index
/// file that is not a valid one is an error: git refuses to commit from it too,
/// and libgit2 is not handed a crafted file whose cache tree overflows its stack.
/// Nor is libgit2 handed a sparse index, which it cannot read, or a cache tree
/// deep enough to overflow its stack: a rename there is reported as an added
/// file, every line of it.
pub(super) fn fast_changes(
    repo: &Repository,
    odb: &mut Odb,
    head: Option<Oid>,
) -> Result<Option<Changes>> {
    let file = env_index(repo).unwrap_or_else(|| repo.path().join("index"));
    // Mapped, its pages filled in one call: a large repository's index is a few
    // hundred pages, and copying it in faulted on each (a tenth of a hook run).
    // SAFETY: read-only, and git replaces the index by renaming a new file over
    // it, never by writing it in place; a file truncated by another process
    // meanwhile is the one hazard, as in ripgrep's mmap searcher.
    // When it was written tells which entries are racily clean (`worktree`).
    let Ok((data, written)) = std::fs::File::open(&file).and_then(|f| {
        let written = f.metadata()?.modified()?;
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&f)? };
        Ok((map, written))
    }) else {
        return Ok(None);
    };
    let index = git_index::parse(&data)
        .map_err(|e| anyhow!("{}: not a valid git index: {e}", file.display()))?;
    let libgit2 = index.libgit2_can_read();
    if let Some(what) = index.unsupported {
        if index.sparse {
            bail!(
                "{}: {what} in a sparse index, which neither qrcp-scan nor libgit2 reads",
                file.display()
            );
        }
        if !libgit2 {
            bail!(
                "{}: {what}, and a cache tree nested {} folders deep, which libgit2 cannot read safely",
                file.display(),
                index.tree_depth
            );
        }
        return Ok(None);
    }
    let mut walk = Compare {
        repo,
        odb,
        index: &index,
        out: Vec::new(),
        deleted: false,
    };
    if let Err(e) = walk.run(head) {
        if !libgit2 {
            bail!("cannot compare the index with HEAD: {}", git_msg(&e));
        }
        return Ok(None);
    }
    if libgit2 && walk.deleted && walk.out.iter().any(|c| c.old.is_none()) {
        return Ok(None);
    }
    let large = |c: &Change| c.stat.is_some_and(|s| s.size >= worktree::MIN_SIZE);
    let tree = match walk.out.iter().any(large) {
        true => {
            let attributes = index.entries.iter().any(|e| {
                let path = index.path(e);
                path == b".gitattributes" || path.ends_with(b"/.gitattributes")
            });
            let written = written
                .duration_since(std::time::UNIX_EPOCH)
                .map_or((i64::MIN, 0), |d| {
                    (d.as_secs() as i64, i64::from(d.subsec_nanos()))
                });
            Worktree::new(repo, written, attributes)
        }
        false => None,
    };
    Ok(Some((walk.out, tree)))
}

struct Compare<'a> {
    repo: &'a Repository,
    odb: &'a mut Odb,
    index: &'a git_index::Index<'a>,
    out: Vec<Change>,
    deleted: bool,
}

/// A folder to compare: its tree in HEAD, the length of its path, its index
/// entries (a range whose first entry's path starts with the folder's path), and
/// its node in the cache tree.
type Folder = (Option<Oid>, usize, Range<usize>, Option<usize>);

impl Compare<'_> {
    /// Compares HEAD's tree with the index entries, folder by folder, with an
    /// explicit stack: index paths can be thousands of folders deep.
    fn run(&mut self, head: Option<Oid>) -> Result<(), git2::Error> {
        let root = self.index.trees.root();
        let mut todo: Vec<Folder> = vec![(head, 0, 0..self.index.entries.len(), root)];
        while let Some(folder) = todo.pop() {
            self.folder(folder, &mut todo)?;
        }
        Ok(())
    }

    /// Compares folder `dir` of HEAD (`tree`) with the index entries in `range`;
    /// its subfolders go on `todo`.
    fn folder(
        &mut self,
        (tree, dir_len, range, node): Folder,
        todo: &mut Vec<Folder>,
    ) -> Result<(), git2::Error> {
        let (index, entries) = (self.index, &self.index.entries);
        let path = |i: usize| index.path(&entries[i]);
        let dir: &[u8] = if dir_len > 0 && range.start < entries.len() {
            &path(range.start)[..dir_len]
        } else {
            b""
        };
        // The cache tree says the index holds exactly HEAD's folder: nothing staged.
        let cached = node.and_then(|n| index.trees.id(n));
        if tree.is_some() && cached == tree {
            return Ok(());
        }
        let skip = if dir.is_empty() { 0 } else { dir.len() + 1 };
        // A sparse index holds the whole folder as one tree: compare the trees.
        if let [e] = &entries[range.clone()]
            && e.mode == git_index::SPARSE_DIR
            && index.path(e).len() == skip
        {
            return self.trees(tree, index.id(e), dir);
        }
        // The subfolders' cache-tree nodes, in git's order for them (by the
        // name's length, then the name: cache-tree.c's `subtree_name_cmp`),
        // sorted so unless a crafted file has them otherwise.
        let mut cached: Vec<(&[u8], usize)> = match node {
            Some(n) => index.trees.children(n).collect(),
            None => Vec::new(),
        };
        fn key<'a>(c: &(&'a [u8], usize)) -> (usize, &'a [u8]) {
            (c.0.len(), c.0)
        }
        if !cached.windows(2).all(|w| key(&w[0]) <= key(&w[1])) {
            cached.sort_by(|a, b| key(a).cmp(&key(b)));
        }
        // The node of subfolder `name` (of a name given twice, the last).
        let sub = |name: &[u8]| {
            let at = cached.partition_point(|c| key(c) <= (name.len(), name));
            at.checked_sub(1)
                .map(|k| cached[k])
                .filter(|c| c.0 == name)
                .map(|c| c.1)
        };
        // The folder's files and subfolders in the index, in tree order (the
        // index's order): (name, is a folder, its entries). A subfolder's entries
        // are as many as its cache-tree node counts, when the entries on either
        // side of that end say so; else they are searched for.
        let mut items: Vec<(&[u8], bool, Range<usize>)> = Vec::new();
        let mut i = range.start;
        while i < range.end {
            let rest = path(i).get(skip..).unwrap_or_default();
            match memchr::memchr(b'/', rest) {
                None => {
                    items.push((rest, false, i..i + 1));
                    i += 1;
                }
                Some(k) => {
                    let group = &path(i)[..skip + k + 1];
                    let inside = |at: usize| at < range.end && path(at).starts_with(group);
                    let counted = sub(&rest[..k])
                        .and_then(|n| index.trees.count(n))
                        .filter(|&n| n > 0 && inside(i + n - 1) && !inside(i + n));
                    let n = counted.unwrap_or_else(|| {
                        entries[i..range.end].partition_point(|e| index.path(e).starts_with(group))
                    });
                    items.push((&rest[..k], true, i..i + n.max(1)));
                    i += n.max(1);
                }
            }
        }
        sort_as_tree(&mut items, |x| (x.0, x.1));
        let join = |name: &[u8]| {
            let mut p = dir.to_vec();
            if !p.is_empty() {
                p.push(b'/');
            }
            p.extend_from_slice(name);
            p
        };
        // HEAD's entries, in tree order too (a crafted tree's order is not trusted).
        let raw = match tree {
            Some(id) => self.tree(id)?,
            None => Vec::new(),
        };
        let mut head = Vec::new();
        for e in tree_entries(&raw) {
            let (mode, name, id) =
                e.map_err(|()| git2::Error::from_str("malformed tree object"))?;
            head.push((tree_mode(mode), name, id));
        }
        sort_as_tree(&mut head, |h| (h.1, h.0 == 0o040000));
        // Both sides merged by name: a name on one side only is deleted or added.
        let (mut a, mut b) = (0, 0);
        loop {
            let order = match (head.get(a), items.get(b)) {
                (Some(h), Some(x)) => tree_order((h.1, h.0 == 0o040000), (x.0, x.1)),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => break,
            };
            match order {
                Ordering::Less => {
                    self.deleted = true;
                    a += 1;
                }
                Ordering::Greater => {
                    let (name, is_dir, r) = items[b].clone();
                    if is_dir {
                        todo.push((None, skip + name.len(), r, sub(name)));
                    } else if is_file(entries[r.start].mode) {
                        let entry = &entries[r.start];
                        let stat = index.stat(entry);
                        self.push(join(name), None, index.id(entry), stat);
                    }
                    b += 1;
                }
                Ordering::Equal => {
                    let ((mode, name, id), (_, is_dir, r)) = (head[a], items[b].clone());
                    if is_dir {
                        todo.push((Some(id), skip + name.len(), r, sub(name)));
                    } else {
                        let entry = &entries[r.start];
                        if index.id_bytes(entry) != id.as_bytes() && is_file(entry.mode) {
                            let (new, stat) = (index.id(entry), index.stat(entry));
                            self.push(join(name), is_file(mode).then_some(id), new, stat);
                        }
                    }
                    a += 1;
                    b += 1;
                }
            }
        }
        Ok(())
    }

    /// The bytes of tree `id`, read here or by libgit2.
    fn tree(&mut self, id: Oid) -> Result<Vec<u8>, git2::Error> {
        if let Some(raw) = self
            .odb
            .read(&id, |kind, d| (kind == 2).then(|| d.to_vec()))
        {
            return raw.ok_or_else(|| git2::Error::from_str(&format!("{id} is not a tree")));
        }
        let odb = self.repo.odb()?;
        let object = odb.read(id)?;
        if object.kind() != git2::ObjectType::Tree {
            return Err(git2::Error::from_str(&format!("{id} is not a tree")));
        }
        Ok(object.data().to_vec())
    }

    /// Folder `dir` is tree `new` in a sparse index and `old` (or nothing) in
    /// HEAD: the files that differ, from libgit2's tree-to-tree diff (no renames).
    fn trees(&mut self, old: Option<Oid>, new: Oid, dir: &[u8]) -> Result<(), git2::Error> {
        if old == Some(new) {
            return Ok(());
        }
        let old = old.map(|id| self.repo.find_tree(id)).transpose()?;
        let new = self.repo.find_tree(new)?;
        let mut opts = DiffOptions::new();
        opts.ignore_submodules(true);
        let diff = self
            .repo
            .diff_tree_to_tree(old.as_ref(), Some(&new), Some(&mut opts))?;
        for delta in diff.deltas() {
            let (from, to) = (delta.old_file(), delta.new_file());
            if delta.status() == Delta::Deleted {
                self.deleted = true;
                continue;
            }
            let Some(name) = to.path_bytes() else {
                continue;
            };
            if !is_file(u32::from(to.mode())) {
                continue;
            }
            let was_file = delta.status() == Delta::Modified && is_file(u32::from(from.mode()));
            let mut path = dir.to_vec();
            path.push(b'/');
            path.extend_from_slice(name);
            self.push(path, was_file.then(|| from.id()), to.id(), None);
        }
        Ok(())
    }

    fn push(&mut self, path: Vec<u8>, old: Option<Oid>, new: Oid, stat: Option<git_index::Stat>) {
        self.out.push(Change {
            path: String::from_utf8_lossy(&path).into_owned(),
            old,
            new,
            stat,
        });
    }
}

/// Git's order of the names in a tree, which is also the index's: a folder's
/// name sorts as if it ended in `/`.
pub(super) fn tree_order((a, a_dir): (&[u8], bool), (b, b_dir): (&[u8], bool)) -> Ordering {
    let n = a.len().min(b.len());
    a[..n].cmp(&b[..n]).then_with(|| {
        let end = |name: &[u8], dir: bool| name.get(n).copied().or(dir.then_some(b'/'));
        end(a, a_dir).cmp(&end(b, b_dir))
    })
}

/// Puts `list` in tree order (stable: of a name given twice, the first stays
/// first), unless it is already, as git writes trees and indexes.
pub(super) fn sort_as_tree<T>(list: &mut [T], key: impl Fn(&T) -> (&[u8], bool)) {
    let sorted = list
        .windows(2)
        .all(|w| tree_order(key(&w[0]), key(&w[1])) != Ordering::Greater);
    if !sorted {
        list.sort_by(|x, y| tree_order(key(x), key(y)));
    }
}

/// A tree entry's mode as libgit2 reads it: old gits wrote modes such as 100664,
/// and any mode with an execute bit is an executable file.
pub(super) fn tree_mode(mode: u32) -> u32 {
    match mode & 0o170000 {
        0o040000 => 0o040000,
        _ if mode & 0o111 != 0 => 0o100755,
        kind @ (0o160000 | 0o120000) => kind,
        _ => 0o100644,
    }
}

/// A regular or executable file (not a symbolic link or a submodule).
pub(super) fn is_file(mode: u32) -> bool {
    matches!(mode, 0o100644 | 0o100755)
}
