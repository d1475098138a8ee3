//! Unit tests of the string array's reading (`super`): its arithmetic, its
//! decodings, and hostile shapes. The real obfuscator's output is read in
//! `tests/obfuscated.rs`.

use base64::Engine as _;

use super::values::{base64, parse_int, rc4};
use super::*;

fn js(s: &str) -> JsStr {
    s.encode_utf16().collect()
}

/// The value of the expression `expr`, with no definitions.
fn value(expr: &str) -> Option<Val> {
    let work = std::cell::Cell::new(1 << 20);
    Program::new(expr.as_bytes(), &work).eval(0, expr.len(), &[])
}

/// The lines `resolve` gives for `code`.
fn lines(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    resolve(code.as_bytes(), &mut |r| {
        out.extend(
            String::from_utf8_lossy(&r.bytes)
                .lines()
                .map(str::to_string),
        )
    });
    out
}

/// javascript-obfuscator's base64: its alphabet is the standard one with the
/// letters' cases swapped, without padding.
fn encode(text: &str) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD
        .encode(text)
        .chars()
        .map(|c| match c.is_ascii_lowercase() {
            true => c.to_ascii_uppercase(),
            false => c.to_ascii_lowercase(),
        })
        .collect()
}

/// A string array of `elems` (written as given) read by a base64 decoder at
/// offset 0x100, rotated by a loop whose checksum is `check` (with `target`),
/// then `tail`.
fn program(elems: &[String], check: &str, target: &str, tail: &str) -> String {
    let list: Vec<String> = elems.iter().map(|e| format!("'{e}'")).collect();
    format!(
        "function A(){{const v=[{}];A=function(){{return v;}};return A();}}\
         function D(i,k){{i=i-0x100;const s=A();\
         const l='abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=';return s[i];}}\
         (function(f,t){{const g=D,r=f();while(!![]){{try{{const c={check};\
         if(c===t)break;else r['push'](r['shift']());}}catch(e){{r['push'](r['shift']());}}}}}}(A,{target}));\
         {tail}",
        list.join(",")
    )
}

/// A key in javascript-obfuscator's shape (the layer tests' sample): in two
/// base64 pieces, the array written a turn back, read through a wrapper, an
/// alias and a property.
pub(in crate::decode) fn sample(key: &str) -> Vec<u8> {
    let (a, b) = key.split_at(10);
    let mut elems = ["1234abc", a, "56xy", b, "789q"].map(encode).to_vec();
    elems.rotate_right(1);
    // 1234 + 56 * 2 - 789 = 557; only one turn puts numbers at 0, 2 and 4.
    program(
        &elems,
        "parseInt(g(0x100))+parseInt(g(0x102))*0x2-parseInt(g(0x104))",
        "0x22d",
        "function w(a,b){return D(b- -0x10,a);}const o={k:0xf1};const z=w;\
         x=z(0x0,o.k)+D(0x103);",
    )
    .into_bytes()
}

#[test]
fn arithmetic_is_javascripts() {
    let n = |e: &str| value(e).map(|v| v.num());
    // `numbersToExpressions`: a constant written as a sum of products.
    assert_eq!(n("(-0x202e+0x17a9+-0x1*-0x886)"), Some(1.0));
    assert_eq!(n("0x4b3- -0xcf"), Some(f64::from(0x4b3 + 0xcf)));
    // A hex string index (`hexadecimal-numeric-string`) subtracted.
    assert_eq!(n("'0x4b0'-0x35e"), Some(f64::from(0x4b0 - 0x35e)));
    assert_eq!(n("- -'0x362'"), Some(f64::from(0x362)));
    // Unary minus binds before division, division before addition.
    assert_eq!(
        n("-parseInt('12')/0x2*(-parseInt('6abc')/0x3)+1"),
        Some(13.0)
    );
    assert_eq!(n("7%4"), Some(3.0));
    assert!(n("parseInt('abc')").unwrap().is_nan());
    assert_eq!(n("((((1))))"), Some(1.0));
    for bad in ["(1", "1)", "1+", "x", "f(1)", "1 2", ""] {
        assert_eq!(value(bad), None, "{bad}");
    }
    assert_eq!(value("'ab'+'c'"), Some(Val::Str(js("abc"))));
}

#[test]
fn parse_int_reads_a_leading_number() {
    assert_eq!(parse_int(&js("3466184egoGeN")), 3466184.0);
    assert_eq!(parse_int(&js("  -12x")), -12.0);
    assert_eq!(parse_int(&js("0x1f")), 31.0);
    assert!(parse_int(&js("abc")).is_nan());
    assert!(parse_int(&js("")).is_nan());
}

#[test]
fn decodings_are_the_obfuscators() {
    assert_eq!(base64(&js(&encode("qrcp_live_x"))), Some(js("qrcp_live_x")));
    // UTF-8 that `decodeURIComponent` reads, and bytes it refuses.
    assert_eq!(base64(&js(&encode("é€"))), Some(js("é€")));
    assert_eq!(base64(&js("////")), None);
    // RC4's test vector (key "Key", "Plaintext").
    let out = rc4(&js("Plaintext"), &js("Key")).unwrap();
    let want: [u8; 9] = [0xbb, 0xf3, 0x16, 0xe8, 0xd9, 0x40, 0xaf, 0x0a, 0xd3];
    assert_eq!(out, want.map(u16::from));
    assert_eq!(rc4(&out, &js("Key")), Some(js("Plaintext")));
}

#[test]
fn the_rotation_is_found_and_the_pieces_joined() {
    let code = String::from_utf8(sample("qrcp_live_AbCdEf")).unwrap();
    assert!(
        lines(&code).contains(&"qrcp_live_AbCdEf".to_string()),
        "{:?}",
        lines(&code)
    );
    let elems = ["1234abc", "qrcp_", "56xy", "live_AbCd", "789q"].map(encode);
    // Not rotated back, the pieces are others: the checksum is what tells.
    let code = program(
        &elems,
        "parseInt(g(0x100))",
        "0x4d2",
        "x=D(0x101)+D(0x103);",
    );
    assert!(lines(&code).contains(&"qrcp_live_AbCd".to_string()));
}

#[test]
fn without_a_matching_rotation_the_elements_are_decoded_one_by_one() {
    let elems = ["qrcp_live_AbCdEf", "12"].map(encode);
    let code = program(&elems, "parseInt(g(0x101))", "0x63", "x=D(0x100);");
    assert_eq!(lines(&code), ["qrcp_live_AbCdEf", "12"]);
}

#[test]
fn the_tokens_survive_regexes_comments_and_templates() {
    let elems = ["1", "qrcp_live_AbCdEf"].map(encode);
    let code = program(
        &elems,
        "parseInt(g(0x100))",
        "0x1",
        "/* it's */ y=/['\"]/g.test(`it's ${'x'}`); // it's\nx=D(0x101);",
    );
    assert!(lines(&code).contains(&"qrcp_live_AbCdEf".to_string()));
}

#[test]
fn hostile_shapes_end() {
    let elems = ["1", "qrcp_live_AbCdEf"].map(encode);
    // A wrapper calling itself, an alias of itself, a property naming itself,
    // a call with no array behind it.
    let code = program(
        &elems,
        "parseInt(g(0x100))",
        "0x1",
        "function w(a,b){return w(a,b);}const q=q;o={k:o.k};x=w(0x1,0x2)+q(0x1)+D(o.k)+A(0x1);",
    );
    // (The loop's own call is a line: `1`.)
    assert_eq!(lines(&code), ["1"]);
    // Nesting as deep as the bytes allow reads no deeper than its tokens.
    let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let code = program(&elems, &deep, "0x1", "x=D(0x101);");
    let _ = lines(&code);
    // Random bytes behind the signature.
    let mut junk = b"['shift']()".to_vec();
    junk.extend((0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let _ = resolve(&junk, &mut |_| {});
}

#[test]
fn work_is_linear_and_a_cut_is_said() {
    let elems = ["1", "qrcp_live_AbCdEf"].map(encode);
    let calls = "x=D(0x101)+D(0x101)+D(0x101);".repeat(20_000);
    let code = program(&elems, "parseInt(g(0x100))", "0x1", &calls);
    // Handed on in regions of at most a batch and a line each.
    let (mut keys, mut regions, mut largest) = (0, 0, 0);
    let cut = resolve(code.as_bytes(), &mut |r| {
        let text = String::from_utf8_lossy(&r.bytes);
        keys += text.lines().filter(|l| l.starts_with("qrcp_")).count();
        regions += 1;
        largest = largest.max(r.bytes.len());
    });
    assert!(!cut);
    assert_eq!(keys, 20_000);
    assert!(regions > 1 && largest < BATCH + 256, "{regions} {largest}");
    // Too little work for the calls: they are not all read, and that is said.
    let work = std::cell::Cell::new(1000);
    let mut p = Program::new(code.as_bytes(), &work);
    let mut lx = Lexer::new(code.as_bytes(), 0, &work);
    while let Some(t) = lx.next() {
        if t.kind == Kind::Ident && lx.text(t) == b"function" {
            let _ = p.array_fn(lx).or_else(|| p.decoder(lx));
        }
    }
    let mut sink = |_: Region| {};
    let mut out = Out {
        r: Region::new(Layer::StringArray, 0),
        emit: &mut sink,
    };
    chains(&mut p, &mut out);
    assert_eq!(work.get(), 0);
}

/// Shapes that each read far ahead (a wrapper's arguments never closed, a
/// decoder's body, a rotation loop's) are charged with every token they look
/// at: 40,000 of them would read billions of tokens (an object literal's
/// value, 256 bytes at most, ten million); the reading stops at its bound
/// instead, and says so.
#[test]
fn looking_ahead_is_charged() {
    let elems = ["1", "qrcp_live_AbCdEf"].map(encode);
    for (unit, cut) in [
        ("function w(a){return f(", true),
        ("function D(i,k){i=i-0x100;const s=A();", true),
        ("while(!![]){try{const c=1;", true),
        ("o={a:(", true),
    ] {
        let code = program(&elems, "parseInt(g(0x100))", "0x1", &unit.repeat(40_000));
        assert_eq!(resolve(code.as_bytes(), &mut |_| {}), cut, "{unit}");
    }
}

#[test]
fn present_needs_the_arrays_shape() {
    assert!(present(
        b"function F(){const v=['a'];F=function(){return v;};return F();}"
    ));
    assert!(present(
        b"function F() {\n  const v = ['a'];\n  F = function () {\n    return v;\n  };\n  return F();\n}"
    ));
    // Ordinary code that assigns functions is not.
    assert!(!present(b"x = function () { return 1; };"));
    assert!(!present(b"a.b=function(){return c};"));
    assert!(!present(b"a['push'](a['shift']())"));
}

#[test]
fn scripts_and_pages_are_read_for_it() {
    for yes in [
        "dist/app.js",
        "a/B.MJS",
        "site.zip!assets/app.js.br!app.js",
        "index.html!script[2]",
        "https://example.com/",
        "https://example.com/main.js?v=3#x",
        "stdin",
        "app.vue",
    ] {
        assert!(script_named(yes), "{yes}");
    }
    for no in [
        "style.css",
        "data.json",
        "app.js.map",
        "README.md",
        "a.js!b.py",
        "x.tar.gz",
    ] {
        assert!(!script_named(no), "{no}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Any soup of the shapes' tokens, behind a real array and decoder, ends
    /// without a panic (indexes out of range, cycles, unclosed brackets,
    /// numbers past `usize`, strings that are no UTF-8).
    #[test]
    fn token_soup_never_panics(
        parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "function ", "w", "D", "A", "g", "o", "(", ")", "{", "}", "[", "]", "=", "-", "+",
                "*", "/", "%", ",", ";", ".", ":", "0x101", "0x100", "-0x1", "1e400", "0x",
                "'0x1'", "'a'", "'\\x'", "'\\u{110000}'", "'\\ud800'", "`t`", "/r/", "return ",
                "const ", "parseInt", "while(!![]){try{const c=", "if(c===t)break;else ",
                "r['push'](r['shift']());}catch(e){r['push'](r['shift']());}}}(A,0x1));",
                "=function(){return v;};return A();}", "\n", "/*", "*/", "//",
            ]),
            0..120,
        )
    ) {
        let elems = ["1", "qrcp_live_AbCdEf"].map(encode);
        let code = program(&elems, "parseInt(g(0x100))", "0x1", &parts.concat());
        let _ = lines(&code);
        let _ = lines(&parts.concat());
    }
}
