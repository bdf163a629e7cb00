//! Words for people: transaction names, lists, and one sentence per dependency edge.

use super::graph::{Edge, Kind, NONE};
use super::parse::{Mop, TxnModel, Txns};
use crate::history::record::History;

/// Longest list shown in full; longer ones show their last elements.
const SHOW: usize = 8;

/// What explanations need: the history (op ids, times) and the parsed transactions.
pub struct Cx<'a> {
    pub h: &'a History,
    pub t: &'a Txns,
    pub model: TxnModel,
}

impl Cx<'_> {
    /// `T<op_id>` for a numeric op id, `txn <op_id>` otherwise.
    pub fn tn(&self, txn: u32) -> String {
        let id = &self.h.ops[self.t.txns[txn as usize].op].id;
        if id.bytes().all(|b| b.is_ascii_digit()) {
            format!("T{id}")
        } else {
            format!("txn {id}")
        }
    }

    pub fn key(&self, k: u32) -> String {
        self.t.key_name(k)
    }

    pub fn val(&self, v: u32) -> String {
        self.t.val_name(v)
    }

    /// `[1, 2, 3]`, or `[…, 7, 8, 9] (40 elements)` when long.
    pub fn list(&self, l: &[u32]) -> String {
        if l.len() <= SHOW {
            let items: Vec<String> = l.iter().map(|&v| self.val(v)).collect();
            format!("[{}]", items.join(", "))
        } else {
            let items: Vec<String> = l[l.len() - 3..].iter().map(|&v| self.val(v)).collect();
            format!("[…, {}] ({} elements)", items.join(", "), l.len())
        }
    }

    /// The list a read returned (empty when unknown).
    pub fn read_list(&self, read: (u32, u32)) -> &[u32] {
        if read.0 == NONE {
            return &[];
        }
        match &self.t.txns[read.0 as usize].mops[read.1 as usize] {
            Mop::ReadList {
                list: Some(list), ..
            } => list,
            _ => &[],
        }
    }

    /// What a register read returned: `null` or the value.
    pub fn read_reg(&self, read: (u32, u32)) -> String {
        if read.0 == NONE {
            return "?".into();
        }
        match &self.t.txns[read.0 as usize].mops[read.1 as usize] {
            Mop::ReadReg {
                val: Some(Some(v)), ..
            } => self.val(*v),
            Mop::ReadReg {
                val: Some(None), ..
            } => "null".into(),
            _ => "?".into(),
        }
    }

    /// `appended` or `wrote`.
    fn wrote(&self) -> &'static str {
        match self.model {
            TxnModel::ListAppend => "appended",
            TxnModel::RwRegister => "wrote",
        }
    }

    /// One sentence saying why `e` holds.
    pub fn edge(&self, e: &Edge, order_read: &[(u32, u32)]) -> String {
        let (a, b) = (self.tn(e.from), self.tn(e.to));
        let arrow = format!("so {a} → {b} ({})", e.kind.label());
        match (self.model, e.kind) {
            (_, Kind::Rt) => {
                let fa = &self.h.ops[self.t.txns[e.from as usize].op];
                let fb = &self.h.ops[self.t.txns[e.to as usize].op];
                format!(
                    "{a} completed at {} before {b} was invoked at {}, {arrow}",
                    fa.complete.unwrap_or(fa.invoke),
                    fb.invoke
                )
            }
            (TxnModel::ListAppend, Kind::Ww) => {
                let k = self.key(e.key);
                let seen = self.observed_by(e.key, order_read);
                format!(
                    "{a} appended {} to {k} and {b} appended {} right after it{seen}, {arrow}",
                    self.val(e.v1),
                    self.val(e.v2)
                )
            }
            (_, Kind::Wr) => {
                let k = self.key(e.key);
                let shown = match self.model {
                    TxnModel::ListAppend => self.list(self.read_list(e.read)),
                    TxnModel::RwRegister => self.read_reg(e.read),
                };
                format!(
                    "{b} read {k} = {shown} after {a} {} {}, {arrow}",
                    self.wrote(),
                    self.val(e.v1)
                )
            }
            (TxnModel::ListAppend, Kind::Rw) => {
                let k = self.key(e.key);
                let seen = self.observed_by(e.key, order_read);
                format!(
                    "{a} read {k} = {} and {b} appended {}, the next element of {k}{seen}, {arrow}",
                    self.list(self.read_list(e.read)),
                    self.val(e.v2)
                )
            }
            (TxnModel::RwRegister, Kind::Rw) => {
                let k = self.key(e.key);
                format!(
                    "{a} read {k} = null (never written) and {b} wrote {} to {k}, {arrow}",
                    self.val(e.v2)
                )
            }
            (TxnModel::RwRegister, Kind::Ww) => {
                let k = self.key(e.key);
                format!(
                    "{b} wrote {} to {k} after {a}'s {}, {arrow}",
                    self.val(e.v2),
                    self.val(e.v1)
                )
            }
        }
    }

    /// ` (T9 read x = [1, 2, 3])`: the read that shows the key's order.
    fn observed_by(&self, key: u32, order_read: &[(u32, u32)]) -> String {
        match order_read.get(key as usize) {
            Some(&r) if r.0 != NONE => format!(
                " ({} read {} = {})",
                self.tn(r.0),
                self.key(key),
                self.list(self.read_list(r))
            ),
            _ => String::new(),
        }
    }
}
