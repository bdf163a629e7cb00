#!/usr/bin/env bash
# S5 of the etcd-3.4 plan: leader isolation, as a second session of the same plan.
# The whole cluster runs inside a fresh network namespace (its own 127.0.0.1, so the host's
# networking is never touched), each member under its own uid, so that iptables can tell the
# leader's peer traffic apart: OUTPUT -m owner --uid-owner <leader uid> to any peer port, and
# INPUT to the leader's peer port, are dropped for 15 s. Clients can still reach the old leader.
# Needs root (ip netns, iptables, setpriv). Writes verification/etcd-3.4/session-s5/.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VER="$REPO/verification"
DSTPLAN="${DSTPLAN:-$REPO/target/debug/dstplan}"
PY="${PYTHON:-python3}"
NS=dstplan-etcd-s5

if [ "${1:-}" != "--inside" ]; then
  for t in ip iptables setpriv etcd etcdctl "$PY"; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 2; }; done
  [ -x "$DSTPLAN" ] || (cd "$REPO" && cargo build -q) || exit 2
  outer_cleanup() {
    local p; for p in $(ip netns pids "$NS" 2>/dev/null); do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
    ip netns del "$NS" 2>/dev/null
  }
  trap outer_cleanup EXIT INT TERM
  ip netns del "$NS" 2>/dev/null
  ip netns add "$NS" || exit 2
  ip netns exec "$NS" ip link set lo up
  ip netns exec "$NS" "$0" --inside; rc=$?
  exit $rc
fi

# ------------------------------------------------------------------ inside the namespace
read -r -a SEEDS <<< "${SEEDS:-11 12 13}"
rm -rf "$HERE/session-s5"; mkdir -p "$HERE/session-s5"
S="$("$DSTPLAN" session new --plan "$HERE/plan.md" --root "$HERE/session-s5" --operator "verification/etcd-3.4/run-s5.sh")" || exit 2
ART="$S/artifacts"; LOGS="$S/logs"; mkdir -p "$ART/S5" "$LOGS"
$PY - "$S/session.json" "$(dpkg-query -W -f='${Version}' etcd-server 2>/dev/null || etcd --version | head -1)" <<'PYEOF'
import json, sys
p, ver = sys.argv[1], sys.argv[2]
d = json.load(open(p, encoding="utf-8"))
d["sut_commit"] = f"etcd-server {ver} (Debian binary package; harness: dstplan checkout {d.get('sut_commit')})"
open(p, "w", encoding="utf-8").write(json.dumps(d, indent=2) + "\n")
PYEOF
note() { echo "- $(date -u +%H:%M:%SZ) $*" | tee -a "$S/session-log.md"; }
DATA="$(mktemp -d /tmp/dstplan-etcd-s5.XXXXXX)"; chmod 711 "$DATA"  # members run as other uids
CLIENT_PORT=(_ 23791 23792 23793); PEER_PORT=(_ 23801 23802 23803); UIDS=(_ 20001 20002 20003)
declare -A PID=()
IC="n1=http://127.0.0.1:23801,n2=http://127.0.0.1:23802,n3=http://127.0.0.1:23803"
EPS_HTTP="n1=http://127.0.0.1:23791,n2=http://127.0.0.1:23792,n3=http://127.0.0.1:23793"
EPS="n1=127.0.0.1:23791,n2=127.0.0.1:23792,n3=127.0.0.1:23793"
ALL="127.0.0.1:23791,127.0.0.1:23792,127.0.0.1:23793"
WL=
cleanup() {
  iptables -F INPUT 2>/dev/null; iptables -F OUTPUT 2>/dev/null
  local p; for p in "${PID[@]}"; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
  for p in "${PID[@]}"; do { wait "$p"; } 2>/dev/null; done
  [ -n "$WL" ] && kill "$WL" 2>/dev/null
  rm -rf "$DATA"
}
trap cleanup EXIT INT TERM
{ echo "# undo (run inside: ip netns exec $NS …); deleting the namespace also drops its rules"
  echo "iptables -F INPUT; iptables -F OUTPUT"; echo "rm -rf '$DATA'"; } > "$ART/cleanup.sh"

start_node() {
  local i=$1
  mkdir -p "$DATA/n$i"; chown "${UIDS[$i]}:${UIDS[$i]}" "$DATA/n$i"; chmod 700 "$DATA/n$i"
  setpriv --reuid="${UIDS[$i]}" --regid="${UIDS[$i]}" --clear-groups \
    etcd --name "n$i" --data-dir "$DATA/n$i" \
    --listen-client-urls "http://127.0.0.1:${CLIENT_PORT[$i]}" --advertise-client-urls "http://127.0.0.1:${CLIENT_PORT[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${PEER_PORT[$i]}" --initial-advertise-peer-urls "http://127.0.0.1:${PEER_PORT[$i]}" \
    --initial-cluster "$IC" --initial-cluster-state new --initial-cluster-token "dstplan-s5-$$" \
    --snapshot-count 500 --logger zap --log-outputs stderr >> "$LOGS/etcd-n$i.log" 2>&1 &
  PID[$i]=$!
  echo "kill -CONT ${PID[$i]} 2>/dev/null; kill -9 ${PID[$i]} 2>/dev/null" >> "$ART/cleanup.sh"
}
wait_healthy() { local n; for n in $(seq 1 60); do etcdctl --endpoints="$ALL" --command-timeout=1s endpoint health >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }
counters() { iptables -L "$1" -v -n -x | awk 'NR>2 {s+=$1} END {print s+0}'; }

{ echo; echo "## Environment probe results (run-s5.sh)"; echo
  echo "- network namespace \`$NS\` (own loopback); \`$(iptables --version)\`; setpriv $(setpriv --version | awk '{print $NF}')"
  echo "- members run as uids 20001-20003 so iptables' owner match can single out the leader's outgoing peer traffic"
  echo "- iptables rules at start: $(iptables -S | paste -sd' ')"
  echo; echo "## Run notes"; echo; } >> "$S/session-log.md"

for i in 1 2 3; do start_node "$i"; done
wait_healthy || { note "cluster did not become healthy"; exit 1; }
note "cluster up in $NS"

s5_seed() {
  local seed=$1 dir="$ART/S5" t0=$SECONDS cycle at
  : > "$dir/epoch"
  $PY "$VER/etcd_workload.py" --endpoints "$EPS_HTTP" --model register --threads 6 --keys 3 --timeout 0.75 \
    --duration 45 --seed "$seed" --run-id "s5-$seed" --epoch-file "$dir/epoch" \
    --out "$dir/seed-$seed.jsonl" > "$dir/seed-$seed.summary.json" &
  WL=$!
  for cycle in 1 2; do
    at=$(( cycle == 1 ? 6 : 26 )); while (( SECONDS - t0 < at )); do sleep 0.2; done
    local before="$dir/status-$seed-c$cycle-before.json" during="$dir/status-$seed-c$cycle-during.json" after="$dir/status-$seed-c$cycle-after.json"
    $PY "$VER/etcd_status.py" snapshot "$before" "$EPS"
    local lead; lead=$($PY "$VER/etcd_status.py" leader "$before") || { note "S5 seed $seed cycle $cycle: no leader"; continue; }
    local lnode=${lead%% *} rest=${lead#* }; local lid=${rest%% *} lterm=${rest##* }
    local i=${lnode#n}
    echo "s5-$seed-isolate$cycle-$lnode" > "$dir/epoch"
    iptables -A OUTPUT -m owner --uid-owner "${UIDS[$i]}" -p tcp -m multiport --dports 23801,23802,23803 -j DROP
    iptables -A INPUT -p tcp --dport "${PEER_PORT[$i]}" -j DROP
    local rules; rules=$(iptables -S | grep -c DROP)
    sleep 8
    $PY "$VER/etcd_status.py" snapshot "$during" "$EPS"
    sleep 7
    local c_out c_in; c_out=$(counters OUTPUT); c_in=$(counters INPUT)
    iptables -F INPUT; iptables -F OUTPUT
    local left; left=$(iptables -S | grep -c DROP)
    local healthy=false; wait_healthy && healthy=true
    $PY "$VER/etcd_status.py" snapshot "$after" "$EPS"
    : > "$dir/epoch"
    printf '{"seed":%s,"cycle":%s,"isolated":"%s","old_leader":"%s","old_term":%s,"drop_rules":%s,"dropped_out":%s,"dropped_in":%s,"rules_left":%s,"during":"%s","majority_leader":"%s","healthy_after":%s,"after":"%s"}\n' \
      "$seed" "$cycle" "$lnode" "$lid" "$lterm" "$rules" "$c_out" "$c_in" "$left" \
      "$($PY "$VER/etcd_status.py" describe "$during")" \
      "$($PY - "$during" "$lnode" <<'PYEOF'
import json, sys
snap = json.load(open(sys.argv[1])); iso = sys.argv[2]
maj = [s for s in snap if s["node"] != iso and s["exit"] == 0]
print(",".join(f"{s['node']}:{s['leader']}@{s['raft_term']}" for s in maj))
PYEOF
)" "$healthy" "$($PY "$VER/etcd_status.py" describe "$after")" >> "$dir/landing.jsonl"
    note "S5 seed $seed cycle $cycle: isolated $lnode (leader $lid term $lterm) 15 s; dropped out/in $c_out/$c_in packets; during: $($PY "$VER/etcd_status.py" describe "$during"); rules left after heal: $left; healthy=$healthy"
  done
  wait "$WL"; WL=
}
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for seed in "${SEEDS[@]}"; do s5_seed "$seed"; done
printf '{"scenario":"S5","started":"%s","finished":"%s","seeds":[%s],"raft_log_compactions":%s}\n' "$started" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "$(IFS=,; echo "${SEEDS[*]}")" "$(cat "$LOGS"/etcd-n*.log | grep -c -e 'triggering snapshot' -e 'compacted Raft logs')" > "$ART/S5/run.json"
cleanup; trap - EXIT INT TERM; PID=()
note "cluster stopped; iptables rules left: $(iptables -S | grep -c DROP); processes in state T: $(grep -l 'T (stopped)' /proc/[0-9]*/status 2>/dev/null | wc -l)"
$PY "$VER/etcd_s5_findings.py" --session "$S" --dstplan "$DSTPLAN" --seeds "${SEEDS[*]}" || exit 1
"$DSTPLAN" report "$S"
"$DSTPLAN" report "$S" --check; rc=$?
note "dstplan report --check exit $rc"
exit $rc
