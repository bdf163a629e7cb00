//! `dstplan report` through the binary, on fixture sessions copied into a temporary
//! directory: golden report.md files, determinism, the hand-edit guard, exit codes, output
//! formats, and one case per rule of `execution-format.md` (each fails if its rule is removed).
//!
//! Golden files: `tests/fixtures/sessions/<name>.report.md.expected`; `UPDATE_EXPECT=1`
//! rewrites them.

use std::path::Path;
use std::process::Output;

mod common;
use common::*;
use std::time::{Duration, Instant};

fn dstplan(args: &[&str]) -> Output {
    run(args)
}

fn report(dir: &Path, extra: &[&str]) -> Output {
    let mut a = vec!["report", dir.to_str().unwrap()];
    a.extend_from_slice(extra);
    dstplan(&a)
}

fn json(dir: &Path) -> serde_json::Value {
    let o = report(dir, &["--check", "--format", "json"]);
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

fn codes(v: &serde_json::Value, severity: &str) -> Vec<String> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == severity)
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

fn messages(v: &serde_json::Value) -> String {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| format!("{} {}:{} {}", d["code"], d["path"], d["line"], d["message"]))
        .collect::<Vec<_>>()
        .join("\n")
}

fn verdict(v: &serde_json::Value, id: &str) -> String {
    v["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .map(|s| s["verdict"].as_str().unwrap().to_string())
        .unwrap()
}

fn golden_report(name: &str, actual: &str) {
    golden(
        &fixture(&format!("sessions/{name}.report.md.expected")),
        actual,
    );
}

#[test]
fn clean_session_is_done_and_matches_its_golden_report() {
    let (_t, dir) = fixture_session("clean");
    let o = report(&dir, &["--fail-on", "concerns"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let md = std::fs::read_to_string(dir.join("findings/report.md")).unwrap();
    golden_report("clean", &md);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("findings/report.json")).unwrap())
            .unwrap();
    assert_eq!(v["headline"], "DONE");
    assert!(
        v["diagnostics"].as_array().unwrap().is_empty(),
        "{}",
        messages(&v)
    );
    for k in [
        "version",
        "plan",
        "session",
        "headline",
        "scenarios",
        "claims",
        "findings",
        "diagnostics",
    ] {
        assert!(v.get(k).is_some(), "report.json lacks {k}");
    }
    for k in [
        "id",
        "recorded_verdict",
        "derived_verdict",
        "oracle_evidence",
        "landing_evidence",
        "finding",
    ] {
        assert!(v["scenarios"][0].get(k).is_some(), "scenario rows lack {k}");
    }
    for k in ["id", "standing", "scenarios"] {
        assert!(v["claims"][0].get(k).is_some(), "claim rows lack {k}");
    }
    // the eleven sections, in order, with the explicit-empty lines
    let heads: Vec<&str> = md.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        heads,
        [
            "## Summary",
            "## Scenario results",
            "## Findings",
            "## Claims",
            "## Coverage",
            "## Surface coverage",
            "## Release-budget disclosures",
            "## Adequacy vs the plan",
            "## Confidence delta",
            "## Audits"
        ]
    );
    assert!(md.starts_with("# Findings: mini-kv @ 2026-11-23T10:15:00Z\n"));
    assert!(md.contains("No FAIL findings in this session."));
}

#[test]
fn fail_session_passes_check_gates_on_fail_on_and_matches_its_golden_report() {
    let (_t, dir) = fixture_session("fail");
    assert_eq!(report(&dir, &["--check"]).status.code(), Some(0));
    assert!(
        !dir.join("findings/report.md").exists(),
        "--check writes nothing"
    );
    assert_eq!(
        report(&dir, &["--check", "--fail-on", "fail"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        report(&dir, &["--check", "--fail-on", "concerns"])
            .status
            .code(),
        Some(1)
    );
    let o = report(&dir, &[]);
    assert_eq!(o.status.code(), Some(0));
    let md = std::fs::read_to_string(dir.join("findings/report.md")).unwrap();
    golden_report("fail", &md);
    let v = json(&dir);
    assert_eq!(v["headline"], "FAIL");
    assert_eq!(v["findings"][0]["id"], "F1");
    assert_eq!(v["findings"][0]["blame"], "SUT");
    assert_eq!(
        v["findings"][0]["reproducer"],
        "seed 12, 3 nodes, kill the leader at T+60 s (logs/S1/n2.log)"
    );
    let c1 = &v["claims"][0];
    assert_eq!(c1["standing"], "falsified");
}

#[test]
fn arms_roll_up_to_partial_surface_and_a_missing_finding_is_not_run() {
    let (_t, dir) = fixture_session("fail");
    let v = json(&dir);
    assert_eq!(verdict(&v, "S3/api"), "PASS-hardening");
    assert_eq!(verdict(&v, "S3/cli"), "NOT-RUN");
    assert_eq!(verdict(&v, "S3"), "PARTIAL-surface");
    assert_eq!(codes(&v, "warning"), ["RPT012"]);
    assert!(codes(&v, "error").is_empty(), "{}", messages(&v));
}

#[test]
fn report_is_deterministic() {
    let (_t, dir) = fixture_session("fail");
    assert_eq!(report(&dir, &[]).status.code(), Some(0));
    let md1 = std::fs::read(dir.join("findings/report.md")).unwrap();
    let js1 = std::fs::read(dir.join("findings/report.json")).unwrap();
    assert_eq!(report(&dir, &[]).status.code(), Some(0));
    assert_eq!(md1, std::fs::read(dir.join("findings/report.md")).unwrap());
    assert_eq!(
        js1,
        std::fs::read(dir.join("findings/report.json")).unwrap()
    );
}

#[test]
fn a_hand_edited_report_is_never_overwritten_without_force() {
    let (_t, dir) = fixture_session("clean");
    assert_eq!(report(&dir, &[]).status.code(), Some(0));
    let md = dir.join("findings/report.md");
    let js = dir.join("findings/report.json");
    let edited = format!(
        "{}\nA reviewer's note.\n",
        std::fs::read_to_string(&md).unwrap()
    );
    std::fs::write(&md, &edited).unwrap();
    let js_before = std::fs::read(&js).unwrap();
    // change a finding so the new report would differ
    edit(
        &dir.join("findings/S2.md"),
        "verdict: PASS-smoke",
        "verdict: NOT-RUN\nreason_x: 1",
    );
    let o = report(&dir, &[]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&md).unwrap(), edited);
    assert_eq!(std::fs::read(&js).unwrap(), js_before);
    let o = report(&dir, &["--force"]);
    assert_ne!(o.status.code(), Some(2));
    assert_ne!(std::fs::read_to_string(&md).unwrap(), edited);
}

#[test]
fn malformed_yaml_is_exit_2_with_the_line() {
    let (_t, dir) = fixture_session("clean");
    edit(
        &dir.join("findings/S2.md"),
        "seeds: [1]",
        "seeds: [1, 2\n  broken: {",
    );
    let o = report(&dir, &["--check"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("findings/S2.md:"), "{err}");
    let line: usize = err
        .split("findings/S2.md:")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no line in {err}"));
    assert!((7..=9).contains(&line), "{err}");
    // machine format: the JSON error object on stdout
    let o = report(&dir, &["--check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["error"]["line"].is_number(), "{v}");
}

#[test]
fn a_yaml_alias_bomb_is_exit_2_fast() {
    let (_t, dir) = fixture_session("clean");
    let mut bomb = String::from("---\nscenario: S2\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (i, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
        let prev = ["a", "b", "c", "d", "e", "f", "g", "h"][i];
        bomb.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
    }
    bomb.push_str("---\n");
    std::fs::write(dir.join("findings/S2.md"), bomb).unwrap();
    let t = Instant::now();
    let o = report(&dir, &["--check"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("findings/S2.md"));
}

#[test]
fn a_finding_without_front_matter_or_too_large_is_exit_2() {
    let (_t, dir) = fixture_session("clean");
    std::fs::write(dir.join("findings/S2.md"), "# notes\n").unwrap();
    let o = report(&dir, &["--check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("findings/S2.md:1:"));
    let big = format!(
        "---\nscenario: S2\nreason: \"{}\"\n---\n",
        "x".repeat(2 << 20)
    );
    std::fs::write(dir.join("findings/S2.md"), big).unwrap();
    let o = report(&dir, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("limit"));
    assert!(!dir.join("findings/report.md").exists());
}

#[test]
fn an_unreadable_session_or_plan_is_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(report(tmp.path(), &["--check"]).status.code(), Some(2));
    let (_t, dir) = fixture_session("clean");
    edit(&dir.join("session.json"), "mini-kv.md", "gone.md");
    let o = report(&dir, &["--check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("gone.md"));
}

#[test]
fn github_and_text_formats() {
    let (_t, dir) = fixture_session("clean");
    edit(
        &dir.join("findings/S3-api.md"),
        "  landing_evidence: \"exit code 137 on the leader once per pass\"",
        "  landing_evidence: null",
    );
    let o = report(&dir, &["--check", "--format", "github"]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("::error file=")
            && out.contains("S3-api.md,line=")
            && out.contains("title=RPT005::"),
        "{out}"
    );
    let o = report(&dir, &["--check"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("error[RPT005]") && out.contains("headline:"),
        "{out}"
    );
}

/// One case per rule: (fixture, file, from, to, code that must appear, text the message holds).
const CASES: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("clean", "S2.md", "scenario: S2", "scenario: S9", "RPT001", "S9"),
    ("clean", "S2.md", "verdict: PASS-smoke", "verdict: PASS-maybe", "RPT002", "PASS-maybe"),
    ("clean", "S1.md", "  fault_landed: true", "  fault_landed: false", "RPT003", "INCONCLUSIVE-fault-not-proven"),
    ("clean", "S2.md", "  evidence: \"20 cold starts, slowest first 200 at 1.4 s\"", "  evidence: \"\"", "RPT004", "oracle.evidence"),
    ("clean", "S1.md", "  landing_evidence: \"exit code 137 on n1 at T+60 s; new leader n2 logged at T+62 s (logs/S1/n2.log)\"", "  landing_evidence: null", "RPT005", "landing_evidence"),
    ("clean", "S1.md", "    multiple-topologies: n/a", "    multiple-topologies: null", "RPT006", "multiple-topologies"),
    ("fail", "S1.md", "  blame: SUT\n", "  blame: null\n", "RPT007", "blame"),
    ("fail", "S1.md", "  blame: SUT\n", "  blame: the moon\n", "RPT007", "the moon"),
    ("clean", "S2.md", "verdict: PASS-smoke", "verdict: NOT-RUN", "RPT008", "reason"),
    ("clean", "S2.md", "  reproduced: null", "  reproduced: true", "RPT009", "reproduced"),
    ("clean", "S1.md", "  history: artifacts/S1/history.jsonl", "  history: ../../report-plans/mini-kv.md", "RPT010", ".."),
    ("clean", "S1.md", "  history: artifacts/S1/history.jsonl", "  history: /etc/hostname", "RPT010", "absolute"),
    ("clean", "S1.md", "  history: artifacts/S1/history.jsonl", "  history: artifacts/S1/missing.jsonl", "RPT010", "does not exist"),
    ("clean", "S1.md", "(logs/S1/n2.log)", "(logs/S1/n9.log)", "RPT011", "logs/S1/n9.log"),
    ("clean", "S1.md", "  checker: no-lost-ack", "  checker: linearizability", "RPT014", "linearizability"),
    ("clean", "S1.md", "  name: process-kill", "  name: clock-skew", "RPT015", "clock-skew"),
    ("clean", "S2.md", "  attempted: true", "  attempted: perhaps", "RPT019", "attempted"),
    ("clean", "S2.md", "scenario: S2", "scenario: S1", "RPT021", "S1"),
];

#[test]
fn every_rule_has_a_case_that_breaks_it() {
    let mut failures = Vec::new();
    for (fixture, file, from, to, code, text) in CASES {
        let (_t, dir) = fixture_session(fixture);
        edit(&dir.join("findings").join(file), from, to);
        let o = report(&dir, &["--check", "--format", "json"]);
        let v: serde_json::Value = match serde_json::from_slice(&o.stdout) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!(
                    "{code}: not json ({e}): {}",
                    String::from_utf8_lossy(&o.stderr)
                ));
                continue;
            }
        };
        let hit = v["diagnostics"].as_array().unwrap().iter().any(|d| {
            d["code"] == *code
                && d["message"].as_str().unwrap().contains(text)
                && d["line"].as_u64().unwrap() > 1
        });
        let sev = dstplan::report::RULES
            .iter()
            .find(|r| r.code == *code)
            .unwrap()
            .severity;
        let want_exit = if sev == "error" { 1 } else { 0 };
        if !hit || o.status.code() != Some(want_exit) {
            failures.push(format!(
                "{code} ({file}: {to:?}) exit {:?}:\n{}",
                o.status.code(),
                messages(&v)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn plan_changes_and_weak_histories_are_warnings() {
    // RPT016: the plan changed since the session started
    let (_t, dir) = fixture_session("clean");
    let plan = dir.join("../../report-plans/mini-kv.md");
    edit(
        &plan,
        "## 9. Open questions / followups",
        "## 9. Open questions / followups\n\n- One more question — lead, soon",
    );
    let v = json(&dir);
    assert_eq!(codes(&v, "warning"), ["RPT016"], "{}", messages(&v));
    // RPT017 + RPT018: fault_epoch and node_seen null everywhere (C1 is a replication claim)
    let (_t, dir) = fixture_session("clean");
    let h = dir.join("artifacts/S1/history.jsonl");
    let t = std::fs::read_to_string(&h).unwrap();
    let t = t
        .replace("\"e1\"", "null")
        .replace("\"n1\"", "null")
        .replace("\"n2\"", "null");
    std::fs::write(&h, t).unwrap();
    let v = json(&dir);
    assert_eq!(
        codes(&v, "warning"),
        ["RPT017", "RPT018"],
        "{}",
        messages(&v)
    );
}

#[test]
fn a_parent_finding_may_not_claim_more_than_its_arms() {
    let (_t, dir) = fixture_session("fail");
    let s2 = std::fs::read_to_string(dir.join("findings/S3-api.md")).unwrap();
    std::fs::write(
        dir.join("findings/S3.md"),
        s2.replace("scenario: S3/api", "scenario: S3"),
    )
    .unwrap();
    let v = json(&dir);
    assert!(
        codes(&v, "error").contains(&"RPT020".to_string()),
        "{}",
        messages(&v)
    );
    assert_eq!(verdict(&v, "S3"), "PARTIAL-surface");
}

#[cfg(unix)]
#[test]
fn a_history_symlink_leaving_the_session_is_an_error() {
    let (t, dir) = fixture_session("clean");
    let outside = t.path().join("outside.jsonl");
    std::fs::copy(dir.join("artifacts/S1/history.jsonl"), &outside).unwrap();
    std::fs::remove_file(dir.join("artifacts/S1/history.jsonl")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("artifacts/S1/history.jsonl")).unwrap();
    let v = json(&dir);
    assert!(
        messages(&v).contains("RPT010") && messages(&v).contains("outside the session"),
        "{}",
        messages(&v)
    );
}

#[test]
fn a_verdict_stronger_than_the_facts_names_the_supported_one_and_is_lowered() {
    let (_t, dir) = fixture_session("clean");
    edit(
        &dir.join("findings/S1.md"),
        "  checker_coverage: full",
        "  checker_coverage: subset",
    );
    let v = json(&dir);
    let m = messages(&v);
    assert!(m.contains("RPT003") && m.contains("PARTIAL-model"), "{m}");
    assert_eq!(verdict(&v, "S1"), "PARTIAL-model");
    assert_eq!(v["headline"], "DONE_WITH_CONCERNS");
}
