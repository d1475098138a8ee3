//! Glue between sources and reporters: the shared `Stats`, the `Sink` that workers
//! hand findings to (allowlist applied there), and the collector thread that streams
//! `jsonl` or gathers findings for the other formats.

use std::sync::{Arc, mpsc};
use std::time::Instant;

use crate::filter::Allowlist;
use crate::filter::baseline::Baseline;
use crate::finding::Finding;
pub use crate::stats::Stats;

/// Where workers put findings. Cheap to clone: one per worker thread.
#[derive(Clone)]
pub struct Sink {
    tx: mpsc::Sender<Finding>,
    pub stats: Arc<Stats>,
    allowlist: Arc<Allowlist>,
    baseline: Option<Arc<Baseline>>,
}

impl Sink {
    /// Filters (allowlist, inline markers) and forwards findings.
    pub fn put(&self, findings: &mut Vec<Finding>) {
        for f in findings.drain(..) {
            if f.inline_allowed || self.allowlist.allows(&f) {
                Stats::add(&self.stats.allowed, 1);
                continue;
            }
            if self.baseline.as_ref().is_some_and(|b| b.contains(&f)) {
                Stats::add(&self.stats.baselined, 1);
                continue;
            }
            // The collector only stops when every sink is dropped.
            let _ = self.tx.send(f);
        }
    }
}

/// Receives each finding as the collector gets it (`jsonl`).
pub type StreamFn<'a> = &'a mut dyn FnMut(&Finding) -> std::io::Result<()>;

/// What a finished scan hands to the reporter.
pub struct Scanned {
    pub findings: Vec<Finding>,
    pub stats: Arc<Stats>,
    pub elapsed: std::time::Duration,
}

/// The filters the sink applies: the allowlist and the baseline.
#[derive(Clone)]
pub struct Filters {
    pub allowlist: Arc<Allowlist>,
    pub baseline: Option<Arc<Baseline>>,
}

/// Runs `produce` (which feeds the sink from any number of threads) while a
/// collector gathers findings; `stream` receives each finding as it arrives
/// (for `jsonl`).
pub fn run<F>(
    filters: Filters,
    progress: crate::progress::Mode,
    produce: F,
    mut stream: Option<StreamFn>,
) -> anyhow::Result<Scanned>
where
    F: FnOnce(Sink) -> anyhow::Result<()> + Send,
{
    let start = Instant::now();
    let stats = Arc::new(Stats::default());
    let (tx, rx) = mpsc::channel::<Finding>();
    let sink = Sink {
        tx,
        stats: Arc::clone(&stats),
        allowlist: filters.allowlist,
        baseline: filters.baseline,
    };
    let progress = crate::progress::Progress::start(progress, Arc::clone(&stats));
    let result = std::thread::scope(|s| {
        let producer = s.spawn(move || produce(sink));
        let mut findings = Vec::new();
        let mut stream_err = None;
        for f in rx {
            if let Some(w) = stream.as_mut()
                && stream_err.is_none()
                && let Err(e) = w(&f)
            {
                stream_err = Some(e);
            }
            findings.push(f);
        }
        let produced = producer
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("a scan thread panicked")));
        (findings, produced, stream_err)
    });
    progress.finish();
    let (mut findings, produced, stream_err) = result;
    produced?;
    if let Some(e) = stream_err {
        return Err(e.into());
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(Scanned {
        findings,
        stats,
        elapsed: start.elapsed(),
    })
}
