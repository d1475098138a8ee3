//! `install-hook`: writes a native git hook (pre-commit or pre-push) that runs this
//! binary. The hook names the binary by its absolute path, and falls back to
//! `qrcp-scan` on PATH when that file is gone (a moved or reinstalled binary).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

use crate::source::git::{git_msg, open};

const PRE_COMMIT: &str = r#"#!/bin/sh
# Installed by `qrcp-scan install-hook`: blocks a commit that stages a QRCodePro
# key or a dotenv file (exit 1). Bypass it once with `git commit --no-verify`.
qrcp=@QRCP@
[ -x "$qrcp" ] || qrcp=qrcp-scan
exec "$qrcp" staged --hook pre-commit
"#;

const PRE_PUSH: &str = r#"#!/bin/sh
# Installed by `qrcp-scan install-hook --pre-push`: scans the commits being pushed
# and blocks the push when they hold a QRCodePro key (exit 1). Bypass it once with
# `git push --no-verify`.
# Standard input: one `<local ref> <local sha> <remote ref> <remote sha>` line for
# each ref being pushed.
qrcp=@QRCP@
[ -x "$qrcp" ] || qrcp=qrcp-scan
status=0
while read -r local_ref local_sha remote_ref remote_sha; do
    case "$local_sha" in
        *[!0]*) ;;
        *) continue ;; # a deleted ref pushes no commit
    esac
    case "$remote_sha" in
        *[!0]*) known=yes ;;
        *) known=no ;;
    esac
    if [ "$known" = yes ] && git cat-file -e "$remote_sha^{commit}" 2>/dev/null; then
        "$qrcp" git --range "$remote_sha..$local_sha" --hook pre-push </dev/null || status=$?
    else
        # A new branch (or an unknown remote commit): the commits that no
        # remote-tracking ref has.
        "$qrcp" git --branch "$local_sha" --not-remotes --hook pre-push </dev/null || status=$?
    fi
done
exit $status
"#;

/// Writes the hook and returns its path.
pub fn install(repo_path: &Path, pre_push: bool, force: bool) -> Result<PathBuf> {
    let repo = open(repo_path)?;
    let config = repo
        .config()
        .map_err(|e| anyhow!("cannot read the git configuration: {}", git_msg(&e)))?;
    // core.hooksPath, relative to the working tree root (the git folder when bare).
    let dir = match config.get_path("core.hooksPath") {
        Ok(p) if p.is_relative() => repo.workdir().unwrap_or(repo.path()).join(p),
        Ok(p) => p,
        Err(_) => repo.commondir().join("hooks"),
    };
    let name = if pre_push { "pre-push" } else { "pre-commit" };
    let path = dir.join(name);
    if path.symlink_metadata().is_ok() && !force {
        bail!(
            "{}: a hook is already there; --force replaces it",
            path.display()
        );
    }
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .context("cannot find the path of this binary")?;
    let exe = exe
        .to_str()
        .ok_or_else(|| anyhow!("{}: the binary's path is not UTF-8", exe.display()))?;
    let script =
        if pre_push { PRE_PUSH } else { PRE_COMMIT }.replace("@QRCP@", &crate::shell::quote(exe));
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    // Replace, don't write through: the old hook may be a symbolic link.
    let _ = std::fs::remove_file(&path);
    std::fs::write(&path, script).with_context(|| format!("{}: cannot write", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("{}: cannot make it executable", path.display()))?;
    }
    Ok(path)
}
