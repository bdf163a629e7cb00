//! History parsing, validation and every checker of every model on arbitrary bytes: an input
//! error or a verdict, never a panic; each check bounded by a small budget.
#![no_main]

use std::io::Cursor;
use std::time::{Duration, Instant};

use dstplan::history::{check_history, checkers_for, record, MODELS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(h) = record::read("fuzz.jsonl", Cursor::new(data)) else {
        return;
    };
    for model in MODELS {
        for checker in checkers_for(model) {
            let _ = check_history(
                &h,
                vec![],
                model,
                Some(checker),
                Duration::from_millis(200),
                Instant::now(),
            );
        }
    }
});
