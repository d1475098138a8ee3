//! `org scan`: one shard of the organisation. Each repository of the shard is
//! obtained (read in place, or cloned into the cache), its whole history scanned
//! by the function the caller hands in (the `git` scan), and written to the JSONL
//! as it finishes: its findings, then its summary, or one failure line with the
//! reason. A repository is never silently missing.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::org::repos::{self, Repo};
use crate::org::wire::{self, FailureLine, RepositoryLine, ShardLine};
use crate::org::{ScanOptions, fetch, plan};
use crate::scan::Scanned;
use crate::stats::Stats;

/// Scans the whole history of the repository whose git folder is given.
pub type ScanRepo<'a> = &'a dyn Fn(&Path) -> Result<Scanned>;

/// What one shard came to: the caller turns it into the exit status.
#[derive(Debug, Default, Clone, Copy)]
pub struct Totals {
    pub findings: usize,
    pub failed: usize,
    /// Objects or files that could not be read, over the shard.
    pub errors: u64,
    /// Places not read in full, over the shard.
    pub incomplete: usize,
}

pub fn run(opts: &ScanOptions, scan_repo: ScanRepo) -> Result<Totals> {
    let mut list = repos::read_list(&opts.repos)?;
    repos::measure(&mut list);
    let plan_id = repos::plan_id(&list);
    let mine = plan::shard_of(&list, opts.shard);
    let shard = opts.shard.to_string();
    let file = std::fs::File::create(&opts.output)
        .with_context(|| format!("{}: cannot create the output file", opts.output.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let werr = |e: std::io::Error| anyhow::anyhow!("{}: cannot write ({e})", opts.output.display());
    wire::write_shard(
        &ShardLine {
            plan: plan_id.clone(),
            shard: shard.clone(),
            repositories: mine.iter().map(Repo::name).collect(),
            total: list.len(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
        &mut out,
    )
    .map_err(werr)?;
    out.flush().map_err(werr)?;
    let mut totals = Totals::default();
    for (i, repo) in mine.iter().enumerate() {
        let name = repo.name();
        crate::messages::note(
            &format!("shard {shard}"),
            format!(
                "{}/{} {}",
                i + 1,
                mine.len(),
                crate::sanitize::sanitize(&name)
            ),
        );
        let started = Instant::now();
        let got = fetch::obtain(repo, &opts.cache, true);
        let fetch_ms = started.elapsed().as_millis() as u64;
        let errors_before = crate::messages::error_count();
        let incomplete_mark = crate::messages::Incomplete::mark();
        let scanned = got.and_then(|dir| scan_repo(&dir).map_err(|e| format!("{e:#}")));
        match scanned {
            Err(reason) => {
                crate::messages::error(&name, &reason);
                totals.failed += 1;
                wire::write_failure(
                    &FailureLine {
                        plan: plan_id.clone(),
                        shard: shard.clone(),
                        repository: name,
                        reason,
                    },
                    &mut out,
                )
                .map_err(werr)?;
            }
            Ok(outcome) => {
                let errors = crate::messages::error_count() - errors_before;
                totals.errors += errors;
                let incomplete = crate::messages::Incomplete::since(incomplete_mark);
                totals.incomplete += incomplete.len();
                totals.findings += outcome.findings.len();
                for f in &outcome.findings {
                    wire::write_finding(&plan_id, &shard, &name, f, opts.redact, &mut out)
                        .map_err(werr)?;
                }
                let s = &outcome.stats;
                let (commits, blobs) = (Stats::get(&s.commits), Stats::get(&s.blobs));
                wire::write_repository(
                    &RepositoryLine {
                        plan: plan_id.clone(),
                        shard: shard.clone(),
                        repository: name,
                        objects: commits + blobs,
                        commits,
                        blobs,
                        bytes: Stats::get(&s.bytes),
                        findings: outcome.findings.len() as u64,
                        errors,
                        elapsed_ms: started.elapsed().as_millis() as u64,
                        fetch_ms,
                        incomplete,
                    },
                    &mut out,
                )
                .map_err(werr)?;
            }
        }
        // Each repository's lines are on disk before the next one starts.
        out.flush().map_err(werr)?;
    }
    Ok(totals)
}
