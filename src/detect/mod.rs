//! The detector: bytes in, findings out. It never reads files and never prints.
//!
//! One multi-literal pass (Aho-Corasick over every rule's `keywords`) finds the
//! candidates; rule regexes, placeholder judgement and line/column arithmetic run
//! only around them, so bytes with nothing to find cost what they cost ripgrep.

pub mod location;
pub mod placeholder;

use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::finding::{Context, Finding, Provenance, fingerprint};
use crate::rules::{Rule, RuleKind, RuleSet};
use location::{Locator, line_bounds, line_window};

/// How far before a keyword a match may start, and after it end. Keys and variable
/// names are short; this only bounds the regex work on megabyte-long lines.
const BEFORE: usize = 256;
const AFTER: usize = 1024;

/// What one `detect` call saw besides findings.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DetectStats {
    pub placeholders: u64,
}

enum Outcome {
    Hit(usize, usize),
    Placeholder,
    Nothing,
}

/// A match before it becomes a finding.
struct Hit {
    rule: usize,
    start: usize,
    end: usize,
    severity: crate::rules::Severity,
}

#[derive(Clone)]
pub struct Detector {
    rules: Arc<RuleSet>,
    keywords: Option<AhoCorasick>,
    /// For each keyword pattern, the rules that listed it.
    keyword_rules: Vec<Vec<usize>>,
    path_rules: Vec<usize>,
}

impl Detector {
    pub fn new(rules: Arc<RuleSet>) -> anyhow::Result<Detector> {
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
        let keywords = if words.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&words)?,
            )
        };
        Ok(Detector {
            rules,
            keywords,
            keyword_rules,
            path_rules,
        })
    }

    /// Whether `data` holds any rule keyword: the one multi-literal search. Bytes
    /// without one cannot hold a finding, so callers skip `detect` for them.
    pub fn has_candidate(&self, data: &[u8]) -> bool {
        self.keywords.as_ref().is_some_and(|ac| ac.is_match(data))
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
                    encoding: None,
                    origin: None,
                    verification: None,
                    context: None,
                    notes: Vec::new(),
                    inline_allowed: false,
                });
            }
        }
    }

    /// Content rules over `data`. Findings are appended in offset order.
    pub fn detect(&self, data: &[u8], prov: &Provenance, out: &mut Vec<Finding>) -> DetectStats {
        let mut stats = DetectStats::default();
        let Some(ac) = &self.keywords else {
            return stats;
        };
        let mut hits: Vec<Hit> = Vec::new();
        for m in ac.find_iter(data) {
            for &ri in &self.keyword_rules[m.pattern().as_usize()] {
                let rule = &self.rules.rules[ri];
                match self.match_at(rule, data, m.start(), m.end()) {
                    Outcome::Hit(start, end) => hits.push(Hit {
                        rule: ri,
                        start,
                        end,
                        severity: rule.spec.severity,
                    }),
                    Outcome::Placeholder => stats.placeholders += 1,
                    // A prefix followed by something that is not a key: `qrcp_live_${KEY}`,
                    // a short body. Counted, not reported; a bare prefix in prose is not.
                    Outcome::Nothing
                        if rule.spec.kind == RuleKind::Secret
                            && data.get(m.end()).is_some_and(|&c| looks_like_body(c)) =>
                    {
                        stats.placeholders += 1
                    }
                    Outcome::Nothing => {}
                }
            }
        }
        if hits.is_empty() {
            return stats;
        }
        // One match holding two keywords (`…QRCODEPRO_QRCP_KEY`) is one finding.
        hits.sort_by_key(|h| (h.start, h.rule, h.end));
        hits.dedup_by_key(|h| (h.start, h.rule));
        let mut locator = Locator::new(data);
        for hit in hits {
            out.push(self.finding(hit, data, prov, &mut locator));
        }
        stats
    }

    /// Judges the one match of `rule` that holds the keyword at `kw_start..kw_end`.
    /// Every match holds one of its rule's keywords, so looking at each keyword's
    /// match finds them all.
    fn match_at(&self, rule: &Rule, data: &[u8], kw_start: usize, kw_end: usize) -> Outcome {
        let Some(re) = &rule.pattern else {
            return Outcome::Nothing;
        };
        let (ls, le) = line_bounds(data, kw_start);
        let ws = kw_start.saturating_sub(BEFORE).max(ls);
        let we = (kw_end + AFTER).min(le);
        let Some(m) = re
            .find_iter(&data[ws..we])
            .map(|m| (ws + m.start(), ws + m.end()))
            .take_while(|&(start, _)| start <= kw_start)
            .find(|&(_, end)| end > kw_start)
        else {
            return Outcome::Nothing;
        };
        let (start, end) = m;
        match rule.spec.kind {
            RuleKind::Secret => {
                let secret = &data[start..end];
                let prefix = rule
                    .spec
                    .keywords
                    .iter()
                    .find(|k| secret.starts_with(k.as_bytes()));
                let body = String::from_utf8_lossy(&secret[prefix.map_or(0, |k| k.len())..]);
                // `qrcp_live_…_id`: an identifier that happens to start like a key.
                let identifier = data.get(end) == Some(&b'_');
                if identifier || placeholder::placeholder_reason(&body).is_some() {
                    return Outcome::Placeholder;
                }
            }
            RuleKind::Variable => {
                let name = &data[start..end];
                let holds = |w: &String| memchr::memmem::find(name, w.as_bytes()).is_some();
                if !rule.spec.name_contains.is_empty() && !rule.spec.name_contains.iter().any(holds)
                {
                    return Outcome::Nothing;
                }
                if variable_use(data, ls, start, end) != Use::Definition {
                    return Outcome::Nothing;
                }
            }
            RuleKind::Path => return Outcome::Nothing,
        }
        Outcome::Hit(start, end)
    }

    fn finding(&self, hit: Hit, data: &[u8], prov: &Provenance, locator: &mut Locator) -> Finding {
        let rule = &self.rules.rules[hit.rule];
        let (line, column) = locator.locate(hit.start);
        let (end_line, end_column) = locator.locate(hit.end);
        let (ws, we, clipped_start, clipped_end) = line_window(data, hit.start, hit.end);
        let pre = String::from_utf8_lossy(&data[ws..hit.start]);
        let mid = String::from_utf8_lossy(&data[hit.start..hit.end]);
        let post = String::from_utf8_lossy(&data[hit.end..we]);
        let context = Context {
            span: pre.len()..pre.len() + mid.len(),
            text: format!("{pre}{mid}{post}"),
            clipped_start,
            clipped_end,
        };
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
        Finding {
            rule: rule.spec.id.clone(),
            severity: hit.severity,
            message: rule.spec.name.clone(),
            provenance: prov.clone(),
            line: Some(line),
            column: Some(column),
            end_line: Some(end_line),
            end_column: Some(end_column),
            secret,
            secret_prefix_len: prefix_len,
            fingerprint: fp,
            encoding: None,
            origin: None,
            verification: None,
            context: Some(context),
            notes: Vec::new(),
            inline_allowed: line_allows(data, hit.start),
        }
    }
}

/// Whether the line around `offset` (within a few KiB) carries `qrcp-scan:allow`.
fn line_allows(data: &[u8], offset: usize) -> bool {
    let (ls, le) = line_bounds(data, offset);
    let from = ls.max(offset.saturating_sub(4096));
    let to = le.min(offset + 4096);
    memchr::memmem::find(&data[from..to], crate::filter::INLINE_ALLOW.as_bytes()).is_some()
}

/// A byte that can follow a key prefix in something meant as a key (or a template
/// of one), as opposed to the end of a sentence or a string.
fn looks_like_body(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'$' | b'{' | b'<' | b'_' | b'*' | b'%' | b'[')
}

#[derive(Debug, PartialEq, Eq)]
enum Use {
    Definition,
    Read,
    Other,
}

/// How a variable name at `start..end` is used: defined/assigned (`NAME=`, `NAME:`,
/// `"NAME":`, `ENV NAME v`, `ARG NAME`, `- name: NAME`, `export NAME=`), read
/// (`process.env.NAME`, `$NAME`, `${NAME}`), or neither.
fn variable_use(data: &[u8], line_start: usize, start: usize, end: usize) -> Use {
    let before = &data[line_start..start];
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
    let word_end = |w: &[u8]| {
        trimmed.ends_with(w) && {
            let k = trimmed.len() - w.len();
            k == 0 || !trimmed[k - 1].is_ascii_alphanumeric()
        }
    };
    if word_end(b"ENV")
        || word_end(b"ARG")
        || word_end(b"name:")
        || word_end(b"setenv")
        || word_end(b"export")
    {
        return Use::Definition;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn detector() -> Detector {
        Detector::new(Arc::new(RuleSet::load(&[] as &[&str]).unwrap())).unwrap()
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

    #[test]
    fn variable_uses() {
        let d = b"x process.env.VITE_QRCP_KEY";
        assert_eq!(variable_use(d, 0, 14, d.len()), Use::Read);
        let d = b"VITE_QRCP_KEY == 1";
        assert_eq!(variable_use(d, 0, 0, 13), Use::Other);
        let d = b"ENV VITE_QRCP_KEY x";
        assert_eq!(variable_use(d, 0, 4, 17), Use::Definition);
    }
}
