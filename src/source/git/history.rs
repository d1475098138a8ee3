//! The whole-history scan: every object read once, in pack order and in parallel
//! (blobs through the blob scanner, commits and tags parsed for the graph and their
//! messages), then the tree walk and placement of what was found.

use super::*;

/// Bytes of recent objects each thread keeps for the deltas that follow them.
pub(super) const CACHE_BYTES: usize = 2 << 20;

/// Objects a thread takes at a time in phase 1: long enough that a delta's base
/// was usually read by the same thread, short enough to balance the threads.
const STRETCH: usize = 4096;

/// The size limit for objects read whatever their size (commits, tags, trees).
pub(super) const ANY_SIZE: usize = u32::MAX as usize;

impl Worker<'_> {
    /// Hands `f` the bytes of object `id`, read from the packs where `hint` places
    /// it (no larger than `limit`), else through libgit2 (no copy either way),
    /// whose error then says what is wrong. `None` without a repository handle
    /// (reported when the worker started).
    fn with_object<R>(
        &mut self,
        id: Oid,
        hint: Option<Packed>,
        limit: usize,
        f: impl FnOnce(&mut BlobScanner, &[u8]) -> R,
    ) -> Option<Result<R, git2::Error>> {
        if let Some((_, data)) = hint.and_then(|p| self.unpack.as_mut()?.read(p, limit)) {
            return Some(Ok(f(&mut self.scanner, &data)));
        }
        let odb = self.repo.as_ref()?.odb().ok()?;
        Some(odb.read(id).map(|o| f(&mut self.scanner, o.data())))
    }
}

impl Reader<'_> {
    /// A worker thread's state; with `packs`, objects are read from them first.
    pub(super) fn worker<'p>(&self, packs: Option<&'p Packs<'p>>) -> Worker<'p> {
        let repo = match Repository::open(self.git_dir) {
            Ok(r) => Some(r),
            Err(e) => {
                messages::error(&self.git_dir.display().to_string(), git_msg(&e));
                None
            }
        };
        Worker {
            repo,
            unpack: packs.map(|p| Unpacker::new(p, CACHE_BYTES)),
            scanner: BlobScanner::new(self.detector.clone(), self.archive),
        }
    }

    /// Reads one blob and returns its findings, relative to the blob. Too large,
    /// binary or keyword-free blobs return nothing. Its name is not known: binary
    /// blobs, archives and notebooks are told by their bytes.
    pub(super) fn scan_blob(
        &self,
        w: &mut Worker,
        id: Oid,
        hint: Option<Packed>,
    ) -> Option<Vec<Found>> {
        let stats = &self.sink.stats;
        let size = match hint.and_then(|p| p.size()) {
            Some(s) => s,
            None => match w.repo.as_ref()?.odb().ok()?.read_header(id) {
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
        let limit = usize::try_from(self.max).unwrap_or(usize::MAX);
        let scanned = w.with_object(id, hint, limit, |scanner, data| {
            Stats::add(&stats.bytes, data.len() as u64);
            if looks_binary(data, "") {
                Stats::add(&stats.skipped, 1);
                return None;
            }
            let mut found = Vec::new();
            scanner.scan(data, None, &format!("blob {id}"), stats, &mut found);
            (!found.is_empty()).then_some(found)
        });
        match scanned? {
            Ok(found) => found,
            Err(e) => {
                messages::error(&format!("object {id}"), git_msg(&e));
                None
            }
        }
    }

    /// Phase 1 for one object of the database.
    pub(super) fn visit(&self, w: &mut Worker, id: Oid, hint: Packed) -> Option<Seen> {
        let kind = match hint.kind() {
            Some(kind) => kind,
            _ => match w.repo.as_ref()?.odb().ok()?.read_header(id) {
                Ok((_, kind)) => kind,
                Err(e) => {
                    messages::error(&format!("object {id}"), git_msg(&e));
                    return Some(Seen::Failed(id));
                }
            },
        };
        match kind {
            ObjectType::Blob => self
                .scan_blob(w, id, Some(hint))
                .map(|found| Seen::Blob { id, found }),
            ObjectType::Commit | ObjectType::Tag => {
                // Read whatever their size.
                let read = w.with_object(id, Some(hint), ANY_SIZE, |scanner, data| {
                    let (headers, message) = split_message(data);
                    let found = message_findings(&scanner.detector, message, self.sink);
                    if kind == ObjectType::Commit {
                        Stats::add(&self.sink.stats.commits, 1);
                        return Some(match parse_commit(headers) {
                            Some(node) => Seen::Commit { id, node, found },
                            None => {
                                messages::error(&format!("commit {id}"), "malformed commit object");
                                Seen::Failed(id)
                            }
                        });
                    }
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
                });
                match read? {
                    Ok(seen) => seen,
                    Err(e) => {
                        messages::error(&format!("object {id}"), git_msg(&e));
                        Some(Seen::Failed(id))
                    }
                }
            }
            // Trees are walked in phase 2; other kinds hold nothing to scan.
            _ => None,
        }
    }
}

impl Ctx<'_> {
    pub(super) fn scan_all(&mut self, pool: &rayon::ThreadPool) -> Result<()> {
        let repo = self.repo;
        let odb = repo.odb().context("cannot open the object database")?;
        // Pack order, not id order: a delta's base was then usually just read and
        // is still in the reader's cache. Trees that the packs say are trees are
        // left to the tree walk; other objects come with what their pack entry
        // says. What libgit2 lists beyond the packs read here (loose objects, an
        // alternate's, a pack this reader does not read) is read through it.
        let objects = repo.commondir().join("objects");
        let table = pack::read(&objects);
        let packs = Packs::open(&table);
        // When the table holds every packed object and there is no alternate
        // object folder, the loose objects are the rest: listed from their
        // folders, not by libgit2 (which maps and sorts every pack index again).
        let listing = match table.complete && !objects.join("info/alternates").exists() {
            true => loose_objects(&objects),
            false => None,
        };
        let mut listed = !table.entries.is_empty();
        let mut loose: Vec<Oid> = Vec::new();
        match listing {
            Some(ids) => {
                loose = ids
                    .into_iter()
                    .filter(|id| table.get(id).is_none())
                    .collect()
            }
            None => odb
                .foreach(|id| {
                    listed = true;
                    if table.get(id).is_none() {
                        loose.push(*id);
                    }
                    true
                })
                .map_err(|e| anyhow!("cannot list objects: {}", git_msg(&e)))?,
        }
        listed |= !loose.is_empty();
        if !listed {
            messages::note(
                &repo_name(repo),
                "the repository has no commits: nothing to scan",
            );
            return Ok(());
        }
        // As bytes: `Oid`'s own order is a call into libgit2.
        loose.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        loose.dedup();
        // Each object as a number: below `n`, the table's entry; from `n` on, a
        // loose one (4 bytes an object, not a copy of its entry).
        let n = table.entries.len();
        let mut work: Vec<u32> = (0..n)
            .filter(|&i| {
                let p = table.entries[i].1;
                p.kind() != Some(ObjectType::Tree) && packs.readable(p.position().0)
            })
            .chain(n..n + loose.len())
            .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
            .collect();
        let object = |i: u32| -> (Oid, Packed) {
            match table.entries.get(i as usize) {
                Some(e) => *e,
                None => (loose[i as usize - n], Packed::LOOSE),
            }
        };
        work.sort_unstable_by_key(|&i| (object(i).1.position(), i));

        // Phase 1: every object once, in parallel: each thread (one worker, one
        // reader cache) takes the next stretch of the list in pack order. (Rayon's
        // `map_init` made a worker per job, and a thread waiting on a stolen job
        // kept its own alive: some forty caches and repositories at once.)
        let this = &self.reader;
        let next = AtomicUsize::new(0);
        let seen: Vec<Vec<Seen>> = pool.broadcast(|_| {
            let mut w = this.worker(Some(&packs));
            let mut seen = Vec::new();
            loop {
                let from = next.fetch_add(STRETCH, Ordering::Relaxed);
                let Some(stretch) = work.get(from..work.len().min(from + STRETCH)) else {
                    break;
                };
                for &i in stretch {
                    let (id, hint) = object(i);
                    seen.extend(this.visit(&mut w, id, hint));
                }
            }
            seen
        });
        drop(work);
        let mut nodes: HashMap<Oid, Node> = HashMap::new();
        let mut tags: HashMap<Oid, (Oid, String, Vec<Finding>)> = HashMap::new();
        let mut blob_found: HashMap<Oid, Vec<Found>> = HashMap::new();
        let mut message_found: Vec<(Oid, Vec<Finding>)> = Vec::new();
        let mut failed: HashSet<Oid> = HashSet::new();
        for s in seen.into_iter().flatten() {
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
            missing,
            missing_trees,
        } = self.walk_trees(pool, &packs, &order, &nodes, &blob_found, &failed);
        let mut errors: Vec<(usize, Oid, Oid, String)> = errors
            .into_iter()
            .map(|(tree, (i, commit, msg))| (i, tree, commit, msg))
            .collect();
        errors.sort();
        let partial = partial_clone(repo);
        let mut gone = Vec::new();
        for (_, tree, commit, msg) in errors {
            match &partial {
                Some(_) => gone.push(format!("tree {tree} (in commit {commit})")),
                None => messages::error(&format!("tree {tree} (in commit {commit})"), msg),
            }
        }
        let mut missing_trees: Vec<_> = missing_trees.into_iter().collect();
        missing_trees.sort_by_key(|(id, (i, _, _))| (*i, *id));
        gone.extend(missing_trees.into_iter().map(|(id, (_, commit, folder))| {
            let folder = if folder.is_empty() { "/" } else { &folder };
            format!("tree {id} ({folder} in commit {commit})")
        }));
        let mut missing: Vec<_> = missing.into_iter().collect();
        missing.sort_by_key(|(id, (i, _, _))| (*i, *id));
        gone.extend(
            missing
                .into_iter()
                .map(|(id, (_, commit, path))| format!("blob {id} ({path} in commit {commit})")),
        );
        let shallow = shallow_commits(repo);
        let mut lost_commits: Vec<Oid> = nodes
            .iter()
            .filter(|(id, _)| !shallow.contains(id))
            .flat_map(|(_, n)| n.parents.iter())
            .filter(|p| !nodes.contains_key(p) && !failed.contains(p))
            .copied()
            .collect();
        lost_commits.sort();
        lost_commits.dedup();
        gone.extend(lost_commits.iter().map(|id| format!("commit {id}")));
        report_missing(repo, partial.as_deref(), &gone);
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
            staged: false,
        };
        let position: HashMap<Oid, usize> =
            order.iter().enumerate().map(|(i, id)| (*id, i)).collect();

        // Blobs with findings that no commit holds: staged ones are in the index.
        let staged = if blob_found.keys().any(|id| !places.contains_key(id)) {
            staged_paths(repo)
        } else {
            HashMap::new()
        };
        let mut groups: Vec<(Place, Vec<Finding>)> = Vec::new();
        for (id, found) in blob_found {
            match places.get(&id) {
                Some(list) => {
                    for (path, i) in list {
                        groups.push((place_of(*i, Some(path.clone())), place(&found, path)));
                    }
                }
                None if staged.contains_key(&id) => {
                    for path in &staged[&id] {
                        groups.push((
                            Place {
                                order: usize::MAX - 2,
                                path: Some(path.clone()),
                                commit: None,
                                reachable: false,
                                tag: None,
                                staged: true,
                            },
                            place(&found, path),
                        ));
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
                            staged: false,
                        },
                        found,
                    ));
                }
            }
        }
        for (id, found) in message_found {
            match position.get(&id) {
                Some(&i) => groups.push((place_of(i, None), found)),
                // An amended or rebased-away commit: its message shipped to every
                // clone that fetched it, so it is scanned as a reachable one is.
                None => groups.push((
                    Place {
                        order: usize::MAX,
                        path: None,
                        commit: Some(id),
                        reachable: false,
                        tag: None,
                        staged: false,
                    },
                    found,
                )),
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
                        staged: false,
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
}

/// The loose objects of an object folder (`ab/cdef…`, 2 and 38 hex digits); `None`
/// when a folder cannot be read.
pub(super) fn loose_objects(objects: &Path) -> Option<Vec<Oid>> {
    let hex = |n: &str| n.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let mut out = Vec::new();
    for dir in std::fs::read_dir(objects).ok()? {
        let dir = dir.ok()?;
        let name = dir.file_name();
        let Some(prefix) = name.to_str().filter(|n| n.len() == 2 && hex(n)) else {
            continue;
        };
        for file in std::fs::read_dir(dir.path()).ok()? {
            let file = file.ok()?;
            let name = file.file_name();
            let Some(rest) = name.to_str().filter(|n| n.len() == 38 && hex(n)) else {
                continue;
            };
            if let Ok(id) = Oid::from_str(&format!("{prefix}{rest}")) {
                out.push(id);
            }
        }
    }
    Some(out)
}

/// The promisor remote when the repository is a partial clone (`--filter=…`): its
/// missing objects are on that remote, not damage.
fn partial_clone(repo: &Repository) -> Option<String> {
    let cfg = repo.config().ok()?.snapshot().ok()?;
    if let Ok(r) = cfg.get_string("extensions.partialclone") {
        return Some(r);
    }
    let mut entries = cfg.entries(Some(r"remote\..*\.promisor")).ok()?;
    while let Some(Ok(e)) = entries.next() {
        if e.value().is_ok_and(|v| v == "true") {
            let name = e
                .name()
                .ok()?
                .strip_prefix("remote.")?
                .strip_suffix(".promisor")?;
            return Some(name.to_string());
        }
    }
    None
}

/// The commits whose parents a shallow clone does not have (`.git/shallow`).
fn shallow_commits(repo: &Repository) -> HashSet<Oid> {
    std::fs::read_to_string(repo.commondir().join("shallow"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| Oid::from_str(l.trim()).ok())
        .collect()
}

/// Objects the history names that the repository does not have: nothing of them
/// was read, so the scan is incomplete. A partial clone gets one entry that says
/// how to fetch them; otherwise each (the first 20) is listed.
fn report_missing(repo: &Repository, partial: Option<&str>, gone: &[String]) {
    use crate::messages::Incomplete;
    if gone.is_empty() {
        return;
    }
    let name = repo_name(repo);
    if let Some(remote) = partial {
        Incomplete::record(
            &name,
            format!(
                "partial clone: {} object{} that history names {} not here (promisor objects \
                 on `{remote}`), first {}; list them with \
                 `git rev-list --objects --all --missing=print`, fetch them with \
                 `git config --unset remote.{remote}.partialclonefilter; git fetch --refetch {}`, \
                 then scan again",
                gone.len(),
                if gone.len() == 1 { "" } else { "s" },
                if gone.len() == 1 { "is" } else { "are" },
                gone[0],
                crate::shell::quote(remote),
            ),
        );
        return;
    }
    // How to get the objects back: from a remote when there is one (a refetch
    // downloads every object again), else from another clone.
    let remotes = repo.remotes();
    let remote: Option<String> = match &remotes {
        Ok(names) => names.iter().flatten().flatten().next().map(str::to_string),
        Err(_) => None,
    };
    let how: String = match remote {
        Some(r) => format!(
            "fetch every object again with `git fetch --refetch {}`",
            crate::shell::quote(&r)
        ),
        None => "copy it from a clone that has it (`git fetch <that clone>`)".into(),
    };
    for g in gone.iter().take(20) {
        Incomplete::record(
            &format!("{name}: {g}"),
            format!(
                "missing from the object database: not scanned (`git fsck --connectivity-only` \
                 lists what is missing; {how}, then scan again)"
            ),
        );
    }
    if gone.len() > 20 {
        Incomplete::record(
            &name,
            format!(
                "{} more objects missing from the object database",
                gone.len() - 20
            ),
        );
    }
}

/// Blob id -> the paths the index stages it at (stage 0 only), read through the
/// index reader, or libgit2 where that reader gives up. Empty for a bare
/// repository or an unreadable index.
fn staged_paths(repo: &Repository) -> HashMap<Oid, Vec<String>> {
    let mut out: HashMap<Oid, Vec<String>> = HashMap::new();
    let mut add = |id: Oid, path: &[u8]| {
        out.entry(id)
            .or_default()
            .push(String::from_utf8_lossy(path).into_owned());
    };
    if repo.is_bare() {
        return out;
    }
    let file = std::fs::read(repo.path().join("index")).unwrap_or_default();
    match index::parse(&file).ok() {
        Some(ix) => {
            // A sparse index's folder entries name trees, not blobs.
            for e in ix.entries.iter().filter(|e| e.mode != index::SPARSE_DIR) {
                add(ix.id(e), ix.path(e));
            }
        }
        None => {
            if let Ok(ix) = repo.index() {
                for e in ix.iter().filter(|e| (e.flags >> 12) & 3 == 0) {
                    add(e.id, &e.path);
                }
            }
        }
    }
    out
}
