//! `dstplan scenario set` through the binary, and `scenario add` replacing the unfilled S1
//! that `dstplan new` writes: scenario edits without hand surgery (issue 13, item 5).

mod common;
use common::*;

use std::path::Path;

const CS: &str = "plans/clean/change-scoped.md";

fn setup() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(fixture(CS)).unwrap();
    std::fs::write(dir.path().join("change-scoped.md"), &src).unwrap();
    (dir, src)
}

fn read(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("change-scoped.md")).unwrap()
}

fn set(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut a = vec!["scenario", "set"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--plan", "change-scoped.md"]);
    run_in(dir, &a)
}

fn lint_codes(dir: &Path) -> Vec<String> {
    let out = run_in(dir, &["lint", "--format", "concise", "change-scoped.md"]);
    stdout(&out)
        .lines()
        .filter_map(|l| l.split('[').nth(1).and_then(|r| r.split(']').next()))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_gated_claim_brings_the_model_block_and_dropping_it_restores_the_line() {
    let (dir, src) = setup();
    let out = set(dir.path(), &["S2", "--falsifies", "C1,C2"]);
    assert_exit(&out, 0);
    let text = read(dir.path());
    let plan = dstplan::plan::parse(&text);
    let s2 = plan.scenario("S2").unwrap();
    let keys: Vec<String> = s2.falsifies().iter().map(|r| r.key()).collect();
    assert_eq!(keys, ["C1", "C2"]);
    assert!(s2.model.is_some(), "C1 is ordering: S2 needs §7.M");
    assert!(s2.model_na.is_none());
    assert!(s2.surface_na.is_some(), "the §7.M.S line stays");
    // only the new block's placeholders are left to fill
    let codes = lint_codes(dir.path());
    assert!(!codes.is_empty());
    assert!(codes.iter().all(|c| c == "DST070"), "{codes:?}");
    assert!(stderr(&out).contains("§7.M: the not-applicable line → the §7.M block to fill"));
    // back to C2 alone: the unfilled block goes, and the plan is as it was
    let out = set(dir.path(), &["S2", "--falsifies", "C2"]);
    assert_exit(&out, 0);
    assert_eq!(read(dir.path()), src);
}

#[test]
fn filled_text_is_kept_where_it_still_applies() {
    let (dir, _) = setup();
    let out = set(
        dir.path(),
        &[
            "S1",
            "--falsifies",
            "C2",
            "--language",
            "python",
            "--name",
            "acks_stay_fast",
        ],
    );
    assert_exit(&out, 0);
    let text = read(dir.path());
    assert!(text.contains("### Scenario S1: acks_stay_fast\n"));
    assert!(text.contains("- **Skeleton language:** python\n"));
    // the filled §7.M block and the written skeleton are kept, with a note saying so
    assert!(text.contains("- **Checker:** prefix-order"));
    assert!(
        stderr(&out).contains("the filled block is kept"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("skeleton: kept"), "{}", stderr(&out));
    // and lint names what the author must now reconcile
    let codes = lint_codes(dir.path());
    assert!(codes.contains(&"DST036".to_string()), "{codes:?}");
    assert!(codes.contains(&"DST080".to_string()), "{codes:?}");
}

#[test]
fn an_unfilled_skeleton_follows_the_new_language() {
    let (dir, _) = setup();
    let out = run_in(
        dir.path(),
        &[
            "scenario",
            "add",
            "--plan",
            "change-scoped.md",
            "--falsifies",
            "C2",
            "--name",
            "third_check",
        ],
    );
    assert_exit(&out, 0);
    let out = set(dir.path(), &["S3", "--language", "python"]);
    assert_exit(&out, 0);
    let text = read(dir.path());
    let s3 = &text[text.find("### Scenario S3").unwrap()..];
    assert!(s3.contains("- **Skeleton language:** python"));
    assert!(s3.contains("```python"), "{s3}");
    assert!(!s3.contains("```rust"), "{s3}");
}

#[test]
fn bad_requests_exit_2_and_leave_the_plan_alone() {
    let (dir, src) = setup();
    for (args, needle) in [
        (vec!["S9", "--falsifies", "C1"], "no scenario S9"),
        (vec!["S2", "--falsifies", "C7"], "C7"),
        (vec!["S2", "--name", "Bad-Name"], "claim-shaped"),
        (vec!["S2", "--language", "cobol"], "unknown --language"),
        (vec!["S2"], "nothing to change"),
    ] {
        let out = set(dir.path(), &args);
        assert_exit(&out, 2);
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert_eq!(read(dir.path()), src, "{args:?} changed the plan");
    }
}

#[test]
fn scenario_add_replaces_the_unfilled_s1_of_dstplan_new() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["new", "demo", "--mode", "project-wide"]);
    assert_exit(&out, 0);
    let plan = "testing-plans/demo.md";
    let add = |name: &str| {
        run_in(
            dir.path(),
            &[
                "scenario",
                "add",
                "--plan",
                plan,
                "--falsifies",
                "C1",
                "--name",
                name,
            ],
        )
    };
    let out = add("first_real_check");
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "S1\n");
    assert!(
        stderr(&out).contains("in place of the unfilled stub"),
        "{}",
        stderr(&out)
    );
    let text = std::fs::read_to_string(dir.path().join(plan)).unwrap();
    let p = dstplan::plan::parse(&text);
    let names: Vec<&str> = p.scenarios.iter().map(|s| s.name.text.as_str()).collect();
    assert_eq!(names, ["first_real_check"], "the placeholder S1 is gone");
    // the next one is appended as usual
    let out = add("second_check");
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "S2\n");
    let text = std::fs::read_to_string(dir.path().join(plan)).unwrap();
    assert_eq!(dstplan::plan::parse(&text).scenarios.len(), 2);
}
