//! Structured histories with extreme integers (timestamps, values, ledger amounts near the
//! i64 limits; tests/common/gen.rs) for every model and checker: an input error or a verdict,
//! never a panic or an overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/brute.rs"]
mod brute;
#[path = "../../tests/common/gen.rs"]
mod gen;

fuzz_target!(|data: &[u8]| {
    gen::check_every_model(&gen::extreme_history(&mut brute::Bytes(data), 12));
});
