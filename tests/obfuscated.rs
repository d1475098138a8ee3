//! javascript-obfuscator's string array (issue 10: encodings not listed): the
//! real obfuscator's output (`fixtures/obfuscated`, built by
//! `scripts/obfuscated/generate.mjs`, which checks that each program computes
//! its key) is read in a folder, in history, in a staged change and on a
//! deployed site (inline and as scripts). Each key is
//! found once, named `string-array`, never printed; the decoy's placeholder is
//! not a finding.

use serde_json::Value;

use crate::git::staged_then_history;
use crate::util::static_site::{Serve, StaticSite};
use crate::util::*;

fn fixtures() -> FixtureSet {
    let (cases, files) = fixture_set("obfuscated", ".js");
    assert!(cases.len() >= 10);
    (cases, files)
}

/// Each case's key once, in its own file, decoded from the string array; the
/// decoy silent; nothing left unread.
fn check(v: &Value, cases: &[FixtureCase], prefix: &str, what: &str) {
    check_fixture_report(v, cases, prefix, what, |f, c| {
        assert_eq!(f["decoding"][0], "string-array", "{what}: {f:#}");
        assert_eq!(f["encoding"], "string-array", "{what}: {f:#}");
        let rule = if c.key.starts_with("qrcp_live_") {
            "qrcp-live-key"
        } else {
            "qrcp-test-key"
        };
        assert_eq!(f["rule"], rule, "{what}: {f:#}");
    });
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
    assert_fixture_keys_absent(&[&o, &human], &cases);
    // Asked for, the keys are the planted ones, whole.
    let clear = t.run(&["dir", ".", "--format", "json", "--no-redact"]);
    assert_fixture_keys_whole(&json(&clear), &cases, "dist/");
}

#[test]
fn the_obfuscators_string_arrays_are_read_in_history_and_staged() {
    let (cases, files) = fixtures();
    let (staged, hist) =
        staged_then_history(&files, "dist", |v, what| check(v, &cases, "dist/", what));
    assert_fixture_keys_absent(&[&staged, &hist], &cases);
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
    assert_fixture_keys_absent(&[&o], &cases);
}
