//! Landing verification (`nemesis.fault_ids`): the report checks every cited fault id against
//! the session's fault logs (`artifacts/<S>/faults.jsonl`, here hand-written): it must exist,
//! have `landed: true`, and overlap the cited history's time span. The Scenario results table
//! shows landing as verified / typed / none, and `--require-verified-landing` makes a typed-only
//! PASS an error.
//!
//! Fixture `tests/fixtures/sessions/landing`: S1 cites F1 (landed, window [1500, 3000] inside
//! the history's [1000, 5100]); S2 has no fault; S3's arms give typed evidence only. The log
//! also holds F2 (never landed) and F3 (landed, window [9000, 9500], after the history).

mod common;
use common::*;

use std::path::{Path, PathBuf};

fn session() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("report-plans"), &tmp.path().join("report-plans"));
    let dir = tmp.path().join("sessions").join("landing");
    copy_dir(&fixture("sessions/landing"), &dir);
    (tmp, dir)
}

fn cite(dir: &Path, ids: &str) {
    let p = dir.join("findings/S1.md");
    let t = std::fs::read_to_string(&p).unwrap();
    assert!(t.contains("fault_ids: [F1]"));
    std::fs::write(
        &p,
        t.replace("fault_ids: [F1]", &format!("fault_ids: [{ids}]")),
    )
    .unwrap();
}

fn landing_of(v: &serde_json::Value, id: &str) -> String {
    v["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap()["landing"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn landing_is_verified_typed_or_none_and_the_table_shows_it() {
    let (_t, dir) = session();
    let o = run(&["report", dir.to_str().unwrap()]);
    assert_exit(&o, 0);
    let md = std::fs::read_to_string(dir.join("findings/report.md")).unwrap();
    golden(&root().join("tests/golden/report/landing.md"), &md);
    let (_, v) = report_check_json(&dir, &[]);
    assert_eq!(landing_of(&v, "S1"), "verified");
    assert_eq!(landing_of(&v, "S2"), "none");
    assert_eq!(landing_of(&v, "S3/api"), "typed");
}

#[test]
fn a_fault_id_that_does_not_exist_is_an_error() {
    let (_t, dir) = session();
    cite(&dir, "F1, F9");
    let (code, v) = report_check_json(&dir, &[]);
    assert_eq!(code, 1);
    let m = diags_with_code(&v, "RPT022");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains("fault F9 is not in the session's fault logs (known: F1, F2, F3)"),
        "{m:?}"
    );
    assert!(m[0].starts_with("findings/S1.md:26 "), "{m:?}");
    // Not verified, but the typed evidence still stands.
    assert_eq!(landing_of(&v, "S1"), "typed");
}

#[test]
fn a_fault_that_never_landed_is_an_error() {
    let (_t, dir) = session();
    cite(&dir, "F2");
    let (code, v) = report_check_json(&dir, &[]);
    assert_eq!(code, 1);
    let m = diags_with_code(&v, "RPT022");
    assert!(
        m[0].contains("fault F2 (process-kill) never landed: its log says landed false (the process was still running during the window)"),
        "{m:?}"
    );
}

#[test]
fn a_fault_outside_the_history_is_an_error() {
    let (_t, dir) = session();
    cite(&dir, "F3");
    let (code, v) = report_check_json(&dir, &[]);
    assert_eq!(code, 1);
    let m = diags_with_code(&v, "RPT022");
    assert!(
        m[0].contains("fault F3 (process-kill) ran over [9000, 9500] but the cited history spans [1000, 5100]"),
        "{m:?}"
    );
}

#[test]
fn require_verified_landing_rejects_a_typed_only_pass() {
    let (_t, dir) = session();
    let (code, v) = report_check_json(&dir, &[]);
    assert_eq!(code, 0, "typed landing is allowed by default");
    assert!(diags_with_code(&v, "RPT023").is_empty());
    let (code, v) = report_check_json(&dir, &["--require-verified-landing"]);
    assert_eq!(code, 1);
    let m = diags_with_code(&v, "RPT023");
    assert_eq!(
        m,
        vec![
            "findings/S3-api.md:23 S3/api records PASS-hardening on typed landing evidence only (--require-verified-landing)".to_string(),
            "findings/S3-cli.md:23 S3/cli records PASS-hardening on typed landing evidence only (--require-verified-landing)".to_string(),
        ]
    );
}

#[test]
fn fault_ids_without_a_history_are_a_warning_and_not_verified() {
    let (_t, dir) = session();
    let p = dir.join("findings/S1.md");
    let t = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, t.replace("  history: artifacts/S1/history.jsonl\n", "")).unwrap();
    let (_, v) = report_check_json(&dir, &[]);
    assert_eq!(diags_with_code(&v, "RPT024").len(), 1);
    assert_eq!(landing_of(&v, "S1"), "typed");
}

#[test]
fn a_malformed_fault_log_is_named() {
    let (_t, dir) = session();
    std::fs::write(dir.join("artifacts/S1/faults.jsonl"), "{not json}\n").unwrap();
    let (code, v) = report_check_json(&dir, &[]);
    assert_eq!(code, 1);
    let m = diags_with_code(&v, "RPT022");
    assert!(m[0].contains("faults.jsonl:1"), "{m:?}");
}
