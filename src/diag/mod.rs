//! Diagnostics and their renderers.
//!
//! A [`Diagnostic`] is what every checking command produces (lint, report, history validate):
//! a code, a severity, a one-line message naming the offending element, a `help` with the
//! fix, and a position. One writer per output format turns a list of them into text.

use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    /// Lowercase name, as in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One problem found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Rule code, e.g. `DST020`.
    pub code: &'static str,
    pub severity: Severity,
    /// One line, lower-case start, no trailing period, naming the offending ID.
    pub message: String,
    /// The fix, in the imperative.
    pub help: String,
    /// Byte range in the file the diagnostic points at.
    pub start: usize,
    pub end: usize,
    /// 1-based line and column (in characters) of `start`; 1-based line of `end`.
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
}
