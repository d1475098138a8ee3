//! The tree walk: each distinct (tree, folder) once, oldest commit first, over runs
//! of history in parallel. It finds every path ever committed and, for blobs with
//! findings, the commit that introduced them at each path.

use super::*;

impl Ctx<'_> {
    /// Walks the trees of the commits in `order` (their positions), in parallel:
    /// contiguous runs of commits, one repository handle per thread. A run costs
    /// one full tree walk at its start, so there are only a few per thread (for
    /// balance).
    pub(super) fn walk_trees(
        &self,
        pool: &rayon::ThreadPool,
        packs: &Packs,
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
                        let mut walk = TreeWalk::new(repo, packs, detector, wanted, failed);
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
}

/// What walking commits' trees found, with the position of the commit that first
/// had each thing.
#[derive(Default)]
pub(super) struct Walked {
    /// For each wanted blob, each path it sits at.
    pub(super) places: HashMap<Oid, HashMap<String, usize>>,
    /// Paths that path rules report.
    pub(super) dotenv: HashMap<String, usize>,
    /// Unreadable trees not reported yet: (position, commit, message).
    pub(super) errors: HashMap<Oid, (usize, Oid, String)>,
    /// Blobs that trees name but the object database lacks: (position, commit,
    /// path) of the first.
    pub(super) missing: HashMap<Oid, (usize, Oid, String)>,
    /// Trees that trees or commits name but the object database lacks: (position,
    /// commit, folder) of the first.
    pub(super) missing_trees: HashMap<Oid, (usize, Oid, String)>,
}

impl Walked {
    /// Both walks' findings, each at the earlier position.
    pub(super) fn merge(mut self, other: Walked) -> Walked {
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
        for (into, from) in [
            (&mut self.missing, other.missing),
            (&mut self.missing_trees, other.missing_trees),
        ] {
            for (id, e) in from {
                match into.get(&id) {
                    Some(mine) if mine.0 <= e.0 => {}
                    _ => {
                        into.insert(id, e);
                    }
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
pub(super) struct TreeWalk<'a> {
    /// Trees are read from the packs first.
    unpack: Unpacker<'a>,
    /// To tell a blob that is not there (a partial clone, a damaged repository).
    odb: Option<git2::Odb<'a>>,
    detector: &'a Detector,
    /// Blobs with findings: where they sit is wanted.
    wanted: &'a HashMap<Oid, Vec<Found>>,
    /// Objects already reported unreadable.
    failed: &'a HashSet<Oid>,
    visited: HashSet<(Oid, u32)>,
    /// Blobs known to be in the object database: each is looked up once, not
    /// once per tree that lists it.
    present: HashSet<Oid>,
    /// Folder paths, interned: their ids, and the paths by id.
    folders: HashMap<String, u32>,
    folder_paths: Vec<String>,
    found: Walked,
}

impl<'a> TreeWalk<'a> {
    pub(super) fn new(
        repo: &'a Repository,
        packs: &'a Packs<'a>,
        detector: &'a Detector,
        wanted: &'a HashMap<Oid, Vec<Found>>,
        failed: &'a HashSet<Oid>,
    ) -> TreeWalk<'a> {
        TreeWalk {
            unpack: Unpacker::new(packs, history::CACHE_BYTES),
            odb: repo.odb().ok(),
            detector,
            wanted,
            failed,
            visited: HashSet::new(),
            present: HashSet::new(),
            folders: HashMap::from([(String::new(), 0)]),
            folder_paths: vec![String::new()],
            found: Walked::default(),
        }
    }

    /// The id of the folder at `path`.
    pub(super) fn folder(&mut self, path: &str) -> u32 {
        if let Some(&id) = self.folders.get(path) {
            return id;
        }
        let id = self.folder_paths.len() as u32;
        self.folders.insert(path.to_string(), id);
        self.folder_paths.push(path.to_string());
        id
    }

    /// The raw tree `id`: from the packs, else through libgit2 (loose, or what the
    /// pack reader leaves), which tells a missing tree from a damaged one.
    fn tree(&mut self, id: Oid) -> Result<std::rc::Rc<Vec<u8>>, git2::Error> {
        if let Some((2, data)) = self.unpack.get(&id, history::ANY_SIZE) {
            return Ok(data);
        }
        let Some(odb) = &self.odb else {
            return Err(git2::Error::from_str("cannot open the object database"));
        };
        let obj = odb.read(id)?;
        if obj.kind() != ObjectType::Tree {
            return Err(git2::Error::from_str(&format!(
                "object {id} is a {}, not a tree",
                obj.kind()
            )));
        }
        Ok(std::rc::Rc::new(obj.data().to_vec()))
    }

    pub(super) fn walk(&mut self, root: Oid, position: usize, commit: Oid) {
        let mut stack: Vec<(Oid, u32)> = Vec::new();
        if self.visited.insert((root, 0)) {
            stack.push((root, 0));
        }
        let mut path = String::new();
        while let Some((tree_id, folder_id)) = stack.pop() {
            let tree = match self.tree(tree_id) {
                Ok(t) => t,
                Err(e) if e.code() == git2::ErrorCode::NotFound => {
                    let folder = self.folder_paths[folder_id as usize].clone();
                    self.found
                        .missing_trees
                        .entry(tree_id)
                        .or_insert((position, commit, folder));
                    continue;
                }
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
            for entry in unpack::tree_entries(&tree) {
                let Ok((mode, name, id)) = entry else {
                    if !self.failed.contains(&tree_id) {
                        self.found.errors.entry(tree_id).or_insert((
                            position,
                            commit,
                            "malformed tree object".into(),
                        ));
                    }
                    break;
                };
                path.truncate(prefix);
                path.push_str(&String::from_utf8_lossy(name));
                match mode {
                    0o040000 => {
                        let sub = (id, self.folder(&path));
                        if self.visited.insert(sub) {
                            stack.push(sub);
                        }
                    }
                    // Blobs, executables and symbolic links. Submodules (0o160000)
                    // are commits of another repository: skipped.
                    0o100644 | 0o100755 | 0o100664 | 0o120000 => {
                        if self.wanted.contains_key(&id) {
                            let paths = self.found.places.entry(id).or_default();
                            if !paths.contains_key(&path) {
                                paths.insert(path.clone(), position);
                            }
                        } else if !self.found.missing.contains_key(&id)
                            && !self.present.contains(&id)
                            && self.unpack.table().get(&id).is_none()
                            && self.odb.as_ref().is_some_and(|o| {
                                let there = o.exists(id);
                                if there {
                                    self.present.insert(id);
                                }
                                !there
                            })
                        {
                            self.found
                                .missing
                                .insert(id, (position, commit, path.clone()));
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
