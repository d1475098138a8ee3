//! Base64 cut into string literals (`atob("cXJjcF9s" + "aXZlX…")`,
//! `b64decode('az1' 'xcmNwX2x' '…')`): the pieces joined, then decoded whole.

use super::b64::{self, is_base64};
use super::joins::{joiner, last_byte_before};
use super::layers::{self, BEFORE, is_quote, skip_blank};
use super::{
    Budget, COVER_MARGIN, Candidate, Cover, DHit, Detector, Placeholders, Within, decode_candidate,
    idents, runs,
};

/// Base64 cut into string literals: a piece joined to the next
/// (`"cXJjcF9saXZlX2Fi" + "…"`) decodes to a part of a key, and a piece before
/// decides the 4-character grid of the rest (`"az1" + "xcmNwX2xp…"`). The
/// pieces are joined from the first and read again, where the trigger finds
/// the whole value. Returns whether the piece at `c` is in pieces joined (by
/// this call or one before: a piece is joined once, or a file of
/// `"cXJjcF9saXZl"+` repeated would join back and forth from each).
#[allow(clippy::too_many_arguments)]
pub(super) fn base64_pieces(
    det: &Detector,
    data: &[u8],
    depth: usize,
    within: Within,
    budget: &mut Budget,
    c: Candidate,
    run: Option<(usize, runs::Shape)>,
    (covered, idents): (&mut Vec<Cover>, &mut idents::Idents),
    (hits, placeholders): (&mut Vec<DHit>, &mut Placeholders),
) -> bool {
    let (start, end) = match run {
        Some((end, _)) => (Some(c.at), Some(end)),
        None => (b64::base64_start(data, c.at), b64::base64_end(data, c.at)),
    };
    // The piece's opening quote, where a piece is joined before it.
    let open = start
        .and_then(|s| s.checked_sub(1))
        .filter(|&o| is_quote(data[o]) && joined_before(data, o).is_some());
    if open.is_none() && !end.is_some_and(|e| joined_after(data, e)) {
        return false;
    }
    let joined = |covered: &Vec<Cover>| {
        covered
            .iter()
            .any(|k| k.dec == layers::Decoder::Concatenation && k.covers(&c, COVER_MARGIN))
    };
    if joined(covered) {
        return true;
    }
    let from = open.and_then(|o| first_piece(data, o));
    decode_candidate(
        det,
        data,
        depth,
        within,
        budget,
        Candidate {
            at: from.unwrap_or(c.at),
            ..c
        },
        layers::Decoder::Concatenation,
        None,
        (covered, idents),
        (hits, placeholders),
    );
    joined(covered)
}

/// Whether a literal's contents that stop at `end` (but for a character left
/// out of a last group, and `=` padding) close there and are joined to a next
/// piece: a base64 value cut into literals (`atob("cXJjcF9saXZlX2Fi" + "…")`),
/// whose first piece decodes to a part of a key.
fn joined_after(data: &[u8], end: usize) -> bool {
    let pad = data.get(end..).map_or(0, |rest| {
        rest.iter()
            .take(3)
            .take_while(|&&b| b == b'=' || is_base64(b))
            .count()
    });
    let close = end + pad;
    data.get(close).is_some_and(|&q| is_quote(q))
        && joiner(data, skip_blank(data, close + 1, true), &mut false).is_some()
}

/// The closing quote of a literal joined to the one opened at `open`, just
/// before it (`"…" + "…"`, or adjacent).
fn joined_before(data: &[u8], open: usize) -> Option<usize> {
    let k = last_byte_before(data, open)?;
    let close = match data[k] {
        b'+' => last_byte_before(data, k)?,
        _ => k,
    };
    is_quote(data[close]).then_some(close)
}

/// Pieces of base64 [`first_piece`] goes back over, at most.
const MAX_PIECES_BEFORE: usize = 16;

/// Literals of base64 joined before the one opened at `open` (`"az1" +
/// "xcmNwX2xp…"`: where a piece starts decides the 4-character grid of the
/// rest): a place inside the first of them, if there is one before. Each
/// must be base64 alone and on its line, joined by `+` or adjacent.
fn first_piece(data: &[u8], mut open: usize) -> Option<usize> {
    let mut first = None;
    for _ in 0..MAX_PIECES_BEFORE {
        let Some(close) = joined_before(data, open) else {
            break;
        };
        let q = data[close];
        let lo = close.saturating_sub(BEFORE);
        let Some(o) = memchr::memrchr(q, &data[lo..close]).map(|o| lo + o) else {
            break;
        };
        if !data[o + 1..close]
            .iter()
            .all(|&b| b == b'=' || is_base64(b))
        {
            break;
        }
        open = o;
        first = Some(o + 1);
    }
    first
}
