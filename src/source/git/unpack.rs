//! Packed objects read straight from the pack files: positional reads of each
//! entry's compressed bytes, zlib, and git's delta format applied along the chain,
//! with a cache of recent results sized in bytes (one per thread: no lock).
//!
//! The history scan reads every packed object through this (libgit2 serialised
//! its threads on the pack's lock and remapped 8 MiB windows of the pack for the
//! tree walk's scattered reads), and nothing of the packs is mapped: memory is the
//! cache, a 64 KiB read-ahead for reads in pack order, and the object at hand. It
//! only reads what [`pack::read`](super::pack::read) could type (so every chain it
//! follows ends in a whole object); anything else, or anything unexpected on the
//! way (a short read, a bad zlib stream, a delta that does not fit its base, an
//! object over the size limit), is `None` and the caller asks libgit2, which
//! reports what is wrong. `staged` reads loose objects with [`Loose`].

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::path::Path;
use std::rc::Rc;

use flate2::{Decompress, FlushDecompress, Status};
use git2::Oid;

use super::pack::{Link, Packed, Table, entry};

/// The packs' files, opened once and shared by every thread.
pub struct Packs<'a> {
    table: &'a Table,
    /// By pack number: the file and where its entries end (before the trailer).
    files: Vec<Option<(File, u64)>>,
}

impl<'a> Packs<'a> {
    pub fn open(table: &'a Table) -> Packs<'a> {
        let files = table
            .packs
            .iter()
            .map(|p| {
                let f = File::open(&p.path).ok()?;
                let len = f.metadata().ok()?.len();
                Some((f, len.checked_sub(20)?))
            })
            .collect();
        Packs { table, files }
    }

    pub fn table(&self) -> &Table {
        self.table
    }

    /// Whether pack number `pack` could be opened.
    pub fn readable(&self, pack: u32) -> bool {
        self.files.get(pack as usize).is_some_and(Option::is_some)
    }

    /// Where the entry at `offset` of pack `pack` ends (the next entry, or the
    /// trailer), and the pack's file and where its entries end.
    fn extent(&self, pack: u32, offset: u64) -> Option<(u64, &File, u64)> {
        let (file, data_end) = self.files.get(pack as usize)?.as_ref()?;
        let offsets = &self.table.packs[pack as usize].offsets;
        let i = offsets.binary_search(&offset).ok()?;
        let end = offsets.get(i + 1).copied().unwrap_or(*data_end);
        (end > offset && end <= *data_end).then_some((end, file, *data_end))
    }
}

/// Bytes of a pack read at a time: entries that follow one another (pack order)
/// cost one read, not one each.
const WINDOW: usize = 64 << 10;

/// Bytes of one pack read ahead.
#[derive(Default)]
struct Window {
    pack: u32,
    start: u64,
    bytes: Vec<u8>,
    /// Where the last entry read ended: reading on from there is reading in
    /// pack order, and only then is a window read ahead (the tree walk's
    /// scattered reads would copy 64 KiB for each small tree).
    last_end: u64,
}

pub(super) fn read_exact_at(f: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(f, buf, offset);
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(f, buf, offset);
        match n {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// An object's type number (1 commit, 2 tree, 3 blob, 4 tag) and bytes.
pub type Object = (u8, Rc<Vec<u8>>);

/// Objects kept for later deltas, up to a number of bytes; the oldest go first.
/// An object too large for that is kept alone until the next one: in pack order
/// a delta usually follows its base, and a chain of large objects is then still
/// read once, not once per link.
struct Cache {
    map: HashMap<(u32, u64), Object>,
    large: Option<((u32, u64), Object)>,
    order: VecDeque<(u32, u64)>,
    bytes: usize,
    budget: usize,
}

impl Cache {
    fn get(&self, at: (u32, u64)) -> Option<Object> {
        match &self.large {
            Some((k, obj)) if *k == at => Some(obj.clone()),
            _ => self.map.get(&at).cloned(),
        }
    }

    fn put(&mut self, at: (u32, u64), obj: &Object) {
        let len = obj.1.len();
        if len > self.budget / 4 {
            self.large = Some((at, obj.clone()));
            return;
        }
        if self.map.contains_key(&at) {
            return;
        }
        while self.bytes + len > self.budget {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some((_, d)) = self.map.remove(&old) {
                self.bytes -= d.len();
            }
        }
        self.bytes += len;
        self.order.push_back(at);
        self.map.insert(at, obj.clone());
    }
}

/// One thread's reader.
pub struct Unpacker<'a> {
    packs: &'a Packs<'a>,
    cache: Cache,
    z: Decompress,
    window: Window,
    chain: Vec<(u32, u64)>,
    /// The bases of reference deltas met on the chain being followed.
    bases: HashSet<(u32, u64)>,
    /// Entries whose chain leads nowhere (a cycle, or past [`MAX_CHAIN`]).
    broken: HashSet<(u32, u64)>,
}

/// Longest chain followed: any chain [`pack::read`](super::pack::read) typed ends in a whole object,
/// so this only bounds a pack changed under the scan.
const MAX_CHAIN: usize = 1 << 20;

impl<'a> Unpacker<'a> {
    /// A reader whose cache holds up to `budget` bytes.
    pub fn new(packs: &'a Packs<'a>, budget: usize) -> Unpacker<'a> {
        Unpacker {
            packs,
            cache: Cache {
                map: HashMap::new(),
                large: None,
                order: VecDeque::new(),
                bytes: 0,
                budget,
            },
            z: Decompress::new(true),
            window: Window::default(),
            chain: Vec::new(),
            bases: HashSet::new(),
            broken: HashSet::new(),
        }
    }

    pub fn table(&self) -> &Table {
        self.packs.table()
    }

    /// The bytes of the entry at `at` (up to the next entry), from the window,
    /// read again from there when it does not hold them. `None` for an entry
    /// larger than `limit` allows.
    fn entry_bytes<'w>(
        packs: &Packs,
        w: &'w mut Window,
        (pack, offset): (u32, u64),
        limit: usize,
    ) -> Option<&'w [u8]> {
        let (end, file, data_end) = packs.extent(pack, offset)?;
        let len = usize::try_from(end - offset).ok()?;
        // Compressed bytes beyond what the object may inflate to (zlib's stored
        // blocks add 5 bytes in 65,535).
        if len > limit.saturating_add(limit / 1024 + 1024) {
            return None;
        }
        let held = w.pack == pack && offset >= w.start && end <= w.start + w.bytes.len() as u64;
        let in_order = w.pack == pack && offset == w.last_end;
        w.last_end = end;
        if !held {
            let ahead = if in_order { WINDOW } else { 0 };
            let want = len.max(ahead).min(usize::try_from(data_end - offset).ok()?);
            w.bytes.clear();
            w.bytes.resize(want, 0);
            if read_exact_at(file, &mut w.bytes, offset).is_err() {
                w.bytes.clear();
                return None;
            }
            (w.pack, w.start) = (pack, offset);
        }
        let from = usize::try_from(offset - w.start).ok()?;
        w.bytes.get(from..from + len)
    }

    /// The object `id`, when a pack read here holds it, typed, no larger than `limit`.
    pub fn get(&mut self, id: &Oid, limit: usize) -> Option<Object> {
        let p = self.packs.table().get(id)?;
        self.read(p, limit)
    }

    /// The object of entry `p` (every object on its chain no larger than `limit`).
    pub fn read(&mut self, p: Packed, limit: usize) -> Option<Object> {
        p.kind()?;
        let mut at = p.position();
        self.chain.clear();
        self.bases.clear();
        // Down the chain to a whole object or one in the cache.
        let (kind, mut data) = loop {
            if let Some(obj) = self.cache.get(at) {
                break obj;
            }
            if self.chain.len() > MAX_CHAIN || self.broken.contains(&at) {
                self.give_up(at);
                return None;
            }
            let bytes = Self::entry_bytes(self.packs, &mut self.window, at, limit)?;
            let (link, start) = entry(bytes, at.1);
            match link {
                Link::Whole(kind, size) => {
                    let bytes = bytes.get(start..)?;
                    let data = inflate(&mut self.z, bytes, size, limit)?;
                    let obj = (kind, Rc::new(data));
                    self.cache.put(at, &obj);
                    break obj;
                }
                Link::Ofs(base) => {
                    self.chain.push(at);
                    at = (at.0, base);
                }
                Link::Ref(id) => {
                    self.chain.push(at);
                    at = self.packs.table().get(&id)?.position();
                    // Only a reference can lead back (an offset delta's base lies
                    // before it in its pack): a base met twice is a cycle. The
                    // table keeps one pack's entry of an object that several
                    // packs hold, so packs that each resolve can still make one.
                    if !self.bases.insert(at) {
                        self.give_up(at);
                        return None;
                    }
                }
                Link::Unknown => return None,
            }
        };
        // Back up, applying each delta to what its base gave.
        while let Some(at) = self.chain.pop() {
            let bytes = Self::entry_bytes(self.packs, &mut self.window, at, limit)?;
            let (_, start) = entry(bytes, at.1);
            let (_, size, _) = super::pack::entry_header(bytes)?;
            let delta = inflate(&mut self.z, bytes.get(start..)?, size, limit)?;
            let obj = (kind, Rc::new(apply_delta(&data, &delta, limit)?));
            self.cache.put(at, &obj);
            data = obj.1;
        }
        Some((kind, data))
    }

    /// Marks the chain being followed, and `at`, as leading nowhere: a read that
    /// meets one of them again stops there, so a crafted cycle costs its length
    /// once, not once per object that leads into it.
    fn give_up(&mut self, at: (u32, u64)) {
        self.broken.insert(at);
        self.broken.extend(self.chain.drain(..));
    }
}

/// Inflates the zlib stream at the start of `input`, which must give exactly
/// `size` bytes, at most `limit`. Memory grows with what the stream gives, not
/// with the size its header claims.
pub(super) fn inflate(
    z: &mut Decompress,
    input: &[u8],
    size: u64,
    limit: usize,
) -> Option<Vec<u8>> {
    let size = usize::try_from(size).ok().filter(|&s| s <= limit)?;
    z.reset(true);
    inflate_rest(z, input, Vec::new(), size)
}

/// Output room zlib's fast loop needs to go on (zlib's `inflate_fast` needs
/// 258 bytes, zlib-rs's 260).
const FAST_ROOM: usize = 260;

/// Goes on inflating `input` (of which `z` has used what it says) after `out`,
/// to exactly `size` bytes in all.
fn inflate_rest(
    z: &mut Decompress,
    input: &[u8],
    mut out: Vec<u8>,
    size: usize,
) -> Option<Vec<u8>> {
    // Room past `size` for zlib's fast loop, which stops short of the last 258
    // bytes of room: without it, the end of every object (all of a small one)
    // took the slow loop.
    let slack = 1 + FAST_ROOM;
    out.reserve_exact((size - out.len().min(size)).min(input.len().saturating_mul(4)) + slack);
    loop {
        if out.len() == out.capacity() {
            // Room for one byte past `size`: a stream that gives more is refused.
            let more = (size + 1 - out.len()).min(out.capacity().max(4096));
            out.reserve_exact(more);
        }
        let before = (z.total_in(), out.len());
        let used = usize::try_from(z.total_in()).ok()?;
        let status = z
            // `Finish`: the whole stream is at hand, and zlib need not copy what
            // it wrote into its window for a next call.
            .decompress_vec(input.get(used..)?, &mut out, FlushDecompress::Finish)
            .ok()?;
        if out.len() > size {
            return None;
        }
        if status == Status::StreamEnd {
            break;
        }
        if (z.total_in(), out.len()) == before {
            return None;
        }
    }
    (out.len() == size).then_some(out)
}

/// A reader of loose objects that keeps its buffers and zlib state from one
/// object to the next: a hook reads a few objects, and fresh buffers for each
/// cost a page fault per page written.
pub struct Loose {
    objects: std::path::PathBuf,
    z: Decompress,
    file: Vec<u8>,
    data: Vec<u8>,
}

impl Loose {
    pub fn new(objects: &Path) -> Loose {
        Loose {
            objects: objects.to_path_buf(),
            z: Decompress::new(true),
            file: Vec::new(),
            data: Vec::new(),
        }
    }

    /// The loose object `id` (`objects/ab/cdef…`, zlib of `TYPE SIZE NUL
    /// BYTES`), no larger than `limit`: its type number and bytes, which the next
    /// read replaces. `None` when there is none or it is not what it should be
    /// (the caller then asks libgit2, which says why).
    pub fn read(&mut self, id: &Oid, limit: usize) -> Option<(u8, &[u8])> {
        use std::io::Read;
        let hex = id.to_string();
        let path = self.objects.join(&hex[..2]).join(&hex[2..]);
        self.file.clear();
        // Through `take`: `read_to_end` on a `File` first asks for its size and
        // position (two more system calls for an object of a few hundred bytes).
        self.file.reserve(16 << 10);
        File::open(path)
            .ok()?
            .take(u64::MAX)
            .read_to_end(&mut self.file)
            .ok()?;
        let z = &mut self.z;
        z.reset(true);
        // The header: a type name, a space, a decimal size and a NUL.
        let mut head = [0u8; 64];
        z.decompress(&self.file, &mut head, FlushDecompress::None)
            .ok()?;
        let head = &head[..usize::try_from(z.total_out()).ok()?];
        let nul = memchr::memchr(0, head)?;
        let (name, size) = std::str::from_utf8(&head[..nul]).ok()?.split_once(' ')?;
        let kind = match name {
            "commit" => 1,
            "tree" => 2,
            "blob" => 3,
            "tag" => 4,
            _ => return None,
        };
        let size: usize = size.parse().ok().filter(|&s| s <= limit)?;
        let mut body = std::mem::take(&mut self.data);
        body.clear();
        body.extend_from_slice(&head[nul + 1..]);
        if body.len() > size {
            return None;
        }
        self.data = inflate_rest(z, &self.file, body, size)?;
        Some((kind, &self.data))
    }
}

/// A base-128 number of git's delta header, little-endian groups of 7 bits.
fn delta_size(d: &[u8], i: &mut usize) -> Option<usize> {
    let mut n: u64 = 0;
    let mut shift = 0;
    loop {
        let &b = d.get(*i)?;
        *i += 1;
        if shift > 63 {
            return None;
        }
        n |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return usize::try_from(n).ok();
        }
    }
}

/// Applies git's delta format: the base's size, the result's size, then
/// instructions that copy a range of the base or insert the bytes that follow.
/// `None` unless every instruction fits and the result has the size announced
/// (at most `limit`).
pub fn apply_delta(base: &[u8], delta: &[u8], limit: usize) -> Option<Vec<u8>> {
    let mut i = 0;
    if delta_size(delta, &mut i)? != base.len() {
        return None;
    }
    let size = delta_size(delta, &mut i)?;
    if size > limit {
        return None;
    }
    let mut out = Vec::with_capacity(size.min(base.len() + delta.len()));
    while i < delta.len() {
        let op = delta[i];
        i += 1;
        if op & 0x80 != 0 {
            // Copy: which of 4 offset bytes and 3 size bytes follow.
            let mut field = |bits: u8, first: u32| -> Option<usize> {
                let mut v = 0usize;
                for k in 0..bits {
                    if op & (1 << (first + u32::from(k))) != 0 {
                        v |= usize::from(*delta.get(i)?) << (8 * k);
                        i += 1;
                    }
                }
                Some(v)
            };
            let from = field(4, 0)?;
            let len = match field(3, 4)? {
                0 => 0x10000,
                n => n,
            };
            let src = base.get(from..from.checked_add(len)?)?;
            if out.len() + len > size {
                return None;
            }
            out.extend_from_slice(src);
        } else if op != 0 {
            let len = usize::from(op);
            let src = delta.get(i..i + len)?;
            if out.len() + len > size {
                return None;
            }
            out.extend_from_slice(src);
            i += len;
        } else {
            // Reserved.
            return None;
        }
    }
    (out.len() == size).then_some(out)
}

/// The entries of a raw tree object: (mode, name, id), `Err` at the first
/// malformed one.
pub fn tree_entries(data: &[u8]) -> impl Iterator<Item = Result<(u32, &[u8], Oid), ()>> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let parsed = (|| {
            let sp = memchr::memchr(b' ', rest)?;
            let mut mode = 0u32;
            for &c in &rest[..sp] {
                if !(b'0'..=b'7').contains(&c) || mode > 0o7777777 {
                    return None;
                }
                mode = mode * 8 + u32::from(c - b'0');
            }
            let name_at = sp + 1;
            let nul = name_at + memchr::memchr(0, &rest[name_at..])?;
            let id = Oid::from_bytes(rest.get(nul + 1..nul + 21)?).ok()?;
            let name = &rest[name_at..nul];
            if sp == 0 || name.is_empty() {
                return None;
            }
            Some(((mode, name, id), nul + 21))
        })();
        match parsed {
            Some((e, used)) => {
                rest = &rest[used..];
                Some(Ok(e))
            }
            None => {
                rest = &[];
                Some(Err(()))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every object of real packs, with offset deltas and with reference deltas,
    /// reads as libgit2 reads it, through a cache too small to hold much.
    #[test]
    fn agrees_with_libgit2_on_real_packs() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let git =
            |args: &[&str], stdin: &str| super::super::pack::tests::git(dir, args, Some(stdin));
        super::super::pack::tests::growing_history(dir, 200, 5);
        let repo = git2::Repository::open(dir).unwrap();
        let odb = repo.odb().unwrap();
        for config in [
            "repack.useDeltaBaseOffset=true",
            "repack.useDeltaBaseOffset=false",
        ] {
            git(&["-c", config, "repack", "-a", "-d", "-f", "-q"], "");
            let table = crate::source::git::pack::read(&dir.join(".git/objects"));
            let packs = Packs::open(&table);
            for budget in [0, 64 << 10, 16 << 20] {
                let mut r = Unpacker::new(&packs, budget);
                let mut n = 0;
                // Pack order and id order.
                let mut order = table.entries.clone();
                order.sort_by_key(|e| e.1.position());
                for (id, p) in order.iter().chain(table.entries.iter()) {
                    let (kind, data) = r.read(*p, 1 << 20).expect("read");
                    let want = odb.read(*id).unwrap();
                    assert_eq!(data.as_slice(), want.data(), "{config}: {id}");
                    assert_eq!(p.kind(), Some(want.kind()), "{config}: {id}");
                    assert!((1..=4).contains(&kind));
                    n += 1;
                }
                assert!(n > 1000, "{n}");
                // Below an object's size, it is not read.
                let big = table
                    .entries
                    .iter()
                    .find(|e| e.1.kind() == Some(git2::ObjectType::Blob))
                    .unwrap();
                let len = r.read(big.1, 1 << 20).unwrap().1.len();
                assert!(Unpacker::new(&packs, 0).read(big.1, len - 1).is_none());
            }
            // Trees parse as libgit2 parses them.
            for (id, p) in &table.entries {
                if p.kind() != Some(git2::ObjectType::Tree) {
                    continue;
                }
                let mut r = Unpacker::new(&packs, 0);
                let (_, data) = r.read(*p, 1 << 20).unwrap();
                let ours: Vec<(u32, Vec<u8>, Oid)> = tree_entries(&data)
                    .map(|e| e.map(|(m, n, i)| (m, n.to_vec(), i)).unwrap())
                    .collect();
                let tree = repo.find_tree(*id).unwrap();
                let theirs: Vec<(u32, Vec<u8>, Oid)> = tree
                    .iter()
                    .map(|e| (e.filemode() as u32, e.name_bytes().to_vec(), e.id()))
                    .collect();
                assert_eq!(ours, theirs);
            }
        }
    }

    #[test]
    fn loose_objects_read_as_libgit2_reads_them() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let git =
            |args: &[&str], stdin: &str| super::super::pack::tests::git(dir, args, Some(stdin));
        git(&["init", "-q"], "");
        let objects = dir.join(".git/objects");
        let repo = git2::Repository::open(dir).unwrap();
        let odb = repo.odb().unwrap();
        // One reader throughout: its buffers, kept from one object to the next,
        // must not leak into the next.
        let mut r = Loose::new(&objects);
        // Larger than any first read, empty, small; a tree too.
        let big: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
        for text in [big.as_str(), "", "x", "hello\n"] {
            let id = Oid::from_str(git(&["hash-object", "-w", "--stdin"], text).trim()).unwrap();
            let (kind, data) = r.read(&id, usize::MAX).unwrap();
            assert_eq!((kind, data), (3, text.as_bytes()));
            assert_eq!(data, odb.read(id).unwrap().data());
            if !text.is_empty() {
                assert!(r.read(&id, text.len() - 1).is_none());
            }
        }
        git(&["add", "-A"], "");
        std::fs::write(dir.join("f.txt"), "f").unwrap();
        git(&["add", "f.txt"], "");
        let tree = Oid::from_str(git(&["write-tree"], "").trim()).unwrap();
        let (kind, data) = r.read(&tree, usize::MAX).unwrap();
        assert_eq!((kind, data), (2, odb.read(tree).unwrap().data()));
        // Not there; cut short; a size that is not the content's.
        assert!(
            r.read(&Oid::from_bytes(&[9; 20]).unwrap(), usize::MAX)
                .is_none()
        );
        let hex = tree.to_string();
        let path = objects.join(&hex[..2]).join(&hex[2..]);
        let whole = std::fs::read(&path).unwrap();
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&path, perms).unwrap();
        std::fs::write(&path, &whole[..whole.len() - 6]).unwrap();
        assert!(r.read(&tree, usize::MAX).is_none());
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, b"blob 5\0abc").unwrap();
        std::fs::write(&path, e.finish().unwrap()).unwrap();
        assert!(r.read(&tree, usize::MAX).is_none());
    }

    /// Two packs can each resolve every chain and still make a cycle through the
    /// table, which keeps one pack's entry of each object: here, two reference
    /// deltas on each other. Reading either gives up at once and remembers it.
    #[test]
    fn reference_cycles_are_given_up() {
        use super::super::pack::{Pack, Table};
        let tmp = tempfile::tempdir().unwrap();
        let (pack, [a, b], offsets) = super::super::pack::tests::cycle_pack();
        let path = tmp.path().join("t.pack");
        std::fs::write(&path, &pack).unwrap();
        let entries = vec![
            (a, Packed::new(0, offsets[0], Some(3), None)),
            (b, Packed::new(0, offsets[1], Some(3), None)),
        ];
        let table = Table::new(
            entries,
            vec![Pack {
                path,
                offsets: offsets.clone(),
            }],
        );
        let packs = Packs::open(&table);
        let mut r = Unpacker::new(&packs, 1 << 20);
        assert!(r.get(&a, 1 << 20).is_none());
        assert_eq!(r.broken.len(), 2);
        assert!(r.get(&b, 1 << 20).is_none());
        assert!(r.chain.is_empty());
    }

    #[test]
    fn deltas() {
        let base = b"0123456789abcdef";
        // base 16, result 9: copy 4 bytes at 10, insert "xyz", copy 2 at 0.
        let d = [16, 9, 0x91, 10, 4, 3, b'x', b'y', b'z', 0x90, 2];
        assert_eq!(apply_delta(base, &d, 100).unwrap(), b"abcdxyz01");
        // Wrong base size, result too large, short result, copy past the base,
        // insert past the delta, the reserved instruction, the limit.
        for bad in [
            &[15u8, 9, 0x91, 10, 4][..],
            &[16, 9, 0x91, 10, 4, 3, b'x', b'y', b'z', 0x90, 3],
            &[16, 8, 0x91, 10, 4],
            &[16, 4, 0x91, 14, 4],
            &[16, 4, 4, b'a'],
            &[16, 1, 0],
        ] {
            assert_eq!(apply_delta(base, bad, 100), None, "{bad:?}");
        }
        assert_eq!(apply_delta(base, &d, 8), None);
        // Copy size 0 means 0x10000.
        let big = vec![7u8; 0x10000];
        let d = [0x80, 0x80, 0x04, 0x80, 0x80, 0x04, 0x80];
        assert_eq!(apply_delta(&big, &d, 1 << 20).unwrap(), big);
    }

    #[test]
    fn inflate_checks_the_size() {
        use std::io::Write as _;
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&[b'a'; 10_000]).unwrap();
        let z = e.finish().unwrap();
        let mut d = Decompress::new(true);
        assert_eq!(inflate(&mut d, &z, 10_000, 10_000).unwrap().len(), 10_000);
        // A size that is not the stream's, in either direction, or over the limit.
        assert!(inflate(&mut d, &z, 9_999, 1 << 20).is_none());
        assert!(inflate(&mut d, &z, 10_001, 1 << 20).is_none());
        assert!(inflate(&mut d, &z, 10_000, 9_999).is_none());
        // A claimed size far over what the stream gives allocates what it gives.
        assert!(inflate(&mut d, &z[..20], 1 << 40, usize::MAX).is_none());
    }

    #[test]
    fn malformed_trees_stop_with_an_error() {
        let id = [1u8; 20];
        let mut ok = b"100644 a.txt\0".to_vec();
        ok.extend_from_slice(&id);
        let got: Vec<_> = tree_entries(&ok).collect();
        assert_eq!(
            got,
            vec![Ok((0o100644, &b"a.txt"[..], Oid::from_bytes(&id).unwrap()))]
        );
        for bad in [
            &b"100644 a.txt\0short"[..],
            b"10x644 a\0aaaaaaaaaaaaaaaaaaaa",
            b" a\0aaaaaaaaaaaaaaaaaaaa",
            b"100644 \0aaaaaaaaaaaaaaaaaaaa",
            b"100644 no-nul",
        ] {
            let got: Vec<_> = tree_entries(bad).collect();
            assert_eq!(got.last(), Some(&Err(())), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn any_delta_returns(base in proptest::collection::vec(any::<u8>(), 0..64),
                             delta in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Some(out) = apply_delta(&base, &delta, 1 << 16) {
                prop_assert!(out.len() <= 1 << 16);
            }
        }

        #[test]
        fn any_tree_returns(data in proptest::collection::vec(any::<u8>(), 0..128)) {
            let n = tree_entries(&data).count();
            prop_assert!(n <= data.len());
        }
    }
}
