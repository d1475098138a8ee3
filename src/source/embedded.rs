//! Containers written inside text: `data:` URIs (`data:text/javascript;base64,…`,
//! `data:application/json,%7B…`; a `sourceMappingURL=data:…` is an inline source
//! map), base64 blobs that decode to a compressed stream or archive (`H4sI…`, the
//! base64 of gzip; zstd; zip; xz; bzip2), and the inline `<script>` bodies of an HTML page.
//!
//! Each is a member of the blob, named `data[2]`, `base64[1].gz`,
//! `script[3]` (counted from 1 in document order, `sourceMappingURL` for an inline
//! source map) and scanned as a file is; the blob's own findings inside the span
//! a member covers are left to the member, so a key is reported once. One pass of
//! one multi-literal search finds them all, and every member is looked at once:
//! the cost is linear in the blob.

use std::borrow::Cow;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, Input, packed};
use base64::Engine as _;

use super::archive::{self, Kind};

mod runs;
use runs::{RunKind, RunMembers, hex_member, is_zlib};

/// The member name of a script's inline source map (`app.js!sourceMappingURL`).
pub const INLINE_MAP: &str = "sourceMappingURL";

/// How far after `data:` its comma may be (the media type and parameters).
const MAX_MEDIA_TYPE: usize = 256;
/// Base64 shorter than this is no compressed container worth opening.
const MIN_BASE64: usize = 24;

/// Base64 of the magic bytes of gzip (`1f 8b 08`), zstd (`28 b5 2f fd`), zip
/// (`PK\x03\x04`), xz (`fd 37 7a 58 5a 00`) and bzip2 (`BZh`).
const BASE64_MAGIC: &[(&str, &str)] = &[
    ("H4sI", "gz"),
    ("KLUv/", "zst"),
    ("UEsDB", "zip"),
    ("/Td6WFo", "xz"),
    ("Qlpo", "bz2"),
];

/// What a finder's pattern starts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pat {
    Data,
    Script,
    /// Index into [`BASE64_MAGIC`].
    Base64(usize),
}

/// The finder's patterns, in pattern-id order: the spellings of `data:` and
/// `<script` that text really uses, then the base64 magics of
/// [`BASE64_MAGIC`] (base64 is case-sensitive).
fn patterns() -> impl Iterator<Item = (&'static str, Pat)> {
    let words = [
        ("data:", Pat::Data),
        ("DATA:", Pat::Data),
        ("Data:", Pat::Data),
        ("<script", Pat::Script),
        ("<SCRIPT", Pat::Script),
        ("<Script", Pat::Script),
    ];
    let magics = BASE64_MAGIC
        .iter()
        .enumerate()
        .map(|(i, &(magic, _))| (magic, Pat::Base64(i)));
    words.into_iter().chain(magics)
}

/// The literals that start a member whose text the blob's own bytes do not
/// hold, for a prefilter that looks for these and the detector's in one search:
/// a blob without any of them nor any of the detector's holds nothing to find.
/// That is `data:` (its bytes may be base64 or percent-encoded) and the base64
/// magics (compressed), not `<script`: a script's text is the page's own, so a
/// key there puts the detector's literals in the page too. Leaving it out keeps
/// three heads off the one search (Teddy slows past 32), and spares a `.vue`
/// file or a page template with no key a detector pass and a member search.
pub fn literals() -> impl Iterator<Item = &'static [u8]> {
    patterns()
        .filter(|(_, pat)| *pat != Pat::Script)
        .map(|(p, _)| p.as_bytes())
}

/// Whether [`find`] must search `data` whatever its literals: an HTML page,
/// whose `<ScRiPt>` may be spelled in any case.
pub fn always(data: &[u8]) -> bool {
    is_html(data)
}

/// The pass over every text blob runs at memory speed (Teddy, SIMD): a
/// case-insensitive automaton here had its prefilter defeated by common letters
/// (`d`, `h`, `k`, `u`) and cost more than the whole keyword pass.
static FAST: LazyLock<Option<packed::Searcher>> = LazyLock::new(|| {
    packed::Config::new()
        .match_kind(packed::MatchKind::LeftmostFirst)
        .builder()
        .extend(patterns().map(|(p, _)| p))
        .build()
});

/// Every spelling, case-insensitive: for pages that start like HTML (few, and
/// `<ScRiPt>` is valid there), and where Teddy is unavailable.
static FINDER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(patterns().map(|(p, _)| p))
        .expect("valid patterns")
});

/// A pattern's kind, start and end.
type Match = (Pat, usize, usize);

/// The next pattern at or after `pos`.
fn next(data: &[u8], pos: usize, html: bool) -> Option<Match> {
    let (id, start, end) = match (&*FAST, html) {
        (Some(fast), false) => {
            let m = fast.find_in(data, aho_corasick::Span::from(pos..data.len()))?;
            (m.pattern().as_usize(), m.start(), m.end())
        }
        _ => {
            let m = FINDER.find(Input::new(data).range(pos..))?;
            (m.pattern().as_usize(), m.start(), m.end())
        }
    };
    Some((patterns().nth(id)?.1, start, end))
}

static SCRIPT_END: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(["</script"])
        .expect("valid pattern")
});

/// What a member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    /// A `data:` URI's decoded payload.
    Data,
    /// Decoded base64 that is a compressed stream or archive.
    Base64,
    /// Decoded hex digits that are a compressed stream or archive.
    Hex,
    /// A notebook cell's source or its outputs' text, JSON-unescaped.
    Cell,
    /// An inline script's body; its findings keep the page's lines.
    Script {
        /// Line and column (in characters) of the body's first byte.
        line: usize,
        column: usize,
    },
}

/// One member written inside a blob.
pub struct Embedded<'a> {
    pub what: What,
    pub name: String,
    pub bytes: Cow<'a, [u8]>,
    /// The span of the blob the member covers.
    pub start: usize,
    pub end: usize,
}

/// Whether a blob is an HTML page, by its start only: git history reads blobs
/// before their names, and a page must get the same members whatever its source.
fn is_html(data: &[u8]) -> bool {
    let head = &data[..data.len().min(512)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    // Compared in place: every file is asked, and most start with no `<`.
    let head = &head[start..];
    head.first() == Some(&b'<')
        && [
            "<!doctype html",
            "<html",
            "<head",
            "<meta",
            "<script",
            "<body",
            "<title",
            "<link",
        ]
        .iter()
        .any(|t| {
            head.get(..t.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(t.as_bytes()))
        })
}

/// Hands `each` the members written inside `data`, in offset order, none inside
/// another, one at a time (a file of a million tiny scripts holds one at a time).
pub fn find<'a>(data: &'a [u8], each: &mut dyn FnMut(Embedded<'a>)) {
    let html = is_html(data);
    let (mut n_data, mut n_script, mut n_b64, mut n_hex) = (0, 0, 0, 0);
    // Where lines were last counted to: the line and column of `at`.
    let (mut at, mut line, mut column) = (0usize, 1usize, 1usize);
    let mut pos = 0;
    let mut runs = RunMembers::new(data);
    // The next literal match and where it was searched from: kept while it is
    // still ahead, so that members found by their runs between two matches (a
    // file of a million short runs and no literal) do not each search the rest
    // of the blob again.
    let mut ahead: Option<(usize, Option<Match>)> = None;
    while pos < data.len() {
        let found = match ahead {
            Some((from, f)) if from <= pos && f.is_none_or(|(_, m_start, _)| m_start >= pos) => f,
            _ => {
                let f = next(data, pos, html);
                ahead = Some((pos, f));
                f
            }
        };
        if let Some((s, kind)) = runs.from(pos)
            && found.is_none_or(|(_, m_start, _)| s < m_start)
        {
            let (end, member) = match kind {
                RunKind::Zlib => base64_member(data, s, &mut n_b64, |b| is_zlib(b).then_some("zz")),
                // Its member is base64 text, whose own magic is found in it.
                RunKind::Base64 => base64_member(data, s, &mut n_b64, |_| Some("")),
                RunKind::Deflate => base64_member(data, s, &mut n_b64, |_| Some("deflate")),
                RunKind::Hex(ext) => hex_member(data, s, &mut n_hex, ext),
            };
            pos = end;
            member.into_iter().for_each(&mut *each);
            continue;
        }
        let Some((pat, m_start, m_end)) = found else {
            break;
        };
        pos = m_end;
        if pat == Pat::Data {
            if let Some((e, payload_start)) = data_uri(data, m_start) {
                n_data += 1;
                let name = if data[..m_start].ends_with(b"sourceMappingURL=") {
                    INLINE_MAP.to_string()
                } else {
                    format!("data[{n_data}]")
                };
                each(Embedded {
                    what: What::Data,
                    name,
                    bytes: Cow::Owned(e.bytes),
                    start: payload_start,
                    end: e.end,
                });
                pos = e.end;
            }
        } else if pat == Pat::Script {
            if !html
                || !data
                    .get(m_end)
                    .is_some_and(|&b| b == b'>' || b.is_ascii_whitespace() || b == b'/')
            {
                continue;
            }
            n_script += 1;
            let Some(gt) = memchr::memchr(b'>', &data[m_end..]) else {
                break;
            };
            let body = m_end + gt + 1;
            let end = SCRIPT_END
                .find(Input::new(data).range(body..))
                .map_or(data.len(), |e| e.start());
            if data[body..end].iter().all(u8::is_ascii_whitespace) {
                // `<script src="data:…">`: its attributes are looked at.
                continue;
            }
            pos = end;
            // Lines counted from where they were last counted to: linear.
            for c in data[at..body].utf8_chunks() {
                for ch in c.valid().chars() {
                    if ch == '\n' {
                        line += 1;
                        column = 1;
                    } else {
                        column += 1;
                    }
                }
                column += c.invalid().len();
            }
            at = body;
            each(Embedded {
                what: What::Script { line, column },
                name: format!("script[{n_script}]"),
                bytes: Cow::Borrowed(&data[body..end]),
                start: body,
                end,
            });
        } else if let Pat::Base64(i) = pat {
            let (magic, ext) = BASE64_MAGIC[i];
            if !data[m_start..].starts_with(magic.as_bytes())
                || m_start
                    .checked_sub(1)
                    .is_some_and(|i| is_base64_byte(data[i]))
            {
                continue;
            }
            let (end, member) = base64_member(data, m_start, &mut n_b64, |b| {
                let kind = archive::kind("", b);
                kind.is_some_and(|k| k != Kind::Brotli).then_some(ext)
            });
            pos = end;
            member.into_iter().for_each(&mut *each);
        }
    }
}

/// The base64 run at `start` (padding and wrapped lines included) and, when
/// `ext` names what it decodes to, the member `base64[n].ext` (`n` counts the
/// blob's base64 members; `base64[n]` for an empty `ext`).
fn base64_member<'a>(
    data: &[u8],
    start: usize,
    n: &mut usize,
    ext: impl FnOnce(&[u8]) -> Option<&'static str>,
) -> (usize, Option<Embedded<'a>>) {
    let end = base64_run_end(data, start);
    let member = decode_base64(&data[start..end]).and_then(|bytes| {
        let ext = ext(&bytes)?;
        *n += 1;
        Some(Embedded {
            what: What::Base64,
            name: if ext.is_empty() {
                format!("base64[{n}]")
            } else {
                format!("base64[{n}].{ext}")
            },
            bytes: Cow::Owned(bytes),
            start,
            end,
        })
    });
    (end, member)
}

/// Whether `bytes` may hold a member (a `data:` URI, a script, base64 of a
/// compressed stream): one search, to skip members with nothing in them.
pub fn may_hold_members(bytes: &[u8]) -> bool {
    next(bytes, 0, is_html(bytes)).is_some()
}

fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// The end of a base64 run starting at `s`: base64 characters, padding, and line
/// breaks followed by more (MIME and PEM wrap at 64 or 76).
fn base64_run_end(data: &[u8], s: usize) -> usize {
    let mut i = s;
    while i < data.len() {
        let b = data[i];
        // `\n` or `\r\n` then more base64: looked at over two bytes, not a run.
        let next = match (b, data.get(i + 1)) {
            (b'\r', Some(b'\n')) => data.get(i + 2),
            (b'\n', n) => n,
            _ => None,
        };
        let wrapped = i - s >= 60 && next.is_some_and(|&c| is_base64_byte(c));
        if is_base64_byte(b) || b == b'=' || wrapped {
            i += 1;
        } else if let Some((k, _)) = escaped_base64(&data[i..]) {
            i += k;
        } else {
            break;
        }
    }
    i
}

/// A base64 character written escaped at the start of `rest`, its length and
/// the character: `\/` (JSON writers such as PHP's `json_encode` escape every
/// slash) or `%2B`, `%2F`, `%3D` (a URL's query percent-encodes `+`, `/` and
/// `=`).
fn escaped_base64(rest: &[u8]) -> Option<(usize, u8)> {
    match rest {
        [b'\\', b'/', ..] => Some((2, b'/')),
        [b'%', b'2', b'B' | b'b', ..] => Some((3, b'+')),
        [b'%', b'2', b'F' | b'f', ..] => Some((3, b'/')),
        [b'%', b'3', b'D' | b'd', ..] => Some((3, b'=')),
        _ => None,
    }
}

/// Standard or URL-safe base64, line breaks ignored, padding optional.
fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() < MIN_BASE64 {
        return None;
    }
    let clean: Cow<[u8]> = if text
        .iter()
        .any(|&b| matches!(b, b'\n' | b'\r' | b'\\' | b'%'))
    {
        // Line breaks dropped, escaped characters undone ([`escaped_base64`]).
        let mut out = Vec::with_capacity(text.len());
        let mut i = 0;
        while i < text.len() {
            match (text[i], escaped_base64(&text[i..])) {
                (b'\n' | b'\r', _) => i += 1,
                (_, Some((k, c))) => {
                    out.push(c);
                    i += k;
                }
                (b, None) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    };
    crate::decode::base64_engine(&clean).decode(&clean).ok()
}

/// A decoded `data:` URI.
struct DataUri {
    bytes: Vec<u8>,
    end: usize,
}

/// The `data:` URI at `s` when it is one (a media type with a `/`, or none, then a
/// comma) and decodes: its bytes, its end, and where its payload starts.
fn data_uri(data: &[u8], s: usize) -> Option<(DataUri, usize)> {
    let head_start = s + 5;
    let head = &data[head_start..(head_start + MAX_MEDIA_TYPE).min(data.len())];
    let comma = memchr::memchr(b',', head)?;
    let media = &head[..comma];
    let media_ok = media.iter().all(|&b| {
        b.is_ascii_alphanumeric() || matches!(b, b'/' | b';' | b'=' | b'-' | b'+' | b'.' | b'_')
    }) && (media.is_empty() || media.split(|&b| b == b';').next()?.contains(&b'/'));
    if !media_ok {
        return None;
    }
    let payload = head_start + comma + 1;
    let base64 = media.to_ascii_lowercase().ends_with(b";base64");
    let end = payload
        + data[payload..]
            .iter()
            .take_while(|&&b| {
                if base64 {
                    is_base64_byte(b) || b == b'=' || b == b'%'
                } else {
                    !matches!(b, b'"' | b'\'' | b'`' | b')' | b'<' | b'>')
                        && !b.is_ascii_whitespace()
                }
            })
            .count();
    if end == payload {
        return None;
    }
    let text = std::str::from_utf8(&data[s..end]).ok()?;
    let (bytes, _) = data_url::DataUrl::process(text)
        .ok()?
        .decode_to_vec()
        .ok()?;
    (!bytes.is_empty()).then_some((DataUri { bytes, end }, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_found_named_and_spanned() {
        let gz = {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(b"const k = 1;\n".repeat(4).as_slice()).unwrap();
            e.finish().unwrap()
        };
        let b64 = base64::engine::general_purpose::STANDARD.encode(&gz);
        let page = format!(
            "<!DOCTYPE html>\n<p>x</p><script src=\"data:text/javascript,let%20b\"></script>\n<SCRIPT type=module>\nlet a = 1;\n</script>\n<img src=\"data:text/plain,hi%20there\">\n<i>{b64}</i>\n//# sourceMappingURL=data:application/json;base64,e30=\n"
        );
        let mut found = Vec::new();
        find(page.as_bytes(), &mut |e| found.push(e));
        let names: Vec<&str> = found.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "data[1]",
                "script[2]",
                "data[2]",
                "base64[1].gz",
                "sourceMappingURL"
            ]
        );
        assert_eq!(&*found[0].bytes, b"let b");
        assert_eq!(
            found[1].what,
            What::Script {
                line: 3,
                column: 21
            }
        );
        assert_eq!(&*found[1].bytes, b"\nlet a = 1;\n");
        assert_eq!(&*found[2].bytes, b"hi there");
        assert_eq!(&*found[4].bytes, b"{}");
        assert_eq!(
            &page.as_bytes()[found[3].start..found[3].end],
            b64.as_bytes()
        );
        // Not a page: scripts are text like any other; `data:` keys of objects
        // are no URIs.
        for text in [
            &b"x = {data:e,type:t}; '<script>a</script>'"[..],
            b"H4sIAAAA",
        ] {
            find(text, &mut |e| panic!("{}", e.name));
        }
    }
}
