//! The progress bar: on standard error, only when it is a terminal (or with
//! `--progress`), and only once a scan has run for a second. Messages printed while
//! it is drawn go through it so lines don't tangle.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::stats::Stats;

static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// When the bar is drawn: `--progress` (always), `--no-progress` (never), or when
/// standard error is a terminal (auto).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Auto,
    Always,
    Never,
}

/// Prints a line on standard error, above the progress bar when one is drawn. The
/// hook `messages` calls while the bar is up.
fn println_stderr(line: &str) {
    let bar = BAR.lock().ok().and_then(|b| b.clone());
    match bar {
        Some(bar) => bar.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    }
}

pub struct Progress {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    pub fn start(mode: Mode, stats: Arc<Stats>) -> Progress {
        let done = Arc::new(AtomicBool::new(false));
        let show = match mode {
            Mode::Never => false,
            Mode::Always => true,
            Mode::Auto => std::io::stderr().is_terminal(),
        };
        if !show {
            return Progress { done, thread: None };
        }
        let flag = Arc::clone(&done);
        if !std::io::stderr().is_terminal() {
            // `--progress` into a pipe or a CI log: a bar cannot redraw there, so
            // one plain line every few seconds, and one at the end.
            let thread = std::thread::spawn(move || plain_lines(&flag, &stats));
            return Progress {
                done,
                thread: Some(thread),
            };
        }
        let thread = std::thread::spawn(move || {
            let delay = if mode == Mode::Always {
                Duration::ZERO
            } else {
                Duration::from_secs(1)
            };
            let start = std::time::Instant::now();
            while start.elapsed() < delay {
                if flag.load(Ordering::Relaxed) {
                    return;
                }
                // `finish` unparks: a short scan does not wait out the delay.
                std::thread::park_timeout(delay.saturating_sub(start.elapsed()));
            }
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10))
                .with_elapsed(start.elapsed());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            if let Ok(mut b) = BAR.lock() {
                *b = Some(bar.clone());
            }
            crate::messages::set_stderr_hook(Some(println_stderr));
            while !flag.load(Ordering::Relaxed) {
                bar.set_message(status(&stats, start));
                bar.tick();
                std::thread::park_timeout(Duration::from_millis(100));
            }
            crate::messages::set_stderr_hook(None);
            if let Ok(mut b) = BAR.lock() {
                *b = None;
            }
            bar.finish_and_clear();
        });
        Progress {
            done,
            thread: Some(thread),
        }
    }

    pub fn finish(mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // Woken now, not at its next tick: the run ends when the scan does.
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// `1,204 files, 36.4 MiB (12.1 MiB/s)`.
fn status(stats: &Stats, start: std::time::Instant) -> String {
    let secs = start.elapsed().as_secs_f64().max(0.001);
    let bytes = Stats::get(&stats.bytes);
    let files = Stats::get(&stats.files);
    let blobs = Stats::get(&stats.blobs);
    let (n, what) = if blobs > 0 {
        (blobs, "object")
    } else {
        (files, "file")
    };
    let what = format!(
        "{} {what}{}",
        crate::units::thousands(n),
        if n == 1 { "" } else { "s" }
    );
    format!(
        "{what}, {} ({}/s)",
        crate::units::human_bytes(bytes),
        crate::units::human_bytes((bytes as f64 / secs) as u64)
    )
}

/// Progress where standard error is not a terminal: a line every 5 seconds and
/// one when the scan ends.
fn plain_lines(done: &AtomicBool, stats: &Stats) {
    let start = std::time::Instant::now();
    let mut last = start;
    while !done.load(Ordering::Relaxed) {
        std::thread::park_timeout(Duration::from_millis(50));
        if last.elapsed() >= Duration::from_secs(5) {
            last = std::time::Instant::now();
            crate::messages::println_stderr(&format!(
                "qrcp-scan: progress: {}",
                status(stats, start)
            ));
        }
    }
    crate::messages::println_stderr(&format!(
        "qrcp-scan: progress: done, {} in {:.2} s",
        status(stats, start),
        start.elapsed().as_secs_f64()
    ));
}
