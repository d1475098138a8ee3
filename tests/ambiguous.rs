//! Keys that run on (issue 11): a key inside a real `.pyc` scanned with
//! `--binary` runs into the byte of the marshal object that follows it. The finding
//! says its end is ambiguous, `verify` does not call the rejected body inactive,
//! and `revoke` leaves it to the user (the loopback API server of tests/util).

use std::process::Output;

use serde_json::Value;

use crate::util::api_server::{ApiServer, KeyState};
use crate::util::*;

/// A tree with `pkg/__pycache__/k.*.pyc` compiled by the real `python3 -m
/// py_compile` from a module holding `key`; the source itself is removed, so the
/// `.pyc` is the only place of the key.
fn compiled(key: &str) -> Option<Tree> {
    let python = tool("python3")?;
    let t = Tree::new();
    let src = t.write(
        "pkg/k.py",
        format!("API_KEY = \"{key}\"\n\ndef client():\n    return API_KEY\n"),
    );
    let o = std::process::Command::new(python)
        .args(["-m", "py_compile"])
        .arg(&src)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_file(&src).unwrap();
    Some(t)
}

fn api(t: &Tree, server: &ApiServer, args: &[&str]) -> Output {
    t.cmd()
        .args(args)
        .args(["--api-url", &server.url, "--color", "never"])
        .output()
        .unwrap()
}

fn only_finding(o: &Output) -> Value {
    let r = json(o);
    let f = r["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{r:#}\n{}", stderr(o));
    f[0].clone()
}

#[test]
fn a_key_that_runs_into_a_pyc_is_flagged_and_never_called_inactive() {
    let key = live_key();
    let Some(t) = compiled(&key) else { return };
    // The body as matched runs on into the marshal bytes after the string.
    let o = t.run(&["dir", ".", "--binary", "--format", "json", "--no-redact"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let f = only_finding(&o);
    let secret = f["secret"].as_str().unwrap();
    assert!(
        secret.starts_with(&key) && secret.len() > key.len(),
        "{secret} vs {key}"
    );
    assert_eq!(f["ambiguous_end"], true, "{f:#}");
    // The schema knows the field.
    if let Some(check) = tool("check-jsonschema") {
        std::fs::write(t.join("../report.json"), &o.stdout).unwrap();
        let v = std::process::Command::new(&check)
            .arg("--schemafile")
            .arg(repo_file("schemas/qrcp-scan-report.schema.json"))
            .arg(t.join("../report.json"))
            .output()
            .unwrap();
        assert!(v.status.success(), "{}", stdout(&v));
    }
    // The human report says so, redacted.
    let o = t.run(&["dir", ".", "--binary", "--color", "never"]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("where its body ends is ambiguous"),
        "{}",
        stdout(&o)
    );
    assert_secret_absent(&o, &key);

    // What was found is the key and a byte more: the API rejects it (401). The
    // key is live, and the body without its last character is: active.
    let server = ApiServer::start();
    server.set(&key, KeyState::Active);
    let o = api(
        &t,
        &server,
        &["dir", ".", "--binary", "--verify", "--format", "json"],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let f = only_finding(&o);
    assert_eq!(f["verification"], "active", "{f:#}\n{}", stderr(&o));
    assert!(
        stderr(&o).contains("verified active without its last 1 character"),
        "{}",
        stderr(&o)
    );
    // The whole body, then at most three shorter ones: bounded.
    let sent = server.requests();
    assert_eq!(sent.len(), 4, "{sent:?}");
    assert_eq!(server.requests_with(&key).len(), 1);
    assert_secret_absent(&o, &key);

    // A key the API does not know (revoked, or never one): every body is
    // rejected, and the verdict stays unknown, not inactive.
    let unknown = live_key();
    let Some(t) = compiled(&unknown) else { return };
    let o = api(
        &t,
        &server,
        &["dir", ".", "--binary", "--verify", "--format", "json"],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(only_finding(&o)["verification"], "unknown");
    assert!(
        stderr(&o).contains("ambiguous end: the API rejected the whole body"),
        "{}",
        stderr(&o)
    );
    let o = api(&t, &server, &["dir", ".", "--binary", "--verify"]);
    assert!(
        stdout(&o).contains("verified: unknown (ambiguous end"),
        "{}",
        stdout(&o)
    );
    assert_secret_absent(&o, &unknown);

    // A key written whole in a text file settles it: that body is the key.
    t.write("settings.py", format!("API_KEY = \"{key}\"\n"));
    server.set(&key, KeyState::Active);
    let o = api(
        &t,
        &server,
        &["dir", "settings.py", "--verify", "--format", "json"],
    );
    let f = only_finding(&o);
    assert_eq!(f["verification"], "active", "{f:#}");
    assert!(f.get("ambiguous_end").is_none(), "{f:#}");
}

#[test]
fn revoke_leaves_a_key_with_an_ambiguous_end_to_the_user() {
    let key = live_key();
    let Some(t) = compiled(&key) else { return };
    let server = ApiServer::start();
    server.set(&key, KeyState::Active);
    let why = "not revoked: the key runs into binary data and where it ends is ambiguous";

    // During a scan.
    let o = api(&t, &server, &["dir", ".", "--binary", "--revoke", "--yes"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains(why), "{}", stderr(&o));
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    assert_secret_absent(&o, &key);

    // From a report: the flag travels in the JSON.
    let o = t.run(&[
        "dir",
        ".",
        "--binary",
        "--format",
        "json",
        "--output",
        "report.json",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let o = t
        .cmd()
        .args(["revoke", "--report", "report.json", "--yes"])
        .args(["--api-url", &server.url])
        .output()
        .unwrap();
    assert!(stderr(&o).contains(why), "{}", stderr(&o));
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    assert_eq!(server.state(&key), Some(KeyState::Active));
    assert_secret_absent(&o, &key);

    // A key found whole is revoked as before (so the checks above can fail).
    t.write("settings.py", format!("API_KEY = \"{key}\"\n"));
    let o = api(&t, &server, &["dir", "settings.py", "--revoke", "--yes"]);
    assert!(!stderr(&o).contains(why), "{}", stderr(&o));
    assert_eq!(server.state(&key), Some(KeyState::Revoked));
}
