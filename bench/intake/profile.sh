#!/usr/bin/env bash
# bench/intake/profile.sh — perf profile of Klaxon (--sqlite-sync full) under the
# batch-100 intake load (wrk, 16 connections, alerts.lua).
#   bench/intake/profile.sh [MODE...]     MODE: grouped (default) | distinct | pool
# Writes results/profile/<mode>.{self,children}.txt (perf report, --stdio).
# Knobs: SECONDS_PROFILED=10 CONNS=16 BATCH=100 FREQ=299 PREFILL=0 (distinct alerts
# loaded, pool mode, before profiling so the store is not empty).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
ROOT=$(cd "$HERE/../.." && pwd)
KLAXON=${KLAXON:-$ROOT/build/klaxon}
SECS=${SECONDS_PROFILED:-10}
CONNS=${CONNS:-16}
BATCH=${BATCH:-100}
FREQ=${FREQ:-299}
OUTDIR=${OUT:-$HERE/results/profile}
MODES=("${@:-grouped}")
command -v perf >/dev/null || apt-get install -y linux-perf >/dev/null
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
mkdir -p "$OUTDIR"
WORK=$(mktemp -d /tmp/klaxon-prof.XXXXXX)
PID=""
cleanup() {
  if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID"; sleep 2; kill -KILL "$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

for mode in "${MODES[@]}"; do
  rm -rf "$WORK/data"; mkdir -p "$WORK/data"
  klaxon_start "$KLAXON" "$WORK/data" full "$WORK/log"
  PID=$KLAXON_PID url=$KLAXON_INTAKE_URL
  wrk -t2 -c"$CONNS" -d2s -s "$HERE/alerts.lua" "$url" -- "$BATCH" warm "$mode" >/dev/null 2>&1 || true
  perf record -F "$FREQ" --call-graph dwarf,16384 -p "$PID" -o "$WORK/perf.data" -- sleep "$SECS" \
    >"$WORK/perf.log" 2>&1 &
  perf_pid=$!
  WRK_OUT="$OUTDIR/$mode.wrk.json" wrk -t2 -c"$CONNS" -d"${SECS}s" --latency --timeout 10s \
    -s "$HERE/alerts.lua" "$url" -- "$BATCH" prof "$mode" >"$OUTDIR/$mode.wrk.txt" 2>&1 || true
  wait "$perf_pid" || true
  perf report -i "$WORK/perf.data" --no-children --sort dso,symbol --stdio -g none \
    --percent-limit 0.5 2>/dev/null | sed -E 's/ {3,}/  /g; s/ +- +-?$//; s/ +-$//; s/ +$//' >"$OUTDIR/$mode.self.txt"
  perf report -i "$WORK/perf.data" --children --sort symbol --stdio -g none \
    --percent-limit 1 2>/dev/null | sed -E 's/ {3,}/  /g; s/ +- +-?$//; s/ +-$//; s/ +$//' >"$OUTDIR/$mode.children.txt"
  kill -TERM "$PID"; sleep 2; kill -KILL "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true
  PID=""
  echo "== $mode: $(tail -1 "$OUTDIR/$mode.wrk.json")"
  grep -E '^ +[0-9]' "$OUTDIR/$mode.self.txt" | head -15
done
