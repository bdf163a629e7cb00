//! Conformance: every history of the shared corpus (`shared/corpus/histories/`, beside the
//! crate in CI) must get the verdict its MANIFEST.json expects, within the default budget,
//! never "unknown". Skips with a message when the corpus is not there.
//!
//! Runs through the library (`check_file`), the API the findings report uses, and once more
//! through the binary for one file per verdict so the exit codes are covered too.

use std::path::{Path, PathBuf};

mod common;
use std::time::Duration;

use dstplan::history::{check_file, Outcome};

fn corpus() -> Option<PathBuf> {
    let dir = common::root().join("../shared/corpus/histories");
    if dir.join("MANIFEST.json").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "skipping: no corpus at {} (clone `shared/` beside the crate to run this test)",
            dir.display()
        );
        None
    }
}

struct Case {
    file: String,
    model: String,
    expected: Outcome,
}

fn cases(dir: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.json")).expect("read MANIFEST.json");
    let m: serde_json::Value = serde_json::from_str(&text).expect("MANIFEST.json is JSON");
    let files = m["files"]
        .as_array()
        .expect("MANIFEST.json has a files list");
    files
        .iter()
        .map(|f| Case {
            file: f["file"].as_str().expect("file").to_string(),
            model: f["model"].as_str().expect("model").to_string(),
            expected: match f["expected"].as_str().expect("expected") {
                "linearizable" | "ok" => Outcome::Ok,
                "violation" | "not-linearizable" => Outcome::Violation,
                other => panic!("unknown expected label {other}"),
            },
        })
        .collect()
}

#[test]
fn every_corpus_history_gets_its_expected_verdict() {
    let Some(dir) = corpus() else { return };
    let cases = cases(&dir);
    assert!(cases.len() >= 100, "manifest lists {} files", cases.len());
    let mut wrong = Vec::new();
    for c in &cases {
        let r = check_file(&dir.join(&c.file), &c.model, None, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("{}: {e}", c.file));
        if r.outcome != c.expected {
            wrong.push(format!(
                "{}: expected {}, got {} ({})",
                c.file,
                c.expected.as_str(),
                r.outcome.as_str(),
                r.evidence
            ));
        }
        if r.outcome == Outcome::Violation {
            let w = r.witness.as_ref().expect("a violation has a witness");
            assert!(!w.ops.is_empty(), "{}: empty witness", c.file);
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} disagree:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_binary_exits_by_verdict_on_corpus_files() {
    let Some(dir) = corpus() else { return };
    let cases = cases(&dir);
    for expected in [Outcome::Ok, Outcome::Violation] {
        let c = cases
            .iter()
            .find(|c| c.expected == expected)
            .expect("a case per verdict");
        let out = common::bin()
            .args(["history", "check"])
            .arg(dir.join(&c.file))
            .args(["--model", &c.model, "--format", "json"])
            .output()
            .expect("run dstplan");
        let code = out.status.code();
        let want = if expected == Outcome::Ok { 0 } else { 1 };
        assert_eq!(code, Some(want), "{}: {:?}", c.file, out);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json on stdout");
        assert_eq!(v["verdict"], expected.as_str());
    }
}
