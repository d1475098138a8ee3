//! CI formats (SARIF validated by the real SARIF Multitool with GitHub's rules,
//! JUnit parsed by a real XML parser, GitHub workflow commands), baselines, and
//! the GitHub Action validated against the vendored schemas.

use std::path::PathBuf;
use std::process::Command;

use crate::util::*;

/// The SARIF Multitool's native binary (the npm wrapper runs arguments through a
/// shell, which splits `--rule-kind "Gh;Sarif"`).
pub fn multitool() -> Option<PathBuf> {
    let native = repo_root().join("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    if native.is_file() {
        return Some(native);
    }
    tool("Sarif.Multitool")
}

/// Runs `Sarif.Multitool validate --rule-kind "Gh;Sarif"` and returns the
/// (rule, message) of every error and warning it reports.
pub fn sarif_problems(tool: &PathBuf, sarif: &std::path::Path, t: &Tree) -> Vec<(String, String)> {
    let out = t.join("validation.sarif");
    let _ = std::fs::remove_file(&out);
    let o = Command::new(tool)
        .args([
            "validate",
            "--rule-kind",
            "Gh;Sarif",
            "--level",
            "Error;Warning",
            "--output",
        ])
        .arg(&out)
        .arg(sarif)
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "multitool failed:\n{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    let log: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap_or("").to_string(),
                r["message"].to_string(),
            )
        })
        .collect()
}

fn fixture_tree() -> (Tree, String, String) {
    let t = Tree::new();
    let (live, test) = (live_key(), test_key());
    t.write(
        "web/src/config.ts",
        format!("export const apiKey = \"{live}\";\n"),
    );
    t.write(
        "web/dist/app.min.js",
        format!("{}var k=\"{test}\";", "var a=1;".repeat(10_000)),
    );
    t.write(
        ".env.production",
        "NEXT_PUBLIC_QRCODEPRO_API_KEY=${{ secrets.KEY }}\n",
    );
    t.write("odd dir/ü, file%.js", format!("k='{live}'"));
    (t, live, test)
}

#[test]
fn sarif_passes_the_multitool_with_github_rules() {
    let Some(mt) = multitool() else { return };
    let (t, live, test) = fixture_tree();
    let o = t.run(&["dir", "--format", "sarif", "--output", "report.sarif"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let text = std::fs::read_to_string(t.join("report.sarif")).unwrap();
    assert_text_lacks(&text, &live);
    assert_text_lacks(&text, &test);
    assert_eq!(sarif_problems(&mt, &t.join("report.sarif"), &t), vec![]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let run = &v["runs"][0];
    assert_eq!(v["version"], "2.1.0");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let live_rule = rules.iter().find(|r| r["id"] == "qrcp-live-key").unwrap();
    assert!(
        live_rule["help"]["text"]
            .as_str()
            .unwrap()
            .contains("Revoke")
    );
    assert!(
        live_rule["help"]["text"]
            .as_str()
            .unwrap()
            .contains("filter-repo")
    );
    assert_eq!(live_rule["properties"]["security-severity"], "9.5");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    let r = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "web/src/config.ts"
        })
        .unwrap();
    assert_eq!(r["level"], "error");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startColumn"],
        24
    );
    assert_eq!(
        r["partialFingerprints"]["qrcpKeyFingerprint/v1"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    assert!(results.iter().any(
        |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            == "odd%20dir/%C3%BC,%20file%25.js"
    ));
}

#[test]
fn the_multitool_really_rejects_bad_sarif() {
    let Some(mt) = multitool() else { return };
    let (t, _, _) = fixture_tree();
    let o = t.run(&["dir", "--format", "sarif"]);
    let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"] =
        serde_json::json!({"uri": "/abs/x.js"});
    std::fs::write(t.join("bad.sarif"), v.to_string()).unwrap();
    assert!(!sarif_problems(&mt, &t.join("bad.sarif"), &t).is_empty());
}

#[test]
fn junit_parses_with_one_failure_per_finding() {
    let (t, live, _) = fixture_tree();
    let o = t.run(&["dir", "--format", "junit", "--output", "report.xml"]);
    assert_eq!(code(&o), 1);
    let xml = std::fs::read_to_string(t.join("report.xml")).unwrap();
    assert_text_lacks(&xml, &live);
    let parse = |file: &str| {
        Command::new("python3")
            .args([
                "-c",
                "import sys, xml.etree.ElementTree as ET\n\
                 root = ET.parse(sys.argv[1]).getroot()\n\
                 s = root.find('testsuite')\n\
                 cases = s.findall('testcase')\n\
                 print(root.tag, s.get('tests'), s.get('failures'), len(cases), sum(1 for c in cases if c.find('failure') is not None))",
            ])
            .arg(t.join(file))
            .output()
            .unwrap()
    };
    let p = parse("report.xml");
    assert!(p.status.success(), "{}", stderr(&p));
    assert_eq!(stdout(&p).trim(), "testsuites 5 5 5 5");
    // A clean scan is a passing suite.
    let clean = Tree::new();
    clean.write("a.txt", "nothing");
    let o = clean.run(&["dir", "--format", "junit"]);
    assert_eq!(code(&o), 0);
    std::fs::write(t.join("clean.xml"), &o.stdout).unwrap();
    assert_eq!(stdout(&parse("clean.xml")).trim(), "testsuites 1 0 1 0");
}

#[test]
fn github_annotations_escape_properties_and_data() {
    let t = Tree::new();
    let key = live_key();
    t.write("a,b:c%d.js", format!("\n  k = '{key}'\n"));
    t.write(".env", "X=1\n");
    let o = t.run(&["dir", "--format", "github"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert_secret_absent(&o, &key);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("::warning file=.env,title=dotenv file (not in a git repository) (dotenv-file)::dotenv file (not in a git repository)%0Anote: keep it out of any repository and out of what you deploy%0Ahelp: "), "{out}");
    let expected = format!(
        "::error file=a%2Cb%3Ac%25d.js,line=2,col=8,endLine=2,endColumn={},title=QRCodePro live API key (qrcp-live-key)::QRCodePro live API key {}… (fingerprint ",
        8 + key.len(),
        &key[..14]
    );
    assert!(lines[1].starts_with(&expected), "{}\n{expected}", lines[1]);
    assert!(!out.contains('\r'));
}

#[test]
fn baseline_hides_old_findings_not_new_ones() {
    let t = Tree::new();
    let old = live_key();
    let mut lines: Vec<String> = (0..20).map(|i| format!("line {i}")).collect();
    lines[3] = format!("const k = '{old}';");
    t.write("src/app.js", lines.join("\n"));
    t.write(".env", "A=1\n");
    let o = t.run(&[
        "baseline",
        "create",
        "dir",
        ".",
        "--output",
        ".qrcp-scan-baseline.json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let baseline = std::fs::read_to_string(t.join(".qrcp-scan-baseline.json")).unwrap();
    assert_text_lacks(&baseline, &old);
    let v: serde_json::Value = serde_json::from_str(&baseline).unwrap();
    let keys: Vec<Vec<&String>> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_object().unwrap().keys().collect())
        .collect();
    assert!(
        keys.iter().all(|k| k == &["fingerprint", "path", "rule"]),
        "no line numbers, secrets or times: {keys:?}"
    );
    assert_eq!(
        v.as_object().unwrap().len(),
        3,
        "only version, tool and findings: {v}"
    );
    let entries: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rule"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        entries,
        vec!["dotenv-file", "qrcp-live-key"],
        "sorted by rule, then path"
    );
    // Same tree: clean.
    let o = t.run(&[
        "dir",
        "--baseline",
        ".qrcp-scan-baseline.json",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(json(&o)["stats"]["baselined"], 2);
    // The old key moved ten lines down: still known.
    lines.remove(3);
    lines.insert(13, format!("const k = '{old}';"));
    t.write("src/app.js", lines.join("\n"));
    let o = t.run(&["dir", "--baseline", ".qrcp-scan-baseline.json"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // A new key fails, and only it is reported.
    let new = live_key();
    t.write("src/new.js", format!("k='{new}'"));
    let o = t.run(&[
        "dir",
        "--baseline",
        ".qrcp-scan-baseline.json",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        found(&json(&o)),
        vec![("qrcp-live-key".into(), "src/new.js".into(), Some(1))]
    );
    // The baseline is stable: re-creating it gives the same bytes for the same findings.
    t.write("src/new.js", "");
    let o = t.run(&["baseline", "create", "dir", "."]);
    assert_eq!(stdout(&o), baseline);
}

#[test]
fn fail_on_sets_the_threshold() {
    let t = Tree::new();
    t.write("a.txt", test_key());
    assert_eq!(code(&t.run(&["dir"])), 1);
    assert_eq!(code(&t.run(&["dir", "--fail-on", "warning"])), 1);
    assert_eq!(code(&t.run(&["dir", "--fail-on", "error"])), 0);
    assert_eq!(code(&t.run(&["dir", "--fail-on", "never"])), 0);
    t.write("b.txt", live_key());
    assert_eq!(code(&t.run(&["dir", "--fail-on", "error"])), 1);
}

#[test]
fn bad_baseline_is_a_clear_error() {
    let t = Tree::new();
    t.write(
        "b.json",
        "{\"version\": 7, \"tool\": \"qrcp-scan\", \"findings\": []}",
    );
    let o = t.run(&["dir", "--baseline", "b.json"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("baseline version 7 is not supported"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn action_and_example_workflows_validate() {
    let Some(check) = tool("check-jsonschema") else {
        return;
    };
    let root = repo_root();
    for (schema, file) in [
        ("vendor.github-actions", "action.yml"),
        ("vendor.github-workflows", "docs/github-workflow.yml"),
        ("vendor.gitlab-ci", "docs/gitlab-ci.yml"),
    ] {
        let o = Command::new(&check)
            .args(["--builtin-schema", schema])
            .arg(root.join(file))
            .output()
            .unwrap();
        assert!(o.status.success(), "{file}: {}\n{}", stdout(&o), stderr(&o));
    }
}

/// Every workflow we document passes actionlint, which also knows which action
/// versions run on a runtime GitHub has retired. The composite action's own `uses:`
/// is linted through a workflow that calls the same action version.
#[test]
fn documented_workflows_pass_actionlint() {
    let Some(lint) = tool("actionlint") else {
        return;
    };
    let root = repo_root();
    let mut workflows: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .chain(
            std::fs::read_dir(root.join("docs/org"))
                .into_iter()
                .flatten(),
        )
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            p.extension().is_some_and(|e| e == "yml" || e == "yaml") && text.contains("\njobs:")
        })
        .collect();
    workflows.sort();
    assert!(
        workflows
            .iter()
            .any(|p| p.ends_with("docs/github-workflow.yml")),
        "{workflows:?}"
    );
    // action.yml is not a workflow: wrap each of its steps' `uses:` in one.
    let action = std::fs::read_to_string(root.join("action.yml")).unwrap();
    let uses: Vec<&str> = action
        .lines()
        .filter_map(|l| l.trim().strip_prefix("uses: "))
        .collect();
    assert!(!uses.is_empty());
    let t = tempfile::TempDir::new().unwrap();
    let wrapped = t.path().join("action-uses.yml");
    let mut text = String::from("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n");
    for u in &uses {
        text.push_str(&format!(
            "      - uses: {u}\n        with:\n          sarif_file: x.sarif\n"
        ));
    }
    std::fs::write(&wrapped, text).unwrap();
    workflows.push(wrapped);
    for w in &workflows {
        let o = Command::new(&lint).arg(w).output().unwrap();
        assert!(
            o.status.success(),
            "{}: {}\n{}",
            w.display(),
            stdout(&o),
            stderr(&o)
        );
    }
    // A control: actionlint really rejects a retired runtime.
    let old = t.path().join("old.yml");
    std::fs::write(
        &old,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n",
    )
    .unwrap();
    let o = Command::new(&lint).arg(&old).output().unwrap();
    assert!(!o.status.success(), "actionlint accepted checkout@v4");
}

#[test]
fn sarif_of_git_history_passes_the_multitool() {
    let Some(mt) = multitool() else { return };
    let r = crate::git::Repo::init();
    let (a, b, c) = (live_key(), test_key(), live_key());
    r.write("src/a.py", &format!("k = '{a}'\n"));
    let c1 = r.commit("add the client");
    r.write("src/a.py", "import os\nk = os.environ['K']\n");
    r.write(".env", "X=1\n");
    r.commit(&format!("rotate the key; the old one was {b}"));
    // A commit amended away: unreachable, still in the object store.
    r.write("tmp.txt", &c);
    r.commit("oops");
    r.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let out = Tree::new();
    let sarif = out.join("history.sarif");
    let o = r.scan(&[
        "git",
        ".",
        "--format",
        "sarif",
        "--output",
        sarif.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let text = std::fs::read_to_string(&sarif).unwrap();
    for k in [&a, &b, &c] {
        assert_text_lacks(&text, k);
    }
    assert_eq!(sarif_problems(&mt, &sarif, &out), vec![]);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4, "{text}");
    let file = results
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/a.py")
        .unwrap();
    assert_eq!(
        file["properties"]["commit"],
        c1.as_str(),
        "git findings point at the commit"
    );
    assert!(
        file["message"]["text"]
            .as_str()
            .unwrap()
            .contains(&c1[..12])
    );
    let message = results
        .iter()
        .find(|r| r["locations"][0]["logicalLocations"].is_array())
        .unwrap();
    assert_eq!(message["ruleId"], "qrcp-test-key");
    assert!(
        message["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap()
            .starts_with("message of ")
    );
    assert!(
        results
            .iter()
            .any(|r| r["properties"]["source"] == "git-unreachable")
    );
    assert!(results.iter().any(|r| r["ruleId"] == "dotenv-file"));
}

/// Every result's artifact location, as (uri, uriBaseId).
fn sarif_locations(v: &serde_json::Value) -> Vec<(String, Option<String>)> {
    v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let a = &r["locations"][0]["physicalLocation"]["artifactLocation"];
            (
                a["uri"].as_str().unwrap().to_string(),
                a["uriBaseId"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// `dir "$GITHUB_WORKSPACE"`, `dir src`, `dir ..` and `git /abs/repo`: URIs relative
/// to the scanned repository under `%SRCROOT%` (whose `file://` URI is given), or
/// an absolute `file://` URI for a file outside it; all pass GitHub's rules.
#[test]
fn sarif_of_absolute_and_relative_scans_uses_srcroot() {
    let mt = multitool();
    let r = crate::git::Repo::init();
    let key = live_key();
    r.write("src/a b.js", &format!("k = '{key}'\n"));
    r.commit("add");
    let outside = Tree::new();
    outside.write("x.js", format!("k = '{key}'\n"));
    let root = r.dir.canonicalize().unwrap();
    let abs = root.to_str().unwrap();
    let root_uri = format!("file://{}/", abs.replace(' ', "%20"));
    let out = Tree::new();
    let outside_abs = outside.path().canonicalize().unwrap();
    let cases: Vec<(&str, Vec<String>, PathBuf)> = vec![
        ("dir-abs", vec!["dir".into(), abs.into()], root.clone()),
        ("dir-rel", vec!["dir".into(), "src".into()], root.clone()),
        ("dir-sub", vec!["dir".into(), "..".into()], root.join("src")),
        ("git-abs", vec!["git".into(), abs.into()], root.clone()),
        ("git-rel", vec!["git".into(), ".".into()], root.join("src")),
        (
            "dir-outside",
            vec![
                "dir".into(),
                abs.into(),
                outside_abs.to_str().unwrap().into(),
            ],
            root.clone(),
        ),
    ];
    for (name, args, cwd) in cases {
        let file = out.join(&format!("{name}.sarif"));
        let o = crate::util::qrcp()
            .current_dir(&cwd)
            .args(&args)
            .args(["--format", "sarif", "--output", file.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(code(&o), 1, "{name}: {}", stderr(&o));
        let text = std::fs::read_to_string(&file).unwrap();
        assert_text_lacks(&text, &key);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"], root_uri,
            "{name}: {text}"
        );
        let mut locs = sarif_locations(&v);
        locs.sort();
        let mut want = vec![("src/a%20b.js".to_string(), Some("%SRCROOT%".to_string()))];
        if name == "dir-outside" {
            let x = format!("file://{}/x.js", outside_abs.to_str().unwrap());
            want.push((x, None));
            want.sort();
        }
        assert_eq!(locs, want, "{name}: {text}");
        if let Some(mt) = &mt {
            assert_eq!(sarif_problems(mt, &file, &out), vec![], "{name}");
        }
    }
}

/// A baseline that hides nothing says so, and why: made from another folder, its
/// paths don't meet this scan's; a baseline that matches stays quiet.
#[test]
fn a_baseline_that_matches_nothing_says_why() {
    let t = Tree::new();
    let key = live_key();
    t.write("web/a.js", format!("k = '{key}'\n"));
    let o = t.run(&["baseline", "create", "dir", "web", "--output", "base.json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = t.run(&["dir", "web", "--baseline", "base.json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!stderr(&o).contains("baseline entr"), "{}", stderr(&o));
    let o = t
        .cmd()
        .current_dir(t.join("web"))
        .args(["dir", ".", "--baseline", "../base.json"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(
        err.contains("qrcp-scan: note: --baseline: 0 of 1 baseline entry matched: none of its paths (e.g. `web/a.js`) is there from this folder"),
        "{err}"
    );
    assert_secret_absent(&o, &key);
}
