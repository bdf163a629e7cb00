//! DST04x: the §7.M model / history / checker discipline of consistency-critical scenarios.

use std::sync::OnceLock;

use regex::Regex;

use super::{is_placeholder, is_serious, names_observable, Cx, Sink};
use crate::declare_rule;
use crate::lint::Rule;
use crate::plan::{Block, Field, Scenario};
use crate::vocab;

pub(super) const RULES: &[&Rule] = &[
    &MISSING_MODEL_BLOCK,
    &MISSING_MODEL_FIELD,
    &UNKNOWN_MODEL,
    &UNKNOWN_CHECKER,
    &CHECKER_MISFIT,
    &CHECKER_NONE_UNJUSTIFIED,
    &EXACTLY_ONCE_ON_OP_ID,
    &LANDING_EVIDENCE_MISSING,
    &LANDING_EVIDENCE_VAGUE,
    &UNKNOWN_NEMESIS,
];

/// The six §7.M labels.
pub const MODEL_LABELS: &[(&str, &str)] = &[
    ("model under test", "Model under test"),
    ("operation history", "Operation history"),
    ("checker", "Checker"),
    ("nemesis + landing evidence", "Nemesis + landing evidence"),
    ("ambiguous outcomes", "Ambiguous outcomes"),
    ("reduction plan", "Reduction plan"),
];

declare_rule! {
    /// ## What it does
    /// Checks that a scenario falsifying a gated claim (`safety`, `durability`, `idempotency`,
    /// `isolation`, `ordering`, `membership`) or having arms carries a
    /// `#### §7.M — Model / history / checker discipline` block.
    ///
    /// ## Why is this bad?
    /// Consistency bugs hide in concurrent histories; without a model, a recorded history, a
    /// checker and a nemesis that provably landed, a PASS is an absence of evidence.
    ///
    /// ## Example
    /// ```markdown
    /// ### Scenario S1: acknowledged_writes_survive_leader_kill
    /// - **Falsifies if it FAILs:** C1
    /// ```
    /// (C1 is `durability`, and no §7.M block follows)
    ///
    /// Use instead:
    /// ```markdown
    /// #### §7.M — Model / history / checker discipline
    /// - **Model under test:** log
    /// - **Operation history:** default schema, in-process
    /// - **Checker:** no-lost-ack
    /// - **Nemesis + landing evidence:** process-kill — leader id changes in `endpoint status`
    /// - **Ambiguous outcomes:** timeouts recorded as indeterminate
    /// - **Reduction plan:** replay the seed, halve clients and faults while it reproduces
    /// ```
    pub static MISSING_MODEL_BLOCK = ("DST040", "missing-model-block", Error, "a gated scenario has no §7.M block");
}

declare_rule! {
    /// ## What it does
    /// Checks that a §7.M block has all six bullets, each non-empty: `Model under test`,
    /// `Operation history`, `Checker`, `Nemesis + landing evidence`, `Ambiguous outcomes`,
    /// `Reduction plan`.
    ///
    /// ## Why is this bad?
    /// Each answers a question the executor must settle before running: what is modelled,
    /// what is recorded, who judges it, how we know the fault landed, what a timeout means,
    /// and how a failure is minimised and blamed.
    ///
    /// ## Example
    /// ```markdown
    /// #### §7.M — Model / history / checker discipline
    /// - **Model under test:** register
    /// - **Checker:** linearizability
    /// ```
    ///
    /// Use instead: write all six bullets.
    pub static MISSING_MODEL_FIELD = ("DST041", "missing-model-field", Error, "a §7.M block lacks one of its six fields");
}

declare_rule! {
    /// ## What it does
    /// Checks that `Model under test:` starts with a model from the vocabulary (`register`,
    /// `map`, `queue`, `log`, `lock`, `lease`, `session`, `membership-table`, `counter`,
    /// `ledger`, `set`) or `other(<name>)`.
    ///
    /// ## Why is this bad?
    /// The model decides which checkers can judge the history. The list is closed; anything
    /// else goes in `other(<name>)` so nobody mistakes it for a known model.
    ///
    /// ## Example
    /// ```markdown
    /// - **Model under test:** key-value thing
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Model under test:** map — one register per key
    /// ```
    pub static UNKNOWN_MODEL = ("DST042", "unknown-model", Error, "the model under test is not in the vocabulary");
}

declare_rule! {
    /// ## What it does
    /// Warns when `Checker:` names no known checker (custom checkers exist; list them in
    /// `dstplan.toml` under `[vocab] checkers`).
    ///
    /// ## Why is this bad?
    /// An unknown name may be a typo for a known checker, and `dstplan history check` cannot
    /// run it.
    ///
    /// ## Example
    /// ```markdown
    /// - **Checker:** linearisable-check
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Checker:** linearizability
    /// ```
    pub static UNKNOWN_CHECKER = ("DST043", "unknown-checker", Warning, "the checker is not in the vocabulary");
}

declare_rule! {
    /// ## What it does
    /// Warns when a checker does not fit the model and the claim category per the checker
    /// picker (e.g. linearizability for a session claim).
    ///
    /// ## Why is this bad?
    /// A checker outside its row judges a different property than the claim states. The plan
    /// may argue for it (silence the warning with a reason), but usually it is a mistake.
    ///
    /// ## Example
    /// ```markdown
    /// - **Model under test:** queue
    /// - **Checker:** linearizability
    /// ```
    /// (for an `ordering` claim)
    ///
    /// Use instead:
    /// ```markdown
    /// - **Checker:** prefix-order
    /// ```
    pub static CHECKER_MISFIT = ("DST044", "checker-misfit", Warning, "the checker does not fit the model and claim category");
}

declare_rule! {
    /// ## What it does
    /// Checks that `Checker: none` comes with a justification.
    ///
    /// ## Why is this bad?
    /// A gated scenario without a checker needs an argument that its other oracle (an
    /// assertion, a threshold, a final-state invariant) is strong enough on its own.
    ///
    /// ## Example
    /// ```markdown
    /// - **Checker:** none
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Checker:** none — the lock service exposes fencing tokens; the oracle asserts every
    ///   write carries a strictly increasing token, which is the whole safety property
    /// ```
    pub static CHECKER_NONE_UNJUSTIFIED = ("DST045", "checker-none-unjustified", Error, "`Checker: none` has no justification");
}

declare_rule! {
    /// ## What it does
    /// Warns when `exactly-once` is keyed on the operation id.
    ///
    /// ## Why is this bad?
    /// Operation ids are unique by construction, so a check keyed on them can never fail.
    /// Exactly-once must be keyed by the business idempotency key the client retries with.
    ///
    /// ## Example
    /// ```markdown
    /// - **Checker:** exactly-once keyed on op id
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Checker:** exactly-once keyed on the payment's idempotency key
    /// ```
    pub static EXACTLY_ONCE_ON_OP_ID = ("DST046", "exactly-once-on-op-id", Warning, "exactly-once is keyed on the op id");
}

declare_rule! {
    /// ## What it does
    /// Checks that `Nemesis + landing evidence:` gives, after a `;` or an em dash, the
    /// observable signal that proves the fault landed, and that it is not a restatement of the
    /// injection ("the injector reported success", "the fault was injected").
    ///
    /// ## Why is this bad?
    /// Injectors succeed without effect all the time (a rule on the wrong interface, a kill of
    /// a process that restarted). Without landing evidence a PASS may have run without the fault.
    ///
    /// ## Example
    /// ```markdown
    /// - **Nemesis + landing evidence:** partition-full — the injector reported success
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Nemesis + landing evidence:** partition-full — DROP rule packet counters rise on
    ///   both sides (`iptables -L -v -n`) and the leader's term increases
    /// ```
    pub static LANDING_EVIDENCE_MISSING = ("DST047", "landing-evidence-missing", Error, "the nemesis has no landing evidence, or only restates the injection");
}

declare_rule! {
    /// ## What it does
    /// Warns when the landing evidence names no observable: a counter, metric, log line,
    /// status field, timeout rate, exit code, or a number.
    ///
    /// ## Why is this bad?
    /// "The partition took effect" is a belief, not a signal. Name what the executor captures.
    ///
    /// ## Example
    /// ```markdown
    /// - **Nemesis + landing evidence:** process-pause — the node is clearly frozen
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Nemesis + landing evidence:** process-pause — `/proc/<pid>/status` reads `T (stopped)`
    ///   for the whole window and peers log the node as unreachable
    /// ```
    pub static LANDING_EVIDENCE_VAGUE = ("DST048", "landing-evidence-vague", Warning, "the landing evidence names no observable");
}

declare_rule! {
    /// ## What it does
    /// Warns when the nemesis is not a canonical nemesis ID (or an alias). Custom nemeses can
    /// be listed in `dstplan.toml` under `[vocab] nemeses`.
    ///
    /// ## Why is this bad?
    /// Canonical names carry a known landing signal and cleanup in the references; an unknown
    /// name carries neither.
    ///
    /// ## Example
    /// ```markdown
    /// - **Nemesis + landing evidence:** network chaos — …
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Nemesis + landing evidence:** packet-loss — …
    /// ```
    pub static UNKNOWN_NEMESIS = ("DST049", "unknown-nemesis", Warning, "the nemesis is not in the vocabulary");
}

/// What a tool did, per restating pattern: each pattern requires one verb of its list, which
/// is what makes the [`mentions_outcome_verb`] prefilter exact.
const REPORT_VERBS: &[&str] = &[
    "reported",
    "returned",
    "exited",
    "says",
    "said",
    "printed",
    "logged",
    "confirmed",
    "responded",
];
const APPLIED_VERBS: &[&str] = &[
    "injected",
    "applied",
    "introduced",
    "triggered",
    "started",
    "executed",
];
const DONE_VERBS: &[&str] = &["succeeded", "completed", "worked"];

fn restating() -> &'static [Regex] {
    static R: OnceLock<Vec<Regex>> = OnceLock::new();
    R.get_or_init(|| {
        // Patterns run on lowercased text, with ASCII word boundaries and classes: they
        // compile small and match the same phrases.
        [
            format!(
                r"(?-u:\b)(the\s+)?(fault\s+)?(injector|injection|chaos\s+tool|chaos\s+engine|tool|script|command|nemesis|harness|api|kubectl|toxiproxy)(?-u:\b)[a-z0-9 ,'()/_-]{{0,30}}?(?-u:\b)({})(?-u:\b)\s*(with\s+)?(success(fully)?|ok|0|zero|no\s+error|done)(?-u:\b)",
                REPORT_VERBS.join("|")
            ),
            format!(
                r"(?-u:\b)(the\s+)?(fault|failure|partition|kill|pause|nemesis)\s+(was|were|has\s+been|got)\s+(successfully\s+)?({})(\s+successfully)?(?-u:\b)",
                APPLIED_VERBS.join("|")
            ),
            format!(
                r"(?-u:\b)(injection|injected|nemesis|command|script)\s+({})(?-u:\b)",
                DONE_VERBS.join("|")
            ),
        ]
        .iter()
        .map(|p| Regex::new(p).expect("static regex"))
        .collect()
    })
}

/// Whether a lowercased landing text has a verb one of the [`restating`] patterns requires. Most
/// landing texts have none, and then the three patterns are skipped after one literal search.
fn mentions_outcome_verb(lowercase: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        let verbs = [REPORT_VERBS, APPLIED_VERBS, DONE_VERBS].concat();
        Regex::new(&verbs.join("|")).expect("static regex")
    })
    .is_match(lowercase)
}

/// Split `nemesis ; evidence` or `nemesis — evidence` at the first separator: `;`, `—` (with
/// the spaces around it when present), ` -- ` or ` – `. One pass over the bytes that can start
/// a separator.
pub(crate) fn split_nemesis(v: &str) -> (&str, Option<&str>) {
    let b = v.as_bytes();
    let spaced = |i: usize, len: usize| i > 0 && b[i - 1] == b' ' && b.get(i + len) == Some(&b' ');
    for i in memchr::memchr3_iter(b';', 0xe2, b'-', b) {
        let cut = match b[i] {
            b';' => Some((i, 1)),
            // U+2014 em dash, U+2013 en dash: three bytes each
            0xe2 if b[i..].starts_with("—".as_bytes()) => {
                Some(if spaced(i, 3) { (i - 1, 5) } else { (i, 3) })
            }
            0xe2 if b[i..].starts_with("–".as_bytes()) && spaced(i, 3) => Some((i - 1, 5)),
            b'-' if b[i..].starts_with(b"--") && spaced(i, 2) => Some((i - 1, 4)),
            _ => None,
        };
        if let Some((at, len)) = cut {
            return (&v[..at], Some(v[at + len..].trim()));
        }
    }
    (v, None)
}

/// Find the landing evidence in a `Nemesis + landing evidence:` value, whatever the
/// punctuation: after the first `;`, `—`, ` -- ` or ` – ` ([`split_nemesis`]); else after the
/// first ` = ` or `: `; else from a sentence that talks about landing ("Landing is shown by …",
/// "It counts as landed when …", "It has landed when …"). `None` when there is none of these.
pub(crate) fn find_landing(v: &str) -> (&str, Option<&str>) {
    // (where the nemesis ends, where the evidence starts); the earliest candidate wins, so
    // each search only looks at the text before the best candidate so far
    fn consider(best: &mut Option<(usize, usize)>, cand: (usize, usize)) {
        if best.is_none_or(|b| cand.0 < b.0) {
            *best = Some(cand);
        }
    }
    let mut best: Option<(usize, usize)> = None;
    if let (n, Some(l)) = split_nemesis(v) {
        consider(&mut best, (n.len(), v.len() - l.len()));
    }
    let upto = |best: Option<(usize, usize)>| best.map_or(v.len(), |b| b.0);
    for sep in [" = ", "= ", ": "] {
        if let Some(i) = v[..upto(best)].find(sep) {
            consider(&mut best, (i, i + sep.len()));
        }
    }
    static R: OnceLock<Regex> = OnceLock::new();
    let r =
        R.get_or_init(|| Regex::new(r"(?i)\b(landing|landed|lands|land)\b").expect("static regex"));
    if let Some(m) = r.find(&v[..upto(best)]) {
        // the sentence that mentions landing is the evidence; what comes before is the nemesis
        let start = v[..m.start()]
            .rfind(['.', ',', '('])
            .map_or(m.start(), |i| i + 1);
        let start = if start > 0 { start } else { m.start() };
        let end = v[..start].trim_end_matches(['.', ',', '(', ' ']).len();
        consider(&mut best, (end, start));
    }
    match best {
        Some((end, start)) => (&v[..end], Some(v[start..].trim())),
        None => (v, None),
    }
}

/// Whether the phrase found at `at` in `text` is negated: "never", "not", "no", "n't",
/// "rather than" or "instead of" in the same clause just before it.
pub(crate) fn negated_before(text: &str, at: usize) -> bool {
    // the clause is read back at most 160 bytes: a negation further away is not "just before",
    // and a long value with many mentions stays linear
    let mut from = at.saturating_sub(160);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let before = &text[from..at];
    let clause_start = before.rfind([',', ';', '.', '(', ':']).map_or(0, |i| i + 1);
    let clause = before[clause_start..].to_lowercase();
    let words: Vec<&str> = clause
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    let tail = &words[words.len().saturating_sub(6)..];
    tail.iter()
        .any(|w| matches!(*w, "never" | "not" | "no" | "nor" | "without") || w.ends_with("n't"))
        || clause.contains("rather than")
        || clause.contains("instead of")
}

/// Parse `Checker:` into recognised checker IDs (joined by `+` or `,`), the unknown first
/// word (if the field starts with no known checker), and the rest of the text.
pub(crate) fn parse_checkers(value: &str, cx: &Cx) -> (Vec<&'static str>, Option<String>, String) {
    let mut n = vocab::normalise(value);
    let mut ids = Vec::new();
    loop {
        match vocab::recognise(vocab::CHECKERS, &n) {
            Some(r) => {
                if let Some((_, many)) = vocab::CHECKER_MULTI_ALIASES
                    .iter()
                    .find(|(a, _)| n.starts_with(a))
                {
                    ids.extend_from_slice(many);
                } else {
                    ids.push(r.id);
                }
                let rest = n[r.len..].trim_start_matches('-').to_string();
                if let Some(r2) = rest.strip_prefix('+').or_else(|| rest.strip_prefix(',')) {
                    n = r2.trim_start_matches('-').to_string();
                    continue;
                }
                return (ids, None, rest);
            }
            None => {
                if ids.is_empty() {
                    if cx.config.knows_checker(&n) {
                        return (ids, None, String::new());
                    }
                    let word: String = n
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '(' || *c == ')')
                        .collect();
                    return (ids, Some(word.trim_end_matches('-').to_string()), n);
                }
                return (ids, None, n);
            }
        }
    }
}

pub(super) fn check(cx: &Cx, out: &mut Sink) {
    let plan = cx.plan;
    for s in &plan.scenarios {
        let id = s.id.key();
        let serious = is_serious(s);
        match (&s.model, serious) {
            (None, true) if s.model_na.is_none() => {
                let why = if s.categories.iter().any(|c| vocab::is_model_gated(c)) {
                    format!(
                        "it falsifies a {} claim",
                        s.categories
                            .iter()
                            .copied()
                            .filter(|c| vocab::is_model_gated(c))
                            .collect::<Vec<_>>()
                            .join("/")
                    )
                } else {
                    "it has scenario arms".to_string()
                };
                out.push(
                    &MISSING_MODEL_BLOCK,
                    s.span,
                    format!("scenario {id} has no §7.M block, but {why}"),
                    "add `#### §7.M — Model / history / checker discipline` with its six bullets",
                );
            }
            (Some(b), _) => check_block(cx, s, b, &format!("scenario {id}"), out),
            _ => {}
        }
        for a in &s.arms {
            if let Some(b) = &a.model {
                check_block(cx, s, b, &format!("arm {}", a.id.key()), out);
            }
        }
    }
}

fn field<'a>(b: &'a Block, label: &str) -> Option<&'a Field> {
    b.field(label).or_else(|| {
        if label.starts_with("nemesis") {
            b.fields.iter().find(|f| f.label.starts_with("nemesis"))
        } else {
            None
        }
    })
}

fn check_block(cx: &Cx, s: &Scenario, b: &Block, who: &str, out: &mut Sink) {
    for (label, display) in MODEL_LABELS {
        match field(b, label) {
            None => out.push(
                &MISSING_MODEL_FIELD,
                b.span,
                format!("{who}'s §7.M has no `{display}:`"),
                format!("add `- **{display}:** …` to the §7.M block"),
            ),
            Some(f) if f.value.trim().is_empty() && f.children().is_empty() => out.push(
                &MISSING_MODEL_FIELD,
                f.span,
                format!("{who}'s §7.M `{display}:` is empty"),
                format!("fill in `{display}`"),
            ),
            _ => {}
        }
    }
    let model = field(b, "model under test")
        .filter(|f| !f.value.trim().is_empty() && !is_placeholder(&f.value))
        .and_then(|f| {
            let n = vocab::normalise(&f.value);
            let m = vocab::recognise(vocab::MODELS, &n).map(|r| r.id);
            if m.is_none() && !n.starts_with("other(") {
                let first = f
                    .value
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .trim_matches(|c: char| !c.is_alphanumeric());
                out.push(
                    &UNKNOWN_MODEL,
                    f.span,
                    format!("{who}'s model `{first}` is not in the vocabulary"),
                    format!(
                        "use one of {} or `other(<name>)`",
                        vocab::ids(vocab::MODELS).join(", ")
                    ),
                );
            }
            m
        });
    if let Some(f) =
        field(b, "checker").filter(|f| !f.value.trim().is_empty() && !is_placeholder(&f.value))
    {
        let (ids, unknown, rest) = parse_checkers(&f.value, cx);
        if let Some(u) = unknown.filter(|u| !u.is_empty()) {
            out.push(&UNKNOWN_CHECKER, f.span, format!("{who}'s checker `{u}` is not in the vocabulary"), "use a checker from `dstplan vocab`, or list the custom one in dstplan.toml under [vocab] checkers");
        }
        if ids.contains(&"none") {
            let words = rest
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .count();
            if words < 3 {
                out.push(&CHECKER_NONE_UNJUSTIFIED, f.span, format!("{who} declares `Checker: none` without a justification"), "after `none`, say in a sentence why the scenario's other oracle is strong enough on its own");
            }
        }
        if ids.contains(&"exactly-once") {
            let l = f.value.to_lowercase();
            // keyed on the op id, unless every mention is negated ("never on the op id",
            // "rather than on the op id")
            let keyed_on_op_id = ["op id", "op_id", "op-id", "operation id", "operation_id"]
                .iter()
                .flat_map(|p| l.match_indices(p))
                .any(|(at, _)| !negated_before(&l, at));
            if keyed_on_op_id {
                out.push(
                    &EXACTLY_ONCE_ON_OP_ID,
                    f.span,
                    format!(
                        "{who} keys exactly-once on the op id, which is unique by construction"
                    ),
                    "key exactly-once by the business idempotency key the client retries with",
                );
            }
        }
        if let Some(m) = model {
            let cats = &s.categories;
            for c in ids.iter().filter(|c| **c != "none") {
                let rows: Vec<Vec<&str>> = cats
                    .iter()
                    .filter_map(|cat| vocab::fitting_checkers(m, cat))
                    .collect();
                if !rows.is_empty() && !rows.iter().any(|r| r.contains(c)) {
                    let fitting: Vec<&str> = rows.concat();
                    out.push(
                        &CHECKER_MISFIT,
                        f.span,
                        format!(
                            "{who}'s checker `{c}` does not fit model `{m}` under a {} claim",
                            cats.join("/")
                        ),
                        format!(
                            "the picker suggests {}; keep `{c}` only if the plan argues for it",
                            fitting.join(" or ")
                        ),
                    );
                }
            }
        }
    }
    if let Some(f) = field(b, "nemesis + landing evidence")
        .filter(|f| !f.value.trim().is_empty() && !is_placeholder(&f.value))
    {
        let (nemesis, landing) = find_landing(&f.value);
        let n = vocab::normalise(nemesis);
        if vocab::recognise(vocab::NEMESES, &n).is_some_and(|r| r.id == "none") {
            // no fault is injected: there is nothing to land
            return;
        }
        if vocab::recognise(vocab::NEMESES, &n).is_none() && !cx.config.knows_nemesis(&n) {
            let first = nemesis
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_matches(|c: char| !c.is_alphanumeric() && c != '-');
            out.push(&UNKNOWN_NEMESIS, f.span, format!("{who}'s nemesis `{first}` is not a canonical nemesis"), "start with a canonical nemesis ID from `dstplan vocab` (e.g. process-kill, partition-full), or list the custom one in dstplan.toml under [vocab] nemeses");
        }
        match landing.filter(|l| !l.is_empty()) {
            None => out.push(&LANDING_EVIDENCE_MISSING, f.span, format!("{who}'s nemesis has no landing evidence"), "after the nemesis, write `—` and the observable signal that proves it landed (a counter, a log marker, a status field)"),
            Some(l) => {
                let mut stripped = l.to_lowercase();
                let mut restated = false;
                let candidates: &[Regex] = if mentions_outcome_verb(&stripped) {
                    restating()
                } else {
                    &[]
                };
                for r in candidates {
                    if r.is_match(&stripped) {
                        restated = true;
                        stripped = r.replace_all(&stripped, " ").into_owned();
                    }
                }
                if restated && !names_observable(&stripped) {
                    out.push(&LANDING_EVIDENCE_MISSING, f.span, format!("{who}'s landing evidence `{}` only restates the injection", l.trim()), "name the signal that shows the fault took effect: packet counters on the DROP rule, `T (stopped)` in /proc, exit code 137, a leader change in the status output");
                } else if !names_observable(l) {
                    out.push(&LANDING_EVIDENCE_VAGUE, f.span, format!("{who}'s landing evidence names no observable"), "name a counter, metric, log line, status field, timeout rate, exit code or number to capture");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restating_phrases_are_recognised() {
        let r = restating();
        for s in [
            "the injector reported success",
            "The fault was injected",
            "the chaos tool returned 0",
            "injection succeeded",
        ] {
            assert!(r.iter().any(|x| x.is_match(s)), "{s}");
        }
        assert!(!r
            .iter()
            .any(|x| x.is_match("DROP counter 0 → 14,712 in 30 s")));
    }

    #[test]
    fn nemesis_split() {
        assert_eq!(
            split_nemesis("process-kill — exit 137"),
            ("process-kill", Some("exit 137"))
        );
        assert_eq!(split_nemesis("a; b — c"), ("a", Some("b — c")));
        assert_eq!(split_nemesis("process-kill"), ("process-kill", None));
        assert_eq!(split_nemesis("a -- b; c"), ("a", Some("b; c")));
        assert_eq!(split_nemesis("a–b – c"), ("a–b", Some("c")));
        assert_eq!(split_nemesis("a—b"), ("a", Some("b")));
        assert_eq!(split_nemesis("x-y --z — w"), ("x-y --z", Some("w")));
    }

    /// The separators as first written: five searches, the earliest wins.
    fn split_nemesis_reference(v: &str) -> (&str, Option<&str>) {
        let cands = [
            v.find(';').map(|i| (i, 1)),
            v.find(" — ").map(|i| (i, " — ".len())),
            v.find('—').map(|i| (i, '—'.len_utf8())),
            v.find(" -- ").map(|i| (i, 4)),
            v.find(" – ").map(|i| (i, " – ".len())),
        ];
        match cands.into_iter().flatten().min_by_key(|(i, _)| *i) {
            Some((i, l)) => (&v[..i], Some(v[i + l..].trim())),
            None => (v, None),
        }
    }

    #[test]
    fn nemesis_split_matches_the_five_searches() {
        let pieces = [" ", "-", "--", ";", "—", "–", "a", "kill", "é"];
        let mut seed: u64 = 7;
        for _ in 0..20_000 {
            let mut v = String::new();
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            for _ in 0..(seed >> 60) + 1 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                v.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            assert_eq!(split_nemesis(&v), split_nemesis_reference(&v), "{v:?}");
        }
    }
}
