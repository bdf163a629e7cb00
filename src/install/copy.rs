//! Copied skills and their marker: `.dstplan-install.json` in each copy lists the dstplan
//! version, the agents it serves and a SHA-256 per file, so a later install can tell an
//! unchanged copy (update it) from an edited one (leave it), and uninstall removes a copy only
//! when it is exactly what dstplan made.
//!
//! The marker holds no absolute path and no time, so a copy committed to a project (the
//! project scope) is the same bytes on every machine.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Agent;
use crate::error::Error;

/// The marker's file name inside a copied skill.
pub const MARKER: &str = ".dstplan-install.json";

/// What the marker says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// Always `"dstplan"`: the file is ours.
    pub tool: String,
    pub marker_version: u32,
    /// The skill's name.
    pub skill: String,
    /// The dstplan version that made the copy.
    pub dstplan_version: String,
    /// The agents that read this copy.
    pub agents: Vec<Agent>,
    /// Relative path (with `/`) → SHA-256 hex of every file copied.
    pub files: BTreeMap<String, String>,
}

/// What a directory holding a marker looks like now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Every listed file is there unchanged and nothing else was added.
    Pristine(Marker),
    /// Ours, but changed since: the files edited, deleted or added.
    Edited(Marker, Vec<String>),
    /// No valid marker: not provably ours.
    Foreign,
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every regular file under `dir` (the marker excepted) → its SHA-256. A symlink or special
/// file inside is an error (a skill is plain files).
pub fn hash_tree(dir: &Path) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.map_err(|e| Error::at_path(dir, None, format!("cannot read: {e}")))?;
        let rel = e
            .path()
            .strip_prefix(dir)
            .unwrap_or(e.path())
            .to_string_lossy()
            .replace('\\', "/");
        let ft = e.file_type();
        if ft.is_dir() {
            continue;
        }
        if !ft.is_file() {
            return Err(Error::at_path(
                e.path(),
                None,
                "is not a regular file; a skill directory holds plain files and folders only",
            ));
        }
        if rel == MARKER {
            continue;
        }
        let bytes = fs::read(e.path())
            .map_err(|err| Error::at_path(e.path(), None, format!("cannot read: {err}")))?;
        out.insert(rel, sha256(&bytes));
    }
    Ok(out)
}

/// Read the marker of `dir` and compare the directory with it.
pub fn state(dir: &Path) -> State {
    let Ok(meta) = fs::symlink_metadata(dir) else {
        return State::Foreign;
    };
    if !meta.is_dir() {
        return State::Foreign;
    }
    let Ok(text) = fs::read_to_string(dir.join(MARKER)) else {
        return State::Foreign;
    };
    let Ok(marker) = serde_json::from_str::<Marker>(&text) else {
        return State::Foreign;
    };
    if marker.tool != "dstplan" || dir.file_name().is_none_or(|n| *n != *marker.skill) {
        return State::Foreign;
    }
    let now = match hash_tree(dir) {
        Ok(h) => h,
        Err(e) => return State::Edited(marker, vec![e.to_string()]),
    };
    let mut changed: Vec<String> = Vec::new();
    for (rel, sum) in &marker.files {
        match now.get(rel) {
            Some(s) if s == sum => {}
            Some(_) => changed.push(format!("{rel} (edited)")),
            None => changed.push(format!("{rel} (deleted)")),
        }
    }
    for rel in now.keys() {
        if !marker.files.contains_key(rel) {
            changed.push(format!("{rel} (added)"));
        }
    }
    if changed.is_empty() {
        State::Pristine(marker)
    } else {
        State::Edited(marker, changed)
    }
}

/// Copy the skill at `source` to `dest` (which must not exist) with a marker, through a
/// temporary sibling renamed into place, so `dest` is either absent or complete.
pub fn copy_skill(
    source: &Path,
    dest: &Path,
    skill: &str,
    agents: &[Agent],
    version: &str,
) -> Result<(), Error> {
    let files = hash_tree(source)?;
    let parent = dest.parent().unwrap_or(Path::new("."));
    let tmp = parent.join(format!(".{skill}.dstplan-tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    let result = (|| {
        for rel in files.keys() {
            let from = source.join(rel);
            let to = tmp.join(rel);
            if let Some(d) = to.parent() {
                fs::create_dir_all(d)
                    .map_err(|e| Error::at_path(d, None, format!("cannot create: {e}")))?;
            }
            fs::copy(&from, &to)
                .map_err(|e| Error::at_path(&to, None, format!("cannot copy to: {e}")))?;
        }
        let marker = Marker {
            tool: "dstplan".into(),
            marker_version: 1,
            skill: skill.to_string(),
            dstplan_version: version.to_string(),
            agents: agents.to_vec(),
            files: files.clone(),
        };
        let mut text = serde_json::to_string_pretty(&marker).expect("marker serialises");
        text.push('\n');
        fs::write(tmp.join(MARKER), text)
            .map_err(|e| Error::at_path(&tmp.join(MARKER), None, format!("cannot write: {e}")))?;
        fs::rename(&tmp, dest).map_err(|e| {
            Error::at_path(dest, None, format!("cannot move the copy into place: {e}"))
        })
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

/// Whether the copy at `dest` holds exactly the files of `source`.
pub fn same_files(marker: &Marker, source: &Path) -> bool {
    hash_tree(source).is_ok_and(|h| h == marker.files)
}

/// Remove a pristine copy. Re-checks first, so a file edited since planning is never lost.
pub fn remove_copy(dir: &Path) -> Result<(), Error> {
    match state(dir) {
        State::Pristine(_) => fs::remove_dir_all(dir)
            .map_err(|e| Error::at_path(dir, None, format!("cannot remove: {e}"))),
        State::Edited(_, what) => Err(Error::at_path(
            dir,
            None,
            format!(
                "changed since dstplan copied it ({}); left in place",
                what.join(", ")
            ),
        )),
        State::Foreign => Err(Error::at_path(
            dir,
            None,
            "has no dstplan marker; left in place",
        )),
    }
}

/// A temporary path next to `p` (for moving an old copy aside during an update).
pub fn aside(p: &Path) -> PathBuf {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    p.with_file_name(format!(".{name}.dstplan-old-{}", std::process::id()))
}
