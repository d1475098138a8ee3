//! Unit tests of escape spellings (`super::super::layers::escape`) through the
//! real detector.

use super::*;

/// Every spelling of the `_` after the keyword's start is read, not only those a
/// trigger names: CSS escapes (with and without their white space, padded to
/// six digits), Markdown's `\_`, padded decimal and other named references.
/// JavaScript's octal `\137` stays octal, and a CSS escape eats one white space,
/// not two.
#[test]
fn any_spelling_of_the_underscore_is_read() {
    for (under, encoding) in [
        ("\\5f ", Encoding::Escape),
        ("\\5F", Encoding::Escape),
        ("\\00005f", Encoding::Escape),
        ("\\00005F ", Encoding::Escape),
        ("\\_", Encoding::Escape),
        ("\\137", Encoding::Escape),
        ("&#095;", Encoding::Escape),
        ("&#x005F;", Encoding::Escape),
        ("&UnderBar;", Encoding::Escape),
        ("&#95", Encoding::Escape),
        ("&#x5f", Encoding::Escape),
        ("\\U0000005f", Encoding::Escape),
        ("\\N{LOW LINE}", Encoding::Escape),
        ("\\N{low line}", Encoding::Escape),
        ("%255f", Encoding::Percent),
    ] {
        let text = format!("k = \"{}\";\n", KEY.replace('_', under));
        let (f, _) = scan(text.as_bytes());
        assert_eq!(f.len(), 1, "{text}");
        assert_eq!(f[0].finding.secret.as_deref(), Some(KEY), "{text}");
        assert_eq!(f[0].finding.encoding(), Some(encoding), "{text}");
    }
    // Two white spaces after a CSS escape: the second is the text's.
    let text = format!("k = \"{}\";\n", KEY.replacen('_', "\\5f  ", 1));
    let (f, _) = scan(text.as_bytes());
    assert!(
        f.iter().all(|f| f.finding.secret.as_deref() != Some(KEY)),
        "{text}"
    );
}

/// Octal escapes mixed with plain characters, as obfuscators write them: three
/// octal digits then a digit are octal (`\1619` is `q9`), while a CSS escape
/// that is no printable ASCII in octal stays CSS (`\2019` is `’`).
#[test]
fn octal_before_a_digit_is_octal() {
    let mixed: String = KEY
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                format!("\\{:03o}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect();
    // Every other character escaped: some escapes are followed by a digit.
    assert!(
        mixed
            .as_bytes()
            .windows(5)
            .any(|w| w[0] == b'\\' && w[4].is_ascii_digit())
    );
    let text = format!("printf '{mixed}'\n");
    let (f, _) = scan(text.as_bytes());
    assert_eq!(f.len(), 1, "{text}");
    assert_eq!(f[0].finding.secret.as_deref(), Some(KEY), "{text}");
    let css = format!(
        ".a::after {{ content: \"it\\2019s\" }}\nk = \"{}\";\n",
        KEY.replace('_', "\\5f ")
    );
    let (f, _) = scan(css.as_bytes());
    assert_eq!(f.len(), 1, "{css}");
    assert_eq!(f[0].finding.secret.as_deref(), Some(KEY), "{css}");
    let r = super::layers::escape(b"it\\2019s", 0).expect("decoded");
    assert_eq!(String::from_utf8_lossy(&r.bytes), "it\u{2019}s");
}

proptest::proptest! {
    /// [`layers::find2`] finds what `memchr2` does, near or far.
    #[test]
    fn find2_finds_what_memchr2_does(
        hay in proptest::collection::vec(proptest::sample::select(b"ab%\\&\n".to_vec()), 0..80),
        pad in 0usize..40,
        a in proptest::sample::select(b"%&\\".to_vec()),
        b in proptest::sample::select(b"\n\\&".to_vec()),
    ) {
        let mut hay = hay;
        hay.splice(0..0, std::iter::repeat_n(b'x', pad));
        proptest::prop_assert_eq!(layers::find2(a, b, &hay), memchr::memchr2(a, b, &hay));
    }
}
