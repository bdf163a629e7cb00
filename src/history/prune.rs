//! The linearizability search's bookkeeping for pruning: the cache of visited configurations
//! (sets of timed-out ops compared by inclusion), the producers and needers of states, the
//! per-class cursors and the state ids and op lists they index (the reductions are listed in
//! `linear`).

use std::hash::Hash;

use super::dense::{FastMap, IdMap};

/// A cached configuration's 128-bit key. Its words are already random, so hashing it is
/// one word, not a walk over its bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Key(pub(super) [u64; 2]);

impl Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u64(self.0[0] ^ self.0[1].rotate_left(32));
    }
}

/// The cache of visited configurations: (determinate ops linearized, state) → the sets of
/// indeterminate ops linearized there (an antichain: no set contains another), as ids of
/// interned bitsets. Id 0 is the empty set, the only one when a key has no indeterminate ops.
pub(super) struct Cache {
    /// Value: an interned set id, or `MULTI | index` into `multi` when there are several.
    /// One table per band of depths (determinate ops linearized, `DEPTHS` per band): a
    /// configuration's depth is part of what it is, and the search works near one depth
    /// at a time, so the table it touches stays small enough for the processor cache
    /// (one table for a million-op key missed the cache on nearly every step).
    pub(super) map: Vec<FastMap<Key, u32>>,
    pub(super) multi: Vec<Vec<u32>>,
    pub(super) interned: Interned,
    /// Sets remembered in `map` and `multi`.
    pub(super) len: usize,
}

/// Interned bitsets of indeterminate ops, by Zobrist hash.
pub(super) struct Interned {
    pub(super) sets: Vec<Box<[u64]>>,
    pub(super) set_ids: FastMap<u128, u32>,
}

impl Interned {
    /// Whether set `a` is a subset of `bits`.
    pub(super) fn subset_of(&self, a: u32, bits: &[u64]) -> bool {
        a == 0
            || self.sets[a as usize]
                .iter()
                .zip(bits)
                .all(|(x, y)| x & !y == 0)
    }

    /// The id of the set `bits` (Zobrist hash `h`), interning it if new.
    pub(super) fn intern(&mut self, h: u128, bits: &[u64]) -> u32 {
        let n = self.sets.len() as u32;
        let id = *self.set_ids.entry(h).or_insert(n);
        if id == n {
            self.sets.push(bits.into());
        }
        id
    }
}

pub(super) const MULTI: u32 = 1 << 31;
/// Depths per table of the cache.
const DEPTHS: usize = 1024;
/// Most sets remembered per (determinate ops, state); past it a new set is explored but not
/// remembered (less pruning, never a wrong answer).
pub(super) const MAX_SETS: usize = 64;

impl Cache {
    /// A cache for sets of `words` words.
    pub(super) fn new(words: usize) -> Cache {
        let mut set_ids = FastMap::default();
        set_ids.insert(0, 0);
        Cache {
            map: Vec::new(),
            multi: Vec::new(),
            interned: Interned {
                sets: vec![vec![0; words].into_boxed_slice()],
                set_ids,
            },
            len: 0,
        }
    }

    /// Record configuration (`key`, `bits`) at `depth` unless a remembered set at `key` is a
    /// subset of `bits` (then it is dominated: false). `id` interns `bits` when it must be
    /// stored.
    #[inline]
    pub(super) fn visit(
        &mut self,
        depth: usize,
        key: Key,
        bits: &[u64],
        id: impl FnOnce(&mut Interned) -> u32,
    ) -> bool {
        use std::collections::hash_map::Entry as Slot;
        let Cache {
            map,
            multi,
            interned,
            len,
        } = self;
        let band = depth / DEPTHS;
        if band >= map.len() {
            map.resize_with(band + 1, FastMap::default);
        }
        let mut slot = match map[band].entry(key) {
            Slot::Vacant(slot) => {
                slot.insert(id(interned));
                *len += 1;
                return true;
            }
            Slot::Occupied(slot) => slot,
        };
        let v = *slot.get();
        if v & MULTI == 0 {
            if interned.subset_of(v, bits) {
                return false;
            }
            let id = id(interned);
            *slot.get_mut() = MULTI | multi.len() as u32;
            multi.push(vec![v, id]);
            *len += 1;
            return true;
        }
        let m = &mut multi[(v & !MULTI) as usize];
        if m.iter().any(|&a| interned.subset_of(a, bits)) {
            return false;
        }
        let id = id(interned);
        if m.len() < MAX_SETS {
            m.push(id);
            *len += 1;
        }
        true
    }
}

/// Ids for the states that ops make, need or act in. A model that numbers its states
/// (`Model::small_id`, passed in as `small`) gets a table indexed by that number, dense
/// when the numbers are (see [`IdMap`]); other states go through a hash map.
pub(super) struct StateIds<S> {
    small: IdMap<u32>,
    other: FastMap<S, u32>,
    len: u32,
}

impl<S: Hash + Eq> StateIds<S> {
    /// `planned`: the small numbers of (most of) the states to come.
    pub(super) fn new(planned: impl Iterator<Item = u32>) -> StateIds<S> {
        StateIds {
            small: IdMap::for_ids(planned),
            other: FastMap::default(),
            len: 0,
        }
    }

    pub(super) fn get(&self, s: &S, small: Option<u32>) -> Option<u32> {
        match small {
            Some(k) => self.small.get(k).copied(),
            None => self.other.get(s).copied(),
        }
    }

    /// The id of `s`, new ids numbered from 0.
    pub(super) fn add(&mut self, s: S, small: Option<u32>) -> u32 {
        let next = self.len;
        let id = match small {
            Some(k) => *self.small.get_or_insert_with(k, || next),
            None => *self.other.entry(s).or_insert(next),
        };
        if id == next {
            self.len += 1;
        }
        id
    }

    pub(super) fn len(&self) -> usize {
        self.len as usize
    }
}

/// A list of ops per state id, all in one array.
#[derive(Default, Debug)]
pub(super) struct Lists {
    start: Vec<u32>,
    items: Vec<u32>,
}

impl Lists {
    /// Lists for ids `0..ids` from (id, op) pairs in list order (`NONE` ids are skipped);
    /// `placed(op, position)` learns where each op went in its list.
    pub(super) fn build(
        ids: usize,
        pairs: impl Iterator<Item = (u32, u32)> + Clone,
        mut placed: impl FnMut(u32, u32),
    ) -> Lists {
        let mut start = vec![0u32; ids + 1];
        for (id, _) in pairs.clone() {
            if id != NONE {
                start[id as usize + 1] += 1;
            }
        }
        for k in 1..start.len() {
            start[k] += start[k - 1];
        }
        let mut fill = start.clone();
        let mut items = vec![0u32; start[ids] as usize];
        for (id, op) in pairs {
            if id == NONE {
                continue;
            }
            let f = &mut fill[id as usize];
            items[*f as usize] = op;
            placed(op, *f - start[id as usize]);
            *f += 1;
        }
        Lists { start, items }
    }

    pub(super) fn get(&self, id: usize) -> &[u32] {
        &self.items[self.start[id] as usize..self.start[id + 1] as usize]
    }

    pub(super) fn len(&self) -> usize {
        self.start.len() - 1
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &[u32]> {
        (0..self.len()).map(|id| self.get(id))
    }
}

impl std::ops::Index<usize> for Lists {
    type Output = [u32];
    fn index(&self, id: usize) -> &[u32] {
        self.get(id)
    }
}

/// Per state that some op produces or needs: the ops that produce it (by call) and the
/// determinate ops that need it (by return), each with a lower bound on its first pending one.
#[derive(Default)]
pub(super) struct Strands {
    pub(super) made: Lists,
    pub(super) needed: Lists,
    pub(super) made_lo: Vec<u32>,
    pub(super) needed_lo: Vec<u32>,
    /// Per op: (state id it makes, position), (state id it needs, position); `NONE` if none.
    pub(super) of: Vec<[(u32, u32); 2]>,
}

pub(super) const NONE: u32 = u32::MAX;

impl Strands {
    /// From the state each op makes and needs (`NONE`: none), for `ids` states; `by_call`
    /// and `by_ret` order the made and the needed lists.
    pub(super) fn build(
        ids: usize,
        makes: &[u32],
        needs: &[u32],
        by_call: &[u32],
        by_ret: &[u32],
    ) -> Strands {
        let mut of = vec![[(NONE, 0); 2]; makes.len()];
        let made = Lists::build(
            ids,
            by_call.iter().map(|&i| (makes[i as usize], i)),
            |i, p| of[i as usize][0] = (makes[i as usize], p),
        );
        let needed = Lists::build(
            ids,
            by_ret.iter().map(|&i| (needs[i as usize], i)),
            |i, p| of[i as usize][1] = (needs[i as usize], p),
        );
        Strands {
            made,
            needed,
            made_lo: vec![0; ids],
            needed_lo: vec![0; ids],
            of,
        }
    }

    /// Op `i` was linearized (`done[i]` already set) or, with `back`, undone.
    pub(super) fn update(&mut self, i: usize, done: &[bool], back: bool) {
        for (k, (id, pos)) in self.of[i].into_iter().enumerate() {
            if id == NONE {
                continue;
            }
            let (list, lo) = if k == 0 {
                (self.made.get(id as usize), &mut self.made_lo[id as usize])
            } else {
                (
                    self.needed.get(id as usize),
                    &mut self.needed_lo[id as usize],
                )
            };
            if back {
                *lo = (*lo).min(pos);
            } else if *lo == pos {
                while (*lo as usize) < list.len() && done[list[*lo as usize] as usize] {
                    *lo += 1;
                }
            }
        }
    }

    /// The pending op (but `x`) that needs state `id` and returns first.
    pub(super) fn first_needer(&self, id: u32, x: u32, done: &[bool]) -> Option<u32> {
        let id = id as usize;
        self.needed.get(id)[self.needed_lo[id] as usize..]
            .iter()
            .copied()
            .find(|&r| r != x && !done[r as usize])
    }

    /// Whether leaving state `id` now (by op `x`) strands a pending op that needs it: one
    /// that must return before any pending op can produce the state again.
    pub(super) fn stranded(
        &self,
        id: u32,
        x: usize,
        done: &[bool],
        call: &[i64],
        ret: &[i64],
    ) -> bool {
        let Some(r) = self.first_needer(id, x as u32, done) else {
            return false;
        };
        let (id, made) = (id as usize, self.made.get(id as usize));
        match made[self.made_lo[id] as usize..]
            .iter()
            .find(|&&p| !done[p as usize])
        {
            None => true,
            Some(&p) => call[p as usize] > ret[r as usize],
        }
    }
}

/// Mark op `i` (member `slot` of class `c`) linearized, moving the class's lower bound on
/// its first pending member past it.
pub(super) fn take(
    done: &mut [bool],
    lo: &mut [usize],
    members: &Lists,
    (c, slot, i): (u32, u32, usize),
) {
    done[i] = true;
    let (c, ms) = (c as usize, &members[c as usize]);
    if lo[c] == slot as usize {
        while lo[c] < ms.len() && done[ms[lo[c]] as usize] {
            lo[c] += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_keep_order_and_report_each_place() {
        // (id, op): three lists, one empty, a skipped op.
        let pairs = [(2, 10), (0, 11), (2, 12), (NONE, 13), (0, 14), (2, 15)];
        let mut places = Vec::new();
        let lists = Lists::build(3, pairs.iter().copied(), |op, p| places.push((op, p)));
        assert_eq!(lists.len(), 3);
        assert_eq!(lists.get(0), &[11, 14]);
        assert_eq!(lists.get(1), &[] as &[u32]);
        assert_eq!(&lists[2], &[10, 12, 15]);
        assert_eq!(places, [(10, 0), (11, 0), (12, 1), (14, 1), (15, 2)]);
    }
}
