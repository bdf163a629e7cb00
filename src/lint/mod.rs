//! Lint rules over the typed plan.
//!
//! A rule is a [`Rule`] (code, kebab-case name, default severity, one-line summary, and a doc
//! string with `## What it does`, `## Why is this bad?`, `## Example` and `Use instead:`),
//! declared with [`declare_rule!`] in the file of its family under `rules/`. Each family has
//! one `check` function that reads the [`Plan`](crate::plan::Plan) and pushes findings into a
//! [`Sink`]. [`lint`] runs every family, then applies the user's configuration and inline
//! `dstplan-disable` directives and turns byte spans into lines and columns.
//!
//! Nothing here prints, exits or touches the disk (the config file is read by the CLI).

pub mod config;
pub mod fix;
pub mod rules;

use crate::diag::{Diagnostic, Severity};
use crate::plan::{LineIndex, Plan, Span};

pub use config::Config;

/// A lint rule's metadata. The doc string is the single source of `dstplan explain`.
#[derive(Debug)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub doc: &'static str,
    /// The file that defines the rule.
    pub file: &'static str,
}

/// Declare a rule: doc comments become its explain text.
#[macro_export]
macro_rules! declare_rule {
    ($(#[doc = $d:literal])* pub static $id:ident = ($code:literal, $name:literal, $sev:ident, $summary:literal);) => {
        $(#[doc = $d])*
        pub static $id: $crate::lint::Rule = $crate::lint::Rule {
            code: $code,
            name: $name,
            severity: $crate::diag::Severity::$sev,
            summary: $summary,
            doc: concat!($($d, "\n"),*),
            file: file!(),
        };
    };
}

/// What a rule may read.
pub struct Cx<'a> {
    pub plan: &'a Plan,
    pub src: &'a str,
    /// The file name without `.md`, for the slug check.
    pub file_stem: Option<&'a str>,
    pub config: &'a Config,
}

/// A finding before positions are resolved.
#[derive(Debug, Clone)]
pub struct Raw {
    pub rule: &'static Rule,
    pub span: Span,
    pub message: String,
    pub help: String,
}

/// Where rules put what they find.
#[derive(Debug, Default)]
pub struct Sink {
    pub raw: Vec<Raw>,
}

impl Sink {
    /// Report `message` at `span`, with `help` saying how to fix it.
    pub fn push(
        &mut self,
        rule: &'static Rule,
        span: Span,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.raw.push(Raw {
            rule,
            span,
            message: message.into(),
            help: help.into(),
        });
    }
}

/// Every rule, sorted by code.
pub fn registry() -> Vec<&'static Rule> {
    let mut v = rules::all();
    v.sort_by_key(|r| r.code);
    v
}

/// Every rule as the renderers see it (SARIF's rule table), sorted by code.
pub fn rule_infos() -> Vec<crate::diag::RuleInfo> {
    registry()
        .into_iter()
        .map(|r| crate::diag::RuleInfo {
            code: r.code,
            name: r.name,
            severity: r.severity,
            summary: r.summary,
            doc: r.doc,
        })
        .collect()
}

/// Find a rule by code (`DST020`, case-insensitive) or name (`unknown-reference`).
pub fn find_rule(key: &str) -> Option<&'static Rule> {
    registry()
        .into_iter()
        .find(|r| r.code.eq_ignore_ascii_case(key) || r.name == key)
}

/// Lint one plan's source. Diagnostics come sorted by position, then code.
pub fn lint(src: &str, file_stem: Option<&str>, config: &Config) -> Vec<Diagnostic> {
    let plan = crate::plan::parse(src);
    lint_plan(&plan, src, file_stem, config)
}

/// Lint an already parsed plan.
pub fn lint_plan(
    plan: &Plan,
    src: &str,
    file_stem: Option<&str>,
    config: &Config,
) -> Vec<Diagnostic> {
    let cx = Cx {
        plan,
        src,
        file_stem,
        config,
    };
    let mut sink = Sink::default();
    rules::check_all(&cx, &mut sink);
    if sink.raw.is_empty() {
        return Vec::new();
    }
    let index = LineIndex::new(src);
    let mut out = Vec::with_capacity(sink.raw.len());
    for r in sink.raw {
        let Some(severity) = config.severity(r.rule) else {
            continue;
        };
        let silenced = plan.directives.iter().any(|d| {
            !d.reason.trim().is_empty()
                && d.codes.iter().any(|c| c.eq_ignore_ascii_case(r.rule.code))
                && r.span.start >= d.target.start
                && r.span.start < d.target.end.max(d.target.start + 1)
        });
        if silenced {
            continue;
        }
        let (line, column) = index.line_col(src, r.span.start);
        let end_line = index.line(r.span.end.max(r.span.start).min(src.len()));
        out.push(Diagnostic {
            code: r.rule.code,
            severity,
            message: r.message,
            help: r.help,
            start: r.span.start,
            end: r.span.end,
            line,
            column,
            end_line: end_line.max(line),
        });
    }
    out.sort_by(|a, b| {
        (a.line, a.column, a.code, &a.message).cmp(&(b.line, b.column, b.code, &b.message))
    });
    out.dedup_by(|a, b| a.line == b.line && a.code == b.code && a.message == b.message);
    out
}
