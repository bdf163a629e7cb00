//! `dstplan history record`: a Jepsen-style event stream (invoke / ok / fail / info) into a history file.
//!
//! A workload in any language prints one JSON object per event:
//! `{"type":"invoke"|"ok"|"fail"|"info","process":P,"f":OP,"key":K,"value":V}` with an optional
//! `"time"` (CLOCK_MONOTONIC nanoseconds, the clock of [`crate::fault::log::now_ns`]), `"error"`
//! and `"node"`. The [`Recorder`] pairs each completion with its process's invoke, applies the
//! outcome rules of the history format (`ok` took effect, `fail` certainly did not, `info` may
//! have: indeterminate, and its process is retired), numbers the ops, and fills `fault_epoch`
//! from the session's fault log by invocation time. Every rule broken is an input error naming
//! the event's file and line; the history it writes passes `validate`.
//!
//! Time: either every event carries `time`, or none does and each is stamped when read (sound
//! when the stream is read live: a stamp never puts an event before one printed earlier, so no
//! precedence is invented; equal stamps make ops concurrent, never ordered).

use std::collections::HashMap;
use std::io::BufRead;

use serde::Serialize;
use serde_json::Value;

use crate::error::Error;
use crate::fault::log::FaultRecord;

/// The longest event line read (a longer one is an input error, not a memory exhaustion).
pub const MAX_LINE: u64 = 16 << 20;

/// What a finished recording holds.
#[derive(Debug)]
pub struct Recorded {
    /// The history, one JSON line per op.
    pub text: String,
    pub ops: usize,
    pub ok: usize,
    pub failed: usize,
    pub indeterminate: usize,
    /// Ops still outstanding at the end of the stream (recorded as indeterminate).
    pub unfinished: usize,
    pub processes: usize,
    /// Ops given a `fault_epoch`.
    pub in_fault: usize,
    /// How the times were taken: `"given"` or `"stamped"`.
    pub clock: &'static str,
}

/// One op being built, in the history's field order.
#[derive(Debug, Serialize)]
struct Line {
    op_id: u64,
    process_id: Value,
    invoke_ts: i64,
    complete_ts: Option<i64>,
    op_type: String,
    key: Value,
    input: Value,
    output: Value,
    error: Option<String>,
    timeout_marker: bool,
    node_seen: Option<String>,
    fault_epoch: Option<String>,
}

/// Where an event came from.
#[derive(Debug, Clone)]
struct Place {
    source: usize,
    line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clock {
    Unset,
    Given,
    Stamped,
}

/// Turns events into a history; feed it sources in order, then [`Recorder::finish`].
pub struct Recorder {
    model: Option<String>,
    sources: Vec<String>,
    lines: Vec<Line>,
    /// Process (JSON text) → index of its outstanding op and where it was invoked.
    pending: HashMap<String, (usize, Place)>,
    /// Process → where its `info` retired it.
    retired: HashMap<String, Place>,
    /// Process → when its last op completed.
    free_at: HashMap<String, i64>,
    clock: Clock,
    clock_set_at: Option<Place>,
    last_stamp: i64,
}

/// The op types of each model, from the history format.
fn ops_of(model: &str) -> &'static [&'static str] {
    match model {
        "register" => &["read", "write", "cas"],
        "map" => &["get", "put", "append"],
        "queue" => &["enqueue", "dequeue"],
        "counter" => &["inc", "read"],
        "ledger" => &["credit", "debit", "balance"],
        "set" => &["add", "read"],
        "log" => &["append", "read"],
        _ => &[],
    }
}

impl Recorder {
    /// A recorder; `model` (when given) checks op names and normalises outputs the format
    /// fixes (a write's output is `null`, a completed cas reports `true`).
    pub fn new(model: Option<&str>) -> Result<Recorder, Error> {
        if let Some(m) = model {
            if ops_of(m).is_empty() {
                return Err(Error::new(format!(
                    "unknown model `{m}` (expected one of: {})",
                    super::MODELS.join(", ")
                )));
            }
        }
        Ok(Recorder {
            model: model.map(str::to_string),
            sources: Vec::new(),
            lines: Vec::new(),
            pending: HashMap::new(),
            retired: HashMap::new(),
            free_at: HashMap::new(),
            clock: Clock::Unset,
            clock_set_at: None,
            last_stamp: i64::MIN,
        })
    }

    fn err(&self, at: &Place, msg: impl Into<String>) -> Error {
        Error::at(self.sources[at.source].clone(), Some(at.line), msg)
    }

    fn show(&self, at: &Place) -> String {
        format!("{}:{}", self.sources[at.source], at.line)
    }

    /// Read every event of one source (`name` is how messages call it).
    pub fn feed<R: BufRead>(&mut self, name: &str, mut reader: R) -> Result<(), Error> {
        self.sources.push(name.to_string());
        let source = self.sources.len() - 1;
        let mut buf = String::new();
        let mut line = 0usize;
        loop {
            buf.clear();
            line += 1;
            let at = Place { source, line };
            let n = std::io::Read::take(&mut reader, MAX_LINE + 1)
                .read_line(&mut buf)
                .map_err(|e| {
                    let what = if e.kind() == std::io::ErrorKind::InvalidData {
                        "line is not valid UTF-8 (events are JSON text)".to_string()
                    } else {
                        format!("cannot read: {e}")
                    };
                    self.err(&at, what)
                })?;
            if n == 0 {
                return Ok(());
            }
            if n as u64 > MAX_LINE {
                return Err(self.err(
                    &at,
                    format!("line longer than {MAX_LINE} bytes; one event per line, each a small JSON object"),
                ));
            }
            let text = crate::fsx::trim_line(&buf, line == 1);
            if text.is_empty() {
                continue;
            }
            let stamp = crate::fault::log::now_ns();
            self.event(text, at, stamp)?;
        }
    }

    fn event(&mut self, text: &str, at: Place, stamp: i64) -> Result<(), Error> {
        let v: Value = serde_json::from_str(text).map_err(|e| {
            self.err(
                &at,
                format!("malformed JSON ({e}); each line is one event object"),
            )
        })?;
        let Value::Object(mut ev) = v else {
            return Err(self.err(&at, "each line must be a JSON object like {\"type\":\"invoke\",\"process\":0,\"f\":\"read\",\"key\":\"x\",\"value\":null}"));
        };
        let kind = match ev.get("type") {
            Some(Value::String(s)) if ["invoke", "ok", "fail", "info"].contains(&s.as_str()) => {
                s.clone()
            }
            Some(other) => {
                return Err(self.err(
                    &at,
                    format!("`type` must be \"invoke\", \"ok\", \"fail\" or \"info\", got {other}"),
                ))
            }
            None => {
                return Err(self.err(
                    &at,
                    "missing `type` (\"invoke\", \"ok\", \"fail\" or \"info\")",
                ))
            }
        };
        let process = match ev.remove("process") {
            Some(p @ Value::String(_)) => p,
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Value::Number(n),
            Some(other) => {
                return Err(self.err(
                    &at,
                    format!("`process` must be a string or an integer, got {other}"),
                ))
            }
            None => return Err(self.err(
                &at,
                "missing `process` (the client that issued the op; one outstanding op per process)",
            )),
        };
        let pkey = process.to_string();
        let f = match ev.remove("f") {
            Some(Value::String(s)) => Some(s),
            None | Some(Value::Null) => None,
            Some(other) => return Err(self.err(&at, format!("`f` must be a string, got {other}"))),
        };
        let key = match ev.remove("key") {
            None => Value::Null,
            Some(k @ (Value::String(_) | Value::Null)) => k,
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Value::Number(n),
            Some(other) => {
                return Err(self.err(
                    &at,
                    format!("`key` must be a string, an integer or null, got {other}"),
                ))
            }
        };
        let time = match ev.remove("time") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.is_i64() => n.as_i64(),
            Some(other) => {
                return Err(self.err(
                    &at,
                    format!("`time` must be an integer (CLOCK_MONOTONIC nanoseconds, e.g. Python's time.monotonic_ns()), got {other}"),
                ))
            }
        };
        let text_field = |ev: &mut serde_json::Map<String, Value>, name: &str| match ev.remove(name)
        {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(other) => Some(other.to_string()),
        };
        let error = text_field(&mut ev, "error");
        let node = text_field(&mut ev, "node");
        let value = ev.remove("value").unwrap_or(Value::Null);

        let mode = if time.is_some() {
            Clock::Given
        } else {
            Clock::Stamped
        };
        match self.clock {
            Clock::Unset => {
                self.clock = mode;
                self.clock_set_at = Some(at.clone());
            }
            c if c != mode => {
                let first = self
                    .clock_set_at
                    .clone()
                    .map(|p| self.show(&p))
                    .unwrap_or_default();
                let (has, hasnt) = if mode == Clock::Given {
                    (
                        "this event has a `time`",
                        format!("the first event ({first}) has none"),
                    )
                } else {
                    (
                        "this event has no `time`",
                        format!("the first event ({first}) has one"),
                    )
                };
                return Err(self.err(
                    &at,
                    format!("{has} but {hasnt}; give every event a `time` or none (then dstplan stamps each as it is read)"),
                ));
            }
            _ => {}
        }
        let t = match time {
            Some(t) => t,
            None => {
                // Never go back, even if the clock read equal.
                let t = stamp.max(self.last_stamp);
                self.last_stamp = t;
                t
            }
        };
        if let Some(r) = self.retired.get(&pkey) {
            return Err(self.err(
                &at,
                format!(
                    "process {pkey} was retired by its `info` event at {}: an op with an unknown outcome may still be running, so the process must continue under a new process id",
                    self.show(r)
                ),
            ));
        }

        if kind == "invoke" {
            let Some(f) = f else {
                return Err(self.err(
                    &at,
                    "an `invoke` needs `f`, the operation (e.g. \"read\", \"write\")",
                ));
            };
            if let Some(m) = &self.model {
                if !ops_of(m).contains(&f.as_str()) {
                    return Err(self.err(
                        &at,
                        format!(
                            "`f` \"{f}\" is not an operation of model {m} (expected one of: {})",
                            ops_of(m).join(", ")
                        ),
                    ));
                }
            }
            if let Some((i, p)) = self.pending.get(&pkey) {
                return Err(self.err(
                    &at,
                    format!(
                        "process {pkey} invokes again while its op {} (invoked at {}) is outstanding; print its `ok`, `fail` or `info` first (one outstanding op per process)",
                        self.lines[*i].op_id,
                        self.show(p)
                    ),
                ));
            }
            if let Some(&free) = self.free_at.get(&pkey) {
                if t < free {
                    return Err(self.err(
                        &at,
                        format!("process {pkey} invokes at time {t}, before its previous op completed ({free}); times must not go back within a process"),
                    ));
                }
            }
            self.lines.push(Line {
                op_id: self.lines.len() as u64 + 1,
                process_id: process,
                invoke_ts: t,
                complete_ts: None,
                op_type: f,
                key,
                input: value,
                output: Value::Null,
                error: None,
                timeout_marker: false,
                node_seen: node,
                fault_epoch: None,
            });
            self.pending.insert(pkey, (self.lines.len() - 1, at));
            return Ok(());
        }

        let Some((i, inv_at)) = self.pending.remove(&pkey) else {
            return Err(self.err(
                &at,
                format!("`{kind}` for process {pkey}, which has no outstanding `invoke`; print the invoke before its completion"),
            ));
        };
        let inv_show = self.show(&inv_at);
        let line = &self.lines[i];
        if let Some(f) = &f {
            if *f != line.op_type {
                return Err(self.err(
                    &at,
                    format!("`f` \"{f}\" differs from the invoke's \"{}\" ({inv_show}); a completion answers its process's invoke", line.op_type),
                ));
            }
        }
        if !key.is_null() && key != line.key {
            return Err(self.err(
                &at,
                format!(
                    "`key` {key} differs from the invoke's {} ({inv_show})",
                    line.key
                ),
            ));
        }
        if t < line.invoke_ts {
            return Err(self.err(
                &at,
                format!(
                    "completes at time {t}, before its invoke at {} ({inv_show})",
                    line.invoke_ts
                ),
            ));
        }
        let model = self.model.clone();
        let line = &mut self.lines[i];
        if node.is_some() {
            line.node_seen = node;
        }
        match kind.as_str() {
            "ok" => {
                line.complete_ts = Some(t);
                line.output = match model.as_deref() {
                    Some(m) => normal_output(m, &line.op_type, value),
                    None => value,
                };
                self.free_at.insert(pkey, t);
            }
            "fail" => {
                line.complete_ts = Some(t);
                line.error = Some(error.unwrap_or_else(|| "fail".to_string()));
                self.free_at.insert(pkey, t);
            }
            _ => {
                line.timeout_marker = true;
                line.error = error;
                self.retired.insert(pkey, at);
            }
        }
        Ok(())
    }

    /// The epoch of the latest-started fault whose window holds `t` (closed intervals).
    fn epoch_at(faults: &[FaultRecord], t: i64) -> Option<String> {
        faults
            .iter()
            .filter(|f| f.overlaps(t, t))
            .max_by(|a, b| (a.start_ts, &a.id).cmp(&(b.start_ts, &b.id)))
            .map(|f| f.fault_epoch.clone())
    }

    /// End the stream: ops still outstanding become indeterminate, and each op invoked inside
    /// a window of `faults` gets its `fault_epoch` (the faults are read at the end, so a fault
    /// started while the stream was being recorded counts). Returns the history text.
    pub fn finish(mut self, shown: &str, faults: &[FaultRecord]) -> Result<Recorded, Error> {
        let unfinished = self.pending.len();
        for (i, _) in self.pending.values() {
            self.lines[*i].timeout_marker = true;
        }
        for l in &mut self.lines {
            l.fault_epoch = Recorder::epoch_at(faults, l.invoke_ts);
        }
        let mut text = String::new();
        let (mut ok, mut failed, mut indet, mut in_fault) = (0, 0, 0, 0);
        let mut procs = std::collections::HashSet::new();
        for l in &self.lines {
            procs.insert(l.process_id.to_string());
            if l.timeout_marker {
                indet += 1;
            } else if l.error.is_some() {
                failed += 1;
            } else {
                ok += 1;
            }
            in_fault += usize::from(l.fault_epoch.is_some());
            let s = serde_json::to_string(l)
                .map_err(|e| Error::internal(format!("internal: cannot serialise an op: {e}")))?;
            text.push_str(&s);
            text.push('\n');
        }
        // What we write must read back as a valid history.
        let h = super::record::read(shown, text.as_bytes()).map_err(|e| {
            Error::internal(format!("internal: the recorded history is invalid: {e}"))
        })?;
        super::validate::check(&h).map_err(|e| {
            Error::internal(format!("internal: the recorded history is invalid: {e}"))
        })?;
        Ok(Recorded {
            text,
            ops: self.lines.len(),
            ok,
            failed,
            indeterminate: indet,
            unfinished,
            processes: procs.len(),
            in_fault,
            clock: if self.clock == Clock::Given {
                "given"
            } else {
                "stamped"
            },
        })
    }
}

/// The output the history format fixes for a completed op of `model`.
fn normal_output(model: &str, f: &str, value: Value) -> Value {
    match (model, f) {
        ("register", "write")
        | ("map", "put" | "append")
        | ("queue", "enqueue")
        | ("counter", "inc")
        | ("ledger", "credit" | "debit")
        | ("set", "add") => Value::Null,
        // An `ok` cas succeeded; a cas that found another value is a `fail` (or says false).
        ("register", "cas") => match value {
            Value::Bool(b) => Value::Bool(b),
            _ => Value::Bool(true),
        },
        ("map", "get") if value.is_null() => Value::String(String::new()),
        ("log", "append") => match value {
            Value::Number(n) if n.is_u64() => Value::Number(n),
            _ => Value::Null,
        },
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(events: &str) -> Result<Recorded, Error> {
        let mut r = Recorder::new(Some("register"))?;
        r.feed("ev", events.as_bytes())?;
        r.finish("h.jsonl", &[])
    }

    #[test]
    fn pairs_completions_and_retires_timed_out_processes() {
        let r = record(
            r#"{"type":"invoke","process":0,"f":"write","key":"x","value":1,"time":10}
{"type":"invoke","process":1,"f":"read","key":"x","time":11}
{"type":"ok","process":0,"f":"write","value":1,"time":20}
{"type":"info","process":1,"time":30}
{"type":"invoke","process":0,"f":"cas","key":"x","value":[1,2],"time":31}
{"type":"fail","process":0,"time":40,"error":"mismatch"}
"#,
        )
        .unwrap();
        assert_eq!((r.ops, r.ok, r.failed, r.indeterminate), (3, 1, 1, 1));
        let lines: Vec<Value> = r
            .text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["output"], Value::Null);
        assert_eq!(lines[1]["timeout_marker"], true);
        assert_eq!(lines[1]["complete_ts"], Value::Null);
        assert_eq!(lines[2]["error"], "mismatch");
        let e = record(
            r#"{"type":"invoke","process":1,"f":"read","key":"x","time":11}
{"type":"info","process":1,"time":30}
{"type":"invoke","process":1,"f":"read","key":"x","time":31}
"#,
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("retired"), "{}", e.message);
    }

    #[test]
    fn stamped_times_never_go_back_and_mixing_is_an_error() {
        let r = record(
            "{\"type\":\"invoke\",\"process\":0,\"f\":\"read\"}\n{\"type\":\"ok\",\"process\":0,\"value\":null}\n",
        )
        .unwrap();
        assert_eq!(r.clock, "stamped");
        let e = record(
            "{\"type\":\"invoke\",\"process\":0,\"f\":\"read\"}\n{\"type\":\"ok\",\"process\":0,\"time\":5}\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
    }
}
