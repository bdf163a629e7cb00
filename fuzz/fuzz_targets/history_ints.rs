//! Structured histories with extreme integers (timestamps, op ids, values, ledger amounts near
//! the i64 limits) for every model: an input error or a verdict, never a panic or overflow.
#![no_main]

use std::io::Cursor;
use std::time::{Duration, Instant};

use dstplan::history::{check_history, checkers_for, record, MODELS};
use libfuzzer_sys::fuzz_target;

const EXTREMES: [i64; 9] = [i64::MIN, i64::MIN + 1, -1, 0, 1, 2, 1 << 53, i64::MAX - 1, i64::MAX];

fn pick(b: Option<&u8>) -> i64 {
    let b = b.copied().unwrap_or(0);
    if b < 200 {
        EXTREMES[usize::from(b) % EXTREMES.len()]
    } else {
        i64::from(b)
    }
}

fuzz_target!(|data: &[u8]| {
    let mut lines = String::new();
    for (i, c) in data.chunks(6).enumerate() {
        let op = ["read", "write", "cas", "inc", "credit", "debit", "balance", "enqueue", "dequeue", "append"]
            [usize::from(c[0]) % 10];
        let invoke = pick(c.get(1));
        let complete = pick(c.get(2));
        let v = pick(c.get(3));
        let input = match op {
            "credit" | "debit" => format!("{{\"amount\":{v},\"idem\":\"k{i}\"}}"),
            "cas" => format!("[{v},{}]", pick(c.get(4))),
            "read" | "balance" | "dequeue" => "null".into(),
            _ => v.to_string(),
        };
        let output = match op {
            "read" | "balance" => pick(c.get(5)).to_string(),
            "cas" => "true".into(),
            _ => "null".into(),
        };
        lines.push_str(&format!(
            "{{\"op_id\":{i},\"process_id\":{},\"invoke_ts\":{invoke},\"complete_ts\":{complete},\"op_type\":\"{op}\",\"key\":\"k\",\"input\":{input},\"output\":{output},\"error\":null,\"timeout_marker\":false,\"node_seen\":null,\"fault_epoch\":null}}\n",
            i
        ));
    }
    let Ok(h) = record::read("ints.jsonl", Cursor::new(lines.as_bytes())) else {
        return;
    };
    for model in MODELS {
        for checker in checkers_for(model) {
            let _ = check_history(&h, vec![], model, Some(checker), Duration::from_millis(200), Instant::now());
        }
    }
});
