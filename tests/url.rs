//! Issues 10 and 11: `url` on a deployed site served plain, with a negotiated
//! `Content-Encoding` and with one forced regardless of the request; source maps
//! external, inline (`data:`) and by header; hostile URLs (`/\host`, tabs,
//! character references, protocol-relative, redirects and links to metadata or
//! other loopback addresses) that must not be fetched; compression bombs. Loopback
//! servers record every request, so "not fetched" is observed, not assumed.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json as j};

use crate::bundles::{b64, finding_of};
use crate::util::*;

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Req {
    path: String,
    accept_encoding: String,
}

type Resp = (u16, Vec<(String, String)>, Vec<u8>);

/// A loopback web server that records every request and answers with `handler`
/// until dropped (a minute at most).
struct Web {
    base: String,
    log: Arc<Mutex<Vec<Req>>>,
    stop: Arc<AtomicBool>,
}

impl Web {
    fn start(ip: &str, handler: impl Fn(&str, &Req) -> Resp + Send + 'static) -> Web {
        let server = tiny_http::Server::http(format!("{ip}:0")).unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        let base = format!("http://{ip}:{port}");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (me, log2, flag) = (base.clone(), Arc::clone(&log), Arc::clone(&stop));
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !flag.load(Ordering::Relaxed) && Instant::now() < deadline {
                let Ok(Some(req)) = server.recv_timeout(Duration::from_millis(50)) else {
                    continue;
                };
                let r = Req {
                    path: req.url().to_string(),
                    accept_encoding: req
                        .headers()
                        .iter()
                        .find(|h| h.field.equiv("Accept-Encoding"))
                        .map(|h| h.value.to_string())
                        .unwrap_or_default(),
                };
                log2.lock().unwrap().push(r.clone());
                let (status, headers, body) = handler(&me, &r);
                let mut resp = tiny_http::Response::from_data(body).with_status_code(status);
                for (k, v) in headers {
                    resp = resp.with_header(tiny_http::Header::from_bytes(k, v).unwrap());
                }
                let _ = req.respond(resp);
            }
        });
        Web { base, log, stop }
    }

    fn requests(&self) -> Vec<Req> {
        self.log.lock().unwrap().clone()
    }

    fn paths(&self) -> Vec<String> {
        let mut p: Vec<String> = self.requests().into_iter().map(|r| r.path).collect();
        p.sort();
        p
    }
}

impl Drop for Web {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn br(data: &[u8]) -> Vec<u8> {
    let mut w = brotli::CompressorWriter::new(Vec::new(), 4096, 5, 22);
    w.write_all(data).unwrap();
    w.into_inner()
}

/// `data` encoded by `codings` applied in order, as `Content-Encoding` lists them.
fn encode(data: &[u8], codings: &[&str]) -> Vec<u8> {
    codings.iter().fold(data.to_vec(), |d, c| match *c {
        "gzip" => gzip(&d),
        "deflate" => deflate(&d),
        "br" => br(&d),
        "zstd" => zstd::encode_all(&d[..], 3).unwrap(),
        other => panic!("{other}"),
    })
}

#[derive(Clone, Copy, Debug)]
enum Serve {
    Plain,
    /// `br` or `gzip` when the request offers it (they alternate by path).
    Negotiated,
    /// Whatever the request says: gzip, br, deflate, zstd, and `gzip, br` stacked.
    Forced,
}

struct Keys {
    inline: String,
    js: String,
    map: String,
    header: String,
    data: String,
    /// In a `data:` script of the page.
    data_script: String,
    /// In a `data:` map named by an inline script of the page.
    page_map: String,
    /// In a module only an `import()` names.
    chunk: String,
    /// In a chunk only a preload list names (`"assets/Lazy-1a.js"`).
    listed: String,
    /// In a chunk only webpack's chunk loader names.
    webpack: String,
}

fn map_json(source: &str, content: &str) -> String {
    j!({"version": 3, "sources": ["x.ts", source], "mappings": "",
        "sourcesContent": ["export {}\n", content]})
    .to_string()
}

/// The site: a page with an inline script and three external scripts (one with
/// an external map by comment, one with a map by `SourceMap` header, one with an
/// inline `data:` map, relative to `<base href>`), hostile references to `evil` (another loopback address),
/// to `cdn` (another port of the page's address) and to the metadata address.
fn site(k: &Keys, evil: &str, cdn: &str, serve: Serve) -> impl Fn(&str, &Req) -> Resp + use<> {
    let evil_hostport = evil.trim_start_matches("http://").to_string();
    let page = format!(
        r#"<!doctype html><html><head>
<script>window.cfg = {{ k: "{}" }}</script>
<script type="module" src="/assets/app.js"></script>
<link rel="modulepreload" href="/assets/vendor.js">
<base href="/assets/">
<script src="inline-map.js"></script>
<script src="data:text/javascript;base64,{}"></script>
<script>var p = 1;
//# sourceMappingURL=data:application/json;base64,{}
</script>
<script src="/\{evil_hostport}/backslash.js"></script>
<script src="/	/{evil_hostport}/tab.js"></script>
<script src="&#x2f;&#x2f;{evil_hostport}&sol;entity.js"></script>
<script src="&#47;/{evil_hostport}&#x2fno-semicolon.js"></script>
<script src="//{evil_hostport}/protocol-relative.js"></script>
<script src="{cdn}/cdn.js"></script>
<script src="http://169.254.169.254/latest/meta-data/x.js"></script>
<script src="/to-metadata.js"></script>
<script src="/to-evil.js"></script>
</head></html>"#,
        k.inline,
        b64(&format!("var d = \"{}\";", k.data_script)),
        b64(&map_json(
            "src/page.ts",
            &format!("//\nconst p = '{}';\n", k.page_map)
        )),
    );
    let app = format!(
        "const k=\"{}\";const l=()=>import(\"./chunk-lazy.js\"),d=[\"assets/Lazy-1a.js\"];\n//# sourceMappingURL=app.js.map\n",
        k.js
    );
    let chunk = format!("export const c = \"{}\";", k.chunk);
    let listed = format!("export const l = \"{}\";", k.listed);
    let webpack = format!(
        "(self.w=self.w||[]).push([[7],{{9:e=>{{e.k=\"{}\"}}}}]);",
        k.webpack
    );
    let app_map = map_json(
        "../src/api.ts",
        &format!("// api\nexport const k = '{}';\n", k.map),
    );
    let vendor_map = map_json("vendor.ts", &format!("k = '{}'", k.header));
    let data_map = map_json("src/data.ts", &format!("//\n//\nconst d = '{}';\n", k.data));
    let inline_map_js = format!(
        "export {{}};\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,{}\n",
        base64::engine::general_purpose::STANDARD.encode(data_map)
    );
    // The hostile references to loopback only (no metadata address: a test never
    // lets a request reach a real metadata service).
    let evil_only: String = page
        .lines()
        .filter(|l| l.contains(&evil_hostport))
        .collect();
    let evil = evil.to_string();
    move |_me, req| {
        let mut headers: Vec<(String, String)> = vec![];
        let body = match req.path.as_str() {
            "/" => page.clone().into_bytes(),
            "/evil-only.html" => evil_only.clone().into_bytes(),
            "/assets/app.js" => app.clone().into_bytes(),
            "/assets/chunk-lazy.js" => chunk.clone().into_bytes(),
            "/assets/Lazy-1a.js" => listed.clone().into_bytes(),
            "/assets/7.c0ffee12.chunk.js" => webpack.clone().into_bytes(),
            "/assets/app.js.map" => app_map.clone().into_bytes(),
            "/assets/vendor.js" => {
                headers.push(("SourceMap".into(), "/maps/vendor.map".into()));
                b"r.p=\"/\",r.u=e=>\"assets/\"+e+\".\"+{7:\"c0ffee12\"}[e]+\".chunk.js\";".to_vec()
            }
            "/maps/vendor.map" => vendor_map.clone().into_bytes(),
            "/assets/inline-map.js" => inline_map_js.clone().into_bytes(),
            "/to-metadata.js" | "/to-evil.js" => {
                let to = if req.path == "/to-evil.js" {
                    format!("{evil}/redirected.js")
                } else {
                    "http://169.254.169.254/latest/meta-data/".into()
                };
                return (302, vec![("Location".into(), to)], vec![]);
            }
            _ => return (404, vec![], b"not found".to_vec()),
        };
        let offered = |c: &str| req.accept_encoding.split(',').any(|x| x.trim() == c);
        // Alternate codings by path so both are used for pages, scripts and maps.
        let odd = req.path.len() % 2 == 1;
        let codings: Vec<&str> = match serve {
            Serve::Plain => vec![],
            Serve::Negotiated if odd && offered("br") => vec!["br"],
            Serve::Negotiated if offered("gzip") => vec!["gzip"],
            Serve::Negotiated => vec![],
            Serve::Forced => match req.path.len() % 3 {
                0 if odd => vec!["zstd"],
                0 => vec!["gzip"],
                1 => vec!["br"],
                _ if odd => vec!["deflate"],
                _ => vec!["gzip", "br"],
            },
        };
        if !codings.is_empty() {
            headers.push(("Content-Encoding".into(), codings.join(", ")));
        }
        (200, headers, encode(&body, &codings))
    }
}

fn keys() -> Keys {
    Keys {
        inline: live_key(),
        js: live_key(),
        map: test_key(),
        header: live_key(),
        data: live_key(),
        data_script: live_key(),
        page_map: live_key(),
        chunk: live_key(),
        listed: live_key(),
        webpack: live_key(),
    }
}

fn all(k: &Keys) -> [&String; 10] {
    [
        &k.inline,
        &k.js,
        &k.map,
        &k.header,
        &k.data,
        &k.data_script,
        &k.page_map,
        &k.chunk,
        &k.listed,
        &k.webpack,
    ]
}

fn origin_of(r: &Value, key: &str) -> Value {
    finding_of(r, key)["origin"].clone()
}

#[test]
fn url_finds_every_key_of_a_site_served_plain_negotiated_and_forced() {
    let evil = Web::start("127.0.0.2", |_, _| (200, vec![], b"var x=1;".to_vec()));
    let cdn = Web::start("127.0.0.1", |_, _| (200, vec![], b"var c=1;".to_vec()));
    for serve in [Serve::Plain, Serve::Negotiated, Serve::Forced] {
        let k = keys();
        let web = Web::start("127.0.0.1", site(&k, &evil.base, &cdn.base, serve));
        let b = web.base.clone();
        let page = format!("{b}/");
        let o = qrcp()
            .args(["url", &page, "--timeout", "5", "--format", "json"])
            .output()
            .unwrap();
        let err = stderr(&o);
        assert_eq!(code(&o), 1, "{serve:?}: {err}");
        let r = json(&o);
        assert_eq!(
            r["findings"].as_array().unwrap().len(),
            10,
            "{serve:?}: {r:#}\n{err}"
        );
        let f = finding_of(&r, &k.inline);
        assert_eq!(
            (&f["path"], &f["line"]),
            (&j!(format!("{page}!script[1]")), &j!(2))
        );
        assert_eq!(finding_of(&r, &k.js)["path"], format!("{b}/assets/app.js"));
        assert_eq!(
            finding_of(&r, &k.map)["path"],
            format!("{b}/assets/app.js.map")
        );
        assert_eq!(
            origin_of(&r, &k.map),
            j!({"path": "../src/api.ts", "line": 2})
        );
        assert_eq!(
            finding_of(&r, &k.header)["path"],
            format!("{b}/maps/vendor.map")
        );
        assert_eq!(
            origin_of(&r, &k.header),
            j!({"path": "vendor.ts", "line": 1})
        );
        assert_eq!(
            finding_of(&r, &k.data)["path"],
            format!("{b}/assets/inline-map.js#sourceMappingURL")
        );
        assert_eq!(
            origin_of(&r, &k.data),
            j!({"path": "src/data.ts", "line": 3})
        );
        assert_eq!(
            finding_of(&r, &k.chunk)["path"],
            format!("{b}/assets/chunk-lazy.js")
        );
        assert_eq!(
            finding_of(&r, &k.listed)["path"],
            format!("{b}/assets/Lazy-1a.js")
        );
        assert_eq!(
            finding_of(&r, &k.webpack)["path"],
            format!("{b}/assets/7.c0ffee12.chunk.js")
        );
        // A `data:` script is a member of the page, an inline script too.
        let f = finding_of(&r, &k.data_script);
        assert_eq!(f["path"], format!("{page}!data[1]"));
        assert_eq!(
            finding_of(&r, &k.page_map)["path"],
            format!("{b}/#sourceMappingURL")
        );
        assert_eq!(
            origin_of(&r, &k.page_map),
            j!({"path": "src/page.ts", "line": 2})
        );
        for key in all(&k) {
            assert_secret_absent(&o, key);
        }
        // Exactly these requests were made, each offering gzip, br and zstd.
        assert_eq!(
            web.paths(),
            [
                "/",
                "/assets/7.c0ffee12.chunk.js",
                "/assets/Lazy-1a.js",
                "/assets/app.js",
                "/assets/app.js.map",
                "/assets/chunk-lazy.js",
                "/assets/inline-map.js",
                "/assets/vendor.js",
                "/maps/vendor.map",
                "/to-evil.js",
                "/to-metadata.js",
            ],
            "{serve:?}"
        );
        for req in web.requests() {
            assert!(
                ["gzip", "br", "zstd"]
                    .iter()
                    .all(|c| req.accept_encoding.split(',').any(|x| x.trim() == *c)),
                "{req:?}"
            );
        }
        // Hostile references name other origins: notes, no request.
        for want in [
            format!("{}/backslash.js: skipped: another origin", evil.base),
            format!("{}/tab.js: skipped: another origin", evil.base),
            format!("{}/entity.js: skipped: another origin", evil.base),
            format!("{}/no-semicolon.js: skipped: another origin", evil.base),
            format!(
                "{}/protocol-relative.js: skipped: another origin",
                evil.base
            ),
            format!("{}/cdn.js: skipped: another origin", cdn.base),
            "http://169.254.169.254/latest/meta-data/x.js: skipped: another origin".into(),
        ] {
            let want = format!("qrcp-scan: note: {want}");
            assert!(err.lines().any(|l| l.starts_with(&want)), "{want}\n{err}");
        }
        // Scripts of the page's origin that redirect elsewhere were asked for and
        // not read: incomplete (the redirect is not followed).
        for want in [
            format!("{b}/to-metadata.js: not read: redirects to another origin"),
            format!("{b}/to-evil.js: not read: redirects to another origin"),
        ] {
            let want = format!("qrcp-scan: incomplete: {want}");
            assert!(err.lines().any(|l| l.starts_with(&want)), "{want}\n{err}");
        }
        assert_eq!(evil.paths(), Vec::<String>::new());
        assert_eq!(cdn.paths(), Vec::<String>::new());
    }
}

#[test]
fn cross_origin_still_refuses_metadata_and_unasked_loopback_addresses() {
    let evil = Web::start("127.0.0.2", |_, _| (200, vec![], b"var x=1;".to_vec()));
    let cdn = Web::start("127.0.0.1", |_, _| (200, vec![], b"var c=1;".to_vec()));
    let k = keys();
    let web = Web::start("127.0.0.1", site(&k, &evil.base, &cdn.base, Serve::Plain));
    let page = format!("{}/", web.base);
    let o = qrcp()
        .args([
            "url",
            &page,
            "--cross-origin",
            "--timeout",
            "2",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(code(&o), 1, "{err}");
    assert_eq!(json(&o)["findings"].as_array().unwrap().len(), 10, "{err}");
    // Another loopback address than the one asked for: refused at resolution.
    for path in [
        "backslash.js",
        "tab.js",
        "entity.js",
        "no-semicolon.js",
        "protocol-relative.js",
    ] {
        let want = format!(
            "qrcp-scan: incomplete: {}/{path}: not read: refused: 127.0.0.2 is a loopback address that was not asked for (--allow-private-addresses fetches it)",
            evil.base
        );
        assert!(err.lines().any(|l| l == want), "{want}\n{err}");
    }
    let want = "qrcp-scan: incomplete: http://169.254.169.254/latest/meta-data/x.js: not read: refused: 169.254.169.254 is a link-local or cloud metadata address";
    assert!(err.lines().any(|l| l.starts_with(want)), "{want}\n{err}");
    assert_eq!(evil.paths(), Vec::<String>::new());
    // The address asked for, on another port: allowed with --cross-origin.
    assert_eq!(cdn.paths(), ["/cdn.js"]);
    for key in all(&k) {
        assert_secret_absent(&o, key);
    }

    // The explicit flag lets the other loopback address through: the same
    // references, now requested (so the check above can fail).
    let o = qrcp()
        .args([
            "url",
            &format!("{}/evil-only.html", web.base),
            "--cross-origin",
            "--allow-private-addresses",
            "--timeout",
            "2",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        evil.paths(),
        [
            "/backslash.js",
            "/entity.js",
            "/no-semicolon.js",
            "/protocol-relative.js",
            "/tab.js"
        ]
    );

    // Asked for directly, a metadata address is refused all the same (exit 2).
    let o = qrcp()
        .args([
            "url",
            "http://169.254.169.254/latest/meta-data/",
            "--timeout",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("refused: 169.254.169.254 is a link-local or cloud metadata address"),
        "{}",
        stderr(&o)
    );
    let o = qrcp()
        .args(["url", "http://metadata.google.internal/x", "--timeout", "1"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("refused: metadata.google.internal is a cloud metadata service"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn compression_bombs_stop_at_the_cap() {
    // 64 MiB of zeros: about 64 KiB gzip, far less brotli.
    let zeros = vec![0u8; 64 << 20];
    let gz_bomb = gzip(&zeros);
    let br_bomb = br(&zeros);
    drop(zeros);
    let key = live_key();
    let page = format!(r#"<script src="/bomb.js"></script><script>k="{key}"</script>"#);
    let web = Web::start("127.0.0.1", move |_, req| match req.path.as_str() {
        "/" => (200, vec![], page.clone().into_bytes()),
        "/bomb.js" => (
            200,
            vec![("Content-Encoding".into(), "br".into())],
            br_bomb.clone(),
        ),
        "/bomb.html" => (
            200,
            vec![("Content-Encoding".into(), "gzip".into())],
            gz_bomb.clone(),
        ),
        _ => (404, vec![], vec![]),
    });
    // A bomb of a page: nothing scanned, exit 2.
    let o = qrcp()
        .args([
            "url",
            &format!("{}/bomb.html", web.base),
            "--max-file-size",
            "1M",
        ])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    let want = format!(
        "qrcp-scan: error: {}/bomb.html: not scanned: Content-Encoding gzip decodes to more than --max-file-size",
        web.base
    );
    assert!(err.lines().any(|l| l.starts_with(&want)), "{want}\n{err}");
    // A bomb of a script: incomplete, and the page's key still found (exit 1).
    let o = qrcp()
        .args(["url", &format!("{}/", web.base), "--max-file-size", "1M"])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(code(&o), 1, "{err}");
    let want = format!(
        "qrcp-scan: incomplete: {}/bomb.js: not scanned: Content-Encoding br decodes to more than --max-file-size",
        web.base
    );
    assert!(err.lines().any(|l| l.starts_with(&want)), "{want}\n{err}");
    assert_secret_absent(&o, &key);
    // Within a raised cap the same body is read in full: the cap is what stopped it.
    let o = qrcp()
        .args([
            "url",
            &format!("{}/bomb.html", web.base),
            "--max-file-size",
            "65M",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn scripts_and_maps_that_were_not_read_are_incomplete() {
    let big = format!("var pad = \"{}\";", "a".repeat(4096));
    let web = Web::start("127.0.0.1", move |_, req| match req.path.as_str() {
        "/" => (
            200,
            vec![],
            concat!(
                "<script src=\"/ok.js\"></script>",
                "<script src=\"/broken.js\"></script>",
                "<script src=\"/gone.js\"></script>",
                "<script src=\"/big.js\"></script>",
                "<script src=\"/slow.js\"></script>",
                "<script src=\"http://169.254.169.254/latest/x.js\"></script>",
            )
            .as_bytes()
            .to_vec(),
        ),
        "/ok.js" => (
            200,
            vec![],
            b"var ok = 1;\n//# sourceMappingURL=ok.js.map\n".to_vec(),
        ),
        "/clean.html" => (200, vec![], b"<script src=\"/fine.js\"></script>".to_vec()),
        "/fine.js" => (200, vec![], b"var fine = 1;".to_vec()),
        "/big.js" => (200, vec![], big.clone().into_bytes()),
        "/broken.js" | "/ok.js.map" => (500, vec![], b"oops".to_vec()),
        "/slow.js" => {
            std::thread::sleep(Duration::from_millis(2500));
            (200, vec![], b"var slow = 1;".to_vec())
        }
        _ => (404, vec![], vec![]),
    });
    let o = qrcp()
        .args(["url", &format!("{}/", web.base), "--cross-origin"])
        .args([
            "--max-file-size",
            "1K",
            "--timeout",
            "2",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    let r = json(&o);
    let mut places: Vec<String> = r["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{} {}",
                i["path"].as_str().unwrap(),
                i["reason"].as_str().unwrap()
            )
        })
        .collect();
    places.sort();
    let b = &web.base;
    let want = [
        format!("{b}/big.js not scanned: larger than --max-file-size"),
        format!("{b}/broken.js not read: HTTP 500"),
        format!("{b}/gone.js not read: HTTP 404"),
        format!("{b}/ok.js.map not read: HTTP 500"),
        format!("{b}/slow.js not read: timed out"),
        "http://169.254.169.254/latest/x.js not read: refused: 169.254.169.254".to_string(),
    ];
    assert_eq!(places.len(), want.len(), "{places:#?}\n{err}");
    for (got, want) in places.iter().zip(&want) {
        assert!(got.starts_with(want.as_str()), "{got} / {want}");
    }
    // Every script read: exit 0 (so the check above can fail).
    let o = qrcp()
        .args(["url", &format!("{}/clean.html", web.base), "--timeout", "2"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}
