//! The audit log: one JSON line per API request (and per key that could not be
//! sent), appended and written through at once, so that a run that stops half-way
//! keeps a record of everything it did. It never holds a full key: the redacted
//! form and the fingerprint identify it.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use serde::Serialize;

/// Where every API action is recorded when `--audit-log` is not given: the user's
/// state folder (`$XDG_STATE_HOME/qrcp-scan/audit.jsonl`, else
/// `~/.local/state/qrcp-scan/audit.jsonl`), so that a scan never drops a file into
/// the repository it scans; `qrcp-scan-audit.jsonl` here when there is no home.
pub fn default_path() -> PathBuf {
    let nonempty = |v: std::ffi::OsString| (!v.is_empty()).then(|| PathBuf::from(v));
    let base = std::env::var_os("XDG_STATE_HOME")
        .and_then(nonempty)
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(nonempty)
                .map(|h| h.join(".local").join("state"))
        });
    match base {
        Some(b) => b.join("qrcp-scan").join("audit.jsonl"),
        None => PathBuf::from("qrcp-scan-audit.jsonl"),
    }
}

#[derive(Debug, Serialize)]
pub struct Entry<'a> {
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    /// `verify` or `revoke`.
    pub action: &'a str,
    pub fingerprint: &'a str,
    /// Redacted (`qrcp_live_Ab3x…`).
    pub key: &'a str,
    /// `path:line` or `commit:path:line`.
    pub location: &'a str,
    /// 1, 2, …; 0 when nothing was sent (the key could not be read back).
    pub attempt: u32,
    /// This attempt's result: the final outcome (`active`, `inactive`, `unknown`,
    /// `revoked`, `already_inactive`, `failed`), or `retry` when another attempt follows.
    pub outcome: &'a str,
    /// HTTP status, `null` when no HTTP answer came.
    pub status: Option<u16>,
    /// What went wrong, in a few words (`HTTP 500 internal_error`, `timed out`).
    pub detail: Option<&'a str>,
}

pub struct AuditLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl AuditLog {
    pub fn open(path: &Path) -> Result<AuditLog> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| {
                format!("{}: cannot create the audit log's folder", dir.display())
            })?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("{}: cannot open the audit log", path.display()))?;
        Ok(AuditLog {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    /// Appends one line (one `write` call, so concurrent workers never interleave)
    /// and syncs it to disk. A failure is reported and the run goes on.
    pub fn record(&self, entry: &Entry) {
        let mut line = match serde_json::to_vec(entry) {
            Ok(l) => l,
            Err(e) => return crate::messages::error(&self.path.display().to_string(), e),
        };
        line.push(b'\n');
        let written = match self.file.lock() {
            Ok(mut f) => f.write_all(&line).and_then(|()| f.sync_data()),
            Err(_) => Ok(()),
        };
        if let Err(e) = written {
            crate::messages::error(
                &self.path.display().to_string(),
                format!("cannot write the audit log: {e}"),
            );
        }
    }
}

/// Now, as RFC 3339 UTC with milliseconds (`2026-11-27T15:22:37.123Z`).
pub fn now_rfc3339() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(d.as_secs() as i64, d.subsec_millis())
}

fn rfc3339(secs: i64, millis: u32) -> String {
    crate::time::utc_millis(secs, millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_699_574_400, 5), "2023-11-10T00:00:00.005Z");
        assert_eq!(rfc3339(951_827_696, 999), "2000-02-29T12:34:56.999Z");
        assert_eq!(rfc3339(4_102_444_799, 0), "2099-12-31T23:59:59.000Z");
    }

    #[test]
    fn appends_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("audit.jsonl");
        for n in 1..=2 {
            let log = AuditLog::open(&p).unwrap();
            log.record(&Entry {
                time: now_rfc3339(),
                action: "verify",
                fingerprint: "ab",
                key: "qrcp_live_Ab3x…",
                location: "a.js:1",
                attempt: n,
                outcome: "active",
                status: Some(200),
                detail: None,
            });
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["attempt"], 2);
        assert_eq!(lines[0]["status"], 200);
    }
}
