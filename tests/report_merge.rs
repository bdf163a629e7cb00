//! `report --merge`: the findings of several sessions of one plan judged as one report (a run
//! split across sessions). The `clean` fixture session is split in two: A holds S1 and S2, B the
//! arms of S3; merged, they must say what the whole session says.

mod common;
use common::*;

use std::path::{Path, PathBuf};

fn split() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("report-plans"), &tmp.path().join("report-plans"));
    let a = tmp.path().join("sessions/a");
    let b = tmp.path().join("sessions/b");
    copy_dir(&fixture("sessions/clean"), &a);
    copy_dir(&fixture("sessions/clean"), &b);
    for f in ["S3-api.md", "S3-cli.md"] {
        std::fs::remove_file(a.join("findings").join(f)).unwrap();
    }
    for f in ["S1.md", "S2.md"] {
        std::fs::remove_file(b.join("findings").join(f)).unwrap();
    }
    std::fs::remove_dir_all(b.join("artifacts")).unwrap();
    std::fs::remove_dir_all(b.join("logs")).unwrap();
    (tmp, a, b)
}

fn json(args: &[&str]) -> (i32, serde_json::Value) {
    let o = run(args);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&o), stderr(&o)));
    (code(&o), v)
}

fn verdicts(v: &serde_json::Value) -> Vec<(String, String)> {
    v["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn merged_sessions_say_what_the_whole_session_says() {
    let (_t, a, b) = split();
    let (_, alone) = json(&["report", s(&a), "--check", "--format", "json"]);
    assert_eq!(
        alone["headline"], "DONE_WITH_CONCERNS",
        "A alone lacks S3's arms"
    );
    let whole_dir = fixture("sessions/clean");
    let tmp2 = tempfile::tempdir().unwrap();
    copy_dir(&fixture("report-plans"), &tmp2.path().join("report-plans"));
    copy_dir(&whole_dir, &tmp2.path().join("sessions/clean"));
    let (_, whole) = json(&[
        "report",
        s(&tmp2.path().join("sessions/clean")),
        "--check",
        "--format",
        "json",
    ]);
    let (code, merged) = json(&[
        "report",
        s(&a),
        "--merge",
        s(&b),
        "--check",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{:#?}", merged["diagnostics"]);
    assert_eq!(merged["headline"], whole["headline"]);
    assert_eq!(verdicts(&merged), verdicts(&whole));
    assert_eq!(merged["session"]["merged"][0], "../b");
    let api = merged["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "S3/api")
        .unwrap();
    assert_eq!(api["finding"], "../../b/findings/S3-api.md");
    // The other spelling writes into the first session named.
    let o = run(&["report", "--merge", s(&a), s(&b)]);
    assert_exit(&o, 0);
    let md = std::fs::read_to_string(a.join("findings/report.md")).unwrap();
    golden(&root().join("tests/golden/report/merged.md"), &md);
    assert!(md.contains("- Merged with: `../b`"));
    assert!(!b.join("findings/report.md").exists());
}

#[test]
fn sessions_of_different_plans_or_twice_the_same_are_refused() {
    let (_t, a, b) = split();
    let p = b.join("session.json");
    let t = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, t.replace("5434fecb", "00000000")).unwrap();
    let o = run(&["report", s(&a), "--merge", s(&b), "--check"]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("--merge takes sessions of one plan"),
        "{}",
        stderr(&o)
    );
    let o = run(&["report", s(&a), "--merge", s(&a), "--check"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("given twice"), "{}", stderr(&o));
}

#[test]
fn a_scenario_recorded_in_two_merged_sessions_is_an_error() {
    let (_t, a, b) = split();
    std::fs::copy(a.join("findings/S2.md"), b.join("findings/S2.md")).unwrap();
    let (code, v) = json(&[
        "report",
        s(&a),
        "--merge",
        s(&b),
        "--check",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let m: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "RPT021")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        m,
        ["../b/findings/S2.md and findings/S2.md both record scenario S2"],
        "{m:?}"
    );
}
