//! `qrcp-scan git`: whole histories, unreachable objects, ranges and odd
//! repositories, built with the git CLI and checked with exact commit ids.

use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;

use crate::util::*;

/// A repository built with the real git CLI, isolated from the user's and the
/// system's configuration, with one author and increasing commit dates.
pub struct Repo {
    _tmp: Tree,
    pub dir: PathBuf,
    tick: std::cell::Cell<u64>,
}

impl Repo {
    pub fn init() -> Repo {
        let tree = Tree::new();
        let dir = tree.join("repo");
        std::fs::create_dir_all(&dir).unwrap();
        let r = Repo {
            _tmp: tree,
            dir,
            tick: std::cell::Cell::new(0),
        };
        r.git(&["init", "-q", "-b", "main"]);
        r
    }

    /// A repository object for an existing folder (a clone, a worktree).
    pub fn at(&self, dir: PathBuf) -> Repo {
        Repo {
            _tmp: Tree::new(),
            dir,
            tick: std::cell::Cell::new(self.tick.get()),
        }
    }

    pub fn cmd(&self) -> std::process::Command {
        let t = 1_700_000_000 + self.tick.get() * 3600;
        self.tick.set(self.tick.get() + 1);
        let mut c = std::process::Command::new("git");
        c.current_dir(&self.dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Ana Author")
            .env("GIT_AUTHOR_EMAIL", "ana@example.com")
            .env("GIT_COMMITTER_NAME", "Carl Committer")
            .env("GIT_COMMITTER_EMAIL", "carl@example.com")
            .env("GIT_AUTHOR_DATE", format!("{t} +0200"))
            .env("GIT_COMMITTER_DATE", format!("{t} +0200"));
        c
    }

    /// Runs git and returns its trimmed standard output; fails the test on error.
    pub fn git(&self, args: &[&str]) -> String {
        let o = self.cmd().args(args).output().unwrap();
        assert!(
            o.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    pub fn write(&self, rel: &str, content: &str) {
        let p = self.dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    /// Stages everything and commits; returns the new commit's id.
    pub fn commit(&self, msg: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    /// `qrcp-scan <args…>` run in the repository.
    pub fn scan(&self, args: &[&str]) -> Output {
        qrcp().current_dir(&self.dir).args(args).output().unwrap()
    }

    /// The author date of a commit as git prints it (strict ISO 8601).
    pub fn date(&self, commit: &str) -> String {
        self.git(&["log", "-1", "--format=%aI", commit])
    }
}

/// `files` (`(path, text)`, the paths under one folder) scanned as a folder
/// (`dir --format json`), staged and in history ([`staged_then_history`]): each
/// scan finds (exits 1) and `check` is given its report and name (`dir`,
/// `staged`, `git`); no key of `keys` is in any of their outputs.
pub fn everywhere(files: &[(String, String)], keys: &[&String], check: impl Fn(&Value, &str)) {
    let t = Tree::new();
    for (file, text) in files {
        t.write(file, text);
    }
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    check(&json(&o), "dir");
    let (folder, _) = files[0].0.split_once('/').expect("files under a folder");
    let inside: Vec<_> = files
        .iter()
        .map(|(f, c)| {
            let rel = f.strip_prefix(folder).and_then(|r| r.strip_prefix('/'));
            (rel.expect("one folder").to_string(), c.clone().into_bytes())
        })
        .collect();
    let (staged, hist) = staged_then_history(&inside, folder, check);
    assert_keys_absent(&[&o, &staged, &hist], keys);
}

/// `files` staged under `folder` of a repository with one commit: its
/// `staged --format json` scan; then the same files committed and removed
/// again, and the `git --format json` scan of that history. Each finds (exits
/// 1), and `check` is given its report and the scan's name (`staged`, `git`).
pub fn staged_then_history(
    files: &[(String, Vec<u8>)],
    folder: &str,
    check: impl Fn(&Value, &str),
) -> (Output, Output) {
    let r = Repo::init();
    r.write("README.md", "hello\n");
    r.commit("init");
    for (name, bytes) in files {
        let p = r.dir.join(folder).join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    r.git(&["add", "-A"]);
    let staged = r.scan(&["staged", "--format", "json"]);
    r.commit(&format!("add {folder}"));
    r.git(&["rm", "-r", "-q", folder]);
    r.commit(&format!("remove {folder}"));
    let hist = r.scan(&["git", "--format", "json"]);
    for (o, what) in [(&staged, "staged"), (&hist, "git")] {
        assert_eq!(code(o), 1, "{what}: {}", stderr(o));
        check(&json(o), what);
    }
    (staged, hist)
}

/// (rule, path, line, source, commit) of a finding.
type Row = (String, Option<String>, Option<u64>, String, Option<String>);

/// The findings of a JSON report as rows, sorted.
fn placed(report: &Value) -> Vec<Row> {
    let mut v: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().map(str::to_string),
                f["line"].as_u64(),
                f["source"].as_str().unwrap().to_string(),
                f["commit"].as_str().map(str::to_string),
            )
        })
        .collect();
    v.sort();
    v
}

fn row(
    rule: &str,
    path: Option<&str>,
    line: Option<u64>,
    source: &str,
    commit: Option<&str>,
) -> Row {
    (
        rule.to_string(),
        path.map(str::to_string),
        line,
        source.to_string(),
        commit.map(str::to_string),
    )
}

fn scan_json(r: &Repo, extra: &[&str]) -> (Output, Value) {
    let mut args = vec!["git", "--format", "json"];
    args.extend_from_slice(extra);
    let o = r.scan(&args);
    let v = json(&o);
    (o, v)
}

fn assert_all_absent(o: &Output, keys: &[&String]) {
    for k in keys {
        assert_secret_absent(o, k);
    }
}

#[test]
fn history_attributes_each_key_to_the_commit_that_introduced_it() {
    let r = Repo::init();
    let (deleted, side, tag_key, msg_key, kept) =
        (live_key(), live_key(), test_key(), live_key(), live_key());
    r.write("README.md", "hello\n");
    let c1 = r.commit("init");
    r.write(
        "src/config.js",
        &format!("// config\nconst k = \"{deleted}\";\n"),
    );
    let c2 = r.commit("add config");
    std::fs::remove_file(r.dir.join("src/config.js")).unwrap();
    r.write(".env.production", "PORT=1\n");
    let c3 = r.commit("remove the key, add a dotenv file");
    // The same key at the same path in many commits is one finding.
    r.write("app.py", &format!("KEY = '{kept}'\n"));
    let c4 = r.commit("app");
    for i in 0..3 {
        r.write("app.py", &format!("KEY = '{kept}'\n# edit {i}\n"));
        r.commit(&format!("edit {i}"));
    }
    std::fs::remove_file(r.dir.join(".env.production")).unwrap();
    let c_msg = r.commit(&format!("rotate\n\nold key was {msg_key}\n"));
    r.git(&["tag", "-a", "v1", "-m", &format!("release\n{tag_key}")]);
    let tag = r.git(&["rev-parse", "v1"]);
    r.git(&["checkout", "-q", "-b", "side"]);
    r.write("side/deploy.sh", &format!("export TOKEN={side}\n"));
    let c_side = r.commit("side work");
    r.git(&["checkout", "-q", "main"]);

    let (o, v) = scan_json(&r, &[]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        placed(&v),
        vec![
            row(
                "dotenv-file",
                Some(".env.production"),
                None,
                "git",
                Some(&c3)
            ),
            row("qrcp-live-key", None, Some(3), "git", Some(&c_msg)),
            row("qrcp-live-key", Some("app.py"), Some(1), "git", Some(&c4)),
            row(
                "qrcp-live-key",
                Some("side/deploy.sh"),
                Some(1),
                "git",
                Some(&c_side)
            ),
            row(
                "qrcp-live-key",
                Some("src/config.js"),
                Some(2),
                "git",
                Some(&c2)
            ),
            row("qrcp-test-key", None, Some(2), "git", Some(&tag)),
        ]
    );
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "src/config.js")
        .unwrap();
    assert_eq!(f["author"], "Ana Author");
    assert_eq!(f["email"], "ana@example.com");
    assert_eq!(f["date"], r.date(&c2).as_str());
    assert_eq!(v["stats"]["commits"], 9);
    assert_ne!(c1, c2);
    assert_all_absent(&o, &[&deleted, &side, &tag_key, &msg_key, &kept]);

    // Human output: where and when it first leaked, redacted.
    let o = r.scan(&["git"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    let day = &r.date(&c2)[..10];
    assert!(
        out.contains(&format!("first seen in {} ({day}, Ana Author)", &c2[..7])),
        "{out}"
    );
    assert!(
        out.contains(&format!("message of {}", &c_msg[..7])),
        "{out}"
    );
    assert!(out.contains("annotated tag `v1`"), "{out}");
    assert_all_absent(&o, &[&deleted, &side, &tag_key, &msg_key, &kept]);
}

#[test]
fn amended_away_commits_and_dangling_blobs_are_unreachable() {
    let r = Repo::init();
    let (amended, dangling, kept) = (live_key(), live_key(), live_key());
    r.write("a.txt", "clean\n");
    r.commit("init");
    r.write("b.js", &format!("x = \"{amended}\"\n"));
    let gone = r.commit("oops");
    r.write("b.js", "x = process.env.KEY\n");
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "--amend", "-m", "fixed"]);
    assert_ne!(r.head(), gone);
    // A blob that was written but never committed (e.g. staged, then unstaged).
    r.write("tmp.txt", &format!("{dangling}\n"));
    let blob = r.git(&["hash-object", "-w", "tmp.txt"]);
    std::fs::remove_file(r.dir.join("tmp.txt")).unwrap();
    r.write("c.txt", &format!("{kept}\n"));
    let c_kept = r.commit("kept");

    let (o, v) = scan_json(&r, &[]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        placed(&v),
        vec![
            row("qrcp-live-key", None, Some(1), "git-unreachable", None),
            row(
                "qrcp-live-key",
                Some("b.js"),
                Some(1),
                "git-unreachable",
                None
            ),
            row(
                "qrcp-live-key",
                Some("c.txt"),
                Some(1),
                "git",
                Some(&c_kept)
            ),
        ]
    );
    // People are told which commit or blob to look at.
    let o = r.scan(&["git"]);
    let out = stdout(&o);
    assert!(out.contains(&format!("in commit {gone}")), "{out}");
    assert!(out.contains(&format!("in blob {blob}")), "{out}");
    assert_all_absent(&o, &[&amended, &dangling, &kept]);
}

/// main: c1 (key in lib.js) - c2; feature: c3 (touches lib.js), c4 (new key).
fn ranged_repo() -> (Repo, [String; 4], [String; 2]) {
    let r = Repo::init();
    let (old, new) = (live_key(), test_key());
    r.write("lib.js", &format!("const a = 1;\nconst k = \"{old}\";\n"));
    let c1 = r.commit("lib");
    r.write("other.txt", "x\n");
    let c2 = r.commit("other");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("lib.js", &format!("const a = 2;\nconst k = \"{old}\";\n"));
    let c3 = r.commit("touch lib");
    r.write("new.js", &format!("k = \"{new}\"\n"));
    let c4 = r.commit("new key");
    (r, [c1, c2, c3, c4], [old, new])
}

#[test]
fn since_range_and_branch_scan_the_files_those_commits_touch() {
    let (r, [c1, c2, c3, c4], [old, new]) = ranged_repo();

    // --since main: the feature's commits; lib.js is scanned whole because c3
    // touches it, so the old key in it is found, attributed to c3.
    let (o, v) = scan_json(&r, &["--since", "main"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        placed(&v),
        vec![
            row("qrcp-live-key", Some("lib.js"), Some(2), "git", Some(&c3)),
            row("qrcp-test-key", Some("new.js"), Some(1), "git", Some(&c4)),
        ]
    );
    assert_eq!(v["stats"]["commits"], 2);
    assert_all_absent(&o, &[&old, &new]);

    let (o, v) = scan_json(&r, &["--range", &format!("{c3}..{c4}")]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        placed(&v),
        vec![row(
            "qrcp-test-key",
            Some("new.js"),
            Some(1),
            "git",
            Some(&c4)
        )]
    );

    let (o, v) = scan_json(&r, &["--range", &format!("{c1}..{c2}")]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(placed(&v).is_empty());

    let (o, v) = scan_json(&r, &["--branch", "main"]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        placed(&v),
        vec![row(
            "qrcp-live-key",
            Some("lib.js"),
            Some(2),
            "git",
            Some(&c1)
        )]
    );

    let o = r.scan(&["git", "--range", "nope..main"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("--range") && err.contains("nope"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn shallow_clone_is_scanned_within_its_history() {
    let (r, _, [old, new]) = ranged_repo();
    let url = format!("file://{}", r.dir.display());
    r.git(&[
        "clone",
        "-q",
        "--depth",
        "1",
        "--branch",
        "feature",
        &url,
        "../shallow",
    ]);
    let s = r.at(r.dir.join("../shallow"));
    let tip = s.head();
    let (o, v) = scan_json(&s, &[]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        placed(&v),
        vec![
            row("qrcp-live-key", Some("lib.js"), Some(2), "git", Some(&tip)),
            row("qrcp-test-key", Some("new.js"), Some(1), "git", Some(&tip)),
        ]
    );
    assert!(stderr(&o).contains("shallow clone"), "{}", stderr(&o));
    assert_all_absent(&o, &[&old, &new]);
}

#[test]
fn empty_repository_is_clean_with_a_message() {
    let r = Repo::init();
    let o = r.scan(&["git"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("no commits"), "{}", stderr(&o));
    let o = r.scan(&["git", "--since", "HEAD"]);
    assert_eq!(code(&o), 2);
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
}

#[test]
fn not_a_repository_is_one_line_error() {
    let t = Tree::new();
    t.write("plain/a.txt", "x");
    let o = t.run(&["git", "plain"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("plain: not a git repository"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn bare_repositories_and_worktrees_are_scanned() {
    let (r, [c1, _, c3, c4], [old, new]) = ranged_repo();
    let expected = vec![
        row("qrcp-live-key", Some("lib.js"), Some(2), "git", Some(&c1)),
        row("qrcp-test-key", Some("new.js"), Some(1), "git", Some(&c4)),
    ];
    let url = format!("file://{}", r.dir.display());
    r.git(&["clone", "-q", "--bare", &url, "../bare.git"]);
    let bare = r.dir.join("../bare.git");
    let o = qrcp()
        .args(["git", "--format", "json"])
        .arg(&bare)
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(placed(&json(&o)), expected);
    assert_all_absent(&o, &[&old, &new]);

    r.git(&["worktree", "add", "-q", "../wt", &c3]);
    let wt = r.dir.join("../wt");
    let o = qrcp()
        .current_dir(wt.join("."))
        .args(["git", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(placed(&json(&o)), expected);
    let o = qrcp()
        .current_dir(&wt)
        .args(["git", "--format", "json", "--since", "main"])
        .output()
        .unwrap();
    assert_eq!(
        placed(&json(&o)),
        vec![row(
            "qrcp-live-key",
            Some("lib.js"),
            Some(2),
            "git",
            Some(&c3)
        )]
    );
}

#[test]
fn submodules_are_skipped_not_errors() {
    let sub = Repo::init();
    sub.write("lib.txt", "library\n");
    sub.commit("lib");
    let r = Repo::init();
    let key = live_key();
    r.write("main.txt", &format!("{key}\n"));
    r.commit("main");
    let url = format!("file://{}", sub.dir.display());
    r.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        &url,
        "vendor/lib",
    ]);
    let c = r.commit("add submodule");
    for args in [&[][..], &["--branch", "main"][..]] {
        let (o, v) = scan_json(&r, args);
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        assert_eq!(stderr(&o), "", "{args:?}");
        assert_eq!(
            found(&v),
            vec![("qrcp-live-key".into(), "main.txt".into(), Some(1))]
        );
        assert_secret_absent(&o, &key);
    }
    assert_eq!(r.head(), c);
}

/// Overwrites a loose object with garbage.
fn corrupt(r: &Repo, id: &str) {
    let p: PathBuf = r.dir.join(".git/objects").join(&id[..2]).join(&id[2..]);
    let mut perm = std::fs::metadata(&p).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    std::fs::set_permissions(&p, perm).unwrap();
    std::fs::write(&p, b"this is not a zlib stream").unwrap();
}

#[test]
fn a_corrupt_object_is_reported_and_the_rest_still_scanned() {
    let r = Repo::init();
    let (lost, kept) = (live_key(), live_key());
    r.write("lost.txt", &format!("{lost}\n"));
    r.write("kept.txt", &format!("{kept}\n"));
    let c = r.commit("two keys");
    let blob = r.git(&["rev-parse", "HEAD:lost.txt"]);
    corrupt(&r, &blob);
    let (o, v) = scan_json(&r, &[]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        placed(&v),
        vec![row(
            "qrcp-live-key",
            Some("kept.txt"),
            Some(1),
            "git",
            Some(&c)
        )]
    );
    let err = stderr(&o);
    assert!(err.contains(&format!("object {blob}")), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_all_absent(&o, &[&lost, &kept]);

    // Without any finding, the error decides the status.
    let r = Repo::init();
    r.write("a.txt", "clean\n");
    r.commit("clean");
    let blob = r.git(&["rev-parse", "HEAD:a.txt"]);
    corrupt(&r, &blob);
    let o = r.scan(&["git"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}

#[test]
fn allowlisted_paths_and_max_file_size_apply_to_history() {
    let r = Repo::init();
    let (a, b) = (live_key(), live_key());
    r.write(".qrcp-scan.toml", "[allowlist]\npaths = [\"fixtures/\"]\n");
    r.write("fixtures/k.txt", &format!("{a}\n"));
    r.write("big.txt", &format!("{b}\n{}\n", "x".repeat(4096)));
    r.commit("fixtures");
    let o = r.scan(&["git", "--max-file-size", "1K"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("skipped 1 blob larger than --max-file-size"));
    let (o, v) = scan_json(&r, &[]);
    assert_eq!(
        found(&v),
        vec![("qrcp-live-key".into(), "big.txt".into(), Some(1))]
    );
    assert_all_absent(&o, &[&a, &b]);
}

/// Serial and parallel runs report the same.
#[test]
fn thread_count_does_not_change_the_report() {
    let (r, _, _) = ranged_repo();
    let one = placed(&scan_json(&r, &["--threads", "1"]).1);
    let two = placed(&scan_json(&r, &["--threads", "2"]).1);
    assert_eq!(one, two);
    assert_eq!(one.len(), 2);
}

/// A linear history of `n` commits written with `git fast-import`: commit `k`
/// (from 0) appends a line to `src/f{k % 10}.txt` (so packs hold delta chains)
/// and applies `changes(k)`: `(path, Some(content))` writes, `(path, None)`
/// deletes. Returns the commit ids in order.
fn long_history(
    r: &Repo,
    n: usize,
    changes: impl Fn(usize) -> Vec<(String, Option<String>)>,
    message: impl Fn(usize) -> String,
) -> Vec<String> {
    use std::io::Write as _;
    let mut s = String::new();
    let mut files = vec![String::new(); 10];
    for k in 0..n {
        let t = 1_700_000_000 + k * 60;
        let msg = message(k);
        s += &format!(
            "commit refs/heads/main\nmark :{}\nauthor Ana Author <ana@example.com> {t} +0200\ncommitter Carl Committer <carl@example.com> {t} +0200\ndata {}\n{msg}\n",
            k + 1,
            msg.len()
        );
        if k > 0 {
            s += &format!("from :{k}\n");
        }
        files[k % 10] += &format!("line {k} of a file that changes a little each time\n");
        let f = &files[k % 10];
        s += &format!(
            "M 100644 inline src/f{}.txt\ndata {}\n{f}\n",
            k % 10,
            f.len()
        );
        for (path, content) in changes(k) {
            match content {
                Some(c) => s += &format!("M 100644 inline {path}\ndata {}\n{c}\n", c.len()),
                None => s += &format!("D {path}\n"),
            }
        }
    }
    let mut child = r
        .cmd()
        .args(["fast-import", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    r.git(&["rev-list", "--reverse", "main"])
        .lines()
        .map(str::to_string)
        .collect()
}

/// The tree walk runs over stretches of history in parallel and the first phase
/// learns object types from the packs: neither may change which commit a finding is
/// attributed to, whatever the thread count, for loose objects, offset deltas and
/// reference deltas alike.
#[test]
fn long_histories_attribute_the_same_whatever_the_threads_and_packing() {
    let r = Repo::init();
    let (a, b, c, m) = (live_key(), live_key(), test_key(), live_key());
    let ids = long_history(
        &r,
        1200,
        |k| {
            let key = |key: &str| Some(format!("{key}\n"));
            match k {
                100 => vec![("x.txt".into(), key(&c))],
                300 => vec![("a/key.txt".into(), key(&a))],
                650 => vec![("config/.env".into(), Some("PORT=1\n".into()))],
                700 => vec![("a/key.txt".into(), None), ("config/.env".into(), None)],
                800 => vec![("y.txt".into(), key(&c))],
                900 => vec![("a/key.txt".into(), key(&a))],
                1000 => vec![("b/late.txt".into(), key(&b))],
                1100 => vec![("config/.env".into(), Some("PORT=2\n".into()))],
                _ => vec![],
            }
        },
        |k| match k {
            1150 => format!("deploy with {m}"),
            _ => format!("change {k}"),
        },
    );
    assert_eq!(ids.len(), 1200);
    let at = |k: usize| Some(ids[k].as_str());
    let expected = vec![
        row("dotenv-file", Some("config/.env"), None, "git", at(650)),
        row("qrcp-live-key", None, Some(1), "git", at(1150)),
        row("qrcp-live-key", Some("a/key.txt"), Some(1), "git", at(300)),
        row(
            "qrcp-live-key",
            Some("b/late.txt"),
            Some(1),
            "git",
            at(1000),
        ),
        row("qrcp-test-key", Some("x.txt"), Some(1), "git", at(100)),
        row("qrcp-test-key", Some("y.txt"), Some(1), "git", at(800)),
    ];
    let check = |what: &str| {
        for threads in ["1", "2", "3"] {
            let (o, v) = scan_json(&r, &["--threads", threads]);
            assert_eq!(code(&o), 1, "{what}: {}", stderr(&o));
            assert_eq!(stderr(&o), "", "{what}");
            assert_eq!(placed(&v), expected, "{what}, {threads} threads");
            assert_eq!(v["stats"]["commits"], 1200, "{what}");
            assert_all_absent(&o, &[&a, &b, &c, &m]);
        }
    };
    check("loose objects");
    r.git(&[
        "repack",
        "-a",
        "-d",
        "-f",
        "-q",
        "--depth=50",
        "--window=50",
    ]);
    assert!(r.git(&["count-objects", "-v"]).contains("count: 0"));
    check("offset deltas");
    r.git(&[
        "-c",
        "repack.useDeltaBaseOffset=false",
        "repack",
        "-a",
        "-d",
        "-f",
        "-q",
    ]);
    check("reference deltas");
}

#[test]
fn a_staged_blob_is_reported_as_staged_at_its_index_path() {
    let r = Repo::init();
    let staged = live_key();
    r.write("a.txt", "clean\n");
    r.commit("init");
    r.write("src/new.js", &format!("const k = \"{staged}\";\n"));
    r.git(&["add", "src/new.js"]);

    let (o, v) = scan_json(&r, &[]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        placed(&v),
        vec![row(
            "qrcp-live-key",
            Some("src/new.js"),
            Some(1),
            "git-staged",
            None
        )]
    );
    let o = r.scan(&["git"]);
    let out = stdout(&o);
    assert!(out.contains("src/new.js:1:"), "{out}");
    assert!(
        out.contains("staged in the index, not committed yet"),
        "{out}"
    );
    assert!(
        !out.contains("<unknown>") && !out.contains("dangling"),
        "{out}"
    );
    // SARIF names the file, not a message.
    let o = r.scan(&["git", "--format", "sarif"]);
    let sarif = stdout(&o);
    assert!(sarif.contains("src/new.js"), "{sarif}");
    assert!(!sarif.contains("message of"), "{sarif}");
    assert_all_absent(&o, &[&staged]);
    // audit: the same place, and the key's status says staged.
    let o = r.scan(&["audit", "--format", "json"]);
    let v = json(&o);
    let g = &v["keys"][0];
    assert_eq!(g["status"], "staged", "{v:#}");
    assert_eq!(g["locations"][0]["source"], "git-staged");
    assert_eq!(g["locations"][0]["path"], "src/new.js");
    let o = r.scan(&["audit", "--html", "a.html"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let html = std::fs::read_to_string(r.dir.join("a.html")).unwrap();
    assert!(
        html.contains("<code>src/new.js:1:"),
        "the HTML location is the index path"
    );
    assert!(html.contains("<span class=\"badge\">staged</span>"));
    assert_text_lacks(&html, &staged);
    assert_all_absent(&o, &[&staged]);
}

#[test]
fn git_refuses_a_file() {
    let r = Repo::init();
    r.write("a.txt", "clean\n");
    r.commit("init");
    let o = r.scan(&["git", "a.txt"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("a.txt: is a file, not a repository"), "{err}");
    assert!(!stdout(&o).contains("no findings"), "{}", stdout(&o));
}

#[test]
fn since_takes_a_revision_or_a_date() {
    let r = Repo::init();
    let (old, new) = (live_key(), live_key());
    // Commits of 2023-11-14 and 2023-11-15 (the Repo's clock), then today's.
    r.write("old.js", &format!("k = \"{old}\"\n"));
    let c_old = r.commit("old");
    r.write("new.js", &format!("k = \"{new}\"\n"));
    let o = r.cmd().args(["add", "-A"]).output().unwrap();
    assert!(o.status.success());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let o = r
        .cmd()
        .args(["commit", "-q", "-m", "new"])
        .env("GIT_COMMITTER_DATE", format!("{now} +0000"))
        .output()
        .unwrap();
    assert!(o.status.success());
    let c_new = r.head();

    let paths = |v: &Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect()
    };
    // A revision first.
    let (o, v) = scan_json(&r, &["--since", &c_old]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(paths(&v), vec!["new.js"]);
    // Dates, as `git log --since` takes them.
    for date in ["2 weeks ago", "yesterday", "2024-01-01", "2024-01-01T10:00"] {
        let (o, v) = scan_json(&r, &["--since", date]);
        assert_eq!(code(&o), 1, "{date}: {}", stderr(&o));
        assert_eq!(paths(&v), vec!["new.js"], "{date}");
        assert_eq!(v["findings"][0]["commit"], c_new.as_str(), "{date}");
    }
    let (o, v) = scan_json(&r, &["--since", "2023-11-01"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let mut p = paths(&v);
    p.sort();
    assert_eq!(p, vec!["new.js", "old.js"]);
    // Neither: the accepted forms are shown, not only libgit2's complaint.
    let o = r.scan(&["git", "--since", "last tuesdayish"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("neither a revision nor a date"), "{err}");
    assert!(
        err.contains("2 weeks ago") && err.contains("2026-03-01"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // The help names both forms.
    let o = qrcp().args(["git", "--help"]).output().unwrap();
    let help = stdout(&o);
    assert!(
        help.contains("REV|DATE") && help.contains("2 weeks ago"),
        "{help}"
    );
    assert_all_absent(&o, &[&old, &new]);
}
