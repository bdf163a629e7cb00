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
mod judge;
mod landing;
mod load;
mod model;
mod recheck;
mod render;
mod rollup;
pub mod rules;
mod timeline;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::Error;
use crate::plan::LineIndex;
use crate::session::{self, SessionInfo};
pub use history_link::{history_oracle, HistoryOracle, HistoryOutcome, HistoryVerdict};
pub use load::cited_paths;
pub use model::*;
pub use render::{render_github, render_json, render_markdown, render_text};

/// report.html for a built report (reads the cited histories and fault logs again to draw them).
pub fn render_html(dir: &Path, r: &Report) -> Result<String, Error> {
    render::render_html(r, &timeline::all(dir, &r.scenarios))
}
pub use rules::{Diag, RULES};

/// `report.json` format version.
pub const VERSION: u32 = 1;

/// Read a session and judge it. Exit-2 problems (unreadable session.json or plan, malformed
/// finding) are `Err`; rule breaches are diagnostics in the report.
pub fn build(dir: &Path, oracle: &dyn HistoryOracle) -> Result<Report, Error> {
    build_with(dir, oracle, &Options::default())
}

/// How `dstplan report` judges (its flags).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--require-verified-landing`.
    pub require_verified_landing: bool,
    /// `--timeout`: the overall budget for re-checking cited histories (default
    /// [`history_link::CHECK_BUDGET`]).
    pub timeout: Option<std::time::Duration>,
    /// `--merge`: other sessions of the same plan whose findings join this one's.
    pub merge: Vec<PathBuf>,
}

/// [`build`] with options.
pub fn build_with(dir: &Path, oracle: &dyn HistoryOracle, opts: &Options) -> Result<Report, Error> {
    let info = SessionInfo::read(dir)?;
    let plan_path = info.plan_path(dir);
    // The sessions: this one, then any merged ones, which must have run the same plan.
    let mut dirs: Vec<PathBuf> = vec![dir.to_path_buf()];
    for other in &opts.merge {
        let oi = SessionInfo::read(other)?;
        let same_file = match (oi.plan_path(other).canonicalize(), plan_path.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if !same_file || oi.plan_sha256 != info.plan_sha256 {
            return Err(Error::at(
                other.join("session.json").display().to_string(),
                None,
                format!(
                    "this session ran plan {} (sha256 {}), not the plan of {} ({}, sha256 {}); --merge takes sessions of one plan",
                    oi.plan,
                    short(&oi.plan_sha256),
                    dir.display(),
                    info.plan,
                    short(&info.plan_sha256)
                ),
            ));
        }
        let canon = load::canonical(other)?;
        if dirs
            .iter()
            .any(|d| load::canonical(d).is_ok_and(|c| c == canon))
        {
            return Err(Error::at(
                other.display().to_string(),
                None,
                "this session is given twice; name each session once",
            ));
        }
        dirs.push(other.clone());
    }
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut shown: Vec<(String, String, usize)> = Vec::new();
    for (i, d) in dirs.iter().enumerate() {
        let fdir = d.join("findings");
        let rel = if i == 0 {
            "findings".to_string()
        } else {
            session::relative_path(dir, &fdir).display().to_string()
        };
        for name in load::finding_files(d)? {
            files.push((fdir.clone(), name.clone()));
            shown.push((rel.clone(), name, i));
        }
    }
    let (plan_read, parsed) = load::parse_all(&plan_path, &files);
    let (src, plan) = plan_read?;
    let sha_now = session::sha256_hex(src.as_bytes());
    let dir_canon = load::canonical(dir)?;
    let mut diags = Vec::new();
    if sha_now != info.plan_sha256 {
        diags.push(Diag::new(
            "RPT016",
            "session.json",
            load::session_json_line(dir, "plan_sha256"),
            format!(
                "the plan {} has changed since the session started (sha256 {} recorded, {} now)",
                info.plan,
                short(&info.plan_sha256),
                short(&sha_now)
            ),
            "re-run the affected scenarios against the current plan, or restore the plan the session ran against",
        ));
    }
    let (by_key, origin) = load::key_findings(dir, &plan, &shown, parsed, &mut diags)?;
    let sessions: Vec<judge::SessionDir> = dirs
        .iter()
        .map(|d| {
            Ok(judge::SessionDir {
                canon: load::canonical(d)?,
                dir: d.clone(),
                faults: landing::FaultLogs::default(),
            })
        })
        .collect::<Result<_, Error>>()?;
    let index = LineIndex::new(&src);
    let rechecks = recheck::run_all(
        &plan,
        &by_key,
        |key, rel| {
            let s = &sessions[origin.get(key).copied().unwrap_or(0)];
            judge::inside_session(&s.dir, &s.canon, rel).ok()
        },
        oracle,
        opts.timeout,
    );
    let cx = judge::Ctx {
        sessions: &sessions,
        origin: &origin,
        plan: &plan,
        rechecks: &rechecks,
        info: &info,
        index: &index,
        require_verified_landing: opts.require_verified_landing,
    };
    let mut rows = judge::judge_all(&cx, &by_key, &mut diags);
    let lines = rollup::reason_lines(&rows, &by_key);
    for (row, line) in rows.iter_mut().zip(lines) {
        row.why = line;
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let ro = rollup::roll_up(&plan, &rows, &by_key, errors);

    diags.sort_by(|a, b| {
        (&a.path, a.line, a.code, &a.message).cmp(&(&b.path, b.line, b.code, &b.message))
    });
    diags.dedup();
    let dir_name = load::dir_canon_name(&dir_canon);
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
            merged: dirs[1..]
                .iter()
                .map(|d| session::relative_path(dir, d).display().to_string())
                .collect(),
        },
        headline: ro.headline,
        summary: ro.summary,
        scenarios: rows,
        claims: ro.claims,
        findings: ro.findings,
        coverage: ro.coverage,
        surface: ro.surface,
        release_disclosures: ro.release,
        adequacy: ro.adequacy,
        has_adequacy_table: plan.adequacy_table.is_some(),
        confidence_delta: ro.delta,
        audits: ro.audits,
        diagnostics: diags,
        report_md_sha256: None,
    })
}

fn short(s: &str) -> String {
    s.chars().take(12).collect()
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

/// The last line of a generated report.md: the SHA-256 of everything above it. It lets the
/// hand-edit guard judge report.md by itself, so a run killed between writing report.json and
/// report.md never makes the next run think the report was edited.
const SEAL_PREFIX: &str = "<!-- dstplan report: sha256 ";
const SEAL_SUFFIX: &str = " of the lines above; edit the findings, not this file -->";

/// Render report.md (sealed with its own checksum) and set `report_md_sha256` to the checksum
/// of the whole file as written; returns (report.md, report.json).
pub fn finish(r: &mut Report) -> Result<(String, String), Error> {
    let mut md = render_markdown(r)?;
    md.push('\n');
    let seal = session::sha256_hex(md.as_bytes());
    md.push_str(&format!("{SEAL_PREFIX}{seal}{SEAL_SUFFIX}\n"));
    r.report_md_sha256 = Some(session::sha256_hex(md.as_bytes()));
    let json = render_json(r);
    Ok((md, json))
}

/// Whether `md` is a report.md as generated: its seal matches the text above it, or (for a
/// report written before seals) report.json's `report_md_sha256` matches the file.
fn generated(md: &[u8], json_path: &Path) -> bool {
    let text = String::from_utf8_lossy(md);
    let body = text.strip_suffix('\n').unwrap_or(&text);
    if let Some((above, last)) = body.rsplit_once('\n') {
        if let Some(hex) = last
            .strip_prefix(SEAL_PREFIX)
            .and_then(|x| x.strip_suffix(SEAL_SUFFIX))
        {
            return session::sha256_hex(format!("{above}\n").as_bytes()) == hex;
        }
    }
    let recorded = crate::fsx::read_text_bounded(json_path, 64 << 20)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| {
            v.get("report_md_sha256")
                .and_then(|s| s.as_str())
                .map(str::to_string)
        });
    recorded.as_deref() == Some(session::sha256_hex(md).as_str())
}

/// Write report.md, report.json (and report.html when given) as one step: all temporary files
/// first, then the renames (report.json, report.html, report.md last), so a kill or a full disk
/// never leaves a half file and never a report.md that looks edited. Refuses (exit 2, nothing
/// touched) to replace a report.md edited by hand since it was generated unless `force`.
/// Temporary files left by killed runs are removed.
pub fn write(
    dir: &Path,
    md: &str,
    json: &str,
    html: Option<&str>,
    force: bool,
) -> Result<(), Error> {
    let fdir = dir.join("findings");
    let md_path = fdir.join("report.md");
    let json_path = fdir.join("report.json");
    let html_path = fdir.join("report.html");
    crate::fsx::clean_stale_temps(&fdir, "report.");
    if !force {
        if let Ok(existing) = crate::fsx::read_bytes_bounded(&md_path, 64 << 20) {
            if existing != md.as_bytes() && !generated(&existing, &json_path) {
                return Err(Error::at(
                    md_path.display().to_string(),
                    None,
                    "report.md was edited by hand since `dstplan report` generated it (its checksum no longer matches); refusing to overwrite it. Move your notes into the findings, or pass --force to regenerate",
                ));
            }
        }
    }
    let mut files: Vec<(&Path, &[u8])> = vec![(&json_path, json.as_bytes())];
    if let Some(h) = html {
        files.push((&html_path, h.as_bytes()));
    }
    files.push((&md_path, md.as_bytes()));
    crate::fsx::write_all(&files)?;
    Ok(())
}
