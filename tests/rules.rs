//! `rules list`, `rules check`, and users' rule files.

use crate::util::*;

#[test]
fn builtin_rules_check_passes() {
    let o = qrcp().args(["rules", "check"]).output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("all checks passed"));
}

#[test]
fn rules_list_names_every_builtin() {
    let o = qrcp().args(["rules", "list"]).output().unwrap();
    let out = stdout(&o);
    for id in [
        "qrcp-live-key",
        "qrcp-test-key",
        "dotenv-file",
        "client-exposed-env",
    ] {
        assert!(out.contains(id), "{id} missing from:\n{out}");
    }
    // The columns align: severity, kind and name start at the same character on
    // every rule line.
    let rows: Vec<&str> = out.lines().filter(|l| !l.starts_with(' ')).collect();
    let starts = |l: &str| -> Vec<usize> {
        let mut cols = Vec::new();
        let b = l.as_bytes();
        for i in 1..b.len() {
            if b[i] != b' ' && b[i - 1] == b' ' && i >= 2 && b[i - 2] == b' ' {
                cols.push(i);
            }
        }
        cols.into_iter().take(3).collect()
    };
    let first = starts(rows[0]);
    assert_eq!(first.len(), 3, "{out}");
    for r in &rows {
        assert_eq!(starts(r), first, "misaligned:\n{out}");
    }
}

#[test]
fn user_rule_file_adds_a_rule_and_is_checked() {
    let t = Tree::new();
    t.write(
        "acme.toml",
        r#"
[[rule]]
id = "acme-token"
kind = "secret"
name = "ACME token"
severity = "error"
keywords = ["acme_"]
pattern = 'acme_[a-z0-9]{24}'
examples = ["t = acme_k3j4h5g6f7d8s9a0q1w2e3r4"]
negative_examples = ["acme_short"]
"#,
    );
    let o = t.run(&["rules", "check", "--rules", "acme.toml"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    t.write("src/a.txt", "token acme_z9x8c7v6b5n4m3l2k1j0h9g8\n");
    let o = t.run(&["dir", "src", "--rules", "acme.toml", "--format", "json"]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        found(&json(&o)),
        vec![("acme-token".into(), "src/a.txt".into(), Some(1))]
    );
}

#[test]
fn failing_example_is_named() {
    let t = Tree::new();
    t.write(
        "bad.toml",
        r#"
[[rule]]
id = "bad-rule"
kind = "secret"
name = "Bad"
severity = "warning"
keywords = ["bad_"]
pattern = 'bad_[0-9]{30}'
examples = ["bad_123"]
"#,
    );
    let o = t.run(&["rules", "check", "--rules", "bad.toml"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("rule bad-rule: example 1 did not match"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn typo_in_rule_file_is_an_error_with_its_line() {
    let t = Tree::new();
    t.write("typo.toml", "[[rule]]\nid = \"x\"\nkind = \"secret\"\nname = \"X\"\nseverity = \"error\"\npatern = 'x'\n");
    let o = t.run(&["rules", "check", "--rules", "typo.toml"]);
    assert_eq!(code(&o), 2);
    let err = stderr(&o);
    assert!(
        err.contains("typo.toml:") && err.contains("patern"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}
