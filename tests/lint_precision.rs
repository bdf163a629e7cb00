//! Precision (issue 13): edits a careful author makes to a clean plan, in their own words and
//! punctuation, that must not produce a diagnostic; each next to the edit that must still be
//! caught. Plus the real-plan corpus under `tests/fixtures/plans/real/`, linted through the
//! binary: no error and no warning (a warning the plan argues for is silenced there with a
//! `dstplan-disable` directive that gives the argument).

mod common;
use common::*;

use dstplan::lint::{lint, Config};

fn clean(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("plans/clean/{name}.md"))).unwrap()
}

/// Lint `name` with `find` replaced by `replace`: the codes found.
fn codes_after(name: &str, find: &str, replace: &str) -> Vec<String> {
    let base = clean(name);
    assert!(base.contains(find), "`{find}` not in {name}");
    let text = base.replacen(find, replace, 1);
    lint(&text, Some(name), &Config::default())
        .into_iter()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect()
}

fn assert_clean(name: &str, find: &str, replace: &str) {
    let got = codes_after(name, find, replace);
    assert!(got.is_empty(), "{replace:?} gave {got:#?}");
}

fn assert_caught(name: &str, find: &str, replace: &str, code: &str) {
    let got = codes_after(name, find, replace);
    assert!(
        got.iter().any(|c| c.starts_with(code)),
        "{replace:?} should give {code}, gave {got:#?}"
    );
}

const LANDING: &str = "process-kill (SIGKILL to one consumer) — the group's\n  generation id increases and the killed consumer exits with code 137.";

#[test]
fn landing_evidence_is_found_whatever_the_punctuation() {
    for evidence in [
        "process-kill = exit code 137 on the killed consumer and a new generation id",
        "process-kill of one consumer. It counts as landed when the group's generation id increases.",
        "process-kill of one consumer. Landing is shown by exit code 137 and a rebalance in the coordinator log.",
        "process-kill of one consumer. It has landed when the coordinator logs a rebalance.",
        "process-kill: the killed consumer exits with code 137",
    ] {
        assert_clean("change-scoped", LANDING, evidence);
    }
    // no evidence at all, and evidence that only restates the injection, are still errors
    assert_caught(
        "change-scoped",
        LANDING,
        "process-kill of one consumer",
        "DST047",
    );
    assert_caught(
        "change-scoped",
        LANDING,
        "process-kill. Landing: the injector reported success.",
        "DST047",
    );
}

#[test]
fn exactly_once_negating_the_op_id_is_not_keyed_on_it() {
    let find = "- **Checker:** exactly-once keyed by the business idempotency key `input.idem`";
    for checker in [
        "- **Checker:** exactly-once keyed on the business key `input.idem`, never on the op id",
        "- **Checker:** exactly-once keyed on `input.idem` rather than on the op id",
        "- **Checker:** exactly-once, keyed by the idempotency key (not the operation id)",
    ] {
        assert_clean("project-wide", find, checker);
    }
    assert_caught(
        "project-wide",
        find,
        "- **Checker:** exactly-once keyed on the op id, not on the business key",
        "DST046",
    );
}

#[test]
fn arms_named_inline_and_as_sub_bullets_are_one_arm_each() {
    assert_clean(
        "project-wide",
        "- **Scenario arms:**\n",
        "- **Scenario arms:** S3/single, S3/batch, S3/failover\n",
    );
    // an arm named twice inline is still a duplicate
    assert_caught(
        "project-wide",
        "- **Scenario arms:**\n",
        "- **Scenario arms:** S3/single, S3/single\n",
        "DST021",
    );
}

#[test]
fn technique_names_match_with_a_prefix_or_a_qualifier() {
    for (heading, field) in [
        (
            "### Technique: chaos-and-fault-injection",
            "- **Technique:** chaos-and-fault-injection",
        ),
        (
            "### chaos-and-fault-injection (process kills only)",
            "- **Technique:** Technique: chaos-and-fault-injection — kill and restart",
        ),
        (
            "### chaos-and-fault-injection",
            "- **Technique:** chaos-and-fault-injection, with restarts under load",
        ),
    ] {
        let text = clean("minimal")
            .replacen("### chaos-and-fault-injection", heading, 1)
            .replacen("- **Technique:** chaos-and-fault-injection", field, 1);
        let d = lint(&text, Some("minimal"), &Config::default());
        assert!(d.is_empty(), "{heading} / {field}: {d:#?}");
    }
    assert_caught(
        "minimal",
        "- **Technique:** chaos-and-fault-injection",
        "- **Technique:** Technique: fuzzing (of the config parser)",
        "DST037",
    );
}

#[test]
fn negated_and_noun_uses_of_trigger_words_are_not_flagged() {
    let confidence = "We have not observed a slow restart under the kills of S1.";
    for text in [
        "We have not observed a slow restart under the kills of S1. We do not claim that a slow restart cannot happen.",
        "We have not observed a slow restart under the kills of S1. The guarantees in the README cover any number of restarts; ours cover one at a time.",
        "We have not observed a slow restart under the kills of S1, which is weaker than the README's guarantees.",
        "We have not observed a slow restart under the kills of S1 (see `docs/guarantees.md`).",
    ] {
        assert_clean("minimal", confidence, text);
    }
    assert_caught(
        "minimal",
        confidence,
        "S1 guarantees that restarts are fast.",
        "DST073",
    );
    let claim = "A restarted pingd answers within 2 s.";
    assert_clean(
        "minimal",
        claim,
        "A restarted pingd answers within 2 s; its log lines are written, not necessarily in order.",
    );
    assert_caught(
        "minimal",
        claim,
        "A restarted pingd answers within 2 s and replays its requests in order.",
        "DST074",
    );
}

#[test]
fn release_budgets_in_words_or_by_reference_are_concrete() {
    let find = "- **Release budget:** 4 probes × 4 h × 400 kills × 10 seeds";
    for budget in [
        "- **Release budget:** the hardening budget on two consecutive nightly runs",
        "- **Release budget:** the hardening budget, run twice on the release candidate",
        "- **Release budget:** see the hardening budget; run it on two consecutive release candidates",
    ] {
        assert_clean("minimal", find, budget);
    }
    for budget in [
        "- **Release budget:** see §9",
        "- **Release budget:** see section 6b",
        "- **Release budget:** whatever the release manager decides",
    ] {
        assert_caught("minimal", find, budget, "DST061");
    }
}

#[test]
fn not_applicable_lines_in_one_paragraph_are_each_read() {
    assert_clean(
        "minimal",
        "§7.M: not applicable (no gated claim category falsified)\n\n§7.M.S",
        "§7.M: not applicable (no gated claim category falsified)\n§7.M.S",
    );
    // a misspelt one among them is still misspelt
    assert_caught(
        "minimal",
        "§7.M: not applicable (no gated claim category falsified)\n\n§7.M.S",
        "§7.M: not applicable (nothing gated)\n§7.M.S",
        "DST062",
    );
}

#[test]
fn files_touched_as_a_table_or_after_a_sentence_are_a_list() {
    let find = "Files touched:\n- `main.go` — modified\n";
    for scope in [
        "**Files touched:**\n\n| File | Change |\n|---|---|\n| `main.go` | modified |\n",
        "The change edits start-up. Files touched:\n\n- `main.go` — modified\n",
    ] {
        assert_clean("minimal", find, scope);
    }
    assert_caught(
        "minimal",
        find,
        "**Files touched:**\n\n| File | Change |\n|---|---|\n",
        "DST015",
    );
}

#[test]
fn a_nemesis_of_none_needs_no_landing_evidence() {
    assert_clean(
        "change-scoped",
        LANDING,
        "none — the scenario injects no fault; its positive controls show the harness reaches the server",
    );
}

#[test]
fn the_real_plan_corpus_lints_clean() {
    let dir = fixture("plans/real");
    let plans = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "md")
        })
        .count();
    assert!(
        plans >= 6,
        "the corpus has {plans} plans, wanted at least six"
    );
    let out = run(&[
        "lint",
        "--strict",
        "--format",
        "concise",
        "tests/fixtures/plans/real",
    ]);
    assert_eq!(stdout(&out), "", "{}", stderr(&out));
    assert_exit(&out, 0);
}

#[test]
fn the_worked_example_lints_clean() {
    let example = root().join("../shared/examples/redis-sentinel-projectwide.md");
    if !require(
        example.exists(),
        "the shared worked example (../shared/examples)",
    ) {
        return;
    }
    let out = run(&[
        "lint",
        "--strict",
        "--format",
        "concise",
        example.to_str().unwrap(),
    ]);
    assert_eq!(stdout(&out), "");
    assert_exit(&out, 0);
}

#[test]
fn techniques_as_a_table_are_read_and_checked() {
    let find = "### chaos-and-fault-injection\n\n- **Hypotheses it addresses:** H1\n- **Reference:** `references/chaos-and-fault-injection.md`\n";
    let table = |hyp: &str, card: &str| {
        format!("| Technique | Hypotheses it addresses | Reference | Cost / wall-clock estimate |\n|---|---|---|---|\n| chaos-and-fault-injection | {hyp} | `references/{card}.md` | half a day |\n")
    };
    assert_clean("minimal", find, &table("H1", "chaos-and-fault-injection"));
    // the table's rows are checked like headings with bullets
    assert_caught(
        "minimal",
        find,
        &table("", "chaos-and-fault-injection"),
        "DST069",
    );
    assert_caught("minimal", find, &table("H1", "chaos"), "DST068");
    // and a scenario's technique must be one of them
    let text = clean("minimal").replacen(find, &table("H1", "fuzzing"), 1);
    let text = text.replacen("| chaos-and-fault-injection | H1 |", "| fuzzing | H1 |", 1);
    let d = lint(&text, Some("minimal"), &Config::default());
    assert!(d.iter().any(|d| d.code == "DST037"), "{d:#?}");
}
