//! Regression tests through the CLI for plan-reading defects found by fuzzing (issue 17):
//! deeply nested lists must lint in linear time, a UTF-8 byte-order mark is not part of the
//! plan, and `scenario add` on a symlinked plan edits the plan the link points to.

mod common;
use common::*;

use std::time::{Duration, Instant};

/// Run `dstplan ARGS`, killing it after `limit`: (output, whether it finished in time).
fn run_bounded(args: &[&str], limit: Duration) -> (std::process::Output, bool) {
    let mut child = bin()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run dstplan");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return (child.wait_with_output().expect("output"), true);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            return (child.wait_with_output().expect("output"), false);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn deeply_nested_lists_lint_in_linear_time() {
    // `- - - … x`: 200,000 nested list items in 400 KB. The container counting per item made
    // this quadratic (62 s in a release build); linear, it takes well under a second there and
    // a few seconds in a debug build.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nested.md");
    std::fs::write(&p, format!("{}x\n", "- ".repeat(200_000))).unwrap();
    let (out, finished) = run_bounded(
        &["lint", "--format", "concise", p.to_str().unwrap()],
        Duration::from_secs(30),
    );
    assert!(
        finished,
        "lint of a 400 KB nested list did not finish in 30 s"
    );
    // not a plan: many errors, but an answer (exit 1), never a crash
    assert_exit(&out, 1);
    assert!(stdout(&out).contains("DST001"), "{}", stdout(&out));
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read(fixture("plans/clean/change-scoped.md")).unwrap();
    let p = dir.path().join("change-scoped.md");
    let mut with_bom = b"\xef\xbb\xbf".to_vec();
    with_bom.extend_from_slice(&src);
    std::fs::write(&p, &with_bom).unwrap();
    let out = run(&["lint", "--format", "concise", p.to_str().unwrap()]);
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out),
        "",
        "a BOM plan must lint like the plan without it"
    );
    // a directory lint finds it as a plan too
    let out = run(&["lint", "--format", "concise", dir.path().to_str().unwrap()]);
    assert_exit(&out, 0);
    // a wrong title is still read as the title, at the file's own line and column (the
    // BOM is one character before the `#`)
    let broken = String::from_utf8(with_bom)
        .unwrap()
        .replacen("# Test Plan:", "# Plan:", 1);
    std::fs::write(&p, broken).unwrap();
    let out = run(&["lint", "--format", "concise", p.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(
        text.contains(":1:2: error[DST001] the title `Plan: change-scoped` is not"),
        "{text}"
    );
}

#[cfg(unix)]
#[test]
fn scenario_add_writes_through_a_symlinked_plan() {
    let dir = tempfile::tempdir().unwrap();
    let real_dir = dir.path().join("real");
    let link_dir = dir.path().join("testing-plans");
    std::fs::create_dir_all(&real_dir).unwrap();
    std::fs::create_dir_all(&link_dir).unwrap();
    let target = real_dir.join("change-scoped.md");
    std::fs::copy(fixture("plans/clean/change-scoped.md"), &target).unwrap();
    let link = link_dir.join("change-scoped.md");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let before = std::fs::read_to_string(&target).unwrap();
    let out = run_in(
        dir.path(),
        &[
            "scenario",
            "add",
            "--plan",
            "testing-plans/change-scoped.md",
            "--falsifies",
            "C1",
            "--name",
            "another_check",
        ],
    );
    assert_exit(&out, 0);
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(
        meta.file_type().is_symlink(),
        "the link was replaced by a file"
    );
    let after = std::fs::read_to_string(&target).unwrap();
    assert_ne!(before, after, "the real plan was not edited");
    assert!(after.contains("another_check"));
    // no temporary file left beside the link or the target
    for d in [&real_dir, &link_dir] {
        for e in std::fs::read_dir(d).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.contains("dstplan-tmp"), "left behind: {name}");
        }
    }
}

#[test]
fn many_trigger_words_in_one_paragraph_lint_in_linear_time() {
    // the negation and sentence look-backs of the wording rules read a bounded window, so a
    // paragraph with tens of thousands of trigger words stays linear
    let src = std::fs::read_to_string(fixture("plans/clean/project-wide.md")).unwrap();
    let confidence = "we do not say it cannot happen and ".repeat(40_000);
    let checker = "exactly-once keyed on the business key never on the op id and ".repeat(20_000);
    let text = src
        .replacen(
            "- **Checker:** exactly-once keyed by the business idempotency key `input.idem`",
            &format!("- **Checker:** {checker}"),
            1,
        )
        .replacen(
            "## 7d. Confidence statement\n",
            &format!("## 7d. Confidence statement\n\n{confidence}\n"),
            1,
        );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("project-wide.md");
    std::fs::write(&p, text).unwrap();
    let (out, finished) = run_bounded(
        &["lint", "--format", "concise", p.to_str().unwrap()],
        Duration::from_secs(30),
    );
    assert!(
        finished,
        "lint of 2.7 MB of trigger words did not finish in 30 s"
    );
    assert!(!stdout(&out).contains("DST046"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("DST073"), "{}", stdout(&out));
}
