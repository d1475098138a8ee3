//! The decoders: each turns a bounded region of bytes around a candidate into
//! decoded bytes and a map from each decoded byte back to its physical offset.
//! They take any bytes (hostile ones included) and never panic.

use super::Layer;
use super::b64::{BACK_GROUPS, base64};
use super::idents::Idents;
pub use super::region::Region;
use crate::detect::Candidate;

/// How far before a candidate a textual region starts (within its line).
pub(super) const BEFORE: usize = 512;
/// How far after a candidate a region ends.
pub(super) const AFTER: usize = 4096;
/// Hex pairs read before a trigger: base64's lead and [`BACK_GROUPS`] groups.
const BACK_PAIRS: usize = 3 + 4 * BACK_GROUPS;
/// Blank space (line breaks included) between a literal and `+`.
pub(super) const MAX_GAP: usize = 256;

/// One decoder. A layer may have several (reassembly: operators, shell words,
/// wrapped lines), each tried on its own candidates, covering its own regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoder {
    Base64,
    Percent,
    Escape,
    Concatenation,
    ShellWords,
    Wrapped,
    Utf16,
    Utf32,
    Hex,
    /// A hex dump read whole (`xxd`, `hexdump`, `od`).
    Dump,
    CharCodes,
    QuotedPrintable,
    Invisible,
    Rot13,
    Rot47,
    Reversed,
    Base32,
    Base85,
    Ascii85,
    Binary,
}

impl Decoder {
    /// Whether it joins pieces (reassembly) rather than decoding an encoding.
    pub fn reassembles(self) -> bool {
        matches!(
            self,
            Decoder::Concatenation | Decoder::ShellWords | Decoder::Wrapped
        )
    }

    /// Whether it decodes its candidate's whole line window (percent, escapes).
    pub fn decodes_window(self) -> bool {
        matches!(
            self,
            Decoder::Percent | Decoder::Escape | Decoder::QuotedPrintable | Decoder::Invisible
        )
    }

    /// Whether it reads a file's text as written (shell words, wrapped lines).
    pub fn reads_text(self) -> bool {
        matches!(self, Decoder::ShellWords | Decoder::Wrapped)
    }
}

/// The decoders that may undo `layer` around one of its candidates.
pub fn decoders(layer: Layer) -> &'static [Decoder] {
    match layer {
        Layer::Base64 => &[Decoder::Base64],
        Layer::Percent => &[Decoder::Percent],
        Layer::Escape => &[Decoder::Escape],
        Layer::Concatenation => &[
            Decoder::Concatenation,
            Decoder::ShellWords,
            Decoder::Wrapped,
        ],
        Layer::Utf16 => &[Decoder::Utf16],
        Layer::Utf32 => &[Decoder::Utf32],
        Layer::Hex => &[Decoder::Hex, Decoder::Dump],
        Layer::Dump => &[Decoder::Dump],
        Layer::CharCodes => &[Decoder::CharCodes],
        Layer::QuotedPrintable => &[Decoder::QuotedPrintable],
        Layer::Invisible => &[Decoder::Invisible],
        Layer::Rot13 => &[Decoder::Rot13],
        Layer::Rot47 => &[Decoder::Rot47],
        Layer::Reversed => &[Decoder::Reversed],
        Layer::Base32 => &[Decoder::Base32],
        Layer::Base85 => &[Decoder::Base85, Decoder::Ascii85],
        Layer::Binary => &[Decoder::Binary],
        // Read once a blob, not around candidates (`super::strarray`), or
        // by a run's shape alone (`super::runs::views`: no trigger).
        Layer::StringArray | Layer::Base58 => &[],
    }
}

/// Whether a decoder surely decodes nothing at a candidate
/// ([`Refusals::refuses`]), remembering what one look tells of the next
/// candidates of the same pass.
#[derive(Default)]
pub struct Refusals {
    breaks: super::wrapped::Breaks,
}

impl Refusals {
    /// Whether `dec` surely decodes nothing at `c`: shell words that nothing
    /// glues to the piece, a piece that no line break cuts. Asked before the
    /// region's bookkeeping: each `"qrcp_live_"+` of a minified file is a
    /// candidate for both, and refused.
    pub fn refuses(&mut self, data: &[u8], c: &Candidate, dec: Decoder) -> bool {
        match dec {
            Decoder::ShellWords if data.get(c.at).copied().is_some_and(is_quote) => {
                !super::shell::piece_glued(data, c.at)
            }
            Decoder::ShellWords => !super::shell::glued_at(data, c.at),
            Decoder::Wrapped => {
                !self.breaks.near(data, c.at) || super::wrapped::piece_cut(data, c.at).is_none()
            }
            _ => false,
        }
    }
}

/// Decodes the region around `c` with `dec`, or `None` when there is nothing to
/// decode.
pub fn decode(data: &[u8], c: &Candidate, dec: Decoder, idents: &mut Idents) -> Option<Region> {
    // A trigger that opens a piece (`"qr"`, `"rcp`): a keyword cut inside its
    // first four characters ([`super::cut`]).
    let opens_piece = data.get(c.at).copied().is_some_and(is_quote);
    match dec {
        Decoder::Base64 => base64(data, c.at, c.lead),
        Decoder::Percent => hex_escapes(data, c.at, Layer::Percent),
        Decoder::Escape => escape(data, c.at),
        Decoder::Concatenation if opens_piece => super::cut::pieces(data, c.at, c.lead, idents),
        Decoder::Concatenation => super::joins::concatenation(data, c.at, idents),
        Decoder::ShellWords if opens_piece => super::shell::piece_glued(data, c.at)
            .then(|| super::shell::words(data, c.at, idents))
            .flatten(),
        Decoder::ShellWords => super::shell::words(data, c.at, idents),
        Decoder::Wrapped => super::wrapped::lines(data, c.at),
        Decoder::Utf16 => wide(data, c.at, c.lead, 2),
        Decoder::Utf32 => wide(data, c.at, c.lead, 4),
        Decoder::Hex => hex_text(data, c.at, AFTER, BACK_PAIRS),
        Decoder::Dump => super::dump::dump(data, c.at, c.layer == Layer::Dump),
        Decoder::CharCodes if data.get(c.at) == Some(&b'(') => super::calls::char_calls(data, c.at),
        Decoder::CharCodes if matches!(data.get(c.at), Some(b']' | b')')) => {
            super::calls::char_casts(data, c.at)
        }
        Decoder::CharCodes => super::codes::char_codes(data, c.at),
        Decoder::QuotedPrintable => hex_escapes(data, c.at, Layer::QuotedPrintable),
        Decoder::Invisible => super::invisible::strip(data, c.at),
        Decoder::Rot13 => super::scrambled::rot13(data, c.at),
        Decoder::Rot47 => super::scrambled::rot47(data, c.at.checked_sub(c.lead)?),
        Decoder::Reversed => super::scrambled::reversed(data, c.at),
        Decoder::Base32 => super::base32::decode(data, c.at, c.lead),
        Decoder::Base85 => super::base85::decode(data, c.at, super::base85::Alphabet::Rfc1924),
        Decoder::Ascii85 => super::base85::decode(data, c.at, super::base85::Alphabet::Ascii85),
        Decoder::Binary => super::binary::decode(data, c.at.checked_sub(c.lead)?),
    }
}

/// `[at - BEFORE, at + AFTER)` cut to the line holding `at`, without scanning a
/// megabyte-long line for its ends.
pub(super) fn window(data: &[u8], at: usize) -> (usize, usize) {
    let at = at.min(data.len());
    let lo = at.saturating_sub(BEFORE);
    let hi = (at + AFTER).min(data.len());
    let s = memchr::memrchr(b'\n', &data[lo..at]).map_or(lo, |i| lo + i + 1);
    let e = memchr::memchr(b'\n', &data[at..hi]).map_or(hi, |i| at + i);
    (s, e)
}

/// Bytes [`find2`] looks at one by one before it hands the rest to `memchr2`.
const NEAR: usize = 16;

/// The first `a` or `b` in `hay`, where it is mostly a few bytes away (the next
/// escape of a run of them): a look at the first [`NEAR`] bytes, then
/// `memchr2`, whose set-up cost more than the search in a file of `qrcp%5F`
/// repeated.
pub(super) fn find2(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    let near = &hay[..hay.len().min(NEAR)];
    match near.iter().position(|&x| x == a || x == b) {
        Some(i) => Some(i),
        None => memchr::memchr2(a, b, &hay[near.len()..]).map(|i| i + near.len()),
    }
}

pub(super) fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `%XX` (percent-encoding) or `=XX` (MIME quoted-printable) bytes from the start
/// of the candidate's line to its end. In quoted-printable, `=` at a line's end
/// joins the next line to it (a soft line break, which wraps a body at 76
/// characters); a plain line break ends the region.
pub(super) fn hex_escapes(data: &[u8], at: usize, layer: Layer) -> Option<Region> {
    let (mark, soft_breaks) = match layer {
        Layer::QuotedPrintable => (b'=', true),
        _ => (b'%', false),
    };
    let (s, _) = window(data, at);
    let limit = (at + AFTER).min(data.len());
    let mut r = Region::new(layer, s);
    r.reserve(limit - s);
    let mut i = s;
    while i < limit && data[i] != b'\n' {
        // What no escape starts is copied in runs, up to the line's end.
        let run = find2(mark, b'\n', &data[i..limit]).unwrap_or(limit - i);
        r.extend(&data[i..i + run], i);
        i += run;
        if i >= limit || data[i] == b'\n' {
            break;
        }
        if data[i] == mark {
            let soft = match data.get(i + 1..) {
                Some([b'\r', b'\n', ..]) if soft_breaks => Some(3),
                Some([b'\n', ..]) if soft_breaks => Some(2),
                _ => None,
            };
            if let Some(len) = soft {
                i += len;
                continue;
            }
            if i + 2 < limit
                && let (Some(h), Some(l)) = (hex(data[i + 1]), hex(data[i + 2]))
            {
                r.push(h << 4 | l, i);
                i += 3;
                continue;
            }
            // JavaScript's `escape` of a character past U+00FF, `%u0071`, which
            // `unescape` reads for any character.
            if !soft_breaks
                && data.get(i + 1) == Some(&b'u')
                && let Some((v, 4)) = hex_run(data, i + 2, 4, limit)
                && let Some(c) = char::from_u32(v)
            {
                r.push_char(c, i);
                i += 6;
                continue;
            }
        }
        r.push(data[i], i);
        i += 1;
    }
    r.finish(i)
}

/// Hex digits, two a byte, from the trigger at `at` (a keyword's first byte), as
/// `Buffer.from(…, "hex")` and `bytes.fromhex` read them, as far as the run goes
/// within `window` bytes, from up to `back` pairs before `at`.
/// The pairs may be separated (`71 72 63`, `71:72:63`, `71-72-63`): by the
/// character after the first pair, then by that one only, so that a plain run
/// followed by a space and more hex is not read on into it.
pub(super) fn hex_text(data: &[u8], at: usize, window: usize, back: usize) -> Option<Region> {
    let limit = (at + window).min(data.len());
    // A run without separators is read from up to `back` pairs before
    // the trigger: what the hex holds may be another layer whose decoder needs
    // the bytes before the keyword's start (base64's group, its lead).
    let pair = |j: usize| j + 2 <= limit && hex(data[j]).is_some() && hex(data[j + 1]).is_some();
    let mut at = at;
    if pair(at + 2) {
        for _ in 0..back {
            match at.checked_sub(2) {
                Some(j) if pair(j) => at = j,
                _ => break,
            }
        }
    }
    let mut r = Region::new(Layer::Hex, at);
    let mut i = at;
    // The separator the first pair has (none, or one of a few), which every
    // other pair must have too.
    let sep_at = |i: usize| match data.get(i..limit) {
        Some([b'\r', b'\n', ..]) => Some(&data[i..i + 2]),
        Some([b' ' | b':' | b'-' | b',' | b';' | b'\n', ..]) => Some(&data[i..i + 1]),
        _ => None,
    };
    let mut sep: Option<Option<&[u8]>> = None;
    let mut wrap = None;
    while i + 2 <= limit {
        let (Some(h), Some(l)) = (hex(data[i]), hex(data[i + 1])) else {
            // Hex wrapped at a fixed width (`xxd -p`, 60 digits a line).
            match (sep, wrapped_hex(data, i, limit, &mut wrap)) {
                (Some(None), Some(next)) => {
                    i = next;
                    continue;
                }
                _ => break,
            }
        };
        r.push(h << 4 | l, i);
        i += 2;
        let next = sep_at(i);
        let this = *sep.get_or_insert(next.filter(|s| pair(i + s.len())));
        if let Some(s) = this {
            if s == b","
                && let Some(j) = continued(data, i, limit)
            {
                i = j;
                continue;
            }
            if next != Some(s) || !pair(i + s.len()) {
                break;
            }
            i += s.len();
        }
    }
    r.finish(i)
}

/// Where hex bytes between commas go on after `,\`, a line break and an
/// indent at `data[i]`: a `.reg` file's `hex:` value as `regedit` wraps it.
fn continued(data: &[u8], i: usize, limit: usize) -> Option<usize> {
    let n = match data.get(i..limit)? {
        [b',', b'\\', b'\n', ..] => 3,
        [b',', b'\\', b'\r', b'\n', ..] => 4,
        _ => return None,
    };
    let j = i + n;
    let j = j + data[j..limit]
        .iter()
        .take(MAX_INDENT)
        .take_while(|&&b| b == b' ')
        .count();
    (j + 2 <= limit && hex(data[j]).is_some() && hex(data[j + 1]).is_some()).then_some(j)
}

/// Hex digits a wrapped line holds at least, and at most.
const WRAP_WIDTHS: std::ops::RangeInclusive<usize> = 32..=256;

/// Where hex wrapped over lines goes on, if the run that stops at `i` (a line
/// break) is a whole line of hex as wide as the lines before it (`wrap`: their
/// width and indent, set by the first) and the next line has the same indent
/// and hex no wider.
fn wrapped_hex(
    data: &[u8],
    i: usize,
    limit: usize,
    wrap: &mut Option<(usize, usize)>,
) -> Option<usize> {
    let brk = match data.get(i..limit)? {
        [b'\n', ..] => 1,
        [b'\r', b'\n', ..] => 2,
        _ => return None,
    };
    let lo = i.saturating_sub(WRAP_WIDTHS.end() + MAX_INDENT);
    let ls = match memchr::memrchr(b'\n', &data[lo..i]) {
        Some(k) => lo + k + 1,
        None if lo == 0 => 0,
        None => return None,
    };
    let indent = data[ls..i]
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    let width = i - ls - indent;
    let line = &data[ls + indent..i];
    if !WRAP_WIDTHS.contains(&width)
        || width % 2 == 1
        || !line.iter().all(u8::is_ascii_hexdigit)
        || wrap.is_some_and(|w| w != (width, indent))
    {
        return None;
    }
    *wrap = Some((width, indent));
    let n = i + brk;
    let pad = data.get(n..n + indent)?;
    let next = n + indent;
    // The next line no wider than this one (the last may be shorter).
    let digits = data[next.min(data.len())..]
        .iter()
        .take(width + 1)
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    (pad == &data[ls..ls + indent] && next + 2 <= limit && (2..=width).contains(&digits))
        .then_some(next)
}

/// Blanks before a wrapped line at most.
const MAX_INDENT: usize = 16;

/// Up to `n` hex digits at `data[i..]`, as a number, with how many were read.
pub(super) fn hex_run(data: &[u8], i: usize, n: usize, end: usize) -> Option<(u32, usize)> {
    digit_run(data, i, n, end, 16)
}

/// Up to `n` digits in `radix` at `data[i..end]`, as a number, with how many
/// were read; `None` when there is none. `n` is a code's few digits, short
/// enough that the number fits.
pub(super) fn digit_run(
    data: &[u8],
    i: usize,
    n: usize,
    end: usize,
    radix: u32,
) -> Option<(u32, usize)> {
    let mut v = 0u32;
    let mut k = 0;
    while k < n && i + k < end {
        match char::from(data[i + k]).to_digit(radix) {
            Some(d) => v = v * radix + d,
            None => break,
        }
        k += 1;
    }
    (k > 0).then_some((v, k))
}

/// [`escape`]'s character `c`, decoded from the `len` bytes at `i` of its
/// window `s..e`, after the bytes kept as they are since `kept`; returns where
/// the next kept run starts. The first makes room for the window (it decodes
/// to no more bytes than it reads): grown by doubling, a window of escapes
/// was copied again four or five times.
fn decoded(
    r: &mut Region,
    data: &[u8],
    (s, e): (usize, usize),
    kept: usize,
    i: usize,
    c: char,
    len: usize,
) -> usize {
    if kept == s {
        r.reserve(e - s);
    }
    r.extend(&data[kept..i], kept);
    r.push_char(c, i);
    i + len
}

/// JavaScript and JSON escapes (`\u005f`, `\x5f`, `\n`, `\"`), CSS's (`\5f `), a `\`
/// before punctuation (Markdown's `\_`), HTML references, on the candidate's line.
pub(super) fn escape(data: &[u8], at: usize) -> Option<Region> {
    let (s, e) = window(data, at);
    let mut r = Region::new(Layer::Escape, s);
    let mut i = s;
    // What no escape changes is copied in runs, from `kept` up to where one
    // does: a `\\` or `&` that starts none (`\\q`, a path's `C:\\qrcp`) is
    // part of the run (a file of `qrcp_live_\\` repeated copied a run and a
    // byte at each).
    let mut kept = s;
    while i < e {
        let Some(run) = find2(b'&', b'\\', &data[i..e]) else {
            break;
        };
        i += run;
        let b = data[i];
        if b == b'&'
            && let Some((c, len)) = entity(&data[i..e])
        {
            kept = decoded(&mut r, data, (s, e), kept, i, c, len);
            i = kept;
            continue;
        }
        if b != b'\\' || i + 1 >= e {
            i += 1;
            continue;
        }
        if let Some((c, len)) = css_escape(&data[i + 1..e]) {
            kept = decoded(&mut r, data, (s, e), kept, i, c, len);
            i = kept;
            continue;
        }
        let next = data[i + 1];
        let (c, len) = match next {
            b'u' if data.get(i + 2) == Some(&b'{') => match hex_run(data, i + 3, 6, e) {
                Some((v, k)) if data.get(i + 3 + k) == Some(&b'}') => {
                    (char::from_u32(v).unwrap_or('\u{FFFD}'), 4 + k)
                }
                _ => (next as char, 2),
            },
            b'u' => match hex_run(data, i + 2, 4, e) {
                Some((hi, 4)) if (0xD800..0xDC00).contains(&hi) => {
                    // A surrogate pair: `\ud83d\ude00`.
                    match (data.get(i + 6..i + 8), hex_run(data, i + 8, 4, e)) {
                        (Some(b"\\u"), Some((lo, 4))) if (0xDC00..0xE000).contains(&lo) => {
                            let v = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                            (char::from_u32(v).unwrap_or('\u{FFFD}'), 12)
                        }
                        _ => ('\u{FFFD}', 6),
                    }
                }
                Some((v, 4)) => (char::from_u32(v).unwrap_or('\u{FFFD}'), 6),
                _ => (next as char, 2),
            },
            // Python's and C's eight-digit form: `\U0000005f`.
            b'U' => match hex_run(data, i + 2, 8, e) {
                Some((v, 8)) => (char::from_u32(v).unwrap_or('\u{FFFD}'), 10),
                _ => (next as char, 2),
            },
            // Python's named form of the one character a prefix holds: `\N{LOW LINE}`.
            b'N' if data
                .get(i + 2..(i + 12).min(e))
                .is_some_and(|n| n.eq_ignore_ascii_case(b"{LOW LINE}")) =>
            {
                ('_', 12)
            }
            b'x' => match hex_run(data, i + 2, 2, e) {
                Some((v, 2)) => (char::from_u32(v).unwrap_or('\u{FFFD}'), 4),
                _ => (next as char, 2),
            },
            b'0'..=b'7' if data.get(i + 2).is_some_and(|d| (b'0'..=b'7').contains(d)) => {
                // Octal: `\137` (up to three digits, at most 0o377).
                let n = data[i + 1..e.min(i + 4)]
                    .iter()
                    .take_while(|&&d| (b'0'..=b'7').contains(&d))
                    .count();
                let v = data[i + 1..i + 1 + n]
                    .iter()
                    .fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
                (char::from_u32(v.min(0xFF)).unwrap_or('\u{FFFD}'), 1 + n)
            }
            b'n' => ('\n', 2),
            b't' => ('\t', 2),
            b'r' => ('\r', 2),
            b'0' => ('\0', 2),
            b'b' => ('\u{8}', 2),
            b'f' => ('\u{c}', 2),
            b'v' => ('\u{b}', 2),
            // Punctuation (`\_`, `\"`); one of a letter or digit (`\q`, a path's
            // `C:\qrcp`, a regex's `\d`) hides nothing: kept, as before non-ASCII.
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => (c as char, 2),
            _ => {
                i += 1;
                continue;
            }
        };
        kept = decoded(&mut r, data, (s, e), kept, i, c, len);
        i = kept;
    }
    r.extend(&data[kept..e.max(kept)], kept);
    r.finish(e)
}

/// A CSS escape at the start of `s` (after its `\`): one to six hex digits, the
/// first a decimal digit (`\5f`, `\00005F`), then one optional white space,
/// which belongs to the escape. The character and the length from the `\`.
/// Told from JavaScript's octal and `\0` by what octal cannot hold: a hex
/// letter, an 8 or a 9, six digits, or the white space after them (`\137`
/// stays octal; `\61 ` is CSS's `a`). Three octal digits of a printable ASCII
/// character then another digit read as octal too: `\1619` is `q9` in a
/// string whose other characters are escaped at random, where CSS's U+1619
/// would be a Buginese letter (`\2019`, CSS's `’`, is no ASCII in octal).
fn css_escape(s: &[u8]) -> Option<(char, usize)> {
    if !s.first()?.is_ascii_digit() {
        return None;
    }
    let (v, n) = hex_run(s, 0, 6, s.len())?;
    let space = match s.get(n..) {
        Some([b'\r', b'\n', ..]) => 2,
        Some([b' ' | b'\t' | b'\n' | b'\r' | b'\x0c', ..]) => 1,
        _ => 0,
    };
    let octal = s[..n].iter().all(|b| (b'0'..=b'7').contains(b));
    if n < 2 || (octal && n < 6 && space == 0) {
        return None;
    }
    if space == 0 && n > 3 && s[..3].iter().all(|b| (b'0'..=b'7').contains(b)) {
        let v = s[..3].iter().fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
        if (0o40..0o177).contains(&v) {
            return None;
        }
    }
    Some((char::from_u32(v).unwrap_or('\u{FFFD}'), 1 + n + space))
}

/// An HTML character reference at the start of `s` (`&#95;`, `&#x5f;`, `&lowbar;`):
/// the character and the reference's length.
fn entity(s: &[u8]) -> Option<(char, usize)> {
    // A numeric reference, its `;` optional as HTML reads it (`&#95live` is
    // `_live` in a browser): every digit, then the `;` if there is one.
    if s.get(1) == Some(&b'#') {
        let (v, end) = match s.get(2) {
            Some(b'x' | b'X') => {
                let (v, n) = hex_run(s, 3, 8, s.len())?;
                (v, 3 + n)
            }
            _ => {
                let n = s[2..]
                    .iter()
                    .take(10)
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                (std::str::from_utf8(&s[2..2 + n]).ok()?.parse().ok()?, 2 + n)
            }
        };
        let end = end + usize::from(s.get(end) == Some(&b';'));
        return Some((char::from_u32(v)?, end));
    }
    let semi = memchr::memchr(b';', &s[..s.len().min(18)])?;
    let c = match &s[1..semi] {
        b"UnderBar" => '_',
        // Invisible, for the layer that removes them: `qrcp_live_Ab&shy;Cd…`.
        b"shy" => '\u{ad}',
        b"ZeroWidthSpace" => '\u{200b}',
        b"zwnj" => '\u{200c}',
        b"zwj" => '\u{200d}',
        b"NoBreak" => '\u{2060}',
        name => (0u8..128)
            .find(|&c| super::html_name(c).is_some_and(|n| n.as_bytes() == name))?
            .into(),
    };
    Some((c, semi + 1))
}

pub(super) fn is_quote(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'`')
}

/// Skips spaces and tabs, and line breaks too with `lines`; at most [`MAX_GAP`].
pub(super) fn skip_blank(data: &[u8], mut i: usize, lines: bool) -> usize {
    let limit = i + MAX_GAP;
    while i < data.len()
        && i < limit
        && (matches!(data[i], b' ' | b'\t') || (lines && matches!(data[i], b'\n' | b'\r')))
    {
        i += 1;
    }
    i
}

/// UTF-16 (`width` 2) or UTF-32 (`width` 4) text around a keyword's wide bytes.
/// Code units start at multiples of `width` (a file starts with one), so where the
/// keyword's first character sits in its unit tells little endian (at the unit's
/// start) from big endian (at its last byte), BOM or not.
fn wide(data: &[u8], at: usize, lead: usize, width: usize) -> Option<Region> {
    let p = at + lead;
    let (unit0, be) = match p % width {
        0 => (p, false),
        r if r == width - 1 => (p - r, true),
        _ => return None,
    };
    let s = unit0 - unit0.min(BEFORE * width);
    let e = s + data.len().min(unit0 + AFTER * width).saturating_sub(s) / width * width;
    if s >= e {
        return None;
    }
    let mut r = Region::new(
        if width == 2 {
            Layer::Utf16
        } else {
            Layer::Utf32
        },
        s,
    );
    let mut at = s;
    let units = data[s..e].chunks_exact(width);
    let push = |r: &mut Region, c: char, len: usize, at: &mut usize| {
        // Skip a byte-order mark; keep everything else (line breaks included).
        if c != '\u{FEFF}' {
            r.push_char(c, *at);
        }
        *at += len;
    };
    if width == 2 {
        let units = units.map(|c| {
            let u = [c[0], c[1]];
            if be {
                u16::from_be_bytes(u)
            } else {
                u16::from_le_bytes(u)
            }
        });
        for c in char::decode_utf16(units) {
            let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
            push(&mut r, c, 2 * c.len_utf16(), &mut at);
        }
    } else {
        for u in units {
            let u = [u[0], u[1], u[2], u[3]];
            let v = if be {
                u32::from_be_bytes(u)
            } else {
                u32::from_le_bytes(u)
            };
            let c = char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER);
            push(&mut r, c, 4, &mut at);
        }
    }
    r.finish(e)
}
