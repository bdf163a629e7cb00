#!/usr/bin/env python3
"""Harness for mini-kv scenario S1 (acked appends survive a leader kill), toy scale.

`s1_leader_kill.py OUT_DIR SEED PORT` starts leader n1 (followers n2, n3) from an empty data
directory, runs 4 writers appending unique integers for 3 s, SIGKILLs n1 at 1.5 s, records the
kill's exit status, promotes n2 (a new `serve` on n2's log), lets the writers continue against
n2, then reads the final log from n2. It writes OUT_DIR/history.jsonl (the dstplan default
schema, model `log`), OUT_DIR/landing.txt and the nodes' stdout under OUT_DIR/logs/.
"""
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
out, seed, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
data = os.path.join(out, "data")
os.makedirs(data, exist_ok=True)
os.makedirs(os.path.join(out, "logs"), exist_ok=True)
for f in os.listdir(data):
    os.remove(os.path.join(data, f))

t0 = time.monotonic_ns()
now = lambda: time.monotonic_ns() - t0
state = {"port": port, "leader": "n1", "epoch": None}
procs = {}


def start(name, p, followers):
    log = open(os.path.join(out, "logs", name + ".log"), "w")
    procs[name] = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "minikv.py"), "serve", name, data, str(p), followers],
        stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 5
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{p}/health", timeout=0.2)
            return
        except Exception:
            time.sleep(0.02)
    sys.exit(f"{name} did not start")


def cleanup():
    for p in procs.values():
        if p.poll() is None:
            p.kill()
            p.wait()


history, hlock, next_id = [], threading.Lock(), [1]
stop = threading.Event()


def record(**op):
    with hlock:
        op["op_id"] = next_id[0]
        next_id[0] += 1
        history.append(op)


def writer(w):
    pid, value = f"w{w}", w * 1_000_000
    while not stop.is_set():
        value += 1
        node, epoch, p = state["leader"], state["epoch"], state["port"]
        inv = now()
        req = urllib.request.Request(f"http://127.0.0.1:{p}/append/k", data=json.dumps(value).encode(), method="POST")
        base = dict(process_id=pid, invoke_ts=inv, op_type="append", key="k", input=value, node_seen=node, fault_epoch=epoch)
        try:
            body = json.loads(urllib.request.urlopen(req, timeout=1).read())
            record(**base, complete_ts=now(), output=body["offset"], error=None, timeout_marker=False)
        except urllib.error.URLError as e:
            if isinstance(e.reason, ConnectionRefusedError):
                # Refused before the request was read: certainly not applied.
                record(**base, complete_ts=now(), output=None, error="connection refused", timeout_marker=False)
            else:
                record(**base, complete_ts=None, output=None, error=None, timeout_marker=True)
                pid = f"{pid}'"
            time.sleep(0.05)
        except Exception:
            # Connection cut mid-request: the append may or may not have landed.
            record(**base, complete_ts=None, output=None, error=None, timeout_marker=True)
            pid = f"{pid}'"
            time.sleep(0.05)
        time.sleep(rng.uniform(0, 0.004))


try:
    start("n1", port, "n2,n3")
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    state["epoch"] = "e1"
    before = procs["n1"].poll()
    procs["n1"].send_signal(signal.SIGKILL)
    rc = procs["n1"].wait()
    exit_code = 128 - rc if rc < 0 else rc
    t_kill = now()
    start("n2", port + 1, "n3")
    t_lead = now()
    state["leader"], state["port"], state["epoch"] = "n2", port + 1, None
    time.sleep(1.5)
    stop.set()
    for t in threads:
        t.join()
    inv = now()
    final = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port + 1}/read/k", timeout=2).read())
    record(process_id="reader", invoke_ts=inv, complete_ts=now(), op_type="read", key="k", input=None,
           output=final, error=None, timeout_marker=False, node_seen="n2", fault_epoch=None)
finally:
    cleanup()

keys = ["op_id", "process_id", "invoke_ts", "complete_ts", "op_type", "key", "input", "output", "error", "timeout_marker", "node_seen", "fault_epoch"]
with open(os.path.join(out, "history.jsonl"), "w") as f:
    for op in history:
        f.write(json.dumps({k: op[k] for k in keys}) + "\n")
acked = sum(1 for o in history if o["op_type"] == "append" and o["error"] is None and not o["timeout_marker"])
with open(os.path.join(out, "landing.txt"), "w") as f:
    f.write(f"n1 poll before kill: {before} (running); after SIGKILL: exit code {exit_code} at T+{t_kill/1e9:.2f} s\n")
    f.write(f"n2 serving as leader at T+{t_lead/1e9:.2f} s ({(t_lead - t_kill)/1e6:.0f} ms after the kill)\n")
    f.write(f"{len(history)} ops recorded, {acked} acknowledged appends, final read holds {len(final)} values\n")
print(open(os.path.join(out, "landing.txt")).read(), end="")
