//! Every enumeration of `shared/spec/vocabulary.md`, once.
//!
//! Commands, lint rules, the report and the skills' reference pages all read their lists from
//! here; `dstplan vocab` prints them, and a test compares the skills' pages with that output.
//! Matching is case-insensitive on input and canonical on output. Free-text fields (a model, a
//! checker, a nemesis, a category written in prose) are recognised by [`recognise`]: lowercase,
//! fold runs of spaces, `/`, `_` and `-` into one `-`, then take the longest known ID or alias
//! the field starts with.

mod lists;
mod standing;
mod verdict;

pub use lists::*;
pub use standing::*;
pub use verdict::*;

/// One recognisable term: its canonical spelling and the aliases that map to it.
#[derive(Debug, Clone, Copy)]
pub struct Term {
    /// The canonical spelling, printed everywhere.
    pub id: &'static str,
    /// Other spellings accepted on input (already in normalised form).
    pub aliases: &'static [&'static str],
}

/// Normalise a free-text field for ID recognition: lowercase, and every run of spaces, `/`,
/// `_` and `-` becomes one `-`. Leading separators are dropped.
pub fn normalise(field: &str) -> String {
    let t = field.trim();
    let mut out: Vec<u8> = Vec::with_capacity(t.len());
    let mut pending_sep = false;
    // ASCII stretches are copied whole and lowercased in place; other characters go through
    // `char::to_lowercase`
    let mut rest = t;
    while let Some(i) = rest.bytes().position(|c| !c.is_ascii()) {
        normalise_ascii_into(&rest.as_bytes()[..i], &mut out, &mut pending_sep);
        let ch = rest[i..].chars().next().unwrap_or(' ');
        if pending_sep {
            out.push(b'-');
            pending_sep = false;
        }
        let mut buf = [0u8; 4];
        for l in ch.to_lowercase() {
            out.extend_from_slice(l.encode_utf8(&mut buf).as_bytes());
        }
        rest = &rest[i + ch.len_utf8()..];
    }
    normalise_ascii_into(rest.as_bytes(), &mut out, &mut pending_sep);
    // whole characters were copied or replaced by ASCII: still UTF-8
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn is_separator(c: u8) -> bool {
    matches!(c, b' ' | b'/' | b'_' | b'-' | b'\t')
}

fn normalise_ascii_into(b: &[u8], out: &mut Vec<u8>, pending_sep: &mut bool) {
    for &c in b {
        if is_separator(c) {
            *pending_sep = !out.is_empty();
        } else {
            if *pending_sep {
                out.push(b'-');
                *pending_sep = false;
            }
            out.push(c.to_ascii_lowercase());
        }
    }
}

/// The result of recognising a term at the start of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recognised {
    /// The canonical ID.
    pub id: &'static str,
    /// How many bytes of the *normalised* field the match used.
    pub len: usize,
}

/// Take the longest known ID or alias that the normalised field starts with. A match must end
/// at the end of the field or before a character that is not a letter or digit, so `logs`
/// does not match `log`.
pub fn recognise(terms: &[Term], normalised: &str) -> Option<Recognised> {
    let first = *normalised.as_bytes().first()?;
    let mut best: Option<Recognised> = None;
    let mut consider = |id: &'static str, cand: &str| {
        // most candidates differ in the first byte: skip them before the full comparison
        if cand.as_bytes().first().map(|&c| normalised_byte(c)) != Some(first) {
            return;
        }
        if let Some(len) = match_normalised(normalised, cand) {
            if best.is_none_or(|b| len > b.len) {
                best = Some(Recognised { id, len });
            }
        }
    };
    for t in terms {
        consider(t.id, t.id);
        for a in t.aliases {
            consider(t.id, a);
        }
    }
    best
}

/// If the normalised field starts with the candidate (compared as if the candidate were
/// normalised too: ASCII lowercase, ` `, `/` and `_` read as `-`) at a word boundary, the
/// length of the match. Allocation-free: this runs for every field of every scenario.
fn normalised_byte(b: u8) -> u8 {
    match b {
        b' ' | b'/' | b'_' => b'-',
        _ => b.to_ascii_lowercase(),
    }
}

fn match_normalised(field: &str, cand: &str) -> Option<usize> {
    let f = field.as_bytes();
    let c = cand.as_bytes();
    if f.len() < c.len() {
        return None;
    }
    for (i, &b) in c.iter().enumerate() {
        if f[i] != normalised_byte(b) {
            return None;
        }
    }
    let rest = &field[c.len()..];
    rest.chars()
        .next()
        .is_none_or(|ch| !ch.is_alphanumeric())
        .then_some(c.len())
}

/// Find a term by exact (case-insensitive, normalised) name or alias.
pub fn lookup(terms: &[Term], name: &str) -> Option<&'static str> {
    let n = normalise(name);
    recognise(terms, &n)
        .filter(|r| r.len == n.len())
        .map(|r| r.id)
}

/// Canonical IDs of a term list.
pub fn ids(terms: &[Term]) -> Vec<&'static str> {
    terms.iter().map(|t| t.id).collect()
}

/// The vocabulary as Markdown: one `## title` and a bullet list of backticked items per list,
/// then the checker picker and the strength order.
pub fn render_markdown() -> String {
    let mut s = String::from("# dstplan vocabulary\n\n");
    for list in all_lists() {
        s.push_str(&format!("## {} (`{}`)\n\n", list.title, list.name));
        for item in &list.items {
            s.push_str(&format!("- `{item}`\n"));
        }
        s.push('\n');
    }
    s.push_str(
        "## Checker picker (`picker`)\n\n| model | category | fitting checkers |\n|---|---|---|\n",
    );
    for row in PICKER {
        let models = if row.models.is_empty() {
            "any group".to_string()
        } else {
            row.models.join(", ")
        };
        s.push_str(&format!(
            "| {} | {} | {} |\n",
            models,
            row.categories.join(" / "),
            row.checkers.join(", ")
        ));
    }
    s.push_str(&format!(
        "\n## Strength order\n\n{}\n",
        Verdict::strength_order()
    ));
    s
}

/// The vocabulary as one JSON object: `{"version": 1, "lists": {name: [items]}, "aliases":
/// {list: {alias: id}}, "picker": [{models, categories, checkers}], "strength_order": …}`.
pub fn render_json() -> String {
    let mut lists = serde_json::Map::new();
    for list in all_lists() {
        lists.insert(list.name.into(), serde_json::json!(list.items));
    }
    let aliases = |terms: &[Term]| {
        let mut m = serde_json::Map::new();
        for t in terms {
            for a in t.aliases {
                m.insert((*a).into(), serde_json::json!(t.id));
            }
        }
        serde_json::Value::Object(m)
    };
    let picker: Vec<_> = PICKER
        .iter()
        .map(|r| serde_json::json!({"models": r.models, "categories": r.categories, "checkers": r.checkers, "note": r.note}))
        .collect();
    let v = serde_json::json!({
        "version": 1,
        "lists": lists,
        "aliases": {"checkers": aliases(CHECKERS), "nemeses": aliases(NEMESES)},
        "picker": picker,
        "strength_order": Verdict::strength_order(),
    });
    let mut out = serde_json::to_string_pretty(&v).expect("json");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first implementation: one char at a time.
    fn normalise_reference(field: &str) -> String {
        let mut out = String::new();
        let mut pending_sep = false;
        for ch in field.trim().chars() {
            if ch == ' ' || ch == '/' || ch == '_' || ch == '-' || ch == '\t' {
                pending_sep = !out.is_empty();
                continue;
            }
            if pending_sep {
                out.push('-');
                pending_sep = false;
            }
            out.extend(ch.to_lowercase());
        }
        out
    }

    #[test]
    fn normalise_matches_the_char_by_char_reference() {
        let pieces = [
            " ", "-", "/", "_", "\t", "A", "b", "—", "É", "İ", "\u{a0}", "x",
        ];
        let mut seed: u64 = 11;
        for _ in 0..20_000 {
            let mut v = String::new();
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            for _ in 0..(seed >> 59) + 1 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                v.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            assert_eq!(normalise(&v), normalise_reference(&v), "{v:?}");
        }
    }

    #[test]
    fn normalise_folds_separators_and_case() {
        assert_eq!(
            normalise("  Fsync Loss / Power_Loss "),
            "fsync-loss-power-loss"
        );
        assert_eq!(normalise("--x"), "x");
    }

    #[test]
    fn recognise_takes_the_longest_match_at_a_boundary() {
        let n = normalise("session-consistency-monotonic-read plus more");
        let r = recognise(CHECKERS, &n).unwrap();
        assert_eq!(r.id, "session-consistency");
        assert_eq!(r.len, "session-consistency-monotonic-read".len());
        assert!(recognise(MODELS, "logs-are-fine").is_none());
        assert_eq!(recognise(MODELS, "log-—-one").unwrap().id, "log");
        assert_eq!(lookup(NEMESES, "Kill -9"), Some("process-kill"));
        assert_eq!(lookup(NEMESES, "time skew"), Some("clock-skew"));
        assert_eq!(lookup(CHECKERS, "prefix"), Some("prefix-order"));
    }

    #[test]
    fn every_list_has_unique_ids() {
        for list in all_lists() {
            let mut seen = std::collections::HashSet::new();
            for item in &list.items {
                assert!(
                    seen.insert(item.to_ascii_lowercase()),
                    "{} repeats {item}",
                    list.name
                );
            }
        }
    }
}
