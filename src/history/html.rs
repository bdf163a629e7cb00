//! `history check --html OUT`: one self-contained HTML page that draws the history.
//!
//! Why a page and not only text: a linearizability witness is about overlapping intervals,
//! which people read faster as bars than as numbers. One lane per process, one bar per op over
//! time (hover for its details), the witness ops in red, indeterminate ops as dashed bars that
//! run to the end, failed ops in grey, and each fault epoch (`fault_epoch`) as a shaded band.
//! Everything is inline (CSS and SVG, no scripts, no external URLs) so the file can be
//! attached to a finding and opened offline. Very large histories are cut to the ops of the
//! witness key (or the first [`MAX_OPS`] ops) to keep the page usable; the page says so.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use super::record::{History, Status};
use super::CheckReport;

/// Most ops drawn.
pub const MAX_OPS: usize = 5_000;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Render the page for a checked history.
pub fn render(h: &History, report: &CheckReport) -> String {
    let witness: HashSet<&str> = report
        .witness
        .iter()
        .flat_map(|w| w.ops.iter().map(String::as_str))
        .collect();
    let context: HashSet<&str> = report
        .witness
        .iter()
        .flat_map(|w| w.context.iter().map(String::as_str))
        .collect();
    let witness_key = report.witness.as_ref().map(|w| w.key.clone());
    // Choose what to draw.
    let mut chosen: Vec<usize> = (0..h.ops.len()).collect();
    let mut note = String::new();
    if chosen.len() > MAX_OPS {
        if let Some(k) = &witness_key {
            chosen.retain(|&i| h.key_name(h.ops[i].key) == *k);
            note = format!(
                "{} ops in the history; only the {} ops of the witness key are drawn. ",
                h.ops.len(),
                chosen.len()
            );
        }
        if chosen.len() > MAX_OPS {
            // The witness's ops and those nearest them in time first (transactions all share
            // the null key, so the key filter above keeps everything), else the first ops.
            let ids: HashSet<&str> = witness.iter().copied().collect();
            let span = chosen
                .iter()
                .filter(|&&i| ids.contains(&*h.ops[i].id))
                .fold(None, |acc: Option<(i64, i64)>, &i| {
                    let (a, b) = (
                        h.ops[i].invoke,
                        h.ops[i].complete.unwrap_or(h.ops[i].invoke),
                    );
                    Some(acc.map_or((a, b), |(x, y)| (x.min(a), y.max(b))))
                });
            match span {
                Some((a, b)) => {
                    let distance = |i: usize| {
                        let (s, e) = (h.ops[i].invoke, h.ops[i].complete.unwrap_or(i64::MAX));
                        if e < a {
                            a.saturating_sub(e)
                        } else if s > b {
                            s.saturating_sub(b)
                        } else {
                            0
                        }
                    };
                    chosen.sort_by_key(|&i| (!ids.contains(&*h.ops[i].id), distance(i), i));
                    chosen.truncate(MAX_OPS);
                    note.push_str(&format!(
                        "Only the {MAX_OPS} ops nearest the witness in time (the witness included) are drawn."
                    ));
                }
                None => {
                    chosen.sort_by_key(|&i| (h.ops[i].invoke, i));
                    chosen.truncate(MAX_OPS);
                    note.push_str(&format!(
                        "Only the first {MAX_OPS} ops by invocation are drawn."
                    ));
                }
            }
        }
    }
    let t0 = chosen.iter().map(|&i| h.ops[i].invoke).min().unwrap_or(0);
    let t1 = chosen
        .iter()
        .map(|&i| h.ops[i].complete.unwrap_or(h.ops[i].invoke))
        .max()
        .unwrap_or(1)
        .max(t0.saturating_add(1));
    // In floating point: timestamps may be anywhere in i64, and their difference must not
    // overflow.
    let span = (t1 as f64 - t0 as f64).max(1.0) * 1.05;
    let t_end = t0 as f64 + span;
    // Lanes in numeric order when process ids are numbers (2 before 10), else by name.
    let mut names: Vec<String> = chosen
        .iter()
        .map(|&i| h.process_name(h.ops[i].process))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    names.sort_by_key(|n| (n.parse::<i64>().map_err(|_| ()), n.clone()));
    let lanes: BTreeMap<String, usize> = names.iter().cloned().zip(0..).collect();
    let (left, width, row) = (110.0f64, 1100.0f64, 22.0f64);
    let top = 30.0f64;
    let height = top + row * lanes.len() as f64 + 20.0;
    let x = |t: f64| left + (t - t0 as f64) / span * width;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" role="img">"#,
        left + width + 20.0
    );
    // Fault epochs as bands.
    let mut epochs: BTreeMap<u32, (i64, i64)> = BTreeMap::new();
    for &i in &chosen {
        let op = &h.ops[i];
        if let Some(e) = op.fault_epoch {
            let r = epochs.entry(e).or_insert((op.invoke, op.invoke));
            r.0 = r.0.min(op.invoke);
            r.1 = r.1.max(op.complete.unwrap_or(op.invoke));
        }
    }
    for (e, (a, b)) in &epochs {
        let (xa, xb) = (x(*a as f64), x(*b as f64));
        let _ = write!(
            svg,
            r#"<rect class="epoch" x="{xa:.1}" y="{}" width="{:.1}" height="{}"><title>fault epoch {}</title></rect><text class="epoch-label" x="{xa:.1}" y="{}">fault {}</text>"#,
            top - 12.0,
            (xb - xa).max(2.0),
            row * lanes.len() as f64 + 12.0,
            esc(h.labels.name(*e)),
            top - 16.0,
            esc(h.labels.name(*e)),
        );
    }
    for (n, name) in names.iter().enumerate() {
        let y = top + row * n as f64;
        let _ = write!(
            svg,
            r#"<text class="lane" x="4" y="{:.1}">process {}</text><line class="lane-line" x1="{left}" x2="{:.1}" y1="{:.1}" y2="{:.1}"/>"#,
            y + row * 0.65,
            esc(name),
            left + width,
            y + row,
            y + row
        );
    }
    for &i in &chosen {
        let op = &h.ops[i];
        let lane = lanes.get(&h.process_name(op.process)).copied().unwrap_or(0);
        let y = top + row * lane as f64 + 3.0;
        let st = op.status();
        let end = op.complete.map(|c| c as f64).unwrap_or(t_end);
        let (xa, xb) = (x(op.invoke as f64), x(end));
        let mut class = match st {
            Status::Ok => "op ok",
            Status::Failed => "op failed",
            Status::Indeterminate => "op indet",
        }
        .to_string();
        if witness.contains(&*op.id)
            && witness_key
                .as_ref()
                .is_some_and(|k| *k == h.key_name(op.key))
        {
            class.push_str(" witness");
        } else if context.contains(&*op.id)
            && witness_key
                .as_ref()
                .is_some_and(|k| *k == h.key_name(op.key))
        {
            class.push_str(" context");
        }
        let key = h.key_name(op.key).unwrap_or_else(|| "null".into());
        let label = format!(
            "op {} · process {} · {} key {} · input {} · output {} · [{}, {}]{}{}",
            op.id,
            h.process_name(op.process),
            h.op_type(op),
            key,
            super::short_value(&op.input),
            super::short_value(&op.output),
            op.invoke,
            op.complete
                .map(|c| c.to_string())
                .unwrap_or_else(|| "∞".into()),
            op.error
                .as_deref()
                .map(|e| format!(" · error {e}"))
                .unwrap_or_default(),
            op.node
                .map(|n| format!(" · node {}", h.labels.name(n)))
                .unwrap_or_default(),
        );
        let _ = write!(
            svg,
            r#"<rect class="{class}" x="{xa:.1}" y="{y:.1}" width="{:.1}" height="{:.1}"><title>{}</title></rect>"#,
            (xb - xa).max(1.5),
            row - 6.0,
            esc(&label)
        );
    }
    svg.push_str("</svg>");

    let witness_text = match &report.witness {
        Some(w) => format!(
            "<p>Witness on key <code>{}</code>: ops {}.</p><p>Longest partial linearization: {}</p>",
            esc(w.key.as_deref().unwrap_or("null")),
            esc(&w.ops.join(", ")),
            if w.partial_linearization.is_empty() {
                "—".to_string()
            } else {
                esc(&w.partial_linearization.join(", "))
            }
        ),
        None => String::new(),
    };
    let cycles = report
        .consistency
        .as_deref()
        .map(|level| super::txn::draw::section(level, &report.anomalies))
        .unwrap_or_default();
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dstplan history: {title}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }}
code {{ background: #f3f3f3; padding: 0 .2em; }}
.verdict-ok {{ color: #1a7f37; }} .verdict-violation {{ color: #c0392b; }} .verdict-unknown {{ color: #9a6700; }}
.op.ok {{ fill: #4a7fb5; }} .op.failed {{ fill: #b8b8b8; }}
.op.indet {{ fill: #f0b35b; fill-opacity: .5; stroke: #d08a1c; stroke-dasharray: 4 3; }}
.op.witness {{ fill: #d93f3f; stroke: #7a0000; stroke-width: 1.5; fill-opacity: 1; }}
.op.context {{ fill: #8e44ad; stroke: #4a235a; stroke-width: 1.5; fill-opacity: 1; }}
.epoch {{ fill: #f5d76e; fill-opacity: .25; }} .epoch-label {{ font-size: 11px; fill: #8a6d00; }}
.lane {{ font-size: 12px; fill: #444; }} .lane-line {{ stroke: #eee; }}
.legend span {{ display: inline-block; margin-right: 1em; }}
.sw {{ display: inline-block; width: 1em; height: .7em; margin-right: .3em; vertical-align: middle; }}
.anomaly.forbidden h3 {{ color: #c0392b; }} .anomaly.allowed h3 {{ color: #9a6700; }}
.txn circle {{ fill: #eef3f9; stroke: #4a7fb5; stroke-width: 1.5; }} .txn text {{ font-size: 11px; text-anchor: middle; }}
.edge {{ fill: none; stroke: #555; stroke-width: 1.5; }} .edge.rw {{ stroke: #c0392b; stroke-dasharray: 5 3; }}
.edge.wr {{ stroke: #1a7f37; }} .edge.realtime {{ stroke: #8250df; stroke-dasharray: 2 3; }}
.edge-label {{ font-size: 11px; fill: #333; }} .arrowhead {{ fill: #555; }}
</style></head><body>
<h1>{title}</h1>
<p class="verdict-{verdict}"><strong>{verdict}</strong> — {evidence}</p>
{witness_text}
<p class="legend"><span><i class="sw" style="background:#4a7fb5"></i>ok</span><span><i class="sw" style="background:#f0b35b"></i>indeterminate (may take effect any time after invocation, or never)</span><span><i class="sw" style="background:#b8b8b8"></i>failed</span><span><i class="sw" style="background:#d93f3f"></i>witness</span><span><i class="sw" style="background:#8e44ad"></i>also writes a value the witness reads</span><span><i class="sw" style="background:#f5d76e"></i>fault epoch</span></p>
{cycles}
<p>{note}</p>
{svg}
</body></html>
"#,
        title = esc(&format!(
            "{} ({} on {})",
            h.path, report.checker, report.model
        )),
        verdict = report.outcome.as_str(),
        evidence = esc(&report.evidence),
        note = esc(&note),
    )
}
