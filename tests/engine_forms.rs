//! Issue 10: the reassembly forms real bundlers emit (`[…].join('')`, Python/C
//! adjacent literals, the keyword
//! itself split, a template or join through a name bound in the same file) and
//! HTML character references, a fully escaped prefix, and inline `data:` source maps (a member with the original source as origin) are
//! found the same way in a folder, in git history and in a staged change. Every
//! key is generated at test time and must never appear in the output.

use serde_json::Value;

use crate::bundles::{b64, finding_of};
use crate::git::Repo;
use crate::util::*;

/// Sources holding one key per form, and the path and line each must be found at.
fn sources(k: &[String]) -> Vec<(&'static str, String, &'static str, u64)> {
    let split = |key: &str, at: usize| {
        let (a, b) = key.split_at(at);
        (a.to_string(), b.to_string())
    };
    let (j1, j2) = split(&k[0], 10);
    let (p1, p2) = split(&k[1], 5);
    let (t1, t2) = split(&k[2], 10);
    let (c1, c2) = split(&k[3], 10);
    let map = serde_json::json!({
        "version": 3,
        "sources": ["../src/main.js"],
        "sourcesContent": [format!("// main\nexport const k = \"{}\";\n", k[4])],
        "mappings": "AAAA",
    })
    .to_string();
    vec![
        (
            "web/join.js",
            format!(
                "\"use strict\";\nconst e=[\"{j1}\",\"{}\",\"{}\"].join('');\n",
                &j2[..6],
                &j2[6..]
            ),
            "web/join.js",
            2,
        ),
        (
            "web/prefix.js",
            format!("// config\nexport const k = \"{p1}\" +\n  \"{p2}\";\n"),
            "web/prefix.js",
            2,
        ),
        (
            "web/template.js",
            format!("var e=\"{t2}\";\nfunction f(){{}}\nr=`{t1}${{e}}`;\n"),
            "web/template.js",
            1,
        ),
        (
            "web/call.js",
            format!("function o(){{return\"{c2}\"}}\nvar p=[\"{c1}\",o()].join(\"\");\n"),
            "web/call.js",
            1,
        ),
        (
            "web/app.js",
            format!(
                "console.log(1);\n//# sourceMappingURL=data:application/json;base64,{}\n",
                b64(&map)
            ),
            "web/app.js!sourceMappingURL",
            1,
        ),
        (
            "web/page.html",
            format!(
                "<html>\n<p data-k=\"{}\"></p>\n",
                k[5].replace('_', "&#95;")
            ),
            "web/page.html",
            2,
        ),
        (
            "web/octal.js",
            format!(
                "// hex\nk = \"{}{}\";\n",
                k[6][..10]
                    .bytes()
                    .map(|c| format!("\\x{c:02x}"))
                    .collect::<String>(),
                &k[6][10..]
            ),
            "web/octal.js",
            2,
        ),
        (
            "tools/settings.py",
            format!(
                "KEY = (\n    \"{}\"\n    \"{}\"\n)\n",
                &k[7][..10],
                &k[7][10..]
            ),
            "tools/settings.py",
            2,
        ),
    ]
}

fn check(v: &Value, k: &[String], srcs: &[(&str, String, &str, u64)]) {
    for (key, (_, _, path, line)) in k.iter().zip(srcs) {
        let f = finding_of(v, key);
        assert_eq!(f["path"], *path, "{f:#}");
        assert_eq!(f["line"], *line, "{f:#}");
    }
    let inline = finding_of(v, &k[4]);
    assert_eq!(
        inline["origin"],
        serde_json::json!({"path": "../src/main.js", "line": 2}),
        "{inline:#}"
    );
    // The inline map is reported once, as its member, not again as base64.
    let n = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["fingerprint"] == inline["fingerprint"])
        .count();
    assert_eq!(n, 1, "{v:#}");
}

fn keys() -> Vec<String> {
    (0..8).map(|_| live_key()).collect()
}

#[test]
fn bundler_forms_are_found_in_a_folder() {
    let t = Tree::new();
    let k = keys();
    let srcs = sources(&k);
    for (rel, text, _, _) in &srcs {
        t.write(rel, text);
    }
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    check(&json(&o), &k, &srcs);
    let human = t.run(&["dir", "."]);
    assert!(stdout(&human).contains("web/app.js!sourceMappingURL"));
    assert_keys_absent(&[&o, &human], &k);
}

#[test]
fn bundler_forms_are_found_in_history_and_staged() {
    let r = Repo::init();
    r.write("README.md", "hello\n");
    r.commit("init");
    let k = keys();
    let srcs = sources(&k);
    for (rel, text, _, _) in &srcs {
        r.write(rel, text);
    }
    r.git(&["add", "-A"]);
    let staged = r.scan(&["staged", "--format", "json"]);
    assert_eq!(code(&staged), 1, "{}", stderr(&staged));
    check(&json(&staged), &k, &srcs);

    r.commit("add bundle");
    r.git(&["rm", "-r", "-q", "web", "tools"]);
    r.commit("remove it");
    let hist = r.scan(&["git", "--format", "json"]);
    assert_eq!(code(&hist), 1, "{}", stderr(&hist));
    check(&json(&hist), &k, &srcs);
    assert_keys_absent(&[&staged, &hist], &k);
}

#[test]
fn messages_of_commits_no_ref_reaches_are_scanned() {
    let r = Repo::init();
    let key = live_key();
    r.write("README.md", "hello\n");
    r.commit("init");
    let (a, b) = key.split_at(10);
    let gone = r.commit(&format!("deploy with \"{a}\" + \"{b}\""));
    r.git(&["commit", "-q", "--amend", "--allow-empty", "-m", "deploy"]);
    r.git(&["reflog", "expire", "--expire=now", "--all"]);
    let o = r.scan(&["git", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    let f = finding_of(&v, &key);
    assert_eq!(f["source"], "git-unreachable", "{f:#}");
    assert_eq!(f["encoding"], "concatenation", "{f:#}");
    let human = r.scan(&["git"]);
    let out = stdout(&human);
    assert!(
        out.contains(&format!("in the message of commit {gone}")),
        "{out}"
    );
    assert_keys_absent(&[&o, &human], std::slice::from_ref(&key));
}

/// One key written in pieces as `form` writes them (each piece quoted).
struct Split {
    name: &'static str,
    ext: &'static str,
    write: fn(&[&str]) -> String,
}

const SPLITS: [Split; 7] = [
    Split {
        name: "plus",
        ext: "js",
        write: |p| format!("const k = {};\n", quoted(p, "\"", " + ")),
    },
    Split {
        name: "plus-lines",
        ext: "ts",
        write: |p| format!("export const k =\n  {};\n", quoted(p, "'", " +\n  ")),
    },
    Split {
        name: "join",
        ext: "js",
        write: |p| format!("var k=[{}].join('');\n", quoted(p, "\"", ",")),
    },
    Split {
        name: "adjacent",
        ext: "py",
        write: |p| format!("KEY = (\n    {}\n)\n", quoted(p, "\"", "\n    ")),
    },
    Split {
        name: "adjacent",
        ext: "c",
        write: |p| format!("static const char k[] =\n\t{};\n", quoted(p, "\"", "\n\t")),
    },
    Split {
        name: "concat",
        ext: "js",
        write: |p| {
            let rest: String = p[1..].iter().map(|s| format!(".concat('{s}')")).collect();
            format!("k='{}'{rest};\n", p[0])
        },
    },
    Split {
        name: "words",
        ext: "sh",
        write: |p| format!("export QRCP_KEY={}\n", quoted(p, "'", "")),
    },
];

fn quoted(pieces: &[&str], q: &str, between: &str) -> String {
    let quoted: Vec<String> = pieces.iter().map(|s| format!("{q}{s}{q}")).collect();
    quoted.join(between)
}

/// A key cut anywhere is found whole, however the language joins its pieces:
/// inside the prefix's first four characters (`"q" "rcp_…"`, `["qr","cp_…"]`),
/// anywhere after, twice, and after a first piece that is a whole match on
/// its own (`"qrcp_live_<24>" + "…"`: the key is the pieces joined, not the
/// first of them); but a whole key quoted in prose beside another quoted
/// word (`"qrcp_live_…" "then"`) is that key.
#[test]
fn keys_split_anywhere_are_found_whole() {
    let mut cases = Vec::new();
    for form in &SPLITS {
        let cuts: Vec<Vec<usize>> = (1..=12)
            .map(|c| vec![c])
            .chain([vec![34], vec![2, 34], vec![12, 30]])
            .collect();
        for cut in cuts {
            let key = if cases.len() % 2 == 0 {
                live_key()
            } else {
                test_key()
            };
            let mut pieces = Vec::new();
            let mut from = 0;
            for &c in cut.iter().chain([&key.len()]) {
                pieces.push(&key[from..c]);
                from = c;
            }
            let at: Vec<String> = cut.iter().map(|c| c.to_string()).collect();
            let file = format!("w/{}-{}.{}", form.name, at.join("-"), form.ext);
            let text = (form.write)(&pieces);
            cases.push((file, key.clone(), text));
        }
    }
    let key = live_key();
    let prose = format!("Set \"{key}\" \"then\" restart the \"worker\".\n");
    cases.push(("w/notes.md".to_string(), key, prose));
    let check = |v: &Value, what: &str| {
        for (file, key, text) in &cases {
            let f = finding_of(v, key);
            assert_eq!(f["path"], file.as_str(), "{what}: {text}\n{f:#}");
        }
        let n = v["findings"].as_array().unwrap().len();
        assert_eq!(n, cases.len(), "{what}: one finding a key, no piece alone");
    };
    let files: Vec<_> = cases
        .iter()
        .map(|(f, _, t)| (f.clone(), t.clone()))
        .collect();
    let keys: Vec<_> = cases.iter().map(|(_, k, _)| k).collect();
    crate::git::everywhere(&files, &keys, check);
}
