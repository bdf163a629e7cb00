//! From reads to dependencies: version orders, the anomalies visible without a cycle
//! (`internal`, `duplicate`, `incompatible-order`, G1a, G1b) and the ww / wr / rw / realtime
//! edges.
//!
//! Soundness rules: only what reads prove. An indeterminate txn counts as committed only when
//! some read observed one of its writes; an aborted txn's writes give no edges (a read of one
//! is G1a). list-append orders each key by its longest read and demands every other read be a
//! prefix of it; a key whose reads disagree gives no edges. rw-register knows only that the
//! initial state precedes every write, so its only ww-free facts are wr edges and rw edges out
//! of reads of the initial state.

use std::collections::BTreeMap;

use super::explain::Cx;
use super::graph::{Edge, Kind, NONE};
use super::parse::{Mop, Txns};
use crate::history::linear::FastMap;
use crate::history::record::Status;
use crate::history::HistoryError;

/// An anomaly seen without a cycle: its transactions and the sentences that show it.
#[derive(Debug, Clone)]
pub struct Found {
    pub txns: Vec<u32>,
    pub steps: Vec<String>,
}

/// Anomalies by class: how many times seen, and the first one in full.
#[derive(Debug, Default)]
pub struct Anoms {
    pub by_class: BTreeMap<&'static str, (usize, Found)>,
}

impl Anoms {
    /// Count one more `class`; `make` builds the witness only for the first.
    pub fn add(&mut self, class: &'static str, make: impl FnOnce() -> Found) {
        match self.by_class.get_mut(class) {
            Some((n, _)) => *n += 1,
            None => {
                self.by_class.insert(class, (1, make()));
            }
        }
    }
}

/// What inference gives the cycle search.
#[derive(Debug, Default)]
pub struct Inferred {
    pub edges: Vec<Edge>,
    pub anoms: Anoms,
    /// Why some keys could not be ordered (the check cannot be complete).
    pub unknown: Vec<String>,
    /// Per key: the read that fixes its version order (list-append), or (`NONE`, `NONE`).
    pub order_read: Vec<(u32, u32)>,
    /// Per txn: committed for certain (ok, or indeterminate and observed).
    pub committed: Vec<bool>,
}

/// (key, value) → (txn, micro-op) that wrote it.
type Writers = FastMap<(u32, u32), (u32, u32)>;

/// (txn, key) → the last value the txn wrote to the key.
type Finals = FastMap<(u32, u32), u32>;

/// Where each written (key, value) comes from: (txn, micro-op), with a duplicate check.
fn writers(cx: &Cx) -> Result<Writers, HistoryError> {
    let mut w: Writers = FastMap::default();
    for (ti, t) in cx.t.txns.iter().enumerate() {
        for (mi, m) in t.mops.iter().enumerate() {
            if let Mop::Write { key, val } = m {
                if let Some((other, _)) = w.insert((*key, *val), (ti as u32, mi as u32)) {
                    let first = &cx.h.ops[cx.t.txns[other as usize].op];
                    return Err(HistoryError::at(
                        &cx.h.path,
                        Some(cx.h.ops[t.op].line),
                        format!(
                            "value {} is written to key {} twice (also by op {} on line {}); the recorder must write each value at most once per key, so reads show who wrote what",
                            cx.val(*val),
                            cx.key(*key),
                            first.id,
                            first.line
                        ),
                    ));
                }
            }
        }
    }
    Ok(w)
}

/// Each txn's last write to each key it writes.
fn final_writes(t: &Txns) -> Finals {
    let mut f = FastMap::default();
    for (ti, txn) in t.txns.iter().enumerate() {
        for m in &txn.mops {
            if let Mop::Write { key, val } = m {
                f.insert((ti as u32, *key), *val);
            }
        }
    }
    f
}

/// Committed for certain: ok, or indeterminate with a write some ok read observed.
fn committed(t: &Txns, w: &Writers) -> Vec<bool> {
    let mut c: Vec<bool> = t.txns.iter().map(|x| x.status == Status::Ok).collect();
    for txn in t.txns.iter().filter(|x| x.status == Status::Ok) {
        for m in &txn.mops {
            let mut mark = |k: u32, v: u32| {
                if let Some(&(wt, _)) = w.get(&(k, v)) {
                    if t.txns[wt as usize].status == Status::Indeterminate {
                        c[wt as usize] = true;
                    }
                }
            };
            match m {
                Mop::ReadList { key, list: Some(l) } => l.iter().for_each(|&v| mark(*key, v)),
                Mop::ReadReg {
                    key,
                    val: Some(Some(v)),
                } => mark(*key, *v),
                _ => {}
            }
        }
    }
    c
}

fn no_edge_read() -> (u32, u32) {
    (NONE, NONE)
}

/// What both inferences start from: the writer of each value, each txn's final write per
/// key, and an [`Inferred`] that knows which txns committed and has read no order yet.
fn start(cx: &Cx) -> Result<(Writers, Finals, Inferred), HistoryError> {
    let w = writers(cx)?;
    let finals = final_writes(cx.t);
    let out = Inferred {
        committed: committed(cx.t, &w),
        order_read: vec![no_edge_read(); cx.t.keys.len()],
        ..Inferred::default()
    };
    Ok((w, finals, out))
}

/// A wr edge: `to` (at mop `read`) read `v`, which `from` wrote to `key`.
fn wr(from: u32, to: u32, key: u32, v: u32, read: (u32, u32)) -> Edge {
    Edge {
        from,
        to,
        kind: Kind::Wr,
        key,
        v1: v,
        v2: NONE,
        read,
    }
}

/// An rw edge: `from` (at mop `read`) read a state of `key` that `to`'s write of `v`
/// replaced.
fn rw(from: u32, to: u32, key: u32, v: u32, read: (u32, u32)) -> Edge {
    Edge {
        from,
        to,
        kind: Kind::Rw,
        key,
        v1: NONE,
        v2: v,
        read,
    }
}

/// list-append inference.
pub fn list_append(cx: &Cx) -> Result<Inferred, HistoryError> {
    let t = cx.t;
    let (w, finals, mut out) = start(cx)?;
    let aborted = |txn: u32| t.txns[txn as usize].status == Status::Failed;
    let mut bad_key = vec![false; t.keys.len()];
    // Duplicates within a read, via a stamp per value.
    let mut stamp = vec![0u32; t.vals.len()];
    let mut gen = 0u32;
    for (ti, txn) in t.txns.iter().enumerate() {
        if txn.status != Status::Ok {
            continue;
        }
        for (mi, m) in txn.mops.iter().enumerate() {
            let Mop::ReadList { key, list: Some(l) } = m else {
                continue;
            };
            gen += 1;
            let mut dup = None;
            for &v in l {
                if stamp[v as usize] == gen {
                    dup = Some(v);
                    break;
                }
                stamp[v as usize] = gen;
            }
            if let Some(v) = dup {
                bad_key[*key as usize] = true;
                out.anoms.add("duplicate", || Found {
                    txns: vec![ti as u32],
                    steps: vec![format!(
                        "{} read {} = {}, where {} appears more than once",
                        cx.tn(ti as u32),
                        cx.key(*key),
                        cx.list(l),
                        cx.val(v)
                    )],
                });
            }
            let best = out.order_read[*key as usize];
            if best.0 == NONE || cx.read_list(best).len() < l.len() {
                out.order_read[*key as usize] = (ti as u32, mi as u32);
            }
        }
    }
    // Every read a prefix of the longest; every element appended by someone.
    for (ti, txn) in t.txns.iter().enumerate() {
        if txn.status != Status::Ok {
            continue;
        }
        for m in &txn.mops {
            let Mop::ReadList { key, list: Some(l) } = m else {
                continue;
            };
            let k = *key as usize;
            let best = out.order_read[k];
            let order = cx.read_list(best);
            if order[..l.len()] != l[..] {
                bad_key[k] = true;
                out.anoms.add("incompatible-order", || Found {
                    txns: vec![ti as u32, best.0],
                    steps: vec![format!(
                        "{} read {} = {} but {} read {} = {}: neither is a prefix of the other, so no single order of appends explains both",
                        cx.tn(ti as u32),
                        cx.key(*key),
                        cx.list(l),
                        cx.tn(best.0),
                        cx.key(*key),
                        cx.list(order)
                    )],
                });
            }
            for &v in l {
                match w.get(&(*key, v)) {
                    None => {
                        if !bad_key[k] {
                            out.unknown.push(format!(
                                "{} read {} = {}, but no transaction in the history appends {} to {}; the key is left out (was a writer not recorded?)",
                                cx.tn(ti as u32),
                                cx.key(*key),
                                cx.list(l),
                                cx.val(v),
                                cx.key(*key)
                            ));
                        }
                        bad_key[k] = true;
                    }
                    Some(&(wt, _)) if aborted(wt) => {
                        out.anoms.add("G1a", || Found {
                            txns: vec![wt, ti as u32],
                            steps: vec![format!(
                                "{} read {} = {}, which includes {} appended by {}, and {} aborted",
                                cx.tn(ti as u32),
                                cx.key(*key),
                                cx.list(l),
                                cx.val(v),
                                cx.tn(wt),
                                cx.tn(wt)
                            )],
                        });
                    }
                    Some(_) => {}
                }
            }
        }
    }
    // Positions in each good key's order.
    let mut pos: FastMap<(u32, u32), u32> = FastMap::default();
    for (k, &r) in out.order_read.iter().enumerate() {
        if r.0 == NONE || bad_key[k] {
            continue;
        }
        for (i, &v) in cx.read_list(r).iter().enumerate() {
            pos.insert((k as u32, v), i as u32);
        }
    }
    internal_lists(cx, &mut out.anoms);
    // G1b, wr and rw edges from every ok read of a good key.
    for (ti, txn) in t.txns.iter().enumerate() {
        if txn.status != Status::Ok {
            continue;
        }
        let ti = ti as u32;
        for (mi, m) in txn.mops.iter().enumerate() {
            let Mop::ReadList { key, list: Some(l) } = m else {
                continue;
            };
            let k = *key;
            if bad_key[k as usize] {
                continue;
            }
            for &v in l {
                let (wt, _) = w[&(k, v)];
                if wt == ti || aborted(wt) {
                    continue;
                }
                let last = finals[&(wt, k)];
                if last != v && pos.get(&(k, last)).is_none_or(|&p| p as usize >= l.len()) {
                    out.anoms.add("G1b", || Found {
                        txns: vec![wt, ti],
                        steps: vec![format!(
                            "{} read {} = {}, which ends with {}'s append of {} but not its later append of {} to the same key: an intermediate state",
                            cx.tn(ti),
                            cx.key(k),
                            cx.list(l),
                            cx.tn(wt),
                            cx.val(v),
                            cx.val(last)
                        )],
                    });
                }
            }
            // The part of the read others wrote: drop this txn's own trailing appends.
            let mut ext = l.len();
            while ext > 0 && w[&(k, l[ext - 1])].0 == ti {
                ext -= 1;
            }
            if ext > 0 {
                let v = l[ext - 1];
                let (wt, _) = w[&(k, v)];
                if wt != ti && !aborted(wt) {
                    out.edges.push(wr(wt, ti, k, v, (ti, mi as u32)));
                }
            }
            let order = cx.read_list(out.order_read[k as usize]);
            if ext < order.len() {
                let next = order[ext];
                let (nt, _) = w[&(k, next)];
                if nt != ti && !aborted(nt) {
                    out.edges.push(rw(ti, nt, k, next, (ti, mi as u32)));
                }
            }
        }
    }
    // ww: consecutive elements of each good key's order by different txns.
    for (k, &r) in out.order_read.iter().enumerate() {
        if r.0 == NONE || bad_key[k] {
            continue;
        }
        let order = cx.read_list(r);
        for pair in order.windows(2) {
            let (a, _) = w[&(k as u32, pair[0])];
            let (b, _) = w[&(k as u32, pair[1])];
            if a != b && !aborted(a) && !aborted(b) {
                out.edges.push(Edge {
                    from: a,
                    to: b,
                    kind: Kind::Ww,
                    key: k as u32,
                    v1: pair[0],
                    v2: pair[1],
                    read: r,
                });
            }
        }
    }
    Ok(out)
}

/// `internal` for list-append: a read must end with every append the txn made to the key so
/// far (its own writes are visible, and no other txn's append can come after an uncommitted
/// one without a dirty write). A later read that differs from an
/// earlier one in what others wrote is not `internal`: read committed allows it, and the
/// levels that forbid it see it as a cycle (the two reads give an rw and a wr edge).
fn internal_lists(cx: &Cx, anoms: &mut Anoms) {
    for (ti, txn) in cx.t.txns.iter().enumerate() {
        if txn.status != Status::Ok {
            continue;
        }
        // key → this txn's appends to the key so far
        let mut own: Vec<(u32, Vec<u32>)> = Vec::new();
        for m in &txn.mops {
            match m {
                Mop::Write { key, val } => match own.iter_mut().find(|s| s.0 == *key) {
                    Some(s) => s.1.push(*val),
                    None => own.push((*key, vec![*val])),
                },
                Mop::ReadList { key, list: Some(l) } => {
                    if let Some(s) = own.iter_mut().find(|s| s.0 == *key) {
                        if !l.ends_with(&s.1) {
                            let expected = cx.list(&s.1);
                            anoms.add("internal", || Found {
                                txns: vec![ti as u32],
                                steps: vec![format!(
                                    "{} read {} = {} after appending {expected} itself, which the read must end with",
                                    cx.tn(ti as u32),
                                    cx.key(*key),
                                    cx.list(l)
                                )],
                            });
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// rw-register inference.
pub fn rw_register(cx: &Cx) -> Result<Inferred, HistoryError> {
    let t = cx.t;
    let (w, finals, mut out) = start(cx)?;
    // Committed writers per key, for rw edges out of reads of the initial state.
    let mut writers_of: FastMap<u32, Vec<(u32, u32)>> = FastMap::default();
    for (&(k, v), &(wt, _)) in &w {
        if out.committed[wt as usize] {
            writers_of.entry(k).or_default().push((wt, v));
        }
    }
    for list in writers_of.values_mut() {
        list.sort_unstable();
        list.dedup_by_key(|x| x.0);
    }
    for (ti, txn) in t.txns.iter().enumerate() {
        if txn.status != Status::Ok {
            continue;
        }
        let ti = ti as u32;
        // key → the value this txn last wrote to it.
        let mut own: Vec<(u32, u32)> = Vec::new();
        for (mi, m) in txn.mops.iter().enumerate() {
            match m {
                Mop::Write { key, val } => match own.iter_mut().find(|s| s.0 == *key) {
                    Some(s) => s.1 = *val,
                    None => own.push((*key, *val)),
                },
                Mop::ReadReg {
                    key,
                    val: Some(got),
                } => {
                    let k = *key;
                    // After its own write a txn must read that write back. Reads before it
                    // are external, each one (read committed may show a newer value the
                    // second time; both give true edges).
                    if let Some(&(_, mine)) = own.iter().find(|s| s.0 == k) {
                        if *got != Some(mine) {
                            let got = got.map_or("null".into(), |v| cx.val(v));
                            out.anoms.add("internal", || Found {
                                txns: vec![ti],
                                steps: vec![format!(
                                    "{} read {} = {got} after writing {} itself",
                                    cx.tn(ti),
                                    cx.key(k),
                                    cx.val(mine)
                                )],
                            });
                        }
                        continue;
                    }
                    register_read(
                        cx,
                        &w,
                        &finals,
                        &writers_of,
                        &mut out,
                        ti,
                        mi as u32,
                        k,
                        *got,
                    );
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

/// The facts one external register read gives.
#[allow(clippy::too_many_arguments)]
fn register_read(
    cx: &Cx,
    w: &Writers,
    finals: &Finals,
    writers_of: &FastMap<u32, Vec<(u32, u32)>>,
    out: &mut Inferred,
    ti: u32,
    mi: u32,
    k: u32,
    got: Option<u32>,
) {
    let t = cx.t;
    match got {
        None => {
            for &(wt, v) in writers_of.get(&k).map(Vec::as_slice).unwrap_or(&[]) {
                if wt != ti {
                    out.edges.push(rw(ti, wt, k, v, (ti, mi)));
                }
            }
        }
        Some(v) => match w.get(&(k, v)) {
            None => out.unknown.push(format!(
                "{} read {} = {}, but no transaction in the history writes {} to {} (was a writer not recorded?)",
                cx.tn(ti),
                cx.key(k),
                cx.val(v),
                cx.val(v),
                cx.key(k)
            )),
            Some(&(wt, _)) if wt == ti => out.anoms.add("internal", || Found {
                txns: vec![ti],
                steps: vec![format!(
                    "{} read {} = {} before it wrote that value itself",
                    cx.tn(ti),
                    cx.key(k),
                    cx.val(v)
                )],
            }),
            Some(&(wt, _)) if t.txns[wt as usize].status == Status::Failed => {
                out.anoms.add("G1a", || Found {
                    txns: vec![wt, ti],
                    steps: vec![format!(
                        "{} read {} = {}, written by {}, and {} aborted",
                        cx.tn(ti),
                        cx.key(k),
                        cx.val(v),
                        cx.tn(wt),
                        cx.tn(wt)
                    )],
                })
            }
            Some(&(wt, _)) => {
                let last = finals[&(wt, k)];
                if last != v {
                    out.anoms.add("G1b", || Found {
                        txns: vec![wt, ti],
                        steps: vec![format!(
                            "{} read {} = {}, which {} later overwrote with {} in the same transaction: an intermediate state",
                            cx.tn(ti),
                            cx.key(k),
                            cx.val(v),
                            cx.tn(wt),
                            cx.val(last)
                        )],
                    });
                }
                out.edges.push(wr(wt, ti, k, v, (ti, mi)));
            }
        },
    }
}

/// Real-time edges among committed txns: `a → b` when `a` completed before `b` was invoked,
/// transitively reduced on the fly (a frontier of txns no later completion covers yet), so
/// the edge count stays proportional to txns × concurrency.
pub fn realtime(cx: &Cx, committed: &[bool]) -> Vec<Edge> {
    // (time, 0 = invoke / 1 = complete, txn); invokes first at equal times: strictly before.
    let mut events: Vec<(i64, u8, u32)> = Vec::new();
    for (ti, txn) in cx.t.txns.iter().enumerate() {
        if !committed[ti] {
            continue;
        }
        let op = &cx.h.ops[txn.op];
        events.push((op.invoke, 0, ti as u32));
        if txn.status == Status::Ok {
            if let Some(c) = op.complete {
                events.push((c, 1, ti as u32));
            }
        }
    }
    events.sort_unstable();
    let mut edges = Vec::new();
    let mut frontier: Vec<u32> = Vec::new();
    let mut range: FastMap<u32, (usize, usize)> = FastMap::default();
    let mut covered = vec![false; cx.t.txns.len()];
    for (_, what, ti) in events {
        if what == 0 {
            let start = edges.len();
            for &f in &frontier {
                edges.push(Edge {
                    from: f,
                    to: ti,
                    kind: Kind::Rt,
                    key: NONE,
                    v1: NONE,
                    v2: NONE,
                    read: (NONE, NONE),
                });
            }
            range.insert(ti, (start, edges.len()));
        } else {
            if let Some(&(s, e)) = range.get(&ti) {
                for edge in &edges[s..e] {
                    covered[edge.from as usize] = true;
                }
            }
            frontier.retain(|&f| !covered[f as usize]);
            frontier.push(ti);
        }
    }
    edges
}
