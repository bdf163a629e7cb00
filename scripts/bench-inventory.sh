#!/usr/bin/env bash
# Measure `dstplan inventory` throughput (files/s) on a large tree.
#
# Usage: scripts/bench-inventory.sh [TREE] [RUNS] [THREADS]
#   TREE     directory to scan (default: ~/.cargo/registry/src, tens of thousands of files)
#   RUNS     timed runs after one warm-up run (default: 3)
#   THREADS  walker threads (default: dstplan's default, the machine's parallelism)
#
# Builds the release binary once (cargo build --release), runs one warm-up pass so the page
# cache holds the tree, then prints the tool's own summary line per run (files seen, files
# read, elapsed, files/s) and the wall-clock time measured here.
set -euo pipefail

tree="${1:-$HOME/.cargo/registry/src}"
runs="${2:-3}"
threads="${3:-}"
cd "$(dirname "$0")/.."

cargo build --release --quiet
bin=target/release/dstplan
args=(inventory "$tree" --format json)
if [[ -n "$threads" ]]; then args+=(--threads "$threads"); fi

echo "tree: $tree ($(find "$tree" -type f | wc -l) files on disk)"
"$bin" "${args[@]}" >/dev/null 2>&1 # warm-up
for i in $(seq 1 "$runs"); do
  start=$(date +%s.%N)
  summary=$("$bin" "${args[@]}" 2>&1 >/dev/null | tail -1)
  end=$(date +%s.%N)
  printf 'run %d: %s; wall %.3f s\n' "$i" "$summary" "$(echo "$end - $start" | bc)"
done
"$bin" "${args[@]}" 2>/dev/null | python3 -c '
import json, sys, collections
v = json.load(sys.stdin)
c = collections.Counter(i["kind"] for i in v["items"])
print("items by kind:", ", ".join(f"{k} {n}" for k, n in sorted(c.items())))
print("ignored:", sum(1 for i in v["items"] if i["ignored"]))
'
