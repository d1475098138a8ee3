//! Hostile input (issue 11): keys hidden next to a finding are masked in every
//! output, shell commands the output suggests are quoted, content that was not read
//! is reported as incomplete, huge files are streamed.

use std::process::Output;

use crate::git::Repo;
use crate::util::api_server::{ApiServer, KeyState};
use crate::util::*;

/// Lines with a detected key each and, beside it, a key written so that no rule
/// matches it as it stands; returns the text and every planted key.
fn hostile_line() -> (String, Vec<String>) {
    let mut keys = Vec::new();
    let mut text = String::new();
    for form in [
        "\"qrcp_\" + \"live_{}\"",
        "\"qrcp&#95;live&#95;{}\"",
        "\"\\u0071\\u0072\\u0063\\u0070_live_{}\"",
        "\"qrcp\\_live\\_{}\"",
    ] {
        let found = live_key();
        let hidden = random_body(28);
        text += &format!("k = \"{found}\"; h = {};\n", form.replace("{}", &hidden));
        keys.push(found);
        keys.push(format!("qrcp_live_{hidden}"));
    }
    (text, keys)
}

fn lacks_all(o: &Output, keys: &[String]) {
    for k in keys {
        assert_secret_absent(o, k);
    }
}

#[test]
fn keys_beside_a_finding_are_masked_in_every_format() {
    let (line, keys) = hostile_line();
    let t = Tree::new();
    t.write("src/app.js", &line);
    for format in ["human", "json", "jsonl", "sarif", "junit", "github"] {
        let o = t.run(&["dir", ".", "--format", format, "--color", "never"]);
        assert_eq!(code(&o), 1, "{format}: {}", stderr(&o));
        lacks_all(&o, &keys);
    }
    // The human snippet does show the line (masked), so the test can fail.
    let o = t.run(&["dir", ".", "--color", "never"]);
    assert!(
        stdout(&o).contains("h = \"qrcp_\" + \"live_"),
        "{}",
        stdout(&o)
    );

    // The audit: text, JSON, HTML.
    let r = Repo::init();
    r.write("src/app.js", &line);
    r.commit("add the client");
    for format in ["human", "json"] {
        let o = r.scan(&["audit", ".", "--format", format, "--color", "never"]);
        assert_eq!(code(&o), 1, "{format}: {}", stderr(&o));
        lacks_all(&o, &keys);
    }
    let html = r.dir.join("../audit.html");
    let o = r.scan(&["audit", ".", "--html", html.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    lacks_all(&o, &keys);
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(html.contains("live_"), "no snippet in the HTML report");
    for k in &keys {
        assert_text_lacks(&html, k);
    }
}

#[test]
fn keys_beside_a_finding_stay_out_of_the_api_audit_log() {
    let (line, keys) = hostile_line();
    let server = ApiServer::start();
    server.set(&keys[0], KeyState::Active);
    let t = Tree::new();
    t.write("src/app.js", &line);
    let o = t
        .cmd()
        .args(["dir", "src", "--verify", "--audit-log", "audit.jsonl"])
        .args(["--api-url", &server.url, "--color", "never"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    lacks_all(&o, &keys);
    let log = std::fs::read_to_string(t.join("audit.jsonl")).unwrap();
    assert!(!log.is_empty());
    for k in &keys {
        assert_text_lacks(&log, k);
    }
}

/// The shell commands in backquotes of a report that start with `prefix`.
fn suggested(text: &str, prefix: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|c| c.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

/// Runs `command` with `sh -c` in the repository; returns whether it succeeded.
fn paste(r: &Repo, command: &str) -> bool {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(&r.dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn suggested_commands_quote_hostile_names() {
    let r = Repo::init();
    let name = "$(touch${IFS}PWNED).env";
    r.write(name, "SECRET=1\n");
    r.write("a.txt", "a\n");
    r.commit("add env");
    let human = stdout(&r.scan(&["dir", ".", "--color", "never"]));
    let audit = stdout(&r.scan(&["audit", ".", "--color", "never"]));
    let rm: Vec<String> = suggested(&human, "git rm")
        .into_iter()
        .chain(suggested(&audit, "git rm"))
        .collect();
    let purge = suggested(&audit, "git filter-repo --invert-paths");
    assert_eq!(rm.len(), 2, "{human}\n{audit}");
    assert_eq!(purge.len(), 1, "{audit}");
    // Whether git-filter-repo is installed or not, the shell expands the words first.
    paste(&r, &purge[0]);
    for c in &rm {
        r.git(&["add", "-A"]);
        assert!(paste(&r, c), "{c} failed");
        assert!(
            r.git(&["ls-files", "--cached", "--", name]).is_empty(),
            "{c} left it tracked"
        );
    }
    assert!(
        !r.dir.join("PWNED").exists(),
        "a suggested command ran the name"
    );
}

/// `data` with the little-endian u16 at every local and central header's `field`
/// offsets set to `value` (the general-purpose flags, the compression method).
fn patch_zip(mut data: Vec<u8>, local: usize, central: usize, value: u16) -> Vec<u8> {
    let mut i = 0;
    while i + 4 <= data.len() {
        let at = match &data[i..i + 4] {
            b"PK\x03\x04" => Some(i + local),
            b"PK\x01\x02" => Some(i + central),
            _ => None,
        };
        if let Some(at) = at {
            data[at..at + 2].copy_from_slice(&value.to_le_bytes());
        }
        i += 1;
    }
    data
}

#[test]
fn content_not_read_in_full_is_incomplete_not_clean() {
    use crate::bundles::{gz, zip_bytes};
    let t = Tree::new();
    let text = b"nothing secret here, just text to compress\n".repeat(100);
    let many: Vec<(String, &[u8])> = (0..5).map(|i| (format!("m{i}.txt"), &b"x"[..])).collect();
    let many: Vec<(&str, &[u8])> = many.iter().map(|(n, d)| (n.as_str(), *d)).collect();
    t.write("in/many.zip", zip_bytes(&many));
    let half = &text[..1900];
    t.write("in/big.zip", zip_bytes(&[("a.txt", half), ("b.txt", half)]));
    // Bit 0 of the flags: encrypted.
    t.write(
        "in/locked.zip",
        patch_zip(zip_bytes(&[("s.txt", &text)]), 6, 8, 1),
    );
    // Method 99 (AES), not supported.
    t.write(
        "in/method.zip",
        patch_zip(zip_bytes(&[("s.txt", &text)]), 8, 10, 99),
    );
    let whole = gz(&text);
    t.write("in/cut.txt.gz", &whole[..whole.len() / 2]);
    t.write("large.txt", vec![b'a'; 4096]);
    assert!(
        std::process::Command::new("mkfifo")
            .arg(t.join("pipe"))
            .status()
            .unwrap()
            .success()
    );
    let args = [
        "dir",
        "in",
        "large.txt",
        "pipe",
        "/dev/null",
        "--max-file-size",
        "2K",
        "--max-archive-members",
        "2",
        "--max-archive-size",
        "3K",
    ];
    let o = t
        .cmd()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let r = json(&o);
    if let Some(check) = tool("check-jsonschema") {
        std::fs::write(t.join("report.json"), &o.stdout).unwrap();
        let v = std::process::Command::new(&check)
            .arg("--schemafile")
            .arg(repo_file("schemas/qrcp-scan-report.schema.json"))
            .arg(t.join("report.json"))
            .output()
            .unwrap();
        assert!(v.status.success(), "{}", stdout(&v));
    }
    let places: Vec<&str> = r["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    for want in [
        "in/many.zip",
        "in/big.zip",
        "in/locked.zip",
        "in/method.zip",
        "in/cut.txt.gz",
        "large.txt",
        "pipe",
        "/dev/null",
    ] {
        assert!(
            places.contains(&want),
            "{want} not in {places:?}\n{}",
            stderr(&o)
        );
    }
    let reasons = r["incomplete"].to_string();
    for flag in [
        "--max-archive-members",
        "--max-archive-size",
        "--max-file-size",
        "FIFO",
        "device",
    ] {
        assert!(reasons.contains(flag), "{flag} not in {reasons}");
    }
    // SARIF: the run did not succeed, one notification per place.
    let o = t
        .cmd()
        .args(args)
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    let s = json(&o);
    if let Some(tool) = crate::ci::multitool() {
        std::fs::write(t.join("report.sarif"), &o.stdout).unwrap();
        let problems = crate::ci::sarif_problems(&tool, &t.join("report.sarif"), &t);
        assert!(problems.is_empty(), "{problems:?}");
    }
    let inv = &s["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    assert_eq!(
        inv["toolExecutionNotifications"].as_array().unwrap().len(),
        places.len()
    );
    // Human: the summary says so.
    let o = t.cmd().args(args).output().unwrap();
    assert_eq!(code(&o), 2);
    assert!(
        stdout(&o).contains("INCOMPLETE: 8 places not read in full"),
        "{}",
        stdout(&o)
    );
    // A finding still makes it 1; raised limits make it clean.
    let key = live_key();
    t.write("in/k.js", format!("k = '{key}'\n"));
    let o = t.cmd().args(args).output().unwrap();
    assert_eq!(code(&o), 1);
    std::fs::remove_file(t.join("in/k.js")).unwrap();
    for f in ["in/locked.zip", "in/method.zip", "in/cut.txt.gz"] {
        std::fs::remove_file(t.join(f)).unwrap();
    }
    let o = t
        .cmd()
        .args([
            "dir",
            "in",
            "large.txt",
            "--max-file-size",
            "1M",
            "--format",
            "sarif",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        json(&o)["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
}

#[test]
fn missing_objects_and_partial_clones_are_incomplete() {
    let r = Repo::init();
    r.write("a.txt", "one\n");
    r.commit("one");
    r.write("b.txt", "two\n");
    r.commit("two");
    let o = r.scan(&["git", "."]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // A blobless partial clone: the blobs are on the promisor remote.
    r.git(&["config", "uploadpack.allowfilter", "true"]);
    let url = format!("file://{}", r.dir.display());
    let clone = r.dir.join("../blobless");
    r.git(&[
        "clone",
        "-q",
        "--no-checkout",
        "--filter=blob:none",
        &url,
        clone.to_str().unwrap(),
    ]);
    let c = r.at(clone);
    let o = c.scan(&["git", ".", "--format", "json"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let inc = json(&o)["incomplete"].to_string();
    assert!(
        inc.contains("partial clone") && inc.contains("git fetch --refetch origin"),
        "{inc}"
    );
    // The suggested fetch makes the clone whole.
    c.git(&["config", "--unset", "remote.origin.partialclonefilter"]);
    c.git(&["fetch", "-q", "--refetch", "origin"]);
    let o = c.scan(&["git", "."]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // A blob gone from an ordinary repository.
    let blob = r.git(&["rev-parse", "HEAD:b.txt"]);
    std::fs::remove_file(
        r.dir
            .join(format!(".git/objects/{}/{}", &blob[..2], &blob[2..])),
    )
    .unwrap();
    let o = r.scan(&["git", ".", "--format", "json"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let inc = json(&o)["incomplete"].to_string();
    assert!(
        inc.contains(&format!("blob {blob} (b.txt in commit")),
        "{inc}"
    );
}

#[test]
fn a_huge_sparse_file_is_mapped_not_read_into_memory() {
    // 100 MB of holes (no disk used) with a key at the very end, over the size at
    // which files are mapped (64 MiB); `--max-file-size` raised to let it in.
    let t = Tree::new();
    let key = live_key();
    let len: u64 = 100 << 20;
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::File::create(t.join("huge.bin")).unwrap();
        f.set_len(len).unwrap();
        f.seek(SeekFrom::Start(len - 64)).unwrap();
        f.write_all(format!("k = \"{key}\"\n").as_bytes()).unwrap();
    }
    let o = t.run(&["dir", "huge.bin", "--format", "json"]);
    assert_eq!(code(&o), 2, "over the default limit, named: incomplete");
    let o = t.run(&[
        "dir",
        "huge.bin",
        "--max-file-size",
        "1G",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(
        found(&r),
        vec![("qrcp-live-key".into(), "huge.bin".into(), Some(1))]
    );
    assert_secret_absent(&o, &key);
}
