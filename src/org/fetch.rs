//! Getting a repository onto this machine: a local folder is read in place; a URL
//! is cloned with `git clone --mirror` into the cache (every ref, as `git` scans
//! them), or refreshed there with `git fetch --prune` when an earlier run left a
//! clone. The git command line does the transport, so credential helpers, SSH
//! agents and `insteadOf` rules work as they do for the team's own git; it never
//! prompts (`GIT_TERMINAL_PROMPT=0`). A clone is made under a temporary name and
//! renamed when complete, so an interrupted run never leaves a half clone behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::org::repos::{Repo, display_name};

/// The git folder to scan, or why there is none (one line, no credentials).
/// `refresh`: fetch into a clone already in the cache (a scan does; a merge
/// reading keys back does not, so that the commits its shards saw are there).
pub fn obtain(repo: &Repo, cache: &Path, refresh: bool) -> Result<PathBuf, String> {
    if let Some(path) = repo.local_path() {
        if !path.exists() {
            return Err("no such file or folder".into());
        }
        return git2::Repository::open(&path)
            .map(|r| r.path().to_path_buf())
            .map_err(|e| format!("not a git repository ({})", crate::source::git::git_msg(&e)));
    }
    let dir = repo.cache_dir(cache);
    if dir.join("HEAD").is_file() && !refresh {
        return Ok(dir);
    }
    if dir.join("HEAD").is_file() {
        git(
            repo,
            &[
                "--git-dir",
                &dir.to_string_lossy(),
                "fetch",
                "--prune",
                "--quiet",
                "origin",
            ],
        )
        .map_err(|e| format!("cannot refresh the clone in {}: {e}", dir.display()))?;
        return Ok(dir);
    }
    std::fs::create_dir_all(cache)
        .map_err(|e| format!("cannot create the cache folder {}: {e}", cache.display()))?;
    let tmp = dir.with_extension(format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let cloned = git(
        repo,
        &[
            "clone",
            "--mirror",
            "--quiet",
            "--",
            &repo.spec,
            &tmp.to_string_lossy(),
        ],
    );
    if let Err(e) = cloned {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(format!("cannot clone: {e}"));
    }
    if let Err(e) = std::fs::rename(&tmp, &dir) {
        let _ = std::fs::remove_dir_all(&tmp);
        // Another process may have put the same clone there first.
        if !dir.join("HEAD").is_file() {
            return Err(format!("cannot move the clone to {}: {e}", dir.display()));
        }
    }
    Ok(dir)
}

/// Runs git; on failure, its last line of standard error without credentials.
fn git(repo: &Repo, args: &[&str]) -> Result<(), String> {
    let out = Command::new("git")
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("git failed without a message");
    // git may echo the URL it was given: never with its credentials.
    let line = line.replace(&repo.spec, &display_name(&repo.spec));
    Err(match out.status.code() {
        Some(c) => format!("{line} (git exit {c})"),
        None => format!("{line} (git killed by a signal)"),
    })
}
