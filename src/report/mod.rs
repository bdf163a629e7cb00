//! `dstplan report`: judge a session's findings against the plan and the vocabulary, and
//! write `findings/report.md` and `findings/report.json` (`execution-format.md`).
//!
//! [`build`] reads everything and returns a [`Report`] (the content of report.json, which is
//! also the context of the Markdown template); it never writes. [`write`] renders and writes
//! both files atomically, refusing to replace a `report.md` edited by hand since it was
//! generated (its SHA-256 is kept in report.json as `report_md_sha256`). The output is a pure
//! function of the session and the plan: sorted in plan order, no clock read.
//!
//! "Effective" verdict: the recorded verdict when the facts allow it (it may be humbler than
//! the derived one: the report never upgrades an agent's verdict); otherwise the derived one.
//! It is further lowered when evidence the rules require is missing (a PASS without oracle
//! evidence counts as INCONCLUSIVE-oracle-too-weak, a PASS-hardening without landing evidence
//! as INCONCLUSIVE-fault-not-proven) and raised to FAIL-nondeterministic when the re-checked
//! history shows a violation. The headline, claim standing, adequacy and confidence delta all
//! use effective verdicts.
//!
//! Confidence delta "expectation": the plan's §7d is prose, so every claim is expected to be
//! `held under tested threats`. Less = claims below that; More = claims held with every citing
//! scenario at PASS-hardening; Unchanged = the rest.

pub mod history_link;
mod render;
pub mod rules;

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::error::Error;
use crate::plan::{LineIndex, Plan, Scenario};
use crate::session::finding::{self, Finding};
use crate::session::{self, stub, SessionInfo};
use crate::vocab::{self, Verdict, VerdictContext};
pub use history_link::{history_oracle, HistoryOracle, HistoryOutcome, HistoryVerdict};
pub use render::{render_github, render_json, render_markdown, render_text};
pub use rules::{Diag, RULES};

/// `report.json` format version.
pub const VERSION: u32 = 1;

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
    pub oracle: Option<String>,
    pub oracle_evidence: Option<String>,
    pub landing_evidence: Option<String>,
    /// The re-computed history line, when the history was re-checked.
    pub recheck: Option<String>,
    pub reason: Option<String>,
    /// The finding file, relative to the findings directory.
    pub finding: Option<String>,
    #[serde(skip)]
    pub v: Option<Verdict>,
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
    pub evidence: Vec<String>,
    pub root_cause: Option<String>,
    pub next_action: Option<String>,
}

/// A scenario and its verdict, as cited by a claim.
#[derive(Debug, Clone, Serialize)]
pub struct Cited {
    pub id: String,
    pub verdict: String,
}

/// One row of "Claims".
#[derive(Debug, Clone, Serialize)]
pub struct ClaimRow {
    pub id: String,
    pub standing: String,
    pub scenarios: Vec<Cited>,
    #[serde(skip)]
    pub all_hardening: bool,
}

/// One hypothesis in "Coverage".
#[derive(Debug, Clone, Serialize)]
pub struct CoverageRow {
    pub id: String,
    pub title: String,
    pub exercised_by: Vec<Cited>,
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

struct Ctx<'a> {
    dir: &'a Path,
    dir_canon: PathBuf,
    plan: &'a Plan,
    oracle: &'a dyn HistoryOracle,
}

/// Read a session and judge it. Exit-2 problems (unreadable session.json or plan, malformed
/// finding) are `Err`; rule breaches are diagnostics in the report.
pub fn build(dir: &Path, oracle: &dyn HistoryOracle) -> Result<Report, Error> {
    let info = SessionInfo::read(dir)?;
    let plan_path = info.plan_path(dir);
    // Read every finding file.
    let fdir = dir.join("findings");
    let mut files: Vec<String> = match std::fs::read_dir(&fdir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".md") && n != "report.md" && !n.starts_with('.'))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(Error::at(
                fdir.display().to_string(),
                None,
                format!("cannot list findings: {e}"),
            ))
        }
    };
    files.sort();
    // Parse the plan and the findings in parallel: both are independent, and YAML parsing
    // dominates on large sessions. Results are consumed in sorted file order, so the first
    // error reported is deterministic.
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let (plan_read, parsed) = std::thread::scope(|sc| {
        let plan_thread = sc.spawn(|| session::read_plan(&plan_path));
        let chunk = files.len().div_ceil(workers).max(64);
        let fdir = &fdir;
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|names| {
                sc.spawn(move || {
                    names
                        .iter()
                        .map(|name| {
                            finding::read(&fdir.join(name)).map(|mut f| {
                                // Keep only what the report needs: the cited paths, not the
                                // whole value.
                                f.cited = cited_paths(&f);
                                f.value = Value::Null;
                                f
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let parsed: Vec<_> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("finding parser thread"))
            .collect();
        (plan_thread.join().expect("plan parser thread"), parsed)
    });
    let (src, plan) = plan_read?;
    let sha_now = session::sha256_hex(src.as_bytes());
    let dir_canon = dir.canonicalize().map_err(|e| {
        Error::at(
            dir.display().to_string(),
            None,
            format!("cannot resolve the session directory: {e}"),
        )
    })?;
    let cx = Ctx {
        dir,
        dir_canon,
        plan: &plan,
        oracle,
    };
    let mut diags = Vec::new();
    if sha_now != info.plan_sha256 {
        diags.push(Diag::new(
            "RPT016",
            "session.json",
            session_json_line(dir, "plan_sha256"),
            format!(
                "the plan {} has changed since the session started (sha256 {} recorded, {} now)",
                info.plan,
                short(&info.plan_sha256),
                short(&sha_now)
            ),
            "re-run the affected scenarios against the current plan, or restore the plan the session ran against",
        ));
    }

    let keys = session::plan_keys(&plan);
    let key_set: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
    let mut by_key: BTreeMap<String, (String, Finding)> = BTreeMap::new();
    for (name, f) in files.iter().zip(parsed) {
        let rel = format!("findings/{name}");
        let f =
            f.map_err(|e| Error::at(dir.join(&rel).display().to_string(), e.line, e.message))?;
        let stem = name.trim_end_matches(".md").to_string();
        let key = match &f.scenario {
            Some(s) => s.trim().to_string(),
            None => {
                diags.push(Diag::new(
                    "RPT001",
                    &rel,
                    f.line_of(&["scenario"]),
                    format!("{rel} has no `scenario`"),
                    "add `scenario: S<n>` (or `S<n>/<arm>`) naming the plan's scenario",
                ));
                continue;
            }
        };
        if !key_set.contains(key.as_str()) {
            diags.push(Diag::new(
                "RPT001",
                &rel,
                f.line_of(&["scenario"]),
                format!("finding names scenario {key}, which the plan does not define"),
                &format!("use one of: {}", keys.join(", ")),
            ));
            continue;
        }
        if session::finding_file_name(&key) != *name {
            diags.push(Diag::new(
                "RPT021",
                &rel,
                f.line_of(&["scenario"]),
                format!("{rel} records scenario {key} but its file name says {stem}"),
                &format!(
                    "rename the file to findings/{}",
                    session::finding_file_name(&key)
                ),
            ));
        }
        if let Some((other, _)) = by_key.get(&key) {
            diags.push(Diag::new(
                "RPT021",
                &rel,
                f.line_of(&["scenario"]),
                format!("{rel} and {other} both record scenario {key}"),
                "keep one finding per scenario or arm",
            ));
            continue;
        }
        by_key.insert(key, (rel, f));
    }

    // Judge each scenario and arm, in plan order.
    let index = LineIndex::new(&src);
    let mut rows: Vec<ScenarioRow> = Vec::new();
    for s in &plan.scenarios {
        let serious = stub::is_serious(&plan, s);
        let arms = session::scenario_arm_keys(s);
        let mut arm_rows = Vec::new();
        for a in &arms {
            arm_rows.push(judge_key(
                &cx,
                s,
                Some(a),
                true,
                by_key.get(a),
                &info,
                &index,
                &mut diags,
            ));
        }
        let own = by_key.get(&s.id.key());
        let mut row = if arms.is_empty() || own.is_some() {
            judge_key(&cx, s, None, serious, own, &info, &index, &mut diags)
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
            row.v = Some(v);
            row.verdict = v.to_string();
            row.attempted = arm_rows.iter().any(|r| r.attempted) || row.attempted;
        }
        rows.push(row);
        rows.extend(arm_rows);
    }
    // Findings for unknown scenarios were reported above; nothing else to do with them.

    let row_index: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let verdict_of = |key: &str| -> Verdict {
        row_index
            .get(key)
            .and_then(|i| rows[*i].v)
            .unwrap_or(Verdict::NotRun)
    };
    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(p) = &r.parent {
            children.entry(p.as_str()).or_default().push(i);
        }
    }
    let scenario_index: HashMap<String, &Scenario> =
        plan.scenarios.iter().map(|s| (s.id.key(), s)).collect();
    let top: Vec<Verdict> = rows
        .iter()
        .filter(|r| r.parent.is_none())
        .map(|r| r.v.unwrap_or(Verdict::NotRun))
        .collect();
    let headline = vocab::headline(&top).to_string();

    // Claims.
    let mut claims = Vec::new();
    for c in &plan.claims {
        let key = c.id.key();
        let cited: Vec<Cited> = plan
            .scenarios
            .iter()
            .filter(|s| s.falsifies().iter().any(|r| r.key() == key))
            .map(|s| Cited {
                id: s.id.key(),
                verdict: verdict_of(&s.id.key()).to_string(),
            })
            .collect();
        let vs: Vec<Verdict> = cited
            .iter()
            .map(|x| Verdict::parse(&x.verdict).unwrap_or(Verdict::NotRun))
            .collect();
        claims.push(ClaimRow {
            id: key,
            standing: vocab::claim_standing(&vs).to_string(),
            all_hardening: !vs.is_empty() && vs.iter().all(|v| *v == Verdict::PassHardening),
            scenarios: cited,
        });
    }

    // FAIL blocks.
    let mut findings = Vec::new();
    for r in &rows {
        if !r.v.is_some_and(Verdict::is_fail) {
            continue;
        }
        let Some((rel, f)) = by_key.get(&r.id) else {
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
        let _ = rel;
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
            evidence,
            root_cause: f.failure.root_cause.clone(),
            next_action: f.failure.next_action.clone(),
        });
    }

    // Coverage.
    let mut coverage = Vec::new();
    for h in &plan.hypotheses {
        let Some(id) = &h.id else { continue };
        let key = id.key();
        let by: Vec<Cited> = plan
            .scenarios
            .iter()
            .filter(|s| s.closes().iter().any(|r| r.key() == key))
            .map(|s| Cited {
                id: s.id.key(),
                verdict: verdict_of(&s.id.key()).to_string(),
            })
            .collect();
        let exercised = by.iter().any(|c| c.verdict != Verdict::NotRun.as_str());
        let note = if by.is_empty() {
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
        } else if exercised {
            "exercised".to_string()
        } else {
            "not exercised: every scenario that closes it is NOT-RUN".to_string()
        };
        coverage.push(CoverageRow {
            id: key,
            title: h.title.clone(),
            exercised_by: by,
            note,
        });
    }

    // Surface coverage.
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
                verdict: verdict_of(&s.id.key()).to_string(),
            });
        }
        for a in arms {
            let r = row_index.get(a.as_str()).map(|i| &rows[*i]);
            surface.push(SurfaceRow {
                scenario: s.id.key(),
                executed: r.is_some_and(|r| r.attempted),
                verdict: verdict_of(&a).to_string(),
                arm: a,
                planned: true,
            });
        }
    }

    // Release-budget disclosures.
    let mut release = Vec::new();
    for s in &plan.scenarios {
        if let Some(f) = s.field("release budget") {
            if f.value.trim().to_lowercase().starts_with("not provided") {
                release.push(Cited {
                    id: s.id.key(),
                    verdict: f.value.clone(),
                });
            }
        }
    }

    // Adequacy.
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
                ran.push(Cited {
                    verdict: verdict_of(&k).to_string(),
                    id: k,
                });
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

    // Confidence delta.
    let mut delta = Delta {
        expectation: "every claim held under its tested threats".into(),
        ..Default::default()
    };
    for c in &claims {
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

    // Audits.
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

    // Summary.
    let mut summary = Vec::new();
    for b in &findings {
        summary.push(format!(
            "{} {}: {} ({}, blame {}).",
            b.scenario,
            b.verdict,
            b.title
                .clone()
                .unwrap_or_else(|| "no title recorded".into()),
            b.id,
            b.blame.clone().unwrap_or_else(|| "not recorded".into())
        ));
    }
    for r in &rows {
        let Some(v) = r.v else { continue };
        if v.is_pass() || v.is_fail() {
            continue;
        }
        let why = match (&r.reason, &r.finding) {
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
        };
        summary.push(format!("{} {}: {}.", r.id, v, why.trim_end_matches('.')));
    }
    if summary.is_empty() {
        let hard = top.iter().filter(|v| **v == Verdict::PassHardening).count();
        let smoke = top.iter().filter(|v| **v == Verdict::PassSmoke).count();
        summary.push(format!(
            "All {} scenarios passed: {hard} at PASS-hardening, {smoke} at PASS-smoke.",
            top.len()
        ));
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        summary.push(format!("The findings break {errors} rule(s) of `dstplan report`; the verdicts above are the ones the facts support (see the diagnostics below)."));
    }

    diags.sort_by(|a, b| {
        (&a.path, a.line, a.code, &a.message).cmp(&(&b.path, b.line, b.code, &b.message))
    });
    diags.dedup();
    let dir_name = dir_canon_name(&cx.dir_canon);
    Ok(Report {
        version: VERSION,
        plan: PlanRef {
            slug: session::plan_slug(&plan, &plan_path),
            path: info.plan.clone(),
            sha256: info.plan_sha256.clone(),
            sha256_now: sha_now,
        },
        session: SessionRef {
            dir: dir_name,
            started: info.started.clone(),
            operator: info.operator.clone(),
            sut_commit: info.sut_commit.clone(),
        },
        headline,
        summary,
        scenarios: rows,
        claims,
        findings,
        coverage,
        surface,
        release_disclosures: release,
        adequacy,
        has_adequacy_table: plan.adequacy_table.is_some(),
        confidence_delta: delta,
        audits,
        diagnostics: diags,
        report_md_sha256: None,
    })
}

fn dir_canon_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn short(s: &str) -> String {
    s.chars().take(12).collect()
}

fn session_json_line(dir: &Path, key: &str) -> usize {
    std::fs::read_to_string(dir.join("session.json"))
        .ok()
        .and_then(|t| t.lines().position(|l| l.contains(&format!("\"{key}\""))))
        .map_or(1, |i| i + 1)
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
        recheck: None,
        reason: None,
        finding: None,
        v: Some(Verdict::NotRun),
        attempted: false,
        gbb: Vec::new(),
        weak: Vec::new(),
    }
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

/// Artifact paths a finding cites besides `oracle.history`, with the file line they are on.
pub fn cited_paths(f: &Finding) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    let mut strings = Vec::new();
    collect_strings(&f.value, &mut Vec::new(), &mut strings);
    for s in strings {
        for tok in s.split_whitespace() {
            let t = tok
                .trim_start_matches(['"', '\'', '(', '[', '<', '`'])
                .trim_end_matches(['"', '\'', ')', ']', '>', '`', ',', ';', ':', '.']);
            if ["artifacts/", "logs/", "metrics/"]
                .iter()
                .any(|p| t.starts_with(p))
                && t.len() > 8
                && !out.iter().any(|(x, _)| x == t)
            {
                let line = f
                    .front
                    .lines()
                    .position(|l| l.contains(t))
                    .map_or(f.front_first_line, |i| i + f.front_first_line);
                out.push((t.to_string(), line));
            }
        }
    }
    out
}

fn collect_strings<'a>(v: &'a Value, path: &mut Vec<String>, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) if path.as_slice() != ["oracle", "history"] => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, path, out)),
        Value::Object(m) => {
            for (k, x) in m {
                path.push(k.clone());
                collect_strings(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Check that `rel` names an existing file inside the session; the canonical path on success.
fn inside_session(cx: &Ctx, rel: &str) -> Result<PathBuf, String> {
    let p = Path::new(rel);
    if p.is_absolute() {
        return Err(format!(
            "`{rel}` is an absolute path; cite it relative to the session directory"
        ));
    }
    if p.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(format!("`{rel}` leaves the session directory (`..`)"));
    }
    let canon = cx
        .dir
        .join(p)
        .canonicalize()
        .map_err(|_| format!("`{rel}` does not exist in the session directory"))?;
    if !canon.starts_with(&cx.dir_canon) {
        return Err(format!(
            "`{rel}` resolves outside the session directory (through a symlink) to {}",
            canon.display()
        ));
    }
    Ok(canon)
}

#[allow(clippy::too_many_arguments)]
fn judge_key(
    cx: &Ctx,
    s: &Scenario,
    arm: Option<&str>,
    serious: bool,
    found: Option<&(String, Finding)>,
    info: &SessionInfo,
    index: &LineIndex,
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
            &info.plan,
            index.line(declared_at(s, arm)),
            format!("{} has no finding (expected findings/{}); reported as NOT-RUN", row.id, session::finding_file_name(&row.id)),
            &format!("run it and write the finding (`dstplan finding new --session <dir> --scenario {}`), or record NOT-RUN with a reason", row.id),
        ));
        return row;
    };
    let d = |diags: &mut Vec<Diag>, code: &'static str, key: &[&str], msg: String, help: &str| {
        diags.push(Diag::new(code, rel, f.line_of(key), msg, help));
    };
    let id = row.id.clone();
    row.finding = Some(rel.trim_start_matches("findings/").to_string());
    row.oracle_evidence = f.oracle_evidence.clone();
    row.landing_evidence = f.landing_evidence.clone();
    row.reason = f.reason.clone();
    row.gbb = f.green_but_broken.clone();
    row.weak = f.weak_oracle.clone();
    row.attempted = f.facts.attempted == Some(true);
    if let Some(c) = &f.oracle_checker {
        row.oracle = Some(c.clone());
    }
    for p in &f.problems {
        let key: Vec<&str> = p.key.to_vec();
        d(
            diags,
            "RPT019",
            &key,
            format!("{id}: {}", p.message),
            "use the values `dstplan vocab` lists; null means not known",
        );
    }
    let recorded = match &f.verdict {
        None => {
            d(
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
                d(diags, "RPT002", &["verdict"], format!("{id}: `{v}` is not one of the ten verdicts"), "use a verdict from `dstplan vocab` (e.g. PASS-smoke, INCONCLUSIVE-env, NOT-RUN)");
                None
            }
        },
    };
    row.recorded_verdict = f.verdict.clone();
    for c in vocab::contradictions(&f.facts) {
        d(
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
    let derivation = vocab::derive(&f.facts, &vcx);
    row.derived_verdict = derivation.verdict.to_string();
    let mut eff = derivation.verdict;
    if let Some(r) = recorded {
        match vocab::judge(r, &f.facts, &derivation) {
            Ok(()) => eff = r,
            Err(m) => d(
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
            d(
                diags,
                "RPT004",
                &["oracle", "evidence"],
                format!("{id} records {r} but `oracle.evidence` is empty"),
                "write what the oracle consumed and found, e.g. \"4,217 ops checked, 0 anomalies\"",
            );
            eff = eff.capped(Verdict::InconclusiveOracleTooWeak);
        }
        if r == Verdict::PassHardening && f.landing_evidence.is_none() {
            d(diags, "RPT005", &["nemesis", "landing_evidence"], format!("{id} records PASS-hardening but `nemesis.landing_evidence` is empty"), "write the observable signal that proves the fault landed (a counter, a log line, an exit code)");
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
                d(diags, "RPT006", &["audits", "weak_oracle"], format!("{id} records PASS-hardening on a serious scenario but weak-oracle items are not yes or n/a: {}", bad.join(", ")), "answer every weak-oracle item yes or n/a, or record a weaker verdict");
                eff = eff.capped(Verdict::PartialModel);
            }
        }
        if r.is_fail() {
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
                d(diags, "RPT007", &["failure"], format!("{id} records {r} but has no `failure` block"), "add `failure:` with title, blame, type, severity, reproducer, root_cause, next_action");
            } else if !missing.is_empty() {
                d(diags, "RPT007", &["failure"], format!("{id} records {r} but `failure` lacks {}", missing.join(", ")), "fill blame, type and reproducer; blame may be `unknown — pending re-run on alternative harness/host`");
            }
            if let Some(b) = &fl.blame {
                if !vocab::BLAMES.iter().any(|x| x.eq_ignore_ascii_case(b))
                    && !b.to_lowercase().starts_with("unknown")
                {
                    d(
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
                    d(
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
                    d(
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
        if (r.is_inconclusive() || r.is_partial() || r == Verdict::NotRun) && f.reason.is_none() {
            d(
                diags,
                "RPT008",
                &["reason"],
                format!("{id} records {r} but gives no `reason`"),
                "write one line saying why (what was missing, what fell short)",
            );
        }
    }

    // Declared checker and nemesis against the plan's §7.M.
    let plan_checkers: Vec<&str> = block
        .and_then(|b| b.field("checker"))
        .map(|x| stub::checker_ids(&x.value))
        .unwrap_or_default();
    if let (Some(fc), false) = (&f.oracle_checker, plan_checkers.is_empty()) {
        let ids = stub::checker_ids(fc);
        if ids.is_empty() || ids.iter().any(|c| !plan_checkers.contains(c)) {
            d(
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
            d(
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

    // Cited artifacts.
    for (p, line) in f.cited.iter().cloned() {
        if let Err(m) = inside_session(cx, &p) {
            diags.push(Diag::new(
                "RPT011",
                rel,
                line,
                format!("{id} cites {m}"),
                "put the artifact under the session directory and cite it relative to it",
            ));
        }
    }

    // The history: inside the session, re-checked, context checks.
    if let Some(h) = &f.oracle_history {
        match inside_session(cx, h) {
            Err(m) => d(
                diags,
                "RPT010",
                &["oracle", "history"],
                format!("{id}: oracle.history {m}"),
                "copy the history under artifacts/ and cite it relative to the session directory",
            ),
            Ok(path) => {
                let model = block.and_then(stub::model_id);
                let checker = plan_checkers.iter().find(|c| vocab::is_builtin_checker(c));
                if let (Some(m), Some(c), Some(r)) = (model, checker, recorded) {
                    match cx.oracle.check(&path, m, c) {
                        Ok(hv) => {
                            row.recheck = Some(match hv.outcome {
                                HistoryOutcome::Unknown => hv.evidence.clone(),
                                o => format!(
                                    "re-checked with {c} as {m}: {} — {}",
                                    o.as_str(),
                                    hv.evidence
                                ),
                            });
                            if hv.outcome == HistoryOutcome::Violation && !r.is_fail() {
                                d(diags, "RPT013", &["oracle", "history"], format!("{id} records {r} but re-running {c} on {h} finds a violation: {}", hv.evidence), "record FAIL-* with a failure block, or fix the history if it was recorded wrongly");
                                eff = Verdict::FailNondeterministic;
                            } else if hv.outcome == HistoryOutcome::Ok && r.is_fail() {
                                d(diags, "RPT013", &["oracle", "history"], format!("{id} records {r} but re-running {c} on {h} finds no violation: {}", hv.evidence), "cite the history that shows the violation, or correct the verdict");
                            }
                        }
                        Err(e) => row.recheck = Some(format!("not re-checked ({c}, {m}): {e}")),
                    }
                }
                weak_history(cx, s, f, &path, &id, rel, diags);
            }
        }
    }
    row.v = Some(eff);
    row.verdict = eff.to_string();
    row
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

/// The context checks on a history that need the plan: `fault_epoch` and `node_seen`.
fn weak_history(
    cx: &Ctx,
    s: &Scenario,
    f: &Finding,
    path: &Path,
    id: &str,
    rel: &str,
    diags: &mut Vec<Diag>,
) {
    let need_epoch = f.facts.fault_landed == Some(true);
    let need_node = s.falsifies().iter().any(|c| {
        let key = c.key();
        cx.plan.claim_category(&key) == Some("membership")
            || cx.plan.claim(&key).is_some_and(|cl| {
                let t = cl.text.to_lowercase();
                t.contains("replica") || t.contains("replicat")
            })
    });
    if !need_epoch && !need_node {
        return;
    }
    let Ok(file) = crate::fsx::open_bounded(path, crate::history::MAX_HISTORY_BYTES) else {
        return;
    };
    use std::io::BufRead;
    let (mut epoch, mut node, mut ops) = (false, false, 0usize);
    for line in std::io::BufReader::new(file).lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        ops += 1;
        epoch |= m.get("fault_epoch").is_some_and(|v| !v.is_null());
        node |= m.get("node_seen").is_some_and(|v| !v.is_null());
        if (epoch || !need_epoch) && (node || !need_node) {
            return;
        }
    }
    if ops == 0 {
        return;
    }
    let line = f.line_of(&["oracle", "history"]);
    if need_epoch && !epoch {
        diags.push(Diag::new("RPT017", rel, line, format!("{id}: `fault_epoch` is null on all {ops} operations of the history while `fault_landed` is true"), "record the id of the active fault window per operation, or the verdict cannot rest on the fault"));
    }
    if need_node && !node {
        diags.push(Diag::new("RPT018", rel, line, format!("{id}: `node_seen` is null on all {ops} operations for a replication or membership claim"), "record which node served each operation"));
    }
}

/// Exit code for a report: 1 on error diagnostics, or on the headline with `--fail-on`.
pub fn exit_code(r: &Report, fail_on: Option<&str>) -> i32 {
    if r.has_errors() {
        return crate::exit::FOUND;
    }
    match fail_on {
        Some("fail") if r.headline == "FAIL" => crate::exit::FOUND,
        Some("concerns") if r.headline != "DONE" => crate::exit::FOUND,
        _ => crate::exit::OK,
    }
}

/// Render report.md and set `report_md_sha256`; returns (report.md, report.json).
pub fn finish(r: &mut Report) -> Result<(String, String), Error> {
    let md = render_markdown(r)?;
    r.report_md_sha256 = Some(session::sha256_hex(md.as_bytes()));
    let json = render_json(r);
    Ok((md, json))
}

/// Write report.md and report.json atomically, refusing (exit 2, nothing touched) to replace
/// a report.md that was edited since it was generated unless `force`.
pub fn write(dir: &Path, md: &str, json: &str, force: bool) -> Result<(), Error> {
    let fdir = dir.join("findings");
    let md_path = fdir.join("report.md");
    let json_path = fdir.join("report.json");
    if !force {
        if let Ok(existing) = crate::fsx::read_bytes_bounded(&md_path, 64 << 20) {
            let sha = session::sha256_hex(&existing);
            let recorded = crate::fsx::read_text_bounded(&json_path, 64 << 20)
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .and_then(|v| {
                    v.get("report_md_sha256")
                        .and_then(|s| s.as_str())
                        .map(str::to_string)
                });
            let same_as_new = existing == md.as_bytes();
            if recorded.as_deref() != Some(sha.as_str()) && !same_as_new {
                return Err(Error::at(
                    md_path.display().to_string(),
                    None,
                    "report.md was edited by hand since `dstplan report` generated it (its checksum no longer matches report.json); refusing to overwrite it. Move your notes into the findings, or pass --force to regenerate",
                ));
            }
        }
    }
    crate::fsx::write(&md_path, md.as_bytes(), crate::fsx::Overwrite::Allow)?;
    crate::fsx::write(&json_path, json.as_bytes(), crate::fsx::Overwrite::Allow)?;
    Ok(())
}
