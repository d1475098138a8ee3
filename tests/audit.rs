//! `audit`: a repository with a realistic story, grouped per key, first leaks, the
//! to-do list, and the HTML report opened in headless Chromium.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::util::*;

/// Runs git in `dir` with a fixed author and date.
fn git(dir: &Path, author: &str, date: &str, args: &[&str]) -> String {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", author)
        .env(
            "GIT_AUTHOR_EMAIL",
            format!("{}@example.com", author.to_lowercase().replace(' ', ".")),
        )
        .env("GIT_COMMITTER_NAME", author)
        .env(
            "GIT_COMMITTER_EMAIL",
            format!("{}@example.com", author.to_lowercase().replace(' ', ".")),
        )
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
    stdout(&o).trim().to_string()
}

struct Story {
    t: Tree,
    /// A live key: committed, deleted, committed again on a branch, shipped in a bundle.
    k1: String,
    /// A live key in a committed `.env`, which was then untracked and ignored.
    k3: String,
    /// A test key still in HEAD.
    k4: String,
    c1: String,
    c2: String,
    c3: String,
    c5: String,
    c6: String,
}

/// Stages everything and commits as `author` at `date`; returns the commit id.
fn commit(dir: &Path, author: &str, date: &str, msg: &str) -> String {
    git(dir, author, date, &["add", "-A"]);
    git(dir, author, date, &["commit", "-q", "-m", msg]);
    git(dir, author, date, &["rev-parse", "HEAD"])
}

fn story() -> Story {
    let t = Tree::new();
    let d = t.path();
    let (k1, k3, k4) = (live_key(), live_key(), test_key());
    git(
        d,
        "Ana Lee",
        "2026-01-05T10:00:00+02:00",
        &["init", "-q", "-b", "main"],
    );
    t.write("README.md", "# web\n");
    t.write(
        "src/config.ts",
        format!("export const apiKey = \"{k1}\";\n"),
    );
    let c1 = commit(d, "Ana Lee", "2026-01-05T10:00:00+02:00", "config");
    t.write(
        "src/config.ts",
        "export const apiKey = process.env.QRCODEPRO_API_KEY;\n",
    );
    let c2 = commit(
        d,
        "Bob Stone",
        "2026-02-01T09:00:00+00:00",
        "read the key from the environment",
    );
    // The same key again, on a branch.
    git(
        d,
        "Cy Park",
        "2026-03-01T12:00:00+00:00",
        &["checkout", "-q", "-b", "legacy"],
    );
    t.write("src/legacy.ts", format!("const LEGACY = '{k1}';\n"));
    let c3 = commit(d, "Cy Park", "2026-03-01T12:00:00+00:00", "legacy client");
    git(
        d,
        "Cy Park",
        "2026-03-01T12:00:00+00:00",
        &["checkout", "-q", "main"],
    );
    // Build output is ignored, but the bundle in the working tree ships the key.
    t.write(".gitignore", "web/dist/\n");
    t.write("web/package.json", "{}\n");
    t.write(
        "web/dist/app.min.js",
        format!("{}var k=\"{k1}\";", "var a=1;".repeat(2000)),
    );
    t.write(
        "next.config.js",
        "module.exports = { env: { NEXT_PUBLIC_QRCODEPRO_API_KEY: process.env.QRCODEPRO_API_KEY } };\n",
    );
    t.write(
        "src/test-client.ts",
        format!("export const testKey = '{k4}';\n"),
    );
    commit(d, "Dee Moss", "2026-03-10T08:00:00+00:00", "build setup");
    // A committed .env, then untracked and ignored; it stays on disk.
    t.write(".env", format!("QRCODEPRO_API_KEY={k3}\n"));
    let c5 = commit(d, "Dee Moss", "2026-04-01T08:00:00+00:00", "env");
    git(
        d,
        "Eve Roy",
        "2026-04-02T08:00:00+00:00",
        &["rm", "-q", "--cached", ".env"],
    );
    t.write(".gitignore", "web/dist/\n.env\n");
    let c6 = commit(d, "Eve Roy", "2026-04-02T08:00:00+00:00", "ignore .env");
    Story {
        t,
        k1,
        k3,
        k4,
        c1,
        c2,
        c3,
        c5,
        c6,
    }
}

/// The group of `key`, found by its redacted form (prefix and four characters).
fn group<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| {
            g["key"]
                .as_str()
                .is_some_and(|k| key.starts_with(k.trim_end_matches('…')))
        })
        .unwrap_or_else(|| panic!("no group for {}…", &key[..14]))
}

#[test]
fn audit_groups_keys_and_attributes_first_leaks() {
    let s = story();
    let o = s.t.run(&["audit", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_secret_absent(&o, &s.k1);
    assert_secret_absent(&o, &s.k3);
    assert_secret_absent(&o, &s.k4);
    let r = json(&o);
    let keys = r["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3, "{r:#}");

    let g1 = group(&r, &s.k1);
    assert_eq!(g1["kind"], "live");
    assert_eq!(g1["first_leak"]["commit"], s.c1.as_str());
    assert_eq!(g1["first_leak"]["author"], "Ana Lee");
    assert_eq!(g1["first_leak"]["date"], "2026-01-05T10:00:00+02:00");
    assert_eq!(g1["first_leak"]["path"], "src/config.ts");
    assert_eq!(
        g1["removed"]["commit"],
        s.c2.as_str(),
        "removed on main by Bob's commit"
    );
    assert_eq!(g1["in_head"], false);
    assert_eq!(g1["in_build_output"], true);
    assert_eq!(g1["status"], "in working tree");
    let mut places: Vec<(String, String, String)> = g1["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["source"].as_str().unwrap().into(),
                l["path"].as_str().unwrap().into(),
                l["commit"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    places.sort();
    assert_eq!(
        places,
        vec![
            ("file".into(), "web/dist/app.min.js".into(), String::new()),
            ("git".into(), "src/config.ts".into(), s.c1.clone()),
            ("git".into(), "src/legacy.ts".into(), s.c3.clone()),
        ]
    );

    let g3 = group(&r, &s.k3);
    assert_eq!(g3["first_leak"]["commit"], s.c5.as_str());
    assert_eq!(g3["first_leak"]["path"], ".env");
    assert_eq!(g3["removed"]["commit"], s.c6.as_str());
    assert_eq!(
        g3["local_only"], false,
        "committed once, so leaked, even if now only local"
    );

    let g4 = group(&r, &s.k4);
    assert_eq!(g4["kind"], "test");
    assert_eq!(g4["in_head"], true);
    assert_eq!(g4["status"], "in HEAD");
    assert!(g4["removed"].is_null());

    // Live keys first, oldest leak first.
    assert_eq!(keys[0]["fingerprint"], g1["fingerprint"]);
    assert_eq!(keys[2]["fingerprint"], g4["fingerprint"]);

    let dotenv = r["dotenv_files"].as_array().unwrap();
    assert_eq!(dotenv.len(), 1, "{dotenv:#?}");
    assert_eq!(dotenv[0]["path"], ".env");
    assert_eq!(dotenv[0]["first_commit"]["commit"], s.c5.as_str());
    assert_eq!(dotenv[0]["tracked"], false);

    let exposed = r["client_exposed"].as_array().unwrap();
    assert_eq!(exposed.len(), 1);
    assert_eq!(exposed[0]["path"], "next.config.js");

    let todo: Vec<&str> = r["todo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(todo.len(), 4, "{todo:#?}");
    assert!(
        todo[0].starts_with("Revoke the leaked keys: ")
            && todo[0].contains(&s.k1[..14])
            && todo[0].contains(&s.k3[..14])
            && todo[0].contains(&s.k4[..14]),
        "{}",
        todo[0]
    );
    assert!(
        todo[1].contains("git filter-repo --replace-text")
            && todo[1].contains("--invert-paths --path .env"),
        "{}",
        todo[1]
    );
    assert!(
        todo[2].starts_with(
            "Move `NEXT_PUBLIC_QRCODEPRO_API_KEY` out of its public prefix (next.config.js:1)"
        ),
        "{}",
        todo[2]
    );
    assert!(
        todo[3].starts_with("Rebuild and redeploy") && todo[3].contains("web/dist/app.min.js"),
        "{}",
        todo[3]
    );
}

#[test]
fn audit_reports_ignored_local_env_files_separately() {
    let s = story();
    // A second .env that was never committed, and is ignored.
    s.t.write(".env.local", format!("QRCODEPRO_API_KEY={}\n", live_key()));
    s.t.write(".gitignore", "web/dist/\n.env\n.env.local\n");
    let o = s.t.run(&["audit", "--format", "json"]);
    let r = json(&o);
    let local: Vec<&Value> = r["dotenv_files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["local_only"] == true)
        .collect();
    assert_eq!(local.len(), 1, "{r:#}");
    assert_eq!(local[0]["path"], ".env.local");
    let local_keys: Vec<&Value> = r["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["local_only"] == true)
        .collect();
    assert_eq!(local_keys.len(), 1);
    assert_eq!(local_keys[0]["status"], "local only");
    // A key that never left the machine needs no revocation.
    let todo = r["todo"][0].as_str().unwrap();
    let local_key = local_keys[0]["key"].as_str().unwrap();
    assert!(!todo.contains(local_key), "{todo}");
}

#[test]
fn audit_human_report_has_table_snippets_and_todo() {
    let s = story();
    let o = s.t.run(&["audit", "--color", "never"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    for needle in [
        "qrcp-scan audit of ",
        "#  key",
        "first leaked 2026-01-05 in ",
        "by Ana Lee (src/config.ts)",
        &format!("removed 2026-02-01 in {}", &s.c2[..7]),
        "still in HEAD",
        "error[qrcp-live-key]: QRCodePro live API key",
        " --> web/dist/app.min.js:1:",
        "Dotenv files",
        ".env: committed 2026-04-01 in ",
        "no longer tracked, still in history",
        "Client-exposed variables",
        "What to do now",
        "  1. Revoke the leaked keys",
        "  2. Purge the history",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    assert_secret_absent(&o, &s.k1);
    assert_secret_absent(&o, &s.k3);
}

#[test]
fn audit_html_is_self_contained_and_redacted() {
    let s = story();
    let html_path = s.t.state.path().join("audit.html");
    let o = s.t.run(&[
        "audit",
        "--html",
        html_path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let html = std::fs::read_to_string(&html_path).unwrap();
    for k in [&s.k1, &s.k3, &s.k4] {
        assert_text_lacks(&html, k);
    }
    assert!(html.contains("Content-Security-Policy") && html.contains("default-src 'none'"));
    for forbidden in ["http://", "https://", "src=\"", "<link", "@import", "url("] {
        assert!(!html.contains(forbidden), "{forbidden} in the HTML report");
    }
    // --no-redact puts the keys in, as asked.
    let o = s.t.run(&[
        "audit",
        "--html",
        html_path.to_str().unwrap(),
        "--no-redact",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1);
    assert!(std::fs::read_to_string(&html_path).unwrap().contains(&s.k1));
}

#[test]
fn audit_html_renders_and_filters_in_chromium() {
    let Some(chromium) = tool("chromium") else {
        return;
    };
    let Some(node) = tool("node") else { return };
    let s = story();
    let html_path = s.t.state.path().join("audit.html");
    let o = s.t.run(&["audit", "--html", html_path.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let artifacts = repo_root().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("audit-report.png");
    let _ = std::fs::remove_file(&shot);
    let o = Command::new(node)
        .arg(repo_root().join("tests/browser/audit_report.js"))
        .arg(&html_path)
        .arg(&shot)
        .env("CHROMIUM", chromium)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "browser check failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    let result: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(
        result["requests"],
        serde_json::json!([]),
        "the page made network requests"
    );
    assert_eq!(result["groups"], 3);
    assert_eq!(result["timelineRows"], 3);
    assert_eq!(result["afterTypeTest"], 1, "type filter");
    assert_eq!(result["afterStatusHead"], 1, "status filter");
    assert_eq!(result["afterPathLegacy"], 1, "path filter");
    assert_eq!(result["afterReset"], 3);
    assert_eq!(result["todo"], 4);
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "screenshot kept at {}",
        shot.display()
    );
}

#[test]
fn audit_verifies_and_revokes_the_keys_found_live() {
    use crate::util::api_server::{ApiServer, KeyState};
    let s = story();
    let server = ApiServer::start();
    server.set(&s.k1, KeyState::Active);
    server.set(&s.k3, KeyState::Revoked);
    server.set(&s.k4, KeyState::Forbidden);
    // `audit … --format json` against the test server.
    let audit = |flags: &[&str]| {
        s.t.cmd()
            .arg("audit")
            .args(flags)
            .args(["--format", "json", "--api-url", &server.url])
            .output()
            .unwrap()
    };
    let o = audit(&["--verify"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    assert_eq!(group(&r, &s.k1)["verification"], "active");
    assert_eq!(group(&r, &s.k3)["verification"], "inactive");
    assert_eq!(
        group(&r, &s.k4)["verification"],
        "active",
        "403: valid key, plan without API access"
    );
    // Each distinct key is asked once, whatever the number of places.
    for k in [&s.k1, &s.k3, &s.k4] {
        assert_eq!(server.requests_with(k).len(), 1);
    }
    // An inactive key needs no revocation.
    let todo = r["todo"][0].as_str().unwrap();
    assert!(
        todo.contains(&s.k1[..14]) && !todo.contains(&s.k3[..14]),
        "{todo}"
    );
    // --revoke revokes only the keys found live.
    let o = audit(&["--revoke", "--yes"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let posts = |k: &str| {
        server
            .requests_with(k)
            .into_iter()
            .filter(|r| r.method == "POST")
            .count()
    };
    assert_eq!(posts(&s.k1), 1);
    assert_eq!(posts(&s.k4), 1);
    assert_eq!(
        posts(&s.k3),
        0,
        "an inactive key is not sent to the revoke endpoint"
    );
    assert!(stderr(&o).contains("revoked"), "{}", stderr(&o));
    for k in [&s.k1, &s.k3, &s.k4] {
        assert_secret_absent(&o, k);
    }
    let audit_log = std::fs::read_to_string(s.t.audit_log()).unwrap();
    assert!(
        audit_log
            .lines()
            .any(|l| l.contains("\"action\":\"revoke\""))
    );
    for k in [&s.k1, &s.k3, &s.k4] {
        assert_text_lacks(&audit_log, k);
    }
}

/// `revoke --dry-run --format json` run in the story's tree: outcome per key prefix.
fn dry_revoke(t: &Tree, report: &str) -> Vec<(String, String)> {
    let o = t.run(&[
        "revoke",
        "--report",
        report,
        "--dry-run",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{report}: {}", stderr(&o));
    let mut v: Vec<(String, String)> = json(&o)["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["key"].as_str().unwrap().to_string(),
                k["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn revoke_reads_every_json_qrcp_scan_writes() {
    let s = story();
    let d = s.t.path();
    let in_message = live_key();
    git(
        d,
        "Fay Oak",
        "2026-04-03T08:00:00+00:00",
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            &format!("rotate\n\nthe old key was {in_message}\n"),
        ],
    );
    let in_tag = test_key();
    git(
        d,
        "Fay Oak",
        "2026-04-03T09:00:00+00:00",
        &["tag", "-a", "v1", "-m", &format!("release\n{in_tag}\n")],
    );
    let short = |k: &str| format!("{}…", &k[..14]);
    let mut want: Vec<(String, String)> = [&s.k1, &s.k3, &s.k4, &in_message, &in_tag]
        .iter()
        .map(|k| (short(k), "would_revoke".to_string()))
        .collect();
    want.sort();

    // The audit's JSON (keys with their locations).
    let o =
        s.t.run(&["audit", "--format", "json", "--output", "audit.json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(dry_revoke(&s.t, "audit.json"), want);
    // The scan report, redacted (the default), and its JSONL form; the key in a
    // commit message is read back from the commit the report names.
    for (format, file) in [("json", "scan.json"), ("jsonl", "scan.jsonl")] {
        let o = s.t.run(&["git", "--format", format, "--output", file]);
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        let keys = dry_revoke(&s.t, file);
        for k in [&in_message, &in_tag] {
            assert!(
                keys.contains(&(short(k), "would_revoke".into())),
                "{format}: {keys:?}"
            );
        }
        assert!(keys.iter().all(|(_, o)| o == "would_revoke"), "{keys:?}");
    }
    // revoke's own JSON (a dry run's, here) names each key's first location.
    let o = s.t.run(&[
        "revoke",
        "--report",
        "audit.json",
        "--dry-run",
        "--format",
        "json",
        "--output",
        "outcomes.json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(dry_revoke(&s.t, "outcomes.json"), want);
    // Anything else: one line that says what was expected.
    s.t.write("other.json", "{\"hello\": 1}\n");
    let o = s.t.run(&["revoke", "--report", "other.json", "--dry-run"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("not a qrcp-scan JSON report (expected"),
        "{err}"
    );
    for file in ["audit.json", "scan.json", "scan.jsonl", "outcomes.json"] {
        let text = std::fs::read_to_string(s.t.join(file)).unwrap();
        for k in [&s.k1, &s.k3, &s.k4, &in_message, &in_tag] {
            assert_text_lacks(&text, k);
        }
    }
}

#[test]
fn audit_shows_local_files_amended_commits_and_message_purges() {
    let s = story();
    let d = s.t.path();
    // A key committed, then amended away: no ref reaches that commit.
    let amended = live_key();
    s.t.write("src/tmp.ts", format!("const k = '{amended}';\n"));
    let gone = commit(d, "Gus Hale", "2026-04-05T08:00:00+00:00", "tmp");
    std::fs::remove_file(s.t.join("src/tmp.ts")).unwrap();
    git(d, "Gus Hale", "2026-04-05T09:00:00+00:00", &["add", "-A"]);
    git(
        d,
        "Gus Hale",
        "2026-04-05T09:00:00+00:00",
        &[
            "commit",
            "-q",
            "--amend",
            "--allow-empty",
            "-m",
            "tmp, fixed",
        ],
    );
    // A key in a commit message, and a tracked dotenv file whose path needs quoting.
    let in_message = test_key();
    s.t.write("config dir/.env", "PORT=1\n");
    let when = "2026-04-06T08:00:00+00:00";
    git(d, "Fay Oak", when, &["add", "-f", "config dir/.env"]);
    let msg = format!("notes\n\nold test key {in_message}\n");
    git(d, "Fay Oak", when, &["commit", "-q", "-m", &msg]);

    let o = s.t.run(&["audit", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    // `.env` untracked with `git rm --cached` and ignored: its key is still on disk.
    let g3 = group(&r, &s.k3);
    assert_eq!(g3["status"], "in local file", "{g3:#}");
    assert_eq!(g3["in_local_file"], true);
    let places: Vec<(&str, &str)> = g3["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["source"].as_str().unwrap(), l["path"].as_str().unwrap()))
        .collect();
    assert!(places.contains(&("file", ".env")), "{places:?}");
    assert!(places.contains(&("git", ".env")), "{places:?}");
    let env = r["dotenv_files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == ".env")
        .unwrap();
    assert_eq!(env["ignored_on_disk"], true);
    // The amended-away commit's date and author.
    let ga = group(&r, &amended);
    assert_eq!(ga["status"], "unreachable");
    assert_eq!(ga["first_leak"]["commit"], gone.as_str());
    assert_eq!(ga["first_leak"]["author"], "Gus Hale");
    assert_eq!(ga["first_leak"]["date"], "2026-04-05T08:00:00+00:00");
    assert_eq!(ga["first_leak"]["reachable"], false);
    assert_eq!(group(&r, &s.k1)["first_leak"]["reachable"], true);
    // The purge covers messages; arguments are quoted for a shell.
    let todo: Vec<&str> = r["todo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let purge = todo.iter().find(|t| t.starts_with("Purge")).unwrap();
    assert!(
        purge.contains(
            "git filter-repo --replace-text replacements.txt --replace-message replacements.txt"
        ),
        "{purge}"
    );
    assert!(
        purge.contains("--path .env --path 'config dir/.env'"),
        "{purge}"
    );
    assert!(
        todo.iter()
            .any(|t| t.contains("`git rm --cached -- 'config dir/.env'`")),
        "{todo:#?}"
    );

    // The table and the text say the same.
    let o = s.t.run(&["audit", "--color", "never"]);
    let out = stdout(&o);
    assert!(
        out.contains(&format!("2026-04-05 {} Gus Hale (unreachable)", &gone[..7])),
        "{out}"
    );
    assert!(out.contains("in local file"), "{out}");
    assert!(
        out.contains("still holds the key on disk"),
        "the local file is shown as a place: {out}"
    );
    assert!(out.contains("still on disk (ignored)"), "{out}");
    // The HTML timeline has a bar for the amended-away key.
    let o = s.t.run(&["audit", "--html", "audit.html"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let html = std::fs::read_to_string(s.t.join("audit.html")).unwrap();
    let timeline = &html[html.find("<svg id=\"timeline\"").unwrap()..];
    let timeline = &timeline[..timeline.find("</svg>").unwrap()];
    let short = format!("{}…", &amended[..14]);
    assert!(timeline.contains(&short), "{timeline}");
    assert!(timeline.contains("2026-04-05 → amended away"), "{timeline}");
    for k in [&s.k1, &s.k3, &s.k4, &amended, &in_message] {
        assert_text_lacks(&html, k);
        assert_secret_absent(&o, k);
    }
}
