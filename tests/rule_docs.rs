//! `docs/rules/`: one page per lint rule (what SARIF's `helpUri` points at), generated from
//! `dstplan rules` and `dstplan explain`; `UPDATE_EXPECT=1` rewrites them after a rule changes.

mod common;
use common::*;

use serde_json::Value;

fn json(args: &[&str]) -> Value {
    let o = run(args);
    assert_exit(&o, 0);
    serde_json::from_slice(&o.stdout).unwrap()
}

fn dedent(doc: &str) -> String {
    doc.trim_end()
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix(' ').unwrap_or(l)))
        .collect()
}

#[test]
fn every_rule_has_a_page_matching_its_explain_text() {
    let rules = json(&["rules", "--format", "json"]);
    let rules = rules.as_array().unwrap();
    let dir = root().join("docs/rules");
    let mut index = String::from(
        "# dstplan lint rules\n\nGenerated from `dstplan rules` and `dstplan explain CODE` by \
         `tests/rule_docs.rs` (`UPDATE_EXPECT=1 cargo test --test rule_docs` rewrites these \
         pages). SARIF output links each result to its rule's page.\n\n| code | name | severity | summary |\n|---|---|---|---|\n",
    );
    let mut names = Vec::new();
    for r in rules {
        let code = r["code"].as_str().unwrap();
        let e = json(&["explain", code, "--format", "json"]);
        let page = format!(
            "# {code} {name}\n\nSeverity: {sev}. {summary}.\n\n{doc}\nDefined in `{file}`; `dstplan explain {code}` prints this page. Turn it off or change its severity in `dstplan.toml` (see README.md).\n",
            name = e["name"].as_str().unwrap(),
            sev = e["severity"].as_str().unwrap(),
            summary = capitalise(e["summary"].as_str().unwrap()),
            doc = dedent(e["explanation"].as_str().unwrap()),
            file = e["file"].as_str().unwrap(),
        );
        golden(&dir.join(format!("{code}.md")), &page);
        index.push_str(&format!(
            "| [{code}]({code}.md) | `{}` | {} | {} |\n",
            r["name"].as_str().unwrap(),
            r["severity"].as_str().unwrap(),
            r["summary"].as_str().unwrap().replace('|', "\\|")
        ));
        names.push(format!("{code}.md"));
    }
    golden(&dir.join("README.md"), &index);
    // no page for a rule that no longer exists
    for e in std::fs::read_dir(&dir).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            n == "README.md" || names.contains(&n),
            "docs/rules/{n} documents no current rule; delete it"
        );
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
