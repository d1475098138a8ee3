//! Base32 (RFC 4648, upper-case, as Python's `b32encode`, TOTP secrets and
//! Go's `base32.StdEncoding` write it): the triggers that give a keyword away
//! at each of its five byte alignments, and the decoder of a run around one.

use super::Layer;
use super::region::Region;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Characters of one group: eight encode five bytes.
pub(super) const GROUP: usize = 8;
/// Base32 characters decoded from one candidate: as base64's
/// ([`super::b64`]), three steps of a long run and a KiB.
const MAX_CHARS: usize = 3 * super::runs::STEP + 1024;

/// A character's value; letters in the case the run's first letter has (Python's
/// `b32encode(…).lower()`, some TOTP apps), not both in one run.
fn value(b: u8, lower: bool) -> Option<u8> {
    match b {
        b'A'..=b'Z' if !lower => Some(b - b'A'),
        b'a'..=b'z' if lower => Some(b - b'a'),
        b'2'..=b'7' => Some(b - b'2' + 26),
        _ => None,
    }
}

/// `bytes` in base32, without padding (a last partial character included).
pub(super) fn encode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize]);
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize]);
    }
    out
}

/// The characters that encode `kw` alone, at each of the five byte alignments,
/// with their offset in the 8-character group (forms shorter than eight
/// characters would match too much and are left out).
pub(super) fn forms(kw: &[u8]) -> Vec<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    for align in 0..5 {
        let mut buf = vec![0u8; align];
        buf.extend_from_slice(kw);
        let enc = encode(&buf);
        // Characters whose five bits all come from the keyword.
        let first = (align * 8).div_ceil(5);
        let last = (align + kw.len()) * 8 / 5;
        if last >= first + 8 {
            out.push((enc[first..last].to_vec(), first));
        }
    }
    out
}

/// Base32 from the 8-character group that holds the trigger at `at` (`lead`
/// characters into it), as far as the run goes (padding ends it).
pub(super) fn decode(data: &[u8], at: usize, lead: usize) -> Option<Region> {
    let g = at.checked_sub(lead)?;
    let limit = (g + MAX_CHARS).min(data.len());
    let lower = data[g..limit]
        .iter()
        .find(|b| b.is_ascii_alphabetic())
        .is_some_and(u8::is_ascii_lowercase);
    let n = data[g..limit]
        .iter()
        .take_while(|&&b| value(b, lower).is_some())
        .count();
    let mut r = Region::new(Layer::Base32, g);
    if g + n < limit || limit == data.len() {
        r.run = Some(g..g + n);
    }
    let (mut acc, mut bits) = (0u32, 0u32);
    for (k, &c) in data[g..g + n].iter().enumerate() {
        acc = (acc << 5) | u32::from(value(c, lower)?);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            // The byte's first bit is in the character it started in.
            let start = (k + 1) * 5 - 8 - bits as usize;
            r.push((acc >> bits) as u8, g + start / 5);
            acc &= (1 << bits) - 1;
        }
    }
    r.finish(g + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_as_rfc_4648() {
        // RFC 4648's test vectors, without their padding.
        for (text, want) in [
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(encode(text.as_bytes()), want.as_bytes());
            let r = decode(want.as_bytes(), 0, 0).unwrap();
            assert_eq!(r.bytes, text.as_bytes());
        }
        assert!(decode(b"a", 0, 0).is_none());
    }

    #[test]
    fn each_alignment_has_a_form_decoded_back() {
        let kw = b"qrcp_live_";
        let forms = forms(kw);
        assert_eq!(forms.len(), 5);
        for (align, (form, lead)) in forms.iter().enumerate() {
            let text = [&b"xyzw"[..align], kw, b"Ab3x"].concat();
            let enc = encode(&text);
            let at = memchr::memmem::find(&enc, form).unwrap();
            assert_eq!(at % GROUP, *lead, "{align}");
            let r = decode(&enc, at, *lead).unwrap();
            let k = memchr::memmem::find(&r.bytes, kw).unwrap();
            assert_eq!(k, align % 5);
            // Each byte maps to the character its first bit is in.
            assert_eq!(r.phys(k), at - lead + k * 8 / 5);
        }
    }
}
