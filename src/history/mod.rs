//! Operation histories: read and validate the JSONL format, then run a checker over it.
//!
//! This is the engine behind `dstplan history validate` and `dstplan history check`; the
//! findings report calls [`check_file`] again on the histories its findings cite, so the
//! verdict a finding quotes can be reproduced. Nothing here prints or exits; only the CLI does.
//!
//! Data flow: [`record`] streams the file into compact [`record::Op`]s (per-line rules),
//! [`validate`] applies the cross-line rules and lists weaknesses, then one checker decides:
//! `linearizability` (per key, in parallel: `models` gives each model's sequential
//! specification; unique-value registers are decided by zones (`zones`), append-only map keys
//! by their version chain (`chain`), everything else by the `linear` search, all under one
//! time/state budget), `prefix-order` (queue), `no-lost-ack` (log), `exactly-once` and
//! `final-state-invariant` (ledger, counter), `monotonic-read` (log, counter),
//! `serializability` (list-append and rw-register transactions: [`txn`]), `session-consistency`
//! (register, map: `session`) and `exclusion` (lock, lease: `exclusion`). [`html`] draws a
//! history and its witness; [`sim`] generates correct histories for tests and benchmarks.

use std::path::Path;
use std::time::{Duration, Instant};

mod chain;
mod dense;
pub mod events;
mod exclusion;
pub mod html;
mod invariants;
mod linear;
mod models;
mod ops;
mod order;
mod prune;
mod queue;
pub mod record;
mod session;
pub mod sim;
pub mod txn;
pub mod validate;
mod zones;

use record::{History, Status};
use serde_json::Value;

/// The verdict of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The property holds on this history.
    Ok,
    /// The property is broken; a witness says where.
    Violation,
    /// Undecided within the budget (or nothing to decide on).
    Unknown,
}

impl Outcome {
    /// `ok`, `violation` or `unknown`, as in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Violation => "violation",
            Outcome::Unknown => "unknown",
        }
    }
}

/// The operations that show a violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// The key they address (`None` for the `null` key).
    pub key: Option<String>,
    /// Their op ids, in invocation order. For `linearizability` a 1-minimal non-linearizable
    /// set: dropping any one op makes the rest linearizable, or leaves a read of a value that
    /// no remaining op writes (witnesses keep the writes their reads depend on, so a stale read
    /// is shown with the writes that make it stale, not alone). For the other checkers: the
    /// ops the broken rule names.
    pub ops: Vec<String>,
    /// The longest prefix of a linearization the search built (`linearizability` only).
    pub partial_linearization: Vec<String>,
    /// Ops outside the witness that also write a value one of its reads returned
    /// (`linearizability` only, at most [`MAX_CONTEXT`]): not needed for the violation, but a
    /// reader who saw only the witness's write of that value could think the read was explained.
    pub context: Vec<String>,
}

/// The most context ops a witness lists.
pub const MAX_CONTEXT: usize = 10;

/// A JSON value for a line of text: long arrays show their first elements and their length,
/// long strings their start and length, so one huge read never floods the output.
pub fn short_value(v: &Value) -> String {
    const ITEMS: usize = 5;
    const CHARS: usize = 60;
    match v {
        Value::Array(a) if a.len() > ITEMS + 3 => {
            let head: Vec<String> = a[..ITEMS].iter().map(short_value).collect();
            format!(
                "[{}, … ({} values)]",
                head.join(", "),
                thousands(a.len() as u128)
            )
        }
        Value::String(t) if t.chars().count() > CHARS => {
            let head: String = t.chars().take(CHARS).collect();
            format!(
                "\"{head}…\" ({} chars)",
                thousands(t.chars().count() as u128)
            )
        }
        other => {
            let text = other.to_string();
            if text.chars().count() > 4 * CHARS {
                let head: String = text.chars().take(4 * CHARS).collect();
                format!(
                    "{head}… ({} chars)",
                    thousands(text.chars().count() as u128)
                )
            } else {
                text
            }
        }
    }
}

/// The value an op of a register or map writes (`write`/`put`: its input; `cas`: the new value).
fn written_value<'a>(h: &History, op: &'a record::Op) -> Option<&'a Value> {
    match h.op_type(op) {
        "write" | "put" => Some(&op.input),
        "cas" => op.input.get(1),
        _ => None,
    }
}

/// The context of a linearizability witness: ops on its key, outside it, that did or may have
/// taken effect and write a value one of the witness's ok reads returned.
fn read_value_context(h: &History, w: &Witness) -> Vec<String> {
    let in_witness: std::collections::HashSet<&str> = w.ops.iter().map(String::as_str).collect();
    let on_key = |op: &record::Op| h.key_name(op.key) == w.key;
    let read_values: Vec<&Value> = h
        .ops
        .iter()
        .filter(|op| in_witness.contains(&*op.id) && on_key(op))
        .filter(|op| matches!(h.op_type(op), "read" | "get") && op.status() == Status::Ok)
        .map(|op| &op.output)
        .filter(|v| !v.is_null())
        .collect();
    if read_values.is_empty() {
        return Vec::new();
    }
    let mut ctx: Vec<&record::Op> = h
        .ops
        .iter()
        .filter(|op| !in_witness.contains(&*op.id) && op.status() != Status::Failed && on_key(op))
        .filter(|op| written_value(h, op).is_some_and(|v| read_values.contains(&v)))
        .collect();
    ctx.sort_by_key(|op| op.invoke);
    ctx.iter()
        .take(MAX_CONTEXT)
        .map(|op| op.id.to_string())
        .collect()
}

/// What `dstplan history check` reports.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub model: String,
    pub checker: String,
    pub outcome: Outcome,
    /// Operations in the history (every line, failed ones included).
    pub ops: usize,
    /// Distinct keys (the `null` key counts as one).
    pub keys: usize,
    pub elapsed_ms: u128,
    /// One line to paste into a finding's `oracle.evidence`.
    pub evidence: String,
    pub witness: Option<Witness>,
    /// Weak-history warnings and notes on how the check went.
    pub diagnostics: Vec<String>,
    /// The consistency level checked (`serializability` only).
    pub consistency: Option<String>,
    /// Isolation anomalies found, forbidden and allowed (`serializability` only).
    pub anomalies: Vec<txn::Anomaly>,
}

/// A history that cannot be checked: where and why (the library error).
pub use crate::error::Error as HistoryError;

/// The models `history check` knows, in the spec's order.
pub const MODELS: &[&str] = &[
    "register",
    "map",
    "queue",
    "counter",
    "ledger",
    "set",
    "log",
    "list-append",
    "rw-register",
    "lock",
    "lease",
];

/// The checker run when `--checker` is omitted.
pub fn default_checker(model: &str) -> Option<&'static str> {
    match model {
        "register" | "map" | "counter" | "set" => Some("linearizability"),
        "queue" => Some("prefix-order"),
        "log" => Some("no-lost-ack"),
        "ledger" => Some("exactly-once"),
        "list-append" | "rw-register" => Some("serializability"),
        "lock" | "lease" => Some("exclusion"),
        _ => None,
    }
}

/// The built-in checkers that run on `model` (from the vocabulary's table).
pub fn checkers_for(model: &str) -> Vec<&'static str> {
    crate::vocab::BUILTIN_CHECKERS
        .iter()
        .filter(|(_, models)| models.contains(&model))
        .map(|(c, _)| *c)
        .collect()
}

/// The largest history file read (4 GiB): beyond it a file is refused, not read until memory
/// runs out.
pub const MAX_HISTORY_BYTES: u64 = 4 << 30;

/// Read a history and apply the structural rules; returns it with its weak-history warnings.
pub fn load(path: &Path) -> Result<(History, Vec<String>), HistoryError> {
    let shown = path.display().to_string();
    let reader = crate::fsx::open_bounded(path, MAX_HISTORY_BYTES)?;
    let h = record::read(&shown, reader)?;
    let warnings = validate::check(&h)?;
    Ok((h, warnings))
}

/// Read and validate a history from a stream (`-`: standard input), shown as `shown` in
/// messages. The stream is bounded like a file: past [`MAX_HISTORY_BYTES`] it is an input
/// error, not a truncated history.
pub fn load_stream(
    shown: &str,
    reader: impl std::io::Read,
) -> Result<(History, Vec<String>), HistoryError> {
    let limited = Limited {
        inner: reader,
        left: MAX_HISTORY_BYTES,
    };
    let h = record::read(shown, std::io::BufReader::with_capacity(1 << 16, limited))?;
    let warnings = validate::check(&h)?;
    Ok((h, warnings))
}

/// A reader that fails once more than `left` bytes have been read from it.
struct Limited<R> {
    inner: R,
    left: u64,
}

impl<R: std::io::Read> std::io::Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            std::io::Error::other(format!(
                "more than {MAX_HISTORY_BYTES} bytes; split the history or check it from a file"
            ))
        })?;
        Ok(n)
    }
}

/// `dstplan history validate`: the weak-history warnings, or the first input error.
pub fn validate_file(path: &Path) -> Result<Vec<String>, HistoryError> {
    load(path).map(|(_, w)| w)
}

/// `dstplan history check`: read, validate and check a history file.
pub fn check_file(
    path: &Path,
    model: &str,
    checker: Option<&str>,
    budget: Duration,
) -> Result<CheckReport, HistoryError> {
    let start = Instant::now();
    let (h, warnings) = load(path)?;
    check_history(&h, warnings, model, checker, budget, start)
}

/// What one checker found, before it is dressed as a [`CheckReport`].
#[derive(Debug, Default)]
pub(crate) struct Finding {
    pub violation: Option<Witness>,
    /// Why the answer is unknown (empty when it is not).
    pub unknown: Vec<String>,
    pub notes: Vec<String>,
    /// A short phrase for the evidence line on a violation (what broke).
    pub what: Option<String>,
    /// Isolation anomalies (`serializability` only).
    pub anomalies: Vec<txn::Anomaly>,
    /// Distinct keys when the checker counts them itself (micro-op keys of transactions).
    pub keys: Option<usize>,
}

/// Run a checker on an already loaded history. `start` is when the work began (reading the
/// file counts toward the reported time and the budget).
pub fn check_history(
    h: &History,
    warnings: Vec<String>,
    model: &str,
    checker: Option<&str>,
    budget: Duration,
    start: Instant,
) -> Result<CheckReport, HistoryError> {
    check_history_at(h, warnings, model, checker, None, budget, start)
}

/// [`check_history`] with a consistency level for `serializability` (`None`: serializable;
/// the other checkers refuse one).
pub fn check_history_at(
    h: &History,
    warnings: Vec<String>,
    model: &str,
    checker: Option<&str>,
    consistency: Option<&str>,
    budget: Duration,
    start: Instant,
) -> Result<CheckReport, HistoryError> {
    if !MODELS.contains(&model) {
        return Err(HistoryError::at(
            &h.path,
            None,
            format!(
                "unknown model `{model}` (expected one of: {})",
                MODELS.join(", ")
            ),
        ));
    }
    let fitting = checkers_for(model);
    let checker = match checker {
        None => default_checker(model).unwrap_or("linearizability"),
        // Accept the vocabulary's spellings and aliases (`Exactly_Once`, `exactly-once-dedup`).
        Some(c) => match crate::vocab::lookup(crate::vocab::CHECKERS, c)
            .and_then(|id| fitting.iter().find(|f| **f == id))
        {
            Some(f) => f,
            None => {
                return Err(HistoryError::at(
                    &h.path,
                    None,
                    format!(
                        "checker `{c}` does not run on model {model}; the checkers that do: {}",
                        fitting.join(", ")
                    ),
                ))
            }
        },
    };
    let deadline = start + budget;
    let level = match (checker, consistency) {
        ("serializability", c) => {
            let l = c.unwrap_or(txn::DEFAULT_LEVEL);
            if !txn::LEVELS.contains(&l) {
                return Err(HistoryError::new(format!(
                    "unknown consistency level `{l}` (expected one of: {})",
                    txn::LEVELS.join(", ")
                )));
            }
            Some(l)
        }
        (_, Some(_)) => {
            return Err(HistoryError::new(format!(
                "--consistency applies to the serializability checker only, not to {checker}"
            )))
        }
        (_, None) => None,
    };
    let found = match checker {
        "serializability" => match txn::model_of(model) {
            Some(m) => txn::check(h, m, level.unwrap_or(txn::DEFAULT_LEVEL), deadline)?,
            None => {
                return Err(HistoryError::at(
                    &h.path,
                    None,
                    format!("serializability does not run on model {model}"),
                ))
            }
        },
        "linearizability" => linearizability(h, model, deadline)?,
        "prefix-order" => queue::prefix_order(h, deadline)?,
        "no-lost-ack" => invariants::no_lost_ack(h)?,
        "exactly-once" => invariants::ledger_bounds(h, false, deadline)?,
        "final-state-invariant" if model == "ledger" => {
            invariants::ledger_bounds(h, true, deadline)?
        }
        "final-state-invariant" => invariants::counter_final(h)?,
        "monotonic-read" => invariants::monotonic_read(h, model)?,
        "session-consistency" => session::session_consistency(h, model)?,
        "exclusion" => exclusion::exclusion(h, model)?,
        other => {
            return Err(HistoryError::at(
                &h.path,
                None,
                format!("checker `{other}` is not built in"),
            ))
        }
    };
    let outcome = if found.violation.is_some() {
        Outcome::Violation
    } else if !found.unknown.is_empty() {
        Outcome::Unknown
    } else {
        Outcome::Ok
    };
    let elapsed_ms = start.elapsed().as_millis();
    let keys = found.keys.unwrap_or_else(|| count_keys(h));
    let mut evidence = format!(
        "dstplan history check: {checker} on {model}, {} ops over {} {}, {}",
        thousands(h.ops.len() as u128),
        thousands(keys as u128),
        if keys == 1 { "key" } else { "keys" },
        outcome.as_str()
    );
    match outcome {
        Outcome::Ok => evidence.push_str(&format!(" in {} ms", thousands(elapsed_ms))),
        Outcome::Violation => {
            evidence.push_str(&format!(" in {} ms", thousands(elapsed_ms)));
            if let Some(w) = &found.violation {
                let key = w
                    .key
                    .as_deref()
                    .map(|k| format!(" on key {k}"))
                    .unwrap_or_default();
                let what = found.what.clone().unwrap_or_else(|| "witness".into());
                evidence.push_str(&format!(" ({what}{key}: ops {})", w.ops.join(", ")));
            }
        }
        Outcome::Unknown => evidence.push_str(&format!(
            " after {} ms ({})",
            thousands(elapsed_ms),
            found
                .unknown
                .first()
                .map(String::as_str)
                .unwrap_or("undecided")
        )),
    }
    let mut diagnostics = warnings;
    diagnostics.extend(found.notes);
    if outcome == Outcome::Unknown {
        diagnostics.extend(found.unknown.iter().map(|u| format!("undecided: {u}")));
    }
    Ok(CheckReport {
        model: model.to_string(),
        checker: checker.to_string(),
        outcome,
        ops: h.ops.len(),
        keys,
        elapsed_ms,
        evidence,
        witness: found.violation,
        diagnostics,
        consistency: level.map(str::to_string),
        anomalies: found.anomalies,
    })
}

fn count_keys(h: &History) -> usize {
    let null = h.ops.iter().any(|op| op.key.is_none());
    h.keys.len() + usize::from(null)
}

/// `1712` → `1,712`.
pub fn thousands(n: u128) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A witness from op indices (sorted by invocation) and a partial linearization.
pub(crate) fn witness(h: &History, key: Option<u32>, ops: &[usize], partial: &[usize]) -> Witness {
    let mut ops: Vec<usize> = ops.to_vec();
    ops.sort_by_key(|&i| (h.ops[i].invoke, i));
    ops.dedup();
    Witness {
        key: h.key_name(key),
        ops: ops.iter().map(|&i| h.ops[i].id.to_string()).collect(),
        partial_linearization: partial.iter().map(|&i| h.ops[i].id.to_string()).collect(),
        context: Vec::new(),
    }
}

/// Notes about what a linearizability check dropped or had to consider.
fn status_notes(h: &History) -> Vec<String> {
    let failed = h
        .ops
        .iter()
        .filter(|o| o.status() == Status::Failed)
        .count();
    let indet = h
        .ops
        .iter()
        .filter(|o| o.status() == Status::Indeterminate)
        .count();
    let mut notes = Vec::new();
    if failed > 0 {
        notes.push(format!(
            "{} failed op(s) dropped (error set, no timeout: they did not take effect)",
            thousands(failed as u128)
        ));
    }
    if indet > 0 {
        notes.push(format!(
            "{} indeterminate op(s) considered both ways (may take effect any time after invocation, or never)",
            thousands(indet as u128)
        ));
    }
    notes
}

/// The state budget of one key's search: a bound on memory. A cached configuration costs
/// 32 bytes plus the hash table's slack, so about 200–400 MB per worker at most (at most 4
/// workers); a history that needs more is `unknown`, never an out-of-memory kill.
const MAX_STATES: usize = 6_000_000;

/// One group of keys checked with one model.
struct LinGroup {
    /// (key order name, witness, partial, 1-minimal confirmed)
    violation: Option<(Option<String>, Witness, bool)>,
    unknown: Vec<String>,
    notes: Vec<String>,
}

fn run_group<M: linear::Model>(
    h: &History,
    model: &M,
    jobs: &[linear::KeyJob<M::Op>],
    deadline: Instant,
) -> LinGroup
where
    M::Op: Clone,
{
    let budget = linear::Budget {
        deadline,
        max_states: MAX_STATES,
        cancel: None,
    };
    let answers = linear::check_keys(model, jobs, budget);
    let mut group = LinGroup {
        violation: None,
        unknown: Vec::new(),
        notes: Vec::new(),
    };
    for (job, ans) in jobs.iter().zip(answers) {
        let name = h.key_name(job.key);
        match ans {
            Some(linear::Answer::Violation { partial, core }) => {
                // Minimizing gets what is left of the budget, but at least a second.
                let min_budget = linear::Budget {
                    deadline: deadline.max(Instant::now() + Duration::from_secs(1)),
                    max_states: MAX_STATES,
                    cancel: None,
                };
                let t = Instant::now();
                let (keep, minimal) = linear::minimize(model, &job.entries, &core, min_budget);
                group.notes.push(format!(
                    "witness shrunk from {} to {} ops in {} ms",
                    thousands(job.entries.len() as u128),
                    keep.len(),
                    thousands(t.elapsed().as_millis())
                ));
                let ops: Vec<usize> = keep.iter().map(|&p| job.entries[p].index).collect();
                let partial: Vec<usize> = partial.iter().map(|&p| job.entries[p].index).collect();
                let w = witness(h, job.key, &ops, &partial);
                group.violation = Some((name, w, minimal));
                break;
            }
            Some(linear::Answer::Unknown(why)) if !why.starts_with("cancelled") => {
                let k = name.as_deref().unwrap_or("null");
                group.unknown.push(format!("key {k}: {why}"));
            }
            Some(linear::Answer::Ok | linear::Answer::Unknown(_)) | None => {}
        }
    }
    group
}

fn linearizability(h: &History, model: &str, deadline: Instant) -> Result<Finding, HistoryError> {
    let groups = match model {
        "register" => vec![run_group(
            h,
            &models::Register,
            &models::register_jobs(h)?,
            deadline,
        )],
        "map" => {
            let (plain, appended) = models::map_jobs(h)?;
            vec![
                run_group(h, &models::Register, &plain, deadline),
                run_group(h, &models::StrRegister, &appended, deadline),
            ]
        }
        "counter" => vec![run_group(
            h,
            &models::Counter,
            &models::counter_jobs(h)?,
            deadline,
        )],
        "set" => vec![run_group(h, &models::GSet, &models::set_jobs(h)?, deadline)],
        other => {
            return Err(HistoryError::at(
                &h.path,
                None,
                format!("linearizability does not run on model {other}"),
            ))
        }
    };
    let mut found = Finding {
        notes: status_notes(h),
        what: Some("not linearizable".into()),
        ..Finding::default()
    };
    let mut best: Option<(Option<String>, Witness, bool)> = None;
    for g in groups {
        found.unknown.extend(g.unknown);
        found.notes.extend(g.notes);
        if let Some(v) = g.violation {
            if best.as_ref().is_none_or(|b| v.0 < b.0) {
                best = Some(v);
            }
        }
    }
    if let Some((_, mut w, minimal)) = best {
        w.context = read_value_context(h, &w);
        if !w.context.is_empty() {
            found.notes.push(format!(
                "context: op(s) {} also write a value the witness reads (not needed for the \
                 violation)",
                w.context.join(", ")
            ));
        }
        if !minimal {
            found.notes.push(
                "witness not proven 1-minimal: the budget ran out while shrinking it".to_string(),
            );
        }
        found.violation = Some(w);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1712), "1,712");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn defaults_fit_the_vocabulary() {
        for m in MODELS {
            let d = default_checker(m).unwrap();
            assert!(checkers_for(m).contains(&d), "{m} → {d}");
        }
        assert_eq!(default_checker("queue"), Some("prefix-order"));
        assert_eq!(default_checker("nope"), None);
    }

    #[test]
    fn errors_display_path_and_line() {
        let e = HistoryError::at("h.jsonl", Some(3), "bad");
        assert_eq!(e.to_string(), "h.jsonl:3: bad");
        let e = HistoryError::at("h.jsonl", None, "bad");
        assert_eq!(e.to_string(), "h.jsonl: bad");
    }
}
