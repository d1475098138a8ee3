//! Issue 10, layers "in any order and any nesting": a key encoded once, then
//! encoded again whole by an outer layer that leaves no literal of the key's
//! (base64, base32 or hex of it; every character percent-encoded, `\x`, `\u`,
//! octal or an HTML reference; ROT13 or reversed), in 96 pairs of ten
//! encodings, is found in a folder, in git history and in a staged change,
//! with both layers named in order. The outer run is found by its shape, not by
//! a trigger; runs that decode to nothing (hashes, images, identifiers) give no
//! finding. Every key is generated at test time and must never appear in the
//! output.

use base64::Engine as _;
use std::process::Output;

use serde_json::Value;

use crate::bundles::finding_of;
use crate::git::Repo;
use crate::util::*;

/// An encoding: its name in the file names, in a report's `decoding`, and how
/// it writes text.
struct Enc {
    name: &'static str,
    decoding: &'static str,
    write: fn(&str) -> String,
}

fn each_char(s: &str, f: impl Fn(u8) -> String) -> String {
    s.bytes().map(f).collect()
}

fn b32(s: &str) -> String {
    const A: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut acc, mut bits) = (0u64, 0);
    for b in s.bytes() {
        acc = (acc << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(A[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(A[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

const ENCODINGS: [Enc; 10] = [
    Enc {
        name: "b64",
        decoding: "base64",
        write: |s| base64::engine::general_purpose::STANDARD.encode(s),
    },
    Enc {
        name: "b32",
        decoding: "base32",
        write: b32,
    },
    Enc {
        name: "hex",
        decoding: "hex",
        write: |s| each_char(s, |b| format!("{b:02x}")),
    },
    Enc {
        name: "pct",
        decoding: "percent",
        write: |s| each_char(s, |b| format!("%{b:02X}")),
    },
    Enc {
        name: "x",
        decoding: "escape",
        write: |s| each_char(s, |b| format!("\\x{b:02x}")),
    },
    Enc {
        name: "u",
        decoding: "escape",
        write: |s| each_char(s, |b| format!("\\u{b:04x}")),
    },
    Enc {
        name: "oct",
        decoding: "escape",
        write: |s| each_char(s, |b| format!("\\{b:03o}")),
    },
    Enc {
        name: "ent",
        decoding: "escape",
        write: |s| each_char(s, |b| format!("&#{b};")),
    },
    Enc {
        name: "rot13",
        decoding: "rot13",
        write: |s| {
            each_char(s, |b| {
                let r = match b {
                    b'a'..=b'z' => (b - b'a' + 13) % 26 + b'a',
                    b'A'..=b'Z' => (b - b'A' + 13) % 26 + b'A',
                    _ => b,
                };
                (r as char).to_string()
            })
        },
    },
    Enc {
        name: "rev",
        decoding: "reversed",
        write: |s| s.chars().rev().collect(),
    },
];

/// (file, key, outer, inner) for every pair but ROT13 and reversing of each
/// other or themselves (the key itself, or 42 word characters: shorter than
/// any run read by its shape, and not a trigger).
fn cases() -> Vec<(String, String, &'static Enc, &'static Enc)> {
    let mut out = Vec::new();
    for outer in &ENCODINGS {
        for inner in &ENCODINGS {
            if matches!(outer.name, "rot13" | "rev") && matches!(inner.name, "rot13" | "rev") {
                continue;
            }
            let file = format!("n/{}__{}.txt", outer.name, inner.name);
            out.push((file, live_key(), outer, inner));
        }
    }
    out
}

fn content(key: &str, outer: &Enc, inner: &Enc) -> String {
    format!("v = \"{}\"\n", (outer.write)(&(inner.write)(key)))
}

fn check(v: &Value, cases: &[(String, String, &Enc, &Enc)]) {
    for (file, key, outer, inner) in cases {
        let f = finding_of(v, key);
        assert_eq!(f["path"], file.as_str(), "{f:#}");
        assert_eq!(f["line"], 1, "{f:#}");
        // ROT13 of escapes without letters (octal, decimal references) is
        // the escapes themselves.
        let text = (inner.write)(key);
        let want = match (outer.write)(&text) == text {
            true => serde_json::json!([inner.decoding]),
            false => serde_json::json!([outer.decoding, inner.decoding]),
        };
        assert_eq!(f["decoding"], want, "{file}: {f:#}");
    }
}

#[test]
fn nested_pairs_are_found_in_a_folder() {
    let t = Tree::new();
    let cs = cases();
    for (file, key, outer, inner) in &cs {
        t.write(file, content(key, outer, inner));
    }
    let o = t.run(&["dir", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    check(&json(&o), &cs);
    let human = t.run(&["dir", "."]);
    assert_eq!(code(&human), 1);
    for (_, key, _, _) in &cs {
        assert_secret_absent(&o, key);
        assert_secret_absent(&human, key);
    }
}

#[test]
fn nested_pairs_are_found_in_history_and_staged() {
    let r = Repo::init();
    r.write("README.md", "hello\n");
    r.commit("init");
    let cs = cases();
    for (file, key, outer, inner) in &cs {
        r.write(file, &content(key, outer, inner));
    }
    r.git(&["add", "-A"]);
    let staged = r.scan(&["staged", "--format", "json"]);
    assert_eq!(code(&staged), 1, "{}", stderr(&staged));
    check(&json(&staged), &cs);
    r.commit("add them");
    r.git(&["rm", "-r", "-q", "n"]);
    r.commit("remove them");
    let hist = r.scan(&["git", "--format", "json"]);
    assert_eq!(code(&hist), 1, "{}", stderr(&hist));
    check(&json(&hist), &cs);
    for (_, key, _, _) in &cs {
        assert_secret_absent(&staged, key);
        assert_secret_absent(&hist, key);
    }
}

/// Long runs that decode to no key: hashes, an image's base64, identifiers,
/// escaped text of another script, an encoded placeholder. Nothing is found.
#[test]
fn runs_without_a_key_give_nothing() {
    let t = Tree::new();
    let noise: Vec<u8> = (0..3000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    t.write(
        "lock.json",
        format!(
            "{{\"integrity\": \"sha512-{}\", \"sha\": \"{}\"}}\n",
            b64(&noise[..64]),
            each_char(std::str::from_utf8(&[b'a'; 40]).unwrap(), |_| "f3".into())
        ),
    );
    t.write(
        "img.css",
        format!(
            "a{{background:url(data:image/png;base64,{})}}\n",
            b64(&noise)
        ),
    );
    t.write(
        "ids.js",
        "var __WEBPACK_IMPORTED_MODULE_0_react_dom_server_browser_development__=1;\n",
    );
    t.write(
        "ar.js",
        format!("m=\"{}\";\n", "\\u0627\\u0644\\u0623\\u062d".repeat(20)),
    );
    let placeholder = "qrcp_live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    t.write(
        "ph.txt",
        format!(
            "v = \"{}\"\n",
            b64(each_char(placeholder, |b| format!("{b:02x}")).as_bytes())
        ),
    );
    let o = t.run(&["dir", ".", "--format", "json"]);
    let v = json(&o);
    assert_eq!(v["findings"], serde_json::json!([]), "{v:#}");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

/// Encodings that wrap a whole run of text again (the outer layers of
/// [`deep_cases`]): one of escapes at most, as windows of escapes nest two
/// deep.
const OUTERS: [&str; 4] = ["b64", "b32", "hex", "pct"];

fn enc(name: &str) -> &'static Enc {
    ENCODINGS.iter().find(|e| e.name == name).unwrap()
}

/// (file, key, layers outermost first): every encoding innermost, under
/// three outer ones (rotating through [`OUTERS`]) with a name before the key,
/// base64 six times over, and three layers of escapes.
fn deep_cases() -> Vec<(String, String, Vec<&'static Enc>)> {
    let mut out: Vec<_> = ENCODINGS
        .iter()
        .enumerate()
        .map(|(i, inner)| {
            let mut layers: Vec<_> = (0..3)
                .map(|k| enc(OUTERS[(i + k) % OUTERS.len()]))
                .collect();
            layers.push(inner);
            (format!("deep/{}.txt", inner.name), live_key(), layers)
        })
        .collect();
    out.push(("deep/b64x6.txt".into(), live_key(), vec![enc("b64"); 6]));
    // Escapes nest one fewer: two by default.
    let escapes = vec![enc("pct"), enc("pct"), enc("x")];
    out.push(("deep/escapes3.txt".into(), live_key(), escapes));
    out
}

fn deep_content(key: &str, layers: &[&Enc]) -> String {
    let text = layers
        .iter()
        .rev()
        .fold(format!("apiKey={key}"), |s, e| (e.write)(&s));
    format!("v = \"{text}\"\n")
}

/// A key nested deeper than `--max-decode-depth` (3 by default) is not missed
/// in silence: its file is incomplete (exit 2, with the flag that raises the
/// limit), and with the limit raised it is found with every layer named.
fn check_deep(
    limited: &Output,
    raised: &Output,
    cases: &[(String, String, Vec<&Enc>)],
    what: &str,
) {
    assert_eq!(code(limited), 2, "{what}: {}", stderr(limited));
    let v = json(limited);
    assert_eq!(v["findings"], serde_json::json!([]), "{what}: {v:#}");
    let incomplete = v["incomplete"].as_array().unwrap();
    assert_eq!(incomplete.len(), cases.len(), "{what}: {v:#}");
    for i in incomplete {
        let reason = i["reason"].as_str().unwrap();
        assert!(reason.contains("--max-decode-depth"), "{what}: {i:#}");
    }
    assert!(
        stderr(limited).contains("deeper than 3 layers (2 of escapes)"),
        "{what}"
    );
    assert_eq!(code(raised), 1, "{what}: {}", stderr(raised));
    let v = json(raised);
    for (file, key, layers) in cases {
        let f = finding_of(&v, key);
        if what != "git" {
            assert_eq!(f["path"], file.as_str(), "{what}: {f:#}");
        }
        let want: Vec<_> = layers
            .iter()
            .enumerate()
            // ROT13 of escapes without letters is the escapes themselves.
            .filter(|&(k, e)| {
                let inner = deep_content(key, &layers[k + 1..]);
                k + 1 == layers.len() || (e.write)(&inner) != inner
            })
            .map(|(_, e)| e.decoding)
            .collect();
        assert_eq!(f["decoding"], serde_json::json!(want), "{what}: {f:#}");
    }
    let keys: Vec<_> = cases.iter().map(|(_, k, _)| k).collect();
    assert_keys_absent(&[limited, raised], &keys);
}

#[test]
fn keys_past_the_decode_depth_are_incomplete_not_missed() {
    let cs = deep_cases();
    let t = Tree::new();
    for (file, key, layers) in &cs {
        t.write(file, deep_content(key, layers));
    }
    let limited = t.run(&["dir", ".", "--format", "json"]);
    let raised = t.run(&["dir", ".", "--format", "json", "--max-decode-depth", "6"]);
    check_deep(&limited, &raised, &cs, "dir");

    let r = Repo::init();
    r.write("README.md", "hello\n");
    r.commit("init");
    for (file, key, layers) in &cs {
        r.write(file, &deep_content(key, layers));
    }
    r.git(&["add", "-A"]);
    let limited = r.scan(&["staged", "--format", "json"]);
    let raised = r.scan(&["staged", "--format", "json", "--max-decode-depth", "6"]);
    check_deep(&limited, &raised, &cs, "staged");
    r.commit("add them");
    r.git(&["rm", "-r", "-q", "deep"]);
    r.commit("remove them");
    let limited = r.scan(&["git", "--format", "json"]);
    let raised = r.scan(&["git", "--format", "json", "--max-decode-depth", "6"]);
    check_deep(&limited, &raised, &cs, "git");
}

/// A key with a name before it, `off` bytes into a long line of text, encoded
/// by each chain of `chains` (outermost first), once for each offset of
/// `offsets`: wherever the windows a long run is decoded in fall, the key is
/// found whole, once, with every layer named, in a folder, in history and
/// staged.
fn check_long_lines(chains: &[&[&str]], offsets: impl Iterator<Item = usize> + Clone) {
    let filler = "lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(400);
    let mut cases = Vec::new();
    for &chain in chains {
        for off in offsets.clone() {
            let key = live_key();
            let text = format!("{} apiKey={key} {}", &filler[..off], &filler[..3000]);
            let line = chain.iter().rev().fold(text, |s, e| (enc(e).write)(&s));
            let file = format!("w/{}_{off:05}.txt", chain.join("_"));
            cases.push((file, key, format!("v = \"{line}\"\n"), chain));
        }
    }
    let check = |v: &Value, what: &str| {
        for (file, key, _, layers) in &cases {
            let f = finding_of(v, key);
            assert_eq!(f["path"], file.as_str(), "{what}: {f:#}");
            let want: Vec<_> = layers.iter().map(|e| enc(e).decoding).collect();
            assert_eq!(f["decoding"], serde_json::json!(want), "{what}: {f:#}");
        }
        let n = v["findings"].as_array().unwrap().len();
        assert_eq!(n, cases.len(), "{what}: one finding a key, none cut short");
    };
    let files: Vec<_> = cases
        .iter()
        .map(|(f, _, c, _)| (f.clone(), c.clone()))
        .collect();
    let keys: Vec<_> = cases.iter().map(|(_, k, _, _)| k).collect();
    crate::git::everywhere(&files, &keys, check);
}

/// Escapes inside escapes take a key's encoding past what two windows of the
/// outer ones overlap (`\u0026\u0023…`: 33 bytes a character): a key that a
/// window's end cuts short is read again from its start.
#[test]
fn keys_in_escapes_of_escapes_are_whole_wherever_windows_cut() {
    let pairs: [&[&str]; 5] = [
        &["pct", "u"],
        &["u", "ent"],
        &["ent", "u"],
        &["x", "pct"],
        &["oct", "ent"],
    ];
    check_long_lines(&pairs, (0..900).step_by(37));
}

/// A long run of base64, base32 or hex is decoded a few KiB at a time, each
/// window overlapping the next: escapes inside it (no trigger of their own)
/// are found wherever the key falls, not only where a window happens to
/// start before it.
#[test]
fn keys_escaped_inside_long_runs_are_found_wherever_the_windows_fall() {
    let pairs: [&[&str]; 5] = [
        &["b64", "u"],
        &["b64", "ent"],
        &["b32", "pct"],
        &["hex", "u"],
        &["hex", "x"],
    ];
    check_long_lines(&pairs, (0..6000).step_by(311));
}

/// A long outer run is read a few KiB at a time, each window from where its
/// step starts: what it decodes to keeps the grid of an inner run that
/// starts where the outer one does (hex of hex, base64 of base32), and a
/// window that starts inside an inner group all the same is read on the
/// inner grid.
#[test]
fn keys_in_runs_inside_long_runs_are_found_wherever_the_windows_fall() {
    let chains: [&[&str]; 7] = [
        &["b64", "b64", "ent"],
        &["b64", "hex", "u"],
        &["hex", "b64", "pct"],
        &["b32", "b64", "u"],
        &["hex", "hex", "pct"],
        &["b64", "b32", "u"],
        &["hex", "b32", "b64"],
    ];
    check_long_lines(&chains, (0..20000).step_by(1733));
}
