//! Differential test: the linearizability checker against a brute-force search written from
//! the history format alone (tests/common/brute.rs), on thousands of small random register
//! histories (reads, writes, cas; ok, failed and indeterminate ops; touching intervals). The
//! two must agree on every history, and the checker must decide each.

use std::io::Cursor;
use std::time::{Duration, Instant};

use dstplan::history::sim::Rng;
use dstplan::history::{check_history, record, Outcome};

mod common;
use common::brute::{brute_force, generate, to_jsonl};

#[test]
fn linearizability_agrees_with_a_brute_force_search_on_small_register_histories() {
    let mut rng = Rng::new(0x5eed_d1ff);
    let (mut ok, mut bad) = (0, 0);
    for case in 0..4000 {
        let ops = generate(&mut rng);
        let text = to_jsonl(&ops);
        let h = match record::read("gen.jsonl", Cursor::new(text.as_bytes())) {
            Ok(h) => h,
            Err(e) => panic!("case {case}: generated history does not load: {e}\n{text}"),
        };
        let r = check_history(
            &h,
            vec![],
            "register",
            None,
            Duration::from_secs(10),
            Instant::now(),
        )
        .unwrap_or_else(|e| panic!("case {case}: {e}\n{text}"));
        let expect = brute_force(&ops);
        let got = match r.outcome {
            Outcome::Ok => true,
            Outcome::Violation => false,
            Outcome::Unknown => panic!("case {case}: undecided on {} ops\n{text}", ops.len()),
        };
        assert_eq!(
            got, expect,
            "case {case}: checker says linearizable={got}, brute force says {expect}\n{text}"
        );
        if expect {
            ok += 1;
        } else {
            bad += 1;
        }
    }
    // Both answers are well represented, so the test can fail either way.
    assert!(ok > 400 && bad > 400, "ok {ok}, violations {bad}");
}
