//! The fast path for map keys that only see `append` and `get` with unique appended strings:
//! a linear-time decision instead of the search.
//!
//! Why: when every appended suffix is distinct, the longest value read spells out the order in
//! which the appends took effect, and every other read must be a prefix of it ending at an
//! append boundary: its *version*. The versions are then totally ordered, so linearizability
//! reduces to placing, version after version, the append that created it and then every read
//! of it, each at the earliest instant its interval and the previous placements allow (a
//! greedy choice that is never worse than a later one). Appends nobody saw must fit after all
//! reads. The search's cost grows with the number of concurrent clients; this does not.
//!
//! It applies when the key has no `put`, appended strings are non-empty and distinct, and the
//! longest read splits into appended strings in exactly one way; otherwise the search decides.
//! (Porcupine's kv histories mix `put` into most keys, so they still go to the search; extending
//! this to puts needs the order of put epochs, a zone-like problem left for later.)
//! An indeterminate append that some read shows took effect (it gets no deadline); one that no
//! read shows is dropped (nobody observed it, so leaving it out is a valid linearization).

use std::collections::{BTreeSet, HashMap};

use super::linear::Entry;
use super::ops::StrOp;

/// The fast path's decision.
#[derive(Debug, PartialEq, Eq)]
pub enum Chain {
    Ok,
    /// Not linearizable; positions of a subset that is not either.
    Violation(Vec<usize>),
    NotApplicable,
}

/// Decide one key of a map with appends, when it fits.
pub fn check(entries: &[Entry<StrOp>]) -> Chain {
    let mut by_value: HashMap<&str, usize> = HashMap::new();
    let mut lengths: BTreeSet<usize> = BTreeSet::new();
    let mut gets: Vec<usize> = Vec::new();
    for (pos, e) in entries.iter().enumerate() {
        match &e.op {
            StrOp::Put(_) => return Chain::NotApplicable,
            StrOp::Append(v) => {
                if v.is_empty() || by_value.insert(v, pos).is_some() {
                    return Chain::NotApplicable;
                }
                lengths.insert(v.len());
            }
            StrOp::Get(_) => gets.push(pos),
        }
    }
    let all = || (0..entries.len()).collect::<Vec<usize>>();
    let text = |p: usize| match &entries[p].op {
        StrOp::Get(s) | StrOp::Put(s) | StrOp::Append(s) => &**s,
    };
    let end = |p: usize| entries[p].ret.unwrap_or(i64::MAX);
    let Some(&longest) = gets.iter().max_by_key(|&&g| (text(g).len(), g)) else {
        return Chain::Ok; // appends only: nothing was observed
    };
    // Split the longest read into appended strings.
    let g = text(longest);
    let mut pieces: Vec<usize> = Vec::new();
    let mut version_at: HashMap<usize, usize> = HashMap::from([(0, 0)]);
    let mut used = vec![false; entries.len()];
    let mut i = 0;
    while i < g.len() {
        let mut found = None;
        for &l in &lengths {
            if let Some(&a) = g.get(i..i + l).and_then(|s| by_value.get(s)) {
                if found.is_some() {
                    return Chain::NotApplicable; // ambiguous split
                }
                found = Some((a, l));
            }
        }
        let Some((a, l)) = found else {
            // A read shows text no append wrote (or splits in no way).
            return Chain::Violation(vec![longest]);
        };
        if used[a] {
            return Chain::Violation(vec![a, longest]);
        }
        used[a] = true;
        pieces.push(a);
        i += l;
        version_at.insert(i, pieces.len());
    }
    // Every read is a version: a prefix of the longest ending at a boundary.
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); pieces.len() + 1];
    for &r in &gets {
        let s = text(r);
        match version_at.get(&s.len()) {
            Some(&v) if g.starts_with(s) => readers[v].push(r),
            _ => return Chain::Violation(all()),
        }
    }
    // Place versions in order, each op at the earliest instant allowed.
    let mut t = i64::MIN;
    for v in 0..=pieces.len() {
        let mut p = t;
        if v > 0 {
            let a = pieces[v - 1];
            p = p.max(entries[a].call);
            if p > end(a) {
                return Chain::Violation(upto(&pieces, &readers, v));
            }
        }
        let mut reach = p;
        for &r in &readers[v] {
            let q = p.max(entries[r].call);
            if q > end(r) {
                return Chain::Violation(upto(&pieces, &readers, v));
            }
            reach = reach.max(q);
        }
        t = reach;
    }
    // Appends nobody saw (and that did return) come after every read.
    for (pos, e) in entries.iter().enumerate() {
        if matches!(e.op, StrOp::Append(_))
            && !used[pos]
            && e.ret.is_some()
            && t.max(e.call) > end(pos)
        {
            return Chain::Violation(all());
        }
    }
    Chain::Ok
}

/// The ops of versions `0..=v`: appends and their readers.
fn upto(pieces: &[usize], readers: &[Vec<usize>], v: usize) -> Vec<usize> {
    let mut out: Vec<usize> = pieces[..v].to_vec();
    for r in &readers[..=v] {
        out.extend(r);
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::linear::{search, Answer, Budget};
    use crate::history::models::StrRegister;
    use crate::history::sim::Rng;

    fn e(op: StrOp, call: i64, ret: Option<i64>) -> Entry<StrOp> {
        Entry {
            op,
            call,
            ret,
            index: 0,
        }
    }

    #[test]
    fn versions_in_order() {
        let ok = [
            e(StrOp::Append("a".into()), 0, Some(10)),
            e(StrOp::Append("b".into()), 1, Some(3)),
            e(StrOp::Get("b".into()), 4, Some(5)),
            e(StrOp::Get("ba".into()), 6, Some(7)),
        ];
        assert_eq!(check(&ok), Chain::Ok);
        let bad = [
            e(StrOp::Append("a".into()), 0, Some(1)),
            e(StrOp::Append("b".into()), 2, Some(3)),
            e(StrOp::Get("ba".into()), 4, Some(5)),
        ];
        assert!(matches!(check(&bad), Chain::Violation(_)));
        let lost = [
            e(StrOp::Append("a".into()), 0, Some(1)),
            e(StrOp::Get("".into()), 4, Some(5)),
        ];
        assert!(matches!(check(&lost), Chain::Violation(_)));
        let put = [e(StrOp::Put("a".into()), 0, Some(1))];
        assert_eq!(check(&put), Chain::NotApplicable);
    }

    /// The fast path and the search agree on random small append histories, correct ones and
    /// ones with a corrupted read.
    #[test]
    fn agrees_with_the_search_on_random_histories() {
        let budget = Budget {
            deadline: std::time::Instant::now() + std::time::Duration::from_secs(60),
            max_states: 1 << 22,
            cancel: None,
        };
        let (mut oks, mut bads) = (0, 0);
        for seed in 0..800u64 {
            let mut rng = Rng::new(seed);
            let procs = 1 + rng.below(4) as usize;
            let n = 4 + rng.below(14) as usize;
            // Simulate: each op takes effect at one instant inside its interval.
            let mut state = String::new();
            let mut entries: Vec<Entry<StrOp>> = Vec::new();
            let mut pending: Vec<Option<(usize, bool)>> = vec![None; procs];
            let mut t = 0i64;
            let mut next = 0;
            while entries.len() < n || pending.iter().any(Option::is_some) {
                t += 1;
                let p = rng.below(procs as u64) as usize;
                match pending[p] {
                    None if entries.len() < n => {
                        let op = if rng.chance(0.5) {
                            next += 1;
                            StrOp::Append(format!("<{next}>").into())
                        } else {
                            StrOp::Get("".into())
                        };
                        entries.push(e(op, t, None));
                        pending[p] = Some((entries.len() - 1, false));
                    }
                    None => {}
                    Some((i, false)) => {
                        if rng.chance(0.1) && matches!(entries[i].op, StrOp::Append(_)) {
                            // times out; took effect half the time
                            if rng.chance(0.5) {
                                if let StrOp::Append(v) = &entries[i].op {
                                    state.push_str(v);
                                }
                            }
                            pending[p] = None;
                            continue;
                        }
                        match &mut entries[i].op {
                            StrOp::Append(v) => state.push_str(v),
                            StrOp::Get(v) => *v = state.clone().into(),
                            StrOp::Put(_) => {}
                        }
                        pending[p] = Some((i, true));
                    }
                    Some((i, true)) => {
                        entries[i].ret = Some(t);
                        pending[p] = None;
                    }
                }
            }
            if rng.chance(0.5) {
                let gets: Vec<usize> = (0..entries.len())
                    .filter(|&i| matches!(entries[i].op, StrOp::Get(_)))
                    .collect();
                if !gets.is_empty() {
                    let g = gets[rng.below(gets.len() as u64) as usize];
                    let choices = ["", "<1>", "<2>", "<1><2>", "<2><1>", "<3>"];
                    entries[g].op = StrOp::Get(choices[rng.below(6) as usize].into());
                }
            }
            let fast = check(&entries);
            let slow = search(&StrRegister, &entries, budget);
            match (&fast, &slow) {
                (Chain::Ok, Answer::Ok) => oks += 1,
                (Chain::Violation(core), Answer::Violation { .. }) => {
                    bads += 1;
                    let sub: Vec<Entry<StrOp>> = core.iter().map(|&i| entries[i].clone()).collect();
                    assert!(
                        matches!(search(&StrRegister, &sub, budget), Answer::Violation { .. }),
                        "seed {seed}: core is linearizable"
                    );
                }
                (Chain::NotApplicable, _) => {}
                _ => panic!("seed {seed}: chain {fast:?}, search {slow:?}\n{entries:?}"),
            }
        }
        assert!(oks > 150 && bads > 150, "ok {oks}, violations {bads}");
    }
}
