//! One GET: redirects within the origin, the address policy of [`Guard`] at every
//! connection, `Content-Encoding` undone (gzip, deflate, br, zstd, stacked) with the
//! same byte cap on what arrives and on what it decodes to.
//!
//! ureq 3 can decode gzip and br itself (its `gzip`/`brotli` features, with the
//! limit counted after decoding), but not `deflate`, `zstd` nor stacked encodings
//! (`Content-Encoding: gzip, br`), so one decoder chain of our own handles all of
//! them the same way.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::guard::{Guard, GuardedResolver};
use crate::units::human_bytes;

/// Redirects followed for one request (same origin only).
const MAX_REDIRECTS: usize = 5;

/// Content codings stacked on one response at most.
const MAX_CODINGS: usize = 4;

/// What we ask servers for.
pub const ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

pub struct Fetched {
    /// Where the body came from, after redirects.
    pub url: Url,
    /// Decoded.
    pub body: Vec<u8>,
    /// The `SourceMap` / `X-SourceMap` header.
    pub source_map: Option<String>,
}

/// Why nothing was fetched.
pub enum Miss {
    /// On purpose (policy): a note for a linked resource.
    Skipped(String),
    /// Asked-for content that could not be read (in full): an error.
    Failed(String),
    /// The server answered 4xx: not there, or not for us.
    Status(u16),
}

pub struct Fetcher {
    agent: ureq::Agent,
    max_bytes: u64,
}

impl Fetcher {
    pub fn new(guard: Arc<Guard>, timeout: Duration, max_bytes: u64) -> Fetcher {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            // The address checked is the address connected to: no proxy.
            .proxy(None)
            .timeout_connect(Some(timeout))
            .timeout_recv_response(Some(timeout))
            .timeout_recv_body(Some(timeout))
            .user_agent(concat!("qrcp-scan/", env!("CARGO_PKG_VERSION")))
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::default(),
            GuardedResolver(guard),
        );
        Fetcher { agent, max_bytes }
    }

    /// GET `url`, following redirects within its origin.
    pub fn get(&self, url: &Url) -> Result<Fetched, Miss> {
        let mut url = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let mut resp = match self
                .agent
                .get(url.as_str())
                .header("Accept-Encoding", ACCEPT_ENCODING)
                .call()
            {
                Ok(r) => r,
                Err(ureq::Error::Io(e)) if e.kind() == io::ErrorKind::PermissionDenied => {
                    return Err(Miss::Skipped(e.to_string()));
                }
                Err(e) => return Err(Miss::Failed(describe(&e))),
            };
            let status = resp.status().as_u16();
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            if (300..400).contains(&status) {
                let Some(next) = header("location").and_then(|l| url.join(&l).ok()) else {
                    return Err(Miss::Failed(format!(
                        "HTTP {status} without a usable Location"
                    )));
                };
                if next.origin() != url.origin() {
                    return Err(Miss::Skipped(format!(
                        "redirects to another origin ({next}): not followed"
                    )));
                }
                url = without_fragment(next);
                continue;
            }
            if (400..500).contains(&status) {
                return Err(Miss::Status(status));
            }
            if status >= 500 {
                return Err(Miss::Failed(format!("HTTP {status}")));
            }
            let source_map = header("sourcemap").or_else(|| header("x-sourcemap"));
            let codings = content_codings(resp.headers().get_all("content-encoding"));
            let body = read_decoded(resp.body_mut().as_reader(), &codings, self.max_bytes)
                .map_err(|e| Miss::Failed(e.describe(self.max_bytes)))?;
            return Ok(Fetched {
                url,
                body,
                source_map,
            });
        }
        Err(Miss::Failed(format!("more than {MAX_REDIRECTS} redirects")))
    }
}

pub fn without_fragment(mut u: Url) -> Url {
    u.set_fragment(None);
    u
}

fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(what) => format!("timed out ({what})"),
        ureq::Error::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused => {
            "connection refused".into()
        }
        other => other.to_string(),
    }
}

/// The codings of `Content-Encoding` headers, in the order they were applied,
/// lower case, without `identity`.
pub fn content_codings<'a>(
    values: impl IntoIterator<Item = &'a ureq::http::HeaderValue>,
) -> Vec<String> {
    values
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect()
}

#[derive(Debug)]
pub enum BodyError {
    /// More than the cap arrived.
    Large,
    /// It decodes to more than the cap.
    Bomb(String),
    Unsupported(String),
    Io(String, io::Error),
}

impl BodyError {
    fn describe(&self, cap: u64) -> String {
        let cap = human_bytes(cap);
        match self {
            BodyError::Large => format!("not scanned: larger than --max-file-size ({cap})"),
            BodyError::Bomb(c) => format!(
                "not scanned: Content-Encoding {c} decodes to more than --max-file-size ({cap}), stopped there"
            ),
            BodyError::Unsupported(c) => format!("not scanned: unsupported Content-Encoding {c}"),
            BodyError::Io(c, e) if c.is_empty() => e.to_string(),
            BodyError::Io(c, e) => format!("not scanned: corrupt {c} body ({e})"),
        }
    }
}

/// Counts what goes through and refuses more than its cap (the wire bytes).
struct Capped<R> {
    inner: R,
    left: u64,
    over: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // One byte more than the cap tells "exactly the cap" from "more".
        let room = usize::try_from(self.left.saturating_add(1)).unwrap_or(usize::MAX);
        let want = buf.len().min(room);
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            self.over = true;
            return Err(io::Error::other("over the cap"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Reads a body of at most `cap` bytes on the wire, undoes `codings` (applied in
/// that order), and returns at most `cap` decoded bytes; never holds more.
pub fn read_decoded(raw: impl Read, codings: &[String], cap: u64) -> Result<Vec<u8>, BodyError> {
    const KNOWN: &[&str] = &["gzip", "x-gzip", "deflate", "br", "zstd"];
    if codings.len() > MAX_CODINGS {
        return Err(BodyError::Unsupported(codings.join(", ")));
    }
    if let Some(c) = codings.iter().find(|c| !KNOWN.contains(&c.as_str())) {
        return Err(BodyError::Unsupported(c.clone()));
    }
    let mut wire = Capped {
        inner: raw,
        left: cap,
        over: false,
    };
    let result = (|| {
        let mut wire = BufReader::new(&mut wire);
        // An empty body (a 204, or a HEAD-like answer) keeps its Content-Encoding
        // header but has nothing to decode.
        if wire.fill_buf()?.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let mut reader: Box<dyn Read + '_> = Box::new(wire);
        for c in codings.iter().rev() {
            reader = match c.as_str() {
                "gzip" | "x-gzip" => Box::new(flate2::read::MultiGzDecoder::new(reader)),
                "deflate" => deflate(reader),
                "br" => Box::new(brotli_decompressor::Decompressor::new(reader, 64 * 1024)),
                _ => zstd(reader, cap)?,
            };
        }
        read_capped(reader, cap)
    })();
    match result {
        _ if wire.over => Err(BodyError::Large),
        Ok(Some(body)) => Ok(body),
        Ok(None) if codings.is_empty() => Err(BodyError::Large),
        Ok(None) => Err(BodyError::Bomb(codings.join(", "))),
        Err(e) => Err(BodyError::Io(codings.join(", "), e)),
    }
}

/// `deflate` as servers send it: zlib (RFC 1950) as the standard says, or a raw
/// deflate stream (RFC 1951) as some send; browsers accept both.
fn deflate<'a>(r: Box<dyn Read + 'a>) -> Box<dyn Read + 'a> {
    let mut r = BufReader::new(r);
    let zlib = match r.fill_buf() {
        Ok([cmf, flg, ..]) => cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0,
        _ => false,
    };
    if zlib {
        Box::new(flate2::read::ZlibDecoder::new(r))
    } else {
        Box::new(flate2::read::DeflateDecoder::new(r))
    }
}

/// A zstd stream whose window (the memory the decoder takes, declared by the
/// frame) is no larger than the cap, within zstd's own limits (1 KiB to 128 MiB).
fn zstd<'a>(r: Box<dyn Read + 'a>, cap: u64) -> io::Result<Box<dyn Read + 'a>> {
    let log = (64 - cap.max(1).leading_zeros()).clamp(10, 27);
    let mut d = zstd::stream::read::Decoder::new(r)?;
    d.window_log_max(log)?;
    Ok(Box::new(d))
}

/// Reads to the end, `None` past `cap` bytes; the buffer never grows past `cap`.
fn read_capped(mut r: impl Read, cap: u64) -> io::Result<Option<Vec<u8>>> {
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut out: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(Some(out)),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n > cap - out.len() {
            return Ok(None);
        }
        if out.capacity() - out.len() < n {
            let want = out.capacity().saturating_mul(2).max(out.len() + n).min(cap);
            out.reserve_exact(want - out.len());
        }
        out.extend_from_slice(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn codings(s: &[&str]) -> Vec<String> {
        s.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn decodes_each_coding_and_stacks() {
        let text = b"<script src=/a.js></script>".repeat(100);
        assert_eq!(
            read_decoded(&gzip(&text)[..], &codings(&["gzip"]), 1 << 20).unwrap(),
            text
        );
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&text).unwrap();
        let z = z.finish().unwrap();
        assert_eq!(
            read_decoded(&z[..], &codings(&["deflate"]), 1 << 20).unwrap(),
            text
        );
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        d.write_all(&text).unwrap();
        let d = d.finish().unwrap();
        assert_eq!(
            read_decoded(&d[..], &codings(&["deflate"]), 1 << 20).unwrap(),
            text
        );
        // gzip applied first, then deflate (raw): undone in reverse.
        let z = zstd::encode_all(&text[..], 3).unwrap();
        assert_eq!(
            read_decoded(&z[..], &codings(&["zstd"]), 1 << 20).unwrap(),
            text
        );
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        d.write_all(&gzip(&text)).unwrap();
        let stacked = d.finish().unwrap();
        assert_eq!(
            read_decoded(&stacked[..], &codings(&["gzip", "deflate"]), 1 << 20).unwrap(),
            text
        );
    }

    proptest::proptest! {
        /// Random bodies under random codings: an answer or an error, never more
        /// than the cap, never a panic.
        #[test]
        fn random_bodies_stay_under_the_cap(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4096),
            cs in proptest::collection::vec(
                proptest::sample::select(vec!["gzip", "deflate", "br", "x-gzip", "zstd"]),
                0..3,
            ),
            cap in 0u64..8192,
        ) {
            let cs: Vec<String> = cs.into_iter().map(String::from).collect();
            if let Ok(body) = read_decoded(&data[..], &cs, cap) {
                proptest::prop_assert!(body.len() as u64 <= cap);
            }
            // The same bytes compressed first decode back (within the cap).
            let packed = gzip(&data);
            match read_decoded(&packed[..], &codings(&["gzip"]), cap) {
                Ok(body) => proptest::prop_assert_eq!(body, data),
                Err(BodyError::Large | BodyError::Bomb(_)) => {
                    proptest::prop_assert!(data.len() as u64 > cap || packed.len() as u64 > cap)
                }
                Err(e) => proptest::prop_assert!(false, "{e:?}"),
            }
        }
    }

    #[test]
    fn caps_what_arrives_and_what_it_decodes_to() {
        let zeros = vec![0u8; 1 << 20];
        assert!(matches!(
            read_decoded(&gzip(&zeros)[..], &codings(&["gzip"]), 10_000),
            Err(BodyError::Bomb(_))
        ));
        assert!(matches!(
            read_decoded(&zeros[..], &[], 1000),
            Err(BodyError::Large)
        ));
        // A zstd frame whose window is larger than the cap is refused before its
        // window is allocated; one within it stops at the cap.
        let z = zstd::encode_all(&zeros[..], 3).unwrap();
        assert!(matches!(
            read_decoded(&z[..], &codings(&["zstd"]), 10_000),
            Err(BodyError::Io(..))
        ));
        let z = zstd::encode_all(&vec![0u8; 16 << 20][..], 3).unwrap();
        assert!(matches!(
            read_decoded(&z[..], &codings(&["zstd"]), 4 << 20),
            Err(BodyError::Bomb(_))
        ));
        assert_eq!(read_decoded(&zeros[..1000], &[], 1000).unwrap().len(), 1000);
        assert_eq!(
            read_decoded(&b""[..], &codings(&["gzip", "br"]), 1000).unwrap(),
            b""
        );
        assert!(matches!(
            read_decoded(&b"not gzip"[..], &codings(&["gzip"]), 1000),
            Err(BodyError::Io(..))
        ));
        assert!(matches!(
            read_decoded(&b"x"[..], &codings(&["compress"]), 1000),
            Err(BodyError::Unsupported(_))
        ));
        let mut r = &zeros[..];
        let got = read_capped(&mut r, 300_000).unwrap();
        assert!(got.is_none());
        let got = read_capped(&zeros[..200_000], 300_000).unwrap().unwrap();
        assert!(got.capacity() <= 300_000);
    }
}
