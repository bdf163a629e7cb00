#!/usr/bin/env python3
"""Print workload events for `dstplan history record` (standard library only).

Each operation prints an `invoke` line before the request and exactly one completion after:
`ok` (it took effect; the value is what it returned), `fail` (the server said it did NOT take
effect), or `info` (unknown: a timeout, a cut connection, any error that does not prove the op
was rejected). After an `info` the worker continues under a new process id, because the old
request may still be running. Times are `time.monotonic_ns()`, the clock of `dstplan fault`.

    import events
    rec = events.Recorder()                      # prints to stdout, one flushed line per event
    w = rec.worker()                             # one per client thread
    w.call("write", "x", 1, lambda: client.put("x", 1), timeout=2.0)
    w.call("read", "x", None, lambda: client.get("x"), timeout=2.0)

Pipe it:  python3 workload.py | dstplan history record --model register --out history.jsonl

`python3 events.py --demo` prints the events of a small in-memory register workload with one
call that times out (a test pipes it through `history record` and `history check`).
"""

import itertools
import json
import sys
import threading
import time


class Fail(Exception):
    """Raise this (or list your client's exception types in `definite`) when the server
    guarantees the operation did not take effect: the op is recorded as `fail`."""


class Recorder:
    """Writes events as JSON lines; hands out process ids that are never reused."""

    def __init__(self, out=None, definite=(Fail,), first_process=0):
        """`first_process`: where process ids start (give each run its own range when several
        runs' events go into one history)."""
        self._out = out if out is not None else sys.stdout
        self._lock = threading.Lock()
        self._ids = itertools.count(first_process)
        self.definite = tuple(definite)

    def worker(self, node=None):
        """A client that issues one operation at a time."""
        return Worker(self, node)

    def new_process(self):
        return next(self._ids)

    def emit(self, event):
        event["time"] = time.monotonic_ns()
        line = json.dumps(event, separators=(",", ":"))
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()


class Worker:
    """One logical client: `process` changes after every operation with an unknown outcome."""

    def __init__(self, recorder, node=None):
        self.rec = recorder
        self.node = node
        self.process = recorder.new_process()

    def call(self, f, key, value, fn, timeout):
        """Run `fn()` as operation `f` on `key` with argument `value`, waiting at most
        `timeout` seconds. Returns ("ok", result), ("fail", error) or ("info", error)."""
        ev = {"type": "invoke", "process": self.process, "f": f, "key": key, "value": value}
        if self.node is not None:
            ev["node"] = self.node
        self.rec.emit(ev)
        box = {}

        def run():
            try:
                box["value"] = fn()
            except BaseException as e:  # noqa: BLE001 - every error is recorded
                box["error"] = e

        # A daemon thread: a call that never returns cannot keep the workload alive, and its
        # request may still land later, which is exactly what `info` says.
        t = threading.Thread(target=run, daemon=True)
        t.start()
        t.join(timeout)
        done = {"process": self.process, "f": f, "key": key}
        if t.is_alive():
            return self._info(done, "timeout after %gs" % timeout)
        if "error" in box:
            err = box["error"]
            text = "%s: %s" % (type(err).__name__, err)
            if isinstance(err, self.rec.definite):
                self.rec.emit(dict(type="fail", **done, error=text))
                return ("fail", text)
            return self._info(done, text)
        self.rec.emit(dict(type="ok", **done, value=box.get("value")))
        return ("ok", box.get("value"))

    def _info(self, done, why):
        self.rec.emit(dict(type="info", **done, error=why))
        self.process = self.rec.new_process()
        return ("info", why)


def demo(out=None):
    """A register in memory with three workers; the last write hangs past its timeout (and
    then takes effect), so it is recorded as `info`, its worker moves on under a new process
    id, and the final read sees the late write."""
    store = {}
    lock = threading.Lock()
    rec = Recorder(out)

    def write(k, v, delay=0.0):
        def go():
            time.sleep(delay)
            with lock:
                store[k] = v
        return go

    def read(k):
        def go():
            with lock:
                return store.get(k)
        return go

    workers = [rec.worker(node="n%d" % i) for i in range(3)]
    seen = set()
    for i in range(12):
        w = workers[i % 3]
        if i == 10:
            kind, _ = w.call("write", "x", 100 + i, write("x", 100 + i, delay=0.2), timeout=0.05)
            assert kind == "info", kind
        elif i % 2 == 0:
            w.call("write", "x", 100 + i, write("x", 100 + i), timeout=1.0)
        else:
            w.call("read", "x", None, read("x"), timeout=1.0)
        seen.add(w.process)
    time.sleep(1.0)  # the timed-out write lands after all
    workers[0].call("read", "x", None, read("x"), timeout=1.0)
    assert len(seen) == 4, "a worker that timed out must get a new process id"


if __name__ == "__main__":
    if sys.argv[1:] == ["--demo"]:
        demo()
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)
