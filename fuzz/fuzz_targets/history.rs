//! History parsing, validation and every checker of every model on arbitrary bytes: an input
//! error or a verdict, never a panic; each check bounded by a small budget.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/brute.rs"]
mod brute;
#[path = "../../tests/common/gen.rs"]
mod gen;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        gen::check_every_model(text);
    }
});
