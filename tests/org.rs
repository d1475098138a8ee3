//! `org` (issue 15): a dozen generated repositories, some sharing a key, planned,
//! scanned as separate shard processes, merged; the merge equals one unsharded
//! scan, covers every repository once, groups the shared key once, verifies each
//! distinct key with one request, and never prints a key.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::api_server::{ApiServer, KeyState};
use crate::util::*;

fn git(dir: &Path, date: &str, args: &[&str]) {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ana Lee")
        .env("GIT_AUTHOR_EMAIL", "ana@example.com")
        .env("GIT_COMMITTER_NAME", "Ana Lee")
        .env("GIT_COMMITTER_EMAIL", "ana@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
}

/// A committed repository at `dir` holding `files`, dated `day` of January 2026.
fn repo(dir: &Path, day: u32, files: &[(&str, String)]) {
    std::fs::create_dir_all(dir).unwrap();
    let date = format!("2026-01-{day:02}T10:00:00+00:00");
    git(dir, &date, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("README.md"), format!("# repo {day}\n")).unwrap();
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    git(dir, &date, &["add", "-A"]);
    git(dir, &date, &["commit", "-q", "-m", "initial"]);
}

struct Org {
    t: Tree,
    list: PathBuf,
    /// Every key, the shared one first.
    keys: Vec<String>,
    /// The shared key and the repositories (names as in the list) holding it.
    shared: String,
    shared_in: Vec<String>,
    names: Vec<String>,
}

/// Twelve repositories: three share a live key (the second one also has it in a
/// committed `.env`), five hold a key of their own, four are clean. Half are
/// listed as `file://` URLs (cloned into the cache), half as local paths.
fn org() -> Org {
    let t = Tree::new();
    let shared = live_key();
    let mut keys = vec![shared.clone()];
    let mut names = Vec::new();
    let mut shared_in = Vec::new();
    let mut list = String::from("# the organisation\n\n");
    for i in 0..12u32 {
        let dir = t.join(&format!("repos/r{i:02}"));
        let mut files = vec![(
            "src/app.js".to_string(),
            "export const x = 1;\n".to_string(),
        )];
        if [1, 5, 9].contains(&i) {
            files.push((
                "src/config.js".into(),
                format!("export const apiKey = \"{shared}\";\n"),
            ));
        }
        if i == 5 {
            files.push((".env".into(), format!("QRCODEPRO_API_KEY={shared}\n")));
        }
        if [0, 2, 5, 7].contains(&i) {
            let own = if i == 7 { test_key() } else { live_key() };
            files.push(("lib/client.ts".into(), format!("const k = '{own}';\n")));
            keys.push(own);
        }
        if i == 10 {
            let own = live_key();
            files.push(("docs/setup.md".into(), format!("key: {own}\n")));
            keys.push(own);
        }
        let files: Vec<(&str, String)> =
            files.iter().map(|(p, s)| (p.as_str(), s.clone())).collect();
        repo(&dir, i + 1, &files);
        let name = if i % 2 == 0 {
            format!("file://{}", dir.display())
        } else {
            dir.display().to_string()
        };
        if [1, 5, 9].contains(&i) {
            shared_in.push(name.clone());
        }
        list += &format!("{name}\n");
        names.push(name);
    }
    let list_path = t.write("repos.txt", list);
    Org {
        t,
        list: list_path,
        keys,
        shared,
        shared_in,
        names,
    }
}

impl Org {
    fn cache(&self) -> PathBuf {
        self.t.join("cache")
    }

    fn lists_no_key(&self, text: &str) {
        for k in &self.keys {
            assert_text_lacks(text, k);
        }
    }

    fn no_key_in(&self, o: &std::process::Output) {
        for k in &self.keys {
            assert_secret_absent(o, k);
        }
    }

    /// Runs `org scan` for each shard as separate processes at once; returns
    /// the outputs' paths.
    fn scan_shards(&self, n: usize) -> Vec<PathBuf> {
        let children: Vec<_> = (1..=n)
            .map(|k| {
                let out = self.t.join(&format!("out/{n}/shard-{k}.jsonl"));
                std::fs::create_dir_all(out.parent().unwrap()).unwrap();
                let child = std::process::Command::new(env!("CARGO_BIN_EXE_qrcp-scan"))
                    .current_dir(self.t.path())
                    .env("XDG_STATE_HOME", self.t.state.path())
                    .args(["org", "scan", "--repos"])
                    .arg(&self.list)
                    .args(["--shard", &format!("{k}/{n}"), "--cache"])
                    .arg(self.cache())
                    .arg("--output")
                    .arg(&out)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap();
                (out, child)
            })
            .collect();
        children
            .into_iter()
            .map(|(out, child)| {
                let o = child.wait_with_output().unwrap();
                self.no_key_in(&o);
                // Findings in every shard of this organisation: exit 1.
                assert!(
                    [0, 1].contains(&code(&o)),
                    "shard {}: {}",
                    out.display(),
                    stderr(&o)
                );
                self.lists_no_key(&std::fs::read_to_string(&out).unwrap());
                out
            })
            .collect()
    }

    fn merge(&self, inputs: &[PathBuf], extra: &[&str]) -> std::process::Output {
        let o = self
            .t
            .cmd()
            .args(["org", "merge"])
            .args(inputs)
            .arg("--cache")
            .arg(self.cache())
            .args(extra)
            .output()
            .unwrap();
        self.no_key_in(&o);
        o
    }
}

/// The merged JSON without what differs from run to run or with the shard
/// count: timings and shard names.
fn stable(mut v: Value) -> Value {
    v["shards"] = Value::Null;
    v["stats"]["scan_ms"] = Value::Null;
    for r in v["repositories"].as_array_mut().unwrap() {
        for k in ["elapsed_ms", "fetch_ms", "shard", "plan"] {
            r[k] = Value::Null;
        }
    }
    v
}

#[test]
fn r15_sharded_scan_equals_one_scan() {
    let org = org();
    // The plan: every repository in exactly one of three shards.
    let o = org
        .t
        .run(&["org", "plan", "--repos", "repos.txt", "--shards", "3"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut planned: BTreeMap<String, String> = BTreeMap::new();
    for line in stdout(&o).lines() {
        let (shard, repo) = line.split_once('\t').unwrap();
        assert!(
            planned
                .insert(repo.to_string(), shard.to_string())
                .is_none()
        );
    }
    assert_eq!(
        planned.keys().cloned().collect::<BTreeSet<_>>(),
        org.names.iter().cloned().collect::<BTreeSet<_>>()
    );
    let per_shard: Vec<usize> = ["1/3", "2/3", "3/3"]
        .iter()
        .map(|s| planned.values().filter(|v| v == s).count())
        .collect();
    assert!(per_shard.iter().all(|&n| n == 4), "balanced: {per_shard:?}");
    let o2 = org
        .t
        .run(&["org", "plan", "--repos", "repos.txt", "--shards", "3"]);
    assert_eq!(stdout(&o), stdout(&o2), "deterministic");
    let m = org.t.run(&[
        "org",
        "plan",
        "--repos",
        "repos.txt",
        "--shards",
        "3",
        "--format",
        "github-matrix",
    ]);
    let matrix: Value = serde_json::from_slice(&m.stdout).unwrap();
    let shards: Vec<&str> = matrix["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["shard"].as_str().unwrap())
        .collect();
    assert_eq!(shards, ["1/3", "2/3", "3/3"]);

    // Three shard processes at once, then the merge.
    let outs = org.scan_shards(3);
    for (k, out) in outs.iter().enumerate() {
        let text = std::fs::read_to_string(out).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["type"], "shard");
        for l in &lines {
            assert_eq!(l["shard"], format!("{}/3", k + 1));
            if l["type"] == "finding" {
                assert_eq!(
                    planned[l["repository"].as_str().unwrap()],
                    format!("{}/3", k + 1)
                );
                assert!(l["fingerprint"].is_string() || l["rule"] == "dotenv-file");
            }
        }
    }
    let merged = org.merge(&outs, &["--format", "json"]);
    assert_eq!(code(&merged), 1, "{}", stderr(&merged));
    let report = json(&merged);
    // Every repository covered exactly once.
    let scanned: Vec<String> = report["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["repository"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = org.names.clone();
    sorted.sort();
    assert_eq!(scanned, sorted);
    assert_eq!(report["shards"]["missing"], serde_json::json!([]));
    assert_eq!(report["failures"], serde_json::json!([]));
    // One group per distinct key; the shared key names its three repositories.
    let keys = report["keys"].as_array().unwrap();
    assert_eq!(keys.len(), org.keys.len());
    let fp = sha256_hex(&org.shared);
    let group = keys
        .iter()
        .find(|k| k["fingerprint"] == fp.as_str())
        .unwrap();
    let mut in_repos: Vec<&str> = group["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["repository"].as_str().unwrap())
        .collect();
    in_repos.sort();
    let mut want: Vec<&str> = org.shared_in.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(in_repos, want);
    // r05 holds it twice (config.js and .env); its first leak is r01's commit.
    let r05 = group["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["repository"].as_str().unwrap().ends_with("r05"))
        .unwrap();
    assert_eq!(r05["locations"].as_array().unwrap().len(), 2);
    assert!(
        group["first_leak"]["repository"]
            .as_str()
            .unwrap()
            .ends_with("r01")
    );
    assert!(
        group["first_leak"]["date"]
            .as_str()
            .unwrap()
            .starts_with("2026-01-02")
    );

    // One unsharded scan gives the same report; so do the shards in another
    // order, and with one of them twice.
    let all = org.t.join("out/all.jsonl");
    let o = org
        .t
        .cmd()
        .args(["org", "scan", "--repos", "repos.txt", "--cache"])
        .arg(org.cache())
        .arg("--output")
        .arg(&all)
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    org.no_key_in(&o);
    let single = json(&org.merge(std::slice::from_ref(&all), &["--format", "json"]));
    assert_eq!(stable(single), stable(report.clone()));
    let shuffled = vec![
        outs[2].clone(),
        outs[0].clone(),
        outs[1].clone(),
        outs[0].clone(),
    ];
    let again = json(&org.merge(&shuffled, &["--format", "json"]));
    assert_eq!(again["shards"], report["shards"]);
    assert_eq!(stable(again), stable(report.clone()));

    // The other formats hold no key either; the SARIF passes GitHub's rules.
    for f in ["human", "sarif", "html"] {
        let o = org.merge(&outs, &["--format", f]);
        assert_eq!(code(&o), 1, "{f}: {}", stderr(&o));
        assert!(!o.stdout.is_empty());
        if f == "html" {
            let page = String::from_utf8_lossy(&o.stdout);
            assert!(
                page.contains("<title>qrcp-scan organisation report · organisation: "),
                "{}",
                &page[..page.len().min(2000)]
            );
        }
        if f == "sarif" {
            let sarif = org.t.write("org.sarif", &o.stdout);
            let v: Value = serde_json::from_slice(&o.stdout).unwrap();
            let uris: BTreeSet<&str> = v["runs"][0]["results"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|r| {
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str()
                })
                .collect();
            assert!(
                uris.iter().any(|u| u.ends_with("repos/r05/.env")),
                "paths carry their repository: {uris:?}"
            );
            if let Some(mt) = crate::ci::multitool() {
                assert_eq!(crate::ci::sarif_problems(&mt, &sarif, &org.t), vec![]);
            }
        }
    }
    let human = stdout(&org.merge(&outs, &[]));
    assert!(human.contains("in 3 repositories"), "{human}");

    // A missing shard is named, and the merge does not pass for complete.
    let partial = org.merge(&outs[..2], &["--format", "json"]);
    let p = json(&partial);
    assert_eq!(p["shards"]["missing"], serde_json::json!(["3/3"]));
    assert!(
        stderr(&partial).contains("shard 3/3: missing"),
        "{}",
        stderr(&partial)
    );
}

#[test]
fn r15_merge_verifies_each_distinct_key_once() {
    let org = org();
    let outs = org.scan_shards(2);
    let server = ApiServer::start();
    for k in &org.keys {
        server.set(k, KeyState::Active);
    }
    server.set(&org.keys[1], KeyState::Revoked);
    // The merge job runs elsewhere: no cache there, the file:// repositories are
    // cloned again to read their keys back.
    std::fs::remove_dir_all(org.cache()).unwrap();
    let log = org.t.join("audit.jsonl");
    let o = org
        .t
        .cmd()
        .args(["org", "merge"])
        .args(&outs)
        .arg("--cache")
        .arg(org.t.join("merge-cache"))
        .args([
            "--verify",
            "--format",
            "json",
            "--api-url",
            &server.url,
            "--audit-log",
        ])
        .arg(&log)
        .output()
        .unwrap();
    org.no_key_in(&o);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let report = json(&o);
    assert_eq!(
        server.requests().len(),
        org.keys.len(),
        "{:?}",
        server.requests()
    );
    for k in &org.keys {
        assert_eq!(server.requests_with(k).len(), 1);
    }
    for g in report["keys"].as_array().unwrap() {
        let want = if g["fingerprint"] == sha256_hex(&org.keys[1]).as_str() {
            "inactive"
        } else {
            "active"
        };
        assert_eq!(g["verification"], want, "{g}");
    }
    org.lists_no_key(&std::fs::read_to_string(&log).unwrap());

    // --revoke: one revocation per distinct key, wherever and however often it lives.
    server.clear_log();
    let o = org
        .t
        .cmd()
        .args(["org", "merge"])
        .args(&outs)
        .arg("--cache")
        .arg(org.t.join("merge-cache"))
        .args(["--revoke", "--yes", "--api-url", &server.url, "--audit-log"])
        .arg(&log)
        .output()
        .unwrap();
    org.no_key_in(&o);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let posts: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), org.keys.len(), "{posts:?}");
    for k in &org.keys {
        assert_eq!(server.state(k), Some(KeyState::Revoked));
    }
}

#[test]
fn r15_shard_from_env_and_failures() {
    let org = org();
    let mut list = std::fs::read_to_string(&org.list).unwrap();
    list += &format!("{}\n", org.t.join("repos/not-there").display());
    list += "file:///nonexistent/qrcp-org-test.git\n";
    org.t.write("repos.txt", list);
    let mut outs = Vec::new();
    for index in 0..2 {
        let out = org.t.join(&format!("k8s-{index}.jsonl"));
        let o = org
            .t
            .cmd()
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .args([
                "org",
                "scan",
                "--repos",
                "repos.txt",
                "--shard-from-env",
                "--shards",
                "2",
                "--cache",
            ])
            .arg(org.cache())
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        org.no_key_in(&o);
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains(&format!("\"shard\":\"{}/2\"", index + 1)));
        outs.push(out);
    }
    let o = org.merge(&outs, &["--format", "json"]);
    let report = json(&o);
    let failed: Vec<&str> = report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["repository"].as_str().unwrap())
        .collect();
    assert_eq!(failed.len(), 2, "{report}");
    assert!(failed.iter().any(|r| r.ends_with("not-there")));
    assert_eq!(report["stats"]["scanned"], 12);
    assert_eq!(report["stats"]["repositories"], 14);
    // An index out of range is an error, not a silent empty shard.
    let o = org
        .t
        .cmd()
        .env("JOB_COMPLETION_INDEX", "2")
        .args([
            "org",
            "scan",
            "--repos",
            "repos.txt",
            "--shard-from-env",
            "--shards",
            "2",
            "-o",
            "x.jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("JOB_COMPLETION_INDEX"),
        "{}",
        stderr(&o)
    );
    // A clean organisation exits 0; a failed repository alone exits 2.
    let clean = org.t.write("clean.txt", format!("{}\n", org.names[3]));
    let o = org
        .t
        .cmd()
        .args(["org", "scan", "--repos"])
        .arg(&clean)
        .args(["-o", "clean.jsonl", "--cache"])
        .arg(org.cache())
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    org.t.write("bad.txt", "/nonexistent/qrcp-org\n");
    let o = org
        .t
        .run(&["org", "scan", "--repos", "bad.txt", "-o", "bad.jsonl"]);
    assert_eq!(code(&o), 2);
    let o = org.merge(&[org.t.join("bad.jsonl")], &[]);
    assert_eq!(code(&o), 2);
    assert!(
        stdout(&o).contains("not scanned: /nonexistent/qrcp-org"),
        "{}",
        stdout(&o)
    );
}

/// The engines' manifests pass their validators, and agree with the commands.
#[test]
fn r15_engine_manifests_validate() {
    let dir = repo_root().join("docs/org");
    let workflow = dir.join("github-actions.yml");
    let job = dir.join("k8s-indexed-job.yaml");
    if let Some(actionlint) = tool("actionlint") {
        let o = Command::new(actionlint).arg(&workflow).output().unwrap();
        assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    }
    if let Some(validate) = tool("kubernetes-validate") {
        let o = Command::new(validate)
            .arg("--strict")
            .arg(&job)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    }
    let yaml = std::fs::read_to_string(&job).unwrap();
    assert!(yaml.contains("completionMode: Indexed"));
    let n = yaml
        .lines()
        .find_map(|l| l.trim().strip_prefix("completions: "))
        .unwrap();
    assert_eq!(yaml.matches(&format!("--shards {n}")).count(), 1);
    assert!(
        yaml.contains(&format!("-ge {n} ]")),
        "the merge waits for {n} shards"
    );
    let wf = std::fs::read_to_string(&workflow).unwrap();
    assert!(
        wf.contains("--format github-matrix") && wf.contains("fromJSON(needs.plan.outputs.matrix)")
    );
    // Every flag the manifests give exists: `--help` of the subcommand names it.
    for (sub, text) in [
        ("scan", &yaml),
        ("merge", &yaml),
        ("scan", &wf),
        ("merge", &wf),
    ] {
        let help = stdout(&qrcp().args(["org", sub, "--help"]).output().unwrap());
        for line in text
            .lines()
            .filter(|l| l.contains(&format!("qrcp-scan org {sub} ")))
        {
            for flag in line.split_whitespace().filter(|w| w.starts_with("--")) {
                assert!(
                    help.contains(flag),
                    "{flag} (in {line:?}) is not an option of org {sub}"
                );
            }
        }
    }
}

/// A token in a repository URL never reaches an output: repositories are named
/// without credentials, and git's messages are cleaned of them.
#[test]
fn r15_credentials_in_urls_are_never_written() {
    let t = Tree::new();
    let token = format!("tok{}", random_body(24));
    t.write(
        "repos.txt",
        format!("https://x-access-token:{token}@127.0.0.1:1/org/web.git\n"),
    );
    let o = t.run(&[
        "org",
        "scan",
        "--repos",
        "repos.txt",
        "-o",
        "s.jsonl",
        "--cache",
        "c",
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let jsonl = std::fs::read_to_string(t.join("s.jsonl")).unwrap();
    assert!(
        jsonl.contains("\"repository\":\"https://***@127.0.0.1:1/org/web.git\""),
        "{jsonl}"
    );
    assert!(jsonl.contains("\"type\":\"failure\""), "{jsonl}");
    let merged = t.run(&["org", "merge", "s.jsonl", "--format", "json"]);
    let plan = t.run(&["org", "plan", "--repos", "repos.txt", "--shards", "1"]);
    for text in [
        stdout(&o),
        stderr(&o),
        jsonl,
        stdout(&merged),
        stderr(&merged),
        stdout(&plan),
    ] {
        assert!(!text.contains(&token[3..]), "the token leaked:\n{text}");
    }
}
