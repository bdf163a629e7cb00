//! Regression tests for the history defects of issue 17, through the binary: typed keys, one
//! rule for touching intervals, ledger amounts at the integer limits, `--html` never
//! clobbering, FIFOs and devices refused, a byte order mark, and messages that say what, where
//! and how to fix. Each failed on the code before its fix.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A history line; `comp: None` with `timeout` false and no error is "no response".
#[allow(clippy::too_many_arguments)]
fn line(
    id: u64,
    p: u64,
    inv: i64,
    comp: Option<i64>,
    ty: &str,
    key: Value,
    input: Value,
    output: Value,
) -> String {
    history_op(id, p, inv, comp, ty, key, input, output, None, false).to_string()
}

/// An op with an input and no output (a write, an increment, a credit, …).
fn call(
    id: u64,
    p: u64,
    inv: i64,
    comp: Option<i64>,
    ty: &str,
    key: Value,
    input: Value,
) -> String {
    line(id, p, inv, comp, ty, key, input, Value::Null)
}

/// An op with an output and no input (a read, a balance, …).
fn query(
    id: u64,
    p: u64,
    inv: i64,
    comp: Option<i64>,
    ty: &str,
    key: Value,
    output: Value,
) -> String {
    line(id, p, inv, comp, ty, key, Value::Null, output)
}

/// An indeterminate op.
fn lost(id: u64, p: u64, inv: i64, ty: &str, key: Value, input: Value) -> String {
    let mut v: Value = serde_json::from_str(&call(id, p, inv, None, ty, key, input)).unwrap();
    v["timeout_marker"] = json!(true);
    v.to_string()
}

fn write(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

/// `history check --format json`: (exit code, object).
fn check(h: &Path, model: &str, checker: Option<&str>) -> (i32, Value) {
    let mut args = vec![
        "history",
        "check",
        h.to_str().unwrap(),
        "--model",
        model,
        "--format",
        "json",
    ];
    if let Some(c) = checker {
        args.extend(["--checker", c]);
    }
    let out = run(&args);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", stdout(&out), stderr(&out)));
    (code(&out), v)
}

#[track_caller]
fn verdict(h: &Path, model: &str, checker: Option<&str>, want: &str) -> Value {
    let (c, v) = check(h, model, checker);
    assert_eq!(v["verdict"], want, "{model}/{checker:?}: {v:#}");
    assert_eq!(c, if want == "ok" { 0 } else { 1 }, "{v:#}");
    v
}

// ------------------------------------------------------------------ 1. typed keys

#[test]
fn integer_and_string_keys_are_different_keys_for_every_checker() {
    let t = tempfile::tempdir().unwrap();
    let n = Value::Null;
    // A write to key 1; a read of key "1" that returns null is fine (nobody wrote "1").
    let h = write(
        t.path(),
        "a.jsonl",
        &[
            call(1, 0, 0, Some(10), "write", json!(1), json!(5)),
            line(2, 0, 20, Some(30), "read", json!("1"), n.clone(), n.clone()),
        ],
    );
    let v = verdict(&h, "register", None, "ok");
    assert_eq!(v["keys"], 2);
    // A read of key 1 that returns what was written to key "1" only is stale.
    let h = write(
        t.path(),
        "b.jsonl",
        &[
            call(1, 0, 0, Some(10), "write", json!("1"), json!(5)),
            query(2, 0, 20, Some(30), "read", json!(1), json!(5)),
        ],
    );
    let v = verdict(&h, "register", None, "violation");
    assert_eq!(
        v["witness"]["key"], "1",
        "the integer key, shown without quotes"
    );
    // The string key "1" is shown quoted in a witness, so it cannot be taken for the integer.
    let h = write(
        t.path(),
        "b2.jsonl",
        &[
            call(1, 0, 0, Some(10), "write", json!(1), json!(5)),
            query(2, 0, 20, Some(30), "read", json!("1"), json!(5)),
        ],
    );
    let v = verdict(&h, "register", None, "violation");
    assert_eq!(v["witness"]["key"], "\"1\"");
    // Queue: a dequeue from "1" of a value enqueued on 1 is a phantom.
    let h = write(
        t.path(),
        "q.jsonl",
        &[
            call(1, 0, 0, Some(10), "enqueue", json!(1), json!(7)),
            query(2, 0, 20, Some(30), "dequeue", json!("1"), json!(7)),
        ],
    );
    verdict(&h, "queue", None, "violation");
    // Ledger (invariants): a credit to account 1 does not show in account "1".
    let credit = json!({"amount": 10, "idem": "a"});
    let h = write(
        t.path(),
        "l.jsonl",
        &[
            call(1, 0, 0, Some(10), "credit", json!(1), credit),
            query(2, 0, 20, Some(30), "balance", json!("1"), json!(0)),
            query(3, 0, 40, Some(50), "balance", json!(1), json!(10)),
        ],
    );
    verdict(&h, "ledger", Some("exactly-once"), "ok");
    verdict(&h, "ledger", Some("final-state-invariant"), "ok");
}

// ------------------------------------------------------------------ 2. touching intervals

#[test]
fn an_op_invoked_at_another_ops_complete_ts_is_concurrent_for_every_checker() {
    let t = tempfile::tempdir().unwrap();
    let n = Value::Null;
    // Counter: the inc is invoked exactly when the read completes, and the read saw it.
    let h = write(
        t.path(),
        "c.jsonl",
        &[
            query(1, 0, 0, Some(10), "read", json!("c"), json!(5)),
            call(2, 1, 10, Some(20), "inc", json!("c"), json!(5)),
        ],
    );
    verdict(&h, "counter", Some("linearizability"), "ok");
    verdict(&h, "counter", Some("final-state-invariant"), "ok");
    // One tick later the inc is after the read: both checkers call it a violation.
    let h = write(
        t.path(),
        "c2.jsonl",
        &[
            query(1, 0, 0, Some(10), "read", json!("c"), json!(5)),
            call(2, 1, 11, Some(20), "inc", json!("c"), json!(5)),
        ],
    );
    verdict(&h, "counter", Some("linearizability"), "violation");
    verdict(&h, "counter", Some("final-state-invariant"), "violation");
    // Ledger: a credit invoked at the balance read's complete_ts may be in it.
    let h = write(
        t.path(),
        "l.jsonl",
        &[
            query(1, 0, 0, Some(10), "balance", json!("a"), json!(10)),
            call(
                2,
                1,
                10,
                Some(20),
                "credit",
                json!("a"),
                json!({"amount": 10, "idem": "x"}),
            ),
        ],
    );
    verdict(&h, "ledger", Some("exactly-once"), "ok");
    verdict(&h, "ledger", Some("final-state-invariant"), "ok");
    // An ack at exactly the read's invoke_ts is concurrent too: the read may miss it.
    let h = write(
        t.path(),
        "l2.jsonl",
        &[
            call(
                1,
                1,
                0,
                Some(10),
                "credit",
                json!("a"),
                json!({"amount": 10, "idem": "x"}),
            ),
            query(2, 0, 10, Some(20), "balance", json!("a"), json!(0)),
        ],
    );
    verdict(&h, "ledger", Some("exactly-once"), "ok");
    let h = write(
        t.path(),
        "l3.jsonl",
        &[
            call(
                1,
                1,
                0,
                Some(9),
                "credit",
                json!("a"),
                json!({"amount": 10, "idem": "x"}),
            ),
            query(2, 0, 10, Some(20), "balance", json!("a"), json!(0)),
        ],
    );
    verdict(&h, "ledger", Some("exactly-once"), "violation");
    // Queue: an indeterminate dequeue invoked exactly when an empty dequeue completed may
    // have taken the value first.
    let h = write(
        t.path(),
        "q.jsonl",
        &[
            call(1, 0, 0, Some(10), "enqueue", json!("q"), json!(1)),
            line(
                2,
                1,
                20,
                Some(30),
                "dequeue",
                json!("q"),
                n.clone(),
                n.clone(),
            ),
            lost(3, 2, 30, "dequeue", json!("q"), n.clone()),
        ],
    );
    verdict(&h, "queue", None, "ok");
}

// ------------------------------------------------------------------ 3. integer limits

#[test]
fn ledger_amounts_at_the_integer_limits_are_exact_or_input_errors() {
    let t = tempfile::tempdir().unwrap();
    let n = Value::Null;
    let min = json!({"amount": i64::MIN, "idem": "a"});
    // A debit of -2^63 credits 2^63.
    let h = write(
        t.path(),
        "a.jsonl",
        &[
            call(1, 0, 0, Some(10), "debit", json!("acct"), min.clone()),
            query(
                2,
                0,
                20,
                Some(30),
                "balance",
                json!("acct"),
                json!(9_223_372_036_854_775_808u64),
            ),
        ],
    );
    verdict(&h, "ledger", Some("exactly-once"), "ok");
    verdict(&h, "ledger", Some("final-state-invariant"), "ok");
    // Two credits of 2^63 - 1 and a debit of -2^63: no wrap-around, no false violation.
    let max = |idem: &str| json!({"amount": i64::MAX, "idem": idem});
    let h = write(
        t.path(),
        "b.jsonl",
        &[
            call(1, 0, 0, Some(10), "credit", json!("acct"), max("a")),
            call(
                2,
                0,
                20,
                Some(30),
                "debit",
                json!("acct"),
                json!({"amount": i64::MAX, "idem": "b"}),
            ),
            call(3, 0, 40, Some(50), "credit", json!("acct"), max("c")),
            query(
                4,
                0,
                60,
                Some(70),
                "balance",
                json!("acct"),
                json!(i64::MAX),
            ),
        ],
    );
    verdict(&h, "ledger", Some("exactly-once"), "ok");
    // The same with a wrong balance is a violation.
    let h = write(
        t.path(),
        "c.jsonl",
        &[
            call(1, 0, 0, Some(10), "credit", json!("acct"), max("a")),
            call(3, 0, 40, Some(50), "credit", json!("acct"), max("c")),
            query(4, 0, 60, Some(70), "balance", json!("acct"), json!(-2)),
        ],
    );
    verdict(&h, "ledger", Some("exactly-once"), "violation");
    // Beyond 64 bits: an input error naming the line.
    let h = t.path().join("d.jsonl");
    std::fs::write(
        &h,
        format!(
            "{}\n",
            line(
                1,
                0,
                0,
                Some(10),
                "credit",
                json!("acct"),
                n.clone(),
                n.clone()
            )
            .replace(
                "\"input\":null",
                "\"input\":{\"amount\":100000000000000000000,\"idem\":\"a\"}"
            )
        ),
    )
    .unwrap();
    let out = run(&["history", "check", h.to_str().unwrap(), "--model", "ledger"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("d.jsonl:1: op 1: credit input must be"),
        "{}",
        stderr(&out)
    );
    // Counter deltas whose sum leaves 64 bits are refused by linearizability, not wrapped.
    let h = write(
        t.path(),
        "e.jsonl",
        &[
            call(1, 0, 0, Some(10), "inc", json!("c"), json!(i64::MAX)),
            call(2, 0, 20, Some(30), "inc", json!("c"), json!(2)),
            query(3, 0, 40, Some(50), "read", json!("c"), json!(i64::MIN + 1)),
        ],
    );
    let out = run(&[
        "history",
        "check",
        h.to_str().unwrap(),
        "--model",
        "counter",
    ]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("beyond 64-bit"), "{}", stderr(&out));
    verdict(&h, "counter", Some("final-state-invariant"), "violation");
    // monotonic-read compares reads beyond i64 instead of refusing them.
    let big = |a: u64, b: u64| {
        vec![
            call(1, 0, 0, Some(10), "inc", json!("c"), json!(1)),
            query(2, 1, 20, Some(30), "read", json!("c"), json!(a)),
            query(3, 1, 40, Some(50), "read", json!("c"), json!(b)),
        ]
    };
    let h = write(t.path(), "m.jsonl", &big(1 << 63, (1 << 63) + 1));
    verdict(&h, "counter", Some("monotonic-read"), "ok");
    let h = write(t.path(), "m2.jsonl", &big((1 << 63) + 1, 1 << 63));
    verdict(&h, "counter", Some("monotonic-read"), "violation");
}

// ------------------------------------------------------------------ 5. --html

#[test]
fn html_never_overwrites_the_history_or_an_existing_file_without_force() {
    let t = tempfile::tempdir().unwrap();
    let h = write(
        t.path(),
        "h.jsonl",
        &[
            call(1, 0, 0, Some(10), "write", json!("x"), json!(1)),
            query(2, 0, 20, Some(30), "read", json!("x"), json!(1)),
        ],
    );
    let before = std::fs::read(&h).unwrap();
    let hs = h.to_str().unwrap();
    for force in [false, true] {
        let mut args = vec!["history", "check", hs, "--model", "register", "--html", hs];
        if force {
            args.push("--force");
        }
        let out = run(&args);
        assert_exit(&out, 2);
        assert!(
            stderr(&out).contains("would overwrite the history being checked"),
            "{}",
            stderr(&out)
        );
        assert_eq!(
            std::fs::read(&h).unwrap(),
            before,
            "the history is untouched"
        );
    }
    // The same file through a symbolic link.
    let link = t.path().join("view.html");
    std::os::unix::fs::symlink(&h, &link).unwrap();
    let out = run(&[
        "history",
        "check",
        hs,
        "--model",
        "register",
        "--html",
        link.to_str().unwrap(),
        "--force",
    ]);
    assert_exit(&out, 2);
    assert_eq!(std::fs::read(&h).unwrap(), before);
    // Any other existing file: refused without --force, replaced with it.
    let page = t.path().join("page.html");
    std::fs::write(&page, "mine").unwrap();
    let ps = page.to_str().unwrap();
    let out = run(&["history", "check", hs, "--model", "register", "--html", ps]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("pass --force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "mine");
    let out = run(&[
        "history", "check", hs, "--model", "register", "--html", ps, "--force",
    ]);
    assert_exit(&out, 0);
    assert!(std::fs::read_to_string(&page)
        .unwrap()
        .starts_with("<!DOCTYPE html>"));
}

// ------------------------------------------------------------------ 11. FIFOs and devices

/// Run dstplan with a deadline: a hang is a test failure, not a stuck suite.
fn run_bounded(args: &[&str]) -> std::process::Output {
    let mut child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("dstplan {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn fifos_devices_and_directories_are_refused_not_read() {
    let t = tempfile::tempdir().unwrap();
    let fifo = t.path().join("h.fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let mut cases: Vec<(String, &str)> = vec![
        ("/dev/zero".into(), "character device"),
        (t.path().display().to_string(), "a directory"),
    ];
    if require(made, "mkfifo (coreutils)") {
        cases.push((fifo.display().to_string(), "FIFO"));
    }
    for (path, what) in &cases {
        for args in [
            vec!["history", "validate", path.as_str()],
            vec!["history", "check", path.as_str(), "--model", "register"],
        ] {
            let out = run_bounded(&args);
            assert_exit(&out, 2);
            let err = stderr(&out);
            assert!(
                err.contains(path.as_str()) && err.contains(what),
                "{args:?}: {err}"
            );
            assert!(err.contains("regular file"), "{err}");
        }
    }
}

// ------------------------------------------------------------------ 14. byte order mark

#[test]
fn a_byte_order_mark_at_the_start_of_a_history_is_ignored() {
    let t = tempfile::tempdir().unwrap();
    let h = t.path().join("h.jsonl");
    let body = line(
        1,
        0,
        0,
        Some(10),
        "read",
        json!("x"),
        Value::Null,
        Value::Null,
    );
    std::fs::write(&h, format!("\u{feff}{body}\n")).unwrap();
    let out = run(&["history", "validate", h.to_str().unwrap()]);
    assert_exit(&out, 0);
    // Only at the start: a BOM inside the file is malformed JSON on its line.
    std::fs::write(&h, format!("{body}\n\u{feff}{body}\n")).unwrap();
    let out = run(&["history", "validate", h.to_str().unwrap()]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("h.jsonl:2:"), "{}", stderr(&out));
}

// ------------------------------------------------------------------ 15. messages

#[test]
fn messages_say_what_where_and_how_to_fix() {
    let t = tempfile::tempdir().unwrap();
    let n = Value::Null;
    // A failed op without complete_ts: one story, "failed", in every note.
    let mut failed: Value =
        serde_json::from_str(&call(2, 1, 5, None, "write", json!("x"), json!(2))).unwrap();
    failed["error"] = json!("rejected");
    let h = write(
        t.path(),
        "f.jsonl",
        &[
            call(1, 0, 0, Some(10), "write", json!("x"), json!(1)),
            failed.to_string(),
            query(3, 0, 20, Some(30), "read", json!("x"), json!(1)),
        ],
    );
    let (_, v) = check(&h, "register", None);
    let notes = v["diagnostics"].to_string();
    assert!(!notes.contains("indeterminate"), "{notes}");
    assert!(
        notes.contains("treated as failed") && notes.contains("line 2"),
        "{notes}"
    );
    assert!(notes.contains("1 failed op(s) dropped"), "{notes}");
    // op_id: too large, and negative.
    let good = line(1, 0, 0, Some(10), "read", json!("x"), n.clone(), n.clone());
    let cases = [
        (
            "\"op_id\":123456789012345678901234567890",
            "too large for a 64-bit integer",
        ),
        ("\"op_id\":-1", "got -1, a negative integer"),
    ];
    for (id, want) in cases {
        let p = t.path().join("id.jsonl");
        std::fs::write(&p, good.replace("\"op_id\":1", id) + "\n").unwrap();
        let out = run(&["history", "validate", p.to_str().unwrap()]);
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(err.contains("id.jsonl:1: ") && err.contains(want), "{err}");
        assert!(err.contains("string"), "says how to fix: {err}");
        assert!(
            !err.contains("fractional") && !err.contains("got an integer"),
            "{err}"
        );
    }
}

/// A FIFO in place of a plan, a finding, a cited history or report.md never hangs a command.
#[test]
fn fifos_in_a_session_or_as_a_plan_are_refused_not_read() {
    let made = Command::new("mkfifo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !require(made, "mkfifo (coreutils)") {
        return;
    }
    let mkfifo = |p: &Path| {
        let _ = std::fs::remove_file(p);
        assert!(Command::new("mkfifo").arg(p).status().unwrap().success());
    };
    let fresh = || {
        let t = tempfile::tempdir().unwrap();
        copy_dir(&fixture("report-plans"), &t.path().join("report-plans"));
        let s = t.path().join("sessions/clean");
        copy_dir(&fixture("sessions/clean"), &s);
        (t, s)
    };
    // The plan, through lint and through report.
    let (t, s) = fresh();
    let plan = t.path().join("report-plans/mini-kv.md");
    mkfifo(&plan);
    let out = run_bounded(&["lint", plan.to_str().unwrap()]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("FIFO"), "{}", stderr(&out));
    let out = run_bounded(&["report", s.to_str().unwrap(), "--check"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("FIFO"), "{}", stderr(&out));
    // A finding: exit 2 naming it (not "no finding", not a hang).
    let (_t, s) = fresh();
    mkfifo(&s.join("findings/S2.md"));
    let out = run_bounded(&["report", s.to_str().unwrap(), "--check"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("S2.md") && stderr(&out).contains("FIFO"),
        "{}",
        stderr(&out)
    );
    // A cited history: not re-checked, and the report says why (whether a PASS citing it
    // may still pass `--check` is the report's rule, issue 17 item 4).
    let (_t, s) = fresh();
    mkfifo(&s.join("artifacts/S1/history.jsonl"));
    let out = run_bounded(&["report", s.to_str().unwrap(), "--check", "--format", "json"]);
    assert!(code(&out) <= 2, "{out:?}");
    assert!(
        stdout(&out).contains("not re-checked") && stdout(&out).contains("FIFO"),
        "{}",
        stdout(&out)
    );
    // A finding that is a symbolic link to a regular file is read, not reported missing.
    let (t, s) = fresh();
    let real = t.path().join("S2-real.md");
    std::fs::rename(s.join("findings/S2.md"), &real).unwrap();
    std::os::unix::fs::symlink(&real, s.join("findings/S2.md")).unwrap();
    let out = run_bounded(&["report", s.to_str().unwrap(), "--check"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("S2             PASS-smoke"),
        "{}",
        stdout(&out)
    );
    // report.md: the report is written (the FIFO replaced), nothing hangs.
    let (_t, s) = fresh();
    mkfifo(&s.join("findings/report.md"));
    let out = run_bounded(&["report", s.to_str().unwrap()]);
    assert!(code(&out) <= 1, "{out:?}");
    assert!(std::fs::metadata(s.join("findings/report.md"))
        .unwrap()
        .is_file());
}

/// The checkers share one real-time rule, so on random counter histories full of equal
/// timestamps a `final-state-invariant` violation always comes with a `linearizability`
/// violation (the final read's value must come out of some linearization; if no subset of the
/// uncertain incs explains it, no linearization does). Library calls, not the CLI: 3,000
/// histories.
#[test]
fn final_state_never_flags_a_counter_history_linearizability_accepts() {
    use dstplan::history::{check_history, record, Outcome};
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut flagged = 0;
    for case in 0..3000 {
        let n = 2 + next(4);
        let mut lines = Vec::new();
        for id in 0..n {
            let p = id; // one op per process: any overlap is allowed
            let inv = next(5) as i64;
            let comp = inv + next(3) as i64;
            let is_read = id == n - 1 || next(3) == 0;
            let indet = !is_read && next(4) == 0;
            let (ty, input, output) = if is_read {
                ("read", Value::Null, json!(next(4) as i64 * 2))
            } else {
                ("inc", json!(2), Value::Null)
            };
            let mut v: Value =
                serde_json::from_str(&line(id, p, inv, Some(comp), ty, json!("c"), input, output))
                    .unwrap();
            if indet {
                v["complete_ts"] = Value::Null;
                v["timeout_marker"] = json!(true);
            }
            lines.push(v.to_string());
        }
        let text = lines.join("\n");
        let h = record::read("h", text.as_bytes()).unwrap();
        let run = |checker| {
            check_history(
                &h,
                vec![],
                "counter",
                Some(checker),
                Duration::from_secs(5),
                Instant::now(),
            )
            .unwrap()
            .outcome
        };
        let fsi = run("final-state-invariant");
        if fsi == Outcome::Violation {
            flagged += 1;
            assert_eq!(
                run("linearizability"),
                Outcome::Violation,
                "case {case}:\n{text}"
            );
        }
    }
    assert!(
        flagged > 100,
        "the generator must produce violations ({flagged})"
    );
}
