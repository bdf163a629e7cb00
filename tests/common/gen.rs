//! Generators of hostile inputs shared by the stable property tests and the fuzz targets:
//! histories with integers near the i64 limits for every model's op types.
#![allow(dead_code)]

use std::io::Cursor;
use std::time::{Duration, Instant};

use dstplan::history::{check_history, checkers_for, record, MODELS};

use super::brute::Draw;

const EXTREMES: [i64; 9] = [
    i64::MIN,
    i64::MIN + 1,
    -1,
    0,
    1,
    2,
    1 << 53,
    i64::MAX - 1,
    i64::MAX,
];

const OPS: [&str; 10] = [
    "read", "write", "cas", "inc", "credit", "debit", "balance", "enqueue", "dequeue", "append",
];

fn extreme(d: &mut impl Draw) -> i64 {
    let b = d.below(256);
    if b < 200 {
        EXTREMES[(b % EXTREMES.len() as u64) as usize]
    } else {
        b as i64
    }
}

/// A JSONL history of up to `max_ops` ops on one key whose timestamps, values, deltas and
/// ledger amounts are drawn near the i64 limits; some lines are malformed on purpose
/// (`complete_ts` before `invoke_ts`), which must be input errors, not panics.
pub fn extreme_history(d: &mut impl Draw, max_ops: u64) -> String {
    let n = 1 + d.below(max_ops);
    let mut lines = String::new();
    for i in 0..n {
        let op = OPS[d.below(OPS.len() as u64) as usize];
        let invoke = extreme(d);
        let complete = extreme(d);
        let v = extreme(d);
        let input = match op {
            "credit" | "debit" => format!("{{\"amount\":{v},\"idem\":\"k{i}\"}}"),
            "cas" => format!("[{v},{}]", extreme(d)),
            "read" | "balance" | "dequeue" => "null".into(),
            _ => v.to_string(),
        };
        let output = match op {
            "read" | "balance" => extreme(d).to_string(),
            "cas" => "true".into(),
            _ => "null".into(),
        };
        lines.push_str(&format!(
            "{{\"op_id\":{i},\"process_id\":{i},\"invoke_ts\":{invoke},\"complete_ts\":{complete},\"op_type\":\"{op}\",\"key\":\"k\",\"input\":{input},\"output\":{output},\"error\":null,\"timeout_marker\":false,\"node_seen\":null,\"fault_epoch\":null}}\n"
        ));
    }
    lines
}

/// Read `text` as a history and run every checker of every model on it under a short budget:
/// an input error or a verdict is fine, a panic is the bug.
pub fn check_every_model(text: &str) {
    let Ok(h) = record::read("gen.jsonl", Cursor::new(text.as_bytes())) else {
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
}
