#!/usr/bin/env python3
"""Status snapshots of an etcd cluster through `etcdctl endpoint status -w json`.

  etcd_status.py snapshot OUT n1=127.0.0.1:23791,n2=...   one etcdctl call per endpoint;
                                                          OUT holds every reply (or its error)
  etcd_status.py leader SNAPSHOT                          the node name the answering members
                                                          agree is leader (exit 1 if none)
  etcd_status.py describe SNAPSHOT                        one line per node: member, leader, term

Python's ints keep the 64-bit member ids exact (jq 1.6 would round them).
"""

import json
import subprocess
import sys
import time


def snapshot(out, endpoints):
    res = []
    for e in endpoints.split(","):
        name, addr = e.split("=", 1)
        p = subprocess.run(["etcdctl", f"--endpoints={addr}", "--command-timeout=1s",
                            "endpoint", "status", "-w", "json"],
                           capture_output=True, text=True, timeout=10)
        item = {"node": name, "endpoint": addr, "exit": p.returncode,
                "mono_ns": time.monotonic_ns()}
        if p.returncode == 0:
            st = json.loads(p.stdout)[0]["Status"]
            # protobuf JSON leaves out zero values: no "leader" key means no leader (0)
            item.update(member_id=str(st["header"]["member_id"]), leader=str(st.get("leader", 0)),
                        raft_term=st.get("raftTerm", 0), raft_index=st.get("raftIndex", 0))
        else:
            item["error"] = (p.stderr or p.stdout).strip().splitlines()[-1:] or [""]
        res.append(item)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(res, f, indent=1)


def leader(path):
    snap = json.load(open(path, encoding="utf-8"))
    up = [s for s in snap if s["exit"] == 0]
    by_member = {s["member_id"]: s["node"] for s in up}
    votes = {}
    for s in up:
        votes[s["leader"]] = votes.get(s["leader"], 0) + 1
    if not votes:
        sys.exit(1)
    lid, n = max(votes.items(), key=lambda kv: kv[1])
    if lid not in by_member or lid == "0":
        sys.exit(1)
    print(by_member[lid], lid, max(s["raft_term"] for s in up))


def describe(path):
    snap = json.load(open(path, encoding="utf-8"))
    parts = []
    for s in snap:
        if s["exit"] == 0:
            parts.append(f"{s['node']}: leader={s['leader']} term={s['raft_term']}")
        else:
            parts.append(f"{s['node']}: down (etcdctl exit {s['exit']})")
    print("; ".join(parts))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "snapshot":
        snapshot(sys.argv[2], sys.argv[3])
    elif cmd == "leader":
        leader(sys.argv[2])
    elif cmd == "describe":
        describe(sys.argv[2])
    else:
        sys.exit(2)
