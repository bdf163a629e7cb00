//! The finding template agrees with the skills' references (`failure.tags`, the budget tiers,
//! `nemesis.fault_ids`), and `finding new` pre-fills the checker and nemesis of a scenario
//! without §7.M from its `Oracle:` and `Faults:` lines.

mod common;
use common::*;

use std::path::{Path, PathBuf};

/// A session for a copy of the report fixture plan, with S1's §7.M removed.
fn session_without_model() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let plan = tmp.path().join("plan.md");
    let t = std::fs::read_to_string(fixture("report-plans/mini-kv.md")).unwrap();
    let a = t
        .find("#### §7.M — Model / history / checker discipline\n\n- **Model under test:** log")
        .unwrap();
    let e = t.find("### Scenario S2").unwrap();
    let t = format!("{}{}", &t[..a], &t[e..]);
    std::fs::write(&plan, t).unwrap();
    let o = run_in(tmp.path(), &["session", "new", "--plan", "plan.md"]);
    assert_exit(&o, 0);
    let dir = std::fs::read_dir(tmp.path().join("test-sessions/mini-kv"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    (tmp, dir)
}

fn stub(dir: &Path, scenario: &str) -> String {
    let o = run(&[
        "finding",
        "new",
        "--session",
        dir.to_str().unwrap(),
        "--scenario",
        scenario,
    ]);
    assert_exit(&o, 0);
    let name = scenario.replace('/', "-");
    std::fs::read_to_string(dir.join(format!("findings/{name}.md"))).unwrap()
}

#[test]
fn finding_new_prefills_checker_and_nemesis_from_oracle_and_faults_lines() {
    let (_t, dir) = session_without_model();
    // S1: "Faults: SIGKILL the leader every 60 s", "Oracle: … checked with no-lost-ack".
    let s1 = stub(&dir, "S1");
    assert!(s1.contains("  checker: \"no-lost-ack\""), "{s1}");
    assert!(s1.contains("  name: \"process-kill\""), "{s1}");
    // S2: "Faults: none"; its oracle names no checker.
    let s2 = stub(&dir, "S2");
    assert!(s2.contains("  checker: null"), "{s2}");
    assert!(s2.contains("  name: \"none\""), "{s2}");
}

#[test]
fn the_template_carries_every_field_the_references_name() {
    let (_t, dir) = session_without_model();
    let s1 = stub(&dir, "S1");
    for field in [
        "  tags: []",
        "  fault_ids: []",
        "  landing_evidence: null",
        "  reproducer: null",
        "budget_tier: null         # probe | smoke | hardening | release | none",
    ] {
        assert!(s1.contains(field), "the stub lacks {field:?}:\n{s1}");
    }
    let refs = std::fs::read_to_string(
        root()
            .join("skills/executing-distributed-system-tests/references/failure-classification.md"),
    )
    .unwrap();
    assert!(
        refs.contains("tags"),
        "the reference no longer mentions tags"
    );
}

#[test]
fn failure_tags_are_checked_and_shown_in_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("report-plans"), &tmp.path().join("report-plans"));
    let dir = tmp.path().join("sessions/fail");
    copy_dir(&fixture("sessions/fail"), &dir);
    let p = dir.join("findings/S1.md");
    let t = std::fs::read_to_string(&p).unwrap();
    std::fs::write(
        &p,
        t.replace(
            "  severity: P0\n",
            "  severity: P0\n  tags: [durability, leadership]\n",
        ),
    )
    .unwrap();
    assert_exit(&run(&["report", dir.to_str().unwrap()]), 0);
    let md = std::fs::read_to_string(dir.join("findings/report.md")).unwrap();
    assert!(md.contains("- Tags: durability, leadership\n"), "{md}");
    let t = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, t.replace("leadership]", "vibes]")).unwrap();
    let o = run(&[
        "report",
        dir.to_str().unwrap(),
        "--check",
        "--format",
        "json",
    ]);
    assert_exit(&o, 1);
    assert!(
        stdout(&o).contains("failure tag `vibes` is not one of replication, leadership"),
        "{}",
        stdout(&o)
    );
}
