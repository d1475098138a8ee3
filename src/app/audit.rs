//! `audit`: everything about one repository, grouped per key, with a to-do list.

use std::io::Write;

use anyhow::{Context, Result};

use super::Run;
use super::{Exit, exit_status, open_output, repo_dirs, revoke::revoke_after_scan};
use crate::cli::AuditArgs;
use crate::report::Format;
use crate::{audit, finding, messages, report, verify};

pub fn command(args: AuditArgs) -> Result<Exit> {
    let html = args
        .html
        .as_deref()
        .map(audit::check_html_path)
        .transpose()?;
    let (_, root) = repo_dirs(&args.repo)?;
    let mut scan_args = args.scan;
    // Revoking "the keys found live" needs to know which are.
    scan_args.verify |= scan_args.revoke;
    let cfg = Run::new(&scan_args, &root)?;
    let a = audit::collect(
        &args.repo,
        &audit::AuditOptions {
            sources: cfg.sources(),
            filters: cfg.filters(),
            progress: cfg.progress,
            redact: cfg.redact,
            verify: cfg.api.as_ref().filter(|_| cfg.verify),
        },
    )?;
    let ropts = cfg.report(messages::error_count(), messages::Incomplete::all());
    if let Some(path) = &html {
        std::fs::write(path, audit::html::render(&ropts, &a))
            .with_context(|| format!("{}: cannot write the HTML report", path.display()))?;
    }
    let mut out = open_output(&cfg)?;
    match cfg.format {
        Format::Human => audit::text::write(&ropts, &a, &mut *out),
        Format::Json => audit::write_json(&ropts, &a, &mut *out),
        Format::Jsonl => a
            .outcome
            .findings
            .iter()
            .try_for_each(|f| report::json::write_line(f, cfg.redact, &mut *out)),
        _ => report::write(&ropts, &a.outcome, &mut *out),
    }
    .context("cannot write the report")?;
    out.flush().context("cannot write the report")?;
    if let Some(path) = &html {
        messages::note(&path.display().to_string(), "HTML report written");
    }
    let exit = exit_status(&cfg, &a.outcome.findings);
    if cfg.revoke.is_none() {
        return Ok(exit);
    }
    let live: Vec<finding::Finding> = a
        .outcome
        .findings
        .iter()
        .filter(|f| f.verification == Some(finding::Verification::Active))
        .cloned()
        .collect();
    let targets = verify::targets_of(&live);
    if targets.is_empty() {
        messages::note("revoke", "no key was found live: nothing to revoke");
        return Ok(exit);
    }
    revoke_after_scan(&cfg, targets, exit)
}
