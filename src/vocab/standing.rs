//! The roll-ups that weigh blame as well as verdicts (`vocabulary.md`, "Session headline",
//! "Claim standing", "Hypothesis coverage"): a FAIL blamed on the harness, the checker or the
//! environment says the test broke, not the system, so it never makes the headline FAIL,
//! never falsifies a claim, and never exercises a hypothesis.

use std::fmt;

use super::Verdict;

/// Who must act on a FAIL (`failure.blame`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Blame {
    Sut,
    Harness,
    Checker,
    Environment,
    /// `unknown — pending re-run …`, and also a missing or unrecognised blame: the honest
    /// reading of "not said" is "not known".
    Unknown,
}

impl Blame {
    /// Read a recorded blame; anything not in the list (or absent) is [`Blame::Unknown`].
    pub fn parse(s: Option<&str>) -> Blame {
        let Some(s) = s else { return Blame::Unknown };
        match s.trim().to_ascii_lowercase().as_str() {
            "sut" => Blame::Sut,
            "harness" => Blame::Harness,
            "checker" => Blame::Checker,
            "environment" => Blame::Environment,
            _ => Blame::Unknown,
        }
    }

    /// Canonical short spelling (`unknown` for the interim value).
    pub fn as_str(self) -> &'static str {
        match self {
            Blame::Sut => "SUT",
            Blame::Harness => "harness",
            Blame::Checker => "checker",
            Blame::Environment => "environment",
            Blame::Unknown => "unknown",
        }
    }

    /// The test broke, not the system: harness, checker or environment.
    pub fn is_test_fault(self) -> bool {
        matches!(self, Blame::Harness | Blame::Checker | Blame::Environment)
    }
}

impl fmt::Display for Blame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scenario's derived verdict and, for a FAIL-*, who is blamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub verdict: Verdict,
    /// Read only when the verdict is FAIL-*.
    pub blame: Blame,
}

impl Outcome {
    /// A non-FAIL outcome (blame is not read).
    pub fn of(verdict: Verdict) -> Outcome {
        Outcome {
            verdict,
            blame: Blame::Unknown,
        }
    }

    /// A FAIL-* that counts against the system: blamed on the SUT or not yet known.
    pub fn is_system_fail(self) -> bool {
        self.verdict.is_fail() && !self.blame.is_test_fault()
    }

    /// A FAIL-* blamed on the harness, the checker or the environment: no evidence either way.
    pub fn is_test_fail(self) -> bool {
        self.verdict.is_fail() && self.blame.is_test_fault()
    }
}

/// The session headline from the scenarios' outcomes (arms already rolled up), first match
/// wins.
pub fn headline(outcomes: &[Outcome]) -> &'static str {
    let pass = |o: &Outcome| o.verdict.is_pass();
    if outcomes.iter().any(|o| o.is_system_fail()) {
        "FAIL"
    } else if !outcomes.is_empty() && outcomes.iter().all(pass) {
        "DONE"
    } else if outcomes.iter().any(pass) || outcomes.iter().any(|o| o.is_test_fail()) {
        "DONE_WITH_CONCERNS"
    } else if outcomes
        .iter()
        .any(|o| o.verdict.is_inconclusive() || o.verdict.is_partial())
    {
        "INCONCLUSIVE"
    } else {
        "BLOCKED"
    }
}

/// A claim's standing from the outcomes of the scenarios that cite it. A FAIL blamed on the
/// harness, checker or environment counts like NOT-RUN (the report names it beside the
/// standing).
pub fn claim_standing(outcomes: &[Outcome]) -> &'static str {
    let pass = |o: &Outcome| o.verdict.is_pass();
    if outcomes
        .iter()
        .any(|o| o.verdict.is_fail() && o.blame == Blame::Sut)
    {
        "falsified"
    } else if outcomes.iter().any(|o| o.is_system_fail()) {
        "in doubt"
    } else if !outcomes.is_empty() && outcomes.iter().all(pass) {
        "held under tested threats"
    } else if outcomes.iter().any(pass) {
        "partially tested"
    } else {
        "untested"
    }
}

/// Whether a scenario that closes a hypothesis exercised it: `Ok` when it actually ran its
/// fault against the SUT (a PASS-*, a PARTIAL-*, or a FAIL-* blamed on the SUT or unknown),
/// else `Err` with why not (`fault not proven`, `harness failure`, `not run`, …).
pub fn exercised(o: Outcome) -> Result<(), &'static str> {
    let v = o.verdict;
    if v.is_pass() || v.is_partial() || o.is_system_fail() {
        return Ok(());
    }
    Err(match v {
        Verdict::InconclusiveFaultNotProven => "fault not proven",
        Verdict::InconclusiveOracleTooWeak => "oracle too weak",
        Verdict::InconclusiveEnv => "not run (environment)",
        Verdict::NotRun => "not run",
        _ => match o.blame {
            Blame::Harness => "harness failure",
            Blame::Checker => "checker failure",
            _ => "environment failure",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Verdict::*;

    fn fail(b: Blame) -> Outcome {
        Outcome {
            verdict: FailReproducible,
            blame: b,
        }
    }

    #[test]
    fn headline_counts_only_system_fails() {
        let o = Outcome::of;
        assert_eq!(headline(&[o(PassSmoke), o(PassHardening)]), "DONE");
        assert_eq!(headline(&[o(PassSmoke), o(NotRun)]), "DONE_WITH_CONCERNS");
        assert_eq!(headline(&[o(InconclusiveEnv), o(NotRun)]), "INCONCLUSIVE");
        assert_eq!(headline(&[o(NotRun)]), "BLOCKED");
        assert_eq!(headline(&[o(PassSmoke), fail(Blame::Sut)]), "FAIL");
        assert_eq!(headline(&[o(PassSmoke), fail(Blame::Unknown)]), "FAIL");
        assert_eq!(
            headline(&[o(PassSmoke), fail(Blame::Harness)]),
            "DONE_WITH_CONCERNS"
        );
        assert_eq!(
            headline(&[o(NotRun), fail(Blame::Environment)]),
            "DONE_WITH_CONCERNS"
        );
    }

    #[test]
    fn standing_weighs_blame() {
        let o = Outcome::of;
        assert_eq!(claim_standing(&[]), "untested");
        assert_eq!(
            claim_standing(&[o(PassSmoke), o(PartialModel)]),
            "partially tested"
        );
        assert_eq!(
            claim_standing(&[o(PassSmoke), fail(Blame::Sut)]),
            "falsified"
        );
        assert_eq!(
            claim_standing(&[fail(Blame::Unknown), fail(Blame::Sut)]),
            "falsified"
        );
        assert_eq!(
            claim_standing(&[o(PassSmoke), fail(Blame::Unknown)]),
            "in doubt"
        );
        assert_eq!(
            claim_standing(&[o(PassSmoke), fail(Blame::Harness)]),
            "partially tested"
        );
        assert_eq!(claim_standing(&[fail(Blame::Checker)]), "untested");
    }

    #[test]
    fn only_a_run_fault_exercises() {
        assert_eq!(exercised(Outcome::of(PartialSurface)), Ok(()));
        assert_eq!(exercised(fail(Blame::Unknown)), Ok(()));
        assert_eq!(exercised(fail(Blame::Harness)), Err("harness failure"));
        assert_eq!(
            exercised(Outcome::of(InconclusiveFaultNotProven)),
            Err("fault not proven")
        );
        assert_eq!(exercised(Outcome::of(NotRun)), Err("not run"));
        assert_eq!(Blame::parse(Some("unknown — pending")), Blame::Unknown);
        assert_eq!(Blame::parse(None), Blame::Unknown);
        assert_eq!(Blame::parse(Some("Harness")), Blame::Harness);
    }
}
