//! `dstplan history validate` / `check` through the binary: small hand-made histories for
//! every model and checker, both verdicts, the indeterminate-op cases where treating a timeout
//! as failed (or as ok) would give the wrong answer, input errors with their line numbers, the
//! JSON contract, the budget, and the HTML page.

use std::path::PathBuf;
use std::process::Output;

mod common;

use serde_json::{json, Value};

/// One op of a hand-made history. `comp: None` with `timeout: true` is indeterminate.
#[derive(Clone)]
struct O {
    id: u64,
    p: u64,
    inv: i64,
    comp: Option<i64>,
    ty: &'static str,
    key: Value,
    input: Value,
    output: Value,
    error: Option<&'static str>,
    timeout: bool,
    epoch: Value,
}

/// A completed op.
fn ok(id: u64, p: u64, inv: i64, comp: i64, ty: &'static str, input: Value, output: Value) -> O {
    O {
        id,
        p,
        inv,
        comp: Some(comp),
        ty,
        key: Value::Null,
        input,
        output,
        error: None,
        timeout: false,
        epoch: Value::Null,
    }
}

/// A timed-out (indeterminate) op.
fn lost(id: u64, p: u64, inv: i64, ty: &'static str, input: Value) -> O {
    O {
        id,
        p,
        inv,
        comp: None,
        ty,
        key: Value::Null,
        input,
        output: Value::Null,
        error: None,
        timeout: true,
        epoch: Value::Null,
    }
}

impl O {
    fn key(mut self, k: &str) -> O {
        self.key = json!(k);
        self
    }
    fn failed(mut self, e: &'static str) -> O {
        self.error = Some(e);
        self
    }
    fn epoch(mut self, e: &str) -> O {
        self.epoch = json!(e);
        self
    }
    fn line(&self) -> String {
        json!({
            "op_id": self.id, "process_id": self.p, "invoke_ts": self.inv,
            "complete_ts": self.comp, "op_type": self.ty, "key": self.key,
            "input": self.input, "output": self.output, "error": self.error,
            "timeout_marker": self.timeout, "node_seen": null, "fault_epoch": self.epoch,
        })
        .to_string()
    }
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).expect("write history");
        p
    }
    fn history(&self, ops: &[O]) -> PathBuf {
        let text: Vec<String> = ops.iter().map(O::line).collect();
        self.write("h.jsonl", &(text.join("\n") + "\n"))
    }
}

fn dstplan(args: &[&str], file: &PathBuf) -> Output {
    common::bin()
        .arg("history")
        .arg(args[0])
        .arg(file)
        .args(&args[1..])
        .output()
        .expect("run dstplan")
}

/// Run `history check --format json` and return (exit code, parsed object).
fn check(ops: &[O], model: &str, checker: Option<&str>) -> (i32, Value) {
    let env = Env::new();
    let f = env.history(ops);
    let mut args = vec!["check", "--model", model, "--format", "json"];
    if let Some(c) = checker {
        args.extend(["--checker", c]);
    }
    let out = dstplan(&args, &f);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {out:?}"));
    // A verdict says everything on stdout; stray output (debug timings) must not leak.
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().expect("exit code"), v)
}

fn assert_verdict(ops: &[O], model: &str, checker: Option<&str>, want: &str) -> Value {
    let (code, v) = check(ops, model, checker);
    assert_eq!(v["verdict"], want, "{v:#}");
    let want_code = match want {
        "ok" => 0,
        "violation" => 1,
        _ => 3,
    };
    assert_eq!(code, want_code, "{v:#}");
    v
}

fn witness_ops(v: &Value) -> Vec<String> {
    v["witness"]["ops"]
        .as_array()
        .expect("witness ops")
        .iter()
        .map(|x| x.as_str().expect("op id string").to_string())
        .collect()
}

// ---------------------------------------------------------------- register

#[test]
fn register_concurrent_write_and_read_is_ok() {
    let h = [
        ok(1, 0, 0, 10, "write", json!(1), json!(null)),
        ok(2, 1, 5, 6, "read", json!(null), json!(1)),
    ];
    let v = assert_verdict(&h, "register", None, "ok");
    assert_eq!(v["checker"], "linearizability");
    assert_eq!(v["witness"], Value::Null);
    assert_eq!(v["ops"], 2);
    assert_eq!(v["keys"], 1);
}

#[test]
fn register_stale_read_is_a_violation_with_a_minimal_witness() {
    let h = [
        ok(1, 0, 0, 1, "write", json!(1), json!(null)),
        ok(2, 0, 2, 3, "write", json!(2), json!(null)),
        ok(3, 1, 4, 5, "read", json!(null), json!(1)),
        // noise that the witness must not contain
        ok(4, 1, 10, 11, "write", json!(7), json!(null)),
        ok(5, 2, 12, 13, "read", json!(null), json!(7)),
    ];
    let v = assert_verdict(&h, "register", None, "violation");
    assert_eq!(witness_ops(&v), ["1", "2", "3"]);
    assert_eq!(v["witness"]["key"], Value::Null);
    assert!(v["evidence"].as_str().unwrap().starts_with(
        "dstplan history check: linearizability on register, 5 ops over 1 key, violation in"
    ));
}

#[test]
fn register_cas_semantics() {
    let good = [
        ok(1, 0, 0, 1, "write", json!(1), json!(null)),
        ok(2, 0, 2, 3, "cas", json!([1, 2]), json!(true)),
        ok(3, 0, 4, 5, "cas", json!([1, 3]), json!(false)),
        ok(4, 0, 6, 7, "read", json!(null), json!(2)),
    ];
    assert_verdict(&good, "register", None, "ok");
    let bad = [
        ok(1, 0, 0, 1, "write", json!(1), json!(null)),
        ok(2, 0, 2, 3, "cas", json!([1, 2]), json!(false)),
    ];
    assert_verdict(&bad, "register", None, "violation");
}

#[test]
fn a_timed_out_write_may_have_taken_effect() {
    // Treating the timeout as failed would call the read of 1 impossible.
    let h = [
        lost(1, 0, 0, "write", json!(1)),
        ok(2, 1, 5, 6, "read", json!(null), json!(1)),
        ok(3, 1, 7, 8, "read", json!(null), json!(1)),
    ];
    assert_verdict(&h, "register", None, "ok");
}

#[test]
fn a_timed_out_cas_may_never_take_effect() {
    // Treating the timeout as ok (it happened) would break the later reads of 1: once the cas
    // applies, 1 is gone for good. It must be allowed to never happen.
    let h = [
        ok(1, 0, 0, 1, "write", json!(1), json!(null)),
        lost(2, 1, 2, "cas", json!([1, 2])),
        ok(3, 0, 10, 11, "read", json!(null), json!(1)),
        ok(4, 2, 12, 13, "read", json!(null), json!(1)),
    ];
    assert_verdict(&h, "register", None, "ok");
}

#[test]
fn a_timed_out_write_cannot_take_effect_before_it_was_sent() {
    let h = [
        ok(1, 0, 0, 1, "read", json!(null), json!(1)),
        lost(2, 1, 2, "write", json!(1)),
    ];
    let v = assert_verdict(&h, "register", None, "violation");
    assert_eq!(witness_ops(&v), ["1", "2"]);
}

#[test]
fn failed_ops_are_dropped() {
    // The failed write of 2 did not happen, so reading 2 is a violation; and the failed
    // write does not explain it.
    let h = [
        ok(1, 0, 0, 1, "write", json!(1), json!(null)),
        ok(2, 1, 2, 3, "write", json!(2), json!(null)).failed("rejected"),
        ok(3, 0, 4, 5, "read", json!(null), json!(2)),
    ];
    assert_verdict(&h, "register", None, "violation");
    let h = [
        ok(1, 0, 0, 1, "write", json!(1), json!(null)),
        ok(2, 1, 2, 3, "write", json!(2), json!(null)).failed("rejected"),
        ok(3, 0, 4, 5, "read", json!(null), json!(1)),
    ];
    assert_verdict(&h, "register", None, "ok");
}

#[test]
fn register_keys_are_independent() {
    let h = [
        ok(1, 0, 0, 1, "write", json!(1), json!(null)).key("a"),
        ok(2, 0, 2, 3, "write", json!(2), json!(null)).key("b"),
        ok(3, 1, 4, 5, "read", json!(null), json!(1)).key("a"),
        ok(4, 1, 6, 7, "read", json!(null), json!(2)).key("b"),
    ];
    let v = assert_verdict(&h, "register", None, "ok");
    assert_eq!(v["keys"], 2);
    let mut bad = h.to_vec();
    bad[3].output = json!(1);
    let v = assert_verdict(&bad, "register", None, "violation");
    assert_eq!(v["witness"]["key"], "b");
}

// ---------------------------------------------------------------- map, set, counter

#[test]
fn map_put_get_append() {
    let h = [
        ok(1, 0, 0, 1, "put", json!("a"), json!(null)).key("k"),
        ok(2, 1, 2, 5, "append", json!("b"), json!(null)).key("k"),
        ok(3, 2, 3, 4, "get", json!(null), json!("ab")).key("k"),
        ok(4, 0, 6, 7, "get", json!(null), json!("")).key("other"),
    ];
    assert_verdict(&h, "map", None, "ok");
    let mut bad = h.to_vec();
    bad[2].output = json!("ba");
    let v = assert_verdict(&bad, "map", None, "violation");
    assert_eq!(v["witness"]["key"], "k");
    // A key with only put/get (checked as a register).
    let h = [
        ok(1, 0, 0, 1, "put", json!("x"), json!(null)).key("k"),
        ok(2, 0, 2, 3, "put", json!("y"), json!(null)).key("k"),
        ok(3, 1, 4, 5, "get", json!(null), json!("x")).key("k"),
    ];
    assert_verdict(&h, "map", None, "violation");
}

#[test]
fn set_add_read() {
    let h = [
        ok(1, 0, 0, 1, "add", json!(1), json!(null)),
        ok(2, 1, 0, 3, "add", json!(2), json!(null)),
        ok(3, 2, 2, 4, "read", json!(null), json!([1])),
        ok(4, 2, 5, 6, "read", json!(null), json!([2, 1])),
    ];
    assert_verdict(&h, "set", None, "ok");
    let mut bad = h.to_vec();
    bad[3].output = json!([2]);
    assert_verdict(&bad, "set", None, "violation");
}

#[test]
fn counter_linearizability_and_invariants() {
    let h = [
        ok(1, 0, 0, 1, "inc", json!(2), json!(null)),
        ok(2, 1, 0, 5, "inc", json!(3), json!(null)),
        ok(3, 2, 2, 3, "read", json!(null), json!(2)),
        ok(4, 2, 6, 7, "read", json!(null), json!(5)),
    ];
    assert_verdict(&h, "counter", None, "ok");
    assert_verdict(&h, "counter", Some("final-state-invariant"), "ok");
    assert_verdict(&h, "counter", Some("monotonic-read"), "ok");
    let mut bad = h.to_vec();
    bad[2].output = json!(5); // the concurrent inc of 3 may already have landed
    assert_verdict(&bad, "counter", None, "ok");
    bad[2].output = json!(3); // but not without the inc of 2, which had completed
    assert_verdict(&bad, "counter", None, "violation");
    bad[2].output = json!(2);
    bad[3].output = json!(4);
    assert_verdict(&bad, "counter", None, "violation");
    assert_verdict(&bad, "counter", Some("final-state-invariant"), "violation");
    // A process whose reads go backwards.
    let back = [
        ok(1, 0, 0, 1, "inc", json!(2), json!(null)),
        ok(2, 1, 2, 3, "read", json!(null), json!(2)),
        ok(3, 1, 4, 5, "read", json!(null), json!(0)),
    ];
    let v = assert_verdict(&back, "counter", Some("monotonic-read"), "violation");
    assert_eq!(witness_ops(&v), ["2", "3"]);
}

#[test]
fn counter_final_state_with_a_timed_out_inc_counts_either_way() {
    for (read, want) in [(0, "ok"), (5, "ok"), (7, "violation")] {
        let h = [
            lost(1, 0, 0, "inc", json!(5)),
            ok(2, 1, 10, 11, "read", json!(null), json!(read)),
        ];
        assert_verdict(&h, "counter", Some("final-state-invariant"), want);
        assert_verdict(&h, "counter", None, want);
    }
}

// ---------------------------------------------------------------- queue

fn enq(id: u64, p: u64, inv: i64, comp: i64, v: i64) -> O {
    ok(id, p, inv, comp, "enqueue", json!(v), json!(null))
}
fn deq(id: u64, p: u64, inv: i64, comp: i64, v: Value) -> O {
    ok(id, p, inv, comp, "dequeue", json!(null), v)
}

#[test]
fn queue_fifo_is_ok_and_default_checker_is_prefix_order() {
    let h = [
        enq(1, 0, 0, 1, 10),
        enq(2, 0, 2, 3, 20),
        deq(3, 1, 4, 5, json!(10)),
        deq(4, 1, 6, 7, json!(20)),
        deq(5, 1, 8, 9, json!(null)),
    ];
    let v = assert_verdict(&h, "queue", None, "ok");
    assert_eq!(v["checker"], "prefix-order");
}

#[test]
fn queue_anomalies_are_violations() {
    let reordered = [
        enq(1, 0, 0, 1, 10),
        enq(2, 0, 2, 3, 20),
        deq(3, 1, 4, 5, json!(20)),
        deq(4, 1, 6, 7, json!(10)),
    ];
    let v = assert_verdict(&reordered, "queue", None, "violation");
    assert!(v["evidence"].as_str().unwrap().contains("reordered"), "{v}");
    let duplicated = [
        enq(1, 0, 0, 1, 10),
        deq(2, 1, 2, 3, json!(10)),
        deq(3, 1, 4, 5, json!(10)),
    ];
    let v = assert_verdict(&duplicated, "queue", None, "violation");
    assert!(
        v["evidence"].as_str().unwrap().contains("duplicated"),
        "{v}"
    );
    let phantom = [enq(1, 0, 0, 1, 10), deq(2, 1, 2, 3, json!(99))];
    let v = assert_verdict(&phantom, "queue", None, "violation");
    assert!(v["evidence"].as_str().unwrap().contains("phantom"), "{v}");
    let lost_item = [
        enq(1, 0, 0, 1, 10),
        enq(2, 0, 2, 3, 20),
        deq(3, 1, 4, 5, json!(20)),
    ];
    let v = assert_verdict(&lost_item, "queue", None, "violation");
    assert!(v["evidence"].as_str().unwrap().contains("lost"), "{v}");
    let drained = [enq(1, 0, 0, 1, 10), deq(2, 1, 4, 5, json!(null))];
    assert_verdict(&drained, "queue", None, "violation");
}

#[test]
fn queue_indeterminate_ops_count_either_way() {
    // A timed-out enqueue may have happened (its value may be dequeued) or not (it need not).
    let maybe_in = [
        lost(1, 0, 0, "enqueue", json!(10)),
        deq(2, 1, 4, 5, json!(10)),
    ];
    assert_verdict(&maybe_in, "queue", None, "ok");
    let maybe_not = [
        lost(1, 0, 0, "enqueue", json!(10)),
        deq(2, 1, 4, 5, json!(null)),
    ];
    assert_verdict(&maybe_not, "queue", None, "ok");
    // A timed-out dequeue may have taken a value nobody saw.
    let taken = [
        enq(1, 0, 0, 1, 10),
        enq(2, 0, 2, 3, 20),
        lost(3, 2, 4, "dequeue", json!(null)),
        deq(4, 1, 6, 7, json!(20)),
    ];
    assert_verdict(&taken, "queue", None, "ok");
}

// ---------------------------------------------------------------- log

fn append(id: u64, p: u64, inv: i64, comp: i64, v: &str, off: i64) -> O {
    ok(id, p, inv, comp, "append", json!(v), json!(off))
}

#[test]
fn log_no_lost_ack_and_monotonic_read() {
    let h = [
        append(1, 0, 0, 1, "a", 0),
        append(2, 0, 2, 3, "b", 1),
        ok(3, 1, 4, 5, "read", json!(null), json!(["a"])),
        lost(4, 2, 6, "append", json!("c")),
        ok(5, 1, 8, 9, "read", json!(null), json!(["a", "b", "c"])),
    ];
    let v = assert_verdict(&h, "log", None, "ok");
    assert_eq!(v["checker"], "no-lost-ack");
    assert_verdict(&h, "log", Some("monotonic-read"), "ok");
    let mut lost_ack = h.to_vec();
    lost_ack[4].output = json!(["a", "c"]);
    let v = assert_verdict(&lost_ack, "log", None, "violation");
    assert_eq!(witness_ops(&v), ["2", "5"]);
    assert_verdict(&lost_ack, "log", Some("monotonic-read"), "ok");
    let mut shrunk = h.to_vec();
    shrunk[2].output = json!(["a", "b"]);
    shrunk[4].output = json!(["a", "c", "b"]);
    assert_verdict(&shrunk, "log", Some("monotonic-read"), "violation");
    let mut phantom = h.to_vec();
    phantom[4].output = json!(["a", "b", "zzz"]);
    assert_verdict(&phantom, "log", None, "violation");
}

// ---------------------------------------------------------------- ledger

fn credit(id: u64, p: u64, inv: i64, comp: i64, amount: i64, idem: &str) -> O {
    ok(
        id,
        p,
        inv,
        comp,
        "credit",
        json!({"amount": amount, "idem": idem}),
        json!(null),
    )
    .key("acct")
}
fn balance(id: u64, p: u64, inv: i64, comp: i64, b: i64) -> O {
    ok(id, p, inv, comp, "balance", json!(null), json!(b)).key("acct")
}

#[test]
fn checker_names_accept_vocabulary_aliases() {
    let h = [credit(1, 0, 0, 1, 100, "pay-1"), balance(2, 1, 2, 3, 100)];
    let v = assert_verdict(&h, "ledger", Some("Exactly_Once_Dedup"), "ok");
    assert_eq!(v["checker"], "exactly-once");
}

#[test]
fn ledger_exactly_once_with_retries() {
    // The same payment retried (same idem) must be applied once.
    let h = [
        credit(1, 0, 0, 1, 100, "pay-1"),
        credit(2, 0, 2, 3, 100, "pay-1"),
        credit(3, 1, 4, 5, 30, "pay-2"),
        balance(4, 2, 6, 7, 130),
    ];
    let v = assert_verdict(&h, "ledger", None, "ok");
    assert_eq!(v["checker"], "exactly-once");
    assert_verdict(&h, "ledger", Some("final-state-invariant"), "ok");
    let mut twice = h.to_vec();
    twice[3].output = json!(230);
    let v = assert_verdict(&twice, "ledger", None, "violation");
    assert!(v["evidence"].as_str().unwrap().contains("above"), "{v}");
    assert_verdict(&twice, "ledger", Some("final-state-invariant"), "violation");
    // A timed-out credit may or may not have been applied; twice it may not.
    for (b, want) in [(0, "ok"), (50, "ok"), (100, "violation")] {
        let h = [
            {
                let mut o = credit(1, 0, 0, 0, 50, "pay-9");
                o.comp = None;
                o.timeout = true;
                o.output = Value::Null;
                o
            },
            credit(2, 1, 1, 2, 50, "pay-9").failed("duplicate"),
            balance(3, 2, 5, 6, b),
        ];
        assert_verdict(&h, "ledger", None, want);
    }
}

#[test]
fn ledger_balances_must_be_a_sum_of_distinct_idems() {
    // Two uncertain credits of 50 and 70: 0, 50, 70 and 120 are explainable, 60 is not,
    // although it lies between the bounds.
    for (b, want) in [(0, "ok"), (70, "ok"), (120, "ok"), (60, "violation")] {
        let h = [
            credit(1, 0, 0, 10, 50, "a"),
            credit(2, 1, 0, 10, 70, "b"),
            balance(3, 2, 5, 6, b),
        ];
        let v = assert_verdict(&h, "ledger", None, want);
        if want == "violation" {
            assert!(v["evidence"].as_str().unwrap().contains("no sum"), "{v}");
        }
    }
}

// ---------------------------------------------------------------- CLI contract

#[test]
fn a_checker_that_does_not_fit_the_model_is_exit_2_listing_the_ones_that_do() {
    let env = Env::new();
    let f = env.history(&[enq(1, 0, 0, 1, 10)]);
    let out = dstplan(
        &["check", "--model", "queue", "--checker", "linearizability"],
        &f,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("prefix-order"), "{err}");
    let out = dstplan(
        &[
            "check",
            "--model",
            "queue",
            "--checker",
            "nope",
            "--format",
            "json",
        ],
        &f,
    );
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json error object");
    assert_eq!(v["version"], 1);
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("prefix-order"));
}

#[test]
fn input_errors_are_exit_2_with_the_line() {
    let good = ok(1, 0, 0, 1, "write", json!(1), json!(null)).line();
    let cases: Vec<(String, usize, &str)> = vec![
        (format!("{good}\n\n{{\"op_id\": 2,"), 3, "malformed JSON"),
        (
            format!(
                "{good}\n{}",
                good.replace(",\"node_seen\":null", "")
                    .replace("\"op_id\":1", "\"op_id\":2")
            ),
            2,
            "node_seen",
        ),
        (format!("{good}\n{good}"), 2, "duplicate op_id 1"),
        (
            format!(
                "{}\n{}",
                ok(1, 7, 0, 10, "write", json!(1), json!(null)).line(),
                ok(2, 7, 5, 12, "read", json!(null), json!(1)).line()
            ),
            2,
            "overlaps",
        ),
        (
            format!(
                "{}\n{}",
                lost(1, 7, 0, "write", json!(1)).line(),
                ok(2, 7, 5, 12, "read", json!(null), json!(1)).line()
            ),
            2,
            "outstanding forever",
        ),
        (format!("{good}\n[1, 2]"), 2, "JSON object"),
        (
            ok(1, 0, 0, 1, "frobnicate", json!(1), json!(null)).line(),
            1,
            "not an operation of model register",
        ),
    ];
    for (text, line, needle) in cases {
        let env = Env::new();
        let f = env.write("bad.jsonl", &text);
        for sub in [&["validate"][..], &["check", "--model", "register"][..]] {
            if needle.contains("not an operation") && sub[0] == "validate" {
                continue; // op types are checked against a model, which validate has not
            }
            let out = dstplan(sub, &f);
            assert_eq!(out.status.code(), Some(2), "{needle}: {out:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            let want = format!("bad.jsonl:{line}: ");
            assert!(
                err.contains(&want) && err.contains(needle),
                "want {want}…{needle}, got {err}"
            );
        }
        let mut json_args = vec!["validate", "--format", "json"];
        if needle.contains("not an operation") {
            json_args = vec!["check", "--model", "register", "--format", "json"];
        }
        let out = dstplan(&json_args, &f);
        assert_eq!(out.status.code(), Some(2));
        let v: Value = serde_json::from_slice(&out.stdout).expect("json error");
        assert_eq!(v["error"]["line"], line, "{v}");
    }
}

#[test]
fn validate_reports_weak_histories_as_warnings() {
    let env = Env::new();
    let silent = O {
        timeout: false,
        ..lost(2, 1, 3, "write", json!(2))
    };
    let f = env.history(&[ok(1, 0, 0, 1, "write", json!(1), json!(null)), silent]);
    let out = dstplan(&["validate"], &f);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("warning:") && text.contains("no response"),
        "{text}"
    );
    assert!(text.contains("no completed read"), "{text}");
    let out = dstplan(&["validate", "--format", "json"], &f);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["warnings"].as_array().unwrap().len(), 2);
    // A clean history: no warnings.
    let f = env.history(&[ok(1, 0, 0, 1, "read", json!(null), json!(null))]);
    let out = dstplan(&["validate"], &f);
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("warning"));
}

#[test]
fn the_json_object_has_exactly_the_contract_keys() {
    let h = [
        ok(1, 0, 0, 1, "write", json!(1), json!(null)),
        ok(2, 0, 2, 3, "read", json!(null), json!(2)),
    ];
    let (_, v) = check(&h, "register", None);
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "checker",
            "diagnostics",
            "elapsed_ms",
            "evidence",
            "keys",
            "model",
            "ops",
            "verdict",
            "version",
            "witness"
        ]
    );
    let mut wkeys: Vec<&str> = v["witness"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    wkeys.sort();
    assert_eq!(wkeys, ["key", "ops", "partial_linearization"]);
}

#[test]
fn the_budget_answers_unknown_with_exit_3() {
    // 18 concurrent writes of distinct values, each read by a concurrent read, then reads of
    // 1, 2 and 1 again in sequence: not linearizable, but the search must try every subset
    // of the other writes before it can say so (a read of a value nobody wrote, or one
    // overwritten for certain, is found without the search). The cas keeps the key off the
    // unique-values fast path, which would decide this at once.
    let mut h: Vec<O> = (1..=18)
        .flat_map(|i| {
            [
                ok(i, i, 0, 100, "write", json!(i), json!(null)),
                ok(100 + i, 100 + i, 0, 100, "read", json!(null), json!(i)),
            ]
        })
        .collect();
    h.push(ok(300, 300, 0, 100, "cas", json!([500, 501]), json!(false)));
    for (k, v) in [1, 2, 1].into_iter().enumerate() {
        let t = 200 + 2 * k as i64;
        h.push(ok(
            400 + k as u64,
            400,
            t,
            t + 1,
            "read",
            json!(null),
            json!(v),
        ));
    }
    let env = Env::new();
    let f = env.history(&h);
    let out = dstplan(&["check", "--model", "register", "--timeout", "0.001"], &f);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("verdict: unknown"), "{text}");
    let out = dstplan(&["check", "--model", "register", "--timeout", "-1"], &f);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn html_is_one_offline_file_with_the_witness_and_fault_bands() {
    let h = [
        ok(1, 0, 0, 1, "write", json!(1), json!(null)),
        ok(2, 0, 2, 3, "write", json!(2), json!(null)).epoch("partition-1"),
        ok(3, 1, 4, 5, "read", json!(null), json!(1)).epoch("partition-1"),
        lost(4, 2, 4, "write", json!(3)),
    ];
    let env = Env::new();
    let f = env.history(&h);
    let out_path = env.dir.path().join("out/view.html");
    let out = common::bin()
        .args(["history", "check"])
        .arg(&f)
        .args(["--model", "register", "--html"])
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let page = std::fs::read_to_string(&out_path).expect("html written");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<svg"));
    assert_eq!(
        page.matches(" witness\"").count(),
        3,
        "the 3 witness ops highlighted"
    );
    assert!(page.contains("class=\"epoch\""), "fault epoch band");
    assert!(page.contains("partition-1"));
    assert!(!page.contains("<script") && !page.contains("src=") && !page.contains("href="));
    assert!(!page.contains("https://"));
}

/// Random damage to a good history (bytes flipped, lines cut, keys renamed) must give exit 0,
/// 1, 2 or 3, never a crash, and never a verdict for a history the validator rejects.
#[test]
fn damaged_histories_never_crash() {
    let good: Vec<String> = (0..30)
        .map(|i| {
            let o = if i % 3 == 0 {
                ok(
                    i,
                    i % 4,
                    10 * i as i64,
                    10 * i as i64 + 5,
                    "read",
                    json!(null),
                    json!(i),
                )
            } else {
                ok(
                    i,
                    i % 4,
                    10 * i as i64,
                    10 * i as i64 + 5,
                    "write",
                    json!(i),
                    json!(null),
                )
            };
            o.line()
        })
        .collect();
    let text = good.join("\n");
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rnd = move |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    let env = Env::new();
    for round in 0..60 {
        let mut bytes = text.clone().into_bytes();
        for _ in 0..1 + rnd(4) {
            if bytes.is_empty() {
                bytes.push(b'{');
            }
            let i = rnd(bytes.len());
            match rnd(4) {
                0 => bytes[i] = b"{}[]\":,0n-\n\xff"[rnd(12)],
                1 => {
                    bytes.truncate(i);
                }
                2 => {
                    bytes.remove(i);
                }
                _ => bytes.insert(i, b'9'),
            }
        }
        let f = env.dir.path().join(format!("d{round}.jsonl"));
        std::fs::write(&f, &bytes).unwrap();
        let v = dstplan(&["validate"], &f);
        let c = dstplan(&["check", "--model", "register", "--timeout", "5"], &f);
        for out in [&v, &c] {
            let code = out.status.code();
            assert!(matches!(code, Some(0..=3)), "round {round}: {out:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!err.contains("panicked"), "round {round}: {err}");
        }
        if v.status.code() == Some(2) {
            assert_eq!(
                c.status.code(),
                Some(2),
                "round {round}: check must reject what validate rejects"
            );
        }
    }
}
