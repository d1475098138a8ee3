//! The test harness: the real binary, temporary trees, keys generated at test time,
//! external tools that must exist under CI, and the "secret never printed" check.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU64, Ordering};

use assert_cmd::Command;

/// The qrcp-scan binary, with a clean environment for colour and progress.
pub fn qrcp() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qrcp-scan"));
    cmd.env_remove("NO_COLOR").env_remove("QRCP_SCAN_API_URL");
    cmd
}

/// A fresh random key body, different in every call and every run: tests never
/// depend on a key that exists anywhere else.
pub fn random_body(len: usize) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        ^ (u64::from(std::process::id()) << 32)
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut next = || {
        // xorshift64*
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        seed.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    loop {
        let body: String = (0..len)
            .map(|_| ALPHABET[(next() % 62) as usize] as char)
            .collect();
        // A random body can, rarely, look like a placeholder (a dummy word, a run):
        // insist on one that the detector must report.
        let lower = body.to_ascii_lowercase();
        let has_digit = body.bytes().any(|b| b.is_ascii_digit());
        let words = [
            "xxxx",
            "example",
            "placeholder",
            "your",
            "redacted",
            "dummy",
            "sample",
            "changeme",
            "replace",
            "fake",
            "notreal",
            "insert",
            "secret",
            "apikey",
        ];
        if has_digit && !words.iter().any(|w| lower.contains(w)) {
            return body;
        }
    }
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
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::Builder::new()
                .prefix("qrcp-test")
                .tempdir()
                .unwrap(),
        }
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
        qrcp().current_dir(self.path()).args(args).output().unwrap()
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

/// Asserts that no byte sequence of the key's body longer than the redacted four
/// characters appears anywhere in the output.
pub fn assert_secret_absent(o: &Output, key: &str) {
    let body = key.split('_').nth(2).unwrap_or(key);
    for text in [stdout(o), stderr(o)] {
        assert!(!text.contains(key), "full key printed:\n{text}");
        assert!(
            !text.contains(&body[..8.min(body.len())]),
            "key body printed:\n{text}"
        );
    }
}

pub fn assert_text_lacks(text: &str, key: &str) {
    let body = key.split('_').nth(2).unwrap_or(key);
    assert!(
        !text.contains(&body[..8.min(body.len())]),
        "key body present in:\n{text}"
    );
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

/// `../shared/schemas/…` beside the repository, or the copy CI lays out.
pub fn shared_file(rel: &str) -> PathBuf {
    let p = repo_root().join("..").join("shared").join(rel);
    assert!(p.exists(), "{} is missing", p.display());
    p
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
