#!/usr/bin/env bash
# Build every fuzz target and run each for a short, seeded time (fuzz/README.md). Needs a
# nightly toolchain; without one it says so and exits 0, since the stable property tests
# (tests/robustness_properties.rs, tests/history_differential.rs) check the same invariants.
# Usage: scripts/fuzz-ci.sh [SECONDS_PER_TARGET]   (default 60; .ci/run passes 30)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: no nightly toolchain; fuzz targets not built (the stable property tests ran)"
  exit 0
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --quiet
fi
targets=(lint finding history history_diff history_ints report)
bash fuzz/seed.sh
cargo +nightly fuzz build -s none --dev
for t in "${targets[@]}"; do
  log="$(mktemp)"
  if ! cargo +nightly fuzz run -s none --dev "$t" "fuzz/corpus/$t" -- \
      -seed=1 -max_total_time="$secs" -print_final_stats=1 >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz: $t crashed; the input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
  runs="$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -n 1 | grep -Eo '[0-9]+')"
  echo "fuzz: $t ran ${runs:-?} executions in ${secs} s without a crash"
  rm -f "$log"
done
