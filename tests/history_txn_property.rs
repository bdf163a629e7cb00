//! Property tests for `serializability`: histories from a simulated serializable store pass
//! at every level; from a simulated snapshot-isolation store they pass at snapshot isolation
//! and, at serializable, fail only with G2-item; anomalies injected into serializable
//! histories are found. Seeded, reproducible (`dstplan::history::txn::sim`).

mod common;
use common::*;

use std::time::{Duration, Instant};

use dstplan::history::txn::sim::{generate, to_jsonl, SimOutcome, SimTxn, Store, TxnSimConfig};
use dstplan::history::{check_history_at, load, CheckReport, Outcome};

const LEVELS: [&str; 5] = ISOLATION_LEVELS;

fn config(store: Store, seed: u64) -> TxnSimConfig {
    TxnSimConfig {
        store,
        txns: 50 + (seed as usize * 37) % 300,
        processes: 2 + (seed as usize % 6),
        active_keys: 2 + (seed as usize % 4),
        appends_per_key: 8,
        seed,
        indeterminate: [0.0, 0.05, 0.15][seed as usize % 3],
    }
}

fn check(dir: &std::path::Path, txns: &[SimTxn], level: &str) -> CheckReport {
    let path = dir.join("h.jsonl");
    std::fs::write(&path, to_jsonl(txns)).unwrap();
    let (h, w) = load(&path).unwrap();
    check_history_at(
        &h,
        w,
        "list-append",
        Some("serializability"),
        Some(level),
        Duration::from_secs(20),
        Instant::now(),
    )
    .unwrap()
}

fn classes(r: &CheckReport, forbidden: bool) -> Vec<String> {
    r.anomalies
        .iter()
        .filter(|a| a.forbidden == forbidden)
        .map(|a| a.class.clone())
        .collect()
}

#[test]
fn a_serializable_store_passes_at_every_level() {
    let dir = tempfile::tempdir().unwrap();
    for seed in 0..40 {
        let txns = generate(&config(Store::Serial, seed));
        for level in LEVELS {
            let r = check(dir.path(), &txns, level);
            assert_eq!(
                r.outcome,
                Outcome::Ok,
                "seed {seed} at {level}: {} {:?}",
                r.evidence,
                r.anomalies
            );
            assert!(r.anomalies.is_empty(), "seed {seed}: {:?}", r.anomalies);
        }
    }
}

#[test]
fn a_snapshot_isolation_store_fails_serializable_only_with_g2_item() {
    let dir = tempfile::tempdir().unwrap();
    let mut skewed = 0;
    for seed in 0..40 {
        let txns = generate(&config(Store::Snapshot, seed));
        for level in ["read-committed", "snapshot-isolation"] {
            let r = check(dir.path(), &txns, level);
            assert_eq!(
                r.outcome,
                Outcome::Ok,
                "seed {seed} at {level}: {}",
                r.evidence
            );
            assert!(
                classes(&r, false).iter().all(|c| c == "G2-item"),
                "seed {seed}: {:?}",
                r.anomalies
            );
        }
        let r = check(dir.path(), &txns, "serializable");
        if r.outcome == Outcome::Violation {
            skewed += 1;
            assert_eq!(
                classes(&r, true),
                ["G2-item"],
                "seed {seed}: {}",
                r.evidence
            );
        } else {
            assert_eq!(r.outcome, Outcome::Ok, "seed {seed}: {}", r.evidence);
        }
    }
    assert!(
        skewed >= 5,
        "only {skewed} of 40 SI histories showed write skew"
    );
}

/// Indices of ok txns.
fn oks(txns: &[SimTxn]) -> impl Iterator<Item = usize> + '_ {
    (0..txns.len()).filter(|&i| txns[i].outcome == SimOutcome::Ok)
}

/// (reader, mop) of ok reads, with the writer (txn index) of each element.
fn writer_of(txns: &[SimTxn], key: usize, v: u64) -> Option<usize> {
    (0..txns.len()).find(|&i| {
        txns[i]
            .mops
            .iter()
            .any(|m| m.0 && m.1 == key && m.2[0] == v)
    })
}

/// An observed append's writer turned into an aborted txn: G1a.
fn inject_g1a(txns: &mut [SimTxn]) -> bool {
    for r in oks(txns).collect::<Vec<_>>() {
        for m in txns[r].mops.clone() {
            if m.0 || m.2.is_empty() {
                continue;
            }
            let w = writer_of(txns, m.1, m.2[0]).unwrap();
            if w != r && txns[w].outcome == SimOutcome::Ok {
                txns[w].outcome = SimOutcome::Aborted;
                return true;
            }
        }
    }
    false
}

/// A read's last element repeated: duplicate.
fn inject_duplicate(txns: &mut [SimTxn]) -> bool {
    for r in oks(txns).collect::<Vec<_>>() {
        if let Some(m) = txns[r].mops.iter_mut().find(|m| !m.0 && !m.2.is_empty()) {
            let last = *m.2.last().unwrap();
            m.2.push(last);
            return true;
        }
    }
    false
}

/// A txn that appended to a key reads it at its end as empty: internal.
fn inject_internal(txns: &mut [SimTxn]) -> bool {
    for r in oks(txns).collect::<Vec<_>>() {
        if let Some(k) = txns[r].mops.iter().find(|m| m.0).map(|m| m.1) {
            txns[r].mops.push((false, k, Vec::new()));
            return true;
        }
    }
    false
}

/// T2 read T1's append; T1 now also reads a key T2 appended to, seeing T2's append: the
/// information flows both ways, G1c.
fn inject_g1c(txns: &mut [SimTxn]) -> bool {
    let longest = |txns: &[SimTxn], key: usize| -> Vec<u64> {
        txns.iter()
            .filter(|t| t.outcome == SimOutcome::Ok)
            .flat_map(|t| t.mops.iter())
            .filter(|m| !m.0 && m.1 == key)
            .map(|m| m.2.clone())
            .max_by_key(Vec::len)
            .unwrap_or_default()
    };
    for t2 in oks(txns).collect::<Vec<_>>() {
        for m in txns[t2].mops.clone() {
            if m.0 || m.2.is_empty() {
                continue;
            }
            let t1 = writer_of(txns, m.1, m.2[0]).unwrap();
            if t1 == t2 || txns[t1].outcome != SimOutcome::Ok {
                continue;
            }
            for a in txns[t2].mops.clone() {
                let touched = txns[t1].mops.iter().any(|x| x.1 == a.1);
                if !a.0 || touched {
                    continue;
                }
                let order = longest(txns, a.1);
                if let Some(p) = order.iter().position(|&v| v == a.2[0]) {
                    txns[t1].mops.push((false, a.1, order[..=p].to_vec()));
                    return true;
                }
            }
        }
    }
    false
}

#[test]
fn injected_anomalies_are_found() {
    let dir = tempfile::tempdir().unwrap();
    type Inject = fn(&mut [SimTxn]) -> bool;
    let cases: [(&str, Inject); 4] = [
        ("G1a", inject_g1a),
        ("duplicate", inject_duplicate),
        ("internal", inject_internal),
        ("G1c", inject_g1c),
    ];
    for (class, inject) in cases {
        let mut injected = 0;
        for seed in 100..120 {
            let mut cfg = config(Store::Serial, seed);
            cfg.indeterminate = 0.0;
            let mut txns = generate(&cfg);
            if !inject(&mut txns) {
                continue;
            }
            injected += 1;
            for level in LEVELS {
                let r = check(dir.path(), &txns, level);
                assert_eq!(
                    r.outcome,
                    Outcome::Violation,
                    "{class} seed {seed} at {level}"
                );
                assert!(
                    classes(&r, true).iter().any(|c| c == class),
                    "{class} seed {seed} at {level}: {:?}",
                    r.anomalies
                );
            }
        }
        assert!(
            injected >= 15,
            "{class}: injected into only {injected} of 20"
        );
    }
}
