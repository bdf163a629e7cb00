//! Regression tests through the CLI for the report's hardening (#17 items 4, 9, 13; #12 item 2):
//! a PASS resting on a history that does not parse (or a directory) is an error naming the
//! file; report.md and report.json are written as one step, never mistaken for a hand edit
//! after a run was killed between them, and temporary files of dead runs are removed; cited
//! histories are re-checked in parallel within one overall budget (`--timeout`, per finding
//! `oracle.timeout_s`), and an undecided or disagreeing re-check is shown beside what the
//! finding records, each labelled.

mod common;
use common::*;

use std::path::PathBuf;
use std::time::{Duration, Instant};

fn row<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap()
}

// ---- #17 item 4: a PASS on a history that is not one ----

#[test]
fn a_pass_citing_a_history_that_does_not_parse_is_an_error_naming_the_file() {
    let (_t, dir) = fixture_session("clean");
    std::fs::write(dir.join("artifacts/S1/history.jsonl"), "not a history\n").unwrap();
    let (code, v) = report_check_json(&dir, &[]);
    assert_eq!(code, 1);
    let m = diags_with_code(&v, "RPT025");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].starts_with("findings/S1.md:22 S1 records PASS-hardening on oracle.history `artifacts/S1/history.jsonl`, which does not parse as a history"),
        "{m:?}"
    );
}

#[test]
fn a_pass_citing_a_directory_as_its_history_is_an_error() {
    let (_t, dir) = fixture_session("clean");
    let h = dir.join("artifacts/S1/history.jsonl");
    std::fs::remove_file(&h).unwrap();
    std::fs::create_dir(&h).unwrap();
    let (code, v) = report_check_json(&dir, &[]);
    assert_eq!(code, 1);
    let m = diags_with_code(&v, "RPT025");
    assert!(
        m.len() == 1 && m[0].contains("`artifacts/S1/history.jsonl`, which is a directory"),
        "{m:?}"
    );
}

// ---- #17 item 9: both files as one step ----

#[test]
fn a_run_killed_between_the_two_renames_is_not_taken_for_a_hand_edit() {
    let (_t, dir) = fixture_session("clean");
    assert_exit(&run(&["report", dir.to_str().unwrap()]), 0);
    let old_md = std::fs::read(dir.join("findings/report.md")).unwrap();
    edit(
        &dir.join("findings/S2.md"),
        "20 cold starts",
        "21 cold starts",
    );
    assert_exit(&run(&["report", dir.to_str().unwrap()]), 0);
    // The state a kill between renaming report.json and report.md leaves: new json, old md.
    std::fs::write(dir.join("findings/report.md"), &old_md).unwrap();
    let o = run(&["report", dir.to_str().unwrap()]);
    assert_exit(&o, 0);
    let md = std::fs::read_to_string(dir.join("findings/report.md")).unwrap();
    assert!(md.contains("21 cold starts"));
    // The checksum in report.json is the one of report.md as written.
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("findings/report.json")).unwrap())
            .unwrap();
    let sha = {
        use std::process::Command;
        let o = Command::new("sha256sum")
            .arg(dir.join("findings/report.md"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(v["report_md_sha256"], sha.as_str());
    // A real hand edit is still refused.
    let p = dir.join("findings/report.md");
    std::fs::write(&p, md.replacen("## Summary", "## Summary\n\nShip it.", 1)).unwrap();
    let o = run(&["report", dir.to_str().unwrap()]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("edited by hand"), "{}", stderr(&o));
}

#[test]
fn a_failed_write_leaves_both_files_as_they_were_and_no_temporary_file() {
    let (_t, dir) = fixture_session("clean");
    assert_exit(&run(&["report", dir.to_str().unwrap()]), 0);
    let md_before = std::fs::read(dir.join("findings/report.md")).unwrap();
    // report.json cannot be replaced (a directory is in its way): nothing may change.
    std::fs::remove_file(dir.join("findings/report.json")).unwrap();
    std::fs::create_dir(dir.join("findings/report.json")).unwrap();
    edit(
        &dir.join("findings/S2.md"),
        "20 cold starts",
        "21 cold starts",
    );
    let o = run(&["report", dir.to_str().unwrap(), "--force"]);
    assert_exit(&o, 2);
    assert_eq!(
        std::fs::read(dir.join("findings/report.md")).unwrap(),
        md_before,
        "report.md was replaced although report.json could not be"
    );
    let temps: Vec<String> = std::fs::read_dir(dir.join("findings"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("dstplan-tmp"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
}

#[test]
fn temporary_files_of_dead_runs_are_removed_and_live_ones_kept() {
    let (_t, dir) = fixture_session("clean");
    // A process that has exited: its pid names a dead run.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let f = dir.join("findings");
    let stale_md = f.join(format!(".report.md.dstplan-tmp-{dead}"));
    let stale_json = f.join(format!(".report.json.dstplan-tmp-{dead}"));
    let live = f.join(format!(".report.md.dstplan-tmp-{}", std::process::id()));
    for p in [&stale_md, &stale_json, &live] {
        std::fs::write(p, "half a report").unwrap();
    }
    assert_exit(&run(&["report", dir.to_str().unwrap()]), 0);
    assert!(
        !stale_md.exists() && !stale_json.exists(),
        "stale temp files left"
    );
    assert!(live.exists(), "the temp file of a live process was removed");
}

// ---- #17 item 13, #12 item 2: parallel re-checks in one budget ----

/// 26 concurrent writes of distinct values, each read by a concurrent read, then reads of 1, 2
/// and 1 again in sequence: not linearizable, but the search must try every subset of the
/// other writes before it can say so (a read nobody could explain is found without the
/// search, and the cas keeps the key off the unique-values fast path), far beyond a few
/// seconds.
fn hard_history() -> String {
    let op = |i: u32, t: &str, a: u32, b: u32, input: String, output: &str| {
        format!(
            "{{\"op_id\":{i},\"process_id\":{i},\"invoke_ts\":{a},\"complete_ts\":{b},\"op_type\":\"{t}\",\"key\":\"x\",\"input\":{input},\"output\":{output},\"error\":null,\"timeout_marker\":false,\"node_seen\":\"n1\",\"fault_epoch\":\"e1\"}}\n"
        )
    };
    let mut h: String = (1..=26)
        .map(|i| {
            op(i, "write", 1000, 1100, i.to_string(), "null")
                + &op(100 + i, "read", 1000, 1100, "null".into(), &i.to_string())
        })
        .collect();
    h.push_str(&op(300, "cas", 1000, 1100, "[500,501]".into(), "false"));
    // One process reads 1, 2, 1 in sequence (op ids 400.., process ids equal to op ids
    // elsewhere, so these three get one process of their own below).
    for (k, v) in [1, 2, 1].into_iter().enumerate() {
        let t = 1200 + 2 * k as u32;
        h.push_str(
            &op(
                400 + k as u32,
                "read",
                t,
                t + 1,
                "null".into(),
                &v.to_string(),
            )
            .replace(&format!("\"process_id\":{}", 400 + k), "\"process_id\":400"),
        );
    }
    h
}

/// The clean session with S1 and both S3 arms checked for linearizability on hard histories.
fn hard_session() -> (tempfile::TempDir, PathBuf) {
    let (t, dir) = fixture_session("clean");
    let plan = t.path().join("report-plans/mini-kv.md");
    edit(&plan, "- **Model under test:** log — one append log per key\n- **Operation history:** default schema, in-process\n- **Checker:** no-lost-ack", "- **Model under test:** register — one value per key\n- **Operation history:** default schema, in-process\n- **Checker:** linearizability");
    edit(&plan, "- **Model under test:** map — one cell per tenant and key\n- **Operation history:** default schema, in-process\n- **Checker:** differential", "- **Model under test:** register — one cell per tenant and key\n- **Operation history:** default schema, in-process\n- **Checker:** linearizability");
    edit(&plan, "- **Model under test:** other(decision-table) — one decision per cell\n- **Operation history:** default schema, external probe\n- **Checker:** differential", "- **Model under test:** register — one decision per cell\n- **Operation history:** default schema, external probe\n- **Checker:** linearizability");
    for (f, h) in [
        ("S1.md", "artifacts/S1/history.jsonl"),
        ("S3-api.md", "artifacts/S3/api.jsonl"),
        ("S3-cli.md", "artifacts/S3/cli.jsonl"),
    ] {
        let p = dir.join(h);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, hard_history()).unwrap();
        let fp = dir.join("findings").join(f);
        let t = std::fs::read_to_string(&fp).unwrap();
        let t = t
            .replace("checker: no-lost-ack", "checker: linearizability")
            .replace("checker: differential", "checker: linearizability")
            .replace("  history: artifacts/S1/history.jsonl\n", "")
            .replace("  history: null\n", "");
        let t = t.replacen("oracle:\n", &format!("oracle:\n  history: {h}\n"), 1);
        std::fs::write(&fp, t).unwrap();
    }
    (t, dir)
}

#[test]
fn timeout_bounds_all_rechecks_together_and_the_table_shows_both_readings() {
    let (_t, dir) = hard_session();
    let start = Instant::now();
    let o = run(&["report", dir.to_str().unwrap(), "--timeout", "2"]);
    let took = start.elapsed();
    assert_exit(&o, 0);
    // Three hard histories, one overall budget of 2 s (plus start-up and the report itself).
    assert!(took < Duration::from_secs(6), "took {took:?}");
    let (_, v) = report_check_json(&dir, &["--timeout", "1"]);
    for id in ["S1", "S3/api", "S3/cli"] {
        let r = row(&v, id);
        let recheck = r["recheck"].as_str().unwrap();
        assert!(recheck.contains("unknown"), "{id}: {recheck}");
        assert!(recheck.contains("--timeout of 1 s"), "{id}: {recheck}");
        let both = r["recheck_conflict"].as_str().unwrap();
        assert!(
            both.starts_with("finding: PASS-hardening, ")
                && both.contains("; re-check by the report (linearizability): unknown, "),
            "{id}: {both}"
        );
    }
    let md = std::fs::read_to_string(dir.join("findings/report.md")).unwrap();
    let s1 = md.lines().find(|l| l.starts_with("| [S1](#s1) |")).unwrap();
    assert!(
        s1.contains("| finding: PASS-hardening, 3 ops checked")
            && s1.contains("re-check by the report (linearizability): unknown"),
        "{s1}"
    );
    // A bad value is refused.
    assert_exit(
        &run(&["report", dir.to_str().unwrap(), "--timeout", "0"]),
        2,
    );
}

#[test]
fn a_finding_may_ask_for_a_shorter_budget_with_oracle_timeout_s() {
    let (_t, dir) = hard_session();
    edit(
        &dir.join("findings/S1.md"),
        "oracle:\n",
        "oracle:\n  timeout_s: 0.5\n",
    );
    let (_, v) = report_check_json(&dir, &["--timeout", "1"]);
    let recheck = row(&v, "S1")["recheck"].as_str().unwrap().to_string();
    assert!(
        recheck.contains("the finding's oracle.timeout_s of 0.5 s"),
        "{recheck}"
    );
    let other = row(&v, "S3/api")["recheck"].as_str().unwrap();
    assert!(other.contains("--timeout of 1 s"), "{other}");
}

#[test]
fn a_fifo_as_the_cited_history_is_refused_without_hanging() {
    let (_t, dir) = fixture_session("clean");
    let h = dir.join("artifacts/S1/history.jsonl");
    std::fs::remove_file(&h).unwrap();
    let made = std::process::Command::new("mkfifo").arg(&h).status();
    if !require(made.is_ok_and(|s| s.success()), "mkfifo") {
        return;
    }
    let start = Instant::now();
    let (code, v) = report_check_json(&dir, &[]);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "the report hung on a FIFO"
    );
    assert_eq!(code, 1);
    let m = diags_with_code(&v, "RPT025");
    assert!(
        m.len() == 1 && m[0].contains("is not a regular file"),
        "{m:?}"
    );
}
