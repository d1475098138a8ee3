//! Jupyter notebooks (`.ipynb`, or any JSON document with `cells` and
//! `nbformat`) as containers: each cell's source is a member `cell[3]` (cells
//! counted from 1 in document order, markdown cells too) and the text of its
//! outputs a member `cell[3]-output`, JSON-unescaped, so every layer and
//! reassembly reads them as the author wrote them and lines are the cell's own.
//! Image outputs, metadata and output types are left out. Told by content only, so a notebook gets the same
//! members whatever its name or source (git history reads blobs before their
//! names). One pass of the non-recursive JSON walker: linear in the document.

use std::borrow::Cow;

use super::embedded::{Embedded, What};
use super::origin::{self, Seg};

/// A JSON object with `cells` and `nbformat` keys.
pub fn is_notebook(data: &[u8]) -> bool {
    let start = data
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(data.len());
    data.get(start) == Some(&b'{')
        && memchr::memmem::find(data, b"\"nbformat\"").is_some()
        && memchr::memmem::find(data, b"\"cells\"").is_some()
}

/// The members of a notebook, in document order, each with the span of the
/// document its strings sit in.
pub fn cells(data: &[u8]) -> Vec<Embedded<'static>> {
    let found = origin::strings(data, &|p| {
        matches!(p, [Seg::Key(c), Seg::Index(_), Seg::Key(f), ..]
            if c == "cells" && (f == "source" || f == "outputs"))
            && !p.iter().any(|s| {
                matches!(s, Seg::Key(k)
                if k.starts_with("image/") || k == "metadata" || k == "output_type")
            })
            && !matches!(p, [_, _, _, _, Seg::Key(k)] if k == "name")
    });
    let mut out: Vec<Embedded<'static>> = Vec::new();
    // The member being filled: (cell, is output).
    let mut current: Option<(usize, bool)> = None;
    let mut text: Vec<u8> = Vec::new();
    let (mut start, mut end) = (0, 0);
    let mut flush = |cur: Option<(usize, bool)>, text: &mut Vec<u8>, start, end| {
        if let Some((cell, output)) = cur
            && !text.is_empty()
        {
            let name = if output {
                format!("cell[{}]-output", cell + 1)
            } else {
                format!("cell[{}]", cell + 1)
            };
            out.push(Embedded {
                what: What::Cell,
                name,
                bytes: Cow::Owned(std::mem::take(text)),
                start,
                end,
            });
        }
        text.clear();
    };
    for s in &found {
        let (Some(Seg::Index(cell)), Some(Seg::Key(field))) = (s.path.get(1), s.path.get(2)) else {
            continue;
        };
        let key = (*cell, field == "outputs");
        if current != Some(key) {
            flush(current, &mut text, start, end);
            current = Some(key);
            start = s.start;
        }
        // Output strings of different fields are separate lines; a source's
        // strings are its lines, each ending in its own `\n`.
        if key.1 && !text.is_empty() && text.last() != Some(&b'\n') {
            text.push(b'\n');
        }
        text.extend_from_slice(origin::unescape(&data[s.start - 1..s.end + 1]).as_bytes());
        end = s.end;
    }
    flush(current, &mut text, start, end);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_outputs_are_members_with_their_text() {
        let nb = r##"{"cells": [
            {"cell_type": "markdown", "source": "# T\n"},
            {"cell_type": "code", "source": ["a = \"x\" \\\n", "  \"y\"\n"],
             "outputs": [{"output_type": "stream", "text": ["out 1\n", "out 2"]},
                         {"data": {"image/png": "iVBOR", "text/plain": ["r"]}}]}
        ], "nbformat": 4}"##;
        assert!(is_notebook(nb.as_bytes()));
        let m = cells(nb.as_bytes());
        let got: Vec<(&str, &[u8])> = m.iter().map(|e| (e.name.as_str(), &*e.bytes)).collect();
        assert_eq!(
            got,
            [
                ("cell[1]", &b"# T\n"[..]),
                ("cell[2]", b"a = \"x\" \\\n  \"y\"\n"),
                ("cell[2]-output", b"out 1\nout 2\nr"),
            ]
        );
        assert!(!is_notebook(b"[{\"cells\": 1, \"nbformat\": 4}]"));
    }
}
