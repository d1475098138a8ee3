//! The staged change: what `git commit` would add, as the diff between HEAD (or
//! nothing, before the first commit) and the index. Only lines that the change adds
//! are reported (every line of a newly added file), with the staged file's path and
//! line numbers; a newly staged dotenv file is reported by path. Pure renames and
//! unchanged lines are not.
//!
//! Each staged blob gets the treatment of every source ([`BlobScanner`]): decoding
//! layers (a decoded key is kept when the physical line of its encoded text is
//! added), source-map and notebook origins, build-output notes, and archives
//! member by member. Added lines mean nothing inside a compressed archive, so every
//! finding in a staged archive's members is reported, for a modified archive too.
//!
//! The index is the one git commits from: `GIT_INDEX_FILE` when git names one (a
//! hook run by `git commit -a`), else the repository's.
//!
//! Speed: the index file is read directly and its cache tree lets the comparison
//! with HEAD ([`compare`]) skip every folder the change does not touch (as git
//! does), so the cost is the touched folders and the staged blobs; those objects
//! are read here, loose or from the packs ([`mapped`](crate::source::git::mapped)),
//! a large staged file from the working tree where git would read it there
//! ([`worktree`](crate::source::git::worktree)), and line diffs are computed only
//! for modified files that hold a rule keyword. A change
//! that may hold renames (files both deleted and added), or an index this reader
//! leaves to libgit2 (conflicts, a split index), goes through libgit2's diff with
//! rename detection instead. A sparse index, which libgit2 cannot read, is
//! compared here only, its folder entries tree to tree. An index file that is not
//! a valid one is an error.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Result, anyhow, bail};
use git2::{Delta, DiffFindOptions, DiffOptions, ErrorCode, FileMode, Oid, Patch, Repository};

use crate::finding::{Finding, Provenance, SourceKind};
use crate::messages;
use crate::source::Sink;
use crate::source::SourceOptions;
use crate::source::git::Loose;
use crate::source::git::git_msg;
use crate::source::git::index as git_index;
use crate::source::git::mapped::{Mapped, commit_tree};
use crate::source::git::worktree::Worktree;
use crate::source::{BlobScanner, looks_binary};
use crate::stats::Stats;
use crate::units::human_bytes;

mod compare;

use compare::fast_changes;

/// Scans the staged change of `repo` (opened once, by the caller).
pub fn scan(repo: Repository, cfg: &SourceOptions, sink: Sink) -> Result<()> {
    // As `git::scan`: no SHA-1 of each blob read (a third of a hook run's time);
    // `git diff --cached` trusts the object database too.
    git2::opts::strict_hash_verification(false);
    if repo.is_bare() {
        bail!(
            "{}: a bare repository has no staged change",
            repo.path().display()
        );
    }
    // One thread: the detector's automata are built when first needed, and a
    // second thread to build them cost more than it saved (measured on a clone
    // of rust-lang/cargo with 10 staged files).
    let detector = crate::decode::detector(Arc::clone(&cfg.rules))?;
    let scanner = BlobScanner::new(detector, cfg.archive);
    let objects = repo.commondir().join("objects");
    let mut odb = Odb {
        loose: Loose::new(&objects),
        packs: Mapped::open(&objects),
    };
    let changes = changes(&repo, &mut odb)?;
    let done = scan_changes(&repo, scanner, odb, changes, cfg, sink);
    // As what the scan built (see `scan_changes`).
    std::mem::forget(repo);
    done
}

/// The objects a hook reads, read here: loose ones (what `git add` writes) and
/// packed ones (HEAD's commit and trees, in a clone). Whatever this does not
/// read is libgit2's to read, or to report.
struct Odb {
    loose: Loose,
    packs: Mapped,
}

impl Odb {
    /// What `f` makes of object `id`'s type number and bytes. The packs are
    /// asked first, as git asks them: a search of their mapped indexes costs
    /// less than the failed `open` of a loose file, and HEAD's commit and trees
    /// are packed in a clone (32 failed opens in a hook run on rust-lang/cargo).
    fn read<T>(&mut self, id: &Oid, f: impl FnOnce(u8, &[u8]) -> T) -> Option<T> {
        if let Some((kind, data)) = self.packs.read(id, usize::MAX) {
            return Some(f(kind, &data));
        }
        let (kind, data) = self.loose.read(id, usize::MAX)?;
        Some(f(kind, data))
    }
}

/// HEAD's tree and the staged changes from the index file, when it can tell them
/// (see [`fast_changes`]).
fn changes(repo: &Repository, odb: &mut Odb) -> Result<(Option<Oid>, Option<Changes>)> {
    let head_tree = match repo.head() {
        // HEAD's commit names its tree on its first line; libgit2 reads what this
        // does not (a tag, an object elsewhere) and says what is wrong.
        Ok(head) => match head
            .target()
            .and_then(|id| odb.read(&id, |kind, d| (kind == 1).then(|| commit_tree(d))))
            .flatten()
            .flatten()
        {
            Some(tree) => Some(tree),
            None => Some(
                head.peel_to_tree()
                    .map_err(|e| anyhow!("HEAD: {}", git_msg(&e)))?
                    .id(),
            ),
        },
        // Before the first commit, everything staged is added.
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
        Err(e) => bail!("HEAD: {}", git_msg(&e)),
    };
    let changes = fast_changes(repo, odb, head_tree)?;
    Ok((head_tree, changes))
}

fn scan_changes(
    repo: &Repository,
    scanner: BlobScanner,
    odb: Odb,
    (head_tree, changes): (Option<Oid>, Option<Changes>),
    cfg: &SourceOptions,
    sink: Sink,
) -> Result<()> {
    let mut out: Vec<Finding> = Vec::new();
    let mut file = FileScan {
        repo,
        scanner,
        cfg,
        stats: &sink.stats,
        odb,
        worktree: None,
    };
    match changes {
        Some((changes, worktree)) => {
            file.worktree = worktree;
            for c in changes {
                let added = || match c.old {
                    Some(old) => blob_added_lines(repo, old, c.new),
                    None => Ok(None),
                };
                let status = if c.old.is_some() {
                    Delta::Modified
                } else {
                    Delta::Added
                };
                let new = (c.new, c.stat.as_ref());
                file.scan(&c.path, status, None, new, added, &mut out);
            }
        }
        None => {
            let head_tree = head_tree
                .map(|id| repo.find_tree(id))
                .transpose()
                .map_err(|e| anyhow!("HEAD: {}", git_msg(&e)))?;
            let index = match env_index(repo) {
                Some(file) => git2::Index::open(&file),
                None => repo.index(),
            }
            .map_err(|e| anyhow!("cannot read the index: {}", git_msg(&e)))?;
            let mut opts = DiffOptions::new();
            opts.ignore_submodules(true)
                .skip_binary_check(true)
                .force_text(true)
                .context_lines(0)
                .interhunk_lines(0);
            let mut diff = repo
                .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut opts))
                .map_err(|e| anyhow!("cannot diff HEAD against the index: {}", git_msg(&e)))?;
            let mut find = DiffFindOptions::new();
            find.renames(true);
            diff.find_similar(Some(&mut find))
                .map_err(|e| anyhow!("cannot find renames: {}", git_msg(&e)))?;
            for (i, delta) in diff.deltas().enumerate() {
                let f = delta.new_file();
                if !matches!(f.mode(), FileMode::Blob | FileMode::BlobExecutable) {
                    continue;
                }
                let Some(path) = f
                    .path_bytes()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                else {
                    continue;
                };
                let old_path = delta
                    .old_file()
                    .path_bytes()
                    .map(|p| String::from_utf8_lossy(p).into_owned());
                let added = || match Patch::from_diff(&diff, i)? {
                    Some(p) => added_lines(&p).map(Some),
                    None => Ok(Some(HashSet::new())),
                };
                file.scan(
                    &path,
                    delta.status(),
                    old_path.as_deref(),
                    (f.id(), None),
                    added,
                    &mut out,
                );
            }
        }
    }
    sink.put(&mut out);
    // The process ends after the hook's one scan, and what the scan built goes
    // with it: freeing it piece by piece (unmapping packs, when they were
    // mapped, was 4% of a hook run on rust-lang/cargo) is left to the exit.
    // Open pack files, buffers and automata are all it holds: nothing is left
    // unwritten.
    std::mem::forget(file);
    Ok(())
}

/// One staged file's scan: its blob, path rules when it newly appears under its
/// name, content rules kept on added lines.
struct FileScan<'a> {
    repo: &'a Repository,
    scanner: BlobScanner,
    cfg: &'a SourceOptions,
    stats: &'a crate::stats::Stats,
    odb: Odb,
    /// Where large staged files are read when git would read them there.
    worktree: Option<Worktree>,
}

impl FileScan<'_> {
    /// `added` gives the new file's added line numbers, `None` when every line is.
    fn scan(
        &mut self,
        path: &str,
        status: Delta,
        old_path: Option<&str>,
        (id, stat): (Oid, Option<&git_index::Stat>),
        added: impl FnOnce() -> Result<Option<HashSet<usize>>, git2::Error>,
        out: &mut Vec<Finding>,
    ) {
        let (stats, max) = (self.stats, self.cfg.max_file_size);
        let detector = &self.scanner.detector;
        let all_added = match status {
            Delta::Added | Delta::Typechange => true,
            Delta::Modified | Delta::Renamed | Delta::Copied => false,
            _ => return,
        };
        let prov = Provenance {
            source: SourceKind::Staged,
            path: Some(path.to_string()),
            commit: None,
            unreached: None,
        };
        // A dotenv file is reported when it newly appears under a dotenv name.
        let newly_named = match status {
            Delta::Added => true,
            Delta::Renamed | Delta::Copied => !old_path.is_some_and(|p| detector.path_matches(p)),
            _ => false,
        };
        if newly_named {
            detector.detect_path(&prov, out);
        }
        // `git add` writes loose objects; a blob already in a pack is read from
        // it; anything else (or unexpected) is libgit2's, which reports it.
        // A large file is read from the working tree when git would read it
        // there (see `worktree`).
        let limit = usize::try_from(max).unwrap_or(usize::MAX);
        let from_tree = match (stat, self.worktree.as_mut()) {
            (Some(stat), Some(tree)) => tree.read(self.repo, path.as_bytes(), stat, max),
            _ => None,
        };
        let (packed, blob);
        let data: &[u8] = match from_tree {
            Some(d) => d,
            None => match self
                .odb
                .loose
                .read(&id, limit)
                .filter(|(kind, _)| *kind == 3)
            {
                Some((_, d)) => d,
                None => match self.odb.packs.read(&id, limit).filter(|o| o.0 == 3) {
                    Some(o) => {
                        packed = o;
                        &packed.1
                    }
                    None => match self.repo.find_blob(id) {
                        Ok(b) => {
                            blob = b;
                            blob.content()
                        }
                        Err(e) => {
                            return messages::error(
                                path,
                                format!("cannot read the staged blob: {}", git_msg(&e)),
                            );
                        }
                    },
                },
            },
        };
        if data.len() as u64 > max {
            Stats::add(&stats.skipped, 1);
            return messages::note(
                path,
                format!(
                    "skipped: {} is larger than --max-file-size ({})",
                    human_bytes(data.len() as u64),
                    human_bytes(max)
                ),
            );
        }
        if looks_binary(data, path) {
            Stats::add(&stats.skipped, 1);
            return;
        }
        Stats::add(&stats.files, 1);
        Stats::add(&stats.bytes, data.len() as u64);
        let mut found = Vec::new();
        self.scanner.scan(data, Some(path), path, stats, &mut found);
        // Line numbers mean something only in the blob's own text, not inside an
        // archive's members: those are all reported.
        let needs_lines = !all_added && found.iter().any(|f| f.member().is_none());
        let lines = match if needs_lines { added() } else { Ok(None) } {
            Ok(lines) => lines,
            Err(e) => {
                messages::error(
                    path,
                    format!("cannot diff the staged file: {}", git_msg(&e)),
                );
                // Members need no diff; the blob's own findings cannot be judged.
                found.retain(|f| f.member().is_some());
                None
            }
        };
        out.extend(
            found
                .iter()
                .filter(|f| match (&lines, f.member()) {
                    (Some(lines), None) => f.line().is_some_and(|l| lines.contains(&l)),
                    _ => true,
                })
                .map(|f| f.place(&prov)),
        );
    }
}

/// A staged file that is new or modified (not renamed).
struct Change {
    path: String,
    old: Option<Oid>,
    new: Oid,
    /// What git recorded of the file as it staged it, when the index says.
    stat: Option<git_index::Stat>,
}

/// The staged changes, and the working tree where large staged files are read
/// (none in a bare repository, or when no file is large enough).
type Changes = (Vec<Change>, Option<Worktree>);

/// The index file that git names in `GIT_INDEX_FILE`, when it does. A hook run
/// by `git commit -a` or `git commit <paths>` is given a temporary index there,
/// and `.git/index` does not hold what is being committed until the commit is
/// made. A relative path is taken from the working tree's root, as git takes it.
fn env_index(repo: &Repository) -> Option<PathBuf> {
    let file = std::env::var_os("GIT_INDEX_FILE").filter(|f| !f.is_empty())?;
    Some(repo.workdir().unwrap_or(repo.path()).join(file))
}

/// The lines of `new` that a diff from `old` adds.
fn blob_added_lines(
    repo: &Repository,
    old: Oid,
    new: Oid,
) -> Result<Option<HashSet<usize>>, git2::Error> {
    let (old, new) = (repo.find_blob(old)?, repo.find_blob(new)?);
    let mut opts = DiffOptions::new();
    // UTF-16 text has NULs: lines are still told apart by their `\n` bytes.
    opts.context_lines(0).interhunk_lines(0).force_text(true);
    let patch = Patch::from_blobs(&old, None, &new, None, Some(&mut opts))?;
    added_lines(&patch).map(Some)
}

/// Line numbers (in the new file) of the lines that a patch adds.
fn added_lines(patch: &Patch) -> Result<HashSet<usize>, git2::Error> {
    let mut added = HashSet::new();
    for h in 0..patch.num_hunks() {
        for l in 0..patch.num_lines_in_hunk(h)? {
            let line = patch.line_in_hunk(h, l)?;
            if line.origin() == '+'
                && let Some(n) = line.new_lineno()
            {
                added.insert(n as usize);
            }
        }
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::compare::{sort_as_tree, tree_mode, tree_order};
    use super::*;
    use crate::source::git::tree_entries;

    #[test]
    fn tree_order_is_gits() {
        let file = |n: &'static str| (n.as_bytes(), false);
        let dir = |n: &'static str| (n.as_bytes(), true);
        // `.` sorts before `/`, and a folder's name as if it ended in `/`.
        let mut names = vec![dir("foo"), file("foo.c"), file("foo"), dir("a"), file("b")];
        sort_as_tree(&mut names, |x| *x);
        assert_eq!(
            names,
            [dir("a"), file("b"), file("foo"), file("foo.c"), dir("foo")]
        );
        assert_eq!(tree_order(file("x"), file("x")), Ordering::Equal);
        assert_eq!(tree_order(file("ab"), dir("a")), Ordering::Greater);
    }

    /// The staged changes of `repo`, found from its index (not by libgit2).
    fn found_here(repo: &Repository) -> Vec<Change> {
        let objects = repo.commondir().join("objects");
        let mut odb = Odb {
            loose: Loose::new(&objects),
            packs: Mapped::open(&objects),
        };
        let (_, changes) = changes(repo, &mut odb).unwrap();
        changes.expect("compared here, not by libgit2").0
    }

    /// Folders whose names sort differently in a tree, in the cache tree (by
    /// length first) and byte by byte (`a`, `a-b`, `a.b`, `a0`, `ab`, `b`),
    /// nested, with changes spread among them: the changes found from the index
    /// and its cache tree are libgit2's diff of HEAD against the index.
    #[test]
    fn changes_match_libgit2_across_name_orders() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let run = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .current_dir(dir)
                .args(["-c", "user.name=A", "-c", "user.email=a@example.com"])
                .args(args)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .output()
                .unwrap();
            assert!(out.status.success(), "git {args:?}");
        };
        run(&["init", "-q"]);
        let names = ["a", "a-b", "a.b", "a0", "ab", "b", "a_b", "aa"];
        let mut files = Vec::new();
        for x in names {
            for y in ["", "a", "a-b", "ab"] {
                for f in ["f", "f.txt", "g"] {
                    let path = [x, y, f]
                        .iter()
                        .filter(|p| !p.is_empty())
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("/");
                    files.push(path);
                }
            }
        }
        // Written an hour before they are staged: files written in the same
        // second as the index are racily clean, and `git add -A` re-adds them
        // all, which leaves no cache-tree node valid.
        let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for f in &files {
            let p = dir.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, format!("{f}\n")).unwrap();
            let file = std::fs::File::options().write(true).open(&p).unwrap();
            file.set_modified(past).unwrap();
        }
        run(&["add", "-A"]);
        run(&["commit", "-q", "-m", "one"]);
        // The commit left the cache tree whole: change files here and there.
        for (i, f) in files.iter().enumerate() {
            if i % 7 == 3 {
                std::fs::write(dir.join(f), format!("{f} changed\n")).unwrap();
            }
        }
        for new in ["a-b/new", "a.b/ab/new.txt", "aa/a/new", "zz/new"] {
            let p = dir.join(new);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "new\n").unwrap();
        }
        run(&["add", "-A"]);
        let repo = Repository::open(dir).unwrap();
        let changes = found_here(&repo);
        let mut ours: Vec<(String, Option<Oid>, Oid)> = changes
            .iter()
            .map(|c| (c.path.clone(), c.old, c.new))
            .collect();
        ours.sort();
        let head = repo.head().unwrap().peel_to_tree().unwrap();
        let index = repo.index().unwrap();
        let diff = repo
            .diff_tree_to_index(Some(&head), Some(&index), None)
            .unwrap();
        let mut theirs: Vec<(String, Option<Oid>, Oid)> = diff
            .deltas()
            .map(|d| {
                let old = (d.status() == Delta::Modified).then(|| d.old_file().id());
                let path = d.new_file().path().unwrap().to_str().unwrap().to_string();
                (path, old, d.new_file().id())
            })
            .collect();
        theirs.sort();
        assert!(theirs.len() > 10, "{theirs:?}");
        assert_eq!(ours, theirs);
    }

    /// HEAD's tree written out of order (as no git writes it) still compares
    /// name by name: the unchanged file is skipped, the changed one found.
    #[test]
    fn an_unsorted_head_tree_compares_by_name() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repository::init(tmp.path()).unwrap();
        let (a, b) = (repo.blob(b"same\n").unwrap(), repo.blob(b"old\n").unwrap());
        let mut raw = Vec::new();
        for (name, id) in [("b", b), ("a", a)] {
            raw.extend_from_slice(format!("100644 {name}\0").as_bytes());
            raw.extend_from_slice(id.as_bytes());
        }
        let odb = repo.odb().unwrap();
        let tree = odb.write(git2::ObjectType::Tree, &raw).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let tree = repo.find_tree(tree).unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "unsorted", &tree, &[])
            .unwrap();
        std::fs::write(tmp.path().join("a"), "same\n").unwrap();
        std::fs::write(tmp.path().join("b"), "new\n").unwrap();
        let mut index = repo.index().unwrap();
        index.add_path(std::path::Path::new("a")).unwrap();
        index.add_path(std::path::Path::new("b")).unwrap();
        index.write().unwrap();
        let changes = found_here(&repo);
        let found: Vec<_> = changes.iter().map(|c| (c.path.as_str(), c.old)).collect();
        assert_eq!(found, [("b", Some(b))]);
    }

    /// Modes as libgit2 gives them, for the modes git writes and those that old
    /// or other tools wrote.
    #[test]
    fn tree_modes_read_as_libgit2_reads_them() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repository::init(tmp.path()).unwrap();
        let modes = [
            0o040000, 0o100644, 0o100755, 0o100664, 0o100600, 0o120000, 0o160000, 0o100744,
            0o120755, 0o040755, 0o000000,
        ];
        let blob = repo.blob(b"x").unwrap();
        let mut raw = Vec::new();
        for (i, mode) in modes.iter().enumerate() {
            raw.extend_from_slice(format!("{mode:o} n{i}\0").as_bytes());
            raw.extend_from_slice(blob.as_bytes());
        }
        let id = repo
            .odb()
            .unwrap()
            .write(git2::ObjectType::Tree, &raw)
            .unwrap();
        let tree = repo.find_tree(id).unwrap();
        let mut ours = tree_entries(&raw);
        for e in tree.iter() {
            let (mode, name, _) = ours.next().unwrap().unwrap();
            assert_eq!(name, e.name_bytes());
            assert_eq!(tree_mode(mode), e.filemode() as u32, "{mode:o}");
        }
    }
}
