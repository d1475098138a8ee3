//! Logical places inside a physical blob: the original source file and line of a
//! source map's `sourcesContent`, and the cell and line of a Jupyter notebook.
//!
//! Findings keep their physical place (the `.map` or `.ipynb` file, line and
//! column); this module only adds `origin`. A notebook's origin is a fragment of
//! the physical path (`#cell-3`), which the caller completes once that path is
//! known (git history reads blobs before their paths). It runs only on blobs that have
//! findings, with a small JSON walker that knows where each string sits (serde_json
//! does not give offsets); it never recurses, so hostile nesting can't overflow it.

use crate::decode::Located;
use crate::finding::Origin;

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// A string value: its path and the byte range of its contents (inside the quotes).
struct JsonString {
    path: Vec<Seg>,
    start: usize,
    end: usize,
}

/// Nesting deeper than this is not walked (no source map or notebook needs it).
const MAX_NESTING: usize = 64;

/// Every string value whose path `want` accepts, in document order. Stops quietly at
/// the first thing that is not JSON.
fn strings(data: &[u8], want: &dyn Fn(&[Seg]) -> bool) -> Vec<JsonString> {
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
fn unescape(quoted: &[u8]) -> String {
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

/// Whether a path names a notebook (`.ipynb`; an archive member's own name counts).
pub fn is_notebook_path(path: &str) -> bool {
    let name = path.rsplit('!').next().unwrap_or(path);
    name.len() >= 6
        && name
            .get(name.len() - 6..)
            .is_some_and(|e| e.eq_ignore_ascii_case(".ipynb"))
}

/// A notebook: named `.ipynb` (when the name is known) and holding `cells`.
fn is_notebook(name: Option<&str>, data: &[u8]) -> bool {
    name.is_none_or(is_notebook_path) && memchr::memmem::find(data, b"\"cells\"").is_some()
}

/// What [`attach`] set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attached {
    Nothing,
    /// Original sources of a source map: complete origins.
    SourceMap,
    /// Notebook cells: origins whose path is a fragment (`#cell-3`) of the blob's
    /// path, to keep only where that path names a notebook.
    NotebookCells,
}

/// Sets `origin` on findings that sit in a source map's `sourcesContent` or in a
/// notebook cell. `name` is the blob's path, `None` when not known yet.
pub fn attach(data: &[u8], name: Option<&str>, located: &mut [Located]) -> Attached {
    if located.is_empty() {
        return Attached::Nothing;
    }
    if is_source_map(data) {
        source_map(data, located);
        Attached::SourceMap
    } else if is_notebook(name, data) {
        notebook(data, located);
        Attached::NotebookCells
    } else {
        Attached::Nothing
    }
}

fn source_map(data: &[u8], located: &mut [Located]) {
    let top = |p: &[Seg], k: &str| matches!(p.first(), Some(Seg::Key(s)) if s == k);
    let found = strings(data, &|p| {
        (p.len() == 1 && top(p, "sourceRoot"))
            || (p.len() == 2 && (top(p, "sources") || top(p, "sourcesContent")))
    });
    let mut root = String::new();
    let mut sources: Vec<(usize, String)> = Vec::new();
    let mut contents: Vec<(usize, usize, usize)> = Vec::new();
    for s in &found {
        let quoted = &data[s.start - 1..s.end + 1];
        match (&s.path[0], s.path.get(1)) {
            (Seg::Key(k), None) if k == "sourceRoot" => root = unescape(quoted),
            (Seg::Key(k), Some(Seg::Index(i))) if k == "sources" => {
                sources.push((*i, unescape(quoted)))
            }
            (Seg::Key(_), Some(Seg::Index(i))) => contents.push((*i, s.start, s.end)),
            _ => {}
        }
    }
    for l in located.iter_mut() {
        let Some(&(i, start, _)) = contents.iter().find(|c| c.1 <= l.start && l.start < c.2) else {
            continue;
        };
        let source = sources
            .iter()
            .find(|s| s.0 == i)
            .map_or_else(|| format!("sources[{i}]"), |s| s.1.clone());
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

/// Cells are numbered from 1 in document order (markdown cells too), as `#cell-3`
/// (`notebook.ipynb#cell-3` once completed); the line is the line within the cell's
/// source. A key in a cell's output gets `#cell-3-output` and no line.
fn notebook(data: &[u8], located: &mut [Located]) {
    let found = strings(
        data,
        &|p| matches!(p, [Seg::Key(c), Seg::Index(_), Seg::Key(_), ..] if c == "cells"),
    );
    // (cell, start, end, first line of this string within the cell's source)
    let mut spans: Vec<(usize, usize, usize, Option<usize>)> = Vec::new();
    let mut lines_before = (usize::MAX, 1);
    for s in &found {
        let (Some(Seg::Index(cell)), Some(Seg::Key(field))) = (s.path.get(1), s.path.get(2)) else {
            continue;
        };
        if field == "source" {
            if lines_before.0 != *cell {
                lines_before = (*cell, 1);
            }
            spans.push((*cell, s.start, s.end, Some(lines_before.1)));
            lines_before.1 += line_in_string(data, s.start, s.end) - 1;
        } else if field == "outputs" {
            spans.push((*cell, s.start, s.end, None));
        }
    }
    for l in located.iter_mut() {
        let Some(&(cell, start, _, first)) = spans.iter().find(|c| c.1 <= l.start && l.start < c.2)
        else {
            continue;
        };
        l.finding.origin = Some(match first {
            Some(first) => Origin {
                path: format!("#cell-{}", cell + 1),
                line: Some(first + line_in_string(data, start, l.start) - 1),
            },
            None => Origin {
                path: format!("#cell-{}-output", cell + 1),
                line: None,
            },
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

    #[test]
    fn counts_lines_in_json_strings() {
        let s = br#"a\nb\\nc\u000Ad"#;
        assert_eq!(line_in_string(s, 0, s.len()), 3);
    }
}
