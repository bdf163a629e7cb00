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
use crate::plan::{Block, Plan, Scenario};
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
        /// Operations, and whether any has a `fault_epoch` / a `node_seen`.
        ops: usize,
        any_epoch: bool,
        any_node: bool,
        /// `(model, checker, result)` of the re-run checker.
        verdict: Option<(&'static str, &'static str, Result<HistoryVerdict, String>)>,
    },
    /// The path is not a regular file, or the history does not parse: why.
    Unreadable(String),
}

/// The model and built-in checker a §7.M block declares, when it declares both.
pub fn declared(block: Option<&Block>) -> Option<(&'static str, &'static str)> {
    let block = block?;
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
    resolve: impl Fn(&str, &str) -> Option<PathBuf>,
    oracle: &dyn HistoryOracle,
    overall: Option<Duration>,
) -> HashMap<String, Recheck> {
    // Scenario by key, built once (a lookup per finding would be quadratic in the plan).
    let scenarios: HashMap<String, &Scenario> =
        plan.scenarios.iter().map(|s| (s.id.key(), s)).collect();
    let block_of = |key: &str| {
        let base = key.split('/').next().unwrap_or(key);
        let s = scenarios.get(base)?;
        stub::model_block(s, key.contains('/').then_some(key))
    };
    let jobs: Vec<Job> = by_key
        .iter()
        .filter_map(|(key, (_, f))| {
            let path = resolve(key, f.oracle_history.as_deref()?)?;
            Some(Job {
                key: key.clone(),
                path,
                check: declared(block_of(key)),
                own_budget: f.oracle_timeout_s.map(Duration::from_secs_f64),
            })
        })
        .collect();
    let overall = overall.unwrap_or(CHECK_BUDGET);
    let deadline = Instant::now() + overall;
    // The same history with the same check is read and checked once.
    type Same = (PathBuf, Option<(&'static str, &'static str)>, Option<u64>);
    let mut unique: Vec<&Job> = Vec::new();
    let mut index: HashMap<Same, usize> = HashMap::new();
    let mut of_job: Vec<usize> = Vec::with_capacity(jobs.len());
    for job in &jobs {
        let same = (
            job.path.clone(),
            job.check,
            job.own_budget.map(|d| d.as_nanos() as u64),
        );
        let i = *index.entry(same).or_insert_with(|| {
            unique.push(job);
            unique.len() - 1
        });
        of_job.push(i);
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Recheck>>> = Mutex::new(vec![None; unique.len()]);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(unique.len());
    std::thread::scope(|sc| {
        for _ in 0..workers {
            sc.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = unique.get(i) else { break };
                let r = one(job, oracle, overall, deadline);
                results.lock().expect("recheck results")[i] = Some(r);
            });
        }
    });
    let results = results.into_inner().expect("recheck results");
    jobs.iter()
        .zip(of_job)
        .filter_map(|(job, i)| Some((job.key.clone(), results[i].clone()?)))
        .collect()
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
    let h = match crate::history::load(&job.path) {
        Ok((h, _)) => h,
        Err(e) => return Recheck::Unreadable(format!("does not parse as a history: {e}")),
    };
    let span = super::landing::span(&h);
    let (ops, any_epoch, any_node) = (
        h.ops.len(),
        h.ops.iter().any(|o| o.fault_epoch.is_some()),
        h.ops.iter().any(|o| o.node.is_some()),
    );
    drop(h);
    let verdict = job.check.map(|(model, checker)| {
        let left = deadline.saturating_duration_since(Instant::now());
        let budget = job.own_budget.map_or(left, |b| b.min(left));
        let v = if left.is_zero() {
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
            oracle.check(&job.path, model, checker, budget).map(|mut v| {
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
        (model, checker, v)
    });
    Recheck::Read {
        span,
        ops,
        any_epoch,
        any_node,
        verdict,
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
