//! Eval grading for the skill pack (`dstplan eval grade`).
//!
//! Layout: a skill's evals live in `evals/<skill>/evals.json` (the Agent Skills eval format:
//! `{"skill_name", "evals": [{"id", "prompt", "expected_output", "files", "assertions"}]}`),
//! its fixtures in `evals/<skill>/files/`, and each recorded agent run in
//! `evals/<skill>/runs/<run>/`, with what the agent produced under the run's `out/`.
//!
//! An assertion is either a plain string (judged: a person or a grader model decides it) or an
//! object `{"text", "command", "expect_exit"}` (mechanical: the command is run and its exit code
//! compared). Commands always start with `dstplan`, are read-only ([`policy`]: no subcommand
//! or flag that writes, paths only inside the run directory and the fixtures), and are run
//! with the binary doing the grading, never through a shell.
//!
//! - [`load`] reads and validates an `evals.json` (every error carries the file and, where it
//!   can be found, the line).
//! - [`grade`] runs one eval's assertions over a run directory and builds the `grading.json`
//!   value.

pub mod grade;
pub mod policy;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use grade::{grade, Grading, Options};

/// One `evals.json` file, validated.
#[derive(Debug, Clone)]
pub struct EvalFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// `skill_name`.
    pub skill_name: String,
    /// The evals, in file order.
    pub evals: Vec<Eval>,
}

/// One eval: a prompt, what a good answer looks like, fixtures and assertions.
#[derive(Debug, Clone)]
pub struct Eval {
    /// The eval's id: a number or a string, compared as text.
    pub id: String,
    /// The id as written (kept for `grading.json`).
    pub id_json: serde_json::Value,
    /// What the agent is asked.
    pub prompt: String,
    /// A description of a good answer (for the judge; not checked here).
    pub expected_output: String,
    /// Fixture files, relative to the directory holding `evals.json` (`files/x.md`).
    pub files: Vec<String>,
    /// Checks over the run's output.
    pub assertions: Vec<Assertion>,
}

#[derive(Deserialize)]
struct RawEval {
    #[serde(deserialize_with = "id_value")]
    id: serde_json::Value,
    /// What the agent is asked.
    pub prompt: String,
    #[serde(default)]
    expected_output: String,
    #[serde(default)]
    files: Vec<String>,
    #[serde(default)]
    assertions: Vec<Assertion>,
}

/// One assertion of an eval.
#[derive(Debug, Clone)]
pub enum Assertion {
    /// A plain sentence a judge decides.
    Judged(String),
    /// A command to run, with the exit code it must return. An object without `command` is
    /// judged on its `text`.
    Object {
        /// What the assertion means, in words.
        text: String,
        /// `dstplan …`, with `{out}`, `{files}` and `{run}` substituted before it runs.
        command: Option<String>,
        /// The exit code that makes it pass (default 0).
        expect_exit: Option<i32>,
    },
}

impl<'de> Deserialize<'de> for Assertion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        use serde_json::Value;
        const SHAPE: &str = "an assertion is a string (judged) or an object {\"text\": …, \
                             \"command\": \"dstplan …\", \"expect_exit\": N} (mechanical)";
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Assertion::Judged(s)),
            Value::Object(m) => {
                let text = match m.get("text") {
                    Some(Value::String(t)) => t.clone(),
                    _ => return Err(D::Error::custom(format!("missing string `text`; {SHAPE}"))),
                };
                let command = match m.get("command") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(c)) => Some(c.clone()),
                    Some(_) => {
                        return Err(D::Error::custom(format!(
                            "`command` must be a string; {SHAPE}"
                        )))
                    }
                };
                let expect_exit = match m.get("expect_exit") {
                    None | Some(Value::Null) => None,
                    Some(v) => match v.as_i64().and_then(|n| i32::try_from(n).ok()) {
                        Some(n) => Some(n),
                        None => {
                            return Err(D::Error::custom(format!(
                                "`expect_exit` must be an integer exit code, not {v}"
                            )))
                        }
                    },
                };
                Ok(Assertion::Object {
                    text,
                    command,
                    expect_exit,
                })
            }
            other => Err(D::Error::custom(format!(
                "{other} is not an assertion; {SHAPE}"
            ))),
        }
    }
}

impl Assertion {
    /// The assertion's words.
    pub fn text(&self) -> &str {
        match self {
            Assertion::Judged(t) => t,
            Assertion::Object { text, .. } => text,
        }
    }

    /// `(command, expect_exit)` when the assertion is mechanical.
    pub fn mechanical(&self) -> Option<(&str, i32)> {
        match self {
            Assertion::Object {
                command: Some(c),
                expect_exit,
                ..
            } => Some((c.as_str(), expect_exit.unwrap_or(0))),
            _ => None,
        }
    }
}

fn id_value<'de, D: serde::Deserializer<'de>>(d: D) -> Result<serde_json::Value, D::Error> {
    use serde::de::Error;
    match serde_json::Value::deserialize(d)? {
        v @ serde_json::Value::String(_) if v.as_str().is_some_and(|s| !s.trim().is_empty()) => {
            Ok(v)
        }
        v @ serde_json::Value::Number(_) => Ok(v),
        other => Err(D::Error::custom(format!(
            "an eval `id` must be a number or a non-empty string, not {other}"
        ))),
    }
}

#[derive(Deserialize)]
struct RawFile {
    skill_name: String,
    evals: Vec<RawEval>,
}

/// Why an eval file or run could not be used (exit 2): the library error.
pub use crate::error::Error as EvalError;

/// The 1-based line of the first occurrence of `needle` in `text`, if any.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.find(needle)
        .map(|i| text[..i].bytes().filter(|&b| b == b'\n').count() + 1)
}

/// The line of an assertion's command in the raw file (searched in its JSON-escaped form).
fn command_line(text: &str, command: &str) -> Option<usize> {
    let quoted = serde_json::to_string(command).unwrap_or_default();
    line_of(text, &quoted)
}

/// Whether `dstplan` accepts an argument vector (`words[0]` is `dstplan`); `Err` holds the
/// first line of the parser's complaint. The command line passes its own parser in, so this
/// engine never imports `cli`.
pub type Accepts = fn(&[String]) -> Result<(), String>;

/// Check that a mechanical command is `dstplan …`, splits cleanly, that `dstplan` itself
/// accepts its subcommand and flags, and that it only reads ([`policy::check_read_only`]).
/// Returns the argument vector (without `dstplan`).
pub fn check_command(command: &str, accepts: Accepts) -> Result<Vec<String>, String> {
    let words = policy::split(command).map_err(|e| format!("command `{command}`: {e}"))?;
    match words.first().map(String::as_str) {
        Some("dstplan") => {}
        Some(other) => {
            return Err(format!(
                "command `{command}` runs `{other}`; eval commands must start with `dstplan` \
                 (they run with the grading binary, never a shell); express the check as a \
                 dstplan command or make it a judged assertion (a plain string)"
            ))
        }
        None => return Err("the command is empty; write `dstplan <subcommand> …`".into()),
    }
    if let Err(first) = accepts(&words) {
        return Err(format!(
            "command `{command}` is not a valid dstplan invocation: {first} (see `dstplan help`)"
        ));
    }
    let args: Vec<String> = words.into_iter().skip(1).collect();
    policy::check_read_only(&args).map_err(|e| format!("command `{command}`: {e}"))?;
    Ok(args)
}

/// Read and validate an `evals.json`.
///
/// Rejected: unreadable file, JSON syntax or shape errors (with line), a missing or empty
/// `skill_name`, duplicate eval ids, and mechanical commands that are not valid `dstplan`
/// invocations.
pub fn load(path: &Path, accepts: Accepts) -> Result<EvalFile, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        EvalError::at_path(
            path,
            None,
            format!("cannot read the evals file: {e} (pass --evals FILE to name it)"),
        )
    })?;
    let raw: RawFile = serde_json::from_str(&text).map_err(|e| {
        EvalError::at_path(
            path,
            Some(e.line()),
            format!(
                "not a valid evals file: {e}; expected {{\"skill_name\": …, \"evals\": [{{\"id\", \
                 \"prompt\", \"expected_output\", \"files\", \"assertions\"}}]}}"
            ),
        )
    })?;
    if raw.skill_name.trim().is_empty() {
        return Err(EvalError::at_path(
            path,
            line_of(&text, "\"skill_name\""),
            "`skill_name` is empty; name the skill the evals test",
        ));
    }
    let evals: Vec<Eval> = raw
        .evals
        .into_iter()
        .map(|r| Eval {
            id: match &r.id {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            },
            id_json: r.id,
            prompt: r.prompt,
            expected_output: r.expected_output,
            files: r.files,
            assertions: r.assertions,
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for ev in &evals {
        if !seen.insert(ev.id.clone()) {
            return Err(EvalError::at_path(
                path,
                None,
                format!("eval id `{}` is used twice; ids must be unique", ev.id),
            ));
        }
        for a in &ev.assertions {
            if let Some((cmd, _)) = a.mechanical() {
                check_command(cmd, accepts)
                    .map_err(|m| EvalError::at_path(path, command_line(&text, cmd), m))?;
            }
        }
    }
    Ok(EvalFile {
        path: path.to_path_buf(),
        skill_name: raw.skill_name,
        evals,
    })
}

/// The eval a run answers: `run.json`'s `eval_id` when the file exists, otherwise the run
/// directory's name up to its first `-` (`3-boundary-claim` answers eval `3`).
pub fn run_eval_id(run_dir: &Path) -> Result<String, EvalError> {
    let rj = run_dir.join("run.json");
    if rj.exists() {
        let text = std::fs::read_to_string(&rj)
            .map_err(|e| EvalError::at_path(&rj, None, format!("cannot read: {e}")))?;
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            EvalError::at_path(
                &rj,
                Some(e.line()),
                format!("not valid JSON: {e}; expected {{\"eval_id\": <id>}}"),
            )
        })?;
        return match v.get("eval_id") {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
            _ => Err(EvalError::at_path(
                &rj,
                line_of(&text, "\"eval_id\"").or(Some(1)),
                "`eval_id` is missing or not a number/string; write {\"eval_id\": <id>}",
            )),
        };
    }
    let name = run_dir
        .canonicalize()
        .unwrap_or_else(|_| run_dir.to_path_buf())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id = name.split('-').next().unwrap_or("").to_string();
    if id.is_empty() {
        return Err(EvalError::at_path(
            run_dir,
            None,
            "cannot tell which eval this run answers: write run.json with {\"eval_id\": <id>}, \
             or name the directory `<id>-<anything>`",
        ));
    }
    Ok(id)
}
