//! `dstplan completions SHELL`: print a completion script generated from the argument
//! definitions (clap_complete), so completions never drift from the real flags.

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, CmdResult};
use crate::exit;

/// Arguments of `dstplan completions`.
///
/// Install, for example: bash `dstplan completions bash > ~/.local/share/bash-completion/completions/dstplan`;
/// zsh `dstplan completions zsh > ~/.zfunc/_dstplan` (with `fpath+=~/.zfunc` before
/// `compinit`); fish `dstplan completions fish > ~/.config/fish/completions/dstplan.fish`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum)]
    shell: Shell,
}

pub fn run(args: Args) -> CmdResult {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "dstplan", &mut out);
    super::print_out(&String::from_utf8_lossy(&out));
    Ok(exit::OK)
}
