//! The link between `dstplan report` and the history checker (`dstplan history check`).
//!
//! The report re-runs the declared checker on a finding's `oracle.history` through the
//! [`HistoryOracle`] trait, so tests can inject an oracle and the real checker can be wired in
//! by changing ONE function body: [`history_oracle`]. Until `crate::history::check_file` lands
//! on this branch, the default oracle answers `Unknown` ("not re-checked"), which the report
//! shows as such and never turns into a diagnostic.
//!
//! To wire the real checker after the merge, replace the body of [`history_oracle`] with:
//!
//! ```ignore
//! struct Linked;
//! impl HistoryOracle for Linked {
//!     fn check(&self, path: &Path, model: &str, checker: &str) -> Result<HistoryVerdict, String> {
//!         let r = crate::history::check_file(path, model, Some(checker), CHECK_BUDGET)
//!             .map_err(|e| e.to_string())?;
//!         let outcome = match r.outcome {
//!             crate::history::Outcome::Ok => HistoryOutcome::Ok,
//!             crate::history::Outcome::Violation => HistoryOutcome::Violation,
//!             crate::history::Outcome::Unknown => HistoryOutcome::Unknown,
//!         };
//!         Ok(HistoryVerdict { outcome, evidence: r.evidence })
//!     }
//! }
//! Linked
//! ```

use std::path::Path;
use std::time::Duration;

/// Time budget for one re-check (the report must stay fast; `unknown` is an honest answer).
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
}

/// Something that can check a history file against a model with a checker.
pub trait HistoryOracle {
    /// Check `path` (a JSONL history) as `model` with `checker`. `Err` is a message saying
    /// why the history could not be checked (malformed, unreadable).
    fn check(&self, path: &Path, model: &str, checker: &str) -> Result<HistoryVerdict, String>;
}

/// The stand-in used until `crate::history::check_file` is linked: always `Unknown`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotLinked;

impl HistoryOracle for NotLinked {
    fn check(&self, _path: &Path, _model: &str, checker: &str) -> Result<HistoryVerdict, String> {
        Ok(HistoryVerdict {
            outcome: HistoryOutcome::Unknown,
            evidence: format!(
                "not re-checked: the {checker} checker is not linked into this build"
            ),
        })
    }
}

/// The oracle `dstplan report` uses. THE one place to wire `crate::history::check_file`.
pub fn history_oracle() -> impl HistoryOracle {
    NotLinked
}
