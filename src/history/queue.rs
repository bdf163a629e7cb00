//! `prefix-order` for the queue model: no phantom, duplicated, lost or reordered dequeues.
//!
//! Why not a full linearizability search for queues: a FIFO queue's state is the whole
//! sequence of pending items, so the search's cache barely prunes; and when enqueued values
//! are unique (recorders are asked to make them so) the anomalies a claim is about are all
//! visible pairwise from the intervals. The rules, per key:
//!
//! - **phantom**: a dequeue returned a value no (non-failed) enqueue wrote;
//! - **duplicated**: a value was dequeued more often than it was enqueued;
//! - **from the future**: a dequeue completed before the enqueue of its value was invoked;
//! - **reordered**: `a` was enqueued entirely before `b`, yet `b`'s dequeue completed before
//!   `a`'s dequeue was invoked;
//! - **lost**: values enqueued (acknowledged) before a value that was later dequeued, or before
//!   a dequeue that found the queue empty, yet never dequeued, and more of them than there are
//!   indeterminate dequeues that could have taken them unseen.
//!
//! Indeterminate enqueues may or may not be present: their values may be dequeued (no phantom)
//! but are never required (never lost). Failed ops are dropped.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde_json::Value;

use super::ops::precedes;
use super::record::{History, Status};
use super::{witness, Finding, HistoryError};

#[derive(Default)]
struct Item {
    /// Non-failed enqueues of the value.
    enq: Vec<usize>,
    /// Ok dequeues that returned the value.
    deq: Vec<usize>,
}

#[derive(Default)]
struct KeyOps {
    key: Option<u32>,
    items: HashMap<String, Item>,
    /// Ok dequeues that found the queue empty.
    empty: Vec<usize>,
    /// Indeterminate dequeues.
    lost_deq: Vec<usize>,
}

/// Run `prefix-order` on a queue history.
/// The empty-dequeue rule costs O(empty dequeues × values); `deadline` bounds it with an
/// honest `unknown`.
pub fn prefix_order(h: &History, deadline: Instant) -> Result<Finding, HistoryError> {
    let mut keys: BTreeMap<super::record::KeyOrder, KeyOps> = BTreeMap::new();
    for (i, op) in h.ops.iter().enumerate() {
        let t = h.op_type(op);
        if t != "enqueue" && t != "dequeue" {
            return Err(HistoryError::at(
                &h.path,
                Some(op.line),
                format!(
                    "op {}: op_type `{t}` is not an operation of model queue (expected one of: enqueue, dequeue)",
                    op.id
                ),
            ));
        }
        let k = keys.entry(h.key_order(op.key)).or_insert_with(|| KeyOps {
            key: op.key,
            ..KeyOps::default()
        });
        match (t, op.status()) {
            (_, Status::Failed) => {}
            ("enqueue", _) => k.items.entry(op.input.to_string()).or_default().enq.push(i),
            ("dequeue", Status::Ok) if op.output == Value::Null => k.empty.push(i),
            ("dequeue", Status::Ok) => k
                .items
                .entry(op.output.to_string())
                .or_default()
                .deq
                .push(i),
            _ => k.lost_deq.push(i),
        }
    }
    let mut found = Finding::default();
    for k in keys.values() {
        match check_key(h, k, deadline) {
            Ok(Some((what, ops))) => {
                found.violation = Some(witness(h, k.key, &ops, &[]));
                found.what = Some(what);
                return Ok(found);
            }
            Ok(None) => {}
            Err(OutOfTime) => found.unknown.push(format!(
                "key {}: time budget exhausted while checking dequeues that found the queue empty",
                h.key_name(k.key).unwrap_or_else(|| "null".into())
            )),
        }
    }
    Ok(found)
}

fn end(h: &History, i: usize) -> i64 {
    h.ops[i].complete.unwrap_or(i64::MAX)
}

fn start(h: &History, i: usize) -> i64 {
    h.ops[i].invoke
}

/// The budget ran out.
struct OutOfTime;

fn check_key(
    h: &History,
    k: &KeyOps,
    deadline: Instant,
) -> Result<Option<(String, Vec<usize>)>, OutOfTime> {
    let ok = |i: usize| h.ops[i].status() == Status::Ok;
    // Deterministic order: by the first op index of each item.
    let mut items: Vec<&Item> = k.items.values().collect();
    items.sort_by_key(|it| it.enq.iter().chain(&it.deq).min().copied());
    for it in &items {
        if it.enq.is_empty() {
            return Ok(Some(("phantom dequeue".into(), it.deq.clone())));
        }
        if it.deq.len() > it.enq.len() {
            let mut ops = it.enq.clone();
            ops.extend(&it.deq);
            return Ok(Some(("duplicated dequeue".into(), ops)));
        }
        let first_enq = it
            .enq
            .iter()
            .map(|&e| start(h, e))
            .min()
            .unwrap_or(i64::MAX);
        for &d in &it.deq {
            if precedes(h.ops[d].complete, first_enq) {
                let mut ops = it.enq.clone();
                ops.push(d);
                return Ok(Some(("dequeue before its enqueue".into(), ops)));
            }
        }
    }
    // Order rules need a one-to-one value ↔ enqueue: items with one ok enqueue.
    struct U {
        enq: usize,
        deq: Option<usize>,
    }
    let unique: Vec<U> = items
        .iter()
        .filter(|it| it.enq.len() == 1 && ok(it.enq[0]) && it.deq.len() <= 1)
        .map(|it| U {
            enq: it.enq[0],
            deq: it.deq.first().copied(),
        })
        .collect();
    // Reordered: sweep b by enqueue invocation; predecessors a are those whose enqueue
    // completed before b's enqueue was invoked.
    let mut by_end: Vec<&U> = unique.iter().collect();
    by_end.sort_by_key(|u| (end(h, u.enq), u.enq));
    let mut by_start: Vec<&U> = unique.iter().filter(|u| u.deq.is_some()).collect();
    by_start.sort_by_key(|u| (start(h, u.enq), u.enq));
    let mut p = 0;
    let mut latest: Option<&U> = None; // predecessor whose dequeue was invoked last
    let mut undequeued: Vec<&U> = Vec::new(); // predecessors never dequeued (ok)
    let mut lost: Vec<(usize, usize)> = Vec::new(); // (a's enqueue, b's dequeue)
    for b in &by_start {
        let bd = b.deq.unwrap_or(usize::MAX);
        while p < by_end.len() && precedes(h.ops[by_end[p].enq].complete, start(h, b.enq)) {
            let a = by_end[p];
            match a.deq {
                Some(ad) => {
                    if latest.is_none_or(|l| start(h, ad) > start(h, l.deq.unwrap_or(0))) {
                        latest = Some(a);
                    }
                }
                None => undequeued.push(a),
            }
            p += 1;
        }
        if let Some(a) = latest {
            let ad = a.deq.unwrap_or(usize::MAX);
            if precedes(h.ops[bd].complete, start(h, ad)) {
                return Ok(Some((
                    "reordered dequeue".into(),
                    vec![a.enq, b.enq, bd, ad],
                )));
            }
        }
        for a in undequeued.drain(..) {
            lost.push((a.enq, bd));
        }
    }
    if lost.len() > k.lost_deq.len() {
        let (a, bd) = lost[k.lost_deq.len()];
        return Ok(Some((
            "lost enqueue (a later value was dequeued)".into(),
            vec![a, bd],
        )));
    }
    // Empty dequeues: every value acknowledged before the dequeue was invoked must have been
    // dequeued by a dequeue invoked before it completed (or by an indeterminate one).
    for (n, &e) in k.empty.iter().enumerate() {
        if n % 64 == 63 && Instant::now() >= deadline {
            return Err(OutOfTime);
        }
        let (ei, ec) = (start(h, e), h.ops[e].complete);
        let missing: Vec<usize> = unique
            .iter()
            .filter(|u| precedes(h.ops[u.enq].complete, ei))
            .filter(|u| u.deq.is_none_or(|d| precedes(ec, start(h, d))))
            .map(|u| u.enq)
            .collect();
        let could_take = k
            .lost_deq
            .iter()
            .filter(|&&d| !precedes(ec, start(h, d)))
            .count();
        if missing.len() > could_take {
            return Ok(Some((
                "lost enqueue (the queue was later read empty)".into(),
                vec![missing[could_take], e],
            )));
        }
    }
    Ok(None)
}
