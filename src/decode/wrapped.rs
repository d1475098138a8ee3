//! Keys wrapped over lines: a YAML folded (`>`, `>-`) or literal (`|`) block, a
//! plain scalar continued on indented lines, a double-quoted scalar continued
//! after `\`, a shell or C line continuation. A key cut by a line break has its
//! pieces on the following lines, each indented at least as its first piece's
//! block wants; the region joins them without the breaks and the indentation.

use super::Layer;
use super::layers::{AFTER, BEFORE, Region};
use crate::detect::ascii_run;

/// Lines joined after the first one, at most.
const MAX_LINES: usize = 8;
/// Characters of a key piece before the line break that cuts it, at most.
const MAX_PIECE: usize = 256;
/// Bytes from a piece's start within which a line break cuts it, if any does:
/// the piece, a `\` and `\r\n` ([`piece_cut`]).
pub const CUT_REACH: usize = MAX_PIECE + 3;

/// A key piece's characters: letters, digits and these.
const PIECE_ALSO: &[u8] = b"_-";

fn is_piece(b: u8) -> bool {
    b.is_ascii_alphanumeric() || PIECE_ALSO.contains(&b)
}

fn indent(line: &[u8]) -> usize {
    line.iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count()
}

/// Where the next line break is, for the candidates of one pass in turn
/// ([`Breaks::near`]).
#[derive(Default)]
pub struct Breaks {
    /// No line break in these bytes (to the end of the data at `usize::MAX`).
    unbroken: std::ops::Range<usize>,
}

/// Bytes one look for the next line break reads, at most.
pub(super) const BREAK_LOOK: usize = 64 << 10;

impl Breaks {
    /// Whether a line break is near enough after `at` to cut a piece there
    /// ([`CUT_REACH`]): else [`piece_cut`] finds none. One look with memchr
    /// answers for every candidate up to the break it finds: a minified
    /// line of pieces read each piece a byte at a time to its end, for each.
    pub fn near(&mut self, data: &[u8], at: usize) -> bool {
        let reach = at.saturating_add(CUT_REACH);
        if at < self.unbroken.start || self.unbroken.end < reach {
            let at = at.min(data.len());
            let end = data.len().min(at.saturating_add(BREAK_LOOK));
            let stop = match memchr::memchr(b'\n', &data[at..end]) {
                Some(i) => at + i,
                None if end == data.len() => usize::MAX,
                None => end,
            };
            self.unbroken = at..stop;
        }
        self.unbroken.end < reach
    }
}

/// Where the key piece at `at` runs into a line break (after an optional
/// `\`): the piece's length, and where the break is and how long; `None` if
/// it does not, and this is no wrapped key (a cheap look, which the pass
/// takes at every candidate of its layer before any region is made).
pub fn piece_cut(data: &[u8], at: usize) -> Option<(usize, usize, usize)> {
    let head = data.get(at..)?;
    let run = ascii_run(&head[..head.len().min(MAX_PIECE)], PIECE_ALSO);
    let mut cut = at + run;
    if data.get(cut) == Some(&b'\\') {
        cut += 1;
    }
    let brk = match data.get(cut..)? {
        [b'\n', ..] => 1,
        [b'\r', b'\n', ..] => 2,
        _ => return None,
    };
    (run > 0).then_some((run, cut, brk))
}

/// The key piece at `at` and the indented lines that continue it, joined.
pub fn lines(data: &[u8], at: usize) -> Option<Region> {
    let (run, cut, brk) = piece_cut(data, at)?;
    // The first line's indentation, and whether the piece starts its content (a
    // block scalar's line: continuations at the same indentation) or follows
    // something (`key: qrcp_…`: continuations indented deeper).
    let lo = at.saturating_sub(BEFORE);
    let line_start = memchr::memrchr(b'\n', &data[lo..at]).map(|i| lo + i + 1);
    let min_indent = match line_start {
        Some(ls) => {
            let ind = indent(&data[ls..at]);
            let content = &data[ls + ind..at];
            if content.is_empty() || matches!(content, [b'"' | b'\'']) {
                ind
            } else {
                ind + 1
            }
        }
        None => 1,
    };
    let limit = (at + AFTER).min(data.len());
    let mut r = Region::new(Layer::Concatenation, at);
    for (k, &b) in data[at..at + run].iter().enumerate() {
        r.push(b, at + k);
    }
    let mut next = cut + brk;
    let mut end = at + run;
    for _ in 0..MAX_LINES {
        if next >= limit {
            break;
        }
        let line_end = memchr::memchr(b'\n', &data[next..limit]).map_or(limit, |i| next + i);
        let ind = indent(&data[next..line_end]);
        let (mut cs, mut ce) = (next + ind, line_end);
        if ce > cs && data[ce - 1] == b'\r' {
            ce -= 1;
        }
        // YAML double-quoted: a `\` first on the continuation keeps the spaces
        // after it; here it only marks where the piece starts.
        if ce > cs && data[cs] == b'\\' {
            cs += 1;
        }
        if cs >= ce || ind < min_indent {
            break;
        }
        if data[ce - 1] == b'\\' {
            ce -= 1;
        }
        let content = &data[cs..ce];
        for (k, &b) in content.iter().enumerate() {
            r.push(b, cs + k);
        }
        let from = cs;
        end = from + content.len();
        next = line_end + 1;
        // A piece that does not run to the line's end ends the key.
        if !content.iter().all(|&b| is_piece(b)) {
            break;
        }
    }
    if end == at + run {
        return None;
    }
    r.finish(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(s: &str) -> Option<String> {
        let at = s.find("qrcp").unwrap();
        lines(s.as_bytes(), at).map(|r| String::from_utf8_lossy(&r.bytes).into_owned())
    }

    #[test]
    fn wrapped_pieces_are_joined() {
        assert_eq!(
            join("k: >-\n  qrcp_li\n  ve_Ab12\nnext: 1").as_deref(),
            Some("qrcp_live_Ab12")
        );
        assert_eq!(
            join("k: qrcp_live_Ab\n  12Cd\n  34\nx: y").as_deref(),
            Some("qrcp_live_Ab12Cd34")
        );
        assert_eq!(
            join("k: \"qrcp_live_Ab\\\r\n    \\12Cd\"\n").as_deref(),
            Some("qrcp_live_Ab12Cd\"")
        );
        // Not indented deeper than `k:`: another key, not a continuation.
        assert_eq!(join("k: qrcp_live_Ab\nx: 12Cd"), None);
        // Not cut by a line break.
        assert_eq!(join("k: qrcp_live_Ab 12Cd"), None);
        assert_eq!(join("k: qrcp_live_Ab\n\n  12"), None);
    }
}
