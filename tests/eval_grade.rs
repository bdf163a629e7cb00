//! `dstplan eval grade` through the binary, on the fixture skill in
//! `tests/fixtures/evals/sample-skill/` copied into a temporary directory (grading writes
//! `grading.json` into the run directory): passing, failing and judged assertions, the
//! grading.json shape, run lookup by `run.json` and by directory name, `--evals`, and every
//! exit-2 path (malformed file with its line, unknown id, commands that are not `dstplan`,
//! unknown flags, shell syntax) leaving no grading.json behind.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{copy_dir, root, run, stderr};

fn fixture() -> PathBuf {
    root().join("tests/fixtures/evals/sample-skill")
}

/// A copy of the fixture skill at `<tmp>/evals/sample-skill`; returns (tmp, skill dir).
fn skill() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("evals").join("sample-skill");
    copy_dir(&fixture(), &dir);
    (tmp, dir)
}

fn grade(run: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["eval", "grade", run.to_str().unwrap()];
    args.extend_from_slice(extra);
    common::run(&args)
}

fn grading(run: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(run.join("grading.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn mixed_run_fails_and_records_every_assertion() {
    let (_tmp, dir) = skill();
    let run = dir.join("runs/1-mixed");
    let o = grade(&run, &[]);
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(&o));
    let g = grading(&run);
    assert_eq!(g["version"], 1);
    assert_eq!(g["eval_id"], 1);
    assert_eq!(g["skill_name"], "sample-skill");
    let a = g["assertions"].as_array().unwrap();
    assert_eq!(a.len(), 3);

    assert_eq!(a[0]["kind"], "mechanical");
    assert_eq!(a[0]["command"], "dstplan lint {out}/plan.md");
    assert_eq!(a[0]["expect_exit"], 0);
    assert_eq!(a[0]["exit"], 0);
    assert_eq!(a[0]["passed"], true);
    // Substituted paths are written back as placeholders.
    let tail = a[0]["stdout_tail"].as_str().unwrap();
    assert!(!tail.contains(run.to_str().unwrap()), "{tail}");

    assert_eq!(a[1]["kind"], "mechanical");
    assert_eq!(a[1]["exit"], 1);
    assert_eq!(a[1]["passed"], false);
    assert!(a[1]["stdout_tail"]
        .as_str()
        .unwrap()
        .contains("{files}/weak.md"));
    assert!(a[1]["stdout_tail"].as_str().unwrap().contains("DST033"));

    assert_eq!(a[2]["kind"], "judged");
    assert_eq!(a[2]["text"], "the plan reads well");
    assert_eq!(a[2]["passed"], serde_json::Value::Null);
    assert_eq!(a[2]["status"], "needs-judgement");

    assert_eq!(
        g["summary"],
        serde_json::json!({"mechanical": 2, "passed": 1, "failed": 1, "judged": 1})
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("FAIL"), "{out}");
}

#[test]
fn run_json_names_the_eval_and_all_passing_exits_zero() {
    let (_tmp, dir) = skill();
    let run = dir.join("runs/all-pass");
    let o = grade(&run, &[]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let g = grading(&run);
    assert_eq!(g["eval_id"], "2");
    // expect_exit defaults to 0.
    assert_eq!(g["assertions"][0]["expect_exit"], 0);
    assert_eq!(
        g["summary"],
        serde_json::json!({"mechanical": 2, "passed": 2, "failed": 0, "judged": 0})
    );
}

#[test]
fn grading_json_is_replaced_on_a_second_run() {
    let (_tmp, dir) = skill();
    let run = dir.join("runs/all-pass");
    std::fs::write(run.join("grading.json"), "stale").unwrap();
    assert_eq!(grade(&run, &[]).status.code(), Some(0));
    assert_eq!(grading(&run)["version"], 1);
}

#[test]
fn without_out_dir_the_run_dir_is_out_and_evals_can_be_named() {
    let (tmp, dir) = skill();
    // A run elsewhere, no out/, no run.json: the name up to the first `-` is the id.
    let run = tmp.path().join("2-flat");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::copy(dir.join("runs/all-pass/out/plan.md"), run.join("plan.md")).unwrap();
    let evals = dir.join("evals.json");
    let o = grade(&run, &["--evals", evals.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(grading(&run)["eval_id"], "2");
}

/// Rewrite the copied evals.json with `f`, grade run 1, and return the output.
fn grade_with_evals(f: impl Fn(&str) -> String) -> (tempfile::TempDir, PathBuf, Output) {
    let (tmp, dir) = skill();
    let p = dir.join("evals.json");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, f(&text)).unwrap();
    let run = dir.join("runs/1-mixed");
    let o = grade(&run, &[]);
    (tmp, run, o)
}

#[test]
fn malformed_evals_json_is_exit_2_with_its_line() {
    let (_tmp, run, o) = grade_with_evals(|t| {
        t.replace(
            "\"prompt\": \"Write a plan to plan.md.\",",
            "\"prompt\": \"Write a plan\" oops,",
        )
    });
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("evals.json:6:"), "{e}");
    assert!(!run.join("grading.json").exists());
}

#[test]
fn missing_field_is_exit_2_with_its_line() {
    let (_tmp, run, o) =
        grade_with_evals(|t| t.replace("\"prompt\": \"Write a plan to plan.md.\",", ""));
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("evals.json:") && e.contains("prompt"), "{e}");
    assert!(!run.join("grading.json").exists());
}

#[test]
fn missing_evals_file_is_exit_2() {
    let (_tmp, dir) = skill();
    std::fs::remove_file(dir.join("evals.json")).unwrap();
    let run = dir.join("runs/1-mixed");
    let o = grade(&run, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--evals"), "{}", stderr(&o));
}

#[test]
fn unknown_eval_id_is_exit_2() {
    let (_tmp, dir) = skill();
    let run = dir.join("runs/all-pass");
    std::fs::write(run.join("run.json"), r#"{"eval_id": 42}"#).unwrap();
    let o = grade(&run, &[]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("42") && e.contains("known ids: 1, 2"), "{e}");
    assert!(!run.join("grading.json").exists());
}

#[test]
fn non_dstplan_command_is_exit_2_with_its_line() {
    let (_tmp, run, o) = grade_with_evals(|t| {
        t.replace(
            "\"dstplan lint {files}/weak.md\", \"expect_exit\": 0",
            "\"rm -rf {out}\", \"expect_exit\": 0",
        )
    });
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("evals.json:11:") && e.contains("must start with `dstplan`"),
        "{e}"
    );
    assert!(!run.join("grading.json").exists());
    assert!(run.join("out/plan.md").exists());
}

#[test]
fn unknown_subcommand_or_flag_is_exit_2() {
    for bad in ["dstplan lnt {out}", "dstplan lint {out} --no-such-flag"] {
        let (_tmp, run, o) = grade_with_evals(|t| t.replace("dstplan lint {files}/weak.md", bad));
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(
            stderr(&o).contains("not a valid dstplan invocation"),
            "{}",
            stderr(&o)
        );
        assert!(!run.join("grading.json").exists());
    }
}

#[test]
fn shell_syntax_is_exit_2() {
    let (_tmp, run, o) = grade_with_evals(|t| {
        t.replace(
            "dstplan lint {files}/weak.md",
            "dstplan lint {files}/weak.md | head",
        )
    });
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("without a shell"), "{}", stderr(&o));
    assert!(!run.join("grading.json").exists());
}

#[test]
fn duplicate_ids_are_exit_2() {
    let (_tmp, _run, o) = grade_with_evals(|t| t.replace("\"id\": \"2\"", "\"id\": 1"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("used twice"), "{}", stderr(&o));
}

#[test]
fn run_dir_that_does_not_exist_is_exit_2() {
    let o = run(&["eval", "grade", "/no/such/run"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a directory"));
}

#[test]
fn paths_with_spaces_stay_one_argument() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("my evals").join("sample skill");
    copy_dir(&fixture(), &dir);
    let run = dir.join("runs/all-pass");
    let o = grade(&run, &[]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(grading(&run)["summary"]["passed"], 2);
}

/// Grade run 1 with its first assertion's command replaced by `command`, with HOME in the
/// temporary directory (so a command that escaped could only touch that).
fn grade_replacing_first(command: &str) -> (tempfile::TempDir, PathBuf, Output) {
    let (tmp, dir) = skill();
    let p = dir.join("evals.json");
    let text = std::fs::read_to_string(&p).unwrap();
    let quoted = serde_json::to_string(command).unwrap();
    let quoted = &quoted[1..quoted.len() - 1];
    std::fs::write(&p, text.replacen("dstplan lint {out}/plan.md", quoted, 1)).unwrap();
    let run = dir.join("runs/1-mixed");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let o = common::bin()
        .args(["eval", "grade", run.to_str().unwrap(), "--timeout", "20"])
        .env("HOME", &home)
        .env_remove("XDG_STATE_HOME")
        .env_remove("DSTPLAN_HOME")
        .output()
        .unwrap();
    (tmp, run, o)
}

#[test]
fn commands_that_write_are_refused_and_write_nothing() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("clobbered.md");
    let t = target.to_str().unwrap();
    for cmd in [
        format!("dstplan new victim --out '{t}' --force"),
        format!("dstplan history check {{out}}/plan.md --model register --html '{t}'"),
        "dstplan report {out} --force --check".to_string(),
        "dstplan report {out}".to_string(),
    ] {
        let (_tmp, run, o) = grade_replacing_first(&cmd);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains("evals.json:") && e.contains("may only read"),
            "{cmd}: {e}"
        );
        assert!(!target.exists(), "{cmd} wrote {}", target.display());
        assert!(!run.join("grading.json").exists());
    }
}

#[test]
fn install_and_recursive_grading_are_refused() {
    for cmd in ["dstplan install --agent all", "dstplan eval grade {run}"] {
        let (tmp, run, o) = grade_replacing_first(cmd);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("can write files or run commands"),
            "{}",
            stderr(&o)
        );
        assert!(
            !tmp.path().join("home/.claude").exists(),
            "{cmd} installed skills"
        );
        assert!(!run.join("grading.json").exists());
    }
}

#[test]
fn paths_outside_the_run_and_the_fixtures_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    let plan = outside.path().join("plan.md");
    std::fs::copy(fixture().join("runs/all-pass/out/plan.md"), &plan).unwrap();
    for cmd in [
        format!("dstplan lint '{}'", plan.display()),
        "dstplan lint {out}/../../../../evals.json".to_string(),
    ] {
        let (_tmp, run, o) = grade_replacing_first(&cmd);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("outside the run directory"),
            "{}",
            stderr(&o)
        );
        assert!(!run.join("grading.json").exists());
    }
}

#[test]
fn a_run_directory_named_like_a_placeholder_keeps_its_path() {
    let (_tmp, dir) = skill();
    let run = dir.join("runs/1-{files}");
    std::fs::rename(dir.join("runs/1-mixed"), &run).unwrap();
    let o = grade(&run, &[]);
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(&o));
    let g = grading(&run);
    // `dstplan lint {out}/plan.md` found the plan under `1-{files}/out/`
    assert_eq!(g["assertions"][0]["passed"], true, "{g:#}");
    assert_eq!(g["assertions"][1]["passed"], false);
}
