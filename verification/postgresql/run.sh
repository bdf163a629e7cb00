#!/usr/bin/env bash
# Reproduces the postgresql verification session: a throwaway PostgreSQL cluster (Debian
# package binaries, initdb into a mktemp dir, Unix socket only, no TCP listener), a
# list-append workload at SERIALIZABLE (S1), REPEATABLE READ (S2: against a "serializable"
# claim; S3: against the documented snapshot isolation) and READ COMMITTED (S4), 3 seeds
# each, then the cluster is stopped and removed, findings and the report are written.
# Usage: verification/postgresql/run.sh   (as root: installs `postgresql` with apt when
# missing and runs the server as the `postgres` user; needs python3; about 2 min)
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
DSTPLAN="${DSTPLAN:-$REPO/target/debug/dstplan}"
read -r -a SEEDS <<< "${SEEDS:-11 12 13}"
PY="${PYTHON:-python3}"
PORT="${PGPORT_RUN:-55432}"
if [ ! -x "$DSTPLAN" ]; then (cd "$REPO" && cargo build -q) || exit 2; fi
command -v "$PY" >/dev/null || { echo "missing $PY" >&2; exit 2; }
pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(pgbin)" ]; then
  [ "$(id -u)" = 0 ] || { echo "PostgreSQL is not installed: apt-get install postgresql" >&2; exit 2; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null || exit 2
fi
PGBIN="$(pgbin)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

rm -rf "$HERE/session"; mkdir -p "$HERE/session"
S="$("$DSTPLAN" session new --plan "$HERE/plan.md" --root "$HERE/session" --operator "verification/postgresql/run.sh")" || exit 2
ART="$S/artifacts"; LOGS="$S/logs"; mkdir -p "$LOGS"
PGVER="$("$PGBIN/postgres" --version)"
$PY - "$S/session.json" "$PGVER ($(dpkg-query -W -f='${Version}' postgresql 2>/dev/null))" <<'PYEOF'
import json, sys
p, ver = sys.argv[1], sys.argv[2]
d = json.load(open(p, encoding="utf-8"))
d["sut_commit"] = f"{ver}, Debian binary package; harness: dstplan checkout {d.get('sut_commit')}"
open(p, "w", encoding="utf-8").write(json.dumps(d, indent=2) + "\n")
PYEOF
note() { echo "- $(date -u +%H:%M:%SZ) $*" | tee -a "$S/session-log.md"; }

DATA="$(mktemp -d /tmp/dstplan-pg.XXXXXX)"
[ "$(id -u)" = 0 ] && chown postgres: "$DATA"
SOCK="$DATA/.s.PGSQL.$PORT"
UP=0
cleanup() {
  if [ "$UP" = 1 ]; then as_pg "$PGBIN/pg_ctl" -D "$DATA/db" -m fast -w stop >/dev/null 2>&1; UP=0; fi
  rm -rf "$DATA"
}
trap cleanup EXIT INT TERM
as_pg "$PGBIN/initdb" -D "$DATA/db" -U postgres --auth=trust -E UTF8 --no-locale > "$LOGS/initdb.log" 2>&1 || { note "initdb failed"; exit 2; }
# Unix socket in the private temp dir only (listen_addresses=''); autovacuum wakes every second;
# the server log keeps LOG lines, not the thousands of expected serialization errors.
as_pg "$PGBIN/pg_ctl" -D "$DATA/db" -l "$DATA/server.log" -w \
  -o "-c listen_addresses='' -k $DATA -p $PORT -c max_connections=40 -c autovacuum_naptime=1 -c fsync=off -c log_min_messages=log" start >/dev/null || { note "pg_ctl start failed"; exit 2; }
UP=1
psql_q() { "$PGBIN/psql" -X -q -At -h "$DATA" -p "$PORT" -U postgres -d postgres -c "$1"; }
{ echo; echo "## Environment probe results (run.sh)"; echo
  echo "- server: \`$PGVER\`, \`$(psql_q 'SHOW server_version')\`; python3: \`$($PY --version 2>&1)\`; $(nproc) cores"
  echo "- listen_addresses: \`$(psql_q 'SHOW listen_addresses')\` (no TCP), socket directory: a mktemp dir removed at exit; default_transaction_isolation: \`$(psql_q 'SHOW default_transaction_isolation')\`"
  echo; echo "## Run notes"; echo; } >> "$S/session-log.md"

run_scenario() {
  local sc=$1 level=$2; shift 2
  local dir="$ART/$sc"; mkdir -p "$dir"
  local started; started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  psql_q "DROP TABLE IF EXISTS la" || true
  local seed
  for seed in "$@"; do
    $PY "$HERE/workload.py" --socket "$SOCK" --level "$level" --seed "$seed" --clients 6 --txns 200 \
      --duration 30 --out "$dir/seed-$seed.jsonl" > "$dir/seed-$seed.summary.json" 2>> "$LOGS/workload.log"
    note "$sc ($level) seed $seed: $(cat "$dir/seed-$seed.summary.json")"
  done
  psql_q "SELECT json_build_object('n_live_tup', n_live_tup, 'n_dead_tup', n_dead_tup, 'vacuum_count', vacuum_count, 'autovacuum_count', autovacuum_count) FROM pg_stat_user_tables WHERE relname = 'la'" > "$dir/table-stats.json"
  printf '{"scenario":"%s","level":"%s","started":"%s","finished":"%s","seeds":[%s]}\n' "$sc" "$level" "$started" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(IFS=,; echo "$*")" > "$dir/run.json"
}
run_scenario S1 "SERIALIZABLE" "${SEEDS[@]}"
run_scenario S2 "REPEATABLE READ" "${SEEDS[@]}"
run_scenario S3 "REPEATABLE READ" "${SEEDS[@]}"
run_scenario S4 "READ COMMITTED" "${SEEDS[@]}"
cp "$DATA/server.log" "$LOGS/postgresql.log"
cleanup; trap - EXIT INT TERM
note "cluster stopped and its directory removed; postgres processes left: $(pgrep -c -u postgres postgres || true)"
$PY "$HERE/findings.py" --session "$S" --dstplan "$DSTPLAN" --seeds "${SEEDS[*]}" || exit 1
"$DSTPLAN" report "$S"
"$DSTPLAN" report "$S" --check; rc=$?
note "dstplan report --check exit $rc"
exit $rc
