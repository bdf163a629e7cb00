//! DST00x: the header block and the title.

use super::{is_placeholder, Cx, Sink};
use crate::declare_rule;
use crate::lint::Rule;
use crate::plan::Span;
use crate::vocab;

pub(super) const RULES: &[&Rule] = &[
    &NOT_A_TEST_PLAN,
    &MISSING_HEADER_FIELD,
    &MISSING_PLAN_MODE,
    &INVALID_HEADER_VALUE,
    &SLUG_MISMATCH,
];

declare_rule! {
    /// ## What it does
    /// Checks that the file starts with the title `# Test Plan: <slug>`.
    ///
    /// ## Why is this bad?
    /// The title is how `dstplan lint DIR` recognises a plan and how the session and report
    /// name it. A file without it is not read as a plan at all.
    ///
    /// ## Example
    /// ```markdown
    /// # Redis failover testing
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// # Test Plan: redis-failover
    /// ```
    pub static NOT_A_TEST_PLAN = ("DST001", "not-a-test-plan", Error, "the first heading is not `# Test Plan: <slug>`");
}

declare_rule! {
    /// ## What it does
    /// Checks that the header has a non-empty `Date`, `SUT`, `Change under test`, `Plan author`
    /// and `Status`.
    ///
    /// ## Why is this bad?
    /// A reviewer needs to know what was tested, when, by whom, and against which change; a
    /// plan without those cannot be tied to a session or a commit.
    ///
    /// ## Example
    /// ```markdown
    /// **Date:** 2026-11-23
    /// **Plan mode:** change-scoped
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// **Date:** 2026-11-23
    /// **Plan mode:** change-scoped
    /// **SUT:** etcd 3.5 three-node cluster
    /// **Change under test:** a1b2c3d..e4f5a6b
    /// **Plan author:** storage team
    /// **Status:** draft
    /// ```
    pub static MISSING_HEADER_FIELD = ("DST002", "missing-header-field", Error, "a required header value is missing or empty");
}

declare_rule! {
    /// ## What it does
    /// Warns when the header has no `Plan mode`; such a plan is read as change-scoped.
    ///
    /// ## Why is this bad?
    /// The mode decides which sections are required (§3 and §5 for project-wide plans).
    /// Leaving it implicit is a legacy spelling.
    ///
    /// ## Example
    /// ```markdown
    /// **Date:** 2026-11-23
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// **Date:** 2026-11-23
    /// **Plan mode:** project-wide
    /// ```
    pub static MISSING_PLAN_MODE = ("DST003", "missing-plan-mode", Warning, "the header has no `Plan mode` (read as change-scoped)");
}

declare_rule! {
    /// ## What it does
    /// Checks header values against their lists: `Date` is an ISO date (`YYYY-MM-DD`),
    /// `Plan mode` is `change-scoped` or `project-wide`, `Status` is `draft`, `reviewed` or
    /// `executed`.
    ///
    /// ## Why is this bad?
    /// Tools read these values; `change-scoped | project-wide` copied from a template decides
    /// nothing.
    ///
    /// ## Example
    /// ```markdown
    /// **Plan mode:** change-scoped | project-wide
    /// **Date:** 23/11/2026
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// **Plan mode:** change-scoped
    /// **Date:** 2026-11-23
    /// ```
    pub static INVALID_HEADER_VALUE = ("DST004", "invalid-header-value", Error, "a header value is not one of the allowed values");
}

declare_rule! {
    /// ## What it does
    /// Warns when the slug in the title differs from the file name.
    ///
    /// ## Why is this bad?
    /// Sessions are filed under the slug; a plan whose file and title disagree produces
    /// sessions that are hard to find from the file.
    ///
    /// ## Example
    /// ```markdown
    /// <!-- in testing-plans/raft-leases.md -->
    /// # Test Plan: leases
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// # Test Plan: raft-leases
    /// ```
    pub static SLUG_MISMATCH = ("DST005", "slug-mismatch", Warning, "the title's slug differs from the file name");
}

pub(super) fn check(cx: &Cx, out: &mut Sink) {
    let plan = cx.plan;
    let title_span = plan.title.as_ref().map_or(Span::new(0, 0), |t| t.span);
    match (&plan.title, &plan.slug) {
        (None, _) => out.push(
            &NOT_A_TEST_PLAN,
            title_span,
            "the file has no `# Test Plan: <slug>` title",
            "start the file with `# Test Plan: <slug>`",
        ),
        (Some(t), None) => out.push(
            &NOT_A_TEST_PLAN,
            t.span,
            format!("the title `{}` is not `Test Plan: <slug>`", t.text.trim()),
            "write the title as `# Test Plan: <slug>`",
        ),
        (Some(t), Some(s)) if s.trim().is_empty() => out.push(
            &NOT_A_TEST_PLAN,
            t.span,
            "the title has no slug after `Test Plan:`",
            "name the plan: `# Test Plan: <slug>`",
        ),
        (Some(t), Some(s)) => {
            if let Some(stem) = cx.file_stem {
                if !is_placeholder(s) && s.trim() != stem {
                    out.push(
                        &SLUG_MISMATCH,
                        t.span,
                        format!(
                            "the title's slug `{}` differs from the file name `{stem}.md`",
                            s.trim()
                        ),
                        format!(
                            "rename the file to `{}.md` or change the slug to `{stem}`",
                            s.trim()
                        ),
                    );
                }
            }
        }
    }
    for (label, display) in [
        ("date", "Date"),
        ("sut", "SUT"),
        ("change under test", "Change under test"),
        ("plan author", "Plan author"),
        ("status", "Status"),
    ] {
        match plan.header_field(label) {
            None => out.push(
                &MISSING_HEADER_FIELD,
                title_span,
                format!("the header has no `{display}`"),
                format!("add `**{display}:** <value>` under the title"),
            ),
            Some(f) if f.value.trim().is_empty() => out.push(
                &MISSING_HEADER_FIELD,
                f.span,
                format!("the header's `{display}` is empty"),
                format!("fill in `{display}`"),
            ),
            _ => {}
        }
    }
    match plan.header_field("plan mode") {
        None => out.push(
            &MISSING_PLAN_MODE,
            title_span,
            "the header has no `Plan mode`; the plan is read as change-scoped",
            "add `**Plan mode:** change-scoped` or `**Plan mode:** project-wide`",
        ),
        Some(f) => {
            let v = f.value.trim();
            if !v.is_empty()
                && !is_placeholder(v)
                && !vocab::PLAN_MODES.iter().any(|m| m.eq_ignore_ascii_case(v))
            {
                out.push(
                    &INVALID_HEADER_VALUE,
                    f.span,
                    format!("`Plan mode` is `{v}`, not `change-scoped` or `project-wide`"),
                    "choose one mode: `change-scoped` or `project-wide`",
                );
            }
        }
    }
    if let Some(f) = plan.header_field("date") {
        let v = f.value.trim();
        if !v.is_empty()
            && !is_placeholder(v)
            && chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err()
        {
            out.push(
                &INVALID_HEADER_VALUE,
                f.span,
                format!("`Date` is `{v}`, not an ISO date"),
                "write the date as YYYY-MM-DD, e.g. 2026-11-23",
            );
        }
    }
    if let Some(f) = plan.header_field("status") {
        let v = f.value.trim();
        if !v.is_empty()
            && !is_placeholder(v)
            && !vocab::PLAN_STATUSES
                .iter()
                .any(|m| m.eq_ignore_ascii_case(v))
        {
            out.push(
                &INVALID_HEADER_VALUE,
                f.span,
                format!("`Status` is `{v}`, not `draft`, `reviewed` or `executed`"),
                "set `Status` to `draft`, `reviewed` or `executed`",
            );
        }
    }
}
