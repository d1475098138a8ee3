//! Standard input as one blob.

use std::io::Read;

use crate::finding::{Provenance, SourceKind};
use crate::source::Scanner;
use crate::stats::Stats;

pub fn scan(scanner: &mut Scanner, name: Option<&str>, max: u64) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    let n = std::io::stdin()
        .lock()
        .take(max.saturating_add(1))
        .read_to_end(&mut buf)?;
    if n as u64 > max {
        anyhow::bail!(
            "standard input is larger than --max-file-size ({})",
            crate::units::human_bytes(max)
        );
    }
    let prov = Provenance {
        source: SourceKind::Stdin,
        path: Some(name.unwrap_or("<stdin>").to_string()),
        commit: None,
        unreached: None,
    };
    Stats::add(&scanner.sink.stats.files, 1);
    Stats::add(&scanner.sink.stats.bytes, n as u64);
    scanner.scan_blob(&buf, &prov);
    Ok(())
}
