//! Calls that decode their literal argument, read as a piece of a join:
//! `"qrcp_live_" + atob("…")` holds no trigger of its own past the prefix; and
//! calls that make one character each, joined: `chr(113) + chr(114) + …`.

use base64::Engine as _;

use super::Layer;
use super::b64::{STANDARD, URL_SAFE};
use super::codes::{char_code, char_codes};
use super::idents;
use super::layers::{AFTER, Region, hex_run, is_quote, skip_blank};

/// Character calls read from one candidate, at most.
const MAX_CALLS: usize = 256;

/// `chr(113) + chr(114) + …` from the trigger `(113)` at `at`: one call a
/// character, the same name each time, joined by `+` (Python, JavaScript's
/// `String.fromCharCode(113)+…`, SQL Server's `CHAR(113)+…`), `.` (PHP, Perl),
/// `&` (Visual Basic's `Chr(113) & …`), `||` (Oracle's `CHR(113)||…`) or `..`
/// (Lua's `string.char(113)..`), across line breaks; a code is decimal or
/// `0x` hex. Each character maps to its call.
pub(super) fn char_calls(data: &[u8], at: usize) -> Option<Region> {
    let name = &data[idents::ident_start(data, at, 32)..at];
    if name.is_empty() || name[0].is_ascii_digit() {
        return None;
    }
    let limit = (at + AFTER).min(data.len());
    let mut r = Region::new(Layer::CharCodes, at);
    let (mut i, mut end) = (at, at);
    while r.bytes.len() < MAX_CALLS && i < limit && data[i] == b'(' {
        let k = skip_blank(data, i + 1, false);
        let Some(c) = char_code(data, k, limit) else {
            break;
        };
        let close = skip_blank(data, c.1, false);
        if data.get(close) != Some(&b')') {
            break;
        }
        r.push_char(c.0, i);
        end = close + 1;
        // The joiner, then the same name (a dotted one's last part) and `(`.
        let s = skip_blank(data, end, true);
        let rest = &data[s..limit];
        let Some(op) = [&b"||"[..], b"..", b"+", b".", b"&"]
            .into_iter()
            .find(|op| rest.starts_with(op))
        else {
            break;
        };
        let n = skip_blank(data, s + op.len(), true);
        match last_name(data, n) {
            Some((s, e)) if e <= limit && &data[s..e] == name => i = skip_blank(data, e, false),
            _ => break,
        }
    }
    r.finish(end)
}

/// `[char]113+[char]114+…` (PowerShell, as Invoke-Obfuscation writes a
/// string) and `(char)113 + (char)114 + …` (C#, Java, C) from the trigger at
/// the cast's closer `at` (`]113`, `)113`): one cast a character, the same
/// each time but for case (PowerShell ignores it: `[ChAr]113+[cHaR]114`),
/// joined by `+`, across line breaks; a code is decimal or `0x` hex. Each
/// character maps to its cast.
pub(super) fn char_casts(data: &[u8], at: usize) -> Option<Region> {
    const CAST: usize = b"[char]".len();
    let start = (at + 1).checked_sub(CAST)?;
    let cast = &data[start..at + 1];
    if !matches!(cast.first(), Some(b'[' | b'('))
        || !cast[1..CAST - 1].eq_ignore_ascii_case(b"char")
    {
        return None;
    }
    let limit = (at + AFTER).min(data.len());
    let mut r = Region::new(Layer::CharCodes, start);
    let (mut i, mut end) = (start, start);
    while r.bytes.len() < MAX_CALLS
        && i + CAST <= limit
        && data[i..i + CAST].eq_ignore_ascii_case(cast)
    {
        let Some((c, after)) = char_code(data, skip_blank(data, i + CAST, false), limit) else {
            break;
        };
        r.push_char(c, i);
        end = after;
        let plus = skip_blank(data, end, true);
        if data.get(plus) != Some(&b'+') {
            break;
        }
        i = skip_blank(data, plus + 1, true);
    }
    r.finish(end)
}

/// The last name of a dotted one at `data[i]` (`window.atob`,
/// `String.fromCharCode`, `base64.b64decode`): its start and end.
fn last_name(data: &[u8], i: usize) -> Option<(usize, usize)> {
    let mut start = i;
    let mut end = idents::ident_end(data, i)?;
    while data.get(end) == Some(&b'.') {
        let Some(next) = idents::ident_end(data, end + 1) else {
            break;
        };
        (start, end) = (end + 1, next);
    }
    Some((start, end))
}

/// A call that decodes its literal argument, as a piece: `atob("…")` and
/// Python's `b64decode("…")` (base64), `decodeURIComponent("…")`, `decodeURI`,
/// `unescape` (percent-encoding), `String.fromCharCode(113, 0x72, …)`,
/// `bytes.fromhex("…")`, Node's `Buffer.from("…", "base64")` (or `"hex"`), with
/// a Python `.decode(…)` or a `.toString(…)` after it. The decoded text
/// (printable ASCII, as a key's pieces are) is appended to `r`, mapped to the
/// call; returns the offset after it. A key split into a prefix and an encoded
/// body (`"qrcp_live_" + atob("…")`) holds no trigger of its own.
pub(super) fn decoding_call(data: &[u8], i: usize, r: &mut Region, limit: usize) -> Option<usize> {
    let (start, end) = last_name(data, i)?;
    let name = &data[start..end];
    let open = skip_blank(data, end, false);
    if data.get(open) != Some(&b'(') {
        return None;
    }
    let mut k = skip_blank(data, open + 1, true);
    let out;
    if name == b"fromCharCode" {
        // The codes as the char-codes layer reads them.
        let mut codes = char_codes(data, k)?;
        k = skip_blank(data, codes.end, true);
        out = std::mem::take(&mut codes.bytes);
    } else {
        let q = *data.get(k).filter(|&&q| is_quote(q))?;
        let close = k + 1 + memchr::memchr(q, data.get(k + 1..limit.min(data.len()))?)?;
        let text = &data[k + 1..close];
        k = skip_blank(data, close + 1, true);
        // Node's `Buffer.from("…", "base64")`: the second argument names it.
        let mut name = name;
        if name == b"from" && data.get(k) == Some(&b',') {
            let e = skip_blank(data, k + 1, true);
            let eq = *data.get(e).filter(|&&c| is_quote(c))?;
            let e_end = e + 1 + memchr::memchr(eq, data.get(e + 1..(e + 16).min(data.len()))?)?;
            name = match &data[e + 1..e_end] {
                b"base64" | b"base64url" => b"b64decode",
                b"hex" => b"fromhex",
                _ => return None,
            };
            k = skip_blank(data, e_end + 1, true);
        }
        out = match name {
            b"atob" | b"b64decode" | b"urlsafe_b64decode" => STANDARD
                .decode(text)
                .or_else(|_| URL_SAFE.decode(text))
                .ok()?,
            b"decodeURIComponent" | b"decodeURI" | b"unescape" => percent_decoded(text)?,
            b"fromhex" => hex_decoded(text)?,
            _ => return None,
        };
    }
    if data.get(k) != Some(&b')') || !out.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return None;
    }
    let mut after = k + 1;
    // Bytes to text: Python's `.decode()`, `.decode("utf-8")`; Node's
    // `.toString()`, `.toString("utf8")`.
    for to_text in [&b".decode("[..], b".toString("] {
        let rest = data.get(after..).and_then(|d| d.strip_prefix(to_text));
        if let Some(n) = rest.and_then(|rest| memchr::memchr(b')', &rest[..rest.len().min(16)])) {
            after += to_text.len() + n + 1;
        }
    }
    for b in out {
        r.push(b, i);
    }
    Some(after)
}

/// `%XX` escapes decoded, other bytes kept; `None` at a broken escape.
fn percent_decoded(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut j = 0;
    while j < text.len() {
        if text[j] == b'%' {
            let (v, _) = hex_run(text, j + 1, 2, text.len()).filter(|&(_, n)| n == 2)?;
            out.push(v as u8);
            j += 3;
        } else {
            out.push(text[j]);
            j += 1;
        }
    }
    Some(out)
}

/// Hex digit pairs decoded (blanks between them skipped).
fn hex_decoded(text: &[u8]) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    digits
        .chunks(2)
        .map(|p| {
            let (v, n) = hex_run(p, 0, 2, p.len())?;
            (n == p.len()).then_some(v as u8)
        })
        .collect()
}
