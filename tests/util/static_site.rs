//! A static host on loopback for `qrcp-scan url`: serves a build-output folder as
//! production hosts do when precompressed copies (`app.js.gz`, `app.js.br`) sit
//! beside the files, in one of three ways (plain, negotiated by
//! `Accept-Encoding`, or one `Content-Encoding` forced whatever the request says),
//! and records the `Accept-Encoding` of every request.

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How the site answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serve {
    /// The files as they are, never a `Content-Encoding`.
    Plain,
    /// The `.br` copy to a request that accepts `br`, else the `.gz` copy to one
    /// that accepts `gzip`, else the file; `Vary: Accept-Encoding`.
    Negotiated,
    /// The `.gz` copy with `Content-Encoding: gzip`, whatever the request accepts.
    ForcedGzip,
    /// The `.br` copy with `Content-Encoding: br`, whatever the request accepts.
    ForcedBr,
}

impl Serve {
    pub const ALL: [Serve; 4] = [
        Serve::Plain,
        Serve::Negotiated,
        Serve::ForcedGzip,
        Serve::ForcedBr,
    ];
}

pub struct StaticSite {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
    /// The `Accept-Encoding` header of each request (empty when absent).
    pub accept: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("map" | "json") => "application/json",
        Some("css") => "text/css",
        Some("wasm") => "application/wasm",
        _ => "text/plain; charset=utf-8",
    }
}

/// The file a URL path names under `root` (`/` is `/index.html`); `None` for
/// anything that would leave the root.
fn resolve(root: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let path = if path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    };
    let rel = Path::new(path.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    Some(root.join(rel))
}

/// The body and `Content-Encoding` of a file for a request.
fn answer(file: &Path, serve: Serve, accept: &str) -> Option<(Vec<u8>, Option<&'static str>)> {
    let copy = |ext: &str| {
        let mut p = file.as_os_str().to_owned();
        p.push(ext);
        std::fs::read(PathBuf::from(p)).ok()
    };
    let accepts = |enc: &str| {
        accept
            .split(',')
            .any(|t| t.split(';').next().unwrap_or("").trim() == enc)
    };
    let plain = || std::fs::read(file).ok().map(|b| (b, None));
    match serve {
        Serve::Plain => plain(),
        Serve::Negotiated => {
            if accepts("br")
                && let Some(b) = copy(".br")
            {
                return Some((b, Some("br")));
            }
            if accepts("gzip")
                && let Some(b) = copy(".gz")
            {
                return Some((b, Some("gzip")));
            }
            plain()
        }
        Serve::ForcedGzip => copy(".gz").map(|b| (b, Some("gzip"))).or_else(plain),
        Serve::ForcedBr => copy(".br").map(|b| (b, Some("br"))).or_else(plain),
    }
}

impl StaticSite {
    /// Serves `root` until dropped (and for two minutes at most).
    pub fn start(root: &Path, serve: Serve) -> StaticSite {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let port = server.server_addr().to_ip().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let accept = Arc::new(Mutex::new(Vec::new()));
        let (flag, seen, root) = (Arc::clone(&stop), Arc::clone(&accept), root.to_path_buf());
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            while !flag.load(Ordering::Relaxed) && Instant::now() < deadline {
                let Ok(Some(req)) = server.recv_timeout(Duration::from_millis(20)) else {
                    continue;
                };
                let asked = req
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("Accept-Encoding"))
                    .map(|h| h.value.as_str().to_string())
                    .unwrap_or_default();
                seen.lock().unwrap().push(asked.clone());
                let found = resolve(&root, req.url())
                    .filter(|f| f.is_file())
                    .and_then(|f| answer(&f, serve, &asked).map(|a| (f, a)));
                let resp = match found {
                    Some((file, (body, encoding))) => {
                        let mut r = tiny_http::Response::from_data(body).with_header(
                            tiny_http::Header::from_bytes("Content-Type", content_type(&file))
                                .unwrap(),
                        );
                        if let Some(enc) = encoding {
                            r = r.with_header(
                                tiny_http::Header::from_bytes("Content-Encoding", enc).unwrap(),
                            );
                        }
                        if serve == Serve::Negotiated {
                            r = r.with_header(
                                tiny_http::Header::from_bytes("Vary", "Accept-Encoding").unwrap(),
                            );
                        }
                        r
                    }
                    None => {
                        tiny_http::Response::from_data(b"not found".to_vec()).with_status_code(404)
                    }
                };
                let _ = req.respond(resp);
            }
        });
        StaticSite {
            base: format!("http://127.0.0.1:{port}"),
            accept,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for StaticSite {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
