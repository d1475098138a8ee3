//! Unit tests of scrambled keys (`super::super::scrambled`: ROT13, ROT47,
//! written backwards) through the real detector.

use super::*;

/// ROT13 and reversed keys, live and test, and not the text around them.
#[test]
fn scrambled_keys_are_read() {
    let test = KEY.replace("live", "test");
    for key in [KEY, &test[..]] {
        let rot = rot13(key);
        let rev: String = key.chars().rev().collect();
        for (text, encoding) in [
            (format!("s = '{rot}'.encode('rot13')\n"), Encoding::Rot13),
            (format!("s = \"{rev}\"[::-1]\n"), Encoding::Reversed),
            (
                format!("s=[...\"{rev}\"].reverse().join``;"),
                Encoding::Reversed,
            ),
        ] {
            let (f, _) = scan(text.as_bytes());
            assert_eq!(f.len(), 1, "{text}");
            assert_eq!(f[0].finding.secret.as_deref(), Some(key), "{text}");
            assert_eq!(f[0].finding.decoding, vec![encoding], "{text}");
            // The span is the scrambled key's, in the physical line.
            let (s, e) = (
                f[0].finding.column.unwrap(),
                f[0].finding.end_column.unwrap(),
            );
            let line = text.lines().next().unwrap();
            let shown = &line[s - 1..e - 1];
            assert!(shown == rot || shown == rev, "{text}: {shown}");
        }
    }
    // A reversed identifier that holds the keyword's start is not a key, nor
    // is a word that ROT13 makes a placeholder of.
    for text in [
        "x = \"yek_evil_pcrq\"",
        "depc_yvir_kkkkkkkkkkkkkkkkkkkkkkkk",
    ] {
        assert!(scan(text.as_bytes()).0.is_empty(), "{text}");
    }
}

/// ROT47 reads to the string's closing quote, whether the quotes the key's
/// ROT47 holds (`Q` is `"`) are escaped or not, and to the first blank
/// outside a string; the text around stays out of the key.
#[test]
fn rot47_keys_end_at_their_string() {
    let key = KEY.replace("Zk3", "ZQV");
    let test = KEY.replace("live", "test");
    for key in [&key[..], &test[..]] {
        let rot = rot47(key);
        let escaped = rot.replace('\\', "\\\\").replace('"', "\\\"");
        for text in [
            format!("k = rot47(\"{escaped}\");\n"),
            format!("k = \"{rot}\";\n"),
            format!("k = '{}', 1\n", rot.replace('\'', "\\'")),
            format!("key:\n{rot}\nnext\n"),
            format!("{{\"k\": \"{escaped}\"}}"),
        ] {
            let (f, _) = scan(text.as_bytes());
            assert_eq!(f.len(), 1, "{text}");
            assert_eq!(f[0].finding.secret.as_deref(), Some(key), "{text}");
            assert_eq!(f[0].finding.decoding, vec![Encoding::Rot47], "{text}");
        }
    }
    // ROT47 of a placeholder is a placeholder.
    let text = format!("k = \"{}\"", rot47("qrcp_live_xxxxxxxxxxxxxxxxxxxxxxxx"));
    assert!(scan(text.as_bytes()).0.is_empty(), "{text}");
}
