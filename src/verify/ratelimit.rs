//! Pacing, as the API contract asks: per key, stop sending once
//! `X-RateLimit-Remaining` is 0 until `X-RateLimit-Reset`, and after a 429 wait
//! for `Retry-After`, else the reset time, else 60 s; globally, at most
//! `--api-rate` requests a minute. Waits are real sleeps driven by the server's
//! headers; the arithmetic is pure and tested alone.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::verify::client::RateInfo;

/// Wait when a 429 says nothing usable, as the contract says.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(60);
/// Never retry sooner than this after a 429 (no tight loops, even on `Retry-After: 0`).
pub const MIN_WAIT: Duration = Duration::from_secs(1);
/// A wait longer than this is not waited for: the key's action gives up.
pub const MAX_WAIT: Duration = Duration::from_secs(300);
/// Reset times are whole seconds: start a little after.
const MARGIN: Duration = Duration::from_millis(100);

#[derive(Debug)]
pub struct Limiter {
    /// Per key (fingerprint): no request before this instant.
    blocked: Mutex<HashMap<String, Instant>>,
    /// Global pacing: the interval between two requests, and the next free slot.
    interval: Duration,
    next_slot: Mutex<Instant>,
}

impl Limiter {
    pub fn new(per_minute: u32) -> Limiter {
        Limiter {
            blocked: Mutex::new(HashMap::new()),
            interval: Duration::from_secs(60) / per_minute.max(1),
            next_slot: Mutex::new(Instant::now()),
        }
    }

    /// Sleeps until a request with this key may go: its own window, then a global slot.
    pub fn before(&self, fingerprint: &str) {
        let until = self
            .blocked
            .lock()
            .ok()
            .and_then(|b| b.get(fingerprint).copied());
        if let Some(until) = until {
            sleep_until(until);
        }
        let slot = match self.next_slot.lock() {
            Ok(mut next) => {
                let slot = (*next).max(Instant::now());
                *next = slot + self.interval;
                slot
            }
            Err(_) => Instant::now(),
        };
        sleep_until(slot);
    }

    /// Records an answer's headers: with nothing left in the window, the key waits
    /// for its reset.
    pub fn after(&self, fingerprint: &str, rate: &RateInfo) {
        if rate.remaining == Some(0) {
            let wait = until_reset(rate.reset, SystemTime::now()).unwrap_or(DEFAULT_WAIT);
            self.block(fingerprint, wait + MARGIN);
        }
    }

    /// No request with this key for `wait`.
    pub fn block(&self, fingerprint: &str, wait: Duration) {
        let until = Instant::now() + wait;
        if let Ok(mut b) = self.blocked.lock() {
            let e = b.entry(fingerprint.to_string()).or_insert(until);
            *e = (*e).max(until);
        }
    }
}

fn sleep_until(t: Instant) {
    let now = Instant::now();
    if t > now {
        std::thread::sleep(t - now);
    }
}

/// Time from `now` to a Unix reset time (zero when it has passed).
pub fn until_reset(reset: Option<u64>, now: SystemTime) -> Option<Duration> {
    let reset = UNIX_EPOCH + Duration::from_secs(reset?);
    Some(reset.duration_since(now).unwrap_or(Duration::ZERO))
}

/// How long to wait after a 429: `Retry-After` wins, then the reset time, then
/// 60 s; never less than [`MIN_WAIT`].
pub fn wait_after_429(rate: &RateInfo, now: SystemTime) -> Duration {
    let wait = match (rate.retry_after, until_reset(rate.reset, now)) {
        (Some(secs), _) => Duration::from_secs(secs),
        (None, Some(d)) => d + MARGIN,
        (None, None) => DEFAULT_WAIT,
    };
    wait.max(MIN_WAIT)
}

/// Exponential backoff with jitter for service errors: attempt 1 waits
/// 0.25–0.5 s, attempt 2 0.5–1 s, … at most 8 s.
pub fn backoff(attempt: u32) -> Duration {
    let full = Duration::from_millis(500)
        .saturating_mul(1 << attempt.saturating_sub(1).min(4))
        .min(Duration::from_secs(8));
    let half = full / 2;
    half + half.mul_f64(jitter())
}

/// A number in [0, 1) that differs between calls (std's per-map random keys).
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn retry_after_wins_then_reset_then_sixty_seconds() {
        let now = at(1_000);
        let both = RateInfo {
            remaining: Some(0),
            reset: Some(1_030),
            retry_after: Some(5),
        };
        assert_eq!(wait_after_429(&both, now), Duration::from_secs(5));
        let reset_only = RateInfo {
            retry_after: None,
            ..both
        };
        assert_eq!(
            wait_after_429(&reset_only, now),
            Duration::from_secs(30) + MARGIN
        );
        assert_eq!(wait_after_429(&RateInfo::default(), now), DEFAULT_WAIT);
        let past = RateInfo {
            reset: Some(900),
            ..RateInfo::default()
        };
        assert_eq!(wait_after_429(&past, now), MIN_WAIT);
        let zero = RateInfo {
            retry_after: Some(0),
            ..RateInfo::default()
        };
        assert_eq!(wait_after_429(&zero, now), MIN_WAIT);
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        for attempt in 1..=8 {
            let d = backoff(attempt);
            let full =
                Duration::from_millis(500 << (attempt - 1).min(4)).min(Duration::from_secs(8));
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
        let spread: std::collections::HashSet<_> = (0..20).map(|_| backoff(3)).collect();
        assert!(spread.len() > 1, "no jitter");
    }

    #[test]
    fn exhausted_window_blocks_the_key_until_reset() {
        let l = Limiter::new(60_000);
        let reset = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 1;
        l.after(
            "k",
            &RateInfo {
                remaining: Some(0),
                reset: Some(reset),
                retry_after: None,
            },
        );
        let start = Instant::now();
        l.before("other");
        assert!(start.elapsed() < Duration::from_millis(200));
        l.before("k");
        let waited = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        assert!(waited >= Duration::from_secs(reset), "{waited:?} < {reset}");
    }

    #[test]
    fn global_rate_spaces_requests() {
        let l = Limiter::new(600);
        let start = Instant::now();
        for _ in 0..4 {
            l.before("k");
        }
        assert!(start.elapsed() >= Duration::from_millis(300));
    }
}
