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
pub mod scenario_set;
pub mod skeleton;
pub mod templates;

pub use crate::error::Error;

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
