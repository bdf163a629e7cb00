//! Markdown test plan → typed [`Plan`] with source positions.
//!
//! Parsing never fails: every input, however broken, yields a `Plan` (possibly mostly empty),
//! and the lint rules report what is missing. Every element keeps a byte [`Span`]; line and
//! column are computed only when a diagnostic is rendered ([`LineIndex`]).
//!
//! The parse runs in two steps. [`blocks`] makes one pulldown-cmark pass and flattens the event
//! stream into blocks (headings, paragraphs, list items, tables, code blocks, HTML) with their
//! rendered text. [`parse`] walks the blocks once with a small state machine (current section,
//! scenario, sub-block) and fills the model. Both steps are linear in the input.

mod blocks;
mod fields;
mod ids;
mod leftovers;
mod literals;
mod model;
mod parse;
mod scenario;
mod sections;
mod span;
mod state;
mod subblocks;

pub use ids::{parse_refs, IdKey, IdRef};
pub use literals::{normalise_literal, LITERALS};
pub use model::*;
pub use parse::parse;
pub use span::{LineIndex, Span};
