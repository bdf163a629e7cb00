//! `dstplan report SESSION [--check] [--fail-on fail|concerns] [--force] [--format F]
//! [--require-verified-landing] [--timeout S] [--html] [--merge S2…]`:
//! judge the findings and write findings/report.md + report.json.

use std::path::PathBuf;

use super::{CliError, CmdResult};
use crate::report;

/// Output format of `dstplan report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Github,
}

/// When the headline alone makes the exit code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// The headline is FAIL
    Fail,
    /// The headline is anything but DONE
    Concerns,
}

/// Arguments of `dstplan report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The session directory (the report is written into it)
    #[arg(required_unless_present = "merge")]
    session: Option<PathBuf>,
    /// Judge the findings of several sessions of the same plan as one report (runs split
    /// across sessions); written into SESSION, or into the first one given here
    #[arg(long, value_name = "SESSION", num_args = 1..)]
    merge: Vec<PathBuf>,
    /// Validate only; write nothing
    #[arg(long)]
    check: bool,
    /// Also exit 1 on the headline
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Replace a report.md that was edited by hand
    #[arg(long)]
    force: bool,
    /// Output on stdout
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// A PASS-* whose fault landing is only typed (no verified `nemesis.fault_ids`) is an error
    #[arg(long)]
    require_verified_landing: bool,
    /// Also write findings/report.html: the same content as one offline page, with a timeline
    /// picture of every cited history
    #[arg(long, conflicts_with = "check")]
    html: bool,
    /// Overall budget in seconds for re-checking the cited histories (in parallel); a
    /// history not decided in time is shown as undecided [default: 10]
    #[arg(long, value_name = "S", value_parser = positive_seconds)]
    timeout: Option<f64>,
}

fn positive_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x.is_finite() && x <= 86_400.0 => Ok(x),
        _ => Err(format!(
            "`{s}` is not a number of seconds between 0 and 86400 (e.g. 10 or 2.5)"
        )),
    }
}

pub fn run(mut args: Args) -> CmdResult {
    let session = match args.session.take() {
        Some(s) => s,
        None => args.merge.remove(0),
    };
    let machine = args.format == Format::Json;
    let oracle = report::history_oracle();
    let progress = super::progress::Progress::start(format!(
        "checking the findings and cited histories of {}",
        session.display()
    ));
    let opts = report::Options {
        require_verified_landing: args.require_verified_landing,
        timeout: args.timeout.map(std::time::Duration::from_secs_f64),
        merge: args.merge.clone(),
    };
    let mut r = report::build_with(&session, &oracle, &opts)
        .map_err(|e| CliError::from(e).machine(machine))?;
    let (md, json) = report::finish(&mut r).map_err(|e| CliError::from(e).machine(machine))?;
    drop(progress);
    if !args.check {
        let html = if args.html {
            Some(
                report::render_html(&session, &r)
                    .map_err(|e| CliError::from(e).machine(machine))?,
            )
        } else {
            None
        };
        report::write(&session, &md, &json, html.as_deref(), args.force)
            .map_err(|e| CliError::from(e).machine(machine))?;
    }
    let out = match args.format {
        Format::Text => report::render_text(&r, &session, !args.check, args.html),
        Format::Json => json,
        Format::Github => report::render_github(&r, &session),
    };
    super::print_out(&out);
    let fail_on = args.fail_on.map(|f| match f {
        FailOn::Fail => "fail",
        FailOn::Concerns => "concerns",
    });
    Ok(report::exit_code(&r, fail_on))
}
