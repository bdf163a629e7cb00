//! Renderers of a [`Report`]: report.md (minijinja template `templates/report.md.j2`, the
//! eleven sections of `execution-format.md` in order), report.json, a human summary and GitHub
//! workflow annotations. All are pure functions of the report, so output is deterministic.

use std::path::Path;

use super::Report;
use crate::error::Error;
use crate::session::cell_text;

const REPORT_TEMPLATE: &str = include_str!("../../templates/report.md.j2");
const HTML_TEMPLATE: &str = include_str!("../../templates/report.html.j2");

fn cell(v: minijinja::Value) -> String {
    if v.is_none() || v.is_undefined() {
        return "—".into();
    }
    let s = v
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string());
    let t = cell_text(&s);
    if t.is_empty() {
        "—".into()
    } else {
        t
    }
}

/// The in-page anchor of a scenario or arm: `S3/api` → `s3-api`.
pub fn anchor(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// report.md.
pub fn render_markdown(r: &Report) -> Result<String, Error> {
    let mut env = minijinja::Environment::new();
    env.set_keep_trailing_newline(true);
    env.set_trim_blocks(true);
    env.add_filter("cell", cell);
    env.add_filter("anchor", anchor);
    env.add_template("report", REPORT_TEMPLATE)
        .map_err(|e| Error::internal(format!("internal: report template: {e}")))?;
    let tpl = env.get_template("report").expect("added");
    tpl.render(minijinja::context! { r => r })
        .map_err(|e| Error::internal(format!("internal: report template: {e}")))
}

/// A verdict's CSS class in report.html.
fn vclass(v: &str) -> &'static str {
    if v.starts_with("FAIL") {
        "v-FAIL"
    } else if v.starts_with("PASS") {
        "v-PASS"
    } else {
        "v-other"
    }
}

/// report.html: one self-contained page (inline CSS and SVG, no scripts, no external URL) with
/// the content of report.md and a timeline per cited history. The template name ends in
/// `.html`, so minijinja escapes every value.
pub fn render_html(r: &Report, timelines: &[super::timeline::Timeline]) -> Result<String, Error> {
    let mut env = minijinja::Environment::new();
    env.set_trim_blocks(true);
    env.add_filter("anchor", |s: String| anchor(&s));
    env.add_filter("vclass", |s: String| vclass(&s));
    env.add_template("report.html", HTML_TEMPLATE)
        .map_err(|e| Error::internal(format!("internal: report.html template: {e}")))?;
    let tpl = env.get_template("report.html").expect("added");
    tpl.render(minijinja::context! { r => r, timelines => timelines })
        .map_err(|e| Error::internal(format!("internal: report.html template: {e}")))
}

/// report.json (pretty, trailing newline).
pub fn render_json(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(r).expect("report serialises");
    s.push('\n');
    s
}

fn shown(dir: &Path, path: &str) -> String {
    dir.join(path).display().to_string()
}

/// A human summary for `--format text`.
pub fn render_text(r: &Report, dir: &Path, wrote: bool, html: bool) -> String {
    let mut s = String::new();
    for d in &r.diagnostics {
        s.push_str(&format!(
            "{}:{}:{}: {}[{}] {}\n  help: {}\n",
            shown(dir, &d.path),
            d.line,
            d.column,
            d.severity,
            d.code,
            d.message,
            d.help
        ));
    }
    if !r.diagnostics.is_empty() {
        s.push('\n');
    }
    s.push_str(&format!("headline: {}\n", r.headline));
    for row in &r.scenarios {
        let rec = match &row.recorded_verdict {
            Some(v) if !v.eq_ignore_ascii_case(&row.verdict) => format!(" (recorded {v})"),
            _ => String::new(),
        };
        s.push_str(&format!("  {:<14} {}{}\n", row.id, row.verdict, rec));
    }
    let errors = r.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = r.diagnostics.len() - errors;
    s.push_str(&format!("{errors} error(s), {warnings} warning(s)\n"));
    if wrote {
        s.push_str(&format!(
            "wrote {} and report.json{}\n",
            shown(dir, "findings/report.md"),
            if html { " and report.html" } else { "" }
        ));
    }
    s
}

/// GitHub workflow-command annotations, one per diagnostic, then a notice with the headline.
pub fn render_github(r: &Report, dir: &Path) -> String {
    let mut s = String::new();
    for d in &r.diagnostics {
        s.push_str(&format!(
            "::{} file={},line={},endLine={},col={},title={}::{}\n",
            d.severity,
            crate::diag::github_escape_property(&shown(dir, &d.path)),
            d.line,
            d.end_line,
            d.column,
            crate::diag::github_escape_property(d.code),
            crate::diag::github_escape_data(&format!("{} ({})", d.message, d.help))
        ));
    }
    s.push_str(&format!(
        "::notice title=dstplan report::headline {}\n",
        r.headline
    ));
    s
}
