//! Stable-toolchain property tests for what the fuzz targets check (fuzz/README.md), so CI
//! checks the same invariants without nightly: histories with extreme integers and random
//! bytes through every model and checker, random edits of findings through the finding parser
//! and the report engine. Each must end in an error or an answer, never a panic.

use std::path::Path;

use dstplan::history::sim::Rng;

mod common;
use common::gen::{check_every_model, extreme_history};

#[test]
fn histories_with_extreme_integers_never_panic_any_checker() {
    let mut rng = Rng::new(0xe7_7e3e);
    for _ in 0..3000 {
        check_every_model(&extreme_history(&mut rng, 8));
    }
}

#[test]
fn random_bytes_as_a_history_never_panic() {
    let mut rng = Rng::new(42);
    let seed = "{\"op_id\":1,\"process_id\":0,\"invoke_ts\":1,\"complete_ts\":2,\"op_type\":\"write\",\"key\":\"x\",\"input\":1,\"output\":null,\"error\":null,\"timeout_marker\":false,\"node_seen\":null,\"fault_epoch\":null}\n";
    for _ in 0..3000 {
        let mut bytes = seed.as_bytes().to_vec();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(bytes.len() as u64) as usize;
            match rng.below(3) {
                0 => bytes[i] = rng.below(256) as u8,
                1 => {
                    bytes.remove(i);
                }
                _ => bytes.insert(i, b"{}[]\",:-0123456789e"[rng.below(19) as usize]),
            }
        }
        if let Ok(text) = std::str::from_utf8(&bytes) {
            check_every_model(&text.repeat(1 + rng.below(3) as usize));
        }
    }
}

/// A random edit of `text`: delete, duplicate or replace a short run of characters.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    let i = rng.below(chars.len() as u64) as usize;
    let j = (i + 1 + rng.below(12) as usize).min(chars.len());
    let mut out: Vec<char> = chars[..i].to_vec();
    match rng.below(4) {
        0 => {}
        1 => out.extend_from_slice(&chars[i..j]),
        2 => out.extend(": &a *a [{\n- ".chars().nth(rng.below(13) as usize)),
        _ => out.extend_from_slice(&chars[i..j].repeat(2)),
    }
    out.extend_from_slice(&chars[j..]);
    out.into_iter().collect()
}

#[test]
fn random_edits_of_findings_never_panic_the_parser_or_the_report() {
    let fixtures = common::fixture("");
    let tmp = tempfile::tempdir().unwrap();
    let session = tmp.path().join("sessions/clean");
    common::copy_dir(&fixtures.join("sessions/clean"), &session);
    common::copy_dir(
        &fixtures.join("report-plans"),
        &tmp.path().join("report-plans"),
    );
    let original = std::fs::read_to_string(session.join("findings/S1.md")).unwrap();
    let oracle = dstplan::report::history_oracle();
    let mut rng = Rng::new(7);
    let mut built = 0;
    for _ in 0..300 {
        let mut text = original.clone();
        for _ in 0..1 + rng.below(3) {
            text = mutate(&text, &mut rng);
        }
        let _ = dstplan::session::finding::parse(&text);
        std::fs::write(session.join("findings/S1.md"), &text).unwrap();
        if let Ok(mut r) = dstplan::report::build(Path::new(&session), &oracle) {
            built += 1;
            let _ = dstplan::report::finish(&mut r);
        }
    }
    assert!(
        built > 0,
        "no edit left a buildable session: the test exercises nothing"
    );
}
