//! Nothing unread is reported as clean (issue 11): folders nested deeper than the
//! path length allows, FIFOs and sockets inside walked folders, missing trees, and
//! the exit status of every command when requested content was not read.

use std::path::Path;

use serde_json::Value;

use crate::git::Repo;
use crate::util::*;

fn incomplete_paths(r: &Value) -> Vec<String> {
    r["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap().to_string())
        .collect()
}

/// `levels` folders of 20-character names under `root`, created relative to the
/// open folder (the path itself is too long for the system), with a key in a
/// file at the bottom.
fn deep_tree(root: &Path, levels: usize, key: &str) {
    let script = format!(
        r#"
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
for _ in range({levels}):
    os.mkdir("d" * 20, dir_fd=fd)
    nfd = os.open("d" * 20, os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nfd
f = os.open("app.js", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
os.write(f, b'k = "{key}";\n')
os.close(f)
"#
    );
    let python = tool("python3").expect("python3 builds the deep tree");
    let o = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(root)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Removes a folder nested deeper than PATH_MAX (`rm -rf` walks it relative).
fn remove_deep(root: &Path) {
    let _ = std::process::Command::new("rm")
        .arg("-rf")
        .arg(root)
        .status();
}

#[test]
fn a_folder_deeper_than_path_max_is_incomplete_not_clean() {
    let t = Tree::new();
    t.write("top.txt", "nothing here\n");
    let key = live_key();
    // 300 levels of 21 bytes: 6,300 bytes of path, past Linux's 4,096.
    std::fs::create_dir(t.join("deep")).unwrap();
    deep_tree(&t.join("deep"), 300, &key);
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let r = json(&o);
    let places = incomplete_paths(&r);
    assert_eq!(places.len(), 1, "{r:#}");
    assert!(
        places[0].starts_with("deep/dddddddddddddddddddd/") && places[0].contains("folders)…"),
        "{places:?}"
    );
    let reason = r["incomplete"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("longer than the system allows"), "{reason}");
    // One line on standard error, not thousands of bytes of path.
    let err = stderr(&o);
    let line = err.lines().find(|l| l.contains("incomplete:")).unwrap();
    assert!(line.len() < 400, "{line}");
    // The human summary says it too.
    let o = t.run(&["dir", ".", "--color", "never"]);
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).contains("INCOMPLETE: 1 place"), "{}", stdout(&o));
    remove_deep(&t.join("deep"));
}

#[test]
fn fifos_and_sockets_inside_a_folder_are_skipped_with_a_note() {
    let t = Tree::new();
    t.write("a.txt", "nothing\n");
    let fifo = t.join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let _sock = std::os::unix::net::UnixListener::bind(t.join("sock")).unwrap();
    // A reader of the FIFO would block forever: the scan ends (the harness
    // would hang otherwise) and says what it skipped.
    let o = t.run(&["dir", ".", "--color", "never"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let err = stderr(&o);
    for want in [
        "qrcp-scan: note: pipe: skipped: a FIFO (named pipe) is never read inside a folder",
        "qrcp-scan: note: sock: skipped: a socket is never read inside a folder",
    ] {
        assert!(err.lines().any(|l| l == want), "{want}\n{err}");
    }
    // Named on the command line it was asked for: incomplete, exit 2.
    let o = t.run(&["dir", "pipe"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}

/// A repository whose commit names a folder (tree) that the object database
/// lacks: the loose tree object is deleted.
fn repo_without_a_tree() -> Repo {
    let r = Repo::init();
    r.write("sub/a.txt", "nothing\n");
    r.write("top.txt", "top\n");
    r.commit("one");
    let tree = r.git(&["rev-parse", "HEAD:sub"]);
    let tree = tree.trim();
    let object = r.dir.join(".git/objects").join(&tree[..2]).join(&tree[2..]);
    std::fs::remove_file(&object).unwrap();
    r
}

#[test]
fn a_missing_tree_is_incomplete_and_says_how_to_fetch_it() {
    let r = repo_without_a_tree();
    let tree = r.git(&["rev-parse", "HEAD^{tree}"]);
    assert!(!tree.is_empty());
    let o = r.scan(&["git", ".", "--format", "json"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let j = json(&o);
    let inc = j["incomplete"].as_array().unwrap();
    assert_eq!(inc.len(), 1, "{j:#}");
    let path = inc[0]["path"].as_str().unwrap();
    assert!(
        path.contains(": tree ") && path.contains("(sub in commit "),
        "{path}"
    );
    let reason = inc[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("git fsck --connectivity-only") && reason.contains("clone that has it"),
        "{reason}"
    );
    // With a remote, the command that fetches it names the remote.
    r.git(&["remote", "add", "origin", "https://example.invalid/r.git"]);
    let o = r.scan(&["git", ".", "--format", "json"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let reason = json(&o)["incomplete"][0]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("`git fetch --refetch origin`"), "{reason}");
}

#[test]
fn every_command_that_skipped_requested_content_exits_2() {
    let r = repo_without_a_tree();
    // git, audit, baseline create: the missing tree.
    for args in [
        &["git", "."][..],
        &["audit", "."],
        &["baseline", "create", "git", "."],
    ] {
        let o = r.scan(args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("incomplete:"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    // dir: an archive over its member cap (the baseline of it too).
    let t = Tree::new();
    {
        let f = std::fs::File::create(t.join("many.zip")).unwrap();
        let mut z = zip::ZipWriter::new(f);
        for i in 0..5 {
            z.start_file(
                format!("m{i}.txt"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            std::io::Write::write_all(&mut z, b"nothing\n").unwrap();
        }
        z.finish().unwrap();
    }
    for args in [
        &["dir", ".", "--max-archive-members", "2"][..],
        &[
            "baseline",
            "create",
            "dir",
            ".",
            "--max-archive-members",
            "2",
        ],
    ] {
        let o = t.run(args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
    }
    // stdin: over --max-file-size.
    let o = t
        .cmd()
        .args(["stdin", "--max-file-size", "1K"])
        .write_stdin(vec![b'a'; 4096])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    // staged: a staged blob missing from the object database.
    let s = Repo::init();
    s.write("a.txt", "a\n");
    s.commit("one");
    s.write("b.txt", "nothing\n");
    s.git(&["add", "b.txt"]);
    let blob = s.git(&["rev-parse", ":b.txt"]);
    let blob = blob.trim();
    std::fs::remove_file(s.dir.join(".git/objects").join(&blob[..2]).join(&blob[2..])).unwrap();
    let o = s.scan(&["staged", "."]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}

#[test]
fn org_scan_and_merge_carry_unread_content_through() {
    let t = Tree::new();
    let r = repo_without_a_tree();
    let clean = Repo::init();
    clean.write("a.txt", "nothing\n");
    clean.commit("one");
    let nowhere = t.join("no-such-repository");
    t.write(
        "repos.txt",
        format!(
            "{}\n{}\n{}\n",
            r.dir.display(),
            clean.dir.display(),
            nowhere.display()
        ),
    );
    let out = t.join("shard.jsonl");
    let o = t
        .cmd()
        .args(["org", "scan", "--repos", "repos.txt", "--cache", "cache"])
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let lines: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let repo_line = |dir: &Path| {
        lines
            .iter()
            .find(|l| l["type"] == "repository" && l["repository"] == dir.display().to_string())
            .unwrap()
            .clone()
    };
    let broken = repo_line(&r.dir);
    let inc = broken["incomplete"].as_array().unwrap();
    assert_eq!(inc.len(), 1, "{broken:#}");
    assert!(
        inc[0]["path"].as_str().unwrap().contains(": tree "),
        "{broken:#}"
    );
    assert!(repo_line(&clean.dir).get("incomplete").is_none());
    // The repository that could not be read: a failure line.
    assert!(
        lines
            .iter()
            .any(|l| l["type"] == "failure" && l["repository"] == nowhere.display().to_string()),
        "{lines:#?}"
    );

    // The clean repository alone exits 0 (so the check above can fail).
    t.write("clean.txt", format!("{}\n", clean.dir.display()));
    let o = t
        .cmd()
        .args(["org", "scan", "--repos", "clean.txt", "--cache", "cache"])
        .args(["--output", "clean.jsonl"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    // Merged: exit 2, the place listed in JSON, human and SARIF.
    let merge = |format: &str| {
        t.cmd()
            .args(["org", "merge"])
            .arg(&out)
            .args(["--cache", "cache", "--format", format])
            .output()
            .unwrap()
    };
    let o = merge("json");
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let j = json(&o);
    assert_eq!(j["stats"]["incomplete"], 1, "{j:#}");
    let o = merge("human");
    assert_eq!(code(&o), 2);
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.starts_with("incomplete: ") && l.contains(": tree ")),
        "{}",
        stdout(&o)
    );
    let o = merge("sarif");
    assert_eq!(code(&o), 2);
    let sarif = json(&o);
    let run = &sarif["runs"][0]["invocations"][0];
    assert_eq!(run["executionSuccessful"], false, "{run:#}");
    let o = t
        .cmd()
        .args(["org", "merge", "clean.jsonl", "--cache", "cache"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

/// A file holding more matches than one file reports (10,000) keeps the first
/// ones, says how many more there were, and is reported incomplete: a file of one
/// assignment repeated a million times must not hold a million findings in memory.
#[test]
fn a_file_past_the_match_limit_is_incomplete_with_the_count() {
    let t = Tree::new();
    let (listed, more) = (10_000, 37);
    t.write(
        ".env.production",
        "NEXT_PUBLIC_QRCP_KEY=x\n".repeat(listed + more),
    );
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    let variables = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "client-exposed-env")
        .count();
    assert_eq!(variables, listed);
    assert_eq!(incomplete_paths(&r), [".env.production"], "{r:#}");
    let reason = r["incomplete"][0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!("{more} more matches not listed")),
        "{reason}"
    );
}
