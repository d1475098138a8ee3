//! Archives and compressed files (`.zip`, `.jar`, `.war`, `.whl`, `.tar`,
//! `.tar.gz`, `.tgz`, `.gz`, `.br`, `.zst`, `.deflate`/`.zz`, `.bz2`, `.xz`,
//! `.lzma`): members are streamed one by one into a buffer that
//! never grows past the per-member cap, and handed back as blobs named
//! `archive.tgz!package/dist/index.js`. Limits on member size, total unpacked size
//! and compression ratio make an archive bomb cost a note, not memory or minutes.
//!
//! This module only unpacks; the [`BlobScanner`](super::BlobScanner) scans members
//! (and unpacks nested archives up to its depth limit).
//!
//! An archive may be unpacked before its name is known (git history reads blobs
//! before their paths): it is then recognised by its magic bytes only, and the one
//! member of a plain `.gz` stream, which is named after the file, is handed back
//! unnamed (`""`); [`member_path`] names it once the path is known. Brotli and raw
//! deflate have no magic bytes: a blob of unknown name that is not text is tried
//! as each (a few KiB decoded at most) and taken only if it decodes to text.

use std::cell::Cell;
use std::io::{BufRead, Cursor, Read};
use std::rc::Rc;

use flate2::bufread::MultiGzDecoder;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Zip,
    Tar,
    Gzip,
    /// Brotli has no magic bytes: known by the name (`app.js.br`) or, when the
    /// name is unknown, by decoding to text.
    Brotli,
    /// Zstandard (`.zst`): its frame magic, or the name.
    Zstd,
    /// zlib (RFC 1950) or raw deflate (RFC 1951): `.deflate`, `.zz`, `.zlib`, or
    /// (name unknown) decoding to text.
    Deflate,
    /// bzip2 (`.bz2`, `.tbz2`): its stream magic, or the name.
    Bzip2,
    /// xz (`.xz`, `.txz`: its stream magic) or the legacy `.lzma` (the name).
    Xz,
}

/// How much unpacking one archive (with everything nested in it) may cost.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of one member (`--max-file-size`).
    pub member: u64,
    /// Bytes unpacked from one archive, nested ones included.
    pub total: u64,
    /// Unpacked bytes per compressed byte past which a stream is a bomb.
    pub ratio: u64,
    /// Archives inside archives: `a.zip!b.jar!c.js` is depth 2.
    pub depth: usize,
    /// Members listed in one archive; past it the rest are reported as incomplete.
    pub members: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            member: super::DEFAULT_MAX_FILE_SIZE,
            total: 1 << 30,
            ratio: 100,
            depth: 3,
            members: 100_000,
        }
    }
}

/// The ratio is judged only past this many unpacked bytes: small files compress
/// well and cost nothing.
const RATIO_FLOOR: u64 = 4 << 20;

const ZIP_EXT: &[&str] = &[
    ".zip", ".jar", ".war", ".ear", ".aar", ".whl", ".apk", ".nupkg", ".vsix", ".xpi",
];

/// What kind of archive a blob is, by its name or its first bytes.
pub fn kind(path: &str, data: &[u8]) -> Option<Kind> {
    // The extension, from the last `.` of the last component (of a member
    // name too: `!`), compared in place in any case: every file is asked.
    // (Not `memchr`: its first call asks the CPU for its features, a dozen
    // `cpuid` traps on a virtual machine, which a hook run avoids.)
    let bytes = path.as_bytes();
    let dot = bytes
        .iter()
        .rposition(|&b| b == b'.')
        .filter(|&i| !bytes[i + 1..].iter().any(|&b| b == b'/' || b == b'!'));
    let ext = dot.map_or(&b""[..], |i| &bytes[i..]);
    let ends = |e: &str| ext.eq_ignore_ascii_case(e.as_bytes());
    // ... and with a name before it.
    let named =
        |e: &str| ends(e) && dot.is_some_and(|i| i > 0 && !matches!(bytes[i - 1], b'/' | b'!'));
    let zip_magic = data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06");
    if zip_magic || (data.starts_with(b"PK") && ZIP_EXT.iter().any(|e| ends(e))) {
        return Some(Kind::Zip);
    }
    if data.starts_with(&[0x1f, 0x8b]) {
        return Some(Kind::Gzip);
    }
    if data.starts_with(ZSTD_MAGIC) || named(".zst") {
        return Some(Kind::Zstd);
    }
    if named(".br") {
        return Some(Kind::Brotli);
    }
    if DEFLATE_EXT.iter().any(|e| named(e)) {
        return Some(Kind::Deflate);
    }
    if is_bzip2(data) || [".bz2", ".tbz2", ".tbz"].iter().any(|e| named(e)) {
        return Some(Kind::Bzip2);
    }
    if data.starts_with(XZ_MAGIC) || [".xz", ".txz", ".lzma"].iter().any(|e| named(e)) {
        return Some(Kind::Xz);
    }
    if is_tar(data) || (ends(".tar") && data.len() >= 512) {
        return Some(Kind::Tar);
    }
    if path.is_empty() {
        return sniff(data);
    }
    None
}

const ZSTD_MAGIC: &[u8] = &[0x28, 0xB5, 0x2F, 0xFD];
const XZ_MAGIC: &[u8] = b"\xFD7zXZ\x00";

/// A bzip2 stream's start: `BZh`, the block size, then a block's magic (or the
/// end of an empty stream's).
fn is_bzip2(data: &[u8]) -> bool {
    matches!(data, [b'B', b'Z', b'h', b'1'..=b'9', ..])
        && matches!(data.get(4..10), Some(b"1AY&SY" | b"\x17rE8P\x90"))
}
const DEFLATE_EXT: &[&str] = &[".deflate", ".zz", ".zlib"];
/// Decoded bytes a stream of unknown name must yield (all text) to be taken as
/// brotli or deflate; a shorter stream must decode whole.
const SNIFF: usize = 256;

/// A blob of unknown name (git history reads blobs before their paths) that is
/// not text: a brotli or deflate stream if its start decodes to text. Costs at
/// most a few KiB of decoding, only on blobs that are not text.
fn sniff(data: &[u8]) -> Option<Kind> {
    // A compressed stream's first 64 bytes are never all text, and most blobs are
    // text: deciding on them spares a pass over the whole peek for every blob.
    let start = &data[..data.len().min(64)];
    if data.len() < 8 || looks_text(start, start.len() == data.len()) {
        return None;
    }
    let head = &data[..data.len().min(super::BINARY_PEEK)];
    if looks_text(head, false) || super::is_utf16_text(head) {
        return None;
    }
    let input = &data[..data.len().min(64 * 1024)];
    let decodes = |r: &mut dyn Read| {
        let mut out = Vec::with_capacity(SNIFF);
        let whole = input.len() == data.len();
        match r.take(SNIFF as u64).read_to_end(&mut out) {
            Ok(n) if n == SNIFF || (whole && n > 0) => looks_text(&out, n < SNIFF),
            _ => false,
        }
    };
    if decodes(&mut brotli_decompressor::Decompressor::new(input, 4096)) {
        return Some(Kind::Brotli);
    }
    if decodes(&mut deflate_reader(input)) {
        return Some(Kind::Deflate);
    }
    None
}

/// UTF-8 text without NUL or other control characters than blank space (a
/// character cut at the end of a prefix is allowed unless `whole`).
fn looks_text(bytes: &[u8], whole: bool) -> bool {
    let valid = match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => !whole && e.error_len().is_none(),
    };
    valid
        && !bytes
            .iter()
            .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
}

/// Whether `data` starts with a zlib header (RFC 1950): deflate, and the check
/// bits that make the first two bytes a multiple of 31.
pub(super) fn zlib_header(data: &[u8]) -> bool {
    match data {
        [cmf, flg, ..] => cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0,
        _ => false,
    }
}

/// zlib (RFC 1950) when the first two bytes say so, else raw deflate (RFC 1951).
/// Read from the bytes in place (`bufread`): the `read` decoders copy them
/// through a zeroed 32 KiB buffer each, which a file of many small members
/// paid for every one.
fn deflate_reader<'a>(data: &'a [u8]) -> Box<dyn Read + 'a> {
    if zlib_header(data) {
        Box::new(flate2::bufread::ZlibDecoder::new(data))
    } else {
        Box::new(flate2::bufread::DeflateDecoder::new(data))
    }
}

fn is_tar(head: &[u8]) -> bool {
    head.get(257..262) == Some(b"ustar")
}

/// Container events, one function per kind, so that each can be routed (to an
/// "incomplete" list, SARIF notifications, the exit status) in one place.
pub mod event {
    use crate::messages;
    use crate::units::human_bytes;

    /// A member larger than `--max-file-size` once unpacked: skipped.
    pub fn member_too_large(member: &str, limit: u64) {
        messages::note(
            member,
            format!(
                "skipped: unpacks to more than --max-file-size ({})",
                human_bytes(limit)
            ),
        );
    }

    /// A stream whose compression ratio says bomb: one member skipped (with its
    /// ratio) or, without one, the rest of the archive. Incomplete: a key can sit
    /// after megabytes of zeros, and what was skipped was asked for.
    pub fn bomb(path: &str, ratio: Option<u64>, limit: u64) {
        let text = match ratio {
            Some(r) => format!(
                "skipped: compression ratio over {r}:1 (limit {limit}:1), an archive bomb \
                 (raise --max-compression-ratio)"
            ),
            None => format!(
                "stopped unpacking: compression ratio over {limit}:1, an archive bomb \
                 (raise --max-compression-ratio)"
            ),
        };
        messages::Incomplete::record(path, text);
    }

    /// The unpacking budget of one top-level archive is spent: the rest of it is
    /// not read, so the scan is incomplete.
    pub fn budget_spent(archive: &str, total: u64) {
        messages::Incomplete::record(
            archive,
            format!(
                "stopped unpacking: more than {} unpacked from one archive (raise --max-archive-size)",
                human_bytes(total)
            ),
        );
    }

    /// More members than are scanned in one archive: incomplete.
    pub fn member_cap(archive: &str, cap: usize) {
        messages::Incomplete::record(
            archive,
            format!("stopped after {cap} members (raise --max-archive-members)"),
        );
    }

    /// Containers nested deeper than the limit: not opened, so incomplete.
    pub fn depth_limit(path: &str, depth: usize) {
        messages::Incomplete::record(
            path,
            format!(
                "not unpacked: archive nested more than {depth} deep (raise --max-archive-depth)"
            ),
        );
    }

    /// A corrupt, truncated, encrypted or unsupported archive or stream, or one
    /// member of it.
    /// Nothing (more) of it is read: incomplete.
    pub fn unreadable(path: &str, what: String) {
        messages::Incomplete::record(path, what);
    }
}

/// Where the unpacked bytes of one top-level archive are counted.
pub type Budget = Cell<u64>;

/// Why a member was not (fully) read.
enum Stop {
    TooLarge,
    Bomb(u64),
    Budget,
    Io(std::io::Error),
}

/// Bytes read into a member at a time, between the checks of its limits.
const STEP: u64 = 64 * 1024;

/// Reads `r` into `buf` within the limits (past the member's, by less than a
/// step). `compressed` tells how many compressed bytes were consumed so far
/// (for the ratio). Read into `buf` itself: a chunk of its own was 64 KiB
/// zeroed for every member, most of the cost of a member of a few bytes.
fn read_member(
    mut r: impl Read,
    buf: &mut Vec<u8>,
    limits: &Limits,
    budget: &Budget,
    compressed: &dyn Fn() -> u64,
) -> Result<(), Stop> {
    buf.clear();
    loop {
        let n = match (&mut r).take(STEP).read_to_end(buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) => return Err(Stop::Io(e)),
        };
        if buf.len() as u64 > limits.member {
            return Err(Stop::TooLarge);
        }
        let left = budget.get();
        if (n as u64) > left {
            budget.set(0);
            return Err(Stop::Budget);
        }
        budget.set(left - n as u64);
        let out = buf.len() as u64;
        let inp = compressed().max(1);
        if out > RATIO_FLOOR && out / inp > limits.ratio {
            return Err(Stop::Bomb(out / inp));
        }
    }
}

/// Explains a stopped member, in one line; `false` when the archive should stop
/// too (its budget is spent, or its stream is broken).
fn explain(stop: Stop, member_path: &str, archive: &str, limits: &Limits) -> bool {
    match stop {
        Stop::TooLarge => {
            event::member_too_large(member_path, limits.member);
            true
        }
        Stop::Bomb(ratio) => {
            event::bomb(member_path, Some(ratio), limits.ratio);
            true
        }
        Stop::Budget => {
            event::budget_spent(archive, limits.total);
            false
        }
        Stop::Io(e) => {
            event::unreadable(
                member_path,
                format!("cannot unpack (truncated or corrupt): {e}"),
            );
            false
        }
    }
}

/// Unpacks `data` (an archive of `kind` named `name`, `""` when unknown), calling
/// `member(bytes, name)` for each regular file. Problems are reported as one line
/// each, the archive called `label`; nothing panics.
pub fn expand(
    kind: Kind,
    data: &[u8],
    name: &str,
    label: &str,
    limits: &Limits,
    budget: &Budget,
    member: &mut dyn FnMut(&[u8], &str),
) {
    let consumed = Rc::new(Cell::new(0));
    let input = Counting::new(data, &consumed);
    // A one-member stream's decoder, read through the same limits as every
    // member (never by a claimed size).
    let stream: Box<dyn Read + '_> = match kind {
        Kind::Zip => return zip(data, label, limits, budget, member),
        Kind::Tar => return tar(input, &consumed, label, limits, budget, member),
        Kind::Gzip => return gzip(data, name, label, limits, budget, member),
        // Its input buffer no larger than the input (a small member's
        // zeroed 64 KiB buffer cost more than its decoding).
        Kind::Brotli => Box::new(brotli_decompressor::Decompressor::new(
            input,
            data.len().clamp(4096, 64 * 1024),
        )),
        Kind::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(input)),
        Kind::Zstd => match zstd_decoder(input, limits) {
            Ok(d) => Box::new(d),
            Err(e) => return event::unreadable(label, format!("not a readable zstd stream: {e}")),
        },
        Kind::Xz => match xz_decoder(input, limits) {
            Ok(d) => Box::new(d),
            Err(e) => return event::unreadable(label, format!("not a readable xz stream: {e}")),
        },
        Kind::Deflate => {
            // The compressed side is the whole blob: the ratio is judged on it.
            consumed.set(data.len() as u64);
            deflate_reader(data)
        }
    };
    single_member(stream, &consumed, name, label, limits, budget, member);
}

/// Extensions of one-member compressed streams, cut from the file's name to name
/// the member.
const STREAM_EXT: &[&str] = &[
    ".gz", ".br", ".zst", ".deflate", ".zz", ".zlib", ".bz2", ".xz", ".lzma",
];

/// The name of a plain compressed stream's one member: the file's own name
/// without `.gz` (`.br`, `.zst`, …; `""` when the file's name is unknown).
pub fn gz_member(name: &str) -> &str {
    let name = name.rsplit(['!', '/']).next().unwrap_or(name);
    for ext in STREAM_EXT {
        let cut = name.len().saturating_sub(ext.len());
        if cut > 0
            && let Some(tail) = name.get(cut..)
            && tail.eq_ignore_ascii_case(ext)
        {
            return &name[..cut];
        }
    }
    name
}

/// The path of `member` (`inner/x.js`, `lib/b.jar!c.js`) of the archive at `path`:
/// `path!member`. An unnamed first member (a `.gz` unpacked before its name was
/// known) is named after the file.
pub fn member_path(path: &str, member: &str) -> String {
    let (first, rest) = match member.split_once('!') {
        Some((a, b)) => (a, Some(b)),
        None => (member, None),
    };
    let first = if first.is_empty() {
        gz_member(path)
    } else {
        first
    };
    match rest {
        Some(rest) => format!("{path}!{first}!{rest}"),
        None => format!("{path}!{first}"),
    }
}

fn zip(
    data: &[u8],
    path: &str,
    limits: &Limits,
    budget: &Budget,
    member: &mut dyn FnMut(&[u8], &str),
) {
    let mut archive = match zip::ZipArchive::new(Cursor::new(data)) {
        Ok(a) => a,
        Err(e) => return event::unreadable(path, format!("not a readable zip archive: {e}")),
    };
    let mut buf = Vec::new();
    for i in 0..archive.len() {
        if i == limits.members {
            event::member_cap(path, limits.members);
            return;
        }
        let file = match archive.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                event::unreadable(path, format!("member {} not read: {e}", i + 1));
                continue;
            }
        };
        if !file.is_file() {
            continue;
        }
        let name = file.name().to_string();
        let member_path = format!("{path}!{name}");
        let compressed = file.compressed_size();
        match read_member(file, &mut buf, limits, budget, &|| compressed) {
            Ok(()) => member(&buf, &name),
            Err(stop) => {
                if !explain(stop, &member_path, path, limits) {
                    return;
                }
            }
        }
    }
}

/// Counts the bytes read through it (the compressed side of a stream).
struct Counting<R> {
    inner: R,
    n: Rc<Cell<u64>>,
}

impl<R> Counting<R> {
    fn new(inner: R, n: &Rc<Cell<u64>>) -> Self {
        Counting {
            inner,
            n: Rc::clone(n),
        }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n.set(self.n.get() + n as u64);
        Ok(n)
    }
}

/// Bytes handed out in place (a gzip decoder reads the blob without copying
/// it through a buffer of its own), counted as they are consumed.
impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.n.set(self.n.get() + amt as u64);
    }
}

fn tar(
    stream: impl Read,
    consumed: &Rc<Cell<u64>>,
    path: &str,
    limits: &Limits,
    budget: &Budget,
    member: &mut dyn FnMut(&[u8], &str),
) {
    let mut archive = tar::Archive::new(stream);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => return event::unreadable(path, format!("not a readable tar archive: {e}")),
    };
    let mut buf = Vec::new();
    // Also judged over the whole stream: many small members of zeros are a bomb too.
    let start = budget.get();
    for (i, entry) in entries.enumerate() {
        if i == limits.members {
            event::member_cap(path, limits.members);
            return;
        }
        let entry = match entry {
            Ok(e) => e,
            Err(e) => return event::unreadable(path, format!("not a readable tar archive: {e}")),
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let member_path = format!("{path}!{name}");
        let at_start = consumed.get();
        let compressed = || consumed.get() - at_start;
        match read_member(entry, &mut buf, limits, budget, &compressed) {
            Ok(()) => member(&buf, &name),
            // A stream can't seek past the rest of a bomb: stop here.
            Err(stop @ Stop::Bomb(_)) => {
                explain(stop, &member_path, path, limits);
                return;
            }
            Err(stop) => {
                if !explain(stop, &member_path, path, limits) {
                    return;
                }
            }
        }
        let unpacked = start - budget.get().min(start);
        if unpacked > RATIO_FLOOR && unpacked / consumed.get().max(1) > limits.ratio {
            event::bomb(path, None, limits.ratio);
            return;
        }
    }
}

fn gzip(
    data: &[u8],
    name: &str,
    path: &str,
    limits: &Limits,
    budget: &Budget,
    member: &mut dyn FnMut(&[u8], &str),
) {
    let consumed = Rc::new(Cell::new(0));
    let mut dec = MultiGzDecoder::new(Counting::new(data, &consumed));
    let mut head = Vec::with_capacity(512);
    if let Err(e) = (&mut dec).take(512).read_to_end(&mut head) {
        return event::unreadable(path, format!("not a readable gzip stream: {e}"));
    }
    let lower = name.to_ascii_lowercase();
    let stream = Cursor::new(head).chain(dec);
    if is_tar(stream.get_ref().0.get_ref()) || lower.ends_with(".tgz") || lower.ends_with(".tar.gz")
    {
        return tar(stream, &consumed, path, limits, budget, member);
    }
    single_member(stream, &consumed, name, path, limits, budget, member);
}

/// A zstd decoder whose window (its memory, declared by the frame) may be no
/// larger than a member may be, within zstd's own bounds.
fn zstd_decoder<R: Read>(input: R, limits: &Limits) -> std::io::Result<impl Read> {
    let log = (64 - limits.member.max(1).leading_zeros()).clamp(10, 27);
    let mut d = zstd::stream::read::Decoder::with_buffer(std::io::BufReader::new(input))?;
    d.window_log_max(log)?;
    Ok(d)
}

/// An xz decoder (several concatenated streams too, or a legacy `.lzma` one)
/// whose memory (its dictionary, declared by the stream) may be no larger than
/// a member may be, plus the decoder's own.
fn xz_decoder<R: Read>(input: R, limits: &Limits) -> Result<impl Read, liblzma::stream::Error> {
    let memlimit = limits.member.max(8 << 20).saturating_add(16 << 20);
    let s = liblzma::stream::Stream::new_auto_decoder(memlimit, liblzma::stream::CONCATENATED)?;
    Ok(liblzma::read::XzDecoder::new_stream(input, s))
}

/// A compressed stream's one member (`app.js` in `app.js.gz` or `app.js.br`),
/// read through the same limits as every member.
fn single_member(
    stream: impl Read,
    consumed: &Rc<Cell<u64>>,
    name: &str,
    path: &str,
    limits: &Limits,
    budget: &Budget,
    member: &mut dyn FnMut(&[u8], &str),
) {
    let inner = gz_member(name);
    let mut buf = Vec::new();
    match read_member(stream, &mut buf, limits, budget, &|| consumed.get()) {
        Ok(()) => member(&buf, inner),
        Err(stop) => {
            explain(stop, &format!("{path}!{inner}"), path, limits);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths_name_an_unnamed_gzip_member_after_the_file() {
        assert_eq!(member_path("a/b.zip", "inner/x.js"), "a/b.zip!inner/x.js");
        assert_eq!(
            member_path("a/b.zip", "l/c.jar!d.js"),
            "a/b.zip!l/c.jar!d.js"
        );
        assert_eq!(member_path("a/x.js.GZ", ""), "a/x.js.GZ!x.js");
        assert_eq!(member_path("a/x.js.gz", "!y.js"), "a/x.js.gz!x.js!y.js");
        assert_eq!(member_path("data.bin", ""), "data.bin!data.bin");
        assert_eq!(gz_member(""), "");
        assert_eq!(gz_member("é.gz"), "é");
        assert_eq!(gz_member("ü"), "ü");
        assert_eq!(member_path("a/app.js.br", ""), "a/app.js.br!app.js");
        assert_eq!(member_path("a/app.js.zst", ""), "a/app.js.zst!app.js");
        assert_eq!(
            member_path("a/app.js.deflate", ""),
            "a/app.js.deflate!app.js"
        );
    }

    #[test]
    fn names_decide_by_the_last_components_extension_in_any_case() {
        let text = b"plain text, no magic";
        let cases: &[(&str, &[u8], Option<Kind>)] = &[
            ("a/app.js.br", text, Some(Kind::Brotli)),
            ("a/APP.JS.BR", text, Some(Kind::Brotli)),
            ("x.zip!inner/app.js.Zst", text, Some(Kind::Zstd)),
            ("site/p.deflate", text, Some(Kind::Deflate)),
            ("p.ZZ", text, Some(Kind::Deflate)),
            // An extension alone is no name with an extension.
            ("a/.br", text, None),
            ("x.zip!.zst", text, None),
            // A dot in a folder's name is no extension of the file.
            ("a.br/readme", text, None),
            ("a.zip!readme", text, None),
            ("a/b.BR.txt", text, None),
            // Zip by name needs `PK` too; a bare `.zip` is named enough.
            ("lib.JAR", b"PK\x01\x02", Some(Kind::Zip)),
            (".zip", b"PK\x01\x02", Some(Kind::Zip)),
            ("lib.jar", text, None),
            ("a.js.BZ2", text, Some(Kind::Bzip2)),
            ("a.tbz2", text, Some(Kind::Bzip2)),
            ("a.js.xz", text, Some(Kind::Xz)),
            ("a.TXZ", text, Some(Kind::Xz)),
            ("a.js.lzma", text, Some(Kind::Xz)),
            // Their magic, unnamed (git history); `BZh` alone is text.
            ("", b"BZh91AY&SY\x01\x02", Some(Kind::Bzip2)),
            ("", b"\xFD7zXZ\x00\x00\x04", Some(Kind::Xz)),
            ("", b"BZh9 is a word", None),
        ];
        for (name, data, want) in cases {
            assert_eq!(kind(name, data), *want, "{name}");
        }
        let mut tar = vec![0u8; 512];
        assert_eq!(kind("x.TAR", &tar), Some(Kind::Tar));
        assert_eq!(kind("x.tar", &tar[..511]), None);
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(kind("x.bin", &tar), Some(Kind::Tar));
    }

    #[test]
    fn streams_without_magic_are_known_by_decoding_to_text_only() {
        use std::io::Write;
        let text = "export const a = 1;\n".repeat(40);
        let mut br = brotli::CompressorWriter::new(Vec::new(), 4096, 5, 22);
        br.write_all(text.as_bytes()).unwrap();
        let br = br.into_inner();
        let mut df = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        df.write_all(text.as_bytes()).unwrap();
        let df = df.finish().unwrap();
        assert_eq!(kind("", &br), Some(Kind::Brotli));
        assert_eq!(kind("", &df), Some(Kind::Deflate));
        // Named, the name decides; text and UTF-16 text are never tried.
        assert_eq!(kind("x.bin", &br), None);
        assert_eq!(kind("", text.as_bytes()), None);
        let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(kind("", &utf16), None);
        // Bytes that are no stream: a PNG header and pseudo-random bytes.
        let mut x: u32 = 7;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        assert_eq!(kind("", &noise), None);
        assert_eq!(kind("", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0"), None);
    }

    /// An xz stream unpacks within the limits; one whose declared dictionary
    /// needs more memory than a member may take is refused before it is
    /// allocated, and nothing is handed back.
    #[test]
    fn xz_memory_is_bounded_by_the_member_limit() {
        use std::io::Write;
        let text = "export const a = 1;\n".repeat(40);
        let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
        e.write_all(text.as_bytes()).unwrap();
        let good = e.finish().unwrap();
        let limits = Limits {
            member: 1 << 20,
            ..Limits::default()
        };
        let unpack = |data: &[u8]| {
            let mut got = Vec::new();
            let budget = Budget::new(limits.total);
            expand(
                Kind::Xz,
                data,
                "a.js.xz",
                "a.js.xz",
                &limits,
                &budget,
                &mut |b, n| got.push((n.to_string(), b.len())),
            );
            got
        };
        assert_eq!(unpack(&good), vec![("a.js".to_string(), text.len())]);
        // The block header's LZMA2 properties (filter 0x21, one byte of them)
        // set to the largest dictionary (4 GiB), its CRC32 made right again.
        let mut big = good.clone();
        let header = 12;
        let size = (usize::from(big[header]) + 1) * 4;
        let props = (header..header + size - 4)
            .find(|&i| big[i..i + 2] == [0x21, 0x01])
            .unwrap()
            + 2;
        big[props] = 40;
        let mut crc = flate2::Crc::new();
        crc.update(&big[header..header + size - 4]);
        big[header + size - 4..header + size].copy_from_slice(&crc.sum().to_le_bytes());
        assert_eq!(unpack(&big), vec![]);
    }
}
