#!/usr/bin/env bash
# Print workload events for `dstplan history record` from a shell workload.
#
#   op PROCESS_VAR F KEY VALUE TIMEOUT_S CMD...   runs CMD with a timeout and prints the events
#
# `invoke` is printed before CMD runs and one completion after: `ok` when CMD exits 0 (its
# first stdout line is the value returned: as is when it reads as a JSON number, true, false,
# null, or starts with `"`, `[` or `{`; as a JSON string otherwise), `info` otherwise: a timeout or
# an error a CLI prints does not prove the request was rejected, so the outcome is unknown and
# the process continues under a new id (the old request may still land). Events carry no
# `time`: pipe them live into `dstplan history record`, which stamps each on CLOCK_MONOTONIC
# as it reads it. Keys and values must be JSON (quote strings: '"x"').
#
#   ./events.sh --demo | dstplan history record --model register --out history.jsonl

set -u
NEXT_PROCESS=0

# json_value TEXT: TEXT if it reads as JSON, else TEXT as a JSON string.
json_value() {
  local t=$1
  if [[ -z $t ]]; then
    printf 'null'
  elif [[ $t =~ ^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$ || $t == true || $t == false || $t == null || $t == [\"[{]* ]]; then
    printf '%s' "$t"
  else
    t=${t//\\/\\\\}; t=${t//\"/\\\"}; t=${t//$'\t'/\\t}; t=${t//$'\r'/}
    printf '"%s"' "$t"
  fi
}

# new_process VAR: give VAR a process id never used before.
new_process() {
  printf -v "$1" '%s' "$NEXT_PROCESS"
  NEXT_PROCESS=$((NEXT_PROCESS + 1))
}

op() {
  local pvar=$1 f=$2 key=$3 value=$4 limit=$5
  shift 5
  local p=${!pvar} out rc
  printf '{"type":"invoke","process":%s,"f":"%s","key":%s,"value":%s}\n' "$p" "$f" "$key" "$value"
  out=$(timeout "$limit" "$@" 2>/dev/null)
  rc=$?
  if [ "$rc" -eq 0 ]; then
    local v=${out%%$'\n'*}
    printf '{"type":"ok","process":%s,"f":"%s","key":%s,"value":%s}\n' "$p" "$f" "$key" "$(json_value "$v")"
  else
    local why="exit $rc"
    [ "$rc" -eq 124 ] && why="timeout after ${limit}s"
    printf '{"type":"info","process":%s,"f":"%s","key":%s,"error":"%s"}\n' "$p" "$f" "$key" "$why"
    new_process "$pvar"
  fi
}

demo() {
  # A register kept in a file; the second write lands, then hangs past its timeout: it is
  # recorded as `info` (it may or may not have taken effect) and process a moves on.
  local dir
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' RETURN
  echo null >"$dir/x"
  local a b
  new_process a
  new_process b
  op a write '"x"' 1 1 sh -c "echo 1 > $dir/x"
  op b read '"x"' null 1 cat "$dir/x"
  op a write '"x"' 2 0.2 sh -c "echo 2 > $dir/x; sleep 1"
  op b read '"x"' null 1 cat "$dir/x"
  op a write '"x"' 3 1 sh -c "echo 3 > $dir/x"
  op b read '"x"' null 1 cat "$dir/x"
}

if [ "${1:-}" = "--demo" ]; then
  demo
fi
