//! Differential test: the linearizability checker against a brute-force search written from
//! the history format alone, on thousands of small random register histories (reads, writes,
//! cas; ok, failed and indeterminate ops; touching intervals). The brute force tries every
//! order that respects real time (closed intervals: an op precedes another only when it
//! completed strictly before the other was invoked) and every choice of which indeterminate
//! ops took effect. The two must agree on every history, and the checker must decide each.

use std::io::Cursor;
use std::time::{Duration, Instant};

use dstplan::history::sim::Rng;
use dstplan::history::{check_history, record, Outcome};

#[derive(Debug, Clone)]
enum Kind {
    Read(Option<i64>),
    Write(i64),
    Cas(i64, i64, bool),
}

#[derive(Debug, Clone)]
struct Op {
    id: usize,
    process: usize,
    key: &'static str,
    invoke: i64,
    /// `None` for an indeterminate op.
    complete: Option<i64>,
    failed: bool,
    kind: Kind,
}

fn generate(rng: &mut Rng) -> Vec<Op> {
    let processes = 1 + rng.below(3) as usize;
    let keys: &[&'static str] = if rng.below(4) == 0 {
        &["x", "y"]
    } else {
        &["x"]
    };
    let mut ops = Vec::new();
    let mut next_process = processes;
    let mut clock = vec![0i64; processes];
    let total = 2 + rng.below(6) as usize;
    let mut lanes: Vec<usize> = (0..processes).collect();
    for id in 1..=total {
        let lane = rng.below(processes as u64) as usize;
        let invoke = clock[lane] + rng.below(3) as i64;
        let len = rng.below(4) as i64;
        let value = 1 + rng.below(3) as i64;
        let kind = match rng.below(3) {
            0 => Kind::Read(if rng.below(4) == 0 {
                None
            } else {
                Some(1 + rng.below(3) as i64)
            }),
            1 => Kind::Write(value),
            _ => Kind::Cas(1 + rng.below(3) as i64, value, rng.below(2) == 0),
        };
        let indeterminate = rng.below(6) == 0 && !matches!(kind, Kind::Read(_));
        let failed = !indeterminate && rng.below(8) == 0;
        ops.push(Op {
            id,
            process: lanes[lane],
            key: keys[rng.below(keys.len() as u64) as usize],
            invoke,
            complete: (!indeterminate).then_some(invoke + len),
            failed,
            kind,
        });
        if indeterminate {
            // A process that timed out continues under a new id.
            lanes[lane] = next_process;
            next_process += 1;
            clock[lane] = invoke + 1;
        } else {
            clock[lane] = invoke + len + 1;
        }
    }
    ops
}

fn to_jsonl(ops: &[Op]) -> String {
    let mut s = String::new();
    for o in ops {
        let (op_type, input, output) = match &o.kind {
            Kind::Read(v) => (
                "read",
                "null".to_string(),
                v.map_or("null".into(), |v| v.to_string()),
            ),
            Kind::Write(v) => ("write", v.to_string(), "null".into()),
            Kind::Cas(e, n, ok) => ("cas", format!("[{e},{n}]"), ok.to_string()),
        };
        let indeterminate = o.complete.is_none();
        let output = if indeterminate || o.failed {
            "null".to_string()
        } else {
            output
        };
        s.push_str(&format!(
            "{{\"op_id\":{},\"process_id\":{},\"invoke_ts\":{},\"complete_ts\":{},\"op_type\":\"{}\",\"key\":\"{}\",\"input\":{},\"output\":{},\"error\":{},\"timeout_marker\":{},\"node_seen\":null,\"fault_epoch\":null}}\n",
            o.id,
            o.process,
            o.invoke,
            o.complete.map_or("null".into(), |c| c.to_string()),
            op_type,
            o.key,
            input,
            output,
            if o.failed { "\"refused\"" } else { "null" },
            indeterminate,
        ));
    }
    s
}

/// Every op that may have taken effect: ok ops must be linearized, indeterminate ones may be.
fn brute_force(ops: &[Op]) -> bool {
    let live: Vec<&Op> = ops.iter().filter(|o| !o.failed).collect();
    let mut done = vec![false; live.len()];
    let mut state: Vec<(&str, Option<i64>)> = Vec::new();
    search(&live, &mut done, &mut state)
}

fn get(state: &[(&str, Option<i64>)], key: &str) -> Option<i64> {
    state
        .iter()
        .rev()
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| *v)
}

fn search<'a>(
    ops: &[&'a Op],
    done: &mut Vec<bool>,
    state: &mut Vec<(&'a str, Option<i64>)>,
) -> bool {
    let pending_ok = ops
        .iter()
        .zip(done.iter())
        .any(|(o, d)| !d && o.complete.is_some());
    if !pending_ok {
        return true;
    }
    for i in 0..ops.len() {
        if done[i] {
            continue;
        }
        let o = ops[i];
        // Every op that must take effect and completed strictly before o was invoked goes first.
        let blocked = ops
            .iter()
            .zip(done.iter())
            .any(|(p, d)| !d && p.complete.is_some_and(|c| c < o.invoke) && p.id != o.id);
        if blocked {
            continue;
        }
        let cur = get(state, o.key);
        let next = match o.kind {
            Kind::Read(v) => (v == cur).then_some(cur),
            Kind::Write(v) => Some(Some(v)),
            Kind::Cas(e, n, ok) => {
                if o.complete.is_none() {
                    Some(if cur == Some(e) { Some(n) } else { cur })
                } else if ok {
                    (cur == Some(e)).then_some(Some(n))
                } else {
                    (cur != Some(e)).then_some(cur)
                }
            }
        };
        let Some(value) = next else { continue };
        done[i] = true;
        state.push((o.key, value));
        let found = search(ops, done, state);
        state.pop();
        done[i] = false;
        if found {
            return true;
        }
    }
    false
}

#[test]
fn linearizability_agrees_with_a_brute_force_search_on_small_register_histories() {
    let mut rng = Rng::new(0x5eed_d1ff);
    let (mut ok, mut bad) = (0, 0);
    for case in 0..4000 {
        let ops = generate(&mut rng);
        let text = to_jsonl(&ops);
        let h = match record::read("gen.jsonl", Cursor::new(text.as_bytes())) {
            Ok(h) => h,
            Err(e) => panic!("case {case}: generated history does not load: {e}\n{text}"),
        };
        let r = check_history(
            &h,
            vec![],
            "register",
            None,
            Duration::from_secs(10),
            Instant::now(),
        )
        .unwrap_or_else(|e| panic!("case {case}: {e}\n{text}"));
        let expect = brute_force(&ops);
        let got = match r.outcome {
            Outcome::Ok => true,
            Outcome::Violation => false,
            Outcome::Unknown => panic!("case {case}: undecided on {} ops\n{text}", ops.len()),
        };
        assert_eq!(
            got, expect,
            "case {case}: checker says linearizable={got}, brute force says {expect}\n{text}"
        );
        if expect {
            ok += 1;
        } else {
            bad += 1;
        }
    }
    // Both answers are well represented, so the test can fail either way.
    assert!(ok > 400 && bad > 400, "ok {ok}, violations {bad}");
}
