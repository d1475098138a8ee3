//! Issue 10, containers: every container form (compressed streams `.gz`, `.br`,
//! `.zst`, `.deflate`, zlib, `.bz2`, `.xz` and `.tar.xz`; zip and tar; a source map; `data:` URIs, base64 and
//! percent-encoded; an HTML page's inline scripts; a notebook; base64 of gzip
//! and of zlib, also in base64 again, also with `\/` or percent-escaped
//! characters; raw deflate in base64; hex digits of a stream; a key split into
//! a Word document's or an Excel sheet's runs) is
//! opened the same way in a folder, in a staged change and in git history (where
//! blobs are read before their names: brotli and raw deflate are known by
//! decoding to text), with the same member path and line. Truncated members make
//! the scan incomplete. Every key is generated at test time and never printed.

use serde_json::Value;
use std::io::Write;

use crate::bundles::{b64, finding_of, gz, tar_bytes, zip_bytes};
use crate::git::Repo;
use crate::util::*;

fn br(data: &[u8]) -> Vec<u8> {
    let mut w = brotli::CompressorWriter::new(Vec::new(), 4096, 5, 22);
    w.write_all(data).unwrap();
    w.into_inner()
}

fn zst(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn b64_bytes(data: &[u8]) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, data)
}

/// `data` as lower-case hex digits.
fn hex_digits(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// gzip whose header's time is all ones: its base64 starts `H4sIAP////8A`,
/// so that escaping `/` always changes it.
fn gz_slashes(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::GzBuilder::new()
        .mtime(u32::MAX)
        .write(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// zlib at level 1: its header is `78 01`, base64 `eA…`.
fn zlib_fast(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A script of a few lines with `key` on line 2 (long enough that its compressed
/// form is not text by accident).
fn script(key: &str) -> Vec<u8> {
    format!(
        "// generated bundle\nconst apiKey = \"{key}\";\n{}",
        "export function f(a, b) { return a + b * 2; }\n".repeat(8)
    )
    .into_bytes()
}

struct Case {
    file: &'static str,
    bytes: Vec<u8>,
    /// Where the key must be reported: path and line.
    path: &'static str,
    line: u64,
    origin: Option<Value>,
}

fn cases(k: &[String]) -> Vec<Case> {
    let c = |file, bytes, path, line| Case {
        file,
        bytes,
        path,
        line,
        origin: None,
    };
    let map = serde_json::json!({
        "version": 3,
        "sources": ["../src/api.ts"],
        "sourcesContent": [format!("// api\n\nexport const k = \"{}\";\n", k[8])],
        "mappings": "AAAA",
    })
    .to_string();
    // An index map (Turbopack, concatenated maps): the source sits in a
    // section's map, with that map's own `sourceRoot`.
    let index_map = serde_json::json!({
        "version": 3,
        "sections": [
            {"offset": {"line": 0, "column": 0}, "map": {
                "version": 3, "sources": ["a.ts"], "sourcesContent": ["export {}\n"],
                "mappings": "AAAA"}},
            {"offset": {"line": 40, "column": 0}, "map": {
                "version": 3, "sourceRoot": "/app/", "sources": ["x.ts", "src/keys.ts"],
                "sourcesContent": [null, format!("// keys\nexport const k = '{}';\n", k[13])],
                "mappings": "AAAA"}},
        ],
    })
    .to_string();
    let notebook = serde_json::json!({
        "cells": [
            {"cell_type": "markdown", "source": ["# Demo\n"]},
            // Joined across the cell's lines, as Python joins adjacent literals:
            // only the JSON-unescaped cell reads as the author wrote it.
            {"cell_type": "code", "source": ["import os\n", "KEY = (\n",
                format!("    \"{}\"\n", &k[9][..10]), format!("    \"{}\"\n", &k[9][10..]), ")\n"],
             "outputs": []},
        ],
        "nbformat": 4,
        "nbformat_minor": 5,
    });
    let notebook = serde_json::to_string_pretty(&notebook).unwrap();
    let page = format!(
        "<!doctype html>\n<html><head>\n<script src=\"/app.js\"></script>\n<script>\n  window.cfg = {{\n    key: \"{}\" }};\n</script>\n</head></html>\n",
        k[10]
    );
    let percent: String = format!("{{\"k\":\"{}\"}}", k[12])
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    vec![
        c("web/a.js.gz", gz(&script(&k[0])), "web/a.js.gz!a.js", 2),
        c("web/b.js.br", br(&script(&k[1])), "web/b.js.br!b.js", 2),
        c("web/c.js.zst", zst(&script(&k[2])), "web/c.js.zst!c.js", 2),
        c(
            "web/d.js.deflate",
            raw_deflate(&script(&k[3])),
            "web/d.js.deflate!d.js",
            2,
        ),
        c("web/e.js.zz", zlib(&script(&k[4])), "web/e.js.zz!e.js", 2),
        c(
            "web/f.zip",
            zip_bytes(&[("assets/f.js", &script(&k[5]))]),
            "web/f.zip!assets/f.js",
            2,
        ),
        c(
            "web/g.tar",
            tar_bytes(&[("pkg/g.js", &script(&k[6]))]),
            "web/g.tar!pkg/g.js",
            2,
        ),
        c(
            "web/h.js",
            format!(
                "const m = await import(\"data:text/javascript;base64,{}\");\n",
                b64(&String::from_utf8(script(&k[7])).unwrap())
            )
            .into_bytes(),
            "web/h.js!data[1]",
            2,
        ),
        Case {
            origin: Some(serde_json::json!({"path": "../src/api.ts", "line": 3})),
            ..c("web/i.js.map", map.into_bytes(), "web/i.js.map", 1)
        },
        c("nb/j.ipynb", notebook.into_bytes(), "nb/j.ipynb!cell[2]", 3),
        c(
            "web/index.html",
            page.into_bytes(),
            "web/index.html!script[2]",
            6,
        ),
        c(
            "web/l.js",
            format!(
                "// packed\nvar blob = \"{}\";\n",
                b64_bytes(&gz(&script(&k[11])))
            )
            .into_bytes(),
            "web/l.js!base64[1].gz!base64[1]",
            2,
        ),
        c(
            "web/m.css",
            format!("a {{ background: url(\"data:application/json,{percent}\") }}\n").into_bytes(),
            "web/m.css!data[1]",
            1,
        ),
        Case {
            origin: Some(serde_json::json!({"path": "/app/src/keys.ts", "line": 2})),
            ..c("web/n.js.map", index_map.into_bytes(), "web/n.js.map", 1)
        },
        c("web/o.js.bz2", bz2(&script(&k[14])), "web/o.js.bz2!o.js", 2),
        c(
            "web/p.tar.xz",
            xz(&tar_bytes(&[("pkg/p.js", &script(&k[15]))])),
            "web/p.tar.xz!p.tar!pkg/p.js",
            2,
        ),
        c(
            "web/q.js",
            format!("var blob = '{}';\n", b64_bytes(&xz(&script(&k[16])))).into_bytes(),
            "web/q.js!base64[1].xz!base64[1]",
            2,
        ),
        c(
            "web/r.js",
            format!("var blob = '{}';\n", b64_bytes(&bz2(&script(&k[17])))).into_bytes(),
            "web/r.js!base64[1].bz2!base64[1]",
            2,
        ),
        // zlib in base64, as Python's `zlib.compress` and PHP's `gzcompress`
        // write it: no four-character magic (`eJ`, `eA`).
        c(
            "tools/s.py",
            format!(
                "import base64, zlib\nCODE = zlib.decompress(base64.b64decode(\"{}\"))\n",
                b64_bytes(&zlib(&script(&k[18])))
            )
            .into_bytes(),
            "tools/s.py!base64[1].zz!base64[1]",
            2,
        ),
        c(
            "tools/t.php",
            format!(
                "<?php eval(gzuncompress(base64_decode('{}')));\n",
                b64_bytes(&zlib_fast(&script(&k[19])))
            )
            .into_bytes(),
            "tools/t.php!base64[1].zz!base64[1]",
            2,
        ),
        // A compressed stream in base64 inside base64: a Helm release stored in
        // a Kubernetes secret is base64 (the secret's) of base64 of gzip of JSON.
        c(
            "deploy/release.yaml",
            format!(
                "apiVersion: v1\nkind: Secret\ntype: helm.sh/release.v1\ndata:\n  release: {}\n",
                b64_bytes(
                    b64_bytes(&gz(serde_json::json!({
                        "name": "web",
                        "config": {"qrcodepro": {"apiKey": k[20]}},
                        "manifest": "---\nkind: Deployment\n".repeat(20),
                    })
                    .to_string()
                    .as_bytes()))
                    .as_bytes()
                )
            )
            .into_bytes(),
            "deploy/release.yaml!base64[1]!base64[1].gz!base64[1]",
            1,
        ),
        // URL-safe base64 of base64 of zlib.
        c(
            "tools/u.txt",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                b64_bytes(&zlib(&script(&k[21]))),
            )
            .into_bytes(),
            "tools/u.txt!base64[1]!base64[1].zz!base64[1]",
            2,
        ),
        // Raw deflate in base64, as PHP's `gzdeflate` writes what `gzinflate`
        // reads back: no header, known by its start inflating to text.
        c(
            "tools/v.php",
            format!(
                "<?php eval(gzinflate(base64_decode('{}')));\n",
                b64_bytes(&raw_deflate(&script(&k[22])))
            )
            .into_bytes(),
            "tools/v.php!base64[1].deflate!base64[1]",
            2,
        ),
        // Base64 of gzip with its characters escaped where it is written: every
        // `/` as `\/` (PHP's `json_encode`), and `+`, `/`, `=` percent-encoded
        // in a URL's query.
        c(
            "api/state.json",
            format!(
                "{{\"state\":\"{}\"}}\n",
                b64_bytes(&gz_slashes(&script(&k[23]))).replace('/', "\\/")
            )
            .into_bytes(),
            "api/state.json!base64[1].gz!base64[1]",
            2,
        ),
        c(
            "api/callback.txt",
            format!(
                "GET /cb?state={}&x=1 HTTP/1.1\n",
                b64_bytes(&gz_slashes(&script(&k[24])))
                    .replace('+', "%2B")
                    .replace('/', "%2F")
                    .replace('=', "%3D")
            )
            .into_bytes(),
            "api/callback.txt!base64[1].gz!base64[1]",
            2,
        ),
        // Hex digits of a stream: a PostgreSQL dump's bytea (`\x1f8b…`), and
        // Python's `bytes.fromhex` of bzip2 in upper case.
        c(
            "db/dump.sql",
            format!(
                "INSERT INTO blobs VALUES (1, '\\x{}');\n",
                hex_digits(&gz(&script(&k[25])))
            )
            .into_bytes(),
            "db/dump.sql!hex[1].gz!hex[1]",
            2,
        ),
        c(
            "tools/w.py",
            format!(
                "import bz2\nCODE = bz2.decompress(bytes.fromhex(\"{}\"))\n",
                hex_digits(&bz2(&script(&k[26]))).to_uppercase()
            )
            .into_bytes(),
            "tools/w.py!hex[1].bz2!hex[1]",
            2,
        ),
        // A key pasted in a Word document and in an Excel sheet: an unknown
        // word, split into runs where the spelling marks and the formatting
        // change.
        c(
            "docs/spec.docx",
            zip_bytes(&[(
                "word/document.xml",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p><w:r><w:t xml:space=\"preserve\">API key: </w:t></w:r><w:r><w:t>{}</w:t></w:r><w:proofErr w:type=\"spellStart\"/><w:r><w:rPr><w:lang w:val=\"en-US\"/></w:rPr><w:t>{}</w:t></w:r><w:proofErr w:type=\"spellEnd\"/></w:p></w:body></w:document>",
                    &k[27][..13],
                    &k[27][13..]
                )
                .as_bytes(),
            )]),
            "docs/spec.docx!word/document.xml",
            2,
        ),
        c(
            "docs/keys.xlsx",
            zip_bytes(&[(
                "xl/sharedStrings.xml",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"2\" uniqueCount=\"2\"><si><t>prod</t></si><si><r><t>{}</t></r><r><rPr><b/><sz val=\"11\"/><color theme=\"1\"/><rFont val=\"Calibri\"/><family val=\"2\"/><scheme val=\"minor\"/></rPr><t>{}</t></r></si></sst>",
                    &k[28][..24],
                    &k[28][24..]
                )
                .as_bytes(),
            )]),
            "docs/keys.xlsx!xl/sharedStrings.xml",
            2,
        ),
    ]
}

fn check(v: &Value, k: &[String], cases: &[Case], what: &str) {
    for (key, case) in k.iter().zip(cases) {
        let f = finding_of(v, key);
        assert_eq!(
            (f["path"].as_str(), f["line"].as_u64()),
            (Some(case.path), Some(case.line)),
            "{what}: {f:#}"
        );
        if let Some(o) = &case.origin {
            assert_eq!(&f["origin"], o, "{what}: {f:#}");
        }
    }
    // Each key once: a member's findings are not reported again in its blob.
    assert_eq!(
        v["findings"].as_array().unwrap().len(),
        cases.len(),
        "{what}: {v:#}"
    );
}

fn keys() -> Vec<String> {
    (0..29).map(|_| live_key()).collect()
}

#[test]
fn every_container_form_is_opened_in_a_folder() {
    let t = Tree::new();
    let k = keys();
    let cases = cases(&k);
    for c in &cases {
        t.write(c.file, &c.bytes);
    }
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    check(&json(&o), &k, &cases, "dir");
    let human = t.run(&["dir", "."]);
    let out = stdout(&human);
    assert!(out.contains("web/index.html!script[2]:6:"), "{out}");
    assert_keys_absent(&[&o, &human], &k);
}

#[test]
fn every_container_form_is_opened_in_history_and_staged() {
    let r = Repo::init();
    r.write("README.md", "hello\n");
    r.commit("init");
    let k = keys();
    let cases = cases(&k);
    for c in &cases {
        let p = r.dir.join(c.file);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, &c.bytes).unwrap();
    }
    r.git(&["add", "-A"]);
    let staged = r.scan(&["staged", "--format", "json"]);
    assert_eq!(code(&staged), 1, "{}", stderr(&staged));
    check(&json(&staged), &k, &cases, "staged");

    r.commit("add the build");
    r.git(&[
        "rm", "-r", "-q", "web", "nb", "tools", "deploy", "api", "db", "docs",
    ]);
    r.commit("remove it");
    let hist = r.scan(&["git", "--format", "json"]);
    assert_eq!(code(&hist), 1, "{}", stderr(&hist));
    check(&json(&hist), &k, &cases, "git");
    assert_keys_absent(&[&staged, &hist], &k);
}

#[test]
fn truncated_compressed_members_make_the_scan_incomplete() {
    let t = Tree::new();
    let key = live_key();
    let cut = |b: Vec<u8>| b[..b.len() / 2].to_vec();
    let long = script(&key).repeat(40);
    t.write("a.js.zst", cut(zst(&long)));
    t.write("b.js.br", cut(br(&long)));
    t.write("c.js.deflate", cut(raw_deflate(&long)));
    t.write("d.js.zz", cut(zlib(&long)));
    t.write("f.js.bz2", cut(bz2(&long)));
    t.write("g.js.xz", cut(xz(&long)));
    t.write(
        "e.js",
        format!("var blob = \"{}\";\n", b64_bytes(&cut(gz(&long)))),
    );
    let o = t.run(&["dir", ".", "--format", "json"]);
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    // Named at the member, or at the stream when even its header is cut.
    for stream in [
        "a.js.zst",
        "b.js.br",
        "c.js.deflate",
        "d.js.zz",
        "e.js!base64[1].gz",
        "f.js.bz2",
        "g.js.xz",
    ] {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&format!("qrcp-scan: incomplete: {stream}"))),
            "{stream}: {err}"
        );
    }
    assert_eq!(err.lines().count(), 7, "{err}");
    assert_secret_absent(&o, &key);
}
