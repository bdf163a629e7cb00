//! DST01x: sections, their order, and the tables they must hold.

use super::{Cx, Sink};
use crate::declare_rule;
use crate::lint::Rule;
use crate::plan::{Span, Table};

pub(super) const RULES: &[&Rule] = &[
    &MISSING_SECTION,
    &SECTION_OUT_OF_ORDER,
    &SECTION_TITLE_DIFFERS,
    &DUPLICATE_SECTION,
    &EMPTY_SECTION,
    &MISSING_FILES_TOUCHED,
    &MISSING_TABLE_COLUMN,
    &MISSING_TABLE,
    &NO_SCENARIOS,
];

/// The sections of the format, in order: number, title, required in change-scoped plans.
pub const SECTIONS: &[(&str, &str, bool)] = &[
    ("0", "Architectural summary", true),
    ("1", "Scope", true),
    ("1b", "Claims under test", true),
    ("1c", "Missing claims discovered", true),
    ("2", "SUT model", true),
    ("3", "Existing test inventory", false),
    ("4", "Failure-mode hypotheses", true),
    ("5", "Coverage matrix", false),
    ("6", "Technique selection", true),
    ("6b", "Environment requirements", true),
    ("7", "Scenarios", true),
    ("7b", "Coverage adequacy argument", true),
    ("7c", "Residual uncertainty", true),
    ("7d", "Confidence statement", true),
    ("8", "What this plan does NOT cover", true),
    ("9", "Open questions / followups", true),
];

/// Required columns per table (section, columns).
pub const TABLE_COLUMNS: &[(&str, &[&str])] = &[
    ("1b", &["id", "claim", "category", "source", "inferred?"]),
    (
        "1c",
        &[
            "id",
            "behavior the code relies on",
            "source / evidence",
            "suggested action",
        ],
    ),
    (
        "3",
        &[
            "test / harness",
            "subsystem",
            "invariant pinned",
            "failure modes it catches",
        ],
    ),
    (
        "5",
        &[
            "claim",
            "hypothesis",
            "existing tests",
            "verdict",
            "gap kind",
            "recommended scenario",
        ],
    ),
    (
        "6b",
        &[
            "requirement",
            "version floor",
            "used by scenarios",
            "install hint",
        ],
    ),
    (
        "7b",
        &[
            "claim",
            "threat model",
            "scenarios that exercise the threats",
            "why these are sufficient",
        ],
    ),
    (
        "7c",
        &[
            "uncertainty",
            "why uncovered",
            "why acceptable today",
            "when to revisit",
        ],
    ),
    ("7d", &["claim", "aspect", "confidence", "reason"]),
];

declare_rule! {
    /// ## What it does
    /// Checks that every required section is present: §0, §1, §1b, §1c, §2, §4, §6, §6b, §7,
    /// §7b, §7c, §7d, §8 and §9 always, and §3 and §5 in project-wide plans.
    ///
    /// ## Why is this bad?
    /// Each section answers a question a reviewer will ask; a missing one is a question the
    /// plan silently skipped.
    ///
    /// ## Example
    /// ```markdown
    /// ## 7. Scenarios
    /// ## 8. What this plan does NOT cover
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// ## 7. Scenarios
    /// ## 7b. Coverage adequacy argument
    /// ## 7c. Residual uncertainty
    /// ## 7d. Confidence statement
    /// ## 8. What this plan does NOT cover
    /// ```
    pub static MISSING_SECTION = ("DST010", "missing-section", Error, "a required section is missing");
}

declare_rule! {
    /// ## What it does
    /// Warns when numbered sections are not in the format's order.
    ///
    /// ## Why is this bad?
    /// Reviewers read plans top to bottom: claims before hypotheses, hypotheses before
    /// scenarios. Out of order, references point forward and the argument is harder to follow.
    ///
    /// ## Example
    /// ```markdown
    /// ## 4. Failure-mode hypotheses
    /// ## 1b. Claims under test
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// ## 1b. Claims under test
    /// ## 4. Failure-mode hypotheses
    /// ```
    pub static SECTION_OUT_OF_ORDER = ("DST011", "section-out-of-order", Warning, "a section appears out of order");
}

declare_rule! {
    /// ## What it does
    /// Warns when a section's title differs from the format's title for its number.
    ///
    /// ## Why is this bad?
    /// Sections are recognised by number, so the title is informational; a different title
    /// usually means the content drifted from what the number promises.
    ///
    /// ## Example
    /// ```markdown
    /// ## 7c. Risks
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// ## 7c. Residual uncertainty
    /// ```
    pub static SECTION_TITLE_DIFFERS = ("DST012", "section-title-differs", Warning, "a section's title differs from the format's");
}

declare_rule! {
    /// ## What it does
    /// Warns when the same section number appears twice.
    ///
    /// ## Why is this bad?
    /// Tools read the first one; whatever the second holds is invisible to the checks.
    ///
    /// ## Example
    /// ```markdown
    /// ## 8. What this plan does NOT cover
    /// ## 8. More non-goals
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// ## 8. What this plan does NOT cover
    /// ```
    pub static DUPLICATE_SECTION = ("DST013", "duplicate-section", Warning, "a section number appears twice");
}

declare_rule! {
    /// ## What it does
    /// Checks that a required section has content under its heading.
    ///
    /// ## Why is this bad?
    /// An empty heading looks complete in a table of contents and says nothing. Silence is not
    /// the same as "nothing to say": write what applies, or why nothing does.
    ///
    /// ## Example
    /// ```markdown
    /// ## 8. What this plan does NOT cover
    ///
    /// ## 9. Open questions / followups
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// ## 8. What this plan does NOT cover
    ///
    /// - Multi-region deployments: not deployed.
    /// ```
    pub static EMPTY_SECTION = ("DST014", "empty-section", Error, "a required section is empty");
}

declare_rule! {
    /// ## What it does
    /// Checks that a change-scoped plan's §1 has a `Files touched:` list with at least one file.
    ///
    /// ## Why is this bad?
    /// A change-scoped plan is argued from the diff; without the files, nobody can check that
    /// the hypotheses cover what changed. `dstplan new` fills it from git.
    ///
    /// ## Example
    /// ```markdown
    /// ## 1. Scope
    /// The change reworks lease renewal.
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// ## 1. Scope
    /// The change reworks lease renewal.
    ///
    /// Files touched:
    /// - `server/lease/lessor.go` — modified
    /// ```
    pub static MISSING_FILES_TOUCHED = ("DST015", "missing-files-touched", Error, "a change-scoped plan lists no files touched");
}

declare_rule! {
    /// ## What it does
    /// Checks that a table has every required column. Tables are read by header name
    /// (case-insensitive); extra columns are fine.
    ///
    /// ## Why is this bad?
    /// Rules and reports read cells by column name; a missing column means a claim without a
    /// category or a coverage row without a verdict.
    ///
    /// ## Example
    /// ```markdown
    /// | ID | Claim | Source |
    /// |---|---|---|
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// | ID | Claim | Category | Source | Inferred? |
    /// |---|---|---|---|---|
    /// ```
    pub static MISSING_TABLE_COLUMN = ("DST016", "missing-table-column", Error, "a table lacks a required column");
}

declare_rule! {
    /// ## What it does
    /// Checks that §1b, §6b, §7b (and §3, §5 in project-wide plans) hold their table.
    ///
    /// ## Why is this bad?
    /// These tables are the plan's spine: claims, environment, the adequacy argument. Prose
    /// cannot be checked for references or coverage.
    ///
    /// ## Example
    /// ```markdown
    /// ## 1b. Claims under test
    /// The cluster never loses acknowledged writes.
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// ## 1b. Claims under test
    /// | ID | Claim | Category | Source | Inferred? |
    /// |---|---|---|---|---|
    /// | C1 | Acknowledged writes survive leader loss. | durability | docs/ha.md | no |
    /// ```
    pub static MISSING_TABLE = ("DST017", "missing-table", Error, "a section lacks its required table");
}

declare_rule! {
    /// ## What it does
    /// Checks that §7 holds at least one `### Scenario S<n>: <name>`.
    ///
    /// ## Why is this bad?
    /// A plan without scenarios has nothing to execute.
    ///
    /// ## Example
    /// ```markdown
    /// ## 7. Scenarios
    /// To be written.
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// ## 7. Scenarios
    /// ### Scenario S1: acknowledged_writes_survive_leader_kill
    /// ```
    pub static NO_SCENARIOS = ("DST018", "no-scenarios", Error, "§7 has no scenario");
}

fn norm_title(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

pub(super) fn check(cx: &Cx, out: &mut Sink) {
    let plan = cx.plan;
    let project = plan.is_project_wide();
    let anchor = plan.title.as_ref().map_or(Span::new(0, 0), |t| t.span);
    let mode = if project {
        "project-wide"
    } else {
        "change-scoped"
    };
    for (num, title, always) in SECTIONS {
        let required = *always || project;
        match plan.section(num) {
            None if required => out.push(
                &MISSING_SECTION,
                anchor,
                format!("§{num} {title} is missing"),
                format!("add `## {num}. {title}` (required in {mode} plans)"),
            ),
            Some(s) => {
                if required && !s.has_content {
                    out.push(
                        &EMPTY_SECTION,
                        s.span,
                        format!("§{num} {title} is empty"),
                        "write what applies here, or say explicitly why nothing does",
                    );
                }
                if !s.title.is_empty() && !norm_title(&s.title).starts_with(&norm_title(title)) {
                    out.push(
                        &SECTION_TITLE_DIFFERS,
                        s.span,
                        format!(
                            "§{num} is titled `{}`; the format calls it `{title}`",
                            s.title
                        ),
                        format!("retitle it `## {num}. {title}`"),
                    );
                }
            }
            None => {}
        }
    }
    // order and duplicates
    let order = |n: &str| SECTIONS.iter().position(|(x, _, _)| *x == n);
    let mut last: Option<(usize, &str)> = None;
    let mut seen: Vec<&str> = Vec::new();
    for s in &plan.sections {
        if seen.contains(&s.number.as_str()) {
            out.push(
                &DUPLICATE_SECTION,
                s.span,
                format!("§{} appears more than once", s.number),
                "merge the two sections into one",
            );
            continue;
        }
        seen.push(&s.number);
        if let Some(pos) = order(&s.number) {
            if let Some((lp, ln)) = last {
                if pos < lp {
                    out.push(
                        &SECTION_OUT_OF_ORDER,
                        s.span,
                        format!("§{} comes after §{ln}", s.number),
                        format!("move §{} before §{ln}", s.number),
                    );
                }
            }
            if last.is_none_or(|(lp, _)| pos > lp) {
                last = Some((pos, SECTIONS[pos].0));
            }
        }
    }
    // change-scoped: files touched
    if !project {
        if let Some(s) = plan.section("1") {
            match &plan.files_touched {
                None => out.push(&MISSING_FILES_TOUCHED, s.span, "§1 has no `Files touched:` list", "add `Files touched:` followed by one `- path — change` bullet per file (`dstplan new` fills it from git)"),
                Some(f) if f.children().is_empty() && f.value.trim().is_empty() => out.push(&MISSING_FILES_TOUCHED, f.span, "§1 `Files touched:` lists no file", "list every file the change touches, one bullet each"),
                _ => {}
            }
        }
    }
    // tables
    let tables: [(&str, Option<&Table>, bool); 8] = [
        ("1b", plan.claims_table.as_ref(), true),
        ("1c", plan.missing_table.as_ref(), false),
        ("3", plan.inventory_table.as_ref(), project),
        ("5", plan.coverage_table.as_ref(), project),
        ("6b", plan.environment_table.as_ref(), true),
        ("7b", plan.adequacy_table.as_ref(), true),
        ("7c", plan.residual_table.as_ref(), false),
        ("7d", plan.confidence_table.as_ref(), false),
    ];
    for (num, table, must) in tables {
        let cols = TABLE_COLUMNS
            .iter()
            .find(|(n, _)| *n == num)
            .map(|(_, c)| *c)
            .unwrap_or(&[]);
        match table {
            Some(t) => {
                for col in cols {
                    if t.column(col).is_none() {
                        out.push(
                            &MISSING_TABLE_COLUMN,
                            t.span,
                            format!("the §{num} table has no `{col}` column"),
                            format!("add a `{col}` column (tables are read by header name)"),
                        );
                    }
                }
            }
            None if must => {
                if let Some(s) = plan.section(num) {
                    out.push(
                        &MISSING_TABLE,
                        s.span,
                        format!("§{num} has no table"),
                        format!("add the table with columns: {}", cols.join(" | ")),
                    );
                }
            }
            None => {}
        }
    }
    if let Some(s) = plan.section("7") {
        if plan.scenarios.is_empty() {
            out.push(
                &NO_SCENARIOS,
                s.span,
                "§7 has no scenario",
                "add `### Scenario S1: <claim_shaped_name>` (`dstplan scenario add` writes one)",
            );
        }
    }
}
