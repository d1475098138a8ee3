//! Unit tests of reassembly (`super::super::joins`) through the real detector.

use base64::Engine as _;

use super::*;

/// The line and encoding of the finding of [`KEY`] in `src`, if found.
fn found(src: &str) -> Option<(Option<usize>, Option<Encoding>)> {
    let (f, _) = scan(src.as_bytes());
    f.iter()
        .find(|l| l.finding.secret.as_deref() == Some(KEY))
        .map(|l| (l.finding.line, l.finding.encoding()))
}

/// Reassembly forms real bundlers emit: each must give the key, at the line of
/// its earliest piece, and a near miss must give nothing.
#[test]
fn reassembly_forms_of_real_bundles() {
    let (a, b) = KEY.split_at(10);
    let (b1, b2) = b.split_at(8);
    let (p, q) = KEY.split_at(5);
    let concat = Some(Encoding::Concatenation);
    // `[…].join('')`, with `"` or `'`, over lines.
    let join = format!("const e=[\"{a}\",\"{b1}\",\n  \"{b2}\"].join(''),r=1;");
    assert_eq!(found(&join), Some((Some(1), concat)));
    // The keyword itself split, plain and inside a JSON string (a source map).
    assert_eq!(
        found(&format!("k = \"{p}\" + \"{q}\";")),
        Some((Some(1), concat))
    );
    let json = format!(r#"{{"sourcesContent":["x\nk = \"{p}\" + \"{q}\";\n"]}}"#);
    assert!(found(&json).is_some(), "{json}");
    // A template or a join through a name bound in the same file (esbuild).
    let tpl = format!("var e=\"{b}\";\nfunction f(){{}}\nr=`{a}${{e}}`;");
    assert_eq!(found(&tpl), Some((Some(1), concat)));
    let call = format!("function o(){{return\"{b}\"}}var p=[\"{a}\",o()].join(\"\");");
    assert!(found(&call).is_some(), "{call}");
    let arrow = format!("const o = () => '{b}';\nk = '{a}' + o();");
    assert!(found(&arrow).is_some(), "{arrow}");
    // Python/C adjacent literals, in parentheses over lines.
    let py = format!("KEY = (\n    \"{a}\"\n    \"{b}\"\n)\n");
    assert_eq!(found(&py), Some((Some(2), concat)));
    // What Babel makes of a template literal, chained and with a name.
    let babel = format!("var e=\"{b2}\";k=\"{a}\".concat(\"{b1}\").concat(e);");
    assert_eq!(found(&babel), Some((Some(1), concat)));
    let args = format!("k = '{a}'.concat('{b1}', '{b2}');");
    assert_eq!(found(&args), Some((Some(1), concat)));
    // PHP and Perl `.`, Lua `..`, SQL `||`, Visual Basic `&`, Ruby `<<`, over
    // lines too, and after a line continuation.
    for op in [".", "..", "||", "&", "<<", "\\\n +", "\\\r\n"] {
        let src = format!("$k = '{a}' {op}\n  '{b}';");
        assert_eq!(found(&src), Some((Some(1), concat)), "{src}");
    }
    // Calls that join their arguments, and Python's join of a list.
    for src in [
        format!("const K: &str = concat!(\"{a}\", \"{b1}\", \"{b2}\");"),
        format!("var k = string.Concat(\"{a}\",\n  \"{b}\");"),
        format!("SELECT CONCAT('{a}', '{b1}', '{b2}');"),
        format!("k = \"\".concat(\"{a}\", \"{b}\")"),
        format!("k = ''.join(['{a}', '{b1}',\n  '{b2}'])"),
        format!("k = [\"{a}\",\n  \"{b}\",\n].join(\"\")"),
        format!("k = new StringBuilder(\"{a}\").append(\"{b1}\").append(\"{b2}\");"),
        format!("k = sb.append(\"{a}\").append(\"{b}\").toString();"),
    ] {
        assert_eq!(found(&src), Some((Some(1), concat)), "{src}");
    }
    // Interpolation beyond template literals: Python's f-strings, C#'s `$"…"`,
    // `${…}` (Kotlin, Groovy, Dart, PHP, HCL, shell) and `#{…}` (Ruby) in
    // double quotes, with a name bound in the file or a literal.
    for src in [
        format!("B = \"{b}\"\nK = f\"{a}{{B}}\"\n"),
        format!("K = F'{a}{{\"{b}\"}}'\n"),
        format!("var b = \"{b}\";\nvar k = $\"{a}{{b}}\";\n"),
        format!("val b = \"{b}\"\nval k = \"{a}${{b}}\"\n"),
        format!("b = \"{b}\"\nk = \"{a}#{{b}}\"\n"),
        format!("let b = \"{b}\"\nlet k = \"{a}\\(b)\"\n"),
        // A bare `$name` (Kotlin, Dart, Groovy, shell, Perl; PHP's `$b` and
        // `{$b}`), and a shell's or a dotenv file's unquoted binding.
        format!("val b = \"{b}\"\nval k = \"{a}$b\"\n"),
        format!("<?php\n$b = '{b}';\n$k = \"{a}$b\";\n"),
        format!("<?php $b = \"{b}\"; $k = \"{a}{{$b}}\";\n"),
        format!("val b1 = \"{b1}\"\nval b2 = \"{b2}\"\nval k = \"{a}$b1$b2\"\n"),
    ] {
        let line = src.starts_with("<?php\n") as usize + 1;
        assert_eq!(found(&src), Some((Some(line), concat)), "{src}");
    }
    for src in [
        format!("B={b}\nK=\"{a}$B\"\n"),
        format!("export B={b}\nK={a}${{B}}\n"),
        format!("B=\"{b1}\"\nC={b2}\nK={a}$B\"$C\"\n"),
    ] {
        assert_eq!(found(&src), Some((Some(1), concat)), "{src}");
    }
    // Not interpolated: a doubled brace, single quotes, a plain string's braces.
    for src in [
        format!("x = \"{b}\"\nk = f\"{a}{{{{x}}}}\"\n"),
        format!("x = \"{b}\"\nk = '{a}${{x}}'\n"),
        format!("x = \"{b}\"\nk = \"{a}{{x}}\"\n"),
        format!("x = \"{b}\"\nk = elf\"{a}{{x}}\"\n"),
        format!("x = \"{b}\"\nk = '{a}\\(x)'\n"),
        // `$x` in single quotes or a template literal is text; `$y` is bound
        // nowhere; `$xs` is another name.
        format!("x = \"{b}\"\nk = '{a}$x'\n"),
        format!("x = \"{b}\"\nk = `{a}$x`\n"),
        format!("x = \"{b}\"\nk = \"{a}$y\"\n"),
        format!("x={b}\nk={a}$xs\n"),
    ] {
        assert_eq!(found(&src), None, "{src}");
    }
    // A prefix joined to a body that a call decodes.
    let enc = |f: &dyn Fn(u8) -> String| b.bytes().map(f).collect::<Vec<_>>();
    let b64 = base64::engine::general_purpose::STANDARD.encode(b);
    let pct = enc(&|c| format!("%{c:02X}")).concat();
    let codes = enc(&|c| c.to_string()).join(", ");
    let hexes = enc(&|c| format!("0x{c:x}")).join(",");
    let pairs = enc(&|c| format!("{c:02x}")).concat();
    for src in [
        format!("k = \"{a}\" + atob(\"{b64}\");"),
        format!("k = ['{a}', window.atob('{b64}')].join('')"),
        format!("k = '{a}' + decodeURIComponent('{pct}')"),
        format!("k = \"{a}\".concat(String.fromCharCode({codes}))"),
        format!("k = \"{a}\" + String.fromCharCode(\n  {hexes})"),
        format!("K = \"{a}\" + base64.b64decode(\"{b64}\").decode()"),
        format!("K = \"{a}\" + bytes.fromhex(\"{pairs}\").decode(\"utf-8\")"),
        format!("k = '{a}' + Buffer.from('{b64}', 'base64').toString('utf8');"),
        format!("k = `{a}${{Buffer.from(\"{pairs}\", \"hex\")}}`;"),
    ] {
        assert_eq!(found(&src), Some((Some(1), concat)), "{src}");
    }
    // Not pieces: another call, binary text, an unclosed call.
    for src in [
        format!("k = \"{a}\" + btoa(\"{b64}\");"),
        format!("k = \"{a}\" + Buffer.from(\"{b64}\", \"latin1\");"),
        format!(
            "k = \"{a}\" + atob(\"{}\");",
            base64::engine::general_purpose::STANDARD.encode([0u8, 1, 2, 200])
        ),
        format!("k = \"{a}\" + String.fromCharCode({codes}"),
    ] {
        assert_eq!(found(&src), None, "{src}");
    }
    // Not joins: a logical and, a compound assignment, other calls, a join
    // with a separator.
    for src in [
        format!("if ('{a}' && '{b}') {{}}"),
        format!("k = '{a}' &= '{b}'"),
        format!("print('{a}', '{b}')"),
        format!("SELECT CONCAT_WS('-', '{a}', '{b}');"),
        format!("k = ','.join(['{a}', '{b}'])"),
        format!("k = ''.join(['{a}', '{b}'].x)"),
    ] {
        assert_eq!(found(&src), None, "{src}");
    }
    // A prefix bound to a name used more than once (what esbuild and terser keep):
    // each use gives its own key, found where it is used.
    let min = format!("var t=\"{a}\";function r(){{return t+\"{b}\"}}function e(n){{return t+n}}");
    assert_eq!(found(&min), Some((Some(1), concat)));
    let other = "qrcp_live_Hq7Ld2Kz9Xw4Mp1Rv6Tn3Bc8";
    let py = format!(
        "PREFIX = \"{a}\"\nKEY = PREFIX + \"{b}\"\nOTHER = PREFIX + \"{}\"\n",
        &other[10..]
    );
    let (f, _) = scan(py.as_bytes());
    let at: Vec<_> = f
        .iter()
        .map(|l| (l.finding.secret.clone().unwrap(), l.finding.line))
        .collect();
    assert_eq!(
        at,
        [(KEY.to_string(), Some(2)), (other.to_string(), Some(3))],
        "{py}"
    );
    let tpl = format!("var c=\"{a}\",o=()=>`${{c}}{b}`,n=t=>`${{ c }}${{t}}`;");
    assert_eq!(found(&tpl), Some((Some(1), concat)));
    let php = format!("<?php\n$p = '{a}';\n$k = $p . '{b}';\n");
    assert_eq!(found(&php), Some((Some(3), concat)));
    // Used in other languages' interpolations, and in a template literal
    // opened on an earlier line.
    for src in [
        format!("P = \"{a}\"\nK = f\"{{P}}{b}\"\n"),
        format!("val p = \"{a}\"\nval k = \"${{p}}{b}\"\n"),
        format!("p = \"{a}\"\nk = \"#{{p}}{b}\"\n"),
        format!("const p = \"{a}\";\nconst k = `x\n${{p}}{b}`;\n"),
    ] {
        let line = if src.contains("`x") { 3 } else { 2 };
        assert_eq!(found(&src), Some((Some(line), concat)), "{src}");
    }
    // Not interpolations there: a plain string's braces, single quotes, a
    // doubled brace.
    for src in [
        format!("p = \"{a}\"\nk = \"{{p}}{b}\"\n"),
        format!("p = \"{a}\"\nk = '${{p}}{b}'\n"),
        format!("p = \"{a}\"\nk = f\"{{{{p}}}}{b}\"\n"),
    ] {
        assert_eq!(found(&src), None, "{src}");
    }
    // Not bindings or not uses: a comparison, a member, a longer name, a
    // member named the same, adjacency.
    for src in [
        format!("if (x == \"{a}\") y = x + \"{b}\";"),
        format!("o.t = \"{a}\"; k = t + \"{b}\";"),
        format!("t = \"{a}\"; k = tt + \"{b}\";"),
        format!("t = \"{a}\"; k = o.t + \"{b}\";"),
        format!("t = \"{a}\"; print t \"{b}\""),
        format!("t = \"{a}\"; k = `${{t}}`; j = `{{t}}{b}`;"),
    ] {
        assert_eq!(found(&src), None, "{src}");
    }
    // Not joins: an array that is not joined, a name bound to nothing, a member.
    assert_eq!(found(&format!("x=[\"{a}\",\"{b}\"].map(f)")), None);
    assert_eq!(found(&format!("x=\"{a}\".length+\"{b}\"")), None);
    assert_eq!(found(&format!("x=\"{a}\".concat(y)+\"{b}\"")), None);
    assert_eq!(found(&format!("r=`{a}${{nothing}}`")), None);
    assert_eq!(found(&format!("var e=\"{b}\";r=`{a}${{e.x}}`")), None);
}

/// A key's prefix in a format string and its body in the arguments, in the
/// languages' format calls and operators.
#[test]
fn format_strings_are_filled() {
    let (a, b) = KEY.split_at(10);
    let (b1, b2) = b.split_at(8);
    let concat = Some((Some(1), Some(Encoding::Concatenation)));
    for src in [
        format!("k = \"{a}%s\" % \"{b}\"\n"),
        format!("k = '{a}%s%s' % ('{b1}', '{b2}',)\n"),
        format!("k = \"{a}{{}}\".format(\"{b}\")\n"),
        format!("k = \"{a}{{1}}{{0}}\".format(\"{b2}\", \"{b1}\")\n"),
        format!("k = \"{a}{{:s}}\".format(\n    \"{b}\",\n)\n"),
        format!("B = \"{b}\"\nk = \"{a}%s\" % B\n"),
        format!("sprintf(k, \"{a}%s\", \"{b}\");"),
        format!("k := fmt.Sprintf(\"{a}%v\", \"{b}\")"),
        format!("let k = format!(\"{a}{{}}{{}}\", \"{b1}\", \"{b2}\");"),
        format!("var k = String.Format(\"{a}{{0}}\", \"{b}\");"),
        format!("String k = String.format(\"{a}%2$s%1$s\", \"{b2}\", \"{b1}\");"),
        format!("String k = \"{a}%s\".formatted(\"{b}\");"),
        format!("k = \"{a}%s\" % [\"{b}\"]"),
        format!("NSString *k = [NSString stringWithFormat:@\"{a}%@\", @\"{b}\"];"),
    ] {
        assert_eq!(found(&src), concat, "{src}");
    }
    // Not filled: an escaped conversion, an object's next member, nothing
    // after, an argument that is no string, a conversion that takes a number.
    for src in [
        format!("k = \"{a}%%s\" % \"{b}\"\n"),
        format!("k = \"{a}{{{{}}}}\".format(\"{b}\")\n"),
        format!("{{\"k\": \"{a}{{}}\", \"v\": \"{b}\"}}"),
        format!("k = \"{a}%s\"\nv = \"{b}\"\n"),
        format!("k = \"{a}%s\" % (x, \"{b}\")\n"),
        format!("k = \"{a}%d\" % \"{b}\"\n"),
    ] {
        assert_eq!(found(&src), None, "{src}");
    }
}

/// A key spelled one character a piece in a list, joined there or not (a name
/// bound to it may be joined elsewhere): single or double quotes, with or
/// without a space after each comma, or one a line.
#[test]
fn keys_spelled_one_character_a_piece() {
    let list = |q: &str, sep: &str| {
        let v: Vec<String> = KEY.chars().map(|c| format!("{q}{c}{q}")).collect();
        v.join(sep)
    };
    let concat = Some((Some(1), Some(Encoding::Concatenation)));
    for src in [
        format!("const k=[{}].join('');", list("'", ",")),
        format!("const k=[{}].join(\"\");", list("\"", ",")),
        format!("k = ''.join([{}])\n", list("'", ", ")),
        format!("k = \"\".join([{}])\n", list("\"", ", ")),
        // Arrays of characters: C, Java, C#, Go, Kotlin, Rust.
        format!("static const char k[] = {{{}, 0}};", list("'", ", ")),
        format!("String k = new String(new char[]{{{}}});", list("'", ",")),
        format!("var k = new string(new[] {{ {} }});", list("'", ", ")),
        format!("var k = string([]byte{{{}}})", list("'", ", ")),
        format!("val k = String(charArrayOf({}))", list("'", ", ")),
        format!("let k: String = [{}].iter().collect();", list("'", ", ")),
        // A list bound to a name, joined where the name is used.
        format!("k = [{}]\n", list("'", ",")),
        format!("let k = [{}];", list("'", ", ")),
    ] {
        assert_eq!(found(&src), concat, "{src}");
    }
    // A body longer than the pieces other joins read (64) is read whole.
    let long = format!("{KEY}{}", "Ab3x".repeat(16));
    let v: Vec<String> = long.chars().map(|c| format!("'{c}'")).collect();
    let (f, _) = scan(format!("char k[] = {{{}}};", v.join(",")).as_bytes());
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].finding.secret.as_deref(), Some(long.as_str()));
    // Not a key: a list joined by a separator, a placeholder, longer literals.
    let dummy = "qrcp_live_xxxxxxxxxxxxxxxxxxxxxxxx";
    let v: Vec<String> = dummy.chars().map(|c| format!("'{c}'")).collect();
    for src in [
        format!("k = '-'.join([{}])\n", list("'", ", ")),
        format!("k = [{}].join('-')\n", list("'", ", ")),
        format!("k = [{}].join('')\n", v.join(",")),
        format!(
            "char *k[] = {{{}, \"ab\"}};",
            list("\"", ", ").replace("\", \"", "ab\", \"")
        ),
    ] {
        let (f, _) = scan(src.as_bytes());
        assert!(f.is_empty(), "{src}: {f:?}");
    }
}

/// A key made one character a call (`chr(113) + chr(114) + …` in the joins of
/// Python, PHP, SQL, Visual Basic, JavaScript and Lua, decimal or hex) or a
/// cast (`[char]113+…`, `(char)113 + …`), or one
/// quoted character a line in a list: found as character codes and as joined
/// literals; a call of another name, a code that is no character, a chain too
/// short to be a key, give nothing.
#[test]
fn keys_made_one_character_a_call_or_a_line() {
    let calls = |name: &str, op: &str, hex: bool| {
        let v: Vec<String> = KEY
            .bytes()
            .map(|b| match hex {
                true => format!("{name}(0x{b:x})"),
                false => format!("{name}({b})"),
            })
            .collect();
        v.join(op)
    };
    let codes = Some((Some(1), Some(Encoding::CharCodes)));
    for src in [
        format!("k = {}\n", calls("chr", "+", false)),
        format!("<?php $k = {};", calls("chr", ".", false)),
        format!("SELECT {};", calls("CHAR", " + ", false)),
        format!("SELECT {} FROM dual;", calls("CHR", "||", false)),
        format!("k = {}\n", calls("Chr", " & ", true)),
        format!("k = {};", calls("String.fromCharCode", "+\n  ", false)),
        format!("local k = {}", calls("string.char", "..", false)),
    ] {
        assert_eq!(found(&src), codes, "{src}");
    }
    // Casts: PowerShell's (its case mixed), C#'s and Java's.
    let casts = |cast: &[&str], op: &str| {
        let v: Vec<String> = KEY
            .bytes()
            .enumerate()
            .map(|(i, b)| format!("{}{b}", cast[i % cast.len()]))
            .collect();
        v.join(op)
    };
    for src in [
        format!("$k = {}\n", casts(&["[char]"], "+")),
        format!("$k = {}\n", casts(&["[Char]", "[cHAr]"], " + ")),
        format!("var k = \"\" + {};\n", casts(&["(char)"], " +\n    ")),
    ] {
        assert_eq!(found(&src), codes, "{src}");
    }
    for src in [
        format!("$k = {}\n", casts(&["[char]", "[int]"], "+")),
        format!("$k = {}\n", casts(&["[int]"], "+")),
        "$k = [char]113+[char]114+[char]99+[char]112+[char]95\n".to_string(),
    ] {
        let (f, _) = scan(src.as_bytes());
        assert!(f.is_empty(), "{src}: {f:?}");
    }
    let lines: String = KEY.chars().map(|c| format!("  '{c}',\n")).collect();
    let concat = Some((Some(2), Some(Encoding::Concatenation)));
    for src in [
        format!("const k = [\n{lines}].join('');\n"),
        format!("char k[] = {{\n{lines}  0\n}};\n"),
        format!("k = ''.join([\n{}])\n", lines.replace('\'', "\"")),
    ] {
        assert_eq!(found(&src), concat, "{src}");
    }
    for src in [
        format!(
            "k = {}\n",
            calls("chr", "+", false).replacen("chr(114)", "ord(114)", 1)
        ),
        format!(
            "k = {}\n",
            calls("chr", "+", false).replacen("chr(114)", "chr(99999999)", 1)
        ),
        "k = chr(113) + chr(114) + chr(99) + chr(112) + chr(95)\n".to_string(),
    ] {
        let (f, _) = scan(src.as_bytes());
        assert!(f.is_empty(), "{src}: {f:?}");
    }
}

/// An array of pieces joined where its elements are used by index
/// (`p[0] + p[1]`, an obfuscator's `_0x[1]+_0x[2]`): the key at the line of
/// its earliest piece; an index that picks another element, or an array not
/// bound to a name, gives no key.
#[test]
fn array_elements_joined_by_index() {
    let (a, b) = KEY.split_at(12);
    let (b1, b2) = b.split_at(9);
    let concat = Some(Encoding::Concatenation);
    let first = format!("var p=[\"{a}\",\"{b}\"];var key=p[0]+p[1];");
    assert_eq!(found(&first), Some((Some(1), concat)));
    let later = format!(
        "var _0x=['log','{a}','{b1}','{b2}'];\nfunction k(){{return _0x[1]+_0x[2]+_0x[3]}}\nconsole[_0x[0]](k());"
    );
    assert_eq!(found(&later), Some((Some(1), concat)));
    // Python, one element a line and a trailing comma; the use lines later.
    let py = format!("parts = [\n    \"{a}\",\n    \"{b}\",\n]\n\nKEY = parts[0] + parts[1]\n");
    assert_eq!(found(&py), Some((Some(2), concat)));
    for miss in [
        format!("var p=[\"{a}\",\"x\",\"{b}\"];var key=p[0]+p[1];"),
        format!("var p=[\"{a}\",\"{b}\"];var key=p[1]+p[0];"),
        format!("f([\"{a}\",\"{b}\"]);var key=p[0]+p[1];"),
        format!("var p=[\"{a}\",\"{b}\"];var key=q[0]+q[1];"),
    ] {
        assert_eq!(found(&miss), None, "{miss}");
    }
}

proptest::proptest! {
    /// The memo of where the next line break is refuses a wrapped piece
    /// exactly where reading the piece does, at candidates in any order,
    /// on lines longer than one look too.
    #[test]
    fn refusals_remember_breaks_as_reading_finds_them(
        pieces in proptest::collection::vec(
            (proptest::sample::select(vec![0usize, 1, 2, 254, 255, 256, 257, 258, 300]), 0usize..6),
            0..12,
        ),
        long in 0usize..4,
        jumps in proptest::collection::vec(0usize..100_000, 0..40),
    ) {
        let mut data = Vec::new();
        for (i, (len, sep)) in pieces.into_iter().enumerate() {
            if long == 0 && i == 1 {
                data.extend(b"\"ab\"+".repeat(wrapped::BREAK_LOOK / 4));
            }
            data.extend((0..len).map(|k| b"qrcp_live-Ab9"[k % 13]));
            data.extend_from_slice([&b"\""[..], b"\n", b"\r\n", b"\\\n", b" ", b"\\"][sep]);
        }
        // A pass's candidates, in order; then some anywhere.
        let ats = (0..data.len() + 2).chain(jumps.into_iter().map(|j| j % (data.len() + 2)));
        let mut refusals = layers::Refusals::default();
        for at in ats {
            let c = crate::detect::Candidate {
                layer: Layer::Concatenation,
                at,
                lead: 0,
                placeholder: false,
            };
            let read = wrapped::piece_cut(&data, at).is_none();
            proptest::prop_assert_eq!(refusals.refuses(&data, &c, layers::Decoder::Wrapped), read, "at {}", at);
        }
    }
}
