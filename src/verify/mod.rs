//! Verify and revoke found keys through the QRCodePro API (`shared/qrcodepro-api.md`).
//!
//! This module owns the policy: which findings are keys worth sending (QRCodePro
//! keys only, each distinct key once), how an answer becomes a verdict or an
//! outcome, when to retry and when to give up, the confirmation before revoking,
//! and the audit trail. `client` speaks HTTP, `ratelimit` paces, `audit` records,
//! `recover` reads keys back for a report; reporters print the results.

pub mod audit;
pub mod client;
pub mod ratelimit;
pub mod recover;

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use anyhow::{Result, bail};
use serde_json::json;

use crate::finding::{Finding, Verification, redact};
use crate::sanitize::sanitize;
use audit::{AuditLog, Entry};
use client::{Answer, BaseUrl, Body, Client, RateInfo};
use ratelimit::Limiter;

/// Requests in flight at once: a small fixed number, whatever the key count.
const WORKERS: usize = 4;
const LIVE_PREFIX: &str = "qrcp_live_";
const TEST_PREFIX: &str = "qrcp_test_";
const VERIFY_PATH: &str = "/v1/qrcodes?limit=1";
const REVOKE_PATH: &str = "/v1/api_keys/revoke";

/// Validated API settings (`--api-*`, `--audit-log`).
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub base: BaseUrl,
    pub timeout: Duration,
    pub tries: u32,
    pub audit_log: Option<PathBuf>,
    /// Shared by every action of the run: a window used up by verify holds
    /// revoke back too.
    pub limiter: std::sync::Arc<Limiter>,
}

/// How revocation runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct RevokeSettings {
    pub dry_run: bool,
    pub yes: bool,
    pub only_live: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Verify,
    Revoke,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Verify => "verify",
            Action::Revoke => "revoke",
        }
    }

    /// The outcome when the API gave no usable answer.
    fn gave_up(self) -> Verdict {
        match self {
            Action::Verify => Verdict::Unknown,
            Action::Revoke => Verdict::Failed,
        }
    }
}

/// A verdict (verify) or an outcome (revoke), spelled as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Active,
    Inactive,
    Unknown,
    Revoked,
    AlreadyInactive,
    Failed,
    /// `--dry-run`: nothing was sent.
    WouldRevoke,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Active => "active",
            Verdict::Inactive => "inactive",
            Verdict::Unknown => "unknown",
            Verdict::Revoked => "revoked",
            Verdict::AlreadyInactive => "already_inactive",
            Verdict::Failed => "failed",
            Verdict::WouldRevoke => "would_revoke",
        }
    }
}

/// One distinct key to act on.
#[derive(Debug, Clone)]
pub struct Target {
    pub fingerprint: String,
    /// The full key, or why it could not be had (a report's key not read back).
    pub key: std::result::Result<String, String>,
    /// `qrcp_live_Ab3x…`
    pub redacted: String,
    /// Where it was found first: `path:line` or `commit:path:line`.
    pub location: String,
    /// How many other places hold the same key.
    pub more: usize,
    pub live: bool,
}

/// What became of one target.
#[derive(Debug, Clone)]
pub struct Settled {
    pub outcome: Verdict,
    /// The last HTTP status, if any answer came.
    pub status: Option<u16>,
    /// Why, when it did not go as hoped (`HTTP 500 internal_error`, `timed out`).
    pub detail: Option<String>,
    /// Requests sent.
    pub attempts: u32,
}

/// `qrcp_live_` or `qrcp_test_` and 20 or more ASCII letters and digits: the only
/// secrets ever sent to QRCodePro (a user's own rules find other providers' keys).
pub fn is_qrcodepro_key(s: &str) -> bool {
    let body = s
        .strip_prefix(LIVE_PREFIX)
        .or_else(|| s.strip_prefix(TEST_PREFIX));
    body.is_some_and(|b| b.len() >= 20 && b.bytes().all(|c| c.is_ascii_alphanumeric()))
}

/// `path:line`, `commit:path:line`, or whatever part of that is known.
pub fn location_of(f: &Finding) -> String {
    let mut parts = Vec::new();
    if let Some(c) = &f.provenance.commit {
        parts.push(c.id.clone());
    }
    match &f.provenance.path {
        Some(p) => parts.push(p.clone()),
        None if f.provenance.commit.is_some() => parts.push("<commit message>".into()),
        None => parts.push("<unknown>".into()),
    }
    if let Some(l) = f.line {
        parts.push(l.to_string());
    }
    parts.join(":")
}

/// The distinct QRCodePro keys among findings, in the findings' order.
pub fn targets_of(findings: &[Finding]) -> Vec<Target> {
    let mut targets: Vec<Target> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for f in findings {
        let (Some(secret), Some(fp)) = (&f.secret, &f.fingerprint) else {
            continue;
        };
        if !is_qrcodepro_key(secret) {
            continue;
        }
        if let Some(&i) = index.get(fp.as_str()) {
            targets[i].more += 1;
            continue;
        }
        index.insert(fp, targets.len());
        targets.push(Target {
            fingerprint: fp.clone(),
            key: Ok(secret.clone()),
            redacted: redact(secret, LIVE_PREFIX.len()),
            location: location_of(f),
            more: 0,
            live: secret.starts_with(LIVE_PREFIX),
        });
    }
    targets
}

/// Verifies each distinct key of `findings` once and writes the verdicts into
/// every finding of that key.
pub fn verify_findings(api: &ApiConfig, findings: &mut [Finding]) -> Result<()> {
    let targets = targets_of(findings);
    let settled = verify_targets(api, &targets)?;
    apply_verdicts(&targets, &settled, findings);
    Ok(())
}

/// Verifies targets (one request per key unless retried); notes on standard
/// error the keys whose verdict stayed unknown.
pub fn verify_targets(api: &ApiConfig, targets: &[Target]) -> Result<Vec<Settled>> {
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let path = api.audit_log.clone().unwrap_or_else(audit::default_path);
    let engine = Engine::new(api, Some(AuditLog::open(&path)?));
    let settled = engine.run(Action::Verify, targets);
    crate::messages::note(
        &path.display().to_string(),
        "every verification request is recorded in this audit log",
    );
    for (t, s) in targets.iter().zip(&settled) {
        if s.outcome == Verdict::Unknown {
            crate::messages::note(
                &format!("{} ({})", t.redacted, t.location),
                format!(
                    "not verified: {}",
                    s.detail.as_deref().unwrap_or("no answer")
                ),
            );
        }
    }
    Ok(settled)
}

pub fn apply_verdicts(targets: &[Target], settled: &[Settled], findings: &mut [Finding]) {
    let verdicts: HashMap<&str, Verdict> = targets
        .iter()
        .zip(settled)
        .map(|(t, s)| (t.fingerprint.as_str(), s.outcome))
        .collect();
    for f in findings.iter_mut() {
        if let Some(v) = f.fingerprint.as_deref().and_then(|fp| verdicts.get(fp))
            && f.secret.is_some()
        {
            f.verification = Some(match v {
                Verdict::Active => Verification::Active,
                Verdict::Inactive => Verification::Inactive,
                // Verification only ends active, inactive or unknown.
                _ => Verification::Unknown,
            });
        }
    }
}

/// Fails early, before anything is scanned or sent, when revocation could not be
/// confirmed: no `--yes` and no terminal to ask on.
pub fn check_confirmable(settings: &RevokeSettings) -> Result<()> {
    if !settings.dry_run && !settings.yes && !std::io::stdin().is_terminal() {
        bail!(
            "revoking needs --yes when standard input is not a terminal (nothing was sent; --dry-run shows what would be revoked)"
        );
    }
    Ok(())
}

/// Revokes targets (or, with `--dry-run`, says what would be revoked), after a
/// confirmation on a terminal unless `--yes`. Every attempt goes to the audit log.
pub fn revoke_targets(
    api: &ApiConfig,
    settings: &RevokeSettings,
    targets: Vec<Target>,
) -> Result<Vec<(Target, Settled)>> {
    let targets: Vec<Target> = targets
        .into_iter()
        .filter(|t| t.live || !settings.only_live)
        .collect();
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    if settings.dry_run {
        return Ok(targets
            .into_iter()
            .map(|t| {
                let settled = match &t.key {
                    Ok(_) => Settled {
                        outcome: Verdict::WouldRevoke,
                        status: None,
                        detail: None,
                        attempts: 0,
                    },
                    Err(why) => Settled {
                        outcome: Verdict::Failed,
                        status: None,
                        detail: Some(why.clone()),
                        attempts: 0,
                    },
                };
                (t, settled)
            })
            .collect());
    }
    check_confirmable(settings)?;
    if !settings.yes && !confirm(api, &targets)? {
        bail!("revocation cancelled: nothing was sent");
    }
    let path = api.audit_log.clone().unwrap_or_else(audit::default_path);
    let audit = AuditLog::open(&path)?;
    let engine = Engine::new(api, Some(audit));
    let settled = engine.run(Action::Revoke, &targets);
    crate::messages::note(
        &path.display().to_string(),
        "every revocation attempt is recorded in this audit log",
    );
    Ok(targets.into_iter().zip(settled).collect())
}

/// Lists the keys on standard error and asks. Only called on a terminal.
fn confirm(api: &ApiConfig, targets: &[Target]) -> Result<bool> {
    let mut err = std::io::stderr().lock();
    let n = targets.len();
    writeln!(
        err,
        "qrcp-scan: about to revoke {n} key{} through {}:",
        if n == 1 { "" } else { "s" },
        sanitize(&api.base.url)
    )?;
    for t in targets {
        writeln!(err, "  {}  {}", t.redacted, sanitize(&t.location))?;
    }
    write!(err, "Revoke {}? [y/N] ", if n == 1 { "it" } else { "them" })?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Runs one action over many keys: a few workers, shared pacing, one audit log.
struct Engine<'a> {
    client: Client,
    limiter: &'a Limiter,
    tries: u32,
    audit: Option<AuditLog>,
}

/// What one answer means.
enum Step {
    Final(Verdict, Option<String>),
    RateLimited(RateInfo),
    /// An error of the service worth retrying (5xx, a bad body, no answer).
    Transient(String),
}

impl Engine<'_> {
    fn new(api: &ApiConfig, audit: Option<AuditLog>) -> Engine<'_> {
        Engine {
            client: Client::new(&api.base, api.timeout),
            limiter: &api.limiter,
            tries: api.tries.max(1),
            audit,
        }
    }

    fn run(&self, action: Action, targets: &[Target]) -> Vec<Settled> {
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

    fn record(&self, action: Action, t: &Target, attempt: u32, outcome: &str, s: &Settled) {
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

    fn one(&self, action: Action, t: &Target) -> Settled {
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
                        (give_up(tries("rate limited (HTTP 429)".into())), None)
                    } else if wait > ratelimit::MAX_WAIT {
                        let d = format!(
                            "rate limited for {} s more (HTTP 429): gave up",
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
fn judge(action: Action, answer: &Answer) -> Step {
    let (status, body) = match answer {
        Answer::Transport(what) => return Step::Transient((*what).to_string()),
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
fn describe_status(status: u16, body: &Body) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, body: &str) -> Answer {
        Answer::Http {
            status,
            body: serde_json::from_str(body).map_or(Body::NotJson, Body::Json),
            rate: RateInfo::default(),
        }
    }

    fn outcome(action: Action, a: &Answer) -> Option<Verdict> {
        match judge(action, a) {
            Step::Final(o, _) => Some(o),
            _ => None,
        }
    }

    #[test]
    fn verdicts_follow_the_contract() {
        let v = Action::Verify;
        assert_eq!(
            outcome(v, &http(200, "{\"data\":[]}")),
            Some(Verdict::Active)
        );
        let forbidden =
            r#"{"error":{"code":"forbidden","message":"API access requires an Enterprise plan"}}"#;
        assert_eq!(outcome(v, &http(403, forbidden)), Some(Verdict::Active));
        let unauthorized =
            r#"{"error":{"code":"unauthorized","message":"Invalid or missing API key"}}"#;
        assert_eq!(
            outcome(v, &http(401, unauthorized)),
            Some(Verdict::Inactive)
        );
        assert!(matches!(judge(v, &http(429, "{}")), Step::RateLimited(_)));
        assert!(matches!(judge(v, &http(500, "{}")), Step::Transient(_)));
        assert!(matches!(judge(v, &http(200, "<html>")), Step::Transient(_)));
        assert!(matches!(
            judge(v, &Answer::Transport("timed out")),
            Step::Transient(_)
        ));
        assert!(matches!(judge(v, &http(302, "")), Step::Transient(_)));
        assert!(matches!(
            judge(v, &http(403, r#"{"error":{"code":"waf"}}"#)),
            Step::Transient(_)
        ));
        assert!(matches!(judge(v, &http(404, "{}")), Step::Transient(_)));
        let r = Action::Revoke;
        assert_eq!(
            outcome(r, &http(200, r#"{"revoked":true,"key_id":"k"}"#)),
            Some(Verdict::Revoked)
        );
        assert_eq!(
            outcome(r, &http(401, unauthorized)),
            Some(Verdict::AlreadyInactive)
        );
        // Failed only once the retries are spent (the engine's part).
        assert!(matches!(judge(r, &http(404, "{}")), Step::Transient(_)));
        assert_eq!(outcome(r, &http(200, "{}")), Some(Verdict::Failed));
    }

    #[test]
    fn hostile_error_codes_are_trimmed() {
        let body = Body::Json(serde_json::json!({"error": {"code": "bad\u{1b}[31m code"}}));
        assert_eq!(describe_status(400, &body), "HTTP 400 bad31mcode");
        assert_eq!(
            describe_status(302, &Body::NotJson),
            "HTTP 302 redirect (not followed)"
        );
    }

    #[test]
    fn only_qrcodepro_keys_are_sent() {
        assert!(is_qrcodepro_key("qrcp_live_Ab3xYz12Ab3xYz12Ab3x"));
        assert!(is_qrcodepro_key("qrcp_test_Ab3xYz12Ab3xYz12Ab3xYz12"));
        assert!(!is_qrcodepro_key("qrcp_live_short1"));
        assert!(!is_qrcodepro_key("acme_k3j4h5g6f7d8s9a0q1w2e3r4"));
        assert!(!is_qrcodepro_key("qrcp_live_Ab3x…"));
        assert!(!is_qrcodepro_key("QRCP_LIVE_Ab3xYz12Ab3xYz12Ab3x"));
    }
}
