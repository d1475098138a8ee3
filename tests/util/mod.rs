//! The test harness: the real binary, temporary trees, keys generated at test time,
//! external tools that must exist under CI, and the "secret never printed" check.

#![allow(dead_code)]

pub mod api_server;
pub mod static_site;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU64, Ordering};

use assert_cmd::Command;

/// The qrcp-scan binary, with a clean environment for colour and progress.
pub fn qrcp() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qrcp-scan"));
    cmd.env_remove("NO_COLOR").env_remove("QRCP_SCAN_API_URL");
    // Audit logs and other state never go to the real home during tests.
    cmd.env(
        "XDG_STATE_HOME",
        std::env::temp_dir().join("qrcp-scan-tests-state"),
    );
    cmd
}

/// A fresh random key body, different in every call and every run: tests never
/// depend on a key that exists anywhere else. The alphabet has no vowels and no
/// `x`, so a body can never spell a placeholder word (`example`, `your`, `xxxx`…)
/// and is always a key the detector must report.
pub fn random_body(len: usize) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    const ALPHABET: &[u8] = b"bcdfghjkmnpqrstvwzBCDFGHJKLMNPQRSTVWZ23456789";
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        ^ (u64::from(std::process::id()) << 32)
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (0..len)
        .map(|_| {
            // xorshift64*
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            ALPHABET[(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % ALPHABET.len()]
                as char
        })
        .collect()
}

/// SHA-256 of `s`, lower-case hex: a finding's `fingerprint` of the key `s`.
pub fn sha256_hex(s: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn live_key() -> String {
    format!("qrcp_live_{}", random_body(32))
}

pub fn test_key() -> String {
    format!("qrcp_test_{}", random_body(32))
}

/// A temporary folder to build inputs in.
pub struct Tree {
    pub dir: tempfile::TempDir,
    /// `XDG_STATE_HOME` of commands run with `cmd`/`run` (audit logs), outside
    /// the scanned tree.
    pub state: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::Builder::new()
                .prefix("qrcp-test")
                .tempdir()
                .unwrap(),
            state: tempfile::Builder::new()
                .prefix("qrcp-state")
                .tempdir()
                .unwrap(),
        }
    }

    /// The default audit log of commands run in this tree.
    pub fn audit_log(&self) -> PathBuf {
        self.state.path().join("qrcp-scan/audit.jsonl")
    }

    /// `qrcp-scan` inside the tree, its state (audit log) in `state`.
    pub fn cmd(&self) -> Command {
        let mut cmd = qrcp();
        cmd.current_dir(self.path())
            .env("XDG_STATE_HOME", self.state.path());
        cmd
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        p
    }

    /// `qrcp-scan <args…>` run inside the tree.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited by a signal")
}

/// Asserts that no part of the key's body longer than what redaction shows (its
/// first four characters) appears in the run's standard output or error: every
/// window of 8 characters of the body is looked for, so a leak of any part of the
/// key is caught, not only of its start.
pub fn assert_secret_absent(o: &Output, key: &str) {
    for text in [stdout(o), stderr(o)] {
        assert_text_lacks(&text, key);
    }
}

/// [`assert_secret_absent`] for each key in each output.
pub fn assert_keys_absent<S: AsRef<str>>(outs: &[&Output], keys: &[S]) {
    for key in keys {
        for o in outs {
            assert_secret_absent(o, key.as_ref());
        }
    }
}

/// Like [`assert_secret_absent`], for any text (a report, an audit log).
pub fn assert_text_lacks(text: &str, key: &str) {
    let body = key.split('_').nth(2).unwrap_or(key);
    assert!(!text.contains(key), "full key present in:\n{text}");
    for i in 0..=body.len().saturating_sub(8) {
        let window = &body[i..(i + 8).min(body.len())];
        assert!(
            !text.contains(window),
            "part of the key ({window}) present in:\n{text}"
        );
    }
}

/// The JSON report of a run.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(o), stderr(o)))
}

/// (rule, path, line) of each finding of a JSON report, sorted.
pub fn found(report: &serde_json::Value) -> Vec<(String, String, Option<u64>)> {
    let mut v: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Root of this repository.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file of this repository that a test reads (the report schema, a workflow).
pub fn repo_file(rel: &str) -> PathBuf {
    let p = repo_root().join(rel);
    assert!(p.exists(), "{} is missing", p.display());
    p
}

/// One case of a generated fixture set: the file that holds its key, the key,
/// and its entry in `expected.json` (what else the generator recorded).
pub struct FixtureCase {
    pub file: String,
    pub key: String,
    pub entry: serde_json::Value,
}

/// A fixture set's cases and files (name, bytes).
pub type FixtureSet = (Vec<FixtureCase>, Vec<(String, Vec<u8>)>);

/// A generated fixture set (`fixtures/<set>`, built and checked by its
/// generator under `scripts/`): each case of its `expected.json` with its key,
/// joined from the halves the JSON keeps (`kind`, `body`: the ground truth is no
/// finding itself), and the set's files ending in `ext`, sorted by name.
pub fn fixture_set(set: &str, ext: &str) -> FixtureSet {
    let dir = repo_file(&format!("fixtures/{set}"));
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    let cases = expected["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| FixtureCase {
            file: c["file"].as_str().unwrap().to_string(),
            key: format!(
                "qrcp_{}_{}",
                c["kind"].as_str().unwrap(),
                c["body"].as_str().unwrap()
            ),
            entry: c.clone(),
        })
        .collect();
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().ends_with(ext))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    (cases, files)
}

/// A JSON report on a fixture set's files written under `prefix` (`what`
/// names the scan): as many findings as cases, each case's in its own file
/// (`each` checks the rest of that finding), and nothing left unread.
pub fn check_fixture_report(
    v: &serde_json::Value,
    cases: &[FixtureCase],
    prefix: &str,
    what: &str,
    each: impl Fn(&serde_json::Value, &FixtureCase),
) {
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), cases.len(), "{what}: {v:#}");
    for c in cases {
        let path = format!("{prefix}{}", c.file);
        let f = findings
            .iter()
            .find(|f| f["path"] == path.as_str())
            .unwrap_or_else(|| panic!("{what}: {path} not found: {v:#}"));
        each(f, c);
    }
    assert!(
        v["incomplete"].as_array().is_none_or(|a| a.is_empty()),
        "{what}: {v:#}"
    );
}

/// A `--no-redact` report on a fixture set's files under `prefix`: each
/// case's key whole, in its own file.
pub fn assert_fixture_keys_whole(v: &serde_json::Value, cases: &[FixtureCase], prefix: &str) {
    for c in cases {
        let path = format!("{prefix}{}", c.file);
        assert!(
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["secret"] == c.key.as_str() && f["path"] == path.as_str()),
            "{path}: {v:#}"
        );
    }
}

/// Each fixture case's key absent from each output.
pub fn assert_fixture_keys_absent(outs: &[&Output], cases: &[FixtureCase]) {
    let keys: Vec<&str> = cases.iter().map(|c| c.key.as_str()).collect();
    assert_keys_absent(outs, &keys);
}

/// Finds an external tool on PATH or in the repository's `.venv/bin` and
/// `node_modules/.bin` (set up by `scripts/test`). Missing under `CI=true` is a
/// failure; elsewhere the test is skipped with a note.
pub fn tool(name: &str) -> Option<PathBuf> {
    let root = repo_root();
    let mut dirs: Vec<PathBuf> = vec![root.join(".venv/bin"), root.join("node_modules/.bin")];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    if let Some(p) = dirs.iter().map(|d| d.join(name)).find(|p| p.is_file()) {
        return Some(p);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{name} is required under CI=true: run scripts/test, which installs it");
    }
    eprintln!("skipping: {name} is not installed (scripts/test installs it)");
    None
}
