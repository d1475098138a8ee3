//! What a newcomer meets around the findings (issue 13): the wording of dotenv
//! findings in every output format, and the help of every command.

use crate::git::Repo;
use crate::util::*;

/// Every report format that carries a finding's words.
const FORMATS: [&str; 6] = ["human", "json", "jsonl", "github", "junit", "sarif"];

/// Formats that carry a finding's notes (the step that fits): all but the JSON
/// ones, whose contract is the `message` field.
fn carries_notes(format: &str) -> bool {
    !matches!(format, "json" | "jsonl")
}

/// A dotenv finding is worded by what is true of the file in EVERY format:
/// committed (history), tracked, an ignored local file, a plain file outside git,
/// standard input. "committed" and the `git rm --cached` step appear only where
/// they are true.
#[test]
fn dotenv_wording_is_true_in_every_format() {
    let r = Repo::init();
    r.write(".gitignore", ".env.local\n");
    r.write(".env", "X=1\n");
    r.commit("add .env");
    r.write(".env.local", "X=1\n");
    let plain = Tree::new();
    plain.write(".env", "X=1\n");

    struct Case<'a> {
        what: &'a str,
        run: Box<dyn Fn(&str) -> std::process::Output + 'a>,
        message: &'a str,
        /// The untrack step (`git rm --cached .env`) belongs in the notes.
        untrack: bool,
    }
    let cases = [
        Case {
            what: "committed (git history)",
            run: Box::new(|f| r.scan(&["git", "--format", f])),
            message: "dotenv file committed",
            untrack: true,
        },
        Case {
            what: "tracked (dir)",
            run: Box::new(|f| r.scan(&["dir", ".env", "--format", f])),
            message: "dotenv file tracked by git",
            untrack: true,
        },
        Case {
            what: "ignored local file (dir --no-ignore)",
            run: Box::new(|f| r.scan(&["dir", "--no-ignore", ".env.local", "--format", f])),
            message: "dotenv file, ignored by git (a local file, not committed)",
            untrack: false,
        },
        Case {
            what: "plain file outside git",
            run: Box::new(|f| plain.run(&["dir", "--format", f])),
            message: "dotenv file (not in a git repository)",
            untrack: false,
        },
        Case {
            what: "standard input",
            run: Box::new(|f| {
                qrcp()
                    .args(["stdin", "--name", ".env", "--format", f])
                    .write_stdin("X=1\n")
                    .output()
                    .unwrap()
            }),
            message: "dotenv file (standard input)",
            untrack: false,
        },
    ];
    for case in &cases {
        for format in FORMATS {
            let o = (case.run)(format);
            let out = stdout(&o);
            let ctx = format!("{} as {format}:\n{out}\n{}", case.what, stderr(&o));
            assert_eq!(code(&o), 1, "{ctx}");
            assert!(out.contains(case.message), "{ctx}");
            if case.message != "dotenv file committed" {
                assert!(!out.contains("dotenv file committed"), "{ctx}");
            }
            if format == "jsonl" {
                let line: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
                assert_eq!(line["message"], case.message, "{ctx}");
            }
            let untrack = out.contains("git rm --cached .env");
            if carries_notes(format) {
                assert_eq!(untrack, case.untrack, "{ctx}");
            } else {
                assert!(!untrack, "{ctx}");
            }
        }
    }
}

/// The audit (text, JSON, HTML) and an organisation scan word the same files by
/// what is true of them: the committed one committed and tracked, the ignored one
/// local only; `git rm --cached` only for the tracked one.
#[test]
fn dotenv_wording_is_true_in_audit_and_org() {
    let r = Repo::init();
    r.write(".gitignore", ".env.local\n");
    r.write(".env", "X=1\n");
    r.commit("add .env");
    r.write(".env.local", "X=1\n");
    let state = tempfile::tempdir().unwrap();
    let html = state.path().join("audit.html");
    let o = qrcp()
        .current_dir(&r.dir)
        .env("XDG_STATE_HOME", state.path())
        .args(["audit", "--html"])
        .arg(&html)
        .output()
        .unwrap();
    let text = stdout(&o);
    let page = std::fs::read_to_string(&html).unwrap();
    for (what, out) in [("audit text", &text), ("audit HTML", &page)] {
        let ctx = format!("{what}:\n{out}");
        assert!(out.contains("; still tracked"), "{ctx}");
        assert!(out.contains("local only, not committed (ignored)"), "{ctx}");
        assert!(out.contains("git rm --cached -- .env"), "{ctx}");
        assert!(!out.contains("git rm --cached -- .env.local"), "{ctx}");
    }
    let o = qrcp()
        .current_dir(&r.dir)
        .args(["audit", "--format", "json"])
        .output()
        .unwrap();
    let v = json(&o);
    let files = v["dotenv_files"].as_array().unwrap();
    let file = |p: &str| files.iter().find(|f| f["path"] == p).unwrap().clone();
    assert_eq!(file(".env")["tracked"], true, "{v}");
    assert!(file(".env")["first_commit"].is_object(), "{v}");
    assert_eq!(file(".env.local")["local_only"], true, "{v}");
    assert!(file(".env.local")["first_commit"].is_null(), "{v}");
    // An organisation scan reads history: its dotenv file is committed, in the
    // shard's JSONL and in the merged report.
    let lists = tempfile::tempdir().unwrap();
    let repos = lists.path().join("repos.txt");
    std::fs::write(&repos, format!("{}\n", r.dir.display())).unwrap();
    let shard = lists.path().join("shard.jsonl");
    let o = qrcp()
        .args(["org", "scan", "--repos"])
        .arg(&repos)
        .arg("--output")
        .arg(&shard)
        .args(["--cache"])
        .arg(lists.path().join("cache"))
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let lines = std::fs::read_to_string(&shard).unwrap();
    let dotenv: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["rule"] == "dotenv-file")
        .collect();
    assert_eq!(dotenv.len(), 1, "{lines}");
    assert_eq!(dotenv[0]["message"], "dotenv file committed", "{lines}");
    let o = qrcp().args(["org", "merge"]).arg(&shard).output().unwrap();
    assert!(
        stdout(&o).contains("warning[dotenv-file]: dotenv file committed"),
        "{}",
        stdout(&o)
    );
}

/// Runs `qrcp-scan <path…> <flag>` with standard output piped, `COLUMNS` set to
/// `columns` or unset.
fn help(path: &[String], flag: &str, columns: Option<usize>) -> String {
    let mut cmd = qrcp();
    cmd.args(path).arg(flag);
    match columns {
        Some(c) => cmd.env("COLUMNS", c.to_string()),
        None => cmd.env_remove("COLUMNS"),
    };
    let o = cmd.output().unwrap();
    assert_eq!(code(&o), 0, "{path:?} {flag}: {}", stderr(&o));
    stdout(&o)
}

/// The subcommands a help text lists under `Commands:` (`help` left out).
fn subcommands(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// Every command's path, `[]` (the top level) first.
fn all_commands() -> Vec<Vec<String>> {
    let mut done = Vec::new();
    let mut todo = vec![Vec::new()];
    while let Some(path) = todo.pop() {
        for sub in subcommands(&help(&path, "--help", None)) {
            let mut p = path.clone();
            p.push(sub);
            todo.push(p);
        }
        done.push(path);
    }
    done
}

/// An argument's entry in a help text: the line that names it and its words.
struct Entry {
    name: String,
    text: String,
}

/// The argument entries of a help text (`Arguments:`, `Options:` and the other
/// headings, not `Commands:` nor the examples).
fn entries(text: &str) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let mut in_args = false;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            // A heading (`Options:`, `QRCodePro API:`), or the about text, usage
            // or examples: entries are only under the argument headings.
            in_args = line.ends_with(':')
                && !matches!(line, "Commands:" | "Examples:" | "Example:")
                && !line.contains(' ') | matches!(line, "QRCodePro API:");
            continue;
        }
        if !in_args {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let rest = line.trim_start();
        if indent <= 6 && (rest.starts_with('-') || rest.starts_with('[') || rest.starts_with('<'))
        {
            let (name, desc) = rest.split_once("  ").unwrap_or((rest, ""));
            out.push(Entry {
                name: name.to_string(),
                text: desc.trim().to_string(),
            });
        } else if let Some(e) = out.last_mut() {
            e.text.push(' ');
            e.text.push_str(rest.trim());
        }
    }
    out
}

/// Every command's help, short (`-h`) and long (`--help`), at the width human
/// output uses (COLUMNS, else 100 when piped): no line over the width, text
/// wrapped at that width (not by hand at another), each default stated exactly
/// once and in one form (`[default: …]`), every argument and value documented.
#[test]
fn help_wraps_at_one_width_and_states_each_default_once() {
    let commands = all_commands();
    // Every command the README's table names is reached, nested ones included.
    for want in [
        "dir",
        "git",
        "staged",
        "install-hook",
        "stdin",
        "url",
        "audit",
        "rules list",
        "rules check",
        "baseline create dir",
        "baseline create staged",
        "verify",
        "revoke",
        "org plan",
        "org scan",
        "org merge",
    ] {
        assert!(
            commands.iter().any(|c| c.join(" ") == want),
            "{want} not reached: {commands:?}"
        );
    }
    for path in &commands {
        for flag in ["-h", "--help"] {
            for columns in [None, Some(70), Some(140)] {
                let width = columns.unwrap_or(100);
                let text = help(path, flag, columns);
                let ctx = format!("qrcp-scan {} {flag} (COLUMNS={columns:?})", path.join(" "));
                check_width(&text, width, &ctx);
                let lower = text.to_lowercase();
                // One form for defaults: clap's `[default: …]`, never "(default…)",
                // "Default: …" or "default 3".
                let others = lower.matches("default").count()
                    - lower.matches("[default:").count()
                    - lower.matches(" by default").count();
                assert_eq!(others, 0, "{ctx}: a default in another form:\n{text}");
                if flag == "--help" {
                    assert!(
                        !text.contains("[possible values:"),
                        "{ctx}: values without a description:\n{text}"
                    );
                }
                for e in entries(&text) {
                    assert!(
                        !own_words(&e.text).is_empty(),
                        "{ctx}: {} is not documented: {:?}",
                        e.name,
                        e.text
                    );
                    assert!(
                        e.text.matches("[default:").count() <= 1,
                        "{ctx}: {} states its default twice: {}",
                        e.name,
                        e.text
                    );
                }
            }
        }
    }
}

/// An entry's own words: without what clap adds (`[default: …]`, `[env: …]`,
/// `[possible values: …]`, the `Possible values:` list).
fn own_words(text: &str) -> String {
    let mut words = text
        .split("Possible values:")
        .next()
        .unwrap_or("")
        .to_string();
    for added in ["[default:", "[env:", "[possible values:"] {
        while let Some(start) = words.find(added) {
            let end = words[start..]
                .find(']')
                .map_or(words.len(), |e| start + e + 1);
            words.replace_range(start..end, "");
        }
    }
    words.trim().to_string()
}

/// No line is wider than `width`, and prose is wrapped at `width`: a line is
/// broken only where the next word would not have fit (hand-wrapped paragraphs
/// break earlier). Lists, examples and clap's `[env: …]`/`[default: …]` lines
/// are lines of their own, and so are the names of commands and arguments.
fn check_width(text: &str, width: usize, ctx: &str) {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    for l in &lines {
        assert!(
            l.chars().count() <= width,
            "{ctx}: line over {width} columns: {l:?}\n{text}"
        );
    }
    let mut examples = false;
    for pair in lines.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a.starts_with("Example") || a.starts_with("Usage:") {
            examples = a.starts_with("Example");
        }
        let indent = |l: &str| l.len() - l.trim_start().len();
        let head = b.trim_start();
        if examples
            || a.is_empty()
            || b.is_empty()
            || indent(a) != indent(b)
            || head.starts_with(['-', '[', '<'])
            || (2..=6).contains(&indent(b))
        {
            continue;
        }
        let next_word = head.split(' ').next().unwrap_or("");
        assert!(
            a.chars().count() + 1 + next_word.chars().count() > width,
            "{ctx}: {a:?} is broken before {next_word:?} although it fits in {width} columns\n{text}"
        );
    }
}

/// The README and the documented workflow pin qrcp-scan by a tag (`rev: v…` for
/// pre-commit, `qrcp-scan/qrcp-scan@v…` for the Action): that tag is this
/// version's, and it exists in a full clone.
#[test]
fn documented_tags_are_this_release() {
    let want = format!("v{}", env!("CARGO_PKG_VERSION"));
    let mut pins = Vec::new();
    for file in ["README.md", "docs/github-workflow.yml"] {
        let text = std::fs::read_to_string(repo_file(file)).unwrap();
        for line in text.lines() {
            let line = line.trim();
            if let Some(rev) = line.strip_prefix("rev: ") {
                pins.push((file, rev.split_whitespace().next().unwrap().to_string()));
            }
            if let Some((_, rest)) = line.split_once("qrcp-scan/qrcp-scan@") {
                pins.push((file, rest.split_whitespace().next().unwrap().to_string()));
            }
        }
    }
    assert!(pins.len() >= 3, "{pins:?}");
    for (file, pin) in &pins {
        assert_eq!(pin, &want, "{file} pins {pin}");
    }
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .current_dir(repo_root())
            .args(args)
            .output()
            .unwrap()
    };
    // A CI checkout may carry the branch alone (shallow, or cloned without
    // tags); a clone that has tags at all must have the release's.
    let tags = stdout(&git(&["tag", "--list"]));
    if !tags.trim().is_empty() {
        let tag = format!("refs/tags/{want}");
        assert!(
            git(&["rev-parse", "-q", "--verify", &tag]).status.success(),
            "{tag} is missing: tag the release the README describes"
        );
    }
}

/// Durations are written one way (`10s`, `500ms`, `2`) for `url --timeout` as for
/// `--api-timeout`, sizes are shown in the units they are typed in, and a bad
/// size or duration is one line that says what is
/// expected, without a parser's inner words.
#[test]
fn durations_and_sizes_read_one_way() {
    for (args, want) in [
        (
            vec!["url", "--timeout", "lots", "http://127.0.0.1:9/"],
            "qrcp-scan: error: --timeout \"lots\": not a positive duration (e.g. 10s, 500ms, 2)\n",
        ),
        (
            vec!["url", "--timeout", "0s", "http://127.0.0.1:9/"],
            "qrcp-scan: error: --timeout \"0s\": not a positive duration (e.g. 10s, 500ms, 2)\n",
        ),
        (
            vec!["dir", "--max-file-size", "lots", "."],
            "qrcp-scan: error: --max-file-size: invalid size \"lots\": expected a number, optionally followed by K, M or G\n",
        ),
    ] {
        let t = Tree::new();
        let o = t.run(&args);
        assert_eq!(code(&o), 2, "{args:?}");
        assert_eq!(stderr(&o), want, "{args:?}");
        assert_eq!(stdout(&o), "", "{args:?}");
    }
    // Standard input over the limit names the limit as the other notes do.
    let o = qrcp()
        .args(["stdin", "--max-file-size", "1K"])
        .write_stdin("x".repeat(2000))
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o),
        "qrcp-scan: error: standard input is larger than --max-file-size (1 KiB)\n"
    );
    // A duration with a unit is accepted: the scan runs (and fails to connect).
    let t = Tree::new();
    let o = t.run(&["url", "--timeout", "500ms", "http://127.0.0.1:9/"]);
    assert_eq!(code(&o), 2);
    assert!(!stderr(&o).contains("--timeout"), "{}", stderr(&o));
}
