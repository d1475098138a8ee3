//! Sources yield bytes with their provenance and hand them to a per-thread
//! [`BlobScanner`]; they never judge or print findings. The blob scanner is where
//! every source's blobs meet the same treatment: archives unpacked member by member,
//! decoding layers, source-map and notebook origins; [`Found::place`] then puts its
//! findings at the blob's path (member paths, build-output notes). Sources that know
//! the path up front (`dir`, `stdin`, `url`) use [`Scanner`], which does both and
//! feeds the sink; git history and the staged change place findings themselves, the
//! former only once attribution has found the blob's paths.

pub mod archive;
pub mod fs;
pub mod git;

pub mod origin;
pub mod sink;
pub mod staged;
pub mod stdin;
pub mod url;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use crate::decode::{self, Located};
use crate::detect::Detector;
use crate::finding::{Finding, Hop, HopKind, Origin, Provenance, SourceKind};
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
    /// `origin` is a notebook cell fragment (`#cell-3`) of the physical path.
    cell: bool,
}

impl Found {
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
        if self.cell {
            f.origin = match (f.provenance.path.as_deref(), f.origin.take()) {
                (Some(p), Some(o)) if origin::is_notebook_path(p) => Some(Origin {
                    path: format!("{p}{}", o.path),
                    line: o.line,
                }),
                _ => None,
            };
            if f.origin.is_none() {
                f.hops.retain(|h| h.kind != HopKind::Notebook);
            }
        }
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
    located: Vec<Located>,
}

impl BlobScanner {
    /// Archives are unpacked within `limits` (members as large as other files,
    /// `--max-file-size`; `--max-archive-*`).
    pub fn new(detector: Detector, limits: archive::Limits) -> BlobScanner {
        BlobScanner {
            detector,
            limits,
            located: Vec::new(),
        }
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
        let budget = Rc::new(Cell::new(self.limits.total));
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
                Found {
                    finding,
                    cell: false,
                }
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
                    if looks_binary(bytes, inner) {
                        return;
                    }
                    let path = match member {
                        Some(m) => format!("{m}!{inner}"),
                        None => inner.to_string(),
                    };
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
        // An inline source map is a member; its bytes in the file are not scanned
        // again through the base64 layer.
        let inline = inline_source_map(data);
        if let Some((_, _, map)) = &inline
            && depth < self.limits.depth
        {
            let path = match member {
                Some(m) => format!("{m}!{INLINE_MAP}"),
                None => INLINE_MAP.to_string(),
            };
            let label = format!("{label}!{INLINE_MAP}");
            let mut hops = hops.to_vec();
            hops.push(Hop {
                kind: HopKind::DataUri,
                member: INLINE_MAP.to_string(),
            });
            self.nested(
                map,
                Some(INLINE_MAP),
                Some(&path),
                &hops,
                &label,
                depth + 1,
                budget,
                stats,
                out,
            );
        }
        if !self.detector.has_candidate(data) {
            return;
        }
        let mut located = std::mem::take(&mut self.located);
        let placeholders = decode::detect(&self.detector, data, &prov, &mut located);
        if let Some((s, e, _)) = inline {
            located.retain(|l| !(s <= l.start && l.start < e));
        }
        Stats::add(&stats.placeholders, placeholders);
        let attached = origin::attach(data, name, &mut located);
        let cell = attached == origin::Attached::NotebookCells;
        out.extend(located.drain(..).map(|mut l| {
            l.finding.hops = hops.to_vec();
            // The logical member an origin names: a source map's source, a cell.
            let logical = match attached {
                origin::Attached::SourceMap => Some(HopKind::SourceMap),
                origin::Attached::NotebookCells => Some(HopKind::Notebook),
                origin::Attached::Nothing => None,
            };
            if let (Some(kind), Some(o)) = (logical, &l.finding.origin) {
                l.finding.hops.push(Hop {
                    kind,
                    member: o.path.trim_start_matches('#').to_string(),
                });
            }
            Found {
                cell: cell && l.finding.origin.is_some(),
                finding: l.finding,
            }
        }));
        self.located = located;
    }
}

/// The hop an archive of `kind` makes.
fn hop_kind(kind: archive::Kind) -> HopKind {
    match kind {
        archive::Kind::Zip => HopKind::Zip,
        archive::Kind::Tar => HopKind::Tar,
        archive::Kind::Gzip => HopKind::Gzip,
        archive::Kind::Brotli => HopKind::Brotli,
    }
}

/// The member name of a script's inline source map (`app.js!sourceMappingURL`).
pub const INLINE_MAP: &str = "sourceMappingURL";

/// The last `sourceMappingURL=data:…;base64,…` of a script: the span of its
/// base64 text and the decoded map. Base64 that does not decode is left to the
/// decoding layers.
fn inline_source_map(data: &[u8]) -> Option<(usize, usize, Vec<u8>)> {
    use base64::Engine as _;
    const KEY: &[u8] = b"sourceMappingURL=data:";
    let at = memchr::memmem::rfind(data, KEY)? + KEY.len();
    let head = &data[at..(at + 128).min(data.len())];
    let comma = memchr::memchr(b',', head)?;
    if !head[..comma].ends_with(b";base64") {
        return None;
    }
    let s = at + comma + 1;
    let n = data[s..]
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .count();
    let e = s + n;
    let cfg = base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let engine = base64::engine::GeneralPurpose::new(&base64::alphabet::STANDARD, cfg);
    let map = engine.decode(&data[s..e]).ok()?;
    Some((s, e, map))
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
    if !detector.has_candidate(data) {
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
