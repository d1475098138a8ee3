//! `baseline create`: any scan command, its findings written as a baseline instead
//! of a report.

use std::io::Write;

use anyhow::{Context, Result};

use super::Exit;
use crate::config::Config;
use crate::filter::baseline::Baseline;
use crate::{messages, scan};

/// Runs the scan and writes its findings to `out` as a baseline.
pub fn create<F>(cfg: &Config, produce: F, out: &mut dyn Write) -> Result<Exit>
where
    F: FnOnce(scan::Sink) -> Result<()> + Send,
{
    if cfg.verify || cfg.revoke.is_some() {
        anyhow::bail!("baseline create does not take --verify or --revoke");
    }
    let outcome = scan::run(cfg.filters(), cfg.progress, produce, None)?;
    Baseline::write(&outcome.findings, &mut *out).context("cannot write the baseline")?;
    out.flush().context("cannot write the baseline")?;
    let n = outcome.findings.len();
    eprintln!(
        "qrcp-scan: baseline of {n} finding{}",
        if n == 1 { "" } else { "s" }
    );
    // The baseline of a scan that did not read everything would let what it
    // missed pass later runs unseen: the same rule as every scan.
    Ok(
        if messages::error_count() > 0 || messages::Incomplete::count() > 0 {
            Exit::Error
        } else {
            Exit::Clean
        },
    )
}
