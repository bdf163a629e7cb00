//! `dstplan eval grade RUN_DIR [--evals FILE] [--timeout S]`: run an eval's mechanical
//! assertions over an agent's recorded output and write `RUN_DIR/grading.json`.
//!
//! Lookup: the evals file defaults to `RUN_DIR/../../evals.json` (runs live at
//! `evals/<skill>/runs/<run>/`); `--evals` names another. The eval a run answers comes from
//! `RUN_DIR/run.json` (`{"eval_id": <id>}`), or, without that file, from the run directory's
//! name up to its first `-`. `grading.json` is generated, so it is replaced on every run
//! (atomically). Exit 0 when every mechanical assertion passed, 1 when any failed, 2 when the
//! run or the evals file cannot be used.

use std::path::PathBuf;
use std::time::Duration;

use super::{CliError, CmdResult};
use crate::eval;
use crate::exit;
use crate::fsx::{self, Overwrite};

/// Arguments of `dstplan eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Run an eval's mechanical assertions over a run directory and write grading.json
    Grade(GradeArgs),
}

/// Arguments of `dstplan eval grade`.
#[derive(Debug, clap::Args)]
struct GradeArgs {
    /// The run directory (`evals/<skill>/runs/<run>/`; the agent's output is in its `out/`)
    run_dir: PathBuf,
    /// The evals file [default: RUN_DIR/../../evals.json]
    #[arg(long, value_name = "FILE")]
    evals: Option<PathBuf>,
    /// Seconds each command may run before it is killed and its assertion fails
    #[arg(long, value_name = "S", default_value_t = 60)]
    timeout: u64,
}

pub fn run(args: Args) -> CmdResult {
    match args.command {
        Sub::Grade(a) => grade(a),
    }
}

fn grade(a: GradeArgs) -> CmdResult {
    if !a.run_dir.is_dir() {
        return Err(CliError::at(
            a.run_dir.display().to_string(),
            None,
            "not a directory; pass the run directory (evals/<skill>/runs/<run>/)",
        ));
    }
    let evals_path = a
        .evals
        .clone()
        .unwrap_or_else(|| a.run_dir.join("..").join("..").join("evals.json"));
    let evals = eval::load(&evals_path, super::accepts)?;
    let id = eval::run_eval_id(&a.run_dir)?;
    let exe = std::env::current_exe()
        .map_err(|e| CliError::new(format!("cannot find the running dstplan binary: {e}")))?;
    let opts = eval::Options {
        exe,
        timeout: Duration::from_secs(a.timeout.max(1)),
        accepts: super::accepts,
    };
    let g = eval::grade(&evals, &id, &a.run_dir, &opts)?;
    let mut text = serde_json::to_string_pretty(&g)
        .map_err(|e| CliError::new(format!("cannot serialise grading.json: {e}")))?;
    text.push('\n');
    let out = a.run_dir.join("grading.json");
    fsx::write(&out, text.as_bytes(), Overwrite::Allow)?;

    let mut s = String::new();
    for row in &g.assertions {
        let mark = match row.passed {
            Some(true) => "pass",
            Some(false) => "FAIL",
            None => "judge",
        };
        s.push_str(&format!("{mark:>5}  {}\n", row.text));
        if row.passed == Some(false) {
            let exit = row
                .exit
                .map_or("none (killed)".to_string(), |e| e.to_string());
            s.push_str(&format!(
                "       `{}` exited {exit}, expected {}\n",
                row.command.as_deref().unwrap_or(""),
                row.expect_exit.unwrap_or(0)
            ));
        }
    }
    s.push_str(&format!(
        "eval {} of {}: {} mechanical, {} passed, {} failed, {} to judge; wrote {}\n",
        id,
        evals.skill_name,
        g.summary.mechanical,
        g.summary.passed,
        g.summary.failed,
        g.summary.judged,
        out.display()
    ));
    super::print_out(&s);
    Ok(if g.summary.failed > 0 {
        exit::FOUND
    } else {
        exit::OK
    })
}
