//! Rules that span lines (unique op ids, one outstanding op per process) and the weak-history
//! diagnostics of `shared/spec/history-format.md`.
//!
//! These run on every history before any checker, because a checker fed a history that breaks
//! them would give a verdict about the recorder, not about the system: two overlapping ops of
//! one process mean the recorder lost track of which response belongs to which request. A
//! broken rule is an input error (exit 2) naming the line; a weakness is a warning, since the
//! history is well-formed but may be too weak to decide a claim.

use super::linear::FastMap;
use super::record::History;
use super::HistoryError;

/// Op types that read state, in any model; a history without one completed is "nothing to
/// check".
const READ_TYPES: &[&str] = &["read", "get", "dequeue", "balance", "txn", "acquire"];

/// Check the cross-line rules; return the weak-history warnings.
pub fn check(h: &History) -> Result<Vec<String>, HistoryError> {
    unique_ids(h)?;
    one_outstanding_op_per_process(h)?;
    Ok(weaknesses(h))
}

fn unique_ids(h: &History) -> Result<(), HistoryError> {
    // Recorders number ops in order: integer ids that only grow are unique without a table
    // (a table of a million ids misses the processor cache on nearly every insert).
    let mut last: Option<i64> = None;
    let increasing = h.ops.iter().all(|op| match op.id.parse::<i64>() {
        Ok(n) if last.is_none_or(|l| n > l) => {
            last = Some(n);
            true
        }
        _ => false,
    });
    if increasing {
        return Ok(());
    }
    let mut seen: FastMap<&str, usize> = FastMap::default();
    seen.reserve(h.ops.len());
    for op in &h.ops {
        if let Some(first) = seen.insert(&op.id, op.line) {
            return Err(HistoryError::at(
                &h.path,
                Some(op.line),
                format!(
                    "duplicate op_id {} (first used on line {first}); op ids must be unique",
                    op.id
                ),
            ));
        }
    }
    Ok(())
}

fn one_outstanding_op_per_process(h: &History) -> Result<(), HistoryError> {
    // Ops grouped by process, each group sorted by invocation time (sorting compact keys, not
    // indices into the ops, keeps the sort cache-friendly).
    // The first op's completion rides along, so the ops themselves are only read for the
    // message.
    // Grouped by a counting pass over the (interned, dense) process ids; a group is sorted
    // only when its ops are not already in invocation order in the file.
    let mut start = vec![0usize; h.processes.len() + 1];
    for op in &h.ops {
        start[op.process as usize + 1] += 1;
    }
    for p in 1..start.len() {
        start[p] += start[p - 1];
    }
    let mut fill = start.clone();
    let mut order: Vec<(u32, i64, u32, Option<i64>)> = vec![(0, 0, 0, None); h.ops.len()];
    for (i, op) in h.ops.iter().enumerate() {
        let f = &mut fill[op.process as usize];
        order[*f] = (op.process, op.invoke, i as u32, op.complete);
        *f += 1;
    }
    for p in 0..h.processes.len() {
        let group = &mut order[start[p]..start[p + 1]];
        if !group.windows(2).all(|w| w[0].1 <= w[1].1) {
            group.sort_unstable_by_key(|&(_, inv, i, _)| (inv, i));
        }
    }
    for pair in order.windows(2) {
        let ((pa, _, ia, ca), (pb, ib_inv, ib, _)) = (pair[0], pair[1]);
        if pa != pb {
            continue;
        }
        let overlap = match ca {
            None => true,
            Some(c) => ib_inv < c,
        };
        if overlap {
            let (a, b) = (&h.ops[ia as usize], &h.ops[ib as usize]);
            let why = match a.complete {
                None if a.error.is_some() => format!(
                    "op {} (line {}) failed but has no complete_ts, so it stays outstanding forever; record when its error arrived in complete_ts",
                    a.id, a.line
                ),
                None => format!(
                    "op {} (line {}) never completed, so it stays outstanding forever; a process that timed out must continue under a new process_id",
                    a.id, a.line
                ),
                Some(c) => format!(
                    "its interval [{}, {}] overlaps op {} (line {}, [{}, {c}])",
                    b.invoke,
                    fmt_end(b.complete),
                    a.id,
                    a.line,
                    a.invoke
                ),
            };
            return Err(HistoryError::at(
                &h.path,
                Some(b.line),
                format!(
                    "process {} has two outstanding ops: op {}: {why}",
                    h.process_name(b.process),
                    b.id
                ),
            ));
        }
    }
    Ok(())
}

fn fmt_end(c: Option<i64>) -> String {
    c.map(|c| c.to_string()).unwrap_or_else(|| "∞".into())
}

/// The weak-history warnings the file alone can show.
pub fn weaknesses(h: &History) -> Vec<String> {
    let mut out = Vec::new();
    // An op with an error is failed (it did not take effect) whether or not it has a
    // complete_ts, so only error-free ops without a response are indeterminate here.
    let silent: Vec<&super::record::Op> = h
        .ops
        .iter()
        .filter(|op| op.complete.is_none() && !op.timeout && op.error.is_none())
        .collect();
    if !silent.is_empty() {
        let shown: Vec<String> = silent
            .iter()
            .take(5)
            .map(|op| format!("op {} (line {})", op.id, op.line))
            .collect();
        let more = if silent.len() > 5 {
            format!(" and {} more", silent.len() - 5)
        } else {
            String::new()
        };
        out.push(format!(
            "weak history: {} op(s) have no response (complete_ts null) but are not marked timeout_marker: {}{more}; they are treated as indeterminate (mark them timeout_marker: true, or record the response)",
            silent.len(),
            shown.join(", ")
        ));
    }
    let failed_silent: Vec<&super::record::Op> = h
        .ops
        .iter()
        .filter(|op| op.complete.is_none() && !op.timeout && op.error.is_some())
        .collect();
    if let Some(first) = failed_silent.first() {
        out.push(format!(
            "weak history: {} op(s) have an error but no complete_ts, first op {} (line {}); they are treated as failed (dropped: the error says they did not take effect); record when the error arrived in complete_ts, or, if the outcome is in fact unknown, set timeout_marker: true",
            failed_silent.len(),
            first.id,
            first.line
        ));
    }
    let read_ids: Vec<u32> = READ_TYPES
        .iter()
        .filter_map(|t| h.op_types.get(t))
        .collect();
    let has_read = h
        .ops
        .iter()
        .any(|op| read_ids.contains(&op.op_type) && op.status() == super::record::Status::Ok);
    if !has_read {
        out.push(
            "weak history: no completed read at all (no ok read, get, dequeue, balance, txn or acquire); there is nothing to check a claim against"
                .to_string(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::record;
    use super::*;

    fn line(id: u32, p: u32, inv: i64, comp: Option<i64>, ty: &str, timeout: bool) -> String {
        let c = comp.map(|c| c.to_string()).unwrap_or("null".into());
        format!(
            r#"{{"op_id":{id},"process_id":{p},"invoke_ts":{inv},"complete_ts":{c},"op_type":"{ty}","key":null,"input":null,"output":null,"error":null,"timeout_marker":{timeout},"node_seen":null,"fault_epoch":null}}"#
        )
    }

    fn run(lines: &[String]) -> Result<Vec<String>, HistoryError> {
        let text = lines.join("\n");
        let h = record::read("h", text.as_bytes())?;
        check(&h)
    }

    #[test]
    fn duplicate_ids_name_the_second_line() {
        let e = run(&[
            line(1, 0, 1, Some(2), "read", false),
            line(1, 1, 3, Some(4), "read", false),
        ])
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("duplicate op_id 1"), "{}", e.message);
    }

    #[test]
    fn overlapping_ops_of_one_process_are_an_error() {
        let e = run(&[
            line(1, 0, 1, Some(10), "read", false),
            line(2, 1, 2, Some(3), "read", false),
            line(3, 0, 5, Some(12), "read", false),
        ])
        .unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("overlaps op 1"), "{}", e.message);
    }

    #[test]
    fn an_op_after_a_timeout_on_the_same_process_is_an_error() {
        let e = run(&[
            line(1, 0, 1, None, "write", true),
            line(2, 0, 50, Some(60), "read", false),
        ])
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("outstanding forever"), "{}", e.message);
    }

    #[test]
    fn touching_intervals_are_fine_and_weaknesses_are_warnings() {
        let w = run(&[
            line(1, 0, 1, Some(5), "write", false),
            line(2, 0, 5, None, "write", false),
        ])
        .unwrap();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("no response"));
        assert!(w[1].contains("no completed read"));
        let w = run(&[line(1, 0, 1, Some(5), "read", false)]).unwrap();
        assert!(w.is_empty(), "{w:?}");
    }
}
