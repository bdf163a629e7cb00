#!/usr/bin/env python3
"""Lease probe for etcd v3 (JSON gateway), Python 3 stdlib only.

For each lease: grant (TTL), put a key attached to it, keep it alive once per second for
--keepalive seconds while reading the key from every member, then stop keep-alives and poll
every 200 ms until the key is gone. Each observation goes to a JSONL record with
time.monotonic_ns() timestamps.

Oracle (exit 1 on a violation):
  - every read in the keep-alive phase finds the key with the value that was put;
  - after the last keep-alive the key disappears no earlier than TTL - 1 s and no later than
    TTL + 3 s (measured from the end of the last successful keep-alive).
A keep-alive that fails, or a read that errors, makes the run inconclusive (exit 3).
"""

import argparse
import base64
import json
import sys
import time
import urllib.request


def b64(s):
    return base64.b64encode(s.encode()).decode()


def post(url, body, timeout=2.0):
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read().decode())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoints", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--run-id", required=True)
    ap.add_argument("--ttl", type=int, default=4)
    ap.add_argument("--keepalive", type=float, default=12.0)
    ap.add_argument("--leases", type=int, default=1)
    args = ap.parse_args()
    eps = [tuple(e.split("=", 1)) for e in args.endpoints.split(",")]
    out = open(args.out, "w", encoding="utf-8")

    def log(**kw):
        kw["ts"] = time.monotonic_ns()
        out.write(json.dumps(kw, sort_keys=True) + "\n")
        out.flush()

    violations, inconclusive, summary = [], [], []
    for n in range(args.leases):
        key = f"{args.run_id}-lease{n}"
        value = f"{args.run_id}-v{n}"
        url0 = eps[n % len(eps)][1]
        lease = post(url0 + "/v3/lease/grant", {"TTL": args.ttl})
        lid = lease["ID"]
        log(event="grant", lease=lid, ttl=int(lease.get("TTL", 0)))
        post(url0 + "/v3/kv/put", {"key": b64(key), "value": b64(value), "lease": lid})
        log(event="put", key=key, lease=lid)
        reads_ok = 0
        last_ka_end = None
        t_end = time.monotonic() + args.keepalive
        while time.monotonic() < t_end:
            try:
                # The gateway maps the keep-alive stream to one request and one response.
                post(url0 + "/v3/lease/keepalive", {"ID": lid})
                last_ka_end = time.monotonic_ns()
                log(event="keepalive", lease=lid)
            except Exception as e:  # noqa: BLE001
                inconclusive.append(f"keepalive failed: {e}")
                log(event="keepalive-error", lease=lid, error=str(e))
            for name, url in eps:
                try:
                    r = post(url + "/v3/kv/range", {"key": b64(key)})
                    kvs = r.get("kvs") or []
                    got = base64.b64decode(kvs[0]["value"]).decode() if kvs else None
                    log(event="read-alive", node=name, key=key, value=got)
                    if got != value:
                        violations.append(f"{key}: read on {name} found {got!r} while the lease was kept alive")
                    else:
                        reads_ok += 1
                except Exception as e:  # noqa: BLE001
                    inconclusive.append(f"read failed on {name}: {e}")
                    log(event="read-error", node=name, error=str(e))
            time.sleep(1.0)
        # Keep-alives stop here. Poll until gone (bounded).
        gone_at = None
        deadline = time.monotonic() + args.ttl + 10
        while time.monotonic() < deadline:
            r = post(url0 + "/v3/kv/range", {"key": b64(key)})
            present = bool(r.get("kvs"))
            log(event="read-expiry", key=key, present=present)
            if not present:
                gone_at = time.monotonic_ns()
                break
            time.sleep(0.2)
        if gone_at is None or last_ka_end is None:
            violations.append(f"{key}: still present {args.ttl + 10} s after keep-alives stopped")
            summary.append({"key": key, "reads_ok": reads_ok, "expired_after_s": None})
            continue
        after = (gone_at - last_ka_end) / 1e9
        log(event="expired", key=key, seconds_after_last_keepalive=round(after, 3))
        if after < args.ttl - 1 or after > args.ttl + 3:
            violations.append(f"{key}: gone {after:.2f} s after the last keep-alive (TTL {args.ttl} s)")
        summary.append({"key": key, "reads_ok": reads_ok, "expired_after_s": round(after, 3)})
    out.close()
    verdict = "violation" if violations else ("inconclusive" if inconclusive else "ok")
    print(json.dumps({"verdict": verdict, "leases": summary, "violations": violations,
                      "inconclusive": inconclusive[:5]}))
    sys.exit(1 if violations else (3 if inconclusive else 0))


if __name__ == "__main__":
    main()
