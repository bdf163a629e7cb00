//! Wiring the skills into coding agents (`dstplan install` / `dstplan uninstall`).
//!
//! For the user, each skill directory is symlinked into the folder where an agent discovers
//! skills; for a project it is copied (with a marker file, [`copy`]), so the copies can be
//! committed and work for every teammate and in CI. [`targets`] picks the folders: one per
//! discovery path the requested agents share, so no agent finds a skill twice where that can
//! be avoided. The work is done in two steps: [`plan_install`] and [`plan_uninstall`] look at
//! the disk and compute a list of [`Action`]s (nothing is touched, so `--dry-run` prints
//! exactly that list); [`apply`] carries them out, undoing its own steps if one fails. A
//! manifest (`installed.json` in the state directory) records every link or copy this tool
//! created; uninstall removes only what is provably ours, and a path that something else put
//! there is never replaced: the plan refuses with a [`Conflict`] that says what is there.

pub mod apply;
pub mod copy;
pub mod plan;
pub mod targets;

pub use apply::apply;
pub use plan::{kind_for, plan_install, plan_uninstall, Action, Conflict, InstallPlan};

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// A coding agent that discovers skills in a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Agent {
    Claude,
    Codex,
    Gemini,
    Copilot,
    Cursor,
}

impl Agent {
    /// Every agent, in a fixed order.
    pub const ALL: [Agent; 5] = [
        Agent::Claude,
        Agent::Codex,
        Agent::Gemini,
        Agent::Copilot,
        Agent::Cursor,
    ];

    /// The lower-case name used on the command line and in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Agent::Claude => "claude",
            Agent::Codex => "codex",
            Agent::Gemini => "gemini",
            Agent::Copilot => "copilot",
            Agent::Cursor => "cursor",
        }
    }
}

/// Install for the user (home directory) or for one project (current directory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    User,
    Project,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::Project => "project",
        }
    }
}

/// How an installed skill is materialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Symlink,
    Copy,
}

/// One thing `dstplan install` created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The agents this path serves (several agents share `.agents/skills` at project scope).
    pub agents: Vec<Agent>,
    pub scope: Scope,
    /// The link (or copied directory), absolute.
    pub path: PathBuf,
    /// The skill directory it points to (or was copied from), absolute.
    pub source: PathBuf,
    pub kind: Kind,
    /// The skill's name.
    pub skill: String,
    /// The dstplan version that created it.
    pub dstplan_version: String,
}

/// The record of everything `dstplan install` created.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub entries: Vec<Entry>,
}

impl Manifest {
    /// The manifest's location: `$XDG_STATE_HOME/dstplan/installed.json`, default
    /// `~/.local/state/dstplan/installed.json`. It is kept out of the skills checkout on
    /// purpose, so the checkout never shows local changes.
    pub fn path(env: &Env) -> PathBuf {
        match &env.state_home {
            Some(s) => s.join("dstplan/installed.json"),
            None => env.home.join(".local/state/dstplan/installed.json"),
        }
    }

    /// Read the manifest; a missing file is an empty manifest.
    pub fn load(path: &Path) -> Result<Manifest, Error> {
        match fs::read_to_string(path) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| {
                Error::at_path(
                    path,
                    Some(e.line()),
                    format!("the install manifest is not valid ({e}); fix or delete it (it only lists links dstplan created)"),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest {
                version: 1,
                entries: Vec::new(),
            }),
            Err(e) => Err(Error::at_path(path, None, format!("cannot read: {e}"))),
        }
    }

    /// Write the manifest atomically.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let mut text = serde_json::to_string_pretty(self).expect("manifest serialises");
        text.push('\n');
        crate::fsx::write(path, text.as_bytes(), crate::fsx::Overwrite::Allow)?;
        Ok(())
    }

    pub fn find(&self, path: &Path) -> Option<&Entry> {
        self.entries.iter().find(|e| e.path == path)
    }
}

/// The parts of the environment install depends on (passed in, so tests can set them).
#[derive(Debug, Clone)]
pub struct Env {
    pub home: PathBuf,
    pub cwd: PathBuf,
    pub state_home: Option<PathBuf>,
    pub dstplan_home: Option<PathBuf>,
}

impl Env {
    /// Read the process environment. Fails when no home directory is known.
    pub fn from_process() -> Result<Env, Error> {
        let home = std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .ok_or_else(|| Error::environment("no home directory: set HOME to the directory where the agents keep their configuration"))?;
        let cwd = std::env::current_dir()
            .map_err(|e| Error::environment(format!("cannot read the current directory: {e}")))?;
        let nonempty = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Ok(Env {
            home,
            cwd,
            state_home: nonempty("XDG_STATE_HOME"),
            dstplan_home: nonempty("DSTPLAN_HOME"),
        })
    }

    /// The directory the agents' folders are relative to: home (user) or the project.
    pub fn base(&self, scope: Scope) -> &Path {
        match scope {
            Scope::User => &self.home,
            Scope::Project => &self.cwd,
        }
    }
}

/// Find the skills source: `--skills-dir`, then `$DSTPLAN_HOME/skills`, then
/// `~/.local/share/dstplan/skills`, then `./skills`. The first that exists is used; an explicit
/// `--skills-dir` that does not exist is an error rather than a fallback.
pub fn find_skills_source(explicit: Option<&Path>, env: &Env) -> Result<PathBuf, Error> {
    if let Some(d) = explicit {
        let d = if d.is_absolute() {
            d.to_path_buf()
        } else {
            env.cwd.join(d)
        };
        if !d.is_dir() {
            return Err(Error::new(format!(
                "--skills-dir {} is not a directory; pass the `skills/` directory of a dstplan checkout",
                d.display()
            )));
        }
        return canonical(&d);
    }
    let mut tried = Vec::new();
    let mut candidates = Vec::new();
    if let Some(h) = &env.dstplan_home {
        candidates.push(h.join("skills"));
    }
    candidates.push(env.home.join(".local/share/dstplan/skills"));
    candidates.push(env.cwd.join("skills"));
    for c in candidates {
        if c.is_dir() {
            return canonical(&c);
        }
        tried.push(c.display().to_string());
    }
    Err(Error::new(format!(
        "no skills directory found (tried {}); clone dstplan to ~/.local/share/dstplan (see INSTALL.md) or pass --skills-dir DIR",
        tried.join(", ")
    )))
}

fn canonical(p: &Path) -> Result<PathBuf, Error> {
    p.canonicalize()
        .map_err(|e| Error::at_path(p, None, format!("cannot resolve: {e}")))
}

/// The skills in a source directory: `(name, absolute dir)` for each subdirectory with a
/// `SKILL.md`, sorted.
pub fn list_skills(source: &Path) -> Result<Vec<(String, PathBuf)>, Error> {
    let dirs =
        crate::skills::discover(source).map_err(|e| Error::at_path(source, None, e.message))?;
    Ok(dirs
        .into_iter()
        .map(|d| {
            let name = d
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, d)
        })
        .collect())
}

/// Installed skills whose `metadata.version` differs from `version`: `(path, their version)`.
pub fn stale_installed(manifest: &Manifest, version: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for e in &manifest.entries {
        let fm = crate::skills::read_frontmatter(&e.path.join("SKILL.md"));
        let v = fm.and_then(|f| f.version);
        match v {
            Some(v) if v == version => {}
            Some(v) => out.push((e.path.clone(), v)),
            None => {
                if fs::symlink_metadata(&e.path).is_ok() {
                    out.push((e.path.clone(), "unknown".into()));
                }
            }
        }
    }
    out
}
