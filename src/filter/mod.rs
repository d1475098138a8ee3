//! Filters between detection and reporting: the allowlist of `.qrcp-scan.toml`
//! (path globs, fingerprints, regexes) and inline `qrcp-scan:allow` markers.
//! Baselines live beside it. A filter only removes findings; it never adds.

pub mod baseline;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;

use serde::Deserialize;

use crate::finding::Finding;

/// The `[allowlist]` table of `.qrcp-scan.toml`, as written; the configuration
/// loads it, [`Allowlist::new`] compiles it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSpec {
    /// Globs over paths relative to the configuration file's folder.
    #[serde(default)]
    pub paths: Vec<String>,
    /// SHA-256 fingerprints of keys that may appear anywhere.
    #[serde(default)]
    pub fingerprints: Vec<String>,
    /// Regexes matched against the secret (or the variable name).
    #[serde(default)]
    pub regexes: Vec<String>,
    /// Rule ids switched off entirely.
    #[serde(default)]
    pub rules: Vec<String>,
}

pub struct Allowlist {
    /// Checked when the configuration is loaded; the set is built when the
    /// first finding is judged (a clean hook run never builds it).
    globs: Vec<String>,
    paths: std::sync::OnceLock<GlobSet>,
    base: PathBuf,
    /// `base` made absolute, for scans named by an absolute path or from another
    /// folder (`dir "$PWD"`, `dir ..`).
    base_abs: Option<PathBuf>,
    /// The current folder, read once: a relative path is made absolute
    /// against it (`std::path::absolute` asked the system for it at every
    /// finding, a tenth of the time of a file of many findings).
    cwd: Option<PathBuf>,
    fingerprints: HashSet<String>,
    regexes: Vec<Regex>,
}

impl Allowlist {
    pub fn new(spec: &AllowlistSpec, base: &Path) -> Result<Allowlist> {
        let mut globs = Vec::new();
        for p in &spec.paths {
            // `fixtures/` or `fixtures` means everything below it too.
            let dir = p.trim_end_matches('/');
            let below = (!dir.contains('*')).then(|| format!("{dir}/**"));
            // A path without glob syntax cannot be an invalid glob: only the
            // others are parsed now (this repository's 8 paths cost 97,000 of the
            // 1.6 million instructions of `dir` on one small file).
            let plain = !p.contains(['*', '?', '[', ']', '{', '}', '\\']);
            for g in std::iter::once(p).chain(&below) {
                if !plain {
                    Glob::new(g).with_context(|| format!("paths: invalid glob {p:?}"))?;
                }
                globs.push(g.clone());
            }
        }
        let mut fingerprints = HashSet::new();
        for f in &spec.fingerprints {
            let f = f.trim().to_ascii_lowercase();
            if f.len() != 64 || !f.bytes().all(|b| b.is_ascii_hexdigit()) {
                anyhow::bail!("fingerprints: {f:?} is not a SHA-256 hex digest (64 hex digits)");
            }
            fingerprints.insert(f);
        }
        let regexes = spec
            .regexes
            .iter()
            .map(|r| Regex::new(r).with_context(|| format!("regexes: invalid regex {r:?}")))
            .collect::<Result<_>>()?;
        Ok(Allowlist {
            globs,
            paths: std::sync::OnceLock::new(),
            base: clean(base),
            base_abs: std::path::absolute(base).ok().map(|p| lexical(&p)),
            cwd: std::env::current_dir().ok(),
            fingerprints,
            regexes,
        })
    }

    /// The path globs as one set, built on first use.
    fn paths(&self) -> &GlobSet {
        self.paths.get_or_init(|| {
            let mut set = GlobSetBuilder::new();
            for g in &self.globs {
                match Glob::new(g) {
                    Ok(g) => {
                        set.add(g);
                    }
                    Err(e) => crate::messages::error("allowlist paths", e.to_string()),
                }
            }
            set.build().unwrap_or_else(|e| {
                crate::messages::error("allowlist paths", e.to_string());
                GlobSet::empty()
            })
        })
    }

    /// Whether the allowlist hides this finding.
    pub fn allows(&self, f: &Finding) -> bool {
        if let Some(path) = f.provenance.path.as_deref() {
            // An archive member is allowed when the archive is.
            let outer = path.split('!').next().unwrap_or(path);
            for p in [path, outer] {
                if self.paths().is_match(p)
                    || self.relative(p).is_some_and(|r| self.paths().is_match(&r))
                {
                    return true;
                }
            }
        }
        if f.fingerprint
            .as_ref()
            .is_some_and(|fp| self.fingerprints.contains(fp))
        {
            return true;
        }
        let target = f
            .secret
            .as_deref()
            .or_else(|| f.context.as_ref().map(|c| &c.text[c.span.clone()]));
        target.is_some_and(|t| self.regexes.iter().any(|r| r.is_match(t)))
    }

    /// The path relative to the configuration's folder, when it lies below it.
    fn relative(&self, path: &str) -> Option<String> {
        if !self.base.as_os_str().is_empty()
            && let Some(r) = Path::new(path)
                .strip_prefix(&self.base)
                .ok()
                .and_then(|p| p.to_str())
        {
            return Some(r.to_string());
        }
        // Compare where both are: `..`, `src/../x` and absolute paths included.
        let base = self.base_abs.as_ref()?;
        let path = Path::new(path);
        let abs = match path.is_absolute() {
            true => lexical(path),
            false => lexical(&self.cwd.as_ref()?.join(path)),
        };
        abs.strip_prefix(base)
            .ok()
            .and_then(|p| p.to_str())
            .filter(|p| !p.is_empty())
            .map(|p| p.replace('\\', "/"))
    }
}

/// An absolute path without `.` and `..` (no file system access).
fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

/// `./a/b` -> `a/b`; `.` -> empty.
fn clean(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}
