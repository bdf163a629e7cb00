//! The literal sentences (not-applicable and explicit-empty lines): the list, the
//! normalisation they are compared under, and recognition of a block as one of them.

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

pub(super) fn literal_kind(text: &str) -> Option<(&'static str, bool)> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
