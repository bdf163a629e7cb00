//! The roll-ups weigh blame (`vocabulary.md`, "Session headline", "Claim standing",
//! "Hypothesis coverage"): a FAIL blamed on the harness, checker or environment never makes the
//! headline FAIL, never falsifies a claim and never exercises a hypothesis; a FAIL whose blame is
//! unknown leaves the claim `in doubt`; only a scenario that ran its fault exercises. Each case
//! is the `fail` fixture session with one or two findings edited, checked through the binary
//! against golden report.md and report.json (`tests/golden/report/`; `UPDATE_EXPECT=1`
//! rewrites them).

mod common;
use common::*;

use std::path::{Path, PathBuf};

/// A copy of the `fail` fixture session named `name` (beside the fixture plans).
fn session(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("report-plans"), &tmp.path().join("report-plans"));
    let dir = tmp.path().join("sessions").join(name);
    copy_dir(&fixture("sessions/fail"), &dir);
    (tmp, dir)
}

/// Write the report, compare both files with their goldens, and return report.json.
fn report_and_goldens(dir: &Path, name: &str) -> serde_json::Value {
    let o = run(&["report", dir.to_str().unwrap()]);
    assert_exit(&o, 0);
    let md = std::fs::read_to_string(dir.join("findings/report.md")).unwrap();
    let json = std::fs::read_to_string(dir.join("findings/report.json")).unwrap();
    golden(&root().join(format!("tests/golden/report/{name}.md")), &md);
    golden(
        &root().join(format!("tests/golden/report/{name}.json")),
        &json,
    );
    serde_json::from_str(&json).unwrap()
}

fn claim(v: &serde_json::Value, id: &str) -> serde_json::Value {
    v["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
        .clone()
}

fn coverage_note(v: &serde_json::Value, id: &str) -> String {
    v["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()["note"]
        .as_str()
        .unwrap()
        .to_string()
}

/// S2 recorded as INCONCLUSIVE-fault-not-proven: its fault was planned but never proven.
fn s2_fault_not_proven(dir: &Path) {
    let p = dir.join("findings/S2.md");
    edit(
        &p,
        "verdict: PASS-smoke",
        "verdict: INCONCLUSIVE-fault-not-proven",
    );
    edit(&p, "fault_planned: false", "fault_planned: true");
    edit(&p, "fault_landed: null", "fault_landed: false");
    edit(
        &p,
        "reason: null",
        "reason: \"the restart never showed in the node's uptime\"",
    );
}

#[test]
fn a_harness_fail_is_no_evidence_and_does_not_make_the_headline_fail() {
    let (_t, dir) = session("blame-harness");
    edit(&dir.join("findings/S1.md"), "blame: SUT", "blame: harness");
    let v = report_and_goldens(&dir, "blame-harness");
    assert_eq!(v["headline"], "DONE_WITH_CONCERNS");
    let c1 = claim(&v, "C1");
    assert_eq!(c1["standing"], "untested");
    assert_eq!(c1["no_evidence"][0]["id"], "S1");
    assert_eq!(c1["no_evidence"][0]["note"], "blame harness");
    assert_eq!(coverage_note(&v, "H1"), "not exercised: harness failure");
    let s1 = &v["scenarios"][0];
    assert_eq!(
        (s1["id"].as_str(), s1["blame"].as_str()),
        (Some("S1"), Some("harness"))
    );
    // --fail-on fail gates on the system failing, which this session does not show.
    assert_exit(
        &run(&[
            "report",
            dir.to_str().unwrap(),
            "--check",
            "--fail-on",
            "fail",
        ]),
        0,
    );
}

#[test]
fn an_unknown_blame_leaves_the_claim_in_doubt_and_the_headline_fail() {
    let (_t, dir) = session("blame-unknown");
    edit(
        &dir.join("findings/S1.md"),
        "blame: SUT",
        "blame: \"unknown — pending re-run on alternative harness/host\"",
    );
    let v = report_and_goldens(&dir, "blame-unknown");
    assert_eq!(v["headline"], "FAIL");
    assert_eq!(claim(&v, "C1")["standing"], "in doubt");
    assert_eq!(coverage_note(&v, "H1"), "exercised");
    assert_exit(
        &run(&[
            "report",
            dir.to_str().unwrap(),
            "--check",
            "--fail-on",
            "fail",
        ]),
        1,
    );
}

#[test]
fn a_sut_fail_falsifies_and_an_unproven_fault_does_not_exercise() {
    let (_t, dir) = session("fault-not-proven");
    s2_fault_not_proven(&dir);
    let v = report_and_goldens(&dir, "fault-not-proven");
    assert_eq!(v["headline"], "FAIL");
    assert_eq!(claim(&v, "C1")["standing"], "falsified");
    assert_eq!(claim(&v, "C2")["standing"], "untested");
    assert_eq!(coverage_note(&v, "H2"), "not exercised: fault not proven");
    assert_eq!(coverage_note(&v, "H1"), "exercised");
}

#[test]
fn scenarios_that_never_ran_do_not_exercise() {
    let (_t, dir) = session("not-run");
    // S2 lacked its environment; S3's api arm too, and its cli arm has no finding, so S3
    // rolls up to NOT-RUN.
    let p = dir.join("findings/S2.md");
    edit(&p, "verdict: PASS-smoke", "verdict: INCONCLUSIVE-env");
    edit(&p, "env_ok: true", "env_ok: false");
    edit(
        &p,
        "reason: null",
        "reason: \"the cold-start rig was busy\"",
    );
    let a = dir.join("findings/S3-api.md");
    edit(&a, "verdict: PASS-hardening", "verdict: INCONCLUSIVE-env");
    edit(&a, "env_ok: true", "env_ok: false");
    edit(
        &a,
        "reason: null",
        "reason: \"no second tenant could be created\"",
    );
    let v = report_and_goldens(&dir, "not-run");
    assert_eq!(
        coverage_note(&v, "H2"),
        "not exercised: not run (environment)"
    );
    assert_eq!(coverage_note(&v, "H3"), "not exercised: not run");
    assert_eq!(claim(&v, "C2")["standing"], "untested");
}

#[test]
fn the_results_table_has_one_line_per_scenario_and_anchored_details() {
    let (_t, dir) = session("fail");
    assert_exit(&run(&["report", dir.to_str().unwrap()]), 0);
    let md = std::fs::read_to_string(dir.join("findings/report.md")).unwrap();
    let table: Vec<&str> = md
        .split("## Scenario results")
        .nth(1)
        .unwrap()
        .lines()
        .skip_while(|l| !l.starts_with("| ID |"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(
        table[0],
        "| ID | Name | Verdict | Blame | Landing | Reason |"
    );
    // header, rule, then S1, S2, S3, S3/api, S3/cli: one line each, six cells.
    assert_eq!(table.len(), 7, "{table:#?}");
    for (line, id) in table[2..]
        .iter()
        .zip(["S1", "S2", "S3", "S3/api", "S3/cli"])
    {
        let anchor = id.to_lowercase().replace('/', "-");
        assert!(
            line.starts_with(&format!("| [{id}](#{anchor}) |")),
            "{line}"
        );
        assert_eq!(line.matches(" | ").count(), 5, "{line}");
        assert!(
            md.contains(&format!("### <a id=\"{anchor}\"></a>{id} — ")),
            "no section for {id}"
        );
    }
    assert!(table[2].contains(
        "| FAIL-reproducible | SUT | typed | acknowledged append lost after leader kill |"
    ));
}

#[test]
fn a_probe_run_below_the_smoke_budget_is_capped_at_partial_model() {
    let (_t, dir) = session("probe");
    let p = dir.join("findings/S2.md");
    edit(&p, "budget_tier: smoke", "budget_tier: probe");
    let o = run(&[
        "report",
        dir.to_str().unwrap(),
        "--check",
        "--format",
        "json",
    ]);
    assert_exit(&o, 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rpt003: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "RPT003")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(rpt003.len(), 1, "{rpt003:?}");
    assert!(rpt003[0].contains("PARTIAL-model"), "{rpt003:?}");
    assert!(rpt003[0].contains("probe"), "{rpt003:?}");
    // Recorded honestly, the probe run is accepted at PARTIAL-model.
    edit(&p, "verdict: PASS-smoke", "verdict: PARTIAL-model");
    edit(
        &p,
        "reason: null",
        "reason: \"5 of the 20 planned cold starts (probe)\"",
    );
    let o = run(&[
        "report",
        dir.to_str().unwrap(),
        "--check",
        "--format",
        "json",
    ]);
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["scenarios"][1]["id"], "S2");
    assert_eq!(v["scenarios"][1]["verdict"], "PARTIAL-model");
    assert_eq!(v["scenarios"][1]["derived_verdict"], "PARTIAL-model");
}
