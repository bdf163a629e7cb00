//! dstplan: claim-driven test plans for distributed systems.
//!
//! - [`vocab`]: every enumeration, the checker picker and the verdict decision tree.
//! - [`plan`]: Markdown plan → typed [`plan::Plan`] with source positions (never fails).
//! - [`lint`]: rules over the typed plan → [`diag::Diagnostic`]s.
//! - [`diag`]: diagnostics and one renderer per output format.
//! - [`scaffold`]: `dstplan new`, `scenario add`, `inventory`.
//! - [`session`], [`report`]: execution sessions, findings, the findings report.
//! - [`history`]: operation-history validation and checkers.
//! - [`fault`], [`net`]: fault injection with measured landing, and namespaces for a cluster
//!   on one host.
//! - [`skills`], [`install`], [`eval`]: the skill pack's checks, agent wiring, eval grading.
//! - [`cli`]: argument parsing and dispatch; [`fsx`]: the only module that writes files.

pub mod cli;
pub mod diag;
pub mod error;
pub mod eval;
pub mod exit;
pub mod fault;
pub mod fsx;
pub mod history;
pub mod install;
pub mod lint;
pub mod net;
pub mod plan;
pub mod report;
pub mod scaffold;
pub mod session;
pub mod skills;
pub mod vocab;
