//! `dstplan fault` through the binary on real processes: pause/resume and kill of `sleep`,
//! a harness killed with SIGKILL mid-fault then healed by `undo --all`, and every refusal
//! (exit 2, nothing half-applied). Needs root and procps' `kill`.

mod common;
mod fault_support;
use common::*;
use fault_support::*;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn pause_then_resume_a_sleep_records_state_before_during_after() {
    if !ready(&["kill"]) {
        return;
    }
    let p = sleeper();
    let pid = p.0.id();
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let target = format!("pid:{pid}");
    let probe = format!("st=grep State: /proc/{pid}/status");
    let o = fault_start(
        "process-pause",
        s,
        "S2",
        &["--target", &target, "--probe", &probe, "--format", "json"],
    );
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (v["id"].as_str(), v["landed"].as_bool()),
        (Some("F1"), Some(true)),
        "{v}"
    );
    assert!(state(pid).starts_with('T'), "paused: {}", state(pid));

    let o = run(&["fault", "list", "--session", s]);
    assert_exit(&o, 0);
    assert!(
        stdout(&o).starts_with(&format!(
            "F1\tactive\tprocess-pause\tS2\t{target}\tlanded true"
        )),
        "{}",
        stdout(&o)
    );

    let o = run(&["fault", "stop", "F1", "--session", s]);
    assert_exit(&o, 0);
    assert!(!state(pid).starts_with('T'), "resumed: {}", state(pid));

    let lines = log_lines(t.path(), "S2");
    assert_eq!(lines.len(), 2);
    let key = format!("{target} state");
    let stop = &lines[1];
    assert_eq!(stop["event"], "stop");
    assert_eq!(stop["landed"], true);
    assert!(awake(stop["probes"]["before"][&key].as_str().unwrap()));
    assert!(stop["probes"]["during"][&key]
        .as_str()
        .unwrap()
        .starts_with('T'));
    assert!(awake(stop["probes"]["after"][&key].as_str().unwrap()));
    assert!(stop["user_probes"]["during"]["st"]["output"]
        .as_str()
        .unwrap()
        .contains("T (stopped)"));
    assert_eq!(
        stop["commands"],
        serde_json::json!([
            ["kill", "-s", "STOP", pid.to_string()],
            ["kill", "-s", "CONT", pid.to_string()]
        ])
    );
    let o = run(&["fault", "list", "--session", s, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["faults"][0]["status"], "stopped");
}

#[test]
fn for_duration_heals_by_itself() {
    if !ready(&["kill"]) {
        return;
    }
    let p = sleeper();
    let pid = p.0.id();
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let started = Instant::now();
    let o = fault_start(
        "gc-pause",
        s,
        "S2",
        &["--target", &format!("pid:{pid}"), "--for", "300ms"],
    );
    assert_exit(&o, 0);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(stdout(&o), "F1\n");
    assert!(!state(pid).starts_with('T'));
    let lines = log_lines(t.path(), "S2");
    assert_eq!(
        lines[0]["nemesis"], "process-pause",
        "the alias is logged as its canonical ID"
    );
    assert_eq!(lines[1]["event"], "stop");
}

#[test]
fn kill_a_sleep_and_restart_it_on_stop() {
    if !ready(&["kill"]) {
        return;
    }
    let p = sleeper();
    let pid = p.0.id();
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let o = fault_start(
        "process-kill",
        s,
        "S3",
        &[
            "--target",
            &format!("pid:{pid}"),
            "--restart",
            "exec sleep 61",
        ],
    );
    assert_exit(&o, 0);
    let lines = log_lines(t.path(), "S3");
    assert_eq!(lines[0]["landed"], true, "{}", lines[0]);
    let during = lines[0]["probes"]["during"][format!("pid:{pid} state")]
        .as_str()
        .unwrap();
    assert!(during == "gone" || during.starts_with('Z'), "{during}");

    let o = run(&["fault", "stop", "F1", "--session", s]);
    assert_exit(&o, 0);
    let lines = log_lines(t.path(), "S3");
    let after = &lines[1]["probes"]["after"];
    let new_pid = after["restarted pid"]
        .as_u64()
        .expect("the new pid is recorded") as u32;
    let _g = PidGuard(new_pid);
    assert_ne!(new_pid, pid);
    assert!(awake(after["restarted state"].as_str().unwrap()), "{after}");
    let cmdline = std::fs::read_to_string(format!("/proc/{new_pid}/cmdline")).unwrap();
    assert!(cmdline.contains("61"), "{cmdline:?}");
    assert_eq!(
        lines[1]["commands"][1],
        serde_json::json!(["sh", "-c", "exec sleep 61"])
    );
}

#[test]
fn a_harness_killed_mid_fault_is_healed_by_undo_all() {
    if !ready(&["kill", "ip", "iptables"]) {
        return;
    }
    let p = sleeper();
    let pid = p.0.id();
    let net = format!("h{:05}", std::process::id() % 100_000);
    let _n = NetGuard(net.clone());
    assert_exit(&run(&["net", "up", &net, "--nodes", "2"]), 0);
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let bin = bin_path();
    // The harness: a shell that starts two faults, each meant to last a minute, in the
    // foreground; it is killed (with its whole process group) while they are active.
    let script = format!(
        "{bin} fault start process-pause --session {s} --scenario S4 --target pid:{pid} --for 60s &\n\
         {bin} fault start partition-full --session {s} --scenario S4 --target netns:{net}-n1 --for 60s &\n\
         wait"
    );
    let mut harness = Command::new("bash")
        .args(["-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while log_lines(t.path(), "S4").len() < 2 {
        assert!(
            Instant::now() < deadline,
            "the harness never logged its faults"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: kill(2) on the harness's process group, which this test created.
    unsafe { libc::kill(-(harness.id() as i32), libc::SIGKILL) };
    let _ = harness.wait();
    std::thread::sleep(Duration::from_millis(100));
    assert!(state(pid).starts_with('T'), "still paused after the crash");
    let o = run(&["fault", "list", "--session", s]);
    assert_eq!(
        stdout(&o).matches("\tactive\t").count(),
        2,
        "{}",
        stdout(&o)
    );

    let o = run(&["fault", "undo", "--all", "--session", s, "--format", "json"]);
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["healed"].as_array().unwrap().len(), 2, "{v}");
    assert!(!state(pid).starts_with('T'), "resumed: {}", state(pid));
    let rules = Command::new("ip")
        .args(["netns", "exec", &format!("{net}-n1"), "iptables", "-S"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&rules.stdout).contains("DSTPLAN"));
    let lines = log_lines(t.path(), "S4");
    assert_eq!(lines.iter().filter(|l| l["event"] == "stop").count(), 2);

    let o = run(&["fault", "undo", "--all", "--session", s]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("nothing to heal"));
    assert_eq!(log_lines(t.path(), "S4").len(), 4);
}

#[test]
fn refusals_exit_2_say_how_to_fix_and_leave_nothing_behind() {
    if !ready(&["kill", "ip"]) {
        return;
    }
    let p = sleeper();
    let pid = p.0.id();
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let start = |nemesis: &str, target: &str| fault_start(nemesis, s, "S9", &["--target", target]);
    let cases: Vec<(std::process::Output, &str)> = vec![
        (
            start("process-pause", "vm:db1"),
            "give pid:N, container:NAME, netns:NAME or compose:SERVICE",
        ),
        (
            start("process-pause", "pid:999999999"),
            "no process 999999999",
        ),
        (start("process-pause", "netns:no-such-ns"), "dstplan net up"),
        (
            start("partition-full", &format!("pid:{pid}")),
            "shares this host's network namespace",
        ),
        (
            start("bandwidth-cap", &format!("pid:{pid}")),
            "not implemented by `dstplan fault` yet",
        ),
        (
            start("chaos-monkey", &format!("pid:{pid}")),
            "`dstplan vocab` lists the canonical IDs",
        ),
        (
            fault_start(
                "process-pause",
                "/nonexistent/s",
                "S9",
                &["--target", &format!("pid:{pid}")],
            ),
            "/nonexistent/s: is not a session directory",
        ),
        (run(&["fault", "stop", "F7", "--session", s]), "no fault F7"),
        (
            start("leader-isolation", "container:no-such-container"),
            "target container:no-such-container: ",
        ),
        (
            start("partition-full", &format!("netns:{}", "no-such-ns")),
            "no network namespace no-such-ns",
        ),
    ];
    // A member in a network namespace of its own but without an address: nothing to cut.
    let isolated = ProcGuard(
        Command::new("unshare")
            .args(["-n", "sleep", "60"])
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(Duration::from_millis(200));
    let cases: Vec<_> = cases
        .into_iter()
        .chain([(
            start("partition-full", &format!("pid:{}", isolated.0.id())),
            "has no IPv4 address besides loopback",
        )])
        .collect();
    for (o, want) in &cases {
        assert_exit(o, 2);
        assert!(stderr(o).contains(want), "want {want:?} in {}", stderr(o));
    }
    assert!(awake(&state(pid)), "the target was not touched");
    assert!(log_lines(t.path(), "S9").is_empty());
    let left = std::fs::read_dir(t.path().join("fault-state")).map_or(0, |d| {
        d.filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".json"))
        })
        .count()
    });
    assert_eq!(left, 0, "no state file left by a refusal");
    // JSON errors go to stdout as an object.
    let o = fault_start(
        "process-pause",
        s,
        "S9",
        &["--target", "vm:x", "--format", "json"],
    );
    assert_exit(&o, 2);
    assert!(stdout(&o).contains("\"error\""));
}

#[test]
fn latency_without_netem_refuses_and_rolls_back() {
    if !ready(&["ip", "tc"]) {
        return;
    }
    let net = format!("q{:05}", std::process::id() % 100_000);
    let _n = NetGuard(net.clone());
    assert_exit(&run(&["net", "up", &net, "--nodes", "1"]), 0);
    let ns = format!("{net}-n1");
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let o = fault_start("latency", s, "S6", &["--target", &format!("netns:{ns}")]);
    let qdisc = Command::new("ip")
        .args(["netns", "exec", &ns, "tc", "qdisc", "show", "dev", "eth0"])
        .output()
        .unwrap();
    let qdisc = String::from_utf8_lossy(&qdisc.stdout).into_owned();
    if code(&o) == 0 {
        // This kernel has netem: the fault landed on the device; heal it.
        assert!(qdisc.contains("netem"), "{qdisc}");
        assert_exit(&run(&["fault", "undo", "--all", "--session", s]), 0);
        return;
    }
    assert_exit(&o, 2);
    let e = stderr(&o);
    assert!(
        e.contains("no netem qdisc")
            && e.contains("modprobe sch_netem")
            && e.contains("nothing is left applied"),
        "{e}"
    );
    assert!(!qdisc.contains("netem"), "{qdisc}");
    assert!(log_lines(t.path(), "S6").is_empty());
}

#[test]
fn process_stop_is_a_graceful_sigterm() {
    if !ready(&["kill"]) {
        return;
    }
    // A member with a shutdown path: it logs and exits 0 on SIGTERM.
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("shutdown.log");
    let script = format!(
        "trap 'echo shutting down > {}; exit 0' TERM; while :; do sleep 0.05; done",
        marker.display()
    );
    let p = ProcGuard(
        Command::new("bash")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(Duration::from_millis(200));
    let pid = p.0.id();
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let o = fault_start(
        "graceful-stop",
        s,
        "S3",
        &["--target", &format!("pid:{pid}"), "--format", "json"],
    );
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["nemesis"], "process-stop");
    assert_eq!(v["landed"], true, "{v}");
    assert!(v["landed_why"].as_str().unwrap().contains("SIGTERM"));
    assert!(std::fs::read_to_string(&marker)
        .unwrap()
        .contains("shutting down"));
}

#[test]
fn a_harness_killed_mid_apply_leaves_a_fault_undo_all_still_heals() {
    if !ready(&["kill"]) {
        return;
    }
    // Simulate the crash window: step 1 of 2 had its undo saved and ran (A is stopped), the
    // process died before step 2 and before the start line reached the log.
    let (a, b) = (sleeper(), sleeper());
    let (pa, pb) = (a.0.id(), b.0.id());
    Command::new("kill")
        .args(["-s", "STOP", &pa.to_string()])
        .status()
        .unwrap();
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let step = |p: u32| {
        serde_json::json!({
            "apply": ["kill", "-s", "STOP", p.to_string()],
            "undo": [{"run": ["kill", "-s", "CONT", p.to_string()]}],
        })
    };
    let st = serde_json::json!({
        "id": "F1", "nemesis": "process-pause", "scenario": "S2",
        "targets": [format!("pid:{pa}"), format!("pid:{pb}")],
        "status": "applying", "created_ts": 1, "start_ts": null,
        "plan": {"steps": [step(pa), step(pb)], "probe": {"proc_state": {"pids": [pa, pb]}}},
        "begun": 1,
    });
    std::fs::create_dir_all(t.path().join("fault-state")).unwrap();
    std::fs::write(t.path().join("fault-state/F1.json"), st.to_string()).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert!(state(pa).starts_with('T'));

    let o = run(&["fault", "list", "--session", s]);
    assert!(
        stdout(&o).starts_with("F1\tapplying\tprocess-pause"),
        "{}",
        stdout(&o)
    );
    let o = run(&["fault", "undo", "--all", "--session", s]);
    assert_exit(&o, 0);
    assert!(!state(pa).starts_with('T'), "A resumed: {}", state(pa));
    let lines = log_lines(t.path(), "S2");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["event"], "stop");
    assert_eq!(
        lines[0]["landed"], "unknown",
        "never measured, so never true"
    );
    assert_eq!(
        lines[0]["commands"],
        serde_json::json!([["kill", "-s", "CONT", pa.to_string()]]),
        "only the begun step is undone"
    );
    // The next fault gets a fresh id.
    let o = fault_start(
        "process-pause",
        s,
        "S2",
        &["--target", &format!("pid:{pb}"), "--for", "100ms"],
    );
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "F2\n");
}

#[test]
fn sigterm_during_for_heals_before_exiting() {
    if !ready(&["kill"]) {
        return;
    }
    let p = sleeper();
    let pid = p.0.id();
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let child = bin()
        .args([
            "fault",
            "start",
            "process-pause",
            "--session",
            s,
            "--scenario",
            "S2",
            "--target",
            &format!("pid:{pid}"),
            "--for",
            "60s",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while log_lines(t.path(), "S2").is_empty() {
        assert!(Instant::now() < deadline, "the fault never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(state(pid).starts_with('T'));
    // SAFETY: kill(2) on the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("interrupted: healing F1"),
        "{}",
        stderr(&out)
    );
    assert!(!state(pid).starts_with('T'));
    assert_eq!(log_lines(t.path(), "S2")[1]["event"], "stop");
}
