//! Base85 in its two common alphabets: RFC 1924's (Python's `b85encode`, git's
//! binary patches, Mercurial) and Ascii85 (Python's `a85encode`, Adobe's
//! `<~…~>`, with `z` for four zero bytes). Five characters encode four bytes as
//! one number, so a character is fixed only where its whole group is the
//! keyword's: the triggers are the keyword's whole groups at each of the four
//! byte alignments, and the decoder starts a group or two before the trigger,
//! where the keyword's first bytes are.

use super::Layer;
use super::region::Region;

const RFC1924: &[u8; 85] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";
/// Each byte's value in [`RFC1924`]'s alphabet (85: none): every character of
/// a run is looked up, and a search of the alphabet was 85 compares a byte.
const RFC1924_VALUE: [u8; 256] = {
    let mut t = [85u8; 256];
    let mut i = 0;
    while i < RFC1924.len() {
        t[RFC1924[i] as usize] = i as u8;
        i += 1;
    }
    t
};
/// Characters of one group: five encode four bytes.
pub(super) const GROUP: usize = 5;
/// Base85 characters decoded from one candidate.
const MAX_CHARS: usize = 8192;
/// Bytes read back from the trigger for the start of its run (and the quote
/// before it).
const BEFORE: usize = 512;
/// Whole groups decoded before the trigger's own: the keyword's first bytes
/// are in the one before, a nested layer's lead may be in the one before that.
const BACK_GROUPS: usize = 2;

/// Which alphabet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    Rfc1924,
    Ascii85,
}

impl Alphabet {
    fn value(self, b: u8) -> Option<u32> {
        match self {
            Alphabet::Ascii85 => (b'!'..=b'u').contains(&b).then(|| u32::from(b - b'!')),
            Alphabet::Rfc1924 => match RFC1924_VALUE[usize::from(b)] {
                85 => None,
                v => Some(u32::from(v)),
            },
        }
    }

    fn digit(self, v: u32) -> u8 {
        match self {
            Alphabet::Ascii85 => b'!' + v as u8,
            Alphabet::Rfc1924 => RFC1924[v as usize],
        }
    }
}

/// `bytes` in base85, whole groups only (a last partial group is left out).
pub(super) fn encode(bytes: &[u8], a: Alphabet) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() / 4 * GROUP);
    for g in bytes.chunks_exact(4) {
        let mut n = u32::from_be_bytes([g[0], g[1], g[2], g[3]]);
        let mut digits = [0u8; GROUP];
        for d in digits.iter_mut().rev() {
            *d = a.digit(n % 85);
            n /= 85;
        }
        out.extend_from_slice(&digits);
    }
    out
}

/// The characters that encode `kw`'s whole groups, at each of the four byte
/// alignments where it has one, in both alphabets.
pub(super) fn forms(kw: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for a in [Alphabet::Rfc1924, Alphabet::Ascii85] {
        for align in 0..4 {
            // The keyword's first byte is `align` bytes into a group: its
            // first whole group starts where the next one does.
            let first = (4 - align) % 4;
            let enc = encode(kw.get(first..).unwrap_or_default(), a);
            if !enc.is_empty() {
                out.push(enc);
            }
        }
    }
    out
}

/// Base85 around the trigger at `at` (a group's start), from up to
/// [`BACK_GROUPS`] whole groups before it, as far as the run goes.
pub(super) fn decode(data: &[u8], at: usize, a: Alphabet) -> Option<Region> {
    // Ascii85's `z` stands for a whole group: not a digit.
    let digit = |b: u8| a.value(b).is_some() && !(a == Alphabet::Ascii85 && b == b'z');
    let mut g = at.min(data.len());
    for _ in 0..BACK_GROUPS {
        match g.checked_sub(GROUP) {
            Some(s) if data[s..g].iter().all(|&b| digit(b)) => g = s,
            _ => break,
        }
    }
    let mut limit = (g + MAX_CHARS).min(data.len());
    // Ascii85's digits hold the quotes: a run in a string literal would read
    // its closing quote as one (and a key's last characters wrong). A quote
    // that ends the run, where the same quote is before it on its line, is
    // taken for the literal's.
    let end = g + data[g..limit]
        .iter()
        .take_while(|&&b| a.value(b).is_some())
        .count();
    if end > g
        && (end < limit || end == data.len())
        && let q @ (b'"' | b'\'' | b'`') = data[end - 1]
    {
        let lo = g.saturating_sub(BEFORE);
        let line = memchr::memrchr(b'\n', &data[lo..g]).map_or(lo, |i| lo + i + 1);
        if memchr::memrchr(q, &data[line..g]).is_some() {
            limit = end - 1;
        }
    }
    let mut r = Region::new(Layer::Base85, g);
    let mut i = g;
    while i < limit {
        // Ascii85's `z`: four zero bytes, where a group would start.
        if a == Alphabet::Ascii85 && data[i] == b'z' {
            for _ in 0..4 {
                r.push(0, i);
            }
            i += 1;
            continue;
        }
        let n = data[i..limit]
            .iter()
            .take(GROUP)
            .take_while(|&&b| digit(b))
            .count();
        if n < 2 {
            break;
        }
        // A last partial group is padded with the highest digit and gives a
        // byte less than its characters.
        let mut v: u64 = 0;
        for k in 0..GROUP {
            let d = if k < n { a.value(data[i + k])? } else { 84 };
            v = v * 85 + u64::from(d);
        }
        let Ok(v) = u32::try_from(v) else {
            break;
        };
        for (k, b) in v.to_be_bytes().into_iter().take(n - 1).enumerate() {
            r.push(b, i + k);
        }
        i += n;
        if n < GROUP {
            break;
        }
    }
    if i < limit || limit == data.len() {
        r.run = Some(g..i);
    }
    r.finish(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Python's `base64.b85encode(b"hello world!")` and `a85encode`.
    #[test]
    fn encodes_and_decodes_as_python_does() {
        for (a, want) in [
            (Alphabet::Rfc1924, &b"Xk~0{Zy<MXa%^NF"[..]),
            (Alphabet::Ascii85, b"BOu!rD]j7BEbo80"),
        ] {
            assert_eq!(encode(b"hello world!", a), want);
            let r = decode(want, 0, a).unwrap();
            assert_eq!(r.bytes, b"hello world!");
        }
        // A last partial group, and Ascii85's `z`.
        let r = decode(b"Xk~0{Zy<MXa%^NFcm", 0, Alphabet::Rfc1924).unwrap();
        assert_eq!(r.bytes, b"hello world!x");
        let r = decode(b"zBOu!r", 0, Alphabet::Ascii85).unwrap();
        assert_eq!(r.bytes, b"\0\0\0\0hell");
        assert!(decode(b"~", 0, Alphabet::Ascii85).is_none());
    }

    /// A run in a string literal ends before the literal's closing quote,
    /// which Ascii85 would read as a digit.
    #[test]
    fn a_quoted_run_ends_before_its_quote() {
        // Two bytes past whole groups: the last group is partial.
        let key = b"text in a string literal, ending in YZ";
        let enc = encode(&[&key[..], b"\0\0"].concat(), Alphabet::Ascii85);
        let enc = &enc[..enc.len() - 2];
        for q in [b'"', b'\'', b'`'] {
            let text = [&b"DATA = "[..], &[q], enc, &[q, b'\n']].concat();
            let r = decode(&text, 8, Alphabet::Ascii85).unwrap();
            assert_eq!(r.bytes, key, "{}", q as char);
        }
    }

    /// A group worth more than 32 bits ends the run, with no panic.
    #[test]
    fn an_overflowing_group_ends_the_run() {
        let r = decode(b"BOu!r~~~~~", 0, Alphabet::Rfc1924);
        assert!(r.is_some_and(|r| r.bytes.len() <= 4));
        assert!(decode(b"|||||", 0, Alphabet::Rfc1924).is_none());
    }

    #[test]
    fn each_alignment_has_a_form_decoded_back() {
        let kw = b"qrcp_live_";
        let forms = forms(kw);
        assert_eq!(forms.len(), 8);
        for (i, form) in forms.iter().enumerate() {
            let (a, align) = match i / 4 {
                0 => (Alphabet::Rfc1924, i % 4),
                _ => (Alphabet::Ascii85, i % 4),
            };
            let text = [&b"xyzw"[..align], kw, b"Ab3xCd"].concat();
            let enc = encode(&text, a);
            let at = memchr::memmem::find(&enc, form).unwrap();
            assert_eq!(at % GROUP, 0, "{i}");
            let r = decode(&enc, at, a).unwrap();
            let k = memchr::memmem::find(&r.bytes, kw).unwrap();
            assert_eq!(r.phys(k), k / 4 * GROUP + k % 4, "{i}");
        }
    }
}
