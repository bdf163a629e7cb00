//! Property tests: histories recorded from a simulated linearizable register or map (with
//! timeouts and failures) must pass `linearizability`; the same histories with one injected
//! anomaly that makes them non-linearizable for certain must fail. Many seeds, a hand-written
//! xorshift generator (`dstplan::history::sim`), no extra dependency.

use std::time::Duration;

use dstplan::history::sim::ledger::{
    inject_ledger_anomaly, ledger_to_jsonl, simulate_ledger, LedgerAnomaly, LedgerConfig,
};
use dstplan::history::sim::{inject_anomaly, simulate, to_jsonl, Rng, Shape, SimConfig, SimModel};
use dstplan::history::{check_file, Outcome};

fn run(model: SimModel, seeds: std::ops::Range<u64>) {
    let dir = tempfile::tempdir().unwrap();
    let name = match model {
        SimModel::Register => "register",
        SimModel::Map => "map",
    };
    let mut injected = 0;
    for seed in seeds.clone() {
        let mut rng = Rng::new(seed);
        let cfg = SimConfig {
            model,
            ops: 20 + rng.below(180) as usize,
            processes: 1 + rng.below(6) as usize,
            keys: 1 + rng.below(3) as usize,
            seed,
            indeterminate: [0.0, 0.03, 0.1][rng.below(3) as usize],
            failed: [0.0, 0.05][rng.below(2) as usize],
            // Registers with cas take the search; without, the zone fast path.
            cas: rng.chance(0.7),
            // Reused values take the search for maps and cas-free registers too.
            values: [0, 0, 3][rng.below(3) as usize],
        };
        let mut ops = simulate(&cfg);
        let path = dir.path().join(format!("{name}-{seed}.jsonl"));
        let mut text = String::new();
        to_jsonl(model, &ops, &mut text);
        std::fs::write(&path, &text).unwrap();
        let r = check_file(&path, name, None, Duration::from_secs(20)).unwrap();
        assert_eq!(
            r.outcome,
            Outcome::Ok,
            "seed {seed} ({cfg:?}): a correct object must pass; {}\n{text}",
            r.evidence
        );
        let Some(what) = inject_anomaly(&mut ops, &mut rng) else {
            continue;
        };
        injected += 1;
        text.clear();
        to_jsonl(model, &ops, &mut text);
        std::fs::write(&path, &text).unwrap();
        let r = check_file(&path, name, None, Duration::from_secs(20)).unwrap();
        assert_eq!(
            r.outcome,
            Outcome::Violation,
            "seed {seed} ({cfg:?}), {what}: must fail; {}\n{text}",
            r.evidence
        );
        let w = r.witness.expect("witness");
        assert!(!w.ops.is_empty());
    }
    let n = seeds.end - seeds.start;
    assert!(
        injected * 2 >= n,
        "only {injected} of {n} seeds got an anomaly"
    );
}

#[test]
fn simulated_registers_pass_and_anomalies_fail() {
    run(SimModel::Register, 0..300);
}

#[test]
fn simulated_maps_pass_and_anomalies_fail() {
    run(SimModel::Map, 1000..1300);
}

/// Every benchmark shape (`sim::Shape`: many clients on one key, cas-heavy, maps with reused
/// values, timeouts), at a size a debug build checks quickly: linearizable by construction, so
/// it must pass, and with an injected anomaly it must fail, never `unknown`.
#[test]
fn every_benchmark_shape_passes_and_its_anomalies_fail() {
    let dir = tempfile::tempdir().unwrap();
    for shape in Shape::ALL {
        for seed in 0..2u64 {
            let cfg = shape.config(1500, seed);
            let mut ops = simulate(&cfg);
            let path = dir.path().join(format!("{}-{seed}.jsonl", shape.name()));
            let mut text = String::new();
            to_jsonl(cfg.model, &ops, &mut text);
            std::fs::write(&path, &text).unwrap();
            let model = shape.model_name();
            let r = check_file(&path, model, None, Duration::from_secs(60)).unwrap();
            assert_eq!(
                r.outcome,
                Outcome::Ok,
                "{} seed {seed}: a correct object must pass; {}",
                shape.name(),
                r.evidence
            );
            let mut rng = Rng::new(seed + 99);
            let what = inject_anomaly(&mut ops, &mut rng)
                .unwrap_or_else(|| panic!("{} seed {seed}: no anomaly injected", shape.name()));
            text.clear();
            to_jsonl(cfg.model, &ops, &mut text);
            std::fs::write(&path, &text).unwrap();
            let r = check_file(&path, model, None, Duration::from_secs(60)).unwrap();
            assert_eq!(
                r.outcome,
                Outcome::Violation,
                "{} seed {seed}, {what}: must fail; {}",
                shape.name(),
                r.evidence
            );
        }
    }
}

/// The `ledger` shape (`sim::ledger`: one account, 16 clients, 40% balance reads, 1% timeouts
/// retried under the same idem; odd seeds also with failures and 5% timeouts), at a few
/// sizes: exactly once by construction, so `exactly-once` and `final-state-invariant` pass;
/// with an idem counted twice by one balance read, or an acknowledged credit missing from
/// every balance, `exactly-once` fails, never `unknown`.
#[test]
fn simulated_ledgers_are_exactly_once_and_injected_anomalies_fail() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.jsonl");
    let check = |ops: &[dstplan::history::sim::ledger::LedgerOp], checker: Option<&str>| {
        let mut text = String::new();
        ledger_to_jsonl(ops, &mut text);
        std::fs::write(&path, &text).unwrap();
        check_file(&path, "ledger", checker, Duration::from_secs(60)).unwrap()
    };
    for (n, seeds) in [(300usize, 0..6u64), (3_000, 6..9), (30_000, 9..10)] {
        for seed in seeds {
            let cfg = if seed % 2 == 1 {
                LedgerConfig {
                    indeterminate: 0.05,
                    failed: 0.02,
                    ..LedgerConfig::shape(n, seed)
                }
            } else {
                LedgerConfig::shape(n, seed)
            };
            let clean = simulate_ledger(&cfg);
            for checker in [None, Some("final-state-invariant")] {
                let r = check(&clean, checker);
                assert_eq!(
                    r.outcome,
                    Outcome::Ok,
                    "{n} ops, seed {seed}, {checker:?}: an exactly-once ledger must pass; {}",
                    r.evidence
                );
            }
            for anomaly in [LedgerAnomaly::DoubleApply, LedgerAnomaly::LostAck] {
                let mut ops = clean.clone();
                let what = inject_ledger_anomaly(&mut ops, &mut Rng::new(seed + 7), anomaly)
                    .unwrap_or_else(|| panic!("{n} ops, seed {seed}: no {anomaly:?} injected"));
                let r = check(&ops, None);
                assert_eq!(
                    r.outcome,
                    Outcome::Violation,
                    "{n} ops, seed {seed}, {what}: must fail; {}",
                    r.evidence
                );
                let w = r.witness.expect("witness");
                assert!(!w.ops.is_empty());
            }
        }
    }
}
