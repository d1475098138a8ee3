//! Placeholder judgement: is the body of a secret-shaped match a real key, or
//! documentation, a template, an identifier or a dummy? Placeholders are counted
//! in the stats, never reported.

/// Words that only a human writes into a key-shaped string.
const DUMMY_WORDS: &[&str] = &[
    "xxxx",
    "example",
    "placeholder",
    "your",
    "redacted",
    "dummy",
    "sample",
    "changeme",
    "replace",
    "fake",
    "notreal",
    "insert",
    "secret",
    "apikey",
];

/// Shannon entropy in bits per byte.
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Why a body is a placeholder, or `None` for a body that looks like a real key.
pub fn placeholder_reason(body: &str) -> Option<&'static str> {
    let b = body.as_bytes();
    if b.is_empty() {
        return Some("empty body");
    }
    let lower = body.to_ascii_lowercase();
    if DUMMY_WORDS.iter().any(|w| lower.contains(w)) {
        return Some("placeholder word");
    }
    let mut seen = [false; 256];
    let distinct = b
        .iter()
        .filter(|&&c| !std::mem::replace(&mut seen[c as usize], true))
        .count();
    if distinct < 6 {
        return Some("repeated characters");
    }
    if b.len() > 1 {
        let steps = b.windows(2).filter(|w| w[0].abs_diff(w[1]) == 1).count();
        if steps * 10 >= (b.len() - 1) * 6 {
            return Some("sequence");
        }
    }
    if (1..=8).any(|p| b.len() >= 2 * p && b.iter().skip(p).zip(b).all(|(x, y)| x == y)) {
        return Some("repeated pattern");
    }
    if entropy(b) < 3.0 {
        return Some("low entropy");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judges_placeholders() {
        for body in [
            "xxxxxxxxxxxxxxxxxxxx",
            "aaaaaaaaaaaaaaaaaaaaaaaa",
            "abcdefghijklmnopqrstuvwx",
            "12345678901234567890",
            "0123456789abcdefghij",
            "zyxwvutsrqponmlkjihgfedc",
            "ab12cd34ab12cd34ab12cd34",
            "YOURKEYHEREYOURKEYHERE",
            "aabbccddeeffaabbccddeeff",
        ] {
            assert!(
                placeholder_reason(body).is_some(),
                "{body} should be a placeholder"
            );
        }
    }

    #[test]
    fn accepts_random_bodies() {
        for body in [
            "Zk3q9WmP2xLr7Tb4Nv8Hc1Yd",
            "R8dK2mQx7LpW4nZt9BvC3hJs5F",
            "a8F3kL0pQ9zX2mN7vB4cR1tY",
        ] {
            assert_eq!(placeholder_reason(body), None, "{body}");
        }
    }

    #[test]
    fn entropy_bounds() {
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
    }
}
