//! `dstplan net`: N network namespaces on one bridge, private to the machine, so an N-node
//! cluster can run on one host (one member per namespace) and be partitioned.
//!
//! - [`cmd`]: running external tools as argument vectors; root and tool checks.
//!
//! Layout of a net called `NAME` with N nodes: namespaces `NAME-n1` … `NAME-nN`, each with a
//! veth `eth0` at `10.213.K.i/24` and loopback up; the host ends `dst-NAME-i` sit on the bridge
//! `dstbr-NAME`, which holds `10.213.K.254/24` so clients on the host reach every node. K is the
//! first /24 of 10.213.0.0/16 no host address uses. There is no default route, no NAT and no
//! forwarding: traffic stays on the bridge.

pub mod cmd;

use serde::Serialize;

use crate::error::Error;
use cmd::{argv, run, run_ok};

/// The most nodes one net holds (host-side interface names must fit in 15 bytes).
pub const MAX_NODES: usize = 64;

/// One namespace of a net.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Node {
    pub netns: String,
    pub address: String,
}

/// A net that `up` created (or `down` found).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Net {
    pub name: String,
    pub bridge: String,
    /// `10.213.K.0/24`.
    pub subnet: String,
    /// The bridge's own address: where the host is reached from the nodes.
    pub host_address: String,
    pub nodes: Vec<Node>,
    /// Every command run, in order.
    pub commands: Vec<Vec<String>>,
    /// Changes made outside the namespaces and the bridge (a host firewall rule), in words.
    pub notes: Vec<String>,
}

/// What `down` removed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct Removed {
    pub name: String,
    pub namespaces: Vec<String>,
    pub bridge: Option<String>,
    /// Processes that were still running inside a removed namespace (they keep it alive).
    pub leftover_pids: Vec<u32>,
    pub commands: Vec<Vec<String>>,
}

/// The bridge of a net.
pub fn bridge_name(name: &str) -> String {
    format!("dstbr-{name}")
}

/// The namespace of node `i` (1-based).
pub fn netns_name(name: &str, i: usize) -> String {
    format!("{name}-n{i}")
}

fn host_veth(name: &str, i: usize) -> String {
    format!("dst-{name}-{i}")
}

/// Check a net name: 1–8 of `a-z0-9-`, starting with a letter (interface names are short).
pub fn check_name(name: &str) -> Result<(), Error> {
    let ok = (1..=8).contains(&name.len())
        && name.as_bytes()[0].is_ascii_lowercase()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::new(format!(
            "net name `{name}` is not 1-8 characters of a-z, 0-9 and `-` starting with a letter; \
             pick a short name such as `etcd` (it prefixes namespace and interface names, which \
             the kernel limits to 15 bytes)"
        )))
    }
}

/// The network namespaces that exist (`ip netns list`).
pub fn namespaces() -> Result<Vec<String>, Error> {
    let r = run_ok(&argv(&["ip", "netns", "list"]))?;
    Ok(r.stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect())
}

/// The net a namespace named `NAME-n<digits>` belongs to.
pub fn net_of(netns: &str) -> Option<String> {
    let (name, num) = netns.rsplit_once("-n")?;
    (check_name(name).is_ok() && !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()))
        .then(|| name.to_string())
}

/// The namespaces that belong to net `name`: `NAME-n<digits>`.
pub fn members(name: &str, all: &[String]) -> Vec<String> {
    let prefix = format!("{name}-n");
    let mut v: Vec<String> = all
        .iter()
        .filter(|n| {
            n.strip_prefix(&prefix)
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        })
        .cloned()
        .collect();
    v.sort_by_key(|n| n[prefix.len()..].parse::<usize>().unwrap_or(0));
    v
}

fn link_exists(dev: &str) -> Result<bool, Error> {
    Ok(run(&argv(&["ip", "link", "show", "dev", dev]))?.ok)
}

/// The third octet of the first 10.213.K.0/24 that no host address is in.
fn free_subnet() -> Result<u8, Error> {
    let r = run_ok(&argv(&["ip", "-4", "-o", "addr", "show"]))?;
    let used: Vec<u8> = r
        .stdout
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("10.213."))
        .filter_map(|rest| rest.split('.').next()?.parse().ok())
        .collect();
    (0..=255u8).find(|k| !used.contains(k)).ok_or_else(|| {
        Error::environment(
            "every /24 of 10.213.0.0/16 is in use on this host; remove a net with \
             `dstplan net down NAME`",
        )
    })
}

/// Create net `name` with `nodes` namespaces. Refuses (changing nothing) when any of its
/// namespaces or its bridge exists; on a failure part-way, removes what it created.
pub fn up(name: &str, nodes: usize) -> Result<Net, Error> {
    check_name(name)?;
    if !(1..=MAX_NODES).contains(&nodes) {
        return Err(Error::new(format!(
            "--nodes {nodes} is out of range; give 1 to {MAX_NODES}"
        )));
    }
    cmd::require_root("`dstplan net up` (it creates network namespaces and a bridge)")?;
    cmd::require_tool("ip", "iproute2", "`dstplan net`")?;
    let existing = namespaces()?;
    let taken: Vec<String> = (1..=nodes)
        .map(|i| netns_name(name, i))
        .filter(|n| existing.contains(n))
        .chain(members(name, &existing))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !taken.is_empty() {
        return Err(Error::environment(format!(
            "network namespace {} already exists (`ip netns list`); remove the old net with \
             `dstplan net down {name}` or pick another name",
            taken.join(", ")
        )));
    }
    let bridge = bridge_name(name);
    if link_exists(&bridge)? {
        return Err(Error::environment(format!(
            "the bridge {bridge} already exists (`ip link show {bridge}`); remove it with \
             `dstplan net down {name}` or pick another name"
        )));
    }
    // Two `net up`s at once would pick the same subnet: hold a lock from the pick until the
    // bridge has its address.
    let _lock = lock()?;
    let k = free_subnet()?;
    let mut net = Net {
        name: name.to_string(),
        bridge: bridge.clone(),
        subnet: format!("10.213.{k}.0/24"),
        host_address: format!("10.213.{k}.254"),
        nodes: Vec::new(),
        commands: Vec::new(),
        notes: Vec::new(),
    };
    let mut made = Made::default();
    let result = build(&mut net, k, nodes, &mut made);
    if let Err(e) = result {
        // Host-side links first: a deleted namespace takes its links with it only
        // asynchronously, and `net up` promises nothing is left when it returns.
        for link in made.links.iter().rev() {
            let _ = run(&argv(&["ip", "link", "del", "dev", link]));
        }
        for ns in made.ns.iter().rev() {
            let _ = run(&argv(&["ip", "netns", "del", ns]));
        }
        if made.bridge {
            let _ = run(&argv(&["ip", "link", "del", "dev", &bridge]));
        }
        while run(&forward_rule("-D", &bridge)).is_ok_and(|r| r.ok) {}
        return Err(Error::environment(format!(
            "{}; removed what was created ({} namespace(s){})",
            e.message,
            made.ns.len(),
            if made.bridge { " and the bridge" } else { "" }
        )));
    }
    Ok(net)
}

/// An exclusive lock on `/run/dstplan-net.lock`, released when dropped.
struct Lock(std::fs::File);

fn lock() -> Result<Lock, Error> {
    use std::os::fd::AsRawFd;
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open("/run/dstplan-net.lock")
        .map_err(|e| Error::environment(format!("cannot open /run/dstplan-net.lock: {e}")))?;
    // SAFETY: flock on a file descriptor we own; the lock goes with the descriptor.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(Error::environment(format!(
            "cannot lock /run/dstplan-net.lock: {}",
            std::io::Error::last_os_error()
        )));
    }
    Ok(Lock(f))
}

impl Drop for Lock {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        // SAFETY: unlocking a descriptor we own.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// What `up` has created so far, for its rollback.
#[derive(Default)]
struct Made {
    bridge: bool,
    ns: Vec<String>,
    links: Vec<String>,
}

fn build(net: &mut Net, k: u8, nodes: usize, made: &mut Made) -> Result<(), Error> {
    let bridge = net.bridge.clone();
    let step = |net: &mut Net, words: &[&str]| -> Result<(), Error> {
        let a = argv(words);
        net.commands.push(a.clone());
        run_ok(&a).map(|_| ())
    };
    step(
        net,
        &["ip", "link", "add", "name", &bridge, "type", "bridge"],
    )?;
    made.bridge = true;
    let host = format!("{}/24", net.host_address);
    step(net, &["ip", "addr", "add", &host, "dev", &bridge])?;
    step(net, &["ip", "link", "set", "dev", &bridge, "up"])?;
    if forward_drops()? {
        let a = forward_rule("-I", &bridge);
        net.commands.push(a.clone());
        run_ok(&a)?;
        net.notes.push(format!(
            "the host's iptables FORWARD policy drops bridged packets (bridge-nf-call-iptables \
             is 1), so traffic within {bridge} is accepted by a FORWARD rule that `net down` \
             removes"
        ));
    }
    for i in 1..=nodes {
        let ns = netns_name(&net.name, i);
        let veth = host_veth(&net.name, i);
        let addr = format!("10.213.{k}.{i}");
        let cidr = format!("{addr}/24");
        step(net, &["ip", "netns", "add", &ns])?;
        made.ns.push(ns.clone());
        step(
            net,
            &[
                "ip", "link", "add", "name", &veth, "type", "veth", "peer", "name", "eth0",
                "netns", &ns,
            ],
        )?;
        made.links.push(veth.clone());
        step(net, &["ip", "link", "set", "dev", &veth, "master", &bridge])?;
        step(net, &["ip", "link", "set", "dev", &veth, "up"])?;
        step(net, &["ip", "-n", &ns, "link", "set", "dev", "lo", "up"])?;
        step(net, &["ip", "-n", &ns, "addr", "add", &cidr, "dev", "eth0"])?;
        step(net, &["ip", "-n", &ns, "link", "set", "dev", "eth0", "up"])?;
        net.nodes.push(Node {
            netns: ns,
            address: addr,
        });
    }
    // A veth pair reports carrier a moment after both ends are up: return once every node's
    // eth0 is UP (at most 5 s), so traffic flows as soon as `net up` exits.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    for node in &net.nodes {
        loop {
            let r = run(&argv(&[
                "ip",
                "-n",
                &node.netns,
                "-o",
                "link",
                "show",
                "dev",
                "eth0",
            ]))?;
            if r.stdout.contains("state UP") {
                break;
            }
            if std::time::Instant::now() >= deadline {
                return Err(Error::environment(format!(
                    "eth0 in {} did not come up within 5 s: {}",
                    node.netns,
                    r.stdout.trim()
                )));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    Ok(())
}

/// Whether bridged packets go through the host's iptables FORWARD chain and its policy drops
/// them (a host with Docker, for example): then the nodes could not talk without a rule.
fn forward_drops() -> Result<bool, Error> {
    let hooked = std::fs::read_to_string("/proc/sys/net/bridge/bridge-nf-call-iptables")
        .is_ok_and(|v| v.trim() == "1");
    if !hooked || !cmd::has_tool("iptables") {
        return Ok(false);
    }
    let r = run(&argv(&["iptables", "-w", "5", "-S", "FORWARD"]))?;
    Ok(r.ok
        && r.stdout.lines().next().is_some_and(|l| {
            l.starts_with("-P FORWARD DROP") || l.starts_with("-P FORWARD REJECT")
        }))
}

/// The host FORWARD rule accepting traffic between the ports of `bridge` (`-I` adds, `-D`
/// removes).
fn forward_rule(op: &str, bridge: &str) -> Vec<String> {
    let mut a = argv(&["iptables", "-w", "5", op, "FORWARD"]);
    if op == "-I" {
        a.push("1".into());
    }
    a.extend(argv(&["-i", bridge, "-o", bridge, "-j", "ACCEPT"]));
    a
}

/// Remove net `name`: its namespaces and its bridge. Removing a net that is not there is not
/// an error (nothing is removed).
pub fn down(name: &str) -> Result<Removed, Error> {
    check_name(name)?;
    cmd::require_root("`dstplan net down` (it deletes network namespaces and a bridge)")?;
    cmd::require_tool("ip", "iproute2", "`dstplan net`")?;
    let mut out = Removed {
        name: name.to_string(),
        ..Removed::default()
    };
    for ns in members(name, &namespaces()?) {
        let pids = run(&argv(&["ip", "netns", "pids", &ns]))?;
        out.leftover_pids.extend(
            pids.stdout
                .split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok()),
        );
        // The host end of the node's link, by name: deleting the namespace would remove it
        // only asynchronously, and an immediate `net up` of the same name would meet it.
        if let Some(i) = ns.rsplit_once("-n").map(|(_, i)| i.to_string()) {
            let link = format!("dst-{name}-{i}");
            if link_exists(&link)? {
                let a = argv(&["ip", "link", "del", "dev", &link]);
                out.commands.push(a.clone());
                run_ok(&a)?;
            }
        }
        let a = argv(&["ip", "netns", "del", &ns]);
        out.commands.push(a.clone());
        run_ok(&a)?;
        out.namespaces.push(ns);
    }
    let bridge = bridge_name(name);
    if link_exists(&bridge)? {
        let a = argv(&["ip", "link", "del", "dev", &bridge]);
        out.commands.push(a.clone());
        run_ok(&a)?;
        out.bridge = Some(bridge.clone());
    }
    if cmd::has_tool("iptables") {
        let a = forward_rule("-D", &bridge);
        while run(&a)?.ok {
            out.commands.push(a.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_interface_limits_and_members_match_exactly() {
        assert!(check_name("etcd-a1").is_ok());
        assert!(check_name("toolongname").is_err() && check_name("1x").is_err());
        assert!(host_veth("abcdefgh", MAX_NODES).len() <= 15);
        assert!(bridge_name("abcdefgh").len() <= 15);
        let all: Vec<String> = ["e-n2", "e-n10", "e-n1", "e-nx", "ee-n1", "e-n"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(members("e", &all), ["e-n1", "e-n2", "e-n10"]);
        assert_eq!(net_of("etcd-n12").as_deref(), Some("etcd"));
        assert_eq!(net_of("a-nb-n3").as_deref(), Some("a-nb"));
        assert!(net_of("etcd-n").is_none() && net_of("plain").is_none());
    }
}
