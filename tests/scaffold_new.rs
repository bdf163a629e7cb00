//! `dstplan new`: structure of both plan modes, the files of a change, the base revision,
//! refusing to overwrite, slug rules, output locations and template overrides.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dstplan::plan::{self, PlaceholderKind, Plan};

mod common;

fn dstplan(dir: &Path, args: &[&str]) -> Output {
    common::run_in(dir, args)
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const LONG: &str = "line one of a file that is long enough to be recognised when it moves\nline two\nline three\nline four\n";

/// A repository on `main` with two commits, plus uncommitted changes of every kind:
/// commit two modifies a.txt and adds c.txt; the working tree deletes b.txt, moves old.txt to
/// new.txt with `git mv`, adds the untracked u.txt and the ignored debug.log.
fn repo_two_commits() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    git(d, &["config", "user.name", "Test"]);
    git(d, &["config", "user.email", "test@example.com"]);
    git(d, &["config", "commit.gpgsign", "false"]);
    write(d, "a.txt", "a\n");
    write(d, "b.txt", "b\n");
    write(d, "old.txt", LONG);
    write(d, "keep.txt", "unchanged\n");
    write(d, ".gitignore", "*.log\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "one"]);
    write(d, "a.txt", "a\na2\n");
    write(d, "src/c.txt", "c\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "two"]);
    std::fs::remove_file(d.join("b.txt")).unwrap();
    git(d, &["mv", "old.txt", "new.txt"]);
    write(d, "u.txt", "untracked\n");
    write(d, "debug.log", "ignored\n");
    t
}

fn head(d: &Path) -> String {
    let out = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(d)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn read_plan(p: &Path) -> (String, Plan) {
    let src = std::fs::read_to_string(p).expect("plan written");
    let plan = plan::parse(&src);
    (src, plan)
}

fn files_touched(p: &Plan) -> Vec<String> {
    p.files_touched
        .as_ref()
        .expect("Files touched:")
        .children()
        .iter()
        .map(|c| c.text.clone())
        .collect()
}

fn section_numbers(p: &Plan) -> Vec<&str> {
    p.sections.iter().map(|s| s.number.as_str()).collect()
}

const SCENARIO_LABELS: [&str; 13] = [
    "falsifies if it fails",
    "closes",
    "technique",
    "workload",
    "faults",
    "oracle",
    "observability required",
    "smoke budget",
    "hardening budget",
    "release budget",
    "target test file",
    "skeleton language",
    "skeleton",
];

/// What both modes share: header, §1b/§1c/§4/§6/§6b/§7/§7b/§7c tables and blocks, S1 and
/// its §7.M/§7.M.S blocks, and placeholders of the `{{TODO: …}}` kind only.
fn assert_common_structure(p: &Plan, slug: &str) {
    assert_eq!(p.slug.as_deref(), Some(slug));
    let labels: Vec<&str> = p.header.iter().map(|f| &*f.label).collect();
    assert_eq!(
        labels,
        [
            "date",
            "plan mode",
            "sut",
            "change under test",
            "plan author",
            "status"
        ]
    );
    for f in &p.header {
        assert!(!f.value.trim().is_empty(), "empty header {}", f.label);
    }
    let date = &p.header_field("date").unwrap().value;
    assert_eq!(date, &chrono::Utc::now().format("%Y-%m-%d").to_string());
    assert_eq!(p.header_field("status").unwrap().value, "draft");
    // every placeholder is a TODO: no template leftovers, no angle-bracket words
    assert!(!p.placeholders.is_empty());
    for ph in &p.placeholders {
        assert_eq!(ph.kind, PlaceholderKind::Todo, "{ph:?}");
    }
    let table_cols: [(&str, Option<&plan::Table>, &[&str]); 5] = [
        (
            "1b",
            p.claims_table.as_ref(),
            &["id", "claim", "category", "source", "inferred?"],
        ),
        (
            "1c",
            p.missing_table.as_ref(),
            &[
                "id",
                "behavior the code relies on",
                "source / evidence",
                "suggested action",
            ],
        ),
        (
            "6b",
            p.environment_table.as_ref(),
            &[
                "requirement",
                "version floor",
                "used by scenarios",
                "install hint",
            ],
        ),
        (
            "7b",
            p.adequacy_table.as_ref(),
            &[
                "claim",
                "threat model (how it could fail)",
                "scenarios that exercise the threats",
                "why these are sufficient",
            ],
        ),
        (
            "7c",
            p.residual_table.as_ref(),
            &[
                "uncertainty",
                "why uncovered",
                "why acceptable today",
                "when to revisit",
            ],
        ),
    ];
    for (sec, t, cols) in table_cols {
        let t = t.unwrap_or_else(|| panic!("§{sec} table"));
        for c in cols {
            assert!(
                t.headers.iter().any(|h| h == c),
                "§{sec} lacks column {c}: {:?}",
                t.headers
            );
        }
        assert_eq!(t.rows.len(), 1, "§{sec}");
    }
    assert_eq!(p.claims.len(), 1);
    assert_eq!(p.claims[0].id.key(), "C1");
    assert_eq!(p.hypotheses.len(), 1);
    let h1 = &p.hypotheses[0];
    assert_eq!(h1.field("could falsify").unwrap().value, "C1");
    assert!(h1.field("suspected because").is_some() && h1.field("subsystem").is_some());
    assert_eq!(p.techniques.len(), 1);
    let tech = &p.techniques[0];
    for l in [
        "hypotheses it addresses",
        "reference",
        "cost / wall-clock estimate",
    ] {
        assert!(tech.field(l).is_some(), "technique lacks {l}");
    }
    assert_eq!(p.scenarios.len(), 1);
    let s1 = &p.scenarios[0];
    assert_eq!(s1.id.key(), "S1");
    let labels: Vec<&str> = s1.fields.iter().map(|f| &*f.label).collect();
    assert_eq!(labels, SCENARIO_LABELS);
    assert_eq!(
        s1.falsifies().iter().map(|r| r.key()).collect::<Vec<_>>(),
        ["C1"]
    );
    assert_eq!(
        s1.closes().iter().map(|r| r.key()).collect::<Vec<_>>(),
        ["H1"]
    );
    assert_eq!(s1.field("skeleton language").unwrap().value, "rust");
    assert_eq!(s1.field("skeleton").unwrap().code().len(), 1);
    assert_eq!(s1.field("skeleton").unwrap().code()[0].lang, "rust");
    // C1's category is still open, so the stricter form of both blocks is scaffolded
    assert_eq!(s1.model.as_ref().expect("§7.M block").fields.len(), 6);
    assert_eq!(s1.surface.as_ref().expect("§7.M.S block").fields.len(), 8);
    assert!(s1.model_na.is_none() && s1.surface_na.is_none());
    assert!(
        s1.declared_arms().is_empty(),
        "no arm IDs before anyone picks them"
    );
    assert!(p.literals.iter().all(|l| !l.malformed), "{:?}", p.literals);
    for n in ["7d", "8", "9", "0", "2"] {
        assert!(p.section(n).unwrap().has_content, "§{n} is empty");
    }
}

#[test]
fn change_scoped_plan_has_every_section_in_order() {
    let t = repo_two_commits();
    let out = dstplan(t.path(), &["new", "x", "--mode", "change-scoped"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = t.path().join("testing-plans/x.md");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        path.canonicalize().unwrap().display().to_string()
    );
    let (_, p) = read_plan(&path);
    assert_eq!(
        section_numbers(&p),
        ["0", "1", "1b", "1c", "2", "4", "6", "6b", "7", "7b", "7c", "7d", "8", "9"]
    );
    assert_eq!(p.mode().as_deref(), Some("change-scoped"));
    assert_common_structure(&p, "x");
    let change = &p.header_field("change under test").unwrap().value;
    assert!(
        change.contains(&format!("(HEAD {})", head(t.path()))),
        "{change}"
    );
    assert!(change.contains("plus uncommitted changes"), "{change}");
    assert!(change.contains("base: HEAD~1"), "{change}");
}

#[test]
fn change_scoped_plan_lists_exactly_the_changed_files() {
    let t = repo_two_commits();
    let out = dstplan(t.path(), &["new", "x"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, p) = read_plan(&t.path().join("testing-plans/x.md"));
    assert_eq!(
        files_touched(&p),
        [
            "a.txt (modified)",
            "b.txt (deleted)",
            "new.txt (renamed from old.txt)",
            "src/c.txt (added)",
            "u.txt (added, untracked)",
        ]
    );
}

#[test]
fn untracked_names_that_look_like_pathspec_magic_and_moves_without_git_mv_are_listed() {
    let t = repo_two_commits();
    let d = t.path();
    write(d, ":(glob)odd*.txt", "x\n");
    // a committed file moved without `git mv`: one rename, not a delete and an add
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "three"]);
    let body = "line one\nline two\nline three\nline four\n";
    write(d, "docs/moved-from.md", body);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "four"]);
    std::fs::rename(d.join("docs/moved-from.md"), d.join("docs/moved-to.md")).unwrap();
    write(d, ":(glob)odd2*.txt", "y\n");
    let out = dstplan(d, &["new", "x", "--base", "HEAD"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, p) = read_plan(&d.join("testing-plans/x.md"));
    assert_eq!(
        files_touched(&p),
        [
            ":(glob)odd2*.txt (added, untracked)",
            "docs/moved-to.md (renamed from docs/moved-from.md)",
        ]
    );
    // the user's index is untouched: the moved file is still staged as it was
    let status = Command::new("git")
        .arg("-C")
        .arg(d)
        .args(["status", "--porcelain"])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains(" D docs/moved-from.md"), "{status}");
    assert!(status.contains("?? docs/moved-to.md"), "{status}");
}

#[test]
fn default_base_is_the_merge_base_with_main_on_a_feature_branch() {
    let t = repo_two_commits();
    let d = t.path();
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "three"]);
    git(d, &["checkout", "-q", "-b", "feature"]);
    write(d, "feature.txt", "f\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "feature work"]);
    write(d, "feature2.txt", "f2\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "more feature work"]);
    // main moves on after the branch point: its files are not part of the change
    git(d, &["checkout", "-q", "main"]);
    write(d, "main-only.txt", "m\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "main moves"]);
    git(d, &["checkout", "-q", "feature"]);
    let out = dstplan(d, &["new", "feat"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, p) = read_plan(&d.join("testing-plans/feat.md"));
    assert_eq!(
        files_touched(&p),
        ["feature.txt (added)", "feature2.txt (added)"]
    );
    let change = &p.header_field("change under test").unwrap().value;
    assert!(change.contains("base: merge-base with main"), "{change}");
    assert!(!change.contains("uncommitted"), "{change}");
}

#[test]
fn explicit_base_and_a_missing_base() {
    let t = repo_two_commits();
    let d = t.path();
    let out = dstplan(d, &["new", "y", "--base", "HEAD"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, p) = read_plan(&d.join("testing-plans/y.md"));
    // only the uncommitted changes differ from HEAD
    assert_eq!(
        files_touched(&p),
        [
            "b.txt (deleted)",
            "new.txt (renamed from old.txt)",
            "u.txt (added, untracked)",
        ]
    );
    let out = dstplan(d, &["new", "z", "--base", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no-such-branch") && err.contains("does not exist"),
        "{err}"
    );
    assert!(!d.join("testing-plans/z.md").exists());
}

#[test]
fn project_wide_plan_has_sections_3_and_5_and_the_inventory() {
    let t = repo_two_commits();
    let d = t.path();
    write(
        d,
        "tests/cluster.rs",
        "#[test]\nfn leader_is_elected() {}\n\n#[test]\n#[ignore]\nfn slow() {}\n",
    );
    write(d, "Makefile", "chaos:\n\t./kill.sh\n");
    let out = dstplan(
        d,
        &["new", "pw", "--mode", "project-wide", "--sut", "toy 1.0"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (src, p) = read_plan(&d.join("testing-plans/pw.md"));
    assert_eq!(
        section_numbers(&p),
        ["0", "1", "1b", "1c", "2", "3", "4", "5", "6", "6b", "7", "7b", "7c", "7d", "8", "9"]
    );
    assert!(p.is_project_wide());
    assert_common_structure(&p, "pw");
    assert_eq!(
        p.header_field("change under test").unwrap().value,
        "N/A — project-wide"
    );
    assert_eq!(p.header_field("sut").unwrap().value, "toy 1.0");
    assert!(p.files_touched.is_none());
    let inv = p.inventory_table.as_ref().expect("§3 table");
    for c in [
        "test / harness",
        "subsystem",
        "invariant pinned",
        "failure modes it catches",
    ] {
        assert!(inv.headers.iter().any(|h| h == c), "{c}");
    }
    // one row per suite: the Rust integration tests; harnesses are listed under the table
    assert_eq!(inv.rows.len(), 1, "{src}");
    let first = &inv.rows[0].cells[0].text;
    assert!(
        first.contains("tests/") && first.contains("Rust integration tests"),
        "{first}"
    );
    assert_eq!(inv.rows[0].cells[2].text, "2 (1 ignored/skipped)", "{src}");
    assert!(src.contains("- **make targets:** `chaos`"), "{src}");
    assert!(
        src.contains("**CI:** no GitHub Actions or GitLab CI configuration found"),
        "{src}"
    );
    // one placeholder per suite, for the reader's judgement
    let row = &inv.rows[0].cells;
    assert!(row[4].text.starts_with("{{TODO:"));
    assert!(!row[5].text.contains("{{TODO"));
    let cov = p.coverage_table.as_ref().expect("§5 table");
    for c in [
        "claim",
        "hypothesis",
        "existing tests",
        "verdict",
        "gap kind",
        "recommended scenario",
    ] {
        assert!(cov.headers.iter().any(|h| h == c), "§5 lacks {c}");
    }
}

#[test]
fn running_new_twice_exits_2_and_leaves_the_file_byte_identical() {
    let t = repo_two_commits();
    let d = t.path();
    assert_eq!(dstplan(d, &["new", "x"]).status.code(), Some(0));
    let path = d.join("testing-plans/x.md");
    let before = std::fs::read(&path).unwrap();
    // the tree changes meanwhile, so a second render would differ
    write(d, "another.txt", "x\n");
    let out = dstplan(d, &["new", "x"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let out = dstplan(d, &["new", "x", "--mode", "project-wide"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // --force replaces it
    let out = dstplan(d, &["new", "x", "--force"]);
    assert_eq!(out.status.code(), Some(0));
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(after.contains("`another.txt` (added, untracked)"));
    assert!(
        !after.contains("testing-plans/x.md` ("),
        "the plan does not list itself"
    );
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn invalid_slugs_exit_2_with_the_rule() {
    let t = repo_two_commits();
    for slug in [
        "Upper",
        "-lead",
        "trail-",
        "sp ace",
        "under_score",
        "dot.md",
    ] {
        let out = dstplan(t.path(), &["new", "--", slug]);
        assert_eq!(out.status.code(), Some(2), "{slug}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("lowercase letters, digits and `-`, not starting or ending with `-`"),
            "{err}"
        );
    }
    assert!(!t.path().join("testing-plans").exists());
}

#[test]
fn docs_testing_plans_is_used_when_it_exists_and_out_overrides() {
    let t = repo_two_commits();
    let d = t.path();
    std::fs::create_dir_all(d.join("docs/testing-plans")).unwrap();
    std::fs::create_dir_all(d.join("sub/dir")).unwrap();
    // run from a subdirectory: the plan still lands at the repository root
    let out = dstplan(&d.join("sub/dir"), &["new", "x"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(d.join("docs/testing-plans/x.md").is_file());
    let (src, _) = read_plan(&d.join("docs/testing-plans/x.md"));
    assert!(
        src.contains("//! plan: docs/testing-plans/x.md"),
        "provenance path"
    );
    let out = dstplan(d, &["new", "y", "--out", "elsewhere/plan.md"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(d.join("elsewhere/plan.md").is_file());
}

#[test]
fn outside_a_repository_the_change_is_a_placeholder() {
    let t = tempfile::tempdir().unwrap();
    if Command::new("git")
        .arg("-C")
        .arg(t.path())
        .args(["rev-parse", "--git-dir"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        eprintln!("skipped: the temporary directory is inside a git repository");
        return;
    }
    let out = dstplan(t.path(), &["new", "x"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, p) = read_plan(&t.path().join("testing-plans/x.md"));
    assert!(p
        .header_field("change under test")
        .unwrap()
        .value
        .starts_with("{{TODO:"));
    assert_eq!(files_touched(&p).len(), 1);
    assert!(files_touched(&p)[0].starts_with("{{TODO:"));
    let out = dstplan(t.path(), &["new", "y", "--base", "main"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--base needs a git repository"));
}

#[test]
fn templates_dir_overrides_file_by_file() {
    let t = repo_two_commits();
    let d = t.path();
    let tpl = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tpl.path().join("skeletons")).unwrap();
    std::fs::write(
        tpl.path().join("skeletons/rust.j2"),
        "// house style for {{ scenario_id }} from {{ plan_path }}\n#[test]\nfn x() {}\n",
    )
    .unwrap();
    let tpl_s = tpl.path().to_str().unwrap();
    let out = dstplan(d, &["new", "x", "--templates", tpl_s]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (src, p) = read_plan(&d.join("testing-plans/x.md"));
    assert!(src.contains("// house style for S1 from testing-plans/x.md"));
    // the other templates are the built-in ones
    assert_eq!(p.sections.len(), 14);
    // a misspelt override is reported, not silently ignored
    std::fs::write(tpl.path().join("scenario.md.jinja"), "x").unwrap();
    let out = dstplan(d, &["new", "w", "--templates", tpl_s]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("scenario.md.jinja matches no built-in template"),
        "{err}"
    );
    // a broken override is exit 2 naming the file and line, and nothing is written
    std::fs::write(tpl.path().join("scenario.md.j2"), "ok\n{{ oops(\n").unwrap();
    let out = dstplan(d, &["new", "y", "--templates", tpl_s]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("scenario.md.j2:2"), "{err}");
    assert!(!d.join("testing-plans/y.md").exists());
    let out = dstplan(d, &["new", "z", "--templates", "/no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
}

/// The binary that runs `lint`: this crate's, or `DSTPLAN_LINT_BIN` when set (to check the
/// scaffold against a lint built from another branch before the merge).
fn lint_bin(dir: &Path, args: &[&str]) -> Output {
    match std::env::var_os("DSTPLAN_LINT_BIN") {
        Some(bin) => Command::new(bin)
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run the lint binary"),
        None => dstplan(dir, args),
    }
}

fn lint_error_codes(dir: &Path, plan: &Path) -> Vec<String> {
    let out = lint_bin(dir, &["lint", "--format", "json", plan.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("lint json: {}", String::from_utf8_lossy(&out.stdout)));
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| format!("{} {}", d["code"].as_str().unwrap_or(""), d["message"]))
        .collect()
}

fn assert_only_placeholder_errors(dir: &Path, plan: PathBuf) {
    let errors = lint_error_codes(dir, &plan);
    assert!(
        !errors.is_empty(),
        "a fresh scaffold has placeholders to fill"
    );
    let other: Vec<_> = errors
        .iter()
        .filter(|e| !e.starts_with("DST070 "))
        .collect();
    assert!(other.is_empty(), "non-placeholder errors: {other:#?}");
}

#[test]
fn lint_change_scoped_scaffold_has_only_placeholder_errors() {
    let t = repo_two_commits();
    assert_eq!(dstplan(t.path(), &["new", "x"]).status.code(), Some(0));
    assert_only_placeholder_errors(t.path(), t.path().join("testing-plans/x.md"));
}

#[test]
fn lint_project_wide_scaffold_has_only_placeholder_errors() {
    let t = repo_two_commits();
    write(t.path(), "tests/a.rs", "#[test]\nfn a() {}\n");
    assert_eq!(
        dstplan(t.path(), &["new", "x", "--mode", "project-wide"])
            .status
            .code(),
        Some(0)
    );
    assert_only_placeholder_errors(t.path(), t.path().join("testing-plans/x.md"));
}
