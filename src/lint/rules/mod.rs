//! The rule families, one file each, and the helpers they share.
//!
//! Codes: DST00x header, DST01x sections and tables, DST02x IDs and references, DST03x
//! scenarios, DST04x §7.M model gate, DST05x §7.M.S surfaces, DST06x literals and budgets,
//! DST07x placeholders, categories and wording, DST08x logic (the parts of the plan agree with
//! each other). A retired code is never reassigned.

mod header;
mod ids;
mod literals;
mod logic;
mod model;
mod scenarios;
mod sections;
mod surface;
mod wording;

use super::{Cx, Rule, Sink};
use crate::plan::Scenario;

/// Every rule (unsorted; use [`super::registry`]).
pub fn all() -> Vec<&'static Rule> {
    let mut v = Vec::new();
    v.extend_from_slice(header::RULES);
    v.extend_from_slice(sections::RULES);
    v.extend_from_slice(ids::RULES);
    v.extend_from_slice(scenarios::RULES);
    v.extend_from_slice(model::RULES);
    v.extend_from_slice(surface::RULES);
    v.extend_from_slice(literals::RULES);
    v.extend_from_slice(wording::RULES);
    v.extend_from_slice(logic::RULES);
    v
}

/// Run every family.
pub fn check_all(cx: &Cx, out: &mut Sink) {
    header::check(cx, out);
    sections::check(cx, out);
    ids::check(cx, out);
    scenarios::check(cx, out);
    model::check(cx, out);
    surface::check(cx, out);
    literals::check(cx, out);
    wording::check(cx, out);
    logic::check(cx, out);
}

/// A value that is only a placeholder (`{{TODO: …}}`, `{{x}}`, `<SUT>`): present but unfilled,
/// reported once by the placeholder rule and by nothing else.
pub(crate) fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    (v.starts_with("{{") && v.contains("}}"))
        || (v.starts_with('<') && v.ends_with('>') && !v[1..].contains('<'))
}

/// §7.M applies: a gated claim category, or arms.
pub(crate) fn is_serious(sc: &Scenario) -> bool {
    sc.categories
        .iter()
        .any(|c| crate::vocab::is_model_gated(c))
        || !sc.arms.is_empty()
        || !sc.declared_arms().is_empty()
}

/// §7.M.S applies: a boundary or fairness claim.
pub(crate) fn is_surface(sc: &Scenario) -> bool {
    sc.categories
        .iter()
        .any(|c| crate::vocab::is_surface_gated(c))
}

/// Whether the text names an observable: a number, a counter, metric, log line, status
/// field, timeout rate, exit code and the like.
pub(crate) fn names_observable(text: &str) -> bool {
    if text.chars().any(|c| c.is_ascii_digit()) || text.contains('`') {
        return true;
    }
    let t = text.to_lowercase();
    const WORDS: &[&str] = &[
        "counter",
        "metric",
        "log",
        "status",
        "rate",
        "exit code",
        "field",
        "gauge",
        "histogram",
        "marker",
        "state",
        "role",
        "offset",
        "epoch",
        "term",
        "leader",
        "count",
        "latency",
        "timeout",
        "error",
        "reply",
        "dmesg",
        "journal",
        "iptables",
        "tc -s",
        "/proc",
        "info ",
        "packets",
        "dropped",
        "drops",
        "stopped",
        "pid",
    ];
    WORDS.iter().any(|w| t.contains(w))
}

/// Every label whose spelling the format fixes, as (normalised, canonical display): the
/// scenario, §7.M and §7.M.S labels (for `lint --fix`).
pub(crate) fn canonical_labels() -> impl Iterator<Item = (&'static str, &'static str)> {
    scenarios::SCENARIO_LABELS
        .iter()
        .chain(model::MODEL_LABELS)
        .chain(surface::SURFACE_LABELS)
        .copied()
}
