//! WebAssembly modules (issue 10: what ships is what we scan): a site ships
//! `.wasm` beside its scripts, and a string constant sits in the module's data
//! segment as bytes. The modules are real toolchains' output
//! (`fixtures/wasm`, built by `scripts/wasm/generate.mjs`, which runs each
//! one and checks it gives its key back): AssemblyScript's (UTF-16) and a data
//! segment as C, Rust and Go lay one out (UTF-8). They are read in a folder
//! walk without `--binary` (a module is code, not an image), in history and
//! in a staged change; the decoy's placeholder is no finding. `--binary`
//! reaches archive members too (a `.class` in a jar, a `.dex` in an APK).

use std::io::Write as _;

use serde_json::Value;

use crate::git::staged_then_history;
use crate::util::static_site::{Serve, StaticSite};
use crate::util::*;

fn fixtures() -> FixtureSet {
    let (cases, files) = fixture_set("wasm", ".wasm");
    assert!(cases.len() >= 2);
    // Every module holds a NUL near its start: binary to the sniffing.
    assert!(files.iter().all(|(_, b)| b[..64.min(b.len())].contains(&0)));
    (cases, files)
}

/// Each case's key once, in its own module, as the toolchain encoded it; the
/// decoy silent; nothing skipped or left unread.
fn check(v: &Value, cases: &[FixtureCase], prefix: &str, what: &str) {
    check_fixture_report(v, cases, prefix, what, |f, c| {
        assert_eq!(f["encoding"], c.entry["encoding"], "{what}: {f:#}");
    });
    assert_eq!(v["stats"]["skipped"], 0, "{what}: {v:#}");
}

#[test]
fn webassembly_modules_are_read_in_a_folder() {
    let (cases, files) = fixtures();
    let t = Tree::new();
    for (name, bytes) in &files {
        t.write(&format!("dist/assets/{name}"), bytes);
    }
    // A PNG beside them is still binary, and skipped.
    t.write("dist/assets/logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let mut v = json(&o);
    assert_eq!(v["stats"]["skipped"], 1, "{v:#}");
    v["stats"]["skipped"] = 0.into();
    check(&v, &cases, "dist/assets/", "dir");
    let human = t.run(&["dir", "."]);
    assert_fixture_keys_absent(&[&o, &human], &cases);
    let clear = t.run(&["dir", ".", "--format", "json", "--no-redact"]);
    assert_fixture_keys_whole(&json(&clear), &cases, "dist/assets/");
}

#[test]
fn webassembly_modules_are_read_in_history_and_staged() {
    let (cases, files) = fixtures();
    let (staged, hist) = staged_then_history(&files, "public", |v, what| {
        check(v, &cases, "public/", what)
    });
    assert_fixture_keys_absent(&[&staged, &hist], &cases);
}

/// On a deployed site the modules a script loads are fetched and read:
/// wasm-bindgen's `new URL("x_bg.wasm", import.meta.url)` (bare, relative to
/// the script) and Vite's `new URL("/assets/x.wasm", import.meta.url)`, served
/// plain and compressed.
#[test]
fn webassembly_modules_a_script_loads_are_read_on_a_deployed_site() {
    let (cases, files) = fixtures();
    for serve in [Serve::Plain, Serve::Negotiated] {
        let t = Tree::new();
        let mut script = String::from("export async function start(){");
        for (i, (name, bytes)) in files.iter().enumerate() {
            let (rel, url) = match i % 2 {
                0 => (format!("site/assets/{name}"), name.clone()),
                _ => (format!("site/wasm/{name}"), format!("/wasm/{name}")),
            };
            t.write(&rel, bytes);
            // The precompressed copy a static host serves to a client that
            // accepts gzip.
            if matches!(serve, Serve::Negotiated) {
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                gz.write_all(bytes).unwrap();
                t.write(&format!("{rel}.gz"), gz.finish().unwrap());
            }
            script.push_str(&format!(
                "await WebAssembly.instantiateStreaming(fetch(new URL('{url}',import.meta.url)));"
            ));
        }
        script.push_str("}\n");
        t.write("site/assets/index-4f1a.js", script);
        t.write(
            "site/index.html",
            "<!doctype html><html><head><script type=module src=\"/assets/index-4f1a.js\"></script></head></html>\n",
        );
        let site = StaticSite::start(&t.join("site"), serve);
        let o = qrcp()
            .args([
                "url",
                &format!("{}/", site.base),
                "--timeout",
                "10",
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        let v = json(&o);
        let findings = v["findings"].as_array().unwrap();
        assert_eq!(findings.len(), cases.len(), "{v:#}");
        for c in &cases {
            let f = findings
                .iter()
                .find(|f| {
                    f["path"]
                        .as_str()
                        .unwrap()
                        .ends_with(&format!("/{}", c.file))
                })
                .unwrap_or_else(|| panic!("{}: {v:#}", c.file));
            assert_eq!(f["encoding"], c.entry["encoding"], "{f:#}");
        }
        assert!(
            v["incomplete"].as_array().is_none_or(|a| a.is_empty()),
            "{v:#}"
        );
        assert_fixture_keys_absent(&[&o], &cases);
    }
}

/// `--binary` scans a folder's binary files and the binary members of its
/// archives alike: a key compiled into a `.class` in a jar is found with it,
/// and skipped (as the file beside it is) without it.
#[test]
fn binary_reaches_archive_members() {
    let key = live_key();
    let t = Tree::new();
    let class = [
        &b"\xca\xfe\xba\xbe\0\0\0\x34\0\x10\x01\0\x2a"[..],
        key.as_bytes(),
        &[0u8; 16],
    ]
    .concat();
    let mut jar = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    jar.start_file(
        "com/acme/Config.class",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    jar.write_all(&class).unwrap();
    t.write("libs/acme.jar", jar.finish().unwrap().into_inner());
    t.write("build/Config.class", &class);
    let plain = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&plain), 0, "{}", stderr(&plain));
    assert_eq!(json(&plain)["findings"], serde_json::json!([]));
    let o = t.run(&["dir", ".", "--binary", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let mut paths: Vec<String> = json(&o)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        ["build/Config.class", "libs/acme.jar!com/acme/Config.class"]
    );
    assert_keys_absent(&[&plain, &o], &[key]);
}
