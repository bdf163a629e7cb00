//! The library's one error type: what went wrong, where, how to fix it, and its exit class.
//!
//! Every engine (`scaffold`, `session`, `report`, `history`, `eval`, `skills`, `install`, …)
//! returns [`Error`]; `cli/` alone maps its [`Class`] to an exit code and renders it as text
//! or as a machine object. Messages say what and how to fix in one sentence; `path` and
//! `line` say where.

use std::fmt;
use std::path::Path;

/// Why the job could not be done. Every class exits 2 today (`shared/spec/cli-contract.md`);
/// the class says whose move it is, so a caller can tell them apart without reading prose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Class {
    /// The user's input or arguments are wrong, or the command refuses to overwrite a file.
    #[default]
    Input,
    /// The machine lacks something the command needs: a privilege, a kernel feature, a tool.
    Environment,
    /// A bug in dstplan itself (a template that does not render, …).
    Internal,
}

/// A failure to do the job: what went wrong, where, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What went wrong and how to fix it.
    pub message: String,
    /// The file it is about, as shown to the user.
    pub path: Option<String>,
    /// The 1-based line in `path`, when known.
    pub line: Option<usize>,
    pub class: Class,
}

impl Error {
    /// An input error without a place.
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            path: None,
            line: None,
            class: Class::Input,
        }
    }

    /// An input error at a place in a file (the whole file when `line` is `None`).
    pub fn at(path: impl Into<String>, line: Option<usize>, message: impl Into<String>) -> Self {
        Error {
            path: Some(path.into()),
            line,
            ..Error::new(message)
        }
    }

    /// An error about a file given as a path.
    pub fn at_path(path: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        Error::at(path.display().to_string(), line, message)
    }

    /// A missing privilege, kernel feature or tool.
    pub fn environment(message: impl Into<String>) -> Self {
        Error {
            class: Class::Environment,
            ..Error::new(message)
        }
    }

    /// A bug in dstplan.
    pub fn internal(message: impl Into<String>) -> Self {
        Error {
            class: Class::Internal,
            ..Error::new(message)
        }
    }

    /// Attach a file (and line) to an error made without one.
    pub fn in_file(mut self, path: &Path, line: Option<usize>) -> Self {
        self.path = Some(path.display().to_string());
        self.line = line;
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
        match e {
            crate::fsx::WriteError::Exists(p) => Error::at_path(
                &p,
                None,
                "already exists; refusing to overwrite it (pass --force to replace it)",
            ),
            crate::fsx::WriteError::Io(p, io) => {
                Error::at_path(&p, None, format!("cannot write: {io}"))
            }
        }
    }
}

impl From<crate::fsx::ReadError> for Error {
    fn from(e: crate::fsx::ReadError) -> Self {
        Error::at_path(e.path(), e.line(), e.message())
    }
}

/// The result engines return.
pub type Result<T, E = Error> = std::result::Result<T, E>;
