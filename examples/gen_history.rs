//! Generate a history from the simulated linearizable object, for benchmarks.
//!
//! `cargo run --release --example gen_history -- MODEL OPS PROCESSES KEYS SEED [INDETERMINATE] [cas]`
//! writes JSONL to stdout (MODEL: register or map; values are unique; `cas` adds cas ops to a
//! register, which takes it off the zone fast path).
//! `gen_history --shape SHAPE OPS SEED` writes one of the named shapes of `sim::Shape`
//! (register-rw, cas-spread, cas, map, map-crowd, cas-crowd), or `ledger` (`sim::ledger`: one
//! account, 16 clients, exactly once; check it with `--model ledger`). Why an example and not
//! a command: generating histories is a tool for measuring `dstplan`, not part of its job.

use std::io::Write;

use dstplan::history::sim::ledger::{ledger_to_jsonl, simulate_ledger, LedgerConfig};
use dstplan::history::sim::{simulate, to_jsonl, Shape, SimConfig, SimModel};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() == 4 && args[0] == "--shape" {
        let (Ok(ops), Ok(seed)) = (args[2].parse(), args[3].parse()) else {
            eprintln!("usage: gen_history --shape SHAPE OPS SEED");
            std::process::exit(2);
        };
        if args[1] == "ledger" {
            let ops = simulate_ledger(&LedgerConfig::shape(ops, seed));
            return write_chunks(&ops, ledger_to_jsonl);
        }
        let Some(shape) = Shape::parse(&args[1]) else {
            eprintln!("unknown shape {} (expected one of: register-rw, cas-spread, cas, map, map-crowd, cas-crowd, ledger)", args[1]);
            std::process::exit(2);
        };
        let cfg = shape.config(ops, seed);
        return write(cfg.model, &simulate(&cfg));
    }
    if args.len() < 5 {
        eprintln!("usage: gen_history register|map OPS PROCESSES KEYS SEED [INDETERMINATE] [cas]");
        std::process::exit(2);
    }
    let model = match args[0].as_str() {
        "register" => SimModel::Register,
        "map" => SimModel::Map,
        other => {
            eprintln!("unknown model {other}");
            std::process::exit(2);
        }
    };
    let num = |i: usize| -> usize {
        args[i].parse().unwrap_or_else(|_| {
            eprintln!("argument {} must be a number", i + 1);
            std::process::exit(2)
        })
    };
    let cfg = SimConfig {
        model,
        ops: num(1),
        processes: num(2),
        keys: num(3),
        seed: num(4) as u64,
        indeterminate: args.get(5).and_then(|s| s.parse().ok()).unwrap_or(0.0),
        failed: 0.0,
        cas: args.get(6).is_some_and(|s| s == "cas"),
        values: 0,
    };
    write(model, &simulate(&cfg));
}

fn write(model: SimModel, ops: &[dstplan::history::sim::SimOp]) {
    write_chunks(ops, |chunk, buf| to_jsonl(model, chunk, buf));
}

/// Render `ops` with `render` ten thousand at a time to stdout (stops quietly on a closed
/// pipe).
fn write_chunks<T>(ops: &[T], render: impl Fn(&[T], &mut String)) {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut buf = String::new();
    for chunk in ops.chunks(10_000) {
        buf.clear();
        render(chunk, &mut buf);
        if out.write_all(buf.as_bytes()).is_err() {
            return;
        }
    }
    let _ = out.flush();
}
