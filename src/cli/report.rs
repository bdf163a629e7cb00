//! `dstplan report SESSION [--check] [--fail-on fail|concerns] [--force] [--format F]
//! [--require-verified-landing]`:
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
    /// The session directory
    session: PathBuf,
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
}

pub fn run(args: Args) -> CmdResult {
    let machine = args.format == Format::Json;
    let oracle = report::history_oracle();
    let progress = super::progress::Progress::start(format!(
        "checking the findings and cited histories of {}",
        args.session.display()
    ));
    let opts = report::Options {
        require_verified_landing: args.require_verified_landing,
    };
    let mut r = report::build_with(&args.session, &oracle, &opts)
        .map_err(|e| CliError::from(e).machine(machine))?;
    let (md, json) = report::finish(&mut r).map_err(|e| CliError::from(e).machine(machine))?;
    drop(progress);
    if !args.check {
        report::write(&args.session, &md, &json, args.force)
            .map_err(|e| CliError::from(e).machine(machine))?;
    }
    let out = match args.format {
        Format::Text => report::render_text(&r, &args.session, !args.check),
        Format::Json => json,
        Format::Github => report::render_github(&r, &args.session),
    };
    super::print_out(&out);
    let fail_on = args.fail_on.map(|f| match f {
        FailOn::Fail => "fail",
        FailOn::Concerns => "concerns",
    });
    Ok(report::exit_code(&r, fail_on))
}
