//! Git history as a source: the blobs and messages of a repository's objects, with
//! the commit and path that first introduced each one.
//!
//! A whole-history scan lists the object database once and reads every object once,
//! in pack order and in parallel, one worker per thread: packed objects straight
//! from the packs ([`unpack`]: positional reads, deltas applied along their chain,
//! a small cache per thread), the rest through libgit2. Each blob gets the
//! treatment of every source ([`BlobScanner`]: archives member by member,
//! decoding layers, source-map and notebook origins) without its path, which is not
//! known yet, so its findings are relative to it ([`Found`]); commits and annotated
//! tags are parsed (graph, and message through the decoding layers). Trees, which
//! the pack headers tell apart without libgit2 ([`pack`]), are left to the tree
//! walk: each distinct (tree, folder) once, oldest commit first, over stretches of
//! history in parallel. That finds every path ever committed (dotenv files) and,
//! for the few blobs with findings, the commit that introduced them at each path,
//! where their findings are placed ([`Found::place`]: member paths, notebook
//! origins, build-output notes). Nothing but object ids, the commit graph and
//! findings is held.
//!
//! A range scan (`--since`, `--range`, `--branch`) diffs each commit of the range
//! against its first parent and scans the whole blob of every added or modified file.
//!
//! A blob with findings that no commit's tree holds is looked up in the index: if
//! it is staged there, it is placed at its index path (`git-staged`); otherwise it
//! is dangling.
//!
//! Judging bytes is the detector's job; this module only says where they came from.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use anyhow::{Context, Result, anyhow, bail};
use git2::{Delta, DiffOptions, FileMode, ObjectType, Oid, Repository, RevparseMode, Sort};
use rayon::prelude::*;

use crate::detect::Detector;
use crate::finding::{CommitInfo, Finding, Provenance, SourceKind};
use crate::messages;
use crate::source::Sink;
use crate::source::SourceOptions;
use crate::source::{BlobScanner, Found, looks_binary, scan_text};
use crate::stats::Stats;
use crate::units::human_bytes;

mod graph;
mod history;
pub mod index;
pub mod mapped;
mod object;
pub mod pack;
mod place;
mod range;
mod repo;
mod unpack;
mod walk;
pub mod worktree;

use graph::*;
pub use object::rfc3339;
use object::*;
use pack::Packed;
use place::*;
use repo::repo_name;
pub use repo::{PathStatus, config_root, git_msg, open, path_status};
pub use unpack::{Loose, tree_entries};
use unpack::{Packs, Unpacker};
use walk::*;

/// Which commits to scan.
#[derive(Debug, Clone)]
pub enum Selection {
    /// Every object in the repository.
    All,
    /// `REV..HEAD`; when REV is not a revision, a date (`crate::time::parse_since`):
    /// the commits of HEAD committed since then.
    Since(String),
    /// `A..B`.
    Range(String),
    /// Every commit reachable from one revision.
    Branch(String),
}

#[derive(Debug, Clone)]
pub struct GitOptions {
    pub selection: Selection,
    /// Hide commits reachable from `refs/remotes/*` (ranges only).
    pub not_remotes: bool,
}

/// Bounds what libgit2 maps of the packs at once (by default windows of 1 GiB, up to
/// 8 GiB: a whole pack stays mapped and counts in the scan's resident memory).
/// Windows of 8 MiB, at most 16 MiB mapped: libgit2 reads what the pack reader
/// leaves (and the trees of `staged` and range scans), so a small window costs
/// little, and a whole pack never counts in the scan's memory.
///
/// Call before any thread is started: libgit2's options are globals.
pub fn limit_mapped_packs() {
    // SAFETY: git2 asks that no other thread runs while these globals are set;
    // the callers run this first thing in a command, before any thread starts.
    unsafe {
        let _ = git2::opts::set_mwindow_size(8 << 20);
        let _ = git2::opts::set_mwindow_mapped_limit(16 << 20);
    }
}

/// Scans the repository whose git folder is `git_dir`.
pub fn scan(git_dir: &Path, opts: &GitOptions, cfg: &SourceOptions, sink: Sink) -> Result<()> {
    // Every object is read once: libgit2's object cache would only hold memory.
    git2::opts::enable_caching(false);
    // Nor is each object's id recomputed on read (SHA-1 with collision detection,
    // a sixth of the scan's time): `git cat-file --batch` trusts the pack it reads
    // too, and a damaged pack is still caught by its zlib streams.
    git2::opts::strict_hash_verification(false);
    let repo = Repository::open(git_dir)
        .with_context(|| format!("{}: cannot open the repository", git_dir.display()))?;
    let detector = crate::decode::detector(Arc::clone(&cfg.rules))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(match cfg.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        })
        .build()
        .context("cannot start worker threads")?;
    if repo.is_shallow() {
        messages::note(
            &repo_name(&repo),
            "shallow clone: commits before the shallow boundary are not in this repository, \
             so findings are attributed within the history that is",
        );
    }
    let mut ctx = Ctx {
        repo: &repo,
        reader: Reader {
            git_dir,
            detector: &detector,
            sink: &sink,
            max: cfg.max_file_size,
            archive: cfg.archive,
            too_large: AtomicU64::new(0),
        },
        detector: &detector,
        sink: &sink,
        infos: HashMap::new(),
    };
    match &opts.selection {
        Selection::All => ctx.scan_all(&pool)?,
        sel => ctx.scan_range(&pool, sel, opts.not_remotes)?,
    }
    let n = ctx.reader.too_large.load(Ordering::Relaxed);
    if n > 0 {
        messages::note(
            &repo_name(&repo),
            format!(
                "skipped {n} blob{} larger than --max-file-size ({})",
                if n == 1 { "" } else { "s" },
                human_bytes(cfg.max_file_size)
            ),
        );
    }
    Ok(())
}

/// Commits in a run of the parallel tree walk, at least: each run starts with a
/// full tree walk.
const MIN_WALK_RUN: usize = 256;

/// A commit as the graph needs it.
struct Node {
    tree: Oid,
    parents: Vec<Oid>,
    time: i64,
}

/// What reading one object taught.
enum Seen {
    Commit {
        id: Oid,
        node: Node,
        found: Vec<Finding>,
    },
    Tag {
        id: Oid,
        target: Oid,
        name: String,
        found: Vec<Finding>,
    },
    Blob {
        id: Oid,
        found: Vec<Found>,
    },
    /// Unreadable (reported already).
    Failed(Oid),
}

/// Where a group of findings (one blob's, or one message's) was first seen.
#[derive(Clone)]
struct Place {
    /// Position of the commit in the walk (reachable commits first, oldest first);
    /// `usize::MAX` when no commit holds it.
    order: usize,
    path: Option<String>,
    /// The commit (or tag object) that introduced it.
    commit: Option<Oid>,
    reachable: bool,
    /// Set for an annotated tag's message: the tag's name.
    tag: Option<String>,
    /// A blob that no commit holds, staged in the index at `path`.
    staged: bool,
}

/// Provenance of findings before they are placed.
const UNPLACED: Provenance = Provenance {
    source: SourceKind::Git,
    path: None,
    commit: None,
    unreached: None,
};

/// What worker threads share (no repository handle: each has its own).
struct Reader<'a> {
    git_dir: &'a Path,
    detector: &'a Detector,
    sink: &'a Sink,
    max: u64,
    archive: super::archive::Limits,
    too_large: AtomicU64,
}

struct Ctx<'a> {
    repo: &'a Repository,
    reader: Reader<'a>,
    detector: &'a Detector,
    sink: &'a Sink,
    infos: HashMap<Oid, Option<CommitInfo>>,
}

/// One worker thread's repository handle, pack reader and blob scanner.
struct Worker<'p> {
    repo: Option<Repository>,
    unpack: Option<Unpacker<'p>>,
    scanner: BlobScanner,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(
            rfc3339(git2::Time::new(1_700_000_000, 60)),
            "2023-11-14T23:13:20+01:00"
        );
        assert_eq!(
            rfc3339(git2::Time::new(0, -330)),
            "1969-12-31T18:30:00-05:30"
        );
        assert_eq!(
            rfc3339(git2::Time::new(951_782_400, 0)),
            "2000-02-29T00:00:00+00:00"
        );
    }

    /// The packs' table and the loose objects' folders list what libgit2 lists,
    /// and a broken pack index makes the table incomplete.
    #[test]
    fn packed_and_loose_objects_are_the_object_database() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let git = |args: &[&str], stdin: &str| pack::tests::git(dir, args, Some(stdin));
        git(&["init", "-q", "-b", "main"], "");
        let stream = "commit refs/heads/main\ncommitter C <c@x> 1 +0000\ndata 2\nm\nM 100644 inline a.txt\ndata 2\na\n";
        git(&["fast-import", "--quiet"], stream);
        git(&["repack", "-a", "-d", "-q"], "");
        git(&["hash-object", "-w", "--stdin"], "a loose blob\n");
        let objects = dir.join(".git/objects");
        let repo = Repository::open(dir).unwrap();
        let mut want = Vec::new();
        repo.odb()
            .unwrap()
            .foreach(|id| {
                want.push(*id);
                true
            })
            .unwrap();
        let table = pack::read(&objects);
        assert!(table.complete);
        let mut got: Vec<Oid> = table.entries.iter().map(|e| e.0).collect();
        let loose = history::loose_objects(&objects).unwrap();
        assert_eq!(loose.len(), 1);
        got.extend(loose);
        got.sort();
        got.dedup();
        want.sort();
        want.dedup();
        assert_eq!(got, want);
        // An index that cannot be read: the table no longer says it is complete.
        let idx = std::fs::read_dir(objects.join("pack"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "idx"))
            .unwrap();
        std::fs::write(idx.with_file_name("pack-0000.idx"), b"not an index").unwrap();
        assert!(!pack::read(&objects).complete);
    }

    #[test]
    fn parses_commit_headers() {
        let raw = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent 1111111111111111111111111111111111111111\nauthor A <a@x> 1 +0000\ncommitter C <c@x> 1700000000 +0100\n\nmsg\n";
        let (h, m) = split_message(raw);
        assert_eq!(m, b"msg\n");
        let n = parse_commit(h).unwrap();
        assert_eq!(n.parents.len(), 1);
        assert_eq!(n.time, 1_700_000_000);
    }
}
