//! Character codes written as numbers: a list of them from a keyword's first
//! code (`String.fromCharCode(113,114,…)`, `bytes([113, 114, …])`, C's `{0x71,
//! 0x72, …}`, CyberChef's `113 114 99 112` and `161 162 143 160`).

use super::Layer;
use super::layers::{AFTER, Region, digit_run, hex_run, skip_blank};

/// Numbers one character code may take (`1114111`, `0x10FFFF`).
const MAX_CODE_DIGITS: usize = 7;

/// A list of character codes from the trigger at `at` (a keyword's first code):
/// decimal or `0x` numbers between commas, with blanks and line breaks around
/// them, as `String.fromCharCode(113,114,…)`, `bytes([113, 114, …])`, Java's
/// `new byte[]{…}` and C's `{0x71, 0x72, …}` hold them; or numbers between
/// blanks alone, as CyberChef's "To Decimal" and "To Octal" write them (`113
/// 114 99 112`, `161 162 143 160`). A list is read in one manner: a list
/// separated by commas ends at a blank alone, one separated by blanks at a
/// comma. A list of octal digits whose first code is no ASCII read as decimal
/// (`161` is `¡`) is read as octal.
pub(super) fn char_codes(data: &[u8], at: usize) -> Option<Region> {
    let limit = (at + AFTER).min(data.len());
    if let Some(glued) = glued_hex(data, at, limit) {
        return glued;
    }
    let octal = {
        let digits = data[at..limit]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let first = &data[at..at + digits];
        !matches!(data.get(at + digits), Some(b'x' | b'X'))
            && first.iter().all(|b| (b'0'..=b'7').contains(b))
            && char_code(data, at, limit).is_some_and(|(c, _)| !c.is_ascii())
            && octal_code(data, at, limit).is_some_and(|(c, _)| c.is_ascii())
    };
    let mut r = Region::new(Layer::CharCodes, at);
    let (mut i, mut end, mut codes) = (at, at, 0);
    // Whether the list is one of codes between blanks alone, once known.
    let mut blanks = None;
    while i < limit {
        let code = match octal {
            true => octal_code(data, i, limit),
            false => char_code(data, i, limit),
        };
        let Some((c, after)) = code else {
            break;
        };
        r.push_char(c, i);
        codes += 1;
        if codes == HEAD && !printable(&r.bytes) {
            return None;
        }
        i = after;
        end = i;
        let next = skip_blank(data, i, true);
        match (data.get(next), blanks) {
            (Some(b','), None | Some(false)) => {
                blanks = Some(false);
                i = skip_blank(data, next + 1, true);
            }
            // One blank or line break (or `\r\n`) between two codes.
            (Some(b'0'..=b'9'), None | Some(true)) if (1..=2).contains(&(next - i)) => {
                blanks = Some(true);
                i = next;
            }
            _ => break,
        }
    }
    r.finish(end)
}

/// `0x` codes of two digits each with nothing between them (`0x710x720x63…`,
/// CyberChef's "To Hex" with its `0x` delimiter), from `at`: `None` unless
/// two come first (then the list is some other kind).
fn glued_hex(data: &[u8], at: usize, limit: usize) -> Option<Option<Region>> {
    let code = |i: usize| match data.get(i..i + 4).filter(|_| i + 4 <= limit) {
        Some([b'0', b'x' | b'X', ..]) => hex_run(data, i + 2, 2, i + 4).filter(|&(_, k)| k == 2),
        _ => None,
    };
    code(at + 4)?;
    let mut r = Region::new(Layer::CharCodes, at);
    let mut i = at;
    while let Some((v, _)) = code(i) {
        r.push(v as u8, i);
        i += 4;
        if r.bytes.len() == HEAD && !printable(&r.bytes) {
            return Some(None);
        }
    }
    Some(r.finish(i))
}

/// Codes a list is judged by before it is read on: a keyword's start, which
/// its trigger names, is printable ASCII. A table of binary bytes that holds
/// a trigger's first code (`0x71,` in a crate's lookup tables, a thousand
/// times in the registry's sources) is left after four codes, not read for 4
/// KiB and searched.
const HEAD: usize = 4;

fn printable(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| (b' '..=b'~').contains(b))
}

/// An octal character code (`161`, at most three digits) at `data[i]`, before
/// `limit`: the character and the offset after its digits.
fn octal_code(data: &[u8], i: usize, limit: usize) -> Option<(char, usize)> {
    let (v, k) = digit_run(data, i, 3, limit, 8)?;
    char::from_u32(v).map(|c| (c, i + k))
}

/// A character code at `data[i]`, decimal or `0x` hex, before `limit`: the
/// character and the offset after its digits.
pub(super) fn char_code(data: &[u8], i: usize, limit: usize) -> Option<(char, usize)> {
    let (v, len) = match data.get(i..i + 2) {
        Some(b"0x" | b"0X") => {
            hex_run(data, i + 2, MAX_CODE_DIGITS - 1, limit).map(|(v, k)| (v, 2 + k))?
        }
        _ => digit_run(data, i, MAX_CODE_DIGITS, limit, 10)?,
    };
    char::from_u32(v).map(|c| (c, i + len))
}

/// Lua's decimal escapes (`\113\114\99\112…`, what Lua obfuscators make of
/// every string): a `\` and one to three decimal digits a byte, other
/// characters kept as written, from `at` to `data`'s end or [`AFTER`] bytes.
/// Told from octal escapes by the digits octal has not: some escape's digits
/// hold an 8 or a 9 (a key's `c` is `\99`, its `_` `\95`). `None` where
/// another escape comes first, a code passes 255, or no digit tells.
pub(super) fn decimal_escapes(data: &[u8], at: usize) -> Option<Region> {
    let limit = (at + AFTER).min(data.len());
    let mut r = Region::new(Layer::Escape, at);
    let (mut i, mut told) = (at, false);
    while i < limit {
        if data[i] != b'\\' {
            r.push(data[i], i);
            i += 1;
            continue;
        }
        let Some((v, k)) = digit_run(data, i + 1, 3, limit, 10).filter(|&(v, _)| v <= 255) else {
            break;
        };
        told |= data[i + 1..i + 1 + k]
            .iter()
            .any(|d| matches!(d, b'8' | b'9'));
        r.push(v as u8, i);
        i += 1 + k;
    }
    r.finish(i).filter(|_| told)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(data: &[u8]) -> (String, usize) {
        let r = char_codes(data, 0).unwrap();
        (String::from_utf8(r.bytes.clone()).unwrap(), r.end)
    }

    #[test]
    fn codes_between_commas_or_blanks_are_read() {
        assert_eq!(text(b"113,114, 99 ,\n112)"), ("qrcp".into(), 17));
        assert_eq!(text(b"0x71, 0x72,0x63"), ("qrc".into(), 15));
        assert_eq!(text(b"113 114 99 112\n"), ("qrcp".into(), 14));
        assert_eq!(text(b"113\r\n114\n99"), ("qrc".into(), 11));
        assert_eq!(text(b"0x71 0x72 0x63"), ("qrc".into(), 14));
        assert_eq!(text(b"0x710x720x63,"), ("qrc".into(), 12));
        // A list whose first four codes are not printable text is no key's.
        assert!(char_codes(b"0x71,0x00,0x01,0x02,0x71,0x72", 0).is_none());
        assert!(char_codes(b"0x710x000x010x02", 0).is_none());
        // One `0x` code glued to longer digits is one code.
        assert_eq!(text(b"0x710x7"), ("\u{710}".into(), 5));
    }

    #[test]
    fn a_list_keeps_its_first_separator() {
        // Commas, then a blank alone: the list ends at the blank.
        assert_eq!(text(b"113,114 99"), ("qr".into(), 7));
        // Blanks, then a comma: the list ends before the comma.
        assert_eq!(text(b"113 114,99"), ("qr".into(), 7));
        // More than one blank between two codes is no list.
        assert_eq!(text(b"113   114"), ("q".into(), 3));
    }

    #[test]
    fn octal_codes_are_told_by_their_first() {
        assert_eq!(text(b"161 162 143 160 137"), ("qrcp_".into(), 19));
        // `113` is ASCII read as decimal: the list stays decimal.
        assert_eq!(text(b"113 114 99"), ("qrc".into(), 10));
        // A first code with an 8 or a 9 is no octal.
        assert_eq!(
            char_codes(b"189 162", 0).unwrap().bytes,
            "\u{bd}\u{a2}".as_bytes()
        );
    }

    #[test]
    fn decimal_escapes_are_told_by_an_8_or_a_9() {
        let r = decimal_escapes(b"\\113\\114\\99\\112\\95live", 0).unwrap();
        assert_eq!((r.bytes.as_slice(), r.end), (&b"qrcp_live"[..], 22));
        assert_eq!(r.phys(2), 8);
        // Octal digits alone tell nothing: `\161` is octal's `q` too.
        assert!(decimal_escapes(b"\\161\\162\\143", 0).is_none());
        // Another escape, or a code past a byte, ends the reading.
        let r = decimal_escapes(b"\\99\\x41", 0).unwrap();
        assert_eq!((r.bytes.as_slice(), r.end), (&b"c"[..], 3));
        assert_eq!(decimal_escapes(b"\\99\\300", 0).unwrap().end, 3);
        assert!(decimal_escapes(b"\\x99", 0).is_none());
    }
}
