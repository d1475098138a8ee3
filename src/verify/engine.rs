//! The engine: one action over many keys with a few workers, shared pacing, one
//! audit log; and the contract's tables of what each answer means.

use super::*;

/// Runs one action over many keys: a few workers, shared pacing, one audit log.
pub(super) struct Engine<'a> {
    client: Client,
    limiter: &'a Limiter,
    tries: u32,
    audit: Option<AuditLog>,
}

/// What one answer means.
pub(super) enum Step {
    Final(Verdict, Option<String>),
    RateLimited(RateInfo),
    /// An error of the service worth retrying (5xx, a bad body, no answer).
    Transient(String),
}

impl Engine<'_> {
    pub(super) fn new(api: &ApiConfig, audit: Option<AuditLog>) -> Engine<'_> {
        Engine {
            client: Client::new(&api.base, api.timeout),
            limiter: &api.limiter,
            tries: api.tries.max(1),
            audit,
        }
    }

    pub(super) fn run(&self, action: Action, targets: &[Target]) -> Vec<Settled> {
        let next = AtomicUsize::new(0);
        let results: Vec<Mutex<Option<Settled>>> =
            targets.iter().map(|_| Mutex::new(None)).collect();
        std::thread::scope(|s| {
            for _ in 0..WORKERS.min(targets.len()) {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(t) = targets.get(i) else { break };
                        let settled = self.one(action, t);
                        if let Ok(mut slot) = results[i].lock() {
                            *slot = Some(settled);
                        }
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|m| {
                m.into_inner().ok().flatten().unwrap_or(Settled {
                    outcome: action.gave_up(),
                    status: None,
                    detail: Some("internal error: no result".into()),
                    attempts: 0,
                })
            })
            .collect()
    }

    pub(super) fn record(
        &self,
        action: Action,
        t: &Target,
        attempt: u32,
        outcome: &str,
        s: &Settled,
    ) {
        if let Some(audit) = &self.audit {
            audit.record(&Entry {
                time: audit::now_rfc3339(),
                action: action.as_str(),
                fingerprint: &t.fingerprint,
                key: &t.redacted,
                location: &t.location,
                attempt,
                outcome,
                status: s.status,
                detail: s.detail.as_deref(),
            });
        }
    }

    pub(super) fn one(&self, action: Action, t: &Target) -> Settled {
        let key = match &t.key {
            Ok(k) => k,
            Err(why) => {
                let s = Settled {
                    outcome: action.gave_up(),
                    status: None,
                    detail: Some(why.clone()),
                    attempts: 0,
                };
                self.record(action, t, 0, s.outcome.as_str(), &s);
                return s;
            }
        };
        let (path, body) = match action {
            Action::Verify => (VERIFY_PATH, None),
            Action::Revoke => (
                REVOKE_PATH,
                Some(json!({"reason": "leaked", "source": "qrcp-scan", "location": t.location})),
            ),
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.limiter.before(&t.fingerprint);
            let answer = self.client.send(path, key, body.as_ref());
            let status = match &answer {
                Answer::Http { status, rate, .. } => {
                    self.limiter.after(&t.fingerprint, rate);
                    Some(*status)
                }
                Answer::Transport(_) => None,
            };
            let last = attempt >= self.tries;
            let give_up = |detail: String| Settled {
                outcome: action.gave_up(),
                status,
                detail: Some(detail),
                attempts: attempt,
            };
            let tries = |d: String| {
                if attempt > 1 {
                    format!("{d}, after {attempt} tries")
                } else {
                    d
                }
            };
            let (settled, retry) = match judge(action, &answer) {
                Step::Final(outcome, detail) => (
                    Settled {
                        outcome,
                        status,
                        detail,
                        attempts: attempt,
                    },
                    None,
                ),
                Step::RateLimited(rate) => {
                    let wait = ratelimit::wait_after_429(&rate, SystemTime::now());
                    if last {
                        let d = format!("{} rate limited us (HTTP 429)", self.client.host());
                        (give_up(tries(d)), None)
                    } else if wait > ratelimit::MAX_WAIT {
                        let d = format!(
                            "{} rate limited us for {} s more (HTTP 429): gave up",
                            self.client.host(),
                            wait.as_secs()
                        );
                        (give_up(d), None)
                    } else {
                        (
                            give_up("HTTP 429: waiting for the rate-limit reset".into()),
                            Some(Ok(wait)),
                        )
                    }
                }
                Step::Transient(d) => {
                    // Say which host, and whether it answered.
                    let d = match &answer {
                        Answer::Transport(_) => {
                            format!("no answer from {} ({d})", self.client.host())
                        }
                        Answer::Http { .. } => format!("{} answered {d}", self.client.host()),
                    };
                    if last {
                        (give_up(tries(d)), None)
                    } else {
                        (give_up(d), Some(Err(ratelimit::backoff(attempt))))
                    }
                }
            };
            match retry {
                None => {
                    self.record(action, t, attempt, settled.outcome.as_str(), &settled);
                    return settled;
                }
                Some(wait) => {
                    self.record(action, t, attempt, "retry", &settled);
                    match wait {
                        // After a 429 the key waits; other keys go on.
                        Ok(w) => self.limiter.block(&t.fingerprint, w),
                        Err(backoff) => std::thread::sleep(backoff),
                    }
                }
            }
        }
    }
}

/// The contract's tables: what an answer means for an action.
pub(super) fn judge(action: Action, answer: &Answer) -> Step {
    let (status, body) = match answer {
        Answer::Transport(what) => return Step::Transient(what.clone()),
        Answer::Http {
            status: 429, rate, ..
        } => return Step::RateLimited(*rate),
        Answer::Http { status, body, .. } => (*status, body),
    };
    let code = body.error_code();
    let is_json = matches!(body, Body::Json(_));
    match (action, status) {
        (Action::Verify, 200) if is_json => Step::Final(Verdict::Active, None),
        (Action::Verify, 403) if code == Some("forbidden") => Step::Final(
            Verdict::Active,
            Some("valid key; its plan has no API access".into()),
        ),
        (Action::Verify, 401) if code == Some("unauthorized") => {
            Step::Final(Verdict::Inactive, None)
        }
        (Action::Revoke, 401) if code == Some("unauthorized") => {
            Step::Final(Verdict::AlreadyInactive, None)
        }
        (Action::Revoke, 200) if is_json => match body {
            Body::Json(v) if v.get("revoked") == Some(&serde_json::Value::Bool(true)) => {
                Step::Final(Verdict::Revoked, None)
            }
            _ => Step::Final(
                Verdict::Failed,
                Some("HTTP 200 without \"revoked\": true".into()),
            ),
        },
        // Anything else is an error of the service, as the contract says: a 5xx, a
        // documented status whose body is not the documented JSON (a proxy, an
        // outage page), a redirect (never followed with the key), another 4xx.
        // Retried with backoff up to --api-tries, then unknown (verify) or failed
        // (revoke).
        _ => Step::Transient(describe_status(status, body)),
    }
}

/// `HTTP 500 internal_error`, `HTTP 302 redirect (not followed)`, `HTTP 200 with a
/// body that is not JSON`. The error code comes from the server: only a short
/// run of safe characters of it is kept.
pub(super) fn describe_status(status: u16, body: &Body) -> String {
    let mut s = format!("HTTP {status}");
    match body.error_code() {
        Some(code) => {
            let code: String = code
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                .take(64)
                .collect();
            if !code.is_empty() {
                s += " ";
                s += &code;
            }
        }
        None if (300..400).contains(&status) => s += " redirect (not followed)",
        None if matches!(body, Body::NotJson) => s += " with a body that is not JSON",
        None => {}
    }
    s
}
