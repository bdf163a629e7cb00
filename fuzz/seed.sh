#!/usr/bin/env bash
# Seed the fuzz corpora from the test fixtures (plans, findings, histories).
set -euo pipefail
cd "$(dirname "$0")/.."
for t in lint finding history history_diff history_ints report; do mkdir -p "fuzz/corpus/$t"; done
find tests/fixtures/plans -name '*.md' -size -200k -exec cp {} fuzz/corpus/lint/ \;
find tests/fixtures/sessions -path '*/findings/*.md' -exec sh -c 'for f; do cp "$f" "fuzz/corpus/finding/$(echo "$f" | tr / _)"; done' _ {} +
cp fuzz/corpus/finding/* fuzz/corpus/report/ 2>/dev/null || true
find tests/fixtures verification -name '*.jsonl' -size -100k -exec sh -c 'for f; do cp "$f" "fuzz/corpus/history/$(echo "$f" | tr / _)"; done' _ {} +
head -c 64 /dev/urandom > fuzz/corpus/history_diff/seed0
head -c 60 /dev/urandom > fuzz/corpus/history_ints/seed0
