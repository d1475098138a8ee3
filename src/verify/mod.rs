//! Verify and revoke found keys through the QRCodePro API (`docs/api.md`).
//!
//! This module owns the policy: which findings are keys worth sending (QRCodePro
//! keys only, each distinct key once), how an answer becomes a verdict or an
//! outcome, when to retry and when to give up, the confirmation before revoking,
//! and the audit trail. `target` picks the keys, `engine` runs requests and judges
//! answers, `client` speaks HTTP, `ratelimit` paces, `audit` records, `recover` reads
//! keys back for a report; the command asks for confirmation, reporters print the
//! results.

pub mod audit;
pub mod client;
mod engine;
pub mod ratelimit;
pub mod recover;
mod target;

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use anyhow::{Result, bail};
use serde_json::json;

use crate::finding::{Finding, Verification, redact};
use audit::{AuditLog, Entry};
use client::{Answer, BaseUrl, Body, Client, RateInfo};
use engine::*;
use ratelimit::Limiter;
pub use target::*;

/// Requests in flight at once: a small fixed number, whatever the key count.
const WORKERS: usize = 4;
const LIVE_PREFIX: &str = "qrcp_live_";
const TEST_PREFIX: &str = "qrcp_test_";
const VERIFY_PATH: &str = "/v1/qrcodes?limit=1";
const REVOKE_PATH: &str = "/v1/api_keys/revoke";
/// Why a rejected key with an ambiguous end stays unknown.
pub const AMBIGUOUS_END: &str = "ambiguous end: the API rejected the whole body, which runs into \
     binary data and may hold bytes that are not the key's, and the bodies without its last \
     characters too";

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
    let mut settled = engine.run(Action::Verify, targets);
    crate::messages::note(
        &path.display().to_string(),
        "every verification request is recorded in this audit log",
    );
    // A body that runs into binary data may carry the container's bytes: the API
    // rejecting it says nothing of the key inside. The few bodies without the
    // last characters are tried (each a key by the contract, through the same
    // limiter); one that works settles it, else the verdict stays unknown.
    for (t, s) in targets.iter().zip(settled.iter_mut()) {
        if !(t.ambiguous_end && s.outcome == Verdict::Inactive) {
            continue;
        }
        let tries = shorter_bodies(t);
        let answers = engine.run(Action::Verify, &tries);
        s.attempts += answers.iter().map(|a| a.attempts).sum::<u32>();
        match answers.iter().position(|a| a.outcome == Verdict::Active) {
            Some(i) => {
                crate::messages::note(
                    &format!("{} ({})", t.redacted, t.location),
                    format!(
                        "verified active without its last {} character{}: the key found runs \
                         into binary data; revoke it in the QRCodePro dashboard",
                        i + 1,
                        if i == 0 { "" } else { "s" }
                    ),
                );
                s.outcome = Verdict::Active;
                s.status = answers[i].status;
                s.detail = Some(format!(
                    "active without its last {} character{}, which belong to the container",
                    i + 1,
                    if i == 0 { "" } else { "s" }
                ));
            }
            None => {
                s.outcome = Verdict::Unknown;
                s.detail = Some(AMBIGUOUS_END.into());
            }
        }
    }
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

/// Asks whether to revoke these keys (the command's prompt on a terminal).
pub type Confirm<'a> = &'a dyn Fn(&ApiConfig, &[Target]) -> Result<bool>;

/// Revokes targets (or, with `--dry-run`, says what would be revoked), after
/// `confirm` agrees unless `--yes`. Every attempt goes to the audit log.
pub fn revoke_targets(
    api: &ApiConfig,
    settings: &RevokeSettings,
    targets: Vec<Target>,
    confirm: Confirm,
) -> Result<Vec<(Target, Settled)>> {
    let targets: Vec<Target> = targets
        .into_iter()
        .filter(|t| t.live || !settings.only_live)
        .filter(|t| {
            // Revoking needs the exact key: a body that may carry a container's
            // bytes would at best be refused, so the user decides.
            if t.ambiguous_end {
                crate::messages::note(
                    &format!("{} ({})", t.redacted, t.location),
                    "not revoked: the key runs into binary data and where it ends is \
                     ambiguous; find the exact key and revoke it in the QRCodePro dashboard",
                );
            }
            !t.ambiguous_end
        })
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
            judge(v, &Answer::Transport("timed out".into())),
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
