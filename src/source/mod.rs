//! Sources yield bytes with their provenance and hand them to a per-thread
//! [`Scanner`]; they never judge or print findings. The scanner is where every
//! source's blobs meet the same treatment: archives unpacked member by member,
//! decoding layers, source-map and notebook origins, build-output notes.

pub mod archive;
pub mod fs;
pub mod git;
pub mod git_index;
pub mod origin;
pub mod staged;
pub mod stdin;
pub mod url;

use std::cell::Cell;
use std::rc::Rc;

use crate::config::BUILD_DIRS;
use crate::decode::{self, Located};
use crate::detect::Detector;
use crate::finding::{Finding, Provenance, SourceKind};
use crate::messages;
use crate::scan::{Sink, Stats};

/// Bytes looked at for a NUL to call a blob binary (as git and ripgrep do).
pub const BINARY_PEEK: usize = 8192;

/// One worker's detector and scratch space. Every source funnels blobs through it.
pub struct Scanner {
    pub detector: Detector,
    pub sink: Sink,
    /// What unpacking one archive may cost.
    pub limits: archive::Limits,
    findings: Vec<Finding>,
    located: Vec<Located>,
}

impl Scanner {
    pub fn new(detector: Detector, sink: Sink) -> Scanner {
        Scanner {
            detector,
            sink,
            limits: archive::Limits::default(),
            findings: Vec::new(),
            located: Vec::new(),
        }
    }

    /// Members of an archive may be as large as other files (`--max-file-size`).
    pub fn with_max_member(mut self, max: u64) -> Scanner {
        self.limits.member = max;
        self
    }

    /// Scans one blob: path rules on its name, content rules on its bytes through
    /// every decoding layer; an archive is scanned member by member instead.
    pub fn scan_blob(&mut self, data: &[u8], prov: &Provenance) {
        let budget = Rc::new(Cell::new(self.limits.total));
        self.scan_nested(data, prov, 0, &budget);
    }

    fn scan_nested(
        &mut self,
        data: &[u8],
        prov: &Provenance,
        depth: usize,
        budget: &archive::Budget,
    ) {
        self.detector.detect_path(prov, &mut self.findings);
        let path = prov.path.as_deref().unwrap_or("");
        if let Some(kind) = archive::kind(path, data) {
            self.sink.put(&mut self.findings);
            if depth >= self.limits.depth {
                messages::note(
                    path,
                    format!(
                        "skipped: archive nested more than {} deep",
                        self.limits.depth
                    ),
                );
                return;
            }
            let limits = self.limits;
            archive::expand(kind, data, path, &limits, budget, &mut |bytes, name| {
                let member = Provenance {
                    path: Some(format!("{path}!{name}")),
                    ..prov.clone()
                };
                if looks_binary(bytes, name) {
                    return;
                }
                self.scan_nested(bytes, &member, depth + 1, budget);
            });
            return;
        }
        let mut located = std::mem::take(&mut self.located);
        let placeholders = decode::detect(&self.detector, data, prov, &mut located);
        Stats::add(&self.sink.stats.placeholders, placeholders);
        if !located.is_empty() {
            origin::attach(data, path, &mut located);
            let build = build_dir(prov);
            for l in located.drain(..) {
                let mut f = l.finding;
                if let Some(dir) = build {
                    f.notes.push(format!(
                        "`{dir}/` is build output: this file is deployed, so what it holds ships to every visitor"
                    ));
                }
                self.findings.push(f);
            }
        }
        self.located = located;
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
/// is UTF-16 text or an archive (both have NULs and both are scanned).
pub fn looks_binary(data: &[u8], name: &str) -> bool {
    let peek = &data[..data.len().min(BINARY_PEEK)];
    if memchr::memchr(0, peek).is_none() {
        return false;
    }
    !(is_utf16_text(peek) || archive::kind(name, data).is_some())
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
        assert!(!looks_binary(b"PK\x03\x04\0\0", "a.bin"));
    }
}
