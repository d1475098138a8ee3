//! Git history as a source: the blobs and messages of a repository's objects, with
//! the commit and path that first introduced each one.
//!
//! A whole-history scan lists the object database once and reads every object once,
//! in pack order and in parallel with one `Repository` per thread: each blob gets
//! the treatment of every source ([`BlobScanner`]: archives member by member,
//! decoding layers, source-map and notebook origins) without its path, which is not
//! known yet, so its findings are relative to it ([`Found`]); commits and annotated
//! tags are parsed (graph, and message through the decoding layers). Trees, which
//! the pack headers tell apart without libgit2 ([`git_pack`]), are left to the tree
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
//! Judging bytes is the detector's job; this module only says where they came from.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result, anyhow, bail};
use git2::{Delta, DiffOptions, FileMode, ObjectType, Oid, Repository, RevparseMode, Sort};
use rayon::prelude::*;

use crate::config::Config;
use crate::detect::Detector;
use crate::finding::{CommitInfo, Finding, Provenance, SourceKind};
use crate::messages;
use crate::report::human_bytes;
use crate::scan::{Sink, Stats};
use crate::source::{BlobScanner, Found, git_pack, looks_binary, scan_text};

/// Which commits to scan.
#[derive(Debug, Clone)]
pub enum Selection {
    /// Every object in the repository.
    All,
    /// `REV..HEAD`.
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

/// Opens the repository that `path` is in: a working tree (or a folder in one), a
/// bare repository or a linked worktree.
pub fn open(path: &Path) -> Result<Repository> {
    if !path.exists() {
        bail!("{}: no such file or folder", path.display());
    }
    Repository::discover(path)
        .map_err(|e| anyhow!("{}: not a git repository ({})", path.display(), git_msg(&e)))
}

/// The folder where `.qrcp-scan.toml` is looked for: the working tree's root, or
/// the repository folder when it is bare.
pub fn config_root(repo: &Repository) -> PathBuf {
    repo.workdir().unwrap_or(repo.path()).to_path_buf()
}

/// How a repository is named in messages.
fn repo_name(repo: &Repository) -> String {
    crate::source::fs::display_path(repo.workdir().unwrap_or(repo.path()))
}

/// A libgit2 error as one lower-case line, without its class and code.
pub fn git_msg(e: &git2::Error) -> String {
    let m = e.message().trim().trim_end_matches('.');
    let mut c = m.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => format!("libgit2 error {:?}", e.code()),
    }
}

/// Scans the repository whose git folder is `git_dir`.
pub fn scan(git_dir: &Path, opts: &GitOptions, cfg: &Config, sink: Sink) -> Result<()> {
    // Every object is read once: libgit2's object cache would only hold memory.
    git2::opts::enable_caching(false);
    // Nor is each object's id recomputed on read (SHA-1 with collision detection,
    // a sixth of the scan's time): `git cat-file --batch` trusts the pack it reads
    // too, and a damaged pack is still caught by its zlib streams.
    git2::opts::strict_hash_verification(false);
    let repo = Repository::open(git_dir)
        .with_context(|| format!("{}: cannot open the repository", git_dir.display()))?;
    let detector = Detector::new(Arc::clone(&cfg.rules))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads)
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

/// What a pack entry told about an object before phase 1 reads it.
#[derive(Debug, Clone, Copy, Default)]
struct Hint {
    kind: Option<ObjectType>,
    /// Exact for an object stored whole.
    size: Option<usize>,
}

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
}

/// Provenance of findings before they are placed.
const UNPLACED: Provenance = Provenance {
    source: SourceKind::Git,
    path: None,
    commit: None,
};

/// What worker threads share (no repository handle: each has its own).
struct Reader<'a> {
    git_dir: &'a Path,
    detector: &'a Detector,
    sink: &'a Sink,
    max: u64,
    too_large: AtomicU64,
}

struct Ctx<'a> {
    repo: &'a Repository,
    reader: Reader<'a>,
    detector: &'a Detector,
    sink: &'a Sink,
    infos: HashMap<Oid, Option<CommitInfo>>,
}

/// One worker thread's repository handle and blob scanner.
struct Worker {
    repo: Option<Repository>,
    scanner: BlobScanner,
}

impl Reader<'_> {
    fn worker(&self) -> Worker {
        let repo = match Repository::open(self.git_dir) {
            Ok(r) => Some(r),
            Err(e) => {
                messages::error(&self.git_dir.display().to_string(), git_msg(&e));
                None
            }
        };
        Worker {
            repo,
            scanner: BlobScanner::new(self.detector.clone(), self.max),
        }
    }

    /// Reads one blob and returns its findings, relative to the blob. Too large,
    /// binary or keyword-free blobs return nothing. Its name is not known: binary
    /// blobs, archives and notebooks are told by their bytes.
    fn scan_blob(&self, w: &mut Worker, id: Oid, size: Option<usize>) -> Option<Vec<Found>> {
        let stats = &self.sink.stats;
        let odb = w.repo.as_ref()?.odb().ok()?;
        let size = match size {
            Some(s) => s,
            None => match odb.read_header(id) {
                Ok((s, _)) => s,
                Err(e) => {
                    messages::error(&format!("object {id}"), git_msg(&e));
                    return None;
                }
            },
        };
        Stats::add(&stats.blobs, 1);
        if size as u64 > self.max {
            self.too_large.fetch_add(1, Ordering::Relaxed);
            Stats::add(&stats.skipped, 1);
            return None;
        }
        let obj = match odb.read(id) {
            Ok(o) => o,
            Err(e) => {
                messages::error(&format!("object {id}"), git_msg(&e));
                return None;
            }
        };
        let data = obj.data();
        Stats::add(&stats.bytes, data.len() as u64);
        if looks_binary(data, "") {
            Stats::add(&stats.skipped, 1);
            return None;
        }
        let mut found = Vec::new();
        let label = format!("blob {id}");
        w.scanner.scan(data, None, &label, stats, &mut found);
        (!found.is_empty()).then_some(found)
    }

    /// Phase 1 for one object of the database.
    fn visit(&self, w: &mut Worker, id: Oid, hint: Hint) -> Option<Seen> {
        let (size, kind) = match hint.kind {
            Some(ObjectType::Blob) => (hint.size, ObjectType::Blob),
            // Commits and tags are read whatever their size.
            Some(kind @ (ObjectType::Commit | ObjectType::Tag | ObjectType::Tree)) => (None, kind),
            _ => match w.repo.as_ref()?.odb().ok()?.read_header(id) {
                Ok((size, kind)) => (Some(size), kind),
                Err(e) => {
                    messages::error(&format!("object {id}"), git_msg(&e));
                    return Some(Seen::Failed(id));
                }
            },
        };
        match kind {
            ObjectType::Blob => self
                .scan_blob(w, id, size)
                .map(|found| Seen::Blob { id, found }),
            ObjectType::Commit | ObjectType::Tag => {
                let odb = w.repo.as_ref()?.odb().ok()?;
                let obj = match odb.read(id) {
                    Ok(o) => o,
                    Err(e) => {
                        messages::error(&format!("object {id}"), git_msg(&e));
                        return Some(Seen::Failed(id));
                    }
                };
                let data = obj.data();
                let (headers, message) = split_message(data);
                let found = message_findings(&w.scanner.detector, message, self.sink);
                if kind == ObjectType::Commit {
                    Stats::add(&self.sink.stats.commits, 1);
                    match parse_commit(headers) {
                        Some(node) => Some(Seen::Commit { id, node, found }),
                        None => {
                            messages::error(&format!("commit {id}"), "malformed commit object");
                            Some(Seen::Failed(id))
                        }
                    }
                } else {
                    let target = header(headers, b"object").and_then(parse_oid)?;
                    let name = header(headers, b"tag")
                        .map(|n| String::from_utf8_lossy(n).into_owned())
                        .unwrap_or_default();
                    Some(Seen::Tag {
                        id,
                        target,
                        name,
                        found,
                    })
                }
            }
            // Trees are walked in phase 2; other kinds hold nothing to scan.
            _ => None,
        }
    }
}

/// A blob's findings placed at `path` (before their commit is known).
fn place(found: &[Found], path: &str) -> Vec<Finding> {
    let blob = Provenance {
        path: Some(path.to_string()),
        ..UNPLACED
    };
    found.iter().map(|f| f.place(&blob)).collect()
}

/// The findings of a commit or tag message (unplaced).
fn message_findings(detector: &Detector, message: &[u8], sink: &Sink) -> Vec<Finding> {
    let mut found = Vec::new();
    scan_text(detector, message, &UNPLACED, &sink.stats, &mut found);
    found
}

impl Ctx<'_> {
    fn scan_all(&mut self, pool: &rayon::ThreadPool) -> Result<()> {
        let repo = self.repo;
        let odb = repo.odb().context("cannot open the object database")?;
        let mut ids = Vec::new();
        odb.foreach(|id| {
            ids.push(*id);
            true
        })
        .map_err(|e| anyhow!("cannot list objects: {}", git_msg(&e)))?;
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            messages::note(
                &repo_name(repo),
                "the repository has no commits: nothing to scan",
            );
            return Ok(());
        }
        // Pack order, not id order: a delta's base was then usually just read and
        // is still in libgit2's delta-base cache (twice as fast as id order). Trees
        // that the packs say are trees are left to the tree walk; other objects
        // come with what their pack entry says.
        let packed = git_pack::read(&repo.commondir().join("objects"));
        let mut work: Vec<((u32, u64), Oid, Hint)> = ids
            .iter()
            .filter_map(|id| match packed.get(id) {
                Some(p) if p.kind == Some(ObjectType::Tree) => None,
                Some(p) => Some((
                    p.position,
                    *id,
                    Hint {
                        kind: p.kind,
                        size: p.size,
                    },
                )),
                None => Some(((u32::MAX, 0), *id, Hint::default())),
            })
            .collect();
        drop((ids, packed));
        work.sort_unstable_by_key(|w| (w.0, w.1));

        // Phase 1: every object once, in parallel.
        let this = &self.reader;
        let seen: Vec<Seen> = pool.install(|| {
            work.par_iter()
                .map_init(
                    || this.worker(),
                    |w, &(_, id, hint)| this.visit(w, id, hint),
                )
                .flatten()
                .collect()
        });
        drop(work);
        let mut nodes: HashMap<Oid, Node> = HashMap::new();
        let mut tags: HashMap<Oid, (Oid, String, Vec<Finding>)> = HashMap::new();
        let mut blob_found: HashMap<Oid, Vec<Found>> = HashMap::new();
        let mut message_found: Vec<(Oid, Vec<Finding>)> = Vec::new();
        let mut failed: HashSet<Oid> = HashSet::new();
        for s in seen {
            match s {
                Seen::Commit { id, node, found } => {
                    nodes.insert(id, node);
                    if !found.is_empty() {
                        message_found.push((id, found));
                    }
                }
                Seen::Tag {
                    id,
                    target,
                    name,
                    found,
                } => {
                    tags.insert(id, (target, name, found));
                }
                Seen::Blob { id, found } => {
                    blob_found.insert(id, found);
                }
                Seen::Failed(id) => {
                    failed.insert(id);
                }
            }
        }

        // Phase 2: which commits (and tags) the refs reach, oldest first, then the
        // others.
        let (tips, reached_tags) = ref_tips(repo, &tags);
        let reachable = reach(&nodes, &tips);
        let unreachable: HashSet<Oid> = nodes
            .keys()
            .filter(|id| !reachable.contains(id))
            .copied()
            .collect();
        let mut order = topo_order(&nodes, &reachable);
        let n_reachable = order.len();
        order.extend(topo_order(&nodes, &unreachable));

        // Trees, each distinct (tree, folder) once: dotenv paths, and where the
        // blobs with findings sit. Runs of commits are walked in parallel.
        let Walked {
            places,
            dotenv,
            errors,
        } = self.walk_trees(pool, &order, &nodes, &blob_found, &failed);
        let mut errors: Vec<(usize, Oid, Oid, String)> = errors
            .into_iter()
            .map(|(tree, (i, commit, msg))| (i, tree, commit, msg))
            .collect();
        errors.sort();
        for (_, tree, commit, msg) in errors {
            messages::error(&format!("tree {tree} (in commit {commit})"), msg);
        }
        let places: HashMap<Oid, Vec<(String, usize)>> = places
            .into_iter()
            .map(|(id, paths)| (id, paths.into_iter().collect()))
            .collect();
        let mut dotenv: Vec<(String, usize)> = dotenv.into_iter().collect();
        dotenv.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));

        let place_of = |i: usize, path: Option<String>| Place {
            order: i,
            path,
            commit: Some(order[i]),
            reachable: i < n_reachable,
            tag: None,
        };
        let position: HashMap<Oid, usize> =
            order.iter().enumerate().map(|(i, id)| (*id, i)).collect();

        let mut groups: Vec<(Place, Vec<Finding>)> = Vec::new();
        for (id, found) in blob_found {
            match places.get(&id) {
                Some(list) => {
                    for (path, i) in list {
                        groups.push((place_of(*i, Some(path.clone())), place(&found, path)));
                    }
                }
                None => {
                    let found = found
                        .iter()
                        .map(|f| {
                            let mut placed = f.place(&UNPLACED);
                            let what = match f.member() {
                                Some(m) => format!("member {m} of blob {id}"),
                                None => format!("blob {id}"),
                            };
                            placed.notes.push(format!(
                                "in {what}, which no commit's tree holds (dangling)"
                            ));
                            placed
                        })
                        .collect();
                    groups.push((
                        Place {
                            order: usize::MAX,
                            path: None,
                            commit: None,
                            reachable: false,
                            tag: None,
                        },
                        found,
                    ));
                }
            }
        }
        for (id, found) in message_found {
            if let Some(&i) = position.get(&id) {
                groups.push((place_of(i, None), found));
            }
        }
        for (id, (_, name, found)) in tags {
            if !found.is_empty() {
                groups.push((
                    Place {
                        order: usize::MAX - 1,
                        path: None,
                        commit: Some(id),
                        reachable: reached_tags.contains(&id),
                        tag: Some(name),
                    },
                    found,
                ));
            }
        }
        for (path, i) in dotenv {
            let place = place_of(i, Some(path));
            let mut found = Vec::new();
            self.detector
                .detect_path(&self.provenance(&place), &mut found);
            groups.push((place, found));
        }
        self.emit(groups);
        Ok(())
    }

    /// Walks the trees of the commits in `order` (their positions), in parallel:
    /// contiguous runs of commits, one repository handle per thread. A run costs
    /// one full tree walk at its start, so there are only a few per thread (for
    /// balance).
    fn walk_trees(
        &self,
        pool: &rayon::ThreadPool,
        order: &[Oid],
        nodes: &HashMap<Oid, Node>,
        wanted: &HashMap<Oid, Vec<Found>>,
        failed: &HashSet<Oid>,
    ) -> Walked {
        let runs = pool.current_num_threads() * 4;
        let len = order.len().div_ceil(runs).max(MIN_WALK_RUN);
        let (git_dir, detector) = (self.reader.git_dir, self.detector);
        let walked: Vec<Walked> = pool.install(|| {
            order
                .par_chunks(len)
                .enumerate()
                .map_init(
                    || match Repository::open(git_dir) {
                        Ok(r) => Some(r),
                        Err(e) => {
                            messages::error(&git_dir.display().to_string(), git_msg(&e));
                            None
                        }
                    },
                    |repo, (run, ids)| {
                        let Some(repo) = repo.as_ref() else {
                            return Walked::default();
                        };
                        let mut walk = TreeWalk::new(repo, detector, wanted, failed);
                        for (j, id) in ids.iter().enumerate() {
                            if let Some(node) = nodes.get(id) {
                                walk.walk(node.tree, run * len + j, *id);
                            }
                        }
                        walk.found
                    },
                )
                .collect()
        });
        walked.into_iter().fold(Walked::default(), Walked::merge)
    }

    fn scan_range(
        &mut self,
        pool: &rayon::ThreadPool,
        sel: &Selection,
        not_remotes: bool,
    ) -> Result<()> {
        let repo = self.repo;
        let mut walk = repo.revwalk().context("cannot walk the history")?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)
            .context("cannot walk the history")?;
        match sel {
            Selection::Since(rev) => {
                let head = repo
                    .head()
                    .and_then(|h| h.peel_to_commit())
                    .map_err(|e| anyhow!("HEAD: {}", git_msg(&e)))?;
                walk.push(head.id())?;
                walk.hide(resolve(repo, rev, "--since")?)?;
            }
            Selection::Range(spec) => {
                let rs = repo
                    .revparse(spec)
                    .map_err(|e| anyhow!("--range {spec:?}: {}", git_msg(&e)))?;
                if !rs.mode().contains(RevparseMode::RANGE)
                    || rs.mode().contains(RevparseMode::MERGE_BASE)
                {
                    bail!("--range {spec:?}: expected A..B");
                }
                let (Some(from), Some(to)) = (rs.from(), rs.to()) else {
                    bail!("--range {spec:?}: expected A..B");
                };
                let peel = |o: &git2::Object| {
                    o.peel_to_commit()
                        .map(|c| c.id())
                        .map_err(|e| anyhow!("--range {spec:?}: {}", git_msg(&e)))
                };
                walk.push(peel(to)?)?;
                walk.hide(peel(from)?)?;
            }
            Selection::Branch(rev) => walk.push(resolve(repo, rev, "--branch")?)?,
            Selection::All => return self.scan_all(pool),
        }
        if not_remotes {
            walk.hide_glob("refs/remotes/*")
                .context("cannot list remote-tracking refs")?;
        }

        let mut commits: Vec<Oid> = Vec::new();
        let mut blob_places: HashMap<Oid, Vec<(String, usize)>> = HashMap::new();
        let mut seen: HashSet<(Oid, String)> = HashSet::new();
        let mut dotenv: Vec<(String, usize)> = Vec::new();
        let mut dotenv_seen: HashSet<String> = HashSet::new();
        let mut groups: Vec<(Place, Vec<Finding>)> = Vec::new();
        let mut diff_opts = DiffOptions::new();
        diff_opts.ignore_submodules(true).skip_binary_check(true);
        for id in walk {
            let id = match id {
                Ok(id) => id,
                Err(e) => {
                    messages::error("history", git_msg(&e));
                    continue;
                }
            };
            let commit = match repo.find_commit(id) {
                Ok(c) => c,
                Err(e) => {
                    messages::error(&format!("commit {id}"), git_msg(&e));
                    continue;
                }
            };
            let i = commits.len();
            commits.push(id);
            Stats::add(&self.sink.stats.commits, 1);
            let found = message_findings(self.detector, commit.message_bytes(), self.sink);
            if !found.is_empty() {
                groups.push((
                    Place {
                        order: i,
                        path: None,
                        commit: Some(id),
                        reachable: true,
                        tag: None,
                    },
                    found,
                ));
            }
            let tree = match commit.tree() {
                Ok(t) => t,
                Err(e) => {
                    messages::error(&format!("commit {id}"), git_msg(&e));
                    continue;
                }
            };
            // A shallow clone's oldest commits have no parent here: everything in
            // them counts as added.
            let parent = commit.parent(0).ok().and_then(|p| p.tree().ok());
            let diff =
                match repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), Some(&mut diff_opts)) {
                    Ok(d) => d,
                    Err(e) => {
                        messages::error(&format!("commit {id}"), git_msg(&e));
                        continue;
                    }
                };
            for delta in diff.deltas() {
                if !matches!(
                    delta.status(),
                    Delta::Added
                        | Delta::Modified
                        | Delta::Renamed
                        | Delta::Copied
                        | Delta::Typechange
                ) {
                    continue;
                }
                let file = delta.new_file();
                if !matches!(file.mode(), FileMode::Blob | FileMode::BlobExecutable) {
                    continue;
                }
                let Some(path) = file
                    .path_bytes()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                else {
                    continue;
                };
                if self.detector.path_matches(&path) && dotenv_seen.insert(path.clone()) {
                    dotenv.push((path.clone(), i));
                }
                if seen.insert((file.id(), path.clone())) {
                    blob_places.entry(file.id()).or_default().push((path, i));
                }
            }
        }
        if commits.is_empty() {
            messages::note(&repo_name(repo), "no commits in the given range");
        }

        let ids: Vec<Oid> = blob_places.keys().copied().collect();
        let this = &self.reader;
        let found: Vec<(Oid, Vec<Found>)> = pool.install(|| {
            ids.par_iter()
                .map_init(
                    || this.worker(),
                    |w, &id| this.scan_blob(w, id, None).map(|f| (id, f)),
                )
                .flatten()
                .collect()
        });
        for (id, found) in found {
            for (path, i) in blob_places.get(&id).into_iter().flatten() {
                groups.push((
                    Place {
                        order: *i,
                        path: Some(path.clone()),
                        commit: Some(commits[*i]),
                        reachable: true,
                        tag: None,
                    },
                    place(&found, path),
                ));
            }
        }
        for (path, i) in dotenv {
            let place = Place {
                order: i,
                path: Some(path),
                commit: Some(commits[i]),
                reachable: true,
                tag: None,
            };
            let mut found = Vec::new();
            self.detector
                .detect_path(&self.provenance(&place), &mut found);
            groups.push((place, found));
        }
        self.emit(groups);
        Ok(())
    }

    /// Places each group's findings and hands them to the sink. The same key (rule,
    /// path, fingerprint) in many blobs or commits is one finding: the one from the
    /// earliest place. Findings carry their path already (an archive member's
    /// differs from its group's); the place gives the commit.
    fn emit(&mut self, groups: Vec<(Place, Vec<Finding>)>) {
        type Key = (String, Option<String>, Option<String>);
        let key = |f: &Finding, _: &Place| -> Key {
            (
                f.rule.clone(),
                f.provenance.path.clone(),
                f.fingerprint.clone(),
            )
        };
        // The earliest (order, group index) for each key.
        let mut best: HashMap<Key, (usize, usize)> = HashMap::new();
        for (g, (place, found)) in groups.iter().enumerate() {
            for f in found {
                let e = best.entry(key(f, place)).or_insert((place.order, g));
                if (place.order, g) < *e {
                    *e = (place.order, g);
                }
            }
        }
        let mut out = Vec::new();
        for (g, (place, found)) in groups.iter().enumerate() {
            if !found
                .iter()
                .any(|f| best.get(&key(f, place)) == Some(&(place.order, g)))
            {
                continue;
            }
            let prov = self.provenance(place);
            let note = self.place_note(place);
            for f in found {
                if best.get(&key(f, place)) != Some(&(place.order, g)) {
                    continue;
                }
                let mut f = f.clone();
                f.provenance = Provenance {
                    path: f.provenance.path.take(),
                    ..prov.clone()
                };
                if let Some(n) = &note {
                    f.notes.push(n.clone());
                }
                out.push(f);
            }
        }
        self.sink.put(&mut out);
    }

    /// The contract's provenance: a reachable place names its commit; an
    /// unreachable one has `commit: null` (its commit goes into a note).
    fn provenance(&mut self, place: &Place) -> Provenance {
        let commit = match (place.reachable, place.commit) {
            (true, Some(id)) => self.info(id, place.tag.is_some()),
            _ => None,
        };
        Provenance {
            source: if place.reachable {
                SourceKind::Git
            } else {
                SourceKind::GitUnreachable
            },
            path: place.path.clone(),
            commit,
        }
    }

    fn place_note(&mut self, place: &Place) -> Option<String> {
        let tag = place.tag.as_ref().map(|t| format!("annotated tag `{t}`"));
        if place.reachable {
            return tag.map(|t| format!("in the message of {t}"));
        }
        let id = place.commit?;
        let what = tag.unwrap_or_else(|| "commit".to_string());
        Some(match self.info(id, place.tag.is_some()) {
            Some(c) => format!(
                "in {what} {} ({}, {}), which no ref reaches",
                c.id,
                c.date.get(..10).unwrap_or(&c.date),
                c.author
            ),
            None => format!("in {what} {id}, which no ref reaches"),
        })
    }

    /// Author (or tagger), email and date of a commit or tag object, looked up once.
    fn info(&mut self, id: Oid, tag: bool) -> Option<CommitInfo> {
        let repo = self.repo;
        self.infos
            .entry(id)
            .or_insert_with(|| {
                let sig = if tag {
                    repo.find_tag(id).ok()?.tagger()?.to_owned()
                } else {
                    repo.find_commit(id).ok()?.author().to_owned()
                };
                Some(CommitInfo {
                    id: id.to_string(),
                    author: String::from_utf8_lossy(sig.name_bytes()).into_owned(),
                    email: String::from_utf8_lossy(sig.email_bytes()).into_owned(),
                    date: rfc3339(sig.when()),
                })
            })
            .clone()
    }
}

/// What walking commits' trees found, with the position of the commit that first
/// had each thing.
#[derive(Default)]
struct Walked {
    /// For each wanted blob, each path it sits at.
    places: HashMap<Oid, HashMap<String, usize>>,
    /// Paths that path rules report.
    dotenv: HashMap<String, usize>,
    /// Unreadable trees not reported yet: (position, commit, message).
    errors: HashMap<Oid, (usize, Oid, String)>,
}

impl Walked {
    /// Both walks' findings, each at the earlier position.
    fn merge(mut self, other: Walked) -> Walked {
        fn keep_first<K: std::hash::Hash + Eq>(into: &mut HashMap<K, usize>, k: K, i: usize) {
            into.entry(k).and_modify(|e| *e = (*e).min(i)).or_insert(i);
        }
        for (id, paths) in other.places {
            let mine = self.places.entry(id).or_default();
            for (path, i) in paths {
                keep_first(mine, path, i);
            }
        }
        for (path, i) in other.dotenv {
            keep_first(&mut self.dotenv, path, i);
        }
        for (id, e) in other.errors {
            match self.errors.get(&id) {
                Some(mine) if mine.0 <= e.0 => {}
                _ => {
                    self.errors.insert(id, e);
                }
            }
        }
        self
    }
}

/// Walks the trees of a run of commits, oldest first, each distinct (tree, folder)
/// once. Walks of different runs are independent: what a run finds at its first
/// position is exact within the run, so merging runs (the earliest position wins)
/// gives what one walk of all commits would.
struct TreeWalk<'a> {
    repo: &'a Repository,
    detector: &'a Detector,
    /// Blobs with findings: where they sit is wanted.
    wanted: &'a HashMap<Oid, Vec<Found>>,
    /// Objects already reported unreadable.
    failed: &'a HashSet<Oid>,
    visited: HashSet<(Oid, u32)>,
    /// Folder paths, interned: their ids, and the paths by id.
    folders: HashMap<String, u32>,
    folder_paths: Vec<String>,
    found: Walked,
}

impl<'a> TreeWalk<'a> {
    fn new(
        repo: &'a Repository,
        detector: &'a Detector,
        wanted: &'a HashMap<Oid, Vec<Found>>,
        failed: &'a HashSet<Oid>,
    ) -> TreeWalk<'a> {
        TreeWalk {
            repo,
            detector,
            wanted,
            failed,
            visited: HashSet::new(),
            folders: HashMap::from([(String::new(), 0)]),
            folder_paths: vec![String::new()],
            found: Walked::default(),
        }
    }

    /// The id of the folder at `path`.
    fn folder(&mut self, path: &str) -> u32 {
        if let Some(&id) = self.folders.get(path) {
            return id;
        }
        let id = self.folder_paths.len() as u32;
        self.folders.insert(path.to_string(), id);
        self.folder_paths.push(path.to_string());
        id
    }

    fn walk(&mut self, root: Oid, position: usize, commit: Oid) {
        let mut stack: Vec<(Oid, u32)> = Vec::new();
        if self.visited.insert((root, 0)) {
            stack.push((root, 0));
        }
        let mut path = String::new();
        while let Some((tree_id, folder_id)) = stack.pop() {
            let tree = match self.repo.find_tree(tree_id) {
                Ok(t) => t,
                Err(e) => {
                    if !self.failed.contains(&tree_id) {
                        self.found
                            .errors
                            .entry(tree_id)
                            .or_insert((position, commit, git_msg(&e)));
                    }
                    continue;
                }
            };
            let folder_len = self.folder_paths[folder_id as usize].len();
            path.clear();
            path.push_str(&self.folder_paths[folder_id as usize]);
            if folder_len > 0 {
                path.push('/');
            }
            let prefix = path.len();
            for entry in tree.iter() {
                path.truncate(prefix);
                path.push_str(&String::from_utf8_lossy(entry.name_bytes()));
                match entry.filemode() {
                    0o040000 => {
                        let sub = (entry.id(), self.folder(&path));
                        if self.visited.insert(sub) {
                            stack.push(sub);
                        }
                    }
                    // Blobs, executables and symbolic links. Submodules (0o160000)
                    // are commits of another repository: skipped.
                    0o100644 | 0o100755 | 0o100664 | 0o120000 => {
                        let id = entry.id();
                        if self.wanted.contains_key(&id) {
                            let paths = self.found.places.entry(id).or_default();
                            if !paths.contains_key(&path) {
                                paths.insert(path.clone(), position);
                            }
                        }
                        if self.detector.path_matches(&path)
                            && !self.found.dotenv.contains_key(&path)
                        {
                            self.found.dotenv.insert(path.clone(), position);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Every ref's target (branches, tags, remotes, stash and its older entries,
/// HEAD), tags peeled; and the annotated tag objects on the way.
fn ref_tips(
    repo: &Repository,
    tags: &HashMap<Oid, (Oid, String, Vec<Finding>)>,
) -> (Vec<Oid>, HashSet<Oid>) {
    let mut direct: Vec<Oid> = Vec::new();
    match repo.references() {
        Ok(refs) => {
            for r in refs {
                match r {
                    Ok(r) => {
                        if let Some(t) = r.target().or_else(|| r.resolve().ok()?.target()) {
                            direct.push(t);
                        }
                    }
                    Err(e) => messages::error("refs", git_msg(&e)),
                }
            }
        }
        Err(e) => messages::error("refs", git_msg(&e)),
    }
    if let Ok(head) = repo.head()
        && let Some(t) = head.target()
    {
        direct.push(t);
    }
    if let Ok(log) = repo.reflog("refs/stash") {
        direct.extend(log.iter().map(|e| e.id_new()));
    }
    let mut reached_tags = HashSet::new();
    let tips = direct
        .into_iter()
        .map(|mut id| {
            // Tags of tags, bounded in case of a cycle.
            for _ in 0..64 {
                match tags.get(&id) {
                    Some((target, _, _)) => {
                        reached_tags.insert(id);
                        id = *target;
                    }
                    None => break,
                }
            }
            id
        })
        .collect();
    (tips, reached_tags)
}

/// Commits reachable from `tips` (missing parents, as in a shallow clone, end a path).
fn reach(nodes: &HashMap<Oid, Node>, tips: &[Oid]) -> HashSet<Oid> {
    let mut seen = HashSet::new();
    let mut stack: Vec<Oid> = tips
        .iter()
        .filter(|t| nodes.contains_key(t))
        .copied()
        .collect();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        if let Some(n) = nodes.get(&id) {
            stack.extend(
                n.parents
                    .iter()
                    .filter(|p| nodes.contains_key(p) && !seen.contains(p)),
            );
        }
    }
    seen
}

/// The commits of `subset`, parents before children, older commit times first.
fn topo_order(nodes: &HashMap<Oid, Node>, subset: &HashSet<Oid>) -> Vec<Oid> {
    let mut waiting: HashMap<Oid, usize> = HashMap::with_capacity(subset.len());
    let mut children: HashMap<Oid, Vec<Oid>> = HashMap::new();
    let mut ready = BinaryHeap::new();
    for &id in subset {
        let Some(n) = nodes.get(&id) else { continue };
        let mut d = 0;
        for p in n.parents.iter().filter(|p| subset.contains(p)) {
            d += 1;
            children.entry(*p).or_default().push(id);
        }
        if d == 0 {
            ready.push(Reverse((n.time, id)));
        } else {
            waiting.insert(id, d);
        }
    }
    let mut out = Vec::with_capacity(subset.len());
    while let Some(Reverse((_, id))) = ready.pop() {
        out.push(id);
        for c in children.get(&id).into_iter().flatten() {
            if let Some(d) = waiting.get_mut(c) {
                *d -= 1;
                if *d == 0 {
                    waiting.remove(c);
                    let time = nodes.get(c).map_or(0, |n| n.time);
                    ready.push(Reverse((time, *c)));
                }
            }
        }
    }
    out
}

/// Resolves a revision to a commit id, naming the option in errors.
fn resolve(repo: &Repository, rev: &str, option: &str) -> Result<Oid> {
    repo.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id())
        .map_err(|e| anyhow!("{option} {rev:?}: {}", git_msg(&e)))
}

/// Splits a commit or tag object at the blank line: (headers, message).
fn split_message(data: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memmem::find(data, b"\n\n") {
        Some(i) => (&data[..i + 1], &data[i + 2..]),
        None => (data, &[]),
    }
}

/// The value of the first header line `name value`.
fn header<'a>(headers: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    headers.split(|&b| b == b'\n').find_map(|line| {
        line.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(b" "))
    })
}

fn parse_oid(hex: &[u8]) -> Option<Oid> {
    std::str::from_utf8(hex)
        .ok()
        .and_then(|s| Oid::from_str(s.trim()).ok())
}

fn parse_commit(headers: &[u8]) -> Option<Node> {
    let mut tree = None;
    let mut parents = Vec::new();
    let mut time = 0;
    for line in headers.split(|&b| b == b'\n') {
        if let Some(v) = line.strip_prefix(b"tree ") {
            tree = parse_oid(v);
        } else if let Some(v) = line.strip_prefix(b"parent ") {
            parents.push(parse_oid(v)?);
        } else if let Some(v) = line.strip_prefix(b"committer ") {
            // `Name <email> 1700000000 +0100`
            let mut fields = v.rsplit(|&b| b == b' ');
            fields.next();
            time = fields
                .next()
                .and_then(|t| std::str::from_utf8(t).ok()?.parse().ok())
                .unwrap_or(0);
        }
    }
    Some(Node {
        tree: tree?,
        parents,
        time,
    })
}

/// `2024-05-01T12:30:00+02:00`: a git time in its own offset (git's raw form
/// for a date RFC 3339 cannot write: see [`crate::time::git_date`]).
pub fn rfc3339(t: git2::Time) -> String {
    crate::time::git_date(t.seconds(), t.offset_minutes())
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
