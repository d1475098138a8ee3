//! Masking of key-like tokens in text shown to people: the one function every
//! displayer of a line (human snippets, audit text and HTML) passes its text
//! through, so that a key written so that the detector missed it
//! (`"qrcp_" + "live_…"`, `qrcp&#95;live&#95;…`, `\u0071…_live_…`, `qrcp\_live\_…`)
//! is masked like the one that was found.

/// Fragments after which a key body may follow (ASCII, matched without regard to
/// case, not preceded by a letter).
const FRAGMENTS: [&str; 3] = ["qrcp", "live", "test"];

/// Spellings of the `_` separator that a source may use between a fragment and the
/// body (escaped, entity, percent-encoded, concatenated across quotes).
const SEPARATORS: [&str; 11] = [
    "&#95;", "&#x5f;", "&lowbar;", "\\u005f", "\\u{5f}", "\\x5f", "%5f", "\\_", "_", "-", "\\",
];

/// The characters of a split string between a fragment and its body
/// (`"qrcp_" + "live_…"`, `'live_' .. 'Ab…'`).
const JOINERS: &[u8] = b"\"'` +.,";

/// How many characters of a body stay visible.
pub const SHOWN: usize = 4;

/// `text` with every key-like body cut to its first four characters and `…`:
/// whatever follows one of the `literals` (rule keywords, a decoder's trigger
/// literals) and whatever follows a `qrcp`/`live`/`test` fragment and a separator
/// when it looks like a key body (more than four characters with a digit or both
/// cases, or sixteen and more). `clipped_start` says the text starts inside a
/// line that was cut: a body there lost its prefix, so a leading key-like run goes.
pub fn mask_keys(text: &str, literals: &[&str], clipped_start: bool) -> String {
    let mut out = text.to_string();
    if clipped_start {
        let lead = out
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || b"+/=".contains(b))
            .count();
        if lead > SHOWN && looks_like_body(&out[..lead]) {
            out.replace_range(..lead, "…");
        }
    }
    for lit in literals.iter().filter(|l| !l.is_empty()) {
        let mut from = 0;
        while let Some(i) = out[from..].find(lit) {
            let body = from + i + lit.len();
            let len = out[body..]
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || b"+/=_-%\\".contains(b))
                .count();
            from = cut(&mut out, body, len);
        }
    }
    let mut from = 0;
    while let Some((at, frag_len)) = next_fragment(&out, from) {
        let mut p = at + frag_len;
        let mut separated = false;
        // Separators and string joins, a bounded stretch of them.
        while p < out.len() && p - at < 40 {
            let rest = &out.as_bytes()[p..];
            if let Some(s) = SEPARATORS.iter().find(|s| {
                rest.len() >= s.len() && rest[..s.len()].eq_ignore_ascii_case(s.as_bytes())
            }) {
                p += s.len();
                separated = true;
            } else if JOINERS.contains(&rest[0]) {
                p += 1;
            } else {
                break;
            }
        }
        let len = out[p..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        from = if separated && looks_like_body(&out[p..p + len]) {
            cut(&mut out, p, len)
        } else {
            at + frag_len
        };
    }
    out
}

/// Shortens `out[body..body + len]` to its first four characters and `…`; returns
/// where to search on.
fn cut(out: &mut String, body: usize, len: usize) -> usize {
    if len > SHOWN {
        out.replace_range(body + SHOWN..body + len, "…");
        body + SHOWN + '…'.len_utf8()
    } else {
        body + len
    }
}

/// The next `qrcp`/`live`/`test` at or after `from` that starts a word.
fn next_fragment(text: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    (from..bytes.len()).find_map(|i| {
        let frag = FRAGMENTS.iter().find(|f| {
            bytes.len() - i >= f.len() && bytes[i..i + f.len()].eq_ignore_ascii_case(f.as_bytes())
        })?;
        // A letter before it makes it part of a word (`latest`), unless the letter
        // ends an escaped separator (`%5Flive`, `\u005Flive`).
        let after_letter = i > 0
            && bytes[i - 1].is_ascii_alphabetic()
            && !SEPARATORS
                .iter()
                .any(|s| i >= s.len() && bytes[i - s.len()..i].eq_ignore_ascii_case(s.as_bytes()));
        (!after_letter).then_some((i, frag.len()))
    })
}

fn looks_like_body(s: &str) -> bool {
    let digit = s.bytes().any(|b| b.is_ascii_digit());
    let upper = s.bytes().any(|b| b.is_ascii_uppercase());
    let lower = s.bytes().any(|b| b.is_ascii_lowercase());
    s.len() > SHOWN && (digit || (upper && lower) || s.len() >= 16)
}

#[cfg(test)]
mod tests {
    use super::mask_keys;

    const BODY: &str = "Zk3q9WmP2xLr7Tb4Nv8Hc1Yd";

    fn lacks_body(text: &str) {
        let masked = mask_keys(text, &["qrcp_live_"], false);
        for w in BODY.as_bytes().windows(8) {
            let w = std::str::from_utf8(w).unwrap();
            assert!(!masked.contains(w), "{w} left in {masked}");
        }
    }

    #[test]
    fn masks_keys_the_detector_does_not_see() {
        for text in [
            format!("k = \"qrcp_\" + \"live_{BODY}\";"),
            format!("qrcp&#95;live&#95;{BODY}"),
            format!("\\u0071\\u0072\\u0063\\u0070_live_{BODY}"),
            format!("qrcp\\_live\\_{BODY}"),
            format!("QRCP_TEST_{BODY} and qrcp%5Flive%5F{BODY}"),
            format!("'live_' .. '{BODY}'"),
            format!("qrcp_live_{BODY}qrcp_live_{BODY}"),
        ] {
            lacks_body(&text);
        }
    }

    #[test]
    fn leaves_words_alone() {
        for text in [
            "latest_version_of_the_thing",
            "test_helpers(); live_reload = true",
            "fn test_parse() {}",
        ] {
            assert_eq!(mask_keys(text, &[], false), text);
        }
    }

    #[test]
    fn a_body_cut_from_its_prefix_goes() {
        let text = format!("{}\"; x = 1", &BODY[3..]);
        assert_eq!(mask_keys(&text, &[], true), "…\"; x = 1");
        assert_eq!(mask_keys("x = 1", &[], true), "x = 1");
    }
}
