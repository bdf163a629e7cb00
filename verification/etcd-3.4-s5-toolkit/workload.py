#!/usr/bin/env python3
"""S5 register workload on etcd v3 (JSON gateway): prints invoke/ok/fail/info events through
the execute skill's events.py; `dstplan history record` turns them into the history.

Usage: workload.py --endpoints n1=http://10.213.0.1:2379,... --seed 11 --duration 45 > events.jsonl
"""

import argparse
import base64
import json
import os
import random
import sys
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../skills/executing-distributed-system-tests/assets"))
import events  # noqa: E402


def b64(s):
    return base64.b64encode(s.encode()).decode()


def post(url, body):
    """A refused connection never sent the request: the op certainly had no effect (`fail`);
    any other error leaves the outcome unknown (`info`, by events.py)."""
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read().decode())
    except urllib.error.URLError as e:
        if isinstance(getattr(e, "reason", None), ConnectionRefusedError):
            raise events.Fail("connection refused")
        raise


def worker(w, url, keys, rng, stop_at, timeout):
    seen, n = {}, 0
    while time.monotonic() < stop_at:
        key, r = rng.choice(keys), rng.random()
        n += 1
        if r < 0.45:
            def read(key=key):  # bound now: a timed-out call may still run after the loop moves on
                kvs = post(url + "/v3/kv/range", {"key": b64(key)}).get("kvs") or []
                return base64.b64decode(kvs[0]["value"]).decode() if kvs else None
            kind, out = w.call("read", key, None, read, timeout)
            if kind == "ok":
                seen[key] = out
        elif r < 0.75 or seen.get(key) is None:
            v = f"p{w.process}-w{n}"
            w.call("write", key, v, lambda k=key, v=v: post(url + "/v3/kv/put", {"key": b64(k), "value": b64(v)}) and None, timeout)
        else:
            exp, v = seen[key], f"p{w.process}-c{n}"
            body = {"compare": [{"key": b64(key), "target": "VALUE", "result": "EQUAL", "value": b64(exp)}],
                    "success": [{"request_put": {"key": b64(key), "value": b64(v)}}]}
            w.call("cas", key, [exp, v], lambda b=body: bool(post(url + "/v3/kv/txn", b).get("succeeded")), timeout)
        time.sleep(rng.uniform(0.08, 0.16))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoints", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--duration", type=float, default=45)
    ap.add_argument("--threads", type=int, default=6)
    ap.add_argument("--timeout", type=float, default=0.75)
    a = ap.parse_args()
    eps = [e.split("=", 1) for e in a.endpoints.split(",")]
    rec = events.Recorder(first_process=a.seed * 1000)
    keys = [f"s5-{a.seed}-k{i}" for i in range(3)]
    stop_at = time.monotonic() + a.duration
    threads = []
    for i in range(a.threads):
        name, url = eps[i % len(eps)]
        t = threading.Thread(target=worker, args=(rec.worker(node=name), url, keys,
                                                  random.Random(a.seed * 1000 + i), stop_at, a.timeout))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
