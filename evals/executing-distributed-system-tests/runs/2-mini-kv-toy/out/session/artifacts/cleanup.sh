#!/bin/sh
# Undo for S1, registered before any fault: stop any toy node an interrupted harness left
# listening on the ports the harness uses (seed 11: 18400/18401, 12: 18410/18411,
# 13: 18420/18421). The harness also kills the nodes it started in a `finally` block.
for port in 18400 18401 18410 18411 18420 18421; do
  fuser -k "$port/tcp" 2>/dev/null || true
done
