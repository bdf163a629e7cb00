//! `dstplan net up/down` and network faults between its namespaces, through the binary: real
//! namespaces, a real bridge, real iptables counters. Needs root, iproute2, iptables, ping.

mod common;
mod fault_support;
use common::*;
use fault_support::*;

use std::process::Command;

/// A net name unique to this test process and test (at most 8 characters).
fn name(letter: char) -> String {
    format!("{letter}{:05}", std::process::id() % 100_000)
}

fn ready(tools: &[&str]) -> bool {
    ready_for("root (network namespaces)", tools)
}

/// Whether traffic flows: up to three pings (a loaded machine may miss one ARP round).
fn flows(from: &str, to: &str) -> bool {
    (0..3).any(|_| ping(from, to))
}

/// One ping of at most a second.
fn ping(from: &str, to: &str) -> bool {
    Command::new("ip")
        .args(["netns", "exec", from, "ping", "-c1", "-W1", to])
        .output()
        .unwrap()
        .status
        .success()
}

fn up(name: &str, nodes: usize) -> serde_json::Value {
    let o = run(&[
        "net",
        "up",
        name,
        "--nodes",
        &nodes.to_string(),
        "--format",
        "json",
    ]);
    assert_exit(&o, 0);
    serde_json::from_str(&stdout(&o)).unwrap()
}

fn addr(net: &serde_json::Value, i: usize) -> String {
    net["nodes"][i]["address"].as_str().unwrap().to_string()
}

fn chains_left(ns: &str) -> String {
    let o = Command::new("ip")
        .args(["netns", "exec", ns, "iptables", "-S"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.contains("DSTPLAN"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn two_nodes_talk_are_cut_by_partition_full_and_talk_again_after_undo() {
    if !ready(&["ip", "iptables", "ping"]) {
        return;
    }
    let n = name('p');
    let _g = NetGuard(n.clone());
    let net = up(&n, 2);
    let (n1, n2) = (format!("{n}-n1"), format!("{n}-n2"));
    assert_eq!(net["nodes"][0]["netns"], n1.as_str());
    assert!(net["subnet"].as_str().unwrap().starts_with("10.213."));
    let (a1, a2) = (addr(&net, 0), addr(&net, 1));
    assert!(
        flows(&n1, &a2) && flows(&n2, &a1),
        "traffic flows on the bridge"
    );
    let host = net["host_address"].as_str().unwrap().to_string();

    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let target = format!("netns:{n1}");
    let o = fault_start("partition-full", s, "S1", &["--target", &target]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o).trim(), "F1");
    assert!(
        !ping(&n1, &a2) && !ping(&n2, &a1),
        "the partition cuts both ways"
    );
    assert!(
        ping(&n1, &host),
        "the host stays reachable from the cut side"
    );

    let o = run(&["fault", "undo", "--all", "--session", s]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("F1 partition-full"), "{}", stdout(&o));
    assert!(
        ping(&n1, &a2) && ping(&n2, &a1),
        "traffic flows again after undo"
    );
    assert_eq!(chains_left(&n1), "", "no rules left");

    let lines = log_lines(t.path(), "S1");
    assert_eq!(lines.len(), 2);
    let stop = &lines[1];
    assert_eq!(stop["event"], "stop");
    assert_eq!(stop["landed"], true, "{stop}");
    let during = &stop["probes"]["during"];
    let dropped: u64 = during
        .as_object()
        .unwrap()
        .values()
        .filter_map(|v| v.as_u64())
        .sum();
    assert!(
        dropped >= 2,
        "the two failed pings hit the DROP rules: {during}"
    );
    assert_eq!(
        stop["probes"]["before"][format!("{target} IN dropped_packets")],
        serde_json::Value::Null
    );
    assert_eq!(stop["probes"]["after"]["healed"], true);
    assert!(stop["end_ts"].as_i64().unwrap() > stop["start_ts"].as_i64().unwrap());

    // Idempotent: nothing left to heal.
    let o = run(&["fault", "undo", "--all", "--session", s]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("nothing to heal"));
    assert_eq!(log_lines(t.path(), "S1").len(), 2);
}

#[test]
fn leader_isolation_cuts_one_member_off_and_the_majority_still_talks() {
    if !ready(&["ip", "iptables", "ping"]) {
        return;
    }
    let n = name('l');
    let _g = NetGuard(n.clone());
    let net = up(&n, 3);
    let ns = |i: usize| format!("{n}-n{i}");
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let (t1, t2) = (format!("netns:{}", ns(1)), format!("netns:{}", ns(2)));
    let both = ["--target", &t1, "--target", &t2];
    // Leader isolation names one member; two is a refusal that changes nothing.
    let o = fault_start("leader-isolation", s, "S5", &both);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("one member"), "{}", stderr(&o));
    assert_eq!(chains_left(&ns(1)), "");
    // partition-minority refuses a side that is not a minority.
    let o = fault_start("partition-minority", s, "S5", &both);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("not a minority"), "{}", stderr(&o));

    let o = fault_start(
        "leader-isolation",
        s,
        "S5",
        &["--target", &format!("netns:{}", ns(1)), "--format", "json"],
    );
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["id"], "F1");
    assert!(!ping(&ns(1), &addr(&net, 1)) && !ping(&ns(1), &addr(&net, 2)));
    assert!(
        ping(&ns(2), &addr(&net, 2)),
        "the majority side still talks"
    );
    let o = run(&["fault", "stop", "F1", "--session", s]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("landed true"), "{}", stdout(&o));
    assert!(flows(&ns(1), &addr(&net, 1)));
    // Stopping again changes nothing.
    assert_exit(&run(&["fault", "stop", "F1", "--session", s]), 0);
    assert_eq!(log_lines(t.path(), "S5").len(), 2);
}

#[test]
fn net_up_refuses_a_namespace_that_exists_and_creates_nothing() {
    if !ready(&["ip"]) {
        return;
    }
    let n = name('x');
    let _g = NetGuard(n.clone());
    let taken = format!("{n}-n2");
    assert!(Command::new("ip")
        .args(["netns", "add", &taken])
        .status()
        .unwrap()
        .success());
    let o = run(&["net", "up", &n, "--nodes", "3"]);
    assert_exit(&o, 2);
    let e = stderr(&o);
    assert!(
        e.contains(&taken) && e.contains("already exists") && e.contains("dstplan net down"),
        "{e}"
    );
    let list = Command::new("ip").args(["netns", "list"]).output().unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        !list.contains(&format!("{n}-n1")),
        "nothing half-applied: {list}"
    );
    let br = Command::new("ip")
        .args(["link", "show", &format!("dstbr-{n}")])
        .output()
        .unwrap();
    assert!(!br.status.success(), "no bridge was created");
}

#[test]
fn net_down_is_idempotent_and_bad_input_is_exit_2() {
    if !ready(&["ip"]) {
        return;
    }
    let n = name('d');
    let _g = NetGuard(n.clone());
    up(&n, 1);
    let o = run(&["net", "down", &n]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains(&format!("removed {n}-n1 and bridge dstbr-{n}")));
    let o = run(&["net", "down", &n]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("nothing to remove"));
    // Down then straight up again with the same name: nothing of the old net is in the way.
    up(&n, 2);
    assert_exit(&run(&["net", "down", &n]), 0);
    up(&n, 2);
    assert_exit(&run(&["net", "down", &n]), 0);
    let o = run(&["net", "up", "Bad_Name", "--nodes", "2"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("not 1-8 characters"));
    let o = run(&["net", "up", &n, "--nodes", "0"]);
    assert_exit(&o, 2);
}

#[test]
fn net_and_fault_refuse_without_root() {
    if !require(is_root(), "root (to drop to another uid)")
        || !require(has("setpriv"), "`setpriv` (util-linux)")
    {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let bin = bin_path();
    for args in [
        vec!["net", "up", "nr", "--nodes", "2"],
        vec![
            "fault",
            "start",
            "process-pause",
            "--session",
            s,
            "--scenario",
            "S1",
            "--target",
            "pid:1",
        ],
    ] {
        let o = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", bin])
            .args(&args)
            .output()
            .unwrap();
        assert_exit(&o, 2);
        let e = stderr(&o);
        assert!(e.contains("needs root") && e.contains("uid 65534"), "{e}");
    }
    assert!(
        !t.path().join("fault-state").exists()
            || std::fs::read_dir(t.path().join("fault-state"))
                .unwrap()
                .count()
                == 0
    );
}

#[test]
fn packet_loss_drops_a_share_and_asymmetric_cuts_one_direction() {
    if !ready(&["ip", "iptables", "ping"]) {
        return;
    }
    let n = name('k');
    let _g = NetGuard(n.clone());
    let net = up(&n, 2);
    let n1 = format!("{n}-n1");
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let target = format!("netns:{n1}");
    let o = fault_start(
        "packet-loss",
        s,
        "S7",
        &["--target", &target, "--loss", "50"],
    );
    assert_exit(&o, 0);
    let pings = Command::new("ip")
        .args([
            "netns",
            "exec",
            &n1,
            "ping",
            "-q",
            "-c40",
            "-i0.01",
            "-W1",
            &addr(&net, 1),
        ])
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&pings.stdout).into_owned();
    let received: u32 = summary
        .split(", ")
        .find_map(|p| p.strip_suffix(" received")?.parse().ok())
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(
        (1..40).contains(&received),
        "some, not all, pings lost: {summary}"
    );
    let o = run(&["fault", "stop", "F1", "--session", s, "--format", "json"]);
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["landed"], true, "{v}");
    assert!(chains_left(&n1).is_empty());

    let o = fault_start("partition-asymmetric", s, "S7", &["--target", &target]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o).trim(), "F2");
    let rules = chains_left(&n1);
    assert!(
        rules.contains("-F2-IN") && !rules.contains("-F2-OUT"),
        "{rules}"
    );
    assert!(
        !ping(&n1, &addr(&net, 1)),
        "the replies to the cut side are dropped"
    );
    assert_exit(&run(&["fault", "undo", "--all", "--session", s]), 0);
    assert!(flows(&n1, &addr(&net, 1)));
}

#[test]
fn a_host_forward_policy_of_drop_gets_a_bridge_rule_that_down_removes() {
    if !ready(&["ip", "iptables", "ping", "unshare"]) {
        return;
    }
    let n = name('f');
    let _g = NetGuard(n.clone());
    let bin = bin_path();
    // A host like one running Docker (FORWARD policy DROP, bridged packets seen by iptables),
    // made inside a network namespace of its own so the real host is untouched.
    let script = format!(
        "iptables -P FORWARD DROP || exit 9\n\
         {bin} net up {n} --nodes 2 || exit 8\n\
         ok=1; for i in 1 2 3; do ip netns exec {n}-n1 ping -c1 -W1 10.213.0.2 >/dev/null && {{ ok=0; break; }}; done\n\
         echo \"ping=$ok\"; iptables -S FORWARD; echo ---\n\
         {bin} net down {n}; iptables -S FORWARD"
    );
    let o = Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .output()
        .unwrap();
    assert_exit(&o, 0);
    let out = stdout(&o);
    let (during, after) = out.split_once("---").unwrap();
    assert!(during.contains("ping=0"), "{out}");
    let rule = format!("-A FORWARD -i dstbr-{n} -o dstbr-{n} -j ACCEPT");
    assert!(during.contains(&rule), "{out}");
    assert!(!after.contains(&rule), "{out}");
    assert!(
        stderr(&o).contains("FORWARD policy drops bridged packets"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_failed_step_rolls_back_what_ran_and_leaves_other_chains_alone() {
    if !ready(&["ip", "iptables"]) {
        return;
    }
    let n = name('r');
    let _g = NetGuard(n.clone());
    up(&n, 3);
    let (n1, n2) = (format!("{n}-n1"), format!("{n}-n2"));
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    // A first fault in this session names its chains; heal it, then plant a chain of the name
    // the next fault (F2) will use in n2, as a leaked fault of the same session would.
    let o = fault_start(
        "partition-full",
        s,
        "S1",
        &["--target", &format!("netns:{n1}"), "--for", "100ms"],
    );
    assert_exit(&o, 0);
    let log = std::fs::read_to_string(t.path().join("artifacts/S1/faults.jsonl")).unwrap();
    let chain = log
        .split('"')
        .find(|w| w.starts_with("DSTPLAN-") && w.ends_with("-F1-IN"))
        .unwrap()
        .replace("-F1-", "-F2-");
    let ipt = |ns: &str, args: &[&str]| {
        Command::new("ip")
            .args(["netns", "exec", ns, "iptables"])
            .args(args)
            .status()
            .unwrap()
            .success()
    };
    assert!(ipt(&n2, &["-N", &chain]));
    let o = fault_start(
        "partition-full",
        s,
        "S1",
        &[
            "--target",
            &format!("netns:{n1}"),
            "--target",
            &format!("netns:{n2}"),
        ],
    );
    assert_exit(&o, 2);
    let e = stderr(&o);
    assert!(
        e.contains("Chain already exists") && e.contains("nothing is left applied"),
        "{e}"
    );
    assert_eq!(chains_left(&n1), "", "n1's chains were rolled back");
    assert_eq!(
        chains_left(&n2),
        format!("-N {chain}"),
        "the planted chain is untouched"
    );
    assert_eq!(
        log_lines(t.path(), "S1").len(),
        2,
        "nothing logged for the refused fault"
    );
    assert!(!t.path().join("fault-state/F2.json").exists());
}

#[test]
fn one_namespace_named_twice_is_cut_once() {
    if !ready(&["ip", "iptables"]) {
        return;
    }
    let n = name('t');
    let _g = NetGuard(n.clone());
    up(&n, 2);
    let n1 = format!("{n}-n1");
    // A member process inside n1 names the same namespace as netns:n1.
    let mut member = Command::new("ip")
        .args(["netns", "exec", &n1, "sleep", "30"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let o = fault_start(
        "partition-full",
        s,
        "S1",
        &[
            "--target",
            &format!("netns:{n1}"),
            "--target",
            &format!("pid:{}", member.id()),
        ],
    );
    let _ = member.kill();
    let _ = member.wait();
    assert_exit(&o, 0);
    assert_eq!(
        chains_left(&n1).matches("-N ").count(),
        2,
        "{}",
        chains_left(&n1)
    );
    assert_exit(&run(&["fault", "undo", "--all", "--session", s]), 0);
    assert_eq!(chains_left(&n1), "");
}

#[test]
fn net_up_failing_part_way_removes_what_it_created() {
    if !ready(&["ip"]) {
        return;
    }
    let n = name('w');
    let _g = NetGuard(n.clone());
    // An interface already holding the host-side name of node 2's link makes step "node 2"
    // fail after node 1 and the bridge exist.
    let clash = format!("dst-{n}-2");
    assert!(Command::new("ip")
        .args(["link", "add", "name", &clash, "type", "bridge"])
        .status()
        .unwrap()
        .success());
    struct LinkGuard(String);
    impl Drop for LinkGuard {
        fn drop(&mut self) {
            let _ = Command::new("ip").args(["link", "del", &self.0]).output();
        }
    }
    let _l = LinkGuard(clash.clone());
    let o = run(&["net", "up", &n, "--nodes", "3"]);
    assert_exit(&o, 2);
    let e = stderr(&o);
    assert!(
        e.contains(&clash)
            && e.contains("removed what was created (2 namespace(s) and the bridge)"),
        "{e}"
    );
    let list = Command::new("ip").args(["netns", "list"]).output().unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(!list.contains(&format!("{n}-n")), "{list}");
    let br = Command::new("ip")
        .args(["link", "show", &format!("dstbr-{n}")])
        .output()
        .unwrap();
    assert!(!br.status.success(), "the bridge is gone");
    let h1 = Command::new("ip")
        .args(["link", "show", &format!("dst-{n}-1")])
        .output()
        .unwrap();
    assert!(
        !h1.status.success(),
        "node 1's host link went with its namespace"
    );
}

#[test]
fn a_heal_that_does_not_take_keeps_the_fault_open_until_a_retry_heals_it() {
    if !ready(&["ip", "iptables"]) {
        return;
    }
    let n = name('u');
    let _g = NetGuard(n.clone());
    up(&n, 2);
    let n1 = format!("{n}-n1");
    let t = tempfile::tempdir().unwrap();
    let s = t.path().to_str().unwrap();
    let o = fault_start(
        "partition-full",
        s,
        "S1",
        &["--target", &format!("netns:{n1}")],
    );
    assert_exit(&o, 0);
    // Someone else jumps to the fault's chain, so deleting the chain fails.
    let chain = chains_left(&n1)
        .lines()
        .find_map(|l| l.strip_prefix("-N ").filter(|c| c.ends_with("-IN")))
        .unwrap()
        .to_string();
    let ipt = |args: &[&str]| {
        Command::new("ip")
            .args(["netns", "exec", &n1, "iptables"])
            .args(args)
            .status()
            .unwrap()
            .success()
    };
    assert!(ipt(&["-A", "FORWARD", "-j", &chain]));
    let o = run(&["fault", "stop", "F1", "--session", s]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("the heal did not take"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        log_lines(t.path(), "S1").len(),
        1,
        "no stop line while the cut may stand"
    );
    let o = run(&["fault", "list", "--session", s]);
    assert!(stdout(&o).contains("F1\tactive"), "{}", stdout(&o));

    assert!(ipt(&["-D", "FORWARD", "-j", &chain]));
    let o = run(&["fault", "undo", "--all", "--session", s]);
    assert_exit(&o, 0);
    assert_eq!(chains_left(&n1), "");
    let lines = log_lines(t.path(), "S1");
    assert_eq!((lines.len(), lines[1]["event"].as_str()), (2, Some("stop")));
}
