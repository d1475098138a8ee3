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
    // The bytes present, a bit each: the sum runs over those (in byte order,
    // as over all 256 counts), not over every count (which was most of a
    // key's entropy).
    let mut present = [0u64; 4];
    for &b in bytes {
        counts[usize::from(b)] += 1;
        present[usize::from(b >> 6)] |= 1 << (b & 63);
    }
    let n = bytes.len() as f64;
    let mut sum = 0.0;
    for (k, mut bits) in present.into_iter().enumerate() {
        while bits != 0 {
            let c = counts[k * 64 + bits.trailing_zeros() as usize];
            bits &= bits - 1;
            if c > 1 {
                sum += match table.get(c as usize) {
                    Some(&v) => v,
                    None => f64::from(c) * f64::from(c).log2(),
                };
            }
        }
    }
    (n.log2() - sum / n).max(0.0)
}

/// Whether `body` holds `word` (lowercase) at `at` as a person writes it: in
/// one case (`your`, `YOUR`, `Your`), and a word of four letters or fewer also
/// at a word's edge (the body's ends, a byte that is not a letter or digit, a
/// camel-case hump). Twenty-four random letters and digits hold `yoUR` or
/// `fAKe` about once in 15,000 keys, and such a key is a real one; `your` in
/// one case at an edge, about once in a million.
fn word_at(body: &[u8], at: usize, word: &[u8]) -> bool {
    let n = word.len();
    let Some(w) = body.get(at..at + n) else {
        return false;
    };
    let hump = |a: u8, b: u8| a.is_ascii_lowercase() && b.is_ascii_uppercase();
    let edge = |at: usize| {
        at == 0
            || at == body.len()
            || !body[at - 1].is_ascii_alphanumeric()
            || !body[at].is_ascii_alphanumeric()
            || hump(body[at - 1], body[at])
    };
    // Byte loops: a word is a few letters, and a `memcmp` call for each
    // place a first letter is cost more than the comparison. The words are
    // lowercase letters, so upper case is each letter's.
    let same = |a: &[u8], b: &[u8]| a.iter().zip(b).all(|(x, y)| x == y);
    let one_case = (w[0] == word[0] || w[0] == word[0].to_ascii_uppercase())
        && same(&w[1..], &word[1..])
        || w.iter()
            .zip(word)
            .all(|(x, y)| *x == y.to_ascii_uppercase());
    one_case && (n > 4 || edge(at) || edge(at + n))
}

/// Per byte, the [`DUMMY_WORDS`] that start with it in either case, a bit
/// each: a body is read once, and a word compared only where its first letter
/// is (each word looked for over the whole body was most of a file of keys'
/// judgement).
static FIRST_OF: [u16; 256] = {
    assert!(DUMMY_WORDS.len() <= 16, "a bit each in a u16");
    // Lowercase letters only (`word_at` reads their upper case so).
    let mut k = 0;
    while k < DUMMY_WORDS.len() {
        let w = DUMMY_WORDS[k].as_bytes();
        let mut i = 0;
        while i < w.len() {
            assert!(
                w[i].is_ascii_lowercase(),
                "a dummy word is lowercase letters"
            );
            i += 1;
        }
        k += 1;
    }
    let mut t = [0u16; 256];
    let mut k = 0;
    while k < DUMMY_WORDS.len() {
        let c = DUMMY_WORDS[k].as_bytes()[0];
        t[c as usize] |= 1 << k;
        t[c.to_ascii_uppercase() as usize] |= 1 << k;
        k += 1;
    }
    t
};

/// Whether `body` holds one of the [`DUMMY_WORDS`] ([`word_at`]).
fn has_dummy_word(body: &[u8]) -> bool {
    body.iter().enumerate().any(|(at, &c)| {
        let mut words = FIRST_OF[usize::from(c)];
        while words != 0 {
            let k = words.trailing_zeros() as usize;
            words &= words - 1;
            if word_at(body, at, DUMMY_WORDS[k].as_bytes()) {
                return true;
            }
        }
        false
    })
}

/// Why a body is a placeholder, or `None` for a body that looks like a real key.
pub fn placeholder_reason(body: &str) -> Option<&'static str> {
    placeholder_reason_bytes(body.as_bytes())
}

/// [`placeholder_reason`] of a body's bytes as they are (text's bytes).
pub fn placeholder_reason_bytes(b: &[u8]) -> Option<&'static str> {
    if b.is_empty() {
        return Some("empty body");
    }
    if has_dummy_word(b) {
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

    /// The body read once finds a dummy word exactly where looking for each
    /// word at every place does.
    #[test]
    fn dummy_words_found_in_one_reading_as_word_by_word() {
        let alphabet = b"xXeEpPyYrRdDsScCfFnNiIaAoOuUlLhHmMgGtTkK01_-";
        let mut x = 7u32;
        let mut found = 0;
        for len in (1..40).cycle().take(20_000) {
            let mut body: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    alphabet[(x >> 16) as usize % alphabet.len()]
                })
                .collect();
            // Plant a word now and then, in one of its spellings.
            if x.is_multiple_of(3) {
                let w = DUMMY_WORDS[(x >> 8) as usize % DUMMY_WORDS.len()];
                let spelled = match x % 4 {
                    0 => w.to_ascii_uppercase(),
                    1 => w[..1].to_ascii_uppercase() + &w[1..],
                    _ => w.to_string(),
                };
                let at = (x >> 4) as usize % (body.len() + 1);
                body.splice(at..at, spelled.bytes());
            }
            // Each word at each place, as the words are defined: in one
            // case, and a short one at an edge.
            let edge = |at: usize| {
                at == 0
                    || at == body.len()
                    || !body[at - 1].is_ascii_alphanumeric()
                    || !body[at].is_ascii_alphanumeric()
                    || body[at - 1].is_ascii_lowercase() && body[at].is_ascii_uppercase()
            };
            let word_by_word = DUMMY_WORDS.iter().any(|word| {
                let word = word.as_bytes();
                let n = word.len();
                body.windows(n).enumerate().any(|(at, w)| {
                    let one_case = w == word
                        || w.iter().all(u8::is_ascii_uppercase) && w.eq_ignore_ascii_case(word)
                        || w[0] == word[0].to_ascii_uppercase() && w[1..] == word[1..];
                    one_case && (n > 4 || edge(at) || edge(at + n))
                })
            });
            assert_eq!(
                has_dummy_word(&body),
                word_by_word,
                "{}",
                String::from_utf8_lossy(&body)
            );
            found += usize::from(word_by_word);
        }
        assert!(found > 3_000, "{found}");
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
