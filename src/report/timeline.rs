//! The timeline picture of a cited history for `report --html`: one lane per process, a time
//! axis, fault windows (from the session's fault logs, else the history's `fault_epoch`
//! values) shaded and labelled, and the violation's operations in red, each labelled with what
//! it did. Only coordinates and label text are computed here; the SVG markup is in the
//! template, which escapes every label.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::Serialize;

use crate::fault::log::FaultRecord;
use crate::history::record::{History, Op, Status};

/// Most ops drawn in one picture (the witness ops are always among them).
pub const MAX_OPS: usize = 300;
/// Most process lanes drawn.
pub const MAX_LANES: usize = 40;

const LEFT: f64 = 150.0;
const WIDTH: f64 = 1000.0;
/// Top of the first lane when there is no witness; each witness label takes one line above.
const TOP: f64 = 34.0;
const LABEL_LINE: f64 = 15.0;
const LANE: f64 = 26.0;

/// One op bar.
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub x: f64,
    pub w: f64,
    pub y: f64,
    /// `ok`, `failed`, `indeterminate`; `witness` is set separately.
    pub status: &'static str,
    pub witness: bool,
    /// What the op did (`op 3: read k → [1]`); drawn for witness ops, a tooltip for others.
    pub label: String,
    /// Where the label is drawn: its x and SVG `text-anchor` (right-aligned near the right edge).
    pub tx: f64,
    pub anchor: &'static str,
    /// The baseline of the label's own line above the lanes (witness ops only).
    pub ly: f64,
}

/// A shaded fault window.
#[derive(Debug, Clone, Serialize)]
pub struct Band {
    pub x: f64,
    pub w: f64,
    pub label: String,
}

/// A lane (process).
#[derive(Debug, Clone, Serialize)]
pub struct Lane {
    pub y: f64,
    pub label: String,
}

/// An axis tick.
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    pub x: f64,
    pub label: String,
}

/// Everything the template needs to draw one history.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub scenario: String,
    pub history: String,
    pub width: f64,
    pub height: f64,
    pub axis_y: f64,
    pub lanes: Vec<Lane>,
    pub ticks: Vec<Tick>,
    pub bands: Vec<Band>,
    pub bars: Vec<Bar>,
    /// The witness ops, one sentence each, for the legend under the picture.
    pub witness: Vec<String>,
    pub note: Option<String>,
}

/// What an op did, in a few words: `op 3: read k → [1]`, `op 2: append k 2 → ok`.
pub fn describe(h: &History, o: &Op) -> String {
    let ty = h.op_types.name(o.op_type);
    let key = h.key_name(o.key).unwrap_or_else(|| "—".into());
    let short = |v: &serde_json::Value| {
        let s = v.to_string();
        if s.chars().count() > 24 {
            format!("{}…", s.chars().take(23).collect::<String>())
        } else {
            s
        }
    };
    let input = if o.input.is_null() {
        String::new()
    } else {
        format!(" {}", short(&o.input))
    };
    let outcome = match o.status() {
        Status::Ok if o.output.is_null() => "ok".to_string(),
        Status::Ok => short(&o.output),
        Status::Failed => "failed".into(),
        Status::Indeterminate => "timed out (may have happened)".into(),
    };
    format!("op {}: {ty} {key}{input} → {outcome}", o.id)
}

/// Build the picture of `h`. `faults` are the fault windows to shade (id, nemesis, start, end).
pub fn build(
    scenario: &str,
    shown: &str,
    h: &History,
    witness: &[String],
    faults: &[(String, String, i64, Option<i64>)],
) -> Option<Timeline> {
    if h.ops.is_empty() {
        return None;
    }
    let wit: HashSet<&str> = witness.iter().map(String::as_str).collect();
    // Choose the ops. With a violation, zoom to its ops (padded) so they are wide enough to
    // read; otherwise the whole history, or the first ops when it is large.
    let wops: Vec<&Op> = h.ops.iter().filter(|o| wit.contains(&*o.id)).collect();
    let mut chosen: Vec<usize>;
    let mut note = None;
    let mut window = None;
    if !wops.is_empty() {
        let w0 = wops.iter().map(|o| o.invoke).min()?;
        let w1 = wops.iter().map(|o| o.complete.unwrap_or(o.invoke)).max()?;
        let pad = ((w1 - w0) / 8).max(1);
        let (a, b) = (w0 - pad, w1 + pad);
        window = Some((a, b));
        chosen = (0..h.ops.len())
            .filter(|&i| {
                let o = &h.ops[i];
                o.invoke <= b && o.complete.is_none_or(|c| c >= a)
            })
            .collect();
        chosen.sort_by_key(|&i| {
            let o = &h.ops[i];
            (!wit.contains(&*o.id), (o.invoke - w0).unsigned_abs(), i)
        });
        chosen.truncate(MAX_OPS);
        if chosen.len() < h.ops.len() {
            note = Some(format!(
                "Zoomed to the violation: {} of the history's {} ops are drawn (those whose interval meets the violation's time window).",
                chosen.len(),
                h.ops.len()
            ));
        }
    } else {
        chosen = (0..h.ops.len()).collect();
        if chosen.len() > MAX_OPS {
            chosen.truncate(MAX_OPS);
            note = Some(format!(
                "{} ops in the history; the first {MAX_OPS} in file order are drawn.",
                h.ops.len()
            ));
        }
    }
    // Lanes: processes in order of first invocation.
    chosen.sort_by_key(|&i| (h.ops[i].invoke, i));
    let mut lanes: BTreeMap<u32, usize> = BTreeMap::new();
    let mut lane_order: Vec<u32> = Vec::new();
    for &i in &chosen {
        let p = h.ops[i].process;
        if let std::collections::btree_map::Entry::Vacant(e) = lanes.entry(p) {
            e.insert(lane_order.len());
            lane_order.push(p);
        }
    }
    if lane_order.len() > MAX_LANES {
        let keep: HashSet<u32> = chosen
            .iter()
            .filter(|&&i| wit.contains(&*h.ops[i].id))
            .map(|&i| h.ops[i].process)
            .chain(lane_order.iter().copied())
            .take(MAX_LANES)
            .collect();
        let before = chosen.len();
        chosen.retain(|&i| keep.contains(&h.ops[i].process));
        lane_order.retain(|p| keep.contains(p));
        lanes = lane_order
            .iter()
            .enumerate()
            .map(|(i, p)| (*p, i))
            .collect();
        note = Some(format!(
            "{} ops in the history; {} drawn, on the first {MAX_LANES} processes (the violation's included).",
            h.ops.len(),
            chosen.len().min(before)
        ));
    }
    let (t0, t1) = match window {
        Some(w) => w,
        None => (
            chosen.iter().map(|&i| h.ops[i].invoke).min()?,
            chosen
                .iter()
                .map(|&i| h.ops[i].complete.unwrap_or(h.ops[i].invoke))
                .max()?,
        ),
    };
    let t1 = t1.max(t0 + 1);
    let span = (t1 - t0) as f64;
    let top = TOP + LABEL_LINE * wops.len().min(12) as f64;
    let x = |t: i64| LEFT + ((t.clamp(t0, t1) - t0) as f64 / span) * WIDTH;
    let bars = chosen
        .iter()
        .map(|&i| {
            let o = &h.ops[i];
            let x0 = x(o.invoke);
            let x1 = x(o.complete.unwrap_or(t1));
            let right = x0 > LEFT + WIDTH * 0.55;
            Bar {
                tx: if right { x1 } else { x0 },
                anchor: if right { "end" } else { "start" },
                x: x0,
                w: (x1 - x0).max(3.0),
                y: top + lanes[&o.process] as f64 * LANE + 5.0,
                ly: 30.0
                    + LABEL_LINE
                        * wops.iter().position(|w| w.id == o.id).unwrap_or(0).min(11) as f64,
                status: match o.status() {
                    Status::Ok => "ok",
                    Status::Failed => "failed",
                    Status::Indeterminate => "indeterminate",
                },
                witness: wit.contains(&*o.id),
                label: match wops.iter().position(|w| w.id == o.id) {
                    Some(n) => format!("W{} {}", n + 1, describe(h, o)),
                    None => describe(h, o),
                },
            }
        })
        .collect();
    let axis_y = top + lane_order.len() as f64 * LANE + 8.0;
    let bands = faults
        .iter()
        .filter(|(_, _, s, e)| *s <= t1 && e.is_none_or(|e| e >= t0))
        .map(|(id, nemesis, s, e)| {
            let x0 = x(*s);
            Band {
                x: x0,
                w: (x(e.unwrap_or(t1)) - x0).max(2.0),
                label: format!(
                    "{id} {nemesis}{}",
                    if e.is_none() { " (active)" } else { "" }
                ),
            }
        })
        .collect();
    let ticks = (0..=5)
        .map(|k| {
            let t = t0 + (t1 - t0) * k / 5;
            Tick {
                x: x(t),
                label: if k == 0 {
                    t.to_string()
                } else {
                    format!("+{}", crate::history::thousands((t - t0) as u128))
                },
            }
        })
        .collect();
    let witness_lines = wops
        .iter()
        .enumerate()
        .map(|(n, o)| {
            format!(
                "W{} {} (process {}, {} → {})",
                n + 1,
                describe(h, o),
                h.processes.name(o.process),
                o.invoke,
                o.complete
                    .map_or("no response".to_string(), |c| c.to_string())
            )
        })
        .collect();
    Some(Timeline {
        scenario: scenario.to_string(),
        history: shown.to_string(),
        width: LEFT + WIDTH + 40.0,
        height: axis_y + 40.0,
        axis_y,
        lanes: lane_order
            .iter()
            .enumerate()
            .map(|(i, p)| Lane {
                y: top + i as f64 * LANE + 17.0,
                label: format!("process {}", h.processes.name(*p)),
            })
            .collect(),
        ticks,
        bands,
        bars,
        witness: witness_lines,
        note,
    })
}

/// Fault windows for a scenario: the faults it cites, else every fault its own log holds;
/// with no fault log, the history's `fault_epoch` values (first to last op of each).
pub fn fault_windows(
    h: &History,
    scenario: &str,
    cited: &[String],
    logs: &BTreeMap<String, FaultRecord>,
) -> Vec<(String, String, i64, Option<i64>)> {
    let from_log: Vec<_> = logs
        .values()
        .filter(|r| {
            if cited.is_empty() {
                r.scenario == scenario
            } else {
                cited.contains(&r.id)
            }
        })
        .map(|r| (r.id.clone(), r.nemesis.clone(), r.start_ts, r.end_ts))
        .collect();
    if !from_log.is_empty() {
        return from_log;
    }
    let mut epochs: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for o in &h.ops {
        if let Some(e) = o.fault_epoch {
            let end = o.complete.unwrap_or(o.invoke);
            let w = epochs.entry(h.labels.name(e)).or_insert((o.invoke, end));
            w.0 = w.0.min(o.invoke);
            w.1 = w.1.max(end);
        }
    }
    epochs
        .into_iter()
        .map(|(e, (s, t))| {
            (
                format!("epoch {e}"),
                "(from fault_epoch)".into(),
                s,
                Some(t),
            )
        })
        .collect()
}

/// The timelines of every scenario row that cites a readable history.
pub fn all(dir: &Path, rows: &[super::ScenarioRow]) -> Vec<Timeline> {
    let mut logs: BTreeMap<std::path::PathBuf, BTreeMap<String, FaultRecord>> = BTreeMap::new();
    rows.iter()
        .filter_map(|r| {
            let path = r.history_path.as_ref()?;
            let sess = r.session_dir.as_deref().unwrap_or(dir);
            let (h, _) = crate::history::load(path).ok()?;
            let shown = path
                .strip_prefix(sess.canonicalize().ok()?)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| path.display().to_string());
            let log = logs
                .entry(sess.to_path_buf())
                .or_insert_with(|| crate::fault::log::read_session(sess).unwrap_or_default());
            let faults = fault_windows(&h, &r.id, &r.fault_ids, log);
            build(&r.id, &shown, &h, &r.witness, &faults)
        })
        .collect()
}
