//! Lint throughput against a bare pulldown-cmark pass, on generated plans of growing size.
//!
//! Run: `cargo bench --bench lint` (release build). For each size the plan is written to a
//! temporary file; each measurement is the whole job from the file: read it, then either
//! (bare) parse with tables, task lists and strikethrough and walk every event with its
//! offset, or (lint) run `dstplan::lint::lint`. The best of several runs is reported with
//! MB/s, the lint/bare ratio, and the growth factor against the previous size.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use pulldown_cmark::{Options, Parser};

fn template() -> (String, String, String) {
    let src = include_str!("../tests/fixtures/plans/clean/project-wide.md");
    let s1 = src.find("### Scenario S1:").unwrap();
    let s2 = src.find("### Scenario S2:").unwrap();
    let s7b = src.find("## 7b.").unwrap();
    (
        src[..s1].to_string(),
        src[s1..s2].to_string(),
        src[s2..s7b].to_string() + &src[s7b..],
    )
}

/// A plan with `n` scenarios (n ≥ 3): S1, then copies of it as S4…Sn, then the original S2
/// and S3 (whose arms and references stay as they are).
fn plan(n: usize) -> String {
    let (head, s1, tail) = template();
    let mut out = String::with_capacity(head.len() + s1.len() * n + tail.len());
    out.push_str(&head);
    out.push_str(&s1);
    for i in 4..=n {
        out.push_str(&s1.replacen(
            "### Scenario S1: retried_debits",
            &format!("### Scenario S{i}: retried_debits"),
            1,
        ));
    }
    out.push_str(&tail);
    out
}

fn bare(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let opts = Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH;
    let mut acc = 0usize;
    for (ev, range) in Parser::new_ext(&text, opts).into_offset_iter() {
        acc = acc.wrapping_add(range.start ^ range.end);
        black_box(&ev);
    }
    acc
}

fn lint(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    dstplan::lint::lint(
        &text,
        Some("project-wide"),
        &dstplan::lint::Config::default(),
    )
    .len()
}

fn parse_only(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    dstplan::plan::parse(&text).scenarios.len()
}

fn best(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut out = 0;
    for _ in 0..runs {
        let t = Instant::now();
        out = black_box(f());
        best = best.min(t.elapsed());
    }
    (best, out)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    println!(
        "{:>9} {:>9} {:>11} {:>11} {:>10} {:>10} {:>7} {:>8}",
        "scenarios", "MB", "bare ms", "lint ms", "bare MB/s", "lint MB/s", "ratio", "growth"
    );
    let mut prev: Option<(usize, Duration)> = None;
    for n in [100, 1_000, 10_000, 20_000] {
        let text = plan(n);
        let path = dir.path().join(format!("plan-{n}.md"));
        std::fs::write(&path, &text).unwrap();
        let mb = text.len() as f64 / 1e6;
        let runs = if n >= 10_000 { 5 } else { 15 };
        let (tb, _) = best(runs, || bare(&path));
        let (tl, diags) = best(runs, || lint(&path));
        let (tp, _) = best(runs, || parse_only(&path));
        eprintln!("  parse only: {:.1} ms", tp.as_secs_f64() * 1e3);
        let growth = prev.map_or(String::from("-"), |(pn, pt)| {
            format!("{:.2}x/{}x", tl.as_secs_f64() / pt.as_secs_f64(), n / pn)
        });
        println!(
            "{n:>9} {mb:>9.1} {:>11.1} {:>11.1} {:>10.1} {:>10.1} {:>7.2} {:>8}",
            tb.as_secs_f64() * 1e3,
            tl.as_secs_f64() * 1e3,
            mb / tb.as_secs_f64(),
            mb / tl.as_secs_f64(),
            tl.as_secs_f64() / tb.as_secs_f64(),
            growth
        );
        assert_eq!(
            diags, 0,
            "the generated plan must lint clean, or the benchmark measures error paths"
        );
        prev = Some((n, tl));
    }
}
