//! Roll-ups: what the judged scenarios add up to — the headline, claim standings, FAIL
//! blocks, hypothesis coverage, surface coverage, release disclosures, adequacy against the
//! plan's §7b, the confidence delta, the audit table and the summary lines.

use std::collections::HashMap;

use super::load::ByKey;
use super::model::{
    AdequacyRow, AuditRow, Cited, ClaimRow, CoverageRow, Delta, FailBlock, ScenarioRow, SurfaceRow,
};
use crate::plan::{Plan, Scenario};
use crate::session;
use crate::vocab::{self, Blame, Outcome, Verdict};

/// Every roll-up section of the report.
pub struct Rollups {
    pub headline: String,
    pub summary: Vec<String>,
    pub claims: Vec<ClaimRow>,
    pub findings: Vec<FailBlock>,
    pub coverage: Vec<CoverageRow>,
    pub surface: Vec<SurfaceRow>,
    pub release: Vec<Cited>,
    pub adequacy: Vec<AdequacyRow>,
    pub delta: Delta,
    pub audits: Vec<AuditRow>,
}

/// The judged rows, indexed for look-up by scenario or arm key.
struct Rows<'a> {
    plan: &'a Plan,
    rows: &'a [ScenarioRow],
    index: HashMap<&'a str, usize>,
}

impl Rows<'_> {
    fn verdict_of(&self, key: &str) -> Verdict {
        self.index
            .get(key)
            .and_then(|i| self.rows[*i].v)
            .unwrap_or(Verdict::NotRun)
    }

    fn outcome_of(&self, key: &str) -> Outcome {
        let row = self.index.get(key).map(|i| &self.rows[*i]);
        Outcome {
            verdict: self.verdict_of(key),
            blame: Blame::parse(row.and_then(|r| r.blame.as_deref())),
        }
    }

    /// A scenario as cited in a roll-up: its verdict, and its blame when it is a FAIL-*.
    fn cite(&self, key: &str) -> Cited {
        let o = self.outcome_of(key);
        Cited {
            id: key.to_string(),
            verdict: o.verdict.to_string(),
            note: o.verdict.is_fail().then(|| format!("blame {}", o.blame)),
        }
    }
}

/// Roll the judged rows up. `errors` is the number of error diagnostics (named in the summary).
pub fn roll_up(plan: &Plan, rows: &[ScenarioRow], by_key: &ByKey, errors: usize) -> Rollups {
    let rx = Rows {
        plan,
        index: rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect(),
        rows,
    };
    let top: Vec<Outcome> = rows
        .iter()
        .filter(|r| r.parent.is_none())
        .map(|r| rx.outcome_of(&r.id))
        .collect();
    let claims = claims(&rx);
    let findings = fail_blocks(&rx, by_key);
    let delta = delta(&claims);
    Rollups {
        headline: vocab::headline(&top).to_string(),
        summary: summary(&rx, &findings, &top, errors),
        coverage: coverage(&rx),
        surface: surface(&rx),
        release: release(plan),
        adequacy: adequacy(&rx),
        audits: audits(rows),
        claims,
        findings,
        delta,
    }
}

fn claims(rx: &Rows) -> Vec<ClaimRow> {
    let plan = rx.plan;
    let mut claims = Vec::new();
    for c in &plan.claims {
        let key = c.id.key();
        let citing: Vec<String> = plan
            .scenarios
            .iter()
            .filter(|s| s.falsifies().iter().any(|r| r.key() == key))
            .map(|s| s.id.key())
            .collect();
        let os: Vec<Outcome> = citing.iter().map(|k| rx.outcome_of(k)).collect();
        let no_evidence = citing
            .iter()
            .zip(&os)
            .filter(|(_, o)| o.is_test_fail())
            .map(|(k, _)| rx.cite(k))
            .collect();
        claims.push(ClaimRow {
            id: key,
            standing: vocab::claim_standing(&os).to_string(),
            all_hardening: !os.is_empty() && os.iter().all(|o| o.verdict == Verdict::PassHardening),
            scenarios: citing.iter().map(|k| rx.cite(k)).collect(),
            no_evidence,
        });
    }
    claims
}

fn fail_blocks(rx: &Rows, by_key: &ByKey) -> Vec<FailBlock> {
    let (plan, rows) = (rx.plan, rx.rows);
    let scenario_index: HashMap<String, &Scenario> =
        plan.scenarios.iter().map(|s| (s.id.key(), s)).collect();
    let mut findings = Vec::new();
    for r in rows {
        if !r.v.is_some_and(Verdict::is_fail) {
            continue;
        }
        let Some((_, f)) = by_key.get(&r.id) else {
            continue;
        };
        let s = scenario_index
            .get(r.parent.as_deref().unwrap_or(&r.id))
            .copied();
        let hypotheses = s
            .map(|s| {
                s.closes()
                    .iter()
                    .map(|h| {
                        let t = plan
                            .hypotheses
                            .iter()
                            .find(|x| x.id.as_ref().is_some_and(|i| i.key() == h.key()))
                            .map(|x| x.title.clone());
                        match t {
                            Some(t) if !t.is_empty() => format!("{} — {}", h.key(), t),
                            _ => h.key(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut evidence: Vec<String> = Vec::new();
        if let Some(h) = &f.oracle_history {
            evidence.push(h.clone());
        }
        for (t, _) in f.cited.iter().cloned() {
            if !evidence.contains(&t) {
                evidence.push(t);
            }
        }
        findings.push(FailBlock {
            id: format!("F{}", findings.len() + 1),
            scenario: r.id.clone(),
            verdict: r.verdict.clone(),
            title: f.failure.title.clone(),
            hypotheses,
            what_happened: first_paragraph(&f.body),
            reproducer: f.failure.reproducer.clone(),
            blame: f.failure.blame.clone(),
            kind: f.failure.kind.clone(),
            severity: f.failure.severity.clone(),
            tags: f.failure.tags.clone(),
            evidence,
            root_cause: f.failure.root_cause.clone(),
            next_action: f.failure.next_action.clone(),
        });
    }
    findings
}

fn coverage(rx: &Rows) -> Vec<CoverageRow> {
    let plan = rx.plan;
    let mut coverage = Vec::new();
    for h in &plan.hypotheses {
        let Some(id) = &h.id else { continue };
        let key = id.key();
        let (mut by, mut not_by) = (Vec::new(), Vec::new());
        for s in plan
            .scenarios
            .iter()
            .filter(|s| s.closes().iter().any(|r| r.key() == key))
        {
            let k = s.id.key();
            match vocab::exercised(rx.outcome_of(&k)) {
                Ok(()) => by.push(rx.cite(&k)),
                Err(why) => not_by.push(Cited {
                    note: Some(why.to_string()),
                    ..rx.cite(&k)
                }),
            }
        }
        let why_not = |many: bool| -> String {
            not_by
                .iter()
                .map(|c| {
                    let why = c.note.as_deref().unwrap_or_default();
                    if many {
                        format!("{} {why}", c.id)
                    } else {
                        why.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let note = if by.is_empty() && not_by.is_empty() {
            let open_in: Vec<&str> = ["7c", "8", "9"]
                .into_iter()
                .filter(|n| {
                    crate::plan::parse_refs(&plan.text_of(n), "H", 0)
                        .iter()
                        .any(|r| r.key() == key)
                })
                .collect();
            if open_in.is_empty() {
                "not exercised: no scenario closes it and the plan does not say why".to_string()
            } else {
                format!("not exercised: left open in §{}", open_in.join(", §"))
            }
        } else if by.is_empty() {
            format!("not exercised: {}", why_not(not_by.len() > 1))
        } else if not_by.is_empty() {
            "exercised".to_string()
        } else {
            format!("exercised; not by {}", why_not(true))
        };
        coverage.push(CoverageRow {
            id: key,
            title: h.title.clone(),
            exercised_by: by,
            not_exercised_by: not_by,
            note,
        });
    }
    coverage
}

fn surface(rx: &Rows) -> Vec<SurfaceRow> {
    let (plan, rows, row_index) = (rx.plan, rx.rows, &rx.index);
    let mut surface = Vec::new();
    for s in &plan.scenarios {
        let gated = s.falsifies().iter().any(|c| {
            plan.claim_category(&c.key())
                .is_some_and(vocab::is_surface_gated)
        });
        let arms = session::scenario_arm_keys(s);
        if arms.is_empty() && !gated {
            continue;
        }
        if arms.is_empty() {
            surface.push(SurfaceRow {
                scenario: s.id.key(),
                arm: "—".into(),
                planned: false,
                executed: false,
                verdict: rx.verdict_of(&s.id.key()).to_string(),
            });
        }
        for a in arms {
            let r = row_index.get(a.as_str()).map(|i| &rows[*i]);
            surface.push(SurfaceRow {
                scenario: s.id.key(),
                executed: r.is_some_and(|r| r.attempted),
                verdict: rx.verdict_of(&a).to_string(),
                arm: a,
                planned: true,
            });
        }
    }
    surface
}

fn release(plan: &Plan) -> Vec<Cited> {
    let mut release = Vec::new();
    for s in &plan.scenarios {
        if let Some(f) = s.field("release budget") {
            if f.value.trim().to_lowercase().starts_with("not provided") {
                release.push(Cited {
                    id: s.id.key(),
                    verdict: f.value.clone(),
                    note: None,
                });
            }
        }
    }
    release
}

fn adequacy(rx: &Rows) -> Vec<AdequacyRow> {
    let plan = rx.plan;
    let mut adequacy = Vec::new();
    if let Some(t) = &plan.adequacy_table {
        let cc = t.column("claim");
        let sc = t.column("scenarios");
        let wc = t.column("why");
        for row in &t.rows {
            let claim = t
                .cell(row, cc)
                .map(|x| x.text.trim().trim_matches('*').to_string())
                .unwrap_or_default();
            let refs = t
                .cell(row, sc)
                .map(|x| crate::plan::parse_refs(&x.text, "S", 0))
                .unwrap_or_default();
            let mut ran: Vec<Cited> = Vec::new();
            for r in refs {
                let k = r.key();
                if ran.iter().any(|c| c.id == k) {
                    continue;
                }
                ran.push(rx.cite(&k));
            }
            let fell_short: Vec<Cited> = ran
                .iter()
                .filter(|c| !Verdict::parse(&c.verdict).is_some_and(Verdict::is_pass))
                .cloned()
                .collect();
            adequacy.push(AdequacyRow {
                claim,
                argument: t.cell(row, wc).map(|x| x.text.clone()).unwrap_or_default(),
                stands: !ran.is_empty() && fell_short.is_empty(),
                ran,
                fell_short,
            });
        }
    }
    adequacy
}

fn delta(claims: &[ClaimRow]) -> Delta {
    let mut delta = Delta {
        expectation: "every claim held under its tested threats".into(),
        ..Default::default()
    };
    for c in claims {
        let line = format!(
            "{} — {}{}",
            c.id,
            c.standing,
            if c.scenarios.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    c.scenarios
                        .iter()
                        .map(|x| format!("{} {}", x.id, x.verdict))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
        if c.standing != "held under tested threats" {
            delta.less.push(line);
        } else if c.all_hardening {
            delta.more.push(line);
        } else {
            delta.unchanged.push(line);
        }
    }
    delta
}

fn audits(rows: &[ScenarioRow]) -> Vec<AuditRow> {
    let mut audits: Vec<AuditRow> = rows
        .iter()
        .filter(|r| r.finding.is_some())
        .map(|r| {
            let mut failed = Vec::new();
            let g = audit_cell(&r.gbb, vocab::AUDITS_GREEN_BUT_BROKEN, &mut failed);
            let w = audit_cell(&r.weak, vocab::AUDITS_WEAK_ORACLE, &mut failed);
            AuditRow {
                id: r.id.clone(),
                failed,
                green_but_broken: g,
                weak_oracle: w,
            }
        })
        .collect();
    audits.sort_by_key(|a| a.failed.is_empty());
    audits
}

/// Each parent's arms, as row indices.
fn children(rows: &[ScenarioRow]) -> HashMap<&str, Vec<usize>> {
    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(p) = &r.parent {
            children.entry(p.as_str()).or_default().push(i);
        }
    }
    children
}

/// Why a scenario is neither PASS nor FAIL: its reason, its arms, or that nobody tried.
fn not_pass_why(
    rows: &[ScenarioRow],
    children: &HashMap<&str, Vec<usize>>,
    r: &ScenarioRow,
) -> String {
    match (&r.reason, &r.finding) {
        (Some(x), _) => x.clone(),
        (None, None) if r.parent.is_none() && children.contains_key(r.id.as_str()) => {
            let short: Vec<String> = children[r.id.as_str()]
                .iter()
                .map(|i| &rows[*i])
                .filter(|a| !a.v.is_some_and(Verdict::is_pass))
                .map(|a| format!("{} {}", a.id, a.verdict))
                .collect();
            format!("rolled up from its arms ({})", short.join(", "))
        }
        (None, None) => "no finding recorded (did not try)".into(),
        (None, Some(_)) => "no reason recorded".into(),
    }
}

/// One sentence per row for the Scenario results table: the FAIL's title, the PASS's oracle
/// evidence, or why the scenario fell short.
pub fn reason_lines(rows: &[ScenarioRow], by_key: &ByKey) -> Vec<String> {
    let children = children(rows);
    rows.iter()
        .map(|r| {
            let v = r.v.unwrap_or(Verdict::NotRun);
            let own = by_key.get(&r.id).map(|(_, f)| f);
            let arms = |pick: fn(&ScenarioRow) -> bool| -> Option<String> {
                let ids: Vec<String> = children
                    .get(r.id.as_str())?
                    .iter()
                    .map(|i| &rows[*i])
                    .filter(|a| pick(a))
                    .map(|a| format!("{} {}", a.id, a.verdict))
                    .collect();
                (!ids.is_empty()).then(|| format!("rolled up from its arms ({})", ids.join(", ")))
            };
            if let Some(c) = &r.recheck_conflict {
                return c.clone();
            }
            let line = if v.is_fail() {
                own.and_then(|f| f.failure.title.clone())
                    .or_else(|| arms(|a| a.v.is_some_and(Verdict::is_fail)))
                    .unwrap_or_else(|| "no failure title recorded".into())
            } else if v.is_pass() {
                r.oracle_evidence
                    .clone()
                    .or_else(|| arms(|_| true))
                    .unwrap_or_else(|| "no oracle evidence recorded".into())
            } else {
                not_pass_why(rows, &children, r)
            };
            one_sentence(&line, 160)
        })
        .collect()
}

/// The first sentence of `s`, at most about `max` characters (cut at a word, with `…`).
pub fn one_sentence(s: &str, max: usize) -> String {
    let s = s.trim();
    let first = match s.find(". ") {
        Some(i) => &s[..=i],
        None => s,
    };
    if first.chars().count() <= max {
        return first.to_string();
    }
    let cut: String = first.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{}…", cut.trim_end_matches([',', ';', ':']))
}

fn summary(rx: &Rows, findings: &[FailBlock], top: &[Outcome], errors: usize) -> Vec<String> {
    let rows = rx.rows;
    let children = children(rows);
    let mut summary = Vec::new();
    for b in findings {
        let test_fault = Blame::parse(b.blame.as_deref()).is_test_fault();
        summary.push(format!(
            "{} {}: {} ({}, blame {}{}).",
            b.scenario,
            b.verdict,
            b.title
                .clone()
                .unwrap_or_else(|| "no title recorded".into()),
            b.id,
            b.blame.clone().unwrap_or_else(|| "not recorded".into()),
            if test_fault {
                ": the test broke, not the system, so this is no evidence about the claims"
            } else {
                ""
            }
        ));
    }
    for r in rows {
        let Some(v) = r.v else { continue };
        if v.is_pass() || v.is_fail() {
            continue;
        }
        let why = not_pass_why(rows, &children, r);
        summary.push(format!("{} {}: {}.", r.id, v, why.trim_end_matches('.')));
    }
    if summary.is_empty() {
        let hard = top
            .iter()
            .filter(|o| o.verdict == Verdict::PassHardening)
            .count();
        let smoke = top
            .iter()
            .filter(|o| o.verdict == Verdict::PassSmoke)
            .count();
        summary.push(format!(
            "All {} scenarios passed: {hard} at PASS-hardening, {smoke} at PASS-smoke.",
            top.len()
        ));
    }
    if errors > 0 {
        summary.push(format!("The findings break {errors} rule(s) of `dstplan report`; the verdicts above are the ones the facts support (see the diagnostics below)."));
    }
    summary
}

fn audit_cell(ans: &[(String, Option<String>)], list: &[&str], failed: &mut Vec<String>) -> String {
    let mut no = Vec::new();
    let (mut yes, mut na, mut unanswered) = (0, 0, 0);
    for item in list {
        match ans
            .iter()
            .find(|(k, _)| k == item)
            .and_then(|(_, v)| v.as_deref())
        {
            Some("no") => no.push(*item),
            Some("yes") => yes += 1,
            Some("n/a") => na += 1,
            _ => unanswered += 1,
        }
    }
    for (k, v) in ans {
        if !list.contains(&k.as_str()) && v.as_deref() == Some("no") {
            no.push(k.as_str());
        }
    }
    failed.extend(no.iter().map(|s| s.to_string()));
    let mut parts = Vec::new();
    if !no.is_empty() {
        parts.push(format!("**no: {}**", no.join(", ")));
    }
    parts.push(format!("yes {yes}"));
    parts.push(format!("n/a {na}"));
    if unanswered > 0 {
        parts.push(format!("unanswered {unanswered}"));
    }
    parts.join("; ")
}

fn first_paragraph(body: &str) -> Option<String> {
    let mut para = Vec::new();
    let mut in_comment = false;
    for l in body.lines() {
        let t = l.trim();
        if in_comment {
            if t.contains("-->") {
                in_comment = false;
            }
            continue;
        }
        if t.starts_with("<!--") {
            in_comment = !t.contains("-->");
            continue;
        }
        if t.is_empty() || t.starts_with('#') {
            if !para.is_empty() {
                break;
            }
            continue;
        }
        para.push(t);
    }
    (!para.is_empty()).then(|| para.join(" "))
}
