//! Ops put in order of their return times without a full sort, when they come in call order.
//!
//! Why: recorders write ops in call order, and an op returns soon after it is called, so by
//! return time the ops are only shuffled within the ops in flight. A heap of the ops in
//! flight puts them in order in O(n log concurrency), where a sort of a million returns
//! costs O(n log n) with a cache miss on most steps. Any other input is sorted.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The keys of `items` — (call time, key whose order starts with the return time) — in
/// increasing key order. `ret` reads the return time from a key; it is never before the
/// call (the history's own rule).
pub fn sorted_by_return<K: Ord>(items: Vec<(i64, K)>, ret: impl Fn(&K) -> i64) -> Vec<K> {
    let mut out = Vec::with_capacity(items.len());
    if !items.windows(2).all(|w| w[0].0 <= w[1].0) {
        out.extend(items.into_iter().map(|(_, k)| k));
        out.sort_unstable();
        return out;
    }
    // Every key pushed later returns at or after its call, which is at or after the call
    // being passed: so a key that returns before that call is the least left.
    let mut in_flight: BinaryHeap<Reverse<K>> = BinaryHeap::new();
    for (call, key) in items {
        while in_flight.peek().is_some_and(|Reverse(k)| ret(k) < call) {
            if let Some(Reverse(k)) = in_flight.pop() {
                out.push(k);
            }
        }
        in_flight.push(Reverse(key));
    }
    while let Some(Reverse(k)) = in_flight.pop() {
        out.push(k);
    }
    out
}

/// Below this many ops, one sort is cheaper than the merge.
const SHORT: usize = 512;

/// The call and return events of ops given as (call, return), in time order: (time, 0 for
/// a call / 1 for a return, op position), calls before returns at equal times (touching
/// ops are concurrent), ties by position. Ops without a return have no return event.
pub fn events(ops: impl ExactSizeIterator<Item = (i64, Option<i64>)>) -> Vec<(i64, u8, u32)> {
    let n = ops.len();
    if n < SHORT {
        // Short keys (a witness being shrunk): one sort is cheaper than the merge.
        let mut out = Vec::with_capacity(2 * n);
        for (i, (call, ret)) in ops.enumerate() {
            out.push((call, 0, i as u32));
            if let Some(r) = ret {
                out.push((r, 1, i as u32));
            }
        }
        out.sort_unstable();
        return out;
    }
    let mut calls: Vec<(i64, u8, u32)> = Vec::with_capacity(n);
    let mut rets: Vec<(i64, (i64, u8, u32))> = Vec::with_capacity(n);
    for (i, (call, ret)) in ops.enumerate() {
        calls.push((call, 0, i as u32));
        if let Some(r) = ret {
            rets.push((call, (r, 1, i as u32)));
        }
    }
    if !calls.windows(2).all(|w| w[0] <= w[1]) {
        calls.sort_unstable();
    }
    let rets = sorted_by_return(rets, |k| k.0);
    // Merge the two sorted runs.
    let mut out = Vec::with_capacity(calls.len() + rets.len());
    let (mut a, mut b) = (calls.into_iter().peekable(), rets.into_iter().peekable());
    loop {
        let take_call = match (a.peek(), b.peek()) {
            (Some(c), Some(r)) => c < r,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        out.extend(if take_call { a.next() } else { b.next() });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::sim::Rng;

    /// Random ops in call order (or, every third case, not), with timeouts and ties; every
    /// other case is long enough for the merge.
    fn ops(seed: u64) -> Vec<(i64, Option<i64>)> {
        let mut rng = Rng::new(seed);
        let n = rng.below(60) as usize + if seed.is_multiple_of(2) { SHORT } else { 0 };
        let mut t = 0i64;
        let mut v: Vec<(i64, Option<i64>)> = (0..n)
            .map(|_| {
                t += rng.below(3) as i64;
                (t, (!rng.chance(0.2)).then(|| t + rng.below(6) as i64))
            })
            .collect();
        if seed.is_multiple_of(3) && n > 1 {
            v.swap(0, n - 1);
        }
        v
    }

    #[test]
    fn events_match_a_full_sort() {
        for seed in 0..600u64 {
            let ops = ops(seed);
            let mut want: Vec<(i64, u8, u32)> = Vec::new();
            for (i, &(c, r)) in ops.iter().enumerate() {
                want.push((c, 0, i as u32));
                if let Some(r) = r {
                    want.push((r, 1, i as u32));
                }
            }
            want.sort_unstable();
            assert_eq!(events(ops.iter().copied()), want, "seed {seed}: {ops:?}");
        }
    }

    #[test]
    fn returns_come_out_sorted_with_their_whole_key() {
        for seed in 0..600u64 {
            let ops = ops(seed);
            let items: Vec<(i64, (i64, i64, usize))> = ops
                .iter()
                .enumerate()
                .filter_map(|(i, &(c, r))| r.map(|r| (c, (r, c, i))))
                .collect();
            let mut want: Vec<(i64, i64, usize)> = items.iter().map(|x| x.1).collect();
            want.sort_unstable();
            assert_eq!(sorted_by_return(items, |k| k.0), want, "seed {seed}");
        }
    }
}
