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
    /// Columns the human format fits every line in.
    pub width: usize,
    /// The rules the findings came from (names, help, references).
    pub rules: Arc<RuleSet>,
    /// Inputs that failed during the scan (counted and reported in the summary).
    pub errors: u64,
    /// What was asked for and not read in full (`messages::Incomplete`).
    pub incomplete: Vec<crate::messages::Incomplete>,
    /// Where the scanned paths are (SARIF's `%SRCROOT%`); `None` when no folder
    /// applies (standard input, a site).
    pub base: Option<PathBase>,
}

/// The scanned root and the folder the scan ran in, both absolute: file paths as
/// printed are relative to `cwd` (or absolute), git paths relative to `root`.
#[derive(Clone, Debug)]
pub struct PathBase {
    pub root: std::path::PathBuf,
    pub cwd: std::path::PathBuf,
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

/// `a/./b/../c` -> `a/c`, without touching the file system (symbolic links stay).
pub fn normalize(p: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
