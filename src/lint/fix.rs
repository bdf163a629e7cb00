//! `lint --fix`: mechanical fixes only, computed from the parsed plan as byte-range edits —
//! canonical label spelling (`**falsifies if it fails:**` → `**Falsifies if it FAILs:**`; the
//! scenario, §7.M, §7.M.S, header and hypothesis labels),
//! the exact not-applicable and explicit-empty sentences for a misspelt one, and a missing
//! §7.M / §7.M.S not-applicable line on a scenario that does not need the block. Nothing is
//! renumbered, reordered or reworded. The CLI writes the result (through `fsx`) or shows it
//! as a diff.

use super::rules::{canonical_labels, is_serious, is_surface};
use crate::plan::{Plan, LITERALS};

/// Replace `src[start..end]` with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// What the edit fixes, for the summary.
    pub what: String,
    /// For an added not-applicable line: the scenario it is for (checked after applying).
    pub scenario: Option<String>,
}

fn literal(kind: &str) -> &'static str {
    LITERALS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("", |(_, l)| l)
}

/// The mechanical fixes for `plan` (parsed from `src`), sorted by position, none overlapping.
pub fn fixes(plan: &Plan, src: &str) -> Vec<Edit> {
    let mut out = Vec::new();
    labels(plan, src, &mut out);
    literals(plan, src, &mut out);
    missing_lines(plan, src, &mut out);
    out.sort_by_key(|e| (e.start, e.end));
    // never two edits over the same bytes
    let mut kept: Vec<Edit> = Vec::with_capacity(out.len());
    for e in out {
        if kept.last().is_none_or(|k| k.end <= e.start) {
            kept.push(e);
        }
    }
    // An added line must read back as the scenario's line: one that would land inside an
    // unclosed code block or a list item is not a mechanical fix, and is left to the author.
    if kept.iter().any(|e| e.scenario.is_some()) {
        let back = crate::plan::parse(&apply(src, &kept));
        kept.retain(|e| {
            e.scenario.as_ref().is_none_or(|id| {
                back.scenario(id).is_some_and(|s| {
                    (s.model.is_some() || s.model_na.is_some())
                        && (s.surface.is_some() || s.surface_na.is_some())
                })
            })
        });
    }
    kept
}

/// Header and §4 hypothesis labels, as (normalised, canonical display).
const OTHER_LABELS: &[(&str, &str)] = &[
    ("date", "Date"),
    ("plan mode", "Plan mode"),
    ("sut", "SUT"),
    ("change under test", "Change under test"),
    ("plan author", "Plan author"),
    ("status", "Status"),
    ("could falsify", "Could falsify"),
    ("suspected because", "Suspected because"),
    ("subsystem", "Subsystem"),
    ("category", "Category"),
];

fn labels(plan: &Plan, src: &str, out: &mut Vec<Edit>) {
    let canon: Vec<(&str, &str)> = canonical_labels()
        .chain(OTHER_LABELS.iter().copied())
        .collect();
    let others = plan
        .header
        .iter()
        .chain(plan.hypotheses.iter().flat_map(|h| &h.fields));
    for f in others {
        label_edit(f, src, &canon, out);
    }
    for s in &plan.scenarios {
        let blocks = [
            Some(&s.fields),
            s.model.as_ref().map(|b| &b.fields),
            s.surface.as_ref().map(|b| &b.fields),
        ];
        for f in blocks.into_iter().flatten().flatten() {
            label_edit(f, src, &canon, out);
        }
    }
}

/// The edit that gives a field's label its canonical spelling, if it needs one.
fn label_edit(f: &crate::plan::Field, src: &str, canon: &[(&str, &str)], out: &mut Vec<Edit>) {
    let Some((_, display)) = canon.iter().find(|(l, _)| *l == f.label) else {
        return;
    };
    let (lo, hi) = (f.span.start.min(src.len()), f.value_start.min(src.len()));
    let Some(head) = src.get(lo..hi) else {
        return;
    };
    // the label as written, compared without case
    let lower = head.to_ascii_lowercase();
    let Some(at) = lower.find(&display.to_ascii_lowercase()) else {
        return;
    };
    let written = &head[at..at + display.len()];
    if written != *display {
        out.push(Edit {
            start: lo + at,
            end: lo + at + display.len(),
            text: display.to_string(),
            what: format!("label `{written}` → `{display}`"),
            scenario: None,
        });
    }
}

fn literals(plan: &Plan, src: &str, out: &mut Vec<Edit>) {
    for l in &plan.literals {
        let Some(text) = src.get(l.span.start..l.span.end) else {
            continue;
        };
        // only a paragraph of its own: a list item or a multi-line block is not mechanical
        let t = text.trim();
        if t.contains('\n') || t.starts_with(['-', '+', '>', '|']) || t.starts_with("* ") {
            continue;
        }
        // an accepted spelling (other case, no final period) is rewritten only when it
        // carries no marks, so no emphasis the author chose is dropped
        if !l.malformed
            && (same_but_first_letter(t, literal(l.kind))
                || l.kind == "all-high"
                || t.contains(['*', '_', '`']))
        {
            continue;
        }
        let fits = match l.kind {
            "model-na" => l.scenario.is_some_and(|i| !is_serious(&plan.scenarios[i])) && !l.in_arm,
            "surface-na" => {
                l.scenario.is_some_and(|i| !is_surface(&plan.scenarios[i])) && !l.in_arm
            }
            "missing-claims-empty" => l.section.as_deref() == Some("1c"),
            "residual-empty" => l.section.as_deref() == Some("7c"),
            "all-high" => l.section.as_deref() == Some("7d"),
            _ => false,
        };
        let want = literal(l.kind);
        if fits && !want.is_empty() {
            let lead = text.len() - text.trim_start().len();
            out.push(Edit {
                start: l.span.start + lead,
                end: l.span.start + lead + t.len(),
                text: want.to_string(),
                what: format!("`{t}` → the exact sentence"),
                scenario: None,
            });
        }
    }
}

fn missing_lines(plan: &Plan, src: &str, out: &mut Vec<Edit>) {
    let nl = if src.contains("\r\n") { "\r\n" } else { "\n" };
    for s in &plan.scenarios {
        let mut lines = Vec::new();
        if !is_serious(s) && s.model.is_none() && s.model_na.is_none() {
            lines.push(literal("model-na"));
        }
        if !is_surface(s) && s.surface.is_none() && s.surface_na.is_none() {
            lines.push(literal("surface-na"));
        }
        if lines.is_empty() {
            continue;
        }
        let at = s.end.min(src.len());
        // after the line that ends the scenario's last block: a blank line, then each line
        let before = src[..at].trim_end_matches(['\n', '\r', ' ', '\t']).len();
        let start = src[before..at].find('\n').map_or(at, |i| before + i + 1);
        let mut text = String::new();
        if start == at && !src[..at].ends_with('\n') {
            text.push_str(nl);
        }
        for l in &lines {
            text.push_str(nl);
            text.push_str(l);
            text.push_str(nl);
        }
        out.push(Edit {
            start,
            end: start,
            text,
            what: format!("scenario {}: added {}", s.id.key(), lines.join(" and ")),
            scenario: Some(s.id.key()),
        });
    }
}

/// Equal, but for the case of the first letter (a sentence may start with a capital).
fn same_but_first_letter(a: &str, b: &str) -> bool {
    let (mut x, mut y) = (a.chars(), b.chars());
    match (x.next(), y.next()) {
        (Some(p), Some(q)) => p.to_lowercase().eq(q.to_lowercase()) && x.as_str() == y.as_str(),
        (None, None) => true,
        _ => false,
    }
}

/// `src` with `edits` (sorted, not overlapping) applied.
pub fn apply(src: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(src.len() + 256);
    let mut at = 0;
    for e in edits {
        out.push_str(&src[at..e.start]);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(&src[at..]);
    out
}

/// A unified diff (no context lines) of `edits` against `src`, for `lint --fix --diff`.
pub fn diff(path: &str, src: &str, edits: &[Edit]) -> String {
    if edits.is_empty() {
        return String::new();
    }
    let line_start = |i: usize| src[..i].rfind('\n').map_or(0, |p| p + 1);
    let line_end = |i: usize| src[i..].find('\n').map_or(src.len(), |p| i + p + 1);
    // group edits whose lines touch into hunks
    let mut hunks: Vec<(usize, usize, Vec<&Edit>)> = Vec::new();
    for e in edits {
        // an insertion at the start of a line replaces no line
        let pure = e.start == e.end && line_start(e.start) == e.start;
        let (lo, hi) = if pure {
            (e.start, e.start)
        } else {
            (line_start(e.start), line_end(e.end))
        };
        match hunks.last_mut() {
            Some(h) if lo < h.1 || (lo == h.1 && lo == hi) => {
                h.1 = h.1.max(hi);
                h.2.push(e);
            }
            _ => hunks.push((lo, hi, vec![e])),
        }
    }
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    let mut shift: isize = 0;
    // line numbers counted forward once over the whole file (hunks are in order)
    let (mut counted_to, mut line) = (0usize, 1usize);
    for (lo, hi, es) in hunks {
        let old = &src[lo..hi];
        let mut new = String::new();
        let mut at = lo;
        for e in es {
            new.push_str(&src[at..e.start]);
            new.push_str(&e.text);
            at = e.end;
        }
        new.push_str(&src[at..hi]);
        let old_lines: Vec<&str> = old.lines().collect();
        let new_lines: Vec<&str> = new.lines().collect();
        line += memchr::memchr_iter(b'\n', &src.as_bytes()[counted_to..lo]).count();
        counted_to = lo;
        let first = line;
        let new_first = (first as isize + shift) as usize;
        // an empty range is numbered by the line before it
        let old_at = if old_lines.is_empty() {
            first - 1
        } else {
            first
        };
        let new_at = if new_lines.is_empty() {
            new_first - 1
        } else {
            new_first
        };
        out.push_str(&format!(
            "@@ -{old_at},{} +{new_at},{} @@\n",
            old_lines.len(),
            new_lines.len()
        ));
        for l in &old_lines {
            out.push_str(&format!("-{l}\n"));
        }
        for l in &new_lines {
            out.push_str(&format!("+{l}\n"));
        }
        shift += new_lines.len() as isize - old_lines.len() as isize;
    }
    out
}
