//! `audit --format json`: the groups, with every location in the report's finding
//! shape.

use super::*;

/// `audit --format json`: the groups, with every location in the report's
/// finding shape.
pub fn write_json(
    cfg: &crate::report::ReportOptions,
    a: &Audit,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use crate::wire::{AuditKey, AuditReport, WireFinding};
    let s = &a.outcome.stats;
    let doc = AuditReport {
        version: 1,
        tool: "qrcp-scan",
        repository: &a.repo,
        head: a.head.as_deref(),
        keys: a
            .keys
            .iter()
            .map(|g| AuditKey {
                group: g,
                status: g.status(),
                locations: g
                    .locations
                    .iter()
                    .map(|f| WireFinding::of(f, cfg.redact))
                    .collect(),
            })
            .collect(),
        dotenv_files: &a.dotenv,
        client_exposed: a
            .exposed
            .iter()
            .map(|f| WireFinding::of(f, cfg.redact))
            .collect(),
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
