//! Decoded bytes and the map from each back to the physical byte it came
//! from: what every decoder returns.

use super::Layer;

/// Decoded bytes and where each came from.
#[derive(Debug, Clone)]
pub struct Region {
    pub layer: Layer,
    pub bytes: Vec<u8>,
    /// Physical offset of each decoded byte, plus one entry for the end;
    /// empty where `grid` says where each came from.
    map: Vec<usize>,
    /// Base64 of one unbroken run from this offset: decoded byte `k` came
    /// from the character at `grid + k * 4 / 3` (a map holds eight bytes for
    /// each decoded byte: writing it was a tenth of a scan of base64).
    grid: Option<usize>,
    /// Physical end of the range the region was decoded from.
    pub end: usize,
    /// Decoded in the reverse order of the physical bytes, one for one.
    reversed: bool,
    /// Base64 or base32 read to where its run stops by itself (not cut at a limit), from
    /// the first group decoded: any later candidate in the run whose groups
    /// fall on the same grid (4 or 8 characters) decodes to a part of this region.
    pub run: Option<std::ops::Range<usize>>,
    /// Physical spans that repeat decoded bytes as text (a hex dump's text
    /// column): what starts there is found in the region.
    pub echo: Vec<std::ops::Range<usize>>,
}

/// Room a new region has for a key and its prefix: a region of a few pieces
/// (a file of them decodes one per candidate) grows once, if at all.
const ROOM: usize = 64;
/// Dropped regions' buffers kept for the next ones, at most, and the largest
/// kept (bytes; the map's are as many entries).
const SPARES: usize = 8;
const SPARE_MAX: usize = 64 << 10;

std::thread_local! {
    /// The buffers of regions dropped, empty, for the regions made next: a
    /// file of candidates that decode to nothing (`"qrcp_live_\(b)"` where
    /// `b` is bound nowhere) made and freed regions at each, and allocation
    /// was a fifth of its scan.
    static SPARE: std::cell::RefCell<Vec<(Vec<u8>, Vec<usize>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl Drop for Region {
    fn drop(&mut self) {
        if self.bytes.capacity() > SPARE_MAX || self.map.capacity() > SPARE_MAX + 1 {
            return;
        }
        let (mut bytes, mut map) = (
            std::mem::take(&mut self.bytes),
            std::mem::take(&mut self.map),
        );
        if bytes.capacity() < ROOM || map.capacity() < ROOM {
            return;
        }
        bytes.clear();
        map.clear();
        // Not while a thread ends (its spares are gone already).
        let _ = SPARE.try_with(|s| {
            if let Ok(mut s) = s.try_borrow_mut()
                && s.len() < SPARES
            {
                s.push((bytes, map));
            }
        });
    }
}

impl Region {
    pub(super) fn new(layer: Layer, start: usize) -> Region {
        let (bytes, map) = SPARE
            .try_with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.pop()))
            .ok()
            .flatten()
            .unwrap_or_else(|| (Vec::with_capacity(ROOM), Vec::with_capacity(ROOM)));
        Region {
            layer,
            bytes,
            map,
            grid: None,
            end: start,
            reversed: false,
            run: None,
            echo: Vec::new(),
        }
    }

    /// A region of the physical bytes `s..e` read backwards.
    pub(super) fn backwards(layer: Layer, data: &[u8], s: usize, e: usize) -> Option<Region> {
        let mut r = Region::new(layer, s);
        r.reversed = true;
        for i in (s..e).rev() {
            r.push(data[i], i);
        }
        r.finish(e)
    }

    /// Room for `n` more decoded bytes: a window decoder that decodes no more
    /// bytes than it reads grows its region once (grown by doubling, a window
    /// of escapes was copied again four or five times).
    pub(super) fn reserve(&mut self, n: usize) {
        self.bytes.reserve(n);
        self.map.reserve(n + 1);
    }

    pub(super) fn push(&mut self, b: u8, at: usize) {
        self.building();
        self.bytes.push(b);
        self.map.push(at);
    }

    /// Bytes copied as they are from offset `at` on.
    pub(super) fn extend(&mut self, bytes: &[u8], at: usize) {
        self.building();
        self.bytes.extend_from_slice(bytes);
        self.map.extend(at..at + bytes.len());
    }

    /// Decoded `bytes`, the `k`th from offset `at(k)` (a decoder's whole
    /// output at once: pushed a byte at a time, base64 of a file was a fifth
    /// of its scan).
    pub(super) fn extend_decoded(&mut self, bytes: &[u8], at: impl Fn(usize) -> usize) {
        self.building();
        self.bytes.extend_from_slice(bytes);
        self.map.extend((0..bytes.len()).map(at));
    }

    /// The region `bytes` decoded from the base64 characters `start..end`,
    /// one unbroken run (each group of four characters three bytes), finished.
    pub(super) fn base64_grid(start: usize, bytes: Vec<u8>, end: usize) -> Option<Region> {
        (!bytes.is_empty()).then_some(Region {
            layer: Layer::Base64,
            bytes,
            map: Vec::new(),
            grid: Some(start),
            end,
            reversed: false,
            run: None,
            echo: Vec::new(),
        })
    }

    /// Bytes are added only to a region being built: a base64 run's is made
    /// finished ([`Region::base64_grid`]).
    fn building(&self) {
        debug_assert!(
            self.grid.is_none(),
            "a base64 run's region is made finished"
        );
    }

    /// The map written out, before bytes are dropped or moved (never on a
    /// hot path: no decoder changes a base64 run's region).
    #[cold]
    fn explicit(&mut self) {
        if let Some(g) = self.grid.take() {
            self.map = (0..self.bytes.len()).map(|k| g + k * 4 / 3).collect();
            self.map.push(self.end);
        }
    }

    pub(super) fn push_char(&mut self, c: char, at: usize) {
        let mut buf = [0u8; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            self.push(b, at);
        }
    }

    /// Drops the bytes decoded from `mark` on.
    pub(super) fn truncate(&mut self, mark: usize) {
        self.explicit();
        self.bytes.truncate(mark);
        self.map.truncate(mark);
    }

    /// Maps the bytes decoded from `mark` on to the physical offset `at`.
    pub(super) fn remap(&mut self, mark: usize, at: usize) {
        self.explicit();
        self.map[mark..].iter_mut().for_each(|m| *m = at);
    }

    pub(super) fn finish(mut self, end: usize) -> Option<Region> {
        self.building();
        self.end = end;
        self.map.push(end);
        (!self.bytes.is_empty()).then_some(self)
    }

    /// The region decoded from bytes that start at physical offset `by` (a
    /// decoder given a slice of the data), in the data's offsets.
    pub(super) fn shifted(mut self, by: usize) -> Region {
        self.map.iter_mut().for_each(|m| *m += by);
        self.grid = self.grid.map(|g| g + by);
        self.end += by;
        self.run = self.run.take().map(|r| r.start + by..r.end + by);
        for e in &mut self.echo {
            *e = e.start + by..e.end + by;
        }
        self
    }

    /// The physical span of decoded bytes `s..e`: pieces joined from elsewhere in
    /// the file (a name's literal) may come before the first one.
    pub fn span(&self, s: usize, e: usize) -> (usize, usize) {
        if self.reversed {
            // One byte for one: decoded `s..e` are the physical bytes from the
            // one `e - 1` reads to the one `s` reads.
            let last = self.phys(s);
            return (self.phys(e.max(s + 1) - 1).min(last), last + 1);
        }
        if self.grid.is_some() {
            // In order: the first byte's character is the lowest, the end
            // past the last one's (past the end itself where the span takes
            // in the end's entry, as a map read out below does).
            let len = self.bytes.len();
            return match s <= len && e > len {
                true => (self.phys(s), self.end + 1),
                false => (self.phys(s), self.phys(e)),
            };
        }
        let (mut lo, mut hi) = (self.phys(s), self.phys(e));
        for &p in self.map.get(s..e.min(self.map.len())).unwrap_or_default() {
            lo = lo.min(p);
            hi = hi.max(p + 1);
        }
        (lo, hi)
    }

    /// The physical offsets of decoded `s` and `e`, in order (a reversed
    /// region's are its [`span`](Region::span)).
    pub fn ends(&self, s: usize, e: usize) -> (usize, usize) {
        match self.reversed {
            true => self.span(s, e),
            false => (self.phys(s), self.phys(e)),
        }
    }

    /// Physical offset of decoded offset `i` (the region's end past the last byte).
    pub fn phys(&self, i: usize) -> usize {
        if let Some(g) = self.grid {
            return match i < self.bytes.len() {
                true => g + i * 4 / 3,
                false => self.end,
            };
        }
        self.map
            .get(i)
            .or(self.map.last())
            .copied()
            .unwrap_or(self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A region made from a dropped one's buffers holds nothing of it: its
    /// bytes and map start empty, and map only what it is given.
    #[test]
    fn a_region_made_after_one_dropped_starts_empty() {
        for round in 0..3 {
            let mut held = Vec::new();
            for k in 0..SPARES + 2 {
                let mut r = Region::new(Layer::Concatenation, 0);
                assert!(
                    r.bytes.is_empty() && r.map.is_empty(),
                    "round {round} region {k}"
                );
                r.extend(&[b'x'; ROOM * 2], 1000 + k);
                r.push(b'y', 5);
                held.push(r);
            }
            drop(held);
            let mut r = Region::new(Layer::Escape, 40);
            r.push(b'a', 41);
            let r = r.finish(42).unwrap();
            assert_eq!(
                (r.bytes.as_slice(), r.phys(0), r.phys(1)),
                (&b"a"[..], 41, 42)
            );
            assert_eq!(r.span(0, 1), (41, 42));
        }
    }

    /// A base64 run's region, told by its grid, maps every byte and span as
    /// the region with the map written out does; cut or shifted too.
    #[test]
    fn a_grid_maps_as_its_map_written_out() {
        for len in [1usize, 2, 3, 4, 5, 11, 12, 30] {
            let start = 7;
            let bytes: Vec<u8> = (0..len).map(|k| b'a' + (k % 26) as u8).collect();
            let chars = (len * 4).div_ceil(3);
            let end = start + chars;
            let grid = Region::base64_grid(start, bytes.clone(), end).unwrap();
            let mut map = Region::new(Layer::Base64, start);
            map.extend_decoded(&bytes, |k| start + k * 4 / 3);
            let map = map.finish(end).unwrap();
            for s in 0..=len + 1 {
                assert_eq!(grid.phys(s), map.phys(s), "len {len} phys {s}");
                for e in s..=len + 1 {
                    assert_eq!(grid.span(s, e), map.span(s, e), "len {len} span {s}..{e}");
                    assert_eq!(grid.ends(s, e), map.ends(s, e), "len {len} ends {s}..{e}");
                }
            }
            let (mut cut, mut cut_map) = (grid.clone(), map.clone());
            cut.truncate(len / 2);
            cut_map.truncate(len / 2);
            let (shifted, shifted_map) = (grid.clone().shifted(100), map.clone().shifted(100));
            for i in 0..=len {
                assert_eq!(cut.phys(i), cut_map.phys(i), "len {len} cut {i}");
                assert_eq!(
                    shifted.phys(i),
                    shifted_map.phys(i),
                    "len {len} shifted {i}"
                );
            }
        }
    }
}
