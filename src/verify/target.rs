//! The keys to act on: QRCodePro keys only, each distinct key once, with where it
//! was found.

use super::*;

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
    /// Every place of the key runs into binary data: the key may be shorter than
    /// what was found (`detect::ends`).
    pub ambiguous_end: bool,
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

/// How many characters a body that runs into binary data is tried without (a
/// container's type tag, a length byte, a short tag): a few requests per key at
/// most, paced by the run's limiter.
const SHORTER_TRIES: usize = 3;

/// The keys an ambiguous body may be: without its last 1, 2 or 3 characters,
/// each still a key by the contract (20 or more letters and digits).
pub fn shorter_bodies(t: &Target) -> Vec<Target> {
    let Ok(key) = &t.key else {
        return Vec::new();
    };
    (1..=SHORTER_TRIES)
        .filter_map(|cut| key.get(..key.len().checked_sub(cut)?))
        .filter(|k| is_qrcodepro_key(k))
        .map(|k| Target {
            fingerprint: crate::finding::fingerprint(k.as_bytes()),
            key: Ok(k.to_string()),
            redacted: t.redacted.clone(),
            location: t.location.clone(),
            more: 0,
            live: t.live,
            ambiguous_end: false,
        })
        .collect()
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
            // Found whole somewhere (in text): that body is the key.
            targets[i].ambiguous_end &= f.ambiguous_end;
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
            ambiguous_end: f.ambiguous_end,
        });
    }
    targets
}
