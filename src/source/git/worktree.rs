//! Staged files read from the working tree where git itself would read them
//! rather than inflate their blobs (`reuse_worktree_file` in git's `diff.c`,
//! which `git diff --cached` uses): a file whose stat data is what the index
//! recorded when it was staged holds the staged bytes, unless the index may have
//! recorded it in the same clock tick as a later change ("racily clean"), or git
//! converts content on its way in (attributes, `core.autocrlf`). A hook's largest
//! cost after start-up was inflating the large staged blobs; a large file is
//! read at the speed of a copy.
//!
//! The checks are git's, kept strict: every recorded field must match the file's
//! `lstat` and then its open file's `fstat` (times to the nanosecond, device,
//! inode, owner, size), the file must be a regular one, and the entry must have
//! been recorded strictly before the index file was written. Anything else (a
//! path git would not write, an attribute file anywhere that applies, a
//! conversion setting) reads the blob.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use git2::{ErrorCode, Repository};
use memmap2::MmapMut;

use super::index::Stat;

/// Smallest staged file read from the working tree: below it, inflating its
/// blob costs less than the checks and the system calls.
pub const MIN_SIZE: u32 = 32 << 10;

/// The working tree of a repository, for reading staged files.
pub struct Worktree {
    root: PathBuf,
    common: PathBuf,
    /// When the index file was last written: (seconds, nanoseconds).
    index_mtime: (i64, i64),
    /// Whether the index has a `.gitattributes` file anywhere.
    index_attributes: bool,
    /// Whether no attribute file outside the tree or setting can make git
    /// convert content: found on first use.
    plain: Option<bool>,
    /// Folders whose own `.gitattributes` was looked for: (folder, found one).
    dirs: Vec<(Vec<u8>, bool)>,
    buf: Option<MmapMut>,
    /// The environment's variables (`HOME`, `XDG_CONFIG_HOME`, git's).
    env: Env,
}

/// How the environment's variables are read.
type Env = Box<dyn Fn(&str) -> Option<OsString>>;

impl Worktree {
    /// The working tree of `repo`, whose index file (with `index_attributes`
    /// said of its paths) was last written at `index_mtime`. None for a bare
    /// repository.
    pub fn new(
        repo: &Repository,
        index_mtime: (i64, i64),
        index_attributes: bool,
    ) -> Option<Worktree> {
        Some(Worktree {
            root: repo.workdir()?.to_path_buf(),
            common: repo.commondir().to_path_buf(),
            index_mtime,
            index_attributes,
            plain: None,
            dirs: Vec::new(),
            buf: None,
            env: Box::new(|var| std::env::var_os(var)),
        })
    }

    /// The staged bytes of `path` (as the index names it), which git recorded
    /// as `stat`, read from the working tree; None when they must be read from
    /// the blob: a small file, a file that is not what git recorded, one that
    /// git may convert, one larger than `max`.
    pub fn read(&mut self, repo: &Repository, path: &[u8], stat: &Stat, max: u64) -> Option<&[u8]> {
        // A size of 0 is how git marks an entry it could not trust ("smudged").
        if stat.size < MIN_SIZE || !self.recorded_before_index(stat) || !safe_path(path) {
            return None;
        }
        if self.plain.is_none() {
            self.plain = Some(!self.index_attributes && plain(repo, &self.common, &self.env));
        }
        if self.plain != Some(true) {
            return None;
        }
        if !self.no_attribute_files(path) {
            return None;
        }
        let file = self.root.join(os_path(path)?);
        let len = read_same(&file, stat, max, &mut self.buf)?;
        Some(&self.buf.as_ref()?[..len])
    }

    /// An entry recorded in the same tick as the index file (or later, with a
    /// clock set back) is racily clean: the file may have changed since without
    /// changing its stat data.
    fn recorded_before_index(&self, stat: &Stat) -> bool {
        let (s, ns) = self.index_mtime;
        (i64::from(stat.mtime.0), i64::from(stat.mtime.1)) < (s, ns)
    }

    /// No `.gitattributes` in the working tree's root or any folder on `path`:
    /// git reads those even when they are not tracked.
    fn no_attribute_files(&mut self, path: &[u8]) -> bool {
        let mut end = 0;
        loop {
            let dir = &path[..end];
            let found = match self.dirs.iter().find(|d| d.0 == dir) {
                Some(d) => d.1,
                None => {
                    let mut file = match os_path(dir) {
                        Some(d) => self.root.join(d),
                        None => return false,
                    };
                    file.push(".gitattributes");
                    let found = !missing(&file);
                    self.dirs.push((dir.to_vec(), found));
                    found
                }
            };
            if found {
                return false;
            }
            match memchr::memchr(b'/', &path[end + usize::from(end > 0)..]) {
                Some(k) => end = end + usize::from(end > 0) + k,
                None => return true,
            }
        }
    }
}

/// Whether no setting and no attribute file outside the tree can make git
/// convert a file's content as it stages it: `core.autocrlf` off, no
/// `core.attributesFile`, no settings given on git's command line or files
/// named in the environment (which a hook inherits, and libgit2 does not read),
/// and no `info/attributes`, per-user or system attribute file.
fn plain(repo: &Repository, common: &Path, env: &Env) -> bool {
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    let set = |name: &str| var(name).is_some();
    // Settings from git's command line, configuration files or an attribute
    // source that git reads and libgit2 does not.
    let git_only = [
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_ATTR_SOURCE",
    ];
    if git_only.iter().any(|v| set(v)) {
        return false;
    }
    let Ok(config) = repo.config() else {
        return false;
    };
    let unset = |e: git2::Error| e.code() == ErrorCode::NotFound;
    let autocrlf_off = match config.get_bool("core.autocrlf") {
        Ok(on) => !on,
        Err(e) => unset(e),
    };
    if !autocrlf_off || !config.get_entry("core.attributesFile").is_err_and(unset) {
        return false;
    }
    let user = match var("XDG_CONFIG_HOME") {
        Some(xdg) => Some(PathBuf::from(xdg)),
        None => var("HOME").map(|h| PathBuf::from(h).join(".config")),
    };
    let mut files = vec![
        common.join("info/attributes"),
        PathBuf::from("/etc/gitattributes"),
        PathBuf::from("/usr/local/etc/gitattributes"),
    ];
    files.extend(user.map(|u| u.join("git/attributes")));
    files.iter().all(|f| missing(f))
}

/// Whether nothing is at `path` (an error other than "not found" counts as
/// something: it cannot be ruled out).
fn missing(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
}

/// A path git writes into an index: names that are not empty, `.`, `..` or
/// `.git` in any case.
fn safe_path(path: &[u8]) -> bool {
    path.split(|&b| b == b'/')
        .all(|name| !matches!(name, b"" | b"." | b"..") && !name.eq_ignore_ascii_case(b".git"))
}

#[cfg(unix)]
fn os_path(path: &[u8]) -> Option<&Path> {
    use std::os::unix::ffi::OsStrExt;
    Some(Path::new(std::ffi::OsStr::from_bytes(path)))
}

#[cfg(not(unix))]
fn os_path(path: &[u8]) -> Option<&Path> {
    std::str::from_utf8(path).ok().map(Path::new)
}

/// Reads `file` into `buf` when it is the regular file git recorded as `stat`,
/// before and after it is opened, and no larger than `max`.
#[cfg(unix)]
fn read_same(file: &Path, stat: &Stat, max: u64, buf: &mut Option<MmapMut>) -> Option<usize> {
    use std::io::Read;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let same = |m: &std::fs::Metadata| {
        let cut = |v: i64| v as u32;
        m.file_type().is_file()
            && (cut(m.ctime()), cut(m.ctime_nsec())) == stat.ctime
            && (cut(m.mtime()), cut(m.mtime_nsec())) == stat.mtime
            && m.dev() as u32 == stat.dev
            && m.ino() as u32 == stat.ino
            && m.uid() == stat.uid
            && m.gid() == stat.gid
            && m.size() as u32 == stat.size
    };
    // `lstat` first: nothing but the recorded regular file is opened (a device
    // or a FIFO put there meanwhile is opened without waiting, then refused).
    if !same(&std::fs::symlink_metadata(file).ok()?) {
        return None;
    }
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(file)
        .ok()?;
    let meta = f.metadata().ok()?;
    if !same(&meta) || meta.len() > max {
        return None;
    }
    // Read in one call into memory mapped with its pages in place: a heap
    // buffer this large is a fresh mapping whose pages fault one by one as the
    // read fills them (a twentieth of a hook run for one 190 KB file).
    let len = usize::try_from(meta.len()).ok()?;
    if buf.as_ref().is_none_or(|b| b.len() < len) {
        *buf = Some(
            memmap2::MmapOptions::new()
                .len(len)
                .populate()
                .map_anon()
                .ok()?,
        );
    }
    let into = &mut buf.as_mut()?[..len];
    let mut f = f;
    f.read_exact(into).ok()?;
    (f.read(&mut [0]).ok()? == 0).then_some(len)
}

#[cfg(not(unix))]
fn read_same(_: &Path, _: &Stat, _: u64, _: &mut Option<MmapMut>) -> Option<usize> {
    // The stat data git records on other systems is not the one compared here.
    None
}

#[cfg(all(test, unix))]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::super::index;
    use super::super::pack::tests::git;
    use super::*;

    const PATH: &str = "d/big.txt";

    fn set_mtime(path: &Path, t: SystemTime) {
        let f = std::fs::File::options().write(true).open(path).unwrap();
        f.set_modified(t).unwrap();
    }

    /// A repository with `d/big.txt` staged, written an hour before.
    fn staged(content: &[u8]) -> (tempfile::TempDir, Repository) {
        let tmp = tempfile::tempdir().unwrap();
        git(tmp.path(), &["init", "-q"], None);
        let file = tmp.path().join(PATH);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
        set_mtime(&file, SystemTime::now() - Duration::from_secs(3600));
        git(tmp.path(), &["add", PATH], None);
        let repo = Repository::open(tmp.path()).unwrap();
        (tmp, repo)
    }

    fn big() -> Vec<u8> {
        (0..MIN_SIZE as usize + 100)
            .map(|i| b"abcdefgh\n"[i % 9])
            .collect()
    }

    /// The entry's stat data and when the index was written.
    fn entry(dir: &Path) -> (index::Stat, (i64, i64)) {
        let bytes = std::fs::read(dir.join(".git/index")).unwrap();
        let ix = index::parse(&bytes).unwrap();
        let e = ix.entries.iter().find(|e| ix.path(e) == PATH.as_bytes());
        let stat = ix.stat(e.unwrap()).unwrap();
        let written = std::fs::metadata(dir.join(".git/index"))
            .unwrap()
            .modified()
            .unwrap()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap();
        (
            stat,
            (written.as_secs() as i64, i64::from(written.subsec_nanos())),
        )
    }

    /// What the reader gives for `PATH`, with `home` as the user's home folder
    /// and no other variable set.
    fn read(repo: &Repository, attributes: bool) -> Option<Vec<u8>> {
        let dir = repo.workdir().unwrap();
        let (stat, written) = entry(dir);
        let mut tree = Worktree::new(repo, written, attributes).unwrap();
        tree.env = Box::new(|_| None);
        tree.read(repo, PATH.as_bytes(), &stat, u64::MAX)
            .map(<[u8]>::to_vec)
    }

    /// The machine's own attribute files (git reads them too).
    fn system_attributes() -> bool {
        ["/etc/gitattributes", "/usr/local/etc/gitattributes"]
            .iter()
            .any(|f| !missing(Path::new(f)))
    }

    #[test]
    fn a_large_staged_file_is_read_as_its_blob() {
        let (tmp, repo) = staged(&big());
        let got = read(&repo, false);
        if system_attributes() {
            return assert_eq!(got, None);
        }
        let blob = git(tmp.path(), &["cat-file", "blob", &format!(":{PATH}")], None);
        assert_eq!(got.as_deref(), Some(blob.as_bytes()));
        assert_eq!(got.unwrap(), big());
        // Too large for the scan: the blob path says so.
        let (stat, written) = entry(tmp.path());
        let mut tree = Worktree::new(&repo, written, false).unwrap();
        assert!(tree.read(&repo, PATH.as_bytes(), &stat, 1000).is_none());
    }

    #[test]
    fn a_file_changed_since_it_was_staged_is_not() {
        let (tmp, repo) = staged(&big());
        let (stat, _) = entry(tmp.path());
        // Same size, same modification time: only the change time differs.
        let file = tmp.path().join(PATH);
        let mut other = big();
        other[10] = b'X';
        std::fs::write(&file, &other).unwrap();
        let recorded =
            SystemTime::UNIX_EPOCH + Duration::new(u64::from(stat.mtime.0), stat.mtime.1);
        set_mtime(&file, recorded);
        assert_eq!(read(&repo, false), None);
        // Nor is a symbolic link to a file with the staged bytes.
        std::fs::write(tmp.path().join("copy"), big()).unwrap();
        std::fs::remove_file(&file).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("copy"), &file).unwrap();
        assert_eq!(read(&repo, false), None);
    }

    #[test]
    fn a_racily_clean_entry_is_not() {
        let (tmp, repo) = staged(&big());
        let (stat, _) = entry(tmp.path());
        let at = (i64::from(stat.mtime.0), i64::from(stat.mtime.1));
        for (written, readable) in [
            (at, false),
            ((at.0, at.1 + 1), true),
            ((at.0 - 1, 0), false),
        ] {
            let mut tree = Worktree::new(&repo, written, false).unwrap();
            tree.env = Box::new(|_| None);
            let got = tree.read(&repo, PATH.as_bytes(), &stat, u64::MAX);
            assert_eq!(
                got.is_some(),
                readable && !system_attributes(),
                "{written:?}"
            );
        }
    }

    #[test]
    fn what_may_convert_content_sends_it_to_the_blob() {
        let (tmp, repo) = staged(&big());
        if system_attributes() {
            return;
        }
        assert!(read(&repo, false).is_some());
        // A `.gitattributes` in the index, or in the tree (tracked or not).
        assert_eq!(read(&repo, true), None);
        for at in [".gitattributes", "d/.gitattributes"] {
            std::fs::write(tmp.path().join(at), "*.txt text\n").unwrap();
            assert_eq!(read(&repo, false), None, "{at}");
            std::fs::remove_file(tmp.path().join(at)).unwrap();
        }
        // The repository's own attribute file.
        let info = tmp.path().join(".git/info/attributes");
        std::fs::create_dir_all(info.parent().unwrap()).unwrap();
        std::fs::write(&info, "* -text\n").unwrap();
        assert_eq!(read(&repo, false), None);
        std::fs::remove_file(&info).unwrap();
        // Settings that convert, or name an attribute file.
        for (key, value) in [
            ("core.autocrlf", "true"),
            ("core.autocrlf", "input"),
            ("core.attributesFile", "x"),
        ] {
            git(tmp.path(), &["config", key, value], None);
            let repo = Repository::open(tmp.path()).unwrap();
            assert_eq!(read(&repo, false), None, "{key}={value}");
            git(tmp.path(), &["config", "--unset", key], None);
        }
        git(tmp.path(), &["config", "core.autocrlf", "false"], None);
        let repo = Repository::open(tmp.path()).unwrap();
        assert!(read(&repo, false).is_some());
        // The user's attribute file, and settings from git's command line.
        let (stat, written) = entry(tmp.path());
        let home = tmp.path().join("home");
        std::fs::create_dir_all(home.join(".config/git")).unwrap();
        std::fs::write(home.join(".config/git/attributes"), "* text\n").unwrap();
        let xdg = home.join(".config");
        let envs: [(&str, OsString); 7] = [
            ("HOME", home.into()),
            ("XDG_CONFIG_HOME", xdg.into()),
            ("GIT_CONFIG_PARAMETERS", "'core.autocrlf'='true'".into()),
            ("GIT_CONFIG_COUNT", "1".into()),
            ("GIT_CONFIG_GLOBAL", "/some/gitconfig".into()),
            ("GIT_CONFIG_SYSTEM", "/some/gitconfig".into()),
            ("GIT_ATTR_SOURCE", "HEAD".into()),
        ];
        for (var, value) in envs {
            let mut tree = Worktree::new(&repo, written, false).unwrap();
            tree.env = Box::new(move |v| (v == var).then(|| value.clone()));
            let got = tree.read(&repo, PATH.as_bytes(), &stat, u64::MAX);
            assert!(got.is_none(), "{var}");
        }
    }

    #[test]
    fn small_files_and_paths_git_does_not_write_are_not() {
        let (_tmp, repo) = staged(b"small\n");
        assert_eq!(read(&repo, false), None);
        for bad in ["", "a//b", "./a", "a/../b", ".git/config", "a/.GIT/x", "/a"] {
            assert!(!safe_path(bad.as_bytes()), "{bad}");
        }
        for good in ["a", "a/b.txt", ".github/x", "a/.gitx", "..a"] {
            assert!(safe_path(good.as_bytes()), "{good}");
        }
    }
}
