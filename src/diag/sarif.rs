//! SARIF 2.1.0 for code scanning: one run, the rule table the caller passes in (descriptions
//! from each rule's doc), one result per diagnostic with a physical location.

use serde_json::{json, Value};

use super::{FileReport, RuleInfo, Severity};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

pub(super) fn render(files: &[FileReport], rules: &[RuleInfo]) -> String {
    let rule_objs: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.doc},
                "help": {"text": format!("dstplan explain {}", r.code), "markdown": r.doc},
                "defaultConfiguration": {"level": level(r.severity)},
            })
        })
        .collect();
    let mut results = Vec::new();
    for f in files {
        let uri = f.path.replace('\\', "/");
        let uri = uri.strip_prefix("./").unwrap_or(&uri).to_string();
        for d in &f.diagnostics {
            let index = rules.iter().position(|r| r.code == d.code);
            let mut res = json!({
                "ruleId": d.code,
                "level": level(d.severity),
                "message": {"text": format!("{} (help: {})", d.message, d.help)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri},
                        "region": {"startLine": d.line, "startColumn": d.column, "endLine": d.end_line}
                    }
                }]
            });
            if let Some(i) = index {
                res["ruleIndex"] = json!(i);
            }
            results.push(res);
        }
    }
    let out = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "dstplan",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rule_objs,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&out).expect("serialisable");
    s.push('\n');
    s
}
