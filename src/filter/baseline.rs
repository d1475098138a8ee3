//! Baselines: findings already known, matched by (rule, path, fingerprint) and
//! never by line number, so that moving an old leak does not resurrect it. The
//! file holds no secret and no timestamp and is sorted, so that it merges cleanly.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::finding::Finding;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub rule: String,
    pub path: Option<String>,
    pub fingerprint: Option<String>,
}

impl Entry {
    fn of(f: &Finding) -> Entry {
        Entry {
            rule: f.rule.clone(),
            path: f.provenance.path.clone(),
            fingerprint: f.fingerprint.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    tool: String,
    findings: Vec<Entry>,
}

#[derive(Debug, Default)]
pub struct Baseline {
    entries: BTreeSet<Entry>,
    /// Entries that hid a finding in this run.
    matched: std::sync::Mutex<BTreeSet<Entry>>,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read baseline", path.display()))?;
        let file: File = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a qrcp-scan baseline", path.display()))?;
        if file.version != 1 {
            bail!(
                "{}: baseline version {} is not supported (expected 1)",
                path.display(),
                file.version
            );
        }
        Ok(Baseline {
            entries: file.findings.into_iter().collect(),
            matched: Default::default(),
        })
    }

    pub fn contains(&self, f: &Finding) -> bool {
        let e = Entry::of(f);
        let hit = self.entries.contains(&e);
        if hit && let Ok(mut m) = self.matched.lock() {
            m.insert(e);
        }
        hit
    }

    /// After a scan: when no entry matched, how many there were and the likely
    /// reason (paths written from another folder, or every finding fixed).
    pub fn unmatched_note(&self) -> Option<String> {
        let matched = self.matched.lock().map_or(0, |m| m.len());
        let total = self.entries.len();
        if matched > 0 || total == 0 {
            return None;
        }
        let paths: Vec<&str> = self
            .entries
            .iter()
            .filter_map(|e| e.path.as_deref())
            .map(|p| p.split('!').next().unwrap_or(p))
            .collect();
        let present = paths.iter().any(|p| Path::new(p).exists());
        let why = match paths.first() {
            Some(example) if !present => format!(
                "none of its paths (e.g. `{example}`) is there from this folder: a baseline \
                 holds paths as the scan that made it printed them, so create and use it \
                 from the same folder with the same path arguments"
            ),
            _ => "the findings it lists are gone (fixed) or changed key".to_string(),
        };
        Some(format!(
            "0 of {total} baseline entr{} matched: {why}",
            if total == 1 { "y" } else { "ies" }
        ))
    }

    /// The baseline file for these findings: sorted, deduplicated, no secrets.
    pub fn write(findings: &[Finding], out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let entries: BTreeSet<Entry> = findings.iter().map(Entry::of).collect();
        let file = File {
            version: 1,
            tool: "qrcp-scan".into(),
            findings: entries.into_iter().collect(),
        };
        serde_json::to_writer_pretty(&mut *out, &file)?;
        writeln!(out)
    }
}
