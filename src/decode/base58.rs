//! Base58 (Bitcoin's alphabet: no `0`, `O`, `I` or `l`; CyberChef's "To
//! Base58", Python's `base58.b58encode`): a number in base 58, not groups of
//! bits, so no character of it is the keyword's alone and there is no trigger.
//! A whole run of its alphabet that does not read as base64 is read as a
//! number ([`super::runs::views`]), where it is as short as a key's encoding is.

use super::Layer;
use super::region::Region;

const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Characters of a run read as base58 (117 bytes): a key with a line's worth
/// of text around it, and a number's decoding costs its length squared.
pub(super) const MAX_CHARS: usize = 160;
/// The fewest characters read: a run is that long or longer
/// ([`super::runs::MIN_RUN`]), the base58 of 36 bytes (a key with a body of
/// 26 characters alone, or a shorter one with `key=` before it).
pub(super) const MIN_CHARS: usize = super::runs::MIN_RUN;

/// Per byte, its value plus one (0 for a byte outside the alphabet).
const VALUES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 58 {
        t[ALPHABET[i] as usize] = i as u8 + 1;
        i += 1;
    }
    t
};

/// Whether every byte of `run` is in the alphabet.
pub(super) fn all_base58(run: &[u8]) -> bool {
    run.iter().all(|&b| VALUES[usize::from(b)] != 0)
}

/// The number `data[at..end]` spells, as bytes (a leading `1` is a zero byte),
/// each mapped to the run's characters in proportion; `None` if the run is
/// not all base58 or not within [`MIN_CHARS`]..=[`MAX_CHARS`].
pub(super) fn decode(data: &[u8], at: usize, end: usize) -> Option<Region> {
    let run = data.get(at..end)?;
    if !(MIN_CHARS..=MAX_CHARS).contains(&run.len()) || !all_base58(run) {
        return None;
    }
    // Little-endian 32-bit limbs, five characters at a time (58^5 < 2^32).
    let mut limbs: Vec<u32> = Vec::with_capacity(run.len() / 5 + 1);
    for chunk in run.chunks(5) {
        let (mut mul, mut add) = (1u64, 0u64);
        for &b in chunk {
            mul *= 58;
            add = add * 58 + u64::from(VALUES[usize::from(b)] - 1);
        }
        let mut carry = add;
        for limb in limbs.iter_mut() {
            let v = u64::from(*limb) * mul + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    let zeros = run.iter().take_while(|&&b| b == b'1').count();
    let mut bytes: Vec<u8> = limbs.iter().rev().flat_map(|l| l.to_be_bytes()).collect();
    let lead = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.drain(..lead);
    let mut out = vec![0u8; zeros];
    out.extend(bytes);
    let n = out.len();
    let mut r = Region::new(Layer::Base58, at);
    for (i, b) in out.into_iter().enumerate() {
        r.push(b, at + i * run.len() / n.max(1));
    }
    r.finish(end)
}

/// Base58 as Bitcoin spells it, by long division (the reference the limbs
/// are checked against, and the tests' encoder).
#[cfg(test)]
pub(super) fn encode(bytes: &[u8]) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    let mut digits: Vec<u8> = Vec::new();
    let mut num: Vec<u8> = bytes[zeros..].to_vec();
    while !num.is_empty() {
        let mut rem = 0u32;
        let mut next = Vec::with_capacity(num.len());
        for &b in &num {
            let v = rem * 256 + u32::from(b);
            let q = v / 58;
            rem = v % 58;
            if !(next.is_empty() && q == 0) {
                next.push(q as u8);
            }
        }
        digits.push(ALPHABET[rem as usize]);
        num = next;
    }
    let mut out = vec![b'1'; zeros];
    out.extend(digits.iter().rev());
    out
}
