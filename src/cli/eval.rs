//! `dstplan eval`.

use super::CmdResult;

/// Arguments of `dstplan eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Arguments (not implemented yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

pub fn run(_args: Args) -> CmdResult {
    super::not_yet("eval")
}
