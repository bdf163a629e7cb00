//! The blocks inside a scenario: `#### §7.M`, `#### §7.M.S`, `##### Arm S<n>/<arm>` and an
//! arm's `###### §7.M`. A heading here decides which sub-block the following fields fill.

use super::blocks::Blk;
use super::model::*;
use super::state::{Sub, Walker, MODEL_FIELDS};

impl Walker<'_> {
    /// A `####`–`######` heading in §7 (any level other than a scenario's `###`).
    pub(super) fn sub_heading(&mut self, level: u8, b: &Blk) {
        let Some(si) = self.cur_scenario else { return };
        let up = b.text.to_uppercase();
        let sc = &mut self.plan.scenarios[si];
        self.sub = if level == 4 && up.contains("7.M.S") {
            sc.surface = Some(Block {
                span: b.span,
                fields: vec![],
            });
            Sub::Surface
        } else if level == 4 && up.contains("7.M") {
            sc.model = Some(Block {
                span: b.span,
                fields: Vec::with_capacity(MODEL_FIELDS),
            });
            Sub::Model
        } else if level == 5
            && b.text
                .trim()
                .get(..3)
                .is_some_and(|w| w.eq_ignore_ascii_case("arm"))
        {
            arm_heading(sc, b)
        } else if level == 6 && up.contains("7.M") {
            match self.sub {
                Sub::Arm(ai) | Sub::ArmModel(ai) => {
                    sc.arms[ai].model = Some(Block {
                        span: b.span,
                        fields: vec![],
                    });
                    Sub::ArmModel(ai)
                }
                _ => Sub::Other,
            }
        } else {
            Sub::Other
        };
        self.last_field_item = None;
    }
}

/// `##### Arm S5/api …`: a new arm of the scenario, or (no arm ID) a block nobody reads.
fn arm_heading(sc: &mut Scenario, b: &Blk) -> Sub {
    let t = b.text.trim()[3..].trim();
    let end = t
        .find(|c: char| c.is_whitespace() || c == ':' || c == '—')
        .unwrap_or(t.len());
    match super::parse_refs(&t[..end], "S", b.span.start)
        .into_iter()
        .next()
    {
        Some(mut id) if id.arm.is_some() => {
            id.span = b.span;
            sc.arms.push(Arm {
                id,
                span: b.span,
                fields: vec![],
                model: None,
            });
            Sub::Arm(sc.arms.len() - 1)
        }
        _ => Sub::Other,
    }
}
