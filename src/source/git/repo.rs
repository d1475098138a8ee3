//! Repository helpers: opening one, where its configuration is looked for, how it
//! and libgit2's errors are named in messages.

use super::*;

/// Opens the repository that `path` is in: a working tree (or a folder in one), a
/// bare repository or a linked worktree.
pub fn open(path: &Path) -> Result<Repository> {
    if !path.exists() {
        bail!("{}: no such file or folder", path.display());
    }
    if !path.is_dir() {
        bail!(
            "{}: is a file, not a repository (give the folder of a repository)",
            path.display()
        );
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
