//! Helpers the fault and net CLI tests share: guards that clean up processes and nets even
//! when a test fails, tool checks, `fault start`, and readers for process state and the fault
//! log.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use super::common::*;

/// Kills (and reaps) a process when dropped, even when the test fails.
pub struct ProcGuard(pub Child);

impl Drop for ProcGuard {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-s", "CONT", &self.0.id().to_string()])
            .output();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Kills a pid (not our child) when dropped.
pub struct PidGuard(pub u32);

impl Drop for PidGuard {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-s", "KILL", &self.0.to_string()])
            .output();
    }
}

/// Removes a net (and anything named like it) when dropped, even when the test fails.
pub struct NetGuard(pub String);

impl Drop for NetGuard {
    fn drop(&mut self) {
        let _ = run(&["net", "down", &self.0]);
        for i in 1..=4 {
            let _ = Command::new("ip")
                .args(["netns", "del", &format!("{}-n{i}", self.0)])
                .output();
        }
        let _ = Command::new("ip")
            .args(["link", "del", &format!("dstbr-{}", self.0)])
            .output();
    }
}

/// Whether an executable `tool` is on PATH (a file: shell builtins such as `kill` do not count,
/// since dstplan runs the program).
pub fn has(tool: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|d| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(d.join(tool))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// Root (to signal other processes and enter namespaces) and every tool in `tools`.
pub fn ready(tools: &[&str]) -> bool {
    ready_for("root (signals to other processes, namespaces)", tools)
}

/// Root (needed for `why`) and every tool in `tools`.
pub fn ready_for(why: &str, tools: &[&str]) -> bool {
    require(is_root(), why)
        && tools
            .iter()
            .all(|t| require(has(t), &format!("`{t}` (see .ci/run)")))
}

/// The arguments of `dstplan fault start NEMESIS --session SESSION --scenario SCENARIO
/// REST…` (REST: the targets and options).
pub fn fault_start_args<'a>(
    nemesis: &'a str,
    session: &'a str,
    scenario: &'a str,
    rest: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "fault",
        "start",
        nemesis,
        "--session",
        session,
        "--scenario",
        scenario,
    ];
    args.extend_from_slice(rest);
    args
}

/// Run `dstplan fault start NEMESIS --session SESSION --scenario SCENARIO REST…`.
pub fn fault_start(nemesis: &str, session: &str, scenario: &str, rest: &[&str]) -> Output {
    run(&fault_start_args(nemesis, session, scenario, rest))
}

pub fn sleeper() -> ProcGuard {
    ProcGuard(
        Command::new("sleep")
            .arg("60")
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

pub fn state(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("State:").map(|v| v.trim().to_string()))
        })
        .unwrap_or_else(|| "gone".into())
}

pub fn log_lines(session: &Path, scenario: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(
        session
            .join("artifacts")
            .join(scenario)
            .join("faults.jsonl"),
    )
    .unwrap_or_default()
    .lines()
    .map(|l| serde_json::from_str(l).unwrap())
    .collect()
}

/// A `/proc/PID/status` State of a live, unstopped process: sleeping or running.
pub fn awake(state: &str) -> bool {
    state.starts_with('S') || state.starts_with('R')
}
