//! Blocks → [`Plan`]. One walk, a small state machine: current section, current scenario and
//! which sub-block of it (main bullets, §7.M, §7.M.S, an arm, an arm's §7.M).
//!
//! Tolerances (`plan-format.md`): labels bold or plain with the colon inside or outside the
//! bold; `§` before section numbers and a missing dot; any section title; hypotheses as
//! `H1.` paragraphs or list items or `### H1` headings, including the case where a hypothesis
//! line is swallowed into the previous bullet as a lazy continuation line.

use std::borrow::Cow;

use super::blocks::{flatten, Blk, Kind};
use super::ids::parse_id;
use super::model::*;
use super::{IdRef, Span};

/// The literal sentences, keyed: compared on rendered text after [`normalise_literal`].
pub const LITERALS: &[(&str, &str)] = &[
    (
        "missing-claims-empty",
        "the docs and code appear aligned on every behavior the plan exercised.",
    ),
    (
        "residual-empty",
        "the plan exercises every claim under at least one realistic threat; the only residual uncertainty is bug density we cannot quantify.",
    ),
    ("model-na", "§7.M: not applicable (no gated claim category falsified)"),
    ("surface-na", "§7.M.S: not applicable (no boundary or fairness claim falsified)"),
    ("all-high", "All aspects rated `high`."),
];

/// Prefixes that mark an attempt at a literal (for "misspelled literal" diagnostics).
const LITERAL_PREFIXES: &[(&str, &str)] = &[
    ("missing-claims-empty", "the docs and code appear aligned"),
    ("residual-empty", "the plan exercises every claim"),
    ("surface-na", "§7.m.s: not applicable"),
    ("model-na", "§7.m: not applicable"),
    ("all-high", "all aspects rated"),
];

/// Normalise a paragraph for literal comparison: marks removed, whitespace collapsed, `--`
/// read as `—`, lowercase, trailing period dropped. One pass over the characters.
pub fn normalise_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' | '*' => continue,
            c if c.is_whitespace() => {
                space = !out.is_empty();
                continue;
            }
            _ => {}
        }
        if space {
            out.push(' ');
            space = false;
        }
        if c == '-' && chars.peek() == Some(&'-') {
            chars.next();
            out.push('—');
        } else if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    while out.ends_with('.') {
        out.pop();
    }
    out
}

fn literal_kind(text: &str) -> Option<(&'static str, bool)> {
    // Cheap gate first: every literal starts with one of a few words, and this runs for every
    // paragraph and list item of the plan.
    let head =
        text.trim_start_matches(|c: char| c.is_whitespace() || c == '*' || c == '_' || c == '`');
    let starts = |p: &str| {
        head.get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p))
    };
    if !["§7.m", "7.m", "the docs", "the plan", "all aspects"]
        .into_iter()
        .any(starts)
    {
        return None;
    }
    static NORMALISED: std::sync::OnceLock<Vec<(&'static str, String)>> =
        std::sync::OnceLock::new();
    let lits = NORMALISED.get_or_init(|| {
        LITERALS
            .iter()
            .map(|(k, l)| (*k, normalise_literal(l)))
            .collect()
    });
    let n = normalise_literal(text);
    for (k, lit) in lits {
        if n == *lit {
            return Some((k, false));
        }
    }
    for (k, prefix) in LITERAL_PREFIXES {
        if n.starts_with(prefix) {
            return Some((k, true));
        }
    }
    None
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sub {
    Main,
    Model,
    Surface,
    Arm(usize),
    ArmModel(usize),
    Other,
}

/// Split `Label: value` (label 1–48 characters, no digits-only label). Returns the label and
/// the value's offset in `line`.
fn split_label(line: &str) -> Option<(&str, usize)> {
    let t = line.trim_start();
    let lead = line.len() - t.len();
    let colon = t.find(':')?;
    let label = t[..colon].trim().trim_matches('*').trim();
    if label.is_empty() || label.len() > 4 * 48 || label.chars().count() > 48 || label.contains('`')
    {
        return None;
    }
    Some((label, lead + colon + 1))
}

fn norm_label(l: &str) -> Cow<'static, str> {
    let l = l.trim();
    // known labels come back as static strings: no allocation per field. They are grouped by
    // length, so a label is compared with the two or three of its length only.
    static BY_LEN: std::sync::OnceLock<Vec<Vec<&'static str>>> = std::sync::OnceLock::new();
    let by_len = BY_LEN.get_or_init(|| {
        let longest = KNOWN_LABELS.iter().map(|k| k.len()).max().unwrap_or(0);
        let mut v = vec![Vec::new(); longest + 1];
        for k in KNOWN_LABELS {
            v[k.len()].push(*k);
        }
        v
    });
    if let Some(k) = by_len
        .get(l.len())
        .and_then(|group| group.iter().find(|k| k.eq_ignore_ascii_case(l)))
    {
        return Cow::Borrowed(k);
    }
    Cow::Owned(norm_label_owned(l))
}

fn norm_label_owned(l: &str) -> String {
    if l.is_ascii() && !l.contains("  ") && !l.contains(['\t', '\n']) {
        return l.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(l.len());
    for w in l.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in w.chars() {
            out.extend(c.to_lowercase());
        }
    }
    out
}

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

/// Source offset just after the label's colon (and a closing `**`), skipping spaces.
fn value_start(src: &str, line_start: usize) -> usize {
    let rest = src.as_bytes().get(line_start..).unwrap_or(&[]);
    match memchr::memchr2(b':', b'\n', rest) {
        Some(c) if rest[c] == b':' => {
            let mut i = c + 1;
            while i < rest.len() && matches!(rest[i], b'*' | b'_' | b' ') {
                i += 1;
            }
            line_start + i
        }
        _ => line_start,
    }
}

fn make_field(src: &str, b: &Blk, label: &str, value: &str, line_src: usize) -> Field {
    field_with(src, b, norm_label(label), fold(value), line_src)
}

fn field_with(
    src: &str,
    b: &Blk,
    label: Cow<'static, str>,
    value: String,
    line_src: usize,
) -> Field {
    Field {
        label,
        value,
        span: if b.kind == Kind::Item {
            b.span
        } else {
            line_span(src, line_src)
        },
        value_start: value_start(src, line_src),
        nested: None,
    }
}

/// Finds the runs of text that [`fold`] keeps: the stretches between whitespace that is not a
/// lone space. Values are scanned eight bytes at a time (see [`next_fold_point`]), so a value
/// with nothing to fold costs about a memcpy.
struct FoldRuns {
    run: usize,
    done: bool,
}

impl FoldRuns {
    fn new() -> Self {
        FoldRuns {
            run: 0,
            done: false,
        }
    }

    /// The next kept run as a byte range of `b` (the same trimmed slice on every call).
    fn next_run(&mut self, b: &[u8]) -> Option<(usize, usize)> {
        if self.done {
            return None;
        }
        let at = next_fold_point(b, self.run);
        if at >= b.len() {
            self.done = true;
            return Some((self.run, b.len()));
        }
        // a lone space just before a line break belongs to the same whitespace run
        let mut start = at;
        while start > self.run && b[start - 1] == b' ' {
            start -= 1;
        }
        let mut end = at;
        while end < b.len() && b[end].is_ascii_whitespace() {
            end += 1;
        }
        let kept = (self.run, start);
        self.run = end;
        Some(kept)
    }
}

/// Whether folding changes something at `k`: ASCII whitespace other than a lone space.
fn is_fold_point(b: &[u8], k: usize) -> bool {
    match b[k] {
        b'\t' | b'\n' | b'\r' | 0x0c => true,
        b' ' => b.get(k + 1) == Some(&b' '),
        _ => false,
    }
}

/// The first fold point at or after `from` (or `b.len()`). Eight bytes at a time: a word
/// with no control byte and no two adjacent spaces is skipped whole.
fn next_fold_point(b: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // the high bit of every zero byte of `t`, exactly (no borrow between bytes)
    let zero_bytes = |t: u64| !(((t & LOW7) + LOW7) | t) & HIGH;
    let mut i = from;
    while i + 9 <= b.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&b[i..i + 8]);
        let x = u64::from_le_bytes(word);
        let control = zero_bytes(x & (0xe0 * ONES)); // bytes below 0x20
        let space = zero_bytes(x ^ (b' ' as u64 * ONES));
        let space_after = (space >> 8) | (u64::from(b[i + 8] == b' ') << 63);
        if control | (space & space_after) != 0 {
            if let Some(k) = (i..i + 8).find(|&k| is_fold_point(b, k)) {
                return k;
            }
        }
        i += 8;
    }
    (i..b.len())
        .find(|&k| is_fold_point(b, k))
        .unwrap_or(b.len())
}

/// Collapse runs of ASCII whitespace into one space and trim (rendered values keep soft line
/// breaks as `\n`). This runs over every scenario value.
fn fold(s: &str) -> String {
    fold_owned(s.to_owned(), 0)
}

/// [`fold`] of `s[from..]`, reusing `s`'s buffer: a block's text becomes its field's value
/// without a second allocation.
fn fold_owned(s: String, from: usize) -> String {
    let Some(rest) = s.get(from..) else {
        return String::new();
    };
    let t = rest.trim();
    let lo = from + (rest.len() - rest.trim_start().len());
    let hi = lo + t.len();
    if next_fold_point(t.as_bytes(), 0) >= t.len() {
        // nothing to fold: cut the string to the value, no copy and no re-validation
        let mut s = s;
        s.truncate(hi);
        s.drain(..lo);
        if s.capacity() > s.len() + 64 {
            s.shrink_to_fit();
        }
        return s;
    }
    let mut bytes = s.into_bytes();
    let mut runs = FoldRuns::new();
    let mut w = 0;
    while let Some((a, z)) = runs.next_run(&bytes[lo..hi]) {
        if w > 0 {
            bytes[w] = b' ';
            w += 1;
        }
        bytes.copy_within(lo + a..lo + z, w);
        w += z - a;
    }
    bytes.truncate(w);
    if bytes.capacity() > w + 64 {
        // hand the tail back to the allocator for the blocks still to come
        bytes.shrink_to_fit();
    }
    // only ASCII whitespace was removed or rewritten as a space: still valid UTF-8
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn line_span(src: &str, start: usize) -> Span {
    let rest = src.get(start..).unwrap_or("");
    Span::new(start, start + rest.find('\n').unwrap_or(rest.len()))
}

/// The field of a list item: the first line's label, and the rest of the item as its value.
/// The item's text becomes the value (the block keeps an empty string).
fn item_field(src: &str, b: &mut Blk) -> Option<Field> {
    let (line, off) = b.text_lines().next()?;
    let (label, at) = split_label(line)?;
    let label = norm_label(label);
    let from = b.line(0).map_or(0, |l| l.0) + at;
    let value = fold_owned(std::mem::take(&mut b.text), from);
    Some(field_with(src, b, label, value, off))
}

/// Fields from a block's lines: a line with a label starts a field, other lines continue the
/// previous one. `known` limits which labels count (empty = any).
fn fields_of(src: &str, b: &Blk, known: &[&str]) -> Vec<Field> {
    let mut out: Vec<Field> = Vec::new();
    for (line, off) in b.text_lines() {
        let lbl =
            split_label(line).filter(|(l, _)| known.is_empty() || known.contains(&&*norm_label(l)));
        match lbl {
            Some((label, at)) => {
                out.push(make_field(src, b, label, line.get(at..).unwrap_or(""), off));
            }
            None => {
                if let Some(f) = out.last_mut() {
                    if !f.value.is_empty() {
                        f.value.push(' ');
                    }
                    f.value.push_str(&fold(line));
                    if b.kind != Kind::Item {
                        f.span.end = line_span(src, off).end;
                    }
                }
            }
        }
    }
    out
}

fn section_number(text: &str) -> Option<(String, String)> {
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

fn scenario_heading(text: &str, span: Span) -> Option<(IdRef, String)> {
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

/// Room reserved for a scenario's fields and its §7.M block's: the template's counts, so the
/// vectors are allocated once.
const SCENARIO_FIELDS: usize = 16;
const MODEL_FIELDS: usize = 8;

/// A scenario is complete: give its reserved but unused field slots back to the allocator,
/// so later blocks reuse that memory instead of touching fresh pages.
fn settle(sc: &mut Scenario) {
    sc.fields.shrink_to_fit();
    for b in [&mut sc.model, &mut sc.surface].into_iter().flatten() {
        b.fields.shrink_to_fit();
    }
}

/// Parse a plan. Never fails and never panics.
pub fn parse(src: &str) -> Plan {
    let mut plan = Plan::default();

    let mut section: Option<String> = None;
    let mut seen_section = false;
    let mut sub = Sub::Main;
    let mut cur_scenario: Option<usize> = None;
    let mut cur_hyp: Option<usize> = None;
    let mut collecting_files = false;
    // the list item that each field came from, per sub-block (for children and code)
    let mut last_field_item: Option<usize> = None;

    // Each block as the first pass completes it (see `blocks::flatten`), in source order.
    let pass = flatten(src, |bi, b| {
        // Text of every paragraph, item and table cell of the sections rules search for IDs.
        if let Some(sec) = section
            .as_ref()
            .filter(|s| TEXT_SECTIONS.contains(&s.as_str()))
        {
            match b.kind {
                Kind::Paragraph | Kind::Item | Kind::Heading(_) => {
                    plan.section_text.push((sec.clone(), b.text.clone()))
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
                        plan.section_text.push((sec.clone(), s));
                    }
                }
                _ => {}
            }
        }

        if let Kind::Heading(level) = b.kind {
            collecting_files = false;
            if level == 1 {
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
                return;
            }
            if level == 2 {
                cur_scenario = None;
                cur_hyp = None;
                sub = Sub::Main;
                match section_number(&b.text) {
                    Some((num, title)) => {
                        section = Some(num.clone());
                        seen_section = true;
                        plan.sections.push(Section {
                            number: num,
                            title,
                            span: b.span,
                            end: src.len(),
                            has_content: false,
                        });
                    }
                    None => {
                        section = Some(format!("appendix:{}", b.text.trim()));
                        seen_section = true;
                    }
                }
                return;
            }
            match section.as_deref() {
                Some("4") => {
                    if let Some((id, title)) = hypothesis_start(&b.text, b.span.start) {
                        let mut id = id;
                        id.span = b.span;
                        plan.hypotheses.push(Hypothesis {
                            id: Some(id),
                            title,
                            span: b.span,
                            fields: vec![],
                        });
                        cur_hyp = Some(plan.hypotheses.len() - 1);
                    }
                }
                Some("6") if level == 3 => {
                    plan.techniques.push(Technique {
                        name: Text {
                            text: b.text.trim().to_string(),
                            span: b.span,
                        },
                        fields: vec![],
                    });
                }
                Some("7") => {
                    if level == 3 {
                        if let Some((id, name)) = scenario_heading(&b.text, b.span) {
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
                                end: src.len(),
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
                            cur_scenario = Some(plan.scenarios.len() - 1);
                            sub = Sub::Main;
                        } else {
                            cur_scenario = None;
                        }
                    } else if let Some(si) = cur_scenario {
                        let up = b.text.to_uppercase();
                        let sc = &mut plan.scenarios[si];
                        if level == 4 && up.contains("7.M.S") {
                            sc.surface = Some(Block {
                                span: b.span,
                                fields: vec![],
                            });
                            sub = Sub::Surface;
                        } else if level == 4 && up.contains("7.M") {
                            sc.model = Some(Block {
                                span: b.span,
                                fields: Vec::with_capacity(MODEL_FIELDS),
                            });
                            sub = Sub::Model;
                        } else if level == 5
                            && b.text
                                .trim()
                                .get(..3)
                                .is_some_and(|w| w.eq_ignore_ascii_case("arm"))
                        {
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
                                    sub = Sub::Arm(sc.arms.len() - 1);
                                }
                                _ => sub = Sub::Other,
                            }
                        } else if level == 6 && up.contains("7.M") {
                            match sub {
                                Sub::Arm(ai) | Sub::ArmModel(ai) => {
                                    sc.arms[ai].model = Some(Block {
                                        span: b.span,
                                        fields: vec![],
                                    });
                                    sub = Sub::ArmModel(ai);
                                }
                                _ => sub = Sub::Other,
                            }
                        } else {
                            sub = Sub::Other;
                        }
                        last_field_item = None;
                    }
                }
                _ => {}
            }
            return;
        }

        // Before the first section: header.
        if !seen_section {
            if matches!(b.kind, Kind::Paragraph | Kind::Item) {
                plan.header.extend(fields_of(src, b, HEADER_LABELS));
            }
            return;
        }

        // Literal sentences, anywhere.
        if matches!(b.kind, Kind::Paragraph | Kind::Item) {
            if let Some((kind, malformed)) = literal_kind(&b.text) {
                plan.literals.push(LiteralUse {
                    kind,
                    span: b.span,
                    section: section.clone(),
                    scenario: cur_scenario,
                    in_arm: matches!(sub, Sub::Arm(_) | Sub::ArmModel(_)),
                    malformed,
                });
                if !malformed {
                    if let Some(si) = cur_scenario {
                        let sc = &mut plan.scenarios[si];
                        // the line may stand under its own heading: then it replaces the block
                        match kind {
                            "model-na" => {
                                sc.model_na = Some(b.span);
                                if sub == Sub::Model
                                    && sc.model.as_ref().is_some_and(|m| m.fields.is_empty())
                                {
                                    sc.model = None;
                                    sub = Sub::Other;
                                }
                            }
                            "surface-na" => {
                                sc.surface_na = Some(b.span);
                                if sub == Sub::Surface
                                    && sc.surface.as_ref().is_some_and(|m| m.fields.is_empty())
                                {
                                    sc.surface = None;
                                    sub = Sub::Other;
                                }
                            }
                            _ => {}
                        }
                    }
                }
                return;
            }
        }

        let sec = section.as_deref().unwrap_or("");
        match (sec, b.kind) {
            ("1", Kind::Paragraph | Kind::Item) => {
                if collecting_files && b.kind == Kind::Item {
                    if let Some(f) = plan.files_touched.as_mut() {
                        f.nested_mut().children.push(Text {
                            text: b.text.clone(),
                            span: b.span,
                        });
                    }
                    return;
                }
                collecting_files = false;
                let lower = b.text.trim_start().trim_start_matches('*').to_lowercase();
                if lower.starts_with("files touched") {
                    let mut fs = fields_of(src, b, &["files touched"]);
                    if let Some(mut f) = fs.pop() {
                        // items nested in the same item count as the list
                        f.span = b.span;
                        plan.files_touched = Some(f);
                        collecting_files = true;
                    }
                }
            }
            ("1", _) => collecting_files = false,
            ("1b", Kind::Table) => {
                let t = b.table.clone().unwrap_or_default();
                let (idc, cc, tc) = (t.column("id"), t.column("category"), t.column("claim"));
                for r in &t.rows {
                    if let Some(id_cell) = t.cell(r, idc) {
                        if let Some(id) = parse_id(&id_cell.text, "C", id_cell.span) {
                            let category = t.cell(r, cc).cloned();
                            let canonical = category.as_ref().and_then(|c| {
                                crate::vocab::lookup(
                                    crate::vocab::CLAIM_CATEGORIES,
                                    c.text.trim_matches('`'),
                                )
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
            ("4", Kind::Paragraph | Kind::Item) => {
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
                        cur_hyp = Some(plan.hypotheses.len() - 1);
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
                            if let Some(h) = cur_hyp {
                                let mut f =
                                    make_field(src, b, label, line.get(at..).unwrap_or(""), off);
                                f.span = line_span(src, off);
                                plan.hypotheses[h].fields.push(f);
                            }
                            continue;
                        }
                    }
                    // continuation of the previous field
                    if let Some(h) = cur_hyp {
                        if let Some(f) = plan.hypotheses[h].fields.last_mut() {
                            if b.kind == Kind::Item && Some(off) != b.line(0).map(|l| l.1) {
                                f.value.push(' ');
                                f.value.push_str(&fold(line));
                            }
                        }
                    }
                }
            }
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
            ("6b", Kind::Table) => {
                plan.environment_table
                    .get_or_insert(b.table.clone().unwrap_or_default());
            }
            ("7", _) => {
                let Some(si) = cur_scenario else { return };
                let sc = &mut plan.scenarios[si];
                let fields: &mut Vec<Field> = match sub {
                    Sub::Main => &mut sc.fields,
                    Sub::Model => &mut sc.model.as_mut().expect("model block").fields,
                    Sub::Surface => &mut sc.surface.as_mut().expect("surface block").fields,
                    Sub::Arm(ai) => &mut sc.arms[ai].fields,
                    Sub::ArmModel(ai) => &mut sc.arms[ai].model.as_mut().expect("arm model").fields,
                    Sub::Other => return,
                };
                match b.kind {
                    Kind::Item => {
                        let nested = b.parent.is_some() && last_field_item.is_some();
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
                            last_field_item = Some(bi);
                        }
                    }
                    Kind::Paragraph => {
                        let fs = fields_of(src, b, KNOWN_SCENARIO_LABELS);
                        if !fs.is_empty() {
                            fields.extend(fs);
                            last_field_item = None;
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
    });

    if let Some(last) = plan.scenarios.last_mut() {
        settle(last);
    }
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

    find_placeholders(src, &pass, &mut plan);
    find_directives(src, &pass, &mut plan);
    plan
}

/// Every label the format defines, lowercase (scenario, §7.M, §7.M.S, header, hypothesis,
/// technique).
const KNOWN_LABELS: &[&str] = &[
    "falsifies if it fails",
    "closes",
    "technique",
    "workload",
    "faults",
    "oracle",
    "observability required",
    "smoke budget",
    "hardening budget",
    "release budget",
    "exit criteria",
    "target test file",
    "skeleton language",
    "skeleton",
    "model under test",
    "operation history",
    "checker",
    "nemesis + landing evidence",
    "ambiguous outcomes",
    "reduction plan",
    "surfaces",
    "operations",
    "adversarial inputs",
    "positive controls",
    "negative controls",
    "delayed / async paths",
    "observability paths",
    "scenario arms",
    "date",
    "plan mode",
    "sut",
    "change under test",
    "plan author",
    "status",
    "could falsify",
    "suspected because",
    "subsystem",
    "category",
    "hypotheses it addresses",
    "reference",
    "cost / wall-clock estimate",
    "files touched",
];

/// Sections whose text is kept in [`Plan::section_text`] (the ones rules search for IDs).
pub const TEXT_SECTIONS: &[&str] = &["7c", "8", "9"];

/// The labels a scenario's paragraphs may carry: the first 28 of [`KNOWN_LABELS`] (scenario,
/// §7.M and §7.M.S labels; the list keeps them first for this reason).
const KNOWN_SCENARIO_LABELS: &[&str] = KNOWN_LABELS.split_at(28).0;

fn in_code(spans: &[Span], off: usize) -> bool {
    let i = spans.partition_point(|s| s.start <= off);
    i > 0 && off < spans[i - 1].end
}

/// HTML elements (and SVG/MathML roots) that are not template leftovers.
const HTML_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "address",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "bdi",
    "bdo",
    "big",
    "blockquote",
    "body",
    "br",
    "button",
    "canvas",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "legend",
    "li",
    "link",
    "main",
    "map",
    "mark",
    "math",
    "meta",
    "meter",
    "nav",
    "noscript",
    "object",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "param",
    "picture",
    "pre",
    "progress",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "script",
    "section",
    "select",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "summary",
    "sup",
    "svg",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "title",
    "tr",
    "track",
    "tt",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
];

fn find_placeholders(src: &str, pass: &super::blocks::Pass, plan: &mut Plan) {
    let mut code = pass.code_spans.clone();
    code.sort();
    let mut i = 0;
    let finder = memchr::memmem::Finder::new("{{");
    while let Some(p) = src.as_bytes().get(i..).and_then(|s| finder.find(s)) {
        let at = i + p;
        let rest = &src[at + 2..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let close = rest[..line_end].find("}}").map(|c| c + 2);
        let end = at + 2 + close.unwrap_or(line_end.min(60));
        let end = (at + 2..=end.min(src.len()))
            .rev()
            .find(|&e| src.is_char_boundary(e))
            .unwrap_or(at + 2);
        let inner = rest.trim_start();
        let kind = if inner
            .get(..4)
            .is_some_and(|w| w.eq_ignore_ascii_case("todo"))
        {
            Some(PlaceholderKind::Todo)
        } else if !in_code(&code, at)
            && inner
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
        {
            Some(PlaceholderKind::Template)
        } else {
            None
        };
        if let Some(kind) = kind {
            plan.placeholders.push(Placeholder {
                kind,
                text: src[at..end].to_string(),
                span: Span::new(at, end),
            });
            i = end.max(at + 2);
        } else {
            i = at + 2;
        }
    }
    for (raw, span) in &pass.html {
        if in_code(&code, span.start) {
            continue;
        }
        let mut j = 0;
        while let Some(p) = raw.get(j..).and_then(|s| s.find('<')) {
            let at = j + p;
            let t = &raw[at + 1..];
            if t.starts_with("!--") {
                j = at + 1 + t.find("-->").map_or(t.len(), |e| e + 3);
                continue;
            }
            let t2 = t.strip_prefix('/').unwrap_or(t);
            let name: String = t2
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            let close = t.find('>').map_or(t.len().min(40), |e| e + 1);
            if !name.is_empty()
                && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && !HTML_ELEMENTS.contains(&name.to_ascii_lowercase().as_str())
            {
                let start = span.start + at;
                let end = (start + 1 + close).min(span.end.max(start + 1));
                let text = src.get(start..end).unwrap_or(&raw[at..]).to_string();
                plan.placeholders.push(Placeholder {
                    kind: PlaceholderKind::Angle,
                    text,
                    span: Span::new(start, end),
                });
            }
            j = at + 1;
        }
    }
    plan.placeholders.sort_by_key(|p| p.span.start);
    plan.placeholders.dedup_by_key(|p| p.span.start);
}

fn find_directives(src: &str, pass: &super::blocks::Pass, plan: &mut Plan) {
    for (raw, span) in &pass.html {
        let mut rest = raw.as_str();
        while let Some(p) = rest.find("dstplan-disable") {
            let after = &rest[p + "dstplan-disable".len()..];
            let end = after.find("-->").unwrap_or(after.len());
            let body = after[..end].trim();
            let (codes_part, reason) = match body.find(':') {
                Some(c) => (&body[..c], body[c + 1..].trim()),
                None => (body, ""),
            };
            let codes: Vec<String> = codes_part
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(|s| s.to_ascii_uppercase())
                .collect();
            let target = directive_target(src, pass, span.end);
            plan.directives.push(Directive {
                codes,
                reason: reason.to_string(),
                span: *span,
                target,
            });
            rest = &after[end..];
        }
    }
}

/// The element after a directive: a heading extends to the next heading of the same or a
/// higher level; any other block is itself.
fn directive_target(src: &str, pass: &super::blocks::Pass, after: usize) -> Span {
    // the outline is in source order
    let blocks = &pass.outline;
    let from = blocks.partition_point(|b| b.1.start < after);
    let Some(i) = blocks[from..]
        .iter()
        .position(|b| b.0 != Kind::Html)
        .map(|k| from + k)
    else {
        return Span::new(after, after);
    };
    let (kind, span) = blocks[i];
    if let Kind::Heading(level) = kind {
        let end = blocks[i + 1..]
            .iter()
            .find(|n| matches!(n.0, Kind::Heading(l) if l <= level))
            .map_or(src.len(), |n| n.1.start);
        Span::new(span.start, end)
    } else {
        span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn literal_normalisation() {
        assert_eq!(
            literal_kind("*§7.M: not applicable (no gated claim category falsified).*"),
            Some(("model-na", false))
        );
        assert_eq!(
            literal_kind("All aspects rated high"),
            Some(("all-high", false))
        );
        assert_eq!(
            literal_kind("§7.M: not applicable because reasons"),
            Some(("model-na", true))
        );
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

#[cfg(test)]
mod label_tests {
    #[test]
    fn scenario_labels_are_the_first_block_of_known_labels() {
        let s = super::KNOWN_SCENARIO_LABELS;
        assert_eq!(s.first(), Some(&"falsifies if it fails"));
        assert_eq!(s.last(), Some(&"scenario arms"));
        assert!(!s.contains(&"date"));
    }
}

#[cfg(test)]
mod fold_tests {
    use super::fold;

    #[test]
    fn fold_collapses_every_whitespace_run() {
        assert_eq!(fold("  a  b\n c\t\td \r\n e  "), "a b c d e");
        assert_eq!(fold("one two"), "one two");
        assert_eq!(fold("x \u{1} y"), "x \u{1} y");
        assert_eq!(fold("\u{a0}é  ü\u{a0}"), "é ü");
        assert_eq!(fold(" \n "), "");
        assert_eq!(fold("a\u{1}"), "a\u{1}");
        assert_eq!(fold("a\x0cb  c"), "a b c");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn fold_matches_split_and_join_on_random_strings() {
        let alphabet = [
            ' ', '\n', '\t', '\r', '\x0c', 'a', 'é', '\u{a0}', '\u{1}', 'b',
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut s = String::new();
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            for _ in 0..(seed >> 58) + 1 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                s.push(alphabet[(seed >> 33) as usize % alphabet.len()]);
            }
            let want = s
                .trim()
                .split(|c: char| c.is_ascii_whitespace())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(fold(&s), want, "{s:?}");
            assert_eq!(super::fold_owned(s.clone(), 0), want, "{s:?}");
        }
    }

    #[test]
    fn fold_owned_agrees_with_fold_on_every_suffix() {
        let samples = [
            "**Label:** value  with\n soft   breaks\t and\r\n more ",
            "- x: é  ü\nü \u{a0}",
            "  \n ",
            "plain",
            "a \x0c b\n\nc",
        ];
        for s in samples {
            for from in (0..=s.len()).filter(|&i| s.is_char_boundary(i)) {
                assert_eq!(
                    super::fold_owned(s.to_string(), from),
                    fold(&s[from..]),
                    "{s:?} from {from}"
                );
            }
        }
    }
}
