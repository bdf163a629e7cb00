//! `dstplan install` / `dstplan uninstall` against a temporary HOME.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

const SKILLS: [&str; 3] = [
    "designing-distributed-system-tests",
    "executing-distributed-system-tests",
    "reviewing-distributed-test-findings",
];

fn skills_dir() -> PathBuf {
    common::root().join("skills").canonicalize().unwrap()
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
        common::bin()
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

/// Where INSTALL.md says each agent's skills go (user scope, one agent at a time).
const USER_DIRS: [(&str, &str); 5] = [
    ("claude", ".claude/skills"),
    ("codex", ".agents/skills"),
    ("gemini", ".gemini/skills"),
    ("copilot", ".copilot/skills"),
    ("cursor", ".cursor/skills"),
];

#[cfg(unix)]
#[test]
fn each_agent_alone_gets_its_own_user_directory() {
    for (agent, dir) in USER_DIRS {
        let s = Sandbox::new();
        let o = s.install(&["--agent", agent]);
        assert_eq!(o.status.code(), Some(0), "{agent}: {}", out(&o));
        for name in SKILLS {
            assert!(
                is_link_to(&s.home.join(dir).join(name), &skills_dir().join(name)),
                "{agent}: {dir}/{name}"
            );
        }
        let made: Vec<_> = ["claude", "agents", "gemini", "copilot", "cursor"]
            .iter()
            .filter(|d| s.home.join(format!(".{d}")).exists())
            .collect();
        assert_eq!(made.len(), 1, "{agent} wrote only its own folder: {made:?}");
    }
}

#[cfg(unix)]
#[test]
fn all_agents_share_folders_so_gemini_sees_each_skill_once() {
    let s = Sandbox::new();
    let o = s.install(&["--agent", "all"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    for dir in [".claude/skills", ".agents/skills"] {
        for name in SKILLS {
            assert!(
                is_link_to(&s.home.join(dir).join(name), &skills_dir().join(name)),
                "{dir}/{name}"
            );
        }
    }
    // Gemini reads ~/.gemini/skills and ~/.agents/skills: writing both made it warn
    // "Skill conflict detected"; Copilot and Cursor read ~/.agents/skills too.
    for dir in [".gemini", ".copilot", ".cursor"] {
        assert!(!s.home.join(dir).exists(), "{dir} written");
    }
    let m = s.manifest();
    let shared = m["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"].as_str().unwrap().contains("/.agents/skills/"))
        .unwrap();
    assert_eq!(
        shared["agents"],
        serde_json::json!(["codex", "gemini", "copilot", "cursor"])
    );
    // Cursor also reads ~/.claude/skills: the one duplicate no choice avoids is reported
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("note: cursor reads both"), "{err}");
    assert!(!err.contains("gemini reads both"), "{err}");

    // uninstalling codex alone keeps the folder the others still read
    let o = s.run(&["uninstall", "--agent", "codex"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(s.home.join(".agents/skills").join(SKILLS[0]).exists());
    let o = s.run(&["uninstall", "--agent", "all"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(fs::symlink_metadata(s.home.join(".agents/skills").join(SKILLS[0])).is_err());
    assert!(fs::symlink_metadata(s.home.join(".claude/skills").join(SKILLS[0])).is_err());
}

#[test]
fn project_scope_copies_the_skills_with_a_marker() {
    let s = Sandbox::new();
    let o = s.install(&["--agent", "all", "--scope", "project"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    for dir in [".claude/skills", ".agents/skills"] {
        let copy = s.proj.join(dir).join(SKILLS[0]);
        let meta = fs::symlink_metadata(&copy).unwrap();
        assert!(
            meta.is_dir() && !meta.file_type().is_symlink(),
            "{dir}: a real copy"
        );
        assert_eq!(
            fs::read(copy.join("SKILL.md")).unwrap(),
            fs::read(skills_dir().join(SKILLS[0]).join("SKILL.md")).unwrap()
        );
        let marker = fs::read_to_string(copy.join(".dstplan-install.json")).unwrap();
        assert!(marker.contains(env!("CARGO_PKG_VERSION")), "{marker}");
        // nothing machine-specific in what a team commits
        assert!(!marker.contains(s.home.to_str().unwrap()), "{marker}");
        for entry in walk(&copy) {
            assert!(!fs::symlink_metadata(&entry)
                .unwrap()
                .file_type()
                .is_symlink());
        }
    }
    assert!(
        !s.proj.join(".gemini").exists(),
        "gemini reads .agents/skills"
    );
    assert!(!s.home.join(".claude").exists(), "user scope untouched");

    // a second run is a no-op
    let o = s.install(&["--agent", "all", "--scope", "project"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(text.matches("unchanged ").count(), 6, "{text}");

    // uninstalling claude alone removes the folder only claude needed
    let o = s.run(&["uninstall", "--agent", "claude", "--scope", "project"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(fs::symlink_metadata(s.proj.join(".claude/skills").join(SKILLS[0])).is_err());
    assert!(s.proj.join(".agents/skills").join(SKILLS[0]).is_dir());

    let o = s.run(&["uninstall", "--agent", "all", "--scope", "project"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(fs::symlink_metadata(s.proj.join(".agents/skills").join(SKILLS[0])).is_err());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if fs::symlink_metadata(&p).unwrap().is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

/// A private copy of the skills pack (so a test can change a skill).
fn own_skills(s: &Sandbox) -> PathBuf {
    let src = s.home.join("pack");
    for e in walk(&skills_dir()) {
        let rel = e.strip_prefix(skills_dir()).unwrap();
        let to = src.join(rel);
        if e.is_dir() {
            fs::create_dir_all(&to).unwrap();
        } else {
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::copy(&e, &to).unwrap();
        }
    }
    src
}

#[test]
fn project_copies_update_when_the_skill_changes_and_edits_are_never_lost() {
    let s = Sandbox::new();
    let pack = own_skills(&s);
    let args = |extra: &[&'static str]| {
        let mut v = vec![
            "install",
            "--skills-dir",
            pack.to_str().unwrap(),
            "--agent",
            "claude",
            "--scope",
            "project",
        ];
        v.extend_from_slice(extra);
        v.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |v: Vec<String>| s.run(&v.iter().map(String::as_str).collect::<Vec<_>>());
    let o = run(args(&[]));
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let copy = s.proj.join(".claude/skills").join(SKILLS[1]);

    // the skill changes upstream: install updates the copy
    fs::write(pack.join(SKILLS[1]).join("NEW.md"), "new reference\n").unwrap();
    let o = run(args(&[]));
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("updated "),
        "{}",
        out(&o)
    );
    assert_eq!(
        fs::read_to_string(copy.join("NEW.md")).unwrap(),
        "new reference\n"
    );

    // someone edits the copy: install refuses to replace it, uninstall leaves it
    fs::write(copy.join("SKILL.md"), "my edits\n").unwrap();
    fs::write(pack.join(SKILLS[1]).join("NEW.md"), "newer\n").unwrap();
    let o = run(args(&[]));
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("changed since") && err.contains("SKILL.md (edited)"),
        "{err}"
    );
    let o = s.run(&["uninstall", "--agent", "claude", "--scope", "project"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(
        fs::read_to_string(copy.join("SKILL.md")).unwrap(),
        "my edits\n"
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("left "),
        "{}",
        out(&o)
    );
    // the unchanged copies were removed
    assert!(!s.proj.join(".claude/skills").join(SKILLS[0]).exists());
}

#[test]
fn a_teammate_with_the_committed_copies_sees_them_as_ours() {
    let s = Sandbox::new();
    let o = s.install(&["--agent", "codex", "--scope", "project"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // a fresh clone on another machine: the copies, no manifest
    fs::remove_dir_all(s.home.join(".local/state")).unwrap();
    let o = s.install(&["--agent", "codex", "--scope", "project"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(text.matches("unchanged ").count(), 3, "{text}");
    assert!(!text.contains("not created by dstplan"), "{text}");
    fs::remove_dir_all(s.home.join(".local/state")).unwrap();
    let o = s.run(&["uninstall", "--agent", "codex", "--scope", "project"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        !s.proj.join(".agents/skills").join(SKILLS[0]).exists(),
        "{}",
        out(&o)
    );
}

#[cfg(unix)]
#[test]
fn a_project_install_replaces_its_old_symlinks_with_copies() {
    let s = Sandbox::new();
    // what an older dstplan left: a recorded absolute symlink in the project
    let link = s.proj.join(".claude/skills").join(SKILLS[0]);
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(skills_dir().join(SKILLS[0]), &link).unwrap();
    let m = serde_json::json!({"version": 1, "entries": [{
        "agents": ["claude"], "scope": "project", "path": link, "source": skills_dir().join(SKILLS[0]),
        "kind": "symlink", "skill": SKILLS[0], "dstplan_version": "0.0.1"}]});
    let mp = s.home.join(".local/state/dstplan/installed.json");
    fs::create_dir_all(mp.parent().unwrap()).unwrap();
    fs::write(&mp, m.to_string()).unwrap();
    let o = s.install(&["--agent", "claude", "--scope", "project"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let meta = fs::symlink_metadata(&link).unwrap();
    assert!(meta.is_dir() && !meta.file_type().is_symlink());
    assert!(
        skills_dir().join(SKILLS[0]).join("SKILL.md").is_file(),
        "source kept"
    );
}

#[test]
fn a_file_where_a_skills_folder_must_be_is_refused_before_anything_is_made() {
    let s = Sandbox::new();
    fs::create_dir_all(s.home.join(".gemini")).unwrap();
    fs::write(s.home.join(".gemini/skills"), "not a folder").unwrap();
    let o = s.install(&["--agent", "gemini"]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("nothing was installed"), "{err}");
    assert!(
        err.contains(".gemini/skills") && err.contains("a file where a folder must be"),
        "{err}"
    );
    assert!(!s.home.join(".local/state/dstplan/installed.json").exists());
    fs::remove_dir_all(s.home.join(".gemini")).unwrap();

    // a file on the way to a shared folder stops the whole install before anything is made
    // (it used to make the Claude links, then fail)
    fs::write(s.home.join(".agents"), "a file").unwrap();
    let o = s.install(&["--agent", "all"]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("{}/.agents", s.home.display())),
        "{err}"
    );
    assert!(!s.home.join(".claude").exists(), "nothing was made");
    assert!(!s.home.join(".local/state/dstplan/installed.json").exists());
}

#[cfg(unix)]
#[test]
fn an_edited_manifest_cannot_make_uninstall_delete_a_directory() {
    let s = Sandbox::new();
    let o = s.install(&["--agent", "claude"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // a precious directory that looks like a skill, outside every skills folder
    let precious = s.home.join("work/important");
    fs::create_dir_all(&precious).unwrap();
    fs::write(precious.join("SKILL.md"), "mine").unwrap();
    // and the user's own skill inside the folder, without our marker
    let own = s.home.join(".claude/skills/my-own-skill");
    fs::create_dir_all(&own).unwrap();
    fs::write(own.join("SKILL.md"), "mine").unwrap();
    let mp = s.home.join(".local/state/dstplan/installed.json");
    let mut m = s.manifest();
    for p in [&precious, &own] {
        m["entries"].as_array_mut().unwrap().push(serde_json::json!({
            "agents": ["claude"], "scope": "user", "path": p, "source": skills_dir().join(SKILLS[0]),
            "kind": "copy", "skill": SKILLS[0], "dstplan_version": env!("CARGO_PKG_VERSION")}));
    }
    fs::write(&mp, m.to_string()).unwrap();
    let o = s.run(&["uninstall", "--agent", "claude"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(
        fs::read_to_string(precious.join("SKILL.md")).unwrap(),
        "mine"
    );
    assert_eq!(fs::read_to_string(own.join("SKILL.md")).unwrap(), "mine");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("not directly inside a skills folder"),
        "{text}"
    );
    assert!(text.contains("not provably ours"), "{text}");
    // the real links went
    assert!(fs::symlink_metadata(s.home.join(".claude/skills").join(SKILLS[0])).is_err());
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
    let mine = s.home.join(".agents/skills").join(SKILLS[1]);
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
    let mine = s.home.join(".gemini/skills").join(SKILLS[1]);
    fs::create_dir_all(mine.parent().unwrap()).unwrap();
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

    let o = common::bin()
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

/// INSTALL.md's routes name the folders these tests install into, the plugin and marketplace
/// names the manifests declare, and a client command that verifies each route.
#[test]
fn install_md_routes_match_the_paths_and_the_manifests() {
    let root = common::root();
    let doc = fs::read_to_string(root.join("INSTALL.md")).unwrap();
    for (agent, dir) in USER_DIRS {
        let row = format!("`dstplan install --agent {agent}` | `~/{dir}/` |");
        assert!(doc.contains(&row), "INSTALL.md lacks the row {row}");
    }
    let json = |p: &str| -> serde_json::Value {
        serde_json::from_str(&fs::read_to_string(root.join(p)).unwrap()).unwrap()
    };
    let market = json(".claude-plugin/marketplace.json");
    let plugin = market["plugins"][0]["name"].as_str().unwrap();
    let id = format!("{plugin}@{}", market["name"].as_str().unwrap());
    assert_eq!(json(".claude-plugin/plugin.json")["name"], plugin);
    for cmd in [
        "claude plugin marketplace add ~/.local/share/dstplan".to_string(),
        format!("claude plugin install {id}"),
        "codex plugin marketplace add ~/.local/share/dstplan".to_string(),
        "copilot plugin marketplace add ~/.local/share/dstplan".to_string(),
        format!("copilot plugin install {id}"),
        "gemini extensions link ~/.local/share/dstplan".to_string(),
        // the clients' own listings
        "copilot plugin list".to_string(),
        "gemini extensions list".to_string(),
        "/skills list".to_string(),
        "/plugins".to_string(),
        // the Gemini trust step for project skills
        "/permissions".to_string(),
        "trustedFolders.json".to_string(),
    ] {
        assert!(doc.contains(&cmd), "INSTALL.md lacks `{cmd}`");
    }
    // `gemini extensions link` needs the manifest at the checkout's root, naming the plugin
    assert_eq!(json("gemini-extension.json")["name"], plugin);
    assert!(root.join("skills").is_dir());
}

/// Every `sh` block of INSTALL.md is valid shell (an agent runs them literally).
#[test]
fn install_md_shell_blocks_parse() {
    if !std::path::Path::new("/bin/bash").exists() {
        assert!(std::env::var_os("CI").is_none(), "this test needs bash");
        return;
    }
    let root = common::root();
    let doc = fs::read_to_string(root.join("INSTALL.md")).unwrap();
    let mut blocks = 0;
    for (i, part) in doc.split("```sh\n").enumerate().skip(1) {
        let block = part.split("```").next().unwrap();
        let o = Command::new("bash")
            .arg("-n")
            .arg("-c")
            .arg(block)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "INSTALL.md sh block {i} does not parse: {}\n{block}",
            String::from_utf8_lossy(&o.stderr)
        );
        blocks += 1;
    }
    assert!(blocks >= 3, "found {blocks} sh blocks");
}

/// The first `sh` block of INSTALL.md after `heading`.
fn install_md_block(heading: &str) -> String {
    let doc = fs::read_to_string(common::root().join("INSTALL.md")).unwrap();
    let after = &doc[doc.find(heading).expect("heading")..];
    let start = after.find("```sh\n").unwrap() + "```sh\n".len();
    after[start..].split("```").next().unwrap().to_string()
}

/// Step 2's block, run literally in a fresh HOME against a local repository, with a `cargo`
/// stub that records its arguments (the real build is measured separately): it clones,
/// builds, updates on a second run, stops on local changes, and skips the build after a
/// prebuilt install.
#[cfg(unix)]
#[test]
fn install_md_step_2_clones_builds_updates_and_stops_on_local_changes() {
    if Command::new("git").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "this test needs git");
        eprintln!("skipped: this test needs git");
        return;
    }
    let s = Sandbox::new();
    let block = install_md_block("**b. Build from the `main` branch.**");
    let root = s.home.parent().unwrap().to_path_buf();
    let upstream = root.join("upstream");
    fs::create_dir_all(&upstream).unwrap();
    let git = |dir: &Path, args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("HOME", &s.home)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .unwrap();
        assert!(o.status.success(), "git {args:?}: {}", out(&o));
    };
    git(&upstream, &["init", "-q", "-b", "main"]);
    fs::write(upstream.join("README.md"), "one\n").unwrap();
    git(&upstream, &["add", "."]);
    git(&upstream, &["commit", "-q", "-m", "one"]);
    // a cargo that only records what it was asked
    let bin = root.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let log = root.join("cargo.log");
    fs::write(
        bin.join("cargo"),
        format!("#!/bin/sh\necho \"$*\" >> '{}'\n", log.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(bin.join("cargo"), fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |extra: &[(&str, &str)]| {
        let mut c = Command::new("bash");
        c.arg("-c")
            .arg(&block)
            .current_dir(&s.proj)
            .env("HOME", &s.home)
            .env("PATH", &path)
            .env("DSTPLAN_REPO", &upstream)
            .env_remove("DSTPLAN_BINSTALLED");
        for (k, v) in extra {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let checkout = s.home.join(".local/share/dstplan");

    let o = run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(
        fs::read_to_string(checkout.join("README.md")).unwrap(),
        "one\n"
    );
    let want = format!("install --path {} --locked\n", checkout.display());
    assert_eq!(fs::read_to_string(&log).unwrap(), want);

    // upstream moves on: a second run fast-forwards and builds again
    fs::write(upstream.join("README.md"), "two\n").unwrap();
    git(&upstream, &["commit", "-q", "-am", "two"]);
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(
        fs::read_to_string(checkout.join("README.md")).unwrap(),
        "two\n"
    );
    assert_eq!(fs::read_to_string(&log).unwrap(), want.repeat(2));

    // after a prebuilt install it only updates the checkout
    let o = run(&[("DSTPLAN_BINSTALLED", "1")]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(fs::read_to_string(&log).unwrap(), want.repeat(2));

    // local changes: STOP, exit 3, nothing built
    fs::write(checkout.join("README.md"), "mine\n").unwrap();
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("STOP: "),
        "{}",
        out(&o)
    );
    assert_eq!(
        fs::read_to_string(checkout.join("README.md")).unwrap(),
        "mine\n"
    );
    assert_eq!(fs::read_to_string(&log).unwrap(), want.repeat(2));
}

#[cfg(unix)]
#[test]
fn agents_can_be_listed_and_an_earlier_separate_install_is_pointed_out() {
    let s = Sandbox::new();
    // gemini alone gets ~/.gemini/skills
    let o = s.install(&["--agent", "gemini"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // codex later writes ~/.agents/skills, which gemini reads too: say so
    let o = s.install(&["--agent", "codex"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("note: gemini already has the skills in")
            && err.contains(".gemini/skills")
            && err.contains("dstplan uninstall --agent gemini"),
        "{err}"
    );
    // following the advice leaves one folder serving both
    let o = s.run(&["uninstall", "--agent", "gemini"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(fs::symlink_metadata(s.home.join(".gemini/skills").join(SKILLS[0])).is_err());
    let o = s.install(&["--agent", "codex,gemini"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("note:"),
        "{}",
        out(&o)
    );
    let m = s.manifest();
    let entries = m["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    for e in entries {
        assert!(e["path"].as_str().unwrap().contains("/.agents/skills/"));
        assert_eq!(e["agents"], serde_json::json!(["codex", "gemini"]));
    }
    // repeated flags work too
    let o = s.run(&[
        "install",
        "--skills-dir",
        skills_dir().to_str().unwrap(),
        "--agent",
        "codex",
        "--agent",
        "gemini",
        "--dry-run",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout)
            .matches("unchanged ")
            .count(),
        3
    );
}
