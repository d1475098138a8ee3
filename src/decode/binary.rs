//! Binary digits, eight a byte, most significant bit first: one run of digits
//! (`0111000101110010…`, CyberChef's "To Binary" without a delimiter,
//! `''.join(format(b, '08b') …)`). Read by its shape ([`super::runs`]): a key's
//! digits are 336 in a row, far past the shortest run read. Groups of eight
//! with one space between them (`01110001 01110010…`, CyberChef's default)
//! are read from a trigger, a keyword's start so spelt.

use super::Layer;
use super::region::Region;

/// Digits of one byte.
pub(super) const BITS: usize = 8;
/// Digits decoded from one start (512 bytes, a dozen keys; a longer run is
/// decoded in steps).
const MAX_DIGITS: usize = 4096;

/// The byte the eight binary digits at `data[i..]` spell.
fn byte_at(data: &[u8], i: usize) -> Option<u8> {
    let digits = data.get(i..i.checked_add(BITS)?)?;
    digits.iter().try_fold(0u8, |v, &d| match d {
        b'0' | b'1' => Some(v << 1 | (d - b'0')),
        _ => None,
    })
}

/// `text` spelt in binary digits.
#[cfg(test)]
pub(super) fn spell(text: &[u8]) -> Vec<u8> {
    text.iter()
        .flat_map(|b| format!("{b:08b}").into_bytes())
        .collect()
}

/// The bytes the digits from `at` on spell, eight digits a byte, at most
/// [`MAX_DIGITS`] digits; `None` when not even one byte is there. Groups either
/// follow each other or have one space between them throughout.
pub(super) fn decode(data: &[u8], at: usize) -> Option<Region> {
    let mut r = Region::new(Layer::Binary, at);
    let spaced = data.get(at + BITS) == Some(&b' ');
    let step = BITS + usize::from(spaced);
    let mut i = at;
    let mut end = at;
    while (i - at) / step * BITS < MAX_DIGITS {
        let Some(b) = byte_at(data, i) else {
            break;
        };
        r.push(b, i);
        end = i + BITS;
        if spaced && data.get(end) != Some(&b' ') {
            break;
        }
        i += step;
    }
    r.finish(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelt_bytes_are_read_back() {
        let text = spell(b"qrcp_live_Ab");
        assert_eq!(&text[..8], b"01110001");
        let r = decode(&text, 0).unwrap();
        assert_eq!(r.bytes, b"qrcp_live_Ab");
        assert_eq!(r.end, text.len());
        assert_eq!(r.phys(3), 24);
    }

    #[test]
    fn a_short_group_or_another_character_ends_the_bytes() {
        let r = decode(b"0111000101110010011", 0).unwrap();
        assert_eq!(r.bytes, b"qr");
        let r = decode(b"01110001 01110010 0110", 0).unwrap();
        assert_eq!((r.bytes.as_slice(), r.end), (&b"qr"[..], 17));
        assert_eq!(r.phys(1), 9);
        let r = decode(b"01110001 0111001001100011", 0).unwrap();
        assert_eq!((r.bytes.as_slice(), r.end), (&b"qr"[..], 17));
        let r = decode(b"0111000101110010 01100011", 0).unwrap();
        assert_eq!((r.bytes.as_slice(), r.end), (&b"qr"[..], 16));
        assert!(decode(b"0111000", 0).is_none());
        assert!(decode(b"01112001", 0).is_none());
        assert!(decode(b"", 0).is_none());
        assert!(decode(b"0", 5).is_none());
    }

    #[test]
    fn decoding_is_bounded() {
        let text = b"01110001".repeat(10_000);
        let r = decode(&text, 0).unwrap();
        assert_eq!(r.bytes.len(), MAX_DIGITS / BITS);
        let text = b"01110001 ".repeat(10_000);
        let r = decode(&text, 0).unwrap();
        assert_eq!(r.bytes.len(), MAX_DIGITS / BITS);
    }
}
