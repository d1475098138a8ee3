//! The scan commands (`dir`, `stdin`, `url`, `git`, `staged`) and what follows every
//! scan: verification, the report, revocation and the exit status.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};

use super::Run;
use super::revoke::revoke_after_scan;
use super::{Exit, config_root, exit_status, open_output, repo_dirs};
use crate::cli::ScanCommand;
use crate::report::Format;
use crate::{decode, finding, messages, report, scan, source, verify};

/// What a scan produces: a report, or a baseline of its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Report,
    Baseline,
}

pub fn command(cmd: ScanCommand, mode: Mode) -> Result<Exit> {
    match cmd {
        ScanCommand::Dir(args) => {
            let root = config_root(&args.paths);
            let cfg = Run::new(&args.scan, &root)?;
            let opts = source::fs::WalkOptions {
                no_ignore: args.no_ignore,
                follow: args.follow,
                binary: args.binary,
            };
            let paths = args.paths.clone();
            scan_with(&cfg, mode, |sink| {
                source::fs::scan(&paths, &opts, &cfg.sources(), sink)
            })
        }
        ScanCommand::Stdin(args) => {
            let cfg = Run::new(&args.scan, Path::new("."))?;
            let name = args.name.clone();
            scan_with(&cfg, mode, |sink| {
                let mut scanner =
                    source::Scanner::new(decode::detector(Arc::clone(&cfg.rules))?, sink)
                        .with_max_member(cfg.max_file_size);
                source::stdin::scan(&mut scanner, name.as_deref(), cfg.max_file_size)
            })
        }
        ScanCommand::Url(args) => {
            let cfg = Run::new(&args.scan, Path::new("."))?;
            if !(args.timeout.is_finite() && args.timeout > 0.0) {
                anyhow::bail!("--timeout must be a positive number of seconds");
            }
            let opts = source::url::UrlOptions {
                cross_origin: args.cross_origin,
                allow_private_addresses: args.allow_private_addresses,
                max_scripts: args.max_scripts,
                max_bytes: cfg.max_file_size,
                timeout: std::time::Duration::from_secs_f64(args.timeout),
            };
            let urls = args.urls.clone();
            scan_with(&cfg, mode, |sink| {
                let mut scanner =
                    source::Scanner::new(decode::detector(Arc::clone(&cfg.rules))?, sink)
                        .with_max_member(cfg.max_file_size);
                source::url::scan(&urls, &opts, &mut scanner)
            })
        }
        ScanCommand::Git(args) => {
            use source::git::{GitOptions, Selection};
            // Before any thread starts (progress, the scan's producer).
            source::git::limit_mapped_packs();
            let (git_dir, root) = repo_dirs(&args.repo)?;
            let cfg = Run::new(&args.scan, &root)?;
            let selection = match (&args.since, &args.range, &args.branch) {
                (Some(rev), _, _) => Selection::Since(rev.clone()),
                (_, Some(spec), _) => Selection::Range(spec.clone()),
                (_, _, Some(rev)) => Selection::Branch(rev.clone()),
                _ => Selection::All,
            };
            if args.not_remotes && matches!(selection, Selection::All) {
                anyhow::bail!("--not-remotes needs --since, --range or --branch");
            }
            let opts = GitOptions {
                selection,
                not_remotes: args.not_remotes,
            };
            scan_with(&cfg, mode, |sink| {
                source::git::scan(&git_dir, &opts, &cfg.sources(), sink)
            })
        }
        ScanCommand::Staged(args) => {
            let (git_dir, root) = repo_dirs(&args.repo)?;
            let cfg = Run::new(&args.scan, &root)?;
            scan_with(&cfg, mode, |sink| {
                source::staged::scan(&git_dir, &cfg.sources(), sink)
            })
        }
    }
}

/// Runs a scan, writes the report (or the baseline), and decides the exit status.
pub fn scan_with<F>(cfg: &Run, mode: Mode, produce: F) -> Result<Exit>
where
    F: FnOnce(scan::Sink) -> Result<()> + Send,
{
    let mut out = open_output(cfg)?;
    if mode == Mode::Baseline {
        return super::baseline::create(cfg, produce, &mut *out);
    }
    // `jsonl` streams findings as they are found, unless verdicts must come first.
    let stream = cfg.format == Format::Jsonl && !cfg.verify;
    let outcome = if stream {
        let redacted = cfg.redact;
        let w: &mut dyn Write = &mut *out;
        let mut line = |f: &finding::Finding| report::json::write_line(f, redacted, w);
        scan::run(cfg.filters(), cfg.progress, produce, Some(&mut line))?
    } else {
        scan::run(cfg.filters(), cfg.progress, produce, None)?
    };
    deliver(cfg, outcome, &mut *out, stream, None)
}

/// After the findings are known: verify (`--verify`), write the report, revoke
/// (`--revoke`, outcomes on standard error), and decide the exit status.
///
/// `targets` are the keys to revoke when they are not simply the findings' own
/// (a report's keys, some of which could not be read back).
pub fn deliver(
    cfg: &Run,
    mut outcome: scan::Scanned,
    out: &mut dyn Write,
    streamed: bool,
    targets: Option<Vec<verify::Target>>,
) -> Result<Exit> {
    if cfg.verify
        && let Some(api) = &cfg.api
    {
        verify::verify_findings(api, &mut outcome.findings)?;
    }
    if cfg.format == Format::Jsonl && !streamed {
        for f in &outcome.findings {
            report::json::write_line(f, cfg.redact, out).context("cannot write the report")?;
        }
    }
    report::write(&cfg.report(messages::error_count()), &outcome, out)
        .context("cannot write the report")?;
    out.flush().context("cannot write the report")?;
    let exit = exit_status(cfg, &outcome.findings);
    match (&cfg.revoke, &cfg.api) {
        (Some(_), Some(_)) => {
            let targets = targets.unwrap_or_else(|| verify::targets_of(&outcome.findings));
            revoke_after_scan(cfg, targets, exit)
        }
        _ => Ok(exit),
    }
}
