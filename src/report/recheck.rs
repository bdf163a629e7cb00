//! Re-checking the histories findings cite, in parallel within one overall budget
//! (`report --timeout S`, default [`CHECK_BUDGET`]; a finding may ask for less with
//! `oracle.timeout_s`). Every cited history is loaded (a history that does not parse, or is not
//! a regular file, is reported by the judge); when the plan's §7.M declares a model and a
//! built-in checker, the checker re-runs on it. Results are keyed by scenario or arm, and the
//! judge reads them in plan order, so the report stays deterministic apart from what the budget
//! allows.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::history_link::{HistoryOracle, HistoryOutcome, HistoryVerdict, CHECK_BUDGET};
use super::load::ByKey;
use crate::plan::Plan;
use crate::session::stub;
use crate::vocab;

/// One cited history to re-check.
struct Job {
    key: String,
    path: PathBuf,
    /// (model, checker) when the plan declares both and the checker is built in.
    check: Option<(&'static str, &'static str)>,
    /// `oracle.timeout_s`.
    own_budget: Option<Duration>,
}

/// What re-reading a cited history found.
#[derive(Debug, Clone)]
pub enum Recheck {
    /// The history was read (and checked, when `verdict` is set).
    Read {
        span: Option<(i64, i64)>,
        /// `(model, checker, result)` of the re-run checker.
        verdict: Option<(&'static str, &'static str, Result<HistoryVerdict, String>)>,
    },
    /// The path is not a regular file, or the history does not parse: why.
    Unreadable(String),
}

/// The plan's model and built-in checker for a scenario or arm key.
pub fn declared(plan: &Plan, key: &str) -> Option<(&'static str, &'static str)> {
    let (s, arm) = stub::resolve(plan, key)?;
    let block = stub::model_block(s, arm.as_deref())?;
    let model = stub::model_id(block)?;
    let checker = block
        .field("checker")
        .map(|x| stub::checker_ids(&x.value))
        .unwrap_or_default()
        .into_iter()
        .find(|c| vocab::is_builtin_checker(c))?;
    Some((model, checker))
}

/// Re-check every history the findings cite (paths already resolved inside the session by
/// `resolve`), in parallel, within `overall`.
pub fn run_all(
    plan: &Plan,
    by_key: &ByKey,
    resolve: impl Fn(&str) -> Option<PathBuf>,
    oracle: &dyn HistoryOracle,
    overall: Option<Duration>,
) -> HashMap<String, Recheck> {
    let jobs: Vec<Job> = by_key
        .iter()
        .filter_map(|(key, (_, f))| {
            let path = resolve(f.oracle_history.as_deref()?)?;
            Some(Job {
                key: key.clone(),
                path,
                check: declared(plan, key),
                own_budget: f.oracle_timeout_s.map(Duration::from_secs_f64),
            })
        })
        .collect();
    let overall = overall.unwrap_or(CHECK_BUDGET);
    let deadline = Instant::now() + overall;
    let next = AtomicUsize::new(0);
    let out = Mutex::new(HashMap::new());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(jobs.len());
    std::thread::scope(|sc| {
        for _ in 0..workers {
            sc.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let r = one(job, oracle, overall, deadline);
                out.lock()
                    .expect("recheck results")
                    .insert(job.key.clone(), r);
            });
        }
    });
    out.into_inner().expect("recheck results")
}

fn one(job: &Job, oracle: &dyn HistoryOracle, overall: Duration, deadline: Instant) -> Recheck {
    match std::fs::metadata(&job.path) {
        Ok(m) if m.is_file() => {}
        Ok(m) if m.is_dir() => {
            return Recheck::Unreadable("is a directory, not a history file".into())
        }
        Ok(_) => return Recheck::Unreadable("is not a regular file (a FIFO or a device?)".into()),
        Err(e) => return Recheck::Unreadable(format!("cannot be read: {e}")),
    }
    let Some((model, checker)) = job.check else {
        return match crate::history::load(&job.path) {
            Ok((h, _)) => Recheck::Read {
                span: super::landing::span(&h),
                verdict: None,
            },
            Err(e) => Recheck::Unreadable(format!("does not parse as a history: {e}")),
        };
    };
    let left = deadline.saturating_duration_since(Instant::now());
    let budget = job.own_budget.map_or(left, |b| b.min(left));
    let verdict = if left.is_zero() {
        Ok(HistoryVerdict {
            outcome: HistoryOutcome::Unknown,
            evidence: format!(
                "unknown: not re-checked, the report's --timeout of {} (for all histories together) ran out before this one",
                seconds(overall)
            ),
            span: None,
            witness: Vec::new(),
        })
    } else {
        oracle
            .check(&job.path, model, checker, budget)
            .map(|mut v| {
                if v.outcome == HistoryOutcome::Unknown {
                    let which = if job.own_budget.is_some_and(|b| b <= left) {
                        format!("the finding's oracle.timeout_s of {}", seconds(budget))
                    } else {
                        format!("the report's --timeout of {}", seconds(overall))
                    };
                    v.evidence = format!("{} (undecided within {which})", v.evidence);
                }
                v
            })
    };
    if let Err(e) = &verdict {
        if crate::history::load(&job.path).is_err() {
            return Recheck::Unreadable(format!("does not parse as a history: {e}"));
        }
    }
    let span = verdict.as_ref().ok().and_then(|v| v.span).or_else(|| {
        // An oracle that does not report a span (or ran out of time): read it directly.
        crate::history::load(&job.path)
            .ok()
            .and_then(|(h, _)| super::landing::span(&h))
    });
    Recheck::Read {
        span,
        verdict: Some((model, checker, verdict)),
    }
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}
