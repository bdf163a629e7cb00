//! DST06x: explicit emptiness, not-applicable lines, budgets, and values from closed lists.

use super::{is_placeholder, is_serious, is_surface, Cx, Sink};
use crate::declare_rule;
use crate::lint::Rule;
use crate::plan::LITERALS;
use crate::vocab;

pub(super) const RULES: &[&Rule] = &[
    &MISSING_EXPLICIT_EMPTY,
    &VAGUE_RELEASE_BUDGET,
    &MISSPELLED_LITERAL,
    &MISPLACED_LITERAL,
    &MISSING_NOT_APPLICABLE_LINE,
    &MISSING_CONFIDENCE_ASPECTS,
    &INVALID_CONFIDENCE_LEVEL,
    &INVALID_COVERAGE_VALUE,
    &UNKNOWN_TECHNIQUE_CARD,
    &TECHNIQUE_WITHOUT_HYPOTHESES,
];

declare_rule! {
    /// ## What it does
    /// Checks that §1c and §7c hold either table rows or their explicit-empty sentence.
    ///
    /// ## Why is this bad?
    /// An empty section is indistinguishable from a skipped one. Saying "the docs and code
    /// appear aligned…" is a claim a reviewer can challenge; silence is not.
    ///
    /// ## Example
    /// ```markdown
    /// ## 1c. Missing claims discovered
    ///
    /// ## 2. SUT model
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// ## 1c. Missing claims discovered
    ///
    /// The docs and code appear aligned on every behavior the plan exercised.
    /// ```
    pub static MISSING_EXPLICIT_EMPTY = ("DST060", "missing-explicit-empty", Error, "§1c or §7c has neither rows nor the explicit-empty sentence");
}

declare_rule! {
    /// ## What it does
    /// Checks that `Release budget:` is a concrete gate (sizes, durations, counts) or
    /// `not provided — <reason>. Revisit when: <condition>.`; not empty, not `TBD`, not a bare
    /// "see §6b".
    ///
    /// ## Why is this bad?
    /// The release budget is what must pass before shipping. A vague one lets anything ship; an
    /// honest "not provided" with a revisit condition at least shows up in the report.
    ///
    /// ## Example
    /// ```markdown
    /// - **Release budget:** TBD
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Release budget:** not provided — no production-class hosts yet. Revisit when: the
    ///   host class is chosen.
    /// ```
    pub static VAGUE_RELEASE_BUDGET = ("DST061", "vague-release-budget", Error, "the release budget is neither concrete nor an explained `not provided`");
}

declare_rule! {
    /// ## What it does
    /// Checks that a line starting like a not-applicable or explicit-empty sentence is exactly
    /// that sentence (emphasis, code marks, whitespace and a trailing period do not matter).
    ///
    /// ## Why is this bad?
    /// The sentences are recognised literally; a paraphrase is not read as the literal, so the
    /// block it stands in for counts as missing.
    ///
    /// ## Example
    /// ```markdown
    /// §7.M: not applicable (no gated claims)
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// §7.M: not applicable (no gated claim category falsified)
    /// ```
    pub static MISSPELLED_LITERAL = ("DST062", "misspelled-literal", Error, "a not-applicable or explicit-empty sentence is not exact");
}

declare_rule! {
    /// ## What it does
    /// Checks that each literal sentence stands where it belongs: the §7.M not-applicable line
    /// only in a scenario with no gated claim and no arms; the §7.M.S line only in a scenario
    /// with no boundary or fairness claim; the §1c and §7c sentences only in their sections.
    ///
    /// ## Why is this bad?
    /// Declaring §7.M not applicable on a durability scenario is the one way to skip the
    /// discipline the category demands.
    ///
    /// ## Example
    /// ```markdown
    /// - **Falsifies if it FAILs:** C1
    /// §7.M: not applicable (no gated claim category falsified)
    /// ```
    /// (C1 is `durability`)
    ///
    /// Use instead: write the §7.M block.
    pub static MISPLACED_LITERAL = ("DST063", "misplaced-literal", Error, "a not-applicable or explicit-empty sentence stands where it does not apply");
}

declare_rule! {
    /// ## What it does
    /// Warns when a scenario has neither a §7.M block nor the §7.M not-applicable line, or
    /// neither a §7.M.S block nor its not-applicable line, where they do not apply.
    ///
    /// ## Why is this bad?
    /// The line records that the author decided the discipline does not apply, rather than
    /// forgot it.
    ///
    /// ## Example
    /// ```markdown
    /// - **Skeleton:** …
    /// ### Scenario S4: …
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// §7.M: not applicable (no gated claim category falsified)
    ///
    /// §7.M.S: not applicable (no boundary or fairness claim falsified)
    /// ```
    pub static MISSING_NOT_APPLICABLE_LINE = ("DST064", "missing-not-applicable-line", Warning, "a scenario omits a not-applicable line");
}

declare_rule! {
    /// ## What it does
    /// Checks that when the plan has boundary or fairness claims, §7d rates them per aspect in
    /// a `Claim | Aspect | Confidence | Reason` table or says ``All aspects rated `high`.``
    ///
    /// ## Why is this bad?
    /// Confidence in a boundary differs by surface; one sentence for the whole claim hides the
    /// surfaces that were barely tested.
    ///
    /// ## Example
    /// ```markdown
    /// ## 7d. Confidence statement
    /// We have not observed a tenant crossing.
    /// ```
    ///
    /// Use instead: add the aspect table after the paragraph.
    pub static MISSING_CONFIDENCE_ASPECTS = ("DST065", "missing-confidence-aspects", Error, "boundary or fairness claims lack a §7d aspect rating");
}

declare_rule! {
    /// ## What it does
    /// Checks that §7d confidence ratings are `high`, `moderate` or `low`.
    ///
    /// ## Why is this bad?
    /// Reports compare ratings; free text cannot be compared.
    ///
    /// ## Example
    /// ```markdown
    /// | C5 | scripts | medium | … |
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// | C5 | scripts | moderate | … |
    /// ```
    pub static INVALID_CONFIDENCE_LEVEL = ("DST066", "invalid-confidence-level", Error, "a §7d confidence is not high, moderate or low");
}

declare_rule! {
    /// ## What it does
    /// Checks §5: `Verdict` is `covered`, `partial` or `not covered`; `Gap kind` is a gap kind
    /// from the vocabulary or `—`.
    ///
    /// ## Why is this bad?
    /// The matrix is how a reviewer sees where existing tests fall short; free-form values
    /// cannot be summarised.
    ///
    /// ## Example
    /// ```markdown
    /// | C1 | H1 | none | missing | none | S1 |
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// | C1 | H1 | none | not covered | no test | S1 |
    /// ```
    pub static INVALID_COVERAGE_VALUE = ("DST067", "invalid-coverage-value", Error, "a §5 verdict or gap kind is not in the vocabulary");
}

declare_rule! {
    /// ## What it does
    /// Checks that each §6 technique has a `Reference:` to `references/<card>.md` where
    /// `<card>` is one of the technique cards.
    ///
    /// ## Why is this bad?
    /// The card tells the executor how to run the technique, what it misses and what it
    /// costs; a reference to a card that does not exist leads nowhere.
    ///
    /// ## Example
    /// ```markdown
    /// - **Reference:** `references/chaos.md`
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Reference:** `references/chaos-and-fault-injection.md`
    /// ```
    pub static UNKNOWN_TECHNIQUE_CARD = ("DST068", "unknown-technique-card", Error, "a §6 reference is not a technique card");
}

declare_rule! {
    /// ## What it does
    /// Checks that each §6 technique names the hypotheses it addresses.
    ///
    /// ## Why is this bad?
    /// A technique chosen for no hypothesis is chosen for fashion.
    ///
    /// ## Example
    /// ```markdown
    /// ### fuzzing
    /// - **Reference:** `references/fuzzing.md`
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// ### fuzzing
    /// - **Hypotheses it addresses:** H3
    /// - **Reference:** `references/fuzzing.md`
    /// ```
    pub static TECHNIQUE_WITHOUT_HYPOTHESES = ("DST069", "technique-without-hypotheses", Error, "a §6 technique names no hypothesis");
}

fn literal_text(kind: &str) -> &'static str {
    LITERALS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("", |(_, t)| t)
}

pub(super) fn check(cx: &Cx, out: &mut Sink) {
    let plan = cx.plan;
    // explicit emptiness
    for (num, kind, table) in [
        ("1c", "missing-claims-empty", &plan.missing_table),
        ("7c", "residual-empty", &plan.residual_table),
    ] {
        let Some(sec) = plan.section(num) else {
            continue;
        };
        let has_rows = table.as_ref().is_some_and(|t| !t.rows.is_empty());
        let has_literal = plan
            .literals
            .iter()
            .any(|l| l.kind == kind && !l.malformed && l.section.as_deref() == Some(num));
        if !has_rows && !has_literal {
            out.push(
                &MISSING_EXPLICIT_EMPTY,
                sec.span,
                format!("§{num} has no rows and no explicit-empty sentence"),
                format!("add the table rows, or write: {}", literal_text(kind)),
            );
        }
    }
    // literals: spelling and placement
    for l in &plan.literals {
        if l.malformed {
            out.push(
                &MISSPELLED_LITERAL,
                l.span,
                format!(
                    "this line starts like the literal `{}` but is not exactly it",
                    literal_text(l.kind)
                ),
                format!("write exactly: {}", literal_text(l.kind)),
            );
            continue;
        }
        let sec = l.section.as_deref().unwrap_or("");
        let misplaced = match l.kind {
            "missing-claims-empty" => (sec != "1c").then(|| "belongs only in §1c".to_string()),
            "residual-empty" => (sec != "7c").then(|| "belongs only in §7c".to_string()),
            "all-high" => (sec != "7d").then(|| "belongs only in §7d".to_string()),
            "model-na" | "surface-na" => match l.scenario {
                None => Some("belongs only inside a scenario".into()),
                Some(_) if l.in_arm => Some("belongs to the scenario, not an arm".into()),
                Some(i) => {
                    let s = &plan.scenarios[i];
                    if l.kind == "model-na" && is_serious(s) {
                        Some(format!("cannot stand in scenario {}, which falsifies a gated claim or has arms and so needs §7.M", s.id.key()))
                    } else if l.kind == "surface-na" && is_surface(s) {
                        Some(format!("cannot stand in scenario {}, which falsifies a boundary or fairness claim and so needs §7.M.S", s.id.key()))
                    } else {
                        None
                    }
                }
            },
            _ => None,
        };
        if let Some(why) = misplaced {
            out.push(
                &MISPLACED_LITERAL,
                l.span,
                format!("`{}` {why}", literal_text(l.kind)),
                if l.kind == "model-na" {
                    "replace the line with the §7.M block and its six bullets"
                } else if l.kind == "surface-na" {
                    "replace the line with the §7.M.S block and its bullets"
                } else {
                    "move the sentence to its section, or remove it"
                },
            );
        }
    }
    // not-applicable lines present where the block is not required
    for s in &plan.scenarios {
        let id = s.id.key();
        if !is_serious(s) && s.model.is_none() && s.model_na.is_none() {
            out.push(
                &MISSING_NOT_APPLICABLE_LINE,
                s.span,
                format!("scenario {id} has neither a §7.M block nor the §7.M not-applicable line"),
                format!("add the line: {}", literal_text("model-na")),
            );
        }
        if !is_surface(s) && s.surface.is_none() && s.surface_na.is_none() {
            out.push(
                &MISSING_NOT_APPLICABLE_LINE,
                s.span,
                format!(
                    "scenario {id} has neither a §7.M.S block nor the §7.M.S not-applicable line"
                ),
                format!("add the line: {}", literal_text("surface-na")),
            );
        }
        // release budget
        if let Some(f) = s.field("release budget") {
            let v = f.value.trim();
            if !v.is_empty() && !is_placeholder(v) {
                if let Some(problem) = release_budget_problem(v) {
                    out.push(&VAGUE_RELEASE_BUDGET, f.span, format!("scenario {id}'s release budget {problem}"), "give a concrete gate (sizes × durations × faults × seeds), or write `not provided — <reason>. Revisit when: <condition>.`");
                }
            }
        }
    }
    // §7d aspects for boundary/fairness claims
    let bf: Vec<String> = plan
        .claims
        .iter()
        .filter(|c| c.canonical.is_some_and(vocab::is_surface_gated))
        .map(|c| c.id.key())
        .collect();
    if let Some(sec) = plan.section("7d") {
        let all_high = plan
            .literals
            .iter()
            .any(|l| l.kind == "all-high" && !l.malformed);
        if !bf.is_empty() && plan.confidence_table.is_none() && !all_high {
            out.push(&MISSING_CONFIDENCE_ASPECTS, sec.span, format!("§7d rates no aspect of the boundary/fairness claim(s) {}", bf.join(", ")), "add a `Claim | Aspect | Confidence | Reason` table, or the line: All aspects rated `high`.");
        }
    }
    if let Some(t) = &plan.confidence_table {
        let c = t.column("confidence");
        for r in &t.rows {
            if let Some(cell) = t.cell(r, c) {
                let v = cell.text.trim().trim_matches('`').to_lowercase();
                if !v.is_empty()
                    && !is_placeholder(&v)
                    && !vocab::CONFIDENCE_LEVELS.contains(&v.as_str())
                {
                    out.push(
                        &INVALID_CONFIDENCE_LEVEL,
                        cell.span,
                        format!(
                            "§7d confidence `{}` is not high, moderate or low",
                            cell.text.trim()
                        ),
                        "rate the aspect `high`, `moderate` or `low`",
                    );
                }
            }
        }
    }
    // §5 values
    if let Some(t) = &plan.coverage_table {
        let (vc, gc) = (t.column("verdict"), t.column("gap kind"));
        for r in &t.rows {
            if let Some(cell) = t.cell(r, vc) {
                let v = cell.text.trim().to_lowercase();
                if !v.is_empty()
                    && !is_placeholder(&v)
                    && !vocab::COVERAGE_VERDICTS.contains(&v.as_str())
                {
                    out.push(
                        &INVALID_COVERAGE_VALUE,
                        cell.span,
                        format!(
                            "§5 verdict `{}` is not covered, partial or not covered",
                            cell.text.trim()
                        ),
                        "use `covered`, `partial` or `not covered`",
                    );
                }
            }
            if let Some(cell) = t.cell(r, gc) {
                let v = cell.text.trim().to_lowercase();
                let dash = matches!(v.as_str(), "—" | "-" | "–" | "n/a" | "");
                if !dash && !is_placeholder(&v) && !vocab::GAP_KINDS.contains(&v.as_str()) {
                    out.push(
                        &INVALID_COVERAGE_VALUE,
                        cell.span,
                        format!(
                            "§5 gap kind `{}` is not in the vocabulary",
                            cell.text.trim()
                        ),
                        format!("use one of: {}, or `—`", vocab::GAP_KINDS.join(", ")),
                    );
                }
            }
        }
    }
    // §6 techniques
    for t in &plan.techniques {
        let name = t.name.text.trim().trim_matches('`');
        let who = if name.is_empty() {
            "a §6 technique".to_string()
        } else {
            format!("technique `{name}`")
        };
        let span = if t.name.text.is_empty() {
            t.fields.first().map_or(t.name.span, |f| f.span)
        } else {
            t.name.span
        };
        match t.field("reference") {
            None => out.push(
                &UNKNOWN_TECHNIQUE_CARD,
                span,
                format!("{who} has no `Reference:`"),
                "add `- **Reference:** `references/<card>.md`` naming a technique card",
            ),
            Some(f) if !is_placeholder(&f.value) => {
                let v = f.value.trim().trim_matches('`');
                let card = v
                    .strip_prefix("references/")
                    .and_then(|c| c.split_whitespace().next())
                    .and_then(|c| c.trim_matches('`').strip_suffix(".md"));
                if card.is_none_or(|c| !vocab::TECHNIQUE_CARDS.contains(&c)) {
                    out.push(
                        &UNKNOWN_TECHNIQUE_CARD,
                        f.span,
                        format!("{who} cites `{v}`, which is not a technique card"),
                        format!(
                            "cite `references/<card>.md` with <card> one of: {}",
                            vocab::TECHNIQUE_CARDS.join(", ")
                        ),
                    );
                }
            }
            _ => {}
        }
        let hs = t
            .field("hypotheses it addresses")
            .map(|f| crate::plan::field_refs(f, "H"))
            .unwrap_or_default();
        if hs.is_empty()
            && t.field("hypotheses it addresses")
                .is_none_or(|f| !is_placeholder(&f.value))
        {
            out.push(
                &TECHNIQUE_WITHOUT_HYPOTHESES,
                span,
                format!("{who} names no hypothesis it addresses"),
                "add `- **Hypotheses it addresses:** H<n>, …`",
            );
        }
    }
}

/// Why a release budget is not acceptable, or `None`.
fn release_budget_problem(v: &str) -> Option<String> {
    let l = v.to_lowercase();
    let l = l.trim_end_matches('.');
    if [
        "tbd", "todo", "tba", "n/a", "na", "none", "-", "—", "?", "unknown",
    ]
    .contains(&l)
    {
        return Some(format!("is `{v}`"));
    }
    if let Some(target) = bare_pointer(l) {
        return Some(format!("only points at {target}"));
    }
    if let Some(rest) = l.strip_prefix("not provided") {
        let rest = rest.trim_start();
        let has_reason = rest.starts_with('—')
            || rest.starts_with("--")
            || rest.starts_with('-')
            || rest.starts_with('–')
            || rest.starts_with(':');
        let revisit = l
            .find("revisit when:")
            .map(|i| l[i + "revisit when:".len()..].trim().len() > 2);
        return match (has_reason, revisit) {
            (true, Some(true)) => None,
            (false, _) => Some("says `not provided` without a reason after a dash".into()),
            _ => Some("says `not provided` without `Revisit when: <condition>`".into()),
        };
    }
    let words: Vec<&str> = l
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .collect();
    // the hardening (or smoke) budget is concrete, so a gate stated in terms of it is too
    let names_budget = words
        .windows(2)
        .any(|w| matches!(w[0], "hardening" | "smoke") && w[1].starts_with("budget"));
    let count_in_words = words.iter().any(|w| COUNT_WORDS.contains(w));
    if !v.chars().any(|c| c.is_ascii_digit()) && !names_budget && !count_in_words {
        return Some("names no size, duration or count".into());
    }
    None
}

/// Counts written as words ("two consecutive nightly runs", "run twice").
const COUNT_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve",
    "twenty", "fifty", "hundred", "thousand", "twice", "thrice", "double", "triple", "single",
];

/// `see §9`, `see section 6b`, `see S1` with nothing concrete after it: the section or
/// scenario it points at. (`see the hardening budget; run it twice` is not a bare pointer.)
fn bare_pointer(l: &str) -> Option<String> {
    let rest = l.strip_prefix("see ")?.trim_start();
    let rest = rest
        .strip_prefix("section ")
        .or_else(|| rest.strip_prefix('§'))
        .unwrap_or(rest);
    let target: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    let target = target.trim_end_matches('.');
    let is_ref = target.chars().next().is_some_and(|c| c.is_ascii_digit())
        || (target.starts_with(['s', 'S']) && target[1..].chars().all(|c| c.is_ascii_digit()));
    if target.is_empty() || !is_ref {
        return None;
    }
    let after = rest[target.len()..].trim_matches(|c: char| !c.is_alphanumeric());
    if after.split_whitespace().count() >= 3 {
        return None;
    }
    Some(if target.starts_with(['s', 'S']) {
        target.to_uppercase()
    } else {
        format!("§{target}")
    })
}
