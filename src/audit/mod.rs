//! `qrcp-scan audit`: everything about one repository in one run — its whole
//! history including objects no ref reaches, its working tree including gitignored
//! build output, and `.env` files present locally but ignored — grouped per key
//! (one fingerprint, one group), with when and by whom each key first leaked,
//! whether it is still in HEAD, whether it ships in build output, whether it is
//! live (`--verify`), and a numbered to-do list.
//!
//! `model` is what an audit is; `collect` runs the scans and groups the findings,
//! `history` finds when keys left HEAD, `todo` writes the to-do list; `text`,
//! `html` and `json` render an `Audit` and never scan.

mod collect;
mod history;
pub mod html;
mod json;
mod model;
pub mod text;
mod todo;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use git2::{ObjectType, Oid, Repository};
use serde::Serialize;

use crate::decode;
use crate::detect::Detector;
use crate::finding::{CommitInfo, Finding, Provenance, SourceKind};
use crate::progress;
use crate::scan::Filters;
use crate::scan::Scanned;
use crate::source::BUILD_DIRS;
use crate::source::Sink;
use crate::source::SourceOptions;
use crate::source::{self, Scanner};
use crate::stats::Stats;
use crate::verify::ApiConfig;

pub use collect::collect;
pub use json::write_json;
pub use model::*;

use collect::*;
use history::*;

/// What an audit needs from the command.
pub struct AuditOptions<'a> {
    pub sources: SourceOptions,
    pub filters: Filters,
    pub progress: progress::Mode,
    pub redact: bool,
    /// `--verify`: the API each found key is checked with.
    pub verify: Option<&'a ApiConfig>,
}

/// Where the HTML report is written, checked before any work is done.
pub fn check_html_path(p: &Path) -> Result<PathBuf> {
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        anyhow::bail!("{}: no such folder for the HTML report", dir.display());
    }
    Ok(p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_output_paths() {
        assert!(in_build_output("web/dist/app.js"));
        assert!(in_build_output(".next/static/x.js"));
        assert!(!in_build_output("src/dist.ts"));
    }
}
