#!/usr/bin/env python3
"""Writes the S5 finding of the toolkit run from what dstplan measured: the fault log
(artifacts/S5/faults.jsonl: landed, DROP counters, heal), the recorded history and the
elections run.sh timed. Helpers from ../findings_lib.py; the verdict is read off the facts."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from etcd_findings import negative_control_register  # noqa: E402
from findings_lib import (failure, finding, jl, log_verdicts, parse_args, run_json,  # noqa: E402
                          seed_stats, short_of_pass, verdict_from, write_finding)

ctx = parse_args(__doc__)
sc, hist = "S5", "artifacts/S5/history.jsonl"
rj, landing = run_json(ctx, sc), jl(ctx.path("artifacts/S5/landing.jsonl"))
faults = {r["id"]: r for r in jl(ctx.path("artifacts/S5/faults.jsonl"))}  # last line per id
res = ctx.check(hist, "register", "linearizability")
neg_rel, neg_what = negative_control_register(ctx, sc, hist)
neg = ctx.check(neg_rel, "register", "linearizability") if neg_rel else {"exit": None}
ops = jl(ctx.path(hist))
ps = {s: seed_stats([o for o in ops if o["key"].startswith(f"s5-{s}-")]) for s in ctx.seeds}

drops = {i: sum(v for p in ("IN", "OUT") for k, v in r["probes"]["during"].items() if p in k and isinstance(v, int))
         for i, r in faults.items()}
healed = {i: r["event"] == "stop" and r["probes"].get("after", {}).get("healed") is True for i, r in faults.items()}
each = [faults.get(x["fault"], {}).get("landed") is True and healed.get(x["fault"]) for x in landing]
full = [x for x in landing if x["nemesis"] == "leader-isolation"]
c3_breach = [x for x in full if x["elected_after_ms"] is None or x["elected_after_ms"] > 5000]
lin_violation = res.get("verdict") == "violation"
violation = lin_violation or bool(c3_breach)
checker_ran = res.get("verdict") in ("ok", "violation", "unknown")
fault_landed = len(landing) == 2 * len(ctx.seeds) and all(each)
in_fault = sum(s["in_fault"] for s in ps.values() if s)
facts = {"attempted": True, "env_ok": True, "violation": violation, "reproduced": None if not violation else False,
         "fault_planned": True, "fault_landed": fault_landed, "checker_ran": checker_ran,
         "history_complete": res.get("validate_exit") == 0 and all(ps.values()),
         "checker_coverage": "full" if res.get("verdict") in ("ok", "violation") else ("subset" if checker_ran else "none")}
gbb = {"workload-rate": "yes" if all(s and s["min_ops_per_s"] > 0 for s in ps.values()) else "no",
       "oracle-every-cycle": "yes" if checker_ran else "no", "fault-injected": "yes" if fault_landed else "no",
       "fault-not-noop": "yes" if any(x["new_leader"] for x in landing) else "no", "clock-skew-masking": "n/a",
       "duration-met": "yes" if all(s and s["span_s"] >= 44 for s in ps.values()) else "no",
       "no-error-suppression": "yes", "recovery-completed": "yes" if all(healed.values()) else "no",
       "baseline-fair": "n/a", "stats-replicated": "n/a"}
weak = {"not-final-state-only": "yes", "not-logs-only": "yes", "not-health-only": "yes",
        "multiple-failovers": "yes" if sum(1 for x in landing if x["new_leader"]) >= 2 else "no",
        "not-no-error-metrics-only": "yes", "not-short-runs-only": "yes" if rj.get("raft_log_compactions", 0) > 0 else "no",
        "asymmetric-partition-variant": "yes" if any(x["nemesis"] == "partition-asymmetric" and faults[x["fault"]]["landed"] is True
                                                     for x in landing) else "no",
        "hidden-retries-recorded": "yes", "monotonic-timestamps": "yes", "multiple-topologies": "n/a",
        "three-seeds": "yes" if len(ctx.seeds) >= 3 else "no", "multi-surface": "n/a",
        "negative-controls": "yes" if neg.get("exit") == 1 else "no", "per-group-fairness": "n/a"}
tier = "hardening" if len(ctx.seeds) >= 3 and len(landing) == 2 * len(ctx.seeds) else "smoke"
verdict = verdict_from(facts, tier, gbb, weak, True)
evidence = (f"{res.get('evidence')} (exit {res.get('exit')}); per seed ok/failed/indeterminate: "
            + "; ".join(f"{s}: {v['ok']}/{v['failed']}/{v['indeterminate']}" for s, v in ps.items() if v)
            + f"; negative control ({neg_what}): exit {neg.get('exit')}, {neg.get('evidence')}"
            + "; C3: the other two elected a new leader " + ", ".join(f"{x['elected_after_ms']} ms" for x in full)
            + " after each full isolation (bound 5000 ms)")
landing_text = ("dstplan fault log (artifacts/S5/faults.jsonl): " + "; ".join(
    f"{x['fault']} {x['nemesis']} of {x['isolated']} (s{x['seed']}c{x['cycle']}): landed {json.dumps(faults[x['fault']]['landed'])}, "
    f"{drops[x['fault']]} packets dropped, healed {json.dumps(healed[x['fault']])}, new leader {x['new_leader'] or 'none'} after "
    f"{x['elected_after_ms']} ms" for x in landing) + f"; ops invoked inside fault windows: {in_fault}")
f = finding(sc, verdict, tier, ctx.seeds, rj, facts, evidence, hist, landing_text, gbb, weak)
f["fault_ids"] = [x["fault"] for x in landing]
if violation:
    f["failure"] = failure("non-linearizable history under leader isolation" if lin_violation
                           else "no new leader within 5 s of a leader isolation", "partition", "P0" if lin_violation else "P2",
                           f"verification/etcd-3.4-s5-toolkit/run.sh; witness in {hist}")
short_of_pass(f)
body = "\n".join([
    "## What happened", "",
    f"Seeds {', '.join(map(str, ctx.seeds))}, 45 s each, 6 client threads over 3 keys per seed (45 % read, 30 % put, "
    "25 % txn CAS, 750 ms client timeout), one etcd member per network namespace (`dstplan net up es5 --nodes 3`). "
    "Per seed, the current leader was cut off for 15 s twice: first `dstplan fault start leader-isolation` (both "
    "directions), then `partition-asymmetric` (the leader stops hearing its peers). The history was recorded by "
    "`dstplan history record --faults`, so every op invoked in a fault window carries that fault's id.", "",
    f"Per-seed history statistics: `{json.dumps(ps)}`", "",
    f"Elections timed by run.sh: `{json.dumps(landing)}`", "",
    f"Checker: `{res.get('evidence')}` (exit {res.get('exit')}).", "",
    f"Negative control: {neg_what}; exit {neg.get('exit')} ({neg.get('evidence')}).", "",
    "## Evidence", "",
    f"- `{hist}`, `artifacts/S5/faults.jsonl` (dstplan's fault log), `artifacts/S5/landing.jsonl`, `logs/etcd-n*.log`",
])
write_finding(ctx.stub(sc), f, body)
log_verdicts(ctx, "etcd-3.4-s5-toolkit/findings.py", {"S5": verdict})
