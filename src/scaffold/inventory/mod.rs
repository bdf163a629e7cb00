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
//! **JSON schema** (`--format json`), one object:
//!
//! ```json
//! {"version": 1,
//!  "root": "/abs/path/of/repo",
//!  "files_seen": 1234, "files_read": 56,
//!  "items": [{"kind": "rust-test", "name": "elects_a_leader", "path": "src/raft.rs",
//!             "line": 42, "subsystem": "src", "ignored": false,
//!             "detail": "#[tokio::test]"}]}
//! ```
//!
//! `path` is relative to `root`, `/`-separated; `line` is 1-based; `subsystem` is the
//! directory holding the file (`.` for the root); `detail` is the test attribute (Rust), the
//! mechanisms found (fault injection), the workflow's `name:` (CI), or `null`. Items are
//! sorted by path, then line. `files_seen` counts files the walk visited, `files_read` those
//! opened.

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
    ($name:ident, $re:expr) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| Regex::new($re).expect("regex"));
    };
}

re!(RUST_PRE, r"#\[test\]|::test\b|#\[test\(");
re!(RUST_TEST_ATTR, r"^(?:[A-Za-z_][A-Za-z0-9_]*::)*test\b");
re!(
    RUST_FN,
    r#"^(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?(?:extern\s+"[^"]*"\s+)?fn\s+([A-Za-z_][A-Za-z0-9_]*)"#
);
re!(
    RUST_MACRO_FN,
    r"^(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?fn\s+(\$[A-Za-z_][A-Za-z0-9_]*)"
);
re!(
    GO_TEST,
    r"(?m)^func[ \t]+((Test|Benchmark|Fuzz)(?:[^a-z\W]\w*)?)[ \t]*\([ \t]*\w+[ \t]+\*testing\.([TBF])[ \t]*\)"
);
re!(
    PY_TEST,
    r"(?m)^([ \t]*)(?:(?:async[ \t]+)?def[ \t]+(test\w*)[ \t]*\(|class[ \t]+(Test\w*)[ \t]*[:(])"
);
re!(PY_MARK, r"pytest\.mark\.(\w+)");
re!(PY_MODMARK, r"(?m)^pytestmark[ \t]*=[ \t]*(.+)$");
re!(GO_BUILD, r"(?m)^//go:build[ \t]+(.+?)[ \t]*$");
re!(
    RUST_MOD,
    r"^(?:pub(?:\([^)]*\))?\s+)?mod\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{"
);
re!(
    JS_TEST,
    r#"(?m)^[ \t]*(x|f)?(it|test|describe)(?:\.(\w+))?[ \t]*\((?:[ \t]*(['"`])([^'"`\n]*)['"`])?"#
);
re!(BATS_TEST, r#"(?m)^[ \t]*@test[ \t]+(['"])(.*?)['"]"#);
re!(
    MAKE_TARGET,
    r"(?m)^([A-Za-z0-9_.%/\-][A-Za-z0-9_.%/ \t\-]*?)[ \t]*::?(?:[^=]|$)"
);
re!(
    JUST_RECIPE,
    r"(?m)^@?([A-Za-z_][A-Za-z0-9_-]*)(?:[ \t]+[^:\n]*)?[ \t]*:(?:[^=]|$)"
);
re!(NAME_KEYWORD, r"(?i)test|chaos|bench");
re!(
    FAULT,
    r"\b(?:pkill|killall|kill)[ \t]+(?:-s[ \t]+|-)(?:9|KILL|SIGKILL|STOP|SIGSTOP)\b|\biptables\b|\btc[ \t]+qdisc\b|\bnetem\b|[Tt]oxiproxy|\bpumba\b"
);
re!(CI_NAME, r"(?m)^name:[ \t]*(.+?)[ \t]*$");

/// Line numbers for byte offsets, computed incrementally (offsets must not decrease).
struct Lines<'a> {
    buf: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Lines {
            buf,
            pos: 0,
            line: 1,
        }
    }
    fn at(&mut self, off: usize) -> usize {
        if off < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        self.line += self.buf[self.pos..off]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.pos = off;
        self.line
    }
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_string()
}

fn trim_start(b: &[u8]) -> &[u8] {
    let i = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[i..]
}

/// Net `{` minus `}` on a line of Rust, outside `//` comments, strings and char literals.
fn brace_delta(t: &[u8]) -> i32 {
    let mut d = 0;
    let mut i = 0;
    let mut in_str = false;
    while i < t.len() {
        let c = t[i];
        if in_str {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_str = false;
            }
        } else {
            match c {
                b'/' if t.get(i + 1) == Some(&b'/') => break,
                b'"' => in_str = true,
                b'\'' if t.get(i + 2) == Some(&b'\'') => i += 2,
                b'{' => d += 1,
                b'}' => d -= 1,
                _ => {}
            }
        }
        i += 1;
    }
    d
}

/// A line of Rust without its trailing `//` comment (one outside string literals).
fn strip_line_comment(t: &[u8]) -> &[u8] {
    let mut in_str = false;
    let mut i = 0;
    while i < t.len() {
        match t[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'/' if !in_str && t.get(i + 1) == Some(&b'/') => return &t[..i],
            _ => {}
        }
        i += 1;
    }
    t
}

/// `#![cfg(X)]`, `[cfg(X)`, `cfg(X)` → `X`.
fn cfg_inner(gate: &str) -> String {
    let g = gate.trim().trim_start_matches("#!").trim_start_matches('#');
    let g = g.trim_start_matches('[').trim_end_matches(']');
    let g = g.strip_prefix("cfg(").unwrap_or(g);
    g.strip_suffix(')').unwrap_or(g).trim().to_string()
}

/// Rust: attributes collected above each `fn`; a test attribute makes it a test. Inline
/// `mod x {` blocks are tracked (by brace depth) for the test's path.
fn scan_rust(buf: &[u8], out: &mut Vec<Found>) {
    let mut test_attr: Option<String> = None;
    let mut ignored = false;
    let mut cond_ignore: Option<String> = None;
    let mut gate: Option<String> = None;
    let mut file_gate: Option<String> = None;
    let mut attr = Vec::new();
    let mut depth: i32 = 0;
    let mut braces: i32 = 0;
    let mut mods: Vec<(String, i32, Option<String>)> = Vec::new();
    for (i, raw) in buf.split(|&b| b == b'\n').enumerate() {
        let t = trim_start(raw);
        if depth > 0 || t.starts_with(b"#[") || t.starts_with(b"#![") {
            if depth == 0 {
                attr.clear();
            }
            // a trailing `// comment` is not part of the attribute
            let code = strip_line_comment(t);
            attr.extend_from_slice(code);
            attr.push(b' ');
            for &c in code {
                match c {
                    b'[' => depth += 1,
                    b']' => depth -= 1,
                    _ => {}
                }
            }
            if depth <= 0 {
                depth = 0;
                if attr.starts_with(b"#!") {
                    let inner = attr.get(3..).unwrap_or(&[]);
                    if inner.starts_with(b"cfg(") && !inner.starts_with(b"cfg(test)") {
                        file_gate = Some(s(inner).trim_end_matches(']').to_string());
                    }
                    continue;
                }
                let inner = attr.get(2..).unwrap_or(&[]);
                if RUST_TEST_ATTR.is_match(inner) {
                    let a = s(&attr);
                    test_attr = Some(a.split_whitespace().collect::<Vec<_>>().join(" "));
                } else if inner.starts_with(b"ignore")
                    && inner
                        .get(6)
                        .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'_')
                {
                    ignored = true;
                } else if inner.starts_with(b"cfg_attr(")
                    && inner.windows(6).any(|w| w == b"ignore")
                {
                    cond_ignore = Some(s(&attr));
                } else if inner.starts_with(b"cfg(") && inner.windows(7).any(|w| w == b"feature") {
                    gate = Some(s(inner).trim_end_matches(']').to_string());
                }
            }
            continue;
        }
        if t.is_empty() || t.starts_with(b"//") {
            continue;
        }
        if let Some(c) = RUST_MOD.captures(t) {
            mods.push((s(&c[1]), braces + 1, gate.take()));
        }
        if let Some(a) = test_attr.take() {
            let scope: Vec<String> = mods.iter().map(|m| m.0.clone()).collect();
            // every enclosing gate must hold: the fn's, its modules', the file's
            let gates: Vec<String> = gate
                .iter()
                .chain(mods.iter().filter_map(|m| m.2.as_ref()))
                .chain(file_gate.iter())
                .map(|g| cfg_inner(g))
                .collect();
            let gate = match gates.len() {
                0 => None,
                1 => Some(format!("cfg({})", gates[0])),
                _ => Some(format!("cfg(all({}))", gates.join(", "))),
            };
            let meta = Meta {
                scope,
                gate,
                conditional_skip: cond_ignore.clone(),
                ..Meta::default()
            };
            if let Some(c) = RUST_FN.captures(t) {
                out.push(Found {
                    kind: "rust-test",
                    name: s(&c[1]),
                    line: i + 1,
                    ignored,
                    detail: Some(a),
                    meta,
                });
            } else if let Some(c) = RUST_MACRO_FN.captures(t) {
                // `#[test] fn $name()` in a macro_rules! body: one test per invocation
                out.push(Found {
                    kind: "rust-test",
                    name: s(&c[1]),
                    line: i + 1,
                    ignored,
                    detail: Some(format!("{a} in a macro: one test per invocation")),
                    meta,
                });
            }
        }
        ignored = false;
        cond_ignore = None;
        gate = None;
        braces += brace_delta(t);
        while mods.last().is_some_and(|m| braces < m.1) {
            mods.pop();
        }
    }
}

/// The decorator lines right above offset `start`, nearest first.
fn decorators(buf: &[u8], start: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut end = buf[..start].iter().rposition(|&b| b == b'\n');
    while let Some(e) = end {
        let s0 = buf[..e]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let line = trim_start(&buf[s0..e]);
        if !line.starts_with(b"@") {
            break;
        }
        out.push(s(line));
        end = if s0 == 0 { None } else { Some(s0 - 1) };
    }
    out
}

/// pytest markers named in decorators or a `pytestmark` value.
fn markers_in(text: &str, out: &mut Vec<String>) {
    for c in PY_MARK.captures_iter(text.as_bytes()) {
        let m = s(&c[1]);
        if !out.contains(&m) {
            out.push(m);
        }
    }
}

/// Whether the line holding `off` is a comment line (`//`, `#` not followed by `[` or `!`,
/// `*` inside a block comment, `--`): a mechanism named in prose is not a harness.
fn in_comment(buf: &[u8], off: usize) -> bool {
    let start = buf[..off]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let line = trim_start(&buf[start..off]);
    line.starts_with(b"//")
        || line.starts_with(b"--")
        || line.starts_with(b"* ")
        || (line.starts_with(b"#") && !line.starts_with(b"#[") && !line.starts_with(b"#!"))
}

struct Found {
    kind: &'static str,
    name: String,
    line: usize,
    ignored: bool,
    detail: Option<String>,
    meta: Meta,
}

fn scan_file(class: Class, buf: &[u8], out: &mut Vec<Found>) {
    let mut lines = Lines::new(buf);
    match class {
        Class::Rust => {
            if RUST_PRE.is_match(buf) {
                scan_rust(buf, out);
            }
        }
        Class::Go => {
            let go_build = GO_BUILD.captures(buf).map(|c| s(&c[1]));
            for c in GO_TEST.captures_iter(buf) {
                let kind = match &c[3] {
                    b"T" => "go-test",
                    b"B" => "go-benchmark",
                    _ => "go-fuzz",
                };
                let expect = match &c[2] {
                    b"Test" => b"T",
                    b"Benchmark" => b"B",
                    _ => b"F",
                };
                if &c[3] != expect {
                    continue;
                }
                let at = c.get(1).expect("group").start();
                let body_end =
                    memchr::memmem::find(&buf[at..], b"\nfunc ").map_or(buf.len(), |e| at + e);
                out.push(Found {
                    kind,
                    name: s(&c[1]),
                    line: lines.at(at),
                    ignored: false,
                    detail: None,
                    meta: Meta {
                        gate: go_build.clone(),
                        short: memchr::memmem::find(&buf[at..body_end], b"testing.Short()")
                            .is_some(),
                        ..Meta::default()
                    },
                });
            }
        }
        Class::Python => {
            let mut module_marks = Vec::new();
            for c in PY_MODMARK.captures_iter(buf) {
                markers_in(&s(&c[1]), &mut module_marks);
            }
            // classes open at an indentation: (indent, name, markers, skip)
            let mut classes: Vec<(usize, String, Vec<String>, Option<bool>)> = Vec::new();
            for c in PY_TEST.captures_iter(buf) {
                let indent = c.get(1).map_or(0, |m| m.len());
                while classes.last().is_some_and(|k| k.0 >= indent) {
                    classes.pop();
                }
                let whole = c.get(0).expect("match");
                let decos = decorators(buf, whole.start());
                let mut marks = Vec::new();
                let mut skip: Option<bool> = None;
                for d in &decos {
                    markers_in(d, &mut marks);
                    if d.starts_with("@pytest.mark.skipif")
                        || d.starts_with("@unittest.skipIf")
                        || d.starts_with("@unittest.skipUnless")
                    {
                        skip.get_or_insert(false);
                    } else if d.starts_with("@pytest.mark.skip") || d.starts_with("@unittest.skip")
                    {
                        skip = Some(true);
                    }
                }
                if let Some(m) = c.get(3) {
                    let name = s(m.as_bytes());
                    out.push(Found {
                        kind: "python-test-class",
                        name: name.clone(),
                        line: lines.at(m.start()),
                        ignored: skip == Some(true),
                        detail: None,
                        meta: Meta {
                            markers: marks.clone(),
                            ..Meta::default()
                        },
                    });
                    classes.push((indent, name, marks, skip));
                    continue;
                }
                let Some(m) = c.get(2) else { continue };
                if indent > 0 && classes.is_empty() {
                    continue; // a function nested in a function: not collected
                }
                let mut all = marks;
                let mut scope = Vec::new();
                if let Some(k) = classes.last() {
                    scope.push(k.1.clone());
                    for x in &k.2 {
                        if !all.contains(x) {
                            all.push(x.clone());
                        }
                    }
                    if skip.is_none() {
                        skip = k.3;
                    }
                }
                for x in &module_marks {
                    if !all.contains(x) {
                        all.push(x.clone());
                    }
                }
                if skip.is_none() && module_marks.iter().any(|m| m == "skip") {
                    skip = Some(true);
                }
                out.push(Found {
                    kind: "python-test",
                    name: s(m.as_bytes()),
                    line: lines.at(m.start()),
                    ignored: skip == Some(true),
                    detail: None,
                    meta: Meta {
                        scope,
                        conditional_skip: (skip == Some(false))
                            .then(|| "a `skipif` decorator".to_string()),
                        markers: all,
                        ..Meta::default()
                    },
                });
            }
        }
        Class::Js => {
            let described = memchr::memmem::find(buf, b"describe").is_some();
            for c in JS_TEST.captures_iter(buf) {
                let modifier = c.get(3).map(|m| m.as_bytes());
                if modifier.is_some_and(|m| {
                    !matches!(
                        m,
                        b"only" | b"skip" | b"todo" | b"each" | b"concurrent" | b"failing"
                    )
                }) {
                    continue; // `test.setup(`, `it.foo(`: not a test
                }
                let kind = if &c[2] == b"describe" {
                    "js-suite"
                } else {
                    "js-test"
                };
                let ignored = c.get(1).is_some_and(|m| m.as_bytes() == b"x")
                    || modifier.is_some_and(|m| m == b"skip" || m == b"todo");
                let name = c
                    .get(5)
                    .map(|m| s(m.as_bytes()))
                    .unwrap_or_else(|| "(computed name)".into());
                let m2 = c.get(2).expect("group");
                out.push(Found {
                    kind,
                    name,
                    line: lines.at(m2.start()),
                    ignored,
                    detail: None,
                    meta: Meta {
                        described,
                        ..Meta::default()
                    },
                });
            }
        }
        Class::Bats => {
            for c in BATS_TEST.captures_iter(buf) {
                out.push(Found {
                    kind: "bats-test",
                    name: s(&c[2]),
                    line: lines.at(c.get(0).expect("m").start()),
                    ignored: false,
                    detail: None,
                    meta: Meta::default(),
                });
            }
        }
        Class::ShellTest => out.push(Found {
            kind: "shell-test",
            name: String::new(),
            line: 1,
            ignored: false,
            detail: None,
            meta: Meta::default(),
        }),
        Class::Compose => out.push(Found {
            kind: "compose",
            name: String::new(),
            line: 1,
            ignored: false,
            detail: None,
            meta: Meta::default(),
        }),
        Class::Ci => out.push(Found {
            kind: "ci-workflow",
            name: String::new(),
            line: 1,
            ignored: false,
            detail: CI_NAME
                .captures(buf)
                .map(|c| s(&c[1]).trim_matches(['"', '\'']).to_string()),
            meta: Meta::default(),
        }),
        Class::Make | Class::Just => {
            let (re, kind) = if class == Class::Make {
                (&*MAKE_TARGET, "make-target")
            } else {
                (&*JUST_RECIPE, "just-recipe")
            };
            if NAME_KEYWORD.is_match(buf) {
                for c in re.captures_iter(buf) {
                    let m = c.get(1).expect("group");
                    let names = s(m.as_bytes());
                    let line = lines.at(m.start());
                    for n in names.split_whitespace() {
                        if n.starts_with('.')
                            || (class == Class::Just
                                && matches!(n, "set" | "alias" | "export" | "import" | "mod"))
                        {
                            continue;
                        }
                        if NAME_KEYWORD.is_match(n.as_bytes()) {
                            out.push(Found {
                                kind,
                                name: n.to_string(),
                                line,
                                ignored: false,
                                detail: None,
                                meta: Meta::default(),
                            });
                        }
                    }
                }
            }
        }
        Class::Script => {}
    }
    // Fault injection: scripts and harness files always; source files only when they hold tests.
    let check_faults = match class {
        Class::Rust | Class::Go | Class::Python | Class::Js => !out.is_empty(),
        _ => true,
    };
    if check_faults {
        let mut first = None;
        let mut mechs: Vec<String> = Vec::new();
        for m in FAULT.find_iter(buf) {
            if in_comment(buf, m.start()) {
                continue;
            }
            first.get_or_insert(m.start());
            let t = s(m.as_bytes());
            let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
            if !mechs.contains(&t) {
                mechs.push(t);
            }
        }
        if let Some(off) = first {
            out.push(Found {
                kind: "fault-injection",
                name: mechs.join(", "),
                line: Lines::new(buf).at(off),
                ignored: false,
                detail: Some(mechs.join(", ")),
                meta: Meta::default(),
            });
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn found(class: Class, src: &str) -> Vec<(String, String, usize, bool)> {
        let mut v = Vec::new();
        scan_file(class, src.as_bytes(), &mut v);
        v.into_iter()
            .map(|f| (f.kind.to_string(), f.name, f.line, f.ignored))
            .collect()
    }

    #[test]
    fn rust_attributes_in_any_order_and_multiline() {
        let src = "#[test]\nfn a() {}\n\n#[ignore]\n#[test]\nfn b() {}\n#[tokio::test(\n  flavor = \"multi_thread\"\n)]\n#[ignore = \"slow\"]\nasync fn c() {}\n#[test_case(1)]\nfn d() {}\nmacro_rules! t { ($name:ident) => {\n    #[test]\n    fn $name() {}\n} }\n";
        let f = found(Class::Rust, src);
        assert_eq!(
            f,
            vec![
                ("rust-test".into(), "a".into(), 2, false),
                ("rust-test".into(), "b".into(), 6, true),
                ("rust-test".into(), "c".into(), 11, true),
                ("rust-test".into(), "$name".into(), 16, false),
            ]
        );
    }

    #[test]
    fn make_targets_skip_assignments_and_specials() {
        let src = ".PHONY: test\nCC := gcc\ntest: build\n\tgo test ./...\nchaos-test bench:\nbuild:\nX = a:b\n";
        let names: Vec<_> = found(Class::Make, src)
            .into_iter()
            .map(|(_, n, l, _)| (n, l))
            .collect();
        assert_eq!(
            names,
            vec![
                ("test".into(), 3),
                ("chaos-test".into(), 5),
                ("bench".into(), 5)
            ]
        );
    }

    #[test]
    fn go_requires_matching_testing_type() {
        let src = "package x\nfunc TestA(t *testing.T) {}\nfunc TestMain(m *testing.M) {}\nfunc Testing(t *testing.T) {}\nfunc BenchmarkB(b *testing.B) {}\nfunc FuzzC(f *testing.F) {}\n";
        let names: Vec<_> = found(Class::Go, src)
            .into_iter()
            .map(|(k, n, l, _)| (k, n, l))
            .collect();
        assert_eq!(
            names,
            vec![
                ("go-test".into(), "TestA".into(), 2),
                ("go-benchmark".into(), "BenchmarkB".into(), 5),
                ("go-fuzz".into(), "FuzzC".into(), 6),
            ]
        );
    }
}
