//! The fast path for read/write registers whose written values are unique: a polynomial
//! (O(n log n)) decision by *zones*, instead of the exponential-in-concurrency search.
//!
//! Why: with unique values every read names the one write it reads from, and the search is no
//! longer needed. Group each write with the reads of its value into a *cluster*; let `f` be the
//! earliest response in the cluster and `s` the latest invocation. If `f < s` the cluster's
//! *forward zone* is `[f, s]` (its value must stay visible across that whole span), otherwise
//! its *backward zone* is `[s, f]`. The history is linearizable iff no read ends before its write
//! begins, no two forward zones overlap, and no backward zone lies inside a forward zone
//! (Gibbons & Korach, "Testing shared memories", SIAM J. Comput. 1997; the zone form is from
//! Golab, Li & Shah, PODC 2011). The initial value is a cluster whose write happened at −∞.
//!
//! It applies when a key has only reads and writes, every written value is distinct and not
//! `null`, and (so the zones are exact) every indeterminate write that someone read is treated
//! as a write whose response never came; an indeterminate write nobody read is dropped, which is
//! sound without `cas`: its value was never observed, so the linearization that leaves it out
//! is just as valid. Anything else falls back to the search.

use super::dense::IdMap;
use super::linear::Entry;
use super::ops::RegOp;

/// The fast path's decision.
#[derive(Debug, PartialEq, Eq)]
pub enum Zones {
    /// Linearizable.
    Ok,
    /// Not linearizable; the positions (into the entries) of a subset that is not either.
    Violation(Vec<usize>),
    /// The key does not fit the fast path.
    NotApplicable,
}

struct Cluster {
    /// Ops in the cluster (its write and its reads).
    size: u32,
    /// Earliest response (`i64::MAX` when none).
    f: i64,
    /// Latest invocation.
    s: i64,
}

/// No cluster (an entry that belongs to none).
const NO_CLUSTER: u32 = u32::MAX;

/// Decide one key's register entries by zones, when they fit.
pub fn check(entries: &[Entry<RegOp>]) -> Zones {
    let mut writer: IdMap<usize> = IdMap::for_ids(entries.iter().filter_map(|e| match e.op {
        RegOp::Write(v) => Some(v),
        _ => None,
    }));
    for (pos, e) in entries.iter().enumerate() {
        match e.op {
            RegOp::Cas(..) => return Zones::NotApplicable,
            RegOp::Write(0) => return Zones::NotApplicable,
            RegOp::Write(v) => {
                if writer.insert(v, pos).is_some() {
                    return Zones::NotApplicable;
                }
            }
            RegOp::Read(_) => {}
        }
    }
    let end = |p: usize| entries[p].ret.unwrap_or(i64::MAX);
    // Cluster index: 0 for the initial value, then one per write that is read or returned.
    // Each entry's cluster is kept per entry, not as a list per cluster (a million small
    // lists cost more than the check).
    let mut clusters: Vec<Cluster> = vec![Cluster {
        size: 0,
        f: i64::MIN,
        s: i64::MIN,
    }];
    let mut cluster_of: Vec<u32> = vec![NO_CLUSTER; entries.len()];
    let mut of_value: IdMap<u32> = IdMap::for_ids(entries.iter().filter_map(|e| match e.op {
        RegOp::Read(v) if v != 0 => Some(v),
        _ => None,
    }));
    for (pos, e) in entries.iter().enumerate() {
        let RegOp::Read(v) = e.op else { continue };
        let c = if v == 0 {
            0
        } else {
            let Some(&w) = writer.get(v) else {
                // Nobody wrote what was read.
                return Zones::Violation(vec![pos]);
            };
            if end(pos) < entries[w].call {
                // The read finished before its write began.
                return Zones::Violation(vec![w, pos]);
            }
            *of_value.get_or_insert_with(v, || {
                clusters.push(Cluster {
                    size: 1,
                    f: end(w),
                    s: entries[w].call,
                });
                cluster_of[w] = (clusters.len() - 1) as u32;
                (clusters.len() - 1) as u32
            })
        };
        cluster_of[pos] = c;
        let cl = &mut clusters[c as usize];
        cl.size += 1;
        cl.f = cl.f.min(end(pos));
        cl.s = cl.s.max(e.call);
    }
    // Writes nobody read still form clusters when they returned (they took effect); an
    // indeterminate one nobody read is left out (it may never have taken effect).
    writer.for_each(|v, &w| {
        if !of_value.contains(v) && entries[w].ret.is_some() {
            clusters.push(Cluster {
                size: 1,
                f: end(w),
                s: entries[w].call,
            });
            cluster_of[w] = (clusters.len() - 1) as u32;
        }
    });
    let union = |which: &[usize]| -> Vec<usize> {
        (0..entries.len())
            .filter(|&p| which.contains(&(cluster_of[p] as usize)))
            .collect()
    };
    let mut forward: Vec<usize> = (0..clusters.len())
        .filter(|&c| clusters[c].f < clusters[c].s)
        .collect();
    forward.sort_by_key(|&c| (clusters[c].f, clusters[c].s));
    // Forward zones must be pairwise disjoint: sorted by start, each must start after the
    // furthest end so far.
    let mut reach: Option<usize> = None;
    for &c in &forward {
        if let Some(r) = reach {
            if clusters[c].f < clusters[r].s {
                return Zones::Violation(union(&[r, c]));
            }
        }
        if reach.is_none_or(|r| clusters[c].s > clusters[r].s) {
            reach = Some(c);
        }
    }
    // No backward zone [s, f] inside a forward zone [F, S] (F < s and f < S).
    for (c, cl) in clusters.iter().enumerate() {
        if cl.f < cl.s || cl.size == 0 {
            continue;
        }
        // The forward zone with the greatest start below this zone's start.
        let idx = forward.partition_point(|&z| clusters[z].f < cl.s);
        if idx > 0 {
            let z = forward[idx - 1];
            if cl.f < clusters[z].s && z != c {
                return Zones::Violation(union(&[z, c]));
            }
        }
    }
    Zones::Ok
}

/// A read that no linearization can explain, found without the search (which would have to
/// exhaust every way to order the ops before it): a determinate op that needs value `v` (a
/// read, a successful cas) while either every op that can produce `v` is called after it
/// returned, or all of them returned before some certain overwrite (a completed write, a
/// successful cas, of another value) began, which itself returned before the read began.
/// Any values, any concurrency; the initial value counts as produced at the start. Returns a
/// non-linearizable subset: the read, the overwrite and every producer of `v`.
pub fn impossible_read(entries: &[Entry<RegOp>]) -> Option<Vec<usize>> {
    const NEVER: i64 = i64::MAX;
    // Per value: earliest call and latest return of its producers (never, for a timed-out
    // one). The producers themselves are listed only for a violation.
    let made = |e: &Entry<RegOp>| match e.op {
        RegOp::Write(v) | RegOp::Cas(_, v, Some(true) | None) => Some(v),
        RegOp::Read(_) | RegOp::Cas(_, _, Some(false)) => None,
    };
    let mut producers: IdMap<(i64, i64)> = IdMap::for_ids(entries.iter().filter_map(made));
    producers.insert(0, (i64::MIN, i64::MIN));
    // Certain overwrites: (return, call, value, position), by return.
    let mut returned: Vec<(i64, (i64, i64, u32, usize))> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let Some(v) = made(e) else { continue };
        let p = producers.get_or_insert_with(v, || (NEVER, i64::MIN));
        p.0 = p.0.min(e.call);
        p.1 = p.1.max(e.ret.unwrap_or(NEVER));
        if let Some(r) = e.ret {
            returned.push((e.call, (r, e.call, v, i)));
        }
    }
    let overwrites = super::order::sorted_by_return(returned, |o| o.0);
    // Prefix bests by return: the latest-called overwrite, and the latest-called one of
    // another value than that.
    let mut best: Vec<[Option<(i64, u32, usize)>; 2]> = Vec::with_capacity(overwrites.len());
    let mut cur: [Option<(i64, u32, usize)>; 2] = [None, None];
    for &(_, call, v, i) in &overwrites {
        let x = Some((call, v, i));
        match cur[0] {
            Some((c0, v0, _)) if call <= c0 => {
                if v != v0 && cur[1].is_none_or(|(c1, _, _)| call > c1) {
                    cur[1] = x;
                }
            }
            Some((_, v0, _)) => {
                if v != v0 {
                    cur[1] = cur[0];
                }
                cur[0] = x;
            }
            None => cur[0] = x,
        }
        best.push(cur);
    }
    let mut cursor = (i64::MIN, 0usize);
    for (r, e) in entries.iter().enumerate() {
        let (v, Some(ret)) = (
            match e.op {
                RegOp::Read(v) | RegOp::Cas(v, _, Some(true)) => v,
                _ => continue,
            },
            e.ret,
        ) else {
            continue;
        };
        let core = |extra: Option<usize>| {
            let mut c: Vec<usize> = (0..entries.len())
                .filter(|&p| made(&entries[p]) == Some(v))
                .collect();
            c.push(r);
            c.extend(extra);
            c.sort_unstable();
            c.dedup();
            c
        };
        let Some(&(first_call, last_ret)) = producers.get(v) else {
            // Nothing ever produces it.
            return Some(core(None));
        };
        if first_call > ret {
            return Some(core(None));
        }
        // Overwrites that returned before the read began (reads come in call order as a
        // rule: walk on from the last one instead of searching the whole list).
        let n = if e.call >= cursor.0 {
            let mut n = cursor.1;
            let stop = (n + 64).min(overwrites.len());
            while n < stop && overwrites[n].0 < e.call {
                n += 1;
            }
            if n == stop {
                // Far ahead (ops out of order): search the rest.
                n += overwrites[n..].partition_point(|o| o.0 < e.call);
            }
            n
        } else {
            overwrites.partition_point(|o| o.0 < e.call)
        };
        cursor = (e.call, n);
        if n == 0 || last_ret == NEVER {
            continue;
        }
        let w = best[n - 1].into_iter().flatten().find(|&(_, x, _)| x != v);
        if let Some((call, _, i)) = w {
            if call > last_ret {
                return Some(core(Some(i)));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(op: RegOp, call: i64, ret: Option<i64>) -> Entry<RegOp> {
        Entry {
            op,
            call,
            ret,
            index: 0,
        }
    }

    #[test]
    fn concurrent_ops_are_fine() {
        let h = [
            e(RegOp::Write(1), 0, Some(10)),
            e(RegOp::Read(1), 1, Some(2)),
            e(RegOp::Read(0), 3, Some(4)),
        ];
        // read 1 then read 0 while the write is pending: 0 after 1 is impossible.
        assert!(matches!(check(&h), Zones::Violation(_)));
        let h = [
            e(RegOp::Write(1), 0, Some(10)),
            e(RegOp::Read(0), 1, Some(2)),
            e(RegOp::Read(1), 3, Some(4)),
        ];
        assert_eq!(check(&h), Zones::Ok);
    }

    #[test]
    fn stale_read_and_future_read() {
        let stale = [
            e(RegOp::Write(1), 0, Some(1)),
            e(RegOp::Write(2), 2, Some(3)),
            e(RegOp::Read(1), 4, Some(5)),
        ];
        assert_eq!(check(&stale), Zones::Violation(vec![0, 1, 2]));
        let future = [
            e(RegOp::Read(1), 0, Some(1)),
            e(RegOp::Write(1), 2, Some(3)),
        ];
        assert_eq!(check(&future), Zones::Violation(vec![1, 0]));
    }

    /// The fast path and the search must agree on every small cas-free history, with and
    /// without injected anomalies and random output corruption.
    #[test]
    fn agrees_with_the_search_on_random_histories() {
        use crate::history::linear::{search, Answer, Budget};
        use crate::history::sim::{inject_anomaly, simulate, Kind, Rng, SimConfig, SimModel};
        let budget = Budget {
            deadline: std::time::Instant::now() + std::time::Duration::from_secs(60),
            max_states: 1 << 22,
            cancel: None,
        };
        let (mut ok, mut bad) = (0, 0);
        for seed in 0..600u64 {
            let mut rng = Rng::new(seed);
            let cfg = SimConfig {
                model: SimModel::Map,
                ops: 5 + rng.below(25) as usize,
                processes: 1 + rng.below(5) as usize,
                keys: 1,
                seed,
                indeterminate: 0.1,
                failed: 0.0,
                cas: false,
                values: 0,
            };
            let mut ops = simulate(&cfg);
            match rng.below(3) {
                0 => {}
                1 => {
                    inject_anomaly(&mut ops, &mut rng);
                }
                _ => {
                    let i = rng.below(ops.len() as u64) as usize;
                    if ops[i].kind == Kind::Read {
                        ops[i].output = rng.below(6);
                    }
                }
            }
            let entries: Vec<Entry<RegOp>> = ops
                .iter()
                .filter(|o| !(o.timeout && o.kind == Kind::Read))
                .map(|o| Entry {
                    op: match o.kind {
                        Kind::Read => RegOp::Read(o.output as u32),
                        _ => RegOp::Write(o.value as u32),
                    },
                    call: o.invoke,
                    ret: if o.timeout { None } else { o.complete },
                    index: 0,
                })
                .collect();
            let fast = check(&entries);
            let slow = search(&crate::history::models::Register, &entries, budget);
            match (&fast, &slow) {
                (Zones::Ok, Answer::Ok) => ok += 1,
                (Zones::Violation(_), Answer::Violation { .. }) => bad += 1,
                _ => panic!("seed {seed}: zones {fast:?}, search {slow:?}"),
            }
        }
        assert!(ok > 100 && bad > 100, "ok {ok}, bad {bad}");
    }

    #[test]
    fn indeterminate_writes_and_fallbacks() {
        let h = [e(RegOp::Write(1), 0, None), e(RegOp::Read(1), 5, Some(6))];
        assert_eq!(check(&h), Zones::Ok);
        let h = [e(RegOp::Write(1), 0, None), e(RegOp::Read(0), 5, Some(6))];
        assert_eq!(check(&h), Zones::Ok);
        let dup = [
            e(RegOp::Write(1), 0, Some(1)),
            e(RegOp::Write(1), 2, Some(3)),
        ];
        assert_eq!(check(&dup), Zones::NotApplicable);
        let cas = [e(RegOp::Cas(0, 1, Some(true)), 0, Some(1))];
        assert_eq!(check(&cas), Zones::NotApplicable);
    }
}
