#!/usr/bin/env python3
"""Queue and counter workloads for Redis with a default-schema JSONL history recorder
(Python 3 stdlib only; a minimal RESP client over a socket, one connection per process).

  queue:   producers LPUSH unique values, consumers RPOP (model queue: enqueue / dequeue);
           after the run, one consumer drains the list until it is empty (bounded).
  counter: threads INCR one key (model counter: inc with input 1), some reads (GET);
           after the run: WAIT for the replica, then a final GET on the primary and on
           the replica (the replica's read is the last one, so it is the one judged).

Recorder rules as in etcd_workload.py: one monotonic clock, no retries, a mutation without
an answer is indeterminate and its thread continues on a new connection and process id,
"connection refused" is a failed op, fault_epoch from a file, node_seen the endpoint.
"""

import argparse
import json
import random
import socket
import threading
import time


class Refused(Exception):
    pass


class Unknown(Exception):
    pass


class Resp:
    def __init__(self, port, timeout):
        try:
            self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        except ConnectionRefusedError:
            raise Refused("connection refused")
        except OSError as e:
            raise Unknown(f"connect: {e}")
        self.f = self.s.makefile("rb")

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def call(self, *args):
        out = f"*{len(args)}\r\n".encode()
        for a in args:
            b = str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(b), b)
        try:
            self.s.sendall(out)
            return self._read()
        except (socket.timeout, TimeoutError) as e:
            raise Unknown(f"timeout: {e}")
        except OSError as e:
            raise Unknown(f"connection lost: {e}")

    def _read(self):
        line = self.f.readline()
        if not line:
            raise Unknown("connection closed")
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)
            return data[:-2].decode()
        if t == b"*":
            return [self._read() for _ in range(int(rest))]
        raise Unknown(f"bad reply {line!r}")


class Recorder:
    def __init__(self, path, run_id, epoch_file):
        self.f = open(path, "w", encoding="utf-8")
        self.lock = threading.Lock()
        self.run_id, self.epoch_file = run_id, epoch_file
        self.n_op = self.n_proc = 0
        self.counts = {"ok": 0, "failed": 0, "indeterminate": 0}

    def proc(self):
        with self.lock:
            self.n_proc += 1
            return f"{self.run_id}-p{self.n_proc - 1}"

    def epoch(self):
        try:
            with open(self.epoch_file, encoding="utf-8") as f:
                return f.read().strip() or None
        except (OSError, TypeError):
            return None

    def write(self, rec):
        with self.lock:
            rec["op_id"] = f"{self.run_id}-{self.n_op}"
            self.n_op += 1
            kind = "indeterminate" if rec["timeout_marker"] else ("failed" if rec["error"] else "ok")
            self.counts[kind] += 1
            self.f.write(json.dumps(rec, sort_keys=True, separators=(",", ":")) + "\n")
            self.f.flush()


class Client:
    def __init__(self, rec, port, name, timeout):
        self.rec, self.port, self.name, self.timeout = rec, port, name, timeout
        self.pid = rec.proc()
        self.conn = None

    def op(self, op_type, key, inp, args, decode, mutation=True):
        rec = {"process_id": self.pid, "op_type": op_type, "key": key, "input": inp,
               "node_seen": self.name, "fault_epoch": self.rec.epoch()}
        rec["invoke_ts"] = time.monotonic_ns()
        try:
            if self.conn is None:
                self.conn = Resp(self.port, self.timeout)
            reply = self.conn.call(*args)
            out = decode(reply)
            rec.update(complete_ts=time.monotonic_ns(), output=out, error=None, timeout_marker=False)
            self.rec.write(rec)
            return True, out
        except Refused as e:
            rec.update(complete_ts=time.monotonic_ns(), output=None, error=str(e), timeout_marker=False)
            self.rec.write(rec)
            self.conn = None
            return False, None
        except RuntimeError as e:  # a Redis error reply: the command was rejected, not applied
            rec.update(complete_ts=time.monotonic_ns(), output=None, error=str(e), timeout_marker=False)
            self.rec.write(rec)
            return False, None
        except Unknown as e:
            if mutation:
                rec.update(complete_ts=None, output=None, error=str(e), timeout_marker=True)
                self.rec.write(rec)
                self.pid = self.rec.proc()
            else:
                rec.update(complete_ts=time.monotonic_ns(), output=None, error=str(e), timeout_marker=False)
                self.rec.write(rec)
            if self.conn:
                self.conn.close()
            self.conn = None
            return False, None


def producer(cl, key, rng, stop_at):
    n = 0
    while time.monotonic() < stop_at:
        n += 1
        v = f"{cl.pid}-e{n}"
        cl.op("enqueue", key, v, ["LPUSH", key, v], lambda r: None)
        time.sleep(rng.uniform(0.03, 0.08))


def consumer(cl, key, rng, stop_at):
    while time.monotonic() < stop_at:
        cl.op("dequeue", key, None, ["RPOP", key], lambda r: r)
        time.sleep(rng.uniform(0.03, 0.08))


def incrementer(cl, key, rng, stop_at):
    while time.monotonic() < stop_at:
        if rng.random() < 0.15:
            cl.op("read", key, None, ["GET", key], lambda r: int(r or 0), mutation=False)
        else:
            cl.op("inc", key, 1, ["INCR", key], lambda r: None)
        time.sleep(rng.uniform(0.02, 0.06))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["queue", "counter"], required=True)
    ap.add_argument("--primary", type=int, required=True)
    ap.add_argument("--replica", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--run-id", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("--epoch-file")
    a = ap.parse_args()
    rec = Recorder(a.out, a.run_id, a.epoch_file)
    key = f"{a.run_id}-key"
    stop_at = time.monotonic() + a.duration
    ts = []
    for i in range(a.threads):
        rng = random.Random(a.seed * 1000 + i)
        cl = Client(rec, a.primary, "primary", a.timeout)
        if a.model == "queue":
            fn = producer if i % 2 == 0 else consumer
        else:
            fn = incrementer
        t = threading.Thread(target=fn, args=(cl, key, rng, stop_at), daemon=True)
        t.start()
        ts.append(t)
    for t in ts:
        t.join(a.duration + 10)
    deadline = time.monotonic() + 30
    if a.model == "queue":
        cl = Client(rec, a.primary, "primary", a.timeout)
        while time.monotonic() < deadline:
            ok, out = cl.op("dequeue", key, None, ["RPOP", key], lambda r: r)
            if ok and out is None:
                break
    else:
        # Let the replica catch up (WAIT is not recorded: it changes nothing), then the final
        # reads: primary first, replica last.
        try:
            r = Resp(a.primary, 5)
            print(json.dumps({"wait_replicas": r.call("WAIT", 1, 5000)}))
            r.close()
        except (Refused, Unknown, RuntimeError) as e:
            print(json.dumps({"wait_error": str(e)}))
        for port, name in ((a.primary, "primary"), (a.replica, "replica")):
            cl = Client(rec, port, name, a.timeout)
            while time.monotonic() < deadline:
                ok, _ = cl.op("read", key, None, ["GET", key], lambda r: int(r or 0), mutation=False)
                if ok:
                    break
                time.sleep(0.5)
    rec.f.close()
    print(json.dumps({"run_id": a.run_id, "model": a.model, **rec.counts}))


if __name__ == "__main__":
    main()
