//! A deployed site (`qrcp-scan url`): the page, the scripts it loads
//! (`<script src>`, `<link rel="modulepreload">`) and the source maps they name
//! (`//# sourceMappingURL=`, `SourceMap`/`X-SourceMap` headers), fetched one by one
//! with timeouts and a byte cap, same origin only unless asked. Each response is a
//! blob whose path is its URL; the scanner does the rest.

use std::sync::LazyLock;
use std::time::Duration;

use base64::Engine as _;
use regex::Regex;

use crate::finding::{Provenance, SourceKind};
use crate::messages;
use crate::source::Scanner;
use crate::stats::Stats;
use crate::units::human_bytes;

pub struct UrlOptions {
    pub cross_origin: bool,
    pub max_scripts: usize,
    /// Bytes of one response.
    pub max_bytes: u64,
    /// Connecting, and waiting for each part of a response.
    pub timeout: Duration,
}

/// Redirects followed for one request (same origin only).
const MAX_REDIRECTS: usize = 5;

/// An `http(s)` URL, split as far as this module needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    scheme: String,
    /// `host[:port]`, lower case, without the scheme's default port.
    authority: String,
    /// Path and query, starting with `/`, without a fragment.
    path: String,
}

impl Url {
    pub fn parse(s: &str) -> Option<Url> {
        let s = s.trim();
        let (scheme, rest) = s.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let rest = rest.split('#').next().unwrap_or("");
        let cut = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(cut);
        let authority = authority.to_ascii_lowercase();
        if authority.is_empty() || authority.contains(['@', ' ', '\\']) {
            return None;
        }
        let default = if scheme == "http" { ":80" } else { ":443" };
        let authority = authority
            .strip_suffix(default)
            .unwrap_or(&authority)
            .to_string();
        let path = match path {
            "" => "/".to_string(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_string(),
        };
        Some(Url {
            scheme,
            authority,
            path: normalize(&path),
        })
    }

    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    /// A reference (`/a.js`, `b.js`, `../c.js`, `//cdn/x.js`, a full URL) against
    /// this one; `None` for other schemes (`data:`, `javascript:`).
    pub fn join(&self, r: &str) -> Option<Url> {
        let r = r.trim();
        if r.is_empty() {
            return None;
        }
        if let Some(rest) = r.strip_prefix("//") {
            return Url::parse(&format!("{}://{rest}", self.scheme));
        }
        let scheme_like = r.find(':').is_some_and(|i| {
            r[..i]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+')
        });
        if scheme_like {
            return Url::parse(r);
        }
        let r = r.split('#').next().unwrap_or("");
        let path = if r.starts_with('/') {
            r.to_string()
        } else if r.starts_with('?') {
            format!("{}{r}", self.path.split('?').next().unwrap_or("/"))
        } else {
            let base = self.path.split('?').next().unwrap_or("/");
            let dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
            format!("{dir}{r}")
        };
        Some(Url {
            scheme: self.scheme.clone(),
            authority: self.authority.clone(),
            path: normalize(&path),
        })
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.path)
    }
}

/// Removes `.` and `..` segments of a path (its query untouched).
fn normalize(path: &str) -> String {
    let (p, q) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let mut out: Vec<&str> = Vec::new();
    let segs: Vec<&str> = p.split('/').skip(1).collect();
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        match *seg {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let mut s = format!("/{}", out.join("/"));
    if let Some(q) = q {
        s.push('?');
        s.push_str(q);
    }
    s
}

static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<(script|link)\b([^>]*)>").expect("valid regex"));
static ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)([a-z][a-z0-9_:-]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?"#)
        .expect("valid regex")
});

/// The scripts a page loads: `<script src>`, `<link rel="modulepreload" href>` and
/// `<link rel="preload" as="script" href>`, in page order, without duplicates.
pub fn script_refs(html: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in TAG.captures_iter(html) {
        let name = tag[1].to_ascii_lowercase();
        let mut attrs = std::collections::HashMap::new();
        for a in ATTR.captures_iter(&tag[2]) {
            let value = a
                .get(2)
                .or(a.get(3))
                .or(a.get(4))
                .map_or("", |m| m.as_str());
            attrs
                .entry(a[1].to_ascii_lowercase())
                .or_insert_with(|| value.replace("&amp;", "&"));
        }
        let rel = attrs.get("rel").map(|r| r.to_ascii_lowercase());
        let wanted = match name.as_str() {
            "script" => attrs.get("src"),
            _ => match rel.as_deref() {
                Some(r) if r.split_whitespace().any(|w| w == "modulepreload") => attrs.get("href"),
                Some(r)
                    if r.split_whitespace().any(|w| w == "preload")
                        && attrs
                            .get("as")
                            .is_some_and(|a| a.eq_ignore_ascii_case("script")) =>
                {
                    attrs.get("href")
                }
                _ => None,
            },
        };
        if let Some(u) = wanted
            && !u.is_empty()
            && !out.contains(u)
        {
            out.push(u.clone());
        }
    }
    out
}

/// The source map a script names in its last `//# sourceMappingURL=` comment.
pub fn source_mapping_url(body: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"sourceMappingURL=";
    let at = memchr::memmem::rfind(body, KEY)?;
    let before = &body[at.saturating_sub(4)..at];
    if !(before.ends_with(b"//# ")
        || before.ends_with(b"//@ ")
        || before.ends_with(b"/*# ")
        || before.ends_with(b"//#")
        || before.ends_with(b"/*#"))
    {
        return None;
    }
    let rest = &body[at + KEY.len()..];
    let n = rest
        .iter()
        .take_while(|b| !b.is_ascii_whitespace() && **b != b'*')
        .count();
    let s = String::from_utf8_lossy(&rest[..n]).into_owned();
    (!s.is_empty()).then_some(s)
}

struct Fetched {
    url: Url,
    body: Vec<u8>,
    source_map: Option<String>,
}

pub fn scan(urls: &[String], opts: &UrlOptions, scanner: &mut Scanner) -> anyhow::Result<()> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(opts.timeout))
        .timeout_recv_response(Some(opts.timeout))
        .timeout_recv_body(Some(opts.timeout))
        .user_agent(concat!("qrcp-scan/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    for raw in urls {
        let Some(page) = Url::parse(raw) else {
            messages::error(raw, "not an http:// or https:// URL");
            continue;
        };
        let Some(fetched) = fetch(&agent, &page, opts) else {
            continue;
        };
        let origin = fetched.url.origin();
        scan_response(scanner, &fetched.url.to_string(), &fetched.body);
        let html = String::from_utf8_lossy(&fetched.body);
        let refs = script_refs(&html);
        if refs.len() > opts.max_scripts {
            messages::note(
                &fetched.url.to_string(),
                format!(
                    "loads {} scripts: only the first {} are scanned (--max-scripts)",
                    refs.len(),
                    opts.max_scripts
                ),
            );
        }
        for r in refs.iter().take(opts.max_scripts) {
            let Some(script) = fetched.url.join(r) else {
                continue;
            };
            if script.origin() != origin && !opts.cross_origin {
                messages::note(
                    &script.to_string(),
                    "skipped: another origin than the page (--cross-origin scans it)",
                );
                continue;
            }
            let Some(js) = fetch(&agent, &script, opts) else {
                continue;
            };
            scan_response(scanner, &js.url.to_string(), &js.body);
            let map = js
                .source_map
                .clone()
                .or_else(|| source_mapping_url(&js.body));
            if let Some(map) = map {
                scan_source_map(&agent, scanner, &js, &map, &origin, opts);
            }
        }
    }
    Ok(())
}

fn scan_source_map(
    agent: &ureq::Agent,
    scanner: &mut Scanner,
    js: &Fetched,
    map: &str,
    origin: &str,
    opts: &UrlOptions,
) {
    // An inline map: `data:application/json;base64,…`.
    if let Some(data) = map.strip_prefix("data:") {
        if let Some((_, b64)) = data.split_once(";base64,")
            && b64.len() as u64 <= opts.max_bytes
            && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64)
        {
            scan_response(scanner, &format!("{}#sourceMappingURL", js.url), &bytes);
        }
        return;
    }
    let Some(map_url) = js.url.join(map) else {
        return;
    };
    if map_url.origin() != origin && !opts.cross_origin {
        messages::note(
            &map_url.to_string(),
            "skipped: another origin than the page (--cross-origin scans it)",
        );
        return;
    }
    if let Some(m) = fetch(agent, &map_url, opts) {
        scan_response(scanner, &m.url.to_string(), &m.body);
    }
}

fn scan_response(scanner: &mut Scanner, url: &str, body: &[u8]) {
    let stats = &scanner.sink.stats;
    Stats::add(&stats.files, 1);
    Stats::add(&stats.bytes, body.len() as u64);
    let prov = Provenance {
        source: SourceKind::Url,
        path: Some(url.to_string()),
        commit: None,
        unreached: None,
    };
    scanner.scan_blob(body, &prov);
}

/// GET `url`, following redirects within its origin. Problems are reported (one
/// line) and give `None`.
fn fetch(agent: &ureq::Agent, url: &Url, opts: &UrlOptions) -> Option<Fetched> {
    let mut url = url.clone();
    for _ in 0..=MAX_REDIRECTS {
        let shown = url.to_string();
        let mut resp = match agent.get(&shown).call() {
            Ok(r) => r,
            Err(e) => {
                messages::error(&shown, describe(&e));
                return None;
            }
        };
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        if (300..400).contains(&status) {
            let Some(next) = header("location").and_then(|l| url.join(&l)) else {
                messages::error(&shown, format!("HTTP {status} without a usable Location"));
                return None;
            };
            if next.origin() != url.origin() {
                messages::note(
                    &shown,
                    format!("redirects to another origin ({next}): not followed"),
                );
                return None;
            }
            url = next;
            continue;
        }
        if status >= 400 {
            messages::error(&shown, format!("HTTP {status}"));
            return None;
        }
        let source_map = header("sourcemap").or_else(|| header("x-sourcemap"));
        let body = resp
            .body_mut()
            .with_config()
            .limit(opts.max_bytes)
            .read_to_vec();
        return match body {
            Ok(body) => Some(Fetched {
                url,
                body,
                source_map,
            }),
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                messages::note(
                    &shown,
                    format!(
                        "skipped: larger than --max-file-size ({})",
                        human_bytes(opts.max_bytes)
                    ),
                );
                None
            }
            Err(e) => {
                messages::error(&shown, describe(&e));
                None
            }
        };
    }
    messages::error(
        &url.to_string(),
        format!("more than {MAX_REDIRECTS} redirects"),
    );
    None
}

fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(what) => format!("timed out ({what})"),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused".into()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_joins() {
        let base = Url::parse("HTTPS://Example.com:443/app/index.html?x=1#top").unwrap();
        assert_eq!(base.to_string(), "https://example.com/app/index.html?x=1");
        let j = |r: &str| base.join(r).map(|u| u.to_string());
        assert_eq!(j("a.js").as_deref(), Some("https://example.com/app/a.js"));
        assert_eq!(j("../b.js").as_deref(), Some("https://example.com/b.js"));
        assert_eq!(
            j("./x/../c.js?v=2").as_deref(),
            Some("https://example.com/app/c.js?v=2")
        );
        assert_eq!(j("/d.js").as_deref(), Some("https://example.com/d.js"));
        assert_eq!(j("//cdn.net/e.js").as_deref(), Some("https://cdn.net/e.js"));
        assert_eq!(
            j("http://other:8080/f.js").as_deref(),
            Some("http://other:8080/f.js")
        );
        assert_eq!(j("data:text/javascript,1"), None);
        assert_eq!(base.origin(), "https://example.com");
        assert_ne!(
            Url::parse("http://127.0.0.1:1/").unwrap().origin(),
            Url::parse("http://127.0.0.1:2/").unwrap().origin()
        );
        assert!(Url::parse("ftp://x/").is_none());
        assert!(Url::parse("http://user@evil/").is_none());
    }

    #[test]
    fn finds_scripts_and_maps() {
        let html = r#"<html><script type="module" crossorigin src="/assets/index-abc.js"></script>
            <link rel="modulepreload" href='/assets/vendor.js'><link rel=stylesheet href=/a.css>
            <SCRIPT SRC=app.js?v=1&amp;x=2></SCRIPT><script>inline()</script>
            <link as="script" rel="preload" href="/p.js"><script src="/assets/index-abc.js">"#;
        assert_eq!(
            script_refs(html),
            [
                "/assets/index-abc.js",
                "/assets/vendor.js",
                "app.js?v=1&x=2",
                "/p.js"
            ]
        );
        assert_eq!(
            source_mapping_url(b"f();\n//# sourceMappingURL=index.js.map\n").as_deref(),
            Some("index.js.map")
        );
        assert_eq!(source_mapping_url(b"var s = 'sourceMappingURL=x';"), None);
    }
}
