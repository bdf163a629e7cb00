//! Plan parser, every lint rule and every diagnostics renderer on arbitrary text: no panic.
#![no_main]

use dstplan::diag::{self, FileReport, Format};
use dstplan::lint::{self, config::Config};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let diagnostics = lint::lint(text, Some("plan"), &Config::default());
    for d in &diagnostics {
        assert!(d.start <= d.end && d.end <= text.len(), "span out of the file: {d:?}");
        assert!(d.line >= 1 && d.end_line >= d.line, "lines out of order: {d:?}");
    }
    let files = [FileReport {
        path: "fuzz/plan.md".into(),
        source: text.to_string(),
        diagnostics,
    }];
    let rules = lint::rule_infos();
    for f in [Format::Text, Format::Concise, Format::Json, Format::Sarif, Format::Github] {
        let _ = diag::render(f, &files, false, &rules);
    }
});
