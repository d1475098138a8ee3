//! Issue 4: client-side bundles. Encodings, source maps, notebooks, minified
//! files, archives (nested, bombs), build output, client-side reads, and the `url`
//! command against local servers. Every key is generated at test time and must
//! never appear in the output.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;

use crate::util::*;

/// `qrcp_live_Ab3x…`: how a key is shown redacted.
pub fn shown(key: &str) -> String {
    format!("{}…", &key[..14])
}

/// The finding of `key`: by its fingerprint (two generated keys may share
/// the four characters the redacted secret shows), shown redacted.
pub fn finding_of<'a>(report: &'a Value, key: &str) -> &'a Value {
    let want = shown(key);
    let fingerprint = sha256_hex(key);
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fingerprint"] == fingerprint.as_str())
        .unwrap_or_else(|| panic!("no finding for {want} in {report:#}"));
    assert_eq!(f["secret"], want.as_str(), "{f:#}");
    f
}

pub fn utf16(s: &str, be: bool) -> Vec<u8> {
    s.encode_utf16()
        .flat_map(|u| if be { u.to_be_bytes() } else { u.to_le_bytes() })
        .collect()
}

pub fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn each_encoding_is_decoded_at_its_physical_place() {
    let t = Tree::new();
    let keys: Vec<String> = (0..6).map(|_| live_key()).collect();
    let (a, b) = keys[3].split_at(10);
    let (c, d) = keys[4].split_at(10);
    let js = format!(
        "// bundle\nconst a = atob(\"{}\");\nfetch(\"/x?key={}\");\nconst e = \"{}\";\nconst k = \"{a}\" +\n  \"{b}\";\nconst t = `{c}${{\"{d}\"}}`;\nconst u = '{}';\n",
        b64(&format!("{{\"key\":\"{}\"}}", keys[0])),
        keys[1].replace('_', "%5F"),
        keys[2].replace('_', "\\u005f"),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("k={}", keys[5])),
    );
    t.write("web/app.js", &js);
    let o = t.run(&["dir", "web", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    let expect = [
        (0, "base64", 2),
        (1, "percent", 3),
        (2, "escape", 4),
        (3, "concatenation", 5),
        (4, "concatenation", 7),
        (5, "base64", 8),
    ];
    for (i, enc, line) in expect {
        let f = finding_of(&r, &keys[i]);
        assert_eq!(f["encoding"], enc, "{f}");
        assert_eq!(f["line"], line, "{f}");
        assert_eq!(f["path"], "web/app.js");
    }
    assert_eq!(r["findings"].as_array().unwrap().len(), 6);
    // Columns are physical: the percent-encoded key starts after `fetch("/x?key=`.
    assert_eq!(finding_of(&r, &keys[1])["column"], 15);
    let human = t.run(&["dir", "web"]);
    for k in &keys {
        assert_secret_absent(&o, k);
        assert_secret_absent(&human, k);
    }
    // The encoded forms are not shown in full either.
    let out = stdout(&human);
    let pct = keys[1].replace('_', "%5F");
    assert!(!out.contains(&pct[14..30]), "{out}");
    let enc = b64(&format!("{{\"key\":\"{}\"}}", keys[0]));
    assert!(!out.contains(&enc[16..32]), "{out}");
    assert!(out.contains("qrcp_live_"), "{out}");
}

#[test]
fn placeholders_stay_placeholders_after_decoding() {
    let t = Tree::new();
    let ph = "qrcp_live_xxxxxxxxxxxxxxxxxxxx";
    t.write(
        "a.js",
        format!(
            "atob(\"{}\")\nu='{}'\nk = \"qrcp_live_\" + \"${{KEY}}\"\n",
            b64(ph),
            ph.replace('_', "%5F")
        ),
    );
    let o = t.run(&["dir", "."]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("3 placeholders ignored"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn utf16_files_are_text_not_binary() {
    let t = Tree::new();
    let (le, be) = (live_key(), test_key());
    let mut le_bytes = vec![0xFF, 0xFE];
    le_bytes.extend(utf16(&format!("# config\r\nQRCP_KEY={le}\r\n"), false));
    t.write("win/settings.ps1", le_bytes);
    t.write("win/be.txt", utf16(&format!("first\nsecond: {be}\n"), true));
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    let f = finding_of(&r, &le);
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(2), Some(10))
    );
    assert_eq!(f["encoding"], "utf-16");
    let f = finding_of(&r, &be);
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(2), Some(9))
    );
    let human = t.run(&["dir", "."]);
    assert!(
        stdout(&human).contains("QRCP_KEY=qrcp_live_"),
        "{}",
        stdout(&human)
    );
    assert!(!stdout(&human).contains("\\x00"), "{}", stdout(&human));
    for k in [&le, &be] {
        assert_secret_absent(&o, k);
        assert_secret_absent(&human, k);
    }
}

#[test]
fn source_map_keys_carry_the_original_source() {
    let t = Tree::new();
    let key = live_key();
    let content = format!("import x from 'y';\n\nexport const key = \"{key}\";\n");
    let map = serde_json::json!({
        "version": 3,
        "file": "app.js",
        "sourceRoot": "",
        "sources": ["webpack:///src/util.ts", "webpack:///src/api.ts"],
        "sourcesContent": ["export {}\n", content],
        "names": [],
        "mappings": "AAAA",
    });
    t.write("dist/app.js.map", serde_json::to_string(&map).unwrap());
    let o = t.run(&["dir", "dist", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    let f = finding_of(&r, &key);
    assert_eq!(f["path"], "dist/app.js.map");
    assert_eq!(f["line"], 1);
    assert_eq!(
        f["origin"],
        serde_json::json!({"path": "webpack:///src/api.ts", "line": 3})
    );
    let human = t.run(&["dir", "dist"]);
    let out = stdout(&human);
    assert!(
        out.contains("original source: webpack:///src/api.ts:3"),
        "{out}"
    );
    assert!(out.contains("`dist/` is build output"), "{out}");
    assert_secret_absent(&o, &key);
    assert_secret_absent(&human, &key);
}

#[test]
fn notebook_keys_name_the_cell_and_line() {
    let t = Tree::new();
    let (k1, k2) = (live_key(), test_key());
    let nb = serde_json::json!({
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n"]},
            {"cell_type": "code", "metadata": {}, "execution_count": 1,
             "source": ["import qr\n", format!("client = qr.Client(\"{k1}\")\n")],
             "outputs": [{"output_type": "stream", "name": "stdout", "text": [format!("{k2}\n")]}]}
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5
    });
    t.write("nb/demo.ipynb", serde_json::to_string_pretty(&nb).unwrap());
    let o = t.run(&["dir", "nb", "--format", "json"]);
    let r = json(&o);
    // Cells are members: a cell's source, then its outputs' text, with the
    // cell's own lines.
    let at = |k: &str| {
        let f = finding_of(&r, k);
        (f["path"].clone(), f["line"].clone())
    };
    assert_eq!(
        at(&k1),
        (serde_json::json!("nb/demo.ipynb!cell[2]"), 2.into())
    );
    assert_eq!(
        at(&k2),
        (serde_json::json!("nb/demo.ipynb!cell[2]-output"), 1.into())
    );
    assert_secret_absent(&o, &k1);
    assert_secret_absent(&o, &k2);
}

#[test]
fn multi_megabyte_minified_line_with_the_key_near_the_end() {
    let t = Tree::new();
    let key = live_key();
    let mut line = String::with_capacity(4_100_000);
    while line.len() < 4_000_000 {
        line.push_str("function a(b){return b.map(function(c){return c*2})};var é=1;");
    }
    let column = line.chars().count() + 8;
    line.push_str(&format!("var k=\"{key}\";var z=atob(\"{}\");", b64(&key)));
    line.push_str(&"x".repeat(500));
    t.write("dist/app.min.js", &line);
    let o = t.run(&["dir", ".", "--format", "json"]);
    let r = json(&o);
    assert_eq!(r["findings"].as_array().unwrap().len(), 2, "{r:#}");
    let f = &r["findings"][0];
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(1), Some(column as u64))
    );
    assert_eq!(r["findings"][1]["encoding"], "base64");
    let human = t.run(&["dir", "."]);
    let out = stdout(&human);
    assert!(
        out.contains(&format!("dist/app.min.js:1:{column}")),
        "{out}"
    );
    assert!(out.lines().all(|l| l.len() < 400), "a line was not clipped");
    assert!(out.contains('…'));
    assert_secret_absent(&o, &key);
    assert_secret_absent(&human, &key);
}

pub fn zip_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub fn tar_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn every_archive_type_is_scanned_member_by_member() {
    let t = Tree::new();
    let mut expect = Vec::new();
    let mut keys = Vec::new();
    for name in ["a.zip", "b.jar", "c.war", "d-1.0-py3-none-any.whl"] {
        let key = live_key();
        let js = format!("export const k = \"{key}\";\n");
        t.write(
            name,
            zip_bytes(&[
                ("README", b"hello"),
                ("package/dist/index.js", js.as_bytes()),
            ]),
        );
        expect.push((format!("{name}!package/dist/index.js"), key.clone()));
        keys.push(key);
    }
    for (name, zipped) in [("e.tar", false), ("f.tar.gz", true), ("g.tgz", true)] {
        let key = live_key();
        let js = format!("\n\nmodule.exports = '{key}';\n");
        let tar = tar_bytes(&[
            ("package/package.json", b"{}"),
            ("package/dist/index.js", js.as_bytes()),
        ]);
        t.write(name, if zipped { gz(&tar) } else { tar });
        expect.push((format!("{name}!package/dist/index.js"), key.clone()));
        keys.push(key);
    }
    let key = live_key();
    t.write("h.js.gz", gz(format!("k='{key}'").as_bytes()));
    expect.push(("h.js.gz!h.js".to_string(), key.clone()));
    keys.push(key);
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    for (path, key) in &expect {
        assert_eq!(finding_of(&r, key)["path"], path.as_str());
        assert_secret_absent(&o, key);
    }
    assert_eq!(r["findings"].as_array().unwrap().len(), expect.len());
    assert_eq!(finding_of(&r, &expect[5].1)["line"], 3);
    // Standard input with an archive's name works the same way.
    let data = std::fs::read(t.join("g.tgz")).unwrap();
    let o = qrcp()
        .args(["stdin", "--name", "pkg.tgz", "--format", "json"])
        .write_stdin(data)
        .output()
        .unwrap();
    assert_eq!(
        found(&json(&o)),
        vec![(
            "qrcp-live-key".into(),
            "pkg.tgz!package/dist/index.js".into(),
            Some(3)
        )]
    );
}

#[test]
fn nested_archives_up_to_the_depth_limit() {
    let t = Tree::new();
    let (k1, k2) = (live_key(), live_key());
    let c = format!("var k = \"{k1}\";");
    let jar = zip_bytes(&[("c.js", c.as_bytes())]);
    t.write("a.zip", zip_bytes(&[("lib/b.jar", &jar)]));
    // Four levels: the innermost archive is not unpacked, with a note.
    let d = format!("var k = \"{k2}\";");
    let mut deep = zip_bytes(&[("d.js", d.as_bytes())]);
    for i in 0..3 {
        deep = zip_bytes(&[(&format!("l{i}.zip"), &deep)]);
    }
    t.write("deep.zip", deep);
    let o = t.run(&["dir", ".", "--format", "json"]);
    let r = json(&o);
    assert_eq!(finding_of(&r, &k1)["path"], "a.zip!lib/b.jar!c.js");
    assert_eq!(r["findings"].as_array().unwrap().len(), 1, "{r:#}");
    assert!(
        stderr(&o).contains(
            "incomplete: deep.zip!l2.zip!l1.zip!l0.zip: not unpacked: archive nested more than 3 deep (raise --max-archive-depth)"
        ),
        "{}",
        stderr(&o)
    );
    // Not read in full: listed in the report, and the limit has a flag.
    assert_eq!(r["incomplete"][0]["path"], "deep.zip!l2.zip!l1.zip!l0.zip");
    assert_secret_absent(&o, &k1);
    assert_secret_absent(&o, &k2);
    let o = t.run(&["dir", ".", "--format", "json", "--max-archive-depth", "4"]);
    let r = json(&o);
    assert_eq!(
        finding_of(&r, &k2)["path"],
        "deep.zip!l2.zip!l1.zip!l0.zip!d.js"
    );
    assert_eq!(r["incomplete"], serde_json::json!([]));
}

#[test]
fn archive_bombs_are_skipped_and_reported_incomplete() {
    let t = Tree::new();
    // 10 GB of zeros as 100 concatenated gzip members of 100 MB (about 10 MB).
    let member = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..100 {
            e.write_all(&zeros).unwrap();
        }
        e.finish().unwrap()
    };
    t.write("bomb.js.gz", member.repeat(100));
    let zeros = vec![0u8; 64 << 20];
    t.write("bomb.zip", zip_bytes(&[("zeros.js", &zeros)]));
    t.write(
        "bomb.tgz",
        gz(&tar_bytes(&[
            ("package/zeros.js", &zeros),
            ("package/after.js", b"x"),
        ])),
    );
    let key = live_key();
    t.write("src/neighbour.js", format!("k = '{key}'\n"));
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let err = stderr(&o);
    for what in [
        "bomb.js.gz!bomb.js",
        "bomb.zip!zeros.js",
        "bomb.tgz!package/zeros.js",
    ] {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&format!(
                    "qrcp-scan: incomplete: {what}: skipped: compression ratio over"
                )) && l.contains("an archive bomb (raise --max-compression-ratio)")),
            "{what}:\n{err}"
        );
    }
    let r = json(&o);
    assert_eq!(
        found(&r),
        vec![("qrcp-live-key".into(), "src/neighbour.js".into(), Some(1))]
    );
    let skipped: Vec<&str> = r["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        skipped,
        [
            "bomb.js.gz!bomb.js",
            "bomb.tgz!package/zeros.js",
            "bomb.zip!zeros.js"
        ]
    );
    assert_secret_absent(&o, &key);
}

#[test]
fn a_key_after_megabytes_of_zeros_is_never_skipped_silently() {
    // Padding compresses past the bomb ratio, so it hides what follows it:
    // the skipped member makes the scan incomplete (exit 2, not 0), and raising
    // the ratio reads it.
    let t = Tree::new();
    let key = live_key();
    let mut padded = vec![b' '; 16 << 20];
    padded.extend_from_slice(format!("\nk = '{key}'\n").as_bytes());
    t.write("padded.js.gz", gz(&padded));
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert_eq!(json(&o)["incomplete"][0]["path"], "padded.js.gz!padded.js");
    assert_secret_absent(&o, &key);
    let o = t.run(&[
        "dir",
        ".",
        "--format",
        "json",
        "--max-compression-ratio",
        "100000",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        found(&json(&o)),
        vec![(
            "qrcp-live-key".into(),
            "padded.js.gz!padded.js".into(),
            Some(2)
        )]
    );
    assert_secret_absent(&o, &key);
    let o = t.run(&["dir", ".", "--max-compression-ratio", "0"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("--max-compression-ratio"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn corrupt_archive_is_one_error_and_the_scan_goes_on() {
    let t = Tree::new();
    t.write("broken.zip", b"PK\x03\x04 this is not really a zip archive");
    let key = live_key();
    t.write("ok.js", format!("k = '{key}'\n"));
    let o = t.run(&["dir", "."]);
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("qrcp-scan: incomplete: broken.zip: not a readable zip archive"),
        "{err}"
    );
    assert_secret_absent(&o, &key);
}

#[test]
fn client_side_reads_of_public_key_variables_are_warnings() {
    let t = Tree::new();
    t.write(
        "src/api.ts",
        "const k = process.env.NEXT_PUBLIC_QRCODEPRO_API_KEY;\nconst v = import.meta.env.VITE_QRCODEPRO_API_KEY;\nconst s = process.env.QRCODEPRO_API_KEY;\n",
    );
    t.write(".env.production", "NEXT_PUBLIC_QRCODEPRO_API_KEY=abc\n");
    let o = t.run(&["dir", ".", "--format", "json"]);
    let r = json(&o);
    let sev: Vec<(String, String, u64)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "client-exposed-env")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        sev,
        [
            (".env.production".into(), "error".into(), 1),
            ("src/api.ts".into(), "warning".into(), 1),
            ("src/api.ts".into(), "warning".into(), 2),
        ]
    );
}

/// A local web server on loopback, answering `routes` until dropped (and for a
/// minute at most).
struct Site {
    base: String,
    stop: Arc<AtomicBool>,
}

type Route = (u16, Vec<(String, String)>, Vec<u8>, Duration);

impl Site {
    fn start(routes: impl Fn(&str, &str) -> Route + Send + 'static) -> Site {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let me = base.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !flag.load(Ordering::Relaxed) && Instant::now() < deadline {
                let Ok(Some(req)) = server.recv_timeout(Duration::from_millis(50)) else {
                    continue;
                };
                let (status, headers, body, delay) = routes(&me, req.url());
                // A slow answer must not hold up the others.
                std::thread::spawn(move || {
                    std::thread::sleep(delay);
                    let mut resp = tiny_http::Response::from_data(body).with_status_code(status);
                    for (k, v) in headers {
                        resp = resp.with_header(tiny_http::Header::from_bytes(k, v).unwrap());
                    }
                    let _ = req.respond(resp);
                });
            }
        });
        Site { base, stop }
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[test]
fn url_scans_a_deployed_site_and_its_source_maps() {
    let (k_page, k_js, k_map, k_cdn, k_header) =
        (live_key(), live_key(), test_key(), live_key(), live_key());
    let cdn_js = format!("var cdn = '{k_cdn}';");
    let cdn = Site::start(move |_, path| match path {
        "/lib.js" => (200, vec![], cdn_js.clone().into_bytes(), Duration::ZERO),
        _ => (404, vec![], b"not found".to_vec(), Duration::ZERO),
    });
    let cdn_base = cdn.base.clone();
    let (kp, kj, km, kh) = (
        k_page.clone(),
        k_js.clone(),
        k_map.clone(),
        k_header.clone(),
    );
    let site = Site::start(move |me, path| {
        let ok = |b: String| (200, vec![], b.into_bytes(), Duration::ZERO);
        match path {
            "/" => ok(format!(
                r#"<!doctype html><html><head>
<link rel="modulepreload" href="/assets/vendor.js">
<script>window.cfg = {{ k: "{kp}" }}</script>
<script type="module" src="/assets/app.js"></script>
<script src="/assets/missing.js"></script>
<script src="/moved.js"></script>
<script src="{cdn_base}/lib.js"></script>
<script src="/assets/slow.js"></script>
</head></html>"#
            )),
            "/assets/app.js" => ok(format!(
                "const k=atob(\"{}\");\n//# sourceMappingURL=app.js.map\n",
                b64(&kj)
            )),
            "/assets/app.js.map" => ok(serde_json::json!({
                "version": 3, "sources": ["../src/api.ts"], "mappings": "",
                "sourcesContent": [format!("// api\nexport const k = '{km}';\n")]
            })
            .to_string()),
            "/assets/vendor.js" => (
                200,
                vec![("SourceMap".into(), "/maps/vendor.map".into())],
                b"export {}".to_vec(),
                Duration::ZERO,
            ),
            "/maps/vendor.map" => ok(serde_json::json!({
                "version": 3, "sources": ["vendor.ts"], "mappings": "",
                "sourcesContent": [format!("k = '{kh}'")]
            })
            .to_string()),
            "/moved.js" => (
                302,
                vec![("Location".into(), "http://localhost:9/evil.js".into())],
                vec![],
                Duration::ZERO,
            ),
            "/assets/slow.js" => (200, vec![], b"slow".to_vec(), Duration::from_secs(4)),
            _ => (
                404,
                vec![],
                format!("no {path} on {me}").into_bytes(),
                Duration::ZERO,
            ),
        }
    });
    let page = format!("{}/", site.base);
    let o = qrcp()
        .args(["url", &page, "--timeout", "1", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let r = json(&o);
    let err = stderr(&o);
    let f = finding_of(&r, &k_page);
    assert_eq!(
        (f["path"].as_str(), f["source"].as_str()),
        (Some(format!("{page}!script[1]").as_str()), Some("url"))
    );
    let f = finding_of(&r, &k_js);
    assert_eq!(f["path"], format!("{}/assets/app.js", site.base));
    assert_eq!(f["encoding"], "base64");
    let f = finding_of(&r, &k_map);
    assert_eq!(f["path"], format!("{}/assets/app.js.map", site.base));
    assert_eq!(
        f["origin"],
        serde_json::json!({"path": "../src/api.ts", "line": 2})
    );
    let f = finding_of(&r, &k_header);
    assert_eq!(f["path"], format!("{}/maps/vendor.map", site.base));
    assert_eq!(r["findings"].as_array().unwrap().len(), 4, "{r:#}");
    // Linked scripts that were not read are incomplete; a script of another
    // origin, not asked for, is a note.
    for want in [
        format!(
            "qrcp-scan: incomplete: {}/assets/missing.js: not read: HTTP 404",
            site.base
        ),
        format!(
            "qrcp-scan: incomplete: {}/moved.js: not read: redirects to another origin (http://localhost:9/evil.js): not followed",
            site.base
        ),
        format!(
            "qrcp-scan: note: {}/lib.js: skipped: another origin than the page (--cross-origin scans it)",
            cdn.base
        ),
        format!(
            "qrcp-scan: incomplete: {}/assets/slow.js: not read: timed out",
            site.base
        ),
    ] {
        assert!(err.lines().any(|l| l.starts_with(&want)), "{want}\n{err}");
    }
    for k in [&k_page, &k_js, &k_map, &k_cdn, &k_header] {
        assert_secret_absent(&o, k);
    }
    // With --cross-origin the CDN's script is fetched too.
    let o = qrcp()
        .args([
            "url",
            &page,
            "--timeout",
            "1",
            "--cross-origin",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let r = json(&o);
    let f = finding_of(&r, &k_cdn);
    assert_eq!(f["path"], format!("{}/lib.js", cdn.base));
    assert_secret_absent(&o, &k_cdn);
}

#[test]
fn url_rejects_what_is_not_a_web_url() {
    let o = qrcp().args(["url", "file:///etc/passwd"]).output().unwrap();
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("file:///etc/passwd: not an http:// or https:// URL"),
        "{}",
        stderr(&o)
    );
}
