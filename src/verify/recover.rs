//! Keys from an earlier JSON report. Reports hold redacted keys (`qrcp_live_Ab3x…`)
//! with the full fingerprint and the place: each key is read back from that place
//! (the file under `--root`, or the blob `commit:path` of the repository there, or
//! the staged blob) and accepted only if its SHA-256 is the report's fingerprint.
//! A report written with `--no-redact` holds the keys: they are used once their
//! fingerprint checks out. Nobody has to write full keys to disk for `revoke`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use crate::detect::Detector;
use crate::finding::{CommitInfo, Finding, Provenance, SourceKind, Verification, fingerprint};
use crate::rules::RuleSet;
use crate::rules::Severity;
use crate::verify::{LIVE_PREFIX, TEST_PREFIX, Target, is_qrcodepro_key, location_of};
use crate::wire::{AnyReport, OutcomeKeyIn, WireFinding};

/// Largest file read back (a report may name anything; devices are refused too).
const MAX_READ: u64 = 1 << 30;

/// A finding as `--format json`/`jsonl` writes it.
type FindingIn = WireFinding<'static>;

/// A report's findings, and its distinct QRCodePro keys (read back or not).
pub struct Loaded {
    pub findings: Vec<Finding>,
    pub targets: Vec<Target>,
}

/// Reads a JSON report (or a `jsonl` stream) and reads its keys back under `root`.
pub fn load(report: &Path, root: &Path, rules: Arc<RuleSet>) -> Result<Loaded> {
    let text = std::fs::read_to_string(report)
        .with_context(|| format!("{}: cannot read the report", report.display()))?;
    from_text(&text, &report.display().to_string(), Some(root), rules)
}

/// Like [`load`], for a report already read (`shown` names it in errors). With
/// `root` `None` no key is read back: the findings come as the report shows them
/// (`org merge` without `--verify`, where the repositories may be elsewhere).
pub fn from_text(
    text: &str,
    shown: &str,
    root: Option<&Path>,
    rules: Arc<RuleSet>,
) -> Result<Loaded> {
    let raw: Vec<FindingIn> = match AnyReport::parse(text) {
        Ok(AnyReport::Scan(findings)) => findings,
        Ok(AnyReport::Audit(a)) => a
            .keys
            .into_iter()
            .flat_map(|k| k.locations)
            .chain(a.client_exposed)
            .collect(),
        Ok(AnyReport::Outcomes(o)) => o.keys.iter().map(outcome_finding).collect(),
        Err(why) => bail!("{shown}: {why}"),
    };
    let mut reader = Reader {
        root,
        repo: None,
        detector: crate::decode::detector(rules)?,
        files: HashMap::new(),
    };
    let mut findings: Vec<Finding> = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        findings.push(to_finding(r).with_context(|| format!("{shown}: finding {}", i + 1))?);
    }
    let mut targets: Vec<Target> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (r, f) in raw.iter().zip(findings.iter_mut()) {
        let (Some(shown_secret), Some(fp)) = (&r.secret, r.fingerprint.as_deref()) else {
            continue;
        };
        let live = shown_secret.starts_with(LIVE_PREFIX);
        if !live && !shown_secret.starts_with(TEST_PREFIX) {
            continue;
        }
        let i = match index.get(fp) {
            Some(&i) => {
                targets[i].more += 1;
                targets[i].ambiguous_end &= r.ambiguous_end;
                i
            }
            None => {
                index.insert(fp.to_string(), targets.len());
                targets.push(Target {
                    fingerprint: fp.to_string(),
                    key: Err(String::new()),
                    redacted: redacted_form(shown_secret),
                    location: location_of(f),
                    more: 0,
                    live,
                    ambiguous_end: r.ambiguous_end,
                });
                targets.len() - 1
            }
        };
        let t = &mut targets[i];
        if t.key.is_err() {
            let got = reader.recover(r, fp);
            // Keep the first reason: it names the first place tried.
            if got.is_ok() || t.key.as_ref().is_err_and(String::is_empty) {
                t.key = got;
            }
        }
        match &t.key {
            Ok(k) => {
                f.secret = Some(k.clone());
                f.secret_prefix_len = LIVE_PREFIX.len();
            }
            Err(_) => {
                // Show what the report showed, and nothing more.
                let s = redacted_form(shown_secret)
                    .trim_end_matches('…')
                    .to_string();
                f.secret_prefix_len = s.len();
                f.secret = Some(s);
            }
        }
    }
    // A key read back anywhere is known everywhere it appears.
    let known: HashMap<&str, &str> = targets
        .iter()
        .filter_map(|t| Some((t.fingerprint.as_str(), t.key.as_deref().ok()?)))
        .collect();
    for f in &mut findings {
        if let Some(k) = f.fingerprint.as_deref().and_then(|fp| known.get(fp))
            && f.secret.is_some()
        {
            f.secret = Some((*k).to_string());
            f.secret_prefix_len = LIVE_PREFIX.len();
        }
    }
    Ok(Loaded { findings, targets })
}

/// A key of a revoke/verify outcome report as a finding at its first location
/// (`commit:path:line`, `commit:<commit message>:line` or `path:line`).
fn outcome_finding(k: &OutcomeKeyIn) -> FindingIn {
    let mut rest = k.location.as_str();
    let mut commit = None;
    if let Some((c, r)) = rest.split_once(':')
        && c.len() == 40
        && c.bytes().all(|b| b.is_ascii_hexdigit())
    {
        commit = Some(Cow::Owned(c.to_string()));
        rest = r;
    }
    let mut line = None;
    if let Some((p, l)) = rest.rsplit_once(':')
        && let Ok(n) = l.parse::<usize>()
    {
        line = Some(n);
        rest = p;
    }
    let path = match rest {
        "<commit message>" | "<unknown>" | "" => None,
        p => Some(Cow::Owned(p.to_string())),
    };
    let live = k.key.starts_with(LIVE_PREFIX);
    WireFinding {
        rule: Cow::Borrowed(if live {
            "qrcp-live-key"
        } else {
            "qrcp-test-key"
        }),
        severity: if live {
            Severity::Error
        } else {
            Severity::Warning
        },
        message: Cow::Borrowed(""),
        path,
        line,
        column: None,
        end_line: None,
        end_column: None,
        secret: Some(k.key.clone()),
        fingerprint: Some(Cow::Owned(k.fingerprint.clone())),
        encoding: None,
        decoding: Cow::Borrowed(&[]),
        hops: Cow::Borrowed(&[]),
        origin: None,
        source: Cow::Borrowed(if commit.is_some() { "git" } else { "file" }),
        commit,
        author: None,
        email: None,
        date: None,
        verification: None,
        ambiguous_end: false,
    }
}

/// `qrcp_live_Ab3x…` whatever the report held (full or redacted).
fn redacted_form(shown: &str) -> String {
    let s = shown.trim_end_matches('…');
    let keep: String = s.chars().take(LIVE_PREFIX.len() + 4).collect();
    format!("{keep}…")
}

fn to_finding(r: &FindingIn) -> Result<Finding> {
    let source =
        SourceKind::parse(&r.source).with_context(|| format!("unknown source {:?}", r.source))?;
    let text = |s: &Option<std::borrow::Cow<str>>| s.as_deref().unwrap_or_default().to_string();
    let commit = r.commit.as_ref().map(|id| CommitInfo {
        id: id.to_string(),
        author: text(&r.author),
        email: text(&r.email),
        date: text(&r.date),
    });
    if let Some(fp) = &r.fingerprint
        && (fp.len() != 64 || !fp.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        bail!("fingerprint {fp:?} is not a SHA-256 hex digest");
    }
    Ok(Finding {
        rule: r.rule.to_string(),
        severity: r.severity,
        message: r.message.to_string(),
        provenance: Provenance {
            source,
            path: r.path.as_deref().map(str::to_string),
            commit,
            unreached: None,
        },
        line: r.line,
        column: r.column,
        end_line: r.end_line,
        end_column: r.end_column,
        secret: None,
        secret_prefix_len: 0,
        fingerprint: r.fingerprint.as_ref().map(|f| f.to_ascii_lowercase()),
        // A report written before `decoding` existed has the outermost one only.
        decoding: match (&r.decoding[..], r.encoding) {
            ([], Some(e)) => vec![e],
            (all, _) => all.to_vec(),
        },
        hops: r.hops.to_vec(),
        origin: r.origin.as_deref().cloned(),
        verification: r.verification.as_deref().and_then(Verification::parse),
        context: None,
        notes: Vec::new(),
        inline_allowed: false,
        ambiguous_end: r.ambiguous_end,
    })
}

struct Reader<'a> {
    /// `None`: nothing is read back.
    root: Option<&'a Path>,
    /// Opened on first use; the error is kept so that it is said once per key.
    repo: Option<std::result::Result<git2::Repository, String>>,
    detector: Detector,
    /// Bytes already read, by place.
    files: HashMap<String, std::result::Result<Vec<u8>, String>>,
}

impl Reader<'_> {
    /// The full key of one finding, or why not (one line, no secret).
    fn recover(&mut self, r: &FindingIn, fp: &str) -> std::result::Result<String, String> {
        let fp = fp.to_ascii_lowercase();
        if let Some(s) = &r.secret
            && !s.ends_with('…')
        {
            return if fingerprint(s.as_bytes()) == fp && is_qrcodepro_key(s) {
                Ok(s.clone())
            } else {
                Err("the report's secret does not match its fingerprint".into())
            };
        }
        let Some(root) = self.root else {
            return Err("the key was not read back".into());
        };
        let source = SourceKind::parse(&r.source);
        let Some(path) = r.path.as_deref() else {
            // A commit or tag message: read it from the object the report names.
            return match (source, r.commit.as_deref()) {
                (Some(SourceKind::Git), Some(id)) => {
                    let data = self.message(root, id)?;
                    self.find(&data, r, &fp, &format!("the message of {id}"))
                }
                (Some(SourceKind::GitUnreachable), _) => Err(
                    "a key in the message of a commit no ref reaches cannot be read back (the report gives no commit): use a report written with --no-redact".into(),
                ),
                _ => Err("the report gives no path".into()),
            };
        };
        let (place, data) = match source {
            Some(SourceKind::File) if path.contains('!') => {
                return Err("keys inside archives cannot be read back: use a report written with --no-redact".into());
            }
            Some(SourceKind::File) => (path.to_string(), self.file(root, path)),
            Some(SourceKind::Git) => {
                let commit = r.commit.as_deref().ok_or("the report gives no commit")?;
                (
                    format!("{commit}:{path}"),
                    self.blob(root, Some(commit), path),
                )
            }
            Some(SourceKind::Staged | SourceKind::GitStaged) => {
                (format!("(staged) {path}"), self.blob(root, None, path))
            }
            _ => {
                return Err(format!(
                    "keys found in {} cannot be read back: use a report written with --no-redact",
                    r.source
                ));
            }
        };
        let data = data?;
        self.find(&data, r, &fp, &place)
    }

    /// The key with fingerprint `fp` in `data`: at the report's place first, then
    /// anywhere (lines move, encodings hide).
    fn find(
        &self,
        data: &[u8],
        r: &FindingIn,
        fp: &str,
        place: &str,
    ) -> std::result::Result<String, String> {
        let path = r.path.as_deref().unwrap_or("message");
        if let (Some(l), Some(c), Some(ec)) = (r.line, r.column, r.end_column)
            && r.end_line.is_none_or(|el| el == l)
            && let Some(s) = slice(data, l, c, ec)
            && fingerprint(s.as_bytes()) == fp
            && is_qrcodepro_key(&s)
        {
            return Ok(s);
        }
        // Through the decoding layers, as the scan found it: a key the report says
        // was decoded (`decoding`) is not in the file as plain text.
        let mut found = Vec::new();
        crate::decode::detect(
            &self.detector,
            data,
            &Provenance::file(path.to_string()),
            &mut found,
        );
        found
            .into_iter()
            .map(|l| l.finding)
            .filter(|f| f.fingerprint.as_deref() == Some(fp))
            .find_map(|f| f.secret.filter(|s| is_qrcodepro_key(s)))
            .ok_or_else(|| format!("{place} no longer holds the key with this fingerprint"))
    }

    fn file(&mut self, root: &Path, path: &str) -> std::result::Result<Vec<u8>, String> {
        let full = root.join(path);
        self.files
            .entry(path.to_string())
            .or_insert_with(|| {
                let meta = std::fs::metadata(&full).map_err(|e| io_reason(path, &e))?;
                if !meta.is_file() {
                    return Err(format!("{path}: not a regular file"));
                }
                if meta.len() > MAX_READ {
                    return Err(format!("{path}: too large to read back"));
                }
                let mut data = Vec::new();
                std::fs::File::open(&full)
                    .and_then(|f| f.take(MAX_READ).read_to_end(&mut data))
                    .map_err(|e| io_reason(path, &e))?;
                Ok(data)
            })
            .clone()
    }

    /// The message of the commit or annotated tag `id`.
    fn message(&mut self, root: &Path, id: &str) -> std::result::Result<Vec<u8>, String> {
        let place = format!("message of {id}");
        if let Some(cached) = self.files.get(&place) {
            return cached.clone();
        }
        let repo = self.repo(root)?;
        let got = (|| -> std::result::Result<Vec<u8>, git2::Error> {
            let obj = repo.find_object(git2::Oid::from_str(id)?, None)?;
            if let Some(c) = obj.as_commit() {
                return Ok(c.message_bytes().to_vec());
            }
            match obj.as_tag() {
                Some(t) => Ok(t.message_bytes().unwrap_or_default().to_vec()),
                None => Err(git2::Error::from_str("not a commit or tag")),
            }
        })()
        .map_err(|e| format!("{id}: cannot read the message ({})", e.message()));
        self.files.insert(place, got.clone());
        got
    }

    fn repo(&mut self, root: &Path) -> std::result::Result<&git2::Repository, String> {
        let repo = self.repo.get_or_insert_with(|| {
            git2::Repository::discover(root)
                .map_err(|e| format!("{}: not a git repository ({})", root.display(), e.message()))
        });
        repo.as_ref().map_err(Clone::clone)
    }

    /// The blob at `commit:path`, or the staged one (`commit` `None`).
    fn blob(
        &mut self,
        root: &Path,
        commit: Option<&str>,
        path: &str,
    ) -> std::result::Result<Vec<u8>, String> {
        let place = match commit {
            Some(c) => format!("{c}:{path}"),
            None => format!(":{path}"),
        };
        if let Some(cached) = self.files.get(&place) {
            return cached.clone();
        }
        let repo = self.repo(root)?;
        let got = (|| -> std::result::Result<Vec<u8>, git2::Error> {
            let blob = match commit {
                Some(c) => {
                    let commit = repo.find_commit(git2::Oid::from_str(c)?)?;
                    let entry = commit.tree()?.get_path(Path::new(path))?;
                    repo.find_blob(entry.id())?
                }
                None => {
                    let index = repo.index()?;
                    let entry = index
                        .get_path(Path::new(path), 0)
                        .ok_or_else(|| git2::Error::from_str("not in the index"))?;
                    repo.find_blob(entry.id)?
                }
            };
            Ok(blob.content().to_vec())
        })()
        .map_err(|e| format!("{place}: cannot read the blob ({})", e.message()));
        self.files.insert(place, got.clone());
        got
    }
}

fn io_reason(path: &str, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => format!("{path}: no such file"),
        std::io::ErrorKind::PermissionDenied => format!("{path}: permission denied"),
        _ => format!("{path}: cannot read"),
    }
}

/// Characters `column..end_column` (1-based, end exclusive) of line `line`.
fn slice(data: &[u8], line: usize, column: usize, end_column: usize) -> Option<String> {
    let text = data.split(|&b| b == b'\n').nth(line.checked_sub(1)?)?;
    let text = String::from_utf8_lossy(text);
    let len = end_column.checked_sub(column)?;
    Some(
        text.chars()
            .skip(column.checked_sub(1)?)
            .take(len)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_by_characters() {
        let data = "first\nconst k = \"é qrcp\";\n".as_bytes();
        assert_eq!(slice(data, 2, 12, 18).as_deref(), Some("é qrcp"));
        assert_eq!(slice(data, 9, 1, 2), None);
        assert_eq!(slice(data, 0, 1, 2), None);
        assert_eq!(redacted_form("qrcp_live_Ab3x…"), "qrcp_live_Ab3x…");
        assert_eq!(
            redacted_form("qrcp_test_Ab3xYYYYYYYYYYYYYYYYYYYY"),
            "qrcp_test_Ab3x…"
        );
    }
}
