//! `dstplan history record` through the binary: an event stream for every non-transactional
//! model (with an `info` event and a fault window) becomes a history that validates and checks;
//! every broken rule of the stream is exit 2 naming the file and line.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dstplan::fault::log::{self, Event, FaultRecord, Landed};
use serde_json::{json, Value};

/// A fault window [150, 350] (id F1, epoch "F1") in a session directory.
fn session_with_fault(dir: &Path) -> PathBuf {
    let s = dir.join("session");
    let rec = |event, end| FaultRecord {
        version: log::VERSION,
        event,
        id: "F1".into(),
        nemesis: "partition-full".into(),
        scenario: "S5".into(),
        targets: vec!["netns:n1".into()],
        start_ts: 150,
        end_ts: end,
        fault_epoch: "F1".into(),
        commands: vec![],
        probes: BTreeMap::new(),
        user_probes: BTreeMap::new(),
        landed: Landed::Known(true),
        landed_why: "the DROP rule counted packets".into(),
    };
    log::append(&s, &rec(Event::Start, None)).unwrap();
    log::append(&s, &rec(Event::Stop, Some(350))).unwrap();
    s
}

/// One op of a workload: (f, key, invoke value, completion value).
type Step = (&'static str, Value, Value, Value);

/// The events of a workload run one op at a time on process 0, every op lasting 50 ns from
/// t = 100 on, plus one op on process 9 that times out (`info`) at the start of the window.
fn events(steps: &[Step], lost: Step) -> String {
    let mut out = Vec::new();
    let (f, k, v, _) = &lost;
    out.push(json!({"type":"invoke","process":9,"f":f,"key":k,"value":v,"time":90}));
    for (i, (f, k, v, r)) in steps.iter().enumerate() {
        let t = 100 + 100 * i as i64;
        out.push(json!({"type":"invoke","process":0,"f":f,"key":k,"value":v,"time":t}));
        out.push(json!({"type":"ok","process":0,"f":f,"key":k,"value":r,"time":t + 50}));
        if i == 0 {
            out.push(json!({"type":"info","process":9,"f":lost.0,"time":t + 60,"error":"timeout"}));
        }
    }
    out.iter().map(|v| v.to_string() + "\n").collect()
}

fn workloads() -> Vec<(&'static str, Vec<Step>, Step)> {
    let n = Value::Null;
    vec![
        (
            "register",
            vec![
                ("write", json!("x"), json!(1), json!(1)),
                ("read", json!("x"), n.clone(), json!(1)),
                ("cas", json!("x"), json!([1, 2]), json!([1, 2])),
                ("read", json!("x"), n.clone(), json!(7)),
            ],
            ("write", json!("x"), json!(7), n.clone()),
        ),
        (
            "map",
            vec![
                ("put", json!("k"), json!("a"), n.clone()),
                ("append", json!("k"), json!("b"), n.clone()),
                ("get", json!("k"), n.clone(), json!("abc")),
                ("get", json!("other"), n.clone(), n.clone()),
            ],
            ("append", json!("k"), json!("c"), n.clone()),
        ),
        (
            "queue",
            vec![
                ("enqueue", json!("q"), json!(1), n.clone()),
                ("dequeue", json!("q"), n.clone(), json!(1)),
                ("dequeue", json!("q"), n.clone(), json!(5)),
            ],
            ("enqueue", json!("q"), json!(5), n.clone()),
        ),
        (
            "counter",
            vec![
                ("inc", json!("c"), json!(2), n.clone()),
                ("read", json!("c"), n.clone(), json!(2)),
                ("read", json!("c"), n.clone(), json!(5)),
            ],
            ("inc", json!("c"), json!(3), n.clone()),
        ),
        (
            "ledger",
            vec![
                (
                    "credit",
                    json!("acct"),
                    json!({"amount": 10, "idem": "a"}),
                    n.clone(),
                ),
                ("balance", json!("acct"), n.clone(), json!(10)),
                ("balance", json!("acct"), n.clone(), json!(15)),
            ],
            (
                "credit",
                json!("acct"),
                json!({"amount": 5, "idem": "b"}),
                n.clone(),
            ),
        ),
        (
            "set",
            vec![
                ("add", json!("s"), json!(1), n.clone()),
                ("read", json!("s"), n.clone(), json!([1])),
                ("read", json!("s"), n.clone(), json!([1, 2])),
            ],
            ("add", json!("s"), json!(2), n.clone()),
        ),
        (
            "log",
            vec![
                ("append", json!("l"), json!("a"), json!(0)),
                ("read", json!("l"), n.clone(), json!(["a"])),
                ("read", json!("l"), n.clone(), json!(["a", "b"])),
            ],
            ("append", json!("l"), json!("b"), n.clone()),
        ),
    ]
}

fn read_history(p: &Path) -> Vec<Value> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn every_model_round_trips_with_an_info_event_and_a_fault_epoch() {
    for (model, steps, lost) in workloads() {
        let t = tempfile::tempdir().unwrap();
        let session = session_with_fault(t.path());
        let ev = t.path().join("events.jsonl");
        std::fs::write(&ev, events(&steps, lost)).unwrap();
        let h = t.path().join("h.jsonl");
        let out = run(&[
            "history",
            "record",
            "--model",
            model,
            "--faults",
            session.to_str().unwrap(),
            "--out",
            h.to_str().unwrap(),
            ev.to_str().unwrap(),
        ]);
        assert_exit(&out, 0);
        let ops = steps.len() + 1;
        assert!(
            stdout(&out).contains(&format!(
                "{ops} ops ({} ok, 0 failed, 1 indeterminate)",
                ops - 1
            )),
            "{model}: {}",
            stdout(&out)
        );
        let lines = read_history(&h);
        assert_eq!(lines.len(), ops, "{model}");
        // The timed-out op: indeterminate, invoked before the window.
        let lostop = &lines[0];
        assert_eq!(lostop["process_id"], 9);
        assert_eq!(lostop["timeout_marker"], true, "{model}");
        assert_eq!(lostop["complete_ts"], Value::Null);
        assert_eq!(lostop["output"], Value::Null);
        assert_eq!(lostop["error"], "timeout");
        assert_eq!(lostop["fault_epoch"], Value::Null);
        // Ops invoked at 100 and 400 are outside [150, 350]; 200 and 300 are inside.
        for (i, l) in lines[1..].iter().enumerate() {
            assert_eq!(l["op_id"], i as u64 + 2, "{model}");
            assert_eq!(l["invoke_ts"], 100 + 100 * i as i64);
            let inside = (1..=2).contains(&i);
            let want = if inside { json!("F1") } else { Value::Null };
            assert_eq!(l["fault_epoch"], want, "{model} op {i}");
            assert_eq!(l["input"], steps[i].2, "{model}");
        }
        assert_exit(&run(&["history", "validate", h.to_str().unwrap()]), 0);
        // The last read is explained only by the timed-out op having taken effect: ok.
        let check = run(&["history", "check", h.to_str().unwrap(), "--model", model]);
        assert_exit(&check, 0);
        // A stream whose last read shows a value nobody wrote is a violation.
        let mut bad = steps.clone();
        let last = bad.len() - 1;
        bad[last].3 = match model {
            "register" => json!(99),
            "map" => json!("zzz"),
            "queue" => json!(99),
            "counter" | "ledger" => json!(99),
            "set" => json!([1, 99]),
            _ => json!(["a", "zz"]),
        };
        std::fs::write(&ev, events(&bad, workloads_lost(model))).unwrap();
        let h2 = t.path().join("bad.jsonl");
        let out = run(&[
            "history",
            "record",
            "--model",
            model,
            "--out",
            h2.to_str().unwrap(),
            ev.to_str().unwrap(),
        ]);
        assert_exit(&out, 0);
        let check = run(&["history", "check", h2.to_str().unwrap(), "--model", model]);
        assert_exit(&check, 1);
    }
}

fn workloads_lost(model: &str) -> Step {
    workloads().into_iter().find(|w| w.0 == model).unwrap().2
}

#[test]
fn stdin_events_without_times_are_stamped_on_the_monotonic_clock() {
    let t = tempfile::tempdir().unwrap();
    let h = t.path().join("h.jsonl");
    let ev = concat!(
        "\u{feff}{\"type\":\"invoke\",\"process\":\"c1\",\"f\":\"write\",\"key\":\"x\",\"value\":1}\n",
        "{\"type\":\"ok\",\"process\":\"c1\",\"f\":\"write\",\"value\":1}\n",
        "{\"type\":\"invoke\",\"process\":\"c1\",\"f\":\"read\",\"key\":\"x\"}\n",
        "{\"type\":\"ok\",\"process\":\"c1\",\"value\":1,\"node\":\"n2\"}\n",
        "{\"type\":\"invoke\",\"process\":\"c2\",\"f\":\"read\",\"key\":\"x\"}\n",
    );
    let before = dstplan::fault::log::now_ns();
    let out = run_with_stdin(
        &["history", "record", "--out", h.to_str().unwrap(), "-"],
        ev.as_bytes(),
    );
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("stamped on reading"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("1 op(s) had no completion"),
        "{}",
        stdout(&out)
    );
    let lines = read_history(&h);
    let t0 = lines[0]["invoke_ts"].as_i64().unwrap();
    assert!(
        t0 >= before,
        "stamped on CLOCK_MONOTONIC after the test started"
    );
    let ts: Vec<i64> = lines
        .iter()
        .flat_map(|l| [l["invoke_ts"].as_i64(), l["complete_ts"].as_i64()])
        .flatten()
        .collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "{ts:?}");
    assert_eq!(lines[1]["node_seen"], "n2");
    assert_eq!(lines[2]["timeout_marker"], true);
    // Without --model the completion's value is the output, as given.
    assert_eq!(lines[0]["output"], 1);
    assert_exit(&run(&["history", "validate", h.to_str().unwrap()]), 0);
    // The output exists now: refused without --force, replaced with it.
    // (stdin is not read: the refusal comes first)
    let again = run(&["history", "record", "--out", h.to_str().unwrap()]);
    assert_exit(&again, 2);
    assert!(
        stderr(&again).contains("pass --force"),
        "{}",
        stderr(&again)
    );
    let again = run_with_stdin(
        &["history", "record", "--force", "--out", h.to_str().unwrap()],
        ev.as_bytes(),
    );
    assert_exit(&again, 0);
}

#[test]
fn broken_streams_are_exit_2_with_file_and_line() {
    let inv = |p: i64, f: &str, t: i64| {
        json!({"type":"invoke","process":p,"f":f,"key":"x","value":1,"time":t}).to_string()
    };
    let done = |kind: &str, p: i64, t: i64| json!({"type":kind,"process":p,"time":t}).to_string();
    let cases: Vec<(Vec<String>, usize, &str)> = vec![
        (
            vec![inv(0, "write", 1), inv(0, "read", 2)],
            2,
            "invokes again while its op 1",
        ),
        (vec![done("ok", 3, 1)], 1, "no outstanding `invoke`"),
        (
            vec![inv(0, "write", 1), done("info", 0, 2), inv(0, "read", 3)],
            3,
            "retired by its `info` event at ev.jsonl:2",
        ),
        (
            vec![inv(0, "write", 1), done("info", 0, 2), done("ok", 0, 3)],
            3,
            "retired",
        ),
        (
            vec![inv(0, "write", 5), done("ok", 0, 2)],
            2,
            "before its invoke",
        ),
        (
            vec![inv(0, "write", 1), done("ok", 0, 5), inv(0, "read", 3)],
            3,
            "before its previous op completed",
        ),
        (
            vec![inv(0, "frobnicate", 1)],
            1,
            "not an operation of model register",
        ),
        (
            vec![inv(0, "write", 1), "{\"type\":\"ok\",\"process\":0}".into()],
            2,
            "give every event a `time` or none",
        ),
        (vec!["{\"type\":\"invoke\",".into()], 1, "malformed JSON"),
        (vec!["[1]".into()], 1, "must be a JSON object"),
        (
            vec!["{\"type\":\"start\",\"process\":0}".into()],
            1,
            "`type` must be",
        ),
        (
            vec!["{\"type\":\"invoke\",\"f\":\"read\"}".into()],
            1,
            "missing `process`",
        ),
        (
            vec!["{\"type\":\"invoke\",\"process\":1.5,\"f\":\"read\"}".into()],
            1,
            "`process` must be",
        ),
        (
            vec![
                inv(0, "write", 1),
                json!({"type":"ok","process":0,"f":"read","time":2}).to_string(),
            ],
            2,
            "differs from the invoke's \"write\"",
        ),
    ];
    for (lines, line, want) in cases {
        let t = tempfile::tempdir().unwrap();
        let ev = t.path().join("ev.jsonl");
        std::fs::write(&ev, lines.join("\n") + "\n").unwrap();
        let h = t.path().join("h.jsonl");
        let out = run_in(
            t.path(),
            &[
                "history", "record", "--model", "register", "--out", "h.jsonl", "ev.jsonl",
            ],
        );
        assert_exit(&out, 2);
        let err = stderr(&out);
        assert!(
            err.contains(&format!("ev.jsonl:{line}: ")),
            "{lines:?}: {err}"
        );
        assert!(err.contains(want), "{lines:?}: {err}");
        assert!(!h.exists(), "nothing written on an input error");
    }
    // A device that never ends a line, and a directory: refused, not read forever.
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("h.jsonl");
    for (input, want) in [
        ("/dev/zero", "line longer than"),
        ("/tmp", "is a directory"),
    ] {
        let o = run(&["history", "record", "--out", out.to_str().unwrap(), input]);
        assert_exit(&o, 2);
        assert!(stderr(&o).contains(want), "{input}: {}", stderr(&o));
        assert!(!out.exists());
    }
    // A missing session directory for --faults.
    let t = tempfile::tempdir().unwrap();
    let out = run_with_stdin(
        &[
            "history",
            "record",
            "--faults",
            "/nonexistent-session",
            "--out",
            t.path().join("h").to_str().unwrap(),
        ],
        b"",
    );
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("session directory"),
        "{}",
        stderr(&out)
    );
}

/// Run an asset's `--demo`, pipe its stdout through `history record` then `history check`.
fn demo_through_record(interpreter: &str, asset: &str) -> Vec<Value> {
    let script = root()
        .join("skills/executing-distributed-system-tests/assets")
        .join(asset);
    let demo = std::process::Command::new(interpreter)
        .arg(&script)
        .arg("--demo")
        .output()
        .expect("run the demo");
    assert!(
        demo.status.success(),
        "{asset}: {}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let t = tempfile::tempdir().unwrap();
    let h = t.path().join("h.jsonl");
    let out = run_with_stdin(
        &[
            "history",
            "record",
            "--model",
            "register",
            "--out",
            h.to_str().unwrap(),
        ],
        &demo.stdout,
    );
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("1 indeterminate"),
        "{asset}: {}",
        stdout(&out)
    );
    let check = run(&[
        "history",
        "check",
        h.to_str().unwrap(),
        "--model",
        "register",
    ]);
    assert_exit(&check, 0);
    read_history(&h)
}

#[test]
fn the_execute_skills_event_helpers_print_streams_record_accepts() {
    for (interpreter, asset) in [("python3", "events.py"), ("bash", "events.sh")] {
        let have = std::process::Command::new(interpreter)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !require(have, interpreter) {
            continue;
        }
        let ops = demo_through_record(interpreter, asset);
        // The timed-out op is indeterminate and its process never issues another op.
        let lost = ops.iter().find(|o| o["timeout_marker"] == true).unwrap();
        let later = ops
            .iter()
            .filter(|o| o["process_id"] == lost["process_id"] && o["op_id"] != lost["op_id"])
            .filter(|o| o["invoke_ts"].as_i64() > lost["invoke_ts"].as_i64())
            .count();
        assert_eq!(later, 0, "{asset}: the process id changes after a timeout");
        assert!(
            lost["error"].as_str().unwrap().starts_with("timeout after"),
            "{asset}: {lost}"
        );
        // The timed-out write did land: a later read returns its value.
        assert!(
            ops.iter()
                .any(|o| o["op_type"] == "read" && o["output"] == lost["input"]),
            "{asset}: the demo's late write is read back"
        );
    }
}

/// A fault started while the recorder is already reading a live stream still gives the ops
/// invoked inside its window their fault_epoch (the fault log is read when the stream ends).
#[test]
fn a_fault_started_during_a_live_recording_marks_its_ops() {
    use std::io::Write;
    let t = tempfile::tempdir().unwrap();
    let session = t.path().join("session");
    std::fs::create_dir_all(&session).unwrap();
    let h = t.path().join("h.jsonl");
    let mut child = bin()
        .args(["history", "record", "--model", "register", "--faults"])
        .arg(&session)
        .arg("--out")
        .arg(&h)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let op = |stdin: &mut std::process::ChildStdin, p: u32| {
        let inv = json!({"type":"invoke","process":p,"f":"write","key":"x","value":p,"time":log::now_ns()});
        let ok = json!({"type":"ok","process":p,"time":log::now_ns()});
        writeln!(stdin, "{inv}\n{ok}").unwrap();
        stdin.flush().unwrap();
    };
    op(&mut stdin, 1);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let start = log::now_ns();
    log::append(
        &session,
        &FaultRecord {
            version: log::VERSION,
            event: Event::Start,
            id: "F7".into(),
            nemesis: "leader-isolation".into(),
            scenario: "S5".into(),
            targets: vec!["netns:n1".into()],
            start_ts: start,
            end_ts: None,
            fault_epoch: "F7".into(),
            commands: vec![],
            probes: BTreeMap::new(),
            user_probes: BTreeMap::new(),
            landed: Landed::Known(true),
            landed_why: String::new(),
        },
    )
    .unwrap();
    op(&mut stdin, 2);
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 0);
    let lines = read_history(&h);
    assert_eq!(
        lines[0]["fault_epoch"],
        Value::Null,
        "invoked before the fault"
    );
    assert_eq!(
        lines[1]["fault_epoch"], "F7",
        "invoked inside the active fault"
    );
}

/// events.sh passes JSON output through and quotes anything else, so the stream stays JSON.
#[test]
fn events_sh_quotes_output_that_is_not_json() {
    let have = std::process::Command::new("bash")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !require(have, "bash") {
        return;
    }
    let script = root().join("skills/executing-distributed-system-tests/assets/events.sh");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}'; new_process p; op p read '\"x\"' null 1 printf 'say \"hi\"\\\\n'; op p read '\"x\"' null 1 echo '[1, 2]'; op p read '\"x\"' null 1 echo 7",
            script.display()
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let values: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .filter(|v| v["type"] == "ok")
        .map(|v| v["value"].clone())
        .collect();
    assert_eq!(values, [json!("say \"hi\"\\n"), json!([1, 2]), json!(7)]);
}

/// Random event streams (any order of invoke/ok/fail/info on a few processes, times that may go
/// back, odd fields) either record into a history that reads back valid, or are an input error
/// with a line: never an internal error, never a panic.
#[test]
fn random_streams_record_valid_histories_or_input_errors() {
    use dstplan::error::Class;
    use dstplan::history::events::Recorder;
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..5000 {
        let mut text = String::new();
        let mut t = 0i64;
        let mut pending = [false; 3];
        for _ in 0..(1 + next(12)) {
            let p = next(3);
            // Mostly well-formed (a completion for a pending process, an invoke otherwise),
            // sometimes not.
            let kind = match (pending[p as usize], next(10)) {
                (_, 0) => ["invoke", "ok", "fail", "info"][next(4) as usize],
                (true, _) => ["ok", "ok", "fail", "info"][next(4) as usize],
                (false, _) => "invoke",
            };
            pending[p as usize] = kind == "invoke";
            t += next(8) as i64 - 1; // sometimes back in time
            let mut ev = json!({"type": kind, "process": p, "time": t});
            if kind == "invoke" || next(2) == 0 {
                ev["f"] = json!(["read", "write", "cas"][next(3) as usize]);
            }
            match next(4) {
                0 => ev["key"] = json!(next(2)),
                1 => ev["key"] = json!(next(2).to_string()),
                _ => {}
            }
            if next(2) == 0 {
                ev["value"] = json!(next(3));
            }
            text.push_str(&ev.to_string());
            text.push('\n');
        }
        let mut r = Recorder::new(None).unwrap();
        let result = r
            .feed("ev", text.as_bytes())
            .and_then(|()| r.finish("h.jsonl", &[]));
        match result {
            Ok(rec) => {
                ok += 1;
                let h = dstplan::history::record::read("h.jsonl", rec.text.as_bytes()).unwrap();
                dstplan::history::validate::check(&h).unwrap();
            }
            Err(e) => {
                refused += 1;
                assert_eq!(e.class, Class::Input, "{e}\n{text}");
                assert!(e.line.is_some(), "{e}");
            }
        }
    }
    assert!(ok > 500 && refused > 500, "ok {ok}, refused {refused}");
}
