//! `--format json` and `jsonl`: serialize-only wire structs, so that internal types
//! can change without breaking the output contract
//! (`shared/schemas/qrcp-scan-report.schema.json`).

use std::io::Write;

use serde::Serialize;

use crate::finding::{Finding, Origin, SourceKind};
use crate::report::ReportOptions;
use crate::scan::{Scanned, Stats};

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<WireFinding<'a>>,
    stats: WireStats,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
pub struct WireFinding<'a> {
    rule: &'a str,
    severity: &'a str,
    message: &'a str,
    path: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    secret: Option<String>,
    fingerprint: Option<&'a str>,
    encoding: Option<&'a str>,
    origin: Option<&'a Origin>,
    source: SourceKind,
    commit: Option<&'a str>,
    author: Option<&'a str>,
    email: Option<&'a str>,
    date: Option<&'a str>,
    verification: Option<&'a str>,
}

#[derive(Serialize)]
struct WireStats {
    files: u64,
    bytes: u64,
    blobs: u64,
    commits: u64,
    placeholders: u64,
    allowed: u64,
    baselined: u64,
    skipped: u64,
    errors: u64,
    elapsed_ms: u64,
}

pub fn wire(f: &Finding, redacted: bool) -> WireFinding<'_> {
    let commit = f.provenance.commit.as_ref();
    WireFinding {
        rule: &f.rule,
        severity: f.severity.as_str(),
        message: &f.message,
        path: f.provenance.path.as_deref(),
        line: f.line,
        column: f.column,
        end_line: f.end_line,
        end_column: f.end_column,
        secret: f.shown_secret(redacted),
        fingerprint: f.fingerprint.as_deref(),
        encoding: f.encoding,
        origin: f.origin.as_ref(),
        source: f.provenance.source,
        commit: commit.map(|c| c.id.as_str()),
        author: commit.map(|c| c.author.as_str()),
        email: commit.map(|c| c.email.as_str()),
        date: commit.map(|c| c.date.as_str()),
        verification: f.verification,
    }
}

pub fn write_report(
    cfg: &ReportOptions,
    outcome: &Scanned,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let s = &outcome.stats;
    let report = Report {
        version: 1,
        tool: Tool {
            name: "qrcp-scan",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: outcome
            .findings
            .iter()
            .map(|f| wire(f, cfg.redact))
            .collect(),
        stats: WireStats {
            files: Stats::get(&s.files),
            bytes: Stats::get(&s.bytes),
            blobs: Stats::get(&s.blobs),
            commits: Stats::get(&s.commits),
            placeholders: Stats::get(&s.placeholders),
            allowed: Stats::get(&s.allowed),
            baselined: Stats::get(&s.baselined),
            skipped: Stats::get(&s.skipped),
            errors: cfg.errors,
            elapsed_ms: outcome.elapsed.as_millis() as u64,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

/// One `jsonl` line.
pub fn write_line(f: &Finding, redacted: bool, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &wire(f, redacted))?;
    writeln!(out)?;
    out.flush()
}
