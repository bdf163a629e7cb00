//! The near-linear ledger checker against the quadratic one it replaced (kept below,
//! unchanged but for its name, as the oracle): the same [`Finding`] (verdict, message,
//! witness, notes) on thousands of small random ledger histories, and the same answer from
//! [`reachable`] on random multisets.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Cursor;
use std::time::{Duration, Instant};

use super::super::{by_key, input_error, int128, last_read, type_error};
use super::{ledger_bounds, reachable};
use crate::history::ops::precedes;
use crate::history::record::{self, History, Status};
use crate::history::sim::Rng;
use crate::history::{witness, Finding, HistoryError};

/// A random ledger history of at most `max_ops` ops and `max_idems` idems on one or two
/// accounts: credits and debits (ok, failed, indeterminate), retries under the same idem (now
/// and then with another amount or kind), intervals that touch, and balances read from a
/// simulated account where an idem is sometimes applied twice or an acknowledged one is
/// lost, or the read is off by a little.
fn random_history(rng: &mut Rng, max_ops: u64, max_idems: u64) -> String {
    let n = 1 + rng.below(max_ops);
    let procs = 1 + rng.below(5);
    let idems = 1 + rng.below(max_idems);
    let accounts = 1 + rng.below(2);
    let big = rng.chance(0.1);
    // Per account: (time it took effect, amount) of each application.
    let mut effects: BTreeMap<u64, Vec<(i64, i128)>> = BTreeMap::new();
    let mut amount_of: HashMap<(u64, u64), i64> = HashMap::new();
    let mut applied: HashSet<(u64, u64)> = HashSet::new();
    let mut kind_of: HashMap<(u64, u64), bool> = HashMap::new();
    let mut free_at = vec![0i64; procs as usize];
    let mut reads: Vec<(usize, u64, i64, i64)> = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    for id in 0..n {
        let p = rng.below(procs) as usize;
        let invoke = free_at[p] + rng.below(4) as i64;
        let complete = invoke + rng.below(6) as i64;
        // Touching intervals: the next op of this process may start where this one ended.
        free_at[p] = complete + rng.below(2) as i64;
        let acct = rng.below(accounts);
        let key = format!("a{acct}");
        let head = format!(
            r#""op_id":{id},"process_id":{p},"invoke_ts":{invoke},"key":"{key}","node_seen":null,"fault_epoch":null"#
        );
        if rng.chance(0.35) {
            reads.push((lines.len(), acct, invoke, complete));
            lines.push(head);
            continue;
        }
        let idem = rng.below(idems);
        let mut credit = *kind_of
            .entry((acct, idem))
            .or_insert_with(|| rng.chance(0.7));
        if rng.chance(0.02) {
            credit = !credit;
        }
        let mut amount = *amount_of.entry((acct, idem)).or_insert_with(|| {
            let a = if big {
                1i64 << (20 + rng.below(30))
            } else {
                rng.below(7) as i64
            };
            if rng.chance(0.05) {
                -a
            } else {
                a
            }
        });
        if rng.chance(0.03) {
            amount += 1;
        }
        let signed = if credit {
            amount as i128
        } else {
            -(amount as i128)
        };
        let at = invoke + rng.below((complete - invoke + 1) as u64) as i64;
        let ty = if credit { "credit" } else { "debit" };
        let input = format!(r#"{{"amount":{amount},"idem":"i{idem}"}}"#);
        let fx = effects.entry(acct).or_default();
        let status = rng.below(10);
        let (tail, takes_effect) = match status {
            0 => (
                format!(
                    r#""complete_ts":{complete},"op_type":"{ty}","input":{input},"output":null,"error":"rejected","timeout_marker":false"#
                ),
                rng.chance(0.05),
            ),
            1 | 2 => (
                format!(
                    r#""complete_ts":null,"op_type":"{ty}","input":{input},"output":null,"error":null,"timeout_marker":true"#
                ),
                rng.chance(0.5),
            ),
            _ => (
                format!(
                    r#""complete_ts":{complete},"op_type":"{ty}","input":{input},"output":null,"error":null,"timeout_marker":false"#
                ),
                !rng.chance(0.05),
            ),
        };
        // Mostly exactly once (a retry finds its idem applied), sometimes twice.
        if takes_effect && (applied.insert((acct, idem)) || rng.chance(0.15)) {
            fx.push((at, signed));
        }
        lines.push(format!("{head},{tail}"));
    }
    for (line, acct, invoke, complete) in reads {
        let at = invoke + rng.below((complete - invoke + 1) as u64) as i64;
        let mut b: i128 = effects
            .get(&acct)
            .map(|fx| fx.iter().filter(|&&(t, _)| t <= at).map(|&(_, a)| a).sum())
            .unwrap_or(0);
        if rng.chance(0.1) {
            b += rng.below(5) as i128 - 2;
        }
        lines[line] = format!(
            r#"{},"complete_ts":{complete},"op_type":"balance","input":null,"output":{b},"error":null,"timeout_marker":false"#,
            lines[line]
        );
    }
    let mut text = String::new();
    for l in lines {
        let _ = writeln!(text, "{{{l}}}");
    }
    text
}

fn load(text: &str) -> History {
    record::read("gen.jsonl", Cursor::new(text.as_bytes()))
        .unwrap_or_else(|e| panic!("generated history does not load: {e}\n{text}"))
}

/// Compare both checkers on `cases` histories; returns how many `exactly-once` verdicts were
/// violations, how many of those only the subset-sum check found, and how many were ok.
fn compare(seed: u64, cases: usize, max_ops: u64, max_idems: u64) -> (usize, usize, usize) {
    let mut rng = Rng::new(seed);
    let far = Instant::now() + Duration::from_secs(3600);
    let (mut bad, mut no_sum, mut good) = (0, 0, 0);
    for case in 0..cases {
        let text = random_history(&mut rng, max_ops, max_idems);
        let h = load(&text);
        for final_only in [false, true] {
            let new = format!("{:?}", ledger_bounds(&h, final_only, far).unwrap());
            let old = format!("{:?}", old_ledger_bounds(&h, final_only, far).unwrap());
            assert_eq!(new, old, "case {case} (final_only {final_only}):\n{text}");
            if !final_only {
                if new.contains("violation: Some") {
                    bad += 1;
                    no_sum += usize::from(new.contains("is no sum"));
                } else {
                    good += 1;
                }
            }
        }
    }
    eprintln!("{bad} violations ({no_sum} no sum), {good} ok");
    (bad, no_sum, good)
}

#[test]
fn the_fast_ledger_checker_agrees_with_the_quadratic_one() {
    let (bad, no_sum, good) = compare(0x1ed9_e500, 3000, 24, 8);
    // Both verdicts and each kind of violation must be well represented, or the comparison
    // proves little.
    assert!(
        bad > 600 && no_sum > 30 && good > 600,
        "{bad} ({no_sum}), {good}"
    );
}

#[test]
fn the_fast_ledger_checker_agrees_on_longer_histories() {
    // Up to 80 ops and 16 idems: witnesses on both sides of the 20-op cut, and still at most
    // MAX_ENUMERATED uncertain idems per read, so the subset-sum check runs on every read.
    let (bad, no_sum, good) = compare(0x1ed9_e501, 800, 80, 16);
    assert!(
        bad > 100 && no_sum > 5 && good > 50,
        "{bad} ({no_sum}), {good}"
    );
}

#[test]
fn reachable_agrees_with_the_hash_set_version() {
    let mut rng = Rng::new(0x5u64);
    for case in 0..4000 {
        // Mostly short (the hash-set version is slow on long ones), now and then past 16.
        let len = if rng.chance(0.05) {
            13 + rng.below(6)
        } else {
            rng.below(13)
        } as usize;
        let scale = [3u64, 50, 1 << 12, 1 << 14, 1 << 40][rng.below(5) as usize];
        let optional: Vec<i128> = (0..len)
            .map(|_| {
                let a = rng.below(scale) as i128;
                if rng.chance(0.3) {
                    -a
                } else {
                    a
                }
            })
            .collect();
        let base = rng.below(100) as i128 - 50;
        let lo = base + optional.iter().filter(|a| **a < 0).sum::<i128>();
        let hi = base + optional.iter().filter(|a| **a > 0).sum::<i128>();
        let target = match rng.below(3) {
            // A real subset sum, so both answers occur.
            0 => base + optional.iter().filter(|_| rng.chance(0.5)).sum::<i128>(),
            // Near a bound, where sums are sparse even when there are more than the cap.
            1 => (lo + rng.below(64) as i128).min(hi),
            _ => lo + (rng.next_u64() as i128).rem_euclid(hi - lo + 1),
        };
        assert_eq!(
            reachable(base, &optional, target),
            old_reachable(base, &optional, target),
            "case {case}: base {base}, optional {optional:?}, target {target}"
        );
    }
}

/// The one place the two differ, on purpose: a read with more than `MAX_ENUMERATED` uncertain
/// idems is checked against the bounds only, so an in-bounds balance that no subset explains
/// passes where the quadratic version (slowly) found it. Missed, never invented.
#[test]
fn past_the_enumeration_bound_only_the_bounds_are_checked() {
    let far = Instant::now() + Duration::from_secs(3600);
    for (credits, odd_is_caught) in [(super::MAX_ENUMERATED, true), (30, false)] {
        for balance in [1, 2] {
            let mut text = String::new();
            for k in 0..credits {
                let _ = writeln!(
                    text,
                    r#"{{"op_id":{k},"process_id":{k},"invoke_ts":0,"complete_ts":10,"op_type":"credit","key":"a","input":{{"amount":2,"idem":"i{k}"}},"output":null,"error":null,"timeout_marker":false,"node_seen":null,"fault_epoch":null}}"#
                );
            }
            let _ = writeln!(
                text,
                r#"{{"op_id":"r","process_id":"r","invoke_ts":5,"complete_ts":6,"op_type":"balance","key":"a","input":null,"output":{balance},"error":null,"timeout_marker":false,"node_seen":null,"fault_epoch":null}}"#
            );
            let h = load(&text);
            let new = ledger_bounds(&h, false, far).unwrap();
            let old = old_ledger_bounds(&h, false, far).unwrap();
            // Every explainable balance is even; the quadratic version always says so.
            assert_eq!(old.violation.is_some(), balance == 1);
            let caught = new.violation.is_some();
            assert_eq!(
                caught,
                balance == 1 && odd_is_caught,
                "{credits} credits, {balance}"
            );
            if caught {
                assert_eq!(format!("{new:?}"), format!("{old:?}"));
            }
        }
    }
}

// ------------------------------------------------ the quadratic version, as it was (oracle)

/// One ledger entry (credit or debit) as a signed amount under a business key.
struct Movement {
    op: usize,
    idem: String,
    /// Signed (debits negative), in i128 so no amount a history can hold overflows.
    amount: i128,
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
fn old_ledger_bounds(
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
            if (outside || !old_reachable(base, &optional, got)) && found.violation.is_none() {
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
fn old_reachable(base: i128, optional: &[i128], target: i128) -> bool {
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
