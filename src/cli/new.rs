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
#[command(
    after_help = "The plan is dated today in UTC. A change-scoped plan lists every file that \
differs between the base and the working tree: committed, staged, unstaged and untracked \
changes (files .gitignore excludes are left out). An existing plan is never replaced without \
--force. Open decisions are {{TODO: …}} placeholders; fill them, then run `dstplan lint`."
)]
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
    if args.base.is_some() && matches!(args.mode, ModeArg::ProjectWide) {
        eprintln!("note: --base is ignored for a project-wide plan (it has no change under test)");
    }
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
    super::scenario::note_unused(&created.unused_templates);
    let n = created.entries;
    let what = match (args.mode, n) {
        (ModeArg::ChangeScoped, 1) => "1 changed file listed".to_string(),
        (ModeArg::ChangeScoped, _) => format!("{n} changed files listed"),
        (ModeArg::ProjectWide, 1) => "1 §3 row from the test inventory".to_string(),
        (ModeArg::ProjectWide, _) => format!("{n} §3 suite rows from the test inventory"),
    };
    eprintln!(
        "created {} ({what}; {} placeholders to fill, then run `dstplan lint`)",
        created.path.display(),
        created.placeholders
    );
    super::print_out(&format!("{}\n", created.path.display()));
    Ok(exit::OK)
}
