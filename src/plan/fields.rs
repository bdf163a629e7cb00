//! Labelled fields: `Label: value` splitting, label normalisation, whitespace folding of
//! values, and the fields of a paragraph or list item.

use std::borrow::Cow;

use super::blocks::{Blk, Kind};
use super::model::Field;
use super::Span;

/// Split `Label: value` (label 1–48 characters, no digits-only label). Returns the label and
/// the value's offset in `line`.
pub(super) fn split_label(line: &str) -> Option<(&str, usize)> {
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

pub(super) fn norm_label(l: &str) -> Cow<'static, str> {
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

pub(super) fn make_field(src: &str, b: &Blk, label: &str, value: &str, line_src: usize) -> Field {
    field_with(src, b, norm_label(label), fold(value), line_src)
}

pub(super) fn field_with(
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
pub(super) fn fold(s: &str) -> String {
    fold_owned(s.to_owned(), 0)
}

/// [`fold`] of `s[from..]`, reusing `s`'s buffer: a block's text becomes its field's value
/// without a second allocation.
pub(super) fn fold_owned(s: String, from: usize) -> String {
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

pub(super) fn line_span(src: &str, start: usize) -> Span {
    let rest = src.get(start..).unwrap_or("");
    Span::new(start, start + rest.find('\n').unwrap_or(rest.len()))
}

/// The field of a list item: the first line's label, and the rest of the item as its value.
/// The item's text becomes the value (the block keeps an empty string).
pub(super) fn item_field(src: &str, b: &mut Blk) -> Option<Field> {
    let (line, off) = b.text_lines().next()?;
    let (label, at) = split_label(line)?;
    let label = norm_label(label);
    let from = b.line(0).map_or(0, |l| l.0) + at;
    let value = fold_owned(std::mem::take(&mut b.text), from);
    Some(field_with(src, b, label, value, off))
}

/// Fields from a block's lines: a line with a label starts a field, other lines continue the
/// previous one. `known` limits which labels count (empty = any).
pub(super) fn fields_of(src: &str, b: &Blk, known: &[&str]) -> Vec<Field> {
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

/// The labels a scenario's paragraphs may carry: the first 28 of [`KNOWN_LABELS`] (scenario,
/// §7.M and §7.M.S labels; the list keeps them first for this reason).
pub(super) const KNOWN_SCENARIO_LABELS: &[&str] = KNOWN_LABELS.split_at(28).0;

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
