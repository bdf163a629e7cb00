//! Transactions from history lines: each op's micro-operations, type-checked, values interned.
//!
//! An ok transaction is read from its `output` (reads carry what they saw); an aborted or
//! indeterminate one from its `input` (its reads saw nothing we know). Values and keys are
//! compared by their JSON text, so `1` and `"1"` are different values.

use serde_json::Value;

use crate::history::record::{History, Interner, Status};
use crate::history::HistoryError;

/// Which transactional model the history uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnModel {
    /// Keys hold lists; `append` adds to the end, `r` returns the whole list.
    ListAppend,
    /// Keys hold one value; `w` replaces it, `r` returns it (`null` = never written).
    RwRegister,
}

impl TxnModel {
    pub fn name(self) -> &'static str {
        match self {
            TxnModel::ListAppend => "list-append",
            TxnModel::RwRegister => "rw-register",
        }
    }

    fn write_f(self) -> &'static str {
        match self {
            TxnModel::ListAppend => "append",
            TxnModel::RwRegister => "w",
        }
    }
}

/// A micro-operation, values and keys interned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mop {
    /// `append` (list-append) or `w` (rw-register) of `val` to `key`.
    Write { key: u32, val: u32 },
    /// A list read: `None` when the txn is not ok (nothing known).
    ReadList { key: u32, list: Option<Vec<u32>> },
    /// A register read: `Some(None)` read the initial state, `None` when nothing is known.
    ReadReg { key: u32, val: Option<Option<u32>> },
}

/// One transaction.
#[derive(Debug, Clone)]
pub struct Txn {
    /// Index of its line's op in the history.
    pub op: usize,
    pub status: Status,
    pub mops: Vec<Mop>,
}

/// Every transaction of a history with the interned keys and values they use.
#[derive(Debug, Default)]
pub struct Txns {
    pub txns: Vec<Txn>,
    pub keys: Interner,
    pub vals: Interner,
}

impl Txns {
    /// A key for people (a string without quotes).
    pub fn key_name(&self, k: u32) -> String {
        plain(self.keys.name(k))
    }
    /// A value for people.
    pub fn val_name(&self, v: u32) -> String {
        plain(self.vals.name(v))
    }
}

fn plain(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::String(s)) => s,
        _ => text.to_string(),
    }
}

/// Parse every op of `h` as a transaction of `model`.
pub fn parse(h: &History, model: TxnModel) -> Result<Txns, HistoryError> {
    let mut t = Txns::default();
    t.txns.reserve(h.ops.len());
    for (i, op) in h.ops.iter().enumerate() {
        let at = |m: String| HistoryError::at(&h.path, Some(op.line), m);
        if h.op_type(op) != "txn" {
            return Err(at(format!(
                "op_type `{}` is not a transaction; the {} model takes only op_type \"txn\" with micro-ops in input and output",
                h.op_type(op),
                model.name()
            )));
        }
        let status = op.status();
        let input = mops_of(&op.input, "input", model).map_err(at)?;
        let out = if status == Status::Ok {
            let output = mops_of(&op.output, "output", model).map_err(at)?;
            if output.len() != input.len() {
                return Err(at(format!(
                    "output has {} micro-op(s) but input has {}; an ok txn's output repeats its input's micro-ops in order, with the values reads returned",
                    output.len(),
                    input.len()
                )));
            }
            for (n, (a, b)) in input.iter().zip(&output).enumerate() {
                if a.0 != b.0 || a.1 != b.1 || (a.0 != "r" && a.2 != b.2) {
                    return Err(at(format!(
                        "micro-op {} of output is {} but input has {}; output must repeat input's micro-ops (same function, key and written value)",
                        n + 1,
                        show(b),
                        show(a)
                    )));
                }
            }
            output
        } else {
            input
        };
        let mut mops = Vec::with_capacity(out.len());
        for (n, (f, k, v)) in out.iter().enumerate() {
            let key = t.keys.intern(&k.to_string());
            let mop = if *f == "r" {
                match (model, status) {
                    (TxnModel::ListAppend, Status::Ok) => {
                        let list = match v {
                            Value::Null => Vec::new(),
                            Value::Array(items) => {
                                items.iter().map(|x| t.vals.intern(&x.to_string())).collect()
                            }
                            other => {
                                return Err(at(format!(
                                    "micro-op {} of output reads key {k} as {other}; a list-append read returns the whole list (an array, or null for an empty key)",
                                    n + 1
                                )))
                            }
                        };
                        Mop::ReadList {
                            key,
                            list: Some(list),
                        }
                    }
                    (TxnModel::ListAppend, _) => Mop::ReadList { key, list: None },
                    (TxnModel::RwRegister, Status::Ok) => Mop::ReadReg {
                        key,
                        val: Some(match v {
                            Value::Null => None,
                            x => Some(t.vals.intern(&x.to_string())),
                        }),
                    },
                    (TxnModel::RwRegister, _) => Mop::ReadReg { key, val: None },
                }
            } else {
                if v.is_null() {
                    return Err(at(format!(
                        "micro-op {} writes null to key {k}; written values must be unique non-null values",
                        n + 1
                    )));
                }
                Mop::Write {
                    key,
                    val: t.vals.intern(&v.to_string()),
                }
            };
            mops.push(mop);
        }
        t.txns.push(Txn {
            op: i,
            status,
            mops,
        });
    }
    Ok(t)
}

fn show(m: &(&str, &Value, &Value)) -> String {
    format!("[\"{}\", {}, {}]", m.0, m.1, m.2)
}

/// The micro-ops of `input` or `output`: `[f, key, value]` triples.
fn mops_of<'a>(
    v: &'a Value,
    field: &str,
    model: TxnModel,
) -> Result<Vec<(&'a str, &'a Value, &'a Value)>, String> {
    let expected = format!("[f, key, value] with f `{}` or `r`", model.write_f());
    let Value::Array(items) = v else {
        return Err(format!(
            "`{field}` of a txn must be a list of micro-ops {expected}, got {v}"
        ));
    };
    let mut out = Vec::with_capacity(items.len());
    for (n, m) in items.iter().enumerate() {
        let bad = || {
            format!(
                "micro-op {} of `{field}` is {m}; each micro-op is a three-element array {expected} ({} model)",
                n + 1,
                model.name()
            )
        };
        let Value::Array(parts) = m else {
            return Err(bad());
        };
        if parts.len() != 3 {
            return Err(bad());
        }
        let f = match parts[0].as_str() {
            Some(f) if f == "r" || f == model.write_f() => f,
            _ => return Err(bad()),
        };
        if !(parts[1].is_string() || parts[1].is_number()) {
            return Err(format!(
                "micro-op {} of `{field}` has key {}; keys are strings or integers",
                n + 1,
                parts[1]
            ));
        }
        out.push((f, &parts[1], &parts[2]));
    }
    Ok(out)
}
