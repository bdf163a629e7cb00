//! A scenario in §7: its `### Scenario S<n>: name` heading, its fields (list items and
//! labelled paragraphs, with nested items and code blocks), and the §7.M / §7.M.S
//! not-applicable lines that stand in for a block.

use super::blocks::{Blk, Kind};
use super::fields::{fields_of, fold_owned, item_field, KNOWN_SCENARIO_LABELS};
use super::ids::parse_id;
use super::model::*;
use super::state::{Sub, Walker, SCENARIO_FIELDS};
use super::{IdRef, Span};

fn parse_scenario_heading(text: &str, span: Span) -> Option<(IdRef, String)> {
    let t = text.trim();
    let rest = match t.get(..8) {
        Some(p) if p.eq_ignore_ascii_case("scenario") => t[8..].trim_start(),
        _ => t,
    };
    if !rest.starts_with('S') {
        return None;
    }
    let end = rest
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric()))
        .map_or(rest.len(), |(i, _)| i);
    let id = parse_id(&rest[..end], "S", span)?;
    let name = rest[end..]
        .trim_start_matches([':', ' ', '—', '–', '-'])
        .trim()
        .to_string();
    Some((id, name))
}

/// A scenario is complete: give its reserved but unused field slots back to the allocator,
/// so later blocks reuse that memory instead of touching fresh pages.
pub(super) fn settle(sc: &mut Scenario) {
    sc.fields.shrink_to_fit();
    for b in [&mut sc.model, &mut sc.surface].into_iter().flatten() {
        b.fields.shrink_to_fit();
    }
}

impl Walker<'_> {
    /// A `###` in §7: a new scenario, or (not a scenario heading) the end of the current one.
    pub(super) fn scenario_heading(&mut self, b: &Blk) {
        let plan = &mut self.plan;
        if let Some((id, name)) = parse_scenario_heading(&b.text, b.span) {
            if let Some(prev) = plan.scenarios.last_mut() {
                settle(prev);
            }
            plan.scenarios.push(Scenario {
                id,
                name: Text {
                    text: name,
                    span: b.span,
                },
                span: b.span,
                end: self.src.len(),
                fields: Vec::with_capacity(SCENARIO_FIELDS),
                model: None,
                model_na: None,
                surface: None,
                surface_na: None,
                arms: vec![],
                falsifies_refs: vec![],
                closes_refs: vec![],
                categories: vec![],
            });
            self.cur_scenario = Some(plan.scenarios.len() - 1);
            self.sub = Sub::Main;
        } else {
            self.cur_scenario = None;
        }
    }

    /// A literal sentence anywhere after the header. A §7.M or §7.M.S not-applicable line in a
    /// scenario is recorded there, and may stand under its own heading: then it replaces the
    /// block.
    pub(super) fn literal(&mut self, kind: &'static str, malformed: bool, span: Span) {
        let sub = self.sub;
        self.plan.literals.push(LiteralUse {
            kind,
            span,
            section: self.section.clone(),
            scenario: self.cur_scenario,
            in_arm: matches!(sub, Sub::Arm(_) | Sub::ArmModel(_)),
            malformed,
        });
        if malformed {
            return;
        }
        let Some(si) = self.cur_scenario else { return };
        let sc = &mut self.plan.scenarios[si];
        match kind {
            "model-na" => {
                sc.model_na = Some(span);
                if sub == Sub::Model && sc.model.as_ref().is_some_and(|m| m.fields.is_empty()) {
                    sc.model = None;
                    self.sub = Sub::Other;
                }
            }
            "surface-na" => {
                sc.surface_na = Some(span);
                if sub == Sub::Surface && sc.surface.as_ref().is_some_and(|m| m.fields.is_empty()) {
                    sc.surface = None;
                    self.sub = Sub::Other;
                }
            }
            _ => {}
        }
    }

    /// A block in §7 under a scenario: a field of the current sub-block, a nested item of the
    /// last field, or a code block of it.
    pub(super) fn scenario_block(&mut self, bi: usize, b: &mut Blk) {
        let src = self.src;
        let Some(si) = self.cur_scenario else { return };
        let sc = &mut self.plan.scenarios[si];
        let fields: &mut Vec<Field> = match self.sub {
            Sub::Main => &mut sc.fields,
            Sub::Model => &mut sc.model.as_mut().expect("model block").fields,
            Sub::Surface => &mut sc.surface.as_mut().expect("surface block").fields,
            Sub::Arm(ai) => &mut sc.arms[ai].fields,
            Sub::ArmModel(ai) => &mut sc.arms[ai].model.as_mut().expect("arm model").fields,
            Sub::Other => return,
        };
        match b.kind {
            Kind::Item => {
                let nested = b.parent.is_some() && self.last_field_item.is_some();
                if nested && b.depth > 0 {
                    if let Some(f) = fields.last_mut() {
                        f.nested_mut().children.push(Text {
                            text: fold_owned(std::mem::take(&mut b.text), 0),
                            span: b.span,
                        });
                    }
                    return;
                }
                // A list item is one field: its label, then everything after it,
                // continuation lines included (a colon in them starts nothing).
                if let Some(f) = item_field(src, b) {
                    fields.push(f);
                    self.last_field_item = Some(bi);
                }
            }
            Kind::Paragraph => {
                let fs = fields_of(src, b, KNOWN_SCENARIO_LABELS);
                if !fs.is_empty() {
                    fields.extend(fs);
                    self.last_field_item = None;
                }
            }
            Kind::Code => {
                let cb = CodeBlock {
                    lang: b.lang.clone(),
                    span: b.span,
                };
                if let Some(f) = fields.last_mut() {
                    if b.parent.is_some() || f.label == "skeleton" {
                        f.nested_mut().code.push(cb);
                    }
                }
            }
            _ => {}
        }
    }
}
