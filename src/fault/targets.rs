//! Fault targets as given on the command line (`pid:N`, `container:NAME`, `netns:NAME`,
//! `compose:SERVICE`) and what they resolve to: processes, a network namespace to run
//! `iptables`/`tc` in, containers, addresses.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::net::cmd::{self, argv, run};

/// A target as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    Pid(u32),
    Container(String),
    Netns(String),
    Compose(String),
}

/// Where network commands for a target run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NetHandle {
    /// `ip netns exec NAME …`
    Netns(String),
    /// `nsenter -t PID -n …`
    Pid(u32),
}

impl NetHandle {
    /// The namespace's identity (device and inode of its nsfs file): equal for two handles on
    /// the same namespace.
    pub fn identity(&self) -> Option<(u64, u64)> {
        use std::os::unix::fs::MetadataExt;
        let p = match self {
            NetHandle::Netns(n) => format!("/run/netns/{n}"),
            NetHandle::Pid(p) => format!("/proc/{p}/ns/net"),
        };
        std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
    }

    /// `words` run inside this network namespace.
    pub fn exec(&self, words: &[String]) -> Vec<String> {
        let mut v = match self {
            NetHandle::Netns(n) => argv(&["ip", "netns", "exec", n]),
            NetHandle::Pid(p) => vec!["nsenter".into(), "-t".into(), p.to_string(), "-n".into()],
        };
        v.extend(words.iter().cloned());
        v
    }
}

impl Target {
    /// Parse `kind:value`.
    pub fn parse(s: &str) -> Result<Target, Error> {
        let bad = || {
            Error::new(format!(
                "unknown target `{s}`; give pid:N, container:NAME, netns:NAME or compose:SERVICE"
            ))
        };
        let (kind, val) = s.split_once(':').ok_or_else(bad)?;
        if val.is_empty() {
            return Err(bad());
        }
        Ok(match kind {
            "pid" => Target::Pid(val.parse().ok().filter(|p| *p > 0).ok_or_else(|| {
                Error::new(format!(
                    "target `{s}`: `{val}` is not a process id; give pid:N with N > 0"
                ))
            })?),
            "container" => Target::Container(val.into()),
            "netns" => Target::Netns(val.into()),
            "compose" => Target::Compose(val.into()),
            _ => return Err(bad()),
        })
    }

    /// The processes the target stands for.
    pub fn pids(&self, given: &str) -> Result<Vec<u32>, Error> {
        match self {
            Target::Pid(p) => {
                if std::path::Path::new(&format!("/proc/{p}")).exists() {
                    Ok(vec![*p])
                } else {
                    Err(Error::new(format!(
                        "target {given}: no process {p} is running; check the id with `ps -p {p}`"
                    )))
                }
            }
            Target::Netns(n) => {
                require_netns(n, given)?;
                let r = run(&argv(&["ip", "netns", "pids", n]))?;
                let v: Vec<u32> = r
                    .stdout
                    .split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect();
                if v.is_empty() {
                    return Err(Error::new(format!(
                        "target {given}: no process runs in network namespace {n}; start the \
                         member with `ip netns exec {n} …` first"
                    )));
                }
                Ok(v)
            }
            Target::Container(_) | Target::Compose(_) => {
                let mut v = Vec::new();
                for c in self.containers(given)? {
                    v.push(container_pid(&c, given)?);
                }
                Ok(v)
            }
        }
    }

    /// The containers the target stands for (container and compose targets only).
    pub fn containers(&self, given: &str) -> Result<Vec<String>, Error> {
        match self {
            Target::Container(c) => Ok(vec![c.clone()]),
            Target::Compose(svc) => {
                let engine = engine()?;
                let r = run(&argv(&[&engine, "compose", "ps", "-q", svc]))?;
                if !r.ok {
                    return Err(Error::environment(format!(
                        "target {given}: `{engine} compose ps -q {svc}` failed: {}; run dstplan \
                         from the compose project's directory",
                        r.why()
                    )));
                }
                let v: Vec<String> = r.stdout.split_whitespace().map(str::to_string).collect();
                if v.is_empty() {
                    return Err(Error::new(format!(
                        "target {given}: the compose service {svc} has no running container; \
                         start it with `{engine} compose up -d {svc}`"
                    )));
                }
                Ok(v)
            }
            _ => Err(Error::new(format!(
                "target {given} is not a container; give container:NAME or compose:SERVICE"
            ))),
        }
    }

    /// The network namespaces of the target, refusing one that is this host's own (a
    /// partition there would cut the host off).
    pub fn nets(&self, given: &str) -> Result<Vec<NetHandle>, Error> {
        if let Target::Netns(n) = self {
            require_netns(n, given)?;
            return Ok(vec![NetHandle::Netns(n.clone())]);
        }
        let own = net_inode(&format!("/proc/{}/ns/net", std::process::id()));
        let mut v = Vec::new();
        for p in self.pids(given)? {
            let theirs = net_inode(&format!("/proc/{p}/ns/net"));
            if theirs.is_none() || theirs == own {
                return Err(Error::new(format!(
                    "target {given}: process {p} shares this host's network namespace, so a \
                     network fault on it would cut the host off; run the member in its own \
                     namespace (`dstplan net up`) and target netns:NAME"
                )));
            }
            v.push(NetHandle::Pid(p));
        }
        Ok(v)
    }
}

fn net_inode(path: &str) -> Option<String> {
    std::fs::read_link(path)
        .ok()
        .map(|p| p.display().to_string())
}

fn require_netns(n: &str, given: &str) -> Result<(), Error> {
    if std::path::Path::new("/run/netns").join(n).exists() {
        Ok(())
    } else {
        Err(Error::new(format!(
            "target {given}: no network namespace {n} (`ip netns list`); create the cluster's \
             namespaces with `dstplan net up NAME --nodes N`"
        )))
    }
}

/// `docker` or `podman`, whichever is installed.
pub fn engine() -> Result<String, Error> {
    for e in ["docker", "podman"] {
        if cmd::has_tool(e) {
            return Ok(e.to_string());
        }
    }
    Err(Error::environment(
        "container targets need the docker or podman CLI and neither is installed; install one \
         (`apt-get install docker.io` or `apt-get install podman`)",
    ))
}

/// A container's main process id (`docker inspect`).
pub fn container_pid(c: &str, given: &str) -> Result<u32, Error> {
    let engine = engine().map_err(|mut e| {
        e.message = format!("target {given}: {}", e.message);
        e
    })?;
    let r = run(&argv(&[&engine, "inspect", "-f", "{{.State.Pid}}", c]))?;
    let pid = r.stdout.trim().parse::<u32>().ok().filter(|p| *p > 0);
    match (r.ok, pid) {
        (true, Some(p)) => Ok(p),
        (true, None) => Err(Error::new(format!(
            "target {given}: container {c} is not running; start it first"
        ))),
        (false, _) => Err(Error::environment(format!(
            "target {given}: `{engine} inspect {c}` failed: {}; check the name with `{engine} ps` \
             and that the {engine} daemon runs",
            r.why()
        ))),
    }
}

/// The IPv4 addresses (with prefix length) inside a network namespace, loopback excluded.
pub fn addresses(net: &NetHandle) -> Result<Vec<(String, u8)>, Error> {
    let r = cmd::run_ok(&net.exec(&argv(&["ip", "-4", "-o", "addr", "show"])))?;
    let mut v = Vec::new();
    for line in r.stdout.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if let Some(i) = w.iter().position(|x| *x == "inet") {
            if let Some((a, p)) = w.get(i + 1).and_then(|c| c.split_once('/')) {
                if !a.starts_with("127.") {
                    v.push((a.to_string(), p.parse().unwrap_or(32)));
                }
            }
        }
    }
    Ok(v)
}

/// The IPv4 addresses of this host's own namespace.
pub fn host_addresses() -> Result<Vec<String>, Error> {
    let r = cmd::run_ok(&argv(&["ip", "-4", "-o", "addr", "show"]))?;
    Ok(r.stdout
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let i = w.iter().position(|x| *x == "inet")?;
            Some(w.get(i + 1)?.split('/').next()?.to_string())
        })
        .collect())
}

/// `a.b.c.d/p` → the network `a.b.c.0/p` (masked).
pub fn network(addr: &str, prefix: u8) -> Option<String> {
    let ip: std::net::Ipv4Addr = addr.parse().ok()?;
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    };
    let net = std::net::Ipv4Addr::from(u32::from(ip) & mask);
    Some(format!("{net}/{prefix}"))
}

/// Whether `addr` is inside `a.b.c.d/p`.
pub fn contains(net: &str, addr: &str) -> bool {
    let Some((base, p)) = net.split_once('/') else {
        return false;
    };
    let p: u8 = p.parse().unwrap_or(32);
    network(addr, p).as_deref() == Some(&format!("{base}/{p}")[..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_refuse_unknown_kinds() {
        assert_eq!(Target::parse("pid:12").unwrap(), Target::Pid(12));
        assert_eq!(
            Target::parse("netns:e-n1").unwrap(),
            Target::Netns("e-n1".into())
        );
        for bad in ["pid:x", "pid:0", "host:a", "netns:", "e-n1"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn networks_mask_and_contain() {
        assert_eq!(network("10.213.4.7", 24).unwrap(), "10.213.4.0/24");
        assert!(contains("10.213.4.0/24", "10.213.4.254"));
        assert!(!contains("10.213.4.0/24", "10.213.5.1"));
    }
}
