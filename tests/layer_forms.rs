//! Issue 10, the last layers: UTF-32 text (LE/BE, with or without a BOM), shell
//! adjacent words (`qrcp_'live_'"…"`, `$'…'` ANSI-C quoting) and keys wrapped over
//! lines in YAML scalars (folded, literal, plain and double-quoted continued) are
//! found the same way in a folder, in git history and in a staged change, at the
//! line where the key starts, and so is a key percent-encoded whole and then
//! base64-encoded. So are encodings beyond those the issue lists: quoted-printable
//! (a mail wrapped by a soft line break), hex, character
//! codes (`String.fromCharCode(113,…)`, a C array of `0x71, …` over lines), and
//! the joins of other languages and tools (Babel's `.concat(…)`, PHP's `.`, SQL's
//! `||`), and a prefix bound to a name that is joined where the name is used
//! (`var t="qrcp_live_";…t+"…"`, what esbuild and terser keep of a constant used
//! twice), and any spelling of the `_` after the keyword's start: Markdown's
//! `\_`, CSS escapes, padded and named character references, and the joins of
//! Rust, Visual Basic, SQL's `CONCAT`, Python's `"".join` and line continuations,
//! and Ruby, and a prefix joined to a body that a call decodes (`atob("…")`,
//! `String.fromCharCode(…)`), interpolated strings (Python's f-strings,
//! Kotlin's `${…}`, Swift's `\(…)`) and Java's string builders, base64 of
//! UTF-16 (PowerShell's `-EncodedCommand`) and of base64, ROT13 and reversed
//! keys, and variables expanded where a shell, Kotlin or PHP expands them
//! (`$B`, `${B}`, `{$b}`), arrays of characters (C's `{'q', 'r', …}`, one a line too) and keys made
//! one character a call (`chr(113) + chr(114) + …`), and keys cut anywhere,
//! the prefix too (`'qrc'+'p_l'+…`, as javascript-obfuscator's `splitStrings`
//! cuts every string), and base64 escaped whole (`\x63\x58…`, `\u0063…`,
//! `&#99;…`, hex digits), and a key whose first character is a reference
//! and the rest a mix (`&#113;&#x72;c&#112;…`), or in a long or padded form
//! (`&#x0071;`, `&#0113;`, `\U00000071`, `%u0071`, CSS's `\71 `), or plain and then a mix
//! (`qr&#99;p…`, `q\x72c\u0070…`), base85 (Python's `b85encode`, Ascii85),
//! and binary digits (a run of them, alone or base64-encoded), and codes
//! between blanks alone (decimal and octal, binary digits a byte a group, as
//! CyberChef writes them by default), and Lua's decimal escapes, and codes one a
//! line (a JSON array pretty-printed, Python's `bytes([…])` with `\r\n`), and
//! ROT47 (in a string, its quotes escaped, and on a line of its own), and `0x`
//! codes glued or between blanks, and hex and decimal codes one a line, and hex
//! between commas, and casts (PowerShell's `[char]113+…`, C#'s `(char)113 +
//! …`), an array of characters bound to a name, and a template literal in a
//! string, and base64 wrapped in an indented block at any width (a YAML block,
//! a plist's `<data>`) or at Ruby's 60, and base64 cut into string literals,
//! and base58 (Bitcoin's alphabet, CyberChef's "To Base58"), and an array's
//! elements joined by index where they are used (`_0x[1]+_0x[2]`,
//! `parts[0] + parts[1]`).
//! Every key is generated at test time and must never
//! appear in the output.

use serde_json::Value;

use crate::bundles::finding_of;
use crate::git::Repo;
use crate::util::*;

fn utf32(s: &str, be: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let chars = bom.then_some('\u{FEFF}').into_iter().chain(s.chars());
    for c in chars {
        let v = c as u32;
        out.extend(if be { v.to_be_bytes() } else { v.to_le_bytes() });
    }
    out
}

/// (path, content, line the key starts on, encoding).
type Case = (&'static str, Vec<u8>, u64, &'static str);

fn cases(k: &[String]) -> Vec<Case> {
    let cut = |i: usize, at: usize| (k[i][..at].to_string(), k[i][at..].to_string());
    let (s1, s2) = cut(2, 5);
    let (a1, a2) = cut(3, 10);
    let (f1, f2) = cut(5, 7);
    let (p1, p2) = cut(6, 16);
    let (d1, d2) = cut(7, 20);
    let (l1, l2) = cut(8, 12);
    let ansi: String = k[4][..10]
        .bytes()
        .map(|c| format!("\\x{c:02x}"))
        .collect::<String>()
        + &k[4][10..];
    // Percent-encoded whole (upper- then lower-case hex), then base64: a URL
    // parameter carried in a data blob.
    let pct_b64 = |key: &str, upper: bool| {
        use base64::Engine as _;
        let pct: String = key
            .bytes()
            .map(|c| {
                if upper {
                    format!("%{c:02X}")
                } else {
                    format!("%{c:02x}")
                }
            })
            .collect();
        base64::engine::general_purpose::STANDARD.encode(pct)
    };
    vec![
        (
            "conf/key-le.txt",
            utf32(&format!("# settings\r\nKEY={}\r\n", k[0]), false, false),
            2,
            "utf-32",
        ),
        (
            "conf/key-be.txt",
            utf32(&format!("# settings\nKEY={}\n", k[1]), true, true),
            2,
            "utf-32",
        ),
        (
            "deploy/env.sh",
            format!(
                "#!/bin/sh\nexport QRKEY={s1}'{}'\"{}\"\n",
                &s2[..6],
                &s2[6..]
            )
            .into_bytes(),
            2,
            "concatenation",
        ),
        (
            "deploy/run.sh",
            format!(
                "#!/bin/bash\ncurl -H \"X: \"'{a1}'$'{}'\"{}\" x\n",
                &a2[..4],
                &a2[4..]
            )
            .into_bytes(),
            2,
            "concatenation",
        ),
        (
            "deploy/ansi.sh",
            format!("#!/bin/bash\nKEY=$'{ansi}'\n").into_bytes(),
            2,
            "escape",
        ),
        (
            "k8s/folded.yaml",
            format!("apiVersion: v1\ndata:\n  key: >-\n    {f1}\n    {f2}\n  other: 1\n")
                .into_bytes(),
            4,
            "concatenation",
        ),
        (
            "k8s/plain.yaml",
            format!("data:\n  key: {p1}\n    {p2}\n  other: 1\n").into_bytes(),
            2,
            "concatenation",
        ),
        (
            "k8s/quoted.yml",
            format!("data:\n  key: \"{d1}\\\n    \\{d2}\"\n").into_bytes(),
            2,
            "concatenation",
        ),
        (
            "k8s/literal.yaml",
            format!("data:\n  key: |\n    {l1}\\\n    {l2}\n").into_bytes(),
            3,
            "concatenation",
        ),
        (
            "conf/params.js",
            format!("// state\nconst p = \"{}\";\n", pct_b64(&k[9], true)).into_bytes(),
            2,
            "base64",
        ),
        (
            "conf/params-lower.js",
            format!("const p = atob('{}');\n", pct_b64(&k[10], false)).into_bytes(),
            1,
            "base64",
        ),
        (
            "conf/hex.js",
            format!(
                "// key\nconst k = Buffer.from(\"{}\", \"hex\").toString();\n",
                hex(&k[11])
            )
            .into_bytes(),
            2,
            "hex",
        ),
        (
            "conf/codes.js",
            format!("k=String.fromCharCode({});\n", codes(&k[12], "", ",")).into_bytes(),
            1,
            "char-codes",
        ),
        (
            "conf/key.c",
            {
                let rows: Vec<String> = k[13]
                    .as_bytes()
                    .chunks(8)
                    .map(|r| codes(std::str::from_utf8(r).unwrap(), "0x", ", "))
                    .collect();
                format!(
                    "static const char k[] = {{\n  {},\n  0}};\n",
                    rows.join(",\n  ")
                )
            }
            .into_bytes(),
            2,
            "char-codes",
        ),
        (
            "conf/babel.js",
            format!(
                "var e=\"{}\";\nvar k=\"{}\".concat(e);\n",
                &k[14][10..],
                &k[14][..10]
            )
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            "conf/key.php",
            format!("<?php\n$k = '{}' .\n  '{}';\n", &k[15][..10], &k[15][10..]).into_bytes(),
            2,
            "concatenation",
        ),
        (
            "conf/seed.sql",
            format!(
                "insert into keys values ('{}' || '{}');\n",
                &k[16][..12],
                &k[16][12..]
            )
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            "conf/prefix.js",
            format!(
                "var t=\"{}\";\nfunction r(){{return t+\"{}\"}}function e(n){{return t+n}}\n",
                &k[17][..10],
                &k[17][10..]
            )
            .into_bytes(),
            2,
            "concatenation",
        ),
        (
            "conf/invite.eml",
            format!(
                "From: ops@example.com\r\nContent-Type: text/plain\r\n\
                 Content-Transfer-Encoding: quoted-printable\r\n\r\n\
                 Your key is {}=\r\n{} - keep it safe.\r\n",
                &k[18][..16].replace('_', "=5F"),
                &k[18][16..]
            )
            .into_bytes(),
            5,
            "quoted-printable",
        ),
        (
            // Base64 wrapped at 76 characters with CRLF, as MIME bodies are: the
            // key's body runs on to the next line.
            "mail/key.eml",
            {
                let body = b64_wrapped(&format!("{}Key: {}\r\n", "x".repeat(24), k[19]), 76);
                format!(
                    "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
                    body.join("\r\n")
                )
            }
            .into_bytes(),
            4,
            "base64",
        ),
        (
            // Base64 wrapped at 64 characters, as PEM is: the line break falls
            // inside the keyword's own base64 (42 bytes before it put it at
            // character 56, the break at 64).
            "certs/key.pem",
            format!(
                "-----BEGIN QRCP KEY-----\n{}\n-----END QRCP KEY-----\n",
                b64_wrapped(&format!("{}{}\n", "y".repeat(42), k[20]), 64).join("\n")
            )
            .into_bytes(),
            2,
            "base64",
        ),
        (
            // A quoted-printable soft line break in a key that nothing else encodes.
            "mail/plain.eml",
            format!(
                "Content-Transfer-Encoding: quoted-printable\n\nYour key: {}=\n{}\nBye\n",
                &k[21][..22],
                &k[21][22..]
            )
            .into_bytes(),
            3,
            "quoted-printable",
        ),
        (
            // ES2015's code point escape for the character after the prefix's letters.
            "web/brace.js",
            format!("const k = \"{}\";\n", k[22].replacen('_', "\\u{5f}", 1)).into_bytes(),
            1,
            "escape",
        ),
        (
            // The same escape for the whole prefix, as a minifier targeting
            // ES2015 may write it.
            "web/brace-all.js",
            {
                let esc: String = k[23][..10]
                    .chars()
                    .map(|c| format!("\\u{{{:x}}}", c as u32))
                    .collect();
                format!("let s=\"{esc}{}\";\n", &k[23][10..]).into_bytes()
            },
            1,
            "escape",
        ),
        (
            // Hex bytes with separators, as a hex dump or a byte listing has them.
            "conf/dump.txt",
            format!("bytes:\n{}\n", hex_sep(&k[24], " ")).into_bytes(),
            2,
            "hex",
        ),
        (
            "conf/id.txt",
            format!("id = {}\n", hex_sep(&k[25], ":").to_uppercase()).into_bytes(),
            1,
            "hex",
        ),
        (
            "web/dashed.js",
            format!("const id = '{}';\n", hex_sep(&k[26], "-")).into_bytes(),
            1,
            "hex",
        ),
        (
            // Markdown escapes its underscores (a key pasted into a README).
            "docs/setup.md",
            format!("# Setup\n\nSet the key: qrcp\\_live\\_{}\n", &k[27][10..]).into_bytes(),
            3,
            "escape",
        ),
        (
            // CSS escapes: hex digits and the white space that ends them, or six
            // digits and none.
            "web/theme.css",
            format!(
                ".k {{\n  content: \"{}\";\n}}\n",
                k[28].replace('_', "\\5f ")
            )
            .into_bytes(),
            2,
            "escape",
        ),
        (
            "web/brand.css",
            format!(
                ".k::after{{content:'{}'}}\n",
                k[29].replace('_', "\\00005F")
            )
            .into_bytes(),
            1,
            "escape",
        ),
        (
            // Padded decimal and other named character references.
            "web/page.html",
            format!("<p>\n<code>{}</code>\n", k[30].replace('_', "&#095;")).into_bytes(),
            2,
            "escape",
        ),
        (
            "web/about.html",
            format!("<p><code>{}</code></p>\n", k[31].replace('_', "&UnderBar;")).into_bytes(),
            1,
            "escape",
        ),
        (
            // A numeric reference without its `;`, as browsers read it (before
            // `live`: its digits end where the letters start).
            "web/legal.html",
            format!("<p>{}</p>\n", k[32].replacen('_', "&#95", 1)).into_bytes(),
            1,
            "escape",
        ),
        (
            // Python's eight-digit and named escapes.
            "docs/example.py",
            format!(
                "# seed\nKEY = \"{}\"\n",
                k[33]
                    .replacen('_', "\\U0000005f", 1)
                    .replacen('_', "\\N{LOW LINE}", 1)
            )
            .into_bytes(),
            2,
            "escape",
        ),
        (
            // A page that breaks long words with `<wbr>`, and highlights in spans.
            "web/keys.html",
            format!(
                "<p>\n<code><span>{}</span><wbr>{}<wbr>{}</code></p>\n",
                &k[34][..4],
                &k[34][4..20],
                &k[34][20..]
            )
            .into_bytes(),
            2,
            "invisible",
        ),
        (
            // Zero-width spaces pasted into notes with the key.
            "docs/notes.md",
            format!(
                "# Notes\n\nstaging: {}\u{200b}{}\u{200b}{}\n",
                &k[35][..7],
                &k[35][7..18],
                &k[35][18..]
            )
            .into_bytes(),
            3,
            "invisible",
        ),
        // Joins of more languages: Rust's `concat!`, Visual Basic's `&`, SQL's
        // `CONCAT(…)`, Python's `"".join([…])` and a `\` line continuation,
        // Ruby's `<<`.
        (
            "src/keys.rs",
            format!(
                "pub const KEY: &str = concat!(\n    \"{}\",\n    \"{}\",\n);\n",
                &k[36][..10],
                &k[36][10..]
            )
            .into_bytes(),
            2,
            "concatenation",
        ),
        (
            "conf/Keys.vb",
            format!(
                "Module Keys\n    Dim Key = \"{}\" & \"{}\"\nEnd Module\n",
                &k[37][..13],
                &k[37][13..]
            )
            .into_bytes(),
            2,
            "concatenation",
        ),
        (
            "db/seed.sql",
            format!(
                "INSERT INTO keys VALUES (CONCAT('{}', '{}', '{}'));\n",
                &k[38][..10],
                &k[38][10..20],
                &k[38][20..]
            )
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            "tools/key.py",
            format!(
                "KEY = \"\".join([\n    \"{}\",\n    \"{}\",\n])\n",
                &k[39][..10],
                &k[39][10..]
            )
            .into_bytes(),
            2,
            "concatenation",
        ),
        (
            "tools/wrap.py",
            format!(
                "import os\nKEY = \"{}\" \\\n    \"{}\"\n",
                &k[40][..16],
                &k[40][16..]
            )
            .into_bytes(),
            2,
            "concatenation",
        ),
        (
            "lib/key.rb",
            format!("key = \"{}\" << \"{}\"\n", &k[41][..10], &k[41][10..]).into_bytes(),
            1,
            "concatenation",
        ),
        (
            // The prefix in plain sight, the body through a decoding call.
            "web/hidden.js",
            {
                use base64::Engine as _;
                let body = base64::engine::general_purpose::STANDARD.encode(&k[42][10..]);
                format!(
                    "// config\nexport const key = \"{}\" + atob(\"{body}\");\n",
                    &k[42][..10]
                )
            }
            .into_bytes(),
            2,
            "concatenation",
        ),
        (
            "web/codes.js",
            format!(
                "var k=\"{}\".concat(String.fromCharCode({}));\n",
                &k[43][..10],
                codes(&k[43][10..], "", ",")
            )
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            // Interpolated: a Python f-string and a Kotlin string template.
            "app/settings.py",
            format!(
                "BODY = \"{}\"\nKEY = f\"{}{{BODY}}\"\n",
                &k[44][10..],
                &k[44][..10]
            )
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            "app/build.gradle.kts",
            format!(
                "val body = \"{}\"\nval key = \"{}${{body}}\"\n",
                &k[45][10..],
                &k[45][..10]
            )
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            // A Java string builder, and a Swift interpolation.
            "android/Keys.java",
            format!(
                "class Keys {{\n  static final String KEY = new StringBuilder(\"{}\")\n      .append(\"{}\").toString();\n}}\n",
                &k[46][..10],
                &k[46][10..]
            )
            .into_bytes(),
            2,
            "concatenation",
        ),
        (
            "ios/Keys.swift",
            format!(
                "let body = \"{}\"\nlet key = \"{}\\(body)\"\n",
                &k[47][10..],
                &k[47][..10]
            )
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            // A prefix constant used in an f-string: found at the use.
            "app/client.py",
            format!(
                "PREFIX = \"{}\"\n\nAPI_KEY = f\"{{PREFIX}}{}\"\n",
                &k[48][..10],
                &k[48][10..]
            )
            .into_bytes(),
            3,
            "concatenation",
        ),
        (
            // PowerShell's encoded command: base64 of UTF-16 LE.
            "scripts/deploy.ps1",
            format!(
                "# deploy\npowershell.exe -NoProfile -EncodedCommand {}\n",
                b64_bytes(
                    &format!("$env:QRCODEPRO_API_KEY = '{}'; ./deploy", k[49])
                        .encode_utf16()
                        .flat_map(u16::to_le_bytes)
                        .collect::<Vec<u8>>()
                )
            )
            .into_bytes(),
            2,
            "base64",
        ),
        (
            // A Kubernetes secret whose value was base64 already.
            "k8s/encoded.yaml",
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\ndata:\n  key: {}\n",
                b64_bytes(b64_bytes(k[50].as_bytes()).as_bytes())
            )
            .into_bytes(),
            6,
            "base64",
        ),
        (
            // ROT13, and written backwards.
            "tools/rot.py",
            format!(
                "import codecs\n\nKEY = codecs.decode(\"{}\", \"rot13\")\n",
                rot13(&k[51])
            )
            .into_bytes(),
            3,
            "rot13",
        ),
        (
            "web/reversed.js",
            format!(
                "const k = \"{}\".split(\"\").reverse().join(\"\");\n",
                k[52].chars().rev().collect::<String>()
            )
            .into_bytes(),
            1,
            "reversed",
        ),
        (
            // A format string filled by its arguments.
            "tools/fmt.py",
            format!(
                "import os\n\nKEY = \"{}%s%s\" % (\"{}\", \"{}\")\n",
                &k[53][..10],
                &k[53][10..18],
                &k[53][18..]
            )
            .into_bytes(),
            3,
            "concatenation",
        ),
        (
            "src/Keys.java",
            format!(
                "class Keys {{\n  static String k = String.format(\"{}%s\", \"{}\");\n}}\n",
                &k[54][..10],
                &k[54][10..]
            )
            .into_bytes(),
            2,
            "concatenation",
        ),
        (
            // Base32, one character into a line of other base32.
            "secrets/b32.txt",
            format!("# totp\nK{}\n", b32(format!("key={}", k[55]).as_bytes())).into_bytes(),
            2,
            "base32",
        ),
        (
            // One character a piece, in a list joined.
            "web/chars.js",
            format!(
                "export const k = [{}].join('');\n",
                k[56].chars().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(",")
            )
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            // A shell variable bound unquoted and expanded in a word.
            "deploy/start.sh",
            format!(
                "#!/bin/sh\nexport BODY={}\nQRCP_KEY={}${{BODY}} exec ./server\n",
                &k[57][10..],
                &k[57][..10]
            )
            .into_bytes(),
            2,
            "concatenation",
        ),
        (
            // A bare `$name` in a Kotlin string template.
            "app/Config.kt",
            format!(
                "object Config {{\n    val body = \"{}\"\n    val key = \"{}$body\"\n}}\n",
                &k[58][10..],
                &k[58][..10]
            )
            .into_bytes(),
            2,
            "concatenation",
        ),
        (
            // PHP's `{$name}` in a double-quoted string.
            "web/config.php",
            format!(
                "<?php\n$body = '{}';\n$key = \"{}{{$body}}\";\n",
                &k[59][10..],
                &k[59][..10]
            )
            .into_bytes(),
            2,
            "concatenation",
        ),
        (
            // A C array of characters.
            "native/key.c",
            format!(
                "#include <string.h>\n\nstatic const char k[] = {{{}, 0}};\n",
                k[60].chars().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(", ")
            )
            .into_bytes(),
            3,
            "concatenation",
        ),
        (
            // One character a call, joined.
            "tools/obf.py",
            format!(
                "# generated\nKEY = {}\n",
                k[61].bytes().map(|b| format!("chr({b})")).collect::<Vec<_>>().join(" + ")
            )
            .into_bytes(),
            2,
            "char-codes",
        ),
        (
            // One character a line, in a C array.
            "native/key2.c",
            format!(
                "static const char k[] = {{\n{}    0\n}};\n",
                k[62].chars().map(|c| format!("    '{c}',\n")).collect::<String>()
            )
            .into_bytes(),
            2,
            "concatenation",
        ),
        (
            // Cut every three characters, as javascript-obfuscator's
            // `splitStrings` writes a string: the prefix too (`'qrc'+'p_l'+…`).
            "web/obfuscated.js",
            format!(
                "const config={{'apiKey':{},'url':'htt'+'ps:'}};\n",
                pieces(&k[63], 3, "'", "+")
            )
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            // Cut after two characters by a person, with spaces.
            "web/split.ts",
            format!("// hidden\nconst key = {};\n", pieces(&k[64], 2, "\"", " + ")).into_bytes(),
            2,
            "concatenation",
        ),
        (
            // One character a piece (`splitStringsChunkLength: 1`).
            "web/one-a-piece.js",
            format!("var k={};\n", pieces(&k[65], 1, "'", "+")).into_bytes(),
            1,
            "concatenation",
        ),
        (
            // Base64, then every character escaped (`\x63\x58…`, upper-case
            // hex): an obfuscator's string table.
            "web/table.js",
            format!(
                "var _0x1=[\"{}\"];\n",
                b64_bytes(format!("k={}", k[66]).as_bytes())
                    .bytes()
                    .map(|c| format!("\\x{c:02X}"))
                    .collect::<String>()
            )
            .into_bytes(),
            1,
            "escape",
        ),
        (
            // Base64, then `\u` escapes, in a JSON value.
            "conf/blob.json",
            format!(
                "{{\n  \"blob\": \"{}\"\n}}\n",
                b64_bytes(k[67].as_bytes())
                    .bytes()
                    .map(|c| format!("\\u{c:04x}"))
                    .collect::<String>()
            )
            .into_bytes(),
            2,
            "escape",
        ),
        (
            // Base64, then decimal character references.
            "web/ref.html",
            format!(
                "<p data-k=\"{}\"></p>\n",
                b64_bytes(format!("  {}", k[68]).as_bytes())
                    .bytes()
                    .map(|c| format!("&#{c};"))
                    .collect::<String>()
            )
            .into_bytes(),
            1,
            "escape",
        ),
        (
            // Base64, then hex digits, the key's start in mid-group.
            "conf/hexblob.txt",
            format!("blob={}\n", hex(&b64_bytes(format!("k={}", k[69]).as_bytes()))).into_bytes(),
            1,
            "hex",
        ),
        (
            // An e-mail obfuscator's mix: the first character a reference,
            // then references in decimal and hex and plain characters.
            "web/contact.html",
            format!(
                "<p>Key: <span>{}</span></p>\n",
                k[70]
                    .bytes()
                    .enumerate()
                    .map(|(i, c)| match i % 3 {
                        0 => format!("&#{c};"),
                        1 => format!("&#x{c:x};"),
                        _ => (c as char).to_string(),
                    })
                    .collect::<String>()
            )
            .into_bytes(),
            1,
            "escape",
        ),
        (
            // Visual Basic's line continuation, after the operator.
            "conf/Continued.vb",
            format!(
                "Module Keys\n    Dim Key = \"{}\" & _\n        \"{}\"\nEnd Module\n",
                &k[71][..12],
                &k[71][12..]
            )
            .into_bytes(),
            2,
            "concatenation",
        ),
        (
            // ... and before it, the operator starting the next line.
            "conf/Before.vb",
            format!(
                "Public Const Key As String = \"{}\" _\r\n    + \"{}\"\r\n",
                &k[72][..15],
                &k[72][15..]
            )
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            // Hex references padded to four digits, as some encoders write
            // every character.
            "web/padded.html",
            format!(
                "<p>\n<b>{}</b></p>\n",
                k[73]
                    .bytes()
                    .map(|c| format!("&#x{c:04X};"))
                    .collect::<String>()
            )
            .into_bytes(),
            2,
            "escape",
        ),
        (
            // Decimal references padded, the first character's only.
            "web/padded-decimal.html",
            format!("<p>&#{:04};{}</p>\n", k[74].as_bytes()[0], &k[74][1..]).into_bytes(),
            1,
            "escape",
        ),
        (
            // Python's eight-digit escape, the start of the key only.
            "conf/long_escape.py",
            format!(
                "KEY = \"{}{}\"\n",
                k[75][..6]
                    .chars()
                    .map(|c| format!("\\U{:08x}", c as u32))
                    .collect::<String>(),
                &k[75][6..]
            )
            .into_bytes(),
            1,
            "escape",
        ),
        (
            // `%u` escapes, which JavaScript's `unescape` reads.
            "web/unescape.js",
            format!(
                "var k = unescape(\"{}\");\n",
                k[76]
                    .chars()
                    .map(|c| format!("%u{:04X}", c as u32))
                    .collect::<String>()
            )
            .into_bytes(),
            1,
            "percent",
        ),
        (
            // The first two characters plain, then references and plain ones,
            // as e-mail obfuscators write a page's text (the body plain: a
            // `q` escaped in it would trigger the first character's form).
            "web/mixed.html",
            format!(
                "<p>qr&#99;p&#95;l&#x69;ve&#x5f;{}</p>\n",
                &k[77][10..]
            )
            .into_bytes(),
            1,
            "escape",
        ),
        (
            // The first character plain, the second escaped, then a mix.
            "web/mixed.js",
            format!("var k = \"q\\x72c\\u0070_live\\x5f{}\";\n", &k[78][10..]).into_bytes(),
            1,
            "escape",
        ),
        (
            // Python's `b85encode`, the key a byte into a group.
            "conf/blob85.py",
            format!(
                "import base64\nKEY = base64.b85decode(b\"{}\")\n",
                base85(format!("k{}", k[79]).as_bytes(), false)
            )
            .into_bytes(),
            2,
            "base85",
        ),
        (
            // Ascii85 as PostScript and PDF wrap it (`<~…~>`), three bytes in.
            "docs/key.ps",
            format!(
                "%!PS\n% key\n<~{}~>\n",
                base85(format!("k: {}\n", k[80]).as_bytes(), true)
            )
            .into_bytes(),
            3,
            "base85",
        ),
        (
            // CSS escapes, each character's, in a stylesheet's content.
            "web/after.css",
            format!(
                ".k {{}}\n.k::after {{ content: \"{}\"; }}\n",
                k[81]
                    .bytes()
                    .map(|c| format!("\\{c:x} "))
                    .collect::<String>()
            )
            .into_bytes(),
            2,
            "escape",
        ),
        (
            // Octal escapes of every other character, as a shell's `printf`
            // string mixes them: an escape before a digit (`\1619`) is octal.
            "bin/key.sh",
            format!(
                "#!/bin/sh\nKEY=$(printf '{}')\n",
                k[82]
                    .chars()
                    .enumerate()
                    .map(|(i, c)| match i % 2 {
                        0 => format!("\\{:03o}", c as u32),
                        _ => c.to_string(),
                    })
                    .collect::<String>()
            )
            .into_bytes(),
            2,
            "escape",
        ),
        (
            // Binary digits, eight a byte, in one run (CyberChef's "To
            // Binary" without a delimiter).
            "notes/bits.txt",
            format!("key bits:\n{}\n", bits(&k[83])).into_bytes(),
            2,
            "binary",
        ),
        (
            // Base64 of binary digits: the run inside is read by its shape.
            "conf/bits.yaml",
            format!(
                "# encoded\nbits: {}\n",
                b64_bytes(bits(&format!("k={};", k[84])).as_bytes())
            )
            .into_bytes(),
            2,
            "base64",
        ),
        (
            // Decimal codes between spaces (CyberChef's "To Decimal").
            "notes/decimal.txt",
            format!("codes:\n{}\n", codes(&k[85], "", " ")).into_bytes(),
            2,
            "char-codes",
        ),
        (
            // Octal codes between spaces (CyberChef's "To Octal").
            "notes/octal.txt",
            format!("codes:\n{}\n", per_byte(&k[86], " ", |b| format!("{b:o}"))).into_bytes(),
            2,
            "char-codes",
        ),
        (
            // Binary digits a byte a group, between spaces (CyberChef's "To
            // Binary" by default).
            "notes/spaced-bits.txt",
            format!("bits:\n{}\n", per_byte(&k[87], " ", |b| format!("{b:08b}"))).into_bytes(),
            2,
            "binary",
        ),
        (
            // Lua's decimal escapes, every character (what Lua obfuscators
            // write), and padded to three digits.
            "scripts/obf.lua",
            format!(
                "-- config\nlocal k = \"{}\"\n",
                per_byte(&k[88], "", |b| format!("\\{b}"))
            )
            .into_bytes(),
            2,
            "escape",
        ),
        (
            "scripts/pad.lua",
            format!(
                "-- config\nlocal k = '{}'\n",
                per_byte(&k[89], "", |b| format!("\\{b:03}"))
            )
            .into_bytes(),
            2,
            "escape",
        ),
        (
            // One code a line, as `JSON.stringify(codes, null, 2)` writes an
            // array: the list starts on the line after its key.
            "data/codes.json",
            format!(
                "{{\n  \"k\": [\n    {}\n  ]\n}}\n",
                codes(&k[90], "", ",\n    ")
            )
            .into_bytes(),
            3,
            "char-codes",
        ),
        (
            // Hex codes one a line after a comma, with `\r\n` (Python's
            // `bytes([…])` as black writes a long one, on Windows).
            "scripts/key.py",
            format!(
                "k = bytes([\r\n    {},\r\n]).decode()\r\n",
                codes(&k[91], "0x", ",\r\n    ")
            )
            .into_bytes(),
            2,
            "char-codes",
        ),
        (
            // Codes after commas, a few a line: the first line holds one.
            "conf/table.c",
            {
                let head = &k[92][..1];
                let rest: Vec<String> = k[92].as_bytes()[1..]
                    .chunks(10)
                    .map(|r| codes(std::str::from_utf8(r).unwrap(), "", ", "))
                    .collect();
                format!(
                    "int k[] = {{{},\n  {}\n}};\n",
                    codes(head, "", ""),
                    rest.join(",\n  ")
                )
            }
            .into_bytes(),
            1,
            "char-codes",
        ),
        (
            // ROT47 in a string, its `"` escaped (CyberChef's ROT47, pasted
            // into code that undoes it).
            "tools/rot47.js",
            format!(
                "// config\nconst k = rot47(\"{}\");\n",
                rot47(&k[93]).replace('\\', "\\\\").replace('"', "\\\"")
            )
            .into_bytes(),
            2,
            "rot47",
        ),
        (
            // ROT47 on a line of its own.
            "notes/rot47.txt",
            format!("key:\n{}\n", rot47(&k[94])).into_bytes(),
            2,
            "rot47",
        ),
        (
            // `0x` codes glued and between blanks (CyberChef's "To Hex" with
            // its `0x` delimiter, and `0x` codes a hex dump lists).
            "notes/glued.txt",
            format!("hex:\n{}\n", codes(&k[95], "0x", "")).into_bytes(),
            2,
            "char-codes",
        ),
        (
            "notes/dump.txt",
            format!("bytes: {}\n", codes(&k[96], "0x", " ")).into_bytes(),
            1,
            "char-codes",
        ),
        (
            // CyberChef's "To Hex" between commas and one a line, and "To
            // Decimal" one a line.
            "notes/hex-commas.txt",
            format!("hex: {}\n", per_byte(&k[97], ",", |b| format!("{b:02x}"))).into_bytes(),
            1,
            "hex",
        ),
        (
            "notes/hex-lines.txt",
            format!("{}\n", per_byte(&k[98], "\n", |b| format!("{b:02x}"))).into_bytes(),
            1,
            "hex",
        ),
        (
            "notes/decimal-lines.txt",
            format!("codes\n{}\n", codes(&k[99], "", "\n")).into_bytes(),
            2,
            "char-codes",
        ),
        (
            // PowerShell's casts, their case mixed as Invoke-Obfuscation
            // writes them, and C#'s over lines.
            "ops/boot.ps1",
            {
                let casts: Vec<String> = k[100]
                    .bytes()
                    .enumerate()
                    .map(|(i, b)| format!("{}{b}", ["[char]", "[ChAr]", "[CHAR]"][i % 3]))
                    .collect();
                format!("# boot\n$k = {}\n", casts.join("+"))
            }
            .into_bytes(),
            2,
            "char-codes",
        ),
        (
            "src/Key.cs",
            format!(
                "var k = \"\" +\n    {};\n",
                per_byte(&k[101], " +\n    ", |b| format!("(char){b}"))
            )
            .into_bytes(),
            2,
            "char-codes",
        ),
        (
            // An array of characters bound to a name, joined elsewhere.
            "web/letters.js",
            format!(
                "const a = [{}];\nmodule.exports = a.join('');\n",
                pieces(&k[102], 1, "'", ", ")
            )
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            // A template literal inside a string (webpack's `eval` devtool).
            "dist/eval.js",
            format!(
                "eval(\"const c = `{}${{\\\"{}\\\"}}`;\\n//# sourceURL=webpack://app/./src/c.js\");\n",
                &k[103][..10],
                &k[103][10..]
            )
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            // Base64 wrapped in an indented block at a width of its own (16:
            // the keyword's base64 is cut by a line break and an indentation).
            "k8s/blob.yaml",
            format!(
                "kind: ConfigMap\ndata:\n  blob: |\n{}\n",
                indented(&b64_wrapped(&format!("k: {}\n", k[104]), 16), "    ")
            )
            .into_bytes(),
            4,
            "base64",
        ),
        (
            // A plist's `<data>`, tab-indented, as plistlib wraps it at two tabs.
            "ios/Info.plist",
            format!(
                "<plist>\n<dict>\n\t<key>blob</key>\n\t<data>\n{}\n\t</data>\n</dict>\n</plist>\n",
                indented(&b64_wrapped(&format!("<string>{}</string>", k[105]), 60), "\t\t")
            )
            .into_bytes(),
            5,
            "base64",
        ),
        (
            // Ruby's `pack("m")` wraps at 60.
            "certs/token.b64",
            format!(
                "{}\n",
                b64_wrapped(&format!("token={}\nregion=eu\n", k[106]), 60).join("\n")
            )
            .into_bytes(),
            1,
            "base64",
        ),
        (
            // Base64 cut into literals after its keyword's part: the first
            // piece alone decodes to the key's start.
            "web/split64.js",
            {
                let b = b64_wrapped(&format!("k={}", k[107]), usize::MAX).concat();
                format!(
                    "const k = atob(\"{}\" + \"{}\" + \"{}\");\n",
                    &b[..30],
                    &b[30..45],
                    &b[45..]
                )
            }
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            // ... before its keyword's part (the 4-character grid starts in
            // the piece before), and inside it, as Python joins literals.
            "docs/split64.py",
            {
                let b = b64_wrapped(&format!("k={}", k[108]), usize::MAX).concat();
                format!(
                    "k = base64.b64decode('{}' '{}'\n    '{}')\n",
                    &b[..3],
                    &b[3..11],
                    &b[11..]
                )
            }
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            // Base64 cut inside the keyword's first group, in pieces shorter
            // than a run found by its shape: the rest of the keyword's base64
            // finds its piece, and the pieces are joined.
            "web/cut64.js",
            {
                let b = b64_wrapped(&k[109], usize::MAX).concat();
                format!(
                    "const k = atob('{}' +\n  '{}' + '{}');\n",
                    &b[..2],
                    &b[2..30],
                    &b[30..]
                )
            }
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            // ... at the third alignment, joined as Python joins literals.
            "docs/cut64.py",
            {
                let b = b64_wrapped(&format!("k={}", k[110]), usize::MAX).concat();
                format!(
                    "k = base64.b64decode('{}' '{}' '{}')\n",
                    &b[..5],
                    &b[5..33],
                    &b[33..]
                )
            }
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            // A block's line break inside the keyword's first group (ten
            // bytes before it put its base64 at a line's last two columns).
            "ios/Cut.plist",
            format!(
                "<plist>\n<dict>\n\t<key>blob</key>\n\t<data>\n{}\n\t</data>\n</dict>\n</plist>\n",
                indented(&b64_wrapped(&format!("api_key = {}\n", k[111]), 16), "\t\t")
            )
            .into_bytes(),
            5,
            "base64",
        ),
        (
            // Base58 (Bitcoin's alphabet, a number: no trigger), decoded by a
            // call, and alone on a line as CyberChef's "To Base58" writes it.
            "tools/b58.py",
            format!(
                "import base58\nkey = base58.b58decode(\"{}\").decode()\n",
                b58(format!("api_key={}", k[112]).as_bytes())
            )
            .into_bytes(),
            2,
            "base58",
        ),
        (
            "notes/b58.txt",
            format!("the key, in base58:\n\n{}\n", b58(k[113].as_bytes())).into_bytes(),
            3,
            "base58",
        ),
        (
            // An array of pieces joined by index where it is used: an
            // obfuscator's table (the keyword in a later element), and a
            // Python list one element a line.
            "web/obf-table.js",
            format!(
                "var _0x=['log','{}','{}','{}'];\nfunction k(){{return _0x[1]+_0x[2]+_0x[3]}}\n",
                &k[114][..12],
                &k[114][12..20],
                &k[114][20..]
            )
            .into_bytes(),
            1,
            "concatenation",
        ),
        (
            "tools/key_parts.py",
            format!(
                "parts = [\n    \"{}\",\n    \"{}\",\n]\nKEY = parts[0] + parts[1]\n",
                &k[115][..15],
                &k[115][15..]
            )
            .into_bytes(),
            2,
            "concatenation",
        ),
    ]
}

/// `b` in base58 (Bitcoin's alphabet), by long division.
fn b58(b: &[u8]) -> String {
    const A: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let zeros = b.iter().take_while(|&&x| x == 0).count();
    let mut num = b[zeros..].to_vec();
    let mut digits = Vec::new();
    while !num.is_empty() {
        let mut rem = 0u32;
        let mut next = Vec::new();
        for &x in &num {
            let v = rem * 256 + u32::from(x);
            rem = v % 58;
            if !(next.is_empty() && v / 58 == 0) {
                next.push((v / 58) as u8);
            }
        }
        digits.push(A[rem as usize] as char);
        num = next;
    }
    "1".repeat(zeros) + &digits.iter().rev().collect::<String>()
}

/// `s` with its printable ASCII rotated by 47.
fn rot47(s: &str) -> String {
    s.bytes()
        .map(|b| ((b - b'!' + 47) % 94 + b'!') as char)
        .collect()
}

/// Each byte of `s` written by `f`, joined by `sep`.
fn per_byte(s: &str, sep: &str, f: impl Fn(u8) -> String) -> String {
    s.bytes().map(f).collect::<Vec<_>>().join(sep)
}

/// `s` in binary digits, eight a byte, most significant bit first.
fn bits(s: &str) -> String {
    s.bytes().map(|c| format!("{c:08b}")).collect()
}

/// `b` in base85 as Python's `b85encode` (RFC 1924's alphabet) or `a85encode`
/// (`ascii`) write it: a last partial group as the characters its bytes need.
fn base85(b: &[u8], ascii: bool) -> String {
    const RFC1924: &[u8] =
        b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";
    let mut out = String::new();
    for chunk in b.chunks(4) {
        let mut g = [0u8; 4];
        g[..chunk.len()].copy_from_slice(chunk);
        let mut n = u32::from_be_bytes(g);
        let mut digits = [0u8; 5];
        for d in digits.iter_mut().rev() {
            let v = (n % 85) as u8;
            *d = if ascii {
                b'!' + v
            } else {
                RFC1924[usize::from(v)]
            };
            n /= 85;
        }
        out.extend(digits[..chunk.len() + 1].iter().map(|&c| c as char));
    }
    out
}

/// `s` cut into pieces of `width` characters, each quoted with `q`, joined by
/// `op`.
fn pieces(s: &str, width: usize, q: &str, op: &str) -> String {
    let cut: Vec<String> = s
        .as_bytes()
        .chunks(width)
        .map(|c| format!("{q}{}{q}", std::str::from_utf8(c).unwrap()))
        .collect();
    cut.join(op)
}

/// `b` in base32 (RFC 4648, padded).
fn b32(b: &[u8]) -> String {
    const A: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in b.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let v = buf.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            match i < chars {
                true => out.push(A[((v >> (35 - 5 * i)) & 31) as usize] as char),
                false => out.push('='),
            }
        }
    }
    out
}

/// `b` in standard base64.
fn b64_bytes(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// `s` with its ASCII letters rotated by 13.
fn rot13(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'a'..='z' => ((c as u8 - b'a' + 13) % 26 + b'a') as char,
            'A'..='Z' => ((c as u8 - b'A' + 13) % 26 + b'A') as char,
            _ => c,
        })
        .collect()
}

/// `s`'s bytes as hex pairs joined by `sep`.
fn hex_sep(s: &str, sep: &str) -> String {
    let v: Vec<String> = s.bytes().map(|b| format!("{b:02x}")).collect();
    v.join(sep)
}

/// `s` in base64, cut into lines of `width` characters.
fn b64_wrapped(s: &str, width: usize) -> Vec<String> {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(s);
    text.as_bytes()
        .chunks(width)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect()
}

/// `lines` each after `pad`, a line each.
fn indented(lines: &[String], pad: &str) -> String {
    let lines: Vec<String> = lines.iter().map(|l| format!("{pad}{l}")).collect();
    lines.join("\n")
}

/// `s`'s bytes as hex digits.
fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// `s`'s character codes, decimal (`prefix` "") or hex (`prefix` "0x").
fn codes(s: &str, prefix: &str, sep: &str) -> String {
    let v: Vec<String> = s
        .bytes()
        .map(|b| match prefix {
            "" => b.to_string(),
            _ => format!("{prefix}{b:02x}"),
        })
        .collect();
    v.join(sep)
}

fn keys() -> Vec<String> {
    let mut k: Vec<String> = (0..116).map(|_| live_key()).collect();
    // Quotes in ROT47: `Q` is `"`, `V` is `'`.
    k[93].replace_range(14..16, "QV");
    k
}

fn check(v: &Value, k: &[String], cases: &[Case]) {
    for (key, (path, _, line, enc)) in k.iter().zip(cases) {
        let f = finding_of(v, key);
        assert_eq!(f["path"], *path, "{f:#}");
        assert_eq!(f["line"], *line, "{f:#}");
        assert_eq!(f["encoding"], *enc, "{f:#}");
    }
}

#[test]
fn last_layers_are_found_in_a_folder() {
    let t = Tree::new();
    let k = keys();
    let cs = cases(&k);
    assert_eq!(cs.len(), k.len(), "a key a case");
    let paths: std::collections::HashSet<_> = cs.iter().map(|c| c.0).collect();
    assert_eq!(paths.len(), cs.len(), "a file a case");
    for (rel, bytes, _, _) in &cs {
        t.write(rel, bytes);
    }
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    check(&json(&o), &k, &cs);
    let human = t.run(&["dir", "."]);
    assert_eq!(code(&human), 1);
    assert_keys_absent(&[&o, &human], &k);
    // A scrambled key is the key: its bodies are masked as written too.
    let scrambled = [
        rot13(&k[51][10..]),
        k[52][10..].chars().rev().collect::<String>(),
    ];
    for o in [&o, &human] {
        let text = format!("{}{}", stdout(o), stderr(o));
        for s in &scrambled {
            assert!(!text.contains(s.as_str()), "{text}");
        }
    }
    // Backwards, the text starts with the key's last characters: the snippet
    // shows the keyword at its end instead, and the note the key's start.
    let text = stdout(&human);
    let head = format!("{}…", &scrambled[1][..4]);
    assert!(!text.contains(&head), "{text}");
    assert!(
        text.contains("'…_evil_pcrq'") || text.contains("\"…_evil_pcrq\""),
        "{text}"
    );
}

#[test]
fn last_layers_are_found_in_history_and_staged() {
    let r = Repo::init();
    r.write("README.md", "hello\n");
    r.commit("init");
    let k = keys();
    let cs = cases(&k);
    for (rel, bytes, _, _) in &cs {
        let p = r.dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    r.git(&["add", "-A"]);
    let staged = r.scan(&["staged", "--format", "json"]);
    assert_eq!(code(&staged), 1, "{}", stderr(&staged));
    check(&json(&staged), &k, &cs);

    r.commit("add config");
    r.git(&[
        "rm", "-r", "-q", "conf", "deploy", "k8s", "mail", "certs", "web", "docs",
    ]);
    r.commit("remove it");
    let hist = r.scan(&["git", "--format", "json"]);
    assert_eq!(code(&hist), 1, "{}", stderr(&hist));
    check(&json(&hist), &k, &cs);
    assert_keys_absent(&[&staged, &hist], &k);
}

/// Near misses: words a shell keeps apart, lines YAML does not continue, UTF-32
/// placeholders. None is a key.
#[test]
fn near_misses_of_the_last_layers_are_not_keys() {
    let t = Tree::new();
    let k = live_key();
    let (a, b) = k.split_at(10);
    t.write("apart.sh", format!("X=\"{a}\";Y='{b}'\n"));
    t.write("next.yaml", format!("key: {a}\nother: {b}\n"));
    t.write("blank.yaml", format!("key: >\n  {a}\n\n  {b}\n"));
    t.write(
        "ph.txt",
        utf32("KEY=qrcp_live_xxxxxxxxxxxxxxxxxxxxxxxx\n", false, true),
    );
    // Separators that change on the way read no further than the first run:
    // the key's start with spaces, the rest with colons.
    let spaced = hex_sep(a, " ");
    t.write("mixed.txt", format!("{spaced} {}\n", hex_sep(b, ":")));
    // Decimal codes that change separator half way (spaces, then commas), and
    // binary digits a group whose spaces stop after the key's start.
    t.write(
        "codes.txt",
        format!("{} {}\n", codes(a, "", " "), codes(b, "", ",")),
    );
    let group = |c: u8| format!("{c:08b}");
    t.write(
        "bits.txt",
        format!("{} {}\n", per_byte(a, " ", group), per_byte(b, "", group)),
    );
    let o = t.run(&["dir", ".", "--format", "json"]);
    let v = json(&o);
    assert_eq!(v["findings"], serde_json::json!([]), "{v:#}");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(v["stats"]["placeholders"].as_u64().unwrap() >= 1, "{v:#}");
}

/// Base64 values one a line, as lists of tokens and `.env` files hold them, are
/// not a wrapped block: each key is read from its own line alone, never with the
/// next line's characters decoded onto its end.
#[test]
fn base64_values_one_a_line_are_not_joined() {
    let t = Tree::new();
    let k: Vec<String> = (0..5).map(|_| live_key()).collect();
    let b64 = |s: &str| b64_wrapped(s, usize::MAX).concat();
    // Indented, a width of no encoder's, every line as wide: a list in a
    // YAML block, not a block of base64 wrapped.
    t.write(
        "keys.yaml",
        format!("keys: |\n  {}\n  {}\n", b64(&k[3]), b64(&k[4])),
    );
    // 56 characters (not a wrap width), then another value.
    t.write(
        "tokens.txt",
        format!("{}\n{}\n", b64(&k[0]), b64("example-token")),
    );
    // 64 characters (PEM's width) followed by an assignment.
    t.write(
        "conf/key.b64",
        format!("{}\nOTHER=1\n", b64(&format!("{}\nabcde", k[1]))),
    );
    // 76 characters (MIME's width) followed by a plain word.
    t.write(
        "conf/mail.b64",
        format!("{}\nDone.\n", b64(&format!("{}\n{}", k[2], "z".repeat(14)))),
    );
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["findings"].as_array().unwrap().len(), 5, "{v:#}");
    for (key, path) in k.iter().zip([
        "tokens.txt",
        "conf/key.b64",
        "conf/mail.b64",
        "keys.yaml",
        "keys.yaml",
    ]) {
        assert_eq!(finding_of(&v, key)["path"], path);
    }
    assert_keys_absent(&[&o], &k);
}

/// A block of more lines than a list would have, all as wide at a width of
/// no encoder's (its last line happens to be full), is joined.
#[test]
fn a_long_block_of_full_lines_is_joined() {
    let t = Tree::new();
    let key = live_key();
    // 180 bytes: twelve lines of 20 characters, none padded.
    let text = format!("token: {key}\n{}", "z".repeat(130));
    let lines = b64_wrapped(&text, 20);
    assert_eq!((lines.len(), lines.last().unwrap().len()), (12, 20));
    t.write(
        "k8s/blob.yaml",
        format!("blob: |\n{}\nnext: 1\n", indented(&lines, "  ")),
    );
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    let f = finding_of(&v, &key);
    assert_eq!((&f["line"], &f["encoding"]), (&2.into(), &"base64".into()));
    assert_keys_absent(&[&o], &[key]);
}
