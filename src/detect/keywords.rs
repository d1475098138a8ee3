//! The keyword pass's searcher: every rule keyword and decoding trigger found in
//! one left-to-right pass, whichever aho-corasick searcher fits the literals and
//! the amount of data.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind, packed};

/// Bytes searched with the NFA before the DFA is built: where what the NFA loses
/// (about 14 instructions a byte more, callgrind) reaches the DFA's build (about
/// 3.5 M instructions for the built-in rules' literals). A hook run's few
/// kilobytes never pay for the DFA; a folder or a history pays for it once, early
/// (ski rental).
const DFA_AFTER: u64 = 256 << 10;

/// aho-corasick's automaton picks a `memchr2` pre-filter on the keywords' first
/// bytes (`q`, `Q`), which is slow on source code full of `q`s; its packed (Teddy,
/// SIMD) searcher runs at memory speed. The automaton remains the fallback where
/// Teddy is unavailable (no SIMD, too many literals).
#[derive(Clone)]
pub(super) enum Keywords {
    Packed(packed::Searcher),
    /// A contiguous NFA, cheap to build, until [`DFA_AFTER`] bytes have been
    /// searched; then the DFA (the same matches, faster), shared by every clone.
    Automaton {
        nfa: AhoCorasick,
        dfa: Arc<Lazy>,
    },
}

/// The DFA, built on demand from the literals.
pub(super) struct Lazy {
    words: Vec<Vec<u8>>,
    searched: AtomicU64,
    dfa: OnceLock<Option<AhoCorasick>>,
}

fn automaton(
    words: &[Vec<u8>],
    kind: AhoCorasickKind,
) -> Result<AhoCorasick, aho_corasick::BuildError> {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .kind(Some(kind))
        .build(words)
}

impl Keywords {
    pub(super) fn new(words: &[&[u8]]) -> anyhow::Result<Keywords> {
        let teddy = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(words)
            .build();
        if let Some(s) = teddy {
            return Ok(Keywords::Packed(s));
        }
        let words: Vec<Vec<u8>> = words.iter().map(|w| w.to_vec()).collect();
        Ok(Keywords::Automaton {
            nfa: automaton(&words, AhoCorasickKind::ContiguousNFA)?,
            dfa: Arc::new(Lazy {
                words,
                searched: AtomicU64::new(0),
                dfa: OnceLock::new(),
            }),
        })
    }

    /// The automaton to search `len` bytes with.
    fn automaton<'a>(nfa: &'a AhoCorasick, lazy: &'a Lazy, len: usize) -> &'a AhoCorasick {
        if let Some(Some(dfa)) = lazy.dfa.get() {
            return dfa;
        }
        let before = lazy.searched.fetch_add(len as u64, Ordering::Relaxed);
        if before + len as u64 >= DFA_AFTER {
            // A DFA that cannot be built (too large) leaves the NFA in use.
            let dfa = lazy
                .dfa
                .get_or_init(|| automaton(&lazy.words, AhoCorasickKind::DFA).ok());
            if let Some(dfa) = dfa {
                return dfa;
            }
        }
        nfa
    }

    pub(super) fn is_match(&self, data: &[u8]) -> bool {
        match self {
            Keywords::Packed(s) => s.find(data).is_some(),
            Keywords::Automaton { nfa, dfa } => {
                Self::automaton(nfa, dfa, data.len()).is_match(data)
            }
        }
    }

    /// (keyword index, start, end) of each keyword, left to right.
    pub(super) fn find_iter<'a>(
        &'a self,
        data: &'a [u8],
    ) -> Box<dyn Iterator<Item = (usize, usize, usize)> + 'a> {
        match self {
            Keywords::Packed(s) => Box::new(
                s.find_iter(data)
                    .map(|m| (m.pattern().as_usize(), m.start(), m.end())),
            ),
            Keywords::Automaton { nfa, dfa } => Box::new(
                Self::automaton(nfa, dfa, data.len())
                    .find_iter(data)
                    .map(|m| (m.pattern().as_usize(), m.start(), m.end())),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The NFA and the DFA it hands over to find the same keywords.
    #[test]
    fn nfa_and_dfa_find_the_same() {
        let words: Vec<&[u8]> = (0..100u32)
            .map(|i| format!("kw{i}_").into_bytes().leak() as &[u8])
            .chain([b"kw1" as &[u8], b"qrcp_live_", b"qrcp_"])
            .collect();
        let k = Keywords::new(&words).unwrap();
        let Keywords::Automaton { nfa, dfa } = &k else {
            panic!("100 literals are too many for Teddy");
        };
        let text: Vec<u8> =
            b"x kw1_ kw12_ kw1 qrcp_live_A qrcp_ kw99_ kw100_ ".repeat((DFA_AFTER as usize) / 40);
        let small = &text[..200];
        let by_nfa = |data: &[u8]| -> Vec<_> {
            nfa.find_iter(data)
                .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
                .collect()
        };
        let before: Vec<_> = k.find_iter(small).collect();
        assert!(dfa.dfa.get().is_none(), "the DFA waits");
        assert_eq!(before, by_nfa(small));
        assert!(before.contains(&(1, 2, 6)), "{before:?}");
        let all: Vec<_> = k.find_iter(&text).collect();
        assert!(
            matches!(dfa.dfa.get(), Some(Some(_))),
            "built once enough was searched"
        );
        assert_eq!(all, by_nfa(&text));
        assert_eq!(k.find_iter(small).collect::<Vec<_>>(), before);
        assert!(k.is_match(small) && !k.is_match(b"nothing here"));
    }
}
