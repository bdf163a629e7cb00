//! Lint throughput against a bare pulldown-cmark pass, on generated plans of growing size.
//!
//! Run: `cargo bench --bench lint` (release build). For each size the plan is written to a
//! temporary file; each measurement is the whole job from the file: read it, then either
//! (bare) parse with tables, task lists and strikethrough and walk every event with its
//! offset, or (lint) run `dstplan::lint::lint`. The best of several runs is reported with
//! MB/s, the lint/bare ratio, and the growth factor against the previous size. A second table
//! runs both as whole processes (`dstplan lint FILE` against this binary started with
//! `--bare-process FILE`), interleaved, and reports the minimum and median.

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

/// Wall time of `runs` runs of a process, interleaved with the other side's runs by the
/// caller: (minimum, median).
fn spawn_times(
    cmd: &mut dyn FnMut() -> std::process::Command,
    runs: usize,
) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let out = cmd().output().expect("spawn");
            let took = t.elapsed();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            took
        })
        .collect();
    times.sort();
    (times[0], times[runs / 2])
}

fn main() {
    // `--bare-process FILE`: this binary acts as the whole-process baseline (read, parse with
    // tables, task lists and strikethrough, walk every event with its offset).
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--bare-process") {
        println!("{}", bare(Path::new(&args[i + 1])));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    println!("in process (best of several runs of the whole job from the file):");
    println!(
        "{:>9} {:>9} {:>11} {:>11} {:>10} {:>10} {:>7} {:>8}",
        "scenarios", "MB", "bare ms", "lint ms", "bare MB/s", "lint MB/s", "ratio", "growth"
    );
    let mut prev: Option<(usize, Duration)> = None;
    let sizes = [100, 1_000, 10_000, 20_000];
    for n in sizes {
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

    // Whole processes: `dstplan lint FILE` against this binary's `--bare-process FILE`, runs
    // interleaved so both see the same machine. Startup, page faults and exit are included.
    println!("\nwhole process (min and median of interleaved runs):");
    println!(
        "{:>9} {:>13} {:>13} {:>11} {:>12}",
        "scenarios", "bare min/med", "lint min/med", "ratio min", "ratio med"
    );
    let me = std::env::current_exe().expect("bench binary");
    let dstplan = env!("CARGO_BIN_EXE_dstplan");
    for n in sizes {
        let path = dir.path().join(format!("plan-{n}.md"));
        let runs = if n >= 10_000 { 11 } else { 21 };
        let (mut bare_t, mut lint_t) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            bare_t.push(spawn_times(
                &mut || {
                    let mut c = std::process::Command::new(&me);
                    c.arg("--bare-process").arg(&path);
                    c
                },
                1,
            ));
            lint_t.push(spawn_times(
                &mut || {
                    let mut c = std::process::Command::new(dstplan);
                    c.arg("lint").arg("--format").arg("concise").arg(&path);
                    c
                },
                1,
            ));
        }
        let stats = |v: &mut Vec<(Duration, Duration)>| {
            v.sort();
            (v[0].0, v[v.len() / 2].0)
        };
        let (bmin, bmed) = stats(&mut bare_t);
        let (lmin, lmed) = stats(&mut lint_t);
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{n:>9} {:>6.1} {:>6.1} {:>6.1} {:>6.1} {:>11.2} {:>12.2}",
            ms(bmin),
            ms(bmed),
            ms(lmin),
            ms(lmed),
            ms(lmin) / ms(bmin),
            ms(lmed) / ms(bmed)
        );
    }
}
