//! `history check` text output a person can use: no huge value dumped, a no-lost-ack
//! violation says how many acknowledged values are missing and names the first few, and a
//! linearizability witness lists the other writes of the value its read returned.

use serde_json::{json, Value};

mod common;
use common::*;

fn ok(id: u64, p: u64, inv: i64, comp: i64, ty: &str, input: Value, output: Value) -> Value {
    history_op(
        id,
        p,
        inv,
        Some(comp),
        ty,
        json!("k"),
        input,
        output,
        None,
        false,
    )
}

#[test]
fn no_lost_ack_counts_the_missing_values_and_never_dumps_the_read() {
    let t = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    for i in 0..200u64 {
        let ts = 10 * i as i64;
        lines.push(ok(i + 1, i % 4, ts, ts + 1, "append", json!(i), json!(i)));
    }
    // The final read keeps the first 150 values: 50 acknowledged appends are lost.
    let kept: Vec<u64> = (0..150).collect();
    lines.push(ok(500, 9, 5_000, 5_001, "read", Value::Null, json!(kept)));
    let h = write_jsonl(&t.path().join("h.jsonl"), &lines);
    let o = run(&["history", "check", h.to_str().unwrap(), "--model", "log"]);
    assert_exit(&o, 1);
    let out = stdout(&o);
    assert!(
        out.contains("50 acknowledged append(s) missing from the final read (op 500), the first: 150 (op 151), 151 (op 152), 152 (op 153), 153 (op 154), 154 (op 155)"),
        "{out}"
    );
    assert!(out.contains("… (150 values)]"), "{out}");
    assert!(
        !out.contains("120, 121, 122"),
        "the 150-value read is dumped:\n{out}"
    );
    assert!(out.lines().all(|l| l.chars().count() < 400), "{out}");
}

#[test]
fn a_stale_read_witness_lists_the_other_writes_of_the_value_it_read() {
    let t = tempfile::tempdir().unwrap();
    // w(1), then w(2), then a read of 1: stale. A later write of 1 (op 4) cannot explain that
    // read, so it is not in the witness, but a reader who sees "read 1" wants every write of 1
    // listed beside it.
    let lines = vec![
        ok(1, 0, 0, 10, "write", json!(1), Value::Null),
        ok(2, 1, 20, 30, "write", json!(2), Value::Null),
        ok(3, 2, 40, 50, "read", Value::Null, json!(1)),
        ok(4, 3, 60, 70, "write", json!(1), Value::Null),
        ok(5, 0, 80, 90, "read", Value::Null, json!(1)),
    ];
    let h = write_jsonl(&t.path().join("h.jsonl"), &lines);
    let o = run(&[
        "history",
        "check",
        h.to_str().unwrap(),
        "--model",
        "register",
    ]);
    assert_exit(&o, 1);
    let out = stdout(&o);
    let witness: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("witness:"))
        .take_while(|l| !l.starts_with("also writing"))
        .filter(|l| l.trim_start().starts_with("op "))
        .collect();
    assert_eq!(witness.len(), 3, "{out}");
    assert!(
        out.contains("also writing a value the witness reads (1 op(s)"),
        "{out}"
    );
    assert!(out.contains("  op 4 "), "{out}");
    let o = run(&[
        "history",
        "check",
        h.to_str().unwrap(),
        "--model",
        "register",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let notes = v["diagnostics"].to_string();
    assert!(notes.contains("context: op(s) 4 also write"), "{notes}");
    // The page draws op 4 in its own colour, with a legend entry.
    let page = t.path().join("h.html");
    let o = run(&[
        "history",
        "check",
        h.to_str().unwrap(),
        "--model",
        "register",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_exit(&o, 1);
    let html = std::fs::read_to_string(&page).unwrap();
    let context_rects = html.matches(r#"<rect class="op ok context""#).count();
    assert_eq!(context_rects, 1, "{html}");
    assert!(html.contains("also writes a value the witness reads"));
}
