//! Reporters: sorted findings and stats in, bytes out. They never scan; they decide
//! redaction (`--no-redact`) and escaping for their medium.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod revocation;
pub mod sarif;

use std::io::Write;

use std::sync::Arc;

use crate::rules::RuleSet;
use crate::scan::Scanned;

/// The report formats (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Jsonl,
    Sarif,
    Junit,
    Github,
}

/// What reporters need besides the findings and stats: handed in by the command,
/// never read from the configuration or from globals.
#[derive(Clone)]
pub struct ReportOptions {
    pub format: Format,
    /// Secrets shown redacted (everything but `--no-redact`).
    pub redact: bool,
    pub color: bool,
    /// The rules the findings came from (names, help, references).
    pub rules: Arc<RuleSet>,
    /// Inputs that failed during the scan (counted and reported in the summary).
    pub errors: u64,
    /// What was asked for and not read in full (`messages::Incomplete`).
    pub incomplete: Vec<crate::messages::Incomplete>,
}

/// Writes the whole report for every format except `jsonl` (streamed as found).
pub fn write(cfg: &ReportOptions, outcome: &Scanned, out: &mut dyn Write) -> std::io::Result<()> {
    match cfg.format {
        Format::Human => human::write(cfg, outcome, out),
        Format::Json => json::write_report(cfg, outcome, out),
        Format::Jsonl => Ok(()),
        Format::Sarif => sarif::write(cfg, &outcome.findings, out),
        Format::Junit => junit::write(cfg, outcome, out),
        Format::Github => github::write(cfg, &outcome.findings, out),
    }
}
