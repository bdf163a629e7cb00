#!/usr/bin/env bash
# S5 of verification/etcd-3.4/plan.md (leader isolation), redone with the toolkit: `dstplan net
# up` (one namespace per member), `dstplan fault start leader-isolation` / `partition-asymmetric`
# (iptables DROP chains with counters, logged in the session), `dstplan history record` (events
# from workload.py). Needs root, iproute2, iptables, Debian etcd-server and etcd-client.
# Writes verification/etcd-3.4-s5-toolkit/session/. About 3 minutes.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
D="${DSTPLAN:-$REPO/target/debug/dstplan}"
NET=es5
read -r -a SEEDS <<< "${SEEDS:-11 12 13}"
DUR="${DUR:-45}"
for t in ip iptables etcd etcdctl python3 "$D"; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 2; }; done

rm -rf "$HERE/session"; mkdir -p "$HERE/session"
S="$("$D" session new --plan "$REPO/verification/etcd-3.4/plan.md" --root "$HERE/session" \
  --operator "verification/etcd-3.4-s5-toolkit/run.sh")" || exit 2
A="$S/artifacts/S5"; mkdir -p "$A" "$S/logs"
python3 -c 'import json, sys; p = sys.argv[1]; d = json.load(open(p)); d["sut_commit"] = "etcd-server %s (Debian binary package; harness: dstplan checkout %s)" % (sys.argv[2], d.get("sut_commit")); open(p, "w").write(json.dumps(d, indent=2) + "\n")' \
  "$S/session.json" "$(dpkg-query -W -f='${Version}' etcd-server)" || exit 2
note() { echo "- $(date -u +%H:%M:%SZ) $*" | tee -a "$S/session-log.md"; }
DATA="$(mktemp -d /tmp/dstplan-es5.XXXXXX)"
PIDS=()
cleanup() {
  "$D" fault undo --all --session "$S" >/dev/null 2>&1
  local p; for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null
  "$D" net down "$NET" >/dev/null; rm -rf "$DATA"
  for p in 1 2 3; do ip link del "dst-$NET-$p" 2>/dev/null; done  # host ends a slow namespace teardown left
}
trap cleanup EXIT INT TERM

"$D" net up "$NET" --nodes 3 --format json > "$A/net.json" || exit 2
read -r -a IP <<< "_ $(python3 -c 'import json,sys; print(*[n["address"] for n in json.load(open(sys.argv[1]))["nodes"]])' "$A/net.json")"
IC="n1=http://${IP[1]}:2380,n2=http://${IP[2]}:2380,n3=http://${IP[3]}:2380"
EPS="n1=http://${IP[1]}:2379,n2=http://${IP[2]}:2379,n3=http://${IP[3]}:2379"
ALL="${IP[1]}:2379,${IP[2]}:2379,${IP[3]}:2379"
for i in 1 2 3; do
  ip netns exec "$NET-n$i" etcd --name "n$i" --data-dir "$DATA/n$i" --initial-cluster "$IC" \
    --listen-client-urls "http://${IP[$i]}:2379" --advertise-client-urls "http://${IP[$i]}:2379" \
    --listen-peer-urls "http://${IP[$i]}:2380" --initial-advertise-peer-urls "http://${IP[$i]}:2380" \
    --initial-cluster-state new --snapshot-count 500 --logger zap --log-outputs stderr 2>> "$S/logs/etcd-n$i.log" &
  PIDS+=($!)
done

# leader [SKIP_IP]: the member (1-3) that at least two members other than SKIP_IP call leader.
leader() {
  etcdctl --endpoints="$ALL" --command-timeout=1s endpoint status -w json 2>/dev/null | python3 -c '
import json, sys
st, ips, skip = json.load(sys.stdin), sys.argv[1].split(","), sys.argv[2]
idx = {s["Status"]["header"]["member_id"]: ips.index(s["Endpoint"]) + 1 for s in st}
votes = [idx.get(s["Status"]["leader"]) for s in st if not s["Endpoint"].startswith(skip + ":")]
best = max(set(votes), key=votes.count, default=None) if votes else None
print(best if best and votes.count(best) >= 2 and ips[best - 1] != skip + ":2379" else "")' "$ALL" "${1:-none}"
}
ms() { echo $(( $(date +%s%N) / 1000000 )); }
for _ in $(seq 60); do [ -n "$(leader)" ] && break; sleep 0.5; done
[ -n "$(leader)" ] || { note "cluster did not elect a leader"; exit 1; }
note "cluster up in namespaces $NET-n1..n3 (${IP[1]}..${IP[3]}), leader n$(leader)"
started="$(date -u +%FT%TZ)"

for seed in "${SEEDS[@]}"; do
  python3 "$HERE/workload.py" --endpoints "$EPS" --seed "$seed" --duration "$DUR" > "$A/events-$seed.jsonl" &
  WL=$!
  for cycle in 1 2; do
    sleep 5
    L="$(leader)"; [ -n "$L" ] || { note "seed $seed cycle $cycle: no leader, skipped"; continue; }
    nemesis=leader-isolation; [ "$cycle" = 2 ] && nemesis=partition-asymmetric
    t0="$(ms)"
    F="$("$D" fault start "$nemesis" --session "$S" --scenario S5 --target "netns:$NET-n$L" 2>>"$S/session-log.md")" || exit 1
    new=""; el=null  # how long until the other two agree on a new leader
    while [ $(( $(ms) - t0 )) -lt 14000 ]; do
      sleep 0.2; new="$(leader "${IP[$L]}")"; [ -n "$new" ] && { el=$(( $(ms) - t0 )); break; }
    done
    echo "{\"seed\":$seed,\"cycle\":$cycle,\"fault\":\"$F\",\"nemesis\":\"$nemesis\",\"isolated\":\"n$L\",\"new_leader\":\"${new:+n$new}\",\"elected_after_ms\":$el}" >> "$A/landing.jsonl"
    left=$(( 15000 - ($(ms) - t0) )); [ "$left" -gt 0 ] && sleep "$(( left / 1000 )).$(printf %03d $(( left % 1000 )))"
    "$D" fault stop "$F" --session "$S" >/dev/null 2>>"$S/session-log.md" || exit 1
    note "seed $seed cycle $cycle: $F $nemesis on n$L, new leader n${new:-one}"
  done
  wait "$WL"
done
printf '{"scenario":"S5","started":"%s","finished":"%s","raft_log_compactions":%s}\n' "$started" "$(date -u +%FT%TZ)" \
  "$(cat "$S"/logs/etcd-n*.log | grep -c -e 'triggering snapshot' -e 'compacted Raft logs')" > "$A/run.json"

"$D" fault undo --all --session "$S" >/dev/null
"$D" history record --model register --faults "$S" --out "$A/history.jsonl" "$A"/events-*.jsonl | tee -a "$S/session-log.md" || exit 1
rm -f "$A"/events-*.jsonl
python3 "$HERE/findings.py" --session "$S" --dstplan "$D" --seeds "${SEEDS[*]}" || exit 1
"$D" report "$S" && "$D" report "$S" --check
