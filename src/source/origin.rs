//! Logical places inside a physical blob: the original source file and line of a
//! source map's `sourcesContent`.
//!
//! Findings keep their physical place (the `.map` file, line and column); this
//! module only adds `origin`. It runs only on blobs that have findings, with a
//! small JSON walker that knows where each string sits (serde_json does not give
//! offsets; notebooks use it too); it never recurses, so hostile nesting can't
//! overflow it.

use crate::decode::Located;
use crate::finding::Origin;

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
}

/// A string value: its path and the byte range of its contents (inside the quotes).
pub(super) struct JsonString {
    pub path: Vec<Seg>,
    pub start: usize,
    pub end: usize,
}

/// Nesting deeper than this is not walked (no source map or notebook needs it).
const MAX_NESTING: usize = 64;

/// Every string value whose path `want` accepts, in document order. Stops quietly at
/// the first thing that is not JSON.
pub(super) fn strings(data: &[u8], want: &dyn Fn(&[Seg]) -> bool) -> Vec<JsonString> {
    let mut out = Vec::new();
    let mut path: Vec<Seg> = Vec::new();
    // For each open container: is it an object.
    let mut stack: Vec<bool> = Vec::new();
    let mut i = skip_ws(data, 0);
    loop {
        // A value at `i`.
        match data.get(i) {
            Some(b'{') | Some(b'[') if stack.len() < MAX_NESTING => {
                let obj = data[i] == b'{';
                stack.push(obj);
                i = skip_ws(data, i + 1);
                let close = if obj { b'}' } else { b']' };
                if data.get(i) == Some(&close) {
                    stack.pop();
                    i += 1;
                } else if obj {
                    let Some(next) = key(data, i, &mut path) else {
                        return out;
                    };
                    i = next;
                    continue;
                } else {
                    path.push(Seg::Index(0));
                    continue;
                }
            }
            Some(b'"') => {
                let Some(end) = string_end(data, i) else {
                    return out;
                };
                if want(&path) {
                    out.push(JsonString {
                        path: path.clone(),
                        start: i + 1,
                        end: end - 1,
                    });
                }
                i = end;
            }
            Some(_) => {
                let n = data[i..]
                    .iter()
                    .take_while(|b| !matches!(b, b',' | b']' | b'}') && !b.is_ascii_whitespace())
                    .count();
                if n == 0 {
                    return out;
                }
                i += n;
            }
            None => return out,
        }
        // After a value: `,` or the end of containers.
        loop {
            i = skip_ws(data, i);
            let Some(&obj) = stack.last() else {
                return out;
            };
            match (data.get(i), obj) {
                (Some(b','), true) => {
                    path.pop();
                    let Some(next) = key(data, skip_ws(data, i + 1), &mut path) else {
                        return out;
                    };
                    i = next;
                    break;
                }
                (Some(b','), false) => {
                    if let Some(Seg::Index(n)) = path.last_mut() {
                        *n += 1;
                    }
                    i = skip_ws(data, i + 1);
                    break;
                }
                (Some(b'}'), true) | (Some(b']'), false) => {
                    stack.pop();
                    path.pop();
                    i += 1;
                }
                _ => return out,
            }
        }
    }
}

fn skip_ws(data: &[u8], mut i: usize) -> usize {
    while data.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// Offset after the closing quote of the string opened at `i`.
fn string_end(data: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        j += memchr::memchr2(b'"', b'\\', data.get(j..)?)?;
        if data[j] == b'"' {
            return Some(j + 1);
        }
        j += 2;
    }
}

/// Reads `"key":` at `i`, pushes it on `path`, returns the offset of the value.
fn key(data: &[u8], i: usize, path: &mut Vec<Seg>) -> Option<usize> {
    if data.get(i) != Some(&b'"') {
        return None;
    }
    let end = string_end(data, i)?;
    path.push(Seg::Key(unescape(&data[i..end])));
    let colon = skip_ws(data, end);
    (data.get(colon) == Some(&b':')).then(|| skip_ws(data, colon + 1))
}

/// A JSON string with its quotes, decoded (lossy on bad escapes).
pub(super) fn unescape(quoted: &[u8]) -> String {
    serde_json::from_slice::<String>(quoted).unwrap_or_else(|_| {
        String::from_utf8_lossy(quoted)
            .trim_matches('"')
            .to_string()
    })
}

/// Lines that start before `at` in the JSON string contents starting at `start`
/// (`\n` escapes), plus one.
fn line_in_string(data: &[u8], start: usize, at: usize) -> usize {
    let mut line = 1;
    let mut i = start;
    while i < at.min(data.len()) {
        if data[i] == b'\\' {
            match data.get(i + 1) {
                Some(b'n') => line += 1,
                Some(b'u')
                    if data
                        .get(i + 2..i + 6)
                        .is_some_and(|h| h.eq_ignore_ascii_case(b"000a")) =>
                {
                    line += 1
                }
                _ => {}
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    line
}

/// A source map: JSON with `sources` and `sourcesContent` (and usually `mappings`).
fn is_source_map(data: &[u8]) -> bool {
    let head = &data[skip_ws(data, 0).min(data.len())..];
    head.starts_with(b"{")
        && memchr::memmem::find(data, b"\"sourcesContent\"").is_some()
        && memchr::memmem::find(data, b"\"sources\"").is_some()
}

/// Sets `origin` on findings that sit in a source map's `sourcesContent`.
pub fn attach(data: &[u8], located: &mut [Located]) {
    if !located.is_empty() && is_source_map(data) {
        source_map(data, located);
    }
}

/// Which map of a source map a path is in, and the rest of the path: the top
/// level (`None`), or an index map's section (`sections[n].map`, what Turbopack
/// and other tools that concatenate maps write).
fn in_map(p: &[Seg]) -> Option<(Option<usize>, &[Seg])> {
    match p {
        [Seg::Key(s), Seg::Index(n), Seg::Key(m), rest @ ..] if s == "sections" && m == "map" => {
            Some((Some(*n), rest))
        }
        [Seg::Key(s), ..] if s == "sections" => None,
        rest => Some((None, rest)),
    }
}

/// The fields of a source map that name and hold its sources.
#[derive(Clone, Copy)]
enum Field {
    Root,
    Source(usize),
    Content(usize),
}

/// The field a string at `p` is, and the map (top level or section) it is in.
fn field(p: &[Seg]) -> Option<(Option<usize>, Field)> {
    let (section, rest) = in_map(p)?;
    let f = match rest {
        [Seg::Key(k)] if k == "sourceRoot" => Field::Root,
        [Seg::Key(k), Seg::Index(i)] if k == "sources" => Field::Source(*i),
        [Seg::Key(k), Seg::Index(i)] if k == "sourcesContent" => Field::Content(*i),
        _ => return None,
    };
    Some((section, f))
}

fn source_map(data: &[u8], located: &mut [Located]) {
    let found = strings(data, &|p| field(p).is_some());
    let mut roots: Vec<(Option<usize>, String)> = Vec::new();
    let mut sources: Vec<((Option<usize>, usize), String)> = Vec::new();
    let mut contents: Vec<((Option<usize>, usize), usize, usize)> = Vec::new();
    for s in &found {
        let quoted = &data[s.start - 1..s.end + 1];
        match field(&s.path) {
            Some((section, Field::Root)) => roots.push((section, unescape(quoted))),
            Some((section, Field::Source(i))) => sources.push(((section, i), unescape(quoted))),
            Some((section, Field::Content(i))) => contents.push(((section, i), s.start, s.end)),
            None => {}
        }
    }
    for l in located.iter_mut() {
        let Some(&(at, start, _)) = contents.iter().find(|c| c.1 <= l.start && l.start < c.2)
        else {
            continue;
        };
        let source = sources
            .iter()
            .find(|s| s.0 == at)
            .map_or_else(|| format!("sources[{}]", at.1), |s| s.1.clone());
        let root = roots
            .iter()
            .find(|r| r.0 == at.0)
            .map_or("", |r| r.1.as_str());
        let path = if root.is_empty() || source.contains("://") {
            source
        } else {
            format!("{}/{}", root.trim_end_matches('/'), source)
        };
        l.finding.origin = Some(Origin {
            path,
            line: Some(line_in_string(data, start, l.start)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(data: &str) -> Vec<(Vec<Seg>, String)> {
        strings(data.as_bytes(), &|_| true)
            .into_iter()
            .map(|s| (s.path, data[s.start..s.end].to_string()))
            .collect()
    }

    #[test]
    fn walks_strings_with_paths() {
        let got = paths(r#"{"a": [1, "x", {"b": "y\"z"}], "c": "w", "d": {}}"#);
        assert_eq!(
            got,
            vec![
                (vec![Seg::Key("a".into()), Seg::Index(1)], "x".into()),
                (
                    vec![Seg::Key("a".into()), Seg::Index(2), Seg::Key("b".into())],
                    r#"y\"z"#.into()
                ),
                (vec![Seg::Key("c".into())], "w".into()),
            ]
        );
    }

    #[test]
    fn hostile_json_does_not_panic() {
        for s in [
            "{",
            "[[[[",
            "{\"a\"",
            "{\"a\":",
            "\"\\",
            "{\"a\":\"\\",
            "[1,]",
            "{,}",
            "]]",
        ] {
            let _ = strings(s.as_bytes(), &|_| true);
        }
        let deep = "[".repeat(100_000);
        assert!(strings(deep.as_bytes(), &|_| true).is_empty());
    }

    /// Index maps: each section's map has its own sources and root; a section
    /// whose map is elsewhere (`url`) names nothing. Keys in each place, found
    /// by the real detector (the one on the line after `A` is the first).
    #[test]
    fn index_maps_name_each_sections_sources() {
        // Spelled apart, so that this file holds no key itself.
        let key = format!("qrcp_{}_{}", "live", "Zk3q9WmP2xLr7Tb4Nv8Hc1Yd");
        let data = format!(
            r#"{{"version":3,"sections":[
            {{"offset":{{"line":0,"column":0}},"url":"a.js.map"}},
            {{"offset":{{"line":1,"column":0}},"map":{{"sourceRoot":"r/","sources":["a.ts"],"sourcesContent":["A\n{key}"]}}}},
            {{"offset":{{"line":9,"column":0}},"map":{{"sources":["b.ts","c.ts"],"sourcesContent":[null,"{key}"]}}}}],
            "sources":["top.ts"],"sourcesContent":["{key}"]}}"#
        );
        let rules = std::sync::Arc::new(crate::rules::RuleSet::load(&[] as &[&str]).unwrap());
        let det = crate::decode::detector(rules).unwrap();
        let mut located = Vec::new();
        let prov = crate::finding::Provenance::file("m.js.map".into());
        crate::decode::detect(&det, data.as_bytes(), &prov, &mut located);
        attach(data.as_bytes(), &mut located);
        let got: Vec<_> = located
            .iter()
            .map(|l| l.finding.origin.as_ref().map(|o| (o.path.as_str(), o.line)))
            .collect();
        assert_eq!(
            got,
            [
                Some(("r/a.ts", Some(2))),
                Some(("c.ts", Some(1))),
                Some(("top.ts", Some(1)))
            ]
        );
    }

    #[test]
    fn counts_lines_in_json_strings() {
        let s = br#"a\nb\\nc\u000Ad"#;
        assert_eq!(line_in_string(s, 0, s.len()), 3);
    }
}
