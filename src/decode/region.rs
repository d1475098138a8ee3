//! Decoded bytes and the map from each back to the physical byte it came
//! from: what every decoder returns.

use super::Layer;

/// Decoded bytes and where each came from.
#[derive(Debug, Clone)]
pub struct Region {
    pub layer: Layer,
    pub bytes: Vec<u8>,
    /// Physical offset of each decoded byte, plus one entry for the end.
    map: Vec<usize>,
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

impl Region {
    pub(super) fn new(layer: Layer, start: usize) -> Region {
        // Room for a key and its prefix: a region of a few pieces (a file of
        // them decodes one per candidate) grows once, if at all.
        Region {
            layer,
            bytes: Vec::with_capacity(64),
            map: Vec::with_capacity(64),
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
        self.bytes.push(b);
        self.map.push(at);
    }

    /// Bytes copied as they are from offset `at` on.
    pub(super) fn extend(&mut self, bytes: &[u8], at: usize) {
        self.bytes.extend_from_slice(bytes);
        self.map.extend(at..at + bytes.len());
    }

    /// Decoded `bytes`, the `k`th from offset `at(k)` (a decoder's whole
    /// output at once: pushed a byte at a time, base64 of a file was a fifth
    /// of its scan).
    pub(super) fn extend_decoded(&mut self, bytes: &[u8], at: impl Fn(usize) -> usize) {
        self.bytes.extend_from_slice(bytes);
        self.map.extend((0..bytes.len()).map(at));
    }

    pub(super) fn push_char(&mut self, c: char, at: usize) {
        let mut buf = [0u8; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            self.push(b, at);
        }
    }

    /// Drops the bytes decoded from `mark` on.
    pub(super) fn truncate(&mut self, mark: usize) {
        self.bytes.truncate(mark);
        self.map.truncate(mark);
    }

    /// Maps the bytes decoded from `mark` on to the physical offset `at`.
    pub(super) fn remap(&mut self, mark: usize, at: usize) {
        self.map[mark..].iter_mut().for_each(|m| *m = at);
    }

    pub(super) fn finish(mut self, end: usize) -> Option<Region> {
        self.end = end;
        self.map.push(end);
        (!self.bytes.is_empty()).then_some(self)
    }

    /// The region decoded from bytes that start at physical offset `by` (a
    /// decoder given a slice of the data), in the data's offsets.
    pub(super) fn shifted(mut self, by: usize) -> Region {
        self.map.iter_mut().for_each(|m| *m += by);
        self.end += by;
        self.run = self.run.map(|r| r.start + by..r.end + by);
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
        self.map
            .get(i)
            .or(self.map.last())
            .copied()
            .unwrap_or(self.end)
    }
}
