#!/usr/bin/env python3
"""A list-append workload against PostgreSQL, recorded as a dstplan JSONL history.

Schema: one table `la (k text PRIMARY KEY, v int[] NOT NULL)`; each key is one row holding an
integer array. A micro-op `["append", k, v]` is
`INSERT INTO la VALUES (k, ARRAY[v]) ON CONFLICT (k) DO UPDATE SET v = la.v || EXCLUDED.v`
(creates the row on the first append), `["r", k, null]` is `SELECT v FROM la WHERE k = k`
(no row = empty list). Each transaction is `BEGIN ISOLATION LEVEL <level>`, its micro-ops as
separate statements with 0-2 ms of think time between them, then `COMMIT`.

Outcomes: COMMIT answered "COMMIT" → ok; any error response (serialization failure, deadlock,
…) → the harness sends ROLLBACK and records the txn as failed (PostgreSQL rolled it back: it
took no effect); no answer within the socket timeout or a broken connection → indeterminate,
and the client continues on a new connection under a new process id. No retries.

Client: PostgreSQL's frontend/backend protocol 3.0 (simple query) over the cluster's Unix
socket, stdlib only. Timestamps: time.monotonic_ns() (CLOCK_MONOTONIC) around each txn.
Keys: a window of `--keys` active keys; a key retires after `--appends-per-key` appends, so
reads stay short. Values are unique per key. Bounded: `--txns` per client and `--duration`
seconds, whichever ends first.
"""

import argparse
import json
import random
import socket
import struct
import threading
import time


class PgError(Exception):
    def __init__(self, fields):
        self.code = fields.get("C", "?????")
        self.msg = fields.get("M", "")
        super().__init__(f"{self.code} {self.msg}")


class Conn:
    """A minimal simple-query client (trust authentication)."""

    def __init__(self, path, user, db, timeout):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        body = struct.pack("!i", 196608) + b"".join(
            k.encode() + b"\0" + v.encode() + b"\0" for k, v in (("user", user), ("database", db))) + b"\0"
        self.s.sendall(struct.pack("!i", len(body) + 4) + body)
        self.buf = b""
        while True:
            t, payload = self._msg()
            if t == b"R" and struct.unpack("!i", payload[:4])[0] != 0:
                raise RuntimeError("authentication other than trust is not supported")
            if t == b"E":
                raise PgError(self._fields(payload))
            if t == b"Z":
                return

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _msg(self):
        head = self._read(5)
        n = struct.unpack("!i", head[1:5])[0]
        return head[:1], self._read(n - 4)

    @staticmethod
    def _fields(payload):
        out = {}
        for part in payload.split(b"\0"):
            if part:
                out[chr(part[0])] = part[1:].decode(errors="replace")
        return out

    def query(self, sql):
        """Run one statement: (rows as lists of text-or-None, command tag). Raises PgError
        after the server is ready again."""
        data = sql.encode() + b"\0"
        self.s.sendall(b"Q" + struct.pack("!i", len(data) + 4) + data)
        rows, tag, err = [], None, None
        while True:
            t, p = self._msg()
            if t == b"D":
                n = struct.unpack("!h", p[:2])[0]
                pos, row = 2, []
                for _ in range(n):
                    ln = struct.unpack("!i", p[pos:pos + 4])[0]
                    pos += 4
                    if ln < 0:
                        row.append(None)
                    else:
                        row.append(p[pos:pos + ln].decode())
                        pos += ln
                rows.append(row)
            elif t == b"C":
                tag = p.rstrip(b"\0").decode()
            elif t == b"E":
                err = PgError(self._fields(p))
            elif t == b"Z":
                if err:
                    raise err
                return rows, tag

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def parse_array(text):
    if text is None:
        return []
    inner = text.strip("{}")
    return [int(x) for x in inner.split(",")] if inner else []


class Keys:
    """The shared key window and per-key value counters."""

    def __init__(self, prefix, width, per_key, rng):
        self.lock = threading.Lock()
        self.prefix, self.width, self.per_key, self.rng = prefix, width, per_key, rng
        self.next_key = width
        self.active = list(range(width))
        self.appends = {k: 0 for k in self.active}

    def txn(self):
        with self.lock:
            mops = []
            for _ in range(self.rng.randint(1, 4)):
                k = self.rng.choice(self.active)
                name = f"{self.prefix}k{k}"
                if self.rng.random() < 0.5:
                    self.appends[k] += 1
                    mops.append(["append", name, self.appends[k]])
                    if self.appends[k] >= self.per_key:
                        self.active[self.active.index(k)] = self.next_key
                        self.appends[self.next_key] = 0
                        self.next_key += 1
                else:
                    mops.append(["r", name, None])
            return mops


def client(args, idx, keys, out, lock, deadline, counter):
    rng = random.Random(args.seed * 1000 + idx)
    proc = f"s{args.seed}-c{idx}"
    generation = 0
    conn = None
    for _ in range(args.txns):
        if time.monotonic() > deadline:
            break
        if conn is None:
            try:
                conn = Conn(args.socket, args.user, args.db, args.timeout)
            except (OSError, ConnectionError, PgError):
                time.sleep(0.1)
                continue
        mops = keys.txn()
        with lock:
            counter[0] += 1
            op_id = f"s{args.seed}-{counter[0]}"
        invoke = time.monotonic_ns()
        result, error, timeout = [], None, False
        try:
            conn.query(f"BEGIN ISOLATION LEVEL {args.level}")
            for f, k, v in mops:
                if f == "append":
                    conn.query(f"INSERT INTO la (k, v) VALUES ('{k}', ARRAY[{int(v)}]) "
                               "ON CONFLICT (k) DO UPDATE SET v = la.v || EXCLUDED.v")
                    result.append([f, k, v])
                else:
                    rows, _ = conn.query(f"SELECT v FROM la WHERE k = '{k}'")
                    result.append([f, k, parse_array(rows[0][0]) if rows else []])
                time.sleep(rng.random() * args.think_ms / 1000.0)
            _, tag = conn.query("COMMIT")
            if tag != "COMMIT":
                error = f"COMMIT answered {tag}"
        except PgError as e:
            error = f"{e.code} {e.msg}"
            try:
                conn.query("ROLLBACK")
            except (OSError, ConnectionError, PgError):
                conn.close()
                conn = None
        except (OSError, ConnectionError):
            timeout = True
        complete = None if timeout else time.monotonic_ns()
        line = {
            "op_id": op_id, "process_id": f"{proc}-{generation}", "invoke_ts": invoke,
            "complete_ts": complete, "op_type": "txn", "key": None,
            "input": [[f, k, None if f == "r" else v] for f, k, v in mops],
            "output": result if (error is None and not timeout) else None,
            "error": error, "timeout_marker": timeout, "node_seen": "pg-local",
            "fault_epoch": None,
        }
        with lock:
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
        if timeout:
            if conn:
                conn.close()
            conn = None
            generation += 1
    if conn:
        conn.close()


def vacuum_loop(args, stop, counts):
    """VACUUM the table every half second while the clients run (removes dead row versions
    while other transactions hold snapshots)."""
    try:
        conn = Conn(args.socket, args.user, args.db, args.timeout)
    except (OSError, ConnectionError, PgError):
        return
    while not stop.wait(0.5):
        try:
            conn.query("VACUUM la")
            counts["vacuum"] += 1
        except (OSError, ConnectionError, PgError):
            counts["vacuum_errors"] += 1
    conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True, help="path of the .s.PGSQL.<port> socket")
    ap.add_argument("--user", default="postgres")
    ap.add_argument("--db", default="postgres")
    ap.add_argument("--level", required=True, choices=["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--txns", type=int, default=300, help="per client")
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--keys", type=int, default=4)
    ap.add_argument("--appends-per-key", type=int, default=16)
    ap.add_argument("--think-ms", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    setup = Conn(args.socket, args.user, args.db, args.timeout)
    setup.query("CREATE TABLE IF NOT EXISTS la (k text PRIMARY KEY, v int[] NOT NULL)")
    setup.close()
    keys = Keys(f"s{args.seed}-", args.keys, args.appends_per_key, random.Random(args.seed))
    lock, counter = threading.Lock(), [0]
    stop, counts = threading.Event(), {"vacuum": 0, "vacuum_errors": 0}
    started = time.monotonic()
    deadline = started + args.duration
    with open(args.out, "w", encoding="utf-8") as out:
        vac = threading.Thread(target=vacuum_loop, args=(args, stop, counts))
        vac.start()
        threads = [threading.Thread(target=client, args=(args, i, keys, out, lock, deadline, counter))
                   for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        vac.join()
    print(json.dumps({"seed": args.seed, "level": args.level, "txns": counter[0],
                      "seconds": round(time.monotonic() - started, 2), **counts}))


if __name__ == "__main__":
    main()
