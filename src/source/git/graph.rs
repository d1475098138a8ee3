//! The commit graph: ref tips, reachability, topological order, revisions.

use super::*;

/// Every ref's target (branches, tags, remotes, stash and its older entries,
/// HEAD), tags peeled; and the annotated tag objects on the way.
pub(super) fn ref_tips(
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
pub(super) fn reach(nodes: &HashMap<Oid, Node>, tips: &[Oid]) -> HashSet<Oid> {
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
pub(super) fn topo_order(nodes: &HashMap<Oid, Node>, subset: &HashSet<Oid>) -> Vec<Oid> {
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
pub(super) fn resolve(repo: &Repository, rev: &str, option: &str) -> Result<Oid> {
    repo.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id())
        .map_err(|e| anyhow!("{option} {rev:?}: {}", git_msg(&e)))
}
