//! Format strings: a key's prefix in a format string and its body in an
//! argument, `"qrcp_live_%s" % "Ab…"`, `"qrcp_live_{}".format(b)`,
//! `sprintf(k, "qrcp_live_%s", "Ab…")`, `fmt.Sprintf(…)`, `format!(…)`,
//! `String.Format("qrcp_live_{0}", b)`, `"qrcp_live_%s".formatted(b)`. Each
//! argument (a literal, a name bound to one in the file, a decoding call) is put
//! in place of the conversion it fills.

use super::idents::Idents;
use super::joins::join_pieces;
use super::layers::{Region, skip_blank};

/// Arguments read after one format string, at most.
const MAX_ARGS: usize = 16;
/// Bytes a `{…}` conversion spans, at most (`{0:>10}`).
const MAX_BRACE: usize = 16;

/// A conversion at `s[i]`: its length, and the argument it takes (`None`: the
/// next one). `%%` and `{{` are not conversions (see [`escaped`]).
fn conversion(s: &[u8], i: usize) -> Option<(usize, Option<usize>)> {
    match *s.get(i)? {
        b'%' => crate::detect::percent_conversion(&s[i..]),
        b'{' => {
            // `{}`, `{0}`, `{:s}`, `{1:>4}`: an index, then a spec.
            let close = i + 1 + s[i + 1..].iter().take(MAX_BRACE).position(|&b| b == b'}')?;
            let inner = &s[i + 1..close];
            let index = &inner[..inner.iter().position(|&b| b == b':').unwrap_or(inner.len())];
            let index = match index {
                [] => None,
                digits if digits.iter().all(u8::is_ascii_digit) => {
                    Some(std::str::from_utf8(digits).ok()?.parse().ok()?)
                }
                _ => return None,
            };
            Some((close + 1 - i, index))
        }
        _ => None,
    }
}

/// `%%` or `{{` (a `}}` too): one character written twice.
fn escaped(s: &[u8], i: usize) -> bool {
    matches!(s.get(i..i + 2), Some(b"%%" | b"{{" | b"}}"))
}

/// Whether the contents hold a conversion: only then are arguments looked for.
fn has_conversion(s: &[u8]) -> bool {
    let mut i = 0;
    // memchr's SIMD: a region of many pieces joined is read whole here, and
    // a byte at a time that was a tenth of joining it.
    while let Some(k) = memchr::memchr2(b'%', b'{', &s[i..]) {
        i += k;
        if escaped(s, i) {
            i += 2;
            continue;
        }
        if conversion(s, i).is_some() {
            return true;
        }
        i += 1;
    }
    false
}

/// The arguments after a format string that ends at `after`, each joined as
/// [`join_pieces`] joins (one that cannot be read stops the reading), and the
/// offset after the last one. An argument counts only if a `,` or the list's
/// end follows it: `{"a": "qrcp_live_{}", "b": …}` is no call.
fn arguments(data: &[u8], after: usize, idents: &mut Idents) -> Option<(Vec<Region>, usize)> {
    let s = skip_blank(data, after, true);
    let rest = data.get(s..)?;
    // Where the first argument starts, and what closes the list (`None`: one
    // argument alone, Python's `"…%s" % b`).
    let (mut i, close) = if rest.starts_with(b"%") && !rest.starts_with(b"%=") {
        let k = skip_blank(data, s + 1, true);
        match data.get(k) {
            Some(b'(') => (skip_blank(data, k + 1, true), Some(&b")"[..])),
            Some(b'[') => (skip_blank(data, k + 1, true), Some(&b"]"[..])),
            _ => (k, None),
        }
    } else if let Some(m) = [&b".format("[..], b".formatted("]
        .into_iter()
        .find(|m| rest.starts_with(m))
    {
        (skip_blank(data, s + m.len(), true), Some(&b")"[..]))
    } else if rest.starts_with(b",") {
        // A call's arguments, or an Objective-C message's (`…]`).
        (skip_blank(data, s + 1, true), Some(&b")]"[..]))
    } else {
        return None;
    };
    let mut args = Vec::new();
    let mut end = None;
    while args.len() < MAX_ARGS {
        // Objective-C's `@"…"`.
        if data.get(i) == Some(&b'@') && data.get(i + 1) == Some(&b'"') {
            i += 1;
        }
        let mut r = Region::new(super::Layer::Concatenation, i);
        let j = join_pieces(data, i, None, false, &mut r, idents);
        let Some(last) = j.last.filter(|_| j.pieces > 0) else {
            break;
        };
        let n = skip_blank(data, last, true);
        let Some(close) = close else {
            args.push(r);
            end = Some(last);
            break;
        };
        match data.get(n) {
            Some(b) if close.contains(b) => {
                args.push(r);
                end = Some(n + 1);
                break;
            }
            Some(b',') => {
                args.push(r);
                end = Some(last);
                i = skip_blank(data, n + 1, true);
            }
            _ => break,
        }
    }
    Some((args, end?))
}

/// The format string `fmt` (the contents read from the literal at `open`, which
/// ends at `after`) with its arguments put in place: `None` unless it holds a
/// conversion that an argument fills.
pub(super) fn formatted(
    data: &[u8],
    open: usize,
    fmt: &Region,
    after: usize,
    idents: &mut Idents,
) -> Option<Region> {
    if !has_conversion(&fmt.bytes) {
        return None;
    }
    let (args, end) = arguments(data, after, idents)?;
    let mut r = Region::new(super::Layer::Concatenation, open);
    let (s, mut i, mut next, mut filled) = (&fmt.bytes, 0, 0, false);
    while i < s.len() {
        if escaped(s, i) {
            r.push(s[i], fmt.phys(i));
            i += 2;
            continue;
        }
        if let Some((len, index)) = conversion(s, i) {
            let k = index.unwrap_or(next);
            next = k + 1;
            if let Some(arg) = args.get(k) {
                for (m, &b) in arg.bytes.iter().enumerate() {
                    r.push(b, arg.phys(m));
                }
                filled = true;
                i += len;
                continue;
            }
        }
        r.push(s[i], fmt.phys(i));
        i += 1;
    }
    match filled {
        true => r.finish(end),
        false => None,
    }
}
