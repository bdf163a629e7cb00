//! `exclusion` for `lock` and `lease` histories: no two holders at once, and with fencing
//! tokens, no write accepted with an older token.
//!
//! Only certain holds count. A granted `acquire` certainly holds from its response (the grant
//! happened before it) until the invocation of the holder's next `release` of that key (the
//! release happened after it), or forever when a lock is never released; a lease also ends at
//! the earliest possible expiry, the acquire's (or last successful `renew`'s) invocation plus
//! its `ttl`. Two certain holds by different processes that overlap break exclusion. An
//! indeterminate acquire may or may not hold, so it proves nothing; a failed op is dropped;
//! a release answered `false` (not held) leaves no certain hold at all.
//!
//! Fencing: an acquire that returns an integer grants that token; a grant that certainly came
//! after another (invoked after the other's response) must carry a larger token, and a `write`
//! (input `{"token": t, "value": v}`, output `true` when accepted) invoked after a write with a
//! larger token was accepted must be rejected.

use std::collections::HashMap;

use serde_json::Value;

use super::record::{History, Op, Status};
use super::{witness, Finding, HistoryError};

/// A certain hold: (start, end, process, acquire op).
type Hold = (i64, i64, u32, usize);

pub fn exclusion(h: &History, model: &str) -> Result<Finding, HistoryError> {
    let lease = model == "lease";
    let allowed: &[&str] = if lease {
        &["acquire", "release", "renew", "write"]
    } else {
        &["acquire", "release", "write"]
    };
    let mut order: Vec<usize> = (0..h.ops.len()).collect();
    order.sort_by_key(|&i| (h.ops[i].invoke, i));
    // Per (key, process): its ops in order.
    let mut per: HashMap<(Option<u32>, u32), Vec<usize>> = HashMap::new();
    for &i in &order {
        let op = &h.ops[i];
        let t = h.op_type(op);
        if !allowed.contains(&t) {
            return Err(op_error(
                h,
                op,
                format!(
                    "op_type `{t}` is not an operation of model {model} (expected one of: {})",
                    allowed.join(", ")
                ),
            ));
        }
        if lease && matches!(t, "acquire" | "renew") && ttl(op).is_none() {
            return Err(op_error(
                h,
                op,
                format!("a lease {t} needs input {{\"ttl\": N}} (N in the history's timestamp unit), got {}", op.input),
            ));
        }
        if t == "write" && token_of(&op.input["token"]).is_none() {
            return Err(op_error(
                h,
                op,
                format!(
                    "a fenced write needs input {{\"token\": integer, \"value\": …}}, got {}",
                    op.input
                ),
            ));
        }
        per.entry((op.key, op.process)).or_default().push(i);
    }
    let mut holds: HashMap<Option<u32>, Vec<Hold>> = HashMap::new();
    let mut grants: HashMap<Option<u32>, Vec<(usize, i64)>> = HashMap::new();
    let mut writes: HashMap<Option<u32>, Vec<(usize, i64)>> = HashMap::new();
    let mut keys: Vec<&(Option<u32>, u32)> = per.keys().collect();
    keys.sort();
    for kp in keys {
        let ops = &per[kp];
        for (n, &i) in ops.iter().enumerate() {
            let op = &h.ops[i];
            let t = h.op_type(op);
            if op.status() != Status::Ok {
                continue;
            }
            if t == "write" && op.output == Value::Bool(true) {
                writes
                    .entry(kp.0)
                    .or_default()
                    .push((i, token_of(&op.input["token"]).unwrap_or(0)));
            }
            if t != "acquire" || !granted(&op.output) {
                continue;
            }
            if let Some(tok) = token_of(&op.output) {
                grants.entry(kp.0).or_default().push((i, tok));
            }
            let start = op.complete.unwrap_or(op.invoke);
            let mut end = i64::MAX;
            let mut expiry = if lease {
                op.invoke.saturating_add(ttl(op).unwrap_or(0))
            } else {
                i64::MAX
            };
            for &j in &ops[n + 1..] {
                let next = &h.ops[j];
                match (h.op_type(next), next.status()) {
                    (_, Status::Failed) => {}
                    ("renew", Status::Ok) if next.output == Value::Bool(true) => {
                        expiry = expiry.max(next.invoke.saturating_add(ttl(next).unwrap_or(0)));
                    }
                    // A release the service refused says the hold had already ended, at a
                    // time the history does not show: nothing after the grant is certain.
                    ("release", Status::Ok) if next.output == Value::Bool(false) => {
                        end = start;
                        break;
                    }
                    ("release", _) | ("acquire", _) => {
                        // A release ends the hold once invoked; a new acquire without a
                        // release means the holder thought it had lost the hold.
                        end = next.invoke;
                        break;
                    }
                    _ => {}
                }
            }
            let end = end.min(expiry);
            if end > start {
                holds.entry(kp.0).or_default().push((start, end, kp.1, i));
            }
        }
    }
    let mut found = Finding::default();
    let mut names: Vec<Option<u32>> = holds
        .keys()
        .chain(grants.keys())
        .chain(writes.keys())
        .copied()
        .collect();
    names.sort();
    names.dedup();
    let mut total = 0usize;
    for key in names {
        let hs = holds.remove(&key).unwrap_or_default();
        total += hs.len();
        if found.violation.is_none() {
            if let Some((a, b)) = overlap(hs) {
                found.notes.push(format!(
                    "ops {} (process {}) and {} (process {}) both hold {} at once: the first holds from {} until at least {}, the second from {}",
                    h.ops[a.3].id,
                    h.process_name(a.2),
                    h.ops[b.3].id,
                    h.process_name(b.2),
                    h.key_name(key).unwrap_or_else(|| "null".into()),
                    a.0,
                    show_end(a.1),
                    b.0
                ));
                found.violation = Some(witness(h, key, &[a.3, b.3], &[]));
                found.what = Some("two holders overlap".into());
            }
        }
        if found.violation.is_none() {
            if let Some((a, b)) = stale(h, grants.remove(&key).unwrap_or_default(), true) {
                found.notes.push(format!(
                    "acquire {} was granted token {} after acquire {} had been granted token {}: fencing tokens must grow",
                    h.ops[b].id, h.ops[b].output, h.ops[a].id, h.ops[a].output
                ));
                found.violation = Some(witness(h, key, &[a, b], &[]));
                found.what = Some("fencing token did not increase".into());
            }
        }
        if found.violation.is_none() {
            if let Some((a, b)) = stale(h, writes.remove(&key).unwrap_or_default(), false) {
                found.notes.push(format!(
                    "write {} with token {} was accepted after write {} with the newer token {} had been accepted",
                    h.ops[b].id, h.ops[b].input["token"], h.ops[a].id, h.ops[a].input["token"]
                ));
                found.violation = Some(witness(h, key, &[a, b], &[]));
                found.what = Some("write with an older fencing token accepted".into());
            }
        }
    }
    found.notes.insert(
        0,
        format!("{total} certain hold(s) checked (indeterminate acquires prove nothing and are skipped)"),
    );
    Ok(found)
}

/// Two certain holds by different processes that overlap, if any (sweep by start, keeping
/// the furthest-reaching hold of the two processes that reach furthest).
fn overlap(mut hs: Vec<Hold>) -> Option<(Hold, Hold)> {
    hs.sort();
    let mut top: Vec<Hold> = Vec::with_capacity(3);
    for x in hs {
        if let Some(y) = top.iter().find(|y| y.2 != x.2 && x.0 < y.1) {
            return Some((*y, x));
        }
        match top.iter_mut().find(|y| y.2 == x.2) {
            Some(y) if y.1 < x.1 => *y = x,
            Some(_) => {}
            None => top.push(x),
        }
        top.sort_by_key(|y| std::cmp::Reverse(y.1));
        top.truncate(2);
    }
    None
}

/// An op (with token) certainly after another with a token at least as large (`strict`: for
/// grants, equal tokens also break the rule).
fn stale(h: &History, mut items: Vec<(usize, i64)>, strict: bool) -> Option<(usize, usize)> {
    let mut done: Vec<(i64, usize, i64)> = items
        .iter()
        .map(|&(i, t)| (h.ops[i].complete.unwrap_or(i64::MAX), i, t))
        .collect();
    done.sort();
    items.sort_by_key(|&(i, _)| h.ops[i].invoke);
    let mut k = 0;
    let mut max: Option<(i64, usize)> = None;
    for (i, t) in items {
        while k < done.len() && done[k].0 < h.ops[i].invoke {
            if max.is_none_or(|(m, _)| done[k].2 > m) {
                max = Some((done[k].2, done[k].1));
            }
            k += 1;
        }
        if let Some((m, j)) = max {
            if t < m || (strict && t == m) {
                return Some((j, i));
            }
        }
    }
    None
}

fn show_end(e: i64) -> String {
    if e == i64::MAX {
        "the end of the history (never released)".into()
    } else {
        e.to_string()
    }
}

fn granted(v: &Value) -> bool {
    *v == Value::Bool(true) || v.as_i64().is_some()
}

fn token_of(v: &Value) -> Option<i64> {
    v.as_i64()
}

fn ttl(op: &Op) -> Option<i64> {
    op.input
        .get("ttl")
        .and_then(Value::as_i64)
        .filter(|t| *t > 0)
}

fn op_error(h: &History, op: &Op, msg: String) -> HistoryError {
    HistoryError::at(&h.path, Some(op.line), format!("op {}: {msg}", op.id))
}
