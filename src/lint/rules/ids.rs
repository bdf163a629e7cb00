//! DST02x: IDs are well formed and unique, and every reference resolves.

use std::collections::{HashMap, HashSet};

use super::{Cx, Sink};
use crate::declare_rule;
use crate::lint::Rule;
use crate::plan::{field_refs, parse_refs, IdKey, IdRef, Plan, Span, Table};
use crate::vocab;

pub(super) const RULES: &[&Rule] = &[
    &UNKNOWN_REFERENCE,
    &DUPLICATE_ID,
    &MALFORMED_ID,
    &LEADING_ZERO_ID,
    &HYPOTHESIS_WITHOUT_CLAIM,
    &HYPOTHESIS_NOT_CLOSED,
    &CLAIM_WITHOUT_ADEQUACY_ROW,
    &UNFALSIFIABLE_CLAIM,
    &HYPOTHESIS_CATEGORY_UNCOVERED,
    &UNKNOWN_HYPOTHESIS_CATEGORY,
];

declare_rule! {
    /// ## What it does
    /// Checks that every reference resolves: a hypothesis's claims, a scenario's claims and
    /// hypotheses, §5 rows, §6 hypotheses, §6b scenarios, §7b claims and scenarios (arms too).
    ///
    /// ## Why is this bad?
    /// A reference to nothing is a broken argument: the reader cannot follow it, and coverage
    /// computed from it is wrong.
    ///
    /// ## Example
    /// ```markdown
    /// - **Falsifies if it FAILs:** C99
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Falsifies if it FAILs:** C1
    /// ```
    pub static UNKNOWN_REFERENCE = ("DST020", "unknown-reference", Error, "a reference names an ID that is not defined");
}

declare_rule! {
    /// ## What it does
    /// Checks that claim, missing-claim, hypothesis, scenario and arm IDs are unique in their kind.
    ///
    /// ## Why is this bad?
    /// References to a duplicated ID are ambiguous, and findings for it overwrite each other.
    ///
    /// ## Example
    /// ```markdown
    /// ### Scenario S2: leases_expire
    /// ### Scenario S2: leader_steps_down
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// ### Scenario S2: leases_expire
    /// ### Scenario S3: leader_steps_down
    /// ```
    pub static DUPLICATE_ID = ("DST021", "duplicate-id", Error, "an ID is defined twice");
}

declare_rule! {
    /// ## What it does
    /// Checks that each §1b row's ID is `C<n>`.
    ///
    /// ## Why is this bad?
    /// Scenarios cite claims by ID; a claim named `durability-1` cannot be cited or checked.
    ///
    /// ## Example
    /// ```markdown
    /// | claim-1 | Writes survive. | durability | docs | no |
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// | C1 | Writes survive. | durability | docs | no |
    /// ```
    pub static MALFORMED_ID = ("DST022", "malformed-id", Error, "an ID does not have the form of its kind");
}

declare_rule! {
    /// ## What it does
    /// Warns about IDs with leading zeros (`C01`).
    ///
    /// ## Why is this bad?
    /// `C01` and `C1` read as the same claim to a person and as different strings to tools.
    ///
    /// ## Example
    /// ```markdown
    /// | C01 | Writes survive. | durability | docs | no |
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// | C1 | Writes survive. | durability | docs | no |
    /// ```
    pub static LEADING_ZERO_ID = ("DST023", "leading-zero-id", Warning, "an ID has a leading zero");
}

declare_rule! {
    /// ## What it does
    /// Checks that every hypothesis cites at least one claim in `Could falsify:`.
    ///
    /// ## Why is this bad?
    /// A hypothesis tied to no claim produces ceremonial scenarios: even if it comes true,
    /// nothing the product promises is shown false.
    ///
    /// ## Example
    /// ```markdown
    /// H1. **Slow disk** — fsync stalls.
    ///    - Subsystem: storage
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// H1. **Slow disk** — fsync stalls.
    ///    - Could falsify: C4
    ///    - Subsystem: storage
    /// ```
    pub static HYPOTHESIS_WITHOUT_CLAIM = ("DST024", "hypothesis-without-claim", Error, "a hypothesis cites no claim");
}

declare_rule! {
    /// ## What it does
    /// Checks that every hypothesis is closed by a scenario (`Closes:`) or named in §7c, §8 or
    /// §9 with the reason it stays open.
    ///
    /// ## Why is this bad?
    /// A hypothesis nobody tests and nobody defers is a known risk that silently disappears
    /// from the argument.
    ///
    /// ## Example
    /// ```markdown
    /// - **Closes:** H1
    /// ```
    /// (with H1 and H2 in §4, and H2 nowhere else)
    ///
    /// Use instead:
    /// ```markdown
    /// - **Closes:** H1, H2
    /// ```
    pub static HYPOTHESIS_NOT_CLOSED = ("DST025", "hypothesis-not-closed", Error, "a hypothesis is neither closed by a scenario nor deferred");
}

declare_rule! {
    /// ## What it does
    /// Checks that every §1b claim has a row in the §7b adequacy table.
    ///
    /// ## Why is this bad?
    /// §7b is where the plan argues its scenarios would catch a violation; a claim without a row
    /// has no argument.
    ///
    /// ## Example
    /// ```markdown
    /// | Claim | Threat model (how it could fail) | Scenarios that exercise the threats | Why these are sufficient |
    /// |---|---|---|---|
    /// | C1 | leader loss | S1 | every leader is killed |
    /// ```
    /// (with C2 in §1b)
    ///
    /// Use instead: add a row for C2.
    pub static CLAIM_WITHOUT_ADEQUACY_ROW = ("DST026", "claim-without-adequacy-row", Error, "a claim has no §7b row");
}

declare_rule! {
    /// ## What it does
    /// Warns about a claim that no scenario falsifies and that §7c does not mention.
    ///
    /// ## Why is this bad?
    /// The plan lists the claim but would never show it false; that gap belongs in §7c with a
    /// reason, or a scenario should cite the claim.
    ///
    /// ## Example
    /// ```markdown
    /// | C3 | Failover completes in 15 s. | liveness | runbook | no |
    /// ```
    /// (and no `Falsifies if it FAILs: C3` anywhere)
    ///
    /// Use instead: cite C3 in a scenario, or add a §7c row explaining why it is not tested.
    pub static UNFALSIFIABLE_CLAIM = ("DST027", "unfalsifiable-claim", Warning, "no scenario can falsify a claim and §7c does not say why");
}

declare_rule! {
    /// ## What it does
    /// When hypotheses carry `Category:`, warns about hypothesis categories that no hypothesis
    /// covers and no `- N/A: <category> — <reason>` line in §4 excuses.
    ///
    /// ## Why is this bad?
    /// The eight categories are a checklist of the ways distributed systems fail; skipping one
    /// without saying so is how upgrade and configuration bugs escape.
    ///
    /// ## Example
    /// ```markdown
    /// H1. **Lost write** — …
    ///    - Category: durability
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - N/A: upgrade/rollback — the fleet is pinned to one version until 2027
    /// ```
    pub static HYPOTHESIS_CATEGORY_UNCOVERED = ("DST028", "hypothesis-category-uncovered", Warning, "a hypothesis category is neither covered nor marked N/A");
}

declare_rule! {
    /// ## What it does
    /// Checks that a hypothesis's `Category:` is one of the eight hypothesis categories.
    ///
    /// ## Why is this bad?
    /// Category coverage is computed from these values; an unknown one counts for nothing.
    ///
    /// ## Example
    /// ```markdown
    ///    - Category: networking
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    ///    - Category: partial failure
    /// ```
    pub static UNKNOWN_HYPOTHESIS_CATEGORY = ("DST029", "unknown-hypothesis-category", Error, "a hypothesis category is not in the vocabulary");
}

/// Place a reference at its text inside `within` when it can be found there: the kind letter
/// followed by exactly the number's digits.
fn locate(src: &str, r: &IdRef, within: Span) -> Span {
    let lo = within.start.min(src.len());
    let hi = within.end.min(src.len()).max(lo);
    // the number's digits, written into a stack buffer (a u32 has at most ten)
    const MAX_DIGITS: usize = 10;
    let mut digits = [0u8; MAX_DIGITS];
    let mut w = &mut digits[..];
    let _ = std::io::Write::write_fmt(&mut w, format_args!("{}", r.num));
    let written = MAX_DIGITS - w.len();
    let num = &digits[..written];
    if let (Some(slice), Ok(kind)) = (src.as_bytes().get(lo..hi), u8::try_from(r.kind)) {
        for at in memchr::memchr_iter(kind, slice) {
            let rest = &slice[at + 1..];
            if rest.starts_with(num) && rest.get(num.len()).is_none_or(|c| !c.is_ascii_digit()) {
                return Span::new(lo + at, lo + at + 1 + num.len());
            }
        }
    }
    Span::new(lo, hi.min(lo + 1).max(lo))
}

fn cell_refs(src: &str, t: &Table, col: &str, kinds: &str) -> Vec<IdRef> {
    let c = t.column(col);
    let mut out = Vec::new();
    for row in &t.rows {
        if let Some(cell) = t.cell(row, c) {
            for mut r in parse_refs(&cell.text, kinds, cell.span.start) {
                r.span = locate(src, &r, cell.span);
                out.push(r);
            }
        }
    }
    out
}

struct Defined<'p> {
    claims: HashSet<IdKey<'p>>,
    hypotheses: HashSet<IdKey<'p>>,
    scenarios: HashSet<IdKey<'p>>,
    /// Arm keys (`S5/api`); arms are few, and declared ones are parsed on demand.
    arms: HashSet<String>,
}

fn defined(plan: &Plan) -> Defined<'_> {
    let mut arms = HashSet::new();
    for s in &plan.scenarios {
        for a in s.declared_arms() {
            arms.insert(a.key());
        }
        for a in &s.arms {
            arms.insert(a.id.key());
        }
    }
    Defined {
        claims: plan.claims.iter().map(|c| c.id.id_key()).collect(),
        hypotheses: plan
            .hypotheses
            .iter()
            .filter_map(|h| h.id.as_ref().map(IdRef::id_key))
            .collect(),
        scenarios: plan.scenarios.iter().map(|s| s.id.id_key()).collect(),
        arms,
    }
}

fn resolve(d: &Defined, who: &str, r: &IdRef, out: &mut Sink) {
    let key = r.id_key();
    let (ok, what, section) = match r.kind {
        'C' => (d.claims.contains(&key), "claim", "§1b"),
        'H' => (d.hypotheses.contains(&key), "hypothesis", "§4"),
        'S' if r.arm.is_some() => (
            d.arms.contains(&r.key()),
            "scenario arm",
            "its scenario's `Scenario arms:`",
        ),
        'S' => (d.scenarios.contains(&key), "scenario", "§7"),
        _ => (true, "", ""),
    };
    if !ok {
        out.push(
            &UNKNOWN_REFERENCE,
            r.span,
            format!("{who} cites {what} {key}, which {section} does not define"),
            format!("add {key} to {section} or cite an existing {what}"),
        );
    }
    if r.leading_zero {
        out.push(
            &LEADING_ZERO_ID,
            r.span,
            format!("{who} writes {key} with a leading zero"),
            format!("write `{key}`"),
        );
    }
}

pub(super) fn check(cx: &Cx, out: &mut Sink) {
    let plan = cx.plan;
    let src = cx.src;
    let d = defined(plan);

    // well-formed and unique definitions
    let mut seen: HashMap<IdKey, Span> = HashMap::new();
    for c in &plan.claims {
        if c.id.kind == '?' {
            let raw = c.id.arm.clone().unwrap_or_default();
            out.push(
                &MALFORMED_ID,
                c.id.span,
                format!("§1b row ID `{}` is not of the form C<n>", raw.trim()),
                "number claims C1, C2, …",
            );
            continue;
        }
        if c.id.leading_zero {
            out.push(
                &LEADING_ZERO_ID,
                c.id.span,
                format!("claim {} is written with a leading zero", c.id.key()),
                format!("write `{}`", c.id.key()),
            );
        }
        dup(&mut seen, c.id.id_key(), c.id.span, "claim", out);
    }
    for m in &plan.missing_claims {
        dup(&mut seen, m.id.id_key(), m.id.span, "missing claim", out);
    }
    for h in &plan.hypotheses {
        if let Some(id) = &h.id {
            dup(&mut seen, id.id_key(), id.span, "hypothesis", out);
        }
    }
    for s in &plan.scenarios {
        dup(&mut seen, s.id.id_key(), s.span, "scenario", out);
        let declared = s.declared_arms();
        let mut arms: HashMap<IdKey, Span> = HashMap::new();
        for a in &declared {
            dup(&mut arms, a.id_key(), a.span, "arm", out);
        }
        let mut heads: HashMap<IdKey, Span> = HashMap::new();
        for a in &s.arms {
            dup(&mut heads, a.id.id_key(), a.span, "arm block", out);
        }
    }

    // references
    for h in &plan.hypotheses {
        let hid = h.id.as_ref().map_or_else(
            || "a hypothesis".into(),
            |i| format!("hypothesis {}", i.key()),
        );
        let refs = h
            .field("could falsify")
            .map(|f| field_refs(f, "C"))
            .unwrap_or_default();
        if refs.is_empty() {
            out.push(
                &HYPOTHESIS_WITHOUT_CLAIM,
                h.span,
                format!("{hid} cites no claim"),
                "add `- Could falsify: C<n>` naming the claims it could show false",
            );
        }
        let within = h.field("could falsify").map_or(h.span, |f| f.span);
        for mut r in refs {
            r.span = locate(src, &r, within);
            resolve(&d, &hid, &r, out);
        }
        if let Some(f) = h.field("category") {
            if vocab::lookup(vocab::HYPOTHESIS_CATEGORIES, &f.value).is_none()
                && !f.value.trim().is_empty()
                && !super::is_placeholder(&f.value)
            {
                out.push(
                    &UNKNOWN_HYPOTHESIS_CATEGORY,
                    f.span,
                    format!(
                        "{hid} has category `{}`, which is not a hypothesis category",
                        f.value.trim()
                    ),
                    format!(
                        "use one of: {}",
                        vocab::ids(vocab::HYPOTHESIS_CATEGORIES).join(", ")
                    ),
                );
            }
        }
    }
    for s in &plan.scenarios {
        let mut who = String::new();
        for (label, refs) in [
            ("falsifies if it fails", s.falsifies()),
            ("closes", s.closes()),
        ] {
            let Some(f) = s.field(label) else { continue };
            for r in refs {
                if who.is_empty() {
                    who = format!("scenario {}", s.id.key());
                }
                let mut r = r.clone();
                r.span = locate(src, &r, f.span);
                resolve(&d, &who, &r, out);
            }
        }
    }
    if let Some(t) = &plan.coverage_table {
        for r in cell_refs(src, t, "claim", "C")
            .into_iter()
            .chain(cell_refs(src, t, "hypothesis", "H"))
            .chain(cell_refs(src, t, "recommended scenario", "S"))
        {
            resolve(&d, "a §5 row", &r, out);
        }
    }
    for t in &plan.techniques {
        if let Some(f) = t.field("hypotheses it addresses") {
            for mut r in field_refs(f, "H") {
                r.span = locate(src, &r, f.span);
                resolve(
                    &d,
                    &format!("technique `{}`", t.name.text.trim_matches('`')),
                    &r,
                    out,
                );
            }
        }
    }
    if let Some(t) = &plan.environment_table {
        for r in cell_refs(src, t, "used by scenarios", "S") {
            resolve(&d, "a §6b row", &r, out);
        }
    }
    if let Some(t) = &plan.adequacy_table {
        for r in cell_refs(src, t, "claim", "C").into_iter().chain(cell_refs(
            src,
            t,
            "scenarios that exercise",
            "S",
        )) {
            resolve(&d, "a §7b row", &r, out);
        }
        let rows = cell_refs(src, t, "claim", "C");
        let covered: HashSet<IdKey> = rows.iter().map(IdRef::id_key).collect();
        for c in &plan.claims {
            if c.id.kind == 'C' && !covered.contains(&c.id.id_key()) {
                out.push(&CLAIM_WITHOUT_ADEQUACY_ROW, c.span, format!("claim {} has no row in the §7b adequacy table", c.id.key()), format!("add a §7b row for {} naming its threats and the scenarios that exercise them", c.id.key()));
            }
        }
    }
    if let Some(t) = &plan.confidence_table {
        for r in cell_refs(src, t, "claim", "C") {
            resolve(&d, "a §7d row", &r, out);
        }
    }

    // hypotheses closed or deferred
    let closed: HashSet<IdKey> = plan
        .scenarios
        .iter()
        .flat_map(|s| s.closes().iter())
        .map(IdRef::id_key)
        .collect();
    let deferred_text = [plan.text_of("7c"), plan.text_of("8"), plan.text_of("9")].join("\n");
    let deferred_refs = parse_refs(&deferred_text, "H", 0);
    let deferred: HashSet<IdKey> = deferred_refs.iter().map(IdRef::id_key).collect();
    for h in &plan.hypotheses {
        if let Some(id) = &h.id {
            let k = id.id_key();
            if !closed.contains(&k) && !deferred.contains(&k) {
                out.push(&HYPOTHESIS_NOT_CLOSED, id.span, format!("hypothesis {k} is closed by no scenario and not named in §7c, §8 or §9"), format!("add {k} to a scenario's `Closes:`, or say in §7c, §8 or §9 why it stays open"));
            }
        }
    }

    // claims nobody can falsify
    let falsified: HashSet<IdKey> = plan
        .scenarios
        .iter()
        .flat_map(|s| s.falsifies().iter())
        .map(IdRef::id_key)
        .collect();
    let residual_refs = parse_refs(&plan.text_of("7c"), "C", 0);
    let residual: HashSet<IdKey> = residual_refs.iter().map(IdRef::id_key).collect();
    for c in &plan.claims {
        let k = c.id.id_key();
        if c.id.kind == 'C' && !falsified.contains(&k) && !residual.contains(&k) {
            out.push(&UNFALSIFIABLE_CLAIM, c.span, format!("no scenario can falsify claim {k}, and §7c does not mention it"), format!("cite {k} in a scenario's `Falsifies if it FAILs:`, or add a §7c row saying why it is not tested"));
        }
    }

    // hypothesis categories
    let cats: Vec<&'static str> = plan
        .hypotheses
        .iter()
        .filter_map(|h| h.field("category"))
        .filter_map(|f| vocab::lookup(vocab::HYPOTHESIS_CATEGORIES, &f.value))
        .collect();
    if plan
        .hypotheses
        .iter()
        .any(|h| h.field("category").is_some())
    {
        let na: Vec<String> = plan
            .hypothesis_na
            .iter()
            .map(|n| vocab::normalise(&n.text))
            .collect();
        let anchor = plan.section("4").map_or(Span::new(0, 0), |s| s.span);
        for t in vocab::HYPOTHESIS_CATEGORIES {
            let norm = vocab::normalise(t.id);
            if !cats.contains(&t.id) && !na.iter().any(|n| n.starts_with(&norm)) {
                out.push(
                    &HYPOTHESIS_CATEGORY_UNCOVERED,
                    anchor,
                    format!(
                        "no hypothesis covers category `{}` and §4 does not mark it N/A",
                        t.id
                    ),
                    format!(
                        "add a hypothesis with `Category: {}` or a line `- N/A: {} — <reason>`",
                        t.id, t.id
                    ),
                );
            }
        }
    }
}

fn dup<'p>(
    seen: &mut HashMap<IdKey<'p>, Span>,
    key: IdKey<'p>,
    span: Span,
    what: &str,
    out: &mut Sink,
) {
    if let std::collections::hash_map::Entry::Vacant(e) = seen.entry(key) {
        e.insert(span);
    } else {
        out.push(
            &DUPLICATE_ID,
            span,
            format!("{what} {key} is defined more than once"),
            format!("give this {what} a new ID; {key} is taken"),
        );
    }
}
