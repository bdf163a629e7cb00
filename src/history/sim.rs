//! A simulated linearizable register / map that records JSONL histories, for the property
//! tests and the benchmark (`examples/gen_history.rs`, `scripts/bench-history.sh`).
//!
//! Why it lives in the library: the tests and the benchmark generator must produce the same
//! kind of history, and a generator that is correct by construction (every op takes effect
//! atomically at one instant inside its interval, exactly as linearizability demands) is the
//! oracle the property tests compare the checker against. Anomalies are injected afterwards
//! in ways that make the history non-linearizable for certain, given unique written values.
//! The pseudo-random generator is a plain xorshift64*, seeded, so every history is
//! reproducible from its seed.

use std::fmt::Write as _;

pub mod ledger;

/// xorshift64*: small, fast, deterministic.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value, 0 included).
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 1.0 < p
    }
}

/// Which object to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimModel {
    /// read / write / cas, integer values, keys `k0…`.
    Register,
    /// get / put, string values, keys `k0…`.
    Map,
}

/// Shape of a simulated history.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub model: SimModel,
    pub ops: usize,
    pub processes: usize,
    pub keys: usize,
    pub seed: u64,
    /// Probability that an op times out (indeterminate; it may or may not take effect).
    pub indeterminate: f64,
    /// Probability that an op fails (error set; it does not take effect).
    pub failed: f64,
    /// Whether the register issues `cas` (a fifth of its ops); without it, a register with
    /// unique values takes the zone fast path.
    pub cas: bool,
    /// Written values: 0 for unique values, else drawn from `1..=values` (reused values take
    /// the search instead of the zone fast path).
    pub values: u64,
}

/// The shapes of history the benchmark and the property tests generate: each one stresses
/// the search in its own way (see `benches/history-results.md`). The `ledger` shape is not
/// one of them: it has its own simulator and checker ([`ledger::LedgerConfig::shape`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Register read/write, 64 processes on one key, unique values (the zone fast path).
    RegisterRw,
    /// Register with cas, 8 processes, one key per 1,000 ops.
    CasSpread,
    /// Register with cas on one key, 8 processes, 0.2% indeterminate.
    Cas,
    /// Map put/get on 4 keys, 8 processes, values from a domain of 16, 0.2% indeterminate.
    Map,
    /// Map put/get on one key, 32 processes, values from a domain of 8, 3% indeterminate.
    MapCrowd,
    /// Register with cas on one key, 24 processes, 0.1% indeterminate.
    CasCrowd,
}

impl Shape {
    /// Every shape, in benchmark order.
    pub const ALL: [Shape; 6] = [
        Shape::RegisterRw,
        Shape::CasSpread,
        Shape::Cas,
        Shape::Map,
        Shape::MapCrowd,
        Shape::CasCrowd,
    ];

    /// The shape's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Shape::RegisterRw => "register-rw",
            Shape::CasSpread => "cas-spread",
            Shape::Cas => "cas",
            Shape::Map => "map",
            Shape::MapCrowd => "map-crowd",
            Shape::CasCrowd => "cas-crowd",
        }
    }

    /// The shape named `name`.
    pub fn parse(name: &str) -> Option<Shape> {
        Shape::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The configuration of this shape with `ops` ops.
    pub fn config(self, ops: usize, seed: u64) -> SimConfig {
        let base = SimConfig {
            model: SimModel::Register,
            ops,
            processes: 8,
            keys: 1,
            seed,
            indeterminate: 0.002,
            failed: 0.0,
            cas: true,
            values: 0,
        };
        match self {
            Shape::RegisterRw => SimConfig {
                processes: 64,
                cas: false,
                ..base
            },
            Shape::CasSpread => SimConfig {
                keys: (ops / 1000).max(1),
                ..base
            },
            Shape::Cas => base,
            Shape::Map => SimConfig {
                model: SimModel::Map,
                keys: 4,
                values: 16,
                cas: false,
                ..base
            },
            Shape::MapCrowd => SimConfig {
                model: SimModel::Map,
                processes: 32,
                values: 8,
                indeterminate: 0.03,
                cas: false,
                ..base
            },
            Shape::CasCrowd => SimConfig {
                processes: 24,
                indeterminate: 0.001,
                ..base
            },
        }
    }

    /// The model `history check` uses for this shape.
    pub fn model_name(self) -> &'static str {
        match self.config(1, 0).model {
            SimModel::Register => "register",
            SimModel::Map => "map",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
    Cas,
}

/// One recorded op. Values are integers; 0 means null (never written / absent).
#[derive(Debug, Clone)]
pub struct SimOp {
    pub id: u64,
    pub process: u64,
    pub invoke: i64,
    pub complete: Option<i64>,
    pub kind: Kind,
    pub key: usize,
    /// write: value; cas: (expected, new).
    pub value: u64,
    pub expected: u64,
    /// read: value read; cas: 1 for true, 0 for false.
    pub output: u64,
    pub error: bool,
    pub timeout: bool,
}

struct Pending {
    op: usize,
    applied: bool,
}

/// Run the simulation. Every op takes effect atomically at one instant inside its interval
/// (or, when it fails, never; when it times out, maybe), so the result is linearizable.
pub fn simulate(cfg: &SimConfig) -> Vec<SimOp> {
    let mut rng = Rng::new(cfg.seed);
    let mut state = vec![0u64; cfg.keys.max(1)];
    let mut ops: Vec<SimOp> = Vec::with_capacity(cfg.ops);
    let mut slots: Vec<Option<Pending>> = (0..cfg.processes.max(1)).map(|_| None).collect();
    let mut process_ids: Vec<u64> = (0..slots.len() as u64).collect();
    let mut next_process = slots.len() as u64;
    let mut next_value = 1u64;
    let mut t: i64 = 0;
    let mut open = 0usize;
    while ops.len() < cfg.ops || open > 0 {
        t += 1 + rng.below(3) as i64;
        let s = rng.below(slots.len() as u64) as usize;
        match slots[s].take() {
            None => {
                if ops.len() >= cfg.ops {
                    continue;
                }
                let key = rng.below(state.len() as u64) as usize;
                let r = rng.below(10);
                let kind = match (cfg.model, r) {
                    (_, 0..=3) => Kind::Read,
                    (SimModel::Register, 8..=9) if cfg.cas => Kind::Cas,
                    _ => Kind::Write,
                };
                let fresh = if cfg.values == 0 {
                    next_value
                } else {
                    1 + rng.below(cfg.values)
                };
                let (value, expected) = match kind {
                    Kind::Read => (0, 0),
                    Kind::Write => (fresh, 0),
                    Kind::Cas => {
                        let e = if rng.chance(0.6) {
                            state[key]
                        } else if cfg.values == 0 {
                            rng.below(next_value)
                        } else {
                            rng.below(cfg.values + 1)
                        };
                        (fresh, e)
                    }
                };
                if kind != Kind::Read {
                    next_value += 1;
                }
                ops.push(SimOp {
                    id: ops.len() as u64,
                    process: process_ids[s],
                    invoke: t,
                    complete: None,
                    kind,
                    key,
                    value,
                    expected,
                    output: 0,
                    error: false,
                    timeout: false,
                });
                open += 1;
                slots[s] = Some(Pending {
                    op: ops.len() - 1,
                    applied: false,
                });
            }
            Some(mut p) if !p.applied => {
                let op = &mut ops[p.op];
                if rng.chance(cfg.indeterminate) {
                    // The client gives up; the op may (half the time) still take effect.
                    if rng.chance(0.5) {
                        apply(op, &mut state);
                    }
                    op.timeout = true;
                    op.output = 0;
                    open -= 1;
                    process_ids[s] = next_process;
                    next_process += 1;
                    continue;
                }
                if rng.chance(cfg.failed) {
                    op.error = true;
                    op.output = 0;
                } else {
                    apply(op, &mut state);
                }
                p.applied = true;
                slots[s] = Some(p);
            }
            Some(p) => {
                ops[p.op].complete = Some(t);
                open -= 1;
            }
        }
    }
    ops
}

fn apply(op: &mut SimOp, state: &mut [u64]) {
    let cur = &mut state[op.key];
    match op.kind {
        Kind::Read => op.output = *cur,
        Kind::Write => *cur = op.value,
        Kind::Cas => {
            if *cur == op.expected {
                *cur = op.value;
                op.output = 1;
            } else {
                op.output = 0;
            }
        }
    }
}

fn ok(op: &SimOp) -> bool {
    !op.timeout && !op.error && op.complete.is_some()
}

/// Make the history non-linearizable for certain, if it has a suitable pair of ops; returns
/// what was done. The write involved first gets a value no other op writes (so the anomaly is
/// certain with reused values too). Two ways, chosen at random:
///
/// - **read from the future**: an ok read that completed before an ok write of its key was
///   invoked now returns that write's value (only that write produces it);
/// - **stale read**: an ok read that began after a write `w2` completed, which itself began
///   after the write `w1` of value `v` completed, now returns `v` (overwritten for good).
pub fn inject_anomaly(ops: &mut [SimOp], rng: &mut Rng) -> Option<String> {
    let fresh = ops
        .iter()
        .map(|o| o.value.max(o.expected).max(o.output))
        .max()
        .unwrap_or(0)
        + 1;
    let writes: Vec<usize> = (0..ops.len())
        .filter(|&i| ok(&ops[i]) && ops[i].kind == Kind::Write)
        .collect();
    let reads: Vec<usize> = (0..ops.len())
        .filter(|&i| ok(&ops[i]) && ops[i].kind == Kind::Read)
        .collect();
    if writes.is_empty() || reads.is_empty() {
        return None;
    }
    let end = |i: usize| ops[i].complete.unwrap_or(i64::MAX);
    for _ in 0..200 {
        let r = reads[rng.below(reads.len() as u64) as usize];
        let w = writes[rng.below(writes.len() as u64) as usize];
        if ops[r].key != ops[w].key {
            continue;
        }
        if rng.chance(0.5) {
            if end(r) < ops[w].invoke {
                ops[w].value = fresh;
                ops[r].output = fresh;
                return Some(format!(
                    "read {} returns the later write {}",
                    ops[r].id, ops[w].id
                ));
            }
        } else {
            // w2: an ok write of the same key strictly between w and r.
            let w2 = writes.iter().copied().find(|&x| {
                ops[x].key == ops[w].key && end(w) < ops[x].invoke && end(x) < ops[r].invoke
            });
            if let Some(w2) = w2 {
                ops[w].value = fresh;
                ops[r].output = fresh;
                return Some(format!(
                    "read {} returns write {} overwritten by write {}",
                    ops[r].id, ops[w].id, ops[w2].id
                ));
            }
        }
    }
    None
}

/// Render ops as JSONL in the twelve-key format.
pub fn to_jsonl(model: SimModel, ops: &[SimOp], out: &mut String) {
    let val = |v: u64| -> String {
        match (model, v) {
            (SimModel::Register, 0) => "null".into(),
            (SimModel::Register, v) => v.to_string(),
            (SimModel::Map, 0) => "\"\"".into(),
            (SimModel::Map, v) => format!("\"v{v}\""),
        }
    };
    for op in ops {
        let ty = match (model, op.kind) {
            (SimModel::Register, Kind::Read) => "read",
            (SimModel::Register, Kind::Write) => "write",
            (SimModel::Register, Kind::Cas) => "cas",
            (SimModel::Map, Kind::Read) => "get",
            (SimModel::Map, _) => "put",
        };
        let input = match op.kind {
            Kind::Read => "null".to_string(),
            Kind::Write => val(op.value),
            Kind::Cas => format!("[{},{}]", val(op.expected), val(op.value)),
        };
        let output = if op.timeout || op.error {
            "null".to_string()
        } else {
            match op.kind {
                Kind::Read => val(op.output),
                Kind::Write => "null".to_string(),
                Kind::Cas => (op.output == 1).to_string(),
            }
        };
        let complete = op
            .complete
            .map(|c| c.to_string())
            .unwrap_or_else(|| "null".into());
        let error = if op.error { "\"rejected\"" } else { "null" };
        let _ = writeln!(
            out,
            r#"{{"op_id":{},"process_id":{},"invoke_ts":{},"complete_ts":{complete},"op_type":"{ty}","key":"k{}","input":{input},"output":{output},"error":{error},"timeout_marker":{},"node_seen":null,"fault_epoch":null}}"#,
            op.id, op.process, op.invoke, op.key, op.timeout
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rng_is_deterministic_and_spreads() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..5).map(|_| a.below(100)).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.below(100)).collect();
        assert_eq!(xs, ys);
        let mut c = Rng::new(8);
        let hits = (0..1000).filter(|_| c.chance(0.25)).count();
        assert!((150..350).contains(&hits), "{hits}");
    }

    #[test]
    fn simulation_respects_one_op_per_process_and_counts() {
        let cfg = SimConfig {
            model: SimModel::Register,
            ops: 500,
            processes: 5,
            keys: 2,
            seed: 3,
            indeterminate: 0.05,
            failed: 0.05,
            cas: true,
            values: 0,
        };
        let ops = simulate(&cfg);
        assert_eq!(ops.len(), 500);
        assert!(ops.iter().any(|o| o.timeout));
        assert!(ops.iter().any(|o| o.error));
        for o in &ops {
            assert!(o.complete.is_none_or(|c| c >= o.invoke));
            assert_eq!(o.timeout, o.complete.is_none());
        }
    }
}
