//! What a repository's packs hold, read from their index files and the headers of
//! their entries, without inflating anything: where each packed object sits (pack
//! order, in which the reader's cache holds a delta's base when the delta comes)
//! and, following delta chains, its type, and its size: from the entry header for
//! an object stored whole, from the first inflated bytes of the delta for a blob
//! stored as a delta.
//!
//! The history scan uses this to skip the trees in its first phase (they are read
//! by the tree walk) without reading their headers one by one, and [`unpack`](super::unpack)
//! to read each object from its place.
//! Anything unexpected (an index or pack it does not read, a broken chain) leaves
//! an object's type unknown: it then costs a libgit2 header read, never a wrong
//! answer.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid};

/// A packed object: where its entry sits and what its header says, in 24 bytes
/// (a history holds hundreds of thousands of these at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packed {
    offset: u64,
    /// See [`Packed::size`]; `u64::MAX` when not known.
    size: u64,
    pack: u32,
    /// Git's type number (1 commit, 2 tree, 3 blob, 4 tag), 0 when not known.
    kind: u8,
}

impl Packed {
    /// What phase 1 knows of an object that is in no pack read here (loose, or
    /// in a pack this module does not read): nothing, and it sorts last.
    pub const LOOSE: Packed = Packed {
        offset: 0,
        size: u64::MAX,
        pack: u32::MAX,
        kind: 0,
    };

    pub(super) fn new(pack: u32, offset: u64, kind: Option<u8>, size: Option<u64>) -> Packed {
        Packed {
            offset,
            size: size.unwrap_or(u64::MAX),
            pack,
            kind: kind.unwrap_or(0),
        }
    }

    /// (pack number, offset): pack order.
    pub fn position(&self) -> (u32, u64) {
        (self.pack, self.offset)
    }

    pub fn kind(&self) -> Option<ObjectType> {
        match self.kind {
            1 => Some(ObjectType::Commit),
            2 => Some(ObjectType::Tree),
            3 => Some(ObjectType::Blob),
            4 => Some(ObjectType::Tag),
            _ => None,
        }
    }

    /// The object's size, for an object stored whole and for a blob stored as a
    /// delta (the delta's result size). Without it, the reader asks libgit2, which
    /// resolves a delta's header by walking its whole chain: quadratic on a deep
    /// chain.
    pub fn size(&self) -> Option<usize> {
        match self.size {
            u64::MAX => None,
            s => usize::try_from(s).ok(),
        }
    }
}

/// What [`read`] learns of a repository's packs.
pub struct Table {
    /// Every packed object, sorted by id (an object in several packs once). A
    /// sorted vector, not a map: 44 bytes an object instead of a hash table's 140
    /// or so.
    pub entries: Vec<(Oid, Packed)>,
    /// Where the ids starting with each 2-byte prefix start in `entries` (65,537
    /// positions): a lookup compares a handful of ids, not 18 across the table.
    fan: Vec<u32>,
    /// Each pack by its number ([`Packed::position`]): its path and the offsets of
    /// all its entries, sorted, which bound each entry's compressed bytes.
    pub packs: Vec<Pack>,
    /// Every pack index was read (and its pack is there): the table lists every
    /// packed object of this object folder.
    pub complete: bool,
}

pub struct Pack {
    pub path: PathBuf,
    pub offsets: Vec<u64>,
}

impl Table {
    /// The entry of the object `id`, when a pack read here holds it.
    pub fn get(&self, id: &Oid) -> Option<Packed> {
        let id = id.as_bytes();
        let k = usize::from(u16::from_be_bytes([id[0], id[1]]));
        let (from, to) = (*self.fan.get(k)? as usize, *self.fan.get(k + 1)? as usize);
        let run = self.entries.get(from..to)?;
        // The next 8 bytes as one number decide almost every comparison (a call
        // to memcmp for each was a quarter of a large history's tree walk).
        let word = |b: &[u8]| u64::from_be_bytes(b[2..10].try_into().unwrap_or_default());
        let key = word(id);
        run.binary_search_by(|e| {
            let b = e.0.as_bytes();
            word(b).cmp(&key).then_with(|| b[10..].cmp(&id[10..]))
        })
        .ok()
        .map(|i| run[i].1)
    }

    /// Sorts and deduplicates the entries, and indexes them by prefix.
    pub(super) fn new(mut entries: Vec<(Oid, Packed)>, packs: Vec<Pack>) -> Table {
        // Stable: of an object in several packs, the first pack's entry is kept.
        // Ids compared as bytes: `Oid`'s own order is a call into libgit2.
        entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        entries.dedup_by_key(|e| e.0);
        entries.shrink_to_fit();
        let mut fan = Vec::with_capacity(65_537);
        let mut at = 0;
        for k in 0..=65_536usize {
            while at < entries.len() {
                let id = entries[at].0;
                let b = id.as_bytes();
                if usize::from(u16::from_be_bytes([b[0], b[1]])) >= k {
                    break;
                }
                at += 1;
            }
            fan.push(at as u32);
        }
        Table {
            entries,
            fan,
            packs,
            complete: false,
        }
    }
}

/// Every object of the version 2 pack indexes in `objects/pack`. An index or pack
/// that cannot be read only costs speed: its objects are read through libgit2.
pub fn read(objects: &Path) -> Table {
    let mut out = Vec::new();
    let mut packs = Vec::new();
    let Ok(dir) = std::fs::read_dir(objects.join("pack")) else {
        let mut table = Table::new(out, packs);
        table.complete = !objects.join("pack").exists();
        return table;
    };
    let mut idxs: Vec<PathBuf> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .collect();
    idxs.sort();
    let mut complete = true;
    for (pack, path) in idxs.iter().enumerate() {
        let mut offsets = Vec::new();
        let entries = std::fs::read(path).ok().and_then(|d| read_idx(&d));
        complete &= entries.is_some() && path.with_extension("pack").is_file();
        if let Some(entries) = entries {
            let start = out.len();
            out.reserve_exact(entries.len());
            out.extend(
                entries
                    .into_iter()
                    .map(|(id, offset)| (id, Packed::new(pack as u32, offset, None, None))),
            );
            if let Ok(f) = std::fs::File::open(path.with_extension("pack")) {
                entry_kinds(f, &mut out[start..]);
            }
            offsets = out[start..].iter().map(|e| e.1.offset).collect();
            offsets.sort_unstable();
        }
        packs.push(Pack {
            path: path.with_extension("pack"),
            offsets,
        });
    }
    let mut table = Table::new(out, packs);
    table.complete = complete;
    table
}

/// Parses a pack index (version 2, SHA-1): fan-out, ids, CRCs, 31-bit offsets, then
/// 64-bit offsets for the entries whose high bit is set. `None` for a malformed one.
fn read_idx(data: &[u8]) -> Option<Vec<(Oid, u64)>> {
    let be32 = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
    };
    if data.get(..8) != Some(b"\xfftOc\0\0\0\x02") {
        return None;
    }
    let n = be32(8 + 255 * 4)? as usize;
    // Ids, CRCs and offsets take 28 bytes an entry: a count that the file cannot
    // hold is refused before anything is allocated for it.
    let ids = 8 + 256 * 4;
    if n > data.len().saturating_sub(ids) / 28 {
        return None;
    }
    let offsets = ids + n * 20 + n * 4;
    let large = offsets + n * 4;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let id = Oid::from_bytes(&data[ids + i * 20..ids + i * 20 + 20]).ok()?;
        let off = be32(offsets + i * 4)?;
        let off = if off & 0x8000_0000 == 0 {
            u64::from(off)
        } else {
            let at = large + (off & 0x7fff_ffff) as usize * 8;
            u64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?)
        };
        out.push((id, off));
    }
    Some(out)
}

/// What an entry header says about its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Link {
    /// Stored whole: type number (1 commit, 2 tree, 3 blob, 4 tag) and size.
    Whole(u8, u64),
    /// A delta on the object at this offset of the same pack.
    Ofs(u64),
    /// A delta on the object with this id.
    Ref(Oid),
    Unknown,
}

/// Longest delta chain followed (git's own limit is 4095).
const MAX_CHAIN: usize = 10_000;

/// A [`Link`] in 16 bytes: a reference delta's base id is kept aside.
#[derive(Clone, Copy)]
enum Step {
    Whole(u8),
    Ofs(u64),
    /// The base id's number in the list kept aside.
    Ref(u32),
    Unknown,
}

/// Sets the type and size of each entry of `entries` (see [`Packed::size`]),
/// sorting them by offset. Reads the pack front to back in small windows,
/// skipping what lies between headers when it is large. Beside the entries
/// themselves it holds 17 bytes an entry (and the bases of reference deltas).
fn entry_kinds(mut pack: impl Read + Seek, entries: &mut [(Oid, Packed)]) {
    entries.sort_unstable_by_key(|e| e.1.offset);
    let mut window = Window::default();
    let mut head = [0u8; 12];
    if pack.read_exact(&mut head).is_err() || &head[..4] != b"PACK" {
        return;
    }
    let mut ref_bases: Vec<Oid> = Vec::new();
    let steps: Vec<Step> = entries
        .iter_mut()
        .map(|(_, p)| {
            let link = match window.at(&mut pack, p.offset, HEADER_MAX) {
                Some(bytes) => parse_entry(bytes, p.offset),
                None => Link::Unknown,
            };
            match link {
                Link::Whole(kind, size) => {
                    p.size = size;
                    Step::Whole(kind)
                }
                Link::Ofs(base) => Step::Ofs(base),
                Link::Ref(id) => match u32::try_from(ref_bases.len()) {
                    Ok(n) => {
                        ref_bases.push(id);
                        Step::Ref(n)
                    }
                    Err(_) => Step::Unknown,
                },
                Link::Unknown => Step::Unknown,
            }
        })
        .collect();
    // Entry numbers by offset (entries are sorted) and, for `Ref`, by id.
    let by_offset = |off: u64| entries.binary_search_by_key(&off, |e| e.1.offset).ok();
    let by_id: HashMap<Oid, usize> = if ref_bases.is_empty() {
        HashMap::new()
    } else {
        entries.iter().enumerate().map(|(i, e)| (e.0, i)).collect()
    };
    // Each entry joins one chain only (unseen -> in the chain being followed ->
    // resolved), so a crafted pack whose reference deltas form cycles costs one
    // step per entry, not MAX_CHAIN steps per cycle.
    const UNSEEN: u8 = 0xff;
    const FOLLOWING: u8 = 0xfe;
    // Resolved: the type number, 0 for none.
    let mut state = vec![UNSEEN; steps.len()];
    let mut chain = Vec::new();
    for start in 0..steps.len() {
        // Follow the chain to an entry stored whole or already resolved.
        chain.clear();
        let mut at = start;
        let kind = loop {
            match state[at] {
                UNSEEN => {}
                // Back to an entry of this chain: a cycle, no base.
                FOLLOWING => break 0,
                kind => break kind,
            }
            if chain.len() > MAX_CHAIN {
                break 0;
            }
            state[at] = FOLLOWING;
            chain.push(at);
            let next = match steps[at] {
                Step::Whole(t) => break t,
                Step::Ofs(base) => by_offset(base),
                Step::Ref(n) => by_id.get(&ref_bases[n as usize]).copied(),
                Step::Unknown => None,
            };
            match next {
                Some(n) => at = n,
                None => break 0,
            }
        };
        for &i in &chain {
            state[i] = kind;
        }
    }
    drop((by_id, ref_bases));
    // The result size of blobs stored as deltas, in offset order (entries are
    // sorted), with one inflater.
    let mut inflater = flate2::Decompress::new(true);
    for ((step, kind), (_, p)) in steps.iter().zip(state).zip(entries.iter_mut()) {
        p.kind = kind;
        if matches!(step, Step::Ofs(_) | Step::Ref(_)) && kind == 3 {
            let off = p.offset;
            if let Some(size) =
                window
                    .at(&mut pack, off, HEADER_MAX + DELTA_PEEK)
                    .and_then(|bytes| {
                        delta_result_size(&mut inflater, bytes.get(entry(bytes, off).1..)?)
                    })
            {
                p.size = size;
            }
        }
    }
}

/// Bytes of a delta's compressed data inflated to read its header.
const DELTA_PEEK: usize = 4096;

/// The result size of a delta whose zlib stream starts `data`: the second of the two
/// base-128 numbers its inflated data starts with (base size, result size).
fn delta_result_size(inflater: &mut flate2::Decompress, data: &[u8]) -> Option<u64> {
    inflater.reset(true);
    let data = &data[..data.len().min(DELTA_PEEK)];
    // Two numbers of at most 10 bytes each.
    let mut out = [0u8; 20];
    let mut filled = 0;
    while filled < out.len() {
        let before = (inflater.total_in(), inflater.total_out());
        let used = usize::try_from(inflater.total_in()).ok()?;
        let status = inflater
            .decompress(
                data.get(used..)?,
                &mut out[filled..],
                flate2::FlushDecompress::None,
            )
            .ok()?;
        filled = usize::try_from(inflater.total_out()).ok()?;
        if status == flate2::Status::StreamEnd
            || (inflater.total_in(), inflater.total_out()) == before
        {
            break;
        }
    }
    let mut numbers = [0u64; 2];
    let mut bytes = out[..filled].iter();
    for n in &mut numbers {
        let mut shift = 0;
        loop {
            let &b = bytes.next()?;
            if shift > 63 {
                return None;
            }
            *n |= u64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    Some(numbers[1])
}

/// Parses the entry header at the start of `b`, the entry being at offset `off`.
fn parse_entry(b: &[u8], off: u64) -> Link {
    entry(b, off).0
}

/// What the entry header says and where the entry's compressed data starts.
pub(super) fn entry(b: &[u8], off: u64) -> (Link, usize) {
    entry_header(b)
        .map(|(kind, size, at)| link(b, off, kind, size, at))
        .unwrap_or((Link::Unknown, 0))
}

/// The type number, size and length of the type-and-size header at the start of `b`.
pub(super) fn entry_header(b: &[u8]) -> Option<(u8, u64, usize)> {
    let &first = b.first()?;
    let kind = (first >> 4) & 7;
    let mut size = u64::from(first & 15);
    let mut shift = 4;
    let mut i = 1;
    let mut c = first;
    while c & 0x80 != 0 {
        let &next = b.get(i)?;
        if shift > 57 {
            return None;
        }
        c = next;
        size |= u64::from(c & 0x7f) << shift;
        shift += 7;
        i += 1;
    }
    Some((kind, size, i))
}

/// What the entry header says, the type-and-size part ending at `i`, and where
/// the entry's compressed data starts.
fn link(b: &[u8], off: u64, kind: u8, size: u64, mut i: usize) -> (Link, usize) {
    match kind {
        1..=4 => (Link::Whole(kind, size), i),
        6 => {
            // Offset of the base, backwards, in git's "offset encoding".
            let Some(&first) = b.get(i) else {
                return (Link::Unknown, i);
            };
            let mut c = first;
            let mut back = u64::from(c & 0x7f);
            i += 1;
            while c & 0x80 != 0 {
                let Some(&next) = b.get(i) else {
                    return (Link::Unknown, i);
                };
                c = next;
                back = match back
                    .checked_add(1)
                    .and_then(|v| v.checked_mul(128))
                    .map(|v| v | u64::from(c & 0x7f))
                {
                    Some(v) => v,
                    None => return (Link::Unknown, i),
                };
                i += 1;
            }
            match off.checked_sub(back) {
                Some(base) if back > 0 => (Link::Ofs(base), i),
                _ => (Link::Unknown, i),
            }
        }
        7 => match b.get(i..i + 20).and_then(|id| Oid::from_bytes(id).ok()) {
            Some(id) => (Link::Ref(id), i + 20),
            None => (Link::Unknown, i),
        },
        _ => (Link::Unknown, i),
    }
}

/// Bytes of a pack around one entry header, refilled as the offsets move on.
#[derive(Default)]
struct Window {
    start: u64,
    buf: Vec<u8>,
}

/// An entry header with its delta base fits in this many bytes.
pub(super) const HEADER_MAX: usize = 64;
/// Bytes read at a time.
const WINDOW: usize = 64 * 1024;

impl Window {
    /// The bytes from `off` on, at least `need` of them unless the pack ends first.
    fn at(&mut self, pack: &mut (impl Read + Seek), off: u64, need: usize) -> Option<&[u8]> {
        let end = self.start + self.buf.len() as u64;
        if off < self.start || off + need as u64 > end {
            pack.seek(SeekFrom::Start(off)).ok()?;
            self.buf.resize(WINDOW, 0);
            let mut n = 0;
            while n < WINDOW {
                match pack.read(&mut self.buf[n..]) {
                    Ok(0) => break,
                    Ok(k) => n += k,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => return None,
                }
            }
            self.buf.truncate(n);
            self.start = off;
        }
        let from = usize::try_from(off - self.start).ok()?;
        self.buf.get(from..)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::source::git) fn git(dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
        use std::io::Write as _;
        let mut cmd = std::process::Command::new("git");
        cmd.current_dir(dir)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_COMMITTER_NAME", "C")
            .env("GIT_COMMITTER_EMAIL", "c@example.com")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
        drop(input);
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    /// A pack of two objects, `[0xaa; 20]` and `[0xbb; 20]`, each a reference
    /// delta on the other: the pack's bytes, the ids and the entries' offsets.
    pub(in crate::source::git) fn cycle_pack() -> (Vec<u8>, [Oid; 2], Vec<u64>) {
        let ids = [
            Oid::from_bytes(&[0xaa; 20]).unwrap(),
            Oid::from_bytes(&[0xbb; 20]).unwrap(),
        ];
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, &[1, 1, 0x90, 1]).unwrap();
        let delta = e.finish().unwrap();
        let mut pack = b"PACK\0\0\0\x02\0\0\0\x02".to_vec();
        let mut offsets = Vec::new();
        for base in [ids[1], ids[0]] {
            offsets.push(pack.len() as u64);
            pack.push(0x74); // a reference delta of 4 bytes
            pack.extend_from_slice(base.as_bytes());
            pack.extend_from_slice(&delta);
        }
        pack.extend_from_slice(&[0; 20]);
        (pack, ids, offsets)
    }

    /// A repository of `commits` commits, each growing one of `files` files in
    /// one of three folders by a line (deltas on deltas), and an annotated tag.
    pub(in crate::source::git) fn growing_history(dir: &Path, commits: usize, files: usize) {
        git(dir, &["init", "-q", "-b", "main"], None);
        let mut stream = String::new();
        let mut file = String::new();
        for k in 0..commits {
            file += &format!("line {k}: some text that grows a little with each commit\n");
            let msg = format!("change {k}");
            stream += &format!(
                "commit refs/heads/main\nmark :{}\ncommitter C <c@x> {} +0000\ndata {}\n{msg}\n",
                k + 1,
                1_700_000_000 + k,
                msg.len()
            );
            if k > 0 {
                stream += &format!("from :{k}\n");
            }
            stream += &format!(
                "M 100644 inline d{}/f{}.txt\ndata {}\n{file}\n",
                k % 3,
                k % files,
                file.len()
            );
        }
        git(dir, &["fast-import", "--quiet"], Some(&stream));
        git(dir, &["tag", "-a", "-m", "a tag", "v1", "main"], None);
    }

    /// Types and sizes agree with `git cat-file` for every object of real packs,
    /// with offset deltas and with reference deltas.
    #[test]
    fn agrees_with_git_on_real_packs() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        growing_history(dir, 300, 1);
        let objects = dir.join(".git/objects");
        for config in [
            "repack.useDeltaBaseOffset=true",
            "repack.useDeltaBaseOffset=false",
        ] {
            git(dir, &["-c", config, "repack", "-a", "-d", "-f", "-q"], None);
            let packed = read(&objects).entries;
            let listing = git(
                dir,
                &[
                    "cat-file",
                    "--batch-all-objects",
                    "--batch-check=%(objectname) %(objecttype) %(objectsize) %(deltabase)",
                ],
                None,
            );
            let (mut deltas, mut blob_deltas, mut n) = (0, 0, 0);
            for line in listing.lines() {
                let f: Vec<&str> = line.split(' ').collect();
                let id = Oid::from_str(f[0]).unwrap();
                let p = packed[packed.binary_search_by_key(&id, |e| e.0).unwrap()].1;
                let kind = ObjectType::from_str(f[1]);
                assert_eq!(p.kind(), kind, "{config}: {line}");
                // Whole objects and blobs stored as deltas come with their size.
                if f[3].bytes().all(|b| b == b'0') || kind == Some(ObjectType::Blob) {
                    assert_eq!(p.size(), Some(f[2].parse().unwrap()), "{config}: {line}");
                } else {
                    assert_eq!(p.size(), None, "{config}: {line}");
                }
                if !f[3].bytes().all(|b| b == b'0') {
                    deltas += 1;
                    blob_deltas += usize::from(kind == Some(ObjectType::Blob));
                }
                n += 1;
            }
            assert_eq!(packed.len(), n, "{config}");
            assert!(deltas > 100, "{config}: {deltas} deltas");
            assert!(blob_deltas > 100, "{config}: {blob_deltas} blob deltas");
            // The links are of the kind asked for.
            let pack = std::fs::read_dir(objects.join("pack"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.extension().is_some_and(|x| x == "pack"))
                .unwrap();
            let data = std::fs::read(&pack).unwrap();
            let refs = packed
                .iter()
                .filter(|(_, p)| {
                    let off = p.position().1 as usize;
                    matches!(parse_entry(&data[off..], off as u64), Link::Ref(_))
                })
                .count();
            assert_eq!(refs > 0, config.ends_with("false"), "{config}: {refs}");
        }
    }

    #[test]
    fn entry_headers() {
        // A blob of 300 bytes: type 3, size 300 = 0b1_0010_1100.
        assert_eq!(parse_entry(&[0xbc, 0x12], 12), Link::Whole(3, 300));
        // An offset delta 130 bytes back: 0x80 | 0, then 2 -> (0 + 1) * 128 + 2.
        assert_eq!(parse_entry(&[0x65, 0x80, 0x02], 1000), Link::Ofs(870));
        assert_eq!(parse_entry(&[0x65, 0x05], 3), Link::Unknown);
        let id = [7u8; 20];
        let mut b = vec![0x75];
        b.extend_from_slice(&id);
        assert_eq!(
            parse_entry(&b, 50),
            Link::Ref(Oid::from_bytes(&id).unwrap())
        );
        for bad in [&[][..], &[0x80], &[0x05], &[0xff; 12], &[0x75, 1, 2]] {
            assert_eq!(parse_entry(bad, 10), Link::Unknown, "{bad:?}");
        }
        // A delta whose base would sit before the pack's start.
        assert_eq!(parse_entry(&[0x65, 0x7f], 20), Link::Unknown);
        // Delta data: base size 5, result size 300 (0xac 0x02), then instructions.
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut z, &[0x05, 0xac, 0x02, 0x90, 0x05]).unwrap();
        let z = z.finish().unwrap();
        let mut inflater = flate2::Decompress::new(true);
        assert_eq!(delta_result_size(&mut inflater, &z), Some(300));
        // Truncated or not zlib: no size, never a wrong one.
        assert_eq!(delta_result_size(&mut inflater, &z[..3]), None);
        assert_eq!(delta_result_size(&mut inflater, b"not zlib"), None);
    }
    /// Reference deltas whose bases form cycles (two-entry ones and one of
    /// 20,000 entries) have no type, and resolving them takes one step per
    /// entry (each joins one chain), not a walk to MAX_CHAIN per cycle.
    #[test]
    fn delta_cycles_have_no_type() {
        let n = 40_000usize;
        let id = |i: usize| {
            let mut b = [0u8; 20];
            b[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            Oid::from_bytes(&b).unwrap()
        };
        // Entries 0..20000 pair up; 20000.. form one cycle.
        let base = |i: usize| match i {
            i if i < 20_000 => i ^ 1,
            i if i + 1 < n => i + 1,
            _ => 20_000,
        };
        let mut pack = b"PACK\0\0\0\x02".to_vec();
        pack.extend_from_slice(&(n as u32).to_be_bytes());
        let mut entries = Vec::new();
        let at = |off: usize| Packed::new(0, off as u64, None, None);
        for i in 0..n {
            entries.push((id(i), at(pack.len())));
            pack.push(0x75);
            pack.extend_from_slice(id(base(i)).as_bytes());
        }
        // One entry stored whole, which a delta outside the cycles points at.
        entries.push((id(n), at(pack.len())));
        pack.extend_from_slice(&[0x35]);
        entry_kinds(std::io::Cursor::new(pack), &mut entries);
        assert_eq!(entries.len(), n + 1);
        assert!(
            entries[..n]
                .iter()
                .all(|e| e.1.kind().is_none() && e.1.size().is_none())
        );
        assert_eq!(entries[n].1.kind(), Some(ObjectType::Blob));
        assert_eq!(entries[n].1.size(), Some(5));
    }

    /// An index that claims more entries than its bytes hold yields nothing, and
    /// nothing is allocated for the claim.
    #[test]
    fn idx_counts_are_checked_against_the_size() {
        let mut idx = b"\xfftOc\0\0\0\x02".to_vec();
        idx.extend(std::iter::repeat_n(0xff, 256 * 4));
        assert!(read_idx(&idx).is_none());
        idx.extend(std::iter::repeat_n(0, 28 * 1000));
        assert!(read_idx(&idx).is_none());
    }

    proptest::proptest! {
        /// Arbitrary bytes as an index, with a valid header or not: no panic, and
        /// never more entries than 28 bytes each can hold.
        #[test]
        fn any_idx_returns(
            tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4096),
            count in proptest::prelude::any::<u32>(),
            small in 0u32..100,
            header in proptest::prelude::any::<bool>(),
        ) {
            let mut idx = Vec::new();
            if header {
                idx.extend_from_slice(b"\xfftOc\0\0\0\x02");
                idx.extend(std::iter::repeat_n(0, 255 * 4));
                let n = if count % 2 == 0 { count } else { small };
                idx.extend_from_slice(&n.to_be_bytes());
            }
            idx.extend_from_slice(&tail);
            let got = read_idx(&idx).unwrap_or_default();
            proptest::prop_assert!(got.len() <= idx.len() / 28);
        }

        /// Arbitrary entry headers: no panic, and a delta base always before the entry.
        #[test]
        fn any_entry_header_returns(
            b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
            off in proptest::prelude::any::<u64>(),
        ) {
            if let Link::Ofs(base) = parse_entry(&b, off) {
                proptest::prop_assert!(base < off);
            }
        }

        /// Arbitrary pack bytes and entry offsets: no panic, and an answer for
        /// each entry.
        #[test]
        fn any_pack_returns(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4096),
            offsets in proptest::collection::vec(0u64..5000, 0..64),
            far in proptest::prelude::any::<u64>(),
        ) {
            let mut pack = b"PACK\0\0\0\x02\0\0\0\x01".to_vec();
            pack.extend_from_slice(&body);
            let mut entries: Vec<(Oid, Packed)> = offsets
                .iter()
                .chain([&far])
                .enumerate()
                .map(|(i, &off)| {
                    // Ids that the bodies' reference deltas may name.
                    let mut id = [0u8; 20];
                    id[0] = i as u8;
                    (Oid::from_bytes(&id).unwrap(), Packed::new(0, off, None, None))
                })
                .collect();
            let mut before: Vec<u64> = entries.iter().map(|e| e.1.offset).collect();
            entry_kinds(std::io::Cursor::new(pack), &mut entries);
            // The same entries, sorted by offset, each with a type number git has.
            before.sort_unstable();
            let after: Vec<u64> = entries.iter().map(|e| e.1.offset).collect();
            proptest::prop_assert_eq!(after, before);
            proptest::prop_assert!(entries.iter().all(|e| e.1.kind <= 4));
        }
    }
}
