#!/usr/bin/env bash
# bench/paging/profile.sh — perf profiles of Klaxon on the paging paths (diagnostics, not
# part of run.sh): `perf record -F 999 --call-graph dwarf` on the server process during
#   latency: one Klaxon latency run (PROF_ALERTS alerts at RATE/s, LANES addresses);
#   wave:    the step-2 wave of the timers-system part at PROF_PENDING pending escalations.
# Reports: $OUT/perf/<phase>.{self,children}.txt (perf report --stdio); the runs' JSON too.
# Needs root (perf; installs linux-perf with apt if missing). perf itself costs CPU, so the
# latencies measured here are pessimistic: use run.sh for numbers, this for where time goes.
# Knobs: PROF_ALERTS=1000 RATE=50 LANES=20 PROF_PENDING=30000 WAVE_DELAY_MIN=2 OUT=<dir>
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export KLAXON=${KLAXON:-$ROOT/build/klaxon}
OUT=${OUT:-$HERE/results/profile-$(date -u +%Y%m%dT%H%M%SZ)}
export PERF_DIR=$OUT/perf
command -v perf >/dev/null || apt-get install -y linux-perf >/dev/null
mkdir -p "$PERF_DIR"

CHILD=
trap '[[ -n $CHILD ]] && kill -TERM "$CHILD" 2>/dev/null; wait; exit 130' INT TERM
run() { python3 "$HERE/paging.py" "$@" & CHILD=$!; wait "$CHILD"; CHILD=; }

run latency --out "$OUT" --targets klaxon --reps 1 --single-n 0 --n "${PROF_ALERTS:-1000}" \
  --rate "${RATE:-50}" --lanes "${LANES:-20}"
run timers-system --out "$OUT" --n-pending "${PROF_PENDING:-30000}" --wave-delay "${WAVE_DELAY_MIN:-2}" \
  --probe-seconds 0

for data in "$PERF_DIR"/*.data; do
  name=${data%.data}
  # entries of at least 0.3 %, long C++ names cut at 220 characters
  perf report -i "$data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
    sed -E 's/ {3,}/ /g' | awk '/^#/ || $1 + 0 >= 0.3' | cut -c1-220 >"$name.self.txt" || true
  perf report -i "$data" --children --sort symbol --stdio -g none 2>/dev/null |
    sed -E 's/ {3,}/ /g' | awk '/^#/ || $1 + 0 >= 0.3' | cut -c1-220 >"$name.children.txt" || true
  rm -f "$data"
done
ls -la "$PERF_DIR"
