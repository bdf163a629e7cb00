//! `dstplan history check --checker session-consistency` (register, map) and `--checker
//! exclusion` (lock, lease) through the binary: one hand-made history per guarantee, broken
//! and kept, plus the cases where a weaker-than-linearizable store is rightly accepted and
//! input errors.

mod common;
use common::*;

use serde_json::{json, Value};

#[allow(clippy::too_many_arguments)]
fn op(
    id: u64,
    p: u64,
    inv: i64,
    comp: Option<i64>,
    ty: &str,
    key: Value,
    input: Value,
    output: Value,
) -> Value {
    history_op(
        id,
        p,
        inv,
        comp,
        ty,
        key,
        input,
        output,
        None,
        comp.is_none(),
    )
}

fn w(id: u64, p: u64, t: i64, key: &str, v: Value) -> Value {
    op(id, p, t, Some(t + 1), "write", json!(key), v, Value::Null)
}

fn r(id: u64, p: u64, t: i64, key: &str, v: Value) -> Value {
    op(id, p, t, Some(t + 1), "read", json!(key), Value::Null, v)
}

/// Run `history check` and return (exit code, JSON).
fn check(model: &str, checker: &str, lines: &[Value]) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap();
    let f = write_jsonl(&dir.path().join("h.jsonl"), lines);
    let o = run(&[
        "history",
        "check",
        f.to_str().unwrap(),
        "--model",
        model,
        "--checker",
        checker,
        "--format",
        "json",
    ]);
    let mut v: Value = serde_json::from_str(&stdout(&o)).unwrap_or(json!({}));
    v["output"] = json!(format!("{}{}", stdout(&o), stderr(&o)));
    (code(&o), v)
}

#[track_caller]
fn broken(model: &str, checker: &str, lines: &[Value], what: &str, ops: &[&str]) {
    let (c, v) = check(model, checker, lines);
    assert_eq!(c, 1, "{v}");
    let ev = v["evidence"].as_str().unwrap();
    assert!(ev.contains(what), "{ev}");
    assert_eq!(v["witness"]["ops"], json!(ops), "{v}");
}

#[test]
fn read_your_writes() {
    broken(
        "register",
        "session-consistency",
        &[w(1, 0, 0, "x", json!(1)), r(2, 0, 10, "x", json!(null))],
        "read-your-writes",
        &["1", "2"],
    );
    // Its own older write after a newer one.
    broken(
        "register",
        "session-consistency",
        &[
            w(1, 0, 0, "x", json!(1)),
            w(2, 0, 10, "x", json!(2)),
            r(3, 0, 20, "x", json!(1)),
        ],
        "read-your-writes",
        &["2", "3"],
    );
    // Another session's value may come after: no violation.
    let (c, v) = check(
        "register",
        "session-consistency",
        &[
            w(1, 0, 0, "x", json!(1)),
            w(2, 1, 5, "x", json!(2)),
            r(3, 0, 20, "x", json!(2)),
        ],
    );
    assert_eq!(c, 0, "{v}");
}

#[test]
fn monotonic_reads_and_writes() {
    broken(
        "register",
        "session-consistency",
        &[
            w(1, 1, 0, "x", json!(1)),
            r(2, 0, 10, "x", json!(1)),
            r(3, 0, 20, "x", json!(null)),
        ],
        "monotonic-reads",
        &["1", "2", "3"],
    );
    broken(
        "register",
        "session-consistency",
        &[
            w(1, 1, 0, "x", json!(1)),
            w(2, 1, 10, "x", json!(2)),
            r(3, 0, 20, "x", json!(2)),
            r(4, 0, 30, "x", json!(1)),
        ],
        "monotonic-writes",
        &["1", "2", "3", "4"],
    );
    // A read of a third writer's value in between does not hide the step back.
    broken(
        "register",
        "session-consistency",
        &[
            w(1, 1, 0, "x", json!(1)),
            w(2, 1, 10, "x", json!(2)),
            w(3, 2, 12, "x", json!(3)),
            r(4, 0, 20, "x", json!(2)),
            r(5, 0, 30, "x", json!(3)),
            r(6, 0, 40, "x", json!(1)),
        ],
        "monotonic-writes",
        &["1", "2", "4", "6"],
    );
}

#[test]
fn writes_follow_reads() {
    // Process 1 read x = 1 and then wrote y = 5; process 0 saw y = 5 and then x as never
    // written.
    broken(
        "register",
        "session-consistency",
        &[
            w(1, 2, 0, "x", json!(1)),
            r(2, 1, 10, "x", json!(1)),
            w(3, 1, 20, "y", json!(5)),
            r(4, 0, 30, "y", json!(5)),
            r(5, 0, 40, "x", json!(null)),
        ],
        "writes-follow-reads",
        &["2", "4", "5"],
    );
}

#[test]
fn stale_reads_across_sessions_are_allowed() {
    // Not linearizable (a read after the write completed misses it) but no session broke a
    // guarantee: session consistency is weaker.
    let h = [
        w(1, 0, 0, "x", json!(1)),
        r(2, 1, 10, "x", json!(null)),
        r(3, 1, 20, "x", json!(1)),
        op(4, 2, 30, None, "write", json!("x"), json!(2), Value::Null),
        r(5, 1, 40, "x", json!(2)),
    ];
    let (c, v) = check("register", "session-consistency", &h);
    assert_eq!(c, 0, "{v}");
    let notes = v["diagnostics"].to_string();
    for g in [
        "read-your-writes: held",
        "monotonic-reads: held",
        "monotonic-writes: held",
        "writes-follow-reads: held",
    ] {
        assert!(notes.contains(g), "{notes}");
    }
    let (c, _) = check("register", "linearizability", &h);
    assert_eq!(c, 1);
}

#[test]
fn map_get_put_and_input_errors() {
    let get =
        |id, p, t, k: &str, v: Value| op(id, p, t, Some(t + 1), "get", json!(k), json!(null), v);
    let put =
        |id, p, t, k: &str, v: Value| op(id, p, t, Some(t + 1), "put", json!(k), v, json!(null));
    broken(
        "map",
        "session-consistency",
        &[put(1, 0, 0, "k", json!("a")), get(2, 0, 10, "k", json!(""))],
        "read-your-writes",
        &["1", "2"],
    );
    let (c, v) = check(
        "map",
        "session-consistency",
        &[op(
            1,
            0,
            0,
            Some(1),
            "append",
            json!("k"),
            json!("a"),
            json!(null),
        )],
    );
    assert_eq!(c, 2);
    assert!(
        v["output"].as_str().unwrap().contains("checks get and put"),
        "{v}"
    );
    let (c, v) = check(
        "register",
        "session-consistency",
        &[w(1, 0, 0, "x", json!(1)), w(2, 1, 0, "x", json!(1))],
    );
    assert_eq!(c, 2);
    assert!(
        v["error"]["line"] == 2
            && v["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("op 2: value 1 is written to key x twice"),
        "{v}"
    );
}

fn lk(id: u64, p: u64, inv: i64, comp: i64, ty: &str, input: Value, output: Value) -> Value {
    op(id, p, inv, Some(comp), ty, json!("L"), input, output)
}

#[test]
fn two_lock_holders_that_certainly_overlap_break_exclusion() {
    broken(
        "lock",
        "exclusion",
        &[
            lk(1, 0, 0, 1, "acquire", json!(null), json!(true)),
            lk(2, 1, 5, 6, "acquire", json!(null), json!(true)),
            lk(3, 0, 10, 11, "release", json!(null), json!(true)),
        ],
        "two holders overlap",
        &["1", "2"],
    );
    // Never released: the first holder holds to the end.
    broken(
        "lock",
        "exclusion",
        &[
            lk(1, 0, 0, 1, "acquire", json!(null), json!(true)),
            lk(2, 1, 50, 60, "acquire", json!(null), json!(true)),
        ],
        "two holders overlap",
        &["1", "2"],
    );
    // Released before; and a grant that may have come after a concurrent release.
    for h in [
        vec![
            lk(1, 0, 0, 1, "acquire", json!(null), json!(true)),
            lk(2, 0, 3, 4, "release", json!(null), json!(true)),
            lk(3, 1, 5, 6, "acquire", json!(null), json!(true)),
        ],
        vec![
            lk(1, 0, 0, 10, "acquire", json!(null), json!(true)),
            lk(2, 0, 11, 12, "release", json!(null), json!(true)),
            lk(3, 1, 5, 15, "acquire", json!(null), json!(true)),
        ],
        // An indeterminate acquire proves no hold.
        vec![
            op(
                1,
                0,
                0,
                None,
                "acquire",
                json!("L"),
                json!(null),
                json!(null),
            ),
            lk(2, 1, 5, 6, "acquire", json!(null), json!(true)),
        ],
        // A release answered false: the hold ended at some unknown time before it.
        vec![
            lk(1, 0, 0, 1, "acquire", json!(null), json!(true)),
            lk(2, 1, 5, 6, "acquire", json!(null), json!(true)),
            lk(3, 0, 10, 11, "release", json!(null), json!(false)),
        ],
        // A refused acquire holds nothing.
        vec![
            lk(1, 0, 0, 1, "acquire", json!(null), json!(true)),
            lk(2, 1, 5, 6, "acquire", json!(null), json!(false)),
        ],
    ] {
        let (c, v) = check("lock", "exclusion", &h);
        assert_eq!(c, 0, "{v}");
    }
}

#[test]
fn leases_end_at_their_earliest_expiry_and_renewals_extend_them() {
    let acq = |id, p, t, ttl| lk(id, p, t, t + 1, "acquire", json!({"ttl": ttl}), json!(true));
    let (c, v) = check("lease", "exclusion", &[acq(1, 0, 0, 10), acq(2, 1, 20, 10)]);
    assert_eq!(c, 0, "{v}");
    broken(
        "lease",
        "exclusion",
        &[acq(1, 0, 0, 10), acq(2, 1, 5, 10)],
        "two holders overlap",
        &["1", "2"],
    );
    broken(
        "lease",
        "exclusion",
        &[
            acq(1, 0, 0, 10),
            lk(2, 0, 8, 9, "renew", json!({"ttl": 10}), json!(true)),
            acq(3, 1, 12, 10),
        ],
        "two holders overlap",
        &["1", "3"],
    );
    let (c, v) = check(
        "lease",
        "exclusion",
        &[lk(1, 0, 0, 1, "acquire", json!(null), json!(true))],
    );
    assert_eq!(c, 2);
    assert!(
        v["output"]
            .as_str()
            .unwrap()
            .contains("needs input {\\\"ttl\\\": N}"),
        "{v}"
    );
}

#[test]
fn fencing_tokens_must_grow_and_stale_writes_be_rejected() {
    broken(
        "lock",
        "exclusion",
        &[
            lk(1, 0, 0, 1, "acquire", json!(null), json!(5)),
            lk(2, 0, 2, 3, "release", json!(null), json!(true)),
            lk(3, 1, 10, 11, "acquire", json!(null), json!(4)),
        ],
        "fencing token did not increase",
        &["1", "3"],
    );
    let write = |id, p, t, tok, ok| {
        lk(
            id,
            p,
            t,
            t + 1,
            "write",
            json!({"token": tok, "value": id}),
            json!(ok),
        )
    };
    broken(
        "lock",
        "exclusion",
        &[write(1, 0, 0, 6, true), write(2, 1, 5, 5, true)],
        "write with an older fencing token accepted",
        &["1", "2"],
    );
    for h in [
        vec![write(1, 0, 0, 6, true), write(2, 1, 5, 5, false)],
        // Concurrent: the older token may have arrived first.
        vec![write(1, 0, 0, 6, true), write(2, 1, 0, 5, true)],
    ] {
        let (c, v) = check("lock", "exclusion", &h);
        assert_eq!(c, 0, "{v}");
    }
}

#[test]
fn text_output_goldens() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &str, Vec<Value>); 2] = [
        (
            "session-wfr",
            "register",
            "session-consistency",
            vec![
                w(1, 2, 0, "x", json!(1)),
                r(2, 1, 10, "x", json!(1)),
                w(3, 1, 20, "y", json!(5)),
                r(4, 0, 30, "y", json!(5)),
                r(5, 0, 40, "x", json!(null)),
            ],
        ),
        (
            "lease-overlap",
            "lease",
            "exclusion",
            vec![
                lk(1, 0, 0, 1, "acquire", json!({"ttl": 10}), json!(7)),
                lk(2, 1, 5, 6, "acquire", json!({"ttl": 10}), json!(8)),
            ],
        ),
    ];
    let re = regex::Regex::new(r"[0-9,]+ ms").unwrap();
    for (name, model, checker, lines) in cases {
        let f = dir.path().join(format!("{name}.jsonl"));
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&f, text).unwrap();
        let o = run_in(
            dir.path(),
            &[
                "history",
                "check",
                &format!("{name}.jsonl"),
                "--model",
                model,
                "--checker",
                checker,
            ],
        );
        assert_exit(&o, 1);
        let out = re.replace_all(&stdout(&o), "<ms>").into_owned();
        golden(
            &root().join(format!("tests/golden/history_session/{name}.txt")),
            &out,
        );
    }
}

/// Histories of a simulated linearizable register or map (unique values, timeouts, failures)
/// keep every session guarantee (linearizability implies them); one read turned back to the
/// initial state after its process saw a write breaks one.
#[test]
fn linearizable_histories_keep_every_session_guarantee() {
    use dstplan::history::sim::{simulate, to_jsonl, Rng, SimConfig, SimModel};
    let dir = tempfile::tempdir().unwrap();
    let mut injected = 0;
    for seed in 0..30u64 {
        let mut rng = Rng::new(seed);
        let model = if seed % 2 == 0 {
            SimModel::Register
        } else {
            SimModel::Map
        };
        let cfg = SimConfig {
            model,
            ops: 50 + rng.below(250) as usize,
            processes: 1 + rng.below(6) as usize,
            keys: 1 + rng.below(3) as usize,
            seed,
            indeterminate: [0.0, 0.05][rng.below(2) as usize],
            failed: [0.0, 0.05][rng.below(2) as usize],
            cas: model == SimModel::Register && rng.chance(0.5),
            values: 0,
        };
        let mut text = String::new();
        to_jsonl(model, &simulate(&cfg), &mut text);
        let f = dir.path().join(format!("{seed}.jsonl"));
        std::fs::write(&f, &text).unwrap();
        let name = if model == SimModel::Register {
            "register"
        } else {
            "map"
        };
        let o = run(&[
            "history",
            "check",
            f.to_str().unwrap(),
            "--model",
            name,
            "--checker",
            "session-consistency",
        ]);
        assert_exit(&o, 0);
        // Injected: a later read of a key by a process that already saw it written now
        // returns the initial state (null, or "" on a map): a step back for certain.
        let mut ops: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        ops.sort_by_key(|o| o["invoke_ts"].as_i64().unwrap());
        let ok = |o: &Value| o["error"].is_null() && !o["complete_ts"].is_null();
        let read_ty = if name == "map" { "get" } else { "read" };
        let initial = if name == "map" {
            json!("")
        } else {
            json!(null)
        };
        let target = (0..ops.len()).find_map(|i| {
            let a = &ops[i];
            let saw = ok(a) && a["op_type"] == read_ty && a["output"] != initial;
            if !saw {
                return None;
            }
            (i + 1..ops.len()).find(|&j| {
                let b = &ops[j];
                ok(b)
                    && b["op_type"] == read_ty
                    && b["process_id"] == a["process_id"]
                    && b["key"] == a["key"]
            })
        });
        let Some(j) = target else { continue };
        ops[j]["output"] = initial;
        let text: String = ops.iter().map(|o| format!("{o}\n")).collect();
        std::fs::write(&f, &text).unwrap();
        let o = run(&[
            "history",
            "check",
            f.to_str().unwrap(),
            "--model",
            name,
            "--checker",
            "session-consistency",
        ]);
        assert_exit(&o, 1);
        injected += 1;
    }
    assert!(injected >= 10, "only {injected} injections");
}

/// A simulated lock (or lease) service that is correct by construction: holds follow one
/// another with gaps, each grant carries a larger fencing token, the holder writes with its
/// token; some acquires lose their answer (the process then continues under a new id). Such
/// histories pass `exclusion`; each injected fault (a release dropped, tokens swapped, a stale
/// write accepted) must be caught.
#[test]
fn simulated_lock_services_pass_and_injected_faults_are_caught() {
    use dstplan::history::sim::Rng;
    let dir = tempfile::tempdir().unwrap();
    let mut caught = [0usize; 3];
    for seed in 0..24u64 {
        let lease = seed % 2 == 1;
        let model = if lease { "lease" } else { "lock" };
        let mut rng = Rng::new(seed);
        let procs = 2 + rng.below(4);
        let mut gen = vec![0u64; procs as usize];
        let mut ops: Vec<Value> = Vec::new();
        let mut id = 0u64;
        let mut next = |ops: &mut Vec<Value>,
                        p: String,
                        inv: i64,
                        comp: Option<i64>,
                        ty: &str,
                        input: Value,
                        output: Value| {
            id += 1;
            ops.push(
                json!({"op_id": id, "process_id": p, "invoke_ts": inv, "complete_ts": comp,
                "op_type": ty, "key": "L", "input": input, "output": output, "error": null,
                "timeout_marker": comp.is_none(), "node_seen": null, "fault_epoch": null}),
            );
            ops.len() - 1
        };
        // (acquire index, release index, write index) per hold
        let mut holds: Vec<(usize, Option<usize>, usize)> = Vec::new();
        let mut free = 0i64;
        for i in 0..20u64 {
            let p = (i % procs) as usize;
            let g = free + 6 + rng.below(10) as i64;
            let len = 12 + rng.below(20) as i64;
            let f = g + len;
            let lead = rng.below(5) as i64;
            let lag = rng.below(5) as i64;
            let name = |gen: &[u64]| format!("p{p}-{}", gen[p]);
            let ttl = json!({"ttl": len + 30});
            let input = if lease { ttl.clone() } else { json!(null) };
            let token = json!(i + 1);
            let lost = rng.chance(0.1);
            let a = if lost {
                next(
                    &mut ops,
                    name(&gen),
                    g - lead,
                    None,
                    "acquire",
                    input,
                    json!(null),
                )
            } else {
                next(
                    &mut ops,
                    name(&gen),
                    g - lead,
                    Some(g + lag),
                    "acquire",
                    input,
                    token.clone(),
                )
            };
            if lost {
                gen[p] += 1;
            }
            let wt = g + lag + 1;
            let w = next(
                &mut ops,
                name(&gen),
                wt,
                Some(wt + 1),
                "write",
                json!({"token": i + 1, "value": i}),
                json!(true),
            );
            let r = next(
                &mut ops,
                name(&gen),
                f - rng.below(3) as i64,
                Some(f + rng.below(5) as i64),
                "release",
                json!(null),
                json!(true),
            );
            holds.push((a, (!lost).then_some(r), w));
            free = f;
        }
        let check = |ops: &[Value]| -> (i32, String) {
            let f = dir.path().join(format!("{seed}.jsonl"));
            let text: String = ops.iter().map(|o| format!("{o}\n")).collect();
            std::fs::write(&f, text).unwrap();
            let o = run(&[
                "history",
                "check",
                f.to_str().unwrap(),
                "--model",
                model,
                "--format",
                "json",
            ]);
            (code(&o), format!("{}{}", stdout(&o), stderr(&o)))
        };
        let (c, out) = check(&ops);
        assert_eq!(c, 0, "seed {seed}: {out}");
        // A certain hold (acquire answered) whose release is dropped: on a lock it never ends,
        // so the next grant overlaps it. (On a lease it expires: no fault.)
        if let (false, Some(k)) = (
            lease,
            (0..19).find(|&k| {
                holds[k].1.is_some() && !ops[holds[k + 1].0]["timeout_marker"].as_bool().unwrap()
            }),
        ) {
            let mut bad = ops.clone();
            let r = holds[k].1.unwrap();
            bad.remove(r);
            let (c, out) = check(&bad);
            assert_eq!(c, 1, "seed {seed}: {out}");
            assert!(out.contains("two holders overlap"), "{out}");
            caught[0] += 1;
        }
        // Tokens of two answered grants swapped.
        let answered: Vec<usize> = holds
            .iter()
            .map(|h| h.0)
            .filter(|&a| !ops[a]["output"].is_null())
            .collect();
        if answered.len() >= 2 {
            let mut bad = ops.clone();
            let (x, y) = (answered[0], answered[1]);
            let t = bad[x]["output"].clone();
            bad[x]["output"] = bad[y]["output"].clone();
            bad[y]["output"] = t;
            let (c, out) = check(&bad);
            assert_eq!(c, 1, "seed {seed}: {out}");
            assert!(out.contains("fencing token did not increase"), "{out}");
            caught[1] += 1;
        }
        // The previous holder writes again with its old token, after the new holder's write
        // was accepted, and the write is accepted.
        let (w0, w1) = (holds[3].2, holds[4].2);
        let mut bad = ops.clone();
        let p_old = bad[w0]["process_id"].clone();
        let at = bad[w1]["complete_ts"].as_i64().unwrap() + 1;
        let tok = bad[w0]["input"]["token"].clone();
        bad.push(json!({"op_id": 10_000, "process_id": p_old, "invoke_ts": at, "complete_ts": at + 1,
            "op_type": "write", "key": "L", "input": {"token": tok, "value": "stale"}, "output": true,
            "error": null, "timeout_marker": false, "node_seen": null, "fault_epoch": null}));
        let (c, out) = check(&bad);
        assert_eq!(c, 1, "seed {seed}: {out}");
        assert!(
            out.contains("write with an older fencing token accepted"),
            "{out}"
        );
        caught[2] += 1;
    }
    assert!(caught.iter().all(|&n| n >= 10), "{caught:?}");
}
