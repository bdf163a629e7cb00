//! The checkers that test one invariant over reads instead of searching for a linearization:
//! `no-lost-ack` (log), `exactly-once` and `final-state-invariant` (ledger, counter) and
//! `monotonic-read` (log, counter).
//!
//! Why invariants: these claims ("an acknowledged append is never lost", "a payment is applied
//! at most once", "a reader never goes back in time") are cheaper and clearer to check
//! directly than through a full linearizability search, and the witness they produce names the
//! exact read that breaks the claim. Each is conservative about uncertainty: an op that
//! overlaps the read, or is indeterminate, may be counted either way, so only a read outside
//! every possible explanation is a violation.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde_json::Value;

use super::ops::precedes;
use super::record::{History, Op, Status};
use super::{witness, Finding, HistoryError};

fn type_error(h: &History, op: &Op, model: &str, allowed: &[&str]) -> HistoryError {
    HistoryError::at(
        &h.path,
        Some(op.line),
        format!(
            "op {}: op_type `{}` is not an operation of model {model} (expected one of: {})",
            op.id,
            h.op_type(op),
            allowed.join(", ")
        ),
    )
}

fn input_error(h: &History, op: &Op, msg: String) -> HistoryError {
    HistoryError::at(&h.path, Some(op.line), format!("op {}: {msg}", op.id))
}

/// Op indices grouped by typed key (`1` and `"1"` are two keys), in a stable order (`null`
/// first, then by name).
fn by_key(h: &History) -> Vec<(Option<u32>, Vec<usize>)> {
    let mut m: BTreeMap<super::record::KeyOrder, (Option<u32>, Vec<usize>)> = BTreeMap::new();
    for (i, op) in h.ops.iter().enumerate() {
        m.entry(h.key_order(op.key))
            .or_insert_with(|| (op.key, Vec::new()))
            .1
            .push(i);
    }
    m.into_values().collect()
}

/// The last completed read among `reads` (latest response, then latest invocation).
fn last_read(h: &History, reads: &[usize]) -> Option<usize> {
    reads
        .iter()
        .copied()
        .max_by_key(|&i| (h.ops[i].complete, h.ops[i].invoke, i))
}

/// `no-lost-ack` on a log: every append acknowledged before the final read began is in it, at
/// the offset it was given; the read holds no value nobody appended, and none twice.
pub fn no_lost_ack(h: &History) -> Result<Finding, HistoryError> {
    let mut found = Finding::default();
    let mut keys_without_read = Vec::new();
    let mut checked = 0usize;
    for (key, idx) in by_key(h) {
        let mut reads = Vec::new();
        let mut appends = Vec::new();
        for &i in &idx {
            let op = &h.ops[i];
            match h.op_type(op) {
                "append" => appends.push(i),
                "read" => {
                    if op.status() == Status::Ok {
                        if !op.output.is_array() {
                            return Err(input_error(
                                h,
                                op,
                                format!("log read output must be an array, got {}", op.output),
                            ));
                        }
                        reads.push(i);
                    }
                }
                _ => return Err(type_error(h, op, "log", &["append", "read"])),
            }
        }
        let Some(r) = last_read(h, &reads) else {
            keys_without_read.push(h.key_name(key).unwrap_or_else(|| "null".into()));
            continue;
        };
        checked += 1;
        let read = &h.ops[r];
        let values: Vec<String> = match &read.output {
            Value::Array(a) => a.iter().map(Value::to_string).collect(),
            _ => Vec::new(),
        };
        let mut written: HashMap<String, Vec<usize>> = HashMap::new();
        for &a in &appends {
            if h.ops[a].status() != Status::Failed {
                written
                    .entry(h.ops[a].input.to_string())
                    .or_default()
                    .push(a);
            }
        }
        let mut fail = |what: &str, ops: Vec<usize>| {
            if found.violation.is_none() {
                found.violation = Some(witness(h, key, &ops, &[]));
                found.what = Some(what.to_string());
            }
        };
        // Lost: acknowledged before the read was invoked, missing from it.
        let present: HashMap<&str, usize> = values
            .iter()
            .enumerate()
            .map(|(pos, v)| (v.as_str(), pos))
            .collect();
        let mut missing: Vec<usize> = Vec::new();
        for &a in &appends {
            let op = &h.ops[a];
            if op.status() != Status::Ok {
                continue;
            }
            let v = op.input.to_string();
            match present.get(v.as_str()) {
                None if precedes(op.complete, read.invoke) => {
                    missing.push(a);
                    fail(
                        "acknowledged append missing from the final read",
                        vec![a, r],
                    );
                }
                Some(&pos) => {
                    if let Some(off) = op.output.as_u64() {
                        if values.get(off as usize).map(String::as_str) != Some(v.as_str())
                            && written.get(&v).is_some_and(|w| w.len() == 1)
                        {
                            let _ = pos;
                            fail("append acknowledged at an offset where the final read does not hold it", vec![a, r]);
                        }
                    }
                }
                None => {}
            }
        }
        if !missing.is_empty() {
            const FIRST: usize = 5;
            let first: Vec<String> = missing
                .iter()
                .take(FIRST)
                .map(|&a| {
                    format!(
                        "{} (op {})",
                        super::short_value(&h.ops[a].input),
                        h.ops[a].id
                    )
                })
                .collect();
            found.notes.push(format!(
                "key {}: {} acknowledged append(s) missing from the final read (op {}){}: {}",
                h.key_name(key).unwrap_or_else(|| "null".into()),
                super::thousands(missing.len() as u128),
                read.id,
                if missing.len() > FIRST {
                    ", the first"
                } else {
                    ""
                },
                first.join(", ")
            ));
        }
        // Phantom and duplicated values.
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for v in &values {
            *seen.entry(v.as_str()).or_default() += 1;
        }
        for v in &values {
            match written.get(v) {
                None => fail("value in the final read that nobody appended", vec![r]),
                Some(w) if seen[v.as_str()] > w.len() => {
                    let mut ops = w.clone();
                    ops.push(r);
                    fail("value appended once but read twice", ops);
                }
                _ => {}
            }
        }
    }
    if checked == 0 {
        found
            .unknown
            .push("no completed read on any key: nothing shows what was kept".into());
    } else if !keys_without_read.is_empty() {
        found.notes.push(format!(
            "{} key(s) have no completed read and were not checked: {}",
            keys_without_read.len(),
            keys_without_read.join(", ")
        ));
    }
    Ok(found)
}

/// One ledger entry (credit or debit) as a signed amount under a business key.
struct Movement {
    op: usize,
    idem: String,
    /// Signed (debits negative), in i128 so no amount a history can hold overflows.
    amount: i128,
}

/// A JSON integer as i128 (every integer serde reads, signed or not, fits).
fn int128(v: &Value) -> Option<i128> {
    v.as_i64()
        .map(i128::from)
        .or_else(|| v.as_u64().map(i128::from))
}

/// `exactly-once` (every balance read; `final_only` false) or `final-state-invariant`
/// (the last balance read of each account, plus conservation over all accounts) on a ledger.
///
/// For a balance read invoked at `i` and completed at `c`, each business key `idem` counts at
/// most once: it must count when an op with that idem was acknowledged before `i`, and may
/// count when one (ok or indeterminate) was invoked before `c`. A balance outside
/// `[must + every negative may, must + every positive may]` is a violation: above the bound
/// means some idem was applied twice (or money appeared), below means an acknowledged one was
/// lost.
/// Cost: O(balance reads × ledger ops) per account; `deadline` bounds it with an honest
/// `unknown`.
pub fn ledger_bounds(
    h: &History,
    final_only: bool,
    deadline: Instant,
) -> Result<Finding, HistoryError> {
    let mut found = Finding::default();
    let mut checked = 0usize;
    let (mut total_lo, mut total_hi, mut total_read) = (0i128, 0i128, 0i128);
    let mut amount_mismatch = Vec::new();
    for (key, idx) in by_key(h) {
        let mut moves: Vec<Movement> = Vec::new();
        let mut reads = Vec::new();
        for &i in &idx {
            let op = &h.ops[i];
            let t = h.op_type(op);
            match t {
                "credit" | "debit" => {
                    let st = op.status();
                    let amount = op.input.get("amount").and_then(int128);
                    let idem = op.input.get("idem").filter(|v| !v.is_null());
                    let (Some(amount), Some(idem)) = (amount, idem) else {
                        return Err(input_error(
                            h,
                            op,
                            format!("{t} input must be {{\"amount\": integer, \"idem\": business key}} (amount a whole number between -2^63 and 2^64-1), got {}", op.input),
                        ));
                    };
                    if st != Status::Failed {
                        let signed = if t == "credit" { amount } else { -amount };
                        moves.push(Movement {
                            op: i,
                            idem: idem.to_string(),
                            amount: signed,
                        });
                    }
                }
                "balance" => {
                    if op.status() == Status::Ok {
                        if int128(&op.output).is_none() {
                            return Err(input_error(
                                h,
                                op,
                                format!("balance output must be an integer (between -2^63 and 2^64-1), got {}", op.output),
                            ));
                        }
                        reads.push(i);
                    }
                }
                _ => return Err(type_error(h, op, "ledger", &["credit", "debit", "balance"])),
            }
        }
        // The amount of each idem is the first one recorded; retries must repeat it.
        let mut idem_ids: HashMap<&str, usize> = HashMap::new();
        let mut amount_of: Vec<i128> = Vec::new();
        // Per movement: its idem's id, and when it counts for sure (acknowledged: its end).
        let mut plan: Vec<(usize, Option<i64>, i64, usize)> = Vec::with_capacity(moves.len());
        for m in &moves {
            let n = idem_ids.len();
            let id = *idem_ids.entry(m.idem.as_str()).or_insert(n);
            if id == amount_of.len() {
                amount_of.push(m.amount);
            } else if amount_of[id] != m.amount {
                amount_mismatch.push(h.ops[m.op].id.to_string());
            }
            let op = &h.ops[m.op];
            let acked = if op.status() == Status::Ok {
                op.complete
            } else {
                None
            };
            plan.push((id, acked, op.invoke, m.op));
        }
        let targets: Vec<usize> = if final_only {
            last_read(h, &reads).into_iter().collect()
        } else {
            reads.clone()
        };
        // Per idem, the read that last marked it (must / may) and the op that did.
        let mut must_at = vec![usize::MAX; amount_of.len()];
        let mut may_at = vec![usize::MAX; amount_of.len()];
        let mut must_op = vec![0usize; amount_of.len()];
        let mut may_op = vec![0usize; amount_of.len()];
        for r in targets {
            if checked % 64 == 63 && Instant::now() >= deadline {
                found
                    .unknown
                    .push("time budget exhausted while checking balance reads".into());
                return Ok(found);
            }
            checked += 1;
            let read = &h.ops[r];
            // Each idem once: must when acknowledged before the read began, may when invoked
            // before it ended, closed intervals as everywhere (first op of each, in history
            // order, for the witness).
            let (mut must, mut may) = (Vec::new(), Vec::new());
            for &(id, acked, invoke, op) in &plan {
                if precedes(acked, read.invoke) {
                    if must_at[id] != r {
                        must_at[id] = r;
                        must_op[id] = op;
                        must.push(id);
                    }
                } else if !precedes(read.complete, invoke) && may_at[id] != r {
                    may_at[id] = r;
                    may_op[id] = op;
                    may.push(id);
                }
            }
            let base: i128 = must.iter().map(|&k| amount_of[k]).sum();
            let optional: Vec<i128> = may
                .iter()
                .filter(|&&k| must_at[k] != r)
                .map(|&k| amount_of[k])
                .collect();
            let lo = base + optional.iter().filter(|a| **a < 0).sum::<i128>();
            let hi = base + optional.iter().filter(|a| **a > 0).sum::<i128>();
            let got = int128(&read.output).unwrap_or(0);
            if final_only {
                total_lo += lo;
                total_hi += hi;
                total_read += got;
            }
            let outside = got < lo || got > hi;
            if (outside || !reachable(base, &optional, got)) && found.violation.is_none() {
                let mut ops: Vec<usize> = vec![r];
                if must.len() + may.len() <= 20 {
                    ops.extend(must.iter().map(|&k| must_op[k]));
                    ops.extend(may.iter().map(|&k| may_op[k]));
                }
                found.violation = Some(witness(h, key, &ops, &[]));
                found.what = Some(if got > hi {
                    format!("balance {got} above the most applying each idem once allows ({hi})")
                } else if got < lo {
                    format!("balance {got} below the least the acknowledged idems allow ({lo})")
                } else {
                    format!("balance {got} is no sum of the acknowledged idems plus some of the uncertain ones, each at most once")
                });
            }
        }
    }
    if !amount_mismatch.is_empty() {
        found.notes.push(format!(
            "ops reuse an idem with a different amount (the first amount was used): {}",
            amount_mismatch.join(", ")
        ));
    }
    if checked == 0 {
        found
            .unknown
            .push("no completed balance read: nothing shows what was applied".into());
    } else if final_only {
        found.notes.push(format!(
            "conservation: final balances sum to {total_read}, the ops allow [{total_lo}, {total_hi}]"
        ));
    }
    Ok(found)
}

/// Whether `target` is `base` plus the sum of some subset of `optional` (each used at most
/// once). Exact while the set of reachable sums stays small; beyond that it answers `true`
/// and the caller's interval bounds are the whole check.
fn reachable(base: i128, optional: &[i128], target: i128) -> bool {
    const MAX_SUMS: usize = 1 << 16;
    let mut sums: std::collections::HashSet<i128> = std::collections::HashSet::from([base]);
    for &d in optional {
        let next: Vec<i128> = sums.iter().map(|s| s + d).collect();
        sums.extend(next);
        if sums.len() > MAX_SUMS {
            return true;
        }
    }
    sums.contains(&target)
}

/// `final-state-invariant` on counters: the last read of each key equals the sum of the incs
/// acknowledged before it, give or take the incs that overlap it or are indeterminate.
pub fn counter_final(h: &History) -> Result<Finding, HistoryError> {
    let mut found = Finding::default();
    let mut checked = 0usize;
    for (key, idx) in by_key(h) {
        let mut incs = Vec::new();
        let mut reads = Vec::new();
        for &i in &idx {
            let op = &h.ops[i];
            match h.op_type(op) {
                "inc" => {
                    if op.status() != Status::Failed {
                        let d = int128(&op.input).ok_or_else(|| {
                            input_error(
                                h,
                                op,
                                format!("inc input must be an integer, got {}", op.input),
                            )
                        })?;
                        incs.push((i, d));
                    }
                }
                "read" => {
                    if op.status() == Status::Ok {
                        if int128(&op.output).is_none() {
                            return Err(input_error(
                                h,
                                op,
                                format!(
                                    "counter read output must be an integer, got {}",
                                    op.output
                                ),
                            ));
                        }
                        reads.push(i);
                    }
                }
                _ => return Err(type_error(h, op, "counter", &["inc", "read"])),
            }
        }
        let Some(r) = last_read(h, &reads) else {
            continue;
        };
        checked += 1;
        let read = &h.ops[r];
        let (mut lo, mut hi, mut base) = (0i128, 0i128, 0i128);
        let mut optional: Vec<i128> = Vec::new();
        for &(k, d) in &incs {
            let op = &h.ops[k];
            if op.status() == Status::Ok && precedes(op.complete, read.invoke) {
                lo += d;
                hi += d;
                base += d;
            } else if !precedes(read.complete, op.invoke) {
                optional.push(d);
                if d < 0 {
                    lo += d;
                } else {
                    hi += d;
                }
            }
        }
        let got = int128(&read.output).unwrap_or(0);
        if (got < lo || got > hi || !reachable(base, &optional, got)) && found.violation.is_none() {
            found.violation = Some(witness(h, key, &[r], &[]));
            found.what = Some(if got < lo || got > hi {
                format!("final read {got} outside what the incs allow [{lo}, {hi}]")
            } else {
                format!("final read {got} is no sum of the acknowledged incs plus some of the uncertain ones")
            });
        }
    }
    if checked == 0 {
        found.unknown.push("no completed read on any key".into());
    }
    Ok(found)
}

/// `monotonic-read`: within one process, a later read never shows less than an earlier one
/// (a log read extends the previous one; a counter read does not move against the sign of the
/// key's incs).
pub fn monotonic_read(h: &History, model: &str) -> Result<Finding, HistoryError> {
    let mut found = Finding::default();
    let mut checked = 0usize;
    for (key, idx) in by_key(h) {
        // Direction of a counter key: +1 when every inc is >= 0, -1 when every inc is <= 0.
        let mut dir_pos = true;
        let mut dir_neg = true;
        let mut per_process: HashMap<u32, Vec<usize>> = HashMap::new();
        for &i in &idx {
            let op = &h.ops[i];
            let t = h.op_type(op);
            match (model, t) {
                ("log", "append") => {}
                ("counter", "inc") => {
                    if op.status() != Status::Failed {
                        let d = int128(&op.input).ok_or_else(|| {
                            input_error(
                                h,
                                op,
                                format!("inc input must be an integer, got {}", op.input),
                            )
                        })?;
                        dir_pos &= d >= 0;
                        dir_neg &= d <= 0;
                    }
                }
                (_, "read") => {
                    if op.status() == Status::Ok {
                        let fine = if model == "log" {
                            op.output.is_array()
                        } else {
                            int128(&op.output).is_some()
                        };
                        if !fine {
                            let want = if model == "log" {
                                "an array"
                            } else {
                                "an integer"
                            };
                            return Err(input_error(
                                h,
                                op,
                                format!("read output must be {want}, got {}", op.output),
                            ));
                        }
                        per_process.entry(op.process).or_default().push(i);
                    }
                }
                _ => {
                    let allowed: &[&str] = if model == "log" {
                        &["append", "read"]
                    } else {
                        &["inc", "read"]
                    };
                    return Err(type_error(h, op, model, allowed));
                }
            }
        }
        if model == "counter" && !dir_pos && !dir_neg {
            found.notes.push(format!(
                "key {}: incs of both signs, so counter reads need not be monotonic; not checked",
                h.key_name(key).unwrap_or_else(|| "null".into())
            ));
            continue;
        }
        let mut procs: Vec<(&u32, &mut Vec<usize>)> = per_process.iter_mut().collect();
        procs.sort_by_key(|(p, _)| **p);
        for (_, reads) in procs {
            reads.sort_by_key(|&i| (h.ops[i].invoke, i));
            for w in reads.windows(2) {
                checked += 1;
                let (a, b) = (&h.ops[w[0]], &h.ops[w[1]]);
                let broken = if model == "log" {
                    let (Value::Array(x), Value::Array(y)) = (&a.output, &b.output) else {
                        continue;
                    };
                    y.len() < x.len() || x.iter().zip(y).any(|(p, q)| p != q)
                } else {
                    let (x, y) = (
                        int128(&a.output).unwrap_or(0),
                        int128(&b.output).unwrap_or(0),
                    );
                    if dir_pos {
                        y < x
                    } else {
                        y > x
                    }
                };
                if broken && found.violation.is_none() {
                    found.violation = Some(witness(h, key, w, &[]));
                    found.what = Some(format!(
                        "process {} read went backwards",
                        h.process_name(a.process)
                    ));
                }
            }
        }
    }
    if checked == 0 {
        found
            .unknown
            .push("no process completed two reads of one key: nothing to compare".into());
    }
    Ok(found)
}
