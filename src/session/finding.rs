//! Finding files (`findings/<id>.md`): YAML front matter, then free Markdown.
//!
//! The front matter is parsed with serde-saphyr under a tight [`serde_saphyr::Budget`] (size,
//! depth, nodes, aliases and anchors), so a billion-laughs file fails fast with bounded memory.
//! It is read into a generic JSON value first and then into typed fields here, so a value of the
//! wrong type becomes a rule diagnostic with a line (`RPT019`) rather than an opaque serde
//! error. Lines of keys are found by [`Finding::line_of`], a small indentation-aware scan of the
//! front matter: positions are only needed for diagnostics, so the common path pays nothing.

use std::path::Path;

use serde_json::Value;

use crate::vocab::{Coverage, Facts};

/// Largest finding file read (bytes); a finding is prose plus a short front matter.
pub const MAX_FINDING_BYTES: u64 = 1024 * 1024;

/// Why a finding could not be read at all (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingError {
    pub line: Option<usize>,
    pub message: String,
}

/// A value of the wrong type or outside its list, with the key path that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub key: Vec<&'static str>,
    pub message: String,
}

/// The `failure:` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Failure {
    pub title: Option<String>,
    pub blame: Option<String>,
    pub kind: Option<String>,
    pub severity: Option<String>,
    /// `failure.tags` (from the vocabulary's failure tags).
    pub tags: Vec<String>,
    pub reproducer: Option<String>,
    pub root_cause: Option<String>,
    pub next_action: Option<String>,
}

impl Failure {
    /// Whether any key holds a value (a stub's all-null block counts as absent).
    pub fn is_filled(&self) -> bool {
        [
            &self.title,
            &self.blame,
            &self.kind,
            &self.severity,
            &self.reproducer,
            &self.root_cause,
            &self.next_action,
        ]
        .iter()
        .any(|v| v.is_some())
    }
}

/// One parsed finding.
#[derive(Debug, Clone, Default)]
pub struct Finding {
    /// The front matter text (without the `---` lines).
    pub front: String,
    /// 1-based file line of the front matter's first line.
    pub front_first_line: usize,
    /// The whole front matter as a value (for citation scanning).
    pub value: Value,
    pub scenario: Option<String>,
    pub verdict: Option<String>,
    pub budget_tier: Option<String>,
    pub facts: Facts,
    pub oracle_checker: Option<String>,
    pub oracle_evidence: Option<String>,
    pub oracle_history: Option<String>,
    pub nemesis_name: Option<String>,
    pub landing_evidence: Option<String>,
    /// `nemesis.fault_ids`: ids from the session's fault logs (`F1`, …) the verdict rests on.
    pub fault_ids: Vec<String>,
    /// `oracle.timeout_s`: the budget for re-checking this finding's history, in seconds.
    pub oracle_timeout_s: Option<f64>,
    /// Green-but-broken answers: item → `yes | no | n/a` (or `None` when unset).
    pub green_but_broken: Vec<(String, Option<String>)>,
    pub weak_oracle: Vec<(String, Option<String>)>,
    pub failure: Failure,
    pub reason: Option<String>,
    /// The Markdown after the front matter.
    pub body: String,
    /// Artifact paths the finding cites besides `oracle.history`, with their file lines
    /// (filled by the report, see `report::cited_paths`).
    pub cited: Vec<(String, usize)>,
    pub problems: Vec<FieldProblem>,
}

fn budget() -> serde_saphyr::Budget {
    let mut b = serde_saphyr::Budget::default();
    b.max_reader_input_bytes = Some(MAX_FINDING_BYTES as usize);
    b.max_events = 20_000;
    b.max_aliases = 64;
    b.max_anchors = 64;
    b.max_recorded_anchor_events = 4_096;
    b.max_recorded_anchor_bytes = 256 * 1024;
    b.max_depth = 12;
    b.max_documents = 1;
    b.max_nodes = 10_000;
    b.max_total_scalar_bytes = MAX_FINDING_BYTES as usize;
    b.max_merge_keys = 16;
    b
}

/// Read and parse a finding file.
pub fn read(path: &Path) -> Result<Finding, FindingError> {
    let meta = std::fs::metadata(path).map_err(|e| FindingError {
        line: None,
        message: format!("cannot read the finding: {e}"),
    })?;
    if meta.len() > MAX_FINDING_BYTES {
        return Err(FindingError {
            line: None,
            message: format!(
                "the finding is {} bytes, more than the {MAX_FINDING_BYTES}-byte limit; move logs and dumps to artifacts/ and cite them",
                meta.len()
            ),
        });
    }
    let text =
        crate::fsx::read_text_bounded(path, MAX_FINDING_BYTES).map_err(|e| FindingError {
            line: e.line(),
            message: format!("cannot read the finding: {}", e.message()),
        })?;
    parse(&text)
}

/// Split `---\n…\n---\n` front matter from the body. Returns (front, body).
fn split_front(text: &str) -> Result<(&str, &str), FindingError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first_end = text.find('\n').unwrap_or(text.len());
    if text[..first_end].trim_end() != "---" {
        return Err(FindingError {
            line: Some(1),
            message: "a finding starts with a `---` line opening its YAML front matter".into(),
        });
    }
    let rest = &text[(first_end + 1).min(text.len())..];
    let mut off = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" || line.trim_end() == "..." {
            return Ok((&rest[..off], &rest[off + line.len()..]));
        }
        off += line.len();
    }
    Err(FindingError {
        line: Some(1),
        message: "the front matter opened on line 1 is never closed with a `---` line".into(),
    })
}

/// Parse a finding's text.
pub fn parse(text: &str) -> Result<Finding, FindingError> {
    let (front, body) = split_front(text)?;
    let value = match super::front::parse(front) {
        Some(v) => v,
        None => full_parse(front)?,
    };
    from_value(front, body, value)
}

/// Parse front matter with serde-saphyr under the budget (the slow path, and the only one
/// that reports errors).
pub fn full_parse(front: &str) -> Result<Value, FindingError> {
    let options = serde_saphyr::options! { budget: Some(budget()), emit_comments: false };
    serde_saphyr::from_str_with_options(front, options).map_err(|e| {
        let line = e.location().map(|l| l.line() as usize + 1);
        let msg = e.to_string();
        let mut msg = msg.lines().next().unwrap_or("").trim().to_string();
        // saphyr prefixes "error: line N column M: " with front-matter-relative positions;
        // the file line is reported separately.
        if let Some(rest) = msg.strip_prefix("error: ") {
            msg = rest.to_string();
        }
        if msg.starts_with("line ") {
            if let Some(i) = msg.find(": ") {
                msg = msg[i + 2..].to_string();
            }
        }
        let message = if msg.contains("budget breached") {
            format!("the front matter exceeds the YAML resource budget ({msg}); a finding needs no anchors, aliases or deep nesting")
        } else {
            format!("the front matter is not valid YAML: {msg}")
        };
        FindingError { line, message }
    })
}

fn from_value(front: &str, body: &str, value: Value) -> Result<Finding, FindingError> {
    let mut f = Finding {
        front: front.to_string(),
        front_first_line: 2,
        body: body.to_string(),
        ..Default::default()
    };
    let root = match value {
        Value::Object(_) => value,
        Value::Null => Value::Object(Default::default()),
        _ => {
            return Err(FindingError {
                line: Some(2),
                message: "the front matter must be a YAML mapping (`key: value` lines)".into(),
            })
        }
    };
    let mut r = Reader {
        problems: Vec::new(),
    };
    f.scenario = r.string(&root, &["scenario"]);
    f.verdict = r.string(&root, &["verdict"]);
    f.budget_tier = r.string(&root, &["budget_tier"]);
    if let Some(t) = &f.budget_tier {
        if !crate::vocab::FINDING_BUDGET_TIERS
            .iter()
            .any(|x| x.eq_ignore_ascii_case(t))
        {
            r.problem(
                &["budget_tier"],
                format!(
                    "budget_tier `{t}` is not one of {}",
                    crate::vocab::FINDING_BUDGET_TIERS.join(", ")
                ),
            );
        }
    }
    f.facts = Facts {
        attempted: r.boolean(&root, &["facts", "attempted"]),
        env_ok: r.boolean(&root, &["facts", "env_ok"]),
        violation: r.boolean(&root, &["facts", "violation"]),
        reproduced: r.boolean(&root, &["facts", "reproduced"]),
        fault_planned: r.boolean(&root, &["facts", "fault_planned"]),
        fault_landed: r.boolean(&root, &["facts", "fault_landed"]),
        checker_ran: r.boolean(&root, &["facts", "checker_ran"]),
        history_complete: r.boolean(&root, &["facts", "history_complete"]),
        checker_coverage: None,
    };
    if let Some(c) = r.string(&root, &["facts", "checker_coverage"]) {
        match Coverage::parse(&c) {
            Some(v) => f.facts.checker_coverage = Some(v),
            None => r.problem(
                &["facts", "checker_coverage"],
                format!("checker_coverage `{c}` is not one of full, subset, none"),
            ),
        }
    }
    f.oracle_checker = r.string(&root, &["oracle", "checker"]);
    f.oracle_evidence = r.string(&root, &["oracle", "evidence"]);
    f.oracle_history = r.string(&root, &["oracle", "history"]);
    f.nemesis_name = r.string(&root, &["nemesis", "name"]);
    f.landing_evidence = r.string(&root, &["nemesis", "landing_evidence"]);
    f.fault_ids = r.strings(&root, &["nemesis", "fault_ids"]);
    f.oracle_timeout_s = r.seconds(&root, &["oracle", "timeout_s"]);
    f.green_but_broken = r.audits(&root, "green_but_broken");
    f.weak_oracle = r.audits(&root, "weak_oracle");
    f.failure = Failure {
        title: r.string(&root, &["failure", "title"]),
        blame: r.string(&root, &["failure", "blame"]),
        kind: r.string(&root, &["failure", "type"]),
        severity: r.string(&root, &["failure", "severity"]),
        tags: r.strings(&root, &["failure", "tags"]),
        reproducer: r.string(&root, &["failure", "reproducer"]),
        root_cause: r.string(&root, &["failure", "root_cause"]),
        next_action: r.string(&root, &["failure", "next_action"]),
    };
    for tag in &f.failure.tags {
        if !crate::vocab::FAILURE_TAGS
            .iter()
            .any(|x| x.eq_ignore_ascii_case(tag))
        {
            r.problem(
                &["failure", "tags"],
                format!(
                    "failure tag `{tag}` is not one of {}",
                    crate::vocab::FAILURE_TAGS.join(", ")
                ),
            );
        }
    }
    f.reason = r.string(&root, &["reason"]);
    f.problems = r.problems;
    f.value = root;
    Ok(f)
}

struct Reader {
    problems: Vec<FieldProblem>,
}

fn get<'a>(root: &'a Value, key: &[&str]) -> Option<&'a Value> {
    let mut v = root;
    for k in key {
        v = v.as_object()?.get(*k)?;
    }
    Some(v)
}

impl Reader {
    fn problem(&mut self, key: &[&'static str], message: String) {
        self.problems.push(FieldProblem {
            key: key.to_vec(),
            message,
        });
    }

    /// A scalar as a non-empty trimmed string (numbers are accepted and printed).
    fn string(&mut self, root: &Value, key: &[&'static str]) -> Option<String> {
        match get(root, key)? {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => {
                self.problem(
                    key,
                    format!(
                        "`{}` must be a single value, not a list or mapping",
                        key.join(".")
                    ),
                );
                None
            }
        }
    }

    /// A list of scalars (a single scalar counts as a list of one); empty when absent.
    fn strings(&mut self, root: &Value, key: &[&'static str]) -> Vec<String> {
        let items = match get(root, key) {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(v) => vec![v.clone()],
        };
        let mut out = Vec::new();
        for v in items {
            match v {
                Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
                Value::Number(n) => out.push(n.to_string()),
                other => self.problem(
                    key,
                    format!(
                        "`{}` must be a list of ids like [F1, F3], and {other} is not one",
                        key.join(".")
                    ),
                ),
            }
        }
        out
    }

    /// A positive number of seconds.
    fn seconds(&mut self, root: &Value, key: &[&'static str]) -> Option<f64> {
        match get(root, key)? {
            Value::Null => None,
            Value::Number(n) if n.as_f64().is_some_and(|x| x > 0.0 && x.is_finite()) => n.as_f64(),
            other => {
                self.problem(
                    key,
                    format!(
                        "`{}` must be a positive number of seconds, not {other}",
                        key.join(".")
                    ),
                );
                None
            }
        }
    }

    fn boolean(&mut self, root: &Value, key: &[&'static str]) -> Option<bool> {
        match get(root, key)? {
            Value::Null => None,
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            other => {
                self.problem(
                    key,
                    format!(
                        "`{}` must be true, false or null, not {other}",
                        key.join(".")
                    ),
                );
                None
            }
        }
    }

    fn audits(&mut self, root: &Value, list: &'static str) -> Vec<(String, Option<String>)> {
        let key: [&'static str; 2] = ["audits", list];
        let mut out = Vec::new();
        match get(root, &key) {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (item, v) in m {
                    let ans = match v {
                        Value::Null => None,
                        Value::Bool(true) => Some("yes".to_string()),
                        Value::Bool(false) => Some("no".to_string()),
                        Value::String(s) => {
                            let s = s.trim().to_ascii_lowercase();
                            if crate::vocab::AUDIT_VALUES.contains(&s.as_str()) {
                                Some(s)
                            } else {
                                self.problem(
                                    &key,
                                    format!("audit item `{item}` is `{s}`; answer yes, no or n/a"),
                                );
                                None
                            }
                        }
                        other => {
                            self.problem(
                                &key,
                                format!("audit item `{item}` is {other}; answer yes, no or n/a"),
                            );
                            None
                        }
                    };
                    out.push((item.clone(), ans));
                }
            }
            Some(_) => self.problem(
                &key,
                format!("`audits.{list}` must be a mapping of item: yes | no | n/a"),
            ),
        }
        out
    }
}

impl Finding {
    /// The 1-based file line of a key path (`["facts", "fault_landed"]`), falling back to the
    /// nearest parent that is found, then to the front matter's first line.
    pub fn line_of(&self, key: &[&str]) -> usize {
        let lines: Vec<&str> = self.front.lines().collect();
        let mut best = 0usize; // index into lines, 0 = first line
        let mut from = 0usize;
        let mut parent_indent: Option<usize> = None;
        'outer: for k in key {
            for (i, l) in lines.iter().enumerate().skip(from) {
                let t = l.trim_start();
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                let indent = l.len() - t.len();
                if let Some(p) = parent_indent {
                    if indent <= p && i > from {
                        break;
                    }
                }
                let t = t.strip_prefix("- ").unwrap_or(t);
                let bare = t.trim_start_matches(['"', '\'']);
                if bare.starts_with(k)
                    && bare[k.len()..]
                        .trim_start_matches(['"', '\''])
                        .starts_with(':')
                {
                    best = i;
                    from = i + 1;
                    parent_indent = Some(indent);
                    continue 'outer;
                }
            }
            break;
        }
        self.front_first_line + best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_lines_and_values() {
        let f = parse("---\nscenario: S1\nfacts:\n  attempted: true\n  fault_landed: false\nreason: x\n---\nbody\n").unwrap();
        assert_eq!(f.scenario.as_deref(), Some("S1"));
        assert_eq!(f.facts.fault_landed, Some(false));
        assert_eq!(f.line_of(&["facts", "fault_landed"]), 5);
        assert_eq!(f.line_of(&["reason"]), 6);
        assert_eq!(f.line_of(&["nope"]), 2);
        assert_eq!(f.body, "body\n");
    }

    #[test]
    fn malformed_yaml_names_the_file_line() {
        let e = parse("---\nscenario: S1\nfacts: [1, 2\nreason: x\n---\n").unwrap_err();
        assert!(e.line.is_some(), "{e:?}");
        assert!(e.line.unwrap() >= 3, "{e:?}");
    }
}
