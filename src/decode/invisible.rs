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
        .take(8)
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let name = s[from..from + name_len].to_ascii_lowercase();
    if !INLINE_TAGS.contains(&name.as_slice())
        || !matches!(s.get(from + name_len), Some(b'>' | b'/' | b' ' | b'\t'))
    {
        return None;
    }
    let close = s.iter().take(MAX_TAG).position(|&b| b == b'>')?;
    (!s[1..close].iter().any(|&b| b == b'<' || b == b'\n')).then_some(close + 1)
}

/// Tags a page renders inside a run of text.
const INLINE_TAGS: [&[u8]; 22] = [
    b"wbr", b"span", b"code", b"b", b"i", b"u", b"s", b"em", b"strong", b"kbd", b"samp", b"var",
    b"mark", b"small", b"a", b"font", b"abbr", b"del", b"ins", b"tt", b"bdi", b"bdo",
];

/// Longest HTML tag removed from inside a key.
const MAX_TAG: usize = 256;
