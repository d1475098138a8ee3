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

use serde_json::Value;

use crate::bundles::finding_of;
use crate::git::staged_then_history;
use crate::util::*;

fn fixtures() -> FixtureSet {
    let (cases, files) = fixture_set("dumps", ".txt");
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
fn check(v: &Value, cases: &[FixtureCase], prefix: &str, what: &str) {
    check_fixture_report(v, cases, prefix, what, |f, c| {
        assert_eq!(f["line"], c.entry["line"], "{what}: {f:#}");
        assert_eq!(f["encoding"], "hex", "{what}: {f:#}");
        assert_eq!(f["rule"], "qrcp-live-key", "{what}: {f:#}");
    });
    assert_eq!(v["stats"]["placeholders"], 1, "{what}: the decoy's: {v:#}");
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
    assert_fixture_keys_absent(&[&o, &human], &cases);
    let clear = t.run(&["dir", ".", "--format", "json", "--no-redact"]);
    assert_fixture_keys_whole(&json(&clear), &cases, "notes/");
}

#[test]
fn hex_dumps_are_read_in_history_and_staged() {
    let (cases, files) = fixtures();
    let (staged, hist) =
        staged_then_history(&files, "notes", |v, what| check(v, &cases, "notes/", what));
    assert_fixture_keys_absent(&[&staged, &hist], &cases);
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
