//! Placement: a blob's findings put at a path and a commit (the earliest place
//! wins), with the contract's provenance and notes for unreachable objects.

use super::*;

/// A blob's findings placed at `path` (before their commit is known).
pub(super) fn place(found: &[Found], path: &str) -> Vec<Finding> {
    let blob = Provenance {
        path: Some(path.to_string()),
        ..UNPLACED
    };
    found.iter().map(|f| f.place(&blob)).collect()
}

/// The findings of a commit or tag message (unplaced).
pub(super) fn message_findings(detector: &Detector, message: &[u8], sink: &Sink) -> Vec<Finding> {
    let mut found = Vec::new();
    scan_text(detector, message, &UNPLACED, &sink.stats, &mut found);
    found
}

impl Ctx<'_> {
    /// Places each group's findings and hands them to the sink. The same key (rule,
    /// path, fingerprint) in many blobs or commits is one finding: the one from the
    /// earliest place. Findings carry their path already (an archive member's
    /// differs from its group's); the place gives the commit.
    pub(super) fn emit(&mut self, groups: Vec<(Place, Vec<Finding>)>) {
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
    pub(super) fn provenance(&mut self, place: &Place) -> Provenance {
        let commit = match (place.reachable, place.commit) {
            (true, Some(id)) => self.info(id, place.tag.is_some()),
            _ => None,
        };
        let unreached = match (place.reachable, place.commit) {
            (false, Some(id)) => self.info(id, place.tag.is_some()),
            _ => None,
        };
        Provenance {
            source: if place.staged {
                SourceKind::GitStaged
            } else if place.reachable {
                SourceKind::Git
            } else {
                SourceKind::GitUnreachable
            },
            path: place.path.clone(),
            commit,
            unreached,
        }
    }

    pub(super) fn place_note(&mut self, place: &Place) -> Option<String> {
        if place.staged {
            return Some("staged in the index, not committed yet".into());
        }
        let tag = place.tag.as_ref().map(|t| format!("annotated tag `{t}`"));
        if place.reachable {
            return tag.map(|t| format!("in the message of {t}"));
        }
        let id = place.commit?;
        // A place without a path in a commit is that commit's message.
        let what = match (tag, &place.path) {
            (Some(t), _) => t,
            (None, None) => "the message of commit".to_string(),
            (None, Some(_)) => "commit".to_string(),
        };
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
    pub(super) fn info(&mut self, id: Oid, tag: bool) -> Option<CommitInfo> {
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
