//! `dstplan session new --plan P [--root DIR] [--operator NAME]`: create a session directory
//! and print its path.

use std::path::PathBuf;

use super::CmdResult;
use crate::session::{new_session, NewSession};

/// Arguments of `dstplan session`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Create `<root>/test-sessions/<slug>/<UTC>/` with session.json and a session log
    New {
        /// The plan the session executes
        #[arg(long)]
        plan: PathBuf,
        /// Where `test-sessions/` goes (default: the git repository holding the plan, else
        /// the current directory)
        #[arg(long)]
        root: Option<PathBuf>,
        /// Who runs the session (default: $USER)
        #[arg(long)]
        operator: Option<String>,
    },
}

pub fn run(args: Args) -> CmdResult {
    match args.command {
        Sub::New {
            plan,
            root,
            operator,
        } => {
            let dir = new_session(&NewSession {
                plan,
                root,
                operator,
            })?;
            super::print_out(&format!("{}\n", dir.display()));
            Ok(crate::exit::OK)
        }
    }
}
