//! Carrying out an install or uninstall plan, and undoing it when a step fails.

use std::fs;
use std::path::{Path, PathBuf};

use super::copy;
use super::plan::{links_to, Action};
use super::{Agent, Entry, Kind, Manifest, Scope};
use crate::error::Error;

/// What one step changed, so a later failure can undo it.
enum Done {
    Made(PathBuf, Kind),
    Replaced {
        path: PathBuf,
        kind: Kind,
        old: PathBuf,
    },
}

/// Carry out the actions and update the manifest in memory (the caller saves it). When a
/// step fails, the steps before it are undone (created paths removed, replaced ones put back)
/// and the manifest is left as it was; the error says what failed.
pub fn apply(
    actions: &[Action],
    scope: Scope,
    manifest: &mut Manifest,
    version: &str,
) -> Result<(), Error> {
    let before = manifest.clone();
    let mut done: Vec<Done> = Vec::new();
    let result = actions
        .iter()
        .try_for_each(|a| step(a, scope, manifest, version, &mut done));
    match result {
        Ok(()) => {
            for d in done {
                if let Done::Replaced { old, kind, .. } = d {
                    let _ = remove_path(&old, kind);
                }
            }
            Ok(())
        }
        Err(e) => {
            for d in done.into_iter().rev() {
                match d {
                    Done::Made(p, kind) => {
                        let _ = remove_path(&p, kind);
                    }
                    Done::Replaced { path, kind, old } => {
                        let _ = remove_path(&path, kind);
                        let _ = fs::rename(&old, &path);
                    }
                }
            }
            *manifest = before;
            Err(Error::new(format!(
                "{e}; nothing was changed (the steps before this one were undone)"
            )))
        }
    }
}

fn step(
    a: &Action,
    scope: Scope,
    manifest: &mut Manifest,
    version: &str,
    done: &mut Vec<Done>,
) -> Result<(), Error> {
    match a {
        Action::Create {
            path,
            source,
            agents,
            skill,
            kind,
        }
        | Action::Update {
            path,
            source,
            agents,
            skill,
            kind,
        } => {
            let old = if matches!(a, Action::Update { .. }) {
                let old = copy::aside(path);
                let old_kind = if fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink()) {
                    Kind::Symlink
                } else {
                    // re-check: never move away a copy edited since the plan was made
                    if !matches!(copy::state(path), copy::State::Pristine(_)) {
                        return Err(Error::at_path(
                            path,
                            None,
                            "changed since the plan was made; run the command again",
                        ));
                    }
                    Kind::Copy
                };
                fs::rename(path, &old)
                    .map_err(|e| Error::at_path(path, None, format!("cannot move aside: {e}")))?;
                Some((old, old_kind))
            } else {
                None
            };
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)
                    .map_err(|e| Error::at_path(parent, None, format!("cannot create: {e}")))?;
            }
            let made = match kind {
                Kind::Symlink => link(source, path),
                Kind::Copy => copy::copy_skill(source, path, skill, agents, version),
            };
            if let Err(e) = made {
                if let Some((old, _)) = &old {
                    let _ = fs::rename(old, path);
                }
                return Err(e);
            }
            done.push(match old {
                Some((old, k)) => Done::Replaced {
                    path: path.clone(),
                    kind: k,
                    old,
                },
                None => Done::Made(path.clone(), *kind),
            });
            record(manifest, path, source, agents, skill, *kind, scope, version);
        }
        Action::Unchanged {
            path,
            source,
            agents,
            skill,
            kind,
            recorded,
        } => {
            if let Some(e) = manifest.entries.iter_mut().find(|e| e.path == *path) {
                // Record agents that now share a recorded path.
                for ag in agents {
                    if !e.agents.contains(ag) {
                        e.agents.push(*ag);
                    }
                }
                e.agents.sort();
            } else if *recorded && *kind == Kind::Copy {
                record(manifest, path, source, agents, skill, *kind, scope, version);
            }
        }
        Action::Remove { path, kind } => {
            match kind {
                Kind::Copy => copy::remove_copy(path)?,
                Kind::Symlink => {
                    let m = fs::symlink_metadata(path)
                        .map_err(|e| Error::at_path(path, None, format!("cannot read: {e}")))?;
                    if !m.is_symlink() {
                        return Err(Error::at_path(
                            path,
                            None,
                            "is no longer a symlink; left in place",
                        ));
                    }
                    remove_path(path, Kind::Symlink)?;
                }
            }
            manifest.entries.retain(|e| e.path != *path);
        }
        Action::Forget { path } | Action::Keep { path, .. } => {
            manifest.entries.retain(|e| e.path != *path);
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn record(
    manifest: &mut Manifest,
    path: &Path,
    source: &Path,
    agents: &[Agent],
    skill: &str,
    kind: Kind,
    scope: Scope,
    version: &str,
) {
    manifest.entries.retain(|e| e.path != *path);
    manifest.entries.push(Entry {
        agents: agents.to_vec(),
        scope,
        path: path.to_path_buf(),
        source: source.to_path_buf(),
        kind,
        skill: skill.to_string(),
        dstplan_version: version.to_string(),
    });
}

/// Remove a link (the link only) or a directory tree this run made or moved aside.
fn remove_path(path: &Path, kind: Kind) -> Result<(), Error> {
    let r = match kind {
        Kind::Symlink => fs::remove_file(path).or_else(|_| fs::remove_dir(path)),
        Kind::Copy => fs::remove_dir_all(path),
    };
    r.map_err(|e| Error::at_path(path, None, format!("cannot remove: {e}")))
}

#[cfg(unix)]
fn link(source: &Path, path: &Path) -> Result<(), Error> {
    std::os::unix::fs::symlink(source, path).map_err(|e| {
        Error::at_path(
            path,
            None,
            format!("cannot link to {}: {e}", source.display()),
        )
    })?;
    debug_assert!(links_to(path, source));
    Ok(())
}

#[cfg(not(unix))]
fn link(_source: &Path, path: &Path) -> Result<(), Error> {
    Err(Error::at_path(
        path,
        None,
        "symlinks are not used on this platform; this is a bug in dstplan",
    ))
}
