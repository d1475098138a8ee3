//! `qrcp-scan audit`: everything about one repository in one run — its whole
//! history including objects no ref reaches, its working tree including gitignored
//! build output, and `.env` files present locally but ignored — grouped per key
//! (one fingerprint, one group), with when and by whom each key first leaked,
//! whether it is still in HEAD, whether it ships in build output, whether it is
//! live (`--verify`), and a numbered to-do list.
//!
//! This module owns collection and grouping; `text` and `html` render an `Audit`
//! and never scan.

pub mod html;
pub mod text;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use git2::{ObjectType, Oid, Repository};
use serde::Serialize;

use crate::config::Config;
use crate::decode;
use crate::detect::Detector;
use crate::finding::{CommitInfo, Finding, Provenance, SourceKind, redact};
use crate::scan::{Outcome, Sink, Stats};
use crate::source::BUILD_DIRS;
use crate::source::{self, Scanner};

/// The note on findings in ignored files that were never committed.
pub const LOCAL_ONLY: &str =
    "local only: this file is ignored and was never committed at this path";

/// A commit, as the audit shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Event {
    pub commit: String,
    pub author: String,
    pub date: String,
    /// Seconds since the epoch (for ordering and the timeline).
    #[serde(skip)]
    pub epoch: i64,
    pub path: Option<String>,
}

/// One distinct key and everything known about it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyGroup {
    pub fingerprint: String,
    pub rule: String,
    /// `live`, `test`, or the rule id for a user's rule.
    pub kind: String,
    /// `qrcp_live_Ab3x…` (the full key with `--no-redact`).
    pub key: String,
    /// The commit that first put it into the repository.
    pub first_leak: Option<Event>,
    /// The commit on HEAD's first-parent line that took it out, when it is gone
    /// from HEAD and once was on that line.
    pub removed: Option<Event>,
    pub in_head: bool,
    pub in_working_tree: bool,
    pub in_build_output: bool,
    /// Only in objects no ref reaches (amended away, dangling).
    pub unreachable_only: bool,
    /// Only in files that are neither committed nor tracked (ignored `.env`).
    pub local_only: bool,
    pub verification: Option<&'static str>,
    /// Every place it was found, in report order.
    #[serde(skip)]
    pub locations: Vec<Finding>,
}

impl KeyGroup {
    /// The status filter of the HTML report and the summary table.
    pub fn status(&self) -> &'static str {
        if self.local_only {
            "local only"
        } else if self.in_head {
            "in HEAD"
        } else if self.in_working_tree || self.in_build_output {
            "in working tree"
        } else if self.unreachable_only {
            "unreachable"
        } else {
            "history only"
        }
    }
}

/// A dotenv file: committed (at some point), tracked now, or only local.
#[derive(Debug, Clone, Serialize)]
pub struct DotenvFile {
    pub path: String,
    pub first_commit: Option<Event>,
    /// In HEAD's tree now.
    pub tracked: bool,
    /// Present in the working tree but ignored and never committed at this path.
    pub local_only: bool,
}

impl DotenvFile {
    /// Its state in words, with `event` formatting the commit (text or HTML).
    pub fn state(&self, event: impl Fn(&Event) -> String) -> String {
        match (&self.first_commit, self.tracked, self.local_only) {
            (_, _, true) => "local only, not committed (ignored)".to_string(),
            (Some(e), true, _) => format!("committed {}; still tracked", event(e)),
            (Some(e), false, _) => format!(
                "committed {}; no longer tracked, still in history",
                event(e)
            ),
            (None, true, _) => "tracked".to_string(),
            (None, false, _) => {
                "untracked and not ignored: the next `git add -A` commits it".to_string()
            }
        }
    }
}

/// Everything `audit` found, ready to render.
pub struct Audit {
    pub repo: String,
    pub head: Option<String>,
    pub keys: Vec<KeyGroup>,
    pub dotenv: Vec<DotenvFile>,
    /// `client-exposed-env` findings, deduplicated by (path, variable).
    pub exposed: Vec<Finding>,
    pub todo: Vec<String>,
    pub outcome: Outcome,
}

/// Runs every scan of the audit and groups the findings.
pub fn collect(repo_path: &Path, cfg: &Config) -> Result<Audit> {
    let repo = source::git::open(repo_path)?;
    let git_dir = repo.path().to_path_buf();
    let workdir = repo.workdir().map(Path::to_path_buf);
    let detector = crate::decode::detector(Arc::clone(&cfg.rules))?;
    let head_tree = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    let head = repo
        .head()
        .ok()
        .and_then(|h| h.target())
        .map(|o| o.to_string());

    let local_paths = std::sync::Mutex::new(HashSet::<String>::new());
    let sources = cfg.sources();
    let outcome = crate::scan::run(
        cfg.filters(),
        cfg.progress,
        |sink: Sink| {
            let opts = source::git::GitOptions {
                selection: source::git::Selection::All,
                not_remotes: false,
            };
            source::git::scan(&git_dir, &opts, &sources, sink.clone())?;
            if let Some(wd) = &workdir {
                let walk = source::fs::WalkOptions {
                    no_ignore: false,
                    follow: false,
                    binary: false,
                };
                source::fs::scan(std::slice::from_ref(wd), &walk, &sources, sink.clone())?;
                let found = local_only_dotenv(wd, &git_dir, &detector, cfg, sink)?;
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
    if cfg.verify
        && let Some(api) = &cfg.api
    {
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

    let mut cache = BlobFingerprints::new(&repo, &detector);
    let mut keys = group_keys(&outcome.findings, &local_paths, cfg.redact);
    if let Some(tree) = &head_tree {
        for g in &mut keys {
            let paths = paths_of(g);
            g.in_head = paths
                .iter()
                .any(|p| cache.at(tree, p).contains(&g.fingerprint));
        }
    }
    removals(&repo, &mut keys, &mut cache);
    let dotenv = dotenv_files(&outcome.findings, &local_paths, head_tree.as_ref());
    let exposed = exposed(&outcome.findings);
    let repo_name = workdir
        .as_deref()
        .unwrap_or(&git_dir)
        .display()
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let mut audit = Audit {
        repo: repo_name,
        head,
        keys,
        dotenv,
        exposed,
        todo: Vec::new(),
        outcome,
    };
    audit.todo = todo(&audit);
    Ok(audit)
}

/// `.env` files in the working tree that git ignores and does not track: scanned
/// (their keys are reported as local only) and listed. Returns their paths.
fn local_only_dotenv(
    root: &Path,
    git_dir: &Path,
    detector: &Detector,
    cfg: &Config,
    sink: Sink,
) -> Result<Vec<String>> {
    let repo = Repository::open(git_dir).context("cannot open the repository")?;
    let index = repo.index().ok();
    let mut scanner = Scanner::new(detector.clone(), sink).with_max_member(cfg.max_file_size);
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

fn event_of(c: &CommitInfo, path: Option<&str>) -> Event {
    Event {
        commit: c.id.clone(),
        author: c.author.clone(),
        date: c.date.clone(),
        epoch: crate::time::parse_rfc3339(&c.date).unwrap_or(i64::MAX),
        path: path.map(str::to_string),
    }
}

fn in_build_output(path: &str) -> bool {
    let outer = path.split('!').next().unwrap_or(path);
    let mut dirs = outer.split('/');
    dirs.next_back();
    dirs.any(|d| BUILD_DIRS.contains(&d))
}

fn group_keys(findings: &[Finding], local: &HashSet<String>, redacted: bool) -> Vec<KeyGroup> {
    let mut groups: BTreeMap<String, KeyGroup> = BTreeMap::new();
    for f in findings {
        let (Some(secret), Some(fp)) = (&f.secret, &f.fingerprint) else {
            continue;
        };
        let g = groups.entry(fp.clone()).or_insert_with(|| KeyGroup {
            fingerprint: fp.clone(),
            rule: f.rule.clone(),
            kind: match f.rule.as_str() {
                "qrcp-live-key" => "live".into(),
                "qrcp-test-key" => "test".into(),
                other => other.into(),
            },
            key: if redacted {
                redact(secret, f.secret_prefix_len)
            } else {
                secret.clone()
            },
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
fn paths_of(g: &KeyGroup) -> Vec<String> {
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

/// The fingerprints of the keys in a blob, cached by blob id: the removal walk
/// meets the same blobs in commit after commit.
struct BlobFingerprints<'r> {
    repo: &'r Repository,
    detector: &'r Detector,
    cache: HashMap<Oid, HashSet<String>>,
}

impl<'r> BlobFingerprints<'r> {
    fn new(repo: &'r Repository, detector: &'r Detector) -> Self {
        BlobFingerprints {
            repo,
            detector,
            cache: HashMap::new(),
        }
    }

    /// Fingerprints in the blob at `path` of `tree` (empty when there is none).
    fn at(&mut self, tree: &git2::Tree, path: &str) -> HashSet<String> {
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
            if self.detector.has_candidate(data) {
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
fn removals(repo: &Repository, keys: &mut [KeyGroup], cache: &mut BlobFingerprints) {
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

fn dotenv_files(
    findings: &[Finding],
    local: &HashSet<String>,
    head: Option<&git2::Tree>,
) -> Vec<DotenvFile> {
    let mut files: BTreeMap<String, DotenvFile> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.rule == "dotenv-file") {
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

fn exposed(findings: &[Finding]) -> Vec<Finding> {
    let mut seen = HashSet::new();
    findings
        .iter()
        .filter(|f| f.rule == "client-exposed-env")
        .filter(|f| seen.insert((f.provenance.path.clone(), f.fingerprint.clone(), f.line)))
        .cloned()
        .collect()
}

/// The variable name of a `client-exposed-env` finding.
pub fn variable_of(f: &Finding) -> String {
    f.context
        .as_ref()
        .map(|c| c.text[c.span.clone()].to_string())
        .unwrap_or_default()
}

fn todo(a: &Audit) -> Vec<String> {
    let mut todo = Vec::new();
    let live: Vec<&KeyGroup> = a
        .keys
        .iter()
        .filter(|g| !g.local_only && g.verification != Some("inactive"))
        .collect();
    if !live.is_empty() {
        let list: Vec<String> = live
            .iter()
            .map(|g| {
                let state = match g.verification {
                    Some("active") => " (live)",
                    Some(_) => " (state unknown)",
                    None => "",
                };
                format!("{}{state}", g.key)
            })
            .collect();
        let how = if a.keys.iter().any(|g| g.verification.is_some()) {
            "`qrcp-scan audit --revoke`, or in your QRCodePro API settings"
        } else {
            "`qrcp-scan audit --verify --revoke` (checks which still work first), or in your QRCodePro API settings"
        };
        todo.push(format!("Revoke the leaked key{}: {} — {how}. Then create new keys and keep them in a server-side secret store.", if list.len() == 1 { "" } else { "s" }, list.join(", ")));
    }
    let in_history = a
        .keys
        .iter()
        .any(|g| g.first_leak.is_some() || g.unreachable_only)
        || a.dotenv.iter().any(|d| d.first_commit.is_some());
    if in_history {
        let dotenv: Vec<&str> = a
            .dotenv
            .iter()
            .filter(|d| d.first_commit.is_some())
            .map(|d| d.path.as_str())
            .collect();
        let mut step = "Purge the history: put each key in a replacements file as `KEY==>REMOVED` (see the keys with `--no-redact`) and run `git filter-repo --replace-text replacements.txt`".to_string();
        if !dotenv.is_empty() {
            step += &format!(
                ", and `git filter-repo --invert-paths {}`",
                dotenv
                    .iter()
                    .map(|p| format!("--path {p}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        step += "; then force-push every branch and tag, and have every clone re-cloned (a revoked key is harmless even if history survives somewhere).";
        todo.push(step);
    }
    let mut vars: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &a.exposed {
        let at = format!(
            "{}:{}",
            f.provenance.path.as_deref().unwrap_or("?"),
            f.line.unwrap_or(0)
        );
        vars.entry(variable_of(f)).or_default().push(at);
    }
    for (var, places) in vars {
        todo.push(format!(
            "Move `{var}` out of its public prefix ({}): bundlers inline it into JavaScript that every visitor downloads. Call QRCodePro from server-side code only.",
            places.join(", ")
        ));
    }
    for d in a.dotenv.iter().filter(|d| d.tracked) {
        todo.push(format!(
            "Stop tracking {0}: `git rm --cached {0}` and add it to .gitignore.",
            d.path
        ));
    }
    for d in a
        .dotenv
        .iter()
        .filter(|d| !d.tracked && !d.local_only && d.first_commit.is_none())
    {
        todo.push(format!(
            "Add {} to .gitignore before it is committed: it is neither tracked nor ignored.",
            d.path
        ));
    }
    let bundles: Vec<String> = {
        let mut b: Vec<String> = a
            .keys
            .iter()
            .flat_map(|g| g.locations.iter())
            .filter(|f| f.provenance.source == SourceKind::File)
            .filter_map(|f| f.provenance.path.clone())
            .filter(|p| in_build_output(p))
            .collect();
        b.sort();
        b.dedup();
        b
    };
    if !bundles.is_empty() {
        todo.push(format!(
            "Rebuild and redeploy without the key: build output still holds it ({}), and what was deployed shipped it to every visitor.",
            bundles.join(", ")
        ));
    }
    todo
}

#[derive(Serialize)]
struct JsonKey<'a> {
    #[serde(flatten)]
    group: &'a KeyGroup,
    status: &'static str,
    locations: Vec<crate::report::json::WireFinding<'a>>,
}

#[derive(Serialize)]
struct JsonAudit<'a> {
    version: u32,
    tool: &'static str,
    repository: &'a str,
    head: Option<&'a str>,
    keys: Vec<JsonKey<'a>>,
    dotenv_files: &'a [DotenvFile],
    client_exposed: Vec<crate::report::json::WireFinding<'a>>,
    todo: &'a [String],
    stats: serde_json::Value,
}

/// `audit --format json`: the groups, with every location in the report's
/// finding shape.
pub fn write_json(
    cfg: &crate::report::ReportOptions,
    a: &Audit,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use crate::report::json::wire;
    let s = &a.outcome.stats;
    let doc = JsonAudit {
        version: 1,
        tool: "qrcp-scan",
        repository: &a.repo,
        head: a.head.as_deref(),
        keys: a
            .keys
            .iter()
            .map(|g| JsonKey {
                group: g,
                status: g.status(),
                locations: g.locations.iter().map(|f| wire(f, cfg.redact)).collect(),
            })
            .collect(),
        dotenv_files: &a.dotenv,
        client_exposed: a.exposed.iter().map(|f| wire(f, cfg.redact)).collect(),
        todo: &a.todo,
        stats: serde_json::json!({
            "files": Stats::get(&s.files),
            "bytes": Stats::get(&s.bytes),
            "blobs": Stats::get(&s.blobs),
            "commits": Stats::get(&s.commits),
            "placeholders": Stats::get(&s.placeholders),
            "allowed": Stats::get(&s.allowed),
            "errors": cfg.errors,
            "elapsed_ms": a.outcome.elapsed.as_millis() as u64,
        }),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// Where the HTML report is written, checked before any work is done.
pub fn check_html_path(p: &Path) -> Result<PathBuf> {
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        anyhow::bail!("{}: no such folder for the HTML report", dir.display());
    }
    Ok(p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_output_paths() {
        assert!(in_build_output("web/dist/app.js"));
        assert!(in_build_output(".next/static/x.js"));
        assert!(!in_build_output("src/dist.ts"));
    }
}
