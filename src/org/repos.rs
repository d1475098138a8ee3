//! The repository list: one repository a line (a local path, a `file://`,
//! `https://` or `ssh://` URL, or git's `user@host:path`), with an optional size in
//! bytes after it; `#` comments and blank lines are ignored. This module owns
//! reading it, naming a repository without its credentials, and the sizes that
//! balance the plan.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

/// Largest list read (a list of 100,000 URLs is a few MB).
const MAX_LIST: u64 = 64 << 20;

/// One repository of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// As written in the list (it may hold credentials: never printed as is).
    pub spec: String,
    /// The size given in the list, or measured for a local repository.
    pub size: Option<u64>,
}

impl Repo {
    /// A local folder (read in place), or `None` for a URL (cloned).
    pub fn local_path(&self) -> Option<PathBuf> {
        if self.spec.contains("://") || is_scp_like(&self.spec) {
            None
        } else {
            Some(PathBuf::from(&self.spec))
        }
    }

    /// The name in reports: the spec without credentials (`https://***@host/x`).
    pub fn name(&self) -> String {
        display_name(&self.spec)
    }

    /// The folder of its clone in `cache`: stable, readable and collision-free.
    pub fn cache_dir(&self, cache: &Path) -> PathBuf {
        cache.join(cache_name(&self.spec))
    }
}

/// `git@github.com:org/repo.git` (git's scp-like syntax): a host before the first
/// colon, and no slash before it.
fn is_scp_like(s: &str) -> bool {
    match s.split_once(':') {
        Some((host, _)) => !host.is_empty() && !host.contains('/') && host.contains('@'),
        None => false,
    }
}

/// The spec with any `user:password@` of a URL shown as `***@`.
pub fn display_name(spec: &str) -> String {
    if let Some((scheme, rest)) = spec.split_once("://") {
        let end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..end].rfind('@') {
            return format!("{scheme}://***@{}", &rest[at + 1..]);
        }
    }
    spec.to_string()
}

/// `<last component>-<12 hex of SHA-256 of the name>.git`.
fn cache_name(spec: &str) -> String {
    let tail = spec
        .trim_end_matches('/')
        .rsplit(['/', ':'])
        .next()
        .unwrap_or("")
        .trim_end_matches(".git");
    let slug: String = tail
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let slug = slug.trim_start_matches('.');
    // The name, not the spec: `org merge` finds the clone from the name that the
    // shard output carries (credentials are never written there).
    let hash = crate::finding::fingerprint(display_name(spec).as_bytes());
    format!(
        "{}-{}.git",
        if slug.is_empty() { "repo" } else { slug },
        &hash[..12]
    )
}

/// Reads the list; repositories named twice are kept once (with a note).
pub fn read_list(path: &Path) -> Result<Vec<Repo>> {
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .with_context(|| format!("{shown}: cannot read the repository list"))?;
    if !meta.is_file() {
        bail!("{shown}: the repository list is not a regular file");
    }
    if meta.len() > MAX_LIST {
        bail!("{shown}: the repository list is larger than 64 MB");
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{shown}: cannot read the repository list"))?;
    parse_list(&text, &shown.to_string())
}

pub fn parse_list(text: &str, shown: &str) -> Result<Vec<Repo>> {
    let mut seen = HashSet::new();
    let mut repos = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // A word starting with `#` starts a comment.
        let mut words = line.split_whitespace().take_while(|w| !w.starts_with('#'));
        let spec = words.next().unwrap_or_default().to_string();
        let size = match words.next() {
            None => None,
            Some(w) => Some(w.parse::<u64>().with_context(|| {
                format!(
                    "{shown}:{}: {:?}: the size after a repository is a number of bytes",
                    i + 1,
                    crate::sanitize::sanitize(w)
                )
            })?),
        };
        if let Some(extra) = words.next() {
            bail!(
                "{shown}:{}: unexpected {:?}: one repository a line, optionally followed by its size in bytes",
                i + 1,
                crate::sanitize::sanitize(extra)
            );
        }
        if spec.starts_with('-') {
            bail!("{shown}:{}: a repository cannot start with '-'", i + 1);
        }
        if !seen.insert(spec.clone()) {
            crate::messages::note(
                &format!("{shown}:{}", i + 1),
                format!("{} is listed twice: scanned once", display_name(&spec)),
            );
            continue;
        }
        repos.push(Repo { spec, size });
    }
    Ok(repos)
}

/// Fills in the size of local repositories that the list gave none for: the
/// bytes of their object database (packs and loose objects).
pub fn measure(repos: &mut [Repo]) {
    for r in repos.iter_mut() {
        if r.size.is_some() {
            continue;
        }
        let Some(path) = r.local_path() else { continue };
        if let Ok(repo) = git2::Repository::open(&path) {
            r.size = Some(dir_bytes(&repo.path().join("objects"), 2));
        }
    }
}

/// Bytes of the files under `dir`, at most `depth` folders down (no recursion on
/// input depth: the object database is two levels deep).
fn dir_bytes(dir: &Path, depth: usize) -> u64 {
    let mut total = 0;
    let mut stack = vec![(dir.to_path_buf(), 0)];
    while let Some((d, level)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_file() {
                total += e.metadata().map_or(0, |m| m.len());
            } else if ft.is_dir() && level < depth {
                stack.push((e.path(), level + 1));
            }
        }
    }
    total
}

/// The plan's identity: the SHA-256 of the list as scanned (names and sizes), 16
/// hex digits. Shards of one list share it whatever their count.
pub fn plan_id(repos: &[Repo]) -> String {
    let mut h = Sha256::new();
    for r in repos {
        // Names, not specs: a rotated token in a URL is the same plan.
        h.update(r.name().as_bytes());
        h.update(b"\t");
        h.update(r.size.map(|s| s.to_string()).unwrap_or_default().as_bytes());
        h.update(b"\n");
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    hex[..16].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_hide_credentials() {
        assert_eq!(
            display_name("https://x-token:ghp_abc@github.com/o/r.git"),
            "https://***@github.com/o/r.git"
        );
        assert_eq!(
            display_name("https://github.com/o/r"),
            "https://github.com/o/r"
        );
        assert_eq!(
            display_name("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
    }

    #[test]
    fn kinds_and_cache_names() {
        let r = |s: &str| Repo {
            spec: s.into(),
            size: None,
        };
        assert!(r("git@github.com:o/r.git").local_path().is_none());
        assert!(r("file:///srv/r.git").local_path().is_none());
        assert_eq!(r("../r").local_path(), Some(PathBuf::from("../r")));
        let a = cache_name("https://github.com/o/web.git");
        assert!(a.starts_with("web-") && a.ends_with(".git"), "{a}");
        assert_ne!(a, cache_name("https://github.com/p/web.git"));
        assert!(
            cache_name("https://h/..").starts_with("repo-")
                || !cache_name("https://h/..").starts_with('.')
        );
    }

    #[test]
    fn lists() {
        let l = parse_list("# org\n\n/a 10\nhttps://h/b  # note\n/a\n", "l").unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].size, Some(10));
        assert_eq!(l[1].size, None);
        assert!(parse_list("/a ten\n", "l").is_err());
        assert!(parse_list("--upload-pack=x\n", "l").is_err());
    }
}
