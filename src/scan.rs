//! The scan driver, between sources and reporters: it makes the `Sink` that workers
//! hand findings to (with the allowlist and baseline as its filter), runs the
//! sources, and collects findings in a thread that streams `jsonl` or gathers them
//! for the other formats.

use std::sync::{Arc, mpsc};
use std::time::Instant;

use crate::filter::Allowlist;
use crate::filter::baseline::Baseline;
use crate::finding::Finding;
pub use crate::source::Sink;
use crate::source::sink::Filtered;
pub use crate::stats::Stats;

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
    let Filters {
        allowlist,
        baseline,
    } = filters;
    let filter = move |f: &Finding| {
        if f.inline_allowed || allowlist.allows(f) {
            Filtered::Allowed
        } else if baseline.as_ref().is_some_and(|b| b.contains(f)) {
            Filtered::Baselined
        } else {
            Filtered::Kept
        }
    };
    let sink = Sink::new(tx, Arc::clone(&stats), Arc::new(filter));
    let progress = crate::progress::Progress::start(progress, Arc::clone(&stats));
    let panicked = |_| Err(anyhow::anyhow!("a scan thread panicked"));
    let result = match stream.as_mut() {
        // Nothing to write while scanning: the scan runs on this thread (a hook's
        // scan of a few files starts no thread, nor the allocator arena one
        // brings), and the findings are taken from the channel after it.
        None => {
            let produced = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| produce(sink)))
                .unwrap_or_else(panicked);
            (rx.into_iter().collect(), produced, None)
        }
        Some(w) => std::thread::scope(|s| {
            let producer = s.spawn(move || produce(sink));
            let mut findings = Vec::new();
            let mut stream_err = None;
            for f in rx {
                if stream_err.is_none()
                    && let Err(e) = w(&f)
                {
                    stream_err = Some(e);
                }
                findings.push(f);
            }
            let produced = producer.join().unwrap_or_else(panicked);
            (findings, produced, stream_err)
        }),
    };
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
