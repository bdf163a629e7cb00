//! Scaffolding: everything that *creates* plan text or reads a SUT to help write one.
//!
//! - [`plan`]: `dstplan new` — render a complete §0–§9 plan (change-scoped or project-wide)
//!   whose only open decisions are `{{TODO: …}}` placeholders.
//! - [`scenario`]: `dstplan scenario add` — append the next `S<n>` stub to §7 with the §7.M /
//!   §7.M.S form the falsified claims' categories call for.
//! - [`skeleton`]: test skeletons per language, with a provenance header.
//! - [`git`]: the change under test (commit range, files touched) from the repository.
//! - [`inventory`]: existing tests and harnesses of a SUT, for §3.
//! - [`templates`]: the embedded minijinja templates and their file-by-file overrides.
//!
//! Nothing here prints or exits; functions return values or an [`Error`] that the CLI turns
//! into exit 2. Files are written only through [`crate::fsx`].

pub mod git;
pub mod inventory;
pub mod plan;
pub mod scenario;
pub mod skeleton;
pub mod templates;

use std::path::Path;

/// A failure to scaffold: what went wrong and where; the message says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub message: String,
    pub path: Option<String>,
    pub line: Option<usize>,
}

impl Error {
    /// An error without a place.
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            path: None,
            line: None,
        }
    }

    /// Attach a file (and line) to the error.
    pub fn at(mut self, path: &Path, line: Option<usize>) -> Self {
        self.path = Some(path.display().to_string());
        self.line = line;
        self
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.path, self.line) {
            (Some(p), Some(l)) => write!(f, "{p}:{l}: {}", self.message),
            (Some(p), None) => write!(f, "{p}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

impl From<crate::fsx::WriteError> for Error {
    fn from(e: crate::fsx::WriteError) -> Self {
        match &e {
            crate::fsx::WriteError::Exists(p) | crate::fsx::WriteError::Io(p, _) => {
                let msg = match &e {
                    crate::fsx::WriteError::Exists(_) => {
                        "already exists; refusing to overwrite it (pass --force to replace it)"
                            .to_string()
                    }
                    crate::fsx::WriteError::Io(_, io) => format!("cannot write: {io}"),
                };
                Error::new(msg).at(p, None)
            }
        }
    }
}

impl From<Error> for crate::cli::CliError {
    fn from(e: Error) -> Self {
        crate::cli::CliError {
            message: e.message,
            path: e.path,
            line: e.line,
            machine: false,
        }
    }
}

/// A path as a Markdown code span, with a fence long enough for backticks in the name.
pub fn code_span(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    if longest == 0 {
        return format!("`{text}`");
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {text} {fence}")
}
