//! Hex dumps read whole, and plain hex wrapped over lines: what is joined,
//! what is not, and the text column a dump repeats its bytes in.

use super::super::dump::dump;
use super::{KEY, hex, scan, xxd};

#[test]
fn a_dumps_text_column_is_not_a_second_finding() {
    // A line wide enough to hold the key whole in its text column: the
    // column's copy (cut at the line's end) is neither a key nor a placeholder.
    for width in [16, 64] {
        let text = xxd(format!("  apiKey: \"{KEY}\",\n").as_bytes(), width);
        let (f, ph) = scan(text.as_bytes());
        assert_eq!(f.len(), 1, "{text}");
        assert_eq!(f[0].finding.secret.as_deref(), Some(KEY));
        assert_eq!(f[0].finding.line, Some(1));
        assert_eq!(ph, 0, "{text}");
    }
}

#[test]
fn lines_whose_offsets_do_not_count_their_bytes_are_no_dump() {
    let key = KEY.as_bytes();
    let spaced = |b: &[u8]| {
        b.iter()
            .map(|c| format!("{c:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    // A table of numbers: its second line's offset is not the first's bytes on.
    let table = format!(
        "000000 {}\n000001 {}\n",
        spaced(&key[..16]),
        spaced(&key[16..])
    );
    assert!(dump(table.as_bytes(), 0, true).is_none());
    // Two dumps one after the other: the second starts again at zero, and a key
    // cut between them is not joined.
    let (a, b) = key.split_at(20);
    let two = format!("00000000: {}\n00000000: {}\n", spaced(a), spaced(b));
    let (f, _) = scan(two.as_bytes());
    assert!(f.is_empty(), "{two}");
    // The same lines as one dump are the key.
    let one = format!("00000000: {}\n00000014: {}\n", spaced(a), spaced(b));
    let (f, _) = scan(one.as_bytes());
    assert_eq!(f.len(), 1, "{one}");
}

#[test]
fn a_dump_is_read_from_a_hex_trigger_in_it() {
    // An excerpt that does not start at zero (`xxd -g1 -s 16`, no trigger at
    // its first offset): the key's first bytes between blanks are a trigger,
    // and the dump is read from a few lines before them. A key whose first
    // bytes a line's end cuts has no such trigger: a dump is found by its
    // first offset.
    let bytes = format!("# settings\nkey = \"{KEY}\"\nretries = 3\n").into_bytes();
    let mut text = String::new();
    for (n, line) in bytes.chunks(16).enumerate() {
        let hex: Vec<String> = line.iter().map(|c| format!("{c:02x}")).collect();
        text += &format!("{:08x}: {:<48} .\n", 0x1000 + n * 16, hex.join(" "));
    }
    // Indented in a document too.
    let indented: String = text.lines().map(|l| format!("    {l}\n")).collect();
    for text in [text, indented] {
        // Read from lines before the candidate's (a layer inside may need
        // the bytes before a key), indented or not: here the third line's
        // start, where a long dump's next part starts.
        let third = text.match_indices('\n').nth(1).unwrap().0 + 1;
        let r = dump(text.as_bytes(), third, false).unwrap();
        assert!(r.phys(0) < text.find('\n').unwrap(), "{text}");
        let (f, ph) = scan(text.as_bytes());
        assert_eq!(f.len(), 1, "{text}");
        assert_eq!(f[0].finding.secret.as_deref(), Some(KEY));
        assert_eq!(f[0].finding.line, Some(2));
        assert_eq!(ph, 0);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// A dump with bytes changed to what its parsing turns on (digits,
    /// blanks, line breaks, `:`, `*`, `|`): no panic, and every finding is a
    /// key the dump could hold.
    #[test]
    fn damaged_dumps_never_panic(
        edits in proptest::collection::vec((0usize..2000, 0usize..12), 0..40),
    ) {
        let mut text = xxd(format!("x = 1\nkey = \"{KEY}\"\n").as_bytes(), 16).into_bytes();
        text.extend(xxd(b"0123456789abcdef0123456789abcdef", 16).into_bytes());
        for (at, b) in edits {
            let n = text.len();
            text[at % n] = b"0 \n:*|f9\r \n0"[b];
        }
        let (f, _) = scan(&text);
        for l in f {
            let s = l.finding.secret.unwrap_or_default();
            proptest::prop_assert!(s.starts_with("qrcp_"), "{s}");
        }
    }
}

#[test]
fn plain_hex_goes_on_over_lines_of_one_width() {
    let digits = hex(&format!("const k = \"{KEY}\";\n"));
    let wrap = |width: usize, indent: &str| -> String {
        digits
            .as_bytes()
            .chunks(width)
            .map(|l| format!("{indent}{}\n", std::str::from_utf8(l).unwrap()))
            .collect()
    };
    // 60 is `xxd -p`'s; a line of 48 digits or more is a run of its own.
    for (width, indent) in [(60, ""), (48, "    "), (64, "\t")] {
        let text = wrap(width, indent);
        let (f, _) = scan(text.as_bytes());
        assert_eq!(f.len(), 1, "{text}");
        assert_eq!(f[0].finding.secret.as_deref(), Some(KEY));
    }
    // A line wider than the first, or of another indent, is another value.
    let lines: Vec<&str> = digits
        .as_bytes()
        .chunks(60)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    for text in [
        format!("{}\n  {}\n", lines[0], lines[1..].concat()),
        format!(
            "{}\n{}\n",
            &lines[0][..40],
            [&lines[0][40..], &lines[1..].concat()].concat()
        ),
    ] {
        let (f, _) = scan(text.as_bytes());
        assert!(
            f.iter().all(|f| f.finding.secret.as_deref() != Some(KEY)),
            "{text}"
        );
    }
}

#[test]
fn a_reg_files_hex_value_goes_on_after_a_continuation() {
    // As `regedit` exports a binary value: bytes between commas, `,\` and a
    // two-blank indent where a line would pass 80 columns.
    let bytes: Vec<String> = format!("{KEY}\0")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    let (a, b) = bytes.split_at(22);
    let text = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\Acme]\r\n\"Key\"=hex:{},\\\r\n  {}\r\n",
        a.join(","),
        b.join(",")
    );
    let (f, _) = scan(text.as_bytes());
    assert_eq!(f.len(), 1, "{text}");
    assert_eq!(f[0].finding.secret.as_deref(), Some(KEY));
    assert_eq!(f[0].finding.line, Some(4));
    // A `\` that ends the line without a comma before it ends the value.
    let cut = text.replace(",\\\r\n", "\\\r\n");
    let (f, _) = scan(cut.as_bytes());
    assert!(f.is_empty(), "{cut}");
}
