//! Members found by the blob's encoded runs ([`crate::decode::runs`]) rather
//! than by a literal: streams whose base64 start is too short to search for
//! (zlib, raw deflate), base64 of base64 of a stream, and hex digits of one.

use std::borrow::Cow;

use base64::Engine as _;

use super::{BASE64_MAGIC, Embedded, What, archive, is_base64_byte};

/// How base64 of a zlib stream starts (`78 01`, `78 5e`, `78 9c`, `78 da`:
/// Python's `zlib.compress`, PHP's `gzcompress`, at every level).
pub(super) const ZLIB_BASE64: [&[u8]; 4] = [b"eA", b"eF", b"eJ", b"eN"];

/// Whether decoded bytes start as a zlib stream does: its header
/// ([`archive::zlib_header`]) with a window of at most 32 KiB, and a byte of
/// data after it.
pub(super) fn is_zlib(bytes: &[u8]) -> bool {
    bytes.len() > 2 && archive::zlib_header(bytes) && bytes[0] >> 4 <= 7
}

/// What an encoded run found by [`RunMembers`] decodes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RunKind {
    /// A zlib stream: base64 of it starts with two characters only.
    Zlib,
    /// Base64 of a compressed stream or archive, encoded in base64 again (a Helm
    /// release in a Kubernetes secret is base64 of base64 of gzip).
    Base64,
    /// A raw deflate stream (PHP's `gzdeflate`, read back by `gzinflate`): no
    /// header, so known by its start inflating to text.
    Deflate,
    /// Hex digits of a compressed stream or archive (PostgreSQL's `\x1f8b…`,
    /// Python's `bytes.fromhex("1f8b…")`), with its extension.
    Hex(&'static str),
}

/// The hex digits that start a compressed stream or archive, and its
/// extension: gzip, zip, zstd, xz, bzip2. Three bytes at least: zlib's two
/// would start one SHA-256 checksum in 16,384 (a lockfile holds hundreds),
/// each then a corrupt member.
const HEX_MAGIC: &[(&[u8], &str)] = &[
    (b"1f8b08", "gz"),
    (b"504b0304", "zip"),
    (b"28b52ffd", "zst"),
    (b"fd377a585a00", "xz"),
    (b"425a68", "bz2"),
];

/// Where the hex digits of a run start: after PostgreSQL's `\x` or a `0x`.
fn hex_start(run: &[u8]) -> usize {
    match run {
        [b'\\' | b'0', b'x' | b'X', ..] => 2,
        _ => 0,
    }
}

/// The hex run at `start` (a `\x` or `0x` before it included) and its member
/// `hex[n].ext`.
pub(super) fn hex_member<'a>(
    data: &[u8],
    start: usize,
    n: &mut usize,
    ext: &'static str,
) -> (usize, Option<Embedded<'a>>) {
    let digits = start + hex_start(&data[start..]);
    let len = data[digits..]
        .iter()
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    let end = digits + len;
    let bytes: Vec<u8> = data[digits..digits + len / 2 * 2]
        .chunks(2)
        .map(|p| {
            let v = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            v(p[0]) << 4 | v(p[1])
        })
        .collect();
    // Its start is the magic [`run_kind`] found: a member by construction.
    *n += 1;
    let member = Embedded {
        what: What::Hex,
        name: format!("hex[{n}].{ext}"),
        bytes: Cow::Owned(bytes),
        start,
        end,
    };
    (end, Some(member))
}

/// Streams whose start the one search's four-byte heads cannot see: zlib in
/// base64 (two characters start one), raw deflate in base64 (none), base64 of
/// the base64 of a stream, hex digits of one. The blob's encoded runs
/// ([`crate::decode::runs`]) are looked at in order, each by its first
/// characters ([`run_kind`]).
pub(super) struct RunMembers<'a> {
    data: &'a [u8],
    /// Where the next run may start; `None` past the last.
    next: Option<usize>,
    /// A run found that starts as one of these does.
    ahead: Option<(usize, RunKind)>,
}

impl<'a> RunMembers<'a> {
    pub(super) fn new(data: &'a [u8]) -> RunMembers<'a> {
        RunMembers {
            data,
            next: Some(0),
            ahead: None,
        }
    }

    /// The first such run that starts at or after `pos`.
    pub(super) fn from(&mut self, pos: usize) -> Option<(usize, RunKind)> {
        loop {
            if let Some(a) = self.ahead.filter(|&(s, _)| s >= pos) {
                return Some(a);
            }
            // Each run is found once: none left is remembered too.
            let found = crate::decode::runs::next(self.data, self.next?);
            self.next = found.map(|(_, e)| e + 1);
            let (s, _) = found?;
            let run = &self.data[s..];
            self.ahead = run_kind(run).map(|k| (s, k));
        }
    }
}

/// What the run starting `run` is, by its first characters (and, for raw
/// deflate, by what its start inflates to).
fn run_kind(run: &[u8]) -> Option<RunKind> {
    let hex = &run[hex_start(run)..];
    if let Some(&(_, ext)) = HEX_MAGIC.iter().find(|(m, _)| {
        hex.get(..m.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(m))
    }) {
        // Hex digits for as long as the smallest stream takes.
        if hex
            .iter()
            .take(40)
            .filter(|b| b.is_ascii_hexdigit())
            .count()
            == 40
        {
            return Some(RunKind::Hex(ext));
        }
    }
    if ZLIB_BASE64.iter().any(|m| run.starts_with(m)) {
        // One random base64 run in a thousand starts so, one in 31 of those
        // with a valid header: only a stream whose start inflates is one.
        return inflates_to_text(run, true).then_some(RunKind::Zlib);
    }
    // Twelve characters are nine bytes: enough for the longest magic (seven).
    let head = run.get(..12)?;
    if !head.iter().all(|&b| is_base64_byte(b)) {
        return None;
    }
    let mut inner = [0u8; 9];
    crate::decode::base64_engine(head)
        .decode_slice(head, &mut inner)
        .ok()?;
    let compressed = BASE64_MAGIC
        .iter()
        .map(|&(m, _)| m.as_bytes())
        .chain(ZLIB_BASE64)
        .any(|m| inner.starts_with(m));
    if compressed {
        return Some(RunKind::Base64);
    }
    inflates_to_text(run, false).then_some(RunKind::Deflate)
}

thread_local! {
    /// One inflater a thread, reset for each run judged: making one costs
    /// thousands of instructions, and a blob of small members is a blob each.
    static INFLATER: std::cell::RefCell<Option<flate2::Decompress>> =
        const { std::cell::RefCell::new(None) };
}

/// Base64 characters of a run read to judge it raw deflate: 192 bytes, more
/// than a dynamic block's code tables take before text starts.
const DEFLATE_PEEK: usize = 256;
/// Inflated bytes that must be text to take a run for raw deflate (a key is
/// longer); a stream that ends sooner must give at least half.
const DEFLATE_TEXT: usize = 32;
/// Inflated bytes looked at, at most.
const DEFLATE_OUT: usize = 256;
/// Distinct characters the inflated text must hold.
const DEFLATE_DISTINCT: usize = 10;

/// Whether the base64 run starting `run` is a zlib stream (`zlib`) or raw
/// deflate: not text itself, its first block compressed (fixed or dynamic
/// codes; for raw deflate, judged before inflating), and its start inflating
/// to text. Random bytes fail within a few (a bad code or distance), and only a
/// run that is no text nor hex gets this far: a few hundred in 8 MiB of real
/// minified libraries.
fn inflates_to_text(run: &[u8], zlib: bool) -> bool {
    let peek = &run[..run.len().min(DEFLATE_PEEK)];
    let chars = peek.iter().take_while(|&&b| is_base64_byte(b)).count() / 4 * 4;
    // A run is 48 characters at least ([`crate::decode::runs`]): 36 bytes.
    if chars < 48 || peek[..48].iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    let peek = &peek[..chars];
    let mut bytes = [0u8; DEFLATE_PEEK / 4 * 3];
    let Ok(n) = crate::decode::base64_engine(peek).decode_slice(peek, &mut bytes) else {
        return false;
    };
    let bytes = &bytes[..n];
    if !(zlib || matches!(bytes[0] >> 1 & 3, 1 | 2)) || is_text(&bytes[..36]) {
        return false;
    }
    INFLATER.with_borrow_mut(|d| {
        let d = d.get_or_insert_with(|| flate2::Decompress::new(zlib));
        d.reset(zlib);
        // Inflated as far as the peek or the buffer goes: random bytes may give a
        // few characters and a long copy of them (`;k-Cek-Cek-C…`) before a bad
        // code or distance stops them, so they must go on without an error, and
        // the text must hold more than a few distinct characters.
        let mut out = [0u8; DEFLATE_OUT];
        let ended = match d.decompress(bytes, &mut out, flate2::FlushDecompress::None) {
            Ok(flate2::Status::StreamEnd) => true,
            Ok(_) => false,
            Err(_) => return false,
        };
        let got = (d.total_out() as usize).min(DEFLATE_OUT);
        let mut seen = [false; 128];
        let text = &out[..got];
        text.iter()
            .for_each(|&b| seen[usize::from(b & 0x7f)] = true);
        (got >= DEFLATE_TEXT || (ended && got >= DEFLATE_TEXT / 2))
            && is_text(text)
            && seen.iter().filter(|&&s| s).count() >= DEFLATE_DISTINCT
    })
}

/// Printable ASCII and blank space only.
fn is_text(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|&b| (0x20..0x7f).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r'))
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::super::find;

    /// Raw deflate in base64 is a member only when its start inflates to text:
    /// not random bytes in base64 (half of which start as a compressed block
    /// does, some behind a zlib header), not hex, not base64 of text.
    #[test]
    fn raw_deflate_is_known_by_inflating_to_text() {
        use std::io::Write;
        let deflate = |text: &[u8], level| {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), level);
            e.write_all(text).unwrap();
            e.finish().unwrap()
        };
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        for level in [flate2::Compression::fast(), flate2::Compression::best()] {
            let text = b"config = {'key': 'not a key, a test of what inflates'}\n".repeat(3);
            let blob = format!(
                "eval(gzinflate(base64_decode('{}')));",
                b64(&deflate(&text, level))
            );
            let mut names = Vec::new();
            find(blob.as_bytes(), &mut |e| {
                assert_eq!(&*e.bytes, &deflate(&text, level)[..]);
                names.push(e.name);
            });
            assert_eq!(names, ["base64[1].deflate"]);
        }
        // Pseudo-random bytes (an xorshift), hex, and base64 of text: none.
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let mut random = Vec::new();
        for _ in 0..200 {
            let mut bytes: Vec<u8> = (0..96)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            // One in four behind a valid zlib header (base64 `eJ…`).
            if random.len() % 4 == 0 {
                bytes[..2].copy_from_slice(&[0x78, 0x9c]);
            }
            random.push(format!("k{}='{}';\n", random.len(), b64(&bytes)));
        }
        // Five characters and a long copy of them, then a bad distance.
        random.push(
            "r='s87WdU4lCt8twHGfZsnVKDNyZBm2KYJ6hrNft570mINKQmtQNxsGbtHDRzqeAFou9WsWn0yCnHdX3YFN9OpoGA0MvIvb9cFH';\n"
                .to_string(),
        );
        random.push(format!("h='{}';\n", "0123456789abcdef".repeat(8)));
        random.push(format!(
            "t='{}';\n",
            b64(&b"plain text, no stream at all. ".repeat(4))
        ));
        find(random.concat().as_bytes(), &mut |e| panic!("{}", e.name));
    }
}
