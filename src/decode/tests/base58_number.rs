//! Base58 read as a number: the limbs against long division, at every length
//! a run may have.

use super::super::base58::{MAX_CHARS, MIN_CHARS, decode, encode};
use super::KEY;
use crate::detect::Layer;

#[test]
fn decodes_what_bitcoins_alphabet_spells() {
    // Known vectors (the base58 package's and CyberChef's).
    let run = b"2NEpo7TZRRrLZSi2U";
    assert_eq!(encode(b"Hello World!"), run);
    let text = format!("key: {KEY} and more").into_bytes();
    let text = &text[..];
    let enc = encode(text);
    assert!(enc.len() >= MIN_CHARS);
    let r = decode(&enc, 0, enc.len()).unwrap();
    assert_eq!(r.bytes, text);
    assert_eq!(r.layer, Layer::Base58);
    // Leading zero bytes are leading `1`s.
    let z = encode(&[b"\0\0", KEY.as_bytes()].concat());
    assert!(z.starts_with(b"11") && !z.starts_with(b"111"));
    assert_eq!(&decode(&z, 0, z.len()).unwrap().bytes[..3], b"\0\0q");
    // Outside the alphabet, too short, too long: not read.
    let mut bad = enc.clone();
    bad[3] = b'0';
    assert!(decode(&bad, 0, bad.len()).is_none());
    assert!(decode(&enc[..MIN_CHARS - 1], 0, MIN_CHARS - 1).is_none());
    let long = encode(&[b'q'; 120]);
    assert!(long.len() > MAX_CHARS);
    assert!(decode(&long, 0, long.len()).is_none());
}

#[test]
fn every_length_round_trips() {
    let mut seed = 7u32;
    for n in 30..=MAX_CHARS * 3 / 4 {
        let bytes: Vec<u8> = (0..n)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (seed >> 16) as u8 | 1
            })
            .collect();
        let enc = encode(&bytes);
        if (MIN_CHARS..=MAX_CHARS).contains(&enc.len()) {
            assert_eq!(decode(&enc, 0, enc.len()).unwrap().bytes, bytes, "{n}");
        }
    }
}
