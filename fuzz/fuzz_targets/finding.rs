//! Finding front matter parsing (bounded YAML) on arbitrary text: an error or a finding, never
//! a panic, a hang or unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = dstplan::session::finding::parse(text);
    }
});
