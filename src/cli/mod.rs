//! Argument definitions and dispatch. One file per command; each offers an `Args` struct
//! (clap derive) and a `run` function returning the exit code or a [`CliError`].

use clap::{Parser, Subcommand};

mod completions;
mod eval;
mod explain;
mod fault;
mod finding;
mod history;
mod install;
mod inventory;
mod lint;
mod net;
mod new;
mod progress;
mod report;
mod rules;
mod scenario;
mod session;
mod skills;
mod vocab;

use crate::error::{Class, Error};
use crate::exit;

/// Claim-driven test plans for distributed systems.
#[derive(Debug, Parser)]
#[command(name = "dstplan", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// When to colour output: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces
    /// it), always, or never
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    color: clap::ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scaffold a new test plan
    New(new::Args),
    /// Work on a plan's scenarios
    Scenario(scenario::Args),
    /// Check test plans against the plan format
    Lint(lint::Args),
    /// List the lint rules
    Rules(rules::Args),
    /// Explain one lint rule, with a bad and a good example
    Explain(explain::Args),
    /// List the SUT's existing tests and harnesses (for §3)
    Inventory(inventory::Args),
    /// Create and manage execution sessions
    Session(session::Args),
    /// Write finding stubs into a session
    Finding(finding::Args),
    /// Validate a session's findings and write the findings report
    Report(report::Args),
    /// Validate and check operation histories
    History(history::Args),
    /// Inject faults into a running system and record whether they landed
    Fault(fault::Args),
    /// Create and remove network namespaces for an N-node cluster on one host
    Net(net::Args),
    /// Print the vocabulary (every enumeration)
    Vocab(vocab::Args),
    /// Validate Agent Skills packs
    Skills(skills::Args),
    /// Wire the skills into a coding agent
    Install(install::InstallArgs),
    /// Remove what `dstplan install` created
    Uninstall(install::UninstallArgs),
    /// Grade an eval run's mechanical assertions
    Eval(eval::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(completions::Args),
}

/// A library [`Error`] on its way out, plus how to print it: `machine` prints
/// `{"version":1,"error":…}` on stdout (a machine format was asked for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub error: Error,
    pub machine: bool,
}

impl CliError {
    /// A plain error.
    pub fn new(message: impl Into<String>) -> Self {
        Error::new(message).into()
    }

    /// An error at a place in a file.
    pub fn at(path: impl Into<String>, line: Option<usize>, message: impl Into<String>) -> Self {
        Error::at(path, line, message).into()
    }

    /// Mark the error for machine output when `yes`.
    pub fn machine(mut self, yes: bool) -> Self {
        self.machine = yes;
        self
    }
}

impl From<Error> for CliError {
    fn from(error: Error) -> Self {
        CliError {
            error,
            machine: false,
        }
    }
}

impl From<crate::fsx::WriteError> for CliError {
    fn from(e: crate::fsx::WriteError) -> Self {
        Error::from(e).into()
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

/// The exit code for a failure of this class (`shared/spec/cli-contract.md`: all exit 2).
fn exit_code(class: Class) -> i32 {
    match class {
        Class::Input | Class::Environment | Class::Internal => exit::FAILED,
    }
}

/// `--format text|json` of the commands that print either (`json` is a machine format: errors
/// go to stdout as JSON too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

impl TextOrJson {
    /// Whether this is the machine format.
    pub fn machine(self) -> bool {
        self == TextOrJson::Json
    }
}

/// The result every command returns: an exit code, or a failure to do the job.
pub type CmdResult = Result<i32, CliError>;

/// The `--color` value among raw arguments, before clap parses them, so clap's own help and
/// errors follow it too. The last one wins, as clap would have it.
fn color_from_args(args: &[std::ffi::OsString]) -> clap::ColorChoice {
    let mut choice = clap::ColorChoice::Auto;
    let mut it = args.iter().map(|a| a.to_string_lossy());
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        }
        let value = match a.strip_prefix("--color") {
            Some("") => it.next().map(|v| v.into_owned()),
            Some(rest) => rest.strip_prefix('=').map(str::to_string),
            None => None,
        };
        choice = match value.as_deref() {
            Some("always") => clap::ColorChoice::Always,
            Some("never") => clap::ColorChoice::Never,
            Some("auto") => clap::ColorChoice::Auto,
            _ => choice,
        };
    }
    choice
}

/// Make `--color` the process-wide choice every coloured writer consults.
fn set_color(choice: clap::ColorChoice) {
    let c = match choice {
        clap::ColorChoice::Always => anstream::ColorChoice::Always,
        clap::ColorChoice::Never => anstream::ColorChoice::Never,
        clap::ColorChoice::Auto => anstream::ColorChoice::Auto,
    };
    c.write_global();
}

/// Whether to colour what goes to stdout: `--color`, then (for auto) NO_COLOR, CLICOLOR,
/// CLICOLOR_FORCE and whether stdout is a terminal, as anstream decides.
pub(crate) fn color_stdout() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// The same for stderr.
pub(crate) fn color_stderr() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}

/// Parse the process arguments, run the command, and return the exit code.
pub fn main() -> i32 {
    use clap::{CommandFactory, FromArgMatches};
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let early = color_from_args(&args);
    set_color(early);
    let parsed = Cli::command()
        .color(early)
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::FAILED
            } else {
                exit::OK
            };
            let _ = e.print();
            return code;
        }
    };
    set_color(cli.color);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            report_error(&e);
            exit_code(e.error.class)
        }
    }
}

fn run(cli: Cli) -> CmdResult {
    match cli.command {
        Command::New(a) => new::run(a),
        Command::Scenario(a) => scenario::run(a),
        Command::Lint(a) => lint::run(a),
        Command::Rules(a) => rules::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Inventory(a) => inventory::run(a),
        Command::Session(a) => session::run(a),
        Command::Finding(a) => finding::run(a),
        Command::Report(a) => report::run(a),
        Command::History(a) => history::run(a),
        Command::Fault(a) => fault::run(a),
        Command::Net(a) => net::run(a),
        Command::Vocab(a) => vocab::run(a),
        Command::Skills(a) => skills::run(a),
        Command::Install(a) => install::run_install(a),
        Command::Uninstall(a) => install::run_uninstall(a),
        Command::Eval(a) => eval::run(a),
        Command::Completions(a) => completions::run(a),
    }
}

/// Whether `dstplan` accepts these arguments (`words[0]` is the program name): what `eval`
/// uses to validate the commands an evals file runs. `Err` is the first line of clap's error.
pub fn accepts(words: &[String]) -> Result<(), String> {
    use clap::error::ErrorKind;
    match Cli::try_parse_from(words) {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => Ok(()),
        Err(e) => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("");
            Err(first.trim_start_matches("error: ").to_string())
        }
    }
}

/// Print an exit-2 error: JSON on stdout for machine formats, `error: …` on stderr otherwise.
fn report_error(e: &CliError) {
    if e.machine {
        let v = serde_json::json!({
            "version": 1,
            "error": {"message": e.error.message, "path": e.error.path, "line": e.error.line},
        });
        println!("{v}");
    } else if color_stderr() {
        let red = anstyle::Style::new()
            .bold()
            .fg_color(Some(anstyle::AnsiColor::Red.into()));
        eprintln!("{red}error:{red:#} {e}");
    } else {
        eprintln!("error: {e}");
    }
}

/// Write to stdout, treating a closed pipe as success (`dstplan lint | head`).
pub(crate) fn print_out(s: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}
