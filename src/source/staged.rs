//! The staged change: what `git commit` would add, as the diff between HEAD (or
//! nothing, before the first commit) and the index. Only lines that the change adds
//! are reported (every line of a newly added file), with the staged file's path and
//! line numbers; a newly staged dotenv file is reported by path. Pure renames and
//! unchanged lines are not.
//!
//! The cost is libgit2's index-to-tree diff plus the staged blobs themselves: line
//! diffs are computed only for modified files that hold a rule keyword.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use git2::{Delta, DiffFindOptions, DiffOptions, ErrorCode, FileMode, Patch, Repository};

use crate::config::Config;
use crate::detect::Detector;
use crate::finding::{Finding, Provenance, SourceKind};
use crate::messages;
use crate::report::human_bytes;
use crate::scan::{Sink, Stats};
use crate::source::git::git_msg;

/// Bytes looked at for a NUL to call a blob binary (as git does).
const BINARY_PEEK: usize = 8192;

pub fn scan(git_dir: &Path, cfg: &Config, sink: Sink) -> Result<()> {
    let repo = Repository::open(git_dir)
        .with_context(|| format!("{}: cannot open the repository", git_dir.display()))?;
    if repo.is_bare() {
        bail!(
            "{}: a bare repository has no staged change",
            git_dir.display()
        );
    }
    let detector = Detector::new(Arc::clone(&cfg.rules))?;
    let index = repo
        .index()
        .map_err(|e| anyhow!("cannot read the index: {}", git_msg(&e)))?;
    let head_tree = match repo.head() {
        Ok(head) => Some(
            head.peel_to_tree()
                .map_err(|e| anyhow!("HEAD: {}", git_msg(&e)))?,
        ),
        // Before the first commit, everything staged is added.
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
        Err(e) => bail!("HEAD: {}", git_msg(&e)),
    };
    let mut opts = DiffOptions::new();
    opts.ignore_submodules(true)
        .skip_binary_check(true)
        .context_lines(0)
        .interhunk_lines(0);
    let mut diff = repo
        .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut opts))
        .map_err(|e| anyhow!("cannot diff HEAD against the index: {}", git_msg(&e)))?;
    let mut find = DiffFindOptions::new();
    find.renames(true);
    diff.find_similar(Some(&mut find))
        .map_err(|e| anyhow!("cannot find renames: {}", git_msg(&e)))?;

    let stats = &sink.stats;
    let mut out: Vec<Finding> = Vec::new();
    for (i, delta) in diff.deltas().enumerate() {
        let status = delta.status();
        let all_added = match status {
            Delta::Added | Delta::Typechange => true,
            Delta::Modified | Delta::Renamed | Delta::Copied => false,
            _ => continue,
        };
        let file = delta.new_file();
        if !matches!(file.mode(), FileMode::Blob | FileMode::BlobExecutable) {
            continue;
        }
        let Some(path) = file
            .path_bytes()
            .map(|p| String::from_utf8_lossy(p).into_owned())
        else {
            continue;
        };
        let prov = Provenance {
            source: SourceKind::Staged,
            path: Some(path.clone()),
            commit: None,
        };
        // A dotenv file is reported when it newly appears under a dotenv name.
        let old_path = delta
            .old_file()
            .path_bytes()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        let newly_named = match status {
            Delta::Added => true,
            Delta::Renamed | Delta::Copied => !old_path
                .as_deref()
                .is_some_and(|p| detector.path_matches(p)),
            _ => false,
        };
        if newly_named {
            detector.detect_path(&prov, &mut out);
        }
        let blob = match repo.find_blob(file.id()) {
            Ok(b) => b,
            Err(e) => {
                messages::error(
                    &path,
                    format!("cannot read the staged blob: {}", git_msg(&e)),
                );
                continue;
            }
        };
        let data = blob.content();
        if data.len() as u64 > cfg.max_file_size {
            Stats::add(&stats.skipped, 1);
            messages::note(
                &path,
                format!(
                    "skipped: {} is larger than --max-file-size ({})",
                    human_bytes(data.len() as u64),
                    human_bytes(cfg.max_file_size)
                ),
            );
            continue;
        }
        if memchr::memchr(0, &data[..data.len().min(BINARY_PEEK)]).is_some() {
            Stats::add(&stats.skipped, 1);
            continue;
        }
        Stats::add(&stats.files, 1);
        Stats::add(&stats.bytes, data.len() as u64);
        if !detector.has_candidate(data) {
            continue;
        }
        let mut found = Vec::new();
        let st = detector.detect(data, &prov, &mut found);
        Stats::add(&stats.placeholders, st.placeholders);
        if found.is_empty() {
            continue;
        }
        if all_added {
            out.append(&mut found);
            continue;
        }
        let added = match added_lines(&diff, i) {
            Ok(a) => a,
            Err(e) => {
                messages::error(
                    &path,
                    format!("cannot diff the staged file: {}", git_msg(&e)),
                );
                continue;
            }
        };
        out.extend(
            found
                .into_iter()
                .filter(|f| f.line.is_some_and(|l| added.contains(&l))),
        );
    }
    sink.put(&mut out);
    Ok(())
}

/// Line numbers (in the new file) of the lines that delta `i` adds.
fn added_lines(diff: &git2::Diff, i: usize) -> Result<HashSet<usize>, git2::Error> {
    let mut added = HashSet::new();
    let Some(patch) = Patch::from_diff(diff, i)? else {
        return Ok(added);
    };
    for h in 0..patch.num_hunks() {
        for l in 0..patch.num_lines_in_hunk(h)? {
            let line = patch.line_in_hunk(h, l)?;
            if line.origin() == '+'
                && let Some(n) = line.new_lineno()
            {
                added.insert(n as usize);
            }
        }
    }
    Ok(added)
}
