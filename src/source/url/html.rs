//! What a page and its scripts point at: script URLs in HTML attributes (with
//! their character references decoded, as a browser does), inline script bodies,
//! and `sourceMappingURL` comments. References are returned as written; joining
//! them to a base URL is the caller's business (WHATWG rules, `url` crate).

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<(script|link)\b([^>]*)>").expect("valid regex"));
static BASE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<base\b([^>]*)>").expect("valid regex"));
static ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)([a-z][a-z0-9_:-]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?"#)
        .expect("valid regex")
});
/// `import("…")`, `import "…"`, `… from "…"`, `new URL("…", import.meta.url)`.
static IMPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:\bimport\s*\(\s*|\bfrom\s*|\bimport\s*|\bnew\s+URL\s*\(\s*)(?:"([^"\s]{1,512})"|'([^'\s]{1,512})'|`([^`\s$]{1,512})`)"#,
    )
    .expect("valid regex")
});
/// A string literal that is a relative path to a script in a folder:
/// `"assets/About-9f.js"` (Vite's preload list), `"static/chunks/pages/a-1.js"`
/// (Next.js's build manifest).
static CHUNK_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"["'`]([A-Za-z0-9_@~+-][A-Za-z0-9_./@~+-]{0,255}/[A-Za-z0-9_.@~+-]{1,128}\.m?js)["'`]"#,
    )
    .expect("valid regex")
});
/// webpack's chunk file names: `…u=e=>"static/js/"+e+"."+{12:"a1b2",34:"c3d4"}[e]+".chunk.js"`.
static WEBPACK_U: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\.u\s*=\s*(?:function\s*\(\s*\w+\s*\)\s*\{\s*return\s*|\(?\s*\w+\s*\)?\s*=>\s*)\(?\s*"([^"]{0,128})"\s*\+\s*\w+\s*\+\s*"([^"]{0,16})"\s*\+\s*\{([^{}]+)\}\s*\[\s*\w+\s*\]\s*\+\s*"([^"]{0,32})""#,
    )
    .expect("valid regex")
});
static WEBPACK_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:^|[{,])\s*(?:"([^"]{1,64})"|([0-9A-Za-z_$]{1,64}))\s*:\s*"([0-9A-Za-z_-]{1,64})""#,
    )
    .expect("valid regex")
});
static INLINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<script\b([^>]*)>(.*?)</script\s*>").expect("valid regex"));

/// The attributes of one tag, names lower case, values with character references
/// decoded by the HTML rules for attribute values (`&#x2f;`, `&#x2f` without its
/// semicolon, `&sol;`, `&amp;`, but `&copy=` left as it is); the first of a
/// repeated name wins, as in
/// a browser.
fn attrs(tag: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for a in ATTR.captures_iter(tag) {
        let name = a[1].to_ascii_lowercase();
        if out.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let value = a
            .get(2)
            .or(a.get(3))
            .or(a.get(4))
            .map_or("", |m| m.as_str());
        out.push((name, htmlize::unescape_attribute(value).into_owned()));
    }
    out
}

fn get<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The scripts a page loads: `<script src>`, `<link rel="modulepreload" href>` and
/// `<link rel="preload" as="script" href>`, in page order, without duplicates.
pub fn script_refs(html: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for tag in TAG.captures_iter(html) {
        let attrs = attrs(&tag[2]);
        let rel = get(&attrs, "rel").map(str::to_ascii_lowercase);
        let has_rel = |w: &str| {
            rel.as_deref()
                .is_some_and(|r| r.split_ascii_whitespace().any(|x| x == w))
        };
        let wanted = if tag[1].eq_ignore_ascii_case("script") {
            get(&attrs, "src")
        } else if has_rel("modulepreload")
            || (has_rel("preload")
                && get(&attrs, "as").is_some_and(|a| a.eq_ignore_ascii_case("script")))
        {
            get(&attrs, "href")
        } else {
            None
        };
        if let Some(u) = wanted
            && !u.trim().is_empty()
            && seen.insert(u.to_string())
        {
            out.push(u.to_string());
        }
    }
    out
}

/// The page's `<base href>` (the first one with an `href`, as in a browser):
/// what its relative script URLs are resolved against.
pub fn base_href(html: &str) -> Option<String> {
    BASE.captures_iter(html)
        .find_map(|c| get(&attrs(&c[1]), "href").map(str::to_string))
}

/// The bodies of a page's inline scripts (`<script>` without `src`).
pub fn inline_scripts(html: &str) -> Vec<&str> {
    INLINE
        .captures_iter(html)
        .filter(|c| get(&attrs(&c[1]), "src").is_none())
        .filter_map(|c| c.get(2).map(|m| m.as_str()))
        .collect()
}

/// The JavaScript modules a script imports by URL: `import("./chunk-a1.js")`,
/// `import "./x.js"`, `export … from "../y.mjs"`, `new URL("./w.js",
/// import.meta.url)`, as written, in order, without duplicates; and the
/// WebAssembly modules it loads, `new URL("app_bg.wasm", import.meta.url)`
/// (wasm-bindgen names its module bare, relative to the script; Vite by its
/// path). Bare specifiers (`react`) are no URLs and are left out, as are other
/// files. At most `limit` of them: the search stops there.
pub fn module_refs(code: &str, limit: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for c in IMPORT.captures_iter(code) {
        if out.len() >= limit {
            break;
        }
        let Some(s) = c.get(1).or(c.get(2)).or(c.get(3)).map(|m| m.as_str()) else {
            continue;
        };
        let path = s.split(['?', '#']).next().unwrap_or(s);
        let script = [".js", ".mjs", ".cjs"].iter().any(|e| path.ends_with(e));
        let wasm = path.ends_with(".wasm");
        let new_url = c.get(0).is_some_and(|m| m.as_str().starts_with("new"));
        let url_like = ["./", "../", "/", "http://", "https://"]
            .iter()
            .any(|p| s.starts_with(p))
            // `new URL("x_bg.wasm", import.meta.url)`: relative as written.
            || (new_url && wasm && !s.contains(':'));
        if url_like && (script || wasm) && seen.insert(s) {
            out.push(s.to_string());
        }
    }
    out
}

/// Chunks a bundler's runtime or manifest names by a path relative to its
/// output folder rather than by an import: string literals such as
/// `"assets/About-9f.js"` or `"static/chunks/pages/a-1.js"`, and the file names
/// webpack's chunk loader computes (`"static/js/" + id + "." + hash + ".chunk.js"`).
/// The output folder is found in `script_path` (the URL path of the script that
/// names them) as the part before the literal's first folder:
/// `/_next/static/chunks/main.js` naming `static/chunks/x.js` gives
/// `/_next/static/chunks/x.js`. Absolute paths, in order, without duplicates;
/// literals whose folder is not in `script_path` are left out. At most `limit`
/// of them: the search stops there.
pub fn chunk_paths(code: &str, script_path: &str, limit: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut add = |r: &str, out: &mut Vec<String>| {
        if r.starts_with("./") || r.starts_with("../") || r.contains("//") {
            return;
        }
        let first = r.split('/').next().unwrap_or("");
        if let Some(at) = script_path.find(&format!("/{first}/")) {
            let abs = format!("{}{r}", &script_path[..=at]);
            if seen.insert(abs.clone()) {
                out.push(abs);
            }
        }
    };
    for c in CHUNK_PATH.captures_iter(code) {
        if out.len() >= limit {
            return out;
        }
        add(&c[1], &mut out);
    }
    for u in WEBPACK_U.captures_iter(code) {
        for e in WEBPACK_ENTRY.captures_iter(&u[3]) {
            if out.len() >= limit {
                return out;
            }
            let id = e.get(1).or(e.get(2)).map_or("", |m| m.as_str());
            add(
                &format!("{}{id}{}{}{}", &u[1], &u[2], &e[3], &u[4]),
                &mut out,
            );
        }
    }
    out
}

/// Occurrences of `sourceMappingURL=` looked at from the end of a script for one
/// in a comment (a bundle may hold the text in a string, too).
const MAX_MAPPING_COMMENTS: usize = 8;

/// The source map a script names in its last `//# sourceMappingURL=` (or
/// `/*# … */`, or the old `//@`) comment.
pub fn source_mapping_url(body: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"sourceMappingURL=";
    let mut end = body.len();
    for _ in 0..MAX_MAPPING_COMMENTS {
        let at = memchr::memmem::rfind(&body[..end], KEY)?;
        end = at;
        let before = &body[at.saturating_sub(4)..at];
        let comment = [
            &b"//# "[..],
            b"//@ ",
            b"/*# ",
            b"/*@ ",
            b"//#",
            b"//@",
            b"/*#",
        ]
        .iter()
        .any(|p| before.ends_with(p));
        if !comment {
            continue;
        }
        let rest = &body[at + KEY.len()..];
        let n = rest
            .iter()
            .take_while(|b| !b.is_ascii_whitespace() && **b != b'*' && **b != b'"' && **b != b'\'')
            .count();
        let s = String::from_utf8_lossy(&rest[..n]).into_owned();
        return (!s.is_empty()).then_some(s);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_scripts_with_references_decoded() {
        let html = r#"<html><script type="module" crossorigin src="/assets/index-abc.js"></script>
            <link rel="modulepreload" href='/assets/vendor.js'><link rel=stylesheet href=/a.css>
            <SCRIPT SRC=app.js?v=1&amp;x=2></SCRIPT><script>inline()</script>
            <script src="&#x2f;&#47;cdn.test&sol;x.js" src="/second.js"></script>
            <script src="&#x2f&#47cdn2.test/y.js?a=1&copy=2"></script>
            <link as="script" rel="preload" href="/p.js"><script src="/assets/index-abc.js">"#;
        assert_eq!(
            script_refs(html),
            [
                "/assets/index-abc.js",
                "/assets/vendor.js",
                "app.js?v=1&x=2",
                "//cdn.test/x.js",
                "//cdn2.test/y.js?a=1&copy=2",
                "/p.js"
            ]
        );
        assert_eq!(inline_scripts(html), ["inline()"]);
        assert_eq!(base_href(html), None);
        assert_eq!(
            base_href("<base target=_top><BASE HREF='/v2/&#x61;'><base href=/x>").as_deref(),
            Some("/v2/a")
        );
    }

    #[test]
    fn finds_imported_modules() {
        let js = br#"import{a as b}from"./chunk-A1.js";import"./side.mjs?v=2";
            const m=()=>import('../pages/About-9f.js'),n=import(`/abs/x.js`);
            export*from"./re.js";import r from"react";new URL("./worker.js",import.meta.url);
            new URL("./logo.svg",import.meta.url);import("./chunk-A1.js");const t=`${x}.js`;
            import(`./${name}.js`);from"https://cdn.test/m.js";
            module_or_path=new URL('game_bg.wasm',import.meta.url);new URL("/assets/w-1f.wasm",import.meta.url);
            const x=new URL("data:application/wasm,x.wasm");import("q.wasm")"#;
        assert_eq!(
            module_refs(&String::from_utf8_lossy(js), 100),
            [
                "./chunk-A1.js",
                "./side.mjs?v=2",
                "../pages/About-9f.js",
                "/abs/x.js",
                "./re.js",
                "./worker.js",
                "https://cdn.test/m.js",
                "game_bg.wasm",
                "/assets/w-1f.wasm",
            ]
        );
    }

    #[test]
    fn finds_chunks_named_by_runtimes_and_manifests() {
        // Vite's preload list, next to an import.
        let vite = br#"const __vite__mapDeps=(i,m=__vite__mapDeps,d=(m.f||(m.f=["assets/About-9f.js","assets/About-1.css"])))=>i.map(i=>d[i]);"#;
        assert_eq!(
            chunk_paths(
                &String::from_utf8_lossy(vite),
                "/app/assets/index-abc.js",
                100
            ),
            ["/app/assets/About-9f.js"]
        );
        // Next.js's build manifest.
        let next = br#"self.__BUILD_MANIFEST=function(s){return{"/":[s,"static/chunks/pages/index-1a.js"],"/about":["static/chunks/pages/about-2b.js"]}}("static/chunks/framework-3c.js");"#;
        assert_eq!(
            chunk_paths(
                &String::from_utf8_lossy(next),
                "/_next/static/Bld123/_buildManifest.js",
                100
            ),
            [
                "/_next/static/chunks/pages/index-1a.js",
                "/_next/static/chunks/pages/about-2b.js",
                "/_next/static/chunks/framework-3c.js"
            ]
        );
        // webpack 5's chunk loader, minified and not.
        let wp =
            br#"r.p="/",r.u=e=>"static/js/"+e+"."+{45:"a1b2c3d4",787:"e5f6a7b8"}[e]+".chunk.js""#;
        assert_eq!(
            chunk_paths(&String::from_utf8_lossy(wp), "/static/js/main.123.js", 100),
            [
                "/static/js/45.a1b2c3d4.chunk.js",
                "/static/js/787.e5f6a7b8.chunk.js"
            ]
        );
        let wp = br#"__webpack_require__.u = function(chunkId) { return "js/" + chunkId + "-" + {"src_a_js":"0f1e"}[chunkId] + ".js"; }"#;
        assert_eq!(
            chunk_paths(&String::from_utf8_lossy(wp), "/dist/js/main.js", 100),
            ["/dist/js/src_a_js-0f1e.js"]
        );
        // A folder the script is not in, a URL, a module specifier: none.
        assert!(
            chunk_paths(
                r#""lib/x.js" "https://cdn.test/a/b.js" "./c/d.js""#,
                "/assets/i.js",
                100
            )
            .is_empty()
        );
        // The search stops at the limit.
        let many: String = (0..1000)
            .map(|i| format!("import(\"./m{i}.js\");\"assets/c{i}.js\";"))
            .collect();
        assert_eq!(module_refs(&many, 3), ["./m0.js", "./m1.js", "./m2.js"]);
        assert_eq!(
            chunk_paths(&many, "/assets/i.js", 2),
            ["/assets/c0.js", "/assets/c1.js"]
        );
    }

    #[test]
    fn finds_the_mapping_comment() {
        assert_eq!(
            source_mapping_url(b"f();\n//# sourceMappingURL=index.js.map\n").as_deref(),
            Some("index.js.map")
        );
        assert_eq!(
            source_mapping_url(b"a{}\n/*# sourceMappingURL=a.css.map */").as_deref(),
            Some("a.css.map")
        );
        // The comment before a string that merely mentions it.
        assert_eq!(
            source_mapping_url(b"f();\n//# sourceMappingURL=x.map\nvar s='sourceMappingURL=y';")
                .as_deref(),
            Some("x.map")
        );
        assert_eq!(source_mapping_url(b"var s = 'sourceMappingURL=x';"), None);
    }
}
