//! `session-consistency` on register and map histories: read-your-writes, monotonic reads,
//! monotonic writes and writes-follow-reads, per process (a process is a session).
//!
//! Session guarantees do not assume one global order of writes, so the checker uses only the
//! orders it can prove without one: the initial state (`null` for a register, absent for a
//! map) comes before every write of a key, and one process's writes to a key come in the
//! order it issued them (what monotonic writes demands of the store). A read that returns a
//! value provably older than one the session already wrote or saw breaks a guarantee; a value
//! whose place is unknown (another process's write) is never held against the reader.
//! Written values must be unique per key. Failed ops are dropped; an indeterminate write may
//! be read (its value then has its writer's place in the order).

use std::collections::HashMap;

use serde_json::Value;

use super::record::{History, Op, Status};
use super::{witness, Finding, HistoryError};

/// Where a value stands in the provable order of its key: the initial state, or the `i`-th
/// write of process `p`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Initial,
    Write { process: u32, i: u32, op: usize },
}

/// `a` is provably older than `b`.
fn older(a: Place, b: Place) -> bool {
    match (a, b) {
        (Place::Initial, Place::Write { .. }) => true,
        (
            Place::Write { process: p, i, .. },
            Place::Write {
                process: q, i: j, ..
            },
        ) => p == q && i < j,
        _ => false,
    }
}

/// One op as the checker sees it.
enum Act {
    /// Read `Some(place)`, or a value nobody wrote (`None`: unknown place).
    Read(Option<Place>),
    Write(Place),
}

/// A broken guarantee: its name, a sentence, the ops.
struct Break {
    guarantee: &'static str,
    why: String,
    ops: Vec<usize>,
}

/// What a session has seen of each key: per writer, the latest of its writes seen (its
/// index in the writer's order, the read op, the op that brought it), and whether any write
/// was seen at all. A read provably older than the frontier goes backwards.
#[derive(Debug, Clone, Default)]
struct Front {
    by: HashMap<(Option<u32>, u32), (u32, usize, usize)>,
    any: HashMap<Option<u32>, (usize, usize)>,
}

impl Front {
    /// The (read op, via op) that makes `r` provably old on `key`, if any.
    fn newer_than(&self, key: Option<u32>, r: Place) -> Option<(usize, usize)> {
        match r {
            Place::Initial => self.any.get(&key).copied(),
            Place::Write { process, i, .. } => self
                .by
                .get(&(key, process))
                .filter(|(j, _, _)| *j > i)
                .map(|&(_, o, v)| (o, v)),
        }
    }

    fn raise(&mut self, key: Option<u32>, r: Place, op: usize, via: usize) {
        if let Place::Write { process, i, .. } = r {
            let e = self.by.entry((key, process)).or_insert((i, op, via));
            if i > e.0 {
                *e = (i, op, via);
            }
            self.any.entry(key).or_insert((op, via));
        }
    }

    /// Everything `other` saw, brought by op `via`.
    fn absorb(&mut self, other: &Front, via: usize) {
        for (&(k, p), &(i, op, _)) in &other.by {
            let e = self.by.entry((k, p)).or_insert((i, op, via));
            if i > e.0 {
                *e = (i, op, via);
            }
        }
        for (&k, &(op, _)) in &other.any {
            self.any.entry(k).or_insert((op, via));
        }
    }
}

const READS: &[&str] = &["read", "get"];
const WRITES: &[&str] = &["write", "put"];

/// Run the check on a register or map history.
pub fn session_consistency(h: &History, model: &str) -> Result<Finding, HistoryError> {
    // Pass 1: the place of every written value, per key.
    let mut place: HashMap<(Option<u32>, String), Place> = HashMap::new();
    let mut count: HashMap<(Option<u32>, u32), u32> = HashMap::new();
    let mut order: Vec<usize> = (0..h.ops.len()).collect();
    order.sort_by_key(|&i| (h.ops[i].invoke, i));
    for &i in &order {
        let op = &h.ops[i];
        let t = h.op_type(op);
        let written = match (model, t) {
            (_, t) if WRITES.contains(&t) => Some(&op.input),
            ("register", "cas") => op.input.get(1),
            (_, t) if READS.contains(&t) => None,
            ("map", "append") => {
                return Err(op_error(
                    h,
                    op,
                    "session-consistency on a map checks get and put; a key with append has no unique written values (check it with linearizability)".into(),
                ))
            }
            _ => {
                return Err(op_error(
                    h,
                    op,
                    format!(
                        "op_type `{t}` is not an operation of model {model} (expected one of: {})",
                        if model == "map" { "get, put" } else { "read, write, cas" }
                    ),
                ))
            }
        };
        let Some(v) = written else { continue };
        if op.status() == Status::Failed || (t == "cas" && op.output == Value::Bool(false)) {
            continue;
        }
        let c = count.entry((op.key, op.process)).or_insert(0);
        let p = Place::Write {
            process: op.process,
            i: *c,
            op: i,
        };
        *c += 1;
        if let Some(Place::Write { op: first, .. }) = place.insert((op.key, v.to_string()), p) {
            return Err(op_error(
                h,
                op,
                format!(
                    "value {v} is written to key {} twice (also by op {} on line {}); session-consistency needs unique written values per key",
                    h.key_name(op.key).unwrap_or_else(|| "null".into()),
                    h.ops[first].id,
                    h.ops[first].line
                ),
            ));
        }
    }
    let initial = |v: &Value| v.is_null() || (model == "map" && v.as_str() == Some(""));
    let read_place = |key: Option<u32>, v: &Value| -> Option<Place> {
        if initial(v) {
            Some(Place::Initial)
        } else {
            place.get(&(key, v.to_string())).copied()
        }
    };
    // Per process, its ok ops in order.
    let mut sessions: HashMap<u32, Vec<usize>> = HashMap::new();
    for &i in &order {
        if h.ops[i].status() == Status::Ok {
            sessions.entry(h.ops[i].process).or_default().push(i);
        }
    }
    let act = |i: usize| -> Option<Act> {
        let op = &h.ops[i];
        let t = h.op_type(op);
        if READS.contains(&t) {
            Some(Act::Read(read_place(op.key, &op.output)))
        } else if WRITES.contains(&t) || (t == "cas" && op.output == Value::Bool(true)) {
            let v = if t == "cas" { &op.input[1] } else { &op.input };
            place.get(&(op.key, v.to_string())).copied().map(Act::Write)
        } else {
            None
        }
    };
    // Dependencies of each write for writes-follow-reads: what its session had read before
    // issuing it (a frontier: per key and writer, the latest of that writer's writes seen).
    let mut deps: HashMap<usize, Front> = HashMap::new();
    let mut breaks: Vec<Break> = Vec::new();
    let mut procs: Vec<&u32> = sessions.keys().collect();
    procs.sort();
    for p in procs.iter().copied() {
        // key → latest place written by this session, and its op
        let mut wrote: HashMap<Option<u32>, (Place, usize)> = HashMap::new();
        let mut seen = Front::default();
        for &i in &sessions[p] {
            let key = h.ops[i].key;
            match act(i) {
                Some(Act::Write(w)) => {
                    deps.insert(i, seen.clone());
                    wrote.insert(key, (w, i));
                }
                Some(Act::Read(Some(r))) => {
                    if let Some(&(w, wi)) = wrote.get(&key) {
                        if older(r, w) {
                            breaks.push(Break {
                                guarantee: "read-your-writes",
                                why: format!(
                                    "process {} wrote {} (op {}) and then read {} (op {}), {}",
                                    h.process_name(*p),
                                    show_written(h, wi),
                                    h.ops[wi].id,
                                    h.ops[i].output,
                                    h.ops[i].id,
                                    describe_older(h, r)
                                ),
                                ops: vec![wi, i],
                            });
                        }
                    }
                    if let Some((si, _)) = seen.newer_than(key, r) {
                        let same_writer = matches!(r, Place::Write { .. });
                        let mut ops = vec![si, i];
                        ops.extend(place_op(r));
                        if let Some(Act::Read(Some(Place::Write { op, .. }))) = act(si) {
                            ops.push(op);
                        }
                        breaks.push(Break {
                            guarantee: if same_writer {
                                "monotonic-writes"
                            } else {
                                "monotonic-reads"
                            },
                            why: format!(
                                "process {} read {} (op {}) and later {} (op {}), {}{}",
                                h.process_name(*p),
                                h.ops[si].output,
                                h.ops[si].id,
                                h.ops[i].output,
                                h.ops[i].id,
                                describe_older(h, r),
                                if same_writer {
                                    " than the write it had read: one writer's writes were seen out of the order it issued them"
                                } else {
                                    ""
                                }
                            ),
                            ops,
                        });
                    }
                    seen.raise(key, r, i, i);
                }
                _ => {}
            }
        }
    }
    // Writes-follow-reads: a session that read a write w, later reads a key w's writer had
    // read before writing w, and sees something older than what that writer had read.
    for p in procs {
        let mut floor = Front::default();
        for &i in &sessions[p] {
            let key = h.ops[i].key;
            let Some(Act::Read(Some(r))) = act(i) else {
                continue;
            };
            if let Some((fop, via)) = floor.newer_than(key, r) {
                breaks.push(Break {
                    guarantee: "writes-follow-reads",
                    why: format!(
                        "process {} read {} (op {}), written after its writer's process had read {} (op {}), and later read {} (op {}), {}",
                        h.process_name(*p),
                        h.ops[via].output,
                        h.ops[via].id,
                        h.ops[fop].output,
                        h.ops[fop].id,
                        h.ops[i].output,
                        h.ops[i].id,
                        describe_older(h, r)
                    ),
                    ops: vec![fop, via, i],
                });
            }
            if let Place::Write { op: w, .. } = r {
                if let Some(d) = deps.get(&w) {
                    floor.absorb(d, i);
                }
            }
        }
    }
    let mut found = Finding::default();
    let mut by: HashMap<&'static str, usize> = HashMap::new();
    for b in &breaks {
        *by.entry(b.guarantee).or_default() += 1;
    }
    for g in [
        "read-your-writes",
        "monotonic-reads",
        "monotonic-writes",
        "writes-follow-reads",
    ] {
        match by.get(g) {
            Some(n) => found.notes.push(format!("{g}: {n} violation(s)")),
            None => found.notes.push(format!("{g}: held")),
        }
    }
    if let Some(b) = breaks.first() {
        found.notes.push(format!("{}: {}", b.guarantee, b.why));
        let key = h.ops[b.ops[0]].key;
        found.violation = Some(witness(h, key, &b.ops, &[]));
        found.what = Some(b.guarantee.to_string());
    }
    Ok(found)
}

fn place_op(p: Place) -> Option<usize> {
    match p {
        Place::Write { op, .. } => Some(op),
        Place::Initial => None,
    }
}

fn show_written(h: &History, i: usize) -> String {
    let op = &h.ops[i];
    if h.op_type(op) == "cas" {
        op.input[1].to_string()
    } else {
        op.input.to_string()
    }
}

fn describe_older(h: &History, r: Place) -> String {
    match r {
        Place::Initial => "the initial state, older than every write".into(),
        Place::Write { op, .. } => format!(
            "written earlier by the same process {} (op {})",
            h.process_name(h.ops[op].process),
            h.ops[op].id
        ),
    }
}

fn op_error(h: &History, op: &Op, msg: String) -> HistoryError {
    HistoryError::at(&h.path, Some(op.line), format!("op {}: {msg}", op.id))
}
