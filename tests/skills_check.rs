//! `dstplan skills check`: our own pack is clean, and bad packs are reported with the right
//! exit code (0 clean, 1 errors found, 2 cannot read).

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::root;

/// Run `dstplan` in `cwd` with a private HOME (no installed skills leak in).
fn dstplan(cwd: &Path, home: &Path, args: &[&str]) -> Output {
    common::bin()
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env_remove("XDG_STATE_HOME")
        .env_remove("DSTPLAN_HOME")
        .output()
        .expect("run dstplan")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn our_own_skills_pass_with_no_errors_or_warnings() {
    let home = tempfile::tempdir().unwrap();
    let o = dstplan(&root(), home.path(), &["skills", "check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        o.stdout.is_empty(),
        "expected no diagnostics:\n{}",
        text(&o)
    );
    assert!(text(&o).contains("checked 3 skills"), "{}", text(&o));
}

#[test]
fn one_skill_directory_is_checked_alone() {
    let home = tempfile::tempdir().unwrap();
    let o = dstplan(
        &root(),
        home.path(),
        &[
            "skills",
            "check",
            "skills/reviewing-distributed-test-findings",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("checked 1 skill "), "{}", text(&o));
}

#[test]
fn a_broken_skill_is_exit_1_with_located_messages() {
    let home = tempfile::tempdir().unwrap();
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("skills/Wrong-Name");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("SKILL.md"),
        "---\nname: other\ndescription: ok\nversion: 1\nmetadata: {version: \"0.0.0\"}\n---\n[x](references/nope.md)\n",
    )
    .unwrap();
    let o = dstplan(t.path(), home.path(), &["skills", "check"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "SKILL.md:4: error: unknown front-matter key `version`",
        "the directory is `Wrong-Name`",
        "`metadata.version` is \"0.0.0\"",
        "SKILL.md:7: error: link `references/nope.md` does not resolve",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    // JSON output carries the same diagnostics
    let o = dstplan(
        t.path(),
        home.path(),
        &["skills", "check", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["diagnostics"].as_array().unwrap().len() >= 4);
}

#[test]
fn an_unreadable_dir_is_exit_2_with_a_hint() {
    let home = tempfile::tempdir().unwrap();
    let t = tempfile::tempdir().unwrap();
    let o = dstplan(t.path(), home.path(), &["skills", "check"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cannot read skills"), "{}", text(&o));
    let o = dstplan(t.path(), home.path(), &["skills", "check", "."]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("no skills found"), "{}", text(&o));
}

#[test]
fn installed_skills_of_another_version_are_a_warning() {
    let home = tempfile::tempdir().unwrap();
    let t = tempfile::tempdir().unwrap();
    let old = t
        .path()
        .join("old/skills/designing-distributed-system-tests");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::write(
        old.join("SKILL.md"),
        "---\nname: designing-distributed-system-tests\ndescription: d\nmetadata: {version: \"0.0.1\"}\n---\n",
    )
    .unwrap();
    let o = dstplan(
        t.path(),
        home.path(),
        &["install", "--agent", "claude", "--skills-dir", "old/skills"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = dstplan(&root(), home.path(), &["skills", "check"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a warning is not an error: {}",
        text(&o)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("warning: this installed skill is version 0.0.1"),
        "{out}"
    );
}

/// A skill whose SKILL.md links `target` (relative), with `files` created beside it.
fn skill_linking(t: &Path, target: &str, files: &[&str]) -> PathBuf {
    let dir = t.join("pack/linky-skill");
    std::fs::create_dir_all(dir.join("references")).unwrap();
    for f in files {
        std::fs::write(dir.join(f), "x\n").unwrap();
    }
    std::fs::write(
        dir.join("SKILL.md"),
        format!(
            "---\nname: linky-skill\ndescription: Links a file. Use when testing links.\nmetadata:\n  version: \"{}\"\n---\n# Linky\n\nSee [the notes]({target}).\n",
            env!("CARGO_PKG_VERSION")
        ),
    )
    .unwrap();
    t.join("pack")
}

#[test]
fn links_are_percent_decoded_beyond_spaces() {
    let home = tempfile::tempdir().unwrap();
    for (target, file) in [
        ("references/my%20notes.md", "references/my notes.md"),
        ("references/plan%231.md", "references/plan#1.md"),
        ("references/caf%C3%A9.md", "references/café.md"),
        ("references/100%25.md", "references/100%.md"),
    ] {
        let t = tempfile::tempdir().unwrap();
        let pack = skill_linking(t.path(), target, &[file]);
        let o = dstplan(
            t.path(),
            home.path(),
            &["skills", "check", pack.to_str().unwrap()],
        );
        assert_eq!(o.status.code(), Some(0), "{target}: {}", text(&o));
        // the undecoded name does not exist, so without decoding the link would be broken
        assert!(!pack.join("linky-skill").join(target).exists());
    }
    let t = tempfile::tempdir().unwrap();
    let pack = skill_linking(t.path(), "references/bad%FF.md", &[]);
    let o = dstplan(
        t.path(),
        home.path(),
        &["skills", "check", pack.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("not UTF-8"), "{}", text(&o));
}
