//! §3 as a person would write it: one row per suite (directory and kind), with counts, what
//! CI does with the suite, the harnesses found, and one placeholder per suite for the
//! judgement only a reader can make.

use std::collections::BTreeMap;

use super::delta::Delta;
use super::select::is_test;
use super::{Inventory, Item};
use crate::scaffold::templates::todo;

/// Suites shown in the table; past this, directories are merged into their parents.
const MAX_SUITES: usize = 24;
/// Names listed per harness kind before "and N more".
const MAX_NAMES: usize = 6;

/// A suite's kind from its path and test kind.
pub fn suite_kind(it: &Item) -> &'static str {
    let p = it.path.to_ascii_lowercase();
    let has = |ws: &[&str]| ws.iter().any(|w| p.contains(w));
    if has(&[
        "chaos",
        "jepsen",
        "nemesis",
        "fault",
        "failpoint",
        "resilien",
        "robustness",
        "partition",
    ]) {
        "chaos/resilience"
    } else if it.kind == "go-benchmark" || has(&["bench"]) {
        "benchmark"
    } else if it.kind == "go-fuzz" || has(&["fuzz"]) {
        "fuzz"
    } else if has(&[
        "e2e",
        "end-to-end",
        "end_to_end",
        "acceptance",
        "system_test",
        "systemtest",
    ]) || it.kind == "bats-test"
    {
        "end-to-end"
    } else if it.kind == "rust-test" {
        // Rust: the crate-level directory decides (`src/…` unit, `tests/…` integration)
        let first = it
            .path
            .split('/')
            .find(|d| matches!(*d, "src" | "tests" | "benches" | "examples"));
        match first {
            Some("tests") => "integration",
            Some("benches") => "benchmark",
            _ if has(&["integration"]) => "integration",
            _ => "unit",
        }
    } else if has(&["integration", "/it/"]) {
        "integration"
    } else {
        "unit"
    }
}

fn language(it: &Item) -> &'static str {
    match it.kind {
        "rust-test" => "Rust",
        "go-test" | "go-benchmark" | "go-fuzz" => "Go",
        "python-test" => "Python",
        "js-test" => "JS/TS",
        "bats-test" => "bats",
        _ => "shell",
    }
}

/// The directory that names a suite: the file's directory cut after a test directory
/// (`tests`, `e2e`, `__tests__` …), then to `depth` components.
fn suite_dir(path: &str, depth: usize, rust: bool) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    let dirs = &parts[..parts.len().saturating_sub(1)];
    let cut = dirs
        .iter()
        .position(|d| {
            matches!(
                *d,
                "tests"
                    | "test"
                    | "__tests__"
                    | "e2e"
                    | "integration"
                    | "benches"
                    | "testing"
                    | "spec"
            ) || (rust && *d == "src")
        })
        .map_or(dirs.len(), |i| i + 1);
    let d = &dirs[..cut.min(depth)];
    if d.is_empty() {
        ".".into()
    } else {
        d.join("/")
    }
}

#[derive(Default)]
struct Suite<'a> {
    tests: Vec<&'a Item>,
}

fn plain(t: &str) -> String {
    t.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('`', "'")
        .replace('|', "\\|")
}

/// Short form of a `false` reason, for counting.
fn reason_label(why: &str) -> String {
    let w = why.split(" (").next().unwrap_or(why);
    let w = w.split("; ").next().unwrap_or(w);
    let mut s: String = w.chars().take(70).collect();
    if w.chars().count() > 70 {
        s.push('…');
    }
    s
}

fn ci_cell(tests: &[&Item]) -> String {
    let mut run = 0;
    let mut unknown = 0;
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut unknown_why: BTreeMap<String, usize> = BTreeMap::new();
    for t in tests {
        match t.ci.as_ref().map(|c| (c.runs, c.why.as_str())) {
            Some((Some(true), _)) => run += 1,
            Some((Some(false), w)) => *skipped.entry(reason_label(w)).or_default() += 1,
            Some((None, w)) => {
                unknown += 1;
                *unknown_why.entry(reason_label(w)).or_default() += 1;
            }
            None => {}
        }
    }
    let mut parts = vec![format!("runs {run}")];
    let skip_total: usize = skipped.values().sum();
    if skip_total > 0 {
        let mut reasons: Vec<_> = skipped.into_iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let top: Vec<String> = reasons
            .iter()
            .take(2)
            .map(|(r, n)| format!("{n}: {r}"))
            .collect();
        let more = if reasons.len() > 2 { "; …" } else { "" };
        parts.push(format!("skips {skip_total} ({}{more})", top.join("; ")));
    }
    if unknown > 0 {
        let (w, _) = unknown_why
            .iter()
            .max_by_key(|(_, n)| **n)
            .expect("non-empty");
        parts.push(format!("cannot tell {unknown} (e.g. {w})"));
    }
    plain(&parts.join("; "))
}

/// The suite table, harness lines and CI line for §3 (under 60 lines for any repository).
pub fn render(inv: &Inventory, delta: Option<&Delta>) -> String {
    let all_tests: Vec<&Item> = inv
        .items
        .iter()
        .filter(|i| is_test(i.kind) && i.kind != "shell-test")
        .collect();
    let (fixtures, tests): (Vec<&Item>, Vec<&Item>) =
        all_tests.into_iter().partition(|i| is_fixture(&i.path));
    let mut depth = 4;
    let groups = loop {
        let mut g: BTreeMap<(String, &'static str, &'static str), Suite> = BTreeMap::new();
        for t in &tests {
            g.entry((
                suite_dir(&t.path, depth, t.kind == "rust-test"),
                suite_kind(t),
                language(t),
            ))
            .or_default()
            .tests
            .push(t);
        }
        if g.len() <= MAX_SUITES || depth == 0 {
            break g;
        }
        depth -= 1;
    };
    let faults: Vec<&Item> = inv
        .items
        .iter()
        .filter(|i| i.kind == "fault-injection" && !is_fixture(&i.path))
        .collect();
    let mut s = String::from(
        "| Test / harness | Subsystem | Tests | What CI does | Invariant pinned | Failure modes it catches |\n|---|---|---|---|---|---|\n",
    );
    let mut groups: Vec<_> = groups.into_iter().collect();
    // at most MAX_SUITES rows even at depth 0 (many kinds and languages): smallest merged
    let mut rest: Vec<&Item> = Vec::new();
    if groups.len() > MAX_SUITES {
        groups.sort_by_key(|(_, g)| std::cmp::Reverse(g.tests.len()));
        for (_, g) in groups.drain(MAX_SUITES - 1..) {
            rest.extend(g.tests);
        }
        groups.sort_by(|a, b| a.0.cmp(&b.0));
    }
    for ((dir, kind, lang), g) in &groups {
        let ignored = g.tests.iter().filter(|t| t.ignored).count();
        let fws: Vec<&str> = {
            let mut v: Vec<&str> = g.tests.iter().filter_map(|t| t.framework).collect();
            v.sort();
            v.dedup();
            v
        };
        let count = if ignored > 0 {
            format!("{} ({ignored} ignored/skipped)", g.tests.len())
        } else {
            g.tests.len().to_string()
        };
        let prefix = if dir == "." {
            String::new()
        } else {
            format!("{dir}/")
        };
        let fault_here: Vec<String> = faults
            .iter()
            .filter(|f| dir == "." || f.path.starts_with(&prefix))
            .map(|f| f.name.clone())
            .collect();
        let failure = if fault_here.is_empty() {
            "no fault injection found in this directory".to_string()
        } else {
            let mut m: Vec<String> = fault_here
                .join(", ")
                .split(", ")
                .map(str::to_string)
                .collect();
            m.sort();
            m.dedup();
            format!("fault injection here: {}", m.join(", "))
        };
        let fw = if fws.is_empty() {
            String::new()
        } else {
            format!(" ({})", plain(&fws.join(", ")))
        };
        s.push_str(&format!(
            "| `{}` {lang} {kind} tests{fw} | {} | {count} | {} | {} | {} |\n",
            plain(&prefix_or_root(dir)),
            plain(dir),
            ci_cell(&g.tests),
            todo("what this suite pins, and whether its oracle and fault coverage match a claim"),
            plain(&failure)
        ));
    }
    if !rest.is_empty() {
        s.push_str(&format!(
            "| {} smaller suites (see `dstplan inventory --per-test`) | various | {} | {} | {} | — |\n",
            groups.len(),
            rest.len(),
            ci_cell(&rest),
            todo("whether any of these matters to a claim")
        ));
    }
    s.push('\n');
    let names = |kind: &str, with_detail: bool| -> Option<String> {
        let v: Vec<String> = inv
            .items
            .iter()
            .filter(|i| i.kind == kind && !is_fixture(&i.path))
            .map(|i| {
                if with_detail && !i.name.is_empty() {
                    format!("`{}` ({})", plain(&i.path), plain(&i.name))
                } else if !i.name.is_empty() && kind.ends_with("target") || kind.ends_with("recipe")
                {
                    format!("`{}`", plain(&i.name))
                } else {
                    format!("`{}`", plain(&i.path))
                }
            })
            .collect();
        if v.is_empty() {
            return None;
        }
        let more = if v.len() > MAX_NAMES {
            format!(" and {} more", v.len() - MAX_NAMES)
        } else {
            String::new()
        };
        Some(format!(
            "{}{more}",
            v.into_iter().take(MAX_NAMES).collect::<Vec<_>>().join(", ")
        ))
    };
    let mut harness = Vec::new();
    for (kind, label, detail) in [
        ("compose", "compose files", false),
        ("fault-injection", "fault injection", true),
        ("shell-test", "shell test scripts", false),
        ("make-target", "make targets", false),
        ("just-recipe", "just recipes", false),
    ] {
        if let Some(n) = names(kind, detail) {
            harness.push(format!("- **{label}:** {n}"));
        }
    }
    if harness.is_empty() {
        s.push_str("**Harnesses:** none found (no compose files, fault-injection scripts or test targets).\n\n");
    } else {
        s.push_str("**Harnesses:**\n\n");
        s.push_str(&harness.join("\n"));
        s.push_str("\n\n");
    }
    let c = &inv.ci;
    let total = tests.len();
    let run = tests
        .iter()
        .filter(|t| t.ci.as_ref().is_some_and(|c| c.runs == Some(true)))
        .count();
    let off = tests
        .iter()
        .filter(|t| t.ci.as_ref().is_some_and(|c| c.runs == Some(false)))
        .count();
    if c.files.is_empty() {
        s.push_str("**CI:** no GitHub Actions or GitLab CI configuration found, so what CI runs cannot be told.\n");
    } else {
        let files: Vec<String> = c
            .files
            .iter()
            .take(MAX_NAMES)
            .map(|f| format!("`{}`", plain(f)))
            .collect();
        let more = if c.files.len() > MAX_NAMES {
            format!(" and {} more", c.files.len() - MAX_NAMES)
        } else {
            String::new()
        };
        s.push_str(&format!(
            "**CI:** {} test command(s) found in {}{more}; CI runs {run} of {total} tests, skips {off}, cannot tell for {}.",
            c.invocations.len(),
            files.join(", "),
            total - run - off
        ));
        if let Some(o) = c.opaque.first() {
            s.push_str(&format!(
                " Not read: {}{}.",
                plain(o),
                if c.opaque.len() > 1 {
                    format!(" and {} more", c.opaque.len() - 1)
                } else {
                    String::new()
                }
            ));
        }
        s.push('\n');
    }
    if !fixtures.is_empty() {
        s.push_str(&format!(
            "\nNot counted: {} test-like functions in fixture directories (`fixtures/`, `testdata/`), which are test data.\n",
            fixtures.len()
        ));
    }
    if let Some(d) = delta {
        s.push('\n');
        s.push_str(&render_delta(d));
    }
    s.push_str("\nPer-test list: `dstplan inventory --per-test` (Markdown) or `--format json`.\n");
    s
}

/// Whether a path lies in a fixture directory (test data, not the repository's tests).
pub fn is_fixture(path: &str) -> bool {
    path.split('/').any(|d| {
        matches!(
            d,
            "fixtures" | "testdata" | "__fixtures__" | "test-fixtures" | "test_data"
        )
    })
}

fn prefix_or_root(dir: &str) -> String {
    if dir == "." {
        "./".into()
    } else {
        format!("{dir}/")
    }
}

/// The delta as bullet lists (at most 10 entries each).
pub fn render_delta(d: &Delta) -> String {
    let mut s = format!("**Change against `{}`:**\n\n", plain(&d.base));
    if d.is_empty() {
        s.push_str("- no test was added, removed, newly ignored or changed in what CI runs.\n");
        return s;
    }
    for (label, list) in [
        ("no longer run in CI", &d.no_longer_run_in_ci),
        ("newly ignored", &d.newly_ignored),
        ("removed", &d.removed),
        ("added", &d.added),
        ("newly run in CI", &d.newly_run_in_ci),
    ] {
        if list.is_empty() {
            continue;
        }
        s.push_str(&format!("- **{label} ({}):**", list.len()));
        let shown: Vec<String> = list
            .iter()
            .take(10)
            .map(|e| {
                format!(
                    "`{}:{}` {} — {}",
                    plain(&e.file),
                    e.line,
                    plain(e.id.rsplit("::").next().unwrap_or(&e.id)),
                    plain(&e.why)
                )
            })
            .collect();
        for x in shown {
            s.push_str(&format!("\n  - {x}"));
        }
        if list.len() > 10 {
            s.push_str(&format!(
                "\n  - and {} more (`dstplan inventory --base {} --format json`)",
                list.len() - 10,
                plain(&d.base)
            ));
        }
        s.push('\n');
    }
    s
}
