//! Simulated transactional stores that record list-append histories, for the property tests
//! and the benchmark (`examples/gen_txn.rs`).
//!
//! Two stores: `Serial` runs each transaction atomically at one instant inside its interval
//! (so its histories are strict serializable by construction), `Snapshot` gives each
//! transaction a snapshot at its start and aborts it at commit when another transaction
//! appended to one of its keys since (first committer wins): snapshot isolation, which admits
//! write skew. Keys rotate (a key retires after a few appends) so reads stay short and the
//! history's size stays proportional to its transaction count.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::history::sim::Rng;

/// Which store to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Serial,
    Snapshot,
}

/// Shape of a simulated history.
#[derive(Debug, Clone)]
pub struct TxnSimConfig {
    pub store: Store,
    pub txns: usize,
    pub processes: usize,
    /// Keys in use at a time.
    pub active_keys: usize,
    /// Appends after which a key retires.
    pub appends_per_key: usize,
    pub seed: u64,
    /// Probability that a txn's response is lost (indeterminate; it may or may not commit).
    pub indeterminate: f64,
}

/// One recorded transaction.
#[derive(Debug, Clone)]
pub struct SimTxn {
    pub id: usize,
    pub process: usize,
    pub invoke: i64,
    pub complete: i64,
    /// `[f, key, value]`: appends carry their value, reads what they returned (when ok).
    pub mops: Vec<(bool, usize, Vec<u64>)>,
    pub outcome: SimOutcome,
}

/// How the txn ended, as the client saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimOutcome {
    Ok,
    Aborted,
    /// No response; `true` when it did commit.
    Lost(bool),
}

/// Generate a history: the transactions in invocation order.
pub fn generate(cfg: &TxnSimConfig) -> Vec<SimTxn> {
    let mut rng = Rng::new(cfg.seed);
    // Intervals: each process runs txns back to back with gaps; a lost response moves the
    // process to a new id.
    struct Plan {
        invoke: i64,
        start: i64,
        commit: i64,
        complete: i64,
        process: usize,
        lost: bool,
    }
    let mut plans: Vec<Plan> = Vec::with_capacity(cfg.txns);
    let mut clock = vec![0i64; cfg.processes.max(1)];
    let mut names: Vec<usize> = (0..cfg.processes.max(1)).collect();
    let mut next_name = names.len();
    for _ in 0..cfg.txns {
        let p = rng.below(clock.len() as u64) as usize;
        let invoke = clock[p] + 1 + rng.below(20) as i64;
        let start = invoke + 1 + rng.below(10) as i64;
        let commit = start + 1 + rng.below(40) as i64;
        let complete = commit + 1 + rng.below(10) as i64;
        clock[p] = complete;
        let lost = rng.chance(cfg.indeterminate);
        plans.push(Plan {
            invoke,
            start,
            commit,
            complete,
            process: names[p],
            lost,
        });
        if lost {
            names[p] = next_name;
            next_name += 1;
        }
    }
    let mut txns: Vec<SimTxn> = Vec::with_capacity(plans.len());
    let mut key_base = 0usize;
    let mut appends: Vec<usize> = vec![0; cfg.active_keys.max(1)];
    let mut next_val: HashMap<usize, u64> = HashMap::new();
    // Shape (keys and values) is drawn in invocation order so the store does not matter.
    let mut order: Vec<usize> = (0..plans.len()).collect();
    order.sort_by_key(|&i| (plans[i].invoke, i));
    for &i in &order {
        let n = 1 + rng.below(4) as usize;
        let mut mops = Vec::with_capacity(n);
        for _ in 0..n {
            let slot = rng.below(appends.len() as u64) as usize;
            let key = key_base + slot;
            if rng.chance(0.5) {
                let v = next_val.entry(key).or_insert(0);
                *v += 1;
                mops.push((true, key, vec![*v]));
                appends[slot] += 1;
                if appends[slot] >= cfg.appends_per_key {
                    // Retire the whole window at once when one key is full.
                    key_base += appends.len();
                    appends.iter_mut().for_each(|a| *a = 0);
                }
            } else {
                mops.push((false, key, Vec::new()));
            }
        }
        let lost = plans[i].lost;
        txns.push(SimTxn {
            id: i,
            process: plans[i].process,
            invoke: plans[i].invoke,
            complete: plans[i].complete,
            mops,
            outcome: if lost {
                SimOutcome::Lost(rng.chance(0.5))
            } else {
                SimOutcome::Ok
            },
        });
    }
    // Execute in commit order.
    let mut by_commit: Vec<usize> = (0..txns.len()).collect();
    let plan_of = |t: &SimTxn| &plans[t.id];
    by_commit.sort_by_key(|&j| (plan_of(&txns[j]).commit, j));
    // Versions per key: (commit time, list).
    let mut versions: HashMap<usize, Vec<(i64, Vec<u64>)>> = HashMap::new();
    for &j in &by_commit {
        let (start, commit) = (plan_of(&txns[j]).start, plan_of(&txns[j]).commit);
        let snapshot_at = match cfg.store {
            Store::Serial => i64::MAX,
            Store::Snapshot => start,
        };
        let t = &mut txns[j];
        let mut local: HashMap<usize, Vec<u64>> = HashMap::new();
        for (append, key, val) in t.mops.iter_mut() {
            let cur = local.entry(*key).or_insert_with(|| {
                versions
                    .get(key)
                    .and_then(|vs| vs.iter().rev().find(|(c, _)| *c < snapshot_at))
                    .map(|(_, l)| l.clone())
                    .unwrap_or_default()
            });
            if *append {
                cur.push(val[0]);
            } else {
                *val = cur.clone();
            }
        }
        let mut written: Vec<usize> = t.mops.iter().filter(|m| m.0).map(|m| m.1).collect();
        written.sort_unstable();
        written.dedup();
        let conflict = cfg.store == Store::Snapshot
            && written.iter().any(|k| {
                versions
                    .get(k)
                    .and_then(|vs| vs.last())
                    .is_some_and(|(c, _)| *c >= start)
            });
        let commits = !conflict && !matches!(t.outcome, SimOutcome::Lost(false));
        if conflict {
            t.outcome = match t.outcome {
                SimOutcome::Lost(_) => SimOutcome::Lost(false),
                _ => SimOutcome::Aborted,
            };
        }
        if commits {
            for k in written {
                let list = local[&k].clone();
                // Appends land on the latest version (a serial store's latest is the snapshot).
                let vs = versions.entry(k).or_default();
                let mut base = vs.last().map(|(_, l)| l.clone()).unwrap_or_default();
                for (a, key, val) in &t.mops {
                    if *a && *key == k {
                        base.push(val[0]);
                    }
                }
                debug_assert!(cfg.store == Store::Snapshot || base == list);
                vs.push((commit, base));
            }
        }
    }
    txns
}

/// The history as JSONL (one line per transaction, invocation order).
pub fn to_jsonl(txns: &[SimTxn]) -> String {
    let mut out = String::with_capacity(txns.len() * 200);
    for t in txns {
        let mop = |m: &(bool, usize, Vec<u64>), with_reads: bool| {
            let (f, v) = if m.0 {
                ("append", m.2[0].to_string())
            } else if with_reads {
                let items: Vec<String> = m.2.iter().map(u64::to_string).collect();
                ("r", format!("[{}]", items.join(",")))
            } else {
                ("r", "null".to_string())
            };
            format!("[\"{f}\",\"k{}\",{v}]", m.1)
        };
        let input: Vec<String> = t.mops.iter().map(|m| mop(m, false)).collect();
        let (complete, output, error, timeout) = match t.outcome {
            SimOutcome::Ok => {
                let o: Vec<String> = t.mops.iter().map(|m| mop(m, true)).collect();
                (
                    t.complete.to_string(),
                    format!("[{}]", o.join(",")),
                    "null",
                    false,
                )
            }
            SimOutcome::Aborted => (
                t.complete.to_string(),
                "null".to_string(),
                "\"serialization failure\"",
                false,
            ),
            SimOutcome::Lost(_) => ("null".to_string(), "null".to_string(), "null", true),
        };
        let _ = writeln!(
            out,
            "{{\"op_id\":{},\"process_id\":{},\"invoke_ts\":{},\"complete_ts\":{complete},\"op_type\":\"txn\",\"key\":null,\"input\":[{}],\"output\":{output},\"error\":{error},\"timeout_marker\":{timeout},\"node_seen\":null,\"fault_epoch\":null}}",
            t.id,
            t.process,
            t.invoke,
            input.join(",")
        );
    }
    out
}
