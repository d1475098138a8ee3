//! javascript-obfuscator's string array (issue 10: encodings not listed): the
//! real obfuscator's output (`fixtures/obfuscated`, built by
//! `scripts/obfuscated/generate.mjs`, which checks that each program computes
//! its key) is read in a folder, in history, in a staged change and on a
//! deployed site (inline and as scripts). Each key is
//! found once, named `string-array`, never printed; the decoy's placeholder is
//! not a finding.

use std::process::Output;

use serde_json::Value;

use crate::git::staged_then_history;
use crate::util::static_site::{Serve, StaticSite};
use crate::util::*;

struct Case {
    file: String,
    key: String,
}

fn fixtures() -> (Vec<Case>, Vec<(String, Vec<u8>)>) {
    let (cases, files) = fixture_set("obfuscated", ".js");
    let cases: Vec<Case> = cases
        .into_iter()
        .map(|(c, key)| Case {
            file: c["file"].as_str().unwrap().to_string(),
            key,
        })
        .collect();
    assert!(cases.len() >= 10);
    (cases, files)
}

/// Each case's key once, in its own file, decoded from the string array; the
/// decoy silent; nothing left unread.
fn check(v: &Value, cases: &[Case], prefix: &str, what: &str) {
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), cases.len(), "{what}: {v:#}");
    for c in cases {
        let path = format!("{prefix}{}", c.file);
        let f = findings
            .iter()
            .find(|f| f["path"] == path.as_str())
            .unwrap_or_else(|| panic!("{what}: {path} not found: {v:#}"));
        assert_eq!(f["decoding"][0], "string-array", "{what}: {f:#}");
        assert_eq!(f["encoding"], "string-array", "{what}: {f:#}");
        let rule = if c.key.starts_with("qrcp_live_") {
            "qrcp-live-key"
        } else {
            "qrcp-test-key"
        };
        assert_eq!(f["rule"], rule, "{what}: {f:#}");
    }
    assert!(
        v["incomplete"].as_array().is_none_or(|a| a.is_empty()),
        "{what}: {v:#}"
    );
}

fn absent(outs: &[&Output], cases: &[Case]) {
    let keys: Vec<&str> = cases.iter().map(|c| c.key.as_str()).collect();
    assert_keys_absent(outs, &keys);
}

#[test]
fn the_obfuscators_string_arrays_are_read_in_a_folder() {
    let (cases, files) = fixtures();
    let t = Tree::new();
    for (name, bytes) in &files {
        t.write(&format!("dist/{name}"), bytes);
    }
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    check(&json(&o), &cases, "dist/", "dir");
    let human = t.run(&["dir", "."]);
    assert!(
        stdout(&human).contains("decoded from javascript-obfuscator's string array"),
        "{}",
        stdout(&human)
    );
    absent(&[&o, &human], &cases);
    // Asked for, the keys are the planted ones, whole.
    let clear = t.run(&["dir", ".", "--format", "json", "--no-redact"]);
    let v = json(&clear);
    for c in &cases {
        assert!(
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["secret"] == c.key.as_str()),
            "{}: {v:#}",
            c.file
        );
    }
}

#[test]
fn the_obfuscators_string_arrays_are_read_in_history_and_staged() {
    let (cases, files) = fixtures();
    let (staged, hist) = staged_then_history(&files, "dist");
    assert_eq!(code(&staged), 1, "{}", stderr(&staged));
    check(&json(&staged), &cases, "dist/", "staged");
    assert_eq!(code(&hist), 1, "{}", stderr(&hist));
    check(&json(&hist), &cases, "dist/", "git");
    absent(&[&staged, &hist], &cases);
}

#[test]
fn the_obfuscators_string_arrays_are_read_on_a_deployed_site() {
    let (cases, files) = fixtures();
    let t = Tree::new();
    // The first case inline in the page, the others (and the decoy) as its
    // scripts.
    let (inline, inline_bytes) = files
        .iter()
        .find(|(name, _)| *name == cases[0].file)
        .unwrap();
    let mut page = String::from("<!doctype html><html><body>\n<script>");
    page.push_str(&String::from_utf8_lossy(inline_bytes));
    page.push_str("</script>\n");
    for (name, bytes) in &files {
        if name != inline {
            t.write(&format!("site/{name}"), bytes);
            page.push_str(&format!("<script src=\"/{name}\"></script>\n"));
        }
    }
    page.push_str("</body></html>\n");
    t.write("site/index.html", page);
    let site = StaticSite::start(&t.join("site"), Serve::Plain);
    let o = qrcp()
        .args([
            "url",
            &format!("{}/", site.base),
            "--timeout",
            "10",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), cases.len(), "{v:#}");
    for c in &cases {
        let path = match c.file == *inline {
            true => format!("{}/!script[1]", site.base),
            false => format!("{}/{}", site.base, c.file),
        };
        let f = findings
            .iter()
            .find(|f| f["path"] == path.as_str())
            .unwrap_or_else(|| panic!("{path} not found: {v:#}"));
        assert_eq!(f["decoding"][0], "string-array", "{f:#}");
    }
    absent(&[&o], &cases);
}
