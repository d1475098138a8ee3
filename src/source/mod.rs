//! Sources yield bytes with their provenance and hand them to a per-thread
//! [`BlobScanner`]; they never judge or print findings. The blob scanner is where
//! every source's blobs meet the same treatment: archives unpacked member by member,
//! decoding layers, source-map and notebook origins; [`Found::place`] then puts its
//! findings at the blob's path (member paths, build-output notes). Sources that know
//! the path up front (`dir`, `stdin`, `url`) use [`Scanner`], which does both and
//! feeds the sink; git history and the staged change place findings themselves, the
//! former only once attribution has found the blob's paths.

pub mod archive;
#[rustfmt::skip]
mod builtin_heads;
pub mod embedded;
pub mod fs;
pub mod git;
pub mod notebook;

pub mod origin;
pub mod sink;
pub mod staged;
pub mod stdin;
pub mod url;

use std::borrow::Cow;
use std::cell::Cell;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::decode::{self, Located};
use crate::detect::Detector;
use crate::detect::buckets::Weights;
use crate::finding::{Finding, Hop, HopKind, Provenance, SourceKind};
use crate::rules::RuleSet;
use crate::stats::Stats;
pub use sink::Sink;

/// `--max-file-size` when neither the flag nor the configuration file sets it.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 50 * 1024 * 1024;

/// Build output folders: what gets deployed, so scanned even when gitignored.
pub const BUILD_DIRS: &[&str] = &[
    "dist",
    "build",
    "out",
    ".next",
    ".nuxt",
    ".output",
    ".svelte-kit",
    "storybook-static",
    ".vercel",
    ".netlify",
];

/// What every source needs from the command: handed out by the configuration.
#[derive(Clone)]
pub struct SourceOptions {
    pub rules: Arc<RuleSet>,
    /// Worker threads; 0 is one per core (the walker and the git pool decide).
    pub threads: usize,
    /// Larger blobs (and archive members) are skipped with a note.
    pub max_file_size: u64,
    /// What unpacking one archive may cost (its `member` is `max_file_size`).
    pub archive: archive::Limits,
    /// Scan build output folders even when gitignored.
    pub scan_build_output: bool,
}

/// Bytes looked at for a NUL to call a blob binary (as git and ripgrep do).
pub const BINARY_PEEK: usize = 8192;

/// A finding of one blob, relative to the blob: its provenance path is the archive
/// member it sits in (`inner/x.js`, `lib/b.jar!c.js`), `None` for the blob's own
/// bytes. [`Found::place`] makes it a finding at the blob's path, which git history
/// learns only after the blob is scanned.
#[derive(Debug, Clone)]
pub struct Found {
    finding: Finding,
}

impl Found {
    /// Moves the finding of a member that starts at `line`, `column` of its blob
    /// to the blob's lines (an HTML page's script).
    fn shift(&mut self, line: usize, column: usize) {
        let f = &mut self.finding;
        for (l, c) in [
            (&mut f.line, &mut f.column),
            (&mut f.end_line, &mut f.end_column),
        ] {
            if let Some(l) = l {
                if *l == 1
                    && let Some(c) = c
                {
                    *c += column - 1;
                }
                *l += line - 1;
            }
        }
    }

    /// The archive member the finding sits in, `None` for the blob's own bytes.
    pub fn member(&self) -> Option<&str> {
        self.finding.provenance.path.as_deref()
    }

    /// The physical line of the finding (in the member, for an archive member).
    pub fn line(&self) -> Option<usize> {
        self.finding.line
    }

    /// The finding at the blob described by `blob` (its path, `None` for a blob no
    /// tree holds; its source and commit): the member path joined to the blob's,
    /// a notebook cell's origin completed (or dropped if the path is no notebook),
    /// and the note that build output is deployed.
    pub fn place(&self, blob: &Provenance) -> Finding {
        let mut f = self.finding.clone();
        let path = match (blob.path.as_deref(), self.member()) {
            (Some(p), Some(m)) => Some(archive::member_path(p, m)),
            (Some(p), None) => Some(p.to_string()),
            (None, _) => None,
        };
        // The one member of a `.gz` unpacked before its name was known.
        if let (Some(first), Some(p)) = (f.hops.first_mut(), blob.path.as_deref())
            && first.member.is_empty()
        {
            first.member = archive::gz_member(p).to_string();
        }
        f.provenance = Provenance {
            path,
            ..blob.clone()
        };
        // Content findings only: a dotenv file's own finding says what to do.
        if f.line.is_some()
            && let Some(dir) = build_dir(&f.provenance)
        {
            f.notes.push(format!(
                "`{dir}/` is build output: this file is deployed, so what it holds ships to every visitor"
            ));
        }
        f
    }
}

/// The treatment every blob gets, whatever its source (folder, git history, staged
/// change, standard input, URL): an archive unpacked member by member within
/// [`archive::Limits`] (path rules on each member's name), content rules through
/// every decoding layer, source-map and notebook origins. One per worker thread;
/// it never prints findings and never needs the blob's path, which git history
/// learns only later.
#[derive(Clone)]
pub struct BlobScanner {
    pub detector: Detector,
    /// What unpacking one archive may cost.
    pub limits: archive::Limits,
    /// Members with a NUL near their start are scanned too (`dir --binary`:
    /// a `.class` in a jar, a `.dex` in an APK), as files are.
    pub binary: bool,
    located: Vec<Located>,
    /// One search for the heads of the detector's literals and of the members
    /// written in text: a blob with none of them (most) is passed over once, not
    /// once by the detector and once more by the member finder.
    heads: Arc<Vec<Cow<'static, [u8]>>>,
    /// The heads' SIMD searcher (`None` where Teddy is unavailable or the heads
    /// too many), built once a scanner has read [`NAIVE_BYTES`]: the few
    /// kilobytes of a hook run are searched head by head, which costs less than
    /// building it.
    any: Arc<OnceLock<Option<aho_corasick::packed::Searcher>>>,
    /// Per byte value, the heads that start with it (bit `k` for head `k`), for
    /// the search of the first [`NAIVE_BYTES`]; `None` past 128 heads, which are
    /// then searched one by one.
    firsts: Option<Arc<[u128; 256]>>,
    /// With `firsts`, when every head has four bytes or more: a bit per
    /// [`quad_slot`] of the heads' first four bytes. The naive search then
    /// tests one bit per byte, and compares heads only where it is set, not
    /// wherever a head's first byte is (`c`, `d`, `l`, `x` in most code).
    quads: Option<Arc<[u64; QUAD_WORDS]>>,
    /// Per head (with `firsts`), the literals that hold it, built on the first
    /// head found: a head is an answer only where one of them is whole around it.
    holders: Arc<OnceLock<Option<Holders>>>,
    /// Bytes this scanner may still search without the SIMD searcher.
    naive_left: usize,
}

/// The literals the prefilter stands for: the detector's and those that start a
/// member written in text. The heads are chosen from them and a head found is
/// confirmed by them ([`BlobScanner::whole_at`]), so both read this one list.
fn literals(detector: &Detector) -> impl Iterator<Item = &[u8]> {
    let members = embedded::literals().map(|l| -> &[u8] { l });
    detector.literals().chain(members)
}

/// The heads of the detector's literals and of the members written in text,
/// placed by `weights`.
fn computed_heads(detector: &Detector, weights: Weights) -> Vec<Cow<'static, [u8]>> {
    let heads = crate::detect::keywords::head_set(literals(detector))
        .into_iter()
        .map(|h| Cow::Owned(h.to_vec()))
        .collect();
    // The search asks only whether a blob holds one: any order will do, and
    // this one keeps Teddy's buckets from firing on ordinary text.
    crate::detect::buckets::packed_order(heads, weights)
}

/// [`computed_heads`] of a user's rules, computed once for all the scanners
/// that share them: every worker thread builds a scanner, and placing the
/// heads in Teddy's buckets costs millions of instructions. The last rules'
/// heads are kept, by their fingerprint; a scanner that comes while they are
/// computed waits for them.
fn shared_computed_heads(detector: &Detector) -> Arc<Vec<Cow<'static, [u8]>>> {
    type Last = Option<(u64, Arc<Vec<Cow<'static, [u8]>>>)>;
    static LAST: Mutex<Last> = Mutex::new(None);
    let fingerprint = crate::decode::trigger_fingerprint(detector.rules());
    let mut last = LAST.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((f, heads)) = &*last
        && *f == fingerprint
    {
        return heads.clone();
    }
    let heads = Arc::new(computed_heads(detector, Weights::Bytes));
    *last = Some((fingerprint, heads.clone()));
    heads
}

/// [`computed_heads`] of the built-in rules' detector, read from data a test
/// keeps current (`builtin_heads.rs`), when the rules are those (the same
/// fingerprint as the built-in triggers'): choosing them was 100,000 of the 1.3
/// million instructions of `dir` on one small file.
fn builtin_heads(rules: &crate::rules::RuleSet) -> Option<Vec<Cow<'static, [u8]>>> {
    use builtin_heads::{BYTES, FINGERPRINT, HEADS};
    (crate::decode::trigger_fingerprint(rules) == FINGERPRINT).then(|| {
        HEADS
            .iter()
            .map(|&(start, len)| Cow::Borrowed(&BYTES[usize::from(start)..][..usize::from(len)]))
            .collect()
    })
}

/// The text of `builtin_heads.rs` for the built-in rules.
#[cfg(test)]
fn render_builtin_heads(detector: &Detector) -> String {
    let heads = computed_heads(detector, Weights::Common);
    let rows: Vec<(&[u8], String)> = heads.iter().map(|h| (&h[..], String::new())).collect();
    crate::decode::render_data(
        "The built-in rules' search heads (`super::computed_heads`)",
        crate::decode::trigger_fingerprint(detector.rules()),
        "HEADS: [(u16, u8)",
        "(start in `BYTES`, length) of each head",
        &rows,
    )
}

/// Bytes a scanner searches head by head before it builds the heads' searcher.
const NAIVE_BYTES: usize = 64 << 10;

/// Per head, the literals that hold it and where they start before it: the
/// prefilter compares them wherever it finds the head.
struct Holders {
    /// The literals' bytes, one after the other.
    bytes: Vec<u8>,
    /// (start in `bytes`, length, the head's offset in the literal), by head.
    holders: Vec<(u32, u32, u32)>,
    /// Where each head's holders start in `holders` (and, at `k + 1`, end).
    first: Vec<u32>,
}

/// Literals one blob's prefilter compares around the heads it finds, before it
/// takes a head for a literal.
const CONFIRMS: usize = 4096;

/// The bits of [`BlobScanner::quads`]: 4,096, so that 32 heads left a byte
/// of ordinary text a one-in-a-hundred chance of a comparison (47 heads, one
/// in ninety).
const QUAD_WORDS: usize = 64;

/// Where four bytes fall in [`BlobScanner::quads`] (a multiplicative hash).
fn quad_slot(four: [u8; 4]) -> usize {
    (u32::from_le_bytes(four).wrapping_mul(0x9e37_79b1) >> 20) as usize
}

/// The first position at or after `from` whose four bytes have their bit set
/// in `quads`. A function of its own, so that its loop keeps its few values
/// in registers (inlined in the blob scan, it spilled them: 17 instructions a
/// byte).
#[inline(never)]
fn next_quad(data: &[u8], from: usize, quads: &[u64; QUAD_WORDS]) -> Option<usize> {
    let at = data.get(from..)?.windows(4).position(|w| {
        let slot = quad_slot(w.try_into().expect("four bytes"));
        quads[slot / 64] >> (slot % 64) & 1 == 1
    })?;
    Some(from + at)
}

impl BlobScanner {
    /// Archives are unpacked within `limits` (members as large as other files,
    /// `--max-file-size`; `--max-archive-*`).
    pub fn new(detector: Detector, limits: archive::Limits) -> BlobScanner {
        let heads = match builtin_heads(detector.rules()) {
            Some(heads) => Arc::new(heads),
            None => shared_computed_heads(&detector),
        };
        let firsts = (heads.len() <= 128).then(|| {
            let mut firsts = [0u128; 256];
            for (k, h) in heads.iter().enumerate() {
                firsts[usize::from(h[0])] |= 1 << k;
            }
            Arc::new(firsts)
        });
        let quads = (firsts.is_some() && heads.iter().all(|h| h.len() >= 4)).then(|| {
            let mut quads = [0u64; QUAD_WORDS];
            for h in heads.iter() {
                let slot = quad_slot([h[0], h[1], h[2], h[3]]);
                quads[slot / 64] |= 1 << (slot % 64);
            }
            Arc::new(quads)
        });
        BlobScanner {
            detector,
            limits,
            binary: false,
            located: Vec::new(),
            heads,
            any: Arc::new(OnceLock::new()),
            firsts,
            quads,
            naive_left: NAIVE_BYTES,
            holders: Arc::new(OnceLock::new()),
        }
    }

    /// The heads' searcher (built on first use).
    fn searcher(&self) -> Option<&aho_corasick::packed::Searcher> {
        self.any
            .get_or_init(|| crate::detect::keywords::teddy(&self.heads))
            .as_ref()
    }

    /// Whether a member is left unread for looking binary ([`looks_binary`]),
    /// unless binary members are asked for ([`BlobScanner::binary`]).
    fn skips_binary(&self, data: &[u8], name: &str) -> bool {
        !self.binary && looks_binary(data, name)
    }

    /// [`Holders`] of this scanner's heads; `None` past 128 heads (no
    /// `firsts`), where a head found answers for its literals.
    fn holders(&self) -> Option<&Holders> {
        self.holders.get_or_init(|| self.new_holders()).as_ref()
    }

    /// [`Holders`] of this scanner's heads, from the literals they stand for.
    #[inline(never)]
    fn new_holders(&self) -> Option<Holders> {
        let firsts = self.firsts.as_deref()?;
        let mut bytes = Vec::new();
        // (head, start in `bytes`, length, the head's offset in it)
        let mut entries: Vec<(u32, u32, u32, u32)> = Vec::new();
        // A four-byte head as one number: compared where a literal's four
        // bytes have their quad bit set (most heads share a first byte with
        // others, and a slice comparison each was most of the cost).
        let four = |b: &[u8]| Some(u32::from_le_bytes(b.get(..4)?.try_into().ok()?));
        let words: Vec<Option<u32>> = self
            .heads
            .iter()
            .map(|h| four(h).filter(|_| h.len() == 4))
            .collect();
        for literal in literals(&self.detector) {
            let start = bytes.len() as u32;
            bytes.extend_from_slice(literal);
            for (at, &b) in literal.iter().enumerate() {
                let word = four(&literal[at..]);
                // Every head has four bytes where there are quads.
                if let Some(quads) = self.quads.as_deref() {
                    let Some(word) = word else { break };
                    let slot = quad_slot(word.to_le_bytes());
                    if quads[slot / 64] >> (slot % 64) & 1 == 0 {
                        continue;
                    }
                }
                let mut heads = firsts[usize::from(b)];
                while heads != 0 {
                    let k = heads.trailing_zeros();
                    heads &= heads - 1;
                    let held = match words[k as usize] {
                        Some(w) => word == Some(w),
                        None => literal[at..].starts_with(&self.heads[k as usize]),
                    };
                    if held {
                        entries.push((k, start, literal.len() as u32, at as u32));
                    }
                }
            }
        }
        entries.sort_unstable_by_key(|e| e.0);
        let mut first = vec![0u32; self.heads.len() + 1];
        for e in &entries {
            first[e.0 as usize + 1] += 1;
        }
        for k in 0..self.heads.len() {
            first[k + 1] += first[k];
        }
        let holders = entries.into_iter().map(|(_, s, l, a)| (s, l, a)).collect();
        Some(Holders {
            bytes,
            holders,
            first,
        })
    }

    /// Whether a literal is whole around a head found at `i`: `None` when that
    /// is not known (no [`Holders`]) or `left`, the comparisons one blob may
    /// spend, runs out (a blob of heads with no literal, such as `7863` repeated,
    /// is then passed on as a blob with a literal, as if nothing were compared).
    fn whole_at(&self, data: &[u8], i: usize, left: &mut usize) -> Option<bool> {
        let (firsts, h) = (self.firsts.as_deref()?, self.holders()?);
        let mut heads = firsts[usize::from(data[i])];
        while heads != 0 {
            let k = heads.trailing_zeros() as usize;
            heads &= heads - 1;
            if !data[i..].starts_with(&self.heads[k]) {
                continue;
            }
            for &(start, len, at) in &h.holders[h.first[k] as usize..h.first[k + 1] as usize] {
                *left = left.checked_sub(1)?;
                let literal = &h.bytes[start as usize..][..len as usize];
                if i >= at as usize && data[i - at as usize..].starts_with(literal) {
                    return Some(true);
                }
            }
        }
        Some(false)
    }

    /// Whether `data` holds one of the literals the heads stand for; `None`
    /// when that cannot be told in one search (no searcher), and the detector
    /// then looks for itself.
    fn holds_head(&mut self, data: &[u8]) -> Option<bool> {
        let mut left = CONFIRMS;
        if self.any.get().is_none() && data.len() <= self.naive_left {
            self.naive_left -= data.len();
            if self.firsts.is_none() {
                return Some(
                    self.heads
                        .iter()
                        .any(|h| memchr::memchr_iter(h[0], data).any(|i| data[i..].starts_with(h))),
                );
            };
            // A table lookup per byte, not a `memchr` per head: that is as fast
            // on a few kilobytes, and a hook run whose files hold no head then
            // never asks which SIMD instructions the CPU has. std asks with a
            // dozen `cpuid` instructions, each a trap to the hypervisor on a
            // virtual machine: about 45 µs, a thirtieth of `dir` on one small file.
            let mut whole_at = |i: usize| self.whole_at(data, i, &mut left) != Some(false);
            return Some(match &self.quads {
                Some(quads) => {
                    let mut from = 0;
                    loop {
                        match next_quad(data, from, quads) {
                            Some(i) if whole_at(i) => break true,
                            Some(i) => from = i + 1,
                            None => break false,
                        }
                    }
                }
                None => (0..data.len()).any(whole_at),
            });
        }
        let searcher = self.searcher()?;
        let mut from = 0;
        while let Some(m) = searcher.find_in(data, aho_corasick::Span::from(from..data.len())) {
            if self.whole_at(data, m.start(), &mut left) != Some(false) {
                return Some(true);
            }
            from = m.start() + 1;
        }
        Some(false)
    }

    /// Scans one blob's bytes. `name` is its path when known (archives are then
    /// also recognised by their extension, notebooks need it); `label` names it in
    /// messages. Findings (content rules on the bytes or on each archive member,
    /// path rules on members' names; not path rules on the blob's own name) are
    /// appended to `out`, relative to the blob. Bytes with no rule keyword or
    /// decoding trigger, and that are no archive, cost one multi-literal search.
    pub fn scan(
        &mut self,
        data: &[u8],
        name: Option<&str>,
        label: &str,
        stats: &Stats,
        out: &mut Vec<Found>,
    ) {
        let budget = Cell::new(self.limits.total);
        self.nested(data, name, None, &[], label, 0, &budget, stats, out);
    }

    #[allow(clippy::too_many_arguments)]
    fn nested(
        &mut self,
        data: &[u8],
        name: Option<&str>,
        member: Option<&str>,
        hops: &[Hop],
        label: &str,
        depth: usize,
        budget: &archive::Budget,
        stats: &Stats,
        out: &mut Vec<Found>,
    ) {
        let prov = Provenance {
            source: SourceKind::File,
            path: member.map(str::to_string),
            commit: None,
            unreached: None,
        };
        if member.is_some() {
            let mut found = Vec::new();
            self.detector.detect_path(&prov, &mut found);
            out.extend(found.into_iter().map(|mut finding| {
                finding.hops = hops.to_vec();
                Found { finding }
            }));
        }
        if let Some(kind) = archive::kind(name.unwrap_or(""), data) {
            if depth >= self.limits.depth {
                archive::event::depth_limit(label, self.limits.depth);
                return;
            }
            let limits = self.limits;
            archive::expand(
                kind,
                data,
                name.unwrap_or(""),
                label,
                &limits,
                budget,
                &mut |bytes, inner| {
                    if self.skips_binary(bytes, inner) {
                        return;
                    }
                    let path = member_of(member, inner);
                    // The one member of a `.gz` whose name is not known yet.
                    let inner_name = (!inner.is_empty()).then_some(inner);
                    let label = format!("{label}!{inner}");
                    let mut hops = hops.to_vec();
                    // A gzip stream holds one member named after the file, or a
                    // tar archive's members (`.tar.gz`).
                    let single =
                        inner.is_empty() || inner == archive::gz_member(name.unwrap_or(""));
                    hops.push(Hop {
                        kind: match kind {
                            archive::Kind::Gzip if !single => HopKind::TarGz,
                            _ => hop_kind(kind),
                        },
                        member: inner.to_string(),
                    });
                    self.nested(
                        bytes,
                        inner_name,
                        Some(&path),
                        &hops,
                        &label,
                        depth + 1,
                        budget,
                        stats,
                        out,
                    );
                },
            );
            return;
        }
        // Containers written in the text (`data:` URIs, base64 of gzip, an HTML
        // page's scripts, a notebook's cells) are members; the blob's own findings
        // in their spans are left to them.
        let notebook = notebook::is_notebook(data);
        let head = self.holds_head(data);
        let literals = head.unwrap_or_else(|| self.detector.has_candidate(data));
        // Without a literal, a long encoded run may still hide a key in any
        // nesting of layers ([`decode::runs`]; javascript-obfuscator's string
        // array is known by one too, its decoder's alphabet); then only the
        // runs are read.
        let runs = !literals && decode::runs::any(data);
        if !(notebook || embedded::always(data) || head != Some(false) || runs) {
            return;
        }
        let mut located = std::mem::take(&mut self.located);
        // The members first, each scanned once as a file is: the blob's own
        // pass then skips their spans (a `data:` URI's base64, an inline
        // script's text were decoded and searched twice, once for findings the
        // member reports anyway).
        let mut members: Vec<(usize, usize)> = Vec::new();
        if depth < self.limits.depth {
            let mut each = |e: embedded::Embedded| {
                members.push((e.start, e.end));
                self.embedded(&e, member, hops, label, depth, budget, stats, out);
            };
            if notebook {
                notebook::cells(data).into_iter().for_each(&mut each);
            } else {
                embedded::find(data, &mut each);
            }
        }
        let mut placeholders = 0;
        if literals || runs {
            placeholders = decode::detect_in(
                &self.detector,
                data,
                &prov,
                label,
                literals,
                &members,
                &mut located,
            );
        }
        // Findings are in offset order and so are members: one merge-like walk
        // drops any that starts in a member's span (a match that begins before
        // a member and runs into it is the blob's).
        if !members.is_empty() {
            let mut spans = members.iter().peekable();
            located.retain(|l| {
                while spans.next_if(|&&(_, end)| end <= l.start).is_some() {}
                spans.peek().is_none_or(|&&(start, _)| l.start < start)
            });
        }
        Stats::add(&stats.placeholders, placeholders);
        origin::attach(data, &mut located);
        out.extend(located.drain(..).map(|mut l| {
            l.finding.hops = hops.to_vec();
            // The logical member an origin names: a source map's source.
            if let Some(o) = &l.finding.origin {
                l.finding.hops.push(Hop {
                    kind: HopKind::SourceMap,
                    member: o.path.clone(),
                });
            }
            Found { finding: l.finding }
        }));
        self.located = located;
    }

    /// Scans one member written in a blob's text (see [`embedded`]); a script's
    /// findings keep the page's lines and columns.
    #[allow(clippy::too_many_arguments)]
    fn embedded(
        &mut self,
        e: &embedded::Embedded,
        member: Option<&str>,
        hops: &[Hop],
        label: &str,
        depth: usize,
        budget: &archive::Budget,
        stats: &Stats,
        out: &mut Vec<Found>,
    ) {
        if let std::borrow::Cow::Owned(bytes) = &e.bytes {
            let (left, n) = (budget.get(), bytes.len() as u64);
            if n > left {
                budget.set(0);
                archive::event::budget_spent(&format!("{label}!{}", e.name), self.limits.total);
                return;
            }
            budget.set(left - n);
        }
        // Text with nothing in it (no keyword, trigger or member) costs no more.
        if !matches!(e.what, embedded::What::Base64 | embedded::What::Hex)
            && (self.skips_binary(&e.bytes, &e.name)
                || !(decode::worth_decoding(&self.detector, &e.bytes)
                    || embedded::may_hold_members(&e.bytes)
                    || notebook::is_notebook(&e.bytes)
                    || archive::kind(&e.name, &e.bytes).is_some()))
        {
            return;
        }
        let label = format!("{label}!{}", e.name);
        let path = member_of(member, &e.name);
        let before = out.len();
        let mut hops = hops.to_vec();
        hops.push(Hop {
            kind: match e.what {
                embedded::What::Data => HopKind::DataUri,
                embedded::What::Base64 => HopKind::Base64,
                embedded::What::Hex => HopKind::Hex,
                embedded::What::Cell => HopKind::Notebook,
                embedded::What::Script { .. } => HopKind::HtmlScript,
            },
            member: e.name.clone(),
        });
        self.nested(
            &e.bytes,
            Some(&e.name),
            Some(&path),
            &hops,
            &label,
            depth + 1,
            budget,
            stats,
            out,
        );
        if let embedded::What::Script { line, column } = e.what {
            for f in &mut out[before..] {
                if f.member() == Some(path.as_str()) {
                    f.shift(line, column);
                }
            }
        }
    }
}

/// The display path of `inner` inside the member `member` of a blob (`a.zip!b.js`),
/// or `inner` itself inside the blob's own bytes.
fn member_of(member: Option<&str>, inner: &str) -> String {
    match member {
        Some(m) => format!("{m}!{inner}"),
        None => inner.to_string(),
    }
}

/// The hop an archive of `kind` makes.
fn hop_kind(kind: archive::Kind) -> HopKind {
    match kind {
        archive::Kind::Zip => HopKind::Zip,
        archive::Kind::Tar => HopKind::Tar,
        archive::Kind::Gzip => HopKind::Gzip,
        archive::Kind::Brotli => HopKind::Brotli,
        archive::Kind::Zstd => HopKind::Zstd,
        archive::Kind::Deflate => HopKind::Deflate,
        archive::Kind::Bzip2 => HopKind::Bzip2,
        archive::Kind::Xz => HopKind::Xz,
    }
}

/// Text that is not a file (a commit or tag message): content rules through the
/// decoding layers, findings appended to `out` with provenance `prov`.
pub fn scan_text(
    detector: &Detector,
    data: &[u8],
    prov: &Provenance,
    stats: &Stats,
    out: &mut Vec<Finding>,
) {
    if !decode::worth_decoding(detector, data) {
        return;
    }
    let mut located = Vec::new();
    Stats::add(
        &stats.placeholders,
        decode::detect(detector, data, prov, &mut located),
    );
    out.extend(located.into_iter().map(|l| l.finding));
}

/// One worker's blob scanner and the sink its findings go to: what `dir`, `stdin`
/// and `url` hand each blob, with its path, to.
pub struct Scanner {
    pub blobs: BlobScanner,
    pub sink: Sink,
    found: Vec<Found>,
    findings: Vec<Finding>,
}

impl Scanner {
    pub fn new(detector: Detector, sink: Sink) -> Scanner {
        Scanner {
            blobs: BlobScanner::new(detector, archive::Limits::default()),
            sink,
            found: Vec::new(),
            findings: Vec::new(),
        }
    }

    /// Archives are unpacked within `limits` (`--max-file-size`, `--max-archive-*`).
    pub fn with_limits(mut self, limits: archive::Limits) -> Scanner {
        self.blobs.limits = limits;
        self
    }

    /// Members that look binary are scanned too (see [`BlobScanner::binary`]).
    pub fn with_binary(mut self, binary: bool) -> Scanner {
        self.blobs.binary = binary;
        self
    }

    /// Scans one blob whose place is known: path rules on its name, then the
    /// [`BlobScanner`] treatment, findings placed at `prov` and handed to the sink.
    pub fn scan_blob(&mut self, data: &[u8], prov: &Provenance) {
        self.blobs.detector.detect_path(prov, &mut self.findings);
        let path = prov.path.as_deref();
        let stats = &self.sink.stats;
        self.blobs
            .scan(data, path, path.unwrap_or(""), stats, &mut self.found);
        self.findings
            .extend(self.found.drain(..).map(|f| f.place(prov)));
        self.sink.put(&mut self.findings);
    }
}

/// The build-output folder (`dist`, `.next`, …) a file sits in, if any.
fn build_dir(prov: &Provenance) -> Option<&'static str> {
    if prov.source == SourceKind::Url {
        return None;
    }
    let path = prov.path.as_deref()?;
    let outer = path.split('!').next().unwrap_or(path);
    let mut dirs = outer.split('/');
    // The last component is the file itself.
    dirs.next_back();
    dirs.find_map(|c| BUILD_DIRS.iter().find(|b| **b == c).copied())
}

/// Whether a blob is binary and not worth scanning: a NUL near the start, unless it
/// is UTF-16 text, an archive or a WebAssembly module (they have NULs and are
/// scanned).
pub fn looks_binary(data: &[u8], name: &str) -> bool {
    let peek = &data[..data.len().min(BINARY_PEEK)];
    if memchr::memchr(0, peek).is_none() {
        return false;
    }
    !(is_utf16_text(peek)
        || is_utf32_text(peek)
        || is_wasm(data)
        || archive::kind(name, data).is_some())
}

/// A WebAssembly module (its magic and version 1, whatever its name): code a
/// site ships to browsers like its scripts, whose data segments hold its
/// string constants as bytes (UTF-8 as C, Rust and Go lay them out, UTF-16 as
/// AssemblyScript does).
fn is_wasm(data: &[u8]) -> bool {
    data.starts_with(b"\0asm\x01\0\0\0")
}

/// UTF-32 text: a byte-order mark, or most 4-byte units an ASCII character with
/// three NULs on the same side.
fn is_utf32_text(peek: &[u8]) -> bool {
    if peek.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return true;
    }
    let units = peek.chunks_exact(4);
    let n = units.len();
    let (mut le, mut be) = (0usize, 0usize);
    for u in units {
        match u {
            [c, 0, 0, 0] if *c != 0 => le += 1,
            [0, 0, 0, c] if *c != 0 => be += 1,
            _ => {}
        }
    }
    n > 0 && le.max(be) * 4 >= n * 3
}

/// UTF-16 text: a byte-order mark, or NULs on one parity only and plenty of them
/// (ASCII characters in UTF-16 have a NUL byte).
fn is_utf16_text(peek: &[u8]) -> bool {
    if peek.starts_with(&[0xFF, 0xFE]) || peek.starts_with(&[0xFE, 0xFF]) {
        return true;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for (i, &b) in peek.iter().enumerate() {
        if b == 0 {
            if i % 2 == 0 { even += 1 } else { odd += 1 }
        }
    }
    let (many, few) = (even.max(odd), even.min(odd));
    many * 4 >= peek.len() / 2 && few * 50 <= many
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in rules' heads kept as data are the ones computed for them:
    /// `QRCP_UPDATE_TRIGGERS=1 cargo test builtin` writes the data again.
    #[test]
    fn builtin_heads_are_current() {
        let rules = std::sync::Arc::new(crate::rules::RuleSet::load(&[] as &[&str]).unwrap());
        let detector = crate::decode::detector(rules.clone()).unwrap();
        crate::decode::keep_current(
            "src/source/builtin_heads.rs",
            &render_builtin_heads(&detector),
        );
        assert_eq!(
            builtin_heads(&rules),
            Some(computed_heads(&detector, Weights::Common))
        );
        let mut other = crate::rules::RuleSet::load(&[] as &[&str]).unwrap();
        other.rules[0].spec.keywords.push("zzzz_".to_string());
        assert_eq!(builtin_heads(&other), None);
    }

    /// A scanner of the built-in rules with the default limits.
    fn builtin_scanner() -> BlobScanner {
        let rules = std::sync::Arc::new(crate::rules::RuleSet::load(&[] as &[&str]).unwrap());
        BlobScanner::new(
            crate::decode::detector(rules).unwrap(),
            archive::Limits::default(),
        )
    }

    /// A user's secret rule with a keyword of its own keeps the search on
    /// Teddy: the triggers that need heads of their own (ROT13, reversed,
    /// base64 twice and of UTF-16) give way first, cheapest first.
    #[test]
    fn a_users_keyword_keeps_the_search_on_teddy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("acme.toml");
        std::fs::write(
            &path,
            "[[rule]]\nid = \"acme\"\nkind = \"secret\"\nname = \"ACME\"\n\
             severity = \"error\"\nkeywords = [\"acme_\"]\npattern = 'acme_[a-z0-9]{24}'\n\
             examples = [\"t = acme_k3j4h5g6f7d8s9a0q1w2e3r4\"]\n",
        )
        .unwrap();
        let rules = std::sync::Arc::new(crate::rules::RuleSet::load(&[&path]).unwrap());
        let triggers = crate::decode::triggers(&rules);
        let det = crate::decode::detector(rules).unwrap();
        // The detector's own search too: it groups literals by their first
        // bytes only, and can need more patterns than the prefilter's heads.
        assert!(
            det.packed(),
            "the detector's search fell back to the automaton"
        );
        let s = BlobScanner::new(det, archive::Limits::default());
        assert!(
            s.heads.len() <= crate::detect::keywords::MAX_TEDDY,
            "{} heads",
            s.heads.len()
        );
        assert!(s.searcher().is_some());
        // The cheapest kept: ROT13 of both keywords.
        for p in [&b"depc_yvir_"[..], b"npzr_"] {
            assert!(triggers.iter().any(|t| t.pattern == p), "{p:?}");
        }
    }

    /// The built-in rules' literals and the member finder's fit one Teddy
    /// search: most blobs are read by it alone.
    #[test]
    fn one_search_decides_whether_a_blob_needs_a_pass() {
        let s = builtin_scanner();
        let any = s.searcher().expect("the heads fit Teddy");
        // Past 32 heads Teddy takes its 16-bucket form (`dir` took 14% more
        // CPU time for base64 of base64, of UTF-16, ROT13 and reversed keys);
        // past `MAX_TEDDY` there is no Teddy.
        let heads = &s.heads;
        assert!(
            heads.len() <= crate::detect::keywords::MAX_TEDDY,
            "{} heads: {heads:?}",
            heads.len()
        );
        assert!(any.find(b"x = 1; const y = 'nothing here';").is_none());
        for hit in [
            &b"a qrcp_live_x"[..],
            b"src=data:text/js,1",
            b"H4sIAAAA",
            b"q\0r\0c\0p\0_\0l\0i\0v\0e\0_\0",
            b"\0q\0r\0c\0p\0_\0t\0e\0s\0t\0_",
            b"717263705f6c6976655f",
            b"113,114,99,112",
            b"Y1hKamNGOXNhWFpsW",
            b"cQByAGMAcABfAGwAaQB2AGUAXw",
            b"depc_yvir_",
            b"Ab_evil_pcrq",
        ] {
            assert!(any.find(hit).is_some(), "{hit:?}");
            // The same answer head by head (the first bytes a scanner reads).
            let mut fresh = s.clone();
            fresh.any = Arc::new(OnceLock::new());
            assert_eq!(fresh.holds_head(hit), Some(true), "{hit:?}");
            assert!(fresh.any.get().is_none());
        }
        let mut fresh = s.clone();
        fresh.any = Arc::new(OnceLock::new());
        assert_eq!(
            fresh.holds_head(b"x = 1; const y = 'nothing here';"),
            Some(false)
        );
        // A script's text is the page's: without a literal, nothing to look at.
        assert_eq!(
            fresh.holds_head(b"<template/><script>let y = 1</script>"),
            Some(false)
        );
        // Past its budget a scanner builds the searcher.
        let big = vec![b'x'; NAIVE_BYTES];
        assert_eq!(fresh.holds_head(&big), Some(false));
        assert!(fresh.any.get().is_some());
    }

    /// Both searches of the prefilter (the naive one of a scanner's first
    /// bytes, a bit per four bytes then the heads compared, and Teddy's) answer
    /// whether a literal is whole in the blob: every literal wherever it sits,
    /// not a head alone (`7863` of a number, for hex `78636d4e`), and text made
    /// of the literals' pieces either way.
    #[test]
    fn the_prefilter_answers_whether_a_literal_is_whole() {
        let s = builtin_scanner();
        assert!(
            s.quads.is_some(),
            "the built-in heads have four bytes or more"
        );
        assert!(s.searcher().is_some(), "the heads fit Teddy");
        let both = |data: &[u8]| {
            let mut naive = s.clone();
            naive.any = Arc::new(OnceLock::new());
            let mut teddy = s.clone();
            teddy.naive_left = 0;
            let answer = naive.holds_head(data);
            assert!(naive.any.get().is_none());
            assert_eq!(teddy.holds_head(data), answer, "{data:?}");
            answer
        };
        let literals: Vec<&[u8]> = super::literals(&s.detector).collect();
        let whole = |data: &[u8]| {
            literals
                .iter()
                .any(|l| data.windows(l.len()).any(|w| w == *l))
        };
        for literal in &literals {
            for (before, after) in [("", ""), ("ab", ""), ("", "cd"), ("x = '", "';")] {
                let data = [before.as_bytes(), literal, after.as_bytes()].concat();
                assert_eq!(both(&data), Some(true), "{data:?}");
            }
            // One byte short at the end: there only if a shorter literal is.
            let short = &literal[..literal.len() - 1];
            assert_eq!(both(short), Some(whole(short)), "{short:?}");
        }
        for head in s.heads.iter() {
            let data = [b"x = 1", &head[..], b"9;"].concat();
            assert_eq!(both(&data), Some(whole(&data)), "{data:?}");
        }
        assert_eq!(both(b"var n = 178634, m = 7172;"), Some(false));
        // Text cut from the literals' own bytes, so that first bytes, slots and
        // heads are met often.
        let pieces: Vec<u8> = literals.iter().flat_map(|l| l.iter().copied()).collect();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let (mut hits, mut heads) = (0, 0);
        for _ in 0..4_000 {
            let mut data = Vec::new();
            for _ in 0..8 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = (x % pieces.len() as u64) as usize;
                let len = ((x >> 32) % 12) as usize;
                data.extend_from_slice(&pieces[at..(at + len).min(pieces.len())]);
                data.push(b" .x"[(x >> 40) as usize % 3]);
            }
            let want = whole(&data);
            hits += usize::from(want);
            heads += usize::from(
                !want
                    && s.heads
                        .iter()
                        .any(|h| data.windows(h.len()).any(|w| w == &h[..])),
            );
            assert_eq!(both(&data), Some(want), "{data:?}");
        }
        assert!(hits > 100 && hits < 3_900, "{hits} of 4,000 held a literal");
        assert!(heads > 100, "{heads} of 4,000 held a head alone");
    }

    /// Past [`CONFIRMS`] comparisons, a blob of heads with no literal around
    /// them is taken for one that holds a literal: the prefilter's work stays
    /// bounded, and the passes after it look for themselves.
    #[test]
    fn lone_heads_cost_a_bounded_number_of_comparisons() {
        let mut s = builtin_scanner();
        s.naive_left = 0;
        let few = b"n = [7863, 7863, 7863];".to_vec();
        assert_eq!(s.holds_head(&few), Some(false));
        let many = b"7863,".repeat(CONFIRMS);
        assert_eq!(s.holds_head(&many), Some(true));
        let mut naive = builtin_scanner();
        assert_eq!(naive.holds_head(&many), Some(true));
        assert!(naive.any.get().is_none());
    }

    #[test]
    fn build_dirs_and_binary_sniffing() {
        let p = |s: &str| Provenance::file(s.into());
        assert_eq!(build_dir(&p("web/dist/app.js")), Some("dist"));
        assert_eq!(build_dir(&p(".next/static/x.js")), Some(".next"));
        assert_eq!(build_dir(&p("src/dist.js")), None);
        assert_eq!(build_dir(&p("pkg.tgz!package/dist/x.js")), None);
        assert!(looks_binary(b"\x89PNG\0\0\0", "a.png"));
        let utf16: Vec<u8> = "hello = world\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(!looks_binary(&utf16, "a.txt"));
        for be in [false, true] {
            let utf32: Vec<u8> = "hello = world\n"
                .chars()
                .flat_map(|c| {
                    if be {
                        (c as u32).to_be_bytes()
                    } else {
                        (c as u32).to_le_bytes()
                    }
                })
                .collect();
            assert!(!looks_binary(&utf32, "a.txt"));
        }
        assert!(!looks_binary(b"PK\x03\x04\0\0", "a.bin"));
    }
}
