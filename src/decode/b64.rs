//! Base64 around a trigger: the run holding it, read on over the line breaks
//! of a wrapped block, in the standard or the URL-safe alphabet.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::Layer;
use super::region::Region;

/// Base64 characters decoded from one candidate: three steps of a long run
/// ([`super::runs::STEP`]) and a KiB, so that a region decoded every third
/// step overlaps the next by a KiB (a key encoded inside is whole in one).
const MAX_BASE64: usize = 3 * super::runs::STEP + 1024;
/// Whole base64 groups decoded before a trigger's own (a nested layer's lead).
pub(super) const BACK_GROUPS: usize = 2;

/// A character of either alphabet (a table: runs of megabytes are read a
/// byte at a time).
pub(super) fn is_base64(b: u8) -> bool {
    BASE64[usize::from(b)]
}

static BASE64: [bool; 256] =
    byte_table!(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_'));

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
pub(super) const STANDARD: GeneralPurpose =
    GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
pub(super) const URL_SAFE: GeneralPurpose =
    GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);

/// The lenient engine for base64 `text`: URL-safe when it holds `-` or `_`,
/// else standard.
pub fn base64_engine(text: &[u8]) -> &'static GeneralPurpose {
    match text.iter().any(|&b| b == b'-' || b == b'_') {
        true => &URL_SAFE,
        false => &STANDARD,
    }
}

/// Widths of the lines of a wrapped base64 block at a line's start: PEM's 64,
/// MIME's 76, Ruby's `pack("m")` 60, and 68 (plistlib at one tab). A value that
/// happens to fill a line of another width is never joined to the next line (a
/// list of base64 values, one a line, would join).
const WRAPS: [usize; 4] = [60, 64, 68, 76];
/// An indented block (a YAML block scalar, a plist's `<data>`, plistlib's width
/// shrinking with its indentation) may be any width in these bounds, in whole
/// 4-character groups: indentation alone before base64 is a block's, where a
/// list's items carry a mark (`- `, quotes).
const INDENTED_WRAPS: std::ops::RangeInclusive<usize> = 16..=MAX_WRAP;
const MAX_WRAP: usize = 128;
/// Lines all as wide, at a width of no encoder's, that may be a list of values
/// rather than a block ([`read`]).
const LIST_LINES: usize = 8;

/// The line of a wrapped base64 block holding `g..end` (a run of base64 that
/// ends at a line break), if it is one: its width and its indentation (spaces
/// and tabs, the same on every line of the block); `g` in 4-character steps
/// from the base64's start on the line. Looks back at most twice
/// [`MAX_WRAP`] bytes for the line's start, indentation and all.
fn wrap_width(data: &[u8], g: usize, end: usize) -> Option<(usize, &[u8])> {
    if !matches!(data.get(end), Some(b'\r' | b'\n')) {
        return None;
    }
    let back = &data[g.saturating_sub(2 * MAX_WRAP)..g];
    let line = match back.iter().rposition(|&b| b == b'\n') {
        Some(k) => g - back.len() + k + 1,
        None if g <= 2 * MAX_WRAP => 0,
        None => return None,
    };
    let indent = data[line..g]
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let start = line + indent;
    let width = end - start;
    let fits = match indent {
        0 => WRAPS.contains(&width),
        _ => INDENTED_WRAPS.contains(&width) && width.is_multiple_of(4),
    };
    (fits && (g - start).is_multiple_of(4) && data[start..g].iter().all(|&b| is_base64(b)))
        .then_some((width, &data[line..start]))
}

/// Where the base64 from `at` ends, if within [`PIECE`] characters (a piece
/// of a value cut into literals; a longer run holds a key whole).
pub(super) fn base64_end(data: &[u8], at: usize) -> Option<usize> {
    let hi = (at + PIECE).min(data.len());
    let k = data.get(at..hi)?.iter().position(|&b| !is_base64(b));
    match k {
        Some(k) => Some(at + k),
        None => (hi == data.len()).then_some(hi),
    }
}

/// Characters of base64 after a trigger [`base64_end`] reads.
const PIECE: usize = 256;

/// Where the base64 before `at` starts, if within a few groups (a trigger
/// near the start of a string literal, whose group may begin in the piece
/// before).
pub(super) fn base64_start(data: &[u8], at: usize) -> Option<usize> {
    let lo = at.saturating_sub(16);
    let k = data.get(lo..at)?.iter().rposition(|&b| !is_base64(b))?;
    Some(lo + k + 1)
}

/// Whether a run of base64 that stops at `at` is its line's whole content: the
/// line (or the data) ends there, after `=` padding or not.
fn line_ends(data: &[u8], at: usize) -> bool {
    let pad = data[at..]
        .iter()
        .take(2)
        .take_while(|&&b| b == b'=')
        .count();
    matches!(data.get(at + pad), None | Some(b'\r' | b'\n'))
}

/// Base64 (standard or URL-safe) from the 4-character group holding the trigger,
/// as far as the run goes. A block wrapped over lines (MIME wraps at 76
/// characters, PEM at 64) goes on over its line breaks: the trigger's line must
/// be base64 from its start (after its indentation) and as wide as a block's
/// line may be ([`wrap_width`]), and each line joined indented as it is, base64
/// to its end and, but the last, as wide (a value on a line of its own followed
/// by `NAME=value`, as in a `.env` file, is not joined to the next line).
pub(super) fn base64(data: &[u8], at: usize, lead: usize) -> Option<Region> {
    let g = at.checked_sub(lead)?;
    if !data.get(g..at)?.iter().all(|&b| is_base64(b)) {
        return None;
    }
    // Up to [`BACK_GROUPS`] whole groups before the trigger's: what was encoded
    // again (base64 of base64, of UTF-16 text) may start its own group or
    // character a few bytes before the keyword, and the decoder of that layer
    // needs them.
    from_group(data, g, groups_before(data, g))
}

/// Base64 from `at`, a step of a run found by its shape: from the step itself,
/// not groups before it (the steps overlap), so that what it decodes to keeps
/// the grid of an inner run that starts where this one does (base64 of
/// base64).
pub(super) fn base64_run(data: &[u8], at: usize) -> Option<Region> {
    from_group(data, at, 0)
}

/// Base64 from `back` groups before the group at `g`.
fn from_group(data: &[u8], g: usize, back: usize) -> Option<Region> {
    // A group that starts a line of a wrapped block (the break fell inside the
    // keyword's first group: `…IHFy\n  Y3BfbGl2…`) is read from the last
    // groups of the line before, if the block is read from there.
    if back == 0
        && let Some(before) = line_before(data, g)
        && let Some(r) = read(data, before, true)
    {
        return Some(r);
    }
    read(data, g - 4 * back, false)
}

/// The last whole groups ([`BACK_GROUPS`] at most) of the line before the one
/// `g` starts (after its indentation), where that line ends in base64.
fn line_before(data: &[u8], g: usize) -> Option<usize> {
    let indent = data[..g]
        .iter()
        .rev()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let nl = (g - indent).checked_sub(1).filter(|&k| data[k] == b'\n')?;
    let end = match nl.checked_sub(1) {
        Some(k) if data[k] == b'\r' => k,
        _ => nl,
    };
    let k = groups_before(data, end);
    (k > 0).then(|| end - 4 * k)
}

/// Whole 4-character groups of base64 just before `at`, [`BACK_GROUPS`] at
/// most.
fn groups_before(data: &[u8], at: usize) -> usize {
    (1..=BACK_GROUPS)
        .take_while(|k| {
            at.checked_sub(4 * k)
                .is_some_and(|s| data[s..s + 4].iter().all(|&b| is_base64(b)))
        })
        .count()
}

/// Base64 from the group at `g` ([`base64`]); if `block`, only a wrapped
/// block's lines joined.
fn read(data: &[u8], g: usize, block: bool) -> Option<Region> {
    let limit = (g + MAX_BASE64).min(data.len());
    let run = |from: usize| super::runs::base64_len(&data[from..limit]);
    let first = run(g);
    // The characters of a wrapped block, and where each lies in `data`.
    let mut joined: Vec<u8> = Vec::new();
    let mut place: Vec<usize> = Vec::new();
    let mut i = g + first;
    if let Some((width, indent)) = wrap_width(data, g, i) {
        let mut short = false;
        let mut lines = 1;
        while i < limit {
            let brk = match &data[i..] {
                [b'\r', b'\n', ..] => 2,
                [b'\n', ..] => 1,
                _ => break,
            } + indent.len();
            if data.get(i + brk - indent.len()..i + brk) != Some(indent) {
                break;
            }
            let n = run((i + brk).min(limit));
            if n == 0 || n > width || !line_ends(data, i + brk + n) {
                break;
            }
            if joined.is_empty() {
                joined.extend_from_slice(&data[g..g + first]);
                place.extend(g..g + first);
            }
            joined.extend_from_slice(&data[i + brk..i + brk + n]);
            place.extend(i + brk..i + brk + n);
            i += brk + n;
            lines += 1;
            if n < width || data.get(i) == Some(&b'=') {
                short = true;
                break; // the block's last line
            }
        }
        // A few lines all as wide at a width of no encoder's own are a list of
        // values as likely as a block: a block is taken where its last line
        // ends it, or where it has more lines than a list would. (Without
        // that bound, each line's trigger read the rest of a long block, to
        // leave it.)
        if !short && !WRAPS.contains(&width) && lines <= LIST_LINES {
            joined.clear();
            place.clear();
            i = g + first;
        }
    }
    if block && joined.is_empty() {
        return None;
    }
    let (mut text, wrapped) = match joined.is_empty() {
        true => (&data[g..g + first], false),
        false => (&joined[..], true),
    };
    if text.len() % 4 == 1 {
        text = &text[..text.len() - 1];
    }
    let url = memchr::memchr2(b'-', b'_', text).is_some();
    let std = memchr::memchr2(b'+', b'/', text).is_some();
    let engine = match (url, std) {
        (true, true) => return None,
        (true, false) => &URL_SAFE,
        _ => &STANDARD,
    };
    let bytes = engine.decode(text).ok()?;
    if !wrapped {
        let mut r = Region::base64_grid(g, bytes, g + text.len())?;
        if g + first < limit || limit == data.len() {
            r.run = Some(g..g + first);
        }
        return Some(r);
    }
    let at_char = |k: usize| place.get(k).copied().unwrap_or(i);
    let mut r = Region::new(Layer::Base64, g);
    r.extend_decoded(&bytes, |k| at_char(k * 4 / 3));
    r.finish(at_char(text.len()))
}
