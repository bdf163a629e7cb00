//! The JSONL history schema (`shared/spec/history-format.md`) and its streaming reader.
//!
//! Why a hand-checked schema instead of a plain `#[derive(Deserialize)]` on the twelve fields:
//! the format's first rule is that every key is present, with `null` for "does not apply", and
//! serde's `Option` cannot tell a missing key from a `null` one. So each line is parsed into
//! `Slot`s (present or absent, any JSON), and the type of every field is checked here with a
//! message naming the key and the line. Nothing in this module panics on input.
//!
//! Memory: the file is read line by line through one reused buffer; each operation keeps only
//! compact fields (strings that repeat — process, key, op type, node, fault epoch — are
//! interned to `u32`), so memory grows with the number of operations, not with the file's text.

use std::io::BufRead;

use serde::Deserialize;
use serde_json::Value;

use super::linear::FastMap;
use super::HistoryError;

/// The twelve keys every line must carry, in the spec's order.
pub const KEYS: [&str; 12] = [
    "op_id",
    "process_id",
    "invoke_ts",
    "complete_ts",
    "op_type",
    "key",
    "input",
    "output",
    "error",
    "timeout_marker",
    "node_seen",
    "fault_epoch",
];

/// A field that may be absent from the line (as opposed to present and `null`).
#[derive(Debug, Default)]
struct Slot(Option<Value>);

impl<'de> Deserialize<'de> for Slot {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(|v| Slot(Some(v)))
    }
}

/// One line as read, before its fields are type-checked. Unknown extra keys are ignored.
#[derive(Debug, Deserialize)]
struct RawLine {
    #[serde(default)]
    op_id: Slot,
    #[serde(default)]
    process_id: Slot,
    #[serde(default)]
    invoke_ts: Slot,
    #[serde(default)]
    complete_ts: Slot,
    #[serde(default)]
    op_type: Slot,
    #[serde(default)]
    key: Slot,
    #[serde(default)]
    input: Slot,
    #[serde(default)]
    output: Slot,
    #[serde(default)]
    error: Slot,
    #[serde(default)]
    timeout_marker: Slot,
    #[serde(default)]
    node_seen: Slot,
    #[serde(default)]
    fault_epoch: Slot,
}

/// What happened to an operation (the spec's "Outcome of an operation").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Completed without error: it took effect and `output` is what it returned.
    Ok,
    /// The server reported an error: it certainly did not take effect.
    Failed,
    /// Timed out, or no response at all: it may or may not have taken effect, at any time
    /// after its invocation.
    Indeterminate,
}

/// One operation, type-checked and compact.
#[derive(Debug, Clone)]
pub struct Op {
    /// The op id as written (integers in decimal, so `1` and `"1"` are the same id and a
    /// history using both is rejected as a duplicate: reports name ops by this text).
    pub id: Box<str>,
    /// Interned process id (identity is the JSON text, so `1` and `"1"` differ).
    pub process: u32,
    pub invoke: i64,
    pub complete: Option<i64>,
    /// Interned op type.
    pub op_type: u32,
    /// Interned key (identity is the JSON text); `None` for a `null` key.
    pub key: Option<u32>,
    pub input: Value,
    pub output: Value,
    pub error: Option<Box<str>>,
    pub timeout: bool,
    /// Interned `node_seen`.
    pub node: Option<u32>,
    /// Interned `fault_epoch`.
    pub fault_epoch: Option<u32>,
    /// 1-based line number in the file.
    pub line: usize,
}

impl Op {
    /// The op's outcome. An op with no response that is not marked `timeout_marker` is
    /// treated as indeterminate (the conservative reading; `validate` warns about it).
    pub fn status(&self) -> Status {
        if self.timeout {
            Status::Indeterminate
        } else if self.error.is_some() {
            Status::Failed
        } else if self.complete.is_none() {
            Status::Indeterminate
        } else {
            Status::Ok
        }
    }
}

/// A string interner: each distinct string gets a small id.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    ids: FastMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    /// The id of `s`, adding it when new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), id);
        id
    }

    /// The string behind an id (empty for an unknown id).
    pub fn name(&self, id: u32) -> &str {
        self.names
            .get(id as usize)
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The id of `s` if it was interned.
    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    /// How many distinct strings.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Where a key sorts: `None` (the `null` key) first, then (name, interned id).
pub type KeyOrder = Option<(String, u32)>;

/// A parsed history: its operations in file order plus the interned strings they point to.
#[derive(Debug, Default, Clone)]
pub struct History {
    pub path: String,
    pub ops: Vec<Op>,
    /// Process ids, as JSON text.
    pub processes: Interner,
    /// Keys, as JSON text.
    pub keys: Interner,
    pub op_types: Interner,
    /// `node_seen` and `fault_epoch` values (shown in the HTML view).
    pub labels: Interner,
}

impl History {
    /// A key for people: a string key without quotes, anything else as its JSON text. A
    /// string that would read as JSON (`"1"`, `"null"`) keeps its quotes, so two different
    /// keys never show the same name.
    pub fn key_name(&self, key: Option<u32>) -> Option<String> {
        key.map(|k| display_json_text(self.keys.name(k)))
    }

    /// Where a key sorts among the history's keys: `null` first, then by name; ties (there
    /// are none while names are distinct) by interned id. Checkers group by this, so keys are
    /// typed: `1` and `"1"` are two keys.
    pub fn key_order(&self, key: Option<u32>) -> KeyOrder {
        key.map(|k| (display_json_text(self.keys.name(k)), k))
    }

    /// A process id for people.
    pub fn process_name(&self, p: u32) -> String {
        display_json_text(self.processes.name(p))
    }

    /// The op type's name.
    pub fn op_type(&self, op: &Op) -> &str {
        self.op_types.name(op.op_type)
    }
}

/// JSON text of a string or number → how people write it (`"x"` → `x`); a string that is
/// itself valid JSON (`"1"`, `"true"`) stays quoted, so the name is never ambiguous.
fn display_json_text(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::String(s)) if serde_json::from_str::<Value>(&s).is_err() => s,
        _ => text.to_string(),
    }
}

/// Read and type-check every line of `reader`. Checks that need only one line happen here
/// (types, `complete_ts >= invoke_ts`, the timeout rules); cross-line rules are in
/// `validate`.
pub fn read<R: BufRead>(path: &str, mut reader: R) -> Result<History, HistoryError> {
    let mut h = History {
        path: path.to_string(),
        ..History::default()
    };
    let mut buf = String::new();
    let mut line_no = 0usize;
    loop {
        buf.clear();
        line_no += 1;
        let n = reader.read_line(&mut buf).map_err(|e| {
            let what = if e.kind() == std::io::ErrorKind::InvalidData {
                "line is not valid UTF-8".to_string()
            } else {
                format!("cannot read: {e}")
            };
            HistoryError::at(path, Some(line_no), what)
        })?;
        if n == 0 {
            break;
        }
        let text = crate::fsx::trim_line(&buf, line_no == 1);
        if text.is_empty() {
            continue;
        }
        let op = parse_line(&mut h, text, line_no)
            .map_err(|m| HistoryError::at(path, Some(line_no), m))?;
        h.ops.push(op);
    }
    Ok(h)
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() => "an integer",
        Value::Number(n) if n.is_u64() => "an integer beyond the signed 64-bit range",
        Value::Number(n)
            if n.as_f64()
                .is_some_and(|f| f.fract() == 0.0 && f.abs() >= 9.2e18) =>
        {
            "a number too large for a 64-bit integer"
        }
        Value::Number(_) => "a fractional number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn take(slot: Slot, key: &str) -> Result<Value, String> {
    slot.0.ok_or_else(|| {
        format!("missing key `{key}` (every line carries all twelve keys; write `null` when a field does not apply)")
    })
}

fn wrong(key: &str, want: &str, got: &Value) -> String {
    format!("`{key}` must be {want}, got {}", type_name(got))
}

fn as_int(v: &Value) -> Option<i64> {
    v.as_i64()
}

/// Parse one non-blank line into an [`Op`].
fn parse_line(h: &mut History, text: &str, line: usize) -> Result<Op, String> {
    // serde would also accept a struct written as an array; the format says object.
    if !text.starts_with('{') {
        return match serde_json::from_str::<Value>(text) {
            Ok(v) => Err(format!(
                "each line must be a JSON object, got {}",
                type_name(&v)
            )),
            Err(e) => Err(format!("malformed JSON: {}", clean_json_err(&e))),
        };
    }
    let raw: RawLine = serde_json::from_str(text).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => {
                let m = clean_json_err(&e);
                if m.contains("duplicate field") {
                    format!("a key appears twice: {m}")
                } else {
                    "each line must be a JSON object with the twelve history keys".to_string()
                }
            }
            _ => format!("malformed JSON: {}", clean_json_err(&e)),
        }
    })?;
    // Report the first missing key in the spec's order.
    let present = [
        raw.op_id.0.is_some(),
        raw.process_id.0.is_some(),
        raw.invoke_ts.0.is_some(),
        raw.complete_ts.0.is_some(),
        raw.op_type.0.is_some(),
        raw.key.0.is_some(),
        raw.input.0.is_some(),
        raw.output.0.is_some(),
        raw.error.0.is_some(),
        raw.timeout_marker.0.is_some(),
        raw.node_seen.0.is_some(),
        raw.fault_epoch.0.is_some(),
    ];
    let missing: Vec<&str> = KEYS
        .iter()
        .zip(present)
        .filter(|(_, p)| !p)
        .map(|(k, _)| *k)
        .collect();
    if !missing.is_empty() {
        let list = missing
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let noun = if missing.len() == 1 { "key" } else { "keys" };
        return Err(format!(
            "missing {noun} {list} (every line carries all twelve keys; write `null` when a field does not apply)"
        ));
    }

    let id = match take(raw.op_id, "op_id")? {
        Value::String(s) => s.into_boxed_str(),
        Value::Number(n) if n.is_u64() => n.to_string().into_boxed_str(),
        Value::Number(n) if n.is_i64() => {
            return Err(format!(
                "`op_id` must be a string or a non-negative integer, got {n}, a negative integer; number ops from 0 up, or write the id as a string (\"{n}\")"
            ))
        }
        other @ Value::Number(_) if type_name(&other).contains("too large") => {
            return Err(format!(
                "`op_id` {other} is too large for a 64-bit integer (the largest is 18446744073709551615); write such ids as strings"
            ))
        }
        other => return Err(wrong("op_id", "a string or a non-negative integer", &other)),
    };
    let process = match take(raw.process_id, "process_id")? {
        v @ (Value::String(_) | Value::Number(_)) if !is_fraction(&v) => {
            h.processes.intern(&v.to_string())
        }
        other => return Err(wrong("process_id", "a string or an integer", &other)),
    };
    let invoke_v = take(raw.invoke_ts, "invoke_ts")?;
    let invoke = as_int(&invoke_v).ok_or_else(|| wrong("invoke_ts", "an integer", &invoke_v))?;
    let complete = match take(raw.complete_ts, "complete_ts")? {
        Value::Null => None,
        v => Some(as_int(&v).ok_or_else(|| wrong("complete_ts", "an integer or null", &v))?),
    };
    let op_type = match take(raw.op_type, "op_type")? {
        Value::String(s) => h.op_types.intern(&s),
        other => return Err(wrong("op_type", "a string", &other)),
    };
    let key = match take(raw.key, "key")? {
        Value::Null => None,
        v @ (Value::String(_) | Value::Number(_)) if !is_fraction(&v) => {
            Some(h.keys.intern(&v.to_string()))
        }
        other => return Err(wrong("key", "a string, an integer or null", &other)),
    };
    let input = take(raw.input, "input")?;
    let output = take(raw.output, "output")?;
    let error = match take(raw.error, "error")? {
        Value::Null => None,
        Value::String(s) => Some(s.into_boxed_str()),
        other => return Err(wrong("error", "a string or null", &other)),
    };
    let timeout = match take(raw.timeout_marker, "timeout_marker")? {
        Value::Bool(b) => b,
        other => return Err(wrong("timeout_marker", "a boolean", &other)),
    };
    let node = match take(raw.node_seen, "node_seen")? {
        Value::Null => None,
        Value::String(s) => Some(h.labels.intern(&s)),
        other => return Err(wrong("node_seen", "a string or null", &other)),
    };
    let fault_epoch = match take(raw.fault_epoch, "fault_epoch")? {
        Value::Null => None,
        Value::String(s) => Some(h.labels.intern(&s)),
        v @ Value::Number(_) if !is_fraction(&v) => Some(h.labels.intern(&v.to_string())),
        other => return Err(wrong("fault_epoch", "a string, an integer or null", &other)),
    };

    if let Some(c) = complete {
        if c < invoke {
            return Err(format!(
                "op {id}: complete_ts {c} is before invoke_ts {invoke} (responses cannot arrive before requests)"
            ));
        }
    }
    if timeout {
        if complete.is_some() {
            return Err(format!(
                "op {id}: timeout_marker is true but complete_ts is set (an op whose outcome is unknown has no response time; set complete_ts to null)"
            ));
        }
        if !output.is_null() {
            return Err(format!(
                "op {id}: timeout_marker is true but output is not null (an op with no response has no output)"
            ));
        }
    }
    Ok(Op {
        id,
        process,
        invoke,
        complete,
        op_type,
        key,
        input,
        output,
        error,
        timeout,
        node,
        fault_epoch,
        line,
    })
}

fn is_fraction(v: &Value) -> bool {
    matches!(v, Value::Number(n) if !(n.is_i64() || n.is_u64()))
}

/// serde_json's message without its trailing " at line 1 column N" (we give the file line).
fn clean_json_err(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => format!("{} (column {})", &s[..i], e.column()),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"op_id":1,"process_id":0,"invoke_ts":1000,"complete_ts":1900,"op_type":"write","key":"x","input":3,"output":null,"error":null,"timeout_marker":false,"node_seen":"n1","fault_epoch":null}"#;

    fn read_str(s: &str) -> Result<History, HistoryError> {
        read("h.jsonl", s.as_bytes())
    }

    #[test]
    fn reads_a_good_line_and_skips_blank_lines() {
        let h = read_str(&format!("\n{GOOD}\n\n")).unwrap();
        assert_eq!(h.ops.len(), 1);
        let op = &h.ops[0];
        assert_eq!(&*op.id, "1");
        assert_eq!(op.line, 2);
        assert_eq!(h.key_name(op.key).as_deref(), Some("x"));
        assert_eq!(op.status(), Status::Ok);
    }

    #[test]
    fn a_missing_key_is_named_with_its_line() {
        let bad = GOOD.replace(r#","node_seen":"n1""#, "");
        let e = read_str(&format!("{GOOD}\n{bad}\n")).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("`node_seen`"), "{}", e.message);
    }

    #[test]
    fn malformed_json_and_wrong_types_are_errors() {
        let e = read_str("{\"op_id\":").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.starts_with("malformed JSON"), "{}", e.message);
        let e = read_str("[1,2]").unwrap_err();
        assert!(e.message.contains("JSON object"));
        let e =
            read_str(&GOOD.replace("\"invoke_ts\":1000", "\"invoke_ts\":\"1000\"")).unwrap_err();
        assert!(
            e.message.contains("`invoke_ts` must be an integer"),
            "{}",
            e.message
        );
        let e = read_str(&GOOD.replace("\"op_id\":1", "\"op_id\":-1")).unwrap_err();
        assert!(e.message.contains("`op_id`"), "{}", e.message);
    }

    #[test]
    fn per_line_rules() {
        let e = read_str(&GOOD.replace("1900", "900")).unwrap_err();
        assert!(e.message.contains("before invoke_ts"), "{}", e.message);
        let e = read_str(&GOOD.replace("false", "true")).unwrap_err();
        assert!(e.message.contains("complete_ts is set"), "{}", e.message);
        let t = GOOD
            .replace("false", "true")
            .replace("1900", "null")
            .replace("\"output\":null", "\"output\":5");
        let e = read_str(&t).unwrap_err();
        assert!(e.message.contains("output is not null"), "{}", e.message);
    }

    #[test]
    fn invalid_utf8_is_an_error_not_a_panic() {
        let mut bytes = GOOD.as_bytes().to_vec();
        bytes.extend_from_slice(b"\n\xff\xfe\n");
        let e = read("h", &bytes[..]).unwrap_err();
        assert_eq!(e.line, Some(2));
    }
}
