//! DST03x: a scenario's bullets: the claims it falsifies, its fields, oracle and skeleton.

use super::{is_placeholder, Cx, Sink};
use crate::declare_rule;
use crate::lint::Rule;
use crate::plan::Scenario;
use crate::vocab;

pub(super) const RULES: &[&Rule] = &[
    &SCENARIO_WITHOUT_CLAIM,
    &MISSING_SCENARIO_FIELD,
    &LEGACY_EXIT_CRITERIA,
    &WEAK_ORACLE,
    &SCENARIO_FIELDS_OUT_OF_ORDER,
    &UNKNOWN_SKELETON_LANGUAGE,
    &SKELETON_FENCE_MISMATCH,
    &UNKNOWN_SCENARIO_TECHNIQUE,
    &WEAK_ORACLE_PHRASE,
];

/// Scenario labels in their required order, and whether each is required.
pub const SCENARIO_LABELS: &[(&str, &str)] = &[
    ("falsifies if it fails", "Falsifies if it FAILs"),
    ("closes", "Closes"),
    ("technique", "Technique"),
    ("workload", "Workload"),
    ("faults", "Faults"),
    ("oracle", "Oracle"),
    ("observability required", "Observability required"),
    ("smoke budget", "Smoke budget"),
    ("hardening budget", "Hardening budget"),
    ("release budget", "Release budget"),
    ("target test file", "Target test file"),
    ("skeleton language", "Skeleton language"),
    ("skeleton", "Skeleton"),
];

declare_rule! {
    /// ## What it does
    /// Checks that every scenario names at least one claim in `Falsifies if it FAILs:`.
    ///
    /// ## Why is this bad?
    /// The core rule of the method: a scenario exists to show a named claim false. One that
    /// falsifies no claim is ceremony, and its PASS means nothing.
    ///
    /// ## Example
    /// ```markdown
    /// ### Scenario S1: cluster_survives_chaos
    /// - **Closes:** H1
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// ### Scenario S1: acknowledged_writes_survive_leader_kill
    /// - **Falsifies if it FAILs:** C1
    /// - **Closes:** H1
    /// ```
    pub static SCENARIO_WITHOUT_CLAIM = ("DST030", "scenario-without-claim", Error, "a scenario falsifies no claim");
}

declare_rule! {
    /// ## What it does
    /// Checks that a scenario has every required bullet: `Closes`, `Technique`, `Workload`,
    /// `Faults`, `Oracle`, `Observability required`, the three budgets, `Target test file`,
    /// `Skeleton language` and `Skeleton` (with a code block), each non-empty.
    ///
    /// ## Why is this bad?
    /// The executor needs each of them to run the scenario and to judge it; a missing budget
    /// means nobody can tell PASS-smoke from PASS-hardening.
    ///
    /// ## Example
    /// ```markdown
    /// - **Falsifies if it FAILs:** C1
    /// - **Oracle:** linearizability of the history
    /// ```
    ///
    /// Use instead: write every bullet of the scenario, in the format's order.
    pub static MISSING_SCENARIO_FIELD = ("DST031", "missing-scenario-field", Error, "a scenario lacks a required field");
}

declare_rule! {
    /// ## What it does
    /// Warns about a single `Exit criteria:` bullet in place of the three budgets.
    ///
    /// ## Why is this bad?
    /// Verdicts are capped by budget tier: smoke, hardening and release need their own sizes.
    /// `Exit criteria` is the older spelling and cannot tell them apart.
    ///
    /// ## Example
    /// ```markdown
    /// - **Exit criteria:** 10 minutes, no anomalies
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Smoke budget:** 3 nodes × 10 min × 4 kills × 3 seeds
    /// - **Hardening budget:** 5 nodes × 2 h × 40 kills × 10 seeds
    /// - **Release budget:** 5 nodes × 8 h × 200 kills × 20 seeds before each minor release
    /// ```
    pub static LEGACY_EXIT_CRITERIA = ("DST032", "legacy-exit-criteria", Warning, "a scenario uses `Exit criteria` instead of the three budgets");
}

declare_rule! {
    /// ## What it does
    /// Flags an `Oracle:` that only says "logs look fine", "no errors" or "works as expected".
    ///
    /// ## Why is this bad?
    /// Such an oracle cannot tell PASS from FAIL: lost writes and stale reads produce clean
    /// logs. The oracle must name the property and how it is checked.
    ///
    /// ## Example
    /// ```markdown
    /// - **Oracle:** logs look fine
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Oracle:** every acknowledged write appears in the final read (no-lost-ack over the history)
    /// ```
    pub static WEAK_ORACLE = ("DST033", "weak-oracle", Error, "a scenario's oracle cannot tell PASS from FAIL");
}

declare_rule! {
    /// ## What it does
    /// Warns when a scenario's bullets are not in the format's order.
    ///
    /// ## Why is this bad?
    /// Reviewers and executors scan scenarios in a fixed order: claim, hypotheses, technique,
    /// workload, faults, oracle, budgets, skeleton.
    ///
    /// ## Example
    /// ```markdown
    /// - **Oracle:** …
    /// - **Falsifies if it FAILs:** C1
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Falsifies if it FAILs:** C1
    /// - **Oracle:** …
    /// ```
    pub static SCENARIO_FIELDS_OUT_OF_ORDER = ("DST034", "scenario-fields-out-of-order", Warning, "a scenario's bullets are out of order");
}

declare_rule! {
    /// ## What it does
    /// Checks that `Skeleton language:` is one of `rust`, `go`, `python`, `typescript`, `shell`.
    ///
    /// ## Why is this bad?
    /// The executor writes the skeleton into the SUT as a test file and needs to know its
    /// language and comment syntax.
    ///
    /// ## Example
    /// ```markdown
    /// - **Skeleton language:** bash
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Skeleton language:** shell
    /// ```
    pub static UNKNOWN_SKELETON_LANGUAGE = ("DST035", "unknown-skeleton-language", Error, "the skeleton language is not in the list");
}

declare_rule! {
    /// ## What it does
    /// Warns when the skeleton's code fence declares a different language than
    /// `Skeleton language:`.
    ///
    /// ## Why is this bad?
    /// One of the two is wrong; the file written out will not match what reviewers read.
    ///
    /// ## Example
    /// ````markdown
    /// - **Skeleton language:** rust
    /// - **Skeleton:**
    ///   ```python
    /// ````
    ///
    /// Use instead:
    /// ````markdown
    /// - **Skeleton language:** rust
    /// - **Skeleton:**
    ///   ```rust
    /// ````
    pub static SKELETON_FENCE_MISMATCH = ("DST036", "skeleton-fence-mismatch", Warning, "the skeleton's fence language differs from `Skeleton language`");
}

declare_rule! {
    /// ## What it does
    /// Warns when a scenario's `Technique:` is not one of the techniques chosen in §6.
    ///
    /// ## Why is this bad?
    /// §6 says why each technique was chosen and what it costs; a scenario using another one
    /// has no such argument.
    ///
    /// ## Example
    /// ```markdown
    /// - **Technique:** model-checking
    /// ```
    /// (with only `### jepsen-and-elle` in §6)
    ///
    /// Use instead:
    /// ```markdown
    /// - **Technique:** jepsen-and-elle
    /// ```
    pub static UNKNOWN_SCENARIO_TECHNIQUE = ("DST037", "unknown-scenario-technique", Warning, "a scenario's technique is not chosen in §6");
}

declare_rule! {
    /// ## What it does
    /// Warns when a longer oracle's only checkable content is a weak phrase ("no errors in the
    /// logs", "the service comes back", "everything works"): the sentence around it names no
    /// property — no checker, no invariant, no bound, no count, no "every …" or "at most …".
    /// An oracle that is nothing but the phrase is an error (DST033); a real property next to
    /// such a phrase is fine. Reading prose is not certain, so this is a warning.
    ///
    /// ## Why is this bad?
    /// Padding a weak oracle with words does not make it able to fail: "after the restart the
    /// service comes back and we see no errors in the logs" passes on a system that lost half
    /// its writes.
    ///
    /// ## Example
    /// ```markdown
    /// - **Oracle:** after the leader is killed the cluster comes back and clients report no
    ///   errors in their logs
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Oracle:** every acknowledged write is in the final read after the cluster comes
    ///   back (no-lost-ack over the history)
    /// ```
    pub static WEAK_ORACLE_PHRASE = ("DST038", "weak-oracle-phrase", Warning, "an oracle's only checkable content is a weak phrase");
}

/// Phrases that check nothing on their own, in longer sentences.
const WEAK_SENTENCE_PHRASES: &[&str] = &[
    "comes back",
    "come back",
    "works",
    "is up again",
    "keeps working",
    "stays up",
    "recovers",
    "is healthy",
    "are healthy",
];

/// Words and marks that state a checkable property.
const PROPERTY_MARKERS: &[&str] = &[
    "every",
    "each",
    "all ",
    "equal",
    "at most",
    "at least",
    "within",
    "linearizab",
    "serializab",
    "prefix",
    "invariant",
    "monoton",
    "exactly",
    "no acknowledged",
    "no lost",
    "never",
    "match",
    "same",
    "history",
    "checker",
    "≤",
    "≥",
    "<",
    ">",
    "p99",
    "p95",
    "percentile",
    "violation",
    "sum",
    "count",
    "order",
    "digest",
    "unchanged",
    "denied",
    "refused",
    "rejected",
    "appears",
    "present",
    "missing",
    "duplicate",
    "once",
    "stale",
    "bound",
    "threshold",
    "below",
    "above",
    "before",
    "after each",
    "per ",
];

/// Whether the text contains any weak phrase, short or sentence-length, in any case: one
/// automaton pass, so the common oracle with none costs nothing more.
fn mentions_any_weak_phrase(text: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        let alternatives: Vec<String> = WEAK_PHRASES
            .iter()
            .chain(WEAK_SENTENCE_PHRASES)
            .map(|p| regex::escape(p))
            .collect();
        regex::Regex::new(&format!("(?i){}", alternatives.join("|"))).expect("static regex")
    })
    .is_match(text)
}

/// Whether an oracle's weak phrase stands with no checkable property beside it.
fn weak_phrase_only(text: &str) -> Option<String> {
    let l = text.to_lowercase();
    let phrase = WEAK_PHRASES.iter().chain(WEAK_SENTENCE_PHRASES).find(|p| {
        l.match_indices(*p).any(|(at, _)| {
            let before = l[..at].chars().next_back();
            let after = l[at + p.len()..].chars().next();
            before.is_none_or(|c| !c.is_alphanumeric())
                && after.is_none_or(|c| !c.is_alphanumeric())
        })
    })?;
    if l.chars().any(|c| c.is_ascii_digit())
        || text.contains('`')
        || PROPERTY_MARKERS.iter().any(|m| l.contains(m))
        || vocab::CHECKERS
            .iter()
            .any(|c| c.id != "none" && l.contains(c.id))
    {
        return None;
    }
    Some((*phrase).to_string())
}

const WEAK_PHRASES: &[&str] = &[
    "logs look fine",
    "logs look ok",
    "logs look good",
    "log looks fine",
    "no errors",
    "no error",
    "works as expected",
    "work as expected",
    "behaves as expected",
    "behaves correctly",
    "everything works",
    "nothing breaks",
    "no crash",
    "no crashes",
    "looks fine",
    "looks good",
    "as expected",
    "no issues",
    "no failures",
    "system is healthy",
    "cluster is healthy",
];

const FILLER: &[&str] = &[
    "the",
    "a",
    "an",
    "and",
    "or",
    "in",
    "of",
    "all",
    "are",
    "is",
    "it",
    "that",
    "check",
    "checked",
    "verify",
    "we",
    "should",
    "must",
    "be",
    "there",
    "any",
    "only",
    "everything",
    "test",
    "passes",
    "pass",
];

/// Whether the text contains a weak phrase in any case: one automaton pass, so the common
/// oracle that has none costs no lowercased copy and no phrase-by-phrase search.
fn mentions_weak_phrase(text: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        let alternatives: Vec<String> = WEAK_PHRASES.iter().map(|p| regex::escape(p)).collect();
        regex::Regex::new(&format!("(?i){}", alternatives.join("|"))).expect("static regex")
    })
    .is_match(text)
}

/// Whether an oracle says nothing beyond "it looks fine".
pub(crate) fn is_weak_oracle(text: &str) -> bool {
    if !mentions_weak_phrase(text) {
        return false;
    }
    let mut t = text.to_lowercase();
    let mut hit = false;
    for p in WEAK_PHRASES {
        if t.contains(p) {
            hit = true;
            t = t.replace(p, " ");
        }
    }
    if !hit {
        return false;
    }
    let content = t
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !FILLER.contains(w))
        .count();
    content < 3
}

/// A technique name as §6 and `Technique:` are compared: no `Technique:` prefix, no marks,
/// and no trailing qualifier (a parenthesis, or a clause after a dash, colon or comma).
fn norm_technique(s: &str) -> String {
    let t = s.trim().trim_matches(|c: char| c == '`' || c == '*').trim();
    let t = match t.get(..10) {
        Some(p) if p.eq_ignore_ascii_case("technique:") => t[10..].trim_start(),
        _ => t,
    };
    let t = t.trim_start_matches(['`', '*', ' ']);
    let cut = [" (", " — ", " – ", " - ", ": ", ", "]
        .iter()
        .filter_map(|p| t.find(p))
        .min()
        .unwrap_or(t.len());
    vocab::normalise(t[..cut].trim_matches(|c: char| c == '`' || c == '*' || c == ' '))
}

pub(super) fn check(cx: &Cx, out: &mut Sink) {
    let plan = cx.plan;
    let techniques: Vec<String> = plan
        .techniques
        .iter()
        .map(|t| norm_technique(&t.name.text))
        .filter(|t| !t.is_empty())
        .collect();
    for s in &plan.scenarios {
        check_scenario(s, &techniques, out);
    }
}

fn check_scenario(s: &Scenario, techniques: &[String], out: &mut Sink) {
    let id = s.id.key();
    match s.field("falsifies if it fails") {
        None => out.push(&SCENARIO_WITHOUT_CLAIM, s.span, format!("scenario {id} has no `Falsifies if it FAILs:` line"), "add `- **Falsifies if it FAILs:** C<n>` naming the claim this scenario tries to show false"),
        Some(f) if s.falsifies().is_empty() && !is_placeholder(&f.value) => out.push(&SCENARIO_WITHOUT_CLAIM, f.span, format!("scenario {id} falsifies no claim"), "name at least one §1b claim ID, e.g. `C1`"),
        _ => {}
    }
    let has_budget = ["smoke budget", "hardening budget", "release budget"]
        .iter()
        .any(|l| s.field(l).is_some());
    let exit = s.field("exit criteria");
    if let (Some(e), false) = (exit, has_budget) {
        out.push(&LEGACY_EXIT_CRITERIA, e.span, format!("scenario {id} uses `Exit criteria` instead of smoke, hardening and release budgets"), "replace `Exit criteria` with `Smoke budget:`, `Hardening budget:` and `Release budget:`");
    }
    for (label, display) in SCENARIO_LABELS.iter().skip(1) {
        let is_budget = label.ends_with("budget");
        if is_budget && exit.is_some() && !has_budget {
            continue;
        }
        match s.field(label) {
            None => out.push(
                &MISSING_SCENARIO_FIELD,
                s.span,
                format!("scenario {id} has no `{display}:`"),
                format!("add `- **{display}:** …` to scenario {id}"),
            ),
            Some(f) if *label == "skeleton" && f.code().is_empty() && !is_placeholder(&f.value) => {
                out.push(
                    &MISSING_SCENARIO_FIELD,
                    f.span,
                    format!("scenario {id}'s `Skeleton:` has no code block"),
                    "put a fenced code block in the skeleton language under `Skeleton:`",
                )
            }
            Some(f)
                if *label != "skeleton" && f.value.trim().is_empty() && f.children().is_empty() =>
            {
                out.push(
                    &MISSING_SCENARIO_FIELD,
                    f.span,
                    format!("scenario {id}'s `{display}:` is empty"),
                    format!("fill in `{display}`"),
                )
            }
            _ => {}
        }
    }
    if let Some(f) = s
        .field("oracle")
        .filter(|f| mentions_any_weak_phrase(&f.value))
    {
        if is_weak_oracle(&f.value) {
            out.push(&WEAK_ORACLE, f.span, format!("scenario {id}'s oracle `{}` cannot tell PASS from FAIL", f.value.trim()), "name the property and how it is checked: a checker over the history, an invariant over final state, a threshold on a metric");
        } else if !is_placeholder(&f.value) {
            if let Some(p) = weak_phrase_only(&f.value) {
                out.push(&WEAK_ORACLE_PHRASE, f.span, format!("scenario {id}'s oracle checks nothing beyond \"{p}\""), "state the property next to it: which operations must hold what (every acknowledged write is read back, p99 ≤ 20 ms), and how it is checked");
            }
        }
    }
    // order
    let pos: Vec<usize> = s
        .fields
        .iter()
        .filter_map(|f| SCENARIO_LABELS.iter().position(|(l, _)| *l == f.label))
        .collect();
    if let Some(w) = pos.windows(2).position(|w| w[1] < w[0]) {
        let f = s
            .fields
            .iter()
            .filter(|f| SCENARIO_LABELS.iter().any(|(l, _)| *l == f.label))
            .nth(w + 1);
        if let Some(f) = f {
            out.push(&SCENARIO_FIELDS_OUT_OF_ORDER, f.span, format!("scenario {id}'s `{}` is out of order", f.label), "order the bullets as in the plan format: Falsifies, Closes, Technique, Workload, Faults, Oracle, Observability, budgets, Target test file, Skeleton language, Skeleton");
        }
    }
    // skeleton language
    if let Some(f) = s.field("skeleton language") {
        let v = f.value.trim().trim_matches('`').to_lowercase();
        let first = v
            .split(|c: char| c.is_whitespace() || c == '(' || c == ',')
            .next()
            .unwrap_or("");
        if !v.is_empty() && !is_placeholder(&v) {
            if !vocab::SKELETON_LANGUAGES.contains(&first) {
                out.push(&UNKNOWN_SKELETON_LANGUAGE, f.span, format!("scenario {id}'s skeleton language `{first}` is not one of rust, go, python, typescript, shell"), "use `rust`, `go`, `python`, `typescript` or `shell`");
            } else if let Some(code) = s.field("skeleton").and_then(|k| k.code().first()) {
                if !code.lang.is_empty() && canonical_fence(&code.lang) != Some(first) {
                    out.push(&SKELETON_FENCE_MISMATCH, code.span, format!("scenario {id}'s skeleton is fenced as `{}` but `Skeleton language` is `{first}`", code.lang), format!("fence the skeleton as ```{first}"));
                }
            }
        }
    }
    // technique
    if let Some(f) = s.field("technique") {
        let t = norm_technique(&f.value);
        if !t.is_empty()
            && !is_placeholder(&f.value)
            && !techniques.is_empty()
            && !techniques
                .iter()
                .any(|k| t.starts_with(k.as_str()) || k.starts_with(t.as_str()))
        {
            out.push(
                &UNKNOWN_SCENARIO_TECHNIQUE,
                f.span,
                format!(
                    "scenario {id} uses technique `{}`, which §6 does not choose",
                    f.value.trim()
                ),
                "use a technique from §6, or add it to §6 with its reason and cost",
            );
        }
    }
}

fn canonical_fence(lang: &str) -> Option<&'static str> {
    Some(match lang {
        "rust" | "rs" => "rust",
        "go" | "golang" => "go",
        "python" | "py" | "python3" => "python",
        "typescript" | "ts" => "typescript",
        "shell" | "sh" | "bash" | "zsh" => "shell",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_prefilter_finds_every_phrase_in_any_case() {
        for p in super::WEAK_PHRASES {
            assert!(super::mentions_weak_phrase(p), "{p}");
            assert!(
                super::mentions_weak_phrase(&format!("Oracle: {}.", p.to_uppercase())),
                "{p}"
            );
        }
        assert!(!super::mentions_weak_phrase(
            "every acknowledged write appears in the final read"
        ));
    }

    #[test]
    fn weak_oracles() {
        assert!(super::is_weak_oracle("logs look fine"));
        assert!(super::is_weak_oracle("No errors."));
        assert!(super::is_weak_oracle("the system works as expected"));
        assert!(!super::is_weak_oracle(
            "every acknowledged write appears in the final read; no errors in the checker"
        ));
    }
}
