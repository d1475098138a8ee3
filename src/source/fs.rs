//! Folders and files: a parallel walk (the `ignore` crate, as in ripgrep) with one
//! scanner and read buffer per thread. .gitignore is respected except for build
//! output, which is what gets deployed: ignored build folders next to a
//! `package.json` (or at a root) are walked in a second pass.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use crate::detect::Detector;
use crate::finding::Provenance;
use crate::messages;
use crate::source::Scanner;
use crate::source::Sink;
use crate::source::{BUILD_DIRS, SourceOptions};
use crate::stats::Stats;
use crate::units::human_bytes;

pub struct WalkOptions {
    pub no_ignore: bool,
    pub follow: bool,
    pub binary: bool,
}

pub fn scan(
    roots: &[PathBuf],
    opts: &WalkOptions,
    cfg: &SourceOptions,
    sink: Sink,
) -> anyhow::Result<()> {
    // Left to the process's exit, like what `staged` builds: taking its
    // automata apart again was 22,000 instructions of a one-file run.
    let detector = std::mem::ManuallyDrop::new(crate::decode::detector(cfg.rules.clone())?);
    for root in roots {
        if let Err(e) = std::fs::symlink_metadata(root) {
            messages::error(&root.display().to_string(), describe_io(&e));
        }
    }
    let roots: Vec<PathBuf> = roots.iter().filter(|r| r.exists()).cloned().collect();
    if roots.is_empty() {
        return Ok(());
    }
    let seen_build = Mutex::new(HashSet::<PathBuf>::new());
    let projects = Mutex::new(HashSet::<PathBuf>::new());
    if roots.iter().all(|r| r.is_file()) {
        // Only files, named on the command line (a hook's few staged paths): no
        // ignore rules apply to them (as in ripgrep), so no walker, matchers or
        // threads; each is read here, in order.
        let mut worker = FileWorker::new(Detector::clone(&detector), &sink, cfg, opts);
        for root in &roots {
            if root.file_name().is_some_and(|n| n == "package.json")
                && let (Some(parent), Ok(mut p)) = (root.parent(), projects.lock())
            {
                p.insert(parent.to_path_buf());
            }
            worker.scan_file(root, true);
        }
    } else {
        walk(
            &roots,
            opts,
            cfg,
            &detector,
            &sink,
            !opts.no_ignore,
            Some((&seen_build, &projects)),
        );
    }
    if opts.no_ignore || !cfg.scan_build_output {
        return Ok(());
    }
    // Second pass: build folders the first walk did not enter (ignored ones).
    let mut projects = projects.into_inner().unwrap_or_default();
    projects.extend(roots.iter().filter(|r| r.is_dir()).cloned());
    let seen = seen_build.into_inner().unwrap_or_default();
    let mut extra: Vec<PathBuf> = projects
        .iter()
        .flat_map(|p| BUILD_DIRS.iter().map(move |b| p.join(b)))
        .filter(|d| !seen.contains(d) && d.is_dir())
        .collect();
    extra.sort();
    if !extra.is_empty() {
        walk(&extra, opts, cfg, &detector, &sink, false, None);
    }
    Ok(())
}

type Trackers<'a> = (&'a Mutex<HashSet<PathBuf>>, &'a Mutex<HashSet<PathBuf>>);

fn walk(
    roots: &[PathBuf],
    opts: &WalkOptions,
    cfg: &SourceOptions,
    detector: &Detector,
    sink: &Sink,
    ignores: bool,
    track: Option<Trackers>,
) {
    let mut wb = WalkBuilder::new(&roots[0]);
    for r in &roots[1..] {
        wb.add(r);
    }
    let skip_node_modules = !opts.no_ignore;
    wb.hidden(false)
        .ignore(ignores)
        .git_ignore(ignores)
        .git_exclude(ignores)
        .git_global(ignores)
        .parents(ignores)
        .follow_links(opts.follow)
        .threads(cfg.threads)
        .filter_entry(move |e| {
            let name = last_name(e.path());
            e.depth() == 0 || !(name == ".git" || (skip_node_modules && name == "node_modules"))
        });
    wb.build_parallel().run(|| {
        let mut worker = FileWorker::new(detector.clone(), sink, cfg, opts);
        Box::new(move |result| {
            match result {
                Ok(entry) => {
                    let ft = entry.file_type();
                    if ft.is_some_and(|t| t.is_dir()) {
                        if let Some((seen, _)) = track
                            && BUILD_DIRS.iter().any(|b| last_name(entry.path()) == *b)
                            && let Ok(mut s) = seen.lock()
                        {
                            s.insert(entry.path().to_path_buf());
                        }
                    } else if ft.is_some_and(|t| t.is_file())
                        || (entry.depth() == 0 && entry.path().is_file())
                    {
                        if let Some((_, projects)) = track
                            && last_name(entry.path()) == "package.json"
                            && let (Some(parent), Ok(mut p)) =
                                (entry.path().parent(), projects.lock())
                        {
                            p.insert(parent.to_path_buf());
                        }
                        worker.scan_file(entry.path(), entry.depth() == 0);
                    } else if entry.depth() == 0 && !entry.path().is_dir() {
                        // Named on the command line but no regular file: a FIFO
                        // would block, a device never ends.
                        let kind = entry.path().metadata().map(|m| special_kind(&m));
                        messages::Incomplete::record(
                            &display_path(entry.path()),
                            format!(
                                "not read: {} (pipe its content through `qrcp-scan stdin`)",
                                kind.unwrap_or("not a regular file")
                            ),
                        );
                    } else if entry.depth() > 0
                        && let Some(kind) = ft.filter(|t| !t.is_symlink()).map(special_type)
                    {
                        // Inside a walked folder: a FIFO would block, a device never
                        // ends, a socket has no content. Skipped by design, said once.
                        messages::note(
                            &display_path(entry.path()),
                            format!("skipped: {kind} is never read inside a folder"),
                        );
                    }
                }
                Err(err) => report_walk_error(&err),
            }
            WalkState::Continue
        })
    });
}

/// `name` opened for reading in the open folder `dir`, as `File::open` opens
/// a path (following a symbolic link, closed on exec).
#[cfg(unix)]
fn open_at(
    dir: &std::fs::File,
    name: &std::ffi::OsStr,
    scratch: &mut Vec<u8>,
) -> std::io::Result<std::fs::File> {
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::os::unix::ffi::OsStrExt;
    // NUL-terminated in the worker's buffer, not a new string per file.
    scratch.clear();
    scratch.extend_from_slice(name.as_bytes());
    scratch.push(0);
    let name = std::ffi::CStr::from_bytes_with_nul(scratch)
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    // SAFETY: `dir` is an open descriptor for the call's length and `name` a
    // NUL-terminated string; a descriptor returned is new, and owned by the File.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            name.as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened, is valid, and nothing else owns it.
    Ok(unsafe { std::fs::File::from_raw_fd(fd) })
}

struct FileWorker {
    scanner: Scanner,
    buf: Vec<u8>,
    max: u64,
    binary: bool,
    /// The folder of the last file opened, and that folder open (when it
    /// could be): see [`FileWorker::open`].
    dir: Option<(PathBuf, Option<std::fs::File>)>,
    /// The NUL-terminated name [`open_at`] passes.
    name: Vec<u8>,
}

impl FileWorker {
    fn new(detector: Detector, sink: &Sink, cfg: &SourceOptions, opts: &WalkOptions) -> FileWorker {
        FileWorker {
            scanner: Scanner::new(detector, sink.clone())
                .with_limits(cfg.archive)
                .with_binary(opts.binary),
            buf: Vec::new(),
            max: cfg.max_file_size,
            binary: opts.binary,
            dir: None,
            name: Vec::new(),
        }
    }

    /// Opens `path`. A walk hands a worker one folder's files one after the
    /// other: each is opened by name in its folder, kept open (`openat`), and
    /// the kernel walks one name instead of the whole path again. Path lookups
    /// were a seventh of the CPU a scan of a 100,000-file tree took.
    fn open(&mut self, path: &Path) -> std::io::Result<std::fs::File> {
        #[cfg(unix)]
        if let Some((parent, name)) = split_name(path)
            && !parent.is_empty()
        {
            use std::os::unix::ffi::OsStrExt;
            if self
                .dir
                .as_ref()
                .is_none_or(|(p, _)| p.as_os_str().as_bytes() != parent)
            {
                let parent = Path::new(std::ffi::OsStr::from_bytes(parent));
                let dir = std::fs::File::open(parent).ok();
                self.dir = Some((parent.to_path_buf(), dir));
            }
            if let Some((_, Some(dir))) = &self.dir {
                return open_at(dir, std::ffi::OsStr::from_bytes(name), &mut self.name);
            }
        }
        std::fs::File::open(path)
    }

    /// Scans one file; `explicit` when it was named on the command line (read
    /// whatever it looks like, and a size over the limit leaves the scan incomplete).
    fn scan_file(&mut self, path: &Path, explicit: bool) {
        // One path lookup per file (open), and most files are read whole by the
        // first read: only a file that fills it is measured (fstat), to be
        // skipped, mapped or read on. ripgrep never asks a file's size either.
        let file = match self.open(path) {
            Ok(f) => f,
            Err(e) => return messages::error(&display_path(path), describe_io(&e)),
        };
        self.buf.clear();
        self.buf.reserve(FIRST_READ);
        if let Err(e) = (&file).take(FIRST_READ as u64).read_to_end(&mut self.buf) {
            return messages::error(&display_path(path), describe_io(&e));
        }
        if self.buf.len() == FIRST_READ || self.buf.len() as u64 > self.max {
            let len = match file.metadata() {
                Ok(m) => m.len().max(self.buf.len() as u64),
                Err(e) => return messages::error(&display_path(path), describe_io(&e)),
            };
            if len > self.max && explicit {
                // Asked for by name: not a by-design skip.
                return messages::Incomplete::record(
                    &display_path(path),
                    format!(
                        "not read: {} is larger than --max-file-size ({}); raise it to scan the file",
                        human_bytes(len),
                        human_bytes(self.max)
                    ),
                );
            }
            if len > self.max {
                Stats::add(&self.scanner.sink.stats.skipped, 1);
                return messages::note(
                    &display_path(path),
                    format!(
                        "skipped: {} is larger than --max-file-size ({})",
                        human_bytes(len),
                        human_bytes(self.max)
                    ),
                );
            }
            if len > MAP_ABOVE {
                return self.scan_mapped(&file, path, explicit);
            }
            // `len` is what fstat said a moment ago: read at most the limit, and
            // let the buffer grow with what really arrives.
            self.buf
                .reserve((len as usize).saturating_sub(self.buf.len()));
            let rest = (self.max + 1).saturating_sub(self.buf.len() as u64);
            if let Err(e) = (&file).take(rest).read_to_end(&mut self.buf) {
                return messages::error(&display_path(path), describe_io(&e));
            }
        }
        let shown = display_path(path);
        if !self.binary && !explicit && crate::source::looks_binary(&self.buf, &shown) {
            Stats::add(&self.scanner.sink.stats.skipped, 1);
            return;
        }
        let stats = &self.scanner.sink.stats;
        Stats::add(&stats.files, 1);
        Stats::add(&stats.bytes, self.buf.len() as u64);
        let prov = Provenance::file(shown);
        let buf = std::mem::take(&mut self.buf);
        self.scanner.scan_blob(&buf, &prov);
        self.buf = buf;
        // Don't keep a huge buffer alive for the small files that follow.
        if self.buf.capacity() > 16 << 20 {
            self.buf = Vec::new();
        }
    }
}

/// What the first read of a file asks for: most files end within it.
const FIRST_READ: usize = 64 << 10;

/// Files larger than this (a raised `--max-file-size`) are mapped, not read into
/// memory: a 20 GB file costs address space and page cache, never a 20 GB buffer.
const MAP_ABOVE: u64 = 64 << 20;

impl FileWorker {
    /// Scans a large file through a read-only memory map.
    fn scan_mapped(&mut self, file: &std::fs::File, path: &Path, explicit: bool) {
        let shown = display_path(path);
        // SAFETY: the map is read-only and dropped before this returns; a file
        // truncated by another process meanwhile is the one hazard, as in ripgrep's
        // mmap searcher.
        let map = match unsafe { memmap2::Mmap::map(file) } {
            Ok(m) => m,
            Err(e) => return messages::error(&shown, describe_io(&e)),
        };
        let data: &[u8] = &map;
        let data = &data[..data.len().min(self.max as usize)];
        if !self.binary && !explicit && crate::source::looks_binary(data, &shown) {
            Stats::add(&self.scanner.sink.stats.skipped, 1);
            return;
        }
        let stats = &self.scanner.sink.stats;
        Stats::add(&stats.files, 1);
        Stats::add(&stats.bytes, data.len() as u64);
        self.scanner.scan_blob(data, &Provenance::file(shown));
    }
}

/// A walked path (`folder/name`) as the bytes before and after its last `/`,
/// when what follows is a name (not empty, `.` or `..`): found without parsing
/// the path's components, which every file and entry would pay for. (Not with
/// `memchr`: its first call asks the CPU for its features, a dozen `cpuid`
/// traps on a virtual machine, which a hook run avoids.)
#[cfg(unix)]
fn split_name(path: &Path) -> Option<(&[u8], &[u8])> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let cut = bytes.iter().rposition(|&b| b == b'/')?;
    let name = &bytes[cut + 1..];
    (!matches!(name, b"" | b"." | b"..")).then_some((&bytes[..cut], name))
}

/// A walked path's last component ([`split_name`]'s name), or what std says.
fn last_name(path: &Path) -> &std::ffi::OsStr {
    #[cfg(unix)]
    if let Some((_, name)) = split_name(path) {
        use std::os::unix::ffi::OsStrExt;
        return std::ffi::OsStr::from_bytes(name);
    }
    path.file_name().unwrap_or(path.as_os_str())
}

/// What a path that is neither a folder nor a regular file is.
fn special_kind(m: &std::fs::Metadata) -> &'static str {
    special_type(m.file_type())
}

fn special_type(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// The path as reported: `./a/b` -> `a/b`, separators as `/`.
pub fn display_path(path: &Path) -> String {
    let p = path.strip_prefix(".").unwrap_or(path);
    // Most paths are UTF-8: checked by `from_utf8`'s fast path, not chunk by
    // chunk as `to_string_lossy` does.
    let s = match p.to_str() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => p.to_string_lossy(),
    };
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            // "Is a directory (os error 21)" -> "is a directory (os error 21)"
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_lowercase().chain(c).collect())
                .unwrap_or(s)
        }
    }
}

fn report_walk_error(err: &ignore::Error) {
    match err {
        ignore::Error::WithPath { path, err } if name_too_long(err) => {
            too_deep(path);
        }
        ignore::Error::WithPath { path, err } => {
            messages::error(&display_path(path), walk_reason(err))
        }
        ignore::Error::WithDepth { err, .. } => report_walk_error(err),
        ignore::Error::Loop { child, ancestor } => messages::error(
            &display_path(child),
            format!(
                "symbolic link loop to {}, not followed",
                display_path(ancestor)
            ),
        ),
        other => messages::error("walk", walk_reason(other)),
    }
}

/// Whether the walk stopped because the path grew past what the system takes
/// (`PATH_MAX`, 4096 bytes on Linux), or a name past `NAME_MAX`.
fn name_too_long(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::Io(e) => e.kind() == std::io::ErrorKind::InvalidFilename,
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithPath { err, .. } => {
            name_too_long(err)
        }
        _ => false,
    }
}

/// A folder nested deeper than the path length allows: what is below it was not
/// read. Named by its first and last folders (the whole path is thousands of
/// bytes), with how to read it.
fn too_deep(path: &Path) {
    let shown = display_path(path);
    let parts: Vec<&str> = shown.split('/').collect();
    let short = if parts.len() > 6 {
        format!(
            "{}/…({} folders)…/{}",
            parts[..3].join("/"),
            parts.len() - 4,
            parts[parts.len() - 1]
        )
    } else {
        shown.clone()
    };
    messages::Incomplete::record(
        &short,
        format!(
            "not read: {} bytes of path, longer than the system allows; scan it from a folder \
             inside (`cd` part of the way down, then `qrcp-scan dir .`)",
            shown.len()
        ),
    );
}

fn walk_reason(err: &ignore::Error) -> String {
    match err {
        ignore::Error::Io(e) => describe_io(e),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithPath { err, .. } => {
            walk_reason(err)
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::last_name;
    use std::path::Path;

    #[test]
    fn last_name_is_the_walked_name_or_what_std_says() {
        for (path, want) in [
            ("a/b/package.json", "package.json"),
            ("package.json", "package.json"),
            ("/dist", "dist"),
            ("a/dist/", "dist"),
            ("a/dist/.", "dist"),
            ("a/..", "a/.."),
            (".", "."),
            ("a//node_modules", "node_modules"),
        ] {
            assert_eq!(last_name(Path::new(path)), want, "{path}");
        }
    }
}
