//! `dstplan finding new --session DIR --scenario S3[/arm]`: write a finding stub pre-filled
//! from the plan.

use std::path::PathBuf;

use super::{CliError, CmdResult};
use crate::fsx::{self, Overwrite};
use crate::session::{self, stub, SessionInfo};

/// Arguments of `dstplan finding`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Write `findings/<id>.md` with every key present and unset
    New {
        /// The session directory
        #[arg(long)]
        session: PathBuf,
        /// Scenario or arm ID (`S3`, `S5/api`)
        #[arg(long)]
        scenario: String,
    },
}

pub fn run(args: Args) -> CmdResult {
    let Sub::New {
        session: dir,
        scenario,
    } = args.command;
    let info = SessionInfo::read(&dir)?;
    let (_, plan) = session::read_plan(&info.plan_path(&dir))?;
    let key = scenario.trim().to_string();
    let Some((s, arm)) = stub::resolve(&plan, &key) else {
        return Err(CliError::new(format!(
            "the plan has no scenario or arm `{key}`; valid IDs: {}",
            session::plan_keys(&plan).join(", ")
        )));
    };
    let text = stub::render(&plan, s, arm.as_deref());
    let path = dir.join("findings").join(session::finding_file_name(&key));
    fsx::write(&path, text.as_bytes(), Overwrite::Never)?;
    super::print_out(&format!("{}\n", path.display()));
    Ok(crate::exit::OK)
}
