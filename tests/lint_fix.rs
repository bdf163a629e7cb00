//! `dstplan lint --fix`, `--diff` and `lint -` through the binary: mechanical fixes only,
//! written atomically in place; the diff previews exactly what `--fix` writes; standard
//! input is linted like a file.

mod common;
use common::*;

const MINIMAL: &str = "plans/clean/minimal.md";

/// The minimal clean plan with three mechanical problems: a label in lowercase, the §7.M line
/// in other letter case, and the §7.M.S line missing.
fn broken() -> String {
    let src = std::fs::read_to_string(fixture(MINIMAL)).unwrap();
    let out = src
        .replacen("- **Oracle:**", "- **oracle:**", 1)
        .replacen(
            "§7.M: not applicable (no gated claim category falsified)",
            "§7.m: NOT applicable (no gated claim category falsified)",
            1,
        )
        .replacen(
            "§7.M.S: not applicable (no boundary or fairness claim falsified)\n\n",
            "",
            1,
        );
    assert_ne!(out, src);
    out
}

#[test]
fn fix_repairs_labels_literals_and_missing_lines_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("minimal.md");
    std::fs::write(&p, broken()).unwrap();
    let before = run_in(dir.path(), &["lint", "--format", "concise", "minimal.md"]);
    assert!(stdout(&before).contains("DST064"), "{}", stdout(&before));
    let out = run_in(
        dir.path(),
        &["lint", "--fix", "--format", "concise", "minimal.md"],
    );
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "", "nothing left to report");
    assert!(
        stderr(&out).contains("fixed 3 problems in minimal.md"),
        "{}",
        stderr(&out)
    );
    let fixed = std::fs::read_to_string(&p).unwrap();
    assert_eq!(
        fixed,
        std::fs::read_to_string(fixture(MINIMAL)).unwrap(),
        "the fix restores the clean plan exactly"
    );
    // a second run has nothing to fix and leaves the file alone
    let again = run_in(
        dir.path(),
        &["lint", "--fix", "--format", "concise", "minimal.md"],
    );
    assert_exit(&again, 0);
    assert!(!stderr(&again).contains("fixed"), "{}", stderr(&again));
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains("dstplan-tmp"), "left behind: {name}");
    }
}

#[test]
fn fix_changes_no_wording_it_cannot_fix_mechanically() {
    // a weak oracle is reported, never rewritten
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("minimal.md");
    let src = std::fs::read_to_string(fixture(MINIMAL))
        .unwrap()
        .replacen(
            "- **Oracle:** the first successful probe after each restart arrives within 2 s of the restart",
            "- **oracle:** logs look fine",
            1,
        );
    std::fs::write(&p, &src).unwrap();
    let out = run_in(
        dir.path(),
        &["lint", "--fix", "--format", "concise", "minimal.md"],
    );
    assert_exit(&out, 1);
    assert!(stdout(&out).contains("DST033"), "{}", stdout(&out));
    let fixed = std::fs::read_to_string(&p).unwrap();
    assert!(fixed.contains("- **Oracle:** logs look fine"), "{fixed}");
}

#[test]
fn diff_previews_the_fix_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("minimal.md");
    let text = broken();
    std::fs::write(&p, &text).unwrap();
    let out = run_in(dir.path(), &["lint", "--diff", "minimal.md"]);
    assert_exit(&out, 0);
    let d = stdout(&out);
    assert!(d.starts_with("--- a/minimal.md\n+++ b/minimal.md\n"), "{d}");
    assert!(d.contains("-- **oracle:**"), "{d}");
    assert!(d.contains("+- **Oracle:**"), "{d}");
    assert!(
        d.contains("+§7.M.S: not applicable (no boundary or fairness claim falsified)"),
        "{d}"
    );
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        text,
        "--diff wrote to the plan"
    );
    // the diff applies to give exactly what --fix writes
    if require(
        std::process::Command::new("patch")
            .arg("--version")
            .output()
            .is_ok(),
        "the `patch` tool",
    ) {
        let patched = dir.path().join("patched.md");
        std::fs::write(&patched, &text).unwrap();
        std::fs::write(dir.path().join("d.patch"), &d).unwrap();
        let st = std::process::Command::new("patch")
            .current_dir(dir.path())
            .args(["-s", "patched.md", "d.patch"])
            .status()
            .unwrap();
        assert!(st.success());
        run_in(dir.path(), &["lint", "--fix", "minimal.md"]);
        assert_eq!(
            std::fs::read_to_string(&patched).unwrap(),
            std::fs::read_to_string(&p).unwrap()
        );
    }
    // a clean plan has no diff
    let clean = run(&["lint", "--diff", "tests/fixtures/plans/clean/minimal.md"]);
    assert_exit(&clean, 0);
    assert_eq!(stdout(&clean), "");
}

#[test]
fn lint_reads_standard_input() {
    let src = std::fs::read(fixture(MINIMAL)).unwrap();
    let out = run_with_stdin(&["lint", "--format", "concise", "-"], &src);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "");
    let out = run_with_stdin(&["lint", "--format", "concise", "-"], broken().as_bytes());
    assert_exit(&out, 0); // only a warning
    assert!(
        stdout(&out).starts_with("<stdin>:"),
        "diagnostics are named after standard input: {}",
        stdout(&out)
    );
    let out = run_with_stdin(&["lint", "--diff", "-"], broken().as_bytes());
    assert!(stdout(&out).contains("+++ b/<stdin>"), "{}", stdout(&out));
    // bad input is refused like a bad file
    let out = run_with_stdin(&["lint", "-"], b"# Test Plan: x\n\0\n");
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("<stdin>:2"), "{}", stderr(&out));
    // --fix cannot write to standard input; mixing `-` with files is refused (both before
    // anything is read, so no input is given)
    let out = run(&["lint", "--fix", "-"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("--diff"), "{}", stderr(&out));
    let out = run(&["lint", "-", "tests/fixtures/plans/clean/minimal.md"]);
    assert_exit(&out, 2);
}

#[test]
fn fixes_never_panic_and_a_second_pass_has_nothing_left_on_edited_plans() {
    // every plan of the fixtures, with one line dropped at a time (every 3rd line, to stay
    // quick): the fixes apply cleanly, and fixing the result again changes nothing
    let mut plans = Vec::new();
    for dir in ["plans/clean", "plans/real"] {
        for e in std::fs::read_dir(fixture(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "md") {
                plans.push(std::fs::read_to_string(p).unwrap());
            }
        }
    }
    let mut checked = 0;
    for src in &plans {
        let lines: Vec<&str> = src.split_inclusive('\n').collect();
        for drop in (0..lines.len()).step_by(3) {
            let text: String = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != drop)
                .map(|(_, l)| *l)
                .collect();
            let plan = dstplan::plan::parse(&text);
            let edits = dstplan::lint::fix::fixes(&plan, &text);
            let fixed = dstplan::lint::fix::apply(&text, &edits);
            let again = dstplan::lint::fix::fixes(&dstplan::plan::parse(&fixed), &fixed);
            assert!(
                again.is_empty(),
                "line {drop} dropped: a second pass still fixes {again:?}"
            );
            checked += 1;
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn fix_spells_header_and_hypothesis_labels_too() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("minimal.md");
    let src = std::fs::read_to_string(fixture(MINIMAL)).unwrap();
    let broken =
        src.replacen("**SUT:**", "**sut:**", 1)
            .replacen("- Could falsify:", "- could FALSIFY:", 1);
    assert_ne!(broken, src);
    std::fs::write(&p, &broken).unwrap();
    let out = run_in(dir.path(), &["lint", "--fix", "minimal.md"]);
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("fixed 2 problems"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&p).unwrap(), src);
}
