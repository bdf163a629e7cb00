//! One mutant per rule: a small edit to a clean fixture plan must produce that rule's
//! diagnostic, and only that rule's, at the line of the edit (`anchor`). The registry test at
//! the end makes sure no rule is left without a mutant.

mod common;
use common::*;

use std::collections::BTreeSet;

use dstplan::lint::{lint, registry, Config};

struct Mutant {
    code: &'static str,
    base: &'static str,
    find: &'static str,
    replace: &'static str,
    /// Text whose line the diagnostic must point at (first occurrence in the mutated plan).
    anchor: &'static str,
    /// Codes a mutant cannot avoid producing alongside (a plan without scenarios also leaves
    /// its claims unfalsified).
    also: &'static [&'static str],
    /// A second edit, for mutants that need two.
    second: Option<(&'static str, &'static str)>,
}

const fn m(
    code: &'static str,
    base: &'static str,
    find: &'static str,
    replace: &'static str,
    anchor: &'static str,
) -> Mutant {
    Mutant {
        code,
        base,
        find,
        replace,
        anchor,
        also: &[],
        second: None,
    }
}

const fn ma(
    code: &'static str,
    base: &'static str,
    find: &'static str,
    replace: &'static str,
    anchor: &'static str,
    also: &'static [&'static str],
) -> Mutant {
    Mutant {
        code,
        base,
        find,
        replace,
        anchor,
        also,
        second: None,
    }
}

const fn m2(
    code: &'static str,
    base: &'static str,
    edits: [(&'static str, &'static str); 2],
    anchor: &'static str,
    also: &'static [&'static str],
) -> Mutant {
    Mutant {
        code,
        base,
        find: edits[0].0,
        replace: edits[0].1,
        anchor,
        also,
        second: Some(edits[1]),
    }
}

const MIN: &str = "minimal";
const CS: &str = "change-scoped";
const PW: &str = "project-wide";

const MUTANTS: &[Mutant] = &[
    m("DST001", MIN, "# Test Plan: minimal", "# Minimal plan", "# Minimal plan"),
    m("DST002", MIN, "**SUT:** pingd\n", "", "# Test Plan"),
    m("DST003", MIN, "**Plan mode:** change-scoped\n", "", "# Test Plan"),
    m("DST004", MIN, "**Date:** 2026-11-22", "**Date:** 22/11/2026", "**Date:**"),
    m("DST005", MIN, "# Test Plan: minimal", "# Test Plan: other-name", "# Test Plan"),
    m("DST010", MIN, "## 8. What this plan does NOT cover\n\n- Everything but restarts.\n\n", "", "# Test Plan"),
    m("DST011", MIN, "## 8. What this plan does NOT cover\n\n- Everything but restarts.\n\n## 9. Open questions / followups\n\n- None. — fixture owner, by 2026-12-31\n", "## 9. Open questions / followups\n\n- None. — fixture owner, by 2026-12-31\n\n## 8. What this plan does NOT cover\n\n- Everything but restarts.\n", "## 8."),
    m("DST012", MIN, "## 0. Architectural summary", "## 0. Overview", "## 0."),
    m("DST013", MIN, "- None. — fixture owner, by 2026-12-31\n", "- None. — fixture owner, by 2026-12-31\n\n## 9. More questions\n\n- x\n", "## 9. More"),
    m("DST014", MIN, "## 8. What this plan does NOT cover\n\n- Everything but restarts.\n", "## 8. What this plan does NOT cover\n", "## 8."),
    m("DST015", MIN, "Files touched:\n- `main.go` — modified\n", "The change edits start-up.\n", "## 1. Scope"),
    m("DST016", MIN, "| ID | Claim | Category | Source | Inferred? |\n|---|---|---|---|---|\n| C1 | A restarted pingd answers within 2 s. | liveness | README | no |", "| ID | Claim | Category | Inferred? |\n|---|---|---|---|\n| C1 | A restarted pingd answers within 2 s. | liveness | no |", "| ID | Claim"),
    m("DST017", MIN, "| Requirement | Version floor | Used by scenarios | Install hint |\n|---|---|---|---|\n| pingd | 1.0 | S1 | `make` |", "pingd 1.0 is needed.", "## 6b."),
    ma("DST018", MIN, "### Scenario S1: restarted_pingd_answers_within_two_seconds", "### Notes", "## 7. Scenarios", &["DST020", "DST025", "DST027", "DST063"]),
    m("DST020", MIN, "- **Falsifies if it FAILs:** C1", "- **Falsifies if it FAILs:** C1, C9", "- **Falsifies"),
    m("DST021", MIN, "   - Could falsify: C1\n", "   - Could falsify: C1\n\nH1. **Again** — the same id.\n   - Could falsify: C1\n", "H1. **Again**"),
    m("DST022", MIN, "| C1 | A restarted pingd answers within 2 s. | liveness | README | no |", "| C1 | A restarted pingd answers within 2 s. | liveness | README | no |\n| claim-2 | Extra. | liveness | README | no |", "| claim-2"),
    m("DST023", MIN, "- **Falsifies if it FAILs:** C1", "- **Falsifies if it FAILs:** C01", "- **Falsifies"),
    m("DST024", MIN, "   - Could falsify: C1\n", "", "H1. **Slow start**"),
    m("DST025", MIN, "   - Could falsify: C1\n", "   - Could falsify: C1\n\nH2. **Port clash** — another process holds the port.\n   - Could falsify: C1\n", "H2. **Port clash**"),
    m("DST026", MIN, "| C1 | slow start (H1) | S1 | every restart is timed |\n", "", "| C1 | A restarted"),
    ma("DST027", MIN, "| C1 | A restarted pingd answers within 2 s. | liveness | README | no |", "| C1 | A restarted pingd answers within 2 s. | liveness | README | no |\n| C2 | Pings answer within 10 ms. | performance-SLO | README | no |", "| C2 | Pings", &["DST026"]),
    m("DST028", MIN, "   - Could falsify: C1\n", "   - Could falsify: C1\n   - Category: liveness\n", "## 4."),
    ma("DST029", PW, "   - Category: correctness", "   - Category: networking", "   - Category: networking", &["DST028"]),
    ma("DST030", MIN, "- **Falsifies if it FAILs:** C1", "- **Falsifies if it FAILs:** the restart claim", "- **Falsifies", &["DST027"]),
    m("DST031", MIN, "- **Observability required:** probe log\n", "", "### Scenario S1"),
    m("DST032", MIN, "- **Smoke budget:** 1 probe × 5 min × 10 kills × 3 seeds\n- **Hardening budget:** 4 probes × 1 h × 100 kills × 5 seeds\n- **Release budget:** 4 probes × 4 h × 400 kills × 10 seeds\n", "- **Exit criteria:** 5 min without a slow restart\n", "- **Exit criteria"),
    m("DST033", MIN, "- **Oracle:** the first successful probe after each restart arrives within 2 s of the restart", "- **Oracle:** logs look fine", "- **Oracle"),
    m("DST038", MIN, "- **Oracle:** the first successful probe after each restart arrives within 2 s of the restart", "- **Oracle:** after a restart the service comes back and the clients log no errors", "- **Oracle"),
    m("DST034", MIN, "- **Technique:** chaos-and-fault-injection\n- **Workload:** one probe every 100 ms\n", "- **Workload:** one probe every 100 ms\n- **Technique:** chaos-and-fault-injection\n", "- **Technique"),
    m("DST035", MIN, "- **Skeleton language:** shell", "- **Skeleton language:** bash", "- **Skeleton language"),
    m("DST036", MIN, "  ```shell\n  echo restart", "  ```python\n  echo restart", "```python"),
    m("DST037", MIN, "- **Technique:** chaos-and-fault-injection", "- **Technique:** fuzzing", "- **Technique"),
    m("DST040", CS, "#### §7.M — Model / history / checker discipline\n\n- **Model under test:** queue — one FIFO per partition.\n- **Operation history:** default schema; recorded in-process by producers and consumers.\n- **Checker:** prefix-order\n- **Nemesis + landing evidence:** process-kill (SIGKILL to one consumer) — the group's\n  generation id increases and the killed consumer exits with code 137.\n- **Ambiguous outcomes:** a produce without a reply is indeterminate.\n- **Reduction plan:** replay the seed with fewer partitions and consumers.\n\n", "", "### Scenario S1"),
    m("DST041", CS, "- **Ambiguous outcomes:** a produce without a reply is indeterminate.\n", "", "#### §7.M"),
    m("DST042", CS, "- **Model under test:** queue — one FIFO per partition.", "- **Model under test:** stream — one FIFO per partition.", "- **Model under test"),
    m("DST043", CS, "- **Checker:** prefix-order", "- **Checker:** order-sniffer", "- **Checker"),
    m("DST044", CS, "- **Checker:** prefix-order", "- **Checker:** linearizability", "- **Checker"),
    m("DST045", CS, "- **Checker:** prefix-order", "- **Checker:** none", "- **Checker"),
    m("DST046", PW, "- **Checker:** exactly-once keyed by the business idempotency key `input.idem`", "- **Checker:** exactly-once keyed by op id", "- **Checker:** exactly-once"),
    m("DST047", CS, "process-kill (SIGKILL to one consumer) — the group's\n  generation id increases and the killed consumer exits with code 137.", "process-kill — the injector reported success.", "- **Nemesis"),
    m("DST048", CS, "process-kill (SIGKILL to one consumer) — the group's\n  generation id increases and the killed consumer exits with code 137.", "process-kill — the consumer went away.", "- **Nemesis"),
    m("DST049", CS, "process-kill (SIGKILL to one consumer) — the group's", "consumer-chaos (SIGKILL to one consumer) — the group's", "- **Nemesis"),
    m2("DST050", MIN, [("within 2 s. | liveness |", "within 2 s. | boundary |"), ("§7.M.S: not applicable (no boundary or fairness claim falsified)\n", "")], "### Scenario S1", &["DST065"]),
    m("DST051", PW, "- **Operations:** credit, debit, balance, batch, subscribe\n", "", "#### §7.M.S"),
    m("DST052", PW, "- **Surfaces:** single requests, batch requests, the streaming balance feed, the leader elected\n  after a failover", "- **Surfaces:** single requests, batch requests", "- **Surfaces"),
    m("DST053", PW, "##### Arm S3/failover", "##### Arm S3/replay", "##### Arm S3/replay"),
    m("DST054", PW, "| C4 | A tenant's credentials never read or move another tenant's balance. | boundary |", "| C4 | A tenant's credentials never read or move another tenant's balance. | fairness |", "- **Oracle:** every cell targeting"),
    m("DST055", PW, "- **Oracle:** the decision table after the failover equals the one before, cell for cell.\n", "", "##### Arm S3/failover"),
    m("DST060", MIN, "The docs and code appear aligned on every behavior the plan exercised.", "Nothing found.", "## 1c."),
    m("DST061", MIN, "- **Release budget:** 4 probes × 4 h × 400 kills × 10 seeds", "- **Release budget:** TBD", "- **Release budget"),
    // a digit in a pointer is not a gate
    m("DST061", MIN, "- **Release budget:** 4 probes × 4 h × 400 kills × 10 seeds", "- **Release budget:** see §9", "- **Release budget"),
    ma("DST062", MIN, "§7.M: not applicable (no gated claim category falsified)", "§7.M: not applicable (nothing gated)", "§7.M: not applicable", &["DST064"]),
    m("DST063", CS, "#### §7.M — Model / history / checker discipline\n\n- **Model under test:** queue — one FIFO per partition.\n- **Operation history:** default schema; recorded in-process by producers and consumers.\n- **Checker:** prefix-order\n- **Nemesis + landing evidence:** process-kill (SIGKILL to one consumer) — the group's\n  generation id increases and the killed consumer exits with code 137.\n- **Ambiguous outcomes:** a produce without a reply is indeterminate.\n- **Reduction plan:** replay the seed with fewer partitions and consumers.\n", "§7.M: not applicable (no gated claim category falsified)\n", "§7.M: not applicable"),
    m("DST064", MIN, "§7.M.S: not applicable (no boundary or fairness claim falsified)\n", "", "### Scenario S1"),
    // the §7.M line is required on a non-gated scenario, like the §7.M.S one
    m("DST064", MIN, "§7.M: not applicable (no gated claim category falsified)\n", "", "### Scenario S1"),
    m("DST065", PW, "| Claim | Aspect | Confidence | Reason |\n|---|---|---|---|\n| C4 | single requests | high | every request kind is in the matrix with controls |\n| C4 | streaming feed | low | the feed is sampled once per seed only |\n", "", "## 7d."),
    m("DST066", PW, "| C4 | streaming feed | low |", "| C4 | streaming feed | medium |", "| C4 | streaming feed"),
    m("DST067", PW, "| C1 | H6 | none | not covered | no test | S1 |", "| C1 | H6 | none | missing | no test | S1 |", "| C1 | H6"),
    m("DST068", MIN, "- **Reference:** `references/chaos-and-fault-injection.md`", "- **Reference:** `references/chaos.md`", "- **Reference"),
    m("DST069", MIN, "- **Hypotheses it addresses:** H1\n", "", "### chaos-and-fault-injection"),
    m("DST070", MIN, "**SUT:** pingd", "**SUT:** {{TODO: name the system}}", "**SUT:**"),
    m("DST071", MIN, "within 2 s. | liveness |", "within 2 s. | tenancy |", "| C1 | A restarted"),
    m("DST072", MIN, "within 2 s. | liveness |", "within 2 s. | reliability |", "| C1 | A restarted"),
    m("DST073", MIN, "We have not observed a slow restart under the kills of S1.", "After this plan, a slow restart cannot happen.", "After this plan"),
    m("DST074", MIN, "A restarted pingd answers within 2 s.", "A restarted pingd answers within 2 s and its health records are never lost.", "| C1 | A restarted"),
    m("DST075", MIN, "## 8. What this plan does NOT cover", "<!-- dstplan-disable DST014 -->\n\n## 8. What this plan does NOT cover", "<!-- dstplan-disable"),
    m("DST076", MIN, "## 8. What this plan does NOT cover", "<!-- dstplan-disable DST999: a fixture -->\n\n## 8. What this plan does NOT cover", "<!-- dstplan-disable"),
    m("DST080", CS, "- **Closes:** H2", "- **Closes:** H2, H1", "- **Closes:** H2, H1"),
    m("DST081", PW, "| C1 | H5 | none | not covered | no test | S1 |\n", "", "   - Could falsify: C2, C1"),
    m("DST082", PW, "| C3 | H3 | `e2e/failover.sh` (no load) | partial | no scale variant | S2 |", "| C3 | H3 | `e2e/failover.sh` (no load) | partial | no scale variant | S1 |", "| C3 | H3"),
    m("DST083", PW, "| C3 | heartbeats starved by appends (H3) | S2 |", "| C3 | heartbeats starved by appends (H3) | S2, S1 |", "| C3 | heartbeats"),
    m("DST084", CS, "- **Faults:** every 45 s, SIGKILL one consumer; its partitions are rebalanced.", "- **Faults:** every 45 s, add 200 ms of latency to one consumer's network for 10 s.", "- **Nemesis"),
    m2("DST085", CS, [("- **Faults:** every 45 s, SIGKILL one consumer; its partitions are rebalanced.", "- **Faults:** every 45 s, SIGKILL one consumer or cut it off with iptables for 10 s."), ("process-kill (SIGKILL to one consumer) — the group's", "process-kill and partition-full (one consumer) — the group's")], "- **Nemesis", &[]),
];

fn clean_plan(name: &str) -> String {
    let p = fixture("plans/clean").join(format!("{name}.md"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("anchor `{needle}` not in the mutant"));
    text[..at].matches('\n').count() + 1
}

#[test]
fn clean_fixtures_lint_clean() {
    for name in [MIN, CS, PW] {
        let d = lint(&clean_plan(name), Some(name), &Config::default());
        assert!(d.is_empty(), "{name}: {d:#?}");
    }
}

#[test]
fn every_mutant_is_caught_at_its_line_and_only_by_its_rule() {
    let mut failures = Vec::new();
    for mu in MUTANTS {
        let base = clean_plan(mu.base);
        assert!(
            base.contains(mu.find),
            "{}: `find` not in {}",
            mu.code,
            mu.base
        );
        let mut text = base.replacen(mu.find, mu.replace, 1);
        if let Some((f, r)) = mu.second {
            assert!(
                text.contains(f),
                "{}: second `find` not in {}",
                mu.code,
                mu.base
            );
            text = text.replacen(f, r, 1);
        }
        let diags = lint(&text, Some(mu.base), &Config::default());
        let want = line_of(&text, mu.anchor);
        let own: Vec<_> = diags.iter().filter(|d| d.code == mu.code).collect();
        let strays: Vec<_> = diags
            .iter()
            .filter(|d| d.code != mu.code && !mu.also.contains(&d.code))
            .collect();
        if own.is_empty() || !own.iter().any(|d| d.line == want) || !strays.is_empty() {
            failures.push(format!(
                "{}: wanted it at line {want}; got {:?}",
                mu.code,
                diags
                    .iter()
                    .map(|d| format!("{}@{}: {}", d.code, d.line, d.message))
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_mutant_and_a_complete_doc() {
    let with_mutant: BTreeSet<&str> = MUTANTS.iter().map(|m| m.code).collect();
    let mut names = BTreeSet::new();
    let mut last = "";
    for r in registry() {
        assert!(
            with_mutant.contains(r.code),
            "{} ({}) has no mutant",
            r.code,
            r.name
        );
        assert!(r.code > last, "codes sorted and unique");
        last = r.code;
        assert!(names.insert(r.name), "duplicate name {}", r.name);
        assert!(
            r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{} is not kebab-case",
            r.name
        );
        for heading in ["## What it does", "## Why is this bad?", "## Example"] {
            assert!(r.doc.contains(heading), "{} doc lacks `{heading}`", r.code);
        }
        assert!(
            r.doc.contains("Use instead"),
            "{} doc lacks `Use instead`",
            r.code
        );
        assert!(
            !r.summary.ends_with('.'),
            "{} summary ends with a period",
            r.code
        );
    }
}

#[test]
fn a_directive_with_a_reason_silences_its_rule_on_the_next_element() {
    let base = clean_plan(MIN);
    let text = base.replacen(
        "## 8. What this plan does NOT cover\n\n- Everything but restarts.\n",
        "<!-- dstplan-disable DST014: a fixture has nothing to exclude -->\n## 8. What this plan does NOT cover\n",
        1,
    );
    let d = lint(&text, Some(MIN), &Config::default());
    assert!(d.is_empty(), "{d:#?}");
}
