//! Hex dumps (issue 10: encodings not listed, aimed at the capability): a
//! dump pasted into a document or committed beside a binary cuts a key over
//! lines and groups its hex as the tool does. The dumps are the real tools'
//! output (`fixtures/dumps`, made by `scripts/dumps/generate.mjs`, which
//! reverses each xxd dump to check it): xxd (pairs, bytes 32 a line,
//! upper-case groups of four, plain `-p`), `hexdump -C` of a binary blob with
//! its `*` for repeated lines, `hexdump`'s and `od -x`'s little-endian words,
//! `od -t x1` with octal offsets and `od -A x -t x1z` with its text column.
//! Each key is found once, at the line holding its first byte, in a folder,
//! in a staged change and in history; the decoy's placeholder is no finding.

use std::process::Output;

use serde_json::Value;

use crate::bundles::finding_of;
use crate::git::staged_then_history;
use crate::util::*;

struct Case {
    file: String,
    key: String,
    line: u64,
}

fn fixtures() -> (Vec<Case>, Vec<(String, Vec<u8>)>) {
    let (cases, files) = fixture_set("dumps", ".txt");
    let cases: Vec<Case> = cases
        .into_iter()
        .map(|(c, key)| Case {
            file: c["file"].as_str().unwrap().to_string(),
            key,
            line: c["line"].as_u64().unwrap(),
        })
        .collect();
    assert!(cases.len() >= 9);
    // The key is nowhere whole in a dump: its hex is grouped, its text cut.
    for c in &cases {
        let (_, bytes) = files.iter().find(|(n, _)| *n == c.file).unwrap();
        assert!(
            !String::from_utf8_lossy(bytes).contains(&c.key),
            "{}",
            c.file
        );
    }
    (cases, files)
}

/// Each case's key once, in its own dump, at the line of its first byte, read
/// as hex; the decoy silent but for its placeholder; nothing left unread.
fn check(v: &Value, cases: &[Case], prefix: &str, what: &str) {
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), cases.len(), "{what}: {v:#}");
    for c in cases {
        let path = format!("{prefix}{}", c.file);
        let f = findings
            .iter()
            .find(|f| f["path"] == path.as_str())
            .unwrap_or_else(|| panic!("{what}: {path} not found: {v:#}"));
        assert_eq!(f["line"], c.line, "{what}: {f:#}");
        assert_eq!(f["encoding"], "hex", "{what}: {f:#}");
        assert_eq!(f["rule"], "qrcp-live-key", "{what}: {f:#}");
    }
    assert_eq!(v["stats"]["placeholders"], 1, "{what}: the decoy's: {v:#}");
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
fn hex_dumps_are_read_in_a_folder() {
    let (cases, files) = fixtures();
    let t = Tree::new();
    for (name, bytes) in &files {
        t.write(&format!("notes/{name}"), bytes);
    }
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    check(&json(&o), &cases, "notes/", "dir");
    let human = t.run(&["dir", "."]);
    assert_eq!(code(&human), 1);
    assert!(
        stdout(&human).contains("decoded from hex"),
        "{}",
        stdout(&human)
    );
    absent(&[&o, &human], &cases);
    let clear = json(&t.run(&["dir", ".", "--format", "json", "--no-redact"]));
    for c in &cases {
        assert!(
            clear["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["secret"] == c.key.as_str() && f["path"] == format!("notes/{}", c.file)),
            "{}: {clear:#}",
            c.file
        );
    }
}

#[test]
fn hex_dumps_are_read_in_history_and_staged() {
    let (cases, files) = fixtures();
    let (staged, hist) = staged_then_history(&files, "notes");
    assert_eq!(code(&staged), 1, "{}", stderr(&staged));
    check(&json(&staged), &cases, "notes/", "staged");
    assert_eq!(code(&hist), 1, "{}", stderr(&hist));
    check(&json(&hist), &cases, "notes/", "git");
    absent(&[&staged, &hist], &cases);
}

/// A dump of megabytes is read a part at a time: keys all through it, each
/// at its line, none twice, none cut where one part ends and the next starts.
#[test]
fn a_long_dump_is_read_to_its_end() {
    let keys: Vec<String> = (0..24).map(|_| live_key()).collect();
    let mut bytes = Vec::new();
    let mut at = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        // Varied filler, so that each key starts at another place in a line.
        bytes.extend((0..40_000 + 977 * i).map(|j| (j * 7 + i) as u8));
        at.push(bytes.len() + 1);
        bytes.extend(format!("\n{k}\n").bytes());
    }
    let mut text = String::new();
    for (n, line) in bytes.chunks(16).enumerate() {
        let groups: Vec<String> = line
            .chunks(2)
            .map(|g| g.iter().map(|c| format!("{c:02x}")).collect())
            .collect();
        let shown: String = line
            .iter()
            .map(|&c| if c.is_ascii_graphic() { c as char } else { '.' })
            .collect();
        text += &format!("{:08x}: {:<40} {shown}\n", n * 16, groups.join(" "));
    }
    assert!(text.len() > 3 << 20);
    let t = Tree::new();
    t.write("firmware.hex.txt", &text);
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), keys.len(), "{v:#}");
    for (k, at) in keys.iter().zip(at) {
        let f = finding_of(&v, k);
        assert_eq!(f["line"], (at / 16 + 1) as u64, "{f:#}");
    }
    for k in &keys {
        assert_secret_absent(&o, k);
    }
}
