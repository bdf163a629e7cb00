//! `dstplan scenario add`: append a scenario stub to a plan's §7 (argument parsing and the
//! in-place write; the stub is built by [`crate::scaffold::scenario`]).

use std::path::PathBuf;

use super::{CliError, CmdResult};
use crate::exit;
use crate::fsx;
use crate::scaffold::inventory;
use crate::scaffold::plan::display_relative;
use crate::scaffold::skeleton::Language;
use crate::scaffold::templates::Templates;
use crate::scaffold::{git, scenario};

/// Arguments of `dstplan scenario`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Append the next scenario S<n> to §7, with the §7.M / §7.M.S form its claims need
    Add(AddArgs),
}

#[derive(Debug, clap::Args)]
struct AddArgs {
    /// The plan file
    #[arg(long, value_name = "P")]
    plan: PathBuf,
    /// Claim IDs from §1b the scenario falsifies (e.g. C1,C3)
    #[arg(long, value_name = "C1,C3")]
    falsifies: String,
    /// Claim-shaped scenario name: lowercase letters, digits and `_`
    #[arg(long, value_name = "NAME")]
    name: String,
    /// Skeleton language: rust, go, python, typescript or shell (default: the language most
    /// of the repository's tests are in, per `dstplan inventory`; rust when it has none)
    #[arg(long, value_name = "L")]
    language: Option<String>,
    /// Directory whose template files replace the built-in ones, file by file
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
}

pub fn run(args: Args) -> CmdResult {
    match args.command {
        Sub::Add(a) => add(a),
    }
}

fn add(a: AddArgs) -> CmdResult {
    let path_s = a.plan.display().to_string();
    let language = match &a.language {
        Some(l) => Some(Language::parse(l).ok_or_else(|| {
            CliError::new(format!(
                "unknown --language `{l}`; use one of {}",
                crate::vocab::SKELETON_LANGUAGES.join(", ")
            ))
        })?),
        None => None,
    };
    let bytes = std::fs::read(&a.plan).map_err(|e| {
        CliError::at(
            &path_s,
            None,
            format!("cannot read the plan: {e}; pass an existing plan file with --plan"),
        )
    })?;
    let src = String::from_utf8(bytes).map_err(|_| {
        CliError::at(
            &path_s,
            None,
            "the plan is not UTF-8 text; save it as UTF-8",
        )
    })?;
    let templates = Templates::load(a.templates.as_deref())?;
    note_unused(templates.unused());
    let root = a
        .plan
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                std::path::Path::new(".")
            } else {
                p
            }
        })
        .and_then(git::discover)
        .and_then(|r| git::root(&r));
    let shown = display_relative(&a.plan, root.as_deref());
    // the repository's tests pick the default language and the TypeScript runner
    let repo_dir = root.clone().unwrap_or_else(|| {
        a.plan
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(
                || std::path::PathBuf::from("."),
                std::path::Path::to_path_buf,
            )
    });
    let detected = inventory::scan(&repo_dir, inventory::default_threads())
        .map(|inv| inventory::detect::detect(&inv))
        .unwrap_or_default();
    let language = match (language, detected.language) {
        (Some(l), _) => l,
        (None, Some((l, n))) => {
            eprintln!(
                "skeleton language: {} (most of the repository's tests, {n}, are in it; pass --language to choose)",
                l.as_str()
            );
            l
        }
        (None, None) => Language::Rust,
    };
    let added = scenario::add(
        &templates,
        &src,
        &shown,
        &a.falsifies,
        &a.name,
        language,
        detected.ts_runner,
    )?;
    // Someone (an editor, another agent) may have saved the plan meanwhile: replacing it
    // would silently drop their edit, so check right before the atomic rename.
    if std::fs::read(&a.plan).ok().as_deref() != Some(src.as_bytes()) {
        return Err(CliError::at(
            &path_s,
            None,
            "the plan changed on disk while the scenario was being added; nothing was written, run the command again",
        ));
    }
    fsx::replace_in_place(&a.plan, added.text.as_bytes())?;
    eprintln!(
        "added scenario {} to {}:{} (fill its placeholders, then run `dstplan lint`)",
        added.id, path_s, added.line
    );
    super::print_out(&format!("{}\n", added.id));
    Ok(exit::OK)
}

/// Tell the user about `--templates` files that replace nothing (a misspelt name).
pub(super) fn note_unused(files: &[String]) {
    if !files.is_empty() {
        eprintln!(
            "note: --templates: {} {} no built-in template and {} not used (names: {})",
            files.join(", "),
            if files.len() == 1 { "matches" } else { "match" },
            if files.len() == 1 { "is" } else { "are" },
            crate::scaffold::templates::names().join(", ")
        );
    }
}
