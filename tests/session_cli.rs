//! `dstplan session new` and `dstplan finding new` through the binary.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{bin, fixture};

fn plan_fixture() -> PathBuf {
    fixture("report-plans/mini-kv.md")
}

fn dstplan(cwd: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(cwd)
        .env("USER", "tester")
        .args(args)
        .output()
        .unwrap()
}

fn new_session(cwd: &Path, extra: &[&str]) -> PathBuf {
    let mut a = vec!["session", "new", "--plan", "plans/mini-kv.md"];
    a.extend_from_slice(extra);
    let o = dstplan(cwd, &a);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    PathBuf::from(String::from_utf8(o.stdout).unwrap().trim())
}

fn workspace() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("plans")).unwrap();
    std::fs::copy(plan_fixture(), t.path().join("plans/mini-kv.md")).unwrap();
    t
}

#[test]
fn session_new_creates_the_layout_json_and_log() {
    let t = workspace();
    let dir = new_session(t.path(), &["--root", ".", "--operator", "ana"]);
    let rel = dir.strip_prefix(t.path().canonicalize().unwrap()).unwrap();
    let parts: Vec<_> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    assert_eq!(parts[..2], ["test-sessions", "mini-kv"]);
    assert!(
        parts[2].len() == 16 && parts[2].ends_with('Z') && parts[2].contains('T'),
        "{parts:?}"
    );
    for d in ["logs", "metrics", "artifacts", "findings"] {
        assert!(dir.join(d).is_dir(), "{d}");
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("session.json")).unwrap()).unwrap();
    assert_eq!(v["plan"], "../../../plans/mini-kv.md");
    assert_eq!(v["operator"], "ana");
    assert!(v["sut_commit"].is_null());
    assert!(v["started"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["plan_sha256"].as_str().unwrap().len(), 64);
    let log = std::fs::read_to_string(dir.join("session-log.md")).unwrap();
    assert!(
        log.contains("| mini-kv server | 0.3 | S1, S2, S3 | not yet probed |"),
        "{log}"
    );
    assert!(log.contains("| iptables |"), "{log}");
    for id in ["S1", "S2", "S3", "S3/api", "S3/cli"] {
        assert!(
            log.contains(&format!("| {id} |")),
            "{id} row missing:\n{log}"
        );
    }
    assert_eq!(log.matches("not yet run").count(), 5);
    // operator defaults to $USER
    let t2 = workspace();
    let dir2 = new_session(t2.path(), &["--root", "."]);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir2.join("session.json")).unwrap()).unwrap();
    assert_eq!(v["operator"], "tester");
}

#[test]
fn session_new_uses_the_git_root_and_head() {
    let t = workspace();
    let git = |args: &[&str]| {
        let o = std::process::Command::new("git")
            .arg("-C")
            .arg(t.path())
            .args(args)
            .output()
            .expect("run git");
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    };
    git(&["init", "-q"]);
    git(&["add", "plans/mini-kv.md"]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "-c",
        "commit.gpgsign=false",
        "commit",
        "-q",
        "-m",
        "plan",
    ]);
    let oid = git(&["rev-parse", "HEAD"]).trim().to_string();
    std::fs::create_dir_all(t.path().join("plans/sub")).unwrap();
    // run from a sub-directory: the root is still the repository's
    let o = dstplan(
        &t.path().join("plans/sub"),
        &["session", "new", "--plan", "../mini-kv.md"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let dir = PathBuf::from(String::from_utf8(o.stdout).unwrap().trim());
    assert!(
        dir.starts_with(
            t.path()
                .canonicalize()
                .unwrap()
                .join("test-sessions/mini-kv")
        ),
        "{}",
        dir.display()
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("session.json")).unwrap()).unwrap();
    assert_eq!(v["sut_commit"], oid.to_string());
}

#[test]
fn session_new_refuses_nesting_existing_sessions_and_unreadable_plans() {
    let t = workspace();
    let dir = new_session(t.path(), &["--root", "."]);
    let o = dstplan(
        t.path(),
        &[
            "session",
            "new",
            "--plan",
            "plans/mini-kv.md",
            "--root",
            dir.join("logs").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("inside another session"));
    // over an existing one: occupy the next few seconds' directories
    let base = t.path().join("test-sessions/mini-kv");
    let now = chrono::Utc::now();
    for s in -1..4 {
        let name = (now + chrono::Duration::seconds(s))
            .format("%Y%m%dT%H%M%SZ")
            .to_string();
        std::fs::create_dir_all(base.join(&name)).unwrap();
        std::fs::write(base.join(&name).join("notes.txt"), "mine").unwrap();
    }
    let o = dstplan(
        t.path(),
        &[
            "session",
            "new",
            "--plan",
            "plans/mini-kv.md",
            "--root",
            ".",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("already exists"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = dstplan(
        t.path(),
        &["session", "new", "--plan", "plans/nope.md", "--root", "."],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("plans/nope.md"));
}

#[test]
fn finding_new_writes_a_full_stub_from_the_plan() {
    let t = workspace();
    let dir = new_session(t.path(), &["--root", "."]);
    let d = dir.to_str().unwrap();
    let o = dstplan(
        t.path(),
        &["finding", "new", "--session", d, "--scenario", "S1"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let s1 = std::fs::read_to_string(dir.join("findings/S1.md")).unwrap();
    assert!(s1.starts_with("---\nscenario: S1\nclaims: [C1]"), "{s1}");
    assert!(s1.contains("  checker: \"no-lost-ack\""), "{s1}");
    assert!(s1.contains("  name: \"process-kill\""), "{s1}");
    // every fact, audit and failure key is present and null
    let f = dstplan::session::finding::parse(&s1).unwrap();
    for k in [
        "attempted",
        "env_ok",
        "violation",
        "reproduced",
        "fault_planned",
        "fault_landed",
        "checker_ran",
        "history_complete",
        "checker_coverage",
    ] {
        assert!(
            f.value["facts"][k].is_null() && f.value["facts"].get(k).is_some(),
            "{k}"
        );
    }
    for a in dstplan::vocab::AUDITS_GREEN_BUT_BROKEN {
        assert!(
            f.value["audits"]["green_but_broken"]
                .get(*a)
                .is_some_and(|v| v.is_null()),
            "{a}"
        );
    }
    for a in dstplan::vocab::AUDITS_WEAK_ORACLE {
        assert!(
            f.value["audits"]["weak_oracle"]
                .get(*a)
                .is_some_and(|v| v.is_null()),
            "{a}"
        );
    }
    for k in [
        "title",
        "blame",
        "type",
        "severity",
        "reproducer",
        "root_cause",
        "next_action",
    ] {
        assert!(
            f.value["failure"].get(k).is_some_and(|v| v.is_null()),
            "{k}"
        );
    }
    for k in ["verdict", "budget_tier", "reason"] {
        assert!(f.value.get(k).is_some_and(|v| v.is_null()), "{k}");
    }
    // an arm with its own §7.M gets that block's checker and nemesis
    let o = dstplan(
        t.path(),
        &["finding", "new", "--session", d, "--scenario", "S3/cli"],
    );
    assert_eq!(o.status.code(), Some(0));
    let cli = std::fs::read_to_string(dir.join("findings/S3-cli.md")).unwrap();
    assert!(
        cli.contains("scenario: S3/cli") && cli.contains("  name: \"partition-minority\""),
        "{cli}"
    );
    let o = dstplan(
        t.path(),
        &["finding", "new", "--session", d, "--scenario", "S3/api"],
    );
    assert_eq!(o.status.code(), Some(0));
    let api = std::fs::read_to_string(dir.join("findings/S3-api.md")).unwrap();
    assert!(api.contains("  name: \"process-kill\""), "{api}");
    // refuses to overwrite, and unknown IDs list the valid ones
    std::fs::write(dir.join("findings/S1.md"), "mine").unwrap();
    let o = dstplan(
        t.path(),
        &["finding", "new", "--session", d, "--scenario", "S1"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(dir.join("findings/S1.md")).unwrap(),
        "mine"
    );
    let o = dstplan(
        t.path(),
        &["finding", "new", "--session", d, "--scenario", "S3/web"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("S1, S2, S3, S3/api, S3/cli"));
    // a stub round-trips through the report: no verdict is an error, not a crash
    std::fs::remove_file(dir.join("findings/S1.md")).unwrap();
    let o = dstplan(t.path(), &["report", d, "--check"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}
