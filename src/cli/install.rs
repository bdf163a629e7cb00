//! `dstplan install` and `dstplan uninstall`: put the skills where coding agents find them.

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

/// The agents a list of `--agent` values names, each once, in a fixed order.
fn agents(args: &[AgentArg]) -> Vec<Agent> {
    let mut v: Vec<Agent> = args.iter().flat_map(|a| a.agents()).collect();
    v.sort();
    v.dedup();
    v
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
/// User scope symlinks each skill directory into the agent's skills folder (~/.claude/skills,
/// ~/.agents/skills for codex, ~/.gemini/skills, ~/.copilot/skills, ~/.cursor/skills); project
/// scope copies them (with a marker file) into .claude/skills (claude) or .agents/skills. With
/// several agents, a folder they share is written once (gemini, copilot and cursor also read
/// .agents/skills). Skills source: --skills-dir, else $DSTPLAN_HOME/skills, else
/// ~/.local/share/dstplan/skills, else ./skills. Checks every path first and never replaces
/// anything it did not create (exit 2 and says what is there).
#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// The agents to install for (comma-separated or repeated; `all` for every one).
    #[arg(long, value_enum, value_delimiter = ',', required = true)]
    agent: Vec<AgentArg>,
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

/// Arguments of `dstplan uninstall`: removes only what `dstplan install` made (recorded links,
/// copies whose marker matches) inside the agent's skills folders.
#[derive(Debug, clap::Args)]
pub struct UninstallArgs {
    /// The agents to uninstall for (comma-separated or repeated; `all` for every one).
    #[arg(long, value_enum, value_delimiter = ',', required = true)]
    agent: Vec<AgentArg>,
    /// User-wide (home directory) or this project only (current directory).
    #[arg(long, value_enum, default_value = "user")]
    scope: ScopeArg,
    /// Print what would be done; change nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run_install(args: InstallArgs) -> CmdResult {
    let env = Env::from_process()?;
    let source = install::find_skills_source(args.skills_dir.as_deref(), &env)?;
    let skills = install::list_skills(&source)?;
    let mpath = Manifest::path(&env);
    let mut manifest = Manifest::load(&mpath)?;
    let scope: Scope = args.scope.into();
    let version = env!("CARGO_PKG_VERSION");
    let plan = match install::plan_install(
        &agents(&args.agent),
        scope,
        &skills,
        &env,
        &manifest,
        version,
    ) {
        Ok(p) => p,
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
    finish(&plan.actions, scope, &mut manifest, &mpath, args.dry_run)?;
    for (agent, earlier, now) in &plan.earlier {
        eprintln!(
            "note: {} already has the skills in {} from an earlier install and also reads {}, so it finds each skill twice; install the agents together (`--agent {},…` or `--agent all`) after `dstplan uninstall --agent {}`",
            agent.as_str(),
            earlier.display(),
            now.display(),
            agent.as_str(),
            agent.as_str()
        );
    }
    for (agent, dirs) in &plan.duplicates {
        let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        eprintln!(
            "note: {} reads both {}, so it finds each skill twice (the same files); no choice of folders avoids that while the other agents asked for each need one of them",
            agent.as_str(),
            dirs.join(" and ")
        );
    }
    if !args.dry_run {
        let how = match install::kind_for(scope) {
            install::Kind::Symlink => "linked",
            install::Kind::Copy => "copied",
        };
        eprintln!(
            "{how} {} skill{} from {}; restart the agent so it rescans its skills",
            skills.len(),
            if skills.len() == 1 { "" } else { "s" },
            source.display()
        );
        if scope == Scope::Project {
            eprintln!(
                "the copies carry a {} marker; commit them so teammates and CI get the same skills, and run `dstplan install --scope project` again after updating dstplan",
                install::copy::MARKER
            );
        }
    }
    Ok(exit::OK)
}

pub fn run_uninstall(args: UninstallArgs) -> CmdResult {
    let env = Env::from_process()?;
    let mpath = Manifest::path(&env);
    let mut manifest = Manifest::load(&mpath)?;
    let scope: Scope = args.scope.into();
    let actions = install::plan_uninstall(&agents(&args.agent), scope, &env, &manifest);
    if actions.is_empty() {
        eprintln!(
            "nothing to uninstall: {} lists no {} link for that agent and no skills folder of it holds a dstplan copy",
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
    install::apply(actions, scope, manifest, env!("CARGO_PKG_VERSION"))?;
    manifest.save(mpath)?;
    print_out(&out);
    Ok(())
}
