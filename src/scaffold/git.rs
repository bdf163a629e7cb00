//! The change under test, read from the repository with git2 (no `git` process).
//!
//! A change-scoped plan names the commit range it covers and lists every file the change
//! touches. What counts as "the change" is decided here, once:
//!
//! - **Base.** `--base REV` when given (any revision git understands; one that does not exist
//!   is an error naming it). Otherwise the merge-base of HEAD with the default branch — the
//!   first of `origin/HEAD`, `main`, `master` that exists — when HEAD is on another branch;
//!   when HEAD *is* that branch (same branch name, so local `main` counts as `origin/main`) or
//!   no default branch exists, `HEAD~1`. A root commit has no `HEAD~1`: the base is then the
//!   empty tree and every file is "added".
//! - **Tip.** The working tree, not HEAD: a plan is usually written before the change is
//!   committed, so staged, unstaged *and untracked* files count (untracked files that
//!   `.gitignore` excludes do not). Renames are detected, including a file moved without
//!   `git mv`, so a move reads as one rename, not a delete plus an add.

use std::path::{Path, PathBuf};

use git2::{Delta, DiffFindOptions, DiffOptions, Oid, Repository, StatusOptions};

use super::Error;

/// How a file changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    /// Added and not yet tracked by git.
    Untracked,
    Modified,
    Deleted,
    /// Renamed (or moved) from the given path.
    Renamed(String),
    /// Copied from the given path.
    Copied(String),
    /// File type changed (e.g. file ↔ symlink).
    TypeChanged,
}

impl std::fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChangeKind::Added => f.write_str("added"),
            ChangeKind::Untracked => f.write_str("added, untracked"),
            ChangeKind::Modified => f.write_str("modified"),
            ChangeKind::Deleted => f.write_str("deleted"),
            ChangeKind::Renamed(from) => write!(f, "renamed from {}", super::code_span(from)),
            ChangeKind::Copied(from) => write!(f, "copied from {}", super::code_span(from)),
            ChangeKind::TypeChanged => f.write_str("type changed"),
        }
    }
}

/// One changed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Path relative to the repository root, `/`-separated.
    pub path: String,
    pub kind: ChangeKind,
}

/// The change under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeScope {
    /// The header value of `Change under test:`.
    pub change: String,
    /// Every file that differs between the base and the working tree, sorted by path.
    pub files: Vec<FileChange>,
}

/// The repository containing `start`, if any.
pub fn discover(start: &Path) -> Option<Repository> {
    Repository::discover(start).ok()
}

/// The repository's working directory (its root), if it has one.
pub fn root(repo: &Repository) -> Option<PathBuf> {
    repo.workdir().map(Path::to_path_buf)
}

fn short(repo: &Repository, oid: Oid) -> String {
    repo.find_object(oid, None)
        .ok()
        .and_then(|o| o.short_id().ok())
        .and_then(|b| b.as_str().ok().map(str::to_string))
        .unwrap_or_else(|| oid.to_string()[..7].to_string())
}

/// The default branch: `(display name, branch name without remote, tip)`.
fn default_branch(repo: &Repository) -> Option<(String, String, Oid)> {
    if let Ok(r) = repo.find_reference("refs/remotes/origin/HEAD") {
        if let Ok(res) = r.resolve() {
            if let (Ok(name), Some(oid)) = (res.shorthand(), res.target()) {
                let bare = name.strip_prefix("origin/").unwrap_or(name).to_string();
                return Some((name.to_string(), bare, oid));
            }
        }
    }
    for b in ["main", "master"] {
        if let Ok(r) = repo.find_reference(&format!("refs/heads/{b}")) {
            if let Some(oid) = r.target() {
                return Some((b.to_string(), b.to_string(), oid));
            }
        }
    }
    None
}

/// The base commit (None = the empty tree) and a description of how it was chosen.
fn resolve_base(
    repo: &Repository,
    head: Option<Oid>,
    base: Option<&str>,
) -> Result<(Option<Oid>, String), Error> {
    let where_ = repo
        .workdir()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if let Some(rev) = base {
        let obj = repo.revparse_single(rev).map_err(|_| {
            Error::new(format!(
                "base revision `{rev}` does not exist in the repository at {where_}; pass a branch, tag or commit it has (e.g. --base main or --base HEAD~3)"
            ))
        })?;
        let commit = obj.peel_to_commit().map_err(|_| {
            Error::new(format!(
                "base revision `{rev}` is not a commit; pass a branch, tag or commit"
            ))
        })?;
        return Ok((Some(commit.id()), format!("--base {rev}")));
    }
    let Some(head) = head else {
        return Ok((None, "no commits yet".into()));
    };
    let head_branch = repo
        .head()
        .ok()
        .filter(|h| h.is_branch())
        .and_then(|h| h.shorthand().ok().map(str::to_string));
    if let Some((name, bare, tip)) = default_branch(repo) {
        if head_branch.as_deref() != Some(bare.as_str()) {
            if let Ok(mb) = repo.merge_base(head, tip) {
                return Ok((Some(mb), format!("merge-base with {name}")));
            }
        }
    }
    let parent = repo
        .find_commit(head)
        .ok()
        .and_then(|c| c.parent_ids().next());
    match parent {
        Some(p) => Ok((Some(p), "HEAD~1".into())),
        None => Ok((None, "root commit, compared with the empty tree".into())),
    }
}

/// Whether the working tree differs from HEAD (staged, unstaged or untracked).
fn dirty(repo: &Repository) -> bool {
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(false)
        .include_ignored(false);
    repo.statuses(Some(&mut opts))
        .map(|s| !s.is_empty())
        .unwrap_or(false)
}

/// The change under test between `base` (see the module doc) and the working tree.
pub fn change_scope(repo: &Repository, base: Option<&str>) -> Result<ChangeScope, Error> {
    if repo.is_bare() {
        return Err(Error::new(
            "the repository is bare (no working tree); run dstplan new inside a checkout",
        ));
    }
    let head = repo.head().ok().and_then(|h| h.target());
    let (base_oid, how) = resolve_base(repo, head, base)?;
    let base_tree = match base_oid {
        Some(oid) => Some(
            repo.find_commit(oid)
                .and_then(|c| c.tree())
                .map_err(|e| Error::new(format!("cannot read the base commit {oid}: {e}")))?,
        ),
        None => None,
    };
    let mut opts = DiffOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .show_untracked_content(true)
        .include_typechange(true);
    let mut diff = repo
        .diff_tree_to_workdir_with_index(base_tree.as_ref(), Some(&mut opts))
        .map_err(|e| Error::new(format!("cannot diff the working tree: {e}")))?;
    let mut find = DiffFindOptions::new();
    find.renames(true).for_untracked(true);
    diff.find_similar(Some(&mut find))
        .map_err(|e| Error::new(format!("cannot detect renames: {e}")))?;

    let path_of = |f: git2::DiffFile<'_>| {
        f.path()
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default()
    };
    let mut files = Vec::new();
    for d in diff.deltas() {
        let new = path_of(d.new_file());
        let old = path_of(d.old_file());
        let (path, kind) = match d.status() {
            Delta::Added => (new, ChangeKind::Added),
            Delta::Untracked => (new, ChangeKind::Untracked),
            Delta::Modified => (new, ChangeKind::Modified),
            Delta::Deleted => (old, ChangeKind::Deleted),
            Delta::Renamed => (new, ChangeKind::Renamed(old)),
            Delta::Copied => (new, ChangeKind::Copied(old)),
            Delta::Typechange => (new, ChangeKind::TypeChanged),
            _ => continue,
        };
        files.push(FileChange { path, kind });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);

    let uncommitted = if dirty(repo) {
        " plus uncommitted changes"
    } else {
        ""
    };
    let change = match (head, base_oid) {
        (Some(h), Some(b)) => format!(
            "{}..{} (HEAD {h}){uncommitted}; base: {how}",
            short(repo, b),
            short(repo, h)
        ),
        (Some(h), None) => format!("{} (HEAD {h}){uncommitted}; base: {how}", short(repo, h)),
        (None, _) => "uncommitted changes in a repository with no commits yet".to_string(),
    };
    Ok(ChangeScope { change, files })
}
