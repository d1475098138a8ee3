//! The keyword pass: one multi-literal search for the rules' keywords and the
//! decoders' trigger literals. aho-corasick's automaton picks a `memchr2`
//! pre-filter on the keywords' first bytes (`q`, `Q`), which is slow on source
//! code full of `q`s; its packed (Teddy, SIMD) searcher runs at memory speed but
//! takes at most 64 literals. The triggers are more than that, and most share
//! their first bytes with a keyword (`qrcp_"`, `qrcp%5F`, `qrcp_li\n`), so such a
//! family is searched as its shared head and told apart, at each hit, by an
//! anchored automaton: the same matches as one leftmost-first search over every
//! literal, at Teddy's speed. The plain automaton remains the fallback where
//! Teddy is unavailable (no SIMD, too many distinct heads).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use aho_corasick::{
    AhoCorasick, Anchored, Input, MatchKind, Span, StartKind,
    automaton::{Automaton, StateID},
    dfa, packed,
};

use super::buckets::Weights;

/// Bytes of the head a family of literals shares.
pub const HEAD: usize = 4;

#[derive(Clone)]
pub enum Keywords {
    Packed(packed::Searcher),
    /// Teddy over the literals with each family replaced by its head; `slots`
    /// says, per Teddy pattern, which literal it is or which family it stands for.
    Grouped {
        searcher: packed::Searcher,
        slots: Vec<Slot>,
        dense: Arc<Dense>,
    },
    Automaton(AhoCorasick),
}

/// Matches this close (bytes from the end of one to the start of the next) are
/// dense; [`DENSE_RUN`] dense matches in a row switch the search to [`Dense`].
/// A Teddy restart cost about 800 instructions (callgrind), the DFA a few a
/// byte: at 16, `NEXT_PUBLIC_QRCP_KEY=` repeated (17 bytes between keywords)
/// restarted Teddy at every one.
const DENSE_GAP: usize = 64;
const DENSE_RUN: u8 = 8;
/// Dense matches a search has had (over every pass, counted as each ends)
/// before it builds the DFA, unless built:
/// building it costs 16 to 23 million instructions (5 ms), what Teddy's
/// restarts (about 800 instructions each) cost over 25,000 dense matches, so a
/// file of dense matches pays at most about twice what it would have had the
/// DFA been there from the start (100,000 paid up to five times, 80 million
/// instructions of restarts first). A file with a few runs of `\u00…` escapes
/// never pays it.
const DENSE_BUILD: u32 = 25_000;
/// Bytes one dense search may start a match in: past them without a match it
/// hands back to Teddy, so a dense stretch followed by plain text costs at most
/// this many bytes at the automaton's speed.
const DENSE_WINDOW: usize = 512;

/// The same literals searched by one leftmost-first DFA, without a prefilter,
/// for dense stretches. Teddy reads plain text at gigabytes a second, but each
/// match costs it a new start (a block's setup and the bucket checks): a file of
/// one trigger repeated is a match every few bytes, and there Teddy's restarts
/// were half the scan. The DFA steps every byte at the same cost, matches or
/// not. Built when a blob first has a dense stretch.
pub struct Dense {
    words: Vec<Vec<u8>>,
    longest: usize,
    dfa: OnceLock<Option<dfa::DFA>>,
    /// Dense matches of the passes that have ended: a pass that hands a
    /// stretch of dense triggers over to another search (a quiet stretch,
    /// [`super::Detector::pass_each_quiet`]), or a decoded region's short
    /// pass, meets few of them itself.
    seen: AtomicU32,
}

impl Dense {
    fn new(words: &[&[u8]]) -> Dense {
        Dense {
            words: words.iter().map(|w| w.to_vec()).collect(),
            longest: words.iter().map(|w| w.len()).max().unwrap_or(0),
            dfa: OnceLock::new(),
            seen: AtomicU32::new(0),
        }
    }

    /// Whether `more` dense matches with those of the passes before call for
    /// the DFA.
    fn wanted(&self, more: u32) -> bool {
        more.saturating_add(self.seen.load(Ordering::Relaxed)) >= DENSE_BUILD || self.built()
    }

    fn built(&self) -> bool {
        self.dfa.get().is_some()
    }

    fn dfa(&self) -> Option<&dfa::DFA> {
        self.dfa
            .get_or_init(|| {
                dfa::DFA::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .start_kind(StartKind::Unanchored)
                    .prefilter(false)
                    .build(&self.words)
                    .ok()
            })
            .as_ref()
    }

    /// The first match starting in `data[pos..=pos + DENSE_WINDOW]`, and where
    /// the search goes on; `None` if the DFA could not be built.
    fn find(&self, data: &[u8], pos: usize) -> Option<(Option<aho_corasick::Match>, usize)> {
        let dfa = self.dfa()?;
        let last = pos + DENSE_WINDOW;
        // Every match starting at or before `last` ends within the span, so
        // leftmost-first among them is leftmost-first in all of `data`.
        let end = last.saturating_add(self.longest).min(data.len());
        let input = aho_corasick::Input::new(data).span(pos..end);
        Some(match dfa.try_find(&input).ok().flatten() {
            Some(m) if m.start() <= last || end == data.len() => (Some(m), m.end()),
            _ if end == data.len() => (None, end),
            _ => (None, last + 1),
        })
    }
}

/// Dense matches that repeat: where the bytes from an earlier dense search's
/// start are those from this one's, shifted by a period, the search from here
/// finds what that one found, a period on. A file of one trigger repeated is a
/// dense match every few bytes, and stepping the DFA over every byte was a
/// third of its scan; comparing the bytes (memcmp, a block at a time) costs a
/// fraction of that. A period may hold several matches (base64 of a keyword
/// repeated: three forms in turn). Exact: a dense search from `from` reads no
/// byte before `from` and none past its match's start plus the longest
/// literal.
#[derive(Default, Clone, Copy)]
pub struct Cycle {
    /// The last dense searches' starts and matches (literal, start, end), a
    /// ring; `kept` of them are real.
    last: [(usize, (usize, usize, usize)); CYCLE_SEARCHES],
    kept: usize,
    next: usize,
    /// `data[x] == data[x - step]` for every `x` in `from + step .. until`
    /// (`step` 0: nothing known).
    from: usize,
    step: usize,
    until: usize,
    /// When a new period is looked for: dense matches that do not repeat
    /// pay for a few comparisons now and then, not for every kept search
    /// each time.
    looks: Backoff,
    /// How many searches back the one a period back was.
    lag: usize,
    /// When a window without a match is looked at for a period.
    empty_looks: Backoff,
}

/// Looks that wait after each miss, twice as long as after the last one (up
/// to [`CYCLE_WAIT`]), and not after a find.
#[derive(Default, Clone, Copy)]
struct Backoff {
    /// Looks to let pass before the next.
    wait: u16,
    /// The wait the next miss sets.
    next: u16,
}

impl Backoff {
    /// Whether to look now (else one of the looks to wait is let pass).
    fn ready(&mut self) -> bool {
        match self.wait {
            0 => true,
            _ => {
                self.wait -= 1;
                false
            }
        }
    }

    /// The look found what it looked for (`true`) or not.
    fn looked(&mut self, found: bool) {
        match found {
            true => self.next = 0,
            false => {
                self.next = (self.next * 2).clamp(1, CYCLE_WAIT);
                self.wait = self.next;
            }
        }
    }
}

/// The longest period [`Cycle::empty`] looks for, and the bytes it compares
/// for each.
const EMPTY_PERIOD: usize = 64;
const EMPTY_PROBE: usize = 128;

/// Dense searches a [`Cycle`] keeps: a period of as many matches is found.
const CYCLE_SEARCHES: usize = 8;
/// Bytes a [`Cycle`] compares at a time, past what the next match needs.
const CYCLE_BLOCK: usize = 4096;
/// The longest wait between looks for a new period, in dense searches.
const CYCLE_WAIT: u16 = 256;

impl Cycle {
    /// Keeps a dense search's start and match.
    #[inline(always)]
    fn record(&mut self, from: usize, m: (usize, usize, usize)) {
        self.last[self.next] = (from, m);
        self.next = (self.next + 1) % CYCLE_SEARCHES;
        self.kept = (self.kept + 1).min(CYCLE_SEARCHES);
    }

    /// Forgets the searches kept (the dense run ended).
    fn clear(&mut self) {
        self.kept = 0;
    }

    /// The dense search's match from `at`, when an earlier search repeats
    /// there: the one a known period back, or else (now and then) any kept
    /// one whose match is found again as far on.
    fn next(&mut self, data: &[u8], at: usize, longest: usize) -> Option<(usize, usize, usize)> {
        if let Some(m) = self.known(data, at, longest) {
            return Some(m);
        }
        if !self.looks.ready() {
            return None;
        }
        for lag in 1..=self.kept {
            let h = self.back(lag);
            let (from, (_, start, end)) = h;
            let Some(step) = at.checked_sub(from).filter(|&s| s > 0) else {
                continue;
            };
            if data.get(start + step..end + step) != Some(&data[start..end]) {
                continue;
            }
            if let Some(m) = self.repeat(data, h, at, longest) {
                self.lag = lag;
                self.looks.looked(true);
                return Some(m);
            }
        }
        self.looks.looked(false);
        None
    }

    /// The match a known period on from the search it repeats: the search a
    /// period back is as many searches back as last time. (The step of a
    /// stretch of one unit repeated: [`Matches::next`] asks it first, before
    /// anything else.)
    #[inline(always)]
    fn known(&mut self, data: &[u8], at: usize, longest: usize) -> Option<(usize, usize, usize)> {
        if self.step > 0 && self.lag <= self.kept {
            let h = self.back(self.lag);
            if h.0 + self.step == at {
                return self.repeat(data, h, at, longest);
            }
        }
        None
    }

    /// Where a dense search that found no match starting in `from..next`
    /// may go on: where the bytes from `from` stop repeating with a short
    /// period, less the longest literal. A match starting before that would
    /// have one starting a few periods back, in the window. Heads that start
    /// no literal (`qrcp_` repeated, a decoded `qrcp%5F`) made Teddy restart
    /// at every one and the DFA step every byte between.
    fn empty(&mut self, data: &[u8], from: usize, next: usize, longest: usize) -> Option<usize> {
        if !self.empty_looks.ready() {
            return None;
        }
        let probe = EMPTY_PROBE.min((next - from) / 2);
        let period = (1..=EMPTY_PERIOD.min(next - from - probe))
            .find(|&p| data[from + p..from + p + probe] == data[from..from + probe]);
        let resume = period.and_then(|p| {
            let until = from + p + repeats(&data[from..data.len() - p], &data[from + p..]);
            until.checked_sub(longest + 1).filter(|&r| r > next)
        });
        self.empty_looks.looked(resume.is_some());
        resume
    }

    /// The search kept `lag` searches back (1: the last).
    #[inline(always)]
    fn back(&self, lag: usize) -> (usize, (usize, usize, usize)) {
        self.last[(self.next + CYCLE_SEARCHES - lag) % CYCLE_SEARCHES]
    }

    /// Search `h`'s match a period on, where the bytes from `h`'s start
    /// repeat from `at` as far as that search read.
    #[inline(always)]
    fn repeat(
        &mut self,
        data: &[u8],
        (from, (id, start, end)): (usize, (usize, usize, usize)),
        at: usize,
        longest: usize,
    ) -> Option<(usize, usize, usize)> {
        let step = at - from;
        // The search from `from` read up to its match's start plus the
        // longest literal (and the byte after, to know the match had ended).
        let need = start + step + longest + 1;
        if need > data.len() {
            return None;
        }
        if self.step != step || self.from > from || self.until < from + step {
            self.from = from;
            self.step = step;
            self.until = from + step;
        }
        if self.until < need {
            let to = need.max(self.until + CYCLE_BLOCK).min(data.len());
            self.until += repeats(&data[self.until - step..to - step], &data[self.until..to]);
        }
        if self.until < need {
            return None;
        }
        let m = (id, start + step, end + step);
        self.record(at, m);
        Some(m)
    }
}

/// How many bytes `a` and `b` (equally long) agree on from their start: a
/// block compared at a time (memcmp), then bytes in the block that differs.
fn repeats(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let mut n = 0;
    while n + BLOCK <= a.len() && a[n..n + BLOCK] == b[n..n + BLOCK] {
        n += BLOCK;
    }
    n + a[n..]
        .iter()
        .zip(&b[n..])
        .take_while(|(x, y)| x == y)
        .count()
}

#[derive(Clone)]
pub enum Slot {
    One(usize),
    Family(Arc<Family>),
}

/// Literals sharing a head, told apart where the head is found.
pub struct Family {
    /// The members, in priority order, and each one's index among all literals.
    members: Vec<Vec<u8>>,
    ids: Vec<usize>,
    /// An anchored leftmost-first DFA over the members and its state after the
    /// shared head, built when the head is first found (a hook's clean files
    /// never pay for it); `None` if it could not be built, and the members are
    /// then tried in order.
    automaton: OnceLock<Option<(dfa::DFA, StateID)>>,
}

impl Family {
    fn new(members: Vec<Vec<u8>>, ids: Vec<usize>) -> Family {
        Family {
            members,
            ids,
            automaton: OnceLock::new(),
        }
    }

    /// The member at `at` (leftmost-first: the first listed that starts there),
    /// as (literal index, end).
    fn at(&self, data: &[u8], at: usize) -> Option<(usize, usize)> {
        // Run at every head hit, which a file of one prefix repeated makes
        // millions of times: the DFA is stepped by hand from its state after
        // the head (a `find` call's set-up cost as much as the walk).
        let built = self.automaton.get_or_init(|| {
            let dfa = dfa::DFA::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .start_kind(StartKind::Anchored)
                .build(&self.members)
                .ok()?;
            let mut sid = dfa.start_state(Anchored::Yes).ok()?;
            for &b in self.members.first()?.get(..HEAD)? {
                sid = dfa.next_state(Anchored::Yes, sid, b);
            }
            Some((dfa, sid))
        });
        let Some((dfa, head)) = built else {
            return self
                .members
                .iter()
                .position(|m| data[at..].starts_with(m))
                .map(|k| (self.ids[k], at + self.members[k].len()));
        };
        let mut sid = *head;
        let mut found = None;
        let mut i = at + HEAD;
        loop {
            if dfa.is_special(sid) {
                if dfa.is_dead(sid) {
                    break;
                }
                // An anchored walk's match states also carry the members that
                // start later (copied along failure links): only one starting
                // at `at` is this search's.
                if dfa.is_match(sid) {
                    let pid = dfa.match_pattern(sid, 0);
                    if i - dfa.pattern_len(pid) == at {
                        found = Some((self.ids[pid.as_usize()], i));
                    }
                }
            }
            let Some(&b) = data.get(i) else { break };
            sid = dfa.next_state(Anchored::Yes, sid, b);
            i += 1;
        }
        found
    }
}

/// Literals one Teddy search takes. aho-corasick refuses past 64 by its own
/// heuristic; its 16-bucket form takes more, each bucket holding a sixteenth
/// of them (seven, eight) rather than four, and with the prefilter's heads placed by
/// [`super::buckets::packed_order`] 74 heads searched code faster than 62 in
/// their rule order had. 120 (from 114) takes the six heads of base64 cut
/// inside a keyword's first group, at 0.7% more instructions on a tree of code.
pub const MAX_TEDDY: usize = 120;

/// The patterns the detector's grouped search gives Teddy for `words`: one a
/// family of literals sharing their first [`HEAD`] bytes, one each other
/// literal. Past [`MAX_TEDDY`] the search falls back to the automaton.
pub fn grouped_patterns(words: &[&[u8]]) -> usize {
    Keywords::families(words).0.len()
}

/// A Teddy searcher for `words`, `None` where Teddy is unavailable or the words
/// more than [`MAX_TEDDY`].
pub fn teddy(words: &[impl AsRef<[u8]>]) -> Option<packed::Searcher> {
    if words.len() > MAX_TEDDY {
        return None;
    }
    packed::Config::new()
        .match_kind(packed::MatchKind::LeftmostFirst)
        .heuristic_pattern_limits(false)
        .builder()
        .extend(words)
        .build()
}

/// Whether `literal` holds `part`: a plain loop that compares only where the
/// first byte matches. The start-up checks run it on every pair of short
/// literals, and a memmem searcher per pair, a memchr call per candidate or a
/// comparison of every window each cost more than the rest of the start-up.
pub fn holds(literal: &[u8], part: &[u8]) -> bool {
    let Some(&first) = part.first() else {
        return true;
    };
    (0..(literal.len() + 1).saturating_sub(part.len()))
        .any(|i| literal[i] == first && literal[i..].starts_with(part))
}

/// Heads to search in one Teddy search ([`teddy`]) for whether a blob may hold one
/// of `words` (where it finds one, the prefilter compares the literals that hold
/// it, `BlobScanner::whole_at`): each literal's first
/// [`HEAD`] bytes, except that a literal holding a head already chosen needs none
/// of its own (UTF-16 BE's `\0q\0r\0c…` holds LE's `q\0r\0`; shorter literals
/// choose first). The heads keep the literals' order (Teddy fills its buckets
/// in that order); the prefilter, which only asks whether a blob holds one,
/// reorders them for fewer false alarms ([`super::buckets::packed_order`]), as
/// the detector's search does where no pattern starts another ([`placed`]).
/// Past 32 heads Teddy takes its 16-bucket form, slower.
pub fn head_set<'a>(words: impl IntoIterator<Item = &'a [u8]>) -> Vec<&'a [u8]> {
    let words: Vec<&[u8]> = words.into_iter().filter(|w| !w.is_empty()).collect();
    let mut order: Vec<usize> = (0..words.len()).collect();
    order.sort_unstable_by_key(|&i| (words[i].len(), i));
    let mut chosen: Vec<(usize, &[u8])> = Vec::new();
    // Whether a word holds a chosen head is asked of every byte pair of every
    // word: a bit per pair that starts a head (and per byte that is a head)
    // leaves the heads themselves to compare only where one may start. Comparing
    // every pair was 120,000 of the 1.8 million instructions of `dir` on one
    // small file (callgrind).
    let mut pairs = vec![0u64; 1 << 10];
    let mut bytes = [false; 256];
    let pair = |a: u8, b: u8| usize::from(a) << 8 | usize::from(b);
    for i in order {
        let w = words[i];
        let held = (0..w.len()).any(|j| {
            bytes[usize::from(w[j])]
                || w.get(j + 1).is_some_and(|&b| {
                    let k = pair(w[j], b);
                    pairs[k >> 6] >> (k & 63) & 1 == 1
                        && chosen
                            .iter()
                            .any(|(_, h)| h.get(..2) == Some(&w[j..j + 2]) && w[j..].starts_with(h))
                })
        });
        if !held {
            let h = &w[..w.len().min(HEAD)];
            match *h {
                [b] => bytes[usize::from(b)] = true,
                [a, b, ..] => pairs[pair(a, b) >> 6] |= 1 << (pair(a, b) & 63),
                [] => {}
            }
            chosen.push((i, h));
        }
    }
    chosen.sort_unstable_by_key(|&(i, _)| i);
    chosen.into_iter().map(|(_, h)| h).collect()
}

impl Keywords {
    pub fn new(words: &[&[u8]]) -> anyhow::Result<Keywords> {
        if let Some(s) = teddy(words) {
            return Ok(Keywords::Packed(s));
        }
        if let Some(k) = Keywords::grouped(words)? {
            return Ok(k);
        }
        Ok(Keywords::Automaton(
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(words)?,
        ))
    }

    /// Families of literals sharing their first [`HEAD`] bytes, searched by head.
    /// A head that a shorter literal starts is not grouped (the shorter one could
    /// win at the same place), so the matches stay those of one search.
    fn grouped(words: &[&[u8]]) -> anyhow::Result<Option<Keywords>> {
        let (pats, slots) = Keywords::families(words);
        let (pats, slots) = placed(pats, slots);
        Ok(teddy(&pats).map(|searcher| Keywords::Grouped {
            searcher,
            slots,
            dense: Arc::new(Dense::new(words)),
        }))
    }

    /// The patterns of [`Keywords::grouped`]'s search (family heads and lone
    /// literals), each with its slot, in the literals' order.
    fn families<'w>(words: &[&'w [u8]]) -> (Vec<&'w [u8]>, Vec<Slot>) {
        let head = |w: &[u8]| (w.len() >= HEAD).then(|| w[..HEAD].to_vec());
        let mut heads: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
        for (i, w) in words.iter().enumerate() {
            if let Some(h) = head(w) {
                match heads.iter_mut().find(|(x, _)| *x == h) {
                    Some((_, ids)) => ids.push(i),
                    None => heads.push((h, vec![i])),
                }
            }
        }
        heads.retain(|(h, ids)| {
            ids.len() > 1 && !words.iter().any(|w| w.len() < HEAD && h.starts_with(w))
        });
        let mut pats: Vec<&[u8]> = Vec::new();
        let mut slots = Vec::new();
        let mut done = vec![false; heads.len()];
        for (i, w) in words.iter().enumerate() {
            let family = head(w).and_then(|h| heads.iter().position(|(x, _)| *x == h));
            match family {
                Some(f) if done[f] => {}
                Some(f) => {
                    done[f] = true;
                    let ids = heads[f].1.clone();
                    // A family's head is the start of its first member.
                    pats.push(&words[ids[0]][..HEAD]);
                    slots.push(Slot::Family(Arc::new(Family::new(
                        ids.iter().map(|&k| words[k].to_vec()).collect(),
                        ids,
                    ))));
                }
                None => {
                    pats.push(w);
                    slots.push(Slot::One(i));
                }
            }
        }
        (pats, slots)
    }

    pub fn is_match(&self, data: &[u8]) -> bool {
        match self {
            Keywords::Packed(s) => s.find(data).is_some(),
            Keywords::Grouped { .. } => self.find_iter(data).next().is_some(),
            Keywords::Automaton(ac) => ac.is_match(data),
        }
    }

    /// (keyword index, start, end) of each keyword, left to right.
    pub fn find_iter<'a>(&'a self, data: &'a [u8]) -> Matches<'a> {
        self.find_iter_from(data, 0)
    }

    /// [`find_iter`](Keywords::find_iter)'s matches from offset `from` on
    /// (offsets in `data`).
    pub fn find_iter_from<'a>(&'a self, data: &'a [u8], from: usize) -> Matches<'a> {
        let from = from.min(data.len());
        match self {
            Keywords::Packed(searcher) => Matches::Packed {
                searcher,
                data,
                pos: from,
            },
            Keywords::Grouped {
                searcher,
                slots,
                dense,
            } => Matches::Grouped {
                searcher,
                slots,
                dense,
                data,
                pos: from,
                run: 0,
                seen: 0,
                cycle: Cycle::default(),
            },
            Keywords::Automaton(ac) => Matches::Automaton {
                ac,
                data,
                it: ac.find_iter(Input::new(data).span(from..data.len())),
            },
        }
    }

    /// Whether the search runs on Teddy (directly or by families).
    #[cfg(test)]
    pub fn packed(&self) -> bool {
        !matches!(self, Keywords::Automaton(_))
    }
}

/// `pats` and their slots in the order that keeps Teddy's buckets quiet on
/// ordinary text ([`super::buckets::packed_order`]), where no pattern starts
/// another: at most one then matches at a position, and their order cannot
/// change the matches. The built-in rules' order is read from data
/// (`builtin_order.rs`: computing it took 4.4 million instructions, a scan of
/// one small file 6.7 million); other rules' is computed.
fn placed(pats: Vec<&[u8]>, slots: Vec<Slot>) -> (Vec<&[u8]>, Vec<Slot>) {
    if let Some(ranks) = builtin_ranks(&pats) {
        let mut pairs: Vec<(usize, &[u8], Slot)> = ranks
            .into_iter()
            .zip(pats)
            .zip(slots)
            .map(|((r, p), s)| (r, p, s))
            .collect();
        pairs.sort_unstable_by_key(|&(r, _, _)| r);
        return pairs.into_iter().map(|(_, p, s)| (p, s)).unzip();
    }
    computed_placement(pats, slots, Weights::Bytes)
}

/// [`placed`]'s order computed, by `weights`.
fn computed_placement(
    pats: Vec<&[u8]>,
    slots: Vec<Slot>,
    weights: Weights,
) -> (Vec<&[u8]>, Vec<Slot>) {
    let prefix_free = pats.iter().enumerate().all(|(i, p)| {
        pats.iter()
            .enumerate()
            .all(|(j, q)| i == j || !q.starts_with(p))
    });
    if !prefix_free {
        return (pats, slots);
    }
    let pairs = super::buckets::packed_order(
        pats.into_iter()
            .zip(slots)
            .map(|(p, s)| Pair(p, s))
            .collect(),
        weights,
    );
    pairs.into_iter().map(|Pair(p, s)| (p, s)).unzip()
}

/// Where each of `pats` stands in the built-in order, when they are exactly
/// the built-in rules' patterns.
fn builtin_ranks(pats: &[&[u8]]) -> Option<Vec<usize>> {
    use super::builtin_order::{BYTES, PATTERNS};
    static RANKS: OnceLock<std::collections::HashMap<&'static [u8], usize>> = OnceLock::new();
    if pats.len() != PATTERNS.len() {
        return None;
    }
    let ranks = RANKS.get_or_init(|| {
        PATTERNS
            .iter()
            .enumerate()
            .map(|(k, &(start, len))| (&BYTES[usize::from(start)..][..usize::from(len)], k))
            .collect()
    });
    let mut seen = vec![false; pats.len()];
    pats.iter()
        .map(|p| {
            let &r = ranks.get(p)?;
            (!std::mem::replace(&mut seen[r], true)).then_some(r)
        })
        .collect()
}

/// The built-in rules' patterns in [`placed`]'s order, as
/// `builtin_order.rs` holds them (a test writes that file from this).
#[cfg(test)]
pub fn placed_patterns(words: &[&[u8]]) -> Vec<Vec<u8>> {
    let (pats, slots) = Keywords::families(words);
    let (pats, _) = computed_placement(pats, slots, Weights::Common);
    pats.into_iter().map(<[u8]>::to_vec).collect()
}

/// Whether a search of `words` reads its order from `builtin_order.rs`.
#[cfg(test)]
pub fn reads_builtin_order(words: &[&[u8]]) -> bool {
    builtin_ranks(&Keywords::families(words).0).is_some()
}

/// A pattern and its slot, placed by the pattern's bytes.
struct Pair<'w>(&'w [u8], Slot);

impl AsRef<[u8]> for Pair<'_> {
    fn as_ref(&self) -> &[u8] {
        self.0
    }
}

/// [`Keywords::find_iter`]'s matches: a value, not a boxed iterator (a file of
/// short decoded regions starts a pass for each). The grouped search's
/// [`Cycle`] makes it a few hundred bytes on the stack; boxing it would cost
/// each of those passes an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Matches<'a> {
    Packed {
        searcher: &'a packed::Searcher,
        data: &'a [u8],
        pos: usize,
    },
    Grouped {
        searcher: &'a packed::Searcher,
        slots: &'a [Slot],
        dense: &'a Dense,
        data: &'a [u8],
        pos: usize,
        /// Dense matches in a row (see [`DENSE_RUN`]).
        run: u8,
        /// Matches found in a dense run so far (see [`DENSE_BUILD`]).
        seen: u32,
        /// The dense search's last match, and where the bytes repeat.
        cycle: Cycle,
    },
    Automaton {
        ac: &'a AhoCorasick,
        data: &'a [u8],
        it: aho_corasick::FindIter<'a, 'a>,
    },
}

impl Drop for Matches<'_> {
    fn drop(&mut self) {
        if let Matches::Grouped { dense, seen, .. } = self
            && *seen > 0
        {
            dense.seen.fetch_add(*seen, Ordering::Relaxed);
        }
    }
}

impl Matches<'_> {
    /// Goes on from offset `to` (when it is ahead): the matches that start
    /// before it are not wanted.
    pub fn skip_to(&mut self, to: usize) {
        match self {
            Matches::Packed { data, pos, .. } => *pos = (*pos).max(to).min(data.len()),
            Matches::Grouped {
                data,
                pos,
                run,
                cycle,
                ..
            } => {
                if to > *pos {
                    *pos = to.min(data.len());
                    *run = 0;
                    cycle.clear();
                }
            }
            Matches::Automaton { ac, data, it } => {
                let to = to.min(data.len());
                *it = ac.find_iter(Input::new(*data).span(to..data.len()));
            }
        }
    }
}

impl Iterator for Matches<'_> {
    type Item = (usize, usize, usize);

    /// A dense stretch's next match a known period on is told here, inlined
    /// where the pass asks (a file of one trigger repeated asks for every
    /// few bytes, and the whole search's call, its frame and its registers
    /// were most of each match); everything else in [`Matches::next_slow`].
    /// The same answer as there: a period is known only once the dense
    /// search was wanted, which it then stays (its counts only grow), and a
    /// skip or a sparse match forgets it.
    #[inline(always)]
    fn next(&mut self) -> Option<(usize, usize, usize)> {
        if let Matches::Grouped {
            data,
            pos,
            run,
            cycle,
            dense,
            ..
        } = self
            && *run >= DENSE_RUN
            && *pos < data.len()
            && let Some(m) = cycle.known(data, *pos, dense.longest)
        {
            *pos = m.2;
            return Some(m);
        }
        self.next_slow()
    }
}

impl Matches<'_> {
    #[inline(never)]
    fn next_slow(&mut self) -> Option<(usize, usize, usize)> {
        match self {
            Matches::Packed {
                searcher,
                data,
                pos,
            } => {
                let data: &[u8] = data;
                let m = searcher.find_in(data, Span::from(*pos..data.len()))?;
                *pos = m.end().max(*pos + 1);
                Some((m.pattern().as_usize(), m.start(), m.end()))
            }
            Matches::Grouped {
                searcher,
                slots,
                dense,
                data,
                pos,
                run,
                seen,
                cycle,
            } => {
                let data: &[u8] = data;
                while *pos < data.len() {
                    let from = *pos;
                    if *run >= DENSE_RUN && dense.wanted(*seen) {
                        if let Some(m) = cycle.next(data, from, dense.longest) {
                            *pos = m.2;
                            return Some(m);
                        }
                        if let Some((m, next)) = dense.find(data, from) {
                            *pos = next;
                            let Some(m) = m else {
                                match cycle.empty(data, from, next, dense.longest) {
                                    Some(resume) => *pos = resume,
                                    None => *run = 0,
                                }
                                cycle.clear();
                                continue;
                            };
                            let m = (m.pattern().as_usize(), m.start(), m.end());
                            match m.1 - from < DENSE_GAP {
                                true => cycle.record(from, m),
                                false => {
                                    *run = 0;
                                    cycle.clear();
                                }
                            }
                            return Some(m);
                        }
                    }
                    let m = searcher.find_in(data, Span::from(from..data.len()))?;
                    *run = match m.start() - from < DENSE_GAP {
                        true => run.saturating_add(1),
                        false => 0,
                    };
                    if *run >= DENSE_RUN {
                        *seen = seen.saturating_add(1);
                    }
                    match &slots[m.pattern().as_usize()] {
                        Slot::One(i) => {
                            *pos = m.end();
                            return Some((*i, m.start(), m.end()));
                        }
                        Slot::Family(family) => match family.at(data, m.start()) {
                            Some((id, end)) => {
                                *pos = end;
                                return Some((id, m.start(), end));
                            }
                            // Not a member here: look again one byte on.
                            None => *pos = m.start() + 1,
                        },
                    }
                }
                None
            }
            Matches::Automaton { it, .. } => it
                .next()
                .map(|m| (m.pattern().as_usize(), m.start(), m.end())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Many literals with shared heads: the grouped search finds exactly what
    /// one leftmost-first automaton finds.
    #[test]
    fn families_match_like_one_search() {
        let mut words: Vec<Vec<u8>> = Vec::new();
        for i in 0..MAX_TEDDY as u8 + 10 {
            let mut w = b"qrcp".to_vec();
            w.push(b'a' + i % 26);
            w.push(b'0' + i / 26);
            words.push(w);
        }
        for w in ["qrcp_live_", "qrcp", "QRCP", "xyz", "cXJjcF9", "q\0r\0c\0"] {
            words.push(w.as_bytes().to_vec());
        }
        let refs: Vec<&[u8]> = words.iter().map(|w| w.as_slice()).collect();
        let k = Keywords::new(&refs).unwrap();
        assert!(matches!(k, Keywords::Grouped { .. }));
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&refs)
            .unwrap();
        let hay = b"..qrcpa0 qrcpz3qrcp_live_qrcpQRCPxyzqrcqrcpb1 cXJjcF9 q\0r\0c\0qrcpqrcp_";
        let want: Vec<_> = ac
            .find_iter(&hay[..])
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect();
        let got: Vec<_> = k.find_iter(hay).collect();
        assert_eq!(got, want);
        assert!(k.is_match(b"zzqrcpb1"));
        assert!(!k.is_match(b"zzqrc"));
    }

    /// Dense stretches are searched by the DFA ([`Dense`]): the same matches
    /// as one leftmost-first automaton, across the DFA's window edges (a long
    /// literal that starts just before one and ends past it, a lower-priority
    /// short one inside it), and back on Teddy after plain text.
    #[test]
    fn dense_stretches_match_like_one_search() {
        let mut words: Vec<Vec<u8>> = (0..MAX_TEDDY as u8 - 10)
            .map(|i| vec![b'z', b'a' + i % 26, i])
            .collect();
        words.extend((0..10u8).map(|i| vec![b'q', b'r', b'c', b'p', b'0' + i]));
        let long = b"qrcp_live_with_a_long_tail_".to_vec();
        words.push(long.clone());
        words.push(b"qrcp_".to_vec());
        words.push(b"_tail".to_vec());
        let refs: Vec<&[u8]> = words.iter().map(|w| w.as_slice()).collect();
        let k = Keywords::new(&refs).unwrap();
        let Keywords::Grouped { dense, .. } = &k else {
            panic!("a grouped search");
        };
        // Built: dense runs use it at once, not after DENSE_BUILD matches.
        assert!(dense.dfa().is_some());
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&refs)
            .unwrap();
        let mut rng = 7u64;
        let mut hay = Vec::new();
        for round in 0..400 {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pick = (rng >> 33) as usize;
            match pick % 7 {
                0 => hay.extend_from_slice(&long),
                1 => hay.extend_from_slice(b"qrcp_"),
                2 => hay.extend_from_slice(b"qrcp3"),
                3 => hay.extend_from_slice(b"qrc"),
                4 => hay.extend_from_slice(&long[..pick % long.len()]),
                // Plain text, now and then long enough to leave dense mode.
                5 => hay.extend(std::iter::repeat_n(
                    b'.',
                    pick % if round % 9 == 0 { 2000 } else { 30 },
                )),
                _ => hay.extend_from_slice(b"zb\x01"),
            }
        }
        // Every offset of the long literal against a window's end.
        for shift in 0..2 * long.len() {
            let mut h = b"qrcp0".repeat(60);
            h.extend(std::iter::repeat_n(b'.', DENSE_WINDOW - long.len() + shift));
            h.extend_from_slice(&long);
            h.extend_from_slice(b"qrcp1");
            hay.extend_from_slice(&h);
        }
        for start in [0, 1, 5, 300] {
            let hay = &hay[start..];
            let want: Vec<_> = ac
                .find_iter(hay)
                .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
                .collect();
            let got: Vec<_> = k.find_iter(hay).collect();
            assert_eq!(got, want);
        }
    }

    /// `extra` after more single literals than Teddy takes beside them, so
    /// that they are searched by families: the grouped search, its dense DFA
    /// built (dense runs use it at once), and one leftmost-first automaton
    /// over the same literals.
    fn grouped_and_one(extra: &[&str]) -> (Keywords, AhoCorasick) {
        let mut words: Vec<Vec<u8>> = (0..MAX_TEDDY as u8 - 4)
            .map(|i| vec![b'z', b'a' + i % 26, i])
            .collect();
        words.extend(extra.iter().map(|w| w.as_bytes().to_vec()));
        let refs: Vec<&[u8]> = words.iter().map(|w| w.as_slice()).collect();
        let k = Keywords::new(&refs).unwrap();
        let Keywords::Grouped { dense, .. } = &k else {
            panic!("a grouped search");
        };
        dense.dfa();
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&refs)
            .unwrap();
        (k, ac)
    }

    /// A long stretch of a head that starts no literal, broken by a byte
    /// that makes one (or the start of a long literal) at every offset and
    /// distance: the dense search's windows without a match are skipped where
    /// the bytes repeat, and not past a match where they stop repeating.
    #[test]
    fn heads_without_a_match_are_skipped_up_to_where_they_stop_repeating() {
        let (k, ac) = grouped_and_one(&[
            "qrcp_live_with_a_long_tail_",
            "qrcp_",
            "qrcp%5F",
            "qrcp0",
            "qrcp1",
            "qrcp2",
        ]);
        for len in [600, 1100, 1500, 3000] {
            for at in (len - 40..len).chain([len / 3]) {
                for (unit, put) in [
                    (&b"qrcpz"[..], &b"_"[..]),
                    (b"qrcpz", b"_live_with_a_long_tail_"),
                    (b"qrcp%4F", b"5"),
                ] {
                    let mut hay = unit.repeat(len / unit.len());
                    let at = at.min(hay.len() - 1);
                    hay.splice(at..at + 1, put.iter().copied());
                    hay.extend_from_slice(b"qrcp");
                    let want: Vec<_> = ac
                        .find_iter(&hay[..])
                        .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
                        .collect();
                    assert_eq!(k.find_iter(&hay).collect::<Vec<_>>(), want, "{len} {at}");
                }
            }
        }
    }

    /// A member ending inside another's path (`qrcpb` in `qrcpaqrcpbz`) is no
    /// match of a walk that started at the other's start.
    #[test]
    fn a_family_member_starts_where_the_head_was_found() {
        // More literals than Teddy takes, fewer once the family is one head.
        let singles = MAX_TEDDY as u8 - 4;
        let mut words: Vec<Vec<u8>> = (0..singles).map(|i| vec![b'z', b'a' + i % 26, i]).collect();
        words.extend((0..10u8).map(|i| vec![b'q', b'r', b'c', b'p', b'0' + i]));
        words.push(b"qrcpaqrcpbz".to_vec());
        words.push(b"qrcpb".to_vec());
        let refs: Vec<&[u8]> = words.iter().map(|w| w.as_slice()).collect();
        let k = Keywords::new(&refs).unwrap();
        assert!(matches!(k, Keywords::Grouped { .. }));
        let got: Vec<_> = k.find_iter(b"..qrcpaqrcpb.").collect();
        assert_eq!(got, vec![(usize::from(singles) + 11, 7, 12)]);
    }

    proptest::proptest! {
        /// Hits packed close together and far apart, heads
        /// that are no member, members inside members: the same matches as one
        /// leftmost-first automaton.
        #[test]
        fn dense_and_sparse_hits_match_like_one_search(
            picks in proptest::collection::vec(0usize..14, 0..400),
        ) {
            let words: Vec<Vec<u8>> = (0..90u8)
                .map(|i| vec![b'q', b'r', b'c', b'p', b'a' + i % 26, b'0' + i / 26])
                .chain(["qrcp_live_", "qrcp_", "QRCP", ".env", "cXJjcF9", "%71%72", "qrcpaqrcpbz", "qrcpb"]
                    .iter().map(|w| w.as_bytes().to_vec()))
                .collect();
            let refs: Vec<&[u8]> = words.iter().map(|w| w.as_slice()).collect();
            let k = Keywords::new(&refs).unwrap();
            // Half the cases with the dense runs' DFA built (used at once).
            if let Keywords::Grouped { dense, .. } = &k && picks.len() % 2 == 0 {
                dense.dfa();
            }
            let ac = AhoCorasick::builder().match_kind(MatchKind::LeftmostFirst).build(&refs).unwrap();
            let pieces: [&[u8]; 14] = [b"qrcp_live_", b"qrcp", b"qrc", b"q", b"qrcpa0", b"qrcpz3",
                b".env", b"QRCP", b"cXJjcF9", b"%71%72", b"qrcpaqrcpb", b"x", b"          ", b"qrcp_"];
            let hay: Vec<u8> = picks.iter().flat_map(|&i| pieces[i].iter().copied()).collect();
            let want: Vec<_> = ac.find_iter(&hay[..]).map(|m| (m.pattern().as_usize(), m.start(), m.end())).collect();
            proptest::prop_assert_eq!(k.find_iter(&hay).collect::<Vec<_>>(), want);
        }

        /// A unit repeated (the dense search's [`Cycle`]), with bytes changed
        /// here and there, a long literal whose tail the changes may break,
        /// heads that start no literal, and the data's end anywhere in a unit:
        /// the same matches as one automaton.
        #[test]
        fn repeated_units_match_like_one_search(
            unit in proptest::collection::vec(0usize..9, 1..4),
            times in 20usize..1200,
            edits in proptest::collection::vec((0usize..10_000, 0usize..4), 0..6),
            cut in 0usize..40,
        ) {
            let (k, ac) = grouped_and_one(
                &["qrcp_live_\\tail_of_forty_bytes_or_so_here", "qrcp_live_", "qrcp_", "\\q", "rcp_", "qrcp%5F"],
            );
            // `qrcpz`: a head that starts no literal (windows without a match).
            let pieces: [&[u8]; 9] = [b"qrcp_live_\\", b"qrcp_", b"tail_of_forty_bytes_or_so_here", b"x",
                b"qrcp%5F", b"rcp_", b"zb\x01", b"  ", b"qrcpz"];
            let one: Vec<u8> = unit.iter().flat_map(|&i| pieces[i].iter().copied()).collect();
            let mut hay = one.repeat(times);
            for (at, b) in edits {
                let at = at % hay.len();
                hay[at] = [b'.', b'q', b'\\', b'_'][b];
            }
            hay.truncate(hay.len() - cut.min(hay.len()));
            let want: Vec<_> = ac.find_iter(&hay[..]).map(|m| (m.pattern().as_usize(), m.start(), m.end())).collect();
            proptest::prop_assert_eq!(k.find_iter(&hay).collect::<Vec<_>>(), want);
        }
    }
}
