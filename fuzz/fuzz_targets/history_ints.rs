//! Structured histories with extreme integers (timestamps, values, ledger amounts near the
//! i64 limits; tests/common/gen.rs) for every model and checker: an input error or a verdict,
//! never a panic or an overflow.
#![no_main]

use std::io::Cursor;
use std::time::{Duration, Instant};

use dstplan::history::{check_history, checkers_for, record, MODELS};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/brute.rs"]
mod brute;
#[path = "../../tests/common/gen.rs"]
mod gen;

fuzz_target!(|data: &[u8]| {
    let text = gen::extreme_history(&mut brute::Bytes(data), 12);
    let Ok(h) = record::read("ints.jsonl", Cursor::new(text.as_bytes())) else {
        return;
    };
    for model in MODELS {
        for checker in checkers_for(model) {
            let _ = check_history(&h, vec![], model, Some(checker), Duration::from_millis(200), Instant::now());
        }
    }
});
