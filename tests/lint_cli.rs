//! `dstplan lint`, `rules` and `explain` through the binary: output formats (golden files),
//! exit codes, plan discovery, configuration, and bad input.

use std::path::Path;
use std::process::Command;

mod common;
use common::*;

/// Compare with a golden file of `tests/fixtures/plans/formats/expected`.
fn golden_format(name: &str, actual: &str) {
    golden(&fixture("plans/formats/expected").join(name), actual);
}

const MIXED: &str = "tests/fixtures/plans/formats/mixed.md";

#[test]
fn every_format_matches_its_golden_file() {
    for (fmt, file) in [
        ("text", "mixed.text"),
        ("concise", "mixed.concise"),
        ("json", "mixed.json"),
        ("sarif", "mixed.sarif"),
        ("github", "mixed.github"),
    ] {
        let o = run(&["lint", "--format", fmt, MIXED]);
        assert_eq!(o.status.code(), Some(1), "{fmt}: {}", stderr(&o));
        let out = stdout(&o).replace(env!("CARGO_PKG_VERSION"), "<version>");
        golden_format(file, &out);
    }
}

#[test]
fn json_output_has_the_documented_keys() {
    let o = run(&["lint", "--format", "json", MIXED]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["files"][0]["path"], MIXED);
    assert_eq!(v["files"][0]["errors"], 3);
    assert_eq!(v["files"][0]["warnings"], 1);
    let d = &v["diagnostics"][2];
    for k in [
        "path", "line", "column", "end_line", "severity", "code", "message", "help",
    ] {
        assert!(d.get(k).is_some(), "missing {k}");
    }
    assert_eq!(d["code"], "DST020");
    assert_eq!(
        d["message"],
        "scenario S1 cites claim C7, which §1b does not define"
    );
}

#[test]
fn sarif_output_validates_against_the_sarif_schema() {
    let o = run(&["lint", "--format", "sarif", MIXED]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.sarif");
    std::fs::write(&out, &o.stdout).unwrap();
    let schema = root().join("tests/fixtures/sarif/sarif-2.1.0-subset.schema.json");
    let script = "import json,sys,jsonschema\ns=json.load(open(sys.argv[1]));d=json.load(open(sys.argv[2]))\njsonschema.validate(d,s,format_checker=jsonschema.FormatChecker())\nprint('valid')";
    let py = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&schema)
        .arg(&out)
        .output()
        .expect("python3 is needed for the SARIF schema test");
    assert!(
        py.status.success(),
        "SARIF does not validate:\n{}",
        String::from_utf8_lossy(&py.stderr)
    );
    // a deliberately broken log must fail, so the validator is not vacuous
    let broken =
        String::from_utf8_lossy(&o.stdout).replace("\"level\": \"error\"", "\"level\": \"fatal\"");
    std::fs::write(&out, broken).unwrap();
    let py = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&schema)
        .arg(&out)
        .output()
        .unwrap();
    assert!(!py.status.success(), "the schema accepted an invalid level");
}

#[test]
fn exit_codes_follow_the_contract() {
    assert_eq!(
        run(&["lint", "tests/fixtures/plans/clean/minimal.md"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(run(&["lint", MIXED]).status.code(), Some(1));
    let legacy = "tests/fixtures/plans/legacy/pack-style.md";
    let o = run(&["lint", "--format", "concise", legacy]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "warnings alone pass: {}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("warning[DST032]"));
    assert!(!stdout(&o).contains("error["));
    assert_eq!(run(&["lint", "--strict", legacy]).status.code(), Some(1));
    assert_eq!(run(&["lint", "no/such/plan.md"]).status.code(), Some(2));
    assert_eq!(
        run(&["lint", "--format", "yaml", MIXED]).status.code(),
        Some(2)
    );
}

#[test]
fn the_shared_reference_example_lints_with_no_diagnostics() {
    let p = root().join("../shared/examples/redis-sentinel-projectwide.md");
    if !p.exists() {
        eprintln!("skipped: ../shared/examples is not present");
        return;
    }
    let o = run(&[
        "lint",
        "--strict",
        "--format",
        "concise",
        p.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o), "");
}

fn write(p: &Path, s: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, s).unwrap();
}

#[test]
fn directories_default_paths_and_gitignore() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // no path and nothing to find: exit 2, never a silent pass
    let o = run_in(d, &["lint"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no test plans found"), "{}", stderr(&o));

    let minimal =
        std::fs::read_to_string(root().join("tests/fixtures/plans/clean/minimal.md")).unwrap();
    write(&d.join("testing-plans/minimal.md"), &minimal);
    write(&d.join("testing-plans/notes.md"), "# Notes\n\nnot a plan\n");
    let broken = minimal.replace(
        "- **Falsifies if it FAILs:** C1",
        "- **Falsifies if it FAILs:** C1, C5",
    );
    write(
        &d.join("testing-plans/ignored/broken.md"),
        &broken.replace("# Test Plan: minimal", "# Test Plan: broken"),
    );
    write(&d.join(".gitignore"), "ignored/\n");
    let o = run_in(d, &["lint", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files: Vec<_> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(files, ["testing-plans/minimal.md"]);
    // without the ignore file the broken plan is found
    std::fs::remove_file(d.join(".gitignore")).unwrap();
    let o = run_in(d, &["lint", "--format", "concise", "testing-plans"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("broken.md:") && stdout(&o).contains("DST020"),
        "{}",
        stdout(&o)
    );
    // a directory without plans is exit 2
    std::fs::create_dir_all(d.join("empty")).unwrap();
    assert_eq!(run_in(d, &["lint", "empty"]).status.code(), Some(2));
    // a file named explicitly is linted even when it is not a plan
    let o = run_in(
        d,
        &["lint", "--format", "concise", "testing-plans/notes.md"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("DST001"), "{}", stdout(&o));
}

#[test]
fn config_file_sets_severity_and_extra_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let minimal =
        std::fs::read_to_string(root().join("tests/fixtures/plans/clean/change-scoped.md"))
            .unwrap();
    let text = minimal
        .replace(
            "- **Checker:** prefix-order",
            "- **Checker:** order-sniffer",
        )
        .replace(
            "process-kill (SIGKILL to one consumer)",
            "consumer-chaos (SIGKILL to one consumer)",
        );
    write(&d.join("plans/change-scoped.md"), &text);
    let o = run_in(
        d,
        &["lint", "--format", "concise", "plans/change-scoped.md"],
    );
    assert!(
        stdout(&o).contains("DST043") && stdout(&o).contains("DST049"),
        "{}",
        stdout(&o)
    );
    write(
        &d.join("dstplan.toml"),
        "[vocab]\ncheckers = [\"order-sniffer\"]\n\n[rules]\nunknown-nemesis = \"off\"\n",
    );
    let o = run_in(
        d,
        &[
            "lint",
            "--strict",
            "--format",
            "concise",
            "plans/change-scoped.md",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    write(&d.join("dstplan.toml"), "[rules]\nDST049 = \"error\"\n");
    let o = run_in(
        d,
        &["lint", "--format", "concise", "plans/change-scoped.md"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("error[DST049]"), "{}", stdout(&o));
    write(&d.join("dstplan.toml"), "[rulez]\nDST049 = \"off\"\n");
    let o = run_in(d, &["lint", "plans/change-scoped.md"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("dstplan.toml"), "{}", stderr(&o));
}

#[test]
fn bad_input_is_exit_2_with_a_clear_message_and_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("binary.md"), b"# Test Plan: x\n\0\x01\x02").unwrap();
    let o = run_in(d, &["lint", "binary.md"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("binary.md:2: is a binary file"),
        "{}",
        stderr(&o)
    );
    std::fs::write(d.join("latin1.md"), b"# Test Plan: x\n\ncaf\xe9\n").unwrap();
    let o = run_in(d, &["lint", "latin1.md"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("latin1.md:3: is not valid UTF-8"),
        "{}",
        stderr(&o)
    );
    // machine formats put the error on stdout as JSON, and nothing else
    let o = run_in(d, &["lint", "--format", "json", "latin1.md"]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"]["path"], "latin1.md");
    assert_eq!(v["error"]["line"], 3);
    // a 200 MB file is refused before it is read
    let big = std::fs::File::create(d.join("big.md")).unwrap();
    big.set_len(200 * 1024 * 1024).unwrap();
    let o = run_in(d, &["lint", "big.md"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("larger than"), "{}", stderr(&o));
    // heading only, deep nesting, a lone table: diagnostics, no panic
    std::fs::write(d.join("heading.md"), "# Test Plan: heading\n").unwrap();
    let o = run_in(d, &["lint", "--format", "concise", "heading.md"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("DST010"), "{}", stdout(&o));
    let deep = format!(
        "# Test Plan: deep\n\n## 7. Scenarios\n\n{}x\n{}\n",
        ">".repeat(5000),
        "- ".repeat(3000)
    );
    std::fs::write(d.join("deep.md"), deep).unwrap();
    let o = run_in(d, &["lint", "--format", "concise", "deep.md"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn rules_and_explain() {
    let o = run(&["rules"]);
    assert_eq!(o.status.code(), Some(0));
    let n = stdout(&o).lines().count();
    assert_eq!(n, dstplan::lint::registry().len());
    assert!(stdout(&o).contains("DST020  unknown-reference"));
    let o = run(&["explain", "DST020"]);
    assert_eq!(o.status.code(), Some(0));
    let s = stdout(&o);
    assert!(s.starts_with("DST020 unknown-reference (error)"), "{s}");
    assert!(
        s.contains("## Example") && s.contains("Use instead") && s.contains("C99"),
        "{s}"
    );
    assert!(s.contains("defined in src/lint/rules/ids.rs"), "{s}");
    let o = run(&["explain", "landing-evidence-missing", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["code"], "DST047");
    let o = run(&["explain", "DST999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("dstplan rules"));
}
