//! Collection: every scan of the audit (history, working tree, local-only dotenv
//! files) and the grouping of their findings per key.

use super::*;
use crate::rules::{Category, RuleSet};

/// Runs every scan of the audit and groups the findings.
pub fn collect(repo_path: &Path, cfg: &AuditOptions) -> Result<Audit> {
    let repo = source::git::open(repo_path)?;
    let git_dir = repo.path().to_path_buf();
    let workdir = repo.workdir().map(Path::to_path_buf);
    let detector = crate::decode::detector(Arc::clone(&cfg.sources.rules))?;
    let head_tree = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    let head = repo
        .head()
        .ok()
        .and_then(|h| h.target())
        .map(|o| o.to_string());

    let local_paths = std::sync::Mutex::new(HashSet::<String>::new());
    let sources = &cfg.sources;
    let outcome = crate::scan::run(
        cfg.filters.clone(),
        cfg.progress,
        |sink: Sink| {
            let opts = source::git::GitOptions {
                selection: source::git::Selection::All,
                not_remotes: false,
            };
            source::git::scan(&git_dir, &opts, sources, sink.clone())?;
            if let Some(wd) = &workdir {
                let walk = source::fs::WalkOptions {
                    no_ignore: false,
                    follow: false,
                    binary: false,
                };
                source::fs::scan(std::slice::from_ref(wd), &walk, sources, sink.clone())?;
                let found = local_only_dotenv(wd, &git_dir, &detector, sources, sink)?;
                if let Ok(mut l) = local_paths.lock() {
                    l.extend(found);
                }
            }
            Ok(())
        },
        None,
    )?;
    let local_paths = local_paths.into_inner().unwrap_or_default();
    let mut outcome = outcome;
    if let Some(api) = cfg.verify {
        crate::verify::verify_findings(api, &mut outcome.findings)?;
    }
    // Working-tree paths relative to the repository, as git's are.
    if let Some(wd) = &workdir {
        let prefix = format!("{}/", source::fs::display_path(wd).trim_end_matches('/'));
        for f in &mut outcome.findings {
            if f.provenance.source == SourceKind::File
                && let Some(p) = f.provenance.path.as_mut()
                && let Some(rel) = p.strip_prefix(&prefix)
            {
                *p = rel.to_string();
            }
        }
        outcome
            .findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }
    for f in &mut outcome.findings {
        if f.provenance.source == SourceKind::File
            && f.provenance
                .path
                .as_ref()
                .is_some_and(|p| local_paths.contains(p))
        {
            f.notes.push(LOCAL_ONLY.to_string());
        }
    }

    let rules: &RuleSet = &cfg.sources.rules;
    let mut cache = BlobFingerprints::new(&repo, &detector);
    let mut keys = group_keys(rules, &outcome.findings, &local_paths, cfg.redact);
    if let Some(tree) = &head_tree {
        for g in &mut keys {
            let paths = paths_of(g);
            g.in_head = paths
                .iter()
                .any(|p| cache.at(tree, p).contains(&g.fingerprint));
        }
    }
    removals(&repo, &mut keys, &mut cache);
    let dotenv = dotenv_files(rules, &outcome.findings, &local_paths, head_tree.as_ref());
    let exposed = exposed(rules, &outcome.findings);
    let repo_name = workdir
        .as_deref()
        .unwrap_or(&git_dir)
        .display()
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let mut audit = Audit {
        title: "qrcp-scan audit",
        repo: repo_name,
        head,
        keys,
        dotenv,
        exposed,
        todo: Vec::new(),
        outcome,
    };
    audit.todo = super::todo::todo(&audit);
    Ok(audit)
}

/// `.env` files in the working tree that git ignores and does not track: scanned
/// (their keys are reported as local only) and listed. Returns their paths.
pub(super) fn local_only_dotenv(
    root: &Path,
    git_dir: &Path,
    detector: &Detector,
    cfg: &SourceOptions,
    sink: Sink,
) -> Result<Vec<String>> {
    let repo = Repository::open(git_dir).context("cannot open the repository")?;
    let index = repo.index().ok();
    let mut scanner = Scanner::new(detector.clone(), sink).with_limits(cfg.archive);
    let mut found = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .hidden(false)
        .filter_entry(|e| {
            e.depth() == 0 || (e.file_name() != ".git" && e.file_name() != "node_modules")
        })
        .build();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        let rel_s = rel.to_string_lossy().replace('\\', "/");
        if !detector.path_matches(&rel_s) {
            continue;
        }
        let tracked = index.as_ref().is_some_and(|i| i.get_path(rel, 0).is_some());
        if tracked || !repo.is_path_ignored(rel).unwrap_or(false) {
            continue;
        }
        match std::fs::read(entry.path()) {
            Ok(data) if data.len() as u64 <= cfg.max_file_size => {
                Stats::add(&scanner.sink.stats.files, 1);
                Stats::add(&scanner.sink.stats.bytes, data.len() as u64);
                scanner.scan_blob(&data, &Provenance::file(rel_s.clone()));
                found.push(rel_s);
            }
            Ok(_) => crate::messages::note(&rel_s, "skipped: larger than --max-file-size"),
            Err(e) => crate::messages::error(&rel_s, e),
        }
    }
    Ok(found)
}

pub(super) fn event_of(c: &CommitInfo, path: Option<&str>) -> Event {
    Event {
        commit: c.id.clone(),
        author: c.author.clone(),
        date: c.date.clone(),
        epoch: crate::time::parse_rfc3339(&c.date).unwrap_or(i64::MAX),
        path: path.map(str::to_string),
    }
}

pub(super) fn in_build_output(path: &str) -> bool {
    let outer = path.split('!').next().unwrap_or(path);
    let mut dirs = outer.split('/');
    dirs.next_back();
    dirs.any(|d| BUILD_DIRS.contains(&d))
}

pub(super) fn group_keys(
    rules: &RuleSet,
    findings: &[Finding],
    local: &HashSet<String>,
    redacted: bool,
) -> Vec<KeyGroup> {
    let mut groups: BTreeMap<String, KeyGroup> = BTreeMap::new();
    for f in findings {
        let (Some(secret), Some(fp)) = (&f.secret, &f.fingerprint) else {
            continue;
        };
        let g = groups.entry(fp.clone()).or_insert_with(|| KeyGroup {
            fingerprint: fp.clone(),
            rule: f.rule.clone(),
            kind: match rules.category(&f.rule) {
                Some(Category::LiveKey) => "live".into(),
                Some(Category::TestKey) => "test".into(),
                _ => f.rule.clone(),
            },
            key: f.shown_secret(redacted).unwrap_or_else(|| secret.clone()),
            first_leak: None,
            removed: None,
            in_head: false,
            in_working_tree: false,
            in_build_output: false,
            unreachable_only: true,
            local_only: true,
            verification: None,
            locations: Vec::new(),
        });
        let path = f.provenance.path.as_deref();
        let is_local =
            path.is_some_and(|p| local.contains(p)) && f.provenance.source == SourceKind::File;
        match f.provenance.source {
            SourceKind::Git => {
                g.unreachable_only = false;
                if let Some(c) = &f.provenance.commit {
                    let e = event_of(c, path);
                    if g.first_leak.as_ref().is_none_or(|old| e.epoch < old.epoch) {
                        g.first_leak = Some(e);
                    }
                }
            }
            SourceKind::File if !is_local => {
                g.unreachable_only = false;
                g.in_working_tree = true;
            }
            _ => {}
        }
        if !is_local {
            g.local_only = false;
        }
        if path.is_some_and(in_build_output) && f.provenance.source == SourceKind::File {
            g.in_build_output = true;
        }
        if g.verification.is_none() {
            g.verification = f.verification;
        }
        g.locations.push(f.clone());
    }
    let mut keys: Vec<KeyGroup> = groups.into_values().collect();
    for g in &mut keys {
        // The same place seen in the working tree and in history is one location:
        // history's copy says which commit put it there.
        let in_history: HashSet<(Option<String>, Option<usize>, Option<usize>)> = g
            .locations
            .iter()
            .filter(|f| f.provenance.source == SourceKind::Git)
            .map(|f| (f.provenance.path.clone(), f.line, f.column))
            .collect();
        g.locations.retain(|f| {
            f.provenance.source != SourceKind::File
                || !in_history.contains(&(f.provenance.path.clone(), f.line, f.column))
        });
        // Keys seen only locally are not "unreachable" either.
        if g.local_only {
            g.unreachable_only = false;
        }
    }
    // Live before test, then the oldest leak first.
    keys.sort_by_key(|g| {
        (
            g.kind != "live",
            g.first_leak.as_ref().map_or(i64::MAX, |e| e.epoch),
            g.fingerprint.clone(),
        )
    });
    keys
}

/// The paths (inside the repository) where a group's key was seen.
pub(super) fn paths_of(g: &KeyGroup) -> Vec<String> {
    let mut paths: Vec<String> = g
        .locations
        .iter()
        .filter(|f| matches!(f.provenance.source, SourceKind::Git | SourceKind::File))
        .filter_map(|f| f.provenance.path.as_deref())
        .map(|p| p.split('!').next().unwrap_or(p).to_string())
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

pub(super) fn dotenv_files(
    rules: &RuleSet,
    findings: &[Finding],
    local: &HashSet<String>,
    head: Option<&git2::Tree>,
) -> Vec<DotenvFile> {
    let mut files: BTreeMap<String, DotenvFile> = BTreeMap::new();
    for f in findings
        .iter()
        .filter(|f| rules.category(&f.rule) == Some(Category::DotenvFile))
    {
        let Some(path) = f.provenance.path.clone() else {
            continue;
        };
        let d = files.entry(path.clone()).or_insert_with(|| DotenvFile {
            tracked: head.is_some_and(|t| t.get_path(Path::new(&path)).is_ok()),
            local_only: false,
            first_commit: None,
            path: path.clone(),
        });
        if let Some(c) = &f.provenance.commit {
            let e = event_of(c, Some(&path));
            if d.first_commit
                .as_ref()
                .is_none_or(|old| e.epoch < old.epoch)
            {
                d.first_commit = Some(e);
            }
        }
    }
    for p in local {
        let d = files.entry(p.clone()).or_insert_with(|| DotenvFile {
            path: p.clone(),
            first_commit: None,
            tracked: false,
            local_only: false,
        });
        d.local_only = d.first_commit.is_none();
    }
    files.into_values().collect()
}

pub(super) fn exposed(rules: &RuleSet, findings: &[Finding]) -> Vec<Finding> {
    let mut seen = HashSet::new();
    findings
        .iter()
        .filter(|f| rules.category(&f.rule) == Some(Category::ClientExposed))
        .filter(|f| seen.insert((f.provenance.path.clone(), f.fingerprint.clone(), f.line)))
        .cloned()
        .collect()
}
