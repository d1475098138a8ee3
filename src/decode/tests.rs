//! Unit and property tests of the decoding layers through the real detector.

use std::sync::Arc;

use base64::Engine as _;
use proptest::prelude::*;

use super::*;
use crate::detect::Candidate;
use crate::finding::Encoding;

mod base58_number;
mod cost;
mod dumps;
mod escapes;
mod quiet;
mod reassembly;
mod scrambling;

fn detector() -> Detector {
    super::detector(Arc::new(RuleSet::load(&[] as &[&str]).unwrap())).unwrap()
}

fn scan(data: &[u8]) -> (Vec<Located>, u64) {
    let mut out = Vec::new();
    let ph = detect(&detector(), data, &Provenance::file("t".into()), &mut out);
    (out, ph)
}

/// A body from the property tests' seed, which the placeholder judgement
/// almost always accepts (the tests assume it does).
fn body(seed: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    // Each byte offset by its place, so that no seed (all zeros, say) gives the
    // repeated characters of a placeholder.
    let mut s: String = seed
        .iter()
        .enumerate()
        .map(|(i, &b)| A[(b as usize + i * 23) % 62] as char)
        .collect();
    // Mixed classes and no dummy word: a body that must be reported.
    s.replace_range(0..3, "Q7z");
    s
}

const KEY: &str = "qrcp_live_Zk3q9WmP2xLr7Tb4Nv8Hc1Yd";

fn utf16(s: &str, be: bool) -> Vec<u8> {
    s.encode_utf16()
        .flat_map(|u| if be { u.to_be_bytes() } else { u.to_le_bytes() })
        .collect()
}

fn encode(key: &str, layer: Layer) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD;
    match layer {
        Layer::Base64 => format!("atob(\"{}\")", b64.encode(format!("k={key};"))).into_bytes(),
        Layer::Percent => format!("u=?k={}", key.replace('_', "%5F")).into_bytes(),
        Layer::Escape => format!("k=\"{}\"", key.replace('_', "\\u005f")).into_bytes(),
        Layer::Concatenation => {
            let (a, b) = key.split_at(10);
            format!("k = \"{a}\" +\n    '{b}';").into_bytes()
        }
        Layer::Utf16 => utf16(&format!("KEY={key}\r\n"), false),
        Layer::Utf32 => utf32(&format!("KEY={key}\r\n"), false),
        Layer::Hex => format!("k = bytes.fromhex(\"{}\")", hex(key)).into_bytes(),
        Layer::Dump => xxd(format!("k = \"{key}\";\n").as_bytes(), 16).into_bytes(),
        // A body wrapped by a soft line break.
        Layer::QuotedPrintable => format!(
            "key=3D{}=\r\n{}",
            &key[..20].replace('_', "=5F"),
            &key[20..]
        )
        .into_bytes(),
        Layer::CharCodes => {
            let codes: Vec<String> = key.bytes().map(|b| b.to_string()).collect();
            format!("k=String.fromCharCode({})", codes.join(",")).into_bytes()
        }
        // A zero-width space in the body, as a page's `<wbr>` would break it.
        Layer::Invisible => format!("<p>{}\u{200b}{}</p>", &key[..16], &key[16..]).into_bytes(),
        Layer::Rot13 => format!("k = codecs.decode(\"{}\", \"rot13\")", rot13(key)).into_bytes(),
        // The body's `Q` is a `"` in ROT47: escaped in the string.
        Layer::Rot47 => format!(
            "k = rot47(\"{}\")",
            rot47(key).replace('\\', "\\\\").replace('"', "\\\"")
        )
        .into_bytes(),
        Layer::Reversed => {
            let rev: String = key.chars().rev().collect();
            format!("k = \"{rev}\".split(\"\").reverse().join(\"\")").into_bytes()
        }
        Layer::Base32 => {
            let enc = base32::encode(format!("k={key};").as_bytes());
            format!(
                "k = base64.b32decode(\"{}\")",
                String::from_utf8(enc).unwrap()
            )
            .into_bytes()
        }
        // The key two bytes into a group, padded to whole groups.
        Layer::Base85 => {
            let mut text = format!("k={key};").into_bytes();
            text.resize(text.len().div_ceil(4) * 4, b';');
            let enc = base85::encode(&text, base85::Alphabet::Rfc1924);
            format!(
                "k = base64.b85decode(b\"{}\")",
                String::from_utf8(enc).unwrap()
            )
            .into_bytes()
        }
        Layer::Base58 => format!(
            "k = base58.b58decode(\"{}\")",
            // A run is 48 characters or more: the key with a name before it.
            String::from_utf8(base58::encode(format!("api_key={key};").as_bytes())).unwrap()
        )
        .into_bytes(),
        Layer::Binary => format!(
            "bits = \"{}\"",
            String::from_utf8(binary::spell(key.as_bytes())).unwrap()
        )
        .into_bytes(),
        Layer::StringArray => strarray::tests::sample(key),
    }
}

/// `s` with its ASCII letters rotated by 13.
fn rot13(s: &str) -> String {
    s.bytes()
        .map(|b| scrambled::rot13_byte(b) as char)
        .collect()
}

/// `s` with its printable ASCII rotated by 47.
fn rot47(s: &str) -> String {
    s.bytes()
        .map(|b| scrambled::rot47_byte(b) as char)
        .collect()
}

/// `b` as `xxd -c <width>` dumps it: an offset, groups of two bytes, two
/// blanks, the text.
fn xxd(b: &[u8], width: usize) -> String {
    let mut out = String::new();
    let pad = width / 2 * 5 - 1;
    for (n, line) in b.chunks(width).enumerate() {
        let groups: Vec<String> = line
            .chunks(2)
            .map(|g| g.iter().map(|c| format!("{c:02x}")).collect())
            .collect();
        let text: String = line
            .iter()
            .map(|&c| match c {
                b' ' => ' ',
                _ if c.is_ascii_graphic() => c as char,
                _ => '.',
            })
            .collect();
        out += &format!("{:08x}: {:<pad$}  {text}\n", n * width, groups.join(" "));
    }
    out
}

fn hex(s: &str) -> String {
    let v: Vec<String> = s.bytes().map(|b| format!("{b:02x}")).collect();
    v.concat()
}

fn utf32(s: &str, be: bool) -> Vec<u8> {
    s.chars()
        .flat_map(|c| {
            if be {
                (c as u32).to_be_bytes()
            } else {
                (c as u32).to_le_bytes()
            }
        })
        .collect()
}

/// `s` in the text encoding `layer` reads (UTF-16, UTF-32, or as it is).
fn text(s: &str, layer: Layer) -> Vec<u8> {
    match layer {
        Layer::Utf16 => utf16(s, false),
        Layer::Utf32 => utf32(s, false),
        _ => s.as_bytes().to_vec(),
    }
}

/// Every layer: those with codes in the built-in triggers' data (binary digits
/// among them, read by their shape alone), base58 (by its shape alone, no
/// trigger), and the string array, read once a blob.
const LAYERS: [Layer; LAYER_CODES.len() + 2] = {
    let mut all = [Layer::StringArray; LAYER_CODES.len() + 2];
    all[LAYER_CODES.len()] = Layer::Base58;
    let mut i = 0;
    while i < LAYER_CODES.len() {
        all[i] = LAYER_CODES[i];
        i += 1;
    }
    all
};

#[test]
fn triggers_include_the_three_base64_alignments() {
    let t = triggers(&RuleSet::load(&[] as &[&str]).unwrap());
    for p in [
        "cXJjcF9saXZlX",
        "FyY3BfbGl2ZV",
        "xcmNwX2xpdmVf",
        "qrcp%",
        "qrcp\\",
        "qrcp&",
    ] {
        assert!(t.iter().any(|t| t.pattern == p.as_bytes()), "{p}");
    }
    for align in 0..3 {
        let data = format!("{}{KEY}", "x".repeat(align));
        let enc = base64::engine::general_purpose::STANDARD.encode(data);
        let (f, _) = scan(enc.as_bytes());
        assert_eq!(f.len(), 1, "alignment {align}: {enc}");
        assert_eq!(f[0].finding.secret.as_deref(), Some(KEY));
        assert_eq!(f[0].finding.encoding(), Some(Encoding::Base64));
    }
}

/// Encoded twice: base64 of base64 and base64 of UTF-16 (LE and BE, with and
/// without a BOM, as PowerShell's `-EncodedCommand` takes it), at every
/// alignment of both encodings, standard and URL-safe.
#[test]
fn base64_of_an_encoding_is_read() {
    let std = base64::engine::general_purpose::STANDARD;
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    // Nine lengths before the key: its alignment in both encodings.
    for inner in 0..9 {
        let text = format!("{}k={KEY};", "x".repeat(inner));
        let cases = [
            (
                std.encode(std.encode(&text)),
                vec![Encoding::Base64, Encoding::Base64],
            ),
            (
                url.encode(std.encode(&text)),
                vec![Encoding::Base64, Encoding::Base64],
            ),
            (
                std.encode(utf16(&text, false)),
                vec![Encoding::Base64, Encoding::Utf16],
            ),
            (
                std.encode(utf16(&text, true)),
                vec![Encoding::Base64, Encoding::Utf16],
            ),
            (
                std.encode([&b"\xff\xfe"[..], &utf16(&text, false)].concat()),
                vec![Encoding::Base64, Encoding::Utf16],
            ),
        ];
        for (enc, decoding) in cases {
            let data = format!("powershell -enc {enc}\n");
            let (f, _) = scan(data.as_bytes());
            assert_eq!(f.len(), 1, "{data}");
            assert_eq!(f[0].finding.secret.as_deref(), Some(KEY), "{data}");
            assert_eq!(f[0].finding.decoding, decoding, "{data}");
        }
    }
}

/// No built-in trigger may overlap a built-in keyword: the detector would search
/// the triggers in a pass of their own, collected whole before the keywords'
/// (a file of triggers held them all in memory).
#[test]
fn builtin_triggers_leave_the_detector_one_pass() {
    let rules = RuleSet::load(&[] as &[&str]).unwrap();
    for t in triggers(&rules) {
        for w in words_of(&rules) {
            assert!(
                !crate::detect::overlap(&t.pattern, w),
                "{:?} and {:?}",
                String::from_utf8_lossy(&t.pattern),
                String::from_utf8_lossy(w)
            );
        }
    }
}

/// A key split by invisible characters or HTML tags, in the body or in the
/// keyword itself, as a page shows it or a highlighter cuts it; with the
/// characters escaped too.
#[test]
fn invisible_characters_and_tags_are_removed() {
    for split in [
        "\u{200b}",
        "\u{200c}",
        "\u{200d}",
        "\u{2060}",
        "\u{feff}",
        "\u{ad}",
        "<wbr>",
        "<wbr/>",
        "</span><span class=\"tok\">",
        "<B>",
        "<a href=\"/k\">",
        "&#8203;",
        "\\u200b",
        "&shy;",
        "&ZeroWidthSpace;",
        "\\u{200b}",
        // Word's runs, split where its spelling marks start (a key is an
        // unknown word), PowerPoint's, and an Excel shared string's.
        "</w:t></w:r><w:proofErr w:type=\"spellStart\"/><w:r><w:rPr><w:lang w:val=\"en-US\"/></w:rPr><w:t>",
        "</a:t></a:r><a:r><a:rPr lang=\"en-US\" dirty=\"0\"/><a:t>",
        "</t></r><r><rPr><b/><sz val=\"11\"/></rPr><t xml:space=\"preserve\">",
        "<text:span text:style-name=\"T1\">",
    ] {
        for at in [4, 8, 10, 21] {
            let cut = format!("{}{split}{}", &KEY[..at], &KEY[at..]);
            let text = format!("<code>{cut}</code>\n");
            let (f, _) = scan(text.as_bytes());
            assert_eq!(f.len(), 1, "{text}");
            assert_eq!(f[0].finding.secret.as_deref(), Some(KEY), "{text}");
            assert!(
                f[0].finding.decoding.contains(&Encoding::Invisible),
                "{text}"
            );
        }
    }
    // Other white space is not invisible, and a tag that ends a run of text
    // (a cell, a line break) is not removed.
    for text in [
        format!("<td>{}</td><td>{}</td>", &KEY[..20], &KEY[20..]),
        format!("{}<br>{}", &KEY[..20], &KEY[20..]),
        // Two Word paragraphs, or a tab between two runs.
        format!(
            "{}</w:t></w:r></w:p><w:p><w:r><w:t>{}",
            &KEY[..20],
            &KEY[20..]
        ),
        format!("{}</w:t><w:tab/><w:t>{}", &KEY[..20], &KEY[20..]),
        format!("{}<text:s/>{}", &KEY[..20], &KEY[20..]),
        format!("{}<x-y>{}", &KEY[..20], &KEY[20..]),
        format!("{}\u{a0}{}", &KEY[..20], &KEY[20..]),
        format!("{}\u{2028}{}", &KEY[..20], &KEY[20..]),
    ] {
        let (f, _) = scan(text.as_bytes());
        assert!(f.is_empty(), "{text}");
    }
}

#[test]
fn each_layer_reveals_the_key_at_its_physical_place() {
    for layer in LAYERS {
        let mut data = text("// first line\n", layer);
        data.extend(encode(KEY, layer));
        let (f, ph) = scan(&data);
        assert_eq!(f.len(), 1, "{layer:?}");
        let f = &f[0].finding;
        assert_eq!(f.secret.as_deref(), Some(KEY), "{layer:?}");
        assert_eq!(f.encoding(), Some(layer.encoding()));
        assert_eq!(f.decoding, [layer.encoding()]);
        assert_eq!(f.line, Some(2), "{layer:?}");
        assert_eq!(ph, 0, "{layer:?}");
    }
}

#[test]
fn placeholders_stay_placeholders_after_decoding() {
    let ph = "qrcp_live_xxxxxxxxxxxxxxxxxxxx";
    for layer in LAYERS {
        let (f, n) = scan(&encode(ph, layer));
        assert!(f.is_empty(), "{layer:?}");
        assert_eq!(n, 1, "{layer:?}");
    }
}

/// Past the few thousand a list keeps, placeholders are counted by start: each
/// start once, whether plain, decoded or both, and a plain one that turns out to
/// start a key is taken back.
#[test]
fn many_placeholders_count_by_start() {
    let ph = "qrcp_live_xxxxxxxxxxxxxxxxxxxx";
    let (a, b) = KEY.split_at(14);
    for n in [10, 5000] {
        let mut data = String::new();
        for i in 0..n {
            // Plain, escaped, and plain beside the same one escaped.
            data.push_str(&match i % 3 {
                0 => format!("{ph}\n"),
                1 => format!("k=\"{}\"\n", ph.replace('_', "\\x5f")),
                _ => format!("k=\"{ph}\\x41\"\n"),
            });
        }
        // A key whose plain start was counted as a placeholder: not counted.
        data.push_str(&format!("k = \"{a}\" + \"{b}\";\n"));
        let (f, count) = scan(data.as_bytes());
        assert_eq!(f.len(), 1, "{n}");
        assert_eq!(f[0].finding.encoding(), Some(Encoding::Concatenation));
        assert_eq!(count, n as u64, "{n}");
    }
}

#[test]
fn plain_key_beside_an_encoded_one_is_reported_once() {
    let data = format!(
        "a=\"{}\" b=\"{KEY}\"\n",
        "qrcp_test_Hq7Ld2Kz9Xw4Mp1Rv6Tn3Bc8".replace('_', "\\x5f")
    );
    let (f, _) = scan(data.as_bytes());
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].finding.encoding(), Some(Encoding::Escape));
    assert_eq!(f[1].finding.encoding(), None);
    assert!(f[1].finding.decoding.is_empty());
}

#[test]
fn nested_layers_are_named() {
    let (a, b) = KEY.split_at(10);
    let data = format!("k = \"{}\" + \"{b}\";", a.replace('_', "\\x5f"));
    let (f, _) = scan(data.as_bytes());
    assert_eq!(f.len(), 1, "{data}");
    assert_eq!(f[0].finding.encoding(), Some(Encoding::Escape));
    assert_eq!(f[0].finding.column, Some(6));
    assert_eq!(
        f[0].finding.decoding,
        [Encoding::Escape, Encoding::Concatenation]
    );
}

#[test]
fn big_endian_with_bom() {
    let mut data = vec![0xFE, 0xFF];
    data.extend(utf16(&format!("x\ny = {KEY}"), true));
    let (f, _) = scan(&data);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].finding.line, f[0].finding.column), (Some(2), Some(5)));
    assert_eq!(
        f[0].finding.context.as_ref().unwrap().text,
        format!("y = {KEY}")
    );
}

#[test]
fn a_large_base64_file_costs_little() {
    // 8 MB of base64 with a key every 100 KB: each candidate decodes a few KiB.
    let chunk = format!("{} {KEY} {}", "a".repeat(50_000), "b".repeat(50_000));
    let text = chunk.repeat(60);
    let enc = base64::engine::general_purpose::STANDARD.encode(text);
    let (f, _) = scan(enc.as_bytes());
    assert_eq!(f.len(), 60);
}

/// Escapes beyond the common ones: octal, HTML character references, double
/// percent-encoding, and the whole prefix escaped.
#[test]
fn more_escapes_are_undone() {
    let (a, b) = KEY.split_at(10);
    let esc = |f: &dyn Fn(u8) -> String| -> String { a.bytes().map(f).collect::<String>() + b };
    let found = |src: String| {
        let (f, _) = scan(src.as_bytes());
        assert!(
            f.iter().any(|l| l.finding.secret.as_deref() == Some(KEY)),
            "not found in {src}"
        );
    };
    found(format!("k = \"{}\"", KEY.replace('_', "\\137")));
    found(format!("<p>{}</p>", KEY.replace('_', "&#95;")));
    found(format!("<p>{}</p>", KEY.replace('_', "&#x5f;")));
    found(format!("<p>{}</p>", KEY.replace('_', "&lowbar;")));
    found(format!("/cb?k={}", KEY.replace('_', "%255F")));
    found(format!("k = \"{}\"", esc(&|c| format!("\\x{c:02x}"))));
    found(format!("k = \"{}\"", esc(&|c| format!("\\u{c:04x}"))));
    found(format!("k = \"{}\"", esc(&|c| format!("\\{c:03o}"))));
    found(format!("<a title=\"{}\">", esc(&|c| format!("&#{c};"))));
    found(format!("/cb?k={}", esc(&|c| format!("%{c:02X}"))));
    // The first character escaped, the rest a mix of forms and plain
    // characters (an e-mail obfuscator's references, hand-mixed escapes).
    let mixed = |forms: [&dyn Fn(u8) -> String; 3]| -> String {
        KEY.bytes()
            .enumerate()
            .map(|(i, c)| forms[i % 3](c))
            .collect()
    };
    found(format!(
        "<a>{}</a>",
        mixed([
            &|c| format!("&#{c};"),
            &|c| (c as char).to_string(),
            &|c| format!("&#x{c:x};")
        ])
    ));
    found(format!(
        "s = \"{}\"",
        mixed([
            &|c| format!("\\x{c:02x}"),
            &|c| (c as char).to_string(),
            &|c| format!("\\u{c:04x}")
        ])
    ));
    // Hex, upper-case; character codes in hex over lines.
    found(format!("h = \"{}\"", hex(KEY).to_uppercase()));
    let codes: Vec<String> = KEY.bytes().map(|c| format!("0x{c:02X}")).collect();
    let rows: Vec<String> = codes.chunks(8).map(|r| r.join(", ")).collect();
    found(format!("char k[] = {{\n  {}\n}};", rows.join(",\n  ")));
}

/// Base64 escaped whole, at each of its alignments: the escape's decoder reads
/// from before the trigger, so the base64 decoder finds the group the key's
/// start falls in. Hex digits of a key's base64 too; neither without a key.
#[test]
fn base64_escaped_whole_is_undone_twice() {
    use base64::Engine as _;
    type Form = (&'static str, fn(u8) -> String);
    let forms: [Form; 4] = [
        ("\\x", |c| format!("\\x{c:02X}")),
        ("\\u", |c| format!("\\u{c:04x}")),
        ("&#", |c| format!("&#{c};")),
        ("hex", |c| format!("{c:02x}")),
    ];
    for (name, form) in forms {
        for lead in ["", "k=", "k = "] {
            let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{lead}{KEY}"));
            let src = format!("s = \"{}\";", b64.bytes().map(form).collect::<String>());
            let (f, _) = scan(src.as_bytes());
            assert!(
                f.iter().any(|l| l.finding.secret.as_deref() == Some(KEY)),
                "{name} {lead:?}: not found in {src}"
            );
            let other =
                base64::engine::general_purpose::STANDARD.encode(format!("{lead}qrcp_notes"));
            let src = format!("s = \"{}\";", other.bytes().map(form).collect::<String>());
            assert!(scan(src.as_bytes()).0.is_empty(), "{name} {lead:?}: {src}");
        }
    }
}

/// 1 MB of `` `qrcp_live_${e}` `` with bindings everywhere: each chunk of the
/// name index is built once, so this is quick.
#[test]
fn many_references_cost_a_bounded_lookup_each() {
    let (a, _) = KEY.split_at(10);
    let unit = format!("var e=\"short\";r=`{a}${{e}}`;\n");
    let text = unit.repeat((1 << 20) / unit.len());
    let (f, _) = scan(text.as_bytes());
    assert!(f.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = scan(&data);
        for layer in LAYERS {
            for at in [0, data.len() / 2, data.len()] {
                for lead in 0..4 {
                    let c = Candidate { layer, at, lead, placeholder: false };
                    for &dec in layers::decoders(layer) {
                        if let Some(r) = layers::decode(&data, &c, dec, &mut idents::Idents::default()) {
                            prop_assert!(r.phys(r.bytes.len()) <= data.len());
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn triggers_in_random_bytes_never_panic(
        parts in proptest::collection::vec(
            prop_oneof![
                Just(b"cXJjcF9saXZlX".to_vec()), Just(b"qrcp%5F".to_vec()),
                Just(b"qrcp\\u005f".to_vec()), Just(b"\"qrcp_live_\"".to_vec()),
                Just(b"q\0r\0c\0p\0_\0l\0i\0v\0e\0_\0".to_vec()), Just(b"+`${'".to_vec()),
                Just(b"t=\"qrcp_live_\";".to_vec()), Just(b"t+".to_vec()), Just(b".concat(".to_vec()),
                Just(b"717263705f".to_vec()), Just(b"113,114,99,112,".to_vec()), Just(b"0x71, ".to_vec()),
                Just(b"113 114 99 112 ".to_vec()), Just(b"161 162 143 160 ".to_vec()),
                Just(b"01110001 01110010 ".to_vec()), Just(b"\\113\\114\\99\\112\\95".to_vec()),
                Just(b"113,\n  ".to_vec()), Just(b"0x71,\r\n".to_vec()),
                Just(b"\"BC4A0=:G60".to_vec()),
                proptest::collection::vec(any::<u8>(), 0..16),
            ],
            0..40,
        )
    ) {
        let data: Vec<u8> = parts.concat();
        let _ = scan(&data);
    }

    #[test]
    fn an_encoded_key_in_random_context_is_found(
        seed in proptest::collection::vec(any::<u8>(), 24..40),
        before in "[ -~\n]{0,200}",
        after in "[ -~\n]{0,200}",
        layer in proptest::sample::select(LAYERS.to_vec()),
    ) {
        // The string array is a whole program's: read by its tokens, which a
        // random context's unclosed quote or comment would swallow.
        prop_assume!(layer != Layer::StringArray);
        let body = body(&seed);
        // A seed may still spell a dummy word at an edge (a masked `…XXXX`).
        prop_assume!(crate::detect::placeholder::placeholder_reason(&body).is_none());
        let key = format!("qrcp_live_{body}");
        // Separate the key from the context the way code would.
        let mut data = text(&before, layer);
        let sep = text("\n", layer);
        data.extend(&sep);
        data.extend(encode(&key, layer));
        data.extend(&sep);
        data.extend(text(&after, layer));
        let (f, _) = scan(&data);
        prop_assert!(
            f.iter().any(|l| l.finding.secret.as_deref() == Some(key.as_str())),
            "{:?} not found in {:?}", layer, String::from_utf8_lossy(&data)
        );
    }
}

/// The default rules' keywords and every trigger fit one SIMD search.
#[test]
fn the_trigger_set_keeps_the_packed_search() {
    assert!(detector().packed());
}

/// Every byte written in each radix and width as `format!` writes it.
#[test]
fn spellings_write_what_format_writes() {
    type Expected = fn(u8) -> String;
    let cases: [(Spelling, Expected); 6] = [
        (Spelling::hex(b"%", true), |c| format!("%{c:02X}")),
        (Spelling::hex(b"", false), |c| format!("{c:02x}")),
        (Spelling::new(b"\\u", 16, 4, true, b""), |c| {
            format!("\\u{c:04X}")
        }),
        (Spelling::new(b"\\", 8, 3, false, b""), |c| {
            format!("\\{c:03o}")
        }),
        (Spelling::new(b"&#", 10, 1, false, b";"), |c| {
            format!("&#{c};")
        }),
        (Spelling::new(b"&#x", 16, 1, false, b";"), |c| {
            format!("&#x{c:x};")
        }),
    ];
    for c in 0..=255u8 {
        for (form, want) in &cases {
            let mut out = Vec::new();
            form.write(c, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), want(c));
        }
    }
    let codes = Spelling::hex(b"0x", true).spell(b"qr", b", ");
    assert_eq!(codes, b"0x71, 0x72");
}

/// The built-in rules' triggers kept as data are what `triggers` builds for them:
/// `QRCP_UPDATE_TRIGGERS=1 cargo test builtin` writes the data again.
/// The built-in detector's search patterns in the order that keeps Teddy's
/// buckets quiet (`detect::keywords::placed_patterns`), kept as data; the
/// detector reads it only when its patterns are exactly these.
#[test]
fn builtin_search_order_is_current() {
    let rules = std::sync::Arc::new(RuleSet::load(&[] as &[&str]).unwrap());
    let d = super::detector(rules.clone()).unwrap();
    let literals = d.pass_literals().expect("one pass for the built-in rules");
    let placed = crate::detect::keywords::placed_patterns(&literals);
    let rows: Vec<(&[u8], String)> = placed.iter().map(|p| (&p[..], String::new())).collect();
    keep_current(
        "src/detect/builtin_order.rs",
        &render_data(
            "The built-in rules' detector search patterns in Teddy's bucket order \
             (`crate::detect::keywords::placed_patterns`)",
            trigger_fingerprint(&rules),
            "PATTERNS: [(u16, u8)",
            "(start in `BYTES`, length) of each pattern",
            &rows,
        ),
    );
    let mut once = placed.clone();
    once.sort();
    once.dedup();
    assert_eq!(once.len(), placed.len(), "each pattern once");
    assert!(crate::detect::keywords::reads_builtin_order(&literals));
    // Other rules' patterns compute their order.
    let mut other = literals.clone();
    other.push(b"zzzz_token");
    assert!(!crate::detect::keywords::reads_builtin_order(&other));
}

#[test]
fn builtin_triggers_are_current() {
    let rules = RuleSet::load(&[] as &[&str]).unwrap();
    keep_current(
        "src/decode/builtin_triggers.rs",
        &render_builtin_triggers(&rules),
    );
    assert_eq!(builtin_triggers(&rules), Some(triggers(&rules)));
    // Other rules (one keyword more) get their triggers built.
    let mut other = RuleSet::load(&[] as &[&str]).unwrap();
    other.rules[0].spec.keywords.push("zzzz_".to_string());
    assert_eq!(builtin_triggers(&other), None);
}
