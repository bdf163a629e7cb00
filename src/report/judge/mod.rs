//! Facts and verdicts: each scenario and arm judged from its finding — the verdict the facts
//! support (decision tree and caps in `vocab`), the evidence rules RPT002–RPT015, cited
//! artifacts, and the re-check of a cited history — then arms rolled up into their scenario.

mod evidence;
use std::path::PathBuf;

use super::landing::FaultLogs;
use super::load::ByKey;
use super::recheck::Recheck;
use super::{Diag, ScenarioRow};
use crate::plan::{Block, LineIndex, Plan, Scenario};
use crate::session::finding::Finding;
use crate::session::{self, stub, SessionInfo};
use crate::vocab::{self, Blame, Verdict, VerdictContext};
use std::collections::HashMap;

/// What every judgement reads: the session, the plan and the history oracle.
pub struct Ctx<'a> {
    /// The sessions read (the first is the one reported into; `--merge` adds others).
    pub sessions: &'a [SessionDir],
    /// The session each finding came from, by scenario or arm key.
    pub origin: &'a HashMap<String, usize>,
    pub plan: &'a Plan,
    pub info: &'a SessionInfo,
    pub index: &'a LineIndex,
    /// The re-checked histories, by scenario or arm key.
    pub rechecks: &'a HashMap<String, Recheck>,
    /// `--require-verified-landing`: a PASS-* on typed landing evidence only is an error.
    pub require_verified_landing: bool,
}

/// One session directory being reported on.
pub struct SessionDir {
    pub dir: PathBuf,
    pub canon: PathBuf,
    pub faults: FaultLogs,
}

impl Ctx<'_> {
    /// The session a finding came from.
    fn session_of(&self, key: &str) -> &SessionDir {
        &self.sessions[self.origin.get(key).copied().unwrap_or(0)]
    }
}

pub use evidence::inside_session;

/// Judge every scenario and arm in plan order; a scenario with arms is followed by its arms
/// and carries their roll-up.
pub fn judge_all(cx: &Ctx, by_key: &ByKey, diags: &mut Vec<Diag>) -> Vec<ScenarioRow> {
    // Scenarios are judged independently, so large plans are split across threads; rows come
    // back in plan order and the diagnostics are sorted by the caller.
    let scenarios = &cx.plan.scenarios;
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunk = scenarios.len().div_ceil(workers).max(256);
    let parts: Vec<(Vec<ScenarioRow>, Vec<Diag>)> = std::thread::scope(|sc| {
        let handles: Vec<_> = scenarios
            .chunks(chunk)
            .map(|part| {
                sc.spawn(move || {
                    let mut d = Vec::new();
                    let rows = judge_scenarios(cx, part, by_key, &mut d);
                    (rows, d)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("judge thread"))
            .collect()
    });
    let mut rows = Vec::with_capacity(by_key.len());
    for (r, d) in parts {
        rows.extend(r);
        diags.extend(d);
    }
    rows
}

fn judge_scenarios(
    cx: &Ctx,
    scenarios: &[Scenario],
    by_key: &ByKey,
    diags: &mut Vec<Diag>,
) -> Vec<ScenarioRow> {
    let mut rows: Vec<ScenarioRow> = Vec::new();
    for s in scenarios {
        let serious = stub::is_serious(cx.plan, s);
        let arms = session::scenario_arm_keys(s);
        let mut arm_rows = Vec::new();
        for a in &arms {
            arm_rows.push(judge_key(cx, s, Some(a), true, by_key.get(a), diags));
        }
        let own = by_key.get(&s.id.key());
        let mut row = if arms.is_empty() || own.is_some() {
            judge_key(cx, s, None, serious, own, diags)
        } else {
            empty_row(s, None)
        };
        if !arms.is_empty() {
            let vs: Vec<Verdict> = arm_rows
                .iter()
                .map(|r| r.v.unwrap_or(Verdict::NotRun))
                .collect();
            let rolled = vocab::roll_up(&vs);
            let mut v = rolled;
            if let (Some(own_v), Some((rel, f))) = (row.v, own) {
                if stronger(own_v, rolled) {
                    diags.push(Diag::new(
                        "RPT020",
                        rel,
                        f.line_of(&["verdict"]),
                        format!(
                            "{} records {own_v} but its arms roll up to {rolled}",
                            s.id.key()
                        ),
                        &format!(
                            "record {rolled} or weaker; the arms' findings decide the scenario"
                        ),
                    ));
                } else {
                    v = own_v;
                }
            }
            row.derived_verdict = rolled.to_string();
            if v.is_fail() && v != row.v.unwrap_or(Verdict::NotRun) {
                row.blame = Some(arm_blame(&arm_rows).to_string());
            }
            row.v = Some(v);
            row.verdict = v.to_string();
            row.attempted = arm_rows.iter().any(|r| r.attempted) || row.attempted;
            if own.is_none() {
                // The weakest arm's landing: verified only when every arm's is.
                row.landing = ["none", "typed", "verified"]
                    .into_iter()
                    .find(|l| arm_rows.iter().any(|r| r.landing == *l))
                    .unwrap_or("none")
                    .to_string();
            }
        }
        rows.push(row);
        rows.extend(arm_rows);
    }
    rows
}

/// The blame of a FAIL rolled up from arms: the SUT if any FAIL arm blames it, else unknown if
/// any does, else the first arm's test-side blame.
fn arm_blame(arms: &[ScenarioRow]) -> Blame {
    let blames: Vec<Blame> = arms
        .iter()
        .filter(|r| r.v.is_some_and(Verdict::is_fail))
        .map(|r| Blame::parse(r.blame.as_deref()))
        .collect();
    [Blame::Sut, Blame::Unknown]
        .into_iter()
        .find(|b| blames.contains(b))
        .or_else(|| blames.first().copied())
        .unwrap_or(Blame::Unknown)
}

/// `a` is strictly stronger than `b` on the strength scale (FAIL-* is never stronger).
fn stronger(a: Verdict, b: Verdict) -> bool {
    if b.is_fail() {
        return !a.is_fail();
    }
    matches!((a.strength(), b.strength()), (Some(x), Some(y)) if x > y)
}

fn empty_row(s: &Scenario, arm: Option<&str>) -> ScenarioRow {
    let oracle = stub::model_block(s, arm)
        .and_then(|b| b.field("checker"))
        .map(|f| f.value.clone());
    ScenarioRow {
        id: arm.map(str::to_string).unwrap_or_else(|| s.id.key()),
        name: match arm {
            Some(_) => format!("arm of {}", s.name.text),
            None => s.name.text.clone(),
        },
        parent: arm.map(|_| s.id.key()),
        recorded_verdict: None,
        derived_verdict: Verdict::NotRun.to_string(),
        verdict: Verdict::NotRun.to_string(),
        oracle,
        oracle_evidence: None,
        landing_evidence: None,
        blame: None,
        landing: "none".into(),
        why: String::new(),
        recheck: None,
        recheck_conflict: None,
        reason: None,
        finding: None,
        v: Some(Verdict::NotRun),
        history_path: None,
        session_dir: None,
        witness: Vec::new(),
        fault_ids: Vec::new(),
        attempted: false,
        gbb: Vec::new(),
        weak: Vec::new(),
    }
}

/// One finding being judged, with what it is judged against.
struct Judging<'a> {
    cx: &'a Ctx<'a>,
    s: &'a Scenario,
    serious: bool,
    /// The §7.M block that applies (the arm's, else the scenario's).
    block: Option<&'a Block>,
    rel: &'a str,
    f: &'a Finding,
    id: String,
}

fn judge_key(
    cx: &Ctx,
    s: &Scenario,
    arm: Option<&str>,
    serious: bool,
    found: Option<&(String, Finding)>,
    diags: &mut Vec<Diag>,
) -> ScenarioRow {
    let mut row = empty_row(s, arm);
    let block = stub::model_block(s, arm);
    row.oracle = block
        .and_then(|b| b.field("checker"))
        .map(|f| f.value.clone());
    let Some((rel, f)) = found else {
        diags.push(Diag::new(
            "RPT012",
            &cx.info.plan,
            cx.index.line(declared_at(s, arm)),
            format!("{} has no finding (expected findings/{}); reported as NOT-RUN", row.id, session::finding_file_name(&row.id)),
            &format!("run it and write the finding (`dstplan finding new --session <dir> --scenario {}`), or record NOT-RUN with a reason", row.id),
        ));
        return row;
    };
    let j = Judging {
        cx,
        s,
        serious,
        block,
        rel,
        f,
        id: row.id.clone(),
    };
    // Relative to the reported session's findings directory (a merged session's finding is
    // reached through `..`).
    row.finding = Some(match rel.strip_prefix("findings/") {
        Some(r) => r.to_string(),
        None => format!("../{rel}"),
    });
    row.oracle_evidence = f.oracle_evidence.clone();
    row.landing_evidence = f.landing_evidence.clone();
    row.fault_ids = f.fault_ids.clone();
    row.reason = f.reason.clone();
    row.gbb = f.green_but_broken.clone();
    row.weak = f.weak_oracle.clone();
    row.attempted = f.facts.attempted == Some(true);
    if let Some(c) = &f.oracle_checker {
        row.oracle = Some(c.clone());
    }
    j.field_problems(diags);
    let recorded = j.recorded(diags);
    row.recorded_verdict = f.verdict.clone();
    let derivation = j.derive(diags);
    row.derived_verdict = derivation.verdict.to_string();
    let mut eff = derivation.verdict;
    if let Some(r) = recorded {
        eff = j.effective(r, &derivation, diags);
        if r.is_fail() {
            j.failure_block(r, diags);
        }
        j.reason(r, diags);
    }
    j.declared(diags);
    j.cited(diags);
    let span = j.history(recorded, &mut row, &mut eff, diags);
    row.landing = j.landing(recorded, span, diags).as_str().to_string();
    row.v = Some(eff);
    row.verdict = eff.to_string();
    if eff.is_fail() {
        row.blame = Some(Blame::parse(f.failure.blame.as_deref()).to_string());
    }
    row
}

impl Judging<'_> {
    fn sess(&self) -> &SessionDir {
        self.cx.session_of(&self.id)
    }

    fn d(&self, diags: &mut Vec<Diag>, code: &'static str, key: &[&str], msg: String, help: &str) {
        diags.push(Diag::new(code, self.rel, self.f.line_of(key), msg, help));
    }

    /// RPT019: values of the wrong type or outside their list.
    fn field_problems(&self, diags: &mut Vec<Diag>) {
        let id = &self.id;
        for p in &self.f.problems {
            let key: Vec<&str> = p.key.to_vec();
            self.d(
                diags,
                "RPT019",
                &key,
                format!("{id}: {}", p.message),
                "use the values `dstplan vocab` lists; null means not known",
            );
        }
    }

    /// RPT002: the recorded verdict, when it is one of the ten.
    fn recorded(&self, diags: &mut Vec<Diag>) -> Option<Verdict> {
        let (f, id) = (self.f, &self.id);
        match &f.verdict {
            None => {
                self.d(
                    diags,
                    "RPT002",
                    &["verdict"],
                    format!("{id} records no verdict"),
                    "set `verdict:` to one of the ten verdicts (`dstplan vocab`)",
                );
                None
            }
            Some(v) => match Verdict::parse(v) {
                Some(x) => Some(x),
                None => {
                    self.d(diags, "RPT002", &["verdict"], format!("{id}: `{v}` is not one of the ten verdicts"), "use a verdict from `dstplan vocab` (e.g. PASS-smoke, INCONCLUSIVE-env, NOT-RUN)");
                    None
                }
            },
        }
    }

    /// RPT009 and the decision tree with its caps.
    fn derive(&self, diags: &mut Vec<Diag>) -> vocab::Derivation {
        let (f, id, serious) = (self.f, &self.id, self.serious);
        for c in vocab::contradictions(&f.facts) {
            self.d(
                diags,
                "RPT009",
                &["facts"],
                format!("{id}: contradictory facts: {c}"),
                "record what was observed; use null for what is not known",
            );
        }
        let no_items = |ans: &[(String, Option<String>)]| -> Vec<String> {
            ans.iter()
                .filter(|(_, v)| v.as_deref() == Some("no"))
                .map(|(k, _)| k.clone())
                .collect()
        };
        let vcx = VerdictContext {
            serious,
            budget_tier: f.budget_tier.clone(),
            green_but_broken_no: no_items(&f.green_but_broken),
            weak_oracle_no: no_items(&f.weak_oracle),
        };
        vocab::derive(&f.facts, &vcx)
    }

    /// RPT003–RPT006: the recorded verdict against the facts and the evidence it needs; the
    /// verdict the report stands on.
    fn effective(
        &self,
        r: Verdict,
        derivation: &vocab::Derivation,
        diags: &mut Vec<Diag>,
    ) -> Verdict {
        let (f, id, serious) = (self.f, &self.id, self.serious);
        let mut eff = derivation.verdict;
        match vocab::judge(r, &f.facts, derivation) {
            Ok(()) => eff = r,
            Err(m) => self.d(
                diags,
                "RPT003",
                &["verdict"],
                format!("{id}: {m}"),
                &format!(
                    "record {} or fix the facts that are wrong",
                    derivation.verdict
                ),
            ),
        }
        if r.is_pass() && f.oracle_evidence.is_none() {
            self.d(
                diags,
                "RPT004",
                &["oracle", "evidence"],
                format!("{id} records {r} but `oracle.evidence` is empty"),
                "write what the oracle consumed and found, e.g. \"4,217 ops checked, 0 anomalies\"",
            );
            eff = eff.capped(Verdict::InconclusiveOracleTooWeak);
        }
        if r == Verdict::PassHardening && f.landing_evidence.is_none() {
            self.d(diags, "RPT005", &["nemesis", "landing_evidence"], format!("{id} records PASS-hardening but `nemesis.landing_evidence` is empty"), "write the observable signal that proves the fault landed (a counter, a log line, an exit code)");
            eff = eff.capped(Verdict::InconclusiveFaultNotProven);
        }
        if r == Verdict::PassHardening && serious {
            let bad: Vec<String> = vocab::AUDITS_WEAK_ORACLE
                .iter()
                .filter(|item| {
                    !matches!(
                        f.weak_oracle
                            .iter()
                            .find(|(k, _)| k == *item)
                            .and_then(|(_, v)| v.as_deref()),
                        Some("yes") | Some("n/a")
                    )
                })
                .map(|s| s.to_string())
                .collect();
            if !bad.is_empty() {
                self.d(diags, "RPT006", &["audits", "weak_oracle"], format!("{id} records PASS-hardening on a serious scenario but weak-oracle items are not yes or n/a: {}", bad.join(", ")), "answer every weak-oracle item yes or n/a, or record a weaker verdict");
                eff = eff.capped(Verdict::PartialModel);
            }
        }
        eff
    }

    /// RPT007: a FAIL needs a failure block with values from the vocabulary.
    fn failure_block(&self, r: Verdict, diags: &mut Vec<Diag>) {
        let (f, id) = (self.f, &self.id);
        let fl = &f.failure;
        let mut missing = Vec::new();
        if fl.blame.is_none() {
            missing.push("blame");
        }
        if fl.kind.is_none() {
            missing.push("type");
        }
        if fl.reproducer.is_none() {
            missing.push("reproducer");
        }
        if !fl.is_filled() {
            self.d(diags, "RPT007", &["failure"], format!("{id} records {r} but has no `failure` block"), "add `failure:` with title, blame, type, severity, reproducer, root_cause, next_action");
        } else if !missing.is_empty() {
            self.d(diags, "RPT007", &["failure"], format!("{id} records {r} but `failure` lacks {}", missing.join(", ")), "fill blame, type and reproducer; blame may be `unknown — pending re-run on alternative harness/host`");
        }
        if let Some(b) = &fl.blame {
            if !vocab::BLAMES.iter().any(|x| x.eq_ignore_ascii_case(b))
                && !b.to_lowercase().starts_with("unknown")
            {
                self.d(
                    diags,
                    "RPT007",
                    &["failure", "blame"],
                    format!(
                        "{id}: blame `{b}` is not one of {}",
                        vocab::BLAMES.join(", ")
                    ),
                    "name who must act",
                );
            }
        }
        if let Some(t) = &fl.kind {
            if !vocab::FAILURE_TYPES
                .iter()
                .any(|x| x.eq_ignore_ascii_case(t))
            {
                self.d(
                    diags,
                    "RPT007",
                    &["failure", "type"],
                    format!(
                        "{id}: failure type `{t}` is not one of {}",
                        vocab::FAILURE_TYPES.join(", ")
                    ),
                    "use a TaxDC type",
                );
            }
        }
        if let Some(sv) = &fl.severity {
            if !vocab::SEVERITIES.iter().any(|x| x.eq_ignore_ascii_case(sv)) {
                self.d(
                    diags,
                    "RPT007",
                    &["failure", "severity"],
                    format!(
                        "{id}: severity `{sv}` is not one of {}",
                        vocab::SEVERITIES.join(", ")
                    ),
                    "use P0 … P3",
                );
            }
        }
    }

    /// RPT008: INCONCLUSIVE-*, PARTIAL-* and NOT-RUN need a reason.
    fn reason(&self, r: Verdict, diags: &mut Vec<Diag>) {
        let (f, id) = (self.f, &self.id);
        if (r.is_inconclusive() || r.is_partial() || r == Verdict::NotRun) && f.reason.is_none() {
            self.d(
                diags,
                "RPT008",
                &["reason"],
                format!("{id} records {r} but gives no `reason`"),
                "write one line saying why (what was missing, what fell short)",
            );
        }
    }

    /// RPT014/RPT015: the declared checker and nemesis against the plan's §7.M; returns the
    /// plan's checker IDs.
    fn declared(&self, diags: &mut Vec<Diag>) -> Vec<&'static str> {
        let (f, id, block) = (self.f, &self.id, self.block);
        // Declared checker and nemesis against the plan's §7.M.
        let plan_checkers: Vec<&str> = block
            .and_then(|b| b.field("checker"))
            .map(|x| stub::checker_ids(&x.value))
            .unwrap_or_default();
        if let (Some(fc), false) = (&f.oracle_checker, plan_checkers.is_empty()) {
            let ids = stub::checker_ids(fc);
            if ids.is_empty() || ids.iter().any(|c| !plan_checkers.contains(c)) {
                self.d(
                    diags,
                    "RPT014",
                    &["oracle", "checker"],
                    format!(
                        "{id}: checker `{fc}` differs from the plan's §7.M checker ({})",
                        plan_checkers.join(" + ")
                    ),
                    "run the declared checker, or amend the plan's §7.M and say why",
                );
            }
        }
        let plan_nemeses: Vec<&str> = block
            .and_then(|b| b.field("nemesis + landing evidence"))
            .map(|x| stub::nemesis_ids(stub::nemesis_text(&x.value)))
            .unwrap_or_default();
        if let (Some(fname), false) = (&f.nemesis_name, plan_nemeses.is_empty()) {
            let ids = stub::nemesis_ids(fname);
            if ids.is_empty() || ids.iter().any(|c| !plan_nemeses.contains(c)) {
                self.d(
                    diags,
                    "RPT015",
                    &["nemesis", "name"],
                    format!(
                        "{id}: nemesis `{fname}` differs from the plan's §7.M nemesis ({})",
                        plan_nemeses.join(" + ")
                    ),
                    "inject the declared nemesis, or amend the plan's §7.M and say why",
                );
            }
        }
        plan_checkers
    }
}

/// Where the plan declares a scenario or arm (byte offset): the arm block, else the arm's
/// entry in `Scenario arms:`, else the scenario heading.
fn declared_at(s: &Scenario, arm: Option<&str>) -> usize {
    let Some(a) = arm else { return s.span.start };
    if let Some(b) = s.arms.iter().find(|x| x.id.key() == a) {
        return b.span.start;
    }
    s.declared_arms()
        .into_iter()
        .find(|r| r.key() == a)
        .map_or(s.span.start, |r| r.span.start)
}
