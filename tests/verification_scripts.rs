//! The verification runs' findings scripts (`verification/*_findings.py`, sharing
//! `verification/findings_lib.py`) still work: each is re-run on a copy of its committed session,
//! with the per-seed histories it consumes rebuilt from the committed combined history, and must
//! write the verdicts the committed findings record, and findings `report --check` accepts.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// (plan, session, script), relative to `verification/`.
const RUNS: [(&str, &str, &str); 4] = [
    (
        "etcd-3.4/plan.md",
        "etcd-3.4/session/test-sessions/etcd-3-4/20261123T215602Z",
        "etcd_findings.py",
    ),
    (
        "etcd-3.4/plan.md",
        "etcd-3.4/session-s5/test-sessions/etcd-3-4/20261123T221757Z",
        "etcd_s5_findings.py",
    ),
    (
        "redis-queue/plan.md",
        "redis-queue/session/test-sessions/redis-queue/20261123T220824Z",
        "redis_findings.py",
    ),
    (
        "etcd-3.4/plan.md",
        "etcd-3.4-s5-toolkit/session/test-sessions/etcd-3-4/20261206T011923Z",
        "etcd-3.4-s5-toolkit/findings.py",
    ),
];

/// `verdict:` of every committed finding of a session.
fn verdicts(session: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(session.join("findings")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".md") || name == "report.md" {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let v = text
            .lines()
            .find_map(|l| l.strip_prefix("verdict: "))
            .unwrap_or_else(|| panic!("{} has no verdict", p.display()));
        out.insert(name.trim_end_matches(".md").to_string(), v.to_string());
    }
    out
}

/// Split `artifacts/<S>/history.jsonl` back into `seed-<n>.jsonl` by the `<s>-<seed>-` op ids
/// (histories written by `dstplan history record` number their ops and need no split).
fn rebuild_seed_files(session: &Path) {
    'dirs: for e in std::fs::read_dir(session.join("artifacts")).unwrap() {
        let dir = e.unwrap().path();
        let h = dir.join("history.jsonl");
        if !h.is_file() {
            continue;
        }
        let sc = dir.file_name().unwrap().to_string_lossy().to_lowercase();
        let mut by_seed: BTreeMap<String, String> = BTreeMap::new();
        for line in std::fs::read_to_string(&h).unwrap().lines() {
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let Some(id) = v["op_id"].as_str() else {
                continue 'dirs;
            };
            let seed = id
                .strip_prefix(&format!("{sc}-"))
                .and_then(|r| r.split('-').next())
                .unwrap_or_else(|| panic!("op id {id} does not start with {sc}-<seed>-"));
            let buf = by_seed.entry(seed.to_string()).or_default();
            buf.push_str(line);
            buf.push('\n');
        }
        for (seed, text) in by_seed {
            std::fs::write(dir.join(format!("seed-{seed}.jsonl")), text).unwrap();
        }
    }
}

#[test]
fn the_findings_scripts_rewrite_the_committed_verdicts() {
    let have = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !require(have, "python3") {
        return;
    }
    let verification = root().join("verification");
    for (plan, rel, script) in RUNS {
        let committed = verification.join(rel);
        let want = verdicts(&committed);
        let t = tempfile::tempdir().unwrap();
        // Plan and session keep their places relative to each other (session.json's plan
        // path is relative).
        std::fs::create_dir_all(t.path().join(plan).parent().unwrap()).unwrap();
        std::fs::copy(verification.join(plan), t.path().join(plan)).unwrap();
        let s = t.path().join(rel);
        copy_dir(&committed, &s);
        rebuild_seed_files(&s);
        for e in std::fs::read_dir(s.join("findings")).unwrap() {
            std::fs::remove_file(e.unwrap().path()).unwrap();
        }
        let out = Command::new("python3")
            .arg(verification.join(script))
            .args(["--session", ".", "--dstplan", bin_path()])
            .args(["--seeds", "11 12 13"])
            .current_dir(&s)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{script}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        let got: BTreeMap<String, String> = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}): {}", stdout(&out)));
        assert_eq!(got, want, "{script}");
        assert_eq!(verdicts(&s), want, "{script}: the findings it wrote");
        let check = run(&["report", s.to_str().unwrap(), "--check"]);
        assert_exit(&check, 0);
    }
}
