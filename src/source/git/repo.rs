//! Repository helpers: opening one, where its configuration is looked for, how it
//! and libgit2's errors are named in messages.

use super::*;

/// Opens the repository that `path` is in: a working tree (or a folder in one), a
/// bare repository or a linked worktree.
pub fn open(path: &Path) -> Result<Repository> {
    if !path.exists() {
        bail!("{}: no such file or folder", path.display());
    }
    Repository::discover(path)
        .map_err(|e| anyhow!("{}: not a git repository ({})", path.display(), git_msg(&e)))
}

/// The folder where `.qrcp-scan.toml` is looked for: the working tree's root, or
/// the repository folder when it is bare.
pub fn config_root(repo: &Repository) -> PathBuf {
    repo.workdir().unwrap_or(repo.path()).to_path_buf()
}

/// How a repository is named in messages.
pub(super) fn repo_name(repo: &Repository) -> String {
    crate::source::fs::display_path(repo.workdir().unwrap_or(repo.path()))
}

/// A libgit2 error as one lower-case line, without its class and code.
pub fn git_msg(e: &git2::Error) -> String {
    let m = e.message().trim().trim_end_matches('.');
    let mut c = m.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => format!("libgit2 error {:?}", e.code()),
    }
}

/// What git knows of a file in a working tree (for wording, never for scanning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathStatus {
    /// In the index: committed or about to be.
    Tracked,
    /// Matched by a .gitignore: a local file.
    Ignored,
    /// In a working tree, neither tracked nor ignored.
    Untracked,
    /// Not in a git working tree.
    NotInRepo,
}

/// The status of `path` (as the scan printed it, relative to the current folder).
pub fn path_status(path: &Path) -> PathStatus {
    let Ok(abs) = std::path::absolute(path) else {
        return PathStatus::NotInRepo;
    };
    let Some(dir) = abs.parent() else {
        return PathStatus::NotInRepo;
    };
    let Ok(repo) = Repository::discover(dir) else {
        return PathStatus::NotInRepo;
    };
    let Some(workdir) = repo.workdir() else {
        return PathStatus::NotInRepo;
    };
    let (Ok(abs), Ok(workdir)) = (abs.canonicalize(), workdir.canonicalize()) else {
        return PathStatus::NotInRepo;
    };
    let Ok(rel) = abs.strip_prefix(&workdir) else {
        return PathStatus::NotInRepo;
    };
    if repo
        .index()
        .is_ok_and(|index| index.get_path(rel, 0).is_some())
    {
        PathStatus::Tracked
    } else if repo.is_path_ignored(rel).unwrap_or(false) {
        PathStatus::Ignored
    } else {
        PathStatus::Untracked
    }
}
