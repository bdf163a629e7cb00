#!/usr/bin/env python3
"""Shared by the verification scripts that write findings (etcd_findings.py,
etcd_s5_findings.py, redis_findings.py): reading the recorded artifacts, running
`dstplan history validate/check`, per-seed statistics, the decision tree and caps that pick the
verdict the facts support (skills/executing-distributed-system-tests/references/verdicts.md),
and writing a finding over the stub `dstplan finding new` made. Standard library only.

A script records facts; nothing here is a constant verdict.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys

GBB = ["workload-rate", "oracle-every-cycle", "fault-injected", "fault-not-noop",
       "clock-skew-masking", "duration-met", "no-error-suppression", "recovery-completed",
       "baseline-fair", "stats-replicated"]
WEAK = ["not-final-state-only", "not-logs-only", "not-health-only", "multiple-failovers",
        "not-no-error-metrics-only", "not-short-runs-only", "asymmetric-partition-variant",
        "hidden-retries-recorded", "monotonic-timestamps", "multiple-topologies", "three-seeds",
        "multi-surface", "negative-controls", "per-group-fairness"]


def jl(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(x) for x in f if x.strip()]


def run(cmd, cwd):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


class Ctx:
    def __init__(self, session, dstplan, seeds):
        self.s = session
        self.bin = dstplan
        self.seeds = seeds

    def path(self, rel):
        return os.path.join(self.s, rel)

    def stub(self, sc):
        rc, out, err = run([self.bin, "finding", "new", "--session", self.s, "--scenario", sc], self.s)
        if rc != 0:
            sys.exit(f"finding new {sc}: {err}")
        return self.path(f"findings/{sc}.md")

    def check(self, rel, model, checker):
        rc_v, out_v, err_v = run([self.bin, "history", "validate", rel], self.s)
        rc, out, err = run([self.bin, "history", "check", rel, "--model", model, "--checker", checker,
                            "--format", "json", "--timeout", "120"], self.s)
        res = json.loads(out) if out.strip().startswith("{") else {"verdict": "error", "evidence": err.strip()}
        res["exit"] = rc
        res["validate_exit"] = rc_v
        res["validate"] = (out_v + err_v).strip().splitlines()[-1:] or [""]
        return res


def drop_seed_files(ctx, sc):
    """The combined history holds every op; the per-seed copies are removed to keep the
    committed session small (each seed's ops carry its run id, e.g. `s1-11-…`)."""
    for p in glob.glob(ctx.path(f"artifacts/{sc}/seed-*.jsonl")):
        os.remove(p)


def combine(ctx, sc):
    """Concatenate the per-seed histories (distinct keys, op ids and process ids per seed, one
    host-wide monotonic clock) into artifacts/<sc>/history.jsonl."""
    rel = f"artifacts/{sc}/history.jsonl"
    with open(ctx.path(rel), "w", encoding="utf-8") as out:
        for seed in ctx.seeds:
            p = ctx.path(f"artifacts/{sc}/seed-{seed}.jsonl")
            if os.path.exists(p):
                with open(p, encoding="utf-8") as f:
                    out.write(f.read())
    return rel


def stats(ops):
    st = {"ops": len(ops), "ok": 0, "failed": 0, "indeterminate": 0, "in_fault": 0,
          "in_fault_not_ok": 0}
    for o in ops:
        kind = "indeterminate" if o["timeout_marker"] else ("failed" if o["error"] else "ok")
        st[kind] += 1
        if o["fault_epoch"] is not None:
            st["in_fault"] += 1
            if kind != "ok":
                st["in_fault_not_ok"] += 1
    return st


def per_seed(ctx, sc):
    out = {}
    for seed in ctx.seeds:
        out[seed] = seed_stats(jl(ctx.path(f"artifacts/{sc}/seed-{seed}.jsonl")))
    return out


def seed_stats(ops):
    """Outcome counts, fault-window counts, span and the slowest second of one seed's ops."""
    if not ops:
        return None
    st = stats(ops)
    t0 = min(o["invoke_ts"] for o in ops)
    t1 = max(o["complete_ts"] or o["invoke_ts"] for o in ops)
    buckets = {}
    for o in ops:
        b = (o["invoke_ts"] - t0) // 1_000_000_000
        buckets[b] = buckets.get(b, 0) + 1
    span = int((t1 - t0) // 1_000_000_000)
    st["span_s"] = round((t1 - t0) / 1e9, 1)
    st["min_ops_per_s"] = min(buckets.get(b, 0) for b in range(0, max(span, 1)))
    st["epochs"] = sorted({o["fault_epoch"] for o in ops if o["fault_epoch"]})
    return st


def verdict_from(facts, tier, gbb, weak, serious):
    """The decision tree and caps, so the recorded verdict is the one the facts support."""
    if not facts["attempted"]:
        return "NOT-RUN"
    if facts["env_ok"] is False:
        return "INCONCLUSIVE-env"
    if facts["violation"]:
        return "FAIL-reproducible" if facts["reproduced"] else "FAIL-nondeterministic"
    if facts["violation"] is None:
        return "INCONCLUSIVE-oracle-too-weak"
    if facts["fault_planned"] and not facts["fault_landed"]:
        return "INCONCLUSIVE-fault-not-proven"
    order = ["PASS-hardening", "PASS-smoke", "PARTIAL-model", "PARTIAL-surface", "INCONCLUSIVE-oracle-too-weak"]
    v = "PASS-hardening" if facts["fault_planned"] and facts["fault_landed"] else "PASS-smoke"
    if serious:
        if not facts["checker_ran"]:
            v = "PARTIAL-surface"
        elif not facts["history_complete"]:
            v = "INCONCLUSIVE-oracle-too-weak"
        elif facts["checker_coverage"] != "full":
            v = "PARTIAL-model"

    def cap(cur, c):
        return cur if order.index(cur) >= order.index(c) else c
    if tier == "smoke":
        v = cap(v, "PASS-smoke")
    for k, val in gbb.items():
        if val == "no":
            if k in ("fault-injected", "fault-not-noop"):
                return "INCONCLUSIVE-fault-not-proven"
            v = cap(v, "PARTIAL-surface")
    if serious and any(val == "no" for val in weak.values()):
        v = cap(v, "PARTIAL-model")
    return v


def q(v):
    """A YAML scalar: JSON strings are valid YAML double-quoted strings."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(v, ensure_ascii=False)


def write_finding(path, f, body):
    stub = open(path, encoding="utf-8").read()
    claims = re.search(r"^claims: (\[.*?\])", stub, re.M).group(1)
    m = re.search(r'^  checker: "(.*?)"', stub, re.M)
    checker = m.group(1) if m else None
    m = re.search(r'^  name: "(.*?)"', stub, re.M)
    nemesis = m.group(1) if m else None
    title = re.search(r"^# (S\d+.*)$", stub, re.M).group(1)
    model_line = re.search(r"^Model under test.*$", stub, re.M)
    L = ["---", f"scenario: {f['scenario']}", f"claims: {claims}", f"verdict: {f['verdict']}",
         f"budget_tier: {f['budget_tier']}", f"seeds: [{', '.join(str(s) for s in f['seeds'])}]",
         f"started: {q(f['started'])}", f"finished: {q(f['finished'])}", "facts:"]
    for k in ["attempted", "env_ok", "violation", "reproduced", "fault_planned", "fault_landed",
              "checker_ran", "history_complete", "checker_coverage"]:
        L.append(f"  {k}: {q(f['facts'][k])}")
    L += ["oracle:", f"  checker: {q(checker)}", f"  evidence: {q(f['evidence'])}",
          f"  history: {q(f.get('history'))}", "nemesis:", f"  name: {q(nemesis)}",
          f"  landing_evidence: {q(f.get('landing'))}"]
    if f.get("fault_ids"):
        L.append(f"  fault_ids: [{', '.join(f['fault_ids'])}]")
    L += ["audits:", "  green_but_broken:"]
    for k in GBB:
        L.append(f"    {k}: {q(f['gbb'].get(k))}")
    L.append("  weak_oracle:")
    for k in WEAK:
        L.append(f"    {k}: {q(f['weak'].get(k))}")
    if f.get("failure"):
        L.append("failure:")
        for k, v in f["failure"].items():
            L.append(f"  {k}: {q(v)}")
    L.append(f"reason: {q(f.get('reason'))}")
    L.append("---")
    text = "\n".join(L) + f"\n\n# {title}\n\n"
    if model_line:
        text += model_line.group(0) + "\n\n"
    text += body.rstrip() + "\n"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def run_json(ctx, sc):
    p = ctx.path(f"artifacts/{sc}/run.json")
    return json.load(open(p, encoding="utf-8")) if os.path.exists(p) else {}


def parse_args(description):
    """The arguments every findings script takes: --session DIR --dstplan BIN --seeds "11 12 13"."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--session", required=True)
    ap.add_argument("--dstplan", required=True)
    ap.add_argument("--seeds", required=True)
    a = ap.parse_args()
    return Ctx(os.path.abspath(a.session), os.path.abspath(a.dstplan), [int(s) for s in a.seeds.split()])


class Checked:
    """One history scenario's check: the combined history, the checker's answer, per-seed
    statistics and the negative control (a mutated copy the checker must reject)."""

    def __init__(self, ctx, sc, model, checker, negative):
        self.seeds = [s for s in ctx.seeds if os.path.exists(ctx.path(f"artifacts/{sc}/seed-{s}.jsonl"))]
        self.hist = combine(ctx, sc)
        self.res = ctx.check(self.hist, model, checker)
        self.ps = per_seed(ctx, sc)
        self.neg_rel, self.neg_what = negative(ctx, sc, self.hist)
        self.neg = ctx.check(self.neg_rel, model, checker) if self.neg_rel else {"exit": None}
        drop_seed_files(ctx, sc)
        self.violation = self.res.get("verdict") == "violation"
        self.checker_ran = self.res.get("verdict") in ("ok", "violation", "unknown")

    def in_fault(self, field="in_fault_not_ok"):
        """Ops invoked in fault windows (`in_fault`), or those of them that were not ok."""
        return sum(s[field] for s in self.ps.values() if s)

    def facts(self, ctx, fault_landed, violation=None):
        """The facts block of a history scenario that planned a fault."""
        v = self.violation if violation is None else violation
        return {"attempted": True, "env_ok": True, "violation": v,
                "reproduced": None if not v else False, "fault_planned": True,
                "fault_landed": fault_landed, "checker_ran": self.checker_ran,
                "history_complete": self.res.get("validate_exit") == 0 and len(self.seeds) == len(ctx.seeds),
                "checker_coverage": "full" if self.res.get("verdict") in ("ok", "violation")
                else ("subset" if self.checker_ran else "none")}

    def negative_text(self):
        return f"negative control ({self.neg_what}): exit {self.neg.get('exit')}, {self.neg.get('evidence')}"

    def evidence(self):
        """The checker's evidence line, per-seed outcome counts and the negative control."""
        return (f"{self.res.get('evidence')} (exit {self.res.get('exit')}); per seed ok/failed/indeterminate: "
                + "; ".join(f"{s}: {v['ok']}/{v['failed']}/{v['indeterminate']}" for s, v in self.ps.items() if v)
                + f"; {self.negative_text()}")

    def rates_met(self):
        return all(s and s["min_ops_per_s"] > 0 for s in self.ps.values())

    def spans_at_least(self, seconds):
        return all(s and s["span_s"] >= seconds for s in self.ps.values())


def finding(sc, verdict, tier, seeds, rj, facts, evidence, hist, landing, gbb, weak):
    """The fields write_finding needs."""
    return {"scenario": sc, "verdict": verdict, "budget_tier": tier, "seeds": seeds,
            "started": rj.get("started"), "finished": rj.get("finished"), "facts": facts,
            "evidence": evidence, "history": hist, "landing": landing, "gbb": gbb, "weak": weak}


def failure(title, type_, severity, reproducer, next_action="re-run the seed; minimise the witness"):
    """A failure block whose blame waits for a re-run."""
    return {"title": title, "blame": "unknown — pending re-run on alternative harness/host",
            "type": type_, "severity": severity, "reproducer": reproducer,
            "root_cause": "not yet analysed", "next_action": next_action}


def short_of_pass(f):
    """Set `reason` when the verdict is neither a PASS nor a FAIL: the audits that said no."""
    v = f["verdict"]
    if v not in ("PASS-hardening", "PASS-smoke") and not v.startswith("FAIL"):
        f["reason"] = "facts fell short of PASS: " + ", ".join(
            [k for k, x in {**f["gbb"], **f["weak"]}.items() if x == "no"] or ["see facts"])
    return f


def log_verdicts(ctx, script, out, notes=None):
    """Append the verdicts to the session log and print them as JSON."""
    notes = notes or {}
    with open(ctx.path("session-log.md"), "a", encoding="utf-8") as f:
        f.write(f"\n## Verdicts written by {script}\n\n")
        for k, v in out.items():
            f.write(f"- {k}: {v} (findings/{k}.md){notes.get(k, '')}\n")
    print(json.dumps(out))
