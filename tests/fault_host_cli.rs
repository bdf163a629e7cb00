//! `dstplan fault` on host resources and containers, through the binary: clock-skew of a
//! libfaketime member, disk-full of a data dir's own mount, and container and compose targets
//! through a stand-in docker CLI. Needs root.

mod common;
mod fault_support;
use common::*;
use fault_support::*;

use std::path::Path;
use std::process::{Command, Stdio};

const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

#[test]
fn clock_skew_moves_a_faketime_members_clock_and_back() {
    if !ready(&["kill", "nsenter", "date"])
        || !require(
            Path::new(LIBFAKETIME).exists(),
            "libfaketime (package faketime)",
        )
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let clock = dir.path().join("clock");
    std::fs::write(&clock, "+0\n").unwrap();
    let p = ProcGuard(
        Command::new("sleep")
            .arg("60")
            .env("LD_PRELOAD", LIBFAKETIME)
            .env("FAKETIME_TIMESTAMP_FILE", &clock)
            .env("FAKETIME_NO_CACHE", "1")
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = p.0.id();
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let o = fault_start(
        "time-skew",
        s,
        "S8",
        &["--target", &format!("pid:{pid}"), "--skew", "-1h"],
    );
    assert_exit(&o, 0);
    assert_eq!(std::fs::read_to_string(&clock).unwrap().trim(), "-3600");
    assert_exit(&run(&["fault", "undo", "--all", "--session", s]), 0);
    assert_eq!(std::fs::read_to_string(&clock).unwrap().trim(), "+0");
    let lines = log_lines(t.path(), "S8");
    let stop = &lines[1];
    assert_eq!(
        (stop["nemesis"].as_str(), stop["landed"].as_bool()),
        (Some("clock-skew"), Some(true)),
        "{stop}"
    );
    let key = format!("pid:{pid} clock_skew_ms");
    let during = stop["probes"]["during"][&key].as_i64().unwrap();
    assert!((during + 3_600_000).abs() < 2000, "{during}");
    assert!(stop["probes"]["before"][&key].as_i64().unwrap().abs() < 2000);
    assert!(stop["probes"]["after"][&key].as_i64().unwrap().abs() < 2000);

    // A process not started under libfaketime cannot be skewed: refused, nothing written.
    let plain = sleeper();
    let o = fault_start(
        "clock-skew",
        s,
        "S8",
        &["--target", &format!("pid:{}", plain.0.id())],
    );
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("not started under libfaketime"),
        "{}",
        stderr(&o)
    );
    assert_eq!(log_lines(t.path(), "S8").len(), 2);
}

/// Unmounts a directory when dropped.
struct MountGuard(std::path::PathBuf);

impl Drop for MountGuard {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).output();
    }
}

#[test]
fn disk_full_fills_a_data_dirs_own_mount_and_frees_it() {
    if !ready(&["mount", "umount", "fallocate"]) {
        return;
    }
    let p = sleeper();
    let data = tempfile::tempdir().unwrap();
    assert!(Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(data.path())
        .status()
        .unwrap()
        .success());
    let _m = MountGuard(data.path().to_path_buf());
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let target = format!("pid:{}", p.0.id());
    let d = data.path().to_str().unwrap();
    let o = fault_start(
        "disk-full",
        s,
        "S9",
        &["--target", &target, "--data-dir", d, "--format", "json"],
    );
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["landed"], true, "{v}");
    let err = std::fs::write(data.path().join("x"), vec![0u8; 65536]).unwrap_err();
    assert_eq!(
        err.raw_os_error(),
        Some(28),
        "ENOSPC while the fault is active"
    );
    assert_exit(&run(&["fault", "stop", "F1", "--session", s]), 0);
    std::fs::write(data.path().join("x"), vec![0u8; 65536]).expect("space is back");
    let lines = log_lines(t.path(), "S9");
    assert_eq!(lines[1]["probes"]["during"]["write_64k"], "ENOSPC");
    assert_eq!(lines[1]["probes"]["after"]["write_64k"], "ok");

    // A data dir on the root file system would fill the host: refused.
    let o = fault_start(
        "disk-full",
        s,
        "S9",
        &["--target", &target, "--data-dir", "/"],
    );
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("root file system"), "{}", stderr(&o));
}

/// A stand-in `docker` CLI (the daemon is not needed to test what dstplan asks of the CLI):
/// `inspect -f FORMAT NAME`, `restart NAME`, `start NAME`, `compose ps -q SERVICE`, with state
/// in files under `dir`.
fn fake_docker(dir: &Path) -> String {
    let script = format!(
        r#"#!/bin/sh
D={d}
echo "$*" >> $D/calls
case "$1" in
  inspect)
    name="$4"
    [ -f "$D/$name.pid" ] || {{ echo "Error: No such object: $name" >&2; exit 1; }}
    case "$3" in
      *StartedAt*) echo "2026-12-06T00:00:0$(cat $D/$name.started)Z pid=$(cat $D/$name.pid)" ;;
      *) cat "$D/$name.pid" ;;
    esac ;;
  restart) n=$(cat "$D/$2.started"); echo $((n+1)) > "$D/$2.started"; echo "$2" ;;
  start) echo "$2" ;;
  compose) if [ "$4" = web ]; then echo web1; fi ;;
  *) exit 2 ;;
esac
"#,
        d = dir.display()
    );
    let bin_dir = dir.join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let docker = bin_dir.join("docker");
    std::fs::write(&docker, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&docker, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn container_and_compose_targets_go_through_the_docker_cli() {
    if !ready(&["kill"]) {
        return;
    }
    let p = sleeper();
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("web1.pid"), p.0.id().to_string()).unwrap();
    std::fs::write(d.path().join("web1.started"), "1").unwrap();
    let path = fake_docker(d.path());
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let run_docker = |args: &[&str]| bin().env("PATH", &path).args(args).output().unwrap();

    let o = run_docker(&fault_start_args(
        "container-restart",
        s,
        "S1",
        &["--target", "container:web1", "--format", "json"],
    ));
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["landed"], true, "{v}");
    assert_eq!(
        v["event"], "stop",
        "a restart heals itself: start and stop are logged at once"
    );
    let lines = log_lines(t.path(), "S1");
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[1]["commands"][0],
        serde_json::json!(["docker", "restart", "web1"])
    );
    let before = lines[1]["probes"]["before"]["container:web1 started"]
        .as_str()
        .unwrap();
    let during = lines[1]["probes"]["during"]["container:web1 started"]
        .as_str()
        .unwrap();
    assert!(
        before.contains("00:00:01Z") && during.contains("00:00:02Z"),
        "{before} / {during}"
    );

    // compose:SERVICE resolves through `docker compose ps -q` to the container's process.
    let o = run_docker(&fault_start_args(
        "process-pause",
        s,
        "S1",
        &["--target", "compose:web", "--for", "100ms"],
    ));
    assert_exit(&o, 0);
    let lines = log_lines(t.path(), "S1");
    assert_eq!(lines[3]["landed"], true, "{}", lines[3]);
    let calls = std::fs::read_to_string(d.path().join("calls")).unwrap();
    assert!(calls.contains("compose ps -q web"), "{calls}");

    let o = run_docker(&fault_start_args(
        "container-restart",
        s,
        "S1",
        &["--target", "compose:db"],
    ));
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("compose service db has no running container"),
        "{}",
        stderr(&o)
    );
}
