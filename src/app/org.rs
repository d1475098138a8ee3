//! `org plan`, `org scan`, `org merge`: the org module takes plain options; the
//! configuration, the scan driver and the reporters of single scans are wired here.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};

use super::revoke::revoke_after_scan;
use super::{Exit, Run, open_output};
use crate::cli::{self, Format, OrgCommand, OrgFormat, PlanFormat};
use crate::{audit, messages, org, report, scan, source, verify};

pub fn command(cmd: OrgCommand) -> Result<Exit> {
    match cmd {
        OrgCommand::Plan(a) => {
            let opts = org::PlanOptions {
                repos: a.repos,
                shards: a.shards,
                format: match a.format {
                    PlanFormat::Lines => org::PlanFormat::Lines,
                    PlanFormat::GithubMatrix => org::PlanFormat::GithubMatrix,
                },
            };
            org::plan::run(&opts, &mut std::io::stdout().lock())?;
            Ok(Exit::Clean)
        }
        OrgCommand::Scan(a) => {
            let shard = match (&a.shard, a.shard_from_env, a.shards) {
                (Some(s), _, _) => org::Shard::parse(s)?,
                (None, true, Some(n)) => org::Shard::from_completion_index(
                    std::env::var("JOB_COMPLETION_INDEX").ok().as_deref(),
                    n,
                )?,
                _ => org::Shard::ALL,
            };
            let mut scan_args = default_scan_args()?;
            scan_args.format = Format::Jsonl;
            scan_args.config = a.config;
            scan_args.rules = a.rules;
            scan_args.no_redact = a.no_redact;
            scan_args.threads = a.threads;
            scan_args.max_file_size = a.max_file_size;
            scan_args.no_progress = true;
            let cfg = Run::new(&scan_args, Path::new("."))?;
            let opts = org::ScanOptions {
                repos: a.repos,
                shard,
                cache: a.cache.unwrap_or_else(org::default_cache),
                output: a.output,
                redact: cfg.redact,
            };
            let git = source::git::GitOptions {
                selection: source::git::Selection::All,
                not_remotes: false,
            };
            let sources = cfg.sources();
            let scan_repo = |dir: &Path| {
                let mut outcome = scan::run(
                    cfg.filters(),
                    cfg.progress,
                    |sink| source::git::scan(dir, &git, &sources, sink),
                    None,
                )?;
                // Worded as `qrcp-scan git` words them (a dotenv file: committed).
                super::scan::word(&cfg.rules, &mut outcome.findings);
                Ok(outcome)
            };
            let t = org::scan::run(&opts, &scan_repo)?;
            Ok(if t.findings > 0 {
                Exit::Findings
            } else if t.failed > 0 || messages::error_count() > 0 {
                Exit::Error
            } else {
                Exit::Clean
            })
        }
        OrgCommand::Merge(a) => {
            let mut scan_args = default_scan_args()?;
            scan_args.output = a.output;
            scan_args.rules = a.rules;
            scan_args.no_redact = a.no_redact;
            scan_args.verify = a.verify;
            scan_args.revoke = a.revoke;
            scan_args.revocation = a.revocation;
            scan_args.api = a.api;
            scan_args.no_progress = true;
            let cfg = Run::new(&scan_args, Path::new("."))?;
            let opts = org::MergeOptions {
                inputs: a.inputs,
                cache: a.cache.unwrap_or_else(org::default_cache),
                read_keys: a.verify || a.revoke || a.no_redact,
            };
            let mut m = org::merge::run(&opts, Arc::clone(&cfg.rules))?;
            if let (true, Some(api)) = (cfg.verify, &cfg.api) {
                let settled = verify::verify_targets(api, &m.targets)?;
                verify::apply_verdicts(&m.targets, &settled, &mut m.findings);
            }
            let ropts = cfg.report(messages::error_count(), messages::Incomplete::all());
            let mut out = open_output(&cfg)?;
            match a.format {
                OrgFormat::Human => org::render::write_human(&m, cfg.redact, &mut *out),
                OrgFormat::Json => org::render::write_json(&m, cfg.redact, &mut *out),
                OrgFormat::Sarif => {
                    report::sarif::write(&ropts, &org::render::prefixed(&m), &mut *out)
                }
                OrgFormat::Html => {
                    let page = audit::html::render(&ropts, &org::render::audit(&m));
                    out.write_all(page.as_bytes())
                }
            }
            .context("cannot write the report")?;
            out.flush().context("cannot write the report")?;
            let exit = if !m.findings.is_empty() {
                Exit::Findings
            } else if m.incomplete() || messages::error_count() > 0 {
                Exit::Error
            } else {
                Exit::Clean
            };
            revoke_after_scan(&cfg, m.targets.clone(), exit)
        }
    }
}

/// Options common to scans as clap gives them when none is on the command line
/// (`org` fills in its own).
fn default_scan_args() -> Result<cli::ScanArgs> {
    use clap::{Args, FromArgMatches};
    let cmd = cli::ScanArgs::augment_args(clap::Command::new("qrcp-scan"));
    Ok(cli::ScanArgs::from_arg_matches(
        &cmd.try_get_matches_from(["qrcp-scan"])?,
    )?)
}
