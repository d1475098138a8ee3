//! Verify and revoke (issue 6) against the loopback QRCodePro API of
//! `util::api_server`: verdicts for every key state, idempotent revocation,
//! rate limits waited for (never hammered), failures kept apart from successes,
//! the audit log, the safety rules (https, no redirects, opt-in, dry run), and no
//! full key in any output.

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::util::api_server::{ApiServer, KeyState};
use crate::util::*;

/// `host:port` of a loopback server, as messages name it.
fn host(server: &ApiServer) -> &str {
    server.url.trim_start_matches("http://")
}

fn sha256(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `qrcp-scan ARGS --api-url URL`, run in the tree.
fn run_api(t: &Tree, server: &ApiServer, args: &[&str]) -> Output {
    t.cmd()
        .args(args)
        .args(["--api-url", &server.url])
        .output()
        .unwrap()
}

/// The verification of the findings of `key` (by fingerprint) in a JSON report.
fn verdicts(report: &Value, key: &str) -> Vec<Value> {
    let fp = sha256(key);
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["fingerprint"] == fp.as_str())
        .map(|f| f["verification"].clone())
        .collect()
}

fn audit_lines(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad audit line ({e}): {l}")))
        .collect()
}

fn assert_all_absent(o: &Output, keys: &[&String]) {
    for k in keys {
        assert_secret_absent(o, k);
    }
}

/// The outcome of each key in `revoke --format json` output, by fingerprint.
fn outcome_of<'a>(out: &'a Value, key: &str) -> &'a Value {
    let fp = sha256(key);
    out["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["fingerprint"] == fp.as_str())
        .unwrap_or_else(|| panic!("no outcome for {}…", &key[..14]))
}

#[test]
fn verdicts_for_every_key_state() {
    let server = ApiServer::start();
    let active = live_key();
    let forbidden = live_key();
    let revoked = live_key();
    let never_issued = test_key();
    let test_active = test_key();
    let flaky = live_key();
    let malformed = live_key();
    server.set(&active, KeyState::Active);
    server.set(&forbidden, KeyState::Forbidden);
    server.set(&revoked, KeyState::Revoked);
    server.set(&test_active, KeyState::Active);
    server.set(&flaky, KeyState::Flaky(1));
    server.set(&malformed, KeyState::Malformed);
    let t = Tree::new();
    t.write(
        "src/a.js",
        format!(
            "const a = \"{active}\";\nconst b = \"{forbidden}\";\nconst c = \"{revoked}\";\nconst d = \"{never_issued}\";\n"
        ),
    );
    t.write(
        "src/b.js",
        format!("x = '{active}'\ny = '{test_active}'\nz = '{flaky}'\nm = '{malformed}'\n"),
    );
    let o = run_api(
        &t,
        &server,
        &[
            "dir",
            "src",
            "--verify",
            "--format",
            "json",
            "--audit-log",
            "audit.jsonl",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let report = json(&o);
    let expect = [
        (&active, "active"),
        (&forbidden, "active"),
        (&revoked, "inactive"),
        (&never_issued, "inactive"),
        (&test_active, "active"),
        (&flaky, "active"),
        (&malformed, "unknown"),
    ];
    for (key, verdict) in expect {
        let v = verdicts(&report, key);
        assert!(!v.is_empty(), "{}… not found", &key[..14]);
        assert!(
            v.iter().all(|x| x == verdict),
            "{}…: {v:?}, expected {verdict}",
            &key[..14]
        );
    }
    // One request per distinct key (the active key is in two files), retries only
    // for the flaky and malformed answers (3 tries by default).
    for (key, n) in [
        (&active, 1),
        (&forbidden, 1),
        (&revoked, 1),
        (&never_issued, 1),
        (&test_active, 1),
        (&flaky, 2),
        (&malformed, 3),
    ] {
        assert_eq!(server.requests_with(key).len(), n, "{}…", &key[..14]);
    }
    let all = server.requests();
    assert_eq!(all.len(), 10, "{all:?}");
    for r in &all {
        assert_eq!(r.method, "GET");
        assert_eq!(r.url, "/v1/qrcodes?limit=1");
        let key = r.key.as_deref().expect("a bearer key");
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {key}").as_str())
        );
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        assert!(!r.url.contains(&key[10..]), "key in the URL");
    }
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "not verified: {} answered HTTP 200 with a body that is not JSON, after 3 tries",
            host(&server)
        )),
        "{err}"
    );
    let keys = [
        &active,
        &forbidden,
        &revoked,
        &never_issued,
        &test_active,
        &flaky,
        &malformed,
    ];
    assert_all_absent(&o, &keys);
    // The audit log has every request, and no key.
    let audit_text = std::fs::read_to_string(t.join("audit.jsonl")).unwrap();
    let audit = audit_lines(&t.join("audit.jsonl"));
    assert_eq!(audit.len(), 10, "{audit_text}");
    for k in keys {
        assert_text_lacks(&audit_text, k);
    }
    let forb = audit
        .iter()
        .find(|l| l["fingerprint"] == sha256(&forbidden).as_str())
        .unwrap();
    assert_eq!(forb["action"], "verify");
    assert_eq!(forb["outcome"], "active");
    assert_eq!(forb["status"], 403);
    assert_eq!(forb["location"], "src/a.js:2");
    assert!(forb["key"].as_str().unwrap().ends_with('…'));
    assert!(forb["time"].as_str().unwrap().ends_with('Z'));
    let flaky_lines: Vec<_> = audit
        .iter()
        .filter(|l| l["fingerprint"] == sha256(&flaky).as_str())
        .map(|l| {
            (
                l["attempt"].clone(),
                l["outcome"].clone(),
                l["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        flaky_lines,
        vec![
            (1.into(), "retry".into(), 500.into()),
            (2.into(), "active".into(), 200.into())
        ]
    );
}

#[test]
fn nothing_is_sent_without_verify() {
    let server = ApiServer::start();
    let key = live_key();
    server.set(&key, KeyState::Active);
    let t = Tree::new();
    t.write("a.js", format!("k = \"{key}\"\n"));
    let o = t
        .cmd()
        .env("QRCP_SCAN_API_URL", &server.url)
        .args(["dir", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 1);
    assert_eq!(verdicts(&json(&o), &key), vec![Value::Null]);
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn stdin_verify_shows_the_verdict_in_human_output() {
    let server = ApiServer::start();
    let key = live_key();
    server.set(&key, KeyState::Active);
    let o = qrcp()
        .env("QRCP_SCAN_API_URL", &server.url)
        .args(["stdin", "--name", "app.js", "--verify", "--color", "never"])
        .write_stdin(format!("fetch(url, {{key: \"{key}\"}})\n"))
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("= verified: active (the key works: revoke it)"),
        "{out}"
    );
    assert_eq!(server.requests_with(&key).len(), 1);
    assert_secret_absent(&o, &key);
    // Every other format carries it too.
    for (format, needle) in [
        ("junit", "verified: active"),
        ("github", "verified: active"),
        ("jsonl", "\"verification\":\"active\""),
        ("sarif", "\"verification\": \"active\""),
    ] {
        let o = qrcp()
            .env("QRCP_SCAN_API_URL", &server.url)
            .args(["stdin", "--name", "app.js", "--verify", "--format", format])
            .write_stdin(format!("k = \"{key}\"\n"))
            .output()
            .unwrap();
        assert!(stdout(&o).contains(needle), "{format}: {}", stdout(&o));
        assert_secret_absent(&o, &key);
    }
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let t = Tree::new();
    let key = live_key();
    t.write("a.js", format!("k = \"{key}\"\n"));
    for args in [
        vec![
            "dir",
            ".",
            "--verify",
            "--api-url",
            "http://example.invalid",
        ],
        vec![
            "dir",
            ".",
            "--revoke",
            "--yes",
            "--api-url",
            "http://10.0.0.1:8080",
        ],
    ] {
        let o = t.run(&args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stdout(&o));
        let err = stderr(&o);
        assert!(err.contains("plain http is refused"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(stdout(&o).is_empty(), "scanned anyway: {}", stdout(&o));
    }
    let o = t
        .cmd()
        .env("QRCP_SCAN_API_URL", "http://api.example.invalid")
        .args(["verify", "."])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("plain http is refused"),
        "{}",
        stderr(&o)
    );
    assert!(!t.audit_log().exists());
}

#[test]
fn redirect_is_not_followed_with_the_key() {
    let server = ApiServer::start();
    let elsewhere = ApiServer::with_limit("127.0.0.2", 100, Duration::from_secs(60));
    let key = live_key();
    elsewhere.set(&key, KeyState::Active);
    server.set(
        &key,
        KeyState::Redirect(format!("{}/v1/qrcodes?limit=1", elsewhere.url)),
    );
    let t = Tree::new();
    t.write("a.js", format!("k = \"{key}\"\n"));
    let o = run_api(&t, &server, &["dir", ".", "--verify", "--format", "json"]);
    assert_eq!(verdicts(&json(&o), &key), vec![Value::from("unknown")]);
    assert!(
        elsewhere.requests().is_empty(),
        "followed: {:?}",
        elsewhere.requests()
    );
    // A redirect is an error of the service (the contract): retried, bounded by
    // --api-tries (3), never followed.
    assert_eq!(server.requests_with(&key).len(), 3);
    assert!(
        stderr(&o).contains("HTTP 302 redirect (not followed)"),
        "{}",
        stderr(&o)
    );
    assert_secret_absent(&o, &key);
}

#[test]
fn slow_answers_time_out() {
    let server = ApiServer::start();
    let key = live_key();
    server.set(&key, KeyState::Slow(Duration::from_millis(2500)));
    let t = Tree::new();
    t.write("a.js", format!("k = \"{key}\"\n"));
    let start = Instant::now();
    let o = run_api(
        &t,
        &server,
        &[
            "dir",
            ".",
            "--verify",
            "--format",
            "json",
            "--api-timeout",
            "300ms",
            "--api-tries",
            "1",
        ],
    );
    let took = start.elapsed();
    assert_eq!(verdicts(&json(&o), &key), vec![Value::from("unknown")]);
    assert!(
        stderr(&o).contains(&format!(
            "not verified: no answer from {} (timed out)",
            host(&server)
        )),
        "{}",
        stderr(&o)
    );
    assert!(
        took < Duration::from_millis(2000),
        "waited for the slow answer: {took:?}"
    );
    assert_secret_absent(&o, &key);
}

/// A tree with keys in files, and its redacted JSON report (`report.json`).
fn scanned_tree(files: &[(&str, String)]) -> Tree {
    let t = Tree::new();
    for (path, text) in files {
        t.write(path, text);
    }
    let o = t.run(&["dir", ".", "--format", "json", "--output", "report.json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    t
}

#[test]
fn revoke_from_a_redacted_report_is_idempotent() {
    let server = ApiServer::start();
    let (a, b, c, d) = (live_key(), live_key(), test_key(), live_key());
    server.set(&a, KeyState::Active);
    server.set(&b, KeyState::Forbidden);
    server.set(&c, KeyState::Revoked);
    server.set(&d, KeyState::Active);
    let t = scanned_tree(&[
        (
            "src/a.js",
            format!("const k = \"{a}\";\nconst j = \"{b}\";\n"),
        ),
        ("src/b.js", format!("// {c}\n\nlet again = \"{a}\";\n")),
        (".env", format!("QRCODEPRO_KEY={d}\n")),
    ]);
    let report = std::fs::read_to_string(t.join("report.json")).unwrap();
    for k in [&a, &b, &c, &d] {
        assert_text_lacks(&report, k);
    }

    let o = run_api(
        &t,
        &server,
        &[
            "revoke",
            "--report",
            "report.json",
            "--yes",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));
    let out = json(&o);
    assert_eq!(outcome_of(&out, &a)["outcome"], "revoked");
    assert_eq!(outcome_of(&out, &a)["other_locations"], 1);
    assert_eq!(outcome_of(&out, &b)["outcome"], "revoked");
    assert_eq!(outcome_of(&out, &c)["outcome"], "already_inactive");
    assert_eq!(outcome_of(&out, &c)["status"], 401);
    assert_eq!(outcome_of(&out, &d)["outcome"], "revoked");
    assert_eq!(out["summary"]["revoked"], 3);
    assert_eq!(server.state(&a), Some(KeyState::Revoked));
    let posts = server.requests();
    assert_eq!(posts.len(), 4, "{posts:?}");
    for r in &posts {
        assert_eq!(
            (r.method.as_str(), r.url.as_str()),
            ("POST", "/v1/api_keys/revoke")
        );
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        let body = r.body.as_ref().expect("a JSON body");
        assert_eq!(body["reason"], "leaked");
        assert_eq!(body["source"], "qrcp-scan");
    }
    let body_a = &server.requests_with(&a)[0].body.clone().unwrap();
    assert_eq!(body_a["location"], "src/a.js:1");
    assert_all_absent(&o, &[&a, &b, &c, &d]);

    // Again: everything is already inactive, and each key is sent exactly once.
    server.clear_log();
    let o = run_api(&t, &server, &["revoke", "--report", "report.json", "--yes"]);
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));
    let table = stdout(&o);
    assert!(
        table.contains("4 keys: 0 revoked, 4 already inactive, 0 failed"),
        "{table}"
    );
    assert!(table.lines().next().unwrap().starts_with("KEY"), "{table}");
    for k in [&a, &b, &c, &d] {
        assert_eq!(server.requests_with(k).len(), 1, "{}…", &k[..14]);
    }
    assert_all_absent(&o, &[&a, &b, &c, &d]);

    // Every API action is audited: in the state folder by default, appended, and
    // never in the scanned tree.
    let audit_path = t.audit_log();
    assert!(!t.join("qrcp-scan-audit.jsonl").exists());
    let audit = audit_lines(&audit_path);
    assert_eq!(audit.len(), 8);
    assert!(audit.iter().all(|l| l["action"] == "revoke"));
    let text = std::fs::read_to_string(&audit_path).unwrap();
    for k in [&a, &b, &c, &d] {
        assert_text_lacks(&text, k);
    }
    assert_eq!(
        audit
            .iter()
            .filter(|l| l["outcome"] == "already_inactive")
            .count(),
        5
    );
}

#[test]
fn revoke_needs_yes_off_a_terminal_and_dry_run_sends_nothing() {
    let server = ApiServer::start();
    let (live, test) = (live_key(), test_key());
    server.set(&live, KeyState::Active);
    server.set(&test, KeyState::Active);
    let t = scanned_tree(&[("a.js", format!("k = \"{live}\"\nt = \"{test}\"\n"))]);

    let o = run_api(&t, &server, &["revoke", "--report", "report.json"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("revoking needs --yes when standard input is not a terminal"),
        "{}",
        stderr(&o)
    );
    let o = run_api(&t, &server, &["dir", ".", "--revoke"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("needs --yes"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "scanned before refusing");

    let o = run_api(
        &t,
        &server,
        &["revoke", "--report", "report.json", "--dry-run"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("would_revoke") && out.contains("qrcp_live_"),
        "{out}"
    );
    assert!(
        out.contains("dry run: 2 of 2 keys would be revoked; nothing was sent"),
        "{out}"
    );
    let o = run_api(
        &t,
        &server,
        &[
            "revoke",
            "--report",
            "report.json",
            "--dry-run",
            "--only-live",
            "--format",
            "json",
        ],
    );
    let out = json(&o);
    assert_eq!(out["keys"].as_array().unwrap().len(), 1);
    assert_eq!(out["keys"][0]["fingerprint"], sha256(&live).as_str());
    assert_eq!(out["dry_run"], true);
    let o = run_api(&t, &server, &["dir", ".", "--revoke", "--dry-run"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("nothing was sent"), "{}", stderr(&o));

    assert!(server.requests().is_empty(), "{:?}", server.requests());
    assert!(!t.audit_log().exists());
    assert_all_absent(&o, &[&live, &test]);

    // --only-live on a real run leaves the test key alone.
    let o = run_api(
        &t,
        &server,
        &["revoke", "--report", "report.json", "--yes", "--only-live"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(server.requests_with(&live).len(), 1);
    assert!(server.requests_with(&test).is_empty());
}

#[test]
fn revoke_asks_for_confirmation_on_a_terminal() {
    // `script` gives the command a terminal and types the answer into it.
    let Some(script) = tool("script") else { return };
    let server = ApiServer::start();
    let key = live_key();
    server.set(&key, KeyState::Active);
    let t = scanned_tree(&[("a.js", format!("k = \"{key}\"\n"))]);
    let cmd = format!(
        "{} revoke --report report.json",
        env!("CARGO_BIN_EXE_qrcp-scan")
    );
    for (answer, status, sent) in [("n\n", 2, 0), ("y\n", 0, 1)] {
        let o = assert_cmd::Command::new(&script)
            .args(["-qec", &cmd, "/dev/null"])
            .current_dir(t.path())
            .env("QRCP_SCAN_API_URL", &server.url)
            .write_stdin(answer)
            .output()
            .unwrap();
        let out = stdout(&o);
        assert_eq!(code(&o), status, "{out}");
        assert!(
            out.contains("about to revoke 1 key through http://127.0.0.1:"),
            "{out}"
        );
        assert!(
            out.contains("a.js:1") && out.contains("Revoke it? [y/N]"),
            "{out}"
        );
        assert_eq!(server.requests_with(&key).len(), sent, "{out}");
        assert_secret_absent(&o, &key);
    }
    assert_eq!(server.state(&key), Some(KeyState::Revoked));
}

#[test]
fn server_errors_fail_those_keys_and_keep_the_rest() {
    let server = ApiServer::start();
    let (good, broken, flaky, moved) = (live_key(), live_key(), live_key(), live_key());
    server.set(&good, KeyState::Active);
    server.set(&broken, KeyState::Broken);
    server.set(&flaky, KeyState::Flaky(2));
    server.set(&moved, KeyState::Active);
    let t = scanned_tree(&[
        (
            "a.js",
            format!("a = \"{good}\"\nb = \"{broken}\"\nc = \"{flaky}\"\n"),
        ),
        ("m.js", format!("m = \"{moved}\"\n")),
    ]);
    // The key is gone from its file since the report: it cannot be read back.
    t.write("m.js", "m = process.env.KEY\n");

    let o = run_api(
        &t,
        &server,
        &[
            "revoke",
            "--report",
            "report.json",
            "--yes",
            "--format",
            "json",
            "--audit-log",
            "audit.jsonl",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = json(&o);
    assert_eq!(outcome_of(&out, &good)["outcome"], "revoked");
    let b = outcome_of(&out, &broken);
    assert_eq!(b["outcome"], "failed");
    assert_eq!(b["status"], 500);
    assert_eq!(
        b["detail"],
        format!(
            "{} answered HTTP 500 internal_error, after 3 tries",
            host(&server)
        )
    );
    assert_eq!(b["attempts"], 3);
    assert_eq!(outcome_of(&out, &flaky)["outcome"], "revoked");
    assert_eq!(outcome_of(&out, &flaky)["attempts"], 3);
    let m = outcome_of(&out, &moved);
    assert_eq!(m["outcome"], "failed");
    assert_eq!(
        m["detail"],
        "m.js no longer holds the key with this fingerprint"
    );
    assert!(server.requests_with(&moved).is_empty());
    assert_eq!(out["summary"]["failed"], 2);

    let audit = audit_lines(&t.join("audit.jsonl"));
    let of = |k: &str| -> Vec<(Value, Value)> {
        audit
            .iter()
            .filter(|l| l["fingerprint"] == sha256(k).as_str())
            .map(|l| (l["attempt"].clone(), l["outcome"].clone()))
            .collect()
    };
    assert_eq!(of(&good), vec![(1.into(), "revoked".into())]);
    assert_eq!(
        of(&broken),
        vec![
            (1.into(), "retry".into()),
            (2.into(), "retry".into()),
            (3.into(), "failed".into())
        ]
    );
    assert_eq!(
        of(&flaky),
        vec![
            (1.into(), "retry".into()),
            (2.into(), "retry".into()),
            (3.into(), "revoked".into())
        ]
    );
    assert_eq!(of(&moved), vec![(0.into(), "failed".into())]);
    assert_eq!(audit.len(), 8);
    let text = std::fs::read_to_string(t.join("audit.jsonl")).unwrap();
    for k in [&good, &broken, &flaky, &moved] {
        assert_text_lacks(&text, k);
    }
    assert_all_absent(&o, &[&good, &broken, &flaky, &moved]);

    // `verify --report --revoke` lists the key it could not read back too.
    let o = run_api(
        &t,
        &server,
        &[
            "verify",
            "--report",
            "report.json",
            "--revoke",
            "--yes",
            "--api-tries",
            "1",
            "--audit-log",
            "audit2.jsonl",
        ],
    );
    let err = stderr(&o);
    let row = err
        .lines()
        .find(|l| l.starts_with("qrcp_live_") && l.contains("m.js:1"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        row.contains("failed") && row.contains("no longer holds the key"),
        "{err}"
    );
    assert!(server.requests_with(&moved).is_empty());
    assert_all_absent(&o, &[&good, &broken, &flaky, &moved]);

    // The service gone altogether: every key fails, every attempt is audited.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = t
        .cmd()
        .args([
            "revoke",
            "--report",
            "report.json",
            "--yes",
            "--format",
            "json",
            "--audit-log",
            "down.jsonl",
            "--api-tries",
            "2",
        ])
        .args(["--api-url", &format!("http://127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = json(&o);
    let g = outcome_of(&out, &good);
    assert_eq!(g["outcome"], "failed");
    assert_eq!(
        g["detail"],
        format!("no answer from 127.0.0.1:{port} (connection refused), after 2 tries")
    );
    assert_eq!(g["status"], Value::Null);
    let down = audit_lines(&t.join("down.jsonl"));
    assert_eq!(down.len(), 3 * 2 + 1);
    assert!(down.iter().all(|l| l["status"].is_null()));
}

#[test]
fn rate_limited_runs_wait_for_the_reset() {
    // One request per key per second: verify uses it up, revoke must wait.
    let server = ApiServer::with_limit("127.0.0.1", 1, Duration::from_secs(1));
    let key = live_key();
    server.set(&key, KeyState::Active);
    let t = Tree::new();
    t.write("a.js", format!("k = \"{key}\"\n"));
    let o = run_api(
        &t,
        &server,
        &[
            "dir", ".", "--verify", "--revoke", "--yes", "--format", "json",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(verdicts(&json(&o), &key), vec![Value::from("active")]);
    assert!(
        stderr(&o).contains("1 key: 1 revoked, 0 already inactive, 0 failed"),
        "{}",
        stderr(&o)
    );
    let log = server.requests_with(&key);
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![200, 200],
        "{log:?}"
    );
    let gap = log[1].at - log[0].at;
    assert!(
        gap >= Duration::from_millis(900),
        "did not wait for the reset: {gap:?}"
    );
    assert_secret_absent(&o, &key);
}

#[test]
fn a_429_is_waited_out_then_retried_a_bounded_number_of_times() {
    let server = ApiServer::start();
    let (after, reset, always) = (live_key(), live_key(), live_key());
    server.set(
        &after,
        KeyState::Throttled {
            times: 1,
            retry_after: true,
        },
    );
    server.set(
        &reset,
        KeyState::Throttled {
            times: 1,
            retry_after: false,
        },
    );
    server.set(
        &always,
        KeyState::Throttled {
            times: 99,
            retry_after: true,
        },
    );
    let t = Tree::new();
    t.write(
        "a.js",
        format!("a = \"{after}\"\nb = \"{reset}\"\nc = \"{always}\"\n"),
    );
    let o = run_api(&t, &server, &["dir", ".", "--verify", "--format", "json"]);
    let report = json(&o);
    assert_eq!(verdicts(&report, &after), vec![Value::from("active")]);
    assert_eq!(verdicts(&report, &reset), vec![Value::from("active")]);
    assert_eq!(verdicts(&report, &always), vec![Value::from("unknown")]);
    for (key, statuses) in [
        (&after, vec![429, 200]),
        (&reset, vec![429, 200]),
        (&always, vec![429, 429, 429]),
    ] {
        let log = server.requests_with(key);
        assert_eq!(
            log.iter().map(|r| r.status).collect::<Vec<_>>(),
            statuses,
            "{log:?}"
        );
        for pair in log.windows(2) {
            let gap = pair[1].at - pair[0].at;
            assert!(
                gap >= Duration::from_millis(900),
                "retried too soon: {gap:?}"
            );
        }
    }
    assert!(
        stderr(&o).contains(&format!(
            "{} rate limited us (HTTP 429), after 3 tries",
            host(&server)
        )),
        "{}",
        stderr(&o)
    );
    assert_all_absent(&o, &[&after, &reset, &always]);
}

#[test]
fn api_rate_caps_our_own_request_rate() {
    let server = ApiServer::start();
    let keys = [live_key(), live_key(), live_key()];
    let t = Tree::new();
    let mut text = String::new();
    for k in &keys {
        server.set(k, KeyState::Active);
        text += &format!("k = \"{k}\"\n");
    }
    t.write("a.js", text);
    let o = run_api(
        &t,
        &server,
        &[
            "dir",
            ".",
            "--verify",
            "--api-rate",
            "150",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let mut at: Vec<Instant> = server.requests().iter().map(|r| r.at).collect();
    at.sort();
    assert_eq!(at.len(), 3);
    for pair in at.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(350),
            "{:?}",
            pair[1] - pair[0]
        );
    }
}

#[test]
fn verify_report_reads_keys_back_from_files_and_commits() {
    let server = ApiServer::start();
    let (in_file, in_commit, unredacted, tampered) =
        (live_key(), live_key(), live_key(), live_key());
    for k in [&in_file, &in_commit, &unredacted, &tampered] {
        server.set(k, KeyState::Active);
    }
    let t = scanned_tree(&[("web/app.js", format!("\n  key: \"{in_file}\",\n"))]);
    let o = run_api(
        &t,
        &server,
        &["verify", "--report", "report.json", "--format", "json"],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(verdicts(&json(&o), &in_file), vec![Value::from("active")]);
    assert_eq!(server.requests_with(&in_file).len(), 1);
    assert_secret_absent(&o, &in_file);

    // A git report: the key is read from the blob commit:path, though the file
    // has changed since.
    let repo_dir = Tree::new();
    repo_dir.write("cfg.js", format!("export const k = \"{in_commit}\";\n"));
    let repo = git2::Repository::init(repo_dir.path()).unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(std::path::Path::new("cfg.js")).unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("Ana", "ana@example.com").unwrap();
    let commit = repo
        .commit(Some("HEAD"), &sig, &sig, "add config", &tree, &[])
        .unwrap();
    let scan = repo_dir.run(&["dir", ".", "--format", "json"]);
    repo_dir.write("cfg.js", "export const k = process.env.K;\n");
    let mut report = json(&scan);
    let f = &mut report["findings"][0];
    f["source"] = "git".into();
    f["commit"] = commit.to_string().into();
    f["line"] = 7.into(); // lines move: the key is still found in the blob
    // A --no-redact report: its key is used once its fingerprint checks out,
    // even with the file gone; a tampered one (key and fingerprint disagree) is not.
    let mut extra = f.clone();
    extra["source"] = "file".into();
    extra["commit"] = Value::Null;
    extra["path"] = "gone.js".into();
    extra["secret"] = unredacted.clone().into();
    extra["fingerprint"] = sha256(&unredacted).into();
    let mut forged = extra.clone();
    forged["secret"] = tampered.clone().into();
    forged["fingerprint"] = sha256(&in_file).into();
    report["findings"]
        .as_array_mut()
        .unwrap()
        .extend([extra, forged]);
    t.write("git-report.json", report.to_string());
    server.clear_log();
    let o = run_api(
        &t,
        &server,
        &[
            "verify",
            "--report",
            "git-report.json",
            "--root",
            repo_dir.path().to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let out = json(&o);
    assert_eq!(verdicts(&out, &in_commit), vec![Value::from("active")]);
    assert_eq!(verdicts(&out, &unredacted), vec![Value::from("active")]);
    assert_eq!(server.requests_with(&in_commit).len(), 1);
    assert!(
        server.requests_with(&tampered).is_empty(),
        "sent a key that does not match its fingerprint"
    );
    assert!(
        stderr(&o).contains("the report's secret does not match its fingerprint"),
        "{}",
        stderr(&o)
    );
    assert_eq!(verdicts(&out, &in_file), vec![Value::from("unknown")]);
    // Output stays redacted (the report with a full key was the user's choice).
    assert_all_absent(&o, &[&in_commit, &in_file, &tampered]);
    assert!(!stdout(&o).contains(&unredacted));
}

#[test]
fn api_failures_name_the_host_and_the_cause() {
    let key = live_key();
    let t = Tree::new();
    t.write("a.js", format!("k = \"{key}\"\n"));
    let verify = |url: &str| {
        t.cmd()
            .args(["dir", ".", "--verify", "--color", "never"])
            .args(["--api-tries", "1", "--api-timeout", "400ms"])
            .args(["--api-url", url])
            .output()
            .unwrap()
    };
    let check = |o: &Output, want: &str| {
        assert_eq!(code(o), 1, "{}", stderr(o));
        let err = stderr(o);
        assert!(err.contains(want), "want {want:?} in: {err}");
        let out = stdout(o);
        assert!(out.contains("verified: unknown"), "{out}");
        for text in [&err, &out] {
            assert!(!text.contains("gave no answer"), "{text}");
        }
        assert_secret_absent(o, &key);
    };

    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = verify(&format!("http://127.0.0.1:{port}"));
    check(
        &o,
        &format!("not verified: no answer from 127.0.0.1:{port} (connection refused)"),
    );

    // A server that accepts the connection and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let held = std::thread::spawn(move || {
        let conns: Vec<_> = silent.incoming().take(1).collect();
        std::thread::sleep(Duration::from_secs(3));
        drop(conns);
    });
    let o = verify(&format!("http://{addr}"));
    check(
        &o,
        &format!("not verified: no answer from {addr} (timed out)"),
    );
    held.join().unwrap();

    // HTTP 500 with the contract's JSON error, and a body that is not JSON.
    let server = ApiServer::start();
    server.set(&key, KeyState::Broken);
    let o = verify(&server.url);
    check(
        &o,
        &format!(
            "not verified: {} answered HTTP 500 internal_error",
            host(&server)
        ),
    );
    server.set(&key, KeyState::Malformed);
    let o = verify(&server.url);
    check(
        &o,
        &format!(
            "not verified: {} answered HTTP 200 with a body that is not JSON",
            host(&server)
        ),
    );
    // TLS spoken to a server that answers in plain HTTP.
    let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = plain.local_addr().unwrap();
    let answers = std::thread::spawn(move || {
        use std::io::Write;
        if let Some(Ok(mut c)) = plain.incoming().next() {
            let _ = c.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let o = verify(&format!("https://{addr}"));
    check(
        &o,
        &format!("not verified: no answer from {addr} (TLS failed: "),
    );
    answers.join().unwrap();
    // An unknown host: the DNS lookup names it (resolution never leaves the machine
    // for `.invalid`, RFC 6761; https, so the https-only rule lets it through).
    let o = verify("https://api.qrcodepro.invalid");
    check(
        &o,
        "not verified: no answer from api.qrcodepro.invalid (DNS lookup failed: host not found)",
    );
}
