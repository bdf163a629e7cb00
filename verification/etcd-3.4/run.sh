#!/usr/bin/env bash
# Reproduces the etcd-3.4 verification session from scratch, following
# skills/executing-distributed-system-tests: a fresh 3-member etcd cluster on 127.0.0.1,
# one dstplan session, scenarios S1–S4 with their nemeses and landing evidence, S5 recorded
# as not run, findings written from the recorded facts, then `dstplan report` and `--check`.
#
# Usage: verification/etcd-3.4/run.sh            (needs etcd + etcdctl 3.4 and python3)
#        SEEDS="11 12 13" DSTPLAN=path/to/dstplan verification/etcd-3.4/run.sh
# Writes: verification/etcd-3.4/session/test-sessions/etcd-3-4/<UTC>/ (old sessions removed)
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VER="$REPO/verification"
DSTPLAN="${DSTPLAN:-$REPO/target/debug/dstplan}"
read -r -a SEEDS <<< "${SEEDS:-11 12 13}"
PY="${PYTHON:-python3}"

if [ ! -x "$DSTPLAN" ]; then (cd "$REPO" && cargo build -q) || exit 2; fi
for t in etcd etcdctl "$PY"; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 2; }; done

# ---------------------------------------------------------------- session
rm -rf "$HERE/session"
mkdir -p "$HERE/session"
S="$("$DSTPLAN" session new --plan "$HERE/plan.md" --root "$HERE/session" --operator "verification/etcd-3.4/run.sh")" || exit 2
ART="$S/artifacts"; LOGS="$S/logs"
# `session new` records the git HEAD of the repository holding the plan (this dstplan checkout),
# which is not the SUT: record the etcd package instead, keeping the harness commit next to it.
$PY - "$S/session.json" "$(dpkg-query -W -f='${Version}' etcd-server 2>/dev/null || etcd --version | head -1)" <<'PYEOF'
import json, sys
p, ver = sys.argv[1], sys.argv[2]
d = json.load(open(p, encoding="utf-8"))
d["sut_commit"] = f"etcd-server {ver} (Debian binary package; harness: dstplan checkout {d.get('sut_commit')})"
open(p, "w", encoding="utf-8").write(json.dumps(d, indent=2) + "\n")
PYEOF
mkdir -p "$ART" "$LOGS"
note() { echo "- $(date -u +%H:%M:%SZ) $*" | tee -a "$S/session-log.md"; }
echo "session: $S"

DATA="$(mktemp -d /tmp/dstplan-etcd.XXXXXX)"
CLIENT_PORT=(_ 23791 23792 23793)
PEER_PORT=(_ 23801 23802 23803)
declare -A PID=()
IC="n1=http://127.0.0.1:23801,n2=http://127.0.0.1:23802,n3=http://127.0.0.1:23803"
EPS_HTTP="n1=http://127.0.0.1:23791,n2=http://127.0.0.1:23792,n3=http://127.0.0.1:23793"
EPS="n1=127.0.0.1:23791,n2=127.0.0.1:23792,n3=127.0.0.1:23793"
ALL="127.0.0.1:23791,127.0.0.1:23792,127.0.0.1:23793"

# ---------------------------------------------------------------- undo before do
# Every member we start may be SIGSTOPped or running: resume it, then kill it. The same undo
# is appended to artifacts/cleanup.sh before each fault, for a run that is itself SIGKILLed.
cleanup() {
  local p
  for p in "${PID[@]}"; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
  for p in "${PID[@]}"; do wait "$p" 2>/dev/null; done
  [ -n "${WL:-}" ] && kill "$WL" 2>/dev/null
  rm -rf "$DATA"
}
trap cleanup EXIT INT TERM
echo "# undo commands, appended before each fault; run after a crash of run.sh" > "$ART/cleanup.sh"
echo "rm -rf '$DATA'" >> "$ART/cleanup.sh"

start_node() {
  local i=$1
  etcd --name "n$i" --data-dir "$DATA/n$i" \
    --listen-client-urls "http://127.0.0.1:${CLIENT_PORT[$i]}" \
    --advertise-client-urls "http://127.0.0.1:${CLIENT_PORT[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${PEER_PORT[$i]}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${PEER_PORT[$i]}" \
    --initial-cluster "$IC" --initial-cluster-state new --initial-cluster-token "dstplan-$$" \
    --snapshot-count 500 --auto-compaction-mode revision --auto-compaction-retention 1000 \
    --logger zap --log-outputs stderr >> "$LOGS/etcd-n$i.log" 2>&1 &
  PID[$i]=$!
  echo "kill -CONT ${PID[$i]} 2>/dev/null; kill -9 ${PID[$i]} 2>/dev/null" >> "$ART/cleanup.sh"
}

wait_healthy() {  # all three members healthy, bounded at 30 s
  local n
  for n in $(seq 1 60); do
    if etcdctl --endpoints="$ALL" --command-timeout=1s endpoint health >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  return 1
}

elected_lines() { cat "$LOGS"/etcd-n*.log 2>/dev/null | grep -c 'elected leader'; }

# ---------------------------------------------------------------- environment probe
{
  echo
  echo "## Environment probe results (run.sh)"
  echo
  echo "- etcd: \`$(etcd --version | head -1)\` at $(command -v etcd); etcdctl: \`$(etcdctl version | head -1)\`"
  echo "- python3: \`$($PY --version 2>&1)\`; uid $(id -u); kernel $(uname -r); $(nproc) cores"
  if ip netns add dstplan-probe 2>/dev/null; then ip netns del dstplan-probe; echo "- ip netns add: works (root)"; else echo "- ip netns add: refused"; fi
  echo "- iptables: $(command -v iptables || echo 'not installed')"; echo "- tc: $(command -v tc || echo 'not installed')"
  echo "- free disk for data dir: $(df -h "$DATA" | tail -1 | awk '{print $4}')"
  echo "- toolbox: the SUT is the Debian binary package; it ships no harness (no functional tester, no Jepsen test); the recorder is verification/etcd_workload.py"
  echo "- cluster: 3 members on 127.0.0.1, clients 23791-23793, peers 23801-23803, data in a mktemp dir removed at exit"
  echo
  echo "## Run notes"
  echo
} >> "$S/session-log.md"

for i in 1 2 3; do start_node "$i"; done
wait_healthy || { note "cluster did not become healthy"; exit 1; }
$PY "$VER/etcd_status.py" snapshot "$ART/status-initial.json" "$EPS"
note "cluster up: $($PY "$VER/etcd_status.py" describe "$ART/status-initial.json")"

# ---------------------------------------------------------------- S1: leader SIGKILL
s1_seed() {
  local seed=$1 dir="$ART/S1" t0 cycle at
  mkdir -p "$dir"; : > "$dir/epoch"
  t0=$SECONDS
  $PY "$VER/etcd_workload.py" --endpoints "$EPS_HTTP" --model register --threads 6 --keys 3 --timeout 0.75 \
    --duration 45 --seed "$seed" --run-id "s1-$seed" --epoch-file "$dir/epoch" \
    --out "$dir/seed-$seed.jsonl" > "$dir/seed-$seed.summary.json" &
  WL=$!
  for cycle in 1 2; do
    at=$(( cycle == 1 ? 10 : 25 )); while (( SECONDS - t0 < at )); do sleep 0.2; done
    local before="$dir/status-$seed-c$cycle-before.json" after="$dir/status-$seed-c$cycle-after.json"
    $PY "$VER/etcd_status.py" snapshot "$before" "$EPS"
    local lead; lead=$($PY "$VER/etcd_status.py" leader "$before") || { note "S1 seed $seed cycle $cycle: no leader found"; continue; }
    local lnode=${lead%% *} rest=${lead#* }; local lid=${rest%% *} lterm=${rest##* }
    local i=${lnode#n} victim=${PID[${lnode#n}]}
    local el_before; el_before=$(elected_lines)
    echo "s1-$seed-kill$cycle-$lnode" > "$dir/epoch"
    echo "kill -CONT $victim 2>/dev/null" >> "$ART/cleanup.sh"
    local k0=$SECONDS ms0; ms0=$(date +%s%3N)
    kill -9 "$victim"; { wait "$victim"; } 2>/dev/null; local ws=$?
    # C3: a put through a survivor must succeed within 5 s of the kill (bounded poll, 10 s).
    local surv=() j; for j in 1 2 3; do [ "$j" != "$i" ] && surv+=("127.0.0.1:${CLIENT_PORT[$j]}"); done
    local ok_ms=null n
    for n in $(seq 1 50); do
      if etcdctl --endpoints="${surv[0]}" --command-timeout=1s put "s1-$seed-probe" "c$cycle" >/dev/null 2>&1; then ok_ms=$(( $(date +%s%3N) - ms0 )); break; fi
      sleep 0.2
    done
    while (( SECONDS - k0 < 6 )); do sleep 0.2; done
    $PY "$VER/etcd_status.py" snapshot "$after" "$EPS"
    local nl; nl=$($PY "$VER/etcd_status.py" leader "$after" || echo "none 0 0")
    local el_after; el_after=$(elected_lines)
    printf '{"seed":%s,"cycle":%s,"victim":"%s","old_leader":"%s","old_term":%s,"wait_status":%s,"new_leader_node":"%s","new_leader":"%s","new_term":%s,"survivor_put_ok_after_ms":%s,"elected_leader_log_lines_before":%s,"elected_leader_log_lines_after":%s}\n' \
      "$seed" "$cycle" "$lnode" "$lid" "$lterm" "$ws" $nl "$ok_ms" "$el_before" "$el_after" >> "$dir/landing.jsonl"
    note "S1 seed $seed cycle $cycle: SIGKILL $lnode (leader $lid term $lterm) wait status $ws; after: $($PY "$VER/etcd_status.py" describe "$after"); survivor put ok after ${ok_ms} ms"
    start_node "$i"
    wait_healthy || note "S1 seed $seed: $lnode did not rejoin within 30 s"
    : > "$dir/epoch"
  done
  wait "$WL"; WL=
}

# ---------------------------------------------------------------- S2: follower SIGSTOP
s2_seed() {
  local seed=$1 dir="$ART/S2" t0 cycle at
  mkdir -p "$dir"; : > "$dir/epoch"
  t0=$SECONDS
  $PY "$VER/etcd_workload.py" --endpoints "$EPS_HTTP" --model register --threads 6 --keys 3 --timeout 0.75 \
    --duration 40 --seed "$seed" --run-id "s2-$seed" --epoch-file "$dir/epoch" \
    --out "$dir/seed-$seed.jsonl" > "$dir/seed-$seed.summary.json" &
  WL=$!
  for cycle in 1 2; do
    at=$(( cycle == 1 ? 8 : 24 )); while (( SECONDS - t0 < at )); do sleep 0.2; done
    local before="$dir/status-$seed-c$cycle-before.json" after="$dir/status-$seed-c$cycle-after.json"
    $PY "$VER/etcd_status.py" snapshot "$before" "$EPS"
    local lead; lead=$($PY "$VER/etcd_status.py" leader "$before") || { note "S2 seed $seed cycle $cycle: no leader found"; continue; }
    local lnode=${lead%% *}
    # the follower: the first member that is not the leader, rotating with the cycle
    local cand=() j; for j in 1 2 3; do [ "n$j" != "$lnode" ] && cand+=("$j"); done
    local i=${cand[$(( (seed + cycle) % 2 ))]}; local victim=${PID[$i]}
    local st0; st0=$(grep '^State' "/proc/$victim/status" | tr -s '\t ' ' ')
    echo "s2-$seed-pause$cycle-n$i" > "$dir/epoch"
    echo "kill -CONT $victim 2>/dev/null" >> "$ART/cleanup.sh"
    kill -STOP "$victim"
    sleep 0.5
    local st1; st1=$(grep '^State' "/proc/$victim/status" | tr -s '\t ' ' ')
    sleep 9.5
    local st2; st2=$(grep '^State' "/proc/$victim/status" | tr -s '\t ' ' ')
    kill -CONT "$victim"
    sleep 0.5
    local st3; st3=$(grep '^State' "/proc/$victim/status" | tr -s '\t ' ' ')
    $PY "$VER/etcd_status.py" snapshot "$after" "$EPS"
    printf '{"seed":%s,"cycle":%s,"victim":"n%s","leader_node":"%s","state_before":"%s","state_paused_0_5s":"%s","state_paused_10s":"%s","state_after_cont":"%s"}\n' \
      "$seed" "$cycle" "$i" "$lnode" "$st0" "$st1" "$st2" "$st3" >> "$dir/landing.jsonl"
    note "S2 seed $seed cycle $cycle: SIGSTOP n$i (leader $lnode): '$st0' -> '$st1' -> '$st2' -> SIGCONT -> '$st3'"
    wait_healthy || note "S2 seed $seed: n$i not healthy 30 s after SIGCONT"
    sleep 1
    : > "$dir/epoch"
  done
  wait "$WL"; WL=
}

# ---------------------------------------------------------------- S3: full-cluster SIGKILL
s3_seed() {
  local seed=$1 dir="$ART/S3" t0 cycle at i
  mkdir -p "$dir"; : > "$dir/epoch"
  t0=$SECONDS
  $PY "$VER/etcd_workload.py" --endpoints "$EPS_HTTP" --model log --threads 6 --keys 3 \
    --duration 30 --seed "$seed" --run-id "s3-$seed" --epoch-file "$dir/epoch" \
    --out "$dir/seed-$seed.jsonl" > "$dir/seed-$seed.summary.json" &
  WL=$!
  for cycle in 1 2; do
    at=$(( cycle == 1 ? 8 : 18 )); while (( SECONDS - t0 < at )); do sleep 0.2; done
    $PY "$VER/etcd_status.py" snapshot "$dir/status-$seed-c$cycle-before.json" "$EPS"
    echo "s3-$seed-killall$cycle" > "$dir/epoch"
    local victims=("${PID[1]}" "${PID[2]}" "${PID[3]}") ws=() p
    for p in "${victims[@]}"; do echo "kill -CONT $p 2>/dev/null" >> "$ART/cleanup.sh"; done
    kill -9 "${victims[@]}"
    for p in "${victims[@]}"; do { wait "$p"; } 2>/dev/null; ws+=($?); done
    $PY "$VER/etcd_status.py" snapshot "$dir/status-$seed-c$cycle-down.json" "$EPS"
    sleep 3
    for i in 1 2 3; do start_node "$i"; done
    local healthy=false; wait_healthy && healthy=true
    $PY "$VER/etcd_status.py" snapshot "$dir/status-$seed-c$cycle-after.json" "$EPS"
    : > "$dir/epoch"
    printf '{"seed":%s,"cycle":%s,"wait_status":[%s,%s,%s],"down":"%s","healthy_after_restart":%s,"before":"%s","after":"%s"}\n' \
      "$seed" "$cycle" "${ws[0]}" "${ws[1]}" "${ws[2]}" "$($PY "$VER/etcd_status.py" describe "$dir/status-$seed-c$cycle-down.json")" \
      "$healthy" "$($PY "$VER/etcd_status.py" describe "$dir/status-$seed-c$cycle-before.json")" \
      "$($PY "$VER/etcd_status.py" describe "$dir/status-$seed-c$cycle-after.json")" >> "$dir/landing.jsonl"
    note "S3 seed $seed cycle $cycle: SIGKILL all members, wait status ${ws[*]}; restarted, healthy=$healthy"
  done
  wait "$WL"; WL=
}

# slow effects inside a short run: member snapshots and Raft log compaction (log lines, all members)
raft_compactions() { cat "$LOGS"/etcd-n*.log 2>/dev/null | grep -c -e 'triggering snapshot' -e 'compacted Raft logs'; }

run_timed() {  # scenario seeds...  (start/end times and raft log compactions per scenario)
  local sc=$1; shift
  local c0; c0=$(raft_compactions)
  local started; started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local seed; for seed in "$@"; do "${sc,,}_seed" "$seed"; done
  printf '{"scenario":"%s","started":"%s","finished":"%s","seeds":[%s],"raft_log_compactions":%s}\n' \
    "$sc" "$started" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(IFS=,; echo "$*")" "$(( $(raft_compactions) - c0 ))" > "$ART/$sc/run.json"
}

mkdir -p "$ART/S1" "$ART/S2" "$ART/S3" "$ART/S4"
run_timed S1 "${SEEDS[@]}"
run_timed S2 "${SEEDS[@]}"
run_timed S3 "${SEEDS[@]}"

# ---------------------------------------------------------------- S4: lease expiry (no fault)
s4_seed() {
  local seed=$1
  $PY "$VER/etcd_lease_probe.py" --endpoints "$EPS_HTTP" --run-id "s4-$seed" --ttl 4 \
    --keepalive 12 --leases 1 --out "$ART/S4/probe-$seed.jsonl" > "$ART/S4/result-$seed.json"
  echo "$?" > "$ART/S4/exit-$seed"
  note "S4 seed $seed: lease probe exit $(cat "$ART/S4/exit-$seed"): $(cat "$ART/S4/result-$seed.json")"
}
run_timed S4 "${SEEDS[0]}"

$PY "$VER/etcd_status.py" snapshot "$ART/status-final.json" "$EPS"
note "final: $($PY "$VER/etcd_status.py" describe "$ART/status-final.json")"

# ---------------------------------------------------------------- stop the cluster, check
cleanup; trap - EXIT INT TERM
PID=()
note "cluster stopped and data dir removed; stopped processes left: $(grep -l 'T (stopped)' /proc/[0-9]*/status 2>/dev/null | wc -l)"

# history checks and findings are written from the recorded artifacts
$PY "$VER/etcd_findings.py" --session "$S" --dstplan "$DSTPLAN" --seeds "${SEEDS[*]}" || exit 1
"$DSTPLAN" report "$S"
"$DSTPLAN" report "$S" --check; rc=$?
note "dstplan report --check exit $rc"
exit $rc
