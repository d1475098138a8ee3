//! Issues 10, 12 and 13: a key hidden by an encoding or inside a container is shown
//! as the file has it. The snippet is the file's line, redacted (the encoded span
//! masked too), the caret under the encoded span, and a note names each decoding
//! step (`decoded from base64, then percent-encoding`) and each container
//! (`in site.zip!assets/app.js.gz (zip, then gzip)`). JSON and SARIF carry the
//! typed chain: `encoding` (the outermost step, as before), `decoding` (every
//! step) and `hops` (every container). Every key is generated at test time.

use std::process::Output;

use serde_json::{Value, json};

use crate::bundles::{b64, finding_of, gz, shown, tar_bytes, zip_bytes};
use crate::ci::{multitool, sarif_problems};
use crate::git::Repo;
use crate::util::*;

/// `qrcp_live_…` percent-encoded as a URL-encoding library does it (`_` is kept
/// by most; written `%5F` here so that the percent layer is the one that finds it).
fn percent(key: &str) -> String {
    key.replace('_', "%5F")
}

/// One file per form: (path, line 1 of the file, the encoded text of the key in
/// that line, the decoding steps as JSON names, the note).
struct Form {
    path: &'static str,
    line: String,
    encoded: String,
    decoding: Vec<&'static str>,
    note: &'static str,
}

fn forms(k: &[String]) -> Vec<Form> {
    let json_b64 = b64(&format!("{{\"key\":\"{}\"}}", k[0]));
    let unicode = k[2].replace('_', "\\u005f");
    let entities = k[3].replace('_', "&#95;");
    let concat = format!("qrcp_\" + \"{}", &k[4][5..]);
    // Base64 of a key whose body starts percent-encoded (`qrcp_live_%41%62…`).
    let body_escaped: String = k[5][10..12].bytes().map(|b| format!("%{b:02X}")).collect();
    let nested = b64(&format!("{}{body_escaped}{}", &k[5][..10], &k[5][12..]));
    let hex: String = k[6].bytes().map(|b| format!("{b:02x}")).collect();
    let codes: Vec<String> = k[7].bytes().map(|b| b.to_string()).collect();
    let codes = codes.join(",");
    vec![
        Form {
            path: "web/atob.js",
            line: format!("const k = atob(\"{json_b64}\");"),
            encoded: json_b64,
            decoding: vec!["base64"],
            note: "decoded from base64",
        },
        Form {
            path: "web/url.js",
            line: format!("fetch(\"/qr?key={}&size=2\");", percent(&k[1])),
            encoded: percent(&k[1]),
            decoding: vec!["percent"],
            note: "decoded from percent-encoding",
        },
        Form {
            path: "web/unicode.js",
            line: format!("var k = \"{unicode}\";"),
            encoded: unicode,
            decoding: vec!["escape"],
            note: "decoded from escape sequences",
        },
        Form {
            path: "web/page.html",
            line: format!("<p data-k=\"{entities}\"></p>"),
            encoded: entities,
            decoding: vec!["escape"],
            note: "decoded from escape sequences",
        },
        Form {
            path: "web/concat.js",
            line: format!("const k = \"{concat}\";"),
            encoded: concat,
            decoding: vec!["concatenation"],
            note: "decoded from joined string literals",
        },
        Form {
            path: "web/nested.js",
            line: format!("const k = atob(\"{nested}\");"),
            encoded: nested,
            decoding: vec!["base64", "percent"],
            note: "decoded from base64, then percent-encoding",
        },
        Form {
            path: "web/hex.js",
            line: format!("const k = Buffer.from(\"{hex}\", \"hex\").toString();"),
            encoded: hex,
            decoding: vec!["hex"],
            note: "decoded from hex",
        },
        Form {
            path: "web/codes.js",
            line: format!("const k = String.fromCharCode({codes});"),
            encoded: codes,
            decoding: vec!["char-codes"],
            note: "decoded from character codes",
        },
    ]
}

fn keys() -> Vec<String> {
    (0..8).map(|_| live_key()).collect()
}

/// The diagnostic of `path` in a human report: from its title to the blank line.
fn block<'a>(out: &'a str, path: &str) -> &'a str {
    out.split("\n\n")
        .find(|b| b.contains(&format!("--> {path}:")))
        .unwrap_or_else(|| panic!("no diagnostic for {path} in:\n{out}"))
}

/// The snippet line's text (after `N | `) and the caret's character column in it.
fn snippet_and_caret(block: &str) -> (String, usize) {
    let lines: Vec<&str> = block.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()) && l.contains(" | "))
        .unwrap_or_else(|| panic!("no snippet line in:\n{block}"));
    let text_at = lines[i].find(" | ").unwrap() + 3;
    let text = lines[i][text_at..].to_string();
    let carets = lines[i + 1];
    let caret = carets.chars().position(|c| c == '^').expect("a caret");
    // Both lines share the gutter (ASCII), so the caret's column in the text is
    // its column in the line minus the gutter's width.
    (text, caret - text_at)
}

/// Asserts that no window of eight characters of the encoded text that encodes
/// only the key's body appears in `out` (a base64 or percent-encoded key is the
/// key too). For base64 the windows are those of the characters past the
/// encoded prefix; for the other forms, those after the body's first character.
fn encoded_body_absent(out: &str, f: &Form, key: &str) {
    let body = &key[10..];
    let start = match f.decoding[0] {
        "base64" | "hex" | "char-codes" => f.encoded.len() / 2,
        _ => f
            .encoded
            .find(&body[..4])
            .expect("body in the encoded text"),
    };
    let tail: Vec<char> = f.encoded[start..].chars().collect();
    for w in tail.windows(8) {
        let w: String = w.iter().collect();
        assert!(
            !out.contains(&w),
            "{}: encoded body ({w}) shown in:\n{out}",
            f.path
        );
    }
}

fn check_human(o: &Output, k: &[String], forms: &[Form], shown_path: &dyn Fn(&str) -> String) {
    let out = stdout(o);
    for (f, key) in forms.iter().zip(k) {
        let b = block(&out, &shown_path(f.path));
        let (text, caret) = snippet_and_caret(b);
        // The file's own line: what comes before the caret is the file's text, and
        // the decoded key is not spliced in.
        let before: String = text.chars().take(caret).collect();
        assert!(
            f.line.starts_with(&before),
            "{}: {text:?} vs {:?}",
            f.path,
            f.line
        );
        assert!(
            !text.contains("qrcp_live_"),
            "{}: decoded key shown: {text}",
            f.path
        );
        // The caret is under the encoded span (base64: within its first group).
        let enc_at = f.line[..f.line.find(&f.encoded).unwrap()].chars().count();
        let slack = if f.decoding[0] == "base64" { 12 } else { 0 };
        assert!(
            (enc_at..=enc_at + slack).contains(&caret),
            "{}: caret at {caret}, encoded text at {enc_at}:\n{b}",
            f.path
        );
        // The `-->` column is the caret's (the line is not clipped).
        assert!(
            b.contains(&format!(":1:{} ", caret + 1)) || b.contains(&format!(":1:{}\n", caret + 1)),
            "{}: column:\n{b}",
            f.path
        );
        // The note names the steps, and the key by its redacted form.
        assert!(
            b.contains(&format!("= note: {}: {}\n", f.note, shown(key))),
            "{}: note:\n{b}",
            f.path
        );
        assert_secret_absent(o, key);
        encoded_body_absent(&out, f, key);
    }
}

fn check_json(v: &Value, k: &[String], forms: &[Form]) {
    for (f, key) in forms.iter().zip(k) {
        let got = finding_of(v, key);
        assert_eq!(got["line"], 1, "{got:#}");
        assert_eq!(got["encoding"], f.decoding[0], "{got:#}");
        assert_eq!(got["decoding"], json!(f.decoding), "{got:#}");
        assert!(got.get("hops").is_none(), "a file's own bytes: {got:#}");
    }
}

fn validate(report: &[u8], t: &Tree) {
    let Some(check) = tool("check-jsonschema") else {
        return;
    };
    std::fs::write(t.join("report.json"), report).unwrap();
    let v = std::process::Command::new(&check)
        .arg("--schemafile")
        .arg(repo_file("schemas/qrcp-scan-report.schema.json"))
        .arg(t.join("report.json"))
        .output()
        .unwrap();
    assert!(v.status.success(), "{}\n{}", stdout(&v), stderr(&v));
}

#[test]
fn encoded_keys_show_the_file_line_masked_with_the_decoding_steps() {
    let t = Tree::new();
    let k = keys();
    let forms = forms(&k);
    for f in &forms {
        t.write(f.path, format!("{}\n", f.line));
    }
    let human = t.run(&["dir", "."]);
    assert_eq!(code(&human), 1, "{}", stderr(&human));
    check_human(&human, &k, &forms, &|p| p.to_string());
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    check_json(&json(&o), &k, &forms);
    validate(&o.stdout, &t);
    // Asked for, the key is shown in the note; the line stays the file's.
    let open = t.run(&["dir", ".", "--no-redact"]);
    let out = stdout(&open);
    let b = block(&out, "web/url.js");
    assert!(
        b.contains(&format!("= note: decoded from percent-encoding: {}", k[1])),
        "{b}"
    );
    assert!(b.contains(&percent(&k[1])), "{b}");
}

#[test]
fn encoded_keys_in_history_show_the_committed_line() {
    let r = Repo::init();
    let k = keys();
    let forms = forms(&k);
    for f in &forms {
        r.write(f.path, &format!("{}\n", f.line));
    }
    r.commit("add the web client");
    r.git(&["rm", "-r", "-q", "web"]);
    r.commit("remove it");
    let human = r.scan(&["git"]);
    assert_eq!(code(&human), 1, "{}", stderr(&human));
    check_human(&human, &k, &forms, &|p| p.to_string());
    let o = r.scan(&["git", "--format", "json"]);
    check_json(&json(&o), &k, &forms);
    validate(&o.stdout, &Tree::new());
}

/// A key inside containers: zip, then gzip; tar.gz; a script's inline source map.
fn containers(t: &Tree, k: &[String]) {
    let js = |key: &str| format!("var k = \"{}\";\n", percent(key));
    t.write(
        "site.zip",
        zip_bytes(&[("assets/app.js.gz", &gz(js(&k[0]).as_bytes()))]),
    );
    t.write(
        "pkg.tgz",
        gz(&tar_bytes(&[(
            "package/dist/index.js",
            js(&k[1]).as_bytes(),
        )])),
    );
    let map = json!({
        "version": 3,
        "sources": ["../src/config.ts"],
        "sourcesContent": [format!("// config\nexport const k = \"{}\";\n", k[2])],
        "mappings": "AAAA",
    })
    .to_string();
    t.write(
        "web/app.js",
        format!(
            "console.log(1);\n//# sourceMappingURL=data:application/json;base64,{}\n",
            b64(&map)
        ),
    );
    t.write(
        "web/app.js.map",
        json!({"version": 3, "sources": ["src/api.ts"], "sourcesContent": [format!("a\nk=\"{}\"\n", k[3])], "mappings": ""})
            .to_string(),
    );
    t.write(
        "nb/explore.ipynb",
        json!({"cells": [{"cell_type": "code", "source": ["x = 1\n", format!("k = \"{}\"\n", k[4])], "outputs": []}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
            .to_string(),
    );
}

fn hops(v: &Value, key: &str) -> Value {
    finding_of(v, key)["hops"].clone()
}

#[test]
fn findings_in_containers_carry_their_hops() {
    let t = Tree::new();
    let k: Vec<String> = (0..5).map(|_| live_key()).collect();
    containers(&t, &k);
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    validate(&o.stdout, &t);
    assert_eq!(
        hops(&v, &k[0]),
        json!([{"kind": "zip", "member": "assets/app.js.gz"}, {"kind": "gzip", "member": "app.js"}])
    );
    // The path keeps its meaning: the display path of the member.
    assert_eq!(
        finding_of(&v, &k[0])["path"],
        "site.zip!assets/app.js.gz!app.js"
    );
    assert_eq!(finding_of(&v, &k[0])["decoding"], json!(["percent"]));
    assert_eq!(
        hops(&v, &k[1]),
        json!([{"kind": "tar.gz", "member": "package/dist/index.js"}])
    );
    assert_eq!(
        hops(&v, &k[2]),
        json!([
            {"kind": "data-uri", "member": "sourceMappingURL"},
            {"kind": "source-map", "member": "../src/config.ts"}
        ])
    );
    // Logical members: a map's original source, a notebook's cell.
    assert_eq!(
        hops(&v, &k[3]),
        json!([{"kind": "source-map", "member": "src/api.ts"}])
    );
    assert_eq!(
        hops(&v, &k[4]),
        json!([{"kind": "notebook", "member": "cell[1]"}])
    );

    let human = t.run(&["dir", "."]);
    let out = stdout(&human);
    let b = block(&out, "site.zip!assets/app.js.gz!app.js");
    assert!(
        b.contains("= note: in site.zip!assets/app.js.gz (zip, then gzip)\n"),
        "{b}"
    );
    assert!(
        b.contains(&format!(
            "= note: decoded from percent-encoding: {}\n",
            shown(&k[0])
        )),
        "{b}"
    );
    let b = block(&out, "web/app.js!sourceMappingURL");
    assert!(b.contains("= note: in web/app.js (data-uri)\n"), "{b}");
    for key in &k {
        assert_secret_absent(&human, key);
        assert_secret_absent(&o, key);
    }

    // SARIF: the chain in the properties and the message, valid under GitHub's rules.
    let sarif = t.join("out.sarif");
    let s = t.run(&[
        "dir",
        ".",
        "--format",
        "sarif",
        "--output",
        sarif.to_str().unwrap(),
    ]);
    assert_eq!(code(&s), 1, "{}", stderr(&s));
    let text = std::fs::read_to_string(&sarif).unwrap();
    for key in &k {
        assert_text_lacks(&text, key);
    }
    let log: Value = serde_json::from_str(&text).unwrap();
    let zip = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["properties"]["member"] == "site.zip!assets/app.js.gz!app.js")
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(zip["properties"]["hops"], hops(&v, &k[0]));
    assert_eq!(zip["properties"]["decoding"], json!(["percent"]));
    let msg = zip["message"]["text"].as_str().unwrap();
    assert!(msg.contains("decoded from percent-encoding"), "{msg}");
    assert!(
        msg.contains("in site.zip!assets/app.js.gz (zip, then gzip)"),
        "{msg}"
    );
    if let Some(mt) = multitool() {
        assert_eq!(sarif_problems(&mt, &sarif, &t), vec![]);
    }
}

#[test]
fn hops_of_history_blobs_name_the_stream_once_the_path_is_known() {
    let r = Repo::init();
    let key = live_key();
    let path = r.dir.join("dist/app.js.gz");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, gz(format!("var k=\"{key}\";\n").as_bytes())).unwrap();
    r.commit("add the build");
    let o = r.scan(&["git", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    let f = finding_of(&v, &key);
    assert_eq!(f["path"], "dist/app.js.gz!app.js", "{f:#}");
    assert_eq!(
        f["hops"],
        json!([{"kind": "gzip", "member": "app.js"}]),
        "{f:#}"
    );
    assert!(f.get("decoding").is_none(), "{f:#}");
    assert!(f["encoding"].is_null(), "{f:#}");
    assert_secret_absent(&o, &key);
}

/// `revoke --report` reads the chain back from a redacted report: an encoded key
/// is read back through the decoding layers (it is not in the file as plain
/// text), and a report naming a decoding or container kind this build does not
/// know (a newer one's) is still read.
#[test]
fn encoded_keys_are_read_back_from_a_redacted_report() {
    let t = Tree::new();
    let k = keys();
    for f in &forms(&k) {
        t.write(f.path, format!("{}\n", f.line));
    }
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let mut v = json(&o);
    v["findings"][0]["decoding"] = json!(["rot13", "base64"]);
    v["findings"][0]["encoding"] = json!("rot13");
    v["findings"][0]["hops"] = json!([{"kind": "squashfs", "member": "x"}]);
    std::fs::write(t.join("report.json"), v.to_string()).unwrap();
    let dry = t.run(&["revoke", "--report", "report.json", "--dry-run"]);
    let out = stdout(&dry);
    assert_eq!(code(&dry), 0, "{out}\n{}", stderr(&dry));
    let n = k.len();
    assert!(
        out.contains(&format!("{n} of {n} keys would be revoked")),
        "{out}"
    );
    for key in &k {
        assert_secret_absent(&dry, key);
    }
}

/// The audit shows the same masked line and names the decodings, in its text and
/// in its HTML page.
#[test]
fn audit_shows_encoded_keys_as_the_file_has_them() {
    let r = Repo::init();
    let k = keys();
    let forms = forms(&k);
    for f in &forms {
        r.write(f.path, &format!("{}\n", f.line));
    }
    r.commit("add the web client");
    let page = r.dir.join("../audit.html");
    let o = r.scan(&["audit", "--html", page.to_str().unwrap()]);
    let text = stdout(&o);
    let html = std::fs::read_to_string(&page).unwrap();
    for (f, key) in forms.iter().zip(&k) {
        assert_secret_absent(&o, key);
        assert_text_lacks(&html, key);
        encoded_body_absent(&text, f, key);
        encoded_body_absent(&html, f, key);
    }
    let b = block(&text, "web/nested.js");
    assert!(
        b.contains("= note: decoded from base64, then percent-encoding: "),
        "{b}"
    );
    assert!(
        html.contains("decoded from base64, then percent-encoding<pre>const k = atob("),
        "{html}"
    );
    // The marked span is the masked encoded text, never a decoded key.
    for mark in html.split("<mark>").skip(1) {
        let mark = &mark[..mark.find("</mark>").unwrap()];
        assert!(!mark.contains("qrcp_live_"), "{mark}");
    }
}
