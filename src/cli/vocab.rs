//! `dstplan vocab`: print every enumeration, as Markdown or JSON.

use super::{print_out, CmdResult};
use crate::{exit, vocab};

/// Output format of `dstplan vocab`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Markdown,
    Json,
}

/// Arguments of `dstplan vocab`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value = "markdown")]
    format: Format,
}

pub fn run(args: Args) -> CmdResult {
    let text = match args.format {
        Format::Markdown => vocab::render_markdown(),
        Format::Json => vocab::render_json(),
    };
    print_out(&text);
    Ok(exit::OK)
}
