//! An array's elements joined where they are used by index: `p =
//! ["qrcp_live_", "Ab…"]` … `p[0] + p[1]`, an obfuscator's `_0x[1]+_0x[2]`.
//! The array is found from the literal that holds the keyword (the arrays
//! bound to names are in the same-file index), and its name's uses with that
//! literal's index are joined from there, as a bound literal's uses are.

use super::Layer;
use super::idents::Idents;
use super::joins::{MAX_USES, bound_name, join_pieces, rebound};
use super::layers::{AFTER, is_quote, skip_blank};
use super::region::Region;

/// Elements of an array read to find one by its index, at most.
const MAX_ELEMENTS: usize = 64;

/// `[k]` at `data[i]` (a few digits): `k`, and the offset after the `]`.
pub(super) fn index_at(data: &[u8], i: usize) -> Option<(usize, usize)> {
    if data.get(i) != Some(&b'[') {
        return None;
    }
    let digits = data[i + 1..]
        .iter()
        .take(3)
        .take_while(|b| b.is_ascii_digit())
        .count();
    let close = i + 1 + digits;
    if digits == 0 || data.get(close) != Some(&b']') {
        return None;
    }
    let k = std::str::from_utf8(&data[i + 1..close])
        .ok()?
        .parse()
        .ok()?;
    Some((k, close + 1))
}

/// The contents of the elements of the array opened at `data[bracket]`, in
/// order, while they are string literals (escapes kept as written, no
/// interpolation): at most [`MAX_ELEMENTS`], within [`AFTER`] bytes.
fn elements(data: &[u8], bracket: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    let limit = (bracket + AFTER).min(data.len());
    let mut i = Some(skip_blank(data, bracket + 1, true));
    std::iter::from_fn(move || {
        let at = i.take()?;
        let q = *data.get(at)?;
        if !is_quote(q) {
            return None;
        }
        let s = at + 1;
        let mut j = s;
        while j < limit && data[j] != q && data[j] != b'\n' {
            j += if data[j] == b'\\' { 2 } else { 1 };
        }
        if j >= limit || data[j] != q || (q == b'`' && data[s..j].contains(&b'$')) {
            return None;
        }
        let c = skip_blank(data, j + 1, true);
        if data.get(c) == Some(&b',') {
            i = Some(skip_blank(data, c + 1, true));
        }
        Some((s, j))
    })
    .take(MAX_ELEMENTS)
}

/// The contents of element `k` of the array opened at `data[bracket]` ([`elements`]).
pub(super) fn element(data: &[u8], bracket: usize, k: usize) -> Option<(usize, usize)> {
    elements(data, bracket).nth(k)
}

/// The `[` of the array bound to a name whose element is the literal at
/// `open`, and that element's index: the last such array opened before it
/// (at most [`AFTER`] bytes), read on to `open` over at most
/// [`MAX_ELEMENTS`] string literals.
pub(super) fn array_of(data: &[u8], open: usize, idents: &mut Idents) -> Option<(usize, usize)> {
    let bracket = idents.array_before(data, open, AFTER)?;
    let k = elements(data, bracket)
        .take_while(|&(s, _)| s <= open + 1)
        .position(|(s, _)| s == open + 1)?;
    Some((bracket, k))
}

/// `p = ["qrcp_live_", "Ab…"]` … `p[0] + p[1]`: an array of pieces joined
/// where its elements are used. `bracket` opens the array, whose element `k`
/// is the literal at `open` that holds the keyword; the uses of the array's
/// name after `from` followed by `[k]` are joined from there (the first few,
/// as [`super::joins`] joins a bound literal's).
pub(super) fn uses(
    data: &[u8],
    (bracket, k): (usize, usize),
    open: usize,
    after: usize,
    idents: &mut Idents,
) -> Option<Region> {
    let name = bound_name(data, bracket)?;
    let mut r = Region::new(Layer::Concatenation, open);
    for at in idents.uses_after(data, name, after, MAX_USES) {
        if rebound(data, at, name) {
            break;
        }
        if index_at(data, at + name.len()).is_none_or(|(i, _)| i != k) {
            continue;
        }
        let mark = r.bytes.len();
        if mark > 0 {
            r.push(b'\n', at);
        }
        if join_pieces(data, at, None, false, &mut r, idents).pieces < 2 {
            r.truncate(mark);
        }
    }
    r.finish(after)
}
