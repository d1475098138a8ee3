//! Keys scrambled by hand or by an obfuscator rather than encoded: ROT13
//! (`depc_yvir_…`, read back by Python's `codecs.decode(s, "rot13")`),
//! written backwards (`"…_evil_pcrq".split("").reverse().join("")`, `s[::-1]`)
//! and ROT47 (`BC4A0=:G60…`, CyberChef's). ROT13 and backwards keep a key's
//! characters in one run of word characters, so each layer reads the run that
//! holds its trigger; ROT47 turns them into any printable character, quotes
//! too, so it reads to the first blank and to the string's closing quote.

use super::Layer;
use super::layers::{AFTER, BEFORE, Region};

/// The run of word characters (ASCII letters, digits, `_`) that holds `at`:
/// at most [`BEFORE`] bytes before it and [`AFTER`] from it.
fn word_run(data: &[u8], at: usize) -> (usize, usize) {
    let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let at = at.min(data.len());
    let lo = at.saturating_sub(BEFORE);
    let s = at - data[lo..at].iter().rev().take_while(|b| word(b)).count();
    let hi = (at + AFTER).min(data.len());
    let e = at + data[at..hi].iter().take_while(|b| word(b)).count();
    (s, e)
}

/// Letters rotated by 13 in the word that holds the trigger at `at`.
pub(super) fn rot13(data: &[u8], at: usize) -> Option<Region> {
    let (s, e) = word_run(data, at);
    let mut r = Region::new(Layer::Rot13, s);
    for (i, &b) in data[s..e].iter().enumerate() {
        r.push(rot13_byte(b), s + i);
    }
    r.finish(e)
}

/// `b` rotated by 13 if it is an ASCII letter (its own inverse).
pub(super) fn rot13_byte(b: u8) -> u8 {
    match b {
        b'a'..=b'z' => (b - b'a' + 13) % 26 + b'a',
        b'A'..=b'Z' => (b - b'A' + 13) % 26 + b'A',
        _ => b,
    }
}

/// Printable ASCII rotated by 47 from the trigger at `at` to the first byte
/// that is not (a blank, a control byte, non-ASCII). In a string (a quote
/// before `at`), only to the last of that quote in the run (a key's ROT47 may
/// hold the quote, escaped or not: `Q` is `"`, `V` is `'`), with `\`
/// escapes read as the character they escape.
pub(super) fn rot47(data: &[u8], at: usize) -> Option<Region> {
    let hi = (at + AFTER).min(data.len());
    let printable = |b: &u8| (b'!'..=b'~').contains(b);
    let mut e = at
        + data[at.min(hi)..hi]
            .iter()
            .take_while(|b| printable(b))
            .count();
    let quote = at
        .checked_sub(1)
        .map(|i| data[i])
        .filter(|q| matches!(q, b'"' | b'\'' | b'`'));
    if let Some(q) = quote {
        e = at + data[at..e].iter().rposition(|&b| b == q).unwrap_or(e - at);
    }
    let mut r = Region::new(Layer::Rot47, at);
    let mut i = at;
    while i < e {
        if quote.is_some() && data[i] == b'\\' && i + 1 < e {
            i += 1;
        }
        r.push(rot47_byte(data[i]), i);
        i += 1;
    }
    r.finish(e)
}

/// `b` rotated by 47 if it is printable ASCII other than a space (its own
/// inverse).
pub(super) fn rot47_byte(b: u8) -> u8 {
    match b {
        b'!'..=b'~' => (b - b'!' + 47) % 94 + b'!',
        _ => b,
    }
}

/// The word that holds the trigger at `at` (a keyword's start written
/// backwards, `evil_pcr`), read backwards: the key's body is before it.
pub(super) fn reversed(data: &[u8], at: usize) -> Option<Region> {
    let (s, e) = word_run(data, at);
    Region::backwards(Layer::Reversed, data, s, e)
}
