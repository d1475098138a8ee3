//! The JSON report on the wire (`--format json` and `jsonl`,
//! `schemas/qrcp-scan-report.schema.json`): one set of types that
//! `report::json` writes and `verify::recover` reads back, so the two cannot drift.
//! Internal types can change without breaking the output contract; a field added
//! here is added to both directions at once. Reading ignores unknown fields (a newer
//! qrcp-scan may add some) and needs only `rule`, `severity` and `source`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Origin};
use crate::rules::Severity;

/// The report `version` this build writes and reads.
pub const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
pub struct Report<'a> {
    pub version: u32,
    #[serde(skip_deserializing)]
    pub tool: Tool,
    pub findings: Vec<WireFinding<'a>>,
    #[serde(skip_deserializing)]
    pub stats: WireStats,
    /// What was asked for and not read in full, with why.
    #[serde(skip_deserializing)]
    pub incomplete: Vec<crate::messages::Incomplete>,
}

#[derive(Serialize, Default)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Serialize, Deserialize)]
pub struct WireFinding<'a> {
    pub rule: Cow<'a, str>,
    pub severity: Severity,
    #[serde(default)]
    pub message: Cow<'a, str>,
    pub path: Option<Cow<'a, str>>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    /// Redacted (`qrcp_live_Ab3x…`) unless the report was written with `--no-redact`.
    pub secret: Option<String>,
    pub fingerprint: Option<Cow<'a, str>>,
    pub encoding: Option<Cow<'a, str>>,
    pub origin: Option<Cow<'a, Origin>>,
    /// `file`, `git`, `git-unreachable`, … (see `SourceKind`).
    pub source: Cow<'a, str>,
    pub commit: Option<Cow<'a, str>>,
    pub author: Option<Cow<'a, str>>,
    pub email: Option<Cow<'a, str>>,
    pub date: Option<Cow<'a, str>>,
    pub verification: Option<Cow<'a, str>>,
}

#[derive(Serialize, Default)]
pub struct WireStats {
    pub files: u64,
    pub bytes: u64,
    pub blobs: u64,
    pub commits: u64,
    pub placeholders: u64,
    pub allowed: u64,
    pub baselined: u64,
    pub skipped: u64,
    pub errors: u64,
    pub elapsed_ms: u64,
}

impl<'a> WireFinding<'a> {
    /// A finding as the report writes it; the secret redacted when `redacted`.
    pub fn of(f: &'a Finding, redacted: bool) -> WireFinding<'a> {
        let commit = f.provenance.commit.as_ref();
        WireFinding {
            rule: Cow::Borrowed(&f.rule),
            severity: f.severity,
            message: Cow::Borrowed(&f.message),
            path: f.provenance.path.as_deref().map(Cow::Borrowed),
            line: f.line,
            column: f.column,
            end_line: f.end_line,
            end_column: f.end_column,
            secret: f.shown_secret(redacted),
            fingerprint: f.fingerprint.as_deref().map(Cow::Borrowed),
            encoding: f.encoding.map(Cow::Borrowed),
            origin: f.origin.as_ref().map(Cow::Borrowed),
            source: Cow::Borrowed(f.provenance.source.as_str()),
            commit: commit.map(|c| Cow::Borrowed(c.id.as_str())),
            author: commit.map(|c| Cow::Borrowed(c.author.as_str())),
            email: commit.map(|c| Cow::Borrowed(c.email.as_str())),
            date: commit.map(|c| Cow::Borrowed(c.date.as_str())),
            verification: f.verification.map(|v| Cow::Borrowed(v.as_str())),
        }
    }
}
