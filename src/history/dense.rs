//! Tables keyed by interned value ids: a plain vector when the ids one key uses are dense,
//! a hash map otherwise; and the fast hash map every table of `history` uses.
//!
//! Why: value ids are handed out in order of first appearance, so the values of a key with
//! many ops are nearly consecutive and are met in nearly increasing order. A vector indexed
//! by `id - lowest` then touches memory almost sequentially, where a hash map of a million
//! entries misses the processor cache on nearly every lookup; that miss made the fast paths
//! grow faster than the history. Keys whose ids are scattered (many keys sharing one id
//! space) get a hash map, so memory never grows with the id range.

use std::hash::{BuildHasherDefault, Hasher};

/// FxHash-style hasher: the cache keys are already well mixed, so SipHash's cost buys nothing.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(i as u64);
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(i as u64);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64);
    }
    fn write_u128(&mut self, i: u128) {
        self.write_u64(i as u64);
        self.write_u64((i >> 64) as u64);
    }
}

/// A hash map with [`FastHasher`] (op ids, interned strings: no adversary to defend against
/// in a local CLI, and SipHash showed up in profiles).
pub type FastMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// A map from value id to `T`.
pub enum IdMap<T> {
    Dense { base: u32, slots: Vec<Option<T>> },
    Sparse(FastMap<u32, T>),
}

impl<T> IdMap<T> {
    /// An empty map for (about) the ids in `ids`: dense when their range is at most four
    /// times their number (plus a little), sparse otherwise. Any id may still be used later.
    pub fn for_ids(ids: impl Iterator<Item = u32>) -> IdMap<T> {
        let (mut lo, mut hi, mut n) = (u32::MAX, 0u32, 0usize);
        for id in ids {
            lo = lo.min(id);
            hi = hi.max(id);
            n += 1;
        }
        if n == 0 {
            return IdMap::Sparse(FastMap::default());
        }
        let span = (hi - lo) as usize + 1;
        if span <= 4 * n + 64 {
            let mut slots = Vec::with_capacity(span);
            slots.resize_with(span, || None);
            IdMap::Dense { base: lo, slots }
        } else {
            let mut m = FastMap::default();
            m.reserve(n);
            IdMap::Sparse(m)
        }
    }

    pub fn get(&self, id: u32) -> Option<&T> {
        match self {
            IdMap::Dense { base, slots } => id
                .checked_sub(*base)
                .and_then(|i| slots.get(i as usize))
                .and_then(Option::as_ref),
            IdMap::Sparse(m) => m.get(&id),
        }
    }

    pub fn contains(&self, id: u32) -> bool {
        self.get(id).is_some()
    }

    /// The entry for `id`, made with `make` when absent.
    pub fn get_or_insert_with(&mut self, id: u32, make: impl FnOnce() -> T) -> &mut T {
        if let IdMap::Dense { base, slots } = self {
            let fits = id
                .checked_sub(*base)
                .is_some_and(|i| (i as usize) < slots.len());
            if !fits {
                // An id outside the planned range: move to a hash map (rare, never wrong).
                let m: FastMap<u32, T> = std::mem::take(slots)
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, v)| v.map(|v| (*base + i as u32, v)))
                    .collect();
                *self = IdMap::Sparse(m);
            }
        }
        match self {
            IdMap::Dense { base, slots } => slots[(id - *base) as usize].get_or_insert_with(make),
            IdMap::Sparse(m) => m.entry(id).or_insert_with(make),
        }
    }

    pub fn get_mut(&mut self, id: u32) -> Option<&mut T> {
        match self {
            IdMap::Dense { base, slots } => id
                .checked_sub(*base)
                .and_then(|i| slots.get_mut(i as usize))
                .and_then(Option::as_mut),
            IdMap::Sparse(m) => m.get_mut(&id),
        }
    }

    /// Insert `v` at `id`; the previous value, if any.
    pub fn insert(&mut self, id: u32, v: T) -> Option<T> {
        if let Some(slot) = self.get_mut(id) {
            return Some(std::mem::replace(slot, v));
        }
        self.get_or_insert_with(id, || v);
        None
    }

    /// Every (id, value), in increasing id order when dense.
    pub fn for_each(&self, mut f: impl FnMut(u32, &T)) {
        match self {
            IdMap::Dense { base, slots } => {
                for (i, v) in slots.iter().enumerate() {
                    if let Some(v) = v {
                        f(*base + i as u32, v);
                    }
                }
            }
            IdMap::Sparse(m) => {
                for (&k, v) in m {
                    f(k, v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ids: &[u32]) {
        let mut m: IdMap<u32> = IdMap::for_ids(ids.iter().copied());
        let mut plain = std::collections::HashMap::new();
        for (i, &id) in ids.iter().enumerate() {
            assert_eq!(
                m.insert(id, i as u32),
                plain.insert(id, i as u32),
                "id {id}"
            );
        }
        // Ids outside the planned range still work.
        for id in [0, 7, u32::MAX - 1, 1 << 20] {
            assert_eq!(m.insert(id, 99), plain.insert(id, 99), "id {id}");
        }
        for id in ids.iter().copied().chain([3, 1 << 21]) {
            assert_eq!(m.get(id), plain.get(&id), "id {id}");
            assert_eq!(m.contains(id), plain.contains_key(&id));
        }
        let mut seen = Vec::new();
        m.for_each(|k, v| seen.push((k, *v)));
        let mut want: Vec<(u32, u32)> = plain.into_iter().collect();
        seen.sort_unstable();
        want.sort_unstable();
        assert_eq!(seen, want);
    }

    #[test]
    fn dense_and_sparse_agree_with_a_hash_map() {
        check(&[]);
        check(&(100..200).collect::<Vec<_>>()); // dense
        check(&[5, 5, 6, 9, 5]); // dense, repeats
        check(&[1, 1_000_000, 30, 70_000_000]); // sparse
        let mut m: IdMap<u8> = IdMap::for_ids([10, 11, 12].into_iter());
        assert!(matches!(m, IdMap::Dense { .. }));
        m.insert(1 << 30, 1);
        assert!(matches!(m, IdMap::Sparse(_)));
        assert_eq!(m.get(1 << 30), Some(&1));
    }
}
