//! `dstplan history check --checker serializability` through the binary: a hand-made
//! history for every anomaly class, judged at every consistency level (forbidden → exit 1,
//! allowed → exit 0 with a note), indeterminate transactions (never assumed committed or
//! aborted unless a read proves it), input errors, the JSON fields and golden text output.

mod common;
use common::*;

use serde_json::{json, Value};

/// A committed txn: `mops` as the output (reads with what they returned).
fn ok(id: u64, p: u64, inv: i64, comp: i64, mops: Value) -> Value {
    let input: Vec<Value> = mops
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            if m[0] == "r" {
                json!(["r", m[1], null])
            } else {
                m.clone()
            }
        })
        .collect();
    line(id, p, inv, Some(comp), json!(input), mops, None, false)
}

/// An aborted txn (error set, no timeout).
fn aborted(id: u64, p: u64, inv: i64, comp: i64, input: Value) -> Value {
    line(
        id,
        p,
        inv,
        Some(comp),
        input,
        Value::Null,
        Some("abort"),
        false,
    )
}

/// An indeterminate txn (timed out).
fn lost(id: u64, p: u64, inv: i64, input: Value) -> Value {
    line(id, p, inv, None, input, Value::Null, None, true)
}

#[allow(clippy::too_many_arguments)]
fn line(
    id: u64,
    p: u64,
    inv: i64,
    comp: Option<i64>,
    input: Value,
    output: Value,
    error: Option<&str>,
    timeout: bool,
) -> Value {
    history_op(
        id,
        p,
        inv,
        comp,
        "txn",
        Value::Null,
        input,
        output,
        error,
        timeout,
    )
}

fn write(dir: &tempfile::TempDir, name: &str, lines: &[Value]) -> std::path::PathBuf {
    write_jsonl(&dir.path().join(name), lines)
}

const LEVELS: [&str; 5] = ISOLATION_LEVELS;

/// `history check F --model MODEL --consistency LEVEL --format json`.
fn check_at(f: &str, model: &str, level: &str) -> std::process::Output {
    run(&[
        "history",
        "check",
        f,
        "--model",
        model,
        "--consistency",
        level,
        "--format",
        "json",
    ])
}

/// Check `lines` at every level; `want[i]` is the exit code at `LEVELS[i]`; `class` must be
/// reported (forbidden where the exit is 1, as a note where it is 0).
#[track_caller]
fn judge(model: &str, lines: &[Value], class: &str, want: [i32; 5]) {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "h.jsonl", lines);
    for (level, want) in LEVELS.iter().zip(want) {
        let o = check_at(f.to_str().unwrap(), model, level);
        assert_exit(&o, want);
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        let found = v["anomalies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["class"] == class)
            .unwrap_or_else(|| panic!("{class} not reported at {level}: {v}"));
        assert_eq!(found["forbidden"], json!(want == 1), "{level}: {found}");
        if want == 1 {
            assert_eq!(v["verdict"], "violation");
            assert!(v["evidence"].as_str().unwrap().contains(class), "{v}");
        } else {
            assert_eq!(v["verdict"], "ok");
            let notes = v["diagnostics"].to_string();
            assert!(
                notes.contains(&format!("{class} found but allowed at {level}")),
                "{notes}"
            );
        }
    }
}

const ALL: [i32; 5] = [1, 1, 1, 1, 1];

#[test]
fn g0_write_cycle_is_forbidden_everywhere() {
    judge(
        "list-append",
        &[
            ok(1, 0, 0, 10, json!([["append", "x", 1], ["append", "y", 1]])),
            ok(2, 1, 0, 10, json!([["append", "x", 2], ["append", "y", 2]])),
            ok(
                3,
                2,
                20,
                30,
                json!([["r", "x", [1, 2]], ["r", "y", [2, 1]]]),
            ),
        ],
        "G0",
        ALL,
    );
}

#[test]
fn g1a_aborted_read_is_forbidden_everywhere() {
    judge(
        "list-append",
        &[
            aborted(1, 0, 0, 10, json!([["append", "x", 1]])),
            ok(2, 1, 20, 30, json!([["r", "x", [1]]])),
        ],
        "G1a",
        ALL,
    );
    judge(
        "rw-register",
        &[
            aborted(1, 0, 0, 10, json!([["w", "x", 1]])),
            ok(2, 1, 20, 30, json!([["r", "x", 1]])),
        ],
        "G1a",
        ALL,
    );
}

#[test]
fn g1b_intermediate_read_is_forbidden_everywhere() {
    judge(
        "list-append",
        &[
            ok(1, 0, 0, 10, json!([["append", "x", 1], ["append", "x", 2]])),
            ok(2, 1, 5, 30, json!([["r", "x", [1]]])),
        ],
        "G1b",
        ALL,
    );
    judge(
        "rw-register",
        &[
            ok(1, 0, 0, 10, json!([["w", "x", 1], ["w", "x", 2]])),
            ok(2, 1, 5, 30, json!([["r", "x", 1]])),
        ],
        "G1b",
        ALL,
    );
}

#[test]
fn g1c_circular_information_flow_is_forbidden_everywhere() {
    judge(
        "list-append",
        &[
            ok(1, 0, 0, 10, json!([["append", "x", 1], ["r", "y", [2]]])),
            ok(2, 1, 0, 10, json!([["append", "y", 2], ["r", "x", [1]]])),
        ],
        "G1c",
        ALL,
    );
}

#[test]
fn g_single_read_skew_is_allowed_only_at_read_committed() {
    let read_skew = [
        ok(1, 0, 0, 10, json!([["append", "x", 1], ["append", "y", 1]])),
        ok(2, 1, 0, 10, json!([["r", "x", []], ["r", "y", [1]]])),
        ok(3, 2, 20, 30, json!([["r", "x", [1]]])),
    ];
    judge("list-append", &read_skew, "G-single", [0, 1, 1, 1, 1]);
    judge(
        "rw-register",
        &[
            ok(1, 0, 0, 10, json!([["w", "x", 1], ["w", "y", 1]])),
            ok(2, 1, 0, 10, json!([["r", "x", null], ["r", "y", 1]])),
        ],
        "G-single",
        [0, 1, 1, 1, 1],
    );
}

#[test]
fn a_non_repeatable_read_is_g_single_allowed_only_at_read_committed() {
    // T1 reads x twice and sees T2's append the second time: a fuzzy read. Read committed
    // allows it; every snapshot level forbids it (the two reads give T1 → T2 (rw) and
    // T2 → T1 (wr)).
    judge(
        "list-append",
        &[
            ok(1, 0, 0, 30, json!([["r", "x", []], ["r", "x", [1]]])),
            ok(2, 1, 5, 10, json!([["append", "x", 1]])),
        ],
        "G-single",
        [0, 1, 1, 1, 1],
    );
    judge(
        "rw-register",
        &[
            ok(1, 0, 0, 30, json!([["r", "x", null], ["r", "x", 1]])),
            ok(2, 1, 5, 10, json!([["w", "x", 1]])),
        ],
        "G-single",
        [0, 1, 1, 1, 1],
    );
}

fn write_skew() -> Vec<Value> {
    vec![
        ok(
            1,
            0,
            10,
            20,
            json!([["r", "x", []], ["r", "y", []], ["append", "x", 1]]),
        ),
        ok(
            2,
            1,
            11,
            21,
            json!([["r", "x", []], ["r", "y", []], ["append", "y", 2]]),
        ),
        ok(3, 2, 30, 40, json!([["r", "x", [1]], ["r", "y", [2]]])),
    ]
}

/// The same write skew on registers: both read x and y unset, each writes one of them.
fn write_skew_register() -> Vec<Value> {
    vec![
        ok(
            1,
            0,
            0,
            10,
            json!([["r", "x", null], ["r", "y", null], ["w", "x", 1]]),
        ),
        ok(
            2,
            1,
            0,
            10,
            json!([["r", "x", null], ["r", "y", null], ["w", "y", 2]]),
        ),
    ]
}

#[test]
fn g2_item_write_skew_is_allowed_at_snapshot_isolation_only() {
    judge("list-append", &write_skew(), "G2-item", [0, 0, 1, 1, 1]);
    judge(
        "rw-register",
        &write_skew_register(),
        "G2-item",
        [0, 0, 1, 1, 1],
    );
}

#[test]
fn internal_duplicate_and_incompatible_order_are_forbidden_everywhere() {
    judge(
        "list-append",
        &[ok(1, 0, 0, 10, json!([["append", "x", 1], ["r", "x", []]]))],
        "internal",
        ALL,
    );
    judge(
        "rw-register",
        &[ok(1, 0, 0, 10, json!([["w", "x", 1], ["r", "x", null]]))],
        "internal",
        ALL,
    );
    judge(
        "list-append",
        &[
            ok(1, 0, 0, 10, json!([["append", "x", 1]])),
            ok(2, 1, 20, 30, json!([["r", "x", [1, 1]]])),
        ],
        "duplicate",
        ALL,
    );
    judge(
        "list-append",
        &[
            ok(1, 0, 0, 10, json!([["append", "x", 1]])),
            ok(2, 1, 0, 10, json!([["append", "x", 2]])),
            ok(3, 2, 20, 30, json!([["r", "x", [1, 2]]])),
            ok(4, 3, 20, 30, json!([["r", "x", [2]]])),
        ],
        "incompatible-order",
        ALL,
    );
}

#[test]
fn real_time_order_counts_only_at_strict_serializable() {
    // T2 starts after T1 completed yet misses its append: serializable (T2 before T1), not
    // strict serializable. Real-time edges are built only for the strict level.
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "h.jsonl",
        &[
            ok(1, 0, 0, 10, json!([["append", "x", 1]])),
            ok(2, 1, 20, 30, json!([["r", "x", []]])),
            ok(3, 2, 40, 50, json!([["r", "x", [1]]])),
        ],
    );
    for level in LEVELS {
        let o = check_at(f.to_str().unwrap(), "list-append", level);
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        if level == "strict-serializable" {
            assert_exit(&o, 1);
            assert_eq!(v["anomalies"][0]["class"], "G-single-realtime", "{v}");
            assert_eq!(v["witness"]["ops"], json!(["1", "2"]), "{v}");
        } else {
            assert_exit(&o, 0);
            assert_eq!(v["anomalies"], json!([]), "{level}: {v}");
        }
    }
}

/// Exit codes at every level for a history with no anomaly to report.
#[track_caller]
fn clean(model: &str, lines: &[Value]) {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "h.jsonl", lines);
    for level in LEVELS {
        let o = check_at(f.to_str().unwrap(), model, level);
        assert_exit(&o, 0);
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(v["anomalies"], json!([]), "{level}: {v}");
    }
}

#[test]
fn an_observed_indeterminate_txn_committed_and_an_unobserved_one_proves_nothing() {
    // Observed: its append is read, so it committed; no G1a.
    clean(
        "list-append",
        &[
            lost(1, 0, 0, json!([["append", "x", 1]])),
            ok(2, 1, 20, 30, json!([["r", "x", [1]]])),
        ],
    );
    // Unobserved: later reads miss it; it may never have committed, so no anomaly.
    clean(
        "list-append",
        &[
            lost(1, 0, 0, json!([["append", "x", 1]])),
            ok(2, 1, 20, 30, json!([["r", "x", []]])),
            ok(3, 2, 40, 50, json!([["r", "x", []]])),
        ],
    );
    // Write skew through an unobserved indeterminate txn: had it committed, T2's read of
    // x = [] and its append would close a cycle; nothing shows it did.
    clean(
        "list-append",
        &[
            lost(1, 0, 0, json!([["r", "y", null], ["append", "x", 1]])),
            ok(2, 1, 1, 10, json!([["r", "x", []], ["append", "y", 2]])),
            ok(3, 2, 40, 50, json!([["r", "y", [2]], ["r", "x", []]])),
        ],
    );
    // An aborted txn's unread append is nothing either.
    clean(
        "rw-register",
        &[
            aborted(1, 0, 0, 10, json!([["w", "x", 1]])),
            ok(2, 1, 20, 30, json!([["r", "x", null]])),
        ],
    );
}

#[test]
fn write_skew_through_an_observed_indeterminate_txn_is_found() {
    let mut h = write_skew();
    h[0] = lost(
        1,
        0,
        10,
        json!([["r", "x", null], ["r", "y", null], ["append", "x", 1]]),
    );
    // The indeterminate T1's reads are unknown, so only T2's reads give rw edges: T2 → T1.
    // T1 is known to have committed (T3 read its append) but no cycle closes.
    clean("list-append", &h);
    // With T1 ok the cycle is back.
    judge("list-append", &write_skew(), "G2-item", [0, 0, 1, 1, 1]);
}

#[test]
fn input_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, Vec<Value>, &str); 4] = [
        (
            "not-txn",
            vec![json!({"op_id": 1, "process_id": 0, "invoke_ts": 0, "complete_ts": 1,
                "op_type": "read", "key": "x", "input": null, "output": 1, "error": null,
                "timeout_marker": false, "node_seen": null, "fault_epoch": null})],
            "h.jsonl:1: op_type `read` is not a transaction",
        ),
        (
            "bad-mop",
            vec![ok(1, 0, 0, 10, json!([["append", "x"]]))],
            "h.jsonl:1: micro-op 1 of `input` is [\"append\",\"x\"]",
        ),
        (
            "dup-value",
            vec![
                ok(1, 0, 0, 10, json!([["append", "x", 1]])),
                ok(2, 0, 20, 30, json!([["append", "x", 1]])),
            ],
            "h.jsonl:2: value 1 is written to key x twice (also by op 1 on line 1)",
        ),
        (
            "output-mismatch",
            vec![line(
                1,
                0,
                0,
                Some(10),
                json!([["append", "x", 1]]),
                json!([["append", "x", 2]]),
                None,
                false,
            )],
            "h.jsonl:1: micro-op 1 of output is [\"append\", \"x\", 2] but input has [\"append\", \"x\", 1]",
        ),
    ];
    for (name, lines, want) in cases {
        let sub = dir.path().join(name);
        std::fs::create_dir_all(&sub).unwrap();
        let f = sub.join("h.jsonl");
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&f, text).unwrap();
        let o = run_in(
            &sub,
            &["history", "check", "h.jsonl", "--model", "list-append"],
        );
        assert_exit(&o, 2);
        assert!(stderr(&o).contains(want), "{name}: {}", stderr(&o));
    }
    let f = write(&dir, "w.jsonl", &write_skew());
    let o = run(&[
        "history",
        "check",
        f.to_str().unwrap(),
        "--model",
        "list-append",
        "--checker",
        "linearizability",
    ]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("does not run on model list-append"));
    let o = run(&[
        "history",
        "check",
        f.to_str().unwrap(),
        "--model",
        "list-append",
        "--consistency",
        "causal",
    ]);
    assert_exit(&o, 2);
}

/// The text output with the time line fixed, for goldens.
fn text_of(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let o = run_in(dir, args);
    let text = stdout(&o)
        .lines()
        .map(|l| {
            if l.starts_with("time: ") {
                "time: <ms>".to_string()
            } else if let Some(i) = l.find(" in ") {
                match l[i..].find(" ms") {
                    Some(j) if l.starts_with("evidence:") => {
                        format!("{} in <ms>{}", &l[..i], &l[i + j + 3..])
                    }
                    _ => l.to_string(),
                }
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    (code(&o), text + "\n")
}

#[test]
fn text_output_goldens() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir, "skew.jsonl", &write_skew());
    write(
        &dir,
        "skew-register.jsonl",
        &[
            write_skew_register(),
            vec![ok(3, 2, 20, 30, json!([["r", "x", 1], ["r", "y", 2]]))],
        ]
        .concat(),
    );
    write(
        &dir,
        "g1c.jsonl",
        &[
            ok(1, 0, 0, 10, json!([["append", "x", 1], ["r", "y", [2]]])),
            ok(2, 1, 0, 10, json!([["append", "y", 2], ["r", "x", [1]]])),
            ok(3, 2, 0, 10, json!([["append", "x", 3], ["append", "y", 4]])),
            ok(
                4,
                3,
                20,
                30,
                json!([["r", "x", [1, 3]], ["r", "y", [2, 4]]]),
            ),
        ],
    );
    let gold = root().join("tests/golden/history_txn");
    for (name, file, model, level, want) in [
        (
            "skew-serializable",
            "skew.jsonl",
            "list-append",
            "serializable",
            1,
        ),
        (
            "skew-si",
            "skew.jsonl",
            "list-append",
            "snapshot-isolation",
            0,
        ),
        (
            "skew-register",
            "skew-register.jsonl",
            "rw-register",
            "serializable",
            1,
        ),
        (
            "g1c-read-committed",
            "g1c.jsonl",
            "list-append",
            "read-committed",
            1,
        ),
    ] {
        let (c, text) = text_of(
            dir.path(),
            &[
                "history",
                "check",
                file,
                "--model",
                model,
                "--consistency",
                level,
            ],
        );
        assert_eq!(c, want, "{name}\n{text}");
        golden(&gold.join(format!("{name}.txt")), &text);
    }
}

/// `history check H --model list-append --html OUT EXTRA…`.
fn check_html(h: &std::path::Path, out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "history",
        "check",
        h.to_str().unwrap(),
        "--model",
        "list-append",
        "--html",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn html_draws_each_cycle_next_to_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    // A three-transaction G2-item: each reads a key the next one appends to.
    let f = write(
        &dir,
        "g2.jsonl",
        &[
            ok(1, 0, 0, 10, json!([["append", "x", 1], ["r", "y", []]])),
            ok(2, 1, 0, 10, json!([["append", "y", 2], ["r", "z", []]])),
            ok(3, 2, 0, 10, json!([["append", "z", 3], ["r", "x", []]])),
            ok(
                4,
                3,
                20,
                30,
                json!([["r", "x", [1]], ["r", "y", [2]], ["r", "z", [3]]]),
            ),
        ],
    );
    let out = dir.path().join("g2.html");
    let o = check_html(&f, &out, &[]);
    assert_exit(&o, 1);
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(page.contains("Isolation anomalies at <code>serializable</code>"));
    assert!(page.contains("G2-item — forbidden"));
    // Three transactions as nodes, three labelled rw arrows, one sentence per edge (escaped).
    assert_eq!(page.matches("<g class=\"txn\">").count(), 3, "{page}");
    assert_eq!(page.matches("<path class=\"edge rw\"").count(), 3);
    assert_eq!(page.matches("<text class=\"edge-label\"").count(), 3);
    assert!(page.contains("T1 read y = [] and T2 appended 2"));
    assert!(page.contains("so T1 → T2 (rw)"));
    // Next to the timeline, self-contained.
    assert!(page.contains("process 3"));
    assert!(!page.contains("<script"));
    assert!(!page.contains("href=\"http"));
    // No anomaly, no section.
    let clean = write(
        &dir,
        "ok.jsonl",
        &[ok(1, 0, 0, 10, json!([["append", "x", 1]]))],
    );
    let out = dir.path().join("ok.html");
    let o = check_html(&clean, &out, &[]);
    assert_exit(&o, 0);
    assert!(!std::fs::read_to_string(&out)
        .unwrap()
        .contains("Isolation anomalies"));
}

#[test]
fn html_of_a_long_history_keeps_the_witness_in_the_timeline() {
    use dstplan::history::txn::sim::{generate, to_jsonl, Store, TxnSimConfig};
    let dir = tempfile::tempdir().unwrap();
    // 6,000 serializable transactions, then a write skew after all of them: the first 5,000
    // ops by invocation would miss it.
    let cfg = TxnSimConfig {
        store: Store::Serial,
        txns: 6_000,
        processes: 8,
        active_keys: 4,
        appends_per_key: 16,
        seed: 7,
        indeterminate: 0.0,
    };
    let mut text = to_jsonl(&generate(&cfg));
    let t = 10_000_000;
    for (id, p, inv, comp, mops) in [
        (
            90_001,
            900,
            t,
            t + 10,
            json!([["r", "sx", []], ["r", "sy", []], ["append", "sx", 1]]),
        ),
        (
            90_002,
            901,
            t + 1,
            t + 11,
            json!([["r", "sx", []], ["r", "sy", []], ["append", "sy", 2]]),
        ),
        (
            90_003,
            902,
            t + 20,
            t + 30,
            json!([["r", "sx", [1]], ["r", "sy", [2]]]),
        ),
    ] {
        text.push_str(&format!("{}\n", ok(id, p, inv, comp, mops)));
    }
    let f = dir.path().join("long.jsonl");
    std::fs::write(&f, text).unwrap();
    let out = dir.path().join("long.html");
    let o = check_html(&f, &out, &["--format", "json"]);
    assert_exit(&o, 1);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v["witness"]["ops"],
        json!(["90001", "90002"]),
        "{}",
        v["evidence"]
    );
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(
        page.contains("ops nearest the witness in time"),
        "note missing"
    );
    for id in ["90001", "90002"] {
        assert!(
            page.contains(&format!("<title>op {id} ·")),
            "witness op {id} not drawn"
        );
    }
}
