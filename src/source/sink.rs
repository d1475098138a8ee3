//! The sink that sources hand findings to. Cheap to clone (one per worker thread);
//! the scan driver makes it with a filter (allowlist, baseline, inline markers) and
//! a channel to its collector, so sources know neither.

use std::sync::{Arc, mpsc};

use crate::finding::Finding;
use crate::stats::Stats;

/// What the filter made of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filtered {
    Kept,
    Allowed,
    Baselined,
}

/// The filter a sink applies to each finding.
pub type Filter = Arc<dyn Fn(&Finding) -> Filtered + Send + Sync>;

/// Where workers put findings.
#[derive(Clone)]
pub struct Sink {
    tx: mpsc::Sender<Finding>,
    pub stats: Arc<Stats>,
    filter: Filter,
}

impl Sink {
    pub fn new(tx: mpsc::Sender<Finding>, stats: Arc<Stats>, filter: Filter) -> Sink {
        Sink { tx, stats, filter }
    }

    /// Filters (allowlist, baseline, inline markers) and forwards findings.
    pub fn put(&self, findings: &mut Vec<Finding>) {
        for f in findings.drain(..) {
            match (self.filter)(&f) {
                Filtered::Allowed => Stats::add(&self.stats.allowed, 1),
                Filtered::Baselined => Stats::add(&self.stats.baselined, 1),
                // The collector only stops when every sink is dropped.
                Filtered::Kept => {
                    let _ = self.tx.send(f);
                }
            }
        }
    }
}
