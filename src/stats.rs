//! The counters a scan keeps (files, bytes, objects, what was filtered or skipped),
//! shared by every worker and read by progress and reporters. A leaf.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters shared by every worker.
#[derive(Debug, Default)]
pub struct Stats {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub blobs: AtomicU64,
    pub commits: AtomicU64,
    pub placeholders: AtomicU64,
    pub allowed: AtomicU64,
    pub baselined: AtomicU64,
    pub skipped: AtomicU64,
}

impl Stats {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
