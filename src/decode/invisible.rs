//! Invisible characters and inline HTML tags inside a key: a zero-width space,
//! a soft hyphen or a BOM pasted with it or put there on purpose, `<wbr>` that a
//! page puts in long words, a highlighter's `<span>`s. The key reads whole in a
//! browser and when copied; this layer removes them from the candidate's line.

use super::Layer;
use super::layers::{Region, window};

/// The first bytes of each thing [`strip`] removes: a tag's `<`, and the first
/// two bytes of each invisible character's UTF-8 (see [`invisible_len`]).
pub(super) const LEADS: [&[u8]; 6] = [
    b"<",
    b"\xe2\x80",
    b"\xe2\x81",
    b"\xc2\xad",
    b"\xef\xbb",
    b"\xe1\xa0",
];

/// The candidate's line without invisible characters and HTML tags: a key split
/// by a zero-width space, a soft hyphen or `<wbr>` (which a page inserts in long
/// words), or highlighted in pieces (`<span>…</span>`), reads whole in a browser
/// and when copied from it.
pub(super) fn strip(data: &[u8], at: usize) -> Option<Region> {
    let (s, e) = window(data, at);
    let mut r = Region::new(Layer::Invisible, s);
    let mut i = s;
    while i < e {
        let run = data[i..e]
            .iter()
            .position(|&b| Layer::invisible_lead(b))
            .unwrap_or(e - i);
        r.extend(&data[i..i + run], i);
        i += run;
        if i >= e {
            break;
        }
        match invisible_len(&data[i..e]).or_else(|| tag_len(&data[i..e])) {
            Some(n) => i += n,
            None => {
                r.push(data[i], i);
                i += 1;
            }
        }
    }
    r.finish(e)
}

/// The length of the invisible character `s` starts with, in UTF-8: U+00AD (soft
/// hyphen), U+180E, U+200B to U+200F (zero-width space, joiners, direction
/// marks), U+2060 to U+2064 (word joiner, invisible operators), U+FEFF.
fn invisible_len(s: &[u8]) -> Option<usize> {
    match s {
        [0xC2, 0xAD, ..] => Some(2),
        [0xE1, 0xA0, 0x8E, ..] | [0xE2, 0x80, 0x8B..=0x8F, ..] => Some(3),
        [0xE2, 0x81, 0xA0..=0xA4, ..] | [0xEF, 0xBB, 0xBF, ..] => Some(3),
        _ => None,
    }
}

/// The length of the inline HTML tag `s` starts with (opening or closing, with
/// attributes, up to [`MAX_TAG`] bytes without `<` or a line break). Only tags
/// that leave the text around them on one run (`<wbr>`, `<span>`, `<code>`,
/// `<b>`, a link…): a cell, a paragraph or a `<br>` between two words keeps them
/// apart on the page, and joining them could make a key of a prefix and a word.
fn tag_len(s: &[u8]) -> Option<usize> {
    let from = 1 + usize::from(s.get(1) == Some(&b'/'));
    let name_len = s
        .get(from..)?
        .iter()
        .take(24)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b':')
        .count();
    let name = &s[from..from + name_len];
    if !inline(name) || !matches!(s.get(from + name_len), Some(b'>' | b'/' | b' ' | b'\t')) {
        return None;
    }
    let close = s.iter().take(MAX_TAG).position(|&b| b == b'>')?;
    (!s[1..close].iter().any(|&b| b == b'<' || b == b'\n')).then_some(close + 1)
}

/// Whether a tag named `name` leaves the text around it on one run: HTML's
/// inline tags (in any case), and an Office document's run-level markup. Word
/// (`w:r`, `w:t`, `w:rPr`, `w:proofErr`, …), PowerPoint (`a:r`, `a:t`, …),
/// an Excel shared string's rich text (`r`, `t`, `rPr`) and an OpenDocument
/// text's `text:span` split a word into runs
/// wherever its formatting or its spelling marks change, and a pasted key is
/// an unknown word. Their paragraphs, tabs, breaks and cells keep text apart.
fn inline(name: &[u8]) -> bool {
    match name.iter().position(|&b| b == b':') {
        None => {
            EXCEL_RUN.contains(&name)
                || (name.len() <= 8 && INLINE_TAGS.contains(&name.to_ascii_lowercase().as_slice()))
        }
        Some(i) => match &name[..i] {
            b"w" | b"a" => !OFFICE_BREAKS.contains(&&name[i + 1..]),
            // An OpenDocument text's spans and links (`text:s` is a space).
            b"text" => matches!(&name[i + 1..], b"span" | b"a"),
            _ => false,
        },
    }
}

/// An Excel shared string's rich-text run and its properties (`b`, `i`, `u`
/// are HTML's inline tags too).
const EXCEL_RUN: [&[u8]; 11] = [
    b"r",
    b"t",
    b"rPr",
    b"rFont",
    b"sz",
    b"color",
    b"family",
    b"scheme",
    b"charset",
    b"strike",
    b"vertAlign",
];

/// Word's and PowerPoint's elements that end a run of text on the page.
const OFFICE_BREAKS: [&[u8]; 12] = [
    b"p",
    b"pPr",
    b"tab",
    b"ptab",
    b"br",
    b"cr",
    b"tc",
    b"tr",
    b"tbl",
    b"txbxContent",
    b"body",
    b"sectPr",
];

/// Tags a page renders inside a run of text.
const INLINE_TAGS: [&[u8]; 22] = [
    b"wbr", b"span", b"code", b"b", b"i", b"u", b"s", b"em", b"strong", b"kbd", b"samp", b"var",
    b"mark", b"small", b"a", b"font", b"abbr", b"del", b"ins", b"tt", b"bdi", b"bdo",
];

/// Longest HTML tag removed from inside a key.
const MAX_TAG: usize = 256;
