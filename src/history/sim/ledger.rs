//! A simulated exactly-once ledger (one account, credits, debits and balance reads) that
//! records JSONL histories for the `ledger` benchmark shape and the property tests.
//!
//! Exactly once by construction: every op takes effect at one instant inside its interval
//! (a timed-out one half of the time, a failed one never), the client that timed out is
//! replaced by a new one that retries under the same idem, and the server applies an idem at
//! most once (a retry of an applied idem is acknowledged without applying it again). The
//! anomalies injected afterwards break that for certain by making one idem's amount larger
//! than everything else in the history together.

use std::fmt::Write as _;

use super::Rng;

/// Shape of a simulated ledger history.
#[derive(Debug, Clone)]
pub struct LedgerConfig {
    pub ops: usize,
    pub processes: usize,
    pub seed: u64,
    /// Probability that a new op is a balance read.
    pub reads: f64,
    /// Probability that an op times out (indeterminate; it may or may not take effect).
    pub indeterminate: f64,
    /// Probability that an op fails (error set; it does not take effect).
    pub failed: f64,
}

impl LedgerConfig {
    /// The `ledger` benchmark shape: one account, 16 clients, 40% balance reads, 1% timeouts
    /// (retried under the same idem), no failures.
    pub fn shape(ops: usize, seed: u64) -> LedgerConfig {
        LedgerConfig {
            ops,
            processes: 16,
            seed,
            reads: 0.4,
            indeterminate: 0.01,
            failed: 0.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerKind {
    Credit,
    Debit,
    Balance,
}

/// One recorded ledger op.
#[derive(Debug, Clone)]
pub struct LedgerOp {
    pub id: u64,
    pub process: u64,
    pub invoke: i64,
    pub complete: Option<i64>,
    pub kind: LedgerKind,
    /// Credit / debit: the (unsigned) amount and the idem.
    pub amount: u64,
    pub idem: u64,
    /// Balance: the balance read.
    pub output: i128,
    pub error: bool,
    pub timeout: bool,
    /// When the op took effect (a movement that applied its idem, or a read), if it did.
    pub at: Option<i64>,
}

impl LedgerOp {
    fn signed(&self) -> i128 {
        match self.kind {
            LedgerKind::Credit => self.amount as i128,
            LedgerKind::Debit => -(self.amount as i128),
            LedgerKind::Balance => 0,
        }
    }
    fn ok(&self) -> bool {
        !self.timeout && !self.error && self.complete.is_some()
    }
}

struct Pending {
    op: usize,
    applied: bool,
}

/// Run the simulation (see the module comment).
pub fn simulate_ledger(cfg: &LedgerConfig) -> Vec<LedgerOp> {
    let mut rng = Rng::new(cfg.seed);
    let mut balance: i128 = 0;
    let mut applied: Vec<bool> = Vec::new();
    let mut ops: Vec<LedgerOp> = Vec::with_capacity(cfg.ops);
    let n = cfg.processes.max(1);
    let mut slots: Vec<Option<Pending>> = (0..n).map(|_| None).collect();
    // A movement that timed out, for the client that replaces the one that gave up to retry.
    let mut retry: Vec<Option<usize>> = vec![None; n];
    let mut process_ids: Vec<u64> = (0..n as u64).collect();
    let mut next_process = n as u64;
    let mut t: i64 = 0;
    let mut open = 0usize;
    while ops.len() < cfg.ops || open > 0 {
        t += 1 + rng.below(3) as i64;
        let s = rng.below(n as u64) as usize;
        match slots[s].take() {
            None => {
                if ops.len() >= cfg.ops {
                    continue;
                }
                let (kind, amount, idem) = if let Some(prev) = retry[s].take() {
                    (ops[prev].kind, ops[prev].amount, ops[prev].idem)
                } else if rng.chance(cfg.reads) {
                    (LedgerKind::Balance, 0, 0)
                } else {
                    applied.push(false);
                    let kind = if rng.chance(0.7) {
                        LedgerKind::Credit
                    } else {
                        LedgerKind::Debit
                    };
                    (kind, 1 + rng.below(100), applied.len() as u64 - 1)
                };
                ops.push(LedgerOp {
                    id: ops.len() as u64,
                    process: process_ids[s],
                    invoke: t,
                    complete: None,
                    kind,
                    amount,
                    idem,
                    output: 0,
                    error: false,
                    timeout: false,
                    at: None,
                });
                open += 1;
                slots[s] = Some(Pending {
                    op: ops.len() - 1,
                    applied: false,
                });
            }
            Some(mut p) if !p.applied => {
                if rng.chance(cfg.indeterminate) {
                    // The client gives up; the op may (half the time) still take effect, and
                    // its replacement retries a movement under the same idem.
                    if rng.chance(0.5) {
                        apply(&mut ops[p.op], t, &mut balance, &mut applied);
                    }
                    let op = &mut ops[p.op];
                    op.timeout = true;
                    op.output = 0;
                    if op.kind != LedgerKind::Balance {
                        retry[s] = Some(p.op);
                    }
                    open -= 1;
                    process_ids[s] = next_process;
                    next_process += 1;
                    continue;
                }
                if rng.chance(cfg.failed) {
                    ops[p.op].error = true;
                } else {
                    apply(&mut ops[p.op], t, &mut balance, &mut applied);
                }
                p.applied = true;
                slots[s] = Some(p);
            }
            Some(p) => {
                ops[p.op].complete = Some(t);
                open -= 1;
            }
        }
    }
    ops
}

/// Take effect at `t`: a read sees the balance, a movement applies its idem unless it was.
fn apply(op: &mut LedgerOp, t: i64, balance: &mut i128, applied: &mut [bool]) {
    if op.kind == LedgerKind::Balance {
        op.output = *balance;
        op.at = Some(t);
    } else if !applied[op.idem as usize] {
        applied[op.idem as usize] = true;
        *balance += op.signed();
        op.at = Some(t);
    }
}

/// How [`inject_ledger_anomaly`] breaks exactly-once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerAnomaly {
    /// A balance read counts an acknowledged credit twice.
    DoubleApply,
    /// An acknowledged credit is missing from every balance read.
    LostAck,
}

/// Break exactly-once for certain, if the history has an acknowledged credit and a balance
/// read invoked after that acknowledgement; returns what was done. The credit's idem gets an
/// amount larger than all other amounts together (the reads that saw it are adjusted), so
/// counting it twice (in one such read) or never (in every read) is outside any bound.
pub fn inject_ledger_anomaly(
    ops: &mut [LedgerOp],
    rng: &mut Rng,
    anomaly: LedgerAnomaly,
) -> Option<String> {
    let total: i128 = ops.iter().map(|o| o.amount as i128).sum();
    let big = total + 1;
    // Per idem, the earliest acknowledgement.
    let mut first_ack: std::collections::HashMap<u64, i64> = Default::default();
    for o in ops
        .iter()
        .filter(|o| o.ok() && o.kind != LedgerKind::Balance)
    {
        let e = first_ack.entry(o.idem).or_insert(i64::MAX);
        *e = (*e).min(o.complete.unwrap_or(i64::MAX));
    }
    let credits: Vec<usize> = (0..ops.len())
        .filter(|&i| ops[i].ok() && ops[i].kind == LedgerKind::Credit)
        .collect();
    let reads: Vec<usize> = (0..ops.len())
        .filter(|&i| ops[i].ok() && ops[i].kind == LedgerKind::Balance)
        .collect();
    if credits.is_empty() || reads.is_empty() {
        return None;
    }
    for _ in 0..200 {
        let c = credits[rng.below(credits.len() as u64) as usize];
        let idem = ops[c].idem;
        let acked = first_ack[&idem];
        let after: Vec<usize> = reads
            .iter()
            .copied()
            .filter(|&r| ops[r].invoke > acked)
            .collect();
        if after.is_empty() {
            continue;
        }
        // When the idem took effect (an ok credit took effect by its acknowledgement).
        let Some(at) = ops
            .iter()
            .filter(|o| o.idem == idem && o.kind != LedgerKind::Balance)
            .find_map(|o| o.at)
        else {
            continue;
        };
        let delta = big - ops[c].amount as i128;
        for o in ops.iter_mut() {
            if o.kind != LedgerKind::Balance && o.idem == idem {
                o.amount = big as u64;
            }
        }
        let lost = anomaly == LedgerAnomaly::LostAck;
        for &r in &reads {
            if !lost && ops[r].at.is_some_and(|t| t > at) {
                ops[r].output += delta;
            }
        }
        return Some(if lost {
            format!(
                "credit {} (idem {idem}) acknowledged but missing from every balance",
                ops[c].id
            )
        } else {
            let r = after[rng.below(after.len() as u64) as usize];
            ops[r].output += big;
            format!(
                "balance {} counts credit {} (idem {idem}) twice",
                ops[r].id, ops[c].id
            )
        });
    }
    None
}

/// Render ledger ops as JSONL in the twelve-key format (account `acct0`, idems `pay-N`).
pub fn ledger_to_jsonl(ops: &[LedgerOp], out: &mut String) {
    for op in ops {
        let (ty, input) = match op.kind {
            LedgerKind::Balance => ("balance", "null".to_string()),
            LedgerKind::Credit | LedgerKind::Debit => (
                if op.kind == LedgerKind::Credit {
                    "credit"
                } else {
                    "debit"
                },
                format!(r#"{{"amount":{},"idem":"pay-{}"}}"#, op.amount, op.idem),
            ),
        };
        let output = if op.ok() && op.kind == LedgerKind::Balance {
            op.output.to_string()
        } else {
            "null".to_string()
        };
        let complete = op
            .complete
            .map(|c| c.to_string())
            .unwrap_or_else(|| "null".into());
        let error = if op.error { "\"rejected\"" } else { "null" };
        let _ = writeln!(
            out,
            r#"{{"op_id":{},"process_id":{},"invoke_ts":{},"complete_ts":{complete},"op_type":"{ty}","key":"acct0","input":{input},"output":{output},"error":{error},"timeout_marker":{},"node_seen":null,"fault_epoch":null}}"#,
            op.id, op.process, op.invoke, op.timeout
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_reuse_the_idem_and_no_idem_is_applied_twice() {
        let cfg = LedgerConfig {
            indeterminate: 0.1,
            failed: 0.05,
            ..LedgerConfig::shape(3000, 4)
        };
        let ops = simulate_ledger(&cfg);
        assert_eq!(ops.len(), 3000);
        let mut applied = std::collections::HashMap::new();
        let mut retried = 0;
        for o in ops.iter().filter(|o| o.kind != LedgerKind::Balance) {
            if o.at.is_some() {
                assert!(
                    applied.insert(o.idem, o.id).is_none(),
                    "idem {} twice",
                    o.idem
                );
            }
            retried += usize::from(ops.iter().any(|p| p.idem == o.idem && p.id < o.id));
        }
        assert!(retried > 20, "{retried}");
        for o in &ops {
            assert!(o.complete.is_none_or(|c| c >= o.invoke));
            assert_eq!(o.timeout, o.complete.is_none());
            assert!(o
                .at
                .is_none_or(|t| t >= o.invoke && o.complete.is_none_or(|c| t <= c)));
        }
    }
}
