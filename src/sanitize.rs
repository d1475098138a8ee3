//! Untrusted text (file names, snippets, error messages) made safe for a terminal:
//! control characters and bidirectional overrides are escaped, never printed raw.

use std::borrow::Cow;

/// Characters that must never reach a terminal or a log raw: controls and the
/// bidirectional overrides that make text read differently from what it is.
pub fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Escapes control and bidi characters (`\n` -> `\n`, ESC -> `\x1b`, U+202E ->
/// `\u{202e}`). Borrowed when there is nothing to escape.
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
}
