//! `dstplan scenario add`: numbering, placement, the §7.M / §7.M.S decision for gated,
//! non-gated and boundary claims, errors that leave the plan untouched, and a filled-in stub
//! that parses into a complete scenario.

mod common;
use common::*;

use std::path::Path;
use std::process::{Command, Output};

use dstplan::plan::{self, Plan, Scenario};
use dstplan::vocab;

/// A small, complete change-scoped plan written for these tests: C1 durability, C2
/// liveness, C3 boundary; one scenario (S1, liveness, both not-applicable lines).
const PLAN: &str = "# Test Plan: toy-kv-failover

**Date:** 2026-11-23

**Plan mode:** change-scoped

**SUT:** toy-kv 1.4 (three replicas, Raft)

**Change under test:** 1a2b3c4..5d6e7f8 (leader hand-off on shutdown)

**Plan author:** dstplan test suite

**Status:** draft

## 0. Architectural summary

Three toy-kv replicas elect a leader with Raft; clients write to the leader, which
acknowledges once a majority has the entry in its log.

## 1. Scope

The change makes a leader hand off leadership before a graceful shutdown.

**Files touched:**

- `src/raft/shutdown.rs` (modified)

## 1b. Claims under test

| ID | Claim | Category | Source | Inferred? |
|---|---|---|---|---|
| C1 | A write acknowledged to the client is present on the new leader after any leader shutdown. | durability | docs/design.md | no |
| C2 | After the leader shuts down, a new leader serves writes within 5 s. | liveness | docs/runbook.md | no |
| C3 | A client authenticated as tenant A can read and write only keys under the prefix a/. | boundary | docs/tenancy.md | no |

## 1c. Missing claims discovered

The docs and code appear aligned on every behavior the plan exercised.

## 2. SUT model

- **Components:** three replicas, one client library.
- **State and durability:** each replica keeps a Raft log and fsyncs before acknowledging.

## 4. Failure-mode hypotheses

H1. **Hand-off before commit** — the leader hands off before its last entries reach a majority.
   - Could falsify: C1
   - Suspected because: the hand-off path skips the commit-index wait
   - Subsystem: raft

H2. **Slow hand-off** — the successor waits a full election timeout before it serves writes.
   - Could falsify: C2
   - Suspected because: the timeout-now message is sent after the transport closes
   - Subsystem: raft

H3. **Tenant check skipped on redirect** — a request redirected to the new leader skips the tenant check.
   - Could falsify: C3
   - Suspected because: the redirect handler builds a fresh request context
   - Subsystem: api

## 6. Technique selection

### chaos-and-fault-injection

- **Hypotheses it addresses:** H1, H2, H3
- **What it catches that the others miss:** hand-off races under real shutdowns.
- **Reference:** `references/chaos-and-fault-injection.md`
- **Cost / wall-clock estimate:** one engineer-day; smoke runs take 20 min.

## 6b. Environment requirements

| Requirement | Version floor | Used by scenarios | Install hint |
|---|---|---|---|
| Docker with compose | 24 | S1 | `apt-get install docker.io` |

## 7. Scenarios

### Scenario S1: new_leader_serves_writes_within_5s

- **Falsifies if it FAILs:** C2
- **Closes:** H2
- **Technique:** chaos-and-fault-injection
- **Workload:** 4 clients, 200 writes/s each, uniform keys, 10 min
- **Faults:** graceful leader shutdown every 60 s, restarted after 20 s
- **Oracle:** the gap between the shutdown and the first acknowledged write on the new leader is at most 5 s in every cycle
- **Observability required:** client latency log, leader term metric
- **Smoke budget:** 3 nodes × 10 min × 10 shutdowns × 3 seeds
- **Hardening budget:** 5 nodes × 60 min × 60 shutdowns × 10 seeds
- **Release budget:** not provided — no release gate yet. Revisit when: the first release candidate is cut.
- **Target test file:** `tests/dst/new_leader_serves_writes.rs`
- **Skeleton language:** rust
- **Skeleton:**
  ```rust
  #[test]
  fn new_leader_serves_writes_within_5s() {}
  ```

§7.M: not applicable (no gated claim category falsified)

§7.M.S: not applicable (no boundary or fairness claim falsified)

## 7b. Coverage adequacy argument

| Claim | Threat model (how it could fail) | Scenarios that exercise the threats | Why these are sufficient |
|---|---|---|---|
| C1 | hand-off before commit (H1) | none yet | H1 gets its own scenario next (§9). |
| C2 | slow hand-off (H2) | S1 | every cycle is timed against the bound. |
| C3 | tenant check skipped on redirect (H3) | none yet | H3 gets its own scenario next (§9). |

## 7c. Residual uncertainty

The plan exercises every claim under at least one realistic threat; the only residual uncertainty is bug density we cannot quantify.

## 7d. Confidence statement

We have not observed a slow hand-off under the tested shutdowns on three replicas.

| Claim | Aspect | Confidence | Reason |
|---|---|---|---|
| C3 | redirected requests | low | no scenario targets it yet |

## 8. What this plan does NOT cover

- Crashes without a hand-off (a separate plan covers them).

## 9. Open questions / followups

- H1 and H3 get their own scenarios next. — storage team, by 2026-12-15
";

fn setup() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("testing-plans")).unwrap();
    std::fs::write(t.path().join("testing-plans/toy-kv-failover.md"), PLAN).unwrap();
    t
}

const P: &str = "testing-plans/toy-kv-failover.md";

fn add(dir: &Path, claims: &str, name: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "scenario",
        "add",
        "--plan",
        P,
        "--falsifies",
        claims,
        "--name",
        name,
    ];
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

fn ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(dir: &Path) -> (String, Plan) {
    let src = std::fs::read_to_string(dir.join(P)).unwrap();
    let p = plan::parse(&src);
    (src, p)
}

const SCENARIO_LABELS: [&str; 13] = [
    "falsifies if it fails",
    "closes",
    "technique",
    "workload",
    "faults",
    "oracle",
    "observability required",
    "smoke budget",
    "hardening budget",
    "release budget",
    "target test file",
    "skeleton language",
    "skeleton",
];

const MODEL_LABELS: [&str; 6] = [
    "model under test",
    "operation history",
    "checker",
    "nemesis + landing evidence",
    "ambiguous outcomes",
    "reduction plan",
];

const SURFACE_LABELS: [&str; 8] = [
    "surfaces",
    "operations",
    "adversarial inputs",
    "positive controls",
    "negative controls",
    "delayed / async paths",
    "observability paths",
    "scenario arms",
];

fn labels(fields: &[plan::Field]) -> Vec<&str> {
    fields.iter().map(|f| &*f.label).collect()
}

fn assert_stub_shape(s: &Scenario, id: &str, name: &str, claims: &[&str]) {
    assert_eq!(s.id.key(), id);
    assert_eq!(s.name.text, name);
    assert_eq!(labels(&s.fields), SCENARIO_LABELS);
    assert_eq!(
        s.falsifies().iter().map(|r| r.key()).collect::<Vec<_>>(),
        claims
    );
}

#[test]
fn gated_claim_gets_the_model_block_and_the_surface_line() {
    let t = setup();
    let out = add(t.path(), "C1", "acked_writes_survive_handoff", &[]);
    ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "S2");
    let (src, p) = read(t.path());
    assert_eq!(p.scenarios.len(), 2);
    let s2 = &p.scenarios[1];
    assert_stub_shape(s2, "S2", "acked_writes_survive_handoff", &["C1"]);
    let m = s2
        .model
        .as_ref()
        .expect("§7.M block for a durability claim");
    assert_eq!(labels(&m.fields), MODEL_LABELS);
    assert!(s2.model_na.is_none());
    assert!(s2.surface.is_none());
    assert!(s2.surface_na.is_some());
    // the model and checker hints come from the category
    let model = &m.field("model under test").unwrap().value;
    assert!(
        model.contains("log is the usual model for a durability claim like C1"),
        "{model}"
    );
    let checker = &m.field("checker").unwrap().value;
    assert!(
        checker.contains("no-lost-ack, replay-equivalence fit log"),
        "{checker}"
    );
    // Closes: hints at the hypothesis that cites C1
    assert!(s2
        .field("closes")
        .unwrap()
        .value
        .contains("H1 cites these claims"));
    // placed at the end of §7, before §7b; the rest of the plan is unchanged
    let s2_at = src.find("### Scenario S2:").unwrap();
    assert!(src.find("## 7. Scenarios").unwrap() < s2_at);
    assert!(s2_at < src.find("## 7b. Coverage").unwrap());
    assert!(src.starts_with(&PLAN[..PLAN.find("## 7b.").unwrap()].trim_end().to_string()));
    assert!(src.ends_with(&PLAN[PLAN.find("## 7b.").unwrap()..]));
    assert!(src.contains("\n\n### Scenario S2:") && src.contains("\n\n## 7b."));
    // only the new scenario carries placeholders
    for ph in &p.placeholders {
        assert!(ph.span.start > s2_at && ph.span.start < s2.end, "{ph:?}");
    }
}

#[test]
fn non_gated_claim_gets_both_not_applicable_lines() {
    let t = setup();
    ok(&add(t.path(), "C2", "handoff_within_5s_under_load", &[]));
    let (_, p) = read(t.path());
    let s2 = &p.scenarios[1];
    assert_stub_shape(s2, "S2", "handoff_within_5s_under_load", &["C2"]);
    assert!(s2.model.is_none() && s2.surface.is_none());
    assert!(s2.model_na.is_some() && s2.surface_na.is_some());
    let lits: Vec<_> = p
        .literals
        .iter()
        .filter(|l| l.scenario == Some(1))
        .map(|l| (l.kind, l.malformed))
        .collect();
    assert_eq!(lits, [("model-na", false), ("surface-na", false)]);
}

#[test]
fn boundary_claim_gets_both_blocks() {
    let t = setup();
    ok(&add(
        t.path(),
        "C3",
        "tenant_a_never_reads_b",
        &["--language", "python"],
    ));
    let (_, p) = read(t.path());
    let s2 = &p.scenarios[1];
    assert_stub_shape(s2, "S2", "tenant_a_never_reads_b", &["C3"]);
    assert_eq!(labels(&s2.surface.as_ref().unwrap().fields), SURFACE_LABELS);
    // §7.M is owed once the scenario has arms, so the block is there
    assert_eq!(labels(&s2.model.as_ref().unwrap().fields), MODEL_LABELS);
    assert!(s2.model_na.is_none() && s2.surface_na.is_none());
    assert_eq!(s2.field("skeleton language").unwrap().value, "python");
    assert_eq!(s2.field("skeleton").unwrap().code()[0].lang, "python");
}

#[test]
fn mixed_claims_take_the_strictest_form() {
    let t = setup();
    ok(&add(t.path(), "C2, C1", "handoff_is_fast_and_safe", &[]));
    let (_, p) = read(t.path());
    let s2 = &p.scenarios[1];
    assert_stub_shape(s2, "S2", "handoff_is_fast_and_safe", &["C2", "C1"]);
    assert!(s2.model.is_some() && s2.surface_na.is_some());
}

#[test]
fn numbering_is_max_plus_one_and_languages_render() {
    let t = setup();
    // a plan whose highest scenario is S5
    let src = PLAN.replace("### Scenario S1:", "### Scenario S5:");
    std::fs::write(t.path().join(P), src).unwrap();
    for (i, lang) in ["rust", "go", "python", "typescript", "shell"]
        .iter()
        .enumerate()
    {
        let name = format!("claim_{lang}_holds");
        ok(&add(t.path(), "C2", &name, &["--language", lang]));
        let (_, p) = read(t.path());
        let s = p.scenarios.last().unwrap();
        assert_eq!(s.id.key(), format!("S{}", 6 + i));
        assert_eq!(s.field("skeleton language").unwrap().value, *lang);
        let code = s.field("skeleton").unwrap().code();
        assert_eq!(code.len(), 1);
        assert_eq!(code[0].lang, *lang);
    }
    let (src, p) = read(t.path());
    assert_eq!(p.scenarios.len(), 6);
    assert!(src.contains("func TestClaimGoHolds(t *testing.T)"));
    assert!(src.contains("def test_claim_python_holds():"));
    assert!(src.contains("# plan: testing-plans/toy-kv-failover.md"));
}

#[test]
fn without_7b_the_scenario_goes_to_the_end_of_7() {
    let t = setup();
    let cut = PLAN.find("## 7b.").unwrap();
    std::fs::write(t.path().join(P), &PLAN[..cut]).unwrap();
    ok(&add(t.path(), "C2", "at_the_end", &[]));
    let (src, p) = read(t.path());
    assert_eq!(p.scenarios.len(), 2);
    assert!(src
        .trim_end()
        .ends_with("§7.M.S: not applicable (no boundary or fairness claim falsified)"));
    assert!(src.ends_with('\n'));
}

fn assert_refused(dir: &Path, out: &Output, needles: &[&str]) {
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for n in needles {
        assert!(err.contains(n), "missing `{n}` in: {err}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.join(P)).unwrap(),
        PLAN,
        "plan changed"
    );
}

#[test]
fn unknown_claims_bad_names_and_languages_exit_2_and_leave_the_plan_alone() {
    let t = setup();
    let d = t.path();
    let out = add(d, "C1,C7,C9", "x_holds", &[]);
    assert_refused(
        d,
        &out,
        &[
            "C7, C9 are not defined in §1b",
            "the plan's claims are C1, C2, C3",
        ],
    );
    let out = add(d, "H1", "x_holds", &[]);
    assert_refused(d, &out, &["`H1` is not a claim ID"]);
    let out = add(d, "C1", "Bad-Name", &[]);
    assert_refused(
        d,
        &out,
        &["--name `Bad-Name`", "lowercase letters, digits and `_`"],
    );
    let out = add(d, "C1", "ok_name", &["--language", "cobol"]);
    assert_refused(
        d,
        &out,
        &[
            "unknown --language `cobol`",
            "rust, go, python, typescript, shell",
        ],
    );
    let out = run_in(
        d,
        &[
            "scenario",
            "add",
            "--plan",
            "nope.md",
            "--falsifies",
            "C1",
            "--name",
            "a",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.md"));
    // a plan without §7
    let no7 = PLAN.replace("## 7. Scenarios", "## Appendix");
    std::fs::write(d.join(P), &no7).unwrap();
    let out = add(d, "C1", "x_holds", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no §7"));
    assert_eq!(std::fs::read_to_string(d.join(P)).unwrap(), no7);
}

#[test]
fn crlf_plans_stay_crlf() {
    let t = setup();
    std::fs::write(t.path().join(P), PLAN.replace('\n', "\r\n")).unwrap();
    ok(&add(t.path(), "C1", "crlf_ok", &[]));
    let src = std::fs::read_to_string(t.path().join(P)).unwrap();
    assert!(
        !src.replace("\r\n", "").contains('\n'),
        "a bare LF slipped in"
    );
    assert_eq!(plan::parse(&src).scenarios.len(), 2);
}

/// A value a person might write for each label of a stub that falsifies `claim`.
fn fill_value(label: &str, name: &str, claim: &str) -> Option<String> {
    let boundary = claim == "C3";
    Some(
        match label {
            "closes" => match claim {
                "C1" => "H1",
                "C2" => "H2",
                _ => "H3",
            },
            "technique" => "chaos-and-fault-injection",
            "workload" => "8 clients, 500 writes/s in total, unique keys, 10 min",
            "faults" => "graceful leader shutdown every 60 s, restarted after 20 s",
            "oracle" if boundary => "every request as tenant A outside the prefix a/ is refused and leaves the foreign keys' digests unchanged, on every surface and after each hand-off; allowed requests on a/ succeed",
            "oracle" => "every write acknowledged before a shutdown is in the final read on the new leader; checked with dstplan history check --model log --checker no-lost-ack",
            "observability required" => "per-operation JSONL history, replica logs, leader term metric",
            "smoke budget" => "3 nodes × 10 min × 10 shutdowns × 3 seeds",
            "hardening budget" => "5 nodes × 60 min × 60 shutdowns × 10 seeds",
            "release budget" => "not provided — no release gate yet. Revisit when: the first release candidate is cut.",
            "target test file" => return Some(format!("`tests/dst/{name}.rs`")),
            "model under test" if boundary => "other(tenant-decision-table) — one cell per tenant, surface and key",
            "model under test" => "log — one append-only log per key",
            "operation history" => "default schema, recorded in-process by the clients",
            "checker" if boundary => "property-assertion",
            "checker" => "no-lost-ack",
            "nemesis + landing evidence" => "process-stop (SIGTERM to the leader); the leader term metric rises and the old leader logs `handed off leadership` within 2 s",
            "ambiguous outcomes" => "a write that times out is recorded as indeterminate; retries get a fresh operation id",
            "reduction plan" => "replay the seed, halve clients and shutdowns while it reproduces, then blame SUT, harness, checker or environment from the history",
            "surfaces" => "get, put, scan",
            "operations" => "read, write, delete",
            "adversarial inputs" => "keys b/1, a/../b/1, A/1",
            "positive controls" => "tenant A reads a/own",
            "negative controls" => "a canary tenant with a broken rule must be flagged",
            "delayed / async paths" => "redirect to the new leader after a hand-off",
            "observability paths" => "audit log, request metrics",
            "scenario arms" => "S2/api, S2/redirect",
            _ => return None,
        }
        .to_string(),
    )
}

/// Fill every placeholder of the stub: bullet values by label, skeleton comments by their
/// text; placeholder-only note paragraphs are dropped.
fn fill(src: &str, name: &str, claim: &str) -> String {
    let mut out = String::new();
    for line in src.split_inclusive('\n') {
        if !line.contains("{{TODO") {
            out.push_str(line);
            continue;
        }
        let t = line.trim_start();
        if t.starts_with("{{TODO") && t.trim_end().ends_with("}}") {
            continue; // a note paragraph
        }
        if let Some(rest) = t.strip_prefix("- **") {
            let label = rest.split(":**").next().unwrap().to_lowercase();
            if let Some(v) = fill_value(&label, name, claim) {
                let indent = &line[..line.len() - t.len()];
                out.push_str(&format!("{indent}- **{}:** {v}\n", &rest[..label.len()]));
                continue;
            }
        }
        // code comments: keep the words, drop the marker
        let mut l = line.to_string();
        while let Some(a) = l.find("{{TODO: ") {
            let b = a + l[a..].find("}}").unwrap();
            l = format!("{}{}{}", &l[..a], &l[a + 8..b], &l[b + 2..]);
        }
        out.push_str(&l);
    }
    out
}

#[test]
fn a_filled_stub_parses_into_a_complete_scenario() {
    let t = setup();
    let name = "acked_writes_survive_handoff";
    ok(&add(t.path(), "C1", name, &[]));
    let (src, _) = read(t.path());
    let filled = fill(&src, name, "C1");
    let p = plan::parse(&filled);
    assert!(p.placeholders.is_empty(), "{:#?}", p.placeholders);
    let s2 = p.scenario("S2").expect("S2");
    assert_stub_shape(s2, "S2", name, &["C1"]);
    for f in &s2.fields {
        assert!(!f.is_empty(), "{} is empty", f.label);
    }
    assert_eq!(s2.closes()[0].key(), "H1");
    assert!(p
        .hypotheses
        .iter()
        .any(|h| h.id.as_ref().unwrap().key() == "H1"));
    assert!(p
        .techniques
        .iter()
        .any(|t| t.name.text == s2.field("technique").unwrap().value));
    let m = s2.model.as_ref().unwrap();
    assert_eq!(labels(&m.fields), MODEL_LABELS);
    for f in &m.fields {
        assert!(!f.value.trim().is_empty(), "{} is empty", f.label);
    }
    let model = vocab::recognise(
        vocab::MODELS,
        &vocab::normalise(&m.field("model under test").unwrap().value),
    )
    .expect("a known model")
    .id;
    let checker = vocab::lookup(vocab::CHECKERS, &m.field("checker").unwrap().value)
        .expect("a known checker");
    let cat = p.claim_category("C1").unwrap();
    assert!(vocab::is_model_gated(cat));
    assert!(vocab::fitting_checkers(model, cat)
        .unwrap()
        .contains(&checker));
    assert!(s2.surface_na.is_some() && s2.surface.is_none());
    // the skeleton still parses as one rust block and keeps its provenance header
    let code = s2.field("skeleton").unwrap().code();
    assert_eq!(code.len(), 1);
    let body = &filled[code[0].span.start..code[0].span.end];
    assert!(body.contains("//! dstplan scenario S2: acked_writes_survive_handoff"));
    assert!(body.contains("//! falsifies: C1"));
    assert!(body.contains(&format!("fn {name}()")));
}

#[test]
fn a_filled_boundary_stub_declares_its_arms() {
    let t = setup();
    ok(&add(t.path(), "C3", "tenant_a_never_reads_b", &[]));
    let (src, _) = read(t.path());
    let p = plan::parse(&fill(&src, "tenant_a_never_reads_b", "C3"));
    assert!(p.placeholders.is_empty(), "{:#?}", p.placeholders);
    let s2 = p.scenario("S2").unwrap();
    let arms: Vec<_> = s2.declared_arms().iter().map(|a| a.key()).collect();
    assert_eq!(arms, ["S2/api", "S2/redirect"]);
    assert_eq!(s2.model.as_ref().unwrap().fields.len(), 6);
    assert_eq!(s2.surface.as_ref().unwrap().fields.len(), 8);
}

/// The binary that runs `lint`: this crate's, or `DSTPLAN_LINT_BIN` when set (to check the
/// scaffold against a lint built from another branch before the merge).
fn lint_bin(dir: &Path, args: &[&str]) -> Output {
    match std::env::var_os("DSTPLAN_LINT_BIN") {
        Some(bin) => Command::new(bin)
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run the lint binary"),
        None => run_in(dir, args),
    }
}

fn lint_errors(dir: &Path) -> Vec<String> {
    let out = lint_bin(dir, &["lint", "--format", "json", P]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("lint json: {}", String::from_utf8_lossy(&out.stdout)));
    let diags = v["diagnostics"].as_array().expect("diagnostics");
    for d in diags.iter().filter(|d| d["severity"] == "warning") {
        eprintln!("warning {} {}", d["code"], d["message"]);
    }
    diags
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| format!("{} {}", d["code"].as_str().unwrap_or(""), d["message"]))
        .collect()
}

#[test]
fn lint_added_stubs_have_only_placeholder_errors_and_none_once_filled() {
    for (claim, name) in [
        ("C1", "acked_writes_survive_handoff"),
        ("C2", "handoff_within_5s"),
        ("C3", "tenant_a_never_reads_b"),
    ] {
        let t = setup();
        ok(&add(t.path(), claim, name, &[]));
        let errors = lint_errors(t.path());
        assert!(!errors.is_empty(), "{claim}: the stub has placeholders");
        let other: Vec<_> = errors
            .iter()
            .filter(|e| !e.starts_with("DST070 "))
            .collect();
        assert!(other.is_empty(), "{claim}: {other:#?}");
        let (src, _) = read(t.path());
        // as a person would, also point the claim's §7b row at the new scenario
        let filled = fill(&src, name, claim);
        let filled = match claim {
            "C1" => filled.replace(
                "| C1 | hand-off before commit (H1) | none yet | H1 gets its own scenario next (§9). |",
                "| C1 | hand-off before commit (H1) | S2 | S2 checks every acknowledged write after each hand-off. |",
            ),
            "C3" => filled.replace(
                "| C3 | tenant check skipped on redirect (H3) | none yet | H3 gets its own scenario next (§9). |",
                "| C3 | tenant check skipped on redirect (H3) | S2 | S2 tries every surface before and after each hand-off. |",
            ),
            _ => filled,
        };
        std::fs::write(t.path().join(P), filled).unwrap();
        let errors = lint_errors(t.path());
        assert!(errors.is_empty(), "{claim} filled: {errors:#?}");
    }
}

#[test]
fn lint_the_fixture_plan_itself_is_clean() {
    // if this fails, fix PLAN above before reading the other lint test's output
    let t = setup();
    let errors = lint_errors(t.path());
    assert!(errors.is_empty(), "{errors:#?}");
}
