//! Unit tests of what decoding costs: work (see `Budget`) linear in the input
//! and bounded per byte, whatever the input.

use proptest::prelude::*;

use super::*;

/// Units of adversarial input: every kind of trigger, and the bytes decoders
/// stop at. Files made of them repeated must cost work linear in their size.
const UNITS: &[&str] = &[
    "qrcp_live_\\",
    "qrcp%5F",
    "\"qrcp_live_\"+",
    "qrcp\\u005f",
    "cXJjcF9saXZlX",
    "NEXT_PUBLIC_QRCP_KEY=",
    "\"qrcp_\"+",
    "var e=\"x\";r=`qrcp_live_${e}`;",
    "[\"qrcp_live_\",o()].join(\"\");",
    "qrcp_'live_'\"",
    "qrcp_li\n  ",
    "qrcp_live_Ab\\\n    ",
    "$'\\x71\\x72\\x63\\x70",
    "&#113;&#114;&#99;&#112;",
    "q\0\0\0r\0\0\0c\0\0\0p\0\0\0_\0\0\0l\0\0\0i\0\0\0v\0\0\0e\0\0\0_\0\0\0",
    "q\0r\0c\0p\0_\0l\0i\0v\0e\0_\0",
    "717263705f6c6976655f",
    "113,114,99,112,",
    "0x71, 0x72, 0x63, 0x70,\n ",
    "113,\n    ",
    "0x71,\r\n  0x20,",
    "BC4A0=:G60",
    "71,72,63,70,",
    "113\n114\n99\n112\n",
    "71\n72\n",
    "\"BC4A0E6DE0\\\"",
    "\"qrcp_live_\".concat(",
    "t=\"qrcp_live_\";",
    "t+",
    "qrcp=5F=\n",
    // Base58 of `api_key=qrcp_live_` thrice, a run each (read as a number).
    "FR1gF21qSby8UNMbt4LfBHDHrohnj4Az6AVFnMjXRC47iuhdHnfp ",
    "OFZGG4C7NRUXMZK7",
    "['q','r','c','p',",
    "OFZGG4C7NRUXMZK7OFZG=",
    "'qrcp_live_' . ",
    "[char]113+",
    "(char)113 + ",
    "`qrcp_live_${\\\"",
    "['q','r','c','p','_','l','i','v','e','_','A','b',",
    // Base64 cut into literals: pieces joined after and before.
    "\"cXJjcF9saXZl\"+",
    "\"az1\" \"xcmNwX2xpdmVf\"+",
    // ... cut inside the keyword's first group, by a quote and by a
    // block's line break.
    "'cX'+'JjcF9saXZl'+",
    "  AAAAAAAAAAAAIHFy\n  Y3BfbGl2ZV9hAAAA\n",
    // Runs read by their shape: base64 of hex (one run), base64 of a key
    // (short runs), ROT13'd base64, escapes written backwards.
    "NzE3MjYzNzA1ZjZjNjk3NjY1NWY3MTcyNjM3MDVmNmM2OTc2NjU1Zg",
    "cXJjcF9saXZlXzEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2 ",
    "pKWwpS9fnKMyK1E6EwuEMQZ1LmI0qT05AKq5MKuBGyqiH3q1BQWQGwIe ",
    "\"27x\\17x\\",
    // Arrays of pieces used by index, and elements with no array bound.
    "p=[\"qrcp_live_\",\"x\"];q=p[0]+p[1];",
    "\"qrcp_live_\",",
    // Hex dumps' first offsets, lines that look like a dump's but for
    // offsets that do not go on, and plain hex wrapped at 60 digits.
    "000000 ",
    "00000000: 7172 6370 5f6c 6976 655f 7172 6370 5f6c  qrcp_live_qrcp_l\n",
    "0000000 71 72 63 70 5f 6c 69 76 65 5f\n",
    "717263705f6c6976655f717263705f6c6976655f717263705f6c6976655f\n",
    " ",
    "\n",
    "'",
    "\"",
    "\\",
    "+",
    "a",
];

/// Bytes of input per unit in the linear-work checks (and four times that).
const N: usize = 16 << 10;
/// Work (see `Budget`) per input byte that no input may exceed (the decoding
/// budget is linear in the input, so this holds for any input). Measured: 1 to
/// 8 for one unit repeated, up to 33 for escapes and percent-encoding alternating
/// (`qrcp_live_\\qrcp%5F`), each of which decodes its whole line window.
const MAX_WORK_PER_BYTE: u64 = 48;

fn repeated(unit: &[u8], n: usize) -> Vec<u8> {
    unit.iter().copied().cycle().take(n).collect()
}

/// Work at `n` and `4n` bytes: bounded per byte, and growing by at most 4x
/// (plus a fixed allowance for regions cut at the end of the smaller input: a
/// mix of UTF-16, UTF-32, hex and escaped prefixes measured 28.3 a byte at `n`,
/// 29.3 at `4n`, then 24.6 and 23.2 at `16n` and `64n`).
fn assert_linear(det: &Detector, unit: &[u8]) -> Result<(), TestCaseError> {
    let w1 = work(det, &repeated(unit, N));
    let w4 = work(det, &repeated(unit, 4 * N));
    let shown = String::from_utf8_lossy(unit);
    prop_assert!(
        w4 <= 4 * w1 + 8 * (N as u64),
        "{shown:?}: work {w1} at {N} bytes, {w4} at {} bytes",
        4 * N
    );
    prop_assert!(
        w4 <= MAX_WORK_PER_BYTE * 4 * N as u64,
        "{shown:?}: work {w4} for {} bytes",
        4 * N
    );
    Ok(())
}

#[test]
fn each_adversarial_unit_costs_linear_work() {
    let det = detector();
    for unit in UNITS {
        assert_linear(&det, unit.as_bytes()).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn mixed_adversarial_units_cost_linear_work(
        picks in proptest::collection::vec(0..UNITS.len(), 1..8),
    ) {
        let unit: Vec<u8> = picks.iter().flat_map(|&i| UNITS[i].bytes()).collect();
        assert_linear(&detector(), &unit)?;
    }
}

/// A file of short base64 values (each padded, so each a run of its own) decodes
/// each run once, not once per trigger in it: 9.1 work a byte for base64 of
/// base64 before runs covered their later triggers, 3.5 since.
#[test]
fn each_short_base64_run_is_decoded_once() {
    use base64::Engine as _;
    let e = &base64::engine::general_purpose::STANDARD;
    let det = detector();
    let keys = b"qrcp_live_qrcp_live_qrcp_live_";
    for unit in [
        e.encode(e.encode(keys)),
        e.encode([&keys[..], b"x"].concat()),
    ] {
        assert!(unit.ends_with('='), "{unit}");
        let data = repeated(unit.as_bytes(), 4 * N);
        let per_byte = work(&det, &data) as f64 / data.len() as f64;
        assert!(per_byte < 4.0, "{unit}: work {per_byte:.2} a byte");
    }
    // A key later in the run on another grid (one character on from the
    // first value's) is decoded on its own grid.
    let run = format!("{}x{}", e.encode(&keys[..]), e.encode(format!("k={KEY};")));
    let (found, _) = scan(format!("v = \"{run}\"\n").as_bytes());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].finding.decoding, [Layer::Base64.encoding()]);
}

/// A member's span (a `data:` URI's payload, an inline script, base64 of
/// gzip) is the member's to scan: the blob's own pass decodes nothing that
/// starts there, and finds what is around it as before. Each of a page's
/// inline source maps was decoded twice, once for findings the member reported
/// anyway.
#[test]
fn a_members_span_is_not_decoded_again() {
    use base64::Engine as _;
    let e = &base64::engine::general_purpose::STANDARD;
    let det = detector();
    let inside = e.encode(format!("{}k={KEY};", "\"qrcp_live_\"+".repeat(400)));
    let after = e.encode(format!("token={KEY}"));
    let head = format!("k = \"{KEY}\";\nsrc = \"data:text/plain;base64,");
    let data = format!("{head}{inside}\";\nv = \"{after}\";\n");
    let span = (head.len(), head.len() + inside.len());
    let found = |members: &[(usize, usize)]| {
        let mut out = Vec::new();
        let prov = Provenance::file("t".into());
        detect_in(&det, data.as_bytes(), &prov, "t", true, members, &mut out);
        out.iter()
            .map(|l| (l.start, l.finding.decoding.clone()))
            .collect::<Vec<_>>()
    };
    let all = found(&[]);
    assert_eq!(all.len(), 3, "{all:?}");
    assert!(span.0 < all[1].0 && all[1].0 < span.1, "{all:?}");
    assert_eq!(found(&[span]), [all[0].clone(), all[2].clone()]);
    let (whole, outside) = (
        work(&det, data.as_bytes()),
        work_outside(&det, data.as_bytes(), &[span]),
    );
    assert!(
        outside * 4 < whole,
        "work {outside} with the member's span left to it, {whole} without"
    );
}

/// A UTF-16 window that reached the end of what it was decoded from covers the
/// triggers after it: in base64 of UTF-16 text, each of the last 256 bytes'
/// triggers of every base64 region decoded a window again (5.1 work a byte,
/// 3.3 since).
#[test]
fn a_wide_window_at_the_end_covers_the_rest() {
    use base64::Engine as _;
    let e = &base64::engine::general_purpose::STANDARD;
    let unit = e.encode(utf16(&"qrcp_live_".repeat(3), false));
    let data = repeated(unit.as_bytes(), 4 * N);
    let per_byte = work(&detector(), &data) as f64 / data.len() as f64;
    assert!(per_byte < 4.0, "work {per_byte:.2} a byte");
}

/// A JavaScript template literal's first piece glued to `${e}` (a bound name,
/// as minifiers write it) is joined by the concatenation decoder alone: shell
/// words treat a template's `$` as text, and decoded the candidate's whole
/// line window to join nothing (3.94 work a byte, 1.86 since). The key is
/// still joined.
#[test]
fn a_template_literal_is_not_read_as_shell_words() {
    let det = detector();
    let data = repeated(b"var e=\"x\";r=`qrcp_live_${e}`;", 4 * N);
    let per_byte = work(&det, &data) as f64 / data.len() as f64;
    assert!(per_byte < 2.5, "work {per_byte:.2} a byte");
    let (found, _) = scan(format!("var e=\"{}\";r=`qrcp_live_${{e}}`;", &KEY[10..]).as_bytes());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].finding.decoding, [Layer::Concatenation.encoding()]);
}

proptest! {
    /// A candidate before a decoder's [`covered_until`] is one that decoder
    /// has covered: skipping it skips nothing [`decode_one`] would do.
    #[test]
    fn candidates_skipped_as_covered_are_covered(
        // Near [`COVER_MARGIN`], where a candidate stops being covered.
        reaches in proptest::collection::vec(proptest::option::of(250usize..330), LAYERS.len()),
        layer in proptest::sample::select(LAYERS.to_vec()),
        at in 0usize..80,
        lead in 0usize..4,
    ) {
        let decs = LAYERS.iter().flat_map(|&l| layers::decoders(l).iter().copied());
        let covered: Vec<Cover> = decs
            .zip(reaches.iter().cycle())
            .filter_map(|(dec, reach)| reach.map(|r| Cover::new(dec, r, None)))
            .collect();
        let c = Candidate { layer, at, lead, placeholder: false };
        // The pass keeps a bound for each decoder of a layer (three), and
        // marks the ones with work to do in a byte.
        prop_assert!(layers::decoders(layer).len() <= 3);
        for &dec in layers::decoders(layer) {
            if at < covered_until(&covered, dec) {
                let k = covered.iter().find(|k| k.dec == dec);
                prop_assert!(k.is_some_and(|k| k.covers(&c, cover_margin(dec))), "{dec:?} at {at}");
            }
        }
    }
}
