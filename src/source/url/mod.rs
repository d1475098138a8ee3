//! A deployed site (`qrcp-scan url`): the page, the scripts it loads
//! (`<script src>`, `<link rel="modulepreload">`, `data:` scripts), the modules
//! they import by URL (lazy chunks), and the source maps they and the page's
//! inline scripts name (`//# sourceMappingURL=`, external or `data:`, and
//! `SourceMap`/`X-SourceMap` headers), fetched one by one with timeouts and a
//! byte cap, responses decoded by `Content-Encoding`, same origin only unless
//! asked. Every URL is parsed and
//! joined by WHATWG rules (the `url` crate, as browsers do), so `/\evil.test/x.js`,
//! tabs in a URL or `&#x2f;` in an attribute name the origin a browser would load,
//! and that origin is what the same-origin rule and [`guard`] judge. Each response
//! is a blob whose path is its URL; the scanner does the rest.

mod fetch;
mod guard;
mod html;

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use url::Url;

use crate::finding::{Provenance, SourceKind};
use crate::messages;
use crate::source::Scanner;
use crate::stats::Stats;

use fetch::{Fetched, Fetcher, Miss, without_fragment};
use guard::Guard;

pub use html::{script_refs, source_mapping_url};

pub struct UrlOptions {
    pub cross_origin: bool,
    /// Connect to link-local, metadata, and loopback or private addresses that
    /// were not asked for.
    pub allow_private_addresses: bool,
    pub max_scripts: usize,
    /// Bytes of one response, on the wire and decoded.
    pub max_bytes: u64,
    /// Connecting, and waiting for each part of a response.
    pub timeout: Duration,
}

/// A URL named on the command line: `http`/`https`, with a host, no credentials.
pub fn parse_page(raw: &str) -> Result<Url, &'static str> {
    let u = Url::parse(raw.trim()).map_err(|_| "not an http:// or https:// URL")?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) {
        return Err("not an http:// or https:// URL");
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("credentials in a URL are not supported");
    }
    Ok(without_fragment(u))
}

/// What a reference in a page or script points at.
enum Target {
    Fetch(Url),
    /// A `data:` URL: its decoded bytes.
    Data(Vec<u8>),
    /// Nothing to fetch (`javascript:`, `blob:`, unparsable): silently none.
    None,
    /// Not fetched on purpose: the note says why.
    Skip(Url, String),
}

/// How a URL came to be fetched, which decides how a miss is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Named on the command line: every miss is an error.
    Asked,
    /// Named by the page or a script (a script, a source map): whatever was not
    /// read (refused by the address guard, over the size cap, timed out, an HTTP
    /// error) is incomplete.
    Linked,
    /// An import found in a script's code: a 4xx or a refusal is a note (what
    /// looks like an import may be a string), a failure to read what the server
    /// does serve (timeout, size cap, 5xx) is incomplete.
    Discovered,
}

struct Run<'a> {
    opts: &'a UrlOptions,
    fetcher: Fetcher,
    /// URLs fetched this run (a script two pages share is fetched once).
    seen: HashSet<Url>,
}

pub fn scan(urls: &[String], opts: &UrlOptions, scanner: &mut Scanner) -> anyhow::Result<()> {
    let guard = Guard::new(opts.allow_private_addresses);
    let mut pages = Vec::new();
    for raw in urls {
        match parse_page(raw) {
            Ok(u) => pages.push(u),
            Err(why) => messages::error(raw, why),
        }
    }
    for p in &pages {
        guard.ask(p.host_str().unwrap_or(""));
    }
    // Their addresses are known before any page can name another host; a failure
    // is reported when the page is fetched.
    for p in &pages {
        if let (Some(h), Some(port)) = (p.host_str(), p.port_or_known_default()) {
            let _ = guard.resolve_asked(h, port);
        }
    }
    let mut run = Run {
        opts,
        fetcher: Fetcher::new(guard, opts.timeout, opts.max_bytes),
        seen: HashSet::new(),
    };
    for page in &pages {
        run.page(page, scanner);
    }
    Ok(())
}

impl Run<'_> {
    fn fetch(&mut self, url: &Url, kind: Kind) -> Option<Fetched> {
        if !self.seen.insert(url.clone()) {
            return None;
        }
        let miss = match self.fetcher.get(url) {
            Ok(f) => return Some(f),
            Err(m) => m,
        };
        match (miss, kind) {
            (Miss::Skipped(why), Kind::Discovered) => {
                messages::note(url.as_str(), format!("imported module: {why}"));
            }
            (Miss::Status(s), Kind::Discovered) => {
                messages::note(url.as_str(), format!("imported module: HTTP {s}"));
            }
            (Miss::Status(s), Kind::Linked) => {
                messages::Incomplete::record(url.as_str(), format!("not read: HTTP {s}"));
            }
            (Miss::Skipped(why) | Miss::Failed(why), Kind::Linked | Kind::Discovered) => {
                let why = if why.starts_with("not ") {
                    why
                } else {
                    format!("not read: {why}")
                };
                messages::Incomplete::record(url.as_str(), why);
            }
            (Miss::Skipped(why) | Miss::Failed(why), Kind::Asked) => {
                messages::error(url.as_str(), why);
            }
            (Miss::Status(s), Kind::Asked) => messages::error(url.as_str(), format!("HTTP {s}")),
        }
        None
    }

    /// Where `reference` (as written in `base`'s content) points, judged against
    /// the page's origin.
    fn target(&self, base: &Url, page: &Url, reference: &str) -> Target {
        let Ok(u) = base.join(reference) else {
            return Target::None;
        };
        match u.scheme() {
            "http" | "https" => {}
            "data" => {
                return data_url(u.as_str()).map_or(Target::None, Target::Data);
            }
            _ => return Target::None,
        }
        let u = without_fragment(u);
        if !u.username().is_empty() || u.password().is_some() {
            return Target::Skip(u, "skipped: credentials in a URL are not supported".into());
        }
        if u.origin() != page.origin() && !self.opts.cross_origin {
            return Target::Skip(
                u,
                "skipped: another origin than the page (--cross-origin scans it)".into(),
            );
        }
        Target::Fetch(u)
    }

    fn page(&mut self, page: &Url, scanner: &mut Scanner) {
        let Some(fetched) = self.fetch(page, Kind::Asked) else {
            return;
        };
        let page = fetched.url.clone();
        let html = String::from_utf8_lossy(&fetched.body).into_owned();
        let inline = html::inline_scripts(&html);
        // Maps named by inline scripts, followed once the page is scanned.
        let inline_maps: Vec<String> = inline
            .iter()
            .filter_map(|body| source_mapping_url(body.as_bytes()))
            .collect();
        scan_response(
            scanner,
            page.as_str(),
            &without_data_maps(&fetched.body, &inline_maps),
        );
        let refs = script_refs(&html);
        // Relative script URLs resolve against `<base href>` when there is one.
        let base = html::base_href(&html)
            .and_then(|b| page.join(&b).ok())
            .filter(|b| matches!(b.scheme(), "http" | "https"))
            .unwrap_or_else(|| page.clone());
        let max = self.opts.max_scripts;
        if refs.len() > max {
            messages::Incomplete::record(
                page.as_str(),
                format!(
                    "loads {} scripts: only the first {max} are scanned (--max-scripts)",
                    refs.len()
                ),
            );
        }
        // Scripts the page loads, then the modules they (and inline module
        // scripts) import, breadth first, `--max-scripts` in all.
        let mut queue: VecDeque<(Url, Kind)> = VecDeque::new();
        for r in refs.iter().take(max) {
            match self.target(&base, &page, r) {
                Target::Fetch(u) => queue.push_back((u, Kind::Linked)),
                // A `data:` script is part of the page, scanned with it (through
                // its decoding layers); the map it names is followed.
                Target::Data(bytes) => {
                    if let Some(map) = source_mapping_url(&bytes) {
                        self.source_map(scanner, &page, &page, &map);
                    }
                }
                Target::Skip(u, why) => messages::note(u.as_str(), why),
                Target::None => {}
            }
        }
        let mut planned = queue.len();
        let mut dropped = false;
        let mut discover = |run: &mut Run, from: &Url, code: &[u8], queue: &mut VecDeque<_>| {
            // More than the budget left is never needed: past it, one is enough to
            // say that some were dropped.
            let limit = max.saturating_sub(planned) + 1;
            let code = String::from_utf8_lossy(code);
            let mut refs = html::module_refs(&code, limit);
            refs.extend(html::chunk_paths(&code, from.path(), limit));
            for r in refs {
                match run.target(from, &page, &r) {
                    Target::Fetch(u)
                        if !run.seen.contains(&u) && !queue.iter().any(|(q, _)| *q == u) =>
                    {
                        if planned < max {
                            planned += 1;
                            queue.push_back((u, Kind::Discovered));
                        } else {
                            dropped = true;
                        }
                    }
                    Target::Skip(u, why) => messages::note(u.as_str(), why),
                    _ => {}
                }
            }
        };
        for body in &inline {
            discover(self, &base, body.as_bytes(), &mut queue);
        }
        while let Some((u, kind)) = queue.pop_front() {
            let Some(js) = self.fetch(&u, kind) else {
                continue;
            };
            let map = js
                .source_map
                .clone()
                .or_else(|| source_mapping_url(&js.body));
            let maps: Vec<String> = map.iter().cloned().collect();
            scan_response(
                scanner,
                js.url.as_str(),
                &without_data_maps(&js.body, &maps),
            );
            if let Some(map) = map {
                self.source_map(scanner, &js.url, &page, &map);
            }
            discover(self, &js.url, &js.body, &mut queue);
        }
        if dropped {
            messages::Incomplete::record(
                page.as_str(),
                format!("imported modules past --max-scripts ({max}) are not scanned"),
            );
        }
        for map in &inline_maps {
            self.source_map(scanner, &page, &page, map);
        }
    }

    /// The source map `map` named by the script at `script`.
    fn source_map(&mut self, scanner: &mut Scanner, script: &Url, page: &Url, map: &str) {
        match self.target(script, page, map) {
            Target::Fetch(u) => {
                if let Some(m) = self.fetch(&u, Kind::Linked) {
                    scan_response(scanner, m.url.as_str(), &m.body);
                }
            }
            // Inline: `data:application/json;base64,…`; its findings name the
            // script's URL and their original source.
            Target::Data(bytes) => {
                scan_response(scanner, &format!("{script}#sourceMappingURL"), &bytes);
            }
            Target::Skip(u, why) => messages::note(u.as_str(), why),
            Target::None => {}
        }
    }
}

/// A script (or page) to scan without the inline `data:` source maps it names
/// that decode: each is scanned as a source map of its own, whose findings name
/// their original source, and is not reported a second time as base64 in the
/// script. Blanked with spaces, so lines and columns stay.
fn without_data_maps<'a>(body: &'a [u8], maps: &[String]) -> std::borrow::Cow<'a, [u8]> {
    let mut out = std::borrow::Cow::Borrowed(body);
    for m in maps {
        if m.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("data:"))
            && data_url(m).is_some()
            && let Some(at) = memchr::memmem::rfind(&out, m.as_bytes())
        {
            out.to_mut()[at..at + m.len()].fill(b' ');
        }
    }
    out
}

/// The bytes of a `data:` URL (base64 or percent-encoded), `None` if malformed.
fn data_url(s: &str) -> Option<Vec<u8>> {
    let d = data_url::DataUrl::process(s).ok()?;
    d.decode_to_vec().ok().map(|(bytes, _)| bytes)
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn pieces() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("/"),
                Just("\\"),
                Just("\t"),
                Just("\n"),
                Just("//"),
                Just("evil.test"),
                Just(":"),
                Just("@"),
                Just("%2f"),
                Just("%40"),
                Just("?"),
                Just("#"),
                Just(".."),
                Just("127.0.0.2"),
                Just("[::1]"),
                Just("http:"),
                Just("data:,"),
                Just(" "),
                Just("\u{3002}"),
                Just("0x7f.1"),
                Just("%00"),
                Just("x"),
            ],
            0..16,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// What the same-origin rule judges is what the HTTP client connects to:
        /// the serialised URL, parsed again as ureq parses it, names the same host
        /// and port.
        #[test]
        fn joined_urls_name_one_host(r in pieces()) {
            let base = parse_page("http://127.0.0.1:8080/app/index.html").unwrap();
            if let Ok(u) = base.join(&r)
                && matches!(u.scheme(), "http" | "https")
                && let Ok(uri) = u.as_str().parse::<ureq::http::Uri>()
            {
                prop_assert_eq!(
                    uri.host().map(guard::host_key),
                    u.host_str().map(guard::host_key)
                );
                prop_assert_eq!(uri.port_u16().or(Some(80)), u.port_or_known_default());
            }
        }

        #[test]
        fn random_pages_and_scripts_never_panic(
            html in proptest::collection::vec(
                prop_oneof![
                    Just("<script src=".to_string()), Just("<link rel=modulepreload href='".to_string()),
                    Just("</script>".to_string()), Just("&#x2f;".to_string()), Just("&".to_string()),
                    Just("//# sourceMappingURL=".to_string()), Just("data:,".to_string()),
                    Just("import(\"./".to_string()), Just(".js\"".to_string()),
                    Just("\"assets/".to_string()), Just(".u=e=>\"static/\"+e+\".\"+{1:\"a\"}[e]+\".js\"".to_string()),
                    "[ -~]{0,12}",
                ],
                0..40,
            )
        ) {
            let html = html.concat();
            let refs = script_refs(&html);
            let _ = html::base_href(&html);
            prop_assert!(html::module_refs(&html, 5).len() <= 5);
            prop_assert!(html::chunk_paths(&html, "/assets/static/x.js", 5).len() <= 5);
            prop_assert!(refs.len() <= html.len());
            let _ = html::inline_scripts(&html);
            if let Some(m) = source_mapping_url(html.as_bytes()) {
                prop_assert!(m.len() <= html.len());
                let _ = data_url(&m);
            }
        }
    }

    #[test]
    fn parses_and_joins_by_whatwg_rules() {
        let base = parse_page(" HTTPS://Example.com:443/app/index.html?x=1#top ").unwrap();
        assert_eq!(base.as_str(), "https://example.com/app/index.html?x=1");
        let j = |r: &str| base.join(r).map(without_fragment).unwrap().to_string();
        assert_eq!(j("a.js"), "https://example.com/app/a.js");
        assert_eq!(j("../b.js"), "https://example.com/b.js");
        assert_eq!(j("./x/../c.js?v=2"), "https://example.com/app/c.js?v=2");
        assert_eq!(j("//cdn.test/e.js"), "https://cdn.test/e.js");
        // A backslash is a slash in http(s) URLs; tabs and newlines are dropped.
        assert_eq!(j("/\\evil.test/x.js"), "https://evil.test/x.js");
        assert_eq!(j("\\\\evil.test/x.js"), "https://evil.test/x.js");
        assert_eq!(j("/\t/evil.test/x.js"), "https://evil.test/x.js");
        assert_eq!(j("/a\n.js"), "https://example.com/a.js");
        assert_eq!(j("http://[::1]:80/x"), "http://[::1]/x");
        assert!(parse_page("ftp://x/").is_err());
        assert!(parse_page("http://user@example.com/").is_err());
        assert!(parse_page("file:///etc/passwd").is_err());
        assert_ne!(
            parse_page("http://127.0.0.1:1/").unwrap().origin(),
            parse_page("http://127.0.0.1:2/").unwrap().origin()
        );
        assert_eq!(
            data_url("data:application/json;charset=utf-8;base64,eyJhIjoxfQ==").unwrap(),
            b"{\"a\":1}"
        );
        assert_eq!(data_url("data:,%7B%7D").unwrap(), b"{}");
    }
}
