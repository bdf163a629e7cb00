//! Helpers every integration test shares: run the binary, read its output, compare with a
//! golden file, copy fixture trees. Include with `mod common;` and `use common::*;`.
#![allow(dead_code)]

pub mod brute;
pub mod fsutil;
pub mod gen;

pub use fsutil::copy_dir;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root (where Cargo.toml is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// A `dstplan` command run from the repository root, with no colour variables inherited.
pub fn bin() -> Command {
    let mut c = Command::new(bin_path());
    c.current_dir(root());
    c.env_remove("NO_COLOR");
    c.env_remove("CLICOLOR_FORCE");
    c.stdin(Stdio::null());
    c
}

/// The path of the `dstplan` binary under test, for scripts and wrappers (`bash -c`,
/// `setpriv`, `unshare`) that start it themselves.
pub fn bin_path() -> &'static str {
    env!("CARGO_BIN_EXE_dstplan")
}

/// Run `dstplan ARGS` from the repository root.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run dstplan")
}

/// Run `dstplan ARGS` from `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run dstplan")
}

/// Run `dstplan ARGS` with `input` on standard input.
pub fn run_with_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dstplan");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The exit code (-1 when killed by a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Assert the exit code, showing both streams when it differs.
#[track_caller]
pub fn assert_exit(o: &Output, want: i32) {
    assert_eq!(
        code(o),
        want,
        "exit code\n--- stdout ---\n{}\n--- stderr ---\n{}",
        stdout(o),
        stderr(o)
    );
}

/// Compare `actual` with the golden file at `path`; `UPDATE_EXPECT=1` rewrites it.
#[track_caller]
pub fn golden(path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, actual).unwrap();
        return;
    }
    let want = std::fs::read_to_string(path)
        .unwrap_or_else(|_| panic!("missing {}; run with UPDATE_EXPECT=1", path.display()));
    assert!(
        actual == want,
        "{} differs (UPDATE_EXPECT=1 rewrites it)\n--- actual ---\n{actual}",
        path.display()
    );
}

/// Replace the first `from` in the file at `path` with `to`; the file must contain it.
pub fn edit(path: &Path, from: &str, to: &str) {
    let t = std::fs::read_to_string(path).unwrap();
    assert!(t.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, t.replacen(from, to, 1)).unwrap();
}

/// `report DIR --check --format json` plus `extra`: the exit code and the parsed JSON.
pub fn report_check_json(dir: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut a = vec![
        "report",
        dir.to_str().unwrap(),
        "--check",
        "--format",
        "json",
    ];
    a.extend_from_slice(extra);
    let o = run(&a);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&o), stderr(&o)));
    (code(&o), v)
}

/// The isolation levels `history check --consistency` takes, read committed first.
pub const ISOLATION_LEVELS: [&str; 5] = [
    "read-committed",
    "snapshot-isolation",
    "repeatable-read",
    "serializable",
    "strict-serializable",
];

/// One history line (the JSONL history format), `node_seen` and `fault_epoch` null;
/// `comp: None` is an op that never completed.
#[allow(clippy::too_many_arguments)]
pub fn history_op(
    id: u64,
    p: u64,
    inv: i64,
    comp: Option<i64>,
    ty: &str,
    key: serde_json::Value,
    input: serde_json::Value,
    output: serde_json::Value,
    error: Option<&str>,
    timeout: bool,
) -> serde_json::Value {
    serde_json::json!({"op_id": id, "process_id": p, "invoke_ts": inv, "complete_ts": comp,
        "op_type": ty, "key": key, "input": input, "output": output, "error": error,
        "timeout_marker": timeout, "node_seen": null, "fault_epoch": null})
}

/// Write `lines`, one JSON value a line, to `path`; returns `path`.
pub fn write_jsonl(path: &Path, lines: &[serde_json::Value]) -> PathBuf {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

/// A copy of fixture session `tests/fixtures/sessions/<name>` and the fixture plans beside it,
/// laid out as they are there (the session's `plan` path is relative); returns (tmp, session).
pub fn fixture_session(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("report-plans"), &tmp.path().join("report-plans"));
    let dir = tmp.path().join("sessions").join(name);
    copy_dir(&fixture(&format!("sessions/{name}")), &dir);
    (tmp, dir)
}

/// The diagnostics of one code in a `--format json` object, each as `path:line message`.
pub fn diags_with_code(v: &serde_json::Value, code: &str) -> Vec<String> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .map(|d| {
            format!(
                "{}:{} {}",
                d["path"].as_str().unwrap(),
                d["line"],
                d["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// Whether the tests run as root (needed by fault injection and network namespaces).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// Fail (in CI) or skip with a printed reason (elsewhere) when a requirement is missing.
/// Returns true when the test should go on.
pub fn require(ok: bool, what: &str) -> bool {
    if ok {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("this test needs {what}; .ci/run installs it, so CI must have it");
    }
    eprintln!("skipped: this test needs {what}");
    false
}
