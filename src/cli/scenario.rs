//! `dstplan scenario add` and `scenario set`: append a scenario stub to a plan's §7, or
//! rewrite one in place (argument parsing and the in-place write; the text is built by
//! [`crate::scaffold::scenario`] and [`crate::scaffold::scenario_set`]).

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
    /// Rewrite a scenario's claims, name or language in place, and its §7.M / §7.M.S form
    Set(SetArgs),
}

#[derive(Debug, clap::Args)]
struct SetArgs {
    /// The scenario to change (e.g. S3)
    #[arg(value_name = "S")]
    id: String,
    /// The plan file
    #[arg(long, value_name = "P")]
    plan: PathBuf,
    /// The claim IDs the scenario now falsifies (replaces the list, e.g. C1,C4)
    #[arg(long, value_name = "C1,C4")]
    falsifies: Option<String>,
    /// A new claim-shaped name: lowercase letters, digits and `_`
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// A new skeleton language: rust, go, python, typescript or shell
    #[arg(long, value_name = "L")]
    language: Option<String>,
    /// Directory whose template files replace the built-in ones, file by file
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
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
        Sub::Set(a) => set(a),
    }
}

fn read_plan_text(plan: &std::path::Path) -> Result<String, CliError> {
    let path_s = plan.display().to_string();
    let bytes = std::fs::read(plan).map_err(|e| {
        CliError::at(
            &path_s,
            None,
            format!("cannot read the plan: {e}; pass an existing plan file with --plan"),
        )
    })?;
    String::from_utf8(bytes).map_err(|_| {
        CliError::at(
            &path_s,
            None,
            "the plan is not UTF-8 text; save it as UTF-8",
        )
    })
}

/// The test frameworks of the repository under `dir` (default language, TypeScript runner).
fn detect(dir: &std::path::Path) -> inventory::detect::Detected {
    inventory::scan(dir, inventory::default_threads())
        .map(|inv| inventory::detect::detect(&inv))
        .unwrap_or_default()
}

/// [`detect`] in the repository that holds `plan` (its git root, else its directory).
fn detect_in(plan: &std::path::Path) -> inventory::detect::Detected {
    let dir = plan
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let root = git::discover(dir).and_then(|r| git::root(&r));
    detect(root.as_deref().unwrap_or(dir))
}

fn set(a: SetArgs) -> CmdResult {
    let path_s = a.plan.display().to_string();
    let language = match &a.language {
        None => None,
        Some(l) => Some(Language::parse(l).ok_or_else(|| {
            CliError::new(format!(
                "unknown --language `{l}`; use one of {}",
                crate::vocab::SKELETON_LANGUAGES.join(", ")
            ))
        })?),
    };
    let src = read_plan_text(&a.plan)?;
    let templates = Templates::load(a.templates.as_deref())?;
    note_unused(templates.unused());
    let id = a.id.trim().to_ascii_uppercase();
    let edited = crate::scaffold::scenario_set::set(
        &templates,
        &src,
        &path_s,
        &id,
        &crate::scaffold::scenario_set::Changes {
            falsifies: a.falsifies.as_deref(),
            name: a.name.as_deref(),
            language,
            ts_runner: match language {
                Some(Language::TypeScript) => detect_in(&a.plan).ts_runner,
                _ => None,
            },
        },
    )?;
    if edited.text == src {
        eprintln!("scenario {id} already reads that way; {path_s} is unchanged");
        return Ok(exit::OK);
    }
    if std::fs::read(&a.plan).ok().as_deref() != Some(src.as_bytes()) {
        return Err(CliError::at(
            &path_s,
            None,
            "the plan changed on disk while the scenario was being rewritten; nothing was written, run the command again",
        ));
    }
    fsx::replace_in_place(&a.plan, edited.text.as_bytes())?;
    for n in &edited.notes {
        eprintln!("{id}: {n}");
    }
    eprintln!(
        "rewrote scenario {id} in {path_s} (fill any new placeholders, then run `dstplan lint`)"
    );
    Ok(exit::OK)
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
    let detected = detect(&repo_dir);
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
        "added scenario {} to {}:{}{} (fill its placeholders, then run `dstplan lint`)",
        added.id,
        path_s,
        added.line,
        if added.replaced_stub {
            ", in place of the unfilled stub `dstplan new` wrote"
        } else {
            ""
        }
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
