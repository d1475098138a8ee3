//! Encoded runs found by their shape, not by a literal: a long stretch of
//! base64, base32 or hex characters, or of escapes (`%63%58…`, `\x63\x58…`,
//! `\143\130…`). The triggers give a key away only in the encodings they were
//! made for, one layer deep or in the pairs they were composed for; what an
//! outer layer wraps around an inner one (base64 of hex, of escapes, of ROT13;
//! escapes of base64) has no literal known in advance. Such a run is decoded
//! as what its characters say it is, and the decoded bytes are read again for
//! every layer, triggers and runs alike: nesting in any order, to the depth
//! limit.
//!
//! Finding the runs is one pass that tests every other 16-byte block with two
//! nibble tables (SSSE3, AVX2), or on small blobs reads about one byte in forty:
//! the last byte of a window as long as a run must be, jumping past any byte
//! that cannot be in one.

use std::ops::Range;

use super::Layer;
use super::layers;
use super::region::Region;

/// The shortest run decoded. Any encoding of a whole key (42 characters) is
/// longer: base64 56, base32 68, hex 84, escapes three or more a character;
/// an outer layer adds to that.
pub(super) const MIN_RUN: usize = 48;

/// A long run is decoded in overlapping steps this long, each as far as a
/// decoder goes from one start (base64 and base32 8 KiB, the others 4 KiB):
/// a multiple of eight, so that a step starts on the run's base64 and base32
/// grid and between two hex digits.
pub(super) const STEP: usize = 3072;

/// The bytes a run is made of: base64 (both alphabets, so base32 and hex too)
/// and the escape marks `%`, `\` and `&#…;` with what follows them (hex
/// digits, `x`, `u`, octal digits).
static CLASS: [bool; 256] = byte_table!(|b| b.is_ascii_alphanumeric()
    || matches!(
        b,
        b'+' | b'/' | b'-' | b'_' | b'%' | b'\\' | b'&' | b'#' | b';'
    ));

/// Whether `data` holds a run [`next`] would give.
pub fn any(data: &[u8]) -> bool {
    next(data, 0).is_some()
}

/// Bytes from which the vector search is used: below, the scalar one costs as
/// little, and a run on a few small files never asks the CPU what it has (std
/// asks with `cpuid`, a trap to the hypervisor on a virtual machine).
#[cfg(target_arch = "x86_64")]
const VECTOR_FROM: usize = 4096;

/// The first maximal run of at least [`MIN_RUN`] [`CLASS`] bytes at or after
/// `from` (where a run may start: `from` is 0 or
/// follows a byte outside the class).
pub fn next(data: &[u8], from: usize) -> Option<(usize, usize)> {
    #[cfg(target_arch = "x86_64")]
    if data.len() - from.min(data.len()) >= VECTOR_FROM && std::is_x86_feature_detected!("ssse3") {
        return next_by_blocks(data, from, std::is_x86_feature_detected!("avx2"));
    }
    next_by_windows(data, from)
}

/// A window of [`MIN_RUN`] bytes is judged by its last byte first: a byte
/// outside the class ends every run before it, so the next window starts past
/// it; otherwise the bytes before it are read back to the first outside the
/// class (or to bytes already known to be in it). About one byte in forty of
/// ordinary text is read.
fn next_by_windows(data: &[u8], from: usize) -> Option<(usize, usize)> {
    let n = data.len();
    let mut start = from;
    // `start..known` are in the class.
    let mut known = from;
    while start + MIN_RUN <= n {
        let last = start + MIN_RUN - 1;
        if !CLASS[usize::from(data[last])] {
            start = last + 1;
            known = start;
            continue;
        }
        let mut q = last;
        while q > known && CLASS[usize::from(data[q - 1])] {
            q -= 1;
        }
        if q > known {
            // `data[q - 1]` is outside: a run may start at `q`.
            start = q;
            known = last + 1;
            continue;
        }
        return Some((start, extend(data, last + 1)));
    }
    None
}

/// How many base64 characters (of either alphabet) `data` starts with: 16
/// at a time where the CPU can (a run of base64 is read to its end at each
/// region decoded from it, ten KiB a region in a file of base64).
pub(super) fn base64_len(data: &[u8]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if data.len() >= 64 && std::is_x86_feature_detected!("ssse3") {
        // SAFETY: SSSE3 was detected.
        return unsafe { vector::base64_end(data, 0) };
    }
    data.iter()
        .take_while(|&&b| super::b64::is_base64(b))
        .count()
}

/// Where the run of class bytes that goes on at `at` ends.
fn extend(data: &[u8], at: usize) -> usize {
    at + data[at..]
        .iter()
        .take_while(|&&b| CLASS[usize::from(b)])
        .count()
}

/// A run of [`MIN_RUN`] (48) bytes holds two whole 16-byte blocks of any grid
/// of them, so one of the blocks at `from`, `from + 32`, `from + 64`, …: those
/// are tested 16 bytes at a time (half the bytes, a few instructions a block),
/// and a block all in the class is read out to its run's ends.
#[cfg(target_arch = "x86_64")]
fn next_by_blocks(data: &[u8], from: usize, avx2: bool) -> Option<(usize, usize)> {
    const _: () = assert!(MIN_RUN >= 3 * 16);
    let mut p = from;
    loop {
        // SAFETY: called only where SSSE3 was detected, and AVX2 if `avx2`.
        let q = unsafe {
            match avx2 {
                true => vector::first_full_block_avx2(data, p),
                false => vector::first_full_block(data, p),
            }
        }?;
        let s = q - data[from..q]
            .iter()
            .rev()
            .take_while(|&&b| CLASS[usize::from(b)])
            .count();
        // SAFETY: as above.
        let e = unsafe { vector::run_end(data, q + 16) };
        if e - s >= MIN_RUN {
            return Some((s, e));
        }
        // The next block of the grid past this run.
        p = q + (e - q).div_ceil(32) * 32;
    }
}

#[cfg(target_arch = "x86_64")]
mod vector {
    use std::arch::x86_64::*;

    /// [`super::CLASS`] as two tables of bits, by a byte's low and high
    /// nibble: a byte is in the class when the two share a bit. Bit 0: `#`,
    /// `%`, `&`, `+`, `-`, `/` (high nibble 2); bit 1: digits and `;` (3); bit
    /// 2: `A`–`O`, `a`–`o` (4, 6); bit 3: `P`–`Z`, `\\`, `_` (5); bit 4:
    /// `p`–`z` (7). A byte from 0x80 has no bit.
    const LOW: [u8; 16] = {
        let mut t = [0u8; 16];
        let mut i = 0;
        while i < 16 {
            let mut b = 0;
            if matches!(i, 3 | 5 | 6 | 0xB | 0xD | 0xF) {
                b |= 1;
            }
            if i <= 9 || i == 0xB {
                b |= 2;
            }
            if i >= 1 {
                b |= 4;
            }
            if i <= 0xA || i == 0xC || i == 0xF {
                b |= 8;
            }
            if i <= 0xA {
                b |= 16;
            }
            t[i] = b;
            i += 1;
        }
        t
    };
    const HIGH: [u8; 16] = [0, 0, 1, 2, 4, 8, 4, 16, 0, 0, 0, 0, 0, 0, 0, 0];
    /// The base64 characters of both alphabets ([`super::super::b64::is_base64`])
    /// with the same `HIGH`: [`LOW`] without `#`, `%`, `&` (bit 0), `;` (bit
    /// 1) and `\\` (bit 3).
    const BASE64_LOW: [u8; 16] = {
        let mut t = LOW;
        t[3] &= !1;
        t[5] &= !1;
        t[6] &= !1;
        t[0xB] &= !2;
        t[0xC] &= !8;
        t
    };

    /// The tables and the nibble mask, in registers.
    #[target_feature(enable = "ssse3")]
    fn tables() -> (__m128i, __m128i, __m128i) {
        tables_of(&LOW)
    }

    /// `low` (and [`HIGH`]) and the nibble mask, in registers.
    #[target_feature(enable = "ssse3")]
    fn tables_of(low: &[u8; 16]) -> (__m128i, __m128i, __m128i) {
        // SAFETY: 16 bytes each, read unaligned.
        unsafe {
            (
                _mm_loadu_si128(low.as_ptr().cast()),
                _mm_loadu_si128(HIGH.as_ptr().cast()),
                _mm_set1_epi8(0x0f),
            )
        }
    }

    /// Where the run of base64 characters from `from` ends, 16 bytes at a
    /// time; the last few bytes as [`super::base64_len`] reads a short run.
    ///
    /// # Safety
    /// The CPU has SSSE3.
    #[target_feature(enable = "ssse3")]
    pub(in super::super) unsafe fn base64_end(data: &[u8], from: usize) -> usize {
        blocks_end(data, from, &BASE64_LOW).unwrap_or_else(|p| p + super::base64_len(&data[p..]))
    }

    /// Where the first byte outside the class of `low` (with [`HIGH`]) from
    /// `from` is, 16 bytes at a time: `Err` with where the last few bytes
    /// (fewer than 16) start when all before them are in it.
    #[target_feature(enable = "ssse3")]
    fn blocks_end(data: &[u8], from: usize, low: &[u8; 16]) -> Result<usize, usize> {
        let t = tables_of(low);
        let mut p = from;
        while p + 16 <= data.len() {
            // SAFETY: `p + 16 <= data.len()`.
            let v = unsafe { _mm_loadu_si128(data.as_ptr().add(p).cast()) };
            let mask = outside(v, t);
            if mask != 0 {
                return Ok(p + mask.trailing_zeros() as usize);
            }
            p += 16;
        }
        Err(p)
    }

    /// A bit for each of the 16 bytes of `v` outside the class.
    #[target_feature(enable = "ssse3")]
    #[inline]
    fn outside(v: __m128i, (low, high, nibble): (__m128i, __m128i, __m128i)) -> u32 {
        let lo = _mm_shuffle_epi8(low, _mm_and_si128(v, nibble));
        let hi = _mm_shuffle_epi8(high, _mm_and_si128(_mm_srli_epi16(v, 4), nibble));
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(lo, hi), _mm_setzero_si128())) as u32
    }

    /// The first of the blocks `data[p..p + 16]`, `p = from + 32k`, whose bytes
    /// are all in the class.
    ///
    /// # Safety
    /// The CPU has SSSE3.
    #[target_feature(enable = "ssse3")]
    pub(super) unsafe fn first_full_block(data: &[u8], from: usize) -> Option<usize> {
        let t = tables();
        let mut p = from;
        while p + 16 <= data.len() {
            // SAFETY: `p + 16 <= data.len()`.
            let v = unsafe { _mm_loadu_si128(data.as_ptr().add(p).cast()) };
            if outside(v, t) == 0 {
                return Some(p);
            }
            p += 32;
        }
        None
    }

    /// [`first_full_block`] two blocks at a time (`p` and `p + 32` in one
    /// register's two halves).
    ///
    /// # Safety
    /// The CPU has AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn first_full_block_avx2(data: &[u8], from: usize) -> Option<usize> {
        // SAFETY: 16 bytes each, read unaligned.
        let (low, high) = unsafe {
            (
                _mm256_loadu2_m128i(LOW.as_ptr().cast(), LOW.as_ptr().cast()),
                _mm256_loadu2_m128i(HIGH.as_ptr().cast(), HIGH.as_ptr().cast()),
            )
        };
        let nibble = _mm256_set1_epi8(0x0f);
        let mut p = from;
        while p + 48 <= data.len() {
            // SAFETY: `p + 48 <= data.len()`: both blocks are in `data`.
            let v = unsafe {
                _mm256_loadu2_m128i(
                    data.as_ptr().add(p + 32).cast(),
                    data.as_ptr().add(p).cast(),
                )
            };
            let lo = _mm256_shuffle_epi8(low, _mm256_and_si256(v, nibble));
            let hi = _mm256_shuffle_epi8(high, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
            let outside = _mm256_cmpeq_epi8(_mm256_and_si256(lo, hi), _mm256_setzero_si256());
            let mask = _mm256_movemask_epi8(outside) as u32;
            if mask & 0xffff == 0 {
                return Some(p);
            }
            if mask >> 16 == 0 {
                return Some(p + 32);
            }
            p += 64;
        }
        // SAFETY: the caller's promise (AVX2 implies SSSE3).
        unsafe { first_full_block(data, p) }
    }

    /// Where the run of class bytes that goes on at `from` ends, 16 bytes at
    /// a time (a run of megabytes, `qrcp_live_\\` repeated, is read out at the
    /// speed of the search).
    ///
    /// # Safety
    /// The CPU has SSSE3.
    #[target_feature(enable = "ssse3")]
    pub(super) unsafe fn run_end(data: &[u8], from: usize) -> usize {
        blocks_end(data, from, &LOW).unwrap_or_else(|p| super::extend(data, p))
    }

    #[cfg(test)]
    #[test]
    fn the_tables_are_the_class() {
        for b in 0..=255u8 {
            let (lo, hi) = (usize::from(b & 15), usize::from(b >> 4));
            assert_eq!(
                LOW[lo] & HIGH[hi] != 0,
                super::CLASS[usize::from(b)],
                "{b:#x}"
            );
            assert_eq!(
                BASE64_LOW[lo] & HIGH[hi] != 0,
                super::super::b64::is_base64(b),
                "{b:#x}"
            );
        }
    }
}

/// What a run's characters say it encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Base64,
    /// Upper-case (RFC 4648) or lower-case base32.
    Base32,
    Hex,
    /// Binary digits, eight a byte.
    Binary,
    Percent,
    /// `\x`, `\u` and octal escapes, HTML character references.
    Escape,
}

impl Shape {
    /// The layer a finding names, and the decoder whose regions it shares.
    pub(super) fn decoding(self) -> (super::Layer, super::layers::Decoder) {
        use super::layers::Decoder;
        match self {
            Shape::Base64 => (Layer::Base64, Decoder::Base64),
            Shape::Base32 => (Layer::Base32, Decoder::Base32),
            Shape::Hex => (Layer::Hex, Decoder::Hex),
            Shape::Binary => (Layer::Binary, Decoder::Binary),
            Shape::Percent => (Layer::Percent, Decoder::Percent),
            Shape::Escape => (Layer::Escape, Decoder::Escape),
        }
    }
}

/// What [`shape`] asks of each byte, as bits: a hex digit, a base32 character
/// of either case, an escape's mark (`\\`, `&`) or percent's.
const HEX: u8 = 1;
const UPPER32: u8 = 2;
const LOWER32: u8 = 4;
const MARK: u8 = 8;
const PERCENT: u8 = 16;
const BINARY: u8 = 32;

static TRAITS: [u8; 256] = {
    let mut t = [0; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut f = 0;
        if b.is_ascii_hexdigit() {
            f |= HEX;
        }
        if b.is_ascii_uppercase() || (b >= b'2' && b <= b'7') {
            f |= UPPER32;
        }
        if b.is_ascii_lowercase() || (b >= b'2' && b <= b'7') {
            f |= LOWER32;
        }
        if b == b'\\' || b == b'&' {
            f |= MARK;
        }
        if b == b'%' {
            f |= PERCENT;
        }
        if b == b'0' || b == b'1' {
            f |= BINARY;
        }
        t[i] = f;
        i += 1;
    }
    t
};

/// The bytes of a run its shape is judged by: its start (a run of megabytes
/// is not read twice).
const SHAPE_SAMPLE: usize = 1024;

/// The shape of the run `run` (of its first [`SHAPE_SAMPLE`] bytes): escapes
/// when it holds their marks (`\\` or `&` before `%`: percent-encoding of
/// escapes keeps no `\\`), else binary digits when it is all `0` and `1`, hex
/// when it is all hex digits, base32 when its letters are of one case and its
/// digits 2 to 7, base64 otherwise.
pub(super) fn shape(run: &[u8]) -> Shape {
    let (mut all, mut any) = (u8::MAX, 0);
    for &b in &run[..run.len().min(SHAPE_SAMPLE)] {
        all &= TRAITS[usize::from(b)];
        any |= TRAITS[usize::from(b)];
    }
    match () {
        _ if any & MARK != 0 => Shape::Escape,
        _ if any & PERCENT != 0 => Shape::Percent,
        _ if all & BINARY != 0 => Shape::Binary,
        _ if all & HEX != 0 => Shape::Hex,
        _ if all & (UPPER32 | LOWER32) != 0 => Shape::Base32,
        _ => Shape::Base64,
    }
}

/// Where a run's decoding starts: its start, then every [`STEP`] bytes of a
/// long one (an escape step moved to the escape it falls in or before).
pub(super) fn starts(
    data: &[u8],
    run: Range<usize>,
    shape: Shape,
) -> impl Iterator<Item = usize> + '_ {
    let Range { start, end } = run;
    (start..end)
        .step_by(STEP)
        .filter_map(move |at| match shape {
            Shape::Percent | Shape::Escape if at > start => {
                let found = match shape {
                    Shape::Percent => memchr::memchr(b'%', &data[at..end]),
                    _ => memchr::memchr2(b'\\', b'&', &data[at..end]),
                };
                found.map(|k| at + k)
            }
            _ => Some(at),
        })
}

/// Hex digits decoded from one step of a long run: two steps and a KiB, so
/// that a region decoded every other step overlaps the next by a KiB (a key
/// encoded inside is whole in one).
const HEX_WINDOW: usize = 2 * STEP + 1024;

/// Bytes that hold a run's first escape, the longest included (`&#x00071;`,
/// `\u{000071}`).
const RUN_HEAD: usize = 12;

/// Decodes the run `at..end` (or its first few KiB) as its shape says,
/// starting at `at`: a run found by its characters, not by a trigger
/// ([`super::runs`]). Escapes are decoded within the run alone, not in a
/// line window around it.
pub(super) fn decode(data: &[u8], at: usize, end: usize, shape: Shape) -> Option<Region> {
    let run = data.get(at..end)?;
    let escapes = |run: &[u8]| match shape {
        Shape::Percent => layers::hex_escapes(run, 0, Layer::Percent),
        _ => layers::escape(run, 0),
    };
    match shape {
        // Most base64-shaped runs of a bundle do not decode to text (hashes,
        // words joined by `_`): judged by their start without a region.
        // A run at the start of a region that an outer layer's window began in
        // the middle of a longer one (base64 of base64, read a window at a
        // time) is on its grid one to three characters in. (Elsewhere a run
        // starts where its encoding does: a reading a character in would
        // pre-empt reading it backwards, as hex digits reversed read so.)
        Shape::Base64 => {
            let skip = on_grid(run, at, 4, base64_head_texty)?;
            super::b64::base64_run(data, at + skip)
        }
        Shape::Base32 => super::base32::decode(data, at, 0),
        // As base64's: at a region's start, a pair or its second digit first
        // (from `at` when neither is text, as elsewhere).
        Shape::Hex => {
            let skip = on_grid(run, at, 2, hex_head_texty).unwrap_or(0);
            layers::hex_text(data, at + skip, HEX_WINDOW, 0)
        }
        Shape::Binary => super::binary::decode(&data[..end], at),
        Shape::Percent | Shape::Escape => {
            // The first escape alone first: escapes of another script's letters
            // (`\u0627\u0644…` in a date library's locales) are not decoded whole.
            // The common spellings are judged without decoding (a bundle holds
            // thousands of such runs).
            let ascii = |digits: &[u8]| {
                digits
                    .iter()
                    .try_fold(0u32, |v, &b| Some(v << 4 | u32::from(layers::hex(b)?)))
                    .is_some_and(|v| (0x20..0x7f).contains(&v))
            };
            // Lua's decimal escapes, told by their digits (`\99`, `\95`).
            if let [b'\\', b'0'..=b'9', ..] = run
                && let Some(r) = super::codes::decimal_escapes(&data[..end], at)
            {
                return Some(r);
            }
            match run {
                [b'\\', b'u', d @ ..] if d.len() >= 4 && !ascii(&d[..4]) => return None,
                [b'\\', b'x', d @ ..] if d.len() >= 2 && !ascii(&d[..2]) => return None,
                _ => {}
            }
            let first = escapes(&run[..run.len().min(RUN_HEAD)])?;
            if !first
                .bytes
                .first()
                .is_some_and(|b| matches!(b, b' '..=b'~'))
            {
                return None;
            }
            Some(escapes(run)?.shifted(at))
        }
    }
}

/// The longest run read as ROT13 or backwards: a key's encodings are far
/// shorter.
const MAX_VIEW: usize = 4096;
/// The bytes of a view decoded first, to judge it (whole groups of base64,
/// base32 and hex).
const VIEW_HEAD: usize = 64;

/// The run `at..end` read as ROT13 and backwards, each a region, where that
/// reading decodes (as its own shape says) to ASCII text, and as a base58
/// number where that is text ([`super::base58`]); where the run's own
/// reading gives a reason to try: it did not decode to text (`plain` false:
/// base64, base32 or hex ROT13'd or reversed), or its first escapes are ROT13's
/// (`\\k`, `\\h`, `%5S`) or an escape's mark ends the run (`…27x\\17x\\`, backwards). Only a
/// whole run, and one as short as a key's encodings are ([`MAX_VIEW`]).
pub(super) fn views(
    data: &[u8],
    at: usize,
    end: usize,
    shape: Shape,
    plain: bool,
) -> impl Iterator<Item = Region> {
    let run = &data[at..end];
    let whole = at == 0 || !CLASS[usize::from(data[at - 1])];
    let short = whole && run.len() <= MAX_VIEW;
    let escapes = matches!(shape, Shape::Percent | Shape::Escape);
    let rot13 = short
        && match escapes {
            false => !plain,
            // The first escapes tell (a key's first percent-escapes, `%71%72`,
            // have no letter for ROT13 to turn).
            true => run[..run.len().min(VIEW_HEAD)].windows(3).any(|w| match w {
                [b'\\', b'k' | b'h', _] => true,
                [b'%', a, b] => [a, b]
                    .iter()
                    .any(|c| matches!(c.to_ascii_lowercase(), b'n'..=b's')),
                _ => false,
            }),
        };
    let backwards = short
        && match escapes {
            false => !plain,
            true => matches!(run.last(), Some(b'\\' | b'%' | b'&')),
        };
    // The view's first bytes alone first: most runs of a bundle that do not
    // decode (hashes, words joined by `_`) do not as ROT13 or backwards either.
    let head = |view: &mut dyn Iterator<Item = u8>| {
        let mut bytes = [0u8; VIEW_HEAD];
        let n = bytes.iter_mut().zip(view).map(|(b, v)| *b = v).count();
        let bytes = &bytes[..n];
        match self::shape(bytes) {
            Shape::Base64 => base64_head_texty(bytes),
            shape => decode(bytes, 0, n, shape).is_some_and(|r| texty(&r.bytes)),
        }
    };
    let rot13 = rot13 && head(&mut run.iter().map(|&b| super::scrambled::rot13_byte(b)));
    let backwards = backwards && head(&mut run.iter().rev().copied());
    let rot13 = rot13
        .then(|| {
            let mut r = Region::new(Layer::Rot13, at);
            for (i, &b) in run.iter().enumerate() {
                r.push(super::scrambled::rot13_byte(b), at + i);
            }
            r.finish(end)
        })
        .flatten();
    let backwards = backwards
        .then(|| Region::backwards(Layer::Reversed, data, at, end))
        .flatten();
    // A base58 number: a whole run of its alphabet that does not read as
    // base64, decoded (not a view to decode again) where it reads as text.
    let base58 = (short && shape == Shape::Base64 && !plain)
        .then(|| super::base58::decode(data, at, end))
        .flatten()
        .filter(|r| texty(&r.bytes));
    rot13
        .into_iter()
        .chain(backwards)
        .filter(|view| {
            let shape = self::shape(&view.bytes);
            decode(&view.bytes, 0, view.bytes.len(), shape).is_some_and(|r| texty(&r.bytes))
        })
        .chain(base58)
}

/// Whether the first [`VIEW_HEAD`] characters of base64 `bytes` decode to
/// text, decoded into a buffer on the stack.
fn base64_head_texty(bytes: &[u8]) -> bool {
    use base64::Engine as _;
    let bytes = &bytes[..bytes.len().min(VIEW_HEAD)];
    let mut out = [0u8; VIEW_HEAD];
    let whole = &bytes[..bytes.len() / 4 * 4];
    super::b64::base64_engine(bytes)
        .decode_slice(whole, &mut out)
        .is_ok_and(|k| texty(&out[..k]))
}

/// Characters into `run` (at `at` of a region) that a reading starts on its
/// grid: none, or at the region's start up to a `group` less one (a window
/// begun inside a longer run), the first whose head `texty` says is text.
fn on_grid(run: &[u8], at: usize, group: usize, texty: fn(&[u8]) -> bool) -> Option<usize> {
    let skips = if at == 0 { group } else { 1 };
    (0..skips).find(|&k| run.len() > k && texty(&run[k..]))
}

/// Whether the first pairs of hex digits of `digits` decode to text.
fn hex_head_texty(digits: &[u8]) -> bool {
    let head = &digits[..digits.len().min(VIEW_HEAD)];
    let bytes: Option<Vec<u8>> = head
        .chunks_exact(2)
        .map(|p| Some(layers::hex(p[0])? << 4 | layers::hex(p[1])?))
        .collect();
    bytes.is_some_and(|b| texty(&b))
}

/// Whether decoded bytes read as ASCII text: at least nine in ten printable or
/// blank. What an inner layer encodes a key with is (base64, hex, escapes);
/// base64, base32 or hex of a hash, an image or a compressed stream is not,
/// nor are escapes of another script's letters.
pub(super) fn texty(bytes: &[u8]) -> bool {
    // Counted in bytes, 255 at a time: the compiler reads 32 at once (a
    // filtered count went a byte at a time, over every run decoded).
    let text: usize = bytes
        .chunks(255)
        .map(|chunk| {
            let n = chunk.iter().fold(0u8, |n, &b| {
                n + u8::from(matches!(b, b' '..=b'~' | b'\t' | b'\n' | b'\r'))
            });
            usize::from(n)
        })
        .sum();
    text * 10 >= bytes.len() * 9
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runs [`next`] gives one after another, checked against the scalar
    /// search's and the vector ones'.
    fn runs(data: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut from = 0;
        while let Some((s, e)) = next(data, from) {
            out.push((s, e));
            from = e + 1;
        }
        let mut windows = Vec::new();
        let mut from = 0;
        while let Some((s, e)) = next_by_windows(data, from) {
            windows.push((s, e));
            from = e + 1;
        }
        assert_eq!(out, windows);
        #[cfg(target_arch = "x86_64")]
        for avx2 in [false, true] {
            if !std::is_x86_feature_detected!("ssse3")
                || (avx2 && !std::is_x86_feature_detected!("avx2"))
            {
                continue;
            }
            let mut blocks = Vec::new();
            let mut from = 0;
            while let Some((s, e)) = next_by_blocks(data, from, avx2) {
                blocks.push((s, e));
                from = e + 1;
            }
            assert_eq!(out, blocks, "avx2: {avx2}");
        }
        out
    }

    /// Every maximal run of the class at least `MIN_RUN` long, byte by byte.
    fn naive(data: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut s = 0;
        for i in 0..=data.len() {
            if i == data.len() || !CLASS[usize::from(data[i])] {
                if i - s >= MIN_RUN {
                    out.push((s, i));
                }
                s = i + 1;
            }
        }
        out
    }

    #[test]
    fn finds_the_runs_a_byte_by_byte_reading_finds() {
        let long = "A".repeat(MIN_RUN);
        let short = "A".repeat(MIN_RUN - 1);
        for text in [
            String::new(),
            long.clone(),
            short.clone(),
            format!("{short}.{short}"),
            format!("{long}.{long}"),
            format!(".{long}"),
            format!("{short}.{long}x.{short}"),
            format!("a.b.c({long}{long}) {short}"),
        ] {
            assert_eq!(runs(text.as_bytes()), naive(text.as_bytes()), "{text}");
            assert_eq!(
                any(text.as_bytes()),
                !naive(text.as_bytes()).is_empty(),
                "{text}"
            );
        }
    }

    #[test]
    fn shapes() {
        assert_eq!(shape(b"cXJjcF9saXZlX"), Shape::Base64);
        assert_eq!(shape(b"71726370"), Shape::Hex);
        assert_eq!(shape(b"OFZGG4C7NRUXMZK7"), Shape::Base32);
        assert_eq!(shape(b"0111000101110010"), Shape::Binary);
        assert_eq!(shape(b"ofzgg4c7nruxmzk7"), Shape::Base32);
        assert_eq!(shape(b"%63%58%4A"), Shape::Percent);
        assert_eq!(shape(b"\\x63\\x58"), Shape::Escape);
        assert_eq!(shape(b"\\143\\130"), Shape::Escape);
    }

    #[test]
    fn escapes_of_other_scripts_are_not_decoded() {
        for run in [
            "\\u0627\\u0644\\u0623\\u062d\\u062f",
            "\\xa0\\xa1\\xa2",
            "%D8%A7%D9%84",
        ] {
            let shape = shape(run.as_bytes());
            assert!(
                decode(run.as_bytes(), 0, run.len(), shape).is_none(),
                "{run}"
            );
        }
        let run = b"\\x63\\x58\\x4a\\x6a";
        let r = decode(run, 0, run.len(), Shape::Escape).unwrap();
        assert_eq!(r.bytes, b"cXJj");
    }

    #[test]
    fn views_are_read_where_the_run_says_so() {
        let escaped: String = "cXJjcF9saXZl"
            .bytes()
            .map(|b| format!("\\x{b:02x}"))
            .collect();
        let backwards: String = escaped.chars().rev().collect();
        let text = format!("\"{backwards}\"");
        let data = text.as_bytes();
        let (s, e) = next(data, 0).unwrap();
        let read: Vec<Region> = views(data, s, e, shape(&data[s..e]), true).collect();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].bytes, escaped.as_bytes());
        // Read forwards, the escapes are not read backwards too.
        let text = format!("\"{escaped}\"");
        let data = text.as_bytes();
        let (s, e) = next(data, 0).unwrap();
        assert_eq!(views(data, s, e, shape(&data[s..e]), true).count(), 0);
    }

    #[test]
    fn texty_is_text_not_random_bytes() {
        assert!(texty(b"qrcp_live_Zk3q9WmP2xLr\n"));
        let noise: Vec<u8> = (0..=255u8).collect();
        assert!(!texty(&noise));
    }

    proptest::proptest! {
        /// The runs, and the base64 run at each start (16 bytes at a time),
        /// are the ones a byte-by-byte reading finds.
        #[test]
        fn runs_match_a_byte_by_byte_reading(
            data in proptest::collection::vec(
                proptest::sample::select(b"AZaz09+/_-%\\&#;=.\n |@[`{\x7f\x80\xff".to_vec()),
                0..400,
            ),
            long in 0usize..3,
        ) {
            // Some inputs with long runs: the alphabet alone rarely gives one.
            let mut data = data;
            if long > 0 && data.len() > 10 {
                let at = data.len() / 3;
                data.splice(at..at, std::iter::repeat_n(b'Q', MIN_RUN * long));
            }
            proptest::prop_assert_eq!(runs(&data), naive(&data));
            proptest::prop_assert_eq!(any(&data), !naive(&data).is_empty());
            for from in 0..data.len() {
                let naive = data[from..]
                    .iter()
                    .take_while(|&&b| super::super::b64::is_base64(b))
                    .count();
                proptest::prop_assert_eq!(base64_len(&data[from..]), naive, "from {}", from);
            }
        }
    }
}
