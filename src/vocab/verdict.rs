//! Verdicts, the decision tree that derives one from recorded facts, the caps that lower it,
//! and the arm roll-up (`vocabulary.md`, "Verdicts"); the roll-ups that also weigh blame
//! (headline, claim standing, coverage) are in `standing.rs`.
//!
//! Everything here is a pure function of its inputs, so the report, the skills' reference page
//! and the tests all agree on one reading of the rules.

use std::fmt;

/// The ten verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    PassSmoke,
    PassHardening,
    FailReproducible,
    FailNondeterministic,
    InconclusiveEnv,
    InconclusiveOracleTooWeak,
    InconclusiveFaultNotProven,
    PartialSurface,
    PartialModel,
    NotRun,
}

impl Verdict {
    /// All verdicts in the vocabulary page's order.
    pub const ALL: [Verdict; 10] = [
        Verdict::PassSmoke,
        Verdict::PassHardening,
        Verdict::FailReproducible,
        Verdict::FailNondeterministic,
        Verdict::InconclusiveEnv,
        Verdict::InconclusiveOracleTooWeak,
        Verdict::InconclusiveFaultNotProven,
        Verdict::PartialSurface,
        Verdict::PartialModel,
        Verdict::NotRun,
    ];

    /// Canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::PassSmoke => "PASS-smoke",
            Verdict::PassHardening => "PASS-hardening",
            Verdict::FailReproducible => "FAIL-reproducible",
            Verdict::FailNondeterministic => "FAIL-nondeterministic",
            Verdict::InconclusiveEnv => "INCONCLUSIVE-env",
            Verdict::InconclusiveOracleTooWeak => "INCONCLUSIVE-oracle-too-weak",
            Verdict::InconclusiveFaultNotProven => "INCONCLUSIVE-fault-not-proven",
            Verdict::PartialSurface => "PARTIAL-surface",
            Verdict::PartialModel => "PARTIAL-model",
            Verdict::NotRun => "NOT-RUN",
        }
    }

    /// Parse a verdict, case-insensitively.
    pub fn parse(s: &str) -> Option<Verdict> {
        let s = s.trim();
        Verdict::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }

    /// `PASS-*`.
    pub fn is_pass(self) -> bool {
        matches!(self, Verdict::PassSmoke | Verdict::PassHardening)
    }

    /// `FAIL-*`.
    pub fn is_fail(self) -> bool {
        matches!(
            self,
            Verdict::FailReproducible | Verdict::FailNondeterministic
        )
    }

    /// `INCONCLUSIVE-*`.
    pub fn is_inconclusive(self) -> bool {
        matches!(
            self,
            Verdict::InconclusiveEnv
                | Verdict::InconclusiveOracleTooWeak
                | Verdict::InconclusiveFaultNotProven
        )
    }

    /// `PARTIAL-*`.
    pub fn is_partial(self) -> bool {
        matches!(self, Verdict::PartialSurface | Verdict::PartialModel)
    }

    /// Position on the strength scale (higher is stronger). `None` for FAIL-*, which is not on
    /// the scale: a violation is judged by its own rule.
    pub fn strength(self) -> Option<u8> {
        match self {
            Verdict::PassHardening => Some(6),
            Verdict::PassSmoke => Some(5),
            Verdict::PartialModel => Some(4),
            Verdict::PartialSurface => Some(3),
            Verdict::InconclusiveOracleTooWeak
            | Verdict::InconclusiveFaultNotProven
            | Verdict::InconclusiveEnv => Some(2),
            Verdict::NotRun => Some(1),
            Verdict::FailReproducible | Verdict::FailNondeterministic => None,
        }
    }

    /// Lower `self` to `cap` when `self` is stronger. FAIL-* is never capped.
    pub fn capped(self, cap: Verdict) -> Verdict {
        match (self.strength(), cap.strength()) {
            (Some(a), Some(b)) if a > b => cap,
            _ => self,
        }
    }

    /// The strength order, stronger first, as the vocabulary page writes it.
    pub fn strength_order() -> &'static str {
        "PASS-hardening > PASS-smoke > PARTIAL-model > PARTIAL-surface > INCONCLUSIVE-oracle-too-weak = INCONCLUSIVE-fault-not-proven = INCONCLUSIVE-env > NOT-RUN"
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checker coverage recorded in a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    Full,
    Subset,
    None,
}

impl Coverage {
    /// Parse `full | subset | none`.
    pub fn parse(s: &str) -> Option<Coverage> {
        match s.trim().to_ascii_lowercase().as_str() {
            "full" => Some(Coverage::Full),
            "subset" => Some(Coverage::Subset),
            "none" => Some(Coverage::None),
            _ => None,
        }
    }
}

/// The decision-tree inputs of a finding, as observed. `None` means "not known" and never
/// supports a PASS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    pub attempted: Option<bool>,
    pub env_ok: Option<bool>,
    pub violation: Option<bool>,
    pub reproduced: Option<bool>,
    pub fault_planned: Option<bool>,
    pub fault_landed: Option<bool>,
    pub checker_ran: Option<bool>,
    pub history_complete: Option<bool>,
    pub checker_coverage: Option<Coverage>,
}

/// What besides the facts bounds a verdict.
#[derive(Debug, Clone, Default)]
pub struct VerdictContext {
    /// §7.M applies to the scenario (a gated claim, or arms).
    pub serious: bool,
    /// The budget tier recorded in the finding (`probe | smoke | hardening | release | none`).
    pub budget_tier: Option<String>,
    /// Green-but-broken items answered `no`.
    pub green_but_broken_no: Vec<String>,
    /// Weak-oracle items answered `no`.
    pub weak_oracle_no: Vec<String>,
}

/// A derived verdict with the reason for each step that decided or lowered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derivation {
    pub verdict: Verdict,
    pub reasons: Vec<String>,
}

/// Facts that contradict each other; each is an error in a finding.
pub fn contradictions(f: &Facts) -> Vec<&'static str> {
    let mut out = Vec::new();
    if f.violation == Some(true) && f.attempted == Some(false) {
        out.push("`violation: true` with `attempted: false`: nothing that was not attempted can show a violation");
    }
    if f.checker_ran == Some(false) && f.checker_coverage == Some(Coverage::Full) {
        out.push("`checker_ran: false` with `checker_coverage: full`: a checker that did not run covered nothing");
    }
    if f.reproduced.is_some() && f.violation != Some(true) {
        out.push(
            "`reproduced` is set while `violation` is not true: only a violation can be reproduced",
        );
    }
    if f.fault_landed == Some(true) && f.fault_planned == Some(false) {
        out.push("`fault_landed: true` with `fault_planned: false`: a fault that was not planned cannot have landed");
    }
    out
}

/// Derive the strongest verdict the facts allow: the decision tree, then the caps.
pub fn derive(f: &Facts, cx: &VerdictContext) -> Derivation {
    let mut reasons = Vec::new();
    let tree = decide(f, cx, &mut reasons);
    let mut v = tree;
    if v.is_fail() {
        return Derivation {
            verdict: v,
            reasons,
        };
    }
    match cx
        .budget_tier
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("smoke") => {
            if v.capped(Verdict::PassSmoke) != v {
                reasons.push("budget tier `smoke` caps the verdict at PASS-smoke".into());
            }
            v = v.capped(Verdict::PassSmoke);
        }
        Some("probe") => {
            if v.capped(Verdict::PartialModel) != v {
                reasons.push(
                    "budget tier `probe` (below the smoke budget) caps the verdict at PARTIAL-model: the checker saw only part of the planned workload".into(),
                );
            }
            v = v.capped(Verdict::PartialModel);
        }
        Some("none") => {
            if v.capped(Verdict::InconclusiveEnv) != v {
                reasons
                    .push("budget tier `none` goes only with NOT-RUN and INCONCLUSIVE-env".into());
            }
            v = v.capped(Verdict::InconclusiveEnv);
        }
        Some("hardening") | Some("release") => {}
        _ => {
            if v.is_pass() {
                reasons.push("no budget tier recorded, so no PASS is supported".into());
                v = v.capped(Verdict::PartialSurface);
            }
        }
    }
    for item in &cx.green_but_broken_no {
        let cap = if item == "fault-injected" || item == "fault-not-noop" {
            Verdict::InconclusiveFaultNotProven
        } else {
            Verdict::PartialSurface
        };
        if v.capped(cap) != v {
            reasons.push(format!(
                "green-but-broken audit `{item}: no` caps the verdict at {cap}"
            ));
        }
        v = v.capped(cap);
    }
    if cx.serious {
        if let Some(item) = cx.weak_oracle_no.first() {
            if v.capped(Verdict::PartialModel) != v {
                reasons.push(format!(
                    "weak-oracle audit `{item}: no` on a serious scenario caps the verdict at PARTIAL-model"
                ));
            }
            v = v.capped(Verdict::PartialModel);
        }
    }
    Derivation {
        verdict: v,
        reasons,
    }
}

fn decide(f: &Facts, cx: &VerdictContext, reasons: &mut Vec<String>) -> Verdict {
    if f.attempted != Some(true) {
        reasons.push(format!("`attempted` is {}", show(f.attempted)));
        return Verdict::NotRun;
    }
    if f.env_ok == Some(false) {
        reasons.push("`env_ok: false`: a required capability was missing".into());
        return Verdict::InconclusiveEnv;
    }
    if f.violation == Some(true) {
        return if f.reproduced == Some(true) {
            Verdict::FailReproducible
        } else {
            reasons.push(format!(
                "violation observed, `reproduced` is {}",
                show(f.reproduced)
            ));
            Verdict::FailNondeterministic
        };
    }
    if f.env_ok != Some(true) {
        reasons.push("`env_ok` is null: an unknown environment supports no PASS".into());
        return Verdict::InconclusiveEnv;
    }
    if f.violation != Some(false) {
        reasons.push("`violation` is null: the oracle gave no answer".into());
        return Verdict::InconclusiveOracleTooWeak;
    }
    match f.fault_planned {
        Some(true) if f.fault_landed != Some(true) => {
            reasons.push(format!(
                "a fault was planned but `fault_landed` is {}",
                show(f.fault_landed)
            ));
            return Verdict::InconclusiveFaultNotProven;
        }
        None => {
            reasons.push("`fault_planned` is null: whether a fault had to land is unknown".into());
            return Verdict::InconclusiveFaultNotProven;
        }
        _ => {}
    }
    if cx.serious {
        if f.checker_ran != Some(true) {
            reasons.push(format!(
                "serious scenario: `checker_ran` is {}",
                show(f.checker_ran)
            ));
            return Verdict::PartialSurface;
        }
        if f.history_complete != Some(true) {
            reasons.push(format!(
                "serious scenario: `history_complete` is {}",
                show(f.history_complete)
            ));
            return Verdict::InconclusiveOracleTooWeak;
        }
        if f.checker_coverage != Some(Coverage::Full) {
            reasons.push("serious scenario: the checker did not cover every operation".into());
            return Verdict::PartialModel;
        }
    }
    if f.fault_planned == Some(true) && f.fault_landed == Some(true) {
        Verdict::PassHardening
    } else {
        Verdict::PassSmoke
    }
}

fn show(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "true",
        Some(false) => "false",
        None => "null",
    }
}

/// Judge a recorded verdict against the facts. `Ok(())` when the recorded verdict is allowed;
/// otherwise a message naming the verdict the facts support.
pub fn judge(recorded: Verdict, facts: &Facts, derived: &Derivation) -> Result<(), String> {
    if facts.violation == Some(true) {
        if !recorded.is_fail() {
            return Err(format!(
                "a violation was observed, so the verdict must be FAIL-*; the facts support {}",
                derived.verdict
            ));
        }
        if recorded == Verdict::FailReproducible && facts.reproduced != Some(true) {
            return Err(
                "FAIL-reproducible needs `reproduced: true`; the facts support FAIL-nondeterministic"
                    .into(),
            );
        }
        return Ok(());
    }
    if recorded.is_fail() {
        return Err(format!(
            "{recorded} needs `violation: true`; the facts support {}",
            derived.verdict
        ));
    }
    match (recorded.strength(), derived.verdict.strength()) {
        (Some(r), Some(d)) if r > d => {
            let why = if derived.reasons.is_empty() {
                String::new()
            } else {
                format!(" ({})", derived.reasons.join("; "))
            };
            Err(format!(
                "recorded {recorded} is stronger than the facts allow; they support {}{why}",
                derived.verdict
            ))
        }
        _ => Ok(()),
    }
}

/// Roll arm verdicts up into their scenario: any FAIL-* makes it FAIL-*; all PASS gives the
/// weakest PASS; some PASS and some not gives PARTIAL-surface; no PASS gives the weakest arm.
pub fn roll_up(arms: &[Verdict]) -> Verdict {
    if arms.is_empty() {
        return Verdict::NotRun;
    }
    if arms.contains(&Verdict::FailReproducible) {
        return Verdict::FailReproducible;
    }
    if arms.contains(&Verdict::FailNondeterministic) {
        return Verdict::FailNondeterministic;
    }
    let weakest = *arms
        .iter()
        .min_by_key(|v| v.strength().unwrap_or(0))
        .expect("non-empty");
    if arms.iter().all(|v| v.is_pass()) {
        weakest
    } else if arms.iter().any(|v| v.is_pass()) {
        Verdict::PartialSurface
    } else {
        weakest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass_facts() -> Facts {
        Facts {
            attempted: Some(true),
            env_ok: Some(true),
            violation: Some(false),
            reproduced: None,
            fault_planned: Some(true),
            fault_landed: Some(true),
            checker_ran: Some(true),
            history_complete: Some(true),
            checker_coverage: Some(Coverage::Full),
        }
    }

    fn cx(serious: bool, tier: &str) -> VerdictContext {
        VerdictContext {
            serious,
            budget_tier: Some(tier.into()),
            ..Default::default()
        }
    }

    #[test]
    fn tree_follows_the_documented_order() {
        let f = pass_facts();
        assert_eq!(
            derive(&f, &cx(true, "hardening")).verdict,
            Verdict::PassHardening
        );
        assert_eq!(derive(&f, &cx(true, "smoke")).verdict, Verdict::PassSmoke);
        let landed_false = Facts {
            fault_landed: Some(false),
            ..f
        };
        assert_eq!(
            derive(&landed_false, &cx(true, "hardening")).verdict,
            Verdict::InconclusiveFaultNotProven
        );
        let no_checker = Facts {
            checker_ran: Some(false),
            checker_coverage: None,
            ..f
        };
        assert_eq!(
            derive(&no_checker, &cx(true, "hardening")).verdict,
            Verdict::PartialSurface
        );
        // a non-serious scenario does not need a checker
        assert_eq!(
            derive(&no_checker, &cx(false, "hardening")).verdict,
            Verdict::PassHardening
        );
        let subset = Facts {
            checker_coverage: Some(Coverage::Subset),
            ..f
        };
        assert_eq!(
            derive(&subset, &cx(true, "hardening")).verdict,
            Verdict::PartialModel
        );
        let violation = Facts {
            violation: Some(true),
            reproduced: Some(true),
            ..f
        };
        assert_eq!(
            derive(&violation, &cx(true, "smoke")).verdict,
            Verdict::FailReproducible
        );
        let not_run = Facts {
            attempted: Some(false),
            ..Facts::default()
        };
        assert_eq!(derive(&not_run, &cx(true, "none")).verdict, Verdict::NotRun);
    }

    #[test]
    fn caps_lower_and_never_raise() {
        let f = pass_facts();
        let mut c = cx(true, "hardening");
        c.green_but_broken_no = vec!["fault-not-noop".into()];
        assert_eq!(derive(&f, &c).verdict, Verdict::InconclusiveFaultNotProven);
        c.green_but_broken_no = vec!["duration-met".into()];
        assert_eq!(derive(&f, &c).verdict, Verdict::PartialSurface);
        let mut c = cx(true, "hardening");
        c.weak_oracle_no = vec!["three-seeds".into()];
        assert_eq!(derive(&f, &c).verdict, Verdict::PartialModel);
        // a run below the smoke budget: at most PARTIAL-model, and a FAIL stays a FAIL
        assert_eq!(
            derive(&f, &cx(false, "probe")).verdict,
            Verdict::PartialModel
        );
        let violation = Facts {
            violation: Some(true),
            reproduced: Some(false),
            ..f
        };
        assert_eq!(
            derive(&violation, &cx(false, "probe")).verdict,
            Verdict::FailNondeterministic
        );
    }

    #[test]
    fn judge_rejects_stronger_and_accepts_humbler() {
        let f = Facts {
            fault_landed: Some(false),
            ..pass_facts()
        };
        let d = derive(&f, &cx(true, "hardening"));
        let err = judge(Verdict::PassHardening, &f, &d).unwrap_err();
        assert!(err.contains("INCONCLUSIVE-fault-not-proven"), "{err}");
        assert!(judge(Verdict::NotRun, &f, &d).is_ok());
        let v = Facts {
            violation: Some(true),
            reproduced: Some(false),
            ..pass_facts()
        };
        let d = derive(&v, &cx(true, "hardening"));
        assert!(judge(Verdict::PassSmoke, &v, &d).is_err());
        assert!(judge(Verdict::FailReproducible, &v, &d).is_err());
        assert!(judge(Verdict::FailNondeterministic, &v, &d).is_ok());
    }

    #[test]
    fn roll_up_takes_the_weakest_arm() {
        use Verdict::*;
        assert_eq!(roll_up(&[PassHardening, PassSmoke]), PassSmoke);
        assert_eq!(roll_up(&[PassHardening, NotRun]), PartialSurface);
        assert_eq!(
            roll_up(&[PassHardening, FailNondeterministic]),
            FailNondeterministic
        );
        assert_eq!(roll_up(&[NotRun, InconclusiveEnv]), NotRun);
    }
}
