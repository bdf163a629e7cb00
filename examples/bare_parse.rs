//! The baseline of the lint benchmark as a whole process: read a file, parse it with tables,
//! task lists and strikethrough, and walk every event with its offset. Compare with
//! `dstplan lint FILE` on the same file (e.g. under `perf stat -e instructions`).

use pulldown_cmark::{Options, Parser};

fn main() {
    let path = std::env::args().nth(1).expect("usage: bare_parse FILE");
    let text = std::fs::read_to_string(path).expect("readable UTF-8 file");
    let opts = Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH;
    let mut acc = 0usize;
    for (ev, range) in Parser::new_ext(&text, opts).into_offset_iter() {
        acc = acc.wrapping_add(range.start ^ range.end);
        std::hint::black_box(&ev);
    }
    println!("{acc}");
}
