//! Objects read from mapped packs for the few dozen reads of a hook run
//! (`staged`: HEAD's commit and the trees of the folders a change touches). An
//! object is found by a binary search of each pack index's ids, with no table of
//! every object as the history scan builds ([`pack::read`](super::pack::read)),
//! and inflated along its delta chain with zlib-rs. libgit2 did the same through
//! its object database, whose start, caches and teardown (unmapping each pack one
//! by one) were a fifth of a hook run.
//!
//! Only version 2 indexes are read, and only the packs of the repository's own
//! object folder. Anything else (an object that is loose or in an alternate, an
//! index or pack that is not what it should be, a broken chain) is `None`, and
//! the caller asks libgit2, which reports what is wrong. The files are untrusted:
//! every offset and count is checked against the file's length, and a chain is
//! followed at most [`MAX_CHAIN`] links.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::rc::Rc;

use flate2::Decompress;
use git2::Oid;
use memmap2::Mmap;

use super::pack::{Link, entry, entry_header};
use super::unpack::{Object, apply_delta, inflate};

/// Longest chain followed (git's own limit is 4095): a crafted cycle of
/// reference deltas stops here.
const MAX_CHAIN: usize = 10_000;

/// Bytes of inflated bases kept for later reads: the trees of nearby folders
/// often share a chain's base.
const CACHE_BYTES: usize = 4 << 20;

/// A pack index (version 2) and its pack, mapped.
struct Pack {
    idx: Mmap,
    data: Mmap,
    /// Objects in the index.
    n: usize,
}

const FANOUT: usize = 8;
const IDS: usize = FANOUT + 256 * 4;

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

impl Pack {
    fn open(idx: &Path) -> Option<Pack> {
        // SAFETY: read-only maps of files that git writes once and never changes
        // in place (a repack writes new ones and deletes the old, which stay
        // mapped); a file truncated by another process meanwhile is the one
        // hazard, as in ripgrep's mmap searcher.
        let map = |path: &Path| unsafe { Mmap::map(&File::open(path).ok()?).ok() };
        let idx_map = map(idx)?;
        let d = &idx_map[..];
        if d.get(..8) != Some(b"\xfftOc\0\0\0\x02") {
            return None;
        }
        let n = be32(d, FANOUT + 255 * 4)? as usize;
        // Ids, CRCs and 31-bit offsets take 28 bytes an entry, before the two
        // trailing checksums.
        if n > d.len().checked_sub(IDS + 40)? / 28 {
            return None;
        }
        let data = map(&idx.with_extension("pack"))?;
        (data.get(..4) == Some(b"PACK")).then_some(Pack {
            idx: idx_map,
            data,
            n,
        })
    }

    /// Where the object `id` sits in the pack.
    fn offset(&self, id: &Oid) -> Option<u64> {
        let d = &self.idx[..];
        let id = id.as_bytes();
        let first = usize::from(id[0]);
        let from = match first {
            0 => 0,
            _ => be32(d, FANOUT + (first - 1) * 4)? as usize,
        };
        let to = (be32(d, FANOUT + first * 4)? as usize).min(self.n);
        let (mut lo, mut hi) = (from.min(to), to);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match d.get(IDS + mid * 20..IDS + mid * 20 + 20)?.cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    let small = IDS + self.n * 24;
                    let off = be32(d, small + mid * 4)?;
                    if off & 0x8000_0000 == 0 {
                        return Some(u64::from(off));
                    }
                    let at = small + self.n * 4 + (off & 0x7fff_ffff) as usize * 8;
                    return Some(u64::from_be_bytes(d.get(at..at + 8)?.try_into().ok()?));
                }
            }
        }
        None
    }

    /// The pack's bytes from `offset` to its trailing checksum.
    fn rest(&self, offset: u64) -> Option<&[u8]> {
        let end = self.data.len().checked_sub(20)?;
        self.data.get(usize::try_from(offset).ok()?..end)
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
        let mut chain = Vec::new();
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
            let bytes = self.packs[at.0].rest(at.1)?;
            match entry(bytes, at.1) {
                (Link::Whole(kind, size), start) => {
                    let obj = (
                        kind,
                        Rc::new(inflate(&mut self.z, bytes.get(start..)?, size, limit)?),
                    );
                    if !chain.is_empty() {
                        self.keep(at, &obj);
                    }
                    break obj;
                }
                (Link::Ofs(base), _) => {
                    chain.push(at);
                    at = (at.0, base);
                }
                (Link::Ref(base), _) => {
                    chain.push(at);
                    at = self.find(&base)?;
                }
                (Link::Unknown, _) => return None,
            }
        };
        // Back up, applying each delta to what its base gave; the bases are kept.
        while let Some(at) = chain.pop() {
            let bytes = self.packs[at.0].rest(at.1)?;
            let (_, start) = entry(bytes, at.1);
            let (_, size, _) = entry_header(bytes)?;
            let delta = inflate(&mut self.z, bytes.get(start..)?, size, limit)?;
            data = Rc::new(apply_delta(&data, &delta, limit)?);
            if !chain.is_empty() {
                self.keep(at, &(kind, Rc::clone(&data)));
            }
        }
        Some((kind, data))
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
            let link = entry(mapped.packs[k].rest(off).unwrap(), off).0;
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

    /// A hand-made pack whose two objects are reference deltas on each other,
    /// with its version 2 index: reading either stops at the chain limit.
    #[test]
    fn a_reference_cycle_stops() {
        let tmp = tempfile::tempdir().unwrap();
        let (pack, ids, offsets) = super::super::pack::tests::cycle_pack();
        // Its version 2 index: fan-out, ids, CRCs, offsets, checksums.
        let mut idx = b"\xfftOc\0\0\0\x02".to_vec();
        for first in 0..256u32 {
            let n = ids
                .iter()
                .filter(|id| u32::from(id.as_bytes()[0]) <= first)
                .count() as u32;
            idx.extend_from_slice(&n.to_be_bytes());
        }
        ids.iter()
            .for_each(|id| idx.extend_from_slice(id.as_bytes()));
        idx.extend_from_slice(&[0; 8]);
        offsets
            .iter()
            .for_each(|&o| idx.extend_from_slice(&(o as u32).to_be_bytes()));
        idx.extend_from_slice(&[0; 40]);
        let dir = tmp.path().join("pack");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("pack-t.pack"), &pack).unwrap();
        std::fs::write(dir.join("pack-t.idx"), &idx).unwrap();
        let mut mapped = Mapped::open(tmp.path());
        for id in ids {
            assert_eq!(mapped.find(&id).map(|(k, _)| k), Some(0));
            assert!(mapped.read(&id, 1 << 20).is_none());
        }
    }
}
