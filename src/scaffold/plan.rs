//! `dstplan new`: write a complete plan skeleton.
//!
//! The plan has every section the plan format asks for in its mode, in order, with the
//! tables' required columns and one wired-up example chain (claim C1 → hypothesis H1 →
//! scenario S1 → §6b, §7b rows) so references resolve from the start. Everything a person or
//! agent must decide is a `{{TODO: …}}` placeholder, so a fresh scaffold fails `dstplan lint`
//! only on placeholders (DST070) and passes once they are filled.
//!
//! - The date is today's date in **UTC** (a plan written at 23:30 in UTC−5 carries the next
//!   day's date; UTC keeps the result independent of the machine's time zone).
//! - Change-scoped plans get `Change under test` and `Files touched` from git ([`super::git`]).
//!   Outside a repository both are placeholders.
//! - Project-wide plans get §3 pre-filled from [`super::inventory`] run on the repository
//!   root (or the current directory outside a repository): one row per suite, the harnesses,
//!   and what CI runs. Change-scoped plans get §3 (with the change's test delta against the
//!   base) and §5 when a file the change touches is a test, a harness or CI configuration.
//! - Default location: `testing-plans/<slug>.md` at the repository root (the current
//!   directory outside a repository), or `docs/testing-plans/<slug>.md` when the repository
//!   already has `docs/testing-plans/`. `--out` names the file directly.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::git;
use super::inventory;
use super::scenario::{render_scenario, ScenarioSpec};
use super::skeleton::Language;
use super::templates::{todo, Templates, PLAN_CHANGE_SCOPED, PLAN_PROJECT_WIDE};
use super::Error;
use crate::fsx;

/// Plan mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    ChangeScoped,
    ProjectWide,
}

/// Everything `dstplan new` needs.
#[derive(Debug, Clone)]
pub struct NewOptions {
    pub slug: String,
    pub mode: Mode,
    pub sut: Option<String>,
    pub base: Option<String>,
    pub out: Option<PathBuf>,
    pub templates: Option<PathBuf>,
    pub force: bool,
    /// Where to discover the repository from (the current directory).
    pub cwd: PathBuf,
    /// The plan's date (`YYYY-MM-DD`); None = today in UTC.
    pub date: Option<String>,
}

/// What `dstplan new` did.
#[derive(Debug, Clone)]
pub struct Created {
    pub path: PathBuf,
    /// Changed files listed (change-scoped) or §3 suite rows (project-wide).
    pub entries: usize,
    /// Placeholders left to fill.
    pub placeholders: usize,
    /// Files of the `--templates` directory that match no template name (not used).
    pub unused_templates: Vec<String>,
}

/// Whether `slug` is valid: lowercase letters, digits and `-`, not starting or ending with `-`.
pub fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The default plan path for `slug` under `root`.
pub fn default_path(root: &Path, slug: &str) -> PathBuf {
    let docs = root.join("docs").join("testing-plans");
    let dir = if docs.is_dir() {
        docs
    } else {
        root.join("testing-plans")
    };
    dir.join(format!("{slug}.md"))
}

#[derive(Serialize)]
struct FileRow {
    path: String,
    /// The path as a code span (longer fences when the name holds backticks).
    code: String,
    kind: String,
}

#[derive(Serialize)]
struct PlanCtx {
    slug: String,
    date: String,
    sut: String,
    change: String,
    files: Vec<FileRow>,
    files_note: String,
    section3: String,
    scenario: String,
}

/// `path` relative to `root` with `/` separators when it lies below it, else as given.
pub fn display_relative(path: &Path, root: Option<&Path>) -> String {
    let abs = absolute(path);
    if let Some(r) = root {
        let r = absolute(r);
        if let Ok(rel) = abs.strip_prefix(&r) {
            return rel.to_string_lossy().replace('\\', "/");
        }
    }
    path.to_string_lossy().replace('\\', "/")
}

fn absolute(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    // the file may not exist yet: canonicalize its parent
    match (p.parent(), p.file_name()) {
        (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => parent
            .canonicalize()
            .map(|c| c.join(name))
            .unwrap_or_else(|_| p.to_path_buf()),
        _ => std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf()),
    }
}

/// Render and write the plan. Refuses to replace an existing file unless `force`.
pub fn create(opts: &NewOptions) -> Result<Created, Error> {
    if !valid_slug(&opts.slug) {
        return Err(Error::new(format!(
            "invalid slug `{}`: use lowercase letters, digits and `-`, not starting or ending with `-` (e.g. raft-leader-lease)",
            opts.slug
        )));
    }
    if let Some(s) = &opts.sut {
        if s.trim().is_empty() {
            return Err(Error::new(
                "--sut is empty; name the system under test (e.g. --sut \"etcd 3.5\") or leave the flag out to get a placeholder",
            ));
        }
    }
    let templates = Templates::load(opts.templates.as_deref())?;
    let repo = git::discover(&opts.cwd);
    let root = repo
        .as_ref()
        .and_then(git::root)
        .unwrap_or_else(|| opts.cwd.clone());
    if repo.is_none() && opts.base.is_some() && opts.mode == Mode::ChangeScoped {
        return Err(Error::new(format!(
            "--base needs a git repository, and {} is not inside one; run dstplan new inside the SUT's checkout or drop --base",
            opts.cwd.display()
        )));
    }
    let path = match &opts.out {
        Some(p) if p.is_absolute() => p.clone(),
        Some(p) => opts.cwd.join(p),
        None => default_path(&root, &opts.slug),
    };
    if path.is_dir() {
        return Err(Error::new(
            "is a directory; --out names the plan file (e.g. --out testing-plans/x.md)",
        )
        .in_file(&path, None));
    }
    if !opts.force && path.symlink_metadata().is_ok() {
        return Err(Error::new(
            "already exists; refusing to overwrite it (pass --force to replace it, or pick another slug or --out)",
        )
        .in_file(&path, None));
    }
    let date = opts
        .date
        .clone()
        .unwrap_or_else(|| chrono::Utc::now().format("%Y-%m-%d").to_string());
    let plan_rel = display_relative(&path, Some(&root));

    let mut ctx = PlanCtx {
        slug: opts.slug.clone(),
        date,
        sut: opts
            .sut
            .as_deref()
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        change: String::new(),
        files: Vec::new(),
        files_note: String::new(),
        section3: String::new(),
        scenario: String::new(),
    };
    let entries;
    let mut inventory_seen: Option<inventory::Inventory> = None;
    let template = match opts.mode {
        Mode::ChangeScoped => {
            match &repo {
                Some(r) => {
                    let scope = git::change_scope(r, opts.base.as_deref())?;
                    ctx.change = scope.change;
                    ctx.files = scope
                        .files
                        .iter()
                        .filter(|f| f.path != plan_rel)
                        .map(|f| FileRow {
                            path: f.path.clone(),
                            code: super::code_span(&f.path),
                            kind: f.kind.to_string(),
                        })
                        .collect();
                    ctx.files_note = "no file differs between the base and the working tree; name the files this plan covers".into();
                    if scope.files.iter().any(|f| {
                        inventory::touches_tests_or_ci(&root, &f.path)
                            || matches!(&f.kind, git::ChangeKind::Renamed(p) if inventory::touches_tests_or_ci(&root, p))
                    }) {
                        let threads = inventory::default_threads();
                        let head = inventory::scan_with_ci(&root, threads)?;
                        let delta = match &scope.base {
                            Some(b) => {
                                let base = inventory::delta::inventory_at(&root, b, threads)?;
                                let label = opts.base.clone().unwrap_or_else(|| b.chars().take(12).collect());
                                Some(inventory::delta::compare(&label, &base, &head))
                            }
                            None => None,
                        };
                        ctx.section3 = inventory::render_markdown(&head, delta.as_ref())
                            .trim_end()
                            .to_string();
                        inventory_seen = Some(head);
                    }
                }
                None => {
                    ctx.change =
                        todo("commit range, PR or branch diff under test (not a git repository)");
                    ctx.files_note =
                        "files the change touches (not a git repository, so none were listed)"
                            .into();
                }
            }
            entries = ctx.files.len();
            PLAN_CHANGE_SCOPED
        }
        Mode::ProjectWide => {
            let inv = inventory::scan_with_ci(&root, inventory::default_threads())?;
            ctx.section3 = inventory::render_markdown(&inv, None)
                .trim_end()
                .to_string();
            // the §3 table's rows (one per suite)
            entries = ctx
                .section3
                .lines()
                .take_while(|l| l.starts_with('|'))
                .count()
                .saturating_sub(2);
            inventory_seen = Some(inv);
            PLAN_PROJECT_WIDE
        }
    };
    let detected = match &inventory_seen {
        Some(inv) => inventory::detect::detect(inv),
        None => inventory::detect::detect(&inventory::scan(&root, inventory::default_threads())?),
    };
    ctx.scenario = render_scenario(
        &templates,
        &ScenarioSpec {
            id: "S1".into(),
            name: todo("claim_shaped_name"),
            claims: vec![("C1".into(), None)],
            closes: Some("H1".into()),
            closes_hint: Vec::new(),
            language: detected.language.map_or(Language::Rust, |(l, _)| l),
            ts_runner: detected.ts_runner,
            plan_path: plan_rel,
        },
    )?;
    let text = templates.render(template, &ctx)?;
    let overwrite = if opts.force {
        fsx::Overwrite::Allow
    } else {
        fsx::Overwrite::Never
    };
    fsx::write(&path, text.as_bytes(), overwrite)?;
    Ok(Created {
        path,
        entries,
        placeholders: text.matches("{{TODO").count(),
        unused_templates: templates.unused().to_vec(),
    })
}
