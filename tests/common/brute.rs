//! A tiny register-history generator and a brute-force linearizability search written from
//! the history format alone, shared by tests/history_differential.rs and the `history_diff`
//! fuzz target. The brute force tries every order that respects real time (closed intervals:
//! an op precedes another only when it completed strictly before the other was invoked) and
//! every choice of which indeterminate ops took effect; failed ops never take effect.
#![allow(dead_code)]

/// The randomness a generator draws from: the test's seeded RNG or the fuzzer's bytes.
pub trait Draw {
    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64;
}

impl Draw for dstplan::history::sim::Rng {
    fn below(&mut self, n: u64) -> u64 {
        dstplan::history::sim::Rng::below(self, n)
    }
}

/// Fuzzer bytes as a source of draws; zeros once they run out.
pub struct Bytes<'a>(pub &'a [u8]);

impl Draw for Bytes<'_> {
    fn below(&mut self, n: u64) -> u64 {
        let Some((&b, rest)) = self.0.split_first() else {
            return 0;
        };
        self.0 = rest;
        u64::from(b) % n
    }
}

#[derive(Debug, Clone)]
pub enum Kind {
    Read(Option<i64>),
    Write(i64),
    Cas(i64, i64, bool),
}

#[derive(Debug, Clone)]
pub struct Op {
    pub id: usize,
    pub process: usize,
    pub key: &'static str,
    pub invoke: i64,
    /// `None` for an indeterminate op.
    pub complete: Option<i64>,
    pub failed: bool,
    pub kind: Kind,
}

pub fn generate(rng: &mut impl Draw) -> Vec<Op> {
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

pub fn to_jsonl(ops: &[Op]) -> String {
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
pub fn brute_force(ops: &[Op]) -> bool {
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
