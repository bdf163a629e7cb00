//! The history re-check rule (RPT013) with an injected [`HistoryOracle`]: the report does not
//! take a finding's word when the declared checker can re-check the cited history. Uses the
//! library API, since the binary links the real (or stand-in) checker.

mod common;
use common::*;

use std::path::Path;

use dstplan::report::{self, HistoryOracle, HistoryOutcome, HistoryVerdict};

/// Reports a violation for any history whose final read lacks value 2, else ok.
struct TestOracle;

impl HistoryOracle for TestOracle {
    fn check(
        &self,
        path: &Path,
        model: &str,
        checker: &str,
        _budget: std::time::Duration,
    ) -> Result<HistoryVerdict, String> {
        assert_eq!((model, checker), ("log", "no-lost-ack"));
        let t = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let lost = t.contains("\"output\":[1],");
        Ok(HistoryVerdict {
            outcome: if lost {
                HistoryOutcome::Violation
            } else {
                HistoryOutcome::Ok
            },
            evidence: if lost {
                "acknowledged append 2 missing from the final read".into()
            } else {
                "2 acknowledged appends, 0 lost".into()
            },
            span: None,
            witness: Vec::new(),
        })
    }
}

fn rpt013(r: &report::Report) -> Vec<String> {
    r.diagnostics
        .iter()
        .filter(|d| d.code == "RPT013")
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn a_violation_in_the_cited_history_under_a_pass_is_an_error() {
    let (_t, dir) = fixture_session("clean");
    // the clean session's PASS now cites the history that lost append 2
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/sessions/fail/artifacts/S1/history.jsonl"),
        dir.join("artifacts/S1/history.jsonl"),
    )
    .unwrap();
    let r = report::build(&dir, &TestOracle).unwrap();
    let m = rpt013(&r);
    assert_eq!(m.len(), 1, "{:#?}", r.diagnostics);
    assert!(
        m[0].contains("PASS-hardening") && m[0].contains("violation"),
        "{}",
        m[0]
    );
    assert_eq!(report::exit_code(&r, None), 1);
    let s1 = r.scenarios.iter().find(|s| s.id == "S1").unwrap();
    assert!(s1.verdict.starts_with("FAIL"), "{}", s1.verdict);
    // the finding's evidence and the re-computed line are shown side by side
    assert!(s1.oracle_evidence.is_some());
    assert!(s1.recheck.as_deref().unwrap().contains("violation"));
}

#[test]
fn a_clean_history_under_a_fail_is_an_error_and_agreement_is_silent() {
    let (_t, dir) = fixture_session("fail");
    let r = report::build(&dir, &TestOracle).unwrap();
    assert!(rpt013(&r).is_empty(), "{:#?}", r.diagnostics);
    let (_t2, clean) = fixture_session("clean");
    let r = report::build(&clean, &TestOracle).unwrap();
    assert!(rpt013(&r).is_empty(), "{:#?}", r.diagnostics);
    std::fs::copy(
        clean.join("artifacts/S1/history.jsonl"),
        dir.join("artifacts/S1/history.jsonl"),
    )
    .unwrap();
    let r = report::build(&dir, &TestOracle).unwrap();
    let m = rpt013(&r);
    assert_eq!(m.len(), 1, "{:#?}", r.diagnostics);
    assert!(m[0].contains("no violation"), "{}", m[0]);
}
