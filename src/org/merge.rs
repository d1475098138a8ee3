//! `org merge`: shard outputs joined into one organisation report, grouped per
//! key. Merging is a union of sets: lines are deduplicated, so the order of the
//! files does not matter and a shard merged twice counts once. Shards of another
//! plan are refused; missing shards, and repositories a shard was assigned but
//! never finished, are named.
//!
//! Keys are read back only for `--verify`/`--revoke` (`read_keys`), from the
//! repositories themselves: a local one in place, a cloned one in the cache (cloned
//! again by its URL when the cache is not on this machine).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use crate::finding::{CommitInfo, Finding};
use crate::org::repos::Repo;
use crate::org::wire::{self, FailureLine, Line, RepositoryLine, ShardLine};
use crate::org::{MergeOptions, Shard, fetch};
use crate::rules::{RuleSet, Severity};
use crate::verify::Target;

/// The organisation, merged.
#[derive(Debug, Default)]
pub struct Merged {
    pub plan: Option<String>,
    /// Shards the plan has (0 when no input had a line).
    pub shard_count: usize,
    pub present: Vec<usize>,
    pub missing: Vec<usize>,
    /// Repositories in the whole list, as the shards say.
    pub total: usize,
    pub repositories: BTreeMap<String, RepositoryLine>,
    pub failures: BTreeMap<String, FailureLine>,
    /// (shard, repository): assigned to a present shard, with no result (the shard
    /// stopped early).
    pub unfinished: Vec<(String, String)>,
    /// Sorted by repository, then as reports sort.
    pub findings: Vec<Finding>,
    /// The repository of each finding (same index).
    pub finding_repos: Vec<String>,
    pub keys: Vec<KeyGroup>,
    /// The distinct QRCodePro keys, for `--verify`/`--revoke`.
    pub targets: Vec<Target>,
    /// Problems met while merging (each also said on standard error).
    pub problems: Vec<String>,
}

/// One distinct key across the organisation.
#[derive(Debug, Clone)]
pub struct KeyGroup {
    pub fingerprint: String,
    pub rule: String,
    pub severity: Severity,
    /// Index of a finding of this key (its secret, redacted or not).
    pub sample: usize,
    /// Repository -> indices of its findings of this key.
    pub repositories: BTreeMap<String, Vec<usize>>,
}

impl KeyGroup {
    /// The earliest commit of this key in `repo` (by date, then id).
    pub fn first_in<'a>(&self, m: &'a Merged, repo: &str) -> Option<&'a CommitInfo> {
        self.repositories
            .get(repo)?
            .iter()
            .filter_map(|&i| m.findings[i].provenance.commit.as_ref())
            .min_by_key(|c| (crate::time::parse_rfc3339(&c.date), c.id.clone()))
    }

    /// The earliest commit of this key anywhere, with its repository.
    pub fn first_leak<'a>(&'a self, m: &'a Merged) -> Option<(&'a str, &'a CommitInfo)> {
        self.repositories
            .keys()
            .filter_map(|r| Some((r.as_str(), self.first_in(m, r)?)))
            .min_by_key(|(r, c)| (crate::time::parse_rfc3339(&c.date), *r))
    }
}

impl Merged {
    /// Whether anything asked for is missing: the run must not exit 0.
    pub fn incomplete(&self) -> bool {
        !self.missing.is_empty()
            || !self.failures.is_empty()
            || !self.unfinished.is_empty()
            || self.repositories.values().any(|r| !r.incomplete.is_empty())
    }
}

/// Everything read from the inputs, deduplicated.
#[derive(Default)]
struct Lines {
    plans: BTreeMap<String, BTreeSet<String>>,
    counts: BTreeSet<usize>,
    shards: BTreeMap<usize, ShardLine>,
    repositories: BTreeMap<String, RepositoryLine>,
    failures: BTreeMap<String, FailureLine>,
    /// (repository, canonical finding text)
    findings: BTreeSet<(String, String)>,
}

fn problem(m: &mut Merged, what: &str, reason: String) {
    crate::messages::error(what, &reason);
    m.problems.push(format!("{what}: {reason}"));
}

pub fn run(opts: &MergeOptions, rules: Arc<RuleSet>) -> Result<Merged> {
    let mut m = Merged::default();
    let mut lines = Lines::default();
    if opts.inputs.is_empty() {
        bail!("org merge needs at least one shard output (JSONL of `org scan`)");
    }
    for path in &opts.inputs {
        read_file(path, &mut lines, &mut m)?;
    }
    if lines.plans.len() > 1 {
        let list: Vec<String> = lines
            .plans
            .iter()
            .map(|(p, files)| {
                format!(
                    "plan {p} ({})",
                    files.iter().cloned().collect::<Vec<_>>().join(", ")
                )
            })
            .collect();
        bail!(
            "the shard outputs come from different repository lists: {} (scan every shard from the same list)",
            list.join("; ")
        );
    }
    if lines.counts.len() > 1 {
        bail!(
            "the shard outputs disagree on the shard count: {:?}",
            lines.counts
        );
    }
    m.plan = lines.plans.keys().next().cloned();
    m.shard_count = lines.counts.iter().next().copied().unwrap_or(0);
    m.present = lines.shards.keys().copied().collect();
    m.missing = (1..=m.shard_count)
        .filter(|k| !lines.shards.contains_key(k))
        .collect();
    m.total = lines.shards.values().map(|s| s.total).max().unwrap_or(0);
    let count = m.shard_count;
    for &k in &m.missing.clone() {
        problem(
            &mut m,
            &format!("shard {k}/{count}"),
            "missing: no output of this shard was given".into(),
        );
    }
    // A re-run that succeeded replaces the failure.
    lines
        .failures
        .retain(|r, _| !lines.repositories.contains_key(r));
    // Every repository of every present shard once.
    let mut owner: HashMap<&str, &str> = HashMap::new();
    let mut unfinished = Vec::new();
    let mut twice = Vec::new();
    for s in lines.shards.values() {
        for r in &s.repositories {
            if let Some(other) = owner.insert(r, &s.shard) {
                twice.push((r.clone(), other.to_string(), s.shard.clone()));
            }
            if !lines.repositories.contains_key(r) && !lines.failures.contains_key(r) {
                unfinished.push((s.shard.clone(), r.clone()));
            }
        }
    }
    for (r, a, b) in twice {
        problem(&mut m, &r, format!("assigned to shards {a} and {b}"));
    }
    for (s, r) in &unfinished {
        problem(
            &mut m,
            r,
            format!(
                "shard {s} was assigned it but has no result for it (the shard stopped early?)"
            ),
        );
    }
    m.unfinished = unfinished;
    for f in lines.failures.values() {
        crate::messages::error(&f.repository, format!("not scanned: {}", f.reason));
    }
    for r in lines.repositories.values() {
        for i in &r.incomplete {
            crate::messages::Incomplete::record(
                &format!("{}: {}", r.repository, i.path),
                &i.reason,
            );
        }
    }
    m.repositories = lines.repositories;
    m.failures = lines.failures;
    load_findings(&mut m, lines.findings, opts, rules)?;
    group(&mut m);
    Ok(m)
}

fn read_file(path: &Path, lines: &mut Lines, m: &mut Merged) -> Result<()> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).with_context(|| format!("{shown}: cannot read"))?;
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{shown}: cannot read"))?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed = match wire::parse(&line) {
            Ok(l) => l,
            Err(e) => {
                problem(m, &format!("{shown}:{}", i + 1), e);
                continue;
            }
        };
        let (plan, shard) = match &parsed {
            Line::Shard(l) => (&l.plan, &l.shard),
            Line::Repository(l) => (&l.plan, &l.shard),
            Line::Failure(l) => (&l.plan, &l.shard),
            Line::Finding(l) => (&l.plan, &l.shard),
        };
        let shard = match Shard::parse(shard) {
            Ok(s) => s,
            Err(e) => {
                problem(m, &format!("{shown}:{}", i + 1), format!("{e:#}"));
                continue;
            }
        };
        lines
            .plans
            .entry(plan.clone())
            .or_default()
            .insert(shown.clone());
        lines.counts.insert(shard.count);
        match parsed {
            Line::Shard(l) => {
                lines.shards.entry(shard.index).or_insert(l);
            }
            Line::Repository(l) => {
                // Two runs of one shard differ in timings only: keep one, the
                // same one whatever the order.
                let keep = match lines.repositories.get(&l.repository) {
                    Some(old) => serde_json::to_string(&l)? < serde_json::to_string(old)?,
                    None => true,
                };
                if keep {
                    lines.repositories.insert(l.repository.clone(), l);
                }
            }
            Line::Failure(l) => {
                let keep = lines
                    .failures
                    .get(&l.repository)
                    .is_none_or(|old| l.reason < old.reason);
                if keep {
                    lines.failures.insert(l.repository.clone(), l);
                }
            }
            Line::Finding(l) => {
                lines.findings.insert((l.repository, l.text));
            }
        }
    }
    Ok(())
}

/// Turns finding lines into findings (reading keys back when asked) and the
/// distinct keys into one target each, across repositories.
fn load_findings(
    m: &mut Merged,
    findings: BTreeSet<(String, String)>,
    opts: &MergeOptions,
    rules: Arc<RuleSet>,
) -> Result<()> {
    let mut per_repo: BTreeMap<String, String> = BTreeMap::new();
    for (repo, text) in findings {
        let t = per_repo.entry(repo).or_default();
        t.push_str(&text);
        t.push('\n');
    }
    let mut targets: Vec<Target> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (repo, text) in per_repo {
        let root = if opts.read_keys {
            match repository_root(&repo, &opts.cache) {
                Ok(p) => Some(p),
                Err(e) => {
                    crate::messages::note(&repo, format!("keys cannot be read back: {e}"));
                    None
                }
            }
        } else {
            None
        };
        let loaded = match crate::verify::recover::from_text(
            &text,
            &format!("findings of {repo}"),
            root.as_deref(),
            Arc::clone(&rules),
        ) {
            Ok(l) => l,
            Err(e) => {
                problem(m, &repo, format!("{e:#}"));
                continue;
            }
        };
        for mut t in loaded.targets {
            t.location = format!("{repo} {}", t.location);
            match index.get(&t.fingerprint) {
                Some(&i) => {
                    let known = &mut targets[i];
                    known.more += t.more + 1;
                    if known.key.is_err() && t.key.is_ok() {
                        known.key = t.key;
                    }
                }
                None => {
                    index.insert(t.fingerprint.clone(), targets.len());
                    targets.push(t);
                }
            }
        }
        for f in loaded.findings {
            m.findings.push(f);
            m.finding_repos.push(repo.clone());
        }
    }
    // A key read back in one repository is known in all.
    for f in &mut m.findings {
        if let Some(Ok(k)) = f
            .fingerprint
            .as_deref()
            .and_then(|fp| index.get(fp))
            .map(|&i| &targets[i].key)
            && f.secret.is_some()
        {
            f.secret = Some(k.clone());
            f.secret_prefix_len = "qrcp_live_".len();
        }
    }
    let mut order: Vec<usize> = (0..m.findings.len()).collect();
    order.sort_by(|&a, &b| {
        (&m.finding_repos[a], m.findings[a].sort_key())
            .cmp(&(&m.finding_repos[b], m.findings[b].sort_key()))
    });
    m.findings = order.iter().map(|&i| m.findings[i].clone()).collect();
    m.finding_repos = order.iter().map(|&i| m.finding_repos[i].clone()).collect();
    m.targets = targets;
    Ok(())
}

/// Where the keys of `repo` are read back: the local repository, or its clone in
/// the cache (made again when missing).
fn repository_root(repo: &str, cache: &Path) -> std::result::Result<std::path::PathBuf, String> {
    let r = Repo {
        spec: repo.to_string(),
        size: None,
    };
    fetch::obtain(&r, cache, false)
}

/// One group per distinct key (findings with a fingerprint), most severe and
/// earliest first.
fn group(m: &mut Merged) {
    let mut groups: BTreeMap<String, KeyGroup> = BTreeMap::new();
    for (i, f) in m.findings.iter().enumerate() {
        let (Some(fp), Some(_)) = (&f.fingerprint, &f.secret) else {
            continue;
        };
        let g = groups.entry(fp.clone()).or_insert_with(|| KeyGroup {
            fingerprint: fp.clone(),
            rule: f.rule.clone(),
            severity: f.severity,
            sample: i,
            repositories: BTreeMap::new(),
        });
        g.severity = g.severity.max(f.severity);
        g.repositories
            .entry(m.finding_repos[i].clone())
            .or_default()
            .push(i);
    }
    let mut keys: Vec<KeyGroup> = groups.into_values().collect();
    keys.sort_by_cached_key(|g| {
        let first = g
            .first_leak(m)
            .map(|(r, c)| (crate::time::parse_rfc3339(&c.date), r.to_string()));
        (std::cmp::Reverse(g.severity), first, g.fingerprint.clone())
    });
    m.keys = keys;
}
