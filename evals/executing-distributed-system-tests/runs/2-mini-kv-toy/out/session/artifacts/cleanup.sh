#!/bin/sh
# Undo for S1 (registered before any fault): kill any toy node left running by an interrupted
# harness. The harness also kills its nodes in a `finally` block.
pkill -f 'artifacts/toy/minikv.py serve' 2>/dev/null || true
