//! Generate a list-append transaction history from a simulated store, for benchmarks.
//!
//! `cargo run --release --example gen_txn -- serial|snapshot TXNS PROCESSES SEED [INDETERMINATE]`
//! writes JSONL to stdout: a strict serializable store (`serial`) or a snapshot-isolation one
//! (`snapshot`, which admits write skew), 8 active keys, a key retiring after 16 appends.

use std::io::Write;

use dstplan::history::txn::sim::{generate, to_jsonl, Store, TxnSimConfig};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!("usage: gen_txn serial|snapshot TXNS PROCESSES SEED [INDETERMINATE]");
        std::process::exit(2);
    }
    let store = match args[0].as_str() {
        "serial" => Store::Serial,
        "snapshot" => Store::Snapshot,
        other => {
            eprintln!("unknown store {other}");
            std::process::exit(2);
        }
    };
    let num = |i: usize| -> usize {
        args[i].parse().unwrap_or_else(|_| {
            eprintln!("argument {} must be a number", i + 1);
            std::process::exit(2)
        })
    };
    let cfg = TxnSimConfig {
        store,
        txns: num(1),
        processes: num(2),
        active_keys: 8,
        appends_per_key: 16,
        seed: num(3) as u64,
        indeterminate: args.get(4).and_then(|s| s.parse().ok()).unwrap_or(0.0),
    };
    let text = to_jsonl(&generate(&cfg));
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .unwrap_or_else(|e| {
            eprintln!("cannot write: {e}");
            std::process::exit(1)
        });
}
