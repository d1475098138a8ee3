//! `verify`: a scan with `--verify`, or the keys of an earlier report.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;

use super::Run;
use super::scan::{Mode, command as scan_command, deliver};
use super::{Exit, open_output};
use crate::cli::{ScanCommand, VerifyArgs};
use crate::config::Config;
use crate::{scan, verify};

pub fn command(args: VerifyArgs) -> Result<Exit> {
    let VerifyArgs { report, root, dir } = args;
    let Some(report) = report else {
        let mut dir = dir;
        dir.scan.verify = true;
        return scan_command(ScanCommand::Dir(dir), Mode::Report);
    };
    let start = std::time::Instant::now();
    let root = root.unwrap_or_else(|| PathBuf::from("."));
    let mut scan_args = dir.scan;
    scan_args.verify = true;
    let cfg = Run::new(&scan_args, &root)?;
    let loaded = verify::recover::load(&report, &root, Arc::clone(&cfg.rules))?;
    let mut findings = loaded.findings;
    if let Some(api) = &cfg.api {
        let settled = verify::verify_targets(api, &loaded.targets)?;
        verify::apply_verdicts(&loaded.targets, &settled, &mut findings);
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let stats = scan::Stats::default();
    let mut paths: Vec<_> = findings
        .iter()
        .filter_map(|f| f.provenance.path.as_deref())
        .collect();
    paths.dedup();
    scan::Stats::add(&stats.files, paths.len() as u64);
    let outcome = scan::Scanned {
        findings,
        stats: Arc::new(stats),
        elapsed: start.elapsed(),
    };
    // Verified above: `deliver` must not send the keys again.
    let cfg = Run {
        cfg: Config {
            verify: false,
            ..cfg.cfg
        },
        api: cfg.api,
        root: cfg.root,
        hook: cfg.hook,
    };
    let mut out = open_output(&cfg)?;
    deliver(&cfg, outcome, &mut *out, false, Some(loaded.targets))
}
