#!/usr/bin/env bash
# Reproduces the redis-queue verification session: a Redis primary and replica on 127.0.0.1,
# S1 (queue under a primary SIGSTOP, prefix-order) and S2 (counter across a replica SIGKILL
# and full resync, final-state-invariant), 3 seeds each, findings, report and --check.
# Usage: verification/redis-queue/run.sh   (needs redis-server 7 and python3; ~2.5 min)
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VER="$REPO/verification"
DSTPLAN="${DSTPLAN:-$REPO/target/debug/dstplan}"
read -r -a SEEDS <<< "${SEEDS:-11 12 13}"
PY="${PYTHON:-python3}"
if [ ! -x "$DSTPLAN" ]; then (cd "$REPO" && cargo build -q) || exit 2; fi
for t in redis-server redis-cli "$PY"; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 2; }; done

rm -rf "$HERE/session"; mkdir -p "$HERE/session"
S="$("$DSTPLAN" session new --plan "$HERE/plan.md" --root "$HERE/session" --operator "verification/redis-queue/run.sh")" || exit 2
ART="$S/artifacts"; LOGS="$S/logs"; mkdir -p "$ART/S1" "$ART/S2" "$LOGS"
$PY - "$S/session.json" "$(dpkg-query -W -f='${Version}' redis-server 2>/dev/null || redis-server --version)" <<'PYEOF'
import json, sys
p, ver = sys.argv[1], sys.argv[2]
d = json.load(open(p, encoding="utf-8"))
d["sut_commit"] = f"redis-server {ver} (Debian binary package; harness: dstplan checkout {d.get('sut_commit')})"
open(p, "w", encoding="utf-8").write(json.dumps(d, indent=2) + "\n")
PYEOF
note() { echo "- $(date -u +%H:%M:%SZ) $*" | tee -a "$S/session-log.md"; }
DATA="$(mktemp -d /tmp/dstplan-redis.XXXXXX)"
P_PORT=26390; R_PORT=26391
PRIMARY=; REPLICA=; WL=
cleanup() {
  local p
  for p in $PRIMARY $REPLICA; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; { wait "$p"; } 2>/dev/null; done
  [ -n "$WL" ] && kill "$WL" 2>/dev/null
  rm -rf "$DATA"
}
trap cleanup EXIT INT TERM
echo "rm -rf '$DATA'" > "$ART/cleanup.sh"

start_primary() {
  mkdir -p "$DATA/p"
  redis-server --port $P_PORT --bind 127.0.0.1 --save "" --appendonly no --dir "$DATA/p" >> "$LOGS/primary.log" 2>&1 &
  PRIMARY=$!; echo "kill -CONT $PRIMARY 2>/dev/null; kill -9 $PRIMARY 2>/dev/null" >> "$ART/cleanup.sh"
}
start_replica() {
  rm -rf "$DATA/r"; mkdir -p "$DATA/r"
  redis-server --port $R_PORT --bind 127.0.0.1 --save "" --appendonly no --dir "$DATA/r" \
    --replicaof 127.0.0.1 $P_PORT >> "$LOGS/replica.log" 2>&1 &
  REPLICA=$!; echo "kill -CONT $REPLICA 2>/dev/null; kill -9 $REPLICA 2>/dev/null" >> "$ART/cleanup.sh"
}
repl() { redis-cli -p "$1" info replication 2>/dev/null | tr -d '\r' | grep -E "^(role|connected_slaves|master_link_status|master_repl_offset):" | paste -sd' '; }
wait_link() { local n; for n in $(seq 1 60); do repl $R_PORT | grep -q 'master_link_status:up' && return 0; sleep 0.5; done; return 1; }

{ echo; echo "## Environment probe results (run.sh)"; echo
  echo "- redis: \`$(redis-server --version)\`; python3: \`$($PY --version 2>&1)\`; uid $(id -u); $(nproc) cores"
  echo "- primary 127.0.0.1:$P_PORT, replica 127.0.0.1:$R_PORT, persistence off, data in a mktemp dir removed at exit"
  echo; echo "## Run notes"; echo; } >> "$S/session-log.md"
start_primary; start_replica
wait_link || { note "replica link not up"; exit 1; }
note "up: primary [$(repl $P_PORT)] replica [$(repl $R_PORT)]"

s1_seed() {
  local seed=$1 dir="$ART/S1"; : > "$dir/epoch"; local t0=$SECONDS
  $PY "$VER/redis_workload.py" --model queue --primary $P_PORT --replica $R_PORT --threads 4 --timeout 1 \
    --duration 20 --seed "$seed" --run-id "s1-$seed" --epoch-file "$dir/epoch" --out "$dir/seed-$seed.jsonl" > "$dir/seed-$seed.summary.json" &
  WL=$!
  while (( SECONDS - t0 < 8 )); do sleep 0.2; done
  local st0 st1 st2 st3
  st0=$(grep '^State' /proc/$PRIMARY/status | tr -s '\t ' ' ')
  echo "s1-$seed-pause" > "$dir/epoch"
  echo "kill -CONT $PRIMARY 2>/dev/null" >> "$ART/cleanup.sh"
  kill -STOP "$PRIMARY"; sleep 0.3
  st1=$(grep '^State' /proc/$PRIMARY/status | tr -s '\t ' ' '); sleep 2.7
  st2=$(grep '^State' /proc/$PRIMARY/status | tr -s '\t ' ' ')
  kill -CONT "$PRIMARY"; sleep 0.3
  st3=$(grep '^State' /proc/$PRIMARY/status | tr -s '\t ' ' ')
  sleep 1; : > "$dir/epoch"
  printf '{"seed":%s,"state_before":"%s","state_paused_0_3s":"%s","state_paused_3s":"%s","state_after_cont":"%s"}\n' "$seed" "$st0" "$st1" "$st2" "$st3" >> "$dir/landing.jsonl"
  note "S1 seed $seed: SIGSTOP primary: '$st0' -> '$st1' -> '$st2' -> SIGCONT -> '$st3'"
  wait "$WL"; WL=
}
s2_seed() {
  local seed=$1 dir="$ART/S2"; : > "$dir/epoch"; local t0=$SECONDS
  $PY "$VER/redis_workload.py" --model counter --primary $P_PORT --replica $R_PORT --threads 4 --timeout 1 \
    --duration 20 --seed "$seed" --run-id "s2-$seed" --epoch-file "$dir/epoch" --out "$dir/seed-$seed.jsonl" > "$dir/seed-$seed.summary.json" &
  WL=$!
  while (( SECONDS - t0 < 6 )); do sleep 0.2; done
  local before; before=$(repl $P_PORT)
  echo "s2-$seed-replica-kill" > "$dir/epoch"
  local victim=$REPLICA
  kill -9 "$victim"; { wait "$victim"; } 2>/dev/null; local ws=$?
  sleep 1; local during; during=$(repl $P_PORT)
  sleep 3; start_replica
  local linked=false; wait_link && linked=true
  local after; after=$(repl $P_PORT); local rafter; rafter=$(repl $R_PORT)
  : > "$dir/epoch"
  printf '{"seed":%s,"wait_status":%s,"primary_before":"%s","primary_during":"%s","primary_after":"%s","replica_after":"%s","link_up":%s}\n' \
    "$seed" "$ws" "$before" "$during" "$after" "$rafter" "$linked" >> "$dir/landing.jsonl"
  note "S2 seed $seed: SIGKILL replica, wait status $ws; primary [$before] -> [$during] -> restart -> [$after]; replica [$rafter]"
  wait "$WL"; WL=
}
run_timed() {
  local sc=$1; shift; local started; started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local seed; for seed in "$@"; do "${sc,,}_seed" "$seed"; done
  printf '{"scenario":"%s","started":"%s","finished":"%s","seeds":[%s]}\n' "$sc" "$started" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(IFS=,; echo "$*")" > "$ART/$sc/run.json"
}
run_timed S1 "${SEEDS[@]}"
run_timed S2 "${SEEDS[@]}"
cleanup; trap - EXIT INT TERM; PRIMARY=; REPLICA=
note "redis stopped, data dir removed; processes in state T: $(grep -l 'T (stopped)' /proc/[0-9]*/status 2>/dev/null | wc -l)"
$PY "$VER/redis_findings.py" --session "$S" --dstplan "$DSTPLAN" --seeds "${SEEDS[*]}" || exit 1
"$DSTPLAN" report "$S"
"$DSTPLAN" report "$S" --check; rc=$?
note "dstplan report --check exit $rc"
exit $rc
