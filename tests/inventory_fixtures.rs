//! `dstplan inventory` on the fixture repositories under `tests/fixtures/repos/`: every kind
//! of test and harness is found, with the right line, and nothing else is.

mod common;

use std::path::Path;
use std::process::Command;

/// A copy of the fixture in a fresh git repository, as in a real checkout; whatever surrounds
/// this crate's own checkout plays no part.
fn fixture(name: &str) -> tempfile::TempDir {
    let src = common::root().join("tests/fixtures/repos").join(name);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().to_path_buf();
    for e in walkdir::WalkDir::new(&src) {
        let e = e.expect("walk fixture");
        let rel = e.path().strip_prefix(&src).unwrap();
        let to = dir.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
    let st = Command::new("git")
        .arg("init")
        .arg("-q")
        .arg(&dir)
        .status()
        .expect("git init");
    assert!(st.success(), "git init");
    tmp
}

fn inventory_json(repo: &Path) -> serde_json::Value {
    let out = common::bin()
        .args(["inventory", "--format", "json"])
        .arg(repo)
        .output()
        .expect("run dstplan");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json on stdout")
}

type Row = (String, String, String, u64, bool);

fn rows(v: &serde_json::Value) -> Vec<Row> {
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().to_string(),
                i["name"].as_str().unwrap().to_string(),
                i["path"].as_str().unwrap().to_string(),
                i["line"].as_u64().unwrap(),
                i["ignored"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn r(kind: &str, name: &str, path: &str, line: u64, ignored: bool) -> Row {
    (kind.into(), name.into(), path.into(), line, ignored)
}

#[test]
fn polyglot_fixture_lists_every_kind_with_lines() {
    let v = inventory_json(fixture("polyglot").path());
    assert_eq!(v["version"], 1);
    let mut got = rows(&v);
    got.sort();
    let mut want = vec![
        r("ci-workflow", "", ".github/workflows/ci.yml", 1, false),
        r("ci-workflow", "", ".gitlab-ci.yml", 1, false),
        r("make-target", "test", "Makefile", 7, false),
        r("make-target", "chaos-test", "Makefile", 10, false),
        r("make-target", "bench", "Makefile", 10, false),
        r("compose", "", "docker-compose.yml", 1, false),
        r(
            "fault-injection",
            "toxiproxy",
            "docker-compose.yml",
            5,
            false,
        ),
        r(
            "bats-test",
            "cluster starts with three nodes",
            "e2e/cluster.bats",
            3,
            false,
        ),
        r(
            "bats-test",
            "leader is elected within 5s",
            "e2e/cluster.bats",
            7,
            false,
        ),
        r(
            "go-test",
            "TestPutThenGet",
            "go/store/store_test.go",
            7,
            false,
        ),
        r(
            "go-benchmark",
            "BenchmarkPut",
            "go/store/store_test.go",
            11,
            false,
        ),
        r("go-fuzz", "FuzzDecode", "go/store/store_test.go", 13, false),
        r("just-recipe", "test-all", "justfile", 6, false),
        r(
            "python-test",
            "test_connects",
            "py/tests/test_client.py",
            4,
            false,
        ),
        r(
            "python-test-class",
            "TestRetry",
            "py/tests/test_client.py",
            8,
            false,
        ),
        r(
            "python-test",
            "test_backs_off",
            "py/tests/test_client.py",
            9,
            false,
        ),
        r(
            "python-test",
            "test_slow_failover",
            "py/tests/test_client.py",
            14,
            true,
        ),
        r(
            "fault-injection",
            "kill -STOP, kill -9",
            "scripts/kill_leader.sh",
            5,
            false,
        ),
        r("shell-test", "", "scripts/partition_test.sh", 1, false),
        r(
            "fault-injection",
            "iptables, tc qdisc, netem",
            "scripts/partition_test.sh",
            4,
            false,
        ),
        r(
            "rust-test",
            "elects_a_single_leader",
            "src/raft/mod.rs",
            7,
            false,
        ),
        r(
            "rust-test",
            "survives_minority_partition",
            "src/raft/mod.rs",
            11,
            true,
        ),
        r(
            "rust-test",
            "appends_are_acknowledged",
            "src/raft/mod.rs",
            14,
            false,
        ),
        r(
            "rust-test",
            "slow_snapshot_install",
            "src/raft/mod.rs",
            18,
            true,
        ),
        r("js-suite", "api client", "web/src/api.test.ts", 3, false),
        r("js-test", "retries on 503", "web/src/api.test.ts", 4, false),
        r(
            "js-test",
            "survives a leader change",
            "web/src/api.test.ts",
            5,
            true,
        ),
        r(
            "js-test",
            "parses the status page",
            "web/src/api.test.ts",
            8,
            false,
        ),
        r(
            "js-test",
            "formats durations",
            "web/src/__tests__/util.js",
            2,
            true,
        ),
        r(
            "js-test",
            "rounds timestamps",
            "web/src/__tests__/util.js",
            3,
            false,
        ),
    ];
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn gitignored_and_irrelevant_files_are_not_listed() {
    let v = inventory_json(fixture("polyglot").path());
    let paths: Vec<String> = rows(&v).into_iter().map(|r| r.2).collect();
    // build/ is in the fixture's .gitignore; util.js is not a test file; prose is not read.
    for p in [
        "build/generated_test.go",
        "web/src/util.js",
        "docs/notes.md",
        "src/lib.rs",
    ] {
        assert!(!paths.iter().any(|x| x == p), "{p} listed: {paths:?}");
    }
    assert!(v["files_seen"].as_u64().unwrap() >= 18);
    assert!(v["files_read"].as_u64().unwrap() < v["files_seen"].as_u64().unwrap());
}

#[test]
fn gitignore_applies_outside_a_git_checkout_too() {
    let fx = fixture("polyglot");
    std::fs::remove_dir_all(fx.path().join(".git")).unwrap();
    let v = inventory_json(fx.path());
    let paths: Vec<String> = rows(&v).into_iter().map(|r| r.2).collect();
    assert!(!paths.iter().any(|p| p.starts_with("build/")), "{paths:?}");
    assert!(paths.iter().any(|p| p == "src/raft/mod.rs"));
}

#[test]
fn items_carry_subsystem_and_detail() {
    let v = inventory_json(fixture("polyglot").path());
    let items = v["items"].as_array().unwrap();
    let tokio = items
        .iter()
        .find(|i| i["name"] == "appends_are_acknowledged")
        .unwrap();
    assert_eq!(tokio["subsystem"], "src/raft");
    assert_eq!(tokio["detail"], "#[tokio::test(flavor = \"multi_thread\")]");
    let ci = items
        .iter()
        .find(|i| i["path"] == ".github/workflows/ci.yml")
        .unwrap();
    assert_eq!(ci["detail"], "CI");
    let compose = items.iter().find(|i| i["kind"] == "compose").unwrap();
    assert_eq!(compose["subsystem"], ".");
}

fn inventory_md(args: &[&str]) -> String {
    let out = common::bin()
        .arg("inventory")
        .arg(fixture("polyglot").path())
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).unwrap()
}

/// The table at the start of `md` parses as §3 of a plan with the required columns.
fn assert_section_3_table(md: &str) {
    let table_lines = md.lines().take_while(|l| l.starts_with('|')).count();
    let plan = format!("# Test Plan: x\n\n## 3. Existing test inventory\n\n{md}");
    let p = dstplan::plan::parse(&plan);
    let t = p.inventory_table.expect("§3 table");
    assert_eq!(t.rows.len(), table_lines - 2);
    for col in [
        "test / harness",
        "subsystem",
        "invariant pinned",
        "failure modes it catches",
    ] {
        assert!(t.column(col).is_some(), "{col}");
    }
}

#[test]
fn per_test_markdown_is_the_section_3_table() {
    let md = inventory_md(&["--per-test"]);
    assert_eq!(
        md.lines().next(),
        Some("| Test / harness | Subsystem | Invariant pinned | Failure modes it catches |")
    );
    assert!(md.contains(
        "| `src/raft/mod.rs:7` 4 Rust tests: `elects_a_single_leader` (line 7), `survives_minority_partition` (line 11, ignored: not run by default)"
    ), "{md}");
    assert_section_3_table(&md);
}

#[test]
fn markdown_is_one_row_per_suite_with_one_placeholder_each() {
    let md = inventory_md(&[]);
    assert_eq!(
        md.lines().next(),
        Some("| Test / harness | Subsystem | Tests | What CI does | Invariant pinned | Failure modes it catches |")
    );
    assert!(
        md.contains("| `src/` Rust unit tests (cargo) | src | 4 (2 ignored/skipped) | runs 0; cannot tell 4 (e.g. no CI file read runs cargo test or cargo nextest) |"),
        "{md}"
    );
    assert!(
        md.contains("- **compose files:** `docker-compose.yml`"),
        "{md}"
    );
    assert!(
        md.contains("- **make targets:** `test`, `bench`, `chaos-test`"),
        "{md}"
    );
    let rows = md.lines().filter(|l| l.starts_with("| `")).count();
    assert_eq!(md.matches("{{TODO").count(), rows);
    assert_section_3_table(&md);
}

#[test]
fn a_missing_repo_is_exit_2_with_the_path() {
    let out = common::bin()
        .args(["inventory", "/definitely/not/here"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/definitely/not/here"), "{err}");
    let out = common::bin()
        .args(["inventory", "/definitely/not/here", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["error"]["message"].as_str().is_some());
}
