//! `qrcp-scan staged`, `install-hook` (native pre-commit and pre-push hooks) and the
//! pre-commit framework's hook from `.pre-commit-hooks.yaml`, all run for real.

use std::process::Output;

use crate::git::Repo;
use crate::util::*;

fn staged_json(r: &Repo) -> (Output, serde_json::Value) {
    let o = r.scan(&["staged", "--format", "json"]);
    let v = json(&o);
    (o, v)
}

fn sources(v: &serde_json::Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["source"].as_str().unwrap())
        .collect()
}

#[test]
fn staged_reports_added_lines_new_files_and_new_dotenv_files_only() {
    let r = Repo::init();
    let (old, added, fresh, moved, unstaged) =
        (live_key(), live_key(), test_key(), live_key(), live_key());
    r.write(
        "app.js",
        &format!("const a = 1;\nconst old = \"{old}\";\nconst b = 2;\n"),
    );
    r.write("moved/from.txt", &format!("key {moved}\nmore text\n"));
    r.write(".env", "A=1\n");
    r.commit("base");

    // Modified: one added line with a key, the old key's line untouched.
    r.write(
        "app.js",
        &format!("const a = 1;\nconst old = \"{old}\";\nconst b = 3;\nconst n = \"{added}\";\n"),
    );
    // Added file: every line counts.
    r.write("src/new.py", &format!("# new\nKEY = '{fresh}'\n"));
    // A newly staged dotenv file, and an edited old one (not new).
    r.write("config/.env.local", "PORT=1\n");
    r.write(".env", "A=2\n");
    r.git(&["add", "-A"]);
    // Unstaged work is not part of the commit.
    r.write(
        "src/new.py",
        &format!("# new\nKEY = '{fresh}'\nX = '{unstaged}'\n"),
    );

    let expected: Vec<(String, String, Option<u64>)> = vec![
        ("dotenv-file".into(), "config/.env.local".into(), None),
        ("qrcp-live-key".into(), "app.js".into(), Some(4)),
        ("qrcp-test-key".into(), "src/new.py".into(), Some(2)),
    ];
    let (o, v) = staged_json(&r);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(found(&v), expected);
    // Index format version 4 (compressed paths) reads the same.
    r.git(&["update-index", "--index-version", "4"]);
    assert_eq!(found(&staged_json(&r).1), expected);
    // A pure rename of a file that holds a key adds nothing (this change has files
    // both deleted and added: libgit2's rename detection decides).
    r.git(&["mv", "moved/from.txt", "moved/to.txt"]);
    let (o, v) = staged_json(&r);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(found(&v), expected);
    assert!(sources(&v).iter().all(|s| *s == "staged"));
    assert!(v["findings"][1]["commit"].is_null());
    for k in [&old, &added, &fresh, &moved, &unstaged] {
        assert_secret_absent(&o, k);
    }

    // Human output: redacted and annotated with the staged file's line.
    let o = r.scan(&["staged"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(out.contains("app.js:4:"), "{out}");
    assert!(out.contains("error[qrcp-live-key]"), "{out}");
    assert_secret_absent(&o, &added);
}

#[test]
fn staged_rename_with_an_edit_reports_only_the_added_line() {
    let r = Repo::init();
    let (old, added) = (live_key(), live_key());
    let body: String = (0..20).map(|i| format!("line {i}\n")).collect();
    r.write("a/conf.js", &format!("k = \"{old}\";\n{body}"));
    r.write("gone/x.txt", "bye\n");
    r.commit("base");
    std::fs::create_dir_all(r.dir.join("b")).unwrap();
    r.git(&["mv", "a/conf.js", "b/conf.js"]);
    r.write(
        "b/conf.js",
        &format!("k = \"{old}\";\n{body}n = \"{added}\";\n"),
    );
    r.git(&["rm", "-q", "-r", "gone"]);
    r.git(&["add", "-A"]);
    let (o, v) = staged_json(&r);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        found(&v),
        vec![("qrcp-live-key".into(), "b/conf.js".into(), Some(22))]
    );
    assert_secret_absent(&o, &old);
    assert_secret_absent(&o, &added);
}

/// A large staged file is read from the working tree while its stat data says it
/// is the staged file (as `git diff --cached` reads it), and from its blob once
/// it has changed since `git add`: same size, modification time set back.
#[test]
fn staged_large_files_are_read_as_staged_not_as_edited_since() {
    let r = Repo::init();
    let filler: String = (0..3000).map(|i| format!("const v{i} = {i};\n")).collect();
    assert!(filler.len() > 40_000);
    r.write("big.js", &filler);
    r.write("clean.js", &filler);
    r.commit("base");
    let (staged, unstaged) = (live_key(), live_key());
    let blank = "x".repeat(staged.len());
    // Both times the same: only the change time tells the edit apart.
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(600);
    let set_back = |path: &str| {
        let f = std::fs::File::options().write(true).open(r.dir.join(path));
        f.unwrap().set_modified(past).unwrap();
    };
    r.write("big.js", &format!("{filler}k = \"{staged}\";\n"));
    r.write("clean.js", &format!("{filler}k = \"{blank}\";\n"));
    set_back("big.js");
    set_back("clean.js");
    r.git(&["add", "big.js", "clean.js"]);
    let check = || {
        let (o, v) = staged_json(&r);
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        assert_eq!(
            found(&v),
            vec![("qrcp-live-key".into(), "big.js".into(), Some(3001))]
        );
        assert_secret_absent(&o, &staged);
        assert_secret_absent(&o, &unstaged);
    };
    check();
    r.write("big.js", &format!("{filler}k = \"{blank}\";\n"));
    r.write("clean.js", &format!("{filler}k = \"{unstaged}\";\n"));
    set_back("big.js");
    set_back("clean.js");
    check();
}

#[test]
fn staged_before_the_first_commit_counts_everything_as_added() {
    let r = Repo::init();
    let key = live_key();
    r.write("a.txt", &format!("one\n{key}\n"));
    r.write(".env.production", "X=1\n");
    r.git(&["add", "-A"]);
    let (o, v) = staged_json(&r);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        found(&v),
        vec![
            ("dotenv-file".into(), ".env.production".into(), None),
            ("qrcp-live-key".into(), "a.txt".into(), Some(2)),
        ]
    );
    assert_secret_absent(&o, &key);
}

#[test]
fn staged_clean_change_and_nothing_staged_exit_zero() {
    let r = Repo::init();
    r.write("a.txt", "x\n");
    r.commit("a");
    let o = r.scan(&["staged"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    r.write("a.txt", "x\ny\n");
    r.git(&["add", "a.txt"]);
    let o = r.scan(&["staged"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("no findings"), "{}", stdout(&o));

    let t = Tree::new();
    t.write("plain/a", "x");
    let o = t.run(&["staged", "plain"]);
    assert_eq!(code(&o), 2);
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
}

/// A blocking hook says that it blocked, and names every way on.
fn assert_blocked(text: &str, blocked: &str, bypass: &str) {
    for want in [
        blocked,
        "a real key: remove it",
        "qrcp-scan revoke",
        "qrcp-scan:allow",
        "qrcp-scan baseline create",
        "--baseline .qrcp-scan-baseline.json",
        bypass,
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

fn commit_attempt(r: &Repo, msg: &str) -> Output {
    r.git(&["add", "-A"]);
    r.cmd().args(["commit", "-q", "-m", msg]).output().unwrap()
}

#[test]
fn installed_pre_commit_hook_blocks_a_staged_key() {
    let r = Repo::init();
    r.write("a.txt", "x\n");
    r.commit("a");
    let o = r.scan(&["install-hook"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let hook = r.dir.join(".git/hooks/pre-commit");
    assert!(stdout(&o).contains("pre-commit"), "{}", stdout(&o));
    let script = std::fs::read_to_string(&hook).unwrap();
    assert!(script.contains(env!("CARGO_BIN_EXE_qrcp-scan")), "{script}");

    let key = live_key();
    r.write("b.js", &format!("k = \"{key}\";\n"));
    let before = r.head();
    let o = commit_attempt(&r, "leak");
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let text = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        text.contains("error[qrcp-live-key]") && text.contains("b.js:1:6"),
        "{text}"
    );
    assert!(text.contains("qrcp_live_"), "{text}");
    assert_blocked(
        &text,
        "qrcp-scan pre-commit hook: commit blocked",
        "git commit --no-verify",
    );
    assert!(!text.contains("push blocked"), "{text}");
    assert_secret_absent(&o, &key);
    assert_eq!(r.head(), before, "the commit went through");

    r.write("b.js", "k = process.env.KEY;\n");
    let o = commit_attempt(&r, "clean");
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_ne!(r.head(), before);

    // An existing hook is not replaced without --force.
    let o = r.scan(&["install-hook"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(err.contains("pre-commit: a hook is already there"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let o = r.scan(&["install-hook", "--force"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

/// `git commit -a` and `git commit <paths>` stage into a temporary index, named
/// in `GIT_INDEX_FILE` for the hook; `.git/index` holds none of it yet. Each
/// form is tried on the index reader's path (an edit) and on libgit2's (a
/// rename with an edit, which needs rename detection).
#[test]
fn installed_hook_scans_the_index_git_commit_a_and_paths_make() {
    let r = Repo::init();
    r.write("a.txt", "x\n");
    r.write("old/name.txt", "some text\nmore text\nand more\n");
    r.commit("a");
    let o = r.scan(&["install-hook"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let before = r.head();
    let attempt = |args: &[&str]| {
        let o = r.cmd().args(args).output().unwrap();
        let text = format!("{}{}", stdout(&o), stderr(&o));
        (code(&o), text)
    };

    let key = live_key();
    r.write("a.txt", &format!("x\nk = \"{key}\"\n"));
    for args in [
        &["commit", "-q", "-a", "-m", "leak"][..],
        &["commit", "-q", "-m", "leak", "a.txt"][..],
    ] {
        let (code, text) = attempt(args);
        assert_eq!(code, 1, "git {args:?} was not blocked:\n{text}");
        assert!(text.contains("a.txt:2:6"), "git {args:?}:\n{text}");
        assert!(!text.contains(&key), "{text}");
        assert_eq!(r.head(), before, "git {args:?} went through");
    }
    r.write("a.txt", "x\n");

    r.git(&["mv", "old/name.txt", "new.txt"]);
    r.write(
        "new.txt",
        &format!("some text\nmore text\nand more\nk = \"{key}\"\n"),
    );
    let (code, text) = attempt(&["commit", "-q", "-a", "-m", "leak"]);
    assert_eq!(code, 1, "a renamed and edited file went through:\n{text}");
    assert!(text.contains("new.txt:4:6"), "{text}");
    assert_eq!(r.head(), before);

    r.write("new.txt", "some text\nmore text\nand more\n");
    let (code, text) = attempt(&["commit", "-q", "-a", "-m", "clean"]);
    assert_eq!(code, 0, "{text}");
    assert_ne!(r.head(), before);
}
#[test]
fn install_hook_respects_core_hooks_path() {
    let r = Repo::init();
    r.git(&["config", "core.hooksPath", "ci/hooks"]);
    let o = r.scan(&["install-hook"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(r.dir.join("ci/hooks/pre-commit").is_file());
    assert!(!r.dir.join(".git/hooks/pre-commit").exists());
}

#[test]
fn installed_pre_push_hook_scans_the_pushed_commits() {
    let remote = Repo::init();
    remote.git(&["init", "-q", "--bare", "-b", "main", "../remote.git"]);
    let url = remote.dir.join("../remote.git");
    let r = Repo::init();
    r.write("a.txt", "x\n");
    r.commit("a");
    r.git(&["remote", "add", "origin", url.to_str().unwrap()]);
    let o = r.scan(&["install-hook", "--pre-push"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(r.dir.join(".git/hooks/pre-push").is_file());
    let push = |args: &[&str]| r.cmd().args(["push", "-q"]).args(args).output().unwrap();

    // A new branch with no key goes through.
    let o = push(&["origin", "main"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    // Commits on top of a known remote commit: the key is found, the push blocked.
    let key = live_key();
    r.write("b.txt", &format!("{key}\n"));
    r.commit("leak");
    r.write("b.txt", "gone\n");
    r.commit("remove it again");
    let o = push(&["origin", "main"]);
    assert_ne!(code(&o), 0, "push went through");
    let text = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        text.contains("error[qrcp-live-key]") && text.contains("b.txt:1:1"),
        "{text}"
    );
    assert_blocked(
        &text,
        "qrcp-scan pre-push hook: push blocked",
        "git push --no-verify",
    );
    assert_secret_absent(&o, &key);

    // A new branch: its commits that no remote-tracking ref has are scanned.
    let side = test_key();
    r.git(&["reset", "-q", "--hard", "origin/main"]);
    r.git(&["checkout", "-q", "-b", "topic"]);
    r.write("c.txt", &format!("{side}\n"));
    r.commit("topic");
    let o = push(&["origin", "topic"]);
    assert_ne!(code(&o), 0, "push went through");
    let text = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        text.contains("warning[qrcp-test-key]") && text.contains("c.txt"),
        "{text}"
    );
    assert!(!text.contains("a.txt"), "{text}");
    assert_secret_absent(&o, &side);

    // Clean work on main is pushed.
    r.git(&["checkout", "-q", "main"]);
    r.git(&["reset", "-q", "--hard", "origin/main"]);
    r.write("d.txt", "fine\n");
    r.commit("fine");
    let o = push(&["origin", "main"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

/// The real pre-commit framework runs the hook of `.pre-commit-hooks.yaml`:
/// `language: rust` makes it `cargo install` this repository (at HEAD, plus any
/// uncommitted changes to tracked files), which is a release build; the target
/// folder is shared between runs and the profile made quick to build. A new,
/// untracked source file is not part of that copy: `git add` it before running
/// the suite, or this test fails to build the hook.
#[test]
fn pre_commit_framework_runs_the_hook_from_this_repository() {
    let Some(pre_commit) = tool("pre-commit") else {
        return;
    };
    let r = Repo::init();
    r.write("a.txt", "x\n");
    r.commit("a");
    let home = Tree::new();
    let run = |r: &Repo| {
        std::process::Command::new(&pre_commit)
            .current_dir(&r.dir)
            .env("PRE_COMMIT_HOME", home.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Ana Author")
            .env("GIT_AUTHOR_EMAIL", "ana@example.com")
            .env("GIT_COMMITTER_NAME", "Ana Author")
            .env("GIT_COMMITTER_EMAIL", "ana@example.com")
            .env(
                "CARGO_TARGET_DIR",
                repo_root().join("target/pre-commit-test"),
            )
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1")
            .arg("try-repo")
            .arg(repo_root())
            .arg("qrcp-scan")
            .output()
            .unwrap()
    };

    let key = live_key();
    r.write("config.ts", &format!("export const k = \"{key}\";\n"));
    r.git(&["add", "-A"]);
    let o = run(&r);
    let text = format!("{}{}", stdout(&o), stderr(&o));
    assert_eq!(code(&o), 1, "{text}");
    assert!(text.contains("error[qrcp-live-key]"), "{text}");
    assert!(text.contains("config.ts:1:"), "{text}");
    assert!(text.contains("qrcp_live_"), "{text}");
    assert_blocked(
        &text,
        "qrcp-scan pre-commit hook: commit blocked",
        "git commit --no-verify",
    );
    assert_secret_absent(&o, &key);

    r.write("config.ts", "export const k = process.env.KEY;\n");
    r.git(&["add", "-A"]);
    let o = run(&r);
    let text = format!("{}{}", stdout(&o), stderr(&o));
    assert_eq!(code(&o), 0, "{text}");
    assert!(text.contains("Passed"), "{text}");
}
