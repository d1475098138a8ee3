//! Decoding layers: what hides a key from a plain match in client-side bundles
//! (base64, percent-encoding, JS/JSON escapes, concatenated string literals,
//! UTF-16 and UTF-32 text, hex digits, character codes).
//!
//! This module owns the trigger literals and the bounded decoding around them. The
//! detector's one Aho-Corasick pass reports candidates (a trigger literal known in
//! advance, or a keyword whose body is cut by a quote, `\` or `%`); only around
//! those is a region decoded (at most a few KiB, to a fixed depth), the detector run
//! on the decoded bytes, and what it finds mapped back to the physical bytes. A blob
//! with no candidate costs nothing here, and a 100 MB base64 file costs a few KiB
//! of memory per candidate.

mod b64;
mod base32;
mod base58;
mod base85;
mod binary;
#[rustfmt::skip]
mod builtin_triggers;
mod calls;
mod codes;
mod cut;
mod dump;
mod format;
mod idents;
mod indexed;
mod invisible;
mod joins;
mod layers;
mod pieces;
mod region;
pub mod runs;
mod scrambled;
mod shell;
mod strarray;
mod wrapped;

use std::borrow::Cow;
use std::collections::VecDeque;

use base64::Engine as _;

use crate::detect::location::{Locator, char_count};
use crate::detect::{Candidate, Detector, Event, Hit, InlineAllows, context_at};
pub use crate::detect::{Layer, Trigger};
use crate::finding::{Context, Finding, Provenance};
use crate::rules::{RuleKind, RuleSet};
pub use b64::base64_engine;
use region::Region;

/// How many layers deep decoding goes by default (base64 of percent-encoded
/// text is two); `--max-decode-depth` sets it for the process
/// ([`set_max_depth`]).
pub const DEFAULT_DEPTH: usize = 3;
/// The most layers `--max-decode-depth` asks for: every layer is read within
/// the same decoding budget, so this bounds nesting, not cost.
pub const MAX_DEPTH_LIMIT: usize = 16;
static DEPTH: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(DEFAULT_DEPTH);

/// Sets how many layers deep decoding goes (1 to [`MAX_DEPTH_LIMIT`]): where
/// the last layer read holds another one, the blob is reported incomplete.
pub fn set_max_depth(n: usize) {
    DEPTH.store(
        n.clamp(1, MAX_DEPTH_LIMIT),
        std::sync::atomic::Ordering::Relaxed,
    );
}
/// Decoded bytes one blob may cost in all; past it, candidates are not decoded
/// (and the blob is reported incomplete). Decoded regions are not kept, so this
/// bounds time, not memory: a file of the default size limit (50 MiB) made of
/// one trigger repeated is decoded in full (`"qrcp_live_"+` repeated went past
/// the 64 MiB this was before).
const MAX_DECODED: usize = 1 << 30;
/// Decoded bytes per input byte a blob may cost (see `Budget::for_len`).
const DECODED_PER_BYTE: usize = 12;
/// Decoded bytes any blob may cost, however small.
const DECODED_FLOOR: usize = 256 << 10;
/// A candidate this far before the end of a region of its layer is covered by it.
const COVER_MARGIN: usize = 256;
/// Matches one blob reports; past them, the rest are counted and the blob is
/// reported incomplete (a file of one assignment repeated a million times would
/// otherwise hold a million findings in memory).
pub const MAX_HITS: usize = 10_000;

/// A detector over `rules` whose one pass also reports this module's trigger
/// literals: how every scan builds its detector.
pub fn detector(rules: std::sync::Arc<RuleSet>) -> anyhow::Result<Detector> {
    let triggers = rule_triggers(&rules);
    Detector::new(rules, triggers)
}

/// [`triggers`] of `rules`, read from the built-in data when they are the
/// built-in rules.
pub fn rule_triggers(rules: &RuleSet) -> Vec<Trigger> {
    builtin_triggers(rules).unwrap_or_else(|| triggers(rules))
}

/// The layers in the order of their codes in [`builtin_triggers`]' data.
const LAYER_CODES: [Layer; 17] = [
    Layer::Base64,
    Layer::Percent,
    Layer::Escape,
    Layer::Concatenation,
    Layer::Utf16,
    Layer::Utf32,
    Layer::Hex,
    Layer::CharCodes,
    Layer::QuotedPrintable,
    Layer::Invisible,
    Layer::Rot13,
    Layer::Reversed,
    Layer::Base32,
    Layer::Base85,
    Layer::Binary,
    Layer::Rot47,
    Layer::Dump,
];

/// What [`triggers`] depends on in a rule set (each rule's kind and keywords),
/// hashed.
pub(crate) fn trigger_fingerprint(rules: &RuleSet) -> u64 {
    use std::hash::Hasher as _;
    let mut h = Fnv::default();
    for rule in &rules.rules {
        h.write(&[match rule.spec.kind {
            RuleKind::Secret => 1,
            RuleKind::Variable => 2,
            RuleKind::Path => 3,
        }]);
        for kw in &rule.spec.keywords {
            h.write(kw.as_bytes());
            h.write(&[0xff]);
        }
        h.write(&[0xfe]);
    }
    h.finish()
}

/// [`triggers`] of the built-in rules, read from data a test keeps current
/// (`builtin_triggers.rs`), when `rules` are those (in kind and keywords):
/// building them was 190,000 of the 1.45 million instructions of `dir` on one
/// small file, reading them is a copy.
fn builtin_triggers(rules: &RuleSet) -> Option<Vec<Trigger>> {
    use builtin_triggers::{BYTES, FINGERPRINT, TRIGGERS};
    (trigger_fingerprint(rules) == FINGERPRINT).then(|| {
        TRIGGERS
            .iter()
            .map(|&(start, len, layer, lead)| Trigger {
                pattern: Cow::Borrowed(&BYTES[usize::from(start)..][..usize::from(len)]),
                layer: LAYER_CODES[usize::from(layer)],
                lead: usize::from(lead),
            })
            .collect()
    })
}

/// The text of `builtin_triggers.rs` for `rules`.
#[cfg(test)]
fn render_builtin_triggers(rules: &RuleSet) -> String {
    let list = triggers(rules);
    let rows: Vec<(&[u8], String)> = list
        .iter()
        .map(|t| {
            let code = LAYER_CODES.iter().position(|&l| l == t.layer);
            (
                &t.pattern[..],
                format!(", {}, {}", code.expect("a layer"), t.lead),
            )
        })
        .collect();
    render_data(
        "The built-in rules' trigger literals (`super::triggers`)",
        trigger_fingerprint(rules),
        "TRIGGERS: [(u16, u8, u8, u8)",
        "(start in `BYTES`, length, layer code, lead) of each trigger",
        &rows,
    )
}

/// The text of a data file kept by a test (`builtin_triggers.rs`, and the
/// heads' `builtin_heads.rs`): `what` it holds, the [`trigger_fingerprint`] of
/// the rules it was made for, every row's bytes in one byte string `BYTES`, and
/// a table `table` with one row per item: its start and length in `BYTES`,
/// then its `extra` fields.
#[cfg(test)]
pub(crate) fn render_data(
    what: &str,
    fingerprint: u64,
    table: &str,
    row_doc: &str,
    rows: &[(&[u8], String)],
) -> String {
    use std::fmt::Write as _;
    let (mut bytes, mut entries) = (Vec::new(), String::new());
    for (item, extra) in rows {
        let _ = writeln!(entries, "    ({}, {}{extra}),", bytes.len(), item.len());
        bytes.extend_from_slice(item);
    }
    let literal: String = bytes
        .iter()
        .map(|&b| std::ascii::escape_default(b).to_string())
        .collect();
    format!(
        "//! {what}, kept as data by a test:\n\
         //! `QRCP_UPDATE_TRIGGERS=1 cargo test builtin` writes this file again when\n\
         //! the rules or what they make change, and the test fails until it is.\n\n\
         /// `crate::decode::trigger_fingerprint` of the rules this was made for.\n\
         pub const FINGERPRINT: u64 = {fingerprint:#018x};\n\n\
         /// Every row's bytes, one after the other.\n\
         pub const BYTES: &[u8] = b\"{literal}\";\n\n\
         /// {row_doc}, in order.\n\
         pub const {table}; {}] = [\n{entries}];\n",
        rows.len()
    )
}

/// Fails unless the file at `path` (from the crate's root) holds `text`; writes
/// it first under `QRCP_UPDATE_TRIGGERS`.
#[cfg(test)]
pub(crate) fn keep_current(path: &str, text: &str) {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("QRCP_UPDATE_TRIGGERS").is_some() {
        std::fs::write(&full, text).unwrap();
    }
    assert!(
        std::fs::read_to_string(&full).unwrap() == text,
        "{path} is stale: QRCP_UPDATE_TRIGGERS=1 cargo test builtin"
    );
}

/// The trigger literals of every content rule's keywords: the base64 forms of each
/// secret keyword at the three byte alignments, its hex digits, its
/// percent-encoded, quoted-printable and escaped forms (`qrcp%5F`, `qrcp=5F`,
/// `qrcp\u005f`, `qrcp\x5f`), the
/// character codes of its start (`113,114,99,112`), the UTF-16 and UTF-32 LE/BE
/// bytes of every keyword, and the keyword cut by a quote or a line break.
pub fn triggers(rules: &RuleSet) -> Vec<Trigger> {
    let mut out: Vec<Trigger> = Vec::new();
    let mut add = |pattern: Vec<u8>, layer: Layer, lead: usize| {
        out.push(Trigger {
            pattern: Cow::Owned(pattern),
            layer,
            lead,
        });
    };
    for rule in &rules.rules {
        if rule.spec.kind == RuleKind::Path {
            continue;
        }
        for kw in &rule.spec.keywords {
            let kw = kw.as_bytes();
            if !kw.is_ascii() {
                continue;
            }
            add(code_units(kw, 2, false), Layer::Utf16, 0);
            add(code_units(kw, 2, true), Layer::Utf16, 1);
            add(code_units(kw, 4, false), Layer::Utf32, 0);
            add(code_units(kw, 4, true), Layer::Utf32, 3);
            if rule.spec.kind != RuleKind::Secret {
                continue;
            }
            for (pattern, lead) in base64_triggers(kw, true) {
                add(pattern, Layer::Base64, lead);
            }
            // Base64 of the keyword cut into string literals
            // (`atob("cXJjcF9s" + "aXZlX…")`): the piece decodes to a part of
            // the keyword, and the pieces are joined ([`decode_candidate`]).
            // A cut inside the form's head (`'cX' + 'JjcF9s…'`, `'az1xcm' +
            // 'NwX2…'`) leaves the rest of the form whole, at the same place
            // in its 4-character group: a head of its own, whose piece is
            // joined from the first (`pieces::base64_pieces`).
            let head = crate::detect::keywords::HEAD;
            for (pattern, lead) in base64_forms(kw) {
                for cut in head..pattern.len() {
                    for q in [b'"', b'\'', b'`'] {
                        add([&pattern[..cut], &[q]].concat(), Layer::Base64, lead);
                    }
                }
                if pattern.len() >= 2 * head {
                    add(pattern[head..].to_vec(), Layer::Base64, lead);
                }
            }
            // Hex digits, lower- or upper-case.
            for upper in [false, true] {
                add(Spelling::hex(b"", upper).spell(kw, b""), Layer::Hex, 0);
            }
            // The keyword itself split: `"qrcp_" + "live_…"`, and the same inside a
            // JSON string (`\"qrcp_\" + \"live_…\"`, a source map's sources).
            for cut in 4..kw.len() {
                for q in [b'"', b'\'', b'`'] {
                    let mut p = kw[..cut].to_vec();
                    p.push(q);
                    add(p.clone(), Layer::Concatenation, 0);
                    if q != b'`' {
                        p.insert(cut, b'\\');
                        add(p, Layer::Escape, 0);
                    }
                }
                // Cut by a line break: a wrapped YAML scalar, a `\` continuation.
                for brk in ["\n", "\r\n", "\\\n", "\\\r\n"] {
                    let mut p = kw[..cut].to_vec();
                    p.extend_from_slice(brk.as_bytes());
                    add(p, Layer::Concatenation, 0);
                }
                // Cut by an escape or a reference (`qrcp_l\x69ve_`, a zero-width
                // space escaped: `qrcp_li\u200bve_`, `qrcp_li&#8203;ve_`).
                for (intro, layer) in INTRODUCERS {
                    add([&kw[..cut], &[intro]].concat(), layer, 0);
                }
                // Cut by an HTML tag (`qrcp<wbr>_live_…`) or an invisible
                // character (a zero-width space, a soft hyphen, a BOM).
                for lead in invisible::LEADS {
                    add([&kw[..cut], lead].concat(), Layer::Invisible, 0);
                }
            }
            // Up to the first character that needs encoding, then that character.
            if let Some(j) = kw.iter().position(|b| !b.is_ascii_alphanumeric())
                && j > 0
            {
                let (head, c) = (&kw[..j], kw[j]);
                // Any escape or reference at all (the cuts above start at four
                // bytes; a keyword's first character to encode may come sooner).
                for (intro, layer) in INTRODUCERS {
                    add([head, &[intro]].concat(), layer, 0);
                }
                for (form, layer) in ONE_CHARACTER {
                    let mut p = head.to_vec();
                    form.write(c, &mut p);
                    add(p, layer, 0);
                }
            }
        }
    }
    // The whole start of a keyword escaped (`\x71\x72\x63\x70…`, `&#113;&#114;…`,
    // `%71%72…`): its first four characters in each form.
    let mut heads: Vec<Vec<u8>> = Vec::new();
    for rule in &rules.rules {
        if rule.spec.kind != RuleKind::Secret {
            continue;
        }
        for kw in &rule.spec.keywords {
            let head = &kw.as_bytes()[..kw.len().min(4)];
            if head.len() < 4 || !head.is_ascii() || heads.iter().any(|h| h == head) {
                continue;
            }
            heads.push(head.to_vec());
            for (form, sep, layer) in WHOLE_HEAD {
                let spelt = form.spell(head, sep);
                match layer {
                    Layer::Binary => {
                        out_push(&mut out, spelt[BINARY_LEAD..].to_vec(), layer, BINARY_LEAD)
                    }
                    _ => out_push(&mut out, spelt, layer, 0),
                }
            }
            for codes in first_codes(head) {
                out_push(&mut out, codes, Layer::CharCodes, 0);
            }
            for form in [Spelling::hex(b"%", false), Spelling::hex(b"%", true)] {
                let form = form.spell(head, b"");
                // The percent-encoded start in base64 too (a key percent-encoded
                // whole, then base64-encoded, as a URL parameter in a data blob).
                for (b64, lead) in base64_forms(&form) {
                    out_push(&mut out, b64, Layer::Base64, lead);
                }
                out_push(&mut out, form, Layer::Percent, 0);
            }
        }
    }
    for group in extra_forms(rules) {
        let literals = words_of(rules)
            .chain(out.iter().map(|t| &*t.pattern))
            .chain(group.iter().map(|t| &*t.pattern));
        let literals: Vec<&[u8]> = literals.collect();
        // Within the prefilter's room, and within Teddy for the detector's
        // own search, which groups literals by their first bytes only.
        if crate::detect::keywords::head_set(literals.iter().copied()).len() <= HEAD_ROOM
            && crate::detect::keywords::grouped_patterns(&literals)
                <= crate::detect::keywords::MAX_TEDDY
        {
            out.extend(group);
        }
    }
    // A trigger that ends where a keyword could start (base64 ending in `Q`
    // or `q`) would take the detector's one pass apart into two, and
    // every trigger would be collected before the keywords are searched: its
    // end is cut until it cannot (the decoder reads the whole run anyway).
    let words: Vec<&[u8]> = words_of(rules).collect();
    for t in &mut out {
        // Base32 of `qrcp_` starts with the `O` that `QRCODEPRO` ends with: a
        // base64 or base32 trigger that starts where a keyword ends starts a
        // character later instead.
        while matches!(t.layer, Layer::Base64 | Layer::Base32)
            && t.pattern.len() > crate::detect::keywords::HEAD
            && words
                .iter()
                .any(|w| (1..w.len()).any(|k| t.pattern.starts_with(&w[k..])))
        {
            t.pattern.to_mut().remove(0);
            t.lead += 1;
        }
        while t.pattern.len() > crate::detect::keywords::HEAD
            && words.iter().any(|w| crate::detect::overlap(&t.pattern, w))
        {
            t.pattern.to_mut().pop();
        }
    }
    // One trigger a literal, the first listed kept. The set borrows the
    // patterns: the list is built on every run, and a set of copies cost a third
    // of building it.
    let keep: Vec<bool> = {
        let mut seen = std::collections::HashSet::with_capacity_and_hasher(
            out.len(),
            std::hash::BuildHasherDefault::<Fnv>::default(),
        );
        out.iter().map(|t| seen.insert(&*t.pattern)).collect()
    };
    let mut kept = keep.into_iter();
    out.retain(|_| kept.next().unwrap_or(false));
    out
}

/// Search heads the triggers and keywords may take: the member finder's
/// literals (`data:` in three spellings, base64 of five archives and streams)
/// take the other 8 of the prefilter's one Teddy search.
const HEAD_ROOM: usize = crate::detect::keywords::MAX_TEDDY - 8;

/// The keywords of the content rules.
fn words_of(rules: &RuleSet) -> impl Iterator<Item = &[u8]> {
    rules
        .rules
        .iter()
        .filter(|r| r.spec.kind != RuleKind::Path)
        .flat_map(|r| r.spec.keywords.iter().map(|k| k.as_bytes()))
}

/// Triggers that need search heads of their own, in groups that [`triggers`]
/// adds while the heads stay within [`HEAD_ROOM`], cheapest first: a user's
/// rules with more keywords lose these before the search loses Teddy (past
/// [`crate::detect::keywords::MAX_TEDDY`] heads every blob would be read by a
/// plain automaton, several times slower).
/// For each secret keyword:
/// - cut inside its first four characters (`'qrc'+'p_l'+…`, [`cut_in_head`]);
/// - ROT13 (`depc_yvir_`);
/// - written backwards, where the keyword follows its body: `evil_pcr`,
///   without its first and last characters (`_evil_pcrq` would overlap the
///   keyword);
/// - base64 of its UTF-16 LE and BE bytes (PowerShell's `-EncodedCommand`);
/// - base64 of its base64 (a value encoded twice, as a Kubernetes secret made
///   of an encoded value is);
/// - its first four characters one by one in a list (`['q','r','c','p',…]`,
///   joined there by `.join('')` or `''.join(…)`, or by a name bound to it):
///   in single or double quotes, after `,` or `, `;
/// - its first character's call (`chr(113) + chr(114) + …`, `CHAR(0x71)`)
///   or cast (`[char]113+…`, `(char)113 + …`);
/// - one quoted character a line (`'q',` and a line break);
/// - its first character escaped or referenced, in each spelling of
///   [`WHOLE_HEAD`]'s escapes (`&#113;`, `\x71`), whatever follows;
/// - base64 of it escaped whole (`\x63\x58…`, `\u0063…`, `&#99;…`, hex digits);
/// - base32, upper-case, at its five byte alignments;
/// - base85 in both alphabets; its first character plain and one of the next
///   three escaped; its first character in a long or padded spelling;
/// - ROT47 (`BC4A0=:G60`);
/// - a hex dump's first offset (`00000000: `).
///
/// The base64 decoder's region starts a few bytes early
/// (`b64::BACK_GROUPS`) for the inner layer's lead. Not wrapped over lines:
/// each wrapped form is more literals for every run to build its automaton
/// of, for a form not seen.
fn extra_forms(rules: &RuleSet) -> Vec<Vec<Trigger>> {
    let keywords: Vec<&[u8]> = rules
        .rules
        .iter()
        .filter(|r| r.spec.kind == RuleKind::Secret)
        .flat_map(|r| r.spec.keywords.iter().map(|k| k.as_bytes()))
        .filter(|k| k.is_ascii() && k.len() > 2)
        .collect();
    let trigger = |pattern: Vec<u8>, layer: Layer, lead: usize| Trigger {
        pattern: Cow::Owned(pattern),
        layer,
        lead,
    };
    let base64 = |texts: Vec<Vec<u8>>| -> Vec<Trigger> {
        texts
            .iter()
            .flat_map(|t| base64_triggers(t, false))
            .map(|(p, lead)| trigger(p, Layer::Base64, lead))
            .collect()
    };
    let mut groups: Vec<Vec<Trigger>> = Vec::new();
    for &kw in &keywords {
        groups.push(cut_in_head(kw).collect());
    }
    for &kw in &keywords {
        let rot13 = kw.iter().map(|&b| scrambled::rot13_byte(b)).collect();
        groups.push(vec![trigger(rot13, Layer::Rot13, 0)]);
    }
    for &kw in &keywords {
        let inner = kw[1..kw.len() - 1].iter().rev().copied().collect();
        groups.push(vec![trigger(inner, Layer::Reversed, 0)]);
    }
    for &kw in &keywords {
        groups.push(base64(vec![
            code_units(kw, 2, false),
            code_units(kw, 2, true),
        ]));
    }
    for &kw in &keywords {
        groups.push(base64(
            base64_forms(kw).into_iter().map(|(p, _)| p).collect(),
        ));
    }
    for &kw in &keywords {
        groups.push(one_by_one(kw).collect());
    }
    // `chr(113) + chr(114) + …`, `CHAR(0x71)+…`: the first character's call.
    for &kw in &keywords {
        let c = kw[0];
        groups.push(vec![
            trigger(format!("({c})").into_bytes(), Layer::CharCodes, 0),
            trigger(format!("(0x{c:x})").into_bytes(), Layer::CharCodes, 0),
        ]);
        // `[char]113+[char]114+…`, `(char)113 + (char)114 + …`.
        groups.push(vec![
            trigger(format!("]{c}").into_bytes(), Layer::CharCodes, 0),
            trigger(format!("){c}").into_bytes(), Layer::CharCodes, 0),
        ]);
    }
    // One character a line: `'q',\n  'r',\n…`.
    for &kw in &keywords {
        let c = kw[0];
        groups.push(
            [b'\'', b'"']
                .into_iter()
                .map(|q| trigger(vec![c, q, b',', b'\n'], Layer::Concatenation, 0))
                .collect(),
        );
    }
    // The first character escaped, whatever follows (`&#113;r&#x63;p&#95;…`,
    // as a page's e-mail obfuscator mixes references and plain characters;
    // `\x71rc\u0070…`): the escape decoder reads the line's mixed run.
    for &kw in &keywords {
        groups.push(
            WHOLE_HEAD
                .iter()
                .filter(|(_, _, layer)| *layer == Layer::Escape)
                .map(|(form, sep, layer)| trigger(form.spell(&kw[..1], sep), *layer, 0))
                .collect(),
        );
    }
    // Base64 escaped whole (`\x63\x58\x4a\x6a…`, `\u0063…`, `&#99;&#88;…`,
    // hex digits `63584a6a…`): the escape is undone, and what it gives is read
    // again, where the base64 triggers find it.
    for &kw in &keywords {
        let mut group = Vec::new();
        for (b64, _) in base64_forms(kw) {
            let start = &b64[..crate::detect::keywords::HEAD];
            for upper in [false, true] {
                for (form, layer) in [
                    (Spelling::hex(b"\\x", upper), Layer::Escape),
                    (Spelling::new(b"\\u", 16, 4, upper, b""), Layer::Escape),
                    (Spelling::hex(b"", upper), Layer::Hex),
                ] {
                    group.push(trigger(form.spell(start, b""), layer, 0));
                }
            }
            let decimal = Spelling::new(b"&#", 10, 1, false, b";");
            group.push(trigger(decimal.spell(start, b""), Layer::Escape, 0));
        }
        groups.push(group);
    }
    for &kw in &keywords {
        let forms = base32::forms(kw).into_iter();
        groups.push(
            forms
                .map(|(p, lead)| trigger(p, Layer::Base32, lead))
                .collect(),
        );
    }
    // Base85 in both alphabets (Python's `b85encode` and `a85encode`).
    for &kw in &keywords {
        groups.push(
            base85::forms(kw)
                .into_iter()
                .map(|p| trigger(p, Layer::Base85, 0))
                .collect(),
        );
    }
    // The first character plain and one of the next three escaped or
    // referenced, whatever follows (`q\x72c\u0070…`, `qr&#99;p…`: an
    // obfuscator that escapes characters at random leaves a third plain).
    for &kw in &keywords {
        let mut group = Vec::new();
        for cut in 1..crate::detect::keywords::HEAD.min(kw.len()) {
            // `\x`, `\u`, `&#`, `&#x` (octal and `\u{` would take heads of their
            // own for forms seldom mixed).
            let mixed = WHOLE_HEAD.iter().filter(|(form, _, layer)| {
                *layer == Layer::Escape && !matches!(form.prefix, b"\\" | b"\\u{")
            });
            for (form, _, layer) in mixed {
                let mut p = kw[..cut].to_vec();
                form.write(kw[cut], &mut p);
                group.push(trigger(p, *layer, 0));
            }
        }
        groups.push(group);
    }
    // The first character in a long or padded spelling, whatever follows:
    // `&#x0071;`, `&#0113;` (an encoder that pads references), Python's
    // `\U00000071`, `%u0071` (`unescape` reads it; obfuscators write it), and
    // CSS's `\71 ` (a stylesheet's `content: "…"`).
    for &kw in &keywords {
        groups.push(
            LONG_FIRST
                .iter()
                .map(|(form, layer)| trigger(form.spell(&kw[..1], b""), *layer, 0))
                .collect(),
        );
    }
    // ROT47 (`BC4A0=:G60`): `qrcp_live_` and `qrcp_test_` share one head.
    for &kw in &keywords {
        let rot47 = kw.iter().map(|&b| scrambled::rot47_byte(b)).collect();
        groups.push(vec![trigger(rot47, Layer::Rot47, 0)]);
    }
    // A hex dump's first offset (`00000000: ` of xxd, `00000000  ` of
    // `hexdump -C`, `0000000 ` of `od`, `000000 ` of `od -A x`): the dump is
    // read whole ([`dump`]), whatever its grouping and wherever its lines cut
    // a key. Numbers of six zeros before a blank are rare in code.
    if !keywords.is_empty() {
        groups.push(
            [&b"000000 "[..], b"000000:"]
                .map(|p| trigger(p.to_vec(), Layer::Dump, 0))
                .into(),
        );
    }
    groups
}

/// The long and padded spellings of one character ([`extra_forms`]' last group).
const LONG_FIRST: [(Spelling, Layer); 5] = [
    (Spelling::new(b"&#x", 16, 4, false, b";"), Layer::Escape),
    (Spelling::new(b"&#", 10, 4, false, b";"), Layer::Escape),
    (Spelling::new(b"\\U", 16, 8, false, b""), Layer::Escape),
    (Spelling::new(b"%u", 16, 4, false, b""), Layer::Percent),
    (Spelling::new(b"\\", 16, 1, false, b" "), Layer::Escape),
];

/// The concatenation triggers of `kw` cut inside its first four characters
/// (the cuts from the fourth character on are main triggers: they hold the
/// keyword's head), four bytes each, in single or double quotes:
/// - the piece that holds the cut, whatever joins it where it fits (`qrc"`,
///   `"qr"`), else with a `+` and the next quote (`'q'+'`), as
///   javascript-obfuscator's `splitStrings` cuts every string (`'qrc'+'p_l'+…`,
///   `'qr'+'cp'+…`, `'q'+'r'+…`);
/// - the quote that opens the rest, with its first characters (`"rcp`,
///   `'cp_`; lead: the characters cut off before it), as a person hides a key
///   whatever joins the pieces (`"q" + "rcp_live_…"`, Python's `"q" "rcp_…"`,
///   `["q","rcp_…"].join("")`, `"q".concat("rcp_…")`, a shell's `q"rcp_…"`).
///
/// A trigger that starts with a quote opens a piece: the decoder walks back
/// over the pieces that hold the characters cut off ([`cut`]).
fn cut_in_head(kw: &[u8]) -> impl Iterator<Item = Trigger> + '_ {
    let head = crate::detect::keywords::HEAD;
    let trigger = |pattern: Vec<u8>, lead: usize| Trigger {
        pattern: Cow::Owned(pattern),
        layer: Layer::Concatenation,
        lead,
    };
    (1..head.min(kw.len())).flat_map(move |cut| {
        [b'"', b'\''].into_iter().flat_map(move |q| {
            let piece = match head - cut {
                2 => [&[q][..], &kw[..cut], &[q]].concat(),
                1 => [&kw[..cut], &[q][..]].concat(),
                _ => [&kw[..cut], &[q, b'+', q][..]].concat(),
            };
            // The rest's first characters, four bytes with the quote.
            let rest = [&[q][..], &kw[cut..(cut + head - 1).min(kw.len())]].concat();
            let rest = (cut < head - 1 && rest.len() >= head).then(|| trigger(rest, cut));
            std::iter::once(trigger(piece[..head.min(piece.len())].to_vec(), 0)).chain(rest)
        })
    })
}

/// The concatenation triggers of `kw` spelled one character a piece in a
/// list: its first four characters, each quoted, after a separator.
fn one_by_one(kw: &[u8]) -> impl Iterator<Item = Trigger> + '_ {
    let head = kw
        .get(..4)
        .filter(|h| h.iter().all(|b| b.is_ascii_graphic()));
    let spellings = [("'", ","), ("\"", ","), ("'", ", "), ("\"", ", ")];
    head.into_iter().flat_map(move |head| {
        spellings.into_iter().map(move |(q, sep)| {
            let between = [q, sep, q].concat();
            let mut p = Vec::new();
            for (i, &c) in head.iter().enumerate() {
                if i > 0 {
                    p.extend_from_slice(between.as_bytes());
                }
                p.push(c);
            }
            Trigger {
                pattern: Cow::Owned(p),
                layer: Layer::Concatenation,
                lead: 0,
            }
        })
    })
}

/// `text`'s ASCII bytes as UTF-16 (`width` 2) or UTF-32 (4), LE or BE.
fn code_units(text: &[u8], width: usize, be: bool) -> Vec<u8> {
    let mut out = vec![0; text.len() * width];
    for (unit, &b) in out.chunks_mut(width).zip(text) {
        unit[if be { width - 1 } else { 0 }] = b;
    }
    out
}

/// How one character is written in an escape: `prefix`, the character's code in
/// `radix` padded with zeros to `width` digits, `suffix` (`\x5f`, `&#95;`, `%5F`).
/// The triggers are built on every run, and `format!` for each of them was
/// 60,000 of the 1.8 million instructions of `dir` on one small file.
#[derive(Clone, Copy)]
struct Spelling {
    prefix: &'static [u8],
    radix: u8,
    width: usize,
    upper: bool,
    suffix: &'static [u8],
}

impl Spelling {
    const fn hex(prefix: &'static [u8], upper: bool) -> Spelling {
        Spelling::new(prefix, 16, 2, upper, b"")
    }

    const fn new(
        prefix: &'static [u8],
        radix: u8,
        width: usize,
        upper: bool,
        suffix: &'static [u8],
    ) -> Spelling {
        Spelling {
            prefix,
            radix,
            width,
            upper,
            suffix,
        }
    }

    fn write(&self, c: u8, out: &mut Vec<u8>) {
        let digits = match self.upper {
            true => b"0123456789ABCDEF",
            false => b"0123456789abcdef",
        };
        let mut buf = [b'0'; 8];
        let (mut n, mut i) = (c, buf.len());
        while n > 0 || buf.len() - i < self.width.clamp(1, buf.len()) {
            i -= 1;
            buf[i] = digits[usize::from(n % self.radix)];
            n /= self.radix;
        }
        out.extend_from_slice(self.prefix);
        out.extend_from_slice(&buf[i..]);
        out.extend_from_slice(self.suffix);
    }

    /// Every character of `text` so written, `sep` between them.
    fn spell(&self, text: &[u8], sep: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 8);
        for (i, &c) in text.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(sep);
            }
            self.write(c, &mut out);
        }
        out
    }
}

/// What starts an escape or a reference, whatever spelling comes next: the
/// decoders read every one (`\x5f`, `\u{5F}`, `\137`, CSS's `\5f `, Markdown's
/// `\_`, `&#095;`, `&#95`, `&lowbar;`, `&UnderBar;`, `%5F`, `%255F`), and a
/// spelling a trigger had to name was a spelling missed.
const INTRODUCERS: [(u8, Layer); 3] = [
    (b'\\', Layer::Escape),
    (b'&', Layer::Escape),
    (b'%', Layer::Percent),
];

/// The spellings of the one character after a keyword's alphanumeric start that
/// no introducer alone marks (`qrcp=5F`: a `=` is too common to follow).
const ONE_CHARACTER: [(Spelling, Layer); 2] = [
    (Spelling::hex(b"=", true), Layer::QuotedPrintable),
    (Spelling::hex(b"=", false), Layer::QuotedPrintable),
];

/// The spellings of a keyword's whole start, with what separates characters:
/// escapes, then hex bytes and character codes between blanks (`71 72 63 70`,
/// `113 114 99 112`).
const WHOLE_HEAD: [(Spelling, &[u8], Layer); 15] = [
    (Spelling::hex(b"\\x", false), b"", Layer::Escape),
    (Spelling::new(b"\\u", 16, 4, false, b""), b"", Layer::Escape),
    (
        Spelling::new(b"\\u{", 16, 1, false, b"}"),
        b"",
        Layer::Escape,
    ),
    (Spelling::new(b"\\", 8, 3, false, b""), b"", Layer::Escape),
    (Spelling::new(b"&#", 10, 1, false, b";"), b"", Layer::Escape),
    (
        Spelling::new(b"&#x", 16, 1, false, b";"),
        b"",
        Layer::Escape,
    ),
    // Hex bytes with a separator (`71 72 63 70`, `71:72:…`, `71-72-…`): a hex
    // dump, a MAC-style listing. Digits only, so one spelling serves both cases.
    (Spelling::hex(b"", false), b" ", Layer::Hex),
    (Spelling::hex(b"", false), b":", Layer::Hex),
    (Spelling::hex(b"", false), b"-", Layer::Hex),
    // Hex bytes and decimal codes a line each or between commas (CyberChef's
    // "To Hex" and "To Decimal" with those delimiters).
    (Spelling::hex(b"", false), b",", Layer::Hex),
    (Spelling::hex(b"", false), b"\n", Layer::Hex),
    (
        Spelling::new(b"", 10, 1, false, b""),
        b"\n",
        Layer::CharCodes,
    ),
    // Codes between spaces alone, as CyberChef's "To Decimal", "To Octal" and
    // "To Binary" write them by default (`113 114 99 112`, `161 162 143 160`,
    // `01110001 01110010 …`).
    (
        Spelling::new(b"", 10, 1, false, b""),
        b" ",
        Layer::CharCodes,
    ),
    (Spelling::new(b"", 8, 1, false, b""), b" ", Layer::CharCodes),
    (Spelling::new(b"", 2, 8, false, b""), b" ", Layer::Binary),
];

/// A list of character codes from its first code and comma on (`113,`, `0x71,`):
/// whatever follows the comma (none, a blank, a line break and an indent, as
/// `JSON.stringify(…, null, 2)`, Python's `bytes([…])` one a line or C's
/// wrapped arrays write them), the list is read from there. A code that
/// spells shorter than a search head (`78,`) takes the whole start instead,
/// after `,` and after `, ` ([`first_codes`]).
const FIRST_CODE: [Spelling; 3] = [
    Spelling::new(b"", 10, 1, false, b""),
    Spelling::hex(b"0x", false),
    Spelling::hex(b"0x", true),
];

/// [`FIRST_CODE`]'s literals for a keyword's start `head`, and its `0x`
/// codes between blanks or glued (`0x71 0x72`, `0x710x72`: CyberChef's "To
/// Hex" with its `0x` delimiter), which share the first code's search head.
fn first_codes(head: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    let hex = Spelling::hex(b"0x", false);
    let mut blank = hex.spell(&head[..1], b"");
    blank.push(b' ');
    let others = [blank, hex.spell(&head[..2], b"")];
    FIRST_CODE
        .iter()
        .flat_map(move |form| {
            let mut first = form.spell(&head[..1], b"");
            first.push(b',');
            match first.len() >= crate::detect::keywords::HEAD {
                true => vec![first],
                false => vec![form.spell(head, b","), form.spell(head, b", ")],
            }
        })
        .chain(others)
}

/// Binary digits from a keyword's first group's last digit on (`1 01110010 …`,
/// its lead 7): a search head of `1 01` is rarer in code than the group's own
/// start (`0111`, in any number that holds it).
const BINARY_LEAD: usize = binary::BITS - 1;

/// FNV-1a, for the set that drops repeated triggers: the literals come from the
/// rules, not from the input, so SipHash's resistance to chosen keys buys
/// nothing, and hashing them with it was 40,000 of the 1.5 million instructions
/// of `dir` on one small file.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn out_push(out: &mut Vec<Trigger>, pattern: Vec<u8>, layer: Layer, lead: usize) {
    out.push(Trigger {
        pattern: Cow::Owned(pattern),
        layer,
        lead,
    });
}

/// The HTML named character reference of a punctuation character keys hold.
pub(crate) fn html_name(c: u8) -> Option<&'static str> {
    Some(match c {
        b'_' => "lowbar",
        b'-' => "hyphen",
        b'.' => "period",
        b':' => "colon",
        b'/' => "sol",
        b'=' => "equals",
        b'+' => "plus",
        b'"' => "quot",
        b'\'' => "apos",
        b'&' => "amp",
        b'<' => "lt",
        b'>' => "gt",
        _ => return None,
    })
}

/// [`base64_forms`] of `text`, each also in the URL-safe alphabet where it
/// differs, and if `wrapped` each cut by a line break (a block wrapped at any
/// width): a break falls between two 4-character groups, so only where a group
/// ends. Such a form ends at the break: the next line may be indented (a YAML
/// block, a plist's `<data>`), and [`b64::base64`] reads on. Past the
/// literals' shared head (their first [`HEAD`](crate::detect::keywords::HEAD)
/// characters) the heads searched stay the same; a break inside the head is
/// not found.
fn base64_triggers(text: &[u8], wrapped: bool) -> Vec<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    for (pattern, lead) in base64_forms(text) {
        let head = crate::detect::keywords::HEAD;
        let cuts = (head..pattern.len()).filter(|p| wrapped && (lead + p).is_multiple_of(4));
        for cut in cuts {
            for brk in [&b"\n"[..], b"\r\n"] {
                out.push(([&pattern[..cut], brk].concat(), lead));
            }
        }
        if pattern.iter().any(|&b| b == b'+' || b == b'/') {
            let url: Vec<u8> = pattern
                .iter()
                .map(|&b| match b {
                    b'+' => b'-',
                    b'/' => b'_',
                    b => b,
                })
                .collect();
            out.push((url, lead));
        }
        out.push((pattern, lead));
    }
    out
}

/// The base64 characters that encode `kw` alone, at each of the three byte
/// alignments, with their offset in the 4-character group. Forms shorter than six
/// characters would match too much and are left out.
fn base64_forms(kw: &[u8]) -> Vec<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    for align in 0..3 {
        let mut buf = vec![0u8; align];
        buf.extend_from_slice(kw);
        buf.extend_from_slice(&[0, 0, 0]);
        let enc = base64::engine::general_purpose::STANDARD.encode(&buf);
        let (from_bit, to_bit) = (align * 8, (align + kw.len()) * 8);
        let idx: Vec<usize> = (0..enc.len())
            .filter(|&i| i * 6 >= from_bit && (i + 1) * 6 <= to_bit)
            .collect();
        if let (Some(&first), true) = (idx.first(), idx.len() >= 6) {
            let pattern = idx.iter().map(|&i| enc.as_bytes()[i]).collect();
            out.push((pattern, first));
        }
    }
    out
}

/// How an incomplete blob is named: its path, else its commit.
fn place_of(prov: &Provenance) -> String {
    match (&prov.path, &prov.commit) {
        (Some(p), _) => p.clone(),
        (None, Some(c)) => format!("commit {}", c.id),
        (None, None) => "-".to_string(),
    }
}

/// Said of a key whose end is ambiguous ([`crate::detect::ends`]).
pub const AMBIGUOUS_NOTE: &str = "the key runs straight into binary data: where its body ends is ambiguous \
     (its last characters may belong to the container); verify also tries it without them and \
     says `unknown (ambiguous end)` when the API rejects every body; revoke leaves it to you";

/// A finding with the physical offset where it starts in the scanned blob.
#[derive(Debug, Clone)]
pub struct Located {
    pub start: usize,
    pub finding: Finding,
}

/// A match in some layer's bytes, with what revealed it.
struct DHit {
    hit: Hit,
    /// The matched bytes, decoded.
    secret: Vec<u8>,
    /// Outermost layer first; empty for a plain match.
    layers: Vec<Layer>,
    /// The decoded line to show, for a layer whose physical bytes don't read as text.
    context: Option<Context>,
    /// The match runs to the end of the bytes some layer decoded: the key may
    /// go on past them (the first of two base64 pieces joined by `+`).
    cut: bool,
}

/// Content rules over `data`, through every decoding layer. Findings carry the
/// physical location, the decoding in `encoding`, and are in offset order.
pub fn detect(det: &Detector, data: &[u8], prov: &Provenance, out: &mut Vec<Located>) -> u64 {
    detect_in(det, data, prov, &place_of(prov), true, &[], out)
}

/// [`detect`], naming the blob `place` where it is reported incomplete (a file
/// whose path its findings are given later, an archive's member). `literals`:
/// `data` may hold a keyword or trigger (false when a search for them found
/// none: then only its encoded runs are read). `members`: the spans of `data`
/// that are members scanned on their own (a `data:` URI's payload, an inline
/// script, base64 of gzip), in offset order: a match that starts in one is the
/// member's to report, so nothing found there is decoded again here.
pub fn detect_in(
    det: &Detector,
    data: &[u8],
    prov: &Provenance,
    place: &str,
    literals: bool,
    members: &[(usize, usize)],
    out: &mut Vec<Located>,
) -> u64 {
    let mut budget = Budget::for_len(data.len());
    let within = Within {
        literals,
        script: strarray::script_named(place),
        ..Within::TEXT
    };
    let (mut hits, mut placeholders) = collect(det, data, 0, within, members, &mut budget);
    reread_cut(det, data, within, &mut budget, &mut hits);
    if budget.dropped > 0 {
        crate::messages::Incomplete::record(
            place,
            format!(
                "{} more matches not listed: one file reports at most {}",
                budget.dropped, MAX_HITS
            ),
        );
    }
    if past_depth(&budget, &hits) {
        crate::messages::Incomplete::record(
            place,
            format!(
                "not decoded in full: its encodings nest deeper than {} layers ({} of escapes) \
                 (raise --max-decode-depth)",
                budget.depth,
                max_windows(&budget)
            ),
        );
    }
    if budget.cut {
        crate::messages::Incomplete::record(
            place,
            format!(
                "decoding stopped after {} decoded: too many encoded candidates for its size",
                crate::units::human_bytes(budget.decoded as u64)
            ),
        );
    }
    // One match a start and rule: a whole one before one cut by the end of what
    // a layer decoded, the longer of those cut (the pieces joined before the
    // first piece alone), then the fewest layers; but a whole reading that
    // goes on where another stops is the key, and so is one cut short that goes
    // on where the plain match stops (`"qrcp_live_<20 or more>" + "…"`: the
    // first piece alone is a match, the program's string is the pieces joined;
    // a decoded one cut short may end in half an escape; two literals side
    // by side on one line, `"qrcp_live_…" "then"`, are prose: `quoted_beside`).
    hits.sort_by_key(|h| {
        let cut_len = if h.cut {
            usize::MAX - h.secret.len()
        } else {
            0
        };
        (h.hit.start, h.hit.rule, h.cut, cut_len, h.layers.len())
    });
    hits.dedup_by(|h, kept| {
        let same = (h.hit.start, h.hit.rule) == (kept.hit.start, kept.hit.rule);
        if same
            && (!h.cut || kept.layers.is_empty())
            && h.secret.len() > kept.secret.len()
            && h.secret.starts_with(&kept.secret)
            && !quoted_beside(data, kept.hit.end)
        {
            std::mem::swap(h, kept);
        }
        same
    });
    // What a decoded key's encoding spans is the key's: the same keyword cut
    // short there (read by a decoder that stopped at a line's end, as a hex
    // dump's lines cut it) is no placeholder.
    for h in hits.iter().filter(|h| !h.layers.is_empty()) {
        placeholders.take_back(h.hit.start..h.hit.end);
    }
    let mut locator = Locator::new(data);
    let mut allows = InlineAllows::new(data);
    for h in hits {
        let (start, end) = (h.hit.start, h.hit.end.max(h.hit.start));
        let wide = match h.layers.first() {
            Some(Layer::Utf16) => Some(2),
            Some(Layer::Utf32) => Some(4),
            _ => None,
        };
        let at = if let Some(width) = wide {
            let (line, col) = wide_locate(data, start, width);
            let width = char_count(&h.secret);
            [line, col, line, col + width]
        } else {
            let (line, col) = locator.locate(start);
            let (end_line, end_col) = locator.locate(end);
            [line, col, end_line, end_col]
        };
        let context = h.context.unwrap_or_else(|| context_at(data, start, end));
        let allowed = allows.allows(start) || context.text.contains(crate::finding::INLINE_ALLOW);
        let mut finding = det.make_finding(&h.hit, &h.secret, prov, at, context, allowed);
        finding.decoding = h.layers.iter().map(|l| l.encoding()).collect();
        // A plain key in binary data may run into the container's next bytes.
        if h.layers.is_empty()
            && finding.secret.is_some()
            && crate::detect::ends::ambiguous(
                data,
                start,
                end,
                finding.secret_prefix_len,
                crate::detect::ends::MIN_BODY,
            )
        {
            finding.ambiguous_end = true;
            finding.notes.push(AMBIGUOUS_NOTE.into());
        }
        out.push(Located { start, finding });
    }
    placeholders.count()
}

/// Whether the quote at `data[end]` closes a literal that another opens beside
/// it, after blanks on the same line (`"qrcp_live_Ab3x…" "then"`): adjacent
/// literals that a match whole already ends at are two strings in prose far
/// more often than a key cut on purpose (a long literal wrapped goes on on the
/// next line). Looks [`BESIDE`] bytes on at most.
fn quoted_beside(data: &[u8], end: usize) -> bool {
    let Some(rest) = data
        .get(end..)
        .filter(|r| r.first().is_some_and(|&b| layers::is_quote(b)))
    else {
        return false;
    };
    // Blanks between: glued on (`'…''…'`), they are a shell's one word.
    let next = rest[1..]
        .iter()
        .take(BESIDE)
        .position(|&b| b != b' ' && b != b'\t');
    next.is_some_and(|i| i > 0 && layers::is_quote(rest[1 + i]))
}

/// Blanks [`quoted_beside`] reads past, at most.
const BESIDE: usize = 64;

/// What decoding one blob may still cost, and the work it has done: bytes the
/// detector passed over at every depth, bytes decoded, and decoder calls (each
/// bounded by its window). The property tests bound `work` per input byte.
struct Budget {
    left: usize,
    decoded: usize,
    work: u64,
    /// Candidates were left undecoded: the blob was not read in full.
    cut: bool,
    /// Matches past [`MAX_HITS`], counted and not kept.
    dropped: u64,
    /// Layers decoded one inside another, at most ([`set_max_depth`]).
    depth: usize,
    /// The last layer decoded holds another (a trigger, or a run that decodes
    /// to text): the blob was not read in full.
    deeper: bool,
    /// Places past the depth limit still to try for another layer
    /// ([`try_deeper`]).
    tries: usize,
    /// Matches a layer past the depth limit would reveal ([`REVEALED`] at
    /// most): the blob is incomplete if one is not found by another way.
    revealed: Vec<Vec<u8>>,
}

impl Budget {
    /// Decoding a blob of `len` bytes may cost [`DECODED_PER_BYTE`] bytes per
    /// input byte plus [`DECODED_FLOOR`], at most [`MAX_DECODED`]: linear in the
    /// input whatever the input.
    fn for_len(len: usize) -> Budget {
        Budget {
            left: len
                .saturating_mul(DECODED_PER_BYTE)
                .saturating_add(DECODED_FLOOR)
                .min(MAX_DECODED),
            decoded: 0,
            work: 0,
            cut: false,
            dropped: 0,
            depth: DEPTH.load(std::sync::atomic::Ordering::Relaxed),
            deeper: false,
            tries: DEEPER_TRIES,
            revealed: Vec::new(),
        }
    }

    /// A region of `len` decoded bytes: taken from what is left, and counted.
    fn spend(&mut self, len: usize) {
        self.left = self.left.saturating_sub(len);
        self.decoded += len;
        self.work += len as u64;
    }
}

/// Whether [`detect`] may find anything in `data`: it holds a keyword or a
/// trigger (the detector's one search), or a long encoded run.
pub fn worth_decoding(det: &Detector, data: &[u8]) -> bool {
    det.has_candidate(data) || runs::any(data)
}

/// The work [`detect`] does on `data` (see [`Budget`]): a deterministic measure
/// of cost for the tests that bound it per byte.
#[cfg(test)]
fn work(det: &Detector, data: &[u8]) -> u64 {
    work_outside(det, data, &[])
}

/// [`work`] where `members` are spans of members scanned on their own.
#[cfg(test)]
fn work_outside(det: &Detector, data: &[u8], members: &[(usize, usize)]) -> u64 {
    let mut budget = Budget::for_len(data.len());
    collect(det, data, 0, Within::TEXT, members, &mut budget);
    budget.work
}

/// What `collect`'s bytes were decoded from.
#[derive(Clone, Copy)]
struct Within {
    /// Pieces already joined: not joined again (a shell word inside a shell
    /// word has nothing new to give, and would multiply the work per depth).
    reassembled: bool,
    /// The file's text (or the same text re-encoded, UTF-16/32): shell words and
    /// wrapped lines are read here, not inside an escaped or encoded string.
    text: bool,
    /// Whole-window decoders (percent, escapes) above: each decodes its candidate's
    /// whole line window, so a third one nested would redo the same window again
    /// (`qrcp%5F` and `qrcp\u005f` alternating cost work exponential in depth).
    windows: u8,
    /// The bytes may hold a keyword or trigger: the detector's pass is run.
    literals: bool,
    /// A script or a page by its name: javascript-obfuscator's string array
    /// is looked for ([`strarray::script_named`]).
    script: bool,
    /// Encoded runs are looked for ([`runs`]): in the file's bytes and in what
    /// a run decoded to, not in a trigger's region (its trigger was a key's
    /// form already; its text, `qrcp_live_\` repeated, would be read for runs
    /// again at every depth).
    shaped: bool,
}

impl Within {
    const TEXT: Within = Within {
        reassembled: false,
        text: true,
        windows: 0,
        literals: true,
        shaped: true,
        script: false,
    };
}

/// Whole-window decoders nested in one chain, at most: one fewer than the
/// layers (`%255F`, two, by default); past them a window is only tried for
/// another layer ([`try_deeper`]).
fn max_windows(budget: &Budget) -> u8 {
    u8::try_from(budget.depth.saturating_sub(1)).unwrap_or(u8::MAX)
}

/// The matches and placeholders in `data` and in every region decoded from it,
/// in `data`'s offsets. The detector's pass is consumed as it goes: a candidate is
/// decoded when the pass reaches it, and nothing is kept per candidate.
fn collect(
    det: &Detector,
    data: &[u8],
    depth: usize,
    within: Within,
    members: &[(usize, usize)],
    budget: &mut Budget,
) -> (Vec<DHit>, Placeholders) {
    budget.work += data.len() as u64;
    let mut hits: Vec<DHit> = Vec::new();
    let mut placeholders = match depth {
        0 => Placeholders::top(data.len()),
        _ => Placeholders::default(),
    };
    // Per layer, the furthest end of a region decoded so far. Candidates come in
    // offset order and a region starts at or before its candidate, so the furthest
    // end alone tells whether a candidate is covered: O(1) per candidate, not a
    // scan of every region so far (which made a file of triggers quadratic).
    let mut covered: Vec<Cover> = Vec::new();
    let mut idents = idents::Idents::default();
    // The last layer read: what it holds encoded again is not decoded, only
    // noticed (the blob is then incomplete).
    let last = depth >= budget.depth;
    let mut shaped = Shaped::new(data, !last && within.shaped);
    let mut decode_shaped = |upto: usize,
                             covered: &mut Vec<Cover>,
                             idents: &mut idents::Idents,
                             hits: &mut Vec<DHit>,
                             placeholders: &mut Placeholders,
                             budget: &mut Budget| {
        while let Some((at, end, shape)) = shaped.due(upto) {
            if in_member(members, at) {
                continue;
            }
            let (c, dec) = run_step(at, shape);
            decode_candidate(
                det,
                data,
                depth,
                within,
                budget,
                c,
                dec,
                Some((end, shape)),
                (covered, idents),
                (hits, placeholders),
            );
        }
    };
    // Without a literal the pass has nothing to find: it reads no bytes.
    let pass: &[u8] = if within.literals { data } else { &[] };
    let mut literal = false;
    // The layer of the last candidate decoded, and where its decoders' regions
    // stop covering candidates, one for each of its decoders ([`covered_until`]).
    let (mut skip, mut skip_until) = (None, [0; 3]);
    // The same for a layer of one decoder, while the budget lasts: its
    // candidates up to an offset, which the pass then need not hand over one
    // by one (and those it hands over return after one comparison).
    let quiet = std::cell::Cell::new(None);
    let mut refusals = layers::Refusals::default();
    det.pass_each_quiet(pass, true, &quiet, |event| match event {
        Event::Hit(h) if in_member(members, h.start) => literal = true,
        Event::Hit(h) => {
            literal = true;
            push_hit(&mut hits, budget, || DHit {
                secret: data[h.start..h.end].to_vec(),
                hit: h,
                layers: Vec::new(),
                context: None,
                cut: false,
            })
        }
        Event::Placeholder(s, e) => placeholders.push(s, e, true),
        Event::Candidate(c) if last => {
            literal = true;
            if !in_member(members, c.at) {
                for &dec in layers::decoders(c.layer) {
                    try_deeper(det, data, c, dec, None, &mut idents, budget);
                }
            }
        }
        Event::Candidate(c) => {
            literal = true;
            // The decoders with something to do: not covered (the regions
            // only reach further) and not refusing. A candidate with none
            // returns at once: the runs due before it are decoded before the
            // next candidate that has some, in the same order with everything
            // that does something.
            if quiet
                .get()
                .is_some_and(|(l, until)| l == c.layer && c.at < until)
            {
                return;
            }
            let memo = skip == Some(c.layer) && budget.left > 0;
            let decs = layers::decoders(c.layer);
            let mut todo = 0u8;
            for (i, &dec) in decs.iter().enumerate() {
                let covered = memo && skip_until.get(i).is_some_and(|&until| c.at < until);
                if !covered && !refusals.refuses(data, &c, dec) {
                    todo |= 1 << i;
                }
            }
            if todo == 0 {
                return;
            }
            decode_shaped(
                c.at,
                &mut covered,
                &mut idents,
                &mut hits,
                &mut placeholders,
                budget,
            );
            if in_member(members, c.at) {
                // The runs decoded may have spent the budget: the memo (and
                // so the stretch) holds only while some is left.
                if budget.left == 0 {
                    quiet.set(None);
                }
                return;
            }
            for (i, &dec) in decs.iter().enumerate() {
                if todo & 1 << i == 0 {
                    continue;
                }
                decode_candidate(
                    det,
                    data,
                    depth,
                    within,
                    budget,
                    c,
                    dec,
                    None,
                    (&mut covered, &mut idents),
                    (&mut hits, &mut placeholders),
                );
            }
            skip = Some(c.layer);
            for (until, &dec) in skip_until.iter_mut().zip(decs) {
                *until = covered_until(&covered, dec);
            }
            quiet.set((decs.len() == 1 && budget.left > 0).then_some((c.layer, skip_until[0])));
        }
    });
    decode_shaped(
        usize::MAX,
        &mut covered,
        &mut idents,
        &mut hits,
        &mut placeholders,
        budget,
    );
    if last && within.shaped {
        encoded_runs(det, data, members, &mut idents, budget);
    }
    // javascript-obfuscator's string array, where the blob gives a reason to
    // look: a keyword or trigger (a piece of a key left unencoded), or its
    // decoder's base64 alphabet (the array encoded). Looking is a pass over
    // every byte, which scripts without either do not pay.
    if depth == 0 && within.script && (literal || shaped.alphabet) {
        string_array(det, data, budget, &mut hits, &mut placeholders);
    }
    // A hex dump's text column repeats its bytes, cut a line at a time: what
    // starts there (a key cut short, a keyword) is the dump's to report.
    let mut echoes: Vec<_> = covered.iter_mut().flat_map(|k| k.echo.drain(..)).collect();
    if !echoes.is_empty() {
        echoes.sort_unstable_by_key(|e| e.start);
        let inside = |at: usize| {
            let k = echoes.partition_point(|e| e.start <= at);
            k > 0 && echoes[k - 1].contains(&at)
        };
        hits.retain(|h| !inside(h.hit.start));
        for e in &echoes {
            placeholders.take_back(e.clone());
        }
    }
    placeholders.settle_all();
    (hits, placeholders)
}

/// Places past the depth limit ([`set_max_depth`]) one blob tries for another
/// layer, at most: each costs a region's decoding.
const DEEPER_TRIES: usize = 256;
/// Letters and digits a layer past the depth limit must decode to: fewer than
/// a key has (`qrcp`, `live` and a body of 20 or more), more than a keyword's
/// forms listed one after the other (`qrcp_test_qrcp_test_`).
const DEEPER_ALNUM: usize = 24;

/// Notes in `budget` whether candidate `c` (or the run step at `c`, with
/// `run`), past the depth limit, undoes another layer that may hold a key: one
/// that reveals a match (ROT13 of a key, a window of escapes), or an encoding
/// that decodes to text ([`decodes_to_text`]).
/// Pieces to join are not a layer here (text read again, as a source's own
/// `"qrcp_" + …` is).
fn try_deeper(
    det: &Detector,
    data: &[u8],
    c: Candidate,
    dec: layers::Decoder,
    run: Option<(usize, runs::Shape)>,
    idents: &mut idents::Idents,
    budget: &mut Budget,
) {
    if budget.deeper || budget.tries == 0 || dec.reassembles() {
        return;
    }
    budget.tries -= 1;
    let Some(r) = decode_at(data, c, dec, run, idents) else {
        return;
    };
    budget.spend(r.bytes.len());
    // A match the decoding revealed: not one the bytes as written hold too
    // (a rule that matches a variable's name as written).
    let written = &data[r.phys(0).min(r.end)..r.end];
    let revealed = &mut budget.revealed;
    det.pass_each(&r.bytes, false, |e| {
        if let Event::Hit(h) = e {
            let secret = &r.bytes[h.start..h.end];
            if revealed.len() < REVEALED && memchr::memmem::find(written, secret).is_none() {
                revealed.push(secret.to_vec());
            }
        }
    });
    // A window of escapes decodes to text whenever a line has a few: only
    // what it reveals counts.
    budget.deeper = !dec.decodes_window() && decodes_to_text(&r);
}

/// Matches past the depth limit one blob keeps ([`Budget::revealed`]).
const REVEALED: usize = 16;

/// Bytes after a match, at most, that leave it cut by its region's end
/// ([`DHit::cut`]): the longest escape of one character (`&#x1F600;`).
const CUT_SLACK: usize = 9;

/// Bytes a cut match and one read again from its start share, at least, to
/// be the same key: a keyword and a few characters of the body.
const SAME_START: usize = 16;

/// Cut matches read again from where they start, at most.
const REREADS: usize = 16;
/// Bytes read again from a cut match's start.
const REREAD: usize = 64 << 10;

/// A decoded key cut by the end of what a layer decoded is read again from
/// where it starts: escapes inside escapes (`%5Cu0071…`, `\u0026\u0023…`)
/// take more bytes than two windows of the outer ones overlap, so a key may
/// be whole in none of them, and a window that starts at the key holds it.
/// A match found so that starts there, whole, joins `hits`, where it is kept
/// before the cut one.
fn reread_cut(
    det: &Detector,
    data: &[u8],
    within: Within,
    budget: &mut Budget,
    hits: &mut Vec<DHit>,
) {
    let mut starts: Vec<usize> = hits
        .iter()
        .filter(|h| h.cut && !h.layers.is_empty() && h.hit.start > 0)
        .map(|h| h.hit.start)
        .collect();
    starts.sort_unstable();
    starts.dedup();
    for s in starts.into_iter().take(REREADS) {
        let end = s.saturating_add(REREAD).min(data.len());
        let (more, _) = collect(det, &data[s..end], 0, within, &[], budget);
        for mut m in more {
            // The same key read whole: its start as the cut one read it (whose
            // last characters may be the start of an escape read as text).
            // Only a match at the reread's start is asked (a file of a million
            // joined keys, each cut where its pieces end, asked every one).
            let whole = m.hit.start == 0
                && !m.cut
                && hits.iter().any(|h| {
                    h.cut
                        && h.hit.start == s
                        && h.hit.rule == m.hit.rule
                        && m.secret.get(..SAME_START) == h.secret.get(..SAME_START)
                });
            if whole {
                m.hit.start += s;
                m.hit.end += s;
                hits.push(m);
            }
        }
    }
}

/// The region candidate `c` decodes to with `dec`, or the step at `c` of a run
/// found by its shape (`run`: its end and shape).
fn decode_at(
    data: &[u8],
    c: Candidate,
    dec: layers::Decoder,
    run: Option<(usize, runs::Shape)>,
    idents: &mut idents::Idents,
) -> Option<Region> {
    match run {
        Some((end, shape)) => runs::decode(data, c.at, end, shape),
        None => layers::decode(data, &c, dec, idents),
    }
}

/// Whether the blob whose matches are `hits` was not read in full past the
/// depth limit: a layer there decodes to text, or reveals a match that no
/// other way of reading found (escapes in escapes read one way reach the
/// limit, and another way reads the key).
fn past_depth(budget: &Budget, hits: &[DHit]) -> bool {
    budget.deeper
        || budget.revealed.iter().any(|r| {
            !hits
                .iter()
                .any(|h| h.secret.starts_with(r) || r.starts_with(&h.secret))
        })
}

/// [`try_deeper`] for the encoded runs of `data` (outside `members`), a step
/// of each.
fn encoded_runs(
    det: &Detector,
    data: &[u8],
    members: &[(usize, usize)],
    idents: &mut idents::Idents,
    budget: &mut Budget,
) {
    let mut from = 0;
    while !budget.deeper && budget.tries > 0 {
        let Some((s, e)) = runs::next(data, from) else {
            return;
        };
        from = e + 1;
        let shape = runs::shape(&data[s..e]);
        let Some(at) = runs::starts(data, s..e, shape).next() else {
            continue;
        };
        if in_member(members, at) {
            continue;
        }
        let (c, dec) = run_step(at, shape);
        try_deeper(det, data, c, dec, Some((e, shape)), idents, budget);
    }
}

/// Decoded, not copied: every encoding takes more characters than it yields
/// (base85 the fewest, five for four), where a run of escapes that are none
/// (`\k87…`, `%%%…`) reads as itself; and text with room for a key's body,
/// not `\-\-…` read as `--…`.
fn decodes_to_text(r: &Region) -> bool {
    let span = r.end.saturating_sub(r.phys(0));
    let alnum = r.bytes.iter().filter(|b| b.is_ascii_alphanumeric()).count();
    5 * r.bytes.len() <= 4 * span && alnum >= DEEPER_ALNUM && runs::texty(&r.bytes)
}

/// The candidate a step at `at` of a run found by its shape is, and its
/// decoder.
fn run_step(at: usize, shape: runs::Shape) -> (Candidate, layers::Decoder) {
    let (layer, dec) = shape.decoding();
    let c = Candidate {
        layer,
        at,
        lead: 0,
        placeholder: false,
    };
    (c, dec)
}

/// Whether `at` lies in one of `members` (spans in offset order, none inside
/// another).
fn in_member(members: &[(usize, usize)], at: usize) -> bool {
    let k = members.partition_point(|&(start, _)| start <= at);
    k > 0 && at < members[k - 1].1
}

/// The strings of javascript-obfuscator's string array ([`strarray`]) read
/// again, but for a key found already (an array left unencoded, or only
/// escaped, holds it whole: the pass has it, at the array).
fn string_array(
    det: &Detector,
    data: &[u8],
    budget: &mut Budget,
    hits: &mut Vec<DHit>,
    placeholders: &mut Placeholders,
) {
    let before = hits.len();
    let inner = Within {
        reassembled: false,
        text: false,
        windows: 0,
        literals: true,
        shaped: true,
        script: false,
    };
    let cut = strarray::resolve(data, &mut |region| {
        budget.spend(region.bytes.len());
        let c = Candidate {
            layer: Layer::StringArray,
            at: region.phys(0),
            lead: 0,
            placeholder: false,
        };
        reveal(
            det,
            data,
            0,
            inner,
            budget,
            &region,
            c,
            (hits, placeholders),
        );
    });
    budget.cut |= cut;
    if hits.len() > before {
        let new = hits.split_off(before);
        let found: std::collections::HashSet<&[u8]> = hits.iter().map(|h| &h.secret[..]).collect();
        let new: Vec<DHit> = new
            .into_iter()
            .filter(|h| !found.contains(&h.secret[..]))
            .collect();
        hits.extend(new);
    }
}

/// The encoded runs of one blob ([`runs`]), each step of each run once, in the
/// order they are decoded among the pass's candidates. Runs are found as the
/// pass reaches them: only the steps of runs already reached are kept.
struct Shaped<'a> {
    data: &'a [u8],
    /// Where the next run may start, if runs are looked for.
    from: Option<usize>,
    /// A run found and not reached yet.
    ahead: Option<(usize, usize)>,
    /// Where `ahead` starts (0 before the first search, `usize::MAX` past
    /// the last run): most calls have nothing to queue.
    ahead_start: usize,
    /// Base64, base32 and hex: decoded when the pass reaches their start, in
    /// offset order with the candidates (their regions cover later candidates
    /// as a trigger's do, and the cover is judged in that order).
    eager: VecDeque<(usize, usize, runs::Shape)>,
    /// Escapes: decoded when the pass is past their step. A trigger's window
    /// that covers the step by then has read it (`qrcp_live_\` repeated is
    /// one run, which triggers decode all of already).
    lazy: VecDeque<(usize, usize, runs::Shape)>,
    /// A run was javascript-obfuscator's base64 alphabet (its decoder's,
    /// [`strarray::alphabet`]).
    alphabet: bool,
}

impl<'a> Shaped<'a> {
    fn new(data: &'a [u8], look: bool) -> Shaped<'a> {
        Shaped {
            data,
            from: look.then_some(0),
            ahead: None,
            ahead_start: 0,
            alphabet: false,
            eager: VecDeque::new(),
            lazy: VecDeque::new(),
        }
    }

    /// Queues the steps of every run that starts by `upto`.
    fn reach(&mut self, upto: usize) {
        let data = self.data;
        loop {
            if self.ahead.is_none() {
                let Some(from) = self.from else {
                    self.ahead_start = usize::MAX;
                    return;
                };
                self.ahead = runs::next(data, from);
                self.from = self.ahead.map(|(_, e)| e + 1);
            }
            let Some((s, e)) = self.ahead.filter(|&(s, _)| s <= upto) else {
                self.ahead_start = self.ahead.map_or(usize::MAX, |(s, _)| s);
                return;
            };
            self.ahead = None;
            self.alphabet |= strarray::alphabet(&data[s..e]);
            let shape = runs::shape(&data[s..e]);
            let queue = match shape.decoding().1.decodes_window() {
                true => &mut self.lazy,
                false => &mut self.eager,
            };
            queue.extend(runs::starts(data, s..e, shape).map(|at| (at, e, shape)));
        }
    }

    /// The next step to decode once the pass has reached `upto`.
    #[inline]
    fn due(&mut self, upto: usize) -> Option<(usize, usize, runs::Shape)> {
        if upto >= self.ahead_start {
            self.reach(upto);
        }
        if self.eager.front().is_some_and(|&(at, _, _)| at <= upto) {
            return self.eager.pop_front();
        }
        if self
            .lazy
            .front()
            .is_some_and(|&(at, end, _)| end.min(at + runs::STEP) <= upto)
        {
            return self.lazy.pop_front();
        }
        None
    }
}

/// How far before a region's reach a candidate is covered by it: a wrapped
/// region joins a few lines, each a candidate of its own, covered.
fn cover_margin(dec: layers::Decoder) -> usize {
    match dec {
        layers::Decoder::Wrapped => 1,
        _ => COVER_MARGIN,
    }
}

/// Where candidates stop being covered for `dec` by its regions' reach alone
/// ([`Cover::covers`]): before it, [`decode_one`] does nothing with them (a
/// file of `qrcp_live_\` repeated went through the whole bookkeeping for
/// each of its 4.8 million).
fn covered_until(covered: &[Cover], dec: layers::Decoder) -> usize {
    covered
        .iter()
        .find(|k| k.dec == dec)
        .map_or(0, |k| (k.reach + 1).saturating_sub(cover_margin(dec)))
}

/// What the regions of one decoder decoded so far cover, in one blob.
struct Cover {
    dec: layers::Decoder,
    /// The furthest end of a region (past a line window's end, the margin).
    reach: usize,
    /// The last regions' base64 or base32 runs, each read to its own end from
    /// its first group ([`Region::run`]): one a grid, as values glued together
    /// start theirs anywhere (`"cXJjcF9saXZlX"+…` joined, 13 characters each,
    /// decoded the rest of the run from each trigger).
    /// (Empty until a region has a run: most covers never do, and a blob's
    /// covers are made and grown in every region read.)
    runs: Vec<std::ops::Range<usize>>,
    /// Where the next run goes in `runs` once it holds [`RUNS`].
    next: usize,
    /// The regions' echoes ([`Region::echo`]).
    echo: Vec<std::ops::Range<usize>>,
}

/// Runs a [`Cover`] keeps: a grid each, as many as base32 has.
const RUNS: usize = 8;

impl Cover {
    fn new(dec: layers::Decoder, reach: usize, run: Option<std::ops::Range<usize>>) -> Cover {
        let mut cover = Cover {
            dec,
            reach,
            runs: Vec::new(),
            next: 0,
            echo: Vec::new(),
        };
        cover.add(run);
        cover
    }

    fn add(&mut self, run: Option<std::ops::Range<usize>>) {
        let Some(run) = run else { return };
        if self.runs.len() < RUNS {
            self.runs.push(run);
        } else {
            self.runs[self.next] = run;
            self.next = (self.next + 1) % RUNS;
        }
    }

    /// Whether decoding `c` would give part of a region decoded already: it is
    /// `margin` before the furthest end, or in one of the last base64 or base32
    /// runs and on its grid. Without the runs, each trigger in a short run (a
    /// file of small base64 values, `…==` each) decoded the run again.
    fn covers(&self, c: &Candidate, margin: usize) -> bool {
        if c.at + margin <= self.reach {
            return true;
        }
        let group = match self.dec {
            layers::Decoder::Base32 => base32::GROUP,
            layers::Decoder::Base85 | layers::Decoder::Ascii85 => base85::GROUP,
            _ => 4,
        };
        let Some(g) = c.at.checked_sub(c.lead) else {
            return false;
        };
        self.runs
            .iter()
            .any(|run| run.contains(&c.at) && g.abs_diff(run.start).is_multiple_of(group))
    }
}

/// A hit kept, unless `hits` holds [`MAX_HITS`] already (then it is counted,
/// and not made: a file of a million matches copied each one's bytes).
fn push_hit(hits: &mut Vec<DHit>, budget: &mut Budget, hit: impl FnOnce() -> DHit) {
    if hits.len() < MAX_HITS {
        hits.push(hit());
    } else {
        budget.dropped += 1;
    }
}

/// Decodes one candidate with one decoder (unless a region of the same decoder
/// covers it already, or the budget is spent) and collects what the decoded
/// region holds, in `data`'s offsets. A run found by its shape (`run`: where it
/// ends, and its shape) is decoded within the run, and read again only when it
/// decodes to text.
#[allow(clippy::too_many_arguments)]
fn decode_candidate(
    det: &Detector,
    data: &[u8],
    depth: usize,
    within: Within,
    budget: &mut Budget,
    mut c: Candidate,
    dec: layers::Decoder,
    run: Option<(usize, runs::Shape)>,
    (covered, idents): (&mut Vec<Cover>, &mut idents::Idents),
    (hits, placeholders): (&mut Vec<DHit>, &mut Placeholders),
) {
    // A long hex dump is read a part at a time, each from a few lines before
    // where the last stopped (a dump of megabytes kept whole was a map of
    // eight bytes for each byte it holds).
    while let Some(more) = decode_one(
        det,
        data,
        depth,
        within,
        budget,
        c,
        dec,
        run,
        (covered, idents),
        (hits, placeholders),
    ) {
        c = Candidate {
            at: more,
            layer: Layer::Hex,
            ..c
        };
    }
}

/// [`decode_candidate`]'s one region; returns where a hex dump that it read
/// part of goes on.
#[allow(clippy::too_many_arguments)]
fn decode_one(
    det: &Detector,
    data: &[u8],
    depth: usize,
    within: Within,
    budget: &mut Budget,
    c: Candidate,
    dec: layers::Decoder,
    run: Option<(usize, runs::Shape)>,
    (covered, idents): (&mut Vec<Cover>, &mut idents::Idents),
    (hits, placeholders): (&mut Vec<DHit>, &mut Placeholders),
) -> Option<usize> {
    if budget.left == 0 {
        budget.cut = true;
        return None;
    }
    if (within.reassembled && dec.reassembles()) || (!within.text && dec.reads_text()) {
        return None;
    }
    if within.windows >= max_windows(budget) && dec.decodes_window() {
        try_deeper(det, data, c, dec, run, idents, budget);
        return None;
    }
    let margin = cover_margin(dec);
    let cover = covered.iter().position(|k| k.dec == dec);
    // A region covers a step of a run only to the step's end, where the next
    // step starts: the run may go on past where the region reached (a step
    // skipped because a region had passed its start left the bytes between
    // that region's end and the next step unread, and a key encoded inside
    // them, with no trigger of its own, unfound).
    let is_covered = cover.is_some_and(|k| match run {
        Some((end, _)) => end.min(c.at + runs::STEP) <= covered[k].reach,
        None => covered[k].covers(&c, margin),
    });
    // A piece of base64 joined to others is read in the pieces joined, not
    // alone (a run found by its shape is read both ways).
    if dec == layers::Decoder::Base64 && !is_covered && !within.reassembled {
        let joined = pieces::base64_pieces(
            det,
            data,
            depth,
            within,
            budget,
            c,
            run,
            (covered, idents),
            (hits, placeholders),
        );
        if joined && run.is_none() {
            return None;
        }
    }
    let decoded = match is_covered {
        true => None,
        false => decode_at(data, c, dec, run, idents),
    };
    budget.work += u64::from(!is_covered);
    // Whether a run decoded to text (a trigger's region is read whatever it
    // decoded to). A covered run is read as ROT13 or backwards all the same:
    // a trigger's window read the escapes as they are (`\161\` ends a run of
    // octal escapes written backwards), not as their characters say.
    let plain =
        is_covered || run.is_none() || decoded.as_ref().is_some_and(|r| runs::texty(&r.bytes));
    if let Some(run) = run {
        views(
            det,
            data,
            depth,
            within,
            budget,
            c,
            run,
            plain,
            (hits, placeholders),
        );
    }
    let mut region = decoded?;
    budget.spend(region.bytes.len());
    // A run whose decoding is not ASCII text (a hash, an image, base64 of
    // UTF-16 that a trigger will find, escaped Arabic in a date library's
    // locales) is left alone, and covers nothing: its triggers still decode as
    // their layers do. A window decoder's run covers nothing either: a
    // trigger's window reaches past the run.
    if !plain {
        return None;
    }
    let covers = run.is_none() || !dec.decodes_window();
    // A line window that reached its line's end covers every later candidate
    // before that end: their windows would be parts of it. Without this, each
    // candidate in a window's last `margin` bytes decoded a window of its own
    // (at a file's or a decoded region's end: `qrcp&` repeated). A UTF-16 or
    // UTF-32 window is not cut at lines: one that reached the data's end (but
    // for a part of a unit) covers the rest (base64 of UTF-16 decoded each of
    // the last 256 bytes' triggers again).
    let unit = match dec {
        layers::Decoder::Utf16 => Some(2),
        layers::Decoder::Utf32 => Some(4),
        _ => None,
    };
    let window_ended = match unit {
        Some(width) => data.len().saturating_sub(region.end) < width,
        None => dec.decodes_window() && matches!(data.get(region.end), None | Some(b'\n')),
    };
    let reach = region.end + if window_ended { margin } else { 0 };
    let k = match cover {
        _ if !covers => None,
        Some(k) => {
            covered[k].reach = covered[k].reach.max(reach);
            covered[k].add(region.run.clone());
            Some(k)
        }
        None => {
            covered.push(Cover::new(dec, reach, region.run.clone()));
            Some(covered.len() - 1)
        }
    };
    if let Some(k) = k {
        covered[k].echo.append(&mut region.echo);
    }
    // Nothing was decoded (an `&` that starts no reference, a `%` no escape):
    // the bytes are the ones the pass above has read.
    let from = region.phys(0);
    let more = (dec == layers::Decoder::Dump)
        .then(|| dump::resume(data, &region))
        .flatten();
    if data.get(from..region.end) == Some(&region.bytes[..]) {
        return more;
    }
    let inner = Within {
        reassembled: within.reassembled || dec.reassembles(),
        text: within.text && matches!(region.layer, Layer::Utf16 | Layer::Utf32),
        windows: within.windows + u8::from(dec.decodes_window()),
        literals: true,
        shaped: run.is_some(),
        script: false,
    };
    reveal(
        det,
        data,
        depth,
        inner,
        budget,
        &region,
        c,
        (hits, placeholders),
    );
    more
}

/// Reads the run at `c` (`run`: its end and shape) as ROT13 or backwards first,
/// where its own reading says so (`plain`: it decodes to text) or its
/// characters do ([`runs::views`]).
#[allow(clippy::too_many_arguments)]
fn views(
    det: &Detector,
    data: &[u8],
    depth: usize,
    within: Within,
    budget: &mut Budget,
    c: Candidate,
    (end, shape): (usize, runs::Shape),
    plain: bool,
    (hits, placeholders): (&mut Vec<DHit>, &mut Placeholders),
) {
    for view in runs::views(data, c.at, end, shape, plain) {
        budget.left = budget.left.saturating_sub(view.bytes.len());
        budget.work += view.bytes.len() as u64;
        let inner = Within {
            text: false,
            literals: true,
            shaped: true,
            ..within
        };
        reveal(
            det,
            data,
            depth,
            inner,
            budget,
            &view,
            c,
            (hits, placeholders),
        );
    }
}

/// Collects what the decoded `region` of `data` holds (its bytes read at
/// `depth + 1`, as `inner`) into `data`'s offsets.
#[allow(clippy::too_many_arguments)]
fn reveal(
    det: &Detector,
    data: &[u8],
    depth: usize,
    inner: Within,
    budget: &mut Budget,
    region: &Region,
    c: Candidate,
    (hits, placeholders): (&mut Vec<DHit>, &mut Placeholders),
) {
    let (inner, inner_ph) = collect(det, &region.bytes, depth + 1, inner, &[], budget);
    let mut revealed = false;
    for h in inner {
        let (ps, pe) = region.span(h.hit.start, h.hit.end);
        // Plain at this layer too: the pass above has it already.
        if h.layers.is_empty() && data.get(ps..pe) == Some(&h.secret[..]) {
            continue;
        }
        revealed |= region.phys(h.hit.start) == c.at;
        push_hit(hits, budget, || {
            let context = match (h.context, region.layer) {
                (None, Layer::Utf16 | Layer::Utf32) => {
                    Some(context_at(&region.bytes, h.hit.start, h.hit.end))
                }
                (ctx, _) => ctx,
            };
            let mut layers = vec![region.layer];
            layers.extend(h.layers);
            // Up to an escape's length before the end: the window may have
            // stopped inside the escape of the key's next character.
            let cut = h.cut || h.hit.end + CUT_SLACK >= region.bytes.len();
            DHit {
                cut,
                hit: Hit {
                    start: ps,
                    end: pe.max(ps + 1),
                    ..h.hit
                },
                secret: h.secret,
                layers,
                context,
            }
        });
    }
    for (s, e, plain) in inner_ph.list {
        let (ps, pe) = region.ends(s, e);
        if plain && data.get(ps..pe) == region.bytes.get(s..e) {
            continue;
        }
        placeholders.push(ps, pe, false);
    }
    // `"qrcp_live_Ab" + "…"`: the plain placeholder was the start of a key.
    if revealed && c.placeholder {
        placeholders.unplain(c.at);
    }
}

/// Placeholders in some layer's bytes: (start, keyword end, plain at that layer),
/// one per start once settled. The top level counts them by start in two bitmaps
/// once they are [`MANY`] (plain there, or decoded), so that a file of a million
/// placeholders neither keeps nor sorts a million entries (sorting them was a
/// fifth of the time on `qrcp_live_\` repeated).
#[derive(Default)]
struct Placeholders {
    list: Vec<(usize, usize, bool)>,
    /// The top level's length in bytes; `None` below it (a decoded region
    /// keeps its list: its offsets are mapped one by one).
    top: Option<usize>,
    /// The top level's starts past [`MANY`]: [plain, decoded], a bit per byte.
    bits: Option<[Vec<u64>; 2]>,
}

/// Placeholders the top level keeps in its list before it counts them in bits.
const MANY: usize = 4096;

impl Placeholders {
    /// The placeholders of the blob's own bytes, `len` long.
    fn top(len: usize) -> Placeholders {
        Placeholders {
            top: Some(len),
            ..Placeholders::default()
        }
    }

    /// A start counted in bits, the top level's many: told inline (a file of
    /// placeholders pushes one every few bytes); the rest in
    /// [`Placeholders::push_slow`].
    #[inline(always)]
    fn push(&mut self, s: usize, e: usize, plain: bool) {
        if let Some(bits) = &mut self.bits
            && let Some(w) = bits[usize::from(!plain)].get_mut(s / 64)
        {
            *w |= 1 << (s % 64);
            return;
        }
        self.push_slow(s, e, plain);
    }

    #[inline(never)]
    fn push_slow(&mut self, s: usize, e: usize, plain: bool) {
        if let Some(bits) = &mut self.bits {
            // Both as long, for `count` (a start is under the blob's length:
            // only a broken mapping would grow them).
            if bits[0].len() <= s / 64 {
                bits.iter_mut().for_each(|v| v.resize(s / 64 + 1, 0));
            }
            bits[usize::from(!plain)][s / 64] |= 1 << (s % 64);
            return;
        }
        self.list.push((s, e, plain));
        if let Some(len) = self.top.filter(|_| self.list.len() >= MANY) {
            self.bits = Some([vec![0; len / 64 + 1], vec![0; len / 64 + 1]]);
            for (s, e, plain) in std::mem::take(&mut self.list) {
                self.push(s, e, plain);
            }
        }
    }

    /// Takes back the plain placeholder at `at` (it started a key after all).
    fn unplain(&mut self, at: usize) {
        match &mut self.bits {
            Some([plain, _]) => {
                if let Some(w) = plain.get_mut(at / 64) {
                    *w &= !(1 << (at % 64));
                }
            }
            None => self.list.retain(|&(s, _, plain)| !(plain && s == at)),
        }
    }

    /// Takes back the placeholders (plain or decoded) that start in `span`.
    fn take_back(&mut self, span: std::ops::Range<usize>) {
        match &mut self.bits {
            Some(bits) => {
                for i in span {
                    for v in bits.iter_mut() {
                        if let Some(w) = v.get_mut(i / 64) {
                            *w &= !(1 << (i % 64));
                        }
                    }
                }
            }
            None => self.list.retain(|&(s, _, _)| !span.contains(&s)),
        }
    }

    /// Sorts the list and keeps one placeholder per start.
    fn settle_all(&mut self) {
        // Equal entries are identical: an unstable sort keeps the same ones.
        self.list.sort_unstable();
        self.list.dedup_by_key(|p| p.0);
    }

    /// Distinct starts (after [`Placeholders::settle_all`]).
    fn count(&self) -> u64 {
        match &self.bits {
            Some([plain, decoded]) => plain
                .iter()
                .zip(decoded)
                .map(|(a, b)| u64::from((a | b).count_ones()))
                .sum(),
            None => self.list.len() as u64,
        }
    }
}

/// Line and column (in UTF-16 code units, or characters for UTF-32) of the code
/// unit at `offset` in text of `width`-byte units.
fn wide_locate(data: &[u8], offset: usize, width: usize) -> (usize, usize) {
    let unit = |i: usize, be: bool| -> u32 {
        let b = &data[i..i + width];
        match (width, be) {
            (2, true) => u32::from(u16::from_be_bytes([b[0], b[1]])),
            (2, false) => u32::from(u16::from_le_bytes([b[0], b[1]])),
            (_, true) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            (_, false) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        }
    };
    // Big endian: the BOM says so, or the keyword's first byte is a NUL.
    let be = match data {
        [0, 0, 0xFE, 0xFF, ..] if width == 4 => true,
        [0xFF, 0xFE, ..] => false,
        [0xFE, 0xFF, ..] if width == 2 => true,
        _ => data.get(offset) == Some(&0),
    };
    let (mut line, mut col) = (1, 1);
    let mut i = 0;
    while i + width <= data.len() && i < offset {
        let u = unit(i, be);
        if u == u32::from(b'\n') {
            line += 1;
            col = 1;
        } else if !((width == 2 && (0xDC00..0xE000).contains(&u)) || (i == 0 && u == 0xFEFF)) {
            col += 1;
        }
        i += width;
    }
    (line, col)
}

#[cfg(test)]
mod tests;
