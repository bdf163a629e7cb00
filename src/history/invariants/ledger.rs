//! `exactly-once` and `final-state-invariant` on a ledger in O(n log n): prefix sums over the
//! idems ordered by first acknowledgement and by first invocation.
//!
//! The rule (unchanged from the quadratic version this replaces): for a balance read invoked
//! at `i` and completed at `c`, an idem *must* count when some op with it was acknowledged
//! before `i`, and otherwise *may* count when some op with it (ok or indeterminate) was
//! invoked at or before `c` (closed intervals, [`precedes`]). Only each idem's earliest
//! acknowledgement and earliest invocation matter, so with the idems sorted both ways, the
//! must and may sums of a read are differences of prefix sums found by binary search.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use serde_json::Value;

use super::{by_key, input_error, int128, last_read, type_error};
use crate::history::ops::precedes;
use crate::history::record::{History, Status};
use crate::history::{witness, Finding, HistoryError};

/// The most uncertain idems a read may have for its balance to be checked as a subset sum
/// (beyond the interval bounds). With at most 16 the set of sums never outgrows
/// [`MAX_SUMS`], so the check is exact; up to 24 it is exact or gives up exactly as
/// [`reachable`] always did. A read overlaps about as many movements as there are clients
/// (16 in the generated ledger), so nearly every read gets the full check, while a read
/// behind hundreds of never-resolved timeouts gets the bounds only instead of costing
/// 2^hundreds. Skipping can only miss a violation (a balance inside the bounds that no subset
/// explains), never invent one.
const MAX_ENUMERATED: usize = 24;

/// Beyond this many distinct sums [`reachable`] stops and answers `true`.
const MAX_SUMS: usize = 1 << 16;

/// Per idem: its signed amount (the first recorded), its earliest invocation and its
/// earliest acknowledgement.
struct Idem {
    amount: i128,
    first_inv: i64,
    first_ack: Option<i64>,
}

/// Prefix sums of positive and negative amounts over items sorted by a time.
struct Prefix {
    times: Vec<i64>,
    pos: Vec<i128>,
    neg: Vec<i128>,
}

impl Prefix {
    /// `items` sorted by time (time, amount).
    fn new(items: impl ExactSizeIterator<Item = (i64, i128)>) -> Prefix {
        let mut p = Prefix {
            times: Vec::with_capacity(items.len()),
            pos: Vec::with_capacity(items.len() + 1),
            neg: Vec::with_capacity(items.len() + 1),
        };
        let (mut pos, mut neg) = (0i128, 0i128);
        p.pos.push(0);
        p.neg.push(0);
        for (t, a) in items {
            p.times.push(t);
            if a > 0 {
                pos += a;
            } else {
                neg += a;
            }
            p.pos.push(pos);
            p.neg.push(neg);
        }
        p
    }
    /// How many items have a time strictly before `t`.
    fn before(&self, t: i64) -> usize {
        self.times.partition_point(|&x| x < t)
    }
    /// How many items have a time at or before `t`.
    fn upto(&self, t: i64) -> usize {
        self.times.partition_point(|&x| x <= t)
    }
}

/// The idems in first-invocation order, with a max tree over their first acknowledgement
/// (`i64::MAX` when never acknowledged), to list the ones of a prefix not yet acknowledged
/// at a time in O((listed + 1) log n).
struct Uncertain {
    /// Leaves at `size..size + n`.
    tree: Vec<i64>,
    size: usize,
    amounts: Vec<i128>,
}

impl Uncertain {
    /// `idems` in first-invocation order.
    fn new(idems: &[Idem]) -> Uncertain {
        let size = idems.len().next_power_of_two().max(1);
        let mut tree = vec![i64::MIN; 2 * size];
        for (j, d) in idems.iter().enumerate() {
            tree[size + j] = d.first_ack.unwrap_or(i64::MAX);
        }
        for k in (1..size).rev() {
            tree[k] = tree[2 * k].max(tree[2 * k + 1]);
        }
        Uncertain {
            tree,
            size,
            amounts: idems.iter().map(|d| d.amount).collect(),
        }
    }
    /// Amounts of the first `end` idems whose first acknowledgement is at or after `t`.
    fn list(&self, end: usize, t: i64, out: &mut Vec<i128>) {
        out.clear();
        let mut stack = vec![(1usize, 0usize, self.size)];
        while let Some((node, from, to)) = stack.pop() {
            if from >= end || self.tree[node] < t {
                continue;
            }
            if to - from == 1 {
                out.push(self.amounts[from]);
            } else {
                let mid = (from + to) / 2;
                stack.push((2 * node + 1, mid, to));
                stack.push((2 * node, from, mid));
            }
        }
    }
}

/// `exactly-once` (every balance read; `final_only` false) or `final-state-invariant`
/// (the last balance read of each account, plus conservation over all accounts) on a ledger.
///
/// For a balance read invoked at `i` and completed at `c`, each business key `idem` counts at
/// most once: it must count when an op with that idem was acknowledged before `i`, and may
/// count when one (ok or indeterminate) was invoked before `c`. A balance outside
/// `[must + every negative may, must + every positive may]` is a violation: above the bound
/// means some idem was applied twice (or money appeared), below means an acknowledged one was
/// lost. Inside, when at most [`MAX_ENUMERATED`] idems may count, the balance must also be
/// the must sum plus some subset of them.
/// Cost: O((movements + balance reads) log movements) per account; `deadline` bounds it with
/// an honest `unknown`.
pub fn ledger_bounds(
    h: &History,
    final_only: bool,
    deadline: Instant,
) -> Result<Finding, HistoryError> {
    let mut found = Finding::default();
    let mut checked = 0usize;
    let (mut total_lo, mut total_hi, mut total_read) = (0i128, 0i128, 0i128);
    let mut amount_mismatch = Vec::new();
    let mut optional: Vec<i128> = Vec::new();
    for (key, idx) in by_key(h) {
        // Movements (failed ones dropped) in history order as (op, idem id), and ok balance
        // reads. Idems are told apart by their JSON text (`"1"` and `1` differ); a string
        // idem is looked up by its content, borrowed, so no text is copied per op.
        let mut moves: Vec<(usize, usize)> = Vec::new();
        let mut reads = Vec::new();
        let mut strings: HashMap<&str, usize> = HashMap::new();
        let mut others: HashMap<String, usize> = HashMap::new();
        // Per idem: the first amount recorded (retries must repeat it), the earliest
        // invocation and the earliest acknowledgement.
        let mut idems: Vec<Idem> = Vec::new();
        for &i in &idx {
            let op = &h.ops[i];
            let t = h.op_type(op);
            match t {
                "credit" | "debit" => {
                    let amount = op.input.get("amount").and_then(int128);
                    let idem = op.input.get("idem").filter(|v| !v.is_null());
                    let (Some(amount), Some(idem)) = (amount, idem) else {
                        return Err(input_error(
                            h,
                            op,
                            format!("{t} input must be {{\"amount\": integer, \"idem\": business key}} (amount a whole number between -2^63 and 2^64-1), got {}", op.input),
                        ));
                    };
                    let status = op.status();
                    if status == Status::Failed {
                        continue;
                    }
                    let amount = if t == "credit" { amount } else { -amount };
                    let acked = if status == Status::Ok {
                        op.complete
                    } else {
                        None
                    };
                    let n = idems.len();
                    let id = match idem {
                        Value::String(text) => *strings.entry(text.as_str()).or_insert(n),
                        other => *others.entry(other.to_string()).or_insert(n),
                    };
                    moves.push((i, id));
                    if id == n {
                        idems.push(Idem {
                            amount,
                            first_inv: op.invoke,
                            first_ack: acked,
                        });
                        continue;
                    }
                    let d = &mut idems[id];
                    if d.amount != amount {
                        amount_mismatch.push(op.id.to_string());
                    }
                    d.first_inv = d.first_inv.min(op.invoke);
                    d.first_ack = match (d.first_ack, acked) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
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
        drop((strings, others));
        let n_idems = idems.len();
        let (acked, invoked, uncertain) = {
            let mut by_ack: Vec<(i64, i128)> = idems
                .iter()
                .filter_map(|d| d.first_ack.map(|a| (a, d.amount)))
                .collect();
            by_ack.sort_unstable_by_key(|&(t, _)| t);
            let mut by_inv = idems;
            by_inv.sort_unstable_by_key(|d| d.first_inv);
            (
                Prefix::new(by_ack.into_iter()),
                Prefix::new(by_inv.iter().map(|d| (d.first_inv, d.amount))),
                Uncertain::new(&by_inv),
            )
        };
        let targets: Vec<usize> = if final_only {
            last_read(h, &reads).into_iter().collect()
        } else {
            reads
        };
        for r in targets {
            if checked % 64 == 63 && Instant::now() >= deadline {
                found
                    .unknown
                    .push("time budget exhausted while checking balance reads".into());
                return Ok(found);
            }
            checked += 1;
            let read = &h.ops[r];
            let (i, c) = (read.invoke, read.complete.unwrap_or(i64::MAX));
            // Must: acknowledged before `i`. Each was invoked no later than it was
            // acknowledged, so before `c`: the may idems are the invoked ones minus these.
            let a = acked.before(i);
            let p = invoked.upto(c);
            debug_assert!(a <= p);
            let base = acked.pos[a] + acked.neg[a];
            let lo = base + invoked.neg[p] - acked.neg[a];
            let hi = base + invoked.pos[p] - acked.pos[a];
            let got = int128(&read.output).unwrap_or(0);
            if final_only {
                total_lo += lo;
                total_hi += hi;
                total_read += got;
            }
            if found.violation.is_some() {
                continue;
            }
            let outside = got < lo || got > hi;
            // Inside the bounds (and not at one, which taking every negative or every
            // positive may idem explains), a subset must explain the balance; past
            // MAX_ENUMERATED uncertain idems that test is skipped, which can only miss a
            // violation, never report one that is not there.
            let unexplained = !outside && got != lo && got != hi && p - a <= MAX_ENUMERATED && {
                uncertain.list(p, i, &mut optional);
                debug_assert_eq!(optional.len(), p - a);
                !reachable(base, &optional, got)
            };
            if outside || unexplained {
                found.violation = Some(witness(h, key, &witness_ops(h, &moves, n_idems, r), &[]));
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

/// The witness of a violating read `r`: the read, plus, when there are at most 20 of them,
/// the first op (in history order) that makes each idem a must and the first that makes
/// each a may. One pass over the account's movements, done once.
fn witness_ops(h: &History, moves: &[(usize, usize)], n_idems: usize, r: usize) -> Vec<usize> {
    let read = &h.ops[r];
    let (mut must, mut may): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    let (mut must_seen, mut may_seen) = (vec![false; n_idems], vec![false; n_idems]);
    for &(m, idem) in moves {
        let op = &h.ops[m];
        let acked = if op.status() == Status::Ok {
            op.complete
        } else {
            None
        };
        if precedes(acked, read.invoke) {
            if !must_seen[idem] {
                must_seen[idem] = true;
                must.push(m);
            }
        } else if !precedes(read.complete, op.invoke) && !may_seen[idem] {
            may_seen[idem] = true;
            may.push(m);
        }
    }
    let mut ops = vec![r];
    if must.len() + may.len() <= 20 {
        ops.extend(must);
        ops.extend(may);
    }
    ops
}

/// Whether `target` is `base` plus the sum of some subset of `optional` (each used at most
/// once). Exact while the set of reachable sums has at most [`MAX_SUMS`] values; beyond that
/// it answers `true` and the caller's interval bounds are the whole check. Callers have
/// checked that `target` lies within those bounds.
///
/// Every subset sum is `lo` (all negative amounts taken) plus a subset sum of the
/// magnitudes, so the sums are a bitset over `[lo, hi]` shifted by each magnitude when that
/// range is small; otherwise two halves of at most 2^8 (or 2^12) sums are matched, and past
/// that the set is built as a hash set with the cap.
pub(super) fn reachable(base: i128, optional: &[i128], target: i128) -> bool {
    let lo = base + optional.iter().filter(|a| **a < 0).sum::<i128>();
    let hi = base + optional.iter().filter(|a| **a > 0).sum::<i128>();
    if target == lo || target == hi {
        return true;
    }
    if target < lo || target > hi {
        return false;
    }
    let mags: Vec<i128> = optional.iter().map(|a| a.abs()).collect();
    let want = target - lo;
    let words = (hi - lo) / 64 + 1;
    if words.saturating_mul(mags.len() as i128) <= 1 << 16 {
        let mut bits = vec![0u64; words as usize];
        bits[0] = 1;
        for &m in &mags {
            shift_or(&mut bits, m as usize);
        }
        let count: u32 = bits.iter().map(|w| w.count_ones()).sum();
        return count as usize > MAX_SUMS || bits[(want / 64) as usize] >> (want % 64) & 1 == 1;
    }
    if mags.len() <= 16 {
        // At most 2^16 sums: the cap is never reached, membership is the answer.
        return halves_reach(&mags, want);
    }
    if mags.len() <= MAX_ENUMERATED && halves_reach(&mags, want) {
        return true;
    }
    let mut sums: HashSet<i128> = HashSet::from([base]);
    for &d in optional {
        let next: Vec<i128> = sums.iter().map(|s| s + d).collect();
        sums.extend(next);
        if sums.len() > MAX_SUMS {
            return true;
        }
    }
    sums.contains(&target)
}

/// `bits |= bits << by`, over a little-endian bitset of fixed length.
fn shift_or(bits: &mut [u64], by: usize) {
    let (ws, bs) = (by / 64, by % 64);
    for j in (ws..bits.len()).rev() {
        let mut v = bits[j - ws] << bs;
        if bs > 0 && j > ws {
            v |= bits[j - ws - 1] >> (64 - bs);
        }
        bits[j] |= v;
    }
}

/// Whether some subset of `mags` (non-negative) sums to `want`: all sums of each half,
/// one half sorted, the other looked up in it.
fn halves_reach(mags: &[i128], want: i128) -> bool {
    let (left, right) = mags.split_at(mags.len() / 2);
    let sums = |part: &[i128]| {
        let mut s = vec![0i128];
        for &m in part {
            for k in 0..s.len() {
                s.push(s[k] + m);
            }
        }
        s
    };
    let mut r = sums(right);
    r.sort_unstable();
    sums(left)
        .into_iter()
        .any(|s| r.binary_search(&(want - s)).is_ok())
}

#[cfg(test)]
mod tests;
