//! `dstplan install` and `dstplan uninstall`.

use super::CmdResult;

/// Arguments of `dstplan install`.
#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// Arguments (not implemented yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

/// Arguments of `dstplan uninstall`.
#[derive(Debug, clap::Args)]
pub struct UninstallArgs {
    /// Arguments (not implemented yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    rest: Vec<String>,
}

pub fn run_install(_args: InstallArgs) -> CmdResult {
    super::not_yet("install")
}

pub fn run_uninstall(_args: UninstallArgs) -> CmdResult {
    super::not_yet("uninstall")
}
