//! JavaScript's values and the string array's decodings: what its code computes.

/// A JavaScript string: UTF-16 code units.
pub(super) type JsStr = Vec<u16>;

/// JavaScript's `ToNumber` of a string: blanks trimmed, `0x` hex, decimal,
/// empty is 0, anything else `NaN`.
pub(super) fn to_number(s: &[u16]) -> f64 {
    let text = String::from_utf16_lossy(s);
    let t = text.trim();
    if t.is_empty() {
        return 0.0;
    }
    if let Some(h) = t.strip_prefix("0x").or(t.strip_prefix("0X")) {
        return u64::from_str_radix(h, 16).map_or(f64::NAN, |v| v as f64);
    }
    match t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        true => t.parse().unwrap_or(f64::NAN),
        false => f64::NAN,
    }
}

/// JavaScript's `parseInt(s)` (radix 10, or 16 after `0x`).
pub(super) fn parse_int(s: &[u16]) -> f64 {
    let text = String::from_utf16_lossy(s);
    let t = text.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (t, radix) = match t.strip_prefix("0x").or(t.strip_prefix("0X")) {
        Some(h) => (h, 16),
        None => (t, 10),
    };
    let digits = t
        .bytes()
        .take_while(|b| b.is_ascii_digit() || (radix == 16 && b.is_ascii_hexdigit()))
        .count();
    if digits == 0 {
        return f64::NAN;
    }
    let v = t[..digits].bytes().fold(0.0f64, |v, b| {
        v * f64::from(radix) + f64::from((b as char).to_digit(radix).unwrap_or(0))
    });
    if neg { -v } else { v }
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Val {
    Num(f64),
    Str(JsStr),
}

impl Val {
    pub(super) fn num(&self) -> f64 {
        match self {
            Val::Num(n) => *n,
            Val::Str(s) => to_number(s),
        }
    }
}

/// javascript-obfuscator's base64 alphabet: lower case first.
pub(super) const ALPHABET: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=";

/// The string array's base64 (its alphabet; characters outside it skipped, as
/// its decoder does), then `decodeURIComponent` of the bytes: UTF-8.
pub(super) fn base64(s: &[u16]) -> Option<JsStr> {
    let mut bytes = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut n) = (0u32, 0u32);
    for &u in s {
        let Some(v) = u8::try_from(u)
            .ok()
            .and_then(|c| ALPHABET.iter().position(|&a| a == c))
        else {
            continue;
        };
        if v == 64 {
            break;
        }
        acc = (acc << 6 | v as u32) & 0xffff;
        n += 6;
        if n >= 8 {
            n -= 8;
            bytes.push((acc >> n) as u8);
        }
    }
    Some(std::str::from_utf8(&bytes).ok()?.encode_utf16().collect())
}

/// RC4 of `s`'s code units keyed by `key`'s, as the string array's decoder does it.
pub(super) fn rc4(s: &[u16], key: &[u16]) -> Option<JsStr> {
    if key.is_empty() {
        return None;
    }
    let mut st: Vec<u16> = (0..256).collect();
    let mut j = 0usize;
    for i in 0..256 {
        j = (j + usize::from(st[i]) + usize::from(key[i % key.len()])) % 256;
        st.swap(i, j);
    }
    let (mut i, mut j) = (0usize, 0usize);
    Some(
        s.iter()
            .map(|&c| {
                i = (i + 1) % 256;
                j = (j + usize::from(st[i])) % 256;
                st.swap(i, j);
                c ^ st[(usize::from(st[i]) + usize::from(st[j])) % 256]
            })
            .collect(),
    )
}
