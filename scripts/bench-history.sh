#!/usr/bin/env bash
# Benchmark `dstplan history check` on generated histories (10k … 1M ops) and on the shared
# corpus. Builds release once, generates each shape of sim::Shape with examples/gen_history.rs
# (a simulated linearizable object), and prints a Markdown table: verdict, in-process time,
# ops/s, wall and CPU time and peak RSS (from /usr/bin/time when present).
#
# usage: scripts/bench-history.sh [MAX_OPS]   (default 1000000; e.g. 100000 for a quick run)
# env:   BENCH_DIR (default: a temp dir, removed at the end), CORPUS (default ../shared/corpus/histories),
#        SHAPES (default: all seven), BIN (the dstplan binary to measure; default the release build),
#        TXN (default 1; 0 skips the transaction table)
set -euo pipefail
cd "$(dirname "$0")/.."
max=${1:-1000000}
corpus=${CORPUS:-../shared/corpus/histories}
work=${BENCH_DIR:-$(mktemp -d)}
cleanup() { [ -z "${BENCH_DIR:-}" ] && rm -rf "$work"; }
trap cleanup EXIT

cargo build --release --quiet --bin dstplan --example gen_history --example gen_txn
bin=${BIN:-target/release/dstplan}
gen=target/release/examples/gen_history
gen_txn=target/release/examples/gen_txn

# time_it CMD… → prints "wall_s cpu_s maxrss_kb exit" for one run
time_it() {
  local out="$work/time.txt" code=0
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%e %U %S %M" -o "$out" "$@" >"$work/stdout.txt" 2>/dev/null || code=$?
    tail -n 1 "$out" | awk -v c="$code" '{printf "%s %.2f %s %s\n", $1, $2+$3, $4, c}'
  else
    local s e
    s=$(date +%s.%N)
    "$@" >"$work/stdout.txt" 2>/dev/null || code=$?
    e=$(date +%s.%N)
    echo "$(echo "$e - $s" | bc) ? ? $code"
  fi
}

echo "| shape | ops | verdict (exit) | in-process ms | ops/s (in-process) | wall s | CPU s | peak RSS MB |"
echo "|---|---:|---|---:|---:|---:|---:|---:|"
# The shapes of sim::Shape (src/history/sim.rs), each at 10k … 1M ops, with the default time
# budget: register-rw (64 processes, one key, unique values: the zone path), cas-spread (cas,
# one key per 1,000 ops), cas (one key, 8 processes, 0.2% timeouts), map (4 keys, values from
# 16, 0.2% timeouts), map-crowd (one key, 32 processes, values from 8, 3% timeouts),
# cas-crowd (one key, 24 processes, 0.1% timeouts); and ledger (sim::ledger: one account,
# 16 clients, 40% balance reads, 1% timeouts retried under the same idem; checked with
# --model ledger, whose default checker is exactly-once).
for n in 10000 100000 1000000; do
  [ "$n" -le "$max" ] || continue
  for shape in ${SHAPES:-register-rw cas-spread cas map map-crowd cas-crowd ledger}; do
    f="$work/$shape-$n.jsonl"
    "$gen" --shape "$shape" "$n" 1 > "$f"
    model=register; case $shape in map*) model=map;; ledger) model=ledger;; esac
    read -r wall cpu rss code < <(time_it "$bin" history check "$f" --model "$model" --format json)
    rm -f "$f"
    verdict=$(case $code in 0) echo ok;; 1) echo violation;; 3) echo unknown;; *) echo "error";; esac)
    # elapsed_ms: reading, validating and checking, as the report measures it (no start-up).
    ms=$(grep -o '"elapsed_ms":[0-9]*' "$work/stdout.txt" | cut -d: -f2)
    rate=$(awk -v n="$n" -v m="${ms:-0}" 'BEGIN { printf "%d", n * 1000 / (m > 0 ? m : 1) }')
    echo "| $shape | $n | $verdict ($code) | ${ms:-?} | $rate | $wall | $cpu | $(( rss / 1024 )) |"
  done
done

if [ "${TXN:-1}" != 0 ]; then
echo
echo "Transactions (list-append, serializability; 8 active keys, a key retires after 16 appends;"
echo "1% of txns indeterminate; serial = strict serializable store, snapshot = snapshot isolation):"
echo
echo "| history | txns | processes | level | verdict (exit) | in-process ms | txns/s (in-process) | wall s | CPU s | peak RSS MB |"
echo "|---|---:|---:|---|---|---:|---:|---:|---:|---:|"
for n in 1000 10000 100000; do
  [ "$n" -le "$max" ] || continue
  for spec in "serial 16 serializable" "serial 16 strict-serializable" "snapshot 16 snapshot-isolation" "snapshot 16 serializable"; do
    set -- $spec
    store=$1 procs=$2 level=$3
    f="$work/txn-$store-$n.jsonl"
    [ -f "$f" ] || "$gen_txn" "$store" "$n" "$procs" 42 0.01 > "$f"
    read -r wall cpu rss code < <(time_it "$bin" history check "$f" --model list-append --consistency "$level" --timeout 120 --format json)
    verdict=$(case $code in 0) echo ok;; 1) echo violation;; 3) echo unknown;; *) echo "error";; esac)
    ms=$(grep -o '"elapsed_ms":[0-9]*' "$work/stdout.txt" | cut -d: -f2)
    rate=$(awk -v n="$n" -v m="${ms:-0}" 'BEGIN { printf "%d", n * 1000 / (m > 0 ? m : 1) }')
    echo "| $store | $n | $procs | $level | $verdict ($code) | ${ms:-?} | $rate | $wall | $cpu | $(( rss / 1024 )) |"
  done
done
fi

if [ -d "$corpus" ]; then
  echo
  echo "Corpus (one process per file, so process start-up is included):"
  etcd=("$corpus"/porcupine-etcd/*.jsonl)
  s=$(date +%s.%N)
  for f in "${etcd[@]}"; do "$bin" history check "$f" --model register >/dev/null || true; done
  e=$(date +%s.%N)
  echo "- all ${#etcd[@]} etcd files: $(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }') s wall in total"
  for k in c50-ok c50-bad; do
    read -r wall cpu rss code < <(time_it "$bin" history check "$corpus/porcupine-kv/$k.jsonl" --model map)
    echo "- kv $k: exit $code, $wall s wall, $cpu s CPU, $(( rss / 1024 )) MB"
  done
  echo "- in-process check time (elapsed_ms of each report) for the etcd files:" \
    "$(for f in "${etcd[@]}"; do "$bin" history check "$f" --model register --format json || true; done \
      | grep -o '"elapsed_ms":[0-9]*' | awk -F: '{ t += $2 } END { printf "%d ms in total", t }')"
fi
echo
echo "load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?') on $(nproc 2>/dev/null || echo '?') cores"
