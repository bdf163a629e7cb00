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

mod concise;
mod github;

pub use github::{esc_data as github_escape_data, esc_prop as github_escape_property};
mod json;
mod sarif;
mod text;

/// One file's diagnostics, with its source for snippets.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The path as the user gave it (or as found under a directory).
    pub path: String,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl FileReport {
    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// Number of warnings.
    pub fn warnings(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-style, with the source line and a caret
    Text,
    /// `path:line:col: severity[CODE] message`
    Concise,
    /// one JSON object (see `cli-contract.md`)
    Json,
    /// SARIF 2.1.0, for code scanning
    Sarif,
    /// GitHub Actions workflow commands
    Github,
}

impl Format {
    /// Whether the format is for machines (errors go to stdout as JSON).
    pub fn is_machine(self) -> bool {
        matches!(self, Format::Json | Format::Sarif)
    }
}

/// What a renderer may say about a rule (SARIF's rule table). The caller passes these in, so
/// `diag` never depends on the rule registry.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// The rule's explain text (Markdown).
    pub doc: &'static str,
}

/// Render reports in a format. `color` applies to `text` only; `rules` feeds SARIF's rule
/// table.
pub fn render(format: Format, files: &[FileReport], color: bool, rules: &[RuleInfo]) -> String {
    match format {
        Format::Text => text::render(files, color),
        Format::Concise => concise::render(files),
        Format::Json => json::render(files),
        Format::Sarif => sarif::render(files, rules),
        Format::Github => github::render(files),
    }
}
