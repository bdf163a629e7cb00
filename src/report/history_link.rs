//! The link between `dstplan report` and the history checker (`dstplan history check`).
//!
//! The report re-runs the declared checker on a finding's `oracle.history` through the
//! [`HistoryOracle`] trait, so tests can inject an oracle; [`history_oracle`] returns the real
//! one, which loads the history once and calls [`crate::history::check_history`] within the
//! budget it is given. An `unknown` answer (budget exhausted) is shown as such and never turns
//! into a diagnostic. Re-checks run in parallel (`recheck.rs`), so an oracle is `Sync`.

use std::path::Path;
use std::time::{Duration, Instant};

/// Default overall time budget for all re-checks of one report (`report --timeout`); the
/// report must stay fast, and `unknown` is an honest answer.
pub const CHECK_BUDGET: Duration = Duration::from_secs(10);

/// What a re-check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryOutcome {
    /// The history satisfies the checker.
    Ok,
    /// The checker found an anomaly.
    Violation,
    /// Undecided (budget exhausted, or no checker linked).
    Unknown,
}

impl HistoryOutcome {
    /// Lowercase name, as `history check --format json` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryOutcome::Ok => "ok",
            HistoryOutcome::Violation => "violation",
            HistoryOutcome::Unknown => "unknown",
        }
    }
}

/// A re-check's outcome and the line to show next to the finding's `oracle.evidence`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryVerdict {
    pub outcome: HistoryOutcome,
    pub evidence: String,
    /// The history's time span (first invocation, last completion), when known.
    pub span: Option<(i64, i64)>,
    /// On a violation: the op ids of the witness (drawn in the HTML report).
    pub witness: Vec<String>,
}

/// Something that can check a history file against a model with a checker.
pub trait HistoryOracle: Sync {
    /// Check `path` (a JSONL history) as `model` with `checker` within `budget`. `Err` is a
    /// message saying why the history could not be checked (malformed, unreadable).
    fn check(
        &self,
        path: &Path,
        model: &str,
        checker: &str,
        budget: Duration,
    ) -> Result<HistoryVerdict, String>;
}

/// The real checker: `dstplan history check` as a library call.
#[derive(Debug, Clone, Copy, Default)]
pub struct Linked;

impl HistoryOracle for Linked {
    fn check(
        &self,
        path: &Path,
        model: &str,
        checker: &str,
        budget: Duration,
    ) -> Result<HistoryVerdict, String> {
        let start = Instant::now();
        let (h, warnings) = crate::history::load(path).map_err(|e| e.to_string())?;
        let span = super::landing::span(&h);
        let r = crate::history::check_history(&h, warnings, model, Some(checker), budget, start)
            .map_err(|e| e.to_string())?;
        let outcome = match r.outcome {
            crate::history::Outcome::Ok => HistoryOutcome::Ok,
            crate::history::Outcome::Violation => HistoryOutcome::Violation,
            crate::history::Outcome::Unknown => HistoryOutcome::Unknown,
        };
        Ok(HistoryVerdict {
            outcome,
            evidence: without_timing(&r.evidence),
            span,
            witness: r.witness.map(|w| w.ops).unwrap_or_default(),
        })
    }
}

/// Drop the elapsed time (`in 12 ms`) from an evidence line: the report must come out
/// byte-identical on every run, and the time says nothing about the history.
fn without_timing(evidence: &str) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE
        .get_or_init(|| regex::Regex::new(r"\s+in\s+[0-9][0-9,.]*\s*ms\b").expect("static regex"));
    re.replace_all(evidence, "").into_owned()
}

/// The oracle `dstplan report` uses.
pub fn history_oracle() -> impl HistoryOracle {
    Linked
}

#[cfg(test)]
mod tests {
    #[test]
    fn timing_is_dropped_and_the_rest_kept() {
        assert_eq!(
            super::without_timing("no-lost-ack on log, 3 ops over 1 key, ok in 1,204 ms"),
            "no-lost-ack on log, 3 ops over 1 key, ok"
        );
        assert_eq!(
            super::without_timing("violation in 3 ms: witness 2 ops"),
            "violation: witness 2 ops"
        );
    }
}
