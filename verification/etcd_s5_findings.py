#!/usr/bin/env python3
"""Writes the S5 (leader isolation) finding of the etcd-3.4 plan from the artifacts that
run-s5.sh recorded; same conventions as etcd_findings.py, helpers from findings_lib.py."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from etcd_findings import negative_control_register  # noqa: E402
from findings_lib import (Checked, failure, finding, jl, log_verdicts,  # noqa: E402
                          parse_args, run_json, short_of_pass, verdict_from, write_finding)


def main():
    ctx = parse_args(__doc__)
    sc = "S5"
    rj = run_json(ctx, sc)
    landing = jl(ctx.path("artifacts/S5/landing.jsonl"))
    c = Checked(ctx, sc, "register", "linearizability", negative_control_register)
    seeds, hist, res, ps, neg = c.seeds, c.hist, c.res, c.ps, c.neg

    def landed(l):
        maj = [x.split(":", 1)[1] for x in l["majority_leader"].split(",") if ":" in x]
        leaders = {m.split("@")[0] for m in maj}
        terms = [int(m.split("@")[1]) for m in maj]
        return (l["dropped_out"] + l["dropped_in"] > 0 and len(maj) == 2 and len(leaders) == 1
                and l["old_leader"] not in leaders and "0" not in leaders
                and all(t > l["old_term"] for t in terms) and l["rules_left"] == 0 and l["healthy_after"])
    each = [landed(l) for l in landing]
    planned = 2 * len(ctx.seeds)
    fault_landed = len(landing) == planned and all(each)
    in_fault_not_ok = c.in_fault()
    landing_text = (f"{len(landing)} leader isolations (15 s each, iptables in namespace dstplan-etcd-s5): "
                    + "; ".join(f"s{l['seed']}c{l['cycle']} {l['isolated']} (term {l['old_term']}): dropped out/in "
                                f"{l['dropped_out']}/{l['dropped_in']} pkts, majority side {l['majority_leader']}, "
                                f"rules left after heal {l['rules_left']}" for l in landing)
                    + f"; ops invoked in the windows that failed or were indeterminate: {in_fault_not_ok}")
    facts = c.facts(ctx, fault_landed)
    gbb = {"workload-rate": "yes" if c.rates_met() else "no",
           "oracle-every-cycle": "yes" if c.checker_ran else "no",
           "fault-injected": "yes" if fault_landed else "no",
           "fault-not-noop": "yes" if sum(each) > 0 else "no",
           "clock-skew-masking": "n/a",
           "duration-met": "yes" if c.spans_at_least(44) else "no",
           "no-error-suppression": "yes",
           "recovery-completed": "yes" if all(l["healthy_after"] for l in landing) else "no",
           "baseline-fair": "n/a", "stats-replicated": "n/a"}
    weak = {"not-final-state-only": "yes", "not-logs-only": "yes", "not-health-only": "yes",
            "multiple-failovers": "yes" if sum(each) >= 2 else "no", "not-no-error-metrics-only": "yes",
            "not-short-runs-only": "yes" if rj.get("raft_log_compactions", 0) > 0 else "no",
            # Both directions of the leader's peer traffic are cut: no one-way variant was run.
            "asymmetric-partition-variant": "no", "hidden-retries-recorded": "yes",
            "monotonic-timestamps": "yes", "multiple-topologies": "n/a",
            "three-seeds": "yes" if len(seeds) >= 3 else "no", "multi-surface": "n/a",
            "negative-controls": "yes" if neg.get("exit") == 1 else "no", "per-group-fairness": "n/a"}
    tier = "hardening" if len(seeds) >= 3 and len(landing) == planned else "smoke"
    verdict = verdict_from(facts, tier, gbb, weak, True)
    f = finding(sc, verdict, tier, seeds, rj, facts, c.evidence(), hist, landing_text, gbb, weak)
    if c.violation:
        f["failure"] = failure("non-linearizable history under leader isolation", "partition", "P0",
                               f"verification/etcd-3.4/run-s5.sh; witness in {hist}")
    short_of_pass(f)
    body = "\n".join([
        "## What happened", "",
        f"Seeds {', '.join(map(str, seeds))}, 45 s each, the S1 register workload (6 threads, 3 keys, 750 ms timeout), "
        "with the cluster inside network namespace `dstplan-etcd-s5` and each member under its own uid. Twice per seed "
        "(at about 6 s and 26 s) the current leader's peer traffic was dropped for 15 s: OUTPUT from the leader's uid to "
        "any peer port, and INPUT to its peer port. Clients could still reach the isolated member on its client port.", "",
        f"Per-seed history statistics: `{json.dumps(ps)}`", "",
        f"Checker: `{res.get('evidence')}` (exit {res.get('exit')}).", "",
        f"Negative control: {c.neg_what}; exit {neg.get('exit')} ({neg.get('evidence')}).", "",
        "## Evidence", "",
        f"- `{hist}`, `artifacts/S5/landing.jsonl`, `artifacts/S5/status-*-during.json` (the majority's view during the cut)", "",
        "## Open points", "",
        "- `asymmetric-partition-variant: no`: only the full cut of the leader was run; this caps the verdict at PARTIAL-model.",
        "- This session runs S5 only; S1–S4 are in the main session (`session/`).",
    ])
    write_finding(ctx.stub(sc), f, body)
    log_verdicts(ctx, "etcd_s5_findings.py", {"S5": verdict},
                 {"S5": "; S1–S4 not run in this session (see ../../../session/)"})


if __name__ == "__main__":
    main()
