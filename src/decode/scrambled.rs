//! Keys scrambled by hand or by an obfuscator rather than encoded: ROT13
//! (`depc_yvir_…`, read back by Python's `codecs.decode(s, "rot13")`) and
//! written backwards (`"…_evil_pcrq".split("").reverse().join("")`, `s[::-1]`).
//! Both keep a key's characters in one run of word characters, so each layer
//! reads the run that holds its trigger.

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

/// The word that holds the trigger at `at` (a keyword's start written
/// backwards, `evil_pcr`), read backwards: the key's body is before it.
pub(super) fn reversed(data: &[u8], at: usize) -> Option<Region> {
    let (s, e) = word_run(data, at);
    Region::backwards(Layer::Reversed, data, s, e)
}
