//! A refusal before a rule's regex. A file of one key prefix repeated
//! (`qrcp_live_\` fifty megabytes long) puts a keyword every few bytes; most of
//! them are followed by nothing a key's body could be. A rule whose pattern is a
//! literal followed by a repeated class (`qrcp_live_[A-Za-z0-9]{20,}`, the shape
//! of nearly every key) cannot match at a keyword followed by fewer than that
//! many bytes of the class: counting them costs a table lookup per byte, where
//! the regex search around the keyword cost a search.

use regex_syntax::hir::{Class, Hir, HirKind};

/// What a match starting at a keyword must hold: `literal`, then at least `min`
/// bytes of `class`.
#[derive(Debug, Clone)]
pub struct Body {
    pub literal: Vec<u8>,
    class: [bool; 256],
    min: usize,
}

impl Body {
    /// The shape of `pattern`, if it starts with a literal (after zero-width
    /// assertions) followed by a class repeated at least once: what every match
    /// must start with. `None` for any other pattern (the regex judges alone).
    pub fn of(pattern: &str) -> Option<Body> {
        let hir = regex_syntax::ParserBuilder::new()
            .utf8(false)
            .build()
            .parse(pattern)
            .ok()?;
        let HirKind::Concat(parts) = hir.kind() else {
            return None;
        };
        let mut parts = parts
            .iter()
            .skip_while(|h| matches!(h.kind(), HirKind::Look(_)));
        let mut literal = Vec::new();
        let mut next = parts.next()?;
        while let HirKind::Literal(l) = next.kind() {
            literal.extend_from_slice(&l.0);
            next = parts.next()?;
        }
        let HirKind::Repetition(rep) = next.kind() else {
            return None;
        };
        let class = byte_set(&rep.sub)?;
        let min = usize::try_from(rep.min).ok()?;
        (!literal.is_empty() && min > 0).then_some(Body {
            literal,
            class,
            min,
        })
    }

    /// Whether a match may start at `at`: the literal is there and at least
    /// `min` bytes of the class follow it. Bytes of a multi-byte character
    /// each count, so a character class never refuses a match it holds.
    pub fn may_start(&self, data: &[u8], at: usize) -> bool {
        let Some(rest) = data.get(at..) else {
            return false;
        };
        if !rest.starts_with(&self.literal) {
            return false;
        }
        rest[self.literal.len()..]
            .iter()
            .take(self.min)
            .take_while(|&&b| self.class[usize::from(b)])
            .count()
            == self.min
    }
}

/// The bytes that may start a character of `hir`, a class; `None` for anything
/// else.
fn byte_set(hir: &Hir) -> Option<[bool; 256]> {
    let mut set = [false; 256];
    match hir.kind() {
        HirKind::Class(Class::Bytes(c)) => {
            for r in c.iter() {
                (r.start()..=r.end()).for_each(|b| set[usize::from(b)] = true);
            }
        }
        HirKind::Class(Class::Unicode(c)) => {
            for r in c.iter() {
                let (s, e) = (u32::from(r.start()), u32::from(r.end()));
                (s.min(0x80)..e.min(0x7F) + 1).for_each(|b| set[b as usize] = true);
                if e >= 0x80 {
                    // Any byte of a longer UTF-8 sequence.
                    (0x80..256).for_each(|b| set[b] = true);
                }
            }
        }
        _ => return None,
    }
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_literal_and_a_repeated_class() {
        let b = Body::of("qrcp_live_[A-Za-z0-9]{20,}").unwrap();
        assert_eq!(b.literal, b"qrcp_live_");
        let key = format!("qrcp_live_{}", "A1".repeat(10));
        assert!(b.may_start(key.as_bytes(), 0));
        assert!(b.may_start(format!("x{key}").as_bytes(), 1));
        assert!(!b.may_start(&key.as_bytes()[..29], 0));
        assert!(!b.may_start(b"qrcp_live_\\qrcp_live_", 0));
        assert!(!b.may_start(b"qrcp_live_qrcp_live_qrcp_live_", 0));
        assert!(!b.may_start(key.as_bytes(), 1));
        // Zero-width assertions first, and a class of any character.
        let b = Body::of(r"\bab[^\s]{3}").unwrap();
        assert_eq!(b.literal, b"ab");
        assert!(b.may_start("abé!".as_bytes(), 0));
        assert!(!b.may_start(b"ab x", 0));
    }

    #[test]
    fn other_shapes_are_left_to_the_regex() {
        for p in [
            "(?i)qrcp_live_[a-z]{20}",
            "qrcp_live_",
            "[A-Z]{3}qrcp",
            "qrcp_(?:live|test)_[A-Za-z0-9]{20}",
            "qrcp_live_[A-Za-z0-9]*",
            "(qrcp_live_[A-Z]{20})",
            "a|b",
            "(",
        ] {
            assert!(Body::of(p).is_none(), "{p}");
        }
    }
}
