//! The parse walk's state, shared by the files that handle each part of the plan: where the
//! walk is (section, scenario, sub-block) and the plan filled so far.

use super::model::Plan;

/// The walk's state: the plan being filled and where in it the current block belongs.
pub(super) struct Walker<'s> {
    pub(super) src: &'s str,
    pub(super) plan: Plan,
    /// The current section's number (`appendix:<title>` for an unnumbered `##`).
    pub(super) section: Option<String>,
    /// Whether any `##` heading was seen (before it, blocks are header lines).
    pub(super) seen_section: bool,
    /// The current scenario's sub-block.
    pub(super) sub: Sub,
    pub(super) cur_scenario: Option<usize>,
    pub(super) cur_hyp: Option<usize>,
    /// Inside §1's `Files touched:` list.
    pub(super) collecting_files: bool,
    /// The list item the current sub-block's last field came from (for children and code).
    pub(super) last_field_item: Option<usize>,
}

/// Which part of the current scenario the next fields belong to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Sub {
    Main,
    Model,
    Surface,
    Arm(usize),
    ArmModel(usize),
    Other,
}

/// Room reserved for a scenario's fields and its §7.M block's: the template's counts, so the
/// vectors are allocated once.
pub(super) const SCENARIO_FIELDS: usize = 16;
pub(super) const MODEL_FIELDS: usize = 8;
