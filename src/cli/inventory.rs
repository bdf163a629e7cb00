//! `dstplan inventory`: list a SUT's existing tests and harnesses (the work is in
//! [`crate::scaffold::inventory`], whose module doc holds the JSON schema).

use std::path::PathBuf;

use super::{print_out, CliError, CmdResult};
use crate::exit;
use crate::scaffold::inventory;

/// Output format of `dstplan inventory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Markdown,
    Json,
}

/// Arguments of `dstplan inventory`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Repository of the SUT (default: the current directory)
    #[arg(value_name = "REPO")]
    repo: Option<PathBuf>,
    /// Output format: the §3 table (markdown) or one JSON object
    #[arg(long, value_enum, default_value = "markdown")]
    format: Format,
    /// One row per test file instead of one per suite (Markdown)
    #[arg(long)]
    per_test: bool,
    /// Compare with this revision: report tests added, removed, newly ignored, and no longer
    /// (or newly) run in CI
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// Walker threads (default: the machine's parallelism, at most 8)
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

pub fn run(args: Args) -> CmdResult {
    let machine = args.format == Format::Json;
    let root = args.repo.unwrap_or_else(|| PathBuf::from("."));
    let threads = args.threads.unwrap_or_else(inventory::default_threads);
    let inv =
        inventory::scan_with_ci(&root, threads).map_err(|e| CliError::from(e).machine(machine))?;
    let delta = match &args.base {
        Some(rev) => {
            let base = inventory::delta::inventory_at(&root, rev, threads)
                .map_err(|e| CliError::from(e).machine(machine))?;
            Some(inventory::delta::compare(rev, &base, &inv))
        }
        None => None,
    };
    let out = match args.format {
        Format::Markdown if args.per_test => {
            let mut s = inventory::render_per_test(&inv);
            if let Some(d) = &delta {
                s.push('\n');
                s.push_str(&inventory::suites::render_delta(d));
            }
            s
        }
        Format::Markdown => inventory::render_markdown(&inv, delta.as_ref()),
        Format::Json => inventory::render_json(&inv, delta.as_ref()),
    };
    print_out(&out);
    let secs = inv.elapsed.as_secs_f64();
    eprintln!(
        "inventory: {} items; {} files seen, {} read, in {:.0} ms ({:.0} files/s)",
        inv.items.len(),
        inv.files_seen,
        inv.files_read,
        secs * 1000.0,
        if secs > 0.0 {
            inv.files_seen as f64 / secs
        } else {
            0.0
        }
    );
    Ok(exit::OK)
}
