//! The order of a Teddy search's literals, chosen so that its buckets rarely
//! fire on ordinary text.
//!
//! Teddy (aho-corasick's packed searcher) puts each literal in one of 16
//! buckets (8 up to 32 literals) and, per bucket and per position of its first
//! four bytes, keeps the set of low and of high nibbles its literals have
//! there. A text position whose bytes fall in those sets fires the bucket, and
//! the bucket's literals are compared there. The bucket is picked from the
//! literal's index (`15 - index % 16`; a literal whose low nibbles equal an
//! earlier one's joins that one's bucket). A bucket that holds `cXJj`, `\u00`,
//! `q', ` and `(0x7` has nibble sets loose enough to fire on common text;
//! `qrcp`, `qrc'`, `q\0r\0` together stay tight. Grouped well, the 62
//! built-in heads searched a code corpus in 0.6 of the time of their rule order.
//!
//! The literals are grouped by a local search that lowers the summed chance of
//! each bucket firing on text with code's byte frequencies, and are then listed
//! so that each group lands in its bucket.

/// Teddy's buckets: 16 past 32 literals (its "fat" form), else 8.
fn buckets_for(literals: usize) -> usize {
    if literals > 32 { 16 } else { 8 }
}

/// Bytes of a literal that Teddy's masks look at.
const MASK: usize = 4;

/// How often a byte occurs in source code, per ten thousand bytes (measured on
/// JavaScript packages, Python, JSON and HTML): lower-case letters by their own
/// counts, the rest by class.
fn weight(b: u8) -> f64 {
    const LOWER: [u16; 26] = [
        40, 10, 28, 20, 77, 22, 10, 13, 37, 3, 6, 28, 13, 45, 42, 18, 3, 49, 42, 51, 22, 6, 8, 6,
        9, 3,
    ];
    f64::from(match b {
        b'a'..=b'z' => LOWER[usize::from(b - b'a')] * 10,
        b' ' => 2000,
        b'\n' => 200,
        b',' | b'.' | b'(' | b')' | b'\'' | b'"' | b'_' | b';' | b'=' | b':' => 100,
        b'A'..=b'Z' | b'0'..=b'9' => 30,
        b'\t' | b'\r' | b'!'..=b'~' => 20,
        0x80.. => 5,
        _ => 1,
    })
}

/// One bucket's nibble sets, per mask position.
#[derive(Clone, Copy, Default)]
struct Masks {
    lo: [u16; MASK],
    hi: [u16; MASK],
}

impl Masks {
    fn with(mut self, literal: &[u8], width: usize) -> Masks {
        for (i, &b) in literal.iter().take(width).enumerate() {
            self.lo[i] |= 1 << (b & 15);
            self.hi[i] |= 1 << (b >> 4);
        }
        self
    }

    /// The chance that a text position fires the bucket: its bytes taken as
    /// independent, plus (by [`Weights::Common`]) the frequent strings it
    /// fires on ([`super::quads`]), which that view makes as rare as any.
    fn cost(&self, table: &Table, width: usize) -> f64 {
        let independent = self.independent(table, width);
        match table.weights {
            Weights::Bytes => independent,
            Weights::Common => {
                let common: u32 = super::quads::COMMON
                    .iter()
                    .filter(|(q, _)| self.fires(&q[..width]))
                    .map(|&(_, ppm)| ppm)
                    .sum();
                independent + f64::from(common) * 1e-6
            }
        }
    }

    /// The chance that a text position fires the bucket, its bytes taken as
    /// independent.
    fn independent(&self, table: &Table, width: usize) -> f64 {
        (0..width)
            .map(|i| {
                let lo = usize::from(self.lo[i]);
                bits(self.hi[i])
                    .map(|hi| table.sums[hi][0][lo & 255] + table.sums[hi][1][lo >> 8])
                    .sum::<f64>()
            })
            .product()
    }

    /// Whether the bucket fires on `bytes` (its first mask positions).
    fn fires(&self, bytes: &[u8]) -> bool {
        bytes
            .iter()
            .enumerate()
            .all(|(i, &b)| self.lo[i] >> (b & 15) & 1 == 1 && self.hi[i] >> (b >> 4) & 1 == 1)
    }
}

/// Per high nibble and per half of a set of low nibbles (its bits 0 to 7, 8
/// to 15), the summed frequency of the bytes they make: a bucket's chance is
/// then a few lookups, not a loop over its bytes.
struct Table {
    sums: Box<[[[f64; 256]; 2]; 16]>,
    weights: Weights,
}

/// What a placement weighs a bucket by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weights {
    /// Its bytes' own frequencies: quick enough to place a user's rules'
    /// literals as a scan starts.
    Bytes,
    /// Those and the frequent strings it fires on ([`super::quads`]): several
    /// times the work (100 heads and 201 strings took 173 million instructions,
    /// not 60), for the built-in rules' placements, computed ahead and kept as
    /// data (by tests).
    #[cfg_attr(not(test), allow(dead_code))]
    Common,
}

impl Table {
    fn new(weights: Weights) -> Table {
        let total: f64 = (0..=255).map(weight).sum();
        let freq: [f64; 256] = std::array::from_fn(|b| weight(b as u8) / total);
        let mut sums = Box::new([[[0.0; 256]; 2]; 16]);
        for (hi, halves) in sums.iter_mut().enumerate() {
            for (half, sum) in halves.iter_mut().enumerate() {
                for set in 1..256usize {
                    let low = set.trailing_zeros() as usize;
                    let byte = (hi << 4 | half << 3 | low) as u8;
                    sum[set] = sum[set & (set - 1)] + freq[usize::from(byte)];
                }
            }
        }
        Table { sums, weights }
    }
}

fn bits(mut set: u16) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (set != 0).then(|| {
            let b = set.trailing_zeros() as usize;
            set &= set - 1;
            b
        })
    })
}

/// `literals` reordered so that Teddy's buckets fire rarely on code. Only for
/// a search whose matches' order among literals does not matter (whether a
/// blob holds any of them): it changes which literal wins at a position.
pub fn packed_order<T: AsRef<[u8]>>(literals: Vec<T>, weights: Weights) -> Vec<T> {
    let width = literals
        .iter()
        .map(|l| l.as_ref().len())
        .min()
        .unwrap_or(0)
        .min(MASK);
    if literals.len() <= 2 || width == 0 {
        return literals;
    }
    let table = Table::new(weights);
    // Literals whose low nibbles agree share a bucket whatever their index:
    // each such set is placed as one unit, led by its first literal.
    let mut units: Vec<Vec<usize>> = Vec::new();
    let lows = |k: usize| -> [u8; MASK] {
        let mut lows = [0; MASK];
        for (l, b) in lows.iter_mut().zip(&literals[k].as_ref()[..width]) {
            *l = b & 15;
        }
        lows
    };
    for i in 0..literals.len() {
        match units.iter_mut().find(|u| lows(u[0]) == lows(i)) {
            Some(u) => u.push(i),
            None => units.push(vec![i]),
        }
    }
    let unit_masks: Vec<Masks> = units
        .iter()
        .map(|u| {
            u.iter().fold(Masks::default(), |m, &k| {
                m.with(literals[k].as_ref(), width)
            })
        })
        .collect();
    let n = units.len();
    let nb = buckets_for(literals.len());
    // Unit leaders are listed round-robin: bucket `b` (of 16) takes the
    // leaders at indexes `15 - b`, `31 - b`, …, so its capacity follows from
    // their count.
    let capacity = |b: usize| n / nb + usize::from(nb - 1 - b < n % nb);
    let masks_of = |members: &[usize]| {
        members
            .iter()
            .fold(Masks::default(), |m, &u| merge(m, unit_masks[u]))
    };
    let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); nb];
    // The units likeliest to fire alone choose first.
    let mut by_cost: Vec<usize> = (0..n).collect();
    by_cost.sort_by(|&a, &b| {
        unit_masks[b]
            .cost(&table, width)
            .total_cmp(&unit_masks[a].cost(&table, width))
    });
    for u in by_cost {
        let best = (0..nb)
            .filter(|&b| buckets[b].len() < capacity(b))
            .min_by(|&a, &b| {
                let grow = |k: usize| {
                    let m = masks_of(&buckets[k]);
                    merge(m, unit_masks[u]).cost(&table, width) - m.cost(&table, width)
                };
                grow(a).total_cmp(&grow(b))
            })
            .expect("the capacities hold every unit");
        buckets[best].push(u);
    }
    // Swaps between buckets while one lowers the sum by a thousandth or more,
    // in at most four sweeps over the pairs.
    let mut place: Vec<(usize, usize)> = vec![(0, 0); n];
    for (b, members) in buckets.iter().enumerate() {
        for (k, &u) in members.iter().enumerate() {
            place[u] = (b, k);
        }
    }
    let mut costs: Vec<f64> = buckets
        .iter()
        .map(|m| masks_of(m).cost(&table, width))
        .collect();
    // The masks of bucket `b` with its `k`th member replaced by unit `u`.
    let swapped_masks = |b: &[usize], k: usize, u: usize| {
        b.iter().enumerate().fold(Masks::default(), |m, (i, &v)| {
            merge(m, unit_masks[if i == k { u } else { v }])
        })
    };
    for _ in 0..4 {
        let mut swapped = false;
        for x in 0..n {
            for y in x + 1..n {
                let ((bx, kx), (by, ky)) = (place[x], place[y]);
                if bx == by {
                    continue;
                }
                let cx = swapped_masks(&buckets[bx], kx, y).cost(&table, width);
                let cy = swapped_masks(&buckets[by], ky, x).cost(&table, width);
                if cx + cy < (costs[bx] + costs[by]) * 0.999 {
                    buckets[bx][kx] = y;
                    buckets[by][ky] = x;
                    (costs[bx], costs[by]) = (cx, cy);
                    (place[x], place[y]) = ((by, ky), (bx, kx));
                    swapped = true;
                }
            }
        }
        if !swapped {
            break;
        }
    }
    // Within a bucket, Teddy compares its literals in their listed order
    // wherever the bucket fires: the units keep the order they were given
    // (a search lists its keywords first), so that a file of one keyword
    // repeated compares each position with that keyword first, not last.
    for members in &mut buckets {
        members.sort_unstable();
    }
    // Leaders round-robin, then the units' other members (their bucket is
    // their leader's).
    let mut order: Vec<usize> = Vec::with_capacity(literals.len());
    for round in 0..n.div_ceil(nb) {
        for slot in 0..nb {
            if let Some(&u) = buckets[nb - 1 - slot].get(round) {
                order.push(units[u][0]);
            }
        }
    }
    order.extend(units.iter().flat_map(|u| u[1..].iter().copied()));
    let mut slots: Vec<Option<T>> = literals.into_iter().map(Some).collect();
    order
        .into_iter()
        .map(|i| slots[i].take().expect("each literal listed once"))
        .collect()
}

fn merge(a: Masks, b: Masks) -> Masks {
    let mut m = a;
    for i in 0..MASK {
        m.lo[i] |= b.lo[i];
        m.hi[i] |= b.hi[i];
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Teddy's buckets for `literals` (by their index, a literal whose low
    /// nibbles equal an earlier one's in that one's bucket): each bucket's
    /// literals in the order it compares them.
    fn teddy_buckets<'a>(literals: &[&'a [u8]]) -> Vec<Vec<&'a [u8]>> {
        let nb = buckets_for(literals.len());
        let mut buckets = vec![Vec::new(); nb];
        let mut seen: Vec<(Vec<u8>, usize)> = Vec::new();
        for (i, &l) in literals.iter().enumerate() {
            let lows: Vec<u8> = l[..MASK].iter().map(|b| b & 15).collect();
            let b = match seen.iter().find(|(x, _)| *x == lows) {
                Some(&(_, b)) => b,
                None => {
                    let b = nb - 1 - i % nb;
                    seen.push((lows, b));
                    b
                }
            };
            buckets[b].push(l);
        }
        buckets
    }

    /// The summed firing chance of `literals` in Teddy's own placement.
    fn placed_cost(literals: &[&[u8]]) -> f64 {
        let table = Table::new(Weights::Bytes);
        teddy_buckets(literals)
            .iter()
            .map(|b| b.iter().fold(Masks::default(), |m, l| m.with(l, MASK)))
            .map(|m| m.cost(&table, MASK))
            .sum()
    }

    #[test]
    fn the_order_keeps_every_literal_and_lowers_the_firing_chance() {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        for w in [
            "qrcp", "QRCP", "cXJj", "FyY3", "xcmN", "\\x71", "\\u00", "&#11", "%71%", "q', ",
            "(0x7", "data", "DATA", "Data", "H4sI", "UEsD", "7172", "113,", "depc", "tset",
        ] {
            literals.push(w.as_bytes().to_vec());
        }
        for i in 0..30u8 {
            literals.push(vec![b'a' + i % 26, b'(' + i, b' ', b'0' + i % 10]);
        }
        let ordered = packed_order(literals.clone(), Weights::Bytes);
        let mut a = literals.clone();
        let mut b = ordered.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        let before: Vec<&[u8]> = literals.iter().map(|l| &l[..]).collect();
        let after: Vec<&[u8]> = ordered.iter().map(|l| &l[..]).collect();
        assert!(placed_cost(&after) < placed_cost(&before) / 2.0);
        // Each bucket compares its literals in the order they were given
        // (`qrcp`, listed first, first in its bucket), but for those that
        // join a literal of the same low nibbles, which come after.
        let rank = |l: &[u8]| literals.iter().position(|x| x == l).unwrap();
        let lows = |l: &[u8]| l[..MASK].iter().map(|b| b & 15).collect::<Vec<u8>>();
        let placed = teddy_buckets(&after);
        for bucket in &placed {
            let leaders: Vec<usize> = (0..bucket.len())
                .filter(|&i| !bucket[..i].iter().any(|x| lows(x) == lows(bucket[i])))
                .map(|i| rank(bucket[i]))
                .collect();
            assert!(leaders.is_sorted(), "{bucket:?}");
        }
        let keywords = placed.iter().find(|b| b.contains(&&b"qrcp"[..])).unwrap();
        assert_eq!(keywords[0], b"qrcp");
    }

    #[test]
    fn short_or_few_literals_keep_their_order() {
        let few = vec![b"ab".to_vec(), b"cd".to_vec()];
        assert_eq!(packed_order(few.clone(), Weights::Common), few);
        let empty: Vec<Vec<u8>> = Vec::new();
        assert!(packed_order(empty, Weights::Bytes).is_empty());
    }
}
