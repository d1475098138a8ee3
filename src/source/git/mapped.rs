//! Objects read from the packs for the few dozen reads of a hook run (`staged`:
//! HEAD's commit and the trees of the folders a change touches). An object is
//! found by a search of each pack index's ids, with no table of every object as
//! the history scan builds ([`pack::read`](super::pack::read)), and inflated
//! along its delta chain with zlib-rs. libgit2 did the same through its object
//! database, whose start, caches and teardown (unmapping each pack one by one)
//! were a fifth of a hook run.
//!
//! The index and the pack are read by position (`pread`), a few hundred bytes
//! where each object is, not mapped: a first touch of a mapped page costs a
//! page fault, which took 2–3 µs against under 1 µs for a read (a 2-core VM),
//! and a hook run touched some 100 such pages (the module's name is from then).
//! An id is looked for first where a hash should sit in its fan-out range (ids
//! are evenly spread), then in the whole range.
//!
//! Only version 2 indexes are read, and only the packs of the repository's own
//! object folder. Anything else (an object that is loose or in an alternate, an
//! index or pack that is not what it should be, a broken chain, a stream that
//! does not fit the bound zlib's deflate keeps to) is `None`, and the caller
//! asks libgit2, which reports what is wrong. The files are untrusted: every
//! offset and count is checked against the file's length, nothing is read past
//! it, and a chain is followed at most [`MAX_CHAIN`] links.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::rc::Rc;

use flate2::Decompress;
use git2::Oid;

use super::pack::{Link, entry, entry_header};
use super::unpack::{Object, apply_delta, inflate, read_exact_at};

/// Longest chain followed (git's own limit is 4095): a crafted cycle of
/// reference deltas stops here.
const MAX_CHAIN: usize = 10_000;

/// Bytes of inflated bases kept for later reads: the trees of nearby folders
/// often share a chain's base.
const CACHE_BYTES: usize = 4 << 20;

/// A pack index (version 2) and its pack.
struct Pack {
    idx: File,
    data: File,
    /// Objects in the index.
    n: usize,
    /// The fan-out table: how many ids start with a byte up to each value.
    fanout: Vec<u32>,
    /// Where the pack's trailing checksum starts.
    data_end: u64,
}

const FANOUT: usize = 8;
const IDS: usize = FANOUT + 256 * 4;

/// Ids read first around where an id should sit in its fan-out range.
const WINDOW: usize = 64;

/// Bytes of an entry read first: its header and, for most trees, all of it.
const FIRST_READ: usize = 4 << 10;

/// Where an entry is: its pack's number and its offset in the pack.
type Place = (usize, u64);

/// Bytes of the deltas' first reads kept on the way down a chain, for the way
/// back up; a chain longer than that (crafted: git's own limit is 4095 links)
/// has the rest read again.
const CHAIN_BYTES: usize = 1 << 20;

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// `len` bytes of `file` from `at`.
fn read_at(file: &File, at: u64, len: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0; len];
    read_exact_at(file, &mut buf, at).ok()?;
    Some(buf)
}

impl Pack {
    fn open(idx: &Path) -> Option<Pack> {
        let idx_file = File::open(idx).ok()?;
        let idx_len = idx_file.metadata().ok()?.len();
        let head = read_at(&idx_file, 0, IDS)?;
        if head.get(..8) != Some(b"\xfftOc\0\0\0\x02") {
            return None;
        }
        let fanout: Vec<u32> = (0..256)
            .map(|i| be32(&head, FANOUT + i * 4))
            .collect::<Option<_>>()?;
        let n = fanout[255] as usize;
        // Ids, CRCs and 31-bit offsets take 28 bytes an entry, before the two
        // trailing checksums.
        let room = usize::try_from(idx_len).ok()?.checked_sub(IDS + 40)?;
        if n > room / 28 {
            return None;
        }
        let data = File::open(idx.with_extension("pack")).ok()?;
        let data_end = data.metadata().ok()?.len().checked_sub(20)?;
        (read_at(&data, 0, 4)? == b"PACK").then_some(Pack {
            idx: idx_file,
            data,
            n,
            fanout,
            data_end,
        })
    }

    /// Where the object `id` sits in the pack.
    fn offset(&self, id: &Oid) -> Option<u64> {
        let id = id.as_bytes();
        let first = usize::from(id[0]);
        let from = match first {
            0 => 0,
            _ => self.fanout[first - 1] as usize,
        };
        let to = (self.fanout[first] as usize).min(self.n);
        if from >= to {
            return None;
        }
        // Where a hash should sit, from its next two bytes; the whole range
        // when it is not in the window around there.
        let guess = from + ((usize::from(u16::from_be_bytes([id[1], id[2]])) * (to - from)) >> 16);
        let lo = guess.saturating_sub(WINDOW / 2).max(from);
        let hi = (lo + WINDOW).min(to);
        let found = match self.search(lo, hi, id)? {
            Ok(i) => i,
            Err(i) if (i == lo && lo > from) || (i == hi && hi < to) => {
                self.search(from, to, id)?.ok()?
            }
            Err(_) => return None,
        };
        let small = IDS + self.n * 24;
        let off = be32(&read_at(&self.idx, (small + found * 4) as u64, 4)?, 0)?;
        if off & 0x8000_0000 == 0 {
            return Some(u64::from(off));
        }
        let at = small + self.n * 4 + (off & 0x7fff_ffff) as usize * 8;
        Some(u64::from_be_bytes(
            read_at(&self.idx, at as u64, 8)?.try_into().ok()?,
        ))
    }

    /// The ids from `lo` to `hi` searched for `id`: where it is, or where it
    /// would be.
    fn search(&self, lo: usize, hi: usize, id: &[u8]) -> Option<Result<usize, usize>> {
        let ids = read_at(&self.idx, (IDS + lo * 20) as u64, (hi - lo) * 20)?;
        let (mut a, mut b) = (0, hi - lo);
        while a < b {
            let mid = a + (b - a) / 2;
            match ids[mid * 20..mid * 20 + 20].cmp(id) {
                std::cmp::Ordering::Less => a = mid + 1,
                std::cmp::Ordering::Greater => b = mid,
                std::cmp::Ordering::Equal => return Some(Ok(lo + mid)),
            }
        }
        Some(Err(lo + a))
    }

    /// Up to `len` bytes of the pack from `offset`, never past its trailing
    /// checksum.
    fn read(&self, offset: u64, len: usize) -> Option<Vec<u8>> {
        let left = usize::try_from(self.data_end.checked_sub(offset)?).unwrap_or(usize::MAX);
        read_at(&self.data, offset, len.min(left))
    }
}

/// The packs of one object folder, and what was inflated from them.
pub struct Mapped {
    packs: Vec<Pack>,
    z: Decompress,
    cache: HashMap<(usize, u64), Object>,
    cached: usize,
}

impl Mapped {
    /// The packs of `objects` (its `pack` folder); those that cannot be read are
    /// left out, and their objects are then libgit2's to read.
    pub fn open(objects: &Path) -> Mapped {
        let mut idxs: Vec<_> = std::fs::read_dir(objects.join("pack"))
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "idx"))
            .collect();
        idxs.sort();
        Mapped {
            packs: idxs.iter().filter_map(|p| Pack::open(p)).collect(),
            z: Decompress::new(true),
            cache: HashMap::new(),
            cached: 0,
        }
    }

    fn find(&self, id: &Oid) -> Option<(usize, u64)> {
        self.packs
            .iter()
            .enumerate()
            .find_map(|(k, p)| p.offset(id).map(|off| (k, off)))
    }

    /// The packed object `id`: its type number (1 commit, 2 tree, 3 blob, 4 tag)
    /// and bytes, every object on its chain no larger than `limit`.
    pub fn read(&mut self, id: &Oid, limit: usize) -> Option<Object> {
        let mut at = self.find(id)?;
        // The deltas passed on the way down, with the bytes read for each while
        // they add up to no more than CHAIN_BYTES (read again past that).
        let mut chain: Vec<(Place, Option<Vec<u8>>)> = Vec::new();
        let mut held = 0;
        let mut hold = |bytes: Vec<u8>| {
            held += bytes.len();
            (held <= CHAIN_BYTES).then_some(bytes)
        };
        // Down the chain to a whole object or one in the cache.
        let (kind, mut data) = loop {
            if let Some(hit) = self.cache.get(&at) {
                // Kept from an earlier read without a limit: still over this one.
                if hit.1.len() > limit {
                    return None;
                }
                break hit.clone();
            }
            if chain.len() >= MAX_CHAIN {
                return None;
            }
            let bytes = self.packs[at.0].read(at.1, FIRST_READ)?;
            match entry(&bytes, at.1) {
                (Link::Whole(kind, size), start) => {
                    let obj = (kind, Rc::new(self.inflate(at, bytes, start, size, limit)?));
                    if !chain.is_empty() {
                        self.keep(at, &obj);
                    }
                    break obj;
                }
                (Link::Ofs(base), _) => {
                    chain.push((at, hold(bytes)));
                    at = (at.0, base);
                }
                (Link::Ref(base), _) => {
                    chain.push((at, hold(bytes)));
                    at = self.find(&base)?;
                }
                (Link::Unknown, _) => return None,
            }
        };
        // Back up, applying each delta to what its base gave; the bases are kept.
        while let Some((at, held)) = chain.pop() {
            let bytes = match held {
                Some(bytes) => bytes,
                None => self.packs[at.0].read(at.1, FIRST_READ)?,
            };
            let (_, start) = entry(&bytes, at.1);
            let (_, size, _) = entry_header(&bytes)?;
            let delta = self.inflate(at, bytes, start, size, limit)?;
            data = Rc::new(apply_delta(&data, &delta, limit)?);
            if !chain.is_empty() {
                self.keep(at, &(kind, Rc::clone(&data)));
            }
        }
        Some((kind, data))
    }

    /// The `size` bytes inflated from the entry at `at`, whose first bytes
    /// (`first`, read from there) hold its compressed stream from `start`. A
    /// stream that used all it was given is read again, eight times as much
    /// each time: up to the bound zlib's deflate keeps to for `size` bytes, and
    /// no further than the pack. (A claimed size is not read at once: a crafted
    /// entry that claims a gigabyte and ends early costs what it holds.)
    fn inflate(
        &mut self,
        (k, off): (usize, u64),
        first: Vec<u8>,
        start: usize,
        size: u64,
        limit: usize,
    ) -> Option<Vec<u8>> {
        let len = usize::try_from(size).ok().filter(|&s| s <= limit)?;
        // zlib's `compressBound`, and the entry's header.
        let bound = len
            .saturating_add(len >> 12)
            .saturating_add(len >> 14)
            .saturating_add(len >> 25)
            .saturating_add(13 + start);
        let (mut bytes, mut asked) = (first, FIRST_READ);
        loop {
            let stream = bytes.get(start..)?;
            if let Some(out) = inflate(&mut self.z, stream, size, limit) {
                return Some(out);
            }
            // Stopped short of what it was given (an error, a stream that ends
            // early), or given all there is: no more to read.
            let used = usize::try_from(self.z.total_in()).ok()?;
            if used < stream.len() || bytes.len() < asked || asked >= bound {
                return None;
            }
            asked = asked.saturating_mul(8).min(bound);
            bytes = self.packs[k].read(off, asked)?;
        }
    }

    fn keep(&mut self, at: (usize, u64), obj: &Object) {
        if self.cached + obj.1.len() > CACHE_BYTES {
            self.cache.clear();
            self.cached = 0;
        }
        if obj.1.len() <= CACHE_BYTES && self.cache.insert(at, obj.clone()).is_none() {
            self.cached += obj.1.len();
        }
    }
}

/// The tree id that a commit's bytes name (their first line).
pub fn commit_tree(commit: &[u8]) -> Option<Oid> {
    let hex = commit.strip_prefix(b"tree ")?.get(..40)?;
    Oid::from_str(std::str::from_utf8(hex).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every object of a real repository's packs, read by id, is what libgit2
    /// reads: commits, trees and blobs, whole and as offset deltas (the
    /// history gives `git gc` something to delta).
    #[test]
    fn reads_what_libgit2_reads() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let git = |args: &[&str]| super::super::pack::tests::git(dir, args, None);
        super::super::pack::tests::growing_history(dir, 24, 3);
        git(&["gc", "-q", "--aggressive"]);
        let repo = git2::Repository::open(dir).unwrap();
        let odb = repo.odb().unwrap();
        let mut mapped = Mapped::open(&dir.join(".git/objects"));
        let (mut seen, mut deltas) = (0, 0);
        odb.foreach(|id| {
            let (k, off) = mapped.find(id).unwrap();
            let link = entry(&mapped.packs[k].read(off, FIRST_READ).unwrap(), off).0;
            deltas += usize::from(matches!(link, Link::Ofs(_)));
            let want = odb.read(*id).unwrap();
            let (kind, data) = mapped.read(id, usize::MAX).unwrap();
            assert_eq!(data.as_slice(), want.data(), "{id}");
            let number = match want.kind() {
                git2::ObjectType::Commit => 1,
                git2::ObjectType::Tree => 2,
                git2::ObjectType::Blob => 3,
                _ => 4,
            };
            assert_eq!(kind, number);
            seen += 1;
            true
        })
        .unwrap();
        assert!(seen > 40 && deltas > 10, "{seen} objects, {deltas} deltas");
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        let (_, bytes) = mapped.read(&head.id(), usize::MAX).unwrap();
        assert_eq!(commit_tree(&bytes), Some(head.tree_id()));
        // Not there; over the size limit; an index that is not one.
        assert!(
            mapped
                .read(&Oid::from_bytes(&[3; 20]).unwrap(), usize::MAX)
                .is_none()
        );
        let blob = head
            .tree()
            .unwrap()
            .get_path("d2/f2.txt".as_ref())
            .unwrap()
            .id();
        assert!(mapped.read(&blob, 100).is_none());
        let pack_dir = dir.join(".git/objects/pack");
        for e in std::fs::read_dir(&pack_dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "idx") {
                let mut d = std::fs::read(&p).unwrap();
                let keep = d.len() / 2;
                d.truncate(keep);
                let cut = pack_dir.join("cut.idx");
                std::fs::write(&cut, &d).unwrap();
                std::fs::copy(p.with_extension("pack"), cut.with_extension("pack")).unwrap();
            }
        }
        let mut again = Mapped::open(&dir.join(".git/objects"));
        assert!(again.read(&head.id(), usize::MAX).is_some());
        assert_eq!(commit_tree(b"tree 12"), None);
        assert_eq!(commit_tree(b"parent 1234"), None);
    }

    /// `data` as a zlib stream.
    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, data).unwrap();
        e.finish().unwrap()
    }

    /// A version 2 index by hand (fan-out, ids, CRCs, offsets, checksums):
    /// `ids` (sorted) at `offsets` in `pack`, both written as `pack-t` in `dir`.
    fn write_index(dir: &Path, ids: &[[u8; 20]], offsets: &[u64], pack: &[u8]) {
        let mut idx = b"\xfftOc\0\0\0\x02".to_vec();
        for first in 0..256u32 {
            let n = ids.iter().filter(|id| u32::from(id[0]) <= first).count() as u32;
            idx.extend_from_slice(&n.to_be_bytes());
        }
        ids.iter().for_each(|id| idx.extend_from_slice(id));
        idx.extend_from_slice(&vec![0; 4 * ids.len()]);
        let large: Vec<u64> = offsets.iter().copied().filter(|&o| o >= 1 << 31).collect();
        let mut k = 0u32;
        for &o in offsets {
            let small = match o < 1 << 31 {
                true => o as u32,
                false => {
                    k += 1;
                    0x8000_0000 | (k - 1)
                }
            };
            idx.extend_from_slice(&small.to_be_bytes());
        }
        large
            .iter()
            .for_each(|o| idx.extend_from_slice(&o.to_be_bytes()));
        idx.extend_from_slice(&[0; 40]);
        let dir = dir.join("pack");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("pack-t.pack"), pack).unwrap();
        std::fs::write(dir.join("pack-t.idx"), &idx).unwrap();
    }

    /// Ids far from where an even spread puts them are still found (outside the
    /// first window read), 64-bit offsets too; absent ones are not.
    #[test]
    fn ids_anywhere_in_their_range_are_found() {
        let tmp = tempfile::tempdir().unwrap();
        // 200 ids in one fan-out range, all with the same next bytes but the
        // last: an even spread would put them all at one place.
        let ids: Vec<[u8; 20]> = (0..200u8)
            .map(|i| {
                let mut id = [0xaa; 20];
                id[1] = if i < 100 { 0 } else { 0xff };
                id[19] = i;
                id
            })
            .collect();
        let offsets: Vec<u64> = (0..200u64)
            .map(|i| {
                if i % 50 == 7 {
                    (1 << 33) + i
                } else {
                    12 + i * 10
                }
            })
            .collect();
        write_index(
            tmp.path(),
            &ids,
            &offsets,
            &[b"PACK".as_slice(), &[0; 100]].concat(),
        );
        let mapped = Mapped::open(tmp.path());
        assert_eq!(mapped.packs.len(), 1);
        for (id, &off) in ids.iter().zip(&offsets) {
            let id = Oid::from_bytes(id).unwrap();
            assert_eq!(mapped.find(&id), Some((0, off)), "{id}");
        }
        for absent in [[0xaa; 20], [0; 20], [0xff; 20], [0xab; 20]] {
            assert_eq!(mapped.find(&Oid::from_bytes(&absent).unwrap()), None);
        }
    }

    /// An entry whose header claims far more than its stream holds is refused,
    /// as one whose stream goes on past its claimed size.
    #[test]
    fn a_size_the_stream_does_not_hold_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let mut pack = b"PACK\0\0\0\x02\0\0\0\x02".to_vec();
        // A blob claiming 2^31 bytes (type 3, size in 4 + 7 + 7 + 7 + 7 bits).
        let claimed = pack.len() as u64;
        pack.extend_from_slice(&[0xb0, 0x80, 0x80, 0x80, 0x40]);
        pack.extend(zlib(b"hello"));
        // A blob claiming 3 bytes whose stream holds 5.
        let over = pack.len() as u64;
        pack.push(0x33);
        pack.extend(zlib(b"hello"));
        pack.extend_from_slice(&[0; 20]);
        let ids = [[0x11; 20], [0x22; 20]];
        write_index(tmp.path(), &ids, &[claimed, over], &pack);
        let mut mapped = Mapped::open(tmp.path());
        for id in ids {
            let id = Oid::from_bytes(&id).unwrap();
            assert!(mapped.find(&id).is_some());
            assert!(mapped.read(&id, usize::MAX).is_none(), "{id}");
        }
    }

    /// A chain longer than the first reads kept on the way down (each link's
    /// 4 KiB): the rest are read again on the way back up, and the object is
    /// whole.
    #[test]
    fn a_chain_past_the_kept_reads_is_read_again() {
        let tmp = tempfile::tempdir().unwrap();
        let varint = |mut n: usize, out: &mut Vec<u8>| {
            while n >= 0x80 {
                out.push(0x80 | (n & 0x7f) as u8);
                n >>= 7;
            }
            out.push(n as u8);
        };
        let header = |kind: u8, size: usize, out: &mut Vec<u8>| {
            let mut b = (kind << 4) | (size & 15) as u8;
            let mut rest = size >> 4;
            while rest > 0 {
                out.push(b | 0x80);
                b = (rest & 0x7f) as u8;
                rest >>= 7;
            }
            out.push(b);
        };
        let links = CHAIN_BYTES / FIRST_READ + 40;
        let mut pack = b"PACK\0\0\0\x02\0\0\0\0".to_vec();
        let mut offsets = vec![pack.len() as u64];
        header(3, 1, &mut pack);
        pack.extend(zlib(b"a"));
        let added = |i: usize| -> Vec<u8> { (0..100).map(|j| (i * 7 + j * 13) as u8).collect() };
        for i in 0..links {
            // Copy the base's bytes, then insert 100 that zlib cannot shrink
            // much: each entry's first read is then a whole 4 KiB.
            let (from, to) = (1 + 100 * i, 1 + 100 * (i + 1));
            let mut delta = Vec::new();
            varint(from, &mut delta);
            varint(to, &mut delta);
            delta.extend_from_slice(&[0x80 | 0x10 | 0x20, from as u8, (from >> 8) as u8]);
            delta.push(100);
            delta.extend(added(i));
            let here = pack.len() as u64;
            header(6, delta.len(), &mut pack);
            // The base's distance back, in git's offset encoding.
            let mut back = here - offsets.last().unwrap();
            let mut enc = vec![(back & 0x7f) as u8];
            back >>= 7;
            while back > 0 {
                back -= 1;
                enc.insert(0, 0x80 | (back & 0x7f) as u8);
                back >>= 7;
            }
            pack.extend(enc);
            pack.extend(zlib(&delta));
            offsets.push(here);
        }
        pack.extend_from_slice(&[0; 20]);
        let ids: Vec<[u8; 20]> = (0..offsets.len())
            .map(|i| {
                let mut id = [0x10; 20];
                id[1..3].copy_from_slice(&(i as u16).to_be_bytes());
                id
            })
            .collect();
        write_index(tmp.path(), &ids, &offsets, &pack);
        let mut mapped = Mapped::open(tmp.path());
        let last = Oid::from_bytes(ids.last().unwrap()).unwrap();
        let (kind, data) = mapped.read(&last, usize::MAX).unwrap();
        let mut want = b"a".to_vec();
        (0..links).for_each(|i| want.extend(added(i)));
        assert_eq!((kind, data.as_slice()), (3, want.as_slice()));
    }

    /// A blob whose compressed stream is longer than the first read.
    #[test]
    fn a_long_stream_is_read_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let git = |args: &[&str]| super::super::pack::tests::git(dir, args, None);
        git(&["init", "-q"]);
        let mut x = 1u32;
        let noise: Vec<u8> = (0..50_000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                b"abcdefghijklmnopqrstuvwxyz0123456789\n"[(x >> 16) as usize % 37]
            })
            .collect();
        std::fs::write(dir.join("noise.txt"), &noise).unwrap();
        git(&["add", "noise.txt"]);
        git(&[
            "-c",
            "user.name=A",
            "-c",
            "user.email=a@example.com",
            "commit",
            "-q",
            "-m",
            "noise",
        ]);
        git(&["gc", "-q"]);
        let id = Oid::from_str(git(&["rev-parse", "HEAD:noise.txt"]).trim()).unwrap();
        let mut mapped = Mapped::open(&dir.join(".git/objects"));
        let (kind, data) = mapped.read(&id, usize::MAX).unwrap();
        assert_eq!((kind, data.as_slice()), (3, noise.as_slice()));
        assert!(mapped.read(&id, noise.len() - 1).is_none());
    }

    /// A hand-made pack whose two objects are reference deltas on each other,
    /// with its version 2 index: reading either stops at the chain limit.
    #[test]
    fn a_reference_cycle_stops() {
        let tmp = tempfile::tempdir().unwrap();
        let (pack, ids, offsets) = super::super::pack::tests::cycle_pack();
        let raw: Vec<[u8; 20]> = ids
            .iter()
            .map(|id| id.as_bytes().try_into().unwrap())
            .collect();
        write_index(tmp.path(), &raw, &offsets, &pack);
        let mut mapped = Mapped::open(tmp.path());
        for id in ids {
            assert_eq!(mapped.find(&id).map(|(k, _)| k), Some(0));
            assert!(mapped.read(&id, 1 << 20).is_none());
        }
    }
}
