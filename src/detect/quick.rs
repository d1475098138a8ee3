//! A refusal before a rule's regex. A file of one key prefix repeated
//! (`qrcp_live_\` fifty megabytes long) puts a keyword every few bytes; most of
//! them are followed by nothing a key's body could be. A rule whose pattern is a
//! literal followed by a repeated class (`qrcp_live_[A-Za-z0-9]{20,}`, the shape
//! of nearly every key) cannot match at a keyword followed by fewer than that
//! many bytes of the class: counting them costs a table lookup per byte, where
//! the regex search around the keyword cost a search.
//!
//! A rule whose every match is one whole word (`\b(?:NEXT_PUBLIC|VITE|…)_[A-Z0-9_]*
//! (?:QRCODEPRO|QRCP)[A-Z0-9_]*\b`: word boundaries around word characters only)
//! is judged by the word around the keyword ([`Word`]): its bounds are found by
//! reading word characters out from the keyword, and the word matches whole or
//! not at all, where the regex searched a window around every keyword.

use regex::bytes::Regex;
use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// What a match starting at a keyword must hold: `literal`, then at least `min`
/// bytes of `class`.
#[derive(Debug, Clone)]
pub struct Body {
    pub literal: Vec<u8>,
    class: [bool; 256],
    min: usize,
    /// The literal's first bytes that the caller has found at `at` already
    /// (the keyword the search reported there): not compared again.
    known: usize,
    /// The class is ASCII letters and digits, exactly (the built-in rules'
    /// bodies): a refusal tells where the run of them stops
    /// ([`Body::may_start_run`]).
    alnum: bool,
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
        let alnum = (0..=255u8).all(|b| class[usize::from(b)] == b.is_ascii_alphanumeric());
        (!literal.is_empty() && min > 0).then_some(Body {
            literal,
            class,
            min,
            known: 0,
            alnum,
        })
    }

    /// The same shape, asked only where the search found `keyword` (the
    /// literal's start): the literal's bytes it holds are not compared again
    /// (a compare at each of a million keywords was a twentieth of a scan of
    /// them).
    pub fn at_keyword(self, keyword: &[u8]) -> Option<Body> {
        let known = keyword.len();
        self.literal
            .starts_with(keyword)
            .then_some(Body { known, ..self })
    }

    /// Whether a match may start at `at`: the literal is there and at least
    /// `min` bytes of the class follow it. Bytes of a multi-byte character
    /// each count, so a character class never refuses a match it holds.
    /// A body made [`at_keyword`](Body::at_keyword) is asked only where the
    /// keyword is.
    pub fn may_start(&self, data: &[u8], at: usize) -> bool {
        let Some(rest) = data.get(at..) else {
            return false;
        };
        let known = self.known.min(rest.len());
        if known < self.literal.len() && !rest[known..].starts_with(&self.literal[known..]) {
            return false;
        }
        rest[self.literal.len()..]
            .get(..self.min)
            .is_some_and(|body| body.iter().all(|&b| self.class[usize::from(b)]))
    }

    /// [`Body::may_start`] (`Ok` where it says yes) and, where it says no to a
    /// body of ASCII letters and digits whose literal the keyword at `at`
    /// holds whole, how many of them follow the keyword (fewer than `min`):
    /// the run a plain match stops at, which the caller need not read again.
    pub fn may_start_run(&self, data: &[u8], at: usize) -> Result<(), Option<usize>> {
        if !self.alnum || self.known < self.literal.len() {
            return match self.may_start(data, at) {
                true => Ok(()),
                false => Err(None),
            };
        }
        let Some(body) = data.get(at + self.literal.len()..) else {
            return Err(None);
        };
        let window = &body[..body.len().min(self.min)];
        match window.iter().position(|&b| !self.class[usize::from(b)]) {
            Some(k) => Err(Some(k)),
            None if window.len() == self.min => Ok(()),
            None => Err(Some(window.len())),
        }
    }
}

/// A pattern whose every match is one whole word of ASCII word characters: a
/// concatenation that starts and ends with a word boundary and holds, between
/// them, only literals and classes of `[0-9A-Za-z_]` (repeated, grouped or
/// alternated). A match cannot end or start inside a word (a boundary needs a
/// non-word byte on one side), so the match that holds a keyword is the word
/// around it, when that word matches the pattern whole.
#[derive(Debug)]
pub struct Word {
    /// The pattern anchored at both ends, for one word's bytes.
    whole: Regex,
}

/// What [`Word::at`] keeps between the keywords of one blob, for one rule.
#[derive(Debug, Default, Clone)]
pub struct WordMemo {
    /// The end of the last run of word characters found too long to judge: a
    /// keyword before it is left to the regex without reading the run again.
    long_to: usize,
    /// The last word judged and whether it matched: the same bytes again (a
    /// variable named on every line) are not matched again.
    last: Option<(usize, usize, bool)>,
    /// Whether `last`'s word holds one of its rule's `name_contains`, once
    /// asked ([`WordMemo::named`]).
    named: Option<bool>,
}

impl WordMemo {
    /// Whether the word `start..end` holds what `holds` asks, reused while the
    /// words judged are the same bytes (a file of `NEXT_PUBLIC_QRCP_KEY=`
    /// repeated asked it of each of its 2.5 million).
    pub fn named(&mut self, (start, end): (usize, usize), holds: impl FnOnce() -> bool) -> bool {
        match self.last {
            Some((s, e, _)) if (s, e) == (start, end) => *self.named.get_or_insert_with(holds),
            _ => holds(),
        }
    }
}

/// How many ASCII letters, digits and bytes of `also` `bytes` starts with:
/// 16 at a time with SSE2, which every x86-64 CPU has (a body too short to
/// match is followed to where it stops at every keyword, and the decoders'
/// refusals read a piece's word at every candidate: read through
/// `take_while`, a line of `"qrcp_live_"+` spent 17 instructions a byte of
/// each piece there).
pub fn ascii_run(bytes: &[u8], also: &[u8]) -> usize {
    let mut p = 0;
    #[cfg(target_arch = "x86_64")]
    while p + 16 <= bytes.len() {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of x86-64, and `p + 16 <= bytes.len()`.
        let inside = unsafe {
            let v = _mm_loadu_si128(bytes.as_ptr().add(p).cast());
            // Signed compares: bytes from 0x80 are below every bound.
            let within = |v, lo: u8, hi: u8| {
                _mm_and_si128(
                    _mm_cmpgt_epi8(v, _mm_set1_epi8((lo - 1) as i8)),
                    _mm_cmplt_epi8(v, _mm_set1_epi8((hi + 1) as i8)),
                )
            };
            let letter = within(_mm_or_si128(v, _mm_set1_epi8(0x20)), b'a', b'z');
            let mut inside = _mm_or_si128(within(v, b'0', b'9'), letter);
            for &b in also {
                inside = _mm_or_si128(inside, _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8)));
            }
            _mm_movemask_epi8(inside) as u32
        };
        if inside != 0xffff {
            return p + (!inside).trailing_zeros() as usize;
        }
        p += 16;
    }
    p + bytes[p..]
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || also.contains(b)))
        .unwrap_or(bytes.len() - p)
}

/// A word character of `\b` in ASCII (a table: the bounds of a word are read
/// byte by byte around every keyword).
fn is_word(b: u8) -> bool {
    static WORD: [bool; 256] = byte_table!(|b| b.is_ascii_alphanumeric() || b == b'_');
    WORD[usize::from(b)]
}

impl Word {
    /// The word shape of `pattern`, if it has one; `None` for any other pattern.
    pub fn of(pattern: &str) -> Option<Word> {
        let mut hir = regex_syntax::Parser::new().parse(pattern).ok()?;
        while let HirKind::Capture(c) = hir.kind() {
            hir = (*c.sub).clone();
        }
        let HirKind::Concat(parts) = hir.kind() else {
            return None;
        };
        let boundary =
            |h: &Hir| matches!(h.kind(), HirKind::Look(Look::WordUnicode | Look::WordAscii));
        let (first, rest) = parts.split_first()?;
        let (last, middle) = rest.split_last()?;
        if !boundary(first) || !boundary(last) || middle.is_empty() {
            return None;
        }
        // An explicit stack: a user's pattern nests as deep as it likes.
        let mut stack: Vec<&Hir> = middle.iter().collect();
        while let Some(h) = stack.pop() {
            match h.kind() {
                HirKind::Empty => {}
                HirKind::Literal(l) if l.0.iter().all(|&b| is_word(b)) => {}
                HirKind::Class(c) if word_class(c) => {}
                HirKind::Repetition(r) => stack.push(&r.sub),
                HirKind::Capture(c) => stack.push(&c.sub),
                HirKind::Concat(v) | HirKind::Alternation(v) => stack.extend(v.iter()),
                _ => return None,
            }
        }
        let whole = Regex::new(&format!(r"\A(?:{pattern})\z")).ok()?;
        Some(Word { whole })
    }

    /// The match holding the keyword at `kw`, judged by the word around it:
    /// `Some(Some(span))` where the word matches, `Some(None)` where no match
    /// holds the keyword, and `None` where the word does not end within `lo..hi`
    /// (the regex's window) or touches a non-ASCII byte (which `\b` may take
    /// for a word character): the regex judges those.
    pub fn at(
        &self,
        data: &[u8],
        kw: (usize, usize),
        (lo, hi): (usize, usize),
        memo: &mut WordMemo,
    ) -> Option<Option<(usize, usize)>> {
        let (kw_start, kw_end) = kw;
        if kw_start < memo.long_to {
            return None;
        }
        if !data[kw_start..kw_end].iter().all(|&b| is_word(b)) {
            return Some(None);
        }
        let mut s = kw_start;
        while s > lo && is_word(data[s - 1]) {
            s -= 1;
        }
        let mut e = kw_end;
        while e < hi && is_word(data[e]) {
            e += 1;
        }
        let before = s.checked_sub(1).map(|i| data[i]);
        let after = data.get(e).copied();
        if before.is_some_and(is_word) || after.is_some_and(is_word) {
            memo.long_to = e;
            return None;
        }
        if before.is_some_and(|b| !b.is_ascii()) || after.is_some_and(|b| !b.is_ascii()) {
            return None;
        }
        let matched = match memo.last {
            Some((ls, le, m)) if data[ls..le] == data[s..e] => m,
            _ => {
                memo.named = None;
                self.whole.is_match(&data[s..e])
            }
        };
        memo.last = Some((s, e, matched));
        Some(matched.then_some((s, e)))
    }
}

/// Whether every character of class `c` is an ASCII word character.
fn word_class(c: &Class) -> bool {
    match c {
        Class::Bytes(c) => c.iter().all(|r| (r.start()..=r.end()).all(is_word)),
        Class::Unicode(c) => c.iter().all(|r| {
            u8::try_from(u32::from(r.end())).is_ok_and(|end| (r.start() as u8..=end).all(is_word))
        }),
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
    use proptest::strategy::Strategy as _;

    /// Up to `len` bytes of `alphabet` with a run of `k` (up to `run` long)
    /// at the middle, and where it starts: runs longer than a block, which
    /// the alphabet alone rarely gives.
    fn with_run(
        alphabet: &[u8],
        len: usize,
        run: usize,
    ) -> impl proptest::strategy::Strategy<Value = (Vec<u8>, usize)> {
        let bytes = proptest::collection::vec(proptest::sample::select(alphabet.to_vec()), 0..len);
        (bytes, 0..run).prop_map(|(mut data, long)| {
            let mid = data.len() / 2;
            data.splice(mid..mid, std::iter::repeat_n(b'k', long));
            (data, mid)
        })
    }

    proptest::proptest! {
        /// The quick look's run tells what `may_start` does, and where a
        /// refused body's letters and digits stop as reading them again
        /// finds (within what a stop is read over), for a keyword whose
        /// body is letters and digits and for others.
        #[test]
        fn a_refusal_tells_the_run_a_reading_finds(
            (mut data, mid) in with_run(b"qrcp_livezZ09-\"%", 120, 30),
        ) {
            // The keyword before the run, at the start, and at the end.
            data.splice(mid..mid, b"qrcp_".iter().copied());
            data.splice(0..0, b"qrcp_".iter().copied());
            data.extend_from_slice(b"qrcp_");
            let mut refused = 0;
            for pattern in [r"qrcp_live_[A-Za-z0-9]{20,}", r"qrcp_[A-Za-z0-9]{4,}", r"qrcp_live_[A-Za-z0-9_]{8,}", r"qrcp_li[A-Za-z0-9]{3,}"] {
                let body = Body::of(pattern).unwrap().at_keyword(b"qrcp_").unwrap();
                for at in memchr::memmem::find_iter(&data, b"qrcp_") {
                    let run = body.may_start_run(&data, at);
                    proptest::prop_assert_eq!(run.is_ok(), body.may_start(&data, at), "{}", pattern);
                    if let Err(Some(k)) = run {
                        refused += 1;
                        let from = at + body.literal.len();
                        let stop = crate::detect::BODY_RUN;
                        let read = ascii_run(&data[from..data.len().min(from + stop)], &[]);
                        proptest::prop_assert_eq!(k.min(stop), read, "{} at {}", pattern, at);
                    }
                }
            }
            // The keyword at the end is refused with the run it has: none.
            proptest::prop_assert!(refused > 0);
        }

        /// The run at each start, 16 bytes at a time, is the one a byte by
        /// byte reading finds, with each set of bytes also counted.
        #[test]
        fn ascii_runs_match_a_byte_by_byte_reading(
            (data, _) in with_run(b"AZaz09Qq_-/:@[`{\"\x7f\x80\xc1\xff", 200, 40),
        ) {
            for also in [&b""[..], b"_", b"_-"] {
                for from in 0..=data.len() {
                    let naive = data[from..]
                        .iter()
                        .take_while(|b| b.is_ascii_alphanumeric() || also.contains(b))
                        .count();
                    proptest::prop_assert_eq!(ascii_run(&data[from..], also), naive);
                }
            }
        }
    }

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
        // Asked where a keyword was found: the literal's bytes past it are
        // still compared, the keyword's are not.
        assert!(b.clone().at_keyword(b"qrcp_test_").is_none());
        let k = b.clone().at_keyword(b"qrcp_").unwrap();
        assert!(k.may_start(key.as_bytes(), 0));
        let other = format!("qrcp_test_{}", "A1".repeat(10));
        assert!(!k.may_start(other.as_bytes(), 0));
        assert!(!k.may_start(b"qrcp_", 0));
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

    /// The patterns `Word` takes: word boundaries around word characters only.
    #[test]
    fn reads_a_whole_word_shape() {
        let env = r"\b(?:NEXT_PUBLIC|VITE)_[A-Z0-9_]*(?:QRCODEPRO|QRCP)[A-Z0-9_]*\b";
        for p in [
            env,
            r"\bQRCP_[A-Z]+\b",
            r"(\bab(?:c|d)*\b)",
            r"(?i)\bqrcp_x\b",
            r"(?-u:\b)K_[0-9]\b",
        ] {
            assert!(Word::of(p).is_some(), "{p}");
        }
        for p in [
            r"QRCP_[A-Z]+\b",
            r"\bQRCP_[A-Z]+",
            r"\bQRCP-[A-Z]+\b",
            r"\bQRCP_.+\b",
            r"\bQRCP_\w+\b",
            // `\w`, `\d` and a case-insensitive `k` or `s` take non-ASCII characters.
            r"(?i)\bqrcp\w?x\b",
            r"\bK_\d\b",
            r"(?i)\bqrcp_key\b",
            r"\bQRCP_[A-Z]+\b|x",
            r"\bQ\bR\b",
            r"\b\b",
            r"\bQRCP_[^ ]+\b",
            "(",
        ] {
            assert!(Word::of(p).is_none(), "{p}");
        }
        let w = Word::of(env).unwrap();
        let mut memo = WordMemo::default();
        let data = b"a NEXT_PUBLIC_QRCP_KEY=1; b = MY_QRCP_KEY; c = NEXT_PUBLIC_QRCP_KEY;";
        let all = (0, data.len());
        assert_eq!(w.at(data, (14, 18), all, &mut memo), Some(Some((2, 22))));
        assert_eq!(w.at(data, (33, 37), all, &mut memo), Some(None));
        // The same name again is judged by the last one's answer.
        assert_eq!(memo.last, Some((30, 41, false)));
        assert_eq!(w.at(data, (59, 63), all, &mut memo), Some(Some((47, 67))));
        // What the judge asks of a name is kept while the names are the same
        // bytes, and asked again of another.
        let data = b"VITE_QRCP_KEY=1 VITE_QRCP_KEY=2 VITE_QRCP_URL=3 VITE_QRCP_KEY=4";
        let mut memo = WordMemo::default();
        for (kw, key) in [(5, true), (21, true), (37, false), (53, true)] {
            let (s, e) = w
                .at(data, (kw, kw + 4), (0, data.len()), &mut memo)
                .unwrap()
                .unwrap();
            let named = memo.named((s, e), || data[s..e].ends_with(b"_KEY"));
            assert_eq!(named, key, "{kw}");
        }
        let data = b"a NEXT_PUBLIC_QRCP_KEY=1; b = MY_QRCP_KEY; c = NEXT_PUBLIC_QRCP_KEY;";
        // A name longer than the window, or next to a non-ASCII byte: the regex judges.
        assert_eq!(w.at(data, (14, 18), (10, data.len()), &mut memo), None);
        assert_eq!(w.at(data, (14, 18), (0, 20), &mut memo), None);
        let e = "x VITE_QRCP\u{e9} = 1".as_bytes();
        assert_eq!(
            w.at(e, (7, 11), (0, e.len()), &mut WordMemo::default()),
            None
        );
    }

    proptest::proptest! {
        /// Judged by the word around a keyword, a rule gets the answer its
        /// regex gives over all of the bytes: the match that holds the keyword,
        /// or none; or `Word::at` leaves it to the regex (a word longer than the
        /// window, a non-ASCII neighbour).
        #[test]
        fn the_word_around_a_keyword_is_the_regex_match(
            pieces in proptest::collection::vec(0usize..14, 0..40),
            lo_back in 0usize..40,
            hi_ahead in 0usize..40,
        ) {
            const PIECES: [&[u8]; 14] = [
                b"QRCP", b"VITE_", b"NEXT_PUBLIC_", b"_KEY", b"A", b"z", b"9", b"_",
                b" ", b"=", b"\n", "\u{e9}".as_bytes(), b"\xff", b"-",
            ];
            let pattern = r"\b(?:NEXT_PUBLIC|VITE)_[A-Z0-9_]*(?:QRCODEPRO|QRCP)[A-Z0-9_]*\b";
            let word = Word::of(pattern).unwrap();
            let re = Regex::new(pattern).unwrap();
            let data: Vec<u8> = pieces.iter().flat_map(|&i| PIECES[i].iter().copied()).collect();
            let matches: Vec<(usize, usize)> = re.find_iter(&data).map(|m| (m.start(), m.end())).collect();
            let mut memo = WordMemo::default();
            let mut from = 0;
            while let Some(i) = memchr::memmem::find(&data[from..], b"QRCP") {
                let kw = (from + i, from + i + 4);
                from = kw.1;
                let window = (kw.0.saturating_sub(lo_back), (kw.1 + hi_ahead).min(data.len()));
                let want = matches.iter().copied().find(|&(s, e)| s <= kw.0 && kw.1 <= e);
                if let Some(got) = word.at(&data, kw, window, &mut memo) {
                    proptest::prop_assert_eq!(got, want, "{:?} at {:?}", String::from_utf8_lossy(&data), kw);
                    // What the judge asks of the name, kept while names repeat,
                    // is what the name it asks of holds.
                    if let Some((s, e)) = got {
                        let holds = super::super::keywords::holds(&data[s..e], b"_KEY");
                        let named = memo.named((s, e), || holds);
                        proptest::prop_assert_eq!(named, holds, "{:?} at {:?}", String::from_utf8_lossy(&data), kw);
                    }
                }
            }
        }
    }
}
