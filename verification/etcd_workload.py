#!/usr/bin/env python3
"""Workload and history recorder for etcd v3 (JSON gRPC gateway), Python 3 stdlib only.

Writes one JSONL history in dstplan's default schema (twelve keys per line).

Models:
  register  read / write / cas on a few keys (cas = txn comparing the value, then put)
  log       append (put of a fresh key under the log's prefix) / read (range over the prefix,
            in create-revision order); ends with a final read of every log on every endpoint

Recorder rules followed (skills/executing-distributed-system-tests/references/history-discipline.md):
  - one clock: time.monotonic_ns() (CLOCK_MONOTONIC, shared by every process on the host)
  - invoke_ts right before the request, complete_ts right after the reply; no retries
  - a write/cas/append whose outcome is unknown (timeout, reset after sending, a server error
    that does not guarantee "not applied") is indeterminate: timeout_marker true,
    complete_ts null, output null; the client thread then continues under a new process_id
  - only "connection refused" (the request never left) is recorded as failed for a mutation;
    a read that errors is recorded as failed (a read has no effect)
  - fault_epoch is read from a file the nemesis writes (empty file = no fault window)
  - node_seen is the endpoint name the request went to
"""

import argparse
import base64
import errno
import json
import os
import random
import socket
import threading
import time
import urllib.error
import urllib.request


def b64(s):
    return base64.b64encode(s.encode()).decode()


def unb64(s):
    return base64.b64decode(s).decode()


def prefix_end(prefix):
    b = bytearray(prefix.encode())
    b[-1] += 1
    return base64.b64encode(bytes(b)).decode()


THINK = (0.08, 0.16)
READ_RATIO = 0.03


class Refused(Exception):
    pass


class Unknown(Exception):
    pass


def post(url, body, timeout):
    """POST JSON; returns the decoded reply. Raises Refused when the request never left,
    Unknown when it left and no definite answer came back."""
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read().decode())
    except urllib.error.HTTPError as e:
        try:
            msg = e.read().decode()[:200]
        except Exception:  # noqa: BLE001
            msg = str(e)
        raise Unknown(f"http {e.code}: {msg}")
    except urllib.error.URLError as e:
        r = e.reason
        if isinstance(r, ConnectionRefusedError) or getattr(r, "errno", None) == errno.ECONNREFUSED:
            raise Refused("connection refused")
        raise Unknown(f"urlerror: {r}")
    except (socket.timeout, TimeoutError) as e:
        raise Unknown(f"timeout: {e}")
    except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError) as e:
        raise Unknown(f"connection lost: {e}")
    except Exception as e:  # noqa: BLE001 - anything else is still an unknown outcome
        raise Unknown(f"{type(e).__name__}: {e}")


class Recorder:
    def __init__(self, path, run_id, epoch_file):
        self.f = open(path, "w", encoding="utf-8")
        self.lock = threading.Lock()
        self.run_id = run_id
        self.next_op = 0
        self.next_proc = 0
        self.epoch_file = epoch_file
        self.counts = {"ok": 0, "failed": 0, "indeterminate": 0}

    def new_proc(self):
        with self.lock:
            p = self.next_proc
            self.next_proc += 1
        return f"{self.run_id}-p{p}"

    def epoch(self):
        if not self.epoch_file:
            return None
        try:
            with open(self.epoch_file, encoding="utf-8") as f:
                e = f.read().strip()
            return e or None
        except OSError:
            return None

    def write(self, rec):
        with self.lock:
            rec["op_id"] = f"{self.run_id}-{self.next_op}"
            self.next_op += 1
            if rec["timeout_marker"]:
                self.counts["indeterminate"] += 1
            elif rec["error"] is not None:
                self.counts["failed"] += 1
            else:
                self.counts["ok"] += 1
            self.f.write(json.dumps(rec, sort_keys=True, separators=(",", ":")) + "\n")
            self.f.flush()


class Client:
    """One logical client thread; one outstanding op per process_id."""

    def __init__(self, rec, endpoints, idx, timeout):
        self.rec = rec
        self.endpoints = endpoints  # list of (name, url)
        self.ep = idx % len(endpoints)
        self.timeout = timeout
        self.proc = rec.new_proc()

    def rotate(self):
        self.ep = (self.ep + 1) % len(self.endpoints)

    def call(self, op_type, key, inp, path, body, decode):
        name, url = self.endpoints[self.ep]
        epoch = self.rec.epoch()
        invoke = time.monotonic_ns()
        rec = {
            "process_id": self.proc, "invoke_ts": invoke, "op_type": op_type, "key": key,
            "input": inp, "node_seen": name, "fault_epoch": epoch,
        }
        try:
            reply = post(url + path, body, self.timeout)
            done = time.monotonic_ns()
            out = decode(reply)
            rec.update(complete_ts=done, output=out, error=None, timeout_marker=False)
            self.rec.write(rec)
            return out
        except Refused as e:
            done = time.monotonic_ns()
            rec.update(complete_ts=done, output=None, error=str(e), timeout_marker=False)
            self.rec.write(rec)
            self.rotate()
            return None
        except Unknown as e:
            done = time.monotonic_ns()
            if op_type == "read":
                # A read changes nothing: a read without an answer is a failed read.
                rec.update(complete_ts=done, output=None, error=str(e), timeout_marker=False)
                self.rec.write(rec)
            else:
                rec.update(complete_ts=None, output=None, error=str(e), timeout_marker=True)
                self.rec.write(rec)
                self.proc = self.rec.new_proc()
            self.rotate()
            return None


def kv_value(reply):
    kvs = reply.get("kvs") or []
    if not kvs:
        return None
    return unb64(kvs[0].get("value", ""))


def register_worker(cl, keys, rng, stop_at, seq):
    last_seen = {}
    n = 0
    while time.monotonic() < stop_at:
        key = rng.choice(keys)
        r = rng.random()
        if r < 0.45:
            out = cl.call("read", key, None, "/v3/kv/range", {"key": b64(key)}, kv_value)
            if out is not None:
                last_seen[key] = out
        elif r < 0.75 or key not in last_seen:
            n += 1
            v = f"{cl.proc}-w{n}"
            cl.call("write", key, v, "/v3/kv/put", {"key": b64(key), "value": b64(v)}, lambda _r: None)
        else:
            n += 1
            exp = last_seen[key]
            v = f"{cl.proc}-c{n}"
            body = {
                "compare": [{"key": b64(key), "target": "VALUE", "result": "EQUAL", "value": b64(exp)}],
                "success": [{"request_put": {"key": b64(key), "value": b64(v)}}],
            }
            out = cl.call("cas", key, [exp, v], "/v3/kv/txn", body, lambda rep: bool(rep.get("succeeded", False)))
        time.sleep(rng.uniform(*THINK))


def log_read_body(key):
    p = key + "/"
    return {"key": b64(p), "range_end": prefix_end(p), "sort_order": "ASCEND", "sort_target": "CREATE"}


def log_values(reply):
    return [unb64(kv.get("value", "")) for kv in (reply.get("kvs") or [])]


def log_worker(cl, keys, rng, stop_at, seq):
    n = 0
    while time.monotonic() < stop_at:
        key = rng.choice(keys)
        if rng.random() < READ_RATIO:
            cl.call("read", key, None, "/v3/kv/range", log_read_body(key), log_values)
        else:
            n += 1
            v = f"{cl.proc}-a{n}"
            cl.call("append", key, v, "/v3/kv/put", {"key": b64(f"{key}/{v}"), "value": b64(v)}, lambda _r: None)
        time.sleep(rng.uniform(*THINK))


def final_log_reads(rec, endpoints, keys, timeout, deadline):
    """After recovery: one successful read of every log on every endpoint (bounded)."""
    for i, (name, _url) in enumerate(endpoints):
        cl = Client(rec, endpoints, i, timeout)
        for key in keys:
            while time.monotonic() < deadline:
                cl.ep = i
                out = cl.call("read", key, None, "/v3/kv/range", log_read_body(key), log_values)
                if out is not None:
                    break
                time.sleep(0.5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoints", required=True, help="n1=http://127.0.0.1:23791,n2=...")
    ap.add_argument("--model", choices=["register", "log"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--run-id", required=True, help="prefix for op, process ids and keys")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--threads", type=int, default=6)
    ap.add_argument("--keys", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--epoch-file", default=None)
    ap.add_argument("--final-read-deadline", type=float, default=60.0)
    ap.add_argument("--think-ms", default="80,160", help="pause between a thread's ops, min,max")
    ap.add_argument("--log-read-ratio", type=float, default=0.03)
    args = ap.parse_args()
    global THINK, READ_RATIO
    lo, hi = (float(x) / 1000 for x in args.think_ms.split(","))
    THINK = (lo, hi)
    READ_RATIO = args.log_read_ratio

    endpoints = [tuple(e.split("=", 1)) for e in args.endpoints.split(",")]
    rec = Recorder(args.out, args.run_id, args.epoch_file)
    keys = [f"{args.run_id}-k{i}" for i in range(args.keys)]
    stop_at = time.monotonic() + args.duration
    worker = register_worker if args.model == "register" else log_worker
    threads = []
    for i in range(args.threads):
        cl = Client(rec, endpoints, i, args.timeout)
        rng = random.Random(args.seed * 1000 + i)
        t = threading.Thread(target=worker, args=(cl, keys, rng, stop_at, i), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join(args.duration + 5 * args.timeout)
    if args.model == "log":
        final_log_reads(rec, endpoints, keys, args.timeout, time.monotonic() + args.final_read_deadline)
    rec.f.close()
    print(json.dumps({"run_id": args.run_id, "seed": args.seed, "model": args.model,
                      "threads": args.threads, "keys": args.keys, **rec.counts}))


if __name__ == "__main__":
    main()
