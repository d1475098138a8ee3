//! Non-fatal problems (one unreadable file, one corrupt object): printed as one
//! sanitised line on standard error, counted, and the scan goes on. The count
//! decides the exit status at the end (2 when there were errors and no findings).

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::sanitize::sanitize;

static ERRORS: AtomicU64 = AtomicU64::new(0);

/// How a line reaches standard error while something else draws there (the
/// progress bar registers one, so lines don't tangle with it).
pub type StderrHook = fn(&str);

static HOOK: RwLock<Option<StderrHook>> = RwLock::new(None);

/// Routes every message line through `hook` (`None`: straight to standard error).
pub fn set_stderr_hook(hook: Option<StderrHook>) {
    if let Ok(mut h) = HOOK.write() {
        *h = hook;
    }
}

/// Prints a line on standard error, through the registered hook when there is one.
pub fn println_stderr(line: &str) {
    let hook = HOOK.read().ok().and_then(|h| *h);
    match hook {
        Some(hook) => hook(line),
        None => eprintln!("{line}"),
    }
}

/// Reports an error about one input and carries on.
pub fn error(what: &str, reason: impl std::fmt::Display) {
    ERRORS.fetch_add(1, Ordering::Relaxed);
    // The same prefix as a fatal error (`main`): one way to spot every error line.
    let line = format!(
        "qrcp-scan: error: {}: {}",
        sanitize(what),
        sanitize(&reason.to_string())
    );
    println_stderr(&line);
}

/// A note about an input that was skipped on purpose (too large, binary bomb…).
/// Not an error: the exit status is unchanged.
pub fn note(what: &str, reason: impl std::fmt::Display) {
    let line = format!(
        "qrcp-scan: note: {}: {}",
        sanitize(what),
        sanitize(&reason.to_string())
    );
    println_stderr(&line);
}

pub fn error_count() -> u64 {
    ERRORS.load(Ordering::Relaxed)
}

/// Content that was asked for but not read in full (an archive over a limit, an
/// encrypted member, a FIFO named on the command line, a promisor object of a
/// partial clone that is not there…). Collected like the error count; reported in
/// the summary, in JSON (`incomplete`) and SARIF (tool execution notifications),
/// and the exit status is 2 unless a finding made it 1. Files skipped by design
/// (binary, ignored, over the size limit inside a walked tree) are notes instead.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Incomplete {
    /// The path, archive member (`a.zip!b/c`) or object that was not read in full.
    pub path: String,
    /// Why, and how to read it (the flag that raises the limit, the command that
    /// fetches the objects).
    pub reason: String,
}

static INCOMPLETE: std::sync::Mutex<Vec<Incomplete>> = std::sync::Mutex::new(Vec::new());

/// How many entries the list keeps (the count goes on past it).
const INCOMPLETE_KEPT: usize = 1000;
static INCOMPLETE_COUNT: AtomicU64 = AtomicU64::new(0);

impl Incomplete {
    /// The one entry point: records that `place` was not read in full and why, and
    /// prints it on standard error.
    pub fn record(place: &str, reason: impl std::fmt::Display) {
        let reason = reason.to_string();
        INCOMPLETE_COUNT.fetch_add(1, Ordering::Relaxed);
        println_stderr(&format!(
            "qrcp-scan: incomplete: {}: {}",
            sanitize(place),
            sanitize(&reason)
        ));
        if let Ok(mut list) = INCOMPLETE.lock()
            && list.len() < INCOMPLETE_KEPT
        {
            list.push(Incomplete {
                path: place.to_string(),
                reason,
            });
        }
    }

    /// Everything recorded so far (the first thousand), sorted.
    pub fn all() -> Vec<Incomplete> {
        let mut v = INCOMPLETE.lock().map(|l| l.clone()).unwrap_or_default();
        v.sort_by(|a, b| (&a.path, &a.reason).cmp(&(&b.path, &b.reason)));
        v
    }

    /// A mark in the kept list, for [`Incomplete::since`].
    pub fn mark() -> usize {
        INCOMPLETE.lock().map(|l| l.len()).unwrap_or(0)
    }

    /// What was recorded after `mark` (in the kept list), in the order recorded:
    /// one repository's share of an `org scan`.
    pub fn since(mark: usize) -> Vec<Incomplete> {
        INCOMPLETE
            .lock()
            .map(|l| l.get(mark..).unwrap_or_default().to_vec())
            .unwrap_or_default()
    }

    /// How many places were recorded (also past the kept list).
    pub fn count() -> u64 {
        INCOMPLETE_COUNT.load(Ordering::Relaxed)
    }
}
