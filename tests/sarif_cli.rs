//! SARIF for GitHub code scanning, one test per requirement: stable partialFingerprints,
//! percent-encoded URIs, `originalUriBaseIds` for `../` and absolute paths, `endLine` as the
//! last line, `helpUri` to a page that exists, and `help.markdown` with the explain text.

mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

const MIXED: &str = "tests/fixtures/plans/formats/mixed.md";

fn sarif_in(dir: &Path, path: &str) -> Value {
    let o = run_in(dir, &["lint", "--format", "sarif", path]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("SARIF is JSON")
}

fn results(v: &Value) -> &Vec<Value> {
    v["runs"][0]["results"].as_array().unwrap()
}

fn artifact(r: &Value) -> &Value {
    &r["locations"][0]["physicalLocation"]["artifactLocation"]
}

/// Every character of `uri` is one RFC 3986 allows (unreserved, reserved, or `%XX`).
fn is_valid_uri_reference(uri: &str) -> bool {
    let b = uri.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if i + 2 >= b.len() {
                return false;
            }
            if !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit()) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(c.is_ascii_alphanumeric() || b"-._~:/@!$&'()*+,;=".contains(&c)) {
            return false;
        }
        i += 1;
    }
    true
}

fn plan_copy(dir: &Path, rel: &str) -> std::path::PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::copy(root().join(MIXED), &p).unwrap();
    p
}

#[test]
fn fingerprints_survive_line_moves_and_tell_results_apart() {
    let t = tempfile::tempdir().unwrap();
    let p = plan_copy(t.path(), "plan.md");
    let before = sarif_in(t.path(), "plan.md");
    // five blank lines after the title move every later diagnostic down
    let text = std::fs::read_to_string(&p).unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    std::fs::write(&p, format!("{first}\n\n\n\n\n\n{rest}")).unwrap();
    let after = sarif_in(t.path(), "plan.md");
    let key = |r: &Value| {
        (
            r["ruleId"].as_str().unwrap().to_string(),
            r["message"]["text"].as_str().unwrap().to_string(),
        )
    };
    let fps = |v: &Value| -> BTreeMap<(String, String), (String, i64)> {
        results(v)
            .iter()
            .map(|r| {
                let fp = r["partialFingerprints"]["dstplanFingerprint/v1"]
                    .as_str()
                    .expect("every result has a fingerprint")
                    .to_string();
                let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_i64()
                    .unwrap();
                (key(r), (fp, line))
            })
            .collect()
    };
    let (b, a) = (fps(&before), fps(&after));
    assert_eq!(
        b.len(),
        results(&before).len(),
        "no two results share rule and message"
    );
    assert_eq!(b.keys().collect::<Vec<_>>(), a.keys().collect::<Vec<_>>());
    let mut moved = 0;
    for (k, (fp, line)) in &b {
        let (fp2, line2) = &a[k];
        assert_eq!(fp, fp2, "{k:?} changed fingerprint when its line moved");
        if line2 != line {
            moved += 1;
        }
    }
    assert!(moved >= 2, "the edit moved the diagnostics");
    let distinct: std::collections::BTreeSet<_> = b.values().map(|(fp, _)| fp).collect();
    assert_eq!(distinct.len(), b.len(), "fingerprints are distinct");
}

#[test]
fn uris_are_percent_encoded_relative_to_srcroot() {
    let t = tempfile::tempdir().unwrap();
    plan_copy(t.path(), "dir with space/my plan#1.md");
    let v = sarif_in(t.path(), "dir with space/my plan#1.md");
    for r in results(&v) {
        let a = artifact(r);
        assert_eq!(a["uri"], "dir%20with%20space/my%20plan%231.md");
        assert_eq!(a["uriBaseId"], "%SRCROOT%");
        assert!(is_valid_uri_reference(a["uri"].as_str().unwrap()));
    }
    // in-tree paths need no base definition (code scanning resolves them at the checkout)
    assert!(v["runs"][0].get("originalUriBaseIds").is_none());
}

#[test]
fn dotdot_and_absolute_paths_get_an_original_uri_base() {
    let t = tempfile::tempdir().unwrap();
    let root_dir = t.path().canonicalize().unwrap().join("my repo");
    let plan = plan_copy(&root_dir, "plans/p.md");
    let sub = root_dir.join("sub dir");
    std::fs::create_dir_all(&sub).unwrap();
    let file_uri = |p: &Path| {
        let s = p.to_str().unwrap().replace(' ', "%20");
        format!("file://{s}/")
    };

    // `../` from a subdirectory: relative to %SRCROOT%, which the run defines
    let v = sarif_in(&sub, "../plans/p.md");
    let base = &v["runs"][0]["originalUriBaseIds"]["%SRCROOT%"];
    assert_eq!(base["uri"], file_uri(&sub), "{v:#}");
    let a = artifact(&results(&v)[0]);
    assert_eq!(a["uri"], "../plans/p.md");
    assert_eq!(a["uriBaseId"], "%SRCROOT%");

    // an absolute path inside the working directory becomes relative to it
    let v = sarif_in(&root_dir, plan.to_str().unwrap());
    let a = artifact(&results(&v)[0]);
    assert_eq!(a["uri"], "plans/p.md");
    assert_eq!(a["uriBaseId"], "%SRCROOT%");
    assert_eq!(
        v["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        file_uri(&root_dir)
    );

    // an absolute path outside it is an absolute, encoded file URI
    let v = sarif_in(&sub, plan.to_str().unwrap());
    let a = artifact(&results(&v)[0]);
    let want = format!("file://{}", plan.to_str().unwrap().replace(' ', "%20"));
    assert_eq!(a["uri"], want.as_str());
    assert!(a.get("uriBaseId").is_none());
    assert!(is_valid_uri_reference(a["uri"].as_str().unwrap()));
}

#[test]
fn end_line_is_the_last_line_of_the_region() {
    let v = sarif_in(&root(), MIXED);
    let src = std::fs::read_to_string(root().join(MIXED)).unwrap();
    let lines: Vec<&str> = src.lines().collect();
    let r = results(&v)
        .iter()
        .find(|r| r["ruleId"] == "DST032")
        .expect("the fixture has a DST032");
    let region = &r["locations"][0]["physicalLocation"]["region"];
    // the flagged list item is line 62 alone; its span ends with the newline
    assert_eq!(region["startLine"], 62);
    assert_eq!(region["endLine"], 62, "{region}");
    assert_eq!(
        region["endColumn"].as_u64().unwrap() as usize,
        lines[61].chars().count() + 1
    );
    for r in results(&v) {
        let g = &r["locations"][0]["physicalLocation"]["region"];
        let (s, e) = (
            g["startLine"].as_u64().unwrap(),
            g["endLine"].as_u64().unwrap(),
        );
        assert!(s <= e && e as usize <= lines.len(), "{g}");
    }
}

#[test]
fn every_rule_has_a_help_uri_to_a_page_in_the_repository() {
    let v = sarif_in(&root(), MIXED);
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() > 50);
    for r in rules {
        let id = r["id"].as_str().unwrap();
        let uri = r["helpUri"].as_str().expect("helpUri");
        let want = format!(
            "{}/blob/main/docs/rules/{id}.md",
            env!("CARGO_PKG_REPOSITORY")
        );
        assert_eq!(uri, want);
        let page = root().join("docs/rules").join(format!("{id}.md"));
        assert!(page.is_file(), "{} is missing", page.display());
    }
}

#[test]
fn help_markdown_is_the_explain_text() {
    let v = sarif_in(&root(), MIXED);
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    for id in ["DST001", "DST020", "DST070"] {
        let r = rules.iter().find(|r| r["id"] == id).unwrap();
        let o = run(&["explain", id, "--format", "json"]);
        assert_exit(&o, 0);
        let e: Value = serde_json::from_slice(&o.stdout).unwrap();
        let explain: String = e["explanation"]
            .as_str()
            .unwrap()
            .trim_end()
            .lines()
            .map(|l| format!("{}\n", l.strip_prefix(' ').unwrap_or(l)))
            .collect();
        let md = r["help"]["markdown"].as_str().unwrap();
        assert!(md.starts_with(&explain), "{id}: {md}");
        assert!(md.contains("## What it does"));
        let text = r["help"]["text"].as_str().unwrap();
        assert!(
            text.contains("Why is this bad?"),
            "{id}: help.text is more than a pointer"
        );
    }
}
