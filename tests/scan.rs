//! `dir` and `stdin`: every rule, placeholders, awkward bytes and files, output
//! formats, redaction, filters and exit statuses.

use crate::bundles::finding_of;
use crate::util::*;

fn scan_json(t: &Tree, args: &[&str]) -> (std::process::Output, serde_json::Value) {
    let mut all = vec!["dir"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let o = t.run(&all);
    let v = json(&o);
    (o, v)
}

fn finding<'a>(v: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {v:#}"))
}

#[test]
fn live_and_test_keys_with_exact_positions() {
    let t = Tree::new();
    let (live, test) = (live_key(), test_key());
    t.write(
        "web/src/config.ts",
        format!("// config\n  const apiKey = \"{live}\";\nconst t = '{test}'\n"),
    );
    let (o, v) = scan_json(&t, &[]);
    assert_eq!(code(&o), 1);
    let f = finding(&v, "qrcp-live-key");
    assert_eq!(f["path"], "web/src/config.ts");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(2), Some(19))
    );
    assert_eq!(f["end_column"].as_u64(), Some(19 + live.len() as u64));
    assert_eq!(f["severity"], "error");
    assert_eq!(f["source"], "file");
    assert_eq!(f["secret"], format!("{}…", &live[..14]));
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 64);
    let f = finding(&v, "qrcp-test-key");
    assert_eq!(
        (
            f["line"].as_u64(),
            f["column"].as_u64(),
            f["severity"].as_str()
        ),
        (Some(3), Some(12), Some("warning"))
    );
    assert_secret_absent(&o, &live);
    assert_secret_absent(&o, &test);
}

#[test]
fn one_key_in_two_places_has_one_fingerprint() {
    let t = Tree::new();
    let key = live_key();
    t.write("a.js", format!("k='{key}'"));
    t.write("b/c.py", format!("K = \"{key}\"\n"));
    let (_, v) = scan_json(&t, &[]);
    let fps: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].clone())
        .collect();
    assert_eq!(fps.len(), 2);
    assert_eq!(fps[0], fps[1]);
}

#[test]
fn placeholders_are_counted_not_reported() {
    let t = Tree::new();
    let text = [
        "qrcp_live_xxxxxxxxxxxxxxxxxxxx",
        "qrcp_live_XXXXXXXXXXXXXXXXXXXXXXXX",
        "qrcp_test_aaaaaaaaaaaaaaaaaaaaaaaa",
        "qrcp_live_abcdefghijklmnopqrstuvwx",
        "qrcp_live_12345678901234567890",
        "qrcp_live_${QRCODEPRO_API_KEY}",
        "qrcp_live_{{ api_key }}",
        "qrcp_live_<your-key>",
        "qrcp_live_Zk3q9WmP",
        "qrcp_live_key_id",
        "qrcp_live_abababababababababababab",
        "qrcp_test_YOURKEYHEREYOURKEYHERE",
        "qrcp_live_aB1aB1aB1aB1aB1aB1aB1aB1",
    ]
    .join("\n");
    t.write("docs/keys.md", &text);
    let (o, v) = scan_json(&t, &[]);
    assert_eq!(code(&o), 0, "{v:#}");
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert_eq!(v["stats"]["placeholders"], 13);
    // A bare prefix in prose is neither.
    t.write(
        "docs/keys.md",
        "Keys start with `qrcp_live_` or qrcp_test_.\n",
    );
    let (_, v) = scan_json(&t, &[]);
    assert_eq!(v["stats"]["placeholders"], 0);
}

#[test]
fn prefix_is_case_sensitive() {
    let t = Tree::new();
    let key = live_key().replace("qrcp_live_", "QRCP_LIVE_");
    t.write("a.txt", &key);
    let (o, _) = scan_json(&t, &[]);
    assert_eq!(code(&o), 0);
}

/// Dotenv files and their copies (an editor's backup, a desktop's copy), not
/// templates nor files encrypted to be committed.
#[test]
fn dotenv_files_but_not_templates() {
    let t = Tree::new();
    let dotenv = [
        ".env",
        ".env.local",
        ".env.production",
        "config/.env",
        "deploy/prod.env",
        ".env~",
        ".env.bak",
        ".env (copy)",
        ".env-staging",
    ];
    for p in dotenv {
        t.write(p, "A=1\n");
    }
    for p in [
        ".env.example",
        ".env.sample",
        ".env.template",
        ".env.dist",
        "config/.env.example",
        ".envrc",
        ".env-example",
        ".env.enc",
        ".env.production.gpg",
        ".env.sops.yaml",
    ] {
        t.write(p, "A=1\n");
    }
    let (o, v) = scan_json(&t, &[]);
    assert_eq!(code(&o), 1);
    let paths = found(&v);
    let mut expect: Vec<(String, String, Option<u64>)> = dotenv
        .iter()
        .map(|p| ("dotenv-file".to_string(), p.to_string(), None))
        .collect();
    expect.sort();
    assert_eq!(paths, expect);
    let f = finding(&v, "dotenv-file");
    assert_eq!(f["severity"], "warning");
    assert!(f["secret"].is_null() && f["line"].is_null());
}

#[test]
fn key_in_dotenv_is_reported_by_its_own_rule_too() {
    let t = Tree::new();
    let key = live_key();
    t.write(".env", format!("QRCODEPRO_API_KEY={key}\n"));
    let (_, v) = scan_json(&t, &[]);
    let rules: Vec<_> = found(&v).into_iter().map(|(r, _, _)| r).collect();
    assert_eq!(rules, vec!["dotenv-file", "qrcp-live-key"]);
}

#[test]
fn client_exposed_env_wherever_defined() {
    let t = Tree::new();
    let key = live_key();
    t.write(".env.local", format!("NEXT_PUBLIC_QRCODEPRO_API_KEY={key}\nNEXT_PUBLIC_QRCODEPRO_BASE_URL=https://api.qrcodepro.io\n"));
    t.write(
        ".github/workflows/deploy.yml",
        "env:\n  VITE_QRCP_KEY: ${{ secrets.QRCP_KEY }}\n",
    );
    t.write(
        "Dockerfile",
        "FROM node\nENV REACT_APP_QRCODEPRO_TOKEN placeholder\n",
    );
    t.write(
        "k8s/web.yaml",
        "env:\n  - name: EXPO_PUBLIC_QRCODEPRO_SECRET\n    valueFrom: {}\n",
    );
    t.write(
        "package.json",
        "{\"scripts\": {\"build\": \"NUXT_PUBLIC_QRCP_API_KEY=$KEY nuxt build\"}}\n",
    );
    t.write(
        "src/read.ts",
        "const k = process.env.NEXT_PUBLIC_QRCODEPRO_API_KEY;\n",
    );
    t.write("server.env.ts", "const QRCODEPRO_API_KEY = 1;\n");
    let (_, v) = scan_json(&t, &[]);
    let got: Vec<_> = found(&v)
        .into_iter()
        .filter(|(r, _, _)| r == "client-exposed-env")
        .collect();
    let want: Vec<(String, String, Option<u64>)> = vec![
        ("client-exposed-env".into(), ".env.local".into(), Some(1)),
        (
            "client-exposed-env".into(),
            ".github/workflows/deploy.yml".into(),
            Some(2),
        ),
        ("client-exposed-env".into(), "Dockerfile".into(), Some(2)),
        ("client-exposed-env".into(), "k8s/web.yaml".into(), Some(2)),
        ("client-exposed-env".into(), "package.json".into(), Some(1)),
        // A client-side read: the bundler inlines it too (a warning).
        ("client-exposed-env".into(), "src/read.ts".into(), Some(1)),
    ];
    assert_eq!(got, want);
    let severities: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "client-exposed-env")
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert_eq!(
        severities,
        ["error", "error", "error", "error", "error", "warning"]
    );
    // The value assigned to the variable is not printed either.
    let o = t.run(&["dir", "--color", "never"]);
    assert_secret_absent(&o, &key);
}

#[test]
fn crlf_no_trailing_newline_start_and_end_of_file() {
    let t = Tree::new();
    let (a, b, c) = (live_key(), live_key(), test_key());
    t.write("crlf.txt", format!("x\r\ny = {a}\r\nz\r\n"));
    t.write("start.txt", format!("{b} is first"));
    t.write("end.txt", format!("last is\n{c}"));
    let (_, v) = scan_json(&t, &[]);
    let pos: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["end_column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pos,
        vec![
            ("crlf.txt".to_string(), 2, 5, 5 + a.len() as u64),
            ("end.txt".to_string(), 2, 1, 1 + c.len() as u64),
            ("start.txt".to_string(), 1, 1, 1 + b.len() as u64),
        ]
    );
    let o = t.run(&["dir", "--color", "never"]);
    assert!(!stdout(&o).contains('\r'), "raw CR in output");
}

#[test]
fn two_keys_on_one_line() {
    let t = Tree::new();
    let (a, b) = (live_key(), live_key());
    t.write("two.js", format!("f(\"{a}\",\"{b}\")\n"));
    let (_, v) = scan_json(&t, &[]);
    let cols: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["column"].as_u64().unwrap())
        .collect();
    assert_eq!(cols, vec![4, 4 + a.len() as u64 + 3]);
    let o = t.run(&["dir", "--color", "never"]);
    assert_secret_absent(&o, &a);
    assert_secret_absent(&o, &b);
}

#[test]
fn multi_megabyte_minified_line_is_clipped() {
    let t = Tree::new();
    let key = live_key();
    let mut js = "var a=1;".repeat(600_000);
    let col = js.chars().count() + 4;
    js.push_str(&format!("x=\"{key}\";"));
    js.push_str(&"b=2;".repeat(5_000));
    t.write("web/dist/app.min.js", &js);
    let (_, v) = scan_json(&t, &[]);
    let f = finding(&v, "qrcp-live-key");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(1), Some(col as u64))
    );
    let o = t.run(&["dir", "--color", "never"]);
    let out = stdout(&o);
    assert!(
        out.contains(&format!("web/dist/app.min.js:1:{col}")),
        "{out}"
    );
    assert!(
        out.len() < 3_000,
        "the whole line was printed ({} bytes)",
        out.len()
    );
    assert!(out.contains('…'));
    assert_secret_absent(&o, &key);
}

#[test]
fn columns_count_characters() {
    let t = Tree::new();
    let key = live_key();
    t.write("u.txt", format!("ключ = «{key}»\n"));
    let (_, v) = scan_json(&t, &[]);
    assert_eq!(finding(&v, "qrcp-live-key")["column"].as_u64(), Some(9));
}

#[test]
fn invalid_utf8_around_a_key() {
    let t = Tree::new();
    let key = live_key();
    let mut bytes = b"\xff\xfe\x80 bad bytes \xc3\x28 ".to_vec();
    bytes.extend_from_slice(key.as_bytes());
    bytes.extend_from_slice(b" \xe2\x82\n");
    t.write("bad.txt", bytes);
    let (o, v) = scan_json(&t, &[]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        found(&v),
        vec![("qrcp-live-key".into(), "bad.txt".into(), Some(1))]
    );
    let o = t.run(&["dir", "--color", "never"]);
    assert_eq!(code(&o), 1);
    assert_secret_absent(&o, &key);
}

#[test]
fn binary_files_skipped_unless_named_or_asked() {
    let t = Tree::new();
    let key = live_key();
    let mut bytes = vec![0u8; 64];
    bytes.extend_from_slice(key.as_bytes());
    t.write("img/blob.bin", &bytes);
    let (o, v) = scan_json(&t, &[]);
    assert_eq!(code(&o), 0);
    assert_eq!(v["stats"]["skipped"], 1);
    let (o, _) = scan_json(&t, &["--binary"]);
    assert_eq!(code(&o), 1);
    let (o, _) = scan_json(&t, &["img/blob.bin"]);
    assert_eq!(
        code(&o),
        1,
        "a file named on the command line is always scanned"
    );
}

#[test]
fn nonexistent_path_is_an_error() {
    let t = Tree::new();
    let o = t.run(&["dir", "no/such/place"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no/such/place: no such file or folder"),
        "{err}"
    );
}

#[test]
fn nonexistent_path_beside_findings_exits_1() {
    let t = Tree::new();
    t.write("a.txt", live_key());
    let o = t.run(&["dir", "a.txt", "missing.txt"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("missing.txt: no such file or folder"));
}

/// Runs as an unprivileged user when the tests run as root (as CI does), so that
/// file permissions apply.
fn run_unprivileged(t: &Tree, args: &[&str]) -> std::process::Output {
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| stdout(&o).trim() == "0")
        .unwrap_or(false);
    if !is_root {
        return t.run(args);
    }
    let setpriv = tool("setpriv").expect("setpriv (util-linux)");
    // The binary and the tree must be reachable by `nobody`.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::process::Command::new(setpriv)
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_qrcp-scan"),
        ])
        .args(args)
        .current_dir(t.path())
        .output()
        .unwrap()
}

#[test]
fn unreadable_file_is_reported_and_the_scan_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let t = Tree::new();
    let key = live_key();
    t.write("ok/key.txt", &key);
    let secret = t.write("locked/secret.txt", live_key());
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    for d in ["ok", "locked"] {
        std::fs::set_permissions(t.join(d), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(t.join("ok/key.txt"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = run_unprivileged(&t, &["dir", "--color", "never"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("locked/secret.txt: permission denied"),
        "{err}"
    );
    assert!(stdout(&o).contains("ok/key.txt"));
    // Without findings, the error decides: exit 2.
    std::fs::remove_file(t.join("ok/key.txt")).unwrap();
    let o = run_unprivileged(&t, &["dir"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}

#[test]
fn symlink_loops_are_reported_not_followed() {
    let t = Tree::new();
    t.write("a/key.txt", live_key());
    std::os::unix::fs::symlink("..", t.join("a/up")).unwrap();
    std::os::unix::fs::symlink("loop2", t.join("loop1")).unwrap();
    std::os::unix::fs::symlink("loop1", t.join("loop2")).unwrap();
    // Without -L symbolic links are not followed at all.
    let o = t.run(&["dir", "--format", "json"]);
    assert_eq!(code(&o), 1);
    assert_eq!(json(&o)["findings"].as_array().unwrap().len(), 1);
    let o = t.run(&["dir", "-L", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        json(&o)["findings"].as_array().unwrap().len(),
        1,
        "the loop must not duplicate findings"
    );
    let err = stderr(&o);
    assert!(err.contains("symbolic link loop"), "{err}");
    assert!(err.lines().all(|l| l.starts_with("qrcp-scan: ")), "{err}");
}

#[test]
fn hostile_file_names_are_escaped() {
    let t = Tree::new();
    let key = live_key();
    t.write("evil\x1b[31mname\u{202e}.js", format!("k='{key}'"));
    let o = t.run(&["dir", "--color", "never"]);
    let out = stdout(&o);
    assert!(out.contains("evil\\x1b[31mname\\u{202e}.js"), "{out}");
    assert!(!out.contains('\x1b') && !out.contains('\u{202e}'));
    // JSON carries the real name, escaped by JSON itself.
    let o = t.run(&["dir", "--format", "json"]);
    assert_eq!(
        json(&o)["findings"][0]["path"],
        "evil\x1b[31mname\u{202e}.js"
    );
    assert!(!stdout(&o).contains('\x1b'));
}

#[test]
fn redaction_in_every_format_unless_no_redact() {
    let t = Tree::new();
    let key = live_key();
    t.write("k.txt", format!("a {key} b\n"));
    for format in ["human", "json", "jsonl"] {
        let o = t.run(&["dir", "--format", format, "--color", "always"]);
        assert_eq!(code(&o), 1);
        assert_secret_absent(&o, &key);
    }
    let o = t.run(&["dir", "--format", "json", "--no-redact"]);
    assert_eq!(json(&o)["findings"][0]["secret"], key.as_str());
    let o = t.run(&["dir", "--no-redact", "--color", "never"]);
    assert!(stdout(&o).contains(&key));
}

#[test]
fn jsonl_is_one_finding_per_line() {
    let t = Tree::new();
    t.write("a.txt", live_key());
    t.write("b.txt", test_key());
    let o = t.run(&["dir", "--format", "jsonl"]);
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .all(|l| l["fingerprint"].as_str().is_some_and(|f| f.len() == 64))
    );
}

#[test]
fn json_report_validates_against_the_schema() {
    let Some(check) = tool("check-jsonschema") else {
        return;
    };
    let t = Tree::new();
    t.write("a.js", format!("x='{}'", live_key()));
    t.write(".env", format!("VITE_QRCP_KEY={}\n", test_key()));
    t.write("p.md", "qrcp_live_xxxxxxxxxxxxxxxxxxxx");
    let o = t.run(&["dir", "--format", "json", "--output", "report.json"]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).is_empty(), "--output must leave stdout empty");
    let schema = repo_file("schemas/qrcp-scan-report.schema.json");
    let v = std::process::Command::new(&check)
        .arg("--schemafile")
        .arg(&schema)
        .arg(t.join("report.json"))
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "schema validation failed:\n{}\n{}",
        stdout(&v),
        stderr(&v)
    );
    // And the schema does reject a broken report (the validator is really used).
    let mut broken = json(&t.run(&["dir", "--format", "json"]));
    broken["findings"][0]["severity"] = "fatal".into();
    std::fs::write(t.join("broken.json"), broken.to_string()).unwrap();
    let v = std::process::Command::new(&check)
        .arg("--schemafile")
        .arg(&schema)
        .arg(t.join("broken.json"))
        .output()
        .unwrap();
    assert!(!v.status.success());
}

#[test]
fn serial_and_parallel_runs_agree() {
    let t = Tree::new();
    for i in 0..300 {
        let body = if i % 7 == 0 {
            format!("k{i} = '{}'\n", live_key())
        } else {
            format!("nothing {i}\n")
        };
        t.write(&format!("d{}/f{i}.txt", i % 13), body);
    }
    let (_, one) = scan_json(&t, &["--threads", "1"]);
    let (_, many) = scan_json(&t, &["--threads", "8"]);
    assert_eq!(one["findings"], many["findings"]);
    assert_eq!(one["findings"].as_array().unwrap().len(), 43);
    assert_eq!(one["stats"]["files"], 300);
}

#[test]
fn gitignore_respected_except_build_output() {
    let t = Tree::new();
    std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(t.path())
        .status()
        .unwrap();
    t.write(".gitignore", "dist/\n.next/\nignored.txt\nnode_modules/\n");
    t.write("package.json", "{}");
    t.write("dist/app.js", live_key());
    t.write(".next/static/chunk.js", live_key());
    t.write("ignored.txt", live_key());
    t.write("node_modules/lib/index.js", live_key());
    t.write("apps/site/package.json", "{}");
    t.write("apps/site/.gitignore", "build/\n");
    t.write("apps/site/build/main.js", live_key());
    let (_, v) = scan_json(&t, &[]);
    let paths: Vec<_> = found(&v).into_iter().map(|(_, p, _)| p).collect();
    assert_eq!(
        paths,
        vec![
            ".next/static/chunk.js",
            "apps/site/build/main.js",
            "dist/app.js"
        ]
    );
    let (_, v) = scan_json(&t, &["--no-ignore"]);
    assert_eq!(found(&v).len(), 5);
    // An ignored file named explicitly is scanned.
    let (_, v) = scan_json(&t, &["ignored.txt"]);
    assert_eq!(found(&v).len(), 1);
    // So is each of several named files, ignored or under node_modules, in the
    // order given; a named package.json brings its ignored build output along.
    let (_, v) = scan_json(&t, &["ignored.txt", "node_modules/lib/index.js"]);
    let paths: Vec<_> = found(&v).into_iter().map(|(_, p, _)| p).collect();
    assert_eq!(paths, vec!["ignored.txt", "node_modules/lib/index.js"]);
    let (_, v) = scan_json(&t, &["package.json", "ignored.txt"]);
    let paths: Vec<_> = found(&v).into_iter().map(|(_, p, _)| p).collect();
    assert_eq!(
        paths,
        vec![".next/static/chunk.js", "dist/app.js", "ignored.txt"]
    );
    // And build output can be switched off in the configuration.
    t.write(".qrcp-scan.toml", "scan_build_output = false\n");
    let (_, v) = scan_json(&t, &[]);
    assert_eq!(found(&v).len(), 0);
}

#[test]
fn max_file_size_skips_with_a_note() {
    let t = Tree::new();
    t.write("big.js", format!("{}{}", " ".repeat(5100), live_key()));
    t.write("small.js", live_key());
    let o = t.run(&["dir", "--max-file-size", "4K", "--format", "json"]);
    assert_eq!(code(&o), 1);
    assert_eq!(found(&json(&o)).len(), 1);
    assert!(
        stderr(&o).contains("big.js: skipped: 5.0 KiB is larger than --max-file-size (4 KiB)"),
        "{}",
        stderr(&o)
    );
    let o = t.run(&["dir", "--max-file-size", "lots"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("invalid size \"lots\""),
        "{}",
        stderr(&o)
    );
}

/// A file is read by a first read of 64 KiB and measured only when it fills it:
/// keys at the end of files just under, at and over that size are found, and a
/// limit under it still skips a larger file with its size.
#[test]
fn files_around_the_first_read_are_read_whole() {
    let t = Tree::new();
    let mut keys = Vec::new();
    for (name, size) in [
        ("under.js", 65_535),
        ("at.js", 65_536),
        ("over.js", 65_537),
        ("big.js", 300_000),
    ] {
        let key = live_key();
        let pad = size - key.len() - 1;
        t.write(name, format!("{}={key}", " ".repeat(pad)));
        keys.push(key);
    }
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    for key in &keys {
        finding_of(&v, key);
    }
    let o = t.run(&["dir", ".", "--max-file-size", "65536", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(found(&json(&o)).len(), 2, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("big.js: skipped: 293.0 KiB is larger than --max-file-size (64 KiB)"),
        "{err}"
    );
    assert!(err.contains("over.js: skipped: "), "{err}");
}

#[test]
fn allowlist_paths_fingerprints_regexes_and_inline() {
    let t = Tree::new();
    let (a, b, c, d) = (live_key(), live_key(), live_key(), live_key());
    t.write("fixtures/x.js", &a);
    t.write("src/b.js", &b);
    t.write("src/c.js", format!("const c = '{c}'; // qrcp-scan:allow"));
    t.write("src/d.js", &d);
    let fp = {
        let o = t.run(&["dir", "src/b.js", "--format", "json"]);
        json(&o)["findings"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let re = &d[..16];
    t.write(
        ".qrcp-scan.toml",
        format!(
            "[allowlist]\npaths = [\"fixtures/\"]\nfingerprints = [\"{fp}\"]\nregexes = ['^{re}']\n"
        ),
    );
    let (o, v) = scan_json(&t, &[]);
    assert_eq!(code(&o), 0, "{v:#}");
    assert_eq!(v["stats"]["allowed"], 4);
    // --config names another file, relative paths resolve from it.
    t.write(
        "ci/strict.toml",
        "[allowlist]\nrules = [\"qrcp-test-key\"]\n",
    );
    let (o, v) = scan_json(&t, &["--config", "ci/strict.toml"]);
    assert_eq!(code(&o), 1);
    assert_eq!(found(&v).len(), 3, "inline allow still applies: {v:#}");
}

#[test]
fn bad_configuration_is_a_clear_error() {
    let t = Tree::new();
    t.write(".qrcp-scan.toml", "[allowlist]\npath = [\"x\"]\n");
    let o = t.run(&["dir"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains(".qrcp-scan.toml:") && err.contains("unknown field `path`"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // The line named is the culprit's.
    t.write(".qrcp-scan.toml", "# settings\n\nmax_file_size = 12\n");
    let o = t.run(&["dir"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains(".qrcp-scan.toml:3: "), "{}", stderr(&o));
    t.write(".qrcp-scan.toml", "[allowlist]\nfingerprints = [\"abc\"]\n");
    let o = t.run(&["dir"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("not a SHA-256"), "{}", stderr(&o));
}

#[test]
fn stdin_with_a_name() {
    let key = live_key();
    let o = qrcp()
        .args(["stdin", "--name", ".env", "--format", "json"])
        .write_stdin(format!("QRCP_KEY={key}\n"))
        .output()
        .unwrap();
    assert_eq!(code(&o), 1);
    let v = json(&o);
    assert_eq!(
        found(&v),
        vec![
            ("dotenv-file".into(), ".env".into(), None),
            ("qrcp-live-key".into(), ".env".into(), Some(1))
        ]
    );
    assert_eq!(v["findings"][1]["source"], "stdin");
    let o = qrcp()
        .args(["stdin"])
        .write_stdin("nothing here\n")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("no findings"));
    assert!(
        !stderr(&o).contains("reading standard input"),
        "{}",
        stderr(&o)
    );
}

/// On a terminal, `stdin` says that it waits for input (and how to end it)
/// instead of showing a spinner as if it scanned.
#[test]
fn stdin_on_a_terminal_says_it_is_reading() {
    // `script` gives the command a terminal; ^D ends the input as a user would.
    let Some(script) = tool("script") else { return };
    let key = live_key();
    let cmd = format!("{} stdin --progress", env!("CARGO_BIN_EXE_qrcp-scan"));
    let o = assert_cmd::Command::new(&script)
        .args(["-qec", &cmd, "/dev/null"])
        .write_stdin(format!("k = '{key}'\n\x04"))
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let out = stdout(&o);
    assert_eq!(code(&o), 1, "{out}");
    assert!(
        out.contains("qrcp-scan: reading standard input (Ctrl-D to end)"),
        "{out}"
    );
    assert!(out.contains("error[qrcp-live-key]"), "{out}");
    // No spinner frame (indicatif's default ticks) on the terminal.
    assert!(!out.contains('⠁') && !out.contains('⠋'), "{out}");
    // The key is in the output once, echoed by the terminal as it was typed; the
    // report shows it redacted.
    assert_eq!(out.matches(&key[..20]).count(), 1, "{out}");
}

#[test]
fn human_output_reads_like_a_diagnostic() {
    let t = Tree::new();
    let key = live_key();
    t.write(
        "web/src/config.ts",
        format!("\n\n\n\n\n\n\n\n\n\n\n  const apiKey = \"{key}\";\n"),
    );
    t.write(".env.production", "X=1\n");
    let o = t.run(&["dir", "--color", "never"]);
    let out = stdout(&o);
    let redacted = format!("{}…", &key[..14]);
    for expected in [
        "error[qrcp-live-key]: QRCodePro live API key",
        " --> web/src/config.ts:12:19",
        &format!("12 |   const apiKey = \"{redacted}\";"),
        "^^^^^^^^^^^^^^^ a live key grants production access",
        "= help: revoke it",
        "warning[dotenv-file]: dotenv file (not in a git repository)",
        "--> .env.production",
        "= note: keep it out of any repository",
        "2 findings (1 error, 1 warning) in 2 files",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert!(!out.contains('\x1b'), "no colour when piped");
    let o = t.run(&["dir", "--color", "always"]);
    assert!(stdout(&o).contains('\x1b'));
    let o = qrcp()
        .current_dir(t.path())
        .env("NO_COLOR", "1")
        .args(["dir"])
        .output()
        .unwrap();
    assert!(!stdout(&o).contains('\x1b'));
}

#[test]
fn no_progress_bar_in_pipes() {
    let t = Tree::new();
    t.write("a.txt", "hello");
    let o = t.run(&["dir"]);
    assert_eq!(code(&o), 0);
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
}

#[test]
fn usage_errors_exit_2() {
    let o = qrcp().args(["dir", "--format", "yaml"]).output().unwrap();
    assert_eq!(code(&o), 2);
    let o = qrcp().args(["dir", "--threads", "0"]).output().unwrap();
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--threads must be at least 1"));
    let o = qrcp().arg("--help").output().unwrap();
    assert_eq!(code(&o), 0);
}

#[test]
fn this_repository_is_clean() {
    let o = qrcp()
        .current_dir(repo_root())
        .args(["dir", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));
}

#[test]
fn realistic_project_fixture_matches_its_expected_findings() {
    let root = repo_root().join("fixtures");
    let o = qrcp()
        .current_dir(&root)
        .args(["dir", "nextjs-app", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    let got: Vec<serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            serde_json::json!([
                f["rule"],
                f["path"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("nextjs-app/"),
                f["line"]
            ])
        })
        .collect();
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("expected/nextjs-app.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(serde_json::Value::from(got), expected["findings"]);
    assert_eq!(v["stats"]["placeholders"], expected["placeholders"]);
}

/// `qrcp-scan dir .` on a fresh clone (clean, on a terminal) ends by naming the
/// bundled demo; piped, elsewhere, or with findings, it doesn't. The demo it names
/// really has findings when scanned from the clone's root.
#[test]
fn a_clean_first_scan_on_a_terminal_names_the_demo() {
    let Some(script) = tool("script") else { return };
    let hint = "to see what a finding looks like: qrcp-scan dir fixtures/nextjs-app";
    let t = Tree::new();
    t.write("README.md", "nothing here\n");
    let on_tty = |t: &Tree| {
        let cmd = format!("{} dir .", env!("CARGO_BIN_EXE_qrcp-scan"));
        let o = std::process::Command::new(&script)
            .args(["-qec", &cmd, "/dev/null"])
            .current_dir(t.path())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (code(&o), stdout(&o))
    };
    // Not a clone of this repository: no demo to name.
    let (status, out) = on_tty(&t);
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("no findings") && !out.contains(hint), "{out}");
    // A clone: the demo is there.
    t.write("fixtures/nextjs-app/page.tsx", "export default 1;\n");
    let (status, out) = on_tty(&t);
    assert_eq!(status, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[lines.len() - 2].starts_with("no findings"), "{out}");
    assert_eq!(lines[lines.len() - 1].trim_end(), hint, "{out}");
    // Piped (CI, scripts): the report only.
    let o = t.run(&["dir", "."]);
    assert_eq!(code(&o), 0);
    assert!(!stdout(&o).contains(hint), "{}", stdout(&o));
    // The demo, scanned as the hint says from the repository's root, has findings.
    let o = qrcp()
        .current_dir(repo_root())
        .args(["dir", "fixtures/nextjs-app"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("error[client-exposed-env]"),
        "{}",
        stdout(&o)
    );
}

/// The `path` of each finding of a JSON report, in order.
fn finding_paths(v: &serde_json::Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect()
}

/// `dir src`, `dir` from a subfolder, `dir ..` and `dir "$PWD/src"` find the
/// repository's `.qrcp-scan.toml` as `git` does (walking up to the repository's
/// root, no further), and its allowlist paths stay relative to its folder.
#[test]
fn dir_finds_the_configuration_up_to_the_repository_root() {
    let r = crate::git::Repo::init();
    let (kept, hidden) = (live_key(), live_key());
    r.write(".qrcp-scan.toml", "[allowlist]\npaths = [\"src/gen/\"]\n");
    r.write("src/a.js", &format!("k = '{kept}'\n"));
    r.write("src/gen/b.js", &format!("k = '{hidden}'\n"));
    // Above the repository: never read (it would hide everything).
    std::fs::write(
        r.dir.join("../.qrcp-scan.toml"),
        "[allowlist]\npaths = [\"**\"]\n",
    )
    .unwrap();
    let abs_src = r.dir.join("src");
    let cases: Vec<(std::path::PathBuf, Vec<&str>)> = vec![
        (r.dir.clone(), vec!["dir", "src"]),
        (r.dir.join("src"), vec!["dir"]),
        (r.dir.join("src/gen"), vec!["dir", ".."]),
        (r.dir.clone(), vec!["dir", abs_src.to_str().unwrap()]),
        (r.dir.clone(), vec!["git"]),
    ];
    r.commit("add");
    for (cwd, args) in cases {
        let o = qrcp()
            .current_dir(&cwd)
            .args(&args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert_eq!(code(&o), 1, "{args:?}: {}", stderr(&o));
        let v = json(&o);
        let paths = finding_paths(&v);
        assert_eq!(paths.len(), 1, "{args:?} in {cwd:?}: {paths:?}");
        assert!(paths[0].ends_with("a.js"), "{args:?}: {paths:?}");
    }
    // A broken file is named where it is.
    r.write(".qrcp-scan.toml", "max_file_size = \"lots\"\n");
    let o = qrcp()
        .current_dir(r.dir.join("src"))
        .args(["dir"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("../.qrcp-scan.toml"), "{}", stderr(&o));
}

/// Allowlist paths: a plain path (whatever characters it holds outside glob
/// syntax) hides what is below it, a glob hides what it matches, and a broken
/// glob stops the run when the configuration loads, before any file is read.
#[test]
fn allowlist_paths_plain_and_globbed() {
    let t = Tree::new();
    let (kept, plain, globbed) = (live_key(), live_key(), live_key());
    t.write(
        ".qrcp-scan.toml",
        "[allowlist]\npaths = [\"gen out.d/\", \"src/*.min.js\"]\n",
    );
    t.write("src/a.js", format!("k = '{kept}'\n"));
    t.write("gen out.d/b.js", format!("k = '{plain}'\n"));
    t.write("src/c.min.js", format!("k = '{globbed}'\n"));
    let o = qrcp()
        .current_dir(t.dir.path())
        .args(["dir", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    let paths = finding_paths(&v);
    assert_eq!(paths, ["src/a.js"]);
    t.write(".qrcp-scan.toml", "[allowlist]\npaths = [\"src/[a\"]\n");
    let o = qrcp()
        .current_dir(t.dir.path())
        .args(["dir"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("invalid glob"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
}

/// A scan whose every input failed ends with "nothing scanned", never "no
/// findings"; every error line has the one prefix; a regex error keeps its lines.
#[test]
fn fatal_errors_are_not_followed_by_no_findings() {
    let t = Tree::new();
    let missing = t.join("missing");
    for args in [
        vec!["dir", missing.to_str().unwrap()],
        vec!["url", "http://127.0.0.1:9/"],
    ] {
        let o = t.run(&args);
        assert_eq!(code(&o), 2, "{args:?}");
        let (out, err) = (stdout(&o), stderr(&o));
        assert!(!out.contains("no findings"), "{args:?}: {out}");
        assert!(out.contains("nothing scanned: 1 error"), "{args:?}: {out}");
        assert!(
            err.lines().all(|l| l.starts_with("qrcp-scan: error: ")),
            "{args:?}: {err}"
        );
    }
    // One of two inputs failed: what was scanned is still reported.
    t.write("a.js", "fine\n");
    let o = t.run(&["dir", "a.js", missing.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(
        stdout(&o).contains("no findings in 1 file"),
        "{}",
        stdout(&o)
    );
    t.write(".qrcp-scan.toml", "[allowlist]\nregexes = [\"(ab\"]\n");
    let o = t.run(&["dir", "a.js"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(!err.contains("\\n"), "{err}");
    assert!(
        err.starts_with("qrcp-scan: error: .qrcp-scan.toml: allowlist: regexes: invalid regex"),
        "{err}"
    );
    assert!(err.lines().count() > 1, "{err}");
}

/// Human output fits the width (`COLUMNS`, else 100 when piped): on a 4 MB
/// minified line every line fits, the carets sit under the (redacted) key, the
/// only clip marker is `…`, and words are never cut.
#[test]
fn human_output_fits_the_terminal_width() {
    let t = Tree::new();
    let key = live_key();
    let mut line = "var a=1;\tconst é=\"x\";".repeat(4_000_000 / 22);
    line.push_str(&format!("var k=\"{key}\";"));
    line.push_str(&"var b=2;".repeat(20_000));
    t.write("dist/app.min.js", &line);
    t.write(
        ".env.production",
        "NEXT_PUBLIC_QRCODEPRO_API_KEY=${{ secrets.KEY }}\n",
    );
    for width in [Some(60), Some(100), Some(200), None] {
        let mut cmd = t.cmd();
        cmd.args(["dir", "."]);
        match width {
            Some(w) => cmd.env("COLUMNS", w.to_string()),
            None => cmd.env_remove("COLUMNS"),
        };
        let o = cmd.output().unwrap();
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        assert_secret_absent(&o, &key);
        let out = stdout(&o);
        let w = width.unwrap_or(100);
        for l in out.lines() {
            assert!(
                l.chars().count() <= w,
                "{w}: {} chars: {l}",
                l.chars().count()
            );
        }
        assert!(!out.contains("..."), "{w}: {out}");
        let lines: Vec<&str> = out.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.contains("qrcp_live_") && l.contains(" | "))
            .unwrap_or_else(|| panic!("{w}: no snippet line in\n{out}"));
        let snippet: Vec<char> = lines[at].chars().collect();
        let key_col = (0..snippet.len())
            .find(|&i| snippet[i..].starts_with(&"qrcp_live_".chars().collect::<Vec<_>>()[..]))
            .unwrap();
        let carets: Vec<char> = lines[at + 1].chars().collect();
        let caret_col = carets.iter().position(|&c| c == '^').unwrap();
        assert_eq!(caret_col, key_col, "{w}:\n{}\n{}", lines[at], lines[at + 1]);
        // One marker per side at most, and the label whole (after the carets, or
        // in a note when it does not fit there).
        assert!(lines[at].matches('…').count() <= 3, "{w}: {}", lines[at]);
        assert!(
            out.contains("a live key grants production access"),
            "{w}: {out}"
        );
        // Wrapped prose is cut between words only: every word of the title and
        // of the help is whole on some line.
        let words: Vec<&str> = out.split_whitespace().collect();
        for w_ in "QRCodePro key in a client-exposed variable drop the public prefix".split(' ') {
            assert!(words.contains(&w_), "{w}: {w_:?} cut in\n{out}");
        }
    }
}

/// `--progress` into a pipe (a CI log) shows plain progress lines instead of
/// nothing; without it, a pipe gets none.
#[test]
fn progress_works_when_stderr_is_not_a_terminal() {
    let t = Tree::new();
    t.write("a.js", "fine\n");
    let o = t.run(&["dir", "--progress"]);
    assert_eq!(code(&o), 0);
    let err = stderr(&o);
    assert!(
        err.lines()
            .any(|l| l.starts_with("qrcp-scan: progress: done, 1 file, ")),
        "{err}"
    );
    let o = t.run(&["dir"]);
    assert!(!stderr(&o).contains("progress"), "{}", stderr(&o));
}

/// A dotenv file is worded by what is true of it: committed, staged, tracked,
/// ignored (a local file), not ignored yet, outside git, or standard input; the
/// `git rm --cached` step only where git tracks it.
#[test]
fn dotenv_findings_say_what_is_true_of_the_file() {
    let r = crate::git::Repo::init();
    r.write(".gitignore", ".env.local\n");
    r.write(".env", "X=1\n");
    r.commit("add .env");
    r.write(".env.local", "X=1\n");
    r.write(".env.test", "X=1\n");
    r.write("config/.env.production", "X=1\n");
    r.git(&["add", "config/.env.production"]);
    let rows = |o: &std::process::Output| -> Vec<(String, String)> {
        json(o)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "dotenv-file")
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let o = r.scan(&["dir", "--no-ignore", "--format", "json"]);
    let mut got = rows(&o);
    got.sort();
    let want = [
        (".env", "dotenv file tracked by git"),
        (
            ".env.local",
            "dotenv file, ignored by git (a local file, not committed)",
        ),
        (
            ".env.test",
            "dotenv file, not ignored by git (not committed yet)",
        ),
        ("config/.env.production", "dotenv file tracked by git"),
    ];
    assert_eq!(
        got,
        want.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    );
    let o = r.scan(&["git", "--format", "json"]);
    assert_eq!(
        rows(&o),
        vec![(".env".into(), "dotenv file committed".into())]
    );
    let o = r.scan(&["staged", "--format", "json"]);
    assert_eq!(
        rows(&o),
        vec![(
            "config/.env.production".into(),
            "dotenv file staged for commit".into()
        )]
    );
    // Human output: the untrack step only where git tracks the file.
    let o = r.scan(&["dir", "--no-ignore"]);
    let out = stdout(&o);
    assert!(
        out.contains("`git rm --cached .env` stops tracking it"),
        "{out}"
    );
    assert!(!out.contains("`git rm --cached .env.local`"), "{out}");
    assert!(!out.contains("`git rm --cached .env.test`"), "{out}");
    let o = qrcp()
        .args(["stdin", "--name", ".env", "--format", "json"])
        .write_stdin("X=1\n")
        .output()
        .unwrap();
    assert_eq!(
        rows(&o),
        vec![(".env".into(), "dotenv file (standard input)".into())]
    );
}

/// A client-exposed variable: a reference is shown as it is (not a secret), an
/// empty definition is a warning that explains the exposure, a value stays an
/// error and is redacted.
#[test]
fn client_exposed_variables_redact_values_not_references() {
    let t = Tree::new();
    t.write(".env.example", "NEXT_PUBLIC_QRCODEPRO_API_KEY=\n");
    t.write(
        "next.config.js",
        "module.exports = { env: { NEXT_PUBLIC_QRCP_API_KEY: process.env.QRCODEPRO_API_KEY } };\n",
    );
    t.write("deploy.env.sh", "VITE_QRCP_KEY=s3cr3tValueThatIsLong\n");
    let o = t.run(&["dir", "--format", "json"]);
    let v = json(&o);
    let by_path = |p: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == p)
            .unwrap_or_else(|| panic!("{p} not found in {v}"))
            .clone()
    };
    let empty = by_path(".env.example");
    assert_eq!(empty["severity"], "warning", "{empty}");
    assert_eq!(
        empty["message"],
        "client-exposed QRCodePro key variable, empty here"
    );
    assert_eq!(by_path("next.config.js")["severity"], "error");
    assert_eq!(by_path("deploy.env.sh")["severity"], "error");
    let o = t.run(&["dir"]);
    let out = stdout(&o);
    assert!(
        out.contains("NEXT_PUBLIC_QRCP_API_KEY: process.env.QRCODEPRO_API_KEY }"),
        "{out}"
    );
    assert!(
        out.contains("whatever value this variable gets is inlined"),
        "{out}"
    );
    assert!(!out.contains("s3cr3tValue"), "{out}");
    // The empty definition alone does not fail --fail-on error.
    let o = t.run(&["dir", ".env.example", "--fail-on", "error"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}
