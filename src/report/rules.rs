//! The rules `dstplan report` enforces (`execution-format.md`, "Rules `dstplan report`
//! enforces"), one code each, and the diagnostic type the report emits (the same JSON shape
//! as `dstplan lint`'s: path, line, column, end_line, severity, code, message, help).

use serde::Serialize;

/// One report rule: its code, severity and a one-line description.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub code: &'static str,
    pub severity: &'static str,
    pub summary: &'static str,
}

/// Every report rule. Paths cited by a finding ("cites", `RPT011`) are `oracle.history` plus
/// every whitespace-separated token of a front-matter string value that starts with
/// `artifacts/`, `logs/` or `metrics/` (surrounding quotes, brackets and trailing punctuation
/// removed).
pub const RULES: &[Rule] = &[
    Rule { code: "RPT001", severity: "error", summary: "the finding's `scenario` is missing or names no scenario or arm of the plan" },
    Rule { code: "RPT002", severity: "error", summary: "the verdict is missing or not one of the ten verdicts" },
    Rule { code: "RPT003", severity: "error", summary: "the recorded verdict is stronger than the facts allow (decision tree and caps); the message names the supported verdict" },
    Rule { code: "RPT004", severity: "error", summary: "a PASS-* has no `oracle.evidence`" },
    Rule { code: "RPT005", severity: "error", summary: "a PASS-hardening has no `nemesis.landing_evidence`" },
    Rule { code: "RPT006", severity: "error", summary: "a PASS-hardening on a serious scenario has a weak-oracle item that is not `yes` or `n/a`" },
    Rule { code: "RPT007", severity: "error", summary: "a FAIL-* lacks a `failure` block with blame, type and reproducer, or uses a value outside the vocabulary" },
    Rule { code: "RPT008", severity: "error", summary: "an INCONCLUSIVE-*, PARTIAL-* or NOT-RUN has no `reason`" },
    Rule { code: "RPT009", severity: "error", summary: "the facts contradict each other" },
    Rule { code: "RPT010", severity: "error", summary: "`oracle.history` does not exist inside the session directory (absolute, `..`, missing, or a symlink leaving it)" },
    Rule { code: "RPT011", severity: "error", summary: "an artifact path the finding cites does not exist inside the session directory" },
    Rule { code: "RPT012", severity: "warning", summary: "a scenario or arm of the plan has no finding file; it is reported as NOT-RUN" },
    Rule { code: "RPT013", severity: "error", summary: "re-running the declared checker on `oracle.history` contradicts the verdict (a violation under a non-FAIL, or a clean history under a FAIL)" },
    Rule { code: "RPT014", severity: "warning", summary: "the finding's checker differs from the plan's §7.M checker" },
    Rule { code: "RPT015", severity: "warning", summary: "the finding's nemesis differs from the plan's §7.M nemesis" },
    Rule { code: "RPT016", severity: "warning", summary: "`plan_sha256` in session.json no longer matches the plan file" },
    Rule { code: "RPT017", severity: "warning", summary: "weak history: `fault_epoch` is null on every operation while the finding says the fault landed" },
    Rule { code: "RPT018", severity: "warning", summary: "weak history: `node_seen` is null on every operation for a replication or membership claim" },
    Rule { code: "RPT019", severity: "error", summary: "a front-matter value has the wrong type or is outside its list (facts, coverage, audits, budget tier)" },
    Rule { code: "RPT020", severity: "error", summary: "a parent scenario's finding claims more than its arms roll up to" },
    Rule { code: "RPT021", severity: "error", summary: "the finding's file name does not match its `scenario`, or two findings name the same scenario" },
    Rule { code: "RPT022", severity: "error", summary: "a fault id in `nemesis.fault_ids` is not in the session's fault logs, never landed (`landed` is not true), or its window does not overlap the cited history's time span" },
    Rule { code: "RPT023", severity: "error", summary: "with `--require-verified-landing`: a PASS-* whose landing is only typed (free-text `landing_evidence`, no verified fault id)" },
    Rule { code: "RPT024", severity: "warning", summary: "`nemesis.fault_ids` is given without `oracle.history`, so the fault windows cannot be checked against the run" },
    Rule { code: "RPT025", severity: "error", summary: "a PASS-* cites an `oracle.history` that is not a regular file or does not parse as a history" },
];

/// One report diagnostic, serialised like lint's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub struct Diag {
    /// Relative to the session directory.
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub severity: &'static str,
    pub code: &'static str,
    pub message: String,
    pub help: String,
}

impl Diag {
    /// A diagnostic for `code` (its severity comes from [`RULES`]).
    pub fn new(code: &'static str, path: &str, line: usize, message: String, help: &str) -> Diag {
        let severity = RULES
            .iter()
            .find(|r| r.code == code)
            .map_or("error", |r| r.severity);
        Diag {
            path: path.to_string(),
            line: line.max(1),
            column: 1,
            end_line: line.max(1),
            severity,
            code,
            message,
            help: help.to_string(),
        }
    }

    /// Error-level?
    pub fn is_error(&self) -> bool {
        self.severity == "error"
    }
}

/// The rules as a Markdown table (for docs and `--help` text).
pub fn rules_table() -> String {
    let mut s = String::from("| code | severity | rule |\n|---|---|---|\n");
    for r in RULES {
        s.push_str(&format!(
            "| {} | {} | {} |\n",
            r.code, r.severity, r.summary
        ));
    }
    s
}
