//! The JSON report on the wire (`--format json` and `jsonl`,
//! `schemas/qrcp-scan-report.schema.json`, and `audit --format json`, whose keys
//! list their locations as report findings): one set of types that `report::json`
//! and `audit::json` write and `verify::recover` reads back, so they cannot drift.
//! Internal types can change without breaking the output contract; a field added
//! here is added to both directions at once. Reading ignores unknown fields (a newer
//! qrcp-scan may add some) and needs only `rule`, `severity` and `source`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::finding::{Encoding, Finding, Hop, Origin};
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
    /// The outermost decoding; `None` too for a name this build does not know (a
    /// newer report's), which is read as no decoding rather than refused.
    #[serde(default, deserialize_with = "known_encoding")]
    pub encoding: Option<Encoding>,
    /// Every decoding, outermost first; written only when there is one.
    #[serde(
        default,
        skip_serializing_if = "<[Encoding]>::is_empty",
        deserialize_with = "known_encodings"
    )]
    pub decoding: Cow<'a, [Encoding]>,
    /// The containers the finding sits in, outermost first; written only when there
    /// is one.
    #[serde(default, skip_serializing_if = "<[Hop]>::is_empty")]
    pub hops: Cow<'a, [Hop]>,
    pub origin: Option<Cow<'a, Origin>>,
    /// `file`, `git`, `git-unreachable`, … (see `SourceKind`).
    pub source: Cow<'a, str>,
    pub commit: Option<Cow<'a, str>>,
    pub author: Option<Cow<'a, str>>,
    pub email: Option<Cow<'a, str>>,
    pub date: Option<Cow<'a, str>>,
    pub verification: Option<Cow<'a, str>>,
    /// The key runs into binary data and may end earlier (present when true).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ambiguous_end: bool,
}

/// `audit --format json`: the key groups (`G`, the audit's own type, flattened) with
/// their locations as report findings, the dotenv files (`D`) and the findings of
/// client-exposed variables.
#[derive(Serialize)]
pub struct AuditReport<'a, G: Serialize, D: Serialize> {
    pub version: u32,
    pub tool: &'static str,
    pub repository: &'a str,
    pub head: Option<&'a str>,
    pub keys: Vec<AuditKey<'a, G>>,
    pub dotenv_files: &'a [D],
    pub client_exposed: Vec<WireFinding<'a>>,
    pub todo: &'a [String],
    pub stats: serde_json::Value,
}

#[derive(Serialize)]
pub struct AuditKey<'a, G: Serialize> {
    #[serde(flatten)]
    pub group: &'a G,
    pub status: &'static str,
    pub locations: Vec<WireFinding<'a>>,
}

/// What a reader needs of an audit's JSON: every location of every key.
#[derive(Deserialize)]
pub struct AuditReportIn {
    pub keys: Vec<AuditKeyIn>,
    #[serde(default)]
    pub client_exposed: Vec<WireFinding<'static>>,
}

#[derive(Deserialize)]
pub struct AuditKeyIn {
    pub locations: Vec<WireFinding<'static>>,
}

/// `revoke --format json` (and `verify --report --revoke`): one outcome per key.
#[derive(Serialize)]
pub struct OutcomeReport<'a> {
    pub version: u32,
    pub tool: Tool,
    pub dry_run: bool,
    pub keys: Vec<OutcomeKey<'a>>,
    pub summary: OutcomeSummary,
}

#[derive(Serialize)]
pub struct OutcomeKey<'a> {
    /// Redacted.
    pub key: &'a str,
    pub fingerprint: &'a str,
    pub live: bool,
    /// `path:line`, `commit:path:line` or `commit:<commit message>:line`.
    pub location: &'a str,
    pub other_locations: usize,
    pub outcome: &'static str,
    pub status: Option<u16>,
    pub detail: Option<&'a str>,
    pub attempts: u32,
}

#[derive(Serialize)]
pub struct OutcomeSummary {
    pub keys: usize,
    pub revoked: usize,
    pub already_inactive: usize,
    pub failed: usize,
    pub would_revoke: usize,
}

/// What a reader needs of an `OutcomeReport`: each key and where its first
/// location is (`commit:path:line`, see `verify::location_of`).
#[derive(Deserialize)]
pub struct OutcomeReportIn {
    pub keys: Vec<OutcomeKeyIn>,
}

#[derive(Deserialize)]
pub struct OutcomeKeyIn {
    pub key: String,
    pub fingerprint: String,
    pub location: String,
}

/// Every JSON document qrcp-scan writes that names keys, as read back.
pub enum AnyReport {
    Scan(Vec<WireFinding<'static>>),
    Audit(AuditReportIn),
    Outcomes(OutcomeReportIn),
}

impl AnyReport {
    /// Tells the documents apart by their fields (`findings`, keys with
    /// `locations`, keys with `outcome`), then reads the one it is; a `jsonl`
    /// stream is one finding per line. The error names what was expected.
    pub fn parse(text: &str) -> Result<AnyReport, String> {
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                let lines: Result<Vec<WireFinding<'static>>, _> = text
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(serde_json::from_str)
                    .collect();
                return match lines {
                    Ok(v) if !v.is_empty() => Ok(AnyReport::Scan(v)),
                    _ => Err(format!("not JSON ({e})")),
                };
            }
        };
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        if version.is_some_and(|v| v != u64::from(VERSION)) {
            return Err(format!(
                "report version {} is not supported ({VERSION} is)",
                version.unwrap_or_default()
            ));
        }
        let first_key = value
            .get("keys")
            .and_then(|k| k.as_array())
            .and_then(|k| k.first());
        let bad = |what: &str, e: serde_json::Error| format!("not a qrcp-scan {what} ({e})");
        if value.get("findings").is_some() {
            let r: Report = serde_json::from_value(value).map_err(|e| bad("scan report", e))?;
            Ok(AnyReport::Scan(r.findings))
        } else if value.get("keys").is_some() && value.get("summary").is_some() {
            let r = serde_json::from_value(value).map_err(|e| bad("revoke or verify report", e))?;
            Ok(AnyReport::Outcomes(r))
        } else if value.get("keys").is_some()
            && first_key.is_none_or(|k| k.get("locations").is_some())
        {
            let r = serde_json::from_value(value).map_err(|e| bad("audit report", e))?;
            Ok(AnyReport::Audit(r))
        } else if let Ok(one) = serde_json::from_value::<WireFinding<'static>>(value) {
            // A `jsonl` stream of one finding.
            Ok(AnyReport::Scan(vec![one]))
        } else {
            Err(
                "not a qrcp-scan JSON report (expected the JSON or JSONL of a scan, of \
                 audit, or of revoke/verify --report)"
                    .into(),
            )
        }
    }
}

/// An `encoding` read leniently: a name this build does not know is no encoding.
fn known_encoding<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Encoding>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(v.and_then(|v| serde_json::from_value(v).ok()))
}

/// `decoding` read leniently: names this build does not know are left out.
fn known_encodings<'de, 'a, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Cow<'a, [Encoding]>, D::Error> {
    let v = Option::<Vec<serde_json::Value>>::deserialize(d)?.unwrap_or_default();
    Ok(Cow::Owned(
        v.into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect(),
    ))
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
            encoding: f.encoding(),
            decoding: Cow::Borrowed(&f.decoding),
            hops: Cow::Borrowed(&f.hops),
            origin: f.origin.as_ref().map(Cow::Borrowed),
            source: Cow::Borrowed(f.provenance.source.as_str()),
            commit: commit.map(|c| Cow::Borrowed(c.id.as_str())),
            author: commit.map(|c| Cow::Borrowed(c.author.as_str())),
            email: commit.map(|c| Cow::Borrowed(c.email.as_str())),
            date: commit.map(|c| Cow::Borrowed(c.date.as_str())),
            verification: f.verification.map(|v| Cow::Borrowed(v.as_str())),
            ambiguous_end: f.ambiguous_end,
        }
    }
}
