//! `dstplan inventory`: the SUT's existing tests and harnesses, for §3 of a plan.
//!
//! A plan's §3 says what the SUT already tests, so the plan spends its effort on the gaps.
//! This module walks a repository and lists:
//!
//! | kind | what | where |
//! |---|---|---|
//! | `rust-test` | `#[test]`, `#[tokio::test]`, any `#[path::test]`; `ignored` for `#[ignore]` | `*.rs` |
//! | `go-test`, `go-benchmark`, `go-fuzz` | `func TestX(t *testing.T)`, `BenchmarkX`, `FuzzX` | `*_test.go` |
//! | `python-test`, `python-test-class` | `def test_…`, `class Test…` (pytest); `ignored` under `@pytest.mark.skip…`/`@unittest.skip…` | `test_*.py`, `*_test.py` |
//! | `js-test`, `js-suite` | `it(`/`test(`, `describe(`; `ignored` for `x…`, `.skip`, `.todo` | `*.test.*`, `*.spec.*`, `__tests__/` |
//! | `shell-test`, `bats-test` | shell test scripts; each bats `@test` | `*test*.sh`, `*.bats` |
//! | `compose` | docker-compose files | `docker-compose*.yml`, `compose*.yaml` … |
//! | `ci-workflow` | CI definitions | `.github/workflows/*.yml`, `.gitlab-ci.yml`, `.circleci/config.yml`, `Jenkinsfile` … |
//! | `make-target`, `just-recipe` | targets whose name has `test`, `chaos` or `bench` | `Makefile`, `*.mk`, `justfile` |
//! | `fault-injection` | scripts using `kill -9`/`-STOP`, `iptables`, `tc qdisc`, `netem`, `toxiproxy`, `pumba` | scripts, Makefiles, YAML, test files |
//!
//! A Rust test written inside a `macro_rules!` body (`#[test] fn $name()`) is listed once,
//! under its metavariable name (`$name`), since each invocation makes one test.
//!
//! Fault-injection mechanisms on comment lines are not counted (a script that *mentions*
//! `iptables` in a comment is not a harness); mentions in string literals still are.
//!
//! The line of a test is the line of its name (`fn x`, `func TestX`, `def test_x`, the
//! `it("…"` call); for files (compose, CI, shell tests) it is 1; for fault injection, the
//! first line that uses a mechanism.
//!
//! **Speed.** The walk uses the `ignore` crate in parallel (it honours `.gitignore`, `.ignore`
//! and git's excludes — `.gitignore` even outside a git checkout, e.g. in an unpacked source
//! tarball, since what a project ignores is rarely where its tests live; hidden files are
//! walked so `.github/` is seen; `.git/`, `.hg/`, `.svn/` and `node_modules/` are skipped).
//! Only files whose name can matter are opened; each is checked with one literal search
//! (`regex` compiles literal alternations to a SIMD substring search) before any line is
//! looked at, so a tree of mostly non-test sources costs little more than the walk.
//!
//! **JSON schema** (`--format json`): documented in USAGE.md ("What the repository already
//! tests"). Each item has `id` (`path::scope::name`), `kind`, `name`, `path` (relative to
//! `root`, `/`-separated), `line` (1-based), `subsystem` (the file's directory, `.` for the
//! root), `ignored`, `detail` (the test attribute, the mechanisms found, the workflow's
//! `name:`, or null), `framework`, and on tests `ci: {runs, why}` (see [`select`]). Items are
//! sorted by path, then line. `files_seen` counts files the walk visited, `files_read` those
//! opened; `ci_files`, `ci_commands` and `ci_not_read` say what [`ci`] read; `delta` (with
//! `--base`) is [`delta::Delta`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use ignore::{WalkBuilder, WalkState};
use regex::bytes::Regex;
use serde::Serialize;

use super::Error;

pub mod ci;
pub mod delta;
pub mod detect;
pub mod select;
pub mod suites;

/// Files larger than this are skipped (generated code, data).
const MAX_FILE: u64 = 4 * 1024 * 1024;

/// One test or harness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// `path::scope::name` (`#2`, `#3` … for a repeated name in one file).
    pub id: String,
    pub kind: &'static str,
    pub name: String,
    pub path: String,
    pub line: usize,
    pub subsystem: String,
    pub ignored: bool,
    pub detail: Option<String>,
    /// The test framework (`cargo`, `go`, `pytest`, `bun:test`, `vitest`, `jest`,
    /// `node:test`, `mocha`, `bats`, `shell`); null for harness items.
    pub framework: Option<&'static str>,
    /// Whether CI runs it (tests only; absent for harness items).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci: Option<select::CiRun>,
    #[serde(skip)]
    pub meta: Meta,
}

/// What selection needs to know about a test beyond its name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    /// Enclosing scopes: Rust inline modules, a pytest class.
    pub scope: Vec<String>,
    /// pytest markers on the test, its class and its module.
    pub markers: Vec<String>,
    /// Go: the file's `//go:build` constraint; Rust: a `cfg(feature …)` gate.
    pub gate: Option<String>,
    /// Go: the test calls `testing.Short()`.
    pub short: bool,
    /// A skip that depends on a condition (`skipif`, `cfg_attr(…, ignore)`).
    pub conditional_skip: Option<String>,
    /// JS: the file has `describe` blocks (the full name may carry a prefix).
    pub described: bool,
}

/// The result of a walk.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub root: PathBuf,
    pub items: Vec<Item>,
    pub files_seen: usize,
    pub files_read: usize,
    pub elapsed: Duration,
    /// What CI runs (empty until [`scan_with_ci`] reads it).
    pub ci: ci::CiConfig,
}

/// Worker threads for the walk: the machine's parallelism, at most 8.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Rust,
    Go,
    Python,
    Js,
    ShellTest,
    Bats,
    Compose,
    Ci,
    Make,
    Just,
    /// Only checked for fault injection.
    Script,
}

fn ext(name: &str) -> &str {
    name.rsplit_once('.').map_or("", |(_, e)| e)
}

fn is_yaml(name: &str) -> bool {
    matches!(ext(name), "yml" | "yaml")
}

fn classify(rel: &str, name: &str) -> Option<Class> {
    let e = ext(name);
    if e == "rs" {
        return Some(Class::Rust);
    }
    if name.ends_with("_test.go") {
        return Some(Class::Go);
    }
    if e == "py" {
        return Some(if name.starts_with("test_") || name.ends_with("_test.py") {
            Class::Python
        } else {
            Class::Script
        });
    }
    if matches!(
        e,
        "js" | "jsx" | "ts" | "tsx" | "mjs" | "cjs" | "mts" | "cts"
    ) {
        if name.contains(".test.") || name.contains(".spec.") || rel.contains("__tests__/") {
            return Some(Class::Js);
        }
        return None;
    }
    if e == "bats" {
        return Some(Class::Bats);
    }
    if matches!(e, "sh" | "bash") {
        return Some(if name.to_ascii_lowercase().contains("test") {
            Class::ShellTest
        } else {
            Class::Script
        });
    }
    if matches!(name, "Makefile" | "makefile" | "GNUmakefile") || e == "mk" {
        return Some(Class::Make);
    }
    if matches!(name, "justfile" | "Justfile" | ".justfile") {
        return Some(Class::Just);
    }
    if (rel.starts_with(".github/workflows/") && is_yaml(name))
        || (rel.starts_with(".buildkite/") && is_yaml(name))
        || rel == ".circleci/config.yml"
        || matches!(
            name,
            ".gitlab-ci.yml"
                | "Jenkinsfile"
                | "azure-pipelines.yml"
                | ".travis.yml"
                | "bitbucket-pipelines.yml"
                | ".drone.yml"
        )
    {
        return Some(Class::Ci);
    }
    if is_yaml(name)
        && (name.starts_with("docker-compose")
            || name.starts_with("compose.")
            || name == "compose.yml")
    {
        return Some(Class::Compose);
    }
    if is_yaml(name) || name == "Dockerfile" || matches!(e, "zsh" | "rb" | "pl") {
        return Some(Class::Script);
    }
    None
}

macro_rules! re {
    ($vis:vis $name:ident, $re:expr) => {
        $vis static $name: LazyLock<Regex> = LazyLock::new(|| Regex::new($re).expect("regex"));
    };
}

mod scan;

use scan::{scan_file, RUST_PRE};

re!(JS_BUN, r#"['"]bun:test['"]"#);
re!(
    JS_VITEST,
    r#"from[ \t]+['"]vitest['"]|require\(['"]vitest['"]\)"#
);
re!(
    JS_JEST,
    r#"['"]@jest/globals['"]|\bjest\.(?:fn|mock|spyOn)\("#
);
re!(JS_NODE, r#"['"]node:test['"]"#);

/// The framework a file's tests belong to; for JS/TS, from its imports (None when it
/// imports no runner: the package's runner decides, see `select.rs`).
fn framework(class: Class, buf: &[u8]) -> Option<&'static str> {
    match class {
        Class::Rust => Some("cargo"),
        Class::Go => Some("go"),
        Class::Python => Some("pytest"),
        Class::Bats => Some("bats"),
        Class::ShellTest => Some("shell"),
        Class::Js => {
            if JS_BUN.is_match(buf) {
                Some("bun:test")
            } else if JS_VITEST.is_match(buf) {
                Some("vitest")
            } else if JS_NODE.is_match(buf) {
                Some("node:test")
            } else if JS_JEST.is_match(buf) {
                Some("jest")
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Give each item its ID: `path::scope::name`, with `#N` for the N-th repeat in a file.
fn assign_ids(items: &mut [Item]) {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for it in items.iter_mut() {
        let mut id = it.path.clone();
        for sc in &it.meta.scope {
            id.push_str("::");
            id.push_str(sc);
        }
        id.push_str("::");
        id.push_str(if it.name.is_empty() {
            it.kind
        } else {
            &it.name
        });
        let n = seen.entry(id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            id.push_str(&format!("#{n}"));
        }
        it.id = id;
    }
}

/// Whether a repository-relative path is a test file, a harness or CI configuration (what
/// makes a change-scoped plan carry §3 and §5).
/// A Rust source file counts when it holds a test (read from `root`).
pub fn touches_tests_or_ci(root: &Path, rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    match classify(rel, name) {
        Some(Class::Rust) => {
            rel.starts_with("tests/")
                || rel.contains("/tests/")
                || std::fs::read(root.join(rel)).is_ok_and(|b| RUST_PRE.is_match(&b))
        }
        Some(Class::Script) | None => {
            name == "package.json" || name == "pytest.ini" || name == "conftest.py"
        }
        Some(_) => true,
    }
}

/// Walk `root` and list its tests and harnesses.
pub fn scan(root: &Path, threads: usize) -> Result<Inventory, Error> {
    if !root.is_dir() {
        return Err(Error::new(
            "is not a directory; pass the SUT's repository (e.g. dstplan inventory ../etcd)",
        )
        .in_file(root, None));
    }
    let started = Instant::now();
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let seen = AtomicUsize::new(0);
    let read = AtomicUsize::new(0);
    let items: Mutex<Vec<Item>> = Mutex::new(Vec::new());
    let walker = WalkBuilder::new(&root)
        .hidden(false)
        .parents(true)
        .git_ignore(true)
        .require_git(false)
        .git_exclude(true)
        .git_global(true)
        .ignore(true)
        .follow_links(false)
        .threads(threads.max(1))
        .filter_entry(|e| {
            !(e.file_type().is_some_and(|t| t.is_dir())
                && matches!(
                    e.file_name().to_str(),
                    Some(".git" | ".hg" | ".svn" | "node_modules")
                ))
        })
        .build_parallel();
    walker.run(|| {
        let root = &root;
        let seen = &seen;
        let read = &read;
        let items = &items;
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            seen.fetch_add(1, Ordering::Relaxed);
            let path = entry.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                return WalkState::Continue;
            };
            let rel = path
                .strip_prefix(root)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/");
            let Some(class) = classify(&rel, name) else {
                return WalkState::Continue;
            };
            if entry.metadata().is_ok_and(|m| m.len() > MAX_FILE) {
                return WalkState::Continue;
            }
            let Ok(buf) = std::fs::read(path) else {
                return WalkState::Continue;
            };
            read.fetch_add(1, Ordering::Relaxed);
            let mut found = Vec::new();
            scan_file(class, &buf, &mut found);
            if found.is_empty() {
                return WalkState::Continue;
            }
            let subsystem = match rel.rsplit_once('/') {
                Some((dir, _)) => dir.to_string(),
                None => ".".to_string(),
            };
            let fw = framework(class, &buf);
            let mut v = items.lock().unwrap_or_else(|p| p.into_inner());
            for f in found {
                let framework = match f.kind {
                    "fault-injection" | "compose" | "ci-workflow" | "make-target"
                    | "just-recipe" => None,
                    _ => fw,
                };
                v.push(Item {
                    id: String::new(),
                    framework,
                    ci: None,
                    meta: f.meta,
                    kind: f.kind,
                    name: f.name,
                    path: rel.clone(),
                    line: f.line,
                    subsystem: subsystem.clone(),
                    ignored: f.ignored,
                    detail: f.detail,
                });
            }
            WalkState::Continue
        })
    });
    let mut items = items.into_inner().unwrap_or_else(|p| p.into_inner());
    items.sort_by(|a, b| {
        (a.path.as_str(), a.line, a.kind, a.name.as_str()).cmp(&(
            b.path.as_str(),
            b.line,
            b.kind,
            b.name.as_str(),
        ))
    });
    assign_ids(&mut items);
    Ok(Inventory {
        root,
        items,
        files_seen: seen.into_inner(),
        files_read: read.into_inner(),
        elapsed: started.elapsed(),
        ci: ci::CiConfig::default(),
    })
}

/// [`scan`], then read the CI configuration and give every test its `ci` verdict.
pub fn scan_with_ci(root: &Path, threads: usize) -> Result<Inventory, Error> {
    let started = Instant::now();
    let mut inv = scan(root, threads)?;
    inv.ci = ci::read(&inv.root);
    let cfg = inv.ci.clone();
    select::annotate(&mut inv, &cfg);
    inv.elapsed = started.elapsed();
    Ok(inv)
}

/// One §3 row: the `Test / harness` and `Subsystem` cells (the other two are placeholders).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section3Row {
    pub test: String,
    pub subsystem: String,
}

fn describe(kind: &str, n: usize) -> String {
    let (one, many) = match kind {
        "rust-test" => ("Rust test", "Rust tests"),
        "go-test" => ("Go test", "Go tests"),
        "go-benchmark" => ("Go benchmark", "Go benchmarks"),
        "go-fuzz" => ("Go fuzz test", "Go fuzz tests"),
        "python-test" => ("pytest test", "pytest tests"),
        "python-test-class" => ("pytest class", "pytest classes"),
        "js-test" => ("JS/TS test", "JS/TS tests"),
        "js-suite" => ("JS/TS suite", "JS/TS suites"),
        "bats-test" => ("bats test", "bats tests"),
        "make-target" => ("Make target", "Make targets"),
        "just-recipe" => ("just recipe", "just recipes"),
        "shell-test" => ("shell test script", "shell test scripts"),
        "compose" => ("docker-compose file", "docker-compose files"),
        "ci-workflow" => ("CI workflow", "CI workflows"),
        _ => ("fault-injection script", "fault-injection scripts"),
    };
    if n == 1 {
        one.to_string()
    } else {
        format!("{n} {many}")
    }
}

/// The §3 rows: one per file and kind, grouped by subsystem (directory), each listing its
/// tests with their lines.
pub fn section3_rows(inv: &Inventory) -> Vec<Section3Row> {
    let mut groups: BTreeMap<(&str, &str, &str), Vec<&Item>> = BTreeMap::new();
    for it in &inv.items {
        groups
            .entry((it.subsystem.as_str(), it.path.as_str(), it.kind))
            .or_default()
            .push(it);
    }
    let mut rows = Vec::new();
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_by_key(|((sub, path, _), its)| {
        (*sub, *path, its.iter().map(|i| i.line).min().unwrap_or(1))
    });
    for ((sub, path, kind), its) in groups {
        let first = its.iter().map(|i| i.line).min().unwrap_or(1);
        let loc = super::code_span(&plain(&format!("{path}:{first}")));
        let named: Vec<String> = its
            .iter()
            .filter(|i| !i.name.is_empty())
            .map(|i| {
                let mut t = format!("{} (line {}", super::code_span(&plain(&i.name)), i.line);
                if i.ignored {
                    t.push_str(", ignored: not run by default");
                }
                t.push(')');
                t
            })
            .collect();
        let mut test = format!("{loc} {}", describe(kind, its.len()));
        if kind == "fault-injection" {
            test = format!("{loc} fault injection: {}", plain(&its[0].name));
        } else if kind == "ci-workflow" {
            if let Some(d) = &its[0].detail {
                test = format!("{loc} CI workflow {}", plain(d));
            }
        } else if !named.is_empty() {
            test.push_str(": ");
            test.push_str(&named.join(", "));
        }
        // one escaping pass: GFM tables need `\|` even inside code spans
        rows.push(Section3Row {
            test: test.replace('|', "\\|"),
            subsystem: plain(sub).replace('|', "\\|"),
        });
    }
    rows
}

/// Text for a table cell before pipe escaping: whitespace folded, backticks made quotes (the
/// cell's code spans are ours).
fn plain(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('`', "'")
}

/// §3 by suite (see [`suites`]), ready to paste into a plan.
pub fn render_markdown(inv: &Inventory, delta: Option<&delta::Delta>) -> String {
    suites::render(inv, delta)
}

/// The per-test §3 table (`--per-test`): one row per file and kind.
pub fn render_per_test(inv: &Inventory) -> String {
    let mut s = String::from(
        "| Test / harness | Subsystem | Invariant pinned | Failure modes it catches |\n|---|---|---|---|\n",
    );
    for r in section3_rows(inv) {
        s.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.test,
            r.subsystem,
            super::templates::todo("what this test pins"),
            super::templates::todo("failure modes it catches")
        ));
    }
    s
}

/// The inventory as JSON (schema in the module doc).
pub fn render_json(inv: &Inventory, delta: Option<&delta::Delta>) -> String {
    let mut v = serde_json::json!({
        "version": 1,
        "root": inv.root.display().to_string(),
        "files_seen": inv.files_seen,
        "files_read": inv.files_read,
        "ci_files": inv.ci.files,
        "ci_commands": inv.ci.invocations.iter().map(|i| serde_json::json!({
            "source": i.source, "cwd": i.cwd, "command": i.display,
            "condition": i.condition, "unresolved": i.unresolved,
        })).collect::<Vec<_>>(),
        "ci_not_read": inv.ci.opaque,
        "items": inv.items,
    });
    if let Some(d) = delta {
        v["delta"] = serde_json::to_value(d).expect("json");
    }
    let mut out = serde_json::to_string_pretty(&v).expect("json");
    out.push('\n');
    out
}
