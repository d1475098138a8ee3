//! History and staged blobs get the same treatment as files on disk: decoding
//! layers, UTF-16, archives member by member, source-map and notebook origins and
//! build-output notes, with the commit that introduced each key and the archive
//! member path after attribution. Every key is generated at test time and must
//! never appear in the output.

use std::process::Output;

use serde_json::Value;

use crate::bundles::{b64, finding_of, gz, shown, tar_bytes, utf16, zip_bytes};
use crate::git::Repo;
use crate::util::*;

fn write_bytes(r: &Repo, rel: &str, data: &[u8]) {
    let p = r.dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

fn report(r: &Repo, args: &[&str]) -> (Output, Value) {
    let o = r.scan(args);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    (o, v)
}

fn source_map(key: &str) -> String {
    serde_json::json!({
        "version": 3,
        "file": "app.js",
        "sources": ["webpack:///src/util.ts", "webpack:///src/api.ts"],
        "sourcesContent": ["export {}\n", format!("// api\n\nexport const k = '{key}';\n")],
        "mappings": "AAAA",
    })
    .to_string()
}

fn notebook(key: &str) -> String {
    serde_json::json!({
        "nbformat": 4,
        "cells": [
            {"cell_type": "markdown", "source": ["# Analysis\n"]},
            {"cell_type": "code", "source": ["import qrcodepro\n", format!("client = qrcodepro.Client('{key}')\n")]},
        ],
    })
    .to_string()
}

/// Findings of a report reduced to what these tests pin, keyed by secret.
fn check(v: &Value, key: &str, path: &str, commit: &str, encoding: Value, origin: Value) {
    let f = finding_of(v, key);
    assert_eq!(f["path"], path, "{f:#}");
    assert_eq!(f["commit"], commit, "{f:#}");
    assert_eq!(f["source"], "git", "{f:#}");
    assert_eq!(f["encoding"], encoding, "{f:#}");
    assert_eq!(f["origin"], origin, "{f:#}");
}

#[test]
fn history_blobs_are_decoded_unpacked_and_given_origins() {
    let r = Repo::init();
    let k: Vec<String> = (0..8).map(|_| live_key()).collect();
    r.write("README.md", "hello\n");
    write_bytes(&r, "lib.zip", &zip_bytes(&[("README", b"nothing yet")]));
    r.commit("init");

    r.write(
        "web/app.js",
        &format!("// bundle\nconst a = atob(\"{}\");\n", b64(&k[0])),
    );
    let mut utf = vec![0xFF, 0xFE];
    utf.extend(utf16(&format!("# config\r\nQRCP_KEY={}\r\n", k[1]), false));
    write_bytes(&r, "win/config.txt", &utf);
    let js = format!("export const k = \"{}\";\n", k[2]);
    write_bytes(
        &r,
        "dist/bundle.zip",
        &zip_bytes(&[("inner.js", js.as_bytes())]),
    );
    let js = format!("\n\nmodule.exports = '{}';\n", k[3]);
    let tar = tar_bytes(&[
        ("package/package.json", b"{}"),
        ("package/index.js", js.as_bytes()),
    ]);
    write_bytes(&r, "vendor/pkg.tgz", &gz(&tar));
    r.write("maps/app.js.map", &source_map(&k[4]));
    // One notebook blob at two paths: a notebook by its content at both.
    r.write("nb/analysis.ipynb", &notebook(&k[5]));
    r.write("backup/analysis.json", &notebook(&k[5]));
    // A plain `.gz`: its member is named after the file, known only after the scan.
    write_bytes(
        &r,
        "data/keys.js.gz",
        &gz(format!("k='{}'\n", k[6]).as_bytes()),
    );
    let c1 = r.commit("add assets");

    let js = format!("const late = '{}';\n", k[7]);
    write_bytes(
        &r,
        "lib.zip",
        &zip_bytes(&[("README", b"nothing yet"), ("lib/late.js", js.as_bytes())]),
    );
    let c2 = r.commit("update lib");
    for p in [
        "web", "win", "dist", "vendor", "maps", "nb", "backup", "data", "lib.zip",
    ] {
        r.git(&["rm", "-r", "-q", p]);
    }
    r.commit("remove everything");

    let (o, v) = report(&r, &["git", "--format", "json"]);
    let null = Value::Null;
    check(&v, &k[0], "web/app.js", &c1, "base64".into(), null.clone());
    assert_eq!(finding_of(&v, &k[0])["line"], 2);
    check(
        &v,
        &k[1],
        "win/config.txt",
        &c1,
        "utf-16".into(),
        null.clone(),
    );
    assert_eq!(finding_of(&v, &k[1])["line"], 2);
    check(
        &v,
        &k[2],
        "dist/bundle.zip!inner.js",
        &c1,
        null.clone(),
        null.clone(),
    );
    check(
        &v,
        &k[3],
        "vendor/pkg.tgz!package/index.js",
        &c1,
        null.clone(),
        null.clone(),
    );
    assert_eq!(finding_of(&v, &k[3])["line"], 3);
    let map_origin = serde_json::json!({"path": "webpack:///src/api.ts", "line": 3});
    check(&v, &k[4], "maps/app.js.map", &c1, null.clone(), map_origin);
    check(
        &v,
        &k[6],
        "data/keys.js.gz!keys.js",
        &c1,
        null.clone(),
        null.clone(),
    );
    check(
        &v,
        &k[7],
        "lib.zip!lib/late.js",
        &c2,
        null.clone(),
        null.clone(),
    );
    let nb: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["secret"] == shown(&k[5]).as_str())
        .collect();
    assert_eq!(nb.len(), 2, "{v:#}");
    for f in nb {
        assert_eq!(f["commit"], c1.as_str());
        // A notebook is told by its content: the same members at both paths.
        match f["path"].as_str().unwrap() {
            "nb/analysis.ipynb!cell[2]" | "backup/analysis.json!cell[2]" => {
                assert_eq!(f["line"], 2, "{f:#}")
            }
            other => panic!("unexpected path {other}"),
        }
    }
    assert_eq!(v["findings"].as_array().unwrap().len(), 9, "{v:#}");

    // People see the archive member, the build-output note and the original source.
    let human = r.scan(&["git"]);
    let out = stdout(&human);
    assert!(out.contains("dist/bundle.zip!inner.js"), "{out}");
    assert!(out.contains("`dist/` is build output"), "{out}");
    assert!(
        out.contains("original source: webpack:///src/api.ts:3"),
        "{out}"
    );
    assert!(out.contains("nb/analysis.ipynb!cell[2]:2:"), "{out}");
    // A range scan reads the same blobs the same way.
    let (ro, rv) = report(&r, &["git", "--branch", "main", "--format", "json"]);
    assert_eq!(found(&rv), found(&v));
    for key in &k {
        for out in [&o, &human, &ro] {
            assert_secret_absent(out, key);
        }
    }
}

#[test]
fn a_dangling_archive_names_its_member() {
    let r = Repo::init();
    let key = live_key();
    r.write("README.md", "hello\n");
    r.commit("init");
    let js = format!("k = '{key}'\n");
    write_bytes(
        &r,
        "tmp.zip",
        &zip_bytes(&[("pkg/inner.js", js.as_bytes())]),
    );
    let blob = r.git(&["hash-object", "-w", "tmp.zip"]);
    std::fs::remove_file(r.dir.join("tmp.zip")).unwrap();

    let (o, v) = report(&r, &["git", "--format", "json"]);
    let f = finding_of(&v, &key);
    assert_eq!(f["path"], Value::Null);
    assert_eq!(f["source"], "git-unreachable");
    let human = r.scan(&["git"]);
    let out = stdout(&human);
    assert!(
        out.contains(&format!("in member pkg/inner.js of blob {blob}")),
        "{out}"
    );
    assert_secret_absent(&o, &key);
    assert_secret_absent(&human, &key);
}

#[test]
fn staged_blobs_are_decoded_and_unpacked() {
    let r = Repo::init();
    let (old, new, zipped, member, wide) =
        (live_key(), live_key(), live_key(), live_key(), live_key());
    r.write(
        "app.js",
        &format!("const a = 1;\nconst old = atob(\"{}\");\n", b64(&old)),
    );
    write_bytes(&r, "bundle.zip", &zip_bytes(&[("README", b"no key here")]));
    let mut utf = vec![0xFF, 0xFE];
    utf.extend(utf16("first\nsecond\n", false));
    write_bytes(&r, "notes.txt", &utf);
    r.commit("init");

    // A modified file: only the added line's encoded key is reported.
    r.write(
        "app.js",
        &format!(
            "const a = 1;\nconst old = atob(\"{}\");\nconst b = 2;\nconst k = atob(\"{}\");\n",
            b64(&old),
            b64(&new)
        ),
    );
    // A newly staged zip, and a modified one: every member finding is reported.
    let js = format!("export const k = \"{zipped}\";\n");
    write_bytes(
        &r,
        "pkg.zip",
        &zip_bytes(&[("dist/index.js", js.as_bytes())]),
    );
    let js = format!("k = '{member}'\n");
    write_bytes(
        &r,
        "bundle.zip",
        &zip_bytes(&[("README", b"no key here"), ("lib/x.js", js.as_bytes())]),
    );
    // A modified UTF-16 file: its added line is found and placed.
    utf.extend(utf16(&format!("third {wide}\n"), false));
    write_bytes(&r, "notes.txt", &utf);
    r.git(&["add", "-A"]);

    let (o, v) = report(&r, &["staged", "--format", "json"]);
    assert_eq!(
        found(&v),
        vec![
            ("qrcp-live-key".into(), "app.js".into(), Some(4)),
            (
                "qrcp-live-key".into(),
                "bundle.zip!lib/x.js".into(),
                Some(1)
            ),
            ("qrcp-live-key".into(), "notes.txt".into(), Some(3)),
            (
                "qrcp-live-key".into(),
                "pkg.zip!dist/index.js".into(),
                Some(1)
            ),
        ]
    );
    assert_eq!(finding_of(&v, &new)["encoding"], "base64");
    assert_eq!(finding_of(&v, &wide)["encoding"], "utf-16");
    assert_eq!(finding_of(&v, &zipped)["source"], "staged");
    let human = r.scan(&["staged"]);
    for key in [&old, &new, &zipped, &member, &wide] {
        assert_secret_absent(&o, key);
        assert_secret_absent(&human, key);
    }
}
