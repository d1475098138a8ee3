//! A keyword cut inside its first four characters (`"q" "rcp_live_…"`,
//! `["qr","cp_…"].join("")`): the triggers that find it open a piece, and the
//! pieces before it that hold the characters cut off are walked back to.

use super::idents::Idents;
use super::joins::joined_from;
use super::layers::Region;

/// Bytes between two pieces that [`cut_head`] walks back over, at most: a
/// joiner and the blanks around it (`" +\n    "`, `".concat("`).
const CUT_JOINER: usize = 32;

/// The pieces joined (`super::joins::concatenation`) from the first that
/// holds the keyword's first `lead` characters, for the rest of it in the
/// piece whose quote is at `open` (a trigger's); with `lead` 0, from that
/// piece (`"qr" + …`). Only where the pieces are joined right there: a name
/// bound to `"qr"` and joined where it is used is too far-fetched to read
/// every `"qr"` of a QR code library for.
pub(super) fn pieces(data: &[u8], open: usize, lead: usize, idents: &mut Idents) -> Option<Region> {
    joined_from(data, cut_head(data, open, lead)?, false, idents)
}

/// Where the pieces that hold a keyword's first `lead` characters start: one
/// byte after the first one's opening quote (where the joins are read from).
/// Walks back from the quote at `open` a piece at a time, each within
/// [`CUT_JOINER`] bytes of the next and together `lead` characters long;
/// `None` where they are not there (whether they are joined is the reading's
/// to say).
fn cut_head(data: &[u8], open: usize, lead: usize) -> Option<usize> {
    let (mut at, mut need) = (open.min(data.len()), lead);
    while need > 0 {
        let lo = at.saturating_sub(CUT_JOINER);
        let close = lo + memchr::memrchr3(b'"', b'\'', b'`', &data[lo..at])?;
        let from = close.saturating_sub(need + 1);
        let start = from + memchr::memrchr(data[close], &data[from..close])?;
        let len = close - start - 1;
        if len == 0 {
            return None;
        }
        need = need.checked_sub(len)?;
        at = start;
    }
    Some(at + 1)
}
