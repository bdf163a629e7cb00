//! The evals the repository publishes under `evals/<skill>/`: every `evals.json` loads (which
//! also checks each mechanical command against dstplan's own argument parser), names a skill
//! that exists, has at least six evals with unique ids and fixture files that exist; every
//! skill has at least one recorded run; and every recorded run, re-graded now, passes all its
//! mechanical assertions. A rule change that breaks a published eval fails here.

use std::path::PathBuf;

use clap::CommandFactory;

mod common;
use common::{copy_dir, root};

fn skills() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("evals"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("evals.json").is_file())
        .collect();
    v.sort();
    v
}

#[test]
fn every_skill_has_an_evals_file() {
    let names: Vec<String> = skills()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for s in [
        "designing-distributed-system-tests",
        "executing-distributed-system-tests",
        "reviewing-distributed-test-findings",
    ] {
        assert!(names.iter().any(|n| n == s), "no evals/{s}/evals.json");
    }
}

#[test]
fn committed_evals_files_are_well_formed() {
    let subcommands: Vec<String> = dstplan::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for dir in skills() {
        let path = dir.join("evals.json");
        let f = dstplan::eval::load(&path, dstplan::cli::accepts).unwrap_or_else(|e| panic!("{e}"));
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(f.skill_name, name, "{}", path.display());
        assert!(
            root().join("skills").join(&name).join("SKILL.md").is_file(),
            "{name}: no skills/{name}/SKILL.md"
        );
        assert!(f.evals.len() >= 6, "{name}: only {} evals", f.evals.len());
        let mut ids: Vec<&str> = f.evals.iter().map(|e| e.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), f.evals.len(), "{name}: duplicate ids");
        for ev in &f.evals {
            assert!(
                !ev.prompt.trim().is_empty(),
                "{name} eval {}: empty prompt",
                ev.id
            );
            assert!(
                !ev.expected_output.trim().is_empty(),
                "{name} eval {}: empty expected_output",
                ev.id
            );
            for file in &ev.files {
                assert!(
                    file.starts_with("files/") && !file.contains(".."),
                    "{name} eval {}: `{file}` is not under files/",
                    ev.id
                );
                assert!(
                    dir.join(file).is_file(),
                    "{name} eval {}: `{file}` does not exist",
                    ev.id
                );
            }
            assert!(
                !ev.assertions.is_empty(),
                "{name} eval {}: no assertions",
                ev.id
            );
            for a in &ev.assertions {
                if let Some((cmd, _)) = a.mechanical() {
                    let words = dstplan::eval::check_command(cmd, dstplan::cli::accepts)
                        .unwrap_or_else(|e| panic!("{name} eval {}: {e}", ev.id));
                    assert!(
                        subcommands.contains(&words[0]),
                        "{name} eval {}: `{cmd}` names no dstplan subcommand",
                        ev.id
                    );
                }
            }
        }
    }
}

/// Every run directory under `evals/<skill>/runs/`.
fn runs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in skills() {
        let runs = dir.join("runs");
        let mut here: Vec<PathBuf> = std::fs::read_dir(&runs)
            .unwrap_or_else(|_| panic!("{}: no runs/ directory", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        assert!(!here.is_empty(), "{}: no recorded run", dir.display());
        here.sort();
        v.extend(here);
    }
    v
}

#[test]
fn every_committed_run_regrades_with_all_mechanical_assertions_passing() {
    for run in runs() {
        let skill_dir = run.parent().unwrap().parent().unwrap();
        // Grade a copy: grading rewrites grading.json, and some commands read the run's output.
        let tmp = tempfile::tempdir().unwrap();
        let copy = tmp.path().join(run.file_name().unwrap());
        copy_dir(&run, &copy);
        let o = common::bin()
            .args(["eval", "grade"])
            .arg(&copy)
            .arg("--evals")
            .arg(skill_dir.join("evals.json"))
            .output()
            .unwrap();
        let g: serde_json::Value = std::fs::read_to_string(copy.join("grading.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(serde_json::Value::Null);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}: {}\n{}\n{g:#}",
            run.display(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            g["summary"]["mechanical"].as_u64().unwrap() >= 1,
            "{}",
            run.display()
        );
        assert_eq!(g["summary"]["failed"], 0, "{}", run.display());

        // The committed grading.json agrees with a fresh one on every verdict.
        let committed: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run.join("grading.json")).unwrap())
                .unwrap_or_else(|e| panic!("{}: grading.json: {e}", run.display()));
        assert_eq!(committed["summary"], g["summary"], "{}", run.display());
        assert_eq!(committed["eval_id"], g["eval_id"], "{}", run.display());
    }
}
