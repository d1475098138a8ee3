//! Decoding layers: what hides a key from a plain match in client-side bundles
//! (base64, percent-encoding, JS/JSON escapes, concatenated string literals,
//! UTF-16 text).
//!
//! This module owns the trigger literals and the bounded decoding around them. The
//! detector's one Aho-Corasick pass reports candidates (a trigger literal known in
//! advance, or a keyword whose body is cut by a quote, `\` or `%`); only around
//! those is a region decoded (at most a few KiB, to a fixed depth), the detector run
//! on the decoded bytes, and what it finds mapped back to the physical bytes. A blob
//! with no candidate costs nothing here, and a 100 MB base64 file costs a few KiB
//! of memory per candidate.

mod idents;
mod layers;

use base64::Engine as _;

use crate::detect::location::{Locator, char_count};
use crate::detect::{Detector, Hit, context_at, line_allows};
pub use crate::detect::{Layer, Trigger};
use crate::finding::{Context, Finding, Provenance};
use crate::rules::{RuleKind, RuleSet};

/// How many layers deep decoding goes (base64 of percent-encoded text is two).
pub const MAX_DEPTH: usize = 3;
/// Decoded bytes one blob may cost in all; past it, candidates are not decoded.
const MAX_DECODED: usize = 64 << 20;
/// A candidate this far before the end of a region of its layer is covered by it.
const COVER_MARGIN: usize = 256;

/// A detector over `rules` whose one pass also reports this module's trigger
/// literals: how every scan builds its detector.
pub fn detector(rules: std::sync::Arc<RuleSet>) -> anyhow::Result<Detector> {
    let triggers = triggers(&rules);
    Detector::new(rules, triggers)
}

/// The trigger literals of every content rule's keywords: the base64 forms of each
/// secret keyword at the three byte alignments, its percent-encoded and escaped
/// forms (`qrcp%5F`, `qrcp\u005f`, `qrcp\x5f`), and the UTF-16 LE/BE bytes of
/// every keyword. Concatenation needs none: it starts at a keyword.
pub fn triggers(rules: &RuleSet) -> Vec<Trigger> {
    let mut out: Vec<Trigger> = Vec::new();
    let mut add = |pattern: Vec<u8>, layer: Layer, lead: usize| {
        if !out.iter().any(|t| t.pattern == pattern) {
            out.push(Trigger {
                pattern,
                layer,
                lead,
            });
        }
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
            let utf16 = |be: bool| -> Vec<u8> {
                kw.iter()
                    .flat_map(|&b| if be { [0, b] } else { [b, 0] })
                    .collect()
            };
            add(utf16(false), Layer::Utf16, 0);
            add(utf16(true), Layer::Utf16, 1);
            if rule.spec.kind != RuleKind::Secret {
                continue;
            }
            for (pattern, lead) in base64_forms(kw) {
                if pattern.iter().any(|&b| b == b'+' || b == b'/') {
                    let url: Vec<u8> = pattern
                        .iter()
                        .map(|&b| match b {
                            b'+' => b'-',
                            b'/' => b'_',
                            b => b,
                        })
                        .collect();
                    add(url, Layer::Base64, lead);
                }
                add(pattern, Layer::Base64, lead);
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
            }
            // Up to the first character that needs encoding, then that character.
            if let Some(j) = kw.iter().position(|b| !b.is_ascii_alphanumeric())
                && j > 0
            {
                let (head, c) = (&kw[..j], kw[j]);
                for form in [
                    format!("%{c:02X}"),
                    format!("%{c:02x}"),
                    format!("\\u{:04X}", c),
                    format!("\\u{:04x}", c),
                    format!("\\x{c:02X}"),
                    format!("\\x{c:02x}"),
                    format!("\\{c:03o}"),
                    format!("%25{c:02X}"),
                    format!("%25{c:02x}"),
                    format!("&#{c};"),
                    format!("&#x{c:02x};"),
                    format!("&#x{c:02X};"),
                    format!("&#X{c:02X};"),
                ]
                .into_iter()
                .chain(html_name(c).map(|n| format!("&{n};")))
                {
                    let layer = if form.starts_with('%') {
                        Layer::Percent
                    } else {
                        Layer::Escape
                    };
                    let mut p = head.to_vec();
                    p.extend_from_slice(form.as_bytes());
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
            let each = |f: &dyn Fn(u8) -> String| -> Vec<u8> {
                head.iter().flat_map(|&c| f(c).into_bytes()).collect()
            };
            out_push(&mut out, each(&|c| format!("\\x{c:02x}")), Layer::Escape);
            out_push(&mut out, each(&|c| format!("\\u{c:04x}")), Layer::Escape);
            out_push(&mut out, each(&|c| format!("\\{c:03o}")), Layer::Escape);
            out_push(&mut out, each(&|c| format!("&#{c};")), Layer::Escape);
            out_push(&mut out, each(&|c| format!("&#x{c:x};")), Layer::Escape);
            out_push(&mut out, each(&|c| format!("%{c:02x}")), Layer::Percent);
            out_push(&mut out, each(&|c| format!("%{c:02X}")), Layer::Percent);
        }
    }
    out
}

fn out_push(out: &mut Vec<Trigger>, pattern: Vec<u8>, layer: Layer) {
    if !out.iter().any(|t| t.pattern == pattern) {
        out.push(Trigger {
            pattern,
            layer,
            lead: 0,
        });
    }
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
}

/// Placeholders in some layer's bytes: (start, keyword end, plain at that layer).
type Placeholders = Vec<(usize, usize, bool)>;

/// Content rules over `data`, through every decoding layer. Findings carry the
/// physical location, the decoding in `encoding`, and are in offset order.
pub fn detect(det: &Detector, data: &[u8], prov: &Provenance, out: &mut Vec<Located>) -> u64 {
    let mut budget = MAX_DECODED;
    let (mut hits, placeholders) = collect(det, data, 0, &mut budget);
    hits.sort_by_key(|h| (h.hit.start, h.hit.rule, h.layers.len()));
    hits.dedup_by_key(|h| (h.hit.start, h.hit.rule));
    let mut locator = Locator::new(data);
    for h in hits {
        let (start, end) = (h.hit.start, h.hit.end.max(h.hit.start));
        let at = if h.layers.first() == Some(&Layer::Utf16) {
            let (line, col) = utf16_locate(data, start);
            let width = char_count(&h.secret);
            [line, col, line, col + width]
        } else {
            let (line, col) = locator.locate(start);
            let (end_line, end_col) = locator.locate(end);
            [line, col, end_line, end_col]
        };
        let context = h.context.unwrap_or_else(|| context_at(data, start, end));
        let allowed =
            line_allows(data, start) || context.text.contains(crate::finding::INLINE_ALLOW);
        let mut finding = det.make_finding(&h.hit, &h.secret, prov, at, context, allowed);
        finding.decoding = h.layers.iter().map(|l| l.encoding()).collect();
        out.push(Located { start, finding });
    }
    placeholders.len() as u64
}

/// The matches and placeholders in `data` and in every region decoded from it,
/// in `data`'s offsets.
fn collect(
    det: &Detector,
    data: &[u8],
    depth: usize,
    budget: &mut usize,
) -> (Vec<DHit>, Placeholders) {
    let pass = det.pass(data, depth < MAX_DEPTH);
    let mut hits: Vec<DHit> = pass
        .hits
        .into_iter()
        .map(|h| DHit {
            secret: data[h.start..h.end].to_vec(),
            hit: h,
            layers: Vec::new(),
            context: None,
        })
        .collect();
    let mut placeholders: Placeholders = pass
        .placeholders
        .iter()
        .map(|&(s, e)| (s, e, true))
        .collect();
    // Per layer, the furthest end of a region decoded so far. Candidates come in
    // offset order and a region starts at or before its candidate, so the furthest
    // end alone tells whether a candidate is covered: O(1) per candidate, not a
    // scan of every region so far (which made a file of triggers quadratic).
    let mut covered: Vec<(Layer, usize)> = Vec::new();
    let mut idents = idents::Idents::default();
    for c in pass.candidates {
        if *budget == 0 {
            break;
        }
        if covered
            .iter()
            .any(|&(l, e)| l == c.layer && c.at + COVER_MARGIN <= e)
        {
            continue;
        }
        let Some(region) = layers::decode(data, &c, &mut idents) else {
            continue;
        };
        *budget = budget.saturating_sub(region.bytes.len());
        match covered.iter_mut().find(|(l, _)| *l == c.layer) {
            Some((_, e)) => *e = (*e).max(region.end),
            None => covered.push((c.layer, region.end)),
        }
        let (inner, inner_ph) = collect(det, &region.bytes, depth + 1, budget);
        let mut revealed = false;
        for h in inner {
            let (ps, pe) = region.span(h.hit.start, h.hit.end);
            // Plain at this layer too: the pass above has it already.
            if h.layers.is_empty() && data.get(ps..pe) == Some(&h.secret[..]) {
                continue;
            }
            revealed |= region.phys(h.hit.start) == c.at;
            let context = match (h.context, region.layer) {
                (None, Layer::Utf16) => Some(context_at(&region.bytes, h.hit.start, h.hit.end)),
                (ctx, _) => ctx,
            };
            let mut layers = vec![region.layer];
            layers.extend(h.layers);
            hits.push(DHit {
                hit: Hit {
                    start: ps,
                    end: pe.max(ps + 1),
                    ..h.hit
                },
                secret: h.secret,
                layers,
                context,
            });
        }
        for (s, e, plain) in inner_ph {
            let (ps, pe) = (region.phys(s), region.phys(e));
            if plain && data.get(ps..pe) == region.bytes.get(s..e) {
                continue;
            }
            placeholders.push((ps, pe, false));
        }
        // `"qrcp_live_Ab" + "…"`: the plain placeholder was the start of a key.
        if revealed && c.placeholder {
            placeholders.retain(|&(s, _, plain)| !(plain && s == c.at));
        }
    }
    placeholders.sort_unstable();
    placeholders.dedup_by_key(|p| p.0);
    (hits, placeholders)
}

/// Line and column (in UTF-16 code units) of the code unit at `offset`.
fn utf16_locate(data: &[u8], offset: usize) -> (usize, usize) {
    let be = match data {
        [0xFE, 0xFF, ..] => true,
        [0xFF, 0xFE, ..] => false,
        _ => data.get(offset) == Some(&0),
    };
    let (mut line, mut col) = (1, 1);
    let mut i = 0;
    while i + 1 < data.len() && i < offset {
        let unit = if be {
            u16::from_be_bytes([data[i], data[i + 1]])
        } else {
            u16::from_le_bytes([data[i], data[i + 1]])
        };
        if unit == u16::from(b'\n') {
            line += 1;
            col = 1;
        } else if !((0xDC00..0xE000).contains(&unit) || (i == 0 && unit == 0xFEFF)) {
            col += 1;
        }
        i += 2;
    }
    (line, col)
}

#[cfg(test)]
mod tests;
