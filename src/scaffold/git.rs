//! The change under test, read from the repository by running the `git` CLI (argument
//! vectors, no shell), which dstplan already needs on the user's machine.
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
//!   `git mv`, so a move reads as one rename, not a delete plus an add. Untracked files are
//!   marked intent-to-add in a *copy* of the index (`GIT_INDEX_FILE`), so the user's index
//!   and object store are left as they were.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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
    /// The base commit (None = the empty tree).
    pub base: Option<String>,
}

/// A git repository found by [`discover`].
#[derive(Debug, Clone)]
pub struct Repository {
    /// The directory git runs in (`git -C`).
    dir: PathBuf,
    /// The working tree's root; None for a bare repository.
    workdir: Option<PathBuf>,
}

/// Run git in `dir` with `args`; Ok(stdout) on exit 0, Err(stderr) otherwise (or when git
/// cannot be started).
fn run_in<I, S>(dir: &Path, args: I, env: &[(&str, &OsStr)]) -> Result<Vec<u8>, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("LC_ALL", "C")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run `git` ({e}); install git and put it on PATH"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

fn text(out: Vec<u8>) -> String {
    String::from_utf8_lossy(&out).trim().to_string()
}

impl Repository {
    fn git<I, S>(&self, args: I) -> Result<Vec<u8>, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        run_in(&self.dir, args, &[])
    }

    fn line<I, S>(&self, args: I) -> Option<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.git(args).ok().map(text).filter(|s| !s.is_empty())
    }

    /// The full ID of the commit `rev` names, if it names one.
    pub fn commit(&self, rev: &str) -> Option<String> {
        self.line([
            "rev-parse",
            "--verify",
            "-q",
            "--end-of-options",
            &format!("{rev}^{{commit}}"),
        ])
    }

    /// The commit HEAD points at (None before the first commit).
    pub fn head(&self) -> Option<String> {
        self.commit("HEAD")
    }

    /// The working tree's root, if the repository has one.
    pub fn workdir(&self) -> Option<&Path> {
        self.workdir.as_deref()
    }

    /// Run git with `args` in this repository (stdout on success, stderr as the error).
    pub fn run(&self, args: &[&str]) -> Result<Vec<u8>, Error> {
        self.git(args)
            .map_err(|e| Error::new(format!("git {} failed: {e}", args.join(" "))))
    }
}

/// The repository containing `start`, if any (None too when git is not installed).
pub fn discover(start: &Path) -> Option<Repository> {
    let bare = text(run_in(start, ["rev-parse", "--is-bare-repository"], &[]).ok()?);
    if bare == "true" {
        return Some(Repository {
            dir: start.to_path_buf(),
            workdir: None,
        });
    }
    let top = text(run_in(start, ["rev-parse", "--show-toplevel"], &[]).ok()?);
    if top.is_empty() {
        return None;
    }
    let top = PathBuf::from(top);
    Some(Repository {
        dir: top.clone(),
        workdir: Some(top),
    })
}

/// The repository's working directory (its root), if it has one.
pub fn root(repo: &Repository) -> Option<PathBuf> {
    repo.workdir.clone()
}

fn short(repo: &Repository, oid: &str) -> String {
    repo.line(["rev-parse", "--short", oid])
        .unwrap_or_else(|| oid.chars().take(7).collect())
}

/// The default branch: `(display name, branch name without remote, tip)`.
fn default_branch(repo: &Repository) -> Option<(String, String, String)> {
    if let Some(full) = repo.line(["symbolic-ref", "-q", "refs/remotes/origin/HEAD"]) {
        if let (Some(name), Some(oid)) = (
            full.strip_prefix("refs/remotes/"),
            repo.commit("refs/remotes/origin/HEAD"),
        ) {
            let bare = name.strip_prefix("origin/").unwrap_or(name).to_string();
            return Some((name.to_string(), bare, oid));
        }
    }
    for b in ["main", "master"] {
        if let Some(oid) = repo.commit(&format!("refs/heads/{b}")) {
            return Some((b.to_string(), b.to_string(), oid));
        }
    }
    None
}

/// The base commit (None = the empty tree) and a description of how it was chosen.
fn resolve_base(
    repo: &Repository,
    head: Option<&str>,
    base: Option<&str>,
) -> Result<(Option<String>, String), Error> {
    let where_ = repo.dir.display().to_string();
    if let Some(rev) = base {
        if let Some(oid) = repo.commit(rev) {
            return Ok((Some(oid), format!("--base {rev}")));
        }
        if repo
            .line(["rev-parse", "--verify", "-q", "--end-of-options", rev])
            .is_some()
        {
            return Err(Error::new(format!(
                "base revision `{rev}` is not a commit; pass a branch, tag or commit"
            )));
        }
        return Err(Error::new(format!(
            "base revision `{rev}` does not exist in the repository at {where_}; pass a branch, tag or commit it has (e.g. --base main or --base HEAD~3)"
        )));
    }
    let Some(head) = head else {
        return Ok((None, "no commits yet".into()));
    };
    let head_branch = repo.line(["symbolic-ref", "-q", "--short", "HEAD"]);
    if let Some((name, bare, tip)) = default_branch(repo) {
        if head_branch.as_deref() != Some(bare.as_str()) {
            if let Some(mb) = repo.line(["merge-base", head, &tip]) {
                return Ok((Some(mb), format!("merge-base with {name}")));
            }
        }
    }
    match repo.commit(&format!("{head}^1")) {
        Some(p) => Ok((Some(p), "HEAD~1".into())),
        None => Ok((None, "root commit, compared with the empty tree".into())),
    }
}

/// Whether the working tree differs from HEAD (staged, unstaged or untracked).
fn dirty(repo: &Repository) -> bool {
    repo.git(["status", "--porcelain", "-z", "--untracked-files=normal"])
        .map(|o| !o.is_empty())
        .unwrap_or(false)
}

/// A copy of the repository's index in a temporary file, removed on drop.
struct TempIndex(PathBuf);

impl Drop for TempIndex {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn temp_index(repo: &Repository) -> Result<TempIndex, Error> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let tmp = TempIndex(
        std::env::temp_dir().join(format!("dstplan-index-{}-{nanos}", std::process::id())),
    );
    let index = repo
        .line(["rev-parse", "--path-format=absolute", "--git-path", "index"])
        .map(PathBuf::from);
    if let Some(index) = index.filter(|p| p.is_file()) {
        std::fs::copy(&index, &tmp.0).map_err(|e| {
            Error::new(format!(
                "cannot copy the git index to {}: {e}",
                tmp.0.display()
            ))
        })?;
    }
    Ok(tmp)
}

/// The change under test between `base` (see the module doc) and the working tree.
pub fn change_scope(repo: &Repository, base: Option<&str>) -> Result<ChangeScope, Error> {
    if repo.workdir.is_none() {
        return Err(Error::new(
            "the repository is bare (no working tree); run dstplan new inside a checkout",
        ));
    }
    let head = repo.head();
    let (base_oid, how) = resolve_base(repo, head.as_deref(), base)?;
    let base_tree = match &base_oid {
        Some(oid) => oid.clone(),
        None => text(repo.run(&["hash-object", "-t", "tree", "/dev/null"])?),
    };
    // untracked files (minus ignored ones) become intent-to-add entries in a copy of the index
    let index = temp_index(repo)?;
    let env: [(&str, &OsStr); 2] = [
        ("GIT_INDEX_FILE", index.0.as_os_str()),
        // file names are names, never pathspec magic (`:(glob)…`) or patterns
        ("GIT_LITERAL_PATHSPECS", OsStr::new("1")),
    ];
    let untracked = repo.run(&["ls-files", "-z", "--others", "--exclude-standard"])?;
    let untracked: Vec<String> = untracked
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    // in chunks, so a tree with many untracked files stays under the argument-length limit
    for chunk in untracked.chunks(500) {
        let mut args: Vec<&OsStr> = ["add", "--intent-to-add", "--"]
            .iter()
            .map(OsStr::new)
            .collect();
        args.extend(chunk.iter().map(OsStr::new));
        run_in(&repo.dir, args, &env)
            .map_err(|e| Error::new(format!("cannot mark untracked files for the diff: {e}")))?;
    }
    let out = run_in(
        &repo.dir,
        [
            "diff",
            "--name-status",
            "-z",
            "--find-renames",
            "--no-ext-diff",
            "--ignore-submodules=none",
            &base_tree,
            "--",
        ],
        &env,
    )
    .map_err(|e| Error::new(format!("cannot diff the working tree: {e}")))?;
    let mut files = Vec::new();
    let mut fields = out
        .split(|&b| b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned());
    while let Some(status) = fields.next() {
        if status.is_empty() {
            continue;
        }
        let Some(first) = fields.next() else { break };
        let (path, kind) = match status.as_bytes()[0] {
            b'A' if untracked.contains(&first) => (first, ChangeKind::Untracked),
            b'A' => (first, ChangeKind::Added),
            b'M' => (first, ChangeKind::Modified),
            b'D' => (first, ChangeKind::Deleted),
            b'T' => (first, ChangeKind::TypeChanged),
            b'R' | b'C' => {
                let Some(second) = fields.next() else { break };
                let kind = if status.starts_with('R') {
                    ChangeKind::Renamed(first)
                } else {
                    ChangeKind::Copied(first)
                };
                (second, kind)
            }
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
    let change = match (&head, &base_oid) {
        (Some(h), Some(b)) => format!(
            "{}..{} (HEAD {h}){uncommitted}; base: {how}",
            short(repo, b),
            short(repo, h)
        ),
        (Some(h), None) => format!("{} (HEAD {h}){uncommitted}; base: {how}", short(repo, h)),
        (None, _) => "uncommitted changes in a repository with no commits yet".to_string(),
    };
    Ok(ChangeScope {
        change,
        files,
        base: base_oid,
    })
}
