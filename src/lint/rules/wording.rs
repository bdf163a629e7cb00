//! DST07x: leftover placeholders, claim categories, and wording that overstates.

use super::{Cx, Sink};
use crate::declare_rule;
use crate::lint::Rule;
use crate::plan::PlaceholderKind;
use crate::vocab;

pub(super) const RULES: &[&Rule] = &[
    &LEFTOVER_PLACEHOLDER,
    &LEGACY_CATEGORY,
    &UNKNOWN_CATEGORY,
    &ABSOLUTE_WORDING,
    &CATEGORY_UNDERSTATES_WORDING,
    &DISABLE_WITHOUT_REASON,
    &UNKNOWN_RULE_IN_DIRECTIVE,
];

declare_rule! {
    /// ## What it does
    /// Flags placeholders left in the plan: any `{{TODO: …}}` (code blocks included), any other
    /// `{{word…}}` outside code, and angle-bracket words that are not HTML (`<SUT>`, `<N>`).
    ///
    /// ## Why is this bad?
    /// A placeholder is a decision nobody made. Angle-bracket words are worse: Markdown treats
    /// them as HTML tags, so they vanish from the rendered plan and the gap is invisible.
    ///
    /// ## Example
    /// ```markdown
    /// **SUT:** <SUT>
    /// - **Workload:** {{TODO: generator, rate, duration}}
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// **SUT:** etcd 3.5, three nodes
    /// - **Workload:** 8 clients, 500 ops/s, uniform over 100 keys, 10 min
    /// ```
    pub static LEFTOVER_PLACEHOLDER = ("DST070", "leftover-placeholder", Error, "a placeholder was left unfilled");
}

declare_rule! {
    /// ## What it does
    /// Flags the legacy claim categories `tenancy`, `authz`, `namespace` and `routing`.
    ///
    /// ## Why is this bad?
    /// They are one concept, access boundaries, now `boundary`, which carries the §7.M.S
    /// surface discipline. The old labels escape it.
    ///
    /// ## Example
    /// ```markdown
    /// | C5 | Tenants cannot read each other's keys. | tenancy | docs/acl.md | no |
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// | C5 | Tenants cannot read each other's keys. | boundary | docs/acl.md | no |
    /// ```
    pub static LEGACY_CATEGORY = ("DST071", "legacy-category", Error, "a claim uses a legacy category label");
}

declare_rule! {
    /// ## What it does
    /// Checks that each claim's category is one of the eleven claim categories.
    ///
    /// ## Why is this bad?
    /// The category decides how much rigour a scenario owes (§7.M, §7.M.S); an unknown one owes
    /// nothing, silently.
    ///
    /// ## Example
    /// ```markdown
    /// | C1 | Writes survive failover. | reliability | docs | no |
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// | C1 | Writes survive failover. | durability | docs | no |
    /// ```
    pub static UNKNOWN_CATEGORY = ("DST072", "unknown-category", Error, "a claim category is not in the vocabulary");
}

declare_rule! {
    /// ## What it does
    /// Warns about absolute wording in §7d: "cannot happen", "never happens", "guarantees",
    /// "proves that", "impossible".
    ///
    /// ## Why is this bad?
    /// No finite test run supports an absolute negative. "We have not observed X under the
    /// tested threats" is what a PASS actually shows.
    ///
    /// ## Example
    /// ```markdown
    /// After this plan passes, split brain cannot happen.
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// If the plan passes, we have not observed split brain under the partitions of §7.
    /// ```
    pub static ABSOLUTE_WORDING = ("DST073", "absolute-wording", Warning, "the confidence statement uses absolute wording");
}

declare_rule! {
    /// ## What it does
    /// Warns when a claim's wording promises a gated property ("exactly once", "never lost",
    /// "durable", "linearizable", "in order", "isolated", "only members") under a category that
    /// is not gated.
    ///
    /// ## Why is this bad?
    /// Categories decide how much rigour a scenario owes, so they must not be chosen to avoid
    /// it. A durability promise filed under `operational` escapes §7.M.
    ///
    /// ## Example
    /// ```markdown
    /// | C2 | Acknowledged messages are never lost. | operational | docs | no |
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// | C2 | Acknowledged messages are never lost. | durability | docs | no |
    /// ```
    pub static CATEGORY_UNDERSTATES_WORDING = ("DST074", "category-understates-wording", Warning, "a claim's wording promises a gated property under a non-gated category");
}

declare_rule! {
    /// ## What it does
    /// Checks that every `<!-- dstplan-disable DSTnnn: reason -->` gives a reason.
    ///
    /// ## Why is this bad?
    /// Silencing a rule is an argument the plan makes to its reviewer; without the reason it is
    /// just a hidden warning. A directive without a reason silences nothing.
    ///
    /// ## Example
    /// ```markdown
    /// <!-- dstplan-disable DST044 -->
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// <!-- dstplan-disable DST044: the session store is modelled as one register per session id -->
    /// ```
    pub static DISABLE_WITHOUT_REASON = ("DST075", "disable-without-reason", Error, "a dstplan-disable directive has no reason");
}

declare_rule! {
    /// ## What it does
    /// Warns when a `dstplan-disable` directive names a code that is not a rule.
    ///
    /// ## Why is this bad?
    /// A mistyped code silences nothing, and the author believes it does.
    ///
    /// ## Example
    /// ```markdown
    /// <!-- dstplan-disable DST404: … -->
    /// ```
    ///
    /// Use instead: name a code from `dstplan rules`.
    pub static UNKNOWN_RULE_IN_DIRECTIVE = ("DST076", "unknown-rule-in-directive", Warning, "a dstplan-disable directive names no known rule");
}

/// Wording that promises a gated property, with the category it suggests.
const GATED_WORDING: &[(&str, &str)] = &[
    ("at most once", "idempotency"),
    ("at-most-once", "idempotency"),
    ("exactly once", "idempotency"),
    ("exactly-once", "idempotency"),
    ("never lost", "durability"),
    ("never be lost", "durability"),
    ("durable", "durability"),
    ("linearizable", "safety"),
    ("linearisable", "safety"),
    ("in order", "ordering"),
    ("isolated", "isolation"),
    ("only members", "membership"),
];

const ABSOLUTE: &[&str] = &[
    "cannot happen",
    "can never happen",
    "never happens",
    "will never",
    "is impossible",
    "guarantees",
    "is guaranteed",
    "are guaranteed",
    "proves that",
    "proven to",
    "100% safe",
    "cannot occur",
    "never occurs",
];

pub(super) fn check(cx: &Cx, out: &mut Sink) {
    let plan = cx.plan;
    for p in &plan.placeholders {
        let what = match p.kind {
            PlaceholderKind::Todo => format!("`{}` is an unfilled placeholder", p.text.trim()),
            PlaceholderKind::Template => format!("`{}` is a template leftover", p.text.trim()),
            PlaceholderKind::Angle => format!(
                "`{}` is a template leftover that Markdown hides as an HTML tag",
                p.text.trim()
            ),
        };
        out.push(
            &LEFTOVER_PLACEHOLDER,
            p.span,
            what,
            "replace the placeholder with the decision it asks for",
        );
    }
    for c in &plan.claims {
        let Some(cat) = &c.category else { continue };
        let v = cat.text.trim().trim_matches('`');
        if v.is_empty() || super::is_placeholder(v) {
            continue;
        }
        let key = c.id.key();
        if vocab::LEGACY_BOUNDARY_CATEGORIES
            .iter()
            .any(|l| l.eq_ignore_ascii_case(v))
        {
            out.push(
                &LEGACY_CATEGORY,
                cat.span,
                format!("claim {key} uses the legacy category `{v}`"),
                "use `boundary` (tenancy, authz, namespaces and routing are access boundaries)",
            );
            continue;
        }
        let Some(canon) = vocab::lookup(vocab::CLAIM_CATEGORIES, v) else {
            out.push(
                &UNKNOWN_CATEGORY,
                cat.span,
                format!("claim {key} has category `{v}`, which is not a claim category"),
                format!(
                    "use one of: {}",
                    vocab::ids(vocab::CLAIM_CATEGORIES).join(", ")
                ),
            );
            continue;
        };
        if !vocab::is_model_gated(canon) && !vocab::is_surface_gated(canon) {
            let text = c.text.to_lowercase();
            for (phrase, suggests) in GATED_WORDING {
                if find_phrase(&text, phrase)
                    .is_some_and(|at| !super::model::negated_before(&text, at))
                    && !(*phrase == "in order" && text.contains("in order to"))
                {
                    out.push(&CATEGORY_UNDERSTATES_WORDING, cat.span, format!("claim {key} promises \"{phrase}\" but is filed under `{canon}`, which owes no §7.M"), format!("if the claim is about that property, use `{suggests}`"));
                    break;
                }
            }
        }
    }
    for t in &plan.confidence_text {
        let l = t.text.to_lowercase();
        for a in ABSOLUTE {
            if absolute_use(&l, a) {
                out.push(
                    &ABSOLUTE_WORDING,
                    t.span,
                    format!("§7d says \"{a}\", which no finite test supports"),
                    "say what a pass shows: \"we have not observed X under the tested threats\"",
                );
                break;
            }
        }
    }
    for d in &plan.directives {
        if d.reason.trim().is_empty() {
            out.push(&DISABLE_WITHOUT_REASON, d.span, format!("`dstplan-disable {}` gives no reason, so it silences nothing", d.codes.join(", ")), "add the plan's argument after a colon: `<!-- dstplan-disable DSTnnn: why this is right here -->`");
        }
        for c in &d.codes {
            if crate::lint::find_rule(c).is_none() {
                out.push(
                    &UNKNOWN_RULE_IN_DIRECTIVE,
                    d.span,
                    format!("`dstplan-disable` names `{c}`, which is not a rule"),
                    "use a code from `dstplan rules`",
                );
            }
        }
    }
}

/// Where `phrase` first occurs in `text` as whole words.
fn find_phrase(text: &str, phrase: &str) -> Option<usize> {
    phrase_positions(text, phrase).next()
}

/// Every position of `phrase` in `text` as whole words.
fn phrase_positions<'a>(text: &'a str, phrase: &'a str) -> impl Iterator<Item = usize> + 'a {
    text.match_indices(phrase)
        .map(|(at, _)| at)
        .filter(move |&at| {
            let before = text[..at].chars().next_back();
            let after = text[at + phrase.len()..].chars().next();
            before.is_none_or(|c| !c.is_alphanumeric())
                && after.is_none_or(|c| !c.is_alphanumeric())
        })
}

/// Whether `text` uses the absolute phrase as a claim of its own: not negated ("we do not
/// claim that X cannot happen") and, for "guarantees", as the verb rather than the noun ("the
/// guarantees in the contract cover …").
fn absolute_use(text: &str, phrase: &str) -> bool {
    phrase_positions(text, phrase).any(|at| {
        // part of a path or file name (`docs/guarantees.md`), not a word of the sentence
        let after = &text[at + phrase.len()..];
        if text[..at].ends_with(['/', '_', '-', '`'])
            || after.starts_with(['/', '_'])
            || (after.starts_with('.') && after[1..].starts_with(|c: char| c.is_alphanumeric()))
        {
            return false;
        }
        // the sentence's opening, read back at most 200 bytes (linear in long paragraphs)
        let mut window = at.saturating_sub(200);
        while !text.is_char_boundary(window) {
            window += 1;
        }
        let sentence = text[window..at]
            .rfind(['.', '!', '?'])
            .map_or(window, |i| window + i + 1);
        if super::model::negated_before(text, at) || cautious(&text[sentence..at]) {
            return false;
        }
        if phrase == "guarantees" {
            let prev = text[..at].split_whitespace().next_back().unwrap_or("");
            const DETERMINERS: &[&str] = &[
                "the",
                "its",
                "our",
                "their",
                "these",
                "those",
                "such",
                "any",
                "no",
                "of",
                "what",
                "which",
                "whose",
                "his",
                "her",
                "your",
                "all",
                "some",
                "stated",
                "documented",
                "contract's",
            ];
            // a determiner or a possessive before it, or nothing after it: the noun
            let next = text[at + phrase.len()..].trim_start().chars().next();
            if DETERMINERS.contains(&prev)
                || prev.ends_with("'s")
                || prev.ends_with("’s")
                || next.is_none_or(|c| matches!(c, '.' | ',' | ';' | ':' | ')' | '!' | '?'))
            {
                return false;
            }
        }
        true
    })
}

/// A sentence opening that reports what others say or what we do not say.
fn cautious(opening: &str) -> bool {
    [
        "do not claim",
        "don't claim",
        "does not claim",
        "not claim",
        "do not say",
        "cannot say",
        "not show",
        "not prove",
        "would be wrong to say",
    ]
    .iter()
    .any(|p| opening.contains(p))
}
