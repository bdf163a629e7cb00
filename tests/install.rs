//! `dstplan install` / `dstplan uninstall` against a temporary HOME.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SKILLS: [&str; 3] = [
    "designing-distributed-system-tests",
    "executing-distributed-system-tests",
    "reviewing-distributed-test-findings",
];

fn skills_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("skills")
        .canonicalize()
        .unwrap()
}

struct Sandbox {
    _t: tempfile::TempDir,
    home: PathBuf,
    proj: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().canonicalize().unwrap();
        let home = root.join("home");
        let proj = root.join("proj");
        fs::create_dir_all(&home).unwrap();
        fs::create_dir_all(&proj).unwrap();
        Sandbox { _t: t, home, proj }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_dstplan"))
            .args(args)
            .current_dir(&self.proj)
            .env("HOME", &self.home)
            .env_remove("XDG_STATE_HOME")
            .env_remove("DSTPLAN_HOME")
            .output()
            .expect("run dstplan")
    }

    fn install(&self, extra: &[&str]) -> Output {
        let dir = skills_dir();
        let mut args = vec!["install", "--skills-dir", dir.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn manifest(&self) -> serde_json::Value {
        let p = self.home.join(".local/state/dstplan/installed.json");
        serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap()
    }
}

fn out(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[cfg_attr(not(unix), allow(dead_code))]
fn is_link_to(p: &Path, target: &Path) -> bool {
    fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
        && fs::read_link(p).unwrap() == target
}

#[cfg(unix)]
#[test]
fn install_links_every_skill_and_is_idempotent() {
    let s = Sandbox::new();
    let o = s.install(&["--agent", "claude"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    for name in SKILLS {
        let link = s.home.join(".claude/skills").join(name);
        assert!(
            is_link_to(&link, &skills_dir().join(name)),
            "{}",
            link.display()
        );
        assert!(link.join("SKILL.md").is_file());
    }
    assert_eq!(
        String::from_utf8_lossy(&o.stdout)
            .matches("created ")
            .count(),
        3
    );
    assert_eq!(s.manifest()["entries"].as_array().unwrap().len(), 3);

    let again = s.install(&["--agent", "claude"]);
    assert_eq!(again.status.code(), Some(0), "{}", out(&again));
    let text = String::from_utf8_lossy(&again.stdout);
    assert_eq!(text.matches("unchanged ").count(), 3, "{text}");
    assert!(!text.contains("created"), "{text}");
    assert_eq!(s.manifest()["entries"].as_array().unwrap().len(), 3);
}

#[cfg(unix)]
#[test]
fn every_agent_gets_its_own_user_directory() {
    let s = Sandbox::new();
    let o = s.install(&["--agent", "all"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    for dir in [
        ".claude/skills",
        ".agents/skills",
        ".gemini/skills",
        ".copilot/skills",
        ".cursor/skills",
    ] {
        for name in SKILLS {
            assert!(
                is_link_to(&s.home.join(dir).join(name), &skills_dir().join(name)),
                "{dir}/{name}"
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn project_scope_links_under_the_current_directory() {
    let s = Sandbox::new();
    let o = s.install(&["--agent", "all", "--scope", "project"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(s
        .proj
        .join(".claude/skills")
        .join(SKILLS[0])
        .join("SKILL.md")
        .is_file());
    assert!(s
        .proj
        .join(".agents/skills")
        .join(SKILLS[0])
        .join("SKILL.md")
        .is_file());
    assert!(!s.home.join(".claude").exists(), "user scope untouched");
    let o = s.run(&["uninstall", "--agent", "all", "--scope", "project"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(fs::symlink_metadata(s.proj.join(".agents/skills").join(SKILLS[0])).is_err());
}

#[test]
fn dry_run_changes_nothing() {
    let s = Sandbox::new();
    let o = s.install(&["--agent", "codex", "--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(text.matches("would create ").count(), 3, "{text}");
    assert!(!s.home.join(".agents").exists());
    assert!(!s.home.join(".local/state/dstplan/installed.json").exists());
}

#[cfg(unix)]
#[test]
fn a_path_it_did_not_create_is_never_replaced() {
    let s = Sandbox::new();
    let mine = s.home.join(".gemini/skills").join(SKILLS[1]);
    fs::create_dir_all(&mine).unwrap();
    fs::write(mine.join("notes.txt"), "keep me").unwrap();
    let o = s.install(&["--agent", "all"]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("nothing was installed"), "{err}");
    assert!(err.contains(&mine.display().to_string()), "{err}");
    assert!(err.contains("a directory") && err.contains("mv "), "{err}");
    assert_eq!(
        fs::read_to_string(mine.join("notes.txt")).unwrap(),
        "keep me"
    );
    assert!(!s.home.join(".claude/skills").exists(), "all or nothing");

    // a foreign symlink is refused too
    fs::remove_dir_all(&mine).unwrap();
    std::os::unix::fs::symlink("/tmp", &mine).unwrap();
    let o = s.install(&["--agent", "gemini"]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("a symlink to /tmp"));
    assert_eq!(fs::read_link(&mine).unwrap(), PathBuf::from("/tmp"));
}

#[cfg(unix)]
#[test]
fn uninstall_removes_only_what_install_created() {
    let s = Sandbox::new();
    let dir = s.home.join(".cursor/skills");
    fs::create_dir_all(&dir).unwrap();
    // the user's own correct-looking link: install leaves it and does not record it
    std::os::unix::fs::symlink(skills_dir().join(SKILLS[0]), dir.join(SKILLS[0])).unwrap();
    fs::create_dir_all(dir.join("someone-elses-skill")).unwrap();
    let o = s.install(&["--agent", "cursor"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("not created by dstplan"));

    let dry = s.run(&["uninstall", "--agent", "cursor", "--dry-run"]);
    assert_eq!(
        String::from_utf8_lossy(&dry.stdout)
            .matches("would remove")
            .count(),
        2
    );
    assert!(dir.join(SKILLS[1]).exists());

    let o = s.run(&["uninstall", "--agent", "cursor"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(fs::symlink_metadata(dir.join(SKILLS[1])).is_err());
    assert!(fs::symlink_metadata(dir.join(SKILLS[2])).is_err());
    assert!(
        fs::symlink_metadata(dir.join(SKILLS[0])).is_ok(),
        "not ours"
    );
    assert!(dir.join("someone-elses-skill").is_dir());
    assert!(
        skills_dir().join(SKILLS[1]).join("SKILL.md").is_file(),
        "source kept"
    );
    assert_eq!(s.manifest()["entries"].as_array().unwrap().len(), 0);

    // nothing left to do is not an error
    let o = s.run(&["uninstall", "--agent", "cursor"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[cfg(unix)]
#[test]
fn skills_source_falls_back_to_dstplan_home_then_the_share_dir() {
    let s = Sandbox::new();
    // nothing anywhere: a clear error
    let o = s.run(&["install", "--agent", "claude"]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no skills directory found"));

    let share = s.home.join(".local/share/dstplan");
    fs::create_dir_all(&share).unwrap();
    std::os::unix::fs::symlink(skills_dir(), share.join("skills")).unwrap();
    let o = s.run(&["install", "--agent", "claude", "--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains(&skills_dir().display().to_string()));

    let o = Command::new(env!("CARGO_BIN_EXE_dstplan"))
        .args(["install", "--agent", "claude", "--dry-run"])
        .current_dir(&s.proj)
        .env("HOME", &s.home)
        .env("DSTPLAN_HOME", s.home.join("nowhere"))
        .output()
        .unwrap();
    // a DSTPLAN_HOME without skills falls through to the share directory
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));

    let o = s.run(&["install", "--agent", "claude", "--skills-dir", "missing"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--skills-dir"));
}

#[test]
fn a_corrupt_manifest_is_exit_2_and_left_alone() {
    let s = Sandbox::new();
    let m = s.home.join(".local/state/dstplan/installed.json");
    fs::create_dir_all(m.parent().unwrap()).unwrap();
    fs::write(&m, "{not json").unwrap();
    let o = s.install(&["--agent", "claude"]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("install manifest is not valid"));
    assert_eq!(fs::read_to_string(&m).unwrap(), "{not json");
}

#[test]
fn bad_arguments_are_exit_2() {
    let s = Sandbox::new();
    assert_eq!(s.run(&["install"]).status.code(), Some(2));
    assert_eq!(s.run(&["install", "--agent", "vim"]).status.code(), Some(2));
    assert_eq!(
        s.run(&["uninstall", "--agent", "claude", "--scope", "galaxy"])
            .status
            .code(),
        Some(2)
    );
}
