//! What each nemesis does: the steps that apply it (each with its undo recipe) and the probe
//! that says whether it landed. Nothing here runs a command; `state` runs the steps.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::targets::{self, NetHandle, Target};
use crate::error::Error;
use crate::net::cmd::{self, argv};

/// The nemeses `dstplan fault` implements, in the order of the catalogue.
pub const IMPLEMENTED: &[&str] = &[
    "process-pause",
    "process-stop",
    "process-kill",
    "container-restart",
    "partition-full",
    "partition-asymmetric",
    "partition-minority",
    "leader-isolation",
    "packet-loss",
    "latency",
    "disk-full",
    "clock-skew",
];

/// How long a process-stop target may take to exit after SIGTERM before the fault is judged
/// not landed.
pub const GRACE_SECS: u64 = 10;

/// One thing a step or an undo does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Run an argument vector and wait for it.
    Run(Vec<String>),
    /// Start `sh -c SHELL` detached (a restart command), output appended to `log`.
    Spawn { shell: String, log: PathBuf },
}

impl Action {
    /// The argument vector recorded in the fault log.
    pub fn argv(&self) -> Vec<String> {
        match self {
            Action::Run(a) => a.clone(),
            Action::Spawn { shell, .. } => argv(&["sh", "-c", shell]),
        }
    }
}

/// One change to the system and how to take it back. The undo is saved before the change is
/// made; undo commands tolerate finding nothing to undo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub apply: Vec<String>,
    pub undo: Vec<Action>,
}

/// How landing is measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Probe {
    /// `/proc/PID/status` State of each process (pause/stop: `T` while paused).
    ProcState { pids: Vec<u32> },
    /// Whether each process is gone (kill, stop); with a restart, the new process's id.
    ProcGone {
        pids: Vec<u32>,
        restart: bool,
        /// SIGTERM: the process gets [`GRACE_SECS`] to run its shutdown path.
        #[serde(default)]
        graceful: bool,
    },
    /// Packet counters on the DROP rules of these chains: (namespace, label, chain).
    DropCounters {
        chains: Vec<(NetHandle, String, String)>,
    },
    /// `tc -s qdisc` counters of the netem qdisc on these devices: (namespace, label, dev).
    Netem {
        devs: Vec<(NetHandle, String, String)>,
    },
    /// Container start time and main pid (`docker inspect`).
    Container { engine: String, names: Vec<String> },
    /// Each target's clock under its libfaketime settings: (pid, preload, timestamp file,
    /// FAKETIME_NO_CACHE set), and the skew asked for.
    Clock {
        clocks: Vec<(u32, String, String, bool)>,
        expect_secs: i64,
    },
    /// Free bytes of the data dir's file system and whether a 64 KiB write still fits.
    Disk { dir: PathBuf, probe_file: PathBuf },
}

/// Everything needed to apply, measure and heal one fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub probe: Probe,
    /// The fault heals itself once applied (container-restart): stop right after start.
    #[serde(default)]
    pub self_healing: bool,
}

/// The knobs of a start request that shape the plan.
#[derive(Debug, Clone, Default)]
pub struct Knobs {
    /// `--restart CMD` for process-kill.
    pub restart: Option<String>,
    /// Where a restarted process's output goes.
    pub restart_log: PathBuf,
    /// `--loss PERCENT` for packet-loss.
    pub loss_percent: f64,
    /// `--delay MS` for latency.
    pub delay_ms: u64,
    /// `--skew` for clock-skew, in whole seconds (negative: behind).
    pub skew_secs: i64,
    /// `--data-dir` for disk-full.
    pub data_dir: Option<PathBuf>,
    /// The session's fault-state directory (clock-skew keeps its timestamp files there).
    pub state_dir: PathBuf,
    /// A short tag of the session, part of firewall chain names.
    pub tag: String,
}

/// The canonical ID for a nemesis name (aliases accepted), refusing unknown and unimplemented
/// ones.
pub fn canonical(name: &str) -> Result<&'static str, Error> {
    let id = crate::vocab::lookup(crate::vocab::NEMESES, name).ok_or_else(|| {
        Error::new(format!(
            "unknown nemesis `{name}`; `dstplan vocab` lists the canonical IDs, and `dstplan \
             fault` implements {}",
            IMPLEMENTED.join(", ")
        ))
    })?;
    if !IMPLEMENTED.contains(&id) {
        return Err(Error::new(format!(
            "nemesis `{id}` is not implemented by `dstplan fault` yet; inject it with the SUT's \
             own tooling or a script and record its evidence by hand, or use one of {}",
            IMPLEMENTED.join(", ")
        )));
    }
    Ok(id)
}

/// Build the plan for a process or network `nemesis` on `targets` (given text, parsed; the
/// host nemeses are in `host`). Resolves every target and checks every tool first, so a
/// refusal changes nothing.
pub fn plan(
    nemesis: &str,
    id: &str,
    targets: &[(String, Target)],
    k: &Knobs,
) -> Result<Plan, Error> {
    match nemesis {
        "process-pause" => {
            cmd::require_tool("kill", "procps", "process-pause")?;
            let pids = all_pids(targets)?;
            let steps = pids
                .iter()
                .map(|p| Step {
                    apply: argv(&["kill", "-s", "STOP", &p.to_string()]),
                    undo: vec![Action::Run(argv(&["kill", "-s", "CONT", &p.to_string()]))],
                })
                .collect();
            Ok(Plan {
                steps,
                probe: Probe::ProcState { pids },
                self_healing: false,
            })
        }
        // process-stop is the catalogue's graceful stop (SIGTERM, shutdown hooks run);
        // process-kill is SIGKILL. Both heal by running --restart, when given.
        "process-stop" | "process-kill" => {
            cmd::require_tool("kill", "procps", nemesis)?;
            let pids = all_pids(targets)?;
            let graceful = nemesis == "process-stop";
            let sig = if graceful { "TERM" } else { "KILL" };
            let mut steps: Vec<Step> = pids
                .iter()
                .map(|p| Step {
                    apply: argv(&["kill", "-s", sig, &p.to_string()]),
                    undo: vec![],
                })
                .collect();
            if let (Some(shell), Some(first)) = (&k.restart, steps.first_mut()) {
                first.undo.push(Action::Spawn {
                    shell: shell.clone(),
                    log: k.restart_log.clone(),
                });
            }
            Ok(Plan {
                steps,
                probe: Probe::ProcGone {
                    pids,
                    restart: k.restart.is_some(),
                    graceful,
                },
                self_healing: false,
            })
        }
        "container-restart" => {
            let engine = targets::engine()?;
            let mut names = Vec::new();
            for (given, t) in targets {
                for c in t.containers(given)? {
                    targets::container_pid(&c, given)?;
                    names.push(c);
                }
            }
            let steps = names
                .iter()
                .map(|c| Step {
                    apply: argv(&[&engine, "restart", c]),
                    undo: vec![Action::Run(argv(&[&engine, "start", c]))],
                })
                .collect();
            Ok(Plan {
                steps,
                probe: Probe::Container { engine, names },
                self_healing: true,
            })
        }
        "partition-full"
        | "partition-asymmetric"
        | "partition-minority"
        | "leader-isolation"
        | "packet-loss" => drop_plan(nemesis, id, targets, k),
        "latency" => netem_plan(targets, k),
        other => Err(Error::internal(format!(
            "internal: no plan for implemented nemesis {other}"
        ))),
    }
}

fn all_pids(targets: &[(String, Target)]) -> Result<Vec<u32>, Error> {
    let mut v = Vec::new();
    for (given, t) in targets {
        for p in t.pids(given)? {
            if !v.contains(&p) {
                v.push(p);
            }
        }
    }
    if v.contains(&std::process::id()) {
        return Err(Error::new(
            "a target is dstplan's own process; give the SUT member's pid",
        ));
    }
    Ok(v)
}

/// One side of a network fault: its namespaces and addresses.
struct Side {
    nets: Vec<(String, NetHandle)>,
    addrs: Vec<(String, u8)>,
}

fn side(targets: &[(String, Target)]) -> Result<Side, Error> {
    let mut s = Side {
        nets: Vec::new(),
        addrs: Vec::new(),
    };
    for (given, t) in targets {
        for n in t.nets(given)? {
            let id = n.identity();
            if s.nets
                .iter()
                .any(|(_, m)| *m == n || (id.is_some() && m.identity() == id))
            {
                continue; // the same namespace named twice (or two processes sharing it)
            }
            let a = targets::addresses(&n)?;
            if a.is_empty() {
                return Err(Error::new(format!(
                    "target {given} has no IPv4 address besides loopback, so there is nothing \
                     to cut; give the member's namespace on the cluster's network"
                )));
            }
            s.addrs.extend(a);
            s.nets.push((given.clone(), n));
        }
    }
    Ok(s)
}

/// How many members the cluster has, to check minority sizes: the members of the `dstplan net`
/// the targets belong to (`NAME-n<i>`), else every namespace with an address on the side's
/// subnets.
fn cluster_size(side: &Side, subnets: &[String]) -> Result<usize, Error> {
    let all = crate::net::namespaces()?;
    let nets: Vec<Option<String>> = side
        .nets
        .iter()
        .map(|(_, n)| match n {
            NetHandle::Netns(ns) => crate::net::net_of(ns),
            NetHandle::Pid(_) => None,
        })
        .collect();
    if let Some(Some(first)) = nets.first() {
        if nets.iter().all(|n| n.as_deref() == Some(first.as_str())) {
            return Ok(crate::net::members(first, &all).len());
        }
    }
    let mut n = 0;
    for ns in all {
        let h = NetHandle::Netns(ns);
        if let Ok(a) = targets::addresses(&h) {
            if a.iter()
                .any(|(x, _)| subnets.iter().any(|s| targets::contains(s, x)))
            {
                n += 1;
            }
        }
    }
    Ok(n)
}

/// Partitions and packet loss: DROP rules in a chain of their own inside each target
/// namespace, so the counters and the undo are the chain's.
fn drop_plan(
    nemesis: &str,
    id: &str,
    targets: &[(String, Target)],
    k: &Knobs,
) -> Result<Plan, Error> {
    cmd::require_tool("iptables", "iptables", nemesis)?;
    let s = side(targets)?;
    if s.nets.iter().any(|(_, n)| matches!(n, NetHandle::Pid(_))) {
        cmd::require_tool("nsenter", "util-linux", nemesis)?;
    }
    let mut subnets: Vec<String> = s
        .addrs
        .iter()
        .filter_map(|(a, p)| targets::network(a, *p))
        .collect();
    subnets.sort();
    subnets.dedup();
    match nemesis {
        "leader-isolation" if s.nets.len() != 1 => {
            return Err(Error::new(format!(
                "leader-isolation cuts off one member and {} targets were given; give the \
                 leader's namespace alone (find it with the SUT's status command)",
                s.nets.len()
            )))
        }
        "partition-minority" => {
            let total = cluster_size(&s, &subnets)?;
            if s.nets.len() * 2 >= total {
                return Err(Error::new(format!(
                    "partition-minority: the {} target(s) are not a minority of the {total} \
                     member namespace(s) on {}; name fewer than half of them",
                    s.nets.len(),
                    subnets.join(", ")
                )));
            }
        }
        _ => {}
    }
    let host: Vec<String> = targets::host_addresses()?
        .into_iter()
        .filter(|a| subnets.iter().any(|n| targets::contains(n, a)))
        .collect();
    // The side's own members and the host stay reachable: only traffic with the rest of the
    // subnet is cut (packet loss drops a share of it).
    let mut keep: Vec<String> = host;
    if nemesis != "packet-loss" {
        keep.extend(s.addrs.iter().map(|(a, _)| a.clone()));
    }
    let loss = (nemesis == "packet-loss").then(|| format!("{:.4}", k.loss_percent / 100.0));
    let directions: &[(&str, &str, &str)] = if nemesis == "partition-asymmetric" {
        &[("INPUT", "IN", "-s")]
    } else {
        &[("INPUT", "IN", "-s"), ("OUTPUT", "OUT", "-d")]
    };
    let ipt = |net: &NetHandle, words: &[&str]| {
        let mut a = argv(&["iptables", "-w", "5"]);
        a.extend(argv(words));
        net.exec(&a)
    };
    let mut steps = Vec::new();
    let mut chains = Vec::new();
    for (given, net) in &s.nets {
        for (builtin, dir, flag) in directions {
            let chain = format!("DSTPLAN-{}-{id}-{dir}", k.tag);
            steps.push(Step {
                apply: ipt(net, &["-N", &chain]),
                undo: vec![
                    Action::Run(ipt(net, &["-F", &chain])),
                    Action::Run(ipt(net, &["-X", &chain])),
                ],
            });
            for a in &keep {
                steps.push(Step {
                    apply: ipt(net, &["-A", &chain, flag, a, "-j", "RETURN"]),
                    undo: vec![],
                });
            }
            for sub in &subnets {
                let mut words = vec!["-A", &chain, flag, sub.as_str()];
                if let Some(p) = &loss {
                    words.extend(["-m", "statistic", "--mode", "random", "--probability", p]);
                }
                words.extend(["-j", "DROP"]);
                steps.push(Step {
                    apply: ipt(net, &words),
                    undo: vec![],
                });
            }
            steps.push(Step {
                apply: ipt(net, &["-I", builtin, "1", "-j", &chain]),
                undo: vec![Action::Run(ipt(net, &["-D", builtin, "-j", &chain]))],
            });
            chains.push((net.clone(), format!("{given} {dir}"), chain));
        }
    }
    Ok(Plan {
        steps,
        probe: Probe::DropCounters { chains },
        self_healing: false,
    })
}

/// Latency: a netem qdisc on every non-loopback device of each target namespace.
fn netem_plan(targets: &[(String, Target)], k: &Knobs) -> Result<Plan, Error> {
    cmd::require_tool("tc", "iproute2", "latency")?;
    let s = side(targets)?;
    let mut steps = Vec::new();
    let mut devs = Vec::new();
    let delay = format!("{}ms", k.delay_ms);
    for (given, net) in &s.nets {
        let r = cmd::run_ok(&net.exec(&argv(&["ip", "-o", "link", "show"])))?;
        for line in r.stdout.lines() {
            let Some(dev) = line
                .split(':')
                .nth(1)
                .map(|d| d.trim().split('@').next().unwrap_or("").to_string())
            else {
                continue;
            };
            if dev.is_empty() || dev == "lo" {
                continue;
            }
            steps.push(Step {
                apply: net.exec(&argv(&[
                    "tc", "qdisc", "add", "dev", &dev, "root", "netem", "delay", &delay,
                ])),
                undo: vec![Action::Run(
                    net.exec(&argv(&["tc", "qdisc", "del", "dev", &dev, "root"])),
                )],
            });
            devs.push((net.clone(), format!("{given} {dev}"), dev));
        }
    }
    Ok(Plan {
        steps,
        probe: Probe::Netem { devs },
        self_healing: false,
    })
}

/// The environment error for a step that failed because the kernel lacks a feature, when the
/// tool's message says so.
pub fn kernel_feature_error(step: &[String], why: &str) -> Option<Error> {
    if why.contains("Specified qdisc kind is unknown") || why.contains("qdisc kind is unknown") {
        return Some(Error::environment(format!(
            "the kernel has no netem qdisc (`{}` said: {why}); load it with `modprobe sch_netem` \
             (package kmod, plus linux-modules-extra on some distributions) or use a kernel \
             built with CONFIG_NET_SCH_NETEM",
            step.join(" ")
        )));
    }
    if why.contains("Couldn't load match `statistic'") || why.contains("can't initialize iptables")
    {
        return Some(Error::environment(format!(
            "iptables cannot work in the target namespace (`{}` said: {why}); load the \
             netfilter modules (`modprobe iptable_filter xt_statistic`) or use a kernel with \
             them built in",
            step.join(" ")
        )));
    }
    None
}
