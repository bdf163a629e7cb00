//! Landing verification: a finding may cite the faults its verdict rests on
//! (`nemesis.fault_ids: [F1, F3]`). The report checks each id against the session's fault logs
//! (`fault::log`): it must exist, have `landed: true`, and its window must overlap the cited
//! history's time span. Landing is then **verified** (tool-measured); with only free-text
//! `nemesis.landing_evidence` it is **typed**; otherwise **none**.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use crate::fault::log::{self, FaultRecord};

/// How a finding's landing is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing {
    /// Every cited fault id exists, landed, and overlaps the history (measured by the tool).
    Verified,
    /// Only free-text landing evidence.
    Typed,
    /// Neither.
    None,
}

impl Landing {
    pub fn as_str(self) -> &'static str {
        match self {
            Landing::Verified => "verified",
            Landing::Typed => "typed",
            Landing::None => "none",
        }
    }
}

/// The session's fault logs, read once on first use.
#[derive(Default)]
pub struct FaultLogs {
    cell: OnceLock<Result<BTreeMap<String, FaultRecord>, String>>,
}

impl FaultLogs {
    fn get(&self, dir: &Path) -> &Result<BTreeMap<String, FaultRecord>, String> {
        self.cell
            .get_or_init(|| log::read_session(dir).map_err(|e| e.to_string()))
    }
}

/// Check the cited fault ids. `span` is the cited history's `[first invoke, last completion]`
/// (None when no history is cited or it has no operations). Returns the landing and the
/// problems found, one message per bad id.
pub fn verify(
    dir: &Path,
    logs: &FaultLogs,
    ids: &[String],
    span: Option<(i64, i64)>,
    typed: bool,
) -> (Landing, Vec<String>) {
    let fallback = if typed { Landing::Typed } else { Landing::None };
    if ids.is_empty() {
        return (fallback, Vec::new());
    }
    let faults = match logs.get(dir) {
        Ok(f) => f,
        Err(e) => {
            return (
                fallback,
                vec![format!("the session's fault logs cannot be read: {e}")],
            )
        }
    };
    let mut problems = Vec::new();
    for id in ids {
        let Some(rec) = faults.get(id) else {
            let known: Vec<&str> = faults.keys().map(String::as_str).collect();
            problems.push(if known.is_empty() {
                format!("fault {id} is cited but the session has no fault log (artifacts/<scenario>/faults.jsonl)")
            } else {
                format!(
                    "fault {id} is not in the session's fault logs (known: {})",
                    known.join(", ")
                )
            });
            continue;
        };
        if !rec.landed.is_true() {
            let landed = serde_json::to_string(&rec.landed).unwrap_or_default();
            let why = if rec.landed_why.is_empty() {
                String::new()
            } else {
                format!(" ({})", rec.landed_why.trim_end_matches('.'))
            };
            problems.push(format!(
                "fault {id} ({}) never landed: its log says landed {landed}{why}",
                rec.nemesis
            ));
            continue;
        }
        if let Some((from, to)) = span {
            if !rec.overlaps(from, to) {
                let end = rec.end_ts.map_or("active".to_string(), |e| e.to_string());
                problems.push(format!(
                    "fault {id} ({}) ran over [{}, {end}] but the cited history spans [{from}, {to}]: the fault window does not overlap the history",
                    rec.nemesis, rec.start_ts
                ));
            }
        }
    }
    if problems.is_empty() && span.is_some() {
        (Landing::Verified, problems)
    } else {
        (fallback, problems)
    }
}

/// The time span of a history: the first invocation to the last completion (or invocation,
/// for operations that never completed).
pub fn span(h: &crate::history::record::History) -> Option<(i64, i64)> {
    let from = h.ops.iter().map(|o| o.invoke).min()?;
    let to = h.ops.iter().map(|o| o.complete.unwrap_or(o.invoke)).max()?;
    Some((from, to))
}
