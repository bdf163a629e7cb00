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

use std::collections::HashMap;

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
    ops: Vec<usize>,
    /// Earliest response (`i64::MAX` when none).
    f: i64,
    /// Latest invocation.
    s: i64,
}

/// Decide one key's register entries by zones, when they fit.
pub fn check(entries: &[Entry<RegOp>]) -> Zones {
    let mut writer: HashMap<u32, usize> = HashMap::new();
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
    let mut clusters: Vec<Cluster> = vec![Cluster {
        ops: Vec::new(),
        f: i64::MIN,
        s: i64::MIN,
    }];
    let mut of_value: HashMap<u32, usize> = HashMap::new();
    for (pos, e) in entries.iter().enumerate() {
        let RegOp::Read(v) = e.op else { continue };
        let c = if v == 0 {
            0
        } else {
            let Some(&w) = writer.get(&v) else {
                // Nobody wrote what was read.
                return Zones::Violation(vec![pos]);
            };
            if end(pos) < entries[w].call {
                // The read finished before its write began.
                return Zones::Violation(vec![w, pos]);
            }
            *of_value.entry(v).or_insert_with(|| {
                clusters.push(Cluster {
                    ops: vec![w],
                    f: end(w),
                    s: entries[w].call,
                });
                clusters.len() - 1
            })
        };
        let cl = &mut clusters[c];
        cl.ops.push(pos);
        cl.f = cl.f.min(end(pos));
        cl.s = cl.s.max(e.call);
    }
    // Writes nobody read still form clusters when they returned (they took effect); an
    // indeterminate one nobody read is left out (it may never have taken effect).
    for (&v, &w) in &writer {
        if !of_value.contains_key(&v) && entries[w].ret.is_some() {
            clusters.push(Cluster {
                ops: vec![w],
                f: end(w),
                s: entries[w].call,
            });
        }
    }
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
                return Zones::Violation(union(&clusters, &[r, c]));
            }
        }
        if reach.is_none_or(|r| clusters[c].s > clusters[r].s) {
            reach = Some(c);
        }
    }
    // No backward zone [s, f] inside a forward zone [F, S] (F < s and f < S).
    for (c, cl) in clusters.iter().enumerate() {
        if cl.f < cl.s || cl.ops.is_empty() {
            continue;
        }
        // The forward zone with the greatest start below this zone's start.
        let idx = forward.partition_point(|&z| clusters[z].f < cl.s);
        if idx > 0 {
            let z = forward[idx - 1];
            if cl.f < clusters[z].s && z != c {
                return Zones::Violation(union(&clusters, &[z, c]));
            }
        }
    }
    Zones::Ok
}

fn union(clusters: &[Cluster], which: &[usize]) -> Vec<usize> {
    let mut v: Vec<usize> = which
        .iter()
        .flat_map(|&c| clusters[c].ops.iter().copied())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
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
