//! `serializability`: isolation anomalies of transactional histories (list-append,
//! rw-register), after Adya's classes as Elle infers them.
//!
//! Pipeline: [`parse`] turns lines into transactions; [`infer`] recovers version orders from
//! reads and emits the anomalies visible without a cycle plus the dependency edges;
//! [`graph`] holds the edges, finds strongly connected components and shortest paths;
//! [`cycles`] finds one shortest cycle per class; [`explain`] words every edge. The consistency
//! level decides which classes are violations ([`forbids`]); the others become notes.

use std::time::Instant;

mod cycles;
pub mod draw;
mod explain;
mod graph;
mod infer;
mod parse;
pub mod sim;

pub use parse::TxnModel;

use super::record::{History, Status};
use super::{thousands, Finding, HistoryError, Witness};
use graph::Graph;

/// The consistency levels `--consistency` accepts, weakest first.
pub const LEVELS: &[&str] = &[
    "read-committed",
    "snapshot-isolation",
    "repeatable-read",
    "serializable",
    "strict-serializable",
];

/// The level checked when none is given.
pub const DEFAULT_LEVEL: &str = "serializable";

/// Anomaly classes in the order they are reported (worst first).
pub const CLASSES: &[&str] = &[
    "internal",
    "duplicate",
    "incompatible-order",
    "G0",
    "G1a",
    "G1b",
    "G1c",
    "G-single",
    "G2-item",
    "G0-realtime",
    "G1c-realtime",
    "G-single-realtime",
    "G2-item-realtime",
];

/// Whether `level` forbids anomaly `class` (the table of "Transactional models").
pub fn forbids(level: &str, class: &str) -> bool {
    let rank = LEVELS
        .iter()
        .position(|l| *l == level)
        .unwrap_or(LEVELS.len());
    match class {
        "G-single" => rank >= 1,
        "G2-item" => rank >= 2,
        c if c.ends_with("-realtime") => rank >= 4,
        _ => true,
    }
}

/// One anomaly class found, with a witness a person can follow.
#[derive(Debug, Clone)]
pub struct Anomaly {
    pub class: String,
    /// Whether the level checked forbids it (a violation) or allows it (a note).
    pub forbidden: bool,
    /// How many times it was seen (for cycles: in how many components).
    pub count: usize,
    /// The transactions of the witness (op ids), in cycle order for cycles.
    pub txns: Vec<String>,
    /// One sentence per step (per edge, for cycles).
    pub steps: Vec<String>,
    /// The cycle's edges for drawing: (from op id, to op id, label); empty when no cycle.
    pub edges: Vec<(String, String, String)>,
}

/// The model's micro-op form, from its name.
pub fn model_of(name: &str) -> Option<TxnModel> {
    match name {
        "list-append" => Some(TxnModel::ListAppend),
        "rw-register" => Some(TxnModel::RwRegister),
        _ => None,
    }
}

/// Check a transactional history at `level`.
pub(crate) fn check(
    h: &History,
    model: TxnModel,
    level: &str,
    deadline: Instant,
) -> Result<Finding, HistoryError> {
    let txns = parse::parse(h, model)?;
    let cx = explain::Cx { h, t: &txns, model };
    let mut inf = match model {
        TxnModel::ListAppend => infer::list_append(&cx)?,
        TxnModel::RwRegister => infer::rw_register(&cx)?,
    };
    let strict = level == "strict-serializable";
    if strict {
        let rt = infer::realtime(&cx, &inf.committed);
        inf.edges.extend(rt);
    }
    let mut count = [0usize; 4];
    for e in &inf.edges {
        count[e.kind.bit().trailing_zeros() as usize] += 1;
    }
    let g = Graph::new(txns.txns.len(), std::mem::take(&mut inf.edges));
    let cyc = cycles::search(&g, strict, deadline);

    let mut anomalies: Vec<Anomaly> = Vec::new();
    let name = |t: u32| h.ops[txns.txns[t as usize].op].id.to_string();
    for (class, (n, f)) in &inf.anoms.by_class {
        anomalies.push(Anomaly {
            class: class.to_string(),
            forbidden: forbids(level, class),
            count: *n,
            txns: f.txns.iter().map(|&t| name(t)).collect(),
            steps: f.steps.clone(),
            edges: Vec::new(),
        });
    }
    for (class, (n, cycle)) in &cyc.by_class {
        let edges: Vec<&graph::Edge> = cycle.iter().map(|&e| &g.edges[e as usize]).collect();
        anomalies.push(Anomaly {
            class: class.to_string(),
            forbidden: forbids(level, class),
            count: *n,
            txns: edges.iter().map(|e| name(e.from)).collect(),
            steps: edges.iter().map(|e| cx.edge(e, &inf.order_read)).collect(),
            edges: edges
                .iter()
                .map(|e| (name(e.from), name(e.to), e.kind.label().to_string()))
                .collect(),
        });
    }
    anomalies.sort_by_key(|a| CLASSES.iter().position(|c| *c == a.class));

    let mut found = Finding::default();
    let statuses = |s: Status| txns.txns.iter().filter(|t| t.status == s).count();
    let indet = statuses(Status::Indeterminate);
    let observed = txns
        .txns
        .iter()
        .enumerate()
        .filter(|(i, t)| t.status == Status::Indeterminate && inf.committed[*i])
        .count();
    let mut summary = format!(
        "{} transactions: {} committed, {} aborted, {} indeterminate",
        thousands(txns.txns.len() as u128),
        thousands(statuses(Status::Ok) as u128),
        thousands(statuses(Status::Failed) as u128),
        thousands(indet as u128),
    );
    if indet > 0 {
        summary.push_str(&format!(
            " ({} of them observed by a read, so committed; the rest assumed neither way)",
            thousands(observed as u128)
        ));
    }
    found.notes.push(summary);
    let mut edges_note = format!(
        "dependency edges: {} ww, {} wr, {} rw",
        thousands(count[0] as u128),
        thousands(count[1] as u128),
        thousands(count[2] as u128)
    );
    if strict {
        edges_note.push_str(&format!(", {} realtime", thousands(count[3] as u128)));
    }
    found.notes.push(edges_note);
    for a in anomalies.iter().filter(|a| !a.forbidden) {
        found.notes.push(format!(
            "{} found but allowed at {level}: transactions {}",
            a.class,
            a.txns.join(", ")
        ));
    }
    if let Some(a) = anomalies.iter().find(|a| a.forbidden) {
        found.violation = Some(Witness {
            key: None,
            ops: a.txns.clone(),
            partial_linearization: Vec::new(),
            context: Vec::new(),
        });
        let classes: Vec<&str> = anomalies
            .iter()
            .filter(|a| a.forbidden)
            .map(|a| a.class.as_str())
            .collect();
        found.what = Some(format!("{} at {level}", classes.join(", ")));
    } else {
        if !cyc.complete {
            found
                .unknown
                .push("the budget ran out during the cycle search".to_string());
        }
        found.unknown.extend(inf.unknown.iter().take(3).cloned());
    }
    if !inf.unknown.is_empty() && found.violation.is_some() {
        found.notes.extend(inf.unknown.iter().take(3).cloned());
    }
    found.anomalies = anomalies;
    found.keys = Some(txns.keys.len());
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_levels_forbid_what_the_history_format_says() {
        // (class, forbidden at RC, SI, RR, serializable, strict)
        let table: [(&str, [bool; 5]); 9] = [
            ("G0", [true; 5]),
            ("G1a", [true; 5]),
            ("G1b", [true; 5]),
            ("G1c", [true; 5]),
            ("internal", [true; 5]),
            ("G-single", [false, true, true, true, true]),
            ("G2-item", [false, false, true, true, true]),
            ("G-single-realtime", [false, false, false, false, true]),
            ("G2-item-realtime", [false, false, false, false, true]),
        ];
        for (class, want) in table {
            for (level, w) in LEVELS.iter().zip(want) {
                assert_eq!(forbids(level, class), w, "{class} at {level}");
            }
        }
    }
}
