//! `revoke --report FILE`, and `--revoke` after a scan or an audit.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};

use super::Exit;
use super::{Run, api_config};
use crate::cli::{OutcomeFormat, RevokeArgs};
use crate::config;
use crate::sanitize::sanitize;
use crate::{report, rules, verify};

/// `revoke --report FILE`: read the keys back, confirm, revoke, print the outcomes.
pub fn command(args: RevokeArgs) -> Result<Exit> {
    let settings = config::revoke_settings(&args.revoke);
    let api = api_config(&config::api_settings(&args.api)?);
    verify::check_confirmable(&settings)?;
    let root = args.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let rules = Arc::new(rules::RuleSet::load(&args.rules.files)?);
    let loaded = verify::recover::load(&args.report, &root, rules)?;
    let rows = verify::revoke_targets(&api, &settings, loaded.targets, &confirm)?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .with_context(|| format!("{}: cannot create the output file", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    match args.format {
        OutcomeFormat::Human => report::revocation::write_human(&rows, settings.dry_run, &mut *out),
        OutcomeFormat::Json => report::revocation::write_json(&rows, settings.dry_run, &mut *out),
    }
    .context("cannot write the outcomes")?;
    out.flush().context("cannot write the outcomes")?;
    Ok(
        if rows
            .iter()
            .any(|(_, s)| s.outcome == verify::Verdict::Failed)
        {
            Exit::Findings
        } else {
            Exit::Clean
        },
    )
}

/// `--revoke` after a scan: revokes `targets`, prints the outcomes on standard
/// error, and makes a clean run's status 1 when a revocation failed.
pub fn revoke_after_scan(cfg: &Run, targets: Vec<verify::Target>, exit: Exit) -> Result<Exit> {
    let (Some(settings), Some(api)) = (&cfg.revoke, &cfg.api) else {
        return Ok(exit);
    };
    let rows = verify::revoke_targets(api, settings, targets, &confirm)?;
    let mut err = std::io::stderr().lock();
    report::revocation::write_human(&rows, settings.dry_run, &mut err)?;
    let failed = rows
        .iter()
        .any(|(_, s)| s.outcome == verify::Verdict::Failed);
    Ok(if failed && exit == Exit::Clean {
        Exit::Findings
    } else {
        exit
    })
}

/// Lists the keys on standard error and asks. Only called on a terminal.
fn confirm(api: &verify::ApiConfig, targets: &[verify::Target]) -> Result<bool> {
    let mut err = std::io::stderr().lock();
    let n = targets.len();
    writeln!(
        err,
        "qrcp-scan: about to revoke {n} key{} through {}:",
        if n == 1 { "" } else { "s" },
        sanitize(&api.base.url)
    )?;
    for t in targets {
        writeln!(err, "  {}  {}", t.redacted, sanitize(&t.location))?;
    }
    write!(err, "Revoke {}? [y/N] ", if n == 1 { "it" } else { "them" })?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
