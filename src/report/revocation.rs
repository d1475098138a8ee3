//! Revocation outcomes: a table and a summary line for people, one JSON object
//! for machines. Keys appear redacted only; places are escaped for the terminal.

use std::io::Write;

use crate::sanitize::sanitize;
use crate::verify::{Settled, Target, Verdict};
use crate::wire::{OutcomeKey, OutcomeReport, OutcomeSummary, Tool, VERSION};

pub type Row = (Target, Settled);

fn place(t: &Target) -> String {
    let mut s = sanitize(&t.location).into_owned();
    if t.more > 0 {
        s += &format!(" (+{} more)", t.more);
    }
    s
}

fn status(s: &Settled) -> String {
    s.status.map_or_else(|| "-".into(), |c| c.to_string())
}

pub fn write_human(rows: &[Row], dry_run: bool, out: &mut dyn Write) -> std::io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "no QRCodePro keys to revoke");
    }
    let header = [
        "KEY",
        "FINGERPRINT",
        "LOCATION",
        "OUTCOME",
        "STATUS",
        "DETAIL",
    ];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|(t, s)| {
            [
                t.redacted.clone(),
                t.fingerprint.chars().take(12).collect(),
                place(t),
                s.outcome.as_str().to_string(),
                status(s),
                sanitize(s.detail.as_deref().unwrap_or("")).into_owned(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cols: &[&str]| {
        let mut l = String::new();
        for (i, c) in cols.iter().enumerate() {
            if i + 1 == cols.len() {
                l += c;
            } else {
                let pad = widths[i] - c.chars().count();
                l += c;
                l += &" ".repeat(pad + 2);
            }
        }
        l.trim_end().to_string()
    };
    writeln!(out, "{}", line(&header))?;
    for row in &cells {
        let cols: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&cols))?;
    }
    writeln!(out, "{}", summary(rows, dry_run))
}

pub fn summary(rows: &[Row], dry_run: bool) -> String {
    let count = |o: Verdict| rows.iter().filter(|(_, s)| s.outcome == o).count();
    let n = rows.len();
    let keys = format!("{n} key{}", if n == 1 { "" } else { "s" });
    if dry_run {
        let would = count(Verdict::WouldRevoke);
        let mut s = format!("dry run: {would} of {keys} would be revoked; nothing was sent");
        let failed = count(Verdict::Failed);
        if failed > 0 {
            s += &format!(" ({failed} could not be read back)");
        }
        return s;
    }
    format!(
        "{keys}: {} revoked, {} already inactive, {} failed",
        count(Verdict::Revoked),
        count(Verdict::AlreadyInactive),
        count(Verdict::Failed)
    )
}

pub fn write_json(rows: &[Row], dry_run: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let count = |o: Verdict| rows.iter().filter(|(_, s)| s.outcome == o).count();
    let wire = OutcomeReport {
        version: VERSION,
        tool: Tool {
            name: "qrcp-scan",
            version: env!("CARGO_PKG_VERSION"),
        },
        dry_run,
        keys: rows
            .iter()
            .map(|(t, s)| OutcomeKey {
                key: &t.redacted,
                fingerprint: &t.fingerprint,
                live: t.live,
                location: &t.location,
                other_locations: t.more,
                outcome: s.outcome.as_str(),
                status: s.status,
                detail: s.detail.as_deref(),
                attempts: s.attempts,
            })
            .collect(),
        summary: OutcomeSummary {
            keys: rows.len(),
            revoked: count(Verdict::Revoked),
            already_inactive: count(Verdict::AlreadyInactive),
            failed: count(Verdict::Failed),
            would_revoke: count(Verdict::WouldRevoke),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &wire)?;
    writeln!(out)
}
