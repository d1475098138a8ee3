//! Which keys are still in HEAD, and the commit after which each key gone from
//! HEAD no longer appears at its paths.

use super::*;

/// The fingerprints of the keys in a blob, cached by blob id: the removal walk
/// meets the same blobs in commit after commit.
pub(super) struct BlobFingerprints<'r> {
    repo: &'r Repository,
    detector: &'r Detector,
    cache: HashMap<Oid, HashSet<String>>,
}

impl<'r> BlobFingerprints<'r> {
    pub(super) fn new(repo: &'r Repository, detector: &'r Detector) -> Self {
        BlobFingerprints {
            repo,
            detector,
            cache: HashMap::new(),
        }
    }

    /// Fingerprints in the blob at `path` of `tree` (empty when there is none).
    pub(super) fn at(&mut self, tree: &git2::Tree, path: &str) -> HashSet<String> {
        let Ok(entry) = tree.get_path(Path::new(path)) else {
            return HashSet::new();
        };
        if entry.kind() != Some(ObjectType::Blob) {
            return HashSet::new();
        }
        let id = entry.id();
        if let Some(s) = self.cache.get(&id) {
            return s.clone();
        }
        let mut set = HashSet::new();
        if let Ok(blob) = self.repo.find_blob(id) {
            let data = blob.content();
            if decode::worth_decoding(self.detector, data) {
                let mut located = Vec::new();
                decode::detect(
                    self.detector,
                    data,
                    &Provenance::file(path.to_string()),
                    &mut located,
                );
                set.extend(located.into_iter().filter_map(|l| l.finding.fingerprint));
            }
        }
        self.cache.insert(id, set.clone());
        set
    }
}

/// For keys gone from HEAD: the commit on HEAD's first-parent line after which
/// the key no longer appears at any of its paths.
pub(super) fn removals(repo: &Repository, keys: &mut [KeyGroup], cache: &mut BlobFingerprints) {
    let mut open: Vec<usize> = (0..keys.len())
        .filter(|&i| !keys[i].in_head && !keys[i].local_only && keys[i].first_leak.is_some())
        .collect();
    if open.is_empty() {
        return;
    }
    let paths: Vec<Vec<String>> = keys.iter().map(paths_of).collect();
    let Ok(mut commit) = repo.head().and_then(|h| h.peel_to_commit()) else {
        return;
    };
    // Walking from HEAD back, `newer` is the child of `commit` on the line.
    let mut newer: Option<git2::Commit> = None;
    for _ in 0..500_000 {
        let Ok(tree) = commit.tree() else { break };
        open.retain(|&i| {
            let present = paths[i]
                .iter()
                .any(|p| cache.at(&tree, p).contains(&keys[i].fingerprint));
            if present && let Some(child) = &newer {
                keys[i].removed = Some(Event {
                    commit: child.id().to_string(),
                    author: child.author().name().unwrap_or("").to_string(),
                    date: source::git::rfc3339(child.time()),
                    epoch: child.time().seconds(),
                    path: None,
                    reachable: true,
                });
            }
            !present
        });
        if open.is_empty() {
            break;
        }
        let Ok(parent) = commit.parent(0) else { break };
        newer = Some(commit);
        commit = parent;
    }
}
