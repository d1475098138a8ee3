//! Bounded same-file resolution for reassembly: esbuild and friends emit
//! `` `qrcp_live_${e}` `` or `["qrcp_live_",o()].join("")` with `var e="…"` or
//! `function o(){return"…"}` elsewhere in the same file (and a shell script or
//! dotenv file `B=…` with `K=qrcp_live_$B`). The index of string
//! literals bound to identifiers is built lazily per 256 KiB chunk, only around
//! triggers that need it, each chunk at most once per blob (linear), and a lookup
//! reads a fixed number of entries (never a rescan per candidate). Candidates
//! come in offset order, so only the last few chunks are kept: memory is bounded
//! by the chunk size, not by how many names a file defines.

use std::hash::BuildHasher;
use std::sync::OnceLock;

use regex::bytes::Regex;

/// Bytes per indexed chunk; a lookup reads the chunk of the trigger and its two
/// neighbours, so definitions up to 256 KiB away are seen.
const CHUNK: usize = 256 << 10;
/// Bytes before a chunk where a match whose name is in the chunk may start
/// (`export` and blanks before a shell name).
const CONTEXT: usize = 64;
/// Definitions of one name kept per chunk (minified code reuses short names).
const PER_NAME: usize = 8;
/// Chunks kept below the last one indexed. A lookup reads its chunk and the
/// two beside it; lookups are at most [`USES_WITHIN`] plus a window apart
/// out of order (candidates come in order; a bound name's uses are ahead of
/// it), so the chunk a lookup needs is never one dropped.
const KEPT: usize = 3;
/// Longest identifier whose uses are indexed (names are read up to 128 bytes).
const MAX_NAME: usize = 128;
/// Longest literal bound to a name that is indexed.
const MAX_LITERAL: usize = 256;

/// `name = "…"`, `var|let|const name = "…"`, `name = () => "…"`,
/// `function name() { return "…" }`; the quotes may be JSON-escaped (`\"`), as in
/// a source map's `sourcesContent`.
fn definition() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"(?-u)(?:function[ \t]+([A-Za-z_$][\w$]*)[ \t]*\([ \t]*\)[ \t]*\{[ \t]*return[ \t]*|(?:^|[^\w$.])([A-Za-z_$][\w$]*)[ \t]*=[ \t]*(?:\([ \t]*\)[ \t]*=>[ \t]*)?)\\?(?:"([^"\\\n]{1,256})\\?"|'([^'\\\n]{1,256})\\?'|`([^`\\$\n]{1,256})`)"#,
        )
        .expect("identifier definition pattern")
    })
}

/// `NAME=value` unquoted at a line's start (`export` or not), as a shell
/// script or a dotenv file binds it (a quoted value is a [`definition`]).
fn shell_definition() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"(?m-u)^[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_]*=[^\s'"`$\\;&|<>(){}#]{1,256}(?:[ \t]|\r?$)"#,
        )
        .expect("shell definition pattern")
    })
}

/// (where the definition is, literal contents start, end).
type Def = (usize, usize, usize);

/// Where a definition's name and its literal's contents are in a match:
/// ((start, end), (start, end)), offsets in the match.
type Parts = fn(&[u8]) -> Option<((usize, usize), (usize, usize))>;

/// Bytes after a bound name's definition searched for its uses.
pub const USES_WITHIN: usize = 64 << 10;

/// The arrays bound to names in one chunk: where each opens (its `[`), in
/// order; and by the name's hash (hash, the name's span, the `[`), sorted by
/// hash and place.
#[derive(Default, Clone)]
struct Arrays {
    by_place: Vec<usize>,
    by_name: Vec<(u64, (usize, usize), usize)>,
}

/// The per-blob index; `Default` is empty, chunks are read on demand.
#[derive(Default)]
pub struct Idents {
    done: Vec<bool>,
    /// Per chunk kept (see [`KEPT`]): its definitions as (the name's hash, the
    /// name's length, the definition), sorted by hash and place, at most
    /// [`PER_NAME`] of a name. A map of names to their definitions allocated
    /// per name: a 16 MB file of distinct names peaked at 180 MB.
    defs: Vec<Vec<(u64, usize, Def)>>,
    /// Per chunk kept, once asked for: the arrays bound to names in it
    /// ([`Arrays`]).
    arrays: Vec<Option<Arrays>>,
    /// Chunks below this have been dropped.
    dropped: usize,
    /// Keyed per process: names are the input's, chosen by whoever wrote it.
    /// foldhash rather than std's SipHash: a chunk's every identifier is
    /// hashed, and SipHash's 200 instructions a short name were an eighth of
    /// a file of bound names' scan.
    hasher: foldhash::fast::RandomState,
    /// Per chunk whose identifiers were read: every whole identifier that
    /// starts in it (not a member, after a `.`), as (its hash, its length,
    /// where), sorted by hash and place. Searching each bound name's uses with
    /// its own pass read 64 KiB per distinct name, which a budget had to cap:
    /// past 2,000 distinct bound names a file's later uses were not searched,
    /// and a key joined there was missed without a word.
    uses: Vec<Option<Vec<(u64, usize, usize)>>>,
}

impl Idents {
    fn index_chunk(&mut self, data: &[u8], k: usize) {
        let n = data.len().div_ceil(CHUNK);
        if self.done.len() < n {
            self.done.resize(n, false);
            self.defs.resize(n, Vec::new());
        }
        if k >= n || self.done[k] {
            return;
        }
        self.done[k] = true;
        let lo = k * CHUNK;
        let hi = ((k + 1) * CHUNK).min(data.len());
        // Matches starting in this chunk may end in the next one.
        let end = (hi + MAX_LITERAL + 64).min(data.len());
        let hay = &data[..end];
        // The search starts a little before the chunk, in the whole text: a
        // match whose name is in this chunk may start before it (`export `,
        // the byte before the name), and `^` or the byte before a name must be
        // judged on the text as it is, not at a cut (where the tail of
        // `abcdef=…` would read as a definition of `def`).
        let from = lo.saturating_sub(CONTEXT);
        // The matches' spans (a DFA search), each read apart by `parts` or
        // `shell_parts`: asking the regex for the groups ran its backtracker on
        // every definition. A definition belongs to the chunk its name is in.
        let forms: [(&Regex, Parts); 2] =
            [(definition(), parts), (shell_definition(), shell_parts)];
        let mut found: Vec<(u64, usize, Def)> = Vec::new();
        for (re, read) in forms {
            let mut pos = from;
            while let Some(m) = re.find_at(hay, pos) {
                pos = m.end().max(m.start() + 1);
                let Some((name, lit)) = read(m.as_bytes()) else {
                    continue;
                };
                let name_at = m.start() + name.0;
                if name_at >= hi {
                    break;
                }
                if name_at < lo {
                    continue;
                }
                let bytes = &hay[name_at..m.start() + name.1];
                let at = m.start();
                found.push((
                    self.hasher.hash_one(bytes),
                    bytes.len(),
                    (at + name.0, at + lit.0, at + lit.1),
                ));
            }
        }
        // Each form's matches are in order; the first of a name are kept.
        found.sort_by_key(|&(h, _, d)| (h, d.0));
        let mut kept: Vec<(u64, usize, Def)> = Vec::with_capacity(found.len());
        let mut run = 0;
        for e in found {
            run = match kept.last() {
                Some(last) if last.0 == e.0 => run + 1,
                _ => 0,
            };
            if run < PER_NAME {
                kept.push(e);
            }
        }
        kept.shrink_to_fit();
        self.defs[k] = kept;
        self.drop_below(k);
    }

    /// Drops what is kept of chunks more than [`KEPT`] below `k`, the last
    /// chunk indexed (their `done` stays set: they are not read again).
    fn drop_below(&mut self, k: usize) {
        while self.dropped + KEPT < k {
            if let Some(d) = self.defs.get_mut(self.dropped) {
                *d = Vec::new();
            }
            if let Some(a) = self.arrays.get_mut(self.dropped) {
                *a = Some(Arrays::default());
            }
            if let Some(u) = self.uses.get_mut(self.dropped) {
                *u = Some(Vec::new());
            }
            self.dropped += 1;
        }
    }

    /// The whole identifiers that start in chunk `k` ([`Idents::uses`]): one
    /// pass over its bytes, once per blob.
    fn index_uses(&mut self, data: &[u8], k: usize) {
        let n = data.len().div_ceil(CHUNK);
        if self.uses.len() < n {
            self.uses.resize(n, None);
        }
        if k >= n || self.uses[k].is_some() {
            return;
        }
        let lo = k * CHUNK;
        let hi = ((k + 1) * CHUNK).min(data.len());
        let mut found = Vec::new();
        let mut i = lo;
        // An identifier running in from the chunk before is that chunk's.
        if lo > 0 && is_ident_byte(data[lo - 1]) {
            i += data[lo..].iter().take_while(|&&b| is_ident_byte(b)).count();
        }
        while i < hi {
            if !is_ident_byte(data[i]) {
                i += 1;
                continue;
            }
            let len = data[i..].iter().take_while(|&&b| is_ident_byte(b)).count();
            if len <= MAX_NAME && !(i > 0 && data[i - 1] == b'.') {
                found.push((self.hasher.hash_one(&data[i..i + len]), len, i));
            }
            i += len;
        }
        self.uses[k] = Some(by_hash(found));
        self.drop_below(k);
    }

    /// Where the array bound to `name` nearest to `at` (one before `at`
    /// preferred) opens, within the chunk of `at` and its neighbours.
    pub fn resolve_array(&mut self, data: &[u8], name: &[u8], at: usize) -> Option<usize> {
        let k = at / CHUNK;
        let ks = [k.checked_sub(1), Some(k), Some(k + 1)];
        for kk in ks.into_iter().flatten() {
            self.index_arrays(data, kk);
        }
        let h = self.hasher.hash_one(name);
        let mut best: Option<(bool, usize, usize)> = None;
        for kk in ks.into_iter().flatten() {
            let Some(Some(a)) = self.arrays.get(kk) else {
                continue;
            };
            // The name's arrays are in place order: the last before `at` and
            // the first after it (a few either way, past another name of the
            // same hash), not every one (a file may bind `p` thousands of times).
            let mid = a.by_name.partition_point(|e| (e.0, e.2) < (h, at));
            let same = |e: &&(u64, (usize, usize), usize)| e.0 == h && data[e.1.0..e.1.1] == *name;
            let before = a.by_name[..mid].iter().rev().take(PER_NAME).find(same);
            let after = a.by_name[mid..].iter().take(PER_NAME).find(same);
            for &(_, _, open) in before.into_iter().chain(after) {
                let key = (open > at, open.abs_diff(at), open);
                if best.is_none_or(|b| (key.0, key.1) < (b.0, b.1)) {
                    best = Some(key);
                }
            }
        }
        best.map(|b| b.2)
    }

    /// Where the last array bound to a name that opens before `at`, and at
    /// most `within` bytes before it, opens.
    pub fn array_before(&mut self, data: &[u8], at: usize, within: usize) -> Option<usize> {
        let lo = at.saturating_sub(within);
        for kk in (lo / CHUNK..=at / CHUNK).rev() {
            self.index_arrays(data, kk);
            let Some(Some(a)) = self.arrays.get(kk) else {
                continue;
            };
            let n = a.by_place.partition_point(|&b| b < at);
            if n > 0 {
                return Some(a.by_place[n - 1]).filter(|&b| b >= lo);
            }
        }
        None
    }

    /// The arrays bound to names whose `[` is in chunk `k` ([`Arrays`]): a
    /// `memchr` pass for `[`, each read back to `name =`; once per blob.
    fn index_arrays(&mut self, data: &[u8], k: usize) {
        let n = data.len().div_ceil(CHUNK);
        if self.arrays.len() < n {
            self.arrays.resize(n, None);
        }
        if k >= n || self.arrays[k].is_some() {
            return;
        }
        let lo = k * CHUNK;
        let hi = ((k + 1) * CHUNK).min(data.len());
        let mut a = Arrays::default();
        for b in memchr::memchr_iter(b'[', &data[lo..hi]).map(|b| lo + b) {
            let Some((s, e)) = bound_span(data, b) else {
                continue;
            };
            a.by_place.push(b);
            a.by_name
                .push((self.hasher.hash_one(&data[s..e]), (s, e), b));
        }
        a.by_name.sort_unstable_by_key(|e| (e.0, e.2));
        self.arrays[k] = Some(a);
        self.drop_below(k);
    }

    /// The literal bound to `name` nearest to `at` (a definition before `at`
    /// preferred), within the chunk of `at` and its neighbours.
    pub fn resolve(&mut self, data: &[u8], name: &[u8], at: usize) -> Option<(usize, usize)> {
        let k = at / CHUNK;
        let ks = [k.checked_sub(1), Some(k), Some(k + 1)];
        let mut best: Option<(bool, usize, Def)> = None;
        for kk in ks.into_iter().flatten() {
            self.index_chunk(data, kk);
        }
        // Hashed only where there is a definition to compare (a file of
        // references to names it never binds looks one up at every one).
        let present = |kk: &usize| self.defs.get(*kk).is_some_and(|v| !v.is_empty());
        if !ks.iter().flatten().any(present) {
            return None;
        }
        let h = self.hasher.hash_one(name);
        for kk in ks.into_iter().flatten() {
            let Some(v) = self.defs.get(kk) else {
                continue;
            };
            let first = v.partition_point(|e| e.0 < h);
            let same = v[first..].iter().take_while(|e| e.0 == h).filter(|e| {
                // A byte loop: names are short, and a call to `memcmp` per
                // definition cost more than the rest of the lookup.
                e.1 == name.len()
                    && data
                        .get(e.2.0..e.2.0 + e.1)
                        .is_some_and(|n| n.iter().zip(name).all(|(a, b)| a == b))
            });
            for &(_, _, d) in same {
                let key = (d.0 > at, d.0.abs_diff(at), d);
                if best.is_none_or(|b| (key.0, key.1) < (b.0, b.1)) {
                    best = Some(key);
                }
            }
        }
        best.map(|(_, _, d)| (d.1, d.2))
    }

    /// Where `name` is used as a whole identifier (not a member, not part of a
    /// longer name) in `data[from..from + USES_WITHIN]`: the first `n` (at
    /// most [`MAX_FOUND`]), read from the index of the chunks there
    /// ([`Idents::uses`]). On the stack: a file of literals bound to names
    /// looks for each name's uses, and growing a vector for them was most of
    /// that look.
    pub fn uses_after(
        &mut self,
        data: &[u8],
        name: &[u8],
        from: usize,
        n: usize,
    ) -> impl Iterator<Item = usize> + use<> {
        let n = n.min(MAX_FOUND);
        let mut found = [0; MAX_FOUND];
        let mut len = 0;
        let to = (from + USES_WITHIN).min(data.len());
        let h = self.hasher.hash_one(name);
        if from < to {
            for k in from / CHUNK..=(to - 1) / CHUNK {
                self.index_uses(data, k);
                let Some(Some(v)) = self.uses.get(k) else {
                    continue;
                };
                let first = v.partition_point(|e| (e.0, e.2) < (h, from));
                let same = v[first..]
                    .iter()
                    .take_while(|e| e.0 == h && e.2 < to)
                    .filter(|e| e.1 == name.len() && data[e.2..e.2 + e.1] == *name);
                for e in same.take(n - len) {
                    found[len] = e.2;
                    len += 1;
                }
                if len == n {
                    break;
                }
            }
        }
        found.into_iter().take(len)
    }
}

/// Uses [`Idents::uses_after`] finds at most.
pub const MAX_FOUND: usize = 8;

/// `found` (in place order) sorted by hash and place, as a sort by both would
/// but in linear time: a stable counting sort on the hash's top bits, about
/// one or two buckets an entry, then each bucket of more than one by hash (stable,
/// so places stay in order; a name used thousands of times is one run, which
/// the sort sees as sorted). A comparison sort of a chunk's identifiers was a
/// fifth of a file of bound names' scan.
fn by_hash(found: Vec<(u64, usize, usize)>) -> Vec<(u64, usize, usize)> {
    let n = found.len();
    if n < 2 {
        return found;
    }
    // 2^bits buckets, more than n and at most 2n (a chunk holds at most 128 Ki
    // identifiers: the counts fit u32).
    let bits = usize::BITS - n.leading_zeros();
    let bucket = |h: u64| (h >> (u64::BITS - bits)) as usize;
    let mut next = vec![0u32; 1 << bits];
    for e in &found {
        next[bucket(e.0)] += 1;
    }
    let mut sum = 0;
    for c in next.iter_mut() {
        (*c, sum) = (sum, sum + *c);
    }
    let mut out = vec![(0, 0, 0); n];
    for e in found {
        let b = bucket(e.0);
        out[next[b] as usize] = e;
        next[b] += 1;
    }
    // Each bucket's end is now in `next`.
    let mut lo = 0;
    for &hi in &next {
        let hi = hi as usize;
        if hi - lo > 1 {
            out[lo..hi].sort_by_key(|e| e.0);
        }
        lo = hi;
    }
    out
}

/// Where the name and the literal's contents are in a match of [`definition`]
/// (offsets in `m`): the groups the pattern captures, read from the text it
/// guarantees. `function NAME() { return "…"`, else `[sep]NAME = [() =>] "…"`;
/// the literal's contents hold neither its quote nor a `\`, so its closing
/// quote ends the match (after an optional `\`) and its opening one is the
/// last quote before.
fn parts(m: &[u8]) -> Option<((usize, usize), (usize, usize))> {
    let blanks = |i: usize| {
        i + m[i..]
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count()
    };
    let name = m
        .strip_prefix(b"function")
        .and_then(|rest| {
            let s = blanks(m.len() - rest.len());
            let e = ident_end(m, s).filter(|&e| e > s)?;
            (m.get(blanks(e)) == Some(&b'(')).then_some((s, e))
        })
        .or_else(|| {
            let s = usize::from(
                !m.first()
                    .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_' || b == b'$'),
            );
            Some((s, ident_end(m, s)?))
        })?;
    let q = *m.last()?;
    let close = m.len() - 1;
    let end = match q {
        b'`' => close,
        _ if close > 0 && m[close - 1] == b'\\' => close - 1,
        _ => close,
    };
    let open = m[name.1..end].iter().rposition(|&b| b == q)? + name.1;
    Some((name, (open + 1, end)))
}

/// The name and the value in a match of [`shell_definition`] (offsets in `m`).
fn shell_parts(m: &[u8]) -> Option<((usize, usize), (usize, usize))> {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let mut s = m.iter().take_while(|b| blank(b)).count();
    if let Some(rest) = m[s..].strip_prefix(b"export")
        && rest.first().is_some_and(blank)
    {
        s = m.len() - rest.len();
        s += m[s..].iter().take_while(|b| blank(b)).count();
    }
    let eq = s + m[s..].iter().position(|&b| b == b'=')?;
    let end = eq
        + 1
        + m[eq + 1..]
            .iter()
            .take_while(|b| !b.is_ascii_whitespace())
            .count();
    (s < eq && eq + 1 < end).then_some(((s, eq), (eq + 1, end)))
}

/// The span of the name what opens at `open` (a literal, an array) is bound
/// to: `name = "…"` (after `var`, `let`, `const`, or bare as Python, Ruby and
/// PHP bind), not a comparison (`==`, `<=`), an update (`+=`) or a member
/// (`a.b = "…"`).
pub fn bound_span(data: &[u8], open: usize) -> Option<(usize, usize)> {
    let blank = |j: &mut usize| {
        while *j > 0 && matches!(data[*j - 1], b' ' | b'\t') {
            *j -= 1;
        }
    };
    let mut j = open;
    blank(&mut j);
    if j == 0 || data[j - 1] != b'=' {
        return None;
    }
    j -= 1;
    if j > 0 && b"=!<>+-*/%&|^?:".contains(&data[j - 1]) {
        return None;
    }
    blank(&mut j);
    let end = j;
    j = ident_start(data, end, 128);
    let member = j > 0 && data[j - 1] == b'.';
    (j < end && !data[j].is_ascii_digit() && !member).then_some((j, end))
}

/// Where the identifier bytes that end at `end` start, reading back at most
/// `max` of them.
pub fn ident_start(data: &[u8], end: usize, max: usize) -> usize {
    end - data[end.saturating_sub(max)..end]
        .iter()
        .rev()
        .take_while(|&&b| is_ident_byte(b))
        .count()
}

/// A byte of an identifier (`[A-Za-z0-9_$]`).
pub fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// The identifier starting at `data[i]` (`[A-Za-z_$][\w$]*`), its end.
pub fn ident_end(data: &[u8], i: usize) -> Option<usize> {
    let first = *data.get(i)?;
    if !(first.is_ascii_alphabetic() || first == b'_' || first == b'$') {
        return None;
    }
    let n = data[i..]
        .iter()
        .take(128)
        .take_while(|&&b| is_ident_byte(b))
        .count();
    Some(i + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_and_literals_are_told_apart() {
        let data = br#"var p="LIT";var p=["a","b"];x=p[1]+p;"#;
        let mut ix = Idents::default();
        let at = data.len() - 8;
        let (s, e) = ix.resolve(data, b"p", at).unwrap();
        assert_eq!(&data[s..e], b"LIT");
        let open = ix.resolve_array(data, b"p", at).unwrap();
        assert_eq!(&data[open..open + 4], b"[\"a\"");
        assert_eq!(ix.resolve_array(data, b"x", at), None);
        // Of a name bound thousands of times, the binding just before a use.
        let many: Vec<u8> = (0..5000)
            .flat_map(|i| format!("p=[\"{i}\"];q=p[0];").into_bytes())
            .collect();
        let mut ix = Idents::default();
        let use_at = many.len() / 2 + 3;
        let open = ix.resolve_array(&many, b"p", use_at).unwrap();
        let next = ix.array_before(&many, use_at, 4096).unwrap();
        assert_eq!(open, next);
        assert!(use_at - open < 20, "{}", use_at - open);
    }

    #[test]
    fn resolves_the_nearest_definition() {
        let data =
            br#"first="0";var e="FIRST";function o(){return"CALL"}x=`a${e}`;const t = \"ESC\"; e="LATER""#;
        let mut ix = Idents::default();
        let at = 40;
        let (s, e) = ix.resolve(data, b"e", at).unwrap();
        assert_eq!(&data[s..e], b"FIRST");
        let (s, e) = ix.resolve(data, b"o", at).unwrap();
        assert_eq!(&data[s..e], b"CALL");
        let (s, e) = ix.resolve(data, b"t", at).unwrap();
        assert_eq!(&data[s..e], b"ESC");
        assert!(ix.resolve(data, b"zz", at).is_none());
    }

    /// A shell's or a dotenv file's unquoted binding, at a line's start only,
    /// its value up to a blank; not a command's argument or a minified `a=b;`.
    #[test]
    fn resolves_unquoted_shell_bindings() {
        let data = b"export A=abc # note\n  B=d-e.f/g\r\nrun C=x\nD=e;f=g\nE=\nF=$X\n";
        let mut ix = Idents::default();
        let value = |ix: &mut Idents, name: &[u8]| {
            ix.resolve(data, name, 0)
                .map(|(s, e)| String::from_utf8_lossy(&data[s..e]).into_owned())
        };
        assert_eq!(value(&mut ix, b"A").as_deref(), Some("abc"));
        assert_eq!(value(&mut ix, b"B").as_deref(), Some("d-e.f/g"));
        for name in [&b"C"[..], b"D", b"f", b"E", b"F", b"export"] {
            assert_eq!(
                value(&mut ix, name),
                None,
                "{:?}",
                name.escape_ascii().to_string()
            );
        }
    }

    /// A chunk boundary inside a name does not make its tail a name: the
    /// chunk's search judges `^` and the byte before a name on the text as it
    /// is. A definition whose line starts before the chunk and whose name is in
    /// it is found, once.
    #[test]
    fn a_name_cut_by_a_chunk_boundary_is_read_whole() {
        let mut data = vec![b';'; CHUNK - 3];
        data.extend_from_slice(b"abcdef=\"ONE\";\n");
        let cut = data.len();
        data.resize(2 * CHUNK - 5, b' ');
        data.extend_from_slice(b"\nexport SHELLNAME=two\n");
        // The line starts in the second chunk, the name in the third.
        let shell = 2 * CHUNK + 3;
        assert_eq!(&data[shell..shell + 9], b"SHELLNAME");
        for at in [CHUNK - 10, CHUNK, cut, CHUNK + 1000] {
            let mut ix = Idents::default();
            let (s, e) = ix.resolve(&data, b"abcdef", at).unwrap();
            assert_eq!(&data[s..e], b"ONE");
            assert!(ix.resolve(&data, b"def", at).is_none(), "{at}");
            assert!(ix.resolve(&data, b"cdef", at).is_none(), "{at}");
        }
        let mut ix = Idents::default();
        let (s, e) = ix.resolve(&data, b"SHELLNAME", shell).unwrap();
        assert_eq!(&data[s..e], b"two");
        assert!(ix.resolve(&data, b"LLNAME", shell).is_none());
        let named = |e: &&(u64, usize, Def)| &data[e.2.0..e.2.0 + e.1] == b"SHELLNAME";
        assert_eq!(ix.defs.iter().flatten().filter(named).count(), 1);
    }

    proptest::proptest! {
        /// The bucketed sort orders as a sort by hash and place does: hashes
        /// drawn from a few values (runs of one name, collisions in the top
        /// bits) or from all, places ascending as the index appends them.
        #[test]
        fn by_hash_sorts_as_a_comparison_sort_does(
            picks in proptest::collection::vec((0u64..8, proptest::bool::ANY, 0u64..u64::MAX), 0..3000),
        ) {
            let found: Vec<(u64, usize, usize)> = picks
                .iter()
                .enumerate()
                .map(|(at, &(few, spread, any))| {
                    let h = if spread { any } else { few };
                    (h, at % 7, at)
                })
                .collect();
            let mut want = found.clone();
            want.sort_unstable_by_key(|&(h, _, at)| (h, at));
            proptest::prop_assert_eq!(by_hash(found), want);
        }
    }

    /// A file of distinct names keeps the definitions and the identifiers of
    /// the last few chunks only: what the index holds does not grow with the
    /// file. Lookups in order still see their neighbours, and every name's
    /// uses are found, the last ones too.
    #[test]
    fn the_index_keeps_the_last_chunks_only() {
        let mut data = Vec::new();
        let mut i = 0;
        while data.len() < 12 * CHUNK {
            data.extend_from_slice(format!("var n{i}=\"v{i}\";n{i}+\"x\";").as_bytes());
            i += 1;
        }
        let mut ix = Idents::default();
        let mut resolved = 0;
        for (k, at) in (100..data.len()).step_by(CHUNK / 8).enumerate() {
            // The last definition before `at`.
            let s = memchr::memmem::rfind(&data[..at], b"var n").unwrap();
            let e = s + data[s..].iter().position(|&b| b == b'=').unwrap();
            let name = data[s + 4..e].to_vec();
            let (vs, ve) = ix.resolve(&data, &name, at).unwrap();
            assert_eq!(&data[vs..ve], [b"v", &name[1..]].concat(), "{k}");
            assert!(ix.uses_after(&data, &name, ve, 4).next().is_some());
            resolved += 1;
            let held = ix.defs.iter().filter(|v| !v.is_empty()).count();
            assert!(held <= KEPT + 2, "{held} chunks held at {at}");
            let read = |u: &&Option<Vec<_>>| u.as_ref().is_some_and(|v| !v.is_empty());
            let held = ix.uses.iter().filter(read).count();
            assert!(held <= KEPT + 2, "{held} chunks' identifiers held at {at}");
        }
        assert!(resolved > 90);
        let mut ix = Idents::default();
        for s in memchr::memmem::find_iter(&data, b"var n") {
            let e = s + data[s..].iter().position(|&b| b == b'=').unwrap();
            let name = &data[s + 4..e];
            let uses: Vec<usize> = ix.uses_after(&data, name, e, 2).collect();
            // Its use after the definition; `n1` is not a use of `n12`'s.
            assert_eq!(uses.len(), 1, "{}", String::from_utf8_lossy(name));
            assert_eq!(
                &data[uses[0] - 1..uses[0] + name.len() + 1],
                [b";", name, b"+"].concat()
            );
            let read = |u: &&Option<Vec<_>>| u.as_ref().is_some_and(|v| !v.is_empty());
            assert!(ix.uses.iter().filter(read).count() <= KEPT + 2);
        }
    }

    /// `parts` reads the groups the pattern captures, on every form it matches.
    #[test]
    fn parts_are_the_captured_groups() {
        let hay =
            br#"var e="FIRST";function o(){return"CALL"}x=`a${e}`;const t = \"ESC\"; e='LATER'
function  f ( ) {  return `tpl`}; g=()=>"arrow";h = ( ) =>  'sp' ;a.b="member";$x_1="d"
function="x";k=\'q\';function g() {return 'a'}
"#;
        let mut n = 0;
        for c in definition().captures_iter(hay) {
            let m = c.get(0).unwrap();
            let name = c.get(1).or_else(|| c.get(2)).unwrap();
            let lit = c.get(3).or_else(|| c.get(4)).or_else(|| c.get(5)).unwrap();
            let want = (
                (name.start() - m.start(), name.end() - m.start()),
                (lit.start() - m.start(), lit.end() - m.start()),
            );
            assert_eq!(
                parts(m.as_bytes()),
                Some(want),
                "{:?}",
                m.as_bytes().escape_ascii().to_string()
            );
            n += 1;
        }
        assert!(n >= 11, "{n}");
    }
}
