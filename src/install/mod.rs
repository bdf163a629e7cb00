//! Wiring the skills into coding agents (`dstplan install` / `dstplan uninstall`).
//!
//! Each skill directory is symlinked (copied where symlinks are unavailable) into the folder
//! where an agent discovers skills. The work is done in two steps: [`plan_install`] and
//! [`plan_uninstall`] look at the disk and compute a list of [`Action`]s (nothing is touched, so
//! `--dry-run` prints exactly that list); [`apply`] carries them out. A manifest
//! (`installed.json` in the state directory) records every link or copy this tool created,
//! so uninstall removes only its own, and a path that something else put there is never
//! replaced: the plan refuses with a [`Conflict`] that says what is there and how to resolve it.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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

    /// Where this agent looks for skills, relative to the home directory (user scope) or to
    /// the project directory (project scope).
    pub fn skills_dir(self, scope: Scope) -> &'static str {
        match (scope, self) {
            (Scope::User, Agent::Claude) => ".claude/skills",
            (Scope::User, Agent::Codex) => ".agents/skills",
            (Scope::User, Agent::Gemini) => ".gemini/skills",
            (Scope::User, Agent::Copilot) => ".copilot/skills",
            (Scope::User, Agent::Cursor) => ".cursor/skills",
            (Scope::Project, Agent::Claude) => ".claude/skills",
            (Scope::Project, _) => ".agents/skills",
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
    pub fn load(path: &Path) -> Result<Manifest, String> {
        match fs::read_to_string(path) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| {
                format!(
                    "{}: the install manifest is not valid ({e}); fix or delete it (it only lists links dstplan created)",
                    path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest {
                version: 1,
                entries: Vec::new(),
            }),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Write the manifest atomically.
    pub fn save(&self, path: &Path) -> Result<(), crate::fsx::WriteError> {
        let mut text = serde_json::to_string_pretty(self).expect("manifest serialises");
        text.push('\n');
        crate::fsx::write(path, text.as_bytes(), crate::fsx::Overwrite::Allow)
    }

    fn find(&self, path: &Path) -> Option<&Entry> {
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
    pub fn from_process() -> Result<Env, String> {
        let home = std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .ok_or("no home directory: set HOME to the directory where the agents keep their configuration")?;
        let cwd = std::env::current_dir()
            .map_err(|e| format!("cannot read the current directory: {e}"))?;
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
}

/// Find the skills source: `--skills-dir`, then `$DSTPLAN_HOME/skills`, then
/// `~/.local/share/dstplan/skills`, then `./skills`. The first that exists is used; an explicit
/// `--skills-dir` that does not exist is an error rather than a fallback.
pub fn find_skills_source(explicit: Option<&Path>, env: &Env) -> Result<PathBuf, String> {
    if let Some(d) = explicit {
        let d = if d.is_absolute() {
            d.to_path_buf()
        } else {
            env.cwd.join(d)
        };
        if !d.is_dir() {
            return Err(format!(
                "--skills-dir {} is not a directory; pass the `skills/` directory of a dstplan checkout",
                d.display()
            ));
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
    Err(format!(
        "no skills directory found (tried {}); clone dstplan to ~/.local/share/dstplan (see INSTALL.md) or pass --skills-dir DIR",
        tried.join(", ")
    ))
}

fn canonical(p: &Path) -> Result<PathBuf, String> {
    p.canonicalize()
        .map_err(|e| format!("cannot resolve {}: {e}", p.display()))
}

/// The skills in a source directory: `(name, absolute dir)` for each subdirectory with a
/// `SKILL.md`, sorted.
pub fn list_skills(source: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let dirs = crate::skills::discover(source).map_err(|e| e.message)?;
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

/// One step of an install or uninstall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create a link (or copy) at `path` to `source`.
    Create {
        path: PathBuf,
        source: PathBuf,
        agents: Vec<Agent>,
        skill: String,
    },
    /// Replace a link this tool created that points at an old source.
    Update {
        path: PathBuf,
        source: PathBuf,
        agents: Vec<Agent>,
        skill: String,
    },
    /// The right link is already there.
    Unchanged {
        path: PathBuf,
        agents: Vec<Agent>,
        recorded: bool,
    },
    /// Remove a link (or copy) this tool created.
    Remove { path: PathBuf },
    /// Forget a manifest entry whose path is already gone.
    Forget { path: PathBuf },
    /// Leave a path alone: it no longer is what this tool created.
    Keep { path: PathBuf, why: String },
}

impl Action {
    /// One line describing the action (`dry` for `--dry-run`).
    pub fn describe(&self, dry: bool) -> String {
        let w = |now: &str, would: &str| {
            if dry {
                would.to_string()
            } else {
                now.to_string()
            }
        };
        match self {
            Action::Create {
                path,
                source,
                agents,
                ..
            } => format!(
                "{} {} -> {} ({})",
                w("created", "would create"),
                path.display(),
                source.display(),
                names(agents)
            ),
            Action::Update {
                path,
                source,
                agents,
                ..
            } => format!(
                "{} {} -> {} ({})",
                w("updated", "would update"),
                path.display(),
                source.display(),
                names(agents)
            ),
            Action::Unchanged {
                path,
                agents,
                recorded,
            } => format!(
                "unchanged {} ({}){}",
                path.display(),
                names(agents),
                if *recorded {
                    ""
                } else {
                    "; it was not created by dstplan, so uninstall will leave it"
                }
            ),
            Action::Remove { path } => {
                format!("{} {}", w("removed", "would remove"), path.display())
            }
            Action::Forget { path } => format!(
                "{} {} (already gone)",
                w("forgot", "would forget"),
                path.display()
            ),
            Action::Keep { path, why } => format!("left {} alone: {why}", path.display()),
        }
    }
}

fn names(agents: &[Agent]) -> String {
    agents
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A path that is in the way: something this tool did not create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub path: PathBuf,
    pub what: String,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} already exists and was not created by dstplan ({}); dstplan will not replace it. Move or remove it yourself (for example `mv {} {}.bak`), then run the command again",
            self.path.display(),
            self.what,
            self.path.display(),
            self.path.display()
        )
    }
}

/// What is at `path`, in words, for a conflict message.
fn describe_existing(path: &Path) -> String {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => match fs::read_link(path) {
            Ok(t) => format!("a symlink to {}", t.display()),
            Err(_) => "a symlink".into(),
        },
        Ok(m) if m.is_dir() => "a directory".into(),
        Ok(_) => "a file".into(),
        Err(_) => "something unreadable".into(),
    }
}

/// Whether `path` is a symlink that resolves to `source`.
fn links_to(path: &Path, source: &Path) -> bool {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            let Ok(t) = fs::read_link(path) else {
                return false;
            };
            let t = if t.is_absolute() {
                t
            } else {
                path.parent().unwrap_or(Path::new(".")).join(t)
            };
            t == source
                || t.canonicalize()
                    .ok()
                    .zip(source.canonicalize().ok())
                    .is_some_and(|(a, b)| a == b)
        }
        _ => false,
    }
}

/// Compute the install actions. Refuses (returns every conflict) when any target path holds
/// something this tool did not create.
pub fn plan_install(
    agents: &[Agent],
    scope: Scope,
    skills: &[(String, PathBuf)],
    env: &Env,
    manifest: &Manifest,
) -> Result<Vec<Action>, Vec<Conflict>> {
    let base = match scope {
        Scope::User => &env.home,
        Scope::Project => &env.cwd,
    };
    // Group agents by target directory: several share `.agents/skills` at project scope.
    let mut dirs: Vec<(PathBuf, Vec<Agent>)> = Vec::new();
    for &a in agents {
        let d = base.join(a.skills_dir(scope));
        match dirs.iter_mut().find(|(p, _)| *p == d) {
            Some((_, v)) => v.push(a),
            None => dirs.push((d, vec![a])),
        }
    }
    let mut actions = Vec::new();
    let mut conflicts = Vec::new();
    for (dir, agents) in dirs {
        for (name, source) in skills {
            let path = dir.join(name);
            let recorded = manifest.find(&path);
            let exists = fs::symlink_metadata(&path).is_ok();
            if !exists {
                actions.push(Action::Create {
                    path,
                    source: source.clone(),
                    agents: agents.clone(),
                    skill: name.clone(),
                });
            } else if links_to(&path, source) {
                actions.push(Action::Unchanged {
                    path,
                    agents: agents.clone(),
                    recorded: recorded.is_some(),
                });
            } else if recorded.is_some_and(still_ours) {
                // Ours, but pointing at an old source (the checkout moved): re-point it.
                actions.push(Action::Update {
                    path,
                    source: source.clone(),
                    agents: agents.clone(),
                    skill: name.clone(),
                });
            } else {
                conflicts.push(Conflict {
                    what: describe_existing(&path),
                    path,
                });
            }
        }
    }
    if conflicts.is_empty() {
        Ok(actions)
    } else {
        Err(conflicts)
    }
}

/// Whether a recorded entry's path is still what this tool created: a symlink to the recorded
/// source, or (copies) a directory holding a SKILL.md.
fn still_ours(e: &Entry) -> bool {
    match e.kind {
        Kind::Symlink => links_to(&e.path, &e.source),
        Kind::Copy => e.path.join("SKILL.md").is_file(),
    }
}

/// Compute the uninstall actions for the given agents and scope (only manifest entries).
pub fn plan_uninstall(agents: &[Agent], scope: Scope, manifest: &Manifest) -> Vec<Action> {
    let mut actions = Vec::new();
    for e in &manifest.entries {
        if e.scope != scope || !e.agents.iter().any(|a| agents.contains(a)) {
            continue;
        }
        // A shared path stays while another agent still uses it.
        if e.agents.iter().any(|a| !agents.contains(a)) {
            continue;
        }
        if fs::symlink_metadata(&e.path).is_err() {
            actions.push(Action::Forget {
                path: e.path.clone(),
            });
        } else if still_ours(e) {
            actions.push(Action::Remove {
                path: e.path.clone(),
            });
        } else {
            actions.push(Action::Keep {
                path: e.path.clone(),
                why: format!(
                    "it is now {}, not what dstplan created; remove it yourself if you no longer need it",
                    describe_existing(&e.path)
                ),
            });
        }
    }
    actions
}

/// Carry out the actions and update the manifest in memory (the caller saves it). Stops at the
/// first I/O error, returning it; the manifest then reflects what was done so far.
pub fn apply(
    actions: &[Action],
    scope: Scope,
    manifest: &mut Manifest,
    version: &str,
) -> Result<(), String> {
    for a in actions {
        match a {
            Action::Create {
                path,
                source,
                agents,
                skill,
            }
            | Action::Update {
                path,
                source,
                agents,
                skill,
            } => {
                if matches!(a, Action::Update { .. }) {
                    remove_ours(path)?;
                }
                if let Some(parent) = path.parent() {
                    fs::create_dir_all(parent)
                        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
                }
                let kind = link_or_copy(source, path)?;
                manifest.entries.retain(|e| e.path != *path);
                manifest.entries.push(Entry {
                    agents: agents.clone(),
                    scope,
                    path: path.clone(),
                    source: source.clone(),
                    kind,
                    skill: skill.clone(),
                    dstplan_version: version.to_string(),
                });
            }
            Action::Unchanged { path, agents, .. } => {
                // Record agents that now share a recorded path.
                if let Some(e) = manifest.entries.iter_mut().find(|e| e.path == *path) {
                    for ag in agents {
                        if !e.agents.contains(ag) {
                            e.agents.push(*ag);
                        }
                    }
                    e.agents.sort();
                }
            }
            Action::Remove { path } => {
                remove_ours(path)?;
                manifest.entries.retain(|e| e.path != *path);
            }
            Action::Forget { path } | Action::Keep { path, .. } => {
                manifest.entries.retain(|e| e.path != *path);
            }
        }
    }
    Ok(())
}

fn remove_ours(path: &Path) -> Result<(), String> {
    let m =
        fs::symlink_metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let r = if m.file_type().is_symlink() {
        fs::remove_file(path).or_else(|_| fs::remove_dir(path))
    } else if m.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    r.map_err(|e| format!("cannot remove {}: {e}", path.display()))
}

#[cfg(unix)]
fn link_or_copy(source: &Path, path: &Path) -> Result<Kind, String> {
    std::os::unix::fs::symlink(source, path).map_err(|e| {
        format!(
            "cannot link {} -> {}: {e}",
            path.display(),
            source.display()
        )
    })?;
    Ok(Kind::Symlink)
}

#[cfg(not(unix))]
fn link_or_copy(source: &Path, path: &Path) -> Result<Kind, String> {
    // Symlinks need special rights on Windows: copy the directory and record it as a copy.
    copy_dir(source, path)?;
    Ok(Kind::Copy)
}

#[cfg(not(unix))]
fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let rel = entry.path().strip_prefix(from).unwrap_or(entry.path());
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&dest)
                .map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
        } else {
            fs::copy(entry.path(), &dest)
                .map_err(|e| format!("cannot copy to {}: {e}", dest.display()))?;
        }
    }
    Ok(())
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, Env, Vec<(String, PathBuf)>) {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().canonicalize().unwrap();
        let src = root.join("repo/skills");
        for s in ["one-skill", "two-skill"] {
            fs::create_dir_all(src.join(s)).unwrap();
            fs::write(
                src.join(s).join("SKILL.md"),
                format!("---\nname: {s}\ndescription: d\nmetadata: {{version: \"9.9.9\"}}\n---\n"),
            )
            .unwrap();
        }
        let env = Env {
            home: root.join("home"),
            cwd: root.join("proj"),
            state_home: None,
            dstplan_home: None,
        };
        fs::create_dir_all(&env.home).unwrap();
        fs::create_dir_all(&env.cwd).unwrap();
        let skills = list_skills(&src).unwrap();
        (t, env, skills)
    }

    #[test]
    fn install_is_idempotent_and_uninstall_removes_only_its_links() {
        let (_t, env, skills) = setup();
        let mut m = Manifest::default();
        let acts = plan_install(&[Agent::Claude], Scope::User, &skills, &env, &m).unwrap();
        assert!(matches!(acts[0], Action::Create { .. }));
        apply(&acts, Scope::User, &mut m, "9.9.9").unwrap();
        let link = env.home.join(".claude/skills/one-skill");
        assert!(links_to(&link, &skills[0].1));
        let again = plan_install(&[Agent::Claude], Scope::User, &skills, &env, &m).unwrap();
        assert!(again
            .iter()
            .all(|a| matches!(a, Action::Unchanged { recorded: true, .. })));
        assert!(stale_installed(&m, "9.9.9").is_empty());
        assert_eq!(stale_installed(&m, "1.0.0").len(), 2);
        let un = plan_uninstall(&[Agent::Claude], Scope::User, &m);
        assert_eq!(un.len(), 2);
        apply(&un, Scope::User, &mut m, "9.9.9").unwrap();
        assert!(fs::symlink_metadata(&link).is_err());
        assert!(m.entries.is_empty());
        assert!(
            skills[0].1.join("SKILL.md").is_file(),
            "the source is untouched"
        );
    }

    #[test]
    fn a_link_it_created_is_repointed_when_the_source_moves() {
        let (t, env, skills) = setup();
        let mut m = Manifest::default();
        let acts = plan_install(&[Agent::Gemini], Scope::User, &skills, &env, &m).unwrap();
        apply(&acts, Scope::User, &mut m, "9.9.9").unwrap();
        // a second checkout elsewhere
        let moved = t.path().canonicalize().unwrap().join("moved/skills");
        for (name, _) in &skills {
            fs::create_dir_all(moved.join(name)).unwrap();
            fs::write(moved.join(name).join("SKILL.md"), "x").unwrap();
        }
        let moved_skills = list_skills(&moved).unwrap();
        let acts = plan_install(&[Agent::Gemini], Scope::User, &moved_skills, &env, &m).unwrap();
        assert!(
            acts.iter().all(|a| matches!(a, Action::Update { .. })),
            "{acts:?}"
        );
        apply(&acts, Scope::User, &mut m, "9.9.9").unwrap();
        let link = env.home.join(".gemini/skills").join(&skills[0].0);
        assert!(links_to(&link, &moved_skills[0].1));
        assert_eq!(m.entries.len(), 2);
        assert!(m.entries.iter().all(|e| e.source.starts_with(&moved)));
    }

    #[test]
    fn a_foreign_path_is_a_conflict_and_nothing_is_planned() {
        let (_t, env, skills) = setup();
        let foreign = env.home.join(".gemini/skills/two-skill");
        fs::create_dir_all(&foreign).unwrap();
        let err = plan_install(
            &Agent::ALL,
            Scope::User,
            &skills,
            &env,
            &Manifest::default(),
        )
        .unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].path, foreign);
        assert!(err[0].to_string().contains("a directory"));
    }

    #[test]
    fn project_scope_shares_the_agents_dir() {
        let (_t, env, skills) = setup();
        let acts = plan_install(
            &Agent::ALL,
            Scope::Project,
            &skills,
            &env,
            &Manifest::default(),
        )
        .unwrap();
        // .claude/skills and .agents/skills, two skills each
        assert_eq!(acts.len(), 4);
        let mut m = Manifest::default();
        apply(&acts, Scope::Project, &mut m, "9.9.9").unwrap();
        let shared = m
            .entries
            .iter()
            .find(|e| e.path.starts_with(env.cwd.join(".agents")))
            .unwrap();
        assert_eq!(shared.agents.len(), 4);
        // uninstalling codex alone keeps the shared link for the others
        assert!(plan_uninstall(&[Agent::Codex], Scope::Project, &m)
            .iter()
            .all(|a| !matches!(a, Action::Remove { path } if path.starts_with(env.cwd.join(".agents")))));
    }

    #[test]
    fn skills_source_order() {
        let (_t, mut env, _skills) = setup();
        assert!(find_skills_source(None, &env).is_err());
        let share = env.home.join(".local/share/dstplan/skills");
        fs::create_dir_all(&share).unwrap();
        assert_eq!(find_skills_source(None, &env).unwrap(), share);
        let dh = env.home.join("dh");
        fs::create_dir_all(dh.join("skills")).unwrap();
        env.dstplan_home = Some(dh.clone());
        assert_eq!(find_skills_source(None, &env).unwrap(), dh.join("skills"));
        assert!(find_skills_source(Some(Path::new("/nonexistent/x")), &env).is_err());
    }
}
