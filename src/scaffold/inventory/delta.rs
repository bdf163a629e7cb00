//! `dstplan inventory --base REV`: the inventory of another revision (unpacked with
//! `git archive` into a temporary directory) and what changed between the two.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

use super::{ci, scan_with_ci, select, Inventory, Item};
use crate::error::Error;

/// One test in a delta list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub id: String,
    pub file: String,
    pub line: usize,
    pub framework: Option<&'static str>,
    /// Why it is in this list (the head's `ci.why`, or what changed).
    pub why: String,
}

/// What changed between the base and the head.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Delta {
    pub base: String,
    pub added: Vec<Entry>,
    pub removed: Vec<Entry>,
    pub newly_ignored: Vec<Entry>,
    pub no_longer_run_in_ci: Vec<Entry>,
    pub newly_run_in_ci: Vec<Entry>,
}

impl Delta {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.newly_ignored.is_empty()
            && self.no_longer_run_in_ci.is_empty()
            && self.newly_run_in_ci.is_empty()
    }
}

fn entry(it: &Item, why: String) -> Entry {
    Entry {
        id: it.id.clone(),
        file: it.path.clone(),
        line: it.line,
        framework: it.framework,
        why,
    }
}

fn runs(it: &Item) -> Option<bool> {
    it.ci.as_ref().and_then(|c| c.runs)
}

fn why(it: &Item) -> String {
    it.ci.as_ref().map(|c| c.why.clone()).unwrap_or_default()
}

/// Compare two inventories (tests only), keyed by test ID.
pub fn compare(base_rev: &str, base: &Inventory, head: &Inventory) -> Delta {
    let tests = |inv: &'_ Inventory| -> std::collections::BTreeMap<String, Item> {
        inv.items
            .iter()
            .filter(|i| select::is_test(i.kind))
            .map(|i| (i.id.clone(), i.clone()))
            .collect()
    };
    let (b, h) = (tests(base), tests(head));
    let mut d = Delta {
        base: base_rev.to_string(),
        ..Delta::default()
    };
    for (id, it) in &h {
        match b.get(id) {
            None => {
                d.added.push(entry(it, "new at the head".into()));
                if runs(it) == Some(true) {
                    d.newly_run_in_ci.push(entry(it, why(it)));
                }
            }
            Some(old) => {
                if it.ignored && !old.ignored {
                    d.newly_ignored.push(entry(
                        it,
                        "ignored/skipped at the head, not at the base".into(),
                    ));
                }
                if runs(old) == Some(true) && runs(it) != Some(true) {
                    let w = match runs(it) {
                        Some(false) => why(it),
                        _ => format!("CI may no longer run it: {}", why(it)),
                    };
                    d.no_longer_run_in_ci.push(entry(it, w));
                }
                if runs(old) != Some(true) && runs(it) == Some(true) {
                    d.newly_run_in_ci.push(entry(it, why(it)));
                }
            }
        }
    }
    for (id, it) in &b {
        if !h.contains_key(id) {
            d.removed.push(entry(it, "gone at the head".into()));
            if runs(it) == Some(true) {
                d.no_longer_run_in_ci
                    .push(entry(it, "removed (CI ran it at the base)".into()));
            }
        }
    }
    for l in [
        &mut d.added,
        &mut d.removed,
        &mut d.newly_ignored,
        &mut d.no_longer_run_in_ci,
        &mut d.newly_run_in_ci,
    ] {
        l.sort_by(|a, b| (&a.file, a.line, &a.id).cmp(&(&b.file, b.line, &b.id)));
    }
    d
}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The inventory (with CI verdicts) of revision `rev` of the repository at `repo_root`.
pub fn inventory_at(repo_root: &Path, rev: &str, threads: usize) -> Result<Inventory, Error> {
    let repo = crate::scaffold::git::discover(repo_root).ok_or_else(|| {
        Error::new(format!(
            "--base needs a git repository, and {} is not inside one; run it in the SUT's checkout or drop --base",
            repo_root.display()
        ))
    })?;
    let top = crate::scaffold::git::root(&repo).unwrap_or_else(|| repo_root.to_path_buf());
    let commit = repo.commit(rev).ok_or_else(|| {
        Error::new(format!(
            "base revision `{rev}` is not a commit of the repository at {}; pass a branch, tag or commit it has (e.g. --base main or --base HEAD~3)",
            top.display()
        ))
    })?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let tmp =
        TempDir(std::env::temp_dir().join(format!("dstplan-base-{}-{nanos}", std::process::id())));
    std::fs::create_dir_all(&tmp.0)
        .map_err(|e| Error::new(format!("cannot create {}: {e}", tmp.0.display())))?;
    // the subdirectory of the repository the inventory is about
    let sub = repo_root
        .canonicalize()
        .ok()
        .and_then(|r| {
            r.strip_prefix(top.canonicalize().ok()?)
                .ok()
                .map(Path::to_path_buf)
        })
        .unwrap_or_default();
    let mut archive = Command::new("git")
        .arg("-C")
        .arg(&top)
        .args(["archive", "--format=tar", &commit])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::environment(format!("cannot run `git` ({e}); install git")))?;
    let stdout = archive.stdout.take().expect("piped");
    let tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(&tmp.0)
        .stdin(stdout)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| Error::environment(format!("cannot run `tar` ({e}); install tar")))?;
    let git_out = archive
        .wait_with_output()
        .map_err(|e| Error::new(format!("git archive failed: {e}")))?;
    if !git_out.status.success() || !tar.status.success() {
        return Err(Error::new(format!(
            "cannot unpack revision `{rev}`: {}{}",
            String::from_utf8_lossy(&git_out.stderr).trim(),
            String::from_utf8_lossy(&tar.stderr).trim()
        )));
    }
    let dir = tmp.0.join(&sub);
    if !dir.is_dir() {
        return Ok(Inventory {
            root: dir,
            items: Vec::new(),
            files_seen: 0,
            files_read: 0,
            elapsed: std::time::Duration::ZERO,
            ci: ci::CiConfig::default(),
        });
    }
    let mut inv = scan_with_ci(&dir, threads)?;
    inv.root = repo_root.to_path_buf();
    Ok(inv)
}
