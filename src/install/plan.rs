//! Computing what install and uninstall would do, from what is on disk; nothing is touched.
//!
//! Every target path is checked before anything is planned, and the plan is refused as a
//! whole when any path (or a folder on the way to it) is in the way, so an install either
//! does everything or nothing. Uninstall removes only what is provably ours: a path directly
//! inside a skills folder that one of the agents reads, which is either a symlink recorded in
//! the manifest that still points where it was made to, or a copy whose marker matches it.

use std::fs;
use std::path::{Path, PathBuf};

use super::copy::{self, State};
use super::targets::{self, Choice};
use super::{Agent, Env, Kind, Manifest, Scope};

/// One step of an install or uninstall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create a link or copy at `path` of `source`.
    Create {
        path: PathBuf,
        source: PathBuf,
        agents: Vec<Agent>,
        skill: String,
        kind: Kind,
    },
    /// Replace a link or copy this tool made (old source, old version, other agents).
    Update {
        path: PathBuf,
        source: PathBuf,
        agents: Vec<Agent>,
        skill: String,
        kind: Kind,
    },
    /// The right link or copy is already there.
    Unchanged {
        path: PathBuf,
        source: PathBuf,
        agents: Vec<Agent>,
        skill: String,
        kind: Kind,
        /// Whether it is provably ours (recorded link, or a copy with our marker).
        recorded: bool,
    },
    /// Remove a link or copy this tool made.
    Remove { path: PathBuf, kind: Kind },
    /// Forget a manifest entry whose path is already gone.
    Forget { path: PathBuf },
    /// Leave a path alone: it is not (or no longer) what this tool made.
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
        let how = |k: &Kind| match k {
            Kind::Symlink => "->",
            Kind::Copy => "<- copy of",
        };
        match self {
            Action::Create {
                path,
                source,
                agents,
                kind,
                ..
            }
            | Action::Update {
                path,
                source,
                agents,
                kind,
                ..
            } => {
                let verb = if matches!(self, Action::Create { .. }) {
                    w("created", "would create")
                } else {
                    w("updated", "would update")
                };
                format!(
                    "{verb} {} {} {} ({})",
                    path.display(),
                    how(kind),
                    source.display(),
                    names(agents)
                )
            }
            Action::Unchanged {
                path,
                agents,
                recorded,
                ..
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
            Action::Remove { path, .. } => {
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

pub(super) fn names(agents: &[Agent]) -> String {
    agents
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A path that is in the way: something this tool did not create, or a file where a folder
/// must be.
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
pub(super) fn describe_existing(path: &Path) -> String {
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
pub(super) fn links_to(path: &Path, source: &Path) -> bool {
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

/// The first folder on the way from `base` to `dir` (inclusive) that exists but is not a
/// directory: installing would fail there after other steps were done.
fn blocker(dir: &Path, base: &Path) -> Option<Conflict> {
    let mut p = dir;
    let mut chain = Vec::new();
    loop {
        chain.push(p);
        if p == base {
            break;
        }
        match p.parent() {
            Some(parent) if p.starts_with(base) => p = parent,
            _ => break,
        }
    }
    for p in chain.into_iter().rev() {
        match fs::metadata(p) {
            Ok(m) if m.is_dir() => continue,
            Ok(_) => {
                return Some(Conflict {
                    path: p.to_path_buf(),
                    what: format!(
                        "{} where a folder must be, on the way to {}",
                        describe_existing(p),
                        dir.display()
                    ),
                })
            }
            Err(_) if fs::symlink_metadata(p).is_ok() => {
                return Some(Conflict {
                    path: p.to_path_buf(),
                    what: format!("{} that leads nowhere", describe_existing(p)),
                })
            }
            Err(_) => return None,
        }
    }
    None
}

/// How skills are materialised at a scope: copies in a project (so they can be committed
/// and work for every teammate), symlinks for the user where the platform has them.
pub fn kind_for(scope: Scope) -> Kind {
    match scope {
        Scope::Project => Kind::Copy,
        Scope::User if cfg!(unix) => Kind::Symlink,
        Scope::User => Kind::Copy,
    }
}

/// What an install will do: the actions, and the agents that will still see a skill twice.
#[derive(Debug, Clone)]
pub struct InstallPlan {
    pub actions: Vec<Action>,
    pub duplicates: Vec<(Agent, Vec<PathBuf>)>,
    /// Agents not asked for this time whose earlier install sits in another folder while they
    /// also read one written now: `(agent, the earlier folder, the folder written now)`.
    pub earlier: Vec<(Agent, PathBuf, PathBuf)>,
}

/// Compute the install actions. Refuses (returns every conflict) when any target path, or a
/// folder on the way to one, holds something this tool did not create.
pub fn plan_install(
    agents: &[Agent],
    scope: Scope,
    skills: &[(String, PathBuf)],
    env: &Env,
    manifest: &Manifest,
    version: &str,
) -> Result<InstallPlan, Vec<Conflict>> {
    let base = env.base(scope);
    let Choice {
        targets,
        duplicates,
    } = targets::choose(agents, scope, base);
    let kind = kind_for(scope);
    let mut actions = Vec::new();
    let mut conflicts = Vec::new();
    let targets_written: Vec<PathBuf> = targets.iter().map(|t| t.dir.clone()).collect();
    for t in targets {
        if let Some(c) = blocker(&t.dir, base) {
            conflicts.push(c);
            continue;
        }
        for (name, source) in skills {
            let path = t.dir.join(name);
            let recorded = manifest.find(&path);
            let recorded_link =
                recorded.is_some_and(|e| e.kind == Kind::Symlink && links_to(&e.path, &e.source));
            if fs::symlink_metadata(&path).is_err() {
                actions.push(Action::Create {
                    path,
                    source: source.clone(),
                    agents: t.agents.clone(),
                    skill: name.clone(),
                    kind,
                });
                continue;
            }
            let state = copy::state(&path);
            let unchanged = match (&state, kind) {
                (_, Kind::Symlink) => links_to(&path, source).then_some(recorded.is_some()),
                (State::Pristine(m), Kind::Copy) => (copy::same_files(m, source)
                    && m.dstplan_version == version
                    && m.agents == t.agents)
                    .then_some(true),
                _ => None,
            };
            if let Some(rec) = unchanged {
                actions.push(Action::Unchanged {
                    path,
                    source: source.clone(),
                    agents: t.agents.clone(),
                    skill: name.clone(),
                    kind,
                    recorded: rec,
                });
            } else if recorded_link || matches!(state, State::Pristine(_)) {
                actions.push(Action::Update {
                    path,
                    source: source.clone(),
                    agents: t.agents.clone(),
                    skill: name.clone(),
                    kind,
                });
            } else if let State::Edited(_, what) = state {
                conflicts.push(Conflict {
                    what: format!("a copy dstplan made, changed since: {}", what.join(", ")),
                    path,
                });
            } else {
                conflicts.push(Conflict {
                    what: describe_existing(&path),
                    path,
                });
            }
        }
    }
    let mut earlier = Vec::new();
    for a in Agent::ALL.iter().filter(|a| !agents.contains(a)) {
        let reads: Vec<PathBuf> = targets::reads(*a, scope)
            .iter()
            .map(|d| base.join(d))
            .collect();
        for e in manifest
            .entries
            .iter()
            .filter(|e| e.scope == scope && e.agents.contains(a))
        {
            let Some(old) = e.path.parent() else { continue };
            for t in &targets_written {
                if *t != old && reads.contains(t) && fs::symlink_metadata(&e.path).is_ok() {
                    let note = (*a, old.to_path_buf(), t.clone());
                    if !earlier.contains(&note) {
                        earlier.push(note);
                    }
                }
            }
        }
    }
    if conflicts.is_empty() {
        Ok(InstallPlan {
            actions,
            duplicates,
            earlier,
        })
    } else {
        Err(conflicts)
    }
}

/// Compute the uninstall actions for the given agents and scope: recorded links and marked
/// copies inside the skills folders those agents read, and nothing else.
pub fn plan_uninstall(
    agents: &[Agent],
    scope: Scope,
    env: &Env,
    manifest: &Manifest,
) -> Vec<Action> {
    let folders = targets::all_read(agents, scope, env.base(scope));
    // Candidates: manifest entries for these agents, then marked copies found in the folders.
    let mut cands: Vec<(PathBuf, Option<&super::Entry>)> = Vec::new();
    for e in &manifest.entries {
        if e.scope == scope && e.agents.iter().any(|a| agents.contains(a)) {
            cands.push((e.path.clone(), Some(e)));
        }
    }
    for f in &folders {
        let Ok(rd) = fs::read_dir(f) else { continue };
        let mut found: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        found.sort();
        for p in found {
            let real_dir = fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir());
            if real_dir && !cands.iter().any(|(c, _)| *c == p) && p.join(copy::MARKER).is_file() {
                cands.push((p, None));
            }
        }
    }
    let mut actions = Vec::new();
    for (path, entry) in cands {
        let inside = path
            .parent()
            .is_some_and(|p| folders.iter().any(|f| f == p));
        if !inside {
            actions.push(Action::Keep {
                why: format!(
                    "it is not directly inside a skills folder of {} ({}), so it is not something \
                     dstplan installed there (was the manifest edited?); dstplan forgets the entry \
                     and leaves the path",
                    names(agents),
                    folders
                        .iter()
                        .map(|f| f.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                path,
            });
            continue;
        }
        let meta = fs::symlink_metadata(&path);
        if meta.is_err() {
            actions.push(Action::Forget { path });
            continue;
        }
        let state = copy::state(&path);
        let users: Vec<Agent> = match (&state, entry) {
            (State::Pristine(m) | State::Edited(m, _), _) => m.agents.clone(),
            (State::Foreign, Some(e)) => e.agents.clone(),
            (State::Foreign, None) => Vec::new(),
        };
        // A shared path stays while another agent still uses it.
        if users.iter().any(|a| !agents.contains(a)) {
            continue;
        }
        let is_link = meta.is_ok_and(|m| m.file_type().is_symlink());
        let action = match state {
            _ if is_link => match entry {
                Some(e) if e.kind == Kind::Symlink && links_to(&path, &e.source) => {
                    Action::Remove {
                        path,
                        kind: Kind::Symlink,
                    }
                }
                _ => Action::Keep {
                    why: format!(
                        "it is now {}, not the link dstplan created; remove it yourself if you \
                         no longer need it",
                        describe_existing(&path)
                    ),
                    path,
                },
            },
            State::Pristine(_) => Action::Remove {
                path,
                kind: Kind::Copy,
            },
            State::Edited(_, what) => Action::Keep {
                why: format!(
                    "it was changed since dstplan copied it ({}); remove it yourself if you no \
                     longer need it",
                    what.join(", ")
                ),
                path,
            },
            State::Foreign => Action::Keep {
                why: format!(
                    "it is {} without dstplan's marker ({}), so it is not provably ours",
                    describe_existing(&path),
                    copy::MARKER
                ),
                path,
            },
        };
        actions.push(action);
    }
    actions
}
