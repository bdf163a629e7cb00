//! The header and every section outside §7: section headings, the claims, missing-claims,
//! inventory, coverage, environment, adequacy, residual and confidence tables, §1's files
//! touched, §4's hypotheses (paragraphs, items or headings) and §6's techniques.

use super::blocks::{Blk, Kind};
use super::fields::{fields_of, fold, line_span, make_field, norm_label, split_label};
use super::ids::parse_id;
use super::model::*;
use super::state::{Sub, Walker};
use super::{IdRef, Span};

const HYPOTHESIS_LABELS: &[&str] = &[
    "could falsify",
    "suspected because",
    "subsystem",
    "category",
    "closes",
];

const HEADER_LABELS: &[&str] = &[
    "date",
    "plan mode",
    "sut",
    "change under test",
    "plan author",
    "status",
];

/// Sections whose text is kept in [`Plan::section_text`] (the ones rules search for IDs).
pub(super) const TEXT_SECTIONS: &[&str] = &["7c", "8", "9"];

pub(super) fn section_number(text: &str) -> Option<(String, String)> {
    let t = text.trim().trim_start_matches('§').trim_start();
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || digits.len() > 2 {
        return None;
    }
    let rest = &t[digits.len()..];
    let mut num = digits.clone();
    let mut rest_chars = rest.chars();
    let mut after = rest;
    if let Some(c) = rest_chars.next() {
        if c.is_ascii_lowercase() {
            let next = rest_chars.next();
            if next.is_none_or(|n| !n.is_alphanumeric()) {
                num.push(c);
                after = &rest[1..];
            }
        }
    }
    let after = after.strip_prefix('.').unwrap_or(after);
    if after.chars().next().is_some_and(|c| c.is_alphanumeric()) {
        return None;
    }
    Some((num, after.trim().to_string()))
}

fn hypothesis_start(line: &str, base: usize) -> Option<(IdRef, String)> {
    let t = line.trim_start();
    let t = t
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.')
        .trim_start();
    let t = t.trim_start_matches('*');
    if !t.starts_with('H') {
        return None;
    }
    let end = t[1..]
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(t.len(), |(i, _)| i + 1);
    if end < 2 {
        return None;
    }
    let after = &t[end..];
    let after_trim = after.trim_start_matches('*');
    let sep_ok = after_trim.starts_with('.')
        || after_trim.starts_with(':')
        || after_trim.starts_with(')')
        || after_trim.trim_start().starts_with('—')
        || after_trim.trim_start().starts_with('–')
        || after_trim.trim_start().starts_with("- ")
        || after_trim.trim().is_empty();
    if !sep_ok {
        return None;
    }
    let id = parse_id(&t[..end], "H", Span::new(base, base + end))?;
    let title = after_trim
        .trim_start_matches(['.', ':', ')', ' ', '—', '–', '-'])
        .trim()
        .to_string();
    Some((id, title))
}

impl Walker<'_> {
    /// `#`: the first one is the title (and its `Test Plan:` slug).
    pub(super) fn title(&mut self, b: &Blk) {
        let plan = &mut self.plan;
        if plan.title.is_none() {
            plan.title = Some(Text {
                text: b.text.clone(),
                span: b.span,
            });
            let t = b.text.trim();
            if let Some(rest) = t.strip_prefix("Test Plan:") {
                plan.slug = Some(rest.trim().to_string());
            }
        }
    }

    /// `##`: a numbered section, or an appendix.
    pub(super) fn section_heading(&mut self, b: &Blk) {
        self.cur_scenario = None;
        self.cur_hyp = None;
        self.sub = Sub::Main;
        self.seen_section = true;
        match section_number(&b.text) {
            Some((num, title)) => {
                self.section = Some(num.clone());
                self.plan.sections.push(Section {
                    number: num,
                    title,
                    span: b.span,
                    end: self.src.len(),
                    has_content: false,
                });
            }
            None => self.section = Some(format!("appendix:{}", b.text.trim())),
        }
    }

    /// A heading in §4 that starts a hypothesis (`### H1 — Title`).
    pub(super) fn hypothesis_heading(&mut self, b: &Blk) {
        if let Some((mut id, title)) = hypothesis_start(&b.text, b.span.start) {
            id.span = b.span;
            self.plan.hypotheses.push(Hypothesis {
                id: Some(id),
                title,
                span: b.span,
                fields: vec![],
            });
            self.cur_hyp = Some(self.plan.hypotheses.len() - 1);
        }
    }

    /// A `###` in §6: a technique.
    pub(super) fn technique_heading(&mut self, b: &Blk) {
        self.plan.techniques.push(Technique {
            name: Text {
                text: b.text.trim().to_string(),
                span: b.span,
            },
            fields: vec![],
        });
    }

    /// A paragraph or item before the first section: header lines.
    pub(super) fn header_block(&mut self, b: &Blk) {
        self.plan
            .header
            .extend(fields_of(self.src, b, HEADER_LABELS));
    }

    /// A block of any section but §7.
    pub(super) fn section_block(&mut self, b: &Blk) {
        let src = self.src;
        let plan = &mut self.plan;
        let sec = self.section.as_deref().unwrap_or("");
        match (sec, b.kind) {
            ("1", Kind::Paragraph | Kind::Item) => {
                if self.collecting_files && b.kind == Kind::Item {
                    if let Some(f) = plan.files_touched.as_mut() {
                        f.nested_mut().children.push(Text {
                            text: b.text.clone(),
                            span: b.span,
                        });
                    }
                    return;
                }
                self.collecting_files = false;
                let lower = b.text.trim_start().trim_start_matches('*').to_lowercase();
                if !lower.starts_with("files touched") && ends_with_files_touched(&lower) {
                    // "… the interaction with tombstones. Files touched:" before the list
                    let start = b.text_lines().last().map_or(b.span.start, |l| l.1);
                    plan.files_touched = Some(Field {
                        label: "files touched".into(),
                        value: String::new(),
                        span: b.span,
                        value_start: start,
                        nested: None,
                    });
                    self.collecting_files = true;
                } else if lower.starts_with("files touched") {
                    let mut fs = fields_of(src, b, &["files touched"]);
                    if let Some(mut f) = fs.pop() {
                        // items nested in the same item count as the list
                        f.span = b.span;
                        plan.files_touched = Some(f);
                        self.collecting_files = true;
                    }
                }
            }
            ("1", Kind::Table) if self.collecting_files => {
                // the files as a table: the first cell of each row
                if let (Some(f), Some(t)) = (plan.files_touched.as_mut(), &b.table) {
                    for r in &t.rows {
                        if let Some(c) = r.cells.first().filter(|c| !c.text.trim().is_empty()) {
                            f.nested_mut().children.push(c.clone());
                        }
                    }
                }
                self.collecting_files = false;
            }
            ("1", _) => self.collecting_files = false,
            ("1b", Kind::Table) => claims_table(plan, b),
            ("1c", Kind::Table) => {
                let t = b.table.clone().unwrap_or_default();
                let idc = t.column("id");
                for r in &t.rows {
                    if let Some(c) = t.cell(r, idc) {
                        if let Some(id) = parse_id(&c.text, "M", c.span) {
                            plan.missing_claims.push(MissingClaim { id, span: r.span });
                        }
                    }
                }
                plan.missing_table.get_or_insert(t);
            }
            ("3", Kind::Table) => {
                plan.inventory_table
                    .get_or_insert(b.table.clone().unwrap_or_default());
            }
            ("4", Kind::Paragraph | Kind::Item) => self.hypothesis_lines(b),
            ("5", Kind::Table) => {
                plan.coverage_table
                    .get_or_insert(b.table.clone().unwrap_or_default());
            }
            ("6", Kind::Paragraph | Kind::Item) => {
                let fs = fields_of(src, b, &[]);
                if !fs.is_empty() {
                    if plan.techniques.is_empty() {
                        plan.techniques.push(Technique::default());
                    }
                    if let Some(t) = plan.techniques.last_mut() {
                        t.fields.extend(fs);
                    }
                }
            }
            ("6", Kind::Table) => techniques_table(plan, b),
            ("6b", Kind::Table) => {
                plan.environment_table
                    .get_or_insert(b.table.clone().unwrap_or_default());
            }
            ("7b", Kind::Table) => {
                plan.adequacy_table
                    .get_or_insert(b.table.clone().unwrap_or_default());
            }
            ("7c", Kind::Table) => {
                plan.residual_table
                    .get_or_insert(b.table.clone().unwrap_or_default());
            }
            ("7d", Kind::Paragraph) => plan.confidence_text.push(Text {
                text: b.text.clone(),
                span: b.span,
            }),
            ("7d", Kind::Table) => {
                plan.confidence_table
                    .get_or_insert(b.table.clone().unwrap_or_default());
            }
            _ => {}
        }
    }

    /// A paragraph or item of §4: each line starts a hypothesis, is one of its fields or an
    /// N/A bullet, or continues the previous field.
    fn hypothesis_lines(&mut self, b: &Blk) {
        let src = self.src;
        let plan = &mut self.plan;
        for (line, off) in b.text_lines() {
            if let Some((mut id, title)) = hypothesis_start(line, off) {
                let span = if b.kind == Kind::Item && b.line_count() == 1 {
                    b.span
                } else {
                    line_span(src, off)
                };
                id.span = Span::new(id.span.start, id.span.end.min(span.end));
                plan.hypotheses.push(Hypothesis {
                    id: Some(id),
                    title,
                    span,
                    fields: vec![],
                });
                self.cur_hyp = Some(plan.hypotheses.len() - 1);
                continue;
            }
            if let Some((label, at)) = split_label(line) {
                let nl = norm_label(label);
                if nl == "n/a" || nl == "na" {
                    plan.hypothesis_na.push(NotApplicable {
                        text: fold(line.get(at..).unwrap_or("")),
                        span: line_span(src, off),
                    });
                    continue;
                }
                if HYPOTHESIS_LABELS.contains(&&*nl) {
                    if let Some(h) = self.cur_hyp {
                        let mut f = make_field(src, b, label, line.get(at..).unwrap_or(""), off);
                        f.span = line_span(src, off);
                        plan.hypotheses[h].fields.push(f);
                    }
                    continue;
                }
            }
            // continuation of the previous field
            if let Some(h) = self.cur_hyp {
                if let Some(f) = plan.hypotheses[h].fields.last_mut() {
                    if b.kind == Kind::Item && Some(off) != b.line(0).map(|l| l.1) {
                        f.value.push(' ');
                        f.value.push_str(&fold(line));
                    }
                }
            }
        }
    }
}

/// §6 written as a table: one technique per row, named by the `Technique` column, each other
/// column a field (`Hypotheses it addresses`, `Reference`, …).
fn techniques_table(plan: &mut Plan, b: &Blk) {
    let Some(t) = &b.table else { return };
    let Some(nc) = t.column("technique") else {
        return;
    };
    for r in &t.rows {
        let Some(name) = t.cell(r, Some(nc)).filter(|c| !c.text.trim().is_empty()) else {
            continue;
        };
        let fields = t
            .headers
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != nc)
            .filter_map(|(i, h)| {
                let c = r.cells.get(i)?;
                Some(Field {
                    label: norm_label(h),
                    value: fold(&c.text),
                    span: c.span,
                    value_start: c.span.start,
                    nested: None,
                })
            })
            .collect();
        plan.techniques.push(Technique {
            name: Text {
                text: name.text.trim().to_string(),
                span: name.span,
            },
            fields,
        });
    }
}

/// Whether a paragraph's last sentence is the `Files touched:` label (the list follows).
fn ends_with_files_touched(lower: &str) -> bool {
    let t = lower.trim_end().trim_end_matches(['*', '_', ' ']);
    t.strip_suffix(':')
        .map(|t| t.trim_end_matches(['*', '_', ' ']))
        .is_some_and(|t| {
            t.strip_suffix("files touched")
                .is_some_and(|before| before.is_empty() || before.ends_with([' ', '.', '\n']))
        })
}

/// §1b's table: one claim per row with an ID (a malformed ID is kept for the ID rules).
fn claims_table(plan: &mut Plan, b: &Blk) {
    let t = b.table.clone().unwrap_or_default();
    let (idc, cc, tc) = (t.column("id"), t.column("category"), t.column("claim"));
    for r in &t.rows {
        if let Some(id_cell) = t.cell(r, idc) {
            if let Some(id) = parse_id(&id_cell.text, "C", id_cell.span) {
                let category = t.cell(r, cc).cloned();
                let canonical = category.as_ref().and_then(|c| {
                    crate::vocab::lookup(crate::vocab::CLAIM_CATEGORIES, c.text.trim_matches('`'))
                });
                plan.claims.push(Claim {
                    id,
                    text: t.cell(r, tc).map(|c| c.text.clone()).unwrap_or_default(),
                    category,
                    canonical,
                    span: r.span,
                });
            } else if !id_cell.text.trim().is_empty() {
                // keep a malformed ID for the ID rules: kind 'C', number 0
                plan.claims.push(Claim {
                    id: IdRef {
                        kind: '?',
                        num: 0,
                        arm: Some(id_cell.text.clone()),
                        leading_zero: false,
                        span: id_cell.span,
                    },
                    text: String::new(),
                    category: t.cell(r, cc).cloned(),
                    canonical: None,
                    span: r.span,
                });
            }
        }
    }
    plan.claims_table.get_or_insert(t);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::parse;

    #[test]
    fn section_numbers() {
        assert_eq!(section_number("0. Architectural summary").unwrap().0, "0");
        assert_eq!(section_number("§1b Claims").unwrap().0, "1b");
        assert_eq!(section_number("7d. Confidence").unwrap().0, "7d");
        assert_eq!(section_number("7 Scenarios").unwrap().0, "7");
        assert!(section_number("Appendix A").is_none());
        assert!(section_number("2024 review").is_none());
    }

    #[test]
    fn lazy_continuation_hypotheses_are_split() {
        let src = "# Test Plan: x\n\n## 4. Failure-mode hypotheses\n\nH1. **A** — a\n   - Could falsify: C1\n   - Subsystem: s\nH2. **B** — b\n   - Could falsify: C2\n";
        let p = parse(src);
        assert_eq!(p.hypotheses.len(), 2);
        assert_eq!(p.hypotheses[1].id.as_ref().unwrap().key(), "H2");
        assert_eq!(p.hypotheses[1].field("could falsify").unwrap().value, "C2");
        assert_eq!(p.hypotheses[0].field("subsystem").unwrap().value, "s");
    }
}
