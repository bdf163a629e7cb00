//! `dstplan lint [PATH…|-] [--format F] [--strict] [--fix] [--diff]`: check plans against the
//! plan format, and apply (or preview) the mechanical fixes.
//!
//! A file named explicitly is linted whatever its title; a directory means every Markdown file
//! below it whose first heading is `# Test Plan:`, respecting .gitignore. No path means
//! `testing-plans/` and `docs/testing-plans/` under the current directory. Finding no plan is
//! exit 2, never a silent pass. Every file is read before anything is printed, so a read error
//! leaves no partial output.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{print_out, CliError, CmdResult};
use crate::diag::{self, FileReport, Format, Severity};
use crate::exit;
use crate::lint::Config;

/// Largest plan we read (bytes). Real plans are well under a megabyte.
pub const MAX_PLAN_BYTES: u64 = 64 * 1024 * 1024;

/// Arguments of `dstplan lint`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Plan files or directories (default: testing-plans/ and docs/testing-plans/); `-` reads
    /// one plan from standard input
    paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Treat warnings as errors (exit 1 when any warning is found)
    #[arg(long)]
    strict: bool,
    /// Apply the mechanical fixes (label spelling, the exact not-applicable and explicit-empty
    /// sentences, a missing §7.M / §7.M.S not-applicable line) in place, then report what is
    /// left
    #[arg(long)]
    fix: bool,
    /// Print the fixes `--fix` would make as a unified diff, and change nothing
    #[arg(long)]
    diff: bool,
}

pub fn run(args: Args) -> CmdResult {
    let machine = args.format.is_machine();
    let stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && args.paths.len() > 1 {
        return Err(CliError::new(
            "`-` reads one plan from standard input; lint files in a separate run",
        )
        .machine(machine));
    }
    let files = if stdin {
        vec![(PathBuf::from("-"), STDIN_NAME.to_string())]
    } else {
        collect(&args.paths).map_err(|e| e.machine(machine))?
    };
    if stdin && args.fix && !args.diff {
        return Err(CliError::new(
            "--fix edits files in place and standard input is not a file; use `--diff -` to see the fixes",
        )
        .machine(machine));
    }
    let mut reports = Vec::with_capacity(files.len());
    let mut configs: HashMap<PathBuf, Config> = HashMap::new();
    let mut diffs = String::new();
    for (path, display) in files {
        let source = if stdin {
            read_stdin().map_err(|e| e.machine(machine))?
        } else {
            read_plan(&path).map_err(|e| e.machine(machine))?
        };
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let config = match configs.get(&dir) {
            Some(c) => c.clone(),
            None => {
                let c = Config::discover(&dir).map_err(|e| CliError::new(e).machine(machine))?;
                configs.insert(dir.clone(), c.clone());
                c
            }
        };
        // standard input has no file name to compare the slug with
        let stem = (!stdin)
            .then(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .flatten();
        let mut plan = crate::plan::parse(&source);
        let mut source = source;
        if args.fix || args.diff {
            let edits = crate::lint::fix::fixes(&plan, &source);
            if args.diff {
                diffs.push_str(&crate::lint::fix::diff(&display, &source, &edits));
            } else if !edits.is_empty() {
                let fixed = crate::lint::fix::apply(&source, &edits);
                write_fixed(&path, &display, &source, &fixed)?;
                eprintln!(
                    "fixed {} problem{} in {display}",
                    edits.len(),
                    if edits.len() == 1 { "" } else { "s" }
                );
                source = fixed;
                plan = crate::plan::parse(&source);
            }
        }
        let diagnostics = crate::lint::lint_plan(&plan, &source, stem.as_deref(), &config);
        // The process ends after printing: freeing a large plan's many small allocations one
        // by one would cost more than the parse of them (about a tenth of the run on a
        // 10,000-scenario plan), and the OS reclaims the memory at exit anyway.
        std::mem::forget(plan);
        reports.push(FileReport {
            path: display,
            source,
            diagnostics,
        });
    }
    if args.diff {
        // a preview: the diff is the output, and nothing was changed
        print_out(&diffs);
        return Ok(exit::OK);
    }
    let color = args.format == Format::Text && super::color_stdout();
    print_out(&diag::render(
        args.format,
        &reports,
        color,
        &crate::lint::rule_infos(),
    ));
    let errors = reports.iter().any(|r| r.errors() > 0);
    let warnings = reports.iter().any(|r| {
        r.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Warning)
    });
    Ok(if errors || (args.strict && warnings) {
        exit::FOUND
    } else {
        exit::OK
    })
}

/// Replace the plan at `path` with its fixed text, unless someone changed it meanwhile.
fn write_fixed(path: &Path, shown: &str, read: &str, fixed: &str) -> Result<(), CliError> {
    if std::fs::read(path).ok().as_deref() != Some(read.as_bytes()) {
        return Err(CliError::at(
            shown,
            None,
            "the plan changed on disk while it was being fixed; nothing was written, run the command again",
        ));
    }
    crate::fsx::replace_in_place(path, fixed.as_bytes())
        .map_err(|e| CliError::at(shown, None, e.to_string()))
}

/// How standard input is named in diagnostics.
const STDIN_NAME: &str = "<stdin>";

/// Read a plan from standard input, with the same limits and checks as a file.
fn read_stdin() -> Result<String, CliError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_PLAN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::at(STDIN_NAME, None, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_PLAN_BYTES {
        return Err(CliError::at(STDIN_NAME, None, format!("is larger than the {} MiB a plan may be; split the plan or check that this is the right input", MAX_PLAN_BYTES / (1024 * 1024))));
    }
    plan_text(STDIN_NAME, bytes)
}

/// Read a plan as UTF-8 text, refusing binaries, invalid UTF-8 and oversized files.
pub fn read_plan(path: &Path) -> Result<String, CliError> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|e| CliError::at(&shown, None, format!("cannot read: {e}")))?;
    if meta.len() > MAX_PLAN_BYTES {
        return Err(CliError::at(&shown, None, format!("is {} MiB, larger than the {} MiB a plan may be; split the plan or check that this is the right file", meta.len() / (1024 * 1024), MAX_PLAN_BYTES / (1024 * 1024))));
    }
    let bytes =
        crate::fsx::read_bytes_bounded(path, MAX_PLAN_BYTES).map_err(crate::error::Error::from)?;
    plan_text(&shown, bytes)
}

/// The bytes of a plan as text: no NUL byte, valid UTF-8.
fn plan_text(shown: &str, bytes: Vec<u8>) -> Result<String, CliError> {
    if let Some(i) = memchr::memchr(0, &bytes) {
        let line = bytes[..i].iter().filter(|b| **b == b'\n').count() + 1;
        return Err(CliError::at(
            shown,
            Some(line),
            "is a binary file (it contains a NUL byte), not a Markdown plan",
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
        CliError::at(
            shown,
            Some(line),
            format!("is not valid UTF-8 (byte {at}); save the plan as UTF-8"),
        )
    })
}

/// The files to lint: (path to read, path to show).
fn collect(paths: &[PathBuf]) -> Result<Vec<(PathBuf, String)>, CliError> {
    let defaults = [
        PathBuf::from("testing-plans"),
        PathBuf::from("docs/testing-plans"),
    ];
    let (roots, implicit): (Vec<PathBuf>, bool) = if paths.is_empty() {
        (
            defaults.iter().filter(|p| p.is_dir()).cloned().collect(),
            true,
        )
    } else {
        (paths.to_vec(), false)
    };
    if implicit && roots.is_empty() {
        let cwd = std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| ".".into());
        return Err(CliError::new(format!("no test plans found in {cwd} (looked in testing-plans/ and docs/testing-plans/); pass a plan file or directory")));
    }
    let mut out = Vec::new();
    for root in &roots {
        let shown = root.display().to_string();
        let meta = std::fs::metadata(root)
            .map_err(|e| CliError::at(&shown, None, format!("cannot read: {e}")))?;
        if !meta.is_dir() {
            out.push((root.clone(), shown));
            continue;
        }
        let before = out.len();
        let mut found: Vec<PathBuf> = Vec::new();
        for entry in ignore::WalkBuilder::new(root)
            .hidden(false)
            .require_git(false)
            .build()
        {
            let entry =
                entry.map_err(|e| CliError::at(&shown, None, format!("cannot walk: {e}")))?;
            let p = entry.path();
            let is_md = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("md"));
            if is_md && entry.file_type().is_some_and(|t| t.is_file()) && looks_like_plan(p) {
                found.push(p.to_path_buf());
            }
        }
        found.sort();
        out.extend(found.into_iter().map(|p| {
            let s = p.display().to_string();
            (p, s)
        }));
        if out.len() == before && !implicit {
            return Err(CliError::at(
                &shown,
                None,
                "contains no test plans (no Markdown file whose first heading is `# Test Plan:`)",
            ));
        }
    }
    if out.is_empty() {
        let names: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
        return Err(CliError::new(format!(
            "no test plans found in {}",
            names.join(", ")
        )));
    }
    Ok(out)
}

/// Whether a file's first heading is `# Test Plan:` (reads at most 64 KiB).
fn looks_like_plan(p: &Path) -> bool {
    use std::io::Read;
    let Ok(f) = std::fs::File::open(p) else {
        return false;
    };
    let mut buf = Vec::new();
    if f.take(64 * 1024).read_to_end(&mut buf).is_err() {
        return false;
    }
    let text = String::from_utf8_lossy(&buf);
    // a UTF-8 byte-order mark may precede the title
    text.lines()
        .map(|l| l.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}'))
        .find(|l| l.starts_with('#'))
        .is_some_and(|l| {
            l.strip_prefix('#')
                .is_some_and(|r| r.trim_start().starts_with("Test Plan:"))
                && !l.starts_with("##")
        })
}
