//! Sequential specifications for the `linearizability` checker (register, map, counter, set)
//! and the translation of a history's records into their compact ops, one job per key.
//!
//! Why compact ops: the search applies a model step millions of times, so values are interned
//! to `u32` once here (JSON text → id; `null`, "never written", is 0) and states are small
//! `Copy`-like values wherever the model allows. A map key that never sees an `append` is
//! exactly a register of strings (absent ≡ `""`), so it is checked with the register model; only
//! keys with appends pay for string states. Failed ops are dropped (they certainly did not
//! take effect); an indeterminate op with no effect on the state (a timed-out read) is dropped
//! too, since any output is consistent with it.

use serde_json::Value;

use super::dense::IdMap;
use super::linear::{Entry, FastMap, KeyJob, Model, Produces};
use super::ops::{RegOp, StrOp};
use super::record::{History, Op, Status};
use super::HistoryError;

/// Interns JSON values: `null` is 0. Identity is the JSON text; integers (most values) are
/// looked up by number, without writing their text: small non-negative ones (below four
/// times the number of ops) in a vector, the way recorders number values, others by hash.
#[derive(Default)]
pub struct Values {
    ids: FastMap<String, u32>,
    ints: FastMap<i64, u32>,
    /// By integer value: its id, or 0 for none yet.
    small: Vec<u32>,
    small_cap: usize,
    len: u32,
}

impl Values {
    /// Values for a history of `ops` ops.
    pub fn for_ops(ops: usize) -> Values {
        Values {
            small_cap: ops.saturating_mul(4).saturating_add(1024),
            ..Values::default()
        }
    }

    pub fn id(&mut self, v: &Value) -> u32 {
        if v.is_null() {
            return 0;
        }
        if let Some(i) = v.as_i64() {
            // An integer's text is its decimal digits, which no other JSON value spells.
            let next = self.len + 1;
            let id = match usize::try_from(i) {
                Ok(u) if u < self.small_cap => {
                    if u >= self.small.len() {
                        self.small
                            .resize((u + 1).max(2 * self.small.len()).min(self.small_cap), 0);
                    }
                    let slot = &mut self.small[u];
                    if *slot == 0 {
                        *slot = next;
                    }
                    *slot
                }
                _ => *self.ints.entry(i).or_insert(next),
            };
            return self.counted(id);
        }
        self.id_text(v.to_string())
    }
    fn id_text(&mut self, text: String) -> u32 {
        let next = self.len + 1;
        let id = *self.ids.entry(text).or_insert(next);
        self.counted(id)
    }
    /// `id`, counting it when it was just handed out (it is then `len + 1`).
    fn counted(&mut self, id: u32) -> u32 {
        if id == self.len + 1 {
            self.len += 1;
        }
        id
    }
    /// A string as a map value: `""` (absent) is 0, like `null`.
    pub fn id_str(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        self.id_text(Value::String(s.to_string()).to_string())
    }
}

/// A single register per key; its state is the interned value (0 = never written).
pub struct Register;

/// The value the search uses for every written value that no op observes.
const UNSEEN: u32 = u32::MAX;

impl Model for Register {
    type State = u32;
    type Op = RegOp;
    fn init(&self) -> u32 {
        0
    }
    fn step(&self, s: &u32, op: &RegOp) -> Option<u32> {
        match *op {
            RegOp::Read(v) => (v == *s).then_some(*s),
            RegOp::Write(v) => Some(v),
            RegOp::Cas(e, n, Some(true)) => (e == *s).then_some(n),
            RegOp::Cas(e, _, Some(false)) => (e != *s).then_some(*s),
            RegOp::Cas(e, n, None) => Some(if e == *s { n } else { *s }),
        }
    }
    fn quick(&self, entries: &[Entry<RegOp>]) -> Option<Result<(), Vec<usize>>> {
        match super::zones::check(entries) {
            super::zones::Zones::Ok => Some(Ok(())),
            super::zones::Zones::Violation(core) => Some(Err(core)),
            super::zones::Zones::NotApplicable => super::zones::impossible_read(entries).map(Err),
        }
    }
    fn produces(&self, op: &RegOp) -> Produces<u32> {
        match *op {
            RegOp::Read(_) | RegOp::Cas(_, _, Some(false)) => Produces::Nothing,
            RegOp::Write(v) | RegOp::Cas(_, v, _) => Produces::One(v),
        }
    }
    fn needs(&self, op: &RegOp) -> Option<u32> {
        match *op {
            RegOp::Read(v) | RegOp::Cas(v, _, Some(true)) => Some(v),
            RegOp::Write(_) | RegOp::Cas(_, _, _) => None,
        }
    }
    fn small_op(&self, op: &RegOp) -> Option<(u8, u32)> {
        match *op {
            RegOp::Read(v) if v != UNSEEN => Some((0, v)),
            RegOp::Write(v) if v != UNSEEN => Some((1, v)),
            _ => None,
        }
    }
    fn small_id(&self, s: &u32) -> Option<u32> {
        (*s != UNSEEN).then_some(*s)
    }
    fn acts_in(&self, op: &RegOp) -> Option<u32> {
        match *op {
            RegOp::Read(v) | RegOp::Cas(v, _, _) => Some(v),
            RegOp::Write(_) => None,
        }
    }
    fn blind(&self, op: &RegOp) -> bool {
        matches!(op, RegOp::Write(_))
    }
    fn observer(&self, op: &RegOp) -> bool {
        match *op {
            RegOp::Read(_) | RegOp::Cas(_, _, Some(false)) => true,
            RegOp::Cas(e, n, Some(true)) => e == n,
            RegOp::Write(_) | RegOp::Cas(_, _, None) => false,
        }
    }
    /// Values no read returns and no cas expects are never compared against, so they are
    /// all one value to the search (`UNSEEN`): their states behave alike from there on.
    fn canonical(&self, entries: &[Entry<RegOp>]) -> Option<Vec<RegOp>> {
        let observed = |e: &Entry<RegOp>| match e.op {
            RegOp::Read(v) | RegOp::Cas(v, _, _) => Some(v),
            RegOp::Write(_) => None,
        };
        let mut seen: IdMap<()> = IdMap::for_ids(entries.iter().filter_map(observed));
        for v in entries.iter().filter_map(observed) {
            seen.insert(v, ());
        }
        let fold = |v: u32| if seen.contains(v) { v } else { UNSEEN };
        let ops: Vec<RegOp> = entries
            .iter()
            .map(|e| match e.op {
                RegOp::Write(v) => RegOp::Write(fold(v)),
                RegOp::Cas(x, v, o) => RegOp::Cas(x, fold(v), o),
                ref read => read.clone(),
            })
            .collect();
        Some(ops)
    }
    fn closed(&self, ops: &[&RegOp]) -> bool {
        let mut written = std::collections::HashSet::new();
        written.insert(0);
        for op in ops {
            match op {
                RegOp::Write(v) | RegOp::Cas(_, v, _) => {
                    written.insert(*v);
                }
                RegOp::Read(_) => {}
            }
        }
        ops.iter().all(|op| match op {
            RegOp::Read(v) | RegOp::Cas(v, _, Some(true)) => written.contains(v),
            _ => true,
        })
    }
}

/// One key of a map with `append`: string concatenation.
pub struct StrRegister;

impl Model for StrRegister {
    type State = String;
    type Op = StrOp;
    fn init(&self) -> String {
        String::new()
    }
    fn step(&self, s: &String, op: &StrOp) -> Option<String> {
        match op {
            StrOp::Get(v) => (**v == **s).then(|| s.clone()),
            StrOp::Put(v) => Some(v.to_string()),
            StrOp::Append(v) => {
                let mut t = String::with_capacity(s.len() + v.len());
                t.push_str(s);
                t.push_str(v);
                Some(t)
            }
        }
    }
    fn blind(&self, op: &StrOp) -> bool {
        matches!(op, StrOp::Put(_))
    }
    fn observer(&self, op: &StrOp) -> bool {
        matches!(op, StrOp::Get(_))
    }
    fn quick(&self, entries: &[Entry<StrOp>]) -> Option<Result<(), Vec<usize>>> {
        match super::chain::check(entries) {
            super::chain::Chain::Ok => Some(Ok(())),
            super::chain::Chain::Violation(core) => Some(Err(core)),
            super::chain::Chain::NotApplicable => None,
        }
    }
    fn closed(&self, ops: &[&StrOp]) -> bool {
        // A value read must start with a value put or with an appended suffix, and end with
        // one (a cheap necessary condition for being built from these ops).
        let pieces: Vec<&str> = ops
            .iter()
            .filter_map(|op| match op {
                StrOp::Put(v) | StrOp::Append(v) => Some(&**v),
                StrOp::Get(_) => None,
            })
            .filter(|p| !p.is_empty())
            .collect();
        ops.iter().all(|op| match op {
            StrOp::Get(v) if !v.is_empty() => {
                pieces.iter().any(|p| v.starts_with(p)) && pieces.iter().any(|p| v.ends_with(p))
            }
            _ => true,
        })
    }
}

/// Counter op: `inc` by a delta, `read` (ok only).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CtrOp {
    Inc(i64),
    Read(i64),
}

/// A counter per key, starting at 0.
pub struct Counter;

impl Model for Counter {
    type State = i64;
    type Op = CtrOp;
    fn init(&self) -> i64 {
        0
    }
    fn step(&self, s: &i64, op: &CtrOp) -> Option<i64> {
        match *op {
            CtrOp::Inc(d) => Some(s.wrapping_add(d)),
            CtrOp::Read(v) => (v == *s).then_some(*s),
        }
    }
    fn observer(&self, op: &CtrOp) -> bool {
        matches!(op, CtrOp::Read(_) | CtrOp::Inc(0))
    }
    fn closed(&self, ops: &[&CtrOp]) -> bool {
        let incs = ops.iter().any(|op| matches!(op, CtrOp::Inc(_)));
        incs || ops.iter().all(|op| matches!(op, CtrOp::Read(0)))
    }
}

/// Set op: `add` a value, `read` the whole set (ok only; sorted, deduplicated ids).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SetOp {
    Add(u32),
    Read(Vec<u32>),
}

/// A grow-only set per key; the state is the sorted list of member ids.
pub struct GSet;

impl Model for GSet {
    type State = Vec<u32>;
    type Op = SetOp;
    fn init(&self) -> Vec<u32> {
        Vec::new()
    }
    fn step(&self, s: &Vec<u32>, op: &SetOp) -> Option<Vec<u32>> {
        match op {
            SetOp::Add(v) => match s.binary_search(v) {
                Ok(_) => Some(s.clone()),
                Err(pos) => {
                    let mut t = s.clone();
                    t.insert(pos, *v);
                    Some(t)
                }
            },
            SetOp::Read(r) => (r == s).then(|| s.clone()),
        }
    }
    fn observer(&self, op: &SetOp) -> bool {
        matches!(op, SetOp::Read(_))
    }
    fn closed(&self, ops: &[&SetOp]) -> bool {
        let added: std::collections::HashSet<u32> = ops
            .iter()
            .filter_map(|op| match op {
                SetOp::Add(v) => Some(*v),
                SetOp::Read(_) => None,
            })
            .collect();
        ops.iter().all(|op| match op {
            SetOp::Read(r) => r.iter().all(|v| added.contains(v)),
            SetOp::Add(_) => true,
        })
    }
}

/// Group the history's non-failed ops by key (keys in a stable order: `null` first, then by
/// name), translating each with `f` (which returns `Ok(None)` to drop an op).
pub fn jobs<O>(
    h: &History,
    mut f: impl FnMut(&History, &Op, Status) -> Result<Option<O>, String>,
) -> Result<Vec<KeyJob<O>>, HistoryError> {
    // One slot per interned key (slot 0: the `null` key), put in key order at the end: the
    // order is computed once per key, not once per op.
    let mut by_key: Vec<Option<KeyJob<O>>> = (0..=h.keys.len()).map(|_| None).collect();
    for (index, op) in h.ops.iter().enumerate() {
        let status = op.status();
        // Even dropped ops must name an operation of the model.
        let translated = f(h, op, status)
            .map_err(|m| HistoryError::at(&h.path, Some(op.line), format!("op {}: {m}", op.id)))?;
        let slot = op.key.map_or(0, |k| k as usize + 1);
        let job = by_key[slot].get_or_insert_with(|| KeyJob {
            key: op.key,
            entries: Vec::new(),
        });
        if status == Status::Failed {
            continue;
        }
        if let Some(o) = translated {
            job.entries.push(Entry {
                op: o,
                call: op.invoke,
                ret: if status == Status::Ok {
                    op.complete
                } else {
                    None
                },
                index,
            });
        }
    }
    let mut jobs: Vec<KeyJob<O>> = by_key.into_iter().flatten().collect();
    jobs.sort_by_cached_key(|j| h.key_order(j.key));
    Ok(jobs)
}

fn unknown_type(model: &str, t: &str, allowed: &[&str]) -> String {
    format!(
        "op_type `{t}` is not an operation of model {model} (expected one of: {})",
        allowed.join(", ")
    )
}

fn int(v: &Value, what: &str) -> Result<i64, String> {
    v.as_i64()
        .ok_or_else(|| format!("{what} must be an integer, got {v}"))
}

/// Register ops, per key.
pub fn register_jobs(h: &History) -> Result<Vec<KeyJob<RegOp>>, HistoryError> {
    let mut vals = Values::for_ops(h.ops.len());
    jobs(h, |h, op, st| {
        let t = h.op_type(op);
        let used = st != Status::Failed;
        match t {
            "read" => Ok((st == Status::Ok).then(|| RegOp::Read(vals.id(&op.output)))),
            "write" => Ok(Some(RegOp::Write(vals.id(&op.input)))),
            "cas" => {
                let pair = match &op.input {
                    Value::Array(a) if a.len() == 2 => (vals.id(&a[0]), vals.id(&a[1])),
                    _ if !used => return Ok(None),
                    other => return Err(format!("cas input must be [expected, new], got {other}")),
                };
                let outcome = match (st, &op.output) {
                    (Status::Ok, Value::Bool(b)) => Some(*b),
                    (Status::Ok, other) => {
                        return Err(format!(
                            "a completed cas must output true or false, got {other}"
                        ))
                    }
                    _ => None,
                };
                Ok(Some(RegOp::Cas(pair.0, pair.1, outcome)))
            }
            _ => Err(unknown_type("register", t, &["read", "write", "cas"])),
        }
    })
}

/// A map's keys: those without `append` (checked as registers), and the others.
pub type MapJobs = (Vec<KeyJob<RegOp>>, Vec<KeyJob<StrOp>>);

/// Map ops, per key: keys without `append` as registers, the others as string registers.
pub fn map_jobs(h: &History) -> Result<MapJobs, HistoryError> {
    fn text<'a>(v: &'a Value, what: &str) -> Result<&'a str, String> {
        match v {
            Value::String(s) => Ok(s),
            Value::Null => Ok(""),
            other => Err(format!("{what} must be a string, got {other}")),
        }
    }
    let all: Vec<KeyJob<StrOp>> = jobs(h, |h, op, st| {
        let t = h.op_type(op);
        if st == Status::Failed {
            return match t {
                "get" | "put" | "append" => Ok(None),
                _ => Err(unknown_type("map", t, &["get", "put", "append"])),
            };
        }
        match t {
            "get" if st == Status::Ok => {
                Ok(Some(StrOp::Get(text(&op.output, "get output")?.into())))
            }
            "get" => Ok(None),
            "put" => Ok(Some(StrOp::Put(text(&op.input, "put input")?.into()))),
            "append" => Ok(Some(StrOp::Append(text(&op.input, "append input")?.into()))),
            _ => Err(unknown_type("map", t, &["get", "put", "append"])),
        }
    })?;
    let mut vals = Values::for_ops(h.ops.len());
    let mut plain = Vec::new();
    let mut appended = Vec::new();
    for job in all {
        if job.entries.iter().any(|e| matches!(e.op, StrOp::Append(_))) {
            appended.push(job);
            continue;
        }
        let entries = job
            .entries
            .into_iter()
            .map(|e| Entry {
                op: match &e.op {
                    StrOp::Get(v) => RegOp::Read(vals.id_str(v)),
                    StrOp::Put(v) | StrOp::Append(v) => RegOp::Write(vals.id_str(v)),
                },
                call: e.call,
                ret: e.ret,
                index: e.index,
            })
            .collect();
        plain.push(KeyJob {
            key: job.key,
            entries,
        });
    }
    Ok((plain, appended))
}

/// Counter ops, per key. The search keeps counters in 64 bits, so a key whose deltas could
/// add up beyond that is refused (exit 2) rather than checked with wrapped sums.
pub fn counter_jobs(h: &History) -> Result<Vec<KeyJob<CtrOp>>, HistoryError> {
    let jobs = counter_ops(h)?;
    for job in &jobs {
        let reach: i128 = job
            .entries
            .iter()
            .map(|e| match e.op {
                CtrOp::Inc(d) => i128::from(d).abs(),
                CtrOp::Read(_) => 0,
            })
            .sum();
        if reach > i128::from(i64::MAX) {
            let first = job.entries.first().map(|e| h.ops[e.index].line);
            return Err(HistoryError::at(
                &h.path,
                first,
                format!(
                    "the inc deltas of key {} add up beyond 64-bit integers, which linearizability does not check; use smaller deltas, or --checker final-state-invariant",
                    h.key_name(job.key).unwrap_or_else(|| "null".into())
                ),
            ));
        }
    }
    Ok(jobs)
}

fn counter_ops(h: &History) -> Result<Vec<KeyJob<CtrOp>>, HistoryError> {
    jobs(h, |h, op, st| {
        let t = h.op_type(op);
        if st == Status::Failed {
            return match t {
                "inc" | "read" => Ok(None),
                _ => Err(unknown_type("counter", t, &["inc", "read"])),
            };
        }
        match t {
            "inc" => Ok(Some(CtrOp::Inc(int(&op.input, "inc input")?))),
            "read" if st == Status::Ok => Ok(Some(CtrOp::Read(int(&op.output, "read output")?))),
            "read" => Ok(None),
            _ => Err(unknown_type("counter", t, &["inc", "read"])),
        }
    })
}

/// Set ops, per key.
pub fn set_jobs(h: &History) -> Result<Vec<KeyJob<SetOp>>, HistoryError> {
    let mut vals = Values::for_ops(h.ops.len());
    jobs(h, |h, op, st| {
        let t = h.op_type(op);
        if st == Status::Failed {
            return match t {
                "add" | "read" => Ok(None),
                _ => Err(unknown_type("set", t, &["add", "read"])),
            };
        }
        match t {
            "add" => Ok(Some(SetOp::Add(vals.id(&op.input)))),
            "read" if st == Status::Ok => match &op.output {
                Value::Array(a) => {
                    let mut ids: Vec<u32> = a.iter().map(|v| vals.id(v)).collect();
                    ids.sort_unstable();
                    ids.dedup();
                    Ok(Some(SetOp::Read(ids)))
                }
                other => Err(format!("set read output must be an array, got {other}")),
            },
            "read" => Ok(None),
            _ => Err(unknown_type("set", t, &["add", "read"])),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_steps() {
        let r = Register;
        assert_eq!(r.step(&0, &RegOp::Read(0)), Some(0));
        assert_eq!(r.step(&0, &RegOp::Read(1)), None);
        assert_eq!(r.step(&1, &RegOp::Cas(1, 2, Some(true))), Some(2));
        assert_eq!(r.step(&1, &RegOp::Cas(3, 2, Some(true))), None);
        assert_eq!(r.step(&1, &RegOp::Cas(3, 2, Some(false))), Some(1));
        assert_eq!(r.step(&1, &RegOp::Cas(1, 2, Some(false))), None);
        assert_eq!(r.step(&1, &RegOp::Cas(1, 2, None)), Some(2));
        assert_eq!(r.step(&5, &RegOp::Cas(1, 2, None)), Some(5));
    }

    #[test]
    fn map_append_concatenates_and_set_read_is_order_free() {
        let m = StrRegister;
        let s = m
            .step(&"ab".to_string(), &StrOp::Append("c".into()))
            .unwrap();
        assert_eq!(s, "abc");
        assert!(m.step(&s, &StrOp::Get("ab".into())).is_none());
        let g = GSet;
        let s = g.step(&vec![], &SetOp::Add(3)).unwrap();
        let s = g.step(&s, &SetOp::Add(1)).unwrap();
        assert_eq!(g.step(&s, &SetOp::Read(vec![1, 3])), Some(vec![1, 3]));
        assert_eq!(g.step(&s, &SetOp::Read(vec![1])), None);
    }
}
