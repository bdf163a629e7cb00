//! `dstplan history validate`, `check` and `record`: arguments, output, exit codes.
//!
//! The engine is [`crate::history`]; this file only turns its answers into text or JSON and
//! exit codes (0 ok, 1 violation, 2 bad input, 3 undecided within the budget). `--html OUT`
//! never replaces an existing file without `--force`, and never the history it draws (a
//! mistyped `--html h.jsonl` must not destroy the evidence).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Subcommand;
use serde_json::json;

use super::{print_out, CliError, CmdResult, TextOrJson as Format};
use crate::history::{self, record::History, CheckReport, HistoryError, Outcome};
use crate::{exit, fsx};

/// Arguments of `dstplan history`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Check a history file against the JSONL format; report weak-history warnings
    Validate(ValidateArgs),
    /// Check a history against a model with a checker (exit 0 ok, 1 violation, 3 undecided)
    Check(CheckArgs),
    /// Turn a Jepsen-style event stream (invoke/ok/fail/info JSON lines) into a history file
    Record(RecordArgs),
}

#[derive(Debug, clap::Args)]
struct RecordArgs {
    /// Event files, read in order (`-` or none: standard input)
    inputs: Vec<PathBuf>,
    /// The history to write (refused if it exists, unless --force)
    #[arg(long, value_name = "H.jsonl")]
    out: PathBuf,
    /// A session directory: ops invoked inside a fault's window get its fault_epoch
    #[arg(long, value_name = "SESSION_DIR")]
    faults: Option<PathBuf>,
    /// Check op names against this model and write the outputs its format fixes
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(history::MODELS))]
    model: Option<String>,
    /// Replace --out if it exists
    #[arg(long)]
    force: bool,
}

#[derive(Debug, clap::Args)]
struct ValidateArgs {
    /// The history (JSONL, one operation per line); `-` reads standard input
    file: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// The history (JSONL, one operation per line); `-` reads standard input
    file: PathBuf,
    /// The data model the history's operations act on
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(history::MODELS))]
    model: String,
    /// The checker (default: linearizability for register, map, counter and set; prefix-order
    /// for queue; no-lost-ack for log; exactly-once for ledger; serializability for list-append
    /// and rw-register; exclusion for lock and lease)
    #[arg(long)]
    checker: Option<String>,
    /// The consistency level the serializability checker judges against (default
    /// serializable); anomalies the level allows are reported as notes
    #[arg(long, value_name = "LEVEL", value_parser = clap::builder::PossibleValuesParser::new(history::txn::LEVELS))]
    consistency: Option<String>,
    /// Give up with "unknown" (exit 3) after this many seconds
    #[arg(long, default_value = "10", value_name = "SECONDS")]
    timeout: f64,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Also write a self-contained HTML page drawing the history and the witness (refused if
    /// it exists, unless --force)
    #[arg(long, value_name = "OUT")]
    html: Option<PathBuf>,
    /// Replace the --html page if it exists (never the history itself)
    #[arg(long, requires = "html")]
    force: bool,
}

pub fn run(args: Args) -> CmdResult {
    match args.command {
        Cmd::Validate(a) => validate(a),
        Cmd::Check(a) => check(a),
        Cmd::Record(a) => record(a),
    }
}

fn record(a: RecordArgs) -> CmdResult {
    use std::io::BufRead;
    let overwrite = if a.force {
        fsx::Overwrite::Allow
    } else {
        fsx::Overwrite::Never
    };
    if !a.force && a.out.symlink_metadata().is_ok() {
        return Err(fsx::WriteError::Exists(a.out.clone()).into());
    }
    if let Some(dir) = a.faults.as_deref().filter(|d| !d.is_dir()) {
        return Err(CliError::at(
            dir.display().to_string(),
            None,
            "--faults must be a session directory (its artifacts/*/faults.jsonl give the fault windows)",
        ));
    }
    let mut rec = history::events::Recorder::new(a.model.as_deref())?;
    let stdin_only = [PathBuf::from("-")];
    let inputs: &[PathBuf] = if a.inputs.is_empty() {
        &stdin_only
    } else {
        &a.inputs
    };
    for input in inputs {
        if input.as_os_str() == "-" {
            let stdin = std::io::stdin();
            let lock: Box<dyn BufRead> = Box::new(stdin.lock());
            rec.feed("<stdin>", lock)?;
            continue;
        }
        let shown = input.display().to_string();
        if input.is_dir() {
            return Err(CliError::at(
                shown,
                None,
                "is a directory; give event files (JSON lines) or `-` for standard input",
            ));
        }
        // A FIFO is a fine event stream here (a workload writing live), so no regular-file
        // check; line length is bounded by the recorder.
        let file = std::fs::File::open(input)
            .map_err(|e| CliError::at(shown.clone(), None, format!("cannot open: {e}")))?;
        rec.feed(&shown, std::io::BufReader::new(file))?;
    }
    // The fault log is read after the stream ends: faults started while it was recorded count.
    let faults: Vec<crate::fault::log::FaultRecord> = match &a.faults {
        None => Vec::new(),
        Some(dir) => crate::fault::log::read_session(dir)?
            .into_values()
            .collect(),
    };
    let n_faults = faults.len();
    let out_shown = a.out.display().to_string();
    let r = rec.finish(&out_shown, &faults)?;
    fsx::write(&a.out, r.text.as_bytes(), overwrite)?;
    let mut msg = format!(
        "wrote {out_shown}: {} ({} ok, {} failed, {} indeterminate), {}; times {}",
        count(r.ops, "op"),
        history::thousands(r.ok as u128),
        history::thousands(r.failed as u128),
        history::thousands(r.indeterminate as u128),
        count(r.processes, "process"),
        if r.clock == "given" {
            "from the events"
        } else {
            "stamped on reading (CLOCK_MONOTONIC ns)"
        }
    );
    if a.faults.is_some() {
        msg.push_str(&format!(
            "; {} of {} in a fault window ({} fault(s) in the session)",
            history::thousands(r.in_fault as u128),
            count(r.ops, "op"),
            n_faults
        ));
    }
    msg.push('\n');
    if r.unfinished > 0 {
        msg.push_str(&format!(
            "note: {} op(s) had no completion when the stream ended; recorded as indeterminate (timeout_marker true)\n",
            r.unfinished
        ));
    }
    print_out(&msg);
    Ok(exit::OK)
}

fn input_error(e: HistoryError, machine: bool) -> CliError {
    CliError::from(e).machine(machine)
}

/// Load the history named on the command line; `-` reads standard input.
fn load(file: &Path) -> Result<(History, Vec<String>), HistoryError> {
    if file == Path::new("-") {
        history::load_stream("<stdin>", std::io::stdin().lock())
    } else {
        history::load(file)
    }
}

fn validate(a: ValidateArgs) -> CmdResult {
    let machine = a.format.machine();
    let (h, warnings) = load(&a.file).map_err(|e| input_error(e, machine))?;
    let keys = {
        let null = h.ops.iter().any(|o| o.key.is_none());
        h.keys.len() + usize::from(null)
    };
    match a.format {
        Format::Json => {
            let v = json!({
                "version": 1,
                "path": h.path,
                "valid": true,
                "ops": h.ops.len(),
                "processes": h.processes.len(),
                "keys": keys,
                "warnings": warnings,
            });
            print_out(&format!("{v}\n"));
        }
        Format::Text => {
            let mut out = String::new();
            for w in &warnings {
                out.push_str(&format!("warning: {}: {w}\n", h.path));
            }
            out.push_str(&format!(
                "{}: valid history: {}, {}, {}{}\n",
                h.path,
                count(h.ops.len(), "op"),
                count(h.processes.len(), "process"),
                count(keys, "key"),
                match warnings.len() {
                    0 => String::new(),
                    n => format!(", {n} warning(s)"),
                }
            ));
            print_out(&out);
        }
    }
    Ok(exit::OK)
}

fn check(a: CheckArgs) -> CmdResult {
    let machine = a.format.machine();
    if !(a.timeout.is_finite() && a.timeout > 0.0 && a.timeout <= 1.0e6) {
        return Err(CliError::new(format!(
            "--timeout must be a positive number of seconds, got {}",
            a.timeout
        ))
        .machine(machine));
    }
    if let Some(out) = &a.html {
        html_target_ok(&a.file, out, a.force).map_err(|e| e.machine(machine))?;
    }
    let start = Instant::now();
    let progress = super::progress::Progress::start(format!("checking {}", a.file.display()));
    let (h, warnings) = load(&a.file).map_err(|e| input_error(e, machine))?;
    let report = history::check_history_at(
        &h,
        warnings,
        &a.model,
        a.checker.as_deref(),
        a.consistency.as_deref(),
        Duration::from_secs_f64(a.timeout),
        start,
    )
    .map_err(|e| input_error(e, machine))?;
    drop(progress);
    if let Some(out) = &a.html {
        let page = history::html::render(&h, &report);
        let overwrite = if a.force {
            fsx::Overwrite::Allow
        } else {
            fsx::Overwrite::Never
        };
        fsx::write(out, page.as_bytes(), overwrite)
            .map_err(|e| CliError::from(e).machine(machine))?;
        eprintln!("wrote {}", out.display());
    }
    match a.format {
        Format::Json => print_out(&format!("{}\n", to_json(&report))),
        Format::Text => print_out(&to_text(&h, &report)),
    }
    Ok(match report.outcome {
        Outcome::Ok => exit::OK,
        Outcome::Violation => exit::FOUND,
        Outcome::Unknown => exit::UNKNOWN,
    })
}

/// Refuse an `--html` target that is the history itself (whatever the path spelling, links
/// included) or, without `--force`, any existing file.
fn html_target_ok(
    history: &std::path::Path,
    out: &std::path::Path,
    force: bool,
) -> Result<(), CliError> {
    use std::os::unix::fs::MetadataExt;
    let Ok(o) = std::fs::metadata(out) else {
        // Nothing there yet (a dangling link is refused by the write itself).
        return Ok(());
    };
    if let Ok(hm) = std::fs::metadata(history) {
        if hm.dev() == o.dev() && hm.ino() == o.ino() {
            return Err(CliError::at(
                out.display().to_string(),
                None,
                format!(
                    "--html would overwrite the history being checked ({}); give the page another name, e.g. {}.html",
                    history.display(),
                    history.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "history".into())
                ),
            ));
        }
    }
    if !force {
        return Err(fsx::WriteError::Exists(out.to_path_buf()).into());
    }
    Ok(())
}

/// The `history check --format json` object of `cli-contract.md`.
fn to_json(r: &CheckReport) -> serde_json::Value {
    let mut v = json!({
        "version": 1,
        "model": r.model,
        "checker": r.checker,
        "verdict": r.outcome.as_str(),
        "ops": r.ops,
        "keys": r.keys,
        "elapsed_ms": r.elapsed_ms as u64,
        "evidence": r.evidence,
        "witness": r.witness.as_ref().map(|w| json!({
            "key": w.key,
            "ops": w.ops,
            "partial_linearization": w.partial_linearization,
        })),
        "diagnostics": r.diagnostics,
    });
    // serializability adds the level and the anomalies (forbidden and allowed).
    if let Some(level) = &r.consistency {
        v["consistency"] = json!(level);
        v["anomalies"] = r
            .anomalies
            .iter()
            .map(|a| {
                json!({
                    "class": a.class,
                    "forbidden": a.forbidden,
                    "count": a.count,
                    "txns": a.txns,
                    "steps": a.steps,
                    "edges": a.edges.iter().map(|(f, t, l)| json!({"from": f, "to": t, "kind": l})).collect::<Vec<_>>(),
                })
            })
            .collect();
    }
    v
}

/// `3 keys`, `1 key`, `2 processes`, with thousands separators.
fn count(n: usize, noun: &str) -> String {
    let plural = match (n, noun) {
        (1, _) => noun.to_string(),
        (_, "process") => "processes".to_string(),
        _ => format!("{noun}s"),
    };
    format!("{} {plural}", history::thousands(n as u128))
}

/// Most ops of a partial linearization printed in text.
const SHOW_PARTIAL: usize = 40;

fn to_text(h: &History, r: &CheckReport) -> String {
    let mut s = String::new();
    s.push_str(&format!("verdict: {}\n", r.outcome.as_str()));
    s.push_str(&format!("checker: {} on {}\n", r.checker, r.model));
    s.push_str(&format!(
        "ops: {} over {}\n",
        history::thousands(r.ops as u128),
        count(r.keys, "key")
    ));
    s.push_str(&format!("time: {} ms\n", history::thousands(r.elapsed_ms)));
    if let Some(level) = &r.consistency {
        s.push_str(&format!("consistency: {level}\n"));
        anomalies_text(&mut s, r, level);
    } else if let Some(w) = &r.witness {
        let key = w.key.as_deref().unwrap_or("null");
        let minimal = if r.checker == "linearizability" {
            " (1-minimal: dropping any one of them makes the rest linearizable, or leaves a read of a value none of them writes)"
        } else {
            ""
        };
        s.push_str(&format!(
            "witness: {} op(s) on key {key}{minimal}\n",
            w.ops.len()
        ));
        let by_id: std::collections::HashMap<&str, &history::record::Op> =
            h.ops.iter().map(|o| (&*o.id, o)).collect();
        let line = |s: &mut String, id: &str| {
            if let Some(op) = by_id.get(id) {
                let status = match op.status() {
                    history::record::Status::Ok => "ok",
                    history::record::Status::Failed => "failed",
                    history::record::Status::Indeterminate => "indeterminate",
                };
                s.push_str(&format!(
                    "  op {:<8} process {:<6} {:<8} input {:<12} output {:<12} [{}, {}] {status} (line {})\n",
                    op.id,
                    h.process_name(op.process),
                    h.op_type(op),
                    history::short_value(&op.input),
                    history::short_value(&op.output),
                    op.invoke,
                    op.complete.map(|c| c.to_string()).unwrap_or_else(|| "∞".into()),
                    op.line
                ));
            }
        };
        for id in &w.ops {
            line(&mut s, id);
        }
        if !w.context.is_empty() {
            s.push_str(&format!(
                "also writing a value the witness reads ({} op(s), not needed for the violation; \
                 see whether they explain the read):\n",
                w.context.len()
            ));
            for id in &w.context {
                line(&mut s, id);
            }
        }
        if r.checker == "linearizability" {
            let p = &w.partial_linearization;
            let shown: Vec<&str> = p.iter().take(SHOW_PARTIAL).map(String::as_str).collect();
            let more = if p.len() > SHOW_PARTIAL { ", …" } else { "" };
            s.push_str(&format!(
                "longest partial linearization found ({} ops): {}{more}\n",
                p.len(),
                if shown.is_empty() {
                    "none".to_string()
                } else {
                    shown.join(", ")
                }
            ));
        }
    }
    for d in &r.diagnostics {
        s.push_str(&format!("note: {d}\n"));
    }
    s.push_str(&format!("evidence: {}\n", r.evidence));
    s
}

/// The anomalies of a serializability check: class, whether the level forbids it, the
/// transactions and one sentence per step.
fn anomalies_text(s: &mut String, r: &CheckReport, level: &str) {
    for a in &r.anomalies {
        let status = if a.forbidden { "forbidden" } else { "allowed" };
        let seen = if a.edges.is_empty() {
            format!("seen {} time(s)", a.count)
        } else {
            format!("cycles in {} component(s)", a.count)
        };
        s.push_str(&format!(
            "anomaly: {} ({status} at {level}; {seen}): transactions {}\n",
            a.class,
            a.txns.join(", ")
        ));
        for step in &a.steps {
            s.push_str(&format!("  {step}\n"));
        }
    }
}
