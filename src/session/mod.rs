//! Execution sessions: the directory a plan's execution writes into (`execution-format.md`).
//!
//! [`new_session`] creates `test-sessions/<slug>/<UTC>/` with its sub-directories,
//! `session.json` and a pre-filled `session-log.md`; [`SessionInfo`] reads `session.json`
//! back; [`finding`] parses finding files with bounded YAML; [`stub`] writes finding stubs.
//! Everything that writes goes through [`crate::fsx`].

pub mod finding;
pub mod front;
pub mod stub;

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::fsx::{self, Overwrite};
use crate::plan::Plan;

/// The sub-directories every session has.
pub const SESSION_DIRS: &[&str] = &["logs", "metrics", "artifacts", "findings"];

/// The session log template, embedded.
const SESSION_LOG_TEMPLATE: &str = include_str!("../../templates/session-log.md.j2");

/// `session.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionInfo {
    /// Path to the plan, relative to the session directory or absolute.
    pub plan: String,
    pub plan_sha256: String,
    pub sut_commit: Option<String>,
    /// RFC 3339 UTC.
    pub started: String,
    pub operator: String,
}

impl SessionInfo {
    /// Read `<dir>/session.json`; exit-2 errors say what is wrong and where.
    pub fn read(dir: &Path) -> Result<SessionInfo, Error> {
        let p = dir.join("session.json");
        let text = std::fs::read_to_string(&p).map_err(|e| {
            Error::at(
                p.display().to_string(),
                None,
                format!("cannot read session.json ({e}); is this a session directory made by `dstplan session new`?"),
            )
        })?;
        serde_json::from_str(&text).map_err(|e| {
            Error::at(
                p.display().to_string(),
                Some(e.line()),
                format!("session.json is not valid: {e}; it needs the keys plan, plan_sha256, sut_commit, started, operator"),
            )
        })
    }

    /// The plan's path as seen from the current directory.
    pub fn plan_path(&self, dir: &Path) -> PathBuf {
        let p = Path::new(&self.plan);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            dir.join(p)
        }
    }
}

/// Read a plan file; exit 2 with the path when it cannot be read.
pub fn read_plan(path: &Path) -> Result<(String, Plan), Error> {
    let src = crate::fsx::read_text_bounded(path, 64 << 20)?;
    let plan = crate::plan::parse(&src);
    Ok((src, plan))
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The plan's slug: the title's, else the file stem; made safe as one path component
/// (letters, digits, `-`, `_`, `.`; anything else becomes `-`; no leading dot).
pub fn plan_slug(plan: &Plan, path: &Path) -> String {
    let raw = raw_slug(plan, path);
    let safe: String = raw
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let safe = safe.trim_start_matches(['.', '-']).to_string();
    if safe.is_empty() {
        "plan".into()
    } else {
        safe
    }
}

fn raw_slug(plan: &Plan, path: &Path) -> String {
    plan.slug
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "plan".into())
        })
}

/// The finding file name of a scenario or arm key: `S3` → `S3.md`, `S5/api` → `S5-api.md`.
pub fn finding_file_name(key: &str) -> String {
    format!("{}.md", key.replace('/', "-"))
}

/// Every scenario and arm key of a plan, in plan order (arms after their scenario).
pub fn plan_keys(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    for s in &plan.scenarios {
        out.push(s.id.key());
        for a in scenario_arm_keys(s) {
            out.push(a);
        }
    }
    out
}

/// The arm keys of a scenario: declared in `Scenario arms:`, plus arm blocks not declared.
pub fn scenario_arm_keys(s: &crate::plan::Scenario) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in s.declared_arms() {
        let k = r.key();
        if r.base_key() == s.id.key() && !out.contains(&k) {
            out.push(k);
        }
    }
    for a in &s.arms {
        let k = a.id.key();
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// What `session new` needs.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub plan: PathBuf,
    pub root: Option<PathBuf>,
    pub operator: Option<String>,
}

/// Create a session directory; returns its path.
pub fn new_session(req: &NewSession) -> Result<PathBuf, Error> {
    let (src, plan) = read_plan(&req.plan)?;
    let plan_abs = req.plan.canonicalize().map_err(|e| {
        Error::at(
            req.plan.display().to_string(),
            None,
            format!("cannot resolve the plan's path: {e}"),
        )
    })?;
    let plan_dir = plan_abs.parent().unwrap_or(Path::new("/")).to_path_buf();
    let repo = crate::scaffold::git::discover(&plan_dir);
    let root = match &req.root {
        Some(r) => r.clone(),
        None => match repo.as_ref().and_then(crate::scaffold::git::root) {
            Some(w) => w,
            None => std::env::current_dir()
                .map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?,
        },
    };
    std::fs::create_dir_all(&root).map_err(|e| {
        Error::at(
            root.display().to_string(),
            None,
            format!("cannot create the session root: {e}"),
        )
    })?;
    let root = root.canonicalize().map_err(|e| {
        Error::at(
            root.display().to_string(),
            None,
            format!("cannot resolve the session root: {e}"),
        )
    })?;
    let now = chrono::Utc::now();
    let stamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let started = now.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let slug = plan_slug(&plan, &req.plan);
    let dir = root.join("test-sessions").join(&slug).join(&stamp);
    if dir.symlink_metadata().is_ok() {
        return Err(Error::at(
            dir.display().to_string(),
            None,
            "a session with this timestamp already exists; refusing to write over it (wait a second and retry)",
        ));
    }
    if let Some(outer) = enclosing_session(&dir) {
        return Err(Error::at(
            dir.display().to_string(),
            None,
            format!(
                "refusing to create a session inside another session ({} holds session.json); pass --root outside it",
                outer.display()
            ),
        ));
    }
    let sut_commit = repo.as_ref().and_then(|r| r.head());
    let operator = req
        .operator
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".into());
    let info = SessionInfo {
        plan: relative_path(&dir, &plan_abs).display().to_string(),
        plan_sha256: sha256_hex(src.as_bytes()),
        sut_commit,
        started,
        operator,
    };
    let log = render_session_log(&plan, &slug, &info)?;
    // session.json is written last-but-one and with Never, so a concurrent `session new` for
    // the same second cannot silently share the directory.
    let mut json = serde_json::to_string_pretty(&info).expect("json");
    json.push('\n');
    fsx::write(&dir.join("session.json"), json.as_bytes(), Overwrite::Never)?;
    for d in SESSION_DIRS {
        std::fs::create_dir_all(dir.join(d)).map_err(|e| {
            Error::at(
                dir.join(d).display().to_string(),
                None,
                format!("cannot create directory: {e}"),
            )
        })?;
    }
    fsx::write(
        &dir.join("session-log.md"),
        log.as_bytes(),
        Overwrite::Never,
    )?;
    Ok(dir)
}

/// The nearest ancestor of `dir` (or `dir` itself) that holds `session.json`.
pub fn enclosing_session(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|a| a.join("session.json").is_file())
        .map(Path::to_path_buf)
}

/// `to` relative to `from_dir` (both absolute, canonical).
pub fn relative_path(from_dir: &Path, to: &Path) -> PathBuf {
    let f: Vec<Component> = from_dir.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return to.to_path_buf();
    }
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    out
}

fn render_session_log(plan: &Plan, slug: &str, info: &SessionInfo) -> Result<String, Error> {
    let mut env_rows = Vec::new();
    if let Some(t) = &plan.environment_table {
        let req = t.column("requirement");
        let floor = t.column("version floor");
        let used = t.column("used by");
        for row in &t.rows {
            let cell = |c| {
                t.cell(row, c)
                    .map(|x| cell_text(&x.text))
                    .unwrap_or_default()
            };
            env_rows.push(serde_json::json!({
                "requirement": cell(req), "floor": cell(floor), "used_by": cell(used),
            }));
        }
    }
    let mut rows = Vec::new();
    for s in &plan.scenarios {
        rows.push(serde_json::json!({"id": s.id.key(), "name": cell_text(&s.name.text)}));
        for a in scenario_arm_keys(s) {
            rows.push(serde_json::json!({"id": a, "name": format!("arm of {}", s.id.key())}));
        }
    }
    let mut env = minijinja::Environment::new();
    env.set_keep_trailing_newline(true);
    env.add_template("session-log", SESSION_LOG_TEMPLATE)
        .map_err(|e| Error::internal(format!("internal: session-log template: {e}")))?;
    let tpl = env.get_template("session-log").expect("added");
    tpl.render(minijinja::context! {
        slug, info, env_rows, scenarios => rows,
    })
    .map_err(|e| Error::internal(format!("internal: session-log template: {e}")))
}

/// Text safe inside a Markdown table cell: one line, `|` escaped.
pub fn cell_text(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_walk_up_and_down() {
        assert_eq!(
            relative_path(
                Path::new("/r/test-sessions/p/t"),
                Path::new("/r/plans/p.md")
            ),
            PathBuf::from("../../../plans/p.md")
        );
        assert_eq!(finding_file_name("S5/api"), "S5-api.md");
        let p = crate::plan::parse("# Test Plan: ../../etc passwd\n");
        assert_eq!(plan_slug(&p, Path::new("x.md")), "etc-passwd");
    }
}
