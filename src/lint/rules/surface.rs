//! DST05x: §7.M.S surface decomposition of boundary and fairness scenarios, and arms.

use super::{is_placeholder, is_surface, Cx, Sink};
use crate::declare_rule;
use crate::lint::Rule;

pub(super) const RULES: &[&Rule] = &[
    &MISSING_SURFACE_BLOCK,
    &MISSING_SURFACE_FIELD,
    &TOO_FEW_SURFACES,
    &UNDECLARED_ARM,
    &FAIRNESS_WITHOUT_THRESHOLD,
    &ARM_WITHOUT_ORACLE,
];

/// The §7.M.S labels.
pub const SURFACE_LABELS: &[(&str, &str)] = &[
    ("surfaces", "Surfaces"),
    ("operations", "Operations"),
    ("adversarial inputs", "Adversarial inputs"),
    ("positive controls", "Positive controls"),
    ("negative controls", "Negative controls"),
    ("delayed / async paths", "Delayed / async paths"),
    ("observability paths", "Observability paths"),
    ("scenario arms", "Scenario arms"),
];

declare_rule! {
    /// ## What it does
    /// Checks that a scenario falsifying a `boundary` or `fairness` claim carries a
    /// `#### §7.M.S — Surface decomposition` block.
    ///
    /// ## Why is this bad?
    /// Access boundaries leak through the surface nobody listed: the admin API, the export
    /// job, the replica promoted after failover. Decomposing the surfaces is what makes a
    /// boundary PASS mean something.
    ///
    /// ## Example
    /// ```markdown
    /// ### Scenario S4: tenants_cannot_read_each_other
    /// - **Falsifies if it FAILs:** C5
    /// ```
    /// (C5 is `boundary`, and no §7.M.S block follows)
    ///
    /// Use instead: add `#### §7.M.S — Surface decomposition` with its eight bullets.
    pub static MISSING_SURFACE_BLOCK = ("DST050", "missing-surface-block", Error, "a boundary or fairness scenario has no §7.M.S block");
}

declare_rule! {
    /// ## What it does
    /// Checks that a §7.M.S block has `Surfaces`, `Operations`, `Adversarial inputs`,
    /// `Positive controls`, `Negative controls`, `Delayed / async paths`, `Observability paths`
    /// and `Scenario arms`, each non-empty.
    ///
    /// ## Why is this bad?
    /// Without positive controls a runner that fails every call passes; without negative
    /// controls a blind oracle passes; without delayed paths, asynchronous leaks go unseen.
    ///
    /// ## Example
    /// ```markdown
    /// #### §7.M.S — Surface decomposition
    /// - **Surfaces:** REST API, gRPC API, export job
    /// ```
    ///
    /// Use instead: write all eight bullets.
    pub static MISSING_SURFACE_FIELD = ("DST051", "missing-surface-field", Error, "a §7.M.S block lacks one of its fields");
}

declare_rule! {
    /// ## What it does
    /// Warns when `Surfaces:` lists fewer than three surfaces and gives no reason.
    ///
    /// ## Why is this bad?
    /// Real boundaries have more entry points than the obvious one; two surfaces usually mean
    /// the decomposition stopped early.
    ///
    /// ## Example
    /// ```markdown
    /// - **Surfaces:** REST API
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Surfaces:** REST API, gRPC API, nightly export, admin console
    /// ```
    pub static TOO_FEW_SURFACES = ("DST052", "too-few-surfaces", Warning, "fewer than three surfaces without a reason");
}

declare_rule! {
    /// ## What it does
    /// Checks arm IDs: `Scenario arms:` names at least one `S<n>/<arm>` of this scenario, and
    /// every `##### Arm S<n>/<arm>` heading is one of them.
    ///
    /// ## Why is this bad?
    /// Every arm is executed, logged and given a verdict on its own; an arm block that was
    /// never declared is never run, and an arm of another scenario breaks the roll-up.
    ///
    /// ## Example
    /// ```markdown
    /// - **Scenario arms:** S5/api, S5/export
    /// ##### Arm S5/admin
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Scenario arms:** S5/api, S5/export, S5/admin
    /// ##### Arm S5/admin
    /// ```
    pub static UNDECLARED_ARM = ("DST053", "undeclared-arm", Error, "an arm is not declared in its scenario's `Scenario arms:`");
}

declare_rule! {
    /// ## What it does
    /// Warns when a fairness scenario's oracle states no per-group formula with a threshold.
    ///
    /// ## Why is this bad?
    /// "Tenants are treated fairly" cannot fail; "each tenant's p99 stays within 1.5× of its
    /// solo baseline" can.
    ///
    /// ## Example
    /// ```markdown
    /// - **Oracle:** no tenant is starved
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Oracle:** for every tenant, p99 under load ≤ 1.5 × its solo p99 and throughput ≥ 0.8 × its fair share
    /// ```
    pub static FAIRNESS_WITHOUT_THRESHOLD = ("DST054", "fairness-without-threshold", Warning, "a fairness oracle has no per-group threshold");
}

declare_rule! {
    /// ## What it does
    /// Checks that an `##### Arm S<n>/<arm>` block has its own `Oracle:` bullet.
    ///
    /// ## Why is this bad?
    /// An arm gets its own block only when it needs its own oracle or model; without one, the
    /// block says nothing the scenario did not.
    ///
    /// ## Example
    /// ```markdown
    /// ##### Arm S5/promoted
    /// ###### §7.M — Model / history / checker discipline
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// ##### Arm S5/promoted
    /// - **Oracle:** the decision table after failover equals the one before, cell for cell
    /// ```
    pub static ARM_WITHOUT_ORACLE = ("DST055", "arm-without-oracle", Error, "an arm block has no `Oracle:`");
}

pub(super) fn check(cx: &Cx, out: &mut Sink) {
    let plan = cx.plan;
    for s in &plan.scenarios {
        let id = s.id.key();
        let gated = is_surface(s);
        match &s.surface {
            None if gated && s.surface_na.is_none() => out.push(&MISSING_SURFACE_BLOCK, s.span, format!("scenario {id} falsifies a boundary or fairness claim but has no §7.M.S block"), "add `#### §7.M.S — Surface decomposition` with its eight bullets and the scenario arms"),
            Some(b) => {
                for (label, display) in SURFACE_LABELS {
                    match b.field(label) {
                        None => out.push(&MISSING_SURFACE_FIELD, b.span, format!("scenario {id}'s §7.M.S has no `{display}:`"), format!("add `- **{display}:** …` to the §7.M.S block")),
                        Some(f) if f.value.trim().is_empty() && f.children().is_empty() => out.push(&MISSING_SURFACE_FIELD, f.span, format!("scenario {id}'s §7.M.S `{display}:` is empty"), format!("fill in `{display}`")),
                        _ => {}
                    }
                }
                if let Some(f) = b.field("surfaces") {
                    let v = f.value.to_lowercase();
                    let n = if f.children().is_empty() { v.split([',', ';']).filter(|p| !p.trim().is_empty()).count() } else { f.children().len() };
                    if n < 3 && !is_placeholder(&v) && !v.contains("because") && !v.contains("only") && !v.is_empty() {
                        out.push(&TOO_FEW_SURFACES, f.span, format!("scenario {id} lists {n} surface(s) and no reason for so few"), "list at least three surfaces, or say why the boundary has fewer entry points");
                    }
                }
                if let Some(f) = b.field("scenario arms") {
                    let declared = s.declared_arms();
                    if declared.is_empty() && !is_placeholder(&f.value) {
                        out.push(&UNDECLARED_ARM, f.span, format!("scenario {id}'s `Scenario arms:` names no arm ID"), format!("name each arm as `{id}/<arm>` (lowercase letters, digits, `-`)"));
                    }
                    for a in &declared {
                        if a.base_key() != id {
                            out.push(&UNDECLARED_ARM, a.span, format!("scenario {id} declares arm {}, which belongs to scenario {}", a.key(), a.base_key()), format!("name the arm `{id}/{}`", a.arm.clone().unwrap_or_default()));
                        }
                    }
                }
            }
            _ => {}
        }
        let declared: Vec<String> = s.declared_arms().iter().map(|a| a.key()).collect();
        for a in &s.arms {
            if !declared.contains(&a.id.key()) {
                out.push(
                    &UNDECLARED_ARM,
                    a.span,
                    format!(
                        "arm {} has a block but is not listed in scenario {id}'s `Scenario arms:`",
                        a.id.key()
                    ),
                    format!("add {} to `Scenario arms:` in the §7.M.S block", a.id.key()),
                );
            }
            if a.field("oracle").is_none_or(|f| f.value.trim().is_empty()) {
                out.push(&ARM_WITHOUT_ORACLE, a.span, format!("arm {} has no `Oracle:`", a.id.key()), "give the arm its own `- **Oracle:** …` bullet, or drop the block and let it share the scenario's");
            }
        }
        if s.categories.contains(&"fairness") {
            if let Some(f) = s.field("oracle") {
                let has_number = f.value.chars().any(|c| c.is_ascii_digit());
                let has_cmp = [
                    "≤", "<", ">", "≥", "within", "at most", "at least", "ratio", "×",
                ]
                .iter()
                .any(|p| f.value.contains(p));
                if !(is_placeholder(&f.value) || has_number && has_cmp) {
                    out.push(&FAIRNESS_WITHOUT_THRESHOLD, f.span, format!("scenario {id}'s fairness oracle states no per-group formula with a threshold"), "state the formula per group and its bound, e.g. `p99(tenant) ≤ 1.5 × solo p99(tenant)`");
                }
            }
        }
    }
}
