//! `dstplan skills check [DIR]`: validate Agent Skills packs.

use std::path::PathBuf;

use super::{print_out, CliError, CmdResult, TextOrJson as Format};
use crate::skills::{self, Severity};
use crate::{exit, install};

/// Arguments of `dstplan skills`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Validate SKILL.md packs against the Agent Skills rules
    ///
    /// Checks the front matter (strict YAML; only name, description, license, compatibility,
    /// metadata, allowed-tools), the name (1–64 lowercase letters, digits and single hyphens,
    /// equal to the directory), the description (1–1024 characters), metadata.version (equal to
    /// this binary's version), the length (a warning above 500 lines) and every relative link.
    /// Also warns when skills installed by `dstplan install` carry another version.
    /// Exit 0: no errors; 1: errors found; 2: the directory could not be read.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// A skills directory (each subdirectory with a SKILL.md is a skill) or one skill's
    /// directory [default: ./skills]
    dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(args: Args) -> CmdResult {
    match args.command {
        Command::Check(a) => check(a),
    }
}

fn check(args: CheckArgs) -> CmdResult {
    let machine = args.format.machine();
    let dir = args.dir.unwrap_or_else(|| PathBuf::from("skills"));
    let version = env!("CARGO_PKG_VERSION");
    let reports =
        skills::check_pack(&dir, version).map_err(|e| CliError::from(e).machine(machine))?;
    let mut issues: Vec<skills::Issue> = reports.iter().flat_map(|r| r.issues.clone()).collect();

    // Installed skills of another version (read-only; a broken manifest is only a warning here).
    if let Ok(env) = install::Env::from_process() {
        let mpath = install::Manifest::path(&env);
        match install::Manifest::load(&mpath) {
            Ok(m) => {
                for (path, v) in install::stale_installed(&m, version) {
                    issues.push(skills::Issue {
                        severity: Severity::Warning,
                        path: path.join("SKILL.md"),
                        line: None,
                        message: format!(
                            "this installed skill is version {v} but dstplan is {version}; update the checkout and run `dstplan install` again (see INSTALL.md)"
                        ),
                    });
                }
            }
            Err(e) => issues.push(skills::Issue {
                severity: Severity::Warning,
                path: mpath,
                line: e.line,
                message: e.message,
            }),
        }
    }

    let errors = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count();
    let warnings = issues.len() - errors;
    if machine {
        let v = serde_json::json!({
            "version": 1,
            "skills": reports.iter().map(|r| serde_json::json!({
                "path": r.dir.display().to_string(),
                "name": r.frontmatter.name,
                "metadata_version": r.frontmatter.version,
                "errors": r.issues.iter().filter(|i| i.severity == Severity::Error).count(),
                "warnings": r.issues.iter().filter(|i| i.severity == Severity::Warning).count(),
            })).collect::<Vec<_>>(),
            "diagnostics": issues.iter().map(|i| serde_json::json!({
                "path": i.path.display().to_string(),
                "line": i.line,
                "severity": i.severity.as_str(),
                "message": i.message,
            })).collect::<Vec<_>>(),
        });
        print_out(&format!("{v}\n"));
    } else {
        let mut out = String::new();
        for i in &issues {
            match i.line {
                Some(l) => out.push_str(&format!(
                    "{}:{l}: {}: {}\n",
                    i.path.display(),
                    i.severity.as_str(),
                    i.message
                )),
                None => out.push_str(&format!(
                    "{}: {}: {}\n",
                    i.path.display(),
                    i.severity.as_str(),
                    i.message
                )),
            }
        }
        print_out(&out);
        eprintln!(
            "checked {} skill{} in {}: {errors} error{}, {warnings} warning{}",
            reports.len(),
            if reports.len() == 1 { "" } else { "s" },
            dir.display(),
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
        );
    }
    Ok(if errors > 0 { exit::FOUND } else { exit::OK })
}
