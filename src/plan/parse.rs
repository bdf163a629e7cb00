//! Blocks → [`Plan`]. One walk, a small state machine: current section, current scenario and
//! which sub-block of it (main bullets, §7.M, §7.M.S, an arm, an arm's §7.M).
//!
//! Tolerances (`plan-format.md`): labels bold or plain with the colon inside or outside the
//! bold; `§` before section numbers and a missing dot; any section title; hypotheses as
//! `H1.` paragraphs or list items or `### H1` headings, including the case where a hypothesis
//! line is swallowed into the previous bullet as a lazy continuation line.
//!
//! The walk is split at its seams: `state.rs` holds the state ([`Walker`]); this file the
//! dispatch of each block and what is computed after the walk; `sections.rs` the header and every section outside §7; `scenario.rs` a
//! scenario's heading, fields and not-applicable lines; `subblocks.rs` the §7.M, §7.M.S and
//! arm headings inside a scenario; `leftovers.rs` the whole-source passes after the walk.

use super::blocks::{flatten, Blk, Kind, Pass};
use super::fields::line_span;
use super::leftovers::{find_directives, find_placeholders};
use super::literals::literal_kind;
use super::model::*;
use super::scenario::settle;
use super::sections::TEXT_SECTIONS;
use super::state::{Sub, Walker};

/// Parse a plan. Never fails and never panics.
pub fn parse(src: &str) -> Plan {
    // A UTF-8 byte-order mark is no part of the text: Markdown would read it as a character
    // and the title line as a paragraph. Three spaces take its three bytes, so every offset
    // (and every diagnostic's line and column) stays that of the file as given.
    if let Some(rest) = src.strip_prefix('\u{feff}') {
        return parse_text(&format!("   {rest}"));
    }
    parse_text(src)
}

fn parse_text(src: &str) -> Plan {
    let mut w = Walker {
        src,
        plan: Plan::default(),
        section: None,
        seen_section: false,
        sub: Sub::Main,
        cur_scenario: None,
        cur_hyp: None,
        collecting_files: false,
        last_field_item: None,
    };
    // Each block as the first pass completes it (see `blocks::flatten`), in source order.
    let pass = flatten(src, |bi, b| w.block(bi, b));
    let mut plan = w.plan;
    if let Some(last) = plan.scenarios.last_mut() {
        settle(last);
    }
    finish(src, &pass, &mut plan);
    find_placeholders(src, &pass, &mut plan);
    find_directives(src, &pass, &mut plan);
    plan
}

impl Walker<'_> {
    /// One block, in source order.
    fn block(&mut self, bi: usize, b: &mut Blk) {
        self.keep_section_text(b);

        if let Kind::Heading(level) = b.kind {
            self.heading(level, b);
            return;
        }

        // Before the first section: header.
        if !self.seen_section {
            if matches!(b.kind, Kind::Paragraph | Kind::Item) {
                self.header_block(b);
            }
            return;
        }

        // Literal sentences, anywhere; several on consecutive lines of one paragraph (the two
        // not-applicable lines written without a blank line between them) are each one.
        if matches!(b.kind, Kind::Paragraph | Kind::Item) {
            if let Some((kind, malformed)) = literal_kind(&b.text) {
                if malformed && b.line_count() > 1 && self.literal_lines(b) {
                    return;
                }
                self.literal(kind, malformed, b.span);
                return;
            }
        }

        if self.section.as_deref() == Some("7") {
            self.scenario_block(bi, b);
        } else {
            self.section_block(b);
        }
    }

    /// A paragraph whose every line is an exact literal: each line is recorded as one.
    fn literal_lines(&mut self, b: &Blk) -> bool {
        let mut found = Vec::with_capacity(b.line_count());
        for (line, off) in b.text_lines() {
            match literal_kind(line) {
                Some((kind, false)) => found.push((kind, line_span(self.src, off))),
                _ => return false,
            }
        }
        for (kind, span) in found {
            self.literal(kind, false, span);
        }
        true
    }

    /// Text of every paragraph, item and table cell of the sections rules search for IDs.
    fn keep_section_text(&mut self, b: &Blk) {
        let Some(sec) = self
            .section
            .as_ref()
            .filter(|s| TEXT_SECTIONS.contains(&s.as_str()))
        else {
            return;
        };
        match b.kind {
            Kind::Paragraph | Kind::Item | Kind::Heading(_) => {
                self.plan.section_text.push((sec.clone(), b.text.clone()))
            }
            Kind::Table => {
                if let Some(t) = &b.table {
                    let mut s = String::new();
                    for r in &t.rows {
                        for c in &r.cells {
                            s.push_str(&c.text);
                            s.push(' ');
                        }
                        s.push('\n');
                    }
                    self.plan.section_text.push((sec.clone(), s));
                }
            }
            _ => {}
        }
    }

    /// A heading: the title, a section, or a heading inside §4, §6 or §7.
    fn heading(&mut self, level: u8, b: &Blk) {
        self.collecting_files = false;
        match level {
            1 => self.title(b),
            2 => self.section_heading(b),
            _ => match self.section.as_deref() {
                Some("4") => self.hypothesis_heading(b),
                Some("6") if level == 3 => self.technique_heading(b),
                Some("7") if level == 3 => self.scenario_heading(b),
                Some("7") => self.sub_heading(level, b),
                _ => {}
            },
        }
    }
}

/// After the walk: where each section and scenario ends, whether a section has content, and
/// each scenario's references and claim categories.
fn finish(src: &str, pass: &Pass, plan: &mut Plan) {
    // Section ends and content.
    let blocks = &pass.outline;
    let all_h2: Vec<usize> = blocks
        .iter()
        .filter(|b| b.0 == Kind::Heading(2))
        .map(|b| b.1.start)
        .collect();
    for sec in plan.sections.iter_mut() {
        let start = sec.span.start;
        let end = all_h2
            .iter()
            .copied()
            .find(|&s| s > start)
            .unwrap_or(src.len());
        let head_end = sec.span.end;
        sec.end = end;
        // blocks are in source order: find the first one after the heading
        let first = blocks.partition_point(|b| b.1.start < head_end);
        sec.has_content = blocks.get(first).is_some_and(|b| b.1.start < end);
    }
    // Scenario ends.
    let sc_starts: Vec<usize> = plan.scenarios.iter().map(|s| s.span.start).collect();
    let claims = std::mem::take(&mut plan.claims);
    for (i, sc) in plan.scenarios.iter_mut().enumerate() {
        let sec_end = plan
            .sections
            .iter()
            .find(|s| s.span.start <= sc.span.start && sc.span.start < s.end)
            .map_or(src.len(), |s| s.end);
        sc.end = sc_starts
            .get(i + 1)
            .copied()
            .unwrap_or(sec_end)
            .min(sec_end);
        sc.falsifies_refs = sc.field_refs("falsifies if it fails", "C");
        sc.closes_refs = sc.field_refs("closes", "H");
        let mut cats: Vec<&'static str> = sc
            .falsifies_refs
            .iter()
            .filter_map(|r| {
                claims
                    .iter()
                    .find(|c| c.id.kind == r.kind && c.id.num == r.num)
                    .and_then(|c| c.canonical)
            })
            .collect();
        cats.sort_unstable();
        cats.dedup();
        sc.categories = cats;
    }
    plan.claims = claims;
}
