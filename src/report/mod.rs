//! Reporters: sorted findings and stats in, bytes out. They never scan; they decide
//! redaction (`--no-redact`) and escaping for their medium.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod revocation;
pub mod sarif;

use std::io::Write;

use crate::cli::Format;
use crate::config::Config;
use crate::scan::Outcome;

/// Writes the whole report for every format except `jsonl` (streamed as found).
pub fn write(cfg: &Config, outcome: &Outcome, out: &mut dyn Write) -> std::io::Result<()> {
    match cfg.format {
        Format::Human => human::write(cfg, outcome, out),
        Format::Json => json::write_report(cfg, outcome, out),
        Format::Jsonl => Ok(()),
        Format::Sarif => sarif::write(cfg, &outcome.findings, out),
        Format::Junit => junit::write(cfg, outcome, out),
        Format::Github => github::write(cfg, &outcome.findings, out),
    }
}
