//! `dstplan install` and `dstplan uninstall`: link the skills where coding agents find them.

use std::path::PathBuf;

use super::{print_out, CliError, CmdResult};
use crate::exit;
use crate::install::{self, Agent, Env, Manifest, Scope};

/// Which agent to wire the skills into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AgentArg {
    Claude,
    Codex,
    Gemini,
    Copilot,
    Cursor,
    All,
}

impl AgentArg {
    fn agents(self) -> Vec<Agent> {
        match self {
            AgentArg::Claude => vec![Agent::Claude],
            AgentArg::Codex => vec![Agent::Codex],
            AgentArg::Gemini => vec![Agent::Gemini],
            AgentArg::Copilot => vec![Agent::Copilot],
            AgentArg::Cursor => vec![Agent::Cursor],
            AgentArg::All => Agent::ALL.to_vec(),
        }
    }
}

/// Install for the user or for the project in the current directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScopeArg {
    User,
    Project,
}

impl From<ScopeArg> for Scope {
    fn from(s: ScopeArg) -> Scope {
        match s {
            ScopeArg::User => Scope::User,
            ScopeArg::Project => Scope::Project,
        }
    }
}

/// Arguments of `dstplan install`.
///
/// Symlinks each skill directory into the agent's skills folder: user scope
/// ~/.claude/skills, ~/.agents/skills (codex), ~/.gemini/skills, ~/.copilot/skills,
/// ~/.cursor/skills; project scope .claude/skills (claude) or .agents/skills (the others).
/// Skills source: --skills-dir, else $DSTPLAN_HOME/skills, else ~/.local/share/dstplan/skills,
/// else ./skills. Never replaces anything it did not create (exit 2 and says what is there).
#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// The agent to install for.
    #[arg(long, value_enum)]
    agent: AgentArg,
    /// User-wide (home directory) or this project only (current directory).
    #[arg(long, value_enum, default_value = "user")]
    scope: ScopeArg,
    /// Print what would be done; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// The directory holding the skills (each subdirectory with a SKILL.md).
    #[arg(long, value_name = "DIR")]
    skills_dir: Option<PathBuf>,
}

/// Arguments of `dstplan uninstall`: removes only the links `dstplan install` recorded.
#[derive(Debug, clap::Args)]
pub struct UninstallArgs {
    /// The agent to uninstall for.
    #[arg(long, value_enum)]
    agent: AgentArg,
    /// User-wide (home directory) or this project only (current directory).
    #[arg(long, value_enum, default_value = "user")]
    scope: ScopeArg,
    /// Print what would be done; change nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run_install(args: InstallArgs) -> CmdResult {
    let env = Env::from_process().map_err(CliError::new)?;
    let source =
        install::find_skills_source(args.skills_dir.as_deref(), &env).map_err(CliError::new)?;
    let skills = install::list_skills(&source).map_err(CliError::new)?;
    let mpath = Manifest::path(&env);
    let mut manifest = Manifest::load(&mpath).map_err(CliError::new)?;
    let scope: Scope = args.scope.into();
    let actions = match install::plan_install(&args.agent.agents(), scope, &skills, &env, &manifest)
    {
        Ok(a) => a,
        Err(conflicts) => {
            let list: Vec<String> = conflicts.iter().map(|c| format!("  {c}")).collect();
            return Err(CliError::new(format!(
                "nothing was installed: {} path{} in the way\n{}",
                conflicts.len(),
                if conflicts.len() == 1 { " is" } else { "s are" },
                list.join("\n")
            )));
        }
    };
    finish(&actions, scope, &mut manifest, &mpath, args.dry_run)?;
    if !args.dry_run {
        eprintln!(
            "installed {} skill{} from {}; restart the agent so it rescans its skills",
            skills.len(),
            if skills.len() == 1 { "" } else { "s" },
            source.display()
        );
    }
    Ok(exit::OK)
}

pub fn run_uninstall(args: UninstallArgs) -> CmdResult {
    let env = Env::from_process().map_err(CliError::new)?;
    let mpath = Manifest::path(&env);
    let mut manifest = Manifest::load(&mpath).map_err(CliError::new)?;
    let scope: Scope = args.scope.into();
    let actions = install::plan_uninstall(&args.agent.agents(), scope, &manifest);
    if actions.is_empty() {
        eprintln!(
            "nothing to uninstall: {} lists no {} link for that agent",
            mpath.display(),
            scope.as_str()
        );
        return Ok(exit::OK);
    }
    finish(&actions, scope, &mut manifest, &mpath, args.dry_run)?;
    Ok(exit::OK)
}

fn finish(
    actions: &[install::Action],
    scope: Scope,
    manifest: &mut Manifest,
    mpath: &std::path::Path,
    dry_run: bool,
) -> Result<(), CliError> {
    let mut out = String::new();
    for a in actions {
        out.push_str(&a.describe(dry_run));
        out.push('\n');
    }
    if dry_run {
        print_out(&out);
        return Ok(());
    }
    manifest.version = 1;
    let applied = install::apply(actions, scope, manifest, env!("CARGO_PKG_VERSION"));
    // Save what was done even when a later step failed, so uninstall can undo it.
    let saved = manifest.save(mpath);
    applied.map_err(|e| {
        CliError::new(format!(
            "{e}; steps before this one were done and recorded in {}",
            mpath.display()
        ))
    })?;
    saved?;
    print_out(&out);
    Ok(())
}
