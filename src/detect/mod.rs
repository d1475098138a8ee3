//! The detector: bytes in, findings out. It never reads files and never prints.
//!
//! One multi-literal pass (Aho-Corasick over every rule's `keywords`) finds the
//! candidates; rule regexes, placeholder judgement and line/column arithmetic run
//! only around them, so bytes with nothing to find cost what they cost ripgrep.

pub mod buckets;
// The rules' fingerprint is written for the reader; the patterns themselves
// are what `keywords` checks.
#[allow(dead_code)]
#[rustfmt::skip]
mod builtin_order;
pub mod ends;
pub mod keywords;
pub mod location;
pub mod placeholder;
mod quads;
mod quick;
mod trigger;

pub use quick::ascii_run;

use std::cell::Cell;
use std::sync::{Arc, OnceLock};

use crate::finding::{Context, Finding, Provenance, fingerprint};
use crate::rules::{Rule, RuleKind, RuleSet};
use keywords::Keywords;
use location::{Locator, line_bounds_within, line_window};
pub use trigger::{Layer, Trigger};

/// How far before a keyword a match may start, and after it end. Keys and variable
/// names are short; this only bounds the regex work on megabyte-long lines.
const BEFORE: usize = 256;
const AFTER: usize = 1024;
/// How far past a keyword one regex search goes, so that the keywords after it (a
/// minified line, a file of one prefix repeated) are judged from its matches
/// instead of each searching a window of its own: each byte is searched about
/// once, however close the keywords are.
const AHEAD: usize = 4 * AFTER;
/// How far a body too short to match is followed to where it stops.
const BODY_RUN: usize = 256;

/// What one `detect` call saw besides findings.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DetectStats {
    pub placeholders: u64,
}

enum Judgement {
    /// A match at `start..end`; `read` for a variable that is read, not defined.
    Hit {
        start: usize,
        end: usize,
        read: bool,
    },
    /// A placeholder; its end, where an encoding may go on (`qrcp_live_Ab" + "…`).
    Placeholder(usize),
    Nothing,
    /// The match an earlier keyword of the same rule was judged by.
    Again,
}

/// One thing [`Detector::pass_each`] found.
#[derive(Debug, Clone)]
pub enum Event {
    Hit(Hit),
    /// `(start, keyword end)` of a placeholder.
    Placeholder(usize, usize),
    Candidate(Candidate),
}

/// One rule's regex matches over the last window it searched (`from..to`).
#[derive(Debug, Default, Clone)]
struct Searched {
    from: usize,
    to: usize,
    matches: Vec<(usize, usize)>,
    /// The match last judged, which a later keyword inside it must not repeat.
    judged: Option<(usize, usize)>,
    /// For a rule judged by the word around a keyword ([`quick::Word`]).
    word: quick::WordMemo,
    /// `(from, to, last)`: the last line break in `from..to`, read before, so
    /// that the line start of each keyword in a long line is not looked for
    /// again over the whole of [`BEFORE`].
    breaks: (usize, usize, Option<usize>),
}

/// The last line break in `gap`, mostly the few bytes since the last keyword:
/// looked at one by one up to 32 (memrchr's set-up cost more than the search
/// there).
fn last_break(gap: &[u8]) -> Option<usize> {
    match gap.len() {
        0..=32 => gap.iter().rposition(|&b| b == b'\n'),
        _ => memchr::memrchr(b'\n', gap),
    }
}

impl Searched {
    /// The start of the line holding `at`, no further back than [`BEFORE`]
    /// (as [`line_bounds_within`] finds it).
    fn line_start(&mut self, data: &[u8], at: usize) -> usize {
        let lo = at.saturating_sub(BEFORE);
        let (from, to, last) = self.breaks;
        let (from, last) = match from <= lo && to <= at && to > 0 {
            true => match last_break(&data[to..at]) {
                Some(i) => (from, Some(to + i)),
                None => (from, last),
            },
            false => (lo, memchr::memrchr(b'\n', &data[lo..at]).map(|i| lo + i)),
        };
        self.breaks = (from, at, last);
        last.map_or(lo, |nl| (nl + 1).max(lo))
    }
}

/// A match before it becomes a finding.
#[derive(Debug, Clone)]
pub struct Hit {
    pub rule: usize,
    pub start: usize,
    pub end: usize,
    pub severity: crate::rules::Severity,
    /// A variable read (`process.env.NAME`) rather than defined.
    pub read: bool,
}

/// A place where a decoding layer may reveal a key, found by the same pass as the
/// keywords: a trigger literal (`cXJjcF9saXZlX`, `qrcp%5F`, the UTF-16 bytes of a
/// keyword) or a keyword whose body is cut by a quote, `\` or `%`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub layer: Layer,
    /// Offset of the trigger (or keyword) in the scanned bytes.
    pub at: usize,
    /// Offset from `at` that the layer needs (see [`Trigger::lead`]).
    pub lead: usize,
    /// A keyword whose plain match was counted as a placeholder.
    pub placeholder: bool,
}

#[derive(Clone)]
pub struct Detector {
    rules: Arc<RuleSet>,
    /// The pass's automata, built on first use: a hook run whose few files hold
    /// none of the literals' heads (see [`keywords::head_set`]) never needs them.
    automata: Arc<OnceLock<Automata>>,
    /// Number of keyword patterns; trigger patterns follow them.
    nkeywords: usize,
    /// For each keyword pattern, the rules that listed it.
    keyword_rules: Vec<Vec<usize>>,
    triggers: Arc<Vec<Trigger>>,
    path_rules: Vec<usize>,
    /// The rule keywords, in pattern order (the triggers follow them in the pass).
    words: Arc<Vec<String>>,
}

/// Bytes a quiet stretch ([`Detector::pass_each_quiet`]) must have for the
/// pass to change searches: fewer cost less searched as they are.
const QUIET_MIN: usize = 256;

/// The literals of one pass but one layer's triggers: the rule keywords and
/// every other trigger, each with its index in the whole pass.
struct Others {
    /// `None` when nothing is left to look for.
    search: Option<Keywords>,
    ids: Vec<usize>,
    longest: usize,
}

/// A quiet stretch under way: the search of the other literals, the layer
/// left out and the offset the stretch stops at, and the end of its last
/// match (where the whole search goes on).
struct Stretch<'a> {
    found: keywords::Matches<'a>,
    others: &'a Others,
    layer: Layer,
    until: usize,
    last: usize,
}

struct Automata {
    /// Rule keywords, followed (when they cannot shadow each other) by the
    /// decoders' trigger literals: one automaton, one pass.
    keywords: Option<Keywords>,
    /// The trigger literals in an automaton of their own, when a trigger and a
    /// keyword could overlap (a user's rule) and one pass would hide one of them.
    trigger_ac: Option<Keywords>,
    /// Per keyword, per rule in `keyword_rules`: what a match starting at the
    /// keyword must hold (see [`quick`]), where every match of the rule starts
    /// with that keyword and the pass reports each of its occurrences.
    quick: Vec<Vec<Option<quick::Body>>>,
    /// Per rule, its pattern's [`quick::Word`] shape if it has one, found when
    /// a keyword of the rule is first met.
    words: Vec<OnceLock<Option<quick::Word>>>,
    /// Per layer, the pass without that layer's triggers ([`Others`]), built
    /// when a quiet stretch of that layer is first met.
    others: [OnceLock<Option<Others>>; Layer::COUNT],
}

impl Automata {
    fn new(words: &[String], triggers: &[Trigger]) -> anyhow::Result<Automata> {
        let shadow = shadowed(words, triggers);
        let mut pats: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
        let mut trigger_ac = None;
        if shadow {
            let tp: Vec<&[u8]> = triggers.iter().map(|t| &*t.pattern).collect();
            trigger_ac = Some(Keywords::new(&tp)?);
        } else {
            pats.extend(triggers.iter().map(|t| &*t.pattern));
        }
        let keywords = if pats.is_empty() {
            None
        } else {
            Some(Keywords::new(&pats)?)
        };
        Ok(Automata {
            keywords,
            trigger_ac,
            quick: Vec::new(),
            words: Vec::new(),
            others: Default::default(),
        })
    }

    /// [`Others`] for `layer`: `None` where the triggers are searched apart
    /// (the whole pass has none to leave out) or the search cannot be built.
    fn others(&self, layer: Layer, words: &[String], triggers: &[Trigger]) -> Option<&Others> {
        self.others[layer as usize]
            .get_or_init(|| {
                if self.trigger_ac.is_some() {
                    return None;
                }
                // The whole pass's literals in its order (the keywords, then
                // the triggers), less the layer's triggers.
                let (pats, ids): (Vec<&[u8]>, Vec<usize>) = words
                    .iter()
                    .map(|w| (w.as_bytes(), None))
                    .chain(triggers.iter().map(|t| (&*t.pattern, Some(t.layer))))
                    .enumerate()
                    .filter(|(_, (_, l))| *l != Some(layer))
                    .map(|(i, (pat, _))| (pat, i))
                    .unzip();
                let longest = pats.iter().map(|p| p.len()).max().unwrap_or(0);
                let search = match pats.is_empty() {
                    true => None,
                    false => Some(Keywords::new(&pats).ok()?),
                };
                Some(Others {
                    search,
                    ids,
                    longest,
                })
            })
            .as_ref()
    }
}

/// Whether a trigger and a keyword could overlap, so that one pass would hide
/// one of them: the triggers then get a search of their own.
fn shadowed(words: &[String], triggers: &[Trigger]) -> bool {
    triggers
        .iter()
        .any(|t| words.iter().any(|w| overlap(&t.pattern, w.as_bytes())))
}

impl Detector {
    /// A detector over `rules`, whose pass also reports `triggers` (the decoders'
    /// literals; see `decode::detector`).
    pub fn new(rules: Arc<RuleSet>, triggers: Vec<Trigger>) -> anyhow::Result<Detector> {
        let mut words: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut path_rules = Vec::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            if rule.spec.kind == RuleKind::Path {
                path_rules.push(i);
                continue;
            }
            for kw in &rule.spec.keywords {
                match words.iter().position(|w| w == kw) {
                    Some(k) => keyword_rules[k].push(i),
                    None => {
                        words.push(kw.clone());
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        let nkeywords = words.len();
        // A user's rules could be ones the automata refuse: built now, so that
        // the run stops with the reason before it starts. The built-in rules'
        // always build (the tests build them), so they wait for their first use.
        let automata = OnceLock::new();
        if rules.rules.iter().any(|r| r.eager) {
            let _ = automata.set(Automata::new(&words, &triggers)?);
        }
        Ok(Detector {
            rules,
            automata: Arc::new(automata),
            nkeywords,
            keyword_rules,
            triggers: Arc::new(triggers),
            words: Arc::new(words),
            path_rules,
        })
    }

    /// The literals of the pass's one search (keywords, then triggers), or
    /// `None` where the triggers are searched apart ([`Automata::new`]).
    #[cfg(test)]
    pub fn pass_literals(&self) -> Option<Vec<&[u8]>> {
        (!shadowed(&self.words, &self.triggers)).then(|| {
            self.words
                .iter()
                .map(|w| w.as_bytes())
                .chain(self.triggers.iter().map(|t| &*t.pattern))
                .collect()
        })
    }

    fn automata(&self) -> &Automata {
        self.automata.get_or_init(|| {
            let mut a = Automata::new(&self.words, &self.triggers)
                .expect("the built-in rules' keyword automata build");
            a.quick = self.quick_table();
            a.words = self.rules.rules.iter().map(|_| OnceLock::new()).collect();
            a
        })
    }

    /// [`Automata::quick`]. A keyword qualifies when no other keyword overlaps it
    /// and it cannot overlap itself (then the pass reports every occurrence; the
    /// triggers never overlap a keyword in the same pass), and a rule's entry is
    /// there when its pattern's literal starts with the keyword (every match
    /// starts with an occurrence).
    fn quick_table(&self) -> Vec<Vec<Option<quick::Body>>> {
        self.words
            .iter()
            .enumerate()
            .map(|(k, w)| {
                let w = w.as_bytes();
                let alone = !self
                    .words
                    .iter()
                    .enumerate()
                    .any(|(j, o)| j != k && overlap(o.as_bytes(), w))
                    && !(1..w.len()).any(|i| w.starts_with(&w[i..]));
                self.keyword_rules[k]
                    .iter()
                    .map(|&ri| {
                        let rule = &self.rules.rules[ri];
                        if !alone || rule.spec.kind != RuleKind::Secret {
                            return None;
                        }
                        quick::Body::of(rule.spec.pattern.as_deref()?)?.at_keyword(w)
                    })
                    .collect()
            })
            .collect()
    }

    /// Whether `data` holds any rule keyword or decoding trigger: the one
    /// multi-literal search. Bytes without one cannot hold a finding, so callers
    /// skip detection for them.
    pub fn has_candidate(&self, data: &[u8]) -> bool {
        let a = self.automata();
        a.keywords.as_ref().is_some_and(|k| k.is_match(data))
            || a.trigger_ac.as_ref().is_some_and(|k| k.is_match(data))
    }

    /// The rules this detector runs.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Every literal the pass looks for (rule keywords, decoding triggers): a
    /// caller that looks for literals of its own can first ask, in one search,
    /// whether a blob holds any of either ([`keywords::head_set`]).
    pub fn literals(&self) -> impl Iterator<Item = &[u8]> {
        self.words
            .iter()
            .map(String::as_bytes)
            .chain(self.triggers.iter().map(|t| &*t.pattern))
    }

    /// Whether the one pass runs on Teddy (SIMD) rather than the automaton.
    #[cfg(test)]
    pub fn packed(&self) -> bool {
        let a = self.automata();
        a.keywords.as_ref().is_some_and(Keywords::packed)
            && a.trigger_ac.as_ref().is_none_or(Keywords::packed)
    }

    /// Whether some path rule reports this `/`-separated path.
    pub fn path_matches(&self, path: &str) -> bool {
        self.path_rules
            .iter()
            .any(|&i| self.rules.rules[i].matches_path(path))
    }

    /// Path rules (committed dotenv files) for one `/`-separated path.
    pub fn detect_path(&self, prov: &Provenance, out: &mut Vec<Finding>) {
        let Some(path) = prov.path.as_deref() else {
            return;
        };
        // An archive member (`a.tgz!package/.env`) is judged by its own path.
        let path = path.rsplit('!').next().unwrap_or(path);
        for &i in &self.path_rules {
            let rule = &self.rules.rules[i];
            if rule.matches_path(path) {
                out.push(Finding {
                    rule: rule.spec.id.clone(),
                    severity: rule.spec.severity,
                    message: rule.spec.name.clone(),
                    provenance: prov.clone(),
                    line: None,
                    column: None,
                    end_line: None,
                    end_column: None,
                    secret: None,
                    secret_prefix_len: 0,
                    fingerprint: None,
                    decoding: Vec::new(),
                    hops: Vec::new(),
                    origin: None,
                    verification: None,
                    context: None,
                    notes: Vec::new(),
                    inline_allowed: false,
                    ambiguous_end: false,
                });
            }
        }
    }

    /// Content rules over `data`, plain bytes only (no decoding layers). Findings
    /// are appended in offset order.
    pub fn detect(&self, data: &[u8], prov: &Provenance, out: &mut Vec<Finding>) -> DetectStats {
        let mut hits = Vec::new();
        let mut stats = DetectStats::default();
        self.pass_each(data, false, |event| match event {
            Event::Hit(h) => hits.push(h),
            Event::Placeholder(..) => stats.placeholders += 1,
            Event::Candidate(_) => {}
        });
        hits.sort_by_key(|h| (h.start, h.rule, h.end));
        hits.dedup_by_key(|h| (h.start, h.rule));
        let mut locator = Locator::new(data);
        let mut allows = InlineAllows::new(data);
        for hit in hits {
            out.push(self.finding(hit, data, prov, (&mut locator, &mut allows)));
        }
        stats
    }

    /// One pass over `data`: matches, placeholders and (with `candidates`) the
    /// places a decoding layer should look at, each handed to `each` as it is
    /// found (keywords and triggers in offset order; a keyword's hit or
    /// placeholder before its candidate), so that a file of a million triggers
    /// holds none of them.
    pub fn pass_each(&self, data: &[u8], candidates: bool, each: impl FnMut(Event)) {
        self.pass_each_quiet(data, candidates, &Cell::new(None), each);
    }

    /// [`pass_each`](Detector::pass_each), told by `each` through `quiet`
    /// that it wants no trigger of a layer before an offset (`Some((layer,
    /// until))`: its regions cover them). After such a trigger the pass looks
    /// for everything else up to there (the keywords and the other layers'
    /// triggers) with a search that leaves that layer's triggers out, so a
    /// file of one trigger repeated is not a match every few bytes once its
    /// region is decoded. `each` changes `quiet` as it goes; the pass reads
    /// it after every event.
    pub fn pass_each_quiet(
        &self,
        data: &[u8],
        candidates: bool,
        quiet: &Cell<Option<(Layer, usize)>>,
        mut each: impl FnMut(Event),
    ) {
        let automata = self.automata();
        let Some(ac) = &automata.keywords else {
            return;
        };
        // On the stack for a few rules (the built-in ones): a file of short
        // decoded regions starts a pass for each.
        let mut inline: [Searched; 8] = Default::default();
        let mut heap = Vec::new();
        let searched: &mut [Searched] = match self.rules.rules.len() {
            n if n <= inline.len() => &mut inline[..n],
            n => {
                heap.resize(n, Searched::default());
                &mut heap
            }
        };
        // Triggers searched apart (a user's keyword overlaps one): merged in.
        let mut apart = match (&automata.trigger_ac, candidates) {
            (Some(tac), true) => tac.find_iter(data).collect::<Vec<_>>(),
            _ => Vec::new(),
        }
        .into_iter()
        .peekable();
        // Generic, not a `dyn` call: a file of triggers calls `each` for each
        // one, and what `each` does with most (a candidate its region
        // covers) is one comparison, which a call through a vtable cannot
        // inline.
        fn trigger(t: &Trigger, at: usize, each: &mut impl FnMut(Event)) {
            each(Event::Candidate(Candidate {
                layer: t.layer,
                at,
                lead: t.lead,
                placeholder: false,
            }));
        }
        let mut matches = ac.find_iter(data);
        // A quiet stretch under way ([`Detector::quiet_stretch`]).
        let mut stretch: Option<Stretch> = None;
        loop {
            let (p, m_start, m_end) = match &mut stretch {
                Some(st) => match st.found.next() {
                    Some((q, s, e)) if s < st.until => (st.others.ids[q], s, e),
                    _ => {
                        matches.skip_to(st.until.max(st.last));
                        stretch = None;
                        continue;
                    }
                },
                None => match matches.next() {
                    Some(m) => m,
                    None => break,
                },
            };
            while let Some((tp, at, _)) = apart.next_if(|&(_, at, _)| at < m_start) {
                trigger(&self.triggers[tp], at, &mut each);
            }
            if p >= self.nkeywords {
                if candidates {
                    trigger(&self.triggers[p - self.nkeywords], m_start, &mut each);
                }
            } else {
                self.keyword_events(
                    automata,
                    data,
                    (p, m_start, m_end),
                    searched,
                    candidates,
                    &mut each,
                );
            }
            match &mut stretch {
                // `each` changed `quiet` (it decoded another layer, or its
                // budget ran out): the whole search goes on from here.
                Some(st) => {
                    st.last = m_end;
                    if !matches!(quiet.get(), Some((l, u)) if l == st.layer && u >= st.until) {
                        matches.skip_to(m_end);
                        stretch = None;
                    }
                }
                None if candidates && p >= self.nkeywords => {
                    let t = &self.triggers[p - self.nkeywords];
                    match self.quiet_stretch(automata, data, (t.layer, m_end), quiet) {
                        Some(Ok(st)) => stretch = Some(st),
                        Some(Err(until)) => matches.skip_to(until),
                        None => {}
                    }
                }
                None => {}
            }
        }
        for (tp, at, _) in apart {
            trigger(&self.triggers[tp], at, &mut each);
        }
    }

    /// The events of keyword `p` at `m_start..m_end`: each of its rules'
    /// judgement (a hit, a placeholder, or nothing to report) and, with
    /// `candidates`, a candidate where the bytes its match stops at may open
    /// a layer.
    #[inline(always)]
    fn keyword_events(
        &self,
        automata: &Automata,
        data: &[u8],
        (p, m_start, m_end): (usize, usize, usize),
        searched: &mut [Searched],
        candidates: bool,
        each: &mut impl FnMut(Event),
    ) {
        for (r, &ri) in self.keyword_rules[p].iter().enumerate() {
            let rule = &self.rules.rules[ri];
            let quick = automata.quick.get(p).and_then(|q| q[r].as_ref());
            // The body's run of letters and digits, where the quick look
            // read it already.
            let mut run = None;
            let outcome = match quick.map(|b| b.may_start_run(data, m_start)) {
                // No match starts here: the one that holds the keyword, if
                // any, started at an earlier occurrence and was judged there.
                Some(Err(read)) => {
                    run = read;
                    match searched[ri].judged {
                        Some((s, e)) if s <= m_start && m_start < e => Judgement::Again,
                        _ => Judgement::Nothing,
                    }
                }
                _ => self.judge_at(automata, ri, data, (m_start, m_end), &mut searched[ri]),
            };
            // Where the plain match stops: a quote, `\` or `%` there may be an
            // encoding that goes on (`"qrcp_live_" + "…"`, `qrcp_live_\x41…`).
            // A body too short to match stops where its characters do
            // (`"qrcp_live_Ab" + "…"`, `qrcp_live_Ab` at a line's end); so
            // may a whole match (a long literal wrapped: `("qrcp_live_<20
            // or more>"\n "…")`, the pieces joined are the key).
            let stop = match outcome {
                Judgement::Again => None,
                Judgement::Hit { end, .. } | Judgement::Placeholder(end) => Some(end),
                Judgement::Nothing => {
                    let run = run.unwrap_or_else(|| {
                        quick::ascii_run(&data[m_end..data.len().min(m_end + BODY_RUN)], &[])
                    });
                    Some(m_end + run.min(BODY_RUN))
                }
            };
            let at_stop = stop.and_then(|e| data.get(e..)).unwrap_or_default();
            let layer = layer_at_stop(at_stop);
            let layer = layer.filter(|_| candidates && rule.spec.kind == RuleKind::Secret);
            match outcome {
                Judgement::Hit { start, end, read } => each(Event::Hit(Hit {
                    rule: ri,
                    start,
                    end,
                    severity: match (read, rule.spec.read_severity) {
                        (true, Some(s)) => s,
                        _ => rule.spec.severity,
                    },
                    read,
                })),
                Judgement::Placeholder(_) => each(Event::Placeholder(m_start, m_end)),
                // A prefix followed by something that is not a key: `qrcp_live_${KEY}`,
                // a short body. Counted, not reported; a bare prefix in prose is not.
                Judgement::Nothing
                    if rule.spec.kind == RuleKind::Secret
                        && data.get(m_end).is_some_and(|&c| looks_like_body(c)) =>
                {
                    each(Event::Placeholder(m_start, m_end))
                }
                Judgement::Nothing | Judgement::Again => {}
            }
            // Counted above as before; the decoder takes the count back when
            // the decoded key turns out real.
            if let Some(layer) = layer {
                let placeholder = match outcome {
                    Judgement::Placeholder(_) => true,
                    _ => data.get(m_end).is_some_and(|&c| looks_like_body(c)),
                };
                each(Event::Candidate(Candidate {
                    layer,
                    at: m_start,
                    lead: 0,
                    placeholder,
                }));
            }
        }
    }

    /// The judgement of rule `ri`'s match that holds the keyword at
    /// `m_start..m_end`, where one may start there: its word's, or its
    /// pattern's. Apart from [`Detector::keyword_events`], which runs for
    /// every keyword of a file of them: most are told no match starts there,
    /// and the judgement's state stays out of that loop's registers.
    #[inline(never)]
    fn judge_at(
        &self,
        automata: &Automata,
        ri: usize,
        data: &[u8],
        (m_start, m_end): (usize, usize),
        s: &mut Searched,
    ) -> Judgement {
        let rule = &self.rules.rules[ri];
        let word = automata.words.get(ri).and_then(|w| {
            w.get_or_init(|| rule.spec.pattern.as_deref().and_then(quick::Word::of))
                .as_ref()
        });
        let window = (
            m_start.saturating_sub(BEFORE),
            m_end.saturating_add(AHEAD).min(data.len()),
        );
        match word.and_then(|w| w.at(data, (m_start, m_end), window, &mut s.word)) {
            Some(Some((start, end))) => self.judge(rule, data, m_start, (start, end), s),
            Some(None) => Judgement::Nothing,
            None => self.match_at(rule, data, m_start, m_end, s),
        }
    }

    /// A quiet stretch after a trigger of `layer` (ending at `from`), when
    /// `quiet` wants none of that layer's triggers up to an offset at least
    /// [`QUIET_MIN`] bytes on: the search of the other literals up to there;
    /// `Err` with that offset where there are no others.
    fn quiet_stretch<'a>(
        &self,
        automata: &'a Automata,
        data: &'a [u8],
        (layer, from): (Layer, usize),
        quiet: &Cell<Option<(Layer, usize)>>,
    ) -> Option<Result<Stretch<'a>, usize>> {
        let until = match quiet.get()? {
            (l, until) if l == layer && until >= from.saturating_add(QUIET_MIN) => until,
            _ => return None,
        };
        let others = automata.others(layer, &self.words, &self.triggers)?;
        let Some(search) = &others.search else {
            return Some(Err(until));
        };
        // Every literal that starts before `until` ends before `hi`.
        let hi = until.saturating_add(others.longest).min(data.len());
        Some(Ok(Stretch {
            found: search.find_iter_from(&data[..hi], from),
            others,
            layer,
            until,
            last: from,
        }))
    }

    /// Judges the one match of `rule` that holds the keyword at `kw_start..kw_end`.
    /// Every match holds one of its rule's keywords, so looking at each keyword's
    /// match finds them all.
    fn match_at(
        &self,
        rule: &Rule,
        data: &[u8],
        kw_start: usize,
        kw_end: usize,
        searched: &mut Searched,
    ) -> Judgement {
        let Some(re) = rule.pattern() else {
            return Judgement::Nothing;
        };
        // Bounded: a keyword on a megabyte-long line costs what it costs on a short
        // one. Keywords come left to right, so the window's start never goes back;
        // a window that the last search covered is judged from its matches.
        // The line window is within `BEFORE` and `AFTER` of the keyword: when those
        // are inside the last search, so is the window, and the line's ends need
        // not be looked for (a file of keywords on one line looked for them at
        // every keyword).
        let inside = searched.from <= kw_start.saturating_sub(BEFORE)
            && kw_end.saturating_add(AFTER).min(data.len()) <= searched.to;
        if !inside {
            let ls = searched.line_start(data, kw_start);
            let (_, le) = line_bounds_within(data, kw_end, 0, AFTER);
            if !(searched.from <= ls && le <= searched.to) {
                let (_, far) = line_bounds_within(data, kw_end, 0, AHEAD);
                searched.from = ls;
                searched.to = far;
                searched.matches.clear();
                searched.matches.extend(
                    re.find_iter(&data[ls..far])
                        .map(|m| (ls + m.start(), ls + m.end())),
                );
            }
        }
        let first = searched
            .matches
            .partition_point(|&(_, end)| end <= kw_start);
        let Some(&(start, end)) = searched.matches.get(first).filter(|m| m.0 <= kw_start) else {
            return Judgement::Nothing;
        };
        self.judge(rule, data, kw_start, (start, end), searched)
    }

    /// Judges `rule`'s match `start..end`, which holds the keyword at `kw_start`.
    fn judge(
        &self,
        rule: &Rule,
        data: &[u8],
        kw_start: usize,
        (start, end): (usize, usize),
        searched: &mut Searched,
    ) -> Judgement {
        // One match holding two keywords (`…QRCODEPRO_QRCP_KEY`) is judged once.
        if searched.judged == Some((start, end)) {
            return Judgement::Again;
        }
        searched.judged = Some((start, end));
        let mut read = false;
        match rule.spec.kind {
            RuleKind::Secret => {
                let secret = &data[start..end];
                let prefix = rule
                    .spec
                    .keywords
                    .iter()
                    .find(|k| secret.starts_with(k.as_bytes()));
                let body = &secret[prefix.map_or(0, |k| k.len())..];
                // `qrcp_live_…_id`: an identifier that happens to start like a key.
                let identifier = data.get(end) == Some(&b'_');
                // Read as text: as it is when it is ASCII (a key's body is;
                // the lossy reading's checks cost a key's body as much again).
                let placeholder = match body.is_ascii() {
                    true => placeholder::placeholder_reason_bytes(body),
                    false => placeholder::placeholder_reason(&String::from_utf8_lossy(body)),
                };
                if identifier || placeholder.is_some() {
                    return Judgement::Placeholder(end);
                }
            }
            RuleKind::Variable => {
                let name = &data[start..end];
                // Compared where the first byte matches: a `memmem` searcher
                // built for each name was most of a variable's judgement.
                let holds = |w: &String| keywords::holds(name, w.as_bytes());
                let contains = &rule.spec.name_contains;
                if !contains.is_empty()
                    && !searched
                        .word
                        .named((start, end), || contains.iter().any(holds))
                {
                    return Judgement::Nothing;
                }
                match variable_use(data, searched.line_start(data, kw_start), start, end) {
                    Use::Definition => {}
                    Use::ClientRead if rule.spec.read_severity.is_some() => read = true,
                    _ => return Judgement::Nothing,
                }
            }
            RuleKind::Path => return Judgement::Nothing,
        }
        Judgement::Hit { start, end, read }
    }

    fn finding(
        &self,
        hit: Hit,
        data: &[u8],
        prov: &Provenance,
        (locator, allows): (&mut Locator, &mut InlineAllows),
    ) -> Finding {
        let (line, column) = locator.locate(hit.start);
        let (end_line, end_column) = locator.locate(hit.end);
        let context = context_at(data, hit.start, hit.end);
        let allowed = allows.allows(hit.start);
        let matched = data[hit.start..hit.end].to_vec();
        self.make_finding(
            &hit,
            &matched,
            prov,
            [line, column, end_line, end_column],
            context,
            allowed,
        )
    }

    /// A finding for `hit`, whose matched bytes are `matched` (decoded ones when an
    /// encoding revealed them), at `[line, column, end_line, end_column]`.
    pub fn make_finding(
        &self,
        hit: &Hit,
        matched: &[u8],
        prov: &Provenance,
        at: [usize; 4],
        context: Context,
        inline_allowed: bool,
    ) -> Finding {
        let rule = &self.rules.rules[hit.rule];
        let mid = String::from_utf8_lossy(matched);
        let (secret, prefix_len, fp) = match rule.spec.kind {
            RuleKind::Secret => {
                let s = mid.to_string();
                let pl = rule.secret_prefix(&s).len();
                let fp = fingerprint(s.as_bytes());
                (Some(s), pl, Some(fp))
            }
            // The variable name is not a secret; its fingerprint tells two variables
            // in one file apart in a baseline.
            _ => (
                None,
                0,
                Some(fingerprint(format!("{}:{}", rule.spec.id, mid).as_bytes())),
            ),
        };
        let message = match (&rule.spec.read_name, hit.read) {
            (Some(m), true) => m.clone(),
            _ => rule.spec.name.clone(),
        };
        Finding {
            rule: rule.spec.id.clone(),
            severity: hit.severity,
            message,
            provenance: prov.clone(),
            line: Some(at[0]),
            column: Some(at[1]),
            end_line: Some(at[2]),
            end_column: Some(at[3]),
            secret,
            secret_prefix_len: prefix_len,
            fingerprint: fp,
            decoding: Vec::new(),
            hops: Vec::new(),
            origin: None,
            verification: None,
            context: Some(context),
            notes: Vec::new(),
            inline_allowed,
            ambiguous_end: false,
        }
    }
}

/// The clipped line window around `start..end` (which may not cross a line break:
/// it is cut at the first one).
pub fn context_at(data: &[u8], start: usize, end: usize) -> Context {
    let end = end.clamp(start, data.len());
    let end = memchr::memchr(b'\n', &data[start..end]).map_or(end, |i| start + i);
    let (ws, we, clipped_start, clipped_end) = line_window(data, start, end);
    let pre = String::from_utf8_lossy(&data[ws..start]);
    let mid = String::from_utf8_lossy(&data[start..end]);
    let post = String::from_utf8_lossy(&data[end..we]);
    Context {
        span: pre.len()..pre.len() + mid.len(),
        text: format!("{pre}{mid}{post}"),
        clipped_start,
        clipped_end,
    }
}

/// Whether some proper suffix of one literal is a prefix of the other, or one holds
/// the other: then a leftmost-first pass could report one and hide the other.
pub fn overlap(a: &[u8], b: &[u8]) -> bool {
    // Plain loops that compare only where the first byte matches: this runs for
    // every trigger and keyword at start-up, on short literals.
    use keywords::holds;
    // A suffix of `x` (shorter than both) that is a prefix of `y`.
    let chain = |x: &[u8], y: &[u8]| {
        let from = x.len() + 1 - x.len().min(y.len()).max(1);
        (from..x.len()).any(|i| x[i] == y[0] && y.starts_with(&x[i..]))
    };
    holds(a, b) || holds(b, a) || chain(a, b) || chain(b, a)
}

/// How far around a finding its line is searched for `qrcp-scan:allow`.
const ALLOW_WITHIN: usize = 4096;

/// Whether the lines of one blob's findings carry `qrcp-scan:allow` (within a
/// few KiB of each). While the findings are few, each line is searched; once
/// their searches would add up to more than the blob, the blob is searched once
/// and each finding looks the places up (ten thousand findings on one long
/// minified line each searched 8 KiB).
pub struct InlineAllows<'a> {
    data: &'a [u8],
    asked: usize,
    places: Option<Vec<usize>>,
}

impl<'a> InlineAllows<'a> {
    pub fn new(data: &'a [u8]) -> InlineAllows<'a> {
        InlineAllows {
            data,
            asked: 0,
            places: None,
        }
    }

    /// Whether the line around `offset` carries `qrcp-scan:allow`.
    pub fn allows(&mut self, offset: usize) -> bool {
        let allow = crate::finding::INLINE_ALLOW.as_bytes();
        let data = self.data;
        self.asked += 1;
        if self.places.is_none() && self.asked.saturating_mul(2 * ALLOW_WITHIN) > data.len() {
            self.places = Some(memchr::memmem::find_iter(data, allow).collect());
        }
        let (from, to) = line_bounds_within(data, offset, ALLOW_WITHIN, ALLOW_WITHIN);
        match &self.places {
            Some(places) => {
                let i = places.partition_point(|&s| s < from);
                places.get(i).is_some_and(|&s| s + allow.len() <= to)
            }
            None => memchr::memmem::find(&data[from..to], allow).is_some(),
        }
    }
}

/// Bytes that may open a layer where a keyword's plain match stops
/// ([`layer_at_stop`]): anything else (a body's next character, a space)
/// opens none, and is told so by one look.
static OPENS_LAYER: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = matches!(
            b,
            b'"' | b'\'' | b'`' | b'$' | b'#' | b'{' | b'\\' | b'\n' | b'\r' | b'&' | b'%' | b'='
        ) || Layer::invisible_lead(b);
        i += 1;
    }
    t
};

/// The layer that the bytes where a keyword's plain match stops may open:
/// a quote, `\` or `%` there may be an encoding that goes on. Most stops
/// open none, told by [`OPENS_LAYER`] before [`layer_opened`] is asked.
fn layer_at_stop(at_stop: &[u8]) -> Option<Layer> {
    let &first = at_stop.first()?;
    match OPENS_LAYER[usize::from(first)] {
        true => layer_opened(first, at_stop),
        false => None,
    }
}

/// [`layer_at_stop`] where `first` (`at_stop`'s first byte) may open one.
fn layer_opened(first: u8, at_stop: &[u8]) -> Option<Layer> {
    match first {
        b'"' | b'\'' | b'`' => Some(Layer::Concatenation),
        // `` `qrcp_live_${"…"}` ``
        // `"qrcp_live_${b}"`, `"qrcp_live_#{b}"`, `f"qrcp_live_{b}"`,
        b'$' | b'#' if at_stop.get(1) == Some(&b'{') => Some(Layer::Concatenation),
        // A bare name: `"qrcp_live_$b"` (shell, PHP, Kotlin, Dart,
        // Perl), `K=qrcp_live_$B` (a shell word, dotenv expansion).
        b'$' if at_stop
            .get(1)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') =>
        {
            Some(Layer::Concatenation)
        }
        b'{' => Some(Layer::Concatenation),
        // Swift's `"qrcp_live_\(b)"`.
        b'\\' if at_stop.get(1) == Some(&b'(') => Some(Layer::Concatenation),
        // Cut by a line break (a wrapped YAML scalar, a `\` continuation).
        b'\n' | b'\r' => Some(Layer::Concatenation),
        b'\\' if matches!(at_stop.get(1), Some(b'\n' | b'\r')) => Some(Layer::Concatenation),
        // `\x41…`, `&#65;…`, `&shy;`: an escape or a reference.
        b'\\' | b'&' => Some(Layer::Escape),
        // A format string's conversion: `"qrcp_live_%s" % b`.
        b'%' if percent_conversion(at_stop).is_some() => Some(Layer::Concatenation),
        b'%' => Some(Layer::Percent),
        // A quoted-printable soft line break (a mail body wrapped at 76).
        b'=' if matches!(at_stop.get(1), Some(b'\n' | b'\r')) => Some(Layer::QuotedPrintable),
        // An HTML tag or an invisible character inside the key
        // (`qrcp_live_Ab<wbr>Cd…`, a zero-width space).
        b if Layer::invisible_lead(b) => Some(Layer::Invisible),
        _ => None,
    }
}

/// A byte that can follow a key prefix in something meant as a key (or a template
/// of one), as opposed to the end of a sentence or a string.
fn looks_like_body(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'$' | b'{' | b'<' | b'_' | b'*' | b'%' | b'[')
}

#[derive(Debug, PartialEq, Eq)]
enum Use {
    Definition,
    /// Read by client-side code (`process.env.NAME`, `import.meta.env.NAME`): a
    /// bundler inlines the value there.
    ClientRead,
    Read,
    Other,
}

/// How a variable name at `start..end` is used: defined/assigned (`NAME=`, `NAME:`,
/// `"NAME":`, `ENV NAME v`, `ARG NAME`, `- name: NAME`, `export NAME=`), read
/// (`process.env.NAME`, `$NAME`, `${NAME}`), or neither.
fn variable_use(data: &[u8], line_start: usize, start: usize, end: usize) -> Use {
    let before = &data[line_start..start];
    let before_name = trim_end(before, b".\"'`[");
    if (before_name.ends_with(b"process.env") || before_name.ends_with(b"import.meta.env"))
        && (before.ends_with(b".") || before.ends_with(b"[\"") || before.ends_with(b"['"))
    {
        return Use::ClientRead;
    }
    if before.ends_with(b".")
        || before.ends_with(b"$")
        || before.ends_with(b"${")
        || before.ends_with(b"%")
    {
        return Use::Read;
    }
    let mut i = end;
    if matches!(data.get(i), Some(b'"' | b'\'' | b'`')) {
        i += 1;
    }
    while matches!(data.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    match (data.get(i), data.get(i + 1)) {
        (Some(b'='), next) if !matches!(next, Some(b'=' | b'>' | b'~')) => return Use::Definition,
        (Some(b':'), next) if !matches!(next, Some(b':')) => return Use::Definition,
        _ => {}
    }
    let trimmed = trim_end(before, b" \t\"'");
    let word_end = |t: &[u8], w: &[u8]| {
        t.ends_with(w) && {
            let k = t.len() - w.len();
            k == 0 || !t[k - 1].is_ascii_alphanumeric()
        }
    };
    if [&b"ENV"[..], b"ARG", b"setenv", b"export"]
        .iter()
        .any(|w| word_end(trimmed, w))
    {
        return Use::Definition;
    }
    // The value of a `name`/`key` field names the variable being defined:
    // `- name: NAME` (Kubernetes), `key = "NAME"` (Terraform), `"key": "NAME"` (APIs).
    if let Some(field) = trimmed
        .strip_suffix(b":")
        .or_else(|| trimmed.strip_suffix(b"="))
    {
        let field = trim_end(field, b" \t\"'");
        if [&b"name"[..], b"key", b"Name", b"Key"]
            .iter()
            .any(|w| word_end(field, w))
        {
            return Use::Definition;
        }
    }
    Use::Other
}

fn trim_end<'a>(mut s: &'a [u8], chars: &[u8]) -> &'a [u8] {
    while let Some((last, rest)) = s.split_last() {
        if !chars.contains(last) {
            break;
        }
        s = rest;
    }
    s
}

/// A format string's conversion that a string fills at the start of `s` (`%s`,
/// Go's `%v` and `%q`, Objective-C's `%@`, positional `%2$s`), not a percent
/// escape: its length, and the argument it takes (`None`: the next one).
pub fn percent_conversion(s: &[u8]) -> Option<(usize, Option<usize>)> {
    if s.first() != Some(&b'%') {
        return None;
    }
    let digits = s[1..]
        .iter()
        .take(3)
        .take_while(|b| b.is_ascii_digit())
        .count();
    let (k, index) = match digits {
        0 => (1, None),
        _ if s.get(1 + digits) == Some(&b'$') => {
            let n: usize = std::str::from_utf8(&s[1..1 + digits]).ok()?.parse().ok()?;
            (2 + digits, Some(n.checked_sub(1)?))
        }
        _ => return None,
    };
    matches!(s.get(k), Some(b's' | b'v' | b'q' | b'@')).then_some((k + 1, index))
}

#[cfg(test)]
mod tests {
    /// The table of bytes that may open a layer leaves out none that does:
    /// every stop whose first byte it refuses opens nothing, whatever
    /// follows (a byte, or a format conversion's digits and `$`).
    #[test]
    fn the_stop_table_refuses_only_bytes_that_open_no_layer() {
        for first in 0..=255u8 {
            if super::OPENS_LAYER[usize::from(first)] {
                continue;
            }
            for next in 0..=255u8 {
                for stop in [
                    vec![first],
                    vec![first, next],
                    vec![first, b'1', b'$', next],
                ] {
                    assert_eq!(super::layer_opened(first, &stop), None, "{stop:?}");
                }
            }
        }
    }

    #[test]
    fn overlap_is_containment_or_a_suffix_that_starts_the_other() {
        let plain = |a: &[u8], b: &[u8]| {
            let holds = |x: &[u8], y: &[u8]| y.is_empty() || x.windows(y.len()).any(|w| w == y);
            let chain =
                |x: &[u8], y: &[u8]| (1..x.len().min(y.len())).any(|k| x[x.len() - k..] == y[..k]);
            holds(a, b) || holds(b, a) || chain(a, b) || chain(b, a)
        };
        // Every pair of strings over a small alphabet, up to 4 bytes.
        let mut all: Vec<Vec<u8>> = vec![vec![]];
        for len in 1..=4 {
            let mut n = 0usize;
            while n < 3usize.pow(len) {
                let (mut v, mut k) = (Vec::new(), n);
                for _ in 0..len {
                    v.push(b"ab_"[k % 3]);
                    k /= 3;
                }
                all.push(v);
                n += 1;
            }
        }
        for a in &all {
            for b in &all {
                assert_eq!(super::overlap(a, b), plain(a, b), "{a:?} {b:?}");
            }
        }
    }

    use super::*;

    fn detector() -> Detector {
        crate::decode::detector(Arc::new(RuleSet::load(&[] as &[&str]).unwrap())).unwrap()
    }

    fn scan(text: &str) -> (Vec<Finding>, DetectStats) {
        let mut out = Vec::new();
        let stats = detector().detect(text.as_bytes(), &Provenance::file("t".into()), &mut out);
        (out, stats)
    }

    #[test]
    fn finds_two_keys_on_one_line() {
        let (f, _) =
            scan("a=qrcp_live_Zk3q9WmP2xLr7Tb4Nv8Hc1Yd b=qrcp_test_Hq7Ld2Kz9Xw4Mp1Rv6Tn3Bc8\n");
        assert_eq!(f.len(), 2);
        assert_eq!(
            (f[0].line, f[0].column, f[0].end_column),
            (Some(1), Some(3), Some(37))
        );
        assert_eq!(f[1].rule, "qrcp-test-key");
    }

    #[test]
    fn counts_placeholders() {
        let (f, s) = scan(
            "qrcp_live_xxxxxxxxxxxxxxxxxxxx qrcp_live_${K} qrcp_live_key_id `qrcp_live_` prefix\n",
        );
        assert!(f.is_empty());
        assert_eq!(s.placeholders, 3);
    }

    #[test]
    fn candidates_need_a_keyword() {
        let d = detector();
        assert!(d.has_candidate(b"x = qrcp_live_Zk3q9WmP2xLr7Tb4Nv8Hc1Yd"));
        assert!(d.has_candidate(b"NEXT_PUBLIC_QRCODEPRO_KEY=1"));
        assert!(!d.has_candidate(b"nothing to see here\n"));
        assert!(d.path_matches("config/.env"));
        assert!(!d.path_matches("config/.env.example"));
    }

    /// The blob's places looked up answer what each line's search answers: at
    /// a window's edges, on long lines and short ones.
    #[test]
    fn inline_allows_answers_as_each_line_does() {
        let allow = crate::finding::INLINE_ALLOW;
        let mut data = String::new();
        for i in 0..400 {
            data.push_str(&"x".repeat(i * 37 % 300));
            if i % 7 == 0 {
                data.push_str(allow);
            }
            data.push(if i % 50 == 0 { ' ' } else { '\n' });
        }
        data.push_str(&"y".repeat(9000));
        data.push_str(allow);
        let data = data.as_bytes();
        let mut allows = InlineAllows::new(data);
        let mut indexed = false;
        for offset in (0..data.len()).step_by(13) {
            let (from, to) = line_bounds_within(data, offset, ALLOW_WITHIN, ALLOW_WITHIN);
            let want = memchr::memmem::find(&data[from..to], allow.as_bytes()).is_some();
            assert_eq!(allows.allows(offset), want, "{offset}");
            indexed |= allows.places.is_some();
        }
        assert!(indexed);
    }

    #[test]
    fn variable_uses() {
        let d = b"x process.env.VITE_QRCP_KEY";
        assert_eq!(variable_use(d, 0, 14, d.len()), Use::ClientRead);
        let d = b"x import.meta.env[\"VITE_QRCP_KEY\"]";
        assert_eq!(variable_use(d, 0, 19, 32), Use::ClientRead);
        let d = b"x config.VITE_QRCP_KEY";
        assert_eq!(variable_use(d, 0, 9, d.len()), Use::Read);
        let d = b"VITE_QRCP_KEY == 1";
        assert_eq!(variable_use(d, 0, 0, 13), Use::Other);
        let d = b"ENV VITE_QRCP_KEY x";
        assert_eq!(variable_use(d, 0, 4, 17), Use::Definition);
    }

    /// The line start kept between keywords is the one a search back over
    /// [`BEFORE`] bytes finds, keyword after keyword.
    #[test]
    fn line_starts_kept_between_keywords_are_searched_ones() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200 {
            let mut data = Vec::new();
            for _ in 0..(x % 900) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                data.push(if x.is_multiple_of(97) { b'\n' } else { b'a' });
            }
            let mut searched = Searched::default();
            let mut at = 0;
            while at < data.len() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                assert_eq!(
                    searched.line_start(&data, at),
                    line_bounds_within(&data, at, BEFORE, 0).0,
                    "{at}"
                );
                at += (x % 300) as usize;
            }
        }
    }
}
