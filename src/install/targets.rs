//! Where each agent discovers skills, and which folders one install writes so that every
//! agent asked for finds each skill once.
//!
//! Several agents read more than one folder (Gemini CLI reads `~/.gemini/skills` and its alias
//! `~/.agents/skills`, and warns about a conflict when both hold the same skill). So an
//! install does not write one folder per agent: it picks the set of folders that serves every
//! requested agent with the fewest duplicates, then the fewest folders, then each agent's own
//! folder where there is a choice.

use std::path::{Path, PathBuf};

use super::{Agent, Scope};

/// The folders `agent` reads skills from at `scope`, relative to the home directory (user)
/// or the project directory (project); the first is the one it is installed into alone.
pub fn reads(agent: Agent, scope: Scope) -> &'static [&'static str] {
    match (scope, agent) {
        (Scope::User, Agent::Claude) => &[".claude/skills"],
        (Scope::User, Agent::Codex) => &[".agents/skills"],
        (Scope::User, Agent::Gemini) => &[".gemini/skills", ".agents/skills"],
        (Scope::User, Agent::Copilot) => &[".copilot/skills", ".agents/skills"],
        (Scope::User, Agent::Cursor) => &[".cursor/skills", ".agents/skills", ".claude/skills"],
        (Scope::Project, Agent::Claude) => &[".claude/skills"],
        (Scope::Project, Agent::Codex) => &[".agents/skills"],
        (Scope::Project, Agent::Gemini) => &[".agents/skills", ".gemini/skills"],
        (Scope::Project, Agent::Copilot) => &[".agents/skills", ".github/skills", ".claude/skills"],
        (Scope::Project, Agent::Cursor) => &[".agents/skills", ".cursor/skills", ".claude/skills"],
    }
}

/// One folder an install writes, and the requested agents it is written for (an agent that
/// reads several chosen folders is counted at the first it reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub dir: PathBuf,
    pub agents: Vec<Agent>,
}

/// The choice of folders for a set of agents, and the agents that still see a skill twice
/// (when no choice avoids it: Cursor reads both folders that Claude and Codex each need).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub targets: Vec<Target>,
    /// `(agent, the folders it will find each skill in)`.
    pub duplicates: Vec<(Agent, Vec<PathBuf>)>,
}

/// Choose the folders to write for `agents` at `scope` under `base`.
pub fn choose(agents: &[Agent], scope: Scope, base: &Path) -> Choice {
    let mut agents: Vec<Agent> = agents.to_vec();
    agents.sort();
    agents.dedup();
    // Candidate folders in a fixed order: each agent's own first, then the shared ones.
    let mut cands: Vec<&'static str> = Vec::new();
    for &a in &agents {
        for d in reads(a, scope) {
            if !cands.contains(d) {
                cands.push(d);
            }
        }
    }
    let n = cands.len();
    let mut best: Option<((usize, usize, usize, u64), u64)> = None;
    for mask in 1u64..(1u64 << n) {
        let chosen = |d: &str| {
            cands
                .iter()
                .position(|c| *c == d)
                .is_some_and(|i| mask >> i & 1 == 1)
        };
        let mut dups = 0;
        let mut not_own = 0;
        let mut covered = true;
        for &a in &agents {
            let seen = reads(a, scope).iter().filter(|d| chosen(d)).count();
            if seen == 0 {
                covered = false;
                break;
            }
            dups += seen - 1;
            if !chosen(reads(a, scope)[0]) {
                not_own += 1;
            }
        }
        if !covered {
            continue;
        }
        let cost = (
            dups,
            mask.count_ones() as usize,
            not_own,
            u64::MAX - mask.reverse_bits(),
        );
        if best.is_none_or(|(c, _)| cost < c) {
            best = Some((cost, mask));
        }
    }
    let mask = best.map_or(0, |(_, m)| m);
    let chosen: Vec<&str> = cands
        .iter()
        .enumerate()
        .filter(|(i, _)| mask >> i & 1 == 1)
        .map(|(_, d)| *d)
        .collect();
    // Each agent is recorded against the first chosen folder it reads, so uninstalling one
    // agent removes the folder it depends on and keeps what others still need.
    let serving = |a: Agent| reads(a, scope).iter().find(|d| chosen.contains(d)).copied();
    let targets = chosen
        .iter()
        .map(|d| Target {
            dir: base.join(d),
            agents: agents
                .iter()
                .copied()
                .filter(|a| serving(*a) == Some(*d))
                .collect(),
        })
        .collect();
    let duplicates = agents
        .iter()
        .filter_map(|&a| {
            let dirs: Vec<PathBuf> = reads(a, scope)
                .iter()
                .filter(|d| chosen.contains(d))
                .map(|d| base.join(d))
                .collect();
            (dirs.len() > 1).then_some((a, dirs))
        })
        .collect();
    Choice {
        targets,
        duplicates,
    }
}

/// Every folder any of `agents` reads at `scope` (where uninstall looks).
pub fn all_read(agents: &[Agent], scope: Scope, base: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for &a in agents {
        for d in reads(a, scope) {
            let p = base.join(d);
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs(c: &Choice) -> Vec<String> {
        c.targets
            .iter()
            .map(|t| t.dir.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn one_agent_gets_its_own_folder() {
        for a in Agent::ALL {
            let c = choose(&[a], Scope::User, Path::new("~"));
            assert_eq!(dirs(&c), vec![format!("~/{}", reads(a, Scope::User)[0])]);
            assert!(c.duplicates.is_empty());
        }
    }

    #[test]
    fn gemini_and_codex_share_the_agents_folder() {
        let c = choose(&[Agent::Codex, Agent::Gemini], Scope::User, Path::new("~"));
        assert_eq!(dirs(&c), vec!["~/.agents/skills"]);
        assert_eq!(c.targets[0].agents, vec![Agent::Codex, Agent::Gemini]);
        assert!(c.duplicates.is_empty());
    }

    #[test]
    fn all_agents_write_two_folders_and_report_the_unavoidable_duplicate() {
        let c = choose(&Agent::ALL, Scope::User, Path::new("~"));
        assert_eq!(dirs(&c), vec!["~/.claude/skills", "~/.agents/skills"]);
        // every agent is served by exactly one folder; only Cursor (which reads both) sees
        // the skills twice
        for a in Agent::ALL {
            assert_eq!(
                c.targets.iter().filter(|t| t.agents.contains(&a)).count(),
                1,
                "{a:?}"
            );
        }
        assert_eq!(c.targets[0].agents, vec![Agent::Claude]);
        assert_eq!(c.duplicates.len(), 1);
        assert_eq!(c.duplicates[0].0, Agent::Cursor);
        let p = choose(&Agent::ALL, Scope::Project, Path::new("."));
        assert_eq!(dirs(&p), vec!["./.claude/skills", "./.agents/skills"]);
    }
}
