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
