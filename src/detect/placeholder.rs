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

/// Shannon entropy in bits per byte: `log2 n - Σ c·log2 c / n` over the
/// byte counts `c`, with `c·log2 c` read from a table for the counts a key's
/// body has (a `log2` call per distinct byte was a tenth of a scan of a file of
/// keys).
pub fn entropy(bytes: &[u8]) -> f64 {
    static C_LOG_C: std::sync::OnceLock<[f64; 256]> = std::sync::OnceLock::new();
    if bytes.is_empty() {
        return 0.0;
    }
    let table = C_LOG_C.get_or_init(|| std::array::from_fn(|c| c as f64 * (c as f64).log2()));
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    let sum: f64 = counts
        .iter()
        .filter(|&&c| c > 1)
        .map(|&c| match table.get(c as usize) {
            Some(&v) => v,
            None => f64::from(c) * f64::from(c).log2(),
        })
        .sum();
    (n.log2() - sum / n).max(0.0)
}

/// Whether `body` holds `word` (lowercase) as a person writes it: in one case
/// (`your`, `YOUR`, `Your`), and a word of four letters or fewer also at a word's
/// edge (the body's ends, a byte that is not a letter or digit, a camel-case
/// hump). Twenty-four random letters and digits hold `yoUR` or `fAKe` about once
/// in 15,000 keys, and such a key is a real one; `your` in one case at an edge,
/// about once in a million.
fn has_word(body: &[u8], word: &[u8]) -> bool {
    let n = word.len();
    let hump = |a: u8, b: u8| a.is_ascii_lowercase() && b.is_ascii_uppercase();
    let edge = |at: usize| {
        at == 0
            || at == body.len()
            || !body[at - 1].is_ascii_alphanumeric()
            || !body[at].is_ascii_alphanumeric()
            || hump(body[at - 1], body[at])
    };
    // Every spelling starts with the word's first letter in one case or the
    // other: the comparisons run only there (a file of keys compared every
    // window of every body with each word, a `memcmp` call each).
    let (first, upper) = (word[0], word[0].to_ascii_uppercase());
    body.windows(n).enumerate().any(|(at, w)| {
        if w[0] != first && w[0] != upper {
            return false;
        }
        let one_case = w == word
            || w.iter().all(u8::is_ascii_uppercase) && w.eq_ignore_ascii_case(word)
            || w[0] == upper && w[1..] == word[1..];
        one_case && (n > 4 || edge(at) || edge(at + n))
    })
}

/// Why a body is a placeholder, or `None` for a body that looks like a real key.
pub fn placeholder_reason(body: &str) -> Option<&'static str> {
    let b = body.as_bytes();
    if b.is_empty() {
        return Some("empty body");
    }
    // Only the words whose first letter the body holds, in either case.
    let mut letters = [false; 256];
    for &c in b {
        letters[usize::from(c.to_ascii_lowercase())] = true;
    }
    if DUMMY_WORDS
        .iter()
        .any(|w| letters[usize::from(w.as_bytes()[0])] && has_word(b, w.as_bytes()))
    {
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
            "your_key_goes_here_123",
            "abc_YOUR_KEY_HERE_12345",
            "MyFakeKeyForTests12345",
            "k3q9W2xLr7Tb4Nv8Hc1Ydyour",
            "k3q9W2xExampleLr7Tb4Nv8Hc",
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
            // A dummy word in mixed case, or a short one inside random text.
            "Q7zHe1Ol8VsFczyoURqDaxKh",
            "Q7zHe1Ol8VsFczyourqaxKh2",
            "Q7zHe1Ol8VsFCFAKEzDaxKh2",
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
        // The table's sum is the definition's, for short bodies and long.
        let direct = |b: &[u8]| {
            let mut counts = [0u32; 256];
            b.iter().for_each(|&c| counts[usize::from(c)] += 1);
            let n = b.len() as f64;
            counts
                .iter()
                .filter(|&&c| c > 0)
                .map(|&c| -(f64::from(c) / n) * (f64::from(c) / n).log2())
                .sum::<f64>()
        };
        let mut x = 1u32;
        for len in [1, 2, 7, 24, 40, 300, 1000] {
            let body: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    b"aabcdefghXYZ0123"[(x >> 16) as usize % 16]
                })
                .collect();
            assert!((entropy(&body) - direct(&body)).abs() < 1e-9, "{len}");
        }
    }
}
