//! `--format json` and `jsonl`: findings and stats into the wire types of
//! [`crate::wire`] (the output contract,
//! `schemas/qrcp-scan-report.schema.json`).

use std::io::Write;

use crate::finding::Finding;
use crate::report::ReportOptions;
use crate::scan::{Scanned, Stats};
use crate::wire::{Report, Tool, VERSION, WireFinding, WireStats};

/// The whole report (`--format json`).
pub fn write_report(
    cfg: &ReportOptions,
    outcome: &Scanned,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let s = &outcome.stats;
    let report = Report {
        version: VERSION,
        tool: Tool {
            name: "qrcp-scan",
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: outcome
            .findings
            .iter()
            .map(|f| WireFinding::of(f, cfg.redact))
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
        incomplete: cfg.incomplete.clone(),
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

/// One `jsonl` line.
pub fn write_line(f: &Finding, redacted: bool, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &WireFinding::of(f, redacted))?;
    writeln!(out)?;
    out.flush()
}
