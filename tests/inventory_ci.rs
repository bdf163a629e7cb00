//! `dstplan inventory` reads CI: small repositories built in a temp dir (git + workflow files +
//! tests in Rust, Go, Python and TypeScript); `ci.runs` and the `--base` delta are asserted
//! exactly, across a commit that adds `#[ignore]` and narrows a CI filter.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::*;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
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

const WORKFLOW: &str = r#"name: CI
on: [push, pull_request]
env:
  SKIP: slow_
jobs:
  rust:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: unit and integration
        run: cargo test --workspace -- --skip ${{ env.SKIP }}
  nightly:
    if: github.event_name == 'schedule'
    runs-on: ubuntu-latest
    steps:
      - run: cargo test -- --ignored
  go:
    runs-on: ubuntu-latest
    defaults:
      run:
        working-directory: go
    steps:
      - run: go test -short GO_FILTER ./...
  python:
    runs-on: ubuntu-latest
    steps:
      - run: make pytest
  ts:
    runs-on: ubuntu-latest
    steps:
      - run: |
          bun install
          bun run test
"#;

const LIB_RS: &str = r#"pub fn put() {}

#[cfg(test)]
mod tests {
    #[test]
    fn put_then_get() {}

    #[test]
    #[ignore]
    fn compaction_under_load() {}

    #[test]
    fn slow_snapshot() {}
}
"#;

const CLUSTER_RS: &str = r#"#[test]
fn elects_a_leader() {}

#[test]
fn survives_partition() {}
"#;

const STORE_TEST_GO: &str = r#"package store

import "testing"

func TestPut(t *testing.T) {}

func TestScan(t *testing.T) {}

func TestLong(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
}
"#;

const E2E_TEST_GO: &str = r#"//go:build e2e

package e2e

import "testing"

func TestCluster(t *testing.T) {}
"#;

const TEST_CLIENT_PY: &str = r#"import sys
import pytest


def test_connects():
    pass


@pytest.mark.slow
def test_failover():
    pass


@pytest.mark.skip(reason="flaky")
def test_skipped():
    pass


@pytest.mark.skipif(sys.platform == "win32", reason="posix only")
def test_posix_only():
    pass


class TestRetry:
    def test_backs_off(self):
        pass


def test_removed_later():
    pass
"#;

const API_TEST_TS: &str = r#"import { expect, test } from "bun:test";

test("retries on 503", () => {
  expect(1).toBe(1);
});

test.skip("survives a leader change", () => {});
"#;

/// The base commit: Rust, Go, Python and TypeScript tests and one workflow.
fn repo() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(
        d,
        ".github/workflows/ci.yml",
        &WORKFLOW.replace("GO_FILTER ", ""),
    );
    write(
        d,
        "Cargo.toml",
        "[package]\nname = \"kv\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(d, "src/lib.rs", LIB_RS);
    write(d, "tests/cluster.rs", CLUSTER_RS);
    write(d, "go/go.mod", "module example.com/store\n\ngo 1.22\n");
    write(d, "go/store/store_test.go", STORE_TEST_GO);
    write(d, "go/e2e/e2e_test.go", E2E_TEST_GO);
    write(
        d,
        "Makefile",
        "pytest:\n\tpytest -m \"not slow\" py/tests\n",
    );
    write(
        d,
        "pyproject.toml",
        "[tool.pytest.ini_options]\nmarkers = [\"slow: takes minutes\"]\n",
    );
    write(d, "py/tests/test_client.py", TEST_CLIENT_PY);
    write(
        d,
        "package.json",
        r#"{"name": "web", "scripts": {"test": "bun test web"}}"#,
    );
    write(d, "web/api.test.ts", API_TEST_TS);
    write(d, "scripts/api.test.ts", API_TEST_TS);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "base"]);
    t
}

/// The head commit: `#[ignore]` on a test CI ran, a narrower `go test -run`, one Rust test
/// added and one Python test removed.
fn change(d: &Path) {
    write(
        d,
        "tests/cluster.rs",
        &format!(
            "{}\n#[test]\nfn joins_a_new_node() {{}}\n",
            CLUSTER_RS.replace(
                "#[test]\nfn survives_partition",
                "#[test]\n#[ignore]\nfn survives_partition"
            )
        ),
    );
    write(
        d,
        ".github/workflows/ci.yml",
        &WORKFLOW.replace("GO_FILTER", "-run 'TestPut|TestLong'"),
    );
    let py = TEST_CLIENT_PY.replace("\n\ndef test_removed_later():\n    pass\n", "");
    write(d, "py/tests/test_client.py", &py);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "head"]);
}

fn json(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["inventory", "--format", "json"];
    args.extend_from_slice(extra);
    let o = run_in(dir, &args);
    assert_exit(&o, 0);
    serde_json::from_slice(&o.stdout).expect("json")
}

/// id → ci.runs for every test.
fn runs(v: &serde_json::Value) -> BTreeMap<String, Option<bool>> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i.get("ci").is_some())
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_string(),
                i["ci"]["runs"].as_bool(),
            )
        })
        .collect()
}

fn why<'a>(v: &'a serde_json::Value, id: &str) -> &'a str {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id}"))["ci"]["why"]
        .as_str()
        .unwrap()
}

fn ids(v: &serde_json::Value, list: &str) -> Vec<String> {
    v["delta"][list]
        .as_array()
        .unwrap_or_else(|| panic!("delta.{list}"))
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

fn m(pairs: &[(&str, Option<bool>)]) -> BTreeMap<String, Option<bool>> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn ci_runs_per_test_at_the_base() {
    let t = repo();
    let v = json(t.path(), &[]);
    let (t_, f_) = (Some(true), Some(false));
    assert_eq!(
        runs(&v),
        m(&[
            ("go/e2e/e2e_test.go::TestCluster", f_),
            ("go/store/store_test.go::TestLong", None),
            ("go/store/store_test.go::TestPut", t_),
            ("go/store/store_test.go::TestScan", t_),
            ("py/tests/test_client.py::TestRetry::test_backs_off", t_),
            ("py/tests/test_client.py::test_connects", t_),
            ("py/tests/test_client.py::test_failover", f_),
            ("py/tests/test_client.py::test_posix_only", None),
            ("py/tests/test_client.py::test_removed_later", t_),
            ("py/tests/test_client.py::test_skipped", f_),
            ("scripts/api.test.ts::retries on 503", f_),
            ("scripts/api.test.ts::survives a leader change", f_),
            ("src/lib.rs::tests::compaction_under_load", None),
            ("src/lib.rs::tests::put_then_get", t_),
            ("src/lib.rs::tests::slow_snapshot", f_),
            ("tests/cluster.rs::elects_a_leader", t_),
            ("tests/cluster.rs::survives_partition", t_),
            ("web/api.test.ts::retries on 503", t_),
            ("web/api.test.ts::survives a leader change", f_),
        ])
    );
    // the reasons name the filter, the attribute, the tag, the marker or the condition
    assert!(why(&v, "src/lib.rs::tests::slow_snapshot").starts_with("skipped by `--skip slow_`"));
    assert!(why(&v, "src/lib.rs::tests::compaction_under_load")
        .contains("job `nightly` runs only if `github.event_name == 'schedule'`"));
    assert!(why(&v, "go/e2e/e2e_test.go::TestCluster").contains("`//go:build e2e`"));
    assert!(why(&v, "go/store/store_test.go::TestLong").contains("-short"));
    let failover = why(&v, "py/tests/test_client.py::test_failover");
    assert!(failover.contains("-m \"not slow\""), "{failover}");
    assert!(
        failover.contains("declared in pyproject.toml"),
        "{failover}"
    );
    assert!(failover.contains("Makefile target `pytest`"), "{failover}");
    assert!(why(&v, "py/tests/test_client.py::test_posix_only").contains("skipif"));
    assert!(why(&v, "scripts/api.test.ts::retries on 503").contains("bun test"));
    assert!(why(&v, "tests/cluster.rs::elects_a_leader")
        .contains(".github/workflows/ci.yml job `rust`"));
}

#[test]
fn base_delta_names_ignored_filtered_added_and_removed_tests() {
    let t = repo();
    change(t.path());
    let v = json(t.path(), &["--base", "HEAD~1"]);
    assert_eq!(ids(&v, "added"), vec!["tests/cluster.rs::joins_a_new_node"]);
    assert_eq!(
        ids(&v, "removed"),
        vec!["py/tests/test_client.py::test_removed_later"]
    );
    assert_eq!(
        ids(&v, "newly_ignored"),
        vec!["tests/cluster.rs::survives_partition"]
    );
    assert_eq!(
        ids(&v, "no_longer_run_in_ci"),
        vec![
            "go/store/store_test.go::TestScan",
            "py/tests/test_client.py::test_removed_later",
            "tests/cluster.rs::survives_partition",
        ]
    );
    assert_eq!(
        ids(&v, "newly_run_in_ci"),
        vec!["tests/cluster.rs::joins_a_new_node"]
    );
    let entry = &v["delta"]["no_longer_run_in_ci"][0];
    assert_eq!(entry["file"], "go/store/store_test.go");
    assert_eq!(entry["line"], 7);
    assert_eq!(entry["framework"], "go");
    assert!(entry["why"]
        .as_str()
        .unwrap()
        .contains("`-run TestPut|TestLong` does not match it"));
    // the base was unpacked into a temporary directory that is gone again
    let leftovers: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("dstplan-base-{}-", std::process::id()))
        })
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn markdown_groups_suites_and_says_what_ci_runs() {
    let t = repo();
    change(t.path());
    let o = run_in(t.path(), &["inventory", "--base", "HEAD~1"]);
    assert_exit(&o, 0);
    let md = stdout(&o);
    assert!(md.lines().count() < 60, "{md}");
    assert!(md.starts_with("| Test / harness | Subsystem | Tests | What CI does |"));
    assert!(md.contains("| `tests/` Rust integration tests (cargo) | tests | 3 (1 ignored/skipped) | runs 2; cannot tell 1 (e.g. runs only under a condition: job 'nightly' runs only if"), "{md}");
    assert_eq!(
        md.matches("{{TODO").count(),
        md.lines().filter(|l| l.starts_with("| `")).count()
    );
    assert!(md.contains("**no longer run in CI (3):**"), "{md}");
    assert!(md.contains("**CI:** "), "{md}");
    let per_test = stdout(&run_in(t.path(), &["inventory", "--per-test"]));
    assert!(per_test.contains("`joins_a_new_node` (line"), "{per_test}");
}

#[test]
fn change_scoped_plan_pastes_the_delta_into_section_3_and_lints() {
    let t = repo();
    change(t.path());
    let o = run_in(t.path(), &["new", "ci-change", "--base", "HEAD~1"]);
    assert_exit(&o, 0);
    let plan_path = t.path().join("testing-plans/ci-change.md");
    let plan = std::fs::read_to_string(&plan_path).unwrap();
    assert!(plan.contains("## 3. Existing test inventory"), "{plan}");
    assert!(plan.contains("## 5. Coverage matrix"), "{plan}");
    assert!(plan.contains("**Change against `HEAD~1`:**"), "{plan}");
    assert!(
        plan.contains("`tests/cluster.rs:6` survives_partition"),
        "{plan}"
    );
    let lint = run_in(
        t.path(),
        &["lint", "--format", "json", "testing-plans/ci-change.md"],
    );
    let v: serde_json::Value = serde_json::from_slice(&lint.stdout).unwrap();
    let others: Vec<String> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error" && d["code"] != "DST070")
        .map(|d| d.to_string())
        .collect();
    assert!(others.is_empty(), "{others:#?}");
}

#[test]
fn a_change_that_touches_no_test_or_ci_has_no_section_3() {
    let t = repo();
    write(t.path(), "README.md", "docs\n");
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "docs"]);
    assert_exit(&run_in(t.path(), &["new", "docs-only"]), 0);
    let plan = std::fs::read_to_string(t.path().join("testing-plans/docs-only.md")).unwrap();
    assert!(!plan.contains("## 3."), "{plan}");
    assert!(!plan.contains("## 5."), "{plan}");
}

#[test]
fn unresolvable_ci_gives_null_with_the_reason() {
    let t = repo();
    write(
        t.path(),
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  t:\n    strategy:\n      matrix:\n        include: [{pkg: a}, {pkg: b}]\n    steps:\n      - run: cd go && go test -run ${{ matrix.pkg }} ./...\n      - run: cargo test ${{ inputs.filter }}\n",
    );
    let v = json(t.path(), &[]);
    assert_eq!(runs(&v)["go/store/store_test.go::TestPut"], None);
    assert!(why(&v, "go/store/store_test.go::TestPut").contains("matrix"));
    assert_eq!(runs(&v)["src/lib.rs::tests::put_then_get"], None);
    assert!(why(&v, "src/lib.rs::tests::put_then_get").contains("inputs.filter"));
    // no pytest command at all: the tests may run on a CI dstplan does not read
    assert_eq!(runs(&v)["py/tests/test_client.py::test_connects"], None);
    assert!(
        why(&v, "py/tests/test_client.py::test_connects").contains("no CI file read runs pytest")
    );
}

#[test]
fn an_unresolvable_cd_makes_what_follows_unknown_not_false() {
    let t = repo();
    write(
        t.path(),
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          cd \"$PY_DIR\"\n          pytest -m \"not slow\"\n          cargo test -p $CRATE\n",
    );
    let v = json(t.path(), &[]);
    assert_eq!(runs(&v)["py/tests/test_client.py::test_connects"], None);
    assert!(
        why(&v, "py/tests/test_client.py::test_connects").contains("earlier `cd`"),
        "{}",
        why(&v, "py/tests/test_client.py::test_connects")
    );
    assert_eq!(runs(&v)["src/lib.rs::tests::put_then_get"], None);
}

#[test]
fn bad_base_revision_is_a_clear_error() {
    let t = repo();
    let o = run_in(t.path(), &["inventory", "--base", "no-such-rev"]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("base revision `no-such-rev`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_bun_repository_gets_typescript_skeletons_importing_bun_test() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(
        d,
        "package.json",
        r#"{"name": "q", "scripts": {"test": "bun test"}}"#,
    );
    write(d, "src/queue.test.ts", API_TEST_TS);
    write(d, "src/more.test.ts", API_TEST_TS);
    write(d, "tools/x.rs", "#[test]\nfn one() {}\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "one"]);
    let o = run_in(d, &["new", "q", "--mode", "project-wide"]);
    assert_exit(&o, 0);
    let plan = std::fs::read_to_string(d.join("testing-plans/q.md")).unwrap();
    // the scaffold's S1 is already in the repository's language and runner
    assert!(plan.contains("```typescript"), "{plan}");
    assert!(
        plan.contains("import { test } from \"bun:test\";"),
        "{plan}"
    );
    let o = run_in(
        d,
        &[
            "scenario",
            "add",
            "--plan",
            "testing-plans/q.md",
            "--falsifies",
            "C1",
            "--name",
            "acked_items_are_delivered",
        ],
    );
    assert_exit(&o, 0);
    assert!(
        stderr(&o).contains("skeleton language: typescript"),
        "{}",
        stderr(&o)
    );
    let plan = std::fs::read_to_string(d.join("testing-plans/q.md")).unwrap();
    // The first `scenario add` after `new` takes the unfilled S1's place.
    let s1 = &plan[plan.find("### Scenario S1").expect("S1")..];
    let s1 = &s1[..s1[4..].find("\n### ").map_or(s1.len(), |i| i + 4)];
    assert!(s1.contains("acked_items_are_delivered"), "{s1}");
    assert!(
        s1.contains("**Skeleton language:** typescript") || s1.contains("typescript"),
        "{s1}"
    );
    assert!(s1.contains("import { test } from \"bun:test\";"), "{s1}");
    assert!(!s1.contains("vitest"), "{s1}");
    // an explicit --language wins
    let o = run_in(
        d,
        &[
            "scenario",
            "add",
            "--plan",
            "testing-plans/q.md",
            "--falsifies",
            "C1",
            "--name",
            "acked_items_survive_restart",
            "--language",
            "go",
        ],
    );
    assert_exit(&o, 0);
    let plan = std::fs::read_to_string(d.join("testing-plans/q.md")).unwrap();
    assert!(plan[plan.find("### Scenario S2").unwrap()..].contains("```go"));
}

/// nextest with --run-ignored and a name filter, pytest -k, vitest -t, jest narrowed by its
/// config, node --test on a directory.
#[test]
fn more_runners_and_filters_are_evaluated_or_null() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(
        d,
        ".github/workflows/ci.yml",
        r#"on: [push]
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - run: cargo nextest run --workspace --run-ignored all raft
      - run: python -m pytest -k "retry and not slow" py
      - run: npx vitest run -t "parses" web
      - run: cd api && npx jest
      - run: node --test tools/test
      - run: bun test tools/bun/*
"#,
    );
    write(d, "Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n");
    write(
        d,
        "crates/raft/Cargo.toml",
        "[package]\nname = \"raft\"\nversion = \"0.1.0\"\n",
    );
    write(
        d,
        "crates/raft/src/lib.rs",
        "#[cfg(test)]\nmod tests {\n    #[test]\n    #[ignore]\n    fn raft_elects() {}\n    #[test]\n    fn log_appends() {}\n}\n",
    );
    write(
        d,
        "py/test_client.py",
        "def test_retry_backs_off():\n    pass\n\n\ndef test_retry_slow():\n    pass\n\n\ndef test_connects():\n    pass\n",
    );
    write(
        d,
        "web/parse.test.ts",
        "import { test } from \"vitest\";\ntest(\"parses a header\", () => {});\ntest(\"renders\", () => {});\n",
    );
    write(
        d,
        "api/jest.config.js",
        "module.exports = { testMatch: [\"**/*.spec.js\"] };\n",
    );
    write(
        d,
        "api/client.test.js",
        "const { test } = require(\"@jest/globals\");\ntest(\"connects\", () => {});\n",
    );
    write(
        d,
        "tools/test/cli.test.mjs",
        "import test from \"node:test\";\ntest(\"prints help\", () => {});\n",
    );
    write(d, "tools/bun/x.test.ts", API_TEST_TS);
    write(d, "tools/other.test.ts", API_TEST_TS);
    let v = json(d, &[]);
    assert_eq!(
        runs(&v),
        m(&[
            ("api/client.test.js::connects", None),
            ("crates/raft/src/lib.rs::tests::log_appends", Some(false)),
            ("crates/raft/src/lib.rs::tests::raft_elects", Some(true)),
            ("py/test_client.py::test_connects", Some(false)),
            ("py/test_client.py::test_retry_backs_off", Some(true)),
            ("py/test_client.py::test_retry_slow", Some(false)),
            ("tools/bun/x.test.ts::retries on 503", Some(true)),
            ("tools/bun/x.test.ts::survives a leader change", Some(false)),
            ("tools/other.test.ts::retries on 503", Some(false)),
            ("tools/other.test.ts::survives a leader change", Some(false)),
            ("tools/test/cli.test.mjs::prints help", Some(true)),
            ("web/parse.test.ts::parses a header", Some(true)),
            ("web/parse.test.ts::renders", Some(false)),
        ])
    );
    assert!(why(&v, "api/client.test.js::connects").contains("jest.config.js sets `testMatch`"));
    assert!(why(&v, "crates/raft/src/lib.rs::tests::log_appends")
        .contains("matches none of the filters `raft`"));
    assert!(why(&v, "py/test_client.py::test_retry_slow")
        .contains("deselected by `-k \"retry and not slow\"`"));
    assert!(why(&v, "web/parse.test.ts::renders").contains("does not match `parses`"));
}

#[test]
fn local_composite_actions_are_read_like_the_job() {
    let t = repo();
    let d = t.path();
    write(
        d,
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  go:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: ./.github/actions/go-tests\n",
    );
    write(
        d,
        ".github/actions/go-tests/action.yml",
        "name: go tests\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      working-directory: go\n      run: go test -tags e2e -run 'TestCluster|TestScan' ./...\n",
    );
    // a GOOS file-name suffix is a build constraint: not compiled on the Linux runner
    write(
        d,
        "go/store/store_windows_test.go",
        "package store\n\nimport \"testing\"\n\nfunc TestScanWindowsPaths(t *testing.T) {}\n",
    );
    let v = json(d, &[]);
    let r = runs(&v);
    assert_eq!(
        r["go/store/store_windows_test.go::TestScanWindowsPaths"],
        Some(false)
    );
    assert!(
        why(&v, "go/store/store_windows_test.go::TestScanWindowsPaths")
            .contains("`//go:build windows`")
    );
    assert_eq!(r["go/e2e/e2e_test.go::TestCluster"], Some(true));
    assert_eq!(r["go/store/store_test.go::TestScan"], Some(true));
    assert_eq!(r["go/store/store_test.go::TestPut"], Some(false));
    assert!(why(&v, "go/store/store_test.go::TestScan")
        .contains(".github/workflows/ci.yml job `go` → ./.github/actions/go-tests"));
    // no cargo or pytest anywhere: unknown, not false
    assert_eq!(r["tests/cluster.rs::elects_a_leader"], None);
}
