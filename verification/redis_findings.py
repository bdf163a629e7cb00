#!/usr/bin/env python3
"""Checks the redis-queue histories and writes the S1/S2 findings from the recorded facts
(same conventions as etcd_findings.py, helpers from findings_lib.py)."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from findings_lib import (Checked, failure, finding, jl, log_verdicts,  # noqa: E402
                          parse_args, run_json, short_of_pass, verdict_from, write_finding)


def ok(o):
    return (not o["timeout_marker"]) and o["error"] is None


def neg_queue(ctx, sc, hist):
    """A copy where one dequeue returns a value an earlier dequeue already returned (a double
    delivery): prefix-order must reject it."""
    ops = sorted(jl(ctx.path(hist)), key=lambda o: o["invoke_ts"])
    key = ops[0]["key"]
    deqs = [o for o in ops if o["key"] == key and o["op_type"] == "dequeue" and ok(o) and o["output"] is not None]
    if len(deqs) < 10:
        return None, "too few dequeues"
    first, later = deqs[0], deqs[len(deqs) // 2]
    later["output"] = first["output"]
    rel = "artifacts/S1/negative-control.jsonl"
    with open(ctx.path(rel), "w", encoding="utf-8") as f:
        for o in ops:
            if o["key"] == first["key"]:
                f.write(json.dumps(o, sort_keys=True, separators=(",", ":")) + "\n")
    return rel, f"dequeue {later['op_id']} made to return {first['output']!r}, already dequeued by {first['op_id']}"


def neg_counter(ctx, sc, hist):
    """A copy where the replica's final read is 5 higher than it was."""
    ops = jl(ctx.path(hist))
    reads = [o for o in ops if o["op_type"] == "read" and ok(o) and o["node_seen"] == "replica"]
    if not reads:
        return None, "no replica read"
    last = max(reads, key=lambda o: o["complete_ts"])
    last["output"] += 5
    rel = "artifacts/S2/negative-control.jsonl"
    with open(ctx.path(rel), "w", encoding="utf-8") as f:
        for o in ops:
            if o["key"] == last["key"]:
                f.write(json.dumps(o, sort_keys=True, separators=(",", ":")) + "\n")
    return rel, f"replica final read {last['op_id']} raised by 5"


def scenario(ctx, sc, model, checker):
    rj = run_json(ctx, sc)
    landing = jl(ctx.path(f"artifacts/{sc}/landing.jsonl"))
    c = Checked(ctx, sc, model, checker, neg_queue if model == "queue" else neg_counter)
    seeds, hist, res, ps, neg = c.seeds, c.hist, c.res, c.ps, c.neg
    in_fault_not_ok = c.in_fault()
    if sc == "S1":
        landed = [l["state_paused_0_3s"].startswith("State: T") and l["state_paused_3s"].startswith("State: T")
                  and not l["state_after_cont"].startswith("State: T") for l in landing]
        landing_text = ("primary SIGSTOP 3 s per seed; /proc/<pid>/status: " + "; ".join(
            f"s{l['seed']} '{l['state_before']}'→'{l['state_paused_0_3s']}'→'{l['state_paused_3s']}'→CONT→'{l['state_after_cont']}'"
            for l in landing))
    else:
        landed = [l["wait_status"] == 137 and "connected_slaves:0" in l["primary_during"]
                  and "connected_slaves:1" in l["primary_after"] and l["link_up"] for l in landing]
        landing_text = ("replica SIGKILL per seed: " + "; ".join(
            f"s{l['seed']} wait status {l['wait_status']}, primary {l['primary_before'].split()[1]}→{l['primary_during'].split()[1]}→{l['primary_after'].split()[1]}, replica {l['replica_after']}"
            for l in landing))
    landing_text += f"; ops invoked in fault windows that timed out or failed: {in_fault_not_ok}"
    fault_landed = len(landing) == len(ctx.seeds) and all(landed)
    facts = c.facts(ctx, fault_landed)
    gbb = {"workload-rate": "yes" if c.rates_met() else "no",
           "oracle-every-cycle": "yes" if c.checker_ran else "no",
           "fault-injected": "yes" if fault_landed else "no",
           "fault-not-noop": "yes" if (in_fault_not_ok > 0 or (sc == "S2" and fault_landed)) else "no",
           "clock-skew-masking": "n/a", "duration-met": "yes" if c.spans_at_least(19) else "no",
           "no-error-suppression": "yes",
           "recovery-completed": "yes" if sc == "S1" or all(l["link_up"] for l in landing) else "no",
           "baseline-fair": "n/a", "stats-replicated": "n/a"}
    weak = {"not-final-state-only": "yes" if sc == "S1" else "no", "not-logs-only": "yes",
            "not-health-only": "yes", "multiple-failovers": "n/a", "not-no-error-metrics-only": "yes",
            "not-short-runs-only": "no", "asymmetric-partition-variant": "n/a",
            "hidden-retries-recorded": "yes", "monotonic-timestamps": "yes", "multiple-topologies": "n/a",
            "three-seeds": "yes" if len(seeds) >= 3 else "no", "multi-surface": "n/a",
            "negative-controls": "yes" if neg.get("exit") == 1 else "no", "per-group-fairness": "n/a"}
    tier = "hardening" if len(seeds) >= 3 and len(landing) == len(ctx.seeds) else "smoke"
    verdict = verdict_from(facts, tier, gbb, weak, True)
    f = finding(sc, verdict, tier, seeds, rj, facts, c.evidence(), hist, landing_text, gbb, weak)
    if c.violation:
        f["failure"] = failure(f"{checker} violation on {model}", "timing" if sc == "S1" else "crash-recovery",
                               "P1", f"verification/redis-queue/run.sh; witness in {hist}")
    short_of_pass(f)
    body = "\n".join([
        "## What happened", "",
        (f"Seeds {', '.join(map(str, seeds))}, 20 s each: 2 producers LPUSH unique values and 2 consumers RPOP on the primary "
         "(1 s client timeout); at about 8 s the primary was SIGSTOPped for 3 s; afterwards one consumer drained the list."
         if sc == "S1" else
         f"Seeds {', '.join(map(str, seeds))}, 20 s each: 4 threads INCR one key on the primary (15 % GET); at about 6 s the "
         "replica was SIGKILLed and restarted empty 4 s later (full resync during load); then WAIT 1 and final GETs on the "
         "primary and, last, on the replica."), "",
        f"Per-seed history statistics: `{json.dumps(ps)}`", "",
        f"Checker: `{res.get('evidence')}` (exit {res.get('exit')}).", "",
        f"Negative control: {c.neg_what}; exit {neg.get('exit')} ({neg.get('evidence')}).", "",
        "## Evidence", "",
        f"- `{hist}`, `artifacts/{sc}/landing.jsonl`, `logs/primary.log`, `logs/replica.log`, `session-log.md`", "",
        "## Open points", "",
        "- `not-short-runs-only: no`: 20 s runs, no slow effect (no persistence, no expiry) was provoked; the verdict is capped at PARTIAL-model for that.",
    ] + (["- `not-final-state-only: no`: final-state-invariant judges only the last read (the replica's), by design of this oracle."] if sc == "S2" else []))
    write_finding(ctx.stub(sc), f, body)
    return verdict


def main():
    ctx = parse_args(__doc__)
    out = {"S1": scenario(ctx, "S1", "queue", "prefix-order"),
           "S2": scenario(ctx, "S2", "counter", "final-state-invariant")}
    log_verdicts(ctx, "redis_findings.py", out)


if __name__ == "__main__":
    main()
