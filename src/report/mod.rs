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

/// `38.2 MB` (decimal, as people read sizes).
pub fn human_bytes(n: u64) -> String {
    const UNITS: &[&str] = &["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `1,204`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(thousands(1204), "1,204");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(human_bytes(38_200_000), "38.2 MB");
        assert_eq!(human_bytes(12), "12 B");
    }
}
