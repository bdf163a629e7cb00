//! The report's content (report.json, and the context of the Markdown template): the
//! rendering inputs every section of `execution-format.md` is drawn from.

use serde::Serialize;

use super::Diag;
use crate::vocab::Verdict;

/// One row of "Scenario results" (a scenario or an arm).
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioRow {
    pub id: String,
    pub name: String,
    /// `S5` for arm `S5/api`; null for a scenario.
    pub parent: Option<String>,
    pub recorded_verdict: Option<String>,
    /// The strongest verdict the facts allow (for a parent with arms: the roll-up).
    pub derived_verdict: String,
    /// The verdict the report stands on (see the module docs).
    pub verdict: String,
    /// For a FAIL-*: who is blamed (`SUT`, `harness`, `checker`, `environment`, `unknown`;
    /// missing or unrecognised reads as `unknown`). Null otherwise.
    pub blame: Option<String>,
    pub oracle: Option<String>,
    pub oracle_evidence: Option<String>,
    pub landing_evidence: Option<String>,
    /// `verified` (every cited fault id landed during the history, per the fault logs),
    /// `typed` (free-text landing evidence only) or `none`.
    pub landing: String,
    /// The re-computed history line, when the history was re-checked.
    pub recheck: Option<String>,
    /// When the re-check disagrees with the finding or cannot decide: both readings, each
    /// labelled (`finding: …; re-check by the report (…): …`).
    pub recheck_conflict: Option<String>,
    pub reason: Option<String>,
    /// One sentence for the Scenario results table: the FAIL's title, the PASS's oracle
    /// evidence, or why the scenario fell short.
    pub why: String,
    /// The finding file, relative to the findings directory.
    pub finding: Option<String>,
    #[serde(skip)]
    pub v: Option<Verdict>,
    /// The cited history, resolved inside the session (for the HTML timeline).
    #[serde(skip)]
    pub history_path: Option<std::path::PathBuf>,
    /// The session the finding came from (differs from the reported one under `--merge`).
    #[serde(skip)]
    pub session_dir: Option<std::path::PathBuf>,
    /// The re-check's witness op ids, on a violation.
    #[serde(skip)]
    pub witness: Vec<String>,
    /// `nemesis.fault_ids`.
    #[serde(skip)]
    pub fault_ids: Vec<String>,
    #[serde(skip)]
    pub attempted: bool,
    #[serde(skip)]
    pub gbb: Vec<(String, Option<String>)>,
    #[serde(skip)]
    pub weak: Vec<(String, Option<String>)>,
}

/// One FAIL block (F1, F2, …).
#[derive(Debug, Clone, Serialize)]
pub struct FailBlock {
    pub id: String,
    pub scenario: String,
    pub verdict: String,
    pub title: Option<String>,
    pub hypotheses: Vec<String>,
    pub what_happened: Option<String>,
    pub reproducer: Option<String>,
    pub blame: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub severity: Option<String>,
    pub tags: Vec<String>,
    pub evidence: Vec<String>,
    pub root_cause: Option<String>,
    pub next_action: Option<String>,
}

/// A scenario and its verdict, as cited by a claim.
#[derive(Debug, Clone, Serialize)]
pub struct Cited {
    pub id: String,
    pub verdict: String,
    /// For a FAIL-*: the blame; for a scenario that did not exercise a hypothesis: why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One row of "Claims".
#[derive(Debug, Clone, Serialize)]
pub struct ClaimRow {
    pub id: String,
    pub standing: String,
    pub scenarios: Vec<Cited>,
    /// FAIL-* blamed on the harness, checker or environment: no evidence for or against the
    /// claim, named beside the standing.
    pub no_evidence: Vec<Cited>,
    #[serde(skip)]
    pub all_hardening: bool,
}

/// One hypothesis in "Coverage".
#[derive(Debug, Clone, Serialize)]
pub struct CoverageRow {
    pub id: String,
    pub title: String,
    /// The scenarios that closed it and actually ran their fault against the SUT.
    pub exercised_by: Vec<Cited>,
    /// The scenarios that close it but did not exercise it, each with why not.
    pub not_exercised_by: Vec<Cited>,
    pub note: String,
}

/// One arm in "Surface coverage".
#[derive(Debug, Clone, Serialize)]
pub struct SurfaceRow {
    pub scenario: String,
    pub arm: String,
    pub planned: bool,
    pub executed: bool,
    pub verdict: String,
}

/// One §7b row in "Adequacy vs the plan".
#[derive(Debug, Clone, Serialize)]
pub struct AdequacyRow {
    pub claim: String,
    pub argument: String,
    pub ran: Vec<Cited>,
    pub stands: bool,
    pub fell_short: Vec<Cited>,
}

/// "Confidence delta".
#[derive(Debug, Clone, Serialize, Default)]
pub struct Delta {
    pub expectation: String,
    pub more: Vec<String>,
    pub less: Vec<String>,
    pub unchanged: Vec<String>,
}

/// One finding's audit answers in "Audits".
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    pub id: String,
    pub failed: Vec<String>,
    pub green_but_broken: String,
    pub weak_oracle: String,
}

/// Plan identity.
#[derive(Debug, Clone, Serialize)]
pub struct PlanRef {
    pub slug: String,
    /// As recorded in session.json.
    pub path: String,
    pub sha256: String,
    /// The plan file's SHA-256 now.
    pub sha256_now: String,
}

/// Session identity.
#[derive(Debug, Clone, Serialize)]
pub struct SessionRef {
    /// The session directory's name.
    pub dir: String,
    pub started: String,
    pub operator: String,
    pub sut_commit: Option<String>,
    /// `--merge`: the other sessions whose findings this report also judges (their
    /// directories, relative to this session).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<String>,
}

/// Everything the report says; serialised as report.json.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub plan: PlanRef,
    pub session: SessionRef,
    pub headline: String,
    pub summary: Vec<String>,
    pub scenarios: Vec<ScenarioRow>,
    pub claims: Vec<ClaimRow>,
    pub findings: Vec<FailBlock>,
    pub coverage: Vec<CoverageRow>,
    pub surface: Vec<SurfaceRow>,
    pub release_disclosures: Vec<Cited>,
    pub adequacy: Vec<AdequacyRow>,
    pub has_adequacy_table: bool,
    pub confidence_delta: Delta,
    pub audits: Vec<AuditRow>,
    pub diagnostics: Vec<Diag>,
    /// SHA-256 of the report.md rendered from this report (set by [`finish`]).
    pub report_md_sha256: Option<String>,
}

impl Report {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diag::is_error)
    }
}
