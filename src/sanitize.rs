//! Untrusted text (file names, snippets, error messages) made safe for a terminal:
//! control characters, bidirectional overrides and every invisible character are
//! escaped, never printed raw.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// Characters that must never reach a terminal or a log raw: controls (C0, C1),
/// and characters that show nothing or make text read differently from what it
/// is: format characters (category Cf: bidi overrides and isolates, zero-width
/// spaces and joiners, U+FEFF, the soft hyphen, tags U+E0000–E007F, interlinear
/// annotations), the line and paragraph separators U+2028 and U+2029 (which end
/// a line in some editors and JavaScript), the other default-ignorable characters
/// (variation selectors, Hangul fillers, which can smuggle bytes or hide a
/// character) and the noncharacters (U+FFFE, U+FFFF, …). The Unicode tables are
/// the regex crate's.
pub fn is_dangerous(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    static INVISIBLE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^[\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]$",
        )
        .expect("a constant pattern")
    });
    c.is_control() || INVISIBLE.is_match(c.encode_utf8(&mut [0; 4]))
}

/// Escapes the characters of [`is_dangerous`] (`\n` -> `\n`, ESC -> `\x1b`,
/// U+202E -> `\u{202e}`). Borrowed when there is nothing to escape.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    sanitize_keep(s, &[])
}

/// Like [`sanitize`], but leaves the listed characters alone (a tab in a snippet).
pub fn sanitize_keep<'a>(s: &'a str, keep: &[char]) -> Cow<'a, str> {
    if !s.chars().any(|c| is_dangerous(c) && !keep.contains(&c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_dangerous(c) || keep.contains(&c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi() {
        assert_eq!(sanitize("a\x1b[31mb\nc"), "a\\x1b[31mb\\nc");
        assert_eq!(sanitize("evil\u{202e}txt"), "evil\\u{202e}txt");
        assert!(matches!(sanitize("plain/path.js"), Cow::Borrowed(_)));
        assert_eq!(sanitize_keep("a\tb\x07", &['\t']), "a\tb\\x07");
    }

    /// Every invisible character the issue names, and a few of each class.
    #[test]
    fn escapes_invisible_characters() {
        let invisible = [
            '\u{2028}',
            '\u{2029}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}',
            '\u{2060}',
            '\u{2061}',
            '\u{2062}',
            '\u{2063}',
            '\u{2064}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{061C}',
            '\u{180E}',
            '\u{FFF9}',
            '\u{FFFA}',
            '\u{FFFB}',
            '\u{E0000}',
            '\u{E0001}',
            '\u{E0041}',
            '\u{E007F}',
            '\u{202A}',
            '\u{2066}',
            '\u{206F}',
            '\u{FE0F}',
            '\u{E0100}',
            '\u{3164}',
            '\u{115F}',
            '\u{FFFE}',
            '\u{FFFF}',
            '\u{10FFFF}',
            '\u{0085}',
            '\u{009B}',
        ];
        for c in invisible {
            assert!(is_dangerous(c), "U+{:04X}", c as u32);
            let cp = c as u32;
            let escaped = if cp < 0x100 {
                format!("\\x{cp:02x}")
            } else {
                format!("\\u{{{cp:x}}}")
            };
            assert_eq!(sanitize(&format!("a{c}b")), format!("a{escaped}b"));
        }
        for c in [
            'é', 'ü', '中', '😀', '\u{FFFD}', ' ', '~', '\u{00A0}', '\u{0301}',
        ] {
            assert!(!is_dangerous(c), "U+{:04X}", c as u32);
        }
    }
}
