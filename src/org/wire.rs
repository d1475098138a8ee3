//! The lines of a shard's JSONL, written by `scan` and read by `merge`. Every line
//! says which plan and which shard (`K/N`) it belongs to, so that merging can name
//! missing shards and refuse shards of another list. Four kinds (`type`):
//! `shard` (first: the repositories assigned), `finding` (the report's JSON
//! finding shape plus `repository`: secrets redacted by default), `repository` (a
//! summary per repository scanned) and `failure` (a repository that could not be
//! cloned or read, with the reason).

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::finding::Finding;
use crate::wire::WireFinding;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardLine {
    pub plan: String,
    pub shard: String,
    /// The repositories of this shard, by name.
    pub repositories: Vec<String>,
    /// Repositories in the whole list.
    pub total: usize,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryLine {
    pub plan: String,
    pub shard: String,
    pub repository: String,
    /// Commits and blobs read.
    pub objects: u64,
    pub commits: u64,
    pub blobs: u64,
    pub bytes: u64,
    pub findings: u64,
    /// Objects or files that could not be read (each said on standard error).
    pub errors: u64,
    pub elapsed_ms: u64,
    /// Time spent cloning or refreshing the clone (0 when read in place).
    pub fetch_ms: u64,
    /// What of this repository was asked for and not read in full (missing
    /// objects, an archive over a limit…): its scan is not clean whatever it found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<crate::messages::Incomplete>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureLine {
    pub plan: String,
    pub shard: String,
    pub repository: String,
    pub reason: String,
}

#[derive(Serialize)]
struct FindingLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    plan: &'a str,
    shard: &'a str,
    repository: &'a str,
    #[serde(flatten)]
    finding: WireFinding<'a>,
}

#[derive(Serialize)]
struct Tagged<'a, T> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    line: &'a T,
}

fn put<T: Serialize>(kind: &'static str, line: &T, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &Tagged { kind, line })?;
    writeln!(out)
}

pub fn write_shard(l: &ShardLine, out: &mut dyn Write) -> std::io::Result<()> {
    put("shard", l, out)
}

pub fn write_repository(l: &RepositoryLine, out: &mut dyn Write) -> std::io::Result<()> {
    put("repository", l, out)
}

pub fn write_failure(l: &FailureLine, out: &mut dyn Write) -> std::io::Result<()> {
    put("failure", l, out)
}

pub fn write_finding(
    plan: &str,
    shard: &str,
    repository: &str,
    f: &Finding,
    redacted: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let line = FindingLine {
        kind: "finding",
        plan,
        shard,
        repository,
        finding: WireFinding::of(f, redacted),
    };
    serde_json::to_writer(&mut *out, &line)?;
    writeln!(out)
}

/// A finding line as read: its place in the organisation, and the line itself
/// (the report's finding shape, which `verify::recover` reads).
#[derive(Debug, Clone)]
pub struct FindingIn {
    pub plan: String,
    pub shard: String,
    pub repository: String,
    /// The line, canonical (keys sorted, `plan` and `shard` removed): equal
    /// findings from a shard merged twice are equal text.
    pub text: String,
}

/// One line of a shard's output.
#[derive(Debug, Clone)]
pub enum Line {
    Shard(ShardLine),
    Repository(RepositoryLine),
    Failure(FailureLine),
    Finding(FindingIn),
}

#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: String,
    plan: String,
    shard: String,
    #[serde(default)]
    repository: Option<String>,
}

/// Parses one line; the error says what is wrong in a few words.
pub fn parse(text: &str) -> Result<Line, String> {
    let mut value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let head: Head = serde_json::from_value(value.clone())
        .map_err(|e| format!("not a line of `org scan` ({e})"))?;
    let bad = |e: serde_json::Error| format!("bad {} line ({e})", head.kind);
    Ok(match head.kind.as_str() {
        "shard" => Line::Shard(serde_json::from_value(value).map_err(bad)?),
        "repository" => Line::Repository(serde_json::from_value(value).map_err(bad)?),
        "failure" => Line::Failure(serde_json::from_value(value).map_err(bad)?),
        "finding" => {
            let repository = head
                .repository
                .ok_or_else(|| "a finding line without `repository`".to_string())?;
            if let Some(map) = value.as_object_mut() {
                map.remove("plan");
                map.remove("shard");
            }
            Line::Finding(FindingIn {
                plan: head.plan,
                shard: head.shard,
                repository,
                text: value.to_string(),
            })
        }
        other => return Err(format!("unknown line type {other:?}")),
    })
}
