//! JavaScript's tokens, as much of them as the string array's shapes need.

use std::cell::Cell;

use super::super::layers;
use super::values::JsStr;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Kind {
    Ident,
    Num,
    Str,
    Punct,
    /// A template literal or a regular expression: read past, never used.
    Other,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Tok {
    pub(super) kind: Kind,
    pub(super) s: usize,
    pub(super) e: usize,
}

/// JavaScript's tokens, enough to read the shapes above: names, numbers,
/// strings, one-byte punctuation; blanks and comments skipped; template
/// literals and regular expressions read past. Copied to look ahead.
#[derive(Clone, Copy)]
pub(super) struct Lexer<'a> {
    data: &'a [u8],
    pub(super) pos: usize,
    /// The last token ends an operand: a `/` next divides, else starts a
    /// regular expression.
    operand: bool,
    /// Tokens every lexer of one blob may still read, together (each look
    /// ahead is charged too): past it, none gives another.
    left: &'a Cell<usize>,
}

pub(super) fn ident_byte(b: u8) -> bool {
    IDENT[usize::from(b)]
}

/// [`ident_byte`] as a table: a name's bytes are most of what is lexed.
static IDENT: [bool; 256] =
    byte_table!(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80);

/// Names after which a `/` starts a regular expression.
const BEFORE_REGEX: [&[u8]; 9] = [
    b"return", b"typeof", b"case", b"else", b"in", b"of", b"new", b"void", b"throw",
];

impl<'a> Lexer<'a> {
    pub(super) fn new(data: &'a [u8], pos: usize, left: &'a Cell<usize>) -> Lexer<'a> {
        Lexer {
            data,
            pos,
            operand: false,
            left,
        }
    }

    pub(super) fn text(&self, t: Tok) -> &'a [u8] {
        &self.data[t.s..t.e]
    }

    /// The next token if it is the punctuation `p`.
    pub(super) fn punct(&mut self, p: u8) -> Option<Tok> {
        let t = self.next()?;
        (t.kind == Kind::Punct && self.data[t.s] == p).then_some(t)
    }

    pub(super) fn ident(&mut self) -> Option<&'a [u8]> {
        let t = self.next()?;
        (t.kind == Kind::Ident).then(|| self.text(t))
    }

    pub(super) fn word(&mut self, w: &[u8]) -> Option<()> {
        (self.ident()? == w).then_some(())
    }

    /// Past `const`, `let` or `var`.
    pub(super) fn binding(&mut self) -> Option<()> {
        matches!(self.ident()?, b"const" | b"let" | b"var").then_some(())
    }

    /// Where the next `;` is (the position left past it), if within `max`
    /// bytes: the end of an expression statement (a decoder's offset, a
    /// rotation loop's checksum).
    pub(super) fn semicolon(&mut self, max: usize) -> Option<usize> {
        let from = self.pos;
        loop {
            let t = self.next()?;
            if t.kind == Kind::Punct && self.data[t.s] == b';' {
                return Some(t.s);
            }
            if t.e - from > max {
                return None;
            }
        }
    }

    /// Where the bracket opened before this position closes (`open`, `close`),
    /// reading at most `max` bytes; the position is left past it.
    pub(super) fn close(&mut self, open: u8, close: u8, max: usize) -> Option<usize> {
        let limit = self.pos.saturating_add(max);
        let mut depth = 1usize;
        while self.pos < limit {
            let t = self.next()?;
            if t.kind != Kind::Punct {
                continue;
            }
            match self.data[t.s] {
                b if b == open => depth += 1,
                b if b == close => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(t.s);
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn skip_blank(&mut self) {
        let d = self.data;
        while let Some(&b) = d.get(self.pos) {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => self.pos += 1,
                b'/' if d.get(self.pos + 1) == Some(&b'/') => {
                    self.pos =
                        memchr::memchr(b'\n', &d[self.pos..]).map_or(d.len(), |k| self.pos + k);
                }
                b'/' if d.get(self.pos + 1) == Some(&b'*') => {
                    self.pos = memchr::memmem::find(&d[self.pos + 2..], b"*/")
                        .map_or(d.len(), |k| self.pos + 2 + k + 2);
                }
                _ => return,
            }
        }
    }

    /// The end of the string literal quoted by `q` at `s` (past its closing
    /// quote), or of its line where it is not closed.
    fn string_end(&self, s: usize, q: u8) -> usize {
        let d = self.data;
        let mut i = s + 1;
        while let Some(k) = memchr::memchr3(q, b'\\', b'\n', &d[i..]) {
            i += k;
            match d[i] {
                b'\\' => i += 2,
                b'\n' => return i,
                _ => return i + 1,
            }
        }
        d.len()
    }

    /// The end of the regular expression at `s`, if one ends on its line.
    fn regex_end(&self, s: usize) -> Option<usize> {
        let d = self.data;
        let (mut i, mut class) = (s + 1, false);
        while let Some(&b) = d.get(i) {
            match b {
                b'\\' => i += 1,
                b'\n' => return None,
                b'[' => class = true,
                b']' => class = false,
                b'/' if !class => {
                    i += 1;
                    while d.get(i).is_some_and(|&b| ident_byte(b)) {
                        i += 1;
                    }
                    return Some(i);
                }
                _ => {}
            }
            i += 1;
        }
        None
    }
}

impl Iterator for Lexer<'_> {
    type Item = Tok;

    fn next(&mut self) -> Option<Tok> {
        self.left.set(self.left.get().checked_sub(1)?);
        self.skip_blank();
        let d = self.data;
        let s = self.pos;
        let b = *d.get(s)?;
        let (kind, e) = match b {
            b'0'..=b'9' => {
                let mut e = s;
                while let Some(&c) = d.get(e) {
                    let exp = matches!(c, b'+' | b'-')
                        && matches!(d[e - 1], b'e' | b'E')
                        && !d[s..e].starts_with(b"0x")
                        && !d[s..e].starts_with(b"0X");
                    if !(c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exp) {
                        break;
                    }
                    e += 1;
                }
                (Kind::Num, e)
            }
            b'.' if d.get(s + 1).is_some_and(u8::is_ascii_digit) => {
                let e = s + 1 + d[s + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
                (Kind::Num, e)
            }
            b'\'' | b'"' => (Kind::Str, self.string_end(s, b)),
            b'`' => {
                let mut i = s + 1;
                while d.get(i).is_some_and(|&c| c != b'`') {
                    i += if d[i] == b'\\' { 2 } else { 1 };
                }
                (Kind::Other, (i + 1).min(d.len()))
            }
            b'/' if !self.operand => match self.regex_end(s) {
                Some(e) => (Kind::Other, e),
                None => (Kind::Punct, s + 1),
            },
            _ if ident_byte(b) => {
                let e = s + d[s..].iter().take_while(|&&c| ident_byte(c)).count();
                (Kind::Ident, e)
            }
            _ => (Kind::Punct, s + 1),
        };
        self.pos = e;
        self.operand = match kind {
            Kind::Ident => e - s > 6 || !BEFORE_REGEX.contains(&&d[s..e]),
            Kind::Punct => matches!(b, b')' | b']'),
            _ => true,
        };
        Some(Tok { kind, s, e })
    }
}

/// The value of the string literal `lit` (with its quotes), escapes undone;
/// `None` for one not closed.
pub(super) fn str_value(lit: &[u8]) -> Option<JsStr> {
    let q = *lit.first()?;
    let body = lit.strip_prefix(&[q])?.strip_suffix(&[q])?;
    let mut out = JsStr::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let Some(k) = memchr::memchr(b'\\', &body[i..]) else {
            out.extend(String::from_utf8_lossy(&body[i..]).encode_utf16());
            break;
        };
        out.extend(String::from_utf8_lossy(&body[i..i + k]).encode_utf16());
        i += k + 1;
        let Some(&c) = body.get(i) else { break };
        i += 1;
        let hex = |digits: &[u8]| {
            digits.iter().try_fold(0u32, |v, &d| {
                v.checked_mul(16)?.checked_add(u32::from(layers::hex(d)?))
            })
        };
        match c {
            b'x' if i + 2 <= body.len() => {
                out.push(hex(&body[i..i + 2])? as u16);
                i += 2;
            }
            b'u' if body.get(i) == Some(&b'{') => {
                let close = i + memchr::memchr(b'}', &body[i..])?;
                let c = char::from_u32(hex(&body[i + 1..close])?)?;
                out.extend(c.encode_utf16(&mut [0; 2]).iter());
                i = close + 1;
            }
            b'u' if i + 4 <= body.len() => {
                out.push(hex(&body[i..i + 4])? as u16);
                i += 4;
            }
            b'n' => out.push(u16::from(b'\n')),
            b'r' => out.push(u16::from(b'\r')),
            b't' => out.push(u16::from(b'\t')),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'0' => out.push(0),
            b'\n' => {}
            b'\r' => i += usize::from(body.get(i) == Some(&b'\n')),
            _ => out.push(u16::from(c)),
        }
    }
    Some(out)
}

/// The value of a number literal.
pub(super) fn number(text: &[u8]) -> f64 {
    // Numeric separators (`1_000`) dropped; most numbers have none.
    let t: std::borrow::Cow<[u8]> = match text.contains(&b'_') {
        true => text.iter().copied().filter(|&b| b != b'_').collect(),
        false => text.into(),
    };
    let radix = |p: &[u8], r: u32| {
        t.strip_prefix(p).map(|d| {
            std::str::from_utf8(d)
                .ok()
                .and_then(|d| u64::from_str_radix(d, r).ok())
        })
    };
    for (p, r) in [
        (&b"0x"[..], 16),
        (b"0X", 16),
        (b"0o", 8),
        (b"0O", 8),
        (b"0b", 2),
        (b"0B", 2),
    ] {
        if let Some(v) = radix(p, r) {
            return v.map_or(f64::NAN, |v| v as f64);
        }
    }
    std::str::from_utf8(&t)
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(f64::NAN)
}
