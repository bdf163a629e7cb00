//! `dstplan new`: scaffold a plan (argument parsing only; the work is in
//! [`crate::scaffold::plan`]).

use std::path::PathBuf;

use super::{CliError, CmdResult};
use crate::exit;
use crate::scaffold::plan::{create, Mode, NewOptions};

/// Plan mode on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ModeArg {
    ChangeScoped,
    ProjectWide,
}

/// Arguments of `dstplan new`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Plan slug: lowercase letters, digits and `-` (the file is `<slug>.md`)
    slug: String,
    /// Plan mode
    #[arg(long, value_enum, default_value = "change-scoped")]
    mode: ModeArg,
    /// System under test (otherwise a placeholder)
    #[arg(long, value_name = "NAME")]
    sut: Option<String>,
    /// Base revision of the change (default: merge-base with the default branch, or HEAD~1)
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// Plan file to write (default: testing-plans/<slug>.md at the repository root)
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Directory whose template files replace the built-in ones, file by file
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Replace an existing plan file
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args) -> CmdResult {
    let cwd = std::env::current_dir()
        .map_err(|e| CliError::new(format!("cannot read the current directory: {e}")))?;
    let created = create(&NewOptions {
        slug: args.slug,
        mode: match args.mode {
            ModeArg::ChangeScoped => Mode::ChangeScoped,
            ModeArg::ProjectWide => Mode::ProjectWide,
        },
        sut: args.sut,
        base: args.base,
        out: args.out,
        templates: args.templates,
        force: args.force,
        cwd,
        date: None,
    })?;
    let what = match args.mode {
        ModeArg::ChangeScoped => "changed files listed",
        ModeArg::ProjectWide => "existing tests and harnesses in §3",
    };
    eprintln!(
        "created {} ({} {what}; {} placeholders to fill, then run `dstplan lint`)",
        created.path.display(),
        created.entries,
        created.placeholders
    );
    super::print_out(&format!("{}\n", created.path.display()));
    Ok(exit::OK)
}
