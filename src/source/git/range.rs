//! The range scan (`--since`, `--range`, `--branch`): each commit of the range
//! diffed against its first parent, the whole blob of every added or modified file
//! scanned.

use super::*;

impl Ctx<'_> {
    pub(super) fn scan_range(
        &mut self,
        pool: &rayon::ThreadPool,
        sel: &Selection,
        not_remotes: bool,
    ) -> Result<()> {
        let repo = self.repo;
        let mut walk = repo.revwalk().context("cannot walk the history")?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)
            .context("cannot walk the history")?;
        // `--since DATE`: only the commits committed at or after it.
        let mut after: Option<i64> = None;
        match sel {
            Selection::Since(rev) => {
                let head = repo
                    .head()
                    .and_then(|h| h.peel_to_commit())
                    .map_err(|e| anyhow!("HEAD: {}", git_msg(&e)))?;
                walk.push(head.id())?;
                // A revision first (REV..HEAD), else a date (`git log --since`).
                match resolve(repo, rev, "--since") {
                    Ok(id) => walk.hide(id)?,
                    Err(not_rev) => {
                        let now = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map_or(0, |d| d.as_secs() as i64);
                        match crate::time::parse_since(rev, now) {
                            Some(t) => after = Some(t),
                            None => bail!(
                                "{not_rev}: neither a revision nor a date (--since takes a revision, scanning REV..HEAD, or a date, scanning the commits committed since then, written like {})",
                                crate::time::SINCE_FORMS
                            ),
                        }
                    }
                }
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
            if after.is_some_and(|t| commit.committer().when().seconds() < t) {
                continue;
            }
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
                        staged: false,
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
                    || this.worker(None),
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
                        staged: false,
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
                staged: false,
            };
            let mut found = Vec::new();
            self.detector
                .detect_path(&self.provenance(&place), &mut found);
            groups.push((place, found));
        }
        self.emit(groups);
        Ok(())
    }
}
