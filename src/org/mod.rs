//! `qrcp-scan org`: an organisation's repositories, sharded over the engines teams
//! already run (a GitHub Actions matrix, a Kubernetes Indexed Job), joined again
//! without loss.
//!
//! `repos` reads the repository list, `plan` assigns repositories to shards,
//! `fetch` clones or refreshes a repository in the cache, `scan` runs one shard and
//! writes its JSONL, `wire` owns the JSONL lines, `merge` joins shard outputs and
//! groups them per key, `render` writes the organisation report (human and JSON).
//!
//! This module takes plain option structs (defined here) and never reads the
//! command line or the configuration: scanning one repository's history is a
//! function handed in by the caller, which owns the configuration.

pub mod fetch;
pub mod merge;
pub mod plan;
pub mod render;
pub mod repos;
pub mod scan;
pub mod wire;

use std::path::PathBuf;

use anyhow::{Result, bail};

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Every repository in one shard (no `--shard`).
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// `K/N`, 1 ≤ K ≤ N.
    pub fn parse(s: &str) -> Result<Shard> {
        let Some((k, n)) = s.split_once('/') else {
            bail!("shard {s:?}: expected K/N, e.g. 2/4 (K counts from 1)");
        };
        let (Ok(index), Ok(count)) = (k.trim().parse::<usize>(), n.trim().parse::<usize>()) else {
            bail!("shard {s:?}: expected K/N with whole numbers, e.g. 2/4");
        };
        Shard::new(index, count).map_err(|e| anyhow::anyhow!("shard {s:?}: {e}"))
    }

    pub fn new(index: usize, count: usize) -> Result<Shard> {
        if count == 0 || count > 100_000 {
            bail!("the shard count must be between 1 and 100000");
        }
        if index == 0 || index > count {
            bail!("K must be between 1 and {count} (K counts from 1)");
        }
        Ok(Shard { index, count })
    }

    /// The shard of an Indexed Job's pod: `JOB_COMPLETION_INDEX` counts from 0.
    pub fn from_completion_index(value: Option<&str>, count: usize) -> Result<Shard> {
        let Some(v) = value else {
            bail!(
                "--shard-from-env: JOB_COMPLETION_INDEX is not set (a Kubernetes Indexed Job sets it)"
            );
        };
        let Ok(i) = v.trim().parse::<usize>() else {
            bail!("--shard-from-env: JOB_COMPLETION_INDEX {v:?} is not a whole number");
        };
        Shard::new(i + 1, count).map_err(|e| {
            anyhow::anyhow!("--shard-from-env: JOB_COMPLETION_INDEX {i} (0-based): {e}")
        })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// `org plan`.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub repos: PathBuf,
    pub shards: usize,
    pub format: PlanFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanFormat {
    /// `{"include": [{"shard": "1/4", …}]}` for `strategy.matrix`.
    GithubMatrix,
    /// `K/N<TAB>repository`, one line per repository.
    Lines,
}

/// `org scan`.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub repos: PathBuf,
    pub shard: Shard,
    pub cache: PathBuf,
    pub output: PathBuf,
    pub redact: bool,
}

/// `org merge`.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    pub inputs: Vec<PathBuf>,
    /// Where `org scan` kept its clones: keys are read back from there for
    /// `--verify`/`--revoke` (and repositories missing there are cloned again).
    pub cache: PathBuf,
    /// Read the keys back (for `--verify`/`--revoke`).
    pub read_keys: bool,
}

/// The default cache: `$XDG_CACHE_HOME/qrcp-scan/org` (`~/.cache/qrcp-scan/org`).
pub fn default_cache() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("qrcp-scan").join("org")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 2, count: 4 });
        assert!(Shard::parse("0/4").is_err());
        assert!(Shard::parse("5/4").is_err());
        assert!(Shard::parse("4").is_err());
        assert!(Shard::parse("a/b").is_err());
        assert_eq!(
            Shard::from_completion_index(Some("0"), 3).unwrap(),
            Shard { index: 1, count: 3 }
        );
        assert!(Shard::from_completion_index(Some("3"), 3).is_err());
        assert!(Shard::from_completion_index(None, 3).is_err());
    }
}
