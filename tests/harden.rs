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
