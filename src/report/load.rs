//! Reading a session for the report: the finding files (parsed in parallel with the plan)
//! keyed by the scenario or arm they record, and the artifact paths each one cites.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::Diag;
use crate::error::Error;
use crate::plan::Plan;
use crate::session;
use crate::session::finding::{self, Finding, FindingError};

/// Findings by scenario or arm key: (path relative to the session, finding).
pub type ByKey = BTreeMap<String, (String, Finding)>;

/// The finding files of a session (`findings/*.md` except report.md and dot files), sorted.
pub fn finding_files(dir: &Path) -> Result<Vec<String>, Error> {
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
    Ok(files)
}

/// A parsed plan (source text and plan), or why it could not be read.
pub type PlanRead = Result<(String, Plan), Error>;

/// Parse the plan and the findings in parallel: both are independent, and YAML parsing
/// dominates on large sessions. `files` are (findings directory, file name); results come back
/// in `files` order, so the first error reported is deterministic.
pub fn parse_all(
    plan_path: &Path,
    files: &[(PathBuf, String)],
) -> (PlanRead, Vec<Result<Finding, FindingError>>) {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    std::thread::scope(|sc| {
        let plan_thread = sc.spawn(|| session::read_plan(plan_path));
        let chunk = files.len().div_ceil(workers).max(64);
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|names| {
                sc.spawn(move || {
                    names
                        .iter()
                        .map(|(fdir, name)| {
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
    })
}

/// Key each parsed finding by the scenario or arm it records. A malformed finding is `Err`
/// (exit 2); a missing, unknown or duplicate scenario, or a file name that disagrees, is a
/// diagnostic.
/// `files` are (path of the findings directory as shown, relative to the reported session;
/// file name; session index). Returns the findings by key and the session each came from.
pub fn key_findings(
    dir: &Path,
    plan: &Plan,
    files: &[(String, String, usize)],
    parsed: Vec<Result<Finding, FindingError>>,
    diags: &mut Vec<Diag>,
) -> Result<(ByKey, HashMap<String, usize>), Error> {
    let keys = session::plan_keys(plan);
    let key_set: HashSet<&str> = keys.iter().map(String::as_str).collect();
    let mut by_key = ByKey::new();
    let mut origin = HashMap::new();
    for ((shown, name, sess), f) in files.iter().zip(parsed) {
        let rel = format!("{shown}/{name}");
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
        origin.insert(key.clone(), *sess);
        by_key.insert(key, (rel, f));
    }
    Ok((by_key, origin))
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

/// The session directory's name.
pub fn dir_canon_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The 1-based line of `"key"` in session.json (1 when not found).
pub fn session_json_line(dir: &Path, key: &str) -> usize {
    std::fs::read_to_string(dir.join("session.json"))
        .ok()
        .and_then(|t| t.lines().position(|l| l.contains(&format!("\"{key}\""))))
        .map_or(1, |i| i + 1)
}

/// The canonical session directory.
pub fn canonical(dir: &Path) -> Result<PathBuf, Error> {
    dir.canonicalize().map_err(|e| {
        Error::at(
            dir.display().to_string(),
            None,
            format!("cannot resolve the session directory: {e}"),
        )
    })
}
