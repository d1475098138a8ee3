//! Hex dumps, as `xxd`, `hexdump -C`, `hexdump`, `od -t x1` and `od -x` print
//! them: an offset, the bytes in hex groups, perhaps the same bytes as text.
//! A key is cut across lines there (sixteen bytes a line, the text column cut
//! too), and its hex grouped as the tool groups it (`7172 6370`, `71 72 63 70`,
//! little-endian words `7271 7063`): no trigger spells it. A dump is read
//! whole instead, from its first line (a zero offset is a trigger) or from a
//! few lines before a hex trigger in it, line by line while the offsets go on
//! as the bytes before them say; the text column is left alone.

use super::Layer;
use super::layers::hex;
use super::region::Region;

/// Bytes one dump line holds at most (`xxd -c 256`).
const MAX_WIDTH: usize = 256;
/// Bytes one region of a dump holds (at a line's end past it): a longer
/// dump is read on from the line after ([`resume`]).
pub(super) const CHUNK: usize = 256 << 10;
/// A dump line's length at most: its offset, `MAX_WIDTH` bytes in hex with
/// blanks, and the text column.
const MAX_LINE: usize = 64 + 4 * MAX_WIDTH;
/// Lines before a candidate's own that its dump is read from: a key (and the
/// bytes an inner layer needs before it) starts a few lines earlier at most.
const BACK_LINES: usize = 8;
/// Blanks before a line's offset at most (an indented dump in a document).
const MAX_INDENT: usize = 16;

/// One line of a dump: where its offset's digits are and where its hex starts.
#[derive(Clone, Copy)]
struct Line {
    /// Where the line starts (before its indent).
    start: usize,
    /// The offset's digits.
    digits: (usize, usize),
    /// A `:` after the offset (xxd).
    colon: bool,
    /// Where the hex groups start, and where the line ends (before `\r\n`).
    body: usize,
    end: usize,
    /// Where the next line starts (`None`: the data ends with this one).
    next: Option<usize>,
}

impl Line {
    /// The offset in `radix`, if its digits are all of it.
    fn offset(&self, data: &[u8], radix: u32) -> Option<u64> {
        let (s, e) = self.digits;
        data[s..e].iter().try_fold(0u64, |v, &b| {
            let d = (b as char).to_digit(radix)?;
            v.checked_mul(u64::from(radix))?.checked_add(u64::from(d))
        })
    }

    /// Whether `other` is a line of the same dump (offsets as wide, the same
    /// separator).
    fn like(&self, other: &Line) -> bool {
        self.colon == other.colon
            && self.digits.1 - self.digits.0 == other.digits.1 - other.digits.0
    }
}

/// The dump line starting at `s`, if it is one: blanks, an offset of 6 to 16
/// hex digits, `:` or not, a blank, and a hex group.
fn line_at(data: &[u8], s: usize) -> Option<Line> {
    let window = &data[s..data.len().min(s + MAX_LINE + 2)];
    let (mut end, next) = match memchr::memchr(b'\n', window) {
        Some(k) => (s + k, Some(s + k + 1)),
        None if s + window.len() == data.len() => (data.len(), None),
        None => return None,
    };
    if end > s && data[end - 1] == b'\r' {
        end -= 1;
    }
    let mut i = s;
    while i < end && i - s < MAX_INDENT && matches!(data[i], b' ' | b'\t') {
        i += 1;
    }
    let ds = i;
    while i < end && data[i].is_ascii_hexdigit() {
        i += 1;
    }
    if !(6..=16).contains(&(i - ds)) {
        return None;
    }
    let digits = (ds, i);
    let colon = data.get(i) == Some(&b':');
    i += usize::from(colon);
    if data.get(i) != Some(&b' ') {
        return None;
    }
    while i < end && data[i] == b' ' {
        i += 1;
    }
    (i + 2 <= end && hex(data[i]).is_some() && hex(data[i + 1]).is_some()).then_some(Line {
        start: s,
        digits,
        colon,
        body: i,
        end,
        next,
    })
}

/// How one dump writes its bytes.
#[derive(Clone, Copy)]
struct Form {
    /// The offsets' radix: 16, or 8 (`od`'s default).
    radix: u32,
    /// Groups of two or four bytes written as little-endian numbers
    /// (`hexdump`, `od -x`: no `:` after the offset).
    little: bool,
    /// Bytes a full line holds.
    width: usize,
}

/// Reads the hex groups of `line` from its start: `want` bytes (the next
/// line's offset says how many), or as many as it has up to the text column
/// (a wider gap, `|`, `>`) and at most `most`. Each byte is pushed to `r` (when
/// given) with the offset of its digits; returns how many were read and
/// where the groups end, or `None` if they do not give exactly `want`.
fn read(
    data: &[u8],
    line: &Line,
    want: Option<usize>,
    most: usize,
    little: bool,
    mut r: Option<&mut Region>,
) -> Option<(usize, usize)> {
    let mut i = line.body;
    let mut got = 0;
    while got < want.unwrap_or(most) {
        let gap = data[i..line.end].iter().take_while(|&&b| b == b' ').count();
        // Between groups one blank, two in the middle of `hexdump -C`'s line
        // (and before xxd's text column: the bytes' count tells them apart).
        if got > 0 && (gap == 0 || gap > 2) {
            break;
        }
        let s = i + gap;
        let len = data[s..line.end]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        let after = data.get(s + len).copied();
        if len == 0 || len % 2 == 1 || !matches!(after, None | Some(b' ' | b'\r' | b'\n')) {
            break;
        }
        let n = len / 2;
        if got + n > want.unwrap_or(most) {
            break;
        }
        if let Some(r) = r.as_deref_mut() {
            for k in 0..n {
                // Little-endian groups hold their bytes last first.
                let p = s + 2 * if little { n - 1 - k } else { k };
                r.push(hex(data[p])? << 4 | hex(data[p + 1])?, p);
            }
        }
        got += n;
        i = s + len;
    }
    // All the line's bytes were read: what follows is the text column (after
    // two blanks or more), or nothing.
    let rest = &data[i..line.end];
    let spaces = rest.iter().take_while(|&&b| b == b' ').count();
    match want {
        Some(w) if got != w || (spaces < 2 && spaces < rest.len()) => None,
        _ => (got > 0).then_some((got, i)),
    }
}

/// How the dump whose first two lines are `a` and `b` writes its bytes: the
/// radix in which `b`'s offset less `a`'s is the count of `a`'s bytes.
fn form(data: &[u8], a: &Line, b: &Line) -> Option<Form> {
    if !a.like(b) {
        return None;
    }
    let first_group = data[a.body..a.end]
        .iter()
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    let little = !a.colon && matches!(first_group, 4 | 8);
    [16, 8].into_iter().find_map(|radix| {
        let delta = b.offset(data, radix)?.checked_sub(a.offset(data, radix)?)?;
        let width = usize::try_from(delta)
            .ok()
            .filter(|w| (1..=MAX_WIDTH).contains(w))?;
        read(data, a, Some(width), width, little, None)?;
        Some(Form {
            radix,
            little,
            width,
        })
    })
}

/// The line before the one starting at `s`, if `s` is not the data's first.
fn line_before(data: &[u8], s: usize) -> Option<Line> {
    let e = s.checked_sub(1)?;
    let lo = e.saturating_sub(MAX_LINE + 2);
    let ps = memchr::memrchr(b'\n', &data[lo..e]).map(|k| lo + k + 1);
    line_at(data, ps.or((lo == 0).then_some(0))?)
}

/// The dump holding the candidate at `at` (in a line's offset, `offset`, or
/// in its hex), read from its first line or [`BACK_LINES`] before the
/// candidate's, to its end: each line's bytes are as many as the next line's
/// offset says, the last line's as many as its groups hold (a full line's at
/// most).
pub(super) fn dump(data: &[u8], at: usize, offset: bool) -> Option<Region> {
    let at = at.min(data.len());
    // A hex trigger in a dump is bytes between blanks, after one (or a part
    // goes on at a line's start): plain hex (`717263…`, `71,72,…`) is not
    // looked back over for a line that cannot be a dump's.
    if !offset && at > 0 && !matches!(data[at - 1], b' ' | b'\n') {
        return None;
    }
    // An offset's zeros start its line, but for blanks and its first digits.
    let lo = at.saturating_sub(if offset { MAX_INDENT + 16 } else { MAX_LINE });
    let s = match memchr::memrchr(b'\n', &data[lo..at]) {
        Some(k) => lo + k + 1,
        None if lo == 0 => 0,
        None => return None,
    };
    let mut line = line_at(data, s)?;
    if at >= line.end {
        return None;
    }
    for _ in 0..BACK_LINES {
        let Some(prev) = line_before(data, line.start) else {
            break;
        };
        // Offsets as wide, in order: their digits compare as their values do.
        if !prev.like(&line)
            || data[prev.digits.0..prev.digits.1] >= data[line.digits.0..line.digits.1]
        {
            break;
        }
        line = prev;
    }
    let f = form(data, &line, &line_at(data, line.next?)?)?;
    let mut r = Region::new(Layer::Hex, line.body);
    let mut end = line.end;
    // The line's text column, after its groups: the same bytes as text.
    let echo = |r: &mut Region, line: &Line, after: usize| {
        if data[after..line.end].iter().any(|&b| b != b' ') {
            r.echo.push(after..line.end);
        }
    };
    loop {
        let next = line.next.and_then(|n| {
            // `hexdump -C` writes a run of equal lines once, then `*`: the
            // dump goes on after it, its bytes apart from what came before.
            let star = data.get(n..n + 2).is_some_and(|s| s == b"*\n");
            let l = line_at(data, if star { n + 2 } else { n })?;
            Some((l, star))
        });
        let gone = |l: &Line| l.offset(data, f.radix).zip(line.offset(data, f.radix));
        match next.filter(|(l, _)| line.like(l)) {
            Some((l, star)) if gone(&l).is_some_and(|(b, a)| b > a) => {
                let (b, a) = gone(&l)?;
                let want = if star {
                    f.width
                } else {
                    usize::try_from(b - a).ok()?
                };
                let Some((_, after)) =
                    read(data, &line, Some(want), f.width, f.little, Some(&mut r))
                else {
                    break;
                };
                echo(&mut r, &line, after);
                if star {
                    r.push(b'\n', l.digits.0);
                }
                end = line.end;
                line = l;
                if r.bytes.len() >= CHUNK {
                    break;
                }
            }
            _ => {
                if let Some((_, after)) = read(data, &line, None, f.width, f.little, Some(&mut r)) {
                    echo(&mut r, &line, after);
                    end = line.end;
                }
                break;
            }
        }
    }
    r.finish(end)
}

/// Where the dump that `r` read part of goes on: the line after its last,
/// if `r` stopped at [`CHUNK`].
pub(super) fn resume(data: &[u8], r: &Region) -> Option<usize> {
    if r.bytes.len() < CHUNK {
        return None;
    }
    memchr::memchr(b'\n', data.get(r.end..)?).map(|k| r.end + k + 1)
}
