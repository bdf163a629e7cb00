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

use serde_json::Value;

use super::ops::precedes;
use super::record::{History, Op, Status};
use super::{witness, Finding, HistoryError};

mod ledger;

pub use ledger::ledger_bounds;
use ledger::reachable;

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

/// A JSON integer as i128 (every integer serde reads, signed or not, fits).
fn int128(v: &Value) -> Option<i128> {
    v.as_i64()
        .map(i128::from)
        .or_else(|| v.as_u64().map(i128::from))
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
