//! The floor under `benches/adversarial.sh`: how long the keyword search alone
//! takes on each adversarial file, before anything is judged or decoded.
//!
//!   cargo bench --bench search_floor -- FILE...
//!
//! It runs aho-corasick's packed (Teddy) searcher over the built-in search
//! heads (`src/source/builtin_heads.rs`), as the scanner's first pass does, and
//! counts every hit (each search restarts after the last hit, as the pass's
//! does); then the same heads by one leftmost-first DFA without a prefilter,
//! which the detector's pass switches to on dense stretches (`keywords::Dense`).
//! Prints per file: `path<TAB>hits<TAB>Teddy seconds<TAB>DFA seconds` (the best
//! of 5 runs each). A file of one trigger repeated holds a hit every few bytes:
//! Teddy pays a restart per hit, the DFA a step per byte.

use std::time::Instant;

/// The heads' bytes and (start, length) rows, read from the data file a unit
/// test keeps current.
fn heads() -> Vec<Vec<u8>> {
    let text = include_str!("../src/source/builtin_heads.rs");
    let literal = text
        .split("pub const BYTES: &[u8] = b\"")
        .nth(1)
        .and_then(|rest| rest.split("\";\n").next())
        .expect("builtin_heads.rs holds BYTES");
    let mut bytes = Vec::new();
    let mut chars = literal.bytes();
    while let Some(c) = chars.next() {
        if c != b'\\' {
            bytes.push(c);
            continue;
        }
        match chars.next() {
            Some(b'x') => {
                let hex: Vec<u8> = chars.by_ref().take(2).collect();
                let hex = std::str::from_utf8(&hex).expect("hex digits");
                bytes.push(u8::from_str_radix(hex, 16).expect("a \\x escape"));
            }
            Some(b'n') => bytes.push(b'\n'),
            Some(b'r') => bytes.push(b'\r'),
            Some(b't') => bytes.push(b'\t'),
            Some(b'0') => bytes.push(0),
            Some(other) => bytes.push(other),
            None => panic!("a dangling escape in BYTES"),
        }
    }
    let rows = text
        .split("pub const HEADS")
        .nth(1)
        .expect("builtin_heads.rs holds HEADS");
    rows.lines()
        .filter_map(|l| {
            let l = l.trim().strip_prefix('(')?.strip_suffix("),")?;
            let (start, len) = l.split_once(", ")?;
            let (start, len): (usize, usize) = (start.parse().ok()?, len.parse().ok()?);
            Some(bytes[start..start + len].to_vec())
        })
        .collect()
}

fn main() {
    let heads = heads();
    // As `keywords::teddy` builds it: past aho-corasick's 64-literal heuristic.
    let searcher = aho_corasick::packed::Config::new()
        .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
        .heuristic_pattern_limits(false)
        .builder()
        .extend(&heads)
        .build()
        .expect("Teddy is available on this machine");
    let files: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if files.is_empty() {
        eprintln!("usage: cargo bench --bench search_floor -- FILE...");
        std::process::exit(2);
    }
    let dfa = aho_corasick::dfa::DFA::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
        .prefilter(false)
        .build(&heads)
        .expect("a DFA of the heads");
    eprintln!("{} heads", heads.len());
    for f in files {
        let data = std::fs::read(&f).unwrap_or_else(|e| panic!("{f}: {e}"));
        let mut best = f64::MAX;
        let mut hits = 0;
        for _ in 0..5 {
            let t = Instant::now();
            hits = searcher.find_iter(&data).count();
            best = best.min(t.elapsed().as_secs_f64());
        }
        let mut dfa_best = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            let n = aho_corasick::automaton::Automaton::try_find_iter(
                &dfa,
                aho_corasick::Input::new(&data),
            )
            .expect("an unanchored search")
            .count();
            dfa_best = dfa_best.min(t.elapsed().as_secs_f64());
            assert_eq!(n, hits, "{f}: the DFA and Teddy find the same heads");
        }
        println!("{f}\t{hits}\t{best:.6}\t{dfa_best:.6}");
    }
}
