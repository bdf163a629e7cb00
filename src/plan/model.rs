//! The typed plan. Every element carries the [`Span`] it was read from.
//!
//! Values are the *rendered* text of the Markdown (emphasis and code marks removed, line
//! breaks kept as `\n`), so rules compare meaning, not markup.

use super::{IdRef, Span};

/// A piece of rendered text and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    pub text: String,
    pub span: Span,
}

/// One `Label: value` line of the header, a scenario, a §7.M block …
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Field {
    /// The label, lowercased with whitespace folded (`falsifies if it fails`); the format's
    /// own labels are static strings.
    pub label: std::borrow::Cow<'static, str>,
    /// The rendered value after the colon, trimmed; line breaks folded into spaces.
    pub value: String,
    /// The whole element (list item or paragraph line).
    pub span: Span,
    /// Source offset where the value starts (after the label's colon).
    pub value_start: usize,
    /// Sub-bullets and code blocks nested under the field, when it has any. Most fields have
    /// none, so they live behind one pointer: a plan holds tens of thousands of fields.
    pub nested: Option<Box<Nested>>,
}

/// What a field's list item holds besides its own text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nested {
    /// Sub-bullets under the field (e.g. arm lines under `Scenario arms:`).
    pub children: Vec<Text>,
    /// Fenced code blocks nested in the field's list item (the skeleton).
    pub code: Vec<CodeBlock>,
}

impl Field {
    /// The value, or `""`.
    pub fn is_empty(&self) -> bool {
        self.value.trim().is_empty() && self.children().is_empty() && self.code().is_empty()
    }

    /// Sub-bullets under the field.
    pub fn children(&self) -> &[Text] {
        self.nested.as_deref().map_or(&[], |n| &n.children)
    }

    /// Fenced code blocks nested in the field's list item.
    pub fn code(&self) -> &[CodeBlock] {
        self.nested.as_deref().map_or(&[], |n| &n.code)
    }

    /// The nested parts, created on first use.
    pub fn nested_mut(&mut self) -> &mut Nested {
        self.nested.get_or_insert_with(Box::default)
    }
}

/// A fenced or indented code block.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodeBlock {
    /// The info string's first word (`rust`), lowercased; empty when none.
    pub lang: String,
    pub span: Span,
}

/// A `## N. Title` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// `0`, `1b`, `7d` …
    pub number: String,
    pub title: String,
    /// The heading.
    pub span: Span,
    /// Byte offset where the section ends (the next level-2 heading, or the end).
    pub end: usize,
    /// Whether anything but whitespace follows the heading inside the section.
    pub has_content: bool,
}

/// A table read by header name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub span: Span,
    /// Header cells, rendered and lowercased.
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// One table row.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Row {
    pub span: Span,
    pub cells: Vec<Text>,
}

impl Table {
    /// Index of the first header that starts with `name` (case-insensitive).
    pub fn column(&self, name: &str) -> Option<usize> {
        let name = name.to_lowercase();
        self.headers
            .iter()
            .position(|h| *h == name)
            .or_else(|| self.headers.iter().position(|h| h.starts_with(&name)))
    }

    /// Cell `col` of `row`, if both exist.
    pub fn cell<'a>(&self, row: &'a Row, col: Option<usize>) -> Option<&'a Text> {
        col.and_then(|c| row.cells.get(c))
    }
}

/// A §1b claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub id: IdRef,
    pub text: String,
    pub category: Option<Text>,
    /// The category's canonical ID, when it is a known claim category.
    pub canonical: Option<&'static str>,
    pub span: Span,
}

/// A §1c missing claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingClaim {
    pub id: IdRef,
    pub span: Span,
}

/// A §4 hypothesis.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hypothesis {
    pub id: Option<IdRef>,
    pub title: String,
    pub span: Span,
    pub fields: Vec<Field>,
}

impl Hypothesis {
    /// The field with this label (case-insensitive), if present.
    pub fn field(&self, label: &str) -> Option<&Field> {
        find_field(&self.fields, label)
    }
}

/// A `- N/A: <category> — <reason>` line in §4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotApplicable {
    pub text: String,
    pub span: Span,
}

/// A §6 technique.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Technique {
    pub name: Text,
    pub fields: Vec<Field>,
}

impl Technique {
    /// The field with this label, if present.
    pub fn field(&self, label: &str) -> Option<&Field> {
        find_field(&self.fields, label)
    }
}

/// A §7.M or §7.M.S block (or an arm's own §7.M).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Block {
    /// The heading.
    pub span: Span,
    pub fields: Vec<Field>,
}

impl Block {
    /// The field with this label, if present.
    pub fn field(&self, label: &str) -> Option<&Field> {
        find_field(&self.fields, label)
    }
}

/// A `##### Arm S5/api` block inside a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arm {
    pub id: IdRef,
    pub span: Span,
    pub fields: Vec<Field>,
    pub model: Option<Block>,
}

impl Arm {
    /// The field with this label, if present.
    pub fn field(&self, label: &str) -> Option<&Field> {
        find_field(&self.fields, label)
    }
}

/// A `### Scenario S<n>: name` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub id: IdRef,
    pub name: Text,
    /// The heading.
    pub span: Span,
    /// Where the scenario ends.
    pub end: usize,
    /// Bold-label bullets directly under the heading, in order.
    pub fields: Vec<Field>,
    /// `#### §7.M` block.
    pub model: Option<Block>,
    /// The `§7.M: not applicable (…)` line.
    pub model_na: Option<Span>,
    /// `#### §7.M.S` block.
    pub surface: Option<Block>,
    /// The `§7.M.S: not applicable (…)` line.
    pub surface_na: Option<Span>,
    pub arms: Vec<Arm>,
    /// Claim IDs of `Falsifies if it FAILs:` (filled when parsing ends).
    pub falsifies_refs: Vec<IdRef>,
    /// Hypothesis IDs of `Closes:` (filled when parsing ends).
    pub closes_refs: Vec<IdRef>,
    /// Canonical categories of the falsified claims, sorted and deduplicated (filled when
    /// parsing ends).
    pub categories: Vec<&'static str>,
}

impl Scenario {
    /// The field with this label, if present.
    pub fn field(&self, label: &str) -> Option<&Field> {
        find_field(&self.fields, label)
    }

    /// Claim IDs in `Falsifies if it FAILs:`.
    pub fn falsifies(&self) -> &[IdRef] {
        &self.falsifies_refs
    }

    /// Hypothesis IDs in `Closes:`.
    pub fn closes(&self) -> &[IdRef] {
        &self.closes_refs
    }

    /// Reference IDs of the given kinds in the field with this label.
    pub fn field_refs(&self, label: &str, kinds: &str) -> Vec<IdRef> {
        self.field(label)
            .map(|f| field_refs(f, kinds))
            .unwrap_or_default()
    }

    /// Arm IDs named in `Scenario arms:` (inline and sub-bullets).
    pub fn declared_arms(&self) -> Vec<IdRef> {
        let Some(f) = self.surface.as_ref().and_then(|b| b.field("scenario arms")) else {
            return Vec::new();
        };
        let mut out: Vec<IdRef> = super::parse_refs(&f.value, "S", f.value_start)
            .into_iter()
            .filter(|r| r.arm.is_some())
            .collect();
        let inline = out.len();
        for c in f.children() {
            // a sub-bullet starts with the arm ID
            if let Some(r) = super::parse_refs(&c.text, "S", c.span.start)
                .into_iter()
                .next()
            {
                // arms may be named inline and again as sub-bullets: one arm each
                if r.arm.is_some() && !out[..inline].iter().any(|o| o.key() == r.key()) {
                    let mut r = r;
                    r.span = c.span;
                    out.push(r);
                }
            }
        }
        out
    }
}

/// Reference IDs in a field's value (spans point into the value's line).
pub fn field_refs(f: &Field, kinds: &str) -> Vec<IdRef> {
    super::parse_refs(&f.value, kinds, f.value_start)
        .into_iter()
        .map(|mut r| {
            // rendered offsets are approximate; keep the span inside the field
            if r.span.end > f.span.end {
                r.span = Span::new(f.value_start, f.span.end);
            }
            r
        })
        .collect()
}

fn find_field<'a>(fields: &'a [Field], label: &str) -> Option<&'a Field> {
    fields.iter().find(|f| f.label.eq_ignore_ascii_case(label))
}

/// A literal sentence (not-applicable or explicit-empty) found in the plan, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiteralUse {
    /// Which literal ([`super::LITERALS`] key).
    pub kind: &'static str,
    pub span: Span,
    /// The section it was found in.
    pub section: Option<String>,
    /// The scenario it was found in (index into `Plan::scenarios`).
    pub scenario: Option<usize>,
    /// Inside an arm block of that scenario.
    pub in_arm: bool,
    /// The text starts like the literal but is not exactly it.
    pub malformed: bool,
}

/// What kind of leftover placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceholderKind {
    /// `{{TODO: …}}`, anywhere.
    Todo,
    /// `{{word…}}` outside code.
    Template,
    /// `<word>` that is not an HTML element, outside code.
    Angle,
}

/// A leftover placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    pub kind: PlaceholderKind,
    pub text: String,
    pub span: Span,
}

/// An inline `<!-- dstplan-disable DSTnnn[, DSTmmm]: reason -->`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub codes: Vec<String>,
    pub reason: String,
    pub span: Span,
    /// The range the directive silences: the element after it.
    pub target: Span,
}

/// The whole plan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// The first level-1 heading.
    pub title: Option<Text>,
    /// The slug after `Test Plan:`, when the title has that form.
    pub slug: Option<String>,
    /// Header fields (before the first section).
    pub header: Vec<Field>,
    pub sections: Vec<Section>,
    /// §1 `Files touched:` field with its list.
    pub files_touched: Option<Field>,
    pub claims_table: Option<Table>,
    pub claims: Vec<Claim>,
    pub missing_table: Option<Table>,
    pub missing_claims: Vec<MissingClaim>,
    pub inventory_table: Option<Table>,
    pub hypotheses: Vec<Hypothesis>,
    pub hypothesis_na: Vec<NotApplicable>,
    pub coverage_table: Option<Table>,
    pub techniques: Vec<Technique>,
    pub environment_table: Option<Table>,
    pub scenarios: Vec<Scenario>,
    pub adequacy_table: Option<Table>,
    pub residual_table: Option<Table>,
    /// §7d paragraphs (rendered).
    pub confidence_text: Vec<Text>,
    pub confidence_table: Option<Table>,
    pub literals: Vec<LiteralUse>,
    pub placeholders: Vec<Placeholder>,
    pub directives: Vec<Directive>,
    /// Rendered text of the paragraphs, list items and table cells of §7c, §8 and §9, per
    /// section number (for "is this ID mentioned where deferred work is listed?").
    pub section_text: Vec<(String, String)>,
}

impl Plan {
    /// Header field by label (case-insensitive).
    pub fn header_field(&self, label: &str) -> Option<&Field> {
        find_field(&self.header, label)
    }

    /// Section by number.
    pub fn section(&self, number: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.number == number)
    }

    /// All rendered text of a section (paragraphs, items, table cells); kept only for
    /// `sections::TEXT_SECTIONS`.
    pub fn text_of(&self, number: &str) -> String {
        self.section_text
            .iter()
            .filter(|(n, _)| n == number)
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The plan mode, lowercased, if the header names one.
    pub fn mode(&self) -> Option<String> {
        self.header_field("plan mode")
            .map(|f| f.value.trim().to_lowercase())
    }

    /// Whether the plan is project-wide (a plan with no mode is read as change-scoped).
    pub fn is_project_wide(&self) -> bool {
        self.mode().is_some_and(|m| m.starts_with("project-wide"))
    }

    /// Claim by key.
    pub fn claim(&self, key: &str) -> Option<&Claim> {
        self.claims.iter().find(|c| c.id.key() == key)
    }

    /// Canonical category of a claim, if it has a known one.
    pub fn claim_category(&self, key: &str) -> Option<&'static str> {
        self.claim(key)?.canonical
    }

    /// Canonical category of the claim a reference names (no allocation).
    pub fn ref_category(&self, r: &IdRef) -> Option<&'static str> {
        self.claims
            .iter()
            .find(|c| c.id.kind == r.kind && c.id.num == r.num)?
            .canonical
    }

    /// Scenario by key (`S3`).
    pub fn scenario(&self, key: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.id.key() == key)
    }
}
