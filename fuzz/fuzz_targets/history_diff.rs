//! Differential: the fuzzer's bytes drive the small register-history generator of
//! tests/common/brute.rs; the linearizability checker must agree with the brute force.
#![no_main]

use std::io::Cursor;
use std::time::{Duration, Instant};

use dstplan::history::{check_history, record, Outcome};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/brute.rs"]
mod brute;

fuzz_target!(|data: &[u8]| {
    let ops = brute::generate(&mut brute::Bytes(data));
    let text = brute::to_jsonl(&ops);
    let h = record::read("gen.jsonl", Cursor::new(text.as_bytes())).expect("generated history loads");
    let r = check_history(&h, vec![], "register", None, Duration::from_secs(10), Instant::now())
        .expect("generated history checks");
    let expect = brute::brute_force(&ops);
    match r.outcome {
        Outcome::Ok => assert!(expect, "checker: linearizable; brute force: not\n{text}"),
        Outcome::Violation => assert!(!expect, "checker: violation; brute force: linearizable\n{text}"),
        Outcome::Unknown => panic!("undecided on {} ops\n{text}", ops.len()),
    }
});
