//! The organisation report as people and programs read it: `human` (one block per
//! key: where it lives, repository by repository, and its first leak) and `json`
//! (`keys`, each with its `fingerprint` and `repositories`, then every finding in
//! the report's shape plus `repository`). Secrets are redacted unless `redact` is
//! false. SARIF and HTML reuse the reporters of single scans (see `views`).

use std::io::Write;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};

use crate::audit::{Audit, Event, KeyGroup as AuditKey};
use crate::finding::{CommitInfo, Finding, SourceKind};
use crate::org::merge::{KeyGroup, Merged};
use crate::rules::Severity;
use crate::sanitize::sanitize;
use crate::scan::Scanned;
use crate::stats::Stats;
use crate::wire::WireFinding;

fn commit_json(c: &CommitInfo) -> Value {
    json!({"commit": c.id, "author": c.author, "email": c.email, "date": c.date})
}

#[derive(Serialize)]
struct WithRepo<'a, T: Serialize> {
    repository: &'a str,
    #[serde(flatten)]
    inner: T,
}

fn key_json(m: &Merged, g: &KeyGroup, redacted: bool) -> Value {
    let sample = &m.findings[g.sample];
    let repositories: Vec<Value> = g
        .repositories
        .iter()
        .map(|(repo, idx)| {
            let locations: Vec<Value> = idx
                .iter()
                .map(|&i| {
                    let f = &m.findings[i];
                    let c = f.provenance.commit.as_ref();
                    json!({
                        "path": f.provenance.path,
                        "line": f.line,
                        "column": f.column,
                        "source": f.provenance.source,
                        "commit": c.map(|c| &c.id),
                        "author": c.map(|c| &c.author),
                        "date": c.map(|c| &c.date),
                    })
                })
                .collect();
            json!({
                "repository": repo,
                "first_commit": g.first_in(m, repo).map(commit_json),
                "locations": locations,
            })
        })
        .collect();
    json!({
        "fingerprint": g.fingerprint,
        "rule": g.rule,
        "severity": g.severity.as_str(),
        "secret": sample.shown_secret(redacted),
        "verification": sample.verification,
        "first_leak": g.first_leak(m).map(|(r, c)| {
            let mut v = commit_json(c);
            v["repository"] = json!(r);
            v
        }),
        "repositories": repositories,
    })
}

pub fn write_json(m: &Merged, redacted: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let findings: Vec<_> = m
        .findings
        .iter()
        .zip(&m.finding_repos)
        .map(|(f, r)| WithRepo {
            repository: r,
            inner: WireFinding::of(f, redacted),
        })
        .collect();
    let scanned: Vec<_> = m.repositories.values().collect();
    let failures: Vec<_> = m.failures.values().collect();
    let sum = |get: fn(&crate::org::wire::RepositoryLine) -> u64| -> u64 {
        m.repositories.values().map(get).sum()
    };
    let report = json!({
        "version": 1,
        "tool": {"name": "qrcp-scan", "version": env!("CARGO_PKG_VERSION")},
        "plan": m.plan,
        "shards": {
            "count": m.shard_count,
            "present": m.present.iter().map(|k| format!("{k}/{}", m.shard_count)).collect::<Vec<_>>(),
            "missing": m.missing.iter().map(|k| format!("{k}/{}", m.shard_count)).collect::<Vec<_>>(),
        },
        "keys": m.keys.iter().map(|g| key_json(m, g, redacted)).collect::<Vec<_>>(),
        "findings": findings,
        "repositories": scanned,
        "failures": failures,
        "unfinished": m.unfinished.iter().map(|(s, r)| json!({"shard": s, "repository": r})).collect::<Vec<_>>(),
        "problems": m.problems,
        "stats": {
            "repositories": m.total,
            "scanned": m.repositories.len(),
            "failed": m.failures.len(),
            "objects": sum(|r| r.objects),
            "commits": sum(|r| r.commits),
            "blobs": sum(|r| r.blobs),
            "bytes": sum(|r| r.bytes),
            "findings": m.findings.len(),
            "keys": m.keys.len(),
            "errors": sum(|r| r.errors),
            "incomplete": sum(|r| r.incomplete.len() as u64),
            "scan_ms": sum(|r| r.elapsed_ms),
        },
    });
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

fn when(c: &CommitInfo) -> String {
    format!(
        "{} ({}, {})",
        c.id.get(..7).unwrap_or(&c.id),
        c.date.get(..10).unwrap_or(&c.date),
        c.author
    )
}

fn place(f: &Finding) -> String {
    let mut s = f
        .provenance
        .path
        .clone()
        .unwrap_or_else(|| "<commit message>".into());
    if let Some(l) = f.line {
        s += &format!(":{l}");
    }
    match (&f.provenance.commit, f.provenance.source) {
        (Some(c), _) => s += &format!(" in {}", when(c)),
        (None, SourceKind::GitUnreachable) => s += " in an object no ref reaches",
        _ => {}
    }
    s
}

pub fn write_human(m: &Merged, redacted: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let p = |s: &str| sanitize(s).into_owned();
    for g in &m.keys {
        let sample = &m.findings[g.sample];
        let n = g.repositories.len();
        writeln!(
            out,
            "{}[{}]: {}{}",
            g.severity.as_str(),
            p(&g.rule),
            p(&sample.shown_secret(redacted).unwrap_or_default()),
            sample
                .verification
                .map(|v| format!(" ({v})"))
                .unwrap_or_default()
        )?;
        writeln!(
            out,
            "   = fingerprint {} · in {n} repositor{}",
            &g.fingerprint[..16.min(g.fingerprint.len())],
            if n == 1 { "y" } else { "ies" }
        )?;
        if let Some((r, c)) = g.first_leak(m) {
            writeln!(out, "   = first leaked in {} {}", p(r), p(&when(c)))?;
        }
        for (repo, idx) in &g.repositories {
            writeln!(out, "  --> {}", p(repo))?;
            for &i in idx {
                writeln!(out, "      {}", p(&place(&m.findings[i])))?;
            }
        }
        writeln!(out)?;
    }
    let mut others = m
        .findings
        .iter()
        .zip(&m.finding_repos)
        .filter(|(f, _)| f.fingerprint.is_none() || f.secret.is_none())
        .peekable();
    if others.peek().is_some() {
        for (f, r) in others {
            writeln!(
                out,
                "{}[{}]: {}\n  --> {}: {}",
                f.severity.as_str(),
                p(&f.rule),
                p(&f.message),
                p(r),
                p(&place(f))
            )?;
        }
        writeln!(out)?;
    }
    for f in m.failures.values() {
        writeln!(out, "not scanned: {}: {}", p(&f.repository), p(&f.reason))?;
    }
    for (s, r) in &m.unfinished {
        writeln!(out, "no result: {} (shard {s} stopped early?)", p(r))?;
    }
    for r in m.repositories.values() {
        for i in &r.incomplete {
            writeln!(
                out,
                "incomplete: {}: {}: {}",
                p(&r.repository),
                p(&i.path),
                p(&i.reason)
            )?;
        }
    }
    if !m.missing.is_empty() {
        let names: Vec<String> = m
            .missing
            .iter()
            .map(|k| format!("{k}/{}", m.shard_count))
            .collect();
        writeln!(out, "missing shards: {}", names.join(", "))?;
    }
    let live = m
        .keys
        .iter()
        .filter(|g| g.severity == Severity::Error)
        .count();
    writeln!(
        out,
        "{} key{} ({live} error{}), {} finding{} in {} of {} repositories (plan {}, {} of {} shards); {} not scanned",
        m.keys.len(),
        if m.keys.len() == 1 { "" } else { "s" },
        if live == 1 { "" } else { "s" },
        m.findings.len(),
        if m.findings.len() == 1 { "" } else { "s" },
        m.finding_repos
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        m.total,
        m.plan.as_deref().unwrap_or("-"),
        m.present.len(),
        m.shard_count,
        m.failures.len() + m.unfinished.len(),
    )
}

/// `repository` as a path prefix: no scheme, credentials, `.git` or `..`
/// (`https://github.com/o/web.git` -> `github.com/o/web`).
pub fn label(repo: &str) -> String {
    let s = repo.split_once("://").map_or(repo, |(_, r)| r);
    let s = s
        .rsplit_once('@')
        .map_or(s, |(_, r)| r)
        .replacen(':', "/", 1);
    let s = s.trim_end_matches('/').trim_end_matches(".git");
    s.split('/')
        .filter(|c| !c.is_empty() && *c != "." && *c != "..")
        .collect::<Vec<_>>()
        .join("/")
}

/// The findings with their repository as a path prefix, for reporters of single
/// scans (SARIF).
pub fn prefixed(m: &Merged) -> Vec<Finding> {
    m.findings
        .iter()
        .zip(&m.finding_repos)
        .map(|(f, r)| {
            let mut f = f.clone();
            let l = label(r);
            f.provenance.path = Some(match &f.provenance.path {
                Some(p) => format!("{l}/{p}"),
                None => l,
            });
            f
        })
        .collect()
}

/// The organisation as an audit, for the audit's HTML page: one group per key,
/// its locations prefixed with their repository.
pub fn audit(m: &Merged) -> Audit {
    let findings = prefixed(m);
    let event = |repo: &str, c: &CommitInfo, path: Option<&str>| Event {
        commit: c.id.clone(),
        author: c.author.clone(),
        date: c.date.clone(),
        epoch: crate::time::parse_rfc3339(&c.date).unwrap_or(0),
        path: Some(match path {
            Some(p) => format!("{}/{p}", label(repo)),
            None => label(repo),
        }),
        reachable: true,
    };
    let keys = m
        .keys
        .iter()
        .map(|g| {
            let sample = &m.findings[g.sample];
            let locations: Vec<Finding> = g
                .repositories
                .values()
                .flatten()
                .map(|&i| findings[i].clone())
                .collect();
            let first = g.first_leak(m).map(|(r, c)| {
                let path = g.repositories[r]
                    .iter()
                    .map(|&i| &m.findings[i])
                    .find(|f| f.provenance.commit.as_ref() == Some(c))
                    .and_then(|f| f.provenance.path.as_deref());
                event(r, c, path)
            });
            AuditKey {
                fingerprint: g.fingerprint.clone(),
                rule: g.rule.clone(),
                kind: match sample.secret.as_deref() {
                    Some(s) if s.starts_with("qrcp_live_") => "live".into(),
                    Some(s) if s.starts_with("qrcp_test_") => "test".into(),
                    _ => g.rule.clone(),
                },
                key: sample.secret.clone().unwrap_or_default(),
                first_leak: first,
                removed: None,
                in_head: false,
                in_working_tree: false,
                in_build_output: false,
                in_local_file: false,
                staged: locations
                    .iter()
                    .any(|f| f.provenance.source == SourceKind::GitStaged),
                unreachable_only: locations
                    .iter()
                    .all(|f| f.provenance.source == SourceKind::GitUnreachable),
                local_only: false,
                verification: sample.verification,
                locations,
            }
        })
        .collect();
    let stats = Stats::default();
    for r in m.repositories.values() {
        Stats::add(&stats.commits, r.commits);
        Stats::add(&stats.blobs, r.blobs);
        Stats::add(&stats.bytes, r.bytes);
    }
    let mut todo = Vec::new();
    if !m.keys.is_empty() {
        todo.push(format!(
            "Revoke the {} key{} (`qrcp-scan org merge … --verify --revoke`), then rotate each in every repository it lives in.",
            m.keys.len(),
            if m.keys.len() == 1 { "" } else { "s" }
        ));
    }
    if m.incomplete() {
        todo.push(format!(
            "Scan what is missing: {} repositor{} not scanned, {} shard{} missing.",
            m.failures.len() + m.unfinished.len(),
            if m.failures.len() + m.unfinished.len() == 1 {
                "y"
            } else {
                "ies"
            },
            m.missing.len(),
            if m.missing.len() == 1 { "" } else { "s" }
        ));
    }
    Audit {
        title: "qrcp-scan organisation report",
        repo: format!(
            "organisation: {} repositories (plan {})",
            m.total,
            m.plan.as_deref().unwrap_or("-")
        ),
        head: None,
        keys,
        dotenv: Vec::new(),
        exposed: findings
            .iter()
            .filter(|f| f.rule == "client-exposed-env")
            .cloned()
            .collect(),
        todo,
        outcome: Scanned {
            findings,
            stats: Arc::new(stats),
            elapsed: std::time::Duration::from_millis(
                m.repositories.values().map(|r| r.elapsed_ms).sum(),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels() {
        assert_eq!(
            super::label("https://github.com/o/web.git"),
            "github.com/o/web"
        );
        assert_eq!(super::label("git@github.com:o/web.git"), "github.com/o/web");
        assert_eq!(super::label("file:///srv/../r.git"), "srv/r");
        assert_eq!(super::label("../r"), "r");
    }
}
