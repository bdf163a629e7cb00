//! Landing probes: what each nemesis measures before, during and after the fault, user
//! `--probe NAME=CMD` outputs, and the landing verdict computed from them (never from an
//! injector's exit code).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::log::Landed;
use super::nemeses::Probe;
use super::targets::NetHandle;
use crate::net::cmd::{argv, run};

/// Probe name → value for one phase.
pub type Values = BTreeMap<String, Value>;

/// `/proc/PID/status` State (`"T (stopped)"`, …), or `"gone"`.
pub fn proc_state(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("State:").map(|v| v.trim().to_string()))
        })
        .unwrap_or_else(|| "gone".into())
}

fn is_stopped(state: &str) -> bool {
    state.starts_with('T') || state.starts_with('t')
}

fn is_dead(state: &str) -> bool {
    state == "gone" || state.starts_with('Z') || state.starts_with('X')
}

/// The packets dropped by the DROP rules of `chain` in `net` (`None` when the chain is absent).
pub fn drop_packets(net: &NetHandle, chain: &str) -> Option<u64> {
    let r = run(&net.exec(&argv(&[
        "iptables", "-w", "5", "-L", chain, "-v", "-n", "-x",
    ])))
    .ok()?;
    if !r.ok {
        return None;
    }
    Some(
        r.stdout
            .lines()
            .filter_map(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                (w.get(2) == Some(&"DROP")).then(|| w[0].parse::<u64>().ok())?
            })
            .sum(),
    )
}

/// `tc -s qdisc show dev DEV`: (netem present, packets sent, packets dropped).
fn netem_counters(net: &NetHandle, dev: &str) -> (bool, u64, u64) {
    let Ok(r) = run(&net.exec(&argv(&["tc", "-s", "qdisc", "show", "dev", dev]))) else {
        return (false, 0, 0);
    };
    let present = r.stdout.contains("netem");
    let num_after = |key: &str| -> u64 {
        r.stdout
            .split(key)
            .nth(1)
            .and_then(|rest| {
                rest.trim_start()
                    .split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse()
                    .ok()
            })
            .unwrap_or(0)
    };
    let sent = r
        .stdout
        .split("bytes ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    (present, sent, num_after("dropped "))
}

fn container_started(engine: &str, name: &str) -> String {
    run(&argv(&[
        engine,
        "inspect",
        "-f",
        "{{.State.StartedAt}} pid={{.State.Pid}}",
        name,
    ]))
    .ok()
    .filter(|r| r.ok)
    .map(|r| r.stdout.trim().to_string())
    .unwrap_or_else(|| "gone".into())
}

/// Read the probe once.
pub fn measure(p: &Probe) -> Values {
    let mut v = Values::new();
    match p {
        Probe::ProcState { pids } | Probe::ProcGone { pids, .. } => {
            for pid in pids {
                v.insert(format!("pid:{pid} state"), json!(proc_state(*pid)));
            }
        }
        Probe::DropCounters { chains } => {
            for (net, label, chain) in chains {
                v.insert(
                    format!("{label} dropped_packets"),
                    drop_packets(net, chain).map_or(Value::Null, |n| json!(n)),
                );
            }
        }
        Probe::Netem { devs } => {
            for (net, label, dev) in devs {
                let (present, sent, dropped) = netem_counters(net, dev);
                v.insert(format!("{label} netem"), json!(present));
                v.insert(format!("{label} sent_packets"), json!(sent));
                v.insert(format!("{label} dropped_packets"), json!(dropped));
            }
        }
        Probe::Container { engine, names } => {
            for n in names {
                v.insert(
                    format!("container:{n} started"),
                    json!(container_started(engine, n)),
                );
            }
        }
        Probe::Clock { clocks, .. } => {
            for (pid, preload, file, _) in clocks {
                v.insert(
                    format!("pid:{pid} clock_skew_ms"),
                    super::host::clock_skew_ms(*pid, preload, file)
                        .map_or(Value::Null, |x| json!(x)),
                );
            }
        }
        Probe::Disk { dir, probe_file } => {
            v.insert(
                "free_bytes".into(),
                super::host::free_bytes(dir).map_or(Value::Null, |x| json!(x)),
            );
            v.insert(
                "write_64k".into(),
                json!(super::host::write_probe(probe_file)),
            );
        }
    }
    v
}

fn sum_dropped(v: &Values) -> Option<u64> {
    let mut any = false;
    let mut total = 0;
    for (k, x) in v {
        if k.ends_with("dropped_packets") {
            if let Some(n) = x.as_u64() {
                any = true;
                total += n;
            }
        }
    }
    any.then_some(total)
}

/// Landing from the `before` and `during` readings.
pub fn landed(p: &Probe, before: &Values, during: &Values) -> (Landed, String) {
    match p {
        Probe::ProcState { pids } => {
            let stopped = pids
                .iter()
                .filter(|pid| {
                    during
                        .get(&format!("pid:{pid} state"))
                        .and_then(Value::as_str)
                        .is_some_and(is_stopped)
                })
                .count();
            if stopped == pids.len() {
                (
                    Landed::Known(true),
                    format!("/proc/PID/status showed State T (stopped) for all {stopped} process(es) during the fault"),
                )
            } else {
                (
                    Landed::Known(false),
                    format!("only {stopped} of {} process(es) showed State T (stopped) during the fault", pids.len()),
                )
            }
        }
        Probe::ProcGone { pids, graceful, .. } => {
            let signal = if *graceful { "SIGTERM" } else { "SIGKILL" };
            let dead = pids
                .iter()
                .filter(|pid| {
                    during
                        .get(&format!("pid:{pid} state"))
                        .and_then(Value::as_str)
                        .is_some_and(is_dead)
                })
                .count();
            if dead == pids.len() {
                (
                    Landed::Known(true),
                    format!("all {dead} process(es) disappeared from /proc (or became zombies) after {signal}"),
                )
            } else {
                (
                    Landed::Known(false),
                    format!(
                        "{} of {} process(es) were still alive after SIGKILL",
                        pids.len() - dead,
                        pids.len()
                    ),
                )
            }
        }
        Probe::DropCounters { chains } => {
            let missing = during.values().filter(|x| x.is_null()).count();
            if missing > 0 {
                return (
                    Landed::Known(false),
                    format!("{missing} of {} DROP chain(s) were missing while the fault was active (removed by someone else?)", chains.len()),
                );
            }
            match sum_dropped(during) {
                Some(n) if n > 0 => (
                    Landed::Known(true),
                    format!("the DROP rules counted {n} packet(s) between the sides"),
                ),
                _ => (
                    Landed::UNKNOWN,
                    "the DROP rules are in place but counted no packets yet (no traffic crossed the cut)".into(),
                ),
            }
        }
        Probe::Netem { devs } => {
            let absent = during
                .iter()
                .filter(|(k, x)| k.ends_with(" netem") && x == &&json!(false))
                .count();
            if absent > 0 {
                return (
                    Landed::Known(false),
                    format!(
                        "{absent} of {} device(s) had no netem qdisc while the fault was active",
                        devs.len()
                    ),
                );
            }
            let sent = |v: &Values| -> u64 {
                v.iter()
                    .filter(|(k, _)| k.ends_with("sent_packets"))
                    .filter_map(|(_, x)| x.as_u64())
                    .sum()
            };
            let n = sent(during).saturating_sub(sent(before));
            if n > 0 {
                (
                    Landed::Known(true),
                    format!("{n} packet(s) went through the netem delay"),
                )
            } else {
                (
                    Landed::UNKNOWN,
                    "netem is in place but no packet went through it yet".into(),
                )
            }
        }
        Probe::Clock { clocks, expect_secs } => {
            let want = expect_secs * 1000;
            let near = |v: &Values, target: i64, pid: &u32| {
                v.get(&format!("pid:{pid} clock_skew_ms"))
                    .and_then(Value::as_i64)
                    .is_some_and(|x| (x - target).abs() <= 2000)
            };
            let moved = clocks.iter().filter(|(p, ..)| near(during, want, p)).count();
            let caching = clocks.iter().filter(|c| !c.3).count();
            if moved == clocks.len() {
                let mut why = format!(
                    "the clock read under each target's libfaketime settings was {expect_secs:+} s off the host clock (within 2 s)"
                );
                if caching > 0 {
                    why.push_str(&format!(
                        "; {caching} target(s) lack FAKETIME_NO_CACHE=1 and may see the change up to 10 s late"
                    ));
                }
                (Landed::Known(true), why)
            } else {
                (
                    Landed::Known(false),
                    format!("only {moved} of {} target clock(s) read {expect_secs:+} s off the host clock", clocks.len()),
                )
            }
        }
        Probe::Disk { .. } => match during.get("write_64k").and_then(Value::as_str) {
            Some("ENOSPC") => (
                Landed::Known(true),
                format!(
                    "a 64 KiB write in the data dir failed with ENOSPC ({} bytes free)",
                    during.get("free_bytes").cloned().unwrap_or(Value::Null)
                ),
            ),
            Some(other) => (
                Landed::Known(false),
                format!("a 64 KiB write in the data dir still gave `{other}` while the fill file was in place"),
            ),
            None => (Landed::UNKNOWN, "the data dir could not be probed".into()),
        },
        Probe::Container { names, .. } => {
            let changed = names
                .iter()
                .filter(|n| {
                    let k = format!("container:{n} started");
                    let (b, d) = (before.get(&k), during.get(&k));
                    b.is_some() && d.is_some() && b != d && d != Some(&json!("gone"))
                })
                .count();
            if changed == names.len() {
                (
                    Landed::Known(true),
                    format!("the start time of all {changed} container(s) changed"),
                )
            } else {
                (
                    Landed::Known(false),
                    format!(
                        "only {changed} of {} container(s) show a new start time",
                        names.len()
                    ),
                )
            }
        }
    }
}

/// The `during` reading right after applying: process probes wait (up to 2 s) for the kernel
/// to deliver the signal; network probes wait up to 1 s for a first dropped packet.
pub fn measure_during(p: &Probe, before: &Values) -> Values {
    let deadline = Instant::now()
        + match p {
            Probe::ProcGone { graceful: true, .. } => {
                Duration::from_secs(super::nemeses::GRACE_SECS)
            }
            Probe::ProcState { .. } | Probe::ProcGone { .. } => Duration::from_secs(2),
            Probe::DropCounters { .. } | Probe::Netem { .. } => Duration::from_secs(1),
            Probe::Container { .. } | Probe::Disk { .. } => Duration::ZERO,
            Probe::Clock { .. } => Duration::from_secs(1),
        };
    loop {
        let v = measure(p);
        let (l, _) = landed(p, before, &v);
        if l.is_true() || Instant::now() >= deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The `after` reading: for a paused process, waits (up to 1 s) for SIGCONT to take effect.
pub fn measure_after(p: &Probe) -> Values {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let v = measure(p);
        if !matches!(p, Probe::ProcState { .. }) || healed(p, &v).0 || Instant::now() >= deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether the heal took: nothing of the fault is left in the `after` reading.
pub fn healed(p: &Probe, after: &Values) -> (bool, String) {
    match p {
        Probe::ProcState { .. } => {
            let stuck = after
                .values()
                .filter(|x| x.as_str().is_some_and(is_stopped))
                .count();
            (
                stuck == 0,
                format!("{stuck} process(es) still stopped after SIGCONT"),
            )
        }
        Probe::DropCounters { .. } => {
            let left = after.values().filter(|x| !x.is_null()).count();
            (
                left == 0,
                format!("{left} DROP chain(s) left after the heal"),
            )
        }
        Probe::Netem { .. } => {
            let left = after
                .iter()
                .filter(|(k, x)| k.ends_with(" netem") && x == &&json!(true))
                .count();
            (
                left == 0,
                format!("{left} netem qdisc(s) left after the heal"),
            )
        }
        Probe::Clock { clocks, .. } => {
            let off = clocks
                .iter()
                .filter(|(p, ..)| {
                    after
                        .get(&format!("pid:{p} clock_skew_ms"))
                        .and_then(Value::as_i64)
                        .is_none_or(|x| x.abs() > 2000)
                })
                .count();
            (
                off == 0,
                format!("{off} target clock(s) still off after the heal"),
            )
        }
        Probe::Disk { .. } => {
            let ok = after.get("write_64k").and_then(Value::as_str) == Some("ok");
            (
                ok,
                "a 64 KiB write in the data dir still fails after the heal".into(),
            )
        }
        Probe::ProcGone { .. } | Probe::Container { .. } => (true, String::new()),
    }
}

/// Run a user probe `sh -c CMD` (bounded by 10 s): `{"exit": N, "output": "…"}`.
pub fn user_probe(cmd: &str) -> Value {
    match run(&argv(&["timeout", "10", "sh", "-c", cmd])) {
        Ok(r) => {
            let mut out = r.stdout.trim_end().to_string();
            if out.len() > 4096 {
                let mut cut = 4096;
                while !out.is_char_boundary(cut) {
                    cut -= 1;
                }
                out.truncate(cut);
            }
            json!({"exit": r.code, "output": out})
        }
        Err(e) => json!({"exit": null, "output": e.message}),
    }
}
