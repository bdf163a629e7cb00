//! Evidence a finding cites: artifacts and the history inside the session (RPT010, RPT011,
//! RPT025), the history's re-check against the recorded verdict (RPT013) and its context
//! (RPT017, RPT018), and the cited fault ids against the session's fault logs (RPT022–RPT024).

use std::path::{Component, Path, PathBuf};

use super::super::landing::{self, Landing};
use super::super::recheck::{self, Recheck};
use super::super::{Diag, HistoryOutcome, HistoryVerdict, ScenarioRow};
use super::Judging;
use crate::vocab::Verdict;

/// Check that `rel` names an existing file inside the session; the canonical path on success.
pub fn inside_session(dir: &Path, dir_canon: &Path, rel: &str) -> Result<PathBuf, String> {
    let p = Path::new(rel);
    if p.is_absolute() {
        return Err(format!(
            "`{rel}` is an absolute path; cite it relative to the session directory"
        ));
    }
    if p.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(format!("`{rel}` leaves the session directory (`..`)"));
    }
    // Fast path: walk the components under the canonical session directory; with no symlink
    // on the way, that path is already canonical (one lstat per component instead of a full
    // realpath). A symlink anywhere takes the slow path, which resolves it.
    let mut walked = dir_canon.to_path_buf();
    let mut plain = true;
    for c in p.components() {
        match c {
            Component::CurDir => continue,
            Component::Normal(n) => walked.push(n),
            _ => {
                plain = false;
                break;
            }
        }
        match std::fs::symlink_metadata(&walked) {
            Ok(m) if m.file_type().is_symlink() => {
                plain = false;
                break;
            }
            Ok(_) => {}
            Err(_) => return Err(format!("`{rel}` does not exist in the session directory")),
        }
    }
    if plain && walked != dir_canon {
        return Ok(walked);
    }
    let canon = dir
        .join(p)
        .canonicalize()
        .map_err(|_| format!("`{rel}` does not exist in the session directory"))?;
    if !canon.starts_with(dir_canon) {
        return Err(format!(
            "`{rel}` resolves outside the session directory (through a symlink) to {}",
            canon.display()
        ));
    }
    Ok(canon)
}

impl Judging<'_> {
    /// RPT011: every cited artifact exists inside the session.
    pub(super) fn cited(&self, diags: &mut Vec<Diag>) {
        let (f, id, rel) = (self.f, &self.id, self.rel);
        // Cited artifacts.
        for (p, line) in f.cited.iter().cloned() {
            if let Err(m) = inside_session(&self.sess().dir, &self.sess().canon, &p) {
                diags.push(Diag::new(
                    "RPT011",
                    rel,
                    line,
                    format!("{id} cites {m}"),
                    "put the artifact under the session directory and cite it relative to it",
                ));
            }
        }
    }

    /// RPT010/RPT013/RPT017/RPT018: the cited history is inside the session, re-checked with
    /// the declared checker, and carries the context the claims need.
    /// Returns the cited history's time span when fault ids need it.
    pub(super) fn history(
        &self,
        recorded: Option<Verdict>,
        row: &mut ScenarioRow,
        eff: &mut Verdict,
        diags: &mut Vec<Diag>,
    ) -> Option<(i64, i64)> {
        let mut span = None;
        let (cx, f, id) = (self.cx, self.f, &self.id);
        // The history: inside the session, re-checked, context checks.
        if let Some(h) = &f.oracle_history {
            match inside_session(&self.sess().dir, &self.sess().canon, h) {
                Err(m) => self.d(
                    diags,
                    "RPT010",
                    &["oracle", "history"],
                    format!("{id}: oracle.history {m}"),
                    "copy the history under artifacts/ and cite it relative to the session directory",
                ),
                Ok(path) => match cx.rechecks.get(id.as_str()) {
                    Some(Recheck::Unreadable(why)) => {
                        if let Some(r) = recorded.filter(|r| r.is_pass()) {
                            self.d(
                                diags,
                                "RPT025",
                                &["oracle", "history"],
                                format!("{id} records {r} on oracle.history `{h}`, which {why}"),
                                "cite the JSONL history the checker consumed (history-format.md); `dstplan history validate` shows what is wrong with it",
                            );
                        }
                        if let (Some((m, c)), Some(_)) = (recheck::declared(self.block), recorded) {
                            row.recheck = Some(format!("not re-checked ({c}, {m}): `{h}` {why}"));
                        }
                    }
                    Some(Recheck::Read {
                        span: sp,
                        ops,
                        any_epoch,
                        any_node,
                        verdict,
                    }) => {
                        span = *sp;
                        row.history_path = Some(path.clone());
                        row.session_dir = Some(self.sess().dir.clone());
                        if let (Some((m, c, res)), Some(r)) = (verdict, recorded) {
                            self.recheck(r, h, m, c, res, row, eff, diags);
                        }
                        weak_history(self, *ops, *any_epoch, *any_node, diags);
                    }
                    None => {}
                },
            }
        }
        span
    }

    /// RPT013: the re-run checker against the recorded verdict; the finding's and the
    /// re-check's readings side by side when they disagree or the re-check cannot decide.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn recheck(
        &self,
        r: Verdict,
        h: &str,
        m: &str,
        c: &str,
        res: &Result<HistoryVerdict, String>,
        row: &mut ScenarioRow,
        eff: &mut Verdict,
        diags: &mut Vec<Diag>,
    ) {
        let id = &self.id;
        let hv = match res {
            Ok(hv) => hv,
            Err(e) => {
                row.recheck = Some(format!("not re-checked ({c}, {m}): {e}"));
                return;
            }
        };
        row.witness = hv.witness.clone();
        row.recheck = Some(match hv.outcome {
            HistoryOutcome::Unknown => hv.evidence.clone(),
            o => format!(
                "re-checked with {c} as {m}: {} — {}",
                o.as_str(),
                hv.evidence
            ),
        });
        let disagrees = match hv.outcome {
            HistoryOutcome::Violation => !r.is_fail(),
            HistoryOutcome::Ok => r.is_fail(),
            HistoryOutcome::Unknown => true,
        };
        if disagrees {
            let short = |s: &str| super::super::rollup::one_sentence(s, 100);
            row.recheck_conflict = Some(format!(
                "finding: {r}, {}; re-check by the report ({c}): {}, {}",
                short(
                    self.f
                        .oracle_evidence
                        .as_deref()
                        .unwrap_or("no evidence recorded")
                ),
                hv.outcome.as_str(),
                short(&hv.evidence)
            ));
        }
        if hv.outcome == HistoryOutcome::Violation && !r.is_fail() {
            self.d(
                diags,
                "RPT013",
                &["oracle", "history"],
                format!(
                    "{id} records {r} but re-running {c} on {h} finds a violation: {}",
                    hv.evidence
                ),
                "record FAIL-* with a failure block, or fix the history if it was recorded wrongly",
            );
            *eff = Verdict::FailNondeterministic;
        } else if hv.outcome == HistoryOutcome::Ok && r.is_fail() {
            self.d(
                diags,
                "RPT013",
                &["oracle", "history"],
                format!(
                    "{id} records {r} but re-running {c} on {h} finds no violation: {}",
                    hv.evidence
                ),
                "cite the history that shows the violation, or correct the verdict",
            );
        }
    }

    /// RPT022–RPT024: the cited fault ids against the session's fault logs; the landing.
    pub(super) fn landing(
        &self,
        recorded: Option<Verdict>,
        span: Option<(i64, i64)>,
        diags: &mut Vec<Diag>,
    ) -> Landing {
        let (cx, f, id) = (self.cx, self.f, &self.id);
        if !f.fault_ids.is_empty() && f.oracle_history.is_none() {
            self.d(
                diags,
                "RPT024",
                &["nemesis", "fault_ids"],
                format!("{id} cites fault ids {} but no `oracle.history`, so their windows cannot be checked against the run", f.fault_ids.join(", ")),
                "cite the history the faults were injected into (`oracle.history`)",
            );
        }
        let (landing, problems) = landing::verify(
            &self.sess().dir,
            &self.sess().faults,
            &f.fault_ids,
            span,
            f.landing_evidence.is_some(),
        );
        for p in problems {
            self.d(
                diags,
                "RPT022",
                &["nemesis", "fault_ids"],
                format!("{id}: {p}"),
                "cite only faults `dstplan fault` logged as landed during this history, or record the verdict the evidence supports",
            );
        }
        if cx.require_verified_landing && landing == Landing::Typed {
            if let Some(r) = recorded.filter(|r| r.is_pass()) {
                self.d(
                    diags,
                    "RPT023",
                    &["nemesis", "landing_evidence"],
                    format!("{id} records {r} on typed landing evidence only (--require-verified-landing)"),
                    "inject the fault with `dstplan fault start` and cite its id in `nemesis.fault_ids`",
                );
            }
        }
        landing
    }
}

/// The context checks on a history that need the plan: `fault_epoch` and `node_seen`.
fn weak_history(j: &Judging, ops: usize, epoch: bool, node: bool, diags: &mut Vec<Diag>) {
    let (cx, s, f, id, rel) = (j.cx, j.s, j.f, j.id.as_str(), j.rel);
    let need_epoch = f.facts.fault_landed == Some(true);
    let need_node = s.falsifies().iter().any(|c| {
        let key = c.key();
        cx.plan.claim_category(&key) == Some("membership")
            || cx.plan.claim(&key).is_some_and(|cl| {
                let t = cl.text.to_lowercase();
                t.contains("replica") || t.contains("replicat")
            })
    });
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
